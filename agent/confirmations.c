/* confirmations: see confirmations.h.
 *
 * Who was told what is read from the outbox itself: for one appointment
 * and one recipient, the newest row that went (or may have gone: sending)
 * or that records knowledge without a message (baseline, server) is what
 * they know; rows still queued are replaced when a newer change comes
 * before they went.  confirm_decide() then says which message, if any, the
 * recipient needs now.  So a move and a move back before anything went
 * out sends nothing, a new appointment held in conflict and then moved
 * sends one "new" message with the final time, and an attendee removed
 * gets a cancellation only if they had been invited. */
#include "confirmations.h"

#include <string.h>

#include "agentlog.h"
#include "message.h"

/* More deleted appointments than this in one refresh: their cancellations
 * wait for the owner (a calendar emptied by mistake must not mail everyone). */
#define MASS_CANCEL 10

extern const char *const diaryd_default_templates[][2];

const char *confirmations_sender(const DiarydConfig *cfg, const char *const *owners, const char **name) {
  if (name)
    *name = cfg->mail.from_name;
  if (cfg->mail.from)
    return cfg->mail.from;
  return owners && owners[0] && message_address_valid(owners[0]) ? owners[0] : NULL;
}

char *confirmations_template_text(const DiarydConfig *cfg, ConfirmKind kind, char **path, GError **error) {
  g_autofree char *folder =
      cfg->mail.templates ? g_strdup(cfg->mail.templates) : g_build_filename(g_get_user_config_dir(), "diaryd", "templates", NULL);
  g_autofree char *file = g_strdup_printf("%s/%s.txt", folder, confirm_kind_name(kind));
  char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (g_file_get_contents(file, &text, NULL, &local)) {
    if (path)
      *path = g_steal_pointer(&file);
    return text;
  }
  if (!g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  for (guint i = 0; diaryd_default_templates[i][0]; i++)
    if (!strcmp(diaryd_default_templates[i][0], confirm_kind_name(kind))) {
      if (path)
        *path = g_strdup_printf("(built-in %s.txt)", confirm_kind_name(kind));
      return g_strdup(diaryd_default_templates[i][1]);
    }
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no template for %s messages", confirm_kind_name(kind));
  return NULL;
}

/* ---- one run ---------------------------------------------------------------------------------- */

typedef struct {
  const ConfirmRun *run;
  ConfirmCounts *counts;
  const char *sender, *sender_name;
  MessageTemplate *templates[4]; /* by ConfirmKind */
  GHashTable *items;      /* "uid\x1frid" → ConfirmItem* (owned) */
  GHashTable *item_cal;   /* same key → StoreCalendar* (borrowed from calendars) */
  GHashTable *active;     /* calendar id (gint64*) set: confirm on, complete */
  GPtrArray *calendars;   /* StoreCalendar* */
  GHashTable *before;     /* "uid\x1frid" → StoreConfirmItem*: what was recorded */
  GHashTable *fresh_cals; /* calendar ids (gint64*) seen for the first time: their baseline */
  const StoreCalendar *reading; /* the calendar being read (borrowed from calendars) */
  GHashTable *overridden; /* uids (borrowed from before) with a recorded override: their series are read in full */
  ConfirmQuery query;
} Plan;

static char *item_key(const char *uid, const char *rid) { return g_strconcat(uid, "\x1f", rid ? rid : "", NULL); }

static gboolean load_templates(Plan *p) {
  for (ConfirmKind k = CONFIRM_NEW; k <= CONFIRM_CANCEL; k++) {
    g_autofree char *path = NULL, *why = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = confirmations_template_text(p->run->cfg, k, &path, &error);
    if (text)
      p->templates[k] = message_template_parse(text, strlen(text), NULL, &why);
    if (!p->templates[k]) {
      agent_log(ALOG_ERROR, "confirmation template %s: %s: no confirmation emails are queued until it is fixed",
                path ? path : confirm_kind_name(k), error ? error->message : why);
      return FALSE;
    }
  }
  return TRUE;
}

/* An appointment whose fingerprint is the one recorded needs no more
 * reading (the common case: most of a diary does not change). */
static gboolean need_in_full(const char *uid, const char *rid, const char *fingerprint, gpointer data) {
  Plan *p = data;
  if (g_hash_table_contains(p->fresh_cals, &p->reading->id) || (!rid && g_hash_table_contains(p->overridden, uid)))
    return TRUE;
  g_autofree char *key = item_key(uid, rid);
  const StoreConfirmItem *prev = g_hash_table_lookup(p->before, key);
  return !prev || prev->deleted || prev->blocked || strcmp(prev->fingerprint, fingerprint);
}

/* An object that does not read was reported by the sync that stored it. */
static void read_object(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  Plan *p = data;
  (void)cal;
  (void)href;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)confirm_item_free);
  confirm_read(ical, len, &p->query, items, NULL);
  for (guint i = 0; i < items->len; i++) {
    ConfirmItem *item = g_ptr_array_index(items, i);
    char *key = item_key(item->uid, item->rid);
    if (g_hash_table_contains(p->items, key)) {
      g_free(key);
      continue; /* the same appointment in two calendars: the first one speaks */
    }
    g_hash_table_insert(p->item_cal, g_strdup(key), (gpointer)p->reading);
    g_hash_table_insert(p->items, key, g_ptr_array_steal_index(items, i--));
  }
}

