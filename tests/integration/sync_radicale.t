#!/bin/bash
# diaryd sync against a real Radicale (Debian's radicale 3.1.8, htpasswd
# users): discovery from the bare URL (current-user-principal /alice/, which
# is also the calendar home), the initial sync of the sample diary (one
# object per UID in two calendars), `check` on the synced diary, changes
# made with curl as another client would (added, modified, removed, an
# override of a recurring series moved), the exact change journal, a sync
# right after a complete one, a sync token Radicale no longer knows, objects
# Radicale serves but that are not valid calendar objects, calendar
# selection, new and deleted calendars, wrong and failing passwords, and no
# secret in --verbose output.
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317,SC2119
. tests/integration/lib.sh
. tests/integration/servers.sh
require_basics
require_servers radicale

# alice's password: a canary that must never appear in diaryd's output.
CANARY=Canary-7f3e-s3cret
CANARY_B64=$(printf '%s' "alice:$CANARY" | base64)
setup "Radicale starts (users alice and nobody)" start_radicale alice "$CANARY" nobody nobody-pw
R=$RADICALE_URL
WORK=${R}alice/work/
PERSONAL=${R}alice/personal/
AUTH_RE='401|unauthori[sz]ed|password|credential|authenticat|log ?in'

# ---- the server's content -------------------------------------------------------
# Work: the sample's work.ics and meeting-rooms.ics (9 objects, the stand-up
# series with one override); Personal: its personal.ics (2 objects).
split_ics "$SAMPLE/work.ics" "$TMP/work"
split_ics "$SAMPLE/meeting-rooms.ics" "$TMP/work"
split_ics "$SAMPLE/personal.ics" "$TMP/personal"
setup "calendar Work (colour #3366FF) is created" dav_mkcalendar "$WORK" Work '#3366FF'
setup "calendar Personal is created" dav_mkcalendar "$PERSONAL" Personal
setup "the sample diary is put into Work, one object per UID" dav_put_dir "$WORK" "$TMP/work"
setup "the sample diary is put into Personal, one object per UID" dav_put_dir "$PERSONAL" "$TMP/personal"
t "Radicale holds 9 objects in Work and 2 in Personal" \
  test "$(dav_hrefs "$WORK" | wc -l) $(dav_hrefs "$PERSONAL" | wc -l)" = "9 2"

write_config <<EOF
[account office]
url = $R
username = alice
password_command = printf %s $CANARY
EOF

# ---- discover --------------------------------------------------------------------
run disc discover "$R" --username alice --password-command "printf %s $CANARY" --json
t "discover from the bare URL: exits 0" expect_rc disc 0
t "discover --json: principal /alice/, calendar home /alice/, calendars Work and Personal" json "$TMP/disc.out" "
assert set(d) >= {'principal', 'home', 'calendars'}, sorted(d)
assert d['principal'] == '${R}alice/', d['principal']
assert d['home'] == ['${R}alice/'], d['home']
cals = {c['name']: c for c in d['calendars']}
assert sorted(cals) == ['Personal', 'Work'], sorted(cals)
w, p = cals['Work'], cals['Personal']
assert w['url'] == '$WORK' and p['url'] == '$PERSONAL', (w['url'], p['url'])
assert (w['color'] or '').lower()[:7] == '#3366ff', w['color']
assert p['color'] is None, p['color']
for c in (w, p):
    assert 'VEVENT' in c['components'], c['components']
    assert isinstance(c['ctag'], str) and c['ctag'], c['ctag']
    assert c['sync_token'].startswith('http://radicale.org/ns/sync/'), c['sync_token']
    assert c['sync_collection'] is True, c['sync_collection']
