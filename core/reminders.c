/* reminders: see reminders.h.
 *
 * One walk over the occurrences within reach of the window (a DiaryCursor
 * over [from - reach, to + reach]), computing each occurrence's triggers
 * arithmetically: repeats are not iterated outside the window, so a hostile
 * REPEAT costs nothing unless its triggers are wanted.  Triggers gather in a
 * hash table by key, which gives the two "one of several" choices a single
 * place: the same UID in two calendars, and the occurrence an absolute
 * trigger is attached to.  Both choices look only at occurrences within
 * reach of the trigger, and all of those are in the walk whenever the
 * trigger is in the window, so the answer does not depend on the window
 * asked for.
 *
 * "Leave now" looks back from each candidate occurrence through the busy
 * index over its own local day only: the cost is the day's busy
 * occurrences, not the diary's.
 */
#include "reminders.h"

#include <string.h>

/* Reach is clamped so that window arithmetic cannot overflow. */
#define MAX_REACH (3660 * (gint64)86400)

void trigger_free(Trigger *t) {
  if (!t)
    return;
  g_free(t->key);
  g_free(t->uid);
  g_free(t->summary);
  g_free(t->location);
  g_free(t->description);
  g_free(t->link);
  g_free(t->source);
  g_free(t->from_location);
  g_free(t);
}

const char *trigger_kind_name(TriggerKind kind) {
  switch (kind) {
  case TRIGGER_ALARM:
    return "alarm";
  case TRIGGER_DEFAULT:
    return "default";
  case TRIGGER_LEAVE:
    return "leave";
  case TRIGGER_SNOOZE:
    return "snooze";
  }
  return "unknown";
}

/* ---- keys ---------------------------------------------------------------- */

/* Keys are '|'-separated: a '|' inside a field would let two identities
 * collide, so it (and the escape character) is percent-encoded. */
static void append_field(GString *s, const char *text) {
  g_string_append_c(s, '|');
  for (const char *p = text ? text : ""; *p; p++) {
    if (*p == '|')
      g_string_append(s, "%7C");
    else if (*p == '%')
      g_string_append(s, "%25");
    else
      g_string_append_c(s, *p);
  }
}

