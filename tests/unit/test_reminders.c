/* Unit tests for core/reminders.c: which reminders are due, and when.
 *
 * Most rows are a small diary and the triggers it must give, written as
 * "DUE KEY" lines in (due, key) order, DUE in RFC 3339 UTC; an AUDIO alarm
 * adds " audio", a leave-now trigger " travel=SECONDS from=LOCATION".
 * Diaries cover 2026-03-01 (Sunday) to 2026-04-06 unless a row says
 * otherwise; Monday 2026-03-02 is the usual day.  The owner is
 * me@example.com.  Nothing reads the clock: every window is fixed.
 */
#include "testutil.h"

#include <string.h>

#include "reminders.h"
#include "when.h"

#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\nSUMMARY:" uid "\n" body "END:VEVENT\n"
#define EV(uid, s, e, extra) VEV(uid, "DTSTART:" s "\nDTEND:" e "\n" extra)
#define ZEV(uid, tz, s, e, extra) VEV(uid, "DTSTART;TZID=" tz ":" s "\nDTEND;TZID=" tz ":" e "\n" extra)
#define ALLDAY(uid, d1, d2, extra) VEV(uid, "DTSTART;VALUE=DATE:" d1 "\nDTEND;VALUE=DATE:" d2 "\n" extra)
#define MON(h) "20260302T" h "0000Z" /* whole hours; other times are written out */
#define TUE(h) "20260303T" h "0000Z"

/* A VALARM; `trigger` starts with ':' or ';' (parameters). */
#define VALARM(action, trigger, extra) \
  "BEGIN:VALARM\nACTION:" action "\nTRIGGER" trigger "\nDESCRIPTION:Reminder\n" extra "END:VALARM\n"
#define DISPLAY(trigger) VALARM("DISPLAY", trigger, "")

#define LOC(x) "LOCATION:" x "\n"
#define WEEKLY4 "RRULE:FREQ=WEEKLY;COUNT=4\n"

static const char *const owners[] = {"me@example.com", NULL};

/* ---- helpers --------------------------------------------------------------- */

static TestDiary *make_diary_range(const char *tz, const char *from, const char *to, const char *ics,
                                   const char *ics2) {
  return test_diary_sources(tz, from, to, owners, ics, ics2);
}

static TestDiary *make_diary(const char *tz, const char *ics, const char *ics2) {
  return make_diary_range(tz, "2026-03-01", "2026-04-06", ics, ics2);
}

/* Default reminders: 10 min and 1 h for a.ics, none elsewhere. */
static const GArray *defaults_a(const char *source, gpointer data) {
  return g_strcmp0(source, "a.ics") == 0 ? data : NULL;
}

typedef struct {
  GArray *offsets;
  ReminderQuery q;
} Query;

/* A query for the whole diary window, the owner, no defaults, no travel. */
static void query_init(Query *qq, const TestDiary *t) {
  memset(qq, 0, sizeof *qq);
  const DiaryOptions *o = diary_options(t->diary);
  qq->q.from = o->from;
  qq->q.to = o->to;
  qq->q.owners = owners;
}

static void query_defaults(Query *qq) {
  static const gint64 offs[] = {600, 3600};
  qq->offsets = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_array_append_vals(qq->offsets, offs, G_N_ELEMENTS(offs));
  qq->q.defaults = defaults_a;
  qq->q.defaults_data = qq->offsets;
}

static void query_clear(Query *qq) {
  if (qq->offsets)
    g_array_unref(qq->offsets);
}

static GPtrArray *list(const TestDiary *t, const ReminderQuery *q) {
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  EXPECT(reminders_list(t->diary, q, out), "listing cut short");
  return out;
}

static char *describe(const GPtrArray *triggers) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < triggers->len; i++) {
    const Trigger *tr = g_ptr_array_index(triggers, i);
    g_autofree char *due = test_format(tr->due);
    g_string_append_printf(s, "%s%s %s", i ? "\n" : "", due, tr->key);
    if (tr->audio)
      g_string_append(s, " audio");
    if (tr->kind == TRIGGER_LEAVE)
      g_string_append_printf(s, " travel=%" G_GINT64_FORMAT " from=%s", tr->travel, tr->from_location);
  }
  return g_string_free(s, FALSE);
}

static const Trigger *find_key(const GPtrArray *triggers, const char *key) {
  for (guint i = 0; i < triggers->len; i++) {
    const Trigger *tr = g_ptr_array_index(triggers, i);
    if (strcmp(tr->key, key) == 0)
      return tr;
  }
  return NULL;
}

/* ---- the table --------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *tz;           /* diary zone, NULL = UTC */
  const char *days_from, *days_to; /* diary dates, NULL = 2026-03-01 .. 2026-04-06 */
  const char *ics, *ics2;   /* a.ics, b.ics */
  const char *from, *to;    /* query window, NULL = the diary's */
  gint64 travel;
  gboolean defaults;        /* a.ics: 10 min and 1 h before */
  const char *expect;
} Row;

