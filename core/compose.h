/* compose: the iCalendar text of the appointments diaryd writes to a
 * calendar server (`diaryd book`, reschedule, cancel).  Pure: no clock, no
 * randomness, no files; `now` and the UID's random bytes are parameters.
 *
 * Everything is built as libical components and serialised by libical,
 * never pasted together: text values are escaped (',', ';', '\\', newline),
 * parameter values quoted, lines end in CRLF and are folded at 75 octets
 * without splitting a UTF-8 sequence.
 *
 * Untrusted input: every text field (summary, location, description,
 * names, the cancellation reason) is user input and may hold any byte.  It
 * is written so that a reader decodes exactly the text given, after these
 * changes, which RFC 5545 forces (TEXT excludes control characters, and
 * libical would write them raw): invalid UTF-8 becomes U+FFFD, CR LF and
 * a lone CR become LF, the other C0 controls but TAB, and DEL, are
 * dropped, and white space at either end is trimmed (libical drops it
 * when it reads a value).  Single-line values (CN, resource and category names) also have
 * LF and TAB turned into a space and are trimmed.  Addresses are checked
 * with message_address_valid() and refused when bad, never cleaned.
 *
 * Errors: functions that can fail return NULL and set *error (error may be
 * NULL) to a newly allocated sentence for the user that names the field or
 * the component at fault.  Returned strings are newly allocated (g_free);
 * inputs are borrowed and never kept.
 */
#pragma once

#include <glib.h>

#include "zones.h"

#define COMPOSE_PRODID "-//diaryd//book//EN"
#define COMPOSE_TEXT_MAX (256 * 1024) /* octets of one text field: more is refused */
#define COMPOSE_MAX_PEOPLE 1000       /* attendees + rooms of one appointment */
#define COMPOSE_MAX_ITEMS 1000        /* resources, and categories, of one appointment */

typedef struct {
  const char *uid;              /* required: 1..255 octets of valid UTF-8 without control characters (the caller
                                 * makes it, e.g. with compose_uid()) */
  const char *summary;          /* required: not blank after cleaning */
  gint64 start;                 /* instant; start and end must fall in the years 1..9999 */
  gint64 duration;              /* seconds, > 0 */
  Zone *zone;                   /* DTSTART/DTEND are written as wall clock in this zone with a TZID and the
                                 * zone's VTIMEZONE; UTC (or NULL) is written with 'Z' and no VTIMEZONE.  The
                                 * TZID is zone_name(), except for a zone adopted from a calendar's VTIMEZONE,
                                 * which keeps that definition's own TZID. */
  const char *location;         /* or NULL / "" for none */
  const char *description;      /* notes, special requirements; or NULL / "" */
  const char *organizer;        /* the owner's addr-spec, or NULL; required with attendees or rooms */
  const char *organizer_name;   /* CN of the organizer, or NULL (ignored without an organizer) */
  const char *const *attendees; /* addr-specs, NULL-terminated, or NULL */
  const char *const *resources; /* room and equipment names, NULL-terminated, or NULL */
  const char *const *rooms;     /* room addr-specs, NULL-terminated, or NULL */
  int priority;                 /* 0 = none, else 1 (highest) .. 9 */
  const char *const *categories; /* NULL-terminated, or NULL */
  gint64 alarm_before;          /* seconds before the start for a DISPLAY alarm (>= 0), or -1 for none */
  int sequence;                 /* >= 0, usually 0 */
  gint64 now;                   /* DTSTAMP, CREATED and LAST-MODIFIED */
  gboolean pending;             /* marks a booking not yet settled (COMPOSE_PENDING_PROP:PENDING) */
} ComposeEvent;

/* The property that marks a booking whose booker has written it but not yet
 * read the calendar back: see cmd_book's "two bookers, one slot". */
#define COMPOSE_PENDING_PROP "X-DIARYD-BOOKING"

/* The whole calendar object of a new appointment:
 *
 *   VCALENDAR: VERSION:2.0, PRODID:COMPOSE_PRODID, CALSCALE:GREGORIAN,
 *   the VTIMEZONE of `zone` (its TZID renamed to the one DTSTART uses;
 *   none for UTC), then one VEVENT with UID, DTSTAMP, CREATED,
 *   LAST-MODIFIED, SEQUENCE, SUMMARY, DTSTART, DTEND (start + duration, same
 *   zone), LOCATION, DESCRIPTION, STATUS:CONFIRMED, TRANSP:OPAQUE,
 *   PRIORITY (when not 0), CATEGORIES and RESOURCES (one property each, the
 *   names comma-separated), ORGANIZER (with CN when named),
 *   ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;
 *   RSVP=TRUE:mailto:... for each attendee,
 *   ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:...
 *   for each room, and a VALARM (ACTION:DISPLAY, DESCRIPTION = the summary,
 *   TRIGGER = -alarm_before as an exact duration such as -PT15M or -PT24H)
 *   when alarm_before >= 0, and X-DIARYD-BOOKING:PENDING when pending.
 *
 * An address listed twice (case-insensitive, attendees and rooms together)
 * is written once, the first time.  Resource and category names must not
 * be blank and must not hold a comma: libical writes multi-valued
 * properties without escaping commas, so a comma would split the name in
 * two for every reader.
 *
 * Returns NULL with *error when the UID or summary is missing or invalid,
 * the duration is <= 0, a time is out of range, the zone has no definition
 * to write, an address (organizer, attendee, room) is not valid, attendees
 * or rooms come without an organizer, the priority is not 0..9, alarm_before
 * is below -1, the sequence is negative, a resource or category name is
 * blank or holds a comma, a text field is longer than COMPOSE_TEXT_MAX, or
 * there are more than COMPOSE_MAX_PEOPLE people or COMPOSE_MAX_ITEMS names. */
