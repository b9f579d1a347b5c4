/* calobj: a fast structural reading of one calendar object resource
 * (RFC 4791 §4.1: one UID, a master and/or overrides), for storing it and
 * for telling what changed between two versions of it.
 *
 * Pure, and much cheaper than a libical parse: lines are unfolded and split
 * into name, parameters and value; nothing is interpreted beyond what the
 * change journal needs.  The full parse happens later in core/appointment.
 *
 * Every input is hostile: sizes and counts are capped, and any byte
 * sequence gives either a CalObject or an error with a line number.
 */
#pragma once

#include <glib.h>

#define CALOBJ_MAX_COMPONENTS 10000 /* VEVENT/VTODO/VJOURNAL blocks in one object */
#define CALOBJ_MAX_LINES 200000

typedef enum {
  CALOBJ_OK,
  CALOBJ_EMPTY,        /* no VEVENT, VTODO or VJOURNAL */
  CALOBJ_MALFORMED,    /* no BEGIN:VCALENDAR, unbalanced BEGIN/END, a line that is not NAME[;PARAMS]:VALUE */
  CALOBJ_NO_UID,       /* a component without UID */
  CALOBJ_MIXED_UIDS,   /* components with different UIDs (RFC 4791 §4.1 forbids it) */
  CALOBJ_DUPLICATE,    /* two components with the same UID and RECURRENCE-ID */
  CALOBJ_TOO_LARGE,    /* more than CALOBJ_MAX_COMPONENTS or CALOBJ_MAX_LINES */
} CalObjError;

/* One property of a component, as a fingerprint. */
typedef struct {
  char *name;   /* upper case, e.g. "DTSTART", "ATTENDEE", "X-APPLE-TRAVEL-DURATION" */
  guint64 hash; /* of the parameters and the value of every line with this name, in order */
} CalProp;

/* One VEVENT / VTODO / VJOURNAL. */
typedef struct {
  char *kind;          /* "VEVENT", "VTODO", "VJOURNAL" */
  char *recurrence_id; /* NULL for a master; else the RECURRENCE-ID value with its TZID when there is
                        * one, as "TZID=Europe/London:20261207T090000" or "20261207T090000Z" */
  guint64 hash;        /* of every property except DTSTAMP and LAST-MODIFIED, and of the VALARMs */
  GArray *props;       /* of CalProp, sorted by name, one per name; subcomponents (VALARM, RFC 9073
                        * PARTICIPANT and VLOCATION, X- ones) count as one pseudo-property named after
                        * the component; DTSTAMP and LAST-MODIFIED left out */
  int line;            /* the line its BEGIN is on (1-based, after unfolding: the physical line) */
} CalComponent;

typedef struct {
  char *uid;           /* the one UID of every component */
  GPtrArray *components; /* of CalComponent*, master first (when there is one), then by recurrence_id */
} CalObject;

void calobj_free(CalObject *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CalObject, calobj_free)

/* Reads `text` (need not be NUL-terminated).  On CALOBJ_OK *out is set;
 * otherwise *out is untouched and *detail (may be NULL) gets a message for
 * the user, with the line ("line 12: END:VEVENT without BEGIN"). */
CalObjError calobj_scan(const char *text, gsize len, CalObject **out, char **detail);

typedef enum { CHANGE_ADDED = 'A', CHANGE_MODIFIED = 'M', CHANGE_REMOVED = 'R' } ChangeKind;

/* One line of the change journal. */
typedef struct {
  ChangeKind kind;
  char *uid;
  char *recurrence_id; /* as in CalComponent; NULL for a master */
  char *fields;        /* for CHANGE_MODIFIED: the names of the properties that differ, sorted and
                        * comma-separated ("DTSTART,LOCATION"); NULL otherwise */
} CalChange;

void calchange_free(CalChange *c);

/* The changes from `old` to `new` (either may be NULL: an object added or
 * removed), one per (UID, RECURRENCE-ID), in (uid, recurrence_id) order, a
 * master before its overrides.  Components with an equal hash give nothing;
 * a component that changed kind (VEVENT to VTODO) is modified with the field
 * "BEGIN".  When the UID itself changed, every old component is removed
 * first, then the new ones are added.  Returns a GPtrArray of CalChange* (free func set). */
GPtrArray *calobj_diff(const CalObject *old, const CalObject *new);

/* "added", "modified", "removed". */
const char *calchange_kind_name(ChangeKind kind);
