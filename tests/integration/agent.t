#!/bin/bash
# diaryd run, the agent, on a private desktop (D-Bus session bus, Xvfb and
# dunst: tests/integration/desktop.sh) against a real Radicale: what the
# owner sees.
#   - one agent per store; `diaryd status` while it runs;
#   - the first sync of a diary that already has problems: one summary
#     notification, not one per problem;
#   - a reminder due in a few seconds: shown once, on time, with Snooze,
#     Dismiss and Open; Snooze (clicked through dunst) shows it again after
#     the snooze; Dismiss survives a restart of the agent (its REPEAT never
#     shows);
#   - a double booking made on Radicale by another client: exactly one alert
#     after the next sync, none on the syncs after it; resolved when it goes;
#   - the local calendar folder is watched;
#   - with no notification server the agent keeps running and logs what it
#     would have shown, and shows again once the server is back;
#   - SIGHUP reloads, a second agent is refused, SIGTERM stops it cleanly.
# Every time is relative to now, so the test does not depend on the date.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/desktop.sh
. tests/integration/agent.sh
require_basics
require_servers radicale

setup "Radicale starts (user alice)" start_radicale alice alice-pw
setup "a private desktop starts (dbus, Xvfb, dunst)" desktop_start
R=$RADICALE_URL
WORK=${R}alice/work/
setup "calendar Work is created" dav_mkcalendar "$WORK" Work

# utc OFFSET_SECONDS: 20261207T090000Z for now + offset.
utc() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%dT%H%M%SZ; }
# The day after tomorrow at 10:00 UTC: always in the future, never today.
DAY=$(date -u -d '+2 days' +%Y%m%d)

# Two appointments that already clash before the agent first runs.
setup "two clashing appointments are on the server before the agent starts" dav_put "${WORK}old-a.ics" \
  "$(ics_event old-a@example.com "${DAY}T100000Z" "${DAY}T110000Z" "Budget review" "LOCATION:Room 2")"
setup "(second of them)" dav_put "${WORK}old-b.ics" \
  "$(ics_event old-b@example.com "${DAY}T103000Z" "${DAY}T113000Z" "Supplier call" "LOCATION:Room 2")"

agent_config() { # agent_config REVIEW
  write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s alice-pw

[check]
hours = 24/7
notice = 0
require = time
skip = buffer

[agent]
review = $1
snooze = 4s, 10m
sync_interval = 10m
EOF
}
agent_config off

# A sync from the command line: it also tells the running agent to sync.
cli_sync() { "$DIARYD" sync >"$TMP/sync.out" 2>&1 || { cat "$TMP/sync.out"; return 1; }; }
# refreshes: how many times the agent checked the diary (each says so in its log).
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

# ---- start, baseline -------------------------------------------------------------------
start_agent
t "the agent starts and says so" log_has 'started \(store '
t "the first sync gives one summary of the problems already there (a clash, a room twice)" \
  desktop_wait_shown 'diaryd is watching your diary: 2 problems found' 30
t "the agent syncs Radicale at once" log_has '^office/Work: 2 added' 30
sleep 2
t "no notification per existing problem (baseline)" count_is '^Double booking$' 0

run second run
t "a second agent on the same store is refused, naming the first" \
  both_match second 1 "another diaryd agent is running \\(pid $AGENT_PID\\)"

run st status --json
t "diaryd status --json: running, the pid, the account synced, the open finding" json "$TMP/st.out" "
assert d['agent']['running'] is True and d['agent']['pid'] == $AGENT_PID, d['agent']
cals = {c['calendar']: c for c in d['calendars']}
assert cals['office/Work']['result'] in ('synced', 'unchanged'), cals
assert cals['office/Work']['objects'] == 2, cals['office/Work']
assert sorted(f['check'] for f in d['findings']) == ['conflict', 'resource'], d['findings']
"
run sttext status
t "diaryd status (text) lists the calendar and the problem" both_match sttext 0 'office/Work: (synced|unchanged).*Double booking'

# ---- a reminder due in a few seconds ------------------------------------------------------
START=$(($(date +%s) + 600 + 8)) # starts in 10 min 8 s; its alarm is 10 min before: due in 8 s
DUE=$((START - 600))
setup "another client adds an appointment with a 10-minute reminder and a repeat" dav_put "${WORK}soon.ics" \
  "$(ics_event soon@example.com "$(date -u -d "@$START" +%Y%m%dT%H%M%SZ)" "$(date -u -d "@$((START + 1800))" +%Y%m%dT%H%M%SZ)" \
    "Call with <b>Acme</b> & Co" "LOCATION:Room 7" "URL:https://meet.example.com/acme" \
    BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M DESCRIPTION:Call REPEAT:1 DURATION:PT30S END:VALARM)"
