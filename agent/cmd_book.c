/* cmd_book: `diaryd book`, `diaryd reschedule` and `diaryd cancel`: the
 * diary's writes, each checked against every rule before it is made.
 *
 * The order is the diary manager's: look first, then write.
 *   1. Sync (a child `diaryd sync`), so the check sees what other clients
 *      booked a moment ago.
 *   2. Put the new or moved appointment into the diary read from the store
 *      and the local folder, and run every rule over the days it touches.
 *      A finding of severity error that involves it refuses the write
 *      (unless --force): the rule, the appointment it clashes with, and the
 *      three nearest slots that pass every rule.
 *   3. Write: a creation with If-None-Match: * (nothing is overwritten; on
 *      Google, which ignores it, the href is read first), a change with
 *      If-Match: the ETag the check saw.  A 412 means someone changed it
 *      meanwhile: sync, check again, write once more, or explain.
 *   4. Look again: the booking was written marked pending; sync the
 *      calendar and check once more.  Two bookers who checked the same free
 *      slot at the same moment: see still_stands() for who goes.  The
 *      survivor's mark is taken off.
 *   5. The confirmation: the agent is told to look now (SIGUSR1); with no
 *      agent running, `diaryd refresh` and `diaryd outbox send` run here.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "account_session.h"
#include "accounts.h"
#include "agentlock.h"
#include "caldav.h"
#include "checks.h"
#include "cli.h"
#include "common.h"
#include "compose.h"
#include "confirmations.h"
#include "message.h"
#include "report.h"
#include "slots.h"
#include "store.h"
#include "when.h"

/* After a write that clashes with a later booking still pending: look
 * again every half second until its booker has removed it, for at most
 * PENDING_WAIT_S (a booker that stopped never will). */
#define PENDING_WAIT_S 60
#define SETTLE_WAIT_MS 500
/* How far from the asked time alternatives are looked for. */
#define ALTERNATIVES_BEFORE (7 * 86400)
#define ALTERNATIVES_AFTER (21 * 86400)
#define N_ALTERNATIVES 3

typedef struct {
  Common c;
  Setup s;
  gboolean setup_done;
  DiarydConfig *cfg;
  Store *store;
  char *self;
  gboolean json, dry_run, force, no_sync;
  GString *out;
} Book;

static void book_clear(Book *b) {
  if (b->setup_done)
    common_setup_clear(&b->s);
  common_clear(&b->c);
  diaryd_config_free(b->cfg);
  store_free(b->store);
  g_free(b->self);
  if (b->out)
    g_string_free(b->out, TRUE);
}

/* Runs `diaryd ARGS --config --db`, quietly; TRUE when it exited 0, else
 * FALSE with what it printed on stderr. */
static gboolean run_child(Book *b, const char *const *args, char **err) {
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(b->self));
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, g_strdup(*a));
  if (b->cfg->path) {
    g_ptr_array_add(argv, g_strdup("--config"));
    g_ptr_array_add(argv, g_strdup(b->cfg->path));
  }
  g_ptr_array_add(argv, g_strdup("--db"));
  g_ptr_array_add(argv, g_strdup(store_path(b->store)));
  g_ptr_array_add(argv, NULL);
  g_auto(GStrv) env = g_get_environ();
  /* Not the agent's business yet: it is told once, at the end. */
  env = g_environ_setenv(env, "DIARYD_AGENT_CHILD", "1", TRUE);
  g_autofree char *child_err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &child_err,
                    &status, &error)) {
    *err = g_strdup(error->message);
    return FALSE;
  }
  if (!g_spawn_check_wait_status(status, NULL)) {
    *err = g_strdup(child_err && *child_err ? g_strstrip(child_err) : "it failed");
    return FALSE;
  }
  return TRUE;
}

/* ---- the calendar -------------------------------------------------------------------------------- */

typedef struct {
  StoreCalendar *cal;
  const Account *account;
} Target;

/* "ACCOUNT/NAME" or a NAME no other account has. */
static gboolean find_calendar(Book *b, const char *wanted, Target *t) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cals = store_calendars(b->store, NULL, &error);
  if (!cals) {
    cli_say(stderr, "%s", error->message);
    return FALSE;
  }
  StoreCalendar *found = NULL;
  guint matches = 0;
  for (guint i = 0; i < cals->len; i++) {
    StoreCalendar *c = g_ptr_array_index(cals, i);
    g_autofree char *label = g_strdup_printf("%s/%s", c->account, c->name);
    if (!strcmp(label, wanted) || !strcmp(c->name, wanted)) {
      found = c;
      matches++;
    }
  }
  if (matches != 1) {
    GString *names = g_string_new(NULL);
    for (guint i = 0; i < cals->len; i++) {
      StoreCalendar *c = g_ptr_array_index(cals, i);
      g_string_append_printf(names, "%s%s/%s", i ? ", " : "", c->account, c->name);
    }
    cli_say(stderr, "%s calendar \"%s\" (synced calendars: %s)", matches ? "more than one" : "no", wanted,
            names->len ? names->str : "none: run diaryd sync");
    g_string_free(names, TRUE);
    return FALSE;
  }
  t->account = diaryd_config_account(b->cfg, found->account);
  if (!t->account) {
    cli_say(stderr, "calendar \"%s\" belongs to account \"%s\", which the config no longer has", wanted,
            found->account);
    return FALSE;
  }
  for (guint i = 0; i < cals->len; i++)
    if (g_ptr_array_index(cals, i) == found)
      t->cal = g_ptr_array_steal_index(cals, i);
  return TRUE;
}

