/* diary: see diary.h.
 *
 * Two indexes over the occurrences: every occurrence, and the busy ones
 * only (most queries about free time look at busy time alone, and in a
 * diary with subscribed team calendars most occurrences are free).  Each
 * index keeps its occurrences sorted by occurrence_compare() (after a bulk
 * load by diary_add(), on first use), and copies of the few longer than
 * LONG apart, so that an overlap search looks back at most LONG in the main
 * array and separately through the long ones.
 *
 * A replacement removes the old series' occurrences in one compaction pass
 * and merges the new ones in another: an edit costs O(occurrences) memory
 * moves and O(own occurrences) expansion, never a re-expansion.
 */
#include "diary.h"

#include <string.h>

#define LONG (12 * 3600)

typedef struct {
  GArray *occ;      /* of Occurrence */
  GArray *long_occ; /* copies of those longer than LONG */
  gint64 max_short; /* upper bounds, never lowered on removal */
  gint64 max_long;
  gboolean unsorted, long_unsorted;
} Index;

struct Diary {
  DiaryOptions opts;
  GHashTable *by_key; /* "source\nuid" -> Series* (owned) */
  Index all, busy;
  GHashTable *rooms;  /* room key -> Index* of the bookings of that room
                       * (not cancelled, not zero-length, busy or free) */
  gint64 max_travel;
};

static int occurrence_compare(const void *pa, const void *pb);

static void index_init(Index *ix) {
  memset(ix, 0, sizeof *ix);
  ix->occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  ix->long_occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
}

static void index_clear(Index *ix) {
  g_array_unref(ix->occ);
  g_array_unref(ix->long_occ);
}

static void index_free(Index *ix) {
  index_clear(ix);
  g_free(ix);
}

static void index_note_long(Index *ix, const Occurrence *o) {
  gint64 len = o->end - o->start;
  if (len > LONG) {
    ix->max_long = MAX(ix->max_long, len);
    g_array_append_val(ix->long_occ, *o);
    ix->long_unsorted = TRUE;
  } else {
    ix->max_short = MAX(ix->max_short, len);
  }
}

static void index_append(Index *ix, const Occurrence *o) {
  g_array_append_val(ix->occ, *o);
  ix->unsorted = TRUE;
  index_note_long(ix, o);
}

/* Sorting is a cache refresh, not a change callers can see. */
static void index_sort(const Index *cix) {
  Index *ix = (Index *)cix;
  if (ix->unsorted)
    g_array_sort(ix->occ, occurrence_compare);
  if (ix->long_unsorted)
    g_array_sort(ix->long_occ, occurrence_compare);
  ix->unsorted = ix->long_unsorted = FALSE;
}

static void compact(GArray *arr, const Series *gone) {
  guint w = 0;
  for (guint r = 0; r < arr->len; r++) {
    const Occurrence *o = &g_array_index(arr, Occurrence, r);
    if (o->series == gone)
      continue;
    if (w != r)
      g_array_index(arr, Occurrence, w) = *o;
    w++;
  }
  g_array_set_size(arr, w);
}

/* Merges the sorted `add` (only busy ones when busy_only) into the index. */
static void index_merge(Index *ix, const GArray *add, gboolean busy_only) {
  index_sort(ix);
  guint n_add = 0;
  for (guint j = 0; j < add->len; j++)
    n_add += !busy_only || g_array_index(add, Occurrence, j).busy;
  if (n_add == 0)
    return;
  /* Merge from the back, in place: the array grows once. */
  guint n_old = ix->occ->len;
  g_array_set_size(ix->occ, n_old + n_add);
  Occurrence *dst = (Occurrence *)(void *)ix->occ->data;
  guint i = n_old, j = add->len, w = n_old + n_add;
  while (j > 0) {
    const Occurrence *src = &g_array_index(add, Occurrence, j - 1);
    if (busy_only && !src->busy) {
      j--;
      continue;
    }
    if (i > 0 && occurrence_compare(&dst[i - 1], src) > 0) {
      dst[--w] = dst[--i];
    } else {
      dst[--w] = *src;
      j--;
      index_note_long(ix, src);
    }
  }
  index_sort(ix);
}

