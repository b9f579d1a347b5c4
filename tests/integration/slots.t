#!/bin/bash
# diaryd slots on the sample diary, week of Monday 7 December 2026 (London).
# Slots are checked against an independent reading of the diary (diaryd
# occurrences --json): working hours Mon-Fri 09:00-17:00, no overlap with a
# busy occurrence, 10 min buffer from neighbours or 30 min travel when both
# locations are known and differ, and no room booked twice.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
require_basics

# Neighbours up to two days outside the window still count.
run occ occurrences --json --from 2026-12-05 --to 2026-12-14 --tz Europe/London --now 2026-12-01T09:00:00Z "$SAMPLE"
t "occurrences --json around the sample week exits 0" expect_rc occ 0
cp "$TMP/occ.out" "$TMP/busy.json"

# The oracle, shared by the checks below: python code run by `json` on a
# slots --json document, with LOCATION and RESOURCE (or None) set first.
# The daily limits (8 appointments, 8 h busy, a break after 4 h) are far off
# in the sample week, so the oracle leaves them out.
cat >"$TMP/oracle.py" <<'PYEOF'
occ = json.load(open(OCC_FILE))["occurrences"]
STEP = datetime.timedelta(minutes=15)
BUFFER, TRAVEL = datetime.timedelta(minutes=10), datetime.timedelta(minutes=30)
NOW = utc("2026-12-01T09:00:00Z")
NOTICE = datetime.timedelta(hours=2)

def norm(place):
    return " ".join(place.lower().split()) if place and place.strip() else None

def required(before, after):
    a, b = norm(before), norm(after)
    return TRAVEL if a and b and a != b else BUFFER

def problems(start, end, location, resource=None):
    """Why [start, end) at location, booking resource, is not free, per the
    rules, or [].  In the sample a room is booked through LOCATION."""
    why = []
    ls, le = start.astimezone(LONDON), end.astimezone(LONDON)
    if ls.weekday() >= 5 or le.date() != ls.date() or (ls.hour, ls.minute) < (9, 0) or (le.hour, le.minute) > (17, 0):
        why.append("outside working hours (%s-%s London)" % (ls.strftime("%a %H:%M"), le.strftime("%H:%M")))
    if start < NOW + NOTICE:
        why.append("less than 2 h notice")
    for o in occ:
        os_, oe = utc(o["start"]), utc(o["end"])
        overlap = os_ < end and oe > start and oe > os_
        for room in (location, resource):
            if overlap and room and o["status"] != "CANCELLED" and norm(o["location"]) == norm(room):
                why.append("%s is booked by %s %s-%s" % (room, o["uid"], o["start"], o["end"]))
        if not o["busy"]:
            continue
        if overlap:
            why.append("overlaps %s %s-%s" % (o["uid"], o["start"], o["end"]))
        elif oe <= start and start - oe < required(o["location"], location):
            why.append("only %s after %s (at %s) ends %s" % (start - oe, o["uid"], o["location"], o["end"]))
        elif os_ >= end and os_ - end < required(location, o["location"]):
            why.append("only %s before %s (at %s) starts %s" % (os_ - end, o["uid"], o["location"], o["start"]))
    return why

def expected(duration, location, resource=None):
    """Every start on the 15-min grid of the week that passes the rules."""
    out, t = [], utc("2026-12-07T00:00:00Z")
    while t + duration <= utc("2026-12-12T00:00:00Z"):
        if not problems(t, t + duration, location, resource):
            out.append(t)
        t += STEP
    return out
PYEOF