char *compose_event(const ComposeEvent *ev, char **error) G_GNUC_WARN_UNUSED_RESULT;

/* Reschedule and cancel change a stored calendar object (RFC 4791: one
 * VCALENDAR holding the VEVENTs of one UID, a master and maybe overrides)
 * and return the whole new object text.  Everything else in it (other
 * properties, X- properties, alarms, other overrides) is kept as libical
 * reads and writes it.
 *
 * Which component: `recurrence_id` APPT_NO_TIME means the master; an
 * instant means the occurrence of a series that originally started then
 * (Occurrence.recurrence_id from series_expand()).  That is an existing
 * override when one has this RECURRENCE-ID; otherwise, when the master
 * recurs and has an occurrence with this recurrence id (checked by
 * expanding the master: an EXDATE'd instant, one off the rule, and one a
 * RANGE=THISANDFUTURE override governs are refused), a new override is
 * ADDED: a copy of the master (properties and alarms) without RRULE,
 * RDATE, EXRULE and EXDATE, with RECURRENCE-ID = the occurrence's original
 * start written like the master's DTSTART (the same TZID, or UTC, floating
 * or DATE), its DTSTART at that start, its length the master's, and
 * SEQUENCE = the master's + 1.  The master itself is then untouched.
 *
 * Times are read as core/appointment reads them (appointments_parse with
 * `zones`).  Floating times and dates have no zone of their own: the
 * plain functions read them in UTC; the _local variants read them in
 * `local` (NULL = UTC), as series_expand() does, so that a recurrence id
 * the caller expanded in its own zone matches and a DATE is the right
 * day.  The object is refused when it is not one VCALENDAR, holds no
 * VEVENT or more than one UID, or when the component's DTSTART names a
 * time zone that cannot be resolved (its wall clock could not be written).
 *
 * Every changed component gets SEQUENCE + 1, DTSTAMP = LAST-MODIFIED =
 * `now`.  A VTIMEZONE the object lacks for a TZID it uses is added from the
 * zone database (zones_lookup_exact), as confirm does. */

/* Moves one component: DTSTART = new_start written in the component's own
 * form (a TZID stays the same TZID with the wall clock in that zone, UTC
 * stays UTC, floating stays floating (the wall clock in `local`), a DATE
 * becomes the date new_start falls on in `local`).  The end: `duration`
 * >= 0 sets the new length (a DATE component lasts ceil(duration / 1 day)
 * days, at least one); `duration` < 0 keeps the component's length (exact seconds, or
 * whole days for a DATE).  An existing DURATION property stays a DURATION
 * (kept as is when the length is kept); otherwise DTEND is written in
 * DTSTART's form (a DTEND in another zone is rewritten into DTSTART's,
 * meaning the same instant); a component with neither gets a DTEND only
 * when `duration` >= 0.
 *
 * Moving the master of a series moves the whole series: only its DTSTART
 * and DTEND shift; RRULE, RDATE, EXDATE and the existing overrides (with
 * their RECURRENCE-IDs) are left untouched, so the caller must refuse or
 * handle a move that would orphan them.  Returns NULL with *error when the
 * object cannot be read, the component or occurrence does not exist, or
 * the new times fall outside the years 1..9999. */
char *compose_move(const char *ical, gint64 recurrence_id, gint64 new_start, gint64 duration, gint64 now,
                   Zones *zones, char **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, reading floating times and dates in `local` (NULL = UTC)
 * instead of UTC: use it with the zone the recurrence id was expanded in
 * when the object may hold all-day or floating times. */
char *compose_move_local(const char *ical, gint64 recurrence_id, gint64 new_start, gint64 duration, gint64 now,
                         Zones *zones, Zone *local, char **error) G_GNUC_WARN_UNUSED_RESULT;

/* Cancels one component: STATUS:CANCELLED and, when `reason` is not blank,
 * a COMMENT with it (cleaned as text; not added twice).  For the master
 * the whole appointment is cancelled: the master and every override (each
 * is a complete component a client would otherwise still show).  For an
 * occurrence without an override, a new override (see above) at the
 * occurrence's own time is added and cancelled; the master is untouched.
 * Returns NULL with *error as compose_move() does, or when the reason is
 * longer than COMPOSE_TEXT_MAX. */
char *compose_cancel(const char *ical, gint64 recurrence_id, const char *reason, gint64 now, Zones *zones,
                     char **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, reading floating times and dates in `local` (NULL = UTC). */
char *compose_cancel_local(const char *ical, gint64 recurrence_id, const char *reason, gint64 now, Zones *zones,
                           Zone *local, char **error) G_GNUC_WARN_UNUSED_RESULT;

/* A fresh UID: the 16 bytes as 32 lower-case hex digits, "@", and
 * `domain` in lower case (e.g. the organizer's domain) when
 * message_domain_valid() accepts it, else "diaryd.invalid".  The caller
 * supplies the random bytes (core/ has no randomness). */
char *compose_uid(const guint8 random16[16], const char *domain);