static guint index_lower_bound(const Index *ix, gint64 instant) {
  index_sort(ix);
  guint lo = 0, hi = ix->occ->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index(ix->occ, Occurrence, mid).start < instant)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

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
  index_init(&d->all);
  index_init(&d->busy);
  d->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)index_free);
  return d;
}

void diary_free(Diary *diary) {
  if (!diary)
    return;
  index_clear(&diary->all);
  index_clear(&diary->busy);
  g_hash_table_destroy(diary->rooms);
  g_hash_table_destroy(diary->by_key);
  g_free(diary);
}

const DiaryOptions *diary_options(const Diary *diary) { return &diary->opts; }

int occurrence_order(const Occurrence *a, const Occurrence *b) {
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

static int occurrence_compare(const void *pa, const void *pb) { return occurrence_order(pa, pb); }

static gboolean compute_busy(const Diary *diary, const Occurrence *occ) {
  const Appointment *a = occ->appt;
  if (a->transparent || a->status == STATUS_CANCELLED)
    return FALSE;
  const Attendee *me = appointment_find_attendee(a, diary->opts.owners);
  return !(me && me->partstat == PARTSTAT_DECLINED);
}

/* Sets the busy flags of occurrences [from, len) of `arr`. */
static void note_added(Diary *diary, GArray *arr, guint from) {
  for (guint i = from; i < arr->len; i++) {
    Occurrence *o = &g_array_index(arr, Occurrence, i);
    o->busy = compute_busy(diary, o);
    diary->max_travel = MAX(diary->max_travel, o->appt->travel);
  }
}

/* Expands a series into a sorted array of its own occurrences. */
static GArray *expand_sorted(Diary *diary, const Series *series, GPtrArray *diags) {
  GArray *mine = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  series_expand(series, diary->opts.from, diary->opts.to, diary->opts.tz, &diary->opts.limits, mine, diags);
  g_array_sort(mine, occurrence_compare);
  note_added(diary, mine, 0);
  return mine;
}

/* Days are clamped to the window: what lies outside it is anchored on its
 * first or last day. */
static void mark_day(const Diary *diary, GArray *days, gint64 day) {
  gint64 first = diary_day_of(diary, diary->opts.from), last = diary_day_of(diary, diary->opts.to - 1);
  day = CLAMP(day, first, last);
  g_array_append_val(days, day);
}

static void mark_span(const Diary *diary, GArray *days, gint64 start, gint64 end) {
  /* Clamp first: an occurrence may last far beyond the window. */
  start = CLAMP(start, diary->opts.from, diary->opts.to - 1);
  end = CLAMP(MAX(end, start), diary->opts.from, diary->opts.to - 1);
  gint64 last = diary_day_of(diary, end);
  for (gint64 d = diary_day_of(diary, start); d <= last; d++)
    mark_day(diary, days, d);
}

/* Days of the occurrences in `changed`, and the start days of every diary
 * occurrence within `reach` of one of them (their pair findings are
 * anchored there). */
static void mark_neighbours(const Diary *diary, const GArray *changed, gint64 reach, GArray *days) {
  for (guint c = 0; c < changed->len; c++) {
    const Occurrence *o = &g_array_index(changed, Occurrence, c);
    mark_span(diary, days, o->start, o->end);
    /* Its own travel time may be the longest gap of all. */
    gint64 r = MAX(reach, o->appt->travel);
    DiaryCursor cur;
    diary_cursor_init(&cur, diary, o->start - r, o->end + r + 1, FALSE);
    for (const Occurrence *x; (x = diary_cursor_next(&cur)) != NULL;)
      mark_day(diary, days, diary_day_of(diary, x->start));
  }
}

static gboolean books_a_room(const Occurrence *o) {
  return o->appt->rooms && o->appt->status != STATUS_CANCELLED && o->end > o->start;
}

static Index *room_index(Diary *diary, const char *key, gboolean create) {
  Index *ix = g_hash_table_lookup(diary->rooms, key);
  if (!ix && create) {
    ix = g_new0(Index, 1);
    index_init(ix);
    g_hash_table_insert(diary->rooms, g_strdup(key), ix);
  }
  return ix;
}

/* Applies `fn` to every room key any component of the series books. */
static void each_room_key(const Series *s, void (*fn)(Diary *, const char *, gpointer), Diary *diary, gpointer data) {
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i <= (s->overrides ? s->overrides->len : 0); i++) {
    const Appointment *a = i == 0 ? s->master : g_ptr_array_index(s->overrides, i - 1);
    for (char **r = a ? a->rooms : NULL; r && *r; r++)
      if (g_hash_table_add(seen, *r))
        fn(diary, *r, data);
  }
}