# slots_case NAME DESC ARGS...: one slots --json run and its checks.
slots_case() {
  local name=$1 desc=$2 loc=None res=None i j
  shift 2
  for ((i = 1; i <= $#; i++)); do
    j=$((i + 1))
    case ${!i} in
      --location) loc="'${!j}'" ;;
      --resource) res="'${!j}'" ;;
    esac
  done
  run "$name" slots --json "$@" "${WINDOW[@]}" "$SAMPLE"
  t "$desc: exits 0" expect_rc "$name" 0
  local pre="OCC_FILE = '$TMP/busy.json'; LOCATION = $loc; RESOURCE = $res
exec(open('$TMP/oracle.py').read())
"
  t "$desc: --json shape {window, duration_seconds, slots: [{start, end}]}" json "$TMP/$name.out" '
assert set(d) == {"window", "duration_seconds", "slots"}, sorted(d)
assert d["window"] == {"from": "2026-12-07T00:00:00Z", "to": "2026-12-12T00:00:00Z", "tz": "Europe/London"}, d["window"]
assert d["duration_seconds"] == 2700, d["duration_seconds"]
assert isinstance(d["slots"], list) and d["slots"], "no slots at all"
for s in d["slots"]:
    assert set(s) == {"start", "end"}, s
    assert (utc(s["end"]) - utc(s["start"])).total_seconds() == 2700, s
starts = [utc(s["start"]) for s in d["slots"]]
assert starts == sorted(set(starts)), "slots not in time order or repeated"
'
  t "$desc: every slot lies in working hours (Mon-Fri 09:00-17:00 London) inside the window" json "$TMP/$name.out" "$pre"'
for s in d["slots"]:
    a, b = london(s["start"]), london(s["end"])
    assert a.weekday() < 5, "slot on a %s: %r" % (a.strftime("%A"), s)
    assert a.date() == b.date() and (a.hour, a.minute) >= (9, 0) and (b.hour, b.minute) <= (17, 0), s
    assert utc("2026-12-07T00:00:00Z") <= utc(s["start"]) and utc(s["end"]) <= utc("2026-12-12T00:00:00Z"), s
'
  t "$desc: no slot overlaps a busy occurrence" json "$TMP/$name.out" "$pre"'
busy = [o for o in occ if o["busy"]]
assert busy, "no busy occurrences read"
for s in d["slots"]:
    a, b = utc(s["start"]), utc(s["end"])
    for o in busy:
        assert not (utc(o["start"]) < b and utc(o["end"]) > a), "slot %s-%s overlaps %s %s-%s" % (
            s["start"], s["end"], o["uid"], o["start"], o["end"])
'
  t "$desc: every slot keeps the buffer (10 min) or travel time (30 min) from its neighbours, and its room free" json "$TMP/$name.out" "$pre"'
bad = []
for s in d["slots"]:
    bad += ["%s: %s" % (s["start"], w) for w in problems(utc(s["start"]), utc(s["end"]), LOCATION, RESOURCE)
            if w.startswith("only ") or "booked by" in w]
assert not bad, "; ".join(bad[:5])
'
  t "$desc: lists every free start on the 15-min grid, and nothing else" json "$TMP/$name.out" "$pre"'
got = [utc(s["start"]) for s in d["slots"]]
want = expected(datetime.timedelta(minutes=45), LOCATION, RESOURCE)
missing = [w for w in want if w not in got]
extra = [g for g in got if g not in want]
fmt = lambda ts: ", ".join(x.strftime("%a %H:%M") for x in ts[:6])
assert not missing and not extra, "missing: [%s] extra: [%s] (%s)" % (fmt(missing), fmt(extra),
    "; ".join(problems(extra[0], extra[0] + datetime.timedelta(minutes=45), LOCATION, RESOURCE)) if extra else "")
'
}

slots_case any "slots 45m" --duration 45m
slots_case head "slots 45m at Head Office, Room 2" --duration 45m --location "Head Office, Room 2"
slots_case room3 "slots 45m in Meeting Room 3" --duration 45m --location "Meeting Room 3"
slots_case res3 "slots 45m needing resource Meeting Room 3" --duration 45m --resource "Meeting Room 3"

t "slots 45m at Head Office: on Wed 9 Dec 12:15 is offered after the supplier meeting there (ends 12:00), 12:00 is not" \
  json "$TMP/head.out" '
starts = [s["start"] for s in d["slots"]]
assert "2026-12-09T12:15:00Z" in starts, "12:15 after a meeting at the same place ending 12:00 should be free"
assert "2026-12-09T12:00:00Z" not in starts, "12:00 leaves no buffer after the supplier meeting"
'
t "slots 45m in Meeting Room 3: the room booking and the travel to Head Office are respected on Thu 10 Dec" \
  json "$TMP/room3.out" '
thu = [s["start"] for s in d["slots"] if s["start"].startswith("2026-12-10")]
assert thu, "no slot on Thursday"
assert "2026-12-10T12:15:00Z" not in thu, "Meeting Room 3 is booked until 12:30 (marketing sync)"
assert "2026-12-10T12:30:00Z" in thu, thu
assert "2026-12-10T14:45:00Z" in thu and "2026-12-10T15:00:00Z" not in thu, \
    "a slot in Meeting Room 3 must end 30 min before the 16:00 1:1 at Head Office: %s" % thu
'