static gboolean calendar_confirms(const DiarydConfig *cfg, const StoreCalendar *cal) {
  if (!diaryd_config_account(cfg, cal->account))
    return FALSE;
  return calendar_settings_confirm(diaryd_config_calendar(cfg, cal->account, cal->name, cal->url));
}

/* What one recipient knows about an appointment, from its outbox rows. */
typedef struct {
  ConfirmKind told;
  const char *told_fp;
  const char *thread;      /* the first message's id (borrowed) */
  const char *name;
} Known;

static Known known_of(GPtrArray *rows, const char *address) {
  Known k = {CONFIRM_NONE, NULL, NULL, NULL};
  for (guint i = 0; i < rows->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    if (strcmp(r->recipient, address))
      continue;
    /* The thread starts at the first message that went. */
    if (!k.thread && (r->state == OUTBOX_SENDING || r->state == OUTBOX_SENT))
      k.thread = r->thread ? r->thread : r->message_id;
    if (outbox_state_told(r->state)) {
      ConfirmKind kind = confirm_kind_from_name(r->kind);
      k.told = kind == CONFIRM_CANCEL ? CONFIRM_NONE : kind;
      k.told_fp = r->fingerprint;
    }
  }
  return k;
}

static gboolean supersede_queued(Plan *p, GPtrArray *rows, const char *address, GError **error) {
  for (guint i = 0; i < rows->len; i++) {
    StoreOutboxRow *r = g_ptr_array_index(rows, i);
    if (!strcmp(r->recipient, address) && outbox_state_queued(r->state)) {
      if (!store_outbox_set_state(p->run->store, r->id, OUTBOX_SUPERSEDED, "replaced by a newer change", 0,
                                  p->run->now, error))
        return FALSE;
      r->state = OUTBOX_SUPERSEDED;
    }
  }
  return TRUE;
}

typedef struct {
  const ConfirmItem *item;     /* what the message describes */
  const ConfirmItem *previous; /* what was known before, or NULL */
  const char *snapshot;
  int sequence;
  gboolean server;            /* the server schedules: no calendar part */
  gboolean record_only;       /* the server mails itself: a row without a message */
  const char *hold;           /* hold reason, or NULL */
  gboolean force;             /* an update even where the fingerprint is what they were told */
} Change;

