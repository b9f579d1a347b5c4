#!/bin/bash
# diaryd's command line: usage errors (exit 2, a helpful message on stderr,
# nothing on stdout), --config and flags over it, --version and help.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
require_basics

# usage NAME DESC REGEX ARGS...: diaryd ARGS exits 2, prints nothing on
# stdout and a stderr line matching REGEX (case-insensitive).
usage() {
  local name=$1 desc=$2 regex=$3
  shift 3
  run "$name" "$@"
  t "$desc: exits 2" expect_rc "$name" 2
  t "$desc: says what is wrong" stderr_matches "$name" "$regex"
  t "$desc: nothing on stdout" test ! -s "$TMP/$name.out"
}
stderr_matches() {
  grep -Eiq -- "$2" "$TMP/$1.err" && return 0
  echo "no stderr line matches /$2/; stderr:"
  cat "$TMP/$1.err"
  return 1
}

# ---- usage errors -------------------------------------------------------------
usage noargs "no command" 'usage|command'
t "no command: the usage lists the commands" stderr_matches noargs 'check.*slots.*occurrences|check'
usage unknown "unknown command frobnicate" 'unknown command.*frobnicate|frobnicate.*unknown' frobnicate
t "unknown command: the commands are listed" bash -c "grep -q check '$TMP/unknown.err' && grep -q slots '$TMP/unknown.err'"
usage badfrom "--from 2026-13-45" '--from.*2026-13-45' check --json --from 2026-13-45 --to 2026-12-12 --tz Europe/London "$SAMPLE"
t "--from 2026-13-45: the message shows a valid date" stderr_matches badfrom '[0-9]{4}-[0-9]{2}-[0-9]{2}.*\)|example'
usage badfrom2 "--from yesterday" '--from.*yesterday' check --from yesterday --tz Europe/London "$SAMPLE"
usage badfrom3 "--from 2026-02-30" '--from.*2026-02-30' check --from 2026-02-30 --tz Europe/London "$SAMPLE"
usage backwards "--to before --from" '--to|end after|before|window' check --json --from 2026-12-12 --to 2026-12-07 --tz Europe/London "$SAMPLE"
usage emptywin "--to equal to --from" '--to|end after|before|window|empty' check --json --from 2026-12-07 --to 2026-12-07 --tz Europe/London "$SAMPLE"
usage badtz "unknown --tz Mars/Base" '(zone|--tz).*Mars/Base|Mars/Base.*(zone|unknown)' check --json "${WINDOW[@]:0:4}" --tz Mars/Base "$SAMPLE"
usage badbuffer "--buffer soon" '--buffer.*soon' check --json --buffer soon "${WINDOW[@]}" "$SAMPLE"
t "--buffer soon: the message shows how a duration is written" stderr_matches badbuffer '10m|45m|1h'
usage negbuffer "--buffer -5m" '--buffer' check --json --buffer -5m "${WINDOW[@]}" "$SAMPLE"
usage badonly "--only conflicts (no such check)" '--only.*conflicts' check --json --only conflicts "${WINDOW[@]}" "$SAMPLE"
t "--only conflicts: the message lists the checks there are" stderr_matches badonly 'conflict.*resource.*buffer'
usage badonly2 "--only conflict,bogus" '--only.*bogus' check --json --only conflict,bogus "${WINDOW[@]}" "$SAMPLE"
usage badskip "--skip bogus" '--skip.*bogus' check --json --skip bogus "${WINDOW[@]}" "$SAMPLE"
usage badopt "unknown option --frobnicate" 'frobnicate' check --json --frobnicate "${WINDOW[@]}" "$SAMPLE"
usage badnow "--now yesterday" '--now.*yesterday' check --json --from 2026-12-07 --to 2026-12-12 --tz Europe/London --now yesterday "$SAMPLE"
usage badcolour "--color=sometimes" '--color|sometimes' check --color=sometimes "${WINDOW[@]}" "$SAMPLE"
usage badmax "--max-size abc" '--max-size.*abc' check --json --max-size abc "${WINDOW[@]}" "$SAMPLE"
usage occbadfrom "occurrences --from 2026-13-45" '--from.*2026-13-45' occurrences --json --from 2026-13-45 --tz Europe/London "$SAMPLE"
usage slotsbadtz "slots --tz Mars/Base" 'Mars/Base' slots --json --duration 45m --from 2026-12-07 --to 2026-12-12 --tz Mars/Base "$SAMPLE"

