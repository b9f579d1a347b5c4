/* store_agent: the agent's tables (see store.h, "the agent's state").
 *
 * Every function takes the Store's lock and may run inside a transaction
 * opened with store_begin(); the refresh writes findings, alerts, reminders
 * and its journal mark in one. */
#include <string.h>

#include "store.h"
#include "store_private.h"

/* ---- findings ------------------------------------------------------------------------- */

void store_finding_free(StoreFinding *f) {
  if (!f)
    return;
  g_free(f->key);
  g_free(f->check);
  g_free(f->severity);
  g_free(f->message);
  g_free(f);
}

#define FINDING_COLUMNS "key, check_name, severity, message, day, first_seen, resolved_at"

static StoreFinding *finding_from_row(sqlite3_stmt *st) {
  StoreFinding *f = g_new0(StoreFinding, 1);
  f->key = sq_col_dup(st, 0);
  f->check = sq_col_dup(st, 1);
  f->severity = sq_col_dup(st, 2);
  f->message = sq_col_dup(st, 3);
  f->day = sqlite3_column_int64(st, 4);
  f->first_seen = sqlite3_column_int64(st, 5);
  f->resolved_at = sqlite3_column_int64(st, 6);
  return f;
}

GHashTable *store_findings_open(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT " FINDING_COLUMNS " FROM findings WHERE resolved_at = 0", error);
  if (!st)
    return NULL;
  g_autoptr(GHashTable) open =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)store_finding_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreFinding *f = finding_from_row(st);
    g_hash_table_replace(open, f->key, f);
  }
  return rc < 0 ? NULL : g_steal_pointer(&open);
}

gboolean store_finding_put(Store *s, const StoreFinding *f, gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "INSERT INTO findings (" FINDING_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) "
                           "ON CONFLICT (key) DO UPDATE SET message = excluded.message, day = excluded.day, "
                           "first_seen = CASE WHEN resolved_at = 0 THEN first_seen ELSE excluded.first_seen END, "
                           "resolved_at = 0",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, f->key);
  sq_bind_str(st, 2, f->check);
  sq_bind_str(st, 3, f->severity);
  sq_bind_str(st, 4, f->message);
  sqlite3_bind_int64(st, 5, f->day);
  sqlite3_bind_int64(st, 6, now);
  return sq_run(s, st, error);
}

gboolean store_finding_resolve(Store *s, const char *key, gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "UPDATE findings SET resolved_at = ?2 WHERE key = ?1 AND resolved_at = 0", error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, key);
  sqlite3_bind_int64(st, 2, now);
  return sq_run(s, st, error);
}

gboolean store_findings_prune(Store *s, gint64 before, gint64 before_day, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(
      s, "DELETE FROM findings WHERE (resolved_at != 0 AND resolved_at < ?1) OR (resolved_at = 0 AND day < ?2)",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, before);
  sqlite3_bind_int64(st, 2, before_day);
  return sq_run(s, st, error);
}

guint store_findings_count(Store *s) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT count(*) FROM findings WHERE resolved_at = 0", NULL);
  return st && sq_step(s, st, NULL) == SQLITE_ROW ? (guint)sqlite3_column_int64(st, 0) : 0;
}

GPtrArray *store_findings_list(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st =
      sq_prep(s, "SELECT " FINDING_COLUMNS " FROM findings WHERE resolved_at = 0 ORDER BY day, key", error);
  if (!st)
    return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_finding_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_ptr_array_add(out, finding_from_row(st));
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

/* ---- alerts ----------------------------------------------------------------------------- */

void store_alert_free(StoreAlert *a) {
  if (!a)
    return;
  g_free(a->kind);
  g_free(a->summary);
  g_free(a->body);
  g_free(a->link);
  g_free(a);
}

gboolean store_alert_add(Store *s, const StoreAlert *a, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "INSERT INTO alerts (created, kind, urgency, summary, body, link) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, a->created);
  sq_bind_str(st, 2, a->kind);
  sqlite3_bind_int(st, 3, a->urgency);
  sq_bind_str(st, 4, a->summary);
  sq_bind_str(st, 5, a->body ? a->body : "");
  sq_bind_str(st, 6, a->link);
  return sq_run(s, st, error);
}

GPtrArray *store_alerts_pending(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(
      s, "SELECT id, created, kind, urgency, summary, body, link FROM alerts WHERE shown_at = 0 ORDER BY id", error);
  if (!st)
    return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_alert_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreAlert *a = g_new0(StoreAlert, 1);
    a->id = sqlite3_column_int64(st, 0);
    a->created = sqlite3_column_int64(st, 1);
    a->kind = sq_col_dup(st, 2);
    a->urgency = (AlertUrgency)CLAMP(sqlite3_column_int(st, 3), ALERT_LOW, ALERT_CRITICAL);
    a->summary = sq_col_dup(st, 4);
    a->body = sq_col_dup(st, 5);
    a->link = sq_col_dup(st, 6);
    g_ptr_array_add(out, a);
  }
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

gboolean store_alert_shown(Store *s, gint64 id, gint64 now, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "UPDATE alerts SET shown_at = ?2 WHERE id = ?1", error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, MAX(now, 1));
  return sq_run(s, st, error);
}

