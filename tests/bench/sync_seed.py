#!/usr/bin/python3
"""Seeds a Radicale filesystem storage with one calendar of generated events.

usage: sync_seed.py --objects N --seed S STORAGE_FOLDER USER CALENDAR

Writes STORAGE_FOLDER/collection-root/USER/CALENDAR/ straight into Radicale's
"multifilesystem" layout (one .ics file per calendar object resource plus the
collection's .Radicale.props), so it must run before Radicale starts.  The
events come from gen_diary.py's generator (realistic mix): one-off meetings,
weekly/daily/monthly series, some with EXDATEs and moved or cancelled
overrides (stored in the same resource as their master, as CalDAV requires),
all-day events, attendees, locations, descriptions.  Each resource carries a
VTIMEZONE for Europe/London when it uses that zone, as servers and clients
usually send it.  Exactly N resources (N distinct UIDs) are written; the same
seed gives the same files.  Prints one line of statistics on stdout.
"""
import argparse
import importlib.util
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gen_diary", os.path.join(HERE, "gen_diary.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def resource(vevents):
    """One calendar object resource (bytes) holding VEVENTs that share a UID."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diary.example.com//diary 1.0//EN",
            "CALSCALE:GREGORIAN"]
    if any("TZID=Europe/London" in line for lines in vevents for line in lines):
        head += gen.VTIMEZONE_LONDON
    out = [gen.fold(line) for line in head]
    for lines in vevents:
        out += [gen.fold(line) for line in ["BEGIN:VEVENT"] + lines + ["END:VEVENT"]]
    out.append(b"END:VCALENDAR")
    return b"\r\n".join(out) + b"\r\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, required=True, help="number of resources (UIDs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("folder", help="Radicale [storage] filesystem_folder")
    parser.add_argument("user")
    parser.add_argument("calendar")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    diary = gen.Diary(rng)
    diary.shared = 0.94  # the realistic mix of gen_diary.py
    root = os.path.join(args.folder, "collection-root")
    principal = os.path.join(root, args.user)
    cal = os.path.join(principal, args.calendar)
    if os.path.exists(cal):
        sys.exit(f"sync_seed.py: {cal} exists already")
    os.makedirs(cal)
    with open(os.path.join(cal, ".Radicale.props"), "w") as f:
        json.dump({"tag": "VCALENDAR", "D:displayname": "Bench calendar",
                   "C:supported-calendar-component-set": "VEVENT",
                   "ICAL:calendar-color": "#3465a4ff"}, f)

    n_vevents = n_recurring = n_overrides = n_attendees = total = 0
    for i in range(args.objects):
        make = rng.choices([diary.one_off, diary.series, diary.all_day], [76, 21.5, 2.5])[0]
        vevents = make(10)
        data = resource(vevents)
        uid = vevents[0][0][len("UID:"):]
        href = uid.split("@")[0] + ".ics"  # e.g. 7ed4d57b-0001.ics
        with open(os.path.join(cal, href), "wb") as f:
            f.write(data)
        n_vevents += len(vevents)
        n_recurring += any(line.startswith("RRULE:") for line in vevents[0])
        n_overrides += len(vevents) - 1
        n_attendees += any(line.startswith("ATTENDEE") for lines in vevents for line in lines)
        total += len(data)
    print(f"resources={args.objects} vevents={n_vevents} recurring={n_recurring} "
          f"overrides={n_overrides} with_attendees={n_attendees} bytes={total} "
          f"mean_bytes={total / args.objects:.0f}")


if __name__ == "__main__":
    main()
