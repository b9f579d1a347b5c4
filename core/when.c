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
    if (total > MAX_DURATION) /* now, before a long text can overflow the sum */
      return FALSE;
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
    if (total > MAX_DURATION) /* now, before a long text can overflow the sum */
      return FALSE;
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

/* ---- start times: when_parse_start() ------------------------------------------------------------------------
 *
 * The text is lowered and split into words, then read as
 *   [day part] ["at"] time [nothing]        or        one ISO 8601 date-time word
 * where the day part is a date, "today", "tomorrow", a weekday or "next" and a weekday.  Each piece either
 * matches, does not match (the generic "not understood" message), or is recognised and refused with a reason
 * and forms to try instead (a Why).  Every message ends with forms that parse, so a person can copy one. */

#define START_MAX_TEXT 100 /* longer input is refused */
#define START_SHOWN 60     /* of which a message quotes this much */
#define YEAR_FIRST 1970
#define YEAR_LAST 9999
#define INSTANT_END G_GINT64_CONSTANT(253402300800) /* 10000-01-01T00:00:00Z */

typedef struct {
  int hour, minute, second;
  gboolean has_offset; /* an instant: Z or +HH:MM followed the time */
  int offset;          /* seconds east of UTC, when has_offset */
} Clock;

/* Why a piece was refused.  No reason: "is not a time diaryd understands"; no forms: the standard examples. */
typedef struct {
  char *reason; /* follows the quoted input: "has no time of day" */
  char *forms;  /* follows "try ": "tomorrow 9am or tomorrow 9pm" */
} Why;

static void why_set(Why *why, char *reason, char *forms) {
  g_free(why->reason);
  g_free(why->forms);
  why->reason = reason;
  why->forms = forms;
}

static void why_clear(Why *why) { why_set(why, NULL, NULL); }

/* What the text is read against. */
typedef struct {
  gint64 now;
  Zone *tz;    /* not owned; NULL = UTC */
  gint64 today; /* day number of `now` in tz */
  int weekday;  /* of today, 0 = Monday */
} Here;

static int month_days(int y, int m) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  gboolean leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : mdays[m - 1];
}

static gboolean date_exists(int y, int m, int d) { return m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m); }

static gboolean check_date(int y, int m, int d, Why *why) {
  if (y < YEAR_FIRST || y > YEAR_LAST) {
    why_set(why, g_strdup("is outside the years 1970 to 9999"), NULL);
    return FALSE;
  }
  if (!date_exists(y, m, d)) {
    why_set(why, g_strdup_printf("has no such date (%04d-%02d-%02d does not exist)", y, m, d), NULL);
    return FALSE;
  }
  return TRUE;
}

static char *format_day(gint64 day) {
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  return g_strdup_printf("%04d-%02d-%02d", y, m, d);
}

/* "14:30", or "14:30:15" when the seconds are not zero. */
static char *format_clock(gint64 local) {
  gint64 rest = local - seconds_to_days(local) * 86400;
  int s = (int)(rest % 60);
  return s ? g_strdup_printf("%02d:%02d:%02d", (int)(rest / 3600), (int)(rest / 60 % 60), s)
           : g_strdup_printf("%02d:%02d", (int)(rest / 3600), (int)(rest / 60 % 60));
}

/* "<day> <time>", or "tomorrow <time>" without a day. */
static char *with_day(const char *day_text, const char *time) {
  return g_strdup_printf("%s %s", day_text && *day_text ? day_text : "tomorrow", time);
}

/* The input as a message shows it: quoted characters escaped, bytes outside printable ASCII as \xNN (they
 * could be terminal controls), and no more than START_SHOWN bytes of an over-long text. */
static char *quote_input(const char *text) {
  gsize len = strlen(text);
  gboolean cut = len > START_MAX_TEXT;
  GString *out = g_string_new(NULL);
  for (gsize i = 0; i < (cut ? START_SHOWN : len); i++) {
    guchar c = (guchar)text[i];
    if (c == '"' || c == '\\')
      g_string_append_printf(out, "\\%c", c);
    else if (c < 0x20 || c > 0x7e)
      g_string_append_printf(out, "\\x%02x", c);
    else
      g_string_append_c(out, (char)c);
  }
  if (cut)
    g_string_append(out, "...");
  return g_string_free(out, FALSE);
}

