#!/bin/bash
# diaryd agenda on the sample diary (tests/data/sample-diary), "now" being
# Tuesday 8 December 2026 07:00 in Europe/London (UTC+0 in December, so
# local clock times and UTC instants coincide):
#   Mon 7   stand-up 09:30
#   Tue 8   stand-up 09:30; Quarterly budget review 14:00-15:00 overlaps
#           Dentist 14:30-15:15 (a double booking)
#   Wed 9   early stand-up 08:30 (outside hours); site visit 10:00-11:00, then
#           the supplier meeting elsewhere at 11:10 (10 min, 30 needed)
#   Thu 10  Meeting Room 3 booked twice; the urgent contract signing clashes
#           with the 1:1 with Jo
#   Fri 11  Catch-up with Priya has no location
#   Sat 12, Sun 13  Weekend away (all day, free)
# The text, brief and JSON forms; findings equal to `check --json`'s for the
# same days; bad usage; no PATH (an empty diary, the local folder, and a
# synced Radicale with calendar colours).
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics

NOW=(--now 2026-12-08T07:00:00Z --tz Europe/London)
EN=$'\u2013'

# in_order FILE TEXT...: each TEXT (fixed string) is on a line of FILE, each
# on a later line than the one before.
in_order() {
  local file=$1 at=0 n
  shift
  for want in "$@"; do
    n=$(awk -v from="$at" -v w="$want" 'NR > from && index($0, w) { print NR; exit }' "$file")
    if [ -z "$n" ]; then
      echo "no line after line $at holds: $want"
      cat "$file"
      return 1
    fi
    at=$n
  done
}

# line_is FILE N TEXT: line N of FILE is exactly TEXT.
line_is() {
  local got
  got=$(sed -n "$2p" "$1")
  [ "$got" = "$3" ] && return 0
  echo "line $2 is:"
  echo "$got"
  echo "expected:"
  echo "$3"
  return 1
}

# ---- today ----------------------------------------------------------------------------
run today agenda today --color=never "${NOW[@]}" "$SAMPLE"
t "agenda today: exits 0 (a view, even with an error-level finding)" expect_rc today 0
t "agenda today: Tuesday's heading first" line_is "$TMP/today.out" 1 "Tuesday 8 December 2026"
t "agenda today: Tuesday's appointments in time order" in_order "$TMP/today.out" \
  "  09:30${EN}09:45  Team stand-up  @ Head Office, Room 2  with Alex Rivera and Jo Chen" \
  "  14:00${EN}15:00  Quarterly budget review  @ Head Office, Room 2  with Finance Team" \
  "  14:30${EN}15:15  Dentist  @ Smile Dental, 4 Park Lane, Leeds"
run check8 check --json --from 2026-12-08 --to 2026-12-09 "${NOW[@]}" "$SAMPLE"
cp "$TMP/today.out" "$TMP/today.txt"
t "agenda today: the double booking inline beneath the Dentist, in check's words, with free slots" \
  json "$TMP/check8.out" '
lines = open(sys.argv[1].replace("check8.out", "today.txt"), encoding="utf-8").read().split("\n")
f = one(d, "conflict", "budget-review-q4@example.com", "dentist-dec@example.net")
dentist = [i for i, l in enumerate(lines) if "Dentist  @ Smile Dental" in l]
assert len(dentist) == 1, lines
line = lines[dentist[0] + 1]
assert line == "    error   conflict     " + f["message"], repr(line)
assert lines[dentist[0] + 2].startswith(" " * 25 + "free instead: Tue 8 Dec 15:30"), repr(lines[dentist[0] + 2])
assert len(d["findings"]) == 1, [x["check"] for x in d["findings"]]
'
t "agenda today: a summary line" stdout_has today '^3 appointments, 1 error, 0 warnings \(Europe/London\)$'
t "agenda today: no other day" bash -c "! grep -Eq 'Monday|Wednesday|stand-up \\(early' '$TMP/today.out'"

