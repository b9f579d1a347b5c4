/* libFuzzer target: core/httpdate, a Retry-After header as a server sends
 * it -> http_parse_retry_after, and the same text as an HTTP-date.  Any
 * crash, sanitizer report or hang is a bug, and so is a broken promise:
 *   - Retry-After is -1 or a delay in [RETRY_AFTER_MIN, RETRY_AFTER_MAX]
 *     (1 s to 6 h), whatever `now` is (the whole gint64 range is tried:
 *     the caller's clock is not ours to trust either);
 *   - digits alone are their value, clamped, however many there are;
 *   - a date read is within 1970-9999, written back as an IMF-fixdate it
 *     reads as the same instant, and Retry-After with that date is its
 *     distance from `now`, clamped;
 *   - a later `now` never means a longer wait for the same date. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpdate.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

#define NOW ((gint64)1796544000) /* 2026-12-06T08:00:00Z */
#define INSTANT_LAST G_GINT64_CONSTANT(253402300799)

static gboolean in_range(gint64 r) { return r == -1 || (r >= RETRY_AFTER_MIN && r <= RETRY_AFTER_MAX); }

static gint64 clamp_wait(gint64 when, gint64 now) {
  if (now >= when)
    return RETRY_AFTER_MIN;
  if (now < when - RETRY_AFTER_MAX)
    return RETRY_AFTER_MAX;
  return CLAMP(when - now, RETRY_AFTER_MIN, RETRY_AFTER_MAX);
}

static char *imf_fixdate(gint64 t) {
  static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  gint64 day = seconds_to_days(t), rest = t - day * 86400;
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT", days[days_to_weekday(day)], d, months[m - 1], y,
                         (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60));
}

/* Digits alone (blanks around them allowed): their value, capped. */
static gboolean digits_value(const char *s, gint64 *out) {
  while (*s == ' ' || *s == '\t')
    s++;
  if (!g_ascii_isdigit(*s))
    return FALSE;
  gint64 v = 0;
  for (; g_ascii_isdigit(*s); s++)
    v = MIN(v * 10 + (*s - '0'), G_GINT64_CONSTANT(1000000000));
  while (*s == ' ' || *s == '\t')
    s++;
  *out = v;
  return *s == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  g_autofree char *text = g_strndup((const char *)data, size);
  /* A `now` from anywhere in gint64, chosen by the input's hash. */
  guint64 hash = 14695981039346656037u;
  for (size_t i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 1099511628211u;
  const gint64 nows[] = {NOW, 0, INSTANT_LAST, G_MININT64, G_MAXINT64, (gint64)hash};
  for (gsize i = 0; i < G_N_ELEMENTS(nows); i++) {
    gint64 r = http_parse_retry_after(text, nows[i]);
    CHECK(in_range(r));
    gint64 v;
    if (digits_value(text, &v))
      CHECK(r == CLAMP(v, RETRY_AFTER_MIN, RETRY_AFTER_MAX));
    gint64 when = -777;
    if (httpdate_parse(text, nows[i], &when)) {
      CHECK(when >= 0 && when <= INSTANT_LAST);
      CHECK(r == clamp_wait(when, nows[i]));
      g_autofree char *again = imf_fixdate(when);
      gint64 back = -777;
      CHECK(httpdate_parse(again, nows[i], &back) && back == when);
      /* (A two-digit year can change century when `now` changes year.) */
      gint64 later = -777;
      if (nows[i] < G_MAXINT64 && httpdate_parse(text, nows[i] + 1, &later) && later == when)
        CHECK(http_parse_retry_after(text, nows[i] + 1) <= r);
    } else {
      CHECK(when == -777);
      CHECK(r == -1 || digits_value(text, &v));
    }
  }
  return 0;
}
