#!/bin/bash
# diaryd book, reschedule and cancel end to end, against a real Radicale
# (htpasswd user) and a real Xandikos (no authentication): the same
# receptionist's scenario runs against each server, with the other
# appointments written by "another client" (curl) and every result read
# back from the server as another client would (GET, python3-icalendar).
#   - a booking into a free slot: one new object with UID, SUMMARY, DTSTART
#     with a TZID and its VTIMEZONE, DTEND, ORGANIZER, ATTENDEE (NEEDS-ACTION,
#     RSVP), LOCATION, PRIORITY, CATEGORIES, SEQUENCE:0; --json says so;
#   - a busy slot: nothing written, exit 1, the rule and the clashing
#     appointment named; each alternative offered really is free;
#   - refused with their rule: too tight a buffer (travel), outside working
#     hours, a room booked on another calendar;
#   - --dry-run (book, reschedule, cancel) writes and sends nothing;
#   - reschedule: moved on the server, SEQUENCE bumped; refused into a clash
#     with alternatives; one occurrence of a weekly series becomes an
#     override, the master untouched;
#   - cancel: STATUS:CANCELLED and SEQUENCE bumped; one occurrence becomes a
#     cancelled override;
#   - confirmation emails (aiosmtpd, STARTTLS + AUTH): book with two
#     attendees, reschedule, cancel: exactly two confirmations, two updates,
#     two cancellations, right METHOD, SEQUENCE and times;
#   - a change made behind diaryd's back (its ETag stale, --no-sync): 412,
#     read again, checked again, written once more; nobody's change lost;
#   - two bookings of one slot started at the same moment from two stores:
#     exactly one survives, the other booker is told (5 rounds; how often
#     each path was taken goes to the diagnostics); and (Radicale) one booker
#     slowed between its check and its write while the other books, reads
#     back and finishes: still exactly one survives;
#   - bad input: exit 2, a clear message, nothing written.
# Helpers are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119,SC2016
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/mail.sh
require_basics
require_servers radicale xandikos
require_mail
if ! "$PY" -c 'import icalendar' 2>/dev/null; then
  fail "test prerequisites" "$PY cannot import icalendar (apt-get install python3-icalendar)"
  finish
fi
T0=$SECONDS

MAILPASS=canary-41bd-book-smtp
ZONE=Europe/London

# ---- the days ----------------------------------------------------------------------------
# The week after next (local dates in $ZONE): Monday D1 to Friday D5, the
# Thursdays after it (TH2, TH3: the weekly series), and the Monday after
# (RACE: the concurrent bookings).  Never in the past, whatever today is.
eval "$("$PY" - "$ZONE" <<'PYEOF'
import datetime, sys
from zoneinfo import ZoneInfo
today = datetime.datetime.now(ZoneInfo(sys.argv[1])).date()
first = today + datetime.timedelta(days=8)
monday = first + datetime.timedelta(days=(7 - first.weekday()) % 7)
day = lambda n: (monday + datetime.timedelta(days=n)).isoformat()
print("D1=%s D2=%s D3=%s D4=%s D5=%s TH2=%s TH3=%s RACE=%s YESTERDAY=%s" % (
    day(0), day(1), day(2), day(3), day(4), day(10), day(17), day(7), (today - datetime.timedelta(days=1)).isoformat()))
