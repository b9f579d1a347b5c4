/* daemon: `diaryd run`, the agent.
 *
 * One GLib main loop and one timer.  The agent itself stays small: the
 * heavy work runs in short-lived children of the same binary, one at a
 * time:
 *   diaryd sync ACCOUNT...  mirrors the accounts that are due (journal rows)
 *   diaryd refresh          checks the diary after a change; writes findings,
 *                           alerts and reminder triggers in one transaction
 *   diaryd agenda --brief   the text of a daily review
 *   diaryd outbox send      delivers the confirmation emails that are due
 * and the agent reads what they stored: alerts to show, the next reminder
 * trigger, the sync outcome.  Each alert and reminder is marked in the store
 * before it is shown (persist, then act), so a crash may cost the display
 * of one notification but never shows one twice.
 *
 * The timer is a timerfd on CLOCK_REALTIME armed at an absolute time with
 * TFD_TIMER_CANCEL_ON_SET: it fires at the wall-clock deadline even across
 * a suspend, and wakes us at once when the clock is set, so every deadline
 * is recomputed after a jump.  Between deadlines the agent sleeps: the next
 * sync, the next reminder, the next review, the next periodic refresh and
 * the watchdog are its only wake-ups, besides signals, finished children,
 * changes in the local calendar folder and the owner's clicks.
 *
 * Signals: SIGTERM/SIGINT let a running refresh commit and stop a sync
 * (its transaction rolls back), then exit; SIGHUP reloads the
 * configuration; SIGUSR1 syncs every account now.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "accounts.h"
#include "agentlock.h"
#include "agentlog.h"
#include "cli.h"
#include "common.h"
#include "daemon.h"
#include "notify.h"
#include "outbox.h"
#include "poison.h"
#include "refresh.h"
#include "reminders.h"
#include "secret.h"
#include "store.h"
#include "when.h"
#include "zones.h"

/* Sync back-off: interval × 2^failures, at most this. */
#define MAX_BACKOFF 3600
/* Changes in the local folder settle for this long before a refresh. */
#define FOLDER_SETTLE_MS 1000
/* A review missed while the agent was down is still given this late. */
#define REVIEW_LATENESS (2 * 3600)
/* Lines of a "missed reminders" summary. */
#define MAX_MISSED_LINES 8

typedef enum { CHILD_NONE, CHILD_SYNC, CHILD_REFRESH, CHILD_REVIEW, CHILD_DELIVER } ChildKind;

typedef struct {
  char *account;
  gint64 next;     /* when it is due */
  gboolean paused; /* the server refused the credentials: wait for a reload or SIGUSR1 */
} AccountSchedule;

typedef struct {
  GMainLoop *loop;
  char *self;        /* this binary */
  char *config_path; /* --config, or NULL for the default */
  char *db_path;
  char *mark_path;   /* the work mark of the refresh and review children (poison.h) */
  char *folder;      /* the local calendar folder */
  DiarydConfig *cfg;
  GTimeZone *tz;     /* the [check] tz, else the system's */
  Store *store;
  Notifier *notifier;

  int timer_fd;
  guint timer_source;

  GPtrArray *accounts; /* of AccountSchedule* */
  GSubprocess *child;
  ChildKind child_kind;
  int child_review;    /* for CHILD_REVIEW: 0 today's, 1 tomorrow's */
  gboolean want_refresh;
  gint64 next_refresh; /* the periodic one */
  gint64 mail_paused_until; /* delivery stopped (credentials, TLS): not before then, or a reload */
  gboolean dry_run;    /* --dry-run: the deliveries send nothing */

  guint64 watchdog_usec; /* 0 when systemd does not watch us */

  GPtrArray *monitors; /* of GFileMonitor*: the local folder and its subfolders */
  guint settle_source;

  gboolean quitting;
} Agent;

static gint64 now_s(void) { return g_get_real_time() / G_USEC_PER_SEC; }

static void schedule_free(AccountSchedule *s) {
  g_free(s->account);
  g_free(s);
}

static void tick(Agent *a);

/* ---- time of day -------------------------------------------------------------------- */

/* "14:30" or "Tue 8 Dec 14:30" in the agent's zone. */
static char *local_time(Agent *a, gint64 instant, gboolean with_day) {
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(instant);
  g_autoptr(GDateTime) local = dt ? g_date_time_to_timezone(dt, a->tz) : NULL;
  if (!local)
    return g_strdup("?");
  return g_date_time_format(local, with_day ? "%a %e %b %H:%M" : "%H:%M");
}

/* The instant of today's (day_offset 0) or a later day's local time `secs`
 * after midnight. */
static gint64 local_instant(Agent *a, gint64 now, int day_offset, int secs) {
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(dt, a->tz);
  g_autoptr(GDateTime) day = g_date_time_add_days(local, day_offset);
  g_autoptr(GDateTime) at =
      g_date_time_new(a->tz, g_date_time_get_year(day), g_date_time_get_month(day), g_date_time_get_day_of_month(day),
                      secs / 3600, secs / 60 % 60, secs % 60);
  return at ? g_date_time_to_unix(at) : now + 86400;
}

/* Local day number (days since 1970-01-01 in the agent's zone). */
static gint64 local_day(Agent *a, gint64 instant) {
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(instant);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(dt, a->tz);
  return seconds_to_days(instant + g_date_time_get_utc_offset(local) / G_USEC_PER_SEC);
}

/* ---- configuration -------------------------------------------------------------------- */

