#!/bin/bash
# diaryd sync killed with SIGKILL at many points, against a real Radicale
# holding 5,000 events: after each kill, one more sync must leave the store
# exactly as the server is (5,000 objects, each UID journalled once), and a
# further sync must find nothing to do.  Kills come from the clock (after
# 0.05 s ... 1.6 s) and from the store itself (DIARYD_TEST_KILL_AFTER_ROWS=N:
# SIGKILL after writing N object rows).  Then the same for an incremental
# sync: 500 events modified, 100 deleted and 100 added on the server.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers radicale
RUN_TIMEOUT=${CRASH_RUN_TIMEOUT:-120}
N=5000

start=$(date +%s%N)
setup "5,000 events seeded into Radicale's storage" seed_radicale alice big "$N" Big
seeded=$(date +%s%N)
setup "Radicale starts" start_radicale alice alice-pw
setup "Radicale has read and cached the 5,000 items" radicale_warm "${RADICALE_URL}alice/big/"
warmed=$(date +%s%N)
diag "seeding 5,000 events: $(((seeded - start) / 1000000)) ms; Radicale's first listing: $(((warmed - seeded) / 1000000)) ms"
t "Radicale lists 5,000 objects" test "$(dav_hrefs "${RADICALE_URL}alice/big/" | wc -l)" = "$N"

write_config <<EOF
[account crash]
url = $RADICALE_URL
username = alice
password_command = printf %s alice-pw
EOF

# killed NAME DB HOW ARG: one sync on DB killed with SIGKILL, HOW being
# "clock" (after ARG seconds) or "rows" (DIARYD_TEST_KILL_AFTER_ROWS=ARG).
# Leaves $TMP/NAME.rc (137 when it was killed).
killed() {
  local name=$1 db=$2 how=$3 arg=$4
  (
    if [ "$how" = rows ]; then
      DIARYD_TEST_KILL_AFTER_ROWS=$arg timeout -s KILL "$RUN_TIMEOUT" "$DIARYD" sync --db "$db" \
        >"$TMP/$name.out" 2>"$TMP/$name.err"
    else
      timeout -s KILL "$arg" "$DIARYD" sync --db "$db" >"$TMP/$name.out" 2>"$TMP/$name.err"
    fi
    echo $? >"$TMP/$name.rc"
  ) 2>/dev/null
}

# recovered NAME DB WHAT: the sync after a kill ends synced (or unchanged,
# when the killed one had finished), with $N objects; the next is unchanged;
# the journal holds exactly the first sync's rows (check_journal WHAT).
recovered() {
  local name=$1 db=$2 what=$3
  run "$name-r1" sync --db "$db" --json
  t "$name: the sync after the kill exits 0" expect_rc "$name-r1" 0
  t "$name: it ends with the server's $N objects" json "$TMP/$name-r1.out" "$SYNCPY
c = cal(d, 'crash/Big')
assert c['status'] in ('synced', 'unchanged'), 'status %s: %s' % (c['status'], c['error'])
assert c['objects'] == $N, '%d objects, the server has $N' % c['objects']
assert c['bad'] == 0, c['problems'][:3]
"
  run "$name-r2" sync --db "$db" --json
  t "$name: the next sync is unchanged" json "$TMP/$name-r2.out" "$SYNCPY
unchanged(d, 'crash/Big', $N)
"
  run "$name-j" journal --db "$db" --json
  t "$name: $what" json "$TMP/$name-j.out" "$SYNCPY
$(check_journal)
"
}

