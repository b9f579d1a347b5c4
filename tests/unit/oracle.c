#include "oracle.h"

#include <string.h>

/* Trimmed, case-folded, white space collapsed; NULL when blank. */
char *oracle_norm_place(const char *text) {
  if (!text)
    return NULL;
  g_autofree char *folded = g_utf8_casefold(text, -1);
  g_auto(GStrv) words = g_strsplit_set(folded, " \t\r\n", -1);
  GString *s = g_string_new(NULL);
  for (char **w = words; *w; w++)
    if (**w)
      g_string_append_printf(s, "%s%s", s->len ? " " : "", *w);
  if (s->len == 0) {
    g_string_free(s, TRUE);
    return NULL;
  }
  return g_string_free(s, FALSE);
}

static gboolean oracle_is_link(const char *text) {
  return text && (strstr(text, "://") || g_str_has_prefix(text, "tel:") || g_str_has_prefix(text, "sip:"));
}

/* Rooms and equipment an appointment (or a query) books, normalised. */
GPtrArray *oracle_room_keys(const char *location, const char *const *resources, const GPtrArray *attendees) {
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  char *k;
  if (!oracle_is_link(location) && (k = oracle_norm_place(location)))
    g_ptr_array_add(keys, k);
  for (const char *const *r = resources; r && *r; r++)
    if ((k = oracle_norm_place(*r)))
      g_ptr_array_add(keys, k);
  for (guint i = 0; attendees && i < attendees->len; i++) {
    const Attendee *a = g_ptr_array_index(attendees, i);
    if ((a->cutype != CUTYPE_ROOM && a->cutype != CUTYPE_RESOURCE) || a->partstat == PARTSTAT_DECLINED)
      continue;
    if ((k = oracle_norm_place(a->cn)))
      g_ptr_array_add(keys, k);
    if ((k = oracle_norm_place(a->email)))
      g_ptr_array_add(keys, k);
  }
  return keys;
}

gboolean oracle_keys_meet(const GPtrArray *a, const GPtrArray *b) {
  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      if (strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, j)) == 0)
        return TRUE;
  return FALSE;
}

gint64 oracle_required_gap(const CheckRules *rules, const char *before, const char *after, gint64 after_travel) {
  g_autofree char *a = oracle_norm_place(before);
  g_autofree char *b = oracle_norm_place(after);
  gint64 need = (a && b && strcmp(a, b) != 0) ? rules->travel : rules->buffer;
  return MAX(need, after_travel);
}

static void oracle_local_day_minute(const Diary *d, gint64 instant, gint64 *day, gint64 *minute) {
  gint64 local = zone_to_local(diary_options(d)->tz, instant);
  *day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  *minute = (local - *day * 86400) / 60;
}

/* Inside the working hours of the start day (an end at the next local
 * midnight counts as 24:00). */
gboolean oracle_in_hours(const Diary *d, const CheckRules *rules, gint64 s, gint64 e) {
  gint64 day, minute, eday, eminute;
  oracle_local_day_minute(d, s, &day, &minute);
  oracle_local_day_minute(d, e, &eday, &eminute);
  if (e > s && eday > day && eminute == 0) {
    eday--;
    eminute = 24 * 60;
  }
  /* Day by day: the part of [s, e) on each day inside that day's hours. */
  for (gint64 dd = day; dd <= eday; dd++) {
    const WorkHours *wh = &rules->hours[((dd % 7) + 7 + 3) % 7]; /* 1970-01-01 was a Thursday */
    gint64 from = dd == day ? minute : 0, to = dd == eday ? eminute : 24 * 60;
    if (wh->start == wh->end || from < wh->start || to > wh->end)
      return FALSE;
  }
  return TRUE;
}

typedef struct {
  gint64 s, e;
} Span;

static gint oracle_span_compare(gconstpointer a, gconstpointer b) {
  gint64 x = ((const Span *)a)->s, y = ((const Span *)b)->s;
  return x < y ? -1 : x > y;
}

/* The day's limits once [s, e) is booked (`skip` and its copies left out). */
gboolean oracle_workload_ok(const Diary *d, const CheckRules *rules, gint64 s, gint64 e, const Occurrence *skip) {
  gint64 day = diary_day_of(d, s);
  gint64 ds = diary_day_start(d, day), de = diary_day_start(d, day + 1);
  g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));
  guint count = 1;
  Span extra = {MAX(s, ds), MIN(e, de)};
  g_array_append_val(spans, extra);
  for (guint i = 0; i < diary_n_occurrences(d); i++) {
    const Occurrence *o = diary_occurrence(d, i);
    if ((skip && (o == skip || (strcmp(o->series->uid, skip->series->uid) == 0 &&
                                o->recurrence_id == skip->recurrence_id && o->start == skip->start))) ||
        o->all_day || o->end <= o->start || !diary_is_busy(d, o) || o->end <= ds || o->start >= de)
      continue;
    count += o->start >= ds;
    Span sp = {MAX(o->start, ds), MIN(o->end, de)};
    g_array_append_val(spans, sp);
  }
  g_array_sort(spans, oracle_span_compare);
  gint64 busy = 0, cur_s = 0, cur_e = G_MININT64, run_s = 0, run_e = G_MININT64, longest = 0;
  for (guint i = 0; i < spans->len; i++) {
    Span sp = g_array_index(spans, Span, i);
    if (sp.s > cur_e) {
      if (cur_e != G_MININT64)
        busy += cur_e - cur_s;
      cur_s = sp.s;
      cur_e = sp.e;
    } else {
      cur_e = MAX(cur_e, sp.e);
    }
    if (run_e == G_MININT64 || sp.s - run_e >= rules->break_length) {
      run_s = sp.s;
      run_e = sp.e;
    } else {
      run_e = MAX(run_e, sp.e);
    }
    longest = MAX(longest, run_e - run_s);
  }
  if (cur_e != G_MININT64)
    busy += cur_e - cur_s;
  return !(rules->max_per_day && count > rules->max_per_day) &&
         !(rules->max_busy_per_day && busy > rules->max_busy_per_day) &&
         !(rules->break_after && longest > rules->break_after);
}
