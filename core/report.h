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

/* RFC 3339 UTC, whole seconds: "2026-03-02T09:00:00Z". */
void report_append_instant(GString *out, gint64 instant);
/* JSON string literal with escapes. */
void report_append_json_string(GString *out, const char *text);

void report_findings_json(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings);
void report_findings_text(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings);

void report_slots_json(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots);
void report_slots_text(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots);

void report_occurrences_json(GString *out, const ReportOptions *opts, const Diary *diary);
void report_occurrences_text(GString *out, const ReportOptions *opts, const Diary *diary);

/* Text safe for one terminal line: control characters become spaces. */
char *report_clean_line(const char *text);
