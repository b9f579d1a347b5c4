/* Regression tests: each case below once went wrong (a crash, a finding
 * missed by an incremental run, unbounded work, a wrong occurrence, a
 * missing diagnostic, a finding that should not be there).  Inputs are
 * written inline or generated here. */
#include "testutil.h"

#include <string.h>

/* The one Series in `vevents`, read as `source` with the diary's zones. */
static Series *parse_one(TestDiary *t, const char *source, const char *vevents) {
  g_autofree char *ics = test_calendar(vevents);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  appointments_parse(ics, strlen(ics), source, t->zones, series, diags);
  g_assert_cmpuint(series->len, ==, 1);
  return g_ptr_array_steal_index(series, 0);
}

/* Whether some diagnostic's message contains `text` (and, if `severity` is
 * not -1, has that severity). */
static gboolean has_diag(GPtrArray *diags, int severity, const char *text) {
  for (guint i = 0; i < diags->len; i++) {
    const Diagnostic *d = g_ptr_array_index(diags, i);
    if (d->message && strstr(d->message, text) && (severity < 0 || (int)d->severity == severity))
      return TRUE;
  }
  return FALSE;
}

static void print_diags(GPtrArray *diags) {
  for (guint i = 0; i < diags->len; i++) {
    g_autofree char *text = diagnostic_format(g_ptr_array_index(diags, i));
    g_printerr("#   diagnostic: %s\n", text);
  }
}

static gboolean has_day(GArray *days, gint64 day) {
  for (guint i = 0; i < days->len; i++)
    if (g_array_index(days, gint64, i) == day)
      return TRUE;
  return FALSE;
}

static int compare_strings(gconstpointer a, gconstpointer b) {
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of the findings of one check, sorted, joined by "\n". */
static char *keys_of(GPtrArray *findings, CheckKind kind) {
  g_autoptr(GPtrArray) keys = g_ptr_array_new();
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    if (f->check == kind)
      g_ptr_array_add(keys, f->key);
  }
  g_ptr_array_sort(keys, compare_strings);
  g_ptr_array_add(keys, NULL);
  return g_strjoinv("\n", (char **)keys->pdata);
}

/* ---- 1: an edit that gives an object the UID of another ---------------- */

static void test_replace_uid_collision(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:a\nDTSTAMP:20260101T000000Z\nDTSTART:20261207T100000Z\nDTEND:20261207T110000Z\n"
                 "SUMMARY:A\nLOCATION:Room 1\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:b\nDTSTAMP:20260101T000000Z\nDTSTART:20261207T103000Z\nDTEND:20261207T113000Z\n"
                 "SUMMARY:B\nLOCATION:Room 1\nEND:VEVENT\n",
                 "Europe/London", "2026-12-07", "2026-12-21");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 2);
  CheckRules rules;
  test_rules(&rules);
  gint64 reach = checks_reach(t->diary, &rules);

  /* The object that was "a" in test.ics now carries UID "b". */
  Series *s = parse_one(t, "test.ics",
                        "BEGIN:VEVENT\nUID:b\nDTSTAMP:20260102T000000Z\nDTSTART:20261208T100000Z\n"
                        "DTEND:20261208T110000Z\nSUMMARY:B2\nLOCATION:Room 1\nEND:VEVENT\n");
  g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
  diary_replace(t->diary, "test.ics", "a", s, reach, dirty, NULL);

  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-12-08T10:00:00Z/2026-12-08T11:00:00Z b");
  EXPECT(has_day(dirty, diary_day_of(t->diary, test_instant("2026-12-07T10:00:00Z"))),
         "the day the old a and b were on is not dirty");
  EXPECT(has_day(dirty, diary_day_of(t->diary, test_instant("2026-12-08T10:00:00Z"))),
         "the day the new b is on is not dirty");

  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(test_count(f, CHECK_CONFLICT), ==, 0);
  g_assert_cmpuint(test_count(f, CHECK_RESOURCE), ==, 0);
  g_autoptr(GPtrArray) fd = checks_run_dirty(t->diary, &rules, dirty);
  g_assert_cmpuint(test_count(fd, CHECK_CONFLICT), ==, 0);

  /* Deleting b leaves nothing behind. */
  diary_replace(t->diary, "test.ics", "b", NULL, reach, NULL, NULL);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 0);
  g_autoptr(GPtrArray) f2 = checks_run(t->diary, &rules);
  g_assert_cmpuint(f2->len, ==, 0);
}

/* ---- 2: a new travel time longer than any in the diary ------------------ */

