/* slots: see slots.h.
 *
 * A candidate is tested against the same rules the checks apply, through
 * the helpers checks.c shares (required gap, resource keys, workload, working
 * hours), so a slot offered here never raises a finding once booked.
 */
#include "slots.h"

#include <string.h>

static gboolean excluded(const SlotQuery *q, const Occurrence *o) {
  const Occurrence *x = q->exclude;
  return x && (o == x || (o->series == x->series && o->recurrence_id == x->recurrence_id && o->start == x->start));
}

static gboolean books_resource(const Appointment *appt, const SlotQuery *q) {
  if (!q->location && !q->resources)
    return FALSE;
  g_auto(GStrv) keys = checks_resource_keys(appt);
  if (!keys)
    return FALSE;
  Appointment probe = {.location = (char *)q->location, .resources = (GStrv)q->resources};
  g_auto(GStrv) wanted = checks_resource_keys(&probe);
  for (char **w = wanted; w && *w; w++)
    if (g_strv_contains((const char *const *)keys, *w))
      return TRUE;
  return FALSE;
}

gboolean slots_is_free(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 start,
                       CheckKind *why) {
  gint64 end = start + query->duration;
  CheckKind dummy;
  if (!why)
    why = &dummy;
  guint on = rules->enabled;
  if ((on & (1u << CHECK_NOTICE)) && start < rules->now + rules->notice) {
    *why = CHECK_NOTICE;
    return FALSE;
  }
  if ((on & (1u << CHECK_HOURS)) && !checks_in_hours(diary, rules, start, end)) {
    *why = CHECK_HOURS;
    return FALSE;
  }
  gint64 reach = MAX(rules->buffer, rules->travel);
  guint n = diary_n_occurrences(diary);
  for (guint k = diary_lower_bound(diary, start - diary_max_duration(diary) - reach); k < n; k++) {
    const Occurrence *o = diary_occurrence(diary, k);
    if (o->start >= end + MAX(reach, 24 * 3600))
      break;
    if (excluded(query, o))
      continue;
    gboolean overlap = o->start < end && o->end > start && o->end > o->start;
    if (overlap && (on & (1u << CHECK_RESOURCE)) && o->appt->status != STATUS_CANCELLED && books_resource(o->appt, query)) {
      *why = CHECK_RESOURCE;
      return FALSE;
    }
    if (!diary_is_busy(diary, o))
      continue;
    if (overlap && (on & (1u << CHECK_CONFLICT))) {
      *why = CHECK_CONFLICT;
      return FALSE;
    }
    if (!(on & (1u << CHECK_BUFFER)))
      continue;
    if (o->end <= start &&
        start - o->end < checks_required_gap(rules, o->appt->location, query->location, -1)) {
      *why = CHECK_BUFFER;
      return FALSE;
    }
    if (o->start >= end &&
        o->start - end < checks_required_gap(rules, query->location, o->appt->location, o->appt->travel)) {
      *why = CHECK_BUFFER;
      return FALSE;
    }
  }
  if ((on & (1u << CHECK_WORKLOAD)) && !checks_workload_allows(diary, rules, start, end, query->exclude)) {
    *why = CHECK_WORKLOAD;
    return FALSE;
  }
  return TRUE;
}

/* Candidate starts of one local day, on the step grid from local midnight,
 * inside working hours when that rule is on. */
