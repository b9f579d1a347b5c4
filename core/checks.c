/* checks: see checks.h.
 *
 * One pass per local day.  A pair finding (conflict, resource, buffer,
 * priority) is anchored on the day of the earlier occurrence in the diary's
 * sort order, so every pair is seen exactly once: from its first member,
 * scanning forward in the sorted array while later occurrences can still
 * overlap (or still lie within the largest required gap).  Day findings
 * (workload) are anchored on their day, single findings (hours, notice,
 * completeness) on their occurrence's day.
 */
#include "checks.h"

#include "slots.h"

#include <string.h>

static const char *const kind_names[CHECK_N] = {"conflict", "resource", "buffer", "priority",
                                                "completeness", "workload", "hours", "notice"};

static const char *const kind_rules[CHECK_N] = {
    "busy appointments must not overlap",
    "a room or piece of equipment can be booked only once at a time",
    "leave the buffer between appointments, or the travel time when the location changes",
    "urgent appointments take precedence: the less urgent one should move",
    "every appointment records date, time, location, attendees and special requirements as required",
    "stay within the daily limits and take breaks",
    "appointments fall inside working hours",
    "appointments are booked with at least the minimum notice",
};

const char *check_kind_name(CheckKind kind) { return kind < CHECK_N ? kind_names[kind] : "unknown"; }

gboolean check_kind_from_name(const char *name, CheckKind *out) {
  for (int k = 0; k < CHECK_N; k++)
    if (g_ascii_strcasecmp(name, kind_names[k]) == 0) {
      *out = (CheckKind)k;
      return TRUE;
    }
  return FALSE;
}

const char *severity_name(Severity severity) {
  switch (severity) {
  case SEVERITY_ERROR:
    return "error";
  case SEVERITY_WARNING:
    return "warning";
  default:
    return "info";
  }
}

void check_rules_init(CheckRules *rules, gint64 now) {
  memset(rules, 0, sizeof *rules);
  rules->enabled = (1u << CHECK_N) - 1;
  rules->buffer = 10 * 60;
  rules->travel = 30 * 60;
  for (int d = 0; d < 7; d++)
    rules->hours[d] = d < 5 ? (WorkHours){9 * 60, 17 * 60} : (WorkHours){0, 0};
  rules->max_per_day = 8;
  rules->max_busy_per_day = 8 * 3600;
  rules->break_after = 4 * 3600;
  rules->break_length = 15 * 60;
  rules->notice = 2 * 3600;
  rules->require = REQUIRE_TIME | REQUIRE_LOCATION;
  rules->now = now;
  rules->step = 15 * 60;
  rules->n_suggestions = 3;
  rules->horizon = 14 * 86400;
  rules->max_findings = 20000;
}

void finding_free(Finding *f) {
  if (!f)
    return;
  g_free(f->message);
  if (f->occurrences)
    g_ptr_array_unref(f->occurrences);
  g_free(f->move_uid);
  if (f->slots)
    g_array_unref(f->slots);
  g_free(f->key);
  g_free(f);
}

static void finding_occ_free(FindingOcc *o) {
  g_free(o->uid);
  g_free(o->summary);
  g_free(o->location);
  g_free(o->source);
  g_free(o);
}

/* ---- places and resources ---------------------------------------------- */

gint64 checks_required_gap(const CheckRules *rules, const char *before_place, const char *after_place,
                           gint64 after_travel) {
  gint64 required = (before_place && after_place && strcmp(before_place, after_place) != 0) ? rules->travel
                                                                                            : rules->buffer;
  return MAX(required, after_travel);
}

/* The first room or resource both appointments book, or NULL.  Not owned. */
static const char *shared_room(const Appointment *a, const Appointment *b) {
  if (!a->rooms || !b->rooms)
    return NULL;
  for (guint i = 0; a->rooms[i]; i++)
    if (appointment_books(b, a->rooms[i], a->room_hashes[i]))
      return a->rooms[i];
  return NULL;
}

/* ---- formatting -------------------------------------------------------- */

static const char *const weekday_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void local_parts(const Diary *d, gint64 instant, gint64 *day, int *minute) {
  gint64 local = zone_to_local(diary_options(d)->tz, instant);
  gint64 dd = seconds_to_days(local);
  *day = dd;
  *minute = (int)((local - dd * 86400) / 60);
}

static void append_date(GString *s, gint64 day) {
  int y, m, dd;
  days_to_civil(day, &y, &m, &dd);
  g_string_append_printf(s, "%s %d %s %d", weekday_names[days_to_weekday(day)], dd, month_names[m - 1], y);
}

static void append_clock(GString *s, const Diary *d, gint64 instant) {
  gint64 day;
  int minute;
  local_parts(d, instant, &day, &minute);
  g_string_append_printf(s, "%02d:%02d", minute / 60, minute % 60);
}

