#!/bin/bash
# diaryd sync against a scripted server (tests/tools/responder.py with
# tests/data/caldav/discovery.json: an account with calendars Work and
# Personal) for the faults real servers will not produce on demand:
#   sync-collection answers cut into pages (507 for the collection)
#   503 with Retry-After (then success; for ever; too long to wait)
#   a connection reset in the middle of a body
#   malformed XML; HTML instead of XML
#   a DOCTYPE with external entities; an entity bomb
#   a 1 GB body (with Content-Length; chunked, endless)
#   a redirect loop; a redirect to another host (credentials must stay home)
#   401 (one request, no retry)
#   a refused sync token (403/409 DAV:valid-sync-token, 412, 418): one full
#   resync that journals only the real changes
#   OAuth 2.0: `diaryd auth` (PKCE, state, loopback redirect), access tokens
#   used and refreshed, a refused refresh token (invalid_grant)
# Each fault on Work must fail Work alone (Personal syncs), store nothing,
# and leave the next sync to pick up what the fault hid.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers

DISCOVERY=$PWD/$CALDAV_DATA/discovery.json
FIX=$PWD/$CALDAV_DATA
CANARY=Canary-b41d-s3cret
CANARY_B64=$(printf '%s' "sam:$CANARY" | base64)
WORKP=/dav/calendars/sam/work/

setup "responder A starts" start_responder A
setup "responder B starts on another host (127.0.0.2)" start_responder B 127.0.0.2

WORK_DIR=$TMP/srv/work
PERSONAL_DIR=$TMP/srv/personal
gen_events "$WORK_DIR" 5 work
gen_events "$PERSONAL_DIR" 2 personal
WORK_TOKEN=work-token-1
PERSONAL_TOKEN=personal-token-1

# scenario [VAR=VALUE...]: A's script becomes the rules on stdin followed by
# the scripted account's (see account_script).
scenario() { account_script A "XXE_URL=$B_URL/xxe" "$@"; }
# reqs NAME MARK: A's requests since MARK into $TMP/NAME.reqs (for json).
reqs() { responder_requests A "$2" "$TMP/$1.reqs"; }
REQPY=$REQPY_ACCOUNT
new_event() { # NAME: one more event in Work's folder
  ics_event "$1@example.org" 20261210T180000Z 20261210T183000Z "$1" >"$WORK_DIR/$1.ics"
}
journal_snapshot() { run "$1" journal --json; }

write_config <<EOF
[account sam]
url = $A_URL/
username = sam
password_command = printf %s $CANARY
EOF

# ---- the scripted server works -------------------------------------------------------
scenario <<<'[]'
run base sync --json
t "baseline: sync exits 0" expect_rc base 0
t "baseline: Work 5 added, Personal 2 added (discovered from the bare URL)" json "$TMP/base.out" "$SYNCPY
shape(d)
assert labels(d) == ['sam/Personal', 'sam/Work'], labels(d)
synced(d, 'sam/Work', 5, 0, 0, 0, 5, 'calendar-query')
synced(d, 'sam/Personal', 2, 0, 0, 0, 2, 'calendar-query')
assert cal(d, 'sam/Work')['url'] == '$A_URL$WORKP', cal(d, 'sam/Work')['url']
"
run base2 sync --json
t "baseline: a second sync is unchanged" json "$TMP/base2.out" "$SYNCPY
unchanged(d, 'sam/Work', 5)
unchanged(d, 'sam/Personal', 2)
"
t "baseline: the requests carry sam's credentials (Basic)" grep -qF "Basic $CANARY_B64" "$TMP/A.log"

