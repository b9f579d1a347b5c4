# An SMTP server for the mail tests: tests/tools/smtpd.py (aiosmtpd) on
# 127.0.0.1, on a port the system picks, stopped when the test ends
# (lib.sh's at_exit).  Source it after lib.sh.
#
#   require_mail [msmtp]       fails the test file early (never skips) when
#                              /usr/bin/python3 lacks aiosmtpd or trustme,
#                              or a named tool is missing
#   smtpd_start [OPTION...]    starts a server; OPTIONs are smtpd.py's
#                              (--smtps, --auth USER:PASS, --no-starttls).
#                              It always makes a test CA (--tls-dir), so
#                              STARTTLS is required unless --smtps or
#                              --no-starttls says otherwise.  Sets
#                              SMTPD_PORT, SMTPD_SPOOL (NNNN.eml + NNNN.json
#                              per message), SMTPD_CA (the CA's PEM file, for
#                              ca_file), SMTPD_SCRIPT, SMTPD_LOG, SMTPD_PID.
#                              A server already running is stopped first:
#                              one at a time, each with a fresh spool.
#   smtpd_count                how many messages the spool holds now
#   smtpd_script JSON          what the server does from its next command on
#                              (smtpd.py --script: mail, rcpt, data,
#                              drop_after_data, auth); '{}' for normal
#   mails FROM                 the stored messages from number FROM on, read as a
#                              mail client would, as JSON in $TMP/mails.json
#   smtpd_stop                 stops it (the spool and SMTPD_PORT stay, so a
#                              test can see what "server down" does)
#
# Every helper that can fail prints why on stdout and returns non-zero.
# Its variables are used by the test files that source it.
# shellcheck disable=SC2034
SMTPD=tests/tools/smtpd.py
SMTPD_PORT=
SMTPD_SPOOL=
SMTPD_CA=
SMTPD_SCRIPT=
SMTPD_LOG=
SMTPD_PID=
_smtpd_n=0
# Seconds the server may take to listen.
SMTPD_START_TIMEOUT=${SMTPD_START_TIMEOUT:-30}

# Loopback only: libcurl would take a proxy from all_proxy for SMTP too.
unset all_proxy ALL_PROXY http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

require_mail() {
  local problem='' what
  if [ ! -f "$SMTPD" ]; then
    problem="$SMTPD is missing (run the tests from the repository root)"
  elif ! "$PY" -c 'import aiosmtpd.smtp' 2>/dev/null; then
    problem="$PY cannot import aiosmtpd (apt-get install python3-aiosmtpd)"
  elif ! "$PY" -c 'import trustme' 2>/dev/null; then
    problem="$PY cannot import trustme (apt-get install python3-trustme)"
  fi
  for what in "$@"; do
    [ -n "$problem" ] && break
    command -v "$what" >/dev/null || problem="$what is missing (apt-get install $what)"
  done
  if [ -n "$problem" ]; then
    fail "test prerequisites" "$problem"
    finish
  fi
}

smtpd_start() {
  local dir deadline
  if [ "$BASH_SUBSHELL" -ne 0 ]; then
    echo "smtpd_start was called in a subshell (through t or \$(...)): call it directly or through setup"
    return 1
  fi
  smtpd_stop
  _smtpd_n=$((_smtpd_n + 1))
  dir=$TMP/smtpd.$_smtpd_n
  mkdir -p "$dir/spool" "$dir/tls" || return 1
  SMTPD_SPOOL=$dir/spool
  SMTPD_CA=$dir/tls/ca.pem
  SMTPD_SCRIPT=$dir/script.json
  SMTPD_LOG=$dir/log
  echo '{}' >"$SMTPD_SCRIPT"
  "$PY" "$SMTPD" --port-file "$dir/port" --spool "$SMTPD_SPOOL" --tls-dir "$dir/tls" --script "$SMTPD_SCRIPT" \
    "$@" >"$SMTPD_LOG" 2>&1 &
  SMTPD_PID=$!
  at_exit "stop_pid $SMTPD_PID"
  deadline=$(($(date +%s) + SMTPD_START_TIMEOUT))
  while [ ! -s "$dir/port" ]; do
    if ! kill -0 "$SMTPD_PID" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "the SMTP server did not start ($SMTPD $*); its log:"
      cat "$SMTPD_LOG"
      SMTPD_PID=
      return 1
    fi
    sleep 0.05
  done
  SMTPD_PORT=$(cat "$dir/port")
  [ -s "$SMTPD_CA" ] || { echo "no $SMTPD_CA"; return 1; }
}

smtpd_count() {
  local n=0 f
  for f in "$SMTPD_SPOOL"/*.json; do
    [ -f "$f" ] && n=$((n + 1))
  done
  echo "$n"
}

# Written to a temporary name and renamed: the server reads it at every
# command and must never see half of it.
smtpd_script() {
  printf '%s\n' "$1" >"$SMTPD_SCRIPT.tmp" && mv -f "$SMTPD_SCRIPT.tmp" "$SMTPD_SCRIPT"
}

smtpd_stop() {
  [ -n "$SMTPD_PID" ] && stop_pid "$SMTPD_PID"
  SMTPD_PID=
  return 0
}

# mails FROM: the messages the server stored from number FROM on, as a mail
# client reads them (tests/tools/mailcheck.py), as JSON in $TMP/mails.json.
mails() { "$PY" tests/tools/mailcheck.py "$SMTPD_SPOOL" "${1:-0}" >"$TMP/mails.json"; }
