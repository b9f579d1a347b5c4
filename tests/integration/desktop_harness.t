#!/bin/bash
# The notification test desktop (tests/integration/desktop.sh) proved with
# notify-send (libnotify-bin 0.8): a private D-Bus session bus, Xvfb and dunst
# 1.9 started here; a plain notification shown once, read back from the log,
# the bus and `dunstctl history` after `dunstctl close`; actions clicked
# through dunst's context menu reach notify-send (which prints the action's
# name); the exact context menu lines; a body with markup characters logged
# as sent; urgencies; a replaced notification; dunst stopped (Notify fails,
# nothing starts another server) and started again (a new run, ids anew);
# dunst frozen (SIGSTOP: calls time out, and are still carried out once it
# is thawed) and killed while frozen (waiting calls get NoReply).
# Nothing is skipped: without dbus, Xvfb, dunst or notify-send it fails.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/desktop.sh

# notify_bg NAME ARGS...: notify-send ARGS in the background (it waits for
# an action or the close when given -A), for at most 60 s; stdout in
# $TMP/NAME.out, stderr in $TMP/NAME.err.  Sets NOTIFY_PID.
notify_bg() {
  local name=$1
  shift
  timeout 60 notify-send "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
  NOTIFY_PID=$!
  at_exit "kill $NOTIFY_PID 2>/dev/null"
}

# ended PID NAME: waits (10 s) for a background notify-send to end; leaves
# its exit status in $TMP/NAME.rc.
ended() {
  local pid=$1 name=$2 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "notify-send ($name) still runs after 10 s; its stdout: $(cat "$TMP/$name.out")"
    return 1
  fi
  wait "$pid"
  echo $? >"$TMP/$name.rc"
}

# still_runs PID: a background notify-send is still waiting.
still_runs() { kill -0 "$1" 2>/dev/null || { echo "process $1 has ended"; return 1; }; }

# file_is FILE TEXT: FILE holds exactly TEXT (and a newline).  FILE may be
# a pipe, <(command): it is read once.
file_is() {
  local got
  got=$(cat "$1")
  [ "$got" = "$2" ] && return 0
  echo "got '$got', expected '$2'"
  return 1
}

# fails_with TEXT COMMAND...: COMMAND fails, and what it prints contains TEXT.
fails_with() {
  local text=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "it succeeded: $*"
    echo "$out"
    return 1
  fi
  grep -qF -- "$text" <<<"$out" && return 0
  echo "what it printed lacks '$text':"
  echo "$out"
  return 1
}

# saved NAME COMMAND...: COMMAND's stdout into $TMP/NAME.json (for json).
saved() {
  local name=$1
  shift
  "$@" >"$TMP/$name.json"
}

# Python for the json assertions on desktop_shown_json: only(d, S) is the one
# displayed notification whose summary is S.
SHOWNPY='
def only(d, summary):
    got = [s for s in d if s["summary"] == summary]
    assert len(got) == 1, "%d displayed notifications titled %r: %r" % (len(got), summary, got)
    return got[0]
'

command -v notify-send >/dev/null || { fail "test prerequisites" "notify-send is missing (apt-get install libnotify-bin)"; finish; }
[ -x "$PY" ] || { fail "test prerequisites" "$PY is missing (apt-get install python3)"; finish; }

# ---- the desktop ----------------------------------------------------------------------
setup "the test desktop starts: a private bus, Xvfb, dunst" desktop_start
t "DBUS_SESSION_BUS_ADDRESS is the private bus under \$TMP" \
  bash -c "[[ \$DBUS_SESSION_BUS_ADDRESS == unix:path=$TMP/desktop/bus,* ]] || { echo \$DBUS_SESSION_BUS_ADDRESS; false; }"
t "DISPLAY is the Xvfb display" bash -c "[[ \$DISPLAY =~ ^:[0-9]+\$ ]] || { echo \"DISPLAY=\$DISPLAY\"; false; }"
t "Xvfb, dunst, the monitor and dbus-daemon run" \
  kill -0 "$DESKTOP_XVFB_PID" "$DESKTOP_DUNST_PID" "$DESKTOP_MONITOR_PID" "$DESKTOP_BUS_PID"
