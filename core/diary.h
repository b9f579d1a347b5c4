/* diary: every occurrence of every series in a window, indexed by time.
 *
 * The Diary owns its Series.  Occurrences are kept sorted by (start, end,
 * uid, recurrence id) in one array, so overlaps and neighbours are found by
 * binary search.  Replacing or removing one object touches only its own
 * occurrences; diary_replace() reports the local days it touched so that
 * checks can be re-run for those days alone.
 */
#pragma once

#include "appointment.h"

typedef struct Diary Diary;

typedef struct {
  Zone *tz;          /* local zone: floating times, all-day bounds, days */
  gint64 from, to;   /* window [from, to), instants at local midnights */
  const char *const *owners; /* owner addresses (lower case), NULL-terminated, may be NULL */
  ExpandLimits limits;
} DiaryOptions;

/* `opts` is copied; the owners array and zone must outlive the diary. */
Diary *diary_new(const DiaryOptions *opts);
void diary_free(Diary *diary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Diary, diary_free)

const DiaryOptions *diary_options(const Diary *diary);

/* Adds a series (ownership taken) and its occurrences.  Appends expansion
 * diagnostics to `diags` (may be NULL). */
void diary_add(Diary *diary, Series *series, GPtrArray *diags);

/* Removes the series (source, uid) if present and adds `series` (may be NULL
 * for a deletion).  The local days whose occurrences changed, widened by
 * `margin` seconds either side, are added to `dirty_days` (a GArray of gint64
 * day numbers, may be NULL). */
void diary_replace(Diary *diary, const char *source, const char *uid, Series *series, gint64 margin,
                   GArray *dirty_days, GPtrArray *diags);

guint diary_n_occurrences(const Diary *diary);
const Occurrence *diary_occurrence(const Diary *diary, guint index);
/* Index of the first occurrence with start >= instant. */
guint diary_lower_bound(const Diary *diary, gint64 instant);
/* The longest occurrence, in seconds (for overlap searches). */
gint64 diary_max_duration(const Diary *diary);

/* Busy per the check contract: not TRANSPARENT, not CANCELLED, not declined
 * by an owner. */
gboolean diary_is_busy(const Diary *diary, const Occurrence *occ);

/* Local day helpers in the diary's zone.  A day number counts days since
 * 1970-01-01 (local civil dates). */
gint64 diary_day_of(const Diary *diary, gint64 instant);
gint64 diary_day_start(const Diary *diary, gint64 day);
