#!/usr/bin/python3
"""Writes the poison calendar objects of the hardening tests, one per file,
into DIR: each is valid enough to be read, and costly if read naively.

  poison.py DIR [CASE...]   (default: every case)
"""
import os
import sys

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd tests//poison//EN\r\n"
TAIL = "END:VCALENDAR\r\n"
STAMP = "DTSTAMP:20261201T000000Z\r\n"


def event(uid, extra, start="20261214T100000Z", end="20261214T110000Z", summary=None):
    return ("BEGIN:VEVENT\r\nUID:%s\r\n%sDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n%sEND:VEVENT\r\n"
            % (uid, STAMP, start, end, summary or "Poison " + uid, extra))


def never_matching():
    return HEAD + event("never", "RRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30\r\n") + TAIL


def secondly():
    return HEAD + event("secondly", "RRULE:FREQ=SECONDLY\r\n", end="20261214T100001Z") + TAIL


def count_huge():
    return HEAD + event("count", "RRULE:FREQ=DAILY;COUNT=10000000\r\n") + TAIL


def overlapping():
    out = [HEAD]
    for i in range(20000):
        m = i % 600
        out.append(event("overlap-%d" % i, "", start="20261215T%02d%02d00Z" % (8 + m // 60, m % 60),
                         end="20261215T%02d%02d00Z" % (8 + (m + 1) // 60, (m + 1) % 60)))
    out.append(TAIL)
    return "".join(out)


def exdates():
    ex = "".join("EXDATE:%04d%02d%02dT100000Z\r\n" % (2027 + i // 336, 1 + (i // 28) % 12, 1 + i % 28)
                 for i in range(10000))
    return HEAD + event("exdates", "RRULE:FREQ=DAILY\r\n" + ex) + TAIL


def vtimezone():
    parts = ["BEGIN:VTIMEZONE\r\nTZID:Poison/Many\r\n"]
    for year in range(1900, 1900 + 2500):
        for month, off in ((3, ("+0000", "+0100")), (10, ("+0100", "+0000"))):
            parts.append("BEGIN:%s\r\nDTSTART:%04d%02d01T020000\r\nTZOFFSETFROM:%s\r\nTZOFFSETTO:%s\r\nEND:%s\r\n"
                         % ("DAYLIGHT" if month == 3 else "STANDARD", min(year, 9999), month, off[0], off[1],
                            "DAYLIGHT" if month == 3 else "STANDARD"))
    parts.append("END:VTIMEZONE\r\n")
    ev = ("BEGIN:VEVENT\r\nUID:vtimezone\r\n" + STAMP + "DTSTART;TZID=Poison/Many:20261214T100000\r\n"
          "DTEND;TZID=Poison/Many:20261214T110000\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Poison zone\r\nEND:VEVENT\r\n")
    return HEAD + "".join(parts) + ev + TAIL


def huge_item():
    line = "DESCRIPTION:" + "x" * 70 + "\r\n"
    body = "".join(" " + "y" * 73 + "\r\n" for _ in range(200 * 1024 * 1024 // 76))
    return HEAD + event("huge", line + body) + TAIL


def properties():
    props = "".join("X-POISON-%d:value %d\r\n" % (i, i) for i in range(100000))
    return HEAD + event("props", props) + TAIL


CASES = {
    "never-matching": never_matching, "secondly": secondly, "count": count_huge, "overlapping": overlapping,
    "exdates": exdates, "vtimezone": vtimezone, "huge-item": huge_item, "properties": properties,
}

if __name__ == "__main__":
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    for name in sys.argv[2:] or list(CASES):
        with open(os.path.join(folder, name + ".ics"), "w", newline="") as f:
            f.write(CASES[name]())