# Python: the journal of a first sync: each seeded UID added exactly once.
first_sync_journal() {
  cat <<'PYEOF'
journal_shape(d)
rows = d['changes']
uids = [r['uid'] for r in rows]
want = set('big-%05d@diaryd.test' % i for i in range(5000))
dup = len(uids) - len(set(uids))
assert dup == 0, '%d UIDs journalled more than once' % dup
assert set(uids) == want, 'missing %d, unexpected %d' % (len(want - set(uids)), len(set(uids) - want))
assert all(r['kind'] == 'added' for r in rows), [r for r in rows if r['kind'] != 'added'][:3]
assert all(r['baseline'] for r in rows), 'rows of the first sync not flagged baseline: %d' % len([r for r in rows if not r['baseline']])
PYEOF
}

# ---- the first sync, killed -----------------------------------------------------------
check_journal() { first_sync_journal; }
i=0
for rows in 1 1000 1001 2500 4999; do
  i=$((i + 1))
  killed "rows$rows" "$TMP/rows$rows.db" rows "$rows"
  t "first sync, DIARYD_TEST_KILL_AFTER_ROWS=$rows: the store killed it (SIGKILL)" \
    bash -c "[ \"\$(cat '$TMP/rows$rows.rc')\" = 137 ] || { echo \"exit status \$(cat '$TMP/rows$rows.rc'), not 137: the hook did not fire\"; head -c 600 '$TMP/rows$rows.err'; false; }"
  recovered "rows$rows" "$TMP/rows$rows.db" "each of the 5,000 UIDs journalled once, as added, baseline"
done
# Clock kills spread over the time a whole first sync takes here.
run timing sync --db "$TMP/timing.db"
T=$(secs_of timing)
diag "a whole first sync of 5,000 objects takes ${T} s"
# fractions FRACTION...: seconds, as fractions of $T (at least 0.02 s).
fractions() { awk -v t="$T" 'BEGIN { for (i = 1; i < ARGC; i++) { s = t * ARGV[i]; if (s < 0.02) s = 0.02; printf "%.2f\n", s } }' "$@"; }
for secs in $(fractions 0.03 0.2 0.4 0.6 0.8 0.9 0.97); do
  killed "clock$secs" "$TMP/clock$secs.db" clock "$secs"
  rc=$(cat "$TMP/clock$secs.rc")
  diag "killed after ${secs} s: exit status $rc"
  recovered "clock$secs" "$TMP/clock$secs.db" "killed after $secs s: each of the 5,000 UIDs journalled once, as added, baseline"
done
# Killed again and again on one store, then left to finish.
for secs in $(fractions 0.2 0.4 0.6 0.8); do
  killed "chain$secs" "$TMP/chain.db" clock "$secs"
done
killed chainrows "$TMP/chain.db" rows 3000
recovered chain "$TMP/chain.db" "killed five times in a row: each UID journalled once, as added, baseline"

# ---- an incremental sync, killed -----------------------------------------------------------
# The reference store: complete, then the server changes: 500 modified
# (SUMMARY), 100 deleted, 100 added -- written into Radicale's storage.
run ref sync --db "$TMP/ref.db" --json
t "reference store: a complete first sync" json "$TMP/ref.out" "$SYNCPY
synced(d, 'crash/Big', $N, 0, 0, 0, $N)
"
run refj journal --db "$TMP/ref.db" --json
REFSEQ=$(jget "$TMP/refj.out" 'max([r["seq"] for r in d["changes"]] or [0])')
BIG=$(radicale_dir alice big)
"$PY" - "$BIG" <<'PYEOF'
import os, sys
big = sys.argv[1]
for i in range(1000, 1500):
    p = os.path.join(big, "big-%05d.ics" % i)
    text = open(p, newline="").read()
    open(p, "w", newline="").write(text.replace("SUMMARY:Seeded appointment %d\r\n" % i,
                                                "SUMMARY:Seeded appointment %d (moved room)\r\n" % i))
for i in range(3000, 3100):
    os.remove(os.path.join(big, "big-%05d.ics" % i))
