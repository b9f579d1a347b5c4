#!/usr/bin/python3
"""gen.py SEED OUTDIR: write a random but valid calendar as several .ics files.

Deterministic for a given SEED.  Covers time zones with VTIMEZONE and without
(IANA names only), UTC and floating times, all-day events, RRULE/RDATE/EXDATE,
RECURRENCE-ID overrides (moved and cancelled), DURATION, zero-length events,
TRANSP and STATUS, midnight crossings and DST changes.

Local times written in a zone never fall in a DST gap or fold: start times are
06:00-22:00, and only events that cross midnight start later, never in a month
with a DST change in any zone used (floating times may be read in any zone).
"""
import datetime as dt
import os
import random
import sys
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

ZONES = ["Europe/London", "Europe/Berlin", "America/New_York",
         "Australia/Lord_Howe", "Asia/Kolkata"]
FIRST, LAST = dt.date(2026, 1, 1), dt.date(2027, 6, 30)
SAFE_MONTHS = (1, 2, 5, 6, 7, 8, 9, 12)  # no DST change in any zone
DAY = dt.timedelta(days=1)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

# Current rules; valid for 2026-2027.
VTIMEZONES = {
    "Europe/London": [
        ("DAYLIGHT", "+0000", "+0100", "BST", "19810329T010000", "BYMONTH=3;BYDAY=-1SU"),
        ("STANDARD", "+0100", "+0000", "GMT", "19961027T020000", "BYMONTH=10;BYDAY=-1SU")],
    "Europe/Berlin": [
        ("DAYLIGHT", "+0100", "+0200", "CEST", "19810329T020000", "BYMONTH=3;BYDAY=-1SU"),
        ("STANDARD", "+0200", "+0100", "CET", "19961027T030000", "BYMONTH=10;BYDAY=-1SU")],
    "America/New_York": [
        ("DAYLIGHT", "-0500", "-0400", "EDT", "20070311T020000", "BYMONTH=3;BYDAY=2SU"),
        ("STANDARD", "-0400", "-0500", "EST", "20071104T020000", "BYMONTH=11;BYDAY=1SU")],
    "Australia/Lord_Howe": [
        ("DAYLIGHT", "+1030", "+1100", "+11", "20081005T020000", "BYMONTH=10;BYDAY=1SU"),
        ("STANDARD", "+1100", "+1030", "+1030", "20080406T020000", "BYMONTH=4;BYDAY=1SU")],
    "Asia/Kolkata": [
        ("STANDARD", "+0530", "+0530", "IST", "19700101T000000", None)],
}


def vtimezone(zone):
    lines = ["BEGIN:VTIMEZONE", "TZID:" + zone]
    for kind, off_from, off_to, name, start, rule in VTIMEZONES[zone]:
        lines += ["BEGIN:" + kind, "TZOFFSETFROM:" + off_from, "TZOFFSETTO:" + off_to,
                  "TZNAME:" + name, "DTSTART:" + start]
        if rule:
            lines.append("RRULE:FREQ=YEARLY;" + rule)
        lines.append("END:" + kind)
    return lines + ["END:VTIMEZONE"]


def dst_change_day(day, zone):
    z = ZoneInfo(zone)
    a = dt.datetime.combine(day, dt.time(), z).utcoffset()
    b = dt.datetime.combine(day + DAY, dt.time(), z).utcoffset()
    return a != b


def safe_local(t, zone):
    """A wall time that is unambiguous in `zone` (None: any zone, for floating)."""
    for z in ([zone] if zone else ZONES):
        if z != "UTC" and t.hour < 4 and dst_change_day(t.date(), z):
            return False
    return True


