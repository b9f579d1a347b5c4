/* The subcommands that talk to CalDAV servers or read the store: sync,
 * discover, journal, config check and auth.
 *
 * `sync` runs each selected account's discovery when it is due (first
 * sync, a changed URL, --discover, or a day after the last one), then
 * syncs the calendars on a few worker threads.  Each worker owns its Http
 * handles (one per account, so connections are reused across calendars of
 * one server); the Store serialises their writes.  Lines are printed in
 * calendar order once all are done; on a terminal a progress line on
 * stderr shows the objects seen so far.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "agentlock.h"
#include "account_session.h"
#include "caldav.h"
#include "cli.h"
#include "davxml.h"
#include "oauth.h"
#include "report.h"
#include "secret.h"
#include "store.h"

#define REDISCOVER_AFTER (24 * 3600)
#define DEFAULT_JOBS 4
#define MAX_JOBS 16

/* ---- config ---------------------------------------------------------------------- */

static void print_problems(const DiarydConfig *cfg, FILE *to) {
  for (guint i = 0; i < cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, i));
    g_autofree char *clean = report_clean_line(line);
    fprintf(to, "%s\n", clean);
  }
}

/* The config, or NULL after telling the user what is wrong. */
static DiarydConfig *load_config(const char *path_opt) {
  g_autofree char *path = path_opt ? g_strdup(path_opt) : diaryd_config_default_path();
  DiarydConfig *cfg = diaryd_config_load(path, path_opt != NULL, NULL);
  if (cfg->problems->len) {
    print_problems(cfg, stderr);
    fprintf(stderr, "diaryd: the config file has problems (see above; `diaryd config check` lists them)\n");
    diaryd_config_free(cfg);
    return NULL;
  }
  return cfg;
}

static Store *open_store(const char *db_opt, StoreOpenFlags flags) {
  g_autofree char *db = db_opt ? g_strdup(db_opt) : store_default_path();
  g_autoptr(GError) error = NULL;
  Store *store = store_open_full(db, flags, &error);
  if (!store)
    cli_say(stderr, "%s", error->message);
  return store;
}

/* ---- sync: the work ---------------------------------------------------------------- */

typedef struct {
  AccountSession *auth; /* not owned */
  StoreCalendar *cal;     /* owned */
  char *label;            /* "account/calendar" */
  gboolean ok;
  char *error;
  CaldavSyncStats stats;
  double seconds;
  guint held;             /* removals the store's guard held back (the sync failed) */
  guint objects;          /* stored after the sync */
  gint progress;          /* objects seen, for the progress line */
} Job;

static void job_free(Job *job) {
  store_calendar_free(job->cal);
  g_free(job->label);
  g_free(job->error);
  caldav_sync_stats_clear(&job->stats);
  g_free(job);
}

typedef struct {
  Store *store;
  GPtrArray *jobs; /* of Job* */
  gint next;       /* atomic: the next job to take */
  gint done;       /* atomic */
} Work;

static void on_progress(guint objects, gpointer data) {
  Job *job = data;
  g_atomic_int_set(&job->progress, (gint)objects);
}

