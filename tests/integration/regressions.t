#!/bin/bash
# diaryd end to end on inputs that once went wrong: a file name that is not
# UTF-8 in --json output, terminal controls in a SUMMARY, suggestions past
# the end of the window, a sub-daily rule on chosen days, a file with
# 100,000 overrides of one UID, priority findings without conflict
# findings.  Every input is written here, in the temporary directory.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
require_basics

# ics FILE: wraps the VEVENT lines read from stdin (LF line ends) in a
# VCALENDAR with CRLF line ends.
ics() {
  {
    printf 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//diaryd tests//regressions//EN\n'
    cat
    printf 'END:VCALENDAR\n'
  } | sed 's/$/\r/' >"$1"
}

# ---- a file name that is not valid UTF-8 -----------------------------------
# The clash makes the file's name appear in the findings (as their source).
BADNAME="$TMP/names/$(printf 'bad\xff.ics')"
mkdir -p "$TMP/names"
ics "$BADNAME" <<'EOF'
BEGIN:VEVENT
UID:first@example.com
DTSTAMP:20261101T090000Z
DTSTART:20261208T100000Z
DTEND:20261208T110000Z
SUMMARY:First
LOCATION:Room 1
END:VEVENT
BEGIN:VEVENT
UID:second@example.com
DTSTAMP:20261101T090000Z
DTSTART:20261208T103000Z
DTEND:20261208T113000Z
SUMMARY:Second
LOCATION:Room 1
END:VEVENT
EOF
run badname check --json "${WINDOW[@]}" "$BADNAME"
t "non-UTF-8 file name: no crash" no_crash badname
t "non-UTF-8 file name: exit 1 (the clash is an error)" expect_rc badname 1
t "non-UTF-8 file name: --json output is strict UTF-8 JSON and names the file" json "$TMP/badname.out" '
f = one(d, "conflict", "first@example.com", "second@example.com")
for o in f["occurrences"]:
    assert "bad" in o["source"] and o["source"].endswith(".ics"), o["source"]
'
# The same through json.load on the bytes, as a script would read them.
t "non-UTF-8 file name: json.load accepts the output" "$PY" -c '
import json, sys
with open(sys.argv[1], "rb") as fh:
    json.load(fh)
' "$TMP/badname.out"

# ---- terminal controls in a SUMMARY -----------------------------------------
# U+009B is CSI for a terminal that takes C1 controls ("\x9b31m" = red),
# U+202E reverses the text after it.
printf 'BEGIN:VEVENT\nUID:controls@example.com\nDTSTAMP:20261101T090000Z\n' >"$TMP/controls.lines"
printf 'DTSTART;TZID=Europe/London:20261208T200000\nDTEND;TZID=Europe/London:20261208T210000\n' \
  >>"$TMP/controls.lines"
printf 'SUMMARY:Start\xc2\x9b31mRED\xc2\x9b0m \xe2\x80\xaeevil\xe2\x81\xa6 end\xc2\x85\nEND:VEVENT\n' \
  >>"$TMP/controls.lines"
ics "$TMP/controls.ics" <"$TMP/controls.lines"

# no_controls NAME: stdout of run NAME shows the event and carries no C1
# control (U+0080..U+009F) and no bidi control (U+202A..U+202E, U+2066..U+2069).
no_controls() {
  "$PY" - "$TMP/$1.out" <<'PYEOF'
import re, sys
data = open(sys.argv[1], "rb").read()
if b"RED" not in data or b"evil" not in data:
    print("the event's title is not in the output:")
    print(data[:1500].decode("utf-8", "replace"))
    sys.exit(1)
bad = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
hits = bad.findall(data)
if hits:
    print("control characters in the output: %s" % ", ".join(h.hex() for h in hits[:10]))
    for line in data.splitlines():
        if bad.search(line):
            print(repr(line[:300]))
    sys.exit(1)
PYEOF
}
run controls-check check --color=never "${WINDOW[@]}" "$TMP/controls.ics"
t "controls in SUMMARY: check does not crash" no_crash controls-check
t "controls in SUMMARY: check text output carries none of them" no_controls controls-check
run controls-always check --color=always "${WINDOW[@]}" "$TMP/controls.ics"
t "controls in SUMMARY: check --color=always output carries none of them" no_controls controls-always
run controls-occ occurrences --color=never "${WINDOW[@]}" "$TMP/controls.ics"
t "controls in SUMMARY: occurrences exits 0" expect_rc controls-occ 0
t "controls in SUMMARY: occurrences text output carries none of them" no_controls controls-occ

