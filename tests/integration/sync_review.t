#!/bin/bash
# Regression tests for sync defects, against scripted servers
# (tests/tools/responder.py with tests/data/caldav/discovery.json and the
# fixtures in tests/data/caldav/review/):
#   discover: a principal or calendar home on another host, and a redirect
#     to another host during a sync's discovery: no credentials go there
#   --verbose over HTTP/2 (openssl s_server offering h2): no credentials in
#     the trace
#   a server without sync-collection: a calendar-query cut short (507) is
#     not applied as the whole collection
#   a multiget giving an etag but its calendar-data in a 404 propstat: the
#     member is fetched with GET, never taken as removed
#   a GET answering 500: the sync fails, the token stays, the next sync
#     takes the object (never a permanent bad object)
#   a sync-collection reply reset after its first member: the sync fails,
#     and the next one stores the server's current content
#   a 507 page giving back the token it was sent: fails at once
#   a 403 on one calendar: the other calendars of the account still sync
#   one href spelled two ways (a%40b.ics, a@b.ics): stored once
#   a wrong password: one request, every calendar of the account failed
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers

REVIEW=$PWD/$CALDAV_DATA/review
CANARY=Canary-5e0a-r3view
CANARY_B64=$(printf '%s' "sam:$CANARY" | base64)
WRONG=Wrong-91c4-passw0rd
WRONG_B64=$(printf '%s' "sam:$WRONG" | base64)
WORKP=/dav/calendars/sam/work/
PERSONALP=/dav/calendars/sam/personal/

setup "responder A starts" start_responder A
setup "responder B starts on another host (127.0.0.2)" start_responder B 127.0.0.2

WORK_DIR=$TMP/srv/work
PERSONAL_DIR=$TMP/srv/personal
gen_events "$WORK_DIR" 5 work
gen_events "$PERSONAL_DIR" 2 personal
WORK_TOKEN=rv-1
PERSONAL_TOKEN=personal-token-1

# scenario [VAR=VALUE...]: A's script becomes the rules on stdin followed by
# the scripted account's (see account_script); OTHER is B's base URL.
scenario() { account_script A "OTHER=$B_URL" "$@"; }
# B serves the same account (discovery.json), without asking for credentials.
account_script B WORK_TOKEN=b-1 PERSONAL_TOKEN=b-2 <<<'[]' 
# reqs NAME MARK: A's requests since MARK into $TMP/NAME.reqs (for json).
reqs() { responder_requests A "$2" "$TMP/$1.reqs"; }
# Python helpers for the request logs.
REQPY=$REQPY_ACCOUNT'
PERSONALP = "/dav/calendars/sam/personal/"
def under(d, prefix):
    return [r for r in d["reqs"] if r["path"].split("?")[0].startswith(prefix)]
def gets(d):
    return [(urllib.parse.unquote(r["path"].split("?")[0]), r["status"]) for r in d["reqs"] if r["method"] == "GET"]
def brief(d):
    return [(r["method"], r["path"], r["status"]) for r in d["reqs"]]
'
new_event() { # NAME [SUMMARY]: one more event in Work's folder (UID NAME@example.org)
  ics_event "$1@example.org" 20261210T180000Z 20261210T183000Z "${2:-$1}" >"$WORK_DIR/$1.ics"
}
# set_summary FILE TEXT
set_summary() { sed -i "s/^SUMMARY:.*/SUMMARY:$2\r/" "$1"; }
journal_snapshot() { run "$1" journal --json "${@:2}"; }
last_seq_of() { jget "$TMP/$1.out" 'max([r["seq"] for r in d["changes"]] or [0])'; }

# review_body MODE OUT DIR TOKEN NAME...: a multistatus for the files NAME
# of DIR, written to OUT (hrefs $WORKP + NAME percent-encoded, as the
# responder's "listing" writes them; etags as it computes them):
#   listing      getetag and calendar-data, then DAV:sync-token TOKEN; prints
#                the offset of the end of the first member's response
#   etag-only    getetag in a 200 propstat, calendar-data in a 404 one
#   raw-href     getetag and calendar-data, the href NAME as given (not encoded)
review_body() {
  "$PY" - "$RESPONDER" "$WORKP" "$@" <<'PYEOF'
import importlib.util, os, sys, urllib.parse
spec = importlib.util.spec_from_file_location("responder", sys.argv[1])
R = importlib.util.module_from_spec(spec)
spec.loader.exec_module(R)
prefix, mode, out, folder, token = sys.argv[2:7]
names = sys.argv[7:]
parts = [R.MS_HEAD]
first_end = None
for name in names:
    data = open(os.path.join(folder, name), "rb").read()
    href = prefix + (name if mode == "raw-href" else urllib.parse.quote(name))
    if mode == "etag-only":
        parts.append("<D:response><D:href>%s</D:href>"
                     "<D:propstat><D:prop><D:getetag>%s</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
                     "<D:propstat><D:prop><C:calendar-data/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
                     "</D:response>\n" % (R.xml_text(href), R.xml_text(R.etag_of(data))))
    else:
        parts.append(R.object_response(href, data, True))
    if first_end is None:
        first_end = len("".join(parts).encode("utf-8"))
if mode == "listing":
    parts.append("<D:sync-token>%s</D:sync-token>\n" % R.xml_text(token))
parts.append("</D:multistatus>\n")
open(out, "w", encoding="utf-8", newline="").write("".join(parts))
if mode == "listing":
    print(first_end)
PYEOF
}