static const Row alarm_rows[] = {
  {.name = "display",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "audio",
   .ics = EV("a", MON("09"), MON("10"), VALARM("AUDIO", ":-PT5M", "")),
   .expect = "2026-03-02T08:55:00Z alarm|a|-|0:-PT5M|r0 audio"},
  {.name = "email-procedure-none-ignored",
   .ics = EV("a", MON("09"), MON("10"),
             VALARM("EMAIL", ":-PT15M", "SUMMARY:x\nATTENDEE:mailto:me@example.com\n")
             VALARM("PROCEDURE", ":-PT10M", "") VALARM("NONE", ":-PT5M", "")),
   .expect = ""},
  {.name = "index-counts-every-alarm",
   .ics = EV("a", MON("09"), MON("10"), VALARM("EMAIL", ":-PT15M", "SUMMARY:x\n") DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|1:-PT15M|r0"},
  {.name = "same-spelling-of-trigger",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT900S") DISPLAY(":-P0DT1H30M")),
   .expect = "2026-03-02T07:30:00Z alarm|a|-|1:-PT1H30M|r0\n2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "valarm-uid-is-identity",
   .ics = EV("a", MON("09"), MON("10"), VALARM("DISPLAY", ":-PT15M", "UID:al|1\n")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|U:al%7C1|r0"},
  {.name = "related-end",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(";RELATED=END:PT5M") DISPLAY(";RELATED=END:-PT10M")),
   .expect = "2026-03-02T09:50:00Z alarm|a|-|1:-PT10M/END|r0\n2026-03-02T10:05:00Z alarm|a|-|0:PT5M/END|r0"},
  {.name = "absolute",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(";VALUE=DATE-TIME:20260302T070000Z")),
   .expect = "2026-03-02T07:00:00Z alarm|a|-|0:@20260302T070000Z|r0"},
  {.name = "repeat",
   .ics = EV("a", MON("09"), MON("10"), VALARM("DISPLAY", ":-PT15M", "REPEAT:2\nDURATION:PT5M\n")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0\n"
             "2026-03-02T08:50:00Z alarm|a|-|0:-PT15M|r1\n"
             "2026-03-02T08:55:00Z alarm|a|-|0:-PT15M|r2"},
  {.name = "repeat-clipped-to-window",
   .ics = EV("a", MON("09"), MON("10"), VALARM("DISPLAY", ":-PT15M", "REPEAT:2\nDURATION:PT5M\n")),
   .from = "2026-03-02T08:50:00Z", .to = "2026-03-02T08:55:00Z",
   .expect = "2026-03-02T08:50:00Z alarm|a|-|0:-PT15M|r1"},
  {.name = "transparent-still-reminds",
   .ics = EV("a", MON("09"), MON("10"), "TRANSP:TRANSPARENT\n" DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "cancelled",
   .ics = EV("a", MON("09"), MON("10"), "STATUS:CANCELLED\n" DISPLAY(":-PT15M")),
   .expect = ""},
  {.name = "declined-by-owner",
   .ics = EV("a", MON("09"), MON("10"), "ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\n" DISPLAY(":-PT15M")),
   .expect = ""},
  {.name = "declined-by-someone-else",
   .ics = EV("a", MON("09"), MON("10"), "ATTENDEE;PARTSTAT=DECLINED:mailto:you@example.com\n" DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
};

/* Nominal days (RFC 5545 §3.3.6).  Europe/London moves to BST at 01:00 UTC
 * on Sunday 2026-03-29 and back at 01:00 UTC on Sunday 2026-10-25. */
static const Row nominal_rows[] = {
  {.name = "day-before-across-spring-change", .tz = "Europe/London",
   .ics = ZEV("a", "Europe/London", "20260329T090000", "20260329T100000", DISPLAY(":-P1D")),
   /* 09:00 GMT on Saturday, not 24 h before 08:00Z. */
   .expect = "2026-03-28T09:00:00Z alarm|a|-|0:-P1D|r0"},
  {.name = "24h-across-spring-change", .tz = "Europe/London",
   .ics = ZEV("a", "Europe/London", "20260329T090000", "20260329T100000", DISPLAY(":-PT24H")),
   .expect = "2026-03-28T08:00:00Z alarm|a|-|0:-PT24H|r0"},
  {.name = "day-before-after-the-change", .tz = "Europe/London",
   /* Both days in BST: a nominal day is 24 h here. */
   .ics = ZEV("a", "Europe/London", "20260330T090000", "20260330T100000", DISPLAY(":-P1D")),
   .expect = "2026-03-29T08:00:00Z alarm|a|-|0:-P1D|r0"},
  {.name = "week-and-hours", .tz = "Europe/London",
   /* Days first on the wall clock (09:00 BST -> 09:00 GMT), then 2 h exactly. */
   .ics = ZEV("a", "Europe/London", "20260401T090000", "20260401T100000", DISPLAY(":-P1WT2H")),
   .expect = "2026-03-25T07:00:00Z alarm|a|-|0:-P7DT2H|r0"},
  {.name = "day-before-across-autumn-change", .tz = "Europe/London",
   .days_from = "2026-10-20", .days_to = "2026-10-30",
   .ics = ZEV("a", "Europe/London", "20261025T090000", "20261025T100000", DISPLAY(":-P1D") DISPLAY(":-PT24H")),
   .expect = "2026-10-24T08:00:00Z alarm|a|-|0:-P1D|r0\n2026-10-24T09:00:00Z alarm|a|-|1:-PT24H|r0"},
  {.name = "zone-of-the-event-not-the-diary", .tz = "UTC",
   .ics = ZEV("a", "Europe/London", "20260329T090000", "20260329T100000", DISPLAY(":-P1D")),
   .expect = "2026-03-28T09:00:00Z alarm|a|-|0:-P1D|r0"},
  {.name = "utc-event-days-are-24h", .tz = "Europe/London",
   .ics = EV("a", "20260329T080000Z", "20260329T090000Z", DISPLAY(":-P1D")),
   .expect = "2026-03-28T08:00:00Z alarm|a|-|0:-P1D|r0"},
  {.name = "all-day-15h-before", .tz = "Europe/Berlin",
   .days_from = "2026-06-01", .days_to = "2026-06-30",
   /* Starts at midnight CEST (22:00Z); 15 h before is 09:00 CEST the day before. */
   .ics = ALLDAY("a", "20260610", "20260611", DISPLAY(":-PT15H")),
   .expect = "2026-06-09T07:00:00Z alarm|a|-|0:-PT15H|r0"},
  {.name = "all-day-nominal-day-across-change", .tz = "Europe/Berlin",
   /* 2026-03-30 starts 22:00Z (CEST); a day before is midnight CET, 23:00Z. */
   .ics = ALLDAY("a", "20260330", "20260331", DISPLAY(":-P1D") DISPLAY(":-PT24H")),
   .expect = "2026-03-28T22:00:00Z alarm|a|-|1:-PT24H|r0\n2026-03-28T23:00:00Z alarm|a|-|0:-P1D|r0"},
  {.name = "floating-read-in-diary-zone", .tz = "Europe/Berlin",
   .ics = EV("a", "20260302T090000", "20260302T100000", DISPLAY(":-PT15M")),
   .expect = "2026-03-02T07:45:00Z alarm|a|-|0:-PT15M|r0"},
};

static const Row recurring_rows[] = {
  {.name = "weekly",
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(":-PT15M")),
   .from = "2026-03-02T00:00:00Z", .to = "2026-03-17T00:00:00Z",
   .expect = "2026-03-02T08:45:00Z alarm|w|20260302T090000Z|0:-PT15M|r0\n"
             "2026-03-09T08:45:00Z alarm|w|20260309T090000Z|0:-PT15M|r0\n"
             "2026-03-16T08:45:00Z alarm|w|20260316T090000Z|0:-PT15M|r0"},
  {.name = "override-moves-its-trigger",
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(":-PT15M"))
          VEV("w", "RECURRENCE-ID:20260309T090000Z\nDTSTART:20260310T140000Z\nDTEND:20260310T150000Z\n"
                   DISPLAY(":-PT15M")),
   .from = "2026-03-02T00:00:00Z", .to = "2026-03-17T00:00:00Z",
   .expect = "2026-03-02T08:45:00Z alarm|w|20260302T090000Z|0:-PT15M|r0\n"
             "2026-03-10T13:45:00Z alarm|w|20260309T090000Z|0:-PT15M|r0\n"
             "2026-03-16T08:45:00Z alarm|w|20260316T090000Z|0:-PT15M|r0"},
  {.name = "override-without-alarm-has-none",
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(":-PT15M"))
          VEV("w", "RECURRENCE-ID:20260309T090000Z\nDTSTART:20260310T140000Z\nDTEND:20260310T150000Z\n"),
   .from = "2026-03-02T00:00:00Z", .to = "2026-03-17T00:00:00Z",
   .expect = "2026-03-02T08:45:00Z alarm|w|20260302T090000Z|0:-PT15M|r0\n"
             "2026-03-16T08:45:00Z alarm|w|20260316T090000Z|0:-PT15M|r0"},
  {.name = "cancelled-occurrence",
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(":-PT15M"))
          VEV("w", "RECURRENCE-ID:20260309T090000Z\nDTSTART:20260309T090000Z\nDTEND:20260309T100000Z\n"
                   "STATUS:CANCELLED\n" DISPLAY(":-PT15M")),
   .from = "2026-03-02T00:00:00Z", .to = "2026-03-10T00:00:00Z",
   .expect = "2026-03-02T08:45:00Z alarm|w|20260302T090000Z|0:-PT15M|r0"},
  {.name = "absolute-once-on-the-next-occurrence",
   /* An absolute trigger is one instant: listed once, with the first
    * occurrence at or after it; its key names the master ("-"). */
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(";VALUE=DATE-TIME:20260308T120000Z")),
   .expect = "2026-03-08T12:00:00Z alarm|w|-|0:@20260308T120000Z|r0"},
  {.name = "absolute-after-the-last-occurrence",
   .ics = EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(";VALUE=DATE-TIME:20260324T120000Z")),
   .expect = "2026-03-24T12:00:00Z alarm|w|-|0:@20260324T120000Z|r0"},
};

