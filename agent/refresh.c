/* refresh: `diaryd refresh`, the agent's check of the diary after a change.
 *
 * The agent runs it as a child process after every sync that wrote to the
 * journal, after every change in the local calendar folder, at local
 * midnight and every few hours; a person may run it too.  It reads the
 * whole diary (the synced store and the local folder), checks the next
 * `check_days` days, and in ONE transaction:
 *   - records each finding by its stable key: a key not open before is new
 *     and becomes an alert (persist, then act: the agent shows the alerts
 *     the transaction wrote); a key still open is not repeated; an open key
 *     that is gone is resolved;
 *   - stores the reminder triggers due in the next REMINDER_AHEAD seconds
 *     (and those missed by at most `missed`), keeping what the owner did with
 *     each one;
 *   - moves the "agent" consumer's journal mark to the newest row it saw.
 * A crash before the commit leaves everything as it was, so the next run
 * announces the same news once.
 *
 * Why a child process: the diary of a busy professional is tens of
 * thousands of occurrences (tens of MB while checked); the agent's own
 * memory stays small because it never holds it, and a poison object can
 * only take the child down.
 *
 * Baseline: when every journal row consumed is from a calendar's first sync
 * (or this is the first refresh ever), what it finds was already there: one
 * summary alert, never one per finding.
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "agentlog.h"
#include "checks.h"
#include "cli.h"
#include "common.h"
#include "confirmations.h"
#include "crashpoint.h"
#include "outbox.h"
#include "refresh.h"
#include "reminders.h"
#include "report.h"
#include "store.h"
#include "when.h"

#define AGENT_CONSUMER "agent"
/* Alerts one refresh shows one by one; more are grouped into one. */
#define MAX_SINGLE_ALERTS 3
/* Lines a grouped alert lists. */
#define MAX_GROUP_LINES 5
/* Reminders already shown or done are forgotten this long after they were due. */
#define FORGET_AFTER (7 * 86400)
/* Resolved findings are forgotten after this long. */
#define FORGET_RESOLVED (30 * 86400)

/* ---- text for people ----------------------------------------------------------------- */

static const char *check_title(CheckKind kind) {
  switch (kind) {
  case CHECK_CONFLICT: return "Double booking";
  case CHECK_RESOURCE: return "Room or equipment booked twice";
  case CHECK_BUFFER: return "Too little time between appointments";
  case CHECK_PRIORITY: return "An urgent appointment clashes";
  case CHECK_COMPLETENESS: return "Appointment details missing";
  case CHECK_WORKLOAD: return "Too much in one day";
  case CHECK_HOURS: return "Outside working hours";
  case CHECK_NOTICE: return "Booked at short notice";
  default: return "Diary problem";
  }
}

static AlertUrgency finding_urgency(const Finding *f) {
  if (f->severity != SEVERITY_ERROR)
    return ALERT_LOW;
  for (guint i = 0; i < f->occurrences->len; i++) {
    const FindingOcc *o = g_ptr_array_index(f->occurrences, i);
    if (o->priority >= 1 && o->priority <= 4)
      return ALERT_CRITICAL;
  }
  return ALERT_NORMAL;
}

/* One alert for one new finding: what clashes with what, when, who should
 * move and the best free slot. */
static StoreAlert *finding_alert(const Finding *f, Zone *tz, gint64 now) {
  StoreAlert *a = g_new0(StoreAlert, 1);
  a->created = now;
  a->kind = g_strdup("finding");
  a->urgency = finding_urgency(f);
  a->summary = g_strdup(check_title(f->check));
  GString *body = g_string_new(f->message);
  if (f->slots && f->slots->len) {
    g_string_append(body, "\nBest free slot: ");
    report_append_slot(body, tz, &g_array_index(f->slots, Slot, 0));
  }
  a->body = g_string_free(body, FALSE);
  return a;
}

