/* Unit tests for core/zones.c: local <-> UTC conversion around DST changes
 * (RFC 5545 §3.3.5 gap and overlap rules), zone name resolution and the
 * civil calendar helpers.
 *
 * Local wall-clock readings are written as RFC 3339 strings with a "Z" and
 * read with test_instant(): "local seconds" are the same scale as instants,
 * applied to a wall-clock reading. */
#include "testutil.h"

#include <string.h>

/* ---- zone_to_instant --------------------------------------------------- */

typedef struct {
  const char *name;
  const char *zone;
  const char *local;   /* wall clock in `zone` */
  const char *instant; /* what zone_to_instant() must return */
} ToInstantCase;

static const ToInstantCase to_instant_cases[] = {
    /* Europe/London: GMT -> BST on 2026-03-29 at 01:00Z, back on 2026-10-25 at 01:00Z. */
    {"london/winter", "Europe/London", "2026-01-15T12:00:00Z", "2026-01-15T12:00:00Z"},
    {"london/summer", "Europe/London", "2026-07-15T12:00:00Z", "2026-07-15T11:00:00Z"},
    {"london/before-gap", "Europe/London", "2026-03-29T00:59:59Z", "2026-03-29T00:59:59Z"},
    {"london/gap-first-second", "Europe/London", "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z"},
    {"london/gap", "Europe/London", "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z"},
    {"london/gap-last-second", "Europe/London", "2026-03-29T01:59:59Z", "2026-03-29T01:59:59Z"},
    {"london/after-gap", "Europe/London", "2026-03-29T02:00:00Z", "2026-03-29T01:00:00Z"},
    {"london/after-gap-0230", "Europe/London", "2026-03-29T02:30:00Z", "2026-03-29T01:30:00Z"},
    {"london/day-before-gap", "Europe/London", "2026-03-28T01:30:00Z", "2026-03-28T01:30:00Z"},
    {"london/before-overlap", "Europe/London", "2026-10-25T00:59:59Z", "2026-10-24T23:59:59Z"},
    {"london/overlap-first-second", "Europe/London", "2026-10-25T01:00:00Z", "2026-10-25T00:00:00Z"},
    {"london/overlap", "Europe/London", "2026-10-25T01:30:00Z", "2026-10-25T00:30:00Z"},
    {"london/overlap-last-second", "Europe/London", "2026-10-25T01:59:59Z", "2026-10-25T00:59:59Z"},
    {"london/after-overlap", "Europe/London", "2026-10-25T02:00:00Z", "2026-10-25T02:00:00Z"},
    {"london/day-after-overlap", "Europe/London", "2026-10-26T01:30:00Z", "2026-10-26T01:30:00Z"},

    /* Europe/Berlin: CET -> CEST at 01:00Z (02:00 -> 03:00 local), back at 01:00Z (03:00 -> 02:00). */
    {"berlin/winter", "Europe/Berlin", "2026-01-15T12:00:00Z", "2026-01-15T11:00:00Z"},
    {"berlin/summer", "Europe/Berlin", "2026-07-15T12:00:00Z", "2026-07-15T10:00:00Z"},
    {"berlin/before-gap", "Europe/Berlin", "2026-03-29T01:59:59Z", "2026-03-29T00:59:59Z"},
    {"berlin/gap", "Europe/Berlin", "2026-03-29T02:30:00Z", "2026-03-29T01:30:00Z"},
    {"berlin/after-gap", "Europe/Berlin", "2026-03-29T03:00:00Z", "2026-03-29T01:00:00Z"},
    {"berlin/before-overlap", "Europe/Berlin", "2026-10-25T01:59:59Z", "2026-10-24T23:59:59Z"},
    {"berlin/overlap", "Europe/Berlin", "2026-10-25T02:30:00Z", "2026-10-25T00:30:00Z"},
    {"berlin/after-overlap", "Europe/Berlin", "2026-10-25T03:00:00Z", "2026-10-25T02:00:00Z"},

    /* America/New_York: EST -> EDT 2026-03-08 02:00 local (07:00Z), EDT -> EST 2026-11-01 02:00 local (06:00Z). */
    {"newyork/winter", "America/New_York", "2026-01-15T12:00:00Z", "2026-01-15T17:00:00Z"},
    {"newyork/summer", "America/New_York", "2026-07-15T12:00:00Z", "2026-07-15T16:00:00Z"},
    {"newyork/before-gap", "America/New_York", "2026-03-08T01:59:59Z", "2026-03-08T06:59:59Z"},
    {"newyork/gap", "America/New_York", "2026-03-08T02:30:00Z", "2026-03-08T07:30:00Z"},
    {"newyork/after-gap", "America/New_York", "2026-03-08T03:00:00Z", "2026-03-08T07:00:00Z"},
    {"newyork/before-overlap", "America/New_York", "2026-11-01T00:59:59Z", "2026-11-01T04:59:59Z"},
    {"newyork/overlap", "America/New_York", "2026-11-01T01:30:00Z", "2026-11-01T05:30:00Z"},
    {"newyork/after-overlap", "America/New_York", "2026-11-01T02:00:00Z", "2026-11-01T07:00:00Z"},
    {"newyork/2026-03-15-edt", "America/New_York", "2026-03-15T12:00:00Z", "2026-03-15T16:00:00Z"},

    /* Australia/Sydney: AEDT -> AEST 2026-04-05 03:00 -> 02:00 (16:00Z on the 4th);
     * AEST -> AEDT 2026-10-04 02:00 -> 03:00 (16:00Z on the 3rd). */
    {"sydney/summer", "Australia/Sydney", "2026-01-15T12:00:00Z", "2026-01-15T01:00:00Z"},
    {"sydney/winter", "Australia/Sydney", "2026-07-15T12:00:00Z", "2026-07-15T02:00:00Z"},
    {"sydney/before-overlap", "Australia/Sydney", "2026-04-05T01:59:59Z", "2026-04-04T14:59:59Z"},
    {"sydney/overlap", "Australia/Sydney", "2026-04-05T02:30:00Z", "2026-04-04T15:30:00Z"},
    {"sydney/after-overlap", "Australia/Sydney", "2026-04-05T03:00:00Z", "2026-04-04T17:00:00Z"},
    {"sydney/before-gap", "Australia/Sydney", "2026-10-04T01:59:59Z", "2026-10-03T15:59:59Z"},
    {"sydney/gap", "Australia/Sydney", "2026-10-04T02:30:00Z", "2026-10-03T16:30:00Z"},
    {"sydney/after-gap", "Australia/Sydney", "2026-10-04T03:00:00Z", "2026-10-03T16:00:00Z"},

    /* Australia/Lord_Howe: +11 -> +10:30 on 2026-04-05 02:00 -> 01:30 (15:00Z on the 4th);
     * +10:30 -> +11 on 2026-10-04 02:00 -> 02:30 (15:30Z on the 3rd). */
    {"lordhowe/winter", "Australia/Lord_Howe", "2026-07-15T12:00:00Z", "2026-07-15T01:30:00Z"},
    {"lordhowe/summer", "Australia/Lord_Howe", "2026-01-15T12:00:00Z", "2026-01-15T01:00:00Z"},
    {"lordhowe/before-overlap", "Australia/Lord_Howe", "2026-04-05T01:29:59Z", "2026-04-04T14:29:59Z"},
    {"lordhowe/overlap-first-second", "Australia/Lord_Howe", "2026-04-05T01:30:00Z", "2026-04-04T14:30:00Z"},
    {"lordhowe/overlap", "Australia/Lord_Howe", "2026-04-05T01:45:00Z", "2026-04-04T14:45:00Z"},
    {"lordhowe/after-overlap", "Australia/Lord_Howe", "2026-04-05T02:00:00Z", "2026-04-04T15:30:00Z"},
    {"lordhowe/before-gap", "Australia/Lord_Howe", "2026-10-04T01:59:59Z", "2026-10-03T15:29:59Z"},
    {"lordhowe/gap-first-second", "Australia/Lord_Howe", "2026-10-04T02:00:00Z", "2026-10-03T15:30:00Z"},
    {"lordhowe/gap", "Australia/Lord_Howe", "2026-10-04T02:15:00Z", "2026-10-03T15:45:00Z"},
    {"lordhowe/after-gap", "Australia/Lord_Howe", "2026-10-04T02:30:00Z", "2026-10-03T15:30:00Z"},

    /* America/Santiago changes at midnight: 2026-09-06 00:00 does not exist (-04 -> -03),
     * 2026-04-04 23:00-24:00 happens twice (-03 -> -04). */
    {"santiago/midnight-gap", "America/Santiago", "2026-09-06T00:00:00Z", "2026-09-06T04:00:00Z"},
    {"santiago/in-gap", "America/Santiago", "2026-09-06T00:30:00Z", "2026-09-06T04:30:00Z"},
    {"santiago/after-gap", "America/Santiago", "2026-09-06T01:00:00Z", "2026-09-06T04:00:00Z"},
    {"santiago/overlap", "America/Santiago", "2026-04-04T23:30:00Z", "2026-04-05T02:30:00Z"},
    {"santiago/midnight-after-overlap", "America/Santiago", "2026-04-05T00:00:00Z", "2026-04-05T04:00:00Z"},

    /* Asia/Kolkata: +05:30 all year. */
    {"kolkata/noon", "Asia/Kolkata", "2026-07-15T12:00:00Z", "2026-07-15T06:30:00Z"},
    {"kolkata/eu-change-day", "Asia/Kolkata", "2026-03-29T02:30:00Z", "2026-03-28T21:00:00Z"},
    {"kolkata/us-change-day", "Asia/Kolkata", "2026-11-01T01:30:00Z", "2026-10-31T20:00:00Z"},
    {"kolkata/1995", "Asia/Kolkata", "1995-06-01T00:00:00Z", "1995-05-31T18:30:00Z"},
    {"kolkata/2045", "Asia/Kolkata", "2045-01-01T05:30:00Z", "2045-01-01T00:00:00Z"},

    /* UTC: the identity, even on other zones' change days. */
    {"utc/eu-gap", "UTC", "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z"},
    {"utc/eu-overlap", "UTC", "2026-10-25T01:30:00Z", "2026-10-25T01:30:00Z"},
    {"utc/epoch", "UTC", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},

    /* Far future: 2045 follows the current rules (London 2045-03-26 and 2045-10-29;
     * New York 2045-03-12 and 2045-11-05). */
    {"2045/london-winter", "Europe/London", "2045-01-15T12:00:00Z", "2045-01-15T12:00:00Z"},
    {"2045/london-summer", "Europe/London", "2045-07-01T12:00:00Z", "2045-07-01T11:00:00Z"},
    {"2045/london-gap", "Europe/London", "2045-03-26T01:30:00Z", "2045-03-26T01:30:00Z"},
    {"2045/london-after-gap", "Europe/London", "2045-03-26T02:30:00Z", "2045-03-26T01:30:00Z"},
    {"2045/london-overlap", "Europe/London", "2045-10-29T01:30:00Z", "2045-10-29T00:30:00Z"},
    {"2045/london-before-change", "Europe/London", "2045-10-28T12:00:00Z", "2045-10-28T11:00:00Z"},
    {"2045/newyork-before-change", "America/New_York", "2045-03-11T12:00:00Z", "2045-03-11T17:00:00Z"},
    {"2045/newyork-gap", "America/New_York", "2045-03-12T02:30:00Z", "2045-03-12T07:30:00Z"},
    {"2045/newyork-after-change", "America/New_York", "2045-03-12T12:00:00Z", "2045-03-12T16:00:00Z"},
    {"2045/newyork-overlap", "America/New_York", "2045-11-05T01:30:00Z", "2045-11-05T05:30:00Z"},
    {"2045/newyork-november", "America/New_York", "2045-11-05T12:00:00Z", "2045-11-05T17:00:00Z"},
    {"2045/lordhowe-overlap", "Australia/Lord_Howe", "2045-04-02T01:45:00Z", "2045-04-01T14:45:00Z"},
    {"2045/lordhowe-gap", "Australia/Lord_Howe", "2045-10-01T02:15:00Z", "2045-09-30T15:45:00Z"},

    /* Past: 1995 used other rules (UK summer time ended 1995-10-22, the EU's on
     * the last Sunday of September, the US's began on the first Sunday of April). */
    {"1995/london-gap", "Europe/London", "1995-03-26T01:30:00Z", "1995-03-26T01:30:00Z"},
    {"1995/london-summer", "Europe/London", "1995-07-01T12:00:00Z", "1995-07-01T11:00:00Z"},
    {"1995/london-overlap", "Europe/London", "1995-10-22T01:30:00Z", "1995-10-22T00:30:00Z"},
    {"1995/london-after-end", "Europe/London", "1995-10-22T12:00:00Z", "1995-10-22T12:00:00Z"},
    {"1995/berlin-september", "Europe/Berlin", "1995-09-23T12:00:00Z", "1995-09-23T10:00:00Z"},
    {"1995/berlin-overlap", "Europe/Berlin", "1995-09-24T02:30:00Z", "1995-09-24T00:30:00Z"},
    {"1995/berlin-october", "Europe/Berlin", "1995-10-01T12:00:00Z", "1995-10-01T11:00:00Z"},
    {"1995/newyork-march-est", "America/New_York", "1995-03-15T12:00:00Z", "1995-03-15T17:00:00Z"},
    {"1995/newyork-april-1", "America/New_York", "1995-04-01T12:00:00Z", "1995-04-01T17:00:00Z"},
    {"1995/newyork-gap", "America/New_York", "1995-04-02T02:30:00Z", "1995-04-02T07:30:00Z"},
    {"1995/newyork-april-2", "America/New_York", "1995-04-02T12:00:00Z", "1995-04-02T16:00:00Z"},
    {"1995/newyork-overlap", "America/New_York", "1995-10-29T01:30:00Z", "1995-10-29T05:30:00Z"},
};