static CaldavClient *client_for(const Account *account, AccountSession **session, Http **http, GError **error) {
  *session = account_session_new(account, NULL, error);
  if (!*session)
    return NULL;
  *http = account_session_http(*session, error);
  if (!*http)
    return NULL;
  CaldavClient *client = g_new0(CaldavClient, 1);
  *client = account_session_client(*http, *session);
  client->quiet = TRUE;
  return client;
}

/* ---- reading and checking ---------------------------------------------------------------------- */

/* Syncs (unless --no-sync), then reads the diary. */
static int look(Book *b, const char *what) {
  if (!b->no_sync && b->cfg->accounts->len) {
    g_autofree char *err = NULL;
    const char *args[] = {"sync", NULL};
    if (!run_child(b, args, &err)) {
      cli_say(stderr, "cannot check availability: the sync failed: %s", err);
      fprintf(stderr, "diaryd: (--no-sync checks against the diary as last synced, at your risk)\n");
      return EXIT_FAILED;
    }
  }
  if (b->setup_done) {
    /* Read again (after a write or a 412): the settings are read again too. */
    common_setup_clear(&b->s);
    check_config_clear(&b->c.cfg);
  }
  b->c.allow_empty = TRUE;
  int rc = common_setup(&b->c, NULL, 1, &b->s);
  b->setup_done = TRUE;
  if (rc)
    fprintf(stderr, "diaryd: %s: cannot read the diary\n", what);
  return rc;
}

/* The diary over the days around [start, end), with room for the
 * alternatives on either side. */
static Diary *diary_around(Book *b, gint64 start, gint64 end) {
  return common_build_diary(&b->c, &b->s, start - ALTERNATIVES_BEFORE - 2 * 86400, end + ALTERNATIVES_AFTER + 2 * 86400);
}

/* Whether the occurrence of `uid` that starts at `start` takes part (other
 * occurrences of a series have their own problems, not this change's). */
static gboolean involves(const Finding *f, const char *uid, gint64 start) {
  for (guint i = 0; i < f->occurrences->len; i++) {
    const FindingOcc *o = g_ptr_array_index(f->occurrences, i);
    if (!g_strcmp0(o->uid, uid) && o->start == start)
      return TRUE;
  }
  return FALSE;
}

/* The findings the occurrence of `uid` at [start, end) takes part in. */
static GPtrArray *findings_for(Book *b, const Diary *diary, const char *uid, gint64 start, gint64 end) {
  CheckRules rules = b->c.cfg.rules;
  rules.now = b->s.now;
  rules.defer_suggestions = TRUE;
  gint64 first = seconds_to_days(zone_to_local(b->s.tz, start)) - 1;
  gint64 last = seconds_to_days(zone_to_local(b->s.tz, MAX(end - 1, start))) + 1;
  g_autoptr(GPtrArray) all = checks_run_days(diary, &rules, first, last);
  GPtrArray *mine = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
  for (guint i = 0; i < all->len; i++)
    if (involves(g_ptr_array_index(all, i), uid, start))
      g_ptr_array_add(mine, g_ptr_array_steal_index(all, i--));
  return mine;
}

/* What stops a booking: every error, and the rules a diary manager keeps
 * when booking even where the checks only warn about what is already
 * there (buffer and travel time, working hours and breaks, the daily limit,
 * notice).  Missing details only warn. */
static gboolean blocks(const Finding *f) {
  return f->severity == SEVERITY_ERROR || f->check == CHECK_BUFFER || f->check == CHECK_HOURS ||
         f->check == CHECK_WORKLOAD || f->check == CHECK_NOTICE;
}

static guint blocking_in(GPtrArray *findings) {
  guint n = 0;
  for (guint i = 0; i < findings->len; i++)
    n += blocks(g_ptr_array_index(findings, i));
  return n;
}

/* The nearest free slots to `near` (the diary must not hold the appointment itself). */
static GArray *alternatives(Book *b, const Diary *diary, gint64 near, gint64 duration, const char *location,
                            const char *const *resources, const Occurrence *exclude) {
  CheckRules rules = b->c.cfg.rules;
  rules.now = b->s.now;
  SlotQuery q = {.duration = duration, .from = MAX(b->s.now, near - ALTERNATIVES_BEFORE),
                 .to = near + ALTERNATIVES_AFTER, .location = location, .resources = resources, .travel = -1,
                 .exclude = exclude};
  return slots_nearest(diary, &rules, &q, near, N_ALTERNATIVES);
}

/* ---- output --------------------------------------------------------------------------------------- */