static gboolean enqueue(Plan *p, const Change *c, ConfirmKind kind, const ConfirmRecipient *to, const Known *known,
                        GError **error) {
  const ConfirmRun *run = p->run;
  const DiarydConfig *cfg = run->cfg;
  const ConfirmItem *item = c->item;
  g_autofree char *key = g_strdup_printf("%s|%s|%d|%s|%s", item->uid, item->rid ? item->rid : "", c->sequence,
                                         to->address, confirm_kind_name(kind));
  const char *domain = strrchr(p->sender, '@') + 1;
  g_autofree char *message_id = message_id_make(key, domain);
  StoreOutboxRow row = {.uid = item->uid, .rid = item->rid ? item->rid : "", .sequence = c->sequence,
                        .recipient = to->address, .kind = (char *)confirm_kind_name(kind),
                        .fingerprint = item->fingerprint, .message_id = message_id,
                        .thread = (char *)known->thread, .sender = (char *)p->sender, .summary = item->summary,
                        .start = item->start, .created = run->now};
  g_autoptr(GBytes) bytes = NULL;
  if (c->record_only) {
    row.state = OUTBOX_SERVER;
  } else {
    const char *method = kind == CONFIRM_CANCEL ? "CANCEL" : cfg->mail.method_request ? "REQUEST" : "PUBLISH";
    g_autofree char *ics = c->server ? NULL : confirm_itip(c->snapshot, method, c->sequence, to->address, run->now);
    g_autoptr(GHashTable) vars = confirm_vars(item, c->previous, kind, to, run->tz, p->sender_name, p->sender, NULL);
    /* The recipient's own time, when the owner said where they are. */
    const char *their = mail_settings_recipient_zone(&cfg->mail, to->address);
    Zone *tz = their ? zones_lookup_exact(run->zones, their) : NULL;
    if (tz && tz != run->tz && strcmp(zone_name(tz), zone_name(run->tz)))
      g_hash_table_replace(vars, g_strdup("when_recipient"),
                           confirm_format_when(item->start, item->end, item->all_day, tz));
    g_autofree char *subject = NULL;
    g_autofree char *body = message_template_render(p->templates[kind], vars, &subject);
    g_autofree char *html = message_text_to_html(body);
    MessageSpec spec = {.from_name = p->sender_name, .from = p->sender, .to_name = to->name, .to = to->address,
                        .reply_to = cfg->mail.reply_to, .subject = subject, .message_id = message_id,
                        .in_reply_to = known->thread, .date = run->now,
                        .utc_offset = zone_offset_at(run->tz, run->now), .text = body, .html = html, .ics = ics,
                        .method = method};
    gsize len = 0;
    g_autofree char *why = NULL;
    char *msg = message_build(&spec, &len, &why);
    if (!msg) {
      agent_log(ALOG_ERROR, "confirmation of \"%s\" to %s not queued: %s", item->summary ? item->summary : item->uid,
                to->address, why);
      return TRUE;
    }
    bytes = g_bytes_new_take(msg, len);
    row.message = bytes;
    row.state = c->hold ? OUTBOX_HELD : OUTBOX_PENDING;
    row.hold = (char *)c->hold;
  }
  gboolean added = FALSE;
  if (!store_outbox_add(run->store, &row, &added, error))
    return FALSE;
  if (added && row.state == OUTBOX_HELD)
    p->counts->held++;
  else if (added && row.state == OUTBOX_PENDING)
    p->counts->queued++;
  if (added && !c->record_only)
    agent_log(ALOG_INFO, "%s %s of \"%s\" to %s%s%s%s", row.state == OUTBOX_HELD ? "holding" : "queued",
              kind == CONFIRM_NEW ? "a confirmation" : kind == CONFIRM_UPDATE ? "an update" : "a cancellation",
              item->summary ? item->summary : item->uid, to->address, row.hold ? " (" : "",
              row.hold ? row.hold : "", row.hold ? ")" : "");
  return TRUE;
}