static void test_to_instant(gconstpointer data) {
  const ToInstantCase *c = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, c->zone);
  g_assert_nonnull(zone);
  gint64 got = zone_to_instant(zone, test_instant(c->local));
  g_autofree char *text = test_format(got);
  g_assert_cmpstr(text, ==, c->instant);
}

/* ---- zone_to_local and zone_offset_at ----------------------------------- */

typedef struct {
  const char *name;
  const char *zone;
  const char *instant;
  const char *local; /* wall clock in `zone` */
  int offset;        /* seconds east of UTC */
} ToLocalCase;

static const ToLocalCase to_local_cases[] = {
    {"london/before-spring", "Europe/London", "2026-03-29T00:59:59Z", "2026-03-29T00:59:59Z", 0},
    {"london/spring", "Europe/London", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", 3600},
    {"london/before-autumn", "Europe/London", "2026-10-25T00:59:59Z", "2026-10-25T01:59:59Z", 3600},
    {"london/autumn", "Europe/London", "2026-10-25T01:00:00Z", "2026-10-25T01:00:00Z", 0},
    {"berlin/before-spring", "Europe/Berlin", "2026-03-29T00:59:59Z", "2026-03-29T01:59:59Z", 3600},
    {"berlin/spring", "Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z", 7200},
    {"berlin/before-autumn", "Europe/Berlin", "2026-10-25T00:59:59Z", "2026-10-25T02:59:59Z", 7200},
    {"berlin/autumn", "Europe/Berlin", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z", 3600},
    {"newyork/before-spring", "America/New_York", "2026-03-08T06:59:59Z", "2026-03-08T01:59:59Z", -18000},
    {"newyork/spring", "America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T03:00:00Z", -14400},
    {"newyork/before-autumn", "America/New_York", "2026-11-01T05:59:59Z", "2026-11-01T01:59:59Z", -14400},
    {"newyork/autumn", "America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T01:00:00Z", -18000},
    {"sydney/before-april", "Australia/Sydney", "2026-04-04T15:59:59Z", "2026-04-05T02:59:59Z", 39600},
    {"sydney/april", "Australia/Sydney", "2026-04-04T16:00:00Z", "2026-04-05T02:00:00Z", 36000},
    {"sydney/before-october", "Australia/Sydney", "2026-10-03T15:59:59Z", "2026-10-04T01:59:59Z", 36000},
    {"sydney/october", "Australia/Sydney", "2026-10-03T16:00:00Z", "2026-10-04T03:00:00Z", 39600},
    {"lordhowe/before-april", "Australia/Lord_Howe", "2026-04-04T14:59:59Z", "2026-04-05T01:59:59Z", 39600},
    {"lordhowe/april", "Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-04-05T01:30:00Z", 37800},
    {"lordhowe/before-october", "Australia/Lord_Howe", "2026-10-03T15:29:59Z", "2026-10-04T01:59:59Z", 37800},
    {"lordhowe/october", "Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04T02:30:00Z", 39600},
    {"kolkata/any", "Asia/Kolkata", "2026-06-15T06:30:00Z", "2026-06-15T12:00:00Z", 19800},
    {"kolkata/midnight", "Asia/Kolkata", "2026-03-28T18:30:00Z", "2026-03-29T00:00:00Z", 19800},
    {"utc/any", "UTC", "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z", 0},
    {"2045/london-spring", "Europe/London", "2045-03-26T01:00:00Z", "2045-03-26T02:00:00Z", 3600},
    {"2045/london-before-spring", "Europe/London", "2045-03-26T00:59:59Z", "2045-03-26T00:59:59Z", 0},
    {"2045/london-before-autumn", "Europe/London", "2045-10-29T00:59:59Z", "2045-10-29T01:59:59Z", 3600},
    {"2045/london-autumn", "Europe/London", "2045-10-29T01:00:00Z", "2045-10-29T01:00:00Z", 0},
    {"2045/newyork-spring", "America/New_York", "2045-03-12T07:00:00Z", "2045-03-12T03:00:00Z", -14400},
    {"2045/newyork-autumn", "America/New_York", "2045-11-05T06:00:00Z", "2045-11-05T01:00:00Z", -18000},
    {"2045/sydney-october", "Australia/Sydney", "2045-09-30T16:00:00Z", "2045-10-01T03:00:00Z", 39600},
    {"1995/london-spring", "Europe/London", "1995-03-26T01:00:00Z", "1995-03-26T02:00:00Z", 3600},
    {"1995/london-before-autumn", "Europe/London", "1995-10-22T00:59:59Z", "1995-10-22T01:59:59Z", 3600},
    {"1995/london-autumn", "Europe/London", "1995-10-22T01:00:00Z", "1995-10-22T01:00:00Z", 0},
    {"1995/berlin-before-autumn", "Europe/Berlin", "1995-09-24T00:59:59Z", "1995-09-24T02:59:59Z", 7200},
    {"1995/berlin-autumn", "Europe/Berlin", "1995-09-24T01:00:00Z", "1995-09-24T02:00:00Z", 3600},
    {"1995/newyork-before-spring", "America/New_York", "1995-04-02T06:59:59Z", "1995-04-02T01:59:59Z", -18000},
    {"1995/newyork-spring", "America/New_York", "1995-04-02T07:00:00Z", "1995-04-02T03:00:00Z", -14400},
    {"1995/sydney-march", "Australia/Sydney", "1995-03-04T16:00:00Z", "1995-03-05T02:00:00Z", 36000},
};

static void test_to_local(gconstpointer data) {
  const ToLocalCase *c = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, c->zone);
  g_assert_nonnull(zone);
  gint64 instant = test_instant(c->instant);
  g_assert_cmpint(zone_offset_at(zone, instant), ==, c->offset);
  g_autofree char *text = test_format(zone_to_local(zone, instant));
  g_assert_cmpstr(text, ==, c->local);
}

/* A NULL zone is UTC for every conversion. */
static void test_null_zone_is_utc(void) {
  gint64 t = test_instant("2026-03-29T01:30:00Z");
  g_assert_cmpint(zone_to_instant(NULL, t), ==, t);
  g_assert_cmpint(zone_to_local(NULL, t), ==, t);
  g_assert_cmpint(zone_offset_at(NULL, t), ==, 0);
  g_autoptr(Zones) zones = test_zones();
  Zone *utc = zones_utc(zones);
  g_assert_nonnull(utc);
  g_assert_cmpint(zone_to_instant(utc, t), ==, t);
  g_assert_cmpint(zone_to_local(utc, t), ==, t);
  g_assert_cmpint(zone_offset_at(utc, t), ==, 0);
}

/* ---- properties over a whole year ---------------------------------------- */

static const char *const year_zones[] = {"Europe/London", "Europe/Berlin", "America/New_York",
                                         "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"};

/* Every instant maps to a wall clock that maps back to the first instant
 * with that wall clock; every wall clock maps to an instant that shows it,
 * or, in a gap, the reading with the offset before the gap. */
static void test_round_trip_year(gconstpointer data) {
  const char *name = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, name);
  g_assert_nonnull(zone);
  gint64 from = test_instant("2026-01-01T00:00:00Z"), to = test_instant("2027-01-01T00:00:00Z");
  for (gint64 t = from; t < to; t += 900) {
    gint64 local = zone_to_local(zone, t);
    g_assert_cmpint(local, ==, t + zone_offset_at(zone, t));
    gint64 back = zone_to_instant(zone, local);
    if (back != t) {
      /* Only in an overlap: the earlier instant with the same wall clock. */
      g_assert_cmpint(back, <, t);
      g_assert_cmpint(zone_to_local(zone, back), ==, local);
      g_assert_cmpint(zone_offset_at(zone, back), >, zone_offset_at(zone, t));
    }
  }
  for (gint64 local = from; local < to; local += 900) {
    gint64 t = zone_to_instant(zone, local);
    gint64 shown = zone_to_local(zone, t);
    if (shown != local) {
      /* Only in a gap: read with the offset before it, so the clock shows
       * the reading moved forward by the size of the gap. */
      int before = zone_offset_at(zone, t - 86400), after = zone_offset_at(zone, t);
      g_assert_cmpint(after, >, before);
      g_assert_cmpint(shown, ==, local + (after - before));
      g_assert_cmpint(t, ==, local - before);
    }
  }
}

