/* Incremental checking: after an edit, re-running the checks on the days
 * diary_replace() reports as dirty must leave exactly the findings a full
 * run gives.
 *
 * The property test builds a month of random appointments (recurring ones,
 * overrides, all-day, transparent, cancelled, declined, rooms, travel
 * times, late bookings...) in Europe/London, which changes to summer time
 * on 29 March, then applies random edits.  The seed is fixed, so a failure
 * names an edit that can be replayed. */
#include "testutil.h"

#include <string.h>

#include "when.h"

#define SEED 20260302u
static const guint32 seeds[] = {SEED, 1, 2, 3, 13};
#define N_EVENTS 200
#define N_EDITS 100


static const char *const owners[] = {"me@example.com", NULL};
static const char *const owner_domains[] = {"example.com", NULL};
static const char *const sources[] = {"home.ics", "work.ics"};

/* ---- diary plumbing ------------------------------------------------------------ */

static TestDiary *new_diary(const char *tz, const char *from, const char *to) {
  return test_diary_sources(tz, from, to, owners, NULL, NULL);
}

/* The one Series in `vevents` (all with one UID) read as `source`. */
static Series *parse_series(TestDiary *t, const char *source, const char *vevents) {
  g_autofree char *ics = test_calendar(vevents);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  appointments_parse(ics, strlen(ics), source, t->zones, series, diags);
  for (guint i = 0; i < diags->len; i++) {
    g_autofree char *text = diagnostic_format(g_ptr_array_index(diags, i));
    EXPECT(FALSE, "unexpected diagnostic in generated data: %s\n%s", text, vevents);
  }
  g_assert_cmpuint(series->len, ==, 1);
  return g_ptr_array_steal_index(series, 0);
}

static void rules_for(CheckRules *rules) {
  test_rules(rules);
  rules->max_findings = 0;
  rules->owner_domains = owner_domains;
  rules->n_suggestions = 0; /* keys do not depend on suggestions; this keeps the runs quick */
}

/* ---- the findings map ----------------------------------------------------------- */

typedef struct {
  gint64 day;
  char *key;
} Entry;

static void entry_clear(gpointer p) { g_free(((Entry *)p)->key); }

static GArray *entries_new(void) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(Entry));
  g_array_set_clear_func(a, entry_clear);
  return a;
}

static void entries_add(GArray *map, GPtrArray *findings) {
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    Entry e = {f->day, g_strdup(f->key)};
    g_array_append_val(map, e);
  }
}

static gint str_compare(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *map_keys(GArray *map) {
  GPtrArray *keys = g_ptr_array_new();
  for (guint i = 0; i < map->len; i++)
    g_ptr_array_add(keys, g_array_index(map, Entry, i).key);
  g_ptr_array_sort(keys, str_compare);
  return keys;
}

static GPtrArray *finding_keys(GPtrArray *findings) {
  GPtrArray *keys = g_ptr_array_new();
  for (guint i = 0; i < findings->len; i++)
    g_ptr_array_add(keys, ((Finding *)g_ptr_array_index(findings, i))->key);
  g_ptr_array_sort(keys, str_compare);
  return keys;
}

/* Compares two sorted key lists as multisets; describes the difference. */
static gboolean same_keys(GPtrArray *got, GPtrArray *want, GString *why) {
  guint i = 0, j = 0, shown = 0;
  gboolean same = TRUE;
  while (i < got->len || j < want->len) {
    int c = i >= got->len ? 1 : j >= want->len ? -1 : strcmp(got->pdata[i], want->pdata[j]);
    if (c == 0) {
      i++, j++;
      continue;
    }
    same = FALSE;
    if (shown++ < 20)
      g_string_append_printf(why, "\n#   %s %s", c < 0 ? "extra:  " : "missing:", c < 0 ? (char *)got->pdata[i]
                                                                                        : (char *)want->pdata[j]);
    if (c < 0)
      i++;
    else
      j++;
  }
  return same;
}

/* Re-checks the dirty days: drops every finding anchored on them and adds
 * what checks_run_dirty() gives. */
static void apply_dirty(const Diary *diary, const CheckRules *rules, GArray *map, GArray *dirty, const char *label) {
  g_autoptr(GHashTable) set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; i < dirty->len; i++)
    g_hash_table_add(set, g_memdup2(&g_array_index(dirty, gint64, i), sizeof(gint64)));
  for (guint i = 0; i < map->len;) {
    if (g_hash_table_contains(set, &g_array_index(map, Entry, i).day))
      g_array_remove_index_fast(map, i);
    else
      i++;
  }
  g_autoptr(GPtrArray) fresh = checks_run_dirty(diary, rules, dirty);
  for (guint i = 0; i < fresh->len; i++) {
    const Finding *f = g_ptr_array_index(fresh, i);
    EXPECT(g_hash_table_contains(set, &f->day), "%s: checks_run_dirty gave %s anchored on day %" G_GINT64_FORMAT
           ", which is not dirty", label, f->key, f->day);
  }
  entries_add(map, fresh);
}

