#!/bin/bash
# diaryd check on the sample diary (tests/data/sample-diary), week of
# Monday 7 December 2026 in Europe/London (UTC+0 in December, so local
# clock times and UTC instants coincide).
#
# The sample holds, on purpose:
#   Tue 8 Dec  Quarterly budget review 14:00-15:00 overlaps Dentist 14:30-15:15
#   Wed 9 Dec  site visit at Harbour Road ends 11:00, supplier meeting at Head
#              Office starts 11:10: 10 min gap where 30 min travel is needed
#   Thu 10 Dec Meeting Room 3 booked 11:00-12:00 (interview) and 11:30-12:30
#              (marketing sync)
#   Thu 10 Dec URGENT contract signing (PRIORITY 1) 16:00-16:45 clashes with
#              the weekly 1:1 with Jo (PRIORITY 7) 16:00-16:30
#   Fri 11 Dec Catch-up with Priya has no location
# Helpers below are called through t(), which shellcheck cannot follow.
# shellcheck disable=SC2317
. tests/integration/lib.sh
require_basics

run check check --json "${WINDOW[@]}" "$SAMPLE"

t "check --json exits 1 (findings of severity error)" expect_rc check 1

t "stdout is one JSON document with window, occurrences and findings" json "$TMP/check.out" '
assert set(d) == {"window", "occurrences", "findings"}, sorted(d)
assert isinstance(d["occurrences"], int) and isinstance(d["findings"], list)
'

t "window is [2026-12-07T00:00Z, 2026-12-12T00:00Z) in Europe/London" json "$TMP/check.out" '
assert d["window"] == {"from": "2026-12-07T00:00:00Z", "to": "2026-12-12T00:00:00Z", "tz": "Europe/London"}, d["window"]
'

t "every finding has the documented fields" json "$TMP/check.out" '
assert d["findings"], "no findings at all"
for f in d["findings"]:
    for k in ("check", "severity", "message", "rule", "key", "occurrences"):
        assert k in f, "finding without %s: %r" % (k, f)
    assert f["severity"] in ("error", "warning", "info"), f["severity"]
    assert isinstance(f["message"], str) and f["message"] and "\n" not in f["message"]
    assert f["occurrences"], "finding without occurrences: %r" % f
    for o in f["occurrences"]:
        assert set(o) >= {"uid", "recurrence_id", "summary", "start", "end", "location", "priority", "source"}, sorted(o)
        assert utc(o["start"]) <= utc(o["end"]), o
        assert o["recurrence_id"] is None or utc(o["recurrence_id"])
    if f["check"] == "buffer":
        assert isinstance(f.get("gap_seconds"), int) and isinstance(f.get("required_seconds"), int), f
    if "suggestion" in f:
        s = f["suggestion"]
        assert set(s) >= {"move", "move_recurrence_id", "slots"}, s
        assert s["move"] in uids(f), (s["move"], uids(f))
        for slot in s["slots"]:
            assert utc(slot["start"]) < utc(slot["end"]), slot
'

t "finding keys are unique" json "$TMP/check.out" '
keys = [f["key"] for f in d["findings"]]
dup = sorted(k for k in set(keys) if keys.count(k) > 1)
assert not dup, dup
'

run occ occurrences --json "${WINDOW[@]}" "$SAMPLE"
t "occurrences --json exits 0" expect_rc occ 0
cp "$TMP/occ.out" "$TMP/occ.json"
t "occurrence count in check equals what occurrences --json lists" json "$TMP/check.out" '
occ = json.load(open(sys.argv[1].replace("check.out", "occ.json")))
assert occ["window"] == d["window"], (occ["window"], d["window"])
assert d["occurrences"] == len(occ["occurrences"]), (d["occurrences"], len(occ["occurrences"]))
'
t "occurrences --json lists the 13 occurrences of the week" json "$TMP/occ.json" '
got = sorted((o["uid"], o["start"]) for o in d["occurrences"])
want = sorted([
    ("standup-2026@example.com", "2026-12-07T09:30:00Z"),
    ("standup-2026@example.com", "2026-12-08T09:30:00Z"),
    ("standup-2026@example.com", "2026-12-09T08:30:00Z"),
    ("standup-2026@example.com", "2026-12-10T09:30:00Z"),
    ("budget-review-q4@example.com", "2026-12-08T14:00:00Z"),
    ("dentist-dec@example.net", "2026-12-08T14:30:00Z"),
    ("site-visit-harbour@example.com", "2026-12-09T10:00:00Z"),
    ("supplier-call-acme@example.com", "2026-12-09T11:10:00Z"),
    ("interview-smith@example.com", "2026-12-10T11:00:00Z"),
    ("marketing-sync-room3@example.com", "2026-12-10T11:30:00Z"),
    ("one-to-one-jo@example.com", "2026-12-10T16:00:00Z"),
    ("contract-signing-northwind@example.com", "2026-12-10T16:00:00Z"),
    ("catch-up-priya@example.com", "2026-12-11T15:00:00Z"),
])
assert got == want, "got %s" % got
'