static void append_span(GString *s, const Diary *d, const Occurrence *o) {
  if (o->all_day) {
    g_string_append(s, "all day");
    return;
  }
  append_clock(s, d, o->start);
  g_string_append(s, "\u2013");
  append_clock(s, d, o->end);
}

static void append_duration(GString *s, gint64 seconds) {
  gint64 m = (seconds + 59) / 60;
  if (m >= 60) {
    g_string_append_printf(s, "%" G_GINT64_FORMAT " h", m / 60);
    if (m % 60)
      g_string_append_printf(s, " %" G_GINT64_FORMAT " min", m % 60);
  } else {
    g_string_append_printf(s, "%" G_GINT64_FORMAT " min", m);
  }
}

static void append_title(GString *s, const Occurrence *o) {
  const char *t = o->appt->summary ? o->appt->summary : "(no title)";
  g_string_append(s, "\u201c");
  /* One line: untrusted titles may hold line breaks. */
  for (const char *p = t; *p; p++)
    g_string_append_c(s, ((unsigned char)*p < 0x20) ? ' ' : *p);
  g_string_append(s, "\u201d");
}

/* ---- findings ------------------------------------------------------------ */

typedef struct {
  const Diary *diary;
  const CheckRules *rules;
  GPtrArray *out;
  GHashTable *slot_cache; /* occurrence pointer -> GArray of Slot */
  GHashTable *pair_counts; /* PairKey -> findings so far */
  GHashTable *source_counts; /* SourceKey -> findings so far */
  gboolean full;
  guint omitted; /* findings left out by the caps */
} Run;

/* A pathological series (an event every second) could fill the findings on
 * its own; past this many findings of one check for the same series, or the
 * same two series, the rest are left out. */
#define MAX_PER_SERIES_PAIR 1000
/* The same for one calendar object (or two) holding many series: a file of
 * 20,000 overlapping events must not crowd out every other finding before
 * the overall cap (max_findings) is reached. */
#define MAX_PER_SOURCE_PAIR 2000

typedef struct {
  CheckKind kind;
  const Series *a, *b;
  guint count;
} PairKey;

typedef struct {
  CheckKind kind;
  const char *a, *b; /* the series' sources (not owned: the diary outlives the run) */
  guint count;
} SourceKey;

static guint source_hash(gconstpointer p) {
  const SourceKey *k = p;
  return g_str_hash(k->a) * 31u + g_str_hash(k->b) * 7u + (guint)k->kind;
}

static gboolean source_equal(gconstpointer x, gconstpointer y) {
  const SourceKey *a = x, *b = y;
  return a->kind == b->kind && !strcmp(a->a, b->a) && !strcmp(a->b, b->b);
}

static guint pair_hash(gconstpointer p) {
  const PairKey *k = p;
  return g_direct_hash(k->a) * 31u + g_direct_hash(k->b) * 7u + (guint)k->kind;
}

static gboolean pair_equal(gconstpointer x, gconstpointer y) {
  const PairKey *a = x, *b = y;
  return a->kind == b->kind && a->a == b->a && a->b == b->b;
}

static void append_int(GString *s, gint64 v) {
  char buf[24];
  int n = 0;
  guint64 u = v < 0 ? (guint64)(-(v + 1)) + 1 : (guint64)v;
  do
    buf[n++] = (char)('0' + u % 10);
  while ((u /= 10) > 0);
  if (v < 0)
    g_string_append_c(s, '-');
  while (n > 0)
    g_string_append_c(s, buf[--n]);
}

static gboolean enabled(const Run *r, CheckKind k) { return (r->rules->enabled & (1u << k)) != 0; }

static FindingOcc *finding_occ(const Occurrence *o) {
  FindingOcc *f = g_new0(FindingOcc, 1);
  f->uid = g_strdup(o->series->uid);
  f->recurrence_id = o->recurrence_id;
  f->summary = g_strdup(o->appt->summary);
  f->start = o->start;
  f->end = o->end;
  f->location = g_strdup(o->appt->location);
  f->priority = o->appt->priority;
  f->source = g_strdup(o->series->source);
  return f;
}

