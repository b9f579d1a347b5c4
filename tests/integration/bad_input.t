#!/bin/bash
# diaryd check on broken, hostile and odd input.  For each case:
#   - one clear message on stderr naming the file (and the line or UID where
#     known);
#   - every other file is still checked: run next to the sample diary, the
#     sample's findings are still reported and the exit status is 1;
#   - exit 2 only when nothing could be read: run alone, an unreadable input
#     exits 2 and a readable one 0 or 1;
#   - never a crash: exit status 0, 1 or 2, nothing on stderr that looks like
#     a crash, and done within 10 seconds.
# Fixtures live in tests/data/bad; the random junk and the 50 MB file are
# made here, in the temporary directory.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
require_basics

LIMIT=10 # seconds a run may take

# ---- generated inputs -----------------------------------------------------
"$PY" - "$TMP/junk.ics" <<'PYEOF'
import random, sys
rng = random.Random(20261207)
open(sys.argv[1], "wb").write(bytes(rng.getrandbits(8) for _ in range(100000)))
PYEOF
"$PY" - "$TMP/huge.ics" <<'PYEOF'
import sys
with open(sys.argv[1], "wb") as fh:
    fh.write(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//huge//EN\r\n")
    filler = b"X-FILLER:" + b"x" * 61 + b"\r\n"
    fh.write(filler * (50 * 1024 * 1024 // len(filler) + 1))
    fh.write(b"BEGIN:VEVENT\r\nUID:after-the-filler@example.com\r\nDTSTAMP:20261101T090000Z\r\n"
             b"DTSTART:20261207T100000Z\r\nDTEND:20261207T110000Z\r\nSUMMARY:Needle\r\nEND:VEVENT\r\n"
             b"END:VCALENDAR\r\n")
PYEOF
t "generated inputs: 100000 bytes of seeded junk, a file over 50 MB" \
  bash -c "[ \$(stat -c %s '$TMP/junk.ics') -eq 100000 ] && [ \$(stat -c %s '$TMP/huge.ics') -gt 52428800 ]"

# The sample diary's Tuesday double booking proves the sample was checked.
SAMPLE_SEEN='
assert d["window"]["tz"] == "Europe/London", d["window"]
f = one(d, "conflict", "budget-review-q4@example.com", "dentist-dec@example.net")
assert f["severity"] == "error"
'

# case NAME PATH READABLE REGEX [EXTRA_PYTHON]
#   READABLE: yes if the input holds something diaryd can use (run alone it
#   must exit 0 or 1), no if nothing can be read from it (alone: exit 2).
#   REGEX: an extended regex the one stderr line naming PATH must match.
#   EXTRA_PYTHON: more assertions on the JSON of the run next to the sample.
case_() {
  local name=$1 path=$2 readable=$3 regex=$4 extra=${5:-} n
  run "$name" check --json "${WINDOW[@]}" "$path" "$SAMPLE"
  t "$name: no crash next to the sample diary" no_crash "$name"
  t "$name: done within ${LIMIT}s" within "$name" "$LIMIT"
  n=$(lines_naming "$name" "$path")
  if [ "$n" -eq 1 ]; then
    pass "$name: one message on stderr names $path"
  else
    fail "$name: one message on stderr names $path" "$n lines name it; stderr:" "$(head -c 2000 "$TMP/$name.err")"
  fi
  t "$name: the message says what is wrong" line_naming "$name" "$path" "$regex"
  t "$name: the other files are still checked (exit 1, as the sample has errors)" expect_rc "$name" 1
  t "$name: --json output is valid and still has the sample's findings" json "$TMP/$name.out" "$SAMPLE_SEEN$extra"
  run "$name-alone" check --json "${WINDOW[@]}" "$path"
  if [ "$readable" = yes ]; then
    t "$name: alone, exits 0 or 1 (something was read)" expect_rc "$name-alone" 0 1
  else
    t "$name: alone, exits 2 (nothing could be read)" expect_rc "$name-alone" 2
  fi
  t "$name: alone, no crash" no_crash "$name-alone"
}

# listed NAME PATH PYTHON [DESC]: runs occurrences --json on PATH alone and
# asserts PYTHON on it.
listed() {
  local name=$1 path=$2 code=$3
  run "$name-occ" occurrences --json "${WINDOW[@]}" "$path"
  t "$name: occurrences --json exits 0" expect_rc "$name-occ" 0
  t "$name: ${4:-the event is still read}" json "$TMP/$name-occ.out" "$code"
}

# in_lines NAME PATH FIRST LAST: the first message on PATH gives a line in [FIRST, LAST].
in_lines() {
  local line
  line=$(grep -F -- "diaryd: $2:" "$TMP/$1.err" | head -1 | cut -d: -f3)
  [[ "$line" =~ ^[0-9]+$ ]] && [ "$line" -ge "$3" ] && [ "$line" -le "$4" ] && return 0
  echo "line '$line', expected $3-$4; stderr:"
  cat "$TMP/$1.err"
  return 1
}

# ---- an unparsable file -----------------------------------------------------
case_ unparsable "$BAD/unparsable.ics" no 'not an icalendar|unparsable|cannot parse|not a calendar'
case_ broken-structure "$BAD/broken-structure.ics" no "unparsable|not an icalendar|cannot parse|can't parse|parse error|malformed|could be read"

# ---- a VEVENT without DTSTART -----------------------------------------------
f=$BAD/no-dtstart.ics
begin=$(awk '/^BEGIN:VEVENT/ { b = NR } /^UID:no-start@example.com/ { print b; exit }' "$f")
end=$(awk -v b="$begin" 'NR > b && /^END:VEVENT/ { print NR; exit }' "$f")
case_ no-dtstart "$f" yes 'DTSTART'
t "no-dtstart: the message names the UID" line_naming no-dtstart "$f" 'UID no-start@example\.com'
t "no-dtstart: the message names the event's line ($begin-$end)" in_lines no-dtstart "$f" "$begin" "$end"
listed no-dtstart "$f" '
u = [o["uid"] for o in d["occurrences"]]
assert u == ["has-start@example.com"], u
' "the other event in the same file is still read"

# ---- an unknown TZID ----------------------------------------------------------
f=$BAD/unknown-tzid.ics
case_ unknown-tzid "$f" yes 'warning: .*Mars/Olympus_Mons' '
f = one(d, "conflict", "olympus-call@example.com", "budget-review-q4@example.com")
'
t "unknown-tzid: the warning names the UID" line_naming unknown-tzid "$f" 'UID olympus-call@example\.com'
listed unknown-tzid "$f" '
o = [o for o in d["occurrences"] if o["uid"] == "olympus-call@example.com"]
assert len(o) == 1, d["occurrences"]
assert (o[0]["start"], o[0]["end"]) == ("2026-12-08T14:15:00Z", "2026-12-08T14:45:00Z"), o
' "the event is still checked, its times read in --tz"

# ---- DTEND before DTSTART -----------------------------------------------------
f=$BAD/dtend-before-dtstart.ics
case_ dtend-before-dtstart "$f" yes 'DTEND.*(before|earlier).*DTSTART|DTSTART.*after.*DTEND'
t "dtend-before-dtstart: the message names the UID" line_naming dtend-before-dtstart "$f" 'UID backwards@example\.com'
listed dtend-before-dtstart "$f" '
o = [o for o in d["occurrences"] if o["uid"] == "backwards@example.com"]
assert len(o) == 1 and o[0]["start"] == "2026-12-07T15:00:00Z", o
assert utc(o[0]["end"]) >= utc(o[0]["start"]), o
'

# ---- an override without its master ------------------------------------------
f=$BAD/override-without-master.ics
case_ override-without-master "$f" yes '(RECURRENCE-ID|override).*(master|without)|(master|parent).*(missing|not found)'
t "override-without-master: the message names the UID" line_naming override-without-master "$f" 'UID weekly-review@example\.com'
listed override-without-master "$f" '
o = [o for o in d["occurrences"] if o["uid"] == "weekly-review@example.com"]
assert len(o) == 1 and (o[0]["start"], o[0]["end"]) == ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z"), o
' "the override is still shown, at its own time"

# ---- binary junk ------------------------------------------------------------------
case_ junk "$TMP/junk.ics" no 'not an icalendar|unparsable|binary|cannot parse'

# ---- an empty file ----------------------------------------------------------------
case_ empty "$BAD/empty.ics" no 'empty'

# ---- a 50 MB file -------------------------------------------------------------------
case_ huge "$TMP/huge.ics" no 'too large|too big'
t "huge: the message gives the limit in the units of --max-size (default 32)" \
  line_naming huge "$TMP/huge.ics" '(limit|max)[^0-9]*32(\.0)? ?(MB|MiB)'
run huge-max check --json --max-size 64 "${WINDOW[@]}" "$TMP/huge.ics"
t "huge: read with --max-size 64" expect_rc huge-max 0 1
t "huge: with --max-size 64 the event after the filler is found" json "$TMP/huge-max.out" '
assert d["occurrences"] == 1, d["occurrences"]
'

# ---- a path that does not exist --------------------------------------------------
case_ missing "$TMP/no/such/diary.ics" no 'no such|does not exist|not found|cannot open'

# ---- a directory with no .ics files ----------------------------------------------
case_ no-ics "$BAD/no-ics" no 'no .*\.ics|no calendar|nothing to read|empty folder|no files'

# ---- invalid UTF-8 in SUMMARY -----------------------------------------------------
f=$BAD/invalid-utf8-summary.ics
case_ invalid-utf8 "$f" yes 'UTF-8|encoding'
listed invalid-utf8 "$f" '
o = [o for o in d["occurrences"] if o["uid"] == "bad-utf8@example.com"]
assert len(o) == 1, d["occurrences"]
assert o[0]["summary"].startswith("Caf") and "meeting" in o[0]["summary"], o[0]["summary"]
' "the event is still read, its summary as valid UTF-8"
run invalid-utf8-text occurrences "${WINDOW[@]}" "$f"
t "invalid-utf8: the text output is valid UTF-8" \
  "$PY" -c "import sys; open(sys.argv[1], encoding='utf-8', errors='strict').read()" "$TMP/invalid-utf8-text.out"

# ---- pathological recurrence rules ------------------------------------------------
f=$BAD/never-matching-rule.ics
case_ never-matching "$f" yes 'RRULE|never|no occurrence'
t "never-matching: the message names the UID" line_naming never-matching "$f" 'UID thirtieth-of-february@example\.com'
listed never-matching "$f" '
o = [o for o in d["occurrences"] if o["uid"] == "thirtieth-of-february@example.com"]
assert len(o) <= 1, "%d occurrences of a rule that never matches" % len(o)
' "at most the DTSTART instance of the never-matching rule is listed"

# An hour-long meeting repeated every second: its occurrences overlap each other.
f=$BAD/secondly-forever.ics
case_ secondly-forever "$f" yes 'occurrences|repetitions|too many|SECONDLY|overlap'
# A one-second event every second since before the window: no overlaps, but
# tens of thousands of occurrences, each outside working hours at night.
f=$BAD/secondly-blips.ics
case_ secondly-blips "$f" yes 'occurrences|repetitions|too many|SECONDLY'

f=$BAD/count-ten-million.ics
run count-ten-million check --json "${WINDOW[@]}" "$f" "$SAMPLE"
t "count-ten-million: no crash next to the sample diary" no_crash count-ten-million
t "count-ten-million: done within ${LIMIT}s" within count-ten-million "$LIMIT"
n=$(lines_naming count-ten-million "$f")
t "count-ten-million: at most one message names the file" test "$n" -le 1
t "count-ten-million: the sample's findings are still reported" json "$TMP/count-ten-million.out" "$SAMPLE_SEEN"
t "count-ten-million: exit 1 (the sample has errors)" expect_rc count-ten-million 1
run count-ten-million-occ occurrences --json "${WINDOW[@]}" "$f"
t "count-ten-million: occurrences --json done within ${LIMIT}s" within count-ten-million-occ "$LIMIT"
t "count-ten-million: exactly the 7200 minutes of the five days are listed" json "$TMP/count-ten-million-occ.out" '
o = [o for o in d["occurrences"] if o["uid"] == "ten-million@example.com"]
assert len(o) == 5 * 24 * 60, len(o)
assert o[0]["start"] == "2026-12-07T00:00:00Z" and o[-1]["start"] == "2026-12-11T23:59:00Z", (o[0], o[-1])
'

# ---- a folder mixing good and bad files --------------------------------------------
run mixed check --json "${WINDOW[@]}" "$BAD/mixed"
t "mixed folder: no crash" no_crash mixed
t "mixed folder: exit 1 (the good files have a double booking)" expect_rc mixed 1
t "mixed folder: the double booking across good.ics and nested/more.ics is reported" json "$TMP/mixed.out" '
f = one(d, "conflict", "planning@example.com", "vendor-demo@example.com")
srcs = sorted(o["source"] for o in f["occurrences"])
assert srcs[0].endswith("mixed/good.ics") and srcs[1].endswith("mixed/nested/more.ics"), srcs
assert d["occurrences"] == 2, d["occurrences"]
'
n=$(lines_naming mixed "broken.ics")
t "mixed folder: one message names broken.ics" test "$n" -eq 1
t "mixed folder: the message says broken.ics is not iCalendar" \
  line_naming mixed broken.ics 'not an icalendar|unparsable|cannot parse'
t "mixed folder: files not named *.ics are left alone" test "$(lines_naming mixed notes.txt)" -eq 0
t "mixed folder: nothing on stderr about the good files" test "$(grep -cE 'good\.ics|more\.ics' "$TMP/mixed.err")" -eq 0

finish
