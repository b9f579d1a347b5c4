/* diary: see diary.h.
 *
 * Invariant: `occ` holds exactly the occurrences of every series in `by_key`
 * that overlap the window, sorted by occurrence_compare().  A replacement
 * removes the old series' occurrences in one compaction pass and merges the
 * new ones in another, so an edit costs O(occurrences) memory moves and
 * O(own occurrences) expansion, never a re-expansion of the whole diary.
 */
#include "diary.h"

#include <string.h>

struct Diary {
  DiaryOptions opts;
  GHashTable *by_key; /* "source\nuid" -> Series* (owned) */
  GArray *occ;        /* of Occurrence, sorted */
  gint64 max_duration;
};

static char *series_key(const char *source, const char *uid) {
  return g_strconcat(source ? source : "", "\n", uid, NULL);
}

Diary *diary_new(const DiaryOptions *opts) {
  Diary *d = g_new0(Diary, 1);
  d->opts = *opts;
  if (d->opts.limits.max_instances == 0)
    d->opts.limits.max_instances = EXPAND_DEFAULT_MAX_INSTANCES;
  if (d->opts.limits.max_iterations == 0)
    d->opts.limits.max_iterations = EXPAND_DEFAULT_MAX_ITERATIONS;
  d->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)series_free);
  d->occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  return d;
}

void diary_free(Diary *diary) {
  if (!diary)
    return;
  g_array_unref(diary->occ);
  g_hash_table_destroy(diary->by_key);
  g_free(diary);
}

const DiaryOptions *diary_options(const Diary *diary) { return &diary->opts; }

static int occurrence_compare(const void *pa, const void *pb) {
  const Occurrence *a = pa, *b = pb;
  if (a->start != b->start)
    return a->start < b->start ? -1 : 1;
  if (a->end != b->end)
    return a->end < b->end ? -1 : 1;
  int c = strcmp(a->series->uid, b->series->uid);
  if (c)
    return c;
  if (a->recurrence_id != b->recurrence_id)
    return a->recurrence_id < b->recurrence_id ? -1 : 1;
  return strcmp(a->series->source ? a->series->source : "", b->series->source ? b->series->source : "");
}

/* Expands a series into a sorted array of its own occurrences. */
static GArray *expand_sorted(Diary *diary, const Series *series, GPtrArray *diags) {
  GArray *mine = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  series_expand(series, diary->opts.from, diary->opts.to, diary->opts.tz, &diary->opts.limits, mine, diags);
  g_array_sort(mine, occurrence_compare);
  for (guint i = 0; i < mine->len; i++) {
    const Occurrence *o = &g_array_index(mine, Occurrence, i);
    diary->max_duration = MAX(diary->max_duration, o->end - o->start);
  }
  return mine;
}

/* Merges sorted `add` into the sorted diary array. */
static void merge_in(Diary *diary, GArray *add) {
  if (add->len == 0)
    return;
  GArray *old = diary->occ;
  GArray *merged = g_array_sized_new(FALSE, FALSE, sizeof(Occurrence), old->len + add->len);
  guint i = 0, j = 0;
  while (i < old->len || j < add->len) {
    if (j >= add->len ||
        (i < old->len && occurrence_compare(&g_array_index(old, Occurrence, i), &g_array_index(add, Occurrence, j)) <= 0))
      g_array_append_val(merged, g_array_index(old, Occurrence, i++));
    else
      g_array_append_val(merged, g_array_index(add, Occurrence, j++));
  }
  g_array_unref(old);
  diary->occ = merged;
}

static void mark_days(const Diary *diary, GArray *days, gint64 start, gint64 end, gint64 margin) {
  if (!days)
    return;
  gint64 first = diary_day_of(diary, start - margin);
  gint64 last = diary_day_of(diary, end + margin);
  for (gint64 d = first; d <= last; d++)
    g_array_append_val(days, d);
}

void diary_add(Diary *diary, Series *series, GPtrArray *diags) {
  diary_replace(diary, series->source, series->uid, series, 0, NULL, diags);
}

void diary_replace(Diary *diary, const char *source, const char *uid, Series *series, gint64 margin,
                   GArray *dirty_days, GPtrArray *diags) {
  g_autofree char *key = series_key(source, uid);
  Series *old = g_hash_table_lookup(diary->by_key, key);
  if (old) {
    guint w = 0;
    for (guint r = 0; r < diary->occ->len; r++) {
      const Occurrence *o = &g_array_index(diary->occ, Occurrence, r);
      if (o->series == old) {
        mark_days(diary, dirty_days, o->start, o->end, margin);
        continue;
      }
      if (w != r)
        g_array_index(diary->occ, Occurrence, w) = *o;
      w++;
    }
    g_array_set_size(diary->occ, w);
    g_hash_table_remove(diary->by_key, key); /* frees old */
  }
  if (!series)
    return;
  g_hash_table_insert(diary->by_key, series_key(series->source, series->uid), series);
  g_autoptr(GArray) mine = expand_sorted(diary, series, diags);
  for (guint i = 0; i < mine->len; i++) {
    const Occurrence *o = &g_array_index(mine, Occurrence, i);
    mark_days(diary, dirty_days, o->start, o->end, margin);
  }
  merge_in(diary, mine);
}

guint diary_n_occurrences(const Diary *diary) { return diary->occ->len; }

const Occurrence *diary_occurrence(const Diary *diary, guint index) {
  return &g_array_index(diary->occ, Occurrence, index);
}

guint diary_lower_bound(const Diary *diary, gint64 instant) {
  guint lo = 0, hi = diary->occ->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index(diary->occ, Occurrence, mid).start < instant)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

gint64 diary_max_duration(const Diary *diary) { return diary->max_duration; }

gboolean diary_is_busy(const Diary *diary, const Occurrence *occ) {
  const Appointment *a = occ->appt;
  if (a->transparent || a->status == STATUS_CANCELLED)
    return FALSE;
  const Attendee *me = appointment_find_attendee(a, diary->opts.owners);
  return !(me && me->partstat == PARTSTAT_DECLINED);
}

gint64 diary_day_of(const Diary *diary, gint64 instant) {
  gint64 local = zone_to_local(diary->opts.tz, instant);
  return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

gint64 diary_day_start(const Diary *diary, gint64 day) { return zone_to_instant(diary->opts.tz, day * 86400); }
