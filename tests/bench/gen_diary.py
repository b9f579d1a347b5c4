#!/usr/bin/python3
"""Writes a synthetic diary for 2026 as one VCALENDAR.

usage: gen_diary.py --events N --seed S [--mix realistic|dense] OUT.ics

--mix realistic (the default): the owner's own appointments are about 6% of
the events (about 6 a working day); the rest come from the team and shared
calendars they subscribe to, which show as free (TRANSP:TRANSPARENT), as
subscribed calendars usually do.  --mix dense: every event is the owner's,
so 30,000 busy occurrences crowd a year and almost all of them overlap: a
stress case, not a diary.

The calendar holds exactly N VEVENTs (overrides count as VEVENTs): mostly
one-off meetings, some weekly, daily and monthly series (COUNT or UNTIL, some
with EXDATEs and moved or cancelled overrides), a few all-day events, some
TRANSPARENT or CANCELLED.  Times are Europe/London (a VTIMEZONE is included)
apart from a few America/New_York ones that rely on the zone database.
About 3 occurrences per VEVENT fall in 2026.  The same seed gives the same
file, byte for byte.
"""
import argparse
import datetime as dt
import random
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.timezone.utc
YEAR_START = dt.date(2026, 1, 1)
YEAR_END = dt.date(2026, 12, 31)

VTIMEZONE_LONDON = """BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19810329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19961027T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE""".split("\n")

OWNER = ("Alex Morgan", "alex.morgan@example.com")
PEOPLE = [
    ("Priya Shah", "priya.shah@example.com"), ("Tom Hughes", "tom.hughes@example.com"),
    ("Fatima Okafor", "fatima.okafor@example.com"), ("James O'Neill", "james.oneill@example.com"),
    ("Chloé Martin", "chloe.martin@example.com"), ("Wei Zhang", "wei.zhang@example.com"),
    ("Sofia Rossi", "sofia.rossi@example.com"), ("Ben Carter", "ben.carter@example.com"),
    ("Aisha Rahman", "aisha.rahman@example.com"), ("Liam Byrne", "liam.byrne@example.com"),
    ("Hannah Cohen", "hannah.cohen@example.com"), ("Oliver Smith", "oliver.smith@example.com"),
    ("Maya Patel", "maya.patel@example.com"), ("Jörg Weber", "joerg.weber@example.de"),
    ("Grace Lee", "grace.lee@example.org"), ("Daniel Evans", "daniel.evans@example.org"),
    ("Emily Clarke", "emily.clarke@client.example.net"), ("Raj Kumar", "raj.kumar@client.example.net"),
    ("Sarah Miller", "sarah.miller@partner.example.us"), ("Kevin Brown", "kevin.brown@partner.example.us"),
]
LOCATIONS = [
    "Room 2.01", "Room 2.14", "Room 3.07 (Boardroom)", "Room 3.12", "Room 4.02",
    "Thames meeting room", "Severn meeting room", "Mersey meeting room", "Kitchen area, 2nd floor",
    "Reception", "Training suite", "Auditorium", "Phone booth 4",
    "1 Canada Square, London E14 5AB", "30 St Mary Axe, London EC3A 8BF",
    "221B Baker Street, London NW1 6XE", "King's Cross station, Pancras Road, London N1C 4QP",
    "Manchester office, 3 Hardman Street, M3 3HF", "Bristol office, Temple Quay, BS1 6DZ",
    "Edinburgh office, 1 Princes Street, EH2 2EQ", "Café Nero, Fleet Street",
    "The Crown & Anchor, 22 Neal Street, London", "Client site: Acme Ltd, 10 High Street, Reading",
    "Client site: Globex, Salford Quays", "Heathrow Terminal 5",
    "Teams", "Zoom", "Google Meet", "https://meet.example.com/abc-defg-hij", "Home office",
]
MEETINGS = [
    "1:1 with {p}", "Catch-up with {p}", "Project Atlas sync", "Project Borealis review",
    "Budget review", "Quarterly planning", "Hiring panel", "Interview: Senior Engineer",
    "Interview: Product Manager", "Client call – Acme", "Client call – Globex", "Vendor demo",
    "Design review", "Architecture forum", "Sprint planning", "Sprint retrospective",
    "Board pack preparation", "Lunch with {p}", "Coffee with {p}", "Coaching session",
    "Risk committee", "Incident review", "Security training", "All-hands", "Town hall Q&A",
    "Contract negotiation", "Pricing workshop", "Roadmap discussion", "Customer visit",
    "Supplier meeting", "Expenses and admin", "Focus time",
]
SERIES = [
    "Weekly 1:1 with {p}", "Team stand-up", "Leadership team meeting", "Ops review",
    "Project Atlas weekly", "Sales pipeline review", "Mentoring with {p}", "Monthly finance close",
    "Engineering sync", "Product council", "Gym", "School run",
]
ALL_DAY = [
    ("Annual leave", False), ("Conference: FutureTech London", False), ("Offsite", False),
    ("Training day", False), ("Bank holiday", True), ("Working from home", True),
    ("{p} on leave", True), ("Birthday: {p}", True),
]
DESCRIPTIONS = [
    "Agenda:\n1. Actions from last time\n2. Status\n3. AOB",
    "Please read the attached paper beforehand.",
    "Dial-in: +44 20 7946 0000, PIN 123456#",
    "Bring laptop; we'll go through the numbers together.",
    "Wheelchair access via the side entrance. Vegetarian lunch requested.",
    "Notes: https://wiki.example.com/pages/12345",
]
DURATIONS = [30, 30, 45, 60, 60, 60, 90]


