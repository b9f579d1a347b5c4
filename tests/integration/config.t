#!/bin/bash
# The config file's [account] and [calendar] sections: `diaryd config check`
# lists every problem as FILE:LINE: message (exit 2) or says there are none
# (exit 0); a password in a file others can read is refused, and so is any
# file others can change (or in a folder they can write); sync refuses a
# config with problems before any request; per-calendar settings reach the
# checks (busy = false).
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers radicale

# ---- a file with many problems ---------------------------------------------------------
# Every problem is on a line of its own; the comment says which.
BAD=$TMP/bad.conf
write_config "$BAD" <<'EOF'
# diaryd config with problems on purpose
[check]
buffer = soon
[account work]
url = not a url
username = sam
password_command = printf %s 'unclosed
colour = blue
auth = kerberos
[account cloud]
url = https://cloud.example.com/
username = sam
auth = oauth2
[account both]
url = https://dav.example.com/
username = sam
password = hunter2-7c3b
password_command = printf %s hunter2-7c3b
[account cloud]
scope = https://www.googleapis.com/auth/calendar
[calendar nosuch/Team]
busy = maybe
[calendar cloud/Team]
color = blue
reminders = 10m, soon
confirmations = perhaps
[frobnicate]
EOF
# line: what is wrong (an ERE the message must match, case-insensitive)
cat >"$TMP/want.tsv" <<'EOF'
3	buffer|soon
5	url|not a url
7	password_command|quote|split|unclosed
8	colour|unknown
9	auth|kerberos
10,13	client_id
17,18	password.*password_command|password_command.*password|both|keep one|two
19	twice|duplicate|already|again
21	nosuch|no \[account|unknown account
22	busy|maybe|boolean
24	colou?r|blue|#rrggbb
25	reminder|soon
26	confirmations|perhaps|boolean
27	frobnicate|unknown section
EOF
run check1 config check --config "$BAD"
t "config check with problems: exits 2" expect_rc check1 2
t "config check: every stdout line is FILE:LINE: message" \
  bash -c "! grep -v '^$BAD:[0-9][0-9]*: .' '$TMP/check1.out'"
while IFS=$'\t' read -r lines ere; do
  pat="^$BAD:(${lines//,/|}): "
  t "config check: line ${lines//,/ or } is reported: /$ere/" \
    bash -c "grep -E '$pat' '$TMP/check1.out' | grep -Eiq -- '$ere' || { echo 'stdout:'; cat '$TMP/check1.out'; false; }"
done <"$TMP/want.tsv"
t "config check: no problem reported on a line that has none" bash -c "
  ok=',3,5,7,8,9,10,13,17,18,19,21,22,24,25,26,27,'
  while IFS= read -r l; do
    n=\${l#$BAD:}; n=\${n%%:*}
    case \$ok in *,\$n,*) ;; *) echo \"unexpected: \$l\"; exit 1 ;; esac
  done <'$TMP/check1.out'"
t "config check: the problems come in line order" bash -c "
  sed 's|^$BAD:\([0-9]*\):.*|\1|' '$TMP/check1.out' >'$TMP/check1.lines'
  sort -n -c '$TMP/check1.lines'"
t "config check: the password is in no message" bash -c "! grep -q hunter2-7c3b '$TMP/check1.out' '$TMP/check1.err'"

run sync1 sync --config "$BAD" --db "$TMP/bad.db"
t "sync with a config that has problems: exits 2" expect_rc sync1 2
t "sync with a config that has problems: lists them on stderr as FILE:LINE: message" stderr_has sync1 "^$BAD:3: "
t "sync with a config that has problems: nothing on stdout" test ! -s "$TMP/sync1.out"

# ---- a password in a file others can read ------------------------------------------------
setup "Radicale starts" start_radicale sam 'pw-in-file-4e2a'
t "curl: a calendar for sam" dav_mkcalendar "${RADICALE_URL}sam/diary/" Diary
PW=$TMP/pw.conf
cat >"$PW" <<EOF
[account home]
url = $RADICALE_URL
username = sam
password = pw-in-file-4e2a
EOF
chmod 644 "$PW"
run pw644 config check --config "$PW"
t "password in a 0644 file: config check exits 2" expect_rc pw644 2
t "password in a 0644 file: the problem is on the password line and says to chmod 600" \
  bash -c "grep -E '^$PW:4: ' '$TMP/pw644.out' | grep -Eiq 'chmod|600|readable|permission|mode|others' || { cat '$TMP/pw644.out'; false; }"
