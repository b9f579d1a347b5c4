/* Unit tests for what people type (core/when.c): durations, dates,
 * instants, start times, working hours and check/field lists. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "when.h"


#define BAD (-1)

/* ---- durations ----------------------------------------------------------------- */

static const struct {
  const char *text;
  gint64 seconds; /* BAD: must be refused */
} duration_rows[] = {
    {"45m", 2700},
    {"1h30m", 5400},
    {"1h 30m", 5400},
    {"90", 5400},
    {"PT45M", 2700},
    {"P1DT2H", 93600},
    {"1.5h", 5400},
    {"90s", 90},
    {"2d", 172800},
    {"0", 0},
    {"PT0S", 0},
    {"PT1H30M", 5400},
    {"2h", 7200}, /* the forms `diaryd book --duration` shows: 45m, 1h30m, PT45M, PT1H30M, 2h */
    {"PT2H", 7200},
    {"90 min", 5400},
    {"P1W", 604800},
    {"P1D", 86400},
    {"PT90S", 90},
    {"pt15m", 900},
    {"1H", 3600},
    {" 45m ", 2700},
    {"45 min", 2700},
    {"2 hours", 7200},
    {"0.25h", 900},
    {"365d", 365 * 86400},
    {"", BAD},
    {"   ", BAD},
    {"abc", BAD},
    {"-5m", BAD},
    {"10x", BAD},
    {"m", BAD},
    {"h1", BAD},
    {"45mm", BAD},
    {"90 30", BAD},
    {"1h-30m", BAD},
    {"P", BAD},
    {"PT", BAD},
    {"P1H", BAD},
    {"PT1D", BAD},
    {"P-1D", BAD},
    {"-PT5M", BAD},
    {"PT5X", BAD},
    {"400d", BAD},
    {"9000h", BAD},
    {"P400D", BAD},
    {"P60W", BAD},
    {"nan", BAD},
    {"inf", BAD},
    {"0x10", BAD},
    {"1e3", BAD},
};

static void test_durations(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(duration_rows); i++) {
    gint64 got = -12345;
    gboolean ok = when_parse_duration(duration_rows[i].text, &got);
    if (duration_rows[i].seconds == BAD)
      EXPECT(!ok, "duration \"%s\" accepted as %" G_GINT64_FORMAT " s", duration_rows[i].text, got);
    else
      EXPECT(ok && got == duration_rows[i].seconds, "duration \"%s\": %s %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
             duration_rows[i].text, ok ? "got" : "refused", got, duration_rows[i].seconds);
  }
  gint64 x = 0;
  g_assert_false(when_parse_duration(NULL, &x));
}

/* ---- dates ------------------------------------------------------------------------ */

static const struct {
  const char *text;
  gboolean ok;
  gint64 day;
} date_rows[] = {
    {"2026-03-02", TRUE, 20514},  {"1970-01-01", TRUE, 0},      {"2026-12-31", TRUE, 20818},
    {"2028-02-29", TRUE, 21243},  {"2024-02-29", TRUE, 19782},  {"2000-02-29", TRUE, 11016},
    {"2026-02-30", FALSE, 0},     {"2027-02-29", FALSE, 0},     {"1900-02-29", FALSE, 0},
    {"2100-02-29", FALSE, 0},     {"2026-04-31", FALSE, 0},     {"2026-13-01", FALSE, 0},
    {"2026-00-10", FALSE, 0},     {"2026-03-00", FALSE, 0},     {"2026-03-32", FALSE, 0},
    {"2026-3-2", FALSE, 0},       {"2026/03/02", FALSE, 0},     {"20260302", FALSE, 0},
    {"", FALSE, 0},               {" 2026-03-02", FALSE, 0},    {"2026-03-02 ", FALSE, 0},
    {"2026-03-02T09:00", FALSE, 0}, {"2026-03-0a", FALSE, 0},   {"abcd-ef-gh", FALSE, 0},
};

static void test_dates(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(date_rows); i++) {
    gint64 day = -777;
    gboolean ok = when_parse_date(date_rows[i].text, &day);
    EXPECT(ok == date_rows[i].ok, "date \"%s\" %s", date_rows[i].text, ok ? "accepted" : "refused");
    if (ok && date_rows[i].ok)
      EXPECT(day == date_rows[i].day, "date \"%s\" is day %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
             date_rows[i].text, day, date_rows[i].day);
  }
  gint64 day;
  g_assert_false(when_parse_date(NULL, &day));
}

/* ---- instants ---------------------------------------------------------------------- */

#define T0900 G_GINT64_CONSTANT(1772442000) /* 2026-03-02T09:00:00Z */

static const struct {
  const char *text;
  gboolean ok;
  gint64 instant;
} instant_rows[] = {
    {"2026-03-02T09:00:00Z", TRUE, T0900},
    {"2026-03-02T10:00:00+01:00", TRUE, T0900},
    {"2026-03-02T04:00:00-05:00", TRUE, T0900},
    {"2026-03-02T14:30:00+05:30", TRUE, T0900},
    {"2026-03-02T09:00:00+00:00", TRUE, T0900},
    {"2026-03-01T23:00:00-10:00", TRUE, T0900},
    {"2026-03-02T09:30:15Z", TRUE, T0900 + 30 * 60 + 15},
    {"1970-01-01T00:00:00Z", TRUE, 0},
    {"2026-03-02T09:00:00", FALSE, 0},
    {"2026-03-02", FALSE, 0},
    {"", FALSE, 0},
    {"2026-03-02T24:00:00Z", FALSE, 0},
    {"2026-03-02T09:60:00Z", FALSE, 0},
    {"2026-03-02T09:00:60Z", FALSE, 0},
    {"2026-02-30T09:00:00Z", FALSE, 0},
    {"2027-02-29T09:00:00Z", FALSE, 0},
    {"2026-03-02T09:00:00+1:00", FALSE, 0},
    {"2026-03-02T09:00:00+0100", FALSE, 0},
    {"2026-03-02T09:00:00+15:00", FALSE, 0},
    {"2026-03-02T09:00:00Zjunk", FALSE, 0},
    {"2026-03-02T09:00:00+01:00x", FALSE, 0},
    {"2026-03-02X09:00:00Z", FALSE, 0},
    {"yesterday", FALSE, 0},
};

static void test_instants(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(instant_rows); i++) {
    gint64 t = -777;
    gboolean ok = when_parse_instant(instant_rows[i].text, &t);
    EXPECT(ok == instant_rows[i].ok, "instant \"%s\" %s", instant_rows[i].text, ok ? "accepted" : "refused");
    if (ok && instant_rows[i].ok)
      EXPECT(t == instant_rows[i].instant, "instant \"%s\" is %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
             instant_rows[i].text, t, instant_rows[i].instant);
  }
  gint64 t;
  g_assert_false(when_parse_instant(NULL, &t));
}

/* ---- working hours -------------------------------------------------------------------- */

#define DEFAULT_WEEK "09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 off off"