static gpointer worker(gpointer data) {
  Work *w = data;
  /* One Http per account on this thread: connections are reused. */
  g_autoptr(GHashTable) clients = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)http_free);
  for (;;) {
    gint i = g_atomic_int_add(&w->next, 1);
    if (i >= (gint)w->jobs->len)
      break;
    Job *job = g_ptr_array_index(w->jobs, i);
    AccountSession *auth = job->auth;
    gint64 started = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    g_mutex_lock(&auth->gate);
    gboolean holding = !auth->verified;
    if (auth->refused || auth->unreachable) {
      job->error = g_strdup(auth->refused ? auth->refused : auth->unreachable);
    } else {
      /* (A job that is refused here keeps its own message; the first one
       * shows the server's answer.) */
      if (!holding)
        g_mutex_unlock(&auth->gate);
      Http *http = g_hash_table_lookup(clients, auth);
      if (!http) {
        http = account_session_http(auth, &error);
        if (http)
          g_hash_table_insert(clients, auth, http);
      }
      if (http) {
        CaldavClient client = account_session_client(http, auth);
        job->ok = caldav_sync(&client, w->store, job->cal->id, on_progress, job, &job->stats, &error);
      }
      if (!job->ok)
        job->error = g_strdup(error ? error->message : "failed");
      if (g_error_matches(error, STORE_ERROR, STORE_ERROR_MASS_REMOVAL))
        job->held = store_held_removals(w->store, job->cal->id);
      /* A server that did not answer in time (the wait is spent already) or
       * whose certificate failed will not do better for the account's next
       * calendar in this run: those fail at once instead of each waiting. */
      if (g_error_matches(error, HTTP_ERROR, HTTP_ERROR_TIMEOUT) || g_error_matches(error, HTTP_ERROR, HTTP_ERROR_TLS)) {
        if (!holding)
          g_mutex_lock(&auth->gate);
        if (!auth->unreachable)
          auth->unreachable = g_strdup_printf("not tried: %s", job->error);
        if (!holding)
          g_mutex_unlock(&auth->gate);
      }
      if (holding) {
        /* Refused: a 401, or no credentials to send (OAuth).  Verified: the
         * server answered something else.  A network failure proves
         * neither: the next job asks again, still alone. */
        if (!http || g_error_matches(error, CALDAV_ERROR, CALDAV_ERROR_AUTH))
          auth->refused = g_strdup_printf("not tried: %s", job->error);
        else if (job->ok || (error && error->domain == CALDAV_ERROR))
          auth->verified = TRUE;
      }
    }
    if (holding)
      g_mutex_unlock(&auth->gate);
    job->seconds = (g_get_monotonic_time() - started) / 1e6;
    g_autoptr(StoreCalendar) after = store_calendar_get(w->store, job->cal->id, NULL);
    job->objects = after ? after->objects : 0;
    g_atomic_int_inc(&w->done);
  }
  return NULL;
}

