/* cmd_outbox: `diaryd outbox [list|retry ID|drop ID|send|test [ADDRESS]]`.
 *
 * `send` is the delivery the agent runs as a child after a refresh queued
 * messages and when a retry is due; a person may run it too.  One runs at a
 * time per store (a lock beside the database).  For each message due, in
 * the order queued:
 *   1. the row is marked `sending` and committed (persist, then act);
 *   2. the transport sends it (one recipient, the bytes stored);
 *   3. the row is marked sent, or tempfail with the next try, or permfail.
 * A crash between 1 and 3 leaves `sending`: the next run sends the same
 * bytes again, same Message-ID.  That window (the server accepted the
 * message, we did not hear it) is the only way a message can go twice.
 *
 * Credentials refused, TLS refused or a broken [mail] section stop the
 * whole run (exit status OUTBOX_EXIT_STOPPED): the message goes back to
 * pending and the owner is told once; the agent waits before trying again,
 * because servers lock accounts that keep failing to log in.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "agentlock.h"
#include "agentlog.h"
#include "cli.h"
#include "confirmations.h"
#include "mail.h"
#include "message.h"
#include "crashpoint.h"
#include "outbox.h"
#include "report.h"
#include "store.h"
#include "when.h"

/* A temporary failure is retried after 1, 2, 4 ... minutes, at most an hour
 * apart, and given up after GIVE_UP seconds in the queue. */
#define RETRY_FIRST 60
#define RETRY_MAX 3600
#define GIVE_UP (3 * 86400)
/* A message queued longer ago than this gets a fresh Date when it first goes
 * (it waited for a clash to clear, or for the owner). */
#define STALE_DATE 300

static gint64 now_s(void) { return g_get_real_time() / G_USEC_PER_SEC; }

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

static char *lock_path(const char *db) { return g_strconcat(db, ".outbox", NULL); }

static Store *open_store(const char *db, GError **error) {
  g_autofree char *path = db ? g_strdup(db) : store_default_path();
  return store_open(path, error);
}

/* ---- send ---------------------------------------------------------------------------------- */

/* The message with its Date field set to `now` (the builder writes Date
 * first), or NULL when it has none to replace. */
static GBytes *fresh_date(GBytes *message, gint64 now, int offset) {
  gsize len;
  const char *data = g_bytes_get_data(message, &len);
  if (len < 6 || g_ascii_strncasecmp(data, "Date: ", 6))
    return NULL;
  const char *eol = g_strstr_len(data, (gssize)len, "\r\n");
  if (!eol)
    return NULL;
  g_autofree char *date = message_date_field(now, offset);
  if (!date)
    return NULL;
  const char *rest = eol + 2;
  GByteArray *out = g_byte_array_sized_new((guint)len + 8);
  g_byte_array_append(out, (const guint8 *)date, (guint)strlen(date));
  g_byte_array_append(out, (const guint8 *)rest, (guint)(len - (gsize)(rest - data)));
  return g_byte_array_free_to_bytes(out);
}

typedef struct {
  guint sent, retry, failed, dry;
} SendCounts;

/* Delivers one row.  FALSE when sending must stop (credentials, TLS,
 * config); *error is then the reason. */
