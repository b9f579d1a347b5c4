/* when: what people type for durations, dates and working hours.
 *
 * Pure parsing: nothing here reads the clock; "today" comes from the caller.
 */
#pragma once

#include <glib.h>

#include "checks.h"
#include "zones.h"

/* "45m", "1h30m", "1h 30m", "90s", "2d", "1.5h", "PT45M", "P1DT2H", "0".
 * A bare number is minutes.  Returns FALSE on anything else or on a
 * negative or absurd (over a year) value. */
gboolean when_parse_duration(const char *text, gint64 *seconds);

/* "2026-03-02" -> local day number (days since 1970-01-01). */
gboolean when_parse_date(const char *text, gint64 *day);

/* "2026-03-02T09:00:00Z" (or with an offset, +01:00) -> instant. */
gboolean when_parse_instant(const char *text, gint64 *instant);

/* Working hours: "mon-fri 09:00-17:00", "mon-thu 08:30-18:00, fri 09:00-13:00",
 * "sat off".  Days not named keep their value in `hours`.  "24/7" means
 * every day all day. */
gboolean when_parse_hours(const char *text, WorkHours hours[7]);

/* Comma-separated check names ("conflict,buffer") -> bit mask. */
gboolean when_parse_checks(const char *text, guint *mask, char **bad_name);

/* Comma-separated completeness fields ("time,location,attendees,requirements",
 * or "none") -> RequireMask. */
gboolean when_parse_require(const char *text, guint *mask, char **bad_name);

/* Seconds as people write them and when_parse_duration() reads them back:
 * "45m", "1h30m", "2d", "90s", "0s"; negative values get a leading '-'. */
char *when_format_duration(gint64 seconds);

/* Reads the start of an appointment as people type it (`diaryd book --start`).
 *
 * `text` is untrusted user input; `now` is the current instant; `tz` the zone
 * local times are read in (NULL = UTC).  On success *instant is set and TRUE
 * returned.  On failure *instant is left alone, FALSE is returned and, if
 * `error` is not NULL, *error gets one sentence for the user (newly allocated,
 * free with g_free) that quotes the input, says what was not understood and
 * ends "; try A, B or C" with forms that do work, e.g.
 *   "next blursday" is not a time diaryd understands; try 2026-12-08 14:30,
 *   tomorrow 10:00, mon 9am or 2026-12-08T14:30:00Z
 * The input is quoted with '"' and '\' escaped and bytes outside printable
 * ASCII as \xNN, so the message is safe to print.
 *
 * Letters may be in any case; blanks (spaces, tabs) around the text are
 * ignored and one or more separate the words.  Accepted:
 *  - An instant with Z or an offset (the zone does not matter):
 *      2026-12-08T14:30:00Z, 2026-12-08T14:30+01:00, 2026-12-08 14:30:00Z,
 *      20261208T143000Z, 20261208T1430+0100.  Offsets are +HH:MM or +HHMM up
 *      to 14:00; a fraction of a second is accepted only if it is zero
 *      (".000", as tools write it).
 *  - A date and a time, local in `tz`: 2026-12-08 14:30, 2026-12-08T14:30,
 *      20261208T1430, 2026-12-08 9am, 2026-12-08 at 9:15pm, 2026-12-08 09:00:30.
 *  - A day word and a time, local in `tz`:
 *      today 15:00      today, even if 15:00 has passed (it was asked for);
 *      tomorrow 10:00   the day after today;
 *      mon 14:30        ("mon" or "monday", likewise for every weekday) the
 *                       next day with that name whose 14:30 is still ahead
 *                       of `now`: today if today is a Monday and 14:30 is
 *                       still to come, else 1 to 7 days ahead;
 *      next mon 9:00    the Monday of the following week, weeks running
 *                       Monday to Sunday (ISO 8601): 1 to 13 days ahead, never
 *                       today, whatever the time.  On a Sunday "next mon" is
 *                       tomorrow; on a Wednesday, "next fri" is 9 days ahead.
 *    "at" may stand before the time: "tomorrow at 10:00", "next fri at 2pm".
 *  - A time alone (14:30, 2pm, at 2pm): today, if that is still ahead of
 *    `now`; else it is refused as already past (suggesting "tomorrow 2pm"),
 *    because the person may have meant today or tomorrow.
 * Times: H:MM or HH:MM, with optional :SS, 24-hour (00:00 to 23:59:59); or
 * 12-hour with am/pm, joined or as a separate word (9am, 9:15pm, 9 am):
 * 12am = 00:00, 12pm = 12:00, hours 1 to 12 only; "noon" = 12:00.
 * Time zone rules (RFC 5545 §3.3.5, as zone_to_instant() applies them): a
 * local time that occurs twice when the clocks go back is the first of the
 * two (the earlier instant; write an offset, 2026-10-25T01:30+00:00, for the
 * second); a local time the clocks skip when they go forward is refused
 * ("does not exist in Europe/London: the clocks go forward ...").
 * Dates before 1970 or after 9999 are refused, as is any result outside
 * 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.  Times in the past are
 * accepted when a date or "today" names them; whether to book them is the
 * caller's call.
 *
 * Refused, each with its own reason: empty text; text over 100 bytes; bytes
 * outside printable ASCII; a date alone ("2026-12-08": no time of day); dates
 * in other orders (12/01/2026, 01.12.2026, 2026/12/01: the message offers the
 * YYYY-MM-DD readings); days that do not exist (2026-02-30); 24:00, 25:00,
 * 14:60, 13pm, 0am, 14:30pm; an hour alone ("9": 9am or 9pm?); "midnight"
 * (the start or the end of the day?); an offset after a day word ("tomorrow
 * 10:00Z"); anything left over ("tomorrow 10:00 foo"); weekday abbreviations
 * other than the 3-letter ones ("tues"); anything else. */
gboolean when_parse_start(const char *text, gint64 now, Zone *tz, gint64 *instant,
                          char **error) G_GNUC_WARN_UNUSED_RESULT;
