/* compose: see compose.h.
 *
 * New objects are built component by component with libical.  Changed
 * objects are read twice, as confirm.c does: core/appointment gives the
 * meaning (which zone a TZID resolves to, the length, the occurrences) and
 * libical gives the components to edit in place, so everything diaryd does
 * not touch is written back as it was read.  Overrides are matched between
 * the two readings by their RECURRENCE-ID as written (date or not, and the
 * wall clock).
 *
 * Where libical falls short, the input is settled before it gets there:
 * it writes control characters raw (RFC 5545 TEXT forbids them), so they
 * are removed; it does not escape commas inside multi-valued properties
 * (RESOURCES, CATEGORIES), so names holding one are refused.
 */
#include "compose.h"

#include <stdarg.h>
#include <string.h>

#include "appointment.h"
#include "icaledit.h"
#include "message.h"

/* Times are written with four-digit years. */
#define YEAR_MIN 1
#define YEAR_MAX 9999

static void set_error(char **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_error(char **error, const char *fmt, ...) {
  if (!error)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_free(*error);
  *error = g_strdup_vprintf(fmt, ap);
  va_end(ap);
}

/* ---- text ------------------------------------------------------------------------------------- */

/* TEXT as RFC 5545 allows it (see compose.h): valid UTF-8, LF for every
 * line break, no control character but TAB and LF, and no white space at
 * either end (libical drops it when it reads a value, so it would not
 * survive a round trip anyway). */
static char *clean_text(const char *s) {
  g_autofree char *valid = g_utf8_make_valid(s, -1);
  GString *out = g_string_sized_new(strlen(valid));
  for (const char *p = valid; *p; p++) {
    guchar c = (guchar)*p;
    if (c == '\r') {
      g_string_append_c(out, '\n');
      if (p[1] == '\n')
        p++;
    } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
      g_string_append_c(out, (char)c);
    }
  }
  return g_strstrip(g_string_free(out, FALSE));
}

/* A one-line value (a CN, a resource or category name): clean_text, then
 * LF and TAB as spaces, trimmed. */
