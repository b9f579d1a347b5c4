#!/bin/bash
# Confirmation emails, end to end: appointments written to a real Radicale by
# another client, diaryd sync / refresh / outbox send (the steps the agent
# runs), and a real SMTP server (aiosmtpd, tests/tools/smtpd.py) with
# STARTTLS from a test CA and AUTH.  Every message is read back as a mail
# client would (Python's email package, policy.strict; python3-icalendar for
# the calendar part: tests/tools/mailcheck.py).
#   - a calendar's first sync (1,000 appointments with attendees) sends nothing;
#   - a new appointment with two attendees: exactly two messages, right times,
#     zone, UID, SEQUENCE, method; another sync sends nothing;
#   - moved: one update each, threaded to the first message; location only:
#     one update each; cancelled: one cancellation each; deleted afterwards:
#     nothing more;
#   - re-serialised, a new ETag for the same content, an attendee's reply, a
#     sync token reset: nothing;
#   - an attendee added gets an invitation, the others an update; one removed
#     gets a cancellation;
#   - in conflict: held, the owner told; moved to a free slot: one message
#     with the final time;
#   - SMTP down: queued, delivered when it is back; 451 and 421: retried, once;
#     550 for one recipient: that one failed, the other delivered once; 535:
#     sending stops and the owner is told, the password never shown; a server
#     without STARTTLS: nothing sent in clear;
#   - crashes before and after the message went: delivered, at most once more
#     with the same Message-ID; a refresh killed before its commit queues the
#     same messages once;
#   - header and body injection through SUMMARY, LOCATION, DESCRIPTION and CN;
#   - 10,000 attendees: nothing sent, the owner asked;
#   - the agent itself: a booking by another client is confirmed by mail with
#     nobody running a command;
#   - --dry-run sends nothing; status says where mail goes.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/mail.sh
. tests/integration/agent.sh
require_basics
require_servers radicale
require_mail

setup "Radicale starts (user alice)" start_radicale alice alice-pw
R=$RADICALE_URL
WORK=${R}alice/work/
DAY=$(date -u -d '+3 days' +%Y%m%d)
PASS=canary-7f3a9c-smtp-secret
setup "the SMTP server starts (STARTTLS, test CA, AUTH)" smtpd_start --auth "sam:$PASS"

ORG="ORGANIZER;CN=Sam Carter:mailto:sam@example.com"
ANN="ATTENDEE;CN=Ann Lee;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.org"
BOB="ATTENDEE;CN=Bob Ray;PARTSTAT=NEEDS-ACTION:mailto:bob@example.net"
ROOM="ATTENDEE;CUTYPE=ROOM;CN=Room 2:mailto:room2@example.com"
SELF="ATTENDEE;CN=Sam Carter;PARTSTAT=ACCEPTED:mailto:sam@example.com"

mail_config() { # mail_config [EXTRA [mail] LINES...]
  write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s alice-pw

[calendar office/Work]
confirm = yes

[check]
tz = Europe/London
hours = 24/7
notice = 0
require = time
skip = buffer

[mail]
from = Sam Carter <sam@example.com>
url = smtp://127.0.0.1:$SMTPD_PORT
username = sam
password_command = printf %s $PASS
ca_file = $SMTPD_CA
recipient_zones = ann@example.org America/New_York
$(printf '%s\n' "$@")
EOF
}
mail_config

# A calendar with 1,000 appointments the owner organises, each with an
# attendee, written straight into Radicale's storage before the first sync.
seed_invited() { # seed_invited N
  local dir
  dir=$(radicale_dir alice work)
  mkdir -p "$dir" || return 1
  printf '{"D:displayname": "Work", "tag": "VCALENDAR"}' >"$dir/.Radicale.props"
  "$PY" - "$dir" "$1" <<'PYEOF'
import datetime, os, sys
folder, n = sys.argv[1], int(sys.argv[2])
t0 = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=30)
fmt = "%Y%m%dT%H%M%SZ"
for i in range(n):
    start = t0 + datetime.timedelta(minutes=30 * i)
    end = start + datetime.timedelta(minutes=20)
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//seed//EN\r\nBEGIN:VEVENT\r\n"
            "UID:old-%05d@diaryd.test\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"
            "SUMMARY:Existing %d\r\nORGANIZER;CN=Sam Carter:mailto:sam@example.com\r\n"
            "ATTENDEE;CN=Client %d:mailto:client%d@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") % (
        i, start.strftime(fmt), end.strftime(fmt), i, i, i)
    with open(os.path.join(folder, "old-%05d.ics" % i), "w", newline="") as fh:
        fh.write(text)
