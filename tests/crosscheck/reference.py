#!/usr/bin/python3
"""reference.py --from DATE --to DATE --tz ZONE PATH...

Occurrences overlapping [from, to) (local midnights in ZONE) and the conflicts
among busy ones, computed with recurring_ical_events, as JSON on stdout.

Floating times and dates are read in ZONE.  Instance ends follow RFC 5545
3.8.5.3: DTEND gives an exact length, DURATION a nominal one for its day/week
part; no DTEND/DURATION means zero length, or one day for a DATE.
"""
import argparse
import datetime as dt
import json
import re
import sys
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

UTC = dt.timezone.utc
MARGIN = dt.timedelta(days=7)


def to_zoneinfo(value):
    """icalendar parses TZIDs into pytz zones; use zoneinfo (same database)
    so that rule expansion and arithmetic keep each instance's wall time."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        name = getattr(value.tzinfo, "zone", None)
        if name:
            return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(name))
    return value


def normalise(cal):
    for comp in cal.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            if name in comp:
                comp[name].dt = to_zoneinfo(comp[name].dt)
        for name in ("RDATE", "EXDATE"):
            props = comp.get(name, [])
            for prop in props if isinstance(props, list) else [props]:
                for v in prop.dts:
                    v.dt = to_zoneinfo(v.dt)


def durations(data):
    """DURATION text of each VEVENT, in document order.  icalendar turns
    PT24H and P1D into the same timedelta; RFC 5545 does not."""
    text = re.sub(r"\r?\n[ \t]", "", data.decode("utf-8"))
    out, stack = [], []
    for line in text.splitlines():
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name == "BEGIN":
            stack.append(line.split(":", 1)[1].strip().upper())
            if stack[-1] == "VEVENT":
                out.append(None)
        elif name == "END":
            stack.pop()
        elif name == "DURATION" and stack and stack[-1] == "VEVENT":
            out[-1] = line.split(":", 1)[1].strip()
    return out


DURATION = re.compile(r"([+-]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text):
    """(nominal days, exact timedelta)"""
    m = DURATION.match(text.upper())
    if not m:
        raise ValueError("bad DURATION " + text)
    w, d, h, mi, s = (int(x or 0) for x in m.groups()[1:])
    sign = -1 if m.group(1) == "-" else 1
    return sign * (7 * w + d), sign * dt.timedelta(hours=h, minutes=mi, seconds=s)


def instant(value, local):
    """An aware datetime for a DTSTART-like value; floating/dates in `local`."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=local)
    return dt.datetime.combine(value, dt.time(), local)


def add_duration(start, text, local):
    """start + DURATION: days and weeks in wall time, the rest exact."""
    days, exact = parse_duration(text)
    if not isinstance(start, dt.datetime):
        return start + dt.timedelta(days=days)
    zone = start.tzinfo or local
    wall = start.replace(tzinfo=None) + dt.timedelta(days=days)
    return wall.replace(tzinfo=zone).astimezone(UTC) + exact


def end_of(source, duration, start, local):
    """The end instant of an instance starting at `start` (as written)."""
    s = instant(start, local)
    if "DTEND" in source:
        if isinstance(start, dt.datetime):
            length = (instant(source["DTEND"].dt, local).astimezone(UTC)
                      - instant(source["DTSTART"].dt, local).astimezone(UTC))
            return s.astimezone(UTC) + length  # exact seconds
        days = (source["DTEND"].dt - source["DTSTART"].dt).days
        return instant(start + dt.timedelta(days=days), local)
    if duration is not None:
        return instant(add_duration(start, duration, local), local)
    if not isinstance(start, dt.datetime):
        return instant(start + dt.timedelta(days=1), local)
    return s


def rfc3339(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrences(paths, first, last, local):
    out = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        cal = icalendar.Calendar.from_ical(data)
        normalise(cal)
        sources = cal.walk("VEVENT")
        texts = durations(data)
        assert len(texts) == len(sources)
        for i, comp in enumerate(sources):
            comp["X-REF-INDEX"] = str(i)
        # Ask for a wider span and apply the overlap rule here, with our ends.
        for ev in recurring_ical_events.of(cal, keep_recurrence_attributes=True).between(
                first - MARGIN, last + MARGIN):
            index = int(ev["X-REF-INDEX"])
            source = sources[index]
            start_value = ev["DTSTART"].dt
            start = instant(start_value, local).astimezone(UTC)
            end = end_of(source, texts[index], start_value, local).astimezone(UTC)
            if start == end:
                if not first <= start < last:
                    continue
            elif not (start < last and end > first):
                continue
            if "RECURRENCE-ID" in source:
                rid = rfc3339(instant(source["RECURRENCE-ID"].dt, local))
            elif "RRULE" in source or "RDATE" in source:
                rid = rfc3339(start)
            else:
                rid = None
            busy = (str(source.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT"
                    and str(source.get("STATUS", "")).upper() != "CANCELLED")
            out.append({"uid": str(source["UID"]), "recurrence_id": rid,
                        "start": rfc3339(start), "end": rfc3339(end), "busy": busy})
    out.sort(key=lambda o: (o["start"], o["end"], o["uid"], o["recurrence_id"] or ""))
    return out


def conflicts(occs):
    busy = [o for o in occs if o["busy"] and o["start"] != o["end"]]
    busy.sort(key=lambda o: o["start"])
    key = lambda o: "%s|%s" % (o["uid"], o["recurrence_id"] or "")
    pairs = set()
    for i, a in enumerate(busy):
        for b in busy[i + 1:]:
            if b["start"] >= a["end"]:
                break
            pairs.add(tuple(sorted((key(a), key(b)))))
    return [list(p) for p in sorted(pairs)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--from", dest="first", required=True)
    p.add_argument("--to", dest="last", required=True)
    p.add_argument("--tz", required=True)
    p.add_argument("paths", nargs="+")
    a = p.parse_args()
    local = ZoneInfo(a.tz)
    first = dt.datetime.combine(dt.date.fromisoformat(a.first), dt.time(), local)
    last = dt.datetime.combine(dt.date.fromisoformat(a.last), dt.time(), local)
    occs = occurrences(a.paths, first, last, local)
    json.dump({"occurrences": occs, "conflicts": conflicts(occs)}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
