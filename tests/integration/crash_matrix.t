#!/bin/bash
# The crash matrix: the agent's work (sync, refresh, mail delivery: what
# `diaryd run` starts as children, here one after the other so that every
# round is the same) over a diary that changes three times, interrupted at
# every state-changing step in turn.
#
# A reference round counts the steps (every store commit, every message
# the SMTP server accepted, and the points just before a refresh commits
# and a message is sent: crashpoint.h) with DIARYD_CRASH_AT set beyond
# the last.  Then for each n, a round from the same start is killed
# (SIGKILL) at step n, restarted as the agent restarts (the cycle it was in,
# again from its sync), and finished.  Each must end like the reference:
#   - the same database (every table, timestamps and row ids left out);
#   - the same mail, by Message-ID; a message twice only when the crash
#     came after the server took it and before it was marked sent (the one
#     window README documents), and then with the same Message-ID;
#   - and one more cycle does nothing: no change synced, no news, no mail.
# Then the same for `diaryd book` (its sync, its PUT, its read-back, the
# PUT that settles it, the confirmation it sends): killed at each step and
# run again, the diary holds exactly one booking of the slot, its
# attendee gets exactly one confirmation, and one more cycle does nothing.
# shellcheck disable=SC2317
. tests/integration/lib.sh
. tests/integration/servers.sh
. tests/integration/mail.sh
require_basics
require_servers radicale
require_mail

setup "Radicale starts (user alice)" start_radicale alice alice-pw
R=$RADICALE_URL
WORK=${R}alice/work/
PASS=smtp-secret-for-the-matrix
setup "the SMTP server starts (STARTTLS, test CA, AUTH)" smtpd_start --auth "sam:$PASS"
write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s alice-pw

[calendar office/Work]
confirm = yes

[check]
tz = Europe/London
hours = 24/7
notice = 0
require = time
skip = buffer

[mail]
from = Sam Carter <sam@example.com>
url = smtp://127.0.0.1:$SMTPD_PORT
username = sam
password_command = printf %s $PASS
ca_file = $SMTPD_CA
EOF

DAY=$(date -u -d '+5 days' +%Y%m%d)
ORG="ORGANIZER;CN=Sam Carter:mailto:sam@example.com"
att() { printf 'ATTENDEE;CN=%s;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s@example.org' "$1" "$1"; }
put() { # put NAME START END SUMMARY ATTENDEE...: another client writes an appointment
  local name=$1 start=$2 end=$3 summary=$4
  shift 4
  dav_put "${WORK}$name.ics" "$(ics_event "$name@example.com" "${DAY}T$start" "${DAY}T$end" "$summary" "$ORG" "$@")"
}

# The calendar as it is before every round: three appointments with
# attendees (the baseline: nothing is sent for them).
seed() {
  dav_mkcalendar "$WORK" Work &&
    put a1 090000Z 093000Z "Review with Ann" "$(att ann)" &&
    put a2 100000Z 103000Z "Call with Bob" "$(att bob)" &&
    put a3 110000Z 113000Z "Audit" "$(att cy)"
}
setup "the calendar is seeded" seed
SNAP=$TMP/work-snapshot
setup "...and kept" cp -a "$(radicale_dir alice work)" "$SNAP"
reset_server() {
  local dir
  dir=$(radicale_dir alice work)
  rm -rf "$dir" && cp -a "$SNAP" "$dir"
}

# The diary's three changes, made by another client between cycles.
change() {
  case $1 in
  1) put n1 140000Z 150000Z "New client" "$(att dee)" "$(att eve)" &&
    put a1 093000Z 100000Z "Review with Ann" "$(att ann)" &&
    dav_delete "${WORK}a2.ics" ;;
  2) put n1 150000Z 160000Z "New client" "$(att dee)" "$(att eve)" ;;
  esac
}

CRASHED=
# cycle ROUND C: sync, refresh, delivery; when one is killed, the rest of
# the round runs without the switch and the cycle starts again (as the
# agent does after a restart).
cycle() {
  local round=$1 c=$2 cmd rc
  for cmd in sync refresh "outbox send"; do
    # shellcheck disable=SC2086
    (run "$round-c$c-${cmd%% *}" $cmd --db "$TMP/$round.db") 2>/dev/null
    rc=$(rc_of "$round-c$c-${cmd%% *}")
    if [ "$rc" = 137 ]; then
      CRASHED=$(tail -1 "$TMP/$round.count.log" 2>/dev/null | cut -d' ' -f2)
      unset DIARYD_CRASH_AT DIARYD_CRASH_COUNT
      cycle "$round" "$c-again"
      return
    fi
  done
}

