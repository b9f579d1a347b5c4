/* bench-check FILE.ics [--tz ZONE] [--from DATE] [--to DATE] [--edits N]
 *
 * Measures, in CPU time of this process:
 *   parse       iCalendar text -> Series (libical)
 *   expand      Series -> occurrences in the window, indexed (the Diary)
 *   check       every rule over the window, with suggestions
 *   incremental one object replaced: parse its new text, re-expand it,
 *               re-check only the days it touched (mean over N edits)
 * and prints one JSON line.  Links core/ only, like the unit tests.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "testutil.h"
#include "when.h"

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *ical_utc(gint64 instant) {
  gint64 days = instant / 86400, rest = instant % 86400;
  int y, m, d;
  days_to_civil(days, &y, &m, &d);
  return g_strdup_printf("%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

int main(int argc, char **argv) {
  const char *tz = "Europe/London", *from = "2026-01-01", *to = "2027-01-01";
  int edits = 500;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tz") && i + 1 < argc)
      tz = argv[++i];
    else if (!strcmp(argv[i], "--from") && i + 1 < argc)
      from = argv[++i];
    else if (!strcmp(argv[i], "--to") && i + 1 < argc)
      to = argv[++i];
    else if (!strcmp(argv[i], "--edits") && i + 1 < argc)
      edits = atoi(argv[++i]);
    else
      path = argv[i];
  }
  if (!path) {
    fprintf(stderr, "usage: bench-check FILE.ics [--tz ZONE] [--from DATE] [--to DATE] [--edits N]\n");
    return 2;
  }
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, NULL)) {
    fprintf(stderr, "bench-check: cannot read %s\n", path);
    return 2;
  }

  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, tz);
  gint64 from_day, to_day;
  if (!zone || !when_parse_date(from, &from_day) || !when_parse_date(to, &to_day)) {
    fprintf(stderr, "bench-check: bad --tz, --from or --to\n");
    return 2;
  }

  double t0 = cpu_ms();
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  guint events = appointments_parse(text, len, path, zones, series, diags);
  double t1 = cpu_ms();

  DiaryOptions opts = {zone, zone_to_instant(zone, from_day * 86400), zone_to_instant(zone, to_day * 86400), NULL,
                       {0, 0}};
  g_autoptr(Diary) diary = diary_new(&opts);
  g_autoptr(GPtrArray) uids = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < series->len; i++) {
    Series *s = g_ptr_array_index(series, i);
    g_ptr_array_add(uids, g_strdup(s->uid));
    diary_add(diary, g_ptr_array_steal_index_fast(series, i--), diags);
  }
  double t2 = cpu_ms();

  CheckRules rules;
  check_rules_init(&rules, opts.from);
  rules.max_findings = 0; /* count every pair, to compare with the baseline */
  g_autoptr(GPtrArray) findings = checks_run(diary, &rules);
  double t3 = cpu_ms();

  guint conflicts = test_count(findings, CHECK_CONFLICT);
  guint occurrences = diary_n_occurrences(diary); /* before the edits below change it */

  /* Incremental, as the agent does it: replace one object with a moved
   * copy, re-check the days it touched, and work out suggestions for the
   * findings that are new (the others were known already). */
  GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < findings->len; i++)
    g_hash_table_insert(known, g_strdup(((Finding *)g_ptr_array_index(findings, i))->key),
                        GINT_TO_POINTER((gint)((Finding *)g_ptr_array_index(findings, i))->day));
  CheckRules deferred = rules;
  deferred.defer_suggestions = TRUE;
  GRand *rand = g_rand_new_with_seed(7);
  gint64 reach = checks_reach(diary, &rules);
  double inc_total = 0;
  guint inc_findings = 0;
  for (int e = 0; e < edits && uids->len; e++) {
    const char *uid = g_ptr_array_index(uids, g_rand_int_range(rand, 0, (gint32)uids->len));
    gint64 start = opts.from + g_rand_int_range(rand, 0, (gint32)((opts.to - opts.from) / 900)) * 900;
    g_autofree char *dtstart = ical_utc(start);
    g_autofree char *dtend = ical_utc(start + 3600);
    g_autofree char *ics = g_strdup_printf(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:bench\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Moved meeting\r\nLOCATION:Room 1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        uid, dtstart, dtend);
    double a = cpu_ms();
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
    appointments_parse(ics, strlen(ics), path, zones, one, diags);
    g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
    diary_replace(diary, path, uid, one->len ? g_ptr_array_steal_index(one, 0) : NULL, reach, dirty, diags);
    g_autoptr(GPtrArray) fresh = checks_run_dirty(diary, &deferred, dirty);
    for (guint i = 0; i < fresh->len; i++) {
      Finding *f = g_ptr_array_index(fresh, i);
      if (!g_hash_table_contains(known, f->key)) {
        checks_suggest(diary, &rules, f);
        inc_findings++;
      }
    }
    inc_total += cpu_ms() - a;
    /* Bookkeeping (not timed): the re-checked days now hold exactly `fresh`. */
    GHashTableIter it;
    gpointer key, day;
    g_hash_table_iter_init(&it, known);
    while (g_hash_table_iter_next(&it, &key, &day))
      for (guint i = 0; i < dirty->len; i++)
        if (g_array_index(dirty, gint64, i) == GPOINTER_TO_INT(day)) {
          g_hash_table_iter_remove(&it);
          break;
        }
    for (guint i = 0; i < fresh->len; i++) {
      Finding *f = g_ptr_array_index(fresh, i);
      g_hash_table_insert(known, g_strdup(f->key), GINT_TO_POINTER((gint)f->day));
    }
  }
  g_rand_free(rand);
  g_hash_table_destroy(known);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"events\": %u, \"occurrences\": %u, \"findings\": %u, \"conflicts\": %u, \"parse_cpu_ms\": %.2f, "
         "\"expand_cpu_ms\": %.2f, \"check_cpu_ms\": %.2f, \"total_cpu_ms\": %.2f, \"incremental_us\": %.1f, "
         "\"incremental_edits\": %d, \"incremental_new_findings\": %u, \"peak_rss_kb\": %ld, \"diagnostics\": %u}\n",
         events, occurrences, findings->len, conflicts, t1 - t0, t2 - t1, t3 - t2, t3 - t0,
         edits > 0 ? inc_total * 1000.0 / edits : 0.0, edits, inc_findings, ru.ru_maxrss, diags->len);
  return 0;
}
