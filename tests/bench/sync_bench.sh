#!/usr/bin/env bash
# CalDAV sync benchmark: diaryd sync against vdirsyncer and against the raw
# requests a sync needs (curl), in the same run, on the same Radicale calendar
# of 10,000 generated events served on 127.0.0.1.  Run from anywhere; called
# at the end of tests/bench/run.sh (make bench).
#
# Radicale (Debian package, run with /usr/bin/python3) is started here with its
# storage in a temp dir.  The calendar is written straight into Radicale's
# filesystem storage by sync_seed.py; Radicale's item cache for it is built once
# (about a minute) and the warmed storage kept in tests/bench/out/ for later
# runs, so every run starts from the same warm server, as a long-running one is.
#
# Prints a Markdown report and writes it to tests/bench/out/sync.txt.  Exits 0
# only if every measurement ran and every target passed; 2 if `diaryd sync` is
# not available yet (parts 1-2 still run), 1 on any other failure or a missed
# target.
#
# Environment: SYNC_BENCH_EVENTS (10000), SYNC_BENCH_REPS (5: fast commands),
# SYNC_BENCH_VD_INITIAL_REPS (3), SYNC_BENCH_VD_NOOP_REPS (2) and
# SYNC_BENCH_VD_CHANGE_REPS (1): vdirsyncer runs, 20-100 s each here, no more
# repetitions once SYNC_BENCH_VD_BUDGET (80) seconds have gone on one kind;
# SYNC_BENCH_SLOW_REPS (1: PROPFIND Depth 1, 20-35 s each); SYNC_BENCH_KEEP=1
# keeps the temp dir; SYNC_BENCH_DIARYD picks another diaryd binary.  About 4-5
# minutes in all (plus about a minute, once, to seed and warm the calendar).
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=/usr/bin/python3
BENCH=tests/bench
OUT=$BENCH/out
N=${SYNC_BENCH_EVENTS:-10000}
REPS=${SYNC_BENCH_REPS:-5}
VD_INITIAL_REPS=${SYNC_BENCH_VD_INITIAL_REPS:-3}
VD_NOOP_REPS=${SYNC_BENCH_VD_NOOP_REPS:-2}
VD_CHANGE_REPS=${SYNC_BENCH_VD_CHANGE_REPS:-1}
VD_BUDGET=${SYNC_BENCH_VD_BUDGET:-80}
SLOW_REPS=${SYNC_BENCH_SLOW_REPS:-1}
SEED=1
DAV_USER=bench
DAV_PASS=bench-secret
DIARYD=${SYNC_BENCH_DIARYD:-$PWD/build/diaryd}

for tool in /usr/bin/time curl vdirsyncer timeout; do
  command -v "$tool" > /dev/null || { echo "sync_bench.sh: $tool is missing" >&2; exit 1; }
done
"$PY" -c 'import radicale' 2> /dev/null || { echo "sync_bench.sh: radicale is missing (Debian package radicale)" >&2; exit 1; }
RADICALE_VERSION=$("$PY" -c 'import radicale; print(radicale.VERSION)')
VDIRSYNCER_VERSION=$(vdirsyncer --version 2>&1 | awk '{print $NF}')

mkdir -p "$OUT"
T=$(mktemp -d "${TMPDIR:-/tmp}/diaryd-syncbench.XXXXXX")
RES=$T/results.tsv     # name rep t0 t1 rss_kb exit note
FACTS=$T/facts.txt     # key<TAB>value
: > "$RES"; : > "$FACTS"
RADICALE_PID=

