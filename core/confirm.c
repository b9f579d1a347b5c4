/* confirm: see confirm.h.
 *
 * Two readings of the same object: core/appointment gives the meaning
 * (instants, recurrence, attendees), libical gives the components to copy
 * into the snapshot.  Overrides are matched between the two by their
 * RECURRENCE-ID instant. */
#include "confirm.h"

#include <string.h>

#include "icaledit.h"
#include "message.h"

/* How far ahead an occurrence is looked for to tell whether a series is
 * still to come (libical stops at 2582 anyway), and how many are expanded
 * for it. */
#define FUTURE_HORIZON ((gint64)100 * 366 * 86400)
#define FUTURE_INSTANCES 64u
/* Occurrences expanded to find where a bounded series ends; more: "endless". */
#define BOUNDED_INSTANCES 20000u

const char *confirm_kind_name(ConfirmKind kind) {
  switch (kind) {
  case CONFIRM_NEW: return "new";
  case CONFIRM_UPDATE: return "update";
  case CONFIRM_CANCEL: return "cancel";
  default: return "none";
  }
}

ConfirmKind confirm_kind_from_name(const char *name) {
  if (!g_strcmp0(name, "new"))
    return CONFIRM_NEW;
  if (!g_strcmp0(name, "update"))
    return CONFIRM_UPDATE;
  if (!g_strcmp0(name, "cancel"))
    return CONFIRM_CANCEL;
  return CONFIRM_NONE;
}

static void recipient_free(ConfirmRecipient *r) {
  if (!r)
    return;
  g_free(r->address);
  g_free(r->name);
  g_free(r);
}

void confirm_item_free(ConfirmItem *item) {
  if (!item)
    return;
  g_free(item->uid);
  g_free(item->rid);
  g_free(item->fingerprint);
  g_free(item->timing);
  g_free(item->zone);
  g_free(item->repeats);
  g_free(item->summary);
  g_free(item->location);
  g_free(item->url);
  g_free(item->conference);
  g_free(item->description);
  g_free(item->organizer_name);
  g_free(item->organizer);
  g_ptr_array_unref(item->recipients);
  g_ptr_array_unref(item->people);
  g_ptr_array_unref(item->refused);
  g_free(item->snapshot);
  g_free(item);
}

/* ---- recurrence ids -------------------------------------------------------------- */

static char *format_utc(gint64 instant) {
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(instant);
  return dt ? g_date_time_format(dt, "%Y%m%dT%H%M%SZ") : g_strdup("00000000T000000Z");
}

/* Dates and floating times are written as read (they mean the same wall
 * clock in every zone, so the owner's zone must not change the key). */
static char *rid_text(const TimeRef *rid, Zone *local) {
  if (rid->kind == TREF_DATE || rid->kind == TREF_FLOATING) {
    int y, m, d;
    gint64 day = seconds_to_days(rid->local), secs = rid->local - day * 86400;
    days_to_civil(day, &y, &m, &d);
    if (rid->kind == TREF_DATE)
      return g_strdup_printf("%04d%02d%02d", y, m, d);
    return g_strdup_printf("%04d%02d%02dT%02d%02d%02d", y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                           (int)(secs % 60));
  }
  return format_utc(timeref_instant(rid, local));
}

/* The instant of a libical component's RECURRENCE-ID, or APPT_NO_TIME.  A
 * TZID is looked up in the object's own VTIMEZONEs first (Outlook writes
 * names such as "Customized Time Zone"), then in the zone database. */
