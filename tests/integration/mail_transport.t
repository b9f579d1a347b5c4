#!/bin/bash
# The mail transports against real servers on 127.0.0.1, through
# `diaryd outbox test`: SMTP (libcurl) to aiosmtpd with STARTTLS + AUTH
# PLAIN, AUTH LOGIN and smtps, each delivering exactly one CRLF-only
# message; what is refused before anything is sent (no STARTTLS, a
# certificate from an unknown CA, xoauth2 to a server without it); how each
# failure is classified
# (credentials, 451 and 421 temporary, 550 permanent, a connection dropped
# after the data, the server down); the password in no output; sendmail
# through a real msmtp to the same server; the maildir when there is no
# [mail]; and `diaryd config check` on a bad [mail].
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/mail.sh
require_basics
require_mail msmtp

# The right password and a wrong one: neither may appear in any output.
PASSWORD=c4n4ry-right-9b1d
WRONG=c4n4ry-wrong-5e7a
FROM=sam@example.com
CONF=$TMP/mail.conf

# mail_config URL [LINE...]: a config with [mail] sending through URL as sam.
mail_config() {
  local url=$1
  shift
  {
    printf '[mail]\nfrom = Sam Carter <%s>\nurl = %s\nusername = sam\npassword_command = printf %%s %s\n' \
      "$FROM" "$url" "$PASSWORD"
    [ $# -eq 0 ] || printf '%s\n' "$@"
  } >"$CONF"
  chmod 600 "$CONF"
}

# no_secret NAME: neither password is in the run's stdout or stderr.
no_secret() {
  if grep -qF -e "$PASSWORD" -e "$WRONG" "$TMP/$1.out" "$TMP/$1.err"; then
    echo "a password is in the output:"
    cat "$TMP/$1.out" "$TMP/$1.err"
    return 1
  fi
}

# spool_is N: the spool holds N messages.
spool_is() {
  local n
  n=$(smtpd_count)
  [ "$n" = "$1" ] && return 0
  echo "$n messages in the spool, expected $1; the server's log:"
  cat "$SMTPD_LOG"
  return 1
}

# crlf_only FILE: every line of FILE ends in CRLF, and there is no other CR or LF.
crlf_only() {
  "$PY" - "$1" <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
rest = data.replace(b"\r\n", b"")
assert data.endswith(b"\r\n"), "does not end in CRLF: %r" % data[-20:]
assert b"\r" not in rest and b"\n" not in rest, "a bare CR or LF in %s" % sys.argv[1]
PYEOF
}

# delivered NAME N USER: run NAME exited 0, and message N of the spool is
# the test message from $FROM to $FROM with its headers, CRLF only,
# carrying the Message-ID the run printed, sent over TLS as USER.
delivered() {
  local name=$1 n id eml
  n=$(printf '%04d' "$2")
  expect_rc "$name" 0 || return 1
  eml=$SMTPD_SPOOL/$n.eml
  [ -f "$eml" ] || { echo "no $eml; the server's log:"; cat "$SMTPD_LOG"; return 1; }
  crlf_only "$eml" || return 1
  id=$(grep -o 'Message-ID <[^>]*>' "$TMP/$name.out" | sed 's/^Message-ID //')
  [ -n "$id" ] || { echo "no Message-ID in the output:"; cat "$TMP/$name.out"; return 1; }
  json "$SMTPD_SPOOL/$n.json" "
assert d['mail_from'] == '$FROM', d
assert d['rcpt_tos'] == ['$FROM'], d
assert d['auth_user'] == '$3', d
assert d['tls'] is True, d
eml = open('$eml', 'rb').read().decode('ascii')
head = eml.split('\r\n\r\n', 1)[0].split('\r\n')
assert head[0].startswith('Date: '), head
for want in ('From: Sam Carter <$FROM>', 'To: $FROM', 'Subject: diaryd test message', 'Message-ID: $id',
             'MIME-Version: 1.0'):
    assert want in head, (want, head)
assert 'diaryd outbox test' in eml.replace('=\r\n', ''), eml
"
}

# ---- STARTTLS + AUTH PLAIN ---------------------------------------------------------------------
setup "smtpd: STARTTLS required, AUTH as sam" smtpd_start --auth "sam:$PASSWORD"
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "auth = plain" "ca_file = $SMTPD_CA"
run plain outbox test --config "$CONF"
t "STARTTLS + AUTH PLAIN: exit 0, one message delivered as sent, CRLF only" delivered plain 1 sam
t "STARTTLS + AUTH PLAIN: exactly one message in the spool" spool_is 1
t "STARTTLS + AUTH PLAIN: the output says where it went" \
  stdout_has plain "^sent a test message to $FROM through SMTP smtp://127\.0\.0\.1:$SMTPD_PORT \(STARTTLS\) as sam "
t "STARTTLS + AUTH PLAIN: the server saw AUTH PLAIN" grep -q "AUTH PLAIN accepted for 'sam'" "$SMTPD_LOG"
t "STARTTLS + AUTH PLAIN: the password is in no output" no_secret plain
t "STARTTLS + AUTH PLAIN: within 10 s" within plain 10

# ---- AUTH LOGIN ----------------------------------------------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "auth = login" "ca_file = $SMTPD_CA"
run login outbox test --config "$CONF"
t "STARTTLS + AUTH LOGIN: exit 0, one more message, CRLF only" delivered login 2 sam
t "STARTTLS + AUTH LOGIN: two messages in the spool" spool_is 2
t "STARTTLS + AUTH LOGIN: the server saw AUTH LOGIN" grep -q "AUTH LOGIN accepted for 'sam'" "$SMTPD_LOG"
t "STARTTLS + AUTH LOGIN: the password is in no output" no_secret login

# ---- xoauth2 against a server that does not offer it -----------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "auth = xoauth2" "ca_file = $SMTPD_CA"
run xoauth2 outbox test --config "$CONF"
t "xoauth2, the server offers only PLAIN and LOGIN: exit 1" expect_rc xoauth2 1
t "xoauth2, not offered: no login, classified credentials" stderr_has xoauth2 "^diaryd: credentials refused"
t "xoauth2, not offered: nothing sent" spool_is 2
t "xoauth2, not offered: the token is in no output" no_secret xoauth2

# ---- another address, and auth = auto ---------------------------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "ca_file = $SMTPD_CA"
run other outbox test --config "$CONF" bob@example.org
t "ADDRESS given: exit 0" expect_rc other 0
t "ADDRESS given: the message went to that address alone" json "$SMTPD_SPOOL/0003.json" \
  "assert d['rcpt_tos'] == ['bob@example.org'] and d['mail_from'] == '$FROM', d"
t "ADDRESS given: the output names it" stdout_has other "^sent a test message to bob@example\.org through "

# ---- the certificate authority not given: refused -------------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "auth = plain"
logins=$(grep -cE 'AUTH [A-Z]+ (accepted|refused)' "$SMTPD_LOG")
run noca outbox test --config "$CONF"
t "test CA not trusted (no ca_file): exit 1" expect_rc noca 1
t "test CA not trusted: a TLS failure, about the certificate" line_naming noca "TLS" "certificate"
t "test CA not trusted: nothing sent" spool_is 3
t "test CA not trusted: no login attempted" test "$(grep -cE 'AUTH [A-Z]+ (accepted|refused)' "$SMTPD_LOG")" = "$logins"
t "test CA not trusted: the password is in no output" no_secret noca

# ---- a wrong password ------------------------------------------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "auth = plain" "ca_file = $SMTPD_CA"
sed -i "s/printf %s $PASSWORD/printf %s $WRONG/" "$CONF"
run wrong outbox test --config "$CONF"
t "wrong password: exit 1" expect_rc wrong 1
t "wrong password: the server's 535 is quoted" line_naming wrong "535" "refused the login as sam"
t "wrong password: classified as credentials" stderr_has wrong "credentials refused"
t "wrong password: nothing sent" spool_is 3
t "wrong password: neither password is in any output" no_secret wrong

# ---- temporary and permanent refusals -------------------------------------------------------------
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "ca_file = $SMTPD_CA"
smtpd_script '{"mail": "451 4.3.0 try later"}'
run r451 outbox test --config "$CONF"
t "451 to MAIL FROM: exit 1" expect_rc r451 1
t "451 to MAIL FROM: temporary, the reply quoted" line_naming r451 "451 4.3.0 try later" "sender was refused for now"
t "451 to MAIL FROM: classified temporary" stderr_has r451 "^diaryd: temporary failure"

smtpd_script '{"data": "421 4.3.2 shutting down"}'
run r421 outbox test --config "$CONF"
t "421 after the data: exit 1" expect_rc r421 1
t "421 after the data: temporary, the reply quoted" line_naming r421 "421 4.3.2 shutting down" "message was refused"
t "421 after the data: classified temporary" stderr_has r421 "^diaryd: temporary failure"
t "421 after the data: not stored" spool_is 3

smtpd_script '{"rcpt": {"bad@example.com": "550 5.1.1 no such user"}}'
run r550 outbox test --config "$CONF" bad@example.com
t "550 to RCPT TO: exit 1" expect_rc r550 1
t "550 to RCPT TO: permanent, naming the recipient and the reply" \
  line_naming r550 "bad@example.com" "recipient was refused: 550 5\.1\.1 no such user"
t "550 to RCPT TO: classified permanent" stderr_has r550 "^diaryd: permanent failure"
t "550 to RCPT TO: nothing stored" spool_is 3
run r550ok outbox test --config "$CONF"
t "550 for another recipient: the owner still gets mail" delivered r550ok 4 sam

smtpd_script '{"drop_after_data": true}'
run dropped outbox test --config "$CONF"
t "connection dropped after the data: exit 1" expect_rc dropped 1
t "connection dropped after the data: temporary, may have been delivered" \
  line_naming dropped "$FROM" "may have been delivered"
t "connection dropped after the data: classified temporary" stderr_has dropped "^diaryd: temporary failure"
t "connection dropped after the data: the server did store it" spool_is 5
smtpd_script '{}'

smtpd_stop
run down outbox test --config "$CONF"
t "server down: exit 1" expect_rc down 1
t "server down: could not connect, temporary" line_naming down "127.0.0.1:$SMTPD_PORT" "could not connect"
t "server down: classified temporary" stderr_has down "^diaryd: temporary failure"
t "server down: within 10 s" within down 10

# ---- smtps ------------------------------------------------------------------------------------------
setup "smtpd: smtps (TLS from the start), AUTH as sam" smtpd_start --smtps --auth "sam:$PASSWORD"
mail_config "smtps://127.0.0.1:$SMTPD_PORT" "ca_file = $SMTPD_CA"
run smtps outbox test --config "$CONF"
t "smtps: exit 0, one message delivered as sent, CRLF only" delivered smtps 1 sam
t "smtps: exactly one message" spool_is 1
t "smtps: the output names smtps" stdout_has smtps "through SMTP smtps://127\.0\.0\.1:$SMTPD_PORT as sam "
t "smtps: the password is in no output" no_secret smtps

# ---- no STARTTLS: nothing in clear ----------------------------------------------------------------------
setup "smtpd: plain, no STARTTLS, AUTH offered in clear" smtpd_start --no-starttls --auth "sam:$PASSWORD"
mail_config "smtp://127.0.0.1:$SMTPD_PORT" "ca_file = $SMTPD_CA"
run clear outbox test --config "$CONF"
t "no STARTTLS: exit 1" expect_rc clear 1
t "no STARTTLS: the message says TLS" line_naming clear "TLS" "STARTTLS"
t "no STARTTLS: classified TLS" stderr_has clear "^diaryd: TLS failure"
t "no STARTTLS: nothing sent" spool_is 0
t "no STARTTLS: no login attempted in clear" \
  bash -c "! grep -Eq 'AUTH [A-Z]+ (accepted|refused)' '$SMTPD_LOG' || { cat '$SMTPD_LOG'; false; }"
t "no STARTTLS: the password is in no output" no_secret clear

# ---- sendmail: msmtp to the same kind of server ----------------------------------------------------------
setup "smtpd: STARTTLS, AUTH as sam (for msmtp)" smtpd_start --auth "sam:$PASSWORD"
MSMTPRC=$TMP/msmtprc
cat >"$MSMTPRC" <<EOF
defaults
tls on
tls_starttls on
tls_trust_file $SMTPD_CA
logfile $TMP/msmtp.log

account test
host 127.0.0.1
port $SMTPD_PORT
auth plain
user sam
password $PASSWORD
from $FROM
EOF
chmod 600 "$MSMTPRC"
{
  printf '[mail]\nfrom = Sam Carter <%s>\ntransport = sendmail\nsendmail = msmtp -C %s -a test\n' "$FROM" "$MSMTPRC"
} >"$CONF"
run msmtp outbox test --config "$CONF"
t "sendmail (msmtp): exit 0, one message delivered, CRLF only on the wire" delivered msmtp 1 sam
t "sendmail (msmtp): exactly one message" spool_is 1
t "sendmail (msmtp): the output names the command" stdout_has msmtp "through sendmail: msmtp -C $MSMTPRC -a test "
smtpd_script '{"rcpt": {"bad@example.com": "550 5.1.1 no such user"}}'
run msmtp550 outbox test --config "$CONF" bad@example.com
t "sendmail (msmtp), 550: exit 1" expect_rc msmtp550 1
t "sendmail (msmtp), 550: permanent, msmtp's words quoted" line_naming msmtp550 "bad@example.com" "550 5\.1\.1 no such user"
t "sendmail (msmtp), 550: classified permanent" stderr_has msmtp550 "^diaryd: permanent failure"
smtpd_script '{"mail": "451 4.3.0 try later"}'
run msmtp451 outbox test --config "$CONF"
t "sendmail (msmtp), 451: exit 1, classified temporary" stderr_has msmtp451 "^diaryd: temporary failure"
smtpd_script '{"auth": "535 5.7.8 Authentication credentials invalid"}'
run msmtp535 outbox test --config "$CONF"
t "sendmail (msmtp), 535: classified credentials (exit 77)" stderr_has msmtp535 "^diaryd: credentials refused"
t "sendmail (msmtp): still one message" spool_is 1
t "sendmail (msmtp): the password is in no output" no_secret msmtp535
smtpd_script '{}'

# ---- maildir: the default without [mail] -------------------------------------------------------------------
MAILDIR=$XDG_DATA_HOME/diaryd/mail
before=$(smtpd_count)
run maildir outbox test "$FROM"
t "no config at all: exit 0" expect_rc maildir 0
t "no config at all: the output says nothing left the machine" \
  stdout_has maildir "^wrote a test message to $FROM into maildir $MAILDIR \(nothing leaves this machine\)"
t "no config at all: one message in \$XDG_DATA_HOME/diaryd/mail/new" \
  bash -c "[ \$(ls '$MAILDIR/new' | wc -l) = 1 ] && [ -z \"\$(ls '$MAILDIR/tmp')\" ] && [ -d '$MAILDIR/cur' ]"
t "no config at all: the maildir message has LF line ends and its envelope" bash -c "
  f=\$(ls '$MAILDIR/new'/*) && ! grep -q \$'\r' \"\$f\" && head -2 \"\$f\" | grep -qx 'Return-Path: <$FROM>' &&
  grep -qx 'Subject: diaryd test message' \"\$f\""
t "no config at all: nothing went to the server" test "$(smtpd_count)" = "$before"
mkdir -p "$XDG_CONFIG_HOME/diaryd"
printf '[check]\nowner = %s\n' "$FROM" >"$XDG_CONFIG_HOME/diaryd/config"
run maildir2 outbox test
t "config without [mail]: the owner's address is the default, exit 0" expect_rc maildir2 0
t "config without [mail]: a second message in the maildir" bash -c "[ \$(ls '$MAILDIR/new' | wc -l) = 2 ]"
rm -f "$XDG_CONFIG_HOME/diaryd/config"

# ---- usage ---------------------------------------------------------------------------------------------------------
: >"$TMP/empty.conf"
run noaddr outbox test --config "$TMP/empty.conf"
t "no address anywhere: exit 2, saying what to do" bash -c "[ \$(cat '$TMP/noaddr.rc') = 2 ] && grep -q 'no address' '$TMP/noaddr.err'"
printf '[mail]\nfrom = %s\nallow_domains = example.com\n' "$FROM" >"$CONF"
run outside outbox test --config "$CONF" eve@example.net
t "an address outside allow_domains: exit 2" expect_rc outside 2
t "an address outside allow_domains: said" stderr_has outside "outside \[mail\] allow_domains"
run badaddr outbox test --config "$CONF" 'eve@example.com>'
t "a malformed address: exit 2" expect_rc badaddr 2

# ---- config check on a bad [mail] ------------------------------------------------------------------------------------
cat >"$CONF" <<EOF
# [mail] with a problem on each line
[mail]
from = Sam Carter
url = http://smtp.example.com/
transport = pigeon
max_recipients = 0
rate_per_hour = lots
method = reply
allow_domains = example.com, not_a_domain
username = sam
smtp_port = 25
EOF
chmod 600 "$CONF"
cat >"$TMP/want.tsv" <<'EOF'
3	from|address
4	url|smtp
5	transport|pigeon
6	max_recipients|1 to 1000
7	rate_per_hour|lots
8	method|reply
9	allow_domains|not_a_domain
10	username|password
11	unknown key|smtp_port
EOF
run check config check --config "$CONF"
t "config check, bad [mail]: exit 2" expect_rc check 2
while IFS=$'\t' read -r line ere; do
  t "config check, bad [mail]: line $line is reported: /$ere/" \
    bash -c "grep -E '^$CONF:$line: ' '$TMP/check.out' | grep -Eiq -- '$ere' || { echo 'stdout:'; cat '$TMP/check.out'; false; }"
done <"$TMP/want.tsv"
t "config check, bad [mail]: no other line is blamed" \
  bash -c "[ \$(grep -c '^$CONF:' '$TMP/check.out') = 9 ] || { cat '$TMP/check.out'; false; }"
before=$(smtpd_count)
run checksend outbox test --config "$CONF"
t "outbox test with a bad [mail]: exit 2, sends nothing" \
  bash -c "[ \$(cat '$TMP/checksend.rc') = 2 ] && [ \$(ls '$SMTPD_SPOOL'/*.json | wc -l) = $before ]"
t "outbox test with a bad [mail]: the problems are listed" stderr_has checksend "^diaryd: $CONF:4: url"

finish