/* Answers do not depend on the order of the questions (offsets are cached). */
static void test_offsets_order_independent(void) {
  const char *names[] = {"Europe/London", "America/New_York", "Australia/Lord_Howe"};
  gint64 from = test_instant("1994-01-01T00:00:00Z");
  gint64 to = test_instant("2047-01-01T00:00:00Z");
  const gint64 step = 86400 * 3 + 3607; /* drifts through every hour of the day */
  for (gsize z = 0; z < G_N_ELEMENTS(names); z++) {
    g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (gint64 t = from; t < to; t += step)
      g_array_append_val(points, t);
    guint n = points->len;
    g_autofree int *forward = g_new(int, n);
    g_autofree int *backward = g_new(int, n);
    g_autofree int *shuffled = g_new(int, n);

    g_autoptr(Zones) a = test_zones();
    Zone *za = zones_resolve(a, names[z]);
    for (guint i = 0; i < n; i++)
      forward[i] = zone_offset_at(za, g_array_index(points, gint64, i));

    g_autoptr(Zones) b = test_zones();
    Zone *zb = zones_resolve(b, names[z]);
    for (guint i = n; i-- > 0;)
      backward[i] = zone_offset_at(zb, g_array_index(points, gint64, i));

    g_autoptr(Zones) c = test_zones();
    Zone *zc = zones_resolve(c, names[z]);
    guint32 seed = 12345;
    g_autofree guint *order = g_new(guint, n);
    for (guint i = 0; i < n; i++)
      order[i] = i;
    for (guint i = n; i > 1; i--) {
      seed = seed * 1103515245u + 12345u;
      guint j = (seed >> 8) % i;
      guint tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
    for (guint i = 0; i < n; i++)
      shuffled[order[i]] = zone_offset_at(zc, g_array_index(points, gint64, order[i]));

    /* The same answers as libical gives for each instant on its own. */
    icaltimezone *ical = zone_ical(za);
    for (guint i = 0; i < n; i++) {
      g_assert_cmpint(forward[i], ==, backward[i]);
      g_assert_cmpint(forward[i], ==, shuffled[i]);
      if (i % 50 == 0) {
        struct icaltimetype t = local_seconds_to_icaltime(g_array_index(points, gint64, i), FALSE);
        t.zone = icaltimezone_get_utc_timezone();
        int is_daylight = 0;
        g_assert_cmpint(forward[i], ==, icaltimezone_get_utc_offset_of_utc_time(ical, &t, &is_daylight));
      }
    }
  }
}

/* A far-away question first must not spoil a near one, and vice versa. */
static void test_offsets_far_then_near(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *london = zones_resolve(zones, "Europe/London");
  g_assert_nonnull(london);
  g_assert_cmpint(zone_offset_at(london, test_instant("2045-07-01T00:00:00Z")), ==, 3600);
  g_assert_cmpint(zone_offset_at(london, test_instant("1995-12-01T00:00:00Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-03-29T00:59:59Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-03-29T01:00:00Z")), ==, 3600);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-03-28T23:00:00Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-10-25T00:59:59Z")), ==, 3600);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-10-25T01:00:00Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("2026-03-29T00:59:59Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("2045-10-29T00:59:59Z")), ==, 3600);
  g_assert_cmpint(zone_offset_at(london, test_instant("2045-10-29T01:00:00Z")), ==, 0);
  g_assert_cmpint(zone_offset_at(london, test_instant("1995-10-22T00:59:59Z")), ==, 3600);
  g_assert_cmpint(zone_offset_at(london, test_instant("1995-10-22T01:00:00Z")), ==, 0);
}