static void say_refusal(Book *b, const char *what, GPtrArray *findings, GArray *slots) {
  GString *o = b->out;
  if (b->json) {
    g_string_append(o, "{\"ok\": false, \"action\": ");
    report_append_json_string(o, what);
    g_string_append(o, ", \"findings\": [");
    for (guint i = 0; i < findings->len; i++) {
      g_string_append(o, i ? ", " : "");
      report_append_finding_json(o, g_ptr_array_index(findings, i));
    }
    g_string_append(o, "], \"alternatives\": ");
    report_append_slots_json(o, slots);
    g_string_append(o, "}\n");
    return;
  }
  if (findings->len)
    g_string_append_printf(o, "Not %s: the slot breaks %s:\n", what, blocking_in(findings) == 1 ? "a rule" : "rules");
  ReportOptions ropts = {b->s.tz, 0, 0, FALSE, NULL, NULL};
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    if (!blocks(f))
      continue;
    report_append_finding_text(o, &ropts, f, 2);
    g_string_append_printf(o, "    rule: %s\n", f->rule);
  }
  if (slots && slots->len) {
    g_string_append(o, "The nearest slots that pass every rule:\n");
    for (guint i = 0; i < slots->len; i++) {
      g_string_append(o, "  ");
      report_append_slot(o, b->s.tz, &g_array_index(slots, Slot, i));
      g_string_append_c(o, '\n');
    }
  } else {
    g_string_append(o, "No free slot passes every rule within three weeks of it.\n");
  }
}

static void say_done(Book *b, const char *what, const char *uid, const char *label, gint64 start, gint64 end,
                     GPtrArray *warnings) {
  GString *o = b->out;
  if (b->json) {
    g_string_append(o, "{\"ok\": true, \"action\": ");
    g_autofree char *action = g_ascii_strdown(what, -1);
    report_append_json_string(o, action);
    g_string_append(o, ", \"dry_run\": ");
    g_string_append(o, b->dry_run ? "true" : "false");
    g_string_append(o, ", \"uid\": ");
    report_append_json_string(o, uid);
    g_string_append(o, ", \"calendar\": ");
    report_append_json_string(o, label);
    g_string_append(o, ", \"start\": ");
    report_append_json_instant(o, start);
    g_string_append(o, ", \"end\": ");
    report_append_json_instant(o, end);
    g_string_append(o, ", \"warnings\": [");
    for (guint i = 0; warnings && i < warnings->len; i++) {
      g_string_append(o, i ? ", " : "");
      report_append_finding_json(o, g_ptr_array_index(warnings, i));
    }
    g_string_append(o, "]}\n");
    return;
  }
  Slot sl = {start, end};
  g_string_append_printf(o, "%s%s: ", b->dry_run ? "Would be " : "", what);
  report_append_slot(o, b->s.tz, &sl);
  g_string_append_printf(o, " in %s (UID %s)%s\n", label, uid, b->dry_run ? "; nothing was written" : "");
  ReportOptions ropts = {b->s.tz, 0, 0, FALSE, NULL, NULL};
  for (guint i = 0; warnings && i < warnings->len; i++)
    report_append_finding_text(o, &ropts, g_ptr_array_index(warnings, i), 2);
}

/* After a write: the agent looks now; without one, the refresh and the
 * delivery run here, so the confirmation goes either way. */
static void follow_up(Book *b) {
  g_autofree char *lock = agent_lock_path(store_path(b->store));
  if (agent_lock_holder(lock) > 0) {
    agent_poke(store_path(b->store), "sends the confirmations");
    return;
  }
  g_autofree char *err = NULL;
  const char *refresh[] = {"refresh", "--quiet", NULL};
  const char *send[] = {"outbox", "send", NULL};
  if (!run_child(b, refresh, &err) || !run_child(b, send, &err))
    cli_say(stderr, "written, but the confirmations could not be queued or sent now: %s (the agent will, when it runs)",
            err);
}

/* ---- book ---------------------------------------------------------------------------------------- */

typedef struct {
  char *calendar, *summary, *start, *duration, *location, *notes;
  char **attendees, **resources, **rooms, **categories;
  int priority;
} BookArgs;

static void book_args_clear(BookArgs *a) {
  g_free(a->calendar);
  g_free(a->summary);
  g_free(a->start);
  g_free(a->duration);
  g_free(a->location);
  g_free(a->notes);
  g_strfreev(a->attendees);
  g_strfreev(a->resources);
  g_strfreev(a->rooms);
  g_strfreev(a->categories);
}

/* A fresh UID and the href it gets in the collection. */
static char *new_uid(const char *organizer) {
  guint8 random[16];
  for (guint i = 0; i < sizeof random; i += 4) {
    guint32 r = g_random_int();
    memcpy(random + i, &r, 4);
  }
  const char *at = organizer ? strrchr(organizer, '@') : NULL;
  return compose_uid(random, at ? at + 1 : NULL);
}

static char *href_for(const StoreCalendar *cal, const char *uid) {
  g_autofree char *name = g_strndup(uid, strcspn(uid, "@"));
  return g_strdup_printf("%s%s.ics", cal->url, name);
}

static gboolean is_google(const char *url) { return strstr(url, "googleusercontent.com/") != NULL; }

/* A booking of the slot that was not in the diary when we checked. */
typedef struct {
  gint64 created;   /* CREATED, else DTSTAMP */
  gboolean pending; /* its booker has not settled it yet */
} Rival;

/* The clashing appointments that were not in the diary when we checked:
 * bookings made by someone else meanwhile (uid → Rival). */