static char *format_week(const WorkHours hours[7]) {
  GString *s = g_string_new(NULL);
  for (int d = 0; d < 7; d++) {
    if (d)
      g_string_append_c(s, ' ');
    if (hours[d].start == hours[d].end)
      g_string_append(s, "off");
    else
      g_string_append_printf(s, "%02d:%02d-%02d:%02d", hours[d].start / 60, hours[d].start % 60, hours[d].end / 60,
                             hours[d].end % 60);
  }
  return g_string_free(s, FALSE);
}

static const struct {
  const char *text;
  const char *week; /* NULL: must be refused (and leave the hours alone) */
} hours_rows[] = {
    {"mon-fri 09:00-17:00", DEFAULT_WEEK},
    {"mon-fri 08:00-16:00", "08:00-16:00 08:00-16:00 08:00-16:00 08:00-16:00 08:00-16:00 off off"},
    {"mon-thu 08:30-18:00, fri 09:00-13:00", "08:30-18:00 08:30-18:00 08:30-18:00 08:30-18:00 09:00-13:00 off off"},
    {"sat off", DEFAULT_WEEK},
    {"mon off", "off 09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 off off"},
    {"sat 10:00-14:00", "09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 10:00-14:00 off"},
    {"wed off, thu 07:00-15:00", "09:00-17:00 09:00-17:00 off 07:00-15:00 09:00-17:00 off off"},
    {"sun 12:00-12:30", "09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 09:00-17:00 off 12:00-12:30"},
    {"MON-FRI 07:45-15:15", "07:45-15:15 07:45-15:15 07:45-15:15 07:45-15:15 07:45-15:15 off off"},
    {"mon-sun 00:00-24:00", "00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00"},
    {"24/7", "00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00 00:00-24:00"},
    {"  mon-fri 09:00-17:00  ", DEFAULT_WEEK},
    {"mon-fri 17:00-09:00", NULL},
    {"mon-fri 09:00-09:00", NULL},
    {"mon-fri 9-5", NULL},
    {"mon-fri 09:00-25:00", NULL},
    {"mon-fri 09:60-17:00", NULL},
    {"mon-fri 24:30-24:45", NULL},
    {"funday 09:00-17:00", NULL},
    {"mon-xyz 09:00-17:00", NULL},
    {"mon-fri", NULL},
    {"mon-fri 09:00", NULL},
    {"09:00-17:00", NULL},
    {"mon-fri 09:00-17:00 extra", NULL},
    {"mon 10:00-11:00, funday 09:00-17:00", NULL},
    {"mon-fri 09:00-17:00, sat", NULL},
    {"24/6", NULL},
};

static void test_hours(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(hours_rows); i++) {
    CheckRules rules;
    check_rules_init(&rules, 0);
    gboolean ok = when_parse_hours(hours_rows[i].text, rules.hours);
    g_autofree char *week = format_week(rules.hours);
    if (!hours_rows[i].week) {
      EXPECT(!ok, "hours \"%s\" accepted as %s", hours_rows[i].text, week);
      EXPECT(strcmp(week, DEFAULT_WEEK) == 0, "refused hours \"%s\" changed the week to %s", hours_rows[i].text, week);
    } else {
      EXPECT(ok, "hours \"%s\" refused", hours_rows[i].text);
      EXPECT(strcmp(week, hours_rows[i].week) == 0, "hours \"%s\" gave %s, want %s", hours_rows[i].text, week,
             hours_rows[i].week);
    }
  }
  CheckRules rules;
  check_rules_init(&rules, 0);
  g_assert_false(when_parse_hours(NULL, rules.hours));
}

/* ---- check and field lists ----------------------------------------------------------------- */

#define BIT(k) (1u << (k))

static const struct {
  const char *text;
  gboolean ok;
  guint mask;
  const char *bad; /* the name reported when refused */
} checks_rows[] = {
    {"conflict", TRUE, BIT(CHECK_CONFLICT), NULL},
    {"conflict,buffer", TRUE, BIT(CHECK_CONFLICT) | BIT(CHECK_BUFFER), NULL},
    {" Conflict , HOURS ", TRUE, BIT(CHECK_CONFLICT) | BIT(CHECK_HOURS), NULL},
    {"resource,priority,completeness,workload,notice", TRUE,
     BIT(CHECK_RESOURCE) | BIT(CHECK_PRIORITY) | BIT(CHECK_COMPLETENESS) | BIT(CHECK_WORKLOAD) | BIT(CHECK_NOTICE),
     NULL},
    {"all", TRUE, BIT(CHECK_N) - 1, NULL},
    {"buffer,buffer", TRUE, BIT(CHECK_BUFFER), NULL},
    {"conflict,bogus", FALSE, 0, "bogus"},
    {"conflicts", FALSE, 0, "conflicts"},
    {"hours, travel", FALSE, 0, "travel"},
};

static void test_check_lists(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(checks_rows); i++) {
    guint mask = 0xdead;
    char *bad = NULL;
    gboolean ok = when_parse_checks(checks_rows[i].text, &mask, &bad);
    EXPECT(ok == checks_rows[i].ok, "checks \"%s\" %s", checks_rows[i].text, ok ? "accepted" : "refused");
    if (ok && checks_rows[i].ok)
      EXPECT(mask == checks_rows[i].mask, "checks \"%s\" gave mask %#x, want %#x", checks_rows[i].text, mask,
             checks_rows[i].mask);
    if (!ok && !checks_rows[i].ok)
      EXPECT(bad && strcmp(bad, checks_rows[i].bad) == 0, "checks \"%s\" blamed \"%s\", want \"%s\"",
             checks_rows[i].text, bad ? bad : "(null)", checks_rows[i].bad);
    g_free(bad);
  }
  guint mask;
  g_assert_false(when_parse_checks("conflict,nope", &mask, NULL)); /* bad_name may be NULL */
}

static const struct {
  const char *text;
  gboolean ok;
  guint mask;
  const char *bad;
} require_rows[] = {
    {"time,location,attendees,requirements", TRUE,
     REQUIRE_TIME | REQUIRE_LOCATION | REQUIRE_ATTENDEES | REQUIRE_REQUIREMENTS, NULL},
    {"none", TRUE, 0, NULL},
    {"time", TRUE, REQUIRE_TIME, NULL},
    {"location", TRUE, REQUIRE_LOCATION, NULL},
    {"attendees", TRUE, REQUIRE_ATTENDEES, NULL},
    {"requirements", TRUE, REQUIRE_REQUIREMENTS, NULL},
    {"description", TRUE, REQUIRE_REQUIREMENTS, NULL},
    {" Location , TIME ", TRUE, REQUIRE_TIME | REQUIRE_LOCATION, NULL},
    {"colour", FALSE, 0, "colour"},
    {"time,colour", FALSE, 0, "colour"},
    {"times", FALSE, 0, "times"},
};

