#!/usr/bin/env bash
# The agent benchmark: `diaryd run` with 10,000 synced events, on a private
# desktop (D-Bus session bus, Xvfb, dunst: tests/integration/desktop.sh)
# against Radicale on 127.0.0.1.  Measures the issue's targets:
#   - idle RSS under 15 MB (VmRSS of the agent; its children's peak RSS is
#     reported next to it);
#   - between deadlines the agent sleeps: its wake-ups over 60 s are nothing
#     but the sync interval and the due triggers;
#   - a reminder fires within 1 s of its trigger.
# Run from anywhere; called at the end of tests/bench/run.sh (make bench).
#
# What it does:
#   1. Radicale serves one calendar of 10,000 generated events, the warmed
#      storage sync_bench.sh keeps in tests/bench/out/sync-storage-10000
#      (seeded and warmed here, the same way, when missing: one to two
#      minutes);
#   2. a private desktop starts, so reminders reach a real notification server;
#   3. `diaryd run` starts with sync_interval = 5m (the default) and review =
#      off, its log timestamped on receipt (as journald would); once its first
#      sync and refresh are done, 5 events with a VALARM are PUT on the
#      server and the agent is told to sync (SIGUSR1);
#   4. three windows of 60 s, nothing else touching the agent:
#        idle       nothing due (the next sync is minutes away): expected 0
#        reminders  5 reminders due, 11 s apart: expected 5 timer wake-ups
#        sync       sync_interval = 1m (SIGHUP), one scheduled sync due in it
#      counting, per thread, the context switches (voluntary + involuntary,
#      /proc/PID/task/TID/status) and, with perf (perf record of the agent's
#      system calls, read back with perf trace -i; it neither stops the
#      process as strace would nor preempts it at every call as a live perf
#      trace does), every return from a blocking call, each put down to its
#      cause (the timerfd, the D-Bus socket, a child's exit, ...); the
#      reminder delay runs from the trigger to the moment dunst received the
#      notification (DUNST_TIMESTAMP), with the agent's timer and its
#      "reminder:" log line in between.
#   5. No calendar agent installed here serves as a peer (Debian's remind,
#      calcurse or evolution-alarm-notify are not installed; vdirsyncer is no
#      resident program): the targets are the reference, and the table shows
#      next to them, measured in the same run, the agent's own children (what
#      the agent would weigh if it held the diary itself; /usr/bin/time on a
#      copy of its store), dunst (a resident
#      GLib/D-Bus desktop daemon on the same desktop) and python3 with
#      icalendar + recurring_ical_events imported (the floor of an agent written
#      with the naive baseline's libraries, holding nothing).
#
# Prints a Markdown report and writes it to tests/bench/out/agent.md (and the
# agent's log and the wake-up details to tests/bench/out/agent-*.txt).  Exits
# 0 when every measurement ran, whatever the figures (PASS/FAIL against the
# targets is in the table), non-zero when the script itself failed.
#
# Environment: AGENT_BENCH_WINDOW (60 s), AGENT_BENCH_REMINDERS (5),
# AGENT_BENCH_DIARYD (build/diaryd), AGENT_BENCH_PERF=0 (no perf: context
# switches only), AGENT_BENCH_KEEP=1 (keep the temp dir, as TMP.kept).  About
# 5 minutes (plus one or two, once, to seed the calendar).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
PY=/usr/bin/python3
BENCH=tests/bench
OUT=$BENCH/out
N=10000
SEED=1
WIN=${AGENT_BENCH_WINDOW:-60} # seconds (lib.sh has a WINDOW of its own)
NREM=${AGENT_BENCH_REMINDERS:-5}
SPACING=11 # seconds between two reminders
DAV_USER=bench
DAV_PASS=bench-secret
DIARYD_SRC=${AGENT_BENCH_DIARYD:-$ROOT/build/diaryd}
USE_PERF=${AGENT_BENCH_PERF:-1}

say() { echo "agent_bench: $*" >&2; }
die() {
  echo "agent_bench.sh: $*" >&2
  exit 1
}

[[ -x $DIARYD_SRC ]] || die "$DIARYD_SRC is missing; run 'make' first"
for tool in /usr/bin/time curl radicale dunst Xvfb dbus-daemon timeout; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
"$PY" -c 'import radicale' 2>/dev/null || die "radicale is missing (Debian package radicale)"
if [[ $USE_PERF == 1 ]] && ! { command -v perf && timeout 20 perf record -q -o /dev/null -e raw_syscalls:sys_enter -- true &&
  timeout 20 perf trace -o /dev/null -- true; } >/dev/null 2>&1; then
  say "perf record/trace do not work here: wake-ups are counted, not put down to their causes"
  USE_PERF=0
fi
(( WIN >= 30 && NREM >= 1 && NREM * SPACING <= WIN )) ||
  die "AGENT_BENCH_WINDOW must be at least 30 s and hold the reminders, $SPACING s apart"

# The helpers of the integration tests: $TMP (removed at exit, with every
# process registered by at_exit stopped, the last registered first), the
# XDG directories under it, Radicale (servers.sh) and the desktop.
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
# shellcheck source=tests/integration/servers.sh
. tests/integration/servers.sh
# shellcheck source=tests/integration/desktop.sh
. tests/integration/desktop.sh
set -euo pipefail # (lib.sh sets LC_ALL=C.UTF-8: the agent's texts are UTF-8)
if [[ ${AGENT_BENCH_KEEP:-0} == 1 ]]; then # registered first: runs last, once every process is stopped
  at_exit "rm -rf '$TMP.kept'; cp -a '$TMP' '$TMP.kept'; echo 'agent_bench.sh: kept $TMP.kept' >&2"
fi
mkdir -p "$OUT"
FACTS=$TMP/facts.tsv # key<TAB>value, for the report
: >"$FACTS"
fact() { printf '%s\t%s\n' "$1" "$2" >>"$FACTS"; }

# ---- the calendar: the warmed storage of sync_bench.sh -------------------------------