static GHashTable *newcomers(Book *b, const char *uid, gint64 start, gint64 end, GHashTable *seen) {
  GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(Diary) diary = diary_around(b, start, end);
  g_autoptr(GPtrArray) findings = findings_for(b, diary, uid, start, end);
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    if (!blocks(f))
      continue;
    for (guint k = 0; k < f->occurrences->len; k++) {
      const FindingOcc *o = g_ptr_array_index(f->occurrences, k);
      if (!strcmp(o->uid, uid) || g_hash_table_contains(seen, o->uid) || g_hash_table_contains(out, o->uid))
        continue;
      Rival r = {G_MININT64, FALSE};
      for (guint n = 0; n < diary_n_occurrences(diary); n++) {
        const Occurrence *occ = diary_occurrence(diary, n);
        if (!strcmp(occ->series->uid, o->uid)) {
          r.created = appointment_created(occ->appt);
          r.pending = occ->appt->booking_pending;
          break;
        }
      }
      g_hash_table_insert(out, g_strdup(o->uid), g_memdup2(&r, sizeof r));
    }
  }
  return out;
}

/* Reads the calendar back (a sync of it) and the diary: FALSE when that failed. */
static gboolean read_back(Book *b, const Target *t) {
  g_autofree char *err = NULL;
  g_autofree char *label = g_strdup_printf("%s/%s", t->cal->account, t->cal->name);
  const char *args[] = {"sync", label, NULL};
  gboolean no_sync = b->no_sync;
  b->no_sync = TRUE; /* the one calendar is enough */
  gboolean ok = run_child(b, args, &err) && look(b, "after the write") == 0;
  b->no_sync = no_sync;
  if (!ok)
    cli_say(stderr, "written, but the calendar could not be read back to check it%s%s", err ? ": " : "",
            err ? err : "");
  return ok;
}

/* Step 4: after the write, look again.  TRUE when the booking stands.
 *
 * Our booking was written marked pending (COMPOSE_PENDING_PROP).  A clash
 * with a booking that was not there when we checked means two bookers took
 * the same slot; the one who wrote second always sees the other, because it
 * reads back after both writes.  Ours goes when the other is settled (its
 * booker saw no clash, or it is not diaryd's) or pending and earlier (by
 * CREATED, then UID).  When every other is pending and later, its booker
 * will see ours and remove its own: we look again until it has.  Only we
 * settle ours, and only when we saw no rival, so at most one booking
 * survives and, while both bookers run, exactly one; no step depends on
 * how long the other takes, except that a rival still pending after
 * PENDING_WAIT_S (its booker died) no longer holds ours back. */
static gboolean still_stands(Book *b, const char *uid, gint64 created, gint64 start, gint64 end, GHashTable *seen,
                             const Target *t) {
  gint64 deadline = g_get_monotonic_time() + (gint64)PENDING_WAIT_S * G_USEC_PER_SEC;
  for (;;) {
    if (!read_back(b, t))
      return TRUE;
    g_autoptr(GHashTable) rivals = newcomers(b, uid, start, end, seen);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, rivals);
    while (g_hash_table_iter_next(&it, &key, &value)) {
      const Rival *r = value;
      if (!r->pending || r->created < created || (r->created == created && strcmp(key, uid) < 0))
        return FALSE;
    }
    if (!g_hash_table_size(rivals))
      return TRUE;
    if (g_get_monotonic_time() >= deadline) {
      cli_say(stderr, "another booking of the slot has been unfinished for %d s (its booker may have stopped): "
                      "yours stands; `diaryd check` shows the clash while both are there", PENDING_WAIT_S);
      return TRUE;
    }
    g_usleep(SETTLE_WAIT_MS * 1000);
  }
}

/* Our booking stands: the pending mark goes (`settled` is the booking
 * without it; If-Match: the ETag the server gave ours, else the one read
 * back).  Failing that, the booking still stands: the mark is only read by
 * other bookers of the same slot. */
static void settle(Book *b, CaldavClient *client, const char *uid, const char *href, const char *settled,
                   const char *etag) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) objs = NULL;
  if (!etag && (objs = store_objects_by_uid(b->store, uid, NULL)) && objs->len == 1)
    etag = ((const StoreObject *)g_ptr_array_index(objs, 0))->etag;
  if (!caldav_put(client, href, settled, etag ? etag : "*", NULL, &error))
    cli_say(stderr, "booked, but its mark as unfinished could not be taken off (%s); other diaryd bookers of the "
                    "same slot will wait up to %d s for it", error->message, PENDING_WAIT_S);
}

