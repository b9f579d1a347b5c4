/* tzdb: the system's time zone database, for core/zones.
 *
 * Zone names come from calendars and command lines, so they are checked
 * before libical turns them into a path under the zoneinfo folder.
 */
#pragma once

#include <glib.h>
#include <libical/ical.h>

/* ZonesLookupFunc over libical's system zone database: an IANA name -> zone,
 * or NULL when the name is malformed or unknown. */
icaltimezone *tzdb_lookup(const char *iana_name, gpointer user_data);

/* The system's local zone name: $TZ if it names a zone, else /etc/timezone,
 * else the target of /etc/localtime, else "UTC".  Newly allocated. */
char *tzdb_system_zone(void);
