/* store: diaryd's local state, one SQLite database (WAL) in
 * $XDG_STATE_HOME/diaryd/diaryd.db.
 *
 * What it keeps: the calendars (URL, sync token, ctag), their objects
 * (href, etag, UID, iCalendar text, or the error that kept an object out),
 * and the change journal: one row per (UID, RECURRENCE-ID) added, modified
 * or removed, with the properties that changed.
 *
 * Contract:
 * - A sync hands over everything it learnt about one calendar as a
 *   StoreBatch; store_apply() writes the objects, the journal rows and the
 *   new token in one transaction (synchronous=FULL), or nothing.  Applying
 *   the same batch twice changes nothing the second time.
 * - Journal rows are read by named consumers; a consumer's mark moves only
 *   through store_journal_ack(), which callers run inside the same
 *   transaction as the writes the rows caused, so each row is acted on
 *   exactly once.
 * - Rows written before a calendar's first complete sync are flagged
 *   `baseline`: they describe what was already there, not news.
 * - The schema carries a version; store_open() migrates older ones and
 *   refuses newer ones.
 * - One Store may be used from several threads; calls are serialised.
 *
 * - A sync never empties a calendar by accident: a batch that would make
 *   most of a calendar's objects vanish at once (see STORE_GUARD_*) is not
 *   applied unless store_allow_removals() named the calendar.
 * - Lost state is never read as "everything was deleted": a damaged file is
 *   moved aside (kept, never deleted) and a new, empty store started, whose
 *   calendars then begin with a baseline like a first sync (see
 *   store_open_full()).
 *
 * Errors: STORE_ERROR, with SQLite's message and the database path.
 * STORE_ERROR_FULL and STORE_ERROR_IO say that the disk is full or failed
 * (the transaction was rolled back: the store is as it was before);
 * STORE_ERROR_DAMAGED that SQLite found the file corrupt (the next
 * store_open_full() checks it and, if it is, moves it aside).
 */
#pragma once

#include <glib.h>

#include "calobj.h"

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);
typedef enum {
  STORE_ERROR_OPEN,
  STORE_ERROR_SCHEMA,
  STORE_ERROR_SQL,
  STORE_ERROR_NOT_FOUND,
  STORE_ERROR_FULL,          /* the disk (or the quota) is full */
  STORE_ERROR_IO,            /* an I/O error (EIO from a write or an fsync) */
  STORE_ERROR_DAMAGED,       /* the file is corrupt, or in use while damaged */
  STORE_ERROR_MASS_REMOVAL,  /* store_apply(): removals held back (the guard below) */
} StoreError;

/* The mass-removal guard of store_apply(): a batch is refused, and nothing
 * of it applied, when the objects it makes vanish (removed, and their UID
 * not kept by another href of the calendar) are
 *   - all of the calendar's objects, when it had at least STORE_GUARD_ALL_MIN, or
 *   - more than half of them, when more than STORE_GUARD_MANY vanish.
 * A server that suddenly lists an empty collection (misconfigured, a wiped
 * or swapped collection, a proxy answering for it) then changes nothing;
 * the owner confirms a real mass deletion with `diaryd sync --force-delete`. */
#define STORE_GUARD_ALL_MIN 5
#define STORE_GUARD_MANY 20

#define STORE_SCHEMA_VERSION 3

typedef struct Store Store;

/* $XDG_STATE_HOME/diaryd/diaryd.db, or $DIARYD_DB when set. */
char *store_default_path(void);

/* Opens (creating the file and its folder, mode 0700/0600) and migrates.
 * Opening a file whose schema is current takes no write lock, so it does
 * not wait for another process that is writing.  Same as
 * store_open_full(path, 0, error). */