static gint64 component_rid(icalcomponent *root, icalcomponent *c, Zones *zones, Zone *local) {
  icalproperty *p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
  if (!p)
    return APPT_NO_TIME;
  struct icaltimetype t = icalproperty_get_recurrenceid(p);
  if (icaltime_is_null_time(t))
    return APPT_NO_TIME;
  gint64 secs = icaltime_to_local_seconds(t);
  if (icaltime_is_utc(t))
    return secs;
  icalparameter *tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  const char *tzid = tz && !t.is_date ? icalparameter_get_tzid(tz) : NULL;
  icaltimezone *own = tzid && icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT
                          ? icalcomponent_get_timezone(root, tzid)
                          : NULL;
  if (own) {
    t.zone = own;
    return (gint64)icaltime_as_timet_with_zone(t, own);
  }
  Zone *zone = tzid ? zones_resolve(zones, tzid) : NULL;
  return zone_to_instant(zone ? zone : local, secs);
}

/* ---- the snapshot ------------------------------------------------------------------ */

/* A VTIMEZONE for `tzid`: the object's own, else the zone database's under
 * the same TZID, else none (the recipient's client then reads the name). */
static icalcomponent *vtimezone_for(icalcomponent *root, const char *tzid, Zones *zones) {
  icalcomponent *own = icaledit_find_vtimezone(root, tzid);
  return own ? icalcomponent_new_clone(own) : icaledit_vtimezone_from_database(zones, tzid);
}

/* The owner's own state does not travel: alarms, Thunderbird's snoozes and
 * acknowledgements. */
static icalcomponent *clean_clone(icalcomponent *event) {
  icalcomponent *c = icalcomponent_new_clone(event);
  icalcomponent *sub;
  while ((sub = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT))) {
    icalcomponent_remove_component(c, sub);
    icalcomponent_free(sub);
  }
  GPtrArray *drop = g_ptr_array_new();
  for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_X_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_X_PROPERTY))
    if (g_ascii_strncasecmp(icalproperty_get_x_name(p) ? icalproperty_get_x_name(p) : "", "X-MOZ-", 6) == 0)
      g_ptr_array_add(drop, p);
  for (guint i = 0; i < drop->len; i++) {
    icalcomponent_remove_property(c, g_ptr_array_index(drop, i));
    icalproperty_free(g_ptr_array_index(drop, i));
  }
  g_ptr_array_free(drop, TRUE);
  return c;
}

static char *snapshot_of(icalcomponent *root, GPtrArray *events, Zones *zones) {
  icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
  icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal, icalproperty_new_prodid("-//diaryd//confirmations//EN"));
  g_autoptr(GPtrArray) tzids = g_ptr_array_new();
  for (guint i = 0; i < events->len; i++)
    icaledit_collect_tzids(g_ptr_array_index(events, i), tzids);
  for (guint i = 0; i < tzids->len; i++) {
    icalcomponent *tz = vtimezone_for(root, g_ptr_array_index(tzids, i), zones);
    if (tz)
      icalcomponent_add_component(cal, tz);
  }
  for (guint i = 0; i < events->len; i++)
    icalcomponent_add_component(cal, clean_clone(g_ptr_array_index(events, i)));
  char *text = icalcomponent_as_ical_string_r(cal);
  icalcomponent_free(cal);
  return text;
}

/* ---- reading an item ----------------------------------------------------------------- */

static gint cmp_recipient(gconstpointer a, gconstpointer b) {
  const ConfirmRecipient *x = *(ConfirmRecipient *const *)a, *y = *(ConfirmRecipient *const *)b;
  return strcmp(x->address, y->address);
}

