/* checks: the diary rules -> Findings.
 *
 * Every finding cites its rule and the occurrences involved.  Findings are
 * anchored on a local day (the day the earliest involved occurrence starts,
 * or the window's first day when that is earlier; for workload, the day the
 * limit is exceeded), so checks_run_days() can re-check
 * only the days an edit touched and get exactly the findings a full run would
 * give for those days.
 *
 * Rules (README.md documents each):
 *   conflict      two busy occurrences overlap
 *   resource      one room or piece of equipment is booked twice at once
 *   buffer        the gap between two busy occurrences is shorter than the
 *                 buffer, or than the travel time when the location changes
 *   priority      an urgent appointment clashes with a less urgent one
 *   completeness  a required detail is missing
 *   workload      too many appointments or busy hours in a day, no break
 *   hours         a busy occurrence outside working hours
 *   notice        booked with less than the minimum notice
 */
#pragma once

#include "diary.h"

typedef enum {
  CHECK_CONFLICT, CHECK_RESOURCE, CHECK_BUFFER, CHECK_PRIORITY, CHECK_COMPLETENESS,
  CHECK_WORKLOAD, CHECK_HOURS, CHECK_NOTICE, CHECK_N
} CheckKind;

typedef enum { SEVERITY_INFO, SEVERITY_WARNING, SEVERITY_ERROR } Severity;

/* Details completeness may require. */
typedef enum {
  REQUIRE_TIME = 1 << 0,         /* a time of day in a known zone (not floating) */
  REQUIRE_LOCATION = 1 << 1,     /* LOCATION or a conference link */
  REQUIRE_ATTENDEES = 1 << 2,
  REQUIRE_REQUIREMENTS = 1 << 3, /* DESCRIPTION: special requirements, notes */
} RequireMask;

typedef struct {
  int start, end; /* minutes after local midnight; start == end = day off */
} WorkHours;

typedef struct {
  guint enabled;        /* bit mask of 1 << CheckKind */
  gint64 buffer;        /* seconds between appointments at one place */
  gint64 travel;        /* seconds when the location changes */
  WorkHours hours[7];   /* Monday = 0 */
  guint max_per_day;    /* 0 = no limit */
  gint64 max_busy_per_day;  /* seconds, 0 = no limit */
  gint64 break_after;   /* continuous busy seconds before a break is due, 0 = off */
  gint64 break_length;  /* a gap at least this long counts as a break */
  gint64 notice;        /* minimum notice in seconds, 0 = off */
  guint require;        /* RequireMask */
  const char *const *owner_domains; /* lower case, NULL-terminated; attendees elsewhere are "outside" */
  gint64 now;           /* for suggestions: nothing is offered before now + notice */
  gint64 step;          /* slot granularity in seconds */
  guint n_suggestions;  /* free slots offered with each clash */
  gint64 horizon;       /* how far suggestions may move an appointment, seconds */
  guint max_findings;   /* stop after this many (0 = no limit) */
  gboolean defer_suggestions; /* leave slots NULL; fill them with checks_suggest() */
} CheckRules;

/* Sensible defaults: every rule on, 10 min buffer, 30 min travel, Monday to
 * Friday 09:00-17:00, 8 appointments or 8 busy hours a day, a 15 min break
 * after 4 busy hours, 2 h notice, location required, 3 suggestions within 14
 * days on a 15 min grid. */
void check_rules_init(CheckRules *rules, gint64 now);

typedef struct {
  char *uid;
  gint64 recurrence_id; /* APPT_NO_TIME if none */
  char *summary;
  gint64 start, end;
  char *location;
  int priority;
  char *source;
} FindingOcc;

typedef struct {
  gint64 start, end;
} Slot;

/* Orders Slots by start (for g_array_sort). */
gint slot_compare_start(gconstpointer a, gconstpointer b);