t "double booking: Quarterly budget review vs Dentist, Tue 8 Dec" json "$TMP/check.out" '
f = one(d, "conflict", "budget-review-q4@example.com", "dentist-dec@example.net")
assert f["severity"] == "error", f["severity"]
occ = {o["uid"]: o for o in f["occurrences"]}
b, t = occ["budget-review-q4@example.com"], occ["dentist-dec@example.net"]
assert (b["start"], b["end"]) == ("2026-12-08T14:00:00Z", "2026-12-08T15:00:00Z"), b
assert (t["start"], t["end"]) == ("2026-12-08T14:30:00Z", "2026-12-08T15:15:00Z"), t
assert b["recurrence_id"] is None and t["recurrence_id"] is None
assert b["summary"] == "Quarterly budget review" and t["summary"] == "Dentist"
assert b["source"].endswith("work.ics") and t["source"].endswith("personal.ics"), (b["source"], t["source"])
assert "suggestion" in f and f["suggestion"]["move"] in occ, f.get("suggestion")
assert "Quarterly budget review" in f["message"] and "Dentist" in f["message"], f["message"]
'

t "buffer: 10 min from Harbour Road to Head Office where 30 min travel is needed" json "$TMP/check.out" '
f = one(d, "buffer", "site-visit-harbour@example.com", "supplier-call-acme@example.com")
assert f["severity"] == "warning", f["severity"]
assert f["gap_seconds"] == 600, f["gap_seconds"]
assert f["required_seconds"] == 1800, f["required_seconds"]
first, second = f["occurrences"]
assert first["uid"] == "site-visit-harbour@example.com", uids(f)
assert (first["start"], first["end"]) == ("2026-12-09T10:00:00Z", "2026-12-09T11:00:00Z"), first
assert (second["start"], second["end"]) == ("2026-12-09T11:10:00Z", "2026-12-09T12:00:00Z"), second
assert first["location"] == "12 Harbour Road, Leeds LS10 1AB" and second["location"] == "Head Office, Room 2"
'

t "resource: Meeting Room 3 booked twice on Thu 10 Dec" json "$TMP/check.out" '
f = one(d, "resource", "interview-smith@example.com", "marketing-sync-room3@example.com")
assert f["severity"] == "error", f["severity"]
occ = {o["uid"]: o for o in f["occurrences"]}
i, m = occ["interview-smith@example.com"], occ["marketing-sync-room3@example.com"]
assert (i["start"], i["end"]) == ("2026-12-10T11:00:00Z", "2026-12-10T12:00:00Z"), i
assert (m["start"], m["end"]) == ("2026-12-10T11:30:00Z", "2026-12-10T12:30:00Z"), m
assert "meeting room 3" in f["message"].lower(), f["message"]
assert m["source"].endswith("meeting-rooms.ics"), m["source"]
'

t "completeness: Catch-up with Priya on Fri 11 Dec has no location" json "$TMP/check.out" '
f = one(d, "completeness", "catch-up-priya@example.com")
assert f["severity"] == "warning", f["severity"]
o = f["occurrences"][0]
assert (o["start"], o["end"]) == ("2026-12-11T15:00:00Z", "2026-12-11T16:00:00Z"), o
assert o["location"] is None, o["location"]
assert "location" in f["message"].lower(), f["message"]
'