PYEOF
}
setup "1,000 appointments with attendees are on the server before the first sync" seed_invited 1000

# step NAME: what the agent does after a change, as commands: sync, refresh,
# deliver.
step() {
  run "$1-sync" sync
  run "$1-refresh" refresh
  run "$1-send" outbox send
}
put_event() { dav_put "${WORK}$1.ics" "$(ics_event "$1@example.com" "$2" "$3" "$4" "${@:5}")"; }

step first
t "the first sync and refresh succeed" expect_rc first-refresh 0
t "the first sync sends nothing: the 1,000 appointments were already there" test "$(smtpd_count)" = 0
run list0 outbox list --all --json
t "...and each is recorded as already known (baseline), with no message" json "$TMP/list0.out" '
assert len(d) == 1000, len(d)
assert all(r["state"] == "baseline" for r in d), {r["state"] for r in d}'

# ---- a new appointment with two attendees ---------------------------------------------
put_event budget "${DAY}T100000Z" "${DAY}T110000Z" "Budget review" "$ORG" "$ANN" "$BOB" "$ROOM" "$SELF" \
  "LOCATION:Room 2" "SEQUENCE:0"
step new
t "a new appointment with two attendees: exactly two messages" test "$(smtpd_count)" = 2
mails 0
t "each parses strictly, CRLF only, one to each attendee, with its calendar part right" json "$TMP/mails.json" '
assert len(d) == 2
assert sorted(m["envelope"]["rcpt_tos"][0] for m in d) == ["ann@example.org", "bob@example.net"]
for m in d:
    assert "error" not in m, m.get("error")
    assert not m["defects"], m["defects"]
    assert m["crlf_only"], "a bare CR or LF on the wire"
    assert m["max_line"] <= 998
    assert m["envelope"]["tls"] is True and m["envelope"]["auth_user"] == "sam"
    assert m["envelope"]["mail_from"] == "sam@example.com"
    assert m["to"] == m["envelope"]["rcpt_tos"], (m["to"], m["envelope"])
    assert m["from"] == ["sam@example.com"]
    assert sorted(set(m["header_names"])) == sorted(m["header_names"]), "a header twice"
    assert set(m["header_names"]) == {"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                      "Auto-Submitted", "Content-Type"}, m["header_names"]
    assert m["subject"].startswith("Confirmed: Budget review"), m["subject"]
    assert "Budget review" in m["text"] and "Room 2" in m["text"] and "Europe/London" in m["text"], m["text"]
    c = m["calendar"]
    assert c["content_type_method"] == "PUBLISH" == c["method"], c
    assert c["uid"] == "budget@example.com" and c["sequence"] == 0 and c["events"] == 1
    assert c["dtstart"]["iso"].startswith("'"$(date -u -d "${DAY}" +%Y-%m-%d)"'T10:00:00"), c["dtstart"]
    assert c["dtend"]["iso"].startswith("'"$(date -u -d "${DAY}" +%Y-%m-%d)"'T11:00:00"), c["dtend"]
    assert c["attendees"] == [], "PUBLISH carries no attendees"
    assert c["organizer"] == "sam@example.com" and c["valarms"] == 0
    assert m["attachments"] == ["invite.ics"], m["attachments"]'
run again-sync sync
run again-refresh refresh
run again-send outbox send
t "another sync, refresh and delivery send nothing" test "$(smtpd_count)" = 2

# ---- nothing material ----------------------------------------------------------------------
put_event budget "${DAY}T100000Z" "${DAY}T110000Z" "Budget review (agenda attached)" "$ORG" \
  "ATTENDEE;CN=Ann Lee;PARTSTAT=ACCEPTED:mailto:ann@example.org" "$BOB" "$ROOM" "$SELF" "LOCATION:room  2" \
  "DESCRIPTION:Agenda: figures"
step reserialised
t "an attendee's reply, a new title, notes, location case and a new ETag: no message" test "$(smtpd_count)" = 2
radicale_forget_tokens alice work
step tokenreset
t "a sync token reset and a full resync: no message" test "$(smtpd_count)" = 2

# ---- moved, location, attendees, cancelled, deleted ------------------------------------------------
put_event budget "${DAY}T140000Z" "${DAY}T150000Z" "Budget review" "$ORG" "$ANN" "$BOB" "$ROOM" "$SELF" \
  "LOCATION:Room 2" "SEQUENCE:1"
step moved
t "moved: one update for each attendee" test "$(smtpd_count)" = 4
mails 3
FIRST_ANN=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print([m["message_id"] for m in d if m["to"]==["ann@example.org"]][0])' \
  <("$PY" tests/tools/mailcheck.py "$SMTPD_SPOOL"))
t "the updates carry the new time and SEQUENCE, and thread to the first message" json "$TMP/mails.json" '
assert len(d) == 2, len(d)
for m in d:
    assert m["subject"].startswith("Updated: Budget review"), m["subject"]
    assert "The time has changed" in m["text"], m["text"]
    c = m["calendar"]
    assert c["sequence"] == 1 and c["dtstart"]["iso"].endswith("14:00:00+00:00"), c
    assert m["in_reply_to"] and m["references"] == m["in_reply_to"], m["headers"]
ann = [m for m in d if m["to"] == ["ann@example.org"]][0]
assert ann["in_reply_to"] == "'"$FIRST_ANN"'", (ann["in_reply_to"], "'"$FIRST_ANN"'")
assert re.search(r"Your time: +\w+day .*(09|10):00.(10|11):00 \(America/New_York, UTC-0[45]:00\)", ann["text"]), ann["text"]
bob = [m for m in d if m["to"] == ["bob@example.net"]][0]
assert "Your time" not in bob["text"], bob["text"]'

put_event budget "${DAY}T140000Z" "${DAY}T150000Z" "Budget review" "$ORG" "$ANN" "$BOB" "$ROOM" "$SELF" \
  "LOCATION:Boardroom" "SEQUENCE:2"
step located
t "the location alone changed: one update each" test "$(smtpd_count)" = 6
mails 5
t "...saying the place changed" json "$TMP/mails.json" '
assert len(d) == 2 and all("The place has changed" in m["text"] and "Boardroom" in m["text"] for m in d)'

CAROL="ATTENDEE;CN=Carol Diaz:mailto:carol@example.org"
put_event budget "${DAY}T140000Z" "${DAY}T150000Z" "Budget review" "$ORG" "$ANN" "$CAROL" "$ROOM" "$SELF" \
  "LOCATION:Boardroom" "SEQUENCE:3"
step swapped
mails 7
t "Bob removed and Carol added: Carol invited, Bob cancelled, Ann updated" json "$TMP/mails.json" '
got = sorted((m["to"][0], m["calendar"]["method"]) for m in d)
assert got == [("ann@example.org", "PUBLISH"), ("bob@example.net", "CANCEL"), ("carol@example.org", "PUBLISH")], got
carol = [m for m in d if m["to"] == ["carol@example.org"]][0]
assert carol["subject"].startswith("Confirmed:"), carol["subject"]
bob = [m for m in d if m["to"] == ["bob@example.net"]][0]
assert bob["subject"].startswith("Cancelled:") and bob["calendar"]["status"] == "CANCELLED", bob["subject"]
assert bob["calendar"]["attendees"] == ["bob@example.net"], bob["calendar"]'

put_event budget "${DAY}T140000Z" "${DAY}T150000Z" "Budget review" "$ORG" "$ANN" "$CAROL" "$ROOM" "$SELF" \
  "LOCATION:Boardroom" "SEQUENCE:4" "STATUS:CANCELLED"
step cancelled
mails 10
t "cancelled: one cancellation to each attendee, METHOD:CANCEL" json "$TMP/mails.json" '
assert sorted(m["to"][0] for m in d) == ["ann@example.org", "carol@example.org"], [m["to"] for m in d]
for m in d:
    assert m["calendar"]["method"] == "CANCEL" == m["calendar"]["content_type_method"], m["calendar"]
    assert m["calendar"]["status"] == "CANCELLED" and m["calendar"]["sequence"] >= 4'
dav_delete "${WORK}budget.ics" >/dev/null
step deleted
t "deleted after it was cancelled: nothing more" test "$(smtpd_count)" = 11

# ---- held while in conflict -------------------------------------------------------------------
put_event busy "${DAY}T090000Z" "${DAY}T100000Z" "Dentist" "LOCATION:Clinic"
put_event clash "${DAY}T093000Z" "${DAY}T103000Z" "Client call" "$ORG" "$ANN"
step clash
t "a new appointment in conflict: nothing sent" test "$(smtpd_count)" = 11
run clash-list outbox list --json
t "...its confirmation is held, saying why" json "$TMP/clash-list.out" '
held = [r for r in d if r["state"] == "held"]
assert len(held) == 1 and held[0]["recipient"] == "ann@example.org", d
assert "Dentist" in held[0]["hold"], held[0]["hold"]'
run clash-alerts status --json
put_event clash "${DAY}T110000Z" "${DAY}T120000Z" "Client call" "$ORG" "$ANN" "SEQUENCE:1"
step unclash
t "moved to a free slot: one message goes" test "$(smtpd_count)" = 12
mails 12
t "...a confirmation with the final time, not the clashing one" json "$TMP/mails.json" '
assert len(d) == 1
m = d[0]
assert m["subject"].startswith("Confirmed: Client call"), m["subject"]
assert m["calendar"]["dtstart"]["iso"].endswith("11:00:00+00:00"), m["calendar"]["dtstart"]
assert m["in_reply_to"] is None'

# ---- SMTP down, temporary and permanent failures ------------------------------------------------
sent=$(smtpd_count)
smtpd_stop
put_event down "${DAY}T130000Z" "${DAY}T133000Z" "Supplier visit" "$ORG" "$ANN"
step down
t "SMTP down: the delivery fails softly (exit 0)" expect_rc down-send 0
run down-list outbox list --json
t "...the message waits to be retried, with the reason" json "$TMP/down-list.out" '
r = [r for r in d if r["summary"] == "Supplier visit"]
assert len(r) == 1 and r[0]["state"] == "tempfail" and r[0]["error"], r'
setup "the SMTP server is back (on another port: the config follows)" smtpd_start --auth "sam:$PASS"
mail_config
run back-retry outbox retry all
run back-send outbox send
t "SMTP back: delivered once" test "$(smtpd_count)" = 1
sent=0

smtpd_script '{"data": "451 4.3.0 try again later"}'
put_event temp "${DAY}T160000Z" "${DAY}T163000Z" "Review" "$ORG" "$ANN"
step temp451
smtpd_script '{}'
run temp451-retry outbox retry all
run temp451-send outbox send
t "451 after the data: retried, delivered once" test "$(smtpd_count)" = $((sent + 2))

smtpd_script '{"mail": "421 4.3.2 shutting down"}'
put_event temp2 "${DAY}T170000Z" "${DAY}T173000Z" "Wrap-up" "$ORG" "$ANN"
step temp421
smtpd_script '{}'
run temp421-retry outbox retry all
run temp421-send outbox send
t "421: retried, delivered once" test "$(smtpd_count)" = $((sent + 3))

smtpd_script '{"rcpt": {"bob@example.net": "550 5.1.1 no such user"}}'
put_event perm "${DAY}T180000Z" "${DAY}T183000Z" "Dinner" "$ORG" "$ANN" "$BOB"
step perm
smtpd_script '{}'
t "550 for one recipient: the other is delivered" test "$(smtpd_count)" = $((sent + 4))
run perm-list outbox list --json
t "...the refused one failed for good, with the server's reason" json "$TMP/perm-list.out" '
r = [r for r in d if r["summary"] == "Dinner" and r["recipient"] == "bob@example.net"]
assert len(r) == 1 and r[0]["state"] == "permfail" and "550" in r[0]["error"], r'
run perm-again outbox send
t "...and is never retried" test "$(smtpd_count)" = $((sent + 4))

# ---- credentials refused, no STARTTLS ---------------------------------------------------------------
sent=$(smtpd_count)
mail_config
sed -i "s/printf %s $PASS/printf %s wrong-$PASS/" "$XDG_CONFIG_HOME/diaryd/config"
put_event auth "${DAY}T190000Z" "${DAY}T193000Z" "Late call" "$ORG" "$ANN" "$BOB"
step auth
t "535: sending stops (exit 3) and nothing is sent" expect_rc auth-send 3
t "...nothing reached the server" test "$(smtpd_count)" = "$sent"
run auth-status status --json
t "...status says sending stopped, and why" json "$TMP/auth-status.out" '
assert d["mail"]["problem"] and "535" in d["mail"]["problem"], d["mail"]'
both auth-send
t "...the password is in no output" bash -c "! grep -r -- '$PASS' '$TMP'/auth-*.all '$TMP'/auth-*.out '$TMP'/auth-*.err"
t "...nor in the store" bash -c "! grep -a -- '$PASS' '$XDG_STATE_HOME/diaryd/diaryd.db'"
mail_config
run auth-fixed outbox send
t "credentials fixed: both go, once" test "$(smtpd_count)" = $((sent + 2))

setup "a server without STARTTLS starts" smtpd_start --no-starttls --auth "sam:$PASS"
PLAIN_SPOOL=$SMTPD_SPOOL
mail_config
put_event clear "${DAY}T200000Z" "${DAY}T203000Z" "Plain text" "$ORG" "$ANN"
step clear
t "a server without STARTTLS: sending stops (exit 3)" expect_rc clear-send 3
t "...nothing was sent in clear" test "$(find "$PLAIN_SPOOL" -name '*.eml' | wc -l)" = 0
grep -qi 'tls\|starttls' "$TMP/clear-send.err" && pass "...the error says TLS" ||
  fail "...the error says TLS" "$(cat "$TMP/clear-send.err")"
setup "the STARTTLS server is back" smtpd_start --auth "sam:$PASS"
mail_config
run clear-fixed outbox send
t "...and with STARTTLS it goes" test "$(smtpd_count)" = 1

# ---- crashes --------------------------------------------------------------------------------
sent=$(smtpd_count)
put_event crash "${DAY}T210000Z" "${DAY}T213000Z" "Crash test" "$ORG" "$ANN"
run crash-sync sync
(DIARYD_TEST_CRASH=refresh-before-commit run crash-refresh refresh) 2>/dev/null # bash would say "Killed"
t "a refresh killed before its commit" expect_rc crash-refresh 137
run crash-refresh2 refresh
run crash-list outbox list --json
t "...the next refresh queues the message once" json "$TMP/crash-list.out" '
assert len([r for r in d if r["summary"] == "Crash test"]) == 1, d'
(DIARYD_TEST_CRASH=before-send run crash-send1 outbox send) 2>/dev/null # bash would say "Killed"
t "delivery killed before the message went" expect_rc crash-send1 137
t "...nothing went" test "$(smtpd_count)" = "$sent"
(DIARYD_TEST_CRASH=after-send run crash-send2 outbox send) 2>/dev/null # bash would say "Killed"
t "delivery killed after the server accepted the message, before it was marked" expect_rc crash-send2 137
t "...it went once" test "$(smtpd_count)" = $((sent + 1))
run crash-send3 outbox send
t "...after the restart it goes again: the one documented duplicate" test "$(smtpd_count)" = $((sent + 2))
mails $((sent + 1))
t "...with the same Message-ID" json "$TMP/mails.json" '
assert len(d) == 2 and d[0]["message_id"] == d[1]["message_id"], [m["message_id"] for m in d]'
run crash-send4 outbox send
t "...and never a third time" test "$(smtpd_count)" = $((sent + 2))

# A sync killed while it writes the store, then the steps again: one message.
sent=$(smtpd_count)
put_event synccrash "${DAY}T214500Z" "${DAY}T215500Z" "Sync crash" "$ORG" "$ANN"
(DIARYD_TEST_KILL_AFTER_ROWS=1 run synccrash-sync sync) 2>/dev/null # bash would say "Killed"
t "a sync killed while it writes the store" expect_rc synccrash-sync 137
step synccrash
t "...the next sync, refresh and delivery send the message once" test "$(smtpd_count)" = $((sent + 1))

# The whole agent (and its children, as systemd stops the unit's cgroup)
# killed with SIGKILL at random moments while appointments are booked, then
# started again: every attendee gets each confirmation, at most once more
# with the same Message-ID.
sent=$(smtpd_count)
storm_agent() {
  setsid "$DIARYD" run >>"$AGENT_LOG" 2>&1 &
  AGENT_PID=$!
  at_exit "kill -9 -- -$AGENT_PID 2>/dev/null"
}
for round in 1 2 3 4 5 6 7 8; do
  put_event "storm$round" "${DAY}T0${round}0000Z" "${DAY}T0${round}1000Z" "Storm $round" "$ORG" "$ANN" "$BOB"
  storm_agent
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 -- "-$AGENT_PID" 2>/dev/null
  wait "$AGENT_PID" 2>/dev/null
done
storm_agent
wait_storm() {
  local i
  for ((i = 0; i < 900; i++)); do
    "$PY" tests/tools/mailcheck.py "$SMTPD_SPOOL" $((sent + 1)) >"$TMP/storm.json" &&
      json "$TMP/storm.json" 'assert len({(m["to"][0], m["calendar"]["uid"]) for m in d if m["calendar"]["uid"].startswith("storm")}) == 16'         >/dev/null && return 0
    sleep 0.1
  done
  echo "not every storm confirmation arrived; the agent's log:"
  tail -30 "$AGENT_LOG"
  return 1
}
t "killed 8 times at random: after the restart each of the 16 confirmations arrives" wait_storm
sleep 2
kill -TERM "$AGENT_PID"
wait_exit "...the agent then stops on SIGTERM" "$AGENT_PID" 0 30
"$PY" tests/tools/mailcheck.py "$SMTPD_SPOOL" $((sent + 1)) >"$TMP/storm.json"
t "...none twice, except a resend with the same Message-ID" json "$TMP/storm.json" '
import collections
groups = collections.defaultdict(list)
for m in d:
    assert m["calendar"]["uid"].startswith("storm"), m["subject"]
    groups[(m["to"][0], m["calendar"]["uid"], m["calendar"]["method"])].append(m["message_id"])
assert len(groups) == 16, sorted(groups)
for k, ids in groups.items():
    assert len(ids) == 1 or (len(ids) == 2 and ids[0] == ids[1]), (k, ids)'

# ---- injection --------------------------------------------------------------------------------------
sent=$(smtpd_count)
EVIL='ATTENDEE;CN="Eve^nBcc: evil@attacker.example^n":mailto:eve@example.org'
put_event inject "${DAY}T220000Z" "${DAY}T223000Z" 'Hi\r\nBcc: evil@attacker.example\n.\nRCPT TO:<evil@attacker.example> Réunion café ☕' \
  "$ORG" "$EVIL" 'LOCATION:Room 1\r\nX-Injected: yes' 'DESCRIPTION:line one\n.\nline three\nBcc: evil@attacker.example'
step inject
t "hostile SUMMARY, LOCATION, DESCRIPTION and CN: one message" test "$(smtpd_count)" = $((sent + 1))
mails $((sent + 1))
t "...to exactly the intended recipient, with exactly the intended headers, CRLF only" json "$TMP/mails.json" '
assert len(d) == 1
m = d[0]
assert "error" not in m and not m["defects"], (m.get("error"), m.get("defects"))
assert m["envelope"]["rcpt_tos"] == ["eve@example.org"] and m["to"] == ["eve@example.org"], m["envelope"]
assert m["crlf_only"]
assert set(m["header_names"]) == {"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                  "Auto-Submitted", "Content-Type"}, m["header_names"]
assert "\n" not in m["subject"] and "\r" not in m["subject"], repr(m["subject"])
assert "Réunion café ☕" in m["subject"], m["subject"]
assert "Bcc" not in m["headers"] and "X-Injected" not in m["headers"]
assert "\n" not in m["to_names"][0], m["to_names"]
assert "line three" in m["text"] and "Bcc: evil@attacker.example" in m["text"], m["text"]'
t "...and the attacker's address never reached the envelope" bash -c "! grep -l attacker '$SMTPD_SPOOL'/*.json"

# ---- too many attendees -------------------------------------------------------------------------------
sent=$(smtpd_count)
"$PY" - "$TMP/crowd.ics" "$DAY" <<'PYEOF'
import sys
path, day = sys.argv[1], sys.argv[2]
lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diaryd tests//crowd//EN", "BEGIN:VEVENT",
         "UID:crowd@example.com", "DTSTAMP:20261101T090000Z", "DTSTART:%sT230000Z" % day,
         "DTEND:%sT233000Z" % day, "SUMMARY:All hands", "ORGANIZER:mailto:sam@example.com"]
lines += ["ATTENDEE:mailto:person%05d@example.org" % i for i in range(10000)]
lines += ["END:VEVENT", "END:VCALENDAR"]
open(path, "w", newline="").write("\r\n".join(lines) + "\r\n")
PYEOF
dav_put "${WORK}crowd.ics" "$TMP/crowd.ics" >/dev/null
step crowd
t "10,000 attendees: nothing is sent" test "$(smtpd_count)" = "$sent"
run crowd-list outbox list --all --json
t "...nothing is queued for them" json "$TMP/crowd-list.out" '
assert not [r for r in d if r["summary"] == "All hands" and r["state"] != "baseline"], "queued"'
"$PY" - "$XDG_STATE_HOME/diaryd/diaryd.db" >"$TMP/crowd-alerts.txt" <<'PYEOF'
import sqlite3, sys
for (s, b) in sqlite3.connect(sys.argv[1]).execute("SELECT summary, body FROM alerts WHERE kind = 'mail'"):
    print(s, "|", b.replace("\n", " "))
PYEOF
t "...and the owner is asked" grep -q "All hands.*10000 attendees.*max_recipients" "$TMP/crowd-alerts.txt"

# ---- dry run ------------------------------------------------------------------------------------------------
sent=$(smtpd_count)
put_event dry "${DAY}T234000Z" "${DAY}T235000Z" "Dry run" "$ORG" "$ANN"
run dry-sync sync
run dry-refresh refresh
run dry-send outbox send --dry-run
t "--dry-run sends nothing" test "$(smtpd_count)" = "$sent"
grep -q 'dry run: not sending new of "Dry run" to ann@example.org' "$TMP/dry-send.err" &&
  pass "...and says what it would have sent" || fail "...and says what it would have sent" "$(cat "$TMP/dry-send.err")"

# ---- the hourly limit ------------------------------------------------------------------------------------
sent=$(smtpd_count)
mail_config "rate_per_hour = 1"
put_event rate "${DAY}T233000Z" "${DAY}T233500Z" "Over the limit" "$ORG" "$ANN"
step rate
t "rate_per_hour reached: nothing more goes this hour" test "$(smtpd_count)" = "$sent"
run rate-list outbox list --json
t "...the message waits, saying why" json "$TMP/rate-list.out" '
r = [r for r in d if r["summary"] == "Over the limit"]
assert len(r) == 1 and r[0]["state"] == "tempfail" and "rate_per_hour" in r[0]["error"], r'
mail_config

# ---- the agent ---------------------------------------------------------------------------------------------
# wait_count N SECS: until the server holds N messages.
wait_count() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    [ "$(smtpd_count)" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "the server holds $(smtpd_count) messages after $2 s, expected $1; the agent's log:"
  tail -20 "$AGENT_LOG"
  return 1
}
sent=$(smtpd_count)
start_agent
t "the agent starts and checks the diary" log_has "refresh: [0-9]+ occurrences checked" 60
put_event agentbooked "${DAY}T073000Z" "${DAY}T074500Z" "Booked elsewhere" "$ORG" "$ANN" "$BOB"
run agent-sync sync
t "another client books an appointment: the agent sends both confirmations by itself" wait_count $((sent + 2)) 60
sleep 2
t "...exactly two" test "$(smtpd_count)" = $((sent + 2))
t "...and logs each" log_has 'sent new of "Booked elsewhere" to bob@example.net' 5
kill -TERM "$AGENT_PID"
wait_exit "the agent stops on SIGTERM" "$AGENT_PID" 0 30

sent=$(smtpd_count)
"$DIARYD" run --dry-run >>"$AGENT_LOG" 2>&1 &
AGENT_PID=$!
at_exit "kill $AGENT_PID 2>/dev/null"
t "the agent starts with --dry-run" log_has "dry run, no email is sent" 20
put_event agentdry "${DAY}T071500Z" "${DAY}T072500Z" "Dry agent" "$ORG" "$ANN"
run agentdry-sync sync
t "...a new booking is logged, not sent" log_has 'dry run: not sending new of "Dry agent" to ann@example.org' 60
t "...nothing reached the server" test "$(smtpd_count)" = "$sent"
kill -TERM "$AGENT_PID"
wait_exit "...and stops on SIGTERM" "$AGENT_PID" 0 30

# ---- status -------------------------------------------------------------------------------------------------
run status status
t "status names the transport and the confirming calendar" grep -q "SMTP smtp://127.0.0.1:$SMTPD_PORT.*" "$TMP/status.out"
t "...and the outbox" grep -q "outbox: .* failed" "$TMP/status.out"

finish
