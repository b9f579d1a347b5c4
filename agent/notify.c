/* notify: see notify.h.
 *
 * Two threads.  The owner's (the agent's main loop) cleans the text, puts
 * a Job on a queue and wakes the notification thread; it never waits for
 * anything but the queue's mutex.  The notification thread runs its own
 * GMainContext, pushed as its thread-default one before the first libnotify
 * call: libnotify's D-Bus proxy, and so the "closed" and action signals of
 * every NotifyNotification, belong to that context, and only this thread
 * ever touches a libnotify object.  What must reach the owner (an action
 * the owner picked, a log line) goes back with g_main_context_invoke on the
 * owner's context, where it is dropped once notifier_free() has run.
 *
 * Why probe first.  A Notify sent to a server that does not answer sits in
 * its socket: if our call times out and we sent it again, a server that
 * wakes up would show it twice.  So each batch of work starts with
 * GetCapabilities (which also learns "actions" and "body-markup" again, for
 * a server that restarted as another one) with a short timeout: a server
 * that answers it gets the batch; one that does not gets nothing, and is
 * asked again after a short wait (and at once when the bus name changes
 * owner).  A Notify that still times out (the server hung between the two
 * calls) is logged and not repeated.  Errors that prove the server never
 * had the message (no owner for the name, no bus, the server left the bus
 * without answering) are safe to repeat: reminders are kept for the next
 * server.
 *
 * The session bus connection is GIO's shared one, which by default raises
 * SIGTERM in the process when the bus goes away: we turn that off, a lost
 * desktop is no reason for the agent to stop.
 */
#include <gio/gio.h>
#include <libnotify/notify.h>
#include <string.h>

#include "agentlog.h"
#include "notify.h"

#define MAX_SUMMARY_CHARS 120
#define MAX_BODY_CHARS 1500
/* GetCapabilities must answer within this. */
#define PROBE_TIMEOUT_MS 5000
/* A server that does not answer is asked again after 1 s, then 2, 4, 8,
 * 10, 10, ...: a probe is then outstanding most of the time, and a server
 * that wakes up answers it at once. */
#define RETRY_MAX_SECONDS 10
/* Jobs waiting for the thread (a server that does not answer) ... */
#define MAX_QUEUED 64
/* ... and reminders kept for a server to appear, for at most KEEP_FOR s. */
#define MAX_KEPT 32
#define KEEP_FOR 3600
/* A reminder shown this much later than asked says so. */
#define HELD_NOTE_AFTER 60
/* Waiting for the thread to stop in notifier_free(), at most. */
#define STOP_WAIT_US G_USEC_PER_SEC

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"

typedef enum { JOB_SHOW, JOB_CLOSE } JobKind;

typedef struct {
  JobKind kind;
  char *tag;          /* may be NULL for JOB_SHOW */
  char *summary;      /* cleaned, never marked up */
  char *body;         /* cleaned, not yet escaped (the server's caps decide) */
  AlertUrgency urgency;
  GPtrArray *actions; /* of char*: id, label, id, label, ... */
  gboolean resident;
  gint64 queued_at;   /* real time, seconds */
} Job;

static void job_free(Job *job) {
  if (!job)
    return;
  g_free(job->tag);
  g_free(job->summary);
  g_free(job->body);
  if (job->actions)
    g_ptr_array_unref(job->actions);
  g_free(job);
}

/* What both threads share.  Fields marked (lock) are guarded by `lock`;
 * the others are set before the thread starts and never change. */
typedef struct {
  gatomicrefcount refs;
  GMutex lock;
  GCond cond;
  GQueue jobs;       /* (lock) of Job*, oldest first */
  gboolean kicked;   /* (lock) the thread was woken and has not emptied the queue yet */
  gboolean quit;     /* (lock) */
  gboolean finished; /* (lock) the thread returned */
  gboolean detached; /* (lock) notifier_free() ran: nothing more reaches the owner */
  GMainContext *owner; /* the owner's context: actions and log lines run there */
  GMainContext *ctx;   /* the thread's */
  GMainLoop *loop;     /* the thread's */
  NotifierActionFunc on_action;
  gpointer data; /* not owned */
  char *app_name;
  struct Worker *worker; /* the thread's state, for the thread only; NULL outside its loop */
} Shared;

