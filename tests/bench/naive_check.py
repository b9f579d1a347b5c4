#!/usr/bin/python3
"""The naive baseline: icalendar + recurring_ical_events + a pairwise scan.

usage: naive_check.py FILE.ics [--from 2026-01-01] [--to 2027-01-01] [--scan-limit K]

Parses the file, expands it over [from, to) in Europe/London, keeps the busy
occurrences (not TRANSPARENT, not CANCELLED) and compares every pair of them
for overlap.  Prints one JSON line with the counts and the CPU time of each
stage.  --scan-limit K scans only the first K busy occurrences and scales the
scan time by n^2/K^2 (quick runs only; "conflicts" is then null).
"""
import argparse
import datetime as dt
import json
import resource
import time
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

LONDON = ZoneInfo("Europe/London")


def instant(value):
    """Seconds since the epoch; dates are local midnights in Europe/London."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), LONDON)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.timestamp()


def is_busy(event):
    return (str(event.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT"
            and str(event.get("STATUS", "")).upper() != "CANCELLED")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file")
    parser.add_argument("--from", dest="start", default="2026-01-01")
    parser.add_argument("--to", dest="end", default="2027-01-01")
    parser.add_argument("--scan-limit", type=int, help="scan only the first K occurrences")
    args = parser.parse_args()
    window = [dt.datetime.combine(dt.date.fromisoformat(d), dt.time(), LONDON)
              for d in (args.start, args.end)]

    t0 = time.process_time()
    with open(args.file, "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    parse_cpu = time.process_time() - t0
    n_events = len(calendar.walk("VEVENT"))
    occurrences = recurring_ical_events.of(calendar).between(window[0], window[1])
    busy = []
    for occ in occurrences:
        if is_busy(occ):
            start = occ["DTSTART"].dt
            end = occ["DTEND"].dt if "DTEND" in occ else start
            busy.append((instant(start), instant(end)))
    expand_cpu = time.process_time() - t0

    n = len(busy)
    k = n if args.scan_limit is None else min(args.scan_limit, n)
    t0 = time.process_time()
    conflicts = 0
    for i in range(k):
        a = busy[i]
        for j in range(i + 1, k):
            b = busy[j]
            if a[0] < b[1] and b[0] < a[1]:
                conflicts += 1
    scan_cpu = time.process_time() - t0

    result = {"events": n_events, "occurrences": len(occurrences), "busy": n,
              "conflicts": conflicts, "parse_cpu_s": round(parse_cpu, 3), "expand_cpu_s": round(expand_cpu, 3)}
    if k < n:
        scan_cpu *= (n * n) / (k * k) if k else 0
        result.update(conflicts=None, scanned=k, conflicts_in_scanned=conflicts,
                      scan_extrapolated=True)
    result.update(scan_cpu_s=round(scan_cpu, 3), total_cpu_s=round(expand_cpu + scan_cpu, 3),
                  peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
