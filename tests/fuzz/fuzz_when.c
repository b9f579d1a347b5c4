/* libFuzzer target: core/when, what people type -- durations, dates,
 * instants, start times (`book --start`), working hours, check and field
 * lists.  Any crash, sanitizer report, hang or leak is a bug, and so is a
 * broken promise:
 *   - a duration read is in [0, 366 days], when_format_duration() writes it
 *     in a form that reads back as the same value, and that form is the
 *     formatter's own (formatting is canonical);
 *   - a date read is written back as the very text read (YYYY-MM-DD);
 *   - an instant read, written back as YYYY-MM-DDTHH:MM:SSZ, reads as the
 *     same instant;
 *   - a start time read is within 1970-01-01 to 9999-12-31 UTC and its
 *     ISO 8601 UTC form reads as the same instant in any zone; a refusal
 *     leaves the output alone and says why in one line of printable ASCII
 *     that ends with forms to try; over 100 bytes is always refused;
 *   - working hours read are within the day, start before end (or a day
 *     off), and a refusal leaves them alone.
 * The input is the text; its hash picks `now` (1970-9999) and the zone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "when.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

#define MAX_DURATION (366 * 86400)
#define INSTANT_END G_GINT64_CONSTANT(253402300800) /* 10000-01-01T00:00:00Z */

static char *iso_utc(gint64 t) {
  gint64 day = seconds_to_days(t), rest = t - day * 86400;
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

static void check_duration(const char *text) {
  gint64 s = -777;
  if (!when_parse_duration(text, &s)) {
    CHECK(s == -777);
    return;
  }
  CHECK(s >= 0 && s <= MAX_DURATION);
  g_autofree char *written = when_format_duration(s);
  gint64 back = -777;
  CHECK(when_parse_duration(written, &back) && back == s);
  g_autofree char *again = when_format_duration(back);
  CHECK(strcmp(written, again) == 0);
}

static void check_date(const char *text) {
  gint64 day = -777;
  if (!when_parse_date(text, &day)) {
    CHECK(day == -777);
    return;
  }
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  g_autofree char *written = g_strdup_printf("%04d-%02d-%02d", y, m, d);
  CHECK(strcmp(written, text) == 0);
}

static void check_instant(const char *text) {
  gint64 t = -777;
  if (!when_parse_instant(text, &t)) {
    CHECK(t == -777);
    return;
  }
  g_autofree char *written = iso_utc(t);
  gint64 back = -777;
  CHECK(when_parse_instant(written, &back) && back == t);
}

static void check_start(const char *text, gint64 now, Zone *tz, Zone *other) {
  gint64 t = -777;
  char *error = NULL;
  if (!when_parse_start(text, now, tz, &t, &error)) {
    CHECK(t == -777 && error && *error && strstr(error, "; try "));
    for (const char *p = error; *p; p++)
      CHECK(*p >= 0x20 && *p <= 0x7e);
    g_free(error);
    /* Without a place for the message, the same answer. */
    CHECK(!when_parse_start(text, now, tz, &t, NULL) && t == -777);
    return;
  }
  CHECK(!error);
  CHECK(strlen(text) <= 100);
  CHECK(t >= 0 && t < INSTANT_END);
  g_autofree char *written = iso_utc(t);
  gint64 back = -777;
  CHECK(when_parse_start(written, now, other, &back, NULL) && back == t);
}

static void check_hours(const char *text) {
  WorkHours hours[7], before[7];
  for (int i = 0; i < 7; i++)
    hours[i] = before[i] = (WorkHours){i, 1000 + i}; /* marks: a refusal must leave them */
  if (!when_parse_hours(text, hours)) {
    CHECK(memcmp(hours, before, sizeof hours) == 0);
    return;
  }
  for (int i = 0; i < 7; i++) {
    if (hours[i].start == before[i].start && hours[i].end == before[i].end)
      continue; /* not named */
    CHECK((hours[i].start == 0 && hours[i].end == 0) ||
          (hours[i].start >= 0 && hours[i].start < hours[i].end && hours[i].end <= 24 * 60));
  }
}

static void check_lists(const char *text) {
  guint mask = 0xdead;
  char *bad = NULL;
  if (!when_parse_checks(text, &mask, &bad))
    CHECK(mask == 0xdead && bad && strstr(text, bad));
  g_free(bad);
  bad = NULL;
  mask = 0xdead;
  if (!when_parse_require(text, &mask, &bad))
    CHECK(mask == 0xdead && bad && strstr(text, bad));
  g_free(bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  static Zones *zones; /* one for the run: zones cache what they resolve */
  static Zone *tzs[5];
  if (!zones) {
    zones = test_zones();
    /* UTC, a zone with summer time, one half an hour off, one on the date line, one 45 minutes off. */
    const char *names[] = {"Europe/London", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Chatham"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
      tzs[i + 1] = zones_resolve(zones, names[i]);
  }
  guint64 hash = 14695981039346656037u;
  for (size_t i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 1099511628211u;
  g_autofree char *text = g_strndup((const char *)data, size); /* up to the first NUL, as C callers see it */
  check_duration(text);
  check_date(text);
  check_instant(text);
  check_hours(text);
  check_lists(text);
  /* Near 2026 mostly, where people book; anywhere in 1970-9999 sometimes. */
  gint64 now = (hash & 1) ? (gint64)((hash >> 1) % (guint64)INSTANT_END)
                          : G_GINT64_CONSTANT(1796544000) + (gint64)((hash >> 1) % (5u * 366 * 86400));
  check_start(text, now, tzs[(hash >> 8) % 5], tzs[(hash >> 16) % 5]);
  return 0;
}