/* ---- zones_resolve -------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *tzid;     /* as written in a calendar */
  const char *expected; /* zone_name() of the result, NULL = not resolved */
  const char *local;    /* a wall clock in that zone ... */
  const char *instant;  /* ... and the instant it denotes */
} ResolveCase;

static const ResolveCase resolve_cases[] = {
    {"iana/london", "Europe/London", "Europe/London", "2026-07-01T12:00:00Z", "2026-07-01T11:00:00Z"},
    {"iana/berlin", "Europe/Berlin", "Europe/Berlin", "2026-07-01T12:00:00Z", "2026-07-01T10:00:00Z"},
    {"iana/newyork", "America/New_York", "America/New_York", "2026-07-01T12:00:00Z", "2026-07-01T16:00:00Z"},
    {"iana/kolkata", "Asia/Kolkata", "Asia/Kolkata", "2026-07-01T12:00:00Z", "2026-07-01T06:30:00Z"},
    {"iana/lordhowe", "Australia/Lord_Howe", "Australia/Lord_Howe", "2026-07-01T12:00:00Z",
     "2026-07-01T01:30:00Z"},
    {"utc", "UTC", "UTC", "2026-07-01T12:00:00Z", "2026-07-01T12:00:00Z"},
    {"vendor/mozilla", "/mozilla.org/20050126_1/Europe/London", "Europe/London", "2026-07-01T12:00:00Z",
     "2026-07-01T11:00:00Z"},
    {"vendor/mozilla-newyork", "/mozilla.org/20070129_1/America/New_York", "America/New_York",
     "2026-01-15T12:00:00Z", "2026-01-15T17:00:00Z"},
    {"vendor/freeassociation-tzfile", "/freeassociation.sourceforge.net/Tzfile/America/New_York",
     "America/New_York", "2026-07-01T12:00:00Z", "2026-07-01T16:00:00Z"},
    {"vendor/freeassociation", "/freeassociation.sourceforge.net/Europe/Berlin", "Europe/Berlin",
     "2026-01-15T12:00:00Z", "2026-01-15T11:00:00Z"},
    {"vendor/softwarestudio", "/softwarestudio.org/Olson_20011030_5/Australia/Sydney", "Australia/Sydney",
     "2026-07-01T12:00:00Z", "2026-07-01T02:00:00Z"},
    {"windows/w-europe", "W. Europe Standard Time", "Europe/Berlin", "2026-07-01T12:00:00Z",
     "2026-07-01T10:00:00Z"},
    {"windows/gmt", "GMT Standard Time", "Europe/London", "2026-07-01T12:00:00Z", "2026-07-01T11:00:00Z"},
    {"windows/eastern", "Eastern Standard Time", "America/New_York", "2026-01-15T12:00:00Z",
     "2026-01-15T17:00:00Z"},
    {"windows/aus-eastern", "AUS Eastern Standard Time", "Australia/Sydney", "2026-07-01T12:00:00Z",
     "2026-07-01T02:00:00Z"},
    {"windows/utc-minus-11", "UTC-11", "Etc/GMT+11", "2026-07-01T12:00:00Z", "2026-07-01T23:00:00Z"},
    {"windows/lower-case", "w. europe standard time", "Europe/Berlin", "2026-01-15T12:00:00Z",
     "2026-01-15T11:00:00Z"},
    {"quoted/iana", "\"Europe/Berlin\"", "Europe/Berlin", "2026-01-15T12:00:00Z", "2026-01-15T11:00:00Z"},
    {"quoted/windows", "\"GMT Standard Time\"", "Europe/London", "2026-07-01T12:00:00Z",
     "2026-07-01T11:00:00Z"},
    {"quoted/vendor", "\"/mozilla.org/20050126_1/America/New_York\"", "America/New_York",
     "2026-07-01T12:00:00Z", "2026-07-01T16:00:00Z"},
    {"unknown/iana-like", "Mars/Olympus_Mons", NULL, NULL, NULL},
    {"unknown/windows-like", "Middle Earth Standard Time", NULL, NULL, NULL},
    {"unknown/vendor-prefixed", "/mozilla.org/20050126_1/Atlantis/Poseidonia", NULL, NULL, NULL},
    {"unknown/empty", "", NULL, NULL, NULL},
    {"unknown/empty-quotes", "\"\"", NULL, NULL, NULL},
};