typedef struct {
  CheckKind check;
  Severity severity;
  char *message;  /* one line, for people */
  const char *rule; /* the rule in words, static */
  gint64 day;     /* anchor: local day number */
  GPtrArray *occurrences; /* of FindingOcc*, in time order */
  gint64 gap, required;   /* buffer only, seconds (-1 otherwise) */
  char *move_uid;         /* suggestion: the appointment that should move, or NULL */
  gint64 move_recurrence_id;
  gint64 move_start;      /* and where it starts now */
  GArray *slots;          /* of Slot, may be empty; NULL without suggestion */
  char *key;              /* stable identity: check, occurrences, day */
} Finding;

void finding_free(Finding *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Finding, finding_free)

const char *check_kind_name(CheckKind kind);
gboolean check_kind_from_name(const char *name, CheckKind *out);
const char *severity_name(Severity severity);

/* All findings for the diary's window, sorted by (first start, check, key).
 * Returns a GPtrArray of Finding* that frees its elements. */
GPtrArray *checks_run(const Diary *diary, const CheckRules *rules);

/* The same, and how many findings the caps left out (rules->max_findings,
 * and 1000 of one check per series or pair of series). */
GPtrArray *checks_run_counted(const Diary *diary, const CheckRules *rules, guint *omitted);

/* Findings anchored on local days [first_day, last_day]. */
GPtrArray *checks_run_days(const Diary *diary, const CheckRules *rules, gint64 first_day, gint64 last_day);

/* Findings anchored on the given days only (a GArray of gint64, any order,
 * duplicates allowed).  Two things a caller keeping findings across edits
 * must know: the per-series caps count within one run, so a dirty run may
 * report findings a full run left out; and the suggested slots of findings
 * kept from before may no longer be free after an edit nearby (within
 * rules->horizon of it): re-suggest those with checks_suggest(). */
GPtrArray *checks_run_dirty(const Diary *diary, const CheckRules *rules, GArray *days);

/* Fills in the free slots of a finding whose suggestion was deferred
 * (rules->defer_suggestions), or whose slots were cleared to be worked out
 * again: an agent re-checking after every change needs them only for
 * findings that are new, or near the change. */
void checks_suggest(const Diary *diary, const CheckRules *rules, Finding *finding);

/* Sorts findings into report order. */
void checks_sort(GPtrArray *findings);

/* ---- shared with slots ---- */

/* The gap required between an appointment at `before_place` and the next
 * at `after_place` (normalised places, see place_normalise): the travel time
 * when both are known and differ, else the buffer; raised to `after_travel`
 * (X-APPLE-TRAVEL-DURATION of the later one) if that is larger. */
gint64 checks_required_gap(const CheckRules *rules, const char *before_place, const char *after_place,
                           gint64 after_travel);

/* Workload of one local day: busy timed occurrences (and an optional extra
 * interval, a candidate booking), clipped to the day. */
typedef struct {
  guint count;    /* occurrences starting that day */
  gint64 busy;    /* seconds of busy time (union) */
  gint64 longest; /* longest run without a break */
  gint64 run_start, run_end;
} DayLoad;

void checks_day_load(const Diary *diary, const CheckRules *rules, gint64 day, gint64 extra_start, gint64 extra_end,
                     const Occurrence *exclude, DayLoad *load);

/* The busy timed occurrences overlapping [ds, de) as intervals sorted by
 * start (into `spans`, a GArray of Slot); returns how many start inside. */
guint checks_day_spans(const Diary *diary, gint64 ds, gint64 de, const Occurrence *exclude, GArray *spans);

/* The load those spans (`count` of them starting that day) make, with an
 * extra interval [xs, xe) when xe > xs. */
void checks_load_of(const CheckRules *rules, const GArray *spans, guint count, gint64 ds, gint64 de, gint64 xs,
                    gint64 xe, DayLoad *load);

/* Whether a load stays within the rules' daily limits. */
gboolean checks_load_ok(const CheckRules *rules, const DayLoad *load);

/* Whether [start, end) lies inside working hours. */
gboolean checks_in_hours(const Diary *diary, const CheckRules *rules, gint64 start, gint64 end);

/* The widest gap across which one occurrence can affect a finding of
 * another: the largest required gap (buffer, travel, the diary's longest
 * X-APPLE-TRAVEL-DURATION) or break length.  Pass it to diary_replace(). */
gint64 checks_reach(const Diary *diary, const CheckRules *rules);
