#!/bin/bash
# diaryd run with no configuration at all and no desktop: it runs on the
# embedded default, the local calendar folder, says so, and with no
# notification server (no session bus at all) it keeps running and logs
# each alert and reminder it would have shown.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/agent.sh
require_basics

unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
# No session bus can be found either: an empty runtime dir.
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
FOLDER=$XDG_DATA_HOME/diaryd/calendar

utc() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
event() { # event FILE UID START END SUMMARY [LINE...]
  local file=$1 uid=$2 start=$3 end=$4 summary=$5
  shift 5
  mkdir -p "$(dirname "$file")"
  {
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//EN\r\nBEGIN:VEVENT\r\n'
    printf 'UID:%s\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n' "$uid" "$start" "$end" "$summary"
    [ $# -eq 0 ] || printf '%s\r\n' "$@"
    printf 'END:VEVENT\r\nEND:VCALENDAR\r\n'
  } >"$file.tmp" && mv "$file.tmp" "$file"
}

t "there is no config file" test ! -e "$XDG_CONFIG_HOME/diaryd/config"
start_agent
t "it starts and says it watches the local calendar folder" \
  log_has "no CalDAV account configured \\(there is no config file\\): watching the local calendar folder $FOLDER"
t "it creates that folder" test -d "$FOLDER"
t "diaryd run became diaryd-agent (same pid), which links none of the children's libraries" sh -c "
  exe=\$(readlink /proc/$AGENT_PID/exe) && case \$exe in */diaryd-agent) ;; *) echo \"runs \$exe\"; exit 1 ;; esac
  ! ldd \"\$exe\" | grep -E 'libcurl|libical|libxml2'"
t "a first, empty check of the diary" log_has '^refresh: 0 occurrences checked'

DAY=$(date -u -d '+2 days' +%Y%m%d)
event "$FOLDER/a.ics" a@example.com "${DAY}T100000Z" "${DAY}T110000Z" "Budget review"
event "$FOLDER/b.ics" b@example.com "${DAY}T103000Z" "${DAY}T113000Z" "Supplier call"
t "a clash dropped into the folder is found" log_has 'alert: .*Double booking on .*Budget review.*Supplier call' 20
t "with no notification server it logs that it could not show it" log_has 'not shown on the desktop' 5
t "the agent keeps running" alive

NOW=$(date +%s)
START=$((NOW + 300 + 5))
event "$FOLDER/soon.ics" soon@example.com "$(utc "$START")" "$(utc $((START + 600)))" "Call the plumber" \
  BEGIN:VALARM ACTION:AUDIO TRIGGER:-PT5M END:VALARM
t "an AUDIO reminder due in 5 s is logged on time" log_has 'reminder: Call the plumber in 5 min' 20
t "the agent keeps running after it" alive

run st status
t "diaryd status: running, the open problem, no calendar synced" stdout_has st 'Agent: running \(pid [0-9]+\)'
t "(the problem)" stdout_has st 'conflict +Double booking'

kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops it, with exit status 0" "$AGENT_PID" 0 10
# ---- systemd: READY, STATUS and the watchdog, on a socket the test owns ----------------------
NSOCK=$TMP/notify.sock
setup "a notify socket the test owns listens (8 s)" notify_listen "$NSOCK" "$TMP/notify.msgs" 8
NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=2000000 "$DIARYD" run --db "$TMP/notify.db" >"$TMP/notify-agent.log" 2>&1 &
NPID=$!
sleep 6
kill -TERM "$NPID"
wait "$NPID"
wait "$NOTIFY_LISTENER"
t "systemd is told READY=1" grep -q 'READY=1' "$TMP/notify.msgs"
t "and a STATUS line (open problems, next reminder)" grep -Eq 'STATUS=[0-9]+ open problem' "$TMP/notify.msgs"
read -r PINGS GAP < <(watchdog_pings "$TMP/notify.msgs")
t "the watchdog is pinged at least every WatchdogSec/2 while the agent idles ($PINGS pings in 6 s, longest gap $GAP s)" \
  awk -v n="$PINGS" -v g="$GAP" 'BEGIN { exit !(n >= 4 && g <= 1.2) }'
t "and STOPPING=1 on SIGTERM" grep -q 'STOPPING=1' "$TMP/notify.msgs"
finish
