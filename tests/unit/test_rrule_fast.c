/* Cross-check of DAILY and WEEKLY rule expansion against libical.
 *
 * Expansion generates the plain DAILY and WEEKLY rules (INTERVAL, COUNT,
 * UNTIL, WKST, BYDAY without ordinals, DTSTART on the rule) itself and hands
 * every other rule to libical's icalrecur_iterator.  Both must give the
 * RFC 5545 recurrence set.  Each case is expanded through a Diary and
 * compared with what icalrecur_iterator_new/next gives for the same rule and
 * DTSTART, converted to instants the way RFC 5545 reads them: a TZID or
 * floating time in its zone (floating and DATE values in the diary's zone,
 * DATE values at local midnight), a UTC time as it is.  UNTIL is applied as
 * an instant (a DATE UNTIL as a local date), DTSTART always counts as an
 * instance, and only instances inside the window are kept.
 *
 * libical 3.0 puts the weeks of a WEEKLY rule with INTERVAL > 1 in the wrong
 * place when WKST is neither MO nor SU (it skips DTSTART's own week: with
 * DTSTART;VALUE=DATE:20260504 and FREQ=WEEKLY;INTERVAL=5;BYDAY=MO,TU,SU;
 * WKST=SA it starts at 2026-05-31, where RFC 5545 gives 05-04, 05-05,
 * 06-07, ...).  So rules whose DTSTART is on the rule are also read straight
 * from RFC 5545 §3.3.10, day by day (rfc_starts); that reading must agree
 * with libical on every rule outside that case, and the Diary must agree
 * with it on every rule.  Rules whose DTSTART is off the rule (a set
 * RFC 5545 leaves undefined) must give what libical gives.
 *
 * Random rules come from a fixed seed; a few rows from the examples of
 * RFC 5545 §3.8.5.3 are checked against the RFC's own answers as well. */
#include "testutil.h"

#include <string.h>

#include "when.h"

typedef enum { START_UTC, START_FLOATING, START_ZONED, START_DATE } StartKind;

typedef struct {
  StartKind kind;
  const char *tzid;      /* START_ZONED */
  const char *local_tz;  /* the diary's zone, for floating and DATE values */
  const char *from, *to; /* window: local dates in local_tz */
  int year, month, day, hour, minute, second;
  char rule[256];        /* RRULE value */
} Case;

static char *start_value(const Case *c) {
  if (c->kind == START_DATE)
    return g_strdup_printf("%04d%02d%02d", c->year, c->month, c->day);
  return g_strdup_printf("%04d%02d%02dT%02d%02d%02d%s", c->year, c->month, c->day, c->hour, c->minute, c->second,
                         c->kind == START_UTC ? "Z" : "");
}

static gint64 start_day(const Case *c) { return civil_to_days(c->year, c->month, c->day); }

static gint64 start_local(const Case *c) {
  if (c->kind == START_DATE)
    return start_day(c) * 86400;
  return civil_to_seconds(c->year, c->month, c->day, c->hour, c->minute, c->second);
}

static char *case_vevent(const Case *c) {
  g_autofree char *v = start_value(c);
  GString *s = g_string_new("BEGIN:VEVENT\nUID:rule\nDTSTAMP:20250101T000000Z\nSUMMARY:R\n");
  switch (c->kind) {
  case START_UTC:
  case START_FLOATING:
    g_string_append_printf(s, "DTSTART:%s\nDURATION:PT30M\n", v);
    break;
  case START_ZONED:
    g_string_append_printf(s, "DTSTART;TZID=%s:%s\nDURATION:PT30M\n", c->tzid, v);
    break;
  case START_DATE: {
    int y, m, d;
    days_to_civil(start_day(c) + 1, &y, &m, &d);
    g_string_append_printf(s, "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%04d%02d%02d\n", v, y, m, d);
    break;
  }
  }
  g_string_append_printf(s, "RRULE:%s\nEND:VEVENT\n", c->rule);
  return g_string_free(s, FALSE);
}

static gint64 window_bound(Zone *local, const char *date) {
  gint64 day = 0;
  g_assert_true(when_parse_date(date, &day));
  return zone_to_instant(local, day * 86400);
}

