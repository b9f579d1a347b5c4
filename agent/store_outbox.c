/* store_outbox: confirmations and the outbox (see store.h).
 *
 * Every function takes the Store's lock and may run inside a transaction
 * opened with store_begin(): the refresh queues messages in the same
 * transaction as the findings and the journal mark of the change that
 * caused them. */
#include <string.h>

#include "store.h"
#include "store_private.h"

static const char *const STATE_NAMES[OUTBOX_N_STATES] = {
    "baseline", "server", "held", "pending", "sending", "sent", "tempfail", "permfail", "superseded", "dropped",
    "dry-run"};

const char *outbox_state_name(OutboxState state) {
  return state >= 0 && state < OUTBOX_N_STATES ? STATE_NAMES[state] : "unknown";
}

static OutboxState state_from_name(const char *name) {
  for (int i = 0; i < OUTBOX_N_STATES; i++)
    if (!g_strcmp0(name, STATE_NAMES[i]))
      return (OutboxState)i;
  return OUTBOX_DROPPED;
}

gboolean outbox_state_told(OutboxState state) {
  return state == OUTBOX_BASELINE || state == OUTBOX_SERVER || state == OUTBOX_SENDING || state == OUTBOX_SENT;
}

gboolean outbox_state_queued(OutboxState state) {
  return state == OUTBOX_HELD || state == OUTBOX_PENDING || state == OUTBOX_TEMPFAIL;
}

void store_outbox_row_free(StoreOutboxRow *r) {
  if (!r)
    return;
  g_free(r->uid);
  g_free(r->rid);
  g_free(r->recipient);
  g_free(r->kind);
  g_free(r->fingerprint);
  g_free(r->hold);
  g_free(r->message_id);
  g_free(r->thread);
  g_free(r->sender);
  if (r->message)
    g_bytes_unref(r->message);
  g_free(r->summary);
  g_free(r->last_error);
  g_free(r);
}

void store_confirm_item_free(StoreConfirmItem *c) {
  if (!c)
    return;
  g_free(c->uid);
  g_free(c->rid);
  g_free(c->fingerprint);
  g_free(c->snapshot);
  g_free(c->blocked);
  g_free(c);
}

/* ---- items ---------------------------------------------------------------------------- */

GHashTable *store_confirm_items(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT uid, rid, calendar, fingerprint, sequence, last_end, snapshot, deleted, "
                                     "blocked FROM confirm_items",
                                     error);
  if (!st)
    return NULL;
  g_autoptr(GHashTable) out =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)store_confirm_item_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreConfirmItem *c = g_new0(StoreConfirmItem, 1);
    c->uid = sq_col_dup(st, 0);
    c->rid = sq_col_dup(st, 1);
    c->calendar = sqlite3_column_int64(st, 2);
    c->fingerprint = sq_col_dup(st, 3);
    c->sequence = sqlite3_column_int(st, 4);
    c->last_end = sqlite3_column_int64(st, 5);
    c->snapshot = sq_col_dup(st, 6);
    c->deleted = sqlite3_column_int(st, 7) != 0;
    c->blocked = sq_col_dup(st, 8);
    g_hash_table_replace(out, g_strconcat(c->uid, "\x1f", c->rid, NULL), c);
  }
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

gboolean store_confirm_item_put(Store *s, const StoreConfirmItem *c, gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "INSERT OR REPLACE INTO confirm_items (uid, rid, calendar, fingerprint, sequence, last_end, "
                           "snapshot, deleted, blocked, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, c->uid);
  sq_bind_str(st, 2, c->rid ? c->rid : "");
  sqlite3_bind_int64(st, 3, c->calendar);
  sq_bind_str(st, 4, c->fingerprint);
  sqlite3_bind_int(st, 5, c->sequence);
  sqlite3_bind_int64(st, 6, c->last_end);
  sq_bind_str(st, 7, c->snapshot ? c->snapshot : "");
  sqlite3_bind_int(st, 8, c->deleted);
  sq_bind_str(st, 9, c->blocked);
  sqlite3_bind_int64(st, 10, now);
  return sq_run(s, st, error);
}

/* ---- rows -------------------------------------------------------------------------------- */

#define ROW_COLUMNS                                                                                              \
  "id, uid, rid, sequence, recipient, kind, fingerprint, state, hold, message_id, thread, sender, summary, "     \
  "start, attempts, next_try, last_error, created, updated, sent_at"

