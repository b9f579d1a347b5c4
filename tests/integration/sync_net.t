#!/bin/bash
# diaryd sync when the network fails, rather than the server's answers
# (those are in sync_faults.t).  Two accounts, each on its own scripted
# server (tests/tools/responder.py with tests/data/caldav/discovery.json:
# calendars Work and Personal): sam on responder A, pat on responder P.
#
# Faults in one request (A answers everything else): sam/Work fails alone
#   a server that reads the request and never answers
#   slowloris: the head one byte a second; the body one byte every 0.5 s
#   a trickle just fast enough to pass the stall check (256 bytes/s)
#   a chunked body cut before its last chunk (connection closed)
# Faults of the whole host (A stopped, something else on its port): sam's
# calendars fail, pat's sync
#   connection refused (nothing listening)
#   a server that accepts and never reads or answers
#   a server that never accepts (its queue full: SYNs dropped)
#   the same silent server met by a first sync (discovery)
# Each must exit 1 with a message naming the URL (or host and port),
# journal nothing for the calendar that failed, and leave the next sync,
# with the fault gone, to take what it hid.
#
# Timeouts: DIARYD_TEST_HTTP_TIMEOUT=2 below makes them 2 s to connect,
# 2 s under 100 bytes/s (which libcurl, averaging over 5 s, sees up to 5 s
# after the last byte) and 6 s a transfer (agent/http.h; 20 s, 60 s and
# 10 min otherwise).  A timeout is not retried within a sync; a refused
# connection is, after 1, 2 and 4 s (7 s a calendar).  The calendars of an
# account that has not answered yet are tried one after another, so the
# host faults run on sam/Work (and pat) only, except the cheapest.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers

export DIARYD_TEST_HTTP_TIMEOUT=2

setup "responder A (sam's server) starts" start_responder A
setup "responder P (pat's server) starts" start_responder P

WORKP=/dav/calendars/sam/work/
REQPY=$REQPY_ACCOUNT
WORK_DIR=$TMP/srv/work
PERSONAL_DIR=$TMP/srv/personal
PAT_WORK=$TMP/srv/pat-work
PAT_PERSONAL=$TMP/srv/pat-personal
gen_events "$WORK_DIR" 5 work
gen_events "$PERSONAL_DIR" 2 personal
gen_events "$PAT_WORK" 3 patwork
gen_events "$PAT_PERSONAL" 1 patpersonal
WORK_TOKEN=work-token-1
PERSONAL_TOKEN=personal-token-1
PAT_TOKEN=pat-token-1

# scenario: A's script becomes the rules on stdin, then the account's.
scenario() { account_script A; }
pat_scenario() {
  account_script P "WORK_DIR=$PAT_WORK" "PERSONAL_DIR=$PAT_PERSONAL" "WORK_TOKEN=$PAT_TOKEN" \
    PERSONAL_TOKEN=pat-personal-1 <<<'[]'
}
reqs() { responder_requests A "$2" "$TMP/$1.reqs"; }
new_event() { # DIR NAME: one more event in DIR
  ics_event "$2@example.org" 20261210T180000Z 20261210T183000Z "$2" >"$1/$2.ics"
}
count() { find "$1" -name '*.ics' | wc -l; }

# serve_A [--hold accept|noaccept]: A again, on the port it had, with its
# script and logs; with --hold, a server there that never answers.
serve_A() {
  local i
  _not_in_subshell serve_A || return 1
  rm -f "$TMP/A.port"
  "$PY" "$RESPONDER" --script "$TMP/A.json" --log "$TMP/A.log" --sent-log "$TMP/A.sent" \
    --port "$A_PORT" --port-file "$TMP/A.port" "$@" >/dev/null 2>>"$TMP/A.stderr" &
  A_PID=$!
  at_exit "stop_pid $A_PID"
  for ((i = 0; i < 100; i++)); do
    [ -s "$TMP/A.port" ] && return 0
    kill -0 "$A_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "the responder did not start again on port $A_PORT:"
  tail -5 "$TMP/A.stderr"
  return 1
}

write_config <<EOF
[account pat]
url = $P_URL/
username = pat
password = pat-secret

[account sam]
url = $A_URL/
username = sam
password = sam-secret
EOF

scenario <<<'[]'
pat_scenario
run base sync --json
t "baseline: exits 0" expect_rc base 0
t "baseline: sam and pat synced (4 calendars)" json "$TMP/base.out" "$SYNCPY
shape(d)
synced(d, 'sam/Work', 5, 0, 0, 0, 5)
synced(d, 'sam/Personal', 2, 0, 0, 0, 2)
synced(d, 'pat/Work', 3, 0, 0, 0, 3)
synced(d, 'pat/Personal', 1, 0, 0, 0, 1)
"

