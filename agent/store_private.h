/* store_private: what the store's own modules (store.c, store_agent.c)
 * share: the Store itself and the SQLite helpers.  Not for other callers.
 *
 * Concurrency and transactions are described in store.c: every public
 * function takes the Store's lock (LOCKED), statements come from a cache
 * keyed by the address of their SQL literal (sq_prep), and sq_txn_begin()
 * opens BEGIN IMMEDIATE or, inside a transaction, a savepoint. */
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include "store.h"

/* A statement from the Store's cache: its cleanup resets it, never finalizes. */
typedef sqlite3_stmt CachedStmt;
static inline void cached_stmt_release(CachedStmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CachedStmt, cached_stmt_release)

struct Store {
  GRecMutex lock;
  sqlite3 *db;
  char *path;
  GHashTable *stmts; /* SQL literal (by address) → sqlite3_stmt* */
  guint depth;       /* open transactions: 1 = BEGIN, more = savepoints inside it */
  guint kill_after;  /* the test hook; 0 = off */
  GHashTable *allowed; /* calendar ids whose removals are not guarded (gint64*), or NULL */
  GHashTable *held;    /* calendar id (gint64*) → removals the guard held back (GUINT_TO_POINTER) */
  char *replaced;      /* where store_open_full() moved a damaged file, or NULL */
  dev_t dev;           /* the file this Store has open */
  ino_t ino;
  gboolean opening;    /* inside store_open_full(): corruption is reported, not marked */
};

/* "<path>.damaged": a run that met SQLITE_CORRUPT leaves it, so that the
 * next store_open_full() checks the file. */
char *store_marker_path(const char *path);

#define LOCKED(s) g_autoptr(GRecMutexLocker) locker_ G_GNUC_UNUSED = g_rec_mutex_locker_new(&(s)->lock)

/* FALSE, with SQLite's last message and the path in `error`, classified:
 * STORE_ERROR_FULL (SQLITE_FULL, or an I/O error with ENOSPC/EDQUOT),
 * STORE_ERROR_IO (other I/O errors, with the system's errno text),
 * STORE_ERROR_DAMAGED (SQLITE_CORRUPT, SQLITE_NOTADB: the marker file is
 * left for the next open), else STORE_ERROR_SQL. */
gboolean sq_fail(Store *s, GError **error);
gboolean sq_exec(Store *s, const char *sql, GError **error);
void sq_stmt_finalize(gpointer st);
/* `sql` must be a string literal: the cache is keyed by its address. */
CachedStmt *sq_prep(Store *s, const char *sql, GError **error);
/* SQLITE_ROW or SQLITE_DONE; -1 with `error` set. */
int sq_step(Store *s, sqlite3_stmt *st, GError **error);
/* Steps a statement that returns no row, and resets it. */
gboolean sq_run(Store *s, sqlite3_stmt *st, GError **error);
/* Strings are bound SQLITE_STATIC: each statement is reset before the
 * strings bound to it go. */
void sq_bind_str(sqlite3_stmt *st, int i, const char *v);
void sq_bind_text(sqlite3_stmt *st, int i, const char *v, gsize len);
const char *sq_col_text(sqlite3_stmt *st, int i);
char *sq_col_dup(sqlite3_stmt *st, int i);
/* Outermost: BEGIN IMMEDIATE; inside one: a savepoint.  The caller holds the lock. */
gboolean sq_txn_begin(Store *s, GError **error);
void sq_txn_rollback(Store *s);
/* On failure the transaction is rolled back: either way it has ended. */
gboolean sq_txn_commit(Store *s, GError **error);
