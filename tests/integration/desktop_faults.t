#!/bin/bash
# diaryd run against a notification server that misbehaves, on the private
# desktop of tests/integration/desktop.sh (bus, Xvfb, dunst), with systemd's
# watchdog on a socket the test owns (NOTIFY_SOCKET, WatchdogSec 2 s):
#   - hostile calendar text (markup, &, invalid UTF-8, ESC and other control
#     characters, bidirectional overrides, a 100 KB description): what dunst
#     was sent and what `dunstctl history` shows;
#   - dunst stopped (SIGSTOP) while reminders fall due: the agent's loop goes
#     on (watchdog pings, reminders logged on time, SIGUSR1 answered), and
#     once dunst runs again each reminder is displayed once;
#   - dunst stopped, then killed and started again: the reminder it never
#     displayed reaches the new dunst, once, and its Dismiss works;
#   - no notification server at all: the agent runs on, logs the outage
#     once, and shows the reminders it kept once a server is back;
#   - the agent stopped (SIGSTOP: to it, a suspend) across reminders' due
#     times: each is shown once, marked late;
#   - the clock set back (libfaketime): a reminder shown is not shown again
#     when its time comes round again; set forward past a reminder: shown
#     once, marked late.
# Times are relative to now.  Reminders come from the local calendar folder.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/desktop.sh
. tests/integration/agent.sh
require_basics

# Sanitizer builds are slower (make check-asan): the limits on delays grow,
# but a watchdog gap must stay under WatchdogSec (2 s) whatever the build.
SCALE=${DIARYD_TEST_TIME_SCALE:-1}
MAXGAP=$("$PY" -c "print(min(1.5 * $SCALE, 1.9))")
FOLDER=$XDG_DATA_HOME/diaryd/calendar
mkdir -p "$FOLDER"
write_config <<EOF
[check]
hours = 24/7
notice = 0

[agent]
review = off
snooze = 10m
EOF

setup "a private desktop starts (dbus, Xvfb, dunst)" desktop_start

# ---- systemd's side: every datagram, with the time it arrived ---------------------------------
NSOCK=$TMP/notify.sock
NMSGS=$TMP/notify.msgs
setup "a notify socket the test owns listens" notify_listen "$NSOCK" "$NMSGS"

now() { date +%s.%N; }
# minus A B: A - B, for times with decimals
minus() { "$PY" -c "import sys; print('%.2f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }
utc() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
# reminder NAME DUE SUMMARY [LINE...]: an appointment starting 10 min after
# DUE (epoch seconds) whose alarm is 10 min before it, written into the
# local folder (atomically).
reminder() {
  local name=$1 due=$2 summary=$3 start
  shift 3
  start=$((due + 600))
  ics_event "$name@faults.test" "$(utc "$start")" "$(utc $((start + 900)))" "$summary" "$@" \
    BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M DESCRIPTION:Reminder END:VALARM >"$FOLDER/.$name.tmp" &&
    mv "$FOLDER/.$name.tmp" "$FOLDER/$name.ics"
}
refreshes() { grep -c '^refresh: ' "$AGENT_LOG"; }
wait_refresh_after() { # wait_refresh_after N: until more than N refreshes are logged
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(refreshes)" -gt "$1" ] && return 0
    sleep 0.1
  done
  echo "no refresh after the first $1; the log ends:"
  tail -20 "$AGENT_LOG"
  return 1
}
# pings FROM TO: how many WATCHDOG=1 datagrams came between two times, and
# the longest gap between pings (or the span's edges).
pings() { watchdog_pings "$NMSGS" "$1" "$2"; }
# log_count ERE: lines of the agent's log that match
log_count() { grep -Ec -- "$1" "$AGENT_LOG"; }
# until_s EPOCH: sleeps until that time
until_s() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.1; done; }

NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=2000000 "$DIARYD" run >>"$AGENT_LOG" 2>&1 &
AGENT_PID=$!
at_exit "kill -CONT $AGENT_PID 2>/dev/null; kill $AGENT_PID 2>/dev/null"
t "the agent starts" log_has 'started \(store ' 10
t "and checks the (empty) diary" log_has '^refresh: ' 20
t "systemd is told READY=1" bash -c "for i in \$(seq 50); do grep -q READY=1 '$NMSGS' && exit 0; sleep 0.1; done; exit 1"

# ---- hostile text -------------------------------------------------------------------------------
# SUMMARY: markup, &, ESC, BEL, DEL, a C1 control, U+202E (right-to-left
# override), an invalid UTF-8 byte (\xff) and a truncated sequence (\xc3),
# then 200 more characters; LOCATION: markup; DESCRIPTION (the event's and
# the alarm's, which the reminder shows): 100 KB with markup at its start.
"$PY" - "$FOLDER/.hostile.tmp" "$(utc $(($(date +%s) + 600 + 8)))" "$(utc $(($(date +%s) + 600 + 8 + 900)))" <<'PYEOF'
import sys
path, start, end = sys.argv[1:4]
summary = (b"<b>Evil</b> & Co \x1b[31mred\x1b[0m bell\x07 del\x7f c1\xc2\x85 rlo\xe2\x80\xaeevil bad\xff trunc\xc3 " +
           b"x" * 200)
desc = b"<i>italic</i> &amp; <a href='file:///etc/passwd'>link</a> " + b"y" * 100000
def fold(line):
    out, cur = [], line
    while len(cur) > 75:
        out.append(cur[:75])
        cur = b" " + cur[75:]
    out.append(cur)
    return b"\r\n".join(out)
lines = [b"BEGIN:VCALENDAR", b"VERSION:2.0", b"PRODID:-//diaryd tests//EN", b"BEGIN:VEVENT",
         b"UID:hostile@faults.test", b"DTSTAMP:20261101T090000Z", b"DTSTART:" + start.encode(),
         b"DTEND:" + end.encode(), fold(b"SUMMARY:" + summary), b"LOCATION:<u>Room</u> & 5",
         fold(b"DESCRIPTION:" + desc), b"BEGIN:VALARM", b"ACTION:DISPLAY", b"TRIGGER:-PT10M",
         fold(b"DESCRIPTION:" + desc), b"END:VALARM", b"END:VEVENT", b"END:VCALENDAR"]
open(path, "wb").write(b"\r\n".join(lines) + b"\r\n")
PYEOF
mv "$FOLDER/.hostile.tmp" "$FOLDER/hostile.ics"
t "a reminder with hostile text is shown" desktop_wait_shown 'Evil' 30
saved_shown() { desktop_shown_json >"$TMP/$1.json"; }
saved_shown hostile
t "what dunst was sent: summary never marked up, cleaned, capped at 120 characters" json "$TMP/hostile.json" "
r = [n for n in d if 'Evil' in n['summary']]
assert len(r) == 1, r
s = r[0]['summary']
assert s.startswith('<b>Evil</b> & Co '), s              # as text: not escaped, not markup
assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in s), repr(s)
assert '\u202e' not in s and '\ufffd' in s, repr(s)      # override gone, bad bytes made U+FFFD
assert 'red' in s and '[31m' in s, repr(s)               # only ESC itself is removed
assert s.endswith('…'), repr(s)                          # the title was cut ...
assert len(s) <= 121, len(s)                              # ... at 120 characters
"
t "the body is escaped for body-markup, cleaned, and capped at 1,500 characters" json "$TMP/hostile.json" "
import html
b = [n for n in d if 'Evil' in n['summary']][0]['body']
assert '<' not in b and '>' not in b, b[:200]
assert '&lt;u&gt;Room&lt;/u&gt; &amp; 5' in b, b[:200]
assert '&lt;i&gt;italic&lt;/i&gt; &amp;amp; &lt;a href=' in b, b[:300]
plain = html.unescape(b)
assert len(plain) <= 1501 and plain.endswith('…'), (len(plain), plain[-20:])
assert not any(ord(c) < 0x20 and c != '\n' for c in plain), repr(plain[:200])
"
t "dunstctl close-all" dunstctl close-all
t "dunstctl history: the title as text, the body's tags shown as text (not rendered)" json <(desktop_history_json) "
got = [{k: v['data'] for k, v in n.items()} for n in d['data'][0] if 'Evil' in n['summary']['data']]
assert len(got) == 1, got
m = got[0]['message']
assert m.startswith('<b>&lt;b&gt;Evil&lt;/b&gt; &amp; Co '), m[:100]   # dunst's own <b>, the title as text
assert '&lt;i&gt;italic&lt;/i&gt;' in m and '&lt;u&gt;Room' in m, m[:400]
assert m.count('<') == 2 and '<i>' not in m and '<u>' not in m and '<a ' not in m, m[:400]
assert '\x1b' not in m and '\x07' not in m and '\u202e' not in m, repr(m[:300])
"
t "the agent's log line of it has no control characters either" bash -c "! grep -a 'reminder: .*Evil' '$AGENT_LOG' | LC_ALL=C grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]'"