RADICALE_VERSION=$("$PY" -c 'import radicale; print(radicale.VERSION)')
PRISTINE=$OUT/sync-storage-$N
# The same stamp as sync_bench.sh: the two share the seeded storage.
STAMP="$(cat "$BENCH/sync_seed.py" "$BENCH/gen_diary.py" | sha256sum | cut -c1-16) radicale-$RADICALE_VERSION n-$N seed-$SEED"
if [[ ! -d $PRISTINE || "$(cat "$PRISTINE.stamp" 2>/dev/null)" != "$STAMP" ]]; then
  rm -rf "$PRISTINE" "$PRISTINE.stamp" "$PRISTINE.tmp"
  say "seeding $N events into $PRISTINE (once)"
  "$PY" "$BENCH/sync_seed.py" --objects "$N" --seed "$SEED" "$PRISTINE.tmp" "$DAV_USER" cal >"$PRISTINE.tmp.seed"
  RADICALE_STORAGE=$ROOT/$PRISTINE.tmp
  start_radicale "$DAV_USER" "$DAV_PASS" >"$TMP/radicale-start.out" || die "Radicale did not start: $(cat "$TMP/radicale-start.out")"
  say "warming Radicale's item cache (once; Radicale parses every item, about a minute for 10,000)"
  t0=$EPOCHREALTIME
  curl -sS -f -o /dev/null -u "$DAV_USER:$DAV_PASS" -X PROPFIND -H 'Depth: 0' -H 'Content-Type: application/xml' \
    --data '<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/><sync-token/></prop></propfind>' \
    "${RADICALE_URL}$DAV_USER/cal/"
  t1=$EPOCHREALTIME
  stop_radicale || true
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$PRISTINE.tmp.cold"
  mv "$PRISTINE.tmp.seed" "$PRISTINE.seed"
  mv "$PRISTINE.tmp.cold" "$PRISTINE.cold"
  mv "$PRISTINE.tmp" "$PRISTINE"
  echo "$STAMP" >"$PRISTINE.stamp"
  RADICALE_STORAGE=$RADICALE_ROOT/collections
fi
fact seed "$(cat "$PRISTINE.seed")"
fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

say "copying the warmed storage to $RADICALE_STORAGE"
mkdir -p "$RADICALE_STORAGE"
cp -a "$PRISTINE/collection-root" "$RADICALE_STORAGE/"
CAL_DIR=$RADICALE_STORAGE/collection-root/$DAV_USER/cal
[[ $(find "$CAL_DIR" -maxdepth 1 -type f -name '*.ics' | wc -l) -eq $N ]] || die "expected $N items in $CAL_DIR"
start_radicale "$DAV_USER" "$DAV_PASS" >"$TMP/radicale-start.out" || die "Radicale did not start: $(cat "$TMP/radicale-start.out")"
CAL_URL=${RADICALE_URL}$DAV_USER/cal/

# ---- the desktop -----------------------------------------------------------------------

say "starting a private desktop (dbus-daemon, Xvfb, dunst)"
desktop_start >"$TMP/desktop-start.out" 2>&1 || die "the desktop did not start: $(cat "$TMP/desktop-start.out")"
DUNST_PID=$DESKTOP_DUNST_PID

# ---- the agent --------------------------------------------------------------------------

# A copy of the binary: a rebuild during the run must not change what runs.
DIARYD=$TMP/bin/diaryd
mkdir -p "$TMP/bin"
cp "$DIARYD_SRC" "$DIARYD"
# `diaryd run` execs diaryd-agent from beside it: copy that too.
cp "$(dirname "$DIARYD_SRC")/diaryd-agent" "$TMP/bin/diaryd-agent"
CONFIG=$XDG_CONFIG_HOME/diaryd/config
DB=$XDG_STATE_HOME/diaryd/diaryd.db
write_agent_config() { # write_agent_config INTERVAL
  # shellcheck disable=SC2119 # write_config's FILE: the default
  write_config <<EOF || die "cannot write $CONFIG"
[account $DAV_USER]
url = $CAL_URL
username = $DAV_USER
password_command = printf %s $DAV_PASS

[agent]
sync_interval = $1
review = off
EOF
}
write_agent_config 5m

# The agent's stdout and stderr (and its children's) go through a pipe to a
# reader that puts the wall-clock time of receipt before each line.
AGENT_LOG=$TMP/agent.log
: >"$AGENT_LOG"
cat >"$TMP/stamp.py" <<'PYEOF'
import os, sys, time
out = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
rest = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    now = b"%.6f " % time.time()
    lines = (rest + chunk).split(b"\n")
    rest = lines.pop()
    if lines:
        os.write(out, b"".join(now + line + b"\n" for line in lines))
if rest:
    os.write(out, b"%.6f " % time.time() + rest + b"\n")
PYEOF
mkfifo "$TMP/agent.fifo"
"$PY" "$TMP/stamp.py" "$AGENT_LOG" <"$TMP/agent.fifo" &
STAMP_PID=$!
at_exit "stop_pid $STAMP_PID"
env -u JOURNAL_STREAM -u NOTIFY_SOCKET -u WATCHDOG_USEC "$DIARYD" run >"$TMP/agent.fifo" 2>&1 </dev/null &
AGENT_PID=$!
at_exit "stop_pid $AGENT_PID"

log_count() { wc -l <"$AGENT_LOG" | tr -d ' '; }
# log_wait FROM ERE SECS: until a log line after line FROM has a message (the
# text after the time) matching ERE; prints that line's number.
log_wait() {
  local from=$1 ere=$2 secs=$3 deadline n
  deadline=$(($(date +%s) + secs))
  while :; do
    n=$(tail -n +"$((from + 1))" "$AGENT_LOG" | cut -d' ' -f2- | grep -nE -m1 -- "$ere" | cut -d: -f1) || true
    if [[ -n $n ]]; then
      echo $((from + n))
      return 0
    fi
    kill -0 "$AGENT_PID" 2>/dev/null || die "the agent died; its log:
$(tail -30 "$AGENT_LOG")"
    (($(date +%s) < deadline)) || die "the agent's log shows no /$ere/ after line $from within ${secs}s; it ends:
$(tail -30 "$AGENT_LOG")"
    sleep 0.1
  done
}
log_text() { sed -n "${1}p" "$AGENT_LOG" | cut -d' ' -f2-; } # log_text LINE

SYNC_RE="^$DAV_USER/[^:]+: ([0-9]+ added|unchanged)"
say "starting diaryd run; waiting for its first sync and refresh"
line=$(log_wait 0 '^diaryd: started' 20)
line=$(log_wait "$line" "$SYNC_RE" 300)
fact first_sync "$(log_text "$line")"
line=$(log_wait "$line" '^refresh: [0-9]+ occurrences checked' 300)
fact first_refresh "$(log_text "$line")"
sleep 3

# ---- measuring helpers ----------------------------------------------------------------

# mem PID: "VmRSS VmHWM RssAnon RssFile RssShmem Pss Threads" in kB (Pss from smaps_rollup).
mem() {
  local pid=$1 pss
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
  awk -v pss="${pss:-0}" '/^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem|Threads):/ { v[$1] = $2 }
    END { print v["VmRSS:"], v["VmHWM:"], v["RssAnon:"], v["RssFile:"], v["RssShmem:"], pss, v["Threads:"] }' \
    "/proc/$pid/status"
}