static void test_dirty_days_new_travel(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:x\nDTSTAMP:20260101T000000Z\nDTSTART:20261207T223000Z\nDTEND:20261207T230000Z\n"
                 "SUMMARY:Late call\nEND:VEVENT\n",
                 "Europe/London", "2026-12-07", "2026-12-21");
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 1u << CHECK_BUFFER;
  gint64 reach = checks_reach(t->diary, &rules); /* before the edit: no travel time yet */

  /* Starts 1 h 30 after the call ends, but needs 2 h to get there. */
  Series *s = parse_one(t, "test.ics",
                        "BEGIN:VEVENT\nUID:y\nDTSTAMP:20260101T000000Z\nDTSTART:20261208T003000Z\n"
                        "DTEND:20261208T010000Z\nX-APPLE-TRAVEL-DURATION:PT2H\nSUMMARY:Airport\nEND:VEVENT\n");
  g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
  diary_replace(t->diary, "test.ics", "y", s, reach, dirty, NULL);

  g_autoptr(GPtrArray) full = checks_run(t->diary, &rules);
  g_autoptr(GPtrArray) part = checks_run_dirty(t->diary, &rules, dirty);
  g_assert_cmpuint(test_count(full, CHECK_BUFFER), ==, 1);
  g_autofree char *want = keys_of(full, CHECK_BUFFER);
  g_autofree char *got = keys_of(part, CHECK_BUFFER);
  g_assert_cmpstr(got, ==, want);
}

/* ---- 3: an occurrence that lasts far beyond the window ------------------ */

static void test_dirty_days_bounded(void) {
  g_autoptr(TestDiary) t = test_diary("", "Europe/London", "2026-01-01", "2027-01-01");
  CheckRules rules;
  test_rules(&rules);
  Series *s = parse_one(t, "test.ics",
                        "BEGIN:VEVENT\nUID:y\nDTSTAMP:20260101T000000Z\n"
                        "DTSTART;TZID=Europe/London:20240101T100000\nDURATION:P100000D\n"
                        "RRULE:FREQ=DAILY\nSUMMARY:Forever, every day\nEND:VEVENT\n");
  g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  gint64 t0 = g_get_monotonic_time();
  diary_replace(t->diary, "test.ics", "y", s, checks_reach(t->diary, &rules), dirty, diags);
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  g_assert_cmpuint(diary_n_occurrences(t->diary), >, 0);
  EXPECT(dirty->len < 2000000u, "%u dirty-day entries for a one-year window", dirty->len);
  EXPECT(secs < 5.0, "diary_replace took %.1f s", secs);
  gint64 first = diary_day_of(t->diary, diary_options(t->diary)->from);
  gint64 last = diary_day_of(t->diary, diary_options(t->diary)->to - 1);
  for (guint i = 0; i < dirty->len; i++) {
    gint64 d = g_array_index(dirty, gint64, i);
    if (d < first || d > last) {
      EXPECT(FALSE, "dirty day %" G_GINT64_FORMAT " outside the window", d);
      break;
    }
  }
}

/* ---- 4: THISANDFUTURE override of an event that does not repeat -------- */

static void test_thisandfuture_single(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:tf\nDTSTAMP:20260101T000000Z\nDTSTART:20261208T100000Z\nDURATION:PT1H\n"
                 "SUMMARY:Original\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:tf\nDTSTAMP:20260101T000000Z\n"
                 "RECURRENCE-ID;RANGE=THISANDFUTURE:20261208T100000Z\n"
                 "DTSTART:20261208T140000Z\nDURATION:PT1H\nSUMMARY:Moved\nEND:VEVENT\n",
                 "UTC", "2026-12-07", "2026-12-14");
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-12-08T14:00:00Z/2026-12-08T15:00:00Z tf");
  const Occurrence *o = diary_occurrence(t->diary, 0);
  g_assert_cmpstr(o->appt->summary, ==, "Moved");
}

/* ---- 5: a link is not a place ------------------------------------------- */

static void test_link_is_not_a_place(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:z1\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/London:20261208T100000\n"
                 "DURATION:PT1H\nLOCATION:https://zoom.us/j/123\nSUMMARY:Call\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:z2\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/London:20261208T111500\n"
                 "DURATION:PT1H\nLOCATION:Head Office\nSUMMARY:Meeting\nEND:VEVENT\n",
                 "Europe/London", "2026-12-07", "2026-12-14");
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 1u << CHECK_BUFFER;
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 2);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(test_count(f, CHECK_BUFFER), ==, 0);

  /* Two real places 15 min apart do need the travel time. */
  g_autoptr(TestDiary) t2 =
      test_diary("BEGIN:VEVENT\nUID:p1\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/London:20261208T100000\n"
                 "DURATION:PT1H\nLOCATION:Branch Office\nSUMMARY:Visit\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:p2\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/London:20261208T111500\n"
                 "DURATION:PT1H\nLOCATION:Head Office\nSUMMARY:Meeting\nEND:VEVENT\n",
                 "Europe/London", "2026-12-07", "2026-12-14");
  g_autoptr(GPtrArray) f2 = checks_run(t2->diary, &rules);
  g_assert_cmpuint(test_count(f2, CHECK_BUFFER), ==, 1);
}

/* ---- 6: an invalid DTEND is reported ------------------------------------ */

