/* appointment: see appointment.h.
 *
 * Parsing keeps no libical components: each VEVENT is read once into an
 * Appointment (plain fields, RRULE text, resolved RDATE/EXDATE times), and
 * the component is freed.  That keeps a 10,000-event diary small and lets
 * expansion run without touching libical's property lists.
 *
 * TZID resolution, in order: a name the zone database knows (IANA, with a
 * vendor prefix stripped, or a Windows name), then the VTIMEZONE carried by
 * the object, then a warning and the time is read as floating.  The
 * database wins over an embedded VTIMEZONE of the same name because it is
 * shared (a conversion cache per zone instead of per object) and because
 * exported VTIMEZONEs are often truncated to the current rule.
 */
#include "appointment.h"

#include <stdarg.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------- */

Diagnostic *diagnostic_new(DiagSeverity severity, const char *source, int line, const char *uid,
                           const char *fmt, ...) {
  Diagnostic *d = g_new0(Diagnostic, 1);
  d->severity = severity;
  d->source = g_strdup(source);
  d->line = line;
  d->uid = g_strdup(uid);
  va_list ap;
  va_start(ap, fmt);
  d->message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  return d;
}

void diagnostic_free(Diagnostic *d) {
  if (!d)
    return;
  g_free(d->source);
  g_free(d->uid);
  g_free(d->message);
  g_free(d);
}

char *diagnostic_format(const Diagnostic *d) {
  GString *s = g_string_new(d->source ? d->source : "(input)");
  if (d->line > 0)
    g_string_append_printf(s, ":%d", d->line);
  g_string_append(s, ": ");
  if (d->severity == DIAG_WARNING)
    g_string_append(s, "warning: ");
  if (d->uid)
    g_string_append_printf(s, "UID %s: ", d->uid);
  g_string_append(s, d->message);
  /* Diagnostics quote untrusted text: keep them on one line. */
  for (char *p = s->str; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_string_free(s, FALSE);
}

static void add_diag(GPtrArray *diags, DiagSeverity sev, const char *source, int line, const char *uid,
                     const char *fmt, ...) G_GNUC_PRINTF(6, 7);
static void add_diag(GPtrArray *diags, DiagSeverity sev, const char *source, int line, const char *uid,
                     const char *fmt, ...) {
  if (!diags)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(diags, diagnostic_new(sev, source, line, uid, "%s", msg));
}

void attendee_free(Attendee *a) {
  if (!a)
    return;
  g_free(a->address);
  g_free(a->email);
  g_free(a->cn);
  g_free(a);
}

void alarm_free(Alarm *a) {
  if (!a)
    return;
  g_free(a->description);
  g_free(a->uid);
  g_free(a);
}

void appointment_free(Appointment *appt) {
  if (!appt)
    return;
  g_free(appt->uid);
  g_free(appt->summary);
  g_free(appt->description);
  g_free(appt->location);
  g_free(appt->url);
  g_free(appt->conference);
  g_free(appt->place);
  g_strfreev(appt->rooms);
  g_free(appt->room_hashes);
  attendee_free(appt->organizer);
  if (appt->attendees)
    g_ptr_array_unref(appt->attendees);
  g_strfreev(appt->categories);
  g_strfreev(appt->resources);
  if (appt->alarms)
    g_ptr_array_unref(appt->alarms);
  if (appt->moz_snoozes)
    g_array_unref(appt->moz_snoozes);
  g_strfreev(appt->rrules);
  if (appt->rdates)
    g_array_unref(appt->rdates);
  if (appt->exdates)
    g_array_unref(appt->exdates);
  g_free(appt);
}

void series_free(Series *series) {
  if (!series)
    return;
  g_free(series->uid);
  g_free(series->source);
  appointment_free(series->master);
  if (series->overrides)
    g_ptr_array_unref(series->overrides);
  g_free(series);
}

gint64 timeref_instant(const TimeRef *t, Zone *local) {
  switch (t->kind) {
  case TREF_UTC:
    return t->local;
  case TREF_ZONED:
    return zone_to_instant(t->zone, t->local);
  case TREF_FLOATING:
  case TREF_DATE:
    return zone_to_instant(local, t->local);
  case TREF_NONE:
  default:
    return APPT_NO_TIME;
  }
}

gboolean appointment_is_recurring(const Appointment *appt) {
  return appt && ((appt->rrules && appt->rrules[0]) || (appt->rdates && appt->rdates->len > 0));
}

PriorityClass appointment_priority_class(const Appointment *appt) {
  if (appt->priority >= 1 && appt->priority <= 4)
    return PRIORITY_HIGH;
  if (appt->priority >= 6 && appt->priority <= 9)
    return PRIORITY_LOW;
  if (appt->priority == 5)
    return PRIORITY_MEDIUM;
  if (appt->importance == 2)
    return PRIORITY_HIGH;
  if (appt->importance == 0)
    return PRIORITY_LOW;
  return PRIORITY_MEDIUM;
}

gint64 appointment_created(const Appointment *appt) {
  if (appt->created != APPT_NO_TIME)
    return appt->created;
  if (appt->dtstamp != APPT_NO_TIME)
    return appt->dtstamp;
  return appt->last_modified;
}

char *place_normalise(const char *text) {
  if (!text)
    return NULL;
  g_autofree char *folded = g_utf8_casefold(text, -1);
  GString *out = g_string_new(NULL);
  gboolean space = FALSE;
  for (const char *p = folded; *p; p++) {
    if (g_ascii_isspace(*p)) {
      space = out->len > 0;
      continue;
    }
    if (space)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_c(out, *p);
  }
  if (out->len == 0) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return g_string_free(out, FALSE);
}

gboolean place_is_link(const char *text) {
  return text && (strstr(text, "://") != NULL || g_str_has_prefix(text, "tel:") || g_str_has_prefix(text, "sip:"));
}

static void add_key(GPtrArray *keys, char *key) {
  if (!key)
    return;
  for (guint i = 0; i < keys->len; i++)
    if (strcmp(g_ptr_array_index(keys, i), key) == 0) {
      g_free(key);
      return;
    }
  g_ptr_array_add(keys, key);
}

/* Room keys list names before addresses, so the first shared key is the
 * one a person would recognise. */
static GStrv room_keys(const Appointment *appt) {
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
  if (appt->location && !place_is_link(appt->location))
    add_key(keys, place_normalise(appt->location));
  for (char **r = appt->resources; r && *r; r++)
    add_key(keys, place_normalise(*r));
  for (guint i = 0; appt->attendees && i < appt->attendees->len; i++) {
    const Attendee *a = g_ptr_array_index(appt->attendees, i);
    if ((a->cutype != CUTYPE_ROOM && a->cutype != CUTYPE_RESOURCE) || a->partstat == PARTSTAT_DECLINED)
      continue;
    add_key(keys, place_normalise(a->cn ? a->cn : a->email ? a->email : a->address));
    if (a->cn && a->email)
      add_key(keys, g_strdup(a->email));
  }
  if (keys->len == 0)
    return NULL;
  g_ptr_array_add(keys, NULL);
  return (GStrv)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
}

gboolean appointment_books(const Appointment *appt, const char *key, guint hash) {
  for (guint i = 0; appt->rooms && appt->rooms[i]; i++)
    if (appt->room_hashes[i] == hash && strcmp(appt->rooms[i], key) == 0)
      return TRUE;
  return FALSE;
}

const Attendee *appointment_find_attendee(const Appointment *appt, const char *const *owners) {
  if (!owners || !appt->attendees)
    return NULL;
  for (guint i = 0; i < appt->attendees->len; i++) {
    const Attendee *a = g_ptr_array_index(appt->attendees, i);
    if (a->email && g_strv_contains(owners, a->email))
      return a;
  }
  return NULL;
}

/* ---- reading properties ---------------------------------------------------- */

typedef struct {
  Zones *zones;
  const char *source;
  GPtrArray *diags;
  icalcomponent *vcal; /* the enclosing VCALENDAR, may be NULL */
  const char *uid;
  int line;
  GHashTable *warned_tzids; /* unknown TZIDs already reported for this source */
  GHashTable *embedded;     /* "calendar|tzid" -> Zone* (or NULL) from VTIMEZONEs */
  GString *lic_errors;      /* libical's complaints about the current VEVENT */
} ParseCtx;

/* The text of a parameter, through libical's typed getters: they return
 * stored strings, where the generic text forms allocate on every call. */
static const char *param_value(icalproperty *prop, icalparameter_kind kind) {
  icalparameter *p = icalproperty_get_first_parameter(prop, kind);
  if (!p)
    return NULL;
  int e;
  switch (kind) {
  case ICAL_TZID_PARAMETER:
    return icalparameter_get_tzid(p);
  case ICAL_CN_PARAMETER:
    return icalparameter_get_cn(p);
  case ICAL_CUTYPE_PARAMETER:
    e = icalparameter_get_cutype(p);
    break;
  case ICAL_ROLE_PARAMETER:
    e = icalparameter_get_role(p);
    break;
  case ICAL_PARTSTAT_PARAMETER:
    e = icalparameter_get_partstat(p);
    break;
  case ICAL_RSVP_PARAMETER:
    e = icalparameter_get_rsvp(p);
    break;
  case ICAL_SCHEDULEAGENT_PARAMETER:
    e = icalparameter_get_scheduleagent(p);
    break;
  case ICAL_RELATED_PARAMETER:
    e = icalparameter_get_related(p);
    break;
  case ICAL_RANGE_PARAMETER:
    e = icalparameter_get_range(p);
    break;
  default:
    return NULL;
  }
  const char *text = icalparameter_enum_to_string(e);
  return text ? text : icalparameter_get_xvalue(p);
}

/* The zone a TZID names: a zone database name as written, else the
 * VTIMEZONE the calendar carries, else a vendor-prefixed or Windows name
 * mapped to the database.  Embedded definitions are resolved once per
 * calendar (ctx->embedded). */
static Zone *embedded_zone(ParseCtx *ctx, const char *tzid);

static Zone *zone_for_tzid(ParseCtx *ctx, const char *tzid) {
  Zone *zone = zones_lookup_exact(ctx->zones, tzid);
  if (zone)
    return zone;
  if (ctx->vcal && ctx->embedded) {
    g_autofree char *cache_key = g_strdup_printf("%p|%s", (void *)ctx->vcal, tzid);
    if (g_hash_table_lookup_extended(ctx->embedded, cache_key, NULL, (gpointer *)&zone))
      return zone ? zone : zones_resolve(ctx->zones, tzid);
    zone = embedded_zone(ctx, tzid);
    g_hash_table_insert(ctx->embedded, g_steal_pointer(&cache_key), zone);
    if (zone)
      return zone;
  }
  return zones_resolve(ctx->zones, tzid);
}

static Zone *embedded_zone(ParseCtx *ctx, const char *tzid) {
  icaltimezone *embedded = icalcomponent_get_timezone(ctx->vcal, tzid);
  if (!embedded)
    return NULL;
  icalcomponent *def = icaltimezone_get_component(embedded);
  if (!def)
    return NULL;
  g_autofree char *text = icalcomponent_as_ical_string_r(def);
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
  g_autofree char *key = g_strdup_printf("%s#%.16s", tzid, sum);
  icaltimezone *copy = icaltimezone_new();
  if (!icaltimezone_set_component(copy, icalcomponent_new_clone(def))) {
    icaltimezone_free(copy, 1);
    return NULL;
  }
  return zones_adopt(ctx->zones, key, copy);
}

/* Reads a DATE or DATE-TIME value with its TZID into a TimeRef. */
static gboolean read_time(ParseCtx *ctx, icalproperty *prop, struct icaltimetype t, TimeRef *out) {
  memset(out, 0, sizeof *out);
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t) || t.year < 1 || t.month < 1 || t.month > 12 ||
      t.day < 1 || t.day > 31) {
    return FALSE;
  }
  out->local = icaltime_to_local_seconds(t);
  if (t.is_date) {
    out->kind = TREF_DATE;
    return TRUE;
  }
  if (icaltime_is_utc(t)) {
    out->kind = TREF_UTC;
    return TRUE;
  }
  const char *tzid = prop ? param_value(prop, ICAL_TZID_PARAMETER) : NULL;
  if (!tzid) {
    out->kind = TREF_FLOATING;
    return TRUE;
  }
  Zone *zone = zone_for_tzid(ctx, tzid);
  if (!zone) {
    if (!g_hash_table_contains(ctx->warned_tzids, tzid)) {
      g_hash_table_add(ctx->warned_tzids, g_strdup(tzid));
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, ctx->uid,
               "unknown time zone \"%s\": its times are read as local time", tzid);
    }
    out->kind = TREF_FLOATING;
    return TRUE;
  }
  if (!zone_ical(zone) || zone == zones_utc(ctx->zones)) {
    out->kind = TREF_UTC;
    return TRUE;
  }
  out->kind = TREF_ZONED;
  out->zone = zone;
  return TRUE;
}

