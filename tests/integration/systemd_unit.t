#!/bin/bash
# The systemd user unit (systemd/diaryd.service.in): `make install` writes it
# with the binary's absolute path into $(PREFIX)/lib/systemd/user,
# `systemd-analyze verify` accepts it, `systemd-analyze security` rates its
# sandbox at exposure 2.5 or better, and it keeps the settings the agent and
# the README rely on.  `make uninstall` takes it all away again.
# Needs systemd-analyze (Debian's `systemd` package); nothing is skipped.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2016
. tests/integration/lib.sh
require_basics

if ! ANALYZE=$(command -v systemd-analyze); then
  fail "systemd-analyze is installed" "no systemd-analyze in PATH (apt-get install systemd)"
  finish
fi
if ! command -v make >/dev/null; then
  fail "make is installed" "no make in PATH (apt-get install make)"
  finish
fi
# `systemd-analyze --user` wants a runtime directory, which CI (root, no
# login session) does not have.
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -m 0700 "$XDG_RUNTIME_DIR"
# The build directory that holds $DIARYD, so `make install` installs that
# binary and finds it up to date.
if [ -n "${BUILD:-}" ] && [ "$BUILD/diaryd" -ef "$DIARYD" ]; then
  BUILD_DIR=$BUILD
else
  BUILD_DIR=$(dirname "$DIARYD")
fi

# install NAME MAKE-ARGS...: `make install` (or another target given in
# MAKE-ARGS); output in $TMP/NAME.make.
install_run() {
  local name=$1
  shift
  make -s --no-print-directory BUILD="$BUILD_DIR" "$@" >"$TMP/$name.make" 2>&1 && return 0
  echo "make $* failed:"
  cat "$TMP/$name.make"
  return 1
}

# has FILE LINE: FILE holds LINE exactly (a directive with its value).
has() {
  grep -qxF -- "$2" "$1" && return 0
  local key=${2%%=*}
  echo "no line '$2' in $1; the $key= lines:"
  grep -E "^$key=" "$1" || echo "(none)"
  return 1
}
# lacks FILE ERE: no line of FILE matches ERE.
lacks() {
  grep -Eq -- "$2" "$1" || return 0
  echo "$1 has a line matching /$2/:"
  grep -E -- "$2" "$1"
  return 1
}

# verify FILE: `systemd-analyze --user verify` exits 0 and prints nothing
# (it prints its warnings but may still exit 0).
verify() {
  local out rc
  out=$("$ANALYZE" --user verify "$1" 2>&1)
  rc=$?
  [ "$rc" -eq 0 ] && [ -z "$out" ] && return 0
  echo "systemd-analyze --user verify $1 (exit $rc):"
  echo "$out"
  return 1
}
# verify_fails FILE ERE: verify refuses FILE with a message matching ERE.
verify_fails() {
  local out
  if out=$("$ANALYZE" --user verify "$1" 2>&1); then
    echo "systemd-analyze --user verify accepted $1:"
    echo "$out"
    return 1
  fi
  grep -Eq -- "$2" <<<"$out" && return 0
  echo "verify refused $1 but no message matches /$2/:"
  echo "$out"
  return 1
}

# security FILE: the offline security analysis passes --threshold=25 (an
# exposure of 2.5 out of 10); the figure goes to $TMP/exposure.
security() {
  local out rc
  out=$("$ANALYZE" --user security --offline=true --threshold=25 "$1" 2>&1)
  rc=$?
  grep -o 'Overall exposure level for [^:]*: [0-9.]*' <<<"$out" | awk '{print $NF}' >"$TMP/exposure"
  [ "$rc" -eq 0 ] && [ -s "$TMP/exposure" ] && return 0
  echo "systemd-analyze --user security --offline=true --threshold=25 $1 (exit $rc):"
  echo "$out"
  return 1
}

# ---- make install with DESTDIR -----------------------------------------------------
DEST=$TMP/dest
t "make install DESTDIR=... PREFIX=/usr" install_run dest install DESTDIR="$DEST" PREFIX=/usr
UNIT=$DEST/usr/lib/systemd/user/diaryd.service
t "the unit is installed in \$(PREFIX)/lib/systemd/user" test -f "$UNIT"
t "the binary is installed in \$(PREFIX)/bin" cmp "$DIARYD" "$DEST/usr/bin/diaryd"
t "the binary is executable" test -x "$DEST/usr/bin/diaryd"
t "the example config is installed" test -f "$DEST/usr/share/diaryd/diaryd.conf.example"
t "the README the unit points to is installed" cmp README.md "$DEST/usr/share/doc/diaryd/README.md"
t "ExecStart= runs the installed binary by its absolute path" has "$UNIT" 'ExecStart=/usr/bin/diaryd run'
t "Documentation= points to the installed README" has "$UNIT" 'Documentation=file:/usr/share/doc/diaryd/README.md'
t "no @PLACEHOLDER@ is left" lacks "$UNIT" '@[A-Z]+@'
t "the installed unit is the one make generated" cmp "$UNIT" "$BUILD_DIR/diaryd.service"

