/* Unit tests for core/compose.c: the iCalendar text diaryd writes to a
 * calendar server when it books, reschedules or cancels.
 *
 * Every result is read back the way another client would: with
 * core/appointment (appointments_parse over the test zones) and with
 * libical directly (its own VTIMEZONE, not the zone database, gives the
 * instants).  `now` is 2026-03-01 12:00 UTC unless a test says otherwise;
 * nothing reads the clock.
 */
#include "testutil.h"

#include <string.h>

#include "compose.h"

#define NOW "2026-03-01T12:00:00Z"
#define LATER "2026-03-05T08:30:00Z"

/* ---- helpers ------------------------------------------------------------------------------------- */

/* The unfolded lines of one component (from its BEGIN line to its END),
 * the `n`th (0-based) that holds a line `marker`, or "" when none. */
static char *block_with(const char *text, const char *begin, const char *marker) {
  g_autofree char *flat = test_ical_unfold(text);
  g_auto(GStrv) lines = g_strsplit(flat, "\n", -1);
  g_autofree char *end = g_strdup_printf("END:%s", begin + strlen("BEGIN:"));
  for (char **l = lines; *l; l++) {
    if (strcmp(*l, begin))
      continue;
    GString *b = g_string_new(NULL);
    gboolean hit = FALSE;
    for (; *l && strcmp(*l, end); l++) {
      g_string_append_printf(b, "%s\n", *l);
      hit |= !strcmp(*l, marker);
    }
    if (hit)
      return g_string_free(b, FALSE);
    g_string_free(b, TRUE);
    if (!*l)
      break;
  }
  return g_strdup("");
}

/* CRLF line ends only, each physical line at most 75 octets and valid
 * UTF-8 on its own (folding never splits a character). */
static void expect_well_formed(const char *text) {
  EXPECT(g_str_has_suffix(text, "\r\n"), "text does not end in CRLF");
  for (const char *p = text; *p; p++)
    if (*p == '\n' && (p == text || p[-1] != '\r')) {
      EXPECT(FALSE, "bare LF at offset %ld", (long)(p - text));
      break;
    }
  g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
  for (char **l = lines; *l; l++) {
    EXPECT(strlen(*l) <= 75, "line of %zu octets: %.40s...", strlen(*l), *l);
    EXPECT(g_utf8_validate(*l, -1, NULL), "line not valid UTF-8 alone: %.40s", *l);
  }
}

typedef struct {
  GPtrArray *series; /* of Series* */
  GPtrArray *diags;  /* of Diagnostic* */
} Parsed;

static void parsed_free(Parsed *p) {
  if (!p)
    return;
  g_ptr_array_unref(p->series);
  g_ptr_array_unref(p->diags);
  g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Parsed, parsed_free)

/* Reads text with core/appointment; any diagnostic fails the test. */
static Parsed *parse(Zones *zones, const char *text) {
  Parsed *p = g_new0(Parsed, 1);
  p->series = test_parse(zones, text, &p->diags);
  for (guint i = 0; i < p->diags->len; i++) {
    g_autofree char *d = diagnostic_format(g_ptr_array_index(p->diags, i));
    EXPECT(FALSE, "diagnostic: %s", d);
  }
  EXPECT(p->series->len == 1, "%u series", p->series->len);
  return p;
}

static const Series *series_of(const Parsed *p) {
  g_assert_cmpuint(p->series->len, >=, 1);
  return g_ptr_array_index(p->series, 0);
}

static const Appointment *master_of(const Parsed *p) {
  const Appointment *m = series_of(p)->master;
  g_assert_nonnull(m);
  return m;
}

/* The override with this recurrence id (instant), or NULL. */
static const Appointment *override_of(const Parsed *p, gint64 rid, Zone *local) {
  const Series *s = series_of(p);
  for (guint i = 0; i < s->overrides->len; i++) {
    const Appointment *o = g_ptr_array_index(s->overrides, i);
    if (timeref_instant(&o->recurrence_id, local) == rid)
      return o;
  }
  return NULL;
}

/* libical's reading: the VCALENDAR (owned by the caller). */
static icalcomponent *lic(const char *text) {
  icalcomponent *cal = icalparser_parse_string(text);
  g_assert_nonnull(cal);
  EXPECT(icalcomponent_isa(cal) == ICAL_VCALENDAR_COMPONENT, "not a VCALENDAR");
  return cal;
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(icalcomponent, icalcomponent_free)

static guint count_components(icalcomponent *cal, icalcomponent_kind kind) {
  guint n = 0;
  for (icalcomponent *c = icalcomponent_get_first_component(cal, kind); c;
       c = icalcomponent_get_next_component(cal, kind))
    n++;
  return n;
}

/* The instant of a DTSTART/DTEND/RECURRENCE-ID property read by libical
 * alone: a TZID through the object's own VTIMEZONE (never the database). */
static gint64 lic_instant(icalcomponent *cal, icalproperty *p) {
  g_assert_nonnull(p);
  struct icaltimetype t = icalvalue_get_datetime(icalproperty_get_value(p));
  icalparameter *tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  if (!tzp) {
    EXPECT(icaltime_is_utc(t), "a time without TZID that is not UTC");
    return (gint64)icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
  }
  icaltimezone *tz = icalcomponent_get_timezone(cal, icalparameter_get_tzid(tzp));
  EXPECT(tz != NULL, "no VTIMEZONE for TZID %s", icalparameter_get_tzid(tzp));
  if (!tz)
    return APPT_NO_TIME;
  t.zone = NULL;
  return (gint64)icaltime_as_timet_with_zone(t, tz);
}

static ComposeEvent base_event(Zone *zone) {
  ComposeEvent ev = {.uid = "0123456789abcdef0123456789abcdef@example.com",
                     .summary = "Dentist",
                     .start = test_instant("2026-01-15T10:00:00Z"),
                     .duration = 3600,
                     .zone = zone,
                     .alarm_before = -1,
                     .now = test_instant(NOW)};
  return ev;
}

/* compose_event that must succeed. */
static char *compose_ok(const ComposeEvent *ev) {
  g_autofree char *error = NULL;
  char *text = compose_event(ev, &error);
  EXPECT(text != NULL, "compose_event failed: %s", error ? error : "(no error)");
  return text ? text : g_strdup("");
}

/* ---- 1. zones ------------------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *zone;
  const char *start; /* RFC 3339 UTC */
  gint64 duration;
  const char *dtstart, *dtend; /* expected lines */
} ZoneRow;

static const ZoneRow zone_rows[] = {
    {"london-winter", "Europe/London", "2026-01-15T10:00:00Z", 3600, "DTSTART;TZID=Europe/London:20260115T100000",
     "DTEND;TZID=Europe/London:20260115T110000"},
    {"london-summer", "Europe/London", "2026-07-15T09:00:00Z", 5400, "DTSTART;TZID=Europe/London:20260715T100000",
     "DTEND;TZID=Europe/London:20260715T113000"},
    /* Starts in GMT, ends in BST: the end is the exact length later. */
    {"london-across-dst", "Europe/London", "2026-03-29T00:30:00Z", 3600,
     "DTSTART;TZID=Europe/London:20260329T003000", "DTEND;TZID=Europe/London:20260329T023000"},
    {"new-york", "America/New_York", "2026-11-02T15:00:00Z", 1800, "DTSTART;TZID=America/New_York:20261102T100000",
     "DTEND;TZID=America/New_York:20261102T103000"},
    {"utc", "UTC", "2026-07-15T09:00:00Z", 3600, "DTSTART:20260715T090000Z", "DTEND:20260715T100000Z"},
};