struct Notifier {
  Shared *sh;
  GThread *thread; /* NULL when it could not be started */
};

typedef enum { SERVER_UNKNOWN, SERVER_UP, SERVER_NONE, SERVER_HUNG } ServerState;

/* The thread's own state: only the notification thread touches it. */
typedef struct Worker {
  Shared *sh;
  ServerState state;
  ServerState outage;   /* the outage logged (SERVER_UP: none) */
  gboolean actions;     /* the server offers actions */
  gboolean body_markup; /* the server renders markup in bodies */
  GHashTable *showing;  /* tag → NotifyNotification* (a reference) */
  GQueue kept;          /* of Job*: reminders waiting for a server, oldest first */
  guint dropped;        /* alerts dropped during this outage */
  GDBusConnection *bus; /* the shared session bus, once reached */
  guint watch;          /* bus name watch of NOTIFY_NAME */
  GSource *retry;       /* a server that does not answer: when to ask again */
  guint retry_seconds;  /* the next wait before asking again */
  char *owner;          /* the unique bus name of the server last seen, or NULL */
} Worker;

static Shared *shared_ref(Shared *sh) {
  g_atomic_ref_count_inc(&sh->refs);
  return sh;
}

static void shared_unref(Shared *sh) {
  if (!g_atomic_ref_count_dec(&sh->refs))
    return;
  g_queue_clear_full(&sh->jobs, (GDestroyNotify)job_free);
  g_main_loop_unref(sh->loop);
  g_main_context_unref(sh->ctx);
  g_main_context_unref(sh->owner);
  g_mutex_clear(&sh->lock);
  g_cond_clear(&sh->cond);
  g_free(sh->app_name);
  g_free(sh);
}

static gboolean shared_detached(Shared *sh) {
  g_mutex_lock(&sh->lock);
  gboolean detached = sh->detached;
  g_mutex_unlock(&sh->lock);
  return detached;
}

/* ---- back to the owner ----------------------------------------------------------------------- */

typedef struct {
  Shared *sh;
  char *tag, *action; /* an action the owner picked, or */
  AgentLogLevel level;
  char *line;         /* a line for the log */
} Post;

static void post_free(gpointer p) {
  Post *m = p;
  shared_unref(m->sh);
  g_free(m->tag);
  g_free(m->action);
  g_free(m->line);
  g_free(m);
}

static gboolean deliver(gpointer p) {
  Post *m = p;
  if (shared_detached(m->sh))
    return G_SOURCE_REMOVE;
  if (m->line)
    agent_log(m->level, "%s", m->line);
  else
    m->sh->on_action(m->tag, m->action, m->sh->data);
  return G_SOURCE_REMOVE;
}

static void post(Shared *sh, Post *m) {
  m->sh = shared_ref(sh);
  g_main_context_invoke_full(sh->owner, G_PRIORITY_DEFAULT, deliver, m, post_free);
}

static void post_log(Shared *sh, AgentLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void post_log(Shared *sh, AgentLogLevel level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Post *m = g_new0(Post, 1);
  m->level = level;
  m->line = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  post(sh, m);
}

/* ---- text ------------------------------------------------------------------------------------ */

/* Text made safe for a notification: valid UTF-8, no control characters
 * (but line feeds when `multiline`), none of the bidirectional overrides
 * that disguise text, at most `max_chars` characters (an ellipsis marks a
 * cut).  Escaping for markup is the thread's: only it knows the server. */
static char *clean_text(const char *text, gboolean multiline, glong max_chars) {
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  GString *out = g_string_new(NULL);
  glong chars = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    if (chars == max_chars) {
      g_string_append(out, "…");
      break;
    }
    gunichar c = g_utf8_get_char(p);
    if (c == '\n' && multiline)
      g_string_append_c(out, '\n');
    else if (c == '\t' || c == '\n' || c == '\r')
      g_string_append_c(out, ' ');
    else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
             (c >= 0x2066 && c <= 0x2069))
      continue;
    else
      g_string_append_unichar(out, c);
    chars++;
  }
  return g_string_free(out, FALSE);
}

/* ---- the notification thread: the server ------------------------------------------------------ */

/* libnotify warns on stderr when there is no server ("Failed to connect to
 * proxy"); the thread reports that itself, once, with context. */
static void quiet_libnotify(const char *domain, GLogLevelFlags level, const char *message, gpointer data) {
  (void)domain;
  (void)level;
  (void)message;
  (void)data;
}