t "conflict: URGENT contract signing vs 1:1 with Jo, the 1:1 should move" json "$TMP/check.out" '
f = one(d, "conflict", "one-to-one-jo@example.com", "contract-signing-northwind@example.com")
assert f["severity"] == "error", f["severity"]
occ = {o["uid"]: o for o in f["occurrences"]}
jo, c = occ["one-to-one-jo@example.com"], occ["contract-signing-northwind@example.com"]
assert (jo["start"], jo["end"]) == ("2026-12-10T16:00:00Z", "2026-12-10T16:30:00Z"), jo
assert (c["start"], c["end"]) == ("2026-12-10T16:00:00Z", "2026-12-10T16:45:00Z"), c
assert jo["recurrence_id"] == "2026-12-10T16:00:00Z", jo["recurrence_id"]
assert c["recurrence_id"] is None, c["recurrence_id"]
assert (jo["priority"], c["priority"]) == (7, 1), (jo["priority"], c["priority"])
s = f["suggestion"]
assert s["move"] == "one-to-one-jo@example.com", s["move"]
assert s["move_recurrence_id"] == "2026-12-10T16:00:00Z", s["move_recurrence_id"]
assert len(s["slots"]) == 3, "expected 3 suggested slots (the default), got %r" % s["slots"]
'

t "priority: the urgent contract signing takes precedence over the 1:1" json "$TMP/check.out" '
f = one(d, "priority", "one-to-one-jo@example.com", "contract-signing-northwind@example.com")
assert f["severity"] in ("warning", "error"), f["severity"]
assert f["suggestion"]["move"] == "one-to-one-jo@example.com", f["suggestion"]
assert f["suggestion"]["move_recurrence_id"] == "2026-12-10T16:00:00Z", f["suggestion"]
assert "URGENT: contract signing with Northwind" in f["message"] and "1:1 with Jo" in f["message"], f["message"]
'

t "every suggested slot lasts as long as the appointment it moves" json "$TMP/check.out" '
for f in d["findings"]:
    s = f.get("suggestion")
    if not s:
        continue
    mover = [o for o in f["occurrences"] if o["uid"] == s["move"] and o["recurrence_id"] == s["move_recurrence_id"]]
    assert len(mover) == 1, (s, f["occurrences"])
    length = utc(mover[0]["end"]) - utc(mover[0]["start"])
    for slot in s["slots"]:
        assert utc(slot["end"]) - utc(slot["start"]) == length, (f["check"], slot, length)
        assert slot["start"] != mover[0]["start"], "a suggestion that does not move: %r" % slot
'

# ---- are the suggested slots really free? ---------------------------------
# For each suggestion of a conflict or resource finding, book the appointment
# at the suggested slot in a copy of the diary and check again.
cat >"$TMP/move.py" <<'PYEOF'
"""move.py SRC DST UID RID|null START END: copy the .ics files of SRC to DST
with the occurrence (UID, RID) moved to [START, END) (UTC, RFC 3339).  A
recurring occurrence gets an override (RECURRENCE-ID) of its own."""
import datetime, os, re, sys
from zoneinfo import ZoneInfo

src, dst, uid, rid, start, end = sys.argv[1:7]
rid = None if rid == "null" else rid

