#!/usr/bin/python3
"""Reads the messages an SMTP test server stored (tests/tools/smtpd.py:
DIR/NNNN.eml and DIR/NNNN.json) as a mail client would, and prints them as one
JSON list for the integration tests' assertions.

  mailcheck.py SPOOL_DIR [FIRST_NUMBER]

Each message is parsed with Python's email package under policy.strict (a
defect is an error), its text/calendar part with python3-icalendar.  For each:
  n, envelope {mail_from, rcpt_tos, tls}, crlf_only (no bare CR or LF on the
  wire), max_line, header_names (in order), headers {name: decoded value},
  subject, message_id, in_reply_to, references, to, from, text (the plain
  part, decoded), html (bool), calendar: {content_type_method, method, uid,
  sequence, status, dtstart, dtend (ISO 8601, with the zone name when zoned),
  tzid, vtimezones [TZID...], attendees [addresses], organizer, summary,
  location}, attachments [filenames], error (when parsing failed).
"""
import email
import email.policy
import json
import os
import re
import sys

import icalendar


def calendar_of(part):
    raw = part.get_payload(decode=True)
    cal = icalendar.Calendar.from_ical(raw)
    events = [c for c in cal.walk("VEVENT")]
    ev = events[0]

    def when(prop):
        if prop not in ev:
            return None
        v = ev[prop]
        dt = v.dt
        tzid = v.params.get("TZID")
        return {"iso": dt.isoformat(), "tzid": tzid}

    def addr(v):
        return str(v).lower().replace("mailto:", "")

    attendees = ev.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    return {
        "content_type_method": part.get_param("method"),
        "charset": part.get_param("charset"),
        "method": str(cal.get("METHOD")) if cal.get("METHOD") is not None else None,
        "events": len(events),
        "uid": str(ev.get("UID")),
        "sequence": int(ev.get("SEQUENCE", 0)),
        "status": str(ev.get("STATUS")) if ev.get("STATUS") is not None else None,
        "dtstart": when("DTSTART"),
        "dtend": when("DTEND"),
        "vtimezones": [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")],
        "attendees": [addr(a) for a in attendees],
        "organizer": addr(ev.get("ORGANIZER")) if ev.get("ORGANIZER") is not None else None,
        "summary": str(ev.get("SUMMARY")) if ev.get("SUMMARY") is not None else None,
        "location": str(ev.get("LOCATION")) if ev.get("LOCATION") is not None else None,
        "valarms": len(list(ev.walk("VALARM"))),
    }


def read(spool, name):
    n = int(name[:-4])
    with open(os.path.join(spool, name), "rb") as fh:
        raw = fh.read()
    meta_path = os.path.join(spool, name[:-4] + ".json")
    with open(meta_path, encoding="utf-8") as fh:
        meta = json.load(fh)
    out = {"n": n, "envelope": meta, "size": len(raw)}
    out["crlf_only"] = re.search(rb"\r(?!\n)|(?<!\r)\n", raw) is None
    out["max_line"] = max(len(line) for line in raw.split(b"\r\n"))
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        out["header_names"] = list(msg.keys())
        out["headers"] = {k: str(v) for k, v in msg.items()}
        out["subject"] = str(msg["Subject"])
        out["message_id"] = str(msg["Message-ID"])
        out["in_reply_to"] = str(msg["In-Reply-To"]) if msg["In-Reply-To"] else None
        out["references"] = str(msg["References"]) if msg["References"] else None
        out["to"] = [a.addr_spec.lower() for a in msg["To"].addresses]
        out["to_names"] = [a.display_name for a in msg["To"].addresses]
        out["from"] = [a.addr_spec.lower() for a in msg["From"].addresses]
        out["content_type"] = msg.get_content_type()
        text = msg.get_body(preferencelist=("plain",))
        out["text"] = text.get_content() if text else None
        out["html"] = msg.get_body(preferencelist=("html",)) is not None
        out["calendar"] = None
        out["attachments"] = []
        for part in msg.walk():
            if part.get_content_type() == "text/calendar" and out["calendar"] is None:
                out["calendar"] = calendar_of(part)
            if part.get_filename():
                out["attachments"].append(part.get_filename())
        out["defects"] = [str(d) for p in msg.walk() for d in p.defects]
    except Exception as e:  # the assertion reports it
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def main():
    spool = sys.argv[1]
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    names = sorted(f for f in os.listdir(spool) if f.endswith(".eml") and
                   os.path.exists(os.path.join(spool, f[:-4] + ".json")))
    msgs = [read(spool, f) for f in names if int(f[:-4]) >= first]
    json.dump(msgs, sys.stdout, indent=1, ensure_ascii=False, default=str)
    print()


main()
