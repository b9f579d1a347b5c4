/* calfiles: .ics files and folders given on the command line or kept as a
 * local calendar folder (a vdir: one object per file, as vdirsyncer and
 * khal keep them).
 *
 * Reading never stops at a bad file: each problem becomes a Diagnostic that
 * names the file, and the rest are read.
 */
#pragma once

#include <glib.h>

#include "appointment.h"

#define CALFILES_DEFAULT_MAX_SIZE (32u * 1024 * 1024)

typedef struct {
  guint files_read;   /* files that gave at least one event or were empty of events */
  guint files_failed; /* files that could not be read or parsed at all */
  guint events;
} CalfilesStats;

/* Reads every path: a file (any name) or a folder (searched recursively for
 * *.ics, hidden entries and symbolic links to folders skipped).  Appends
 * Series* to `series` and Diagnostic* to `diags`.  Files larger than
 * `max_size` bytes are refused with a diagnostic. */
void calfiles_read(const char *const *paths, gsize max_size, Zones *zones, GPtrArray *series, GPtrArray *diags,
                   CalfilesStats *stats);