/* Sets *error from `why` and clears it; returns FALSE for the caller to pass on. */
static gboolean refuse(char **error, const Here *here, const char *shown, Why *why) {
  if (error) {
    g_autofree char *quoted = quote_input(shown);
    g_autofree char *forms = NULL;
    if (why->forms) {
      forms = g_strdup(why->forms);
    } else {
      g_autofree char *date = format_day(here->today + 2);
      forms = g_strdup_printf("%s 14:30, tomorrow 10:00, mon 9am or %sT14:30:00Z", date, date);
    }
    *error = g_strdup_printf("\"%s\" %s; try %s", quoted,
                             why->reason ? why->reason : "is not a time diaryd understands", forms);
  }
  why_clear(why);
  return FALSE;
}

/* The rest of a word after a time: "z", "+hh:mm", "+hhmm" (or '-'), up to 14 hours. */
static gboolean parse_offset(const char *p, int *offset) {
  if (!strcmp(p, "z")) {
    *offset = 0;
    return TRUE;
  }
  if (*p != '+' && *p != '-')
    return FALSE;
  int h, m;
  const char *q = p + 1;
  if (!digits(q, 2, &h))
    return FALSE;
  q += 2;
  if (*q == ':')
    q++;
  if (!digits(q, 2, &m) || q[2] || m > 59 || h * 60 + m > 14 * 60)
    return FALSE;
  *offset = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
  return TRUE;
}

/* A time of day in word `w` (lowered), perhaps with "am"/"pm" as the next word (`next`, may be NULL; *used_next
 * says whether it was taken).  `iso`: only HH:MM[:SS[.0]][offset], as inside an ISO 8601 date-time.  `day_text`
 * (may be NULL) is the day part as typed, for suggestions.  FALSE with `why` empty: this is not a time. */
static gboolean parse_clock(const char *w, const char *next, gboolean iso, const char *day_text, Clock *out,
                            gboolean *used_next, Why *why) {
  *used_next = FALSE;
  if (!iso && !strcmp(w, "noon")) {
    *out = (Clock){12, 0, 0, FALSE, 0};
    return TRUE;
  }
  if (!iso && !strcmp(w, "midnight")) {
    why_set(why,
            g_strdup("is ambiguous: midnight ends one day and starts the next, so write 00:00 for the start of a day"),
            with_day(day_text, "00:00"));
    return FALSE;
  }
  const char *p = w;
  int nh = 0, h = 0, m = 0, s = 0;
  while (nh < 3 && g_ascii_isdigit(p[nh]))
    h = h * 10 + (p[nh++] - '0');
  if (nh == 0 || nh > 2 || (iso && nh != 2))
    return FALSE;
  p += nh;
  gboolean colon = *p == ':';
  if (colon) {
    if (!digits(p + 1, 2, &m))
      return FALSE;
    p += 3;
    if (*p == ':') {
      if (!digits(p + 1, 2, &s))
        return FALSE;
      p += 3;
      if (*p == '.') {
        /* Tools write "14:30:00.000Z"; a fraction that is not zero would be lost. */
        const char *f = ++p;
        gboolean nonzero = FALSE;
        while (g_ascii_isdigit(*p))
          nonzero |= *p++ != '0';
        if (p == f)
          return FALSE;
        if (nonzero) {
          why_set(why, g_strdup("has a fraction of a second, and diaryd keeps whole seconds"), NULL);
          return FALSE;
        }
      }
    }
  }
  if (iso && !colon)
    return FALSE;
  const char *half = NULL; /* "am" or "pm" */
  *out = (Clock){0};
  if (!iso && (!strcmp(p, "am") || !strcmp(p, "pm"))) {
    half = p;
  } else if (!iso && !*p && next && (!strcmp(next, "am") || !strcmp(next, "pm"))) {
    half = next;
    *used_next = TRUE;
  } else if (*p) {
    if (!colon || (*p != 'z' && *p != '+' && *p != '-'))
      return FALSE;
    if (!parse_offset(p, &out->offset)) {
      why_set(why, g_strdup("has a UTC offset diaryd cannot read: write Z or +HH:MM, at most 14 hours"), NULL);
      return FALSE;
    }
    out->has_offset = TRUE;
  }
  if (m > 59 || s > 59 || (!half && colon && h > 23)) {
    why_set(why, g_strdup("has no such time of day: hours run from 00 to 23 and minutes from 00 to 59"), NULL);
    return FALSE;
  }
  if (half) {
    if (h < 1 || h > 12) {
      why_set(why, g_strdup("is not a 12-hour time: with am or pm the hour runs from 1 to 12 (12am is 00:00)"),
              NULL);
      return FALSE;
    }
    h = h % 12 + (half[0] == 'p' ? 12 : 0);
  } else if (!colon) {
    /* "9": 9am or 9pm? */
    g_autofree char *plain = g_strdup_printf("%02d:00", h);
    char *forms;
    if (h >= 1 && h <= 12) {
      g_autofree char *a = with_day(day_text, plain);
      g_autofree char *b = g_strdup_printf("%s %dam", day_text && *day_text ? day_text : "tomorrow", h);
      g_autofree char *c = g_strdup_printf("%s %dpm", day_text && *day_text ? day_text : "tomorrow", h);
      forms = g_strdup_printf("%s, %s or %s", a, b, c);
    } else {
      forms = h <= 23 ? with_day(day_text, plain) : NULL;
    }
    why_set(why, g_strdup("gives an hour without minutes or am/pm"), forms);
    return FALSE;
  }
  out->hour = h;
  out->minute = m;
  out->second = s;
  return TRUE;
}