static Finding *finding_new(Run *r, CheckKind kind, Severity sev, gint64 day, const char *key_extra,
                            const Occurrence *a, const Occurrence *b) {
  if (r->rules->max_findings && r->out->len >= r->rules->max_findings) {
    r->full = TRUE;
    r->omitted++;
    return NULL;
  }
  if (a) {
    PairKey probe = {kind, a->series, b ? b->series : NULL, 0};
    PairKey *k = g_hash_table_lookup(r->pair_counts, &probe);
    if (!k) {
      k = g_memdup2(&probe, sizeof probe);
      g_hash_table_add(r->pair_counts, k);
    }
    if (k->count >= MAX_PER_SERIES_PAIR) {
      r->omitted++;
      return NULL;
    }
    SourceKey sprobe = {kind, a->series->source ? a->series->source : "",
                        b && b->series->source ? b->series->source : "", 0};
    SourceKey *sk = g_hash_table_lookup(r->source_counts, &sprobe);
    if (!sk) {
      sk = g_memdup2(&sprobe, sizeof sprobe);
      g_hash_table_add(r->source_counts, sk);
    }
    if (sk->count >= MAX_PER_SOURCE_PAIR) {
      r->omitted++;
      return NULL;
    }
    sk->count++;
    k->count++;
  }
  Finding *f = g_new0(Finding, 1);
  f->check = kind;
  f->severity = sev;
  f->rule = kind_rules[kind];
  f->day = day;
  f->gap = f->required = -1;
  f->move_recurrence_id = APPT_NO_TIME;
  f->occurrences = g_ptr_array_new_with_free_func((GDestroyNotify)finding_occ_free);
  GString *key = g_string_new(kind_names[kind]);
  if (key_extra)
    g_string_append_printf(key, "|%s", key_extra);
  const Occurrence *occs[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    if (!occs[i])
      continue;
    g_ptr_array_add(f->occurrences, finding_occ(occs[i]));
    g_string_append_c(key, '|');
    g_string_append(key, occs[i]->series->source ? occs[i]->series->source : "");
    g_string_append_c(key, '|');
    g_string_append(key, occs[i]->series->uid);
    g_string_append_c(key, '|');
    append_int(key, occs[i]->recurrence_id);
  }
  f->key = g_string_free(key, FALSE);
  g_ptr_array_add(r->out, f);
  return f;
}

/* One appointment seen in two calendars (same UID and recurrence id) is
 * not a clash with itself, wherever each copy puts it. */
static gboolean same_instance(const Occurrence *a, const Occurrence *b) {
  return a == b || (a->recurrence_id == b->recurrence_id && strcmp(a->series->uid, b->series->uid) == 0);
}

/* Which of two clashing occurrences should move: the less urgent one, then
 * the one created later, then the later one. */
static const Occurrence *should_move(const Occurrence *a, const Occurrence *b) {
  PriorityClass pa = appointment_priority_class(a->appt), pb = appointment_priority_class(b->appt);
  if (pa != pb)
    return pa < pb ? a : b;
  gint64 ca = appointment_created(a->appt), cb = appointment_created(b->appt);
  if (ca != cb && ca != APPT_NO_TIME && cb != APPT_NO_TIME)
    return ca > cb ? a : b;
  if (a->start != b->start)
    return a->start > b->start ? a : b;
  return strcmp(a->series->uid, b->series->uid) > 0 ? a : b;
}

/* The nearest free slots for the occurrence that should move. */
static GArray *slots_for(const Diary *diary, const CheckRules *rules, const Occurrence *mover) {
  if (mover->all_day || mover->end <= mover->start || rules->n_suggestions == 0)
    return g_array_new(FALSE, FALSE, sizeof(Slot));
  /* Only where the diary is loaded: past its window every slot would
   * look free. */
  const DiaryOptions *opts = diary_options(diary);
  SlotQuery q = {.duration = mover->end - mover->start,
                 .from = MAX(mover->start - rules->horizon, opts->from),
                 .to = MIN(mover->start + rules->horizon, opts->to),
                 .location = mover->appt->location,
                 .travel = mover->appt->travel,
                 .like = mover->appt,
                 .exclude = mover};
  /* An appointment outside the owner's busy time (a colleague's booking on
   * a subscribed calendar) cannot move into the owner's free time: what
   * helps is when its room is free during working hours. */
  CheckRules room_only = *rules;
  if (!mover->busy)
    room_only.enabled &= (1u << CHECK_RESOURCE) | (1u << CHECK_HOURS) | (1u << CHECK_NOTICE);
  return slots_nearest(diary, &room_only, &q, mover->start, rules->n_suggestions);
}

static void suggest(Run *r, Finding *f, const Occurrence *mover) {
  f->move_uid = g_strdup(mover->series->uid);
  f->move_recurrence_id = mover->recurrence_id;
  f->move_start = mover->start;
  if (r->rules->defer_suggestions)
    return;
  GArray *cached = g_hash_table_lookup(r->slot_cache, mover);
  if (!cached) {
    cached = slots_for(r->diary, r->rules, mover);
    g_hash_table_insert(r->slot_cache, (gpointer)mover, cached);
  }
  f->slots = g_array_copy(cached);
}

void checks_suggest(const Diary *diary, const CheckRules *rules, Finding *f) {
  if (!f->move_uid || f->slots)
    return;
  guint n = diary_n_occurrences(diary);
  for (guint i = diary_lower_bound(diary, f->move_start); i < n; i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    if (o->start != f->move_start)
      break;
    if (o->recurrence_id == f->move_recurrence_id && strcmp(o->series->uid, f->move_uid) == 0) {
      f->slots = slots_for(diary, rules, o);
      return;
    }
  }
}

static const char *class_word(PriorityClass c) {
  return c == PRIORITY_HIGH ? "urgent" : c == PRIORITY_LOW ? "low priority" : "routine";
}