static void load_config(Agent *a) {
  CheckConfig check;
  check_config_init(&check, now_s());
  DiarydConfig *cfg = diaryd_config_load(a->config_path, a->config_path != NULL, &check);
  for (guint i = 0; i < cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, i));
    agent_log(ALOG_WARNING, "%s (left out; the rest applies)", line);
  }
  if (a->cfg)
    diaryd_config_free(a->cfg);
  a->cfg = cfg;
  g_clear_pointer(&a->tz, g_time_zone_unref);
  if (check.tz)
    a->tz = g_time_zone_new_identifier(check.tz);
  if (!a->tz)
    a->tz = g_time_zone_new_local();
  check_config_clear(&check);

  /* Every account is due now, in the file's order. */
  g_ptr_array_set_size(a->accounts, 0);
  for (guint i = 0; i < cfg->accounts->len; i++) {
    AccountSchedule *s = g_new0(AccountSchedule, 1);
    s->account = g_strdup(((const Account *)g_ptr_array_index(cfg->accounts, i))->name);
    s->next = now_s();
    g_ptr_array_add(a->accounts, s);
  }
  g_autofree char *every = when_format_duration(cfg->agent.sync_interval);
  if (!cfg->accounts->len)
    agent_log(ALOG_NOTICE,
              "no CalDAV account configured (%s): watching the local calendar folder %s; add an [account NAME] "
              "section to sync a server",
              cfg->path ? cfg->path : "there is no config file", a->folder);
  else
    agent_log(ALOG_INFO, "%u account%s, synced every %s; the local calendar folder %s is watched too",
              cfg->accounts->len, cfg->accounts->len == 1 ? "" : "s", every, a->folder);
}

/* ---- the local folder ------------------------------------------------------------------- */

static gboolean on_settled(gpointer data) {
  Agent *a = data;
  a->settle_source = 0;
  agent_log(ALOG_INFO, "the local calendar folder changed: checking the diary");
  a->want_refresh = TRUE;
  tick(a);
  return G_SOURCE_REMOVE;
}

static void add_monitor(Agent *a, GFile *dir);

static void on_folder_changed(GFileMonitor *m, GFile *file, GFile *other, GFileMonitorEvent event, gpointer data) {
  (void)m;
  (void)other;
  Agent *a = data;
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED || event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
    return;
  /* A new subfolder (a vdir calendar) is watched too. */
  if (event == G_FILE_MONITOR_EVENT_CREATED &&
      g_file_query_file_type(file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY)
    add_monitor(a, file);
  if (a->settle_source)
    g_source_remove(a->settle_source);
  a->settle_source = g_timeout_add(FOLDER_SETTLE_MS, on_settled, a);
}

static void add_monitor(Agent *a, GFile *dir) {
  g_autoptr(GError) error = NULL;
  GFileMonitor *m = g_file_monitor_directory(dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (!m) {
    g_autofree char *path = g_file_get_path(dir);
    agent_log(ALOG_WARNING, "cannot watch %s: %s", path, error->message);
    return;
  }
  g_signal_connect(m, "changed", G_CALLBACK(on_folder_changed), a);
  g_ptr_array_add(a->monitors, m);
}

/* The folder and its direct subfolders (a vdir holds one per calendar). */
static void watch_folder(Agent *a) {
  g_autoptr(GFile) top = g_file_new_for_path(a->folder);
  add_monitor(a, top);
  g_autoptr(GFileEnumerator) en =
      g_file_enumerate_children(top, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_NAME,
                                G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;
  GFile *child;
  while (en && g_file_enumerator_iterate(en, &info, &child, NULL, NULL) && info)
    if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
      add_monitor(a, child);
}

/* ---- notifications ------------------------------------------------------------------------ */

/* Logs a notification (one line: "WHAT SUMMARY: BODY") and shows it; with
 * no server to take it, the log line is all there is. */
static void announce(Agent *a, const char *what, const char *tag, const char *summary, const char *body,
                     AlertUrgency urgency, const NotifierAction *actions, guint n_actions, gboolean resident) {
  g_autofree char *flat = g_strdup(body ? body : "");
  g_strdelimit(flat, "\n", ' ');
  agent_log(ALOG_NOTICE, "%s%s: %s", what, summary, flat);
  g_autoptr(GError) error = NULL;
  if (!notifier_show(a->notifier, tag, summary, body, urgency, actions, n_actions, resident, &error))
    agent_log(ALOG_WARNING, "not shown on the desktop: %s", error->message);
}

/* Shows what the children stored for the owner, oldest first; an alert that
 * no server takes is logged instead (and counts as shown: it is not kept
 * for later, where it would be stale). */
static void show_alerts(Agent *a) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) alerts = store_alerts_pending(a->store, &error);
  if (!alerts) {
    agent_log(ALOG_ERROR, "cannot read the alerts: %s", error->message);
    return;
  }
  for (guint i = 0; i < alerts->len; i++) {
    const StoreAlert *al = g_ptr_array_index(alerts, i);
    if (!store_alert_shown(a->store, al->id, now_s(), &error)) {
      agent_log(ALOG_ERROR, "cannot record an alert as shown: %s", error->message);
      return;
    }
    announce(a, "alert: ", NULL, al->summary, al->body, al->urgency, NULL, 0, FALSE);
  }
}

static void reminder_text(Agent *a, const StoreReminder *r, gint64 now, char **summary, char **body) {
  const char *what = r->summary && *r->summary ? r->summary : "(untitled appointment)";
  g_autofree char *from = local_time(a, r->start, FALSE), *to = local_time(a, r->end, FALSE);
  GString *b = g_string_new(NULL);
  if (!strcmp(r->kind, "leave")) {
    *summary = g_strdup_printf("Leave now for %s", what);
    g_string_append_printf(b, "Starts at %s%s%s", from, r->location ? " at " : "", r->location ? r->location : "");
    if (r->description)
      g_string_append_printf(b, "\nYou are at %s", r->description);
  } else if (r->all_day) {
    g_autofree char *day = local_time(a, r->start, TRUE);
    *summary = g_strdup_printf("%s (all day)", what);
    g_string_append_printf(b, "%.10s", day);
  } else {
    gint64 minutes = (r->start - now + 30) / 60;
    if (minutes > 0)
      *summary = minutes < 120 ? g_strdup_printf("%s in %" G_GINT64_FORMAT " min", what, minutes)
                               : g_strdup_printf("%s at %s", what, from);
    else if (r->end > now)
      *summary = g_strdup_printf("%s now", what);
    else
      *summary = g_strdup_printf("%s (ended %s)", what, to);
    g_string_append_printf(b, "%s–%s", from, to);
    if (r->location)
      g_string_append_printf(b, " · %s", r->location);
  }
  if (r->description && strcmp(r->kind, "leave") && (!r->summary || strcmp(r->description, r->summary)))
    g_string_append_printf(b, "\n%s", r->description);
  *body = g_string_free(b, FALSE);
}

/* "10 min", "1 h", "1 h 30 min", "45 s", "2 days": for buttons. */
static char *duration_words(gint64 d) {
  if (d % 86400 == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT " day%s", d / 86400, d == 86400 ? "" : "s");
  GString *out = g_string_new(NULL);
  if (d >= 3600)
    g_string_append_printf(out, "%" G_GINT64_FORMAT " h", d / 3600);
  if (d % 3600 >= 60)
    g_string_append_printf(out, "%s%" G_GINT64_FORMAT " min", out->len ? " " : "", d % 3600 / 60);
  if (d % 60)
    g_string_append_printf(out, "%s%" G_GINT64_FORMAT " s", out->len ? " " : "", d % 60);
  return g_string_free(out, FALSE);
}

/* Only web links are opened: a calendar must not make us launch a file or a
 * program. */
static gboolean openable_link(const char *link) {
  return link && (g_str_has_prefix(link, "https://") || g_str_has_prefix(link, "http://"));
}

static void show_reminder(Agent *a, const StoreReminder *r, gint64 now) {
  g_autofree char *summary = NULL, *body = NULL;
  reminder_text(a, r, now, &summary, &body);
  if (reminders_lateness(r->next_at, now, REFRESH_GRACE, G_MAXINT32) != REMINDER_ON_TIME) {
    g_autofree char *at = local_time(a, r->next_at, FALSE);
    char *late = g_strdup_printf("%s\n(late: the reminder was due at %s)", body, at);
    g_free(body);
    body = late;
  }
  const GArray *snooze = a->cfg->agent.snooze;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < snooze->len; i++) {
    gint64 d = g_array_index(snooze, gint64, i);
    g_autofree char *len = duration_words(d);
    g_ptr_array_add(ids, g_strdup_printf("snooze:%" G_GINT64_FORMAT, d));
    g_ptr_array_add(labels, g_strdup_printf("Snooze %s", len));
  }
  g_ptr_array_add(ids, g_strdup("dismiss"));
  g_ptr_array_add(labels, g_strdup("Dismiss"));
  if (openable_link(r->link)) {
    g_ptr_array_add(ids, g_strdup("open"));
    g_ptr_array_add(labels, g_strdup("Open"));
  }
  g_autofree NotifierAction *actions = g_new0(NotifierAction, ids->len);
  for (guint i = 0; i < ids->len; i++)
    actions[i] = (NotifierAction){g_ptr_array_index(ids, i), g_ptr_array_index(labels, i)};
  announce(a, "reminder: ", r->key, summary, body, ALERT_CRITICAL, actions, ids->len, TRUE);
}