static void test_resolve(gconstpointer data) {
  const ResolveCase *c = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, c->tzid);
  if (!c->expected) {
    g_assert_null(zone);
    /* Still unknown when asked again (the answer is cached). */
    g_assert_null(zones_resolve(zones, c->tzid));
    return;
  }
  g_assert_nonnull(zone);
  g_assert_cmpstr(zone_name(zone), ==, c->expected);
  g_autofree char *got = test_format(zone_to_instant(zone, test_instant(c->local)));
  g_assert_cmpstr(got, ==, c->instant);
  /* Cached: the same zone again. */
  g_assert_true(zones_resolve(zones, c->tzid) == zone);
}

/* The Windows name and the IANA name lead to one shared zone. */
static void test_resolve_shares_zones(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *iana = zones_resolve(zones, "Europe/Berlin");
  g_assert_nonnull(iana);
  g_assert_true(zones_resolve(zones, "W. Europe Standard Time") == iana);
  g_assert_true(zones_resolve(zones, "/mozilla.org/20050126_1/Europe/Berlin") == iana);
  g_assert_true(zones_resolve(zones, "\"Europe/Berlin\"") == iana);
  g_assert_true(zones_resolve(zones, "UTC") == zones_utc(zones));
}

/* "India Standard Time" maps to the legacy name Asia/Calcutta: whatever the
 * name, the zone must be +05:30. */