static int cmd_book_run(Book *b, BookArgs *a) {
  gint64 duration = 0;
  if (!a->calendar || !a->summary || !*a->summary || !a->start || !a->duration) {
    fprintf(stderr, "diaryd: book needs --calendar, --summary, --start and --duration, e.g.\n"
                    "  diaryd book --calendar Work --summary \"Dental check-up\" --start \"tomorrow 10:00\" "
                    "--duration 45m\n");
    return EXIT_USAGE;
  }
  if (!when_parse_duration(a->duration, &duration) || duration <= 0 || duration > 31 * 86400) {
    fprintf(stderr, "diaryd: --duration: \"%s\" is not a length (examples: 45m, 1h30m, PT45M)\n", a->duration);
    return EXIT_USAGE;
  }
  if (a->priority < 0 || a->priority > 9) {
    fprintf(stderr, "diaryd: --priority: %d is not 0 to 9 (1 is the most urgent)\n", a->priority);
    return EXIT_USAGE;
  }
  for (char **p = a->attendees; p && *p; p++)
    if (!message_address_valid(*p)) {
      cli_say(stderr, "--attendee: \"%s\" is not an email address (example: ann@example.org)", *p);
      return EXIT_USAGE;
    }
  for (char **p = a->rooms; p && *p; p++)
    if (!message_address_valid(*p)) {
      cli_say(stderr, "--room: \"%s\" is not an email address (a room's calendar address, e.g. room2@example.org)", *p);
      return EXIT_USAGE;
    }
  int rc = look(b, "book");
  if (rc)
    return rc;
  gint64 start;
  g_autofree char *why = NULL;
  if (!when_parse_start(a->start, b->s.now, b->s.tz, &start, &why)) {
    cli_say(stderr, "--start: %s", why);
    return EXIT_USAGE;
  }
  if (start < b->s.now && !b->force) {
    cli_say(stderr, "--start: \"%s\" is in the past (--force books it all the same)", a->start);
    return EXIT_USAGE;
  }
  Target t = {0};
  if (!find_calendar(b, a->calendar, &t))
    return EXIT_USAGE;
  g_autoptr(StoreCalendar) cal = t.cal;
  g_autofree char *label = g_strdup_printf("%s/%s", cal->account, cal->name);

  const char *owner_name = NULL;
  const char *owner = confirmations_sender(b->cfg, check_config_owners(&b->c.cfg), &owner_name);
  if ((a->attendees || a->rooms) && !owner) {
    fprintf(stderr, "diaryd: book with attendees needs your address as the organiser: set from in the [mail] "
                    "section (or owner in [check])\n");
    return EXIT_USAGE;
  }
  g_autofree char *uid = new_uid(owner);
  const CalendarSettings *cs = diaryd_config_calendar(b->cfg, cal->account, cal->name, cal->url);
  gint64 alarm = cs && cs->reminders && cs->reminders->len ? g_array_index(cs->reminders, gint64, 0) : -1;
  ComposeEvent ev = {.uid = uid, .summary = a->summary, .start = start, .duration = duration, .zone = b->s.tz,
                     .location = a->location, .description = a->notes, .organizer = owner,
                     .organizer_name = owner_name, .attendees = (const char *const *)a->attendees,
                     .resources = (const char *const *)a->resources, .rooms = (const char *const *)a->rooms,
                     .priority = a->priority, .categories = (const char *const *)a->categories,
                     .alarm_before = alarm, .sequence = 0, .now = b->s.now};
  g_autofree char *ical = compose_event(&ev, &why);
  if (!ical) {
    cli_say(stderr, "%s", why);
    return EXIT_USAGE;
  }
  /* What the diary holds now, and the booking in it. */
  g_autoptr(Diary) diary = diary_around(b, start, start + duration);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < diary_n_occurrences(diary); i++)
    g_hash_table_add(seen, g_strdup(diary_occurrence(diary, i)->series->uid));
  g_autoptr(GArray) slots = NULL;
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  g_autofree char *href = href_for(cal, uid);
  g_autofree char *source = g_strdup_printf("%s/%s", label, strrchr(href, '/') + 1);
  appointments_parse(ical, strlen(ical), source, b->s.zones, parsed, diags);
  if (parsed->len != 1) {
    cli_say(stderr, "internal error: the appointment written does not read back");
    return EXIT_FAILED;
  }
  slots = alternatives(b, diary, start, duration, a->location, (const char *const *)a->resources, NULL);
  diary_add(diary, g_ptr_array_steal_index(parsed, 0), NULL);
  g_autoptr(GPtrArray) findings = findings_for(b, diary, uid, start, start + duration);
  if (blocking_in(findings) && !b->force) {
    say_refusal(b, "booked", findings, slots);
    return EXIT_FINDINGS;
  }
  if (b->dry_run) {
    say_done(b, "Booked", uid, label, start, start + duration, findings);
    return 0;
  }

  g_autoptr(AccountSession) session = NULL;
  g_autoptr(Http) http = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree CaldavClient *client = client_for(t.account, &session, &http, &error);
  if (!client) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  if (is_google(href)) {
    /* Google ignores If-None-Match: make sure the href is free first. */
    g_autoptr(GError) gone = NULL;
    g_autofree char *existing = caldav_get(client, href, NULL, &gone);
    if (existing) {
      cli_say(stderr, "%s exists already: nothing was written", href);
      return EXIT_FAILED;
    }
  }
  /* CREATED is the moment of the write: what orders two bookers.  Both
   * texts are made now: reading back reads the settings again. */
  ev.now = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *settled = compose_event(&ev, &why);
  ev.pending = TRUE;
  g_free(ical);
  ical = settled ? compose_event(&ev, &why) : NULL;
  if (!ical) {
    cli_say(stderr, "%s", why);
    return EXIT_FAILED;
  }
  g_autofree char *etag = NULL;
  if (!caldav_put(client, href, ical, NULL, &etag, &error)) {
    cli_say(stderr, "the booking was not written: %s", error->message);
    return EXIT_FAILED;
  }
  if (!still_stands(b, uid, ev.now, start, start + duration, seen, &t)) {
    /* Someone booked the slot a moment before us: ours goes again. */
    g_autoptr(GError) del = NULL;
    if (!caldav_delete(client, href, etag, &del))
      cli_say(stderr, "the clashing booking could not be removed again (%s): remove %s by hand", del->message, href);
    g_autoptr(Diary) now_diary = diary_around(b, start, start + duration);
    g_autoptr(GArray) fresh = alternatives(b, now_diary, start, duration, a->location,
                                           (const char *const *)a->resources, NULL);
    g_autoptr(GPtrArray) clash = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
    fprintf(stderr, "diaryd: someone else booked the same slot at the same moment: your booking was removed again\n");
    say_refusal(b, "booked", clash, fresh);
    return EXIT_FINDINGS;
  }
  settle(b, client, uid, href, settled, etag);
  say_done(b, "Booked", uid, label, start, start + duration, findings);
  follow_up(b);
  return 0;
}

