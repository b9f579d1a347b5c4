/* store: see store.h.
 *
 * The database (schema version 1):
 *
 *   accounts(name PK, url, discovered_at)
 *   calendars(id PK AUTOINCREMENT, account, url, name, color, sync_token, ctag, synced_at, complete,
 *             UNIQUE(account, url))
 *   objects(rowid, calendar → calendars ON DELETE CASCADE, href, etag, uid, error, ical,
 *           UNIQUE(calendar, href)); indexes on (calendar, uid) and on (calendar) of the bad rows
 *   changes(seq PK AUTOINCREMENT, calendar, href, kind 'A'/'M'/'R', uid, recurrence_id, fields, baseline, at)
 *   consumers(name PK, seq)
 *
 * Why it looks like this:
 * - objects keeps its rowid (no WITHOUT ROWID): SQLite stores a WITHOUT
 *   ROWID row inside the index b-tree, which suits rows under ~1/20 of a page,
 *   and an iCalendar object is usually larger.  The text is the last column so
 *   that reading etag, uid or error never walks the text's overflow pages.
 * - Calendar ids and journal seqs are AUTOINCREMENT: never reused, so a
 *   journal row of a removed calendar can never be mistaken for one of a
 *   calendar added later.  changes.calendar has no foreign key on purpose:
 *   the removals of a removed calendar outlive it.
 * - An object row is in one of four states:
 *     good        error NULL, uid and ical set: in the diary;
 *     duplicate   error and uid and ical set: scanned fine, but another good
 *                 row of the calendar has its UID;
 *     unreadable  error and ical set, uid NULL: calobj_scan refused it;
 *     refused     error set, uid and ical NULL: store_batch_bad().
 *   The text of bad objects is kept: it makes "same etag and same text"
 *   decidable for them too (so re-applying a batch reports nothing new), it
 *   lets a duplicate take over when the first holder of its UID goes, and it
 *   is what a user needs to see to fix the object.
 * - Invariant: at most one good row per (calendar, UID), and when a good
 *   holder of a UID goes (removed, rewritten with another UID, or turned
 *   bad), the oldest duplicate of that UID is promoted in the same
 *   transaction, journalled as an addition and counted in `added`.  Without
 *   this a duplicate would stay out until its etag changed, since syncs
 *   do not fetch objects whose etag is unchanged.
 * - Which of two hrefs keeps a UID: the one that had it (a good row not
 *   changing its UID in this batch); between new ones, the first in the batch.
 *
 * Applying a batch (one transaction: BEGIN IMMEDIATE, or a savepoint inside
 * store_begin()):
 *   1. removals: the batch's removes, then for a full batch every stored href
 *      the batch does not mention.  Removing first lets a UID move from one
 *      href to another within a batch.
 *   2. puts and bads in batch order.  When an href occurs more than once in a
 *      batch, its last entry counts.  A put whose etag and text equal the
 *      stored ones (a bad with the same etag and error) is `unchanged` and
 *      writes nothing; anything else rewrites the row and journals
 *      calobj_diff(old, new), where old is the scan of the stored text when
 *      the row was good and new is the scan of the new text when it is good.
 *      An etag-only change is `modified` with no journal rows.
 *   3. promotions of duplicates whose UID was released.
 *   4. the mass-removal guard (STORE_GUARD_* in store.h), for a calendar
 *      whose first complete sync is done and that store_allow_removals() did
 *      not name: the rows removed are counted by UID, a UID another href
 *      still holds after the batch (a renamed object) does not count, and
 *      when too many vanished the whole batch is rolled back with
 *      STORE_ERROR_MASS_REMOVAL.  Counting after applying (rather than from
 *      the batch) sees exactly what a full listing would remove, duplicates
 *      and promotions included; the cost, a rolled-back transaction, is paid
 *      only when the guard trips.  The token is not stored either, so the
 *      next sync asks the same question and is held again until the owner
 *      decides: the agent keeps failing the calendar rather than deleting.
 *   5. the calendar row: token (set, cleared or left), ctag (set or left),
 *      synced_at (now, when the batch is complete), complete (stays true once
 *      true).
 * Journal rows are baseline when the calendar was not complete before the
 * batch: the rows of the completing batch are baseline too, as it still
 * describes what was there before diaryd knew the calendar.
 *
 * Counts: added/modified/removed are object rows written, promotions
 * counted as added; `problems` lists the objects this batch stored with an
 * error, so a bad object re-sent unchanged is not reported again.  A keep of
 * an href that is not stored is ignored (nothing to keep).
 *
 * Concurrency: one connection per Store (SQLITE_OPEN_NOMUTEX), guarded by a
 * GRecMutex; every public function takes it, so calls are serialised.  It is
 * recursive because store_begin() holds it until store_commit() or
 * store_rollback(), and the calls made in between on the same thread take it
 * again.  Inside an open transaction the internal ones use savepoints, so a
 * failed store_apply() inside store_begin() undoes only itself.  Between
 * processes, BEGIN IMMEDIATE takes the write lock up front (a deferred
 * transaction that upgrades can fail with SQLITE_BUSY at once, whatever the
 * timeout) and busy_timeout makes a second diaryd wait up to 5 s.  Readers
 * never wait (WAL), and store_open() takes the write lock only to create
 * or migrate the schema, so commands that only read work during a sync.
 *
 * Statements are prepared once per Store and kept (keyed by the address of
 * their SQL literal: every call site passes a literal); a CachedStmt's
 * cleanup resets it, it is never finalized before store_free().
 * store_foreach_object() prepares its own statement, so a callback may call
 * any store function, store_foreach_object() included; it holds the lock
 * for the whole iteration (one consistent snapshot), so other threads' calls
 * wait until it ends.
 *
 * Damaged files (store_open_full()): lost state must never read as "the
 * server deleted everything", nor stop the agent for good.  SQLite reports
 * SQLITE_NOTADB or SQLITE_CORRUPT at open for a bad header; a file cut
 * short is found from its header's page count (valid only without a WAL);
 * a file that exists but is empty is taken as lost state (creation holds
 * the folder's lock until the schema is written, so no diaryd sees another
 * one's file half made).  Damage deeper in the file is found by PRAGMA
 * quick_check, run when asked (`diaryd sync` asks: it writes) or when a
 * statement met SQLITE_CORRUPT in an earlier run and left the marker
 * "<path>.damaged".  quick_check reads every page: 25-35 ms for 10,000
 * objects of 500 bytes (9 MB), 60-90 ms for 10,000 of 3 KB (43 MB), warm
 * cache; too much for every `diaryd status`, fine once per sync.  The
 * damaged file is renamed with its -wal and -shm (so that it still opens
 * as it was, and so that its WAL is never read into the new file), never
 * while another process has it open (SQLite holds a read lock on the lock
 * bytes for as long as a WAL connection is open: F_GETLK names it), since
 * that process's SQLite would go on writing, and at its close delete the
 * -wal, by name.  A new store has no calendars: discovery adds them, and
 * their first sync is a baseline as for a new installation.
 *
 * Disk faults: SQLite rolls a transaction back when a write fails
 * (SQLITE_FULL, SQLITE_IOERR_WRITE) or the WAL's sync does
 * (SQLITE_IOERR_FSYNC: the frames written stay out of the WAL index and the
 * next transaction writes over them; should the process die before that,
 * the next recovery of the WAL may find the transaction after all, whole:
 * either way the store is one of the two states, never a mix).  sq_fail()
 * says "disk full" or "I/O error" with the path; the sync fails, and the
 * next one starts from the stored token again.
 *
 * Test hook: DIARYD_TEST_KILL_AFTER_ROWS=N (read by store_open) makes
 * store_apply() raise SIGKILL once it has written N object rows (checked
 * after each object, each writing at most one), before its commit, for the
 * crash tests.  It is never set outside tests.  DIARYD_TEST_SPILL_FAIL_AFTER:
 * see the batches below.
 */
#include "store.h"
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
/* How large the WAL may stay after a checkpoint: a 10,000-object first sync
 * writes tens of MB into it, which need not stay on disk. */
#define WAL_SIZE_LIMIT (8 * 1024 * 1024)