# ---- tomorrow, a date, the week -----------------------------------------------------
run tomorrow agenda tomorrow --color=never "${NOW[@]}" "$SAMPLE"
t "agenda tomorrow: exits 0" expect_rc tomorrow 0
t "agenda tomorrow: Wednesday, its appointments and warnings in order" in_order "$TMP/tomorrow.out" \
  "Wednesday 9 December 2026" \
  "  08:30${EN}08:45  Team stand-up (early: site visit day)" \
  "    warning hours        " \
  "  10:00${EN}11:00  Site visit: Harbour Road warehouse  @ 12 Harbour Road, Leeds LS10 1AB" \
  "  11:10${EN}12:00  Supplier meeting: Acme Ltd" \
  "    warning buffer       Only 10 min between"
t "agenda tomorrow: only Wednesday" test "$(grep -c 'December 2026$' "$TMP/tomorrow.out")" = 1

run monday agenda 2026-12-07 --color=never "${NOW[@]}" "$SAMPLE"
t "agenda 2026-12-07: exits 0" expect_rc monday 0
t "agenda 2026-12-07: Monday with its one appointment" bash -c "
  diff <(head -2 '$TMP/monday.out') <(printf '%s\n' 'Monday 7 December 2026' \
    '  09:30${EN}09:45  Team stand-up  @ Head Office, Room 2  with Alex Rivera and Jo Chen')"
t "agenda 2026-12-07: 1 appointment, no findings" stdout_has monday '^1 appointment, 0 errors, 0 warnings'

run week agenda week --color=never "${NOW[@]}" "$SAMPLE"
t "agenda week: exits 0" expect_rc week 0
t "agenda week: seven headings, Tuesday 8 to Monday 14 December" bash -c "
  diff <(grep -E '^[A-Z][a-z]+day [0-9]+ December 2026$' '$TMP/week.out') <(printf '%s\n' \
    'Tuesday 8 December 2026' 'Wednesday 9 December 2026' 'Thursday 10 December 2026' 'Friday 11 December 2026' \
    'Saturday 12 December 2026' 'Sunday 13 December 2026' 'Monday 14 December 2026')"
t "agenda week: the weekend away on Saturday and Sunday, all day and free" in_order "$TMP/week.out" \
  "Saturday 12 December 2026" "  all day      Weekend away (free)" \
  "Sunday 13 December 2026" "  all day      Weekend away (free)" "Monday 14 December 2026"
t "agenda week: Thursday's clashes beneath the later appointment of each" in_order "$TMP/week.out" \
  "Thursday 10 December 2026" "Interview: J. Smith" "Marketing sync (booked by Robin) (free)" \
  "    error   resource     meeting room 3 booked twice" "1:1 with Jo" "URGENT: contract signing" \
  "    error   conflict     Double booking on Thu 10 Dec" "Friday 11 December 2026" \
  "  15:00${EN}16:00  Catch-up with Priya  with Priya Shah" "    warning completeness"
t "agenda week: summary" stdout_has week '^14 appointments, 4 errors, 4 warnings \(Europe/London\)$'

run weekfrom agenda week --from 2026-12-07 --color=never "${NOW[@]}" "$SAMPLE"
t "agenda week --from 2026-12-07: Monday 7 to Sunday 13" bash -c "
  test \"\$(grep -E 'December 2026$' '$TMP/weekfrom.out' | sed -n '1p;\$p' | tr '\n' '|')\" = \
    'Monday 7 December 2026|Sunday 13 December 2026|'"
run range agenda --from 2026-12-09 --to 2026-12-11 --color=never "${NOW[@]}" "$SAMPLE"
t "agenda --from/--to: those days" bash -c "
  test \"\$(grep -E 'December 2026$' '$TMP/range.out' | tr '\n' '|')\" = \
    'Wednesday 9 December 2026|Thursday 10 December 2026|'"