static void test_resolve_windows_india(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, "India Standard Time");
  g_assert_nonnull(zone);
  g_assert_cmpint(zone_offset_at(zone, test_instant("2026-07-01T00:00:00Z")), ==, 19800);
  g_assert_cmpint(zone_offset_at(zone, test_instant("2026-01-01T00:00:00Z")), ==, 19800);
}

/* ---- civil calendar helpers ---------------------------------------------- */

typedef struct {
  const char *name;
  int year, month, day;
  gint64 days;  /* since 1970-01-01 */
  int weekday;  /* 0 = Monday */
} CivilCase;

static const CivilCase civil_cases[] = {
    {"epoch-thursday", 1970, 1, 1, 0, 3},
    {"day-before-epoch", 1969, 12, 31, -1, 2},
    {"week-before-epoch", 1969, 12, 25, -7, 3},
    {"1960-leap-day", 1960, 2, 29, -3594, 0},
    {"1900-01-01-monday", 1900, 1, 1, -25567, 0},
    {"0001-01-01-monday", 1, 1, 1, -719162, 0},
    {"2000-leap-day", 2000, 2, 29, 11016, 1},
    {"2000-03-01", 2000, 3, 1, 11017, 2},
    {"2024-leap-day", 2024, 2, 29, 19782, 3},
    {"2026-01-01", 2026, 1, 1, 20454, 3},
    {"2026-03-02-monday", 2026, 3, 2, 20514, 0},
    {"2026-03-29-sunday", 2026, 3, 29, 20541, 6},
    {"2026-10-25-sunday", 2026, 10, 25, 20751, 6},
    {"2100-03-01", 2100, 3, 1, 47541, 0},
};