static gint64 utc_instant(icalproperty *prop) {
  if (!prop)
    return APPT_NO_TIME;
  icalvalue *v = icalproperty_get_value(prop);
  if (!v || icalvalue_isa(v) != ICAL_DATETIME_VALUE)
    return APPT_NO_TIME;
  struct icaltimetype t = icalvalue_get_datetime(v);
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t))
    return APPT_NO_TIME;
  return icaltime_to_local_seconds(t); /* these properties are UTC by definition */
}

static gint64 duration_seconds(struct icaldurationtype d, int *days) {
  gint64 secs = (gint64)d.hours * 3600 + (gint64)d.minutes * 60 + d.seconds;
  gint64 nd = (gint64)d.weeks * 7 + d.days;
  if (days)
    *days = (int)CLAMP(nd, 0, 100000);
  else
    secs += nd * 86400;
  return d.is_neg ? -secs : secs;
}

static char *dup_text(const char *s) { return s && *s ? g_strdup(s) : NULL; }

/* Text of an X- property, without allocating where libical stored text. */
static const char *x_text(icalcomponent *comp, const char *name) {
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_X_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_X_PROPERTY)) {
    const char *pname = icalproperty_get_x_name(p);
    if (pname && g_ascii_strcasecmp(pname, name) == 0) {
      const char *v = icalproperty_get_x(p);
      return v ? v : icalproperty_get_value_as_string(p);
    }
  }
  return NULL;
}

static icalproperty *first(icalcomponent *comp, icalproperty_kind kind) {
  return icalcomponent_get_first_property(comp, kind);
}

static CuType parse_cutype(const char *v) {
  if (!v)
    return CUTYPE_INDIVIDUAL;
  if (!g_ascii_strcasecmp(v, "GROUP"))
    return CUTYPE_GROUP;
  if (!g_ascii_strcasecmp(v, "RESOURCE"))
    return CUTYPE_RESOURCE;
  if (!g_ascii_strcasecmp(v, "ROOM"))
    return CUTYPE_ROOM;
  if (!g_ascii_strcasecmp(v, "INDIVIDUAL"))
    return CUTYPE_INDIVIDUAL;
  return CUTYPE_UNKNOWN;
}

static Role parse_role(const char *v) {
  if (!v)
    return ROLE_REQ_PARTICIPANT;
  if (!g_ascii_strcasecmp(v, "CHAIR"))
    return ROLE_CHAIR;
  if (!g_ascii_strcasecmp(v, "OPT-PARTICIPANT"))
    return ROLE_OPT_PARTICIPANT;
  if (!g_ascii_strcasecmp(v, "NON-PARTICIPANT"))
    return ROLE_NON_PARTICIPANT;
  return ROLE_REQ_PARTICIPANT;
}

static PartStat parse_partstat(const char *v) {
  if (!v || !g_ascii_strcasecmp(v, "NEEDS-ACTION"))
    return PARTSTAT_NEEDS_ACTION;
  if (!g_ascii_strcasecmp(v, "ACCEPTED"))
    return PARTSTAT_ACCEPTED;
  if (!g_ascii_strcasecmp(v, "DECLINED"))
    return PARTSTAT_DECLINED;
  if (!g_ascii_strcasecmp(v, "TENTATIVE"))
    return PARTSTAT_TENTATIVE;
  if (!g_ascii_strcasecmp(v, "DELEGATED"))
    return PARTSTAT_DELEGATED;
  return PARTSTAT_OTHER;
}

static ScheduleAgent parse_schedule_agent(const char *v) {
  if (v && !g_ascii_strcasecmp(v, "CLIENT"))
    return SCHEDULE_AGENT_CLIENT;
  if (v && !g_ascii_strcasecmp(v, "NONE"))
    return SCHEDULE_AGENT_NONE;
  return SCHEDULE_AGENT_SERVER;
}