static void test_invalid_dtend(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:bad-end\nDTSTAMP:20260101T000000Z\nDTSTART:20261208T100000Z\n"
                 "DTEND:20261308T110000Z\nSUMMARY:Bad end\nEND:VEVENT\n",
                 "UTC", "2026-12-07", "2026-12-14");
  gboolean found = has_diag(t->diags, DIAG_WARNING, "invalid DTEND ignored");
  if (!found)
    print_diags(t->diags);
  EXPECT(found, "no warning \"invalid DTEND ignored\" among %u diagnostics", t->diags->len);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 1);
  g_assert_cmpint(diary_occurrence(t->diary, 0)->start, ==, test_instant("2026-12-08T10:00:00Z"));
}

/* ---- 7: instances listed newest first ----------------------------------- */

#define N_RDATE_INSTANCES 1200

static void test_rdates_out_of_order(void) {
  gint64 first = test_instant("2026-01-05T10:00:00Z");
  GString *ev = g_string_new("BEGIN:VEVENT\nUID:r\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\n"
                             "DURATION:PT1H\n");
  for (int i = N_RDATE_INSTANCES - 1; i >= 1; i--) {
    g_autofree char *when = test_format(first + (gint64)i * 3 * 86400);
    /* "2026-01-08T10:00:00Z" -> "20260108T100000Z" */
    char basic[17];
    g_snprintf(basic, sizeof basic, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", when, when + 5, when + 8, when + 11, when + 14,
               when + 17);
    g_string_append_printf(ev, "RDATE:%s\n", basic);
  }
  g_string_append(ev, "SUMMARY:Every third day\nEND:VEVENT\n");
  g_autofree char *vevents = g_string_free(ev, FALSE);

  g_autoptr(TestDiary) t = test_diary(vevents, "UTC", "2026-01-01", "2036-01-01");
  g_assert_cmpint(first + (gint64)(N_RDATE_INSTANCES - 1) * 3 * 86400, <, diary_options(t->diary)->to);
  if (has_diag(t->diags, -1, "overlapping"))
    print_diags(t->diags);
  EXPECT(!has_diag(t->diags, -1, "keep overlapping each other"), "instances reported as overlapping");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, N_RDATE_INSTANCES);
}

/* ---- 13: priority findings do not depend on conflict findings ----------- */

/* Two daily series clash every day for four years: the conflict findings of
 * that pair stop at the per-pair cap, long before the one day the first
 * series is urgent.  The priority finding of that day must still be there. */
static void test_priority_past_conflict_cap(void) {
  g_autoptr(TestDiary) t =
      test_diary("BEGIN:VEVENT\nUID:standup\nDTSTAMP:20250101T000000Z\nDTSTART:20260101T093000Z\n"
                 "DTEND:20260101T103000Z\nRRULE:FREQ=DAILY\nSUMMARY:Stand-up\nLOCATION:Room 1\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:standup\nDTSTAMP:20250101T000000Z\nRECURRENCE-ID:20290105T093000Z\n"
                 "DTSTART:20290105T093000Z\nDTEND:20290105T103000Z\nPRIORITY:1\nSUMMARY:Incident call\n"
                 "LOCATION:Room 1\nEND:VEVENT\n"
                 "BEGIN:VEVENT\nUID:routine\nDTSTAMP:20250101T000000Z\nDTSTART:20260101T100000Z\n"
                 "DTEND:20260101T110000Z\nRRULE:FREQ=DAILY\nSUMMARY:Routine\nLOCATION:Room 2\nEND:VEVENT\n",
                 "UTC", "2026-01-01", "2029-12-31");
  CheckRules rules;
  test_rules(&rules);
  rules.max_findings = 0;
  rules.n_suggestions = 0;
  rules.enabled = (1u << CHECK_CONFLICT) | (1u << CHECK_PRIORITY);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(test_count(f, CHECK_CONFLICT), >=, 1000);
  g_assert_cmpuint(test_count(f, CHECK_PRIORITY), ==, 1);

  /* And with conflict findings switched off. */
  rules.enabled = 1u << CHECK_PRIORITY;
  g_autoptr(GPtrArray) f2 = checks_run(t->diary, &rules);
  g_assert_cmpuint(test_count(f2, CHECK_CONFLICT), ==, 0);
  g_assert_cmpuint(test_count(f2, CHECK_PRIORITY), ==, 1);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/regressions/replace/uid-collision", test_replace_uid_collision);
  g_test_add_func("/regressions/replace/new-travel-time", test_dirty_days_new_travel);
  g_test_add_func("/regressions/replace/bounded-dirty-days", test_dirty_days_bounded);
  g_test_add_func("/regressions/expand/thisandfuture-single", test_thisandfuture_single);
  g_test_add_func("/regressions/checks/link-is-not-a-place", test_link_is_not_a_place);
  g_test_add_func("/regressions/parse/invalid-dtend", test_invalid_dtend);
  g_test_add_func("/regressions/expand/rdates-out-of-order", test_rdates_out_of_order);
  g_test_add_func("/regressions/checks/priority-past-conflict-cap", test_priority_past_conflict_cap);
  return g_test_run();
}