static void show_missed(Agent *a, GPtrArray *missed) {
  GString *body = g_string_new(NULL);
  for (guint i = 0; i < missed->len && i < MAX_MISSED_LINES; i++) {
    const StoreReminder *r = g_ptr_array_index(missed, i);
    g_autofree char *at = local_time(a, r->start, TRUE);
    g_string_append_printf(body, "%s%s %s", i ? "\n" : "", at, r->summary ? r->summary : "(untitled)");
  }
  if (missed->len > MAX_MISSED_LINES)
    g_string_append_printf(body, "\n… and %u more", missed->len - MAX_MISSED_LINES);
  g_autofree char *summary =
      missed->len == 1 ? g_strdup("Missed reminder (late)") : g_strdup_printf("%u missed reminders (late)", missed->len);
  g_autofree char *text = g_string_free(body, FALSE);
  announce(a, "", NULL, summary, text, ALERT_NORMAL, NULL, 0, FALSE);
}

/* Every trigger that is due: on time ones one by one, late ones (a suspend,
 * the agent down) in one summary, and those later than `missed` only
 * logged.  Each is marked before it is shown. */
static void fire_reminders(Agent *a, gint64 now) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) due = store_reminders_due(a->store, now, &error);
  if (!due) {
    agent_log(ALOG_ERROR, "cannot read the reminders: %s", error->message);
    return;
  }
  g_autoptr(GPtrArray) missed = g_ptr_array_new();
  for (guint i = 0; i < due->len; i++) {
    StoreReminder *r = g_ptr_array_index(due, i);
    static const ReminderState states[] = {REMINDER_SHOWN, REMINDER_MISSED, REMINDER_EXPIRED};
    ReminderState state = states[reminders_lateness(r->next_at, now, REFRESH_GRACE, a->cfg->agent.missed)];
    if (!store_reminder_set(a->store, r->key, state, r->next_at, now, &error)) {
      agent_log(ALOG_ERROR, "cannot record a reminder: %s", error->message);
      return;
    }
    if (state == REMINDER_SHOWN)
      show_reminder(a, r, now);
    else if (state == REMINDER_MISSED)
      g_ptr_array_add(missed, r);
    else {
      g_autofree char *at = local_time(a, r->next_at, TRUE);
      agent_log(ALOG_INFO, "reminder for \"%s\" was due %s, too long ago to show", r->summary ? r->summary : "", at);
    }
  }
  /* One late reminder is shown as itself (an appointment just booked with
   * its reminder time already past, or one missed during a suspend), with
   * its actions; more are one summary, never a burst. */
  if (missed->len == 1) {
    StoreReminder *r = g_ptr_array_index(missed, 0);
    if (store_reminder_set(a->store, r->key, REMINDER_SHOWN, r->next_at, now, &error))
      show_reminder(a, r, now);
  } else if (missed->len) {
    show_missed(a, missed);
  }
}