/* ---- reminders ---------------------------------------------------------------------------- */

const char *reminder_state_name(ReminderState state) {
  static const char *const names[] = {"pending", "shown", "snoozed", "dismissed", "missed", "expired"};
  return (guint)state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

void store_reminder_free(StoreReminder *r) {
  if (!r)
    return;
  g_free(r->key);
  g_free(r->kind);
  g_free(r->uid);
  g_free(r->summary);
  g_free(r->location);
  g_free(r->link);
  g_free(r->description);
  g_free(r->source);
  g_free(r);
}

#define REMINDER_COLUMNS                                                                                          \
  "key, kind, uid, due, start, end_, all_day, audio, summary, location, link, description, source, state, "      \
  "next_at, shown_at"

static StoreReminder *reminder_from_row(sqlite3_stmt *st) {
  StoreReminder *r = g_new0(StoreReminder, 1);
  r->key = sq_col_dup(st, 0);
  r->kind = sq_col_dup(st, 1);
  r->uid = sq_col_dup(st, 2);
  r->due = sqlite3_column_int64(st, 3);
  r->start = sqlite3_column_int64(st, 4);
  r->end = sqlite3_column_int64(st, 5);
  r->all_day = sqlite3_column_int(st, 6) != 0;
  r->audio = sqlite3_column_int(st, 7) != 0;
  r->summary = sq_col_dup(st, 8);
  r->location = sq_col_dup(st, 9);
  r->link = sq_col_dup(st, 10);
  r->description = sq_col_dup(st, 11);
  r->source = sq_col_dup(st, 12);
  r->state = (ReminderState)CLAMP(sqlite3_column_int(st, 13), REMINDER_PENDING, REMINDER_EXPIRED);
  r->next_at = sqlite3_column_int64(st, 14);
  r->shown_at = sqlite3_column_int64(st, 15);
  return r;
}

static GPtrArray *reminders_query(Store *s, sqlite3_stmt *st, GError **error) {
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_reminder_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_ptr_array_add(out, reminder_from_row(st));
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

gboolean store_reminder_put(Store *s, const StoreReminder *r, gint64 generation, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(
      s,
      "INSERT INTO reminders (" REMINDER_COLUMNS ", generation) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16) "
      "ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, uid = excluded.uid, start = excluded.start, "
      "end_ = excluded.end_, all_day = excluded.all_day, audio = excluded.audio, summary = excluded.summary, "
      "location = excluded.location, link = excluded.link, description = excluded.description, "
      "source = excluded.source, generation = excluded.generation, "
      /* A trigger that moved is a new reminder; otherwise what the owner did stays. */
      "state = CASE WHEN due = excluded.due THEN state ELSE excluded.state END, "
      "next_at = CASE WHEN due = excluded.due THEN next_at ELSE excluded.next_at END, "
      "shown_at = CASE WHEN due = excluded.due THEN shown_at ELSE 0 END, "
      "due = excluded.due",
      error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, r->key);
  sq_bind_str(st, 2, r->kind);
  sq_bind_str(st, 3, r->uid);
  sqlite3_bind_int64(st, 4, r->due);
  sqlite3_bind_int64(st, 5, r->start);
  sqlite3_bind_int64(st, 6, r->end);
  sqlite3_bind_int(st, 7, r->all_day);
  sqlite3_bind_int(st, 8, r->audio);
  sq_bind_str(st, 9, r->summary);
  sq_bind_str(st, 10, r->location);
  sq_bind_str(st, 11, r->link);
  sq_bind_str(st, 12, r->description);
  sq_bind_str(st, 13, r->source);
  sqlite3_bind_int(st, 14, r->state);
  sqlite3_bind_int64(st, 15, r->next_at);
  sqlite3_bind_int64(st, 16, generation);
  return sq_run(s, st, error);
}

gboolean store_reminders_prune(Store *s, gint64 generation, gint64 from, gint64 forget_before, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "DELETE FROM reminders WHERE (generation < ?1 AND due >= ?2 AND state IN (0, 2)) "
                           "OR due < ?3",
                           error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, generation);
  sqlite3_bind_int64(st, 2, from);
  sqlite3_bind_int64(st, 3, forget_before);
  return sq_run(s, st, error);
}

gint64 store_reminders_next(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT min(next_at) FROM reminders WHERE state IN (0, 2)", error);
  if (!st)
    return G_MAXINT64;
  if (sq_step(s, st, error) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
    return G_MAXINT64;
  return sqlite3_column_int64(st, 0);
}

GPtrArray *store_reminders_due(Store *s, gint64 until, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(
      s, "SELECT " REMINDER_COLUMNS " FROM reminders WHERE state IN (0, 2) AND next_at <= ?1 ORDER BY next_at, key",
      error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, until);
  return reminders_query(s, st, error);
}

GPtrArray *store_reminders_upcoming(Store *s, gint64 from, guint limit, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                     "SELECT " REMINDER_COLUMNS " FROM reminders WHERE state IN (0, 2) AND "
                                     "next_at >= ?1 ORDER BY next_at, key LIMIT ?2",
                                     error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, from);
  sqlite3_bind_int64(st, 2, limit);
  return reminders_query(s, st, error);
}

StoreReminder *store_reminder_get(Store *s, const char *key, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT " REMINDER_COLUMNS " FROM reminders WHERE key = ?1", error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, key);
  int rc = sq_step(s, st, error);
  if (rc == SQLITE_ROW)
    return reminder_from_row(st);
  if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no reminder %s", key);
  return NULL;
}

gboolean store_reminders_dismiss(Store *s, const char *uid, gint64 start, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "UPDATE reminders SET state = 3 WHERE uid = ?1 AND start = ?2 AND state IN (0, 1, 2)",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, uid);
  sqlite3_bind_int64(st, 2, start);
  return sq_run(s, st, error);
}

