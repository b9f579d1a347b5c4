#!/bin/bash
# Canaries: distinctive secrets that must never leave the places they are
# meant to be (the password_command's output, the 0600 config, the 0600
# token file, the request to the server).  Three accounts in one config:
#   sam  (Radicale): password_command, a script that reads a file
#   kim  (Radicale): password = ... in the 0600 config
#   goog (tests/tools/responder.py as Google): oauth2, a token file whose
#        access token has expired, so the refresh token is sent
# Then every command that reads the config, with every debug knob there is
# (sync and discover --verbose, G_MESSAGES_DEBUG=all), and the agent with
# its children; then the same with the server refusing (401: wrong
# passwords, every bearer token refused).  None of the canaries may appear in:
#   - the stdout or stderr of any command, nor the agent's log;
#   - the SQLite store (with its -wal and -shm), nor anything else diaryd
#     keeps under $XDG_*_HOME, but the token file itself;
#   - the argv and environment of any diaryd process: those the agent
#     starts (recorded by a wrapper it starts instead, DIARYD_BINARY), those
#     a /proc poller sees running, and the parent and environment of each
#     password_command (recorded by the command itself).
# And: every diaryd command runs without core files (RLIMIT_CORE 0, hard)
# and not dumpable, so another process of the same user can neither read
# its /proc/PID/environ nor attach to it; a shell in the same place can.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119,SC2034
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/agent.sh
require_basics
require_servers radicale

# ---- the canaries ---------------------------------------------------------------------------------
PWC=Canary-pwcmd-7f3e9a1c     # sam's password, printed by the password_command
PWF=Canary-pwfile-2b8c4d6e    # kim's password, in the config
PWC_BAD=Canary-wrongcmd-5f6a0b  # wrong ones, for the 401s
PWF_BAD=Canary-wrongfile-7b8c1d
AT1=Canary-at1-4a5b6c7d RT1=Canary-rt1-8d9e0f1a
AT2=Canary-at2-1a2b3c4d RT2=Canary-rt2-4d5e6f7a
AT3=Canary-at3-7a8b9c0d RT3=Canary-rt3-0d1e2f3a
CSECRET=Canary-csecret-3c4d5e6f
ALL=("$PWC" "$PWF" "$PWC_BAD" "$PWF_BAD" "$AT1" "$RT1" "$AT2" "$RT2" "$AT3" "$RT3" "$CSECRET")
for pair in "sam:$PWC" "kim:$PWF" "sam:$PWC_BAD" "kim:$PWF_BAD"; do
  ALL+=("$(printf '%s' "$pair" | base64)")
done
printf '%s\n' "${ALL[@]}" >"$TMP/canaries"

# leaks FILE...: no canary in any of the files (binary ones too); prints
# which file holds which when one does.  A script, so that bash -c can run it.
LEAKS=$TMP/leaks
cat >"$LEAKS" <<EOF
#!/bin/bash
found=0
for f in "\$@"; do
  [ -e "\$f" ] || continue
  if grep -aqF -f '$TMP/canaries' "\$f"; then
    echo "\$f holds: \$(grep -aoF -f '$TMP/canaries' "\$f" | sort -u | tr '\\n' ' ')"
    found=1
  fi
done
exit \$found
EOF
chmod 755 "$LEAKS"
leaks() { "$LEAKS" "$@"; }

# ---- servers ----------------------------------------------------------------------------------------
setup "Radicale starts (users sam and kim)" start_radicale sam "$PWC" kim "$PWF"
setup "a calendar for sam" dav_mkcalendar "${RADICALE_URL}sam/diary/" Diary
DAV_AUTH=kim:$PWF
setup "a calendar for kim" dav_mkcalendar "${RADICALE_URL}kim/diary/" Diary
DAV_AUTH=sam:$PWC
DAY=$(date -u -d '+2 days' +%Y%m%d)
setup "an event for sam" dav_put "${RADICALE_URL}sam/diary/a.ics" \
  "$(ics_event a@example.com "${DAY}T100000Z" "${DAY}T110000Z" "Budget review")"