static void room_remove(Diary *diary, const char *key, gpointer series) {
  Index *ix = room_index(diary, key, FALSE);
  if (ix) {
    compact(ix->occ, series);
    compact(ix->long_occ, series);
  }
}

/* Merges the occurrences in `mine` (sorted) that book `key`. */
static void room_add(Diary *diary, const char *key, gpointer mine_) {
  const GArray *mine = mine_;
  g_autoptr(GArray) subset = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  guint hash = g_str_hash(key);
  for (guint i = 0; i < mine->len; i++) {
    const Occurrence *o = &g_array_index(mine, Occurrence, i);
    if (books_a_room(o) && appointment_books(o->appt, key, hash))
      g_array_append_val(subset, *o);
  }
  if (subset->len)
    index_merge(room_index(diary, key, TRUE), subset, FALSE);
}

void diary_add(Diary *diary, Series *series, GPtrArray *diags) {
  g_autofree char *key = series_key(series->source, series->uid);
  if (g_hash_table_contains(diary->by_key, key)) {
    diary_replace(diary, series->source, series->uid, series, 0, NULL, diags);
    return;
  }
  g_hash_table_insert(diary->by_key, g_steal_pointer(&key), series);
  g_autoptr(GArray) mine = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  series_expand(series, diary->opts.from, diary->opts.to, diary->opts.tz, &diary->opts.limits, mine, diags);
  note_added(diary, mine, 0);
  for (guint i = 0; i < mine->len; i++) {
    const Occurrence *o = &g_array_index(mine, Occurrence, i);
    index_append(&diary->all, o);
    if (o->busy)
      index_append(&diary->busy, o);
    if (books_a_room(o))
      for (guint r = 0; o->appt->rooms[r]; r++)
        index_append(room_index(diary, o->appt->rooms[r], TRUE), o);
  }
}

/* Takes the series stored under `key` out of the diary (and frees it),
 * marking the days its occurrences touched. */
static void remove_series(Diary *diary, const char *key, gint64 reach, GArray *dirty_days) {
  Series *old = g_hash_table_lookup(diary->by_key, key);
  if (!old)
    return;
  g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  if (dirty_days)
    for (guint r = 0; r < diary->all.occ->len; r++)
      if (g_array_index(diary->all.occ, Occurrence, r).series == old)
        g_array_append_val(gone, g_array_index(diary->all.occ, Occurrence, r));
  Index *indexes[2] = {&diary->all, &diary->busy};
  for (int k = 0; k < 2; k++) {
    compact(indexes[k]->occ, old);
    compact(indexes[k]->long_occ, old);
  }
  each_room_key(old, room_remove, diary, old);
  if (dirty_days)
    mark_neighbours(diary, gone, reach, dirty_days);
  g_hash_table_remove(diary->by_key, key); /* frees old */
}

void diary_replace(Diary *diary, const char *source, const char *uid, Series *series, gint64 reach,
                   GArray *dirty_days, GPtrArray *diags) {
  index_sort(&diary->all);
  index_sort(&diary->busy);
  g_autofree char *key = series_key(source, uid);
  if (series && g_hash_table_lookup(diary->by_key, key) == series)
    return; /* already there: nothing changes */
  remove_series(diary, key, reach, dirty_days);
  if (!series)
    return;
  /* The new version may carry another UID that is already in the diary
   * (an edit that changed the UID): it replaces that one too. */
  g_autofree char *new_key = series_key(series->source, series->uid);
  remove_series(diary, new_key, reach, dirty_days);
  g_hash_table_insert(diary->by_key, g_steal_pointer(&new_key), series);
  g_autoptr(GArray) mine = expand_sorted(diary, series, diags);
  index_merge(&diary->all, mine, FALSE);
  index_merge(&diary->busy, mine, TRUE);
  each_room_key(series, room_add, diary, mine);
  if (dirty_days)
    mark_neighbours(diary, mine, reach, dirty_days);
}