gboolean store_reminder_set(Store *s, const char *key, ReminderState state, gint64 next_at, gint64 now,
                            GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                           "UPDATE reminders SET state = ?2, next_at = ?3, "
                           "shown_at = CASE WHEN ?2 = 1 THEN ?4 ELSE shown_at END WHERE key = ?1",
                           error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, key);
  sqlite3_bind_int(st, 2, state);
  sqlite3_bind_int64(st, 3, next_at);
  sqlite3_bind_int64(st, 4, now);
  return sq_run(s, st, error);
}

/* ---- sync status ------------------------------------------------------------------------------ */

void store_sync_status_free(StoreSyncStatus *st) {
  if (!st)
    return;
  g_free(st->calendar);
  g_free(st->result);
  g_free(st->error);
  g_free(st);
}

gboolean store_sync_status_record(Store *s, const char *calendar, gint64 now, const char *result,
                                  const char *error_text, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(
      s,
      "INSERT INTO sync_status (calendar, attempted_at, ok_at, next_at, result, error, failures) "
      "VALUES (?1, ?2, CASE WHEN ?3 = 'failed' THEN 0 ELSE ?2 END, 0, ?3, ?4, ?3 = 'failed') "
      "ON CONFLICT (calendar) DO UPDATE SET attempted_at = excluded.attempted_at, "
      "ok_at = CASE WHEN excluded.result = 'failed' THEN ok_at ELSE excluded.ok_at END, "
      "result = excluded.result, error = excluded.error, "
      "failures = CASE WHEN excluded.result = 'failed' THEN failures + 1 ELSE 0 END",
      error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, calendar);
  sqlite3_bind_int64(st, 2, now);
  sq_bind_str(st, 3, result);
  sq_bind_str(st, 4, error_text);
  return sq_run(s, st, error);
}

gboolean store_sync_status_set_next(Store *s, const char *calendar, gint64 next_at, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "UPDATE sync_status SET next_at = ?2 WHERE calendar = ?1", error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, calendar);
  sqlite3_bind_int64(st, 2, next_at);
  return sq_run(s, st, error);
}

GPtrArray *store_sync_status_list(Store *s, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(
      s, "SELECT calendar, attempted_at, ok_at, next_at, result, error, failures FROM sync_status ORDER BY calendar",
      error);
  if (!st)
    return NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)store_sync_status_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreSyncStatus *v = g_new0(StoreSyncStatus, 1);
    v->calendar = sq_col_dup(st, 0);
    v->attempted_at = sqlite3_column_int64(st, 1);
    v->ok_at = sqlite3_column_int64(st, 2);
    v->next_at = sqlite3_column_int64(st, 3);
    v->result = sq_col_dup(st, 4);
    v->error = sq_col_dup(st, 5);
    v->failures = sqlite3_column_int(st, 6);
    g_ptr_array_add(out, v);
  }
  return rc < 0 ? NULL : g_steal_pointer(&out);
}

/* ---- named values ---------------------------------------------------------------------------------- */

char *store_value_get(Store *s, const char *name, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT value FROM agent_values WHERE name = ?1", error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, name);
  return sq_step(s, st, error) == SQLITE_ROW ? sq_col_dup(st, 0) : NULL;
}

gboolean store_value_set(Store *s, const char *name, const char *value, GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s, "INSERT OR REPLACE INTO agent_values (name, value) VALUES (?1, ?2)", error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, name);
  sq_bind_str(st, 2, value);
  return sq_run(s, st, error);
}

gint64 store_value_int(Store *s, const char *name, gint64 fallback) {
  g_autofree char *v = store_value_get(s, name, NULL);
  gint64 n;
  return v && g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, &n, NULL) ? n : fallback;
}

gboolean store_value_set_int(Store *s, const char *name, gint64 value, GError **error) {
  char buf[32];
  g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  return store_value_set(s, name, buf, error);
}
