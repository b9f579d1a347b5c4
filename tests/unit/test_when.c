/* Unit tests for what people type (core/when.c): durations, dates,
 * instants, working hours and check/field lists. */
#include <glib.h>
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

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/when/durations", test_durations);
  g_test_add_func("/when/dates", test_dates);
  g_test_add_func("/when/instants", test_instants);
  g_test_add_func("/when/hours", test_hours);
  g_test_add_func("/when/check-lists", test_check_lists);
  g_test_add_func("/when/require-lists", test_require_lists);
  return g_test_run();
}