guint diary_n_occurrences(const Diary *diary) { return diary->all.occ->len; }

const Occurrence *diary_occurrence(const Diary *diary, guint index) {
  index_sort(&diary->all);
  return &g_array_index(diary->all.occ, Occurrence, index);
}

guint diary_lower_bound(const Diary *diary, gint64 instant) { return index_lower_bound(&diary->all, instant); }

gint64 diary_max_duration(const Diary *diary) { return MAX(diary->all.max_short, diary->all.max_long); }

static gboolean cursor_hit(const DiaryCursor *c, const Occurrence *o) {
  return o->start < c->to && (o->end > c->from || (o->end == o->start && o->start >= c->from));
}

static void cursor_start(DiaryCursor *cursor, const Index *ix, gint64 from, gint64 to) {
  cursor->index_ = ix;
  cursor->from = from;
  cursor->to = to;
  cursor->phase = ix ? 0 : 2;
  cursor->index = ix ? index_lower_bound(ix, from - ix->max_short) : 0;
}

void diary_cursor_init_room(DiaryCursor *cursor, const Diary *diary, const char *room_key, gint64 from, gint64 to) {
  cursor_start(cursor, g_hash_table_lookup(diary->rooms, room_key), from, to);
}

void diary_cursor_init(DiaryCursor *cursor, const Diary *diary, gint64 from, gint64 to, gboolean busy_only) {
  const Index *ix = busy_only ? &diary->busy : &diary->all;
  cursor->index_ = ix;
  cursor->from = from;
  cursor->to = to;
  cursor->phase = 0;
  cursor->index = index_lower_bound(ix, from - ix->max_short);
}

const Occurrence *diary_cursor_next(DiaryCursor *c) {
  const Index *d = c->index_;
  if (c->phase == 2)
    return NULL;
  if (c->phase == 0) {
    for (; c->index < d->occ->len; c->index++) {
      const Occurrence *o = &g_array_index(d->occ, Occurrence, c->index);
      if (o->start >= c->to)
        break;
      if (o->end - o->start <= LONG && cursor_hit(c, o)) {
        c->index++;
        return o;
      }
    }
    c->phase = 1;
    /* First long occurrence that may reach `from`. */
    guint lo = 0, hi = d->long_occ->len;
    while (lo < hi) {
      guint mid = lo + (hi - lo) / 2;
      if (g_array_index(d->long_occ, Occurrence, mid).start < c->from - d->max_long)
        lo = mid + 1;
      else
        hi = mid;
    }
    c->index = lo;
  }
  for (; c->index < d->long_occ->len; c->index++) {
    const Occurrence *o = &g_array_index(d->long_occ, Occurrence, c->index);
    if (o->start >= c->to)
      break;
    if (cursor_hit(c, o)) {
      c->index++;
      return o;
    }
  }
  return NULL;
}

gboolean occurrence_same(const Occurrence *a, const Occurrence *b) {
  return a == b || (a && b && a->series == b->series && a->recurrence_id == b->recurrence_id && a->start == b->start);
}
gint64 diary_max_travel(const Diary *diary) { return diary->max_travel; }

gboolean diary_is_busy(const Diary *diary, const Occurrence *occ) {
  (void)diary;
  return occ->busy;
}

gint64 diary_day_of(const Diary *diary, gint64 instant) {
  gint64 local = zone_to_local(diary->opts.tz, instant);
  return seconds_to_days(local);
}

gint64 diary_day_start(const Diary *diary, gint64 day) { return zone_to_instant(diary->opts.tz, day * 86400); }
