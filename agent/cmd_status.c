/* `diaryd status`: what the agent knows, read from the store: whether it
 * runs, each calendar's last sync and the next one, the open findings and
 * the next reminders.  Reads only; works whether or not the agent runs. */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "agentlock.h"
#include "cli.h"
#include "mail.h"
#include "report.h"
#include "store.h"

#define SHOW_FINDINGS 10
#define SHOW_REMINDERS 5

static void append_time(GString *out, gint64 t, gboolean json) {
  if (json) {
    if (t <= 0) {
      g_string_append(out, "null");
      return;
    }
    g_string_append_c(out, '"');
    report_append_instant(out, t);
    g_string_append_c(out, '"');
    return;
  }
  if (t <= 0 || t == G_MAXINT64) {
    g_string_append(out, "never");
    return;
  }
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);
  g_autofree char *s = dt ? g_date_time_format(dt, "%a %e %b %H:%M") : g_strdup("?");
  g_string_append(out, s);
}

static void append_text(GString *out, const char *text, gboolean json) {
  if (json) {
    g_autofree char *valid = text ? g_utf8_make_valid(text, -1) : NULL;
    report_append_json_string(out, valid);
  } else {
    g_autofree char *clean = report_clean_line(text ? text : "");
    g_string_append(out, clean);
  }
}

/* Where confirmations go, which calendars send them, and the outbox. */
static void append_mail(GString *out, Store *store, const char *config, gboolean json) {
  g_autofree char *file = config ? g_strdup(config) : diaryd_config_default_path();
  g_autoptr(DiarydConfig) cfg = diaryd_config_load(file, config != NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MailTransport) t = mail_transport_new(&cfg->mail, &error);
  guint counts[OUTBOX_N_STATES];
  if (!store_outbox_counts(store, counts, NULL))
    memset(counts, 0, sizeof counts);
  g_autofree char *stopped = store_value_get(store, "mail.stopped", NULL);
  if (stopped && !*stopped)
    g_clear_pointer(&stopped, g_free);
  g_autoptr(GPtrArray) confirming = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) cals = store_calendars(store, NULL, NULL);
  for (guint i = 0; cals && i < cals->len; i++) {
    const StoreCalendar *c = g_ptr_array_index(cals, i);
    const CalendarSettings *cs = diaryd_config_calendar(cfg, c->account, c->name, c->url);
    if (calendar_settings_confirm(cs))
      g_ptr_array_add(confirming, g_strdup_printf("%s/%s", c->account, c->name));
  }
  const char *sender = cfg->mail.from;
  if (json) {
    g_string_append(out, ",\"mail\":{\"transport\":");
    append_text(out, t ? mail_transport_describe(t) : NULL, TRUE);
    g_string_append_printf(out, ",\"leaves_machine\":%s,\"problem\":", t && mail_transport_leaves_machine(t) ? "true" : "false");
    append_text(out, t ? stopped : error->message, TRUE);
    g_string_append(out, ",\"from\":");
    append_text(out, sender, TRUE);
    g_string_append(out, ",\"confirm_calendars\":[");
    for (guint i = 0; i < confirming->len; i++) {
      g_string_append(out, i ? "," : "");
      append_text(out, g_ptr_array_index(confirming, i), TRUE);
    }
    g_string_append(out, "],\"outbox\":{");
    for (int i = 0; i < OUTBOX_N_STATES; i++)
      g_string_append_printf(out, "%s\"%s\":%u", i ? "," : "", outbox_state_name((OutboxState)i), counts[i]);
    g_string_append(out, "}}");
    return;
  }
  g_string_append(out, "\nMail: ");
  if (!t) {
    g_string_append(out, "cannot send: ");
    append_text(out, error->message, FALSE);
  } else {
    append_text(out, mail_transport_describe(t), FALSE);
    if (!mail_transport_leaves_machine(t))
      g_string_append(out, "\n  to send for real, set a transport in the [mail] section (README.md, \"Confirmation "
                            "emails\")");
  }
  g_string_append(out, "\n  confirmations: ");
  if (!sender)
    g_string_append(out, "off (no sender: set from in the [mail] section)");
  else if (!confirming->len)
    g_string_append(out, "no calendar has confirm = yes");
  else
    for (guint i = 0; i < confirming->len; i++) {
      g_string_append(out, i ? ", " : "");
      append_text(out, g_ptr_array_index(confirming, i), FALSE);
    }
  g_string_append_printf(out, "\n  outbox: %u waiting, %u held, %u to retry, %u failed, %u sent",
                         counts[OUTBOX_PENDING] + counts[OUTBOX_SENDING], counts[OUTBOX_HELD],
                         counts[OUTBOX_TEMPFAIL], counts[OUTBOX_PERMFAIL], counts[OUTBOX_SENT]);
  if (counts[OUTBOX_HELD] || counts[OUTBOX_PERMFAIL] || counts[OUTBOX_TEMPFAIL])
    g_string_append(out, " (diaryd outbox list)");
  if (stopped) {
    g_string_append(out, "\n  sending stopped: ");
    append_text(out, stopped, FALSE);
  }
  g_string_append_c(out, '\n');
}

