/* poison: what keeps one calendar object from stalling the agent.
 *
 * The core expander bounds every rule it knows to be costly (instance and
 * iteration caps, rules that can never match refused), but libical has no
 * time limit of its own, and what else a hostile object can cost is not
 * known in advance.  So the children that read the diary (the refresh and
 * the reviews) run under a CPU budget they cannot escape (RLIMIT_CPU, and
 * RLIMIT_AS where no sanitizer needs the address space), and while they
 * read or expand an object they name it in a small shared "work mark" file.
 * A child that dies (the budget's SIGXCPU or SIGKILL, or any crash) leaves
 * the mark naming the object it was on; the agent puts that object in
 * quarantine and runs the refresh again.  Every reader of the diary then
 * leaves the object out, with a warning that names it, until its content
 * changes: everything else is checked and reminded as before.
 *
 * The quarantine is a list in the store (value "quarantine": one line per
 * object, "SOURCE\tFINGERPRINT\tSINCE\tREASON"); SOURCE is what a diagnostic
 * names (ACCOUNT/CALENDAR/OBJECT, or a file's path), FINGERPRINT the
 * length and a 64-bit FNV-1a hash of the content.
 *
 * The reader's side is process-wide by nature: the mark describes this
 * process to its parent, and the quarantine list is loaded once per
 * process.  Neither does anything in a process the agent did not start
 * with a mark (DIARYD_WORKMARK), except that quarantined objects are left
 * out by every command.
 */
#ifndef DIARYD_POISON_H
#define DIARYD_POISON_H

#include <glib.h>

#include "store.h"

/* CPU seconds a refresh or review child may use (DIARYD_CPU_LIMIT
 * overrides it: 1 to 3600).  A diary of 50,000 objects is read and checked
 * in a few seconds. */
#define POISON_CPU_LIMIT_S 60
/* Address space a child may use, in MB, when no sanitizer runs. */
#define POISON_MEMORY_LIMIT_MB 4096
/* Objects the quarantine list keeps (the oldest go first). */
#define POISON_MAX_QUARANTINED 200

/* ---- the agent's side -------------------------------------------------------------- */

/* The CPU budget in seconds: POISON_CPU_LIMIT_S or DIARYD_CPU_LIMIT. */
guint poison_cpu_limit(void);
/* A GSpawnChildSetupFunc: applies the budget (data: unused).  Only
 * async-signal-safe calls. */
void poison_child_setup(gpointer data);
/* The work mark file of the store at db_path ("DB.working"). */
char *poison_mark_path(const char *db_path);
/* Makes an empty mark file (0600) for a child to write: FALSE on error. */
gboolean poison_mark_reset(const char *mark_path, GError **error);
/* After a child ended abnormally (`how`: e.g. "used up its 60 s of CPU"):
 * quarantines the object the mark names, if any.  Returns the object's
 * SOURCE (newly allocated) or NULL when the mark names none (the child
 * died between objects: nothing to blame) or on error. */
char *poison_quarantine_marked(Store *store, const char *mark_path, const char *how, gint64 now, GError **error);

/* ---- the reader's side ------------------------------------------------------------- */

/* Loads the quarantine list from the store at db_path (if it exists) and,
 * when DIARYD_WORKMARK names a mark file, opens it.  Once per process;
 * later calls do nothing. */
void poison_begin(const char *db_path);
/* Before reading an object: TRUE when it is in quarantine (a warning
 * naming it is added to `diags`; leave it out), else marks it as the
 * object being read and remembers its fingerprint, and returns FALSE. */
gboolean poison_skip(const char *source, const char *content, gsize len, GPtrArray *diags);
/* Marks the object SOURCE as being expanded (after poison_skip() saw it). */
void poison_expanding(const char *source);
/* Between objects: the mark names none. */
void poison_done(void);

/* A fingerprint of content: "LENGTH-HEX16" (exposed for tests). */
char *poison_fingerprint(const char *content, gsize len);

#endif
