#!/bin/bash
# Cross-check diaryd against an independent implementation (Python
# recurring_ical_events) on random calendars: occurrences and conflicts
# must agree exactly.  Run from the repository root.
DIARYD=${DIARYD:-./build/diaryd}
PY=${CROSSCHECK_PYTHON:-/usr/bin/python3}
DIR=tests/crosscheck
FROM=2026-01-01
TO=2027-01-01
SEEDS=$(seq 1 20)

zone_for() {
  case $1 in
    4|11) echo America/New_York ;;
    7|15) echo Australia/Lord_Howe ;;
    *) echo Europe/London ;;
  esac
}

echo "1..20"

problem=
if ! "$PY" -c 'import icalendar, recurring_ical_events' 2>/dev/null; then
  problem="$PY cannot import icalendar and recurring_ical_events (apt-get install python3-icalendar python3-recurring-ical-events)"
elif [ ! -x "$DIARYD" ]; then
  problem="no diaryd binary at $DIARYD"
fi
if [ -n "$problem" ]; then
  for seed in $SEEDS; do
    echo "not ok $seed - seed $seed: $problem"
  done
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Keep diaryd away from the user's own configuration and state.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state

# Prints why seed $1 fails (nothing when it passes); details go to $d/err.
run_seed() {
  local seed=$1 tz=$2 d=$3 rc
  local args=(--from "$FROM" --to "$TO" --tz "$tz")
  "$PY" "$DIR/gen.py" "$seed" "$d/cal" 2>"$d/err" || { echo "gen.py failed"; return; }
  "$PY" "$DIR/reference.py" "${args[@]}" "$d"/cal/*.ics >"$d/ref.json" 2>"$d/err" ||
    { echo "reference.py failed"; return; }
  "$DIARYD" occurrences --json "${args[@]}" "$d"/cal/*.ics >"$d/occ.json" 2>"$d/err"
  rc=$?
  [ "$rc" -eq 0 ] || { echo "diaryd occurrences exited $rc"; return; }
  "$DIARYD" check --json "${args[@]}" --only conflict "$d"/cal/*.ics >"$d/check.json" 2>"$d/err"
  rc=$?
  # 0: no findings, 1: findings; anything else is a failure.
  [ "$rc" -le 1 ] || { echo "diaryd check exited $rc"; return; }
  "$PY" "$DIR/compare.py" "$d/ref.json" "$d/occ.json" "$d/check.json" >"$d/err" 2>&1 ||
    echo "differs from the reference"
}

failed=0
for seed in $SEEDS; do
  tz=$(zone_for "$seed")
  d=$tmp/$seed
  mkdir -p "$d/cal"
  why=$(run_seed "$seed" "$tz" "$d")
  if [ -z "$why" ]; then
    echo "ok $seed - seed $seed ($tz): $(tail -n 1 "$d/err")"
  else
    echo "not ok $seed - seed $seed ($tz): $why"
    w="--from $FROM --to $TO --tz $tz"
    echo "# reproduce: $PY $DIR/gen.py $seed OUT; $PY $DIR/reference.py $w OUT/*.ics >ref.json;"
    echo "#   $DIARYD occurrences --json $w OUT/*.ics >occ.json;"
    echo "#   $DIARYD check --json $w --only conflict OUT/*.ics >check.json;"
    echo "#   $PY $DIR/compare.py ref.json occ.json check.json"
    head -n 30 "$d/err" | sed 's/^/# /'
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ]
