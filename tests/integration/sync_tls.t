#!/bin/bash
# diaryd sync over https, against certificates it must refuse.  Account
# sec is on a TLS responder S (tests/tools/responder.py --tls-cert, with
# tests/data/caldav/discovery.json: calendars Work and Personal) whose
# certificate the test swaps between runs; account home is on a plain http
# responder H (loopback) and must sync whatever happens to sec.
#
# Certificates, made here with openssl: a test CA (named by sec's ca_file)
# and, signed by it, a good one for 127.0.0.1, one for another host name
# and one that expired in 2020; a second CA nobody trusts and one for
# 127.0.0.1 signed by it.  Each refusal must fail sec's calendars with a
# message naming the URL and the reason, send no request (so no password)
# to S, journal nothing, not be retried, and leave the next sync with a
# good certificate to take what was missed.  ca_file must trust its CA and
# nothing else: a wrong host name or an expired certificate from that CA
# still fail.  And an https account redirected to http:// is refused.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers
command -v openssl >/dev/null || { fail "test prerequisites" "openssl is missing (apt-get install openssl)"; finish; }

CERTS=$TMP/tls
# make_certs: the CAs and certificates above into $CERTS (EC P-256, quick).
make_certs() {
  local name
  mkdir -p "$CERTS/db" && cd "$CERTS" || return 1
  for name in ca rogue-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.pem" \
      -days 30 -subj "/CN=diaryd $name" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>&1 || return 1
  done
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >good.ext
  printf 'subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >wronghost.ext
  # good, wronghost, rogue (signed by rogue-ca), expired (its dates set by `openssl ca`).
  for name in good wronghost rogue expired; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.csr" \
      -subj "/CN=$name" 2>&1 || return 1
  done
  openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile good.ext -out good.pem 2>&1 &&
    openssl x509 -req -in wronghost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile wronghost.ext \
      -out wronghost.pem 2>&1 &&
    openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -days 30 -extfile good.ext \
      -out rogue.pem 2>&1 || return 1
  : >db/index.txt
  echo 01 >db/serial
  cat >ca.cnf <<'EOF'
[ca]
default_ca = test
[test]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[server]
subjectAltName = IP:127.0.0.1,DNS:localhost
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
EOF
  openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -startdate 20200101000000Z \
    -enddate 20200201000000Z -extensions server -notext 2>&1 || return 1
  # What they must be, checked with openssl itself.
  openssl verify -CAfile ca.pem good.pem wronghost.pem || return 1
  ! openssl verify -CAfile ca.pem expired.pem >/dev/null 2>&1 || { echo "expired.pem verifies"; return 1; }
  ! openssl verify -CAfile ca.pem rogue.pem >/dev/null 2>&1 || { echo "rogue.pem verifies"; return 1; }
  cd - >/dev/null || return 1
}
setup "openssl makes the CAs and certificates" make_certs

# serve_cert NAME: S presents NAME.pem from its next handshake on (the key
# first, each put in place by rename).
serve_cert() {
  cp "$CERTS/$1.key" "$CERTS/live.key.new" && mv -f "$CERTS/live.key.new" "$CERTS/live.key" &&
    cp "$CERTS/$1.pem" "$CERTS/live.pem.new" && mv -f "$CERTS/live.pem.new" "$CERTS/live.pem"
}
serve_cert good

# start_tls_responder NAME: as start_responder, over TLS with $CERTS/live.*;
# failed handshakes in $TMP/NAME.tls.
start_tls_responder() {
  local name=$1 i
  _not_in_subshell start_tls_responder || return 1
  echo '{"rules": []}' >"$TMP/$name.json"
  : >"$TMP/$name.tls"
  "$PY" "$RESPONDER" --script "$TMP/$name.json" --log "$TMP/$name.log" --sent-log "$TMP/$name.sent" \
    --tls-cert "$CERTS/live.pem" --tls-key "$CERTS/live.key" --tls-log "$TMP/$name.tls" \
    --port-file "$TMP/$name.port" >/dev/null 2>>"$TMP/$name.stderr" &
  at_exit "stop_pid $!"
  for ((i = 0; i < 100; i++)); do
    [ -s "$TMP/$name.port" ] && break
    sleep 0.05
  done
  [ -s "$TMP/$name.port" ] || { echo "the TLS responder did not start:"; cat "$TMP/$name.stderr"; return 1; }
  printf -v "${name}_PORT" '%s' "$(cat "$TMP/$name.port")"
  printf -v "${name}_URL" 'https://127.0.0.1:%s' "$(cat "$TMP/$name.port")"
}
setup "responder H (home, http) starts" start_responder H
setup "responder S (sec, https) starts" start_tls_responder S
t "S serves the good certificate to a client that trusts the test CA" \
  curl -sS --max-time 5 --cacert "$CERTS/ca.pem" -o /dev/null "$S_URL/"