static void run_zone_row(gconstpointer data) {
  const ZoneRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *zone = zones_resolve(zones, row->zone);
  g_assert_nonnull(zone);
  ComposeEvent ev = base_event(zone);
  ev.start = test_instant(row->start);
  ev.duration = row->duration;
  g_autofree char *text = compose_ok(&ev);
  expect_well_formed(text);
  EXPECT(test_ical_has_line(text, row->dtstart), "no line %s in\n%s", row->dtstart, text);
  EXPECT(test_ical_has_line(text, row->dtend), "no line %s in\n%s", row->dtend, text);
  gboolean utc = !strcmp(row->zone, "UTC");
  g_autofree char *tzid_line = g_strdup_printf("TZID:%s", row->zone);
  EXPECT(test_ical_count_lines(text, "BEGIN:VTIMEZONE") == (utc ? 0u : 1u), "VTIMEZONEs: %u",
         test_ical_count_lines(text, "BEGIN:VTIMEZONE"));
  if (!utc)
    EXPECT(test_ical_has_line(text, tzid_line), "the VTIMEZONE's TZID is not %s", row->zone);

  /* core/appointment */
  g_autoptr(Parsed) p = parse(zones, text);
  if (p->series->len == 1) {
    const Appointment *m = master_of(p);
    EXPECT(m->start.kind == (utc ? TREF_UTC : TREF_ZONED), "start kind %d", m->start.kind);
    if (!utc)
      EXPECT(m->start.zone && !strcmp(zone_name(m->start.zone), row->zone), "zone %s",
             m->start.zone ? zone_name(m->start.zone) : "none");
    EXPECT(timeref_instant(&m->start, NULL) == ev.start, "start instant %" G_GINT64_FORMAT,
           timeref_instant(&m->start, NULL));
    EXPECT(m->duration == row->duration, "duration %" G_GINT64_FORMAT, m->duration);
  }

  /* libical, through the VTIMEZONE the object carries */
  g_autoptr(icalcomponent) cal = lic(text);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  g_assert_nonnull(vev);
  gint64 s = lic_instant(cal, icalcomponent_get_first_property(vev, ICAL_DTSTART_PROPERTY));
  gint64 e = lic_instant(cal, icalcomponent_get_first_property(vev, ICAL_DTEND_PROPERTY));
  EXPECT(s == ev.start, "libical start %" G_GINT64_FORMAT, s);
  EXPECT(e == ev.start + row->duration, "libical end %" G_GINT64_FORMAT, e);
}

/* The frame around the event. */
static void test_event_frame(void) {
  g_autoptr(Zones) zones = test_zones();
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  g_autofree char *text = compose_ok(&ev);
  expect_well_formed(text);
  static const char *const lines[] = {
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//diaryd//book//EN", "CALSCALE:GREGORIAN",
      "UID:0123456789abcdef0123456789abcdef@example.com", "DTSTAMP:20260301T120000Z", "CREATED:20260301T120000Z",
      "LAST-MODIFIED:20260301T120000Z", "SEQUENCE:0", "SUMMARY:Dentist", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
      "END:VCALENDAR"};
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    EXPECT(test_ical_has_line(text, lines[i]), "no line %s", lines[i]);
  EXPECT(test_ical_count_lines(text, "BEGIN:VEVENT") == 1, "VEVENTs");
  static const char *const absent[] = {"METHOD", "LOCATION", "DESCRIPTION", "PRIORITY", "CATEGORIES", "RESOURCES",
                                       "ORGANIZER", "ATTENDEE", "BEGIN:VALARM"};
  for (gsize i = 0; i < G_N_ELEMENTS(absent); i++)
    EXPECT(test_ical_count_lines(text, absent[i]) == 0, "unexpected %s", absent[i]);
  /* The VTIMEZONE comes before the VEVENT. */
  const char *tz = strstr(text, "BEGIN:VTIMEZONE"), *vev = strstr(text, "BEGIN:VEVENT");
  EXPECT(tz && vev && tz < vev, "VTIMEZONE after VEVENT");
  /* Same input, same bytes. */
  g_autofree char *again = compose_ok(&ev);
  EXPECT(!strcmp(text, again), "not deterministic");
  /* A NULL zone is UTC. */
  ev.zone = NULL;
  g_autofree char *utc = compose_ok(&ev);
  EXPECT(test_ical_has_line(utc, "DTSTART:20260115T100000Z") && !test_ical_count_lines(utc, "BEGIN:VTIMEZONE"), "NULL zone:\n%s", utc);
}

/* A booking not yet settled carries the mark other bookers read, and
 * differs from the settled one in that line only. */
static void test_event_pending(void) {
  g_autoptr(Zones) zones = test_zones();
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  g_autofree char *settled = compose_ok(&ev);
  ev.pending = TRUE;
  g_autofree char *pending = compose_ok(&ev);
  expect_well_formed(pending);
  EXPECT(test_ical_has_line(pending, COMPOSE_PENDING_PROP ":PENDING"), "no mark in\n%s", pending);
  EXPECT(!test_ical_count_lines(settled, COMPOSE_PENDING_PROP), "a mark in the settled one");
  g_autoptr(Parsed) p = parse(zones, pending);
  g_autoptr(Parsed) q = parse(zones, settled);
  EXPECT(p->series->len == 1 && master_of(p)->booking_pending, "the mark is not read back");
  EXPECT(q->series->len == 1 && !master_of(q)->booking_pending, "a settled booking reads as pending");
  g_autoptr(GString) without = g_string_new(pending);
  const char *mark = strstr(without->str, COMPOSE_PENDING_PROP ":PENDING\r\n");
  g_assert_nonnull(mark);
  g_string_erase(without, mark - without->str, strlen(COMPOSE_PENDING_PROP ":PENDING\r\n"));
  EXPECT(!strcmp(without->str, settled), "more than the mark differs:\n%s", pending);
}

/* A zone a calendar carried (not in the database) keeps its own TZID. */
#define OFFICE_TZ                                                                                                     \
  "BEGIN:VTIMEZONE\nTZID:Office Time\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\n"                  \
  "TZOFFSETTO:+0100\nTZNAME:OT\nEND:STANDARD\nEND:VTIMEZONE\n"

static void test_event_adopted_zone(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *src = test_calendar(OFFICE_TZ "BEGIN:VEVENT\nUID:x\nDTSTAMP:20260101T000000Z\n"
                                                 "DTSTART;TZID=Office Time:20260302T090000\nEND:VEVENT\n");
  g_autoptr(Parsed) p = parse(zones, src);
  Zone *office = master_of(p)->start.zone;
  g_assert_nonnull(office);
  ComposeEvent ev = base_event(office);
  ev.start = test_instant("2026-03-02T08:00:00Z");
  g_autofree char *text = compose_ok(&ev);
  EXPECT(test_ical_has_line(text, "DTSTART;TZID=Office Time:20260302T090000"), "DTSTART:\n%s", text);
  EXPECT(test_ical_has_line(text, "TZID:Office Time"), "VTIMEZONE TZID:\n%s", text);
  g_autoptr(Zones) fresh = test_zones();
  g_autoptr(Parsed) back = parse(fresh, text);
  if (back->series->len == 1)
    EXPECT(timeref_instant(&master_of(back)->start, NULL) == ev.start, "instant after parse");
  g_autoptr(icalcomponent) cal = lic(text);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  EXPECT(lic_instant(cal, icalcomponent_get_first_property(vev, ICAL_DTSTART_PROPERTY)) == ev.start, "libical");
}

/* ---- 2. hostile text ------------------------------------------------------------------------------ */