# snapshot FILE: per thread of the agent, "tid comm voluntary nonvoluntary
# utime stime runtime" (utime and stime in clock ticks, runtime in ns from
# schedstat), after a line "time T".
snapshot() {
  local f=$1 task comm
  {
    echo "time $EPOCHREALTIME"
    for task in /proc/"$AGENT_PID"/task/*; do
      comm=$(tr ' ' '_' <"$task/comm" 2>/dev/null) || continue
      printf '%s %s %s %s\n' "${task##*/}" "$comm" \
        "$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { printf "%s ", $2 }' "$task/status" 2>/dev/null)" \
        "$(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{ print $12, $13 }') $(cut -d' ' -f1 "$task/schedstat" 2>/dev/null)"
    done
  } >"$f"
}

# store_sql SQL: runs SQL on a read-only connection to the agent's store.
store_sql() {
  "$PY" - "$DB" "$1" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
for row in con.execute(sys.argv[2]):
    print("\t".join("" if v is None else str(v) for v in row))
PYEOF
}

# sleep_until EPOCH (seconds, decimals allowed)
sleep_until() {
  local left
  left=$(awk -v t="$1" -v now="$EPOCHREALTIME" 'BEGIN { d = t - now; printf "%.3f", (d > 0 ? d : 0) }')
  sleep "$left"
}

# window NAME START: one measured window of $WIN seconds from START (epoch
# seconds): per-thread snapshots at both ends, the agent's system calls
# recorded around it, and what the store says is due in it (reminders,
# syncs), read just before.  The calls are recorded by `perf record` (events
# raw_syscalls:*, CLOCK_MONOTONIC, this process's threads only): the kernel
# buffers them and perf wakes only when a buffer fills, so the agent is not
# preempted for it (a live `perf trace -p` is, at every call: tens of
# involuntary context switches more per window); `perf trace -i` formats
# them afterwards, with the agent's fd table (taken before) naming the fds.
window() {
  local name=$1 start=$2 end perf_pid=
  end=$((start + WIN))
  store_sql "SELECT next_at, kind, summary FROM reminders WHERE state IN (0, 2) AND next_at >= $start AND next_at < $end ORDER BY next_at" \
    >"$TMP/w-$name.due-reminders"
  store_sql "SELECT next_at, calendar FROM sync_status WHERE next_at >= $start AND next_at < $end" >"$TMP/w-$name.due-syncs"
  if [[ $USE_PERF == 1 ]]; then
    sleep_until "$((start - 2))"
    find "/proc/$AGENT_PID/fd" -mindepth 1 -printf '%f %l\n' >"$TMP/w-$name.fds" 2>/dev/null || true
    perf record -q -k CLOCK_MONOTONIC --no-inherit -e raw_syscalls:sys_enter,raw_syscalls:sys_exit \
      -p "$AGENT_PID" -o "$TMP/w-$name.data" >"$TMP/w-$name.perf.err" 2>&1 &
    perf_pid=$!
    PERF_PID=$perf_pid
  fi
  sleep_until "$start"
  snapshot "$TMP/w-$name.before"
  echo "log $(log_count)" >>"$TMP/w-$name.before"
  say "window '$name': $WIN s from $(date -u -d "@$start" +%H:%M:%S) UTC"
  sleep_until "$end"
  snapshot "$TMP/w-$name.after"
  echo "log $(log_count)" >>"$TMP/w-$name.after"
  if [[ -n $perf_pid ]]; then
    sleep 1
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    PERF_PID=
    if ! perf trace -i "$TMP/w-$name.data" -T -o "$TMP/w-$name.perf" 2>>"$TMP/w-$name.perf.err"; then
      say "perf trace -i failed for window $name (its wake-ups are counted, not put down to causes): $(tail -3 "$TMP/w-$name.perf.err")"
      rm -f "$TMP/w-$name.data"
    fi
  fi
  fact "window_$name" "$start $end"
}

# shellcheck disable=SC2034 # PERF_PID: read when at_exit evaluates the line below
PERF_PID=
# shellcheck disable=SC2016
at_exit '[ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null'

MEM_SETTLED=$(mem "$AGENT_PID")
fact mem_settled "$MEM_SETTLED"

# ---- reminders on the server, then the windows ---------------------------------------

# Reminder k (1..NREM) is due SPACING*k-5 s into the reminders window, which
# follows the idle window; the idle window starts once the sync that brings
# the reminders and its refresh are done.
NOW=$(date +%s)
IDLE_START=$((NOW + 40))
REM_START=$((IDLE_START + WIN + 4))
for ((k = 1; k <= NREM; k++)); do
  due=$((REM_START + SPACING * k - 5))
  start=$((due + 600))
  echo "$k $due" >>"$TMP/reminders.due"
  dav_put "${CAL_URL}bench-reminder-$k.ics" "$(ics_event "bench-reminder-$k@diaryd.test" \
    "$(date -u -d "@$start" +%Y%m%dT%H%M%SZ)" "$(date -u -d "@$((start + 1800))" +%Y%m%dT%H%M%SZ)" \
    "Bench reminder $k" "LOCATION:Room $k" \
    BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M "DESCRIPTION:Bench reminder $k" END:VALARM)" >"$TMP/put.out" ||
    die "PUT of reminder $k failed: $(cat "$TMP/put.out")"
done
line=$(log_count)
kill -USR1 "$AGENT_PID"
line=$(log_wait "$line" "$SYNC_RE" 60)
fact reminder_sync "$(log_text "$line")"
line=$(log_wait "$line" '^refresh: [0-9]+ occurrences checked' 60)
fact reminder_refresh "$(log_text "$line")"
(($(date +%s) <= IDLE_START - 3)) || die "the sync and refresh after SIGUSR1 took too long to leave a quiet idle window"
[[ $(store_sql "SELECT count(*) FROM reminders WHERE uid LIKE 'bench-reminder-%' AND state = 0") == "$NREM" ]] ||
  die "the store does not hold the $NREM bench reminders as pending"

window idle "$IDLE_START"
window reminders "$REM_START"
MEM_AFTER_REMINDERS=$(mem "$AGENT_PID")
fact mem_after_reminders "$MEM_AFTER_REMINDERS"

