/* when: see when.h. */
#include "when.h"

#include "zones.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DURATION (366 * 86400)

static gboolean iso_duration(const char *s, gint64 *out) {
  /* P[nW][nD][T[nH][nM][nS]] */
  const char *p = s + 1;
  gint64 total = 0;
  gboolean in_time = FALSE, any = FALSE;
  while (*p) {
    if (*p == 'T' || *p == 't') {
      if (in_time)
        return FALSE;
      in_time = TRUE;
      p++;
      continue;
    }
    if (!g_ascii_isdigit(*p))
      return FALSE;
    char *end;
    guint64 n = g_ascii_strtoull(p, &end, 10);
    if (n > MAX_DURATION)
      return FALSE;
    char unit = g_ascii_toupper(*end);
    gint64 mult = !in_time && unit == 'W' ? 7 * 86400
                  : !in_time && unit == 'D' ? 86400
                  : in_time && unit == 'H'  ? 3600
                  : in_time && unit == 'M'  ? 60
                  : in_time && unit == 'S'  ? 1
                                            : 0;
    if (!mult)
      return FALSE;
    total += (gint64)n * mult;
    any = TRUE;
    p = end + 1;
  }
  if (!any || total > MAX_DURATION)
    return FALSE;
  *out = total;
  return TRUE;
}

gboolean when_parse_duration(const char *text, gint64 *seconds) {
  if (!text)
    return FALSE;
  g_autofree char *s = g_strstrip(g_strdup(text));
  if (!*s)
    return FALSE;
  if (s[0] == 'P' || s[0] == 'p')
    return iso_duration(s, seconds);
  const char *p = s;
  gint64 total = 0;
  gboolean any = FALSE;
  while (*p) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    /* Digits with at most one decimal point: no signs, exponents or hex. */
    const char *num = p;
    gboolean dot = FALSE;
    while (g_ascii_isdigit(*p) || (*p == '.' && !dot)) {
      dot = dot || *p == '.';
      p++;
    }
    if (p == num || (p - num == 1 && *num == '.'))
      return FALSE;
    g_autofree char *digits_text = g_strndup(num, (gsize)(p - num));
    double n = g_ascii_strtod(digits_text, NULL);
    char *end = (char *)p;
    if (n > MAX_DURATION)
      return FALSE;
    while (*end == ' ')
      end++;
    gint64 mult;
    const char *unit = end;
    while (g_ascii_isalpha(*end))
      end++;
    gsize ulen = (gsize)(end - unit);
    if (ulen == 0)
      mult = 60; /* a bare number is minutes */
    else if (!g_ascii_strncasecmp(unit, "s", ulen) || !g_ascii_strncasecmp(unit, "sec", ulen) ||
             !g_ascii_strncasecmp(unit, "secs", ulen) || !g_ascii_strncasecmp(unit, "seconds", ulen))
      mult = 1;
    else if (!g_ascii_strncasecmp(unit, "m", ulen) || !g_ascii_strncasecmp(unit, "min", ulen) ||
             !g_ascii_strncasecmp(unit, "mins", ulen) || !g_ascii_strncasecmp(unit, "minutes", ulen))
      mult = 60;
    else if (!g_ascii_strncasecmp(unit, "h", ulen) || !g_ascii_strncasecmp(unit, "hr", ulen) ||
             !g_ascii_strncasecmp(unit, "hrs", ulen) || !g_ascii_strncasecmp(unit, "hours", ulen) ||
             !g_ascii_strncasecmp(unit, "hour", ulen))
      mult = 3600;
    else if (!g_ascii_strncasecmp(unit, "d", ulen) || !g_ascii_strncasecmp(unit, "days", ulen) ||
             !g_ascii_strncasecmp(unit, "day", ulen))
      mult = 86400;
    else
      return FALSE;
    if (ulen == 0 && *end) /* "90 30" is not a duration */
      return FALSE;
    total += (gint64)(n * (double)mult + 0.5);
    any = TRUE;
    p = end;
  }
  if (!any || total > MAX_DURATION)
    return FALSE;
  *seconds = total;
  return TRUE;
}

static gboolean digits(const char *p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!g_ascii_isdigit(p[i]))
      return FALSE;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return TRUE;
}

static gboolean valid_date(int y, int m, int d) {
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 2500 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return FALSE;
  return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

gboolean when_parse_date(const char *text, gint64 *day) {
  int y, m, d;
  if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-' || !digits(text, 4, &y) ||
      !digits(text + 5, 2, &m) || !digits(text + 8, 2, &d) || !valid_date(y, m, d))
    return FALSE;
  *day = civil_to_days(y, m, d);
  return TRUE;
}

gboolean when_parse_instant(const char *text, gint64 *instant) {
  int y, mo, d, h, mi, s = 0;
  if (!text || strlen(text) < 16)
    return FALSE;
  if (!digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) || text[7] != '-' ||
      !digits(text + 8, 2, &d) || (text[10] != 'T' && text[10] != ' ') || !digits(text + 11, 2, &h) ||
      text[13] != ':' || !digits(text + 14, 2, &mi) || !valid_date(y, mo, d) || h > 23 || mi > 59)
    return FALSE;
  const char *p = text + 16;
  if (*p == ':') {
    if (!digits(p + 1, 2, &s) || s > 59)
      return FALSE;
    p += 3;
  }
  gint64 offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 14 || om > 59)
      return FALSE;
    offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return FALSE;
  }
  if (*p)
    return FALSE;
  *instant = civil_to_seconds(y, mo, d, h, mi, s) - offset;
  return TRUE;
}

