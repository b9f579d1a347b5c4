/* slots: see slots.h.
 *
 * A candidate is tested against the same rules the checks apply, through
 * the helpers checks.c shares (required gap, day load, working hours), so a
 * slot offered here never raises a finding once booked.
 *
 * Cost: a day is first tested as a whole (a day off, or its appointment
 * count or busy time already at the limit, rules it out at once); then the
 * busy occurrences near the day are turned into blocked intervals, each
 * widened by the gap it needs from the candidate, and only grid points in
 * the free gaps between them are tested in full.  On a crowded diary this
 * keeps a search for alternatives to a few passes over each day.
 */
#include "slots.h"

#include <string.h>

typedef struct {
  const Diary *diary;
  const CheckRules *rules;
  const SlotQuery *q;
  char *place;  /* normalised q->location */
  GStrv rooms;  /* normalised rooms and equipment the query books */
  gint64 reach; /* largest required gap */
  /* The day day_open() prepared: */
  GArray *blocked; /* of Slot: busy time widened by its gaps, and bookings
                    * of the query's rooms, merged */
  gboolean inexact; /* a zero-length busy occurrence is near: test in full */
  GArray *spans;   /* its busy timed intervals, for workload */
  guint count;     /* how many of them start that day */
  gint64 ds, de;
} Prepared;

static void prepare(Prepared *p, const Diary *diary, const CheckRules *rules, const SlotQuery *q) {
  memset(p, 0, sizeof *p);
  p->diary = diary;
  p->rules = rules;
  p->q = q;
  g_autoptr(GPtrArray) rooms = g_ptr_array_new();
  if (q->like) {
    p->place = g_strdup(q->like->place);
    for (char **r = q->like->rooms; r && *r; r++)
      g_ptr_array_add(rooms, g_strdup(*r));
  } else {
    p->place = place_is_link(q->location) ? NULL : place_normalise(q->location);
    if (q->location && !place_is_link(q->location) && p->place)
      g_ptr_array_add(rooms, g_strdup(p->place));
    for (const char *const *r = q->resources; r && *r; r++) {
      char *k = place_normalise(*r);
      if (k)
        g_ptr_array_add(rooms, k);
    }
  }
  g_ptr_array_add(rooms, NULL);
  p->rooms = (GStrv)g_ptr_array_free(g_steal_pointer(&rooms), FALSE);
  p->reach = MAX(MAX(MAX(rules->buffer, rules->travel), diary_max_travel(diary)), q->travel);
  p->blocked = g_array_new(FALSE, FALSE, sizeof(Slot));
  p->spans = g_array_new(FALSE, FALSE, sizeof(Slot));
  p->ds = p->de = G_MININT64;
}

static void prepared_clear(Prepared *p) {
  g_free(p->place);
  g_strfreev(p->rooms);
  g_array_unref(p->blocked);
  g_array_unref(p->spans);
}

static gboolean on(const CheckRules *rules, CheckKind k) { return (rules->enabled & (1u << k)) != 0; }

static gboolean excluded(const SlotQuery *q, const Occurrence *o) { return occurrence_same(o, q->exclude); }

/* Whether the daily limits still hold with [start, end) booked, on every
 * day it touches (the prepared day from its arrays, others from the diary). */
static gboolean workload_allows(const Prepared *p, gint64 start, gint64 end) {
  gint64 last = diary_day_of(p->diary, end - 1);
  for (gint64 day = diary_day_of(p->diary, start); day <= last; day++) {
    DayLoad load;
    if (diary_day_start(p->diary, day) == p->ds)
      checks_load_of(p->rules, p->spans, p->count, p->ds, p->de, start, end, &load);
    else
      checks_day_load(p->diary, p->rules, day, start, end, p->q->exclude, &load);
    /* The booking counts as one appointment on the day it starts only. */
    if (day != diary_day_of(p->diary, start) && load.count > 0)
      load.count--;
    if (!checks_load_ok(p->rules, &load))
      return FALSE;
  }
  return TRUE;
}

/* The full test of one candidate. */
static gboolean is_free(const Prepared *p, gint64 start, CheckKind *why) {
  const Diary *diary = p->diary;
  const CheckRules *rules = p->rules;
  gint64 end = start + p->q->duration;
  if (on(rules, CHECK_NOTICE) && start < rules->now + rules->notice) {
    *why = CHECK_NOTICE;
    return FALSE;
  }
  if (on(rules, CHECK_HOURS) && !checks_in_hours(diary, rules, start, end)) {
    *why = CHECK_HOURS;
    return FALSE;
  }
  DiaryCursor cur;
  diary_cursor_init(&cur, diary, start - p->reach, end + p->reach, TRUE);
  for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;) {
    if (excluded(p->q, o))
      continue;
    if (o->start < end && o->end > start && o->end > o->start && on(rules, CHECK_CONFLICT)) {
      *why = CHECK_CONFLICT;
      return FALSE;
    }
    if (on(rules, CHECK_BUFFER) &&
        ((o->end <= start && start - o->end < checks_required_gap(rules, o->appt->place, p->place, p->q->travel)) ||
         (o->start >= end &&
          o->start - end < checks_required_gap(rules, p->place, o->appt->place, o->appt->travel)))) {
      *why = CHECK_BUFFER;
      return FALSE;
    }
  }
  /* Rooms are booked by free (transparent) appointments too. */
  for (guint r = 0; p->rooms[r] && on(rules, CHECK_RESOURCE); r++) {
    diary_cursor_init_room(&cur, diary, p->rooms[r], start, end);
    for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;)
      if (!excluded(p->q, o)) {
        *why = CHECK_RESOURCE;
        return FALSE;
      }
  }
  if (on(rules, CHECK_WORKLOAD) && !workload_allows(p, start, end)) {
    *why = CHECK_WORKLOAD;
    return FALSE;
  }
  return TRUE;
}