# ---- a fault in one request: sam/Work fails alone ---------------------------------------
# fault NAME DESC ERE SECONDS: A's fault rules (stdin) first; one new event
# in sam/Work.  `sync --json` must exit 1 within SECONDS with sam/Work
# failed for a reason matching ERE (case-insensitive) that names Work's
# URL, the three other calendars unchanged, nothing journalled; then, the
# fault gone, the next sync takes the new event.
K=1
fault() {
  local name=$1 desc=$2 ere=$3 secs=$4 rules objects
  rules=$(cat)
  K=$((K + 1))
  WORK_TOKEN=work-token-$K
  new_event "$WORK_DIR" "$name"
  objects=$(count "$WORK_DIR")
  scenario <<<"$rules"
  run "$name-j0" journal --json
  MARK=$(log_lines "$TMP/A.log")
  RUN_TIMEOUT=$((secs + 20)) run "$name" sync --json
  reqs "$name" "$MARK"
  t "$desc: exits 1" expect_rc "$name" 1
  t "$desc: no crash" no_crash "$name"
  t "$desc: sam/Work failed, saying why and where; the other calendars unchanged" json "$TMP/$name.out" "$SYNCPY
w = cal(d, 'sam/Work')
assert w['status'] == 'failed', 'Work: status %s, counts %r' % (w['status'], counts(w))
assert re.search(r'''$ere''', w['error'] or '', re.I), 'the reason does not match /$ere/: %r' % w['error']
assert '$A_URL$WORKP' in w['error'], 'the URL is not named: %r' % w['error']
assert len(w['error']) < 500, 'an error of %d characters' % len(w['error'])
unchanged(d, 'sam/Personal', 2)
unchanged(d, 'pat/Work', $(count "$PAT_WORK"))
unchanged(d, 'pat/Personal', 1)
"
  t "$desc: gave up within $secs s" within "$name" "$secs"
  run "$name-j1" journal --json
  t "$desc: nothing journalled" cmp "$TMP/$name-j0.out" "$TMP/$name-j1.out"
  scenario <<<'[]'
  run "$name-after" sync --json
  t "$desc: with the fault gone, the next sync takes the new event" json "$TMP/$name-after.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, $objects)
"
}

fault silent "a server that reads the REPORT and never answers" 'too slow|timed out' 8 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP"}, "delay": 3600}]
EOF
t "never answers: the REPORT was sent once (a timeout is not retried)" json "$TMP/silent.reqs" "$REQPY
assert len(reports(d)) == 1, '%d REPORTs' % len(reports(d))
"

fault slowhead "slowloris: the head one byte a second" 'too slow|timed out' 8 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "listing": {"dir": "@WORK_DIR@", "token": "@WORK_TOKEN@"}, "trickle": 1}]
EOF
t "slowloris head: one REPORT, cut off early" json "$TMP/slowhead.reqs" "$REQPY
rs = reports(d)
assert len(rs) == 1, '%d REPORTs' % len(rs)
"

fault slowbody "slowloris: the body one byte every 0.5 s" 'too slow|timed out' 8 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "listing": {"dir": "@WORK_DIR@", "token": "@WORK_TOKEN@"}, "trickle": 0.5, "trickle_head": false}]
EOF

# 64 bytes every 0.25 s, for ever: faster than the stall limit (100
# bytes/s), so only the transfer's deadline (6 s here) ends it.
fault trickle "an endless trickle of 256 bytes/s" 'Operation timed out after' 10 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "status": 207, "headers": {"Content-Type": "application/xml; charset=utf-8"}, "endless": true,
  "trickle": 0.25, "trickle_bytes": 64, "trickle_head": false,
  "body": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n"}]
EOF
t "endless trickle: ended by the deadline (6 s), not by the stall check" \
  awk -v s="$(secs_of trickle)" 'BEGIN { exit !(s >= 5.5) }'

# The listing in chunks of 256 bytes, cut after 2,000 (the new event, first
# by name, has arrived by then): the connection closes with no last chunk.
fault chunkcut "a chunked listing cut before its last chunk" 'outstanding read data|broke off|partial|closed' 8 <<EOF
[{"match": {"method": "REPORT", "path": "$WORKP", "report": "sync-collection"},
  "listing": {"dir": "@WORK_DIR@", "token": "@WORK_TOKEN@"}, "chunked": true, "chunk_size": 256, "cut_after": 2000}]
EOF
t "cut chunked listing: the answer was chunked and cut (the fault happened), and not asked again" \
  json "$TMP/chunkcut.reqs" "$REQPY
rs = reports(d)
assert len(rs) == 1, '%d REPORTs' % len(rs)
assert rs[0]['sent_bytes'] is not None and rs[0]['sent_bytes'] < 3000, rs[0]['sent_bytes']
"
t "cut chunked listing: the message gives libcurl's reason and says it was not retried" \
  grep -qF 'outstanding read data remaining (the reply broke off after data had arrived: not retried)' "$TMP/chunkcut.out"

