#!/bin/bash
# diaryd sync against a real Xandikos (Debian's xandikos 0.2.8, no
# authentication, git-backed): discovery from the bare URL (principal
# /user/, calendar home /user/calendars/), the initial sync of two
# calendars, `check` on the synced diary, a recurring series whose overrides
# (UTC RECURRENCE-IDs) are moved, added and whose master changes, an object
# Xandikos stores although it is not a valid calendar object (two masters
# with one UID), the exact change journal, a sync right after a complete one
# and calendar selection.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers xandikos

setup "Xandikos starts" start_xandikos
X=$XANDIKOS_URL
CAL=${X}user/calendars/calendar/
TEAM=${X}user/calendars/team/

# ---- the server's content -------------------------------------------------------
# "calendar" (made by --defaults): the whole sample diary, 11 objects.
# Team: a weekly review with two moved instances, a lunch talk, and dup.ics,
# which holds two masters of one UID (RFC 4791 §4.1 forbids it; Xandikos
# takes it).  Team's events fall after the sample week, so that `check` on
# that week sees the sample alone.
for f in work personal meeting-rooms; do split_ics "$SAMPLE/$f.ics" "$TMP/cal"; done
setup "the sample diary is put into the default calendar, one object per UID" dav_put_dir "$CAL" "$TMP/cal"
setup "calendar Team (colour #00AA55) is created" dav_mkcalendar "$TEAM" Team '#00AA55'
mkdir -p "$TMP/team"
ics_object >"$TMP/team/weekly-review.ics" <<'EOF'
BEGIN:VEVENT
UID:weekly-review@example.org
DTSTAMP:20261101T090000Z
DTSTART:20261214T100000Z
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Weekly review
LOCATION:Board room
END:VEVENT
BEGIN:VEVENT
UID:weekly-review@example.org
DTSTAMP:20261101T090000Z
RECURRENCE-ID:20261221T100000Z
DTSTART:20261221T110000Z
DURATION:PT1H
SUMMARY:Weekly review
LOCATION:Board room
END:VEVENT
BEGIN:VEVENT
UID:weekly-review@example.org
DTSTAMP:20261101T090000Z
RECURRENCE-ID:20261228T100000Z
DTSTART:20261228T140000Z
DURATION:PT1H
SUMMARY:Weekly review (afternoon)
LOCATION:Room 4
END:VEVENT
EOF
ics_event lunch-talk@example.org 20261215T120000Z 20261215T130000Z 'Lunch talk' 'LOCATION:Canteen' \
  >"$TMP/team/lunch-talk.ics"
ics_object >"$TMP/dup.ics" <<'EOF'
BEGIN:VEVENT
UID:dup@example.org
DTSTAMP:20261101T090000Z
DTSTART:20261216T090000Z
DURATION:PT1H
SUMMARY:One of two masters
END:VEVENT
BEGIN:VEVENT
UID:dup@example.org
DTSTAMP:20261101T090000Z
DTSTART:20261216T100000Z
DURATION:PT1H
SUMMARY:The other master
END:VEVENT
EOF
setup "Team's events are put" dav_put_dir "$TEAM" "$TMP/team"
setup "dup.ics (two masters of one UID) is put: Xandikos takes it" dav_put "${TEAM}dup.ics" "$TMP/dup.ics"
t "Xandikos holds 11 objects in calendar and 3 in Team" \
  test "$(dav_hrefs "$CAL" | wc -l) $(dav_hrefs "$TEAM" | wc -l)" = "11 3"

write_config <<EOF
[account lab]
url = $X
EOF

# ---- discover --------------------------------------------------------------------
run disc discover "$X" --json
t "discover from the bare URL: exits 0" expect_rc disc 0
t "discover --json: principal /user/, home /user/calendars/, calendars 'calendar' and Team" json "$TMP/disc.out" "
assert d['principal'] == '${X}user/', d['principal']
assert d['home'] == ['${X}user/calendars/'], d['home']
cals = {c['name']: c for c in d['calendars']}
assert sorted(cals) == ['Team', 'calendar'], sorted(cals)
assert cals['calendar']['url'] == '$CAL' and cals['Team']['url'] == '$TEAM', (cals['calendar']['url'], cals['Team']['url'])
assert (cals['Team']['color'] or '').lower()[:7] == '#00aa55', cals['Team']['color']
for c in cals.values():
    assert 'VEVENT' in c['components'], c['components']
    assert re.fullmatch('[0-9a-f]{40}', c['sync_token'] or ''), c['sync_token']
    assert c['sync_collection'] is True, c['sync_collection']
"
run disctext discover "$X"
t "discover (text): principal and home lines" bash -c "grep -qx 'principal: ${X}user/' '$TMP/disctext.out' && grep -qx 'home: ${X}user/calendars/' '$TMP/disctext.out' || { cat '$TMP/disctext.out'; false; }"
t "discover (text): a line for Team with its URL" stdout_has disctext "^calendar: Team +$TEAM"