dbus-send --session --print-reply=literal --dest=org.freedesktop.Notifications /org/freedesktop/Notifications \
  org.freedesktop.Notifications.GetServerInformation >"$TMP/info.out" 2>&1
t "the notification server on the bus is dunst 1.9" grep -Eq 'dunst +knopwob +1\.9' "$TMP/info.out"
t "dunst advertises actions and body-markup" bash -c \
  "gdbus call --session -d org.freedesktop.Notifications -o /org/freedesktop/Notifications \
   -m org.freedesktop.Notifications.GetCapabilities | grep -F \"'actions'\" | grep -F \"'body-markup'\""
t "nothing displayed yet" file_is <(desktop_displayed_count) 0

# ---- a plain notification ------------------------------------------------------------------
t "notify-send: a plain notification is accepted" \
  notify-send -a harness-test 'Plain reminder' 'Dentist at 10:00, Harley St.'
t "it is displayed" desktop_wait_shown '^Plain reminder$'
t "it is displayed once" file_is <(desktop_count_shown '^Plain reminder$') 1
t "desktop_count_shown matches the body too" file_is <(desktop_count_shown 'Harley St') 1
t "a regex nothing matches counts 0" file_is <(desktop_count_shown 'no such notification') 0
t "a bad regular expression is an error, not a count" fails_with 'bad regular expression' desktop_count_shown 'Plain (reminder'
saved shown1 desktop_shown_json
t "the display log: appname, summary, body, urgency NORMAL, run 1, no actions, the client's timeout" \
  json "$TMP/shown1.json" "$SHOWNPY
s = only(d, 'Plain reminder')
assert s['appname'] == 'harness-test', s['appname']
assert s['body'] == 'Dentist at 10:00, Harley St.', s['body']
assert s['urgency'] == 'NORMAL', s['urgency']
assert s['run'] == 1 and isinstance(s['id'], int) and s['id'] > 0, (s['run'], s['id'])
assert s['actions'] == [], s['actions']
assert s['expire_timeout'] == -1, s['expire_timeout']
assert s['argv'] == ['harness-test', 'Plain reminder', 'Dentist at 10:00, Harley St.', s['argv'][3], 'NORMAL'], s['argv']
"
t "dunst displays one notification" file_is <(desktop_displayed_count) 1
saved hist0 desktop_history_json
t "dunstctl history lists no notification that is still displayed" json "$TMP/hist0.json" "
assert d['type'] == 'aa{sv}' and d['data'] == [[]], d
"
t "dunstctl close closes it" dunstctl close
t "closed as dismissed by the user (reason 2)" file_is <(desktop_closed_reason '^Plain reminder$') 2
t "dunst displays nothing now" file_is <(desktop_displayed_count) 0
saved hist1 desktop_history_json
t "dunstctl history now lists it, once: summary, body, appname, id, formatted message" \
  json "$TMP/hist1.json" "
shown = json.load(open('$TMP/shown1.json'))
got = [{k: v['data'] for k, v in n.items()} for n in d['data'][0]]
assert len(got) == 1, got
n = got[0]
assert n['summary'] == 'Plain reminder' and n['body'] == 'Dentist at 10:00, Harley St.', n
assert n['appname'] == 'harness-test', n
assert n['id'] == [s for s in shown if s['summary'] == 'Plain reminder'][0]['id'], n
assert n['message'] == '<b>Plain reminder</b>\nDentist at 10:00, Harley St.', n['message']
assert n['default_action_name'] == 'default', n
"
t "desktop_wait_shown fails (after its timeout) for what was never shown, listing what was" \
  fails_with "'Plain reminder'" desktop_wait_shown 'never shown' 1