/* One alert for many findings at once. */
static StoreAlert *group_alert(GPtrArray *fresh, gboolean baseline, guint open_total, gint64 now) {
  StoreAlert *a = g_new0(StoreAlert, 1);
  a->created = now;
  a->kind = g_strdup("findings");
  a->urgency = ALERT_LOW;
  for (guint i = 0; i < fresh->len; i++)
    a->urgency = MAX(a->urgency, finding_urgency(g_ptr_array_index(fresh, i)) == ALERT_LOW ? ALERT_LOW : ALERT_NORMAL);
  a->summary = baseline ? g_strdup_printf("diaryd is watching your diary: %u problem%s found", fresh->len,
                                          fresh->len == 1 ? "" : "s")
                        : g_strdup_printf("%u new problems in your diary", fresh->len);
  GString *body = g_string_new(NULL);
  for (guint i = 0; i < fresh->len && i < MAX_GROUP_LINES; i++) {
    const Finding *f = g_ptr_array_index(fresh, i);
    g_string_append_printf(body, "%s%s: %s", i ? "\n" : "", check_kind_name(f->check), f->message);
  }
  if (fresh->len > MAX_GROUP_LINES)
    g_string_append_printf(body, "\n… and %u more", fresh->len - MAX_GROUP_LINES);
  g_string_append_printf(body, "\n%u open in all: run `diaryd agenda week` or `diaryd check` for the details.",
                         open_total);
  a->body = g_string_free(body, FALSE);
  return a;
}

/* ---- default reminders ----------------------------------------------------------------- */

/* The per-calendar `reminders` of a synced object's calendar (its source is
 * "ACCOUNT/CALENDAR/OBJECT"), else the [agent] default. */
static const GArray *defaults_for(const char *source, gpointer data) {
  const DiarydConfig *cfg = data;
  const GArray *fallback = cfg->agent.reminders;
  const char *slash = source ? strchr(source, '/') : NULL;
  const char *last = source ? strrchr(source, '/') : NULL;
  if (!slash || slash == last || source[0] == '/')
    return fallback; /* a file of the local folder */
  g_autofree char *account = g_strndup(source, (gsize)(slash - source));
  g_autofree char *calendar = g_strndup(slash + 1, (gsize)(last - slash - 1));
  const CalendarSettings *cs = diaryd_config_calendar(cfg, account, calendar, NULL);
  return cs && cs->reminders ? cs->reminders : fallback;
}

/* ---- the refresh ---------------------------------------------------------------------------- */

typedef struct {
  guint fresh, resolved, open, reminders;
  gboolean baseline;
} RefreshCounts;

/* The journal rows not consumed yet: the newest, whether all are from a
 * calendar's first sync, and the UIDs changed after one (news). */
static gboolean journal_news(Store *store, gint64 *last_seq, gboolean *all_baseline, GHashTable *news,
                             GError **error) {
  g_autoptr(GPtrArray) rows = store_journal_read(store, AGENT_CONSUMER, -1, 0, error);
  if (!rows)
    return FALSE;
  *all_baseline = rows->len > 0;
  *last_seq = -1;
  for (guint i = 0; i < rows->len; i++) {
    const StoreChange *c = g_ptr_array_index(rows, i);
    *all_baseline &= c->baseline;
    *last_seq = MAX(*last_seq, c->seq);
    if (!c->baseline && c->uid)
      g_hash_table_add(news, g_strdup(c->uid));
  }
  return TRUE;
}

/* UID → what it clashes with, for every appointment in a double booking
 * (its confirmations wait). */
static GHashTable *clashes_of(GPtrArray *findings, Zone *tz) {
  GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    if (f->severity != SEVERITY_ERROR || (f->check != CHECK_CONFLICT && f->check != CHECK_RESOURCE) ||
        f->occurrences->len < 2)
      continue;
    for (guint j = 0; j < f->occurrences->len; j++) {
      const FindingOcc *o = g_ptr_array_index(f->occurrences, j);
      const FindingOcc *other = g_ptr_array_index(f->occurrences, j ? 0 : 1);
      if (g_hash_table_contains(out, o->uid))
        continue;
      g_autoptr(GString) text = g_string_new(NULL);
      g_string_append_printf(text, "\"%s\" (", other->summary ? other->summary : other->uid);
      Slot when = {other->start, other->end};
      report_append_slot(text, tz, &when);
      g_string_append_c(text, ')');
      g_hash_table_insert(out, g_strdup(o->uid), g_string_free(g_steal_pointer(&text), FALSE));
    }
  }
  return out;
}

/* The owner's mail address is one of the owner's identities. */
static void add_owner(CheckConfig *cfg, const char *address) {
  if (!address)
    return;
  for (guint i = 0; i + 1 < cfg->owners->len; i++)
    if (!g_ascii_strcasecmp(g_ptr_array_index(cfg->owners, i), address))
      return;
  g_ptr_array_insert(cfg->owners, (gint)cfg->owners->len - 1, g_ascii_strdown(address, -1));
}