static gboolean deliver(Store *store, MailTransport *t, StoreOutboxRow *row, gint64 now, int offset,
                        SendCounts *n, GError **error) {
  g_autoptr(GBytes) dated = row->attempts == 0 && now - row->created > STALE_DATE ? fresh_date(row->message, now, offset)
                                                                                  : NULL;
  if (!store_outbox_begin_send(store, row->id, dated, now, error))
    return FALSE;
  GBytes *bytes = dated ? dated : row->message;
  gsize len;
  const char *data = g_bytes_get_data(bytes, &len);
  crashpoint("before-send");
  g_autoptr(GError) failure = NULL;
  gboolean ok = mail_send(t, row->sender, row->recipient, data, len, &failure);
  crashpoint(ok ? "after-send" : "after-failure");
  const char *what = row->summary ? row->summary : row->uid;
  if (ok) {
    n->sent++;
    agent_log(ALOG_INFO, "sent %s of \"%s\" to %s (%s)", row->kind, what, row->recipient, row->message_id);
    return store_outbox_set_state(store, row->id, OUTBOX_SENT, NULL, 0, now_s(), error);
  }
  if (failure->domain == MAIL_ERROR && failure->code == MAIL_ERROR_TEMPORARY) {
    gint64 delay = RETRY_FIRST;
    for (int i = 1; i < row->attempts + 1 && delay < RETRY_MAX; i++)
      delay *= 2;
    delay = MIN(delay, RETRY_MAX);
    if (now - row->created > GIVE_UP) {
      n->failed++;
      g_autofree char *why = g_strdup_printf("gave up after %d attempts over %s: %s", row->attempts + 1,
                                             "3 days", failure->message);
      agent_log(ALOG_ERROR, "%s of \"%s\" to %s: %s", row->kind, what, row->recipient, why);
      g_autofree char *body = g_strdup_printf("The %s of \"%s\" to %s could not be delivered: %s", row->kind, what,
                                              row->recipient, why);
      confirmations_alert(store, "A confirmation email could not be sent", body, now);
      return store_outbox_set_state(store, row->id, OUTBOX_PERMFAIL, why, 0, now, error);
    }
    n->retry++;
    g_autofree char *in = when_format_duration(delay);
    agent_log(ALOG_WARNING, "%s of \"%s\" to %s: %s: retrying in %s", row->kind, what, row->recipient,
              failure->message, in);
    return store_outbox_set_state(store, row->id, OUTBOX_TEMPFAIL, failure->message, now + delay, now, error);
  }
  if (failure->domain == MAIL_ERROR && failure->code == MAIL_ERROR_PERMANENT) {
    n->failed++;
    agent_log(ALOG_ERROR, "%s of \"%s\" to %s refused: %s", row->kind, what, row->recipient, failure->message);
    g_autofree char *body = g_strdup_printf("The %s of \"%s\" to %s was refused: %s", row->kind, what, row->recipient,
                                            failure->message);
    confirmations_alert(store, "A confirmation email was refused", body, now);
    return store_outbox_set_state(store, row->id, OUTBOX_PERMFAIL, failure->message, 0, now, error);
  }
  /* Credentials, TLS, configuration: nothing was sent; stop, keep it. */
  if (!store_outbox_set_state(store, row->id, OUTBOX_PENDING, failure->message, 0, now, error))
    return FALSE;
  g_propagate_error(error, g_steal_pointer(&failure));
  return FALSE;
}

/* Every due row waits until the hour's allowance has room again. */
static void rate_limited(Store *store, guint limit, gint64 now) {
  g_autoptr(GPtrArray) due = store_outbox_list(store, OUTBOX_PENDING, 0, NULL);
  gint64 later = now + 3600 / MAX(limit, 1u) + 1;
  for (guint i = 0; due && i < due->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(due, i);
    store_outbox_set_state(store, r->id, OUTBOX_TEMPFAIL, "waiting: [mail] rate_per_hour reached", later, now, NULL);
  }
  g_autofree char *in = when_format_duration(later - now);
  agent_log(ALOG_NOTICE, "%u messages sent in the last hour ([mail] rate_per_hour): the rest wait %s", limit, in);
}

