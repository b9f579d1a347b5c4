/* httpdate: see httpdate.h.
 *
 * Our own reader, not curl_getdate(): core/ links no libcurl, and
 * curl_getdate() reads far more than HTTP-dates (any order of words,
 * time zone names, "+0100"), which only widens what a server's header can
 * make us believe.  The three forms of RFC 9110 are all a recipient must
 * accept, and all that servers send in Retry-After.
 *
 * The text is walked with a cursor that never passes its NUL: every step
 * looks at one byte and stops at anything it does not expect. */
#include "httpdate.h"

#include "zones.h"

#include <string.h>

#define YEAR_FIRST 1970
#define YEAR_LAST 9999
#define INSTANT_LAST G_GINT64_CONSTANT(253402300799) /* 9999-12-31T23:59:59Z */

static const char *skip_blanks(const char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* The index of the letters at *p in `names` (whole words, any case), the
 * cursor moved past them; -1 and the cursor unmoved otherwise. */
static int name_index(const char **p, const char *const *names, int n) {
  const char *q = *p;
  gsize len = 0;
  while (g_ascii_isalpha(q[len]))
    len++;
  for (int i = 0; i < n; i++)
    if (strlen(names[i]) == len && g_ascii_strncasecmp(q, names[i], len) == 0) {
      *p = q + len;
      return i;
    }
  return -1;
}

static gboolean weekday(const char **p) {
  static const char *const names[] = {"mon",    "tue",     "wed",       "thu",      "fri",    "sat",
                                      "sun",    "monday",  "tuesday",   "wednesday", "thursday", "friday",
                                      "saturday", "sunday"};
  return name_index(p, names, G_N_ELEMENTS(names)) >= 0;
}

/* 1 to 12, or 0 when *p is not a month's name. */
static int month(const char **p) {
  static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
  return name_index(p, names, G_N_ELEMENTS(names)) + 1;
}

/* Exactly `min` to `max` digits (max <= 4: no overflow). */
static gboolean number(const char **p, int min, int max, int *out) {
  const char *q = *p;
  int v = 0, n = 0;
  while (n < max && g_ascii_isdigit(q[n])) {
    v = v * 10 + (q[n] - '0');
    n++;
  }
  if (n < min || g_ascii_isdigit(q[n]))
    return FALSE;
  *p = q + n;
  *out = v;
  return TRUE;
}

/* HH:MM:SS */
static gboolean clock_time(const char **p, int *h, int *m, int *s) {
  const char *q = *p;
  if (!number(&q, 2, 2, h) || *q++ != ':' || !number(&q, 2, 2, m) || *q++ != ':' || !number(&q, 2, 2, s))
    return FALSE;
  if (*h > 23 || *m > 59 || *s > 60)
    return FALSE;
  if (*s == 60)
    *s = 59;
  *p = q;
  return TRUE;
}

static gboolean gmt(const char **p) {
  static const char *const names[] = {"gmt"};
  return name_index(p, names, 1) == 0;
}

static gboolean day_exists(int y, int m, int d) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d >= 1 && d <= mdays[m - 1] + (m == 2 && leap);
}

/* RFC 9110: a two-digit year more than 50 years ahead of now is a past one. */
static int full_year(int yy, gint64 now) {
  int cy, cm, cd;
  days_to_civil(seconds_to_days(CLAMP(now, 0, INSTANT_LAST)), &cy, &cm, &cd);
  int y = cy - cy % 100 + yy;
  return y > cy + 50 ? y - 100 : y;
}

gboolean httpdate_parse(const char *text, gint64 now, gint64 *instant) {
  if (!text)
    return FALSE;
  const char *p = skip_blanks(text);
  int y, mo, d, h, mi, s;
  if (!weekday(&p))
    return FALSE;
  if (*p == ',') {
    /* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or rfc850 "Sunday, 06-Nov-94 08:49:37 GMT" */
    p = skip_blanks(p + 1);
    if (!number(&p, 1, 2, &d))
      return FALSE;
    if (*p == '-') {
      p++;
      if (!(mo = month(&p)) || *p++ != '-')
        return FALSE;
      const char *year_at = p;
      if (number(&p, 2, 2, &y))
        y = full_year(y, now);
      else if (p = year_at, !number(&p, 4, 4, &y))
        return FALSE;
    } else {
      p = skip_blanks(p);
      if (!(mo = month(&p)))
        return FALSE;
      p = skip_blanks(p);
      if (!number(&p, 4, 4, &y))
        return FALSE;
    }
    p = skip_blanks(p);
    if (!clock_time(&p, &h, &mi, &s))
      return FALSE;
    p = skip_blanks(p);
    if (!gmt(&p))
      return FALSE;
  } else {
    /* asctime "Sun Nov  6 08:49:37 1994" */
    p = skip_blanks(p);
    if (!(mo = month(&p)))
      return FALSE;
    p = skip_blanks(p);
    if (!number(&p, 1, 2, &d))
      return FALSE;
    p = skip_blanks(p);
    if (!clock_time(&p, &h, &mi, &s))
      return FALSE;
    p = skip_blanks(p);
    if (!number(&p, 4, 4, &y))
      return FALSE;
  }
  if (*skip_blanks(p))
    return FALSE;
  if (y < YEAR_FIRST || y > YEAR_LAST || !day_exists(y, mo, d))
    return FALSE;
  *instant = civil_to_seconds(y, mo, d, h, mi, s);
  return TRUE;
}

gint64 http_parse_retry_after(const char *value, gint64 now) {
  if (!value)
    return -1;
  const char *p = skip_blanks(value);
  gint64 seconds;
  if (g_ascii_isdigit(*p)) {
    /* Digits only, counted without a number type that could overflow:
     * past RETRY_AFTER_MAX the value no longer matters. */
    seconds = 0;
    while (g_ascii_isdigit(*p)) {
      if (seconds <= RETRY_AFTER_MAX)
        seconds = seconds * 10 + (*p - '0');
      p++;
    }
    if (*skip_blanks(p))
      return -1;
  } else {
    gint64 when;
    if (!httpdate_parse(p, now, &when))
      return -1;
    /* `now` comes from the caller's clock, which could be anything: no
     * subtraction that could overflow (`when` is within years 1970-9999). */
    if (now >= when)
      seconds = 0;
    else if (now < when - RETRY_AFTER_MAX)
      seconds = RETRY_AFTER_MAX;
    else
      seconds = when - now;
  }
  return CLAMP(seconds, RETRY_AFTER_MIN, RETRY_AFTER_MAX);
}
