/* appointment: iCalendar objects -> Appointments -> occurrences.
 *
 * appointments_parse() reads calendar text already in memory (never a file)
 * and groups VEVENTs by UID into Series: one master (the component without
 * RECURRENCE-ID) and its overrides.  Every problem becomes a Diagnostic that
 * names the source, the line where known and the UID; parsing goes on with
 * the rest.  series_expand() lists the occurrences of one Series that overlap
 * a window, applying RRULE, RDATE, EXDATE and RECURRENCE-ID overrides
 * (including RANGE=THISANDFUTURE), with caps on pathological rules.
 *
 * All text in an Appointment is decoded iCalendar text and therefore
 * untrusted: it may hold raw line feeds, markup or control characters.
 */
#pragma once

#include <glib.h>
#include <libical/ical.h>

#include "zones.h"

#define APPT_NO_TIME G_MININT64 /* an absent instant */
#define APPT_MAX_SNOOZES 1000u  /* X-MOZ-SNOOZE-TIME-* kept per component */

typedef enum { CUTYPE_INDIVIDUAL, CUTYPE_GROUP, CUTYPE_RESOURCE, CUTYPE_ROOM, CUTYPE_UNKNOWN } CuType;
typedef enum { ROLE_REQ_PARTICIPANT, ROLE_CHAIR, ROLE_OPT_PARTICIPANT, ROLE_NON_PARTICIPANT } Role;
typedef enum {
  PARTSTAT_NEEDS_ACTION, PARTSTAT_ACCEPTED, PARTSTAT_DECLINED, PARTSTAT_TENTATIVE,
  PARTSTAT_DELEGATED, PARTSTAT_OTHER
} PartStat;
typedef enum { SCHEDULE_AGENT_SERVER, SCHEDULE_AGENT_CLIENT, SCHEDULE_AGENT_NONE } ScheduleAgent;

typedef struct {
  char *address; /* calendar user address as written, e.g. "mailto:a@b" */
  char *email;   /* lower-case address without "mailto:", or NULL if not mailto */
  char *cn;
  CuType cutype;
  Role role;
  PartStat partstat;
  gboolean rsvp;
  ScheduleAgent schedule_agent;
} Attendee;

typedef enum { ALARM_DISPLAY, ALARM_AUDIO, ALARM_EMAIL, ALARM_PROCEDURE, ALARM_NONE, ALARM_OTHER } AlarmAction;

typedef struct {
  AlarmAction action;
  gboolean absolute;      /* TRIGGER;VALUE=DATE-TIME */
  gint64 trigger_instant; /* when absolute */
  /* A relative trigger is a DURATION whose day and week part is nominal
   * (RFC 5545 §3.3.6: "-P1D" is the same wall-clock time the day before,
   * even across a DST change) and whose time part is exact.  Both carry the
   * sign: "-P1DT2H" is offset_days = -1, offset = -7200.  Apply the days
   * first, in the occurrence's zone, then the seconds. */
  int offset_days;        /* nominal days (weeks count 7), negative = before */
  gint64 offset;          /* exact seconds of the time part, negative = before */
  gboolean related_end;   /* RELATED=END */
  int repeat;
  gint64 repeat_interval;
  char *description;
  char *uid;
  gint64 acknowledged; /* RFC 9074 ACKNOWLEDGED, or APPT_NO_TIME */
} Alarm;

/* A Thunderbird snooze: X-MOZ-SNOOZE-TIME (recurrence_id APPT_NO_TIME) or
 * X-MOZ-SNOOZE-TIME-<N>, where N is the occurrence's recurrence id in
 * microseconds since the epoch (stored here in seconds). */
typedef struct {
  gint64 recurrence_id; /* instant, or APPT_NO_TIME for the plain property */
  gint64 at;            /* the instant the alarm was snoozed until */
} MozSnooze;