"
run disctext discover "$R" --username alice --password-command "printf %s $CANARY"
t "discover (text): exits 0" expect_rc disctext 0
t "discover (text): principal line" stdout_has disctext "^principal: ${R}alice/\$"
t "discover (text): home line" stdout_has disctext "^home: ${R}alice/\$"
t "discover (text): a line for Work with its URL" stdout_has disctext "^calendar: Work +$WORK"
t "discover (text): a line for Personal with its URL" stdout_has disctext "^calendar: Personal +$PERSONAL"
t "discover (text): says Radicale supports sync-collection" stdout_has disctext 'sync-collection:? +yes'
t "discover (text): shows Work's colour" stdout_has disctext '#3366[Ff][Ff]'
run disccal discover "$WORK" --username alice --password-command "printf %s $CANARY" --json
t "discover from a calendar's URL: exits 0" expect_rc disccal 0
t "discover from a calendar's URL finds that calendar (and the principal's, when it looks there)" json "$TMP/disccal.out" "
cals = {c['name']: c['url'] for c in d['calendars']}
assert cals.get('Work') == '$WORK', cals
assert d['principal'] in (None, '${R}alice/'), d['principal']
if d['principal']:
    assert sorted(cals) == ['Personal', 'Work'], cals
"
run discnone discover "$R" --username nobody --password-command 'printf %s nobody-pw' --json
t "discover for a user with no calendars: exits 1" expect_rc discnone 1
t "discover for a user with no calendars: says so on stderr" stderr_has discnone '[a-z]'
run discwrong discover "$R" --username alice --password-command 'printf %s not-the-password'
t "discover with a wrong password: exits 1" expect_rc discwrong 1
t "discover with a wrong password: says the credentials were refused" stderr_has discwrong "$AUTH_RE"
run discusage discover
t "discover with no URL: exits 2 (usage)" expect_rc discusage 2

# ---- the first sync ------------------------------------------------------------------
run sync1 sync --json
t "first sync: exits 0" expect_rc sync1 0
t "first sync --json: Work 9 added, Personal 2 added, listed by calendar-query" json "$TMP/sync1.out" "$SYNCPY
shape(d)
assert labels(d) == ['office/Personal', 'office/Work'], labels(d)
w = synced(d, 'office/Work', 9, 0, 0, 0, 9, 'calendar-query')
p = synced(d, 'office/Personal', 2, 0, 0, 0, 2, 'calendar-query')
assert w['url'] == '$WORK' and p['url'] == '$PERSONAL', (w['url'], p['url'])
assert w['problems'] == [] and p['problems'] == []
"
t "first sync: nothing on stderr" test ! -s "$TMP/sync1.err"

run j1 journal --json
t "journal after the first sync: exits 0" expect_rc j1 0
t "journal: one baseline 'added' row per UID and override, with its href" json "$TMP/j1.out" "$SYNCPY
W, P = 'office/Work', 'office/Personal'
journal_is(d, [
    (W, 'added', 'standup-2026@example.com', None, ''),
    (W, 'added', 'standup-2026@example.com', 'TZID=Europe/London:20261209T093000', ''),
    (W, 'added', 'budget-review-q4@example.com', None, ''),
    (W, 'added', 'site-visit-harbour@example.com', None, ''),
    (W, 'added', 'supplier-call-acme@example.com', None, ''),
    (W, 'added', 'interview-smith@example.com', None, ''),
    (W, 'added', 'one-to-one-jo@example.com', None, ''),
    (W, 'added', 'contract-signing-northwind@example.com', None, ''),
    (W, 'added', 'catch-up-priya@example.com', None, ''),
    (W, 'added', 'marketing-sync-room3@example.com', None, ''),
    (P, 'added', 'dentist-dec@example.net', None, ''),
    (P, 'added', 'bank-holiday-note@example.net', None, ''),
])
for r in d['changes']:
    assert r['baseline'] is True, 'not flagged baseline: %r' % r
    folder = '/alice/work/' if r['calendar'] == 'Work' else '/alice/personal/'
    name = r['uid'].replace('@', '_') + '.ics'
    assert r['href'].endswith(folder + name), (r['href'], folder + name)
"
run j1t journal
t "journal (text): 12 lines" test "$(grep -c . "$TMP/j1t.out")" = 12
t "journal (text): SEQ ACCOUNT/CALENDAR KIND UID (baseline)" \
  stdout_has j1t '^[0-9]+ office/Work added budget-review-q4@example\.com \(baseline\)$'
t "journal (text): an override's line carries its RECURRENCE-ID" \
  stdout_has j1t '^[0-9]+ office/Work added standup-2026@example\.com TZID=Europe/London:20261209T093000 \(baseline\)$'