static void on_portal_opened(GObject *source, GAsyncResult *res, gpointer data) {
  g_autofree char *uri = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
  if (reply)
    return;
  /* No portal: the desktop's own handler, as a child of ours. */
  g_clear_error(&error);
  if (!g_app_info_launch_default_for_uri(uri, NULL, &error))
    agent_log(ALOG_WARNING, "cannot open the link: %s", error->message);
}

/* Opens a web link through the desktop portal (org.freedesktop.portal.OpenURI):
 * the browser then starts outside the agent's sandbox, in the session.
 * Without a portal, the default handler is started directly. */
static void open_link(const char *uri) {
  g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
  if (!bus) {
    g_autoptr(GError) error = NULL;
    if (!g_app_info_launch_default_for_uri(uri, NULL, &error))
      agent_log(ALOG_WARNING, "cannot open the link: %s", error->message);
    return;
  }
  g_dbus_connection_call(bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                         "org.freedesktop.portal.OpenURI", "OpenURI", g_variant_new("(ssa{sv})", "", uri, NULL),
                         G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, on_portal_opened,
                         g_strdup(uri));
}

/* The owner clicked an action of a reminder. */
static void on_action(const char *tag, const char *action, gpointer data) {
  Agent *a = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(StoreReminder) r = store_reminder_get(a->store, tag, &error);
  if (!r) {
    agent_log(ALOG_WARNING, "action %s on a reminder that is gone: %s", action, error->message);
    return;
  }
  gint64 now = now_s();
  gint64 snooze;
  gboolean ok = TRUE;
  if (g_str_has_prefix(action, "snooze:") &&
      g_ascii_string_to_signed(action + 7, 10, 1, 7 * 86400, &snooze, NULL)) {
    g_autofree char *until = local_time(a, now + snooze, TRUE);
    agent_log(ALOG_NOTICE, "reminder for \"%s\" snoozed until %s", r->summary ? r->summary : "", until);
    ok = store_reminder_set(a->store, tag, REMINDER_SNOOZED, now + snooze, now, &error);
  } else if (!strcmp(action, "dismiss")) {
    agent_log(ALOG_NOTICE, "reminders for \"%s\" dismissed", r->summary ? r->summary : "");
    ok = store_reminders_dismiss(a->store, r->uid, r->start, &error);
  } else if (!strcmp(action, "open") && openable_link(r->link)) {
    agent_log(ALOG_INFO, "opening the link of \"%s\"", r->summary ? r->summary : "");
    open_link(r->link);
    return;
  } else {
    return;
  }
  if (!ok)
    agent_log(ALOG_ERROR, "cannot record the action: %s", error->message);
  notifier_close(a->notifier, tag);
  tick(a);
}

/* ---- children ------------------------------------------------------------------------------ */

static void on_child_done(GObject *source, GAsyncResult *res, gpointer data);
static void on_review_done(GObject *source, GAsyncResult *res, gpointer data);