# ---- dunst stopped while reminders fall due ---------------------------------------------------
T0=$(($(date +%s) + 10))
before=$(refreshes)
reminder hung-a "$T0" "Stalled A"
reminder hung-b "$((T0 + 4))" "Stalled B"
t "the reminders are stored" wait_refresh_after "$before"
t "(both)" reminders_stored 'Stalled A' 'Stalled B'
until_s $((T0 - 2))
STOP_AT=$(now)
t "dunst is frozen (SIGSTOP) 2 s before reminder A is due" desktop_freeze_dunst
t "while dunst is stopped, reminder A is logged on time" log_has 'reminder: Stalled A in 10 min' 5
t "and reminder B, 4 s later" log_has 'reminder: Stalled B in 10 min' 8
t "the agent says once that the server does not answer" log_has 'does not answer' 10
kill -USR1 "$AGENT_PID"
t "SIGUSR1 is answered while dunst is stopped" log_has 'syncing now \(SIGUSR1\)' 3
until_s $((T0 + 10))
CONT_AT=$(now)
read -r STALL_PINGS STALL_GAP < <(pings "$STOP_AT" "$CONT_AT")
t "dunst is still frozen" _desktop_dunst_state T
t "the watchdog was pinged all through the stall ($STALL_PINGS pings in $(minus "$CONT_AT" "$STOP_AT") s, longest gap $STALL_GAP s)" \
  "$PY" -c "import sys; sys.exit(0 if $STALL_PINGS >= 7 and $STALL_GAP <= $MAXGAP else 1)"
t "nothing was displayed while dunst was stopped" count_is '^Stalled' 0
t "dunst is thawed (SIGCONT)" desktop_thaw_dunst
t "once dunst runs again, reminder A is displayed" desktop_wait_shown '^Stalled A' 15
t "and reminder B" desktop_wait_shown '^Stalled B' 15
B_SHOWN=$(now)
B_DELAY=$(minus "$B_SHOWN" "$CONT_AT")
t "within a few seconds of dunst's return (B: $(printf %.2f "$B_DELAY") s)" \
  "$PY" -c "import sys; sys.exit(0 if $B_DELAY < 12 * $SCALE else 1)"
sleep 3
t "A is displayed once" count_is '^Stalled A' 1
t "B is displayed once" count_is '^Stalled B' 1
t "the outage was logged once" bash -c "[ \$(grep -c 'does not answer' '$AGENT_LOG') = 1 ] || { grep 'does not answer' '$AGENT_LOG'; false; }"
t "and its end" log_has 'notification server answers again' 5
T1=$(($(date +%s) + 8))
reminder after "$T1" "After the stall"
t "a reminder after the stall goes out on time" desktop_wait_shown '^After the stall' 20
AFTER_DELAY=$(minus "$(now)" "$T1")
t "(within 1.5 s of its due time: $(printf %.2f "$AFTER_DELAY") s)" "$PY" -c "import sys; sys.exit(0 if $AFTER_DELAY < 1.5 * $SCALE else 1)"
t "the actions of a reminder shown after the stall work: Dismiss" desktop_invoke_action '^Stalled B' 'Dismiss' 10
t "the agent records the dismissal" log_has 'reminders for "Stalled B" dismissed'