# ---- actions -------------------------------------------------------------------------------
notify_bg snooze -a harness-test -u critical -A 'snooze=Snooze 10 min' -A 'dismiss=Dismiss' \
  'Stand-up in 5 minutes' 'Room 3 (Blue)'
SNOOZE_PID=$NOTIFY_PID
t "a notification with two actions is displayed" desktop_wait_shown '^Stand-up in 5 minutes$'
saved shown2 desktop_shown_json
t "the log has its actions, in the order sent, and urgency CRITICAL" json "$TMP/shown2.json" "$SHOWNPY
s = only(d, 'Stand-up in 5 minutes')
assert s['actions'] == [['snooze', 'Snooze 10 min'], ['dismiss', 'Dismiss']], s['actions']
assert s['urgency'] == 'CRITICAL', s['urgency']
"
t "notify-send waits for an action" still_runs "$SNOOZE_PID"
t "a label the notification does not have: desktop_invoke_action fails and lists the menu" \
  fails_with '#Snooze 10 min (Stand-up in 5 minutes) [' desktop_invoke_action '^Stand-up' 'Snooze 1 year' 2
t "a summary no displayed notification has: desktop_invoke_action fails" \
  fails_with 'No such summary' desktop_invoke_action '^No such summary' 'Snooze 10 min' 1
t "nothing was invoked by the failed attempts: notify-send still waits" still_runs "$SNOOZE_PID"
t "click 'Snooze 10 min' through dunst's context menu" desktop_invoke_action '^Stand-up in 5 minutes$' 'Snooze 10 min'
t "notify-send ends" ended "$SNOOZE_PID" snooze
t "notify-send exits 0" file_is "$TMP/snooze.rc" 0
t "notify-send printed the action's name: snooze" file_is "$TMP/snooze.out" snooze
SNOOZE_ID=$(desktop_shown_json | "$PY" -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["summary"].startswith("Stand-up")][0])')
t "the context menu offered one line per action: #LABEL (SUMMARY) [ID,KEY], and got '-p dunst'" \
  json <(desktop_menu_json) "
m = [a for a in d if a['chosen'] and a['chosen']['key'] == 'snooze'][-1]
want = ['#Snooze 10 min (Stand-up in 5 minutes) [$SNOOZE_ID,snooze]', '#Dismiss (Stand-up in 5 minutes) [$SNOOZE_ID,dismiss]']
assert sorted(m['menu']) == sorted(want), m['menu']
assert m['argv'] == ['-p', 'dunst'], m['argv']
"
saved bus2 desktop_bus_json
t "dunst sent ActionInvoked(id, 'snooze') to notify-send, once" json "$TMP/bus2.json" "
acts = [r for r in d if r['event'] == 'action']
assert [(a['id'], a['key']) for a in acts] == [($SNOOZE_ID, 'snooze')], acts
sent = [r for r in d if r['event'] == 'notify' and r['id'] == $SNOOZE_ID][-1]
assert acts[0]['client'] == sent['client'] and acts[0]['server'] == sent['server'], (acts, sent)
"
t "notify-send then closed it itself (CloseNotification, reason 3)" \
  file_is <(desktop_closed_reason '^Stand-up in 5 minutes$') 3

notify_bg dismiss -a harness-test -A 'snooze=Snooze 10 min' -A 'dismiss=Dismiss' 'Budget review' 'at 14:00'
DISMISS_PID=$NOTIFY_PID
t "click 'Dismiss' on another notification" desktop_invoke_action '^Budget review$' 'Dismiss'
t "notify-send ends" ended "$DISMISS_PID" dismiss
t "notify-send printed: dismiss" file_is "$TMP/dismiss.out" dismiss

# A client that does not close on ActionInvoked (gdbus returns at once).
gdbus call --session -d org.freedesktop.Notifications -o /org/freedesktop/Notifications \
  -m org.freedesktop.Notifications.Notify -- raw-client 'uint32 0' '' 'Left open' 'by its client' \
  '["open", "Open diary"]' '@a{sv} {}' 'int32 -1' >"$TMP/gdbus.out" 2>&1
