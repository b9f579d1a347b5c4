/* report: findings, slots and occurrences as text for people or JSON for
 * scripts (the `check --json` contract in docs/check-contract.md).
 *
 * Pure formatting into a GString; the caller writes it out.  Untrusted text
 * (summaries, locations) is JSON-escaped, and control characters are removed
 * from the text form so a calendar cannot drive the terminal.
 */
#pragma once

#include "checks.h"
#include "slots.h"

/* Called when the output buffer has grown past a chunk; it writes the text
 * out (the I/O is the caller's) and may empty the buffer. */
typedef void (*ReportFlush)(GString *out, gpointer user_data);

typedef struct {
  Zone *tz;          /* zone for the text form and the window */
  gint64 from, to;   /* window instants */
  gboolean colour;   /* ANSI colour in the text form */
  ReportFlush flush; /* may be NULL: everything stays in the buffer */
  gpointer flush_data;
} ReportOptions;

/* ANSI attributes of the text forms (when ReportOptions.colour is set). */
#define REPORT_RESET "\033[0m"
#define REPORT_BOLD "\033[1m"
#define REPORT_DIM "\033[2m"

/* RFC 3339 UTC, whole seconds: "2026-03-02T09:00:00Z". */
void report_append_instant(GString *out, gint64 instant);
/* The same as a JSON string, or null for APPT_NO_TIME. */
void report_append_json_instant(GString *out, gint64 instant);
/* JSON string literal with escapes (null for NULL; invalid UTF-8 repaired). */
void report_append_json_string(GString *out, const char *text);
/* A local day number as "2026-03-02". */
void report_append_date(GString *out, gint64 day);
/* An instant's local wall clock in `tz`: "09:00". */
void report_append_clock(GString *out, Zone *tz, gint64 instant);
/* A slot in `tz`: "Tue 8 Dec 15:30–16:15". */
void report_append_slot(GString *out, Zone *tz, const Slot *slot);
/* [{"start": "...Z", "end": "...Z"}, ...] (NULL: []). */
void report_append_slots_json(GString *out, GArray *slots);
/* "Monday 2 March 2026" and a line feed; bold with colour. */
void report_append_day_heading(GString *out, const ReportOptions *opts, gint64 day);

/* The pieces `check --json` is made of, for other views that must print
 * the same shapes (core/agenda):
 * the window object {"from", "to", "tz"}; */
void report_append_window_json(GString *out, const ReportOptions *opts);
/* the fields of one occurrence, without braces: "uid": ..., "recurrence_id":
 * ..., "summary", "start", "end", "location", "priority", "source"; */
void report_append_occurrence_json(GString *out, const FindingOcc *occ);
/* one finding, as an object. */
void report_append_finding_json(GString *out, const Finding *finding);

/* One finding as `check` prints it: severity, check and message (cleaned of
 * control characters), then the free slots offered, every line starting
 * with `indent` spaces; coloured by severity with opts->colour. */
void report_append_finding_text(GString *out, const ReportOptions *opts, const Finding *finding, int indent);

void report_findings_json(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings);
void report_findings_text(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings);

void report_slots_json(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots);
void report_slots_text(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots);

void report_occurrences_json(GString *out, const ReportOptions *opts, const Diary *diary);
void report_occurrences_text(GString *out, const ReportOptions *opts, const Diary *diary);

/* "TENTATIVE", "CONFIRMED", "CANCELLED", or NULL for no STATUS. */
const char *report_status_name(EventStatus status);

/* Text safe for one terminal line: control characters become spaces. */
char *report_clean_line(const char *text);