t "journal (text): every line has the documented shape" bash -c "! grep -Ev '^[0-9]+ office/(Work|Personal) added [^ ]+( TZID=Europe/London:[0-9]{8}T[0-9]{6})? \(baseline\)$' '$TMP/j1t.out'"

# ---- check on the synced diary --------------------------------------------------------
run filecheck check --json "${WINDOW[@]}" "$SAMPLE"
run storecheck check --json "${WINDOW[@]}"
cp "$TMP/filecheck.out" "$TMP/filecheck.json"
t "check with no PATH after the sync: exits 1 (the sample's double booking)" expect_rc storecheck 1
t "check with no PATH sees the 13 synced occurrences and the findings the files give" json "$TMP/storecheck.out" "
ref = json.load(open('$TMP/filecheck.json'))
assert d['occurrences'] == 13, d['occurrences']
one(d, 'conflict', 'budget-review-q4@example.com', 'dentist-dec@example.net')
one(d, 'resource', 'interview-smith@example.com', 'marketing-sync-room3@example.com')
one(d, 'conflict', 'one-to-one-jo@example.com', 'contract-signing-northwind@example.com')
def summary(doc):
    return sorted((f['check'], f['severity'], f['message'],
                   tuple((o['uid'], o['recurrence_id'], o['start'], o['end']) for o in f['occurrences']))
                  for f in doc['findings'])
got, want = summary(d), summary(ref)
assert got == want, 'findings differ from the files: missing %s; unexpected %s' % (
    [w[2] for w in want if w not in got], [g[2] for g in got if g not in want])
"

# ---- changes made by another client --------------------------------------------------------
run j1b journal --json
SEQ1=$(jget "$TMP/j1b.out" 'max([r["seq"] for r in d["changes"]] or [0])')
ics_set "$TMP/work/budget-review-q4_example.com.ics" MASTER 'LOCATION:Head Office\, Room 5'
ics_set "$TMP/work/contract-signing-northwind_example.com.ics" MASTER 'LOCATION:Northwind House'
ics_set "$TMP/work/contract-signing-northwind_example.com.ics" MASTER 'SUMMARY:URGENT: contract signing at Northwind'
# The stand-up override of Wed 9 Dec starts at 08:15 instead of 08:30.
ics_set "$TMP/work/standup-2026_example.com.ics" 20261209T093000 'DTSTART;TZID=Europe/London:20261209T081500'
ics_event gym-session@example.net 20261209T180000Z 20261209T190000Z 'Gym' 'LOCATION:Leisure centre' \
  >"$TMP/personal/gym-session_example.net.ics"
t "curl: LOCATION of the budget review changed" dav_put "${WORK}budget-review-q4_example.com.ics" \
  "$TMP/work/budget-review-q4_example.com.ics"
t "curl: LOCATION and SUMMARY of the contract signing changed" \
  dav_put "${WORK}contract-signing-northwind_example.com.ics" "$TMP/work/contract-signing-northwind_example.com.ics"
t "curl: DTSTART of one stand-up override changed" dav_put "${WORK}standup-2026_example.com.ics" \
  "$TMP/work/standup-2026_example.com.ics"
t "curl: an event added to Personal" dav_put "${PERSONAL}gym-session_example.net.ics" \
  "$TMP/personal/gym-session_example.net.ics"
t "curl: an event deleted from Personal" dav_delete "${PERSONAL}bank-holiday-note_example.net.ics"

run sync2 sync
t "sync after the changes: exits 0" expect_rc sync2 0
t "sync after the changes: office/Work: 0 added, 3 modified, 0 removed (9 objects)" \
  sync_line sync2 office/Work "$(counts_re 0 3 0 0 9)"
t "sync after the changes: office/Personal: 1 added, 0 modified, 1 removed (2 objects)" \
  sync_line sync2 office/Personal "$(counts_re 1 0 1 0 2)"