/* RFC 9074 ACKNOWLEDGED and Thunderbird's X-MOZ-* alarm state. */
static const Row ack_rows[] = {
  {.name = "acknowledged-skips-earlier-not-later-repeats",
   .ics = EV("a", MON("09"), MON("10"),
             VALARM("DISPLAY", ":-PT15M", "REPEAT:2\nDURATION:PT5M\nACKNOWLEDGED:20260302T085000Z\n")),
   .expect = "2026-03-02T08:55:00Z alarm|a|-|0:-PT15M|r2"},
  {.name = "acknowledged-is-per-alarm",
   .ics = EV("a", MON("09"), MON("10"),
             VALARM("DISPLAY", ":-PT15M", "ACKNOWLEDGED:20260302T085000Z\n") DISPLAY(":-PT30M")),
   .expect = "2026-03-02T08:30:00Z alarm|a|-|1:-PT30M|r0"},
  {.name = "moz-lastack-covers-every-alarm",
   .ics = EV("a", MON("09"), MON("10"),
             "X-MOZ-LASTACK:20260302T084500Z\n" DISPLAY(":-PT30M") DISPLAY(":-PT15M") DISPLAY(":-PT5M")),
   .expect = "2026-03-02T08:55:00Z alarm|a|-|2:-PT5M|r0"},
  {.name = "moz-snooze",
   .ics = EV("a", MON("09"), MON("10"),
             "X-MOZ-LASTACK:20260302T084600Z\nX-MOZ-SNOOZE-TIME:20260302T090500Z\n" DISPLAY(":-PT15M")),
   .expect = "2026-03-02T09:05:00Z snooze|a|-|20260302T090500Z"},
  {.name = "moz-snooze-dismissed-later",
   .ics = EV("a", MON("09"), MON("10"),
             "X-MOZ-LASTACK:20260302T091000Z\nX-MOZ-SNOOZE-TIME:20260302T090500Z\n" DISPLAY(":-PT15M")),
   .expect = ""},
  {.name = "moz-snooze-recurring",
   /* 1773046800000000 us = 2026-03-09T09:00:00Z: that occurrence only. */
   .ics = EV("w", MON("09"), MON("10"),
             WEEKLY4 "X-MOZ-LASTACK:20260309T084600Z\nX-MOZ-SNOOZE-TIME-1773046800000000:20260309T090500Z\n"
             DISPLAY(":-PT15M")),
   .expect = "2026-03-09T09:05:00Z snooze|w|20260309T090000Z|20260309T090500Z\n"
             "2026-03-16T08:45:00Z alarm|w|20260316T090000Z|0:-PT15M|r0\n"
             "2026-03-23T08:45:00Z alarm|w|20260323T090000Z|0:-PT15M|r0"},
  {.name = "moz-snooze-recurring-all-day", .tz = "Europe/Berlin",
   /* Thunderbird numbers a date by its wall clock read as UTC:
    * 1773100800000000 us = 2026-03-10T00:00:00Z. */
   .ics = ALLDAY("w", "20260303", "20260304",
                 "RRULE:FREQ=WEEKLY;COUNT=2\nX-MOZ-LASTACK:20260309T090000Z\n"
                 "X-MOZ-SNOOZE-TIME-1773100800000000:20260309T100000Z\n" DISPLAY(":-PT15H")),
   .expect = "2026-03-09T10:00:00Z snooze|w|20260309T230000Z|20260309T100000Z"},
  {.name = "moz-plain-snooze-ignored-on-recurring",
   .ics = EV("w", MON("09"), MON("10"),
             "RRULE:FREQ=WEEKLY;COUNT=1\nX-MOZ-LASTACK:20260302T084600Z\nX-MOZ-SNOOZE-TIME:20260302T090500Z\n"
             DISPLAY(":-PT15M")),
   .expect = ""},
};