static Attendee *read_attendee(icalproperty *prop) {
  Attendee *a = g_new0(Attendee, 1);
  const char *value = icalproperty_isa(prop) == ICAL_ORGANIZER_PROPERTY ? icalproperty_get_organizer(prop)
                                                                        : icalproperty_get_attendee(prop);
  a->address = g_strdup(value ? value : "");
  g_strstrip(a->address);
  if (g_ascii_strncasecmp(a->address, "mailto:", 7) == 0 && a->address[7])
    a->email = g_ascii_strdown(a->address + 7, -1);
  a->cn = dup_text(param_value(prop, ICAL_CN_PARAMETER));
  a->cutype = parse_cutype(param_value(prop, ICAL_CUTYPE_PARAMETER));
  a->role = parse_role(param_value(prop, ICAL_ROLE_PARAMETER));
  a->partstat = parse_partstat(param_value(prop, ICAL_PARTSTAT_PARAMETER));
  const char *rsvp = param_value(prop, ICAL_RSVP_PARAMETER);
  a->rsvp = rsvp && !g_ascii_strcasecmp(rsvp, "TRUE");
  a->schedule_agent = parse_schedule_agent(param_value(prop, ICAL_SCHEDULEAGENT_PARAMETER));
  return a;
}

/* Comma-separated values of every property of a kind, trimmed, no empties. */
static GStrv read_list(icalcomponent *comp, icalproperty_kind kind) {
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  gboolean any = FALSE;
  for (icalproperty *p = icalcomponent_get_first_property(comp, kind); p;
       p = icalcomponent_get_next_property(comp, kind)) {
    const char *v = kind == ICAL_CATEGORIES_PROPERTY ? icalproperty_get_categories(p) : icalproperty_get_resources(p);
    if (!v)
      continue;
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);
    for (char **q = parts; *q; q++) {
      g_strstrip(*q);
      if (**q) {
        g_strv_builder_add(b, *q);
        any = TRUE;
      }
    }
  }
  return any ? g_strv_builder_end(b) : NULL;
}

static Alarm *read_alarm(icalcomponent *valarm) {
  icalproperty *trig = icalcomponent_get_first_property(valarm, ICAL_TRIGGER_PROPERTY);
  if (!trig)
    return NULL;
  Alarm *a = g_new0(Alarm, 1);
  icalproperty *action = first(valarm, ICAL_ACTION_PROPERTY);
  switch (action ? icalproperty_get_action(action) : ICAL_ACTION_DISPLAY) {
  case ICAL_ACTION_DISPLAY:
    a->action = ALARM_DISPLAY;
    break;
  case ICAL_ACTION_AUDIO:
    a->action = ALARM_AUDIO;
    break;
  case ICAL_ACTION_EMAIL:
    a->action = ALARM_EMAIL;
    break;
  case ICAL_ACTION_PROCEDURE:
    a->action = ALARM_PROCEDURE;
    break;
  case ICAL_ACTION_NONE:
    a->action = ALARM_NONE;
    break;
  default:
    a->action = ALARM_OTHER;
  }
  struct icaltriggertype t = icalproperty_get_trigger(trig);
  if (!icaltime_is_null_time(t.time)) {
    a->absolute = TRUE;
    a->trigger_instant = icaltime_to_local_seconds(t.time);
  } else {
    /* Days stay nominal (RFC 5545 §3.3.6): the caller applies them in the
     * occurrence's zone. */
    int days = 0;
    a->offset = duration_seconds(t.duration, &days);
    a->offset_days = t.duration.is_neg ? -days : days;
  }
  const char *related = param_value(trig, ICAL_RELATED_PARAMETER);
  a->related_end = related && !g_ascii_strcasecmp(related, "END");
  icalproperty *rep = icalcomponent_get_first_property(valarm, ICAL_REPEAT_PROPERTY);
  icalproperty *dur = icalcomponent_get_first_property(valarm, ICAL_DURATION_PROPERTY);
  if (rep && dur) {
    a->repeat = CLAMP(icalproperty_get_repeat(rep), 0, 1000);
    a->repeat_interval = duration_seconds(icalproperty_get_duration(dur), NULL);
    if (a->repeat_interval <= 0)
      a->repeat = 0;
  }
  icalproperty *desc = first(valarm, ICAL_DESCRIPTION_PROPERTY);
  a->description = dup_text(desc ? icalproperty_get_description(desc) : NULL);
  icalproperty *uid = first(valarm, ICAL_UID_PROPERTY);
  a->uid = dup_text(uid ? icalproperty_get_uid(uid) : NULL);
  a->acknowledged = APPT_NO_TIME;
  icalproperty *ack = first(valarm, ICAL_ACKNOWLEDGED_PROPERTY);
  if (ack) {
    struct icaltimetype at = icalproperty_get_acknowledged(ack);
    if (!icaltime_is_null_time(at) && icaltime_is_valid_time(at))
      a->acknowledged = icaltime_to_local_seconds(at);
  }
  return a;
}

/* A Thunderbird X-MOZ-* date-time: UTC, as Thunderbird writes it (a value
 * without "Z" is read as UTC too). */
static gint64 moz_instant(icalproperty *p) {
  const char *v = icalproperty_get_x(p);
  if (!v)
    v = icalproperty_get_value_as_string(p);
  if (!v || !*v)
    return APPT_NO_TIME;
  struct icaltimetype t = icaltime_from_string(v);
  if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t) || t.is_date)
    return APPT_NO_TIME;
  return icaltime_to_local_seconds(t);
}

static int moz_snooze_compare(const void *pa, const void *pb) {
  gint64 a = ((const MozSnooze *)pa)->recurrence_id, b = ((const MozSnooze *)pb)->recurrence_id;
  return a < b ? -1 : a > b;
}

/* X-MOZ-LASTACK and X-MOZ-SNOOZE-TIME[-<microseconds>] (Thunderbird's alarm
 * state).  Snoozes are kept sorted, one per recurrence id (the latest wins),
 * and at most APPT_MAX_SNOOZES of them: the first ones read. */
static void read_moz_alarm_state(icalcomponent *comp, Appointment *appt) {
  static const char snooze[] = "X-MOZ-SNOOZE-TIME";
  appt->moz_lastack = APPT_NO_TIME;
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_X_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_X_PROPERTY)) {
    const char *name = icalproperty_get_x_name(p);
    if (!name || g_ascii_strncasecmp(name, "X-MOZ-", 6) != 0)
      continue;
    if (!g_ascii_strcasecmp(name, "X-MOZ-LASTACK")) {
      gint64 at = moz_instant(p);
      appt->moz_lastack = MAX(appt->moz_lastack, at);
      continue;
    }
    if (g_ascii_strncasecmp(name, snooze, sizeof snooze - 1) != 0)
      continue;
    MozSnooze sn = {APPT_NO_TIME, moz_instant(p)};
    const char *suffix = name + sizeof snooze - 1;
    if (*suffix) {
      guint64 us = 0;
      /* Unsigned digits only: a recurrence id before 1970 is not worth a sign. */
      if (*suffix != '-' || !g_ascii_string_to_unsigned(suffix + 1, 10, 0, G_MAXINT64, &us, NULL))
        continue;
      sn.recurrence_id = (gint64)(us / G_USEC_PER_SEC);
    }
    if (sn.at == APPT_NO_TIME)
      continue;
    if (!appt->moz_snoozes)
      appt->moz_snoozes = g_array_new(FALSE, FALSE, sizeof(MozSnooze));
    if (appt->moz_snoozes->len >= APPT_MAX_SNOOZES)
      continue;
    g_array_append_val(appt->moz_snoozes, sn);
  }
  if (!appt->moz_snoozes)
    return;
  g_array_sort(appt->moz_snoozes, moz_snooze_compare);
  /* One per recurrence id: the latest snooze. */
  GArray *arr = appt->moz_snoozes;
  guint w = 0;
  for (guint r = 0; r < arr->len; r++) {
    const MozSnooze *x = &g_array_index(arr, MozSnooze, r);
    MozSnooze *last = w ? &g_array_index(arr, MozSnooze, w - 1) : NULL;
    if (last && last->recurrence_id == x->recurrence_id)
      last->at = MAX(last->at, x->at);
    else
      g_array_index(arr, MozSnooze, w++) = *x;
  }
  g_array_set_size(arr, w);
}