/* Asserts the map equals a full run.  Returns FALSE (after reporting) when not. */
static gboolean compare_with_full(const Diary *diary, const CheckRules *rules, GArray *map, const char *label) {
  g_autoptr(GPtrArray) full = checks_run(diary, rules);
  g_autoptr(GPtrArray) want = finding_keys(full);
  g_autoptr(GPtrArray) got = map_keys(map);
  g_autoptr(GString) why = g_string_new(NULL);
  if (same_keys(got, want, why))
    return TRUE;
  EXPECT(FALSE, "%s: incremental findings differ from a full run (%u vs %u):%s", label, got->len, want->len,
         why->str);
  return FALSE;
}

/* ---- random appointments -------------------------------------------------------- */

static int pick(GRand *r, int n) { return g_rand_int_range(r, 0, n); }
static gboolean chance(GRand *r, int percent) { return g_rand_int_range(r, 0, 100) < percent; }

/* "20260305T093000" for day `d` after 1 March 2026 and a time. */
static char *stamp(int d, int minute_of_day) {
  g_autoptr(GDateTime) base = g_date_time_new_utc(2026, 3, 1, 0, 0, 0);
  g_autoptr(GDateTime) t = g_date_time_add_minutes(base, d * 24 * 60 + minute_of_day);
  return g_date_time_format(t, "%Y%m%dT%H%M%S");
}

static char *date_stamp(int d) {
  g_autoptr(GDateTime) base = g_date_time_new_utc(2026, 3, 1, 0, 0, 0);
  g_autoptr(GDateTime) t = g_date_time_add_days(base, d);
  return g_date_time_format(t, "%Y%m%d");
}

typedef enum { Z_LONDON, Z_UTC, Z_FLOATING } ZoneStyle;

/* A DTSTART-like property for a local wall-clock time in a style. */
static void append_time(GString *s, const char *name, ZoneStyle z, int d, int minute) {
  g_autofree char *v = stamp(d, minute);
  switch (z) {
  case Z_LONDON:
    g_string_append_printf(s, "%s;TZID=Europe/London:%s\n", name, v);
    break;
  case Z_UTC:
    g_string_append_printf(s, "%s:%sZ\n", name, v);
    break;
  case Z_FLOATING:
    g_string_append_printf(s, "%s:%s\n", name, v);
    break;
  }
}

