/* agenda: the diary of a few local days as people read it (text, or a
 * brief form for a notification body) or as scripts read it (JSON).
 *
 * Pure formatting into a GString, through core/report's helpers: the same
 * day headings, clock times, finding lines and JSON shapes as `check`.
 * Every text from a calendar (summaries, locations, names, categories,
 * calendar names) is untrusted: the text forms replace control characters
 * (escape sequences, line feeds) with spaces, and JSON escapes them.
 *
 * What is shown, per local day of the window (opts->report.from to .to,
 * local midnights in opts->report.tz):
 * - every occurrence of `diary` that overlaps the day (a zero-length one on
 *   the day it starts), all-day ones first, then by start; one that runs
 *   over midnight appears on each day it covers, its times cut with "…";
 * - the findings anchored on the day (Finding.day): each beneath the last
 *   occurrence of the day it involves, or at the end of the day when it
 *   involves none of them, and always for workload (a finding about the
 *   day).  Findings anchored outside the window are ignored.
 *
 * Colour (text form, opts->report.colour): an occurrence's time and
 * summary take its calendar's colour (AgendaCalendar), else a colour picked
 * from a small palette by its first CATEGORY (the same category always
 * gets the same colour), as 24-bit ANSI; not-busy ones are dimmed;
 * severities are coloured as `check` colours them.
 */
#pragma once

#include "report.h"

/* A calendar: occurrences whose Series.source starts with NAME + "/" belong
 * to it (agent/synced names synced objects "ACCOUNT/CALENDAR/OBJECT"); the
 * longest matching name wins. */
typedef struct {
  const char *name;  /* "ACCOUNT/CALENDAR" */
  const char *color; /* "#rrggbb" (or "#rrggbbaa", alpha ignored); NULL or anything else: none */
} AgendaCalendar;

/* Lines of the brief form when AgendaOptions.brief_lines is 0. */
#define AGENDA_BRIEF_LINES 20

typedef struct {
  ReportOptions report;              /* zone, the days shown [from, to), colour, flush */
  const AgendaCalendar *calendars;   /* not owned; may be NULL */
  guint n_calendars;
  guint brief_lines;                 /* most lines of the brief form, "and N more" included */
} AgendaOptions;

/* For people:
 *
 *   Tuesday 8 December 2026
 *     09:30–09:45  Team stand-up  @ Head Office, Room 2  with Alex Rivera, Jo Chen  [work/Team]
 *     14:30–15:15  Dentist  @ Smile Dental
 *       error   conflict     Double booking on Tue 8 Dec 2026: ...
 *                            free instead: Tue 8 Dec 15:30–16:15, ...
 *
 *   3 appointments, 1 error, 0 warnings (Europe/London)
 *
 * A day with nothing on it says "Nothing scheduled.". */
void agenda_text(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings);

/* For a notification body: plain text (no colour, no markup: a caller that
 * hands it to a server reading markup escapes it), one line per occurrence
 * ("09:30–09:45 Team stand-up (Head Office, Room 2)"), one per finding
 * ("! conflict: message") beneath it, lines cut at 200 characters, at most
 * opts->brief_lines lines, the last then being "and N more".  With more
 * than one day, each day starts with its heading.  "Nothing scheduled." for
 * an empty day. */
void agenda_brief(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings);

/* For scripts, one object:
 *   {"window": {"from", "to", "tz"},
 *    "days": [{"date": "2026-12-08",
 *              "occurrences": [{uid, recurrence_id, summary, start, end, location, priority, source
 *                               (as check --json), "all_day", "busy", "status", "calendar", "color",
 *                               "categories": [...], "attendees": N, "findings": [finding keys]}],
 *              "findings": [the day's findings, as check --json prints them]}]}
 * "calendar" is NULL outside a known calendar; "color" is the colour the
 * text form uses ("#rrggbb") or null; "attendees" counts ATTENDEEs that are
 * not rooms or equipment; an occurrence's "findings" lists the keys of every
 * finding shown (on any day) that involves it. */
void agenda_json(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings);