static int cmp_instant(gconstpointer a, gconstpointer b) {
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

/* The zone a wall-clock start of this case is read in (NULL = UTC). */
static Zone *case_zone(const Case *c, Zones *zones) {
  if (c->kind == START_UTC)
    return NULL;
  Zone *z = zones_resolve(zones, c->kind == START_ZONED ? c->tzid : c->local_tz);
  g_assert_nonnull(z);
  return z;
}

/* Instance end, for the window test: 30 minutes, or the next local midnight. */
static gint64 instance_end_of(const Case *c, Zone *zone, gint64 local, gint64 start) {
  if (c->kind == START_DATE)
    return zone_to_instant(zone, local + 86400);
  return start + 1800;
}

/* UNTIL of a rule: a UTC date-time (an instant) or a DATE (a local day). */
typedef struct {
  gboolean set, is_date;
  gint64 value;
} Until;

/* Moves UNTIL out of `r` into `u`. */
static void take_until(struct icalrecurrencetype *r, Until *u) {
  memset(u, 0, sizeof *u);
  if (icaltime_is_null_time(r->until))
    return;
  u->set = TRUE;
  u->is_date = r->until.is_date;
  if (u->is_date) {
    u->value = civil_to_days(r->until.year, r->until.month, r->until.day);
  } else {
    g_assert_true(icaltime_is_utc(r->until));
    u->value = civil_to_seconds(r->until.year, r->until.month, r->until.day, r->until.hour, r->until.minute,
                                r->until.second);
  }
  r->until = icaltime_null_time();
}

/* Whether an instance at wall clock `local` and instant `start` is past UNTIL
 * (local times here are all after 1970). */
static gboolean until_passed(const Until *u, gint64 local, gint64 start) {
  return u->set && (u->is_date ? local / 86400 > u->value : start > u->value);
}

/* The recurrence set by libical's iterator: start instants inside the
 * window, ascending. */
static GArray *reference_starts(const Case *c, Zones *zones) {
  Zone *local_zone = zones_resolve(zones, c->local_tz);
  g_assert_nonnull(local_zone);
  Zone *zone = case_zone(c, zones);
  gint64 from = window_bound(local_zone, c->from), to = window_bound(local_zone, c->to);

  struct icalrecurrencetype r = icalrecurrencetype_from_string(c->rule);
  g_assert_cmpint(r.freq, !=, ICAL_NO_RECURRENCE);
  Until until;
  take_until(&r, &until);

  g_autofree char *v = start_value(c);
  struct icaltimetype dt = icaltime_from_string(v);
  g_assert_false(icaltime_is_null_time(dt));
  icalrecur_iterator *it = icalrecur_iterator_new(r, dt);
  g_assert_nonnull(it);

  GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  gboolean first = TRUE;
  for (guint n = 0; n < 1000000; n++) {
    gint64 local;
    if (first) {
      local = start_local(c); /* DTSTART is always the first instance */
    } else {
      struct icaltimetype t = icalrecur_iterator_next(it);
      if (icaltime_is_null_time(t))
        break;
      local = t.is_date ? civil_to_days(t.year, t.month, t.day) * 86400
                        : civil_to_seconds(t.year, t.month, t.day, t.hour, t.minute, t.second);
    }
    gint64 start = zone_to_instant(zone, local);
    if (!first && until_passed(&until, local, start))
      break;
    first = FALSE;
    if (start >= to)
      break;
    if (instance_end_of(c, zone, local, start) <= from || g_hash_table_contains(seen, &start))
      continue;
    g_hash_table_add(seen, g_memdup2(&start, sizeof start));
    g_array_append_val(out, start);
  }
  icalrecur_iterator_free(it);
  g_array_sort(out, cmp_instant);
  return out;
}

static int weekday_of(enum icalrecurrencetype_weekday d) { return ((int)d + 5) % 7; } /* Monday = 0 */

/* The recurrence set of a DAILY or WEEKLY rule whose DTSTART is on the rule,
 * read from RFC 5545 §3.3.10 day by day: a day is an instance when BYDAY
 * (or, for WEEKLY without BYDAY, DTSTART's weekday) has its weekday and it
 * lies in an INTERVAL-th day (DAILY) or an INTERVAL-th week counted from the
 * week that holds DTSTART, weeks beginning on WKST (WEEKLY).  COUNT counts
 * DTSTART.  Start instants inside the window, ascending. */
static GArray *rfc_starts(const Case *c, Zones *zones) {
  Zone *local_zone = zones_resolve(zones, c->local_tz);
  Zone *zone = case_zone(c, zones);
  gint64 from = window_bound(local_zone, c->from), to = window_bound(local_zone, c->to);
  struct icalrecurrencetype r = icalrecurrencetype_from_string(c->rule);
  g_assert_true(r.freq == ICAL_DAILY_RECURRENCE || r.freq == ICAL_WEEKLY_RECURRENCE);
  Until until;
  take_until(&r, &until);
  gboolean weekly = r.freq == ICAL_WEEKLY_RECURRENCE;
  gint64 interval = r.interval > 0 ? r.interval : 1;
  gint64 first = start_day(c), tod = start_local(c) - first * 86400;
  guint days = 0;
  for (int i = 0; i < ICAL_BY_DAY_SIZE && r.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
    days |= 1u << weekday_of(icalrecurrencetype_day_day_of_week(r.by_day[i]));
  if (!days)
    days = weekly ? 1u << days_to_weekday(first) : 0x7fu;
  g_assert_true(days & (1u << days_to_weekday(first)));
  int wkst = r.week_start == ICAL_NO_WEEKDAY ? 0 : weekday_of(r.week_start);
  gint64 first_week = first - (days_to_weekday(first) - wkst + 7) % 7;

  GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
  gint64 n = 0;
  for (gint64 day = first;; day++) {
    if (!(days & (1u << days_to_weekday(day))))
      continue;
    if (weekly ? ((day - first_week) / 7) % interval != 0 : (day - first) % interval != 0)
      continue;
    if (r.count > 0 && n >= r.count)
      break;
    n++;
    gint64 local = day * 86400 + tod;
    gint64 start = zone_to_instant(zone, local);
    if (until_passed(&until, local, start) || start >= to)
      break;
    if (instance_end_of(c, zone, local, start) > from)
      g_array_append_val(out, start);
  }
  return out;
}

/* The rules libical 3.0 is known to expand wrongly (see the top). */
static gboolean libical_misplaces_weeks(const Case *c) {
  struct icalrecurrencetype r = icalrecurrencetype_from_string(c->rule);
  return r.freq == ICAL_WEEKLY_RECURRENCE && r.interval > 1 && r.week_start != ICAL_NO_WEEKDAY &&
         r.week_start != ICAL_MONDAY_WEEKDAY && r.week_start != ICAL_SUNDAY_WEEKDAY;
}

/* The starts a Diary over the case's window holds, ascending. */
static GArray *diary_starts(const Case *c, char **diags) {
  g_autofree char *vevent = case_vevent(c);
  g_autoptr(TestDiary) t = test_diary(vevent, c->local_tz, c->from, c->to);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (guint i = 0; i < diary_n_occurrences(t->diary); i++)
    g_array_append_val(out, diary_occurrence(t->diary, i)->start);
  g_array_sort(out, cmp_instant);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < t->diags->len; i++)
    g_string_append_printf(s, "  diagnostic: %s\n", ((Diagnostic *)g_ptr_array_index(t->diags, i))->message);
  *diags = g_string_free(s, FALSE);
  return out;
}

static char *format_or_none(GArray *a, guint i) {
  return i < a->len ? test_format(g_array_index(a, gint64, i)) : g_strdup("(none)");
}

/* The DTSTART line of a case, as in the calendar. */
static char *dtstart_text(const Case *c) {
  g_autofree char *v = start_value(c);
  if (c->kind == START_ZONED)
    return g_strdup_printf("DTSTART;TZID=%s:%s", c->tzid, v);
  if (c->kind == START_DATE)
    return g_strdup_printf("DTSTART;VALUE=DATE:%s", v);
  return g_strdup_printf("DTSTART:%s", v);
}

/* Compares two start lists; on a difference prints the case, the first
 * differing position and both values there. */
static gboolean starts_equal(GArray *a, GArray *b) {
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_array_index(a, gint64, i) != g_array_index(b, gint64, i))
      return FALSE;
  return TRUE;
}

