/* zones: see zones.h.
 *
 * Why our own conversion: libical's icaltime_as_timet_with_zone() reads a
 * local time in a DST gap with the offset *after* the gap and an ambiguous
 * one as the *second* instant, both against RFC 5545 §3.3.5, and it costs
 * about 1.4 us a call.  We ask libical only for the offset at a UTC instant
 * and remember each answer as a span [from, to) of constant offset, found by
 * probing a week at a time (a day for VTIMEZONEs a calendar carries, which
 * may be odd) and bisecting to the second.  Real transitions are weeks
 * apart, so a span is exact; later lookups are a binary search.
 */
#include "zones.h"

#include <string.h>

#define PROBE_STEP (7 * 86400)
#define PROBE_REACH (400 * 86400)

typedef struct {
  gint64 from, to; /* [from, to) */
  int offset;
} Span;

struct Zone {
  char *name;
  icaltimezone *ical;  /* NULL = UTC */
  gboolean owns_ical;
  GArray *spans;       /* of Span, sorted, disjoint */
  guint last;          /* index of the span that answered last */
  gint64 probe_step;   /* spacing of offset probes: a week for the database's
                        * zones, a day for definitions a calendar carries */
};

struct Zones {
  ZonesLookupFunc lookup;
  gpointer user_data;
  GHashTable *by_name; /* owned name -> Zone* or the NOT_FOUND marker */
  GPtrArray *all;      /* owns every Zone */
  GHashTable *missing; /* names the database does not know */
  Zone *utc;
};

static Zone not_found_marker;
#define NOT_FOUND (&not_found_marker)

static void zone_free(Zone *zone) {
  if (!zone)
    return;
  if (zone->owns_ical && zone->ical)
    icaltimezone_free(zone->ical, 1);
  g_array_unref(zone->spans);
  g_free(zone->name);
  g_free(zone);
}

static Zone *zone_new(Zones *zones, const char *name, icaltimezone *ical, gboolean owns) {
  Zone *zone = g_new0(Zone, 1);
  zone->name = g_strdup(name);
  zone->ical = ical;
  zone->owns_ical = owns;
  zone->spans = g_array_new(FALSE, FALSE, sizeof(Span));
  zone->probe_step = owns ? 86400 : PROBE_STEP;
  g_ptr_array_add(zones->all, zone);
  g_hash_table_insert(zones->by_name, g_strdup(zone->name), zone);
  return zone;
}

Zones *zones_new(ZonesLookupFunc lookup, gpointer user_data) {
  Zones *zones = g_new0(Zones, 1);
  zones->lookup = lookup;
  zones->user_data = user_data;
  zones->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  zones->all = g_ptr_array_new_with_free_func((GDestroyNotify)zone_free);
  zones->missing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  zones->utc = zone_new(zones, "UTC", NULL, FALSE);
  return zones;
}

void zones_free(Zones *zones) {
  if (!zones)
    return;
  g_hash_table_destroy(zones->by_name);
  g_hash_table_destroy(zones->missing);
  g_ptr_array_free(zones->all, TRUE);
  g_free(zones);
}

Zone *zones_utc(Zones *zones) { return zones->utc; }
const char *zone_name(const Zone *zone) { return zone ? zone->name : "UTC"; }
icaltimezone *zone_ical(const Zone *zone) {
  return zone && zone->ical ? zone->ical : icaltimezone_get_utc_timezone();
}

