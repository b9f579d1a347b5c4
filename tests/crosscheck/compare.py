#!/usr/bin/python3
"""compare.py REF.json DIARYD_OCC.json DIARYD_CHECK.json

Compares reference.py output with `diaryd occurrences --json` and
`diaryd check --json --only conflict`: the multiset of (uid, recurrence_id,
start, end, busy), the occurrence count, and the set of conflict pairs.
Prints the first differences and exits 1 on any mismatch.
"""
import collections
import datetime as dt
import json
import sys

LIMIT = 20


def instant(text):
    """RFC 3339 text as "YYYY-MM-DDTHH:MM:SSZ"; other text is kept as is."""
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if t.tzinfo is None:
        return str(text)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ident(o):
    return "%s|%s" % (o["uid"], instant(o.get("recurrence_id")) or "")


def occ_key(o):
    return (o["uid"], instant(o.get("recurrence_id")), instant(o["start"]),
            instant(o["end"]), bool(o["busy"]))


def show(k):
    return "%s..%s%s" % (k[2], k[3], "" if k[4] else " free")


def compare_occurrences(ref, got):
    a = collections.Counter(occ_key(o) for o in ref)
    b = collections.Counter(occ_key(o) for o in got)
    only_ref, only_got = a - b, b - a
    by_id = collections.defaultdict(lambda: ([], []))
    for k in sorted(only_ref.elements(), key=lambda k: (k[2], k[0])):
        by_id[k[:2]][0].append(k)
    for k in sorted(only_got.elements(), key=lambda k: (k[2], k[0])):
        by_id[k[:2]][1].append(k)
    out = []
    for (uid, rid), (r, g) in sorted(by_id.items(), key=lambda i: min(k[2] for k in i[1][0] + i[1][1])):
        out.append("occurrence %s|%s: reference %s, diaryd %s" % (
            uid, rid or "", ", ".join(map(show, r)) or "none", ", ".join(map(show, g)) or "none"))
    return out


def compare_conflicts(ref_pairs, findings):
    out = []
    got = collections.Counter()
    for f in findings:
        if f.get("check") != "conflict":
            continue
        occs = f.get("occurrences", [])
        if len(occs) != 2:
            out.append("conflict finding with %d occurrences: %s" % (len(occs), f.get("message")))
            continue
        got[tuple(sorted(map(ident, occs)))] += 1
    want = {tuple(p) for p in ref_pairs}
    for pair, n in sorted(got.items()):
        if n > 1:
            out.append("conflict %s / %s reported %d times by diaryd" % (pair + (n,)))
    for pair in sorted(want - set(got)):
        out.append("conflict %s / %s: reference only" % pair)
    for pair in sorted(set(got) - want):
        out.append("conflict %s / %s: diaryd only" % pair)
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: compare.py REF.json DIARYD_OCC.json DIARYD_CHECK.json")
    docs = []
    for path in sys.argv[1:]:
        try:
            with open(path) as f:
                docs.append(json.load(f))
        except (OSError, ValueError) as e:
            print("cannot read %s: %s" % (path, e))
            return 1
    ref, occ, check = docs
    diffs = compare_occurrences(ref["occurrences"], occ["occurrences"])
    if check.get("occurrences") != len(ref["occurrences"]):
        diffs.append("check counts %s occurrences, reference %d" % (
            check.get("occurrences"), len(ref["occurrences"])))
    diffs += compare_conflicts(ref["conflicts"], check.get("findings", []))
    if diffs:
        print("%d differences (reference: %d occurrences, %d conflicts; diaryd: %d occurrences)" % (
            len(diffs), len(ref["occurrences"]), len(ref["conflicts"]), len(occ["occurrences"])))
        for line in diffs[:LIMIT]:
            print("  " + line)
        return 1
    print("same: %d occurrences, %d conflicts" % (len(ref["occurrences"]), len(ref["conflicts"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