WORKP=/dav/calendars/sam/work/
SEC_WORK=$TMP/srv/sec-work
SEC_PERSONAL=$TMP/srv/sec-personal
HOME_WORK=$TMP/srv/home-work
HOME_PERSONAL=$TMP/srv/home-personal
gen_events "$SEC_WORK" 4 secwork
gen_events "$SEC_PERSONAL" 2 secpersonal
gen_events "$HOME_WORK" 3 homework
gen_events "$HOME_PERSONAL" 1 homepersonal
SEC_TOKEN=sec-token-1
HOME_TOKEN=home-token-1
PASSWORD=Tls-c4nary-9e1f

# sec_script [RULES on stdin]: S is sec's account, with these rules first.
sec_script() {
  account_script S "WORK_DIR=$SEC_WORK" "PERSONAL_DIR=$SEC_PERSONAL" "WORK_TOKEN=$SEC_TOKEN" PERSONAL_TOKEN=sec-p-1
}
home_script() {
  account_script H "WORK_DIR=$HOME_WORK" "PERSONAL_DIR=$HOME_PERSONAL" "WORK_TOKEN=$HOME_TOKEN" \
    PERSONAL_TOKEN=home-p-1 <<<'[]'
}
# lines_between FILE MARK MIN MAX: FILE has MIN to MAX lines after line MARK.
lines_between() {
  local n
  n=$(log_since "$1" "$2" | grep -c .)
  [ "$n" -ge "$3" ] && [ "$n" -le "$4" ] && return 0
  echo "$n new lines in $1, expected $3 to $4:"
  log_since "$1" "$2" | head -c 1500
  return 1
}
new_event() { ics_event "$2@example.org" 20261210T180000Z 20261210T183000Z "$2" >"$1/$2.ics"; }
count() { find "$1" -name '*.ics' | wc -l; }

CONF=$TMP/with-ca.conf
NOCA=$TMP/without-ca.conf
# config FILE [ca_file line]
config() {
  write_config "$1" <<EOF
[account home]
url = $H_URL/
username = sam
password = home-secret

[account sec]
url = $S_URL/
username = sam
password_command = printf %s $PASSWORD
$2
EOF
}
config "$CONF" "ca_file = $CERTS/ca.pem"
config "$NOCA" ""

sec_script <<<'[]'
home_script
run base sync --config "$CONF" --json
t "ca_file: the test CA is trusted: exits 0" expect_rc base 0
t "ca_file: sec synced over https, home over http" json "$TMP/base.out" "$SYNCPY
synced(d, 'sec/Work', 4, 0, 0, 0, 4)
synced(d, 'sec/Personal', 2, 0, 0, 0, 2)
synced(d, 'home/Work', 3, 0, 0, 0, 3)
synced(d, 'home/Personal', 1, 0, 0, 0, 1)
assert cal(d, 'sec/Work')['url'] == '$S_URL$WORKP', cal(d, 'sec/Work')['url']
"
t "ca_file: S received sec's credentials (the handshake passed)" \
  grep -qF "Basic $(printf '%s' "sam:$PASSWORD" | base64)" "$TMP/S.log"

# tls_fault NAME DESC ERE CERT CONFIG [HANDSHAKES]: S presents CERT; one new
# event in sec/Work and one in home/Work.  `sync --json --config CONFIG`
# must exit 1 at once with sec's calendars failed for a reason matching ERE
# that names S's URL; home/Work synced (1 added); no request logged by S,
# whose log of handshakes shows the client broke them off (HANDSHAKES "ok":
# libcurl checks the host name after a completed handshake, and then hangs
# up); only home's event journalled.  Then, with the good certificate and
# ca_file, sec's event arrives.
K=1
tls_fault() {
  local name=$1 desc=$2 ere=$3 cert=$4 conf=$5 handshakes=${6:-refused} objects home_objects j0 mark tmark
  K=$((K + 1))
  SEC_TOKEN=sec-token-$K
  HOME_TOKEN=home-token-$K
  new_event "$SEC_WORK" "$name"
  new_event "$HOME_WORK" "home-$name"
  objects=$(count "$SEC_WORK")
  home_objects=$(count "$HOME_WORK")
  sec_script <<<'[]'
  home_script
  serve_cert "$cert"
  run "$name-j0" journal --json
  j0=$(jget "$TMP/$name-j0.out" 'max([r["seq"] for r in d["changes"]] or [0])')
  mark=$(log_lines "$TMP/S.log")
  tmark=$(log_lines "$TMP/S.tls")
  run "$name" sync --config "$conf" --json
  t "$desc: exits 1" expect_rc "$name" 1
  t "$desc: no crash" no_crash "$name"
  t "$desc: sec's calendars failed, saying why and where; home synced" json "$TMP/$name.out" "$SYNCPY
for label in ('sec/Work', 'sec/Personal'):
    c = cal(d, label)
    assert c['status'] == 'failed', '%s: status %s' % (label, c['status'])
    assert re.search(r'''$ere''', c['error'] or ''), '%s: the reason does not match /$ere/: %r' % (label, c['error'])
    assert '$S_URL/' in c['error'], '%s: the URL is not named: %r' % (label, c['error'])
synced(d, 'home/Work', 1, 0, 0, 0, $home_objects)
unchanged(d, 'home/Personal', 1)
"
  t "$desc: refused at once (not retried; under 5 s)" within "$name" 5
  t "$desc: no request reached S (nor the password)" \
    lines_between "$TMP/S.log" "$mark" 0 0
  [ "$handshakes" = ok ] || t "$desc: S saw diaryd break the handshake off, once per calendar" \
    lines_between "$TMP/S.tls" "$tmark" 1 2
  run "$name-j1" journal --json
  t "$desc: only home's new event is journalled" json "$TMP/$name-j1.out" "$SYNCPY
journal_is(d, [('home/Work', 'added', 'home-$name@example.org', None, '')], after=$j0)
"
  serve_cert good
  run "$name-after" sync --config "$CONF" --json
  t "$desc: with a good certificate, the next sync takes sec's new event" json "$TMP/$name-after.out" "$SYNCPY
synced(d, 'sec/Work', 1, 0, 0, 0, $objects)
unchanged(d, 'sec/Personal', 2)
"
}