t "diaryd sync from the command line tells the agent" cli_sync
t "the agent stored the reminder" log_has 'syncing now \(SIGUSR1\)'
t "the reminder is shown" desktop_wait_shown 'Call with <b>Acme</b> & Co in 10 min' 30
SHOWN_AT=$(date +%s.%N)
t "the reminder is shown within 1 s of its trigger (due $DUE, shown $SHOWN_AT)" \
  "$PY" -c "import sys; late = $SHOWN_AT - $DUE; sys.exit(0 if -0.5 <= late <= 1.5 else print('late by %.2f s' % late) or 1)"
t "its actions: Snooze 4 s, Snooze 10 min, Dismiss, Open" json <(desktop_shown_json) "
r = [n for n in d if 'Acme' in n['summary']]
assert len(r) == 1, r
labels = sorted(a[1] for a in r[0]['actions'])
assert labels == ['Dismiss', 'Open', 'Snooze 10 min', 'Snooze 4 s'], labels
assert r[0]['urgency'] == 'CRITICAL', r[0]
"
t "the body is escaped for the server's markup (it renders body-markup)" json <(desktop_shown_json) "
r = [n for n in d if 'Acme' in n['summary']][0]
assert 'Room 7' in r['body'], r
"
t "Snooze 4 s is clicked through dunst" desktop_invoke_action 'Acme' 'Snooze 4 s' 10
sleep 1
t "after the click it is not shown again at once" count_is 'Call with <b>Acme</b>' 1
t "after the snooze it is shown again" desktop_wait_shown_n 'Call with <b>Acme</b>' 2 15
t "Dismiss is clicked" desktop_invoke_action 'Acme' 'Dismiss' 10
t "the agent records the dismissal" log_has 'reminders for "Call with <b>Acme</b> & Co" dismissed'

# Restart: the REPEAT (30 s after the alarm) must not show; nor anything already shown.
kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops the agent cleanly (exit 0)" "$AGENT_PID" 0 10
t "its log says it stopped" log_has '^diaryd: stopped$'
start_agent
t "the agent starts again" log_has 'started \(store ' 10
sleep $((DUE + 32 - $(date +%s) > 0 ? DUE + 32 - $(date +%s) : 1))
t "after the restart the dismissed reminder's repeat is not shown" count_is 'Call with <b>Acme</b>' 2
t "nor a missed-reminder summary for it" count_is 'missed reminder' 0

# ---- a double booking made by another client -------------------------------------------------
setup "another client books a clash with the Budget review (only)" dav_put "${WORK}new-c.ics" \
  "$(ics_event new-c@example.com "${DAY}T093000Z" "${DAY}T101500Z" "Interview: J. Smith" "LOCATION:Room 9")"
before=$(refreshes)
t "a sync" cli_sync
t "exactly one owner alert: the double booking, naming what clashes" \
  desktop_wait_shown 'Double booking.*Interview: J. Smith|Interview: J. Smith.*Double booking' 30
sleep 2
t "one alert for the new clash only" count_is 'Interview: J. Smith' 1
t "the alert says which should move" json <(desktop_shown_json) "
r = [n for n in d if n['summary'] == 'Double booking']
assert len(r) == 1, r
assert 'move' in r[0]['body'] and 'Interview' in r[0]['body'], r[0]['body']
"
t "another sync" cli_sync
t "the agent checks again" wait_refresh_after "$before"
sleep 2
t "no second alert on the syncs after it" count_is 'Interview: J. Smith' 1

# ---- the local calendar folder ------------------------------------------------------------------
mkdir -p "$XDG_DATA_HOME/diaryd/calendar/home"
ics_event local-x@example.com "${DAY}T160000Z" "${DAY}T170000Z" "Parents evening" "LOCATION:School" \
  >"$XDG_DATA_HOME/diaryd/calendar/home/a.ics"
ics_event local-y@example.com "${DAY}T163000Z" "${DAY}T173000Z" "Gym" "LOCATION:Gym" \
  >"$XDG_DATA_HOME/diaryd/calendar/home/b.ics"
t "a clash written into the local folder is announced" desktop_wait_shown 'Parents evening|Gym' 20

# ---- no notification server ---------------------------------------------------------------------
desktop_stop_dunst
setup "another clash while there is no notification server" dav_put "${WORK}new-d.ics" \
  "$(ics_event new-d@example.com "${DAY}T140000Z" "${DAY}T150000Z" "Dentist" "LOCATION:Clinic")"
