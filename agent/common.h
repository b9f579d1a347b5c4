/* common: what the diary commands share (check, slots, occurrences,
 * agenda, and the agent's refresh): the rule flags and --config, the
 * window, and reading the diary.
 *
 * A command fills a Common from its options (common_context), then
 * common_setup() applies the settings and reads the diary into a Setup;
 * common_build_diary() moves what was read into a Diary.  Problems with the
 * input are printed on stderr, one line each, and reading goes on. */
#pragma once

#include <glib.h>

#include "calfiles.h"
#include "config.h"
#include "diary.h"

typedef struct {
  char *from, *to, *config, *colour, *now, *max_size, *db;
  gboolean json;
  gboolean allow_empty; /* with no paths, an empty diary is fine (the agent, agenda) */
  GPtrArray *settings; /* alternating key, value from rule flags, applied after --config */
  CheckConfig cfg;
} Common;

/* Everything a diary command needs, built from the options. */
typedef struct {
  Zones *zones;
  Zone *tz;
  gint64 now;
  gint64 from_day, to_day; /* local day numbers of the window [from_day, to_day) */
  gint64 from, to;         /* the same as instants */
  GPtrArray *series;       /* of Series*, until common_build_diary() takes them */
  GPtrArray *diags;
  CalfilesStats stats;
  guint synced_objects;    /* objects read from the store */
} Setup;

void common_init(Common *c);
void common_clear(Common *c);

/* An option context with the window, --json, --config, --color, --now,
 * --max-size, --db and every rule flag, plus `extra`.  The rule flags are
 * collected into c->settings and applied by common_setup(). */
GOptionContext *common_context(const char *params, const char *summary, Common *c, const GOptionEntry *extra);

/* Prints each diagnostic as "diaryd: FILE[:LINE]: message" and empties the array. */
void common_print_diagnostics(GPtrArray *diags);
gboolean common_want_colour(const Common *c);

/* $XDG_DATA_HOME/diaryd/calendar: the local calendar folder. */
char *common_default_folder(void);

/* Applies the settings, works out the window (default_days from --from,
 * itself today by default) and reads the diary: the files and folders in
 * `paths`, or with none, the store diaryd sync keeps and the local calendar
 * folder, whichever exist.  Returns 0, or EXIT_USAGE after printing why. */
int common_setup(Common *c, char **paths, gint64 default_days, Setup *s);
void common_setup_clear(Setup *s);

/* Keeps only the series of one synced calendar ("NAME" or "ACCOUNT/NAME":
 * their source is "ACCOUNT/NAME/OBJECT"); FALSE when none is left. */
gboolean common_keep_calendar(Setup *s, const char *calendar);

/* Moves the series read into a diary over [from, to). */
Diary *common_build_diary(Common *c, Setup *s, gint64 from, gint64 to);

/* Releases what a command built and passes its exit status through. */
int common_finish(Common *c, Setup *s, int rc);

/* Writes `out` to stdout and flushes. */
void common_write(GString *out);
/* A ReportFlush that writes to stdout: long reports go out in chunks. */
void common_flush(GString *out, gpointer data);