# A sync inside the window: the interval becomes 1 minute (SIGHUP reloads,
# which syncs and refreshes at once); the window is placed so that the next
# scheduled sync falls about a third of the way in.
write_agent_config 1m
line=$(log_count)
kill -HUP "$AGENT_PID"
line=$(log_wait "$line" '^refresh: [0-9]+ occurrences checked' 60)
line=$(log_wait "$line" "$SYNC_RE" 60)
sleep 1
NEXT_SYNC=$(store_sql "SELECT min(next_at) FROM sync_status")
[[ $NEXT_SYNC =~ ^[0-9]+$ ]] || die "no next sync time in the store"
SYNC_START=$((NEXT_SYNC - WIN / 3))
NOW=$(date +%s)
((SYNC_START >= NOW + 3)) || SYNC_START=$((NOW + 3))
fact next_sync "$NEXT_SYNC"
window sync "$SYNC_START"
MEM_END=$(mem "$AGENT_PID")
fact mem_end "$MEM_END"
# Where the agent's resident pages are: kB per mapping (file, [heap], [anon], ...).
awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" } /^Rss:/ { rss[name] += $2 }
  END { for (n in rss) if (rss[n]) print rss[n], n }' "/proc/$AGENT_PID/smaps" | sort -rn >"$TMP/smaps.txt"
# The libraries a main loop of GLib/GIO, libnotify, SQLite and libsystemd needs
# (those and what ldd lists for them): the report estimates what the others cost.
awk '$6 ~ /\/lib(notify|sqlite3|systemd|gio-2\.0)\.so/ { print $6 }' "/proc/$AGENT_PID/maps" | sort -u |
  while read -r lib; do
    echo "$lib"
    ldd "$lib" 2>/dev/null | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
  done | xargs -r readlink -f | xargs -r -n1 basename | sort -u >"$TMP/lean-libs.txt"
fact load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
DUNST_MEM=$(mem "$DUNST_PID")
fact mem_dunst "$DUNST_MEM"

# The clocks dunst (CLOCK_BOOTTIME) and dunst's log script (CLOCK_MONOTONIC) use, against the wall clock.
fact clock_offsets "$("$PY" -c 'import time
r1 = time.time(); b = time.clock_gettime(time.CLOCK_BOOTTIME); m = time.monotonic(); r2 = time.time()
r = (r1 + r2) / 2
print("%.6f %.6f" % (r - b, r - m))')"
cp "$DESKTOP_DIR/shown.jsonl" "$TMP/shown.jsonl"

# ---- the children, measured on a copy of the store -----------------------------------

say "peak RSS of the agent's children: diaryd refresh and a no-op diaryd sync, on a copy of the store"
mkdir -p "$TMP/copy"
"$PY" - "$DB" "$TMP/copy/diaryd.db" <<'PYEOF'
import sqlite3, sys
src = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()
PYEOF
child() { # child NAME ARGS...
  local name=$1 rc=0
  shift
  /usr/bin/time -f '%e %M' -o "$TMP/$name.time" timeout 300 "$DIARYD" "$@" --db "$TMP/copy/diaryd.db" --config "$CONFIG" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  ((rc == 0)) || die "diaryd $* exited with $rc: $(cat "$TMP/$name.err")"
  fact "child_$name" "$(cat "$TMP/$name.time") $(tail -n 1 "$TMP/$name.out")"
}
child refresh refresh
child sync sync
child refresh2 refresh

# The floor of an agent written with the naive baseline's libraries.
fact mem_python "$("$PY" -c 'import icalendar, recurring_ical_events
print(" ".join(l.split()[1] for l in open("/proc/self/status") if l.startswith(("VmRSS:", "VmHWM:"))))' 2>/dev/null || echo '- -')"

# ---- stop the agent --------------------------------------------------------------------

kill -TERM "$AGENT_PID"
for ((i = 0; i < 100; i++)); do
  kill -0 "$AGENT_PID" 2>/dev/null || break
  sleep 0.1
done
rc=0
wait "$AGENT_PID" || rc=$?
fact agent_exit "$rc"
sleep 0.3
cp "$AGENT_LOG" "$OUT/agent-log.txt"

# ---- report ----------------------------------------------------------------------------

for name in idle reminders sync; do # the agent's system calls in each window, as perf trace -i read them
  [[ ! -f $TMP/w-$name.perf ]] || cp "$TMP/w-$name.perf" "$OUT/agent-syscalls-$name.txt"
done
"$PY" - "$TMP" "$OUT" "$FACTS" "$NREM" "$USE_PERF" \
  "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "machine=$(nproc) CPUs, $(uname -m), Linux $(uname -r)" \
  "radicale=$RADICALE_VERSION" "dunst=$(dunst -v 2>&1 | head -n 1)" \
  "glib=$(dpkg-query -W -f '${Version}' libglib2.0-0 2>/dev/null || echo '?')" \
  "window=$WIN" "command=tests/bench/agent_bench.sh" <<'PYEOF'
import json, os, re, statistics, sys, time

tmp, out, facts_path, nrem, use_perf = sys.argv[1:6]
nrem, use_perf = int(nrem), use_perf == "1"
meta = dict(a.split("=", 1) for a in sys.argv[6:])
facts = {}
for line in open(facts_path, encoding="utf-8"):
    k, _, v = line.rstrip("\n").partition("\t")
    facts[k] = v
real_minus_boot, real_minus_mono = (float(x) for x in facts["clock_offsets"].split())
TARGET_RSS_KB = 15 * 1024
TARGET_DELAY_S = 1.0
# Calls a thread sleeps in; one that returned after at least SLEPT_MS slept.
WAITS = {"poll", "ppoll", "epoll_wait", "epoll_pwait", "select", "pselect6", "futex", "nanosleep",
         "clock_nanosleep", "wait4", "waitid", "read", "recvmsg", "accept4"}
SLEPT_MS = 0.1
QUIET_S = 2.0  # a wake-up after every thread slept this long starts a new episode


def mb(kb):
    return "%.1f MB" % (int(kb) / 1024)


def mem(key):
    names = ("rss", "hwm", "anon", "file", "shmem", "pss", "threads")
    return dict(zip(names, (int(x) for x in facts[key].split())))


def hms(t):
    return time.strftime("%H:%M:%S", time.gmtime(t)) + ("%.3f" % (t % 1))[1:]


def ms(s):
    return "%.0f ms" % (s * 1000) if abs(s) >= 0.0095 else "%.1f ms" % (s * 1000)


# ---- perf: the agent's system calls ----------------------------------------------------------

LINE = re.compile(r"^\s*(\?|[\d.]+) \(\s*(?:([\d.]+) ms)?\s*\): (.+?)/(\d+) +(.*)$")