static void pair_conflict(Run *r, gint64 day, const Occurrence *a, const Occurrence *b) {
  const Diary *d = r->diary;
  const Occurrence *mover = should_move(a, b);
  const Occurrence *stays = mover == a ? b : a;
  if (enabled(r, CHECK_CONFLICT)) {
    Finding *f = finding_new(r, CHECK_CONFLICT, SEVERITY_ERROR, day, NULL, a, b);
    if (f) {
      GString *m = g_string_new("Double booking on ");
      append_date(m, day);
      g_string_append(m, ": ");
      append_title(m, a);
      g_string_append_c(m, ' ');
      append_span(m, d, a);
      g_string_append(m, " overlaps ");
      append_title(m, b);
      g_string_append_c(m, ' ');
      append_span(m, d, b);
      g_string_append(m, "; move ");
      append_title(m, mover);
      f->message = g_string_free(m, FALSE);
      suggest(r, f, mover);
    }
  }
  PriorityClass pm = appointment_priority_class(mover->appt), ps = appointment_priority_class(stays->appt);
  if (enabled(r, CHECK_PRIORITY) && ps == PRIORITY_HIGH && pm != PRIORITY_HIGH) {
    Finding *f = finding_new(r, CHECK_PRIORITY, SEVERITY_WARNING, day, NULL, stays, mover);
    if (!f)
      return;
    GString *m = g_string_new("Urgent ");
    append_title(m, stays);
    g_string_append_printf(m, " (priority %d) clashes with %s ", stays->appt->priority ? stays->appt->priority : 1,
                           class_word(pm));
    append_title(m, mover);
    g_string_append(m, ": move ");
    append_title(m, mover);
    f->message = g_string_free(m, FALSE);
    suggest(r, f, mover);
  }
}