setup "responder G (Google) starts" start_responder G
WORK_DIR=$TMP/srv/work
PERSONAL_DIR=$TMP/srv/personal
gen_events "$WORK_DIR" 3 work
gen_events "$PERSONAL_DIR" 2 personal
# g_script ACCEPT: G's token endpoint (RT1 -> AT2/RT2, RT2 -> AT3/RT3, RT3 ->
# AT3) and CalDAV that takes the bearer tokens when ACCEPT is 1, else
# answers 401 to every request.
g_script() {
  "$PY" - "$PWD/$CALDAV_DATA/discovery.json" "$WORK_DIR" "$PERSONAL_DIR" "$1" \
    "$AT2" "$AT3" "$RT1" "$RT2" "$RT3" <<'PYEOF' | responder_script G
import json, sys
discovery, work, personal, accept, at2, at3, rt1, rt2, rt3 = sys.argv[1:10]
def tokens(access, refresh):
    return {"headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                                "refresh_token": refresh})}
def refresh(rt, answer):
    return dict({"match": {"method": "POST", "path": "/token",
                           "body_contains": ["grant_type=refresh_token", "refresh_token=" + rt]}}, **answer)
rules = [refresh(rt1, tokens(at2, rt2)), refresh(rt2, tokens(at3, rt3)), refresh(rt3, tokens(at3, rt3)),
         {"match": {"method": "POST", "path": "/token"}, "status": 400,
          "headers": {"Content-Type": "application/json"}, "body": json.dumps({"error": "invalid_grant"})}]
unauthorised = {"status": 401, "headers": {"WWW-Authenticate": 'Bearer realm="dav", error="invalid_token"'}}
if accept == "1":
    rules.append(dict({"match": {"header": {"Authorization": "^(?!Bearer (%s|%s)$)" % (at2, at3)}}}, **unauthorised))
    rules.append(dict({"match": {"header_absent": ["Authorization"]}}, **unauthorised))
else:
    rules.append(dict({"match": {}}, **unauthorised))
print(json.dumps({"include": [discovery], "rules": rules,
                  "vars": {"WORK_DIR": work, "PERSONAL_DIR": personal, "WORK_TOKEN": "g-1", "PERSONAL_TOKEN": "g-2"}}))
PYEOF
}
setup "G takes the refreshed tokens" g_script 1

# ---- the config, the password_command, the token file ------------------------------------------------
PROBE_LOG=$TMP/probe.log
printf '%s\n' "$PWC" >"$TMP/pw-sam" # one newline: removed
chmod 600 "$TMP/pw-sam"
# The password_command: records its parent (the diaryd that runs it) and
# itself, then prints the password.  The password is in a file, not in its
# argv, which diaryd puts in messages.
cat >"$TMP/pwcmd" <<EOF
#!/bin/bash
{
  echo "---- pid \$\$ parent \$PPID"
  printf 'PARENT_EXE %s\n' "\$(readlink /proc/\$PPID/exe 2>&1)"
  printf 'PARENT_CMDLINE %s\n' "\$(tr '\\0' ' ' </proc/\$PPID/cmdline 2>&1)"
  printf 'PARENT_ENVIRON %s\n' "\$( (tr '\\0' ' ' </proc/\$PPID/environ) 2>&1)"
  printf 'PARENT_CORE %s\n' "\$(grep 'Max core file size' /proc/\$PPID/limits 2>&1)"
  printf 'SELF_CMDLINE %s\n' "\$(tr '\\0' ' ' </proc/\$\$/cmdline)"
  printf 'SELF_ENVIRON %s\n' "\$(tr '\\0' ' ' </proc/\$\$/environ)"
} >>'$PROBE_LOG' 2>&1
cat '$TMP/pw-sam'
EOF
chmod 755 "$TMP/pwcmd"

TOKDIR=$XDG_STATE_HOME/diaryd/oauth
TOKFILE=$TOKDIR/goog.json
mkdir -p "$TOKDIR" && chmod 700 "$XDG_STATE_HOME/diaryd" "$TOKDIR"
(umask 077 && printf '{"refresh_token": "%s", "access_token": "%s", "expires_at": %s, "token_url": "%s"}\n' \
  "$RT1" "$AT1" "$(($(date +%s) - 100))" "$G_URL/token" >"$TOKFILE")

CONF=$XDG_CONFIG_HOME/diaryd/config
# conf KIM_PASSWORD: the config, at the default path, mode 0600.
conf() {
  write_config <<EOF
[account sam]
url = $RADICALE_URL
username = sam
password_command = $TMP/pwcmd

[account kim]
url = $RADICALE_URL
username = kim
password = $1

[account goog]
url = $G_URL/
auth = oauth2
client_id = diaryd-test-client
client_secret = $CSECRET
auth_url = $G_URL/authorize
token_url = $G_URL/token

[agent]
sync_interval = 10m
review = off
EOF
}
conf "$PWF"
t "the config is 0600 and holds kim's password" bash -c "[ \"\$(stat -c %a '$CONF')\" = 600 ] && grep -qF -- '$PWF' '$CONF'"

# ---- what sees the processes -------------------------------------------------------------------------
REAL=$(readlink -f "$DIARYD")
AGENT_BIN=$(dirname "$REAL")/diaryd-agent
# Every diaryd process seen running: its pid, argv and environment (root
# reads the environment of a process that is not dumpable; anyone else
# gets only argv, and the wrapper below still shows what the agent passes).
"$PY" - "$TMP/procs.log" "$TMP/procs.stop" "$REAL" "$AGENT_BIN" <<'PYEOF' &
import os, sys, time
out, stop, bins = sys.argv[1], sys.argv[2], set(sys.argv[3:])
seen = set()
with open(out, "ab") as f:
    while not os.path.exists(stop):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/exe" % pid) not in bins:
                    continue
                cmd = open("/proc/%s/cmdline" % pid, "rb").read()
            except OSError:
                continue
            try:
                env = open("/proc/%s/environ" % pid, "rb").read()
            except OSError as e:
                env = b"(unreadable: %s)" % e.strerror.encode()
            if (pid, cmd, env) in seen:
                continue
            seen.add((pid, cmd, env))
            f.write(b"PID %s\nCMDLINE %s\nENVIRON %s\n" % (pid.encode(), cmd.replace(b"\0", b" "), env.replace(b"\0", b" ")))
            f.flush()
        time.sleep(0.005)
PYEOF
POLLER=$!
at_exit "touch '$TMP/procs.stop'; stop_pid $POLLER"

# The agent's children: this wrapper records its argv and environment,
# then runs the real diaryd.
WRAP_LOG=$TMP/wrapper.log
cat >"$TMP/diaryd-wrapper" <<EOF
#!/bin/bash
{ printf 'ARGV'; printf ' %s' "\$@"; printf '\n'; printf 'ENVIRON %s\n' "\$(tr '\\0' ' ' </proc/\$\$/environ)"; } >>'$WRAP_LOG'
'$REAL' "\$@"
rc=\$?
echo "EXIT \$1 \$rc" >>'$WRAP_LOG'
exit \$rc
EOF
chmod 755 "$TMP/diaryd-wrapper"

export G_MESSAGES_DEBUG=all

# ---- every command, with every debug knob, while the servers take the secrets ------------------------
run sync1 sync --verbose --json
t "sync --verbose (G_MESSAGES_DEBUG=all): exits 0" expect_rc sync1 0
t "sync: the three accounts synced (sam, kim, goog)" json "$TMP/sync1.out" "$SYNCPY
assert labels(d) == ['goog/Personal', 'goog/Work', 'kim/Diary', 'sam/Diary'], labels(d)
assert all(c['status'] in ('synced', 'unchanged') for c in d['calendars']), [(c['calendar'], c['error']) for c in d['calendars']]
"
t "sync --verbose traced the HTTP headers (the knob is on)" stderr_has sync1 '^diaryd: http > (REPORT|PROPFIND) '
t "sync --verbose: the Authorization headers were traced as hidden" stderr_has sync1 'Authorization: \(hidden\)'
t "the refresh token was sent: the token file now holds the rotated one" grep -qF "$RT2" "$TOKFILE"
t "the token file is still 0600" bash -c "[ \"\$(stat -c %a '$TOKFILE')\" = 600 ]"
run sync2 sync -v
t "a second sync -v: exits 0" expect_rc sync2 0
for acct in sam kim goog; do
  run "disc-$acct" discover --verbose --account "$acct"
  t "discover --verbose --account $acct: exits 0" expect_rc "disc-$acct" 0
done
run disc-cmd discover --verbose -u sam --password-command "$TMP/pwcmd" "$RADICALE_URL"
t "discover --verbose --password-command: exits 0" expect_rc disc-cmd 0
run cfgcheck config check
t "config check: exits 0" expect_rc cfgcheck 0
run journal journal --json
run status status --json
run check check --json
run agenda agenda --json
run occ occurrences --json
run refresh refresh
t "journal, status, check, agenda, occurrences, refresh: no crash" bash -c "
  for n in journal status check agenda occ refresh; do r=\$(cat '$TMP/'\$n.rc); [ \$r -le 1 ] || { echo \"\$n: exit \$r\"; cat '$TMP/'\$n.err; exit 1; }; done"

# ---- the agent and its children --------------------------------------------------------------------
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# diaryd-agent itself (diaryd run execs it, and then names the real diaryd
# for the children): here its children are the wrapper.
DIARYD_BINARY=$TMP/diaryd-wrapper "$AGENT_BIN" >>"$AGENT_LOG" 2>&1 &
AGENT_PID=$!
at_exit "kill $AGENT_PID 2>/dev/null"
wait_wrapped() { # wait_wrapped COMMAND N: until the wrapper saw N children COMMAND exit
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(grep -c "^EXIT $1 " "$WRAP_LOG" 2>/dev/null)" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "fewer than $2 '$1' children finished; the wrapper saw:"
  grep -E '^(ARGV|EXIT)' "$WRAP_LOG" 2>/dev/null
  echo "the agent's log:"
  tail -20 "$AGENT_LOG"
  return 1
}
t "the agent's first sync (a child) finished" wait_wrapped sync 1
t "the agent checked the diary after it" log_has '^refresh: ' 20
t "the WAL is there while the agent runs, and holds no canary" bash -c "
  ls '$XDG_STATE_HOME/diaryd/diaryd.db-wal' >/dev/null && '$LEAKS' '$XDG_STATE_HOME/diaryd/diaryd.db' '$XDG_STATE_HOME/diaryd/diaryd.db-wal' '$XDG_STATE_HOME/diaryd/diaryd.db-shm'"
kill -USR1 "$AGENT_PID"
t "SIGUSR1: a second sync child finished" wait_wrapped sync 2
t "the agent's children ran with the real diaryd's options, the account secrets not among them" \
  bash -c "grep -E '^ARGV sync .*--db .*--config $CONF' '$WRAP_LOG' >/dev/null || { grep '^ARGV' '$WRAP_LOG'; false; }"
t "the agent's children were told they are children (their environment is recorded)" \
  grep -q '^ENVIRON .*DIARYD_AGENT_CHILD=1' "$WRAP_LOG"
t "the agent's limits: no core file" grep -Eq '^Max core file size +0 +0 ' "/proc/$AGENT_PID/limits"

# ---- now the servers refuse: 401 ---------------------------------------------------------------------
printf '%s\n' "$PWC_BAD" >"$TMP/pw-sam"
conf "$PWF_BAD"
setup "G refuses every request (401)" g_script 0
MARK=$(log_lines "$RADICALE_LOG")
run bad1 sync --verbose --json
both bad1
t "sync with wrong passwords and refused tokens: exits 1" expect_rc bad1 1
REFUSED=$(log_since "$RADICALE_LOG" "$MARK" | grep -ci 'failed login attempt')
t "Radicale refused sam and kim (401 after the wrong passwords)" test "$REFUSED" -ge 2
t "the 401s are reported for each account" bash -c "
  for a in sam kim goog; do grep -Eiq \"\$a.*(401|credential|password|unauthori|refused|rejected|auth)\" '$TMP/bad1.all' || { echo \"nothing about \$a\"; cat '$TMP/bad1.all'; exit 1; }; done"
for acct in sam kim goog; do
  run "baddisc-$acct" discover --verbose --account "$acct"
  t "discover --verbose --account $acct against a 401: exits 1 or 2" expect_rc "baddisc-$acct" 1 2
done
kill -HUP "$AGENT_PID" # reload: the agent reads the new config
sleep 0.5
kill -USR1 "$AGENT_PID"
t "the agent's sync against the 401s finished" wait_wrapped sync 3
sleep 0.5
kill -TERM "$AGENT_PID"
wait_exit "SIGTERM stops the agent" "$AGENT_PID" 0 10
touch "$TMP/procs.stop"
wait "$POLLER" 2>/dev/null

# ---- where the canaries must not be ------------------------------------------------------------------
outs=()
for f in "$TMP"/*.out "$TMP"/*.err; do
  case $f in "$TMP/setup.out") ;; *) outs+=("$f") ;; esac
done
t "no canary in the stdout or stderr of any of the ${#outs[@]} diaryd runs" leaks "${outs[@]}"
t "no canary in the agent's log (its children's stderr included)" leaks "$AGENT_LOG"
t "the agent's log is not empty (its children wrote there)" test -s "$AGENT_LOG"
t "no canary in the store, its WAL or its shared memory" \
  leaks "$XDG_STATE_HOME/diaryd/diaryd.db" "$XDG_STATE_HOME/diaryd/diaryd.db-wal" "$XDG_STATE_HOME/diaryd/diaryd.db-shm"
t "the store is where it was looked for" test -s "$XDG_STATE_HOME/diaryd/diaryd.db"
t "no canary in anything else diaryd keeps (\$XDG_STATE_HOME, DATA, CACHE, RUNTIME), but the token file" bash -c "
  find '$XDG_STATE_HOME' '$XDG_DATA_HOME' '$XDG_CACHE_HOME' '$XDG_RUNTIME_DIR' -type f ! -path '$TOKFILE' -print0 2>/dev/null |
    xargs -0 -r '$LEAKS'"
t "no canary in the argv or environment of the agent's children (wrapper)" leaks "$WRAP_LOG"
t "the wrapper saw refresh children too" grep -q '^ARGV refresh ' "$WRAP_LOG"
t "no canary in the argv or environment of any diaryd process seen running" leaks "$TMP/procs.log"
t "the poller saw the agent's sync children" grep -q "^CMDLINE $REAL sync .*--db $XDG_STATE_HOME/" "$TMP/procs.log"
t "no canary in what each password_command saw of its parent and of itself" leaks "$PROBE_LOG"
t "the password_command ran in a diaryd (sync, discover, and the agent's children)" bash -c "
  grep -Eq '^PARENT_CMDLINE [^ ]*diaryd sync --verbose' '$PROBE_LOG' && grep -Eq '^PARENT_CMDLINE [^ ]*diaryd discover' '$PROBE_LOG' &&
  grep -Eq '^PARENT_CMDLINE [^ ]*diaryd sync .*--db' '$PROBE_LOG' || { grep PARENT_CMDLINE '$PROBE_LOG'; false; }"
t "every diaryd that ran a password_command had no core file (RLIMIT_CORE 0 0)" bash -c "
  ! grep '^PARENT_CORE' '$PROBE_LOG' | grep -Ev 'Max core file size +0 +0 ' | grep . && grep -q '^PARENT_CORE' '$PROBE_LOG'"

# ---- not dumpable: another process of the same user cannot look in ----------------------------------
# As an ordinary user (nobody), with a config nobody can read: the
# password_command records what it can see of its parent.
NB=$(mktemp -d /tmp/diaryd-nobody.XXXXXX)
at_exit "rm -rf '$NB'"
chmod 755 "$NB"
cat >"$NB/probe" <<EOF
#!/bin/sh
{
  echo "OWNER \$(stat -c %U /proc/\$PPID/environ)"
  if cat /proc/\$PPID/environ >/dev/null 2>&1; then echo ENVIRON readable; else echo ENVIRON unreadable; fi
  echo "CORE \$(grep 'Max core file size' /proc/\$PPID/limits 2>&1)"
} >'$NB/seen'
echo not-a-canary
EOF
chmod 755 "$NB/probe"
printf '[account nb]\nurl = %s\nusername = sam\npassword_command = %s/probe\n' "$RADICALE_URL" "$NB" >"$NB/config"
printf '[account nb]\nurl = %s\nusername = sam\npassword_command = sleep 3\n' "$RADICALE_URL" >"$NB/slow"
chmod 644 "$NB/config" "$NB/slow"
chown -R 65534:65534 "$NB" 2>/dev/null
chown 0:0 "$NB/config" "$NB/slow" "$NB/probe" 2>/dev/null
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$NB" XDG_CONFIG_HOME="$NB" \
  XDG_STATE_HOME="$NB" XDG_DATA_HOME="$NB" XDG_CACHE_HOME="$NB" "$@"; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  rm -f "$NB/seen"
  as_nobody sh -c "'$NB/probe' >/dev/null; true"
  t "control: a shell run by nobody is dumpable (its environ is nobody's and readable)" \
    bash -c "grep -qx 'OWNER nobody' '$NB/seen' && grep -qx 'ENVIRON readable' '$NB/seen' || { cat '$NB/seen'; false; }"
  rm -f "$NB/seen"
  as_nobody timeout "$RUN_TIMEOUT" "$REAL" sync --config "$NB/config" --db "$NB/nb.db" >"$TMP/nobody.out" 2>&1
  t "diaryd sync run by nobody: its password_command ran" test -s "$NB/seen"
  t "diaryd sync run by nobody is not dumpable: /proc/PID belongs to root, its environ unreadable to nobody" \
    bash -c "grep -qx 'OWNER root' '$NB/seen' && grep -qx 'ENVIRON unreadable' '$NB/seen' || { cat '$NB/seen'; false; }"
  t "diaryd sync run by nobody: no core file (RLIMIT_CORE 0 0)" grep -Eq '^CORE Max core file size +0 +0 ' "$NB/seen"
  # While its password_command sleeps: gdb -p as the same user.
  as_nobody "$REAL" sync --config "$NB/slow" --db "$NB/nb.db" >/dev/null 2>&1 &
  NBPID=$!
  sleep 1
  as_nobody gdb -nx -batch -p "$(pgrep -P "$NBPID" -x diaryd || echo "$NBPID")" -ex 'info proc' >"$TMP/gdb-attach.txt" 2>&1
  wait "$NBPID" 2>/dev/null
  if command -v gdb >/dev/null; then
    t "gdb -p by the same user cannot attach to it (ptrace: Operation not permitted)" \
      bash -c "grep -Eiq 'Operation not permitted' '$TMP/gdb-attach.txt' || { cat '$TMP/gdb-attach.txt'; false; }"
  else
    fail "gdb -p by the same user cannot attach" "gdb is missing (apt-get install gdb)"
  fi
else
  fail "not dumpable: needs root (to run diaryd as nobody) and setpriv" "uid $(id -u)"
fi

finish
