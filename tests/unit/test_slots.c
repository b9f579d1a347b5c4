/* Unit tests for free-slot search (core/slots.c).
 *
 * Diaries cover 2026-02-23 to 2026-04-06; rows use UTC and Monday
 * 2026-03-02 unless noted.  Expected slots are listed by start, as UTC
 * instants separated by spaces. */
#include "oracle.h"
#include "testutil.h"

#include <string.h>

#include "when.h"

#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\nSUMMARY:" uid "\n" body "END:VEVENT\n"
#define EV(uid, s, e, extra) VEV(uid, "DTSTART:" s "\nDTEND:" e "\n" extra)
#define MON(t) "20260302T" t "00Z"
#define TUE(t) "20260303T" t "00Z"
#define WED(t) "20260304T" t "00Z"
#define THU(t) "20260305T" t "00Z"
#define LOC(x) "LOCATION:" x "\n"
#define TRANSPARENT "TRANSP:TRANSPARENT\n"
#define CANCELLED "STATUS:CANCELLED\n"

#define H(t) "2026-03-02T" t ":00Z" /* Monday, UTC */

static const char *const owners[] = {"me@example.com", NULL};
static const char *const projector[] = {"Projector", NULL};
static const char *const flipchart[] = {"Flipchart", NULL};


/* ---- helpers --------------------------------------------------------------- */

static TestDiary *make_diary(const char *tz, const char *vevents) {
  return test_diary_sources(tz, "2026-02-23", "2026-04-06", owners, vevents && *vevents ? vevents : NULL, NULL);
}

static char *slot_starts(GArray *slots) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < slots->len; i++) {
    g_autofree char *when = test_format(g_array_index(slots, Slot, i).start);
    g_string_append_printf(s, "%s%s", i ? " " : "", when);
  }
  return g_string_free(s, FALSE);
}

static void check_shape(GArray *slots, gint64 duration) {
  for (guint i = 0; i < slots->len; i++) {
    const Slot *s = &g_array_index(slots, Slot, i);
    EXPECT(s->end - s->start == duration, "slot %u lasts %" G_GINT64_FORMAT " s", i, s->end - s->start);
    if (i)
      EXPECT(s->start > g_array_index(slots, Slot, i - 1).start, "slots not in time order at %u", i);
  }
}


/* ---- slots_find ------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *tz; /* NULL: UTC */
  const char *ics;
  void (*tweak)(CheckRules *);
  gint64 duration;
  const char *from, *to;
  const char *location;
  const char *const *resources;
  guint limit;
  const char *expect;
} FindRow;

static void tw_step_25(CheckRules *r) { r->step = 25 * 60; }
static void tw_step_hour(CheckRules *r) { r->step = 3600; }
static void tw_step_half(CheckRules *r) { r->step = 1800; }
static void tw_hours_off(CheckRules *r) { r->enabled &= ~(1u << CHECK_HOURS); }
static void tw_now_ten(CheckRules *r) { r->now = test_instant(H("10:00")); }
static void tw_now_ten_no_notice(CheckRules *r) {
  r->now = test_instant(H("10:00"));
  r->notice = 0;
}
static void tw_max2(CheckRules *r) { r->max_per_day = 2; }
static void tw_busy3(CheckRules *r) {
  r->max_busy_per_day = 3 * 3600;
  r->break_after = 0;
}
static void tw_break(CheckRules *r) {
  r->break_after = 2 * 3600;
  r->break_length = 30 * 60;
}
static void tw_always(CheckRules *r) {
  for (int d = 0; d < 7; d++)
    r->hours[d] = (WorkHours){0, 24 * 60};
}
static void tw_always_hourly(CheckRules *r) {
  tw_always(r);
  r->step = 3600;
}

#define BUSY_10_11 EV("x", MON("1000"), MON("1100"), "")