# ---- JSON -----------------------------------------------------------------------------
run wjson agenda week --json "${NOW[@]}" "$SAMPLE"
t "agenda week --json: exits 0" expect_rc wjson 0
t "agenda week --json: one object, window as check prints it, seven days" json "$TMP/wjson.out" '
assert set(d) == {"window", "days"}, sorted(d)
assert d["window"] == {"from": "2026-12-08T00:00:00Z", "to": "2026-12-15T00:00:00Z", "tz": "Europe/London"}, d["window"]
assert [x["date"] for x in d["days"]] == ["2026-12-%02d" % n for n in range(8, 15)], [x["date"] for x in d["days"]]
for day in d["days"]:
    assert set(day) == {"date", "occurrences", "findings"}, sorted(day)
'
t "agenda week --json: each day lists its occurrences (all day first, then by start)" json "$TMP/wjson.out" '
got = {x["date"]: [o["uid"] for o in x["occurrences"]] for x in d["days"]}
want = {
 "2026-12-08": ["standup-2026@example.com", "budget-review-q4@example.com", "dentist-dec@example.net"],
 "2026-12-09": ["standup-2026@example.com", "site-visit-harbour@example.com", "supplier-call-acme@example.com"],
 "2026-12-10": ["standup-2026@example.com", "interview-smith@example.com", "marketing-sync-room3@example.com",
                "one-to-one-jo@example.com", "contract-signing-northwind@example.com"],
 "2026-12-11": ["catch-up-priya@example.com"],
 "2026-12-12": ["bank-holiday-note@example.net"],
 "2026-12-13": ["bank-holiday-note@example.net"],
 "2026-12-14": ["standup-2026@example.com"],
}
assert got == want, got
'
t "agenda week --json: occurrence fields" json "$TMP/wjson.out" '
for day in d["days"]:
    for o in day["occurrences"]:
        assert set(o) >= {"uid", "recurrence_id", "summary", "start", "end", "location", "priority", "source",
                          "all_day", "calendar", "color", "categories", "attendees", "findings"}, sorted(o)
        assert utc(o["start"]) <= utc(o["end"]), o
        assert o["recurrence_id"] is None or utc(o["recurrence_id"])
        assert isinstance(o["all_day"], bool) and isinstance(o["attendees"], int), o
        assert o["calendar"] is None and o["color"] is None, o  # files name no calendar
        assert isinstance(o["categories"], list) and isinstance(o["findings"], list), o
w = [o for o in d["days"][4]["occurrences"]][0]
assert w["all_day"] is True and w["summary"] == "Weekend away" and w["busy"] is False, w
s = d["days"][0]["occurrences"][0]
assert s["attendees"] == 2 and s["recurrence_id"] == "2026-12-08T09:30:00Z", s
assert (s["start"], s["end"]) == ("2026-12-08T09:30:00Z", "2026-12-08T09:45:00Z"), s
'
t "agenda week --json: occurrences name the keys of the findings that involve them" json "$TMP/wjson.out" '
keys = {f["key"]: f for day in d["days"] for f in day["findings"]}
seen = set()
for day in d["days"]:
    for o in day["occurrences"]:
        for k in o["findings"]:
            assert k in keys, k
            assert any(x["uid"] == o["uid"] and x["start"] == o["start"] for x in keys[k]["occurrences"]), (k, o["uid"])
            seen.add(k)
        for k, f in keys.items():
            if any(x["uid"] == o["uid"] and x["recurrence_id"] == o["recurrence_id"] and x["start"] == o["start"]
                   for x in f["occurrences"]):
                assert k in o["findings"], (k, o["uid"])