# round NAME [N]: one round from the seeded calendar, killed at step N.
round() {
  local name=$1
  CRASHED=
  reset_server
  rm -f "$TMP/$name".*
  export DIARYD_CRASH_COUNT=$TMP/$name.count DIARYD_CRASH_AT=${2:-1000000}
  echo "$(smtpd_count)" >"$TMP/$name.mail-from"
  cycle "$name" 1
  change 1 >/dev/null
  cycle "$name" 2
  change 2 >/dev/null
  cycle "$name" 3
  unset DIARYD_CRASH_AT DIARYD_CRASH_COUNT
  echo "$(smtpd_count)" >"$TMP/$name.mail-to"
  # One more cycle: nothing is left to do.
  cycle "$name" quiet
  echo "$CRASHED" >"$TMP/$name.crashed"
}

# What a round left: the database without timestamps and row ids, and
# the Message-IDs of its mail.
state() { # state NAME: JSON in $TMP/NAME.state
  "$PY" - "$TMP/$1.db" "$SMTPD_SPOOL" "$(cat "$TMP/$1.mail-from")" "$(cat "$TMP/$1.mail-to")" \
    >"$TMP/$1.state" <<'PYEOF'
import email, email.policy, glob, json, os, sqlite3, sys
db, spool, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
q = lambda sql: sorted(json.dumps(list(r)) for r in c.execute(sql))
out = {
    "calendars": q("SELECT account, url, name, sync_token IS NOT NULL, complete FROM calendars"),  # tokens: the server's own
    "objects": q("SELECT href, etag, uid, error, ical FROM objects"),
    "changes": q("SELECT label, href, kind, uid, recurrence_id, fields, baseline FROM changes"),
    "consumers": q("SELECT name, seq FROM consumers"),
    "findings": q("SELECT key, check_name, severity, resolved_at != 0 FROM findings"),
    "alerts": q("SELECT kind, summary, body FROM alerts"),
    "reminders": q("SELECT key, kind, uid, due, state FROM reminders"),
    "confirm_items": q("SELECT uid, rid, fingerprint, sequence, deleted, blocked FROM confirm_items"),
    "outbox": q("SELECT uid, rid, sequence, recipient, kind, fingerprint, state, hold, message_id FROM outbox"),
    "values": q("SELECT name FROM agent_values"),
}
files = sorted(glob.glob(os.path.join(spool, "*.eml")))[first:last]
out["mail"] = [str(email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)["Message-ID"])
               for f in files]
json.dump(out, sys.stdout, indent=1, sort_keys=True)
PYEOF
}

# ---- the reference ----------------------------------------------------------------------
round ref
state ref
STEPS=$(cat "$TMP/ref.count" 2>/dev/null || echo 0)
diag "the uninterrupted round takes $STEPS state-changing steps: $(cut -d' ' -f2 "$TMP/ref.count.log" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
t "the reference round sends what the changes call for (2 confirmations, 1 update, 1 cancellation, then 2 updates)" \
  json "$TMP/ref.state" "
assert len(d['mail']) == 6 and len(set(d['mail'])) == 6, d['mail']"
t "the reference round counted its steps (commits, deliveries)" test "$STEPS" -ge 15
t "...and its last cycle did nothing: the sync found no change" stdout_has ref-cquiet-sync 'unchanged'

# ---- every step ----------------------------------------------------------------------------
bad=0
dups=0
for ((n = 1; n <= STEPS; n++)); do
  round "r$n" "$n"
  state "r$n"
  crashed=$(cat "$TMP/r$n.crashed")
  if ! "$PY" - "$TMP/ref.state" "$TMP/r$n.state" "$crashed" >"$TMP/r$n.diff" <<'PYEOF'; then
import json, sys
ref, got, crashed = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
problems = []
if not crashed:
    problems.append("the round was never killed")
for table in ref:
    if table == "mail":
        continue
    if ref[table] != got[table]:
        extra = sorted(set(got[table]) - set(ref[table]))[:3]
        missing = sorted(set(ref[table]) - set(got[table]))[:3]
        problems.append("%s differs: extra %s, missing %s" % (table, extra, missing))
if set(ref["mail"]) != set(got["mail"]):
    problems.append("mail differs: missing %s, extra %s" % (sorted(set(ref["mail"]) - set(got["mail"])),
                                                            sorted(set(got["mail"]) - set(ref["mail"]))))
dups = len(got["mail"]) - len(set(got["mail"]))
if dups and (crashed != "after-send" or dups > 1):
    problems.append("%d message(s) twice after a crash at %s" % (dups, crashed))