# ---- dunst stopped, then killed and started again --------------------------------------------------
T2=$(($(date +%s) + 8))
before=$(refreshes)
reminder restart-a "$T2" "Across a restart"
t "the reminder is stored" wait_refresh_after "$before"
until_s $((T2 - 2))
t "dunst is frozen" desktop_freeze_dunst
t "it falls due while dunst is frozen" log_has 'reminder: Across a restart' 6
sleep 2
setup "the frozen dunst is killed (SIGKILL)" desktop_kill_dunst
setup "a new dunst starts" desktop_start_dunst
t "the new dunst displays it" desktop_wait_shown '^Across a restart' 15
sleep 2
t "once" count_is '^Across a restart' 1
t "its Dismiss works on the new dunst" desktop_invoke_action '^Across a restart' 'Dismiss' 10
t "the agent records it" log_has 'reminders for "Across a restart" dismissed'

# ---- no notification server at all ---------------------------------------------------------------
desktop_stop_dunst
OUT_FROM=$(wc -l <"$AGENT_LOG")
T3=$(($(date +%s) + 8))
before=$(refreshes)
reminder gone-a "$T3" "Serverless one"
reminder gone-b "$((T3 + 2))" "Serverless two"
t "the reminders are stored" wait_refresh_after "$before"
until_s $((T3 + 4))
t "both are logged" log_has 'reminder: Serverless two' 5
t "the agent runs on" alive
t "the missing server is logged once" bash -c "
  n=\$(tail -n +$((OUT_FROM + 1)) '$AGENT_LOG' | grep -c 'not shown on the desktop')
  [ \"\$n\" = 1 ] || { tail -n +$((OUT_FROM + 1)) '$AGENT_LOG'; false; }"
t "naming the cause" bash -c "tail -n +$((OUT_FROM + 1)) '$AGENT_LOG' | grep 'not shown on the desktop' | grep -q 'no notification server'"
read -r OUT_PINGS OUT_GAP < <(pings "$T3" "$(now)")
t "the watchdog was pinged meanwhile ($OUT_PINGS pings, longest gap $OUT_GAP s)" \
  "$PY" -c "import sys; sys.exit(0 if $OUT_PINGS >= 3 and $OUT_GAP <= $MAXGAP else 1)"
setup "dunst starts again" desktop_start_dunst
t "the reminders kept for it are displayed" desktop_wait_shown_n '^Serverless (one|two)' 2 15
sleep 2
t "the first once" count_is '^Serverless one' 1
t "the second once" count_is '^Serverless two' 1
t "the agent says the server is back, with the reminders kept" log_has 'answers again: 2 reminders kept for it shown now' 5

# ---- the agent suspended across due times --------------------------------------------------------
T4=$(($(date +%s) + 8))
before=$(refreshes)
reminder sleep-a "$T4" "Slept through"
t "the reminder is stored" wait_refresh_after "$before"
until_s $((T4 - 2))
kill -STOP "$AGENT_PID"
until_s $((T4 + 20)) # later than the grace of 15 s: late
kill -CONT "$AGENT_PID"
t "after the 'suspend' the missed reminder is shown" desktop_wait_shown '^Slept through' 10
t "marked late, with the time it was due" json <(desktop_shown_json) "
r = [n for n in d if n['summary'].startswith('Slept through')]
assert len(r) == 1, r
assert '(late: the reminder was due at' in r[0]['body'], r[0]['body']
"
T5=$(($(date +%s) + 8))
before=$(refreshes)
reminder sleep-b "$T5" "Slept one"
reminder sleep-c "$((T5 + 1))" "Slept two"
t "two more reminders are stored" wait_refresh_after "$before"
t "(both)" reminders_stored 'Slept one' 'Slept two'
until_s $((T5 - 2))
kill -STOP "$AGENT_PID"
until_s $((T5 + 21))
kill -CONT "$AGENT_PID"
t "two missed during a 'suspend': one summary, late" desktop_wait_shown '^2 missed reminders \(late\)' 10
sleep 3
t "nothing shown twice" json <(desktop_shown_json) "
from collections import Counter
c = Counter(n['summary'] for n in d if n['category'] == 'x-diaryd.reminder' or 'missed reminder' in n['summary'])
assert all(v == 1 for v in c.values()), c
assert not any(s.startswith('Slept one') or s.startswith('Slept two') for s in c), c
"
t "the agent runs on" alive

kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops it (exit 0)" "$AGENT_PID" 0 10
t "STOPPING=1 was sent" grep -q 'STOPPING=1' "$NMSGS"

# ---- the clock set back, then forward (libfaketime) ------------------------------------------------
# The agent (and the children it runs) see the time of libfaketime: real
# time plus the offset in $FT_FILE, read again at every call; monotonic time
# and file times stay real.  libfaketime also moves the timerfd's deadlines.
FT_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -1)
if [ -z "$FT_LIB" ]; then
  fail "libfaketime is installed" "apt-get install faketime"
  finish
