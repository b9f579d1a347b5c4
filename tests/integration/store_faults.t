#!/bin/bash
# Store and disk faults, against a real Radicale:
#   - a calendar that suddenly comes back empty (every object deleted by
#     another client): nothing applied without --force-delete -- the store
#     unchanged, no 'removed' journal row, no cancellation queued, a message
#     naming the command, one alert; a calendar of 3 objects below the guard's
#     threshold empties normally; --force-delete applies the removals;
#   - a damaged state database (garbage pages in the middle, truncated to
#     half, zero-length, not a database): no crash, the file moved aside
#     (kept, byte for byte) and named, a new store whose first sync is a
#     baseline (no 'added' news, no confirmation, no cancellation);
#   - a disk that fills during a commit, and EIO from fsync/fdatasync, made
#     by an LD_PRELOAD shim (tests/tools/faultinject.c, built here): exit 1
#     with "disk full" / "I/O error" and the path, PRAGMA integrity_check ok,
#     the same content as before the failed run, then a run without the fault
#     converges and a further one changes nothing.
# (Two agents on one store: tests/integration/agent.t, "a second agent on
# the same store is refused, naming the first".)
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2030,SC2031,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers radicale sqlite3 cc

# seed_invited CAL N NAME: N future appointments Sam organises, each with an
# attendee, written into Radicale's storage (so that losing one would mean
# a cancellation to send).
seed_invited() {
  local dir
  dir=$(radicale_dir alice "$1")
  mkdir -p "$dir" || return 1
  printf '{"D:displayname": "%s", "tag": "VCALENDAR"}' "$3" >"$dir/.Radicale.props"
  "$PY" - "$dir" "$2" "$1" <<'PYEOF'
import datetime, os, sys
folder, n, cal = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0 = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=30)
fmt = "%Y%m%dT%H%M%SZ"
for i in range(n):
    start = t0 + datetime.timedelta(minutes=30 * i)
    end = start + datetime.timedelta(minutes=20)
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//seed//EN\r\nBEGIN:VEVENT\r\n"
            "UID:%s-%05d@diaryd.test\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"
            "SUMMARY:Existing %d\r\nORGANIZER;CN=Sam Carter:mailto:sam@example.com\r\n"
            "ATTENDEE;CN=Client %d:mailto:client%d@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") % (
        cal, i, start.strftime(fmt), end.strftime(fmt), i, i, i)
    with open(os.path.join(folder, "%s-%05d.ics" % (cal, i)), "w", newline="") as fh:
        fh.write(text)
PYEOF
}

seed_all() { seed_invited work 12 Work && seed_invited home 3 Home && seed_invited team 200 Team; }
setup "12 invited appointments in Work, 3 in Home, 200 in Team, on the server" seed_all
setup "Radicale starts (user alice)" start_radicale alice alice-pw
R=$RADICALE_URL
WORK=${R}alice/work/
HOME_CAL=${R}alice/home/

write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s alice-pw

[calendar office/Work]
confirm = yes

[calendar office/Home]
confirm = yes

[calendar office/Team]
confirm = yes

[mail]
from = Sam Carter <sam@example.com>
EOF

