# Helpers for the end-to-end tests in tests/integration/*.t.
#
# Source it from a test run at the repository root:
#   . tests/integration/lib.sh
# then call pass/fail/t/json, and end with `finish`, which prints the TAP
# plan and exits non-zero if any test failed.  Nothing is ever skipped: a
# missing binary or tool is a failure.
#
# Its variables are used by the test files that source it.
# shellcheck disable=SC2034
set -u

DIARYD=${DIARYD:-./build/diaryd}
PY=/usr/bin/python3
SAMPLE=tests/data/sample-diary
BAD=tests/data/bad
# The sample week: Monday 7 to Friday 11 December 2026, London (UTC+0 then).
WINDOW=(--from 2026-12-07 --to 2026-12-12 --tz Europe/London --now 2026-12-01T09:00:00Z)
# Seconds one diaryd run may take before `timeout` stops it.
RUN_TIMEOUT=${RUN_TIMEOUT:-20}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/diaryd-test.XXXXXX") || {
  echo "not ok 1 - cannot create a temporary directory"
  echo "1..1"
  exit 1
}
# at_exit COMMAND: runs COMMAND (a string for eval) when the test ends, the
# last registered first, before $TMP is removed (servers.sh stops its
# servers this way).
_at_exit=()
at_exit() { _at_exit+=("$1"); }
_on_exit() {
  local i
  for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do eval "${_at_exit[i]}" || true; done
  if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap _on_exit EXIT
# Interrupted (prove ^C, a CI timeout): still clean up.
trap 'exit 130' INT
trap 'exit 143' TERM HUP
: >"$TMP/.start"
# Keep diaryd away from the user's own configuration and calendars.
export XDG_CONFIG_HOME=$TMP/xdg/config XDG_DATA_HOME=$TMP/xdg/data XDG_CACHE_HOME=$TMP/xdg/cache \
  XDG_STATE_HOME=$TMP/xdg/state
unset NO_COLOR
export LC_ALL=C.UTF-8

_tests=0
_failed=0

# diag TEXT...: a TAP comment on stderr (prove shows it).
diag() {
  local line
  printf '%s\n' "$@" | while IFS= read -r line; do printf '# %s\n' "$line" >&2; done
}

pass() {
  _tests=$((_tests + 1))
  echo "ok $_tests - $1"
}

# fail DESC [DETAIL...]
fail() {
  _tests=$((_tests + 1))
  _failed=$((_failed + 1))
  echo "not ok $_tests - $1"
  shift
  [ $# -eq 0 ] || diag "$@"
}

# t DESC COMMAND...: one test that passes when COMMAND succeeds.  What the
# command prints goes to the diagnostics when it fails.
t() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then
    pass "$desc"
  else
    fail "$desc" "${out:-(command failed: $*)}"
  fi
}

# json FILE CODE: runs Python CODE with `d` bound to the JSON document in FILE
# (read as strict UTF-8).  CODE uses assert; a failed assert, bad JSON or any
# exception makes json return 1 and print why.  The helpers below are in scope.
json() {
  local file=$1 code=$2
  "$PY" - "$file" "$code" <<'PYEOF'
import json, re, sys, datetime
from zoneinfo import ZoneInfo
sys.path.insert(0, "tests/tools")
from assertions import reported

LONDON = ZoneInfo("Europe/London")

def utc(text):
    """'2026-12-08T14:00:00Z' -> aware datetime."""
    assert isinstance(text, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), \
        "not a UTC instant: %r" % (text,)
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)

def london(text):
    return utc(text).astimezone(LONDON)

def uids(finding):
    return [o["uid"] for o in finding["occurrences"]]

def find(d, check, *want_uids):
    """The findings of a check that involve exactly these uids (any order)."""
    return [f for f in d["findings"] if f["check"] == check and sorted(uids(f)) == sorted(want_uids)]

def one(d, check, *want_uids):
    got = find(d, check, *want_uids)
    if len(got) != 1:
        import collections
        seen = collections.Counter("%s %s" % (f["check"], " + ".join(uids(f))) for f in d["findings"])
        listing = "; ".join("%s (x%d)" % kv if kv[1] > 1 else kv[0] for kv in list(seen.items())[:12])
        if len(seen) > 12:
            listing += "; ..."
        raise AssertionError("expected one %s finding for %s, got %d; the %d findings: %s" % (
            check, " + ".join(want_uids), len(got), len(d["findings"]), listing))
    return got[0]

path, code = sys.argv[1], sys.argv[2]
with reported(code):
    with open(path, encoding="utf-8", errors="strict") as fh:
        text = fh.read()
    try:
        d = json.loads(text)
    except ValueError as e:
        print("not valid JSON (%s): %s" % (e, text[:400]))
        sys.exit(1)
    exec(compile(code, "<assertions>", "exec"))
PYEOF
}

# run NAME ARGS...: runs "$DIARYD" ARGS under timeout; leaves $TMP/NAME.out,
# .err, .rc and .secs (wall-clock seconds, 2 decimals).
run() {
  local name=$1 start end rc
  shift
  start=$(date +%s%N)
  timeout "$RUN_TIMEOUT" "$DIARYD" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  rc=$?
  end=$(date +%s%N)
  echo "$rc" >"$TMP/$name.rc"
  echo $(( (end - start) / 1000000 )) | awk '{printf "%.2f\n", $1 / 1000}' >"$TMP/$name.secs"
  return 0
}