static gboolean spawn(Agent *a, ChildKind kind, GPtrArray *args, GSubprocessFlags flags) {
  g_ptr_array_insert(args, 0, g_strdup(a->self));
  g_ptr_array_add(args, g_strdup("--db"));
  g_ptr_array_add(args, g_strdup(a->db_path));
  /* The file the agent read (its [check] section applies to the reviews too). */
  const char *config = a->config_path ? a->config_path : a->cfg->path;
  if (config) {
    g_ptr_array_add(args, g_strdup("--config"));
    g_ptr_array_add(args, g_strdup(config));
  }
  g_ptr_array_add(args, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(flags);
  g_subprocess_launcher_setenv(launcher, "DIARYD_AGENT_CHILD", "1", TRUE);
  /* Only the agent speaks to systemd. */
  g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
  if (kind == CHILD_REFRESH || kind == CHILD_REVIEW) {
    /* They read every calendar object: under a CPU budget, naming the
     * object they are on. */
    g_autoptr(GError) mark_error = NULL;
    if (poison_mark_reset(a->mark_path, &mark_error))
      g_subprocess_launcher_setenv(launcher, "DIARYD_WORKMARK", a->mark_path, TRUE);
    else
      agent_log(ALOG_WARNING, "cannot prepare the work mark: %s", mark_error->message);
    g_subprocess_launcher_set_child_setup(launcher, poison_child_setup, NULL, NULL);
  }
  a->child = g_subprocess_launcher_spawnv(launcher, (const char *const *)args->pdata, &error);
  if (!a->child) {
    agent_log(ALOG_ERROR, "cannot run %s: %s", a->self, error->message);
    return FALSE;
  }
  a->child_kind = kind;
  if (kind == CHILD_REVIEW)
    g_subprocess_communicate_utf8_async(a->child, NULL, NULL, on_review_done, a);
  else
    g_subprocess_wait_async(a->child, NULL, on_child_done, a);
  return TRUE;
}

/* Whether a sync-status label ("ACCOUNT" or "ACCOUNT/CALENDAR") is the account's. */
static gboolean of_account(const char *label, const char *account) {
  gsize len = strlen(account);
  return !strncmp(label, account, len) && (!label[len] || label[len] == '/');
}

/* Back-off for an account from its calendars' outcomes (written by sync). */
static void reschedule(Agent *a, AccountSchedule *s, gint64 now) {
  gint64 interval = a->cfg->agent.sync_interval;
  int failures = 0;
  gboolean refused = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_sync_status_list(a->store, &error);
  for (guint i = 0; rows && i < rows->len; i++) {
    const StoreSyncStatus *st = g_ptr_array_index(rows, i);
    if (!of_account(st->calendar, s->account))
      continue;
    if (st->attempted_at < now - 60 || strcmp(st->result, "failed"))
      continue;
    failures = MAX(failures, st->failures);
    refused |= st->error && (strstr(st->error, "401") || strstr(st->error, "refused the credentials") ||
                             strstr(st->error, "refresh token was refused"));
  }
  if (refused) {
    /* Servers lock accounts that keep failing to log in: wait for the owner. */
    s->paused = TRUE;
    agent_log(ALOG_ERROR, "%s: the server refused the credentials; not retrying until the configuration is "
              "reloaded (systemctl --user reload diaryd) or diaryd sync is run", s->account);
    StoreAlert al = {.created = now, .kind = "sync", .urgency = ALERT_NORMAL,
                     .summary = "diaryd cannot sync a calendar account",
                     .body = g_strdup_printf("%s: the server refused the credentials. Fix the password (or run "
                                             "diaryd auth %s), then: systemctl --user reload diaryd",
                                             s->account, s->account)};
    if (!store_alert_add(a->store, &al, &error))
      agent_log(ALOG_ERROR, "%s", error->message);
    g_free(al.body);
    return;
  }
  gint64 wait = interval;
  for (int i = 0; i < failures && wait < MAX_BACKOFF; i++)
    wait *= 2;
  wait = MIN(wait, MAX(MAX_BACKOFF, interval));
  /* ±10 % so that agents (and accounts) do not call at the same second. */
  wait += g_random_int_range(-(gint32)(wait / 10), (gint32)(wait / 10) + 1);
  s->next = now + MAX(wait, 30);
  /* For `diaryd status`: the calendars of the account are synced next then. */
  for (guint i = 0; rows && i < rows->len; i++) {
    const StoreSyncStatus *st = g_ptr_array_index(rows, i);
    if (of_account(st->calendar, s->account))
      store_sync_status_set_next(a->store, st->calendar, s->next, NULL);
  }
  if (failures) {
    g_autofree char *in = when_format_duration(s->next - now);
    agent_log(ALOG_WARNING, "%s: sync failed %d time%s in a row: retrying in %s", s->account, failures,
              failures == 1 ? "" : "s", in);
  }
}

static gboolean journal_has_news(Agent *a) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_journal_read(a->store, "agent", -1, 1, &error);
  return rows && rows->len > 0;
}

/* A refresh or review child that died (the CPU budget's signal, or any
 * crash): the object it was reading goes into quarantine.  TRUE when one
 * did, so the refresh can run again at once without it. */
static gboolean quarantine_culprit(Agent *a, GSubprocess *child, ChildKind kind) {
  if (kind != CHILD_REFRESH && kind != CHILD_REVIEW)
    return FALSE;
  if (!g_subprocess_get_if_signaled(child))
    return FALSE;
  int sig = g_subprocess_get_term_sig(child);
  guint budget = poison_cpu_limit();
  g_autofree char *how = sig == SIGXCPU ? g_strdup_printf("used up the %u s of CPU time a refresh may take", budget)
                         : sig == SIGKILL
                             ? g_strdup_printf("was stopped (killed: over the %u s CPU budget, or out of memory)", budget)
                             : g_strdup_printf("crashed diaryd (%s)", g_strsignal(sig));
  g_autoptr(GError) error = NULL;
  g_autofree char *source = poison_quarantine_marked(a->store, a->mark_path, how, now_s(), &error);
  if (!source) {
    if (error)
      agent_log(ALOG_ERROR, "cannot quarantine what the %s was reading: %s",
                kind == CHILD_REFRESH ? "refresh" : "review", error->message);
    return FALSE;
  }
  agent_log(ALOG_WARNING, "%s: set aside (reading it %s); it is left out until it changes", source, how);
  return TRUE;
}

/* After a child: when the store file is damaged (a child left the marker
 * "DB.damaged") or was already replaced by another diaryd, the agent lets
 * go of it and opens the path again, which keeps the damaged file aside
 * and starts a new store (store_open_full()).  It holds the store open
 * between children, so no child can move the file while it runs. */
static void reopen_if_damaged(Agent *a) {
  if (!store_needs_reopen(a->store))
    return;
  store_free(a->store);
  g_autoptr(GError) error = NULL;
  a->store = store_open_full(a->db_path, STORE_OPEN_VERIFY, &error);
  if (!a->store) {
    agent_log(ALOG_ERROR, "the store %s is damaged and cannot be replaced: %s", a->db_path, error->message);
    g_clear_error(&error);
    a->store = store_open(a->db_path, &error); /* go on with it as it is; the next child tries again */
  }
  if (!a->store) {
    agent_log(ALOG_ERROR, "cannot open the store %s: %s: stopping", a->db_path, error->message);
    a->quitting = TRUE;
    g_main_loop_quit(a->loop); /* systemd starts the agent again */
    return;
  }
  if (store_replaced(a->store))
    agent_log(ALOG_WARNING, "the store was damaged: kept as %s; a new one starts from the next sync",
              store_replaced(a->store));
  a->want_refresh = TRUE;
}

