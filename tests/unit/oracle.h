/* An independent reading of the diary rules, written apart from core/ so
 * that tests can judge the slots and suggestions core/ offers. */
#pragma once

#include "testutil.h"

/* Trimmed, case-folded, white space collapsed; NULL when blank. */
char *oracle_norm_place(const char *text);
/* Rooms and equipment: the location (unless a link), resources, and
 * ROOM/RESOURCE attendees that have not declined. */
GPtrArray *oracle_room_keys(const char *location, const char *const *resources, const GPtrArray *attendees);
gboolean oracle_keys_meet(const GPtrArray *a, const GPtrArray *b);
gint64 oracle_required_gap(const CheckRules *rules, const char *before, const char *after, gint64 after_travel);
gboolean oracle_in_hours(const Diary *d, const CheckRules *rules, gint64 s, gint64 e);
gboolean oracle_workload_ok(const Diary *d, const CheckRules *rules, gint64 s, gint64 e, const Occurrence *skip);