static void test_require_lists(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(require_rows); i++) {
    guint mask = 0xdead;
    char *bad = NULL;
    gboolean ok = when_parse_require(require_rows[i].text, &mask, &bad);
    EXPECT(ok == require_rows[i].ok, "require \"%s\" %s", require_rows[i].text, ok ? "accepted" : "refused");
    if (ok && require_rows[i].ok)
      EXPECT(mask == require_rows[i].mask, "require \"%s\" gave mask %#x, want %#x", require_rows[i].text, mask,
             require_rows[i].mask);
    if (!ok && !require_rows[i].ok)
      EXPECT(bad && strcmp(bad, require_rows[i].bad) == 0, "require \"%s\" blamed \"%s\", want \"%s\"",
             require_rows[i].text, bad ? bad : "(null)", require_rows[i].bad);
    g_free(bad);
  }
  guint mask;
  g_assert_false(when_parse_require("time,nope", &mask, NULL));
}

/* ---- start times ------------------------------------------------------------------------------------------ */

/* Sunday 2026-12-06 12:00 UTC: 12:00 in London (GMT), 07:00 in New York (EST), 23:00 in Lord Howe (+11:00,
 * summer time). */
#define SUN "2026-12-06T12:00:00Z"
#define LON "Europe/London"
#define NYC "America/New_York"
#define LHI "Australia/Lord_Howe"

/* "2026-12-08T14:30:00+11:00" or "...Z" -> instant, for any year 1970 to 9999 (test_instant() reads only
 * up to 2500). */
static gint64 rfc3339(const char *s) {
  int y, mo, d, h, mi, sec, oh = 0, om = 0;
  char sign = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 || strlen(s) < 20)
    g_error("bad instant in test: %s", s);
  if (s[19] != 'Z' && (sscanf(s + 19, "%c%2d:%2d", &sign, &oh, &om) != 3 || (sign != '+' && sign != '-')))
    g_error("bad offset in test: %s", s);
  return civil_to_seconds(y, mo, d, h, mi, sec) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
}

typedef struct {
  const char *zone; /* NULL: UTC */
  const char *now;
  const char *text;
  const char *want; /* RFC 3339, written with the zone's offset at that time */
} StartRow;