gboolean slots_is_free(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 start,
                       CheckKind *why) {
  Prepared p;
  prepare(&p, diary, rules, query);
  CheckKind dummy;
  gboolean free = is_free(&p, start, why ? why : &dummy);
  prepared_clear(&p);
  return free;
}

/* Intervals of the day where a candidate cannot start or run because of a
 * busy occurrence and the gap it needs; sorted and merged into p->blocked. */
static void blocked_intervals(Prepared *p, gint64 ds, gint64 de) {
  const Diary *diary = p->diary;
  const CheckRules *rules = p->rules;
  g_array_set_size(p->blocked, 0);
  p->inexact = FALSE;
  DiaryCursor cur;
  diary_cursor_init(&cur, diary, ds - p->reach, de + p->q->duration + p->reach, TRUE);
  for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL && (on(rules, CHECK_CONFLICT) || on(rules, CHECK_BUFFER));) {
    if (excluded(p->q, o) || !diary_is_busy(diary, o))
      continue;
    if (o->end == o->start) {
      /* Inside a slot it breaks no rule, next to one it needs its gap: no
       * interval says that, so such a day is tested in full. */
      p->inexact = TRUE;
      continue;
    }
    Slot b = {o->start, o->end};
    if (on(rules, CHECK_BUFFER)) {
      b.start -= checks_required_gap(rules, p->place, o->appt->place, o->appt->travel);
      b.end += checks_required_gap(rules, o->appt->place, p->place, p->q->travel);
    }
    if (b.end <= ds - p->q->duration || b.start >= de)
      continue;
    g_array_append_val(p->blocked, b);
  }
  for (guint r = 0; p->rooms[r] && on(rules, CHECK_RESOURCE); r++) {
    diary_cursor_init_room(&cur, diary, p->rooms[r], ds, de + p->q->duration);
    for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;)
      if (!excluded(p->q, o)) {
        Slot b = {o->start, o->end};
        g_array_append_val(p->blocked, b);
      }
  }
  g_array_sort(p->blocked, slot_compare_start);
  guint w = 0;
  for (guint i = 0; i < p->blocked->len; i++) {
    Slot next = g_array_index(p->blocked, Slot, i);
    if (w > 0 && next.start <= g_array_index(p->blocked, Slot, w - 1).end) {
      Slot *last = &g_array_index(p->blocked, Slot, w - 1);
      last->end = MAX(last->end, next.end);
    } else {
      g_array_index(p->blocked, Slot, w++) = next;
    }
  }
  g_array_set_size(p->blocked, w);
}

/* Whether [s, e) avoids every blocked interval (a zero-length occurrence
 * blocks nothing by overlap, only through its gaps). */
static gboolean clear_of_blocks(const Prepared *p, gint64 s, gint64 e) {
  guint lo = 0, hi = p->blocked->len;
  while (lo < hi) { /* first block ending after s */
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index(p->blocked, Slot, mid).end <= s)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo >= p->blocked->len || g_array_index(p->blocked, Slot, lo).start >= e;
}

/* Prepares a day; FALSE when it cannot hold another appointment at all. */
static gboolean day_open(Prepared *p, gint64 day) {
  const CheckRules *rules = p->rules;
  if (on(rules, CHECK_HOURS)) {
    const WorkHours *wh = &rules->hours[days_to_weekday(day)];
    if (wh->start == wh->end || wh->end - wh->start < p->q->duration / 60)
      return FALSE;
  }
  if (on(rules, CHECK_NOTICE) && p->diary && diary_day_start(p->diary, day + 1) <= rules->now + rules->notice)
    return FALSE;
  p->ds = diary_day_start(p->diary, day);
  p->de = diary_day_start(p->diary, day + 1);
  if (on(rules, CHECK_WORKLOAD)) {
    p->count = checks_day_spans(p->diary, p->ds, p->de, p->q->exclude, p->spans);
    DayLoad load;
    checks_load_of(rules, p->spans, p->count, p->ds, p->de, 0, 0, &load);
    /* With working hours on, a slot lies inside the day, so all of it counts. */
    if ((rules->max_per_day && load.count + 1 > rules->max_per_day) ||
        (on(rules, CHECK_HOURS) && rules->max_busy_per_day &&
         load.busy + p->q->duration > rules->max_busy_per_day))
      return FALSE;
  }
  blocked_intervals(p, p->ds, p->de);
  return TRUE;
}