cleanup() {
  if [[ -n $RADICALE_PID ]]; then
    kill "$RADICALE_PID" 2> /dev/null || true
    wait "$RADICALE_PID" 2> /dev/null || true
  fi
  if [[ ${SYNC_BENCH_KEEP:-0} == 1 ]]; then
    echo "sync_bench.sh: kept $T" >&2
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT

fact() { printf '%s\t%s\n' "$1" "$2" >> "$FACTS"; }
say() { echo "sync_bench: $*" >&2; }

# ---- Radicale ------------------------------------------------------------------

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_radicale STORAGE_FOLDER: starts Radicale on a free port, sets PORT and URL.
start_radicale() {
  PORT=$(free_port)
  printf '%s:%s\n' "$DAV_USER" "$DAV_PASS" > "$T/users"
  cat > "$T/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$PORT
ssl = False
[auth]
type = htpasswd
htpasswd_filename = $T/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $1
[web]
type = none
[logging]
level = warning
EOF
  "$PY" -m radicale --config "$T/radicale.conf" >> "$T/radicale.log" 2>&1 &
  RADICALE_PID=$!
  URL=http://127.0.0.1:$PORT/$DAV_USER/cal/
  for _ in $(seq 100); do
    if curl -s -o /dev/null -u "$DAV_USER:$DAV_PASS" -X OPTIONS "$URL"; then
      return 0
    fi
    kill -0 "$RADICALE_PID" 2> /dev/null || break
    sleep 0.1
  done
  echo "sync_bench.sh: Radicale did not start; its log:" >&2
  cat "$T/radicale.log" >&2
  exit 1
}

stop_radicale() {
  kill "$RADICALE_PID" 2> /dev/null || true
  wait "$RADICALE_PID" 2> /dev/null || true
  RADICALE_PID=
}

# ---- the calendar: seeded once, warmed once, copied per run --------------------

PRISTINE=$OUT/sync-storage-$N
STAMP="$(cat "$BENCH/sync_seed.py" "$BENCH/gen_diary.py" | sha256sum | cut -c1-16) radicale-$RADICALE_VERSION n-$N seed-$SEED"
if [[ ! -d $PRISTINE || "$(cat "$PRISTINE.stamp" 2> /dev/null)" != "$STAMP" ]]; then
  rm -rf "$PRISTINE" "$PRISTINE.stamp" "$PRISTINE.tmp"
  say "seeding $N events into $PRISTINE (once)"
  "$PY" "$BENCH/sync_seed.py" --objects "$N" --seed "$SEED" "$PRISTINE.tmp" "$DAV_USER" cal > "$PRISTINE.tmp.seed"
  start_radicale "$PWD/$PRISTINE.tmp"
  say "warming Radicale's item cache (once; Radicale parses every item, about a minute for 10,000)"
  t0=$EPOCHREALTIME
  curl -sS -f -o /dev/null -u "$DAV_USER:$DAV_PASS" -X PROPFIND -H 'Depth: 0' -H 'Content-Type: application/xml' \
    --data '<propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/><sync-token/></prop></propfind>' "$URL"
  t1=$EPOCHREALTIME
  stop_radicale
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' > "$PRISTINE.tmp.cold"
  mv "$PRISTINE.tmp.seed" "$PRISTINE.seed"
  mv "$PRISTINE.tmp.cold" "$PRISTINE.cold"
  mv "$PRISTINE.tmp" "$PRISTINE"
  echo "$STAMP" > "$PRISTINE.stamp"
fi
fact seed "$(cat "$PRISTINE.seed")"
fact cold_first_request_s "$(cat "$PRISTINE.cold" 2> /dev/null || echo '?')"

say "copying the warmed storage to $T"
cp -a "$PRISTINE" "$T/storage"
start_radicale "$T/storage"
CAL=$T/storage/collection-root/$DAV_USER/cal
find "$CAL" -maxdepth 1 -type f -name '*.ics' -printf '%f\n' | sort > "$T/hrefs"
[[ $(wc -l < "$T/hrefs") -eq $N ]] || { echo "sync_bench.sh: expected $N items in $CAL" >&2; exit 1; }

# ---- measuring -----------------------------------------------------------------

# measure NAME REPS PREP CMD...: runs CMD REPS times under /usr/bin/time; PREP
# (a function taking the repetition number, or -) runs untimed before each.
# Records wall clock (bash's EPOCHREALTIME around the process), peak RSS, exit
# code and the last line of stdout (curl's -w figures, diaryd's summary).  With
# MEASURE_BUDGET=SECONDS, stops repeating once that much time has gone by.
measure() {
  local name=$1 reps=$2 prep=$3 i rc t0 t1 rss note start=$EPOCHREALTIME
  shift 3
  for ((i = 1; i <= reps; i++)); do
    if (( i > 1 )) && [[ -n ${MEASURE_BUDGET:-} ]] &&
       awk -v a="$start" -v b="$EPOCHREALTIME" -v m="$MEASURE_BUDGET" 'BEGIN { exit !(b - a >= m) }'; then
      say "$name: $((i - 1)) run(s) used the ${MEASURE_BUDGET} s budget; no more"
      break
    fi
    [[ $prep == - ]] || "$prep" "$i"
    rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %M' -o "$T/time.out" "$@" > "$T/cmd.out" 2> "$T/cmd.err" || rc=$?
    t1=$EPOCHREALTIME
    rss=$(tail -n 1 "$T/time.out" | awk '{print $2}')
    note=$(tail -n 1 "$T/cmd.out" | tr '\t\r' '  ' | cut -c1-300)
    printf '%s\t%d\t%s\t%s\t%s\t%d\t%s\n' "$name" "$i" "$t0" "$t1" "${rss:-0}" "$rc" "$note" >> "$RES"
    if (( rc != 0 )); then
      cp "$T/cmd.err" "$OUT/sync-$name.err"
      say "$name run $i exited with $rc (stderr in $OUT/sync-$name.err)"
    fi
  done
}

CURL=(curl -sS -u "$DAV_USER:$DAV_PASS" -o "$T/body" -H 'Content-Type: application/xml; charset=utf-8'
      -w '%{http_code} %{size_download} %{time_total} %{num_connects} %{http_version}\n')

xml_propfind0_ctag_token='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/><sync-token/></prop></propfind>'
xml_propfind0_token='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><sync-token/></prop></propfind>'
xml_propfind0_ctag='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/"><prop><CS:getctag/></prop></propfind>'
xml_propfind0_name='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><displayname/></prop></propfind>'
xml_propfind1_etag='<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
xml_cquery_data='<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><getetag/><C:calendar-data/></prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>'
xml_sync() {  # xml_sync TOKEN [calendar-data]
  printf '<?xml version="1.0" encoding="utf-8"?><sync-collection xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><sync-token>%s</sync-token><sync-level>1</sync-level><prop><getetag/>%s</prop></sync-collection>' \
    "$1" "${2:+<C:calendar-data/>}"
}
xml_multiget() {  # xml_multiget HREFS_FILE (bare names)
  printf '<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><getetag/><C:calendar-data/></prop>'
  sed "s|.*|<href>/$DAV_USER/cal/&</href>|" "$1"
  printf '</C:calendar-multiget>'
}
responses() { grep -o '<response>' "$1" | wc -l; }

# The current sync token (untimed).
current_token() {
  curl -sS -f -u "$DAV_USER:$DAV_PASS" -X PROPFIND -H 'Depth: 0' -H 'Content-Type: application/xml' \
    --data "$xml_propfind0_token" "$URL" | grep -o '<sync-token>[^<]*' | sed 's/<sync-token>//'
}

# server_change: one event edited on the server with a PUT, as another client
# would; a different event each time.  Sets CHANGED_HREF and CHANGE_MARK.
CHANGES=0
server_change() {
  CHANGES=$((CHANGES + 1))
  CHANGED_HREF=$(sed -n "$(( (CHANGES * 7919) % N + 1 ))p" "$T/hrefs")
  CHANGE_MARK="[edit $CHANGES]"
  sed "s/^SUMMARY:/SUMMARY:$CHANGE_MARK /" "$PRISTINE/collection-root/$DAV_USER/cal/$CHANGED_HREF" > "$T/changed.ics"
  local t0=$EPOCHREALTIME note
  note=$(curl -sS -u "$DAV_USER:$DAV_PASS" -o /dev/null -X PUT -H 'Content-Type: text/calendar; charset=utf-8' \
    --data-binary @"$T/changed.ics" -w '%{http_code} %{size_download} %{time_total} %{num_connects} %{http_version}' \
    "$URL$CHANGED_HREF")
  printf '%s\t%d\t%s\t%s\t0\t0\t%s\n' raw.put1 "$CHANGES" "$t0" "$EPOCHREALTIME" "$note" >> "$RES"
  case $note in 20[014]\ *) ;; *) echo "sync_bench.sh: PUT of $CHANGED_HREF failed: $note" >&2; exit 1 ;; esac
}