t "password in a 0644 file: the password is in no message" bash -c "! grep -q pw-in-file-4e2a '$TMP/pw644.out' '$TMP/pw644.err'"
MARK=$(log_lines "$RADICALE_LOG")
run pw644sync sync --config "$PW" --db "$TMP/pw.db"
t "password in a 0644 file: sync exits 2" expect_rc pw644sync 2
t "password in a 0644 file: sync sends no request" test "$(log_since "$RADICALE_LOG" "$MARK" | grep -c ' request for ')" = 0
chmod 640 "$PW"
run pw640 config check --config "$PW"
t "password in a 0640 file (group can read): still refused" expect_rc pw640 2
chmod 600 "$PW"
run pw600 config check --config "$PW"
t "password in a 0600 file: config check exits 0" expect_rc pw600 0
t "password in a 0600 file: 'FILE: no problems'" stdout_has pw600 "^$PW: no problems"
run pw600sync sync --config "$PW" --db "$TMP/pw.db" --json
t "password in a 0600 file: sync exits 0" expect_rc pw600sync 0
t "password in a 0600 file: the calendar synced with it" json "$TMP/pw600sync.out" "$SYNCPY
c = cal(d, 'home/Diary')
assert c['status'] in ('synced', 'unchanged') and c['objects'] == 0, c
"

# ---- a file others can change: refused, password or not (ssh's rule) ------------------------------
# Only a password_command here: whoever can edit the file can change the
# command or the url the password goes to.
WR=$TMP/writable.conf
write_config "$WR" <<EOF
[account home]
url = $RADICALE_URL
username = sam
password_command = printf %s pw-in-file-4e2a
EOF
for mode in 664 646 666 620; do
  chmod "$mode" "$WR"
  run "wr$mode" config check --config "$WR"
  t "a $mode file without a password: config check exits 2" expect_rc "wr$mode" 2
  t "a $mode file: the problem names the file, says writable, and gives chmod go-w FILE" \
    bash -c "grep -E '^$WR: ' '$TMP/wr$mode.out' | grep -i writable | grep -qF 'chmod go-w $WR' || { cat '$TMP/wr$mode.out'; false; }"
done
MARK=$(log_lines "$RADICALE_LOG")
run wrsync sync --config "$WR" --db "$TMP/wr.db"
t "a group-writable file: sync exits 2" expect_rc wrsync 2
t "a group-writable file: sync says why on stderr" stderr_has wrsync "^$WR: .*chmod go-w $WR"
t "a group-writable file: sync sends no request" \
  test "$(log_since "$RADICALE_LOG" "$MARK" | grep -c ' request for ')" = 0
t "a group-writable file: the password is in no message" bash -c "! grep -q pw-in-file-4e2a '$TMP'/wr*.out '$TMP'/wr*.err"
chmod 644 "$WR"
run wr644 config check --config "$WR"
t "the same file 0644 (readable, not writable, by others): no problems" expect_rc wr644 0
# Its folder: others could replace the file.
mkdir -p "$TMP/open"
cp "$WR" "$TMP/open/config"
chmod 777 "$TMP/open"
run wrdir config check --config "$TMP/open/config"
t "a file in a folder others can write: config check exits 2" expect_rc wrdir 2
t "a file in a folder others can write: names the folder and the fix" \
  bash -c "grep -F 'its folder $TMP/open is writable' '$TMP/wrdir.out' | grep -qF 'chmod go-w $TMP/open' || { cat '$TMP/wrdir.out'; false; }"
chmod 1777 "$TMP/open"
run wrsticky config check --config "$TMP/open/config"
t "the same folder with the sticky bit (as /tmp): fine" expect_rc wrsticky 0
chmod 755 "$TMP/open"

# ---- a good file, and the default path -------------------------------------------------------
write_config <<EOF
# a complete, valid config
[check]
tz = Europe/London
buffer = 15m

[account home]
url = $RADICALE_URL
username = sam
password_command = printf %s pw-in-file-4e2a
calendars = Diary
auth = basic