PYEOF
)"
# utc "DATE HH:MM": that local time in $ZONE as iCalendar UTC (20261215T100000Z);
# rfc "DATE HH:MM": as RFC 3339 UTC (2026-12-15T10:00:00Z).
utc() { date -u -d "TZ=\"$ZONE\" $1" +%Y%m%dT%H%M%SZ; }
rfc() { date -u -d "TZ=\"$ZONE\" $1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- reading the servers -----------------------------------------------------------------------

# coll_state URL...: "href etag" per object of the collections, sorted: a
# snapshot that changes when anything is written, modified or removed.
coll_state() {
  local u
  for u in "$@"; do
    dav PROPFIND "$u" -H 'Depth: 1' -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
      '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>' \
      || return 1
    "$PY" - "$TMP/dav.body" "$u" <<'PYEOF' || return 1
import sys, urllib.parse
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
base = urllib.parse.unquote(urllib.parse.urlsplit(sys.argv[2]).path)
for resp in root.iter("{DAV:}response"):
    href = urllib.parse.unquote(urllib.parse.urlsplit(resp.findtext("{DAV:}href").strip()).path)
    if href.rstrip("/") == base.rstrip("/") or resp.find(".//{DAV:}resourcetype/{DAV:}collection") is not None:
        continue
    print(href, (resp.findtext(".//{DAV:}getetag") or "").strip())
PYEOF
  done | sort
}
# snap NAME: the snapshot of both calendars in $TMP/$S-NAME.state.
snap() { coll_state "$CLINIC" "$ROOMS" >"$TMP/$S-$1.state"; }
# unchanged NAME: both calendars are as snapshot NAME left them.
unchanged() {
  local now
  now=$(coll_state "$CLINIC" "$ROOMS") || return 1
  [ "$now" = "$(cat "$TMP/$S-$1.state")" ] && return 0
  echo "the server changed (< before, > now):"
  diff <(cat "$TMP/$S-$1.state") <(printf '%s\n' "$now")
  return 1
}
# added NAME: the hrefs that appeared since snapshot NAME, one a line.
added() {
  coll_state "$CLINIC" "$ROOMS" | awk '{print $1}' | sort >"$TMP/$S-now.hrefs"
  awk '{print $1}' "$TMP/$S-$1.state" | sort | comm -13 - "$TMP/$S-now.hrefs"
}
# undo NAME: removes what appeared since snapshot NAME (after a test that
# failed by writing, so that the next tests see the diary they expect).
undo() {
  local h
  for h in $(added "$1"); do dav_delete "$ORIGIN$h" >/dev/null; done
}
# get HREF FILE: another client's GET.
get() { dav_get "$ORIGIN$1" >"$2"; }
# fetch_all DIR: every object of the Clinic calendar as DIR/N.ics.
fetch_all() {
  local h n=0
  rm -rf "$1" && mkdir -p "$1" || return 1
  for h in $(dav_hrefs "$CLINIC"); do
    n=$((n + 1))
    dav_get "$ORIGIN$h" >"$1/$n.ics" || return 1
  done
}

# ical FILE CODE: runs Python CODE with the iCalendar object in FILE ("": none) parsed
# by python3-icalendar: cal, events (every VEVENT), master (the one without
# RECURRENCE-ID), overrides {UTC datetime of RECURRENCE-ID: VEVENT}, tzids
# (of the VTIMEZONEs); helpers at(prop) (a DTSTART/DTEND/RECURRENCE-ID as a
# UTC datetime), utc("20261215T100000Z" or "2026-12-15T10:00:00Z").  Fails
# like json() does.
ical() {
  "$PY" - "$1" "$2" <<'PYEOF'
import datetime, re, sys
import icalendar
sys.path.insert(0, "tests/tools")
from assertions import reported
UTC = datetime.timezone.utc
def utc(text):
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise AssertionError("not a UTC time: %r" % (text,))
def at(prop):
    dt = prop.dt
    assert isinstance(dt, datetime.datetime) and dt.tzinfo is not None, "not a zoned date-time: %r" % (dt,)
    return dt.astimezone(UTC)
def addr(v):
    return str(v).lower().replace("mailto:", "")
def as_list(v):
    return v if isinstance(v, list) else [v]
path, code = sys.argv[1], sys.argv[2]
with reported(code):
    raw = open(path, "rb").read() if path else b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    try:
        cal = icalendar.Calendar.from_ical(raw)
    except Exception as e:
        print("not an iCalendar object (%s): %s" % (e, raw[:400]))
        sys.exit(1)
    events = list(cal.walk("VEVENT"))
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    master = masters[0] if len(masters) == 1 else None
    overrides = {at(e["RECURRENCE-ID"]): e for e in events if "RECURRENCE-ID" in e}
    tzids = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
    exec(compile(code, "<assertions>", "exec"))
PYEOF
}


# put_event COLLECTION NAME START END SUMMARY [LINE...]: another client's
# appointment (UID NAME@example.net) at NAME.ics; START and END local in $ZONE.
put_event() {
  local coll=$1 name=$2 start end
  start=$(utc "$3") && end=$(utc "$4") || return 1
  dav_put "${coll}$name.ics" "$(ics_event "$name@example.net" "$start" "$end" "$5" "${@:6}")"
}

# ---- the config ----------------------------------------------------------------------------------

write_book_config() {
  local login=''
  [ -n "$DAV_AUTH" ] && login="username = ${DAV_AUTH%%:*}
password_command = printf %s ${DAV_AUTH#*:}"
  write_config <<EOF
[account office]
url = $BASEURL
$login

[calendar office/Clinic]
confirm = yes

# The rooms' own calendar: someone else's bookings, not the owner's busy time.
[calendar office/Rooms]
busy = false

[check]
tz = $ZONE
hours = mon-fri 09:00-17:00
buffer = 15m
travel = 30m

[mail]
from = Sam Carter <sam@example.com>
url = smtp://127.0.0.1:$SMTPD_PORT
username = sam
password_command = printf %s $MAILPASS
ca_file = $SMTPD_CA
EOF
}

# ---- the scenario ------------------------------------------------------------------------------

# scenario NAME: every test below against the server set up in ORIGIN,
# BASEURL, CLINIC, ROOMS and DAV_AUTH; test names start with [NAME].
scenario() {
  S=$1
  local P="[$S]" t0=$SECONDS
  export XDG_CONFIG_HOME=$TMP/$S/config XDG_STATE_HOME=$TMP/$S/state XDG_DATA_HOME=$TMP/$S/data \
    XDG_CACHE_HOME=$TMP/$S/cache
  setup "$P the calendars Clinic and Rooms are created" eval 'dav_mkcalendar "$CLINIC" Clinic && dav_mkcalendar "$ROOMS" Rooms'
  setup "$P the SMTP server starts (STARTTLS, test CA, AUTH)" smtpd_start --auth "sam:$MAILPASS"
  write_book_config

  # What another client booked already.
  setup "$P another client's appointments are on the server" eval '
    put_event "$CLINIC" implant "$D2 11:00" "$D2 12:00" "Implant review" "LOCATION:Room 1" &&
    put_event "$CLINIC" sitevisit "$D3 09:00" "$D3 10:00" "Site visit" "LOCATION:12 Harbour Road, Leeds" &&
    put_event "$ROOMS" physio "$D3 14:00" "$D3 15:00" "Physio (Room 2)" "LOCATION:Room 2"'
  ics_object >"$TMP/$S-huddle.ics" <<EOF
BEGIN:VEVENT
UID:huddle@example.net
DTSTAMP:20261101T090000Z
DTSTART;TZID=$ZONE:${D4//-/}T090000
DTEND;TZID=$ZONE:${D4//-/}T093000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Team huddle
LOCATION:Room 5
END:VEVENT
EOF
  setup "$P a weekly series (Thursdays 09:00) is on the server" dav_put "${CLINIC}huddle.ics" "$TMP/$S-huddle.ics"

  # ---- 1. a free slot ----------------------------------------------------------------------------
  snap b1
  local sent
  sent=$(smtpd_count)
  run "$S-b1" book --calendar Clinic --summary "Check-up: R. Patel" --start "$D2 10:00" --duration 30m \
    --attendee r.patel@example.org --location "Room 2" --priority 3 --category Dental --category Check-up \
    --notes "Wheelchair access" --json
  t "$P book into a free slot: exit 0" expect_rc "$S-b1" 0
  t "$P ...--json: ok, the UID, start and end" json "$TMP/$S-b1.out" "
assert d['ok'] is True and d['action'] == 'booked' and d['dry_run'] is False, d
assert re.fullmatch(r'[0-9a-f]{32}@example\.com', d['uid']), d['uid']
assert d['calendar'] == 'office/Clinic', d['calendar']
assert d['start'] == '$(rfc "$D2 10:00")' and d['end'] == '$(rfc "$D2 10:30")', (d['start'], d['end'])"
  U1=$(jget "$TMP/$S-b1.out" 'd["uid"]')
  added b1 >"$TMP/$S-b1.hrefs"
  t "$P ...exactly one new object on the server" test "$(wc -l <"$TMP/$S-b1.hrefs")" = 1
  H1=$(head -1 "$TMP/$S-b1.hrefs")
  get "$H1" "$TMP/$S-b1.ics"
  t "$P ...read back by another client: every property right" ical "$TMP/$S-b1.ics" "
assert len(events) == 1 and master is not None, len(events)
e = master
assert str(e['UID']) == '$U1', e['UID']
assert str(e['SUMMARY']) == 'Check-up: R. Patel', e['SUMMARY']
assert e['DTSTART'].params.get('TZID') == '$ZONE', e['DTSTART'].params
assert '$ZONE' in tzids, ('no VTIMEZONE for the TZID', tzids)
assert at(e['DTSTART']) == utc('$(utc "$D2 10:00")'), e['DTSTART'].dt
assert at(e['DTEND']) == utc('$(utc "$D2 10:30")'), e['DTEND'].dt
assert addr(e['ORGANIZER']) == 'sam@example.com', e['ORGANIZER']
att = as_list(e['ATTENDEE'])
assert [addr(a) for a in att] == ['r.patel@example.org'], att
assert att[0].params.get('PARTSTAT') == 'NEEDS-ACTION' and att[0].params.get('RSVP') == 'TRUE', dict(att[0].params)
assert str(e['LOCATION']) == 'Room 2', e['LOCATION']
assert int(e['PRIORITY']) == 3, e['PRIORITY']
assert [str(c) for c in e['CATEGORIES'].cats] == ['Dental', 'Check-up'], e['CATEGORIES'].to_ical()
assert int(e['SEQUENCE']) == 0, e.get('SEQUENCE')
assert str(e['DESCRIPTION']) == 'Wheelchair access', e.get('DESCRIPTION')"
  t "$P ...the patient gets one confirmation" test "$(smtpd_count)" = $((sent + 1))

  # ---- 2. a busy slot ------------------------------------------------------------------------------
  snap b2
  run "$S-b2" book --calendar Clinic --summary "Check-up: J. Smith" --start "$D2 11:30" --duration 30m --location "Room 3"
  t "$P book into a busy slot: exit 1" expect_rc "$S-b2" 1
  t "$P ...names the rule and the clashing appointment" eval "
    grep -q '^Not booked: the slot breaks a rule' '$TMP/$S-b2.out' &&
    grep -Eq 'conflict .*Implant review' '$TMP/$S-b2.out' &&
    grep -q 'rule: busy appointments must not overlap' '$TMP/$S-b2.out' &&
    [ \"\$(grep -A3 '^The nearest slots that pass every rule:' '$TMP/$S-b2.out' | grep -c '^  ')\" = 3 ] ||
    { cat '$TMP/$S-b2.out' '$TMP/$S-b2.err'; false; }"
  t "$P ...nothing was written" unchanged b2
  run "$S-b2j" book --calendar Clinic --summary "Check-up: J. Smith" --start "$D2 11:30" --duration 30m \
    --location "Room 3" --json
  t "$P ...--json: ok false, the conflict with Implant review, three alternatives" json "$TMP/$S-b2j.out" "
assert d['ok'] is False and d['action'] == 'booked', d
f = [f for f in d['findings'] if f['check'] == 'conflict']
assert len(f) == 1 and 'implant@example.net' in uids(f[0]) and f[0]['rule'], d['findings']
assert len(d['alternatives']) == 3, d['alternatives']
for a in d['alternatives']:
    assert utc(a['end']) - utc(a['start']) == datetime.timedelta(minutes=30), a"
  local i alt bad=''
  for i in 0 1 2; do
    alt=$(jget "$TMP/$S-b2j.out" "d['alternatives'][$i]['start']")
    run "$S-b2alt$i" book --calendar Clinic --summary "Check-up: J. Smith" --start "${alt:-none}" --duration 30m \
      --location "Room 3" --dry-run
    [ "$(rc_of "$S-b2alt$i")" = 0 ] || bad+="alternative $alt: exit $(rc_of "$S-b2alt$i"): $(cat "$TMP/$S-b2alt$i.out")"$'\n'
  done
  if [ -z "$bad" ]; then pass "$P ...each alternative passes the check (--dry-run)"
  else fail "$P ...each alternative passes the check (--dry-run)" "$bad"; fi
  alt=$(jget "$TMP/$S-b2j.out" "d['alternatives'][0]['start']")
  run "$S-b2book" book --calendar Clinic --summary "Check-up: J. Smith" --start "${alt:-none}" --duration 30m \
    --location "Room 3"
  t "$P ...and booking the first one succeeds" expect_rc "$S-b2book" 0
  added b2 >"$TMP/$S-b2.hrefs"
  if [ "$(wc -l <"$TMP/$S-b2.hrefs")" = 1 ]; then
    get "$(head -1 "$TMP/$S-b2.hrefs")" "$TMP/$S-b2book.ics"
    t "$P ...it is on the server at that time" ical "$TMP/$S-b2book.ics" "
assert at(master['DTSTART']) == utc('$alt'), (master['DTSTART'].dt, '$alt')
assert str(master['SUMMARY']) == 'Check-up: J. Smith'"
  else
    fail "$P ...it is on the server at that time" "new objects: $(cat "$TMP/$S-b2.hrefs")"
  fi

  # ---- 3. refused with their rule -----------------------------------------------------------
  snap b3
  run "$S-buffer" book --calendar Clinic --summary "Follow-up" --start "$D3 10:05" --duration 30m --location "Room 2"
  t "$P 5 min after an appointment elsewhere (travel 30m): refused, exit 1" expect_rc "$S-buffer" 1
  t "$P ...naming the buffer rule and the site visit" eval "grep -Eq 'buffer .*Site visit' '$TMP/$S-buffer.out' ||
    { cat '$TMP/$S-buffer.out'; false; }"
  t "$P ...nothing was written" unchanged b3
  undo b3
  run "$S-hours" book --calendar Clinic --summary "Evening check-up" --start "$D3 19:00" --duration 30m \
    --location "Room 2"
  t "$P at 19:00 (hours mon-fri 09:00-17:00): refused, exit 1" expect_rc "$S-hours" 1
  t "$P ...naming the working-hours rule" eval "grep -Eq 'hours .*outside working hours' '$TMP/$S-hours.out' ||
    { cat '$TMP/$S-hours.out'; false; }"
  t "$P ...nothing was written" unchanged b3
  undo b3
  run "$S-room" book --calendar Clinic --summary "Dressing change" --start "$D3 14:00" --duration 30m \
    --resource "Room 2"
  t "$P --resource Room 2, booked on the Rooms calendar: refused, exit 1" expect_rc "$S-room" 1
  t "$P ...naming the room rule and the other booking" eval "
    grep -Eq 'resource .*room 2 booked twice.*Physio' '$TMP/$S-room.out' &&
    grep -q 'rule: a room or piece of equipment can be booked only once' '$TMP/$S-room.out' ||
    { cat '$TMP/$S-room.out'; false; }"
  run "$S-room2" book --calendar Clinic --summary "Dressing change" --start "$D3 14:30" --duration 30m \
    --location "Room 2"
  t "$P --location Room 2 at the same time: refused too" eval "
    [ \"\$(rc_of '$S-room2')\" = 1 ] && grep -Eq 'resource .*Physio' '$TMP/$S-room2.out' ||
    { cat '$TMP/$S-room2.out' '$TMP/$S-room2.err'; false; }"
  t "$P ...nothing was written" unchanged b3
  undo b3

  # ---- 4. --dry-run -------------------------------------------------------------------------------
  snap b4
  sent=$(smtpd_count)
  run "$S-dry" book --calendar Clinic --summary "Dry run" --start "$D3 11:30" --duration 30m \
    --attendee ann@example.org --location "Room 2" --dry-run
  t "$P book --dry-run: exit 0, says what would be written" eval "
    [ \"\$(rc_of '$S-dry')\" = 0 ] && grep -q '^Would be Booked: .*nothing was written' '$TMP/$S-dry.out' ||
    { cat '$TMP/$S-dry.out' '$TMP/$S-dry.err'; false; }"
  run "$S-dryr" reschedule "$U1" --start "$D3 11:30" --dry-run
  t "$P reschedule --dry-run: exit 0" expect_rc "$S-dryr" 0
  run "$S-dryc" cancel "$U1" --dry-run
  t "$P cancel --dry-run: exit 0" expect_rc "$S-dryc" 0
  t "$P ...nothing was written on the server" unchanged b4
  t "$P ...and nothing was sent" test "$(smtpd_count)" = "$sent"

  # ---- slots on one calendar ------------------------------------------------------------------------
  run "$S-slots-clinic" slots --calendar Clinic --duration 30m --from "$D2" --to "$(date -d "$D2 + 1 day" +%F)" --json
  run "$S-slots-rooms" slots --calendar Rooms --duration 30m --from "$D2" --to "$(date -d "$D2 + 1 day" +%F)" --json
  t "$P slots --calendar Clinic: the Implant review's hour is not free" json "$TMP/$S-slots-clinic.out" "
busy = (utc('$(rfc "$D2 11:00")'), utc('$(rfc "$D2 12:00")'))
assert d['slots'], d
assert not any(utc(x['start']) < busy[1] and utc(x['end']) > busy[0] for x in d['slots']), d['slots']"
  t "$P slots --calendar Rooms: the Clinic's appointments do not count there" json "$TMP/$S-slots-rooms.out" "
assert any(x['start'] == '$(rfc "$D2 11:00")' for x in d['slots']), [x['start'] for x in d['slots']]"
  run "$S-slots-none" slots --calendar Nowhere --duration 30m
  t "$P slots --calendar with an unknown calendar: exit 2" expect_rc "$S-slots-none" 2

  # ---- 5. reschedule --------------------------------------------------------------------------------
  sent=$(smtpd_count)
  run "$S-move" reschedule "$U1" --start "$D4 11:00" --json
  t "$P reschedule: exit 0" expect_rc "$S-move" 0
  t "$P ...--json: ok, the new start and end" json "$TMP/$S-move.out" "
assert d['ok'] is True and d['action'] == 'moved' and d['uid'] == '$U1', d
assert d['start'] == '$(rfc "$D4 11:00")' and d['end'] == '$(rfc "$D4 11:30")', d"
  get "$H1" "$TMP/$S-move.ics"
  t "$P ...the server has the new DTSTART and DTEND (same zone), SEQUENCE 1, the rest kept" ical "$TMP/$S-move.ics" "
e = master
assert len(events) == 1 and str(e['UID']) == '$U1'
assert e['DTSTART'].params.get('TZID') == '$ZONE' and '$ZONE' in tzids, (e['DTSTART'].params, tzids)
assert at(e['DTSTART']) == utc('$(utc "$D4 11:00")'), e['DTSTART'].dt
assert at(e['DTEND']) == utc('$(utc "$D4 11:30")'), e['DTEND'].dt
assert int(e['SEQUENCE']) == 1, e.get('SEQUENCE')
assert [addr(a) for a in as_list(e['ATTENDEE'])] == ['r.patel@example.org']
assert str(e['LOCATION']) == 'Room 2' and int(e['PRIORITY']) == 3"
  t "$P ...the patient gets one update" test "$(smtpd_count)" = $((sent + 1))

  snap b5
  run "$S-moveclash" reschedule "$U1" --start "$D2 11:15"
  t "$P reschedule into a clash: exit 1, the rule, the clash and the alternatives" eval "
    [ \"\$(rc_of '$S-moveclash')\" = 1 ] &&
    grep -q '^Not moved: the slot breaks' '$TMP/$S-moveclash.out' &&
    grep -Eq 'conflict .*Implant review' '$TMP/$S-moveclash.out' &&
    [ \"\$(grep -A3 '^The nearest slots that pass every rule:' '$TMP/$S-moveclash.out' | grep -c '^  ')\" = 3 ] ||
    { cat '$TMP/$S-moveclash.out' '$TMP/$S-moveclash.err'; false; }"
  t "$P ...nothing was written" unchanged b5

  local rid2 rid3
  rid2=$(rfc "$TH2 09:00")
  rid3=$(rfc "$TH3 09:00")
  dav_get "${CLINIC}huddle.ics" >"$TMP/$S-huddle0.ics"
  run "$S-moveone" reschedule huddle@example.net --recurrence-id "$rid2" --start "$TH2 13:00"
  t "$P reschedule one occurrence of a weekly series (--recurrence-id $rid2): exit 0" expect_rc "$S-moveone" 0
  dav_get "${CLINIC}huddle.ics" >"$TMP/$S-huddle1.ics"
  t "$P ...the server object has an override with that RECURRENCE-ID at the new time" ical "$TMP/$S-huddle1.ics" "
assert master is not None, 'no master'
rid = utc('$rid2')
assert list(overrides) == [rid], ('overrides', list(overrides))
o = overrides[rid]
assert at(o['DTSTART']) == utc('$(utc "$TH2 13:00")'), o['DTSTART'].dt
assert at(o['DTEND']) == utc('$(utc "$TH2 13:30")'), o['DTEND'].dt
assert int(o.get('SEQUENCE', 0)) == int(master.get('SEQUENCE', 0)) + 1, (o.get('SEQUENCE'), master.get('SEQUENCE'))
assert str(o['UID']) == 'huddle@example.net' and 'RRULE' not in o
assert all(tz in tzids for tz in [p.params.get('TZID') for p in (o['DTSTART'], o['RECURRENCE-ID']) if p.params.get('TZID')]), tzids"
  t "$P ...and the master is unchanged" ical "$TMP/$S-huddle1.ics" "
before = icalendar.Calendar.from_ical(open('$TMP/$S-huddle0.ics', 'rb').read()).walk('VEVENT')[0]
for k in ('DTSTART', 'DTEND', 'RRULE', 'SUMMARY', 'LOCATION', 'SEQUENCE', 'STATUS', 'EXDATE'):
    assert (master.get(k).to_ical() if k in master else None) == (before.get(k).to_ical() if k in before else None), (k, master.get(k), before.get(k))"

  # ---- 6. cancel ------------------------------------------------------------------------------------
  sent=$(smtpd_count)
  run "$S-cancel" cancel "$U1" --reason "The patient is unwell"
  t "$P cancel: exit 0" expect_rc "$S-cancel" 0
  get "$H1" "$TMP/$S-cancel.ics"
  t "$P ...the server object has STATUS:CANCELLED and SEQUENCE 2, the time kept" ical "$TMP/$S-cancel.ics" "
e = master
assert len(events) == 1 and str(e['STATUS']) == 'CANCELLED', e.get('STATUS')
assert int(e['SEQUENCE']) == 2, e.get('SEQUENCE')
assert at(e['DTSTART']) == utc('$(utc "$D4 11:00")'), e['DTSTART'].dt"
  t "$P ...the patient gets one cancellation" test "$(smtpd_count)" = $((sent + 1))
  run "$S-cancelone" cancel huddle@example.net --recurrence-id "$rid3"
  t "$P cancel one occurrence (--recurrence-id $rid3): exit 0" expect_rc "$S-cancelone" 0
  dav_get "${CLINIC}huddle.ics" >"$TMP/$S-huddle2.ics"
  t "$P ...it becomes a cancelled override; the master and the moved one stay" ical "$TMP/$S-huddle2.ics" "
assert master is not None and str(master.get('STATUS', '')) != 'CANCELLED', master.get('STATUS')
assert sorted(overrides) == sorted([utc('$rid2'), utc('$rid3')]), list(overrides)
o = overrides[utc('$rid3')]
assert str(o.get('STATUS')) == 'CANCELLED', o.get('STATUS')
assert at(o['DTSTART']) == utc('$rid3'), o['DTSTART'].dt
assert int(o.get('SEQUENCE', 0)) > int(master.get('SEQUENCE', 0))
moved = overrides[utc('$rid2')]
assert str(moved.get('STATUS', '')) != 'CANCELLED' and at(moved['DTSTART']) == utc('$(utc "$TH2 13:00")')
before = icalendar.Calendar.from_ical(open('$TMP/$S-huddle0.ics', 'rb').read()).walk('VEVENT')[0]
assert at(master['DTSTART']) == at(before['DTSTART']) and master['RRULE'].to_ical() == before['RRULE'].to_ical()"

  # ---- 7. confirmation emails ------------------------------------------------------------------------
  local m0 u7
  m0=$(smtpd_count)
  run "$S-m1" book --calendar Clinic --summary "Budget review" --start "$D5 10:00" --duration 1h \
    --attendee ann@example.org --attendee "bob@example.net" --location "Room 4" --json
  t "$P book with two attendees: exit 0" expect_rc "$S-m1" 0
  u7=$(jget "$TMP/$S-m1.out" 'd["uid"]')
  t "$P ...two confirmations reach the SMTP server" test "$(smtpd_count)" = $((m0 + 2))
  run "$S-m2" reschedule "${u7:-none}" --start "$D5 14:00"
  t "$P reschedule: exit 0" expect_rc "$S-m2" 0
  t "$P ...two updates" test "$(smtpd_count)" = $((m0 + 4))
  run "$S-m3" cancel "${u7:-none}"
  t "$P cancel: exit 0" expect_rc "$S-m3" 0
  t "$P ...two cancellations" test "$(smtpd_count)" = $((m0 + 6))
  mails "$((m0 + 1))"
  t "$P ...each attendee: Confirmed (PUBLISH, 10:00), Updated (PUBLISH, 14:00, SEQUENCE 1), Cancelled (CANCEL)" \
    json "$TMP/mails.json" "
import collections
mine = [m for m in d if m.get('calendar') and m['calendar']['uid'] == '$u7']
assert len(mine) == 6 == len(d), ('messages', len(d), 'for the booking', len(mine), [m.get('subject') for m in d])
by = collections.defaultdict(list)
for m in mine:
    assert 'error' not in m and not m['defects'], (m.get('error'), m.get('defects'))
    assert m['envelope']['tls'] is True and m['envelope']['auth_user'] == 'sam', m['envelope']
    assert m['to'] == m['envelope']['rcpt_tos'] and len(m['to']) == 1, m['envelope']
    by[m['to'][0]].append(m)
assert sorted(by) == ['ann@example.org', 'bob@example.net'], sorted(by)
def when(c, k):
    return datetime.datetime.fromisoformat(c[k]['iso']).astimezone(datetime.timezone.utc)
for who, ms in by.items():
    ms.sort(key=lambda m: m['n'])
    kinds = [(m['subject'].split(':')[0], m['calendar']['method'], m['calendar']['content_type_method']) for m in ms]
    assert kinds == [('Confirmed', 'PUBLISH', 'PUBLISH'), ('Updated', 'PUBLISH', 'PUBLISH'), ('Cancelled', 'CANCEL', 'CANCEL')], (who, kinds)
    c0, c1, c2 = (m['calendar'] for m in ms)
    assert when(c0, 'dtstart') == utc('$(rfc "$D5 10:00")') and when(c0, 'dtend') == utc('$(rfc "$D5 11:00")'), (who, c0['dtstart'])
    assert when(c1, 'dtstart') == utc('$(rfc "$D5 14:00")') and when(c1, 'dtend') == utc('$(rfc "$D5 15:00")'), (who, c1['dtstart'])
    assert when(c2, 'dtstart') == utc('$(rfc "$D5 14:00")'), (who, c2['dtstart'])
    assert c0['dtstart']['tzid'] == '$ZONE' and '$ZONE' in c0['vtimezones'], (c0['dtstart'], c0['vtimezones'])
    assert (c0['sequence'], c1['sequence']) == (0, 1) and c2['sequence'] >= 2, [c['sequence'] for c in (c0, c1, c2)]
    assert c2['status'] == 'CANCELLED', c2['status']
    assert ms[1]['in_reply_to'] == ms[0]['message_id'] and ms[2]['in_reply_to'] == ms[0]['message_id'], who"

  # ---- 8. changed on the server behind diaryd's back -----------------------------------------------
  local u8 h8
  snap c1
  run "$S-c1" book --calendar Clinic --summary "Consultation" --start "$D5 11:30" --duration 30m \
    --location "Room 2" --json
  t "$P book an appointment to be changed elsewhere: exit 0" expect_rc "$S-c1" 0
  u8=$(jget "$TMP/$S-c1.out" 'd["uid"]')
  h8=$(added c1 | head -1)
  get "${h8:-/none}" "$TMP/$S-c1.ics"
  # Another client changes it: a new title and notes, a new ETag.
  ics_set "$TMP/$S-c1.ics" MASTER "SUMMARY:Consultation (interpreter booked)" &&
    ics_set "$TMP/$S-c1.ics" MASTER "DESCRIPTION:Interpreter: Polish"
  t "$P another client modifies it on the server" dav_put "$ORIGIN${h8:-/none}" "$TMP/$S-c1.ics"
  run "$S-c2" reschedule "${u8:-none}" --start "$D5 15:30" --no-sync
  t "$P reschedule --no-sync with a stale ETag: exit 0" expect_rc "$S-c2" 0
  t "$P ...it says the appointment changed on the server meanwhile" stderr_has "$S-c2" 'changed on the server meanwhile'
  get "${h8:-/none}" "$TMP/$S-c2.ics"
  t "$P ...the server has diaryd's new time, and the other client's change is not lost" ical "$TMP/$S-c2.ics" "
e = master
assert at(e['DTSTART']) == utc('$(utc "$D5 15:30")'), ('DTSTART', e['DTSTART'].dt)
assert str(e['SUMMARY']) == 'Consultation (interpreter booked)', e['SUMMARY']
assert str(e.get('DESCRIPTION')) == 'Interpreter: Polish', e.get('DESCRIPTION')
assert int(e['SEQUENCE']) == 1, e.get('SEQUENCE')"

  # ---- 9. two bookings of one slot at the same moment ------------------------------------------------
  local round pa pb ra rb slot db loser refused=0 removed=0 other=0
  for db in A B; do run "$S-presync$db" sync --db "$TMP/$S/race$db.db"; done
  t "$P two receptionists' stores are synced" eval "[ \"\$(rc_of '$S-presyncA')\$(rc_of '$S-presyncB')\" = 00 ] ||
    cat '$TMP/$S-presyncA.err' '$TMP/$S-presyncB.err'"
  for round in 1 2 3 4 5; do
    slot="$RACE $(printf '%02d' $((8 + round))):30"
    # A booker may wait up to 60 s for a pending rival's booker to remove
    # it (cmd_book.c, PENDING_WAIT_S): the hang guard is above that.
    run_race() { RUN_TIMEOUT=$((90 * ${DIARYD_TEST_TIME_SCALE:-1})) run "$S-race$round$1" book \
      --db "$TMP/$S/race$1.db" --calendar Clinic \
      --summary "Race $round booker $1" --start "$slot" --duration 30m --location "Room 2"; }
    run_race A &
    pa=$!
    run_race B &
    pb=$!
    wait "$pa" "$pb"
    ra=$(rc_of "$S-race${round}A")
    rb=$(rc_of "$S-race${round}B")
    fetch_all "$TMP/$S-race$round"
    t "$P race $round ($slot): exactly one booking for the slot on the server" ical "" "
import glob
s, e = utc('$(utc "$slot")'), utc('$(utc "$slot")') + datetime.timedelta(minutes=30)
found = []
for f in glob.glob('$TMP/$S-race$round/*.ics'):
    for ev in icalendar.Calendar.from_ical(open(f, 'rb').read()).walk('VEVENT'):
        if str(ev.get('STATUS', '')) == 'CANCELLED' or 'DTSTART' not in ev or 'DTEND' not in ev:
            continue
        if at(ev['DTSTART']) < e and at(ev['DTEND']) > s:
            found.append(str(ev['SUMMARY']))
assert len(found) == 1, found
winner = 'A' if '$ra' == '0' else 'B'
assert sorted(['$ra', '$rb']) == ['0', '1'], ('exit statuses A, B', '$ra', '$rb')
assert found == ['Race $round booker ' + winner], (found, winner)"
    loser=A
    [ "$ra" = 0 ] && loser=B
    if grep -q 'someone else booked the same slot at the same moment' "$TMP/$S-race$round$loser.err"; then
      removed=$((removed + 1))
    elif grep -q '^Not booked: the slot breaks' "$TMP/$S-race$round$loser.out"; then
      refused=$((refused + 1))
    else
      other=$((other + 1))
    fi
    t "$P ...the other booker (exit 1) is told: refused at the check, or removed after the write" eval "
      [ \"\$(rc_of '$S-race$round$loser')\" = 1 ] &&
      { grep -q 'someone else booked the same slot at the same moment' '$TMP/$S-race$round$loser.err' ||
        grep -Eq 'conflict .*Race $round booker' '$TMP/$S-race$round$loser.out'; } ||
      { echo A: exit $ra; cat '$TMP/$S-race${round}A.out' '$TMP/$S-race${round}A.err';
        echo B: exit $rb; cat '$TMP/$S-race${round}B.out' '$TMP/$S-race${round}B.err'; false; }"
  done
  diag "$P races: $refused refused at the check, $removed removed after the write, $other neither; the slowest booker took $(cat "$TMP/$S"-race*[AB].secs | sort -n | tail -1) s"

  # The same race with one booker slowed between its check and its write
  # (its password_command takes 3 s the second time it runs: the session
  # for the PUT), so that the other books the slot, reads it back and is
  # done in between.  The slow one's booking is the earlier by CREATED, yet
  # must not stay: the other has already looked and will not look again.
  # Radicale only: Xandikos has no login, so no password_command to slow.
  if [ -n "$DAV_AUTH" ]; then
    local slow=$TMP/$S/slow.config
    sed "s|^password_command = printf %s ${DAV_AUTH#*:}\$|password_command = sh -c 'n=\$(cat $TMP/$S/calls 2>/dev/null \|\| echo 0); echo \$((n + 1)) >$TMP/$S/calls; [ \"\$n\" = 1 ] \&\& sleep 3; printf %s ${DAV_AUTH#*:}'|" \
      "$XDG_CONFIG_HOME/diaryd/config" >"$slow"
    rm -f "$TMP/$S/calls"
    slot="$RACE 15:30"
    run "$S-slowA" book --config "$slow" --db "$TMP/$S/raceA.db" --calendar Clinic --summary "Slow booker A" \
      --start "$slot" --duration 30m --location "Room 2" &
    pa=$!
    # A has checked once its password_command runs the second time; B starts
    # a second later (a later CREATED) and is done within A's 3 s.
    for ((i = 0; i < 100; i++)); do
      [ "$(cat "$TMP/$S/calls" 2>/dev/null)" = 2 ] && break
      sleep 0.05
    done
    sleep 1.1
    run "$S-slowB" book --db "$TMP/$S/raceB.db" --calendar Clinic --summary "Quick booker B" \
      --start "$slot" --duration 30m --location "Room 2"
    wait "$pa"
    fetch_all "$TMP/$S-slow"
    t "$P a booker slowed between its check and its write: still exactly one booking survives" ical "" "
import glob
s, e = utc('$(utc "$slot")'), utc('$(utc "$slot")') + datetime.timedelta(minutes=30)
found = []
for f in glob.glob('$TMP/$S-slow/*.ics'):
    for ev in icalendar.Calendar.from_ical(open(f, 'rb').read()).walk('VEVENT'):
        if str(ev.get('STATUS', '')) != 'CANCELLED' and at(ev['DTSTART']) < e and at(ev['DTEND']) > s:
            found.append(str(ev['SUMMARY']))
assert len(found) == 1, ('on the server', found, 'exit statuses A, B', '$(rc_of "$S-slowA")', '$(rc_of "$S-slowB")')"
    t "$P ...and exactly one booker was told it is booked" test "$(rc_of "$S-slowA")$(rc_of "$S-slowB")" = 01 -o \
      "$(rc_of "$S-slowA")$(rc_of "$S-slowB")" = 10
  fi

  # ---- 10. bad input ----------------------------------------------------------------------------------
  snap b10
  sent=$(smtpd_count)
  bad_input() { # bad_input NAME DESC ERE BOOK-ARGS...
    local name=$1 desc=$2 ere=$3
    shift 3
    run "$S-bad-$name" book "$@"
    t "$P $desc: exit 2 with a clear message" eval "expect_rc '$S-bad-$name' 2 && stderr_has '$S-bad-$name' '$ere'"
  }
  local base=(--calendar Clinic --summary "Bad input" --duration 30m --location "Room 2")
  bad_input ddmm '"12/01/2026 10:00"' 'ambiguous.*year first' "${base[@]}" --start "12/01/2026 10:00"
  bad_input notime "\"$D2\" without a time" 'has no time of day' "${base[@]}" --start "$D2"
  bad_input past "yesterday's date, \"$YESTERDAY 10:00\"" 'past' "${base[@]}" --start "$YESTERDAY 10:00"
  bad_input pastiso "an instant an hour ago (ISO 8601)" 'past' "${base[@]}" \
    --start "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:00Z)"
  if [ "$(TZ=$ZONE date +%H%M)" -ge 0010 ]; then
    bad_input pastclock "a time of day already past today" 'already past today' "${base[@]}" \
      --start "$(TZ=$ZONE date -d '-5 minutes' +%H:%M)"
  fi
  bad_input dur0 '--duration 0' '--duration' --calendar Clinic --summary "Bad input" --start "$D2 15:00" --duration 0
  bad_input attendee 'an invalid attendee address' '--attendee: "ann@" is not an email address' "${base[@]}" \
    --start "$D2 15:00" --attendee "ann@"
  bad_input calendar 'an unknown calendar' 'no calendar "Nowhere".*office/Clinic' --calendar Nowhere \
    --summary "Bad input" --start "$D2 15:00" --duration 30m
  t "$P ...nothing was written by any of them" unchanged b10
  undo b10
  t "$P ...and nothing was sent" test "$(smtpd_count)" = "$sent"

  smtpd_stop
  diag "$P scenario: $((SECONDS - t0)) s"
}

# ---- Radicale ----------------------------------------------------------------------------------
setup "Radicale starts (user alice)" start_radicale alice alice-pw
ORIGIN=http://127.0.0.1:$RADICALE_PORT
BASEURL=$RADICALE_URL
CLINIC=${RADICALE_URL}alice/clinic/
ROOMS=${RADICALE_URL}alice/rooms/
scenario radicale

# ---- Xandikos ----------------------------------------------------------------------------------
setup "Xandikos starts" start_xandikos
DAV_AUTH=
ORIGIN=http://127.0.0.1:$XANDIKOS_PORT
BASEURL=$XANDIKOS_URL
CLINIC=${XANDIKOS_URL}user/calendars/clinic/
ROOMS=${XANDIKOS_URL}user/calendars/rooms/
scenario xandikos

diag "book.t: $((SECONDS - T0)) s in all"
finish