tue = d["days"][0]["occurrences"]
assert tue[0]["findings"] == [] and len(tue[1]["findings"]) == 1 and tue[1]["findings"] == tue[2]["findings"], tue
'
# check --json over each day, alone: the same findings (keys, messages,
# suggestions) as the agenda shows for that day.
for day in 08 09 10 11 12 13 14; do
  next=$(printf '%02d' $((10#$day + 1)))
  run "chk$day" check --json --from "2026-12-$day" --to "2026-12-$next" "${NOW[@]}" "$SAMPLE"
  run "ag$day" agenda "2026-12-$day" --json "${NOW[@]}" "$SAMPLE"
  cp "$TMP/ag$day.out" "$TMP/ag$day.json"
  t "agenda 2026-12-$day --json: the findings check --json gives for that day, key for key" json "$TMP/chk$day.out" "
ag = json.load(open('$TMP/ag$day.json'))
assert [x['date'] for x in ag['days']] == ['2026-12-$day'], ag['days']
assert ag['window'] == d['window'], (ag['window'], d['window'])
got = ag['days'][0]['findings']
assert [f['key'] for f in got] == [f['key'] for f in d['findings']], ([f['key'] for f in got], [f['key'] for f in d['findings']])
assert got == d['findings'], 'same keys, different findings'
"
done
t "agenda week --json: the week's findings are the days' findings" json "$TMP/wjson.out" "
import glob
want = []
for day in range(8, 15):
    want += [f['key'] for f in json.load(open('$TMP/chk%02d.out' % day))['findings']]
got = [f['key'] for x in d['days'] for f in x['findings']]
assert got == want, (got, want)
checks = sorted(f['check'] for x in d['days'] for f in x['findings'])
assert checks == sorted(['conflict', 'hours', 'buffer', 'resource', 'conflict', 'resource', 'priority', 'completeness']), checks
"

# ---- brief ----------------------------------------------------------------------------
run brief agenda today --brief --color=never "${NOW[@]}" "$SAMPLE"
t "agenda today --brief: exits 0" expect_rc brief 0
t "agenda today --brief: one line per appointment and per finding, plain" bash -c "
  diff '$TMP/brief.out' - <<EOF
09:30${EN}09:45 Team stand-up (Head Office, Room 2)
14:00${EN}15:00 Quarterly budget review (Head Office, Room 2)
14:30${EN}15:15 Dentist (Smile Dental, 4 Park Lane, Leeds)
! conflict: Double booking on Tue 8 Dec 2026: “Quarterly budget review” 14:00${EN}15:00 overlaps “Dentist” 14:30${EN}15:15; move “Dentist”
EOF"
run briefc agenda today --brief --color=always "${NOW[@]}" "$SAMPLE"
t "agenda today --brief --color=always: still no escape codes" cmp "$TMP/briefc.out" "$TMP/brief.out"
run briefw agenda week --brief "${NOW[@]}" "$SAMPLE"
t "agenda week --brief: at most 20 lines, the last saying how many more" bash -c "
  test \"\$(wc -l <'$TMP/briefw.out')\" -eq 20 && tail -1 '$TMP/briefw.out' | grep -Eq '^and [0-9]+ more$' &&
  head -1 '$TMP/briefw.out' | grep -qx 'Tuesday 8 December 2026'"
t "agenda week --brief: no escape codes" no_escapes "$TMP/briefw.out" "Team stand-up"

# ---- colour ---------------------------------------------------------------------------
run colour agenda today --color=always "${NOW[@]}" "$SAMPLE"
t "agenda --color=always: escape codes" has_escapes "$TMP/colour.out"
uncoloured_is() { diff <(sed "s/$ESC\[[0-9;]*m//g" "$1") "$2"; }
t "agenda --color=always without its escape codes is the --color=never text" \
  uncoloured_is "$TMP/colour.out" "$TMP/today.out"
run auto agenda today "${NOW[@]}" "$SAMPLE"
t "agenda: no escape codes by default when stdout is not a terminal" no_escapes "$TMP/auto.out" "Tuesday 8 December 2026"
if command -v script >/dev/null; then
  printf -v cmd '%q ' "$DIARYD" agenda today "${NOW[@]}" "$SAMPLE"
  env -u NO_COLOR TERM=xterm timeout "$RUN_TIMEOUT" script -qec "$cmd" /dev/null >"$TMP/tty.out" 2>&1
  t "agenda on a terminal: colour" has_escapes "$TMP/tty.out"
  env NO_COLOR=1 TERM=xterm timeout "$RUN_TIMEOUT" script -qec "$cmd" /dev/null >"$TMP/ttyno.out" 2>&1
  t "agenda on a terminal with NO_COLOR=1: none" no_escapes "$TMP/ttyno.out" "Tuesday 8 December 2026"
else
  fail "agenda on a terminal: colour" "script(1) is missing (apt-get install bsdutils)"
fi

# ---- hostile text ---------------------------------------------------------------------
mkdir -p "$TMP/hostile"
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:h@t\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z\r\nSUMMARY:Pay\033]0;pwned\007 now\\nSECOND\033[2J LINE\r\nLOCATION:Room\033[31m 9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
  >"$TMP/hostile/h.ics"
run hostile agenda today --color=never "${NOW[@]}" "$TMP/hostile"
t "hostile summary: no escape character reaches the text" no_escapes "$TMP/hostile.out" "Pay ]0;pwned  now SECOND [2J LINE  @ Room [31m 9"
run hostileb agenda today --brief "${NOW[@]}" "$TMP/hostile"
t "hostile summary: nor the brief form" no_escapes "$TMP/hostileb.out" "10:00${EN}11:00 Pay ]0;pwned  now SECOND [2J LINE (Room [31m 9)"
run hostilej agenda today --json "${NOW[@]}" "$TMP/hostile"
t "hostile summary: JSON keeps it, escaped" json "$TMP/hostilej.out" '
o = d["days"][0]["occurrences"][0]
assert o["summary"] == "Pay\x1b]0;pwned\x07 now\nSECOND\x1b[2J LINE", repr(o["summary"])
'
t "hostile summary: no raw escape in the JSON" bash -c "! grep -q \"$ESC\" '$TMP/hostilej.out'"

# ---- bad usage ------------------------------------------------------------------------
usage() { # NAME DESC REGEX ARGS...
  local name=$1 desc=$2 regex=$3
  shift 3
  run "$name" "$@"
  t "$desc: exits 2" expect_rc "$name" 2
  t "$desc: says what is wrong" bash -c "grep -Eiq -- '$regex' '$TMP/$name.err' || { cat '$TMP/$name.err'; false; }"
  t "$desc: nothing on stdout" test ! -s "$TMP/$name.out"
}
usage badword "agenda tomorow" '"tomorow".*today, tomorrow, week.*2026-12-08' agenda tomorow "${NOW[@]}" "$SAMPLE"
usage baddate "agenda 2026-02-30" '"2026-02-30".*2026-12-08' agenda 2026-02-30 "${NOW[@]}" "$SAMPLE"
usage briefjson "agenda --brief --json" 'brief.*json' agenda today --brief --json "${NOW[@]}" "$SAMPLE"
usage dayfrom "agenda today --from" 'day or --from' agenda today --from 2026-12-07 "${NOW[@]}" "$SAMPLE"
usage weekto "agenda week --to" 'week.*--to' agenda week --to 2026-12-20 "${NOW[@]}" "$SAMPLE"
usage badnow "agenda --now yesterday" '--now.*yesterday' agenda today --now yesterday --tz Europe/London "$SAMPLE"
usage badopt "agenda --frobnicate" 'frobnicate' agenda --frobnicate "${NOW[@]}" "$SAMPLE"
run help agenda --help
t "agenda --help: exits 0 and shows the usage" bash -c "grep -q 'today|tomorrow|week|DATE' '$TMP/help.out' && grep -q -- '--brief' '$TMP/help.out'"
run cmds --help
t "diaryd --help lists agenda" stdout_has cmds '^  agenda '

# ---- no PATH ---------------------------------------------------------------------------
run empty agenda today "${NOW[@]}"
t "no PATH, no store, no local folder: exits 0" expect_rc empty 0
t "no PATH, no store, no local folder: Nothing scheduled." bash -c "
  diff <(head -2 '$TMP/empty.out') <(printf '%s\n' 'Tuesday 8 December 2026' '  Nothing scheduled.')"
run emptyb agenda today --brief --color=never "${NOW[@]}"
t "no PATH, --brief: Nothing scheduled." bash -c "test \"\$(cat '$TMP/emptyb.out')\" = 'Nothing scheduled.'"
mkdir -p "$XDG_DATA_HOME/diaryd/calendar"
cp "$SAMPLE"/*.ics "$XDG_DATA_HOME/diaryd/calendar/"
run local agenda today --brief --color=never "${NOW[@]}"
t "no PATH: the local calendar folder is read" cmp "$TMP/local.out" "$TMP/brief.out"
rm -rf "$XDG_DATA_HOME/diaryd"

# ---- a synced diary, with the calendars' colours ---------------------------------------
# Work has the server's colour #3366FF; Personal none on the server, but
# #cc0000 in the config.
require_servers radicale
PW=agenda-pw
setup "Radicale starts" start_radicale alice "$PW"
R=$RADICALE_URL
split_ics "$SAMPLE/work.ics" "$TMP/work" && split_ics "$SAMPLE/meeting-rooms.ics" "$TMP/work" &&
  split_ics "$SAMPLE/personal.ics" "$TMP/personal"
setup "calendar Work (#3366FF) is created" dav_mkcalendar "${R}alice/work/" Work '#3366FF'
setup "calendar Personal is created" dav_mkcalendar "${R}alice/personal/" Personal
setup "the sample diary is put into Work" dav_put_dir "${R}alice/work/" "$TMP/work"
setup "the sample diary is put into Personal" dav_put_dir "${R}alice/personal/" "$TMP/personal"
write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s $PW

[calendar office/Personal]
color = #cc0000
EOF
run sync sync
t "diaryd sync: exits 0" expect_rc sync 0
run synced agenda today --color=always "${NOW[@]}"
t "synced: exits 0" expect_rc synced 0
t "synced: Work's appointments in the server's colour, with the calendar named" bash -c "
  grep -F '  ${ESC}[38;2;51;102;255m09:30${EN}09:45  Team stand-up${ESC}[0m' '$TMP/synced.out' | grep -qF '[office/Work]' ||
  { cat -v '$TMP/synced.out'; false; }"
t "synced: Personal's in the config's colour" bash -c "
  grep -F '  ${ESC}[38;2;204;0;0m14:30${EN}15:15  Dentist${ESC}[0m' '$TMP/synced.out' | grep -qF '[office/Personal]' ||
  { cat -v '$TMP/synced.out'; false; }"
t "synced: the double booking still inline" in_order "$TMP/synced.out" "Dentist" "conflict"
run syncedj agenda today --json "${NOW[@]}"
t "synced --json: calendar and colour of each occurrence" json "$TMP/syncedj.out" '
occ = {o["uid"]: o for o in d["days"][0]["occurrences"]}
assert (occ["standup-2026@example.com"]["calendar"], occ["standup-2026@example.com"]["color"]) == ("office/Work", "#3366ff"), occ["standup-2026@example.com"]
assert (occ["dentist-dec@example.net"]["calendar"], occ["dentist-dec@example.net"]["color"]) == ("office/Personal", "#cc0000"), occ["dentist-dec@example.net"]
assert occ["dentist-dec@example.net"]["source"].startswith("office/Personal/"), occ["dentist-dec@example.net"]["source"]
assert len(d["days"][0]["findings"]) == 1 and d["days"][0]["findings"][0]["check"] == "conflict", d["days"][0]["findings"]
'
run syncedp agenda today --color=always "${NOW[@]}" "$SAMPLE"
t "with a PATH the store's calendars are not used" bash -c "! grep -q '38;2;' '$TMP/syncedp.out' && ! grep -qF '[office/' '$TMP/syncedp.out'"

finish