# ---- diaryd: available? --------------------------------------------------------------

DD_STATUS=available
if [[ ! -x $DIARYD ]]; then
  DD_STATUS="not available yet ($DIARYD is not built)"
elif ! "$DIARYD" sync --help > /dev/null 2>&1; then
  DD_STATUS="not available yet ($DIARYD has no sync command)"
fi
DD=$T/diaryd
mkdir -p "$DD/xdg/config" "$DD/xdg/state" "$DD/xdg/cache" "$DD/xdg/data" "$DD/db"
cat > "$DD/config" <<EOF2
[account bench]
url = $URL
username = $DAV_USER
password_command = printf %s $DAV_PASS
EOF2
DD_CMD=(env XDG_CONFIG_HOME="$DD/xdg/config" XDG_STATE_HOME="$DD/xdg/state" XDG_CACHE_HOME="$DD/xdg/cache"
        XDG_DATA_HOME="$DD/xdg/data" timeout 300 "$DIARYD" sync --db "$DD/db/diaryd.db" --config "$DD/config")
dd_ok() { [[ $DD_STATUS == available ]]; }
dd_fresh() { rm -rf "$DD/db"; mkdir -p "$DD/db"; }
# An untimed diaryd sync, so that the next timed one sees exactly one change.
dd_catch_up() {
  "${DD_CMD[@]}" > /dev/null 2> "$T/dd-catch-up.err" || {
    cp "$T/dd-catch-up.err" "$OUT/sync-dd.catch-up.err"
    printf '%s\t1\t0\t0\t0\t1\t%s\n' dd.catch-up "untimed catch-up sync failed" >> "$RES"
  }
}
fact load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 2. raw requests (curl): fixed costs and the whole calendar ---------------------