/* One word holding an ISO 8601 date and time: "2026-12-08t14:30[:00][offset]" or "20261208t1430[00][offset]"
 * (lowered).  FALSE with `why` empty: not this form. */
static gboolean parse_iso_word(const char *w, int *y, int *mo, int *d, Clock *c, Why *why) {
  char basic[32];
  const char *t;
  if (digits(w, 4, y) && w[4] == '-' && digits(w + 5, 2, mo) && w[7] == '-' && digits(w + 8, 2, d) && w[10] == 't') {
    t = w + 11;
  } else if (digits(w, 4, y) && digits(w + 4, 2, mo) && digits(w + 6, 2, d) && w[8] == 't') {
    /* Basic format: rewrite the time as extended and read it the same way. */
    const char *b = w + 9;
    int hh, mm, ss = 0;
    if (!digits(b, 2, &hh) || !digits(b + 2, 2, &mm))
      return FALSE;
    b += 4;
    gboolean sec = digits(b, 2, &ss);
    if (sec)
      b += 2;
    if (*b == ':' || g_ascii_isdigit(*b) || strlen(b) > 16)
      return FALSE;
    if (sec)
      g_snprintf(basic, sizeof basic, "%02d:%02d:%02d%s", hh, mm, ss, b);
    else
      g_snprintf(basic, sizeof basic, "%02d:%02d%s", hh, mm, b);
    t = basic;
  } else {
    return FALSE;
  }
  if (!check_date(*y, *mo, *d, why))
    return FALSE;
  gboolean used_next;
  return parse_clock(t, NULL, TRUE, NULL, c, &used_next, why);
}

/* "2026-12-08" (lowered word).  FALSE with `why` empty: not a date. */
static gboolean parse_date_word(const char *w, int *y, int *mo, int *d, Why *why) {
  if (strlen(w) != 10 || !digits(w, 4, y) || w[4] != '-' || !digits(w + 5, 2, mo) || w[7] != '-' ||
      !digits(w + 8, 2, d))
    return FALSE;
  return check_date(*y, *mo, *d, why);
}