def parse_perf(path):
    """Completed system calls in the order perf printed them: start and end
    (wall clock; start None when the call began before the recording)."""
    calls, entered = [], {}
    if not os.path.exists(path):
        return calls
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        ts, dur, comm, tid, rest = m.groups()
        rest = rest.strip()
        if rest.endswith("...") and not rest.startswith("..."):
            sc = re.match(r"(\w+)\((.*)\)\s*\.\.\.$", rest)
            if sc:  # entered; its "[continued]" line tells the return
                entered[tid] = sc.groups()
            continue
        cont = re.match(r"\.\.\. \[continued\]: (\w+)\(\)\)\s*=\s*(.*)$", rest)
        if cont:
            name, ret = cont.group(1), cont.group(2)
            args = entered.pop(tid, (name, ""))[1] if entered.get(tid, ("",))[0] == name else ""
        else:
            sc = re.match(r"(\w+)\((.*)\)\s*=\s*(.*)$", rest)
            if not sc:
                continue
            name, args, ret = sc.groups()
        start = None if ts == "?" else float(ts) / 1000 + real_minus_mono
        end = start + float(dur) / 1000 if start is not None and dur else start
        calls.append({"start": start, "end": end, "name": name, "args": args, "ret": ret.strip(),
                      "comm": comm, "tid": int(tid), "before": ts == "?"})
    return calls


def fd_kind(args, fdmap):
    m = re.match(r"u?fd: (\d+)(?:<([^>]*)>)?", args)
    if not m:
        return None, ""
    fd = int(m.group(1))
    what = m.group(2) or fdmap.get(fd, "")
    for key, kind in (("timerfd", "timerfd"), ("eventfd", "eventfd"), ("socket:", "socket"), ("pipe:", "pipe"),
                      ("inotify", "inotify"), ("signalfd", "signalfd"), ("pidfd", "pidfd")):
        if key in what:
            return fd, kind
    return fd, what


def uaddr(args):
    m = re.match(r"uaddr: (0x[0-9a-f]+)", args)
    return m.group(1) if m else None


def slept(c):
    return c["name"] in WAITS and c["end"] is not None and (
        c["before"] or (c["end"] - c["start"]) * 1000 >= SLEPT_MS)


def analyse(calls, fdmap, w0, w1):
    """The thread wake-ups between w0 and w1 with their causes, grouped into
    episodes; the timer expirations; the store's flushes."""
    seqs = {}
    for c in calls:
        seqs.setdefault(c["tid"], []).append(c)
    for seq in seqs.values():  # a call that began before the recording ends when the next one starts
        for i, c in enumerate(seq):
            if c["end"] is None:
                c["end"] = next((d["start"] for d in seq[i + 1:] if d["start"] is not None), None)
    writes = sorted((c["end"], c["tid"], fd_kind(c["args"], fdmap)[0]) for c in calls
                    if c["name"] == "write" and c["end"] is not None)
    futex_wakes = sorted((c["end"], c["tid"], uaddr(c["args"])) for c in calls
                         if c["name"] == "futex" and "WAKE" in c["args"] and c["end"] is not None)
    wakes = []
    for tid, seq in seqs.items():
        for i, c in enumerate(seq):
            if not slept(c):
                continue
            follow = [c] if c["name"] in ("read", "recvmsg", "waitid", "wait4", "futex") and not c["before"] else []
            for d in seq[i + 1:]:
                if slept(d):
                    break
                follow.append(d)
            cause, by = "unknown", None
            for d in follow:
                fd, kind = fd_kind(d["args"], fdmap)
                if d["name"] == "read" and kind == "timerfd":
                    cause = "timer"
                elif d["name"] in ("waitid", "wait4") and not d["ret"].startswith("-"):
                    cause = "child exit"
                elif d["name"] == "recvmsg" and kind == "socket" and not d["ret"].startswith("-"):
                    cause = "D-Bus message"
                elif d["name"] == "read" and kind == "inotify":
                    cause = "folder change (inotify)"
                elif d["name"] == "rt_sigreturn" or "EINTR" in d["ret"]:
                    cause = "signal"
                elif d["name"] == "read" and kind in ("pipe", "") and d["ret"] == "0" and d is c and any(
                        e["name"] in ("clone", "clone3", "vfork") for e in seq[max(0, i - 8):i]):
                    cause = "child started (exec)"  # GLib waits for the child's exec on a pipe
                elif d["name"] == "futex" and d is c and "WAIT" in d["args"]:
                    waker = [w for w in futex_wakes if w[2] == uaddr(d["args"]) and w[1] != tid and w[0] <= d["end"] + 1e-4]
                    if waker:  # a lock or condition another thread released
                        cause, by = "thread", waker[-1][1]
                elif d["name"] == "read" and fd is not None:
                    writer = [w for w in writes if w[2] == fd and w[1] != tid and w[0] <= d["start"] + 1e-4]
                    if writer:
                        cause, by = "thread", writer[-1][1]
                if cause != "unknown":
                    break
            if cause == "unknown" and c["name"] in ("poll", "ppoll", "epoll_wait", "epoll_pwait", "select"):
                # it went on to wait for a lock before reading: woken by what another thread just wrote
                writer = [w for w in writes if w[1] != tid and c["end"] - 0.005 <= w[0] <= c["end"] + 1e-4]
                if writer:
                    cause, by = "thread", writer[-1][1]
            wakes.append({"t": c["end"], "tid": tid, "comm": c["comm"], "cause": cause, "by": by,
                          "slept": None if c["before"] else c["end"] - c["start"]})
    wakes.sort(key=lambda w: w["t"])
    comm = {c["tid"]: c["comm"] for c in calls}
    root = {}
    for w in wakes:
        if w["cause"] == "thread":
            w["root"] = root.get(w["by"], "unknown")
            w["cause"] = "woken by " + comm.get(w["by"], str(w["by"]))
        elif w["cause"] == "child started (exec)":
            w["root"] = root.get(w["tid"], "unknown")
        else:
            w["root"] = w["cause"]
        root[w["tid"]] = w["root"]
    inside = [w for w in wakes if w0 <= w["t"] < w1]
    ends = sorted(c["end"] for c in calls if c["end"] is not None)
    episodes = []
    for w in inside:
        prev = [t for t in ends if t < w["t"] - 1e-6]
        quiet = w["t"] - prev[-1] if prev else None
        new = not episodes or (w["t"] - episodes[-1]["wakes"][-1]["t"] > QUIET_S and (quiet is None or quiet >= 1.0))
        if new and w["root"] == "child exit" and episodes:
            new = False  # the end of a child the agent started: part of what started it
        if new:
            episodes.append({"t": w["t"], "trigger": w["root"], "wakes": []})
        episodes[-1]["wakes"].append(w)
    for i, e in enumerate(episodes):
        e_end = episodes[i + 1]["t"] if i + 1 < len(episodes) else w1
        e["flushes"] = sum(1 for c in calls if c["name"] in ("fdatasync", "fsync") and e["t"] <= c["end"] < e_end)
        e["children"] = sum(1 for c in calls if c["name"] in ("clone", "clone3", "fork", "vfork") and
                            e["t"] <= c["end"] < e_end and not c["ret"].startswith("-"))
    timers = [c["end"] for c in calls if c["name"] == "read" and fd_kind(c["args"], fdmap)[1] == "timerfd"
              and c["ret"] == "8" and w0 <= c["end"] < w1]
    return inside, episodes, timers