tls_fault unknownca "a certificate from a CA not in the trust store (no ca_file)" \
  'SSL certificate problem: unable to get local issuer certificate .*ca_file' good "$NOCA"
tls_fault wronghost "a certificate for another host name (with ca_file)" \
  "no alternative certificate subject name matches target host name .127\\.0\\.0\\.1." wronghost "$CONF" ok
tls_fault expired "an expired certificate (with ca_file)" 'SSL certificate problem: certificate has expired' \
  expired "$CONF"
tls_fault rogue "a certificate for 127.0.0.1 from another CA (with ca_file: it trusts its CA only)" \
  'SSL certificate problem: unable to get local issuer certificate' rogue "$CONF"

# A first sync (discovery) of an account whose server is not trusted.
serve_cert good
mark=$(log_lines "$TMP/S.log")
run fresh sync sec --config "$NOCA" --db "$TMP/fresh.db"
t "discovery with an untrusted certificate: exits 1" expect_rc fresh 1
t "discovery with an untrusted certificate: says where, why, and about ca_file" \
  stderr_has fresh \
  "^diaryd: sec: discovery failed: PROPFIND $S_URL/[^ ]*: SSL certificate problem: unable to get local issuer certificate .*ca_file"
t "discovery with an untrusted certificate: stops at the first refusal (under 5 s, one handshake)" within fresh 5
t "discovery with an untrusted certificate: no request reached S" \
  lines_between "$TMP/S.log" "$mark" 0 0

# ---- a redirect from https to http ------------------------------------------------------
# S sends sec/Work's requests on to H over plain http (H would answer them).
K=$((K + 1))
SEC_TOKEN=sec-token-$K
new_event "$SEC_WORK" downgrade
objects=$(count "$SEC_WORK")
sec_script <<EOF
[{"match": {"path": "$WORKP"}, "status": 301, "headers": {"Location": "$H_URL$WORKP"}}]
EOF
run downgrade-j0 journal --json
hmark=$(log_lines "$TMP/H.log")
smark=$(log_lines "$TMP/S.log")
run downgrade sync sec --config "$CONF" --json
t "https redirected to http: exits 1" expect_rc downgrade 1
t "https redirected to http: sec/Work failed naming both addresses; sec/Personal unchanged" json "$TMP/downgrade.out" "$SYNCPY
w = cal(d, 'sec/Work')
assert w['status'] == 'failed', w['status']
assert '$S_URL$WORKP' in w['error'] and 'redirected to $H_URL$WORKP: refused' in w['error'], w['error']
assert 'plain http' in w['error'], w['error']
unchanged(d, 'sec/Personal', 2)
"
t "https redirected to http: S did redirect (the fault happened)" \
  bash -c "tail -n +$((smark + 1)) '$TMP/S.log' | grep -q '\"status\": 301'"
t "https redirected to http: nothing was sent to the http address" \
  lines_between "$TMP/H.log" "$hmark" 0 0
t "https redirected to http: refused at once (under 5 s)" within downgrade 5
run downgrade-j1 journal --json
t "https redirected to http: nothing journalled" cmp "$TMP/downgrade-j0.out" "$TMP/downgrade-j1.out"
sec_script <<<'[]'
run downgrade-after sync sec --config "$CONF" --json
t "https redirected to http: without the redirect, the next sync takes the new event" \
  json "$TMP/downgrade-after.out" "$SYNCPY
synced(d, 'sec/Work', 1, 0, 0, 0, $objects)
"

t "the password appears in no output" bash -c "! grep -lF -- '$PASSWORD' '$TMP'/*.out '$TMP'/*.err"

finish