static int weekday_word(const char *w) {
  static const char *const names[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  for (int i = 0; i < 7; i++)
    if (!strcmp(w, names[i]) || (strlen(w) == 3 && !strncmp(w, names[i], 3)))
      return i;
  return -1;
}

static void append_reading(GString *forms, int y, int m, int d, const char *time) {
  g_string_append_printf(forms, "%s%04d-%02d-%02d %s", forms->len ? " or " : "", y, m, d, time);
}

/* A date written in another notation: 12/01/2026, 01.12.2026, 1-12-2026, 2026/12/01, 2026-12-1, 12/01/26.
 * Day-month order differs between countries, so none is guessed: `why` offers the YYYY-MM-DD readings, with
 * `time` (the time that followed, or an example).  FALSE: not a date at all. */
static gboolean foreign_date(const char *w, const char *time, Why *why) {
  int g[3], len[3];
  char sep = 0;
  const char *p = w;
  for (int i = 0; i < 3; i++) {
    const char *start = p;
    g[i] = 0;
    while (g_ascii_isdigit(*p) && p - start < 5)
      g[i] = g[i] * 10 + (*p++ - '0');
    len[i] = (int)(p - start);
    if (!len[i] || g_ascii_isdigit(*p))
      return FALSE;
    if (i < 2) {
      if ((*p != '/' && *p != '.' && *p != '-') || (i == 1 && *p != sep))
        return FALSE;
      sep = *p++;
    }
  }
  if (*p)
    return FALSE;
  g_autoptr(GString) forms = g_string_new(NULL);
  const char *reason = "writes the date in a form diaryd does not read: write it year first, as YYYY-MM-DD";
  if (len[2] == 4 && len[0] <= 2 && len[1] <= 2) {
    /* a/b/yyyy: month first (US) or day first (most elsewhere)? */
    int y = g[2];
    if (y < YEAR_FIRST || y > YEAR_LAST) {
      why_set(why, g_strdup("is outside the years 1970 to 9999"), NULL);
      return TRUE;
    }
    gboolean month_first = date_exists(y, g[0], g[1]), day_first = date_exists(y, g[1], g[0]);
    if (month_first)
      append_reading(forms, y, g[0], g[1], time);
    if (day_first && g[0] != g[1])
      append_reading(forms, y, g[1], g[0], time);
    if (month_first && day_first && g[0] != g[1])
      reason = "is ambiguous: the day and month could be either way round, so write the date year first";
    else if (!month_first && !day_first)
      reason = "has no such date, whichever way round the day and month are";
  } else if (len[0] == 4 && len[1] <= 2 && len[2] <= 2) {
    if (g[0] < YEAR_FIRST || g[0] > YEAR_LAST)
      reason = "is outside the years 1970 to 9999";
    else if (!date_exists(g[0], g[1], g[2]))
      reason = "has no such date";
    else
      append_reading(forms, g[0], g[1], g[2], time);
  }
  why_set(why, g_strdup(reason), forms->len ? g_strdup(forms->str) : NULL);
  return TRUE;
}

typedef enum { DAY_NONE, DAY_TODAY, DAY_TOMORROW, DAY_WEEKDAY, DAY_NEXT_WEEKDAY, DAY_DATE } DayKind;

/* The local time a clock shows on a day. */
static gint64 clock_local(gint64 day, const Clock *c) {
  return day * 86400 + c->hour * 3600 + c->minute * 60 + c->second;
}

/* A local time in tz's DST gap: say where the gap is and offer the reading RFC 5545 gives it, which is what
 * other calendar programs would store. */
static void gap_why(const Here *here, gint64 local, gint64 instant, Why *why) {
  int before = (int)(local - instant); /* zone_to_instant() read the gap with the offset before it */
  int after = zone_offset_at(here->tz, instant);
  /* The transition lies in (local - after, instant]; find its first second. */
  gint64 lo = local - after, hi = instant;
  while (hi - lo > 1) {
    gint64 mid = lo + (hi - lo) / 2;
    if (zone_offset_at(here->tz, mid) == after)
      hi = mid;
    else
      lo = mid;
  }
  g_autofree char *from = format_clock(hi + before);
  g_autofree char *to = format_clock(hi + after);
  g_autofree char *day = format_day(seconds_to_days(local));
  g_autofree char *moved = format_clock(instant + after);
  g_autofree char *moved_day = format_day(seconds_to_days(instant + after));
  why_set(why,
          g_strdup_printf("does not exist in %s: the clocks go forward from %s to %s on %s", zone_name(here->tz),
                          from, to, day),
          g_strdup_printf("%s %s", moved_day, moved));
}

gboolean when_parse_start(const char *text, gint64 now, Zone *tz, gint64 *instant, char **error) {
  gint64 local_now = zone_to_local(tz, now);
  Here here = {now, tz, seconds_to_days(local_now), 0};
  here.weekday = days_to_weekday(here.today);
  Why why = {0};
  if (!text)
    text = "";
  if (strlen(text) > START_MAX_TEXT) {
    why_set(&why, g_strdup_printf("is longer than %d characters", START_MAX_TEXT), NULL);
    return refuse(error, &here, text, &why);
  }
  for (const char *p = text; *p; p++)
    if ((guchar)*p > 0x7e || ((guchar)*p < 0x20 && *p != '\t')) {
      why_set(&why, g_strdup("has characters other than printable ASCII"), NULL);
      return refuse(error, &here, text, &why);
    }
  g_autofree char *shown = g_strstrip(g_strdup(text));
  if (!*shown) {
    why_set(&why, g_strdup("is empty: a start time is needed"), NULL);
    return refuse(error, &here, shown, &why);
  }

  g_autofree char *lower = g_ascii_strdown(shown, -1);
  g_auto(GStrv) split = g_strsplit_set(lower, " \t", -1);
  g_autoptr(GPtrArray) words = g_ptr_array_new(); /* of char *, not owned: into `split` */
  for (char **w = split; *w; w++)
    if (**w)
      g_ptr_array_add(words, *w);
  guint n = words->len, i = 0;
#define WORD(k) ((const char *)g_ptr_array_index(words, (k)))

  DayKind kind = DAY_NONE;
  int y = 0, mo = 0, d = 0, wd = -1;
  Clock c = {0};
  gboolean have_clock = FALSE;
  const char *first = WORD(0);
  int year_digits = 0;
  while (g_ascii_isdigit(first[year_digits]))
    year_digits++;
  if (year_digits > 4 && first[year_digits] == '-') {
    why_set(&why, g_strdup("is outside the years 1970 to 9999"), NULL);
    return refuse(error, &here, shown, &why);
  }
  if (g_ascii_isdigit(first[0]) && strchr(first, 't')) {
    if (!parse_iso_word(first, &y, &mo, &d, &c, &why))
      return refuse(error, &here, shown, &why);
    kind = DAY_DATE;
    have_clock = TRUE;
    i = 1;
  } else if (parse_date_word(first, &y, &mo, &d, &why)) {
    kind = DAY_DATE;
    i = 1;
  } else if (why.reason) {
    return refuse(error, &here, shown, &why);
  } else if (!strcmp(first, "today") || !strcmp(first, "tomorrow")) {
    kind = !strcmp(first, "today") ? DAY_TODAY : DAY_TOMORROW;
    i = 1;
  } else if ((wd = weekday_word(first)) >= 0) {
    kind = DAY_WEEKDAY;
    i = 1;
  } else if (!strcmp(first, "next") && n > 1 && (wd = weekday_word(WORD(1))) >= 0) {
    kind = DAY_NEXT_WEEKDAY;
    i = 2;
  } else {
    /* A date in another notation?  Offer its readings with the time that follows, if there is one. */
    const char *time = "14:30";
    g_autofree char *typed = NULL;
    guint t = n > 1 && !strcmp(WORD(1), "at") ? 2 : 1;
    Clock ignored;
    gboolean used_next;
    Why quiet = {0};
    if (t < n && parse_clock(WORD(t), t + 1 < n ? WORD(t + 1) : NULL, FALSE, NULL, &ignored, &used_next, &quiet) &&
        !ignored.has_offset && t + 1 + used_next == n)
      time = typed = used_next ? g_strdup_printf("%s %s", WORD(t), WORD(t + 1)) : g_strdup(WORD(t));
    why_clear(&quiet);
    if (foreign_date(first, time, &why))
      return refuse(error, &here, shown, &why);
  }
  g_autofree char *day_text = NULL;
  if (i > 0) {
    GString *s = g_string_new(WORD(0));
    for (guint k = 1; k < i; k++)
      g_string_append_printf(s, " %s", WORD(k));
    day_text = g_string_free(s, FALSE);
  }

  g_autofree char *time_text = NULL;
  if (!have_clock) {
    if (i < n && !strcmp(WORD(i), "at"))
      i++;
    if (i >= n) {
      if (kind != DAY_NONE)
        why_set(&why, g_strdup("has no time of day"), g_strdup_printf("%s 09:00 or %s 2pm", day_text, day_text));
      return refuse(error, &here, shown, &why);
    }
    gboolean used_next;
    if (!parse_clock(WORD(i), i + 1 < n ? WORD(i + 1) : NULL, FALSE, day_text, &c, &used_next, &why))
      return refuse(error, &here, shown, &why);
    time_text = used_next ? g_strdup_printf("%s %s", WORD(i), WORD(i + 1)) : g_strdup(WORD(i));
    i += used_next ? 2 : 1;
  }
  if (i < n) {
    GString *rest = g_string_new(WORD(i));
    for (guint k = i + 1; k < n; k++)
      g_string_append_printf(rest, " %s", WORD(k));
    why_set(&why, g_strdup_printf("is not a time diaryd understands ('%s' is left over)", rest->str), NULL);
    g_string_free(rest, TRUE);
    return refuse(error, &here, shown, &why);
  }
#undef WORD
  if (c.has_offset && kind != DAY_DATE) {
    g_autofree char *date = format_day(kind == DAY_TOMORROW ? here.today + 1 : here.today);
    why_set(&why, g_strdup("gives a UTC offset without a date"),
            g_strdup_printf("%sT%02d:%02d:%02dZ", date, c.hour, c.minute, c.second));
    return refuse(error, &here, shown, &why);
  }

  gint64 t;
  if (c.has_offset) {
    t = civil_to_seconds(y, mo, d, c.hour, c.minute, c.second) - c.offset;
  } else {
    gint64 day;
    switch (kind) {
    case DAY_DATE:
      day = civil_to_days(y, mo, d);
      break;
    case DAY_TOMORROW:
      day = here.today + 1;
      break;
    case DAY_WEEKDAY:
      day = here.today + (wd - here.weekday + 7) % 7;
      if (day == here.today && zone_to_instant(tz, clock_local(day, &c)) <= now)
        day += 7;
      break;
    case DAY_NEXT_WEEKDAY:
      day = here.today - here.weekday + 7 + wd; /* Monday of next week, then the day */
      break;
    case DAY_NONE:
    case DAY_TODAY:
    default:
      day = here.today;
      break;
    }
    gint64 local = clock_local(day, &c);
    t = zone_to_instant(tz, local);
    if (zone_to_local(tz, t) != local) {
      gap_why(&here, local, t, &why);
      return refuse(error, &here, shown, &why);
    }
    if (kind == DAY_NONE && t <= now) {
      g_autofree char *clock_now = format_clock(local_now);
      why_set(&why,
              g_strdup_printf("is already past today in %s (it is %s there)", tz ? zone_name(tz) : "UTC", clock_now),
              with_day("tomorrow", time_text));
      return refuse(error, &here, shown, &why);
    }
  }
  if (t < 0 || t >= INSTANT_END) {
    why_set(&why,
            g_strdup(t < 0 ? "is before 1970-01-01 00:00 UTC, the earliest time diaryd accepts"
                           : "is after 9999-12-31 23:59:59 UTC, the latest time diaryd accepts"),
            NULL);
    return refuse(error, &here, shown, &why);
  }
  *instant = t;
  return TRUE;
}