# ---- sync-collection in pages (507) ------------------------------------------------------
# 25 objects created after the first sync, reported in three pages: 10 +
# 507, 10 + 507, 5.  RFC 6578 §3.6.  (A first sync lists the collection
# with calendar-query; pages matter for the incremental REPORT, which is
# where Google truncates.)
mkdir -p "$TMP/srv/paged" "$TMP/srv/paged-empty"
gen_events "$TMP/srv/paged" 25 paged
PAGED=$("$PY" -c 'import json, os, sys; print(json.dumps(sorted(os.listdir(sys.argv[1]))))' "$TMP/srv/paged")
PAGE1=$(jget /dev/stdin 'json.dumps(d[0:10])' <<<"$PAGED")
PAGE2=$(jget /dev/stdin 'json.dumps(d[10:20])' <<<"$PAGED")
PAGE3=$(jget /dev/stdin 'json.dumps(d[20:25])' <<<"$PAGED")
scenario "WORK_DIR=$TMP/srv/paged-empty" WORK_TOKEN=page-0 <<<'[]'
run paged0 sync --db "$TMP/paged.db" --json
t "507 paging: the first sync of the empty calendar exits 0" expect_rc paged0 0
scenario "WORK_DIR=$TMP/srv/paged" WORK_TOKEN=page-3 <<EOF
[
 {"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "page-0"},
  "listing": {"dir": "@WORK_DIR@", "names": $PAGE1, "truncated": true, "token": "page-1"}},
 {"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "page-1"},
  "listing": {"dir": "@WORK_DIR@", "names": $PAGE2, "truncated": true, "token": "page-2"}},
 {"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "page-2"},
  "listing": {"dir": "@WORK_DIR@", "names": $PAGE3, "token": "page-3"}}
]
EOF
MARK=$(log_lines "$TMP/A.log")
run paged sync --db "$TMP/paged.db" --json
reqs paged "$MARK"
t "507 paging: exits 0" expect_rc paged 0
t "507 paging: Work 25 added (25 objects) after three pages" json "$TMP/paged.out" "$SYNCPY
synced(d, 'sam/Work', 25, 0, 0, 0, 25, 'sync-collection')
"
t "507 paging: the pages were asked for with page-0's token, then page-1, then page-2" json "$TMP/paged.reqs" "$REQPY
got = [token_of(r) for r in reports(d)]
assert got == ['page-0', 'page-1', 'page-2'], got
"
run pagedj journal --db "$TMP/paged.db" --json
t "507 paging: 25 'added' rows for Work, news after the (empty) baseline" json "$TMP/pagedj.out" "$SYNCPY
journal_shape(d)
w = [r for r in d['changes'] if r['calendar'] == 'Work']
assert sorted(r['uid'] for r in w) == sorted('paged-%05d@diaryd.test' % i for i in range(25)), [r['uid'] for r in w]
assert all(r['kind'] == 'added' and not r['baseline'] for r in w), [r for r in w if r['kind'] != 'added' or r['baseline']]
"
MARK=$(log_lines "$TMP/A.log")
run paged2 sync --db "$TMP/paged.db" --json
reqs paged2 "$MARK"
t "507 paging: the next sync is unchanged" json "$TMP/paged2.out" "$SYNCPY
unchanged(d, 'sam/Work', 25)
"
t "507 paging: the next sync starts from page-3's token, not from scratch" json "$TMP/paged2.reqs" "$REQPY
got = [token_of(r) for r in reports(d)]
assert got in ([], ['page-3']), got
"

# ---- 503 with Retry-After ---------------------------------------------------------------
WORK_TOKEN=work-token-2
new_event retry-1
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"}, "times": 1,
  "status": 503, "headers": {"Retry-After": "2", "Content-Type": "text/plain"}, "body": "busy, come back later\n"}]
EOF
MARK=$(log_lines "$TMP/A.log")
run r503 sync --json
reqs r503 "$MARK"
t "503 Retry-After: 2, then 207: exits 0" expect_rc r503 0
t "503 then 207: Work 1 added" json "$TMP/r503.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, 6)
unchanged(d, 'sam/Personal', 2)
"
t "503 then 207: the REPORT was sent again no sooner than 2 s later, once" json "$TMP/r503.reqs" "$REQPY
rs = reports(d)
assert [r['status'] for r in rs] == [503, 207], [(r['status'], r['t']) for r in rs]
gap = rs[1]['t'] - rs[0]['t']
assert gap >= 1.9, 'retried after %.2f s' % gap
assert gap < 10, 'waited %.2f s' % gap
"
t "503 then 207: done within 15 s" within r503 15

# ---- faults that must fail Work alone ---------------------------------------------------
# fault NAME DESC ERE [RUN_SECONDS]: with A's fault rules (stdin) before the
# usual ones and one new event in Work, `sync --json` must exit 1 with Work
# failed for a reason matching ERE (case-insensitive), Personal unaffected,
# and the journal unchanged; then, with the fault gone, a sync takes the new
# event.  The requests made during the faulty run are in $TMP/NAME.reqs.
K=2
fault() {
  local name=$1 desc=$2 ere=$3 secs=${4:-$RUN_TIMEOUT} rules objects
  rules=$(cat)
  K=$((K + 1))
  WORK_TOKEN=work-token-$K
  new_event "$name"
  objects=$(find "$WORK_DIR" -name '*.ics' | wc -l)
  scenario <<<"$rules"
  journal_snapshot "$name-j0"
  MARK=$(log_lines "$TMP/A.log")
  RUN_TIMEOUT=$secs run "$name" sync --json
  reqs "$name" "$MARK"
  t "$desc: exits 1" expect_rc "$name" 1
  t "$desc: no crash" no_crash "$name"
  t "$desc: Work failed, saying why; Personal unaffected" json "$TMP/$name.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r' % (w['status'], counts(w))
assert re.search(r'''$ere''', w['error'] or '', re.I), 'the reason does not match /$ere/: %r' % w['error']
assert len(w['error']) < 500, 'an error of %d characters' % len(w['error'])
unchanged(d, 'sam/Personal', 2)
"
  journal_snapshot "$name-j1"
  t "$desc: nothing journalled" cmp "$TMP/$name-j0.out" "$TMP/$name-j1.out"
  scenario <<<'[]'
  run "$name-after" sync --json
  t "$desc: with the fault gone, the next sync takes the new event" json "$TMP/$name-after.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, $objects)
"
}