static void test_civil(gconstpointer data) {
  const CivilCase *c = data;
  g_assert_cmpint(civil_to_days(c->year, c->month, c->day), ==, c->days);
  int y = 0, m = 0, d = 0;
  days_to_civil(c->days, &y, &m, &d);
  g_assert_cmpint(y, ==, c->year);
  g_assert_cmpint(m, ==, c->month);
  g_assert_cmpint(d, ==, c->day);
  g_assert_cmpint(days_to_weekday(c->days), ==, c->weekday);
}

typedef struct {
  int year;
  int feb_days;
} LeapCase;

static void test_leap_years(void) {
  static const LeapCase cases[] = {{1600, 29}, {1700, 28}, {1900, 28}, {1996, 29}, {2000, 29},
                                   {2023, 28}, {2024, 29}, {2026, 28}, {2100, 28}, {2400, 29}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gint64 n = civil_to_days(cases[i].year, 3, 1) - civil_to_days(cases[i].year, 2, 1);
    g_assert_cmpint(n, ==, cases[i].feb_days);
    int y, m, d;
    days_to_civil(civil_to_days(cases[i].year, 3, 1) - 1, &y, &m, &d);
    g_assert_cmpint(y, ==, cases[i].year);
    g_assert_cmpint(m, ==, 2);
    g_assert_cmpint(d, ==, cases[i].feb_days);
  }
}

/* days_to_civil and civil_to_days are inverse, day after day, on both sides
 * of the epoch; weekdays cycle. */