t "gdbus Notify with one action is displayed" desktop_wait_shown '^Left open$'
t "click 'Open diary'" desktop_invoke_action '^Left open$' 'Open diary'
t "dunst does not close a notification whose action was invoked" file_is <(desktop_displayed_count) 1
t "no NotificationClosed for it" fails_with 'no NotificationClosed' desktop_closed_reason '^Left open$' 1
t "dunstctl close-all closes it (reason 2)" dunstctl close-all
t "... reason 2" file_is <(desktop_closed_reason '^Left open$') 2

# ---- markup characters and urgencies -----------------------------------------------------------
MARKUP_BODY='Call <b>Jo</b> & Sam about "Q4" <i>now</i> &amp; 5 < 6'
t "notify-send: a body with markup characters" notify-send -a harness-test 'Markup check' "$MARKUP_BODY"
t "it is displayed" desktop_wait_shown '^Markup check$'
saved shown3 desktop_shown_json
t "the log has the body exactly as sent (no escaping, no stripping)" json "$TMP/shown3.json" "$SHOWNPY
s = only(d, 'Markup check')
assert s['body'] == '''$MARKUP_BODY''', s['body']
assert s['argv'][2] == s['body'], s['argv']
"
t "notify-send -u low: urgency LOW" notify-send -u low 'Low one' 'x'
t "it is displayed" desktop_wait_shown '^Low one$'
t "... with urgency LOW" json <(desktop_shown_json) "$SHOWNPY
assert only(d, 'Low one')['urgency'] == 'LOW'
"
t "dunstctl close-all" dunstctl close-all
t "the Markup check was closed" file_is <(desktop_closed_reason '^Markup check$') 2
t "dunstctl history has the body as sent, and dunst's formatted message escapes the lone &" \
  json <(desktop_history_json) "
got = [{k: v['data'] for k, v in n.items()} for n in d['data'][0] if n['summary']['data'] == 'Markup check']
assert len(got) == 1, got
assert got[0]['body'] == '''$MARKUP_BODY''', got[0]['body']
assert ' &amp; Sam' in got[0]['message'], got[0]['message']
"

# ---- a replaced notification --------------------------------------------------------------------
REPLACE_ID=$(notify-send -p -a harness-test 'Replace me' 'first')
t "notify-send -p prints the id" bash -c "[[ '$REPLACE_ID' =~ ^[0-9]+\$ ]]"
t "notify-send -r ID replaces it" notify-send -r "$REPLACE_ID" -a harness-test 'Replaced' 'second'
t "the replacement is displayed" desktop_wait_shown '^Replaced$'
t "both are logged, with the same id" json <(desktop_shown_json) "$SHOWNPY
a, b = only(d, 'Replace me'), only(d, 'Replaced')
assert a['id'] == b['id'] == $REPLACE_ID, (a['id'], b['id'])
assert b['replaces_id'] == $REPLACE_ID, b['replaces_id']
"
t "one notification displayed" file_is <(desktop_displayed_count) 1
t "dunstctl close-all" dunstctl close-all

# ---- the notification server goes away and comes back -------------------------------------------
setup "desktop_stop_dunst stops dunst" desktop_stop_dunst
t "notify-send fails while dunst is down" bash -c "! notify-send -a harness-test 'While down' 'x' 2>'$TMP/down.err'"
t "... because no one serves org.freedesktop.Notifications (and nothing is activated)" \
  grep -q 'ServiceUnknown' "$TMP/down.err"
t "libnotify sent no Notify: it asks GetServerInformation first, which fails" json <(desktop_bus_json) "
assert not [r for r in d if r.get('summary') == 'While down'], d[-3:]
"
t "a raw Notify call (gdbus) fails too" fails_with ServiceUnknown \
  gdbus call --session -d org.freedesktop.Notifications -o /org/freedesktop/Notifications \
  -m org.freedesktop.Notifications.Notify -- raw-client 'uint32 0' '' 'Raw while down' '' '@as []' '@a{sv} {}' 'int32 -1'