fault r503x "503 for ever" '503|unavailable|retry|busy' <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP"}, "status": 503, "headers": {"Retry-After": "1"}, "body": "busy\n"}]
EOF
t "503 for ever: a bounded number of attempts (at most 4)" json "$TMP/r503x.reqs" "$REQPY
n = len([r for r in d['reqs'] if r['path'] == WORKP and r['method'] == 'REPORT'])
assert 1 <= n <= 4, '%d REPORTs' % n
"
fault r503long "503 with Retry-After: 3600" '503|unavailable|retry|busy|later' 15 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP"}, "status": 503, "headers": {"Retry-After": "3600"}, "body": "busy\n"}]
EOF
t "503 with Retry-After: 3600: does not sleep an hour (done within 10 s)" within r503long 10

fault reset "a reset in the middle of the sync-collection body" \
  'reset|connection|network|recv|receiv|transfer|closed|partial|incomplete|truncat' <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "listing": {"dir": "@WORK_DIR@", "token": "@WORK_TOKEN@"}, "reset_after": 300}]
EOF
t "reset: the server did cut the body (the fault happened)" json "$TMP/reset.reqs" "$REQPY
rs = reports(d)
assert rs and all(r['complete'] is True for r in rs), [(r['status'], r['sent_bytes']) for r in rs]
assert len(rs) <= 4, '%d attempts' % len(rs)
"

# A reset while fetching the objects (calendar-multiget) -- when the client
# fetches them that way; a client that asks for calendar-data in the
# sync-collection itself never meets this fault.
K=$((K + 1))
WORK_TOKEN=work-token-$K
new_event reset-mg
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "calendar-multiget"},
  "multiget": "@WORK_DIR@", "reset_after": 200}]
EOF
journal_snapshot resetmg-j0
MARK=$(log_lines "$TMP/A.log")
run resetmg sync --json
reqs resetmg "$MARK"
t "a reset in the middle of a multiget: no crash" no_crash resetmg
t "a reset in the middle of a multiget: Work failed if it was fetched that way, else synced" json "$TMP/resetmg.reqs" "$REQPY
mg = reports(d, kind='calendar-multiget')
out = json.load(open('$TMP/resetmg.out'))
w = [c for c in out['calendars'] if c['calendar'] == 'Work'][0]
if mg:
    assert w['status'] == 'failed', (w['status'], w['added'])
else:
    assert w['status'] == 'synced' and w['added'] == 1, w
"
journal_snapshot resetmg-j1
t "a reset in the middle of a multiget: nothing journalled when Work failed" bash -c "
  grep -q '\"status\":\"failed\"' '$TMP/resetmg.out' || grep -q '\"status\": \"failed\"' '$TMP/resetmg.out' || exit 0
  cmp '$TMP/resetmg-j0.out' '$TMP/resetmg-j1.out'"
scenario <<<'[]'
run resetmg-after sync --json
t "a reset in the middle of a multiget: the next sync has every object" json "$TMP/resetmg-after.out" "$SYNCPY
assert cal(d, 'sam/Work')['objects'] == $(find "$WORK_DIR" -name '*.ics' | wc -l), counts(cal(d, 'sam/Work'))
"