[calendar home/Diary]
busy = true
confirmations = false
color = #3366ff
reminders = 10m, 1h
EOF
DEFAULT=$XDG_CONFIG_HOME/diaryd/config
run good config check
t "config check on the default path: exits 0" expect_rc good 0
t "config check on the default path: '\$XDG_CONFIG_HOME/diaryd/config: no problems'" stdout_has good "^$DEFAULT: no problems"
t "config check on the default path: nothing on stderr" test ! -s "$TMP/good.err"
run goodx config check --config "$DEFAULT"
t "config check --config FILE on the same file: exits 0" expect_rc goodx 0
run missing config check --config "$TMP/no-such.conf"
t "config check --config on a missing file: exits 2" expect_rc missing 2
t "config check --config on a missing file: names it" bash -c "grep -qF '$TMP/no-such.conf' '$TMP/missing.out' '$TMP/missing.err' || { cat '$TMP/missing.out' '$TMP/missing.err'; false; }"
mv "$DEFAULT" "$DEFAULT.away"
run none config check
t "config check with no config file at all: exits 0, or exits 2 naming the file it looked for" bash -c "
  rc=\$(cat '$TMP/none.rc')
  [ \$rc = 0 ] && exit 0
  [ \$rc = 2 ] && grep -qF '$DEFAULT' '$TMP/none.out' '$TMP/none.err' && exit 0
  echo \"exit status \$rc\"; cat '$TMP/none.out' '$TMP/none.err'; exit 1"
run noacct sync --db "$TMP/noacct.db"
t "sync with no account configured: exits 2" expect_rc noacct 2
t "sync with no account configured: says how to add one" stderr_has noacct '\[account'
mv "$DEFAULT.away" "$DEFAULT"
run usage1 config
t "config with no subcommand: exits 2" expect_rc usage1 2
run usage2 config frobnicate
t "config frobnicate: exits 2" expect_rc usage2 2
t "config frobnicate: names it" stderr_has usage2 'frobnicate'

# ---- per-calendar settings reach the checks -----------------------------------------------------
# Two calendars: Work and Personal; the sample's double booking is the budget
# review (Work) against the dentist (Personal).  With busy = false on
# Personal, the dentist is free time: no double booking.
t "curl: calendar Work" dav_mkcalendar "${RADICALE_URL}sam/work/" Work
t "curl: calendar Personal" dav_mkcalendar "${RADICALE_URL}sam/personal/" Personal
split_ics "$SAMPLE/work.ics" "$TMP/work"
split_ics "$SAMPLE/personal.ics" "$TMP/personal"
t "curl: the sample's work events into Work" dav_put_dir "${RADICALE_URL}sam/work/" "$TMP/work"
t "curl: the sample's personal events into Personal" dav_put_dir "${RADICALE_URL}sam/personal/" "$TMP/personal"
write_config <<EOF
[account home]
url = $RADICALE_URL
username = sam
password_command = printf %s pw-in-file-4e2a
calendars = Work, Personal
EOF
run cals sync --json
t "calendars = Work, Personal: both synced, Diary left out" json "$TMP/cals.out" "$SYNCPY
assert labels(d) == ['home/Personal', 'home/Work'], labels(d)
"
run busy check --json "${WINDOW[@]}"
t "both calendars busy: the budget review and the dentist clash" json "$TMP/busy.out" "
one(d, 'conflict', 'budget-review-q4@example.com', 'dentist-dec@example.net')
"
cat >>"$DEFAULT" <<'EOF'

[calendar home/Personal]
busy = false
EOF
run cfgok config check
t "[calendar home/Personal] busy = false: config check exits 0" expect_rc cfgok 0
run free check --json "${WINDOW[@]}"
t "Personal with busy = false: no clash with the dentist any more" json "$TMP/free.out" "
assert not find(d, 'conflict', 'budget-review-q4@example.com', 'dentist-dec@example.net'), 'still a clash'
assert d['occurrences'] >= 12, d['occurrences']
"
t "Personal with busy = false: the Work clashes remain" json "$TMP/free.out" "
one(d, 'conflict', 'one-to-one-jo@example.com', 'contract-signing-northwind@example.com')
"

finish