class Time:
    """How a time is written: kind is 'tz', 'utc', 'float' or 'date'."""

    def __init__(self, kind, zone=None):
        self.kind, self.zone = kind, zone

    def fmt(self, name, t):
        if self.kind == "date":
            return "%s;VALUE=DATE:%s" % (name, t.strftime("%Y%m%d"))
        assert safe_local(t, self.zone if self.kind == "tz" else None), (name, t)
        value = t.strftime("%Y%m%dT%H%M%S")
        if self.kind == "tz":
            return "%s;TZID=%s:%s" % (name, self.zone, value)
        return "%s:%s%s" % (name, value, "Z" if self.kind == "utc" else "")

    def to_utc(self, t):
        """UTC wall time of local `t` (only for 'tz' and 'utc')."""
        if self.kind == "utc":
            return t
        aware = t.replace(tzinfo=ZoneInfo(self.zone))
        return aware.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def in_zone(self, t, zone):
        """Local `t` as a wall time in another zone ('UTC' for Z)."""
        utc = self.to_utc(t).replace(tzinfo=dt.timezone.utc)
        return utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def fmt_duration(d):
    days, secs = d.days, d.seconds
    out = "P"
    if days:
        out += "%dW" % (days // 7) if days % 7 == 0 and not secs else "%dD" % days
    if secs:
        out += "T"
        if secs // 3600:
            out += "%dH" % (secs // 3600)
        if secs % 3600:
            out += "%dM" % (secs % 3600 // 60)
    return out if out != "P" else "PT0S"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.n = 0
        self.zoned_only = False

    # -- small pickers -------------------------------------------------------
    def date(self, first=FIRST, last=LAST, months=None):
        while True:
            d = first + DAY * self.r.randrange((last - first).days + 1)
            if months is None or d.month in months:
                return d

    def clock(self, lo=6, hi=21):
        return dt.time(self.r.randint(lo, hi), self.r.choice([0, 15, 30, 45]))

    def kind(self, date_ok=True):
        x = self.r.random() * (0.55 if self.zoned_only else 1)
        if x < 0.55:
            return Time("tz", self.r.choice(ZONES))
        if x < 0.70:
            return Time("utc")
        if x < 0.85 or not date_ok:
            return Time("float")
        return Time("date")

    def minutes(self, lo, hi):
        return dt.timedelta(minutes=15 * self.r.randint(lo // 15, hi // 15))

    # -- event text ---------------------------------------------------------
    def head(self, summary):
        self.n += 1
        uid = "s%d-e%03d@crosscheck.test" % (self.seed, self.n)
        lines = ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20251201T120000Z"]
        lines += self.details(summary)
        return uid, lines

    def details(self, summary):
        r = self.r
        lines = ["SUMMARY:" + summary]
        if r.random() < 0.3:
            lines.append("LOCATION:Room %d\\, floor %d" % (r.randint(1, 9), r.randint(1, 4)))
        if r.random() < 0.1:
            lines.append("TRANSP:TRANSPARENT")
        elif r.random() < 0.2:
            lines.append("TRANSP:OPAQUE")
        x = r.random()
        if x < 0.06:
            lines.append("STATUS:CANCELLED")
        elif x < 0.2:
            lines.append("STATUS:" + r.choice(["CONFIRMED", "TENTATIVE"]))
        if r.random() < 0.1:
            lines.append("DESCRIPTION:" + "Agenda; notes\\, and a long line " * 4)
        return lines

    def timing(self, tk, start, length, style=None):
        """DTSTART plus DTEND / DURATION / nothing (length None: zero or one day)."""
        lines = [tk.fmt("DTSTART", start)]
        if length is None:
            return lines
        style = style or self.r.choice(["end", "end", "end", "duration"])
        if style == "duration":
            lines.append("DURATION:" + fmt_duration(length))
        else:
            lines.append(tk.fmt("DTEND", start + length))
        return lines

    # -- event shapes ---------------------------------------------------------
    def single(self):
        tk = self.kind()
        if tk.kind == "date":
            return self.all_day()
        start = dt.datetime.combine(self.date(), self.clock())
        length = None if self.r.random() < 0.08 else self.minutes(15, 180)
        if length and start.hour + length.seconds / 3600 >= 22:
            length = dt.timedelta(minutes=45)
        uid, lines = self.head("Meeting")
        return lines + self.timing(tk, start, length) + ["END:VEVENT"]

    def all_day(self, day=None):
        day = day or self.date()
        x = self.r.random()
        uid, lines = self.head("All day")
        if x < 0.2:
            return lines + [Time("date").fmt("DTSTART", day), "END:VEVENT"]
        length = DAY * self.r.choice([1, 1, 2, 3, 5])
        return lines + self.timing(Time("date"), day, length) + ["END:VEVENT"]

    def midnight(self, day=None):
        tk = self.kind(date_ok=False)
        day = day or self.date(months=SAFE_MONTHS)
        while day.day > 27 and day.month != 12:
            day = self.date(months=SAFE_MONTHS)
        start = dt.datetime.combine(day, dt.time(self.r.choice([22, 23]), self.r.choice([0, 30])))
        length = self.minutes(60, 300)
        uid, lines = self.head("Late")
        lines += self.timing(tk, start, length)
        if self.r.random() < 0.3:
            lines.append("RRULE:FREQ=DAILY;COUNT=3")
        return lines + ["END:VEVENT"]

    def across_dst(self):
        """A timed event spanning a DST change in its own zone."""
        zone = self.r.choice(ZONES[:4])
        day = self.date()
        while not dst_change_day(day, zone):
            day += DAY
            if day > LAST:
                day = FIRST
        start = dt.datetime.combine(day - DAY * self.r.randint(1, 2), self.clock(9, 18))
        length = dt.datetime.combine(day + DAY * self.r.randint(0, 1), self.clock(8, 12)) - start
        uid, lines = self.head("Across DST")
        x = self.r.random()
        tk = Time("tz", zone)
        if x < 0.4:
            return lines + self.timing(tk, start, length, "end") + ["END:VEVENT"]
        # Recurring across the change: DTEND gives an exact length, DURATION
        # in days a nominal one (RFC 5545 3.8.5.3).
        first = start - DAY * 7 * self.r.randint(1, 2)
        if x < 0.7:
            lines += self.timing(tk, first, length, "end")
        else:
            lines += [tk.fmt("DTSTART", first),
                      "DURATION:" + self.r.choice(["P1D", "PT24H", "P1DT2H", "P2D"])]
        return lines + ["RRULE:FREQ=WEEKLY;COUNT=4", "END:VEVENT"]

    def dense(self):
        """Several overlapping events on one day, in close zones."""
        day = self.date()
        out = []
        for _ in range(self.r.randint(3, 6)):
            tk = self.r.choice([Time("tz", "Europe/London"), Time("tz", "Europe/Berlin"),
                                Time("utc"), Time("float")])
            start = dt.datetime.combine(day, self.clock(9, 13))
            uid, lines = self.head("Busy day")
            length = None if self.r.random() < 0.1 else self.minutes(30, 150)
            out += lines + self.timing(tk, start, length) + ["END:VEVENT"]
        return out

    def edge(self):
        """Events at the ends of the 2026 window, some starting before it."""
        day = self.r.choice([FIRST - DAY, FIRST, dt.date(2026, 12, 31), dt.date(2027, 1, 1)])
        x = self.r.random()
        if x < 0.3:
            return self.all_day(day - DAY * self.r.randint(0, 1))
        if x < 0.5 and day.month == 12:
            return self.midnight(day)
        tk = self.kind(date_ok=False)
        start = dt.datetime.combine(day, self.clock(6, 21))
        uid, lines = self.head("Edge")
        return lines + self.timing(tk, start, self.minutes(30, 120)) + ["END:VEVENT"]

    def recurring(self):
        r = self.r
        tk = self.kind()
        is_date = tk.kind == "date"
        start_day = self.date(last=dt.date(2027, 3, 31))
        start = start_day if is_date else dt.datetime.combine(start_day, self.clock(6, 20))
        freq = r.choice(["DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "MONTHLY", "YEARLY"])
        parts = ["FREQ=" + freq]
        interval = r.choice([1, 1, 1, 2, 3])
        if interval > 1:
            parts.append("INTERVAL=%d" % interval)
        wd = start_day.weekday()
        if freq == "DAILY" and r.random() < 0.3 and wd < 5:
            parts.append("BYDAY=MO,TU,WE,TH,FR")
        elif freq == "WEEKLY" and r.random() < 0.6:
            days = sorted({wd} | set(r.sample(range(7), r.randint(0, 2))))
            parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in days))
            if interval > 1 and r.random() < 0.5:
                parts.append("WKST=SU")
        elif freq == "MONTHLY":
            y = r.random()
            if y < 0.35:
                nth = (start_day.day - 1) // 7 + 1
                last = (start_day + DAY * 7).month != start_day.month
                n = -1 if last and (nth == 5 or r.random() < 0.5) else nth
                parts.append("BYDAY=%d%s" % (n, WEEKDAYS[wd]))
            elif y < 0.6:
                other = r.randint(1, 28)
                days = sorted({start_day.day, other})
                parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
            elif y < 0.7 and start_day.day >= 29:
                parts.append("BYMONTHDAY=%d" % start_day.day)  # skips short months
        elif freq == "YEARLY" and r.random() < 0.5:
            months = sorted({start_day.month, r.randint(1, 12)})
            parts.append("BYMONTH=" + ",".join(map(str, months)))
            parts.append("BYMONTHDAY=%d" % start_day.day)
        # The end of the rule.
        end = r.random()
        until = None
        if end < 0.4:
            parts.append("COUNT=%d" % r.randint(2, 12 if freq == "DAILY" else 20))
        elif end < 0.75 or freq == "DAILY":
            until = "pending"
        local_rule = ";".join(parts)
        if until:
            probe = rrulestr("RRULE:" + local_rule, dtstart=self.naive(start))
            insts = list(probe.between(self.naive(start), self.naive(start) + DAY * 400, inc=True))
            pick = insts[min(len(insts) - 1, r.randint(1, 12))]
            if r.random() < 0.5:  # exactly an instance, else the end of that day
                until_local = pick
            else:
                until_local = dt.datetime.combine(pick.date(), dt.time(23, 59, 59))
            local_rule += ";UNTIL=" + self.until_value(tk, until_local, local=True)
            parts.append("UNTIL=" + self.until_value(tk, until_local))
        rule = rrulestr("RRULE:" + local_rule, dtstart=self.naive(start))
        insts = []
        for t in rule:
            if t.date() > LAST or len(insts) > 400:
                break
            insts.append(t if not is_date else t.date())

        length = self.rec_length(tk, start)
        uid, lines = self.head("Series")
        lines += self.timing(tk, start, length)
        lines.append("RRULE:" + ";".join(parts))
        # RDATE: extra instances on days without one.
        taken = {self.day_of(t) for t in insts}
        rdates = []
        if r.random() < 0.25:
            for _ in range(r.randint(1, 2)):
                d = self.date()
                if d not in taken and d > start_day:
                    taken.add(d)
                    rdates.append(d if is_date else dt.datetime.combine(d, start.time()))
            for t in rdates:
                lines.append(tk.fmt("RDATE", t))
        # EXDATE: some instances, sometimes written in another zone.
        pool = insts[1:]
        r.shuffle(pool)
        if r.random() < 0.35:
            for t in pool[:r.randint(1, 2)]:
                lines.append(self.exdate(tk, t))
            pool = pool[2:]
        lines.append("END:VEVENT")
        # Overrides: moved instances and cancelled ones.
        if r.random() < 0.35:
            for t in pool[:r.randint(1, 2)]:
                lines += self.override(uid, tk, t, length)
        return lines

    def rrule_only_rdate(self):
        tk = self.kind()
        is_date = tk.kind == "date"
        days = sorted({self.date() for _ in range(self.r.randint(2, 4))})
        t0 = dt.datetime.combine(days[0], self.clock(6, 20)) if not is_date else days[0]
        uid, lines = self.head("Dates")
        lines += self.timing(tk, t0, self.rec_length(tk, t0))
        for d in days[1:]:
            lines.append(tk.fmt("RDATE", d if is_date else dt.datetime.combine(d, t0.time())))
        return lines + ["END:VEVENT"]

    # -- helpers for series -------------------------------------------------
    @staticmethod
    def naive(t):
        return t if isinstance(t, dt.datetime) else dt.datetime.combine(t, dt.time())

    @staticmethod
    def day_of(t):
        return t.date() if isinstance(t, dt.datetime) else t

    def rec_length(self, tk, start):
        if self.r.random() < 0.08:
            return None
        if tk.kind == "date":
            return DAY * self.r.choice([1, 1, 2])
        hi = min(180, (22 - start.hour) * 60 - start.minute)
        return self.minutes(15, max(15, hi))

    def until_value(self, tk, t, local=False):
        if tk.kind == "date":
            return t.strftime("%Y%m%d")
        if tk.kind == "float" or local:
            return t.strftime("%Y%m%dT%H%M%S")
        return tk.to_utc(t).strftime("%Y%m%dT%H%M%SZ")

    def exdate(self, tk, t):
        if tk.kind in ("tz", "utc") and self.r.random() < 0.5:
            zone = self.r.choice(ZONES + ["UTC"])
            other = Time("utc") if zone == "UTC" else Time("tz", zone)
            local = tk.in_zone(t, zone)
            if not safe_local(local, zone if zone != "UTC" else None) and zone != "UTC":
                other, local = Time("utc"), tk.to_utc(t)
            return other.fmt("EXDATE", local)
        return tk.fmt("EXDATE", t)

    def override(self, uid, tk, t, length):
        r = self.r
        lines = ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20251201T120000Z",
                 tk.fmt("RECURRENCE-ID", t), "SEQUENCE:1"]
        if r.random() < 0.4:
            lines += ["SUMMARY:Series (cancelled)", "STATUS:CANCELLED"]
            return lines + self.timing(tk, t, length) + ["END:VEVENT"]
        lines += self.details("Series (moved)")
        if tk.kind == "date":
            new = t + DAY * r.choice([-2, -1, 1, 3])
            new_len = DAY * r.randint(1, 2)
        else:
            new = dt.datetime.combine(t.date() + DAY * r.choice([-1, 0, 0, 1, 2]), self.clock(6, 19))
            new_len = self.minutes(30, 120)
        return lines + self.timing(tk, new, new_len) + ["END:VEVENT"]

    # -- files --------------------------------------------------------------
    def calendar(self, events, with_vtimezones=True):
        body = [line for ev in events for line in ev]
        zones = sorted({z for z in ZONES if any(";TZID=" + z + ":" in l for l in body)})
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diaryd//crosscheck//EN",
                 "CALSCALE:GREGORIAN"]
        if with_vtimezones:
            for z in zones:
                lines += vtimezone(z)
        return lines + body + ["END:VCALENDAR"]

    def event(self):
        shapes = [(self.single, 30), (self.all_day, 8), (self.midnight, 5), (self.recurring, 30),
                  (self.rrule_only_rdate, 4), (self.across_dst, 4), (self.dense, 4), (self.edge, 4)]
        x = self.r.uniform(0, sum(w for _, w in shapes))
        for shape, w in shapes:
            x -= w
            if x < 0:
                return shape()
        return shapes[0][0]()


def fold(line):
    """Fold a content line at 75 octets (RFC 5545 3.1)."""
    data = line.encode()
    out = []
    while len(data) > 75:
        cut = 75 if not out else 74
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        out.append(data[:cut])
        data = data[cut:]
    out.append(data)
    return b"\r\n ".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py SEED OUTDIR")
    seed, outdir = int(sys.argv[1]), sys.argv[2]
    g = Gen(seed)
    os.makedirs(outdir, exist_ok=True)
    n_files = g.r.randint(2, 4)
    target = g.r.randint(40, 130)
    files = [[] for _ in range(n_files)]
    bare = []  # TZIDs with no VTIMEZONE: resolved from the system database
    g.zoned_only = True
    for _ in range(g.r.randint(3, 8)):
        bare.append(g.single() if g.r.random() < 0.6 else g.recurring())
    g.zoned_only = False
    for _ in range(g.r.randint(2, 5)):
        files[0].append(g.edge())
    total = len(bare) + len(files[0])
    while total < target:
        ev = g.event()
        total += sum(1 for l in ev if l == "BEGIN:VEVENT")
        # Most events in the first files, so some calendars are large.
        files[min(int(g.r.expovariate(1.2)), n_files - 1)].append(ev)
    cals = [("cal%d.ics" % (i + 1), g.calendar(evs)) for i, evs in enumerate(files) if evs]
    cals.append(("bare.ics", g.calendar(bare, with_vtimezones=False)))
    for name, cal in cals:
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(b"".join(fold(l) + b"\r\n" for l in cal))


if __name__ == "__main__":
    main()
