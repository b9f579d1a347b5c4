/* store_sql: the SQLite helpers the store's modules share (see
 * store_private.h). */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "crashpoint.h"
#include "store.h"
#include "store_private.h"

/* ---- SQLite helpers ------------------------------------------------------------ */

char *store_marker_path(const char *path) {
  return g_strconcat(path, ".damaged", NULL);
}

/* Leaves the marker (best effort: without it the damage is found when a
 * statement reads the bad page again). */
static void mark_damaged(const Store *s) {
  g_autofree char *marker = store_marker_path(s->path);
  int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0)
    close(fd);
}

/* The error for SQLite's last failure, `msg` being its message. */
static void sq_error(Store *s, const char *msg, GError **error) {
  int code = s->db ? sqlite3_extended_errcode(s->db) : SQLITE_ERROR;
  int sys = s->db ? sqlite3_system_errno(s->db) : 0;
  switch (code & 0xff) {
  case SQLITE_FULL:
    g_set_error(error, STORE_ERROR, STORE_ERROR_FULL, "disk full writing %s (%s)", s->path, msg);
    return;
  case SQLITE_IOERR:
    if (sys == ENOSPC || sys == EDQUOT)
      g_set_error(error, STORE_ERROR, STORE_ERROR_FULL, "disk full writing %s (%s: %s)", s->path, msg,
                  g_strerror(sys));
    else if (sys)
      g_set_error(error, STORE_ERROR, STORE_ERROR_IO, "I/O error on %s (%s: %s)", s->path, msg, g_strerror(sys));
    else
      g_set_error(error, STORE_ERROR, STORE_ERROR_IO, "I/O error on %s (%s)", s->path, msg);
    return;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    if (s->opening) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED, "%s is damaged (%s)", s->path, msg);
      return;
    }
    mark_damaged(s);
    g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED,
                "%s is damaged (%s): the next diaryd run checks it, moves it aside if it is, and starts a new "
                "store",
                s->path, msg);
    return;
  default:
    g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "%s: %s", s->path, msg);
  }
}

gboolean sq_fail(Store *s, GError **error) {
  sq_error(s, s->db ? sqlite3_errmsg(s->db) : "not open", error);
  return FALSE;
}

gboolean sq_exec(Store *s, const char *sql, GError **error) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
    return TRUE;
  sq_error(s, msg ? msg : sqlite3_errmsg(s->db), error);
  sqlite3_free(msg);
  return FALSE;
}

void sq_stmt_finalize(gpointer st) {
  sqlite3_finalize(st);
}

/* `sql` must be a string literal: the cache is keyed by its address. */
CachedStmt *sq_prep(Store *s, const char *sql, GError **error) {
  sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
  if (st)
    return st;
  if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    sq_fail(s, error);
    return NULL;
  }
  g_hash_table_insert(s->stmts, (gpointer)sql, st);
  return st;
}

/* SQLITE_ROW or SQLITE_DONE; -1 with `error` set. */
int sq_step(Store *s, sqlite3_stmt *st, GError **error) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  sq_fail(s, error);
  return -1;
}

/* Steps a statement that returns no row, and resets it. */
gboolean sq_run(Store *s, sqlite3_stmt *st, GError **error) {
  int rc = sq_step(s, st, error);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc >= 0;
}

/* Strings are bound SQLITE_STATIC: each statement is reset before the
 * strings bound to it go. */
void sq_bind_str(sqlite3_stmt *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *v, gsize len) {
  if (v)
    sqlite3_bind_text64(st, i, v, len, SQLITE_STATIC, SQLITE_UTF8);
  else
    sqlite3_bind_null(st, i);
}

const char *sq_col_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

char *sq_col_dup(sqlite3_stmt *st, int i) {
  return g_strdup(sq_col_text(st, i));
}

/* ---- transactions ------------------------------------------------------------------ */

/* Outermost: BEGIN IMMEDIATE; inside one: a savepoint.  The caller holds the lock. */
gboolean sq_txn_begin(Store *s, GError **error) {
  if (!sq_exec(s, s->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested", error))
    return FALSE;
  s->depth++;
  return TRUE;
}

void sq_txn_rollback(Store *s) {
  g_return_if_fail(s->depth > 0);
  if (s->depth == 1) {
    /* SQLite may have rolled back already (after SQLITE_FULL, SQLITE_IOERR...). */
    if (!sqlite3_get_autocommit(s->db))
      sq_exec(s, "ROLLBACK", NULL);
  } else if (!sqlite3_get_autocommit(s->db)) {
    sq_exec(s, "ROLLBACK TO nested; RELEASE nested", NULL);
  }
  s->depth--;
}

/* On failure the transaction is rolled back: either way it has ended. */
gboolean sq_txn_commit(Store *s, GError **error) {
  g_return_val_if_fail(s->depth > 0, FALSE);
  if (sqlite3_get_autocommit(s->db)) {
    s->depth--;
    g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "%s: the transaction was rolled back by an earlier error",
                s->path);
    return FALSE;
  }
  if (!sq_exec(s, s->depth == 1 ? "COMMIT" : "RELEASE nested", error)) {
    sq_txn_rollback(s);
    return FALSE;
  }
  if (--s->depth == 0)
    crashpoint("commit");
  return TRUE;
}