static int outbox_send(const char *config, const char *db, gboolean dry_run) {
  g_autoptr(DiarydConfig) cfg = cli_load_config(config, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = open_store(db, &error);
  if (!store) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autofree char *lock = lock_path(store_path(store));
  if (agent_lock_take(lock, &error) < 0) {
    cli_say(stderr, "outbox: %s: another delivery is running", error->message);
    return 0;
  }
  struct sigaction sa = {.sa_handler = on_stop};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  g_autoptr(MailTransport) t = dry_run ? NULL : mail_transport_new(&cfg->mail, &error);
  if (!dry_run && !t) {
    agent_log(ALOG_ERROR, "no confirmation email can be sent: %s", error->message);
    return OUTBOX_EXIT_STOPPED;
  }
  g_autoptr(GDateTime) local = g_date_time_new_now_local();
  int offset = (int)(g_date_time_get_utc_offset(local) / G_USEC_PER_SEC);
  SendCounts n = {0};
  int rc = 0;
  while (!stop_requested) {
    gint64 now = now_s();
    if (!dry_run && cfg->mail.rate_per_hour && store_outbox_sent_since(store, now - 3600) >= cfg->mail.rate_per_hour) {
      rate_limited(store, cfg->mail.rate_per_hour, now);
      break;
    }
    g_autoptr(StoreOutboxRow) row = store_outbox_next_due(store, now, &error);
    if (!row) {
      if (error) {
        cli_say(stderr, "%s", error->message);
        rc = EXIT_FAILED;
      }
      break;
    }
    if (!row->message || !row->sender) {
      store_outbox_set_state(store, row->id, OUTBOX_PERMFAIL, "no message stored", 0, now, NULL);
      continue;
    }
    if (dry_run) {
      agent_log(ALOG_NOTICE, "dry run: not sending %s of \"%s\" to %s (%s)", row->kind,
                row->summary ? row->summary : row->uid, row->recipient, row->message_id);
      n.dry++;
      if (!store_outbox_set_state(store, row->id, OUTBOX_DRYRUN, "dry run: not sent", 0, now, &error)) {
        rc = EXIT_FAILED;
        break;
      }
      continue;
    }
    if (!deliver(store, t, row, now, offset, &n, &error)) {
      if (error && error->domain == MAIL_ERROR) {
        agent_log(ALOG_ERROR, "sending stopped: %s", error->message);
        g_autofree char *last = store_value_get(store, "mail.stopped", NULL);
        if (g_strcmp0(last, error->message)) {
          g_autofree char *body = g_strdup_printf("%s\nNothing more is sent until this is fixed (then: systemctl "
                                                  "--user reload diaryd, or diaryd outbox send).",
                                                  error->message);
          confirmations_alert(store, error->code == MAIL_ERROR_AUTH ? "The mail server refused diaryd's credentials"
                             : error->code == MAIL_ERROR_TLS ? "diaryd could not send mail securely"
                                                             : "diaryd cannot send mail",
                      body, now);
          store_value_set(store, "mail.stopped", error->message, NULL);
        }
        rc = OUTBOX_EXIT_STOPPED;
      } else {
        cli_say(stderr, "%s", error ? error->message : "delivery failed");
        rc = EXIT_FAILED;
      }
      break;
    }
    store_value_set(store, "mail.stopped", "", NULL);
  }
  printf("outbox: %u sent, %u to retry, %u failed", n.sent, n.retry, n.failed);
  if (n.dry)
    printf(", %u not sent (dry run)", n.dry);
  printf("\n");
  return rc;
}

/* ---- list / retry / drop ------------------------------------------------------------------------ */

static void append_row_text(GString *out, const StoreOutboxRow *r) {
  g_autofree char *what = report_clean_line(r->summary ? r->summary : r->uid);
  g_string_append_printf(out, "%6" G_GINT64_FORMAT "  %-10s %-6s %-30s %s", r->id, outbox_state_name(r->state),
                         r->kind, r->recipient, what);
  if (r->hold) {
    g_autofree char *hold = report_clean_line(r->hold);
    g_string_append_printf(out, "\n        held: %s", hold);
  }
  if (r->last_error && *r->last_error) {
    g_autofree char *err = report_clean_line(r->last_error);
    g_string_append_printf(out, "\n        %s%s", r->state == OUTBOX_TEMPFAIL ? "will retry: " : "", err);
  }
  g_string_append_c(out, '\n');
}

static void append_row_json(GString *out, const StoreOutboxRow *r) {
  g_string_append_printf(out, "{\"id\": %" G_GINT64_FORMAT ", \"state\": ", r->id);
  report_append_json_string(out, outbox_state_name(r->state));
  const char *names[] = {"kind", "recipient", "uid", "recurrence_id", "summary", "message_id", "hold", "error"};
  const char *values[] = {r->kind, r->recipient, r->uid, r->rid && *r->rid ? r->rid : NULL, r->summary,
                          r->message_id, r->hold, r->last_error && *r->last_error ? r->last_error : NULL};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_string_append_printf(out, ", \"%s\": ", names[i]);
    if (values[i]) {
      g_autofree char *valid = g_utf8_make_valid(values[i], -1);
      report_append_json_string(out, valid);
    } else {
      g_string_append(out, "null");
    }
  }
  g_string_append_printf(out, ", \"sequence\": %d, \"attempts\": %d, \"start\": ", r->sequence, r->attempts);
  if (r->start) {
    g_string_append_c(out, '"');
    report_append_instant(out, r->start);
    g_string_append_c(out, '"');
  } else {
    g_string_append(out, "null");
  }
  g_string_append(out, "}");
}

static int outbox_list(Store *store, gboolean all, gboolean json) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_outbox_list(store, -1, all ? 0 : 200, &error);
  if (!rows) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autoptr(GString) out = g_string_new(json ? "[" : NULL);
  guint shown = 0;
  for (guint i = rows->len; i-- > 0;) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    /* Rows without a message are bookkeeping; sent and superseded ones history. */
    if (!all && (r->state == OUTBOX_BASELINE || r->state == OUTBOX_SERVER || r->state == OUTBOX_SUPERSEDED))
      continue;
    if (json) {
      g_string_append(out, shown ? ",\n " : "");
      append_row_json(out, r);
    } else {
      append_row_text(out, r);
    }
    shown++;
  }
  if (json)
    g_string_append(out, "]\n");
  else if (!shown)
    g_string_append(out, "The outbox is empty.\n");
  fputs(out->str, stdout);
  return 0;
}