static const Row default_rows[] = {
  {.name = "event-without-alarm", .defaults = TRUE,
   .ics = EV("a", MON("09"), MON("10"), ""),
   .expect = "2026-03-02T08:00:00Z default|a|-|-PT1H\n2026-03-02T08:50:00Z default|a|-|-PT10M"},
  {.name = "display-alarm-replaces-defaults", .defaults = TRUE,
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "email-alarm-does-not", .defaults = TRUE,
   .ics = EV("a", MON("09"), MON("10"), VALARM("EMAIL", ":-PT15M", "SUMMARY:x\n")),
   .expect = "2026-03-02T08:00:00Z default|a|-|-PT1H\n2026-03-02T08:50:00Z default|a|-|-PT10M"},
  {.name = "per-source", .defaults = TRUE,
   .ics = EV("a", MON("09"), MON("10"), ""), .ics2 = EV("b", MON("09"), MON("10"), ""),
   .expect = "2026-03-02T08:00:00Z default|a|-|-PT1H\n2026-03-02T08:50:00Z default|a|-|-PT10M"},
  {.name = "all-day-from-local-midnight", .defaults = TRUE, .tz = "Europe/Berlin",
   .ics = ALLDAY("a", "20260303", "20260304", ""),
   /* Midnight CET is 23:00Z the day before. */
   .expect = "2026-03-02T22:00:00Z default|a|-|-PT1H\n2026-03-02T22:50:00Z default|a|-|-PT10M"},
  {.name = "none-asked-for",
   .ics = EV("a", MON("09"), MON("10"), ""),
   .expect = ""},
  {.name = "cancelled", .defaults = TRUE,
   .ics = EV("a", MON("09"), MON("10"), "STATUS:CANCELLED\n"),
   .expect = ""},
};

#define OFFICE(uid, s, e) EV(uid, MON(s), MON(e), LOC("Office"))
#define CLIENT(uid, s, e, extra) EV(uid, MON(s), MON(e), LOC("Client site") extra)

static const Row leave_rows[] = {
  {.name = "travel-before-next-place", .travel = 1800,
   .ics = OFFICE("a", "09", "10") CLIENT("b", "11", "12", ""),
   .expect = "2026-03-02T10:30:00Z leave|b|- travel=1800 from=Office"},
  {.name = "apple-travel-clamps-to-previous-end", .travel = 1800,
   .ics = OFFICE("a", "09", "10") CLIENT("b", "11", "12", "X-APPLE-TRAVEL-DURATION:PT1H30M\n"),
   .expect = "2026-03-02T10:00:00Z leave|b|- travel=5400 from=Office"},
  {.name = "same-place", .travel = 1800,
   .ics = OFFICE("a", "09", "10") EV("b", MON("11"), MON("12"), LOC("  office ")),
   .expect = ""},
  {.name = "link-location", .travel = 1800,
   .ics = OFFICE("a", "09", "10") EV("b", MON("11"), MON("12"), LOC("https://meet.example.com/abc")),
   .expect = ""},
  {.name = "previous-without-place", .travel = 1800,
   .ics = EV("a", MON("09"), MON("10"), "") CLIENT("b", "11", "12", ""),
   .expect = ""},
  {.name = "something-in-between", .travel = 1800,
   .ics = OFFICE("a", "09", "10") EV("c", "20260302T101500Z", "20260302T104500Z", "") CLIENT("b", "11", "12", ""),
   .expect = ""},
  {.name = "something-overlapping-the-start", .travel = 1800,
   .ics = OFFICE("a", "09", "10") EV("c", "20260302T103000Z", "20260302T113000Z", "") CLIENT("b", "11", "12", ""),
   .expect = ""},
  {.name = "free-one-in-between-does-not-count", .travel = 1800,
   .ics = OFFICE("a", "09", "10") EV("c", "20260302T101500Z", "20260302T104500Z", "TRANSP:TRANSPARENT\n")
          CLIENT("b", "11", "12", ""),
   .expect = "2026-03-02T10:30:00Z leave|b|- travel=1800 from=Office"},
  {.name = "the-latest-one-before", .travel = 1800,
   /* c follows a straight away at another place: leave when a ends. */
   .ics = OFFICE("a", "08", "09") EV("c", MON("09"), MON("10"), LOC("Station")) CLIENT("b", "11", "12", ""),
   .expect = "2026-03-02T09:00:00Z leave|c|- travel=1800 from=Office\n"
             "2026-03-02T10:30:00Z leave|b|- travel=1800 from=Station"},
  {.name = "previous-day", .travel = 1800,
   .ics = EV("a", "20260301T220000Z", "20260301T230000Z", LOC("Office")) CLIENT("b", "01", "02", ""),
   .expect = ""},
  {.name = "free-target", .travel = 1800,
   .ics = OFFICE("a", "09", "10") CLIENT("b", "11", "12", "TRANSP:TRANSPARENT\n"),
   .expect = ""},
  {.name = "free-previous", .travel = 1800,
   .ics = EV("a", MON("09"), MON("10"), LOC("Office") "TRANSP:TRANSPARENT\n") CLIENT("b", "11", "12", ""),
   .expect = ""},
  {.name = "off", .travel = 0,
   .ics = OFFICE("a", "09", "10") CLIENT("b", "11", "12", "X-APPLE-TRAVEL-DURATION:PT1H\n"),
   .expect = ""},
  {.name = "alongside-alarms", .travel = 1800,
   .ics = OFFICE("a", "09", "10") CLIENT("b", "11", "12", DISPLAY(":-PT15M")),
   .expect = "2026-03-02T10:30:00Z leave|b|- travel=1800 from=Office\n"
             "2026-03-02T10:45:00Z alarm|b|-|0:-PT15M|r0"},
};