# sql DB QUERY: sqlite3's answer, read-only.
sql() { sqlite3 -readonly -batch "$1" "$2"; }
# digest DB [CALENDAR]: a hash of what the store holds (objects, journal,
# calendars with their tokens), of one calendar's objects when named.
digest() {
  if [ $# -ge 2 ]; then
    sql "$1" "SELECT o.href, o.etag, o.uid, o.error, o.ical FROM objects o JOIN calendars c ON c.id = o.calendar
              WHERE c.name = '$2' ORDER BY o.href" | sha256sum | cut -d' ' -f1
  else
    {
      sql "$1" "SELECT calendar, href, etag, uid, error, ical FROM objects ORDER BY calendar, href"
      sql "$1" "SELECT * FROM changes ORDER BY seq"
      sql "$1" "SELECT id, account, url, name, sync_token, ctag, complete FROM calendars ORDER BY id"
      sql "$1" "SELECT * FROM outbox ORDER BY id"
    } | sha256sum | cut -d' ' -f1
  fi
}
integrity_ok() {
  local got
  got=$(sql "$1" "PRAGMA integrity_check" 2>&1)
  [ "$got" = ok ] && return 0
  echo "PRAGMA integrity_check on $1: $got"
  return 1
}
same() { [ "$1" = "$2" ] && return 0; echo "$3"; return 1; }
# line_naming_any NAME TEXT ERE: a line of stdout or stderr holding TEXT
# (fixed string) matches ERE (case-insensitive).
line_naming_any() {
  cat "$TMP/$1.out" "$TMP/$1.err" | grep -F -- "$2" | grep -Eiq -- "$3" && return 0
  echo "no line naming $2 matches /$3/; stdout and stderr:"
  cat "$TMP/$1.out" "$TMP/$1.err" | head -c 2000
  return 1
}
# rc_and_stderr NAME RC ERE: exit status RC and a stderr line matching ERE.
rc_and_stderr() { expect_rc "$1" "$2" && stderr_has "$1" "$3"; }

# ==== 1. a calendar that comes back empty ===============================================
export DIARYD_DB=$TMP/state/diaryd.db
DB=$DIARYD_DB
run m1 sync --json office/Work office/Home
t "the first sync of Work (12) and Home (3) succeeds" json "$TMP/m1.out" "$SYNCPY
synced(d, 'office/Work', 12, 0, 0, 0, 12)
synced(d, 'office/Home', 3, 0, 0, 0, 3)
"
run m1r refresh
t "the first refresh succeeds" expect_rc m1r 0
run m1o outbox list --all --json
t "...and records the 15 appointments as known (baseline), no message" json "$TMP/m1o.out" '
assert len(d) == 15, len(d)
assert all(r["state"] == "baseline" for r in d), {r["state"] for r in d}'
WORK_BEFORE=$(digest "$DB" Work)
SEQ_BEFORE=$(sql "$DB" "SELECT coalesce(max(seq), 0) FROM changes")

delete_all() { # delete_all COLLECTION-URL: what another client does, one DELETE each
  local h
  for h in $(dav_hrefs "$1"); do dav_delete "${R%/}$h" || return 1; done
  [ -z "$(dav_hrefs "$1")" ]
}
delete_both() { delete_all "$WORK" && delete_all "$HOME_CAL"; }
setup "another client deletes every object of Work (12) and of Home (3)" delete_both

run m2 sync --json office/Work office/Home
t "the sync that finds Work empty exits 1" expect_rc m2 1
t "Work: failed, 12 removals held, nothing applied; the message says how many and the command" json "$TMP/m2.out" "$SYNCPY
shape(d)
c = cal(d, 'office/Work')
assert c['status'] == 'failed', c
assert c['removals_held'] == 12, c['removals_held']
assert c['objects'] == 12, c['objects']
assert 'no longer lists any of the 12 objects' in c['error'], c['error']
assert 'all 12 would be deleted' in c['error'], c['error']
assert 'diaryd sync --force-delete office/Work' in c['error'], c['error']
"
t "Home (3 objects, under the guard's 5) empties as usual" json "$TMP/m2.out" "$SYNCPY
synced(d, 'office/Home', 0, 0, 3, 0, 0)
"
t "Work's objects in the store are unchanged" same "$(digest "$DB" Work)" "$WORK_BEFORE" "Work's objects changed"
t "no 'removed' journal row for Work" test "$(sql "$DB" "SELECT count(*) FROM changes WHERE seq > $SEQ_BEFORE AND label = 'office/Work'")" = 0
t "the store passes PRAGMA integrity_check" integrity_ok "$DB"

run m3 sync office/Work
t "again (text): exit 1, the line says failed and names --force-delete" \
  sync_line m3 office/Work 'failed: the server no longer lists any of the 12 objects .*diaryd sync --force-delete office/Work$'
t "...still nothing applied" same "$(digest "$DB" Work)" "$WORK_BEFORE" "Work's objects changed"
run m3r refresh
t "the refresh after the held syncs succeeds" expect_rc m3r 0
run m3o outbox list --all --json
t "no cancellation queued (diaryd outbox list): Work's 12 still only baseline rows" json "$TMP/m3o.out" '
cancels = [r for r in d if r["kind"] == "cancel"]
work = [r for r in d if r["uid"].startswith("work-")]
assert len(work) == 12 and all(r["state"] == "baseline" for r in work), [(r["uid"], r["state"]) for r in work]
assert not [r for r in cancels if r["uid"].startswith("work-")], cancels'
t "one alert for the owner, critical, naming the command (not one per sync)" test \
  "$(sql "$DB" "SELECT count(*) FROM alerts WHERE kind = 'sync' AND urgency = 2 AND summary = 'diaryd did not delete 12 appointments' AND body LIKE '%--force-delete office/Work%'")" = 1

run fd0 sync --force-delete
t "--force-delete without naming a calendar is a usage error" rc_and_stderr fd0 2 'force-delete .*ACCOUNT/CALENDAR'
run fd1 sync --json --force-delete office/Work
t "sync --force-delete office/Work: 12 removed, 0 objects" json "$TMP/fd1.out" "$SYNCPY
synced(d, 'office/Work', 0, 0, 12, 0, 0)
"
t "the journal now has Work's 12 removals" test "$(sql "$DB" "SELECT count(*) FROM changes WHERE seq > $SEQ_BEFORE AND label = 'office/Work' AND kind = 'R'")" = 12
run fd1r refresh
run fd1o outbox list --all --json
t "...which the refresh turns into 12 cancellations (held by the confirmations' own mass guard)" json "$TMP/fd1o.out" '
cancels = [r for r in d if r["kind"] == "cancel" and r["uid"].startswith("work-")]
assert len(cancels) == 12, len(cancels)
assert all(r["state"] == "held" for r in cancels), {r["state"] for r in cancels}'
run fd2 sync --json office/Work
t "the next sync of Work is unchanged" json "$TMP/fd2.out" "$SYNCPY
unchanged(d, 'office/Work', 0)
"

# ==== 2. a damaged state database =========================================================
# The reference: Team (200 invited appointments) synced and refreshed once.
export DIARYD_DB=$TMP/ref/diaryd.db
run ref sync --json office/Team
run refr refresh
t "the reference store: Team synced (200) and refreshed" json "$TMP/ref.out" "$SYNCPY
synced(d, 'office/Team', 200, 0, 0, 0, 200)
"
t "...with no WAL left beside it (the file alone is the store)" test ! -s "$DIARYD_DB-wal"
PAGES=$(sql "$DIARYD_DB" "PRAGMA page_count")
diag "reference store: $PAGES pages of $(sql "$DIARYD_DB" "PRAGMA page_size") bytes"

# damage VARIANT FILE
damage() {
  case $1 in
  garbage) # 6 pages of random bytes in the middle
    dd if=/dev/urandom of="$2" bs=4096 seek=$((PAGES / 2)) count=6 conv=notrunc status=none ;;
  half) truncate -s $(($(stat -c %s "$2") / 2)) "$2" ;;
  zero) : >"$2" ;;
  notadb) printf 'this is not a database, just text\n%.0s' {1..200} >"$2" ;;
  esac
}