# ---- the first sync --------------------------------------------------------------------
run sync1 sync --json
t "first sync: exits 0" expect_rc sync1 0
t "first sync --json: calendar 11 added; Team 2 added, 1 bad (3 objects)" json "$TMP/sync1.out" "$SYNCPY
shape(d)
assert labels(d) == ['lab/Team', 'lab/calendar'], labels(d)
synced(d, 'lab/calendar', 11, 0, 0, 0, 11, 'calendar-query')
t = synced(d, 'lab/Team', 2, 0, 0, 1, 3, 'calendar-query')
assert t['url'] == '$TEAM', t['url']
assert len(t['problems']) == 1 and t['problems'][0]['href'].endswith('/user/calendars/team/dup.ics'), t['problems']
assert t['problems'][0]['error'], t['problems']
"
t "first sync: stderr names dup.ics: 'diaryd: lab/Team: HREF: reason'" line_naming sync1 'diaryd: lab/Team: ' 'dup\.ics: .'
t "first sync: no other stderr line" test "$(grep -c . "$TMP/sync1.err")" = 1
run sync1t sync
t "first sync, then the text form: both unchanged" bash -c "grep -Eq '^lab/Team: unchanged \(3 objects\)' '$TMP/sync1t.out' && grep -Eq '^lab/calendar: unchanged \(11 objects\)' '$TMP/sync1t.out' || { cat '$TMP/sync1t.out' '$TMP/sync1t.err'; false; }"

run j1 journal --json
t "journal after the first sync: the series master, each override and every other UID, baseline" json "$TMP/j1.out" "$SYNCPY
T, C = 'lab/Team', 'lab/calendar'
journal_is(d, [
    (T, 'added', 'weekly-review@example.org', None, ''),
    (T, 'added', 'weekly-review@example.org', '20261221T100000Z', ''),
    (T, 'added', 'weekly-review@example.org', '20261228T100000Z', ''),
    (T, 'added', 'lunch-talk@example.org', None, ''),
    (C, 'added', 'standup-2026@example.com', None, ''),
    (C, 'added', 'standup-2026@example.com', 'TZID=Europe/London:20261209T093000', ''),
    (C, 'added', 'budget-review-q4@example.com', None, ''),
    (C, 'added', 'site-visit-harbour@example.com', None, ''),
    (C, 'added', 'supplier-call-acme@example.com', None, ''),
    (C, 'added', 'interview-smith@example.com', None, ''),
    (C, 'added', 'one-to-one-jo@example.com', None, ''),
    (C, 'added', 'contract-signing-northwind@example.com', None, ''),
    (C, 'added', 'catch-up-priya@example.com', None, ''),
    (C, 'added', 'marketing-sync-room3@example.com', None, ''),
    (C, 'added', 'dentist-dec@example.net', None, ''),
    (C, 'added', 'bank-holiday-note@example.net', None, ''),
])
assert all(r['baseline'] is True for r in d['changes']), [r for r in d['changes'] if not r['baseline']]
"
SEQ1=$(jget "$TMP/j1.out" 'max([r["seq"] for r in d["changes"]] or [0])')

# ---- check on the synced diary --------------------------------------------------------
run filecheck check --json "${WINDOW[@]}" "$SAMPLE"
cp "$TMP/filecheck.out" "$TMP/filecheck.json"
run storecheck check --json "${WINDOW[@]}"
t "check with no PATH: exits 1 (the sample's double booking)" expect_rc storecheck 1
t "check with no PATH sees the 13 occurrences of the week and the findings the files give" json "$TMP/storecheck.out" "
ref = json.load(open('$TMP/filecheck.json'))
assert d['occurrences'] == 13, d['occurrences']
one(d, 'conflict', 'budget-review-q4@example.com', 'dentist-dec@example.net')
def summary(doc):
    return sorted((f['check'], f['severity'], f['message'],
                   tuple((o['uid'], o['recurrence_id'], o['start'], o['end']) for o in f['occurrences']))
                  for f in doc['findings'])
got, want = summary(d), summary(ref)
assert got == want, 'findings differ from the files: missing %s; unexpected %s' % (
    [w[2] for w in want if w not in got], [g[2] for g in got if g not in want])
"
WIDE=(--from 2026-12-14 --to 2027-01-25 --tz Europe/London --now 2026-12-01T09:00:00Z)
run occ check --json --only conflict "${WIDE[@]}"
t "check with no PATH expands the synced series in a later window (28 occurrences)" json "$TMP/occ.out" "
# 6 reviews and the talk, 15 stand-ups (to 1 Jan) and 6 weekly 1:1s of the sample
assert d['occurrences'] == 7 + 15 + 6, d['occurrences']
"

# ---- changes to the series --------------------------------------------------------------
# The master's SUMMARY changes; the 21 Dec instance moves again (DTSTART);
# a new override moves 4 Jan; the lunch talk is deleted; a new event comes.
ics_set "$TMP/team/weekly-review.ics" MASTER 'SUMMARY:Weekly review (all hands)'
ics_set "$TMP/team/weekly-review.ics" 20261221T100000Z 'DTSTART:20261221T113000Z'
ics_object <<'EOF' | sed '1,3d; $d' >"$TMP/override.txt"
BEGIN:VEVENT
UID:weekly-review@example.org
DTSTAMP:20261101T090000Z
RECURRENCE-ID:20270104T100000Z
DTSTART:20270104T090000Z
DURATION:PT1H
SUMMARY:Weekly review (early)
LOCATION:Board room
END:VEVENT
EOF
sed -i '$d' "$TMP/team/weekly-review.ics" && cat "$TMP/override.txt" >>"$TMP/team/weekly-review.ics" &&
  printf 'END:VCALENDAR\r\n' >>"$TMP/team/weekly-review.ics"