static char *clean_name(const char *s) {
  char *t = clean_text(s);
  for (char *p = t; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  return g_strstrip(t);
}

/* Whether an optional text field holds anything. */
static gboolean has_text(const char *s) { return s && *s; }

/* ---- times ------------------------------------------------------------------------------------ */

static gint64 local_min(void) { return civil_to_seconds(YEAR_MIN, 1, 1, 0, 0, 0); }
static gint64 local_max(void) { return civil_to_seconds(YEAR_MAX, 12, 31, 23, 59, 59); }

/* Whether an instant (or a wall clock) can be written: its years, with a
 * day of margin for any zone offset, fall in YEAR_MIN..YEAR_MAX.  Checked
 * before any conversion so that nothing overflows. */
static gboolean instant_ok(gint64 t) { return t >= local_min() + 86400 && t <= local_max() - 86400; }

static struct icaltimetype utc_time(gint64 instant) {
  struct icaltimetype t = local_seconds_to_icaltime(instant, FALSE);
  t.zone = icaltimezone_get_utc_timezone();
  return t;
}

/* "2026-03-02 09:00 UTC" for messages. */
static char *format_instant(gint64 instant) {
  if (!instant_ok(instant))
    return g_strdup_printf("%" G_GINT64_FORMAT, instant);
  struct icaltimetype t = local_seconds_to_icaltime(instant, FALSE);
  return g_strdup_printf("%04d-%02d-%02d %02d:%02d UTC", t.year, t.month, t.day, t.hour, t.minute);
}

/* An exact duration: hours, minutes and seconds, never nominal days
 * (RFC 5545 §3.3.6: "P1D" is a calendar day, 23 or 25 hours across a DST
 * change; "PT24H" is exactly 24). */
static struct icaldurationtype exact_duration(gint64 seconds) {
  struct icaldurationtype d = icaldurationtype_null_duration();
  gint64 a = ABS(seconds);
  d.is_neg = seconds < 0;
  d.hours = (unsigned int)(a / 3600);
  d.minutes = (unsigned int)(a / 60 % 60);
  d.seconds = (unsigned int)(a % 60);
  return d;
}

static struct icaldurationtype day_duration(gint64 days) {
  struct icaldurationtype d = icaldurationtype_null_duration();
  d.days = (unsigned int)days;
  return d;
}

static gboolean is_utc_zone(Zone *zone) { return !zone || zone_ical(zone) == icaltimezone_get_utc_timezone(); }

/* The TZID a zone is written with.  A database zone: its name.  A zone
 * core/appointment adopted from a calendar's VTIMEZONE is named
 * "TZID#<hash>" there: it is written with that definition's own TZID. */
static char *zone_tzid(Zone *zone) {
  const char *name = zone_name(zone);
  const char *own = icaltimezone_get_tzid(zone_ical(zone));
  gsize n = own ? strlen(own) : 0;
  if (n && !strncmp(name, own, n) && name[n] == '#')
    return g_strdup(own);
  return g_strdup(name);
}

/* ---- compose_event ------------------------------------------------------------------------------ */

static gboolean uid_ok(const char *uid) {
  if (!uid || !*uid || strlen(uid) > 255 || !g_utf8_validate(uid, -1, NULL))
    return FALSE;
  for (const char *p = uid; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean text_ok(const char *what, const char *text, char **error) {
  if (text && strlen(text) > COMPOSE_TEXT_MAX) {
    set_error(error, "the %s is too long (%zu octets, at most %d)", what, strlen(text), COMPOSE_TEXT_MAX);
    return FALSE;
  }
  return TRUE;
}

static guint strv_len0(const char *const *v) { return v ? g_strv_length((char **)v) : 0; }

/* Checks a list of addresses; `what` names one ("attendee"). */
static gboolean addresses_ok(const char *what, const char *const *list, char **error) {
  for (const char *const *a = list; a && *a; a++) {
    if (!message_address_valid(*a)) {
      set_error(error, "the %s address \"%s\" is not a valid email address", what, *a);
      return FALSE;
    }
  }
  return TRUE;
}

/* Cleans a list of names into "a,b,c" for one multi-valued property, or
 * NULL with *error.  `what` names one name ("resource"). */
static gboolean names_joined(const char *what, const char *const *list, char **out, char **error) {
  *out = NULL;
  if (!list || !*list)
    return TRUE;
  GString *s = g_string_new(NULL);
  for (const char *const *n = list; *n; n++) {
    if (!text_ok(what, *n, error)) {
      g_string_free(s, TRUE);
      return FALSE;
    }
    g_autofree char *name = clean_name(*n);
    if (!*name)
      set_error(error, "a %s name is blank", what);
    else if (strchr(name, ','))
      set_error(error, "the %s name \"%s\" holds a comma, which would split it in two", what, name);
    if (!*name || strchr(name, ',')) {
      g_string_free(s, TRUE);
      return FALSE;
    }
    g_string_append_printf(s, "%s%s", s->len ? "," : "", name);
  }
  *out = g_string_free(s, FALSE);
  return TRUE;
}

static gboolean event_valid(const ComposeEvent *ev, char **error) {
  if (!ev->uid || !*ev->uid) {
    set_error(error, "the appointment has no UID");
    return FALSE;
  }
  if (!uid_ok(ev->uid)) {
    set_error(error, "the UID is not valid (1 to 255 octets of UTF-8 without control characters)");
    return FALSE;
  }
  if (!ev->summary) {
    set_error(error, "the appointment has no summary");
    return FALSE;
  }
  if (!text_ok("summary", ev->summary, error) || !text_ok("location", ev->location, error) ||
      !text_ok("description", ev->description, error) || !text_ok("organizer name", ev->organizer_name, error))
    return FALSE;
  g_autofree char *summary = clean_text(ev->summary);
  if (!*summary) {
    set_error(error, "the summary is empty");
    return FALSE;
  }
  if (ev->duration <= 0) {
    set_error(error, "the duration must be positive, not %" G_GINT64_FORMAT " seconds", ev->duration);
    return FALSE;
  }
  if (!instant_ok(ev->start) || ev->duration > local_max() || !instant_ok(ev->start + ev->duration)) {
    set_error(error, "the start time or the duration is out of range (years %d to %d)", YEAR_MIN, YEAR_MAX);
    return FALSE;
  }
  if (!instant_ok(ev->now)) {
    set_error(error, "the current time (now) is out of range");
    return FALSE;
  }
  if (!is_utc_zone(ev->zone) && !icaltimezone_get_component(zone_ical(ev->zone))) {
    set_error(error, "the time zone \"%s\" has no definition to write", zone_name(ev->zone));
    return FALSE;
  }
  if (ev->organizer && !message_address_valid(ev->organizer)) {
    set_error(error, "the organizer address \"%s\" is not a valid email address", ev->organizer);
    return FALSE;
  }
  if (!addresses_ok("attendee", ev->attendees, error) || !addresses_ok("room", ev->rooms, error))
    return FALSE;
  guint people = strv_len0(ev->attendees) + strv_len0(ev->rooms);
  if (people && !ev->organizer) {
    set_error(error, "attendees and rooms need an organizer address");
    return FALSE;
  }
  if (people > COMPOSE_MAX_PEOPLE) {
    set_error(error, "too many attendees and rooms (%u, at most %d)", people, COMPOSE_MAX_PEOPLE);
    return FALSE;
  }
  if (strv_len0(ev->resources) > COMPOSE_MAX_ITEMS || strv_len0(ev->categories) > COMPOSE_MAX_ITEMS) {
    set_error(error, "too many resources or categories (at most %d each)", COMPOSE_MAX_ITEMS);
    return FALSE;
  }
  if (ev->priority < 0 || ev->priority > 9) {
    set_error(error, "the priority must be 0 (none) or 1 to 9, not %d", ev->priority);
    return FALSE;
  }
  if (ev->alarm_before < -1 || ev->alarm_before > local_max()) {
    set_error(error, "the alarm must be -1 (none) or a number of seconds before the start, not %" G_GINT64_FORMAT,
              ev->alarm_before);
    return FALSE;
  }
  if (ev->sequence < 0) {
    set_error(error, "the sequence must not be negative (%d)", ev->sequence);
    return FALSE;
  }
  return TRUE;
}

/* DTSTART or DTEND of a new event: wall clock + TZID, or UTC. */
static icalproperty *event_time(icalproperty_kind kind, gint64 instant, Zone *zone, const char *tzid) {
  struct icaltimetype t = tzid ? local_seconds_to_icaltime(zone_to_local(zone, instant), FALSE) : utc_time(instant);
  icalproperty *p = kind == ICAL_DTSTART_PROPERTY ? icalproperty_new_dtstart(t) : icalproperty_new_dtend(t);
  if (tzid)
    icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
  return p;
}

static icalproperty *person(const char *address, icalparameter_cutype cutype, icalparameter_role role,
                            gboolean rsvp) {
  g_autofree char *uri = g_strconcat("mailto:", address, NULL);
  icalproperty *p = icalproperty_new_attendee(uri);
  icalproperty_add_parameter(p, icalparameter_new_cutype(cutype));
  icalproperty_add_parameter(p, icalparameter_new_role(role));
  icalproperty_add_parameter(p, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
  if (rsvp)
    icalproperty_add_parameter(p, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
  return p;
}

/* Adds each address of `list` not yet in `seen` (lower case). */
static void add_people(icalcomponent *ev, const char *const *list, GHashTable *seen, icalparameter_cutype cutype,
                       icalparameter_role role, gboolean rsvp) {
  for (const char *const *a = list; a && *a; a++) {
    char *key = g_ascii_strdown(*a, -1);
    if (!g_hash_table_add(seen, key))
      continue;
    icalcomponent_add_property(ev, person(*a, cutype, role, rsvp));
  }
}

char *compose_event(const ComposeEvent *ev, char **error) {
  if (!ev) {
    set_error(error, "no appointment to write");
    return NULL;
  }
  if (!event_valid(ev, error))
    return NULL;
  g_autofree char *resources = NULL, *categories = NULL;
  if (!names_joined("resource", ev->resources, &resources, error) ||
      !names_joined("category", ev->categories, &categories, error))
    return NULL;

  g_autofree char *tzid = is_utc_zone(ev->zone) ? NULL : zone_tzid(ev->zone);
  g_autofree char *summary = clean_text(ev->summary);

  icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
  icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal, icalproperty_new_prodid(COMPOSE_PRODID));
  icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
  if (tzid)
    icalcomponent_add_component(cal, icaledit_copy_vtimezone(zone_ical(ev->zone), tzid));

  icalcomponent *vev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
  icalcomponent_add_property(vev, icalproperty_new_uid(ev->uid));
  icalcomponent_add_property(vev, icalproperty_new_dtstamp(utc_time(ev->now)));
  icalcomponent_add_property(vev, icalproperty_new_created(utc_time(ev->now)));
  icalcomponent_add_property(vev, icalproperty_new_lastmodified(utc_time(ev->now)));
  icalcomponent_add_property(vev, icalproperty_new_sequence(ev->sequence));
  icalcomponent_add_property(vev, icalproperty_new_summary(summary));
  icalcomponent_add_property(vev, event_time(ICAL_DTSTART_PROPERTY, ev->start, ev->zone, tzid));
  icalcomponent_add_property(vev, event_time(ICAL_DTEND_PROPERTY, ev->start + ev->duration, ev->zone, tzid));
  if (has_text(ev->location)) {
    g_autofree char *text = clean_text(ev->location);
    icalcomponent_add_property(vev, icalproperty_new_location(text));
  }
  if (has_text(ev->description)) {
    g_autofree char *text = clean_text(ev->description);
    icalcomponent_add_property(vev, icalproperty_new_description(text));
  }
  icalcomponent_add_property(vev, icalproperty_new_status(ICAL_STATUS_CONFIRMED));
  icalcomponent_add_property(vev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
  if (ev->pending) {
    icalproperty *mark = icalproperty_new_x("PENDING");
    icalproperty_set_x_name(mark, COMPOSE_PENDING_PROP);
    icalcomponent_add_property(vev, mark);
  }
  if (ev->priority)
    icalcomponent_add_property(vev, icalproperty_new_priority(ev->priority));
  if (categories)
    icalcomponent_add_property(vev, icalproperty_new_categories(categories));
  if (resources)
    icalcomponent_add_property(vev, icalproperty_new_resources(resources));
  if (ev->organizer) {
    g_autofree char *uri = g_strconcat("mailto:", ev->organizer, NULL);
    icalproperty *org = icalproperty_new_organizer(uri);
    g_autofree char *cn = has_text(ev->organizer_name) ? clean_name(ev->organizer_name) : NULL;
    if (cn && *cn)
      icalproperty_add_parameter(org, icalparameter_new_cn(cn));
    icalcomponent_add_property(vev, org);
  }
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  add_people(vev, ev->attendees, seen, ICAL_CUTYPE_INDIVIDUAL, ICAL_ROLE_REQPARTICIPANT, TRUE);
  add_people(vev, ev->rooms, seen, ICAL_CUTYPE_ROOM, ICAL_ROLE_NONPARTICIPANT, FALSE);
  if (ev->alarm_before >= 0) {
    icalcomponent *alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
    icalcomponent_add_property(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
    icalcomponent_add_property(alarm, icalproperty_new_description(summary));
    struct icaltriggertype trigger = {icaltime_null_time(), exact_duration(-ev->alarm_before)};
    icalcomponent_add_property(alarm, icalproperty_new_trigger(trigger));
    icalcomponent_add_component(vev, alarm);
  }
  icalcomponent_add_component(cal, vev);

  char *text = icalcomponent_as_ical_string_r(cal);
  icalcomponent_free(cal);
  return text;
}

/* ---- stored objects ------------------------------------------------------------------------------- */

typedef struct {
  icalcomponent *root; /* the VCALENDAR, edited in place */
  GPtrArray *series;   /* of Series*: the reading by core/appointment (one Series) */
  const Series *s;     /* its only element */
  Zones *zones;        /* not owned */
  Zone *local;         /* not owned; NULL = UTC */
} Stored;

static void stored_clear(Stored *st) {
  if (st->root)
    icalcomponent_free(st->root);
  if (st->series)
    g_ptr_array_unref(st->series);
}

static gboolean stored_read(Stored *st, const char *ical, Zones *zones, Zone *local, char **error) {
  memset(st, 0, sizeof *st);
  st->zones = zones;
  st->local = local;
  if (!ical || !zones) {
    set_error(error, "no stored appointment to change");
    return FALSE;
  }
  st->root = icalparser_parse_string(ical);
  if (!st->root || icalcomponent_isa(st->root) != ICAL_VCALENDAR_COMPONENT) {
    set_error(error, "the stored appointment could not be read: it is not one VCALENDAR");
    return FALSE;
  }
  st->series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  appointments_parse(ical, strlen(ical), "stored appointment", zones, st->series, diags);
  if (st->series->len == 0) {
    const Diagnostic *d = diags->len ? g_ptr_array_index(diags, 0) : NULL;
    set_error(error, "the stored appointment could not be read%s%s", d ? ": " : "", d ? d->message : "");
    return FALSE;
  }
  if (st->series->len > 1) {
    set_error(error, "the stored object holds more than one appointment (%u UIDs)", st->series->len);
    return FALSE;
  }
  st->s = g_ptr_array_index(st->series, 0);
  return TRUE;
}

static icalcomponent *libical_master(const Stored *st) {
  for (icalcomponent *c = icalcomponent_get_first_component(st->root, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(st->root, ICAL_VEVENT_COMPONENT))
    if (!icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY))
      return c;
  return NULL;
}

/* The libical override whose RECURRENCE-ID is written as `rid` was read. */
static icalcomponent *libical_override(const Stored *st, const TimeRef *rid) {
  for (icalcomponent *c = icalcomponent_get_first_component(st->root, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(st->root, ICAL_VEVENT_COMPONENT)) {
    icalproperty *p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (!p)
      continue;
    struct icaltimetype t = icalproperty_get_recurrenceid(p);
    if (icaltime_is_null_time(t))
      continue;
    if (!!t.is_date == (rid->kind == TREF_DATE) && icaltime_to_local_seconds(t) == rid->local)
      return c;
  }
  return NULL;
}

/* How a component writes its DTSTART, and so every time diaryd writes in
 * it (DTEND, a new override's RECURRENCE-ID). */
typedef struct {
  TimeKind kind; /* TREF_ZONED (any TZID, UTC aliases too), TREF_UTC, TREF_FLOATING, TREF_DATE */
  Zone *zone;    /* wall clocks are read in it; NULL = UTC */
  char *tzid;    /* the TZID parameter as written (TREF_ZONED), owned */
} TimeForm;

/* `appt` is core/appointment's reading of `comp`. */
static gboolean form_of(icalcomponent *comp, const Appointment *appt, Zone *local, TimeForm *form, char **error) {
  memset(form, 0, sizeof *form);
  icalproperty *p = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
  if (!p) {
    set_error(error, "the appointment has no start time (DTSTART)");
    return FALSE;
  }
  struct icaltimetype t = icalproperty_get_dtstart(p);
  icalparameter *tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  const char *tzid = tz ? icalparameter_get_tzid(tz) : NULL;
  if (t.is_date) {
    form->kind = TREF_DATE;
    form->zone = local;
  } else if (tzid && *tzid) {
    if (appt->start.kind == TREF_FLOATING) {
      set_error(error, "the appointment's time zone \"%s\" is unknown: its time cannot be written", tzid);
      return FALSE;
    }
    form->kind = TREF_ZONED;
    form->zone = appt->start.kind == TREF_ZONED ? appt->start.zone : NULL;
    form->tzid = g_strdup(tzid);
  } else if (icaltime_is_utc(t)) {
    form->kind = TREF_UTC;
  } else {
    form->kind = TREF_FLOATING;
    form->zone = local;
  }
  return TRUE;
}

/* The value `instant` has in `form` (a DATE: the date it falls on), or
 * FALSE when it cannot be written. */
static gboolean form_time(const TimeForm *form, gint64 instant, struct icaltimetype *out) {
  if (!instant_ok(instant))
    return FALSE;
  if (form->kind == TREF_UTC) {
    *out = utc_time(instant);
    return TRUE;
  }
  gint64 local = zone_to_local(form->zone, instant);
  if (!instant_ok(local))
    return FALSE;
  *out = local_seconds_to_icaltime(local, form->kind == TREF_DATE);
  return TRUE;
}

/* Sets a DTSTART, DTEND or RECURRENCE-ID property to `t` with the form's
 * TZID (and no other). */
static void set_time_prop(icalproperty *p, const TimeForm *form, struct icaltimetype t) {
  icalproperty_remove_parameter_by_kind(p, ICAL_TZID_PARAMETER);
  icalproperty_remove_parameter_by_kind(p, ICAL_VALUE_PARAMETER); /* libical writes VALUE=DATE itself */
  switch (icalproperty_isa(p)) {
  case ICAL_DTSTART_PROPERTY: icalproperty_set_dtstart(p, t); break;
  case ICAL_DTEND_PROPERTY: icalproperty_set_dtend(p, t); break;
  default: icalproperty_set_recurrenceid(p, t); break;
  }
  if (form->tzid && !t.is_date)
    icalproperty_add_parameter(p, icalparameter_new_tzid(form->tzid));
}

static icalproperty *ensure_prop(icalcomponent *c, icalproperty_kind kind) {
  icalproperty *p = icalcomponent_get_first_property(c, kind);
  if (!p) {
    p = icalproperty_new(kind);
    icalcomponent_add_property(c, p);
  }
  return p;
}

/* Puts `comp` at `start` (see compose_move).  `appt` is the reading that
 * gives the length: the component's own, or its master's for a new
 * override. */
static gboolean place(icalcomponent *comp, const Appointment *appt, const TimeForm *form, gint64 start,
                      gint64 duration, char **error) {
  struct icaltimetype ts, te;
  if (duration > local_max()) {
    set_error(error, "the new length is out of range");
    return FALSE;
  }
  if (!form_time(form, start, &ts)) {
    set_error(error, "the new start time is out of range (years %d to %d)", YEAR_MIN, YEAR_MAX);
    return FALSE;
  }
  icalproperty *dtend = icalcomponent_get_first_property(comp, ICAL_DTEND_PROPERTY);
  icalproperty *dur = icalcomponent_get_first_property(comp, ICAL_DURATION_PROPERTY);
  gboolean keep = duration < 0;
  struct icaldurationtype length;
  if (form->kind == TREF_DATE) {
    gint64 days = keep ? appt->duration_days : MAX(1, (duration + 86399) / 86400);
    if (days > 100000) {
      set_error(error, "the new length is out of range");
      return FALSE;
    }
    te = local_seconds_to_icaltime(icaltime_to_local_seconds(ts) + days * 86400, TRUE);
    length = day_duration(days);
  } else {
    gint64 secs = keep ? appt->duration : duration;
    if (!form_time(form, start + secs, &te)) {
      set_error(error, "the new end time is out of range (years %d to %d)", YEAR_MIN, YEAR_MAX);
      return FALSE;
    }
    length = exact_duration(secs);
  }
  if (te.year > YEAR_MAX) {
    set_error(error, "the new end time is out of range (years %d to %d)", YEAR_MIN, YEAR_MAX);
    return FALSE;
  }

  set_time_prop(icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY), form, ts);
  if (dtend) {
    /* DTEND wins over a DURATION written as well, as core/appointment reads it. */
    icaledit_remove_all(comp, ICAL_DURATION_PROPERTY);
    set_time_prop(dtend, form, te);
  } else if (dur) {
    if (!keep)
      icalproperty_set_duration(dur, length);
  } else if (!keep) {
    icalproperty *p = icalproperty_new(ICAL_DTEND_PROPERTY);
    icalcomponent_add_property(comp, p);
    set_time_prop(p, form, te);
  }
  return TRUE;
}

/* SEQUENCE + 1, DTSTAMP and LAST-MODIFIED = now. */
static void bump(icalcomponent *comp, gint64 now) {
  icalcomponent_set_sequence(comp, icalcomponent_get_sequence(comp) + 1);
  icalcomponent_set_dtstamp(comp, utc_time(now));
  icalproperty_set_lastmodified(ensure_prop(comp, ICAL_LASTMODIFIED_PROPERTY), utc_time(now));
}

/* Whether the master's expansion has an occurrence whose recurrence id is
 * `rid` (overridden ones were looked for first): 1 yes, 0 no, -1 yes but
 * its data comes from a RANGE=THISANDFUTURE override, not the master (a
 * copy of the master would undo that override's changes). */
static int is_occurrence(const Stored *st, gint64 rid) {
  if (!instant_ok(rid))
    return 0;
  /* The master's own occurrences (EXDATEs applied), without the overrides,
   * which move occurrences elsewhere: an occurrence not overridden starts
   * at its recurrence id. */
  g_autoptr(GPtrArray) none = g_ptr_array_new();
  Series master_only = {st->s->uid, st->s->source, st->s->master, none};
  g_autoptr(GArray) occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  series_expand(&master_only, rid, rid + 1, st->local, NULL, occ, diags);
  gboolean found = FALSE;
  for (guint i = 0; i < occ->len && !found; i++)
    found = g_array_index(occ, Occurrence, i).recurrence_id == rid;
  if (!found)
    return 0;
  for (guint i = 0; i < st->s->overrides->len; i++) {
    const Appointment *o = g_ptr_array_index(st->s->overrides, i);
    if (o->this_and_future && timeref_instant(&o->recurrence_id, st->local) <= rid)
      return -1;
  }
  return 1;
}

/* The component to change.  *comp is the libical component and *appt its
 * reading; for an occurrence without an override, a new override is added
 * to the object (placed at the occurrence's own time, SEQUENCE as the
 * master's) and *appt is the master, which gives its length. */
static gboolean find_target(const Stored *st, gint64 rid, icalcomponent **comp, const Appointment **appt,
                            TimeForm *form, gboolean *is_new, char **error) {
  const Series *s = st->s;
  *is_new = FALSE;
  if (rid == APPT_NO_TIME) {
    *comp = libical_master(st);
    *appt = s->master;
    if (!*comp || !*appt) {
      set_error(error, "the appointment has no master component (the object holds single occurrences only)");
      return FALSE;
    }
    return form_of(*comp, *appt, st->local, form, error);
  }
  for (guint i = 0; i < s->overrides->len; i++) {
    const Appointment *o = g_ptr_array_index(s->overrides, i);
    if (timeref_instant(&o->recurrence_id, st->local) != rid)
      continue;
    *comp = libical_override(st, &o->recurrence_id);
    *appt = o;
    if (!*comp) {
      set_error(error, "the occurrence's override could not be found in the stored object");
      return FALSE;
    }
    return form_of(*comp, o, st->local, form, error);
  }

  g_autofree char *when = format_instant(rid);
  const Appointment *m = s->master;
  icalcomponent *master = libical_master(st);
  if (!m || !master || !appointment_is_recurring(m)) {
    set_error(error, "the appointment %s, so it has no occurrence at %s",
              m && master ? "does not repeat" : "has no master component", when);
    return FALSE;
  }
  int found = is_occurrence(st, rid);
  if (found <= 0) {
    set_error(error, found ? "the occurrence at %s follows a this-and-future change: change that one instead"
                           : "the series has no occurrence at %s", when);
    return FALSE;
  }
  if (!form_of(master, m, st->local, form, error))
    return FALSE;
  struct icaltimetype t;
  if (!form_time(form, rid, &t)) {
    set_error(error, "the occurrence at %s cannot be written", when);
    g_free(form->tzid);
    return FALSE;
  }
  icalcomponent *c = icalcomponent_new_clone(master);
  icaledit_remove_all(c, ICAL_RRULE_PROPERTY);
  icaledit_remove_all(c, ICAL_RDATE_PROPERTY);
  icaledit_remove_all(c, ICAL_EXRULE_PROPERTY);
  icaledit_remove_all(c, ICAL_EXDATE_PROPERTY);
  icalproperty *p = icalproperty_new(ICAL_RECURRENCEID_PROPERTY);
  icalcomponent_add_property(c, p);
  set_time_prop(p, form, t);
  if (!place(c, m, form, rid, -1, error)) {
    icalcomponent_free(c);
    g_free(form->tzid);
    return FALSE;
  }
  icalcomponent_add_component(st->root, c);
  *comp = c;
  *appt = m;
  *is_new = TRUE;
  return TRUE;
}

/* Adds the database's VTIMEZONE for each TZID the events use that the
 * object lacks, before the other components (where clients expect them). */
static void add_missing_vtimezones(icalcomponent *root, Zones *zones) {
  g_autoptr(GPtrArray) tzids = g_ptr_array_new();
  for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT))
    icaledit_collect_tzids(c, tzids);
  g_autoptr(GPtrArray) add = g_ptr_array_new();
  for (guint i = 0; i < tzids->len; i++) {
    const char *tzid = g_ptr_array_index(tzids, i);
    icalcomponent *tz = icaledit_find_vtimezone(root, tzid) ? NULL : icaledit_vtimezone_from_database(zones, tzid);
    if (tz)
      g_ptr_array_add(add, tz);
  }
  if (!add->len)
    return;
  g_autoptr(GPtrArray) rest = g_ptr_array_new();
  for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c;
       c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT))
    if (icalcomponent_isa(c) != ICAL_VTIMEZONE_COMPONENT)
      g_ptr_array_add(rest, c);
  for (guint i = 0; i < rest->len; i++)
    icalcomponent_remove_component(root, g_ptr_array_index(rest, i));
  for (guint i = 0; i < add->len; i++)
    icalcomponent_add_component(root, g_ptr_array_index(add, i));
  for (guint i = 0; i < rest->len; i++)
    icalcomponent_add_component(root, g_ptr_array_index(rest, i));
}

static char *stored_write(Stored *st) {
  add_missing_vtimezones(st->root, st->zones);
  return icalcomponent_as_ical_string_r(st->root);
}

char *compose_move(const char *ical, gint64 recurrence_id, gint64 new_start, gint64 duration, gint64 now,
                   Zones *zones, char **error) {
  return compose_move_local(ical, recurrence_id, new_start, duration, now, zones, NULL, error);
}

char *compose_move_local(const char *ical, gint64 recurrence_id, gint64 new_start, gint64 duration, gint64 now,
                         Zones *zones, Zone *local, char **error) {
  if (!instant_ok(now)) {
    set_error(error, "the current time (now) is out of range");
    return NULL;
  }
  Stored st;
  char *text = NULL;
  if (stored_read(&st, ical, zones, local, error)) {
    icalcomponent *comp;
    const Appointment *appt;
    TimeForm form;
    gboolean is_new;
    if (find_target(&st, recurrence_id, &comp, &appt, &form, &is_new, error)) {
      if (place(comp, appt, &form, new_start, duration, error)) {
        bump(comp, now);
        text = stored_write(&st);
      }
      g_free(form.tzid);
    }
  }
  stored_clear(&st);
  return text;
}

static void cancel_one(icalcomponent *comp, const char *reason, gint64 now) {
  icalcomponent_set_status(comp, ICAL_STATUS_CANCELLED);
  if (reason) {
    gboolean present = FALSE;
    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_COMMENT_PROPERTY); p && !present;
         p = icalcomponent_get_next_property(comp, ICAL_COMMENT_PROPERTY))
      present = !g_strcmp0(icalproperty_get_comment(p), reason);
    if (!present)
      icalcomponent_add_property(comp, icalproperty_new_comment(reason));
  }
  bump(comp, now);
}