say "part 2: raw requests with curl"
measure raw.options "$REPS" - "${CURL[@]}" -X OPTIONS "$URL"
measure raw.propfind0.name "$REPS" - "${CURL[@]}" -X PROPFIND -H 'Depth: 0' --data "$xml_propfind0_name" "$URL"

# (c) reference: the whole calendar
measure raw.cquery.data 3 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data "$xml_cquery_data" "$URL"
fact cquery_responses "$(responses "$T/body")"
measure raw.cquery.data.gzip 3 - "${CURL[@]}" -H 'Accept-Encoding: gzip' -X REPORT -H 'Depth: 1' --data "$xml_cquery_data" "$URL"
measure raw.sync.notoken 3 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data "$(xml_sync '')" "$URL"
fact notoken_sync_responses "$(responses "$T/body")"
measure raw.sync.notoken.data 3 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data "$(xml_sync '' data)" "$URL"
fact notoken_data_sync_responses "$(responses "$T/body")"
head -n 500 "$T/hrefs" > "$T/hrefs500"
xml_multiget "$T/hrefs500" > "$T/multiget500.xml"
measure raw.multiget500 3 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data @"$T/multiget500.xml" "$URL"
fact multiget500_responses "$(responses "$T/body")"
say "PROPFIND Depth 1 of the whole calendar ($SLOW_REPS run(s); Radicale $RADICALE_VERSION takes ~20-30 s)"
measure raw.propfind1.etag "$SLOW_REPS" - "${CURL[@]}" -X PROPFIND -H 'Depth: 1' --data "$xml_propfind1_etag" "$URL"
fact propfind1_responses "$(responses "$T/body")"

# Protocol facts: a bad token, gzip, keep-alive.
printf '%s' "$(xml_sync 'http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000')" > "$T/badtoken.xml"
fact bad_token "$(curl -sS -u "$DAV_USER:$DAV_PASS" -X REPORT -H 'Depth: 1' -H 'Content-Type: application/xml' \
  --data @"$T/badtoken.xml" -w ' HTTP %{http_code}' "$URL" | tr -d '\n' | sed 's/<?xml[^>]*>//')"
fact gzip_header "$(curl -sS -o /dev/null -D - -u "$DAV_USER:$DAV_PASS" -H 'Accept-Encoding: gzip' -X PROPFIND -H 'Depth: 0' \
  --data "$xml_propfind0_name" "$URL" | tr -d '\r' | grep -i '^content-encoding' || echo 'no Content-Encoding')"