PYEOF
gen_events "$TMP/late" 100 late
for f in "$TMP"/late/*.ics; do
  # after the seeded ones, so that nothing overlaps
  sed 's/^DTSTART:202612/DTSTART:202702/; s/^DTEND:202612/DTEND:202702/' "$f" >"$BIG/$(basename "$f")"
done
setup "Radicale has read the changed items" radicale_warm "${RADICALE_URL}alice/big/"
t "Radicale lists 5,000 objects again" test "$(dav_hrefs "${RADICALE_URL}alice/big/" | wc -l)" = "$N"

incremental_journal() {
  cat <<PYEOF
journal_shape(d)
rows = [r for r in d['changes'] if r['seq'] > $REFSEQ]
seen = {}
for r in rows:
    seen.setdefault(r['uid'], []).append(r['kind'])
twice = [u for u, k in seen.items() if len(k) > 1]
assert not twice, '%d UIDs journalled twice, e.g. %s: %s' % (len(twice), twice[0], seen[twice[0]])
mod = set('big-%05d@diaryd.test' % i for i in range(1000, 1500))
rem = set('big-%05d@diaryd.test' % i for i in range(3000, 3100))
add = set('late-%05d@diaryd.test' % i for i in range(100))
got = lambda kind: set(u for u, k in seen.items() if k == [kind])
assert got('modified') == mod, 'modified: missing %d, unexpected %d' % (len(mod - got('modified')), len(got('modified') - mod))
assert got('removed') == rem, 'removed: missing %d, unexpected %d' % (len(rem - got('removed')), len(got('removed') - rem))
assert got('added') == add, 'added: missing %d, unexpected %d' % (len(add - got('added')), len(got('added') - add))
assert all(r['fields'] == ['SUMMARY'] for r in rows if r['kind'] == 'modified'), \
    set(tuple(r['fields']) for r in rows if r['kind'] == 'modified')
assert not any(r['baseline'] for r in rows), 'rows of an incremental sync flagged baseline'
PYEOF
}
check_journal() { incremental_journal; }
copy_ref() { # DB: a copy of the reference store
  local f
  for f in "$TMP"/ref.db*; do cp "$f" "$1${f#"$TMP"/ref.db}"; done
}
for rows in 1 300 599; do
  copy_ref "$TMP/inc$rows.db"
  killed "inc$rows" "$TMP/inc$rows.db" rows "$rows"
  t "incremental sync, DIARYD_TEST_KILL_AFTER_ROWS=$rows: the store killed it" \
    bash -c "[ \"\$(cat '$TMP/inc$rows.rc')\" = 137 ] || { echo \"exit status \$(cat '$TMP/inc$rows.rc'), not 137\"; head -c 600 '$TMP/inc$rows.err'; false; }"
  recovered "inc$rows" "$TMP/inc$rows.db" "500 modified, 100 removed, 100 added, each journalled once"
done
copy_ref "$TMP/inctiming.db"
run inctiming sync --db "$TMP/inctiming.db"
T=$(secs_of inctiming)
diag "the incremental sync takes ${T} s"
for secs in $(fractions 0.05 0.25 0.5 0.7 0.85 0.95); do
  copy_ref "$TMP/incc$secs.db"
  killed "incc$secs" "$TMP/incc$secs.db" clock "$secs"
  diag "incremental sync killed after ${secs} s: exit status $(cat "$TMP/incc$secs.rc")"
  recovered "incc$secs" "$TMP/incc$secs.db" "killed after $secs s: 500 modified, 100 removed, 100 added, each journalled once"
done

# ---- the store is the server -------------------------------------------------------------
WIDE=(--only conflict --from 2026-12-07 --to 2027-03-01 --tz UTC --now 2026-12-01T09:00:00Z)
DIARYD_DB=$TMP/inc300.db run occ check --json "${WIDE[@]}"
t "check on a store recovered from a kill sees 5,000 occurrences and no clash" json "$TMP/occ.out" "
assert d['occurrences'] == $N, d['occurrences']
assert d['findings'] == [], [f['message'] for f in d['findings'][:3]]
"

finish
