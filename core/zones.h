/* zones: time zone resolution and fast local <-> UTC conversion.
 *
 * core/ never opens files, so it does not load zone data itself: the caller
 * hands zones_new() a lookup function that turns an IANA name into a libical
 * zone (agent/ uses libical's system zone database).  zones_resolve() accepts
 * what calendars really carry in TZID: IANA names, names with a vendor prefix
 * ("/mozilla.org/20050126_1/Europe/London"), and Windows names ("W. Europe
 * Standard Time").
 *
 * Conversions follow RFC 5545 §3.3.5: a local time that falls in a DST gap is
 * read with the offset before the gap; an ambiguous one (DST ends) is the
 * first of the two instants.  Offsets are cached per zone as spans of
 * constant offset, so a conversion costs a binary search.
 *
 * Instants are seconds since the epoch (UTC).  "Local seconds" are the same
 * scale applied to a wall-clock reading (civil date and time as if UTC).
 */
#pragma once

#include <glib.h>
#include <libical/ical.h>

typedef struct Zones Zones;
/* One resolved zone.  Owned by the Zones that returned it. */
typedef struct Zone Zone;

/* Returns a zone for an IANA name or NULL.  The zone must outlive Zones. */
typedef icaltimezone *(*ZonesLookupFunc)(const char *iana_name, gpointer user_data);

Zones *zones_new(ZonesLookupFunc lookup, gpointer user_data);
void zones_free(Zones *zones);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Zones, zones_free)

/* The zone for a TZID as written in a calendar, or NULL when no rule above
 * resolves it.  Results are cached. */
Zone *zones_resolve(Zones *zones, const char *tzid);

/* Only a zone database name (or UTC alias) exactly as written, else NULL. */
Zone *zones_lookup_exact(Zones *zones, const char *tzid);

/* Adopts a zone that is not in the database (a VTIMEZONE carried by a
 * calendar object).  `key` identifies its definition (TZID and content); if
 * a zone with that key exists, `ical` is freed and the existing one returned.
 * Takes ownership of `ical`. */
Zone *zones_adopt(Zones *zones, const char *key, icaltimezone *ical);

/* The UTC zone (always available). */
Zone *zones_utc(Zones *zones);

const char *zone_name(const Zone *zone);
icaltimezone *zone_ical(const Zone *zone);

/* UTC offset in seconds at an instant. */
int zone_offset_at(Zone *zone, gint64 instant);
/* Wall clock -> instant, RFC 5545 gap and overlap rules.  NULL zone = UTC. */
gint64 zone_to_instant(Zone *zone, gint64 local_seconds);
/* Instant -> wall clock in that zone. */
gint64 zone_to_local(Zone *zone, gint64 instant);

/* Civil calendar helpers (proleptic Gregorian, no time zone). */
gint64 civil_to_days(int year, int month, int day);
void days_to_civil(gint64 days, int *year, int *month, int *day);
gint64 civil_to_seconds(int year, int month, int day, int hour, int minute, int second);
/* 0 = Monday ... 6 = Sunday */
int days_to_weekday(gint64 days);
/* Seconds (local or UTC) -> day number, rounding down before 1970 too. */
gint64 seconds_to_days(gint64 seconds);
/* icaltimetype (date or date-time, zone ignored) -> local seconds. */
gint64 icaltime_to_local_seconds(struct icaltimetype t);
struct icaltimetype local_seconds_to_icaltime(gint64 local_seconds, gboolean is_date);

/* The Windows -> IANA mapping (CLDR windowsZones, territory 001). NULL if
 * unknown.  Case-insensitive. */
const char *zones_windows_to_iana(const char *windows_name);