static void test_event_hostile_text(void) {
  g_autoptr(Zones) zones = test_zones();
  GString *big = g_string_new(NULL);
  while (g_utf8_strlen(big->str, -1) < 2000)
    g_string_append(big, "a,b;c\\d\"e' f\n\u00e9\u4e2d\U0001F600:");
  g_autofree char *cut = g_utf8_substring(big->str, 0, 1999);
  g_autofree char *long_text = g_strconcat(cut, "!", NULL); /* 2000 characters, no white space at the end */
  g_string_free(big, TRUE);
  const char *summary = "Lunch, \"quoted\"; C:\\path\\n not a newline, caf\u00e9 \u65e5\u672c \U0001F37D";
  const char *location = "Room 1; Floor 2, Building \\B\\\nSecond line\n\nafter a blank line\ttab";
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  ev.summary = summary;
  ev.location = location;
  ev.description = long_text;
  ev.alarm_before = 900;
  g_autofree char *text = compose_ok(&ev);
  expect_well_formed(text);

  g_autoptr(Parsed) p = parse(zones, text);
  if (p->series->len == 1) {
    const Appointment *m = master_of(p);
    EXPECT(!g_strcmp0(m->summary, summary), "summary: %s", m->summary);
    EXPECT(!g_strcmp0(m->location, location), "location: %s", m->location);
    EXPECT(!g_strcmp0(m->description, long_text), "description differs (%zu octets back, %zu sent)",
           m->description ? strlen(m->description) : 0, strlen(long_text));
    EXPECT(m->alarms->len == 1, "alarms");
  }
  g_autoptr(icalcomponent) cal = lic(text);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  EXPECT(!g_strcmp0(icalcomponent_get_summary(vev), summary), "libical summary");
  EXPECT(!g_strcmp0(icalcomponent_get_location(vev), location), "libical location");
  EXPECT(!g_strcmp0(icalcomponent_get_description(vev), long_text), "libical description");
  /* Nothing hostile became structure: one VEVENT, its properties known. */
  EXPECT(count_components(cal, ICAL_VEVENT_COMPONENT) == 1, "VEVENTs");
  EXPECT(icalcomponent_count_properties(vev, ICAL_X_PROPERTY) == 0, "X- properties appeared");
  EXPECT(icalcomponent_count_properties(vev, ICAL_SUMMARY_PROPERTY) == 1, "SUMMARY count");
}

/* What RFC 5545 TEXT cannot carry is settled as compose.h says. */
typedef struct {
  const char *name;
  const char *in, *out;
} CleanRow;

static const CleanRow clean_rows[] = {
    {"crlf", "one\r\ntwo", "one\ntwo"},
    {"lone-cr", "one\rtwo", "one\ntwo"},
    {"controls", "a\001b\033c\177d", "abcd"},
    {"tab-kept", "a\tb", "a\tb"},
    {"invalid-utf8", "caf\xe9!", "caf\xef\xbf\xbd!"},
    {"trimmed", " \t padded\ttext \n\r\n ", "padded\ttext"},
    {"begin-vevent", "x\nBEGIN:VEVENT\nEND:VCALENDAR", "x\nBEGIN:VEVENT\nEND:VCALENDAR"},
};

static void run_clean_row(gconstpointer data) {
  const CleanRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  ComposeEvent ev = base_event(zones_utc(zones));
  ev.description = row->in;
  g_autofree char *text = compose_ok(&ev);
  expect_well_formed(text);
  g_autoptr(Parsed) p = parse(zones, text);
  if (p->series->len == 1)
    EXPECT(!g_strcmp0(master_of(p)->description, row->out), "description: \"%s\"", master_of(p)->description);
}

/* ---- 3. people, rooms, resources, priority, categories, alarm --------------------------------------- */

static void test_event_people(void) {
  g_autoptr(Zones) zones = test_zones();
  const char *const attendees[] = {"ann@example.org", "Bob.Smith@Example.NET", "ann@EXAMPLE.org", NULL};
  const char *const rooms[] = {"room4@rooms.example.com", NULL};
  const char *const resources[] = {"Room 4", "Projector", NULL};
  const char *const categories[] = {"Health", "Family time", NULL};
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  ev.organizer = "sam@example.com";
  ev.organizer_name = "Sam \"Q\" O'Neil, Jr.;\nOwner";
  ev.attendees = attendees;
  ev.rooms = rooms;
  ev.resources = resources;
  ev.categories = categories;
  ev.priority = 1;
  ev.alarm_before = 15 * 60;
  g_autofree char *text = compose_ok(&ev);
  expect_well_formed(text);
  static const char *const lines[] = {
      "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.org",
      "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:Bob.Smith@Example.NET",
      "ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:room4@rooms.example.com",
      "RESOURCES:Room 4,Projector",
      "CATEGORIES:Health,Family time",
      "PRIORITY:1",
      "BEGIN:VALARM",
      "ACTION:DISPLAY",
      "TRIGGER:-PT15M",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    EXPECT(test_ical_has_line(text, lines[i]), "no line %s in\n%s", lines[i], text);
  EXPECT(test_ical_count_lines(text, "ATTENDEE") == 3, "the duplicate attendee was written twice");
  EXPECT(test_ical_count_lines(text, "RESOURCES") == 1 && test_ical_count_lines(text, "CATEGORIES") == 1, "one property each");
  EXPECT(test_ical_count_lines(text, "ORGANIZER;CN=") == 1, "ORGANIZER with CN");

  g_autoptr(Parsed) p = parse(zones, text);
  if (p->series->len != 1)
    return;
  const Appointment *m = master_of(p);
  EXPECT(m->organizer && !g_strcmp0(m->organizer->email, "sam@example.com"), "organizer");
  EXPECT(m->organizer && !g_strcmp0(m->organizer->cn, "Sam \"Q\" O'Neil, Jr.; Owner"), "organizer CN: %s",
         m->organizer ? m->organizer->cn : "none");
  EXPECT(m->attendees->len == 3, "%u attendees", m->attendees->len);
  for (guint i = 0; i < m->attendees->len; i++) {
    const Attendee *a = g_ptr_array_index(m->attendees, i);
    gboolean room = !g_strcmp0(a->email, "room4@rooms.example.com");
    EXPECT(a->partstat == PARTSTAT_NEEDS_ACTION, "%s partstat", a->email);
    EXPECT(a->cutype == (room ? CUTYPE_ROOM : CUTYPE_INDIVIDUAL), "%s cutype", a->email);
    EXPECT(a->role == (room ? ROLE_NON_PARTICIPANT : ROLE_REQ_PARTICIPANT), "%s role", a->email);
    EXPECT(a->rsvp == !room, "%s rsvp", a->email);
  }
  EXPECT(m->resources && g_strv_length(m->resources) == 2 && !strcmp(m->resources[0], "Room 4") &&
             !strcmp(m->resources[1], "Projector"),
         "resources");
  EXPECT(m->categories && g_strv_length(m->categories) == 2 && !strcmp(m->categories[1], "Family time"),
         "categories");
  EXPECT(m->priority == 1, "priority %d", m->priority);
  EXPECT(m->status == STATUS_CONFIRMED && !m->transparent, "status / transparency");
  EXPECT(m->alarms->len == 1, "%u alarms", m->alarms->len);
  if (m->alarms->len == 1) {
    const Alarm *a = g_ptr_array_index(m->alarms, 0);
    EXPECT(a->action == ALARM_DISPLAY && !a->absolute && a->offset == -900 && a->offset_days == 0 &&
               !a->related_end && !g_strcmp0(a->description, "Dentist"),
           "alarm");
  }
  /* libical: the CN decodes to the cleaned name; the VALARM is inside the VEVENT. */
  g_autoptr(icalcomponent) cal = lic(text);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  icalproperty *org = icalcomponent_get_first_property(vev, ICAL_ORGANIZER_PROPERTY);
  icalparameter *cn = org ? icalproperty_get_first_parameter(org, ICAL_CN_PARAMETER) : NULL;
  EXPECT(cn && !g_strcmp0(icalparameter_get_cn(cn), "Sam \"Q\" O'Neil, Jr.; Owner"), "libical CN");
  icalcomponent *alarm = icalcomponent_get_first_component(vev, ICAL_VALARM_COMPONENT);
  EXPECT(alarm != NULL, "libical VALARM");
  if (alarm) {
    struct icaltriggertype t = icalproperty_get_trigger(icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY));
    EXPECT(icaldurationtype_as_int(t.duration) == -900, "trigger %d", icaldurationtype_as_int(t.duration));
  }
}

