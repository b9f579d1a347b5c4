/* synced: the diary `diaryd sync` keeps in the store, read for the checks. */
#pragma once

#include <glib.h>

#include "accounts.h"
#include "appointment.h"

/* Parses every good object of every synced calendar of the store at
 * `db_path` into `series` (Series*), with diagnostics in `diags`.  Each
 * series' source is "ACCOUNT/CALENDAR/OBJECT" (the href's last segment).
 * Calendars set `busy = false` in `cfg` (may be NULL) give transparent
 * appointments.  *objects counts the objects read. */
gboolean synced_read(const char *db_path, const DiarydConfig *cfg, Zones *zones, GPtrArray *series, GPtrArray *diags,
                     guint *objects, GError **error);