first_href=$(head -n 1 "$T/hrefs")
fact keepalive "$(curl -sv -o /dev/null -o /dev/null -u "$DAV_USER:$DAV_PASS" "$URL$first_href" "$URL$first_href" 2>&1 \
  | tr -d '\r' | grep -E '^< HTTP/|Closing connection|left intact|Re-using|^\* Connected' \
  | sed 's/ (#[0-9]*)//; s/ port [0-9]*//; s/ ([0-9.]*)//; s/^\* //; s/^< //' | sort | uniq -c | sed 's/^ *//' | paste -sd ';' - | sed 's/;/; /g')"
fact server_header "$(curl -sS -o /dev/null -D - -u "$DAV_USER:$DAV_PASS" -X OPTIONS "$URL" | tr -d '\r' | grep -i '^server:' || true)"

# ---- 3. diaryd: initial sync ----------------------------------------------------------

if dd_ok; then
  say "part 3: diaryd sync, initial (3 runs, fresh store each)"
  measure dd.initial 3 dd_fresh "${DD_CMD[@]}"
fi

# ---- 2 and 3 side by side: nothing changed ------------------------------------------
# Each round runs every no-op request once and diaryd's no-op sync once, so
# both sides see the same load on the machine.

say "no-op: $REPS rounds of the (a) raw requests$(if dd_ok; then echo ' and a diaryd no-op sync'; fi)"
TOKEN=$(current_token)
[[ -n $TOKEN ]] || { echo "sync_bench.sh: no sync-token from Radicale" >&2; exit 1; }
xml_sync "$TOKEN" > "$T/sync-noop.xml"
for ((round = 1; round <= REPS; round++)); do
  measure raw.propfind0.ctag_token 1 - "${CURL[@]}" -X PROPFIND -H 'Depth: 0' --data "$xml_propfind0_ctag_token" "$URL"
  measure raw.propfind0.ctag 1 - "${CURL[@]}" -X PROPFIND -H 'Depth: 0' --data "$xml_propfind0_ctag" "$URL"
  measure raw.propfind0.token 1 - "${CURL[@]}" -X PROPFIND -H 'Depth: 0' --data "$xml_propfind0_token" "$URL"
  measure raw.sync.noop 1 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data @"$T/sync-noop.xml" "$URL"
  if dd_ok; then measure dd.noop 1 - "${DD_CMD[@]}"; fi
done
fact noop_sync_responses "$(responses "$T/body")"
fact noop_sync_body_bytes "$(wc -c < "$T/body")"
[[ $(responses "$T/body") -eq 0 ]] || { echo "sync_bench.sh: no-op sync-collection listed changes" >&2; exit 1; }

# ---- 2 and 3 side by side: one change -------------------------------------------------
# Each round: one change, then diaryd's sync (the first request after the change
# is the one that makes Radicale store the new token state, so each side gets a
# change of its own); then another change and the raw requests a client needs
# for it: the sync-collection REPORT with the token from before the change, and
# a calendar-multiget (or a GET) of the one href it names.

say "one change: $REPS rounds of the (b) raw requests$(if dd_ok; then echo ' and a diaryd sync'; fi)"
for ((round = 1; round <= REPS; round++)); do
  if dd_ok; then
    server_change
    measure dd.change 1 - "${DD_CMD[@]}"
  fi
  TOKEN=$(current_token)
  server_change
  xml_sync "$TOKEN" > "$T/sync-change.xml"
  measure raw.sync.change 1 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data @"$T/sync-change.xml" "$URL"
  [[ $(responses "$T/body") -eq 1 ]] || { echo "sync_bench.sh: sync-collection after one change did not list 1 href" >&2; exit 1; }
  grep -qF "/$CHANGED_HREF<" "$T/body" || { echo "sync_bench.sh: sync-collection did not list $CHANGED_HREF" >&2; exit 1; }
  measure raw.sync.change_again 1 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data @"$T/sync-change.xml" "$URL"
  echo "$CHANGED_HREF" > "$T/changed.href"
  xml_multiget "$T/changed.href" > "$T/multiget1.xml"
  measure raw.multiget1 1 - "${CURL[@]}" -X REPORT -H 'Depth: 1' --data @"$T/multiget1.xml" "$URL"
  grep -qF "$CHANGE_MARK" "$T/body" || { echo "sync_bench.sh: multiget did not return the change" >&2; exit 1; }
  measure raw.get1 1 - "${CURL[@]}" "$URL$CHANGED_HREF"
  if dd_ok; then dd_catch_up; fi