static gboolean parse_id(const char *text, gint64 *id) {
  return text && g_ascii_string_to_signed(text, 10, 1, G_MAXINT64, id, NULL);
}

/* retry: held, failed or waiting rows go out at the next delivery. */
static int outbox_retry(Store *store, const char *which) {
  g_autoptr(GError) error = NULL;
  gint64 now = now_s(), id = 0;
  g_autoptr(GPtrArray) rows = NULL;
  if (!strcmp(which, "all")) {
    rows = store_outbox_list(store, -1, 0, &error);
  } else if (parse_id(which, &id)) {
    rows = g_ptr_array_new_with_free_func((GDestroyNotify)store_outbox_row_free);
    StoreOutboxRow *r = store_outbox_get(store, id, FALSE, &error);
    if (r)
      g_ptr_array_add(rows, r);
    else {
      cli_say(stderr, "%s", error->message);
      return EXIT_FAILED;
    }
  } else {
    fprintf(stderr, "diaryd: outbox retry takes a message number (from diaryd outbox list) or \"all\"\n");
    return EXIT_USAGE;
  }
  if (!rows) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  guint n = 0;
  for (guint i = 0; i < rows->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    gboolean can = r->state == OUTBOX_HELD || r->state == OUTBOX_TEMPFAIL || r->state == OUTBOX_PERMFAIL ||
                   r->state == OUTBOX_DRYRUN;
    if (!can) {
      if (id)
        fprintf(stderr, "diaryd: message %" G_GINT64_FORMAT " is %s: nothing to retry\n", r->id,
                outbox_state_name(r->state));
      continue;
    }
    if (!store_outbox_set_state(store, r->id, OUTBOX_PENDING, NULL, 0, now, &error)) {
      cli_say(stderr, "%s", error->message);
      return EXIT_FAILED;
    }
    n++;
  }
  printf("outbox: %u message%s will be sent at the next delivery (now, when the agent runs)\n", n, n == 1 ? "" : "s");
  agent_poke(store_path(store), "sends them now");
  return id && !n ? EXIT_FAILED : 0;
}

static int outbox_drop(Store *store, const char *which) {
  gint64 id;
  if (!parse_id(which, &id)) {
    fprintf(stderr, "diaryd: outbox drop takes a message number (from diaryd outbox list)\n");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(StoreOutboxRow) r = store_outbox_get(store, id, FALSE, &error);
  if (!r) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  if (!outbox_state_queued(r->state) && r->state != OUTBOX_PERMFAIL && r->state != OUTBOX_DRYRUN) {
    fprintf(stderr, "diaryd: message %" G_GINT64_FORMAT " is %s: it cannot be dropped\n", id,
            outbox_state_name(r->state));
    return EXIT_FAILED;
  }
  if (!store_outbox_set_state(store, id, OUTBOX_DROPPED, "dropped by the owner", 0, now_s(), &error)) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  printf("outbox: message %" G_GINT64_FORMAT " to %s dropped: it will not be sent\n", id, r->recipient);
  return 0;
}

int cmd_outbox(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "test"))
    return cmd_outbox_test(argc - 1, argv + 1);
  g_autofree char *config = NULL, *db = NULL;
  gboolean json = FALSE, all = FALSE, dry_run = FALSE;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store (default: $XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "list: machine-readable output", NULL},
      {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "list: every row, history and bookkeeping included", NULL},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "send: send nothing, only say what would go", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context(
      "[list | retry ID|all | drop ID | send | test [ADDRESS]]",
      "The confirmation emails diaryd queued: list them (the default), send a held or failed one again\n"
      "(retry), make sure one never goes (drop), deliver what is due now (send; the agent does this by\n"
      "itself), or send a test message through the configured transport (test).",
      entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  const char *sub = argc >= 2 ? argv[1] : "list";
  gboolean takes_arg = !strcmp(sub, "retry") || !strcmp(sub, "drop");
  if ((takes_arg && argc != 3) || (!takes_arg && argc > 2) ||
      (!takes_arg && strcmp(sub, "list") && strcmp(sub, "send"))) {
    fprintf(stderr, "diaryd: usage: diaryd outbox [list | retry ID|all | drop ID | send | test [ADDRESS]]\n");
    return EXIT_USAGE;
  }
  if (!strcmp(sub, "send"))
    return outbox_send(config, db, dry_run);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = open_store(db, &error);
  if (!store) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  if (!strcmp(sub, "list"))
    return outbox_list(store, all, json);
  if (!strcmp(sub, "retry"))
    return outbox_retry(store, argv[2]);
  return outbox_drop(store, argv[2]);
}