# ---- suggestions stay inside the window -------------------------------------
# Every weekday is full (a clinic 09:00-17:00 in Room 1); the clash is on
# Friday 11 December, the window's last weekday, so the nearest free time
# is Monday 14 December, after --to.
ics "$TMP/window.ics" <<'EOF'
BEGIN:VEVENT
UID:clinic@example.com
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/London:20261130T090000
DTEND;TZID=Europe/London:20261130T170000
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
SUMMARY:Clinic
LOCATION:Room 1
END:VEVENT
BEGIN:VEVENT
UID:dentist@example.com
DTSTAMP:20260101T000000Z
CREATED:20260601T000000Z
DTSTART;TZID=Europe/London:20261211T100000
DTEND;TZID=Europe/London:20261211T110000
SUMMARY:Dentist
LOCATION:Room 1
END:VEVENT
EOF
run window check --json "${WINDOW[@]}" "$TMP/window.ics"
t "last-day clash: exit 1" expect_rc window 1
t "last-day clash: every suggested slot lies inside [--from, --to)" json "$TMP/window.out" '
lo, hi = utc(d["window"]["from"]), utc(d["window"]["to"])
f = one(d, "conflict", "clinic@example.com", "dentist@example.com")
assert f["suggestion"]["move"] == "dentist@example.com", f["suggestion"]
n = 0
for g in d["findings"]:
    for s in (g.get("suggestion") or {}).get("slots") or []:
        n += 1
        assert lo <= utc(s["start"]) and utc(s["end"]) <= hi, "%s slot %s..%s outside %s..%s" % (
            g["check"], s["start"], s["end"], lo, hi)
'
run window-text check --color=never "${WINDOW[@]}" "$TMP/window.ics"
t "last-day clash: the text output suggests no day after the window" bash -c "
  ! grep -E 'free instead:.* (1[2-9]|2[0-9]|3[01]) Dec' '$TMP/window-text.out' ||
  { grep -E 'free instead' '$TMP/window-text.out'; exit 1; }"

# ---- a sub-daily rule on chosen days ------------------------------------------
# Every second, but only on Monday 29 February: such a day is years apart,
# and searching for it second by second never ends.
ics "$TMP/subdaily.ics" <<'EOF'
BEGIN:VEVENT
UID:leap-monday@example.com
DTSTAMP:20260101T000000Z
DTSTART:20170101T000000Z
DURATION:PT1S
RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO
SUMMARY:Leap Monday tick
END:VEVENT
BEGIN:VEVENT
UID:plain@example.com
DTSTAMP:20260101T000000Z
DTSTART:20261208T100000Z
DTEND:20261208T110000Z
SUMMARY:Plain meeting
END:VEVENT
EOF
run subdaily check --json "${WINDOW[@]}" "$TMP/subdaily.ics"
t "sub-daily rule on chosen days: no crash, not stopped by the timeout" no_crash subdaily
t "sub-daily rule on chosen days: done within 5s" within subdaily 5
t "sub-daily rule on chosen days: a warning names the RRULE" line_naming subdaily "FREQ=SECONDLY" 'warning.*RRULE'
t "sub-daily rule on chosen days: the other event is still checked" json "$TMP/subdaily.out" '
f = one(d, "completeness", "plain@example.com")
assert "leap-monday@example.com" not in [u for g in d["findings"] for u in uids(g)]
'