fault malformed "malformed XML in the sync-collection answer" 'XML|pars|malformed|multistatus|premature|unexpected|invalid' <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$FIX/malformed-multistatus.xml"}]
EOF
fault html "an HTML page instead of a multistatus" 'XML|pars|malformed|multistatus|HTML|content|unexpected|invalid' <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "text/html"}, "body_file": "$FIX/not-xml.html"}]
EOF
# The text form of a failure.
K=$((K + 1))
WORK_TOKEN=work-token-$K
new_event text-fail
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml"}, "body_file": "$FIX/malformed-multistatus.xml"}]
EOF
run textfail sync
t "a failed calendar in the text form: exits 1" expect_rc textfail 1
t "a failed calendar in the text form: 'sam/Work: failed: REASON'" sync_line textfail sam/Work 'failed: .+'
t "a failed calendar in the text form: 'sam/Personal: unchanged'" sync_line textfail sam/Personal "$(unchanged_re 2)"
scenario <<<'[]'
run textfail-after sync
t "after the text-form failure: Work 1 added" sync_line textfail-after sam/Work "$(counts_re 1 0 0 0 "$(find "$WORK_DIR" -name '*.ics' | wc -l)")"

BMARK=$(log_lines "$TMP/B.log")
fault xxe "a DOCTYPE with external entities" 'DOCTYPE|DTD|entit|XML' <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$FIX/xxe-multistatus.xml"}]
EOF
t "DOCTYPE: the external entity's URL (responder B) was never fetched" test "$(log_since "$TMP/B.log" "$BMARK" | grep -c .)" = 0
t "DOCTYPE: /etc/passwd's content is in no output" bash -c "! grep -q 'root:' '$TMP/xxe.out' '$TMP/xxe.err'"

fault bomb "an entity bomb" 'DOCTYPE|DTD|entit|XML' 10 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$FIX/entity-bomb.xml"}]
EOF
t "entity bomb: refused at once (under 5 s)" within bomb 5

fault huge "a 1 GB sync-collection answer (Content-Length)" 'large|size|limit|cap|too big|exceed|[0-9] ?[MG]i?B' 60 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"},
  "endless": true, "length": 1073741824, "body": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n"}]
EOF
t "1 GB body: diaryd stopped reading well before the end (at most 300 MB sent, once)" json "$TMP/huge.reqs" "$REQPY
rs = reports(d)
assert len(rs) == 1, '%d attempts' % len(rs)
assert rs[0]['sent_bytes'] is not None and rs[0]['sent_bytes'] <= 300 * 1024 * 1024, rs[0]['sent_bytes']
assert rs[0]['complete'] is False, 'the whole GB was read'
"
t "1 GB body: gave up within 30 s" within huge 30
fault endless "an endless chunked sync-collection answer" 'large|size|limit|cap|too big|exceed|[0-9] ?[MG]i?B' 60 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"},
  "endless": true, "body": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n"}]
EOF
t "endless body: at most 300 MB read" json "$TMP/endless.reqs" "$REQPY
rs = reports(d)
assert rs and all((r['sent_bytes'] or 0) <= 300 * 1024 * 1024 for r in rs), [r['sent_bytes'] for r in rs]
assert len(rs) == 1, '%d attempts' % len(rs)
"
t "endless body: gave up within 30 s" within endless 30

# ---- a refused sync token: one full resync -------------------------------------------------
# For each answer: one object added, one modified, one removed on the
# server; the old token refused; one calendar-query then lists the whole
# collection (etags only: the objects are stored) and only what changed is
# fetched.  Only the three real changes may be journalled.
I=0
for answer in 403 409 412 418; do
  I=$((I + 1))
  scenario <<<'[]'
  run "tok$answer-prep" sync --json
  old=$WORK_TOKEN
  K=$((K + 1))
  WORK_TOKEN=work-token-$K
  victim=$(find "$WORK_DIR" -name 'work-*.ics' | sort | head -1)
  victim_uid=$(basename "$victim" .ics)@diaryd.test
  rm -f "$victim"
  changed=$WORK_DIR/work-0000$((I)).ics
  [ -f "$changed" ] || changed=$(find "$WORK_DIR" -name 'work-*.ics' | sort | tail -1)
  changed_uid=$(basename "$changed" .ics)@diaryd.test
  sed -i "s/^SUMMARY:.*/SUMMARY:Changed before the $answer\r/" "$changed"
  new_event "tok$answer"
  objects=$(find "$WORK_DIR" -name '*.ics' | wc -l)
  case $answer in
  403 | 409) body="\"body_file\": \"$FIX/valid-sync-token.xml\", \"headers\": {\"Content-Type\": \"application/xml; charset=utf-8\"}" ;;
  *) body="\"body\": \"no such token\\n\"" ;;
  esac
  scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$old"}, "status": $answer, $body}]
EOF
  journal_snapshot "tok$answer-j0"
  J0=$(jget "$TMP/tok$answer-j0.out" 'max([r["seq"] for r in d["changes"]] or [0])')
  MARK=$(log_lines "$TMP/A.log")
  run "tok$answer" sync --json
  reqs "tok$answer" "$MARK"
  t "sync token refused with $answer: exits 0" expect_rc "tok$answer" 0
  t "sync token refused with $answer: the old token once, then one full listing" json "$TMP/tok$answer.reqs" "$REQPY