static StoreOutboxRow *row_from(sqlite3_stmt *st, gboolean with_message) {
  StoreOutboxRow *r = g_new0(StoreOutboxRow, 1);
  r->id = sqlite3_column_int64(st, 0);
  r->uid = sq_col_dup(st, 1);
  r->rid = sq_col_dup(st, 2);
  r->sequence = sqlite3_column_int(st, 3);
  r->recipient = sq_col_dup(st, 4);
  r->kind = sq_col_dup(st, 5);
  r->fingerprint = sq_col_dup(st, 6);
  r->state = state_from_name(sq_col_text(st, 7));
  r->hold = sq_col_dup(st, 8);
  r->message_id = sq_col_dup(st, 9);
  r->thread = sq_col_dup(st, 10);
  r->sender = sq_col_dup(st, 11);
  r->summary = sq_col_dup(st, 12);
  r->start = sqlite3_column_int64(st, 13);
  r->attempts = sqlite3_column_int(st, 14);
  r->next_try = sqlite3_column_int64(st, 15);
  r->last_error = sq_col_dup(st, 16);
  r->created = sqlite3_column_int64(st, 17);
  r->updated = sqlite3_column_int64(st, 18);
  r->sent_at = sqlite3_column_int64(st, 19);
  if (with_message && sqlite3_column_type(st, 20) == SQLITE_BLOB)
    r->message = g_bytes_new(sqlite3_column_blob(st, 20), (gsize)sqlite3_column_bytes(st, 20));
  return r;
}

gboolean store_outbox_add(Store *s, StoreOutboxRow *row, gboolean *added, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "INSERT OR IGNORE INTO outbox (uid, rid, sequence, recipient, kind, fingerprint, state, hold, "
                           "message_id, thread, sender, message, summary, start, next_try, created, updated) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, row->uid);
  sq_bind_str(st, 2, row->rid ? row->rid : "");
  sqlite3_bind_int(st, 3, row->sequence);
  sq_bind_str(st, 4, row->recipient);
  sq_bind_str(st, 5, row->kind);
  sq_bind_str(st, 6, row->fingerprint);
  sq_bind_str(st, 7, outbox_state_name(row->state));
  sq_bind_str(st, 8, row->hold);
  sq_bind_str(st, 9, row->message_id);
  sq_bind_str(st, 10, row->thread);
  sq_bind_str(st, 11, row->sender);
  if (row->message) {
    gsize len;
    const void *data = g_bytes_get_data(row->message, &len);
    sqlite3_bind_blob64(st, 12, data, len, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(st, 12);
  }
  sq_bind_str(st, 13, row->summary);
  sqlite3_bind_int64(st, 14, row->start);
  sqlite3_bind_int64(st, 15, row->next_try);
  sqlite3_bind_int64(st, 16, row->created);
  if (!sq_run(s, st, error))
    return FALSE;
  gboolean fresh = sqlite3_changes(s->db) > 0;
  if (fresh)
    row->id = sqlite3_last_insert_rowid(s->db);
  if (added)
    *added = fresh;
  return TRUE;
}

static GPtrArray *collect(Store *s, sqlite3_stmt *st, gboolean with_message, GError **error) {
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_outbox_row_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_ptr_array_add(out, row_from(st, with_message));
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

GPtrArray *store_outbox_rows(Store *s, const char *uid, const char *rid, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st =
      sq_prep(s, "SELECT " ROW_COLUMNS " FROM outbox WHERE uid = ?1 AND rid = ?2 ORDER BY id", error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, uid);
  sq_bind_str(st, 2, rid ? rid : "");
  return collect(s, st, FALSE, error);
}

GPtrArray *store_outbox_list(Store *s, int state, guint limit, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT " ROW_COLUMNS " FROM outbox WHERE ?1 IS NULL OR state = ?1 "
                                     "ORDER BY id DESC LIMIT ?2",
                                     error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, state < 0 ? NULL : outbox_state_name((OutboxState)state));
  sqlite3_bind_int64(st, 2, limit ? (gint64)limit : -1);
  return collect(s, st, FALSE, error);
}

StoreOutboxRow *store_outbox_get(Store *s, gint64 id, gboolean with_message, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT " ROW_COLUMNS ", message FROM outbox WHERE id = ?1", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  int rc = sq_step(s, st, error);
  if (rc == SQLITE_ROW)
    return row_from(st, with_message);
  if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "there is no message %" G_GINT64_FORMAT " in the outbox",
                id);
  return NULL;
}

gboolean store_outbox_set_state(Store *s, gint64 id, OutboxState state, const char *error_text, gint64 next_try,
                                gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "UPDATE outbox SET state = ?2, last_error = ?3, next_try = ?4, updated = ?5, "
                           "hold = CASE WHEN ?2 = 'held' THEN hold ELSE NULL END, "
                           "sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END WHERE id = ?1",
                           error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sq_bind_str(st, 2, outbox_state_name(state));
  sq_bind_str(st, 3, error_text);
  sqlite3_bind_int64(st, 4, next_try);
  sqlite3_bind_int64(st, 5, now);
  return sq_run(s, st, error);
}