gint64 appointment_moz_snooze(const Appointment *appt, gint64 recurrence_id) {
  const GArray *arr = appt ? appt->moz_snoozes : NULL;
  guint lo = 0, hi = arr ? arr->len : 0;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    gint64 r = g_array_index(arr, MozSnooze, mid).recurrence_id;
    if (r == recurrence_id)
      return g_array_index(arr, MozSnooze, mid).at;
    if (r < recurrence_id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return APPT_NO_TIME;
}

static BusyStatus parse_busystatus(const char *v) {
  if (!v)
    return BUSYSTATUS_UNSET;
  if (!g_ascii_strcasecmp(v, "FREE"))
    return BUSYSTATUS_FREE;
  if (!g_ascii_strcasecmp(v, "TENTATIVE"))
    return BUSYSTATUS_TENTATIVE;
  if (!g_ascii_strcasecmp(v, "BUSY"))
    return BUSYSTATUS_BUSY;
  if (!g_ascii_strcasecmp(v, "OOF"))
    return BUSYSTATUS_OOF;
  if (!g_ascii_strcasecmp(v, "WORKINGELSEWHERE"))
    return BUSYSTATUS_WORKINGELSEWHERE;
  return BUSYSTATUS_UNSET;
}

static void read_rdates(ParseCtx *ctx, icalcomponent *comp, Appointment *appt) {
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_RDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_RDATE_PROPERTY)) {
    struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
    RDate rd = {.end = -1};
    struct icaltimetype t = dp.time;
    if (icaltime_is_null_time(t) && !icalperiodtype_is_null_period(dp.period)) {
      t = dp.period.start;
      if (!icaltime_is_null_time(dp.period.end)) {
        rd.end = icaltime_to_local_seconds(dp.period.end) - icaltime_to_local_seconds(t);
      } else {
        rd.end = duration_seconds(dp.period.duration, NULL);
      }
      if (rd.end < 0)
        rd.end = 0;
    }
    if (!read_time(ctx, p, t, &rd.start)) {
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, ctx->uid, "invalid RDATE ignored");
      continue;
    }
    if (!appt->rdates)
      appt->rdates = g_array_new(FALSE, FALSE, sizeof(RDate));
    g_array_append_val(appt->rdates, rd);
  }
}

static void read_exdates(ParseCtx *ctx, icalcomponent *comp, Appointment *appt) {
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_EXDATE_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_EXDATE_PROPERTY)) {
    TimeRef t;
    if (!read_time(ctx, p, icalproperty_get_exdate(p), &t)) {
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, ctx->uid, "invalid EXDATE ignored");
      continue;
    }
    if (!appt->exdates)
      appt->exdates = g_array_new(FALSE, FALSE, sizeof(TimeRef));
    g_array_append_val(appt->exdates, t);
  }
}

static void read_rrules(ParseCtx *ctx, icalcomponent *comp, Appointment *appt) {
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  gboolean any = FALSE;
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_RRULE_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_RRULE_PROPERTY)) {
    struct icalrecurrencetype r = icalproperty_get_rrule(p);
    if (r.freq == ICAL_NO_RECURRENCE) {
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, ctx->uid, "invalid RRULE ignored");
      continue;
    }
    g_autofree char *text = icalrecurrencetype_as_string_r(&r);
    if (text) {
      g_strv_builder_add(b, text);
      any = TRUE;
    }
  }
  appt->rrules = any ? g_strv_builder_end(b) : NULL;
}

/* Reads one VEVENT.  Returns NULL (with an error diagnostic) when it cannot
 * be used at all. */
static Appointment *read_vevent(ParseCtx *ctx, icalcomponent *comp) {
  g_autoptr(Appointment) appt = g_new0(Appointment, 1);
  appt->line = ctx->line;
  icalproperty *uid_prop = first(comp, ICAL_UID_PROPERTY);
  appt->uid = dup_text(uid_prop ? icalproperty_get_uid(uid_prop) : NULL);
  if (appt->uid)
    g_strstrip(appt->uid);
  if (!appt->uid || !*appt->uid) {
    g_free(appt->uid);
    g_autofree char *text = icalcomponent_as_ical_string_r(comp);
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    appt->uid = g_strdup_printf("no-uid-%.16s", sum);
  }
  gboolean made_up_uid = g_str_has_prefix(appt->uid, "no-uid-") && !uid_prop;
  ctx->uid = appt->uid;

  /* libical's complaints, reported once with the outcome. */
  g_string_truncate(ctx->lic_errors, 0);
  for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY)) {
    const char *msg = icalproperty_get_xlicerror(p);
    g_string_append_printf(ctx->lic_errors, "%s%s", ctx->lic_errors->len ? "; " : "", msg ? msg : "parse error");
  }

  icalproperty *dtstart = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
  if (!dtstart || !read_time(ctx, dtstart, icalproperty_get_dtstart(dtstart), &appt->start)) {
    add_diag(ctx->diags, DIAG_ERROR, ctx->source, ctx->line, appt->uid, "%s%s%s%s: event skipped",
             dtstart ? "invalid DTSTART" : "VEVENT without DTSTART", ctx->lic_errors->len ? " (" : "",
             ctx->lic_errors->str, ctx->lic_errors->len ? ")" : "");
    return NULL;
  }
  if (ctx->lic_errors->len)
    add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid, "%s", ctx->lic_errors->str);
  if (made_up_uid)
    add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, NULL, "VEVENT without UID: using %s", appt->uid);
  appt->all_day = appt->start.kind == TREF_DATE;

  icalproperty *dtend = icalcomponent_get_first_property(comp, ICAL_DTEND_PROPERTY);
  icalproperty *dur = icalcomponent_get_first_property(comp, ICAL_DURATION_PROPERTY);
  TimeRef end;
  gboolean end_ok = dtend && read_time(ctx, dtend, icalproperty_get_dtend(dtend), &end);
  if (dtend && !end_ok)
    add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid, "invalid DTEND ignored");
  if (end_ok) {
    if (appt->all_day) {
      gint64 days = (end.local - appt->start.local) / 86400;
      if (end.kind != TREF_DATE || days < 0) {
        add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid,
                 "DTEND is before DTSTART or not a date: lasting one day");
        days = 1;
      }
      appt->duration_days = (int)MIN(days, 100000);
    } else {
      /* Exact duration: both ends as instants (read in UTC when floating;
       * a floating pair keeps its wall-clock difference either way). */
      Zone *utc = NULL;
      gint64 d = timeref_instant(&end, utc) - timeref_instant(&appt->start, utc);
      if ((end.kind == TREF_FLOATING) != (appt->start.kind == TREF_FLOATING) && end.kind != TREF_DATE)
        appt->mixed_end = end;
      if (end.kind == TREF_DATE)
        d = end.local - appt->start.local;
      if (d < 0) {
        add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid,
                 "DTEND is before DTSTART: treated as lasting zero minutes");
        d = 0;
      }
      appt->duration = d;
    }
  } else if (dur) {
    struct icaldurationtype d = icalproperty_get_duration(dur);
    int days = 0;
    gint64 secs = duration_seconds(d, &days);
    if (d.is_neg) {
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid,
               "negative DURATION: treated as zero");
      secs = 0;
      days = 0;
    }
    appt->duration = appt->all_day ? 0 : secs;
    appt->duration_days = days;
    if (appt->all_day && secs > 0)
      appt->duration_days += (int)((secs + 86399) / 86400);
  } else if (appt->all_day) {
    appt->duration_days = 1;
  }

  icalproperty *rid = icalcomponent_get_first_property(comp, ICAL_RECURRENCEID_PROPERTY);
  if (rid) {
    if (read_time(ctx, rid, icalproperty_get_recurrenceid(rid), &appt->recurrence_id)) {
      appt->is_override = TRUE;
      const char *range = param_value(rid, ICAL_RANGE_PARAMETER);
      appt->this_and_future = range && !g_ascii_strcasecmp(range, "THISANDFUTURE");
    } else {
      add_diag(ctx->diags, DIAG_WARNING, ctx->source, ctx->line, appt->uid, "invalid RECURRENCE-ID ignored");
    }
  }

  icalproperty *p;
  appt->summary = dup_text((p = first(comp, ICAL_SUMMARY_PROPERTY)) ? icalproperty_get_summary(p) : NULL);
  appt->description = dup_text((p = first(comp, ICAL_DESCRIPTION_PROPERTY)) ? icalproperty_get_description(p) : NULL);
  appt->location = dup_text((p = first(comp, ICAL_LOCATION_PROPERTY)) ? icalproperty_get_location(p) : NULL);
  if (appt->location)
    g_strstrip(appt->location);
  appt->url = dup_text((p = first(comp, ICAL_URL_PROPERTY)) ? icalproperty_get_url(p) : NULL);
  const char *conference = (p = first(comp, ICAL_CONFERENCE_PROPERTY)) ? icalproperty_get_conference(p) : NULL;
  if (!conference)
    conference = x_text(comp, "X-GOOGLE-CONFERENCE");
  if (!conference)
    conference = x_text(comp, "X-MICROSOFT-SKYPETEAMSMEETINGURL");
  appt->conference = dup_text(conference);

  icalproperty *org = icalcomponent_get_first_property(comp, ICAL_ORGANIZER_PROPERTY);
  if (org)
    appt->organizer = read_attendee(org);
  appt->attendees = g_ptr_array_new_with_free_func((GDestroyNotify)attendee_free);
  for (icalproperty *att = icalcomponent_get_first_property(comp, ICAL_ATTENDEE_PROPERTY); att;
       att = icalcomponent_get_next_property(comp, ICAL_ATTENDEE_PROPERTY))
    g_ptr_array_add(appt->attendees, read_attendee(att));

  icalproperty *prio = icalcomponent_get_first_property(comp, ICAL_PRIORITY_PROPERTY);
  appt->priority = prio ? CLAMP(icalproperty_get_priority(prio), 0, 9) : 0;
  const char *importance = x_text(comp, "X-MICROSOFT-CDO-IMPORTANCE");
  appt->importance = importance && g_ascii_isdigit(importance[0]) ? CLAMP(importance[0] - '0', 0, 2) : -1;
  if ((p = first(comp, ICAL_TRANSP_PROPERTY)) != NULL) {
    icalproperty_transp t = icalproperty_get_transp(p);
    appt->transparent = t == ICAL_TRANSP_TRANSPARENT || t == ICAL_TRANSP_TRANSPARENTNOCONFLICT;
  }
  switch ((p = first(comp, ICAL_STATUS_PROPERTY)) ? icalproperty_get_status(p) : ICAL_STATUS_NONE) {
  case ICAL_STATUS_CANCELLED:
    appt->status = STATUS_CANCELLED;
    break;
  case ICAL_STATUS_TENTATIVE:
    appt->status = STATUS_TENTATIVE;
    break;
  case ICAL_STATUS_CONFIRMED:
    appt->status = STATUS_CONFIRMED;
    break;
  default:
    appt->status = STATUS_NONE;
  }
  appt->busystatus = parse_busystatus(x_text(comp, "X-MICROSOFT-CDO-BUSYSTATUS"));
  appt->categories = read_list(comp, ICAL_CATEGORIES_PROPERTY);
  appt->resources = read_list(comp, ICAL_RESOURCES_PROPERTY);

  appt->travel = -1;
  const char *travel = x_text(comp, "X-APPLE-TRAVEL-DURATION");
  if (travel) {
    struct icaldurationtype d = icaldurationtype_from_string(travel);
    if (!icaldurationtype_is_bad_duration(d) && !d.is_neg)
      appt->travel = duration_seconds(d, NULL);
  }

  read_moz_alarm_state(comp, appt);

  icalproperty *seq = icalcomponent_get_first_property(comp, ICAL_SEQUENCE_PROPERTY);
  appt->sequence = seq ? MAX(icalproperty_get_sequence(seq), 0) : 0;
  appt->created = utc_instant(icalcomponent_get_first_property(comp, ICAL_CREATED_PROPERTY));
  appt->last_modified = utc_instant(icalcomponent_get_first_property(comp, ICAL_LASTMODIFIED_PROPERTY));
  appt->dtstamp = utc_instant(icalcomponent_get_first_property(comp, ICAL_DTSTAMP_PROPERTY));
  const char *booking = x_text(comp, "X-DIARYD-BOOKING");
  appt->booking_pending = booking && !g_ascii_strcasecmp(booking, "PENDING");

  appt->alarms = g_ptr_array_new_with_free_func((GDestroyNotify)alarm_free);
  for (icalcomponent *al = icalcomponent_get_first_component(comp, ICAL_VALARM_COMPONENT); al;
       al = icalcomponent_get_next_component(comp, ICAL_VALARM_COMPONENT)) {
    Alarm *a = read_alarm(al);
    if (a)
      g_ptr_array_add(appt->alarms, a);
  }

  appt->place = place_is_link(appt->location) ? NULL : place_normalise(appt->location);
  appt->rooms = room_keys(appt);
  if (appt->rooms) {
    guint n = g_strv_length(appt->rooms);
    appt->room_hashes = g_new(guint, n);
    for (guint i = 0; i < n; i++)
      appt->room_hashes[i] = g_str_hash(appt->rooms[i]);
  }

  read_rrules(ctx, comp, appt);
  read_rdates(ctx, comp, appt);
  read_exdates(ctx, comp, appt);
  return g_steal_pointer(&appt);
}