static void pair_resource(Run *r, gint64 day, const Occurrence *a, const Occurrence *b) {
  const char *shared = shared_room(a->appt, b->appt);
  if (!shared)
    return;
  Finding *f = finding_new(r, CHECK_RESOURCE, SEVERITY_ERROR, day, shared, a, b);
  if (!f)
    return;
  GString *m = g_string_new(NULL);
  g_string_append_printf(m, "%s booked twice on ", shared);
  append_date(m, day);
  g_string_append(m, ": ");
  append_title(m, a);
  g_string_append_c(m, ' ');
  append_span(m, r->diary, a);
  g_string_append(m, " and ");
  append_title(m, b);
  g_string_append_c(m, ' ');
  append_span(m, r->diary, b);
  for (char *p = m->str; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  f->message = g_string_free(m, FALSE);
  suggest(r, f, should_move(a, b));
}

static gboolean counts_as_busy(const Diary *d, const Occurrence *o) { return diary_is_busy(d, o); }

/* Is a busy occurrence other than a and b entirely inside [gap_start, gap_end]? */
static gboolean something_between(const Diary *d, const Occurrence *a, const Occurrence *b, gint64 gap_start,
                                  gint64 gap_end) {
  guint n = diary_n_occurrences(d);
  for (guint k = diary_lower_bound(d, gap_start); k < n; k++) {
    const Occurrence *c = diary_occurrence(d, k);
    if (c->start > gap_end)
      break;
    if (c == a || c == b || c->end > gap_end || !counts_as_busy(d, c))
      continue;
    return TRUE;
  }
  return FALSE;
}

static gint64 max_required(const CheckRules *rules) { return MAX(rules->buffer, rules->travel); }

static void pair_buffer(Run *r, gint64 day, const Occurrence *a, const Occurrence *b) {
  const Diary *d = r->diary;
  gint64 gap = b->start - a->end;
  gint64 required = checks_required_gap(r->rules, a->appt->place, b->appt->place, b->appt->travel);
  if (gap >= required || something_between(d, a, b, a->end, b->start))
    return;
  Finding *f = finding_new(r, CHECK_BUFFER, SEVERITY_WARNING, day, NULL, a, b);
  if (!f)
    return;
  f->gap = gap;
  f->required = required;
  GString *m = g_string_new(NULL);
  if (gap == 0)
    g_string_append(m, "No time ");
  else {
    g_string_append(m, "Only ");
    append_duration(m, gap);
    g_string_append_c(m, ' ');
  }
  g_string_append(m, "between ");
  append_title(m, a);
  g_string_append(m, " (ends ");
  append_clock(m, d, a->end);
  g_string_append(m, ") and ");
  append_title(m, b);
  g_string_append(m, " (starts ");
  append_clock(m, d, b->start);
  g_string_append(m, ") on ");
  append_date(m, diary_day_of(d, b->start));
  g_string_append(m, "; ");
  append_duration(m, required);
  gboolean travel = a->appt->place && b->appt->place && strcmp(a->appt->place, b->appt->place) != 0;
  g_string_append(m, travel ? " needed to travel from " : " buffer needed");
  if (travel) {
    g_string_append(m, a->appt->location);
    g_string_append(m, " to ");
    g_string_append(m, b->appt->location);
  }
  for (char *p = m->str; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  f->message = g_string_free(m, FALSE);
}

/* ---- single-occurrence rules ------------------------------------------- */

gboolean checks_in_hours(const Diary *diary, const CheckRules *rules, gint64 start, gint64 end) {
  gint64 day, end_day;
  int minute, end_minute;
  local_parts(diary, start, &day, &minute);
  local_parts(diary, end, &end_day, &end_minute);
  if (end > start && end_minute == 0 && end_day > day) {
    end_day--;
    end_minute = 24 * 60;
  }
  /* Each day's part must lie inside that day's hours; across midnight the
   * hours must run up to it and on from it (a night shift, 24/7).  The days
   * in between are whole: a week of them covers every weekday. */
  for (gint64 d = day; d <= end_day; d = (d == day + 7 && end_day - 1 > d) ? end_day : d + 1) {
    const WorkHours *wh = &rules->hours[days_to_weekday(d)];
    int from = d == day ? minute : 0, to = d == end_day ? end_minute : 24 * 60;
    if (wh->start == wh->end || from < wh->start || to > wh->end)
      return FALSE;
  }
  return TRUE;
}

static void single_hours(Run *r, gint64 day, const Occurrence *o) {
  if (o->all_day || checks_in_hours(r->diary, r->rules, o->start, o->end))
    return;
  Finding *f = finding_new(r, CHECK_HOURS, SEVERITY_WARNING, day, NULL, o, NULL);
  if (!f)
    return;
  const WorkHours *wh = &r->rules->hours[days_to_weekday(day)];
  GString *m = g_string_new(NULL);
  append_title(m, o);
  g_string_append_c(m, ' ');
  append_span(m, r->diary, o);
  g_string_append(m, " on ");
  append_date(m, day);
  if (wh->start == wh->end)
    g_string_append(m, " falls on a day off");
  else
    g_string_append_printf(m, " is outside working hours (%02d:%02d\u2013%02d:%02d)", wh->start / 60, wh->start % 60,
                           wh->end / 60, wh->end % 60);
  f->message = g_string_free(m, FALSE);
}

static void single_notice(Run *r, gint64 day, const Occurrence *o) {
  /* When it was booked: CREATED, else DTSTAMP (a LAST-MODIFIED says when it
   * was last touched, not when it was booked). */
  gint64 created = o->appt->created != APPT_NO_TIME ? o->appt->created : o->appt->dtstamp;
  if (r->rules->notice <= 0 || created == APPT_NO_TIME || created > o->start || o->start - created >= r->rules->notice)
    return;
  /* Only when the appointment itself was booked late: CREATED, or DTSTAMP
   * for a component that has no CREATED (most exports set DTSTAMP to the
   * export time, so it is only used when it predates the start). */
  Finding *f = finding_new(r, CHECK_NOTICE, SEVERITY_WARNING, day, NULL, o, NULL);
  if (!f)
    return;
  GString *m = g_string_new(NULL);
  append_title(m, o);
  g_string_append(m, " on ");
  append_date(m, day);
  g_string_append(m, " was booked ");
  append_duration(m, o->start - created);
  g_string_append(m, " before it starts (minimum notice ");
  append_duration(m, r->rules->notice);
  g_string_append_c(m, ')');
  f->message = g_string_free(m, FALSE);
}

static gboolean has_outside_attendees(const CheckRules *rules, const Appointment *a) {
  for (guint i = 0; a->attendees && i < a->attendees->len; i++) {
    const Attendee *at = g_ptr_array_index(a->attendees, i);
    if (at->cutype == CUTYPE_ROOM || at->cutype == CUTYPE_RESOURCE || !at->email)
      continue;
    if (a->organizer && a->organizer->email && strcmp(a->organizer->email, at->email) == 0)
      continue;
    const char *at_sign = strrchr(at->email, '@');
    if (!rules->owner_domains || !at_sign || !g_strv_contains(rules->owner_domains, at_sign + 1))
      return TRUE;
  }
  return FALSE;
}

static guint people_count(const Appointment *a) {
  guint n = 0;
  for (guint i = 0; a->attendees && i < a->attendees->len; i++) {
    const Attendee *at = g_ptr_array_index(a->attendees, i);
    n += at->cutype != CUTYPE_ROOM && at->cutype != CUTYPE_RESOURCE;
  }
  return n;
}

static gboolean has_link(const Appointment *a) {
  return a->conference || place_is_link(a->url) || place_is_link(a->location) ||
         (a->description && (strstr(a->description, "https://") || strstr(a->description, "http://")));
}

static void single_completeness(Run *r, gint64 day, const Occurrence *o) {
  const Appointment *a = o->appt;
  if (!o->first || o->all_day || a->status == STATUS_CANCELLED || a->transparent)
    return;
  guint req = r->rules->require;
  g_autoptr(GPtrArray) missing = g_ptr_array_new();
  if ((req & REQUIRE_TIME) && a->start.kind == TREF_FLOATING)
    g_ptr_array_add(missing, "time zone (the time is floating)");
  if ((req & REQUIRE_TIME) && o->end == o->start)
    g_ptr_array_add(missing, "end time");
  gboolean place = a->location || has_link(a);
  if (!place && ((req & REQUIRE_LOCATION) || has_outside_attendees(r->rules, a)))
    g_ptr_array_add(missing, "location or conference link");
  if ((req & REQUIRE_ATTENDEES) && people_count(a) == 0)
    g_ptr_array_add(missing, "attendees");
  if ((req & REQUIRE_REQUIREMENTS) && !a->description)
    g_ptr_array_add(missing, "special requirements or notes (DESCRIPTION)");
  if (missing->len == 0)
    return;
  Finding *f = finding_new(r, CHECK_COMPLETENESS, SEVERITY_WARNING, day, NULL, o, NULL);
  if (!f)
    return;
  GString *m = g_string_new(NULL);
  append_title(m, o);
  g_string_append(m, " on ");
  append_date(m, day);
  g_string_append(m, " has no ");
  for (guint i = 0; i < missing->len; i++) {
    if (i)
      g_string_append(m, i + 1 == missing->len ? " and no " : ", no ");
    g_string_append(m, g_ptr_array_index(missing, i));
  }
  f->message = g_string_free(m, FALSE);
}

/* ---- workload ------------------------------------------------------------ */

static gboolean workload_counts(const Diary *d, const Occurrence *o, const Occurrence *exclude) {
  return !o->all_day && o->end > o->start && counts_as_busy(d, o) && !occurrence_same(o, exclude);
}

gint slot_compare_start(gconstpointer a, gconstpointer b) {
  gint64 x = ((const Slot *)a)->start, y = ((const Slot *)b)->start;
  return x < y ? -1 : x > y;
}

guint checks_day_spans(const Diary *diary, gint64 ds, gint64 de, const Occurrence *exclude, GArray *spans) {
  guint count = 0;
  g_array_set_size(spans, 0);
  DiaryCursor cur;
  diary_cursor_init(&cur, diary, ds, de, TRUE);
  for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;) {
    if (!workload_counts(diary, o, exclude))
      continue;
    count += o->start >= ds;
    Slot sl = {o->start, o->end};
    g_array_append_val(spans, sl);
  }
  g_array_sort(spans, slot_compare_start);
  return count;
}

void checks_load_of(const CheckRules *rules, const GArray *spans, guint count, gint64 ds, gint64 de, gint64 xs,
                    gint64 xe, DayLoad *load) {
  memset(load, 0, sizeof *load);
  load->count = count + (xe > xs);
  gint64 cur_s = 0, cur_e = G_MININT64, run_s = 0, run_e = G_MININT64;
  gboolean extra = xe > xs;
  for (guint i = 0; i < spans->len || extra;) {
    gint64 s, e;
    /* The extra interval joins the sorted spans in order. */
    if (extra && (i >= spans->len || xs <= g_array_index(spans, Slot, i).start)) {
      s = xs;
      e = xe;
      extra = FALSE;
    } else {
      s = g_array_index(spans, Slot, i).start;
      e = g_array_index(spans, Slot, i).end;
      i++;
    }
    s = MAX(s, ds);
    e = MIN(e, de);
    /* busy time: union of intervals */
    if (s > cur_e) {
      if (cur_e > G_MININT64)
        load->busy += cur_e - cur_s;
      cur_s = s;
      cur_e = e;
    } else {
      cur_e = MAX(cur_e, e);
    }
    /* runs: intervals joined by gaps shorter than a break */
    if (run_e == G_MININT64 || s - run_e >= rules->break_length) {
      run_s = s;
      run_e = e;
    } else {
      run_e = MAX(run_e, e);
    }
    if (run_e - run_s > load->longest) {
      load->longest = run_e - run_s;
      load->run_start = run_s;
      load->run_end = run_e;
    }
  }
  if (cur_e > G_MININT64)
    load->busy += cur_e - cur_s;
}

/* Load of the day [ds, de), with an optional extra interval [xs, xe). */
static void load_between(const Diary *d, const CheckRules *rules, gint64 ds, gint64 de, gint64 xs, gint64 xe,
                         const Occurrence *exclude, DayLoad *load) {
  g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Slot));
  guint count = checks_day_spans(d, ds, de, exclude, spans);
  checks_load_of(rules, spans, count, ds, de, xs, xe, load);
}