G_DEFINE_QUARK(diaryd-store-error-quark, store_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* ---- opening and the schema ------------------------------------------------------ */

/* Migration i takes the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 0 → 1 */
    "CREATE TABLE accounts ("
    "  name TEXT PRIMARY KEY,"
    "  url TEXT NOT NULL,"
    "  discovered_at INTEGER NOT NULL);"
    "CREATE TABLE calendars ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  account TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  color TEXT,"
    "  sync_token TEXT,"
    "  ctag TEXT,"
    "  synced_at INTEGER NOT NULL DEFAULT 0,"
    "  complete INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (account, url));"
    "CREATE TABLE objects ("
    "  calendar INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,"
    "  href TEXT NOT NULL,"
    "  etag TEXT,"
    "  uid TEXT,"
    "  error TEXT,"
    "  ical TEXT,"
    "  UNIQUE (calendar, href));"
    "CREATE INDEX objects_uid ON objects(calendar, uid);"
    "CREATE INDEX objects_bad ON objects(calendar) WHERE error IS NOT NULL;"
    "CREATE TABLE changes ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  calendar INTEGER NOT NULL,"
    "  label TEXT NOT NULL,"
    "  href TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('A', 'M', 'R')),"
    "  uid TEXT NOT NULL,"
    "  recurrence_id TEXT,"
    "  fields TEXT,"
    "  baseline INTEGER NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE consumers ("
    "  name TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL);",
    /* 1 → 2: the agent's state (store_agent.c) */
    "CREATE TABLE findings ("
    "  key TEXT PRIMARY KEY,"
    "  check_name TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  message TEXT NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  first_seen INTEGER NOT NULL,"
    "  resolved_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  created INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  urgency INTEGER NOT NULL,"
    "  summary TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  link TEXT,"
    "  shown_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX alerts_pending ON alerts(id) WHERE shown_at = 0;"
    "CREATE TABLE reminders ("
    "  key TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  uid TEXT NOT NULL,"
    "  due INTEGER NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  end_ INTEGER NOT NULL,"
    "  all_day INTEGER NOT NULL,"
    "  audio INTEGER NOT NULL,"
    "  summary TEXT, location TEXT, link TEXT, description TEXT, source TEXT,"
    "  state INTEGER NOT NULL,"
    "  next_at INTEGER NOT NULL,"
    "  shown_at INTEGER NOT NULL DEFAULT 0,"
    "  generation INTEGER NOT NULL);"
    "CREATE INDEX reminders_next ON reminders(next_at) WHERE state IN (0, 2);"
    "CREATE TABLE sync_status ("
    "  calendar TEXT PRIMARY KEY,"
    "  attempted_at INTEGER NOT NULL,"
    "  ok_at INTEGER NOT NULL,"
    "  next_at INTEGER NOT NULL,"
    "  result TEXT NOT NULL,"
    "  error TEXT,"
    "  failures INTEGER NOT NULL);"
    "CREATE TABLE agent_values ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);",
    /* 2 → 3: confirmations (store_outbox.c) */
    "ALTER TABLE accounts ADD COLUMN auto_schedule INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE confirm_items ("
    "  uid TEXT NOT NULL,"
    "  rid TEXT NOT NULL,"
    "  calendar INTEGER NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  sequence INTEGER NOT NULL,"
    "  last_end INTEGER NOT NULL,"
    "  snapshot TEXT NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  blocked TEXT,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (uid, rid));"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  uid TEXT NOT NULL,"
    "  rid TEXT NOT NULL,"
    "  sequence INTEGER NOT NULL,"
    "  recipient TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  hold TEXT,"
    "  message_id TEXT NOT NULL,"
    "  thread TEXT,"
    "  sender TEXT,"
    "  message BLOB,"
    "  summary TEXT,"
    "  start INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_try INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  sent_at INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (uid, rid, sequence, recipient, kind));"
    "CREATE INDEX outbox_item ON outbox (uid, rid, recipient);"
    "CREATE INDEX outbox_state ON outbox (state, next_try);"
    "CREATE INDEX objects_by_uid ON objects (uid);",
};
G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == STORE_SCHEMA_VERSION);

char *store_default_path(void) {
  const char *env = g_getenv("DIARYD_DB");
  if (env && *env)
    return g_strdup(env);
  return g_build_filename(g_get_user_state_dir(), "diaryd", "diaryd.db", NULL);
}

static gboolean pragma_int(Store *s, const char *sql, gint64 *out, GError **error) {
  g_autoptr(sqlite3_stmt) st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sq_fail(s, error);
  int rc = sq_step(s, st, error);
  if (rc < 0)
    return FALSE;
  *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  return TRUE;
}

static gboolean check_version(Store *s, gint64 version, GError **error) {
  if (version >= 0 && version <= STORE_SCHEMA_VERSION)
    return TRUE;
  g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
              "%s has schema version %" G_GINT64_FORMAT "; this diaryd knows versions up to %d: it was written "
              "by a newer diaryd",
              s->path, version, STORE_SCHEMA_VERSION);
  return FALSE;
}

/* The version is read outside any transaction first: a current schema (the
 * usual case) needs no write lock, so `diaryd check` or `diaryd journal`
 * open at once while another diaryd holds the lock for a long sync.  Only
 * when a migration is due is BEGIN IMMEDIATE taken, and the version read
 * again under the lock: another process may have migrated in between. */
