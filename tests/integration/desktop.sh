# A private desktop for the notification tests: a D-Bus session bus, an X
# server (Xvfb) and dunst as the notification server, all started by the
# test on this machine and stopped when it ends.  Tests can then see what a
# program really displayed and click its actions, with nobody at a screen.
#
# Source it after lib.sh.  Helpers that can fail print why on stdout and
# return non-zero, so they can be used with t(); the ones that start or stop
# processes must run in the test's own shell (not through t or $(...)).
#
#   desktop_start           the bus, Xvfb and dunst; exports
#                           DBUS_SESSION_BUS_ADDRESS and DISPLAY
#   desktop_stop            stops all of it (also run at exit)
#   desktop_stop_dunst      stops only dunst (the notification server goes away)
#   desktop_start_dunst     starts dunst again
#   desktop_freeze_dunst    stops dunst with SIGSTOP: it keeps its bus name,
#                           calls to it wait (a hung server)
#   desktop_thaw_dunst      SIGCONT: it answers what waited
#   desktop_kill_dunst      SIGKILL (frozen or not): gone without a word
#   desktop_wait_shown RE [SECS]          until a displayed notification matches
#   desktop_count_shown RE                how many displayed notifications matched
#   desktop_shown_json                    every displayed notification (JSON)
#   desktop_bus_json                      the notification traffic on the bus (JSON)
#   desktop_menu_json                     the context menus dunst opened (JSON)
#   desktop_history_json                  `dunstctl history`
#   desktop_invoke_action SUMMARY_RE LABEL [SECS]   clicks an action through dunst
#   desktop_closed_reason SUMMARY_RE [SECS]         why a notification was closed
#   desktop_displayed_count               notifications on screen now
#
# What the test desktop is:
# - The bus is a private dbus-daemon with its own configuration: like the
#   session bus, but with NO service activation, so that nothing (not even
#   /usr/share/dbus-1/services/org.knopwob.dunst.service) starts a
#   notification server behind the test's back: while dunst is stopped,
#   Notify fails with org.freedesktop.DBus.Error.ServiceUnknown.
# - Xvfb on a display it finds free itself (-displayfd); it reports the
#   number only once it accepts connections.
# - dunst 1.9 with $DESKTOP_DIR/dunstrc (see _desktop_write_dunstrc):
#   markup = full as in the stock dunstrc (so it advertises body-markup);
#   notifications never expire (every urgency's timeout is 0, and a rule
#   overrides the timeout a client asks for, see DESKTOP_OVERRIDE_TIMEOUT),
#   so that a test can always still click them; duplicates are not stacked
#   (stack_duplicates = false), so every Notify is one displayed
#   notification; history keeps 500; mouse clicks do nothing.
# - Every notification dunst displays is logged by a rule matching all
#   ([log], summary = "*", script = $DESKTOP_DIR/log-shown.py) as one JSON
#   line in $DESKTOP_DIR/shown.jsonl.
# - Everything sent to or from org.freedesktop.Notifications (Notify with its
#   actions and hints, the id returned, ActionInvoked, NotificationClosed,
#   CloseNotification) is logged by a bus monitor ($DESKTOP_DIR/monitor.py,
#   org.freedesktop.DBus.Monitoring.BecomeMonitor) in $DESKTOP_DIR/bus.jsonl.
#   That is how the tests see the signals dunst sends: dunst 1.9 sends
#   ActionInvoked and NotificationClosed to the notifying client only
#   (unicast), so no ordinary match rule would see them.
# - dunst's context menu program ("dmenu") is $DESKTOP_DIR/menu.py, which
#   answers the request desktop_invoke_action left for it.
#
# What dunst 1.9.0 does (found by experiment with this configuration):
# - The rule's script runs when a notification is DISPLAYED, not when it
#   arrives: one paused (dunstctl set-paused true) is logged when unpaused.
#   It runs again, with the same DUNST_ID, when a notification is replaced
#   (Notify with replaces_id) and when `dunstctl history-pop` shows one
#   again; each of those is one more line in shown.jsonl.  Scripts run
#   asynchronously: the line appears shortly after the notification.
#   Arguments: appname summary body icon urgency; environment: DUNST_APP_NAME,
#   DUNST_SUMMARY, DUNST_BODY (the body as the client sent it, markup and
#   all: "<b>x</b> & y", although dunst displays "&" as "&amp;"),
#   DUNST_ICON_PATH (empty unless an icon file was found), DUNST_URGENCY
#   (LOW, NORMAL or CRITICAL), DUNST_ID, DUNST_PROGRESS (-1 when none),
#   DUNST_CATEGORY, DUNST_STACK_TAG, DUNST_URLS, DUNST_TIMEOUT (after rules:
#   0 here), DUNST_TIMESTAMP (CLOCK_BOOTTIME, milliseconds), DUNST_DESKTOP_ENTRY;
#   plus dunst's own environment.  The script is not told the actions: the
#   bus log supplies them (desktop_shown_json joins the two).
# - Ids restart when dunst is restarted: a notification is known by the dunst
#   run (1, 2, ... in shown.jsonl; the bus name of that dunst in bus.jsonl).
# - Actions: a displayed notification's actions are offered by the context
#   menu (`dunstctl context`, method org.dunstproject.cmd0.ContextMenuCall),
#   which returns at once and runs the dmenu command in a thread.  The
#   command gets, on stdin, one line per action of every displayed
#   notification that has actions (then that notification's URLs, if any),
#   lines joined by "\n" with NO newline after the last, each
#       #LABEL (SUMMARY) [ID,KEY]
#   e.g. "#Snooze 10 min (Stand-up) [3,snooze]", in hash-table order (not the
#   order the client sent).  dunst reads one answer of up to 1024 bytes; a
#   line starting with "#" makes it send ActionInvoked(ID, KEY) to the client
#   (only if notification ID is still displayed and has action KEY); an empty
#   answer does nothing.  When no displayed notification has an action or a
#   URL, dunst does not run the menu at all.
# - Invoking an action does NOT close the notification: dunst only sends
#   ActionInvoked.  notify-send 0.8 then closes it itself (CloseNotification,
#   so NotificationClosed reason 3).
# - `dunstctl action N` (NotificationAction) acts on the Nth displayed
#   notification from the top: its action named "default" (or the action
#   named by a rule's action_name), else its only action, else the context
#   menu of ALL displayed notifications.  In 1.9.0 it refuses every N greater
#   than the number of WAITING notifications ("Couldn't activate action for
#   notification in position 1, 0 notifications currently open"), so in
#   practice only N = 0, the top one, works.  Hence the context menu here.
# - The top notification (what `dunstctl close` and `dunstctl action 0` act
#   on): with sort = yes, the highest urgency first, then the oldest (lowest
#   id).  `dunstctl close` closes it (reason 2, dismissed by the user);
#   `dunstctl close-all` closes all (reason 2); an expired one gets reason 1;
#   CloseNotification reason 3.
# - `dunstctl history` (busctl --user call ... NotificationListHistory; busctl
#   honours DBUS_SESSION_BUS_ADDRESS) prints {"type": "aa{sv}", "data":
#   [[N1, N2, ...]]}: only notifications that were CLOSED (expired, dismissed,
#   CloseNotification, close-all), most recently closed first; never the
#   displayed or waiting ones; at most history_length; none that a rule marks
#   history_ignore; `dunstctl history-pop` takes one out (and displays it
#   again) until it is closed again.
#   Each N is {"field": {"type": T, "data": V}} with fields body (as sent),
#   message (the formatted text, "<b>summary</b>\nbody" with markup fixed up:
#   "&" becomes "&amp;"), summary, appname, category, default_action_name
#   ("default"), icon_path, id, timestamp (monotonic microseconds), timeout,
#   progress.  No urgency, no actions (they are invalidated when closed).
#
# Regular expressions (RE) are Python's, searched (re.search): for ordinary
# patterns the same as grep -E.
# Its variables are used by the test files that source it.
# shellcheck shell=bash disable=SC2034