/* ---- grouping -------------------------------------------------------------- */

static gboolean newer(const Appointment *a, const Appointment *b) {
  if (a->sequence != b->sequence)
    return a->sequence > b->sequence;
  return a->dtstamp > b->dtstamp;
}

/* "uid|kind|local|zone" of an override, to find duplicates in O(1). */
static char *override_key(const Appointment *a) {
  return g_strdup_printf("%s|%d|%" G_GINT64_FORMAT "|%p", a->uid, a->recurrence_id.kind, a->recurrence_id.local,
                         (void *)a->recurrence_id.zone);
}

static void add_to_series(GHashTable *by_uid, GHashTable *by_rid, GPtrArray *order, const char *source,
                          Appointment *appt, GPtrArray *diags) {
  Series *s = g_hash_table_lookup(by_uid, appt->uid);
  if (!s) {
    s = g_new0(Series, 1);
    s->uid = g_strdup(appt->uid);
    s->source = g_strdup(source);
    s->overrides = g_ptr_array_new_with_free_func((GDestroyNotify)appointment_free);
    g_hash_table_insert(by_uid, s->uid, s);
    g_ptr_array_add(order, s);
  }
  if (!appt->is_override) {
    if (s->master) {
      Appointment *keep = newer(appt, s->master) ? appt : s->master;
      Appointment *drop = keep == appt ? s->master : appt;
      add_diag(diags, DIAG_WARNING, source, drop->line, appt->uid,
               "duplicate UID: the copy at line %d (SEQUENCE %d) is used", keep->line, keep->sequence);
      s->master = keep;
      appointment_free(drop);
    } else {
      s->master = appt;
    }
    return;
  }
  g_autofree char *key = override_key(appt);
  gpointer index;
  if (g_hash_table_lookup_extended(by_rid, key, NULL, &index)) {
    guint i = GPOINTER_TO_UINT(index);
    Appointment *o = g_ptr_array_index(s->overrides, i);
    gboolean replace = newer(appt, o);
    add_diag(diags, DIAG_WARNING, source, appt->line, appt->uid, "duplicate RECURRENCE-ID: the copy at line %d is used",
             replace ? appt->line : o->line);
    if (replace) {
      appointment_free(o);
      g_ptr_array_index(s->overrides, i) = appt;
    } else {
      appointment_free(appt);
    }
    return;
  }
  g_hash_table_insert(by_rid, g_steal_pointer(&key), GUINT_TO_POINTER(s->overrides->len));
  g_ptr_array_add(s->overrides, appt);
}

/* One component block found by split(): [start, end) of the text. */
typedef struct {
  gsize start, end;
  int line;
  int calendar; /* index of the enclosing VCALENDAR, -1 for a bare VEVENT */
} Block;

/* Whether a line is "VERB:NAME" (BEGIN: or END:); the upper-cased name goes
 * to `name`. */
static gboolean line_is(const char *p, const char *eol, const char *verb, char *name, gsize name_size) {
  gsize vlen = strlen(verb);
  if ((gsize)(eol - p) <= vlen || g_ascii_strncasecmp(p, verb, vlen) != 0)
    return FALSE;
  p += vlen;
  gsize n = 0;
  while (p < eol && *p != '\r' && *p != ' ' && *p != '\t' && n + 1 < name_size)
    name[n++] = g_ascii_toupper(*p++);
  name[n] = '\0';
  return n > 0;
}

/* Finds the VEVENT and VTIMEZONE blocks of every VCALENDAR (and bare
 * VEVENTs) by their BEGIN/END lines, without parsing anything else. */
static void split(const char *text, gsize len, GArray *events, GArray *zones, int *n_calendars) {
  int line = 1, depth = 0, calendar = -1;
  gssize open_start = -1;
  int open_line = 0, open_depth = 0;
  gboolean open_is_event = FALSE;
  char name[32];
  *n_calendars = 0;
  for (gsize i = 0; i < len;) {
    const char *p = text + i;
    const char *nl = memchr(p, '\n', len - i);
    const char *eol = nl ? nl : text + len;
    gsize next = nl ? (gsize)(nl - text) + 1 : len;
    if (line_is(p, eol, "BEGIN:", name, sizeof name)) {
      if (!strcmp(name, "VCALENDAR") && depth == 0) {
        calendar = (*n_calendars)++;
      } else if (open_start < 0 && depth == (calendar >= 0 ? 1 : 0) &&
                 (!strcmp(name, "VEVENT") || !strcmp(name, "VTIMEZONE"))) {
        open_start = (gssize)i;
        open_line = line;
        open_depth = depth;
        open_is_event = !strcmp(name, "VEVENT");
      }
      depth++;
    } else if (line_is(p, eol, "END:", name, sizeof name) && depth > 0) {
      depth--;
      if (open_start >= 0 && depth == open_depth && !strcmp(name, open_is_event ? "VEVENT" : "VTIMEZONE")) {
        Block b = {(gsize)open_start, next, open_line, calendar};
        g_array_append_val(open_is_event ? events : zones, b);
        open_start = -1;
      }
      if (depth == 0)
        calendar = -1;
    }
    i = next;
    line++;
  }
  if (open_start >= 0) { /* truncated: let the parser judge what is there */
    Block b = {(gsize)open_start, len, open_line, calendar};
    g_array_append_val(open_is_event ? events : zones, b);
  }
}

