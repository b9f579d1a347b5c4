#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#include "when.h"

static icaltimezone *lookup(const char *name, gpointer data) {
  (void)data;
  if (strcmp(name, "UTC") == 0)
    return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(name);
}

Zones *test_zones(void) { return zones_new(lookup, NULL); }

gint64 test_instant(const char *rfc3339) {
  gint64 t = 0;
  if (!when_parse_instant(rfc3339, &t))
    g_error("bad instant in test: %s", rfc3339);
  return t;
}

char *test_format(gint64 instant) {
  gint64 days = instant >= 0 ? instant / 86400 : -((-instant + 86399) / 86400);
  gint64 rest = instant - days * 86400;
  int y, m, d;
  days_to_civil(days, &y, &m, &d);
  return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

char *test_calendar(const char *vevents) {
  GString *s = g_string_new("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd//test//EN\r\n");
  g_auto(GStrv) lines = g_strsplit(vevents, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (!**l)
      continue;
    g_string_append(s, *l);
    g_string_append(s, "\r\n");
  }
  g_string_append(s, "END:VCALENDAR\r\n");
  return g_string_free(s, FALSE);
}

GPtrArray *test_parse(Zones *zones, const char *ics, GPtrArray **diags) {
  GPtrArray *series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  GPtrArray *d = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  appointments_parse(ics, strlen(ics), "test.ics", zones, series, d);
  if (diags)
    *diags = d;
  else
    g_ptr_array_unref(d);
  return series;
}

TestDiary *test_diary(const char *vevents, const char *tz, const char *from_date, const char *to_date) {
  TestDiary *t = g_new0(TestDiary, 1);
  t->zones = test_zones();
  Zone *zone = zones_resolve(t->zones, tz);
  g_assert_nonnull(zone);
  gint64 from_day, to_day;
  g_assert_true(when_parse_date(from_date, &from_day));
  g_assert_true(when_parse_date(to_date, &to_day));
  DiaryOptions opts = {zone, zone_to_instant(zone, from_day * 86400), zone_to_instant(zone, to_day * 86400), NULL,
                       {0, 0}};
  t->diary = diary_new(&opts);
  g_autofree char *ics = test_calendar(vevents);
  g_autoptr(GPtrArray) series = test_parse(t->zones, ics, &t->diags);
  for (guint i = 0; i < series->len; i++)
    diary_add(t->diary, g_ptr_array_steal_index(series, i--), t->diags);
  return t;
}

void test_diary_free(TestDiary *t) {
  if (!t)
    return;
  diary_free(t->diary);
  zones_free(t->zones);
  g_ptr_array_unref(t->diags);
  g_free(t);
}

char *test_occurrence_lines(const Diary *diary) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < diary_n_occurrences(diary); i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    g_autofree char *a = test_format(o->start);
    g_autofree char *b = test_format(o->end);
    g_string_append_printf(s, "%s%s/%s %s", i ? "\n" : "", a, b, o->series->uid);
  }
  return g_string_free(s, FALSE);
}

void test_rules(CheckRules *rules) { check_rules_init(rules, test_instant("2026-01-01T00:00:00Z")); }

guint test_count(GPtrArray *findings, CheckKind kind) {
  guint n = 0;
  for (guint i = 0; i < findings->len; i++)
    n += ((Finding *)g_ptr_array_index(findings, i))->check == kind;
  return n;
}

void test_diary_parse_into(TestDiary *t, const char *source, const char *vevents) {
  g_autofree char *ics = test_calendar(vevents);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  guint before = t->diags->len;
  appointments_parse(ics, strlen(ics), source, t->zones, series, t->diags);
  for (guint i = before; i < t->diags->len; i++) {
    g_autofree char *text = diagnostic_format(g_ptr_array_index(t->diags, i));
    EXPECT(FALSE, "unexpected diagnostic in test data: %s", text);
  }
  for (guint i = 0; i < series->len; i++)
    diary_add(t->diary, g_ptr_array_steal_index(series, i--), t->diags);
}

TestDiary *test_diary_sources(const char *tz, const char *from, const char *to, const char *const *owners,
                              const char *ics, const char *ics2) {
  TestDiary *t = g_new0(TestDiary, 1);
  t->zones = test_zones();
  t->diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  Zone *zone = zones_resolve(t->zones, tz ? tz : "UTC");
  g_assert_nonnull(zone);
  gint64 from_day = 0, to_day = 0;
  g_assert_true(when_parse_date(from, &from_day));
  g_assert_true(when_parse_date(to, &to_day));
  DiaryOptions opts = {zone, zone_to_instant(zone, from_day * 86400), zone_to_instant(zone, to_day * 86400), owners,
                       {0, 0}};
  t->diary = diary_new(&opts);
  if (ics)
    test_diary_parse_into(t, "a.ics", ics);
  if (ics2)
    test_diary_parse_into(t, "b.ics", ics2);
  return t;
}

void test_rm_tree(const char *path) {
  GDir *dir = g_dir_open(path, 0, NULL);
  if (dir) {
    const char *name;
    while ((name = g_dir_read_name(dir))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      test_rm_tree(child);
    }
    g_dir_close(dir);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

char *test_ical_unfold(const char *text) {
  GString *s = g_string_new(NULL);
  for (const char *p = text; *p; p++) {
    if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
      p += 2;
      continue;
    }
    if (p[0] == '\n' && (p[1] == ' ' || p[1] == '\t')) {
      p += 1;
      continue;
    }
    if (p[0] != '\r')
      g_string_append_c(s, *p);
  }
  return g_string_free(s, FALSE);
}

guint test_ical_count_lines(const char *text, const char *prefix) {
  g_autofree char *flat = test_ical_unfold(text);
  g_auto(GStrv) lines = g_strsplit(flat, "\n", -1);
  guint n = 0;
  for (char **l = lines; *l; l++)
    n += g_str_has_prefix(*l, prefix);
  return n;
}

gboolean test_ical_has_line(const char *text, const char *line) {
  g_autofree char *flat = test_ical_unfold(text);
  g_auto(GStrv) lines = g_strsplit(flat, "\n", -1);
  for (char **l = lines; *l; l++)
    if (!strcmp(*l, line))
      return TRUE;
  return FALSE;
}