static gboolean migrate(Store *s, GError **error) {
  gint64 version = 0;
  if (!pragma_int(s, "PRAGMA user_version", &version, error) || !check_version(s, version, error))
    return FALSE;
  if (version == STORE_SCHEMA_VERSION)
    return TRUE;
  if (!sq_exec(s, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!pragma_int(s, "PRAGMA user_version", &version, error) || !check_version(s, version, error))
    goto fail;
  if (version < STORE_SCHEMA_VERSION) {
    for (gint64 v = version; v < STORE_SCHEMA_VERSION; v++)
      if (!sq_exec(s, migrations[v], error)) {
        g_prefix_error(error, "migrating the store from schema version %" G_GINT64_FORMAT ": ", v);
        goto fail;
      }
    g_autofree char *set = g_strdup_printf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (!sq_exec(s, set, error))
      goto fail;
  }
  if (!sq_exec(s, "COMMIT", error))
    goto fail;
  return TRUE;
fail:
  if (!sqlite3_get_autocommit(s->db))
    sq_exec(s, "ROLLBACK", NULL);
  return FALSE;
}

/* ---- the file: creating it, and what is done with a damaged one ---------------------- */

/* Creating a store and moving a damaged one aside happen under an flock(2)
 * on the store's folder, so that two diaryd starting at once neither take
 * a file being created (still 0 bytes) for a damaged one nor move aside a
 * store the other has just started.  The common open (the file exists and
 * is fine) takes no lock. */

static int lock_folder(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  while (flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

static void unlock_folder(int fd) {
  if (fd >= 0)
    close(fd); /* drops the flock */
}

/* Creates the folder (0700) when missing. */
static gboolean prepare_folder(const char *dir, GError **error) {
  struct stat st;
  if (stat(dir, &st) == 0)
    return TRUE;
  if (errno != ENOENT || g_mkdir_with_parents(dir, 0700) != 0 || chmod(dir, 0700) != 0) {
    int e = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot create the folder %s: %s", dir, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* Creates the file (0600) when missing; *created says whether it did.  The
 * modes are set with chmod after creation so that the umask cannot widen
 * them; an existing folder or file is left as it is (the folder may be
 * /tmp).  SQLite gives the -wal and -shm files the mode of the database. */
static gboolean prepare_file(const char *path, gboolean *created, GError **error) {
  *created = FALSE;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd >= 0) {
    int rc = fchmod(fd, 0600);
    int e = errno;
    close(fd);
    if (rc != 0) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot set the mode of %s: %s", path, g_strerror(e));
      return FALSE;
    }
    *created = TRUE;
  } else if (errno != EEXIST) {
    int e = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot create %s: %s", path, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* Size of "<path><suffix>", or -1 when there is none. */
static gint64 file_size(const char *path, const char *suffix) {
  g_autofree char *p = g_strconcat(path, suffix, NULL);
  struct stat st;
  return stat(p, &st) == 0 ? (gint64)st.st_size : -1;
}

static guint32 be32(const guchar *p) {
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* What is wrong with an existing file before SQLite reads it, or NULL: it
 * is empty (a store always holds its schema once created, and creation is
 * locked), or shorter than its header says.  The header's page count is
 * trusted only when valid (its "version-valid-for" equals the change
 * counter) and when no WAL holds newer pages (a checkpoint cut short
 * leaves a longer header in the file until the WAL is played again). */
static char *check_header(const char *path) {
  gint64 wal = file_size(path, "-wal");
  if (wal > 0)
    return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return NULL; /* SQLite says why */
  struct stat st;
  guchar h[100];
  ssize_t n = fstat(fd, &st) == 0 ? pread(fd, h, sizeof h, 0) : -1;
  close(fd);
  if (n == 0 && st.st_size == 0)
    return g_strdup_printf("%s is empty (0 bytes): the state it held is lost", path);
  if (n != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
    return NULL; /* not a database: SQLite says so */
  guint32 page = (guint32)h[16] << 8 | h[17];
  if (page == 1)
    page = 65536;
  guint32 pages = be32(h + 28);
  if (pages == 0 || be32(h + 24) != be32(h + 92) || page < 512 || (page & (page - 1)))
    return NULL;
  guint64 want = (guint64)pages * page;
  if ((guint64)st.st_size >= want)
    return NULL;
  return g_strdup_printf("%s is truncated (%" G_GINT64_FORMAT " bytes; its header says %" G_GUINT64_FORMAT ")",
                         path, (gint64)st.st_size, want);
}

/* The pid of another process that has the database open (SQLite holds a
 * read lock on the file's lock bytes for as long as a connection is in WAL
 * mode), or 0. */
static pid_t other_user(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return 0;
  /* SQLite's PENDING byte, RESERVED byte and SHARED range. */
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000000, .l_len = 512};
  pid_t pid = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
  close(fd);
  return pid;
}

/* Renames the damaged file at `path` (the one with `dev` and `ino`: another
 * diaryd may have moved it and started a new store meanwhile, which is left
 * alone) with its -wal and -shm to "<path>.damaged-YYYYMMDD-HHMMSS[-N]".
 * *aside is where it went, or NULL when it was no longer there.  FALSE when
 * it cannot be moved, or another process has it open. */
static gboolean move_aside(const char *path, const char *why, dev_t dev, ino_t ino, char **aside, GError **error) {
  *aside = NULL;
  g_autofree char *dir = g_path_get_dirname(path);
  int lock = lock_folder(dir);
  struct stat st;
  if (stat(path, &st) != 0 || st.st_dev != dev || st.st_ino != ino) {
    unlock_folder(lock);
    return TRUE;
  }
  pid_t pid = other_user(path);
  if (pid > 0) {
    unlock_folder(lock);
    /* The marker tells the holder (the agent, after this child) to let go
     * of the file and open it again, which moves it aside. */
    g_autofree char *marker = store_marker_path(path);
    int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0)
      close(fd);
    g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED,
                "%s; process %ld has it open, so it stays where it is: stop that diaryd (systemctl --user stop "
                "diaryd), then run diaryd again: it moves the file aside and starts a new store",
                why, (long)pid);
    return FALSE;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_strdup_printf("%s.damaged-%s", path, stamp);
  g_autofree char *target = g_strdup(base);
  for (int i = 2; g_file_test(target, G_FILE_TEST_EXISTS); i++) {
    g_free(target);
    target = g_strdup_printf("%s-%d", base, i);
  }
  /* The -wal and -shm first: a WAL left beside a new, empty file would be
   * read into it.  Each keeps its suffix, so the moved store opens as it was. */
  static const char *const sidecars[] = {"-wal", "-shm"};
  for (gsize i = 0; i < G_N_ELEMENTS(sidecars); i++) {
    g_autofree char *from = g_strconcat(path, sidecars[i], NULL);
    g_autofree char *to = g_strconcat(target, sidecars[i], NULL);
    if (rename(from, to) != 0 && errno != ENOENT) {
      int e = errno;
      unlock_folder(lock);
      g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED, "%s; cannot move %s aside: %s", why, from, g_strerror(e));
      return FALSE;
    }
  }
  if (rename(path, target) != 0) {
    int e = errno;
    unlock_folder(lock);
    g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED, "%s; cannot move it aside to %s: %s", why, target,
                g_strerror(e));
    return FALSE;
  }
  g_autofree char *marker = store_marker_path(path);
  g_unlink(marker);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  unlock_folder(lock);
  *aside = g_steal_pointer(&target);
  return TRUE;
}

static gboolean quick_check(Store *s, GError **error) {
  g_autoptr(sqlite3_stmt) st = NULL;
  if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK)
    return sq_fail(s, error);
  int rc = sq_step(s, st, error);
  if (rc < 0)
    return FALSE;
  const char *first = rc == SQLITE_ROW ? sq_col_text(st, 0) : NULL;
  if (first && strcmp(first, "ok") == 0)
    return TRUE;
  g_autofree char *line = g_strdup(first ? first : "no answer");
  g_strdelimit(line, "\r\n", ' ');
  g_set_error(error, STORE_ERROR, STORE_ERROR_DAMAGED, "%s is damaged (PRAGMA quick_check: %s)", s->path, line);
  return FALSE;
}

static Store *store_new(const char *path) {
  Store *s = g_new0(Store, 1);
  g_rec_mutex_init(&s->lock);
  s->path = g_strdup(path);
  s->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, sq_stmt_finalize);
  s->opening = TRUE;
  return s;
}

/* One attempt at opening `path`.  A damaged file gives STORE_ERROR_DAMAGED
 * with *dev and *ino set to the file judged. */
static Store *open_once(const char *path, StoreOpenFlags flags, dev_t *dev, ino_t *ino, GError **error) {
  g_autofree char *dir = g_path_get_dirname(path);
  if (!prepare_folder(dir, error))
    return NULL;
  /* A new file is created, and given its schema, under the folder's lock. */
  int lock = -1;
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    lock = lock_folder(dir);
  gboolean created = FALSE;
  if (!prepare_file(path, &created, error)) {
    unlock_folder(lock);
    return NULL;
  }
  if (!created) {
    unlock_folder(lock);
    lock = -1;
  }
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    unlock_folder(lock);
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open %s: %s", path, g_strerror(e));
    return NULL;
  }
  *dev = st.st_dev;
  *ino = st.st_ino;
  if (!created) {
    g_autofree char *why = check_header(path);
    if (why && st.st_size == 0) {
      /* Empty: being created by another diaryd?  Ask again once it is done. */
      lock = lock_folder(dir);
      g_clear_pointer(&why, g_free);
      why = check_header(path);
      unlock_folder(lock);
      lock = -1;
    }
    if (why) {
      g_set_error_literal(error, STORE_ERROR, STORE_ERROR_DAMAGED, why);
      return NULL;
    }
  }
  g_autoptr(Store) s = store_new(path);
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    unlock_folder(lock);
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return NULL;
  }
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
  /* The first statement reads the file: a file that is not a database, or
   * one locked beyond the timeout, fails here. */
  g_autoptr(GError) local = NULL;
  g_autofree char *pragmas = g_strdup_printf("PRAGMA journal_mode = WAL;"
                                             "PRAGMA synchronous = FULL;"
                                             "PRAGMA foreign_keys = ON;"
                                             "PRAGMA journal_size_limit = %d;",
                                             WAL_SIZE_LIMIT);
  /* journal_mode answers with the mode in force rather than failing: where
   * WAL is impossible the rollback journal stays, slower for concurrent
   * readers but as safe.  On a file already in WAL mode it only reads the
   * header (a read transaction, which a writer does not block); it writes,
   * and so waits for the write lock, only when it changes the mode, as for
   * a new file.  The other pragmas set the connection alone. */
  if (!sq_exec(s, pragmas, &local)) {
    unlock_folder(lock);
    if (g_error_matches(local, STORE_ERROR, STORE_ERROR_DAMAGED))
      g_propagate_error(error, g_steal_pointer(&local));
    else
      g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open %s", local->message);
    return NULL;
  }
  /* Checked when asked, or when a run met SQLITE_CORRUPT: quick_check reads
   * every page (about 30 ms for 10,000 small objects), too slow for each of
   * the many short commands that open the store. */
  g_autofree char *marker = store_marker_path(path);
  gboolean marked = !created && g_file_test(marker, G_FILE_TEST_EXISTS);
  if (!created && ((flags & STORE_OPEN_VERIFY) || marked)) {
    if (!quick_check(s, error))
      return NULL;
    if (marked)
      g_unlink(marker);
  }
  gboolean ok = migrate(s, error);
  unlock_folder(lock);
  if (!ok)
    return NULL;
  s->opening = FALSE;
  const char *kill = g_getenv("DIARYD_TEST_KILL_AFTER_ROWS");
  if (kill && *kill)
    s->kill_after = (guint)g_ascii_strtoull(kill, NULL, 10);
  return g_steal_pointer(&s);
}

/* Tells, on stderr and as an alert in the new store, that a damaged store
 * was replaced. */
static void announce_replaced(Store *s, const char *why) {
  g_autofree char *text = g_strdup_printf(
      "%s; it was moved aside to %s (kept: it may hold mail that was still queued: diaryd outbox list --db %s) "
      "and a new store was started at %s. The next sync of each calendar is a baseline, as the first one was: "
      "no news, no confirmations and no cancellations for what is already there",
      why, s->replaced, s->replaced, s->path);
  fprintf(stderr, "diaryd: %s\n", text);
  StoreAlert al = {.created = g_get_real_time() / G_USEC_PER_SEC, .kind = (char *)"store",
                   .urgency = ALERT_CRITICAL, .summary = (char *)"diaryd started a new store",
                   .body = text};
  g_autoptr(GError) error = NULL;
  if (!store_alert_add(s, &al, &error))
    fprintf(stderr, "diaryd: %s\n", error->message);
}

Store *store_open_full(const char *path, StoreOpenFlags flags, GError **error) {
  g_return_val_if_fail(path && *path, NULL);
  g_autofree char *aside = NULL;
  g_autoptr(GError) why = NULL;
  /* The file; once it is moved aside, a new one; and once more when another
   * diaryd moved it first and its new store is found damaged meanwhile. */
  for (int attempt = 0; attempt < 3; attempt++) {
    g_autoptr(GError) local = NULL;
    dev_t dev = 0;
    ino_t ino = 0;
    Store *s = open_once(path, flags, &dev, &ino, &local);
    if (s) {
      if (aside) {
        s->replaced = g_steal_pointer(&aside);
        announce_replaced(s, why->message);
      }
      return s;
    }
    if (!g_error_matches(local, STORE_ERROR, STORE_ERROR_DAMAGED) || attempt == 2) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    g_autofree char *went = NULL;
    if (!move_aside(path, local->message, dev, ino, &went, error))
      return NULL;
    if (went) {
      g_free(aside);
      aside = g_steal_pointer(&went);
      g_clear_error(&why);
      why = g_steal_pointer(&local);
    }
  }
  g_return_val_if_reached(NULL);
}