# ---- 100,000 overrides of one UID ---------------------------------------------
# Overrides of hourly instances from 2000 to 2011 (no master), and one
# ordinary event in the window.  Reading them must not compare every
# override with every other (that takes several seconds here).
"$PY" - "$TMP/overrides.ics" <<'PYEOF'
import datetime, sys
start = datetime.datetime(2000, 1, 1)
with open(sys.argv[1], "w", newline="") as fh:
    fh.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//overrides//EN\r\n")
    for i in range(100000):
        t = (start + datetime.timedelta(hours=i)).strftime("%Y%m%dT%H%M%SZ")
        fh.write("BEGIN:VEVENT\r\nUID:same@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
                 "RECURRENCE-ID:%s\r\nDTSTART:%s\r\nDURATION:PT1H\r\nSUMMARY:Override %d\r\nEND:VEVENT\r\n"
                 % (t, t, i))
    fh.write("BEGIN:VEVENT\r\nUID:in-window@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
             "DTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z\r\nSUMMARY:In the window\r\n"
             "LOCATION:Room 1\r\nEND:VEVENT\r\n")
    fh.write("END:VCALENDAR\r\n")
PYEOF
t "100,000 overrides: generated" bash -c "[ \$(grep -c '^RECURRENCE-ID:' '$TMP/overrides.ics') -eq 100000 ]"
run overrides occurrences --json "${WINDOW[@]}" "$TMP/overrides.ics"
t "100,000 overrides: no crash" no_crash overrides
t "100,000 overrides: exit 0" expect_rc overrides 0
t "100,000 overrides: read within 5s" within overrides 5
t "100,000 overrides: the event in the window is listed" grep -q 'in-window@example.com' "$TMP/overrides.out"

# ---- priority without conflict findings ---------------------------------------
ics "$TMP/priority.ics" <<'EOF'
BEGIN:VEVENT
UID:urgent@example.com
DTSTAMP:20261101T090000Z
DTSTART:20261208T100000Z
DTEND:20261208T110000Z
PRIORITY:1
SUMMARY:Urgent
LOCATION:Room 1
END:VEVENT
BEGIN:VEVENT
UID:routine@example.com
DTSTAMP:20261101T090000Z
DTSTART:20261208T103000Z
DTEND:20261208T113000Z
SUMMARY:Routine
LOCATION:Room 2
END:VEVENT
EOF
run priority check --json --skip conflict "${WINDOW[@]}" "$TMP/priority.ics"
t "--skip conflict: exit 0 (warnings only)" expect_rc priority 0
t "--skip conflict: the urgent clash still gives a priority finding" json "$TMP/priority.out" '
assert not find(d, "conflict", "urgent@example.com", "routine@example.com")
f = one(d, "priority", "urgent@example.com", "routine@example.com")
assert f["suggestion"]["move"] == "routine@example.com", f["suggestion"]
'

# A daily clash for four years: conflict findings of that pair stop at the
# per-pair cap long before the one day the stand-up is urgent.
ics "$TMP/capped.ics" <<'EOF'
BEGIN:VEVENT
UID:standup@example.com
DTSTAMP:20250101T000000Z
DTSTART:20260101T093000Z
DTEND:20260101T103000Z
RRULE:FREQ=DAILY
SUMMARY:Stand-up
LOCATION:Room 1
END:VEVENT
BEGIN:VEVENT
UID:standup@example.com
DTSTAMP:20250101T000000Z
RECURRENCE-ID:20290105T093000Z
DTSTART:20290105T093000Z
DTEND:20290105T103000Z
PRIORITY:1
SUMMARY:Incident call
LOCATION:Room 1
END:VEVENT
BEGIN:VEVENT
UID:daily@example.com
DTSTAMP:20250101T000000Z
DTSTART:20260101T100000Z
DTEND:20260101T110000Z
RRULE:FREQ=DAILY
SUMMARY:Routine
LOCATION:Room 2
END:VEVENT
EOF
run capped check --json --only conflict,priority --suggestions 0 --from 2026-01-01 --to 2029-12-31 --tz UTC \
  --now 2025-12-01T00:00:00Z "$TMP/capped.ics"
t "capped conflicts: exit 1" expect_rc capped 1
t "capped conflicts: the urgent day still gives a priority finding" json "$TMP/capped.out" '
assert len(find(d, "conflict", "standup@example.com", "daily@example.com")) >= 1000
f = one(d, "priority", "standup@example.com", "daily@example.com")
assert f["occurrences"][0]["start"] == "2029-01-05T09:30:00Z", f["occurrences"]
'

finish