got = [(token_of(r), r['status']) for r in reports(d)]
assert got == [('$old', $answer)], got
q = reports(d, kind='calendar-query')
assert len(q) == 1 and q[0]['status'] == 207, [(r['status'], r['body'][:80]) for r in q]
"
  t "sync token refused with $answer: Work 1 added, 1 modified, 1 removed" json "$TMP/tok$answer.out" "$SYNCPY
synced(d, 'sam/Work', 1, 1, 1, 0, $objects)
unchanged(d, 'sam/Personal', 2)
"
  journal_snapshot "tok$answer-j1"
  t "sync token refused with $answer: exactly the three real changes are journalled" json "$TMP/tok$answer-j1.out" "$SYNCPY
journal_is(d, [
    ('sam/Work', 'added', 'tok$answer@example.org', None, ''),
    ('sam/Work', 'modified', '$changed_uid', None, 'SUMMARY'),
    ('sam/Work', 'removed', '$victim_uid', None, ''),
], after=$J0)
"
  MARK=$(log_lines "$TMP/A.log")
  run "tok$answer-next" sync --json
  reqs "tok$answer-next" "$MARK"
  t "sync token refused with $answer: the next sync uses the new token and is unchanged" json "$TMP/tok$answer-next.reqs" "$REQPY
got = [token_of(r) for r in reports(d)]
assert got in ([], ['$WORK_TOKEN']), got
out = json.load(open('$TMP/tok$answer-next.out'))
w = [c for c in out['calendars'] if c['calendar'] == 'Work'][0]
assert w['status'] == 'unchanged', w
"
done

# ---- 401: one request, never retried -----------------------------------------------------
scenario <<'EOF'
[{"match": {}, "status": 401, "headers": {"WWW-Authenticate": "Basic realm=\"dav\"", "Content-Type": "text/plain"},
  "body": "who are you?\n"}]
EOF
MARK=$(log_lines "$TMP/A.log")
run u401 sync --db "$TMP/u401.db"
both u401
reqs u401 "$MARK"
t "401 on the first request of a new account: exits 1" expect_rc u401 1
t "401: exactly one request was sent (no retry, nothing after the 401)" json "$TMP/u401.reqs" "
assert len(d['reqs']) == 1, [(r['method'], r['path'], r['status']) for r in d['reqs']]
"
t "401: the message says the credentials were refused" \
  bash -c "grep -Eiq '401|unauthori[sz]ed|credential|password|authenticat' '$TMP/u401.all' || { cat '$TMP/u401.all'; false; }"
MARK=$(log_lines "$TMP/A.log")
run u401b sync
reqs u401b "$MARK"
t "401 for an account already discovered (two calendars): exits 1" expect_rc u401b 1
t "401 for an account already discovered: exactly one request (the account stops there)" json "$TMP/u401b.reqs" "
assert len(d['reqs']) == 1, [(r['method'], r['path'], r['status']) for r in d['reqs']]
"

# ---- redirects ----------------------------------------------------------------------------
responder_script A <<'EOF'
{"rules": [
 {"match": {"path": "/loop/a"}, "status": 301, "headers": {"Location": "/loop/b"}},
 {"match": {}, "status": 301, "headers": {"Location": "/loop/a"}}
]}
EOF
write_config "$TMP/loop.conf" <<EOF
[account loop]
url = $A_URL/loop/start/
username = sam
password_command = printf %s $CANARY
EOF
MARK=$(log_lines "$TMP/A.log")
run loop sync --config "$TMP/loop.conf" --db "$TMP/loop.db"
both loop
reqs loop "$MARK"
t "redirect loop: exits 1" expect_rc loop 1
t "redirect loop: no crash" no_crash loop
t "redirect loop: the message says so" bash -c "grep -Eiq 'redirect' '$TMP/loop.all' || { cat '$TMP/loop.all'; false; }"
t "redirect loop: few requests (at most 5 redirects per attempt, at most two attempts)" json "$TMP/loop.reqs" "
assert 1 <= len(d['reqs']) <= 14, len(d['reqs'])
"
t "redirect loop: over within 10 s" within loop 10