static const Row window_rows[] = {
  {.name = "from-included-to-excluded",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")) EV("b", MON("10"), MON("11"), DISPLAY(":-PT15M")),
   .from = "2026-03-02T08:45:00Z", .to = "2026-03-02T09:45:00Z",
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "sorted-by-due-then-key",
   .ics = EV("c", MON("09"), MON("10"), DISPLAY(":-PT15M")) EV("b", MON("08"), MON("09"), DISPLAY(":-PT5M"))
          EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .expect = "2026-03-02T07:55:00Z alarm|b|-|0:-PT5M|r0\n"
             "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0\n"
             "2026-03-02T08:45:00Z alarm|c|-|0:-PT15M|r0"},
  {.name = "occurrence-after-the-window",
   /* The window is one day; the event a week later still reminds in it. */
   .ics = EV("a", "20260320T090000Z", "20260320T100000Z", DISPLAY(":-P7D")),
   .from = "2026-03-13T00:00:00Z", .to = "2026-03-14T00:00:00Z",
   .expect = "2026-03-13T09:00:00Z alarm|a|-|0:-P7D|r0"},
  {.name = "occurrence-before-the-window",
   .ics = EV("a", "20260302T090000Z", "20260302T100000Z", DISPLAY(";RELATED=END:P2D")),
   .from = "2026-03-04T00:00:00Z", .to = "2026-03-05T00:00:00Z",
   .expect = "2026-03-04T10:00:00Z alarm|a|-|0:P2D/END|r0"},
  {.name = "beyond-reach",
   /* Five weeks before: further than the four weeks honoured. */
   .ics = EV("a", "20260405T090000Z", "20260405T100000Z", DISPLAY(":-P5W")),
   .expect = ""},
  {.name = "same-uid-in-two-calendars",
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .ics2 = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
  {.name = "same-uid-first-source-wins",
   /* b.ics holds an older copy an hour earlier: a.ics's is listed. */
   .ics = EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")),
   .ics2 = EV("a", MON("08"), MON("09"), DISPLAY(":-PT15M")),
   .expect = "2026-03-02T08:45:00Z alarm|a|-|0:-PT15M|r0"},
};

static void run_row(gconstpointer data) {
  const Row *row = data;
  g_autoptr(TestDiary) t = make_diary_range(row->tz, row->days_from ? row->days_from : "2026-03-01",
                                            row->days_to ? row->days_to : "2026-04-06", row->ics, row->ics2);
  Query qq;
  query_init(&qq, t);
  if (row->from)
    qq.q.from = test_instant(row->from);
  if (row->to)
    qq.q.to = test_instant(row->to);
  qq.q.travel = row->travel;
  if (row->defaults)
    query_defaults(&qq);
  g_autoptr(GPtrArray) got = list(t, &qq.q);
  g_autofree char *text = describe(got);
  EXPECT(strcmp(text, row->expect) == 0, "got\n%s\nwanted\n%s", text, row->expect);
  query_clear(&qq);
}

/* ---- fields and choices -------------------------------------------------------- */

static void test_fields(void) {
  g_autoptr(TestDiary) t = make_diary(
      "UTC",
      EV("a", MON("09"), MON("10"),
         LOC("Room 1") "URL:https://example.com/a\n"
         "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Stand up\nEND:VALARM\n")
      EV("b", TUE("09"), TUE("10"), LOC("https://meet.example.com/b") DISPLAY(":-PT15M"))
      EV("c", TUE("11"), TUE("12"), "CONFERENCE;VALUE=URI:https://conf.example.com/c\nURL:https://x/\n"
                                    DISPLAY(":-PT15M"))
      ALLDAY("d", "20260304", "20260305", DISPLAY(":-PT15M")),
      NULL);
  Query qq;
  query_init(&qq, t);
  g_autoptr(GPtrArray) got = list(t, &qq.q);
  g_assert_cmpuint(got->len, ==, 4);
  const Trigger *a = find_key(got, "alarm|a|-|0:-PT15M|r0");
  g_assert_nonnull(a);
  EXPECT(a->kind == TRIGGER_ALARM, "kind %d", a->kind);
  EXPECT(g_strcmp0(a->uid, "a") == 0 && g_strcmp0(a->summary, "a") == 0, "uid/summary");
  EXPECT(g_strcmp0(a->location, "Room 1") == 0, "location %s", a->location);
  EXPECT(g_strcmp0(a->description, "Stand up") == 0, "description %s", a->description);
  EXPECT(g_strcmp0(a->link, "https://example.com/a") == 0, "link from URL: %s", a->link);
  EXPECT(g_strcmp0(a->source, "a.ics") == 0, "source %s", a->source);
  EXPECT(a->start == test_instant("2026-03-02T09:00:00Z") && a->end == test_instant("2026-03-02T10:00:00Z"),
         "occurrence");
  EXPECT(a->recurrence_id == APPT_NO_TIME && !a->all_day && !a->audio, "flags");
  EXPECT(a->travel == 0 && a->from_location == NULL, "no leave fields");
  const Trigger *b = find_key(got, "alarm|b|-|0:-PT15M|r0");
  g_assert_nonnull(b);
  EXPECT(g_strcmp0(b->link, "https://meet.example.com/b") == 0, "link from LOCATION: %s", b->link);
  const Trigger *c = find_key(got, "alarm|c|-|0:-PT15M|r0");
  g_assert_nonnull(c);
  EXPECT(g_strcmp0(c->link, "https://conf.example.com/c") == 0, "conference first: %s", c->link);
  EXPECT(c->description && strcmp(c->description, "Reminder") == 0, "description %s", c->description);
  const Trigger *d = find_key(got, "alarm|d|-|0:-PT15M|r0");
  g_assert_nonnull(d);
  EXPECT(d->all_day && d->link == NULL, "all day, no link");
  g_autofree char *due = test_format(d->due);
  EXPECT(strcmp(due, "2026-03-03T23:45:00Z") == 0, "all-day due %s", due);
  query_clear(&qq);
}

/* The occurrence an absolute trigger is shown with does not depend on the
 * window asked for. */
static void test_absolute_attachment(void) {
  g_autoptr(TestDiary) t =
      make_diary("UTC", EV("w", MON("09"), MON("10"), WEEKLY4 DISPLAY(";VALUE=DATE-TIME:20260308T120000Z")), NULL);
  const char *windows[][2] = {{"2026-03-01T00:00:00Z", "2026-04-06T00:00:00Z"},
                              {"2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"},
                              {"2026-03-08T12:00:00Z", "2026-03-08T12:00:01Z"}};
  for (gsize i = 0; i < G_N_ELEMENTS(windows); i++) {
    Query qq;
    query_init(&qq, t);
    qq.q.from = test_instant(windows[i][0]);
    qq.q.to = test_instant(windows[i][1]);
    g_autoptr(GPtrArray) got = list(t, &qq.q);
    EXPECT(got->len == 1, "window %zu: %u triggers", i, got->len);
    if (got->len != 1)
      continue;
    const Trigger *tr = g_ptr_array_index(got, 0);
    EXPECT(tr->recurrence_id == test_instant("2026-03-09T09:00:00Z"), "window %zu: attached to the wrong one", i);
    EXPECT(tr->start == test_instant("2026-03-09T09:00:00Z"), "window %zu: start", i);
  }
}

static char *keys_of(const char *vevent) {
  g_autoptr(TestDiary) t = make_diary("Europe/London", vevent, NULL);
  Query qq;
  query_init(&qq, t);
  qq.q.travel = 1800;
  g_autoptr(GPtrArray) got = list(t, &qq.q);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < got->len; i++)
    g_string_append_printf(s, "%s\n", ((const Trigger *)g_ptr_array_index(got, i))->key);
  return g_string_free(s, FALSE);
}