static void day_candidates(const Diary *diary, const CheckRules *rules, const SlotQuery *q, gint64 day, GArray *out) {
  Zone *tz = diary_options(diary)->tz;
  gint64 step = rules->step > 0 ? rules->step : 15 * 60;
  int first = 0, last = 24 * 60;
  if (rules->enabled & (1u << CHECK_HOURS)) {
    const WorkHours *wh = &rules->hours[days_to_weekday(day)];
    if (wh->start == wh->end)
      return;
    first = wh->start;
    last = wh->end;
  }
  gint64 first_s = (gint64)first * 60, last_s = (gint64)last * 60;
  gint64 aligned = (first_s + step - 1) / step * step;
  for (gint64 off = aligned; off + q->duration <= last_s || (!(rules->enabled & (1u << CHECK_HOURS)) && off < last_s);
       off += step) {
    gint64 start = zone_to_instant(tz, day * 86400 + off);
    if (zone_to_local(tz, start) != day * 86400 + off)
      continue; /* a wall-clock time skipped by a DST change */
    if (start < q->from || start + q->duration > q->to)
      continue;
    g_array_append_val(out, start);
  }
}

GArray *slots_find(const Diary *diary, const CheckRules *rules, const SlotQuery *query) {
  GArray *slots = g_array_new(FALSE, FALSE, sizeof(Slot));
  if (query->duration <= 0 || query->to <= query->from)
    return slots;
  g_autoptr(GArray) cands = g_array_new(FALSE, FALSE, sizeof(gint64));
  gint64 last_day = diary_day_of(diary, query->to - 1);
  for (gint64 day = diary_day_of(diary, query->from); day <= last_day; day++) {
    g_array_set_size(cands, 0);
    day_candidates(diary, rules, query, day, cands);
    for (guint i = 0; i < cands->len; i++) {
      gint64 s = g_array_index(cands, gint64, i);
      if (!slots_is_free(diary, rules, query, s, NULL))
        continue;
      Slot slot = {s, s + query->duration};
      g_array_append_val(slots, slot);
      if (query->limit && slots->len >= query->limit)
        return slots;
    }
  }
  return slots;
}

static gint slot_compare(gconstpointer a, gconstpointer b) {
  gint64 x = ((const Slot *)a)->start, y = ((const Slot *)b)->start;
  return x < y ? -1 : x > y;
}

GArray *slots_nearest(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 near, guint n) {
  GArray *best = g_array_new(FALSE, FALSE, sizeof(Slot));
  if (query->duration <= 0 || n == 0)
    return best;
  g_autoptr(GArray) cands = g_array_new(FALSE, FALSE, sizeof(gint64));
  gint64 home = diary_day_of(diary, near);
  gint64 max_days = rules->horizon / 86400 + 1;
  /* Days in order of distance: home, +1, -1, +2, -2, ... A day k away
   * cannot hold a start nearer than (k - 1) days, so stop once n slots are
   * nearer than that. */
  for (gint64 k = 0; k <= max_days; k++) {
    if (best->len >= n) {
      gint64 worst = 0;
      for (guint i = 0; i < best->len; i++)
        worst = MAX(worst, ABS(g_array_index(best, Slot, i).start - near));
      if (worst < (k - 1) * 86400)
        break;
    }
    for (int side = 0; side < (k == 0 ? 1 : 2); side++) {
      gint64 day = side == 0 ? home + k : home - k;
      g_array_set_size(cands, 0);
      day_candidates(diary, rules, query, day, cands);
      for (guint i = 0; i < cands->len; i++) {
        gint64 s = g_array_index(cands, gint64, i);
        if (s == near || !slots_is_free(diary, rules, query, s, NULL))
          continue;
        Slot slot = {s, s + query->duration};
        if (best->len < n) {
          g_array_append_val(best, slot);
          continue;
        }
        guint worst_i = 0;
        for (guint j = 1; j < best->len; j++)
          if (ABS(g_array_index(best, Slot, j).start - near) > ABS(g_array_index(best, Slot, worst_i).start - near))
            worst_i = j;
        gint64 d_new = ABS(s - near), d_worst = ABS(g_array_index(best, Slot, worst_i).start - near);
        if (d_new < d_worst || (d_new == d_worst && s < g_array_index(best, Slot, worst_i).start))
          g_array_index(best, Slot, worst_i) = slot;
      }
    }
  }
  g_array_sort(best, slot_compare);
  return best;
}