setup "(and its partner)" dav_put "${WORK}new-e.ics" \
  "$(ics_event new-e@example.com "${DAY}T143000Z" "${DAY}T153000Z" "School run" "LOCATION:School")"
t "a sync" cli_sync
t "the agent logs what it would have shown" log_has 'alert: Double booking: .*(Dentist|School run)' 30
t "and that no server took it" log_has 'not shown on the desktop' 5
t "the agent keeps running" alive
desktop_start_dunst
START2=$(($(date +%s) + 600 + 6))
setup "a reminder once the server is back" dav_put "${WORK}back.ics" \
  "$(ics_event back@example.com "$(date -u -d "@$START2" +%Y%m%dT%H%M%SZ)" "$(date -u -d "@$((START2 + 600))" +%Y%m%dT%H%M%SZ)" \
    "Back online" BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M END:VALARM)"
t "a sync" cli_sync
t "the reminder reaches the new server" desktop_wait_shown 'Back online in 10 min' 30

# ---- missed while the agent was down ------------------------------------------------------------
S1=$(($(date +%s) + 600 + 7))
setup "two appointments whose reminders fall due in 7 and 8 s" dav_put "${WORK}m1.ics" \
  "$(ics_event m1@example.com "$(date -u -d "@$S1" +%Y%m%dT%H%M%SZ)" "$(date -u -d "@$((S1 + 600))" +%Y%m%dT%H%M%SZ)" \
    "Missed one" BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M END:VALARM)"
setup "(the second)" dav_put "${WORK}m2.ics" \
  "$(ics_event m2@example.com "$(date -u -d "@$((S1 + 1))" +%Y%m%dT%H%M%SZ)" "$(date -u -d "@$((S1 + 601))" +%Y%m%dT%H%M%SZ)" \
    "Missed two" BEGIN:VALARM ACTION:DISPLAY TRIGGER:-PT10M END:VALARM)"
t "a sync" cli_sync
t "the agent stores their reminders" reminders_stored 'Missed one' 'Missed two'
kill -TERM "$AGENT_PID"
wait_exit "the agent is stopped before they fall due" "$AGENT_PID" 0 10
while [ "$(date +%s)" -le $((S1 - 600 + 20)) ]; do sleep 0.2; done
start_agent
t "on restart: one summary of the reminders missed while it was down" \
  desktop_wait_shown '^2 missed reminders \(late\)' 20
sleep 2
t "listing both" json <(desktop_shown_json) "
r = [n for n in d if n['summary'] == '2 missed reminders (late)']
assert len(r) == 1, r
assert 'Missed one' in r[0]['body'] and 'Missed two' in r[0]['body'], r[0]['body']
"
t "neither is shown on its own as if on time" count_is '^Missed (one|two) in' 0

# ---- the daily review ------------------------------------------------------------------------------
REVIEW_AT=$(date -d '+4 seconds' +%H:%M:%S)
agent_config "$REVIEW_AT"
kill -HUP "$AGENT_PID"
t "at the review time (today's, $REVIEW_AT local) the day's diary is shown" \
  desktop_wait_shown '^Today: ' 20
t "the review lists today's appointments and the open problems" json <(desktop_shown_json) "
r = [n for n in d if n['summary'].startswith('Today: ')]
assert len(r) == 1, r
assert 'Missed one' in r[0]['body'], r[0]['body']
assert 'open problem' in r[0]['body'], r[0]['body']
"
kill -TERM "$AGENT_PID"
wait_exit "stopped" "$AGENT_PID" 0 10
start_agent
t "restarted" log_has 'started \(store ' 10
sleep 3
t "the review is given once a day, not again after a restart" count_is '^Today: ' 1
agent_config off
kill -HUP "$AGENT_PID"

# ---- reload, resolution, stop ----------------------------------------------------------------------
kill -HUP "$AGENT_PID"
t "SIGHUP reloads the configuration" log_has 'reloading the configuration'
t "the agent runs on after a reload" alive
setup "the clash with the interview is removed by another client" dav_delete "${WORK}new-c.ics"
t "a sync" cli_sync
t "the resolved double booking is no longer open; the others are" findings_become '
msgs = [f["message"] for f in d["findings"]]
assert not any("Interview" in m for m in msgs), msgs
assert any("Budget review" in m for m in msgs), msgs
'
kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops it (exit 0)" "$AGENT_PID" 0 10
t "no secret in the agent's log" sh -c "! grep -q alice-pw '$AGENT_LOG'"
finish