# ---- the windows ---------------------------------------------------------------------------------

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def snapshot(path):
    threads, t = {}, None
    for line in open(path):
        parts = line.split()
        if parts[0] == "time":
            t = float(parts[1])
        elif len(parts) >= 6 and parts[0].isdigit():
            # CPU: schedstat's run time (ns) when the kernel has it, else utime + stime (clock ticks)
            cpu = int(parts[6]) / 1e6 if len(parts) >= 7 else (int(parts[4]) + int(parts[5])) * TICK_MS
            threads[int(parts[0])] = (parts[1], int(parts[2]), int(parts[3]), cpu)
    return t, threads


def rows_of(path):
    return [l.rstrip("\n").split("\t") for l in open(path) if l.strip()] if os.path.exists(path) else []


NAMES = ("idle", "reminders", "sync")
windows = {}
for name in NAMES:
    t0, before = snapshot(f"{tmp}/w-{name}.before")
    t1, after = snapshot(f"{tmp}/w-{name}.after")
    threads = []
    for tid in sorted(set(before) | set(after)):
        b = before.get(tid, (after.get(tid, ("?",))[0], 0, 0, 0))
        a = after.get(tid, b)
        threads.append({"tid": tid, "comm": a[0], "vol": a[1] - b[1], "invol": a[2] - b[2],
                        "cpu_ms": a[3] - b[3], "note": "new" if tid not in before else
                        "gone" if tid not in after else ""})
    due_rem = sorted({int(r[0]) for r in rows_of(f"{tmp}/w-{name}.due-reminders")})
    due_sync = sorted({int(r[0]) for r in rows_of(f"{tmp}/w-{name}.due-syncs")})
    w = {"t0": t0, "t1": t1, "threads": threads, "due_rem": due_rem, "due_sync": due_sync,
         "expected": len(set(due_rem) | set(due_sync)), "perf": False}
    fdmap = {}
    if os.path.exists(f"{tmp}/w-{name}.fds"):
        for line in open(f"{tmp}/w-{name}.fds"):
            fd, _, target = line.rstrip("\n").partition(" ")
            if fd.isdigit():
                fdmap[int(fd)] = target
    calls = parse_perf(f"{tmp}/w-{name}.perf") if use_perf else []
    if use_perf and os.path.exists(f"{tmp}/w-{name}.data"):
        w["wakes"], w["episodes"], w["timers"] = analyse(calls, fdmap, t0, t1)
        w["perf"] = True
        w["calls"] = sum(1 for c in calls if c["end"] is not None and t0 <= c["end"] < t1)
        if not calls and any(t["vol"] + t["invol"] for t in threads):
            w["perf"] = False  # perf recorded nothing while the threads ran: it did not work
    windows[name] = w

# ---- reminder delays -----------------------------------------------------------------------------

due = {int(k): int(t) for k, t in (l.split() for l in open(f"{tmp}/reminders.due"))}
log_at, dunst_at, shown_at = {}, {}, {}
for line in open(f"{tmp}/agent.log", encoding="utf-8", errors="replace"):
    ts, _, msg = line.rstrip("\n").partition(" ")
    m = re.match(r"diaryd: reminder: Bench reminder (\d+) ", msg)
    if m:
        log_at.setdefault(int(m.group(1)), float(ts))
for line in open(f"{tmp}/shown.jsonl", encoding="utf-8"):
    r = json.loads(line)
    m = re.match(r"Bench reminder (\d+) ", r.get("summary") or "")
    if m:
        # DUNST_TIMESTAMP: dunst's CLOCK_BOOTTIME in ms when the Notify call arrived;
        # "logged": CLOCK_MONOTONIC when its rule's script ran (the notification was drawn).
        dunst_at.setdefault(int(m.group(1)), int(r["timestamp"]) / 1000 + real_minus_boot)
        shown_at.setdefault(int(m.group(1)), float(r["logged"]) + real_minus_mono)
timer_at = {}
for t in windows["reminders"].get("timers", []):
    k = min(due, key=lambda k: abs(due[k] - t))
    if -0.5 < t - due[k] < 5:
        timer_at.setdefault(k, t)
delays = [dunst_at[k] - due[k] for k in sorted(due) if k in dunst_at]
delay_ok = len(delays) == len(due) and max(delays) <= TARGET_DELAY_S

# ---- the report ------------------------------------------------------------------------------------

settled, after_rem, end = mem("mem_settled"), mem("mem_after_reminders"), mem("mem_end")
dunst, py_mem = mem("mem_dunst"), facts["mem_python"].split()
children = {}
for key in ("refresh", "refresh2", "sync"):
    wall, peak, *text = facts["child_" + key].split(" ", 2)
    children[key] = (float(wall), int(peak), text[0] if text else "")
refresh_peak = max(children["refresh"][1], children["refresh2"][1])
smaps = [l.split(None, 1) for l in open(f"{tmp}/smaps.txt")] if os.path.exists(f"{tmp}/smaps.txt") else []
libs = [(int(kb), os.path.basename(p.strip())) for kb, p in smaps if ".so" in p]
lean = {l.strip() for l in open(f"{tmp}/lean-libs.txt")} if os.path.exists(f"{tmp}/lean-libs.txt") else set()
others = sorted(((kb, n) for kb, n in libs if lean and n not in lean), reverse=True)
others_kb = sum(kb for kb, _ in others)
bin_kb = sum(int(kb) for kb, p in smaps if p.strip().endswith("/diaryd"))
heap_kb = sum(int(kb) for kb, p in smaps if p.strip() in ("[heap]", "[anon]", "[stack]"))


def verdict(ok):
    return "PASS" if ok else "FAIL"


