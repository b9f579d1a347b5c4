# Helpers for the tests of `diaryd run` (agent.t, agent_local.t): start the
# agent in the background with its log in $AGENT_LOG, wait for log lines,
# wait for it to exit, and ask `diaryd status` until something holds.
# Source it after lib.sh (and desktop.sh, for count_is).
# shellcheck disable=SC2034
AGENT_LOG=$TMP/agent.log
AGENT_PID=
start_agent() {
  "$DIARYD" run >>"$AGENT_LOG" 2>&1 &
  AGENT_PID=$!
  at_exit "kill $AGENT_PID 2>/dev/null"
}
log_has() { # log_has ERE [SECS]: waits until the agent's log matches
  local re=$1 secs=${2:-20} i
  for ((i = 0; i < secs * 10; i++)); do
    grep -Eq -- "$re" "$AGENT_LOG" && return 0
    sleep 0.1
  done
  echo "the agent's log never matched /$re/; it reads:"
  tail -30 "$AGENT_LOG"
  return 1
}
count_is() { # count_is RE N: exactly N displayed notifications matched
  local n
  n=$(desktop_count_shown "$1")
  [ "$n" = "$2" ] && return 0
  echo "expected $2 notifications matching /$1/, got $n:"
  desktop_shown_json | head -60
  return 1
}
# both_match NAME RC ERE: the run exited RC and stdout+stderr match ERE.
both_match() {
  expect_rc "$1" "$2" || return 1
  cat "$TMP/$1.out" "$TMP/$1.err" | tr '\n' ' ' | grep -Eq -- "$3" && return 0
  echo "output does not match /$3/:"
  cat "$TMP/$1.out" "$TMP/$1.err" | head -40
  return 1
}
# wait_exit DESC PID RC SECS: one test: the agent exits with RC within SECS
# (run in this shell, not through t(): only the parent shell can wait).
wait_exit() {
  local desc=$1
  shift
  if _wait_exit "$@" >"$TMP/wait.out" 2>&1; then pass "$desc"; else fail "$desc" "$(cat "$TMP/wait.out")"; fi
}
_wait_exit() {
  local i rc
  for ((i = 0; i < $3 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$1" 2>/dev/null; then
    echo "still running after $3 s"
    return 1
  fi
  wait "$1"
  rc=$?
  AGENT_PID=
  [ "$rc" = "$2" ] || { echo "exit status $rc, expected $2"; tail -20 "$AGENT_LOG"; return 1; }
}
# desktop_wait_shown_n RE N SECS: until N displayed notifications match.
desktop_wait_shown_n() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(desktop_count_shown "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "fewer than $2 notifications matched /$1/ after $3 s:"
  desktop_shown_json | head -40
  return 1
}
# reminders_stored SUMMARY...: until `diaryd status` lists a reminder for each.
reminders_stored() {
  local i want
  for ((i = 0; i < 200; i++)); do
    "$DIARYD" status --json >"$TMP/rs.json" 2>/dev/null
    for want in "$@"; do
      "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(r["summary"] == sys.argv[2] for r in d["reminders"]) else 1)' \
        "$TMP/rs.json" "$want" || continue 2
    done
    return 0
  done
  echo "the reminders of $* were never stored:"
  cat "$TMP/rs.json"
  return 1
}
# findings_become CODE: until `diaryd status --json` passes the json CODE.
findings_become() {
  local i
  for ((i = 0; i < 200; i++)); do
    "$DIARYD" status --json >"$TMP/fb.json" 2>/dev/null
    json "$TMP/fb.json" "$1" >"$TMP/fb.out" && return 0
    sleep 0.1
  done
  cat "$TMP/fb.out"
  return 1
}
alive() { kill -0 "$AGENT_PID" 2>/dev/null || { echo "the agent died; its log:"; tail -30 "$AGENT_LOG"; return 1; }; }

# notify_listen SOCKET OUT [SECS]: stands in for systemd's notify socket, in
# the background: each datagram becomes a line "TIME MESSAGE" of OUT (lines
# of the message joined by " | "), for SECS seconds (without SECS, until the
# test ends).  Returns once the socket exists; NOTIFY_LISTENER is its pid.
NOTIFY_LISTENER=
notify_listen() {
  "$PY" - "$1" "$2" "${3:-0}" <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.time() + float(sys.argv[3]) if float(sys.argv[3]) > 0 else float("inf")
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        out.write("%.3f %s\n" % (time.time(), msg.replace("\n", " | ")))
        out.flush()
PYEOF
  NOTIFY_LISTENER=$!
  at_exit "kill $NOTIFY_LISTENER 2>/dev/null"
  local i
  for ((i = 0; i < 50; i++)); do [ -S "$1" ] && return 0; sleep 0.1; done
  echo "the notify socket $1 never appeared"
  return 1
}
# watchdog_pings FILE [FROM TO]: "N GAP": how many WATCHDOG=1 datagrams
# notify_listen recorded and the longest gap between two of them; with FROM
# and TO (epoch seconds), those between the two times, the gap counted from
# FROM and up to TO as well.
watchdog_pings() {
  "$PY" - "$@" <<'PYEOF'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if "WATCHDOG=1" in l]
if len(sys.argv) > 3:
    a, b = float(sys.argv[2]), float(sys.argv[3])
    t = [x for x in t if a <= x <= b]
    t = [a] + t + [b]
    n = len(t) - 2
else:
    n = len(t)
print(n, "%.2f" % max([y - x for x, y in zip(t, t[1:])] or [0]))
PYEOF
}