gboolean store_outbox_begin_send(Store *s, gint64 id, GBytes *message, gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated = ?2, "
                           "message = coalesce(?3, message) WHERE id = ?1",
                           error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  if (message) {
    gsize len;
    const void *data = g_bytes_get_data(message, &len);
    sqlite3_bind_blob64(st, 3, data, len, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(st, 3);
  }
  return sq_run(s, st, error);
}

StoreOutboxRow *store_outbox_next_due(Store *s, gint64 now, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT " ROW_COLUMNS ", message FROM outbox WHERE state IN ('pending', 'sending') "
                                     "OR (state = 'tempfail' AND next_try <= ?1) ORDER BY id LIMIT 1",
                                     error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, now);
  int rc = sq_step(s, st, error);
  return rc == SQLITE_ROW ? row_from(st, TRUE) : NULL;
}

gint64 store_outbox_next_time(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT min(CASE WHEN state = 'tempfail' THEN next_try ELSE 0 END) FROM outbox "
                                     "WHERE state IN ('pending', 'sending', 'tempfail')",
                                     error);
  if (!st)
    return G_MAXINT64;
  int rc = sq_step(s, st, error);
  return rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0) : G_MAXINT64;
}

guint store_outbox_sent_since(Store *s, gint64 since) {
  LOCKED(s);
  g_autoptr(CachedStmt) st =
      sq_prep(s, "SELECT count(*) FROM outbox WHERE state IN ('sent', 'sending') AND updated >= ?1", NULL);
  if (!st)
    return 0;
  sqlite3_bind_int64(st, 1, since);
  return sq_step(s, st, NULL) == SQLITE_ROW ? (guint)sqlite3_column_int64(st, 0) : 0;
}

gboolean store_outbox_counts(Store *s, guint *counts, GError **error) {
  LOCKED(s);
  memset(counts, 0, sizeof(guint) * OUTBOX_N_STATES);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT state, count(*) FROM outbox GROUP BY state", error);
  if (!st)
    return FALSE;
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    counts[state_from_name(sq_col_text(st, 0))] += (guint)sqlite3_column_int64(st, 1);
  return rc >= 0;
}

gboolean store_account_set_auto_schedule(Store *s, const char *account, gboolean on, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "UPDATE accounts SET auto_schedule = ?2 WHERE name = ?1", error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, account);
  sqlite3_bind_int(st, 2, on);
  return sq_run(s, st, error);
}

gboolean store_account_auto_schedule(Store *s, const char *account) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT auto_schedule FROM accounts WHERE name = ?1", NULL);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, account);
  return sq_step(s, st, NULL) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
}

gboolean store_outbox_drop_calendars(Store *s, const gint64 *keep, guint n, const char *why, gint64 now,
                                     GError **error) {
  LOCKED(s);
  /* The ids to keep as a JSON array: one statement whatever their number. */
  g_autoptr(GString) ids = g_string_new("[");
  for (guint i = 0; i < n; i++)
    g_string_append_printf(ids, "%s%" G_GINT64_FORMAT, i ? "," : "", keep[i]);
  g_string_append_c(ids, ']');
  CachedStmt *st = sq_prep(s,
                           "UPDATE outbox SET state = 'dropped', last_error = ?2, hold = NULL, updated = ?3 "
                           "WHERE state IN ('held', 'pending', 'tempfail') AND EXISTS (SELECT 1 FROM confirm_items c "
                           "WHERE c.uid = outbox.uid AND c.rid = outbox.rid AND c.calendar NOT IN "
                           "(SELECT value FROM json_each(?1)))",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, ids->str);
  sq_bind_str(st, 2, why);
  sqlite3_bind_int64(st, 3, now);
  return sq_run(s, st, error);
}

gboolean store_uid_stored(Store *s, const char *uid) {
  LOCKED(s);
  g_autoptr(CachedStmt) st =
      sq_prep(s, "SELECT 1 FROM objects WHERE uid = ?1 AND error IS NULL AND ical IS NOT NULL LIMIT 1", NULL);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, uid);
  return sq_step(s, st, NULL) == SQLITE_ROW;
}

void store_object_free(StoreObject *o) {
  if (!o)
    return;
  g_free(o->href);
  g_free(o->etag);
  g_free(o->ical);
  g_free(o);
}

GPtrArray *store_objects_by_uid(Store *s, const char *uid, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT calendar, href, etag, ical FROM objects WHERE uid = ?1 AND error IS NULL "
                                     "AND ical IS NOT NULL ORDER BY calendar",
                                     error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, uid);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_object_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreObject *o = g_new0(StoreObject, 1);
    o->calendar = sqlite3_column_int64(st, 0);
    o->href = sq_col_dup(st, 1);
    o->etag = sq_col_dup(st, 2);
    o->ical = sq_col_dup(st, 3);
    g_ptr_array_add(out, o);
  }
  return rc < 0 ? NULL : g_steal_pointer(&out);
}