void checks_day_load(const Diary *diary, const CheckRules *rules, gint64 day, gint64 extra_start, gint64 extra_end,
                     const Occurrence *exclude, DayLoad *load) {
  load_between(diary, rules, diary_day_start(diary, day), diary_day_start(diary, day + 1), extra_start, extra_end,
               exclude, load);
}

gboolean checks_load_ok(const CheckRules *rules, const DayLoad *load) {
  return !(rules->max_per_day && load->count > rules->max_per_day) &&
         !(rules->max_busy_per_day && load->busy > rules->max_busy_per_day) &&
         !(rules->break_after && load->longest > rules->break_after);
}

static gint finding_occ_by_start(gconstpointer a, gconstpointer b) {
  const FindingOcc *x = *(FindingOcc *const *)a, *y = *(FindingOcc *const *)b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return strcmp(x->uid, y->uid);
}

static void add_day_occurrences(Run *r, Finding *f, gint64 ds, gint64 de) {
  const Diary *d = r->diary;
  DiaryCursor cur;
  diary_cursor_init(&cur, d, ds, de, TRUE);
  for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;)
    if (workload_counts(d, o, NULL))
      g_ptr_array_add(f->occurrences, finding_occ(o));
  g_ptr_array_sort(f->occurrences, finding_occ_by_start);
}