char *compose_cancel(const char *ical, gint64 recurrence_id, const char *reason, gint64 now, Zones *zones,
                     char **error) {
  return compose_cancel_local(ical, recurrence_id, reason, now, zones, NULL, error);
}

char *compose_cancel_local(const char *ical, gint64 recurrence_id, const char *reason, gint64 now, Zones *zones,
                           Zone *local, char **error) {
  if (!instant_ok(now)) {
    set_error(error, "the current time (now) is out of range");
    return NULL;
  }
  if (!text_ok("reason", reason, error))
    return NULL;
  g_autofree char *why = reason ? clean_text(reason) : NULL;
  if (why && !*why)
    g_clear_pointer(&why, g_free);

  Stored st;
  char *text = NULL;
  if (stored_read(&st, ical, zones, local, error)) {
    icalcomponent *comp;
    const Appointment *appt;
    TimeForm form;
    gboolean is_new;
    if (find_target(&st, recurrence_id, &comp, &appt, &form, &is_new, error)) {
      g_free(form.tzid);
      if (recurrence_id == APPT_NO_TIME) {
        /* The whole appointment: the master and every override. */
        for (icalcomponent *c = icalcomponent_get_first_component(st.root, ICAL_VEVENT_COMPONENT); c;
             c = icalcomponent_get_next_component(st.root, ICAL_VEVENT_COMPONENT))
          cancel_one(c, why, now);
      } else {
        cancel_one(comp, why, now);
      }
      text = stored_write(&st);
    }
  }
  stored_clear(&st);
  return text;
}

/* ---- UIDs ------------------------------------------------------------------------------------------ */

char *compose_uid(const guint8 random16[16], const char *domain) {
  GString *s = g_string_sized_new(64);
  for (int i = 0; i < 16; i++)
    g_string_append_printf(s, "%02x", random16[i]);
  g_string_append_c(s, '@');
  if (domain && message_domain_valid(domain)) {
    g_autofree char *lower = g_ascii_strdown(domain, -1);
    g_string_append(s, lower);
  } else {
    g_string_append(s, "diaryd.invalid");
  }
  return g_string_free(s, FALSE);
}
