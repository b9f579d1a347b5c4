# Servers for the CalDAV tests, each on 127.0.0.1 on a free port with its
# storage under $TMP, stopped when the test ends (lib.sh's at_exit):
#   start_radicale [USER PASSWORD]...   RADICALE_URL, RADICALE_LOG, RADICALE_STORAGE
#   start_xandikos                      XANDIKOS_URL, XANDIKOS_LOG, XANDIKOS_ROOT
#   start_responder NAME [HOST]         NAME_URL, NAME_PORT; script $TMP/NAME.json,
#                                       log $TMP/NAME.log (tests/tools/responder.py)
# and what another CalDAV client would do, with curl: dav_mkcalendar,
# dav_put, dav_delete, dav_get, dav_proppatch, dav_hrefs; iCalendar text:
# ics_object, ics_event, split_ics, dav_put_dir; seeding many events: gen_events,
# seed_radicale, radicale_warm.
#
# Source it after lib.sh.  Every helper that can fail prints why on stdout
# and returns non-zero, so it can be used with t().
# Its variables are used by the test files that source it.
# shellcheck disable=SC2034,SC2016
RESPONDER=tests/tools/responder.py
CALDAV_DATA=tests/data/caldav
# Seconds a server may take to answer its first request.
SERVER_START_TIMEOUT=${SERVER_START_TIMEOUT:-30}

# Loopback only: no proxy may stand between diaryd (or curl) and the servers.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,127.0.0.2,localhost NO_PROXY=127.0.0.1,127.0.0.2,localhost

# Radicale writes and fsyncs a cache file per item; on a busy disk the first
# listing of 5,000 items then takes a minute instead of seconds.  Its storage
# goes to tmpfs when there is one.
if [ -d /dev/shm ] && [ -w /dev/shm ] && RADICALE_ROOT=$(mktemp -d /dev/shm/diaryd-radicale.XXXXXX 2>/dev/null); then
  at_exit "rm -rf '$RADICALE_ROOT'"
else
  RADICALE_ROOT=$TMP/radicale
fi
RADICALE_STORAGE=$RADICALE_ROOT/collections
RADICALE_LOG=$TMP/radicale.log
RADICALE_URL=
XANDIKOS_ROOT=$TMP/xandikos
XANDIKOS_LOG=$TMP/xandikos.log
XANDIKOS_URL=
# user:password that the dav_* helpers send (start_radicale sets its first user).
DAV_AUTH=