/* ---- reschedule and cancel ------------------------------------------------------------------------ */

typedef struct {
  const StoreObject *obj;
  StoreCalendar *cal;
  const Account *account;
  char *url;
  char *source;
} Found;

static void found_clear(Found *f) {
  store_calendar_free(f->cal);
  g_free(f->url);
  g_free(f->source);
}

static gboolean find_uid(Book *b, const char *uid, GPtrArray **objs, Found *f) {
  g_autoptr(GError) error = NULL;
  *objs = store_objects_by_uid(b->store, uid, &error);
  if (!*objs) {
    cli_say(stderr, "%s", error->message);
    return FALSE;
  }
  if ((*objs)->len != 1) {
    cli_say(stderr, (*objs)->len ? "UID %s is in more than one calendar: diaryd will not guess which" :
                                   "no synced appointment has UID %s (diaryd agenda --json shows UIDs)", uid);
    return FALSE;
  }
  f->obj = g_ptr_array_index(*objs, 0);
  f->cal = store_calendar_get(b->store, f->obj->calendar, &error);
  if (!f->cal) {
    cli_say(stderr, "%s", error->message);
    return FALSE;
  }
  f->account = diaryd_config_account(b->cfg, f->cal->account);
  if (!f->account) {
    cli_say(stderr, "the appointment is in %s/%s, whose account the config no longer has", f->cal->account,
            f->cal->name);
    return FALSE;
  }
  f->url = http_resolve(f->cal->url, f->obj->href);
  const char *slash = strrchr(f->obj->href, '/');
  f->source = g_strdup_printf("%s/%s/%s", f->cal->account, f->cal->name, slash ? slash + 1 : f->obj->href);
  return TRUE;
}

/* When the occurrence with recurrence id `rid` of the object is (the first
 * one ending after `after` when rid is APPT_NO_TIME). */
static gboolean occurrence_times(Book *b, const char *ical, gint64 rid, gint64 after, gint64 *start, gint64 *end) {
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  appointments_parse(ical, strlen(ical), "reading", b->s.zones, parsed, NULL);
  if (!parsed->len)
    return FALSE;
  ExpandLimits limits = {64, EXPAND_DEFAULT_MAX_ITERATIONS};
  g_autoptr(GArray) occ = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  gint64 from = rid != APPT_NO_TIME ? rid - 2 * 86400 : after;
  series_expand(g_ptr_array_index(parsed, 0), from, from + 2 * 366 * 86400, b->s.tz, &limits, occ, NULL);
  for (guint i = 0; i < occ->len; i++) {
    const Occurrence *o = &g_array_index(occ, Occurrence, i);
    if (rid != APPT_NO_TIME ? o->recurrence_id == rid : o->end > after) {
      *start = o->start;
      *end = o->end;
      return TRUE;
    }
  }
  return FALSE;
}

/* The occurrence of `uid` with this recurrence id (APPT_NO_TIME: the first
 * one in the diary for a single appointment). */
static const Occurrence *occurrence_of(const Diary *diary, const char *uid, gint64 rid) {
  for (guint i = 0; i < diary_n_occurrences(diary); i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    if (strcmp(o->series->uid, uid))
      continue;
    if (rid == APPT_NO_TIME || o->recurrence_id == rid)
      return o;
  }
  return NULL;
}

typedef struct {
  char *start, *duration, *recurrence_id, *reason;
} ChangeArgs;

static void change_args_clear(ChangeArgs *a) {
  g_free(a->start);
  g_free(a->duration);
  g_free(a->recurrence_id);
  g_free(a->reason);
}