static const FindRow find_rows[] = {
    {"morning-grid", NULL, NULL, NULL, 3600, H("09:00"), H("12:00"), NULL, NULL, 0,
     H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00") " " H("10:15") " " H("10:30") " " H(
         "10:45") " " H("11:00")},
    {"from-off-grid", NULL, NULL, NULL, 1800, H("09:05"), H("10:30"), NULL, NULL, 0,
     H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"to-is-exclusive-end", NULL, NULL, NULL, 3600, H("09:00"), H("10:00"), NULL, NULL, 0, H("09:00")},
    {"empty-range", NULL, NULL, NULL, 3600, H("09:00"), H("09:00"), NULL, NULL, 0, ""},
    {"hours-end", NULL, NULL, NULL, 3600, H("15:00"), H("23:00"), NULL, NULL, 0,
     H("15:00") " " H("15:15") " " H("15:30") " " H("15:45") " " H("16:00")},
    {"hours-start", NULL, NULL, NULL, 1800, H("06:00"), H("09:30"), NULL, NULL, 0, H("09:00")},
    {"weekend-off", NULL, NULL, NULL, 1800, "2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z", NULL, NULL, 0, ""},
    {"across-days", NULL, NULL, NULL, 1800, H("16:00"), "2026-03-03T09:30:00Z", NULL, NULL, 0,
     H("16:00") " " H("16:15") " " H("16:30") " 2026-03-03T09:00:00Z"},
    {"step-25-from-midnight", NULL, NULL, tw_step_25, 1800, H("09:00"), H("11:00"), NULL, NULL, 0,
     H("09:10") " " H("09:35") " " H("10:00") " " H("10:25")},
    {"kolkata-grid", "Asia/Kolkata", NULL, tw_step_hour, 1800, "2026-03-01T18:30:00Z", "2026-03-02T18:30:00Z", NULL,
     NULL, 0,
     "2026-03-02T03:30:00Z 2026-03-02T04:30:00Z 2026-03-02T05:30:00Z 2026-03-02T06:30:00Z 2026-03-02T07:30:00Z "
     "2026-03-02T08:30:00Z 2026-03-02T09:30:00Z 2026-03-02T10:30:00Z"},
    {"kathmandu-grid", "Asia/Kathmandu", NULL, tw_step_half, 3600, "2026-03-02T03:15:00Z", "2026-03-02T05:15:00Z",
     NULL, NULL, 0, "2026-03-02T03:15:00Z 2026-03-02T03:45:00Z 2026-03-02T04:15:00Z"},
    {"hours-rule-off", NULL, NULL, tw_hours_off, 3600, "2026-03-07T22:00:00Z", "2026-03-08T00:00:00Z", NULL, NULL, 0,
     "2026-03-07T22:00:00Z 2026-03-07T22:15:00Z 2026-03-07T22:30:00Z 2026-03-07T22:45:00Z 2026-03-07T23:00:00Z"},
    {"buffer-both-sides", NULL, BUSY_10_11, NULL, 1800, H("09:00"), H("12:30"), NULL, NULL, 0,
     H("09:00") " " H("09:15") " " H("11:15") " " H("11:30") " " H("11:45") " " H("12:00")},
    {"travel-with-location", NULL, EV("x", MON("1000"), MON("1100"), LOC("Office")), NULL, 1800, H("08:00"),
     H("13:00"), "Client site", NULL, 0,
     H("09:00") " " H("11:30") " " H("11:45") " " H("12:00") " " H("12:15") " " H("12:30")},
    {"same-place-buffer", NULL, EV("x", MON("1000"), MON("1100"), LOC("Office")), NULL, 1800, H("08:00"), H("12:30"),
     " OFFICE", NULL, 0, H("09:00") " " H("09:15") " " H("11:15") " " H("11:30") " " H("11:45") " " H("12:00")},
    {"unknown-place-buffer", NULL, EV("x", MON("1000"), MON("1100"), LOC("Office")), NULL, 1800, H("08:00"),
     H("12:30"), NULL, NULL, 0, H("09:00") " " H("09:15") " " H("11:15") " " H("11:30") " " H("11:45") " " H("12:00")},
    {"apple-travel-of-next", NULL, EV("x", MON("1100"), MON("1200"), "X-APPLE-TRAVEL-DURATION:PT45M\n"), NULL, 1800,
     H("09:00"), H("11:00"), NULL, NULL, 0, H("09:00") " " H("09:15") " " H("09:30") " " H("09:45")},
    {"apple-travel-of-previous", NULL, EV("x", MON("0900"), MON("1000"), "X-APPLE-TRAVEL-DURATION:PT45M\n"), NULL,
     1800, H("10:00"), H("11:00"), NULL, NULL, 0, H("10:15") " " H("10:30")},
    {"transparent-not-busy", NULL, EV("x", MON("1000"), MON("1100"), TRANSPARENT), NULL, 3600, H("09:00"), H("11:00"),
     NULL, NULL, 0, H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"cancelled-not-busy", NULL, EV("x", MON("1000"), MON("1100"), CANCELLED), NULL, 3600, H("09:00"), H("11:00"),
     NULL, NULL, 0, H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"declined-not-busy", NULL,
     EV("x", MON("1000"), MON("1100"), "ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\n"), NULL, 3600, H("09:00"),
     H("11:00"), NULL, NULL, 0, H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"room-booked", NULL, EV("x", MON("1000"), MON("1100"), LOC("Room 1") TRANSPARENT), NULL, 3600, H("09:00"),
     H("12:00"), "room  1", NULL, 0, H("09:00") " " H("11:00")},
    {"other-room", NULL, EV("x", MON("1000"), MON("1100"), LOC("Room 1") TRANSPARENT), NULL, 3600, H("09:00"),
     H("11:00"), "Room 2", NULL, 0, H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"room-booking-cancelled", NULL, EV("x", MON("1000"), MON("1100"), LOC("Room 1") CANCELLED), NULL, 3600,
     H("09:00"), H("11:00"), "Room 1", NULL, 0,
     H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"resource-booked", NULL, EV("x", MON("1000"), MON("1100"), "RESOURCES:Projector\n" TRANSPARENT), NULL, 3600,
     H("09:00"), H("12:00"), NULL, projector, 0, H("09:00") " " H("11:00")},
    {"other-resource", NULL, EV("x", MON("1000"), MON("1100"), "RESOURCES:Projector\n" TRANSPARENT), NULL, 3600,
     H("09:00"), H("11:00"), NULL, flipchart, 0,
     H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"room-attendee-booked", NULL,
     EV("x", MON("1000"), MON("1100"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n" TRANSPARENT),
     NULL, 3600, H("09:00"), H("12:00"), "Board Room", NULL, 0, H("09:00") " " H("11:00")},
    {"link-is-not-a-room", NULL,
     EV("x", MON("1000"), MON("1100"), LOC("https://meet.example.com/abc") TRANSPARENT), NULL, 3600, H("09:00"),
     H("11:00"), "https://meet.example.com/abc", NULL, 0,
     H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00")},
    {"notice-from-now", NULL, NULL, tw_now_ten, 3600, H("09:00"), H("14:00"), NULL, NULL, 0,
     H("12:00") " " H("12:15") " " H("12:30") " " H("12:45") " " H("13:00")},
    {"not-before-now", NULL, NULL, tw_now_ten_no_notice, 3600, H("09:00"), H("12:00"), NULL, NULL, 0,
     H("10:00") " " H("10:15") " " H("10:30") " " H("10:45") " " H("11:00")},
    {"workload-count", NULL, EV("a", MON("0900"), MON("0930"), "") EV("b", MON("1600"), MON("1630"), ""), tw_max2,
     3600, H("00:00"), "2026-03-03T11:00:00Z", NULL, NULL, 0,
     "2026-03-03T09:00:00Z 2026-03-03T09:15:00Z 2026-03-03T09:30:00Z 2026-03-03T09:45:00Z 2026-03-03T10:00:00Z"},
    {"workload-busy-too-long", NULL, EV("a", MON("0900"), MON("1100"), ""), tw_busy3, 5400, H("00:00"),
     "2026-03-03T00:00:00Z", NULL, NULL, 0, ""},
    {"workload-busy-exact", NULL, EV("a", MON("0900"), MON("1100"), ""), tw_busy3, 3600, H("00:00"), H("13:00"), NULL,
     NULL, 0, H("11:15") " " H("11:30") " " H("11:45") " " H("12:00")},
    {"workload-break", NULL, EV("a", MON("0900"), MON("1000"), ""), tw_break, 3600, H("10:00"), H("12:00"), NULL, NULL,
     0, H("10:30") " " H("10:45") " " H("11:00")},
    {"limit", NULL, NULL, NULL, 3600, H("09:00"), H("17:00"), NULL, NULL, 3, H("09:00") " " H("09:15") " " H("09:30")},
    {"limit-one-after-busy", NULL, BUSY_10_11, NULL, 3600, H("09:15"), H("17:00"), NULL, NULL, 1, H("11:15")},
    {"dst-spring-hourly", "Europe/London", NULL, tw_always_hourly, 3600, "2026-03-29T00:00:00Z",
     "2026-03-29T23:00:00Z", NULL, NULL, 0,
     "2026-03-29T00:00:00Z 2026-03-29T01:00:00Z 2026-03-29T02:00:00Z 2026-03-29T03:00:00Z 2026-03-29T04:00:00Z "
     "2026-03-29T05:00:00Z 2026-03-29T06:00:00Z 2026-03-29T07:00:00Z 2026-03-29T08:00:00Z 2026-03-29T09:00:00Z "
     "2026-03-29T10:00:00Z 2026-03-29T11:00:00Z 2026-03-29T12:00:00Z 2026-03-29T13:00:00Z 2026-03-29T14:00:00Z "
     "2026-03-29T15:00:00Z 2026-03-29T16:00:00Z 2026-03-29T17:00:00Z 2026-03-29T18:00:00Z 2026-03-29T19:00:00Z "
     "2026-03-29T20:00:00Z 2026-03-29T21:00:00Z 2026-03-29T22:00:00Z"},
    {"dst-spring-quarter", "Europe/London", NULL, tw_always, 1800, "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z",
     NULL, NULL, 0,
     "2026-03-29T00:00:00Z 2026-03-29T00:15:00Z 2026-03-29T00:30:00Z 2026-03-29T00:45:00Z 2026-03-29T01:00:00Z "
     "2026-03-29T01:15:00Z 2026-03-29T01:30:00Z"},
    {"dst-monday-after", "Europe/London", NULL, NULL, 3600, "2026-03-30T00:00:00Z", "2026-03-30T10:00:00Z", NULL, NULL,
     0, "2026-03-30T08:00:00Z 2026-03-30T08:15:00Z 2026-03-30T08:30:00Z 2026-03-30T08:45:00Z 2026-03-30T09:00:00Z"},
    {"dst-busy-local", "Europe/London", EV("x", "20260330T080000Z", "20260330T090000Z", ""), NULL, 3600,
     "2026-03-30T00:00:00Z", "2026-03-30T11:00:00Z", NULL, NULL, 0, "2026-03-30T09:15:00Z 2026-03-30T09:30:00Z "
                                                                    "2026-03-30T09:45:00Z 2026-03-30T10:00:00Z"},
};

static void run_find_row(gconstpointer data) {
  const FindRow *row = data;
  g_autoptr(TestDiary) t = make_diary(row->tz, row->ics);
  CheckRules rules;
  test_rules(&rules);
  if (row->tweak)
    row->tweak(&rules);
  SlotQuery q = {.duration = row->duration,
                 .from = test_instant(row->from),
                 .to = test_instant(row->to),
                 .location = row->location,
                 .resources = row->resources,
                 .limit = row->limit};
  g_autoptr(GArray) slots = slots_find(t->diary, &rules, &q);
  g_autofree char *got = slot_starts(slots);
  g_assert_cmpstr(got, ==, row->expect);
  check_shape(slots, row->duration);
  for (guint i = 0; i < slots->len; i++) {
    const Slot *s = &g_array_index(slots, Slot, i);
    EXPECT(s->start >= q.from && s->end <= q.to, "slot %u outside [from, to)", i);
    EXPECT(slots_is_free(t->diary, &rules, &q, s->start, NULL), "slot %u not free by slots_is_free", i);
  }
}

/* ---- slots_is_free and its reasons ------------------------------------------- */

typedef struct {
  const char *name;
  const char *start;
  const char *location;
  void (*tweak)(CheckRules *);
  gboolean is_free;
  CheckKind why;
} WhyRow;

static void tw_now_eight(CheckRules *r) { r->now = test_instant(H("08:00")); }
static void tw_now_eight_max1(CheckRules *r) {
  tw_now_eight(r);
  r->max_per_day = 1;
}
static void tw_now_eight_notice_hours(CheckRules *r) {
  tw_now_eight(r);
  r->enabled = (1u << CHECK_NOTICE) | (1u << CHECK_HOURS);
}
static void tw_now_eight_no_buffer(CheckRules *r) {
  tw_now_eight(r);
  r->enabled &= ~(1u << CHECK_BUFFER);
}
static void tw_now_eight_no_resource(CheckRules *r) {
  tw_now_eight(r);
  r->enabled &= ~(1u << CHECK_RESOURCE);
}

#define WHY_DIARY                                                                                                  \
  EV("x", MON("1000"), MON("1100"), LOC("Office"))                                                                 \
  EV("y", MON("1400"), MON("1500"), LOC("Room 2") TRANSPARENT)

static const WhyRow why_rows[] = {
    {"notice", H("09:00"), "Client site", tw_now_eight, FALSE, CHECK_NOTICE},
    {"notice-edge", H("10:00"), "Client site", tw_now_eight_notice_hours, TRUE, CHECK_N},
    {"notice-just-short", "2026-03-02T09:59:59Z", "Client site", tw_now_eight_notice_hours, FALSE, CHECK_NOTICE},
    {"free-after-travel", H("11:30"), "Client site", tw_now_eight, TRUE, CHECK_N},
    {"travel-too-short", H("11:15"), "Client site", tw_now_eight, FALSE, CHECK_BUFFER},
    {"buffer-enough-same-place", H("11:15"), "office", tw_now_eight, TRUE, CHECK_N},
    {"buffer-off", H("11:00"), "Client site", tw_now_eight_no_buffer, TRUE, CHECK_N},
    {"overlap", H("10:30"), "Client site", tw_now_eight, FALSE, CHECK_CONFLICT},
    {"after-hours", H("16:30"), "Client site", tw_now_eight, FALSE, CHECK_HOURS},
    {"last-in-hours", H("16:00"), "Client site", tw_now_eight, TRUE, CHECK_N},
    {"saturday", "2026-03-07T10:00:00Z", "Client site", tw_now_eight, FALSE, CHECK_HOURS},
    {"room-taken", H("14:00"), "Room 2", tw_now_eight, FALSE, CHECK_RESOURCE},
    {"room-taken-rule-off", H("14:00"), "Room 2", tw_now_eight_no_resource, TRUE, CHECK_N},
    {"room-free-later", H("15:00"), "Room 2", tw_now_eight, TRUE, CHECK_N},
    {"other-place-then", H("14:00"), "Client site", tw_now_eight, TRUE, CHECK_N},
    {"workload", H("13:00"), "Client site", tw_now_eight_max1, FALSE, CHECK_WORKLOAD},
};

static void run_why_row(gconstpointer data) {
  const WhyRow *row = data;
  g_autoptr(TestDiary) t = make_diary(NULL, WHY_DIARY);
  CheckRules rules;
  test_rules(&rules);
  row->tweak(&rules);
  SlotQuery q = {.duration = 3600, .from = 0, .to = G_MAXINT64 / 2, .location = row->location};
  CheckKind why = CHECK_N;
  gboolean is_free = slots_is_free(t->diary, &rules, &q, test_instant(row->start), &why);
  g_assert_cmpint(is_free, ==, row->is_free);
  if (!row->is_free)
    g_assert_cmpstr(check_kind_name(why), ==, check_kind_name(row->why));
  /* `why` may be NULL. */
  g_assert_cmpint(slots_is_free(t->diary, &rules, &q, test_instant(row->start), NULL), ==, row->is_free);
}

/* The occurrence being moved does not block itself, but its neighbours do. */
static void test_exclude(void) {
  g_autoptr(TestDiary) t = make_diary(NULL, EV("x", MON("1000"), MON("1100"), "") EV("y", MON("1300"), MON("1400"), ""));
  CheckRules rules;
  test_rules(&rules);
  const Occurrence *x = diary_occurrence(t->diary, 0);
  g_assert_cmpstr(x->series->uid, ==, "x");
  SlotQuery q = {.duration = 3600, .from = test_instant(H("09:00")), .to = test_instant(H("17:00")), .exclude = x};
  g_assert_true(slots_is_free(t->diary, &rules, &q, test_instant(H("10:00")), NULL));
  g_assert_true(slots_is_free(t->diary, &rules, &q, test_instant(H("10:30")), NULL));
  CheckKind why = CHECK_N;
  g_assert_false(slots_is_free(t->diary, &rules, &q, test_instant(H("12:30")), &why));
  g_assert_cmpint(why, ==, CHECK_CONFLICT);
  q.exclude = NULL;
  g_assert_false(slots_is_free(t->diary, &rules, &q, test_instant(H("10:30")), NULL));
  q.exclude = x;
  g_autoptr(GArray) slots = slots_find(t->diary, &rules, &q);
  g_autofree char *got = slot_starts(slots);
  g_assert_cmpstr(got, ==,
                  H("09:00") " " H("09:15") " " H("09:30") " " H("09:45") " " H("10:00") " " H("10:15") " " H(
                      "10:30") " " H("10:45") " " H("11:00") " " H("11:15") " " H("11:30") " " H("11:45") " " H("14:15")
                      " " H("14:30") " " H("14:45") " " H("15:00") " " H("15:15") " " H("15:30") " " H("15:45") " " H(
                          "16:00"));
}

/* ---- slots_nearest ------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *tz;
  const char *ics;
  void (*tweak)(CheckRules *);
  gint64 duration;
  const char *near;
  guint n;
  const char *from, *to; /* NULL: near -/+ horizon */
  const char *expect;
} NearRow;

static void tw_horizon_1d(CheckRules *r) { r->horizon = 86400; }
static void tw_horizon_2d(CheckRules *r) { r->horizon = 2 * 86400; }
static void tw_mon_fri_only(CheckRules *r) {
  for (int d = 0; d < 7; d++)
    r->hours[d] = (WorkHours){0, 0};
  r->hours[0] = (WorkHours){0, 24 * 60};
  r->hours[4] = (WorkHours){0, 24 * 60};
}

static const NearRow near_rows[] = {
    {"off-grid", NULL, NULL, NULL, 3600, H("12:05"), 3, NULL, NULL, H("11:45") " " H("12:00") " " H("12:15")},
    {"around-busy", NULL, EV("x", MON("1100"), MON("1300"), ""), NULL, 3600, H("12:05"), 3, NULL, NULL,
     H("13:15") " " H("13:30") " " H("13:45")},
    {"next-day", NULL, EV("x", MON("0900"), MON("1700"), ""), NULL, 3600, H("20:00"), 3, NULL, NULL,
     "2026-03-03T09:00:00Z 2026-03-03T09:15:00Z 2026-03-03T09:30:00Z"},
    {"previous-day", NULL, EV("x", TUE("0900"), TUE("1700"), ""), NULL, 3600, "2026-03-03T08:00:00Z", 3, NULL, NULL,
     H("15:30") " " H("15:45") " " H("16:00")},
    {"one", NULL, NULL, NULL, 1800, H("12:20"), 1, NULL, NULL, H("12:15")},
    {"none-wanted", NULL, NULL, NULL, 1800, H("12:20"), 0, NULL, NULL, ""},
    {"inside-query-range", NULL, NULL, NULL, 3600, H("12:05"), 3, H("12:00"), H("13:00"), H("12:00")},
    {"near-itself-free", NULL, NULL, NULL, 3600, H("12:00"), 3, NULL, NULL, H("11:45") " " H("12:00") " " H("12:15")},
    {"horizon-2d", NULL,
     EV("t", TUE("1015"), TUE("1300"), "") EV("u", TUE("1315"), TUE("1700"), "") EV("w", WED("0900"), WED("1700"), "") EV("h", THU("0900"), THU("1700"), ""),
     tw_horizon_2d, 3600, "2026-03-04T12:00:00Z", 3, "2026-02-23T00:00:00Z", "2026-04-06T00:00:00Z",
     H("15:45") " " H("16:00") " 2026-03-03T09:00:00Z"},
    {"horizon-1d", NULL,
     EV("t", TUE("1015"), TUE("1300"), "") EV("u", TUE("1315"), TUE("1700"), "") EV("w", WED("0900"), WED("1700"), "") EV("h", THU("0900"), THU("1700"), ""),
     tw_horizon_1d, 3600, "2026-03-04T12:00:00Z", 3, "2026-02-23T00:00:00Z", "2026-04-06T00:00:00Z", ""},
    {"short-day-between", "Europe/London", NULL, tw_mon_fri_only, 900, "2026-03-28T23:30:00Z", 1,
     "2026-03-16T00:00:00Z", "2026-04-06T00:00:00Z", "2026-03-29T23:00:00Z"},
};

static void run_near_row(gconstpointer data) {
  const NearRow *row = data;
  g_autoptr(TestDiary) t = make_diary(row->tz, row->ics);
  CheckRules rules;
  test_rules(&rules);
  if (row->tweak)
    row->tweak(&rules);
  gint64 near = test_instant(row->near);
  SlotQuery q = {.duration = row->duration,
                 .from = row->from ? test_instant(row->from) : near - rules.horizon,
                 .to = row->to ? test_instant(row->to) : near + rules.horizon};
  g_autoptr(GArray) slots = slots_nearest(t->diary, &rules, &q, near, row->n);
  g_autofree char *got = slot_starts(slots);
  g_assert_cmpstr(got, ==, row->expect);
  check_shape(slots, row->duration);
  g_assert_cmpuint(slots->len, <=, row->n);
}

/* slots_nearest agrees with a brute-force pick from slots_find on a busy
 * fortnight, for many starting points. */
static void test_nearest_matches_find(void) {
  g_autoptr(TestDiary) t = make_diary(
      "Europe/London",
      VEV("d", "DTSTART;TZID=Europe/London:20260302T093000\nDTEND;TZID=Europe/London:20260302T104500\n"
               "RRULE:FREQ=DAILY;COUNT=12\n" LOC("Office"))
          VEV("l", "DTSTART;TZID=Europe/London:20260302T123000\nDTEND;TZID=Europe/London:20260302T133000\n"
                   "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6\n" LOC("Canteen"))
              EV("z", "20260304T140000Z", "20260304T163000Z", LOC("Client site")));
  CheckRules rules;
  test_rules(&rules);
  rules.horizon = 3 * 86400;
  for (gint64 near = test_instant("2026-03-02T07:10:07Z"); near < test_instant("2026-03-09T00:00:00Z");
       near += 5 * 3600 + 7 * 60) {
    /* Off the grid (odd seconds), so no candidate sits exactly at `near`. */
    SlotQuery q = {.duration = 2700, .from = near - rules.horizon, .to = near + rules.horizon, .location = "Office"};
    g_autoptr(GArray) got = slots_nearest(t->diary, &rules, &q, near, 3);
    g_autoptr(GArray) all = slots_find(t->diary, &rules, &q);
    /* The three smallest distances among all free slots. */
    gint64 best[3] = {G_MAXINT64, G_MAXINT64, G_MAXINT64};
    for (guint i = 0; i < all->len; i++) {
      gint64 dist = ABS(g_array_index(all, Slot, i).start - near);
      for (int k = 0; k < 3; k++)
        if (dist < best[k]) {
          for (int m = 2; m > k; m--)
            best[m] = best[m - 1];
          best[k] = dist;
          break;
        }
    }
    g_autofree char *at = test_format(near);
    g_assert_cmpuint(got->len, ==, MIN(all->len, 3));
    gint64 dists[3];
    for (guint i = 0; i < got->len; i++)
      dists[i] = ABS(g_array_index(got, Slot, i).start - near);
    /* sort the distances */
    for (guint i = 0; i < got->len; i++)
      for (guint j = i + 1; j < got->len; j++)
        if (dists[j] < dists[i]) {
          gint64 tmp = dists[i];
          dists[i] = dists[j];
          dists[j] = tmp;
        }
    for (guint i = 0; i < got->len; i++)
      EXPECT(dists[i] == best[i], "near %s: nearest #%u is %" G_GINT64_FORMAT " s away, best is %" G_GINT64_FORMAT,
             at, i, dists[i], best[i]);
    check_shape(got, 2700);
  }
}

/* ---- slots_find against an independent test of each candidate ---------------- */

static gboolean oracle_free(const Diary *d, const CheckRules *rules, gint64 s, gint64 e, const char *location) {
  if (s < rules->now + rules->notice || !oracle_in_hours(d, rules, s, e))
    return FALSE;
  g_autoptr(GPtrArray) wanted = oracle_room_keys(location, NULL, NULL);
  for (guint i = 0; i < diary_n_occurrences(d); i++) {
    const Occurrence *o = diary_occurrence(d, i);
    gboolean overlap = o->start < e && o->end > s && o->end > o->start;
    if (overlap && o->appt->status != STATUS_CANCELLED) {
      g_autoptr(GPtrArray) theirs =
          oracle_room_keys(o->appt->location, (const char *const *)o->appt->resources, o->appt->attendees);
      if (oracle_keys_meet(wanted, theirs))
        return FALSE;
    }
    if (!diary_is_busy(d, o))
      continue;
    if (overlap)
      return FALSE;
    if (o->end <= s && s - o->end < oracle_required_gap(rules, o->appt->location, location, -1))
      return FALSE;
    if (o->start >= e && o->start - e < oracle_required_gap(rules, location, o->appt->location, o->appt->travel))
      return FALSE;
  }
  return oracle_workload_ok(d, rules, s, e, NULL);
}

static void test_find_matches_oracle(void) {
  g_autoptr(TestDiary) t = make_diary(
      "America/New_York",
      VEV("d", "DTSTART;TZID=America/New_York:20260302T093000\nDTEND;TZID=America/New_York:20260302T104500\n"
               "RRULE:FREQ=DAILY;COUNT=12\n" LOC("Office"))
          VEV("l", "DTSTART;TZID=America/New_York:20260302T123000\nDTEND;TZID=America/New_York:20260302T133000\n"
                   "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6\n" LOC("Room 4") TRANSPARENT)
              EV("z", "20260304T190000Z", "20260304T213000Z", LOC("Client site") "X-APPLE-TRAVEL-DURATION:PT50M\n")
                  EV("c", "20260305T150000Z", "20260305T160000Z", LOC("Office") CANCELLED)
                      EV("k", "20260306T140000Z", "20260306T150000Z", ""));
  static const char *const locations[] = {NULL, "Office", "Room 4", "Client site"};
  CheckRules rules;
  test_rules(&rules);
  rules.max_per_day = 3;
  gint64 from = test_instant("2026-03-01T00:00:00Z"), to = test_instant("2026-03-15T00:00:00Z");
  Zone *tz = diary_options(t->diary)->tz;
  for (gsize li = 0; li < G_N_ELEMENTS(locations); li++) {
    for (gint64 duration = 1800; duration <= 7200; duration += 2700) {
      SlotQuery q = {.duration = duration, .from = from, .to = to, .location = locations[li]};
      g_autoptr(GArray) slots = slots_find(t->diary, &rules, &q);
      check_shape(slots, duration);
      guint k = 0;
      /* Every step of local time: exactly the free ones are listed. */
      for (gint64 day = diary_day_of(t->diary, from); day <= diary_day_of(t->diary, to - 1); day++) {
        for (gint64 off = 0; off < 86400; off += rules.step) {
          gint64 s = zone_to_instant(tz, day * 86400 + off);
          if (zone_to_local(tz, s) != day * 86400 + off || s < from || s + duration > to)
            continue;
          gboolean want = oracle_free(t->diary, &rules, s, s + duration, locations[li]);
          gboolean listed = k < slots->len && g_array_index(slots, Slot, k).start == s;
          if (listed)
            k++;
          g_autofree char *when = test_format(s);
          EXPECT(want == listed, "location %s, %" G_GINT64_FORMAT " s at %s: %s but %s",
                 locations[li] ? locations[li] : "-", duration, when, want ? "free" : "not free",
                 listed ? "listed" : "not listed");
        }
      }
      EXPECT(k == slots->len, "%u slots off the local grid", slots->len - k);
    }
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  for (gsize i = 0; i < G_N_ELEMENTS(find_rows); i++) {
    g_autofree char *path = g_strdup_printf("/slots/find/%s", find_rows[i].name);
    g_test_add_data_func(path, &find_rows[i], run_find_row);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(why_rows); i++) {
    g_autofree char *path = g_strdup_printf("/slots/is-free/%s", why_rows[i].name);
    g_test_add_data_func(path, &why_rows[i], run_why_row);
  }
  g_test_add_func("/slots/is-free/exclude", test_exclude);
  for (gsize i = 0; i < G_N_ELEMENTS(near_rows); i++) {
    g_autofree char *path = g_strdup_printf("/slots/nearest/%s", near_rows[i].name);
    g_test_add_data_func(path, &near_rows[i], run_near_row);
  }
  g_test_add_func("/slots/nearest/matches-find", test_nearest_matches_find);
  g_test_add_func("/slots/find/matches-oracle", test_find_matches_oracle);
  return g_test_run();
}