# _not_in_subshell WHAT: a server started in a subshell would outlive the test.
_not_in_subshell() {
  [ "$BASH_SUBSHELL" -eq 0 ] && return 0
  echo "$1 was called in a subshell (through t or \$(...)): call it directly or through setup"
  return 1
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL PID: until something answers HTTP at URL (any status), while
# PID lives, for at most SERVER_START_TIMEOUT seconds.
wait_http() {
  local url=$1 pid=$2 code deadline
  deadline=$(($(date +%s) + SERVER_START_TIMEOUT))
  while [ "$(date +%s)" -le "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$url" 2>/dev/null)
    [ -n "$code" ] && [ "$code" != 000 ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- Radicale ------------------------------------------------------------------

# start_radicale [USER PASSWORD]...: Radicale with htpasswd (plain) users, or
# with no authentication when none are given.  Storage $RADICALE_STORAGE
# (seed it before or after), log $RADICALE_LOG (level info: one line per
# request, "Failed login attempt" per refused password).
start_radicale() {
  local conf=$RADICALE_ROOT/radicale.conf users=$RADICALE_ROOT/htpasswd auth port pid try
  _not_in_subshell start_radicale || return 1
  mkdir -p "$RADICALE_STORAGE"
  : >"$users"
  if [ $# -ge 2 ]; then
    auth=htpasswd
    DAV_AUTH="$1:$2"
  else
    auth=none
    DAV_AUTH=
  fi
  while [ $# -ge 2 ]; do
    printf '%s:%s\n' "$1" "$2" >>"$users"
    shift 2
  done
  for try in 1 2 3 4 5; do
    port=$(free_port) || return 1
    cat >"$conf" <<EOF
[server]
hosts = 127.0.0.1:$port
max_connections = 20
timeout = 60
[auth]
type = $auth
htpasswd_filename = $users
htpasswd_encryption = plain
delay = 0.05
[rights]
type = owner_only
[storage]
filesystem_folder = $RADICALE_STORAGE
[web]
type = none
[logging]
level = info
mask_passwords = True
EOF
    echo "---- radicale on port $port (attempt $try)" >>"$RADICALE_LOG"
    radicale --config "$conf" >>"$RADICALE_LOG" 2>&1 &
    pid=$!
    if wait_http "http://127.0.0.1:$port/" "$pid"; then
      RADICALE_PID=$pid
      RADICALE_PORT=$port
      RADICALE_URL=http://127.0.0.1:$port/
      at_exit "stop_pid $pid"
      return 0
    fi
    stop_pid "$pid"
    tail -3 "$RADICALE_LOG" | grep -qi 'address already in use' || break
  done
  echo "radicale did not start (is the Debian package radicale installed?); its log:"
  tail -20 "$RADICALE_LOG"
  return 1
}

stop_radicale() {
  [ -n "${RADICALE_PID:-}" ] && stop_pid "$RADICALE_PID"
  RADICALE_PID=
}

# radicale_dir USER CAL: the folder of a collection in Radicale's storage.
radicale_dir() { printf '%s/collection-root/%s/%s\n' "$RADICALE_STORAGE" "$1" "$2"; }

# radicale_forget_tokens USER CAL: removes the collection's sync-token cache,
# so the next sync-collection with an old token is refused (403
# DAV:valid-sync-token) -- Radicale only looks the token up when the
# collection changed since.
radicale_forget_tokens() { rm -rf "$(radicale_dir "$1" "$2")/.Radicale.cache/sync-token"; }

# log_lines FILE: how many lines FILE has now (a mark for log_since).
log_lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# log_since FILE MARK: the lines after the first MARK.
log_since() { tail -n +"$(($2 + 1))" "$1"; }

# ---- Xandikos ------------------------------------------------------------------

# start_xandikos: Xandikos (no authentication) serving $XANDIKOS_ROOT, with
# its default principal /user/, calendar home /user/calendars/ and a calendar
# /user/calendars/calendar/ (display name "calendar").
start_xandikos() {
  local port pid try
  _not_in_subshell start_xandikos || return 1
  mkdir -p "$XANDIKOS_ROOT"
  for try in 1 2 3 4 5; do
    port=$(free_port) || return 1
    echo "---- xandikos on port $port (attempt $try)" >>"$XANDIKOS_LOG"
    xandikos -d "$XANDIKOS_ROOT" --defaults -l 127.0.0.1 -p "$port" >>"$XANDIKOS_LOG" 2>&1 &
    pid=$!
    if wait_http "http://127.0.0.1:$port/" "$pid"; then
      XANDIKOS_PID=$pid
      XANDIKOS_PORT=$port
      XANDIKOS_URL=http://127.0.0.1:$port/
      at_exit "stop_pid $pid"
      return 0
    fi
    stop_pid "$pid"
    tail -5 "$XANDIKOS_LOG" | grep -qi 'address already in use' || break
  done
  echo "xandikos did not start (is the Debian package xandikos installed?); its log:"
  tail -20 "$XANDIKOS_LOG"
  return 1
}

# ---- the responder ---------------------------------------------------------------

# start_responder NAME [HOST]: tests/tools/responder.py on HOST (127.0.0.1)
# with the script $TMP/NAME.json (re-read when it changes: see
# responder_script), request log $TMP/NAME.log, outcome log $TMP/NAME.sent.
# Sets NAME_URL (http://HOST:PORT, no trailing slash) and NAME_PORT.
start_responder() {
  local name=$1 host=${2:-127.0.0.1} pid i
  _not_in_subshell start_responder || return 1
  [ -f "$TMP/$name.json" ] || echo '{"rules": []}' >"$TMP/$name.json"
  rm -f "$TMP/$name.port"
  "$PY" "$RESPONDER" --script "$TMP/$name.json" --log "$TMP/$name.log" --sent-log "$TMP/$name.sent" \
    --host "$host" --port-file "$TMP/$name.port" >/dev/null 2>>"$TMP/$name.stderr" &
  pid=$!
  at_exit "stop_pid $pid"
  for ((i = 0; i < 100; i++)); do
    [ -s "$TMP/$name.port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ ! -s "$TMP/$name.port" ]; then
    echo "the responder $name did not start:"
    cat "$TMP/$name.stderr"
    return 1
  fi
  printf -v "${name}_PORT" '%s' "$(cat "$TMP/$name.port")"
  printf -v "${name}_URL" 'http://%s:%s' "$host" "$(cat "$TMP/$name.port")"
  printf -v "${name}_PID" '%s' "$pid"
}

# responder_script NAME: the JSON script on stdin becomes NAME's script
# (checked, then swapped in by rename, so no request sees half of it).
responder_script() {
  local name=$1
  cat >"$TMP/$name.json.new"
  if ! "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/$name.json.new"; then
    echo "responder_script $name: not valid JSON"
    return 1
  fi
  mv -f "$TMP/$name.json.new" "$TMP/$name.json"
}

# account_script NAME [VAR=VALUE...]: responder NAME becomes the scripted
# CalDAV account of $CALDAV_DATA/discovery.json: the rules on stdin (a JSON
# list, first) and then its own, with the current WORK_DIR, PERSONAL_DIR,
# WORK_TOKEN and PERSONAL_TOKEN and the given vars (later ones win).
account_script() {
  local name=$1 rules
  shift
  rules=$(cat)
  "$PY" - "$rules" "$PWD/$CALDAV_DATA/discovery.json" "WORK_DIR=${WORK_DIR:-}" "PERSONAL_DIR=${PERSONAL_DIR:-}" \
    "WORK_TOKEN=${WORK_TOKEN:-}" "PERSONAL_TOKEN=${PERSONAL_TOKEN:-}" "$@" <<'PYEOF' | responder_script "$name"
import json, sys
rules = json.loads(sys.argv[1] or "[]")
variables = dict(a.split("=", 1) for a in sys.argv[3:])
print(json.dumps({"include": [sys.argv[2]], "vars": variables, "rules": rules}, indent=1))
PYEOF
}

# Python helpers for the request logs of that account (for json()).
REQPY_ACCOUNT='
import urllib.parse
WORKP = "/dav/calendars/sam/work/"
def reports(d, path=WORKP, kind="sync-collection"):
    out = []
    for r in d["reqs"]:
        if r["method"] == "REPORT" and r["path"].split("?")[0] == path and kind in r["body"][:400]:
            out.append(r)
    return out
def token_of(r):
    m = re.search(r"<(?:[\w.-]+:)?sync-token(?:\s[^>]*)?(?:/>|>(.*?)</)", r["body"], re.S)
    return (m.group(1) or "").strip() if m else ""
'

# responder_requests NAME MARK OUT: the requests NAME logged after line MARK
# (see log_lines), with what was sent for each, as one JSON document in OUT:
# {"reqs": [{"n", "t", "method", "path", "headers", "body", "status",
# "sent_bytes", "complete"}, ...]} for json().
responder_requests() {
  "$PY" - "$TMP/$1.log" "$2" "$TMP/$1.sent" >"$3" <<'PYEOF'
import json, sys
log, mark, sent_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
reqs = [json.loads(l) for l in open(log, encoding="utf-8").read().splitlines()[mark:] if l.strip()]
sent = {}
try:
    for l in open(sent_path, encoding="utf-8"):
        if l.strip():
            o = json.loads(l)
            sent[o["n"]] = o
except OSError:
    pass
for r in reqs:
    s = sent.get(r["n"], {})
    r["sent_bytes"] = s.get("bytes")
    r["complete"] = s.get("complete")
json.dump({"reqs": reqs}, sys.stdout)
PYEOF
}

# ---- what another client would do --------------------------------------------------

# dav METHOD URL [CURL ARGS...]: one request with $DAV_AUTH; the body lands in
# $TMP/dav.body, the status in DAV_STATUS.  Returns 0 on 2xx; otherwise
# prints the method, URL, status and body and returns 1.
dav() {
  local method=$1 url=$2 auth=()
  shift 2
  [ -n "$DAV_AUTH" ] && auth=(--user "$DAV_AUTH")
  DAV_STATUS=$(curl -sS --max-time 120 -o "$TMP/dav.body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$url" 2>&1)
  case $DAV_STATUS in
  2??) return 0 ;;
  esac
  echo "$method $url: HTTP $DAV_STATUS"
  head -c 1500 "$TMP/dav.body" 2>/dev/null
  return 1
}

# dav_mkcalendar URL [DISPLAYNAME [COLOR]]: the colour is set afterwards by
# PROPPATCH (Xandikos ignores it in MKCALENDAR).
dav_mkcalendar() {
  local url=$1
  if [ $# -ge 2 ]; then
    dav MKCALENDAR "$url" -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><C:mkcalendar xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop><D:displayname>$2</D:displayname></D:prop></D:set></C:mkcalendar>" ||
      return 1
  else
    dav MKCALENDAR "$url" || return 1
  fi
  [ $# -lt 3 ] || dav_proppatch "$url" "<I:calendar-color>$3</I:calendar-color>"
}

# dav_proppatch URL PROPS: sets the properties (XML, prefixes D: DAV:,
# C: CalDAV, I: Apple iCal, CS: CalendarServer).
dav_proppatch() {
  dav PROPPATCH "$1" -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><D:propertyupdate xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:I=\"http://apple.com/ns/ical/\" xmlns:CS=\"http://calendarserver.org/ns/\"><D:set><D:prop>$2</D:prop></D:set></D:propertyupdate>" \
    || return 1
  # A PROPPATCH answers 207 even when a property was refused.
  if grep -Eq '<([A-Za-z0-9]+:)?status>HTTP/1.1 [45]' "$TMP/dav.body"; then
    echo "PROPPATCH $1 refused a property:"
    cat "$TMP/dav.body"
    return 1
  fi
}

# dav_put URL FILE|TEXT: PUT as text/calendar.
dav_put() {
  if [ -f "$2" ]; then
    dav PUT "$1" -H 'Content-Type: text/calendar; charset=utf-8' --data-binary "@$2"
  else
    printf '%s' "$2" | dav PUT "$1" -H 'Content-Type: text/calendar; charset=utf-8' --data-binary @-
  fi
}

dav_delete() { dav DELETE "$1"; }

# dav_get URL: the body on stdout.
dav_get() { dav GET "$1" && cat "$TMP/dav.body"; }

# dav_hrefs URL: the hrefs (one a line, sorted, percent-decoded) of the
# objects in a collection, by PROPFIND Depth 1.
dav_hrefs() {
  dav PROPFIND "$1" -H 'Depth: 1' -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
    '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>' \
    || return 1
  "$PY" - "$TMP/dav.body" "$1" <<'PYEOF'
import sys, urllib.parse
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
base = urllib.parse.unquote(urllib.parse.urlsplit(sys.argv[2]).path)
out = []
for resp in root.iter("{DAV:}response"):
    href = urllib.parse.unquote(urllib.parse.urlsplit(resp.findtext("{DAV:}href").strip()).path)
    if href.rstrip("/") == base.rstrip("/") or resp.find(".//{DAV:}resourcetype/{DAV:}collection") is not None:
        continue
    out.append(href)
print("\n".join(sorted(out)))
PYEOF
}

# ---- iCalendar text -------------------------------------------------------------------

# ics_object: a VCALENDAR (CRLF line ends) around the lines read from stdin.
ics_object() {
  {
    printf 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//diaryd tests//caldav//EN\n'
    cat
    printf 'END:VCALENDAR\n'
  } | sed 's/\r$//; s/$/\r/'
}

# ics_event UID START END SUMMARY [LINE...]: one event object; START and END
# are UTC (20261207T090000Z); each LINE (e.g. LOCATION:Room 2) is added.
ics_event() {
  local uid=$1 start=$2 end=$3 summary=$4
  shift 4
  {
    printf 'BEGIN:VEVENT\nUID:%s\nDTSTAMP:20261101T090000Z\nDTSTART:%s\nDTEND:%s\nSUMMARY:%s\n' \
      "$uid" "$start" "$end" "$summary"
    [ $# -eq 0 ] || printf '%s\n' "$@"
    printf 'END:VEVENT\n'
  } | ics_object
}

# split_ics FILE DIR: writes each UID of an .ics file as an object of its own
# (its VTIMEZONEs copied along, CRLF line ends) to DIR/NAME.ics, NAME being the
# UID with anything but letters, digits, '.', '_' and '-' made '_'.  Commas
# in SUMMARY, LOCATION, DESCRIPTION and COMMENT are escaped as RFC 5545 wants
# (Radicale's parser keeps only the text before an unescaped one).
split_ics() {
  mkdir -p "$2" || return 1
  "$PY" - "$1" "$2" <<'PYEOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n")
zones, objects, order, cur = [], {}, [], None
for line in text.split("\n"):
    if cur is None:
        if line in ("BEGIN:VTIMEZONE", "BEGIN:VEVENT", "BEGIN:VTODO", "BEGIN:VJOURNAL"):
            cur = [line]
        continue
    cur.append(line)
    if line == "END:" + cur[0][6:]:
        if cur[0] == "BEGIN:VTIMEZONE":
            zones.append(cur)
        else:
            uid = next(l[4:] for l in cur if l.startswith("UID:"))
            if uid not in objects:
                objects[uid] = []
                order.append(uid)
            objects[uid].extend(cur)
        cur = None
for uid in order:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", uid) + ".ics"
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diaryd tests//caldav//EN"]
    for z in zones:
        body += z
    for line in objects[uid]:
        m = re.match(r"((?:SUMMARY|LOCATION|DESCRIPTION|COMMENT)(?:;[^:]*)?:)(.*)$", line)
        body.append(m.group(1) + re.sub(r"(?<!\\),", r"\\,", m.group(2)) if m else line)
    body += ["END:VCALENDAR", ""]
    with open(sys.argv[2] + "/" + name, "w", encoding="utf-8", newline="") as fh:
        fh.write("\r\n".join(body))
PYEOF
}

# ics_set FILE WHICH LINE: in the component of FILE chosen by WHICH (MASTER,
# or text found in its RECURRENCE-ID line), the property named by LINE (e.g.
# "LOCATION:Room 5", "DTSTART;TZID=Europe/London:20261209T081500") gets that
# line instead of its own (added when it has none).  LINE "-NAME" removes
# NAME.  CRLF line ends are kept.
ics_set() {
  "$PY" - "$@" <<'PYEOF'
import re, sys
path, which, line = sys.argv[1:4]
text = open(path, encoding="utf-8", newline="").read()
lines = []
for l in text.replace("\r\n", "\n").rstrip("\n").split("\n"):
    if l[:1] in (" ", "\t") and lines:
        lines[-1] += l[1:]  # unfolded; written back unfolded
    else:
        lines.append(l)
remove = line.startswith("-")
name = (line[1:] if remove else re.split(r"[;:]", line, 1)[0]).upper()
blocks, start = [], None
for i, l in enumerate(lines):
    if l in ("BEGIN:VEVENT", "BEGIN:VTODO") and start is None:
        start = i
    elif l in ("END:VEVENT", "END:VTODO") and start is not None:
        blocks.append((start, i))
        start = None
def rid_line(b, e):
    return next((l for l in lines[b:e] if l.upper().startswith("RECURRENCE-ID")), None)
target = [(b, e) for b, e in blocks
          if (rid_line(b, e) is None if which == "MASTER" else which in (rid_line(b, e) or ""))]
if len(target) != 1:
    sys.exit("ics_set: %d components of %s match %r" % (len(target), path, which))
b, e = target[0]
body = [l for l in lines[b + 1:e] if re.split(r"[;:]", l, 1)[0].upper() != name]
if not remove:
    body.append(line)
lines[b + 1:e] = body
open(path, "w", encoding="utf-8", newline="").write("\r\n".join(lines) + "\r\n")
PYEOF
}

# dav_put_dir COLLECTION_URL DIR: PUTs every DIR/*.ics under its file name;
# prints how many.
dav_put_dir() {
  local f n=0
  for f in "$2"/*.ics; do
    [ -f "$f" ] || continue
    dav_put "${1%/}/$(basename "$f")" "$f" || return 1
    n=$((n + 1))
  done
  echo "$n"
}

# ---- many events -----------------------------------------------------------------------

# gen_events DIR N [PREFIX]: N event objects as files DIR/PREFIX-00000.ics...
# (UID PREFIX-00000@diaryd.test), 10 minutes each, one every 15 minutes from
# Monday 7 December 2026 08:00 UTC: no two overlap.
gen_events() {
  "$PY" - "$1" "$2" "${3:-seed}" <<'PYEOF'
import datetime, os, sys
folder, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(folder, exist_ok=True)
t0 = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.timezone.utc)
fmt = "%Y%m%dT%H%M%SZ"
for i in range(n):
    start = t0 + datetime.timedelta(minutes=15 * i)
    end = start + datetime.timedelta(minutes=10)
    name = "%s-%05d" % (prefix, i)
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//seed//EN\r\n"
            "BEGIN:VEVENT\r\nUID:%s@diaryd.test\r\nDTSTAMP:20261101T090000Z\r\n"
            "CREATED:20261101T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Seeded appointment %d\r\n"
            "LOCATION:Room %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") % (
        name, start.strftime(fmt), end.strftime(fmt), i, i % 7 + 1)
    with open(os.path.join(folder, name + ".ics"), "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
PYEOF
}

# seed_radicale USER CAL N [DISPLAYNAME]: a calendar collection with N events
# (gen_events), written straight into Radicale's storage -- what Radicale
# itself would write, minus its caches, which it rebuilds.  Works before
# start_radicale or while it runs.
seed_radicale() {
  local dir
  dir=$(radicale_dir "$1" "$2")
  mkdir -p "$dir" || return 1
  printf '{"D:displayname": "%s", "tag": "VCALENDAR"}' "${4:-$2}" >"$dir/.Radicale.props"
  gen_events "$dir" "$3" "${2}"
}

# radicale_warm URL: one sync-collection REPORT on the collection, so that
# Radicale parses and caches every item now rather than during the test's
# first sync.
radicale_warm() {
  dav REPORT "$1" -H 'Depth: 1' -H 'Content-Type: application/xml; charset=utf-8' --data-binary \
    '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>'
}

# ---- the config --------------------------------------------------------------------

# write_config [FILE]: the config (stdin) into FILE (default: diaryd's
# default path under $XDG_CONFIG_HOME), mode 0600.
write_config() {
  local file=${1:-$XDG_CONFIG_HOME/diaryd/config}
  mkdir -p "$(dirname "$file")"
  (umask 077 && cat >"$file")
  chmod 600 "$file"
}

# ---- diaryd's sync output -----------------------------------------------------------

# counts_re ADDED MODIFIED REMOVED BAD OBJECTS: what a sync line says after
# "LABEL: " when the calendar changed (", 0 bad" may be left out).
counts_re() {
  local bad=", $4 bad"
  [ "$4" = 0 ] && bad="(, 0 bad)?"
  printf '%s added, %s modified, %s removed%s \\(%s objects\\) in [0-9]+(\\.[0-9]+)? s' "$1" "$2" "$3" "$bad" "$5"
}
# unchanged_re OBJECTS
unchanged_re() { printf 'unchanged \\(%s objects\\) in [0-9]+(\\.[0-9]+)? s' "$1"; }

# sync_line NAME LABEL ERE: exactly one stdout line of run NAME is about the
# calendar LABEL (ACCOUNT/CALENDAR), and it matches "^LABEL: ERE".
sync_line() {
  local name=$1 label=$2 ere=$3 lines n
  lines=$(awk -v p="$label: " 'index($0, p) == 1' "$TMP/$name.out")
  n=$(printf '%s' "$lines" | grep -c '^')
  if [ "$n" != 1 ]; then
    echo "expected one stdout line for $label, got $n; stdout:"
    cat "$TMP/$name.out"
    echo "stderr:"
    head -c 1500 "$TMP/$name.err"
    return 1
  fi
  local qlabel
  qlabel=$(printf '%s' "$label" | sed 's/[][\.*^$(){}+?|/]/\\&/g')
  printf '%s\n' "$lines" | grep -Eq -- "^$qlabel: $ere" && return 0
  echo "the line for $label does not match /^$label: $ere/:"
  echo "$lines"
  return 1
}

# no_line NAME LABEL: no stdout line of run NAME is about LABEL.
no_line() {
  awk -v p="$2: " 'index($0, p) == 1 { bad = 1 } END { exit bad }' "$TMP/$1.out" && return 0
  echo "stdout has a line for $2:"
  cat "$TMP/$1.out"
  return 1
}

# SYNCPY: Python helpers for json() on the output of sync --json, journal
# --json and discover --json; put it before the assertions:
#   json "$TMP/s.out" "$SYNCPY
#   c = cal(d, \"work/Personal\") ..."
SYNCPY='
def labels(d):
    return sorted("%s/%s" % (c.get("account"), c.get("calendar")) for c in d["calendars"])

def cal(d, label):
    """The one calendar ACCOUNT/CALENDAR of sync --json output."""
    acct, name = label.split("/", 1)
    got = [c for c in d["calendars"] if c.get("account") == acct and c.get("calendar") == name]
    assert len(got) == 1, "expected one calendar %s, got %d; the output lists: %s" % (
        label, len(got), ", ".join(labels(d)) or "no calendar")
    return got[0]

def counts(c):
    """(added, modified, removed, bad, objects)"""
    return (c["added"], c["modified"], c["removed"], c["bad"], c["objects"])

SYNC_KEYS = {"account", "calendar", "url", "status", "added", "modified", "removed", "bad", "objects",
             "method", "seconds", "error", "problems"}

def shape(d):
    """Every calendar of sync --json output has the documented fields."""
    assert isinstance(d.get("calendars"), list), "no calendars list: %r" % (d,)
    for c in d["calendars"]:
        missing = SYNC_KEYS - set(c)
        assert not missing, "calendar %r lacks %s" % (c.get("calendar"), sorted(missing))
        assert c["status"] in ("synced", "unchanged", "failed"), c["status"]
        for k in ("added", "modified", "removed", "bad", "objects"):
            assert isinstance(c[k], int) and c[k] >= 0, (k, c[k])
        assert isinstance(c["seconds"], (int, float)) and c["seconds"] >= 0, c["seconds"]
        assert isinstance(c["problems"], list), c["problems"]
        assert c["bad"] == len(c["problems"]), ("bad", c["bad"], c["problems"])
        if c["status"] == "failed":
            assert isinstance(c["error"], str) and c["error"], c
        else:
            assert c["error"] is None, c["error"]
            assert c["method"] in ("sync-collection", "calendar-query"), c["method"]
            assert c["url"].startswith("http://") and c["url"].endswith("/"), c["url"]
        if c["status"] == "unchanged":
            assert (c["added"], c["modified"], c["removed"], c["bad"]) == (0, 0, 0, 0), c

def synced(d, label, added, modified, removed, bad, objects, method=None):
    c = cal(d, label)
    assert c["status"] == "synced", "%s: status %s (error: %s)" % (label, c["status"], c.get("error"))
    assert counts(c) == (added, modified, removed, bad, objects), \
        "%s: (added, modified, removed, bad, objects) = %r, expected %r" % (
            label, counts(c), (added, modified, removed, bad, objects))
    if method:
        assert c["method"] == method, (label, c["method"])
    return c

def unchanged(d, label, objects):
    c = cal(d, label)
    assert c["status"] == "unchanged", "%s: status %s, counts %r (error: %s)" % (
        label, c["status"], counts(c), c.get("error"))
    assert c["objects"] == objects, "%s: %d objects, expected %d" % (label, c["objects"], objects)
    return c

def row(r):
    """A journal row as (ACCOUNT/CALENDAR, kind, uid, recurrence_id, fields)."""
    f = r.get("fields") or []
    return ("%s/%s" % (r["account"], r["calendar"]), r["kind"], r["uid"], r["recurrence_id"],
            ",".join(f) if r["kind"] == "modified" else "")

def journal_shape(d):
    assert isinstance(d.get("changes"), list), "no changes list: %r" % (d,)
    seqs = [r["seq"] for r in d["changes"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "seq not increasing: %r" % seqs
    for r in d["changes"]:
        for k in ("seq", "account", "calendar", "href", "kind", "uid", "recurrence_id", "fields", "baseline"):
            assert k in r, "journal row without %s: %r" % (k, r)
        assert r["kind"] in ("added", "modified", "removed"), r
        assert isinstance(r["baseline"], bool), r
        if r["kind"] == "modified":
            assert r["fields"] and r["fields"] == sorted(r["fields"]), "fields of a modification: %r" % (r,)

def journal_is(d, want, after=0):
    """The journal rows after seq `after` are exactly `want` (tuples as from
    row(), in any order)."""
    journal_shape(d)
    got = sorted((row(r) for r in d["changes"] if r["seq"] > after), key=repr)
    want = sorted(want, key=repr)
    if got != want:
        extra = [g for g in got if g not in want]
        missing = [w for w in want if w not in got]
        raise AssertionError("journal after seq %d differs: missing %s; unexpected %s" % (after, missing, extra))

def last_seq(d):
    return max([r["seq"] for r in d["changes"]] or [0])
'

# jget FILE EXPR: prints the Python expression EXPR, with d bound to the JSON
# document in FILE (empty output when that fails).
jget() {
  "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# both NAME: stdout and stderr of a run, in $TMP/NAME.all.
both() { cat "$TMP/$1.out" "$TMP/$1.err" >"$TMP/$1.all"; }

# require_servers [radicale] [xandikos] [vdirsyncer]: fails the test file
# early (a missing tool is a failure) when what it needs is not installed.
require_servers() {
  local problem='' what
  command -v curl >/dev/null || problem="curl is missing (apt-get install curl)"
  for what in "$@"; do
    [ -n "$problem" ] && break
    command -v "$what" >/dev/null || problem="$what is missing (apt-get install $what)"
  done
  [ -n "$problem" ] || [ -f "$RESPONDER" ] || problem="$RESPONDER is missing"
  if [ -n "$problem" ]; then
    fail "test prerequisites" "$problem"
    finish
  fi
}