static void on_child_done(GObject *source, GAsyncResult *res, gpointer data) {
  Agent *a = data;
  GSubprocess *child = G_SUBPROCESS(source);
  g_autoptr(GError) error = NULL;
  gboolean ran = g_subprocess_wait_finish(child, res, &error);
  ChildKind kind = a->child_kind;
  int status = ran && g_subprocess_get_if_exited(child) ? g_subprocess_get_exit_status(child) : -1;
  if (!ran || (!g_subprocess_get_if_exited(child) && !a->quitting))
    agent_log(ALOG_ERROR, "%s ended abnormally%s%s",
              kind == CHILD_SYNC ? "a sync" : kind == CHILD_DELIVER ? "a mail delivery" : "a refresh",
              error ? ": " : "", error ? error->message : " (killed by a signal)");
  gboolean quarantined = ran && quarantine_culprit(a, child, kind);
  g_clear_object(&a->child);
  a->child_kind = CHILD_NONE;
  reopen_if_damaged(a);
  if (!a->store)
    return;
  gint64 now = now_s();
  if (kind == CHILD_SYNC) {
    for (guint i = 0; i < a->accounts->len; i++) {
      AccountSchedule *s = g_ptr_array_index(a->accounts, i);
      if (s->next <= now && !s->paused)
        reschedule(a, s, now);
    }
    if (journal_has_news(a))
      a->want_refresh = TRUE;
  } else if (kind == CHILD_REFRESH) {
    /* Again after local midnight (a new day to check, "today" moves) and at
     * least every REFRESH_EVERY (the reminders listed reach 48 h ahead). */
    if (status == 0)
      a->next_refresh = MIN(now + REFRESH_EVERY, local_instant(a, now, 1, 60));
    else if (quarantined)
      a->want_refresh = TRUE; /* again now, without the object that stopped it */
    else
      a->next_refresh = now + 300; /* try again soon; the journal waits */
  } else if (kind == CHILD_DELIVER) {
    if (status == OUTBOX_EXIT_STOPPED) {
      a->mail_paused_until = now + OUTBOX_PAUSE;
      agent_log(ALOG_WARNING, "mail delivery stopped: trying again in %d minutes, or after a reload "
                "(systemctl --user reload diaryd)", OUTBOX_PAUSE / 60);
    } else if (status != 0) {
      a->mail_paused_until = now + 300;
    } else if (store_outbox_next_time(a->store, NULL) <= now) {
      /* Still due after a run that went well: another delivery held the
       * lock, or it was stopped. Not again at once. */
      a->mail_paused_until = now + 30;
    }
  }
  show_alerts(a);
  if (a->quitting) {
    g_main_loop_quit(a->loop);
    return;
  }
  tick(a);
}

static void on_review_done(GObject *source, GAsyncResult *res, gpointer data) {
  Agent *a = data;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int which = a->child_review;
  gboolean ok = g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source), res, &out, NULL, &error);
  ok = ok && g_subprocess_get_if_exited(G_SUBPROCESS(source)) && g_subprocess_get_exit_status(G_SUBPROCESS(source)) == 0;
  if (!ok && quarantine_culprit(a, G_SUBPROCESS(source), CHILD_REVIEW))
    a->want_refresh = TRUE; /* the refresh reads the same object: leave it out there too */
  g_clear_object(&a->child);
  a->child_kind = CHILD_NONE;
  gint64 now = now_s();
  if (ok) {
    guint open = store_findings_count(a->store);
    g_autoptr(GDateTime) dt = g_date_time_new_now(a->tz);
    g_autoptr(GDateTime) day = g_date_time_add_days(dt, which);
    g_autofree char *date = g_date_time_format(day, "%A %e %B");
    GString *body = g_string_new(g_strstrip(out));
    if (open)
      g_string_append_printf(body, "\n%u open problem%s in the diary: diaryd agenda week", open, open == 1 ? "" : "s");
    StoreAlert al = {.created = now, .kind = "review", .urgency = ALERT_LOW,
                     .summary = g_strdup_printf("%s: %s", which ? "Tomorrow" : "Today", g_strstrip(date)),
                     .body = g_string_free(body, FALSE)};
    g_autofree char *mark = g_strdup_printf("review.%d.day", which);
    /* The alert and the mark together: given once a day, even across a crash. */
    ok = store_begin(a->store, &error);
    if (ok) {
      if (store_alert_add(a->store, &al, &error) && store_value_set_int(a->store, mark, local_day(a, now), &error))
        ok = store_commit(a->store, &error);
      else {
        store_rollback(a->store);
        ok = FALSE;
      }
    }
    g_free(al.summary);
    g_free(al.body);
    if (!ok)
      agent_log(ALOG_ERROR, "cannot record the daily review: %s", error ? error->message : "");
  } else {
    agent_log(ALOG_ERROR, "the daily review failed%s%s", error ? ": " : "", error ? error->message : "");
    g_autofree char *mark = g_strdup_printf("review.%d.day", which);
    store_value_set_int(a->store, mark, local_day(a, now), NULL); /* not again today */
  }
  show_alerts(a);
  if (a->quitting) {
    g_main_loop_quit(a->loop);
    return;
  }
  tick(a);
}

/* ---- scheduling ----------------------------------------------------------------------------- */

/* When review `which` is next due (it may be in the past: then it is due now). */
static gint64 review_due(Agent *a, int which, gint64 now) {
  int at = a->cfg->agent.review[which];
  if (at < 0)
    return G_MAXINT64;
  g_autofree char *mark = g_strdup_printf("review.%d.day", which);
  gint64 done = store_value_int(a->store, mark, -1);
  gint64 today = local_day(a, now);
  gint64 t = local_instant(a, now, 0, at);
  if (done < today && now >= t && now < t + REVIEW_LATENESS)
    return t;
  return done >= today || now >= t ? local_instant(a, now, 1, at) : t;
}

/* When the outbox next wants a delivery (G_MAXINT64: nothing waits). */
static gint64 delivery_due(Agent *a) {
  gint64 at = store_outbox_next_time(a->store, NULL);
  return at == G_MAXINT64 ? at : MAX(at, a->mail_paused_until);
}