static gboolean write_findings(Store *store, GPtrArray *findings, const Diary *diary, const CheckRules *rules,
                               Zone *tz, gint64 now, gint64 today, gboolean baseline, RefreshCounts *n,
                               GError **error) {
  g_autoptr(GHashTable) open = store_findings_open(store, error);
  if (!open)
    return FALSE;
  g_autoptr(GPtrArray) fresh = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < findings->len; i++) {
    Finding *f = g_ptr_array_index(findings, i);
    g_hash_table_add(seen, f->key);
    if (!g_hash_table_contains(open, f->key))
      g_ptr_array_add(fresh, f);
    StoreFinding sf = {f->key, (char *)check_kind_name(f->check), (char *)severity_name(f->severity), f->message,
                       f->day, 0, 0};
    if (!store_finding_put(store, &sf, now, error))
      return FALSE;
  }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, open);
  gboolean ok = TRUE;
  while (ok && g_hash_table_iter_next(&it, &key, &value)) {
    const StoreFinding *sf = value;
    /* Findings of days gone by are not resolved, only out of view. */
    if (!g_hash_table_contains(seen, key) && sf->day >= today) {
      ok = store_finding_resolve(store, key, now, error);
      n->resolved++;
    }
  }
  if (!ok || !store_findings_prune(store, now - FORGET_RESOLVED, today, error))
    return FALSE;
  n->fresh = fresh->len;
  n->open = findings->len;

  if (fresh->len == 0)
    return TRUE;
  if (baseline || fresh->len > MAX_SINGLE_ALERTS) {
    g_autoptr(StoreAlert) a = group_alert(fresh, baseline, findings->len, now);
    return store_alert_add(store, a, error);
  }
  for (guint i = 0; i < fresh->len; i++) {
    Finding *f = g_ptr_array_index(fresh, i);
    /* Free slots only for what is announced one by one (the checks ran
     * with suggestions deferred). */
    if (f->move_uid && !f->slots)
      checks_suggest(diary, rules, f);
    g_autoptr(StoreAlert) a = finding_alert(f, tz, now);
    if (!store_alert_add(store, a, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean write_reminders(Store *store, const Diary *diary, const DiarydConfig *cfg, const CheckRules *rules,
                                const char *const *owners, gint64 now, gboolean first, RefreshCounts *n,
                                GError **error) {
  ReminderQuery q = {.from = now - cfg->agent.missed - REFRESH_GRACE,
                     .to = now + REFRESH_REMINDER_AHEAD,
                     .owners = owners,
                     .defaults = defaults_for,
                     .defaults_data = (gpointer)cfg,
                     .travel = cfg->agent.leave_reminders ? rules->travel : 0};
  g_autoptr(GPtrArray) triggers = g_ptr_array_new_with_free_func((GDestroyNotify)trigger_free);
  if (!reminders_list(diary, &q, triggers))
    agent_log(ALOG_WARNING, "more than %u reminders in the next %d hours: the rest are left out",
              REMINDERS_MAX_TRIGGERS, REFRESH_REMINDER_AHEAD / 3600);
  gint64 generation = store_value_int(store, "reminders.generation", 0) + 1;
  for (guint i = 0; i < triggers->len; i++) {
    const Trigger *t = g_ptr_array_index(triggers, i);
    StoreReminder r = {
        .key = t->key, .kind = (char *)trigger_kind_name(t->kind), .uid = t->uid, .due = t->due,
        .start = t->start, .end = t->end, .all_day = t->all_day, .audio = t->audio, .summary = t->summary,
        .location = t->location, .link = t->link,
        /* For "leave now": where the owner leaves from. */
        .description = t->kind == TRIGGER_LEAVE ? t->from_location : t->description, .source = t->source,
        /* What was due before the first refresh ever is history, not news. */
        .state = first && t->due < now ? REMINDER_EXPIRED : REMINDER_PENDING, .next_at = t->due};
    if (!store_reminder_put(store, &r, generation, error))
      return FALSE;
  }
  n->reminders = triggers->len;
  return store_reminders_prune(store, generation, q.from, now - FORGET_AFTER, error) &&
         store_value_set_int(store, "reminders.generation", generation, error);
}

int cmd_refresh(int argc, char **argv) {
  Common c;
  common_init(&c);
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but problems", NULL}, {NULL}};
  g_autoptr(GOptionContext) ctx = common_context(
      "", "Check the diary and update the agent's findings, alerts and reminders (the agent runs this after every\n"
          "change).  Reads the synced store and the local calendar folder; the [check] and [agent] sections of\n"
          "the config file apply.",
      &c, entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc == 0 && argc > 1) {
    fprintf(stderr, "diaryd: refresh takes no PATH: it checks the diary the agent watches\n");
    rc = EXIT_USAGE;
  }
  if (rc)
    return common_finish(&c, &(Setup){0}, rc);

  g_autoptr(DiarydConfig) cfg = cli_load_config(c.config, NULL);
  if (!c.config && cfg->path)
    c.config = g_strdup(cfg->path); /* its [check] section applies */
  c.allow_empty = TRUE;
  Setup s;
  rc = common_setup(&c, NULL, cfg->agent.check_days, &s);
  if (rc)
    return common_finish(&c, &s, rc);
  add_owner(&c.cfg, cfg->mail.from);

  g_autofree char *db = c.db ? g_strdup(c.db) : store_default_path();
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db, &error);
  if (!store) {
    cli_say(stderr, "%s", error->message);
    return common_finish(&c, &s, EXIT_FAILED);
  }
  /* The journal mark first: rows written after it are news for the next run,
   * even when this run's diary already had them. */
  gint64 last_seq = -1;
  gboolean all_baseline = FALSE;
  g_autoptr(GHashTable) news = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (!journal_news(store, &last_seq, &all_baseline, news, &error)) {
    cli_say(stderr, "%s", error->message);
    return common_finish(&c, &s, EXIT_FAILED);
  }
  gboolean first = store_value_int(store, "refresh.at", 0) == 0;

  /* A day before the window too: reminders missed early after midnight. */
  g_autoptr(Diary) diary = common_build_diary(&c, &s, s.from - 86400, s.to);
  c.cfg.rules.now = s.now;
  c.cfg.rules.defer_suggestions = TRUE;
  g_autoptr(GPtrArray) findings = checks_run_days(diary, &c.cfg.rules, s.from_day, s.to_day - 1);

  RefreshCounts n = {.baseline = first || all_baseline};
  g_autoptr(GHashTable) clashes = clashes_of(findings, s.tz);
  ConfirmRun confirm = {.store = store, .cfg = cfg, .owners = check_config_owners(&c.cfg), .zones = s.zones,
                        .tz = s.tz, .now = s.now, .conflicts = clashes, .news = news};
  ConfirmCounts mail = {0};
  gboolean ok = store_begin(store, &error);
  if (ok) {
    ok = write_findings(store, findings, diary, &c.cfg.rules, s.tz, s.now, s.from_day, n.baseline, &n, &error) &&
         write_reminders(store, diary, cfg, &c.cfg.rules, check_config_owners(&c.cfg), s.now, first, &n, &error) &&
         confirmations_refresh(&confirm, &mail, &error) &&
         (last_seq < 0 || store_journal_ack(store, AGENT_CONSUMER, last_seq, &error)) &&
         store_value_set_int(store, "refresh.at", s.now, &error);
    crashpoint("refresh-before-commit");
    if (ok)
      ok = store_commit(store, &error);
    else
      store_rollback(store);
  }
  if (!ok) {
    cli_say(stderr, "refresh failed, nothing was recorded: %s", error->message);
    return common_finish(&c, &s, EXIT_FAILED);
  }
  if (!quiet)
    printf("refresh: %u occurrence%s checked, %u new finding%s, %u resolved, %u open%s; %u reminder%s in the next "
           "%d hours\n",
           diary_n_occurrences(diary), diary_n_occurrences(diary) == 1 ? "" : "s", n.fresh, n.fresh == 1 ? "" : "s",
           n.resolved, n.open,
           n.baseline && n.fresh ? " (already there: one summary)" : "", n.reminders, n.reminders == 1 ? "" : "s",
           REFRESH_REMINDER_AHEAD / 3600);
  if (!quiet && (mail.queued || mail.held || mail.released || mail.blocked || mail.baseline))
    printf("refresh: confirmations: %u queued, %u held, %u released, %u blocked, %u already known\n", mail.queued,
           mail.held, mail.released, mail.blocked, mail.baseline);
  return common_finish(&c, &s, 0);
}