/* A VCALENDAR holding only the time zones of one calendar, or NULL. */
static icalcomponent *zones_calendar(const char *text, GArray *zones, int calendar) {
  GString *s = NULL;
  for (guint i = 0; i < zones->len; i++) {
    const Block *b = &g_array_index(zones, Block, i);
    if (b->calendar != calendar)
      continue;
    if (!s)
      s = g_string_new("BEGIN:VCALENDAR\r\n");
    g_string_append_len(s, text + b->start, (gssize)(b->end - b->start));
  }
  if (!s)
    return NULL;
  g_string_append(s, "END:VCALENDAR\r\n");
  icalcomponent *cal = icalparser_parse_string(s->str);
  g_string_free(s, TRUE);
  return cal;
}

guint appointments_parse(const char *text, gsize len, const char *source, Zones *zones, GPtrArray *out,
                         GPtrArray *diags) {
  if (!text || len == 0) {
    add_diag(diags, DIAG_ERROR, source, 0, NULL, "empty file: no calendar data");
    return 0;
  }
  if (!g_strstr_len(text, (gssize)len, "BEGIN:VCALENDAR") && !g_strstr_len(text, (gssize)len, "BEGIN:VEVENT") &&
      !g_strstr_len(text, (gssize)len, "begin:vcalendar")) {
    add_diag(diags, DIAG_ERROR, source, 0, NULL, "not an iCalendar file (no BEGIN:VCALENDAR)");
    return 0;
  }
  /* libical wants a C string of valid UTF-8: drop NUL bytes (iCalendar
   * never has them) and replace invalid sequences, in one copy. */
  g_autofree char *valid = g_malloc(len + 1);
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (text[i])
      valid[n++] = text[i];
  valid[n] = '\0';
  if (n != len)
    add_diag(diags, DIAG_WARNING, source, 0, NULL, "NUL bytes removed");
  if (!g_utf8_validate(valid, (gssize)n, NULL)) {
    add_diag(diags, DIAG_WARNING, source, 0, NULL, "not valid UTF-8: invalid bytes replaced");
    char *fixed = g_utf8_make_valid(valid, (gssize)n);
    g_free(valid);
    valid = fixed;
  }

  gsize vlen = strlen(valid);
  g_autoptr(GArray) events = g_array_new(FALSE, FALSE, sizeof(Block));
  g_autoptr(GArray) tz_blocks = g_array_new(FALSE, FALSE, sizeof(Block));
  int n_calendars = 0;
  split(valid, vlen, events, tz_blocks, &n_calendars);

  /* Each VEVENT is parsed on its own, so memory holds one event's tree at a
   * time and a broken event cannot take its neighbours with it. */
  icalcomponent **tz_cals = g_new0(icalcomponent *, (gsize)n_calendars + 1);
  for (int c = 0; c < n_calendars; c++)
    tz_cals[c] = zones_calendar(valid, tz_blocks, c);

  GHashTable *by_uid = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_rid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) embedded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) lic_errors = g_string_new(NULL);
  g_autoptr(GPtrArray) order = g_ptr_array_new();
  guint accepted = 0, skipped = 0;
  for (guint i = 0; i < events->len; i++) {
    const Block *b = &g_array_index(events, Block, i);
    g_autofree char *one = g_strndup(valid + b->start, b->end - b->start);
    icalcomponent *comp = icalparser_parse_string(one);
    if (comp && icalcomponent_isa(comp) != ICAL_VEVENT_COMPONENT) {
      icalcomponent *inner = icalcomponent_get_first_component(comp, ICAL_VEVENT_COMPONENT);
      if (inner)
        icalcomponent_remove_component(comp, inner);
      icalcomponent_free(comp);
      comp = inner;
    }
    if (!comp) {
      add_diag(diags, DIAG_ERROR, source, b->line, NULL, "unparsable VEVENT: skipped");
      skipped++;
      continue;
    }
    ParseCtx ctx = {zones, source, diags, b->calendar >= 0 ? tz_cals[b->calendar] : NULL, NULL, b->line,
                    warned, embedded, lic_errors};
    Appointment *appt = read_vevent(&ctx, comp);
    icalcomponent_free(comp);
    if (!appt) {
      skipped++;
      continue;
    }
    accepted++;
    add_to_series(by_uid, by_rid, order, source, appt, diags);
  }
  for (int c = 0; c < n_calendars; c++)
    if (tz_cals[c])
      icalcomponent_free(tz_cals[c]);
  g_free(tz_cals);
  for (guint i = 0; i < order->len; i++) {
    Series *s = g_ptr_array_index(order, i);
    if (!s->master && s->overrides->len > 0) {
      const Appointment *first = g_ptr_array_index(s->overrides, 0);
      add_diag(diags, DIAG_WARNING, source, first->line, s->uid,
               "override (RECURRENCE-ID) without its master event: shown on its own");
    }
    g_ptr_array_add(out, s);
  }
  g_hash_table_destroy(by_uid);

  if (events->len == 0)
    add_diag(diags, DIAG_WARNING, source, 0, NULL, "no events (VEVENT) found");
  else if (accepted == 0 && skipped < events->len)
    add_diag(diags, DIAG_ERROR, source, 0, NULL, "none of the %u events could be read", events->len);
  return accepted;
}

/* ---- expansion ------------------------------------------------------------- */


typedef struct {
  const Series *series;
  Zone *local;
  gint64 from, to;
  const ExpandLimits *limits;
  GArray *out;
  GPtrArray *diags;
  guint added;
  gboolean capped;
  GHashTable *overridden; /* rid instant -> Appointment* (non-RANGE overrides) */
  GPtrArray *futures;     /* THISANDFUTURE overrides, by rid instant ascending */
  GHashTable *seen;       /* rid instants already emitted */
  GHashTable *ex_instants; /* EXDATE instants */
  GHashTable *ex_days;     /* EXDATE dates (local day numbers) */
  gint64 early;            /* an instance starting before this cannot reach the window */
  guint cap_diag;          /* index of the "too many occurrences" diagnostic, or G_MAXUINT */
} Expand;

/* A series whose instances keep overlapping each other (an hour-long event
 * every second) is a fault, and would make every check quadratic. */
#define MAX_SELF_OVERLAPS 1000u

static int occurrence_by_start(const void *a, const void *b) {
  gint64 x = ((const Occurrence *)a)->start, y = ((const Occurrence *)b)->start;
  return x < y ? -1 : x > y;
}

static gint64 appt_start_instant(const Appointment *a, Zone *local) { return timeref_instant(&a->start, local); }

/* End of an instance that starts at wall clock `start_local` (in the zone
 * the appointment's start is read in) and instant `start`. */
static gint64 instance_end(const Appointment *a, Zone *local, gint64 start, gint64 start_local) {
  if (a->mixed_end.kind != TREF_NONE) {
    /* One end floating, one not: the length is known only now. */
    gint64 len = timeref_instant(&a->mixed_end, local) - timeref_instant(&a->start, local);
    return start + MAX(len, 0);
  }
  if (a->all_day || a->duration_days > 0) {
    Zone *z = a->start.kind == TREF_ZONED ? a->start.zone : local;
    if (a->start.kind == TREF_UTC)
      z = NULL;
    gint64 end = zone_to_instant(z, start_local + (gint64)a->duration_days * 86400);
    return MAX(end + a->duration, start);
  }
  return start + a->duration;
}

static gboolean overlaps(const Expand *e, gint64 start, gint64 end) {
  if (end == start)
    return start >= e->from && start < e->to;
  return start < e->to && end > e->from;
}

static void emit(Expand *e, const Appointment *appt, gint64 start, gint64 end, gint64 rid) {
  if (!overlaps(e, start, end))
    return;
  if (e->added >= e->limits->max_instances) {
    if (!e->capped && e->diags) {
      e->cap_diag = e->diags->len;
      add_diag(e->diags, DIAG_WARNING, e->series->source, appt->line, e->series->uid,
               "more than %u occurrences in the window: the rest are ignored", e->limits->max_instances);
    }
    e->capped = TRUE;
    return;
  }
  Occurrence occ = {e->series, appt, start, end, rid, appt->all_day, 0};
  g_array_append_val(e->out, occ);
  e->added++;
}