/* Starts the most urgent piece of work, if nothing runs: a refresh first
 * (it updates reminders), then the mail it queued, then a review, then the
 * accounts that are due. */
static void start_work(Agent *a, gint64 now) {
  if (a->child || a->quitting)
    return;
  if (a->want_refresh || now >= a->next_refresh) {
    a->want_refresh = FALSE;
    a->next_refresh = now + REFRESH_EVERY; /* set again when it ends; no 1 Hz timer meanwhile */
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(args, g_strdup("refresh")); /* its one line of counts goes to the log */
    if (!spawn(a, CHILD_REFRESH, args, G_SUBPROCESS_FLAGS_NONE))
      a->next_refresh = now + 300;
    return;
  }
  if (delivery_due(a) <= now) {
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(args, g_strdup("outbox"));
    g_ptr_array_add(args, g_strdup("send"));
    if (a->dry_run)
      g_ptr_array_add(args, g_strdup("--dry-run"));
    if (spawn(a, CHILD_DELIVER, args, G_SUBPROCESS_FLAGS_NONE))
      return;
    a->mail_paused_until = now + 300;
  }
  for (int which = 0; which < 2; which++)
    if (review_due(a, which, now) <= now) {
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
      g_ptr_array_add(args, g_strdup("agenda"));
      g_ptr_array_add(args, g_strdup(which ? "tomorrow" : "today"));
      g_ptr_array_add(args, g_strdup("--brief"));
      g_ptr_array_add(args, g_strdup("--color=never"));
      a->child_review = which;
      if (spawn(a, CHILD_REVIEW, args, G_SUBPROCESS_FLAGS_STDOUT_PIPE))
        return;
    }
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(args, g_strdup("sync"));
  for (guint i = 0; i < a->accounts->len; i++) {
    AccountSchedule *s = g_ptr_array_index(a->accounts, i);
    if (!s->paused && s->next <= now)
      g_ptr_array_add(args, g_strdup(s->account));
  }
  if (args->len > 1)
    spawn(a, CHILD_SYNC, args, G_SUBPROCESS_FLAGS_NONE);
}

static void arm_timer(Agent *a, gint64 at) {
  struct itimerspec its = {{0, 0}, {MAX(at, 1), 0}};
  if (timerfd_settime(a->timer_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) != 0)
    agent_log(ALOG_ERROR, "cannot set the timer: %s", g_strerror(errno));
}

static void update_status(Agent *a, gint64 next_sync, gint64 next_reminder) {
  GString *st = g_string_new("STATUS=");
  guint open = store_findings_count(a->store);
  g_string_append_printf(st, "%u open problem%s", open, open == 1 ? "" : "s");
  if (next_reminder != G_MAXINT64) {
    g_autofree char *at = local_time(a, next_reminder, TRUE);
    g_string_append_printf(st, "; next reminder %s", at);
  }
  if (next_sync != G_MAXINT64) {
    g_autofree char *at = local_time(a, next_sync, FALSE);
    g_string_append_printf(st, "; next sync %s", at);
  }
  sd_notify(0, st->str);
  g_string_free(st, TRUE);
}

/* Does what is due and arms the timer for the next deadline. */
static void tick(Agent *a) {
  if (a->quitting)
    return;
  gint64 now = now_s();
  fire_reminders(a, now);
  start_work(a, now);

  gint64 next_sync = G_MAXINT64;
  for (guint i = 0; i < a->accounts->len; i++) {
    AccountSchedule *s = g_ptr_array_index(a->accounts, i);
    if (!s->paused)
      next_sync = MIN(next_sync, s->next);
  }
  gint64 next_reminder = store_reminders_next(a->store, NULL);
  gint64 next = MIN(next_reminder, a->next_refresh);
  /* While a child runs, its end is the next event for the work it blocks. */
  if (!a->child) {
    next = MIN(next, next_sync);
    next = MIN(next, review_due(a, 0, now));
    next = MIN(next, review_due(a, 1, now));
    next = MIN(next, delivery_due(a));
  }
  if (a->watchdog_usec) {
    sd_notify(0, "WATCHDOG=1");
    next = MIN(next, now + (gint64)(a->watchdog_usec / G_USEC_PER_SEC / 2));
  }
  next = MAX(next, now + (a->child ? 1 : 0));
  arm_timer(a, next == G_MAXINT64 ? now + 86400 : next);
  update_status(a, next_sync, next_reminder);
}

static gboolean on_timer(gint fd, GIOCondition cond, gpointer data) {
  (void)cond;
  Agent *a = data;
  guint64 expirations;
  if (read(fd, &expirations, sizeof expirations) < 0 && errno == ECANCELED)
    agent_log(ALOG_NOTICE, "the clock was set: working out every deadline again");
  tick(a);
  return G_SOURCE_CONTINUE;
}

/* ---- signals ------------------------------------------------------------------------------------ */

