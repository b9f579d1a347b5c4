/* reminders: the reminders a Diary makes due in a window -> Triggers.
 *
 * Pure: the caller passes the window (instants, no clock is read), the
 * owners and the default reminders; the agent stores the Triggers it gets
 * and shows each once, at `due`.  Snoozing and dismissing in the agent are
 * the agent's own state; what this module honours is the state calendars
 * carry (RFC 9074 ACKNOWLEDGED, Thunderbird's X-MOZ-LASTACK and
 * X-MOZ-SNOOZE-TIME).
 *
 * Kinds of trigger:
 *   alarm    a VALARM with ACTION:DISPLAY or ACTION:AUDIO (EMAIL, PROCEDURE,
 *            NONE and unknown actions give none), and each of its REPEATs
 *   default  the caller's default reminders, for an occurrence whose
 *            component has no DISPLAY or AUDIO alarm at all
 *   leave    "leave now": a timed busy occurrence at a place, after a busy
 *            one at another place the same local day with nothing busy in
 *            between, is due when the travel time before it begins (never
 *            before the earlier one ends)
 *   snooze   a Thunderbird snooze stored on the series master
 *
 * Which occurrences get reminders: not STATUS:CANCELLED, not DECLINED by
 * one of the owners.  Transparent (free) occurrences do get their alarms;
 * only "leave" needs busy time.
 *
 * Timing (RFC 5545 §3.8.6.3, §3.3.6):
 *   - A relative trigger counts from the occurrence's start, or its end
 *     with RELATED=END.  Its day and week part is nominal, applied to the
 *     wall clock of the occurrence's zone (the zone of DTSTART, the diary's
 *     zone for floating times and dates, UTC for UTC times); then its time
 *     part is added exactly.  "-P1D" before 09:00 is 09:00 the day before,
 *     even across a DST change; "-PT24H" is exactly 24 hours.
 *   - An all-day occurrence starts and ends at local midnights of the
 *     diary's zone: "-PT15H" is 09:00 the day before.
 *   - An absolute trigger (VALUE=DATE-TIME) is one instant, so it is listed
 *     once per component, attached to one occurrence: the first one that
 *     starts at or after the instant, else (a trigger during or after every
 *     candidate) the latest one that starts before it.  Its key carries the
 *     component's recurrence id ("-" for the master), not the occurrence's,
 *     so it does not change with the occurrence it is shown with.
 *   - REPEAT n with DURATION d adds n triggers at due + k*d (k = 1..n).
 *   - A trigger due at or before the alarm's ACKNOWLEDGED, or before or at
 *     X-MOZ-LASTACK of the occurrence's component or of the series master,
 *     is left out (both mean "dismissed up to then").
 *   - A snooze is X-MOZ-SNOOZE-TIME on a non-recurring master, or
 *     X-MOZ-SNOOZE-TIME-<N> on a recurring one (N: the occurrence's
 *     recurrence id in microseconds since the epoch; for all-day and
 *     floating occurrences Thunderbird reads the wall clock as UTC, and both
 *     readings are accepted); it is listed when later than X-MOZ-LASTACK.
 *
 * Reach and the diary's window: a trigger is honoured only when it lies
 * within `reach` (ReminderQuery.reach, REMINDERS_DEFAULT_REACH when 0) of
 * its occurrence: start - reach <= due <= end + reach.  That rule does not
 * depend on the window asked for, so listing [a, b) then [b, c) gives the
 * same triggers as [a, c).  The diary holds only the occurrences of its own
 * window; reminders of occurrences outside it are not listed (an agent
 * keeps its diary's window ahead of the reminders it asks for by `reach`).
 *
 * Keys: a trigger's key is its identity across runs and restarts, so an
 * agent can store what it has shown.  It is built from the UID, the
 * recurrence id (UTC, "20261207T090000Z", or "-"), the kind, the alarm's
 * identity (its UID when it has one, else its index among the component's
 * alarms and its trigger written canonically) and the repeat number:
 *   alarm|uid@x|20261207T090000Z|0:-PT15M|r0
 *   alarm|uid@x|-|U:alarm-uid|r1
 *   default|uid@x|-|-PT10M
 *   leave|uid@x|20261207T090000Z
 *   snooze|uid@x|-|20261207T084500Z
 * '%' and '|' in UIDs are written %25 and %7C.  Summary, description,
 * location, DTSTAMP and the like are not part of it; moving an occurrence
 * changes its due but not the key (except through the recurrence id of an
 * occurrence of a recurring series, which is the occurrence's identity).
 * One appointment in two calendars (same UID) gives each key once: the
 * copy from the source that sorts first wins.
 *
 * All text in a Trigger is untrusted calendar text (see appointment.h):
 * escape it before it reaches a notification or a terminal.
 */