def escape(text):
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line):
    """Folds a content line to 75 octets without splitting a UTF-8 sequence."""
    data = line.encode("utf-8")
    parts, limit = [], 75
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        parts.append(data[:cut])
        data, limit = data[cut:], 74
    parts.append(data)
    return b"\r\n ".join(parts)


def utc_stamp(t):
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local(t):
    return t.strftime("%Y%m%dT%H%M%S")


def random_weekday(rng, first=YEAR_START, last=YEAR_END):
    while True:
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        if day.weekday() < 5:
            return day


def meeting_time(rng, day, zone):
    """A start and end in working hours, 08:00-18:00 on a 15-minute grid."""
    minutes = rng.choice(DURATIONS)
    slot = rng.randrange((18 * 60 - minutes - 8 * 60) // 15 + 1)
    start = dt.datetime.combine(day, dt.time(8), zone) + dt.timedelta(minutes=15 * slot)
    return start, start + dt.timedelta(minutes=minutes)


class Diary:
    def __init__(self, rng):
        self.rng = rng
        self.n_uid = 0

    def uid(self):
        self.n_uid += 1
        return "%08x-%04d@diary.example.com" % (self.rng.getrandbits(32), self.n_uid)

    def person(self):
        return self.rng.choice(PEOPLE)

    def common(self, uid, start, summary, extra_people=True):
        """UID, stamps, SUMMARY, LOCATION, DESCRIPTION, people and PRIORITY."""
        rng = self.rng
        first = start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time(9), LONDON)
        if rng.random() < 0.02:
            created = first - dt.timedelta(minutes=rng.randrange(10, 120))  # short notice
        else:
            created = first - dt.timedelta(days=rng.randrange(1, 90), minutes=rng.randrange(1440))
        stamp = created + dt.timedelta(minutes=rng.randrange(1, 600))
        lines = ["UID:" + uid, "DTSTAMP:" + utc_stamp(stamp), "CREATED:" + utc_stamp(created)]
        if rng.random() < 0.3:
            lines.append("LAST-MODIFIED:" + utc_stamp(stamp))
        lines.append("SUMMARY:" + escape(summary.format(p=self.person()[0])))
        if extra_people and rng.random() < 0.9:
            lines.append("LOCATION:" + escape(rng.choice(LOCATIONS)))
        if rng.random() < 0.25:
            lines.append("DESCRIPTION:" + escape(rng.choice(DESCRIPTIONS)))
        if extra_people:
            lines += self.people()
        lines.append("PRIORITY:%d" % (0 if rng.random() < 0.7 else rng.randint(1, 9)))
        return lines

    def people(self):
        rng = self.rng
        n = rng.choice([0, 1, 1, 2, 2, 3, 4])
        if n == 0:
            return []
        organiser = OWNER if rng.random() < 0.6 else self.person()
        lines = ['ORGANIZER;CN="%s":mailto:%s' % organiser]
        guests = rng.sample(PEOPLE, n)
        if organiser is not OWNER:
            guests[0] = OWNER
        for name, email in guests:
            partstat = rng.choice(["ACCEPTED", "ACCEPTED", "ACCEPTED", "TENTATIVE", "NEEDS-ACTION"])
            role = "OPT-PARTICIPANT" if rng.random() < 0.15 else "REQ-PARTICIPANT"
            lines.append('ATTENDEE;CN="%s";ROLE=%s;PARTSTAT=%s;RSVP=TRUE:mailto:%s'
                         % (name, role, partstat, email))
        return lines

    def status(self, lines, transparent=0.03, cancelled=0.03):
        if self.shared and self.rng.random() < self.shared:
            lines.append("TRANSP:TRANSPARENT")
            lines.append("CATEGORIES:Team calendar")
            return
        r = self.rng.random()
        if r < transparent:
            lines.append("TRANSP:TRANSPARENT")
        elif r < transparent + cancelled:
            lines.append("STATUS:CANCELLED")
        elif r < transparent + cancelled + 0.1:
            lines.append("STATUS:TENTATIVE")
        else:
            lines.append("STATUS:CONFIRMED")

    def one_off(self, budget):
        rng = self.rng
        if rng.random() < 0.04:
            start, end = meeting_time(rng, random_weekday(rng), NEW_YORK)
            when = ["DTSTART;TZID=America/New_York:" + local(start),
                    "DTEND;TZID=America/New_York:" + local(end)]
        else:
            start, end = meeting_time(rng, random_weekday(rng), LONDON)
            when = ["DTSTART;TZID=Europe/London:" + local(start),
                    "DTEND;TZID=Europe/London:" + local(end)]
        lines = self.common(self.uid(), start, rng.choice(MEETINGS)) + when
        self.status(lines)
        return [lines]

    def all_day(self, budget):
        rng = self.rng
        summary, transparent = rng.choice(ALL_DAY)
        day = random_weekday(rng)
        days = rng.choice([1, 1, 1, 2, 3, 5]) if not transparent else 1
        lines = self.common(self.uid(), day, summary, extra_people=False)
        lines += ["DTSTART;VALUE=DATE:" + day.strftime("%Y%m%d"),
                  "DTEND;VALUE=DATE:" + (day + dt.timedelta(days=days)).strftime("%Y%m%d")]
        if summary.startswith("Birthday"):
            lines.append("RRULE:FREQ=YEARLY")
        lines.append("TRANSP:TRANSPARENT" if transparent else "TRANSP:OPAQUE")
        return [lines]

    def series(self, budget):
        rng = self.rng
        kind = rng.choices(["weekly", "fortnightly", "daily", "monthly"], [55, 10, 20, 15])[0]
        first_day = random_weekday(rng, dt.date(2025, 10, 1), dt.date(2026, 11, 30))
        if kind == "weekly":
            rule, count = "FREQ=WEEKLY", rng.randint(6, 30)
        elif kind == "fortnightly":
            rule, count = "FREQ=WEEKLY;INTERVAL=2", rng.randint(4, 16)
        elif kind == "daily":
            rule, count = "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", rng.randint(5, 20)
        else:
            nth = min((first_day.day - 1) // 7 + 1, 4)
            first_day = nth_weekday(first_day.year, first_day.month, first_day.weekday(), nth)
            rule = "FREQ=MONTHLY;BYDAY=%d%s" % (nth, "MO TU WE TH FR".split()[first_day.weekday()])
            count = rng.randint(6, 12)
        dates = series_dates(kind, first_day, count)
        start, end = meeting_time(rng, first_day, LONDON)
        length = end - start
        starts = [dt.datetime.combine(d, start.time(), LONDON) for d in dates]
        if rng.random() < 0.5:
            rule += ";COUNT=%d" % count
        else:
            last = dt.datetime.combine(dates[-1], dt.time(23, 59, 59), LONDON)
            rule += ";UNTIL=" + utc_stamp(last)

        uid = self.uid()
        master = self.common(uid, start, rng.choice(SERIES))
        master += ["DTSTART;TZID=Europe/London:" + local(start),
                   "DTEND;TZID=Europe/London:" + local(end), "RRULE:" + rule]
        spare = list(range(1, len(starts)))
        rng.shuffle(spare)
        if rng.random() < 0.25:
            skipped, spare = spare[:rng.randint(1, 3)], spare[3:]
            for i in sorted(skipped):
                master.append("EXDATE;TZID=Europe/London:" + local(starts[i]))
        self.status(master, transparent=0.05, cancelled=0.01)

        objects = [master]
        if rng.random() < 0.2:
            for i in spare[:min(rng.randint(1, 2), budget - 1)]:
                objects.append(self.override(uid, master, starts[i], length))
        return objects

    def override(self, uid, master, original, length):
        """A moved (or now and then cancelled) instance of a series."""
        rng = self.rng
        moved = original + dt.timedelta(minutes=rng.choice([-120, -60, -30, 30, 60, 90, 120]))
        if rng.random() < 0.2:
            moved = moved + dt.timedelta(days=1 if original.weekday() < 4 else -1)
        lines = [line for line in master
                 if line.split(":")[0].split(";")[0] in ("UID", "SUMMARY", "LOCATION", "ORGANIZER",
                                                        "ATTENDEE", "PRIORITY", "CREATED")]
        lines += ["DTSTAMP:" + utc_stamp(original - dt.timedelta(days=rng.randint(1, 20))),
                  "RECURRENCE-ID;TZID=Europe/London:" + local(original), "SEQUENCE:1",
                  "DTSTART;TZID=Europe/London:" + local(moved),
                  "DTEND;TZID=Europe/London:" + local(moved + length)]
        lines.append("STATUS:CANCELLED" if rng.random() < 0.15 else "STATUS:CONFIRMED")
        return lines


def series_dates(kind, first, count):
    dates, day = [], first
    while len(dates) < count:
        dates.append(day)
        if kind == "weekly":
            day += dt.timedelta(days=7)
        elif kind == "fortnightly":
            day += dt.timedelta(days=14)
        elif kind == "daily":
            day += dt.timedelta(days=3 if day.weekday() == 4 else 1)
        else:
            month = day.month % 12 + 1
            day = nth_weekday(day.year + (month == 1), month, first.weekday(), (first.day - 1) // 7 + 1)
    return dates


def nth_weekday(year, month, weekday, nth):
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7 + 7 * (nth - 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, required=True, help="number of VEVENTs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=["realistic", "dense"], default="realistic")
    parser.add_argument("out", help="output .ics file")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    diary = Diary(rng)
    diary.shared = 0.94 if args.mix == "realistic" else 0.0
    events = []
    while len(events) < args.events:
        make = rng.choices([diary.one_off, diary.series, diary.all_day], [76, 21.5, 2.5])[0]
        events += make(args.events - len(events))

    with open(args.out, "wb") as out:
        head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diary.example.com//diary 1.0//EN",
                "CALSCALE:GREGORIAN", "X-WR-CALNAME:Alex Morgan"] + VTIMEZONE_LONDON
        for line in head:
            out.write(fold(line) + b"\r\n")
        for lines in events:
            for line in ["BEGIN:VEVENT"] + lines + ["END:VEVENT"]:
                out.write(fold(line) + b"\r\n")
        out.write(b"END:VCALENDAR\r\n")


if __name__ == "__main__":
    main()