DESKTOP_PY=${PY:-/usr/bin/python3}
# Seconds the desktop_wait_* helpers wait by default, and the bus, Xvfb and
# dunst may take to start.
DESKTOP_WAIT_TIMEOUT=${DESKTOP_WAIT_TIMEOUT:-10}
DESKTOP_START_TIMEOUT=${DESKTOP_START_TIMEOUT:-30}
# The display time dunst forces on every notification (override_dbus_timeout,
# a dunst time: 0 = until closed, "30s", ...).  Empty: the timeout the client
# asks for is kept (then the urgency's, 0 = until closed).
DESKTOP_OVERRIDE_TIMEOUT=${DESKTOP_OVERRIDE_TIMEOUT-0}
# More dunstrc sections (rules), placed after the others but before [log].
DESKTOP_DUNSTRC_EXTRA=${DESKTOP_DUNSTRC_EXTRA:-}

DESKTOP_DIR=
DESKTOP_BUS_PID=
DESKTOP_XVFB_PID=
DESKTOP_MONITOR_PID=
DESKTOP_DUNST_PID=
# How many times dunst was started (its run number).
DESKTOP_DUNST_RUNS=0
_desktop_at_exit=

# ---- small helpers ---------------------------------------------------------------

# _desktop_now_us: wall-clock microseconds.
_desktop_now_us() { echo "${EPOCHREALTIME/./}"; }