# ---- what the agent and the README rely on -------------------------------------------
t "Type=notify (the agent sends READY=1)" has "$UNIT" 'Type=notify'
t "NotifyAccess=main (sync children cannot report)" has "$UNIT" 'NotifyAccess=main'
t "WatchdogSec=10min (the agent pings at half)" has "$UNIT" 'WatchdogSec=10min'
t "PartOf=graphical-session.target" has "$UNIT" 'PartOf=graphical-session.target'
t "After=graphical-session.target" has "$UNIT" 'After=graphical-session.target'
t "WantedBy=default.target" has "$UNIT" 'WantedBy=default.target'
t "Restart=on-failure" has "$UNIT" 'Restart=on-failure'
t "RestartSec= is set" grep -Eq '^RestartSec=[1-9]' "$UNIT"
t "TimeoutStopSec= is short" grep -Eq '^TimeoutStopSec=([1-9]|[1-2][0-9]|30)s$' "$UNIT"
t "reload sends SIGHUP to the agent" has "$UNIT" 'ExecReload=/bin/kill -HUP $MAINPID'
t "LimitCORE=0 (no core dumps holding secrets)" has "$UNIT" 'LimitCORE=0'
t "UMask=0077" has "$UNIT" 'UMask=0077'
t "PrivateUsers=yes (without it a user unit skips the sandbox)" has "$UNIT" 'PrivateUsers=yes'
t "ProtectHome=read-only (=yes would hide the session bus)" has "$UNIT" 'ProtectHome=read-only'
t "ProtectSystem=strict" has "$UNIT" 'ProtectSystem=strict'
t "the store and the cache are writable" has "$UNIT" 'ReadWritePaths=%h/.local/state/diaryd %C/diaryd'
t "the store folder is made before the sandbox" has "$UNIT" \
  'ExecStartPre=+/bin/mkdir -p -m 0700 %h/.local/state/diaryd %h/.local/share/diaryd/calendar'
t "the cache folder is made before the sandbox" has "$UNIT" 'CacheDirectory=diaryd'
# systemd 252 puts a user unit's StateDirectory= and %S in ~/.config.
t "no StateDirectory= and no %S (they mean ~/.config in systemd 252)" lacks "$UNIT" '^StateDirectory=|^[A-Za-z]+=.*%S'
# With PrivateUsers=yes, PrivateIPC=yes makes ExecReload= fail (226/NAMESPACE).
t "no PrivateIPC=yes (it breaks reload in a user unit)" lacks "$UNIT" '^PrivateIPC=(yes|true|1|on)'
t "MemoryDenyWriteExecute=yes" has "$UNIT" 'MemoryDenyWriteExecute=yes'
t "NoNewPrivileges=yes" has "$UNIT" 'NoNewPrivileges=yes'
t "no capabilities" has "$UNIT" 'CapabilityBoundingSet='
t "only local and Internet sockets" has "$UNIT" 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'
t "a system call allow list" has "$UNIT" 'SystemCallFilter=@system-service'

# ---- systemd-analyze -----------------------------------------------------------------
# verify checks that ExecStart='s binary exists, so it reads a unit installed
# for real, in a prefix under $TMP (no DESTDIR).
PREFIX_DIR=$TMP/prefix
t "make install PREFIX=\$TMP/prefix" install_run real install PREFIX="$PREFIX_DIR"
REAL=$PREFIX_DIR/lib/systemd/user/diaryd.service
t "a new PREFIX regenerates the unit" has "$REAL" "ExecStart=$PREFIX_DIR/bin/diaryd run"
t "systemd-analyze --user verify accepts the installed unit" verify "$REAL"
# The same check sees a missing binary, so the pass above means something.
mkdir -p "$TMP/missing"
sed "s|^ExecStart=.*|ExecStart=$TMP/missing/bin/diaryd run|" "$REAL" >"$TMP/missing/diaryd.service"
t "systemd-analyze --user verify refuses a unit whose binary is missing" \
  verify_fails "$TMP/missing/diaryd.service" "$TMP/missing/bin/diaryd"

t "systemd-analyze --user security: exposure 2.5 or better" security "$REAL"
if [ -s "$TMP/exposure" ]; then
  diag "systemd-analyze --user security --offline=true: exposure $(cat "$TMP/exposure") (of 10)"
fi
# The threshold works: the same service without its sandbox fails it.
mkdir -p "$TMP/bare"
printf '[Unit]\nDescription=diaryd without a sandbox\n[Service]\nType=notify\nExecStart=%s run\n' \
  "$PREFIX_DIR/bin/diaryd" >"$TMP/bare/diaryd.service"
t "systemd-analyze --user security refuses the unit without its sandbox" \
  bash -c '! "$0" --user security --offline=true --threshold=25 "$1" >/dev/null 2>&1' "$ANALYZE" "$TMP/bare/diaryd.service"

# ---- make uninstall ------------------------------------------------------------------
t "make uninstall DESTDIR=... PREFIX=/usr" install_run undest uninstall DESTDIR="$DEST" PREFIX=/usr
t "make uninstall leaves no file behind" bash -c 'left=$(find "$0" -type f); [ -z "$left" ] || { echo "left: $left"; exit 1; }' "$DEST"

finish