Store *store_open(const char *path, GError **error) {
  return store_open_full(path, 0, error);
}

void store_free(Store *s) {
  if (!s)
    return;
  if (s->stmts)
    g_hash_table_destroy(s->stmts);
  if (s->db)
    sqlite3_close(s->db); /* rolls back a transaction left open */
  if (s->allowed)
    g_hash_table_destroy(s->allowed);
  if (s->held)
    g_hash_table_destroy(s->held);
  g_free(s->replaced);
  g_free(s->path);
  g_rec_mutex_clear(&s->lock);
  g_free(s);
}

const char *store_path(const Store *store) {
  return store->path;
}

const char *store_replaced(const Store *store) {
  return store->replaced;
}

gboolean store_needs_reopen(const Store *store) {
  struct stat st;
  if (stat(store->path, &st) != 0 || st.st_dev != store->dev || st.st_ino != store->ino)
    return TRUE;
  g_autofree char *marker = store_marker_path(store->path);
  return g_file_test(marker, G_FILE_TEST_EXISTS);
}

/* ---- accounts --------------------------------------------------------------------- */

gboolean store_account_get(Store *s, const char *account, char **url, gint64 *discovered_at, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT url, discovered_at FROM accounts WHERE name = ?1", error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, account);
  int rc = sq_step(s, st, error);
  if (rc != SQLITE_ROW)
    return FALSE;
  if (url)
    *url = sq_col_dup(st, 0);
  if (discovered_at)
    *discovered_at = sqlite3_column_int64(st, 1);
  return TRUE;
}

gboolean store_account_set(Store *s, const char *account, const char *url, gint64 discovered_at,
                           GError **error) {
  LOCKED(s);
  CachedStmt *st = sq_prep(s,
                        "INSERT INTO accounts (name, url, discovered_at) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT (name) DO UPDATE SET url = excluded.url, discovered_at = excluded.discovered_at",
                        error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, account);
  sq_bind_str(st, 2, url ? url : "");
  sqlite3_bind_int64(st, 3, discovered_at);
  return sq_run(s, st, error);
}

/* ---- calendars --------------------------------------------------------------------- */

void store_calendar_free(StoreCalendar *cal) {
  if (!cal)
    return;
  g_free(cal->account);
  g_free(cal->url);
  g_free(cal->name);
  g_free(cal->color);
  g_free(cal->sync_token);
  g_free(cal->ctag);
  g_free(cal);
}

static void calendar_free_func(gpointer cal) {
  store_calendar_free(cal);
}

#define CALENDAR_COLUMNS                                                                                          \
  "c.id, c.account, c.url, c.name, c.color, c.sync_token, c.ctag, c.synced_at, c.complete,"                      \
  " (SELECT count(*) FROM objects o WHERE o.calendar = c.id),"                                                   \
  " (SELECT count(*) FROM objects o WHERE o.calendar = c.id AND o.error IS NOT NULL)"

static StoreCalendar *calendar_from_row(sqlite3_stmt *st) {
  StoreCalendar *cal = g_new0(StoreCalendar, 1);
  cal->id = sqlite3_column_int64(st, 0);
  cal->account = sq_col_dup(st, 1);
  cal->url = sq_col_dup(st, 2);
  cal->name = sq_col_dup(st, 3);
  cal->color = sq_col_dup(st, 4);
  cal->sync_token = sq_col_dup(st, 5);
  cal->ctag = sq_col_dup(st, 6);
  cal->synced_at = sqlite3_column_int64(st, 7);
  cal->complete = sqlite3_column_int(st, 8) != 0;
  cal->objects = (guint)sqlite3_column_int64(st, 9);
  cal->bad = (guint)sqlite3_column_int64(st, 10);
  return cal;
}

static StoreCalendar *calendar_get(Store *s, gint64 id, GError **error) {
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT " CALENDAR_COLUMNS " FROM calendars c WHERE c.id = ?1", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  int rc = sq_step(s, st, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: no calendar %" G_GINT64_FORMAT, s->path, id);
    return NULL;
  }
  return calendar_from_row(st);
}

/* The last non-empty path segment of a URL, for a calendar without a display name. */
static char *last_segment(const char *url) {
  g_autofree char *copy = g_strdup(url);
  gsize len = strlen(copy);
  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  const char *slash = strrchr(copy, '/');
  const char *seg = slash ? slash + 1 : copy;
  return g_strdup(*seg ? seg : url);
}

gint64 store_calendar_ensure(Store *s, const char *account, const char *url, const char *name, const char *color,
                             GError **error) {
  g_return_val_if_fail(account && url, -1);
  LOCKED(s);
  g_autofree char *fallback = name && *name ? NULL : last_segment(url);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                  "INSERT INTO calendars (account, url, name, color) VALUES (?1, ?2, ?3, ?4)"
                                  " ON CONFLICT (account, url) DO UPDATE SET name = excluded.name,"
                                  " color = excluded.color RETURNING id",
                                  error);
  if (!st)
    return -1;
  sq_bind_str(st, 1, account);
  sq_bind_str(st, 2, url);
  sq_bind_str(st, 3, fallback ? fallback : name);
  sq_bind_str(st, 4, color);
  if (sq_step(s, st, error) != SQLITE_ROW)
    return -1;
  gint64 id = sqlite3_column_int64(st, 0);
  /* RETURNING hands the row over before the statement has finished. */
  if (sq_step(s, st, error) < 0)
    return -1;
  return id;
}

StoreCalendar *store_calendar_get(Store *s, gint64 id, GError **error) {
  LOCKED(s);
  return calendar_get(s, id, error);
}

GPtrArray *store_calendars(Store *s, const char *account, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s,
                                  "SELECT " CALENDAR_COLUMNS " FROM calendars c WHERE ?1 IS NULL OR c.account = ?1"
                                  " ORDER BY c.account, c.name COLLATE NOCASE, c.name, c.id",
                                  error);
  if (!st)
    return NULL;
  sq_bind_str(st, 1, account);
  g_autoptr(GPtrArray) cals = g_ptr_array_new_with_free_func(calendar_free_func);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_ptr_array_add(cals, calendar_from_row(st));
  return rc == SQLITE_DONE ? g_steal_pointer(&cals) : NULL;
}

GHashTable *store_etags(Store *s, gint64 calendar, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st = sq_prep(s, "SELECT href, etag FROM objects WHERE calendar = ?1", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, calendar);
  g_autoptr(GHashTable) etags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  int rc;
  /* An object stored without an etag maps to "", which matches no server's. */
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_hash_table_insert(etags, sq_col_dup(st, 0), g_strdup(sq_col_text(st, 1) ? sq_col_text(st, 1) : ""));
  return rc == SQLITE_DONE ? g_steal_pointer(&etags) : NULL;
}

/* ---- batches -------------------------------------------------------------------------- */

typedef enum { OP_PUT, OP_BAD, OP_KEEP, OP_REMOVE } Op;

/* One allocation: the struct, then href, etag and text, each NUL-terminated.
 *
 * Memory stays flat whatever the size of the calendar: once a batch holds
 * SPILL_AFTER bytes of iCalendar text, further texts go to an unlinked
 * temporary file of its own (under $XDG_CACHE_HOME/diaryd, mode 0600) and
 * are read back one at a time while the batch is applied.  When the file
 * cannot be made or written, texts simply stay in memory: each text is
 * written whole with pwrite() (no stdio buffer that could fail later, at
 * apply time), and a failed write is cut off again, so that text and all
 * later ones are kept in memory and what was spilled before stays readable.
 *
 * Test hook: DIARYD_TEST_SPILL_FAIL_AFTER=N (read when a batch makes its
 * file) makes writes to the file fail with ENOSPC once it holds N bytes,
 * the write that crosses N having written up to N.  It is never set
 * outside tests. */
#define SPILL_AFTER (1u << 20)

typedef struct {
  guint8 op;
  gboolean done; /* applied, in the current store_apply() */
  gsize len;     /* of text */
  guint64 off;   /* where the text is in the spill file, when text is NULL for a put */
  char *etag;    /* NULL or within this allocation */
  char *text;    /* the iCalendar text (put) or the error (bad); NULL or within this allocation */
  char href[];
} Entry;

typedef enum { TOKEN_LEAVE, TOKEN_SET, TOKEN_CLEAR } TokenOp;

struct StoreBatch {
  gboolean full, complete;
  GPtrArray *entries; /* of Entry* (g_free) */
  guint size;         /* puts + bads + removes */
  gsize held;         /* bytes of text in memory */
  int spill;          /* the spill file, -1 until texts spill */
  guint64 spilled;    /* bytes written to it */
  gboolean no_spill;  /* making or writing the file failed once: stop trying */
  guint64 spill_max;  /* the test hook; G_MAXUINT64 = off */
  TokenOp token_op;
  char *token;
  char *ctag;
};