static void append_utc(GString *s, gint64 instant) {
  gint64 days = seconds_to_days(instant), rest = instant - days * 86400;
  int y, m, d;
  days_to_civil(days, &y, &m, &d);
  g_string_append_printf(s, "%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

static void append_rid(GString *s, gint64 rid) {
  g_string_append_c(s, '|');
  if (rid == APPT_NO_TIME)
    g_string_append_c(s, '-');
  else
    append_utc(s, rid);
}

/* A relative trigger in one spelling whatever the source wrote
 * ("-PT900S" and "-PT15M" are one alarm): "-P1DT2H30M", "PT0S". */
static void append_duration(GString *s, int days, gint64 secs) {
  gboolean neg = days < 0 || secs < 0;
  guint64 d = (guint64)ABS((gint64)days), t = (guint64)ABS(secs);
  g_string_append(s, neg ? "-P" : "P");
  if (d)
    g_string_append_printf(s, "%" G_GUINT64_FORMAT "D", d);
  if (t || !d) {
    g_string_append_c(s, 'T');
    if (t >= 3600)
      g_string_append_printf(s, "%" G_GUINT64_FORMAT "H", t / 3600);
    if (t / 60 % 60)
      g_string_append_printf(s, "%" G_GUINT64_FORMAT "M", t / 60 % 60);
    if (t % 60 || !t)
      g_string_append_printf(s, "%" G_GUINT64_FORMAT "S", t % 60);
  }
}

static GString *key_start(const char *kind, const char *uid, gint64 rid) {
  GString *s = g_string_new(kind);
  append_field(s, uid);
  append_rid(s, rid);
  return s;
}

/* The alarm's identity inside its component: "U:<VALARM UID>", or its index
 * and trigger ("0:-PT15M", "1:PT5M/END", "2:@20261207T083000Z"). */
static void append_alarm_id(GString *s, const Alarm *a, guint index) {
  if (a->uid) {
    g_string_append(s, "|U:");
    gsize at = s->len;
    append_field(s, a->uid);
    g_string_erase(s, (gssize)at, 1); /* append_field's own '|' */
    return;
  }
  g_string_append_printf(s, "|%u:", index);
  if (a->absolute) {
    g_string_append_c(s, '@');
    append_utc(s, a->trigger_instant);
    return;
  }
  append_duration(s, a->offset_days, a->offset);
  if (a->related_end)
    g_string_append(s, "/END");
}

/* ---- the walk ------------------------------------------------------------ */

typedef struct {
  Trigger *t;
  gint64 anchor; /* absolute trigger: the instant its occurrence is chosen by; APPT_NO_TIME otherwise */
} Pending;

typedef struct {
  const Diary *diary;
  const ReminderQuery *q;
  gint64 reach;
  GHashTable *pending;  /* key (owned by the Trigger) -> Pending* */
  GHashTable *defaults; /* source ("" for NULL) -> const GArray* or NULL, asked once per listing */
  gboolean full;
} Walk;

/* Eligibility of the occurrence being looked at, worked out on first need:
 * the attendee search is the costly part and most occurrences have no
 * trigger near the window. */
typedef struct {
  const Occurrence *occ;
  int eligible; /* -1 unknown */
} Current;

static gboolean eligible(const Walk *w, Current *c) {
  if (c->eligible < 0) {
    const Appointment *a = c->occ->appt;
    const Attendee *me = appointment_find_attendee(a, w->q->owners);
    c->eligible = a->status != STATUS_CANCELLED && !(me && me->partstat == PARTSTAT_DECLINED);
  }
  return c->eligible;
}

/* The zone the occurrence's wall clock is read in, for nominal days. */
static Zone *occurrence_zone(const Diary *diary, const Appointment *a) {
  switch (a->start.kind) {
  case TREF_ZONED:
    return a->start.zone;
  case TREF_UTC:
    return NULL; /* zone_to_instant/zone_to_local: NULL is UTC */
  default:
    return diary_options(diary)->tz;
  }
}

static const char *link_of(const Appointment *a) {
  if (a->conference)
    return a->conference;
  if (a->url)
    return a->url;
  return place_is_link(a->location) ? a->location : NULL;
}

static gboolean in_window(const Walk *w, gint64 due) { return due >= w->q->from && due < w->q->to; }

static gboolean within_reach(const Walk *w, const Occurrence *o, gint64 due) {
  return due >= o->start - w->reach && due <= o->end + w->reach;
}

static const char *source_or_empty(const char *s) { return s ? s : ""; }

/* Whether `cand` should replace `held` under the same key: the copy from the
 * source that sorts first; for an absolute trigger, the first occurrence that
 * starts at or after the anchor, else the latest one before it. */
static gboolean better(const Pending *cand, const Pending *held) {
  int c = strcmp(source_or_empty(cand->t->source), source_or_empty(held->t->source));
  if (c)
    return c < 0;
  if (cand->anchor == APPT_NO_TIME)
    return FALSE; /* a duplicate within one source (repeated VALARM UID): the first met stays */
  gint64 at = cand->anchor;
  gboolean cand_after = cand->t->start >= at, held_after = held->t->start >= at;
  if (cand_after != held_after)
    return cand_after;
  return cand_after ? cand->t->start < held->t->start : cand->t->start > held->t->start;
}

/* Takes ownership of `key`.  Returns the new trigger when it is kept (the
 * table owns it), NULL when an existing one under the key is preferred or
 * the cap is reached. */
static Trigger *add(Walk *w, const Occurrence *o, TriggerKind kind, gint64 due, GString *key, gint64 anchor,
                const Alarm *alarm) {
  Pending *held = g_hash_table_lookup(w->pending, key->str);
  if (!held && g_hash_table_size(w->pending) >= REMINDERS_MAX_TRIGGERS) {
    w->full = TRUE;
    g_string_free(key, TRUE);
    return NULL;
  }
  const Appointment *a = o->appt;
  Trigger *t = g_new0(Trigger, 1);
  t->key = g_string_free(key, FALSE);
  t->kind = kind;
  t->due = due;
  t->uid = g_strdup(o->series->uid);
  t->recurrence_id = o->recurrence_id;
  t->summary = g_strdup(a->summary);
  t->location = g_strdup(a->location);
  t->description = g_strdup(alarm ? alarm->description : NULL);
  t->link = g_strdup(link_of(a));
  t->source = g_strdup(o->series->source);
  t->start = o->start;
  t->end = o->end;
  t->all_day = o->all_day;
  t->audio = alarm && alarm->action == ALARM_AUDIO;
  Pending cand = {t, anchor};
  if (held && !better(&cand, held)) {
    trigger_free(t);
    return NULL;
  }
  if (held) {
    /* The key string is the table's key: swap the entry, not just the value. */
    g_hash_table_remove(w->pending, t->key);
  }
  Pending *p = g_new(Pending, 1);
  *p = cand;
  g_hash_table_insert(w->pending, t->key, p);
  return t;
}

static void pending_free(gpointer data) {
  Pending *p = data;
  trigger_free(p->t);
  g_free(p);
}

/* The instant a relative trigger counts from, moved by its nominal days. */
static gint64 relative_due(const Walk *w, const Occurrence *o, const Alarm *a) {
  gint64 base = a->related_end ? o->end : o->start;
  if (a->offset_days) {
    Zone *z = occurrence_zone(w->diary, o->appt);
    base = zone_to_instant(z, zone_to_local(z, base) + (gint64)a->offset_days * 86400);
  }
  return base + a->offset;
}

static gint64 ceil_div(gint64 a, gint64 b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static gint64 floor_div(gint64 a, gint64 b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static void alarm_triggers(Walk *w, Current *c, const Alarm *a, guint index, gint64 lastack) {
  const Occurrence *o = c->occ;
  gint64 due0 = a->absolute ? a->trigger_instant : relative_due(w, o, a);
  int n = a->repeat > 0 && a->repeat_interval > 0 ? a->repeat : 0;
  gint64 step = n ? a->repeat_interval : 1;
  /* Only the repeats inside the window: k*step in [from - due0, to - due0). */
  gint64 k_lo = MAX(0, ceil_div(w->q->from - due0, step));
  gint64 k_hi = MIN((gint64)n, floor_div(w->q->to - 1 - due0, step));
  gint64 dismissed = MAX(a->acknowledged, lastack);
  /* An absolute trigger belongs to its component, not to one occurrence. */
  gint64 key_rid = o->recurrence_id;
  if (a->absolute)
    key_rid = o->appt->is_override ? timeref_instant(&o->appt->recurrence_id, diary_options(w->diary)->tz)
                                   : APPT_NO_TIME;
  for (gint64 k = k_lo; k <= k_hi && !w->full; k++) {
    gint64 due = due0 + k * step;
    if (!in_window(w, due) || !within_reach(w, o, due) || due <= dismissed || !eligible(w, c))
      continue;
    GString *key = key_start("alarm", o->series->uid, key_rid);
    append_alarm_id(key, a, index);
    g_string_append_printf(key, "|r%" G_GINT64_FORMAT, k);
    add(w, o, TRIGGER_ALARM, due, key, a->absolute ? a->trigger_instant : APPT_NO_TIME, a);
  }
}

static const GArray *defaults_for(Walk *w, const char *source) {
  if (!w->q->defaults)
    return NULL;
  const char *k = source_or_empty(source);
  gpointer value;
  if (g_hash_table_lookup_extended(w->defaults, k, NULL, &value))
    return value;
  const GArray *arr = w->q->defaults(source, w->q->defaults_data);
  g_hash_table_insert(w->defaults, (gpointer)k, (gpointer)arr);
  return arr;
}

static void default_triggers(Walk *w, Current *c, gint64 lastack) {
  const Occurrence *o = c->occ;
  const GArray *offsets = defaults_for(w, o->series->source);
  for (guint i = 0; offsets && i < offsets->len && !w->full; i++) {
    gint64 before = g_array_index(offsets, gint64, i);
    if (before <= 0 || before > MAX_REACH)
      continue;
    /* All-day: the occurrence starts at local midnight already. */
    gint64 due = o->start - before;
    if (!in_window(w, due) || !within_reach(w, o, due) || due <= lastack || !eligible(w, c))
      continue;
    GString *key = key_start("default", o->series->uid, o->recurrence_id);
    g_string_append_c(key, '|');
    append_duration(key, 0, -before);
    add(w, o, TRIGGER_DEFAULT, due, key, APPT_NO_TIME, NULL);
  }
}

static void snooze_trigger(Walk *w, Current *c, gint64 lastack) {
  const Occurrence *o = c->occ;
  const Appointment *holder = o->series->master ? o->series->master : o->appt;
  if (!holder->moz_snoozes)
    return;
  gint64 at = appointment_moz_snooze(holder, o->recurrence_id);
  if (at == APPT_NO_TIME && o->recurrence_id != APPT_NO_TIME &&
      (o->appt->start.kind == TREF_DATE || o->appt->start.kind == TREF_FLOATING)) {
    /* Thunderbird numbers floating and all-day occurrences by their wall
     * clock read as UTC. */
    at = appointment_moz_snooze(holder, zone_to_local(diary_options(w->diary)->tz, o->recurrence_id));
  }
  if (at == APPT_NO_TIME || at <= lastack || !in_window(w, at) || !within_reach(w, o, at) || !eligible(w, c))
    return;
  GString *key = key_start("snooze", o->series->uid, o->recurrence_id);
  g_string_append_c(key, '|');
  append_utc(key, at);
  add(w, o, TRIGGER_SNOOZE, at, key, APPT_NO_TIME, NULL);
}

/* Occurrences that occupy time for "leave now": busy, timed, not zero-length. */
static gboolean occupies(const Diary *diary, const Occurrence *o) {
  return diary_is_busy(diary, o) && !o->all_day && o->end > o->start;
}

/* Orders candidates for "the appointment before": latest end, then latest
 * start, then the diary's own order. */
static gboolean later_than(const Occurrence *a, const Occurrence *b) {
  if (a->end != b->end)
    return a->end > b->end;
  if (a->start != b->start)
    return a->start > b->start;
  int c = strcmp(a->series->uid, b->series->uid);
  if (c)
    return c > 0;
  return a->recurrence_id > b->recurrence_id;
}

static void leave_trigger(Walk *w, Current *c) {
  const Diary *diary = w->diary;
  const Occurrence *b = c->occ;
  if (w->q->travel <= 0 || !occupies(diary, b) || !b->appt->place || place_is_link(b->appt->location))
    return;
  gint64 travel = b->appt->travel > 0 ? b->appt->travel : w->q->travel;
  /* The due is at most `travel` before the start, and never before the
   * previous one ends: if even the earliest possible due is past the
   * window's end, or the start is before its beginning, nothing to do. */
  if (b->start - travel >= w->q->to || b->start < w->q->from)
    return;
  gint64 day = diary_day_of(diary, b->start);
  gint64 day_start = diary_day_start(diary, day);

  /* Pass 1: the latest busy occurrence that ends by b's start that day. */
  Occurrence a = {0};
  gboolean have_a = FALSE;
  DiaryCursor cur;
  diary_cursor_init(&cur, diary, day_start - 1, b->start, TRUE);
  for (const Occurrence *x; (x = diary_cursor_next(&cur)) != NULL;) {
    if (!occupies(diary, x) || occurrence_same(x, b) || x->end > b->start || x->end < day_start)
      continue;
    if (!have_a || later_than(x, &a)) {
      a = *x;
      have_a = TRUE;
    }
  }
  if (!have_a || !a.appt->place || place_is_link(a.appt->location) || strcmp(a.appt->place, b->appt->place) == 0)
    return;
  /* Pass 2: nothing busy in between (overlapping the gap, or b's start). */
  diary_cursor_init(&cur, diary, a.end, b->start, TRUE);
  for (const Occurrence *x; (x = diary_cursor_next(&cur)) != NULL;)
    if (occupies(diary, x) && !occurrence_same(x, b) && !occurrence_same(x, &a) && x->end > a.end)
      return;

  gint64 due = MAX(b->start - travel, a.end);
  if (!in_window(w, due) || !eligible(w, c))
    return;
  GString *key = key_start("leave", b->series->uid, b->recurrence_id);
  Trigger *t = add(w, b, TRIGGER_LEAVE, due, key, APPT_NO_TIME, NULL);
  if (t) {
    t->travel = travel;
    t->from_location = g_strdup(a.appt->location);
  }
}

static gboolean has_shown_alarm(const Appointment *a) {
  for (guint i = 0; a->alarms && i < a->alarms->len; i++) {
    AlarmAction act = ((const Alarm *)g_ptr_array_index(a->alarms, i))->action;
    if (act == ALARM_DISPLAY || act == ALARM_AUDIO)
      return TRUE;
  }
  return FALSE;
}

static void occurrence_triggers(Walk *w, const Occurrence *o) {
  if (o->appt->status == STATUS_CANCELLED)
    return;
  Current c = {o, -1};
  const Appointment *a = o->appt, *master = o->series->master;
  gint64 lastack = MAX(a->moz_lastack, master ? master->moz_lastack : APPT_NO_TIME);
  if (has_shown_alarm(a)) {
    for (guint i = 0; i < a->alarms->len && !w->full; i++) {
      const Alarm *al = g_ptr_array_index(a->alarms, i);
      if (al->action == ALARM_DISPLAY || al->action == ALARM_AUDIO)
        alarm_triggers(w, &c, al, i, lastack);
    }
  } else {
    default_triggers(w, &c, lastack);
  }
  snooze_trigger(w, &c, lastack);
  leave_trigger(w, &c);
}

static gint trigger_compare(gconstpointer pa, gconstpointer pb) {
  const Trigger *a = *(Trigger *const *)pa, *b = *(Trigger *const *)pb;
  if (a->due != b->due)
    return a->due < b->due ? -1 : 1;
  return strcmp(a->key, b->key);
}

gboolean reminders_list(const Diary *diary, const ReminderQuery *q, GPtrArray *out) {
  if (q->from >= q->to)
    return TRUE;
  Walk w = {diary, q, q->reach > 0 ? MIN(q->reach, MAX_REACH) : REMINDERS_DEFAULT_REACH,
            g_hash_table_new_full(g_str_hash, g_str_equal, NULL, pending_free),
            g_hash_table_new(g_str_hash, g_str_equal), FALSE};
  /* Occurrences whose triggers may fall in [from, to): within reach before
   * and after, and up to the longest travel time ahead for "leave now".
   * One second more at the start: a trigger exactly `reach` after an
   * occurrence that ends exactly `reach` before `from` still counts, and
   * the cursor wants end > from. */
  gint64 travel = q->travel > 0 ? MIN(MAX(q->travel, diary_max_travel(diary)), MAX_REACH) : 0;
  gint64 ahead = MAX(w.reach, travel);
  DiaryCursor cur;
  diary_cursor_init(&cur, diary, q->from - w.reach - 1, q->to + ahead + 1, FALSE);
  for (const Occurrence *o; !w.full && (o = diary_cursor_next(&cur)) != NULL;)
    occurrence_triggers(&w, o);

  g_autoptr(GPtrArray) mine = g_ptr_array_sized_new(g_hash_table_size(w.pending));
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w.pending);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Pending *p = value;
    g_ptr_array_add(mine, g_steal_pointer(&p->t));
  }
  g_hash_table_destroy(w.pending); /* frees the Pending wrappers only now */
  g_hash_table_destroy(w.defaults);
  g_ptr_array_sort(mine, trigger_compare);
  for (guint i = 0; i < mine->len; i++)
    g_ptr_array_add(out, g_ptr_array_index(mine, i));
  return !w.full;
}

gint64 reminders_next_due(const GPtrArray *triggers, gint64 now) {
  gint64 best = APPT_NO_TIME;
  for (guint i = 0; triggers && i < triggers->len; i++) {
    const Trigger *t = g_ptr_array_index(triggers, i);
    if (t->due >= now && (best == APPT_NO_TIME || t->due < best))
      best = t->due;
  }
  return best;
}

ReminderLateness reminders_lateness(gint64 at, gint64 now, gint64 grace, gint64 missed) {
  if (at >= now - grace)
    return REMINDER_ON_TIME;
  return at >= now - grace - missed ? REMINDER_LATE : REMINDER_TOO_LATE;
}