rc_of() { cat "$TMP/$1.rc"; }
secs_of() { cat "$TMP/$1.secs"; }

# expect_rc NAME WANT...: the run exited with one of WANT.
expect_rc() {
  local name=$1 got
  shift
  got=$(rc_of "$name")
  for want in "$@"; do
    [ "$got" = "$want" ] && return 0
  done
  echo "exit status $got, expected ${*// / or }"
  [ "$got" = 124 ] && echo "(timeout: still running after ${RUN_TIMEOUT}s)"
  echo "stderr:"
  head -c 1500 "$TMP/$name.err"
  return 1
}

# no_crash NAME: exit status 0, 1 or 2 and no sign of a crash on stderr.
no_crash() {
  local name=$1
  expect_rc "$name" 0 1 2 || return 1
  if grep -Eiq 'segmentation|core dumped|sanitizer|assertion .*failed|CRITICAL|\*\*\* |double free|Aborted' "$TMP/$name.err"; then
    echo "stderr shows a crash:"
    head -c 1500 "$TMP/$name.err"
    return 1
  fi
  if [ -n "$(find . "$TMP" -maxdepth 1 -name 'core*' -type f -newer "$TMP/.start" 2>/dev/null)" ]; then
    echo "a core file was written"
    return 1
  fi
  return 0
}

# within NAME SECONDS
# The limit is multiplied by DIARYD_TEST_TIME_SCALE (default 1): `make
# check-asan` sets it, as sanitizer builds run several times slower.
within() {
  local s lim
  s=$(secs_of "$1")
  lim=$(awk -v l="$2" -v k="${DIARYD_TEST_TIME_SCALE:-1}" 'BEGIN { print l * k }')
  awk -v s="$s" -v lim="$lim" 'BEGIN { exit !(s <= lim) }' || { echo "took ${s}s (limit ${lim}s)"; return 1; }
}

# stderr_has NAME ERE: some stderr line matches.
stderr_has() {
  grep -Eq -- "$2" "$TMP/$1.err" || { echo "no stderr line matches /$2/; stderr was:"; cat "$TMP/$1.err"; return 1; }
}

# stdout_has NAME ERE
stdout_has() {
  grep -Eq -- "$2" "$TMP/$1.out" || { echo "no stdout line matches /$2/; stdout began:"; head -c 1500 "$TMP/$1.out"; return 1; }
}

# line_naming NAME TEXT ERE: some stderr line containing TEXT (fixed string)
# also matches ERE (case-insensitive).
line_naming() {
  grep -F -- "$2" "$TMP/$1.err" | grep -Eiq -- "$3" && return 0
  echo "no stderr line naming $2 matches /$3/; stderr:"
  head -c 2000 "$TMP/$1.err"
  return 1
}

# lines_naming NAME TEXT: how many stderr lines contain TEXT (fixed string).
lines_naming() { grep -cF -- "$2" "$TMP/$1.err"; }

ESC=$'\x1b'
# has_escapes FILE: FILE holds ANSI escape sequences (colour).
has_escapes() {
  grep -q "$ESC\[" "$1" && return 0
  echo "no escape sequence in $1:"
  head -3 "$1" | cat -v
  return 1
}
# no_escapes FILE TEXT: FILE holds TEXT and no escape character.
no_escapes() {
  grep -qF -- "$2" "$1" || { echo "no '$2' in $1:"; head -3 "$1" | cat -v; return 1; }
  grep -q "$ESC" "$1" || return 0
  echo "escape characters in $1:"
  grep -m3 "$ESC" "$1" | cat -v
  return 1
}

# setup DESC COMMAND...: runs COMMAND in this shell (so the variables it sets
# stay, and the servers it starts are stopped at exit -- never start one
# through t(), which runs its command in a subshell).  One passing test when
# it succeeds; otherwise a failing one with what it printed, and the test
# file ends there, since nothing after it could run.
setup() {
  local desc=$1
  shift
  if "$@" >"$TMP/setup.out" 2>&1; then
    pass "$desc"
  else
    fail "$desc" "$(cat "$TMP/setup.out")"
    finish
  fi
}

# stop_pid PID: TERM, then KILL after 5 s; reaps it.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# Stops the test file early when the basics are missing.
require_basics() {
  local problem=
  if [ ! -x "$PY" ]; then
    problem="$PY is missing (apt-get install python3)"
  elif ! "$PY" -c 'import zoneinfo; zoneinfo.ZoneInfo("Europe/London")' 2>/dev/null; then
    problem="$PY cannot load the Europe/London zone (apt-get install tzdata)"
  elif [ ! -x "$DIARYD" ]; then
    problem="no diaryd binary at $DIARYD (run make)"
  elif [ ! -d "$SAMPLE" ]; then
    problem="no sample diary at $SAMPLE (run the tests from the repository root)"
  elif ! command -v timeout >/dev/null; then
    problem="timeout(1) is missing (coreutils)"
  fi
  if [ -n "$problem" ]; then
    fail "test prerequisites" "$problem"
    finish
  fi
}

finish() {
  echo "1..$_tests"
  [ "$_failed" -eq 0 ] || diag "$_failed of $_tests failed"
  [ "$_failed" -eq 0 ]
  exit $?
}
