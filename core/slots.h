/* slots: free time that passes every rule.
 *
 * A candidate slot [start, start + duration) is free when a new busy
 * appointment there would raise no finding of its own: no overlap with a
 * busy occurrence, the buffer (or travel time, when its location differs
 * from a neighbour's) kept on both sides, inside working hours, within the
 * day's limits (count, busy hours, breaks), at least the minimum notice after
 * `now`, and, when a location is given, that room not booked at the time.
 */
#pragma once

#include "checks.h"

typedef struct {
  gint64 duration;         /* seconds, > 0 */
  gint64 from, to;         /* slots lie inside [from, to) */
  const char *location;    /* may be NULL */
  const char *const *resources; /* rooms or equipment needed, NULL-terminated, may be NULL */
  gint64 travel;           /* its own X-APPLE-TRAVEL-DURATION in seconds, or -1 (0 = none) */
  const Appointment *like; /* when set, its normalised place and rooms are used
                            * instead of location and resources */
  const Occurrence *exclude; /* this occurrence is ignored (it is the one being moved) */
  guint limit;             /* at most this many, 0 = no limit */
} SlotQuery;

/* Free slots in time order on the rules' step grid (aligned to local
 * midnight).  Returns a GArray of Slot. */
GArray *slots_find(const Diary *diary, const CheckRules *rules, const SlotQuery *query);

/* The n free slots nearest to `near` (by distance of start), returned in
 * time order; none starts more than rules->horizon away from `near`. */
GArray *slots_nearest(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 near,
                      guint n);

/* Whether one candidate is free (the test slots_find applies). When it is
 * not, `why` (may be NULL) receives the check that refuses it. */
gboolean slots_is_free(const Diary *diary, const CheckRules *rules, const SlotQuery *query, gint64 start,
                       CheckKind *why);