static void test_civil_round_trip(void) {
  int py = 0, pm = 0, pd = 0;
  days_to_civil(-800001, &py, &pm, &pd);
  for (gint64 n = -800000; n <= 800000; n++) {
    int y, m, d;
    days_to_civil(n, &y, &m, &d);
    g_assert_cmpint(civil_to_days(y, m, d), ==, n);
    g_assert_cmpint(m, >=, 1);
    g_assert_cmpint(m, <=, 12);
    g_assert_cmpint(d, >=, 1);
    g_assert_cmpint(d, <=, 31);
    if (d == 1)
      g_assert_true((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1));
    else
      g_assert_true(d == pd + 1 && m == pm && y == py);
    g_assert_cmpint(days_to_weekday(n), ==, (days_to_weekday(n - 1) + 1) % 7);
    py = y;
    pm = m;
    pd = d;
  }
}

static void test_civil_seconds(void) {
  g_assert_cmpint(civil_to_seconds(1970, 1, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint(civil_to_seconds(1969, 12, 31, 23, 59, 59), ==, -1);
  g_assert_cmpint(civil_to_seconds(2026, 3, 29, 1, 30, 0), ==, test_instant("2026-03-29T01:30:00Z"));
  g_assert_cmpint(civil_to_seconds(1900, 1, 1, 12, 0, 0), ==, -25567LL * 86400 + 43200);

  /* icaltimetype <-> local seconds, dates and date-times, before the epoch too. */
  struct icaltimetype t = local_seconds_to_icaltime(-1, FALSE);
  g_assert_cmpint(t.year, ==, 1969);
  g_assert_cmpint(t.month, ==, 12);
  g_assert_cmpint(t.day, ==, 31);
  g_assert_cmpint(t.hour, ==, 23);
  g_assert_cmpint(t.minute, ==, 59);
  g_assert_cmpint(t.second, ==, 59);
  g_assert_false(t.is_date);
  g_assert_cmpint(icaltime_to_local_seconds(t), ==, -1);

  t = local_seconds_to_icaltime(test_instant("2024-02-29T18:45:30Z"), TRUE);
  g_assert_true(t.is_date);
  g_assert_cmpint(t.year, ==, 2024);
  g_assert_cmpint(t.month, ==, 2);
  g_assert_cmpint(t.day, ==, 29);
  g_assert_cmpint(icaltime_to_local_seconds(t), ==, test_instant("2024-02-29T00:00:00Z"));

  t = local_seconds_to_icaltime(-86400 * 3 + 60, FALSE);
  g_assert_cmpint(t.year, ==, 1969);
  g_assert_cmpint(t.month, ==, 12);
  g_assert_cmpint(t.day, ==, 29);
  g_assert_cmpint(t.hour, ==, 0);
  g_assert_cmpint(t.minute, ==, 1);

  struct icaltimetype dt = icaltime_from_string("20260329T013000");
  g_assert_cmpint(icaltime_to_local_seconds(dt), ==, test_instant("2026-03-29T01:30:00Z"));
  struct icaltimetype date = icaltime_from_string("20260329");
  g_assert_cmpint(icaltime_to_local_seconds(date), ==, test_instant("2026-03-29T00:00:00Z"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(to_instant_cases); i++) {
    g_autofree char *path = g_strdup_printf("/zones/to-instant/%s", to_instant_cases[i].name);
    g_test_add_data_func(path, &to_instant_cases[i], test_to_instant);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(to_local_cases); i++) {
    g_autofree char *path = g_strdup_printf("/zones/to-local/%s", to_local_cases[i].name);
    g_test_add_data_func(path, &to_local_cases[i], test_to_local);
  }
  g_test_add_func("/zones/null-zone-is-utc", test_null_zone_is_utc);
  for (gsize i = 0; i < G_N_ELEMENTS(year_zones); i++) {
    g_autofree char *path = g_strdup_printf("/zones/round-trip-2026/%s", year_zones[i]);
    g_test_add_data_func(path, year_zones[i], test_round_trip_year);
  }
  g_test_add_func("/zones/cache/order-independent", test_offsets_order_independent);
  g_test_add_func("/zones/cache/far-then-near", test_offsets_far_then_near);
  for (gsize i = 0; i < G_N_ELEMENTS(resolve_cases); i++) {
    g_autofree char *path = g_strdup_printf("/zones/resolve/%s", resolve_cases[i].name);
    g_test_add_data_func(path, &resolve_cases[i], test_resolve);
  }
  g_test_add_func("/zones/resolve/shared", test_resolve_shares_zones);
  g_test_add_func("/zones/resolve/windows-india", test_resolve_windows_india);
  for (gsize i = 0; i < G_N_ELEMENTS(civil_cases); i++) {
    g_autofree char *path = g_strdup_printf("/zones/civil/%s", civil_cases[i].name);
    g_test_add_data_func(path, &civil_cases[i], test_civil);
  }
  g_test_add_func("/zones/civil/leap-years", test_leap_years);
  g_test_add_func("/zones/civil/round-trip", test_civil_round_trip);
  g_test_add_func("/zones/civil/seconds", test_civil_seconds);
  return g_test_run();
}