# _desktop_poll SECS COMMAND...: runs COMMAND (quietly) every 0.1 s until it
# succeeds (0) or SECS seconds have passed (1).  A COMMAND that returns 100
# says waiting is hopeless (a process died): returns 1 at once.
_desktop_poll() {
  local deadline rc
  deadline=$(($(_desktop_now_us) + ${1%.*} * 1000000))
  shift
  while :; do
    "$@" >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && return 0
    [ "$rc" -ne 100 ] || return 1
    [ "$(_desktop_now_us)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# _desktop_stop_pid PID: stop_pid (lib.sh) when there is a PID.
_desktop_stop_pid() {
  [ -z "$1" ] || stop_pid "$1"
  return 0
}

# _desktop_alive PID
_desktop_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# _desktop_q COMMAND ARGS...: the query helper on the logs ($DESKTOP_DIR/query.py).
_desktop_q() { "$DESKTOP_PY" "$DESKTOP_DIR/query.py" "$DESKTOP_DIR" "$@"; }

# _desktop_check_re RE: RE is a valid (Python) regular expression.
_desktop_check_re() { _desktop_q check-re "$1"; }

_desktop_started() {
  [ -n "$DESKTOP_DIR" ] && [ -f "$DESKTOP_DIR/query.py" ] && return 0
  echo "the test desktop is not started (desktop_start)"
  return 1
}

# _desktop_name_owner: the unique bus name that owns org.freedesktop.Notifications.
_desktop_name_owner() {
  local out
  out=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetNameOwner string:org.freedesktop.Notifications 2>/dev/null) || return 1
  out=${out//[[:space:]]/}
  [ -n "$out" ] && echo "$out"
}

# _desktop_owner_pid NAME: the process id behind a bus name.
_desktop_owner_pid() {
  local out
  out=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" 2>/dev/null) || return 1
  out=${out##*uint32 }
  echo "${out//[[:space:]]/}"
}

# _desktop_dunst_serves: our dunst answers GetServerInformation as "dunst".
_desktop_dunst_serves() {
  local owner
  _desktop_alive "$DESKTOP_DUNST_PID" || return 100
  dbus-send --session --print-reply=literal --dest=org.freedesktop.Notifications /org/freedesktop/Notifications \
    org.freedesktop.Notifications.GetServerInformation 2>/dev/null | grep -q dunst || return 1
  owner=$(_desktop_name_owner) || return 1
  [ "$(_desktop_owner_pid "$owner")" = "$DESKTOP_DUNST_PID" ]
}

_desktop_no_server() {
  ! dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null | grep -q 'boolean true'
}

# _desktop_file_has FILE TEXT [PID]: FILE holds the fixed string TEXT (100
# when process PID is gone).
_desktop_file_has() {
  [ -f "$1" ] && grep -qF -- "$2" "$1" && return 0
  [ -z "${3:-}" ] || _desktop_alive "$3" || return 100
  return 1
}

# ---- starting and stopping -----------------------------------------------------------

# desktop_start: the private bus, Xvfb and dunst.  Exports
# DBUS_SESSION_BUS_ADDRESS and DISPLAY (and unsets WAYLAND_DISPLAY: dunst
# would use Wayland).  Everything is stopped at exit.
desktop_start() {
  local tool try display
  if [ "$BASH_SUBSHELL" -ne 0 ]; then
    echo "desktop_start was called in a subshell (through t or \$(...)): call it directly"
    return 1
  fi
  [ -z "$DESKTOP_DIR" ] || { echo "the test desktop is already started"; return 1; }
  for tool in dbus-daemon dbus-send busctl Xvfb dunst dunstctl; do
    command -v "$tool" >/dev/null || {
      echo "$tool is missing (apt-get install dbus dbus-bin systemd xvfb dunst)"
      return 1
    }
  done
  "$DESKTOP_PY" -c 'from gi.repository import Gio, GLib' 2>/dev/null ||
    { echo "$DESKTOP_PY cannot import gi (apt-get install python3-gi)"; return 1; }
  DESKTOP_DIR=$TMP/desktop
  case $DESKTOP_DIR in
    *[[:space:]\'\"\\#\&\<\>]*)
      echo "the desktop directory $DESKTOP_DIR has a character dunstrc or bus.conf cannot hold"
      return 1
      ;;
  esac
  mkdir -p "$DESKTOP_DIR/services" || return 1
  : >"$DESKTOP_DIR/shown.jsonl"
  : >"$DESKTOP_DIR/bus.jsonl"
  : >"$DESKTOP_DIR/runs"
  _desktop_write_scripts || return 1
  if [ -z "$_desktop_at_exit" ]; then
    at_exit desktop_stop
    _desktop_at_exit=1
  fi
  unset WAYLAND_DISPLAY

  # The bus: the session bus's policy, no activation (an empty service dir).
  cat >"$DESKTOP_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$DESKTOP_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$DESKTOP_DIR/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
  dbus-daemon --config-file="$DESKTOP_DIR/bus.conf" --nofork --print-address=3 \
    3>"$DESKTOP_DIR/bus.address" >"$DESKTOP_DIR/dbus.log" 2>&1 </dev/null &
  DESKTOP_BUS_PID=$!
  if ! _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_file_has "$DESKTOP_DIR/bus.address" unix: "$DESKTOP_BUS_PID"; then
    echo "dbus-daemon did not start within ${DESKTOP_START_TIMEOUT}s:"
    cat "$DESKTOP_DIR/dbus.log"
    return 1
  fi
  DBUS_SESSION_BUS_ADDRESS=$(head -1 "$DESKTOP_DIR/bus.address")
  export DBUS_SESSION_BUS_ADDRESS

  # The bus monitor, before dunst so that it sees dunst take its name.
  "$DESKTOP_PY" "$DESKTOP_DIR/monitor.py" "$DBUS_SESSION_BUS_ADDRESS" "$DESKTOP_DIR/bus.jsonl" \
    >"$DESKTOP_DIR/monitor.log" 2>&1 </dev/null &
  DESKTOP_MONITOR_PID=$!
  if ! _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_file_has "$DESKTOP_DIR/bus.jsonl" '"monitor-ready"' "$DESKTOP_MONITOR_PID"; then
    echo "the bus monitor did not start within ${DESKTOP_START_TIMEOUT}s:"
    cat "$DESKTOP_DIR/monitor.log"
    return 1
  fi

  # Xvfb picks a free display itself and writes its number once it accepts
  # connections; tried three times in case another server took it meanwhile.
  for try in 1 2 3; do
    : >"$DESKTOP_DIR/xvfb.display"
    echo "---- Xvfb attempt $try" >>"$DESKTOP_DIR/xvfb.log"
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -noreset \
      3>"$DESKTOP_DIR/xvfb.display" >>"$DESKTOP_DIR/xvfb.log" 2>&1 </dev/null &
    DESKTOP_XVFB_PID=$!
    _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_xvfb_ready && break
    _desktop_stop_pid "$DESKTOP_XVFB_PID"
    DESKTOP_XVFB_PID=
  done
  if [ -z "$DESKTOP_XVFB_PID" ]; then
    echo "Xvfb did not start:"
    tail -20 "$DESKTOP_DIR/xvfb.log"
    return 1
  fi
  display=$(head -1 "$DESKTOP_DIR/xvfb.display")
  export DISPLAY=:$display

  _desktop_write_dunstrc || return 1
  desktop_start_dunst
}

# _desktop_xvfb_ready: Xvfb wrote its display number (and, when xdpyinfo is
# installed, answers on it); fails at once if Xvfb died.
_desktop_xvfb_ready() {
  local n
  _desktop_alive "$DESKTOP_XVFB_PID" || return 100
  n=$(head -1 "$DESKTOP_DIR/xvfb.display" 2>/dev/null)
  [[ $n =~ ^[0-9]+$ ]] || return 1
  if command -v xdpyinfo >/dev/null; then
    DISPLAY=:$n xdpyinfo >/dev/null 2>&1 || return 1
  fi
  return 0
}

# desktop_start_dunst: starts dunst (again) and waits until it owns
# org.freedesktop.Notifications.  A new run: ids start again.
desktop_start_dunst() {
  local owner
  _desktop_started || return 1
  if _desktop_alive "$DESKTOP_DUNST_PID"; then
    echo "dunst is already running"
    return 1
  fi
  DESKTOP_DUNST_RUNS=$((DESKTOP_DUNST_RUNS + 1))
  echo "---- dunst run $DESKTOP_DUNST_RUNS" >>"$DESKTOP_DIR/dunst.log"
  # -print: each notification as dunst received it, in dunst.log (for diagnosis).
  DESKTOP_DUNST_RUN=$DESKTOP_DUNST_RUNS dunst -config "$DESKTOP_DIR/dunstrc" -print \
    >>"$DESKTOP_DIR/dunst.log" 2>&1 </dev/null &
  DESKTOP_DUNST_PID=$!
  if ! _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_dunst_serves; then
    echo "dunst did not take org.freedesktop.Notifications within ${DESKTOP_START_TIMEOUT}s" \
      "(DISPLAY=$DISPLAY):"
    tail -20 "$DESKTOP_DIR/dunst.log"
    _desktop_stop_pid "$DESKTOP_DUNST_PID"
    DESKTOP_DUNST_PID=
    return 1
  fi
  owner=$(_desktop_name_owner) || { echo "no owner of org.freedesktop.Notifications"; return 1; }
  echo "$DESKTOP_DUNST_RUNS $owner $DESKTOP_DUNST_PID" >>"$DESKTOP_DIR/runs"
  # The monitor must have seen it too, or a Notify could be logged without its server.
  _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_file_has "$DESKTOP_DIR/bus.jsonl" "\"owner\": \"$owner\"" ||
    { echo "the bus monitor did not see dunst take its name"; return 1; }
}

# desktop_stop_dunst: stops dunst (TERM) and waits until nobody owns
# org.freedesktop.Notifications.  Its notifications are gone with it.
desktop_stop_dunst() {
  _desktop_started || return 1
  _desktop_alive "$DESKTOP_DUNST_PID" || { echo "dunst is not running"; return 1; }
  _desktop_stop_pid "$DESKTOP_DUNST_PID"
  DESKTOP_DUNST_PID=
  _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_no_server ||
    { echo "org.freedesktop.Notifications still has an owner after dunst stopped"; return 1; }
}

# desktop_freeze_dunst: SIGSTOP to dunst, and waits until it is stopped.
# It still owns org.freedesktop.Notifications: method calls to it wait
# (gdbus's --timeout, or D-Bus's 25 s), and the ones that timed out are
# still carried out when it is thawed.
desktop_freeze_dunst() {
  _desktop_started || return 1
  _desktop_alive "$DESKTOP_DUNST_PID" || { echo "dunst is not running"; return 1; }
  kill -STOP "$DESKTOP_DUNST_PID" || return 1
  _desktop_poll "$DESKTOP_WAIT_TIMEOUT" _desktop_dunst_state T ||
    { echo "dunst (pid $DESKTOP_DUNST_PID) did not stop"; return 1; }
}

# desktop_thaw_dunst: SIGCONT to a frozen dunst.
desktop_thaw_dunst() {
  _desktop_started || return 1
  _desktop_alive "$DESKTOP_DUNST_PID" || { echo "dunst is not running"; return 1; }
  kill -CONT "$DESKTOP_DUNST_PID" || return 1
  _desktop_poll "$DESKTOP_WAIT_TIMEOUT" _desktop_dunst_serves ||
    { echo "dunst does not answer after SIGCONT"; return 1; }
}

# desktop_kill_dunst: SIGKILL to dunst (it may be frozen), and waits until
# nobody owns org.freedesktop.Notifications.  Calls that waited for it get
# org.freedesktop.DBus.Error.NoReply from the bus.
desktop_kill_dunst() {
  _desktop_started || return 1
  _desktop_alive "$DESKTOP_DUNST_PID" || { echo "dunst is not running"; return 1; }
  kill -KILL "$DESKTOP_DUNST_PID"
  wait "$DESKTOP_DUNST_PID" 2>/dev/null
  DESKTOP_DUNST_PID=
  _desktop_poll "$DESKTOP_START_TIMEOUT" _desktop_no_server ||
    { echo "org.freedesktop.Notifications still has an owner after dunst was killed"; return 1; }
}

# _desktop_dunst_state S: dunst's process state (/proc/PID/stat) is S.
_desktop_dunst_state() {
  local stat
  stat=$(cat "/proc/$DESKTOP_DUNST_PID/stat" 2>/dev/null) || return 100
  stat=${stat##*) }
  [ "${stat%% *}" = "$1" ]
}

# desktop_stop: stops dunst, Xvfb, the monitor and the bus (in that order).
# Safe to call more than once; lib.sh calls it at exit.  The logs stay
# readable (desktop_shown_json, ...); desktop_start cannot be called again.
desktop_stop() {
  [ -z "$DESKTOP_DUNST_PID" ] || kill -CONT "$DESKTOP_DUNST_PID" 2>/dev/null # a frozen one cannot take TERM
  _desktop_stop_pid "$DESKTOP_DUNST_PID"
  DESKTOP_DUNST_PID=
  _desktop_stop_pid "$DESKTOP_XVFB_PID"
  DESKTOP_XVFB_PID=
  _desktop_stop_pid "$DESKTOP_MONITOR_PID"
  DESKTOP_MONITOR_PID=
  _desktop_stop_pid "$DESKTOP_BUS_PID"
  DESKTOP_BUS_PID=
  return 0
}

# ---- what was displayed ------------------------------------------------------------------

# desktop_wait_shown RE [SECS]: until a displayed notification's summary or
# body matches RE (default $DESKTOP_WAIT_TIMEOUT s).  On timeout, lists what
# was displayed.
desktop_wait_shown() {
  local re=$1 secs=${2:-$DESKTOP_WAIT_TIMEOUT}
  _desktop_started && _desktop_check_re "$re" || return 1
  _desktop_poll "$secs" _desktop_q match "$re" && return 0
  echo "no displayed notification's summary or body matched /$re/ within ${secs}s; displayed:"
  _desktop_q describe
  return 1
}

# desktop_count_shown RE: prints how many displayed notifications (lines of
# shown.jsonl, all dunst runs) have a summary or body matching RE.  A
# notification replaced or popped from history counts again.
desktop_count_shown() {
  _desktop_started && _desktop_check_re "$1" || return 1
  _desktop_q count "$1"
}

# desktop_shown_json: a JSON array, one object per displayed notification in
# the order dunst's script logged them: run, id, appname, summary, body,
# urgency, icon, category, stack_tag, urls, timeout, timestamp,
# desktop_entry, progress, argv (what the script was given) and, from the
# bus log, the Notify call dunst answered with that id: actions ([[KEY,
# LABEL], ...] in the order sent), hints, expire_timeout, replaces_id,
# client (null when not found).
desktop_shown_json() {
  _desktop_started || return 1
  _desktop_q shown-json
}

# desktop_bus_json: a JSON array of the notification traffic on the bus, in
# order; each has "event":
#   server         org.freedesktop.Notifications has a new owner (null: none)
#   notify         a Notify call answered: id, server, client, app, replaces_id,
#                  icon, summary, body, actions, hints, expire_timeout
#   notify-failed  a Notify call answered with an error: error, message, ...
#                  (a call with the wrong signature: bad_signature and args)
#   action         ActionInvoked(id, key) sent by server to client
#   closed         NotificationClosed(id, reason) sent by server to client
#   close-request  CloseNotification(id) called by client
desktop_bus_json() {
  _desktop_started || return 1
  _desktop_q bus-json
}

# desktop_menu_json: a JSON array of every context menu dunst opened, in
# order: {"menu": [LINE, ...] as dunst offered them, "argv": the dmenu
# command's arguments, "request": what desktop_invoke_action asked (null: no
# request, nothing chosen), "token", "chosen": {"id", "key", "summary",
# "line"} or null}.
desktop_menu_json() {
  _desktop_started || return 1
  _desktop_q menu-json
}

# desktop_history_json: `dunstctl history` (see the top of this file for
# what dunst 1.9 lists: closed notifications only, newest closed first).
desktop_history_json() {
  _desktop_started || return 1
  dunstctl history
}

# desktop_displayed_count: prints how many notifications dunst displays now.
desktop_displayed_count() {
  _desktop_started || return 1
  dunstctl count displayed
}

# ---- acting on notifications ------------------------------------------------------------

# desktop_invoke_action SUMMARY_RE LABEL [SECS]: clicks the action labelled
# LABEL (exactly) of the displayed notification whose summary matches
# SUMMARY_RE (the newest, when several do), through dunst's context menu:
# waits until such a notification was displayed, opens the menu (dunstctl
# context) with menu.py set to answer the line "#LABEL (SUMMARY) [ID,KEY]",
# and returns 0 once the bus monitor saw dunst send ActionInvoked(ID, KEY) to
# the client.  Retries until SECS (default $DESKTOP_WAIT_TIMEOUT); on failure,
# prints the last menu dunst offered.
desktop_invoke_action() {
  local re=$1 label=$2 secs=${3:-$DESKTOP_WAIT_TIMEOUT} deadline token answer since owner out left id key
  _desktop_started && _desktop_check_re "$re" || return 1
  owner=$(_desktop_name_owner) || { echo "no notification server on the bus"; return 1; }
  since=$(wc -l <"$DESKTOP_DIR/bus.jsonl")
  deadline=$(($(_desktop_now_us) + ${secs%.*} * 1000000))
  if ! _desktop_poll "$secs" _desktop_q match-summary "$re"; then
    echo "no displayed notification's summary matched /$re/ within ${secs}s; displayed:"
    _desktop_q describe
    return 1
  fi
  answer=$DESKTOP_DIR/menu-answer.json
  while :; do
    token="$BASHPID-$(_desktop_now_us)-$RANDOM"
    rm -f "$answer"
    _desktop_q request "$token" "$re" "$label" || return 1
    if ! out=$(dunstctl context 2>&1); then
      rm -f "$DESKTOP_DIR/menu-request.json"
      echo "dunstctl context failed: $out"
      return 1
    fi
    left=$(((deadline - $(_desktop_now_us)) / 1000000 + 1))
    if _desktop_poll "$left" _desktop_file_has "$answer" "\"token\": \"$token\""; then
      if _desktop_q chosen "$token" >"$DESKTOP_DIR/menu-chosen" 2>&1; then
        read -r id key <"$DESKTOP_DIR/menu-chosen"
        left=$(((deadline - $(_desktop_now_us)) / 1000000 + 1))
        _desktop_poll "$left" _desktop_q action-seen "$since" "$owner" "$id" "$key" && return 0
        echo "dunst was asked for action $key of notification $id, but sent no ActionInvoked for it;" \
          "bus log since the request:"
        tail -n +"$((since + 1))" "$DESKTOP_DIR/bus.jsonl"
        return 1
      fi
    fi
    if [ "$(_desktop_now_us)" -ge "$deadline" ]; then
      rm -f "$DESKTOP_DIR/menu-request.json"
      echo "no action labelled '$label' on a displayed notification whose summary matches /$re/" \
        "within ${secs}s"
      if [ -f "$answer" ]; then
        echo "the last context menu offered:"
        _desktop_q menu
      else
        echo "dunst opened no context menu (no displayed notification has an action)"
      fi
      return 1
    fi
    sleep 0.1
  done
}

# desktop_closed_reason SUMMARY_RE [SECS]: waits until the newest
# notification sent on the bus whose summary matches is closed, and prints
# the reason in NotificationClosed: 1 expired, 2 dismissed by the user
# (dunstctl close, close-all), 3 closed by CloseNotification, 4 other.
desktop_closed_reason() {
  local re=$1 secs=${2:-$DESKTOP_WAIT_TIMEOUT}
  _desktop_started && _desktop_check_re "$re" || return 1
  if _desktop_poll "$secs" _desktop_q closed-reason "$re"; then
    _desktop_q closed-reason "$re"
    return 0
  fi
  echo "no NotificationClosed within ${secs}s for the newest notification whose summary matches /$re/;" \
    "bus log:"
  _desktop_q bus-json | tail -c 3000
  return 1
}

# ---- the files the desktop runs ------------------------------------------------------------

_desktop_write_dunstrc() {
  local override=
  [ -z "$DESKTOP_OVERRIDE_TIMEOUT" ] || override="override_dbus_timeout = $DESKTOP_OVERRIDE_TIMEOUT"
  cat >"$DESKTOP_DIR/dunstrc" <<EOF
# The test desktop's dunst (tests/integration/desktop.sh).
[global]
    monitor = 0
    follow = none
    width = 400
    height = 300
    origin = top-right
    offset = 10x50
    notification_limit = 0
    indicate_hidden = yes
    font = Monospace 8
    markup = full
    format = "<b>%s</b>\n%b"
    sort = yes
    # Every Notify is one displayed notification (the stock dunstrc stacks
    # identical ones into one).
    stack_duplicates = false
    show_indicators = yes
    icon_position = off
    enable_recursive_icon_lookup = false
    sticky_history = yes
    history_length = 500
    idle_threshold = 0
    dmenu = $DESKTOP_DIR/menu.py -p dunst
    browser = /bin/true
    always_run_script = true
    ignore_dbusclose = false
    mouse_left_click = none
    mouse_middle_click = none
    mouse_right_click = none

# Never expire by default (0): a test can always still act on a notification.
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0

[keep]
    summary = "*"
    $override

$DESKTOP_DUNSTRC_EXTRA

# Last: logs every notification dunst displays (to shown.jsonl).
[log]
    summary = "*"
    script = $DESKTOP_DIR/log-shown.py
EOF
}

# _desktop_write_scripts: the Python programs the desktop runs, written to
# $DESKTOP_DIR (each finds the others' files next to itself).
_desktop_write_scripts() {
  # dunst's [log] rule: one JSON line per displayed notification.
  {
    echo "#!$DESKTOP_PY"
    cat <<'PYEOF'
import json, os, sys, time
env = os.environ
def num(name):
    try:
        return int(env.get(name, ""))
    except ValueError:
        return env.get(name)
rec = {
    "run": num("DESKTOP_DUNST_RUN"), "id": num("DUNST_ID"),
    "appname": env.get("DUNST_APP_NAME"), "summary": env.get("DUNST_SUMMARY"),
    "body": env.get("DUNST_BODY"), "urgency": env.get("DUNST_URGENCY"),
    "icon": env.get("DUNST_ICON_PATH"), "category": env.get("DUNST_CATEGORY"),
    "stack_tag": env.get("DUNST_STACK_TAG"), "urls": env.get("DUNST_URLS"),
    "timeout": num("DUNST_TIMEOUT"), "timestamp": num("DUNST_TIMESTAMP"),
    "desktop_entry": env.get("DUNST_DESKTOP_ENTRY"), "progress": num("DUNST_PROGRESS"),
    "argv": sys.argv[1:], "logged": time.monotonic(),
}
# One write with O_APPEND: lines from scripts running at once do not mix.
fd = os.open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shown.jsonl"),
             os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, (json.dumps(rec) + "\n").encode())
os.close(fd)
PYEOF
  } >"$DESKTOP_DIR/log-shown.py" || return 1

  # dunst's "dmenu": answers the request desktop_invoke_action left
  # (menu-request.json) with the line of that action, writes what it was
  # offered and chose to menu-answer.json (and menu.log); answers nothing
  # (no action) when there is no request.
  {
    echo "#!$DESKTOP_PY"
    cat <<'PYEOF'
import json, os, re, sys
here = os.path.dirname(os.path.abspath(__file__))
lines = [l for l in sys.stdin.read().split("\n") if l.strip()]
request = None
path = os.path.join(here, "menu-request.json")
try:
    os.rename(path, path + ".taken")          # claim it: answered once only
    with open(path + ".taken") as fh:
        request = json.load(fh)
    os.unlink(path + ".taken")
except FileNotFoundError:
    pass
chosen = None
if request:
    prefix = "#" + request["label"] + " ("
    found = []
    for line in lines:
        if not line.startswith(prefix):
            continue
        m = re.fullmatch(r"(.*)\) \[(\d+),(.*)\]", line[len(prefix):], re.S)
        if m and re.search(request["summary"], m.group(1)):
            found.append((int(m.group(2)), m.group(3), m.group(1), line))
    if found:
        nid, key, summary, line = max(found)    # the newest notification
        chosen = {"id": nid, "key": key, "summary": summary, "line": line}
answer = {"token": request and request["token"], "request": request, "argv": sys.argv[1:],
          "menu": lines, "chosen": chosen}
text = json.dumps(answer)
with open(os.path.join(here, "menu.log"), "a") as fh:
    fh.write(text + "\n")
with open(os.path.join(here, "menu-answer.json.tmp"), "w") as fh:
    fh.write(text + "\n")
os.rename(os.path.join(here, "menu-answer.json.tmp"), os.path.join(here, "menu-answer.json"))
if chosen:
    sys.stdout.write(chosen["line"] + "\n")
PYEOF
  } >"$DESKTOP_DIR/menu.py" || return 1

  # The bus monitor: org.freedesktop.Notifications traffic as JSON lines.
  cat >"$DESKTOP_DIR/monitor.py" <<'PYEOF'
import json, sys
from gi.repository import Gio, GLib

address, out_path = sys.argv[1], sys.argv[2]
out = open(out_path, "a", buffering=1)
IFACE = "org.freedesktop.Notifications"
pending = {}       # (client, serial) -> the Notify call awaiting its answer
T = Gio.DBusMessageType

def emit(rec):
    out.write(json.dumps(rec, default=repr) + "\n")
    out.flush()

def plain(v):
    try:
        return v.unpack() if isinstance(v, GLib.Variant) else v
    except Exception:
        return str(v)

def on_message(conn, msg, incoming):
    if not incoming:            # the filter sees outgoing messages too: BecomeMonitor
        return msg
    try:
        kind, body = msg.get_message_type(), msg.get_body()
        args = body.unpack() if body is not None else ()
        if kind == T.METHOD_CALL and msg.get_interface() == IFACE:
            if msg.get_member() == "Notify" and msg.get_signature() != "susssasa{sv}i":
                pending[(msg.get_sender(), msg.get_serial())] = {
                    "client": msg.get_sender(), "bad_signature": msg.get_signature(), "args": args,
                    "summary": args[3] if len(args) > 3 else None}
            elif msg.get_member() == "Notify":
                app, replaces, icon, summary, text, actions, hints, timeout = args
                pending[(msg.get_sender(), msg.get_serial())] = {
                    "client": msg.get_sender(), "app": app, "replaces_id": replaces, "icon": icon,
                    "summary": summary, "body": text,
                    "actions": [list(actions[i:i + 2]) for i in range(0, len(actions) - 1, 2)],
                    "hints": {k: plain(v) for k, v in hints.items() if k not in ("image-data", "icon_data", "image_data")},
                    "expire_timeout": timeout}
            elif msg.get_member() == "CloseNotification" and args:
                emit({"event": "close-request", "id": args[0], "client": msg.get_sender()})
        elif kind in (T.METHOD_RETURN, T.ERROR):
            call = pending.pop((msg.get_destination(), msg.get_reply_serial()), None)
            if call is not None:
                if kind == T.METHOD_RETURN:
                    emit(dict({"event": "notify", "id": args[0], "server": msg.get_sender()}, **call))
                else:
                    emit(dict({"event": "notify-failed", "error": msg.get_error_name(),
                               "message": args[0] if args else None, "server": msg.get_sender()}, **call))
        elif kind == T.SIGNAL:
            member = msg.get_member()
            if msg.get_interface() == IFACE and member == "ActionInvoked":
                emit({"event": "action", "id": args[0], "key": args[1],
                      "server": msg.get_sender(), "client": msg.get_destination()})
            elif msg.get_interface() == IFACE and member == "NotificationClosed":
                emit({"event": "closed", "id": args[0], "reason": args[1],
                      "server": msg.get_sender(), "client": msg.get_destination()})
            elif member == "NameOwnerChanged" and args and args[0] == IFACE:
                emit({"event": "server", "owner": args[2] or None, "previous": args[1] or None})
    except Exception as e:  # never let one odd message stop the log
        emit({"event": "monitor-error", "error": repr(e)})
    # A monitor handles no message, but the answer to its own BecomeMonitor
    # call (the only call it makes) must reach call_sync.
    if msg.get_message_type() in (T.METHOD_RETURN, T.ERROR) and msg.get_destination() == conn.get_unique_name():
        return msg
    return None

conn = Gio.DBusConnection.new_for_address_sync(
    address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
conn.add_filter(on_message)
conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
               "BecomeMonitor", GLib.Variant("(asu)", ([], 0)), None, Gio.DBusCallFlags.NONE, -1, None)
emit({"event": "monitor-ready"})
GLib.MainLoop().run()
PYEOF

  # Queries on the logs, for the shell helpers above.
  cat >"$DESKTOP_DIR/query.py" <<'PYEOF'
import json, os, re, sys
here, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]

def lines(name):
    try:
        with open(os.path.join(here, name), encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except FileNotFoundError:
        return []
    recs = []
    for line in text.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            pass
    return recs

def bus():
    return [r for r in lines("bus.jsonl") if r.get("event") != "monitor-ready"]

def runs():
    got = {}
    try:
        with open(os.path.join(here, "runs")) as fh:
            for line in fh:
                run, owner, _pid = line.split()
                got[int(run)] = owner
    except FileNotFoundError:
        pass
    return got

def shown():
    owners, sent = runs(), [r for r in bus() if r["event"] == "notify"]
    out = []
    for s in lines("shown.jsonl"):
        owner = owners.get(s.get("run"))
        calls = [c for c in sent if c["server"] == owner and c["id"] == s.get("id")]
        same = [c for c in calls if c["summary"] == s.get("summary") and c["body"] == s.get("body")]
        call = (same or calls or [None])[-1]
        for k in ("actions", "hints", "expire_timeout", "replaces_id", "client"):
            s[k] = call[k] if call else None
        out.append(s)
    return out

def hit(re_text, *texts):
    return any(t is not None and re.search(re_text, t) for t in texts)

if cmd == "check-re":
    try:
        re.compile(args[0])
    except re.error as e:
        print("bad regular expression /%s/: %s" % (args[0], e))
        sys.exit(1)
elif cmd == "shown-json":
    print(json.dumps(shown(), indent=1))
elif cmd == "menu-json":
    print(json.dumps(lines("menu.log"), indent=1))
elif cmd == "bus-json":
    print(json.dumps(bus(), indent=1))
elif cmd == "match":
    sys.exit(0 if any(hit(args[0], s.get("summary"), s.get("body")) for s in lines("shown.jsonl")) else 1)
elif cmd == "match-summary":
    sys.exit(0 if any(hit(args[0], s.get("summary")) for s in lines("shown.jsonl")) else 1)
elif cmd == "count":
    print(sum(1 for s in lines("shown.jsonl") if hit(args[0], s.get("summary"), s.get("body"))))
elif cmd == "describe":
    got = shown()
    for s in got:
        print("  run %s id %s %s %s: %r / %r%s" % (
            s.get("run"), s.get("id"), s.get("appname"), s.get("urgency"), s.get("summary"), s.get("body"),
            " actions %s" % s["actions"] if s.get("actions") else ""))
    if not got:
        print("  (nothing)")
elif cmd == "request":
    token, summary, label = args
    try:
        re.compile(summary)
    except re.error as e:
        print("bad regular expression /%s/: %s" % (summary, e))
        sys.exit(1)
    path = os.path.join(here, "menu-request.json")
    with open(path + ".tmp", "w") as fh:
        json.dump({"token": token, "summary": summary, "label": label}, fh)
    os.rename(path + ".tmp", path)
elif cmd == "chosen":
    with open(os.path.join(here, "menu-answer.json")) as fh:
        a = json.load(fh)
    if a.get("token") != args[0] or not a.get("chosen"):
        sys.exit(1)
    print(a["chosen"]["id"], a["chosen"]["key"])
elif cmd == "menu":
    with open(os.path.join(here, "menu-answer.json")) as fh:
        a = json.load(fh)
    for line in a["menu"] or ["(empty)"]:
        print("  " + line)
elif cmd == "action-seen":
    since, owner, nid, key = int(args[0]), args[1], int(args[2]), args[3]
    recs = lines("bus.jsonl")[since:]
    sys.exit(0 if any(r.get("event") == "action" and r["server"] == owner and r["id"] == nid and r["key"] == key
                      for r in recs) else 1)
elif cmd == "closed-reason":
    recs = bus()
    sent = [i for i, r in enumerate(recs) if r["event"] == "notify" and hit(args[0], r["summary"])]
    if not sent:
        sys.exit(1)
    n = recs[sent[-1]]
    for r in recs[sent[-1] + 1:]:
        if r["event"] == "closed" and r["server"] == n["server"] and r["id"] == n["id"]:
            print(r["reason"])
            sys.exit(0)
    sys.exit(1)
else:
    print("query.py: unknown command " + cmd)
    sys.exit(2)
PYEOF
  chmod +x "$DESKTOP_DIR/log-shown.py" "$DESKTOP_DIR/menu.py"
}