typedef enum { STATUS_NONE, STATUS_TENTATIVE, STATUS_CONFIRMED, STATUS_CANCELLED } EventStatus;
typedef enum { BUSYSTATUS_UNSET, BUSYSTATUS_FREE, BUSYSTATUS_TENTATIVE, BUSYSTATUS_BUSY, BUSYSTATUS_OOF, BUSYSTATUS_WORKINGELSEWHERE } BusyStatus;
typedef enum { PRIORITY_LOW = 1, PRIORITY_MEDIUM = 2, PRIORITY_HIGH = 3 } PriorityClass;

/* A time as written: where it must be read decides the instant. */
typedef enum { TREF_NONE, TREF_ZONED, TREF_UTC, TREF_FLOATING, TREF_DATE } TimeKind;

typedef struct {
  TimeKind kind;
  gint64 local; /* wall clock in local seconds (UTC: the instant itself) */
  Zone *zone;   /* TREF_ZONED only; owned by Zones */
} TimeRef;

typedef struct {
  TimeRef start;
  gint64 end; /* PERIOD end as an exact length in seconds, or -1 */
} RDate;

typedef struct {
  char *uid;
  char *summary, *description, *location, *url, *conference;
  char *place;  /* LOCATION normalised for comparison (place_normalise), or NULL */
  GStrv rooms;  /* rooms and equipment booked, normalised: LOCATION unless a
                 * link, RESOURCES, ROOM/RESOURCE attendees not declined; or NULL */
  guint *room_hashes; /* g_str_hash of each of rooms, for quick comparison */
  Attendee *organizer; /* NULL if none */
  GPtrArray *attendees; /* of Attendee* */
  int priority;         /* RFC 5545 PRIORITY 0..9 (0 = undefined) */
  int importance;       /* X-MICROSOFT-CDO-IMPORTANCE 0..2, -1 = absent */
  gboolean transparent;
  EventStatus status;
  BusyStatus busystatus;
  GStrv categories;
  GStrv resources;
  GPtrArray *alarms; /* of Alarm* */
  gint64 travel;     /* X-APPLE-TRAVEL-DURATION seconds, -1 = absent */
  gint64 moz_lastack;    /* X-MOZ-LASTACK (Thunderbird: alarms due up to then were
                          * dismissed), or APPT_NO_TIME */
  GArray *moz_snoozes;   /* of MozSnooze, sorted by recurrence_id (one per id, at
                          * most APPT_MAX_SNOOZES), or NULL when there is none */
  int sequence;
  gint64 created, last_modified, dtstamp; /* instants or APPT_NO_TIME */
  gboolean booking_pending; /* X-DIARYD-BOOKING:PENDING: written by a booker who
                             * has not yet read the calendar back */

  /* Timing.  DTSTART is a wall-clock reading in `start.zone`; floating
   * times and dates are read in the zone the caller expands in. */
  TimeRef start;
  gboolean all_day;     /* DTSTART is a DATE: duration counts whole days */
  gint64 duration;      /* exact seconds (DTEND - DTSTART, or DURATION's time part) */
  TimeRef mixed_end;    /* DTEND when exactly one of DTSTART and DTEND is floating:
                         * the length then depends on the zone floating times are
                         * read in (kind TREF_NONE otherwise) */
  int duration_days;    /* nominal days (DURATION's day/week part, or all-day length) */

  /* Recurrence.  RRULE text, RDATEs and EXDATEs resolved at parse time. */
  GStrv rrules;
  GArray *rdates;  /* of RDate */
  GArray *exdates; /* of TimeRef */

  /* Overrides */
  gboolean is_override;
  TimeRef recurrence_id; /* kind TREF_NONE when absent */
  gboolean this_and_future;

  int line; /* 1-based line of BEGIN:VEVENT in the source, 0 if unknown */
} Appointment;

typedef struct {
  char *uid;
  char *source;          /* file path or calendar name */
  Appointment *master;   /* NULL for an orphan override set */
  GPtrArray *overrides;  /* of Appointment* */
} Series;