# Every request to A is sent on to B (another host), which answers as the
# account's server would.  B must never see the credentials.
responder_script A <<EOF
{"rules": [{"match": {}, "status": 307, "headers": {"Location": "$B_URL@PATH@"}}]}
EOF
account_script B WORK_TOKEN=hop-1 PERSONAL_TOKEN=hop-2 <<<'[]' 
AMARK=$(log_lines "$TMP/A.log")
BMARK=$(log_lines "$TMP/B.log")
run hop sync --db "$TMP/hop.db" --verbose
responder_requests A "$AMARK" "$TMP/hopA.reqs"
responder_requests B "$BMARK" "$TMP/hopB.reqs"
t "redirect to another host: no crash" no_crash hop
t "redirect to another host: A was asked" json "$TMP/hopA.reqs" "assert d['reqs'], 'no request reached A'"
t "redirect to another host: B never received an Authorization header" json "$TMP/hopB.reqs" "
bad = [(r['method'], r['path']) for r in d['reqs'] if 'authorization' in r['headers'] or 'proxy-authorization' in r['headers']]
assert not bad, 'credentials sent to B: %s' % bad
"
t "redirect to another host: B's log holds neither the password nor base64(user:password)" \
  bash -c "! grep -qF -e '$CANARY' -e '$CANARY_B64' '$TMP/B.log'"

# ---- OAuth 2.0 ---------------------------------------------------------------------------
setup "responder G (OAuth account) starts" start_responder G
AT1=AT1-0e1f2a3b4c AT2=AT2-5d6e7f8a9b AT3=AT3-c0d1e2f3a4
RT1=RT1-b5c6d7e8f9 RT2=RT2-0a1b2c3d4e RT3=RT3-f5e4d3c2b1
CSECRET=csecret-5e6f7a8b
# G: the token endpoint (codes code-1 and code-2; refresh token RT1; any
# other refresh token refused with invalid_grant), and CalDAV (discovery.json)
# for requests with one of the access tokens only.
"$PY" - "$DISCOVERY" "$WORK_DIR" "$PERSONAL_DIR" "$AT1" "$AT2" "$AT3" "$RT1" "$RT2" "$RT3" <<'PYEOF' | responder_script G
import json, sys
discovery, work, personal, at1, at2, at3, rt1, rt2, rt3 = sys.argv[1:10]
def tokens(access, expires, refresh):
    return {"headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps({"access_token": access, "token_type": "Bearer", "expires_in": expires,
                                "refresh_token": refresh, "scope": "https://www.googleapis.com/auth/calendar"})}
def token_rule(body_contains, answer):
    return dict({"match": {"method": "POST", "path": "/token", "body_contains": body_contains}}, **answer)
rules = [
    token_rule(["grant_type=authorization_code", "code=code-1"], tokens(at1, 30, rt1)),
    token_rule(["grant_type=authorization_code", "code=code-2"], tokens(at3, 30, rt3)),
    token_rule(["grant_type=refresh_token", "refresh_token=" + rt1], tokens(at2, 3600, rt2)),
    token_rule(["grant_type=refresh_token"], {"status": 400, "headers": {"Content-Type": "application/json"},
               "body": json.dumps({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})}),
    {"match": {"method": "POST", "path": "/token"}, "status": 400, "headers": {"Content-Type": "application/json"},
     "body": json.dumps({"error": "invalid_request"})},
    {"match": {"header_absent": ["Authorization"]}, "status": 401,
     "headers": {"WWW-Authenticate": 'Bearer realm="dav"'}},
    {"match": {"header": {"Authorization": "^(?!Bearer (%s|%s|%s)$)" % (at1, at2, at3)}}, "status": 401,
     "headers": {"WWW-Authenticate": 'Bearer realm="dav", error="invalid_token"'}},
]
print(json.dumps({"include": [discovery], "rules": rules,
                  "vars": {"WORK_DIR": work, "PERSONAL_DIR": personal, "WORK_TOKEN": "g-1", "PERSONAL_TOKEN": "g-2"}}))
PYEOF
write_config "$TMP/oauth.conf" <<EOF
[account goog]
url = $G_URL/
auth = oauth2
client_id = diaryd-test-client
client_secret = $CSECRET
auth_url = $G_URL/authorize
token_url = $G_URL/token
EOF
OCONF=(--config "$TMP/oauth.conf")
SECRETS_RE="$AT1|$AT2|$AT3|$RT1|$RT2|$RT3|$CSECRET"

run noauth sync "${OCONF[@]}" --db "$TMP/oauth.db"
t "oauth2 before diaryd auth: exits 1" expect_rc noauth 1
t "oauth2 before diaryd auth: says to run 'diaryd auth goog'" stderr_has noauth 'diaryd auth goog'