static int change_run(Book *b, const char *uid, ChangeArgs *a, gboolean cancel) {
  gint64 duration = -1, rid = APPT_NO_TIME;
  if (!cancel && !a->start) {
    fprintf(stderr, "diaryd: reschedule needs --start, e.g. diaryd reschedule UID --start \"mon 14:30\"\n");
    return EXIT_USAGE;
  }
  if (a->duration && (!when_parse_duration(a->duration, &duration) || duration <= 0)) {
    fprintf(stderr, "diaryd: --duration: \"%s\" is not a length (examples: 45m, 1h30m, PT45M)\n", a->duration);
    return EXIT_USAGE;
  }
  if (a->recurrence_id && !when_parse_instant(a->recurrence_id, &rid)) {
    fprintf(stderr, "diaryd: --recurrence-id: \"%s\" is not an instant (example: 2026-12-08T09:00:00Z, as diaryd "
                    "agenda --json shows it)\n", a->recurrence_id);
    return EXIT_USAGE;
  }
  for (int attempt = 0;; attempt++) {
    if (attempt)
      b->no_sync = FALSE; /* after a 412 the server is read whatever --no-sync said */
    int rc = look(b, cancel ? "cancel" : "reschedule");
    if (rc)
      return rc;
    g_autoptr(GPtrArray) objs = NULL;
    Found f = {0};
    if (!find_uid(b, uid, &objs, &f)) {
      found_clear(&f);
      return EXIT_FAILED;
    }
    gint64 start = 0;
    g_autofree char *why = NULL;
    if (!cancel && !when_parse_start(a->start, b->s.now, b->s.tz, &start, &why)) {
      found_clear(&f);
      cli_say(stderr, "--start: %s", why);
      return EXIT_USAGE;
    }
    if (!cancel && start < b->s.now && !b->force) {
      found_clear(&f);
      cli_say(stderr, "--start: \"%s\" is in the past (--force moves it there all the same)", a->start);
      return EXIT_USAGE;
    }
    /* Dates and floating times are read in the owner's zone, as the diary reads them. */
    g_autofree char *ical =
        cancel ? compose_cancel_local(f.obj->ical, rid, a->reason, b->s.now, b->s.zones, b->s.tz, &why)
               : compose_move_local(f.obj->ical, rid, start, duration, b->s.now, b->s.zones, b->s.tz, &why);
    if (!ical) {
      found_clear(&f);
      cli_say(stderr, "%s", why);
      return EXIT_FAILED;
    }
    g_autofree char *label = g_strdup_printf("%s/%s", f.cal->account, f.cal->name);
    gint64 was_start = 0, was_end = 0;
    if (!occurrence_times(b, f.obj->ical, rid, b->s.now - 86400, &was_start, &was_end)) {
      found_clear(&f);
      cli_say(stderr, rid != APPT_NO_TIME ? "%s has no occurrence at %s" : "%s has no occurrence to come%s", uid,
              a->recurrence_id ? a->recurrence_id : "");
      return EXIT_FAILED;
    }
    if (duration < 0)
      duration = was_end - was_start;
    gint64 from = cancel ? was_start : start, to = cancel ? was_end : start + duration;
    g_autoptr(GPtrArray) findings = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
    if (!cancel) {
      g_autoptr(Diary) diary = diary_around(b, start, start + duration);
      const Occurrence *was = occurrence_of(diary, uid, rid);
      g_autoptr(GArray) slots = alternatives(b, diary, start, duration, was ? was->appt->location : NULL, NULL, was);
      g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
      appointments_parse(ical, strlen(ical), f.source, b->s.zones, parsed, NULL);
      if (parsed->len == 1) {
        diary_replace(diary, f.source, uid, g_ptr_array_steal_index(parsed, 0), 0, NULL, NULL);
        g_ptr_array_unref(findings);
        findings = findings_for(b, diary, uid, start, start + duration);
      }
      if (blocking_in(findings) && !b->force) {
        say_refusal(b, "moved", findings, slots);
        found_clear(&f);
        return EXIT_FINDINGS;
      }
    }
    const char *what = cancel ? "Cancelled" : "Moved";
    if (b->dry_run) {
      say_done(b, what, uid, label, from, to, findings);
      found_clear(&f);
      return 0;
    }
    g_autoptr(AccountSession) session = NULL;
    g_autoptr(Http) http = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree CaldavClient *client = client_for(f.account, &session, &http, &error);
    if (!client || !caldav_put(client, f.url, ical, f.obj->etag, NULL, &error)) {
      if (client && g_error_matches(error, CALDAV_ERROR, CALDAV_ERROR_PRECONDITION) && attempt == 0) {
        /* Changed by someone else since we read it: read, check, try once more. */
        fprintf(stderr, "diaryd: the appointment changed on the server meanwhile: reading it again\n");
        found_clear(&f);
        continue;
      }
      cli_say(stderr, "not %s: %s%s", cancel ? "cancelled" : "moved", error->message,
              g_error_matches(error, CALDAV_ERROR, CALDAV_ERROR_PRECONDITION)
                  ? " (it changed again while diaryd retried: look at it with diaryd agenda, then try again)"
                  : "");
      found_clear(&f);
      return EXIT_FAILED;
    }
    say_done(b, what, uid, label, from, to, findings);
    found_clear(&f);
    const char *args[] = {"sync", label, NULL};
    g_autofree char *err = NULL;
    if (!run_child(b, args, &err))
      cli_say(stderr, "written, but not read back yet: %s", err);
    follow_up(b);
    return 0;
  }
}

/* ---- the commands ---------------------------------------------------------------------------------- */

static GOptionContext *book_context(Book *b, const char *params, const char *summary, const GOptionEntry *extra) {
  const GOptionEntry shared[] = {
      {"force", 0, 0, G_OPTION_ARG_NONE, &b->force, "Write even when a rule is broken", NULL},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &b->dry_run, "Check, and say what would be written; write and send nothing",
       NULL},
      {"no-sync", 0, 0, G_OPTION_ARG_NONE, &b->no_sync, "Check against the diary as last synced", NULL},
      {NULL}};
  g_autoptr(GArray) all = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  for (const GOptionEntry *e = extra; e && e->long_name; e++)
    g_array_append_val(all, *e);
  for (const GOptionEntry *e = shared; e->long_name; e++)
    g_array_append_val(all, *e);
  GOptionContext *ctx = common_context(params, summary, &b->c, (const GOptionEntry *)(void *)all->data);
  return ctx;
}