/* Whether a failed call may still have reached the server (it did not
 * answer in time): then it must not be sent again. */
static gboolean maybe_delivered(const GError *e) {
  if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) || g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
      g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
    return TRUE;
  /* The bus answers NoReply both for a server that left without replying
   * (it never had it: safe to repeat) and for its own reply timeout. */
  return g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) && !strstr(e->message, "disconnected");
}

/* An error's text without GDBus's "GDBus.Error:NAME: " prefix. */
static char *error_text(const GError *e) {
  if (!e)
    return g_strdup("unknown error");
  g_autoptr(GError) copy = g_error_copy(e);
  g_dbus_error_strip_remote_error(copy);
  return g_strdup(copy->message);
}

static void forget_showing(Worker *w) {
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->showing);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_signal_handlers_disconnect_matched(value, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, w);
  g_hash_table_remove_all(w->showing);
}

/* The shared session bus, kept from stopping the process when it closes. */
static GDBusConnection *session_bus(Worker *w, GError **error) {
  if (w->bus && g_dbus_connection_is_closed(w->bus))
    g_clear_object(&w->bus);
  if (!w->bus) {
    w->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, error);
    if (w->bus)
      g_dbus_connection_set_exit_on_close(w->bus, FALSE);
  }
  return w->bus;
}

/* Asks the server for its capabilities: up, none, or not answering. */
static ServerState probe(Worker *w, GError **error) {
  GDBusConnection *bus = session_bus(w, error);
  if (!bus)
    return SERVER_NONE;
  g_autoptr(GVariant) reply =
      g_dbus_connection_call_sync(bus, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_NAME, "GetCapabilities", NULL,
                                  G_VARIANT_TYPE("(as)"), G_DBUS_CALL_FLAGS_NONE, PROBE_TIMEOUT_MS, NULL, error);
  if (!reply)
    return maybe_delivered(*error) ? SERVER_HUNG : SERVER_NONE;
  g_autoptr(GVariantIter) caps = NULL;
  const char *cap;
  w->actions = w->body_markup = FALSE;
  g_variant_get(reply, "(as)", &caps);
  while (g_variant_iter_next(caps, "&s", &cap)) {
    w->actions |= !strcmp(cap, "actions");
    w->body_markup |= !strcmp(cap, "body-markup");
  }
  return SERVER_UP;
}

static void process(Worker *w);

static gboolean on_retry(gpointer data) {
  Worker *w = data;
  g_clear_pointer(&w->retry, g_source_unref);
  w->state = SERVER_UNKNOWN;
  process(w);
  return G_SOURCE_REMOVE;
}

static void schedule_retry(Worker *w) {
  if (w->retry)
    return;
  w->retry_seconds = CLAMP(w->retry_seconds * 2, 1, RETRY_MAX_SECONDS);
  w->retry = g_timeout_source_new(w->retry_seconds * 1000);
  g_source_set_callback(w->retry, on_retry, w, NULL);
  g_source_attach(w->retry, w->sh->ctx);
}

static void cancel_retry(Worker *w) {
  if (w->retry) {
    g_source_destroy(w->retry);
    g_clear_pointer(&w->retry, g_source_unref);
  }
}

/* Reminders kept for a server go first now: the stale ones are dropped,
 * the others say they were held back. */
static guint requeue_kept(Worker *w) {
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  guint n = 0;
  Job *job;
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func((GDestroyNotify)job_free);
  g_mutex_lock(&w->sh->lock);
  while ((job = g_queue_pop_tail(&w->kept))) {
    gboolean newer = FALSE; /* the owner asked for this tag again since: that one goes */
    for (GList *l = w->sh->jobs.head; l && !newer; l = l->next)
      newer = ((Job *)l->data)->kind == JOB_SHOW && !g_strcmp0(((Job *)l->data)->tag, job->tag);
    if (newer) {
      job_free(job);
      continue;
    }
    if (now - job->queued_at > KEEP_FOR) {
      g_ptr_array_add(stale, job);
      continue;
    }
    if (now - job->queued_at >= HELD_NOTE_AFTER) {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(job->queued_at);
      g_autofree char *hhmm = at ? g_date_time_format(at, "%H:%M") : g_strdup("?");
      char *body = g_strdup_printf("%s%s(held back since %s: there was no notification server)", job->body,
                                   *job->body ? "\n" : "", hhmm);
      g_free(job->body);
      job->body = body;
    }
    g_queue_push_head(&w->sh->jobs, job);
    n++;
  }
  g_mutex_unlock(&w->sh->lock);
  for (guint i = 0; i < stale->len; i++)
    post_log(w->sh, ALOG_INFO, "the reminder \"%s\" waited more than an hour for a notification server: dropped",
             ((Job *)g_ptr_array_index(stale, i))->summary);
  return n;
}