for v in garbage half zero notadb; do
  export DIARYD_DB=$TMP/$v/diaryd.db
  DB=$DIARYD_DB
  mkdir -p "$TMP/$v"
  cp "$TMP/ref/diaryd.db" "$DB"
  damage "$v" "$DB"
  cp "$DB" "$TMP/$v.damaged-copy"
  if [ "$v" = garbage ]; then
    # A command that does not check the file first meets the damage while
    # reading: no crash, and if SQLite noticed, it says so and leaves the
    # marker for the next run.
    run "$v-journal" journal
    t "$v: diaryd journal does not crash" no_crash "$v-journal"
    if [ "$(rc_of "$v-journal")" != 0 ]; then
      t "$v: ...and says the store is damaged, naming it" line_naming "$v-journal" "$DB" 'damaged'
    fi
  fi
  run "$v-s1" sync --json office/Team
  t "$v: the sync does not crash and exits 0" expect_rc "$v-s1" 0
  t "$v: it says what happened, naming the file and where it went" \
    line_naming "$v-s1" "$DB is" "moved aside to .*\\.damaged-[0-9]{8}-[0-9]{6}.*new store"
  aside=
  for f in "$DB".damaged-*; do
    case $f in *-wal | *-shm) ;; *) aside=$f ;; esac
  done
  t "$v: the damaged file is kept aside, byte for byte" cmp "$aside" "$TMP/$v.damaged-copy"
  t "$v: the new store passes PRAGMA integrity_check" integrity_ok "$DB"
  t "$v: the sync is a first sync: Team's 200 added" json "$TMP/$v-s1.out" "$SYNCPY