static void add_people(ConfirmItem *item, const Appointment *appt, const char *const *owners) {
  item->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_free);
  item->people = g_ptr_array_new_with_free_func(g_free);
  item->refused = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; appt->attendees && i < appt->attendees->len; i++) {
    const Attendee *a = g_ptr_array_index(appt->attendees, i);
    const char *who = a->cn && *a->cn ? a->cn : (a->email ? a->email : a->address);
    gboolean room = a->cutype == CUTYPE_ROOM || a->cutype == CUTYPE_RESOURCE;
    if (room)
      g_ptr_array_add(item->people, g_strdup_printf("%s: %s", a->cutype == CUTYPE_ROOM ? "Room" : "Resource", who));
    else if (a->email)
      g_ptr_array_add(item->people, a->cn && *a->cn ? g_strdup_printf("%s <%s>", a->cn, a->email)
                                                    : g_strdup(a->email));
    else
      g_ptr_array_add(item->people, g_strdup(who));
    /* SCHEDULE-AGENT=NONE: nobody is to schedule with this attendee. */
    if (room || a->role == ROLE_NON_PARTICIPANT || a->schedule_agent == SCHEDULE_AGENT_NONE ||
        (a->email && owners && g_strv_contains(owners, a->email)))
      continue;
    if (!a->email) {
      g_ptr_array_add(item->refused, g_strdup_printf("%s: not an email (mailto:) address", a->address));
      continue;
    }
    if (!message_address_valid(a->email)) {
      g_ptr_array_add(item->refused, g_strdup_printf("%s: not a valid email address", a->email));
      continue;
    }
    gboolean dup = FALSE;
    for (guint j = 0; j < item->recipients->len && !dup; j++)
      dup = !strcmp(((ConfirmRecipient *)g_ptr_array_index(item->recipients, j))->address, a->email);
    if (dup)
      continue;
    ConfirmRecipient *r = g_new0(ConfirmRecipient, 1);
    r->address = g_strdup(a->email);
    r->name = a->cn && *a->cn ? g_strdup(a->cn) : NULL;
    g_ptr_array_add(item->recipients, r);
  }
  g_ptr_array_sort(item->recipients, cmp_recipient);
}

static const char *rrule_freq(const char *rrule) {
  static const char *const names[][2] = {{"FREQ=SECONDLY", "every second"}, {"FREQ=MINUTELY", "every minute"},
                                         {"FREQ=HOURLY", "hourly"},         {"FREQ=DAILY", "daily"},
                                         {"FREQ=WEEKLY", "weekly"},         {"FREQ=MONTHLY", "monthly"},
                                         {"FREQ=YEARLY", "yearly"}};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (rrule && strstr(rrule, names[i][0]))
      return names[i][1];
  return "repeating";
}

/* A time as the fingerprint sees it: an instant for UTC and zoned times
 * (with the zone for a series: moving it to another zone moves every
 * occurrence after a DST change), the wall clock for dates and floating
 * times (the same in every zone the owner may be in). */
static char *time_key(const TimeRef *t, Zone *local, gboolean with_zone) {
  switch (t->kind) {
  case TREF_DATE: return g_strdup_printf("D%" G_GINT64_FORMAT, t->local);
  case TREF_FLOATING: return g_strdup_printf("F%" G_GINT64_FORMAT, t->local);
  case TREF_ZONED:
    if (with_zone && t->zone)
      return g_strdup_printf("%" G_GINT64_FORMAT "@%s", timeref_instant(t, local), zone_name(t->zone));
    return g_strdup_printf("%" G_GINT64_FORMAT, timeref_instant(t, local));
  default: return g_strdup_printf("%" G_GINT64_FORMAT, timeref_instant(t, local));
  }
}

/* Appends "name=KEY" for each time, sorted and without repeats: the order
 * EXDATEs and RDATEs are written in means nothing. */