/* "Tue 8 Dec 2026: " — the start of every workload message. */
static GString *day_message(gint64 day) {
  GString *m = g_string_new(NULL);
  append_date(m, day);
  g_string_append(m, ": ");
  return m;
}

/* Adds a workload finding for the day (message taken), listing the busy
 * occurrences in [from, to). */
static void add_workload(Run *r, gint64 day, const char *what, const char *day_key, gint64 from, gint64 to,
                         GString *message) {
  g_autofree char *k = g_strconcat(what, day_key, NULL);
  Finding *f = finding_new(r, CHECK_WORKLOAD, SEVERITY_WARNING, day, k, NULL, NULL);
  if (!f) {
    g_string_free(message, TRUE);
    return;
  }
  f->message = g_string_free(message, FALSE);
  add_day_occurrences(r, f, from, to);
}

static void day_workload(Run *r, gint64 day, gint64 ds, gint64 de) {
  DayLoad load;
  load_between(r->diary, r->rules, ds, de, 0, 0, NULL, &load);
  const CheckRules *rules = r->rules;
  char day_key[32];
  g_snprintf(day_key, sizeof day_key, "%" G_GINT64_FORMAT, day);
  if (rules->max_per_day && load.count > rules->max_per_day) {
    GString *m = day_message(day);
    g_string_append_printf(m, "%u appointments (limit %u)", load.count, rules->max_per_day);
    add_workload(r, day, "count|", day_key, ds, de, m);
  }
  if (rules->max_busy_per_day && load.busy > rules->max_busy_per_day) {
    GString *m = day_message(day);
    append_duration(m, load.busy);
    g_string_append(m, " of appointments (limit ");
    append_duration(m, rules->max_busy_per_day);
    g_string_append_c(m, ')');
    add_workload(r, day, "busy|", day_key, ds, de, m);
  }
  if (rules->break_after && load.longest > rules->break_after) {
    GString *m = day_message(day);
    append_duration(m, load.longest);
    g_string_append(m, " without a break of ");
    append_duration(m, rules->break_length);
    g_string_append(m, " (");
    append_clock(m, r->diary, load.run_start);
    g_string_append(m, "\u2013");
    append_clock(m, r->diary, load.run_end);
    g_string_append(m, "; a break is due after ");
    append_duration(m, rules->break_after);
    g_string_append_c(m, ')');
    add_workload(r, day, "break|", day_key, load.run_start, load.run_end, m);
  }
}

/* ---- the day pass -------------------------------------------------------- */

static void run_day(Run *r, gint64 day) {
  const Diary *d = r->diary;
  const DiaryOptions *opts = diary_options(d);
  gint64 ds = diary_day_start(d, day), de = diary_day_start(d, day + 1);
  if (de <= opts->from || ds >= opts->to)
    return;
  guint n = diary_n_occurrences(d);
  gint64 reach = MAX(max_required(r->rules), diary_max_travel(d));
  /* Occurrences that began before the window belong to its first day. */
  guint first = ds <= opts->from ? 0 : diary_lower_bound(d, ds);
  for (guint i = first; i < n && !r->full; i++) {
    const Occurrence *a = diary_occurrence(d, i);
    if (a->start >= de)
      break;
    gboolean busy = counts_as_busy(d, a);
    gboolean live = a->appt->status != STATUS_CANCELLED;

    /* Pairs that overlap a: every later occurrence that starts before a ends. */
    if (a->end > a->start && live) {
      for (guint j = i + 1; j < n; j++) {
        const Occurrence *b = diary_occurrence(d, j);
        if (b->start >= a->end)
          break;
        if (b->end <= b->start || same_instance(a, b))
          continue;
        if (busy && counts_as_busy(d, b) && (enabled(r, CHECK_CONFLICT) || enabled(r, CHECK_PRIORITY)))
          pair_conflict(r, day, a, b);
        if (enabled(r, CHECK_RESOURCE) && b->appt->status != STATUS_CANCELLED)
          pair_resource(r, day, a, b);
      }
    }
    /* Pairs where b follows a within the largest required gap. */
    if (busy && enabled(r, CHECK_BUFFER)) {
      for (guint j = diary_lower_bound(d, a->end); j < n; j++) {
        const Occurrence *b = diary_occurrence(d, j);
        if (b->start >= a->end + reach)
          break;
        /* Back-to-back instances of one series (office hours in slots) are
         * how it was meant, not a missing buffer. */
        if (b == a || b->series == a->series || same_instance(a, b) || !counts_as_busy(d, b))
          continue;
        pair_buffer(r, day, a, b);
      }
    }
    if (busy && enabled(r, CHECK_HOURS))
      single_hours(r, day, a);
    if (busy && enabled(r, CHECK_NOTICE))
      single_notice(r, day, a);
    if (enabled(r, CHECK_COMPLETENESS))
      single_completeness(r, day, a);
  }
  if (enabled(r, CHECK_WORKLOAD) && !r->full)
    day_workload(r, day, MAX(ds, opts->from), MIN(de, opts->to));
}