/* What the server is now, logged once per outage (and once when it ends). */
static void learn_server(Worker *w) {
  g_autoptr(GError) error = NULL;
  w->state = probe(w, &error);
  if (w->state == SERVER_UP) {
    guint kept = requeue_kept(w);
    if (w->outage != SERVER_UP) {
      GString *line = g_string_new("the notification server answers again");
      if (kept)
        g_string_append_printf(line, ": %u reminder%s kept for it shown now", kept, kept == 1 ? "" : "s");
      if (w->dropped)
        g_string_append_printf(line, "%s%u alert%s only logged meanwhile", kept ? "; " : ": ", w->dropped,
                               w->dropped == 1 ? "" : "s");
      post_log(w->sh, ALOG_NOTICE, "%s", line->str);
      g_string_free(line, TRUE);
    }
    w->outage = SERVER_UP;
    w->dropped = 0;
    w->retry_seconds = 0;
    return;
  }
  if (w->state == SERVER_NONE)
    forget_showing(w); /* it will never say they closed */
  if (w->outage == w->state)
    return;
  g_autofree char *why = error_text(error);
  if (w->state == SERVER_NONE)
    post_log(w->sh, ALOG_WARNING,
             "not shown on the desktop: no notification server (%s); until one appears alerts are only logged "
             "and reminders are kept for it",
             why);
  else
    post_log(w->sh, ALOG_WARNING,
             "not shown on the desktop yet: the notification server does not answer (%s); notifications wait "
             "until it does",
             why);
  w->outage = w->state;
}

/* ---- the notification thread: showing ----------------------------------------------------------- */

typedef struct {
  Shared *sh;
  char *tag;
  char *action;
} ActionData;

static void action_data_free(gpointer p) {
  ActionData *d = p;
  shared_unref(d->sh);
  g_free(d->tag);
  g_free(d->action);
  g_free(d);
}

static void on_closed(NotifyNotification *nn, gpointer data) {
  Worker *w = data;
  const char *tag = g_object_get_data(G_OBJECT(nn), "diaryd-tag");
  /* Only if it is still the one showing under that tag. */
  if (tag && g_hash_table_lookup(w->showing, tag) == nn)
    g_hash_table_remove(w->showing, tag);
}

static void on_nn_action(NotifyNotification *nn, char *action, gpointer data) {
  (void)nn;
  (void)action;
  ActionData *d = data;
  Post *m = g_new0(Post, 1);
  m->tag = g_strdup(d->tag);
  m->action = g_strdup(d->action);
  post(d->sh, m);
}

/* A reminder the server could not take waits for the next one; anything
 * else is dropped (it is in the log, and would be stale later). */
static void keep_or_drop(Worker *w, Job *job) {
  if (!job->resident || !job->tag) {
    w->dropped++;
    job_free(job);
    return;
  }
  for (GList *l = w->kept.head; l; l = l->next)
    if (!g_strcmp0(((Job *)l->data)->tag, job->tag)) {
      job_free(l->data);
      g_queue_delete_link(&w->kept, l);
      break;
    }
  g_queue_push_tail(&w->kept, job);
  if (w->kept.length > MAX_KEPT) {
    Job *old = g_queue_pop_head(&w->kept);
    post_log(w->sh, ALOG_WARNING, "too many reminders wait for a notification server: \"%s\" is dropped",
             old->summary);
    job_free(old);
  }
}