def ical(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%dT%H%M%SZ")

def instant(line):
    """RECURRENCE-ID line -> 'YYYY-MM-DDTHH:MM:SSZ'."""
    head, value = line.split(":", 1)
    m = re.search(r";TZID=([^;:]+)", head)
    t = datetime.datetime.strptime(value.strip().rstrip("Z"), "%Y%m%dT%H%M%S")
    if value.strip().endswith("Z"):
        t = t.replace(tzinfo=datetime.timezone.utc)
    elif m:
        t = t.replace(tzinfo=ZoneInfo(m.group(1)))
    else:
        raise SystemExit("floating RECURRENCE-ID not handled: " + line)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def name(line):
    return re.split(r"[;:]", line, 1)[0].upper()

new_times = ["DTSTART:" + ical(start), "DTEND:" + ical(end)]
hits = 0
os.makedirs(dst, exist_ok=True)
for fn in sorted(os.listdir(src)):
    if not fn.endswith(".ics"):
        continue
    raw = open(os.path.join(src, fn), encoding="utf-8").read()
    lines = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    # VEVENT blocks as (begin index, end index)
    blocks, open_at = [], None
    for i, line in enumerate(lines):
        if line.upper() == "BEGIN:VEVENT":
            open_at = i
        elif line.upper() == "END:VEVENT" and open_at is not None:
            blocks.append((open_at, i))
            open_at = None
    mine = [(b, e) for b, e in blocks if any(l == "UID:" + uid for l in lines[b:e])]
    if not mine:
        out = lines
    else:
        master = [(b, e) for b, e in mine if not any(name(l) == "RECURRENCE-ID" for l in lines[b:e])]
        if rid is None:
            target = master
        else:
            target = [(b, e) for b, e in mine
                      if any(name(l) == "RECURRENCE-ID" and instant(l) == rid for l in lines[b:e])]
        out = list(lines)
        if target:
            b, e = target[0]
            body = [l for l in lines[b + 1:e] if name(l) not in ("DTSTART", "DTEND", "DURATION")]
            out[b:e + 1] = ["BEGIN:VEVENT"] + body + new_times + ["END:VEVENT"]
        elif rid is not None and master:
            b, e = master[0]
            body = [l for l in lines[b + 1:e]
                    if name(l) not in ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE")]
            override = ["BEGIN:VEVENT"] + body + ["RECURRENCE-ID:" + ical(rid)] + new_times + ["END:VEVENT"]
            out[e + 1:e + 1] = override
        else:
            raise SystemExit("%s: no VEVENT for %s %s" % (fn, uid, rid))
        hits += 1
    with open(os.path.join(dst, fn), "w", encoding="utf-8") as fh:
        fh.write("\r\n".join(out))
if hits != 1:
    raise SystemExit("UID %s found in %d files" % (uid, hits))
PYEOF

# One line per suggested slot: check<TAB>uid<TAB>rid<TAB>start<TAB>end<TAB>other uid<TAB>other rid
t "conflict and resource findings come with suggested slots" json "$TMP/check.out" '
rows, seen = [], set()
for f in d["findings"]:
    if f["check"] not in ("conflict", "resource"):
        continue
    s = f["suggestion"]
    assert s["slots"], "no free slot suggested for: " + f["message"]
    other = [o for o in f["occurrences"] if (o["uid"], o["recurrence_id"]) != (s["move"], s["move_recurrence_id"])][0]
    for slot in s["slots"]:
        if (s["move"], s["move_recurrence_id"], slot["start"]) in seen:
            continue  # the same move, offered for another finding too
        seen.add((s["move"], s["move_recurrence_id"], slot["start"]))
        rows.append("\t".join([f["check"], s["move"], s["move_recurrence_id"] or "null", slot["start"], slot["end"],
                               other["uid"], other["recurrence_id"] or "null"]))
open(sys.argv[1].replace("check.out", "moves.tsv"), "w").write("\n".join(rows) + "\n")
'

# A window wide enough for any suggestion (the horizon is 14 days).
WIDE=(--from 2026-11-23 --to 2026-12-26 --tz Europe/London --now 2026-12-01T09:00:00Z)
n=0
if [ -s "$TMP/moves.tsv" ]; then
  while IFS=$'\t' read -r check uid rid start end other orid; do
    n=$((n + 1))
    dir=$TMP/moved-$n
    if ! why=$("$PY" "$TMP/move.py" "$SAMPLE" "$dir" "$uid" "$rid" "$start" "$end" 2>&1); then
      fail "$check suggestion $start for $uid: copy the diary with it moved" "$why"
      continue
    fi
    run "moved-$n" check --json "${WIDE[@]}" "$dir"
    run "moved-$n-occ" occurrences --json "${WIDE[@]}" "$dir"
    t "$check suggestion: $uid moved to $start is listed there" json "$TMP/moved-$n-occ.out" "
mine = [o for o in d['occurrences'] if o['uid'] == '$uid' and o['recurrence_id'] == (None if '$rid' == 'null' else '$rid')]
assert [(o['start'], o['end']) for o in mine] == [('$start', '$end')], mine
"
    t "$check suggestion: $uid moved to $start clears the $check with $other and raises no new clash" json "$TMP/moved-$n.out" "
rid = None if '$rid' == 'null' else '$rid'
orid = None if '$orid' == 'null' else '$orid'
def involves(f, u, r):
    return any(o['uid'] == u and o['recurrence_id'] == r for o in f['occurrences'])
same = [f for f in d['findings'] if f['check'] == '$check' and involves(f, '$uid', rid) and involves(f, '$other', orid)]
assert not same, 'still reported: ' + same[0]['message']
bad = [f for f in d['findings'] if f['check'] in ('conflict', 'resource', 'buffer', 'priority', 'hours', 'workload')
       and involves(f, '$uid', rid)]
assert not bad, 'new finding: ' + '; '.join(f['check'] + ': ' + f['message'] for f in bad)
"
  done <"$TMP/moves.tsv"
fi
[ "$n" -gt 0 ] || fail "at least one suggested slot was tried" "no suggestions found in $TMP/check.out"

# ---- text output ------------------------------------------------------------
run text check --color=never "${WINDOW[@]}" "$SAMPLE"
t "text output exits 1 like --json" expect_rc text 1
cp "$TMP/text.out" "$TMP/text.txt"
t "text output groups findings under their day's heading and shows every message" json "$TMP/check.out" '
text = open(sys.argv[1].replace("check.out", "text.txt"), encoding="utf-8").read()
lines = text.split("\n")
headings = [i for i, l in enumerate(lines) if l and not l[0].isspace() and "occurrences checked" not in l]
heading_text = [lines[i] for i in headings]
assert len(set(heading_text)) == len(heading_text), "a day heading appears twice: %s" % heading_text
days = []
for f in d["findings"]:
    day = min(london(o["start"]) for o in f["occurrences"])
    want = "%s %d %s %d" % (day.strftime("%A"), day.day, day.strftime("%B"), day.year)
    at = [i for i, l in enumerate(lines) if f["message"] in l]
    assert at, "message missing from text output: " + f["message"]
    i = at[0]
    assert f["severity"] in lines[i] and f["check"] in lines[i], lines[i]
    above = [h for h in headings if h < i]
    assert above, "no heading above: " + lines[i]
    assert lines[above[-1]] == want, "%r is under %r, expected %r" % (f["message"], lines[above[-1]], want)
    days.append(want)
for want in ("Tuesday 8 December 2026", "Wednesday 9 December 2026", "Thursday 10 December 2026", "Friday 11 December 2026"):
    assert want in heading_text, "no heading %r in %s" % (want, heading_text)
order = [heading_text.index(x) for x in dict.fromkeys(days)]
assert order == sorted(order), "day headings out of order: %s" % heading_text
assert re.search(r"\b13 occurrences\b", text), "no occurrence count in the summary"
'
t "text output: --color=never has no escape codes" no_escapes "$TMP/text.out" "Tuesday 8 December 2026"
run colour check --color=always "${WINDOW[@]}" "$SAMPLE"
t "text output: --color=always has escape codes" has_escapes "$TMP/colour.out"
uncoloured_is() { diff <(sed "s/$ESC\[[0-9;]*m//g" "$1") "$2"; }
t "text output: --color=always without its escape codes is the --color=never text" \
  uncoloured_is "$TMP/colour.out" "$TMP/text.out"
run auto check "${WINDOW[@]}" "$SAMPLE"
t "text output: no escape codes by default when stdout is not a terminal" \
  no_escapes "$TMP/auto.out" "Tuesday 8 December 2026"

# On a terminal (script(1) gives diaryd one): colour unless NO_COLOR is set.
on_tty() { # NAME ENV... -- ARGS...: runs diaryd under a pseudo-terminal
  local name=$1 envs=() cmd
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  printf -v cmd '%q ' "$DIARYD" "$@"
  env "${envs[@]}" TERM=xterm timeout "$RUN_TIMEOUT" script -qec "$cmd" /dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
}
if command -v script >/dev/null; then
  on_tty tty -u NO_COLOR -- check "${WINDOW[@]}" "$SAMPLE"
  t "on a terminal: colour by default" has_escapes "$TMP/tty.out"
  on_tty tty_nocolor NO_COLOR=1 -- check "${WINDOW[@]}" "$SAMPLE"
  t "on a terminal: no colour with NO_COLOR=1" no_escapes "$TMP/tty_nocolor.out" "Tuesday 8 December 2026"
  on_tty tty_never -u NO_COLOR -- check --color=never "${WINDOW[@]}" "$SAMPLE"
  t "on a terminal: no colour with --color=never" no_escapes "$TMP/tty_never.out" "Tuesday 8 December 2026"
else
  fail "on a terminal: colour by default" "script(1) is missing (apt-get install bsdutils)"
fi

# ---- determinism ------------------------------------------------------------
run check2 check --json "${WINDOW[@]}" "$SAMPLE"
t "--json output is identical across two runs" cmp "$TMP/check.out" "$TMP/check2.out"
run text2 check --color=never "${WINDOW[@]}" "$SAMPLE"
t "text output is identical across two runs" cmp "$TMP/text.out" "$TMP/text2.out"
run reorder check --json "${WINDOW[@]}" "$SAMPLE/work.ics" "$SAMPLE/personal.ics" "$SAMPLE/meeting-rooms.ics"
run reorder2 check --json "${WINDOW[@]}" "$SAMPLE/meeting-rooms.ics" "$SAMPLE/personal.ics" "$SAMPLE/work.ics"
t "naming the files in another order gives the same findings" cmp "$TMP/reorder.out" "$TMP/reorder2.out"

finish