/* The previous state of an item, read back from its snapshot. */
static ConfirmItem *item_from_snapshot(Plan *p, const char *snapshot, const char *uid, const char *rid) {
  if (!snapshot || !*snapshot)
    return NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)confirm_item_free);
  ConfirmQuery whole = p->query;
  whole.need = NULL;
  confirm_read(snapshot, strlen(snapshot), &whole, items, NULL);
  for (guint i = 0; i < items->len; i++) {
    ConfirmItem *it = g_ptr_array_index(items, i);
    if (!g_strcmp0(it->uid, uid) && !g_strcmp0(it->rid ? it->rid : "", rid ? rid : ""))
      return g_ptr_array_steal_index(items, i);
  }
  return NULL;
}

void confirmations_alert(Store *store, const char *summary, const char *body, gint64 now) {
  StoreAlert a = {.created = now, .kind = "mail", .urgency = ALERT_NORMAL, .summary = (char *)summary,
                  .body = (char *)body};
  g_autoptr(GError) error = NULL;
  if (!store_alert_add(store, &a, &error))
    agent_log(ALOG_WARNING, "could not record an alert: %s", error->message);
}

static void alert(Plan *p, const char *summary, const char *body) {
  confirmations_alert(p->run->store, summary, body, p->run->now);
}

/* Tells each recipient what they need about `c->item`: `wanted` are those
 * who should know it now (empty for a cancellation or deletion). */