synced(d, 'office/Team', 200, 0, 0, 0, 200)
"
  t "$v: every journal row is a baseline addition (no news, no removal)" test \
    "$(sql "$DB" "SELECT count(*) FROM changes WHERE kind <> 'A' OR baseline = 0") $(sql "$DB" "SELECT count(*) FROM changes")" = "0 200"
  run "$v-r" refresh
  t "$v: the refresh succeeds" expect_rc "$v-r" 0
  run "$v-o" outbox list --all --json
  t "$v: no confirmation and no cancellation queued: 200 baseline rows" json "$TMP/$v-o.out" '
assert len(d) == 200, len(d)
assert all(r["state"] == "baseline" for r in d), {r["state"] for r in d}'
  t "$v: the owner gets a critical alert about the new store" test \
    "$(sql "$DB" "SELECT count(*) FROM alerts WHERE kind = 'store' AND urgency = 2 AND body LIKE '%moved aside to%'")" = 1
  run "$v-s2" sync --json office/Team
  t "$v: the next sync is unchanged" json "$TMP/$v-s2.out" "$SYNCPY
unchanged(d, 'office/Team', 200)
"
  t "$v: no message about damage any more" bash -c "! grep -q damaged '$TMP/$v-s2.err'"
done

# ==== 3. a full disk, and EIO from fsync ===================================================
FI=$TMP/faultinject.so
setup "the fault-injection shim builds" cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o "$FI" tests/tools/faultinject.c -ldl

# The base: Team synced; then 30 appointments are added on the server.
export DIARYD_DB=$TMP/base/diaryd.db
run base sync office/Team
t "the base store: Team synced" expect_rc base 0
setup "30 more appointments in Team (written into Radicale's storage)" seed_invited team 230 Team
BASE_DIGEST=$(digest "$TMP/base/diaryd.db")

# faulty NAME OPS ERRNO AFTER PATTERN: one sync of a copy of the base under
# the shim; leaves $TMP/NAME/diaryd.db.
faulty() {
  local name=$1
  mkdir -p "$TMP/$name"
  cp "$TMP/base/diaryd.db" "$TMP/$name/diaryd.db"
  # (An ASan build refuses a preloaded library ahead of its runtime unless told.)
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    DIARYD_DB=$TMP/$name/diaryd.db FAULT_OPS=$2 FAULT_ERRNO=$3 FAULT_AFTER=$4 FAULT_PATH=$5 \
    FAULT_LOG=$TMP/$name.faults LD_PRELOAD=$FI run "$name" sync --json office/Team
}
# converges NAME: the store after the faulty run is intact and as before;
# a run without the fault completes, a further one changes nothing.
converges() {
  local name=$1 db=$TMP/$1/diaryd.db
  t "$name: the fault fired" test -s "$TMP/$name.faults"
  t "$name: the store passes PRAGMA integrity_check" integrity_ok "$db"
  t "$name: the store holds what it held before the failed run" \
    same "$(digest "$db")" "$BASE_DIGEST" "the content changed: $(sql "$db" "SELECT count(*) FROM objects") objects"
  DIARYD_DB=$db run "$name-again" sync --json office/Team
  t "$name: without the fault, the sync completes: 30 added" json "$TMP/$name-again.out" "$SYNCPY
synced(d, 'office/Team', 30, 0, 0, 0, 230)
"
  DIARYD_DB=$db run "$name-again2" sync --json office/Team
  t "$name: a further sync changes nothing" json "$TMP/$name-again2.out" "$SYNCPY
unchanged(d, 'office/Team', 230)
"
  t "$name: 230 UIDs journalled once each" test \
    "$(sql "$db" "SELECT count(DISTINCT uid) || ' ' || count(*) FROM changes WHERE kind = 'A'")" = "230 230"
}

