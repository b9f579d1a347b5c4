/* icaledit: what the modules that write iCalendar (core/compose for
 * bookings and moves, core/confirm for the calendar part of confirmations)
 * share: the VTIMEZONEs that go with it, and edits of libical trees.  Pure:
 * libical trees in memory only. */
#pragma once

#include <glib.h>
#include <libical/ical.h>

#include "zones.h"

/* Adds to `tzids` (borrowed const char*, unique) every TZID parameter the
 * component's properties use; the strings live as long as `c`. */
void icaledit_collect_tzids(icalcomponent *c, GPtrArray *tzids);

/* The VTIMEZONE with this TZID among `root`'s components, or NULL. */
icalcomponent *icaledit_find_vtimezone(icalcomponent *root, const char *tzid);

/* A new copy of a zone's VTIMEZONE with its TZID set to `tzid` (NULL when
 * the zone has no definition, or is UTC, which needs none). */
icalcomponent *icaledit_copy_vtimezone(icaltimezone *itz, const char *tzid);

/* The zone database's VTIMEZONE for `tzid`, under that TZID, or NULL. */
icalcomponent *icaledit_vtimezone_from_database(Zones *zones, const char *tzid);

/* Removes (and frees) every property of this kind from `c`. */
void icaledit_remove_all(icalcomponent *c, icalproperty_kind kind);
