/* when: what people type for durations, dates and working hours.
 *
 * Pure parsing: nothing here reads the clock; "today" comes from the caller.
 */
#pragma once

#include <glib.h>

#include "checks.h"

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