# A full disk at different points of the run: the first write to the WAL,
# a few frames in (the status rows), deep in the sync's commit.
for after in 0 6 12; do
  name=full$after
  faulty "$name" pwrite,write ENOSPC "$after" diaryd.db-wal
  t "$name: exits 1" expect_rc "$name" 1
  t "$name: says the disk is full, naming the store" \
    line_naming_any "$name" "$TMP/$name/diaryd.db" 'disk full'
  t "$name: the fault hit the sync's own commit" json "$TMP/$name.out" "$SYNCPY
c = cal(d, 'office/Team')
assert c['status'] == 'failed' and 'disk full writing $TMP/$name/diaryd.db' in c['error'], c
"
  converges "$name"
done
# Every write to any of the store's files fails (the database itself too).
faulty fullall pwrite,write ENOSPC 10 diaryd.db
t "fullall: exits 1" expect_rc fullall 1
t "fullall: says the disk is full, naming the store" line_naming_any fullall "$TMP/fullall/diaryd.db" 'disk full'
converges fullall
# EIO from fdatasync/fsync (SQLite syncs the WAL at each commit).
for after in 0 1; do
  name=eio$after
  faulty "$name" fsync,fdatasync EIO "$after" diaryd.db
  t "$name: exits 1" expect_rc "$name" 1
  t "$name: says I/O error, naming the store" line_naming_any "$name" "$TMP/$name/diaryd.db" 'I/O error'
  t "$name: the fault hit the sync's own commit" json "$TMP/$name.out" "$SYNCPY
c = cal(d, 'office/Team')
assert c['status'] == 'failed' and 'I/O error on $TMP/$name/diaryd.db' in c['error'], c
"
  converges "$name"
done

# ---- 5. a store damaged under the running agent -------------------------------------------------
# The agent holds the store open, so its children cannot move a damaged
# file aside: the agent lets go of it after the child that found it, and
# the file is kept aside and a new store started.
export DIARYD_DB=$TMP/live/diaryd.db
mkdir -p "$TMP/live"
cp "$TMP/ref/diaryd.db" "$DIARYD_DB"
AGENT_LOG=$TMP/live-agent.log
"$DIARYD" run --db "$DIARYD_DB" >"$AGENT_LOG" 2>&1 &
LIVE=$!
at_exit "kill $LIVE 2>/dev/null"
for ((i = 0; i < 100; i++)); do grep -q 'started' "$AGENT_LOG" && break; sleep 0.1; done
damage garbage "$DIARYD_DB"
sleep 1
kill -USR1 "$LIVE" # sync now: the child finds the damage
for ((i = 0; i < 300; i++)); do grep -q 'the store was damaged: kept as' "$AGENT_LOG" && break; sleep 0.1; done
t "live: the agent lets go of the damaged store, which is kept aside" grep -q 'the store was damaged: kept as .*damaged-' "$AGENT_LOG"
t "live: the agent keeps running" kill -0 "$LIVE"
for ((i = 0; i < 300; i++)); do grep -Eq '^refresh: ' "$AGENT_LOG" && [ "$(sql "$DIARYD_DB" "SELECT count(*) FROM objects" 2>/dev/null || echo 0)" -ge 200 ] && break; sleep 0.1; done
t "live: the new store is synced again (Team's objects)" test "$(sql "$DIARYD_DB" "SELECT count(*) FROM objects")" -ge 200
t "live: ...and passes PRAGMA integrity_check" integrity_ok "$DIARYD_DB"
t "live: ...from a baseline: no news journalled" test "$(sql "$DIARYD_DB" "SELECT count(*) FROM changes WHERE baseline = 0")" = 0
kill -TERM "$LIVE"
rc=0
wait "$LIVE" || rc=$?
t "live: SIGTERM stops it with exit status 0" test "$rc" = 0

finish