/* The rest of is_free() for a candidate clear of the prepared day's
 * blocked intervals (which stand for conflicts, gaps and rooms). */
static gboolean day_allows(const Prepared *p, gint64 start) {
  const CheckRules *rules = p->rules;
  gint64 end = start + p->q->duration;
  if (on(rules, CHECK_NOTICE) && start < rules->now + rules->notice)
    return FALSE;
  if (on(rules, CHECK_HOURS) && !checks_in_hours(p->diary, rules, start, end))
    return FALSE;
  if (on(rules, CHECK_WORKLOAD))
    return workload_allows(p, start, end);
  return TRUE;
}

/* Free candidate starts of one local day, in time order, on the step grid
 * from local midnight, inside working hours when that rule is on. */
static void day_slots(Prepared *p, gint64 day, GArray *out) {
  const CheckRules *rules = p->rules;
  const SlotQuery *q = p->q;
  Zone *tz = diary_options(p->diary)->tz;
  if (!day_open(p, day))
    return;
  gint64 step = rules->step > 0 ? rules->step : 15 * 60;
  gint64 first_s = 0, last_s = 24 * 3600;
  if (on(rules, CHECK_HOURS)) {
    const WorkHours *wh = &rules->hours[days_to_weekday(day)];
    first_s = (gint64)wh->start * 60;
    last_s = (gint64)wh->end * 60;
  }
  for (gint64 off = (first_s + step - 1) / step * step; off < last_s; off += step) {
    if (on(rules, CHECK_HOURS) && off + q->duration > last_s)
      break;
    gint64 start = zone_to_instant(tz, day * 86400 + off);
    if (zone_to_local(tz, start) != day * 86400 + off)
      continue; /* a wall-clock time skipped by a DST change */
    if (start < q->from || start + q->duration > q->to || !clear_of_blocks(p, start, start + q->duration))
      continue;
    CheckKind why;
    if (!(p->inexact ? is_free(p, start, &why) : day_allows(p, start)))
      continue;
    Slot s = {start, start + q->duration};
    g_array_append_val(out, s);
  }
}

GArray *slots_find(const Diary *diary, const CheckRules *rules, const SlotQuery *query) {
  GArray *slots = g_array_new(FALSE, FALSE, sizeof(Slot));
  if (query->duration <= 0 || query->to <= query->from)
    return slots;
  Prepared p;
  prepare(&p, diary, rules, query);
  gint64 last_day = diary_day_of(diary, query->to - 1);
  for (gint64 day = diary_day_of(diary, query->from); day <= last_day; day++) {
    day_slots(&p, day, slots);
    if (query->limit && slots->len >= query->limit) {
      g_array_set_size(slots, query->limit);
      break;
    }
  }
  prepared_clear(&p);
  return slots;
}

GArray *slots_nearest(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 near, guint n) {
  GArray *best = g_array_new(FALSE, FALSE, sizeof(Slot));
  if (query->duration <= 0 || n == 0)
    return best;
  Prepared p;
  prepare(&p, diary, rules, query);
  g_autoptr(GArray) day = g_array_new(FALSE, FALSE, sizeof(Slot));
  gint64 home = diary_day_of(diary, near);
  gint64 max_days = rules->horizon / 86400 + 2;
  /* Days in order of distance: home, +1, -1, +2, -2, ...  Once n slots are
   * nearer than any start the next pair of days could hold (measured from
   * their real bounds: DST days are 23 or 25 hours), stop. */
  for (gint64 k = 0; k <= max_days; k++) {
    if (best->len >= n && k > 0) {
      gint64 worst = 0;
      for (guint i = 0; i < best->len; i++)
        worst = MAX(worst, ABS(g_array_index(best, Slot, i).start - near));
      gint64 later = diary_day_start(diary, home + k) - near;
      gint64 earlier = near - diary_day_start(diary, home - k + 1);
      if (worst < MIN(later, earlier))
        break;
    }
    for (int side = 0; side < (k == 0 ? 1 : 2); side++) {
      g_array_set_size(day, 0);
      day_slots(&p, side == 0 ? home + k : home - k, day);
      for (guint i = 0; i < day->len; i++) {
        Slot slot = g_array_index(day, Slot, i);
        if (ABS(slot.start - near) > rules->horizon)
          continue;
        if (best->len < n) {
          g_array_append_val(best, slot);
          continue;
        }
        guint worst_i = 0;
        for (guint j = 1; j < best->len; j++)
          if (ABS(g_array_index(best, Slot, j).start - near) > ABS(g_array_index(best, Slot, worst_i).start - near))
            worst_i = j;
        gint64 d_new = ABS(slot.start - near), d_worst = ABS(g_array_index(best, Slot, worst_i).start - near);
        if (d_new < d_worst || (d_new == d_worst && slot.start < g_array_index(best, Slot, worst_i).start))
          g_array_index(best, Slot, worst_i) = slot;
      }
    }
  }
  prepared_clear(&p);
  g_array_sort(best, slot_compare_start);
  return best;
}