static gint cmp_text(gconstpointer a, gconstpointer b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void append_times(GString *s, const char *name, GPtrArray *keys) {
  g_ptr_array_sort(keys, cmp_text);
  for (guint i = 0; i < keys->len; i++)
    if (!i || strcmp(g_ptr_array_index(keys, i), g_ptr_array_index(keys, i - 1)))
      g_string_append_printf(s, "%s=%s\n", name, (const char *)g_ptr_array_index(keys, i));
}

/* Only what an attendee must hear about goes into the fingerprint; the
 * timing part of it is kept in item->timing as well. */
static char *fingerprint_of(ConfirmItem *item, const Appointment *appt, Zone *local) {
  GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autoptr(GString) s = g_string_new(NULL);
  gboolean series = appointment_is_recurring(appt);
  g_autofree char *start = time_key(&appt->start, local, series);
  g_string_append_printf(s, "rid=%s\nstart=%s\nallday=%d\ndur=%" G_GINT64_FORMAT "\ndays=%d\n",
                         item->rid ? item->rid : "", start, appt->all_day, appt->duration, appt->duration_days);
  for (guint i = 0; appt->rrules && appt->rrules[i]; i++)
    g_string_append_printf(s, "rrule=%s\n", appt->rrules[i]);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; appt->rdates && i < appt->rdates->len; i++) {
    const RDate *r = &g_array_index(appt->rdates, RDate, i);
    g_autofree char *k = time_key(&r->start, local, FALSE);
    g_ptr_array_add(keys, g_strdup_printf("%s/%" G_GINT64_FORMAT, k, r->end));
  }
  append_times(s, "rdate", keys);
  g_ptr_array_set_size(keys, 0);
  for (guint i = 0; appt->exdates && i < appt->exdates->len; i++)
    g_ptr_array_add(keys, time_key(&g_array_index(appt->exdates, TimeRef, i), local, FALSE));
  append_times(s, "exdate", keys);
  /* What "the time has changed" means, for the words of an update. */
  g_free(item->timing);
  item->timing = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s->str, (gssize)s->len);
  g_autofree char *place = place_normalise(appt->location);
  /* No STATUS and CONFIRMED say the same to an attendee. */
  int status = appt->status == STATUS_CONFIRMED ? STATUS_NONE : appt->status;
  g_string_append_printf(s, "place=%s\nurl=%s\nconference=%s\nstatus=%d\n", place ? place : "",
                         appt->url ? appt->url : "", appt->conference ? appt->conference : "", status);
  for (guint i = 0; i < item->recipients->len; i++)
    g_string_append_printf(s, "to=%s\n", ((ConfirmRecipient *)g_ptr_array_index(item->recipients, i))->address);
  g_checksum_update(sum, (const guchar *)s->str, (gssize)s->len);
  char *hex = g_strdup(g_checksum_get_string(sum));
  g_checksum_free(sum);
  return hex;
}

/* The first occurrence of `appt` overlapping [from, to), or FALSE. */
static gboolean first_of(const Series *series, const Appointment *appt, gint64 from, gint64 to, guint limit,
                         const ConfirmQuery *q, Occurrence *out, gint64 *last_end, gboolean *capped) {
  ExpandLimits limits = {limit, EXPAND_DEFAULT_MAX_ITERATIONS};
  g_autoptr(GArray) occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  g_autoptr(GPtrArray) scratch = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  series_expand(series, from, to, q->local, &limits, occ, scratch);
  gboolean found = FALSE;
  for (guint i = 0; i < occ->len; i++) {
    const Occurrence *o = &g_array_index(occ, Occurrence, i);
    if (o->appt != appt || o->end <= from)
      continue;
    if (!found)
      *out = *o;
    found = TRUE;
    if (last_end)
      *last_end = MAX(*last_end, o->end);
  }
  if (capped)
    *capped = occ->len >= limit;
  return found;
}

/* A series whose every RRULE has COUNT or UNTIL ends; RDATEs are finite. */
static gboolean series_bounded(const Appointment *appt) {
  for (guint i = 0; appt->rrules && appt->rrules[i]; i++)
    if (!strstr(appt->rrules[i], "COUNT=") && !strstr(appt->rrules[i], "UNTIL="))
      return FALSE;
  return TRUE;
}

/* When the appointment is next (the first occurrence that ends after now),
 * else when it was; and when its last occurrence ends. */
/* The occurrence that starts at `start`, as the series expands it (its end
 * counts nominal days in its zone), else DTSTART plus the length. */
static void own_times(ConfirmItem *item, const Series *series, const Appointment *appt, const ConfirmQuery *q,
                      gint64 start) {
  Occurrence o;
  if (first_of(series, appt, start, start + 1, FUTURE_INSTANCES, q, &o, NULL, NULL)) {
    item->start = o.start;
    item->end = o.end;
  } else {
    item->start = start;
    item->end = start + appt->duration + (gint64)appt->duration_days * 86400;
  }
}