done
fact change_sync_responses 1
if dd_ok; then fact dd_db_bytes "$(du -sb "$DD/db" | cut -f1)"; fi

# ---- 1. vdirsyncer --------------------------------------------------------------------

say "part 1: vdirsyncer $VDIRSYNCER_VERSION: discover once, initial sync x$VD_INITIAL_REPS, no-op x$VD_NOOP_REPS, one change x$VD_CHANGE_REPS"
VD=$T/vdirsyncer
mkdir -p "$VD/local" "$VD/status"
cat > "$VD/config" <<EOF2
[general]
status_path = "$VD/status/"

[pair bench]
a = "bench_remote"
b = "bench_local"
collections = null
conflict_resolution = "a wins"

[storage bench_remote]
type = "caldav"
url = "$URL"
username = "$DAV_USER"
password = "$DAV_PASS"
read_only = true

[storage bench_local]
type = "filesystem"
path = "$VD/local/"
fileext = ".ics"
EOF2
measure vd.discover 1 - vdirsyncer -c "$VD/config" discover
cp -a "$VD/status" "$VD/status.discovered"
vd_fresh() {
  rm -rf "$VD/local" "$VD/status"
  mkdir -p "$VD/local"
  cp -a "$VD/status.discovered" "$VD/status"
}
# vdirsyncer writes each item with atomicwrites, which fsyncs every file: its
# initial sync tracks the disk's fsync latency, measured here for the report.
fact fsync_ms "$("$PY" - "$T" <<'PYEOF'
import os, sys, time
from atomicwrites import atomic_write
folder = os.path.join(sys.argv[1], "fsync-probe")
os.mkdir(folder)
start = time.perf_counter()
for i in range(200):
    with atomic_write(os.path.join(folder, "%d.ics" % i), mode="wb", overwrite=False) as f:
        f.write(b"x" * 1000)
print("%.2f" % ((time.perf_counter() - start) / 200 * 1000))
PYEOF
)"
MEASURE_BUDGET=$VD_BUDGET measure vd.initial "$VD_INITIAL_REPS" vd_fresh vdirsyncer -c "$VD/config" sync
fact vd_local_items "$(find "$VD/local" -name '*.ics' | wc -l)"
MEASURE_BUDGET=$VD_BUDGET measure vd.noop "$VD_NOOP_REPS" - vdirsyncer -c "$VD/config" sync
vd_change() { server_change; }
measure vd.change "$VD_CHANGE_REPS" vd_change vdirsyncer -c "$VD/config" sync
fact vd_change_arrived "$(grep -rlF "$CHANGE_MARK" "$VD/local" | wc -l)"
fact load_at_end "$(cut -d' ' -f1-3 /proc/loadavg)"

stop_radicale
if grep -qiE 'error|critical|traceback' "$T/radicale.log"; then
  cp "$T/radicale.log" "$OUT/sync-radicale.log"
  fact radicale_log "errors logged: see $OUT/sync-radicale.log"
fi

# ---- report ------------------------------------------------------------------------

status=0
"$PY" "$BENCH/sync_report.py" "$RES" "$FACTS" "$OUT/sync.txt" \
  "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "machine=$(nproc) CPUs, $(uname -m)" \
  "events=$N" "reps=$REPS" "vd_reps=initial up to $VD_INITIAL_REPS, no-op up to $VD_NOOP_REPS (no more once $VD_BUDGET s have gone on one kind), one change $VD_CHANGE_REPS" "slow_reps=$SLOW_REPS" \
  "radicale=$RADICALE_VERSION" "vdirsyncer=$VDIRSYNCER_VERSION" "curl=$(curl --version | head -n 1 | cut -d' ' -f2)" \
  "diaryd=$DD_STATUS" "diaryd_cmd=diaryd sync --db DB --config CFG" || status=$?
if [[ $DD_STATUS != available ]]; then
  echo "diaryd sync: not available yet" >&2
  exit 2
fi
exit "$status"