static gboolean rid_key_equal(gconstpointer a, gconstpointer b) { return *(const gint64 *)a == *(const gint64 *)b; }
static guint rid_key_hash(gconstpointer a) { return g_int64_hash(a); }

/* The override that governs an instance of the master at original start
 * `rid`, or NULL for the master itself. Sets *shift for THISANDFUTURE. */
static const Appointment *override_for(const Expand *e, gint64 rid, gint64 *shift) {
  *shift = 0;
  const Appointment *o = g_hash_table_lookup(e->overridden, &rid);
  if (o)
    return o;
  const Appointment *best = NULL;
  for (guint i = 0; i < e->futures->len; i++) {
    const Appointment *f = g_ptr_array_index(e->futures, i);
    gint64 frid = timeref_instant(&f->recurrence_id, e->local);
    if (frid <= rid) {
      best = f;
      *shift = appt_start_instant(f, e->local) - frid;
    }
  }
  return best;
}

/* One instance of the recurrence set, at wall clock `local_start` of the
 * master's start zone. */
static void instance(Expand *e, gint64 local_start, gint64 rdate_len) {
  const Appointment *m = e->series->master;
  TimeRef t = m->start;
  t.local = local_start;
  gint64 rid = timeref_instant(&t, e->local);
  if (rid < e->early)
    return; /* long before the window: nothing to emit, nothing to remember */
  if (g_hash_table_contains(e->seen, &rid))
    return;
  gint64 *key = g_new(gint64, 1);
  *key = rid;
  g_hash_table_add(e->seen, key);

  /* A DATE EXDATE removes the instance on that day of the master's wall clock. */
  gint64 day = seconds_to_days(local_start);
  if (g_hash_table_contains(e->ex_instants, &rid) || g_hash_table_contains(e->ex_days, &day))
    return;
  gint64 shift;
  const Appointment *o = override_for(e, rid, &shift);
  if (o && !o->this_and_future)
    return; /* emitted on its own, at its own time */
  if (o) {
    gint64 start = rid + shift;
    gint64 end = instance_end(o, e->local, start, zone_to_local(o->start.kind == TREF_ZONED ? o->start.zone : e->local, start));
    emit(e, o, start, end, rid);
    return;
  }
  gint64 end = rdate_len >= 0 ? rid + rdate_len : instance_end(m, e->local, rid, local_start);
  emit(e, m, rid, end, rid);
}

/* A rule that can never match (BYMONTHDAY=30 with BYMONTH=2) keeps libical
 * 3.0's iterator searching forever: refuse it up front. */
static gboolean rule_impossible(const struct icalrecurrencetype *r) {
  static const int max_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX)
    return FALSE;
  int months[13], nm = 0;
  if (r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX) {
    return FALSE; /* every month: day 29-31 exists somewhere */
  }
  for (int i = 0; i < 13 && r->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
    months[nm++] = r->by_month[i];
  for (int j = 0; j < ICAL_BY_MONTHDAY_SIZE && r->by_month_day[j] != ICAL_RECURRENCE_ARRAY_MAX; j++) {
    int d = abs(r->by_month_day[j]);
    for (int i = 0; i < nm; i++)
      if (months[i] >= 1 && months[i] <= 12 && d >= 1 && d <= max_days[months[i]])
        return FALSE;
  }
  return TRUE;
}

/* Latest instant an instance may start and still matter for the window. */
static gint64 rule_horizon(const Expand *e) {
  gint64 reach = 0;
  for (guint i = 0; i < e->futures->len; i++) {
    const Appointment *f = g_ptr_array_index(e->futures, i);
    gint64 shift = appt_start_instant(f, e->local) - timeref_instant(&f->recurrence_id, e->local);
    reach = MAX(reach, -shift);
  }
  return e->to + reach;
}

/* The common rules, FREQ=DAILY or WEEKLY with at most INTERVAL, COUNT,
 * WKST and plain BYDAY, generated directly: libical's iterator consults an
 * ICU calendar at every step, which made these rules most of the cost of
 * expansion.  Only taken when DTSTART itself matches the rule (so that it
 * counts as the first instance either way); anything else goes to libical. */
typedef struct {
  gboolean weekly;
  gint64 interval;
  guint days; /* bit per weekday (Monday = bit 0) */
  gint64 count; /* 0 = unbounded */
  gint64 first_day, tod;
  gint64 week, j; /* weekly: current week start and day within it */
  gint64 k;       /* daily: current step */
  gint64 emitted;
} FastRule;

static int ical_to_weekday(int ical) { return (ical + 5) % 7; } /* libical: Sunday = 1 */

static gboolean fast_rule_init(FastRule *f, const struct icalrecurrencetype *r, gint64 start_local) {
  if ((r->freq != ICAL_DAILY_RECURRENCE && r->freq != ICAL_WEEKLY_RECURRENCE) || (r->rscale && *r->rscale) ||
      r->by_second[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
      r->by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
      r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX ||
      r->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX ||
      r->interval < 1 || r->count < 0)
    return FALSE;
  memset(f, 0, sizeof *f);
  for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
    if (icalrecurrencetype_day_position(r->by_day[i]) != 0)
      return FALSE;
    f->days |= 1u << ical_to_weekday(icalrecurrencetype_day_day_of_week(r->by_day[i]));
  }
  f->first_day = seconds_to_days(start_local);
  f->tod = start_local - f->first_day * 86400;
  int wd0 = days_to_weekday(f->first_day);
  f->weekly = r->freq == ICAL_WEEKLY_RECURRENCE;
  if (f->days && !(f->days & (1u << wd0)))
    return FALSE;
  if (!f->days) /* no BYDAY: every day, or DTSTART's weekday every week */
    f->days = f->weekly ? 1u << wd0 : 0x7fu;
  f->interval = r->interval;
  f->count = r->count;
  int wkst = r->week_start == ICAL_NO_WEEKDAY ? 0 : ical_to_weekday(r->week_start);
  f->week = f->first_day - (wd0 - wkst + 7) % 7;
  return TRUE;
}

static gboolean fast_rule_next(FastRule *f, gint64 *local) {
  if (f->count && f->emitted >= f->count)
    return FALSE;
  for (;;) {
    gint64 day;
    if (f->weekly) {
      if (f->j == 7) {
        f->j = 0;
        f->week += 7 * f->interval;
      }
      day = f->week + f->j++;
      if (day < f->first_day)
        continue;
    } else {
      day = f->first_day + f->k++ * f->interval;
    }
    if (f->days & (1u << days_to_weekday(day))) {
      f->emitted++;
      *local = day * 86400 + f->tod;
      return TRUE;
    }
  }
}

static void expand_rule(Expand *e, const char *rule_text) {
  const Appointment *m = e->series->master;
  struct icalrecurrencetype rule = icalrecurrencetype_from_string(rule_text);
  if (rule.freq == ICAL_NO_RECURRENCE)
    return;
  if (rule_impossible(&rule)) {
    add_diag(e->diags, DIAG_WARNING, e->series->source, m->line, e->series->uid,
             "RRULE %s can never match: ignored", rule_text);
    return;
  }
  gboolean sub_daily = rule.freq == ICAL_SECONDLY_RECURRENCE || rule.freq == ICAL_MINUTELY_RECURRENCE ||
                       rule.freq == ICAL_HOURLY_RECURRENCE;
  /* libical 3.0 searches these second by second for a matching day, with no
   * bound: one such rule can stall everything.  No diary needs them. */
  if (sub_daily && (rule.by_month[0] != ICAL_RECURRENCE_ARRAY_MAX || rule.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
                    rule.by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX || rule.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX ||
                    rule.by_day[0] != ICAL_RECURRENCE_ARRAY_MAX || rule.by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX)) {
    add_diag(e->diags, DIAG_WARNING, e->series->source, m->line, e->series->uid,
             "RRULE %s (more often than daily, on chosen days) is not supported: ignored", rule_text);
    return;
  }
  /* UNTIL is applied here, as an instant (or a local date), so that a UTC
   * UNTIL and a zoned DTSTART compare correctly. */
  gint64 until = G_MAXINT64;
  gboolean until_date = FALSE;
  if (!icaltime_is_null_time(rule.until)) {
    until_date = rule.until.is_date;
    if (until_date)
      until = seconds_to_days(icaltime_to_local_seconds(rule.until));
    else if (icaltime_is_utc(rule.until))
      until = icaltime_to_local_seconds(rule.until);
    else {
      TimeRef u = m->start;
      u.local = icaltime_to_local_seconds(rule.until);
      if (u.kind == TREF_UTC || u.kind == TREF_DATE)
        u.kind = TREF_FLOATING;
      until = timeref_instant(&u, e->local);
    }
    rule.until = icaltime_null_time();
  }

  FastRule fast;
  gboolean is_fast = fast_rule_init(&fast, &rule, m->start.local);
  icalrecur_iterator *it = NULL;
  if (!is_fast) {
    it = icalrecur_iterator_new(rule, local_seconds_to_icaltime(m->start.local, m->all_day));
    if (!it) {
      add_diag(e->diags, DIAG_WARNING, e->series->source, m->line, e->series->uid,
               "RRULE %s not understood: ignored", rule_text);
      return;
    }
    /* Sub-daily rules without COUNT: start near the window instead of
     * stepping from a DTSTART that may be years earlier. */
    if (sub_daily && rule.count == 0) {
      gint64 jump = zone_to_local(m->start.kind == TREF_ZONED ? m->start.zone : e->local, e->early) -
                    2 * 86400;
      if (jump > m->start.local)
        icalrecur_iterator_set_start(it, local_seconds_to_icaltime(jump, FALSE));
    }
  }
  gint64 horizon = rule_horizon(e);
  guint iterations = 0;
  for (;;) {
    gint64 local;
    if (is_fast) {
      if (!fast_rule_next(&fast, &local))
        break;
    } else {
      struct icaltimetype t = icalrecur_iterator_next(it);
      if (icaltime_is_null_time(t))
        break;
      local = icaltime_to_local_seconds(t);
    }
    if (++iterations > e->limits->max_iterations) {
      add_diag(e->diags, DIAG_WARNING, e->series->source, m->line, e->series->uid,
               "RRULE %s stopped after %u repetitions", rule_text, e->limits->max_iterations);
      break;
    }
    TimeRef r = m->start;
    r.local = local;
    gint64 inst = timeref_instant(&r, e->local);
    if (until != G_MAXINT64 && (until_date ? seconds_to_days(local) > until : inst > until))
      break;
    if (inst >= horizon)
      break;
    instance(e, local, -1);
    if (e->capped)
      break;
  }
  if (it)
    icalrecur_iterator_free(it);
}