static void find_times(ConfirmItem *item, const Series *series, const Appointment *appt, const ConfirmQuery *q) {
  gint64 start = timeref_instant(&appt->start, q->local);
  if (appt->is_override || !appointment_is_recurring(appt)) {
    own_times(item, series, appt, q, start);
    item->last_end = item->end;
    return;
  }
  Occurrence o;
  if (first_of(series, appt, q->now, q->now + FUTURE_HORIZON, FUTURE_INSTANCES, q, &o, NULL, NULL)) {
    item->start = o.start;
    item->end = o.end;
    item->last_end = G_MAXINT64;
    gint64 last = o.end;
    gboolean capped = TRUE;
    if (series_bounded(appt) &&
        first_of(series, appt, q->now, q->now + FUTURE_HORIZON, BOUNDED_INSTANCES, q, &o, &last, &capped) && !capped)
      item->last_end = last;
    return;
  }
  /* Nothing to come: when it began, for the words of a late message. */
  own_times(item, series, appt, q, start);
  item->last_end = MIN(item->end, q->now);
}

static ConfirmItem *item_from(const Series *series, const Appointment *appt, const ConfirmQuery *q) {
  ConfirmItem *item = g_new0(ConfirmItem, 1);
  item->uid = g_strdup(series->uid);
  item->rid = appt->is_override ? rid_text(&appt->recurrence_id, q->local) : NULL;
  item->sequence = appt->sequence;
  item->cancelled = appt->status == STATUS_CANCELLED;
  item->client_schedules = appt->organizer->schedule_agent == SCHEDULE_AGENT_CLIENT;
  item->all_day = appt->all_day;
  item->zone = appt->start.kind == TREF_ZONED && appt->start.zone ? g_strdup(zone_name(appt->start.zone)) : NULL;
  item->repeats = !appt->is_override && appointment_is_recurring(appt)
                      ? g_strdup(rrule_freq(appt->rrules ? appt->rrules[0] : NULL))
                      : NULL;
  item->summary = g_strdup(appt->summary);
  item->location = g_strdup(appt->location);
  item->url = g_strdup(appt->url);
  item->conference = g_strdup(appt->conference);
  item->description = g_strdup(appt->description);
  item->organizer_name = g_strdup(appt->organizer->cn);
  item->organizer = g_strdup(appt->organizer->email);
  add_people(item, appt, q->owners);
  item->fingerprint = fingerprint_of(item, appt, q->local);
  item->partial = q->need && !q->need(item->uid, item->rid, item->fingerprint, q->need_data);
  if (!item->partial)
    find_times(item, series, appt, q);
  return item;
}