def window_result(w):
    """(figure text, pass or fail or None)"""
    if w["perf"]:
        eps = w["episodes"]
        triggers = {}
        for e in eps:
            triggers[e["trigger"]] = triggers.get(e["trigger"], 0) + 1
        text = "%d" % len(eps)
        if eps:
            text += " (" + ", ".join("%s ×%d" % kv for kv in sorted(triggers.items())) + ")"
        ok = len(eps) == w["expected"] and all(e["trigger"] == "timer" for e in eps) and \
            len(w["timers"]) == w["expected"]
        return text, ok
    quiet = all(t["vol"] + t["invol"] == 0 for t in w["threads"])
    if w["expected"] == 0:
        return ("0" if quiet else "some (see the context switches)"), quiet
    return "not put down to causes (no perf)", None


def due_text(w):
    parts = []
    if w["due_rem"]:
        parts.append("%d reminder%s" % (len(w["due_rem"]), "" if len(w["due_rem"]) == 1 else "s"))
    if w["due_sync"]:
        parts.append("%d sync%s" % (len(w["due_sync"]), "" if len(w["due_sync"]) == 1 else "s"))
    return " + ".join(parts) or "nothing"


WIN = int(meta["window"])
seed = dict(kv.split("=", 1) for kv in facts["seed"].split() if "=" in kv)
seed_text = "%s objects, %s VEVENTs: %s recurring, %s overrides; %.1f MB; sync_seed.py" % (
    format(int(seed["resources"]), ","), format(int(seed["vevents"]), ","), format(int(seed["recurring"]), ","),
    format(int(seed["overrides"]), ","), int(seed["bytes"]) / 1e6)
first_sync, first_refresh = facts["first_sync"], facts["first_refresh"]
lines = [
    "## diaryd run, the agent, with 10,000 events synced", "",
    f"- date: {meta['date']}; machine: {meta['machine']}; load average at the start "
    f"{facts.get('load_start', '?')}, at the end {facts.get('load_end', '?')}",
    f"- server: Radicale {meta['radicale']} on 127.0.0.1, one calendar ({seed_text}), plus {nrem} events "
    "with a VALARM added during the run; desktop: a private D-Bus session bus, Xvfb and "
    f"{meta['dunst'].split(' - ')[0]} {meta['dunst'].split()[-2] if len(meta['dunst'].split()) > 2 else ''} "
    f"(tests/integration/desktop.sh); GLib {meta['glib']}",
    f"- the agent: `diaryd run` with `[agent] sync_interval = 5m, review = off` (`1m` from the reload before "
    f"the last window); its first sync: `{first_sync}`; the refresh after it: `{first_refresh}`",
    f"- command: `{meta['command']}` (run by `make bench` after the other benchmarks); its log and the "
    "wake-ups one by one: `tests/bench/out/agent-log.txt`, `tests/bench/out/agent-wakeups.txt`, "
    "`tests/bench/out/agent-syscalls-*.txt`",
    "",
    "| measurement | diaryd run | target | | measured alongside, same run |",
    "|---|---:|---|---|---|",
]
rss_idle = max(settled["rss"], end["rss"])
lines += [
    f"| idle RSS (VmRSS) after the first sync and its refresh | {mb(settled['rss'])} | < 15 MB | "
    f"{verdict(settled['rss'] < TARGET_RSS_KB)} | dunst, the resident notification server (GLib, D-Bus, X11): "
    f"{mb(dunst['rss'])} |",
    f"| idle RSS (VmRSS) at the end: after {nrem} reminders, a reload, syncs | {mb(end['rss'])} | < 15 MB | "
    f"{verdict(end['rss'] < TARGET_RSS_KB)} | python3 with icalendar + recurring_ical_events imported, "
    f"holding nothing: {mb(py_mem[0]) if py_mem[0].isdigit() else '-'} |",
    f"| of which file-backed pages: the binary ({mb(bin_kb)}) and its {len(libs)} shared libraries (RssFile) "
    f"| {mb(end['file'])} | | | |",
    f"| of which the agent's own memory: heap, stacks (RssAnon) | {mb(end['anon'])} | | | |",
] + ([
    f"| of which the pages of the {len(others)} libraries that GLib/GIO, libnotify, SQLite and libsystemd do not "
    f"need, there for the children's work (the largest: {', '.join(n.split('.so')[0] for _, n in others[:5])}) "
    f"| {mb(others_kb)} | | | without them: about {mb(end['rss'] - others_kb)} |",
] if others else []) + [
    f"| proportional share (PSS: shared pages divided among the processes that map them) | {mb(end['pss'])} "
    "| | | |",
    f"| peak RSS of the agent process (VmHWM) | {mb(end['hwm'])} | | | |",
    f"| peak RSS of its child `diaryd refresh`, after every change (`{children['refresh'][2].split(';')[0]}`) "
    f"| {mb(refresh_peak)} | | | a process of its own: the agent never holds the diary |",
    f"| peak RSS of its child `diaryd sync`, every sync interval (nothing changed) | {mb(children['sync'][1])} "
    "| | | |",
]
labels = {"idle": "idle: sync every 5 min, nothing due", "reminders": f"{nrem} reminders due",
          "sync": "sync every 1 min, nothing else due"}
for name in NAMES:
    w = windows[name]
    text, ok = window_result(w)
    lines.append(f"| wake-ups in {WIN} s, {labels[name]} | {text} | {w['expected']}: {due_text(w)} | "
                 f"{'-' if ok is None else verdict(ok)} | |")
if delays:
    lines.append(f"| reminder delay, trigger → dunst received the notification: median / max of {len(delays)} | "
                 f"{ms(statistics.median(delays))} / {ms(max(delays))} | ≤ 1 s | {verdict(delay_ok)} | |")
else:
    lines.append(f"| reminder delay, trigger → dunst received the notification | no reminder reached dunst | ≤ 1 s "
                 "| FAIL | |")

lines += ["", "Wake-ups, window by window (each window starts once everything before it settled; nothing else "
          "touches the agent during it):", "",
          "| window | due in it (the store, read before) | timer expirations | wake-ups, and what started each "
          "| thread wake-ups | context switches, voluntary + involuntary | CPU time |",
          "|---|---|---:|---|---|---|---:|"]
