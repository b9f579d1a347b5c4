/* Helpers shared by the unit tests.  Tests link core/ alone; zone data
 * comes from libical's system database, as the agent's does. */
#pragma once

#include <glib.h>

#include "appointment.h"
#include "checks.h"
#include "diary.h"
#include "slots.h"
#include "zones.h"

/* A soft assertion: reports and fails the test, and goes on. */
#define EXPECT(cond, ...)                                                                                         \
  do {                                                                                                            \
    if (!(cond)) {                                                                                                \
      g_autofree char *msg_ = g_strdup_printf(__VA_ARGS__);                                                       \
      g_printerr("# FAILED %s: %s\n", g_test_get_path(), msg_);                                                   \
      g_test_fail();                                                                                              \
    }                                                                                                             \
  } while (0)

/* As EXPECT, for a check that guards against a bug once found: the failure
 * names it. */
#define EXPECT_BUG(bug, cond, ...)                                                                                \
  do {                                                                                                            \
    if (!(cond)) {                                                                                                \
      g_autofree char *msg_ = g_strdup_printf(__VA_ARGS__);                                                       \
      g_printerr("# REGRESSION %s: %s: %s\n", g_test_get_path(), (bug), msg_);                                    \
      g_test_fail();                                                                                              \
    }                                                                                                             \
  } while (0)

/* A fresh Zones over the system zone database. */
Zones *test_zones(void);

/* "2026-03-02T09:00:00Z" -> instant; aborts the test on a bad string. */
gint64 test_instant(const char *rfc3339);
/* instant -> "2026-03-02T09:00:00Z" (newly allocated). */
char *test_format(gint64 instant);

/* Wraps VEVENT text (one or more "BEGIN:VEVENT..END:VEVENT" blocks, lines
 * separated by \n) in a VCALENDAR with CRLF line ends. */
char *test_calendar(const char *vevents);

/* Parses calendar text; diagnostics go to *diags if not NULL (else are freed). */
GPtrArray *test_parse(Zones *zones, const char *ics, GPtrArray **diags);

/* A diary over local dates [from, to) in `tz` holding everything in `ics`
 * (VEVENT blocks, wrapped by test_calendar).  The Zones stay alive with the
 * diary (freed by test_diary_free). */
typedef struct {
  Zones *zones;
  Diary *diary;
  GPtrArray *diags;
} TestDiary;
TestDiary *test_diary(const char *vevents, const char *tz, const char *from_date, const char *to_date);
void test_diary_free(TestDiary *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestDiary, test_diary_free)

/* Parses VEVENT blocks (wrapped by test_calendar) from `source` into the
 * diary; any diagnostic fails the test. */
void test_diary_parse_into(TestDiary *t, const char *source, const char *vevents);

/* A diary over local dates [from, to) in `tz` (NULL = UTC) owned by `owners`
 * (must outlive it), with `ics` from "a.ics" and `ics2` (may be NULL) from
 * "b.ics". */
TestDiary *test_diary_sources(const char *tz, const char *from, const char *to, const char *const *owners,
                              const char *ics, const char *ics2);

/* Occurrences of a diary as "START/END uid" lines (RFC 3339 UTC), joined by
 * "\n": easy to compare with an expected table. */
char *test_occurrence_lines(const Diary *diary);

/* Rules with every check on and the defaults, `now` at 2026-01-01. */
void test_rules(CheckRules *rules);

/* Count of findings of one check. */
guint test_count(GPtrArray *findings, CheckKind kind);

/* Removes a file or a folder and everything in it. */
void test_rm_tree(const char *path);

/* iCalendar text with folded lines joined again (CRLF or LF folds) and CR
 * removed: one content line per "\n"-separated line. */
char *test_ical_unfold(const char *text);
/* How many unfolded lines start with `prefix`. */
guint test_ical_count_lines(const char *text, const char *prefix);
/* Whether some unfolded line is exactly `line`. */
gboolean test_ical_has_line(const char *text, const char *line);