static gboolean same_starts(const Case *c, const char *what, GArray *want, GArray *got, const char *diags) {
  guint i = 0;
  while (i < want->len && i < got->len && g_array_index(want, gint64, i) == g_array_index(got, gint64, i))
    i++;
  if (i == want->len && i == got->len)
    return TRUE;
  g_autofree char *dt = dtstart_text(c);
  g_autofree char *w = format_or_none(want, i);
  g_autofree char *g = format_or_none(got, i);
  g_printerr("MISMATCH (%s): %s RRULE:%s (window %s..%s %s)\n"
             "  first difference at instance #%u: expected %s, got %s (%u expected, %u got)\n%s",
             what, dt, c->rule, c->from, c->to, c->local_tz, i, w, g, want->len, got->len, diags ? diags : "");
  return FALSE;
}

/* ---- random rules ------------------------------------------------------------ */

#define N_RANDOM_RULES 3000

static const char *const day_names[7] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

static void append_byday(GString *s, guint mask) {
  g_string_append(s, ";BYDAY=");
  gboolean comma = FALSE;
  for (int d = 0; d < 7; d++) {
    if (mask & (1u << d)) {
      g_string_append_printf(s, "%s%s", comma ? "," : "", day_names[d]);
      comma = TRUE;
    }
  }
}