int cmd_status(int argc, char **argv) {
  g_autofree char *db = NULL, *config = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store (default: $XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx =
      cli_context("", "Show whether the agent runs, each calendar's last and next sync, the open problems\n"
                      "and the next reminders.",
                  entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  g_autofree char *path = db ? g_strdup(db) : store_default_path();
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "diaryd: no store at %s yet: run diaryd sync, or start the agent (diaryd run)\n", path);
    return EXIT_FAILED;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  g_autoptr(GPtrArray) syncs = store ? store_sync_status_list(store, &error) : NULL;
  g_autoptr(GPtrArray) cals = syncs ? store_calendars(store, NULL, &error) : NULL;
  g_autoptr(GPtrArray) findings = cals ? store_findings_list(store, &error) : NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GPtrArray) reminders = findings ? store_reminders_upcoming(store, now - 60, SHOW_REMINDERS, &error) : NULL;
  if (!reminders) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autofree char *lock = agent_lock_path(path);
  pid_t pid = agent_lock_holder(lock);
  gint64 refreshed = store_value_int(store, "refresh.at", 0);

  g_autoptr(GString) out = g_string_new(NULL);
  if (json) {
    g_string_append_printf(out, "{\"agent\":{\"running\":%s,\"pid\":", pid ? "true" : "false");
    if (pid)
      g_string_append_printf(out, "%ld", (long)pid);
    else
      g_string_append(out, "null");
    g_string_append(out, ",\"refreshed\":");
    append_time(out, refreshed, TRUE);
    g_string_append(out, "},\"store\":");
    append_text(out, path, TRUE);
    g_string_append(out, ",\"calendars\":[");
  } else {
    if (pid)
      g_string_append_printf(out, "Agent: running (pid %ld)", (long)pid);
    else
      g_string_append(out, "Agent: not running (start it: systemctl --user start diaryd, or diaryd run)");
    g_string_append(out, "; diary last checked ");
    append_time(out, refreshed, FALSE);
    g_string_append(out, "\nStore: ");
    append_text(out, path, FALSE);
    g_string_append(out, "\n\nCalendars:\n");
    if (!syncs->len && !cals->len)
      g_string_append(out, "  none synced yet (configure an account, see README.md; diaryd sync)\n");
  }
  for (guint i = 0; i < syncs->len; i++) {
    const StoreSyncStatus *st = g_ptr_array_index(syncs, i);
    guint objects = 0, bad = 0;
    for (guint k = 0; k < cals->len; k++) {
      const StoreCalendar *c = g_ptr_array_index(cals, k);
      g_autofree char *label = g_strdup_printf("%s/%s", c->account, c->name);
      if (!strcmp(label, st->calendar)) {
        objects = c->objects;
        bad = c->bad;
      }
    }
    if (json) {
      g_string_append(out, i ? ",{\"calendar\":" : "{\"calendar\":");
      append_text(out, st->calendar, TRUE);
      g_string_append(out, ",\"result\":");
      append_text(out, st->result, TRUE);
      g_string_append(out, ",\"error\":");
      append_text(out, st->error, TRUE);
      g_string_append(out, ",\"attempted\":");
      append_time(out, st->attempted_at, TRUE);
      g_string_append(out, ",\"last_ok\":");
      append_time(out, st->ok_at, TRUE);
      g_string_append(out, ",\"next\":");
      append_time(out, st->next_at, TRUE);
      g_string_append_printf(out, ",\"failures\":%d,\"objects\":%u,\"bad\":%u}", st->failures, objects, bad);
      continue;
    }
    g_string_append(out, "  ");
    append_text(out, st->calendar, FALSE);
    g_string_append(out, ": ");
    append_text(out, st->result, FALSE);
    g_string_append(out, " ");
    append_time(out, st->attempted_at, FALSE);
    if (objects || bad)
      g_string_append_printf(out, " (%u objects%s)", objects, bad ? ", some bad: see diaryd sync" : "");
    if (st->error) {
      g_string_append(out, ": ");
      append_text(out, st->error, FALSE);
      g_string_append_printf(out, " (%d in a row; last good sync ", st->failures);
      append_time(out, st->ok_at, FALSE);
      g_string_append(out, ")");
    }
    if (pid && st->next_at > 0) {
      g_string_append(out, "; next ");
      append_time(out, st->next_at, FALSE);
    }
    g_string_append_c(out, '\n');
  }
  g_string_append(out, json ? "],\"findings\":[" : "\n");
  if (!json)
    g_string_append_printf(out, "Open problems: %u%s\n", findings->len,
                           findings->len ? " (details: diaryd agenda week, diaryd check)" : "");
  for (guint i = 0; i < findings->len && (json || i < SHOW_FINDINGS); i++) {
    const StoreFinding *f = g_ptr_array_index(findings, i);
    if (json) {
      g_string_append(out, i ? ",{\"key\":" : "{\"key\":");
      append_text(out, f->key, TRUE);
      g_string_append(out, ",\"check\":");
      append_text(out, f->check, TRUE);
      g_string_append(out, ",\"severity\":");
      append_text(out, f->severity, TRUE);
      g_string_append(out, ",\"message\":");
      append_text(out, f->message, TRUE);
      g_string_append(out, ",\"first_seen\":");
      append_time(out, f->first_seen, TRUE);
      g_string_append_c(out, '}');
      continue;
    }
    g_string_append_printf(out, "  %-7s %-12s ", f->severity, f->check);
    append_text(out, f->message, FALSE);
    g_string_append_c(out, '\n');
  }
  if (!json && findings->len > SHOW_FINDINGS)
    g_string_append_printf(out, "  … and %u more\n", findings->len - SHOW_FINDINGS);
  g_string_append(out, json ? "],\"reminders\":[" : "\nNext reminders:\n");
  if (!json && !reminders->len)
    g_string_append(out, "  none in the next 48 hours\n");
  for (guint i = 0; i < reminders->len; i++) {
    const StoreReminder *r = g_ptr_array_index(reminders, i);
    if (json) {
      g_string_append(out, i ? ",{\"at\":" : "{\"at\":");
      append_time(out, r->next_at, TRUE);
      g_string_append(out, ",\"kind\":");
      append_text(out, r->kind, TRUE);
      g_string_append(out, ",\"state\":");
      append_text(out, reminder_state_name(r->state), TRUE);
      g_string_append(out, ",\"uid\":");
      append_text(out, r->uid, TRUE);
      g_string_append(out, ",\"summary\":");
      append_text(out, r->summary, TRUE);
      g_string_append(out, ",\"start\":");
      append_time(out, r->start, TRUE);
      g_string_append_c(out, '}');
      continue;
    }
    g_string_append(out, "  ");
    append_time(out, r->next_at, FALSE);
    g_string_append(out, "  ");
    append_text(out, r->summary ? r->summary : "(untitled)", FALSE);
    g_string_append_printf(out, " (%s%s)\n", r->kind, r->state == REMINDER_SNOOZED ? ", snoozed" : "");
  }
  if (json)
    g_string_append(out, "]");
  append_mail(out, store, config, json);
  if (json)
    g_string_append(out, "}\n");
  fwrite(out->str, 1, out->len, stdout);
  return 0;
}