# auth_flow NAME CODE [STATE]: runs `diaryd auth goog` in the background,
# reads the URL it prints and plays the browser: the redirect
# with CODE and the state (or STATE instead).  Leaves NAME.out/.err/.rc and
# $TMP/NAME.url.
auth_flow() {
  local name=$1 code=$2 state=${3:-} pid i url
  : >"$TMP/$name.out"
  timeout 40 "$DIARYD" auth goog "${OCONF[@]}" --timeout 20 >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pid=$!
  url=
  for ((i = 0; i < 150; i++)); do
    url=$(grep -hEo 'https?://[^ "<>]*code_challenge[^ "<>]*' "$TMP/$name.out" "$TMP/$name.err" 2>/dev/null | head -1)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  printf '%s\n' "$url" >"$TMP/$name.url"
  if [ -n "$url" ]; then
    "$PY" - "$url" "$code" "$state" >"$TMP/$name.redirect" <<'PYEOF'
import sys, urllib.parse
url, code, state = sys.argv[1:4]
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
back = q.get("redirect_uri", "")
sep = "&" if "?" in back else "?"
print(back + sep + urllib.parse.urlencode({"code": code, "state": state or q.get("state", "")}))
PYEOF
    curl -s --max-time 10 -o "$TMP/$name.page" "$(cat "$TMP/$name.redirect")" || true
  fi
  wait "$pid"
  echo $? >"$TMP/$name.rc"
}

GMARK=$(log_lines "$TMP/G.log")
auth_flow auth1 code-1
responder_requests G "$GMARK" "$TMP/auth1.reqs"
t "diaryd auth: printed the URL to open" test -s "$TMP/auth1.url"
echo '{}' >"$TMP/empty.json"
t "diaryd auth: the URL asks for a code with PKCE (S256), a state and a loopback redirect" json "$TMP/empty.json" "
import urllib.parse
url = open('$TMP/auth1.url').read().strip()
assert url.startswith('$G_URL/authorize?'), url
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
assert q.get('response_type') == 'code', q
assert q.get('client_id') == 'diaryd-test-client', q
assert q.get('code_challenge_method') == 'S256', q
assert re.fullmatch('[A-Za-z0-9_-]{43}', q.get('code_challenge', '')), q.get('code_challenge')
assert len(q.get('state', '')) >= 16, 'state too short: %r' % q.get('state')
assert re.fullmatch(r'http://127\.0\.0\.1:[0-9]+/', q.get('redirect_uri', '')), q.get('redirect_uri')
assert '$CSECRET' not in url, 'the client secret is in the URL'
"
t "diaryd auth: exits 0 once the browser came back" expect_rc auth1 0
t "diaryd auth: the code was traded with the PKCE verifier and the same redirect_uri" json "$TMP/auth1.reqs" "
import base64, hashlib, urllib.parse
url = open('$TMP/auth1.url').read().strip()
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
posts = [r for r in d['reqs'] if r['method'] == 'POST' and r['path'] == '/token']
assert len(posts) == 1, [(r['method'], r['path']) for r in d['reqs']]
f = dict(urllib.parse.parse_qsl(posts[0]['body']))
assert f.get('grant_type') == 'authorization_code' and f.get('code') == 'code-1', f.get('grant_type')
v = f.get('code_verifier', '')
assert 43 <= len(v) <= 128, 'code_verifier of %d characters' % len(v)
want = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b'=').decode()
assert want == q['code_challenge'], 'code_verifier does not match code_challenge'
assert f.get('redirect_uri') == q['redirect_uri'], (f.get('redirect_uri'), q['redirect_uri'])
assert f.get('client_id') == 'diaryd-test-client' or posts[0]['headers'].get('authorization', '').startswith('Basic '), 'no client id'
"
TOKFILE=$XDG_STATE_HOME/diaryd/oauth/goog.json
t "diaryd auth: the tokens are kept in \$XDG_STATE_HOME/diaryd/oauth/goog.json, mode 0600" \
  bash -c "[ \"\$(stat -c %a '$TOKFILE' 2>/dev/null)\" = 600 ] || { ls -l '$TOKFILE'; false; }"
t "diaryd auth: the token file holds the refresh token" grep -q "$RT1" "$TOKFILE"
t "diaryd auth: no token or client secret in its output" bash -c "! grep -Eq '$SECRETS_RE' '$TMP/auth1.out' '$TMP/auth1.err'"