Store *store_open(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

typedef enum {
  /* Runs PRAGMA quick_check on every open, not only after a run saw the
   * file damaged (about 30 ms for 10,000 small objects, 60-90 ms for a
   * 43 MB store, warm cache). */
  STORE_OPEN_VERIFY = 1 << 0,
} StoreOpenFlags;

/* store_open(), and what it does with a damaged file.  The file is damaged
 * when SQLite says it is not a database or corrupt while opening it, when
 * it is shorter than its header says (truncated), when it existed but is
 * empty (0 bytes, no WAL), or when PRAGMA quick_check fails (run with
 * STORE_OPEN_VERIFY, or after a run found it damaged: a marker file
 * "<path>.damaged" says so).  A damaged file is renamed, with its -wal and
 * -shm, to "<path>.damaged-YYYYMMDD-HHMMSS" (kept: it may hold mail still
 * queued), and a new store is started at `path`; the move is told on
 * stderr and, for the agent to show, as a critical alert in the new store.
 * The new store's calendars start with a baseline like a first sync: no
 * news, no confirmations, no cancellations.  When another process has the
 * damaged file open, it is left where it is: STORE_ERROR_DAMAGED, naming
 * that process. */
Store *store_open_full(const char *path, StoreOpenFlags flags, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Where the damaged file went when store_open_full() replaced it (NULL
 * otherwise): the Store owns it. */
const char *store_replaced(const Store *store);

/* Whether a long-running holder (the agent) should free this Store and
 * open the path again with store_open_full(): the file at the path is no
 * longer the one this Store has open (another diaryd moved a damaged file
 * aside and started a new store), or a run found it damaged (the marker)
 * and could not move it while this Store held it. */
gboolean store_needs_reopen(const Store *store);
void store_free(Store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_free)
const char *store_path(const Store *store);

/* ---- accounts --------------------------------------------------------------- */

/* What discovery found for an account is remembered so that a sync need not
 * discover again: the URL it started from and when.  FALSE without an
 * error when the account was never discovered. */
gboolean store_account_get(Store *store, const char *account, char **url, gint64 *discovered_at, GError **error);
gboolean store_account_set(Store *store, const char *account, const char *url, gint64 discovered_at,
                           GError **error);

/* ---- calendars ------------------------------------------------------------ */

typedef struct {
  gint64 id;
  char *account;      /* the config's account name */
  char *url;          /* absolute collection URL, with a trailing slash */
  char *name;         /* display name (or the last path segment) */
  char *color;        /* "#rrggbb" or NULL */
  char *sync_token;   /* NULL until a sync-collection sync completed */
  char *ctag;         /* NULL when the server has none */
  gint64 synced_at;   /* Unix seconds of the last successful sync, 0 never */
  gboolean complete;  /* a complete sync has been applied (the baseline exists) */
  guint objects;      /* stored objects, bad ones included */
  guint bad;          /* objects kept out with an error */
} StoreCalendar;

void store_calendar_free(StoreCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreCalendar, store_calendar_free)

/* The calendar's id, adding the row when it is new; updates name and colour. */
gint64 store_calendar_ensure(Store *store, const char *account, const char *url, const char *name,
                             const char *color, GError **error);
/* NULL with STORE_ERROR_NOT_FOUND when there is no such calendar. */
StoreCalendar *store_calendar_get(Store *store, gint64 id, GError **error);
/* Every calendar (StoreCalendar*, free func set), by account then name, of
 * one account or of all (account NULL); NULL on error. */
GPtrArray *store_calendars(Store *store, const char *account, GError **error);
/* Removes a calendar and its objects (journalled as removals). */
gboolean store_calendar_remove(Store *store, gint64 id, GError **error);

/* href → etag (both char*, owned by the table) of every stored object of a
 * calendar, bad ones included (so an unchanged bad object is not fetched
 * again).  NULL on error. */
GHashTable *store_etags(Store *store, gint64 calendar, GError **error);

/* ---- applying a sync ----------------------------------------------------- */

typedef struct StoreBatch StoreBatch;

/* `full`: the batch lists the whole collection; stored hrefs it does not
 * mention (put, keep, bad) are removed.  `complete`: after this batch the
 * calendar mirrors the server (false for a page of a truncated sync-
 * collection reply that has more to come). */
StoreBatch *store_batch_new(gboolean full, gboolean complete);
void store_batch_free(StoreBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreBatch, store_batch_free)

/* An object as the server has it now.  `ical` is copied; it is scanned with
 * calobj_scan() here, and one that does not scan (or whose UID another href
 * of the calendar already has) is stored with its error instead. */
void store_batch_put(StoreBatch *batch, const char *href, const char *etag, const char *ical, gsize len);
/* An object that could not be taken (too large, fetch refused): recorded
 * with the error, no content, so it is not fetched again until its etag
 * changes. */
void store_batch_bad(StoreBatch *batch, const char *href, const char *etag, const char *error);
/* For a full batch: this href is on the server and unchanged. */
void store_batch_keep(StoreBatch *batch, const char *href);
/* The server no longer has this href. */
void store_batch_remove(StoreBatch *batch, const char *href);
/* The state to store with the objects (NULL leaves the stored value). */
void store_batch_set_token(StoreBatch *batch, const char *sync_token, const char *ctag);
/* Forget the stored sync token (it was refused); takes effect on apply. */
void store_batch_clear_token(StoreBatch *batch);
guint store_batch_size(const StoreBatch *batch); /* puts + bads + removes */

typedef struct {
  char *href;
  char *message;
} StoreProblem;

typedef struct {
  guint added, modified, removed; /* objects */
  guint unchanged;                /* puts whose etag and content were already stored */
  guint journal;                  /* journal rows written */
  GPtrArray *problems;            /* of StoreProblem*: objects stored with an error by this batch */
} StoreResult;

void store_result_clear(StoreResult *res);

/* Writes the batch into the calendar in one transaction.  `res` (may be
 * NULL) is filled on success (overwritten: clear a reused one first).
 * STORE_ERROR_NOT_FOUND when there is no such calendar;
 * STORE_ERROR_MASS_REMOVAL, with nothing applied, when the batch trips the
 * mass-removal guard (STORE_GUARD_*): the message says how many objects
 * would go and the command that applies them; *held_removals (see
 * store_held_removals()) is how many. */
gboolean store_apply(Store *store, gint64 calendar, StoreBatch *batch, StoreResult *res, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
/* Lets the next applies to `calendar` through this Store remove any number
 * of objects (`diaryd sync --force-delete`). */
void store_allow_removals(Store *store, gint64 calendar);
/* How many objects the guard last held back for `calendar` through this
 * Store (0: none). */
guint store_held_removals(Store *store, gint64 calendar);

/* ---- reading objects ------------------------------------------------------ */

/* Called for each good object: the calendar, href and iCalendar text
 * (NUL-terminated, valid during the call). */
typedef void (*StoreObjectFunc)(const StoreCalendar *cal, const char *href, const char *ical, gsize len,
                                gpointer data);
/* Every good object of every calendar (calendar = 0) or of one. */
gboolean store_foreach_object(Store *store, gint64 calendar, StoreObjectFunc func, gpointer data, GError **error);
/* The objects kept out with an error: of StoreProblem* (free func set). */
GPtrArray *store_bad_objects(Store *store, gint64 calendar, GError **error);

/* ---- the change journal ---------------------------------------------------- */

typedef struct {
  gint64 seq;          /* increasing, never reused */
  gint64 calendar;
  char *label;         /* "ACCOUNT/CALENDAR" when the row was written (the calendar may be gone) */
  char *href;
  ChangeKind kind;
  char *uid;
  char *recurrence_id; /* NULL for a master */
  char *fields;        /* for modifications: "DTSTART,LOCATION" */
  gboolean baseline;   /* written before the calendar's first complete sync */
  gint64 at;           /* Unix seconds */
} StoreChange;

void store_change_free(StoreChange *c);

/* Up to `limit` rows (0: no limit) after the consumer's mark (after `after`
 * instead, when after >= 0), oldest first (StoreChange*, free func set). */
GPtrArray *store_journal_read(Store *store, const char *consumer, gint64 after, guint limit, GError **error);
/* Moves the consumer's mark to `seq`. */
gboolean store_journal_ack(Store *store, const char *consumer, gint64 seq, GError **error);
/* Transactions for consumers that write their own state with the ack.
 * store_begin() holds the Store for the calling thread until that thread
 * calls store_commit() or store_rollback(); other threads' calls wait.  The
 * store's own functions may be called inside; they nest (as savepoints), and
 * so does store_begin().  A failed store_commit() has rolled back. */
gboolean store_begin(Store *store, GError **error);
gboolean store_commit(Store *store, GError **error);
void store_rollback(Store *store);

/* ---- the agent's state (store_agent.c) ----------------------------------------- *
 *
 * What `diaryd run` and `diaryd refresh` remember between runs: the open
 * findings (so a finding is announced once), the alerts waiting to be shown
 * (written in the transaction that found them, shown afterwards: persist,
 * then act), the reminder triggers with what the owner did with each
 * (shown, snoozed, dismissed: kept across restarts), the sync outcome per
 * calendar, and a few named values. */

typedef struct {
  char *key;          /* Finding.key: stable across runs */
  char *check, *severity, *message;
  gint64 day;         /* local day number the finding is anchored on */
  gint64 first_seen;
  gint64 resolved_at; /* 0 while open */
} StoreFinding;
void store_finding_free(StoreFinding *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreFinding, store_finding_free)

/* The open findings, key → StoreFinding* (owned by the table); NULL on error. */
GHashTable *store_findings_open(Store *store, GError **error);
/* Records a finding as open now: a new key, or one resolved before, is
 * (re)opened with first_seen = now; an open one only has its message and
 * day refreshed. */
gboolean store_finding_put(Store *store, const StoreFinding *f, gint64 now, GError **error);
/* Marks an open finding resolved at `now`. */
gboolean store_finding_resolve(Store *store, const char *key, gint64 now, GError **error);
/* Forgets findings: resolved more than `before`, or open and anchored before
 * `before_day` (they are in the past now, neither news nor resolved). */
gboolean store_findings_prune(Store *store, gint64 before, gint64 before_day, GError **error);
/* How many findings are open (0 on error). */
guint store_findings_count(Store *store);
/* Open findings (StoreFinding*, free func set) by day then key. */
GPtrArray *store_findings_list(Store *store, GError **error);

typedef enum { ALERT_LOW, ALERT_NORMAL, ALERT_CRITICAL } AlertUrgency;

typedef struct {
  gint64 id;
  gint64 created;
  char *kind;       /* "finding", "findings", "review", "missed", "sync" */
  AlertUrgency urgency;
  char *summary, *body;
  char *link;       /* or NULL */
} StoreAlert;
void store_alert_free(StoreAlert *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreAlert, store_alert_free)

gboolean store_alert_add(Store *store, const StoreAlert *a, GError **error);
/* Alerts not yet shown, oldest first (StoreAlert*, free func set). */
GPtrArray *store_alerts_pending(Store *store, GError **error);
gboolean store_alert_shown(Store *store, gint64 id, gint64 now, GError **error);

typedef enum {
  REMINDER_PENDING,   /* waiting for next_at */
  REMINDER_SHOWN,     /* displayed; nothing more unless snoozed */
  REMINDER_SNOOZED,   /* waiting for next_at again */
  REMINDER_DISMISSED, /* the owner dismissed it: never again */
  REMINDER_MISSED,    /* due while the agent could not show it: told once in a summary */
  REMINDER_EXPIRED,   /* due too long ago to be worth showing */
} ReminderState;
const char *reminder_state_name(ReminderState state);

typedef struct {
  char *key;           /* Trigger.key */
  char *kind;          /* "alarm", "default", "leave", "snooze" */
  char *uid;
  gint64 due, start, end;
  gboolean all_day, audio;
  char *summary, *location, *link, *description, *source;
  ReminderState state;
  gint64 next_at;      /* when it shows next (pending, snoozed) */
  gint64 shown_at;     /* 0 never */
} StoreReminder;
void store_reminder_free(StoreReminder *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreReminder, store_reminder_free)

/* Adds a trigger, or refreshes the stored one's details, marking it seen by
 * `generation`.  What the owner did with it is kept, unless the trigger
 * moved (another due time: an appointment moved is a new reminder), which
 * makes it pending again. */
gboolean store_reminder_put(Store *store, const StoreReminder *r, gint64 generation, GError **error);
/* Drops triggers a refresh over [from, …) no longer lists (generation older
 * than `generation`, due at or after `from`) unless they are shown or
 * dismissed, and every trigger due before `forget_before`. */
gboolean store_reminders_prune(Store *store, gint64 generation, gint64 from, gint64 forget_before, GError **error);
/* The earliest next_at of a pending or snoozed trigger, or G_MAXINT64. */
gint64 store_reminders_next(Store *store, GError **error);
/* Pending and snoozed triggers with next_at <= until, by next_at (free func set). */
GPtrArray *store_reminders_due(Store *store, gint64 until, GError **error);
/* Triggers with next_at >= from, pending or snoozed, at most `limit`. */
GPtrArray *store_reminders_upcoming(Store *store, gint64 from, guint limit, GError **error);
StoreReminder *store_reminder_get(Store *store, const char *key, GError **error);
/* Dismisses every trigger of one occurrence (its UID and start) that has
 * not fired yet or is snoozed: "Dismiss" means the owner knows. */
gboolean store_reminders_dismiss(Store *store, const char *uid, gint64 start, GError **error);
/* Sets the state; next_at for pending/snoozed; shown_at = now when SHOWN. */
gboolean store_reminder_set(Store *store, const char *key, ReminderState state, gint64 next_at, gint64 now,
                            GError **error);

typedef struct {
  char *calendar;       /* "ACCOUNT/NAME" */
  gint64 attempted_at, ok_at, next_at;
  char *result;         /* "synced", "unchanged", "failed" */
  char *error;          /* or NULL */
  int failures;         /* in a row */
} StoreSyncStatus;
void store_sync_status_free(StoreSyncStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreSyncStatus, store_sync_status_free)
/* Records the outcome of one sync of a calendar (or of an account, when it
 * failed before its calendars: label "ACCOUNT") at `now`: result "synced",
 * "unchanged" or "failed" with its error.  Counts failures in a row. */
gboolean store_sync_status_record(Store *store, const char *calendar, gint64 now, const char *result,
                                  const char *error_text, GError **error);
/* When the agent means to sync it next (for `diaryd status`). */
gboolean store_sync_status_set_next(Store *store, const char *calendar, gint64 next_at, GError **error);
/* By calendar (free func set). */
GPtrArray *store_sync_status_list(Store *store, GError **error);

/* Named values the agent keeps (last review per kind, refresh generation). */
char *store_value_get(Store *store, const char *name, GError **error);
gboolean store_value_set(Store *store, const char *name, const char *value, GError **error);
/* The same, as an integer; `fallback` when unset or not a number. */
gint64 store_value_int(Store *store, const char *name, gint64 fallback);
gboolean store_value_set_int(Store *store, const char *name, gint64 value, GError **error);

/* ---- confirmations and the outbox (store_outbox.c) ---------------------------- *
 *
 * What each appointment's attendees were told, and the emails on their
 * way.  An outbox row is one message to one recipient about one change of
 * one appointment; its unique key (uid, rid, sequence, recipient, kind)
 * means the same change can never be queued twice, and its Message-ID is
 * made when it is queued and kept for every retry.  Rows that record what
 * was already known (the calendar's baseline, a server that schedules by
 * itself) carry no message.
 *
 *   held → pending → sending → sent        (sending is committed before DATA)
 *                  ↘ tempfail → sending …  (4xx, timeouts: again later, same bytes)
 *                  ↘ permfail              (5xx: the owner is told)
 *   held/pending/tempfail → superseded     (a newer change replaced it before it went)
 *   any unsent → dropped                   (`diaryd outbox drop`)
 */

typedef enum {
  OUTBOX_BASELINE,   /* already there at the calendar's first sync: no message */
  OUTBOX_SERVER,     /* the server sends the invitations itself: no message */
  OUTBOX_HELD,       /* waits for a conflict to clear, or for the owner */
  OUTBOX_PENDING,
  OUTBOX_SENDING,    /* handed to the transport; after a crash it is sent again, same Message-ID */
  OUTBOX_SENT,
  OUTBOX_TEMPFAIL,
  OUTBOX_PERMFAIL,
  OUTBOX_SUPERSEDED,
  OUTBOX_DROPPED,
  OUTBOX_DRYRUN,     /* `--dry-run`: logged, never sent */
  OUTBOX_N_STATES
} OutboxState;
const char *outbox_state_name(OutboxState state);
/* Whether the recipient counts as told by a row in this state (possibly, for sending). */
gboolean outbox_state_told(OutboxState state);
/* Whether the row still waits to go out. */
gboolean outbox_state_queued(OutboxState state);

typedef struct {
  gint64 id;
  char *uid, *rid;        /* rid "" for a master */
  int sequence;
  char *recipient;
  char *kind;             /* "new", "update", "cancel" */
  char *fingerprint;
  OutboxState state;
  char *hold;             /* why it is held, or NULL */
  char *message_id, *thread; /* thread: the first message's id, or NULL */
  char *sender;           /* envelope sender */
  GBytes *message;        /* NULL for rows without one, and in lists */
  char *summary;
  gint64 start;
  int attempts;
  gint64 next_try;
  char *last_error;
  gint64 created, updated, sent_at;
} StoreOutboxRow;
void store_outbox_row_free(StoreOutboxRow *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreOutboxRow, store_outbox_row_free)

typedef struct {
  char *uid, *rid;
  gint64 calendar;
  char *fingerprint;
  int sequence;
  gint64 last_end;        /* G_MAXINT64: an endless series */
  char *snapshot;
  gboolean deleted;
  char *blocked;          /* why nothing goes out for this state of it, or NULL */
} StoreConfirmItem;
void store_confirm_item_free(StoreConfirmItem *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreConfirmItem, store_confirm_item_free)

/* Every item, keyed "UID\x1fRID" (owned by the table). */
GHashTable *store_confirm_items(Store *store, GError **error);
gboolean store_confirm_item_put(Store *store, const StoreConfirmItem *c, gint64 now, GError **error);

/* Queues a row (its id, created and updated are set here).  *added (may be
 * NULL) is FALSE when a row with the same key was already there: nothing
 * changes then. */
gboolean store_outbox_add(Store *store, StoreOutboxRow *row, gboolean *added, GError **error);
/* Every row of one appointment, oldest first, without messages. */
GPtrArray *store_outbox_rows(Store *store, const char *uid, const char *rid, GError **error);
/* Rows in `state` (all of them when state < 0), newest first, at most
 * `limit` (0: all), without messages. */
GPtrArray *store_outbox_list(Store *store, int state, guint limit, GError **error);
StoreOutboxRow *store_outbox_get(Store *store, gint64 id, gboolean with_message, GError **error);
/* Sets a row's state, its error text (NULL clears it) and next try. */
gboolean store_outbox_set_state(Store *store, gint64 id, OutboxState state, const char *error_text,
                                gint64 next_try, gint64 now, GError **error);
/* Marks a row sending (attempts + 1), replacing its message when `message`
 * is not NULL, committed before anything leaves. */
gboolean store_outbox_begin_send(Store *store, gint64 id, GBytes *message, gint64 now, GError **error);
/* The oldest row due at `now`: pending, sending (left by a crash) or
 * tempfail whose next try has come, with its message; NULL without an
 * error when there is none. */
StoreOutboxRow *store_outbox_next_due(Store *store, gint64 now, GError **error);
/* When the next row is due: now or earlier when one is due already,
 * G_MAXINT64 when none waits. */
gint64 store_outbox_next_time(Store *store, GError **error);
/* Messages handed over since `since` (sent or sending). */
guint store_outbox_sent_since(Store *store, gint64 since);
/* How many rows are in each state (counts[OUTBOX_N_STATES]). */
gboolean store_outbox_counts(Store *store, guint *counts, GError **error);
/* Drops (state dropped, with `why`) every message still queued for the
 * appointments recorded on a calendar not in `keep` (ids, `n` of them): a
 * calendar that no longer sends confirmations sends none of what waits. */
gboolean store_outbox_drop_calendars(Store *store, const gint64 *keep, guint n, const char *why, gint64 now,
                                     GError **error);
/* Whether any good object of any calendar has this UID. */
gboolean store_uid_stored(Store *store, const char *uid);

typedef struct {
  gint64 calendar;
  char *href, *etag, *ical;
} StoreObject;
void store_object_free(StoreObject *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreObject, store_object_free)
/* The good objects with this UID (StoreObject*, free func set), by
 * calendar; NULL on error. */
GPtrArray *store_objects_by_uid(Store *store, const char *uid, GError **error);
/* Whether the account's server schedules by itself (RFC 6638
 * calendar-auto-schedule in its DAV header). */
gboolean store_account_set_auto_schedule(Store *store, const char *account, gboolean on, GError **error);
gboolean store_account_auto_schedule(Store *store, const char *account);