t "sync after the changes: two lines on stdout" test "$(grep -c . "$TMP/sync2.out")" = 2
run j2 journal --json
t "journal after the changes: exactly the five changes, fields named, none baseline" json "$TMP/j2.out" "$SYNCPY
journal_is(d, [
    ('office/Work', 'modified', 'budget-review-q4@example.com', None, 'LOCATION'),
    ('office/Work', 'modified', 'contract-signing-northwind@example.com', None, 'LOCATION,SUMMARY'),
    ('office/Work', 'modified', 'standup-2026@example.com', 'TZID=Europe/London:20261209T093000', 'DTSTART'),
    ('office/Personal', 'added', 'gym-session@example.net', None, ''),
    ('office/Personal', 'removed', 'bank-holiday-note@example.net', None, ''),
], after=$SEQ1)
for r in d['changes']:
    if r['seq'] > $SEQ1:
        assert r['baseline'] is False, 'a change after the first sync flagged baseline: %r' % r
"
run j2after journal --json --after "$SEQ1"
t "journal --after SEQ lists only the rows after SEQ" json "$TMP/j2after.out" "
assert len(d['changes']) == 5, [(r['seq'], r['kind'], r['uid']) for r in d['changes']]
assert all(r['seq'] > $SEQ1 for r in d['changes'])
"
run j2t journal --after "$SEQ1"
t "journal (text): the override's modification names its RECURRENCE-ID and DTSTART" \
  stdout_has j2t '^[0-9]+ office/Work modified standup-2026@example\.com TZID=Europe/London:20261209T093000 DTSTART$'
t "journal (text): a modification lists its fields" \
  stdout_has j2t '^[0-9]+ office/Work modified contract-signing-northwind@example\.com LOCATION,SUMMARY$'
t "journal (text): a removal" stdout_has j2t '^[0-9]+ office/Personal removed bank-holiday-note@example\.net$'

# ---- right after a complete sync -------------------------------------------------------------
cp "$TMP/j2.out" "$TMP/j2.json"
run sync3 sync
t "sync right after a complete one: exits 0" expect_rc sync3 0
t "sync right after a complete one: office/Work unchanged (9 objects)" sync_line sync3 office/Work "$(unchanged_re 9)"
t "sync right after a complete one: office/Personal unchanged (2 objects)" \
  sync_line sync3 office/Personal "$(unchanged_re 2)"
run sync3j sync --json
t "sync --json right after a complete one: both unchanged" json "$TMP/sync3j.out" "$SYNCPY
shape(d)
unchanged(d, 'office/Work', 9)
unchanged(d, 'office/Personal', 2)
"
run j3 journal --json
t "the journal gained nothing" cmp "$TMP/j2.json" "$TMP/j3.out"

# ---- a sync token Radicale no longer knows ------------------------------------------------------
# Radicale answers 403 with DAV:valid-sync-token when it has lost the state
# behind a token (it only looks when the collection changed since).
SEQ3=$(jget "$TMP/j3.out" 'max([r["seq"] for r in d["changes"]] or [0])')
radicale_forget_tokens alice work
ics_set "$TMP/work/catch-up-priya_example.com.ics" MASTER 'DESCRIPTION:Bring the signed statement of work.'
t "curl: DESCRIPTION of the catch-up with Priya changed" dav_put "${WORK}catch-up-priya_example.com.ics" \
  "$TMP/work/catch-up-priya_example.com.ics"
MARK=$(log_lines "$RADICALE_LOG")
run sync4 sync --json
t "sync with a token Radicale has forgotten: exits 0" expect_rc sync4 0
t "Radicale refused the old token once" \
  test "$(log_since "$RADICALE_LOG" "$MARK" | grep -c 'invalid sync token')" = 1
t "after the full resync: Work 1 modified, nothing added or removed again" json "$TMP/sync4.out" "$SYNCPY
shape(d)
synced(d, 'office/Work', 0, 1, 0, 0, 9, 'calendar-query')
unchanged(d, 'office/Personal', 2)
"
run j4 journal --json
t "the full resync journals only the one real change" json "$TMP/j4.out" "$SYNCPY
journal_is(d, [('office/Work', 'modified', 'catch-up-priya@example.com', None, 'DESCRIPTION')], after=$SEQ3)
"
MARK=$(log_lines "$RADICALE_LOG")
run sync5 sync
t "the sync after the resync: Work unchanged" sync_line sync5 office/Work "$(unchanged_re 9)"
t "the sync after the resync used the new token (none refused)" \
  test "$(log_since "$RADICALE_LOG" "$MARK" | grep -c 'invalid sync token')" = 0