/* Every accepted form, at SUN. */
static const StartRow start_rows[] = {
    /* Instants: the zone does not matter. */
    {LON, SUN, "2026-12-08T14:30:00Z", "2026-12-08T14:30:00Z"},
    {NYC, SUN, "2026-12-08T14:30:00Z", "2026-12-08T14:30:00Z"},
    {LHI, SUN, "2026-12-08T14:30:00Z", "2026-12-08T14:30:00Z"},
    {LON, SUN, "2026-12-08T14:30+01:00", "2026-12-08T14:30:00+01:00"},
    {NYC, SUN, "2026-12-08T14:30:00-05:00", "2026-12-08T19:30:00Z"},
    {LHI, SUN, "2026-12-08T14:30:00+05:30", "2026-12-08T09:00:00Z"},
    {LON, SUN, "2026-12-08T14:30:00+0100", "2026-12-08T13:30:00Z"},
    {LON, SUN, "2026-12-08T14:30:00+14:00", "2026-12-08T00:30:00Z"},
    {LON, SUN, "2026-12-08T14:30:00-00:00", "2026-12-08T14:30:00Z"},
    {LHI, SUN, "20261208T143000Z", "2026-12-08T14:30:00Z"},
    {LHI, SUN, "20261208T1430Z", "2026-12-08T14:30:00Z"},
    {LON, SUN, "20261208T1430+0100", "2026-12-08T13:30:00Z"},
    {NYC, SUN, "2026-12-08t14:30:00z", "2026-12-08T14:30:00Z"},
    {NYC, SUN, "2026-12-08 14:30:00Z", "2026-12-08T14:30:00Z"},
    {NYC, SUN, "2026-12-08T14:30:00.000Z", "2026-12-08T14:30:00Z"},
    {NYC, SUN, "2026-12-08T14:30:15Z", "2026-12-08T14:30:15Z"},
    {LON, SUN, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
    {LON, SUN, "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
    /* A local date and time. */
    {LON, SUN, "2026-12-08 14:30", "2026-12-08T14:30:00+00:00"},
    {NYC, SUN, "2026-12-08 14:30", "2026-12-08T14:30:00-05:00"},
    {LHI, SUN, "2026-12-08 14:30", "2026-12-08T14:30:00+11:00"},
    {LHI, SUN, "2026-07-08 14:30", "2026-07-08T14:30:00+10:30"},
    {NYC, SUN, "2026-07-08 14:30", "2026-07-08T14:30:00-04:00"},
    {LON, SUN, "2026-12-08T14:30", "2026-12-08T14:30:00+00:00"},
    {LHI, SUN, "2026-12-08T14:30:45", "2026-12-08T14:30:45+11:00"},
    {NYC, SUN, "20261208T1430", "2026-12-08T14:30:00-05:00"},
    {NYC, SUN, "20261208T143000", "2026-12-08T14:30:00-05:00"},
    {LON, SUN, "2026-12-08 9am", "2026-12-08T09:00:00+00:00"},
    {LHI, SUN, "2026-12-08 9:15pm", "2026-12-08T21:15:00+11:00"},
    {NYC, SUN, "2026-12-08 09:00:30", "2026-12-08T09:00:30-05:00"},
    {LON, SUN, "2026-12-08 9:00", "2026-12-08T09:00:00+00:00"},
    {LON, SUN, "2026-12-08 00:00", "2026-12-08T00:00:00+00:00"},
    {LON, SUN, "2026-12-08 23:59:59", "2026-12-08T23:59:59+00:00"},
    {LON, SUN, "2026-12-08 12am", "2026-12-08T00:00:00+00:00"},
    {LON, SUN, "2026-12-08 12:30am", "2026-12-08T00:30:00+00:00"},
    {LON, SUN, "2026-12-08 12pm", "2026-12-08T12:00:00+00:00"},
    {LON, SUN, "2026-12-08 12:45pm", "2026-12-08T12:45:00+00:00"},
    {LON, SUN, "2026-12-08 1am", "2026-12-08T01:00:00+00:00"},
    {LON, SUN, "2026-12-08 11am", "2026-12-08T11:00:00+00:00"},
    {LON, SUN, "2026-12-08 1pm", "2026-12-08T13:00:00+00:00"},
    {LON, SUN, "2026-12-08 11:59pm", "2026-12-08T23:59:00+00:00"},
    {LON, SUN, "2026-12-08 09AM", "2026-12-08T09:00:00+00:00"},
    {LON, SUN, "2026-12-08 9 pm", "2026-12-08T21:00:00+00:00"},
    {LON, SUN, "2026-12-08 9:15:30pm", "2026-12-08T21:15:30+00:00"},
    {LON, SUN, "2026-12-08 noon", "2026-12-08T12:00:00+00:00"},
    {LON, SUN, "2026-12-08 at 14:30", "2026-12-08T14:30:00+00:00"},
    {LON, SUN, "  2026-12-08 \t  14:30\t ", "2026-12-08T14:30:00+00:00"},
    {LON, SUN, "2020-02-29 10:00", "2020-02-29T10:00:00+00:00"}, /* past, but a date names it */
    {LON, SUN, "1970-01-01 01:00", "1970-01-01T01:00:00+01:00"}, /* London kept BST all year then */
    {NYC, SUN, "1970-01-01 00:00", "1970-01-01T00:00:00-05:00"},
    {LON, SUN, "9999-12-31 23:59", "9999-12-31T23:59:00+00:00"},
    {NULL, SUN, "2026-12-08 14:30", "2026-12-08T14:30:00Z"},
    /* today and tomorrow: "today" is the zone's, and holds even when the time has passed. */
    {LON, SUN, "today 15:00", "2026-12-06T15:00:00+00:00"},
    {LON, SUN, "today 09:00", "2026-12-06T09:00:00+00:00"},
    {LON, SUN, "TODAY 3PM", "2026-12-06T15:00:00+00:00"},
    {NYC, SUN, "today 15:00", "2026-12-06T15:00:00-05:00"},
    {LHI, SUN, "today 15:00", "2026-12-06T15:00:00+11:00"},
    {LON, SUN, "tomorrow 10:00", "2026-12-07T10:00:00+00:00"},
    {NYC, SUN, "tomorrow 10:00", "2026-12-07T10:00:00-05:00"},
    {LHI, SUN, "tomorrow 10:00", "2026-12-07T10:00:00+11:00"},
    {LON, SUN, "tomorrow 9am", "2026-12-07T09:00:00+00:00"},
    {LON, SUN, "tomorrow at 10:00", "2026-12-07T10:00:00+00:00"},
    {LON, SUN, "Tomorrow   At   10AM", "2026-12-07T10:00:00+00:00"},
    {LON, SUN, "tomorrow noon", "2026-12-07T12:00:00+00:00"},
    {LON, SUN, "tomorrow 00:00", "2026-12-07T00:00:00+00:00"},
    {LON, SUN, "tomorrow 12am", "2026-12-07T00:00:00+00:00"},
    {LON, SUN, "tomorrow 12 pm", "2026-12-07T12:00:00+00:00"},
    /* Weekdays, on a Sunday. */
    {LON, SUN, "mon 14:30", "2026-12-07T14:30:00+00:00"},
    {LON, SUN, "Monday 14:30", "2026-12-07T14:30:00+00:00"},
    {LON, SUN, "MON 2:30pm", "2026-12-07T14:30:00+00:00"},
    {LON, SUN, "tue 9am", "2026-12-08T09:00:00+00:00"},
    {LON, SUN, "tuesday 9am", "2026-12-08T09:00:00+00:00"},
    {LON, SUN, "wed 9am", "2026-12-09T09:00:00+00:00"},
    {LON, SUN, "wednesday at 9am", "2026-12-09T09:00:00+00:00"},
    {LON, SUN, "thu 9am", "2026-12-10T09:00:00+00:00"},
    {LON, SUN, "thursday 9am", "2026-12-10T09:00:00+00:00"},
    {LON, SUN, "fri 9am", "2026-12-11T09:00:00+00:00"},
    {LON, SUN, "friday 9am", "2026-12-11T09:00:00+00:00"},
    {LON, SUN, "sat 10:00", "2026-12-12T10:00:00+00:00"},
    {LON, SUN, "saturday 10:00", "2026-12-12T10:00:00+00:00"},
    {LON, SUN, "sun 14:30", "2026-12-06T14:30:00+00:00"},  /* today: still ahead */
    {LON, SUN, "sunday 11:00", "2026-12-13T11:00:00+00:00"}, /* passed today: a week on */
    {LON, SUN, "sun 12:00", "2026-12-13T12:00:00+00:00"},    /* exactly now is not ahead */
    {LON, SUN, "sun 12:00:01", "2026-12-06T12:00:01+00:00"},
    {NYC, SUN, "sun 11:00", "2026-12-06T11:00:00-05:00"},    /* 07:00 in New York: still ahead */
    {LHI, SUN, "sun 22:00", "2026-12-13T22:00:00+11:00"},    /* 23:00 at Lord Howe: passed */
    {LHI, SUN, "mon 9am", "2026-12-07T09:00:00+11:00"},
    {LON, SUN, "next mon 9:00", "2026-12-07T09:00:00+00:00"}, /* the week after this one starts tomorrow */
    {LON, SUN, "next monday 9:00", "2026-12-07T09:00:00+00:00"},
    {LON, SUN, "next fri 9:00", "2026-12-11T09:00:00+00:00"},
    {LON, SUN, "next sat at 9am", "2026-12-12T09:00:00+00:00"},
    {LON, SUN, "next sun 14:30", "2026-12-13T14:30:00+00:00"}, /* never today */
    {LON, SUN, "NEXT  SUNDAY  9am", "2026-12-13T09:00:00+00:00"},
    /* A time alone: today, when still ahead. */
    {LON, SUN, "15:00", "2026-12-06T15:00:00+00:00"},
    {LON, SUN, "2pm", "2026-12-06T14:00:00+00:00"},
    {LON, SUN, "2 PM", "2026-12-06T14:00:00+00:00"},
    {LON, SUN, "at 3pm", "2026-12-06T15:00:00+00:00"},
    {LON, SUN, "12:00:01", "2026-12-06T12:00:01+00:00"},
    {LON, SUN, "23:59", "2026-12-06T23:59:00+00:00"},
    {NYC, SUN, "9am", "2026-12-06T09:00:00-05:00"},
    {NYC, SUN, "noon", "2026-12-06T12:00:00-05:00"},
    {LHI, SUN, "23:30", "2026-12-06T23:30:00+11:00"},
    {NULL, SUN, "13:00", "2026-12-06T13:00:00Z"},
};

/* Weekday and day arithmetic across a month end, a year end, and a Monday. */
static const StartRow day_rows[] = {
    /* Saturday 2026-11-28, 12:00 in London. */
    {LON, "2026-11-28T12:00:00Z", "tomorrow 9:00", "2026-11-29T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "mon 9:00", "2026-11-30T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "tue 9:00", "2026-12-01T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "fri 9:00", "2026-12-04T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "sat 13:00", "2026-11-28T13:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "sat 9:00", "2026-12-05T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "next tue 9:00", "2026-12-01T09:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "next sat 13:00", "2026-12-05T13:00:00+00:00"},
    {LON, "2026-11-28T12:00:00Z", "next sun 9:00", "2026-12-06T09:00:00+00:00"},
    /* Wednesday 2026-12-30. */
    {LON, "2026-12-30T12:00:00Z", "tomorrow 9:00", "2026-12-31T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "thu 9am", "2026-12-31T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "fri 9am", "2027-01-01T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "mon 9:00", "2027-01-04T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "wed 9:00", "2027-01-06T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "wed 13:00", "2026-12-30T13:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "next mon 9:00", "2027-01-04T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "next thu 9am", "2027-01-07T09:00:00+00:00"},
    {LON, "2026-12-30T12:00:00Z", "next fri 9am", "2027-01-08T09:00:00+00:00"}, /* 9 days ahead */
    {LON, "2026-12-30T12:00:00Z", "next wed 9am", "2027-01-06T09:00:00+00:00"},
    /* Thursday 2026-12-31 23:30 UTC: already Friday 1 January at Lord Howe, still the 31st in New York. */
    {LHI, "2026-12-31T23:30:00Z", "today 15:00", "2027-01-01T15:00:00+11:00"},
    {LHI, "2026-12-31T23:30:00Z", "tomorrow 10:00", "2027-01-02T10:00:00+11:00"},
    {LHI, "2026-12-31T23:30:00Z", "fri 11:00", "2027-01-01T11:00:00+11:00"},
    {LHI, "2026-12-31T23:30:00Z", "thu 9am", "2027-01-07T09:00:00+11:00"},
    {NYC, "2026-12-31T23:30:00Z", "tomorrow 10:00", "2027-01-01T10:00:00-05:00"},
    {NYC, "2026-12-31T23:30:00Z", "fri 10:00", "2027-01-01T10:00:00-05:00"},
    {NYC, "2026-12-31T23:30:00Z", "11pm", "2026-12-31T23:00:00-05:00"},
    {LON, "2026-12-31T23:30:00Z", "23:45", "2026-12-31T23:45:00+00:00"},
    /* Monday 2026-12-07, 12:00 in London. */
    {LON, "2026-12-07T12:00:00Z", "mon 14:30", "2026-12-07T14:30:00+00:00"},
    {LON, "2026-12-07T12:00:00Z", "mon 9:00", "2026-12-14T09:00:00+00:00"},
    {LON, "2026-12-07T12:00:00Z", "next mon 14:30", "2026-12-14T14:30:00+00:00"},
    {LON, "2026-12-07T12:00:00Z", "next mon 9:00", "2026-12-14T09:00:00+00:00"},
    {LON, "2026-12-07T12:00:00Z", "next sun 9:00", "2026-12-20T09:00:00+00:00"}, /* 13 days ahead */
    {LON, "2026-12-07T12:00:00Z", "sun 9:00", "2026-12-13T09:00:00+00:00"},
    /* February in a leap year. */
    {LON, "2028-02-28T12:00:00Z", "tomorrow 9:00", "2028-02-29T09:00:00+00:00"},
    {LON, "2028-02-28T12:00:00Z", "wed 9:00", "2028-03-01T09:00:00+00:00"},
};

/* Clocks changing: the overlap takes the first instant (RFC 5545, as zones does); an offset picks the second.
 * The gaps themselves are refused (refuse_rows). */
static const StartRow dst_rows[] = {
    /* London: forward 2027-03-28 01:00 -> 02:00, back 2027-10-31 02:00 -> 01:00. */
    {LON, SUN, "2027-03-28 00:59", "2027-03-28T00:59:00+00:00"},
    {LON, SUN, "2027-03-28 02:00", "2027-03-28T02:00:00+01:00"},
    {LON, SUN, "2027-10-31 00:59", "2027-10-31T00:59:00+01:00"},
    {LON, SUN, "2027-10-31 01:00", "2027-10-31T01:00:00+01:00"},
    {LON, SUN, "2027-10-31 01:30", "2027-10-31T01:30:00+01:00"},
    {LON, SUN, "2027-10-31 01:59:59", "2027-10-31T01:59:59+01:00"},
    {LON, SUN, "2027-10-31 02:00", "2027-10-31T02:00:00+00:00"},
    {LON, SUN, "2027-10-31T01:30+00:00", "2027-10-31T01:30:00+00:00"},
    {LON, SUN, "2026-10-25 01:30", "2026-10-25T01:30:00+01:00"},
    /* New York: forward 2027-03-14 02:00 -> 03:00, back 2027-11-07 02:00 -> 01:00. */
    {NYC, SUN, "2027-03-14 01:59", "2027-03-14T01:59:00-05:00"},
    {NYC, SUN, "2027-03-14 03:00", "2027-03-14T03:00:00-04:00"},
    {NYC, SUN, "2027-11-07 01:30", "2027-11-07T01:30:00-04:00"},
    {NYC, SUN, "2027-11-07T01:30-05:00", "2027-11-07T01:30:00-05:00"},
    {NYC, SUN, "2027-11-07 02:00", "2027-11-07T02:00:00-05:00"},
    /* Lord Howe moves half an hour: back 2027-04-04 02:00 -> 01:30, forward 2027-10-03 02:00 -> 02:30. */
    {LHI, SUN, "2027-04-04 01:29", "2027-04-04T01:29:00+11:00"},
    {LHI, SUN, "2027-04-04 01:45", "2027-04-04T01:45:00+11:00"},
    {LHI, SUN, "2027-04-04T01:45+10:30", "2027-04-04T01:45:00+10:30"},
    {LHI, SUN, "2027-04-04 02:00", "2027-04-04T02:00:00+10:30"},
    {LHI, SUN, "2027-10-03 01:59", "2027-10-03T01:59:00+10:30"},
    {LHI, SUN, "2027-10-03 02:30", "2027-10-03T02:30:00+11:00"},
    /* Relative forms over a change: Saturday 2027-03-27 and 2027-10-30 in London. */
    {LON, "2027-03-27T12:00:00Z", "tomorrow 10:00", "2027-03-28T10:00:00+01:00"},
    {LON, "2027-03-27T12:00:00Z", "sun 00:30", "2027-03-28T00:30:00+00:00"},
    {LON, "2027-10-30T12:00:00Z", "tomorrow 1:30am", "2027-10-31T01:30:00+01:00"},
    {LON, "2027-10-30T12:00:00Z", "next mon 9:00", "2027-11-01T09:00:00+00:00"},
    /* Between the two 01:30s: the first has passed, so a bare 01:30 is refused (refuse_rows), but 01:59 at
     * 01:45 BST is still ahead. */
    {LON, "2027-10-31T00:45:00Z", "01:59", "2027-10-31T01:59:00+01:00"},
};

typedef struct {
  const char *zone;
  const char *now;
  const char *text;
  const char *why;   /* the message holds this */
  const char *shown; /* how it names the input; NULL: the text without surrounding blanks */
} RefuseRow;

#define LONG_TEXT                                                                                                 \
  "tomorrow 10:00                                                                                       x"

static const RefuseRow refuse_rows[] = {
    {LON, SUN, "next blursday", "is not a time diaryd understands", NULL},
    {LON, SUN, "", "is empty", NULL},
    {LON, SUN, " \t ", "is empty", ""},
    {LON, SUN, LONG_TEXT, "longer than 100 characters",
     "tomorrow 10:00                                              ..."}, /* its first 60 bytes */
    {LON, SUN, "ma\xc3\xb1" "ana 10:00", "printable ASCII", "ma\\xc3\\xb1ana 10:00"},
    {LON, SUN, "tomorrow\x1b[2J 10:00", "printable ASCII", "tomorrow\\x1b[2J 10:00"},
    {LON, SUN, "tomorrow\n10:00", "printable ASCII", "tomorrow\\x0a10:00"},
    {LON, SUN, "tomorrow \"10:00\"", "not a time", "tomorrow \\\"10:00\\\""},
    /* Dates in other orders. */
    {LON, SUN, "12/01/2026", "2026-12-01 14:30 or 2026-01-12 14:30", NULL},
    {LON, SUN, "12/01/2026 10:00", "is ambiguous: the day and month could be either way round", NULL},
    {LON, SUN, "12/01/2026 10:00", "try 2026-12-01 10:00 or 2026-01-12 10:00", NULL},
    {LON, SUN, "01.12.2026", "try 2026-01-12 14:30 or 2026-12-01 14:30", NULL},
    {LON, SUN, "01.12.2026 at 9 am", "try 2026-01-12 9 am or 2026-12-01 9 am", NULL},
    {LON, SUN, "13/01/2026 10:00", "try 2026-01-13 10:00", NULL},
    {LON, SUN, "12/12/2026 10:00", "try 2026-12-12 10:00", NULL},
    {LON, SUN, "12-01-2026 10:00", "either way round", NULL},
    {LON, SUN, "2026/12/01 10:00", "try 2026-12-01 10:00", NULL},
    {LON, SUN, "2026-12-1 10:00", "try 2026-12-01 10:00", NULL},
    {LON, SUN, "12/01/26 10:00", "write it year first, as YYYY-MM-DD", NULL},
    {LON, SUN, "31/31/2026 10:00", "has no such date", NULL},
    {LON, SUN, "12/01/1969 10:00", "1970 to 9999", NULL},
    /* A date or day without a time. */
    {LON, SUN, "2026-12-08", "has no time of day; try 2026-12-08 09:00 or 2026-12-08 2pm", NULL},
    {LON, SUN, "tomorrow", "has no time of day", NULL},
    {LON, SUN, "tomorrow at", "has no time of day", NULL},
    {LON, SUN, "today", "has no time of day", NULL},
    {LON, SUN, "mon", "has no time of day; try mon 09:00", NULL},
    {LON, SUN, "next monday", "has no time of day", NULL},
    {LON, SUN, "at", "not a time", NULL},
    /* Times that do not exist or are odd. */
    {LON, SUN, "2026-12-08 24:00", "no such time of day", NULL},
    {LON, SUN, "2026-12-08 25:00", "no such time of day", NULL},
    {LON, SUN, "2026-12-08 14:60", "no such time of day", NULL},
    {LON, SUN, "2026-12-08 14:30:60", "no such time of day", NULL},
    {LON, SUN, "2026-12-08T24:00:00Z", "no such time of day", NULL},
    {LON, SUN, "tomorrow 24:00", "no such time of day", NULL},
    {LON, SUN, "tomorrow 9:60pm", "no such time of day", NULL},
    {LON, SUN, "tomorrow 13pm", "not a 12-hour time", NULL},
    {LON, SUN, "tomorrow 0am", "not a 12-hour time", NULL},
    {LON, SUN, "tomorrow 00:30am", "not a 12-hour time", NULL},
    {LON, SUN, "tomorrow 14:30pm", "not a 12-hour time", NULL},
    {LON, SUN, "tomorrow 9", "hour without minutes or am/pm; try tomorrow 09:00, tomorrow 9am or tomorrow 9pm", NULL},
    {LON, SUN, "9", "hour without minutes", NULL},
    {LON, SUN, "2026-12-08 17", "try 2026-12-08 17:00", NULL},
    {LON, SUN, "tomorrow 1430", "not a time", NULL},
    {LON, SUN, "tomorrow 9.30", "not a time", NULL},
    {LON, SUN, "tomorrow 9h30", "not a time", NULL},
    {LON, SUN, "midnight", "ambiguous", NULL},
    {LON, SUN, "tomorrow midnight",
     "ambiguous: midnight ends one day and starts the next, so write 00:00 for the start of a day; try tomorrow "
     "00:00",
     NULL},
    {LON, SUN, "2026-12-08T14:30:00.5Z", "fraction of a second", NULL},
    {LON, SUN, "2026-12-08T14:30:00.Z", "not a time", NULL},
    /* Days that do not exist, and years out of range. */
    {LON, SUN, "2026-02-30 10:00", "no such date", NULL},
    {LON, SUN, "2027-02-29 10:00", "no such date", NULL},
    {LON, SUN, "2100-02-29 10:00", "no such date", NULL},
    {LON, SUN, "2026-04-31 10:00", "no such date", NULL},
    {LON, SUN, "2026-13-01 10:00", "no such date", NULL},
    {LON, SUN, "2026-00-10 10:00", "no such date", NULL},
    {LON, SUN, "2026-12-00 10:00", "no such date", NULL},
    {LON, SUN, "2026-02-30T10:00:00Z", "no such date", NULL},
    {LON, SUN, "1969-12-31 10:00", "outside the years 1970 to 9999", NULL},
    {LON, SUN, "0000-01-01 10:00", "outside the years 1970 to 9999", NULL},
    {LON, SUN, "10000-01-01 10:00", "outside the years 1970 to 9999", NULL},
    {LON, SUN, "10000-01-01T10:00:00Z", "outside the years 1970 to 9999", NULL},
    {LON, SUN, "1969-12-31T23:00:00Z", "outside the years 1970 to 9999", NULL},
    {LON, SUN, "1970-01-01T00:30+01:00", "before 1970-01-01 00:00 UTC", NULL},
    {LHI, SUN, "1970-01-01 00:30", "before 1970-01-01 00:00 UTC", NULL},
    {LON, SUN, "1970-01-01 00:30", "before 1970-01-01 00:00 UTC", NULL}, /* BST all year then */
    {LON, SUN, "9999-12-31T23:30-01:00", "after 9999-12-31 23:59:59 UTC", NULL},
    /* Offsets. */
    {LON, SUN, "2026-12-08T14:30:00+15:00", "UTC offset diaryd cannot read", NULL},
    {LON, SUN, "2026-12-08T14:30:00+14:30", "UTC offset diaryd cannot read", NULL},
    {LON, SUN, "2026-12-08T14:30:00+1:00", "UTC offset diaryd cannot read", NULL},
    {LON, SUN, "2026-12-08T14:30:00+01:60", "UTC offset diaryd cannot read", NULL},
    {LON, SUN, "2026-12-08T14:30:00Z+01:00", "UTC offset diaryd cannot read", NULL},
    {LON, SUN, "tomorrow 10:00Z", "UTC offset without a date; try 2026-12-07T10:00:00Z", NULL},
    {LON, SUN, "10:00+01:00", "UTC offset without a date", NULL},
    {LON, SUN, "2026-12-08 9am+01:00", "not a time", NULL},
    /* Other forms that look close. */
    {LON, SUN, "2026-12-08T9:30", "not a time", NULL},
    {LON, SUN, "2026-12-08T09", "not a time", NULL},
    {LON, SUN, "2026-12-08T9am", "not a time", NULL},
    {LON, SUN, "20261208T14:30Z", "not a time", NULL},
    {LON, SUN, "20261208T1430000Z", "not a time", NULL},
    {LON, SUN, "20261208", "not a time", NULL},
    {LON, SUN, "tues 10:00", "not a time", NULL},
    {LON, SUN, "mond 10:00", "not a time", NULL},
    {LON, SUN, "monkey 10:00", "not a time", NULL},
    {LON, SUN, "yesterday 10:00", "not a time", NULL},
    {LON, SUN, "next 10:00", "not a time", NULL},
    {LON, SUN, "next tomorrow 10:00", "not a time", NULL},
    {LON, SUN, "next next mon 10:00", "not a time", NULL},
    {LON, SUN, "this mon 10:00", "not a time", NULL},
    {LON, SUN, "tomorrow at at 10:00", "not a time", NULL},
    {LON, SUN, "in 2 hours", "not a time", NULL},
    {LON, SUN, "now", "not a time", NULL},
    {LON, SUN, "-1", "not a time", NULL},
    /* Left over. */
    {LON, SUN, "tomorrow 10:00 foo", "('foo' is left over)", NULL},
    {LON, SUN, "tomorrow 10:00 am pm", "('pm' is left over)", NULL},
    {LON, SUN, "10:00 tomorrow", "('tomorrow' is left over)", NULL},
    {LON, SUN, "2026-12-08T14:30:00Z foo bar", "('foo bar' is left over)", NULL},
    {LON, SUN, "2026-12-08 14:30 +01:00", "('+01:00' is left over)", NULL},
    {LON, SUN, "mon 9am 10am", "('10am' is left over)", NULL},
    /* A time alone that has passed today. */
    {LON, SUN, "09:00", "is already past today in Europe/London (it is 12:00 there); try tomorrow 09:00", NULL},
    {LON, SUN, "9 am", "is already past today in Europe/London (it is 12:00 there); try tomorrow 9 am", NULL},
    {LON, SUN, "12:00", "already past today", NULL},
    {LON, SUN, "noon", "already past today", NULL},
    {LON, SUN, "at 11:59", "already past today", NULL},
    {LHI, SUN, "9am", "already past today in Australia/Lord_Howe (it is 23:00 there)", NULL},
    {NULL, SUN, "11:00", "already past today in UTC", NULL},
    {LON, "2027-10-31T00:45:00Z", "01:30", "already past today", NULL},
    /* Times the clocks skip. */
    {LON, SUN, "2026-03-29 01:30",
     "does not exist in Europe/London: the clocks go forward from 01:00 to 02:00 on 2026-03-29; try 2026-03-29 02:30",
     NULL},
    {LON, SUN, "2027-03-28 01:00", "the clocks go forward from 01:00 to 02:00 on 2027-03-28; try 2027-03-28 02:00",
     NULL},
    {LON, SUN, "2027-03-28T01:59:59", "does not exist in Europe/London", NULL},
    {NYC, SUN, "2027-03-14 2:30am",
     "does not exist in America/New_York: the clocks go forward from 02:00 to 03:00 on 2027-03-14; try 2027-03-14 "
     "03:30",
     NULL},
    {LHI, SUN, "2027-10-03 02:15",
     "does not exist in Australia/Lord_Howe: the clocks go forward from 02:00 to 02:30 on 2027-10-03; try "
     "2027-10-03 02:45",
     NULL},
    {LON, "2027-03-27T12:00:00Z", "tomorrow 01:30", "does not exist in Europe/London", NULL},
    {LON, "2027-03-27T12:00:00Z", "sun 1:30am", "does not exist in Europe/London", NULL},
    {LON, "2027-03-28T00:30:00Z", "01:30", "does not exist in Europe/London", NULL},
};

typedef struct {
  Zones *zones;
  Zone *zone;
  gint64 now;
} StartCtx;

static StartCtx start_ctx(Zones *zones, const char *zone, const char *now) {
  StartCtx c = {zones, zone ? zones_lookup_exact(zones, zone) : NULL, rfc3339(now)};
  if (zone)
    g_assert_nonnull(c.zone);
  return c;
}

static void check_accepted(Zones *zones, const StartRow *rows, gsize n) {
  for (gsize i = 0; i < n; i++) {
    StartCtx c = start_ctx(zones, rows[i].zone, rows[i].now);
    gint64 got = -777;
    g_autofree char *error = NULL;
    gboolean ok = when_parse_start(rows[i].text, c.now, c.zone, &got, &error);
    g_autofree char *got_text = ok ? test_format(got) : NULL;
    g_autofree char *want_text = test_format(rfc3339(rows[i].want));
    EXPECT(ok && !error, "start \"%s\" in %s at %s refused: %s", rows[i].text, rows[i].zone, rows[i].now,
           error ? error : "(no message)");
    EXPECT(!ok || strcmp(got_text, want_text) == 0, "start \"%s\" in %s at %s is %s, want %s (%s)", rows[i].text,
           rows[i].zone, rows[i].now, got_text, want_text, rows[i].want);
  }
}

static void test_start_forms(void) {
  g_autoptr(Zones) zones = test_zones();
  check_accepted(zones, start_rows, G_N_ELEMENTS(start_rows));
}

static void test_start_days(void) {
  g_autoptr(Zones) zones = test_zones();
  check_accepted(zones, day_rows, G_N_ELEMENTS(day_rows));
}

static void test_start_dst(void) {
  g_autoptr(Zones) zones = test_zones();
  check_accepted(zones, dst_rows, G_N_ELEMENTS(dst_rows));
  /* The overlap answer is zones' own: the first of the two instants. */
  Zone *london = zones_lookup_exact(zones, LON);
  gint64 got = 0;
  g_assert_true(when_parse_start("2027-10-31 01:30", rfc3339(SUN), london, &got, NULL));
  g_assert_cmpint(got, ==, zone_to_instant(london, civil_to_seconds(2027, 10, 31, 1, 30, 0)));
  g_assert_cmpint(zone_to_local(london, got + 3600), ==, civil_to_seconds(2027, 10, 31, 1, 30, 0));
}

/* The forms after the last "; try ", split at ", " and " or ". */
static GPtrArray *suggestions(const char *error) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  const char *try = g_strrstr(error, "; try ");
  if (!try)
    return out;
  g_auto(GStrv) parts = g_strsplit(try + 6, ", ", -1);
  for (char **p = parts; *p; p++) {
    g_auto(GStrv) alts = g_strsplit(*p, " or ", -1);
    for (char **a = alts; *a; a++)
      g_ptr_array_add(out, g_strdup(*a));
  }
  return out;
}

static void test_start_refused(void) {
  g_autoptr(Zones) zones = test_zones();
  for (gsize i = 0; i < G_N_ELEMENTS(refuse_rows); i++) {
    const RefuseRow *r = &refuse_rows[i];
    StartCtx c = start_ctx(zones, r->zone, r->now);
    gint64 got = -777;
    g_autofree char *error = NULL;
    gboolean ok = when_parse_start(r->text, c.now, c.zone, &got, &error);
    g_autofree char *got_text = test_format(got);
    EXPECT(!ok, "start \"%s\" in %s accepted as %s", r->text, r->zone, got_text);
    EXPECT(got == -777, "refused start \"%s\" changed the instant", r->text);
    if (!error) {
      EXPECT(error, "start \"%s\" refused without a message", r->text);
      continue;
    }
    g_autofree char *stripped = g_strstrip(g_strdup(r->text));
    g_autofree char *named = g_strdup_printf("\"%s\" ", r->shown ? r->shown : stripped);
    EXPECT(g_str_has_prefix(error, named), "message for \"%s\" does not start with %s: %s", r->text, named, error);
    EXPECT(strstr(error, r->why), "message for \"%s\" lacks \"%s\": %s", r->text, r->why, error);
    EXPECT(!strchr(error, '\n') && !strchr(error, '\x1b'), "message for \"%s\" is not one line: %s", r->text, error);
    /* Every form offered works (it may only have passed, for "9am" at noon). */
    g_autoptr(GPtrArray) forms = suggestions(error);
    EXPECT(forms->len > 0, "message for \"%s\" offers no form: %s", r->text, error);
    for (guint k = 0; k < forms->len; k++) {
      const char *form = g_ptr_array_index(forms, k);
      gint64 t;
      g_autofree char *why = NULL;
      gboolean form_ok = when_parse_start(form, c.now, c.zone, &t, &why);
      EXPECT(form_ok || strstr(why, "already past today"), "message for \"%s\" offers \"%s\", which fails: %s",
             r->text, form, why);
    }
    /* And the standard message shows today + 2 as the example date. */
    if (!strcmp(r->why, "is not a time diaryd understands") && !strcmp(r->now, SUN))
      EXPECT(g_str_has_suffix(error, "; try 2026-12-08 14:30, tomorrow 10:00, mon 9am or 2026-12-08T14:30:00Z"),
             "standard message: %s", error);
  }
}

/* Found by fuzz_when (a `now` in year 9999): every zone lookup after 2582
 * made libical expand the zone's transitions from its first year again, a
 * second or more per zone and over the fuzzer's 10 s under ASan.  Times in
 * the far future are read with the offsets of the same date 400 years
 * earlier (the calendar repeats), quickly. */
static void test_start_far_future(void) {
  g_autoptr(Zones) zones = test_zones();
  const char *names[] = {LON, NYC, LHI, "America/St_Johns", "Pacific/Chatham"};
  gint64 started = g_get_monotonic_time();
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    Zone *zone = zones_lookup_exact(zones, names[i]);
    g_assert_nonnull(zone);
    gint64 got = 0, near = 0;
    /* 7,600 years apart: the same weekday and the same rules, so the same offset. */
    g_assert_true(when_parse_start("9999-07-01 10:00", rfc3339(SUN), zone, &got, NULL));
    g_assert_true(when_parse_start("2399-07-01 10:00", rfc3339(SUN), zone, &near, NULL));
    g_assert_cmpint(got - near, ==, civil_to_seconds(9999, 7, 1, 10, 0, 0) - civil_to_seconds(2399, 7, 1, 10, 0, 0));
    g_assert_true(when_parse_start("9999-12-31 10:00", rfc3339(SUN), zone, &got, NULL));
    /* A `now` in year 9999 and the fuzzer's input. */
    g_autofree char *error = NULL;
    g_assert_false(when_parse_start("0", rfc3339("9999-06-01T12:00:00Z"), zone, &got, &error));
    g_assert_true(g_str_has_prefix(error, "\"0\" "));
    g_assert_true(when_parse_start("tomorrow 10:00", rfc3339("9999-06-01T12:00:00Z"), zone, &got, NULL));
  }
  /* Before the fix: over a second per zone at -O2. */
  const char *scale = g_getenv("DIARYD_TEST_TIME_SCALE");
  double limit = 2.0 * (scale ? MAX(1, g_ascii_strtod(scale, NULL)) : 1);
  g_assert_cmpfloat((g_get_monotonic_time() - started) / 1e6, <, limit);
}

static void test_start_edges(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *london = zones_lookup_exact(zones, LON);
  gint64 now = rfc3339(SUN), t = -777;
  g_autofree char *error = NULL;
  /* NULL text is empty text; NULL error is allowed. */
  g_assert_false(when_parse_start(NULL, now, london, &t, &error));
  g_assert_cmpstr(error, ==,
                  "\"\" is empty: a start time is needed; try 2026-12-08 14:30, tomorrow 10:00, mon 9am or "
                  "2026-12-08T14:30:00Z");
  g_assert_false(when_parse_start("next blursday", now, london, &t, NULL));
  g_assert_cmpint(t, ==, -777);
  /* The exact message of the brief. */
  g_clear_pointer(&error, g_free);
  g_assert_false(when_parse_start("next blursday", now, london, &t, &error));
  g_assert_cmpstr(error, ==,
                  "\"next blursday\" is not a time diaryd understands; try 2026-12-08 14:30, tomorrow 10:00, mon "
                  "9am or 2026-12-08T14:30:00Z");
  /* 100 bytes is the limit, blanks included. */
  char text[102];
  memset(text, ' ', sizeof text);
  memcpy(text, "tomorrow 10:00", 14);
  text[100] = '\0';
  g_assert_true(when_parse_start(text, now, london, &t, NULL));
  g_assert_cmpint(t, ==, rfc3339("2026-12-07T10:00:00Z"));
  text[100] = ' ';
  text[101] = '\0';
  t = -777;
  g_assert_false(when_parse_start(text, now, london, &t, NULL));
  g_assert_cmpint(t, ==, -777);
  /* A megabyte of input costs one pass and a short message. */
  g_autofree char *huge = g_strnfill(1 << 20, '9');
  g_clear_pointer(&error, g_free);
  g_assert_false(when_parse_start(huge, now, london, &t, &error));
  g_assert_cmpuint(strlen(error), <, 300);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/when/durations", test_durations);
  g_test_add_func("/when/dates", test_dates);
  g_test_add_func("/when/instants", test_instants);
  g_test_add_func("/when/start/forms", test_start_forms);
  g_test_add_func("/when/start/days", test_start_days);
  g_test_add_func("/when/start/dst", test_start_dst);
  g_test_add_func("/when/start/refused", test_start_refused);
  g_test_add_func("/when/start/edges", test_start_edges);
  g_test_add_func("/when/start/far-future", test_start_far_future);
  g_test_add_func("/when/hours", test_hours);
  g_test_add_func("/when/check-lists", test_check_lists);
  g_test_add_func("/when/require-lists", test_require_lists);
  return g_test_run();
}