guint confirm_read(const char *ical, gsize len, const ConfirmQuery *q, GPtrArray *out, char **error) {
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  if (!appointments_parse(ical, len, "confirm", q->zones, series, diags)) {
    if (error)
      *error = diags->len ? g_strdup(((Diagnostic *)g_ptr_array_index(diags, 0))->message)
                          : g_strdup("no appointment in it");
    return 0;
  }
  /* Which components are wanted in full (the caller may know the rest). */
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)confirm_item_free);
  g_autoptr(GPtrArray) appts = g_ptr_array_new();
  gboolean any_full = FALSE;
  for (guint i = 0; i < series->len; i++) {
    const Series *s = g_ptr_array_index(series, i);
    guint n = (s->master ? 1 : 0) + s->overrides->len;
    for (guint k = 0; k < n; k++) {
      const Appointment *appt = s->master && k == 0 ? s->master : g_ptr_array_index(s->overrides, k - (s->master ? 1 : 0));
      if (!appt->organizer || !appt->organizer->email || !q->owners ||
          !g_strv_contains(q->owners, appt->organizer->email))
        continue;
      ConfirmItem *item = item_from(s, appt, q);
      any_full |= !item->partial;
      g_ptr_array_add(items, item);
      g_ptr_array_add(appts, (gpointer)appt);
    }
  }
  if (!any_full) {
    guint n = items->len;
    for (guint i = 0; i < n; i++)
      g_ptr_array_add(out, g_ptr_array_steal_index(items, 0));
    return n;
  }
  g_autofree char *text = g_strndup(ical, len);
  icalcomponent *root = icalparser_parse_string(text);
  if (!root) {
    if (error)
      *error = g_strdup("libical could not read it");
    return 0;
  }
  /* The VEVENTs, in order; a lone VEVENT is its own list. */
  g_autoptr(GPtrArray) events = g_ptr_array_new();
  if (icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT)
    g_ptr_array_add(events, root);
  for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT))
    g_ptr_array_add(events, c);

  guint added = items->len;
  for (guint i = 0; i < appts->len; i++) {
    const Appointment *appt = g_ptr_array_index(appts, i);
    ConfirmItem *item = g_ptr_array_index(items, i);
    if (!item->partial) {
      /* The components this item's messages carry: a master travels with
       * its overrides, an override alone. */
      g_autoptr(GPtrArray) mine = g_ptr_array_new();
      gint64 want = appt->is_override ? timeref_instant(&appt->recurrence_id, q->local) : APPT_NO_TIME;
      for (guint e = 0; e < events->len; e++) {
        icalcomponent *c = g_ptr_array_index(events, e);
        if (g_strcmp0(icalcomponent_get_uid(c), item->uid))
          continue;
        gint64 rid = component_rid(root, c, q->zones, q->local);
        if (!appt->is_override || rid == want)
          g_ptr_array_add(mine, c);
      }
      item->snapshot = snapshot_of(root, mine, q->zones);
    }
  }
  icalcomponent_free(root);
  for (guint i = 0; i < added; i++)
    g_ptr_array_add(out, g_ptr_array_steal_index(items, 0));
  return added;
}

gboolean confirm_item_future(const ConfirmItem *item, gint64 now) { return item->last_end > now; }

ConfirmKind confirm_decide(ConfirmKind told, const char *told_fp, gboolean wanted, const char *fingerprint) {
  gboolean invited = told == CONFIRM_NEW || told == CONFIRM_UPDATE;
  if (!wanted)
    return invited ? CONFIRM_CANCEL : CONFIRM_NONE;
  if (!invited)
    return CONFIRM_NEW;
  return g_strcmp0(told_fp, fingerprint) ? CONFIRM_UPDATE : CONFIRM_NONE;
}

/* ---- the iCalendar part ------------------------------------------------------------------ */

char *confirm_itip(const char *snapshot, const char *method, int sequence, const char *recipient, gint64 now) {
  if (g_ascii_strcasecmp(method, "PUBLISH") && g_ascii_strcasecmp(method, "REQUEST") &&
      g_ascii_strcasecmp(method, "CANCEL"))
    return NULL;
  if (recipient && !message_address_valid(recipient))
    return NULL;
  icalcomponent *cal = icalparser_parse_string(snapshot);
  if (!cal || icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
    if (cal)
      icalcomponent_free(cal);
    return NULL;
  }
  gboolean cancel = !g_ascii_strcasecmp(method, "CANCEL");
  gboolean publish = !g_ascii_strcasecmp(method, "PUBLISH");
  icaledit_remove_all(cal, ICAL_METHOD_PROPERTY);
  icalcomponent_add_property(cal, icalproperty_new_method(icalproperty_string_to_method(method)));
  for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
    icalcomponent_set_sequence(c, MAX(icalcomponent_get_sequence(c), sequence));
    icalcomponent_set_dtstamp(c, icaltime_from_timet_with_zone((time_t)now, 0, icaltimezone_get_utc_timezone()));
    if (publish || cancel)
      icaledit_remove_all(c, ICAL_ATTENDEE_PROPERTY);
    if (cancel) {
      icalcomponent_set_status(c, ICAL_STATUS_CANCELLED);
      if (recipient) {
        g_autofree char *addr = g_strconcat("mailto:", recipient, NULL);
        icalcomponent_add_property(c, icalproperty_new_attendee(addr));
      }
    }
  }
  char *text = icalcomponent_as_ical_string_r(cal);
  icalcomponent_free(cal);
  return text;
}