# ---- objects that are not valid calendar objects ---------------------------------------------------
# Radicale refuses them by PUT, but serves what its storage holds: written
# there, as a broken client or an import could leave them.  tz-only.ics has
# no VEVENT at all; twin-a.ics and twin-b.ics share one UID.
PDIR=$(radicale_dir alice personal)
ics_object >"$PDIR/tz-only.ics" <<'EOF'
BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:STANDARD
DTSTART:19701025T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
END:STANDARD
END:VTIMEZONE
EOF
ics_event yoga@example.net 20261210T070000Z 20261210T080000Z Yoga 'LOCATION:Studio' >"$TMP/yoga.ics"
t "curl: a good event added next to the bad one" dav_put "${PERSONAL}yoga.ics" "$TMP/yoga.ics"
SEQ5=$(jget "$TMP/j4.out" 'max([r["seq"] for r in d["changes"]] or [0])')
run bad1 sync --json
t "sync with an object that holds no event: exits 0 (the calendar synced)" expect_rc bad1 0
t "sync --json: Personal 1 added, 1 bad (4 objects), the problem names tz-only.ics" json "$TMP/bad1.out" "$SYNCPY
shape(d)
p = synced(d, 'office/Personal', 1, 0, 0, 1, 4)
assert len(p['problems']) == 1, p['problems']
assert p['problems'][0]['href'].endswith('/alice/personal/tz-only.ics'), p['problems'][0]
assert p['problems'][0]['error'], p['problems'][0]
unchanged(d, 'office/Work', 9)
"
t "stderr: one line 'diaryd: office/Personal: HREF: reason' for it" line_naming bad1 'diaryd: office/Personal: ' 'tz-only\.ics: .'
t "stderr: nothing else" test "$(grep -c . "$TMP/bad1.err")" = 1
run jbad journal --json
t "the bad object gives no journal row; the good one does" json "$TMP/jbad.out" "$SYNCPY
journal_is(d, [('office/Personal', 'added', 'yoga@example.net', None, '')], after=$SEQ5)
"
run bad2 sync --json
t "the next sync does not fetch the unchanged bad object again: unchanged" json "$TMP/bad2.out" "$SYNCPY
unchanged(d, 'office/Personal', 4)
"
SEQ6=$(jget "$TMP/jbad.out" 'max([r["seq"] for r in d["changes"]] or [0])')
ics_event twin@example.net 20261211T070000Z 20261211T080000Z 'Twin A' >"$PDIR/twin-a.ics"
ics_event twin@example.net 20261212T070000Z 20261212T080000Z 'Twin B' >"$PDIR/twin-b.ics"
run twins sync --json
t "two objects with one UID: exits 0" expect_rc twins 0
t "two objects with one UID: one is taken, the other reported bad (6 objects)" json "$TMP/twins.out" "$SYNCPY
p = synced(d, 'office/Personal', 1, 0, 0, 1, 6)
href = p['problems'][0]['href']
assert href.endswith('/alice/personal/twin-a.ics') or href.endswith('/alice/personal/twin-b.ics'), href
"
run jtwins journal --json
t "two objects with one UID: the UID is journalled once" json "$TMP/jtwins.out" "$SYNCPY
journal_is(d, [('office/Personal', 'added', 'twin@example.net', None, '')], after=$SEQ6)
"
# The bad object mended (written as a client would): it is taken now.
ics_event mended@example.net 20261211T120000Z 20261211T130000Z 'Mended' >"$PDIR/tz-only.ics"
SEQ7=$(jget "$TMP/jtwins.out" 'max([r["seq"] for r in d["changes"]] or [0])')
run mended sync --json
t "a bad object that was mended: exits 0, no problem left to report" json "$TMP/mended.out" "$SYNCPY
p = cal(d, 'office/Personal')
assert p['status'] == 'synced' and p['bad'] == 0 and p['objects'] == 6, counts(p)
"
run jmended journal --json
t "a bad object that was mended: its UID is journalled as added" json "$TMP/jmended.out" "$SYNCPY
journal_is(d, [('office/Personal', 'added', 'mended@example.net', None, '')], after=$SEQ7)
"