# ---- the whole host fails: sam's calendars fail, pat's sync -------------------------------
# host_fault NAME DESC ERE SECONDS SAM_CALENDARS [--hold MODE]: A stopped
# and, with --hold, a server that never answers put on its port; one new
# event in sam/Work and one in pat/Work.  `sync --json pat SAM_CALENDARS...`
# must exit 1 within SECONDS with those calendars failed for a reason
# matching ERE that names A's host and port, pat/Work synced (1 added),
# only pat's event journalled; then, A back, the next sync takes sam's.
host_fault() {
  local name=$1 desc=$2 ere=$3 secs=$4 objects pat_objects j0
  local -a sams
  read -r -a sams <<<"$5"
  shift 5
  K=$((K + 1))
  WORK_TOKEN=work-token-$K
  PAT_TOKEN=pat-token-$K
  new_event "$WORK_DIR" "$name"
  new_event "$PAT_WORK" "pat-$name"
  objects=$(count "$WORK_DIR")
  pat_objects=$(count "$PAT_WORK")
  scenario <<<'[]'
  pat_scenario
  stop_pid "$A_PID"
  if [ $# -gt 0 ]; then
    setup "$desc: the server that never answers is on A's port" serve_A "$@"
  fi
  run "$name-j0" journal --json
  j0=$(jget "$TMP/$name-j0.out" 'max([r["seq"] for r in d["changes"]] or [0])')
  RUN_TIMEOUT=$((secs + 30)) run "$name" sync --json pat "${sams[@]}"
  t "$desc: exits 1" expect_rc "$name" 1
  t "$desc: no crash" no_crash "$name"
  t "$desc: ${sams[*]} failed, naming the server; pat's calendars synced" json "$TMP/$name.out" "$SYNCPY
for label in '${sams[*]}'.split():
    c = cal(d, label)
    assert c['status'] == 'failed', '%s: status %s' % (label, c['status'])
    why = c['error'] or ''
    assert re.search(r'''$ere''', why, re.I), '%s: the reason does not match /$ere/: %r' % (label, why)
    assert '$A_URL/' in why or '127.0.0.1 port $A_PORT' in why, '%s: the server is not named: %r' % (label, why)
synced(d, 'pat/Work', 1, 0, 0, 0, $pat_objects)
unchanged(d, 'pat/Personal', 1)
"
  t "$desc: gave up within $secs s" within "$name" "$secs"
  run "$name-j1" journal --json
  t "$desc: only pat's new event is journalled" json "$TMP/$name-j1.out" "$SYNCPY
journal_is(d, [('pat/Work', 'added', 'pat-$name@example.org', None, '')], after=$j0)
"
  [ $# -gt 0 ] && stop_pid "$A_PID"
  setup "$desc: A serves again on its port" serve_A
  run "$name-after" sync --json
  t "$desc: with A back, the next sync takes sam's new event" json "$TMP/$name-after.out" "$SYNCPY
synced(d, 'sam/Work', 1, 0, 0, 0, $objects)
unchanged(d, 'sam/Personal', 2)
"
}

# 4 attempts, 1 + 2 + 4 s apart: 7 s (a calendar).
host_fault refused "connection refused (nothing listening)" \
  "Failed to connect to 127\\.0\\.0\\.1 port $A_PORT.*Couldn.t connect to server" 10 sam/Work
host_fault blackhole "a server that accepts and never reads or answers" 'too slow' 8 sam/Work --hold accept
# 2 s for sam's first calendar; the second is not tried once the server
# timed out ("not tried: ..."), so the whole sync is not 2 s a calendar.
host_fault noaccept "a server that never accepts (queue full)" 'Connection timed out|Timeout was reached' 5 \
  "sam/Work sam/Personal" --hold noaccept
t "never accepts: the account's other calendar is not tried once the server timed out" \
  grep -q 'not tried: .*\(Connection timed out\|Timeout was reached\)' "$TMP/noaccept.out"

# A first sync (discovery) against the silent server: one timeout, not one
# per URL tried (.well-known/caldav, then the URL), and not "no calendar".
stop_pid "$A_PID"
setup "a silent server on A's port again" serve_A --hold accept
run fresh sync sam --db "$TMP/fresh.db"
t "discovery against a silent server: exits 1" expect_rc fresh 1
t "discovery against a silent server: says the discovery failed, where and why" \
  stderr_has fresh "^diaryd: sam: discovery failed: PROPFIND $A_URL/[^ ]*: .*(too slow|timed out)"
t "discovery against a silent server: does not claim no calendar was found" \
  bash -c "! grep -q 'no CalDAV calendar' '$TMP/fresh.err'"
t "discovery against a silent server: gave up within 8 s (one timeout)" within fresh 8
stop_pid "$A_PID"

finish