#define STABLE_ALARMS \
  DISPLAY(":-PT15M") VALARM("AUDIO", ":-P1D", "UID:morning\nREPEAT:1\nDURATION:PT10M\n")

static void test_key_stability(void) {
  g_autofree char *one = keys_of(VEV("k", "DTSTAMP:20260101T000000Z\nDTSTART:20260302T090000Z\n"
                                          "DTEND:20260302T100000Z\n" STABLE_ALARMS));
  g_autofree char *edited = keys_of(
      "BEGIN:VEVENT\nUID:k\nSUMMARY:Renamed\nDESCRIPTION:new notes\nDTSTAMP:20260215T101010Z\nSEQUENCE:3\n"
      "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
      "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT900S\nDESCRIPTION:Other words\nEND:VALARM\n"
      "BEGIN:VALARM\nUID:morning\nACTION:AUDIO\nTRIGGER:-P1D\nREPEAT:1\nDURATION:PT10M\nEND:VALARM\n"
      "END:VEVENT\n");
  g_autofree char *moved = keys_of(VEV("k", "DTSTAMP:20260101T000000Z\nDTSTART:20260304T140000Z\n"
                                            "DTEND:20260304T150000Z\n" STABLE_ALARMS));
  const char *want = "alarm|k|-|U:morning|r0\nalarm|k|-|U:morning|r1\nalarm|k|-|0:-PT15M|r0\n";
  EXPECT(strcmp(one, want) == 0, "keys\n%s", one);
  EXPECT(strcmp(edited, one) == 0, "edited summary/description/dtstamp changed keys:\n%s", edited);
  EXPECT(strcmp(moved, one) == 0, "moving DTSTART changed keys:\n%s", moved);

  /* ...but the due moves with it. */
  g_autoptr(TestDiary) t = make_diary(
      "UTC", VEV("k", "DTSTART:20260304T140000Z\nDTEND:20260304T150000Z\n" DISPLAY(":-PT15M")), NULL);
  Query qq;
  query_init(&qq, t);
  g_autoptr(GPtrArray) got = list(t, &qq.q);
  g_assert_cmpuint(got->len, ==, 1);
  g_autofree char *due = test_format(((const Trigger *)g_ptr_array_index(got, 0))->due);
  EXPECT(strcmp(due, "2026-03-04T13:45:00Z") == 0, "due %s", due);
}