/* Alarms are exact durations: a day before is 24 hours, at the start 0. */
static void test_event_alarm_lengths(void) {
  g_autoptr(Zones) zones = test_zones();
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  ev.alarm_before = 86400;
  g_autofree char *day = compose_ok(&ev);
  EXPECT(test_ical_has_line(day, "TRIGGER:-PT24H"), "a day:\n%s", day);
  ev.alarm_before = 0;
  g_autofree char *zero = compose_ok(&ev);
  EXPECT(test_ical_count_lines(zero, "TRIGGER:") == 1 && test_ical_count_lines(zero, "BEGIN:VALARM") == 1, "at the start:\n%s", zero);
  g_autoptr(Parsed) p = parse(zones, zero);
  if (p->series->len == 1 && master_of(p)->alarms->len == 1) {
    const Alarm *a = g_ptr_array_index(master_of(p)->alarms, 0);
    EXPECT(a->offset == 0 && a->offset_days == 0, "offset %" G_GINT64_FORMAT, a->offset);
  }
}

/* ---- 4. refusals --------------------------------------------------------------------------------- */

typedef enum {
  BAD_ATTENDEE, BAD_ATTENDEE_CRLF, BAD_ATTENDEE_NO_DOT, BAD_ROOM, BAD_ORGANIZER, NO_ORGANIZER, PRIORITY_10,
  PRIORITY_NEG, DURATION_0, DURATION_NEG, NO_UID, EMPTY_UID, UID_NEWLINE, NO_SUMMARY, BLANK_SUMMARY, RESOURCE_COMMA,
  BLANK_CATEGORY, ALARM_NEG, SEQUENCE_NEG, START_FAR, NO_DEFINITION, TOO_LONG
} Fault;

typedef struct {
  const char *name;
  Fault fault;
  const char *word; /* the error must name it */
} FaultRow;

static const FaultRow fault_rows[] = {
    {"attendee-invalid", BAD_ATTENDEE, "attendee"},
    {"attendee-crlf", BAD_ATTENDEE_CRLF, "attendee"},
    {"attendee-no-dot", BAD_ATTENDEE_NO_DOT, "attendee"},
    {"room-invalid", BAD_ROOM, "room"},
    {"organizer-invalid", BAD_ORGANIZER, "organizer"},
    {"attendees-without-organizer", NO_ORGANIZER, "organizer"},
    {"priority-10", PRIORITY_10, "priority"},
    {"priority-negative", PRIORITY_NEG, "priority"},
    {"duration-0", DURATION_0, "duration"},
    {"duration-negative", DURATION_NEG, "duration"},
    {"uid-missing", NO_UID, "UID"},
    {"uid-empty", EMPTY_UID, "UID"},
    {"uid-newline", UID_NEWLINE, "UID"},
    {"summary-missing", NO_SUMMARY, "summary"},
    {"summary-blank", BLANK_SUMMARY, "summary"},
    {"resource-comma", RESOURCE_COMMA, "resource"},
    {"category-blank", BLANK_CATEGORY, "category"},
    {"alarm-negative", ALARM_NEG, "alarm"},
    {"sequence-negative", SEQUENCE_NEG, "sequence"},
    {"start-year-10000", START_FAR, "start"},
    {"zone-without-definition", NO_DEFINITION, "time zone"},
    {"description-too-long", TOO_LONG, "description"},
};

static void run_fault_row(gconstpointer data) {
  const FaultRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  static const char *const bad[] = {"ann@example.org", "not an address", NULL};
  static const char *const crlf[] = {"ann@example.org\r\nBcc: eve@example.net", NULL};
  static const char *const no_dot[] = {"ann@localhost", NULL};
  static const char *const good[] = {"ann@example.org", NULL};
  static const char *const comma[] = {"Room 1, East", NULL};
  static const char *const blank[] = {"Work", " \t", NULL};
  g_autofree char *huge = NULL;
  ComposeEvent ev = base_event(zones_resolve(zones, "Europe/London"));
  ev.organizer = "sam@example.com";
  switch (row->fault) {
  case BAD_ATTENDEE: ev.attendees = bad; break;
  case BAD_ATTENDEE_CRLF: ev.attendees = crlf; break;
  case BAD_ATTENDEE_NO_DOT: ev.attendees = no_dot; break;
  case BAD_ROOM: ev.rooms = bad; break;
  case BAD_ORGANIZER: ev.organizer = "sam at example.com"; break;
  case NO_ORGANIZER: ev.organizer = NULL; ev.attendees = good; break;
  case PRIORITY_10: ev.priority = 10; break;
  case PRIORITY_NEG: ev.priority = -1; break;
  case DURATION_0: ev.duration = 0; break;
  case DURATION_NEG: ev.duration = -60; break;
  case NO_UID: ev.uid = NULL; break;
  case EMPTY_UID: ev.uid = ""; break;
  case UID_NEWLINE: ev.uid = "abc\r\nSUMMARY:x@example.com"; break;
  case NO_SUMMARY: ev.summary = NULL; break;
  case BLANK_SUMMARY: ev.summary = " \r\n\t "; break;
  case RESOURCE_COMMA: ev.resources = comma; break;
  case BLANK_CATEGORY: ev.categories = blank; break;
  case ALARM_NEG: ev.alarm_before = -2; break;
  case SEQUENCE_NEG: ev.sequence = -1; break;
  case START_FAR: ev.start = civil_to_seconds(10000, 1, 1, 0, 0, 0); break;
  case NO_DEFINITION: ev.zone = zones_adopt(zones, "Nowhere#0", icaltimezone_new()); break;
  case TOO_LONG:
    huge = g_strnfill(COMPOSE_TEXT_MAX + 1, 'x');
    ev.description = huge;
    break;
  }
  g_autofree char *error = NULL;
  g_autofree char *text = compose_event(&ev, &error);
  EXPECT(text == NULL, "accepted:\n%s", text);
  EXPECT(error && strstr(error, row->word), "error \"%s\" does not name %s", error ? error : "(none)", row->word);
  /* error may be NULL. */
  g_autofree char *again = compose_event(&ev, NULL);
  EXPECT(again == NULL, "accepted without an error pointer");
}

/* ---- 5. move ------------------------------------------------------------------------------------- */

/* A booking diaryd made: 2026-03-10 14:00-15:00 London (GMT). */
static char *stored_single(Zones *zones, const char *zone) {
  ComposeEvent ev = base_event(zones_resolve(zones, zone));
  ev.start = test_instant("2026-03-10T14:00:00Z");
  return compose_ok(&ev);
}

static char *move_ok(const char *ical, gint64 rid, const char *start, gint64 duration, Zones *zones) {
  g_autofree char *error = NULL;
  char *text = compose_move(ical, rid, test_instant(start), duration, test_instant(LATER), zones, &error);
  EXPECT(text != NULL, "compose_move failed: %s", error ? error : "(no error)");
  if (text)
    expect_well_formed(text);
  return text ? text : g_strdup("");
}