/* ---- words ----------------------------------------------------------------------------------- */

static const char *const WEEKDAYS[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
static const char *const MONTHS[] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

static void append_date(GString *out, gint64 local) {
  gint64 day = seconds_to_days(local);
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  g_string_append_printf(out, "%s %d %s %d", WEEKDAYS[days_to_weekday(day)], d, MONTHS[m - 1], y);
}

static void append_clock(GString *out, gint64 local) {
  gint64 s = local - seconds_to_days(local) * 86400;
  g_string_append_printf(out, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
}

char *confirm_format_when(gint64 start, gint64 end, gboolean all_day, Zone *tz) {
  GString *out = g_string_new(NULL);
  gint64 ls = zone_to_local(tz, start), le = zone_to_local(tz, end);
  append_date(out, ls);
  if (all_day) {
    gint64 last = seconds_to_days(le - 1);
    if (last > seconds_to_days(ls)) {
      g_string_append(out, " to ");
      append_date(out, last * 86400);
    }
    g_string_append(out, " (all day)");
    return g_string_free(out, FALSE);
  }
  g_string_append(out, ", ");
  append_clock(out, ls);
  g_string_append(out, "\u2013");
  if (seconds_to_days(le) != seconds_to_days(ls)) {
    append_date(out, le);
    g_string_append(out, " ");
  }
  append_clock(out, le);
  int off = zone_offset_at(tz, start);
  if (off == 0 && (!strcmp(zone_name(tz), "UTC") || !strcmp(zone_name(tz), "Etc/UTC")))
    g_string_append(out, " (UTC)");
  else
    g_string_append_printf(out, " (%s, UTC%c%02d:%02d)", zone_name(tz), off < 0 ? '-' : '+', ABS(off) / 3600,
                           ABS(off) / 60 % 60);
  return g_string_free(out, FALSE);
}

char *confirm_format_when_short(gint64 start, gboolean all_day, Zone *tz) {
  gint64 local = zone_to_local(tz, start);
  gint64 day = seconds_to_days(local);
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "%.3s %d %.3s %d", WEEKDAYS[days_to_weekday(day)], d, MONTHS[m - 1], y);
  if (!all_day) {
    g_string_append_c(out, ' ');
    append_clock(out, local);
  }
  return g_string_free(out, FALSE);
}

static char *when_text(const ConfirmItem *item, Zone *tz) {
  char *when = confirm_format_when(item->start, item->end, item->all_day, tz);
  if (!item->repeats)
    return when;
  char *full = g_strdup_printf("%s, repeating %s", when, item->repeats);
  g_free(when);
  return full;
}

static char *map_link(const char *location) {
  if (!location || !*location || place_is_link(location))
    return NULL;
  g_autofree char *q = g_uri_escape_string(location, NULL, FALSE);
  return g_strconcat("https://www.openstreetmap.org/search?query=", q, NULL);
}

static gboolean same_text(const char *a, const char *b) {
  g_autofree char *x = place_normalise(a), *y = place_normalise(b);
  return !g_strcmp0(x, y);
}

static void list_diff(GString *out, const ConfirmItem *now, const ConfirmItem *before) {
  g_autoptr(GString) added = g_string_new(NULL), removed = g_string_new(NULL);
  for (int pass = 0; pass < 2; pass++) {
    const ConfirmItem *a = pass ? before : now, *b = pass ? now : before;
    GString *to = pass ? removed : added;
    for (guint i = 0; i < a->recipients->len; i++) {
      const ConfirmRecipient *r = g_ptr_array_index(a->recipients, i);
      gboolean found = FALSE;
      for (guint j = 0; j < b->recipients->len && !found; j++)
        found = !strcmp(r->address, ((ConfirmRecipient *)g_ptr_array_index(b->recipients, j))->address);
      if (!found)
        g_string_append_printf(to, "%s%s", to->len ? ", " : "", r->name ? r->name : r->address);
    }
  }
  if (added->len)
    g_string_append_printf(out, "%sNow also invited: %s.", out->len ? "\n" : "", added->str);
  if (removed->len)
    g_string_append_printf(out, "%sNo longer invited: %s.", out->len ? "\n" : "", removed->str);
}

static char *changes_text(const ConfirmItem *now, const ConfirmItem *before) {
  GString *out = g_string_new(NULL);
  if (g_strcmp0(now->timing, before->timing))
    g_string_append(out, now->start != before->start || now->end != before->end ||
                                 g_strcmp0(now->repeats, before->repeats)
                             ? "The time has changed."
                             : "The dates of the series have changed.");
  if (!same_text(now->location, before->location))
    g_string_append_printf(out, "%sThe place has changed%s%s%s.", out->len ? "\n" : "",
                           before->location ? " (it was " : "", before->location ? before->location : "",
                           before->location ? ")" : "");
  if (g_strcmp0(now->conference, before->conference) || g_strcmp0(now->url, before->url))
    g_string_append_printf(out, "%sThe meeting link has changed.", out->len ? "\n" : "");
  list_diff(out, now, before);
  if (now->cancelled != before->cancelled && !now->cancelled)
    g_string_append_printf(out, "%sIt is going ahead again.", out->len ? "\n" : "");
  if (!out->len)
    g_string_append(out, "The details have changed.");
  return g_string_free(out, FALSE);
}

static void put(GHashTable *vars, const char *name, char *value) {
  g_hash_table_insert(vars, g_strdup(name), value ? value : g_strdup(""));
}

GHashTable *confirm_vars(const ConfirmItem *item, const ConfirmItem *previous, ConfirmKind kind,
                         const ConfirmRecipient *recipient, Zone *tz, const char *owner_name,
                         const char *owner_address, const char *reason) {
  GHashTable *vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  put(vars, "summary", g_strdup(item->summary && *item->summary ? item->summary : "Appointment"));
  put(vars, "when", when_text(item, tz));
  put(vars, "when_short", confirm_format_when_short(item->start, item->all_day, tz));
  put(vars, "when_recipient", NULL);
  gboolean moved = previous && g_strcmp0(previous->timing, item->timing) &&
                   (previous->start != item->start || previous->end != item->end);
  put(vars, "previous_when", kind == CONFIRM_UPDATE && moved ? when_text(previous, tz) : NULL);
  gboolean link = item->location && place_is_link(item->location);
  put(vars, "where", link ? NULL : g_strdup(item->location));
  put(vars, "map_link", map_link(item->location));
  put(vars, "conference", g_strdup(item->conference ? item->conference : link ? item->location : NULL));
  put(vars, "url", g_strdup(item->url));
  GString *who = g_string_new(NULL);
  for (guint i = 0; i < item->people->len; i++)
    g_string_append_printf(who, "%s%s", i ? "\n" : "", (const char *)g_ptr_array_index(item->people, i));
  put(vars, "who", g_string_free(who, who->len == 0));
  put(vars, "organizer", owner_name && *owner_name ? g_strdup_printf("%s <%s>", owner_name, owner_address)
                                                   : g_strdup(owner_address));
  put(vars, "requirements", g_strdup(item->description));
  put(vars, "changes", kind == CONFIRM_UPDATE && previous ? changes_text(item, previous) : NULL);
  put(vars, "reason", g_strdup(reason));
  put(vars, "recipient_name", g_strdup(recipient->name ? recipient->name : recipient->address));
  put(vars, "reply_hint", g_strdup_printf("To ask for another time, or if you cannot come, reply to this email "
                                          "and %s will get back to you.",
                                          owner_name && *owner_name ? owner_name : owner_address));
  return vars;
}