#pragma once

#include "diary.h"

/* How far from its occurrence a trigger may lie (4 weeks, the most Google
 * Calendar offers). */
#define REMINDERS_DEFAULT_REACH (28 * (gint64)86400)
/* The most triggers one listing returns (hostile input stays bounded). */
#define REMINDERS_MAX_TRIGGERS 100000u

typedef enum { TRIGGER_ALARM, TRIGGER_DEFAULT, TRIGGER_LEAVE, TRIGGER_SNOOZE } TriggerKind;

typedef struct {
  char *key;            /* stable identity, see above */
  TriggerKind kind;
  gint64 due;           /* instant the reminder should show */
  char *uid;
  gint64 recurrence_id; /* the occurrence's, APPT_NO_TIME when not recurring */
  char *summary;        /* SUMMARY, or NULL */
  char *location;       /* LOCATION, or NULL */
  char *description;    /* the VALARM's DESCRIPTION, or NULL */
  char *link;           /* conference link, else URL, else LOCATION when it is a link; or NULL */
  char *source;         /* Series.source, or NULL */
  gint64 start, end;    /* the occurrence */
  gboolean all_day;
  gboolean audio;       /* ACTION:AUDIO */
  gint64 travel;        /* TRIGGER_LEAVE: the travel seconds allowed; 0 otherwise */
  char *from_location;  /* TRIGGER_LEAVE: LOCATION of the appointment before; NULL otherwise */
} Trigger;

/* NULL-safe. */
void trigger_free(Trigger *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Trigger, trigger_free)

const char *trigger_kind_name(TriggerKind kind); /* "alarm", "default", "leave", "snooze" */

/* Default reminders for the series of one source: seconds before the start,
 * each > 0 (others are ignored), as a GArray of gint64; NULL or an empty
 * array for none.  The array stays the callee's and must stay valid until
 * reminders_list() returns; it is asked for once per source and listing. */
typedef const GArray *(*ReminderDefaultsFunc)(const char *source, gpointer data);

typedef struct {
  gint64 from, to;             /* list triggers with from <= due < to */
  const char *const *owners;   /* lower-case owner addresses, NULL-terminated, may be NULL:
                                * occurrences they DECLINED get no reminder; not owned */
  ReminderDefaultsFunc defaults; /* may be NULL: no default reminders */
  gpointer defaults_data;
  gint64 travel;               /* travel time when the location changes (CheckRules.travel);
                                * 0 = no leave-now reminders */
  gint64 reach;                /* see above; 0 = REMINDERS_DEFAULT_REACH */
} ReminderQuery;

/* Appends the triggers with q->from <= due < q->to to `out` (a GPtrArray
 * whose free func is trigger_free; the new ones are owned by it), sorted by
 * (due, key) after whatever `out` held.  Walks only the occurrences within
 * reach of the window, so a short window costs in proportion to the
 * occurrences near it, not to the diary.  The diary must not change during
 * the call.  Returns FALSE when REMINDERS_MAX_TRIGGERS cut the listing
 * short (the walk stopped; the triggers listed are then those of the
 * occurrences met first, roughly the earliest), TRUE otherwise. */
gboolean reminders_list(const Diary *diary, const ReminderQuery *q, GPtrArray *out);

/* The earliest due >= now among `triggers` (Trigger*, in any order), or
 * APPT_NO_TIME when there is none: the agent's one timer. */
gint64 reminders_next_due(const GPtrArray *triggers, gint64 now);

/* How late a reminder would be shown if shown at `now`: on time up to
 * `grace` seconds after `at` (the timer's own delay), late up to `grace +
 * missed` (the agent was down or the machine asleep: worth telling, once,
 * in a summary), else too late to be worth showing. */
typedef enum { REMINDER_ON_TIME, REMINDER_LATE, REMINDER_TOO_LATE } ReminderLateness;
ReminderLateness reminders_lateness(gint64 at, gint64 now, gint64 grace, gint64 missed);