# No path: the local calendar folder under $XDG_DATA_HOME.
usage nopath "check with no path and no local calendar folder" 'diaryd/calendar' check --json "${WINDOW[@]}"
mkdir -p "$XDG_DATA_HOME/diaryd/calendar"
cp "$SAMPLE"/*.ics "$XDG_DATA_HOME/diaryd/calendar/"
run localdir check --json "${WINDOW[@]}"
t "check with no path reads \$XDG_DATA_HOME/diaryd/calendar" json "$TMP/localdir.out" '
assert d["occurrences"] == 13, d["occurrences"]
one(d, "conflict", "budget-review-q4@example.com", "dentist-dec@example.net")
'
rm -rf "$XDG_DATA_HOME/diaryd"

# ---- what is read -------------------------------------------------------------
mkdir -p "$TMP/named" "$TMP/txtonly"
cp "$SAMPLE/work.ics" "$TMP/named/work-calendar.txt"
cp "$SAMPLE/work.ics" "$TMP/txtonly/work-calendar.txt"
run named check --json "${WINDOW[@]}" "$TMP/named/work-calendar.txt"
t "a file named on the command line is read whatever its name" json "$TMP/named.out" '
one(d, "conflict", "one-to-one-jo@example.com", "contract-signing-northwind@example.com")
'
run txtonly check --json "${WINDOW[@]}" "$TMP/txtonly"
t "in a folder only *.ics files are read: a folder with none exits 2" expect_rc txtonly 2

# ---- --config -----------------------------------------------------------------
# Two meetings at one place with 20 minutes between them: fine with the
# default 10 min buffer, too tight with 45 min.
cat >"$TMP/gap.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//diaryd tests//cli//EN
BEGIN:VEVENT
UID:morning-review@example.com
DTSTAMP:20261101T090000Z
CREATED:20261101T090000Z
DTSTART;TZID=Europe/London:20261208T100000
DTEND;TZID=Europe/London:20261208T110000
SUMMARY:Morning review
LOCATION:Head Office, Room 2
END:VEVENT
BEGIN:VEVENT
UID:team-briefing@example.com
DTSTAMP:20261101T090000Z
CREATED:20261101T090000Z
DTSTART;TZID=Europe/London:20261208T112000
DTEND;TZID=Europe/London:20261208T120000
SUMMARY:Team briefing
LOCATION:Head Office, Room 2
END:VEVENT
END:VCALENDAR
EOF
cat >"$TMP/diaryd.conf" <<'EOF'
# settings for the tests
[agent]
poll = 5m

[check]
buffer = 45m
tz = America/New_York
EOF
NOTZ=(--from 2026-12-07 --to 2026-12-12 --now 2026-12-01T09:00:00Z)
BUFFER_GONE='
assert not find(d, "buffer", "morning-review@example.com", "team-briefing@example.com"), [f["message"] for f in d["findings"]]
'
run plain check --json "${WINDOW[@]}" "$TMP/gap.ics"
t "without --config: exit 0" expect_rc plain 0
t "without --config: 20 min at one place is enough (10 min buffer)" json "$TMP/plain.out" "$BUFFER_GONE"

run conf check --json --config "$TMP/diaryd.conf" "${NOTZ[@]}" "$TMP/gap.ics"
t "--config with [check] buffer = 45m: exit 0 (a buffer finding is a warning)" expect_rc conf 0
t "--config with [check] buffer = 45m: the 20 min gap is a buffer finding (1200 s of 2700 s)" json "$TMP/conf.out" '
f = one(d, "buffer", "morning-review@example.com", "team-briefing@example.com")
assert f["severity"] == "warning", f["severity"]
assert (f["gap_seconds"], f["required_seconds"]) == (1200, 2700), (f["gap_seconds"], f["required_seconds"])
'
t "--config with [check] tz = America/New_York sets the window's zone" json "$TMP/conf.out" '
assert d["window"] == {"from": "2026-12-07T05:00:00Z", "to": "2026-12-12T05:00:00Z", "tz": "America/New_York"}, d["window"]
'
run confflag check --json --config "$TMP/diaryd.conf" --buffer 15m --tz Europe/London "${NOTZ[@]}" "$TMP/gap.ics"
t "--buffer 15m overrides buffer = 45m from --config" json "$TMP/confflag.out" "$BUFFER_GONE"
t "--tz Europe/London overrides tz from --config" json "$TMP/confflag.out" '
assert d["window"]["tz"] == "Europe/London", d["window"]
'
run flagfirst check --json --buffer 15m --config "$TMP/diaryd.conf" "${NOTZ[@]}" "$TMP/gap.ics"
t "a flag overrides --config wherever it stands on the command line" json "$TMP/flagfirst.out" "$BUFFER_GONE"

printf '[check]\nbuffer = soon\n' >"$TMP/badvalue.conf"
usage badconf "--config with buffer = soon" 'badvalue\.conf.*buffer.*soon|buffer.*soon.*badvalue\.conf' check --json --config "$TMP/badvalue.conf" "${WINDOW[@]}" "$SAMPLE"
printf '[check]\nbufer = 45m\n' >"$TMP/badkey.conf"
usage badkey "--config with an unknown key" 'badkey\.conf.*bufer|bufer.*badkey\.conf' check --json --config "$TMP/badkey.conf" "${WINDOW[@]}" "$SAMPLE"
usage noconf "--config naming no file" 'no-such\.conf' check --json --config "$TMP/no-such.conf" "${WINDOW[@]}" "$SAMPLE"

# ---- version and help -----------------------------------------------------------
run version --version
t "--version: exit 0" expect_rc version 0
t "--version: prints 'diaryd' and a version number" stdout_has version '^diaryd [0-9]+\.[0-9]+(\.[0-9]+)?'
run help help
t "help: exit 0" expect_rc help 0
t "help: lists check, slots and occurrences on stdout" \
  bash -c "grep -q '\\bcheck\\b' '$TMP/help.out' && grep -q '\\bslots\\b' '$TMP/help.out' && grep -q '\\boccurrences\\b' '$TMP/help.out'"
run dashhelp --help
t "--help: exit 0, same text as help" bash -c "[ \"\$(cat '$TMP/dashhelp.rc')\" = 0 ] && cmp '$TMP/help.out' '$TMP/dashhelp.out'"
run checkhelp check --help
t "check --help: exit 0" expect_rc checkhelp 0
t "check --help: documents --from, --to, --tz and --json" \
  bash -c "for o in --from --to --tz --json; do grep -q -- \"\$o\" '$TMP/checkhelp.out' || { echo \"no \$o\"; exit 1; }; done"
run slotshelp slots --help-all
t "slots --help-all: exit 0 and documents --duration, --limit, --location" \
  bash -c "[ \"\$(cat '$TMP/slotshelp.rc')\" = 0 ] && for o in --duration --limit --location; do grep -q -- \"\$o\" '$TMP/slotshelp.out' || { echo \"no \$o\"; exit 1; }; done"

finish