static gboolean is_utc_name(const char *name) {
  static const char *const names[] = {"UTC", "GMT", "Z", "Etc/UTC", "Etc/GMT", "Etc/Zulu", "Zulu",
                                      "Universal", "Etc/Universal", "Coordinated Universal Time"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (g_ascii_strcasecmp(name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static Zone *lookup_iana(Zones *zones, const char *name) {
  if (!zones->lookup || !*name)
    return NULL;
  icaltimezone *ical = zones->lookup(name, zones->user_data);
  if (!ical)
    return NULL;
  const char *location = icaltimezone_get_location(ical);
  return zone_new(zones, location && *location ? location : name, ical, FALSE);
}

/* Cached lookup of an exact IANA name (or a database alias). */
static Zone *resolve_iana(Zones *zones, const char *name) {
  gpointer hit = g_hash_table_lookup(zones->by_name, name);
  if (hit)
    return hit == NOT_FOUND ? NULL : hit;
  if (is_utc_name(name))
    return zones->utc;
  if (g_hash_table_contains(zones->missing, name))
    return NULL;
  Zone *zone = lookup_iana(zones, name);
  if (!zone && g_hash_table_size(zones->missing) < 10000)
    g_hash_table_add(zones->missing, g_strdup(name));
  if (zone && strcmp(zone->name, name) != 0)
    g_hash_table_insert(zones->by_name, g_strdup(name), zone);
  return zone;
}

Zone *zones_resolve(Zones *zones, const char *tzid) {
  if (!tzid)
    return NULL;
  g_autofree char *name = g_strstrip(g_strdup(tzid));
  gsize len = strlen(name);
  if (len >= 2 && name[0] == '"' && name[len - 1] == '"') {
    memmove(name, name + 1, len - 2);
    name[len - 2] = '\0';
    g_strstrip(name);
  }
  if (!*name || strlen(name) > 200)
    return NULL;

  gpointer hit = g_hash_table_lookup(zones->by_name, name);
  if (hit)
    return hit == NOT_FOUND ? NULL : hit;

  Zone *zone = resolve_iana(zones, name);
  /* Vendor prefixes: "/mozilla.org/20050126_1/Europe/London",
   * "/freeassociation.sourceforge.net/Tzfile/Europe/London": a name that
   * starts with a slash; try each suffix after a slash, longest first (at
   * most a few: zone names have at most three parts). */
  int tries = 0;
  for (const char *p = name; !zone && name[0] == '/' && tries < 8 && (p = strchr(p, '/')) != NULL; p++, tries++)
    if (p[1])
      zone = resolve_iana(zones, p + 1);
  if (!zone) {
    const char *iana = zones_windows_to_iana(name);
    if (iana)
      zone = resolve_iana(zones, iana);
  }
  g_hash_table_insert(zones->by_name, g_strdup(name), zone ? (gpointer)zone : NOT_FOUND);
  return zone;
}

Zone *zones_lookup_exact(Zones *zones, const char *tzid) {
  if (!tzid || !*tzid || strlen(tzid) > 200)
    return NULL;
  return resolve_iana(zones, tzid);
}

Zone *zones_adopt(Zones *zones, const char *key, icaltimezone *ical) {
  gpointer hit = g_hash_table_lookup(zones->by_name, key);
  if (hit && hit != NOT_FOUND) {
    icaltimezone_free(ical, 1);
    return hit;
  }
  return zone_new(zones, key, ical, TRUE);
}

/* ---- civil calendar ---------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
gint64 civil_to_days(int year, int month, int day) {
  gint64 y = (gint64)year - (month <= 2);
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void days_to_civil(gint64 days, int *year, int *month, int *day) {
  days += 719468;
  gint64 era = (days >= 0 ? days : days - 146096) / 146097;
  gint64 doe = days - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 y = yoe + era * 400;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *year = (int)(y + (m <= 2));
  *month = m;
  *day = d;
}

gint64 civil_to_seconds(int year, int month, int day, int hour, int minute, int second) {
  return civil_to_days(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

gint64 seconds_to_days(gint64 seconds) {
  return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
}

int days_to_weekday(gint64 days) {
  /* 1970-01-01 was a Thursday (3 when Monday = 0). */
  gint64 w = (days + 3) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

gint64 icaltime_to_local_seconds(struct icaltimetype t) {
  if (t.is_date)
    return civil_to_days(t.year, t.month, t.day) * 86400;
  return civil_to_seconds(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

struct icaltimetype local_seconds_to_icaltime(gint64 local_seconds, gboolean is_date) {
  struct icaltimetype t = icaltime_null_time();
  gint64 days = seconds_to_days(local_seconds);
  gint64 rest = local_seconds - days * 86400;
  days_to_civil(days, &t.year, &t.month, &t.day);
  if (is_date) {
    t.is_date = 1;
  } else {
    t.hour = (int)(rest / 3600);
    t.minute = (int)(rest / 60 % 60);
    t.second = (int)(rest % 60);
  }
  return t;
}

/* ---- offsets ------------------------------------------------------------- */

/* libical caches a zone's transitions only up to 2582, and after that
 * expands them all again, from the zone's first year, at every lookup: a
 * second or more each (several under a sanitizer), so one event or typed
 * time in year 9999 cost seconds per zone (found by fuzz_when).  The
 * Gregorian calendar repeats every 400 years to the weekday (146,097 days),
 * and zone rules that far ahead are yearly rules (the database's last
 * explicit transitions are in 2087): an instant from 2500 on is given the
 * offset of the instant 400 * k years earlier that falls in [2100, 2500).
 * An embedded VTIMEZONE's RDATEs after 2500 are ignored: no real zone has
 * them. */
#define FAR_FUTURE G_GINT64_CONSTANT(16725225600)            /* 2500-01-01T00:00:00Z */
#define GREGORIAN_CYCLE (G_GINT64_CONSTANT(146097) * 86400) /* 400 years */

static int ical_offset(Zone *zone, gint64 instant) {
  if (instant >= FAR_FUTURE)
    instant = FAR_FUTURE - GREGORIAN_CYCLE + (instant - FAR_FUTURE) % GREGORIAN_CYCLE;
  struct icaltimetype t = local_seconds_to_icaltime(instant, FALSE);
  t.zone = icaltimezone_get_utc_timezone();
  int is_daylight = 0;
  return icaltimezone_get_utc_offset_of_utc_time(zone->ical, &t, &is_daylight);
}

/* Index of the span containing `instant`, or -(insertion point) - 1. */
static gint find_span(GArray *spans, gint64 instant) {
  guint lo = 0, hi = spans->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    const Span *s = &g_array_index(spans, Span, mid);
    if (instant < s->from)
      hi = mid;
    else if (instant >= s->to)
      lo = mid + 1;
    else
      return (gint)mid;
  }
  return -(gint)lo - 1;
}

/* Smallest t in (a, b] whose offset differs from `offset` (given that
 * offset(a) == offset and offset(b) != offset). */
static gint64 bisect(Zone *zone, gint64 a, gint64 b, int offset) {
  while (b - a > 1) {
    gint64 mid = a + (b - a) / 2;
    if (ical_offset(zone, mid) == offset)
      a = mid;
    else
      b = mid;
  }
  return b;
}

int zone_offset_at(Zone *zone, gint64 instant) {
  if (!zone || !zone->ical)
    return 0;
  /* Lookups cluster in time: try the span that answered last. */
  if (zone->last < zone->spans->len) {
    const Span *s = &g_array_index(zone->spans, Span, zone->last);
    if (instant >= s->from && instant < s->to)
      return s->offset;
  }
  gint pos = find_span(zone->spans, instant);
  if (pos >= 0) {
    zone->last = (guint)pos;
    return g_array_index(zone->spans, Span, pos).offset;
  }

  guint insert = (guint)(-pos - 1);
  gint64 floor = insert > 0 ? g_array_index(zone->spans, Span, insert - 1).to : G_MININT64;
  gint64 ceiling = insert < zone->spans->len ? g_array_index(zone->spans, Span, insert).from : G_MAXINT64;
  int offset = ical_offset(zone, instant);

  Span span = {instant, instant + 1, offset};
  /* Walk back a week at a time, then bisect to the transition. */
  for (gint64 t = instant; span.from > floor && instant - t < PROBE_REACH;) {
    gint64 probe = MAX(t - zone->probe_step, floor);
    if (probe == G_MININT64)
      break;
    if (ical_offset(zone, probe) != offset) {
      /* The first instant after the transition carries our offset. */
      span.from = bisect(zone, probe, t, ical_offset(zone, probe));
      break;
    }
    span.from = t = probe;
  }
  for (gint64 t = instant; span.to < ceiling && t - instant < PROBE_REACH;) {
    gint64 probe = MIN(t + zone->probe_step, ceiling - 1);
    if (probe <= t)
      break;
    if (ical_offset(zone, probe) != offset) {
      span.to = bisect(zone, t, probe, offset);
      break;
    }
    t = probe;
    span.to = probe + 1;
  }
  g_array_insert_val(zone->spans, insert, span);
  return offset;
}

gint64 zone_to_local(Zone *zone, gint64 instant) { return instant + zone_offset_at(zone, instant); }

gint64 zone_to_instant(Zone *zone, gint64 local) {
  if (!zone || !zone->ical)
    return local;
  int before = zone_offset_at(zone, local - 86400);
  int after = zone_offset_at(zone, local + 86400);
  gint64 early = local - before, late = local - after;
  gboolean early_ok = zone_offset_at(zone, early) == before;
  gboolean late_ok = zone_offset_at(zone, late) == after;
  if (before == after || (early_ok && late_ok))
    return MIN(early, late); /* unambiguous, or the first of two instants */
  if (early_ok)
    return early;
  if (late_ok)
    return late;
  return early; /* in a gap: the offset before it */
}