# ---- choosing calendars ------------------------------------------------------------------------
run selwork sync office/Work
t "sync office/Work: exits 0" expect_rc selwork 0
t "sync office/Work: a line for Work" sync_line selwork office/Work "$(unchanged_re 9)"
t "sync office/Work: no line for Personal" no_line selwork office/Personal
run selnope sync office/Nope
t "sync office/Nope (no such calendar): exits 1 or 2" expect_rc selnope 1 2
t "sync office/Nope: names it on stderr" stderr_has selnope 'Nope'
run selacct sync nosuch
t "sync nosuch (no such account): exits 2" expect_rc selacct 2
t "sync nosuch: names it on stderr" stderr_has selacct 'nosuch'
write_config "$TMP/only.conf" <<EOF
[account only]
url = $R
username = alice
password_command = printf %s $CANARY
calendars = Personal
EOF
run only sync --config "$TMP/only.conf" --db "$TMP/only.db" --json
t "calendars = Personal: exits 0" expect_rc only 0
t "calendars = Personal: only that calendar is synced" json "$TMP/only.out" "$SYNCPY
shape(d)
assert labels(d) == ['only/Personal'], labels(d)
assert cal(d, 'only/Personal')['status'] == 'synced'
"
t "--db FILE: the store is that file" test -s "$TMP/only.db"
DIARYD_DB=$TMP/env.db run envdb sync --config "$TMP/only.conf" --json
t "\$DIARYD_DB: exits 0" expect_rc envdb 0
t "\$DIARYD_DB: the store is that file" test -s "$TMP/env.db"
t "\$DIARYD_DB: a first sync there (Personal added anew)" json "$TMP/envdb.out" "$SYNCPY
c = cal(d, 'only/Personal')
assert c['status'] == 'synced' and c['added'] >= 1, counts(c)
"

# ---- calendars created and deleted on the server ---------------------------------------------------
EXTRA=${R}alice/extra/
t "curl: calendar Extra created" dav_mkcalendar "$EXTRA" Extra
t "curl: an event put into Extra" dav_put "${EXTRA}extra-1.ics" \
  "$(ics_event extra-1@example.com 20261208T080000Z 20261208T083000Z 'Early call')"
run nodisc sync
t "sync without --discover: exits 0" expect_rc nodisc 0
t "sync without --discover does not look for new calendars" no_line nodisc office/Extra
run disc2 sync --discover
t "sync --discover: exits 0" expect_rc disc2 0
t "sync --discover: the new calendar is synced: office/Extra: 1 added (1 objects)" \
  sync_line disc2 office/Extra "$(counts_re 1 0 0 0 1)"
run jx journal --json
SEQX=$(jget "$TMP/jx.out" 'max([r["seq"] for r in d["changes"]] or [0])')
t "curl: calendar Extra deleted" dav_delete "$EXTRA"
run disc3 sync --discover --json
t "sync --discover after the calendar was deleted: exits 0" expect_rc disc3 0
t "sync --discover after the calendar was deleted: Work and Personal remain" json "$TMP/disc3.out" "$SYNCPY
assert 'office/Work' in labels(d) and 'office/Personal' in labels(d), labels(d)
assert all(c['status'] != 'failed' for c in d['calendars']), [(c['calendar'], c['error']) for c in d['calendars']]
"
run jx2 journal --json
t "the deleted calendar's event is journalled as removed, under its calendar" json "$TMP/jx2.out" "$SYNCPY
journal_is(d, [('office/Extra', 'removed', 'extra-1@example.com', None, '')], after=$SEQX)
"

# ---- wrong and failing passwords ---------------------------------------------------------------
# one_failed_login MARK: since MARK, Radicale's log has exactly one failed
# login and no request after it.
one_failed_login() {
  local since n
  since=$(log_since "$RADICALE_LOG" "$1")
  n=$(printf '%s\n' "$since" | grep -c 'Failed login attempt')
  if [ "$n" != 1 ] || printf '%s\n' "$since" | sed '1,/Failed login attempt/d' | grep -q ' request for '; then
    echo "expected one failed login and no request after it; $n failed logins. Radicale's log:"
    printf '%s\n' "$since" | grep -E ' request for |Failed login|response status' | cut -c1-220
    return 1
  fi
}
sed "s/^password_command = .*/password_command = printf %s Wrong-pw-9c1d/" "$XDG_CONFIG_HOME/diaryd/config" |
  write_config "$TMP/wrong.conf"