static int book_start(Book *b, int *argc, char ***argv, GOptionContext *ctx) {
  int rc = cli_parse(ctx, argc, argv);
  if (rc)
    return rc;
  b->json = b->c.json;
  b->out = g_string_new(NULL);
  b->self = cli_self_path();
  b->cfg = cli_load_config(b->c.config, NULL);
  if (b->cfg->problems->len) {
    fprintf(stderr, "diaryd: the config file has problems (see above)\n");
    return EXIT_USAGE;
  }
  if (!b->c.config && b->cfg->path)
    b->c.config = g_strdup(b->cfg->path);
  g_autofree char *db = b->c.db ? g_strdup(b->c.db) : store_default_path();
  g_autoptr(GError) error = NULL;
  b->store = store_open(db, &error);
  if (!b->store) {
    cli_say(stderr, "%s", error->message);
    return EXIT_FAILED;
  }
  return 0;
}

static int book_finish(Book *b, int rc) {
  if (b->out && b->out->len)
    fwrite(b->out->str, 1, b->out->len, stdout);
  book_clear(b);
  return rc;
}

int cmd_book(int argc, char **argv) {
  Book b = {0};
  common_init(&b.c);
  BookArgs a = {0};
  const GOptionEntry entries[] = {
      {"calendar", 0, 0, G_OPTION_ARG_STRING, &a.calendar, "The calendar to write to (NAME or ACCOUNT/NAME)", "NAME"},
      {"summary", 0, 0, G_OPTION_ARG_STRING, &a.summary, "What it is", "TEXT"},
      {"start", 0, 0, G_OPTION_ARG_STRING, &a.start, "When: 2026-12-08 14:30, tomorrow 10:00, mon 9am, ISO 8601", "WHEN"},
      {"duration", 0, 0, G_OPTION_ARG_STRING, &a.duration, "How long: 45m, 1h30m, PT45M", "D"},
      {"location", 0, 0, G_OPTION_ARG_STRING, &a.location, "Where", "L"},
      {"attendee", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.attendees, "Who is invited (repeatable)", "ADDR"},
      {"resource", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.resources, "A room or piece of equipment needed (repeatable)",
       "ROOM"},
      {"room", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.rooms, "A room's calendar address to invite (repeatable)", "ADDR"},
      {"priority", 0, 0, G_OPTION_ARG_INT, &a.priority, "1 (most urgent) to 9", "N"},
      {"notes", 0, 0, G_OPTION_ARG_STRING, &a.notes, "Special requirements and notes", "TEXT"},
      {"category", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.categories, "A category (repeatable)", "C"},
      {NULL}};
  g_autoptr(GOptionContext) ctx = book_context(
      &b, "", "Book an appointment, only where every rule allows it: the diary is synced and checked first; a slot\n"
              "that breaks a rule is refused with the rule, the clashing appointment and the three nearest free\n"
              "slots (exit 1).  The confirmation to the attendees follows through the outbox.",
      entries);
  int rc = book_start(&b, &argc, &argv, ctx);
  if (!rc && argc > 1) {
    fprintf(stderr, "diaryd: book takes no PATH: it books into a synced calendar\n");
    rc = EXIT_USAGE;
  }
  if (!rc)
    rc = cmd_book_run(&b, &a);
  book_args_clear(&a);
  return book_finish(&b, rc);
}

static int change_command(int argc, char **argv, gboolean cancel) {
  Book b = {0};
  common_init(&b.c);
  ChangeArgs a = {0};
  const GOptionEntry move_entries[] = {
      {"start", 0, 0, G_OPTION_ARG_STRING, &a.start, "The new start: 2026-12-08 14:30, tomorrow 10:00, mon 9am",
       "WHEN"},
      {"duration", 0, 0, G_OPTION_ARG_STRING, &a.duration, "A new length (default: as it was)", "D"},
      {"recurrence-id", 0, 0, G_OPTION_ARG_STRING, &a.recurrence_id,
       "Only this occurrence of a series (its original start, UTC)", "R"},
      {NULL}};
  const GOptionEntry cancel_entries[] = {
      {"recurrence-id", 0, 0, G_OPTION_ARG_STRING, &a.recurrence_id,
       "Only this occurrence of a series (its original start, UTC)", "R"},
      {"reason", 0, 0, G_OPTION_ARG_STRING, &a.reason, "Why (goes to the attendees)", "TEXT"},
      {NULL}};
  g_autoptr(GOptionContext) ctx =
      cancel ? book_context(&b, "UID", "Cancel an appointment (or one occurrence): it is marked cancelled on the "
                                       "server, and the attendees get a cancellation.",
                            cancel_entries)
             : book_context(&b, "UID", "Move an appointment (or one occurrence), only where every rule allows it: "
                                       "refused like book, with the\nnearest free slots.  The attendees get the "
                                       "update.",
                            move_entries);
  int rc = book_start(&b, &argc, &argv, ctx);
  if (!rc && argc != 2) {
    fprintf(stderr, "diaryd: %s takes one UID (diaryd agenda --json shows them)\n", cancel ? "cancel" : "reschedule");
    rc = EXIT_USAGE;
  }
  if (!rc)
    rc = change_run(&b, argv[1], &a, cancel);
  change_args_clear(&a);
  return book_finish(&b, rc);
}

int cmd_reschedule(int argc, char **argv) { return change_command(argc, argv, FALSE); }
int cmd_cancel(int argc, char **argv) { return change_command(argc, argv, TRUE); }
