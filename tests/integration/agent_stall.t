#!/bin/bash
# The agent's loop while a CalDAV server stalls: a server that accepts the
# connection and never answers holds the sync child for a minute; the
# agent itself keeps pinging systemd's watchdog (WatchdogSec 2 s, on a
# socket the test owns) and stays responsive (SIGUSR1, SIGTERM).
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/agent.sh
require_basics

unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

PORT=$(free_port)
echo '{"rules": []}' >"$TMP/S.json"
"$PY" "$RESPONDER" --script "$TMP/S.json" --log "$TMP/S.log" --port "$PORT" --port-file "$TMP/S.port" \
  --hold accept >/dev/null 2>"$TMP/S.stderr" &
at_exit "stop_pid $!"
for ((i = 0; i < 100; i++)); do [ -s "$TMP/S.port" ] && break; sleep 0.05; done
t "a server that accepts and never answers is listening" test -s "$TMP/S.port"
write_config <<CONF
[account stalled]
url = http://127.0.0.1:$PORT/
username = sam
password_command = printf %s secret
CONF

NSOCK=$TMP/notify.sock
setup "a notify socket the test owns listens (12 s)" notify_listen "$NSOCK" "$TMP/notify.msgs" 12
NOTIFY_SOCKET=$NSOCK WATCHDOG_USEC=2000000 "$DIARYD" run --db "$TMP/agent.db" >"$TMP/agent.log" 2>&1 &
AGENT=$!
at_exit "kill $AGENT 2>/dev/null"
sleep 3
held() { pgrep -f "diaryd sync .*--db $TMP/agent.db" >/dev/null; }
t "the sync child is held by the silent server" held
kill -USR1 "$AGENT"
sleep 1
t "SIGUSR1 during the stall is taken at once" grep -q 'syncing now (SIGUSR1)' "$TMP/agent.log"
wait "$NOTIFY_LISTENER"
t "the sync child is still held at the end" held
read -r PINGS GAP < <(watchdog_pings "$TMP/notify.msgs")
t "the watchdog was pinged at least every WatchdogSec/2 all along ($PINGS pings in 12 s, longest gap $GAP s)" \
  awk -v n="$PINGS" -v g="$GAP" 'BEGIN { exit !(n >= 8 && g <= 1.2) }'
kill -TERM "$AGENT"
rc=0
for ((i = 0; i < 100; i++)); do kill -0 "$AGENT" 2>/dev/null || break; sleep 0.1; done
wait "$AGENT" || rc=$?
t "SIGTERM stops it during the stall, with exit status 0" test "$rc" = 0
sleep 0.5
t "...and the stalled child with it" eval '! held'

finish