guint series_expand(const Series *series, gint64 from, gint64 to, Zone *local, const ExpandLimits *limits,
                    GArray *out, GPtrArray *diags) {
  ExpandLimits defaults = {EXPAND_DEFAULT_MAX_INSTANCES, EXPAND_DEFAULT_MAX_ITERATIONS};
  guint first_new = out->len;
  Expand e = {series, local, from, to, limits ? limits : &defaults, out, diags, 0, FALSE,
              g_hash_table_new_full(rid_key_hash, rid_key_equal, g_free, NULL), g_ptr_array_new(),
              g_hash_table_new_full(rid_key_hash, rid_key_equal, g_free, NULL),
              g_hash_table_new_full(rid_key_hash, rid_key_equal, g_free, NULL),
              g_hash_table_new_full(rid_key_hash, rid_key_equal, g_free, NULL), G_MININT64, G_MAXUINT};
  const Appointment *m = series->master;
  if (m && m->exdates) {
    for (guint i = 0; i < m->exdates->len; i++) {
      const TimeRef *x = &g_array_index(m->exdates, TimeRef, i);
      gint64 *v = g_new(gint64, 1);
      *v = x->kind == TREF_DATE ? seconds_to_days(x->local) : timeref_instant(x, local);
      g_hash_table_add(x->kind == TREF_DATE ? e.ex_days : e.ex_instants, v);
    }
  }

  /* Overrides first: each appears at its own time. */
  for (guint i = 0; i < series->overrides->len; i++) {
    const Appointment *o = g_ptr_array_index(series->overrides, i);
    gint64 rid = timeref_instant(&o->recurrence_id, local);
    if (o->this_and_future && m && appointment_is_recurring(m)) {
      guint j = 0;
      while (j < e.futures->len &&
             timeref_instant(&((const Appointment *)g_ptr_array_index(e.futures, j))->recurrence_id, local) < rid)
        j++;
      g_ptr_array_insert(e.futures, (gint)j, (gpointer)o);
    } else {
      gint64 *key = g_new(gint64, 1);
      *key = rid;
      g_hash_table_insert(e.overridden, key, (gpointer)o);
    }
    if (o->this_and_future && m && appointment_is_recurring(m))
      continue; /* instance() applies it to its own instance and the later ones */
    gint64 start = appt_start_instant(o, local);
    Zone *z = o->start.kind == TREF_ZONED ? o->start.zone : (o->start.kind == TREF_UTC ? NULL : local);
    emit(&e, o, start, instance_end(o, local, start, zone_to_local(z, start)), rid);
  }

  if (m) {
    /* How far before the window an instance may start and still reach it:
     * its own length, or a THISANDFUTURE override's shift and length,
     * plus a day for DST and nominal days. */
    gint64 reach = (gint64)m->duration_days * 86400 + m->duration;
    for (guint i = 0; i < e.futures->len; i++) {
      const Appointment *f = g_ptr_array_index(e.futures, i);
      gint64 shift = appt_start_instant(f, local) - timeref_instant(&f->recurrence_id, local);
      reach = MAX(reach, shift + (gint64)f->duration_days * 86400 + f->duration);
    }
    if (m->rdates)
      for (guint i = 0; i < m->rdates->len; i++)
        reach = MAX(reach, g_array_index(m->rdates, RDate, i).end);
    e.early = from - reach - 2 * 86400;
    gboolean recurring = appointment_is_recurring(m);
    /* DTSTART is always the first instance. */
    if (recurring) {
      instance(&e, m->start.local, -1);
    } else {
      gint64 start = appt_start_instant(m, local);
      gint64 shift;
      const Appointment *o = override_for(&e, start, &shift);
      if (!o)
        emit(&e, m, start, instance_end(m, local, start, m->start.local), APPT_NO_TIME);
    }
    for (char **r = m->rrules; r && *r && !e.capped; r++)
      expand_rule(&e, *r);
    if (m->rdates) {
      for (guint i = 0; i < m->rdates->len && !e.capped; i++) {
        const RDate *rd = &g_array_index(m->rdates, RDate, i);
        gint64 local_start = rd->start.local;
        if (rd->start.kind != m->start.kind || rd->start.zone != m->start.zone) {
          /* An RDATE in another zone: same instant, master's wall clock. */
          gint64 inst = timeref_instant(&rd->start, local);
          Zone *z = m->start.kind == TREF_ZONED ? m->start.zone : (m->start.kind == TREF_UTC ? NULL : local);
          local_start = zone_to_local(z, inst);
          if (m->all_day)
            local_start = seconds_to_days(local_start) * 86400;
        }
        instance(&e, local_start, rd->end);
      }
    }
  }

  /* `first` marks the earliest occurrence of each component, in time order
   * (instances are generated rule by rule, not in order). */
  g_autoptr(GHashTable) earliest = g_hash_table_new(g_direct_hash, g_direct_equal);
  for (guint i = first_new; i < out->len; i++) {
    Occurrence *o = &g_array_index(out, Occurrence, i);
    Occurrence *best = g_hash_table_lookup(earliest, o->appt);
    if (!best || o->start < best->start)
      g_hash_table_insert(earliest, (gpointer)o->appt, o);
  }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, earliest);
  while (g_hash_table_iter_next(&it, NULL, &value))
    ((Occurrence *)value)->first = 1;

  g_hash_table_destroy(e.overridden);
  g_ptr_array_free(e.futures, TRUE);
  g_hash_table_destroy(e.seen);
  g_hash_table_destroy(e.ex_instants);
  g_hash_table_destroy(e.ex_days);

  /* A series whose instances keep overlapping each other (an hour-long
   * event every second) is a fault of the series, and would make every
   * check quadratic: keep it to the first MAX_SELF_OVERLAPS overlaps. */
  guint n = out->len - first_new;
  if (n > MAX_SELF_OVERLAPS) {
    Occurrence *mine = &g_array_index(out, Occurrence, first_new);
    qsort(mine, n, sizeof *mine, occurrence_by_start);
    gint64 max_end = G_MININT64;
    guint overlaps = 0;
    for (guint i = 0; i < n; i++) {
      if (mine[i].start < max_end && ++overlaps > MAX_SELF_OVERLAPS) {
        /* One cause, one message: this replaces "too many occurrences". */
        if (e.cap_diag != G_MAXUINT && diags && e.cap_diag < diags->len)
          g_ptr_array_remove_index(diags, e.cap_diag);
        add_diag(diags, DIAG_WARNING, series->source, mine[i].appt->line, series->uid,
                 "its occurrences keep overlapping each other: only the first %u are used", i);
        g_array_set_size(out, first_new + i);
        e.added = i;
        break;
      }
      max_end = MAX(max_end, mine[i].end);
    }
  }
  return e.added;
}