typedef enum { DIAG_ERROR, DIAG_WARNING } DiagSeverity;

typedef struct {
  DiagSeverity severity;
  char *source;
  int line;  /* 0 if unknown */
  char *uid; /* NULL if unknown */
  char *message;
} Diagnostic;

/* Limits on what one object may cost. */
typedef struct {
  guint max_instances;    /* occurrences of one series inside the window */
  guint max_iterations;   /* rule iterations for one series, in or out of the window */
} ExpandLimits;

#define EXPAND_DEFAULT_MAX_INSTANCES 50000u
#define EXPAND_DEFAULT_MAX_ITERATIONS 2000000u

typedef struct {
  const Series *series;     /* not owned */
  const Appointment *appt;  /* master or override that supplies the data */
  gint64 start, end;        /* instants, end >= start */
  gint64 recurrence_id;     /* instant of the original start, APPT_NO_TIME if not recurring */
  guint all_day : 1;
  guint first : 1;          /* first occurrence of `appt` in the window */
  guint busy : 1;           /* set by the Diary: see diary_is_busy() */
} Occurrence;

void attendee_free(Attendee *a);
void alarm_free(Alarm *a);
void appointment_free(Appointment *appt);
void series_free(Series *series);
void diagnostic_free(Diagnostic *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Appointment, appointment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Series, series_free)

Diagnostic *diagnostic_new(DiagSeverity severity, const char *source, int line, const char *uid,
                           const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* "source:line: UID u: message" */
char *diagnostic_format(const Diagnostic *d);

/* Parses every VCALENDAR in `text` (which need not be NUL-terminated).
 * Appends Series* to `out` (owned by the array's free func, set it to
 * series_free) and Diagnostic* to `diags`.  Returns the number of VEVENTs
 * accepted; 0 with an error diagnostic when nothing could be read. */
guint appointments_parse(const char *text, gsize len, const char *source, Zones *zones,
                         GPtrArray *out, GPtrArray *diags);

/* The instant a TimeRef denotes when floating times and dates are read in
 * `local`. */
gint64 timeref_instant(const TimeRef *t, Zone *local);

/* Appends to `out` (a GArray of Occurrence) the occurrences of `series`
 * overlapping [from, to); floating and all-day times are read in `local`.
 * A zero-length occurrence overlaps when from <= start < to.  Returns the
 * number appended. */
guint series_expand(const Series *series, gint64 from, gint64 to, Zone *local,
                    const ExpandLimits *limits, GArray *out, GPtrArray *diags);

/* Whether the component carries any recurrence (RRULE or RDATE). */
gboolean appointment_is_recurring(const Appointment *appt);

/* RFC 5545 PRIORITY classes, with Outlook importance as fallback. */
PriorityClass appointment_priority_class(const Appointment *appt);

/* The instant used to order by creation: CREATED, else DTSTAMP, else
 * LAST-MODIFIED, else APPT_NO_TIME. */
gint64 appointment_created(const Appointment *appt);

/* Text compared as a place: trimmed, case-folded, runs of white space
 * collapsed to one space.  NULL for NULL or blank text. */
char *place_normalise(const char *text);

/* Whether the appointment books a room or piece of equipment with this
 * normalised key (and its g_str_hash). */
gboolean appointment_books(const Appointment *appt, const char *key, guint hash);

/* Whether a LOCATION is a link (a URL, tel: or sip:) rather than a place. */
gboolean place_is_link(const char *text);

/* Attendee whose email is one of `owners` (NULL-terminated, lower case), or NULL. */
const Attendee *appointment_find_attendee(const Appointment *appt, const char *const *owners);

/* When the component's Thunderbird snooze for the occurrence with this
 * recurrence id (APPT_NO_TIME: the plain X-MOZ-SNOOZE-TIME) ends, or
 * APPT_NO_TIME. */
gint64 appointment_moz_snooze(const Appointment *appt, gint64 recurrence_id);