t "curl: the series put back with its changes" dav_put "${TEAM}weekly-review.ics" "$TMP/team/weekly-review.ics"
t "curl: the lunch talk deleted" dav_delete "${TEAM}lunch-talk.ics"
t "curl: a planning session added" dav_put "${TEAM}planning.ics" \
  "$(ics_event planning@example.org 20261217T150000Z 20261217T160000Z 'Planning' 'LOCATION:Room 4')"

run sync2 sync
t "sync after the changes: exits 0" expect_rc sync2 0
t "sync after the changes: lab/Team: 1 added, 1 modified, 1 removed (3 objects)" \
  sync_line sync2 lab/Team "$(counts_re 1 1 1 0 3)"
t "sync after the changes: lab/calendar unchanged (11 objects)" sync_line sync2 lab/calendar "$(unchanged_re 11)"
run j2 journal --json
t "journal: the master's SUMMARY, the moved instance's DTSTART, the new override, the removal, the addition" json "$TMP/j2.out" "$SYNCPY
T = 'lab/Team'
journal_is(d, [
    (T, 'modified', 'weekly-review@example.org', None, 'SUMMARY'),
    (T, 'modified', 'weekly-review@example.org', '20261221T100000Z', 'DTSTART'),
    (T, 'added', 'weekly-review@example.org', '20270104T100000Z', ''),
    (T, 'removed', 'lunch-talk@example.org', None, ''),
    (T, 'added', 'planning@example.org', None, ''),
], after=$SEQ1)
assert all(r['baseline'] is False for r in d['changes'] if r['seq'] > $SEQ1)
"
run j2t journal --after "$SEQ1"
t "journal (text): the moved instance, with its RECURRENCE-ID and DTSTART" \
  stdout_has j2t '^[0-9]+ lab/Team modified weekly-review@example\.org 20261221T100000Z DTSTART$'
t "journal (text): the new override" stdout_has j2t '^[0-9]+ lab/Team added weekly-review@example\.org 20270104T100000Z$'
t "journal (text): five lines" test "$(grep -c . "$TMP/j2t.out")" = 5

# An override removed again (the instance back to the rule): one removed row.
cp "$TMP/j2.out" "$TMP/j2.json"
"$PY" - "$TMP/team/weekly-review.ics" <<'PYEOF'
import sys
p = sys.argv[1]
text = open(p, newline="").read()
blocks = text.split("BEGIN:VEVENT\r\n")
keep = [b for b in blocks if "RECURRENCE-ID:20261228T100000Z" not in b]
open(p, "w", newline="").write("BEGIN:VEVENT\r\n".join(keep))
PYEOF
t "curl: the 28 Dec override dropped from the series" dav_put "${TEAM}weekly-review.ics" "$TMP/team/weekly-review.ics"
SEQ2=$(jget "$TMP/j2.json" 'max([r["seq"] for r in d["changes"]] or [0])')
run sync3 sync --json
t "sync after an override was dropped: Team 1 modified" json "$TMP/sync3.out" "$SYNCPY
synced(d, 'lab/Team', 0, 1, 0, 0, 3)
unchanged(d, 'lab/calendar', 11)
"
run j3 journal --json
t "journal: one removed row for that RECURRENCE-ID, nothing for the rest of the series" json "$TMP/j3.out" "$SYNCPY
journal_is(d, [('lab/Team', 'removed', 'weekly-review@example.org', '20261228T100000Z', '')], after=$SEQ2)
"

# ---- right after a complete sync -------------------------------------------------------------
run sync4 sync --json
t "sync right after a complete one: both unchanged" json "$TMP/sync4.out" "$SYNCPY
shape(d)
unchanged(d, 'lab/Team', 3)
unchanged(d, 'lab/calendar', 11)
"
run j4 journal --json
t "the journal gained nothing" cmp "$TMP/j3.out" "$TMP/j4.out"

# ---- choosing calendars ------------------------------------------------------------------------
write_config "$TMP/team.conf" <<EOF
[account lab]
url = $X
calendars = Team
EOF
run team sync --config "$TMP/team.conf" --db "$TMP/team.db" --json
t "calendars = Team: exits 0" expect_rc team 0
t "calendars = Team: only lab/Team, synced from scratch" json "$TMP/team.out" "$SYNCPY
assert labels(d) == ['lab/Team'], labels(d)
synced(d, 'lab/Team', 2, 0, 0, 1, 3)
"
run selcal sync lab/calendar --json
t "sync lab/calendar: only that calendar" json "$TMP/selcal.out" "$SYNCPY
assert labels(d) == ['lab/calendar'], labels(d)
unchanged(d, 'lab/calendar', 11)
"

finish
