/* confirm: which appointments the owner confirms to whom, what counts as
 * news, and the words and iCalendar part of each email (pure).
 *
 * A ConfirmItem is one component of a calendar object (a series' master or
 * one of its overrides) that the owner organises and that has someone to
 * write to.  Its fingerprint covers only what an attendee must hear about
 * (RFC 5546 calls such changes "significant"): start, end, recurrence,
 * place, meeting link and URL, the people invited and the status.  Two
 * fingerprints are equal exactly when nothing material changed, so a
 * re-serialisation, a new ETag for the same content, an attendee's reply
 * (PARTSTAT) or a resync never looks like news.
 *
 * The snapshot of an item is the iCalendar text an email carries (before
 * METHOD, SEQUENCE and DTSTAMP are set for one message): the component (a
 * master with its overrides), the VTIMEZONEs it needs, without the owner's
 * alarms and Thunderbird's private state.  It is kept by the agent, so a
 * cancellation can still be written after the appointment was deleted, and
 * so an update can say what changed.
 *
 * Everything read here is hostile text from other people's calendars;
 * addresses are validated (message_address_valid) before they can become a
 * recipient, and names and text go to core/message, which cleans them.
 */
#pragma once

#include <glib.h>

#include "appointment.h"

typedef enum { CONFIRM_NONE, CONFIRM_NEW, CONFIRM_UPDATE, CONFIRM_CANCEL } ConfirmKind;
const char *confirm_kind_name(ConfirmKind kind); /* "new", "update", "cancel", "none" */
ConfirmKind confirm_kind_from_name(const char *name);

typedef struct {
  char *address; /* lower-case addr-spec */
  char *name;    /* CN, hostile, or NULL */
} ConfirmRecipient;

typedef struct {
  char *uid;
  char *rid;             /* NULL for a master, else the RECURRENCE-ID as a UTC "YYYYMMDDTHHMMSSZ" (or
                          * "YYYYMMDD" for a date) */
  char *fingerprint;     /* 64 hex digits */
  char *timing;          /* the same, of the timing alone (start, length, recurrence) */
  int sequence;          /* the component's SEQUENCE */
  gboolean cancelled;    /* STATUS:CANCELLED */
  gboolean client_schedules; /* SCHEDULE-AGENT=CLIENT on the organizer: a server never mails for it */
  gint64 start, end;     /* the next occurrence that ends after `now`, else the first one */
  gint64 last_end;       /* when the last occurrence ends; G_MAXINT64 for an endless series */
  gboolean all_day;
  char *zone;            /* the zone DTSTART is written in (IANA name), or NULL (UTC, floating, date) */
  char *repeats;         /* "daily", "weekly", "monthly", "yearly"... for a series, else NULL */
  char *summary, *location, *url, *conference, *description; /* hostile, may be NULL */
  char *organizer_name;  /* CN of the organizer, or NULL */
  char *organizer;       /* the organizer's lower-case address */
  GPtrArray *recipients; /* of ConfirmRecipient*: the attendees diaryd writes to */
  GPtrArray *people;     /* of char*: every attendee as "Name <address>" (rooms as "Room: Name"), for the text */
  GPtrArray *refused;    /* of char*: attendees left out and why ("x@y: not a valid email address") */
  char *snapshot;        /* iCalendar text, CRLF, no METHOD */
  gboolean partial;      /* the caller did not need it (ConfirmQuery.need): only uid, rid, fingerprint,
                          * timing, recipients and people are set; no times, no snapshot */
} ConfirmItem;

void confirm_item_free(ConfirmItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConfirmItem, confirm_item_free)

/* Whether the caller needs the whole item (times and snapshot) for this
 * fingerprint; the rest costs a second parse and an expansion. */
typedef gboolean (*ConfirmNeedFunc)(const char *uid, const char *rid, const char *fingerprint, gpointer data);

typedef struct {
  const char *const *owners; /* the owner's lower-case addresses, NULL-terminated */
  Zones *zones;
  Zone *local;               /* floating times and dates are read in it */
  gint64 now;
  ConfirmNeedFunc need;      /* NULL: every item in full */
  gpointer need_data;
} ConfirmQuery;

/* Reads one calendar object (a master and its overrides, RFC 4791 §4.1)
 * and appends to `out` (free func confirm_item_free) a ConfirmItem for each
 * VEVENT whose ORGANIZER is one of the owners.  Attendees become recipients
 * unless they are an owner, a room or resource (CUTYPE), a NON-PARTICIPANT,
 * marked SCHEDULE-AGENT=NONE,
 * not a mailto: address, a duplicate, or not a valid address (those go to
 * `refused`).  An item can have no recipient at all (its fingerprint still
 * matters: the last attendee removed must hear about it).  Returns the
 * number of items appended; *error (may be NULL) is set when the text could
 * not be read at all. */
guint confirm_read(const char *ical, gsize len, const ConfirmQuery *q, GPtrArray *out, char **error);

/* Whether the appointment still has an occurrence that ends after `now`. */
gboolean confirm_item_future(const ConfirmItem *item, gint64 now);

/* What message, if any, one recipient needs.
 * `told`: what the recipient was last told (CONFIRM_NONE if nothing, or
 * only a cancellation, CONFIRM_NEW/UPDATE = invited) with `told_fp` the
 * fingerprint of that message; `wanted`: whether the recipient should now
 * be invited (listed, not cancelled, not deleted).  Returns NEW (never
 * invited, or invited after a cancellation), UPDATE (invited to something
 * that has since changed), CANCEL (invited, no longer wanted) or NONE. */
ConfirmKind confirm_decide(ConfirmKind told, const char *told_fp, gboolean wanted, const char *fingerprint);

/* The iCalendar text of one message (NULL for a method other than
 * PUBLISH, REQUEST and CANCEL, or a recipient that is not a valid address):
 * the snapshot with METHOD, every
 * component's SEQUENCE raised to at least `sequence`, and DTSTAMP = `now`.
 * method "PUBLISH" leaves out the attendees (RFC 5546 §3.2.1); "CANCEL"
 * also sets STATUS:CANCELLED and lists `recipient` as the only attendee;
 * "REQUEST" keeps them all.  NULL when the snapshot cannot be read. */
char *confirm_itip(const char *snapshot, const char *method, int sequence, const char *recipient, gint64 now);

/* The template placeholders for one message (see config/templates/README):
 * a table of name → text (owned).  `previous` is what the recipient was
 * told before (for an update's changes and previous time), or NULL; `tz`
 * the owner's zone; `recipient` the one written to. */
GHashTable *confirm_vars(const ConfirmItem *item, const ConfirmItem *previous, ConfirmKind kind,
                         const ConfirmRecipient *recipient, Zone *tz, const char *owner_name,
                         const char *owner_address, const char *reason);

/* "Tuesday 8 December 2026, 10:00–11:00 (Europe/London, UTC+00:00)" for an
 * occurrence, in `tz`; all-day ones without clock times. */
char *confirm_format_when(gint64 start, gint64 end, gboolean all_day, Zone *tz);
/* "Tue 8 Dec 2026 10:00" (an all-day one: the date alone), in `tz`. */
char *confirm_format_when_short(gint64 start, gboolean all_day, Zone *tz);