# Already discovered: the calendars are in the store.
MARK=$(log_lines "$RADICALE_LOG")
run wrong sync --config "$TMP/wrong.conf"
both wrong
t "wrong password: exits 1" expect_rc wrong 1
t "wrong password: a message says the credentials were refused" bash -c "grep -Eiq '$AUTH_RE' '$TMP/wrong.all' || { cat '$TMP/wrong.all'; false; }"
t "wrong password: the message names the account" bash -c "grep -Ei '$AUTH_RE' '$TMP/wrong.all' | grep -q office || { cat '$TMP/wrong.all'; false; }"
t "wrong password: Radicale saw exactly one failed login (no retry, no other calendar tried)" \
  one_failed_login "$MARK"
t "wrong password: the password is not in the output" bash -c "! grep -q Wrong-pw-9c1d '$TMP/wrong.all'"
# Never discovered (a new store): discovery itself is refused.
MARK=$(log_lines "$RADICALE_LOG")
run wrongnew sync --config "$TMP/wrong.conf" --db "$TMP/wrongnew.db"
both wrongnew
t "wrong password, first sync: exits 1" expect_rc wrongnew 1
t "wrong password, first sync: a message says the credentials were refused" \
  bash -c "grep -Eiq '$AUTH_RE' '$TMP/wrongnew.all' || { cat '$TMP/wrongnew.all'; false; }"
t "wrong password, first sync: Radicale saw exactly one failed login, and no request after it" \
  one_failed_login "$MARK"
sed "s/^password_command = .*/password_command = false/" "$XDG_CONFIG_HOME/diaryd/config" | write_config "$TMP/false.conf"
MARK=$(log_lines "$RADICALE_LOG")
run pwfalse sync --config "$TMP/false.conf"
both pwfalse
t "a password_command that fails: exits 1" expect_rc pwfalse 1
t "a password_command that fails: the message names the account and password_command" \
  bash -c "grep -i office '$TMP/pwfalse.all' | grep -Eiq 'password[_ ]command' || { cat '$TMP/pwfalse.all'; false; }"
t "a password_command that fails: no request is sent" \
  test "$(log_since "$RADICALE_LOG" "$MARK" | grep -c ' request for ')" = 0

# ---- no secret in --verbose output --------------------------------------------------------------
t "curl: one more change so that the verbose sync fetches something" dav_put "${WORK}late.ics" \
  "$(ics_event late@example.com 20261211T170000Z 20261211T173000Z 'Late one')"
run verbose sync --verbose
both verbose
t "sync --verbose: exits 0" expect_rc verbose 0
t "sync --verbose: traces the requests on stderr" stderr_has verbose "127\.0\.0\.1:$RADICALE_PORT|/alice/work/"
t "sync --verbose: the password is nowhere in stdout or stderr" bash -c "! grep -aF -- '$CANARY' '$TMP/verbose.all'"
t "sync --verbose: nor is base64(user:password)" bash -c "! grep -aF -- '$CANARY_B64' '$TMP/verbose.all'"
t "sync --verbose: no Authorization value is shown" bash -c "! grep -aiE 'authorization: *(basic|digest|bearer) +[A-Za-z0-9+/=]{8}' '$TMP/verbose.all'"
t "the password appears in no output of any diaryd run of this test" \
  bash -c "! grep -lF -- '$CANARY' '$TMP'/*.out '$TMP'/*.err"
t "nor does base64(user:password)" bash -c "! grep -lF -- '$CANARY_B64' '$TMP'/*.out '$TMP'/*.err"
t "the password is nowhere in diaryd's state (store, caches)" \
  bash -c "! grep -rlaF -- '$CANARY' '$XDG_STATE_HOME' '$XDG_CACHE_HOME' '$XDG_DATA_HOME' '$TMP'/*.db 2>/dev/null"

finish