static int weekday_index(const char *name) {
  static const char *const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; i++)
    if (g_ascii_strncasecmp(name, names[i], 3) == 0)
      return i;
  return -1;
}

static gboolean clock_minutes(const char *text, int *out) {
  int h, m;
  if (strlen(text) == 5 && text[2] == ':' && digits(text, 2, &h) && digits(text + 3, 2, &m) &&
      ((h < 24 && m < 60) || (h == 24 && m == 0))) {
    *out = h * 60 + m;
    return TRUE;
  }
  return FALSE;
}

gboolean when_parse_hours(const char *text, WorkHours hours[7]) {
  if (!text)
    return FALSE;
  WorkHours out[7];
  memcpy(out, hours, sizeof out);
  g_autofree char *s = g_strstrip(g_strdup(text));
  if (!g_ascii_strcasecmp(s, "24/7") || !g_ascii_strcasecmp(s, "any")) {
    for (int i = 0; i < 7; i++)
      hours[i] = (WorkHours){0, 24 * 60};
    return TRUE;
  }
  g_auto(GStrv) parts = g_strsplit_set(s, ",;", -1);
  for (char **part = parts; *part; part++) {
    g_strstrip(*part);
    if (!**part)
      continue;
    g_auto(GStrv) words = g_strsplit(*part, " ", -1);
    guint nw = g_strv_length(words);
    if (nw != 2)
      return FALSE;
    int first, last;
    char *dash = strchr(words[0], '-');
    if (dash) {
      *dash = '\0';
      first = weekday_index(words[0]);
      last = weekday_index(dash + 1);
    } else {
      first = last = weekday_index(words[0]);
    }
    if (first < 0 || last < 0)
      return FALSE;
    WorkHours wh;
    if (!g_ascii_strcasecmp(words[1], "off")) {
      wh = (WorkHours){0, 0};
    } else {
      char *hyphen = strchr(words[1], '-');
      if (!hyphen)
        return FALSE;
      *hyphen = '\0';
      if (!clock_minutes(words[1], &wh.start) || !clock_minutes(hyphen + 1, &wh.end) || wh.end <= wh.start)
        return FALSE;
    }
    for (int d = first;; d = (d + 1) % 7) {
      out[d] = wh;
      if (d == last)
        break;
    }
  }
  memcpy(hours, out, sizeof out);
  return TRUE;
}

gboolean when_parse_checks(const char *text, guint *mask, char **bad_name) {
  guint m = 0;
  g_auto(GStrv) names = g_strsplit(text ? text : "", ",", -1);
  for (char **n = names; *n; n++) {
    g_strstrip(*n);
    if (!**n)
      continue;
    CheckKind k;
    if (!g_ascii_strcasecmp(*n, "all")) {
      m |= (1u << CHECK_N) - 1;
      continue;
    }
    if (!check_kind_from_name(*n, &k)) {
      if (bad_name)
        *bad_name = g_strdup(*n);
      return FALSE;
    }
    m |= 1u << k;
  }
  *mask = m;
  return TRUE;
}

gboolean when_parse_require(const char *text, guint *mask, char **bad_name) {
  static const struct {
    const char *name;
    guint bit;
  } fields[] = {{"time", REQUIRE_TIME},
                {"location", REQUIRE_LOCATION},
                {"attendees", REQUIRE_ATTENDEES},
                {"requirements", REQUIRE_REQUIREMENTS},
                {"description", REQUIRE_REQUIREMENTS}};
  guint m = 0;
  g_auto(GStrv) names = g_strsplit(text ? text : "", ",", -1);
  for (char **n = names; *n; n++) {
    g_strstrip(*n);
    if (!**n || !g_ascii_strcasecmp(*n, "none"))
      continue;
    gboolean found = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
      if (!g_ascii_strcasecmp(*n, fields[i].name)) {
        m |= fields[i].bit;
        found = TRUE;
      }
    if (!found) {
      if (bad_name)
        *bad_name = g_strdup(*n);
      return FALSE;
    }
  }
  *mask = m;
  return TRUE;
}

char *when_format_duration(gint64 seconds) {
  GString *out = g_string_new(seconds < 0 ? "-" : "");
  guint64 left = seconds < 0 ? -(guint64)seconds : (guint64)seconds;
  static const struct {
    guint64 size;
    char unit;
  } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
    if (left >= units[i].size) {
      g_string_append_printf(out, "%" G_GUINT64_FORMAT "%c", left / units[i].size, units[i].unit);
      left %= units[i].size;
    }
  if (out->len == 0 || (out->len == 1 && out->str[0] == '-'))
    g_string_assign(out, "0s");
  return g_string_free(out, FALSE);
}