for name in NAMES:
    w = windows[name]
    tnames = [t["comm"] + (" (%s)" % t["note"] if t["note"] else "") for t in w["threads"]]
    cs = ", ".join("%s %d + %d" % (n, t["vol"], t["invol"]) for n, t in zip(tnames, w["threads"]))
    cpu = sum(t["cpu_ms"] for t in w["threads"])
    if w["perf"]:
        per = {}
        for x in w["wakes"]:
            per[x["comm"]] = per.get(x["comm"], 0) + 1
        tw = ", ".join("%s %d" % (t["comm"], per.get(t["comm"], 0)) for t in w["threads"])
        eps = "; ".join("%s %s" % (hms(e["t"])[:8], e["trigger"]) for e in w["episodes"]) or "none"
        lines.append(f"| {name} | {due_text(w)} | {len(w['timers'])} | {len(w['episodes'])}: {eps} | {tw} | {cs} "
                     f"| {cpu:.1f} ms |")
    else:
        lines.append(f"| {name} | {due_text(w)} | - | - | - | {cs} | {cpu:.1f} ms |")

lines += ["", "Reminders, from the trigger (the VALARM's instant) to:", "",
          "| reminder | due (UTC) | the agent's timer fired | the agent logged `reminder:` | dunst received it "
          "(DUNST_TIMESTAMP) | dunst displayed it (its rule's script ran) |", "|---|---|---:|---:|---:|---:|"]
for k in sorted(due):
    def rel(d):
        return ("+" + ms(d[k] - due[k])) if k in d else "-"
    lines.append(f"| {k} | {hms(due[k])[:8]} | {rel(timer_at)} | {rel(log_at)} | {rel(dunst_at)} | {rel(shown_at)} |")

# What wakes the agent: one example of each kind of episode.
examples = {}
for name in NAMES:
    for e in windows[name].get("episodes", []):
        examples.setdefault(e["trigger"] + (" + child" if e["children"] else ""), (name, e))
notes = ["", "How it was measured:", "",
         "- RSS: VmRSS, VmHWM, RssAnon and RssFile from /proc/PID/status, Pss from /proc/PID/smaps_rollup, "
         "of the agent process alone, after 3 s of quiet; its children's peak RSS by `/usr/bin/time` "
         "(maximum resident set size) on a copy of the agent's store, the way the agent runs them.",
         f"- Wake-ups: each window is {WIN} s; the context switches are the deltas of voluntary_ctxt_switches and "
         "nonvoluntary_ctxt_switches in /proc/PID/task/TID/status of every thread (diaryd: the main loop; "
         "gmain: GLib's worker, which watches children and signals; gdbus: GDBus's worker, which owns the bus "
         "socket); the causes come from the agent's system calls recorded by `perf record` "
         "(raw_syscalls, these threads only) and read back with `perf trace -i`: a thread wake-up is a "
         f"return from poll, read, futex, waitid... after at least {SLEPT_MS:g} ms asleep, put down to what the "
         "thread then reads (the timerfd, the D-Bus socket, a child's pidfd, an eventfd another thread wrote: "
         "then that thread's cause); a wake-up of the agent (the figure in the first table) is one episode: "
         f"the wake-ups that follow one another with less than {QUIET_S:g} s of sleep, named by the first; "
         "the end of a child the agent started belongs to what started it.",
         "- Reminder delay: the trigger is a whole second (the VALARM's instant); dunst stamps each "
         "notification with CLOCK_BOOTTIME in ms as it arrives (DUNST_TIMESTAMP, put on the wall clock with "
         "the offset read in the same run); the agent's log lines are stamped by the process reading its "
         "stderr, on receipt.",
         "- Peers: no calendar agent installed here can be run side by side (remind, calcurse and "
         "evolution-alarm-notify are not installed; vdirsyncer is no resident program), so the targets are the "
         "reference; dunst (a resident C daemon of the same desktop, same libraries) and python3 with the naive "
         "baseline's libraries imported (the floor of an agent written with them) are measured for scale."]
notes += ["", "What wakes the agent (perf; one episode of each kind):", ""]
for kind, (name, e) in sorted(examples.items()):
    chain = " → ".join("%s: %s" % (x["comm"], x["cause"]) for x in e["wakes"])
    notes.append(f"- {kind} ({name} window, {hms(e['t'])}): {len(e['wakes'])} thread wake-ups: {chain}; "
                 f"{e['flushes']} flush{'es' if e['flushes'] != 1 else ''} of the store (fdatasync)"
                 + (f"; {e['children']} child process" if e["children"] else ""))
if not examples:
    notes.append("- (no perf record: causes not measured)" if not use_perf else "- nothing woke it")
notes += ["- The context switches count more than the wake-ups: within one episode the main thread also "
          "sleeps on the store's fdatasync and on the locks it shares with the GDBus thread; the involuntary "
          f"ones are preemptions by other processes on the {os.cpu_count()} CPUs (dunst, Xvfb and dbus-daemon "
          "handling the same notification, and whatever else the machine runs: load average above).",
          "- Here dunst never expires a notification (the test desktop's rule), so no NotificationClosed comes "
          "back; on a desktop that expires them, each reminder's close is one more D-Bus message, waking the "
          "GDBus thread and the main loop once more (libnotify's handler drops the notification object)."]
if libs:
    top = sorted(libs, reverse=True)[:6]
    notes += ["", f"Where the idle RSS is (at the end, /proc/PID/smaps): heap and stacks {mb(heap_kb)}, the diaryd "
              f"binary {mb(bin_kb)}, {len(libs)} shared libraries {mb(sum(kb for kb, _ in libs))}, the largest "
              + ", ".join("%s %s" % (n, mb(kb)) for kb, n in top) + "."]
report = "\n".join(lines + notes) + "\n"
open(f"{out}/agent.md", "w", encoding="utf-8").write(report)
print(report, end="")

# The wake-ups one by one.
with open(f"{out}/agent-wakeups.txt", "w", encoding="utf-8") as fh:
    for name in NAMES:
        w = windows[name]
        fh.write(f"== window {name}: {hms(w['t0'])} to {hms(w['t1'])} UTC; due: {due_text(w)} "
                 f"{w['due_rem'] + w['due_sync']}\n")
        for t in w["threads"]:
            fh.write(f"   thread {t['tid']} {t['comm']}: {t['vol']} voluntary + {t['invol']} involuntary context "
                     f"switches, {t['cpu_ms']:.1f} ms CPU {t['note']}\n")
        if not w["perf"]:
            continue
        fh.write(f"   {w['calls']} system calls; timer expirations at: "
                 + ", ".join(hms(t) for t in w["timers"]) + "\n")
        for e in w["episodes"]:
            fh.write(f"   episode at {hms(e['t'])}, started by: {e['trigger']}; {e['flushes']} fdatasync, "
                     f"{e['children']} child\n")
            for x in e["wakes"]:
                slept_txt = "since before the window" if x["slept"] is None else "after %.3f s" % x["slept"]
                fh.write(f"      {hms(x['t'])} {x['comm']:7s} woke {slept_txt}: {x['cause']}\n")
PYEOF