# The access token expires in 30 s: within the 60 s margin, so the next
# command refreshes it first.
GMARK=$(log_lines "$TMP/G.log")
run osync1 sync "${OCONF[@]}" --db "$TMP/oauth.db" --json --verbose
responder_requests G "$GMARK" "$TMP/osync1.reqs"
t "oauth2 sync: exits 0" expect_rc osync1 0
t "oauth2 sync: both calendars synced" json "$TMP/osync1.out" "$SYNCPY
synced(d, 'goog/Work', $(find "$WORK_DIR" -name '*.ics' | wc -l), 0, 0, 0, $(find "$WORK_DIR" -name '*.ics' | wc -l))
synced(d, 'goog/Personal', 2, 0, 0, 0, 2)
"
t "oauth2 sync: the token about to expire was refreshed once, then used" json "$TMP/osync1.reqs" "
import urllib.parse
posts = [dict(urllib.parse.parse_qsl(r['body'])) for r in d['reqs'] if r['path'] == '/token']
assert [(p.get('grant_type'), p.get('refresh_token')) for p in posts] == [('refresh_token', '$RT1')], posts
dav = [r for r in d['reqs'] if r['path'] != '/token']
assert dav, 'no CalDAV request'
assert all(r['headers'].get('authorization') == 'Bearer $AT2' for r in dav), \
    sorted(set(r['headers'].get('authorization', '(none)')[:20] for r in dav))
"
t "oauth2 sync --verbose: no token or client secret in the output" \
  bash -c "! grep -Eq '$SECRETS_RE' '$TMP/osync1.out' '$TMP/osync1.err'"
GMARK=$(log_lines "$TMP/G.log")
run osync2 sync "${OCONF[@]}" --db "$TMP/oauth.db" --json
responder_requests G "$GMARK" "$TMP/osync2.reqs"
t "oauth2: the next command reuses the access token (no token request)" json "$TMP/osync2.reqs" "
assert not [r for r in d['reqs'] if r['path'] == '/token'], 'asked for a token again'
assert all(r['headers'].get('authorization') == 'Bearer $AT2' for r in d['reqs']), 'another token used'
"
t "oauth2: the next sync is unchanged" json "$TMP/osync2.out" "$SYNCPY
unchanged(d, 'goog/Personal', 2)
"

# A wrong state in the redirect: refused, the code never traded.
GMARK=$(log_lines "$TMP/G.log")
auth_flow authbad code-2 forged-state
responder_requests G "$GMARK" "$TMP/authbad.reqs"
t "diaryd auth with a forged state: exits 1" expect_rc authbad 1
t "diaryd auth with a forged state: the code was not traded" json "$TMP/authbad.reqs" "
assert not [r for r in d['reqs'] if r['path'] == '/token'], 'the code was sent to the token endpoint'
"
t "diaryd auth with a forged state: says why" stderr_has authbad 'state|denied|refused|mismatch|match'
run authtimeout auth goog "${OCONF[@]}" --timeout 2
t "diaryd auth when nobody comes back: exits 1" expect_rc authtimeout 1
t "diaryd auth when nobody comes back: gives up after its --timeout" within authtimeout 8

# Authorised again (refresh token RT3, access token expiring), then the
# refresh is refused: invalid_grant means authorising again.
auth_flow auth2 code-2
t "diaryd auth again: exits 0" expect_rc auth2 0
GMARK=$(log_lines "$TMP/G.log")
run orefused sync "${OCONF[@]}" --db "$TMP/oauth.db"
responder_requests G "$GMARK" "$TMP/orefused.reqs"
both orefused
t "refused refresh token: exits 1" expect_rc orefused 1
t "refused refresh token: says to run 'diaryd auth goog' again" bash -c "grep -q 'diaryd auth goog' '$TMP/orefused.all' || { cat '$TMP/orefused.all'; false; }"
t "refused refresh token: one refresh attempt, no CalDAV request with a stale token" json "$TMP/orefused.reqs" "
import urllib.parse
posts = [dict(urllib.parse.parse_qsl(r['body'])) for r in d['reqs'] if r['path'] == '/token']
assert [(p.get('grant_type'), p.get('refresh_token')) for p in posts] == [('refresh_token', '$RT3')], posts
assert not [r for r in d['reqs'] if r['path'] != '/token' and r['headers'].get('authorization') == 'Bearer $AT3'], \
    'the expiring token was used after the refresh failed'
"
t "refused refresh token: no token in the output" bash -c "! grep -Eq '$SECRETS_RE' '$TMP/orefused.all'"

# ---- nothing secret anywhere ---------------------------------------------------------------
t "the password appears in no output of any run" bash -c "! grep -lF -- '$CANARY' '$TMP'/*.out '$TMP'/*.err"
t "nor does base64(user:password)" bash -c "! grep -lF -- '$CANARY_B64' '$TMP'/*.out '$TMP'/*.err"

finish