static gboolean tell(Plan *p, const Change *c, GPtrArray *wanted, GError **error) {
  const ConfirmItem *item = c->item;
  g_autoptr(GPtrArray) rows = store_outbox_rows(p->run->store, item->uid, item->rid, error);
  if (!rows)
    return FALSE;
  /* Everyone who ever heard of it, and everyone who should now. */
  g_autoptr(GPtrArray) everyone = g_ptr_array_new();
  for (guint i = 0; i < wanted->len; i++)
    g_ptr_array_add(everyone, g_ptr_array_index(wanted, i));
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < rows->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    /* Outside allow_domains now: they hear nothing more, not even a cancellation. */
    if (!mail_settings_domain_allowed(&p->run->cfg->mail, r->recipient))
      continue;
    gboolean seen = FALSE;
    for (guint j = 0; j < everyone->len && !seen; j++)
      seen = !strcmp(((ConfirmRecipient *)g_ptr_array_index(everyone, j))->address, r->recipient);
    if (!seen) {
      ConfirmRecipient *gone = g_new0(ConfirmRecipient, 1);
      gone->address = r->recipient; /* borrowed from rows */
      g_ptr_array_add(extra, gone);
      g_ptr_array_add(everyone, gone);
    }
  }
  /* An occurrence moved on its own (a new override) is news about an
   * appointment its attendees already know: what they were told of the
   * series counts for it. */
  g_autoptr(GPtrArray) series_rows = item->rid ? store_outbox_rows(p->run->store, item->uid, "", error) : NULL;
  if (item->rid && !series_rows)
    return FALSE;
  for (guint i = 0; i < everyone->len; i++) {
    const ConfirmRecipient *to = g_ptr_array_index(everyone, i);
    Known known = known_of(rows, to->address);
    if (series_rows && known.told == CONFIRM_NONE && !known.thread) {
      Known series = known_of(series_rows, to->address);
      if (series.told != CONFIRM_NONE) {
        known.told = CONFIRM_UPDATE;
        known.told_fp = "";
        known.thread = series.thread;
      }
    }
    gboolean wants = i < wanted->len;
    ConfirmKind kind = confirm_decide(known.told, known.told_fp, wants, item->fingerprint);
    if (c->force && kind == CONFIRM_NONE && wants && known.told != CONFIRM_NONE)
      kind = CONFIRM_UPDATE;
    if (!supersede_queued(p, rows, to->address, error))
      return FALSE;
    if (kind == CONFIRM_NONE)
      continue;
    Change mine = *c;
    if (kind == CONFIRM_CANCEL)
      mine.hold = c->hold && g_str_has_prefix(c->hold, "mass") ? c->hold : NULL; /* a cancellation frees the slot */
    if (!enqueue(p, &mine, kind, to, &known, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean put_item(Plan *p, const ConfirmItem *item, gint64 calendar, int sequence, const char *blocked,
                         GError **error) {
  StoreConfirmItem row = {.uid = item->uid, .rid = item->rid ? item->rid : "", .calendar = calendar,
                          .fingerprint = item->fingerprint, .sequence = sequence, .last_end = item->last_end,
                          .snapshot = item->snapshot, .blocked = (char *)blocked};
  return store_confirm_item_put(p->run->store, &row, p->run->now, error);
}

/* A calendar's first look: everything already there is known. */
static gboolean seed(Plan *p, const ConfirmItem *item, gint64 calendar, GError **error) {
  if (!put_item(p, item, calendar, item->sequence, NULL, error))
    return FALSE;
  if (item->cancelled)
    return TRUE;
  for (guint i = 0; i < item->recipients->len; i++) {
    const ConfirmRecipient *r = g_ptr_array_index(item->recipients, i);
    g_autofree char *key = g_strdup_printf("%s|%s|%d|%s|baseline", item->uid, item->rid ? item->rid : "",
                                           item->sequence, r->address);
    g_autofree char *id = message_id_make(key, "diaryd.invalid");
    StoreOutboxRow row = {.uid = item->uid, .rid = item->rid ? item->rid : "", .sequence = item->sequence,
                          .recipient = r->address, .kind = "new", .fingerprint = item->fingerprint,
                          .state = OUTBOX_BASELINE, .message_id = id, .summary = item->summary,
                          .start = item->start, .created = p->run->now};
    if (!store_outbox_add(p->run->store, &row, NULL, error))
      return FALSE;
  }
  p->counts->baseline++;
  return TRUE;
}

static GPtrArray *allowed_recipients(Plan *p, const ConfirmItem *item, gboolean log) {
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; i < item->recipients->len; i++) {
    ConfirmRecipient *r = g_ptr_array_index(item->recipients, i);
    if (mail_settings_domain_allowed(&p->run->cfg->mail, r->address))
      g_ptr_array_add(out, r);
    else if (log)
      agent_log(ALOG_NOTICE, "no confirmation of \"%s\" to %s: its domain is not in [mail] allow_domains",
                item->summary ? item->summary : item->uid, r->address);
  }
  if (log)
    for (guint i = 0; i < item->refused->len; i++)
      agent_log(ALOG_NOTICE, "no confirmation of \"%s\" to %s", item->summary ? item->summary : item->uid,
                (const char *)g_ptr_array_index(item->refused, i));
  return out;
}

static gboolean plan_item(Plan *p, const ConfirmItem *item, const StoreCalendar *cal, const StoreConfirmItem *prev,
                          GError **error) {
  const ConfirmRun *run = p->run;
  const MailSettings *mail = &run->cfg->mail;
  gboolean changed = !prev || prev->deleted || strcmp(prev->fingerprint, item->fingerprint);
  int sequence = !prev ? item->sequence : changed ? MAX(item->sequence, prev->sequence + 1) : prev->sequence;
  gboolean future = confirm_item_future(item, run->now);
  g_autoptr(GPtrArray) wanted = allowed_recipients(p, item, changed && future);
  g_autofree char *blocked = NULL;
  if (future && wanted->len > mail->max_recipients)
    blocked = g_strdup_printf("%u recipients, more than max_recipients (%u)", wanted->len, mail->max_recipients);
  if (!put_item(p, item, cal->id, sequence, blocked, error))
    return FALSE;
  if (!future)
    return TRUE; /* the past is not news */
  const char *what = item->summary ? item->summary : item->uid;
  if (blocked) {
    if (changed || g_strcmp0(prev->blocked, blocked)) {
      g_autofree char *when = confirm_format_when(item->start, item->end, item->all_day, run->tz);
      g_autofree char *body = g_strdup_printf(
          "\"%s\" (%s) has %u attendees to write to, more than max_recipients (%u) allows: nothing was sent. Raise "
          "max_recipients in the [mail] section if they should all hear from you.",
          what, when, wanted->len, mail->max_recipients);
      agent_log(ALOG_WARNING, "no confirmations for \"%s\": %s", what, blocked);
      alert(p, "Confirmations not sent: too many attendees", body);
    }
    p->counts->blocked++;
    return TRUE;
  }
  gboolean server = store_account_auto_schedule(run->store, cal->account) && !item->client_schedules;
  const char *clash = item->cancelled || !mail->hold_on_conflict ? NULL : g_hash_table_lookup(run->conflicts, item->uid);
  g_autofree char *hold = clash ? g_strdup_printf("conflict: %s", clash) : NULL;
  g_autoptr(ConfirmItem) previous = prev ? item_from_snapshot(p, prev->snapshot, item->uid, item->rid) : NULL;
  Change c = {.item = item, .previous = previous, .snapshot = item->snapshot, .sequence = sequence, .server = server,
              .record_only = server && mail->auto_schedule_skip, .hold = hold};
  guint held_before = p->counts->held;
  g_autoptr(GPtrArray) none = g_ptr_array_new();
  if (!tell(p, &c, item->cancelled ? none : wanted, error))
    return FALSE;
  if (p->counts->held > held_before) {
    g_autofree char *when = confirm_format_when(item->start, item->end, item->all_day, run->tz);
    g_autofree char *body = g_strdup_printf("\"%s\" (%s) clashes with %s. Its confirmation goes to the attendees "
                                            "once the clash is resolved (or `diaryd outbox retry all` sends it now).",
                                            what, when, clash);
    alert(p, "Confirmation held: double booking", body);
  }
  return TRUE;
}

static gboolean plan_deleted(Plan *p, StoreConfirmItem *prev, gboolean mass, GError **error) {
  prev->deleted = TRUE;
  if (!store_confirm_item_put(p->run->store, prev, p->run->now, error))
    return FALSE;
  if (prev->last_end <= p->run->now)
    return TRUE;
  g_autoptr(ConfirmItem) last = item_from_snapshot(p, prev->snapshot, prev->uid, prev->rid);
  if (!last) {
    agent_log(ALOG_WARNING, "appointment %s was deleted, but what its attendees were told cannot be read back: no "
                            "cancellation sent", prev->uid);
    return TRUE;
  }
  g_autofree char *hold =
      mass ? g_strdup_printf("mass deletion: more than %d appointments vanished at once; `diaryd outbox retry all` "
                             "sends their cancellations", MASS_CANCEL)
           : NULL;
  Change c = {.item = last, .previous = NULL, .snapshot = prev->snapshot, .sequence = prev->sequence + 1,
              .hold = hold};
  g_autoptr(GPtrArray) none = g_ptr_array_new();
  return tell(p, &c, none, error);
}

/* An occurrence moved on its own and then put back (its override removed):
 * the series' attendees get the series again, which puts it back for them
 * too.  A cancellation would drop an occurrence that still takes place. */
static gboolean plan_reverted(Plan *p, const ConfirmItem *master, const StoreCalendar *cal,
                              const StoreConfirmItem *prev, GError **error) {
  /* A series that changed itself was told already, by plan_item(). */
  if (!confirm_item_future(master, p->run->now) || master->partial || prev->blocked ||
      strcmp(prev->fingerprint, master->fingerprint))
    return TRUE;
  int sequence = MAX(master->sequence, prev->sequence + 1);
  if (!put_item(p, master, cal->id, sequence, NULL, error))
    return FALSE;
  g_autoptr(ConfirmItem) previous = item_from_snapshot(p, prev->snapshot, master->uid, NULL);
  gboolean server = store_account_auto_schedule(p->run->store, cal->account) && !master->client_schedules;
  Change c = {.item = master, .previous = previous, .snapshot = master->snapshot, .sequence = sequence,
              .server = server, .record_only = server && p->run->cfg->mail.auto_schedule_skip, .force = TRUE};
  g_autoptr(GPtrArray) wanted = allowed_recipients(p, master, FALSE);
  if (master->cancelled)
    g_ptr_array_set_size(wanted, 0);
  return tell(p, &c, wanted, error);
}

/* Held for a conflict that has cleared: on their way now. */
static gboolean release_cleared(Plan *p, GError **error) {
  g_autoptr(GPtrArray) held = store_outbox_list(p->run->store, OUTBOX_HELD, 0, error);
  if (!held)
    return FALSE;
  for (guint i = 0; i < held->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(held, i);
    if (!r->hold || !g_str_has_prefix(r->hold, "conflict") ||
        (p->run->cfg->mail.hold_on_conflict && g_hash_table_contains(p->run->conflicts, r->uid)))
      continue;
    if (!store_outbox_set_state(p->run->store, r->id, OUTBOX_PENDING, NULL, 0, p->run->now, error))
      return FALSE;
    p->counts->released++;
    agent_log(ALOG_INFO, "the clash of \"%s\" is resolved: its confirmation to %s goes out",
              r->summary ? r->summary : r->uid, r->recipient);
  }
  return TRUE;
}

static void plan_clear(Plan *p) {
  for (guint k = 0; k < G_N_ELEMENTS(p->templates); k++)
    message_template_free(p->templates[k]);
  if (p->items)
    g_hash_table_unref(p->items);
  if (p->item_cal)
    g_hash_table_unref(p->item_cal);
  if (p->active)
    g_hash_table_unref(p->active);
  if (p->calendars)
    g_ptr_array_unref(p->calendars);
  if (p->before)
    g_hash_table_unref(p->before);
  if (p->fresh_cals)
    g_hash_table_unref(p->fresh_cals);
  if (p->overridden)
    g_hash_table_unref(p->overridden);
}

/* Reads every calendar that sends confirmations.  A calendar seen for the
 * first time (or again after confirmations were off for it) is a baseline;
 * what waits for a calendar that no longer sends them is dropped. */
static gboolean read_calendars(Plan *p, GError **error) {
  const ConfirmRun *run = p->run;
  g_autoptr(GArray) confirming = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (guint i = 0; i < p->calendars->len; i++) {
    const StoreCalendar *cal = g_ptr_array_index(p->calendars, i);
    g_autofree char *seeded = g_strdup_printf("confirm.seeded.%" G_GINT64_FORMAT, cal->id);
    if (!calendar_confirms(run->cfg, cal)) {
      if (store_value_int(run->store, seeded, 0) && !store_value_set_int(run->store, seeded, 0, error))
        return FALSE;
      continue;
    }
    g_array_append_val(confirming, cal->id);
    if (!cal->complete)
      continue; /* a sync cut short: not the whole calendar, nothing to conclude */
    g_hash_table_add(p->active, g_memdup2(&cal->id, sizeof cal->id));
    if (!store_value_int(run->store, seeded, 0)) {
      g_hash_table_add(p->fresh_cals, g_memdup2(&cal->id, sizeof cal->id));
      if (!store_value_set_int(run->store, seeded, run->now, error))
        return FALSE;
    }
    p->reading = cal;
    if (!store_foreach_object(run->store, cal->id, read_object, p, error))
      return FALSE;
  }
  return store_outbox_drop_calendars(run->store, (const gint64 *)(void *)confirming->data, confirming->len,
                                     "its calendar no longer sends confirmations", run->now, error);
}

/* Appointments gone from a calendar that is still watched and complete. */
static gboolean plan_gone(Plan *p, GError **error) {
  const ConfirmRun *run = p->run;
  g_autoptr(GPtrArray) gone = g_ptr_array_new();
  g_autoptr(GHashTable) gone_uids = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) reverted = g_hash_table_new(g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, p->before);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    StoreConfirmItem *prev = value;
    if (prev->deleted || g_hash_table_contains(p->items, key) || !g_hash_table_contains(p->active, &prev->calendar))
      continue;
    g_autofree char *master = item_key(prev->uid, NULL);
    gboolean silent = g_hash_table_contains(p->fresh_cals, &prev->calendar);
    if (!silent && *prev->rid && g_hash_table_contains(p->items, master)) {
      g_hash_table_add(reverted, prev->uid); /* the occurrence is back in its series */
      silent = TRUE;
    } else if (!silent && !g_hash_table_contains(p->items, master) && store_uid_stored(run->store, prev->uid)) {
      silent = TRUE; /* moved to a calendar that sends no confirmations: it still takes place */
      agent_log(ALOG_INFO, "\"%s\" moved to a calendar without confirmations: no cancellation sent", prev->uid);
    }
    if (silent) {
      prev->deleted = TRUE;
      if (!store_confirm_item_put(run->store, prev, run->now, error))
        return FALSE;
      continue;
    }
    g_ptr_array_add(gone, prev);
    if (prev->last_end > run->now)
      g_hash_table_add(gone_uids, prev->uid);
  }
  guint future_gone = g_hash_table_size(gone_uids);
  gboolean mass = future_gone > MASS_CANCEL;
  if (mass) {
    g_autofree char *body = g_strdup_printf(
        "%u appointments vanished from your calendars at once. Their cancellations are held: `diaryd outbox list` "
        "shows them, `diaryd outbox retry all` sends them, `diaryd outbox drop ID` drops one.",
        future_gone);
    alert(p, "Cancellations held: many appointments deleted", body);
  }
  for (guint i = 0; i < gone->len; i++)
    if (!plan_deleted(p, g_ptr_array_index(gone, i), mass, error))
      return FALSE;
  g_hash_table_iter_init(&it, reverted);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    g_autofree char *master = item_key(key, NULL);
    const ConfirmItem *item = g_hash_table_lookup(p->items, master);
    const StoreConfirmItem *prev = g_hash_table_lookup(p->before, master);
    if (item && prev && !plan_reverted(p, item, g_hash_table_lookup(p->item_cal, master), prev, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean run_plan(Plan *p, GError **error) {
  const ConfirmRun *run = p->run;
  p->calendars = store_calendars(run->store, NULL, error);
  p->before = p->calendars ? store_confirm_items(run->store, error) : NULL;
  if (!p->before)
    return FALSE;
  p->active = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  p->items = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)confirm_item_free);
  p->item_cal = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  p->fresh_cals = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  p->overridden = g_hash_table_new(g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, p->before);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    const StoreConfirmItem *prev = value;
    if (*prev->rid && !prev->deleted)
      g_hash_table_add(p->overridden, prev->uid);
  }
  if (!read_calendars(p, error))
    return FALSE;
  if (g_hash_table_size(p->active) && load_templates(p)) {
    g_hash_table_iter_init(&it, p->items);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      const ConfirmItem *item = value;
      const StoreCalendar *cal = g_hash_table_lookup(p->item_cal, key);
      const StoreConfirmItem *prev = g_hash_table_lookup(p->before, key);
      gboolean ok;
      if (g_hash_table_contains(p->fresh_cals, &cal->id) && !g_hash_table_contains(run->news, item->uid))
        ok = seed(p, item, cal->id, error);
      else if (prev && !prev->deleted && !strcmp(prev->fingerprint, item->fingerprint) && !prev->blocked)
        ok = TRUE; /* nothing an attendee needs to hear */
      else
        ok = plan_item(p, item, cal, prev, error);
      if (!ok)
        return FALSE;
    }
    if (!plan_gone(p, error))
      return FALSE;
  }
  return release_cleared(p, error);
}

gboolean confirmations_refresh(const ConfirmRun *run, ConfirmCounts *counts, GError **error) {
  memset(counts, 0, sizeof *counts);
  Plan p = {.run = run, .counts = counts};
  p.sender = confirmations_sender(run->cfg, run->owners, &p.sender_name);
  if (!p.sender)
    return TRUE;
  p.query = (ConfirmQuery){.owners = run->owners, .zones = run->zones, .local = run->tz, .now = run->now,
                           .need = need_in_full, .need_data = &p};
  gboolean ok = run_plan(&p, error);
  plan_clear(&p);
  return ok;
}