# ==== 1. discover: no credentials to a host the server names ================================
# A answers the first PROPFIND with a current-user-principal on B.  The
# credentials (sam, the canary) may go to A only.
scenario <<EOF
[{"match": {"method": "PROPFIND", "path_regex": "^/(dav/?)?$"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$REVIEW/principal-elsewhere.xml"}]
EOF
# no_auth_at_b NAME: B's requests since BMARK (in $TMP/NAME-B.reqs) carry no
# Authorization header, and B's log holds no form of the password.
no_auth_at_b() {
  responder_requests B "$BMARK" "$TMP/$1-B.reqs"
  json "$TMP/$1-B.reqs" "
bad = [(r['method'], r['path'], r['headers'].get('authorization')) for r in d['reqs']
       if 'authorization' in r['headers'] or 'proxy-authorization' in r['headers']]
assert not bad, 'credentials sent to B: %s' % bad
" || return 1
  ! log_since "$TMP/B.log" "$BMARK" | grep -qF -e "$CANARY" -e "$CANARY_B64" || { echo "B's log holds the password"; return 1; }
}
# a_got_auth NAME: A's requests since AMARK were made with sam's credentials.
a_got_auth() {
  responder_requests A "$AMARK" "$TMP/$1-A.reqs"
  json "$TMP/$1-A.reqs" "
assert d['reqs'], 'A was never asked'
assert any(r['headers'].get('authorization') == 'Basic $CANARY_B64' for r in d['reqs']), \
    'no request to A carried the credentials: %s' % [(r['method'], r['path']) for r in d['reqs']]
"
}
AMARK=$(log_lines "$TMP/A.log")
BMARK=$(log_lines "$TMP/B.log")
run disc1 discover "$A_URL/dav/" --username sam --password-command "printf %s $CANARY"
t "discover, principal on another host: no crash" no_crash disc1
t "discover, principal on another host: A was asked with the credentials" a_got_auth disc1
t "discover, principal on another host: no Authorization header reached B" no_auth_at_b disc1
diag "discover, principal on another host: B received $(log_since "$TMP/B.log" "$BMARK" | grep -c .) request(s); exit $(rc_of disc1)"

# The principal (on A) names a calendar home on B.
scenario <<EOF
[{"match": {"method": "PROPFIND", "path": "/dav/principals/sam/"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$REVIEW/home-elsewhere.xml"}]
EOF
AMARK=$(log_lines "$TMP/A.log")
BMARK=$(log_lines "$TMP/B.log")
run disc2 discover "$A_URL/dav/" --username sam --password-command "printf %s $CANARY" --json
t "discover, calendar home on another host: no crash" no_crash disc2
t "discover, calendar home on another host: A was asked with the credentials" a_got_auth disc2
t "discover, calendar home on another host: no Authorization header reached B" no_auth_at_b disc2

# The same through --account NAME: the account's credentials, from its config.
write_config "$TMP/disc.conf" <<EOF
[account sam]
url = $A_URL/dav/
username = sam
password_command = printf %s $CANARY
EOF
scenario <<EOF
[{"match": {"method": "PROPFIND", "path_regex": "^/(dav/?)?$"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$REVIEW/principal-elsewhere.xml"}]
EOF
AMARK=$(log_lines "$TMP/A.log")
BMARK=$(log_lines "$TMP/B.log")
run disc3 discover --account sam --config "$TMP/disc.conf"
t "discover --account, principal on another host: no crash" no_crash disc3
t "discover --account, principal on another host: A was asked with the credentials" a_got_auth disc3
t "discover --account, principal on another host: no Authorization header reached B" no_auth_at_b disc3

# A sync's discovery: A's principal URL redirects (307) to B; B then names
# its own calendar home and calendars, which the sync asks for directly.
scenario <<EOF
[{"match": {"path": "/dav/principals/sam/"}, "status": 307, "headers": {"Location": "$B_URL/dav/principals/sam/"}}]
EOF
write_config "$TMP/redir.conf" <<EOF
[account sam]
url = $A_URL/
username = sam
password_command = printf %s $CANARY
EOF
AMARK=$(log_lines "$TMP/A.log")
BMARK=$(log_lines "$TMP/B.log")
run redir sync --config "$TMP/redir.conf" --db "$TMP/redir.db" --json
t "sync discovery redirected to another host: no crash" no_crash redir
t "sync discovery redirected to another host: A was asked with the credentials" a_got_auth redir
t "sync discovery redirected to another host: B was asked (the redirect was followed)" \
  test "$(log_since "$TMP/B.log" "$BMARK" | grep -c .)" -gt 0
t "sync discovery redirected to another host: no Authorization header reached B" no_auth_at_b redir

# ==== 2. --verbose over HTTP/2 ===============================================================
# openssl s_server offers h2 by ALPN (it does not speak HTTP/2: the request
# gets no answer, and the run is stopped).  libcurl traces HTTP/2 request
# headers as text lines; none may show the credentials.
if command -v openssl >/dev/null; then
  H2=$TMP/h2
  mkdir -p "$H2"
  if openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 1 \
    -keyout "$H2/k.pem" -out "$H2/c.pem" >"$H2/req.log" 2>&1; then
    pass "HTTP/2: a self-signed certificate for localhost"
    H2PORT=$(free_port)
    openssl s_server -accept "127.0.0.1:$H2PORT" -alpn h2 -cert "$H2/c.pem" -key "$H2/k.pem" -quiet \
      </dev/null >"$H2/server.out" 2>"$H2/server.err" &
    H2PID=$!
    at_exit "stop_pid $H2PID"
    for ((i = 0; i < 50; i++)); do
      (exec 3<>"/dev/tcp/127.0.0.1/$H2PORT") 2>/dev/null && break
      sleep 0.1
    done
    RUN_TIMEOUT=6 run h2 discover --ca-file "$H2/c.pem" -u alice --password-command "printf %s $CANARY" -v \
      "https://localhost:$H2PORT/dav/"
    H2_B64=$(printf '%s' "alice:$CANARY" | base64)
    t "HTTP/2 --verbose: the trace shows that h2 was negotiated" stderr_has h2 'ALPN.*accepted.*h2|[Uu]sing HTTP/?2'
    t "HTTP/2 --verbose: the request headers were traced (PROPFIND over HTTP/2)" \
      stderr_has h2 'PROPFIND /dav/ HTTP/2|:method: PROPFIND'
    t "HTTP/2 --verbose: the credentials were sent, and their trace hidden" \
      stderr_has h2 '[Aa]uthori[sz]ation.*hidden|secret header.*hidden'
    t "HTTP/2 --verbose: the password is not on stderr" bash -c "! grep -F -- '$CANARY' '$TMP/h2.err'"
    t "HTTP/2 --verbose: base64(alice:password) is not on stderr" bash -c "! grep -F -- '$H2_B64' '$TMP/h2.err'"
    t "HTTP/2 --verbose: nor on stdout" bash -c "! grep -F -e '$CANARY' -e '$H2_B64' '$TMP/h2.out'"
  else
    fail "HTTP/2: a self-signed certificate for localhost" "$(cat "$H2/req.log")"
  fi
else
  fail "HTTP/2 --verbose: openssl is installed (apt-get install openssl)"
fi

# ==== 3. a server without sync-collection: a listing cut short ================================
# Work has a ctag but no sync token, and refuses sync-collection (501); it
# is synced with calendar-query every time.
C3_DIR=$TMP/srv/c3
gen_events "$C3_DIR" 5 nosync
c3_scenario() { # CTAG [RULES]
  scenario "WORK_DIR=$C3_DIR" "WORK_CTAG=$1" <<EOF
[{"match": {"method": "PROPFIND", "path": "$WORKP"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$REVIEW/propfind-work-no-sync.xml"},
 {"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"}, "status": 501,
  "headers": {"Content-Type": "text/plain"}, "body": "not implemented\n"}${2:+,$2}]
EOF
}
write_config <<EOF
[account sam]
url = $A_URL/
username = sam
password_command = printf %s $CANARY
EOF
C3DB=(--db "$TMP/c3.db")
c3_scenario c3-1
run c3a sync "${C3DB[@]}" --json
t "no sync-collection: the first sync exits 0" expect_rc c3a 0
t "no sync-collection: the first sync takes the 5 objects" json "$TMP/c3a.out" "$SYNCPY
synced(d, 'sam/Work', 5, 0, 0, 0, 5, 'calendar-query')
"
run c3b sync "${C3DB[@]}" --json
t "no sync-collection: the second sync is unchanged (the ctag is learnt)" json "$TMP/c3b.out" "$SYNCPY
unchanged(d, 'sam/Work', 5)
"
# One more event on the server, the ctag changes, and the calendar-query
# lists two members and a 507 for the collection.
ics_event c3-new@example.org 20261210T180000Z 20261210T183000Z "Added behind a 507" >"$C3_DIR/c3-new.ics"
c3_scenario c3-2 "{\"match\": {\"method\": \"REPORT\", \"path\": \"$WORKP\", \"report\": \"calendar-query\"},
  \"listing\": {\"dir\": \"@WORK_DIR@\", \"names\": [\"nosync-00000.ics\", \"nosync-00001.ics\"], \"truncated\": true}}"
journal_snapshot c3-j0 "${C3DB[@]}"
MARK=$(log_lines "$TMP/A.log")
run c3c sync "${C3DB[@]}" --json
reqs c3c "$MARK"
t "no sync-collection, calendar-query cut short (507): exits 1" expect_rc c3c 1
t "no sync-collection, calendar-query cut short (507): the listing was asked for and cut" json "$TMP/c3c.reqs" "$REQPY
q = reports(d, kind='calendar-query')
assert len(q) == 1 and q[0]['status'] == 207, brief(d)
"
t "no sync-collection, calendar-query cut short (507): Work failed, Personal unaffected" json "$TMP/c3c.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r' % (w['status'], counts(w))
assert w['removed'] == 0, counts(w)
assert re.search('507|short|truncat|incomplete', w['error'] or '', re.I), w['error']
assert cal(d, 'sam/Personal')['status'] != 'failed', cal(d, 'sam/Personal')
"
journal_snapshot c3-j1 "${C3DB[@]}"
t "no sync-collection, calendar-query cut short (507): nothing journalled (no 'removed')" \
  cmp "$TMP/c3-j0.out" "$TMP/c3-j1.out"
c3_scenario c3-2
run c3d sync "${C3DB[@]}" --json
t "no sync-collection: with the whole listing back, the next sync adds the new event and removes nothing" \
  json "$TMP/c3d.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, 6, 'calendar-query')
"
J0=$(last_seq_of c3-j0)
journal_snapshot c3-j2 "${C3DB[@]}"
t "no sync-collection: the journal gained exactly that one 'added'" json "$TMP/c3-j2.out" "$SYNCPY
journal_is(d, [('sam/Work', 'added', 'c3-new@example.org', None, '')], after=$J0)
"

# ==== the main account: a baseline ==============================================================
scenario <<<'[]'
run base sync --json
t "baseline: sync exits 0" expect_rc base 0
t "baseline: Work 5 added, Personal 2 added" json "$TMP/base.out" "$SYNCPY
synced(d, 'sam/Work', 5, 0, 0, 0, 5)
synced(d, 'sam/Personal', 2, 0, 0, 0, 2)
"
run base2 sync --json
t "baseline: a second sync is unchanged" json "$TMP/base2.out" "$SYNCPY
unchanged(d, 'sam/Work', 5)
unchanged(d, 'sam/Personal', 2)
"

# ==== 4. a multiget with the etag but calendar-data in a 404 propstat ============================
OLD=$WORK_TOKEN
WORK_TOKEN=rv-4
set_summary "$WORK_DIR/work-00001.ics" "Changed for the multiget"
new_event mg404
review_body etag-only "$TMP/mg404.xml" "$WORK_DIR" - work-00001.ics mg404.ics
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"},
  "listing": {"dir": "@WORK_DIR@", "names": ["work-00001.ics", "mg404.ics"], "token": "@WORK_TOKEN@", "data": false}},
 {"match": {"method": "REPORT", "path": "$WORKP", "report": "calendar-multiget"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$TMP/mg404.xml", "raw": true},
 {"match": {"method": "GET", "path": "${WORKP}work-00001.ics"}, "headers": {"Content-Type": "text/calendar"},
  "body_file": "$WORK_DIR/work-00001.ics", "raw": true},
 {"match": {"method": "GET", "path": "${WORKP}mg404.ics"}, "headers": {"Content-Type": "text/calendar"},
  "body_file": "$WORK_DIR/mg404.ics", "raw": true}]
EOF
journal_snapshot mg-j0
J0=$(last_seq_of mg-j0)
MARK=$(log_lines "$TMP/A.log")
run mg sync --json
reqs mg "$MARK"
t "multiget without calendar-data (404 propstat): exits 0" expect_rc mg 0
t "multiget without calendar-data (404 propstat): the multiget was sent, then a GET of each member" \
  json "$TMP/mg.reqs" "$REQPY
assert len(reports(d, kind='calendar-multiget')) >= 1, brief(d)
got = sorted(gets(d))
assert got == [(WORKP + 'mg404.ics', 200), (WORKP + 'work-00001.ics', 200)], got
"
t "multiget without calendar-data (404 propstat): Work 1 added, 1 modified, 0 removed" json "$TMP/mg.out" "$SYNCPY
synced(d, 'sam/Work', 1, 1, 0, 0, 6, 'sync-collection')
unchanged(d, 'sam/Personal', 2)
"
journal_snapshot mg-j1
t "multiget without calendar-data (404 propstat): journal: the addition and the SUMMARY change, no removal" \
  json "$TMP/mg-j1.out" "$SYNCPY
journal_is(d, [
    ('sam/Work', 'added', 'mg404@example.org', None, ''),
    ('sam/Work', 'modified', 'work-00001@diaryd.test', None, 'SUMMARY'),
], after=$J0)
"

# ==== 5. a GET answering 500 ======================================================================
# The member is listed without data, the multiget is refused (501), and
# the GET fails with 500 every time: the sync fails and keeps its token.
OLD=$WORK_TOKEN
WORK_TOKEN=rv-5
new_event get500 "Fetched one by one"
get500_rules() { # GET_STATUS
  cat <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"},
  "listing": {"dir": "@WORK_DIR@", "names": ["get500.ics"], "token": "@WORK_TOKEN@", "data": false}},
 {"match": {"method": "REPORT", "path": "$WORKP", "report": "calendar-multiget"}, "status": 501,
  "headers": {"Content-Type": "text/plain"}, "body": "no multiget here\n"},
 {"match": {"method": "GET", "path": "${WORKP}get500.ics"}, "status": $1,
  "headers": {"Content-Type": "text/calendar"}, "body_file": "$WORK_DIR/get500.ics", "raw": true}]
EOF
}
get500_rules 500 | scenario
journal_snapshot g5-j0
J0=$(last_seq_of g5-j0)
MARK=$(log_lines "$TMP/A.log")
run g5 sync --json
reqs g5 "$MARK"
t "GET 500: exits 1" expect_rc g5 1
t "GET 500: the member was listed without data, the multiget refused, the GET answered 500" json "$TMP/g5.reqs" "$REQPY
assert [token_of(r) for r in reports(d)] == ['$OLD'], [token_of(r) for r in reports(d)]
assert [r['status'] for r in reports(d, kind='calendar-multiget')] == [501], brief(d)
g = gets(d)
assert g and all(x == (WORKP + 'get500.ics', 500) for x in g), g
"
t "GET 500: Work failed, saying why; no bad object; Personal unaffected" json "$TMP/g5.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r, problems %r' % (w['status'], counts(w), w['problems'])
assert re.search('500|GET|server', w['error'] or '', re.I), w['error']
assert w['bad'] == 0, w['problems']
unchanged(d, 'sam/Personal', 2)
"
journal_snapshot g5-j1
t "GET 500: nothing journalled" cmp "$TMP/g5-j0.out" "$TMP/g5-j1.out"
get500_rules 200 | scenario
MARK=$(log_lines "$TMP/A.log")
run g5b sync --json
reqs g5b "$MARK"
t "GET 500, then 200: the next sync sends the same old token" json "$TMP/g5b.reqs" "$REQPY
assert [token_of(r) for r in reports(d)] == ['$OLD'], [token_of(r) for r in reports(d)]
assert gets(d) == [(WORKP + 'get500.ics', 200)], gets(d)
"
t "GET 500, then 200: the next sync stores the object (1 added, 0 bad)" json "$TMP/g5b.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, 7, 'sync-collection')
"
journal_snapshot g5-j2
t "GET 500, then 200: journal: the object added" json "$TMP/g5-j2.out" "$SYNCPY
journal_is(d, [('sam/Work', 'added', 'get500@example.org', None, '')], after=$J0)
"
MARK=$(log_lines "$TMP/A.log")
run g5c sync --json
reqs g5c "$MARK"
t "GET 500, then 200: the sync after that starts from the new token and is unchanged" json "$TMP/g5c.reqs" "$REQPY
assert [token_of(r) for r in reports(d)] in ([], ['$WORK_TOKEN']), [token_of(r) for r in reports(d)]
out = json.load(open('$TMP/g5c.out'))
w = [c for c in out['calendars'] if c['calendar'] == 'Work'][0]
assert w['status'] == 'unchanged' and w['objects'] == 7, w
"

# ==== 6. a sync-collection reply reset after its first member =====================================
# Two objects change to v2 (token rv-6a); the reply carrying them is reset
# after the first member.  By the next request both are at v3 (rv-6b).
# Only v3 may end up stored.
OLD=$WORK_TOKEN
V2=$TMP/srv/v2
mkdir -p "$V2"
for f in work-00002 work-00003; do
  cp "$WORK_DIR/$f.ics" "$V2/$f.ics"
  set_summary "$V2/$f.ics" "Reset case v2"
  set_summary "$WORK_DIR/$f.ics" "Reset case v3"
done
RESET_AT=$(review_body listing "$TMP/v2.xml" "$V2" rv-6a work-00002.ics work-00003.ics)
RESET_AT=$((RESET_AT + 40))
WORK_TOKEN=rv-6b
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"}, "times": 1, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$TMP/v2.xml", "raw": true,
  "reset_after": $RESET_AT},
 {"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"},
  "listing": {"dir": "@WORK_DIR@", "names": ["work-00002.ics", "work-00003.ics"], "token": "@WORK_TOKEN@"}}]
EOF
journal_snapshot rs-j0
J0=$(last_seq_of rs-j0)
MARK=$(log_lines "$TMP/A.log")
run rs sync --json
reqs rs "$MARK"
t "reset after the first member: exits 1" expect_rc rs 1
t "reset after the first member: the reply was cut after its first member, and not asked again" \
  json "$TMP/rs.reqs" "$REQPY
rs = reports(d)
assert len(rs) == 1, [(token_of(r), r['status'], r['sent_bytes'], r['complete']) for r in rs]
assert rs[0]['sent_bytes'] is not None and rs[0]['sent_bytes'] <= $RESET_AT + 400, rs[0]['sent_bytes']
"
t "reset after the first member: Work failed, Personal unaffected" json "$TMP/rs.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r' % (w['status'], counts(w))
unchanged(d, 'sam/Personal', 2)
"
journal_snapshot rs-j1
t "reset after the first member: nothing journalled" cmp "$TMP/rs-j0.out" "$TMP/rs-j1.out"
MARK=$(log_lines "$TMP/A.log")
run rs2 sync --json
reqs rs2 "$MARK"
t "reset, then the next sync: exits 0, 2 modified" json "$TMP/rs2.out" "$SYNCPY
synced(d, 'sam/Work', 0, 2, 0, 0, 7, 'sync-collection')
"
t "reset, then the next sync: it starts again from the old token" json "$TMP/rs2.reqs" "$REQPY
assert [token_of(r) for r in reports(d)] == ['$OLD'], [token_of(r) for r in reports(d)]
"
journal_snapshot rs-j2
t "reset, then the next sync: journal: the two SUMMARY changes" json "$TMP/rs-j2.out" "$SYNCPY
journal_is(d, [
    ('sam/Work', 'modified', 'work-00002@diaryd.test', None, 'SUMMARY'),
    ('sam/Work', 'modified', 'work-00003@diaryd.test', None, 'SUMMARY'),
], after=$J0)
"
run rs-occ occurrences --json "${WINDOW[@]}"
t "reset, then the next sync: the store holds the server's content (v3, never v2)" json "$TMP/rs-occ.out" "
s = {o['uid']: o['summary'] for o in d['occurrences']}
assert s.get('work-00002@diaryd.test') == 'Reset case v3', s.get('work-00002@diaryd.test')
assert s.get('work-00003@diaryd.test') == 'Reset case v3', s.get('work-00003@diaryd.test')
assert s.get('work-00001@diaryd.test') == 'Changed for the multiget', s.get('work-00001@diaryd.test')
assert len([u for u in s if u.startswith('work-')]) == 5, sorted(s)
"
MARK=$(log_lines "$TMP/A.log")
run rs3 sync --json
reqs rs3 "$MARK"
t "reset: the sync after that starts from rv-6b and is unchanged" json "$TMP/rs3.reqs" "$REQPY
assert [token_of(r) for r in reports(d)] in ([], ['rv-6b']), [token_of(r) for r in reports(d)]
out = json.load(open('$TMP/rs3.out'))
w = [c for c in out['calendars'] if c['calendar'] == 'Work'][0]
assert w['status'] == 'unchanged', w
"

# ==== 7. a 507 page that gives back the token it was sent ===========================================
OLD=$WORK_TOKEN
WORK_TOKEN=rv-7
new_event loop507
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"},
  "listing": {"dir": "@WORK_DIR@", "names": ["loop507.ics"], "truncated": true, "token": "$OLD"}}]
EOF
journal_snapshot lp-j0
MARK=$(log_lines "$TMP/A.log")
RUN_TIMEOUT=30 run lp sync --json
reqs lp "$MARK"
t "507 with the same token: exits 1" expect_rc lp 1
t "507 with the same token: over quickly (under 10 s)" within lp 10
t "507 with the same token: at most 2 REPORTs" json "$TMP/lp.reqs" "$REQPY
n = len(reports(d))
assert 1 <= n <= 2, '%d sync-collection REPORTs' % n
"
t "507 with the same token: Work failed, the message names the 507 or the token" json "$TMP/lp.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r' % (w['status'], counts(w))
assert re.search('507|token', w['error'] or '', re.I), w['error']
unchanged(d, 'sam/Personal', 2)
"
journal_snapshot lp-j1
t "507 with the same token: nothing journalled" cmp "$TMP/lp-j0.out" "$TMP/lp-j1.out"
scenario <<<'[]'
run lp2 sync --json
t "507 with the same token: with a normal answer, the next sync takes the new event" json "$TMP/lp2.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, 8)
"

# ==== 8. a 403 on one calendar ======================================================================
OLD=$WORK_TOKEN
WORK_TOKEN=rv-8
new_event w403
scenario <<EOF
[{"match": {"path_prefix": "$PERSONALP"}, "status": 403, "headers": {"Content-Type": "text/plain"}, "body": "forbidden\n"}]
EOF
MARK=$(log_lines "$TMP/A.log")
run f403 sync --json
reqs f403 "$MARK"
t "403 on Personal: exits 1" expect_rc f403 1
t "403 on Personal: Work synced (1 added), Personal failed with the 403" json "$TMP/f403.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, 9)
p = cal(d, 'sam/Personal')
assert p['status'] == 'failed', p
assert re.search('403|refused|forbidden', p['error'] or '', re.I), p['error']
"
t "403 on Personal: Work's requests were made (its sync-collection REPORT)" json "$TMP/f403.reqs" "$REQPY
assert [(token_of(r), r['status']) for r in reports(d)] == [('$OLD', 207)], brief(d)
p = under(d, PERSONALP)
assert p and all(r['status'] == 403 for r in p), brief(d)
"
MARK=$(log_lines "$TMP/A.log")
run f403t sync
t "403 on Personal, text form: exits 1" expect_rc f403t 1
t "403 on Personal, text form: 'sam/Work: unchanged'" sync_line f403t sam/Work "$(unchanged_re 9)"
t "403 on Personal, text form: 'sam/Personal: failed: ...'" sync_line f403t sam/Personal 'failed: .*(403|refused|forbidden)'
scenario <<<'[]'
run f403b sync --json
t "403 gone: both calendars unchanged" json "$TMP/f403b.out" "$SYNCPY
unchanged(d, 'sam/Work', 9)
unchanged(d, 'sam/Personal', 2)
"

# ==== 9. one href spelled two ways ====================================================================
# The listing says a%40b.ics; the multiget answers a@b.ics (the same
# resource, RFC 3986 §6.2.2.2).  A GET of either spelling would also work.
OLD=$WORK_TOKEN
WORK_TOKEN=rv-9
ics_event ab-review@example.org 20261211T100000Z 20261211T103000Z "Spelled two ways" >"$WORK_DIR/a@b.ics"
review_body raw-href "$TMP/ab.xml" "$WORK_DIR" - a@b.ics
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"},
  "listing": {"dir": "@WORK_DIR@", "names": ["a@b.ics"], "token": "@WORK_TOKEN@", "data": false}},
 {"match": {"method": "REPORT", "path": "$WORKP", "report": "calendar-multiget"}, "status": 207,
  "headers": {"Content-Type": "application/xml; charset=utf-8"}, "body_file": "$TMP/ab.xml", "raw": true},
 {"match": {"method": "GET", "path_regex": "/a(%40|@)b\\\\.ics$"}, "headers": {"Content-Type": "text/calendar"},
  "body_file": "$WORK_DIR/a@b.ics", "raw": true}]
EOF
journal_snapshot ab-j0
J0=$(last_seq_of ab-j0)
MARK=$(log_lines "$TMP/A.log")
run ab sync --json
reqs ab "$MARK"
t "href spelled two ways: exits 0" expect_rc ab 0
t "href spelled two ways: the listing said a%40b.ics and the multiget answered a@b.ics" json "$TMP/ab.reqs" "$REQPY
mg = reports(d, kind='calendar-multiget')
assert len(mg) == 1, brief(d)
assert urllib.parse.quote('a@b.ics') == 'a%40b.ics'  # the listing's spelling (the responder quotes names)
answer = open('$TMP/ab.xml', encoding='utf-8').read()
assert '<D:href>' + WORKP + 'a@b.ics</D:href>' in answer and 'a%40b' not in answer, answer[:300]
"
t "href spelled two ways: stored once (1 added, 0 bad)" json "$TMP/ab.out" "$SYNCPY
c = synced(d, 'sam/Work', 1, 0, 0, 0, 10, 'sync-collection')
assert c['problems'] == [], c['problems']
"
journal_snapshot ab-j1
t "href spelled two ways: journal: one 'added'" json "$TMP/ab-j1.out" "$SYNCPY
journal_is(d, [('sam/Work', 'added', 'ab-review@example.org', None, '')], after=$J0)
"
# A full listing (the token refused) spells it a%40b.ics again: the stored
# object is the same one, nothing changes.
OLD=$WORK_TOKEN
WORK_TOKEN=rv-10
scenario <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "sync_token": "$OLD"}, "status": 412, "body": "no such token\n"}]
EOF
MARK=$(log_lines "$TMP/A.log")
run ab2 sync --json
reqs ab2 "$MARK"
t "href spelled two ways, then a full listing: nothing added, modified or removed; 0 bad" json "$TMP/ab2.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'unchanged' and w['objects'] == 10, (w['status'], counts(w), w['problems'])
"
t "href spelled two ways, then a full listing: it listed a%40b.ics and fetched nothing" json "$TMP/ab2.reqs" "$REQPY
q = reports(d, kind='calendar-query')
assert len(q) == 1, brief(d)
assert not reports(d, kind='calendar-multiget') and not gets(d), brief(d)
"
journal_snapshot ab-j2
t "href spelled two ways, then a full listing: nothing journalled" cmp "$TMP/ab-j1.out" "$TMP/ab-j2.out"