# ---- booking a slot raises no finding ---------------------------------------
# Book each Head Office slot in turn (as an extra calendar file) and check.
cat >"$TMP/book.py" <<'PYEOF'
import json, sys, datetime
slots, outdir = json.load(open(sys.argv[1]))["slots"], sys.argv[2]
ical = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%dT%H%M%SZ")
for i, s in enumerate(slots):
    with open("%s/booked-%d.ics" % (outdir, i), "w") as fh:
        fh.write("\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//slots//EN", "BEGIN:VEVENT",
            "UID:booked-slot-%d@example.com" % i, "DTSTAMP:20261101T090000Z", "CREATED:20261101T090000Z",
            "DTSTART:" + ical(s["start"]), "DTEND:" + ical(s["end"]), "SUMMARY:Booked slot %d" % i,
            "LOCATION:Head Office, Room 2", "END:VEVENT", "END:VCALENDAR", ""]))
print(len(slots))
PYEOF
mkdir -p "$TMP/book"
nbook=$("$PY" "$TMP/book.py" "$TMP/head.out" "$TMP/book" 2>&1) || nbook=0
bad_books=
for ((i = 0; i < nbook; i++)); do
  run "book-$i" check --json "${WINDOW[@]}" "$SAMPLE" "$TMP/book/booked-$i.ics"
  if ! why=$(json "$TMP/book-$i.out" "
mine = [f for f in d['findings'] if 'booked-slot-$i@example.com' in uids(f)]
assert not mine, '; '.join(f['check'] + ': ' + f['message'] for f in mine)
"); then
    bad_books+="$(grep DTSTART "$TMP/book/booked-$i.ics" | tr -d '\r'): $why"$'\n'
  fi
done
if [ "$nbook" -gt 0 ] && [ -z "$bad_books" ]; then
  pass "booking any of the $nbook Head Office slots raises no finding about it"
else
  fail "booking any of the Head Office slots raises no finding about it" "${bad_books:-no slots to book ($nbook)}"
fi

# ---- --limit ----------------------------------------------------------------
run limit slots --json --duration 45m --limit 5 "${WINDOW[@]}" "$SAMPLE"
t "--limit 5: exits 0" expect_rc limit 0
cp "$TMP/any.out" "$TMP/all.json"
t "--limit 5 gives the first 5 of the full list" json "$TMP/limit.out" "
full = json.load(open('$TMP/all.json'))['slots']
assert len(full) > 5, len(full)
assert d['slots'] == full[:5], (d['slots'], full[:5])
"
run limit1 slots --json --duration 45m --limit 1 "${WINDOW[@]}" "$SAMPLE"
t "--limit 1 gives the first slot only" json "$TMP/limit1.out" "
full = json.load(open('$TMP/all.json'))['slots']
assert d['slots'] == full[:1], d['slots']
"

# ---- nothing fits ----------------------------------------------------------
run nine slots --json --duration 9h "${WINDOW[@]}" "$SAMPLE"
t "a 9 h appointment fits nowhere in a 09:00-17:00 day: exit 0" expect_rc nine 0
t "a 9 h appointment fits nowhere: empty slot list" json "$TMP/nine.out" '
assert d["slots"] == [], d["slots"][:3]
assert d["duration_seconds"] == 9 * 3600, d["duration_seconds"]
'
run nine_text slots --duration 9h "${WINDOW[@]}" "$SAMPLE"
t "a 9 h appointment fits nowhere: text output exits 0" expect_rc nine_text 0

# ---- usage ------------------------------------------------------------------
run nodur slots --json "${WINDOW[@]}" "$SAMPLE"
t "slots without --duration exits 2" expect_rc nodur 2
t "slots without --duration says --duration is needed" stderr_has nodur '--duration'
t "slots without --duration prints nothing on stdout" test ! -s "$TMP/nodur.out"
run baddur slots --duration soon "${WINDOW[@]}" "$SAMPLE"
t "slots --duration soon exits 2" expect_rc baddur 2
t "slots --duration soon names --duration" stderr_has baddur '--duration'
run zerodur slots --duration 0m "${WINDOW[@]}" "$SAMPLE"
t "slots --duration 0m exits 2" expect_rc zerodur 2
run neglimit slots --duration 45m --limit -1 "${WINDOW[@]}" "$SAMPLE"
t "slots --limit -1 exits 2" expect_rc neglimit 2
t "slots --limit -1 names --limit" stderr_has neglimit '--limit'

finish