t "the bus log has it as notify-failed, ServiceUnknown" json <(desktop_bus_json) "
f = [r for r in d if r.get('summary') == 'Raw while down']
assert len(f) == 1 and f[0]['event'] == 'notify-failed', f
assert f[0]['error'] == 'org.freedesktop.DBus.Error.ServiceUnknown', f
"
t "nothing was displayed for it" file_is <(desktop_count_shown '^While down$') 0
setup "desktop_start_dunst starts dunst again" desktop_start_dunst
t "notify-send works again" notify-send -a harness-test 'After restart' 'back'
t "it is displayed" desktop_wait_shown '^After restart$'
t "it is logged as dunst's run 2" json <(desktop_shown_json) "$SHOWNPY
assert only(d, 'After restart')['run'] == 2
assert only(d, 'Plain reminder')['run'] == 1
"
notify_bg again -A 'snooze=Snooze 10 min' 'Second run reminder' 'x'
AGAIN_PID=$NOTIFY_PID
t "actions work with the new dunst" desktop_invoke_action '^Second run reminder$' 'Snooze 10 min'
t "notify-send ends" ended "$AGAIN_PID" again
t "notify-send printed: snooze" file_is "$TMP/again.out" snooze

# ---- a frozen (hung) server, and one killed while frozen ----------------------------------------------
notify_raw() { # notify_raw TIMEOUT_S SUMMARY: a raw Notify through gdbus
  gdbus call --session --timeout "$1" -d org.freedesktop.Notifications -o /org/freedesktop/Notifications \
    -m org.freedesktop.Notifications.Notify -- raw-client 'uint32 0' '' "$2" 'x' '@as []' '@a{sv} {}' 'int32 -1'
}
has_owner() { _desktop_name_owner >/dev/null || { echo "org.freedesktop.Notifications has no owner"; return 1; }; }
t "desktop_freeze_dunst stops dunst (SIGSTOP)" desktop_freeze_dunst
t "frozen, it still owns org.freedesktop.Notifications" has_owner
t "a Notify to it times out (gdbus --timeout 2)" fails_with 'Timeout was reached' notify_raw 2 'Frozen call'
t "nothing is displayed while it is frozen" file_is <(desktop_count_shown '^Frozen call$') 0
t "desktop_thaw_dunst: it answers again" desktop_thaw_dunst
t "the Notify that timed out is displayed all the same (a client must never send it again)" \
  desktop_wait_shown '^Frozen call$'
sleep 1
t "... once" file_is <(desktop_count_shown '^Frozen call$') 1
t "frozen again" desktop_freeze_dunst
# dbus-send: gdbus call would first ask for the object's introspection.
dbus-send --session --print-reply --reply-timeout=20000 --dest=org.freedesktop.Notifications \
  /org/freedesktop/Notifications org.freedesktop.Notifications.GetServerInformation >"$TMP/killed.out" 2>&1 &
KILLED_PID=$!
sleep 0.5
setup "desktop_kill_dunst kills the frozen dunst" desktop_kill_dunst
wait "$KILLED_PID"
t "the call waiting for it got NoReply (disconnected) from the bus: dunst never answered it" \
  grep -q 'NoReply.*disconnected' "$TMP/killed.out"
setup "desktop_start_dunst starts dunst again (run 3)" desktop_start_dunst
t "it takes new notifications" notify-send -a harness-test 'Third run' 'x'
t "... displayed as run 3" desktop_wait_shown '^Third run$'

# ---- stopping -----------------------------------------------------------------------------------------
PIDS="$DESKTOP_DUNST_PID $DESKTOP_XVFB_PID $DESKTOP_MONITOR_PID $DESKTOP_BUS_PID"
setup "desktop_stop" desktop_stop
t "dunst, Xvfb, the monitor and dbus-daemon are gone" bash -c "for p in $PIDS; do ! kill -0 \$p 2>/dev/null || { echo \"\$p runs\"; exit 1; }; done"

finish