static void test_move_single(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = stored_single(zones, "Europe/London");
  /* Into summer time, length kept. */
  g_autofree char *moved = move_ok(stored, APPT_NO_TIME, "2026-04-07T13:00:00Z", -1, zones);
  EXPECT(test_ical_has_line(moved, "DTSTART;TZID=Europe/London:20260407T140000"), "DTSTART:\n%s", moved);
  EXPECT(test_ical_has_line(moved, "DTEND;TZID=Europe/London:20260407T150000"), "DTEND");
  EXPECT(test_ical_has_line(moved, "SEQUENCE:1"), "SEQUENCE");
  EXPECT(test_ical_has_line(moved, "DTSTAMP:20260305T083000Z") && test_ical_has_line(moved, "LAST-MODIFIED:20260305T083000Z"),
         "DTSTAMP / LAST-MODIFIED");
  EXPECT(test_ical_has_line(moved, "CREATED:20260301T120000Z"), "CREATED changed");
  EXPECT(test_ical_count_lines(moved, "BEGIN:VTIMEZONE") == 1, "VTIMEZONEs");
  g_autoptr(Parsed) p = parse(zones, moved);
  if (p->series->len == 1) {
    const Appointment *m = master_of(p);
    EXPECT(m->start.kind == TREF_ZONED && timeref_instant(&m->start, NULL) == test_instant("2026-04-07T13:00:00Z"),
           "start after parse");
    EXPECT(m->duration == 3600 && m->sequence == 1, "duration %" G_GINT64_FORMAT, m->duration);
    EXPECT(!g_strcmp0(m->summary, "Dentist") && m->status == STATUS_CONFIRMED, "the rest kept");
  }
  g_autoptr(icalcomponent) cal = lic(moved);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  EXPECT(lic_instant(cal, icalcomponent_get_first_property(vev, ICAL_DTEND_PROPERTY)) ==
             test_instant("2026-04-07T14:00:00Z"),
         "libical end");

  /* A new length; moved again: SEQUENCE 2. */
  g_autofree char *twice = move_ok(moved, APPT_NO_TIME, "2026-04-08T08:00:00Z", 1800, zones);
  EXPECT(test_ical_has_line(twice, "DTSTART;TZID=Europe/London:20260408T090000") &&
             test_ical_has_line(twice, "DTEND;TZID=Europe/London:20260408T093000") && test_ical_has_line(twice, "SEQUENCE:2"),
         "second move:\n%s", twice);

  /* Out of range: refused, never wrapped. */
  static const struct {
    gint64 start, duration;
    const char *word;
  } far[] = {{0, G_MAXINT64, "length"}, {G_MAXINT64, -1, "start"}, {G_MININT64 + 1, 60, "start"},
             {253402300799 - 2 * 86400, 2 * 86400, "end"}};
  for (gsize i = 0; i < G_N_ELEMENTS(far); i++) {
    g_autofree char *error = NULL;
    g_autofree char *out = compose_move(stored, APPT_NO_TIME, far[i].start, far[i].duration, test_instant(LATER),
                                        zones, &error);
    EXPECT(out == NULL && error && strstr(error, far[i].word), "row %zu: %s", i, error ? error : "accepted");
  }

  /* UTC stays UTC. */
  g_autofree char *utc = stored_single(zones, "UTC");
  g_autofree char *utc_moved = move_ok(utc, APPT_NO_TIME, "2026-04-07T13:00:00Z", -1, zones);
  EXPECT(test_ical_has_line(utc_moved, "DTSTART:20260407T130000Z") && test_ical_has_line(utc_moved, "DTEND:20260407T140000Z") &&
             !test_ical_count_lines(utc_moved, "BEGIN:VTIMEZONE"),
         "UTC:\n%s", utc_moved);
}

/* Objects other clients wrote: their TZID spelling, DURATION, floating
 * times and dates keep their form. */
typedef struct {
  const char *name;
  const char *body;  /* DTSTART/DTEND/DURATION lines */
  const char *local; /* compose_move_local's zone, NULL for compose_move */
  const char *start;
  gint64 duration;
  const char *want[3]; /* lines expected */
  const char *gone;    /* a line prefix that must not remain, or NULL */
} FormRow;

static const FormRow form_rows[] = {
    {"mozilla-tzid",
     "DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260310T140000\n"
     "DTEND;TZID=/mozilla.org/20050126_1/Europe/London:20260310T150000\n",
     NULL, "2026-07-01T08:00:00Z", -1,
     {"DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260701T090000",
      "DTEND;TZID=/mozilla.org/20050126_1/Europe/London:20260701T100000", NULL},
     NULL},
    {"windows-tzid",
     "DTSTART;TZID=GMT Standard Time:20260310T140000\nDTEND;TZID=GMT Standard Time:20260310T150000\n", NULL,
     "2026-07-01T08:00:00Z", 600,
     {"DTSTART;TZID=GMT Standard Time:20260701T090000", "DTEND;TZID=GMT Standard Time:20260701T091000", NULL}, NULL},
    {"duration-kept", "DTSTART:20260310T140000Z\nDURATION:PT45M\n", NULL, "2026-03-11T09:00:00Z", -1,
     {"DTSTART:20260311T090000Z", "DURATION:PT45M", NULL}, "DTEND"},
    {"duration-set", "DTSTART:20260310T140000Z\nDURATION:PT45M\n", NULL, "2026-03-11T09:00:00Z", 5400,
     {"DTSTART:20260311T090000Z", "DURATION:PT1H30M", NULL}, "DTEND"},
    {"dtend-other-zone",
     "DTSTART;TZID=Europe/London:20260310T140000\nDTEND;TZID=Europe/Paris:20260310T160000\n", NULL,
     "2026-03-11T09:00:00Z", -1,
     {"DTSTART;TZID=Europe/London:20260311T090000", "DTEND;TZID=Europe/London:20260311T100000", NULL},
     "DTEND;TZID=Europe/Paris"},
    {"no-end-kept", "DTSTART:20260310T140000Z\n", NULL, "2026-03-11T09:00:00Z", -1,
     {"DTSTART:20260311T090000Z", NULL, NULL}, "DTEND"},
    {"no-end-set", "DTSTART:20260310T140000Z\n", NULL, "2026-03-11T09:00:00Z", 900,
     {"DTSTART:20260311T090000Z", "DTEND:20260311T091500Z", NULL}, NULL},
    {"floating-local", "DTSTART:20260310T140000\nDTEND:20260310T150000\n", "Europe/London", "2026-07-01T08:00:00Z",
     -1, {"DTSTART:20260701T090000", "DTEND:20260701T100000", NULL}, NULL},
    {"floating-utc", "DTSTART:20260310T140000\nDTEND:20260310T150000\n", NULL, "2026-07-01T08:00:00Z", -1,
     {"DTSTART:20260701T080000", "DTEND:20260701T090000", NULL}, NULL},
    {"all-day-kept", "DTSTART;VALUE=DATE:20260310\nDTEND;VALUE=DATE:20260312\n", "Europe/London",
     "2026-06-30T23:00:00Z", -1, {"DTSTART;VALUE=DATE:20260701", "DTEND;VALUE=DATE:20260703", NULL}, NULL},
    {"all-day-set", "DTSTART;VALUE=DATE:20260310\nDTEND;VALUE=DATE:20260311\n", "Europe/London",
     "2026-06-30T23:00:00Z", 3 * 86400 - 60, {"DTSTART;VALUE=DATE:20260701", "DTEND;VALUE=DATE:20260704", NULL},
     NULL},
};

