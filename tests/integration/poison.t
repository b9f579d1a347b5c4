#!/bin/bash
# Poison input: calendar objects that cost a naive reader minutes or
# gigabytes.  Each one (tests/tools/poison.py) is read next to an ordinary
# diary: bounded in time and memory, what is refused is said, and the
# ordinary appointments are still checked.  Then the CPU budget itself: an
# object that is legitimate but too costly for the agent's budget
# (DIARYD_CPU_LIMIT=1 here) is set aside by the agent, every other
# appointment is still reminded on time, every reader says what was left
# out, and the object is read again once it changes.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/agent.sh
require_basics

unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
SCALE=${DIARYD_TEST_TIME_SCALE:-1}

utc() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
event() { # event FILE UID START END SUMMARY [LINE...]
  local file=$1 uid=$2 start=$3 end=$4 summary=$5
  shift 5
  mkdir -p "$(dirname "$file")"
  {
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//EN\r\nBEGIN:VEVENT\r\n'
    printf 'UID:%s\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\nLOCATION:Office\r\n' \
      "$uid" "$start" "$end" "$summary"
    [ $# -eq 0 ] || printf '%s\r\n' "$@"
    printf 'END:VEVENT\r\nEND:VCALENDAR\r\n'
  } >"$file.tmp" && mv "$file.tmp" "$file"
}

# ---- 1. each poison object, read with an ordinary diary -------------------------------------
# (time and memory from /usr/bin/time; the limits are hang and blow-up
# guards, not benchmarks: every case takes well under 2 s and 400 MB here)
CASES="never-matching secondly count overlapping exdates vtimezone huge-item properties"
declare -A SAYS=(
  [never-matching]='can never match: ignored'
  [secondly]='occurrences'
  [huge-item]='file too large'
)
"$PY" tests/tools/poison.py "$TMP/poison" $CASES
t "the poison objects are written" test -s "$TMP/poison/huge-item.ics"
for c in $CASES; do
  mkdir -p "$TMP/case-$c"
  ln -s "$TMP/poison/$c.ics" "$TMP/case-$c/$c.ics"
  event "$TMP/case-$c/a.ics" a@example.com 20261216T100000Z 20261216T110000Z "Budget review"
  event "$TMP/case-$c/b.ics" b@example.com 20261216T103000Z 20261216T113000Z "Supplier call"
  /usr/bin/time -f '%e %M' -o "$TMP/$c.time" timeout $((60 * SCALE)) "$DIARYD" check --json --tz UTC \
    --now 2026-12-10T09:00:00Z --from 2026-12-10 --to 2026-12-20 "$TMP/case-$c" >"$TMP/$c.out" 2>"$TMP/$c.err"
  echo $? >"$TMP/$c.rc"
  read -r secs kb < <(tail -1 "$TMP/$c.time") || { secs=999; kb=0; }
  [ "$(cat "$TMP/$c.rc")" -le 1 ] 2>/dev/null || secs=999
  diag "$c: $(wc -c <"$TMP/poison/$c.ics") bytes, read in $secs s, at most $((kb / 1024)) MB"
  t "$c: read in bounded time (under $((10 * SCALE)) s) and exit 0 or 1" \
    awk -v s="$secs" -v max=$((10 * SCALE)) 'BEGIN { exit !(s < max) }'
  # (sanitizer builds, which scale the time limits, take more memory too)
  t "$c: in bounded memory (under $((600 * SCALE)) MB)" test "${kb:-0}" -lt $((600 * SCALE * 1024))
  t "$c: the ordinary appointments are still checked (their clash is found)" json "$TMP/$c.out" "
assert any(f['check'] == 'conflict' and {'Budget review', 'Supplier call'} <= {o.get('summary') for o in f['occurrences']}
           for f in d['findings']), [f['summary'] for f in d['findings']][:5]"
  if [ -n "${SAYS[$c]:-}" ]; then
    t "$c: says what it refused, naming the file" stderr_has "$c" "$c.ics.*${SAYS[$c]}"
  fi
done

# ---- 2. the agent's CPU budget ----------------------------------------------------------------
FOLDER=$XDG_DATA_HOME/diaryd/calendar
mkdir -p "$FOLDER"
# 800,000 properties, 23 MB (under the 32 MB file limit): about 2 s of CPU
# to read, twice the budget set here.
"$PY" - "$FOLDER/heavy.ics" <<'PYEOF'
import sys
sys.path.insert(0, "tests/tools")
import poison
props = "".join("X-HEAVY-%d:value %d\r\n" % (i, i) for i in range(800000))
with open(sys.argv[1], "w", newline="") as f:
    f.write(poison.HEAD + poison.event("heavy", props) + poison.TAIL)
PYEOF
NOW=$(date +%s)
START=$((NOW + 300 + 25 * SCALE))
event "$FOLDER/soon.ics" soon@example.com "$(utc "$START")" "$(utc $((START + 600)))" "Call the plumber" \
  BEGIN:VALARM ACTION:DISPLAY DESCRIPTION:x TRIGGER:-PT5M END:VALARM
export DIARYD_CPU_LIMIT=1
start_agent
t "the agent sets the costly object aside, naming it and why" \
  log_has "heavy\\.ics: set aside \\(reading it used up the 1 s of CPU time a refresh may take\\)" $((30 * SCALE))
t "...and tells the owner" log_has 'alert: An appointment was set aside' $((10 * SCALE))
t "the refresh runs again without it and checks the rest" log_has '^refresh: [1-9][0-9]* occurrences? checked' $((20 * SCALE))
t "another appointment's reminder is still given on time" log_has 'reminder: Call the plumber in 5 min' $((40 * SCALE))
t "the agent keeps running" alive
run ag agenda week --color=never
t "diaryd agenda says what it left out, and why" stderr_has ag 'heavy\.ics: .*left out: reading it used up the 1 s of CPU'
t "...and shows the rest" stdout_has ag 'Call the plumber'
t "the object is left out without being parsed: agenda is quick" awk -v s="$(cat "$TMP/ag.secs")" -v max=$((2 * SCALE)) \
  'BEGIN { exit !(s < max) }'
# Once it changes it is read again (here: made small).
event "$FOLDER/heavy.ics" heavy "$(utc $((NOW + 86400)))" "$(utc $((NOW + 90000)))" "Heavy, now light"
run ag2 agenda week --color=never
t "a changed object is read again" stdout_has ag2 'Heavy, now light'
t "...and no longer said to be left out" eval "! grep -q 'left out' '$TMP/ag2.err'"
kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops the agent, with exit status 0" "$AGENT_PID" 0 $((10 * SCALE))

finish