StoreBatch *store_batch_new(gboolean full, gboolean complete) {
  StoreBatch *b = g_new0(StoreBatch, 1);
  b->full = full;
  b->complete = complete;
  b->entries = g_ptr_array_new_with_free_func(g_free);
  b->spill = -1;
  return b;
}

void store_batch_free(StoreBatch *b) {
  if (!b)
    return;
  g_ptr_array_unref(b->entries);
  if (b->spill >= 0)
    close(b->spill);
  g_free(b->token);
  g_free(b->ctag);
  g_free(b);
}

/* An unlinked file for spilled texts, or -1. */
static int open_spill(void) {
  g_autofree char *dir = g_build_filename(g_get_user_cache_dir(), "diaryd", NULL);
  if (g_mkdir_with_parents(dir, 0700) != 0)
    return -1;
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    /* No O_TMPFILE on this file system: a named file, unlinked at once. */
    g_autofree char *path = g_build_filename(dir, "batch-XXXXXX", NULL);
    fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
      return -1;
    g_unlink(path);
  }
  return fd;
}

/* Writes all of `text` at `off`; FALSE with errno set when it cannot. */
static gboolean spill_write(const StoreBatch *b, const char *text, gsize len, guint64 off) {
  gsize done = 0;
  while (done < len) {
    gsize want = len - done;
    if (b->spill_max != G_MAXUINT64) {
      guint64 room = off + done < b->spill_max ? b->spill_max - (off + done) : 0;
      if (room == 0) {
        errno = ENOSPC;
        return FALSE;
      }
      want = (gsize)MIN((guint64)want, room);
    }
    ssize_t n = pwrite(b->spill, text + done, want, (off_t)(off + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    if (n == 0) {
      errno = EIO;
      return FALSE;
    }
    done += (gsize)n;
  }
  return TRUE;
}

/* Writes a put's text to the spill file; FALSE when it must stay in memory. */
static gboolean spill_text(StoreBatch *b, const char *text, gsize len, guint64 *off) {
  if (b->no_spill || b->held + len <= SPILL_AFTER)
    return FALSE;
  if (b->spill < 0) {
    b->spill = open_spill();
    if (b->spill < 0) {
      b->no_spill = TRUE;
      return FALSE;
    }
    const char *max = g_getenv("DIARYD_TEST_SPILL_FAIL_AFTER");
    b->spill_max = max && *max ? g_ascii_strtoull(max, NULL, 10) : G_MAXUINT64;
  }
  if (!spill_write(b, text, len, b->spilled)) {
    /* What was written before stays readable; the part of this text that
     * made it goes (a failed truncation only leaves bytes past `spilled`,
     * which nothing reads), and this and later texts stay in memory. */
    while (ftruncate(b->spill, (off_t)b->spilled) != 0 && errno == EINTR)
      ;
    b->no_spill = TRUE;
    return FALSE;
  }
  *off = b->spilled;
  b->spilled += len;
  return TRUE;
}

static void add_entry(StoreBatch *b, Op op, const char *href, const char *etag, const char *text, gsize len) {
  guint64 off = 0;
  gboolean spilled = op == OP_PUT && text && spill_text(b, text, len, &off);
  if (spilled)
    text = NULL;
  gsize hl = strlen(href) + 1, el = etag ? strlen(etag) + 1 : 0, tl = text ? len + 1 : 0;
  Entry *e = g_malloc(sizeof(Entry) + hl + el + tl);
  char *p = e->href;
  memcpy(p, href, hl);
  p += hl;
  e->op = op;
  e->done = FALSE;
  e->len = len;
  e->off = off;
  e->etag = NULL;
  if (etag) {
    e->etag = memcpy(p, etag, el);
    p += el;
  }
  e->text = NULL;
  if (text) {
    memcpy(p, text, len);
    p[len] = '\0';
    e->text = p;
    b->held += len;
  }
  g_ptr_array_add(b->entries, e);
  if (op != OP_KEEP)
    b->size++;
}

void store_batch_put(StoreBatch *b, const char *href, const char *etag, const char *ical, gsize len) {
  g_return_if_fail(b && href && (ical || len == 0));
  add_entry(b, OP_PUT, href, etag, ical ? ical : "", len);
}

void store_batch_bad(StoreBatch *b, const char *href, const char *etag, const char *error) {
  g_return_if_fail(b && href);
  const char *why = error && *error ? error : "not stored";
  add_entry(b, OP_BAD, href, etag, why, strlen(why));
}

void store_batch_keep(StoreBatch *b, const char *href) {
  g_return_if_fail(b && href);
  add_entry(b, OP_KEEP, href, NULL, NULL, 0);
}

void store_batch_remove(StoreBatch *b, const char *href) {
  g_return_if_fail(b && href);
  add_entry(b, OP_REMOVE, href, NULL, NULL, 0);
}

void store_batch_set_token(StoreBatch *b, const char *sync_token, const char *ctag) {
  g_return_if_fail(b);
  if (sync_token) {
    g_free(b->token);
    b->token = g_strdup(sync_token);
    b->token_op = TOKEN_SET;
  }
  if (ctag) {
    g_free(b->ctag);
    b->ctag = g_strdup(ctag);
  }
}

void store_batch_clear_token(StoreBatch *b) {
  g_return_if_fail(b);
  g_clear_pointer(&b->token, g_free);
  b->token_op = TOKEN_CLEAR;
}

guint store_batch_size(const StoreBatch *b) {
  return b ? b->size : 0;
}

/* ---- applying a batch ------------------------------------------------------------------ */

static void problem_free(gpointer p) {
  StoreProblem *pr = p;
  if (!pr)
    return;
  g_free(pr->href);
  g_free(pr->message);
  g_free(pr);
}

static StoreProblem *problem_new(const char *href, const char *message) {
  StoreProblem *pr = g_new(StoreProblem, 1);
  pr->href = g_strdup(href);
  pr->message = g_strdup(message);
  return pr;
}

void store_result_clear(StoreResult *res) {
  if (!res)
    return;
  if (res->problems)
    g_ptr_array_unref(res->problems);
  memset(res, 0, sizeof *res);
}

typedef struct {
  Store *s;     /* not owned */
  StoreBatch *b; /* not owned */
  gint64 cal;
  gboolean baseline;
  gint64 now;
  GHashTable *latest;   /* href → the batch's last Entry for it (not owned) */
  GHashTable *released; /* UIDs whose good object went in this batch (owned) */
  StoreResult res;
  guint written; /* object rows written, for the test hook */
  GString *text; /* a spilled text read back: the entry being applied */
  GString *other;/* ... and one looked at on the side (duplicate UIDs) */
  gboolean guarded;  /* the mass-removal guard applies to this batch */
  GHashTable *gone;  /* UID → object rows with it removed by this batch (GUINT_TO_POINTER) */
  guint gone_nouid;  /* rows without a UID removed */
} Apply;

/* The text of an entry: in memory, or read back from the spill file into
 * `buf`.  NULL with an error when it cannot be read. */
static const char *entry_text(const Apply *a, const Entry *e, GString *buf, GError **error) {
  if (e->text || e->op != OP_PUT)
    return e->text;
  g_string_set_size(buf, e->len);
  gsize done = 0;
  while (done < e->len) {
    ssize_t n = pread(a->b->spill, buf->str + done, e->len - done, (off_t)(e->off + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "reading back the sync's temporary file: %s",
                  n < 0 ? g_strerror(errno) : "it is shorter than written");
      return NULL;
    }
    done += (gsize)n;
  }
  return buf->str;
}

static void wrote_row(Apply *a) {
  a->written++;
}

/* The test hook, checked between objects (each writes at most one object
 * row), where nothing but the Apply is allocated. */
static void crash_point(const Apply *a) {
  if (a->s->kill_after && a->written >= a->s->kill_after)
    raise(SIGKILL);
}

static const char *scan_error_name(CalObjError e) {
  switch (e) {
  case CALOBJ_OK:
    return "ok";
  case CALOBJ_EMPTY:
    return "no VEVENT, VTODO or VJOURNAL";
  case CALOBJ_MALFORMED:
    return "not an iCalendar object";
  case CALOBJ_NO_UID:
    return "a component without UID";
  case CALOBJ_MIXED_UIDS:
    return "components with different UIDs";
  case CALOBJ_DUPLICATE:
    return "two components with the same UID and RECURRENCE-ID";
  case CALOBJ_TOO_LARGE:
    return "too many components or lines";
  }
  return "unreadable";
}

/* UIDs and hrefs come from servers: a message shows at most SHOWN_MAX bytes
 * of each, cut at a character boundary. */
#define SHOWN_MAX 200

static char *shown(const char *s) {
  gsize len = strlen(s);
  if (len <= SHOWN_MAX)
    return g_strdup(s);
  gsize cut = SHOWN_MAX;
  while (cut > 0 && ((guchar)s[cut] & 0xC0) == 0x80)
    cut--;
  return g_strdup_printf("%.*s...", (int)cut, s);
}

static char *duplicate_message(const char *uid, const char *holder) {
  g_autofree char *u = shown(uid), *h = shown(holder);
  return g_strdup_printf("duplicate UID %s (also at %s)", u, h);
}

/* Journals the changes from `old` to `new` of one href. */
static gboolean journal_diff(Apply *a, const char *href, const CalObject *old, const CalObject *new,
                             GError **error) {
  if (!old && !new)
    return TRUE;
  g_autoptr(GPtrArray) changes = calobj_diff(old, new);
  if (!changes->len)
    return TRUE;
  g_autoptr(CachedStmt) st = sq_prep(a->s,
                                  "INSERT INTO changes (calendar, label, href, kind, uid, recurrence_id, fields, baseline, at)"
                                  " VALUES (?1, (SELECT account || '/' || name FROM calendars WHERE id = ?1),"
                                  " ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                  error);
  if (!st)
    return FALSE;
  for (guint i = 0; i < changes->len; i++) {
    const CalChange *c = g_ptr_array_index(changes, i);
    char kind[2] = {(char)c->kind, '\0'};
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, href);
    sq_bind_str(st, 3, kind);
    sq_bind_str(st, 4, c->uid);
    sq_bind_str(st, 5, c->recurrence_id);
    sq_bind_str(st, 6, c->kind == CHANGE_MODIFIED ? c->fields : NULL);
    sqlite3_bind_int(st, 7, a->baseline);
    sqlite3_bind_int64(st, 8, a->now);
    if (!sq_run(a->s, st, error))
      return FALSE;
    a->res.journal++;
  }
  return TRUE;
}

static void release_uid(Apply *a, const char *uid) {
  if (uid && !g_hash_table_contains(a->released, uid))
    g_hash_table_add(a->released, g_strdup(uid));
}

static gboolean remove_object(Apply *a, const char *href, GError **error) {
  g_autoptr(CalObject) old = NULL;
  g_autofree char *uid = NULL;
  {
    g_autoptr(CachedStmt) st =
        sq_prep(a->s, "SELECT uid, error IS NULL, ical FROM objects WHERE calendar = ?1 AND href = ?2", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, href);
    int rc = sq_step(a->s, st, error);
    if (rc < 0)
      return FALSE;
    if (rc == SQLITE_DONE)
      return TRUE; /* not stored: nothing to remove */
    if (a->gone) {
      const char *row_uid = sq_col_text(st, 0);
      if (row_uid) {
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(a->gone, row_uid));
        g_hash_table_insert(a->gone, g_strdup(row_uid), GUINT_TO_POINTER(n + 1));
      } else {
        a->gone_nouid++;
      }
    }
    if (sqlite3_column_int(st, 1)) {
      uid = sq_col_dup(st, 0);
      const char *text = sq_col_text(st, 2);
      if (text)
        calobj_scan(text, (gsize)sqlite3_column_bytes(st, 2), &old, NULL);
    }
  }
  CachedStmt *del = sq_prep(a->s, "DELETE FROM objects WHERE calendar = ?1 AND href = ?2", error);
  if (!del)
    return FALSE;
  sqlite3_bind_int64(del, 1, a->cal);
  sq_bind_str(del, 2, href);
  if (!sq_run(a->s, del, error))
    return FALSE;
  wrote_row(a);
  a->res.removed++;
  release_uid(a, uid);
  return journal_diff(a, href, old, NULL, error);
}

/* Every stored href that a full batch does not mention. */
static GPtrArray *unmentioned(Apply *a, GError **error) {
  g_autoptr(CachedStmt) st = sq_prep(a->s, "SELECT href FROM objects WHERE calendar = ?1", error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, a->cal);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
  int rc;
  while ((rc = sq_step(a->s, st, error)) == SQLITE_ROW)
    if (!g_hash_table_contains(a->latest, sq_col_text(st, 0)))
      g_ptr_array_add(gone, sq_col_dup(st, 0));
  return rc == SQLITE_DONE ? g_steal_pointer(&gone) : NULL;
}

/* Whether a pending put will still carry `uid` once applied. */
static gboolean keeps_uid(const Apply *a, const Entry *e, const char *uid) {
  if (e->op != OP_PUT)
    return FALSE;
  g_autoptr(CalObject) obj = NULL;
  const char *text = entry_text(a, e, a->other, NULL);
  return text && calobj_scan(text, e->len, &obj, NULL) == CALOBJ_OK && strcmp(obj->uid, uid) == 0;
}

/* Another href of the calendar that holds `uid` and keeps it: a good row,
 * unless the batch is about to rewrite that row without the UID.  *holder
 * stays NULL when there is none. */
static gboolean find_holder(Apply *a, const char *uid, const char *href, char **holder, GError **error) {
  g_autoptr(CachedStmt) st = sq_prep(a->s,
                                  "SELECT href FROM objects WHERE calendar = ?1 AND uid = ?2 AND error IS NULL"
                                  " AND href <> ?3",
                                  error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, a->cal);
  sq_bind_str(st, 2, uid);
  sq_bind_str(st, 3, href);
  int rc;
  while ((rc = sq_step(a->s, st, error)) == SQLITE_ROW) {
    const char *other = sq_col_text(st, 0);
    const Entry *pending = g_hash_table_lookup(a->latest, other);
    if (pending && !pending->done && (pending->op == OP_PUT || pending->op == OP_BAD) && !keeps_uid(a, pending, uid))
      continue;
    *holder = g_strdup(other);
    return TRUE;
  }
  return rc == SQLITE_DONE;
}

/* Whether the stored row (etag, error, ical in columns 0, 2, 3) already is what `e` would write. */
static gboolean same_as_stored(sqlite3_stmt *st, const Entry *e, const char *etext) {
  if (g_strcmp0(sq_col_text(st, 0), e->etag) != 0)
    return FALSE;
  if (e->op == OP_BAD)
    return sqlite3_column_type(st, 3) == SQLITE_NULL && g_strcmp0(sq_col_text(st, 2), etext) == 0;
  const void *text = sqlite3_column_blob(st, 3);
  gsize len = (gsize)sqlite3_column_bytes(st, 3);
  return sqlite3_column_type(st, 3) != SQLITE_NULL && len == e->len && (len == 0 || memcmp(text, etext, len) == 0);
}

static gboolean put_object(Apply *a, Entry *e, GError **error) {
  const char *etext = entry_text(a, e, a->text, error);
  if (!etext)
    return FALSE;
  gboolean found = FALSE, old_good = FALSE;
  g_autofree char *old_uid = NULL;
  g_autoptr(CalObject) old = NULL;
  {
    g_autoptr(CachedStmt) st =
        sq_prep(a->s, "SELECT etag, uid, error, ical FROM objects WHERE calendar = ?1 AND href = ?2", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, e->href);
    int rc = sq_step(a->s, st, error);
    if (rc < 0)
      return FALSE;
    if (rc == SQLITE_ROW) {
      found = TRUE;
      if (same_as_stored(st, e, etext)) {
        a->res.unchanged++;
        return TRUE;
      }
      old_good = sqlite3_column_type(st, 2) == SQLITE_NULL;
      if (old_good) {
        old_uid = sq_col_dup(st, 1);
        const char *text = sq_col_text(st, 3);
        if (text)
          calobj_scan(text, (gsize)sqlite3_column_bytes(st, 3), &old, NULL);
      }
    }
  }

  g_autoptr(CalObject) obj = NULL;
  g_autofree char *problem = NULL;
  if (e->op == OP_BAD) {
    problem = g_strdup(etext);
  } else {
    g_autofree char *detail = NULL;
    CalObjError ce = calobj_scan(etext, e->len, &obj, &detail);
    if (ce != CALOBJ_OK) {
      problem = detail ? g_steal_pointer(&detail) : g_strdup(scan_error_name(ce));
    } else {
      g_autofree char *holder = NULL;
      if (!find_holder(a, obj->uid, e->href, &holder, error))
        return FALSE;
      if (holder)
        problem = duplicate_message(obj->uid, holder);
    }
  }
  const char *uid = obj ? obj->uid : NULL;
  gboolean good = problem == NULL;

  CachedStmt *up = sq_prep(a->s,
                        "INSERT INTO objects (calendar, href, etag, uid, error, ical) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        " ON CONFLICT (calendar, href) DO UPDATE SET etag = excluded.etag, uid = excluded.uid,"
                        " error = excluded.error, ical = excluded.ical",
                        error);
  if (!up)
    return FALSE;
  sqlite3_bind_int64(up, 1, a->cal);
  sq_bind_str(up, 2, e->href);
  sq_bind_str(up, 3, e->etag);
  sq_bind_str(up, 4, uid);
  sq_bind_str(up, 5, problem);
  sq_bind_text(up, 6, e->op == OP_PUT ? etext : NULL, e->len);
  if (!sq_run(a->s, up, error))
    return FALSE;
  wrote_row(a);

  /* A bad object counts as bad, not as added or modified. */
  if (problem)
    g_ptr_array_add(a->res.problems, problem_new(e->href, problem));
  else if (found)
    a->res.modified++;
  else
    a->res.added++;
  if (old_good && (!good || g_strcmp0(old_uid, uid) != 0))
    release_uid(a, old_uid);
  return journal_diff(a, e->href, old_good ? old : NULL, good ? obj : NULL, error);
}

/* A UID released in this batch goes to its oldest duplicate, if no good
 * object has it now. */
static gboolean promote(Apply *a, const char *uid, GError **error) {
  g_autofree char *href = NULL;
  g_autoptr(CalObject) obj = NULL;
  {
    g_autoptr(CachedStmt) st =
        sq_prep(a->s, "SELECT 1 FROM objects WHERE calendar = ?1 AND uid = ?2 AND error IS NULL LIMIT 1", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, uid);
    int rc = sq_step(a->s, st, error);
    if (rc != SQLITE_DONE)
      return rc == SQLITE_ROW; /* held (or an error) */
  }
  {
    g_autoptr(CachedStmt) st = sq_prep(a->s,
                                    "SELECT href, ical FROM objects WHERE calendar = ?1 AND uid = ?2"
                                    " AND error IS NOT NULL ORDER BY rowid",
                                    error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, uid);
    int rc;
    while ((rc = sq_step(a->s, st, error)) == SQLITE_ROW) {
      const char *text = sq_col_text(st, 1);
      if (text && calobj_scan(text, (gsize)sqlite3_column_bytes(st, 1), &obj, NULL) == CALOBJ_OK) {
        if (strcmp(obj->uid, uid) == 0) {
          href = sq_col_dup(st, 0);
          break;
        }
        g_clear_pointer(&obj, calobj_free);
      }
    }
    if (rc < 0)
      return FALSE;
  }
  if (!href)
    return TRUE;
  CachedStmt *up = sq_prep(a->s, "UPDATE objects SET error = NULL WHERE calendar = ?1 AND href = ?2", error);
  if (!up)
    return FALSE;
  sqlite3_bind_int64(up, 1, a->cal);
  sq_bind_str(up, 2, href);
  if (!sq_run(a->s, up, error))
    return FALSE;
  wrote_row(a);
  a->res.added++;
  /* The other duplicates now name the new holder. */
  g_autofree char *message = duplicate_message(uid, href);
  CachedStmt *rest =
      sq_prep(a->s, "UPDATE objects SET error = ?3 WHERE calendar = ?1 AND uid = ?2 AND error IS NOT NULL", error);
  if (!rest)
    return FALSE;
  sqlite3_bind_int64(rest, 1, a->cal);
  sq_bind_str(rest, 2, uid);
  sq_bind_str(rest, 3, message);
  if (!sq_run(a->s, rest, error))
    return FALSE;
  return journal_diff(a, href, NULL, obj, error);
}

static gint compare_str(gconstpointer x, gconstpointer y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A calendar label for a command line: quoted when the shell would split it. */
static char *shell_word(const char *label) {
  for (const char *p = label; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("/._-@+:,", *p))
      return g_shell_quote(label);
  return g_strdup(label);
}

/* The mass-removal guard (STORE_GUARD_* in store.h), once the batch is
 * applied inside its transaction: FALSE, so that it is rolled back, when
 * too much of the calendar vanished.  A removed object whose UID another
 * href of the calendar still holds (the server renamed it) has not
 * vanished. */
static gboolean check_removals(Apply *a, gint64 before, GError **error) {
  guint vanished = a->gone_nouid;
  GHashTableIter it;
  gpointer uid, n;
  g_hash_table_iter_init(&it, a->gone);
  while (g_hash_table_iter_next(&it, &uid, &n)) {
    g_autoptr(CachedStmt) st = sq_prep(a->s, "SELECT 1 FROM objects WHERE calendar = ?1 AND uid = ?2 LIMIT 1", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    sq_bind_str(st, 2, uid);
    int rc = sq_step(a->s, st, error);
    if (rc < 0)
      return FALSE;
    if (rc == SQLITE_DONE)
      vanished += GPOINTER_TO_UINT(n);
  }
  gboolean all = before >= STORE_GUARD_ALL_MIN && (gint64)vanished >= before;
  gboolean most = vanished > STORE_GUARD_MANY && (gint64)vanished * 2 > before;
  if (!all && !most)
    return TRUE;
  g_autofree char *label = NULL;
  {
    g_autoptr(CachedStmt) st = sq_prep(a->s, "SELECT account || '/' || name FROM calendars WHERE id = ?1", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    if (sq_step(a->s, st, error) != SQLITE_ROW)
      return FALSE;
    label = sq_col_dup(st, 0);
  }
  if (!a->s->held)
    a->s->held = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_insert(a->s->held, g_memdup2(&a->cal, sizeof a->cal), GUINT_TO_POINTER(vanished));
  g_autofree char *shown_label = shown(label), *word = shell_word(label);
  g_autofree char *what =
      all ? g_strdup_printf("any of the %" G_GINT64_FORMAT " objects stored for %s: all %u would be deleted", before,
                            shown_label, vanished)
          : g_strdup_printf("%u of the %" G_GINT64_FORMAT " objects stored for %s: they would be deleted", vanished,
                            before, shown_label);
  g_set_error(error, STORE_ERROR, STORE_ERROR_MASS_REMOVAL,
              "the server no longer lists %s at once, which looks like a server or configuration problem (an "
              "emptied or swapped collection), so nothing was applied and nothing deleted. If they were really "
              "deleted, run: diaryd sync --force-delete %s",
              what, word);
  return FALSE;
}

static gboolean apply_batch(Apply *a, GError **error) {
  StoreBatch *b = a->b;
  {
    g_autoptr(CachedStmt) st = sq_prep(a->s, "SELECT complete FROM calendars WHERE id = ?1", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    int rc = sq_step(a->s, st, error);
    if (rc < 0)
      return FALSE;
    if (rc == SQLITE_DONE) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: no calendar %" G_GINT64_FORMAT, a->s->path,
                  a->cal);
      return FALSE;
    }
    a->baseline = sqlite3_column_int(st, 0) == 0;
  }
  /* The guard: not before the first complete sync (nothing known yet to
   * lose), nor for a calendar the owner let through. */
  gint64 before = 0;
  gboolean allowed = a->s->allowed && g_hash_table_contains(a->s->allowed, &a->cal);
  if (!a->baseline && !allowed && (b->size || b->full)) {
    g_autoptr(CachedStmt) st = sq_prep(a->s, "SELECT count(*) FROM objects WHERE calendar = ?1", error);
    if (!st)
      return FALSE;
    sqlite3_bind_int64(st, 1, a->cal);
    if (sq_step(a->s, st, error) != SQLITE_ROW)
      return FALSE;
    before = sqlite3_column_int64(st, 0);
    a->gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  }
  if (a->s->held)
    g_hash_table_remove(a->s->held, &a->cal);

  for (guint i = 0; i < b->entries->len; i++) {
    Entry *e = g_ptr_array_index(b->entries, i);
    e->done = FALSE;
    g_hash_table_insert(a->latest, e->href, e);
  }

  for (guint i = 0; i < b->entries->len; i++) {
    Entry *e = g_ptr_array_index(b->entries, i);
    if (e->op != OP_REMOVE || g_hash_table_lookup(a->latest, e->href) != e)
      continue;
    if (!remove_object(a, e->href, error))
      return FALSE;
    e->done = TRUE;
    crash_point(a);
  }
  if (b->full) {
    g_autoptr(GPtrArray) gone = unmentioned(a, error);
    if (!gone)
      return FALSE;
    for (guint i = 0; i < gone->len; i++) {
      if (!remove_object(a, g_ptr_array_index(gone, i), error))
        return FALSE;
      crash_point(a);
    }
  }

  for (guint i = 0; i < b->entries->len; i++) {
    Entry *e = g_ptr_array_index(b->entries, i);
    if ((e->op != OP_PUT && e->op != OP_BAD) || g_hash_table_lookup(a->latest, e->href) != e)
      continue;
    if (!put_object(a, e, error))
      return FALSE;
    e->done = TRUE;
    crash_point(a);
  }

  /* In UID order, so that the journal does not depend on hash order. */
  g_autoptr(GPtrArray) released = g_ptr_array_new();
  GHashTableIter it;
  gpointer uid;
  g_hash_table_iter_init(&it, a->released);
  while (g_hash_table_iter_next(&it, &uid, NULL))
    g_ptr_array_add(released, uid);
  g_ptr_array_sort(released, compare_str);
  for (guint i = 0; i < released->len; i++) {
    if (!promote(a, g_ptr_array_index(released, i), error))
      return FALSE;
    crash_point(a);
  }
  if (a->gone && !check_removals(a, before, error))
    return FALSE;

  CachedStmt *st = sq_prep(a->s,
                        "UPDATE calendars SET sync_token = CASE WHEN ?2 THEN ?3 ELSE sync_token END,"
                        " ctag = coalesce(?4, ctag), synced_at = CASE WHEN ?5 THEN ?6 ELSE synced_at END,"
                        " complete = (complete OR ?5) WHERE id = ?1",
                        error);
  if (!st)
    return FALSE;
  sqlite3_bind_int64(st, 1, a->cal);
  sqlite3_bind_int(st, 2, b->token_op != TOKEN_LEAVE);
  sq_bind_str(st, 3, b->token_op == TOKEN_SET ? b->token : NULL);
  sq_bind_str(st, 4, b->ctag);
  sqlite3_bind_int(st, 5, b->complete != FALSE);
  sqlite3_bind_int64(st, 6, a->now);
  return sq_run(a->s, st, error);
}

gboolean store_apply(Store *s, gint64 calendar, StoreBatch *batch, StoreResult *res, GError **error) {
  g_return_val_if_fail(s && batch, FALSE);
  LOCKED(s);
  Apply a = {.s = s, .b = batch, .cal = calendar, .now = g_get_real_time() / G_USEC_PER_SEC};
  a.res.problems = g_ptr_array_new_with_free_func(problem_free);
  a.text = g_string_new(NULL);
  a.other = g_string_new(NULL);
  a.latest = g_hash_table_new(g_str_hash, g_str_equal);
  a.released = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = FALSE;
  if (sq_txn_begin(s, error)) {
    if (apply_batch(&a, error))
      ok = sq_txn_commit(s, error);
    else
      sq_txn_rollback(s);
  }
  g_hash_table_unref(a.latest);
  g_hash_table_unref(a.released);
  g_string_free(a.text, TRUE);
  g_string_free(a.other, TRUE);
  if (a.gone)
    g_hash_table_unref(a.gone);
  if (!ok) {
    /* The guard's message stands alone: it is what the owner reads. */
    if (error && !g_error_matches(*error, STORE_ERROR, STORE_ERROR_MASS_REMOVAL))
      g_prefix_error(error, "applying a sync to calendar %" G_GINT64_FORMAT ": ", calendar);
    store_result_clear(&a.res);
    return FALSE;
  }
  if (res)
    *res = a.res;
  else
    store_result_clear(&a.res);
  return TRUE;
}

void store_allow_removals(Store *s, gint64 calendar) {
  LOCKED(s);
  if (!s->allowed)
    s->allowed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_add(s->allowed, g_memdup2(&calendar, sizeof calendar));
}

guint store_held_removals(Store *s, gint64 calendar) {
  LOCKED(s);
  return s->held ? GPOINTER_TO_UINT(g_hash_table_lookup(s->held, &calendar)) : 0;
}

gboolean store_calendar_remove(Store *s, gint64 id, GError **error) {
  LOCKED(s);
  Apply a = {.s = s, .cal = id, .now = g_get_real_time() / G_USEC_PER_SEC};
  if (!sq_txn_begin(s, error))
    return FALSE;
  g_autoptr(StoreCalendar) cal = calendar_get(s, id, error);
  if (!cal)
    goto fail;
  a.baseline = !cal->complete;
  {
    g_autoptr(CachedStmt) st =
        sq_prep(s, "SELECT href, ical FROM objects WHERE calendar = ?1 AND error IS NULL ORDER BY href", error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
      g_autoptr(CalObject) old = NULL;
      const char *text = sq_col_text(st, 1);
      if (text && calobj_scan(text, (gsize)sqlite3_column_bytes(st, 1), &old, NULL) == CALOBJ_OK &&
          !journal_diff(&a, sq_col_text(st, 0), old, NULL, error))
        goto fail;
    }
    if (rc < 0)
      goto fail;
  }
  CachedStmt *del = sq_prep(s, "DELETE FROM calendars WHERE id = ?1", error);
  if (!del)
    goto fail;
  sqlite3_bind_int64(del, 1, id);
  if (!sq_run(s, del, error))
    goto fail;
  return sq_txn_commit(s, error);
fail:
  sq_txn_rollback(s);
  return FALSE;
}

/* ---- reading objects ----------------------------------------------------------------- */

gboolean store_foreach_object(Store *s, gint64 calendar, StoreObjectFunc func, gpointer data, GError **error) {
  g_return_val_if_fail(s && func, FALSE);
  LOCKED(s);
  /* Its own statement, streamed: the callback may use the store. */
  const char *sql = calendar ? "SELECT calendar, href, ical FROM objects WHERE calendar = ?1 AND error IS NULL"
                               " ORDER BY href"
                             : "SELECT calendar, href, ical FROM objects WHERE error IS NULL ORDER BY calendar, href";
  g_autoptr(sqlite3_stmt) st = NULL;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sq_fail(s, error);
  if (calendar)
    sqlite3_bind_int64(st, 1, calendar);
  g_autoptr(StoreCalendar) cal = NULL;
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(st, 0);
    if (!cal || cal->id != id) {
      g_clear_pointer(&cal, store_calendar_free);
      cal = calendar_get(s, id, error);
      if (!cal)
        return FALSE;
    }
    const char *text = sq_col_text(st, 2);
    func(cal, sq_col_text(st, 1), text ? text : "", (gsize)sqlite3_column_bytes(st, 2), data);
  }
  return rc == SQLITE_DONE;
}

GPtrArray *store_bad_objects(Store *s, gint64 calendar, GError **error) {
  LOCKED(s);
  g_autoptr(CachedStmt) st =
      calendar ? sq_prep(s, "SELECT href, error FROM objects WHERE calendar = ?1 AND error IS NOT NULL ORDER BY href",
                      error)
               : sq_prep(s, "SELECT href, error FROM objects WHERE error IS NOT NULL ORDER BY calendar, href", error);
  if (!st)
    return NULL;
  if (calendar)
    sqlite3_bind_int64(st, 1, calendar);
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(problem_free);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW)
    g_ptr_array_add(bad, problem_new(sq_col_text(st, 0), sq_col_text(st, 1)));
  return rc == SQLITE_DONE ? g_steal_pointer(&bad) : NULL;
}

/* ---- the change journal ------------------------------------------------------------------ */

void store_change_free(StoreChange *c) {
  if (!c)
    return;
  g_free(c->href);
  g_free(c->label);
  g_free(c->uid);
  g_free(c->recurrence_id);
  g_free(c->fields);
  g_free(c);
}

static void change_free_func(gpointer c) {
  store_change_free(c);
}

GPtrArray *store_journal_read(Store *s, const char *consumer, gint64 after, guint limit, GError **error) {
  LOCKED(s);
  if (after < 0) {
    after = 0;
    if (consumer) {
      g_autoptr(CachedStmt) st = sq_prep(s, "SELECT seq FROM consumers WHERE name = ?1", error);
      if (!st)
        return NULL;
      sq_bind_str(st, 1, consumer);
      int rc = sq_step(s, st, error);
      if (rc < 0)
        return NULL;
      if (rc == SQLITE_ROW)
        after = sqlite3_column_int64(st, 0);
    }
  }
  g_autoptr(CachedStmt) st = sq_prep(s,
                                  "SELECT seq, calendar, href, kind, uid, recurrence_id, fields, baseline, at, label"
                                  " FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                                  error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_int64(st, 2, limit ? (gint64)limit : -1);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(change_free_func);
  int rc;
  while ((rc = sq_step(s, st, error)) == SQLITE_ROW) {
    StoreChange *c = g_new0(StoreChange, 1);
    c->seq = sqlite3_column_int64(st, 0);
    c->calendar = sqlite3_column_int64(st, 1);
    c->href = sq_col_dup(st, 2);
    const char *kind = sq_col_text(st, 3);
    c->kind = kind && *kind == 'M' ? CHANGE_MODIFIED : kind && *kind == 'R' ? CHANGE_REMOVED : CHANGE_ADDED;
    c->uid = sq_col_dup(st, 4);
    c->recurrence_id = sq_col_dup(st, 5);
    c->fields = sq_col_dup(st, 6);
    c->baseline = sqlite3_column_int(st, 7) != 0;
    c->at = sqlite3_column_int64(st, 8);
    c->label = sq_col_dup(st, 9);
    g_ptr_array_add(rows, c);
  }
  return rc == SQLITE_DONE ? g_steal_pointer(&rows) : NULL;
}

gboolean store_journal_ack(Store *s, const char *consumer, gint64 seq, GError **error) {
  g_return_val_if_fail(s && consumer, FALSE);
  LOCKED(s);
  CachedStmt *st = sq_prep(
      s, "INSERT INTO consumers (name, seq) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
      error);
  if (!st)
    return FALSE;
  sq_bind_str(st, 1, consumer);
  sqlite3_bind_int64(st, 2, seq);
  return sq_run(s, st, error);
}

/* store_begin() keeps the lock until store_commit() or store_rollback(). */
gboolean store_begin(Store *s, GError **error) {
  g_rec_mutex_lock(&s->lock);
  if (sq_txn_begin(s, error))
    return TRUE;
  g_rec_mutex_unlock(&s->lock);
  return FALSE;
}

gboolean store_commit(Store *s, GError **error) {
  gboolean ok = sq_txn_commit(s, error);
  g_rec_mutex_unlock(&s->lock);
  return ok;
}

void store_rollback(Store *s) {
  sq_txn_rollback(s);
  g_rec_mutex_unlock(&s->lock);
}