/* Listing [a, b) then [b, c) gives what [a, c) gives. */
static void test_windows_compose(void) {
  g_autoptr(TestDiary) t = make_diary(
      "Europe/London",
      EV("w", MON("09"), MON("10"), "RRULE:FREQ=DAILY;COUNT=20\n" DISPLAY(":-PT15M") DISPLAY(";RELATED=END:P1D")
                                        DISPLAY(";VALUE=DATE-TIME:20260310T000000Z"))
          OFFICE("a", "07", "08") CLIENT("b", "09", "10", "")
          EV("x", "20260315T120000Z", "20260315T130000Z", VALARM("DISPLAY", ":-P3D", "REPEAT:5\nDURATION:PT6H\n")),
      NULL);
  Query qq;
  query_init(&qq, t);
  qq.q.travel = 3600;
  g_autoptr(GPtrArray) whole = list(t, &qq.q);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  gint64 to = qq.q.to;
  for (gint64 from = qq.q.from; from < to; from += 7 * 3600 + 13) {
    qq.q.from = from;
    qq.q.to = MIN(from + 7 * 3600 + 13, to);
    EXPECT(reminders_list(t->diary, &qq.q, parts), "cut short");
  }
  g_autofree char *a = describe(whole);
  g_autofree char *b = describe(parts);
  EXPECT(whole->len > 40, "only %u triggers", whole->len);
  EXPECT(strcmp(a, b) == 0, "whole\n%s\nin parts\n%s", a, b);
}

static void test_reach(void) {
  g_autoptr(TestDiary) t =
      make_diary("UTC", EV("a", "20260405T090000Z", "20260405T100000Z", DISPLAY(":-P5W") DISPLAY(":-P2D")), NULL);
  Query qq;
  query_init(&qq, t);
  g_autoptr(GPtrArray) def = list(t, &qq.q);
  g_autofree char *d = describe(def);
  EXPECT(strcmp(d, "2026-04-03T09:00:00Z alarm|a|-|1:-P2D|r0") == 0, "default reach: %s", d);
  qq.q.reach = 40 * 86400;
  g_autoptr(GPtrArray) wide = list(t, &qq.q);
  g_autofree char *w = describe(wide);
  EXPECT(strcmp(w, "2026-03-01T09:00:00Z alarm|a|-|0:-P35D|r0\n2026-04-03T09:00:00Z alarm|a|-|1:-P2D|r0") == 0,
         "40-day reach: %s", w);
  qq.q.reach = 86400;
  g_autoptr(GPtrArray) narrow = list(t, &qq.q);
  EXPECT(narrow->len == 0, "1-day reach: %u", narrow->len);
}

static void test_appends_after_existing(void) {
  g_autoptr(TestDiary) t = make_diary("UTC", EV("a", MON("09"), MON("10"), DISPLAY(":-PT15M")), NULL);
  Query qq;
  query_init(&qq, t);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  Trigger *old = g_new0(Trigger, 1);
  old->key = g_strdup("old");
  old->due = test_instant("2027-01-01T00:00:00Z");
  g_ptr_array_add(out, old);
  g_assert_true(reminders_list(t->diary, &qq.q, out));
  g_assert_cmpuint(out->len, ==, 2);
  EXPECT(g_ptr_array_index(out, 0) == old, "existing entry moved");
  qq.q.from = qq.q.to;
  g_assert_true(reminders_list(t->diary, &qq.q, out));
  EXPECT(out->len == 2, "an empty window added %u", out->len - 2);
}

static void test_cap(void) {
  /* 101 alarms of 1,001 triggers each: more than the cap. */
  GString *ev = g_string_new("BEGIN:VEVENT\nUID:flood\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n");
  for (int i = 0; i < 101; i++)
    g_string_append_printf(ev, "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT%dM\nREPEAT:1000\n"
                               "DURATION:PT1S\nEND:VALARM\n", i + 20);
  g_string_append(ev, "END:VEVENT\n");
  g_autoptr(TestDiary) t = make_diary("UTC", ev->str, NULL);
  g_string_free(ev, TRUE);
  Query qq;
  query_init(&qq, t);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  EXPECT(!reminders_list(t->diary, &qq.q, out), "cap not reported");
  EXPECT(out->len == REMINDERS_MAX_TRIGGERS, "%u triggers", out->len);
  for (guint i = 1; i < out->len; i++) {
    const Trigger *a = g_ptr_array_index(out, i - 1), *b = g_ptr_array_index(out, i);
    if (a->due > b->due || (a->due == b->due && strcmp(a->key, b->key) >= 0)) {
      EXPECT(FALSE, "not sorted at %u", i);
      break;
    }
  }
}

static void test_next_due(void) {
  g_autoptr(GPtrArray) ts = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  EXPECT(reminders_next_due(ts, 0) == APPT_NO_TIME, "empty");
  const gint64 dues[] = {300, 100, 200, 100};
  for (gsize i = 0; i < G_N_ELEMENTS(dues); i++) {
    Trigger *tr = g_new0(Trigger, 1);
    tr->key = g_strdup_printf("k%zu", i);
    tr->due = dues[i];
    g_ptr_array_add(ts, tr);
  }
  EXPECT(reminders_next_due(ts, 0) == 100, "before all");
  EXPECT(reminders_next_due(ts, 100) == 100, "due now counts");
  EXPECT(reminders_next_due(ts, 101) == 200, "next");
  EXPECT(reminders_next_due(ts, 301) == APPT_NO_TIME, "after all");
  EXPECT(reminders_next_due(NULL, 0) == APPT_NO_TIME, "NULL");
  trigger_free(NULL);
  EXPECT(strcmp(trigger_kind_name(TRIGGER_LEAVE), "leave") == 0, "kind name");
}