# ==== 10. a wrong password, two calendars, discovery not due ===========================================
RIGHT_RE=$("$PY" -c 'import re, sys; print(re.escape(sys.argv[1]))' "Basic $CANARY_B64")
"$PY" - "$RIGHT_RE" <<'PYEOF' | scenario
import json, sys
print(json.dumps([
    {"match": {"header_absent": ["Authorization"]}, "status": 401,
     "headers": {"WWW-Authenticate": 'Basic realm="dav"', "Content-Type": "text/plain"}, "body": "who are you?\n"},
    {"match": {"header": {"Authorization": "^(?!%s$)" % sys.argv[1]}}, "status": 401,
     "headers": {"WWW-Authenticate": 'Basic realm="dav"', "Content-Type": "text/plain"}, "body": "wrong password\n"},
]))
PYEOF
run pw-ok sync --json
t "wrong password: with the right one, the account syncs (unchanged)" json "$TMP/pw-ok.out" "$SYNCPY
unchanged(d, 'sam/Work', 10)
unchanged(d, 'sam/Personal', 2)
"
write_config <<EOF
[account sam]
url = $A_URL/
username = sam
password_command = printf %s $WRONG
EOF
MARK=$(log_lines "$TMP/A.log")
run pw sync
reqs pw "$MARK"
t "wrong password: exits 1" expect_rc pw 1
t "wrong password: exactly one request, with the wrong credentials (refused with 401)" json "$TMP/pw.reqs" "$REQPY
assert len(d['reqs']) == 1, brief(d)
assert d['reqs'][0]['headers'].get('authorization') == 'Basic $WRONG_B64', d['reqs'][0]['headers'].get('authorization')
assert d['reqs'][0]['status'] == 401, brief(d)
"
t "wrong password: 'sam/Work: failed: ...'" sync_line pw sam/Work 'failed: .+'
t "wrong password: 'sam/Personal: failed: ...'" sync_line pw sam/Personal 'failed: .+'

# ---- nothing secret anywhere
responder_requests B 0 "$TMP/B-all.reqs"
t "B's whole log: no request carried an Authorization header" json "$TMP/B-all.reqs" "
bad = [(r['method'], r['path']) for r in d['reqs'] if 'authorization' in r['headers'] or 'proxy-authorization' in r['headers']]
assert d['reqs'], 'B was never asked'
assert not bad, 'credentials sent to B: %s' % bad
" ------------------------------------------------------------------------
t "the password appears in no output of any run" bash -c "! grep -lF -- '$CANARY' '$TMP'/*.out '$TMP'/*.err"
t "nor does base64(user:password)" bash -c "! grep -lF -- '$CANARY_B64' '$TMP'/*.out '$TMP'/*.err"

finish