static void run_form_row(gconstpointer data) {
  const FormRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *vev = g_strdup_printf("BEGIN:VEVENT\nUID:form@example.com\nDTSTAMP:20260201T000000Z\n"
                                         "SUMMARY:Imported\n%sEND:VEVENT\n",
                                         row->body);
  g_autofree char *stored = test_calendar(vev);
  g_autofree char *error = NULL;
  g_autofree char *moved =
      row->local ? compose_move_local(stored, APPT_NO_TIME, test_instant(row->start), row->duration,
                                      test_instant(LATER), zones, zones_resolve(zones, row->local), &error)
                 : compose_move(stored, APPT_NO_TIME, test_instant(row->start), row->duration, test_instant(LATER),
                                zones, &error);
  EXPECT(moved != NULL, "failed: %s", error ? error : "(none)");
  if (!moved)
    return;
  expect_well_formed(moved);
  for (int i = 0; i < 3 && row->want[i]; i++)
    EXPECT(test_ical_has_line(moved, row->want[i]), "no line %s in\n%s", row->want[i], moved);
  if (row->gone)
    EXPECT(test_ical_count_lines(moved, row->gone) == 0, "%s remains:\n%s", row->gone, moved);
  EXPECT(test_ical_has_line(moved, "SEQUENCE:1"), "SEQUENCE");
  g_autoptr(Parsed) p = parse(zones, moved);
  if (p->series->len == 1 && !master_of(p)->all_day) {
    Zone *local = row->local ? zones_resolve(zones, row->local) : NULL;
    EXPECT(timeref_instant(&master_of(p)->start, local) == test_instant(row->start), "start after parse");
  }
}

/* A weekly series, Mondays 09:00 London, ten times from 2 March 2026
 * (summer time from 29 March); the 16 March one is an override at 10:00
 * and 23 March is excluded.  No VTIMEZONE: the server stripped it. */
#define SERIES                                                                                                        \
  "BEGIN:VEVENT\nUID:series@example.com\nDTSTAMP:20260201T000000Z\nSEQUENCE:2\nSUMMARY:Standup\n"                    \
  "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T093000\n"                           \
  "RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE;TZID=Europe/London:20260323T090000\nLOCATION:Room 4\nEND:VEVENT\n"             \
  "BEGIN:VEVENT\nUID:series@example.com\nDTSTAMP:20260201T000000Z\nSEQUENCE:5\nSUMMARY:Standup (late)\n"             \
  "RECURRENCE-ID;TZID=Europe/London:20260316T090000\n"                                                               \
  "DTSTART;TZID=Europe/London:20260316T100000\nDTEND;TZID=Europe/London:20260316T103000\nEND:VEVENT\n"

#define OVERRIDE_MARK "RECURRENCE-ID;TZID=Europe/London:20260316T090000"