fi
FT_FILE=$TMP/faketime
echo "+0" >"$FT_FILE"
# (An ASan build refuses a preloaded library ahead of its runtime unless told.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
  LD_PRELOAD=$FT_LIB FAKETIME_TIMESTAMP_FILE=$FT_FILE FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1 \
  NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=2000000 "$DIARYD" run >>"$AGENT_LOG" 2>&1 &
AGENT_PID=$!
at_exit "kill $AGENT_PID 2>/dev/null"
t "the agent starts again, on libfaketime's clock" bash -c "
  for i in \$(seq 100); do [ \$(grep -c 'started (store ' '$AGENT_LOG') = 2 ] && exit 0; sleep 0.1; done; exit 1"
T6=$(($(date +%s) + 8))
before=$(refreshes)
reminder back-a "$T6" "Clock set back"
t "the reminder is stored" wait_refresh_after "$before"
t "it is shown when due" desktop_wait_shown '^Clock set back' 15
echo "-20" >"$FT_FILE"
BACK_AT=$(date +%s)
t "the clock is set back 20 s: the agent goes on" alive
until_s $((BACK_AT + 24)) # its due time comes round again
t "the reminder is not shown a second time" count_is '^Clock set back' 1
t "nor logged a second time" bash -c "[ \$(grep -c 'reminder: Clock set back' '$AGENT_LOG') = 1 ]"
T7=$(($(date +%s) + 300))
before=$(refreshes)
reminder fwd-a "$T7" "Clock set forward"
t "a reminder due in 5 min is stored" wait_refresh_after "$before"
t "(it)" reminders_stored 'Clock set forward'
echo "+600" >"$FT_FILE"
t "the clock is set 10 min forward: the reminder it skipped is shown" desktop_wait_shown '^Clock set forward' 10
sleep 3
t "once, marked late" json <(desktop_shown_json) "
r = [n for n in d if n['summary'].startswith('Clock set forward')]
assert len(r) == 1, r
assert '(late: the reminder was due at' in r[0]['body'], r[0]['body']
"
kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops it (exit 0)" "$AGENT_PID" 0 10
diag "figures: stall ${STALL_PINGS} pings, longest gap ${STALL_GAP} s; B displayed $(printf %.2f "$B_DELAY") s after dunst resumed; next reminder $(printf %.2f "$AFTER_DELAY") s after due"
finish