print("DUPS %d" % dups)
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PYEOF
    bad=$((bad + 1))
    fail "step $n ($crashed): killed there, restarted, the same end as without the crash" "$(cat "$TMP/r$n.diff")"
  else
    pass "step $n ($crashed): killed there, restarted, the same end as without the crash"
  fi
  grep -q '^DUPS 1' "$TMP/r$n.diff" && dups=$((dups + 1))
  t "step $n: ...and one more cycle does nothing" eval "grep -q unchanged '$TMP/r$n-cquiet-sync.out' &&
    [ \"\$(rc_of r$n-cquiet-refresh)\" = 0 ] && [ \"\$(cat '$TMP/r$n.mail-to')\" = \"\$(smtpd_count)\" ] ||
    { cat '$TMP/r$n-cquiet-sync.out' '$TMP/r$n-cquiet-refresh.err' '$TMP/r$n-cquiet-send.err'; false; }"
done
diag "$STEPS crash points: $bad ended differently; $dups sent a message twice (same Message-ID, the documented window)"

# ---- diaryd book, at every step -------------------------------------------------------------
SLOT="$(date -u -d '+6 days' +%Y-%m-%d) 16:00"
book_round() { # book_round NAME [N]
  local name=$1
  CRASHED=
  reset_server
  rm -f "$TMP/$name".*
  cp "$TMP/base.db" "$TMP/$name.db"
  export DIARYD_CRASH_COUNT=$TMP/$name.count DIARYD_CRASH_AT=${2:-1000000}
  echo "$(smtpd_count)" >"$TMP/$name.mail-from"
  (run "$name-book" book --db "$TMP/$name.db" --calendar Work --summary "Booked client" --start "$SLOT" \
    --duration 45m --location "Room 1" --attendee fay@example.org) 2>/dev/null
  if [ "$(rc_of "$name-book")" = 137 ]; then
    CRASHED=$(tail -1 "$TMP/$name.count.log" 2>/dev/null | cut -d' ' -f2)
    unset DIARYD_CRASH_AT DIARYD_CRASH_COUNT
    # The receptionist runs it again.
    run "$name-again" book --db "$TMP/$name.db" --calendar Work --summary "Booked client" --start "$SLOT" \
      --duration 45m --location "Room 1" --attendee fay@example.org
  fi
  unset DIARYD_CRASH_AT DIARYD_CRASH_COUNT
  cycle "$name" after
  echo "$(smtpd_count)" >"$TMP/$name.mail-to"
  cycle "$name" quiet
  echo "$CRASHED" >"$TMP/$name.crashed"
}
# The store as it is after the first sync of the seeded calendar.
reset_server
(run base-sync sync --db "$TMP/base.db" && run base-refresh refresh --db "$TMP/base.db") 2>/dev/null
t "a synced store to book from" test "$(rc_of base-sync)$(rc_of base-refresh)" = 00
book_round bref
BSTEPS=$(cat "$TMP/bref.count" 2>/dev/null || echo 0)
diag "an uninterrupted booking takes $BSTEPS steps: $(cut -d' ' -f2 "$TMP/bref.count.log" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
t "the uninterrupted booking: exit 0" expect_rc bref-book 0
t "...its steps include the PUT and the settling PUT" test "$(grep -c ' put ' "$TMP/bref.count.log")" = 2
# booked NAME: exactly one appointment in the slot on the server, and
# exactly one confirmation to fay (twice only in the documented window).
booked() {
  local name=$1
  "$PY" - "$(radicale_dir alice work)" "$SMTPD_SPOOL" "$(cat "$TMP/$name.mail-from")" "$(cat "$TMP/$name.mail-to")" \
    "$(cat "$TMP/$name.crashed")" <<'PYEOF'
import email, email.policy, glob, os, sys
folder, spool, first, last, crashed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
found = [f for f in glob.glob(os.path.join(folder, "*.ics")) if "SUMMARY:Booked client" in open(f).read()]
assert len(found) == 1, ("bookings of the slot on the server", found)
ids = []
for f in sorted(glob.glob(os.path.join(spool, "*.eml")))[first:last]:
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "fay@example.org" in str(m["To"]):
        ids.append(str(m["Message-ID"]))
assert len(set(ids)) == 1, ("confirmations to fay", ids)
assert len(ids) == 1 or (len(ids) == 2 and crashed == "after-send"), ("sent twice", ids, crashed)
PYEOF
}
t "the uninterrupted booking: one booking, one confirmation" booked bref
for ((n = 1; n <= BSTEPS; n++)); do
  book_round "b$n" "$n"
  crashed=$(cat "$TMP/b$n.crashed")
  t "book, step $n ($crashed): killed there and run again: one booking, one confirmation" booked "b$n"
  t "book, step $n: ...and one more cycle does nothing" eval "grep -q unchanged '$TMP/b$n-cquiet-sync.out' &&
    [ \"\$(cat '$TMP/b$n.mail-to')\" = \"\$(smtpd_count)\" ]"
done

finish