static void show(Worker *w, Job *job) {
  g_autofree char *body = w->body_markup ? g_markup_escape_text(job->body, -1) : g_strdup(job->body);
  NotifyNotification *nn = job->tag ? g_hash_table_lookup(w->showing, job->tag) : NULL;
  if (nn) {
    g_object_ref(nn);
    notify_notification_update(nn, job->summary, body, NULL);
    notify_notification_clear_actions(nn);
  } else {
    nn = notify_notification_new(job->summary, body, NULL);
  }
  static const NotifyUrgency urgencies[] = {NOTIFY_URGENCY_LOW, NOTIFY_URGENCY_NORMAL, NOTIFY_URGENCY_CRITICAL};
  notify_notification_set_urgency(nn, urgencies[CLAMP(job->urgency, ALERT_LOW, ALERT_CRITICAL)]);
  notify_notification_set_timeout(nn, job->resident ? NOTIFY_EXPIRES_NEVER : NOTIFY_EXPIRES_DEFAULT);
  notify_notification_set_category(nn, job->resident ? "x-diaryd.reminder" : "x-diaryd.alert");
  notify_notification_set_hint(nn, "desktop-entry", g_variant_new_string("diaryd"));
  guint n_actions = job->actions ? job->actions->len / 2 : 0;
  if (w->actions && job->tag)
    for (guint i = 0; i < n_actions; i++) {
      ActionData *d = g_new0(ActionData, 1);
      d->sh = shared_ref(w->sh);
      d->tag = g_strdup(job->tag);
      d->action = g_strdup(g_ptr_array_index(job->actions, 2 * i));
      notify_notification_add_action(nn, d->action, g_ptr_array_index(job->actions, 2 * i + 1), on_nn_action, d,
                                     action_data_free);
    }

  g_autoptr(GError) error = NULL;
  if (!notify_notification_show(nn, &error)) {
    g_object_unref(nn);
    g_autofree char *why = error_text(error);
    if (maybe_delivered(error)) {
      /* It may still come up when the server wakes: never twice. */
      post_log(w->sh, ALOG_WARNING,
               "the notification server did not answer in time: \"%s\" may be shown late, or not at all (%s)",
               job->summary, why);
      w->state = SERVER_HUNG;
      job_free(job);
      return;
    }
    /* It went (or restarted) between the probe and now. */
    w->state = SERVER_NONE;
    forget_showing(w);
    if (w->outage != SERVER_NONE) {
      post_log(w->sh, ALOG_WARNING,
               "not shown on the desktop: no notification server took it (%s); until one appears alerts are "
               "only logged and reminders are kept for it",
               why);
      w->outage = SERVER_NONE;
    }
    keep_or_drop(w, job);
    return;
  }
  /* Kept while shown only when something may still come back for it (an
   * action) or replace it: plain alerts are fire and forget. */
  if (job->tag && (n_actions || job->resident) && !g_hash_table_contains(w->showing, job->tag)) {
    g_object_set_data_full(G_OBJECT(nn), "diaryd-tag", g_strdup(job->tag), g_free);
    g_signal_connect(nn, "closed", G_CALLBACK(on_closed), w);
    g_hash_table_insert(w->showing, g_strdup(job->tag), g_object_ref(nn));
  }
  g_object_unref(nn);
  job_free(job);
}

static void close_tag(Worker *w, Job *job) {
  for (GList *l = w->kept.head; l; l = l->next)
    if (!g_strcmp0(((Job *)l->data)->tag, job->tag)) {
      job_free(l->data);
      g_queue_delete_link(&w->kept, l);
      break;
    }
  NotifyNotification *nn = w->state == SERVER_UP ? g_hash_table_lookup(w->showing, job->tag) : NULL;
  g_autoptr(GError) error = NULL;
  if (nn && !notify_notification_close(nn, &error) && maybe_delivered(error))
    w->state = SERVER_HUNG;
  job_free(job);
}

/* Does the queued work: first asks the server what it is (once per batch,
 * and again after a doubt); a server that does not answer gets nothing
 * until a retry finds it answering. */
static void process(Worker *w) {
  Shared *sh = w->sh;
  gboolean probed = FALSE;
  for (;;) {
    g_mutex_lock(&sh->lock);
    /* Reminders kept for a server are work too once it may be back. */
    gboolean work = !sh->quit && !w->retry && (sh->jobs.length || (w->kept.length && w->state == SERVER_UNKNOWN));
    if (!work)
      sh->kicked = FALSE;
    g_mutex_unlock(&sh->lock);
    if (!work)
      return;
    if (!probed || w->state == SERVER_UNKNOWN) {
      learn_server(w);
      probed = TRUE;
    }
    if (w->state == SERVER_HUNG) {
      schedule_retry(w);
      continue; /* clears `kicked` */
    }
    g_mutex_lock(&sh->lock);
    Job *job = g_queue_pop_head(&sh->jobs);
    g_mutex_unlock(&sh->lock);
    if (!job)
      continue;
    if (job->kind == JOB_CLOSE)
      close_tag(w, job);
    else if (w->state == SERVER_UP)
      show(w, job);
    else
      keep_or_drop(w, job);
    if (w->state == SERVER_HUNG)
      schedule_retry(w);
  }
}