static void test_parse_fields(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *ics = test_calendar(
      VEV("p", "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
               "X-MOZ-LASTACK:20260302T084600Z\n"
               "X-MOZ-SNOOZE-TIME-1773046800000000:20260309T090500Z\n"
               "X-MOZ-SNOOZE-TIME-1773046800000000:20260309T091000Z\n"
               "X-MOZ-SNOOZE-TIME:20260302T090500Z\n"
               "X-MOZ-SNOOZE-TIME-junk:20260302T090500Z\n"
               "X-MOZ-SNOOZE-TIME-1:not a time\n" DISPLAY(":-P1W2DT3H4M5S") DISPLAY(":PT0S")));
  g_autoptr(GPtrArray) series = test_parse(zones, ics, NULL);
  g_assert_cmpuint(series->len, ==, 1);
  const Appointment *a = ((const Series *)g_ptr_array_index(series, 0))->master;
  EXPECT(a->moz_lastack == test_instant("2026-03-02T08:46:00Z"), "lastack");
  EXPECT(a->moz_snoozes && a->moz_snoozes->len == 2, "two snoozes kept");
  EXPECT(appointment_moz_snooze(a, APPT_NO_TIME) == test_instant("2026-03-02T09:05:00Z"), "plain snooze");
  EXPECT(appointment_moz_snooze(a, test_instant("2026-03-09T09:00:00Z")) == test_instant("2026-03-09T09:10:00Z"),
         "the later of two snoozes for one occurrence");
  EXPECT(appointment_moz_snooze(a, 1) == APPT_NO_TIME, "unknown id");
  const Alarm *al = g_ptr_array_index(a->alarms, 0);
  EXPECT(al->offset_days == -9 && al->offset == -(3 * 3600 + 4 * 60 + 5), "days %d offset %" G_GINT64_FORMAT,
         al->offset_days, al->offset);
  const Alarm *zero = g_ptr_array_index(a->alarms, 1);
  EXPECT(zero->offset_days == 0 && zero->offset == 0, "PT0S");

  g_autofree char *plain = test_calendar(EV("q", MON("09"), MON("10"), ""));
  g_autoptr(GPtrArray) s2 = test_parse(zones, plain, NULL);
  const Appointment *b = ((const Series *)g_ptr_array_index(s2, 0))->master;
  EXPECT(b->moz_lastack == APPT_NO_TIME && b->moz_snoozes == NULL, "no Thunderbird state");
}

/* 30,000 occurrences (40 daily series over 750 days); a 36-hour listing
 * walks only what is within reach of it. */
static void test_large_diary(void) {
  GString *ev = g_string_new(NULL);
  for (int i = 0; i < 40; i++)
    g_string_append_printf(ev,
                           "BEGIN:VEVENT\nUID:s%d\nSUMMARY:s%d\nDTSTART:20250101T%02d%02d00Z\n"
                           "DURATION:PT20M\nRRULE:FREQ=DAILY\nLOCATION:%s\n"
                           "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT10M\nEND:VALARM\nEND:VEVENT\n",
                           i, i, 6 + i / 3, (i % 3) * 20, i % 2 ? "Office" : "Lab");
  g_autoptr(TestDiary) t = make_diary_range("Europe/London", "2025-01-01", "2027-01-20", ev->str, NULL);
  g_string_free(ev, TRUE);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 40 * 749);
  Query qq;
  query_init(&qq, t);
  qq.q.travel = 600;
  qq.q.from = test_instant("2026-06-10T00:00:00Z");
  qq.q.to = qq.q.from + 36 * 3600;
  /* The first listing sorts the freshly loaded diary: time the second. */
  g_autoptr(GPtrArray) warm = list(t, &qq.q);
  g_test_timer_start();
  g_autoptr(GPtrArray) got = list(t, &qq.q);
  double elapsed = g_test_timer_elapsed();
  EXPECT(warm->len == got->len, "two listings differ");
  g_test_message("36-hour listing over %u occurrences: %u triggers in %.3f ms", diary_n_occurrences(t->diary),
                 got->len, elapsed * 1000);
  /* The series start every 20 minutes from 06:00Z to 19:00Z and last 20
   * minutes, alternating Lab and Office.  June 10: 40 alarms, and 39
   * leave-now reminders due at each start (the one before ends just then).
   * June 11 until 12:00Z: the 19 alarms of 06:00Z..12:00Z (due 10 minutes
   * before) and the 17 leave-now of 06:20Z..11:40Z. */
  guint alarms = 0, leaves = 0;
  for (guint i = 0; i < got->len; i++) {
    const Trigger *tr = g_ptr_array_index(got, i);
    alarms += tr->kind == TRIGGER_ALARM;
    leaves += tr->kind == TRIGGER_LEAVE;
  }
  EXPECT(alarms == 40 + 19, "%u alarms", alarms);
  EXPECT(leaves == 39 + 17, "%u leave-now", leaves);
}

/* ---- main ------------------------------------------------------------------------ */

static void add_rows(const char *group, const Row *rows, gsize n) {
  for (gsize i = 0; i < n; i++) {
    g_autofree char *path = g_strdup_printf("/reminders/%s/%s", group, rows[i].name);
    g_test_add_data_func(path, &rows[i], run_row);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  add_rows("alarm", alarm_rows, G_N_ELEMENTS(alarm_rows));
  add_rows("nominal", nominal_rows, G_N_ELEMENTS(nominal_rows));
  add_rows("recurring", recurring_rows, G_N_ELEMENTS(recurring_rows));
  add_rows("ack", ack_rows, G_N_ELEMENTS(ack_rows));
  add_rows("defaults", default_rows, G_N_ELEMENTS(default_rows));
  add_rows("leave", leave_rows, G_N_ELEMENTS(leave_rows));
  add_rows("window", window_rows, G_N_ELEMENTS(window_rows));
  g_test_add_func("/reminders/fields", test_fields);
  g_test_add_func("/reminders/absolute-attachment", test_absolute_attachment);
  g_test_add_func("/reminders/key-stability", test_key_stability);
  g_test_add_func("/reminders/windows-compose", test_windows_compose);
  g_test_add_func("/reminders/reach", test_reach);
  g_test_add_func("/reminders/appends", test_appends_after_existing);
  g_test_add_func("/reminders/cap", test_cap);
  g_test_add_func("/reminders/next-due", test_next_due);
  g_test_add_func("/reminders/parse", test_parse_fields);
  g_test_add_func("/reminders/large-diary", test_large_diary);
  return g_test_run();
}