static void draw_progress(Work *w, gboolean last) {
  guint objects = 0;
  for (guint i = 0; i < w->jobs->len; i++)
    objects += (guint)g_atomic_int_get(&((Job *)g_ptr_array_index(w->jobs, i))->progress);
  fprintf(stderr, "\r\033[Ksyncing: %d/%u calendars, %u objects", g_atomic_int_get(&w->done), w->jobs->len, objects);
  if (last)
    fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

static void run_jobs(Work *w, guint jobs, gboolean progress) {
  guint n = MIN(jobs, w->jobs->len);
  g_autoptr(GPtrArray) threads = g_ptr_array_new();
  /* Without a progress line the main thread is one of the workers; with
   * one, it draws while n others work. */
  for (guint i = 0; i + (progress ? 0 : 1) < n; i++)
    g_ptr_array_add(threads, g_thread_new("sync", worker, w));
  if (!progress) {
    worker(w);
  } else {
    while (g_atomic_int_get(&w->done) < (gint)w->jobs->len) {
      draw_progress(w, FALSE);
      g_usleep(100000);
    }
    draw_progress(w, TRUE);
  }
  for (guint i = 0; i < threads->len; i++)
    g_thread_join(g_ptr_array_index(threads, i));
}

/* ---- sync: discovery ------------------------------------------------------------------ */

static gboolean is_selected(char **selection, const char *account, const char *calendar) {
  if (!selection || !selection[0])
    return TRUE;
  for (char **s = selection; *s; s++) {
    const char *slash = strchr(*s, '/');
    if (!slash && !strcmp(*s, account))
      return TRUE;
    if (slash && (gsize)(slash - *s) == strlen(account) && !strncmp(*s, account, slash - *s) &&
        (!calendar || !strcmp(slash + 1, calendar)))
      return TRUE;
  }
  return FALSE;
}

/* Updates the store's calendars of `account` from the server when due.
 * Returns FALSE (after saying why) when the account cannot be synced. */
static gboolean discover_account(Store *store, AccountSession *auth, gboolean force, FILE *out_err) {
  const Account *account = auth->account;
  g_autoptr(GError) error = NULL;
  g_autofree char *known_url = NULL;
  gint64 discovered_at = 0;
  gboolean known = store_account_get(store, account->name, &known_url, &discovered_at, &error);
  if (error) {
    cli_say(out_err, "%s", error->message);
    return FALSE;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  if (known && !force && !g_strcmp0(known_url, account->url) && now - discovered_at < REDISCOVER_AFTER &&
      discovered_at > 0)
    return TRUE;

  g_autoptr(Http) http = account_session_http(auth, &error);
  if (!http) {
    cli_say(out_err, "%s: %s", account->name, error->message);
    return FALSE;
  }
  CaldavClient client = account_session_client(http, auth);
  g_autoptr(CaldavDiscovery) d = caldav_discover(&client, account->url, &error);
  if (!d) {
    cli_say(out_err, "%s: discovery failed: %s", account->name, error->message);
    /* A server that is down keeps its calendars; an account never found
     * has none to sync, and refused credentials are not tried again. */
    return known && g_strcmp0(known_url, account->url) == 0 &&
           !g_error_matches(error, CALDAV_ERROR, CALDAV_ERROR_AUTH) && !g_error_matches(error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE);
  }
  auth->verified = TRUE;
  g_autoptr(GHashTable) wanted = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < d->calendars->len; i++) {
    CaldavCalendar *c = g_ptr_array_index(d->calendars, i);
    if (!account_wants_calendar(account, c->name, c->url))
      continue;
    if (store_calendar_ensure(store, account->name, c->url, c->name, c->color, &error) < 0) {
      cli_say(out_err, "%s", error->message);
      return FALSE;
    }
    g_hash_table_add(wanted, c->url);
  }
  /* Calendars no longer wanted, or gone from the server, leave the store;
   * one the server merely did not list this time stays. */
  g_autoptr(GPtrArray) stored = store_calendars(store, account->name, &error);
  if (!stored) {
    cli_say(out_err, "%s", error->message);
    return FALSE;
  }
  for (guint i = 0; i < stored->len; i++) {
    StoreCalendar *sc = g_ptr_array_index(stored, i);
    if (g_hash_table_contains(wanted, sc->url))
      continue;
    gboolean listed = FALSE;
    for (guint j = 0; j < d->calendars->len && !listed; j++)
      listed = !strcmp(((CaldavCalendar *)g_ptr_array_index(d->calendars, j))->url, sc->url);
    /* Deselected, on a server the account no longer points at (its
     * credentials are not sent there to ask), or gone. */
    if (listed || !http_same_origin(sc->url, account->url) || !caldav_exists(&client, sc->url)) {
      if (!store_calendar_remove(store, sc->id, &error)) {
        cli_say(out_err, "%s", error->message);
        return FALSE;
      }
    }
  }
  if (!store_account_set(store, account->name, account->url, now, &error) ||
      !store_account_set_auto_schedule(store, account->name,
                                       d->dav && davxml_header_has(d->dav, "calendar-auto-schedule"), &error)) {
    cli_say(out_err, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* ---- sync: output ------------------------------------------------------------------------ */

static char *valid_utf8(const char *s) { return s ? g_utf8_make_valid(s, -1) : NULL; }

/* "failed", "unchanged" or "synced". */
static const char *job_status(const Job *job) {
  const StoreResult *r = &job->stats.result;
  if (!job->ok)
    return "failed";
  return r->added + r->modified + r->removed == 0 && (!r->problems || !r->problems->len) ? "unchanged" : "synced";
}

static void job_json(GString *out, const Job *job) {
  const StoreResult *r = &job->stats.result;
  g_autofree char *name = valid_utf8(job->cal->name), *err = valid_utf8(job->error);
  g_string_append(out, "{\"account\":");
  report_append_json_string(out, job->cal->account);
  g_string_append(out, ",\"calendar\":");
  report_append_json_string(out, name);
  g_string_append(out, ",\"url\":");
  report_append_json_string(out, job->cal->url);
  g_string_append_printf(out, ",\"status\":\"%s\"", job_status(job));
  g_string_append_printf(out, ",\"added\":%u,\"modified\":%u,\"removed\":%u,\"bad\":%u,\"objects\":%u",
                         r->added, r->modified, r->removed, r->problems ? r->problems->len : 0, job->objects);
  g_string_append_printf(out, ",\"removals_held\":%u", job->held);
  g_string_append(out, ",\"method\":");
  report_append_json_string(out, job->stats.method);
  g_string_append_printf(out, ",\"requests\":%u,\"resynced\":%s,\"seconds\":%.3f,\"error\":", job->stats.requests,
                         job->stats.resynced ? "true" : "false", job->seconds);
  report_append_json_string(out, err);
  g_string_append(out, ",\"problems\":[");
  for (guint i = 0; r->problems && i < r->problems->len; i++) {
    StoreProblem *p = g_ptr_array_index(r->problems, i);
    g_autofree char *href = valid_utf8(p->href), *msg = valid_utf8(p->message);
    g_string_append(out, i ? ",{\"href\":" : "{\"href\":");
    report_append_json_string(out, href);
    g_string_append(out, ",\"error\":");
    report_append_json_string(out, msg);
    g_string_append_c(out, '}');
  }
  g_string_append(out, "]}");
}

static void job_text(GString *out, const Job *job) {
  g_autofree char *label = report_clean_line(job->label);
  if (!job->ok) {
    g_autofree char *err = report_clean_line(job->error);
    g_string_append_printf(out, "%s: failed: %s\n", label, err);
    return;
  }
  const StoreResult *r = &job->stats.result;
  guint bad = r->problems ? r->problems->len : 0;
  if (r->added + r->modified + r->removed + bad == 0) {
    g_string_append_printf(out, "%s: unchanged (%u objects) in %.2f s\n", label, job->objects, job->seconds);
    return;
  }
  g_string_append_printf(out, "%s: %u added, %u modified, %u removed", label, r->added, r->modified, r->removed);
  if (bad)
    g_string_append_printf(out, ", %u bad", bad);
  g_string_append_printf(out, " (%u objects) in %.2f s%s\n", job->objects, job->seconds,
                         job->stats.resynced ? " (the server refused the sync token: full resync)" : "");
}

/* ---- sync -------------------------------------------------------------------------------- */

/* A running agent is told to sync at once (SIGUSR1): what this sync wrote
 * to the journal is then checked and announced by it, not left for its next
 * interval.  The agent itself runs `diaryd sync` as its child: that one
 * (DIARYD_AGENT_CHILD set) does not poke its parent. */
/* Keeps the outcome for `diaryd status` and the agent's back-off; a store
 * that cannot take it does not fail the sync. */
static void record_status(Store *store, const char *label, gint64 now, const char *result, const char *error_text) {
  g_autoptr(GError) error = NULL;
  if (!store_sync_status_record(store, label, now, result, error_text, &error))
    cli_say(stderr, "cannot record the outcome of the sync of %s: %s", label, error->message);
}

/* Removals the guard held back become an alert for the agent to show: once
 * for each new count (a sync every few minutes must not repeat it), until
 * a sync of the calendar goes through. */
static void alert_held(Store *store, const Job *job, gint64 now) {
  g_autofree char *key = g_strdup_printf("sync.held.%" G_GINT64_FORMAT, job->cal->id);
  gint64 told = store_value_int(store, key, 0);
  g_autoptr(GError) error = NULL;
  if (!job->held) {
    if (job->ok && told && !store_value_set_int(store, key, 0, &error))
      cli_say(stderr, "%s", error->message);
    return;
  }
  if (told == job->held)
    return;
  g_autofree char *summary = g_strdup_printf("diaryd did not delete %u appointments", job->held);
  g_autofree char *body = g_strdup_printf("%s: %s", job->label, job->error);
  StoreAlert al = {.created = now, .kind = (char *)"sync", .urgency = ALERT_CRITICAL, .summary = summary,
                   .body = body};
  if (!store_alert_add(store, &al, &error) || !store_value_set_int(store, key, job->held, &error))
    cli_say(stderr, "%s", error->message);
}

int cmd_sync(int argc, char **argv) {
  g_autofree char *config = NULL, *db = NULL;
  gboolean json = FALSE, verbose = FALSE, discover = FALSE, force_delete = FALSE;
  int jobs = DEFAULT_JOBS;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store (default: $XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Trace HTTP headers on stderr (credentials hidden)", NULL},
      {"discover", 0, 0, G_OPTION_ARG_NONE, &discover, "Look for added or removed calendars first", NULL},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Calendars synced at once (default 4)", "N"},
      {"force-delete", 0, 0, G_OPTION_ARG_NONE, &force_delete,
       "Apply removals held back because most of a calendar vanished at once (the calendars must be named)", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context("[ACCOUNT[/CALENDAR]...]", "Mirror the configured CalDAV calendars into the local store.\n"
                                    "Prints one line per calendar; exit 1 when a calendar failed.\n"
                                    "A sync that would delete all of a calendar's objects (5 or more), or more than\n"
                                    "half of them (over 20), applies nothing and fails; --force-delete with the\n"
                                    "calendar named applies it.", entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (jobs < 1 || jobs > MAX_JOBS) {
    fprintf(stderr, "diaryd: --jobs must be between 1 and %d\n", MAX_JOBS);
    return EXIT_USAGE;
  }
  if (force_delete && argc < 2) {
    fprintf(stderr, "diaryd: --force-delete applies to the calendars named: diaryd sync --force-delete "
                    "ACCOUNT/CALENDAR (or ACCOUNT for all of its calendars)\n");
    return EXIT_USAGE;
  }
  g_autoptr(DiarydConfig) cfg = load_config(config);
  if (!cfg)
    return EXIT_USAGE;
  if (!cfg->accounts->len) {
    fprintf(stderr, "diaryd: no account configured: add an [account NAME] section to %s (examples in the README)\n",
            cfg->path ? cfg->path : "the config file");
    return EXIT_USAGE;
  }
  char **selection = argv + 1;
  for (char **s = selection; *s; s++) {
    g_autofree char *name = g_strndup(*s, strcspn(*s, "/"));
    if (!diaryd_config_account(cfg, name)) {
      cli_say(stderr, "unknown account \"%s\" (accounts in %s: see `diaryd config check`)", name, cfg->path);
      return EXIT_USAGE;
    }
  }
  /* A sync writes: the file is checked first (PRAGMA quick_check, about
   * 30 ms for 10,000 objects), so that a damaged store is replaced by a new
   * one before anything is written into it. */
  g_autoptr(Store) store = open_store(db, STORE_OPEN_VERIFY);
  if (!store)
    return EXIT_FAILED;

  FILE *trace = verbose ? stderr : NULL;
  g_autoptr(GPtrArray) auths = g_ptr_array_new_with_free_func((GDestroyNotify)account_session_free);
  Work w = {.store = store, .jobs = g_ptr_array_new_with_free_func((GDestroyNotify)job_free)};
  g_autoptr(GPtrArray) jobs_owner = w.jobs;
  gboolean failed = FALSE;
  for (guint i = 0; i < cfg->accounts->len; i++) {
    const Account *account = g_ptr_array_index(cfg->accounts, i);
    if (!is_selected(selection, account->name, NULL))
      continue;
    g_autoptr(GError) error = NULL;
    AccountSession *auth = account_session_new(account, trace, &error);
    if (!auth) {
      cli_say(stderr, "%s", error->message);
      record_status(store, account->name, g_get_real_time() / G_USEC_PER_SEC, "failed", error->message);
      failed = TRUE;
      continue;
    }
    g_ptr_array_add(auths, auth);
    if (!discover_account(store, auth, discover, stderr)) {
      record_status(store, account->name, g_get_real_time() / G_USEC_PER_SEC, "failed",
                    auth->refused ? auth->refused : "discovery failed");
      failed = TRUE;
      continue;
    }
    record_status(store, account->name, g_get_real_time() / G_USEC_PER_SEC, "synced", NULL);
    g_autoptr(GPtrArray) cals = store_calendars(store, account->name, &error);
    if (!cals) {
      cli_say(stderr, "%s", error->message);
      return EXIT_FAILED;
    }
    for (guint j = 0; j < cals->len; j++) {
      StoreCalendar *sc = g_ptr_array_index(cals, j);
      if (!is_selected(selection, account->name, sc->name))
        continue;
      Job *job = g_new0(Job, 1);
      job->auth = auth;
      job->cal = g_ptr_array_steal_index(cals, j--);
      job->label = g_strdup_printf("%s/%s", account->name, job->cal->name);
      if (force_delete)
        store_allow_removals(store, job->cal->id);
      g_ptr_array_add(w.jobs, job);
    }
  }
  for (char **s = selection; *s; s++)
    if (strchr(*s, '/')) {
      gboolean found = FALSE;
      for (guint i = 0; i < w.jobs->len && !found; i++)
        found = !strcmp(((Job *)g_ptr_array_index(w.jobs, i))->label, *s);
      if (!found) {
        cli_say(stderr, "no calendar \"%s\" (try `diaryd sync --discover`)", *s);
        failed = TRUE;
      }
    }

  run_jobs(&w, (guint)jobs, !json && isatty(STDERR_FILENO) && !verbose);

  g_autoptr(GString) out = g_string_new(json ? "{\"calendars\":[" : NULL);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  for (guint i = 0; i < w.jobs->len; i++) {
    Job *job = g_ptr_array_index(w.jobs, i);
    failed |= !job->ok;
    record_status(store, job->label, now, job_status(job), job->error);
    alert_held(store, job, now);
    for (guint k = 0; job->stats.result.problems && k < job->stats.result.problems->len; k++) {
      StoreProblem *p = g_ptr_array_index(job->stats.result.problems, k);
      cli_say(stderr, "%s: %s: %s", job->label, p->href, p->message);
    }
    if (json) {
      if (i)
        g_string_append_c(out, ',');
      job_json(out, job);
    } else {
      job_text(out, job);
    }
  }
  if (json)
    g_string_append(out, "]}\n");
  fwrite(out->str, 1, out->len, stdout);
  agent_poke(store_path(store), "checks the diary now");
  return failed ? EXIT_FAILED : 0;
}

/* ---- discover ------------------------------------------------------------------------------ */

static void components_text(GString *out, guint comps, const char *sep, gboolean quoted) {
  static const struct {
    guint bit;
    const char *name;
  } names[] = {{DAV_COMP_VEVENT, "VEVENT"}, {DAV_COMP_VTODO, "VTODO"}, {DAV_COMP_VJOURNAL, "VJOURNAL"}};
  gboolean first = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (comps & names[i].bit) {
      g_string_append_printf(out, "%s%s%s%s", first ? "" : sep, quoted ? "\"" : "", names[i].name, quoted ? "\"" : "");
      first = FALSE;
    }
}

int cmd_discover(int argc, char **argv) {
  g_autofree char *config = NULL, *username = NULL, *password_command = NULL, *account_name = NULL,
                  *ca_file = NULL;
  gboolean json = FALSE, verbose = FALSE;
  const GOptionEntry entries[] = {
      {"username", 'u', 0, G_OPTION_ARG_STRING, &username, "User name", "NAME"},
      {"password-command", 0, 0, G_OPTION_ARG_STRING, &password_command, "Command that prints the password", "CMD"},
      {"account", 'a', 0, G_OPTION_ARG_STRING, &account_name, "Use this account's credentials from the config", "NAME"},
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file", "FILE"},
      {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "Extra trusted CA certificates (PEM)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Trace HTTP headers on stderr (credentials hidden)", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context("[URL]", "Find the calendars behind a CalDAV URL: a bare host (RFC 6764), a principal,\n"
                                    "a calendar home or a calendar.  With --account, the URL defaults to the account's.", entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc > 2 || (argc < 2 && !account_name)) {
    fprintf(stderr, "diaryd: discover needs one URL, e.g. diaryd discover https://cloud.example.com/\n");
    return EXIT_USAGE;
  }
  /* The account to use: from the config, or made up from the flags. */
  g_autoptr(DiarydConfig) cfg = NULL;
  Account adhoc = {.name = (char *)"discover", .auth = ACCOUNT_AUTH_NONE};
  g_auto(GStrv) argv_cmd = NULL;
  const Account *account = &adhoc;
  if (account_name) {
    cfg = load_config(config);
    if (!cfg)
      return EXIT_USAGE;
    account = diaryd_config_account(cfg, account_name);
    if (!account) {
      cli_say(stderr, "unknown account \"%s\"", account_name);
      return EXIT_USAGE;
    }
  } else {
    adhoc.username = username;
    adhoc.ca_file = ca_file;
    if (password_command) {
      g_autoptr(GError) error = NULL;
      if (!g_shell_parse_argv(password_command, NULL, &argv_cmd, &error)) {
        fprintf(stderr, "diaryd: --password-command: %s\n", error->message);
        return EXIT_USAGE;
      }
      adhoc.password_command = argv_cmd;
    }
    if (username && !password_command) {
      fprintf(stderr, "diaryd: --username needs --password-command (or use --account NAME)\n");
      return EXIT_USAGE;
    }
    if (username)
      adhoc.auth = ACCOUNT_AUTH_BASIC;
  }
  const char *url = argc == 2 ? argv[1] : account->url;
  /* Credentials go to the URL being discovered, nowhere else. */
  adhoc.url = (char *)url;
  Account with_url;
  if (account != &adhoc) {
    with_url = *account;
    with_url.url = (char *)url;
    account = &with_url;
  }
  g_autoptr(GError) error = NULL;
  AccountSession *auth = account_session_new(account, verbose ? stderr : NULL, &error);
  if (!auth) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autoptr(Http) http = account_session_http(auth, &error);
  if (!http) {
    cli_say(stderr, "%s", error->message);
    account_session_free(auth);
    return EXIT_FAILED;
  }
  CaldavClient client = account_session_client(http, auth);
  client.with_state = TRUE;
  g_autoptr(CaldavDiscovery) d = caldav_discover(&client, url, &error);
  account_session_free(auth);
  if (!d) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  if (json) {
    g_string_append(out, "{\"principal\":");
    report_append_json_string(out, d->principal);
    g_string_append(out, ",\"home\":[");
    for (guint i = 0; i < d->homes->len; i++) {
      if (i)
        g_string_append_c(out, ',');
      report_append_json_string(out, g_ptr_array_index(d->homes, i));
    }
    g_string_append(out, "],\"calendars\":[");
    for (guint i = 0; i < d->calendars->len; i++) {
      CaldavCalendar *c = g_ptr_array_index(d->calendars, i);
      g_autofree char *name = valid_utf8(c->name), *ctag = valid_utf8(c->ctag), *tok = valid_utf8(c->sync_token);
      g_string_append(out, i ? ",{\"name\":" : "{\"name\":");
      report_append_json_string(out, name);
      g_string_append(out, ",\"url\":");
      report_append_json_string(out, c->url);
      g_string_append(out, ",\"color\":");
      report_append_json_string(out, c->color);
      g_string_append(out, ",\"components\":[");
      components_text(out, c->components, ",", TRUE);
      g_string_append(out, "],\"ctag\":");
      report_append_json_string(out, ctag);
      g_string_append(out, ",\"sync_token\":");
      report_append_json_string(out, tok);
      g_string_append_printf(out, ",\"sync_collection\":%s}", c->sync_collection ? "true" : "false");
    }
    g_string_append(out, "]}\n");
  } else {
    if (d->principal)
      g_string_append_printf(out, "principal: %s\n", d->principal);
    for (guint i = 0; i < d->homes->len; i++)
      g_string_append_printf(out, "home: %s\n", (char *)g_ptr_array_index(d->homes, i));
    for (guint i = 0; i < d->calendars->len; i++) {
      CaldavCalendar *c = g_ptr_array_index(d->calendars, i);
      g_autofree char *name = report_clean_line(c->name);
      g_string_append_printf(out, "calendar: %s  %s\n  color: %s  components: ", name, c->url,
                             c->color ? c->color : "none");
      if (c->components)
        components_text(out, c->components, ",", FALSE);
      else
        g_string_append(out, "any");
      g_autofree char *ctag = c->ctag ? report_clean_line(c->ctag) : NULL;
      g_string_append_printf(out, "  ctag: %s  sync-collection: %s\n", ctag ? ctag : "none",
                             c->sync_collection ? "yes" : "no");
    }
  }
  fwrite(out->str, 1, out->len, stdout);
  return 0;
}

/* ---- journal -------------------------------------------------------------------------------- */

int cmd_journal(int argc, char **argv) {
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  gint64 after = 0;
  const GOptionEntry entries[] = {
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store (default: $XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL},
      {"after", 0, 0, G_OPTION_ARG_INT64, &after, "Only changes after this sequence number", "SEQ"},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context(NULL, "Show the change journal: what each sync added, modified or removed, per\n"
                                    "appointment (UID) and occurrence (RECURRENCE-ID).", entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc > 1 || after < 0) {
    fprintf(stderr, "diaryd: journal takes no arguments (see --help)\n");
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = open_store(db, 0);
  if (!store)
    return EXIT_FAILED;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new(json ? "{\"changes\":[" : NULL);
  gboolean first = TRUE;
  for (;;) {
    g_autoptr(GPtrArray) rows = store_journal_read(store, "journal-cli", after, 5000, &error);
    if (!rows) {
      cli_say(stderr, "%s", error->message);
      return EXIT_FAILED;
    }
    if (!rows->len)
      break;
    for (guint i = 0; i < rows->len; i++) {
      StoreChange *c = g_ptr_array_index(rows, i);
      after = c->seq;
      g_autofree char *label = valid_utf8(c->label ? c->label : "?");
      if (json) {
        g_autofree char *uid = valid_utf8(c->uid), *rid = valid_utf8(c->recurrence_id), *href = valid_utf8(c->href);
        const char *slash = strchr(label, '/');
        g_autofree char *account = g_strndup(label, slash ? (gsize)(slash - label) : strlen(label));
        g_string_append_printf(out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"account\":", first ? "" : ",", c->seq);
        report_append_json_string(out, account);
        g_string_append(out, ",\"calendar\":");
        report_append_json_string(out, slash ? slash + 1 : label);
        g_string_append(out, ",\"href\":");
        report_append_json_string(out, href);
        g_string_append_printf(out, ",\"kind\":\"%s\",\"uid\":", calchange_kind_name(c->kind));
        report_append_json_string(out, uid);
        g_string_append(out, ",\"recurrence_id\":");
        report_append_json_string(out, rid);
        g_string_append(out, ",\"fields\":[");
        g_auto(GStrv) fields = c->fields ? g_strsplit(c->fields, ",", -1) : NULL;
        for (guint k = 0; fields && fields[k]; k++) {
          if (k)
            g_string_append_c(out, ',');
          report_append_json_string(out, fields[k]);
        }
        g_string_append_printf(out, "],\"baseline\":%s,\"at\":%" G_GINT64_FORMAT "}", c->baseline ? "true" : "false",
                               c->at);
      } else {
        g_autofree char *line = g_strdup_printf("%" G_GINT64_FORMAT " %s %s %s%s%s%s%s%s", c->seq, label,
                                                calchange_kind_name(c->kind), c->uid, c->recurrence_id ? " " : "",
                                                c->recurrence_id ? c->recurrence_id : "", c->fields ? " " : "",
                                                c->fields ? c->fields : "", c->baseline ? " (baseline)" : "");
        g_autofree char *clean = report_clean_line(line);
        g_string_append_printf(out, "%s\n", clean);
      }
      first = FALSE;
    }
    fwrite(out->str, 1, out->len, stdout);
    g_string_truncate(out, 0);
  }
  if (json)
    g_string_append(out, "]}\n");
  fwrite(out->str, 1, out->len, stdout);
  return 0;
}

/* ---- config check ------------------------------------------------------------------------------ */

int cmd_config(int argc, char **argv) {
  g_autofree char *config = NULL;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context("check", "List every problem in the config file, with its line.\n"
                                    "Exit 0 when there is none, 2 otherwise.", entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc != 2 || strcmp(argv[1], "check") != 0) {
    if (argc >= 2)
      cli_say(stderr, "unknown config command \"%s\" (the one there is: diaryd config check [--config FILE])", argv[1]);
    else
      fprintf(stderr, "diaryd: usage: diaryd config check [--config FILE]\n");
    return EXIT_USAGE;
  }
  g_autofree char *path = config ? g_strdup(config) : diaryd_config_default_path();
  CheckConfig check;
  check_config_init(&check, g_get_real_time() / G_USEC_PER_SEC);
  g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, &check);
  check_config_clear(&check);
  print_problems(cfg, stdout);
  if (cfg->problems->len)
    return EXIT_USAGE;
  printf("%s: no problems (%u account%s, %u calendar setting%s)\n", path, cfg->accounts->len,
         cfg->accounts->len == 1 ? "" : "s", cfg->calendars->len, cfg->calendars->len == 1 ? "" : "s");
  return 0;
}

/* ---- auth ------------------------------------------------------------------------------------------ */

int cmd_auth(int argc, char **argv) {
  g_autofree char *config = NULL;
  int timeout = 300;
  gboolean print_token = FALSE;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file", "FILE"},
      {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Seconds to wait for the browser (default 300)", "S"},
      {"print-token", 0, 0, G_OPTION_ARG_NONE, &print_token,
       "Print a valid access token (refreshed when needed) for another program, e.g. [mail] password_command "
       "with auth = xoauth2",
       NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = cli_context("ACCOUNT", "Authorise diaryd for an OAuth2 account (Google): prints a URL to open in a\n"
                                    "browser and waits for the answer on a loopback address.", entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc != 2 || timeout < 1) {
    fprintf(stderr, "diaryd: usage: diaryd auth ACCOUNT [--timeout S]\n");
    return EXIT_USAGE;
  }
  g_autoptr(DiarydConfig) cfg = load_config(config);
  if (!cfg)
    return EXIT_USAGE;
  const Account *account = diaryd_config_account(cfg, argv[1]);
  if (!account) {
    cli_say(stderr, "unknown account \"%s\"", argv[1]);
    return EXIT_USAGE;
  }
  if (account->auth != ACCOUNT_AUTH_OAUTH2) {
    cli_say(stderr, "account \"%s\" does not use OAuth2 (auth = oauth2)", argv[1]);
    return EXIT_USAGE;
  }
  HttpOptions opts = {.ca_file = account->ca_file};
  g_autoptr(Http) http = http_new(&opts);
  g_autoptr(GError) error = NULL;
  if (print_token) {
    /* For a password_command: the token on stdout, nothing else there. */
    g_autofree char *token = oauth_access_token(account, http, g_get_real_time() / G_USEC_PER_SEC, &error);
    if (!token) {
      cli_say(stderr, "%s", error->message);
      return EXIT_FAILED;
    }
    printf("%s\n", token);
    memset(token, 0, strlen(token));
    return 0;
  }
  if (!oauth_authorize(account, http, stdout, (guint)timeout, &error)) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  g_autofree char *kept = oauth_token_path(account);
  printf("diaryd: account \"%s\" authorised; tokens kept in %s\n", account->name, kept);
  return 0;
}