static gboolean on_kick(gpointer data) {
  Shared *sh = data;
  if (sh->worker) /* only the thread sets it, before its loop runs and after it ends */
    process(sh->worker);
  return G_SOURCE_REMOVE;
}

/* A new owner of the name (a server started or restarted): ask it now. */
static void on_appeared(GDBusConnection *bus, const char *name, const char *owner, gpointer data) {
  (void)bus;
  (void)name;
  Worker *w = data;
  cancel_retry(w);
  /* Another server: the old one's notifications are gone (the first
   * callback names the server the first notifications may have gone to). */
  if (w->owner && strcmp(w->owner, owner))
    forget_showing(w);
  g_free(w->owner);
  w->owner = g_strdup(owner);
  w->state = SERVER_UNKNOWN;
  process(w);
}

static void on_vanished(GDBusConnection *bus, const char *name, gpointer data) {
  (void)bus;
  (void)name;
  Worker *w = data;
  cancel_retry(w);
  forget_showing(w);
  g_clear_pointer(&w->owner, g_free);
  w->state = SERVER_NONE;
  process(w);
}

static gboolean on_quit(gpointer data) {
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

static gpointer worker_main(gpointer data) {
  Shared *sh = data;
  g_main_context_push_thread_default(sh->ctx);
  Worker w = {.sh = sh, .state = SERVER_UNKNOWN, .outage = SERVER_UP};
  w.showing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
  g_queue_init(&w.kept);
  if (!notify_is_initted()) {
    g_log_set_handler("libnotify", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      quiet_libnotify, NULL);
    notify_init(sh->app_name);
  }
  GDBusConnection *bus = session_bus(&w, NULL);
  if (bus)
    w.watch = g_bus_watch_name_on_connection(bus, NOTIFY_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_appeared,
                                             on_vanished, &w, NULL);
  sh->worker = &w;
  process(&w);
  g_main_loop_run(sh->loop);

  if (w.watch)
    g_bus_unwatch_name(w.watch);
  cancel_retry(&w);
  forget_showing(&w);
  g_hash_table_destroy(w.showing);
  g_queue_clear_full(&w.kept, (GDestroyNotify)job_free);
  g_clear_object(&w.bus);
  g_free(w.owner);
  /* Sources the thread's context still holds (a watch's last callbacks). */
  while (g_main_context_iteration(sh->ctx, FALSE))
    ;
  sh->worker = NULL;
  g_main_context_pop_thread_default(sh->ctx);
  g_mutex_lock(&sh->lock);
  sh->finished = TRUE;
  g_cond_broadcast(&sh->cond);
  g_mutex_unlock(&sh->lock);
  shared_unref(sh);
  return NULL;
}

/* ---- the owner's side ------------------------------------------------------------------------------ */

Notifier *notifier_new(const char *app_name, NotifierActionFunc on_action, gpointer data) {
  Shared *sh = g_new0(Shared, 1);
  g_atomic_ref_count_init(&sh->refs);
  g_mutex_init(&sh->lock);
  g_cond_init(&sh->cond);
  g_queue_init(&sh->jobs);
  sh->owner = g_main_context_ref_thread_default();
  sh->ctx = g_main_context_new();
  sh->loop = g_main_loop_new(sh->ctx, FALSE);
  sh->on_action = on_action;
  sh->data = data;
  sh->app_name = g_strdup(app_name);
  Notifier *n = g_new0(Notifier, 1);
  n->sh = sh;
  g_autoptr(GError) error = NULL;
  n->thread = g_thread_try_new("notify", worker_main, shared_ref(sh), &error);
  if (!n->thread) {
    shared_unref(sh); /* the thread's reference */
    sh->quit = TRUE;
    agent_log(ALOG_ERROR, "cannot start the notification thread: %s; nothing is shown on the desktop",
              error->message);
  }
  return n;
}

void notifier_free(Notifier *n) {
  if (!n)
    return;
  Shared *sh = n->sh;
  g_mutex_lock(&sh->lock);
  sh->quit = TRUE;
  sh->detached = TRUE;
  g_mutex_unlock(&sh->lock);
  if (n->thread) {
    g_main_context_invoke_full(sh->ctx, G_PRIORITY_HIGH, on_quit, g_main_loop_ref(sh->loop),
                               (GDestroyNotify)g_main_loop_unref);
    gint64 until = g_get_monotonic_time() + STOP_WAIT_US;
    g_mutex_lock(&sh->lock);
    while (!sh->finished && g_cond_wait_until(&sh->cond, &sh->lock, until))
      ;
    gboolean finished = sh->finished;
    g_mutex_unlock(&sh->lock);
    if (finished)
      g_thread_join(n->thread);
    else
      g_thread_unref(n->thread); /* blocked on a server: it ends on its own, or with the process */
  }
  shared_unref(sh);
  g_free(n);
}

/* Wakes the thread, unless it is already awake for the queue (lock held). */
static void kick(Shared *sh) {
  if (sh->kicked)
    return;
  sh->kicked = TRUE;
  g_main_context_invoke_full(sh->ctx, G_PRIORITY_DEFAULT, on_kick, shared_ref(sh), (GDestroyNotify)shared_unref);
}

/* Removes the queued shows with this tag (lock held). */
static void unqueue_tag(Shared *sh, const char *tag) {
  for (GList *l = sh->jobs.head, *next; l; l = next) {
    next = l->next;
    Job *job = l->data;
    if (job->kind == JOB_SHOW && !g_strcmp0(job->tag, tag)) {
      job_free(job);
      g_queue_delete_link(&sh->jobs, l);
    }
  }
}

gboolean notifier_show(Notifier *n, const char *tag, const char *summary, const char *body, AlertUrgency urgency,
                       const NotifierAction *actions, guint n_actions, gboolean resident, GError **error) {
  Shared *sh = n->sh;
  Job *job = g_new0(Job, 1);
  job->kind = JOB_SHOW;
  job->tag = g_strdup(tag);
  job->summary = clean_text(summary, FALSE, MAX_SUMMARY_CHARS);
  job->body = clean_text(body, TRUE, MAX_BODY_CHARS);
  job->urgency = urgency;
  job->resident = resident;
  job->queued_at = g_get_real_time() / G_USEC_PER_SEC;
  job->actions = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < n_actions; i++) {
    g_ptr_array_add(job->actions, g_strdup(actions[i].id));
    g_ptr_array_add(job->actions, g_strdup(actions[i].label));
  }

  g_mutex_lock(&sh->lock);
  if (sh->quit) {
    g_mutex_unlock(&sh->lock);
    job_free(job);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the notification thread is not running");
    return FALSE;
  }
  if (tag)
    unqueue_tag(sh, tag); /* the newer text wins */
  if (sh->jobs.length >= MAX_QUEUED) {
    /* The oldest alert makes room; reminders are not pushed out. */
    GList *l = sh->jobs.head;
    while (l && (((Job *)l->data)->kind != JOB_SHOW || ((Job *)l->data)->resident))
      l = l->next;
    if (!l) {
      guint waiting = sh->jobs.length;
      g_mutex_unlock(&sh->lock);
      job_free(job);
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                  "%u notifications already wait for a notification server that does not answer", waiting);
      return FALSE;
    }
    job_free(l->data);
    g_queue_delete_link(&sh->jobs, l);
  }
  g_queue_push_tail(&sh->jobs, job);
  kick(sh);
  g_mutex_unlock(&sh->lock);
  return TRUE;
}

void notifier_close(Notifier *n, const char *tag) {
  Shared *sh = n->sh;
  if (!tag)
    return;
  g_mutex_lock(&sh->lock);
  if (!sh->quit) {
    unqueue_tag(sh, tag); /* not shown yet: never */
    Job *job = g_new0(Job, 1);
    job->kind = JOB_CLOSE;
    job->tag = g_strdup(tag);
    g_queue_push_tail(&sh->jobs, job);
    kick(sh);
  }
  g_mutex_unlock(&sh->lock);
}
