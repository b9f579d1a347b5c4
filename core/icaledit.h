/* icaltz: the VTIMEZONEs that go with iCalendar diaryd writes (bookings,
 * moves, the calendar part of confirmations), shared by core/compose and
 * core/confirm.  Pure: libical trees in memory only. */
#pragma once

#include <glib.h>
#include <libical/ical.h>

#include "zones.h"

/* Adds to `tzids` (borrowed const char*, unique) every TZID parameter the
 * component's properties use; the strings live as long as `c`. */
void icaltz_collect_tzids(icalcomponent *c, GPtrArray *tzids);

/* The VTIMEZONE with this TZID among `root`'s components, or NULL. */
icalcomponent *icaltz_find(icalcomponent *root, const char *tzid);

/* A new copy of a zone's VTIMEZONE with its TZID set to `tzid` (NULL when
 * the zone has no definition, or is UTC, which needs none). */
icalcomponent *icaltz_copy(icaltimezone *itz, const char *tzid);

/* The zone database's VTIMEZONE for `tzid`, under that TZID, or NULL. */
icalcomponent *icaltz_from_database(Zones *zones, const char *tzid);