static void test_move_series_master(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = test_calendar(SERIES);
  g_autofree char *moved = move_ok(stored, APPT_NO_TIME, "2026-03-02T10:00:00Z", -1, zones);
  g_autofree char *master = block_with(moved, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  EXPECT(test_ical_has_line(master, "DTSTART;TZID=Europe/London:20260302T100000"), "master DTSTART:\n%s", master);
  EXPECT(test_ical_has_line(master, "DTEND;TZID=Europe/London:20260302T103000"), "master DTEND");
  EXPECT(test_ical_has_line(master, "SEQUENCE:3"), "master SEQUENCE");
  EXPECT(test_ical_has_line(master, "EXDATE;TZID=Europe/London:20260323T090000"), "EXDATE kept");
  g_autofree char *before = block_with(stored, "BEGIN:VEVENT", OVERRIDE_MARK);
  g_autofree char *after = block_with(moved, "BEGIN:VEVENT", OVERRIDE_MARK);
  EXPECT(*after && !strcmp(before, after), "the override changed:\n%s\nwas\n%s", after, before);
  /* The VTIMEZONE the object lacked was added, before the events. */
  EXPECT(test_ical_count_lines(moved, "BEGIN:VTIMEZONE") == 1 && test_ical_has_line(moved, "TZID:Europe/London"), "VTIMEZONE");
  const char *tz = strstr(moved, "BEGIN:VTIMEZONE"), *vev = strstr(moved, "BEGIN:VEVENT");
  EXPECT(tz && vev && tz < vev, "VTIMEZONE after the events");

  g_autoptr(Parsed) p = parse(zones, moved);
  if (p->series->len == 1) {
    const Appointment *m = master_of(p);
    EXPECT(timeref_instant(&m->start, NULL) == test_instant("2026-03-02T10:00:00Z"), "master start");
    EXPECT(m->rrules && !g_strcmp0(m->rrules[0], "FREQ=WEEKLY;COUNT=10"), "RRULE");
    EXPECT(series_of(p)->overrides->len == 1, "overrides");
  }
}

/* The occurrence of 30 March (09:00 BST = 08:00 UTC) moved to Tuesday. */
static void test_move_occurrence(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = test_calendar(SERIES);
  gint64 rid = test_instant("2026-03-30T08:00:00Z");
  g_autofree char *moved = move_ok(stored, rid, "2026-03-31T13:00:00Z", -1, zones);
  g_autofree char *added = block_with(moved, "BEGIN:VEVENT", "RECURRENCE-ID;TZID=Europe/London:20260330T090000");
  EXPECT(*added, "no new override:\n%s", moved);
  EXPECT(test_ical_has_line(added, "DTSTART;TZID=Europe/London:20260331T140000"), "override DTSTART:\n%s", added);
  EXPECT(test_ical_has_line(added, "DTEND;TZID=Europe/London:20260331T143000"), "override DTEND");
  EXPECT(test_ical_has_line(added, "SEQUENCE:3"), "override SEQUENCE (master's + 1)");
  EXPECT(test_ical_has_line(added, "SUMMARY:Standup") && test_ical_has_line(added, "LOCATION:Room 4"), "master's properties copied");
  EXPECT(!strstr(added, "RRULE") && !strstr(added, "EXDATE") && !strstr(added, "RDATE"), "recurrence copied");
  g_autofree char *master_before = block_with(stored, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  g_autofree char *master_after = block_with(moved, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  EXPECT(!strcmp(master_before, master_after), "the master changed:\n%s", master_after);
  EXPECT(test_ical_count_lines(moved, "BEGIN:VEVENT") == 3, "VEVENTs");

  g_autoptr(Parsed) p = parse(zones, moved);
  if (p->series->len == 1) {
    const Appointment *o = override_of(p, rid, NULL);
    EXPECT(o != NULL, "core/appointment does not see the override");
    if (o)
      EXPECT(timeref_instant(&o->start, NULL) == test_instant("2026-03-31T13:00:00Z") && o->duration == 1800,
             "override times");
    /* Expanded, the occurrence is at its new time and nowhere else. */
    g_autoptr(GArray) occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
    series_expand(series_of(p), test_instant("2026-03-29T00:00:00Z"), test_instant("2026-04-05T00:00:00Z"), NULL,
                  NULL, occ, NULL);
    EXPECT(occ->len == 1, "%u occurrences that week", occ->len);
    if (occ->len == 1) {
      const Occurrence *x = &g_array_index(occ, Occurrence, 0);
      EXPECT(x->start == test_instant("2026-03-31T13:00:00Z") && x->recurrence_id == rid, "occurrence");
    }
  }
  g_autoptr(icalcomponent) cal = lic(moved);
  gboolean found = FALSE;
  for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
    icalproperty *r = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
    if (r && lic_instant(cal, r) == rid) {
      found = TRUE;
      EXPECT(lic_instant(cal, icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY)) ==
                 test_instant("2026-03-31T13:00:00Z"),
             "libical override start");
    }
  }
  EXPECT(found, "libical finds no override with that RECURRENCE-ID");
}

static void test_move_existing_override(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = test_calendar(SERIES);
  gint64 rid = test_instant("2026-03-16T09:00:00Z");
  g_autofree char *moved = move_ok(stored, rid, "2026-03-16T15:00:00Z", 3600, zones);
  g_autofree char *o = block_with(moved, "BEGIN:VEVENT", OVERRIDE_MARK);
  EXPECT(test_ical_has_line(o, "DTSTART;TZID=Europe/London:20260316T150000") &&
             test_ical_has_line(o, "DTEND;TZID=Europe/London:20260316T160000"),
         "override times:\n%s", o);
  EXPECT(test_ical_has_line(o, "SEQUENCE:6") && test_ical_has_line(o, "SUMMARY:Standup (late)"), "override SEQUENCE / summary");
  EXPECT(test_ical_count_lines(moved, "BEGIN:VEVENT") == 2, "an override was added");
  g_autofree char *master = block_with(moved, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  EXPECT(test_ical_has_line(master, "SEQUENCE:2"), "the master changed");
}

/* What cannot be moved. */
typedef struct {
  const char *name;
  const char *vevents; /* NULL: `raw` is the whole text */
  const char *raw;
  const char *rid;     /* NULL = the master */
  const char *word;    /* in the error */
} MoveFaultRow;

static const MoveFaultRow move_fault_rows[] = {
    {"excluded-occurrence", SERIES, NULL, "2026-03-23T09:00:00Z", "no occurrence"},
    {"off-the-rule", SERIES, NULL, "2026-03-03T09:00:00Z", "no occurrence"},
    {"after-the-last", SERIES, NULL, "2026-06-01T08:00:00Z", "no occurrence"},
    {"after-this-and-future",
     "BEGIN:VEVENT\nUID:t\nDTSTAMP:20260201T000000Z\nDTSTART;TZID=Europe/London:20260302T090000\n"
     "RRULE:FREQ=WEEKLY;COUNT=10\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:t\nDTSTAMP:20260201T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:"
     "20260316T090000\nDTSTART;TZID=Europe/London:20260316T100000\nEND:VEVENT\n",
     NULL, "2026-03-30T08:00:00Z", "this-and-future"},
    {"single-with-rid",
     "BEGIN:VEVENT\nUID:s\nDTSTAMP:20260201T000000Z\nDTSTART:20260310T140000Z\nEND:VEVENT\n", NULL,
     "2026-03-10T14:00:00Z", "does not repeat"},
    {"unknown-zone",
     "BEGIN:VEVENT\nUID:s\nDTSTAMP:20260201T000000Z\nDTSTART;TZID=Mars/Olympus:20260310T140000\nEND:VEVENT\n", NULL,
     NULL, "Mars/Olympus"},
    {"two-uids",
     "BEGIN:VEVENT\nUID:a\nDTSTAMP:20260201T000000Z\nDTSTART:20260310T140000Z\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:b\nDTSTAMP:20260201T000000Z\nDTSTART:20260310T140000Z\nEND:VEVENT\n",
     NULL, NULL, "more than one"},
    {"orphan-override",
     "BEGIN:VEVENT\nUID:s\nDTSTAMP:20260201T000000Z\nRECURRENCE-ID:20260310T140000Z\n"
     "DTSTART:20260310T150000Z\nEND:VEVENT\n",
     NULL, NULL, "master"},
    {"garbage", NULL, "this is not a calendar", NULL, "could not be read"},
    {"no-event", NULL, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n", NULL, "could not be read"},
};

static void run_move_fault_row(gconstpointer data) {
  const MoveFaultRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = row->vevents ? test_calendar(row->vevents) : g_strdup(row->raw);
  gint64 rid = row->rid ? test_instant(row->rid) : APPT_NO_TIME;
  g_autofree char *error = NULL, *error2 = NULL;
  g_autofree char *moved =
      compose_move(stored, rid, test_instant("2026-04-01T10:00:00Z"), -1, test_instant(LATER), zones, &error);
  EXPECT(moved == NULL, "moved:\n%s", moved);
  EXPECT(error && strstr(error, row->word), "error \"%s\" lacks \"%s\"", error ? error : "(none)", row->word);
  g_autofree char *cancelled = compose_cancel(stored, rid, NULL, test_instant(LATER), zones, &error2);
  EXPECT(cancelled == NULL, "cancelled:\n%s", cancelled);
  EXPECT(error2 && strstr(error2, row->word), "cancel error \"%s\" lacks \"%s\"", error2 ? error2 : "(none)",
         row->word);
}

/* ---- 6. cancel ----------------------------------------------------------------------------------- */

static char *cancel_ok(const char *ical, gint64 rid, const char *reason, Zones *zones) {
  g_autofree char *error = NULL;
  char *text = compose_cancel(ical, rid, reason, test_instant(LATER), zones, &error);
  EXPECT(text != NULL, "compose_cancel failed: %s", error ? error : "(no error)");
  if (text)
    expect_well_formed(text);
  return text ? text : g_strdup("");
}

static void test_cancel_single(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = stored_single(zones, "Europe/London");
  g_autofree char *plain = cancel_ok(stored, APPT_NO_TIME, NULL, zones);
  EXPECT(test_ical_has_line(plain, "STATUS:CANCELLED") && !test_ical_count_lines(plain, "STATUS:CONFIRMED"), "STATUS:\n%s", plain);
  EXPECT(test_ical_has_line(plain, "SEQUENCE:1") && test_ical_has_line(plain, "DTSTAMP:20260305T083000Z"), "SEQUENCE / DTSTAMP");
  EXPECT(!test_ical_count_lines(plain, "COMMENT"), "a COMMENT without a reason");
  EXPECT(test_ical_has_line(plain, "DTSTART;TZID=Europe/London:20260310T140000"), "the time changed");
  g_autofree char *blank = cancel_ok(stored, APPT_NO_TIME, " \n ", zones);
  EXPECT(!test_ical_count_lines(blank, "COMMENT"), "a COMMENT for a blank reason");

  const char *reason = "Ill, sorry; see \\notes\\\nNext week? \u00e0 bient\u00f4t";
  g_autofree char *why = cancel_ok(stored, APPT_NO_TIME, reason, zones);
  EXPECT(test_ical_count_lines(why, "COMMENT:") == 1, "COMMENT count");
  g_autoptr(icalcomponent) cal = lic(why);
  icalcomponent *vev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
  EXPECT(!g_strcmp0(icalcomponent_get_comment(vev), reason), "libical COMMENT: %s", icalcomponent_get_comment(vev));
  EXPECT(icalcomponent_get_status(vev) == ICAL_STATUS_CANCELLED, "libical STATUS");
  g_autoptr(Parsed) p = parse(zones, why);
  if (p->series->len == 1)
    EXPECT(master_of(p)->status == STATUS_CANCELLED && master_of(p)->sequence == 1, "parsed status");
  /* Cancelled again with the same reason: one COMMENT, SEQUENCE 2. */
  g_autofree char *again = cancel_ok(why, APPT_NO_TIME, reason, zones);
  EXPECT(test_ical_count_lines(again, "COMMENT:") == 1 && test_ical_has_line(again, "SEQUENCE:2"), "second cancel:\n%s", again);
}

static void test_cancel_occurrence(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = test_calendar(SERIES);
  gint64 rid = test_instant("2026-03-09T09:00:00Z");
  g_autofree char *text = cancel_ok(stored, rid, "Bank holiday", zones);
  g_autofree char *added = block_with(text, "BEGIN:VEVENT", "RECURRENCE-ID;TZID=Europe/London:20260309T090000");
  EXPECT(*added, "no new override:\n%s", text);
  EXPECT(test_ical_has_line(added, "STATUS:CANCELLED") && test_ical_has_line(added, "COMMENT:Bank holiday"), "override:\n%s", added);
  EXPECT(test_ical_has_line(added, "DTSTART;TZID=Europe/London:20260309T090000") &&
             test_ical_has_line(added, "DTEND;TZID=Europe/London:20260309T093000"),
         "override at the occurrence's own time");
  EXPECT(test_ical_has_line(added, "SEQUENCE:3"), "override SEQUENCE");
  g_autofree char *master = block_with(text, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  EXPECT(!strstr(master, "STATUS:CANCELLED") && test_ical_has_line(master, "SEQUENCE:2"), "the master changed:\n%s", master);
  g_autoptr(Parsed) p = parse(zones, text);
  if (p->series->len == 1) {
    const Appointment *o = override_of(p, rid, NULL);
    EXPECT(o && o->status == STATUS_CANCELLED, "parsed override");
    EXPECT(master_of(p)->status == STATUS_NONE, "parsed master status %d", master_of(p)->status);
  }
  /* An existing override is cancelled in place. */
  g_autofree char *existing = cancel_ok(stored, test_instant("2026-03-16T09:00:00Z"), NULL, zones);
  g_autofree char *o = block_with(existing, "BEGIN:VEVENT", OVERRIDE_MARK);
  EXPECT(test_ical_has_line(o, "STATUS:CANCELLED") && test_ical_has_line(o, "SEQUENCE:6"), "existing override:\n%s", o);
  EXPECT(test_ical_count_lines(existing, "BEGIN:VEVENT") == 2, "an override was added");
}

/* The master: the whole appointment, overrides included. */
static void test_cancel_series(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *stored = test_calendar(SERIES);
  g_autofree char *text = cancel_ok(stored, APPT_NO_TIME, "Team disbanded", zones);
  EXPECT(test_ical_count_lines(text, "STATUS:CANCELLED") == 2 && test_ical_count_lines(text, "COMMENT:Team disbanded") == 2,
         "every component cancelled:\n%s", text);
  g_autofree char *master = block_with(text, "BEGIN:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=10");
  g_autofree char *o = block_with(text, "BEGIN:VEVENT", OVERRIDE_MARK);
  EXPECT(test_ical_has_line(master, "SEQUENCE:3") && test_ical_has_line(o, "SEQUENCE:6"), "SEQUENCEs");
}

/* All-day series: the recurrence id is midnight in the caller's zone, and
 * the new override's RECURRENCE-ID is a DATE. */
#define HOLIDAY                                                                                                       \
  "BEGIN:VEVENT\nUID:allday@example.com\nDTSTAMP:20260201T000000Z\nSUMMARY:Gym\n"                                     \
  "DTSTART;VALUE=DATE:20260706\nDTEND;VALUE=DATE:20260707\nRRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"

static void test_cancel_all_day_local(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *london = zones_resolve(zones, "Europe/London");
  g_autofree char *stored = test_calendar(HOLIDAY);
  gint64 rid = test_instant("2026-07-07T23:00:00Z") - 86400; /* 7 July 00:00 BST */
  g_autofree char *error = NULL;
  g_autofree char *text = compose_cancel_local(stored, rid, NULL, test_instant(LATER), zones, london, &error);
  EXPECT(text != NULL, "failed: %s", error ? error : "(none)");
  if (!text)
    return;
  g_autofree char *added = block_with(text, "BEGIN:VEVENT", "RECURRENCE-ID;VALUE=DATE:20260707");
  EXPECT(*added, "no DATE override:\n%s", text);
  EXPECT(test_ical_has_line(added, "DTSTART;VALUE=DATE:20260707") && test_ical_has_line(added, "DTEND;VALUE=DATE:20260708") &&
             test_ical_has_line(added, "STATUS:CANCELLED"),
         "override:\n%s", added);
  /* Without the zone, that instant (6 July 23:00 UTC) is no occurrence. */
  g_autofree char *error2 = NULL;
  g_autofree char *utc = compose_cancel(stored, rid, NULL, test_instant(LATER), zones, &error2);
  EXPECT(utc == NULL && error2 && strstr(error2, "no occurrence"), "read in UTC: %s", error2 ? error2 : "accepted");
}

/* ---- 7. UIDs -------------------------------------------------------------------------------------- */

static void test_uid(void) {
  const guint8 bytes[16] = {0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
                            0xef, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x6a};
  static const struct {
    const char *domain, *want;
  } rows[] = {
      {"example.com", "000123456789abcdefff10203040506a@example.com"},
      {"Mail.Example.ORG", "000123456789abcdefff10203040506a@mail.example.org"},
      {NULL, "000123456789abcdefff10203040506a@diaryd.invalid"},
      {"", "000123456789abcdefff10203040506a@diaryd.invalid"},
      {"localhost", "000123456789abcdefff10203040506a@diaryd.invalid"},
      {"evil.com\r\nX: y", "000123456789abcdefff10203040506a@diaryd.invalid"},
      {"-bad-.com", "000123456789abcdefff10203040506a@diaryd.invalid"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *uid = compose_uid(bytes, rows[i].domain);
    EXPECT(!strcmp(uid, rows[i].want), "%s -> %s", rows[i].domain ? rows[i].domain : "NULL", uid);
  }
  /* A UID it makes is one compose_event accepts and message_address_valid
   * would too (it looks like an address). */
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *uid = compose_uid(bytes, "example.com");
  ComposeEvent ev = base_event(zones_utc(zones));
  ev.uid = uid;
  g_autofree char *text = compose_ok(&ev);
  g_autofree char *line = g_strdup_printf("UID:%s", uid);
  EXPECT(test_ical_has_line(text, line), "UID line");
}

/* ---- main ----------------------------------------------------------------------------------------- */

#define ADD_ROWS(prefix, rows, fn)                                                                                     \
  for (gsize i_ = 0; i_ < G_N_ELEMENTS(rows); i_++) {                                                                  \
    g_autofree char *path_ = g_strdup_printf("/compose/" prefix "/%s", rows[i_].name);                                 \
    g_test_add_data_func(path_, &rows[i_], fn);                                                                        \
  }

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  ADD_ROWS("event/zone", zone_rows, run_zone_row);
  g_test_add_func("/compose/event/frame", test_event_frame);
  g_test_add_func("/compose/event/adopted-zone", test_event_adopted_zone);
  g_test_add_func("/compose/event/pending", test_event_pending);
  g_test_add_func("/compose/event/hostile-text", test_event_hostile_text);
  ADD_ROWS("event/clean", clean_rows, run_clean_row);
  g_test_add_func("/compose/event/people", test_event_people);
  g_test_add_func("/compose/event/alarm-lengths", test_event_alarm_lengths);
  ADD_ROWS("event/refused", fault_rows, run_fault_row);
  g_test_add_func("/compose/move/single", test_move_single);
  ADD_ROWS("move/form", form_rows, run_form_row);
  g_test_add_func("/compose/move/series-master", test_move_series_master);
  g_test_add_func("/compose/move/occurrence", test_move_occurrence);
  g_test_add_func("/compose/move/existing-override", test_move_existing_override);
  ADD_ROWS("move/refused", move_fault_rows, run_move_fault_row);
  g_test_add_func("/compose/cancel/single", test_cancel_single);
  g_test_add_func("/compose/cancel/occurrence", test_cancel_occurrence);
  g_test_add_func("/compose/cancel/series", test_cancel_series);
  g_test_add_func("/compose/cancel/all-day-local", test_cancel_all_day_local);
  g_test_add_func("/compose/uid", test_uid);
  return g_test_run();
}