static gboolean on_term(gpointer data) {
  Agent *a = data;
  if (a->quitting)
    return G_SOURCE_CONTINUE;
  a->quitting = TRUE;
  sd_notify(0, "STOPPING=1");
  agent_log(ALOG_INFO, "stopping");
  if (!a->child) {
    g_main_loop_quit(a->loop);
  } else if (a->child_kind != CHILD_REFRESH) {
    /* A sync rolls back when it is stopped; a refresh is short and commits;
     * a delivery finishes the message it is sending, then stops. */
    g_subprocess_send_signal(a->child, SIGTERM);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean on_hup(gpointer data) {
  Agent *a = data;
  sd_notify(0, "RELOADING=1");
  agent_log(ALOG_INFO, "reloading the configuration");
  load_config(a);
  a->want_refresh = TRUE;
  a->mail_paused_until = 0;
  sd_notify(0, "READY=1");
  tick(a);
  return G_SOURCE_CONTINUE;
}

static gboolean on_usr1(gpointer data) {
  Agent *a = data;
  agent_log(ALOG_INFO, "syncing now (SIGUSR1)");
  gint64 now = now_s();
  for (guint i = 0; i < a->accounts->len; i++) {
    AccountSchedule *s = g_ptr_array_index(a->accounts, i);
    s->next = now;
    s->paused = FALSE;
  }
  a->mail_paused_until = 0;
  /* What a `diaryd sync` from the command line brought is news too. */
  if (journal_has_news(a))
    a->want_refresh = TRUE;
  tick(a);
  return G_SOURCE_CONTINUE;
}

/* ---- diaryd run ------------------------------------------------------------------------------------ */

static void agent_clear(Agent *a) {
  if (a->timer_source)
    g_source_remove(a->timer_source);
  if (a->timer_fd >= 0)
    close(a->timer_fd);
  if (a->settle_source)
    g_source_remove(a->settle_source);
  g_clear_pointer(&a->monitors, g_ptr_array_unref);
  g_clear_pointer(&a->accounts, g_ptr_array_unref);
  g_clear_object(&a->child);
  g_clear_pointer(&a->notifier, notifier_free);
  g_clear_pointer(&a->store, store_free);
  g_clear_pointer(&a->cfg, diaryd_config_free);
  g_clear_pointer(&a->tz, g_time_zone_unref);
  g_clear_pointer(&a->loop, g_main_loop_unref);
  g_free(a->self);
  g_free(a->config_path);
  g_free(a->db_path);
  g_free(a->mark_path);
  g_free(a->folder);
}

int cmd_run(int argc, char **argv) {
  g_autofree char *config = NULL, *db = NULL;
  gboolean dry_run = FALSE;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store (default: $XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Send no email: log what would go and mark it not sent", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx =
      cli_context("", "Run the agent: sync the calendars, check the diary after every change, alert the owner,\n"
                      "show reminders and the daily reviews.  Stops on SIGTERM; SIGHUP reloads the\n"
                      "configuration; SIGUSR1 syncs now.  Meant to run as a systemd user service.",
                  entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc > 1) {
    fprintf(stderr, "diaryd: run takes no arguments\n");
    return EXIT_USAGE;
  }
  /* Secrets pass through this process: no core dumps, no attaching. */
  secret_protect_process();

  Agent a = {.timer_fd = -1, .want_refresh = TRUE, .dry_run = dry_run};
  a.config_path = g_steal_pointer(&config);
  a.db_path = db ? g_steal_pointer(&db) : store_default_path();
  a.mark_path = poison_mark_path(a.db_path);
  /* The children are full diaryd: this binary, or (in diaryd-agent) the one
   * that exec'd us. */
  a.self = cli_self_path();
  a.folder = common_default_folder();
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) probe = store_open(a.db_path, &error); /* creates the folder and schema first */
  if (!probe) {
    agent_log(ALOG_ERROR, "%s", error->message);
    agent_clear(&a);
    return EXIT_FAILED;
  }
  g_autofree char *lock = agent_lock_path(a.db_path);
  if (agent_lock_take(lock, &error) < 0) {
    fprintf(stderr, "diaryd: %s\n", error->message);
    agent_clear(&a);
    return EXIT_FAILED;
  }
  a.store = g_steal_pointer(&probe);
  if (g_mkdir_with_parents(a.folder, 0700) != 0)
    agent_log(ALOG_WARNING, "cannot create the local calendar folder %s: %s", a.folder, g_strerror(errno));

  a.loop = g_main_loop_new(NULL, FALSE);
  a.accounts = g_ptr_array_new_with_free_func((GDestroyNotify)schedule_free);
  a.monitors = g_ptr_array_new_with_free_func(g_object_unref);
  load_config(&a);
  watch_folder(&a);
  a.notifier = notifier_new("diaryd", on_action, &a);

  a.timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (a.timer_fd < 0) {
    agent_log(ALOG_ERROR, "cannot create a timer: %s", g_strerror(errno));
    agent_clear(&a);
    return EXIT_FAILED;
  }
  a.timer_source = g_unix_fd_add(a.timer_fd, G_IO_IN, on_timer, &a);
  g_unix_signal_add(SIGTERM, on_term, &a);
  g_unix_signal_add(SIGINT, on_term, &a);
  g_unix_signal_add(SIGHUP, on_hup, &a);
  g_unix_signal_add(SIGUSR1, on_usr1, &a);
  if (sd_watchdog_enabled(0, &a.watchdog_usec) <= 0)
    a.watchdog_usec = 0;

  agent_log(ALOG_INFO, "started (store %s)%s", a.db_path, dry_run ? ": dry run, no email is sent" : "");
  sd_notify(0, "READY=1");
  show_alerts(&a);
  tick(&a);
  g_main_loop_run(a.loop);
  agent_log(ALOG_INFO, "stopped");
  agent_clear(&a);
  return 0;
}

int cmd_run_exec(int argc, char **argv) {
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  if (self && !g_str_has_suffix(self, " (deleted)")) {
    g_autofree char *dir = g_path_get_dirname(self);
    const char *const places[] = {"diaryd-agent", "../libexec/diaryd/diaryd-agent"};
    for (gsize i = 0; i < G_N_ELEMENTS(places); i++) {
      g_autofree char *agent = g_build_filename(dir, places[i], NULL);
      if (!g_file_test(agent, G_FILE_TEST_IS_EXECUTABLE))
        continue;
      g_setenv("DIARYD_BINARY", self, TRUE);
      execv(agent, argv);
      agent_log(ALOG_WARNING, "cannot run %s (%s): the agent runs in this process", agent, g_strerror(errno));
      break;
    }
  }
  return cmd_run(argc, argv);
}