static gint finding_compare(gconstpointer pa, gconstpointer pb) {
  const Finding *a = *(Finding *const *)pa, *b = *(Finding *const *)pb;
  gint64 sa = a->occurrences->len ? ((FindingOcc *)g_ptr_array_index(a->occurrences, 0))->start : G_MININT64;
  gint64 sb = b->occurrences->len ? ((FindingOcc *)g_ptr_array_index(b->occurrences, 0))->start : G_MININT64;
  if (a->day != b->day)
    return a->day < b->day ? -1 : 1;
  if (sa != sb)
    return sa < sb ? -1 : 1;
  if (a->check != b->check)
    return a->check < b->check ? -1 : 1;
  return strcmp(a->key, b->key);
}

void checks_sort(GPtrArray *findings) { g_ptr_array_sort(findings, finding_compare); }

static GPtrArray *run_days(const Diary *diary, const CheckRules *rules, const gint64 *days, guint n_days,
                           guint *omitted) {
  Run r = {diary, rules, g_ptr_array_new_with_free_func((GDestroyNotify)finding_free),
           g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref),
           g_hash_table_new_full(pair_hash, pair_equal, g_free, NULL),
           g_hash_table_new_full(source_hash, source_equal, g_free, NULL), FALSE, 0};
  for (guint i = 0; i < n_days && !r.full; i++)
    run_day(&r, days[i]);
  g_hash_table_destroy(r.slot_cache);
  g_hash_table_destroy(r.pair_counts);
  g_hash_table_destroy(r.source_counts);
  if (omitted)
    *omitted = r.omitted;
  checks_sort(r.out);
  return r.out;
}

GPtrArray *checks_run_days(const Diary *diary, const CheckRules *rules, gint64 first_day, gint64 last_day) {
  g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (gint64 d = first_day; d <= last_day; d++)
    g_array_append_val(days, d);
  return run_days(diary, rules, (const gint64 *)(void *)days->data, days->len, NULL);
}

GPtrArray *checks_run_counted(const Diary *diary, const CheckRules *rules, guint *omitted) {
  const DiaryOptions *opts = diary_options(diary);
  if (omitted)
    *omitted = 0;
  if (opts->to <= opts->from)
    return g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
  g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (gint64 d = diary_day_of(diary, opts->from); d <= diary_day_of(diary, opts->to - 1); d++)
    g_array_append_val(days, d);
  return run_days(diary, rules, (const gint64 *)(void *)days->data, days->len, omitted);
}

GPtrArray *checks_run(const Diary *diary, const CheckRules *rules) { return checks_run_counted(diary, rules, NULL); }

static gint int64_compare(gconstpointer a, gconstpointer b) {
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

GPtrArray *checks_run_dirty(const Diary *diary, const CheckRules *rules, GArray *days) {
  /* Days outside the window: what they touch is anchored on its edges. */
  const DiaryOptions *opts = diary_options(diary);
  gint64 first = diary_day_of(diary, opts->from), last = diary_day_of(diary, opts->to - 1);
  for (guint i = 0; i < days->len; i++)
    g_array_index(days, gint64, i) = CLAMP(g_array_index(days, gint64, i), first, last);
  g_array_sort(days, int64_compare);
  guint w = 0;
  for (guint i = 0; i < days->len; i++)
    if (w == 0 || g_array_index(days, gint64, i) != g_array_index(days, gint64, w - 1))
      g_array_index(days, gint64, w++) = g_array_index(days, gint64, i);
  g_array_set_size(days, w);
  return run_days(diary, rules, (const gint64 *)(void *)days->data, days->len, NULL);
}

gint64 checks_reach(const Diary *diary, const CheckRules *rules) {
  return MAX(MAX(max_required(rules), diary_max_travel(diary)), MAX(rules->break_length, 0));
}