static char *utc_text(gint64 instant) {
  gint64 days = instant / 86400, rest = instant % 86400; /* instants here are after 1970 */
  int y, m, d;
  days_to_civil(days, &y, &m, &d);
  return g_strdup_printf("%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

static char *date_text(gint64 day) {
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  return g_strdup_printf("%04d%02d%02d", y, m, d);
}

/* A random DAILY or WEEKLY rule with its DTSTART.  *on_rule is FALSE when
 * BYDAY leaves out DTSTART's weekday. */
static void random_case(GRand *rng, Zones *zones, Case *c, gboolean *on_rule) {
  memset(c, 0, sizeof *c);
  c->local_tz = "Europe/London";
  c->tzid = "Europe/London";
  c->from = "2025-01-01";
  c->to = "2028-01-01";
  c->kind = (StartKind)g_rand_int_range(rng, 0, 4);
  gint64 day = civil_to_days(2025, 1, 1) + g_rand_int_range(rng, 0, 730);
  days_to_civil(day, &c->year, &c->month, &c->day);
  if (c->kind != START_DATE) {
    c->hour = g_rand_int_range(rng, 0, 24);
    c->minute = g_rand_boolean(rng) ? 15 * g_rand_int_range(rng, 0, 4) : g_rand_int_range(rng, 0, 60);
    c->second = g_rand_int_range(rng, 0, 8) == 0 ? g_rand_int_range(rng, 0, 60) : 0;
  }
  int weekday = days_to_weekday(day);

  GString *s = g_string_new(g_rand_boolean(rng) ? "FREQ=DAILY" : "FREQ=WEEKLY");
  if (g_rand_int_range(rng, 0, 4) != 0)
    g_string_append_printf(s, ";INTERVAL=%d", g_rand_int_range(rng, 1, 6));
  *on_rule = TRUE;
  if (g_rand_int_range(rng, 0, 3) != 0) {
    guint mask;
    if (g_rand_int_range(rng, 0, 10) == 0) { /* DTSTART off the rule */
      *on_rule = FALSE;
      do
        mask = (guint)g_rand_int_range(rng, 1, 128) & ~(1u << weekday);
      while (!mask);
    } else {
      mask = ((guint)g_rand_int_range(rng, 0, 128)) | (1u << weekday);
    }
    append_byday(s, mask);
  }
  if (g_rand_boolean(rng)) {
    static const char *const wkst[] = {"MO", "SU", "WE", "SA"};
    g_string_append_printf(s, ";WKST=%s", wkst[g_rand_int_range(rng, 0, 4)]);
  }

  int bound = g_rand_int_range(rng, 0, 20);
  if (bound < 7) {
    g_string_append_printf(s, ";COUNT=%d", g_rand_int_range(rng, 1, 61));
  } else if (bound < 14) {
    Zone *zone = case_zone(c, zones);
    gint64 start = zone_to_instant(zone, start_local(c));
    gboolean as_date = c->kind == START_DATE && g_rand_boolean(rng);
    g_autofree char *until = NULL;
    if (g_rand_int_range(rng, 0, 3) == 0) {
      /* Exactly on an instance 1..400 days on (as libical has it). */
      g_strlcpy(c->rule, s->str, sizeof c->rule);
      g_autoptr(GArray) all = reference_starts(c, zones);
      guint n = 0;
      while (n < all->len && g_array_index(all, gint64, n) <= start + 400 * 86400)
        n++;
      g_assert_cmpuint(n, >, 1);
      gint64 hit = g_array_index(all, gint64, g_rand_int_range(rng, 1, (gint32)n));
      until = as_date ? date_text(zone_to_local(zone, hit) / 86400) : utc_text(hit);
    } else if (as_date) {
      until = date_text(day + g_rand_int_range(rng, 1, 401));
    } else {
      until = utc_text(start + (gint64)g_rand_int_range(rng, 1, 401) * 86400 + g_rand_int_range(rng, -43200, 43200));
    }
    g_string_append_printf(s, ";UNTIL=%s", until);
  }
  g_assert_cmpuint(s->len, <, sizeof c->rule);
  g_strlcpy(c->rule, s->str, sizeof c->rule);
  g_string_free(s, TRUE);
}

static void test_random_rules(void) {
  g_autoptr(Zones) zones = test_zones();
  GRand *rng = g_rand_new_with_seed(5545);
  guint mismatches = 0, off_rule = 0, instances = 0, libical_off = 0;
  for (guint i = 0; i < N_RANDOM_RULES; i++) {
    Case c;
    gboolean on_rule;
    random_case(rng, zones, &c, &on_rule);
    g_autoptr(GArray) ical = reference_starts(&c, zones);
    g_autofree char *diags = NULL;
    g_autoptr(GArray) got = diary_starts(&c, &diags);
    if (!on_rule) {
      off_rule++;
      instances += ical->len;
      mismatches += !same_starts(&c, "diary vs libical, DTSTART off the rule", ical, got, diags);
      continue;
    }
    g_autoptr(GArray) rfc = rfc_starts(&c, zones);
    instances += rfc->len;
    if (!starts_equal(rfc, ical)) {
      if (libical_misplaces_weeks(&c)) {
        if (libical_off++ < 3) {
          g_autofree char *dt = dtstart_text(&c);
          g_test_message("libical 3.0 differs from RFC 5545 (WKST): %s RRULE:%s", dt, c.rule);
        }
      } else {
        mismatches += !same_starts(&c, "libical vs RFC 5545 reading", rfc, ical, NULL);
      }
    }
    mismatches += !same_starts(&c, "diary vs RFC 5545, DTSTART on the rule", rfc, got, diags);
  }
  g_rand_free(rng);
  g_test_message("%u rules (%u with DTSTART off BYDAY), %u instances, %u mismatches; "
                 "libical differs from RFC 5545 on %u (WKST not MO or SU)",
                 N_RANDOM_RULES, off_rule, instances, mismatches, libical_off);
  g_assert_cmpuint(off_rule, >, N_RANDOM_RULES / 40);
  g_assert_cmpuint(mismatches, ==, 0);
}

/* ---- RFC 5545 §3.8.5.3 examples -------------------------------------------- */

typedef struct {
  const char *rule;
  int start; /* MMDD in 1997, 09:00 America/New_York */
  /* The RFC's instances: MMDD dates in 1997, 0-terminated; or, when NULL,
   * every `step` days from `start` up to and including `last`. */
  const int *dates;
  int step, last;
} RfcRow;

static const int rfc_daily_count[] = {902, 903, 904, 905, 906, 907, 908, 909, 910, 911, 0};
static const int rfc_every_10_days[] = {902, 912, 922, 1002, 1012, 0};
static const int rfc_weekly_count[] = {902, 909, 916, 923, 930, 1007, 1014, 1021, 1028, 1104, 0};
static const int rfc_tu_th_5_weeks[] = {902, 904, 909, 911, 916, 918, 923, 925, 930, 1002, 0};
static const int rfc_mo_we_fr_2_weeks[] = {901,  903,  905,  915,  917,  919,  929,  1001, 1003,
                                           1013, 1015, 1017, 1027, 1029, 1031, 1110, 1112, 1114,
                                           1124, 1126, 1128, 1208, 1210, 1212, 1222, 0};
static const int rfc_tu_th_2_weeks[] = {902, 904, 916, 918, 930, 1002, 1014, 1016, 0};
static const int rfc_wkst_mo[] = {805, 810, 819, 824, 0};
static const int rfc_wkst_su[] = {805, 817, 819, 831, 0};

static const RfcRow rfc_rows[] = {
    {"FREQ=DAILY;COUNT=10", 902, rfc_daily_count, 0, 0},
    {"FREQ=DAILY;UNTIL=19971224T000000Z", 902, NULL, 1, 1223},
    {"FREQ=DAILY;INTERVAL=2", 902, NULL, 2, 1231},
    {"FREQ=DAILY;INTERVAL=10;COUNT=5", 902, rfc_every_10_days, 0, 0},
    {"FREQ=WEEKLY;COUNT=10", 902, rfc_weekly_count, 0, 0},
    {"FREQ=WEEKLY;UNTIL=19971224T000000Z", 902, NULL, 7, 1223},
    {"FREQ=WEEKLY;INTERVAL=2;WKST=SU", 902, NULL, 14, 1231},
    {"FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", 902, rfc_tu_th_5_weeks, 0, 0},
    {"FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", 902, rfc_tu_th_5_weeks, 0, 0},
    {"FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", 901, rfc_mo_we_fr_2_weeks, 0, 0},
    {"FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH", 902, rfc_tu_th_2_weeks, 0, 0},
    {"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", 805, rfc_wkst_mo, 0, 0},
    {"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", 805, rfc_wkst_su, 0, 0},
};

/* 09:00 in New York on a 1997 date: EDT (UTC-4) until 1997-10-26 02:00. */
static gint64 new_york_0900(gint64 day) {
  return day * 86400 + (day < civil_to_days(1997, 10, 26) ? 13 : 14) * 3600;
}

static GArray *rfc_expected(const RfcRow *row) {
  GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (row->dates) {
    for (const int *d = row->dates; *d; d++) {
      gint64 t = new_york_0900(civil_to_days(1997, *d / 100, *d % 100));
      g_array_append_val(out, t);
    }
  } else {
    gint64 last = civil_to_days(1997, row->last / 100, row->last % 100);
    for (gint64 day = civil_to_days(1997, row->start / 100, row->start % 100); day <= last; day += row->step) {
      gint64 t = new_york_0900(day);
      g_array_append_val(out, t);
    }
  }
  return out;
}

static void test_rfc_examples(void) {
  g_autoptr(Zones) zones = test_zones();
  guint failures = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(rfc_rows); i++) {
    const RfcRow *row = &rfc_rows[i];
    Case c = {START_ZONED, "America/New_York", "America/New_York", "1997-08-01", "1998-01-01",
              1997, row->start / 100, row->start % 100, 9, 0, 0, ""};
    g_strlcpy(c.rule, row->rule, sizeof c.rule);
    g_autoptr(GArray) rfc = rfc_expected(row);
    g_autoptr(GArray) ical = reference_starts(&c, zones);
    g_autofree char *diags = NULL;
    g_autoptr(GArray) got = diary_starts(&c, &diags);
    failures += !same_starts(&c, "diary vs RFC 5545", rfc, got, diags);
    failures += !same_starts(&c, "libical vs RFC 5545", rfc, ical, NULL);
    g_autoptr(GArray) reading = rfc_starts(&c, zones);
    failures += !same_starts(&c, "RFC 5545 reading vs RFC 5545", rfc, reading, NULL);
    failures += !same_starts(&c, "diary vs libical", ical, got, diags);
  }
  g_assert_cmpuint(failures, ==, 0);
}

/* The two WKST rows of the RFC really are different sets. */
static void test_rfc_wkst_differs(void) {
  g_autoptr(Zones) zones = test_zones();
  char *sets[2] = {NULL, NULL};
  const char *wkst[2] = {"MO", "SU"};
  for (int i = 0; i < 2; i++) {
    Case c = {START_ZONED, "America/New_York", "America/New_York", "1997-08-01", "1998-01-01",
              1997, 8, 5, 9, 0, 0, ""};
    g_snprintf(c.rule, sizeof c.rule, "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=%s", wkst[i]);
    g_autofree char *vevent = case_vevent(&c);
    g_autoptr(TestDiary) t = test_diary(vevent, c.local_tz, c.from, c.to);
    g_autofree char *lines = test_occurrence_lines(t->diary);
    sets[i] = g_steal_pointer(&lines);
  }
  g_assert_cmpstr(sets[0], ==,
                  "1997-08-05T13:00:00Z/1997-08-05T13:30:00Z rule\n"
                  "1997-08-10T13:00:00Z/1997-08-10T13:30:00Z rule\n"
                  "1997-08-19T13:00:00Z/1997-08-19T13:30:00Z rule\n"
                  "1997-08-24T13:00:00Z/1997-08-24T13:30:00Z rule");
  g_assert_cmpstr(sets[1], ==,
                  "1997-08-05T13:00:00Z/1997-08-05T13:30:00Z rule\n"
                  "1997-08-17T13:00:00Z/1997-08-17T13:30:00Z rule\n"
                  "1997-08-19T13:00:00Z/1997-08-19T13:30:00Z rule\n"
                  "1997-08-31T13:00:00Z/1997-08-31T13:30:00Z rule");
  g_free(sets[0]);
  g_free(sets[1]);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rrule-fast/rfc5545-examples", test_rfc_examples);
  g_test_add_func("/rrule-fast/rfc5545-wkst", test_rfc_wkst_differs);
  g_test_add_func("/rrule-fast/random-vs-libical", test_random_rules);
  return g_test_run();
}
