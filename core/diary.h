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
 * for a deletion).  Adds to `dirty_days` (a GArray of gint64 day numbers,
 * may be NULL) every local day a finding may have changed on: the days the
 * old and new occurrences cover, and the start days of every occurrence
 * that comes within `reach` seconds of one of them (see checks_reach()). */
void diary_replace(Diary *diary, const char *source, const char *uid, Series *series, gint64 reach,
                   GArray *dirty_days, GPtrArray *diags);

guint diary_n_occurrences(const Diary *diary);
const Occurrence *diary_occurrence(const Diary *diary, guint index);
/* Index of the first occurrence with start >= instant. */
guint diary_lower_bound(const Diary *diary, gint64 instant);
/* The longest occurrence, in seconds. */
gint64 diary_max_duration(const Diary *diary);

/* Walks the occurrences that overlap [from, to) (a zero-length one when
 * from <= start < to), in no particular order.  Cheap even when a few
 * occurrences last for days: those are kept aside and searched apart.
 * The diary must not change during the walk. */
typedef struct {
  const void *index_; /* private */
  gint64 from, to;
  guint index;
  int phase;
} DiaryCursor;
/* busy_only: walk only the busy occurrences (copies: compare them with
 * occurrence_same(), not by address). */
void diary_cursor_init(DiaryCursor *cursor, const Diary *diary, gint64 from, gint64 to, gboolean busy_only);
const Occurrence *diary_cursor_next(DiaryCursor *cursor);

/* Walks the bookings of one room or piece of equipment (a normalised key,
 * see Appointment.rooms) that overlap [from, to): not cancelled, not
 * zero-length, whether busy or free. */
void diary_cursor_init_room(DiaryCursor *cursor, const Diary *diary, const char *room_key, gint64 from, gint64 to);

/* The diary's order: start, end, UID, recurrence id, source (<0, 0, >0). */
int occurrence_order(const Occurrence *a, const Occurrence *b);

/* Whether two occurrences are the same instance of the same series. */
gboolean occurrence_same(const Occurrence *a, const Occurrence *b);
/* The longest X-APPLE-TRAVEL-DURATION of any occurrence, in seconds (0 if none). */
gint64 diary_max_travel(const Diary *diary);

/* Busy per the check contract: not TRANSPARENT, not CANCELLED, not declined
 * by an owner (worked out once, when the occurrence is added). */
gboolean diary_is_busy(const Diary *diary, const Occurrence *occ);

/* Local day helpers in the diary's zone.  A day number counts days since
 * 1970-01-01 (local civil dates). */
gint64 diary_day_of(const Diary *diary, gint64 instant);
gint64 diary_day_start(const Diary *diary, gint64 day);