static void append_details(GRand *r, GString *s, int d, int minute) {
  static const char *const locations[] = {NULL,   NULL,          NULL,      "Office", "office ", "Room 1", "ROOM  1",
                                          "Yard", "Client site", "https://meet.example.com/x"};
  const char *loc = locations[pick(r, G_N_ELEMENTS(locations))];
  if (loc)
    g_string_append_printf(s, "LOCATION:%s\n", loc);
  if (chance(r, 10))
    g_string_append(s, "RESOURCES:Projector\n");
  if (chance(r, 8))
    g_string_append(s, "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n");
  if (chance(r, 10))
    g_string_append(s, "TRANSP:TRANSPARENT\n");
  int st = pick(r, 100);
  if (st < 5)
    g_string_append(s, "STATUS:CANCELLED\n");
  else if (st < 10)
    g_string_append(s, "STATUS:TENTATIVE\n");
  if (chance(r, 6))
    g_string_append(s, "ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\n");
  if (chance(r, 10))
    g_string_append(s, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:client@other.org\n");
  if (chance(r, 30))
    g_string_append_printf(s, "PRIORITY:%d\n", pick(r, 10));
  if (chance(r, 10))
    g_string_append_printf(s, "X-MICROSOFT-CDO-IMPORTANCE:%d\n", pick(r, 3));
  if (chance(r, 12)) {
    static const char *const travel[] = {"PT20M", "PT45M", "PT2H", "PT5H"};
    g_string_append_printf(s, "X-APPLE-TRAVEL-DURATION:%s\n", travel[pick(r, G_N_ELEMENTS(travel))]);
  }
  int c = pick(r, 100);
  if (c < 35) {
    g_autofree char *created = stamp(d, minute - pick(r, 6 * 60));
    g_string_append_printf(s, "CREATED:%sZ\n", created);
  } else if (c < 55) {
    g_string_append(s, "CREATED:20260101T000000Z\n");
  } else if (c < 65) {
    g_autofree char *stamped = stamp(d, minute - pick(r, 6 * 60));
    g_string_append_printf(s, "DTSTAMP:%sZ\n", stamped);
  }
  if (chance(r, 8))
    g_string_append(s, "URL:https://zoom.example.com/j/1\n");
  if (chance(r, 10))
    g_string_append(s, "DESCRIPTION:Agenda in https://docs.example.com/a\n");
}

/* VEVENT text for one series with this UID: master and maybe an override. */
static char *random_series(GRand *r, const char *uid) {
  GString *s = g_string_new(NULL);
  int d = pick(r, 35) - 2; /* 27 Feb to 2 Apr */
  gboolean all_day = chance(r, 8);
  g_string_append_printf(s, "BEGIN:VEVENT\nUID:%s\nSUMMARY:Event %s\n", uid, uid);
  static const int minutes[] = {0, 5, 10, 15, 20, 30, 40, 45, 50, 55};
  int minute = (6 + pick(r, 16)) * 60 + minutes[pick(r, G_N_ELEMENTS(minutes))];
  ZoneStyle z = chance(r, 70) ? Z_LONDON : chance(r, 70) ? Z_UTC : Z_FLOATING;
  int recurring = pick(r, 100);
  if (all_day) {
    g_autofree char *a = date_stamp(d);
    g_autofree char *b = date_stamp(d + 1 + pick(r, 3));
    g_string_append_printf(s, "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%s\n", a, b);
    minute = 0;
  } else {
    static const int lengths[] = {0, 10, 15, 30, 30, 45, 60, 60, 60, 90, 120, 180, 250, 300, 600, 1500};
    int len = lengths[pick(r, G_N_ELEMENTS(lengths))];
    append_time(s, "DTSTART", z, d, minute);
    if (chance(r, 50))
      append_time(s, "DTEND", z, d, minute + len);
    else if (len > 0 || chance(r, 50))
      g_string_append_printf(s, "DURATION:PT%dM\n", len);
  }
  append_details(r, s, d, minute);
  gboolean daily = FALSE;
  if (recurring < 12) {
    g_string_append_printf(s, "RRULE:FREQ=DAILY;COUNT=%d\n", 3 + pick(r, 5));
    daily = TRUE;
  } else if (recurring < 17) {
    g_string_append_printf(s, "RRULE:FREQ=WEEKLY;COUNT=%d\n", 2 + pick(r, 3));
  } else if (recurring < 20) {
    g_string_append(s, "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=4\n");
  } else if (recurring < 22) {
    g_string_append(s, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5\n");
  }
  if (daily && !all_day && chance(r, 30))
    append_time(s, "EXDATE", z, d + 2, minute);
  g_string_append(s, "END:VEVENT\n");
  if (daily && !all_day && chance(r, 40)) {
    /* Move (or cancel, or relocate) the second instance. */
    g_string_append_printf(s, "BEGIN:VEVENT\nUID:%s\nSUMMARY:Event %s (moved)\n", uid, uid);
    append_time(s, "RECURRENCE-ID", z, d + 1, minute);
    int shift = (pick(r, 9) - 4) * 45;
    append_time(s, "DTSTART", z, d + 1, minute + shift);
    g_string_append_printf(s, "DURATION:PT%dM\n", 15 + pick(r, 8) * 15);
    append_details(r, s, d + 1, minute + shift);
    g_string_append(s, "END:VEVENT\n");
  }
  return g_string_free(s, FALSE);
}

/* ---- the property test ------------------------------------------------------------ */

typedef struct {
  char *source, *uid;
} Live;

static void live_clear(gpointer p) {
  g_free(((Live *)p)->source);
  g_free(((Live *)p)->uid);
}

static void test_random_edits(gconstpointer data) {
  const guint32 seed = GPOINTER_TO_UINT(data);
  g_autoptr(GRand) r = g_rand_new_with_seed(seed);
  g_autoptr(TestDiary) t = new_diary("Europe/London", "2026-03-01", "2026-04-01");
  CheckRules rules;
  rules_for(&rules);
  g_autoptr(GArray) live = g_array_new(FALSE, FALSE, sizeof(Live));
  g_array_set_clear_func(live, live_clear);
  int next_uid = 0;
  for (int i = 0; i < N_EVENTS; i++) {
    Live l = {g_strdup(sources[pick(r, 2)]), g_strdup_printf("e%d", next_uid++)};
    g_autofree char *text = random_series(r, l.uid);
    diary_add(t->diary, parse_series(t, l.source, text), t->diags);
    g_array_append_val(live, l);
  }
  g_assert_cmpuint(diary_n_occurrences(t->diary), >, N_EVENTS);

  g_autoptr(GArray) map = entries_new();
  {
    g_autoptr(GPtrArray) full = checks_run(t->diary, &rules);
    g_assert_cmpuint(full->len, >, 0);
    for (int k = 0; k < CHECK_N; k++)
      EXPECT(test_count(full, (CheckKind)k) > 0, "the random diary raises no %s finding",
             check_kind_name((CheckKind)k));
    entries_add(map, full);
  }

  for (int e = 0; e < N_EDITS; e++) {
    int op = pick(r, 100);
    const char *what;
    g_autofree char *source = NULL, *uid = NULL, *text = NULL;
    if (op < 40 && live->len) { /* replace */
      const Live *l = &g_array_index(live, Live, pick(r, live->len));
      source = g_strdup(l->source);
      uid = g_strdup(l->uid);
      text = random_series(r, uid);
      what = "replace";
    } else if (op < 60 && live->len) { /* remove */
      guint k = pick(r, live->len);
      const Live *l = &g_array_index(live, Live, k);
      source = g_strdup(l->source);
      uid = g_strdup(l->uid);
      g_array_remove_index_fast(live, k);
      what = "remove";
    } else if (op < 88) { /* add */
      source = g_strdup(sources[pick(r, 2)]);
      uid = g_strdup_printf("e%d", next_uid++);
      text = random_series(r, uid);
      Live l = {g_strdup(source), g_strdup(uid)};
      g_array_append_val(live, l);
      what = "add";
    } else { /* the same UID in the other source (a copy of a calendar) */
      const Live *l = &g_array_index(live, Live, pick(r, live->len));
      source = g_strdup(strcmp(l->source, sources[0]) == 0 ? sources[1] : sources[0]);
      uid = g_strdup(l->uid);
      gboolean present = FALSE;
      for (guint k = 0; k < live->len; k++)
        present |= strcmp(g_array_index(live, Live, k).source, source) == 0 &&
                   strcmp(g_array_index(live, Live, k).uid, uid) == 0;
      if (!present) {
        Live copy = {g_strdup(source), g_strdup(uid)};
        g_array_append_val(live, copy);
      }
      text = random_series(r, uid);
      what = "copy";
    }
    g_autofree char *label = g_strdup_printf("seed %u edit %d (%s %s in %s)", seed, e, what, uid, source);
    Series *series = text ? parse_series(t, source, text) : NULL;
    g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
    diary_replace(t->diary, source, uid, series, checks_reach(t->diary, &rules), dirty, t->diags);
    apply_dirty(t->diary, &rules, map, dirty, label);
    if (!compare_with_full(t->diary, &rules, map, label)) {
      g_printerr("# the edit was:\n%s\n", text ? text : "(removal)");
      return;
    }
  }
}

/* Any run of days gives exactly the full run's findings anchored there. */
static void test_days_partition(void) {
  g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 1);
  g_autoptr(TestDiary) t = new_diary("Europe/London", "2026-03-01", "2026-04-01");
  CheckRules rules;
  rules_for(&rules);
  for (int i = 0; i < N_EVENTS; i++) {
    g_autofree char *uid = g_strdup_printf("p%d", i);
    g_autofree char *text = random_series(r, uid);
    diary_add(t->diary, parse_series(t, sources[i % 2], text), t->diags);
  }
  g_autoptr(GPtrArray) full = checks_run(t->diary, &rules);
  const DiaryOptions *opts = diary_options(t->diary);
  gint64 first = diary_day_of(t->diary, opts->from), last = diary_day_of(t->diary, opts->to - 1);
  g_assert_cmpint(last - first, ==, 30);
  /* Every finding is anchored inside the window. */
  for (guint i = 0; i < full->len; i++) {
    const Finding *f = g_ptr_array_index(full, i);
    EXPECT(f->day >= first && f->day <= last, "%s anchored outside the window", f->key);
  }
  static const gint64 spans[] = {1, 2, 7};
  for (gsize s = 0; s < G_N_ELEMENTS(spans); s++) {
    g_autoptr(GArray) map = entries_new();
    for (gint64 d = first; d <= last; d += spans[s]) {
      g_autoptr(GPtrArray) part = checks_run_days(t->diary, &rules, d, MIN(d + spans[s] - 1, last));
      for (guint i = 0; i < part->len; i++) {
        const Finding *f = g_ptr_array_index(part, i);
        EXPECT(f->day >= d && f->day <= MIN(d + spans[s] - 1, last), "checks_run_days(%" G_GINT64_FORMAT ", +%"
               G_GINT64_FORMAT ") gave %s anchored on %" G_GINT64_FORMAT, d, spans[s] - 1, f->key, f->day);
      }
      entries_add(map, part);
    }
    g_autofree char *label = g_strdup_printf("runs of %" G_GINT64_FORMAT " days", spans[s]);
    compare_with_full(t->diary, &rules, map, label);
  }
  /* checks_run_dirty on every day, in reverse with duplicates. */
  g_autoptr(GArray) days = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (gint64 d = last + 2; d >= first - 2; d--) {
    g_array_append_val(days, d);
    g_array_append_val(days, d);
  }
  g_autoptr(GPtrArray) all = checks_run_dirty(t->diary, &rules, days);
  g_autoptr(GArray) map = entries_new();
  entries_add(map, all);
  compare_with_full(t->diary, &rules, map, "dirty list of every day");
}

/* ---- hand-picked edits ---------------------------------------------------------------- */

#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\nSUMMARY:" uid "\n" body "END:VEVENT\n"
#define EV(uid, s, e, extra) VEV(uid, "DTSTART:" s "\nDTEND:" e "\n" extra)

typedef struct {
  const char *uid;
  const char *vevents; /* NULL: remove */
} Edit;

typedef struct {
  const char *name;
  const char *initial; /* VEVENTs with distinct UIDs, all in home.ics */
  Edit edits[4];
} Story;

static const Story stories[] = {
    {"something-between-added",
     EV("a", "20260302T230000Z", "20260302T235000Z", "") EV("b", "20260303T000500Z", "20260303T010000Z", ""),
     {{"c", EV("c", "20260302T235200Z", "20260302T235800Z", "")}, {"c", NULL}}},
    {"long-event-added",
     EV("a", "20260309T090000Z", "20260309T100000Z", "") EV("b", "20260312T090000Z", "20260312T100000Z", ""),
     {{"l", EV("l", "20260305T080000Z", "20260312T093000Z", "")},
      {"l", EV("l", "20260305T080000Z", "20260305T083000Z", "")}}},
    {"recurring-shrinks",
     VEV("r", "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=DAILY;COUNT=10\n")
         EV("x", "20260310T093000Z", "20260310T103000Z", ""),
     {{"r", VEV("r", "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=DAILY;COUNT=2\n")},
      {"r", VEV("r", "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=DAILY;COUNT=20\n")}}},
    {"travel-far-ahead",
     EV("a", "20260304T080000Z", "20260304T083000Z", "LOCATION:Office\n"),
     {{"b", EV("b", "20260304T110000Z", "20260304T113000Z", "X-APPLE-TRAVEL-DURATION:PT3H\n")},
      {"b", EV("b", "20260304T120000Z", "20260304T123000Z", "X-APPLE-TRAVEL-DURATION:PT3H\n")}}},
    {"across-midnight-workload",
     EV("a", "20260303T190000Z", "20260304T030000Z", "") EV("b", "20260304T030000Z", "20260304T060000Z", ""),
     {{"a", EV("a", "20260303T190000Z", "20260303T230000Z", "")},
      {"a", EV("a", "20260303T190000Z", "20260304T040000Z", "")}}},
    {"over-the-clock-change",
     VEV("s", "DTSTART;TZID=Europe/London:20260328T233000\nDURATION:PT2H\n")
         VEV("t", "DTSTART;TZID=Europe/London:20260329T020000\nDURATION:PT1H\n"),
     {{"s", VEV("s", "DTSTART;TZID=Europe/London:20260329T003000\nDURATION:PT1H\n")}, {"t", NULL}}},
    {"first-occurrence-moves",
     VEV("r", "DTSTART:20260310T090000Z\nDTEND:20260310T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\n"),
     {{"r", VEV("r", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\n")},
      {"r", VEV("r", "DTSTART:20260303T090000Z\nDTEND:20260303T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\n")
                VEV("r", "RECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T090000Z\nDTEND:20260303T100000Z\n"
                         "STATUS:CANCELLED\n")}}},
    {"starts-before-window",
     EV("p", "20260228T200000Z", "20260302T090000Z", "") EV("x", "20260302T091000Z", "20260302T100000Z", ""),
     {{"x", EV("x", "20260326T100000Z", "20260326T110000Z", "")},
      {"x", EV("x", "20260302T090500Z", "20260302T100000Z", "")}}},
    {"window-edges",
     EV("a", "20260301T000000Z", "20260301T003000Z", "") EV("b", "20260331T230000Z", "20260331T235900Z", ""),
     {{"c", EV("c", "20260228T230000Z", "20260301T001500Z", "")},
      {"d", EV("d", "20260331T223000Z", "20260401T010000Z", "")},
      {"a", NULL}}},
};

static void run_story(gconstpointer data) {
  const Story *story = data;
  g_autoptr(TestDiary) t = new_diary("Europe/London", "2026-03-01", "2026-04-01");
  CheckRules rules;
  rules_for(&rules);
  /* one series per UID */
  g_autofree char *ics = test_calendar(story->initial);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  appointments_parse(ics, strlen(ics), "home.ics", t->zones, series, t->diags);
  for (guint i = 0; i < series->len; i++)
    diary_add(t->diary, g_ptr_array_steal_index(series, i--), t->diags);
  g_assert_cmpuint(t->diags->len, ==, 0);
  g_autoptr(GArray) map = entries_new();
  {
    g_autoptr(GPtrArray) full = checks_run(t->diary, &rules);
    entries_add(map, full);
  }
  for (int e = 0; e < 4 && story->edits[e].uid; e++) {
    const Edit *ed = &story->edits[e];
    Series *s = ed->vevents ? parse_series(t, "home.ics", ed->vevents) : NULL;
    g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(gint64));
    diary_replace(t->diary, "home.ics", ed->uid, s, checks_reach(t->diary, &rules), dirty, t->diags);
    g_autofree char *label = g_strdup_printf("%s edit %d", story->name, e);
    apply_dirty(t->diary, &rules, map, dirty, label);
    compare_with_full(t->diary, &rules, map, label);
  }
}

/* The reach covers every rule's widest gap: buffer, travel, the longest
 * X-APPLE-TRAVEL-DURATION in the diary and the break length. */
static void test_reach(void) {
  g_autoptr(TestDiary) t = new_diary("UTC", "2026-03-01", "2026-04-01");
  CheckRules rules;
  rules_for(&rules);
  g_assert_cmpint(checks_reach(t->diary, &rules), >=, MAX(rules.travel, rules.buffer));
  g_assert_cmpint(checks_reach(t->diary, &rules), >=, rules.break_length);
  rules.travel = 3 * 3600;
  g_assert_cmpint(checks_reach(t->diary, &rules), >=, 3 * 3600);
  rules.break_length = 4 * 3600;
  g_assert_cmpint(checks_reach(t->diary, &rules), >=, 4 * 3600);
  rules_for(&rules);
  diary_add(t->diary,
            parse_series(t, "home.ics",
                         EV("l", "20260305T080000Z", "20260305T090000Z", "X-APPLE-TRAVEL-DURATION:PT5H\n")),
            t->diags);
  g_assert_cmpint(checks_reach(t->diary, &rules), >=, 5 * 3600);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  for (gsize i = 0; i < G_N_ELEMENTS(seeds); i++) {
    g_autofree char *path = g_strdup_printf("/incremental/random-edits/seed-%u", seeds[i]);
    g_test_add_data_func(path, GUINT_TO_POINTER(seeds[i]), test_random_edits);
  }
  g_test_add_func("/incremental/days-partition", test_days_partition);
  g_test_add_func("/incremental/reach", test_reach);
  for (gsize i = 0; i < G_N_ELEMENTS(stories); i++) {
    g_autofree char *path = g_strdup_printf("/incremental/story/%s", stories[i].name);
    g_test_add_data_func(path, &stories[i], run_story);
  }
  return g_test_run();
}
