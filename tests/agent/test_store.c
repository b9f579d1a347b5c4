/* Tests for agent/store.c: opening and migrating, file modes, accounts and
 * calendars, the semantics of a batch (put, keep, bad, remove, full),
 * duplicate UIDs, the change journal (rows, fields, baseline, consumers),
 * transactions, threads, a crash at any point of an apply, and the time a
 * 10,000-object first sync takes (printed, not asserted); damaged files
 * (not a database, empty, truncated, corrupt pages found at open or while
 * running, in use by another process) and the mass-removal guard. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "testutil.h"

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(StoreResult, store_result_clear)

typedef struct {
  char *dir;
  char *path;
  Store *store;
  gint64 cal;
} Fx;

static void fx_setup(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("diaryd-store-XXXXXX", &error);
  g_assert_no_error(error);
  fx->path = g_build_filename(fx->dir, "state", "diaryd.db", NULL);
  fx->store = store_open(fx->path, &error);
  g_assert_no_error(error);
  fx->cal = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/work/", "Work", "#ff0000", &error);
  g_assert_no_error(error);
  g_assert_cmpint(fx->cal, >, 0);
}

static void fx_teardown(Fx *fx, gconstpointer data) {
  (void)data;
  store_free(fx->store);
  test_rm_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->path);
}

/* `lines` with \n turned into CRLF, inside a VCALENDAR. */
static char *vcal(const char *lines) {
  GString *s = g_string_new("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd//test//EN\r\n");
  for (const char *p = lines; *p; p++) {
    if (*p == '\n')
      g_string_append(s, "\r\n");
    else
      g_string_append_c(s, *p);
  }
  g_string_append(s, "END:VCALENDAR\r\n");
  return g_string_free(s, FALSE);
}

/* One VEVENT (lines separated by \n); `rid` NULL for a master. */
static char *vevent(const char *uid, const char *rid, const char *start, const char *summary, const char *extra) {
  return g_strdup_printf("BEGIN:VEVENT\nUID:%s\nDTSTAMP:20261101T120000Z\n%s%s%sDTSTART:%s\nDURATION:PT30M\n"
                         "SUMMARY:%s\n%sEND:VEVENT\n",
                         uid, rid ? "RECURRENCE-ID:" : "", rid ? rid : "", rid ? "\n" : "", start, summary,
                         extra ? extra : "");
}

/* A calendar object with one plain event. */
static char *simple(const char *uid, const char *summary) {
  g_autofree char *ev = vevent(uid, NULL, "20261207T090000Z", summary, NULL);
  return vcal(ev);
}

static void put(StoreBatch *b, const char *href, const char *etag, const char *ical) {
  store_batch_put(b, href, etag, ical, strlen(ical));
}

static void put_simple(StoreBatch *b, const char *href, const char *etag, const char *uid, const char *summary) {
  g_autofree char *ics = simple(uid, summary);
  put(b, href, etag, ics);
}

static StoreResult apply(Store *store, gint64 cal, StoreBatch *b) {
  StoreResult res = {0};
  g_autoptr(GError) error = NULL;
  gboolean ok = store_apply(store, cal, b, &res, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_nonnull(res.problems);
  return res;
}

#define EXPECT_COUNTS(res, a, m, r, u, j)                                                                          \
  EXPECT((res).added == (a) && (res).modified == (m) && (res).removed == (r) && (res).unchanged == (u) &&         \
             (res).journal == (j),                                                                                \
         "line %d: added %u modified %u removed %u unchanged %u journal %u; expected %u %u %u %u %u", __LINE__,   \
         (res).added, (res).modified, (res).removed, (res).unchanged, (res).journal, (guint)(a), (guint)(m),      \
         (guint)(r), (guint)(u), (guint)(j))

/* The journal after `after`, one line per row: "KIND HREF UID RID FIELDS B"
 * (RID and FIELDS "-" when NULL, B "b" for baseline rows, "-" otherwise). */
static char *journal_lines(Store *store, gint64 after, gint64 *last) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_journal_read(store, NULL, after, 0, &error);
  g_assert_no_error(error);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < rows->len; i++) {
    StoreChange *c = g_ptr_array_index(rows, i);
    g_string_append_printf(s, "%s%c %s %s %s %s %s", i ? "\n" : "", (char)c->kind, c->href, c->uid,
                           c->recurrence_id ? c->recurrence_id : "-", c->fields ? c->fields : "-",
                           c->baseline ? "b" : "-");
    if (last)
      *last = c->seq;
  }
  return g_string_free(s, FALSE);
}

static gint64 journal_end(Store *store) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_journal_read(store, NULL, 0, 0, &error);
  g_assert_no_error(error);
  return rows->len ? ((StoreChange *)g_ptr_array_index(rows, rows->len - 1))->seq : 0;
}

#define EXPECT_JOURNAL(store, after, want)                                                                         \
  do {                                                                                                            \
    g_autofree char *got_ = journal_lines((store), (after), NULL);                                                \
    EXPECT(strcmp(got_, (want)) == 0, "line %d: journal\n%s\nexpected\n%s", __LINE__, got_, (want));              \
  } while (0)

static gint compare_strings(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "href=etag" of every stored object, sorted, joined by " ". */
static char *etag_list(Store *store, gint64 cal) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) etags = store_etags(store, cal, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, etags);
  while (g_hash_table_iter_next(&it, &k, &v))
    g_ptr_array_add(items, g_strdup_printf("%s=%s", (char *)k, (char *)v));
  g_ptr_array_sort(items, compare_strings);
  g_ptr_array_add(items, NULL);
  return g_strjoinv(" ", (char **)items->pdata);
}

typedef struct {
  GString *seen;
  guint calls;
} Seen;

static void on_object(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  Seen *s = data;
  g_assert_nonnull(cal);
  g_assert_cmpuint(strlen(ical), ==, len);
  g_string_append_printf(s->seen, "%s%s:%s", s->seen->len ? " " : "", cal->name, href);
  s->calls++;
}

static char *object_list(Store *store, gint64 cal) {
  Seen s = {g_string_new(NULL), 0};
  g_autoptr(GError) error = NULL;
  gboolean ok = store_foreach_object(store, cal, on_object, &s, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  return g_string_free(s.seen, FALSE);
}

static StoreCalendar *calendar(Store *store, gint64 id) {
  g_autoptr(GError) error = NULL;
  StoreCalendar *c = store_calendar_get(store, id, &error);
  g_assert_no_error(error);
  return c;
}

static gint64 raw_int(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  gint64 v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static char *raw_text(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  char *v = sqlite3_step(st) == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0)) : NULL;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static void raw_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(db);
}

/* ---- opening ------------------------------------------------------------------------- */

static void test_open(Fx *fx, gconstpointer data) {
  (void)data;
  g_assert_cmpstr(store_path(fx->store), ==, fx->path);
  g_autofree char *mode = raw_text(fx->path, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "wal");
  g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);

  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/cal/work/a.ics", "\"1\"", "a@x", "A");
  store_batch_set_token(b, "tok-1", NULL);
  g_auto(StoreResult) res = apply(fx->store, fx->cal, b);
  store_free(fx->store);

  /* Reopened: nothing to migrate, everything still there. */
  g_autoptr(GError) error = NULL;
  fx->store = store_open(fx->path, &error);
  g_assert_no_error(error);
  g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
  g_assert_cmpstr(c->sync_token, ==, "tok-1");
  g_assert_cmpuint(c->objects, ==, 1);
  g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);

  /* A second handle on the same file (another diaryd process) sees it all. */
  g_autoptr(Store) other = store_open(fx->path, &error);
  g_assert_no_error(error);
  g_autofree char *objs = object_list(other, 0);
  g_assert_cmpstr(objs, ==, "Work:/cal/work/a.ics");
}

static void test_newer_schema(Fx *fx, gconstpointer data) {
  (void)data;
  store_free(fx->store);
  fx->store = NULL;
  raw_exec(fx->path, "PRAGMA user_version = 99");
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(fx->path, &error);
  g_assert_null(s);
  g_assert_error(error, STORE_ERROR, STORE_ERROR_SCHEMA);
  EXPECT(strstr(error->message, "99") && strstr(error->message, "newer") && strstr(error->message, fx->path),
         "message: %s", error->message);
  /* Refusing did not touch it. */
  g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, 99);
}

/* Another process holds the write lock (a long sync apply): opening the
 * store and reading it must not wait for it. */
static void count_object(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  (void)cal, (void)href, (void)ical, (void)len;
  (*(guint *)data)++;
}

static void test_open_while_writing(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/cal/work/a.ics", "\"1\"", "a@x", "A");
  g_auto(StoreResult) res = apply(fx->store, fx->cal, b);
  gint64 last = journal_end(fx->store);
  g_assert_cmpint(last, >, 0);

  sqlite3 *writer = NULL;
  g_assert_cmpint(sqlite3_open_v2(fx->path, &writer, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(writer,
                               "BEGIN IMMEDIATE;"
                               "INSERT INTO accounts (name, url, discovered_at) VALUES ('pending', 'u', 1)",
                               NULL, NULL, NULL),
                  ==, SQLITE_OK);

  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  Store *reader = store_open(fx->path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(reader);
  g_autoptr(GPtrArray) rows = store_journal_read(reader, NULL, 0, 0, &error);
  g_assert_no_error(error);
  g_assert_nonnull(rows);
  guint objects = 0;
  g_assert_true(store_foreach_object(reader, 0, count_object, &objects, &error));
  g_assert_no_error(error);
  gint64 elapsed = g_get_monotonic_time() - t0;
  g_test_message("open and read beside a writer: %.3f s", (double)elapsed / G_USEC_PER_SEC);
  EXPECT(elapsed < 2 * G_USEC_PER_SEC, "opening and reading waited %.3f s for the writer",
         (double)elapsed / G_USEC_PER_SEC);
  g_assert_cmpuint(rows->len, ==, (guint)last);
  g_assert_cmpuint(objects, ==, 1);
  /* It reads the last committed state, not the pending write. */
  g_assert_false(store_account_get(reader, "pending", NULL, NULL, &error));
  g_assert_no_error(error);
  store_free(reader);

  g_assert_cmpint(sqlite3_exec(writer, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(writer);
  g_assert_true(store_account_get(fx->store, "pending", NULL, NULL, &error));
  g_assert_no_error(error);
}

static void test_migrate_from_empty(Fx *fx, gconstpointer data) {
  (void)data;
  /* A database made by hand (version 0, no tables) is migrated. */
  g_autofree char *path = g_build_filename(fx->dir, "empty.db", NULL);
  raw_exec(path, "PRAGMA user_version = 0");
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
  g_assert_cmpint(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'objects'"), ==, 1);
}

/* The path of the one "<path>.damaged-*" file (not its -wal or -shm), or NULL. */
static char *aside_of(const char *path) {
  g_autofree char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
  g_autofree char *prefix = g_strconcat(base, ".damaged-", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  char *found = NULL;
  const char *name;
  while ((name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, prefix) && !g_str_has_suffix(name, "-wal") && !g_str_has_suffix(name, "-shm")) {
      g_assert_null(found);
      found = g_build_filename(dir, name, NULL);
    }
  return found;
}

/* Opens a damaged file: a new store, the old file kept aside as it was, an
 * alert for the owner, and stderr (not captured) told. */
static void expect_replaced(const char *path, StoreOpenFlags flags, const char *want_in_message) {
  g_autofree char *before = NULL;
  gsize before_len = 0;
  g_assert_true(g_file_get_contents(path, &before, &before_len, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open_full(path, flags, &error);
  g_assert_no_error(error);
  g_assert_nonnull(s);
  g_autofree char *aside = aside_of(path);
  g_assert_nonnull(aside);
  g_assert_cmpstr(store_replaced(s), ==, aside);
  g_autofree char *kept = NULL;
  gsize kept_len = 0;
  g_assert_true(g_file_get_contents(aside, &kept, &kept_len, NULL));
  g_assert_true(kept_len == before_len && memcmp(kept, before, kept_len) == 0);
  g_autofree char *marker = g_strconcat(path, ".damaged", NULL);
  g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
  /* A new, empty store that works. */
  g_autoptr(GPtrArray) cals = store_calendars(s, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(cals->len, ==, 0);
  g_autoptr(GPtrArray) alerts = store_alerts_pending(s, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(alerts->len, ==, 1);
  StoreAlert *al = g_ptr_array_index(alerts, 0);
  g_assert_cmpstr(al->kind, ==, "store");
  g_assert_cmpint(al->urgency, ==, ALERT_CRITICAL);
  EXPECT(strstr(al->body, aside) && strstr(al->body, path) && strstr(al->body, want_in_message),
         "alert body: %s", al->body);
  g_assert_false(store_needs_reopen(s));
  g_assert_cmpint(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
}

/* A store at `path` with one calendar of `n` objects, closed. */
static void make_store(const char *path, guint n) {
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(path, &error);
  g_assert_no_error(error);
  gint64 cal = store_calendar_ensure(s, "work", "https://dav.example.com/cal/work/", "Work", NULL, &error);
  g_assert_no_error(error);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  for (guint i = 0; i < n; i++) {
    g_autofree char *href = g_strdup_printf("/cal/work/%04u.ics", i), *uid = g_strdup_printf("uid-%04u", i);
    g_autofree char *summary = g_strdup_printf("Appointment %u with a summary long enough to fill pages", i);
    put_simple(b, href, "\"1\"", uid, summary);
  }
  g_auto(StoreResult) res = apply(s, cal, b);
  g_assert_cmpuint(res.added, ==, n);
}

static void test_not_a_database(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_build_filename(fx->dir, "garbage.db", NULL);
  char junk[4096];
  memset(junk, 'x', sizeof junk);
  g_assert_true(g_file_set_contents(path, junk, sizeof junk, NULL));
  expect_replaced(path, 0, "not a database");
}

static void test_empty_file(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_build_filename(fx->dir, "empty.db", NULL);
  make_store(path, 3);
  g_assert_true(g_file_set_contents(path, "", 0, NULL));
  expect_replaced(path, 0, "empty (0 bytes)");
  /* A file diaryd creates itself is new, not damaged. */
  g_autofree char *fresh = g_build_filename(fx->dir, "fresh", "diaryd.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open_full(fresh, STORE_OPEN_VERIFY, &error);
  g_assert_no_error(error);
  g_assert_null(store_replaced(s));
}

static void test_truncated(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_build_filename(fx->dir, "half.db", NULL);
  make_store(path, 300);
  struct stat st;
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpint(truncate(path, st.st_size / 2), ==, 0);
  expect_replaced(path, 0, "truncated");
}

/* Garbage over the root page of the objects table: opening reads the schema only
 * and succeeds; the first read of the objects fails with
 * STORE_ERROR_DAMAGED and leaves the marker; the next open checks the file
 * and replaces it.  With STORE_OPEN_VERIFY the first open does. */
static void test_damaged_mid_run(Fx *fx, gconstpointer data) {
  (void)data;
  for (int verify = 0; verify < 2; verify++) {
    g_autofree char *path = g_strdup_printf("%s/mid%d.db", fx->dir, verify);
    make_store(path, 300);
    gint64 root = raw_int(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'objects'");
    g_assert_cmpint(root, >, 1);
    FILE *f = fopen(path, "r+b");
    g_assert_nonnull(f);
    char junk[4096];
    memset(junk, 0xA5, sizeof junk);
    g_assert_cmpint(fseek(f, (long)((root - 1) * 4096), SEEK_SET), ==, 0);
    g_assert_cmpuint(fwrite(junk, 1, sizeof junk, f), ==, sizeof junk);
    g_assert_cmpint(fclose(f), ==, 0);
    if (verify) {
      expect_replaced(path, STORE_OPEN_VERIFY, "quick_check");
      continue;
    }
    g_autoptr(GError) error = NULL;
    {
      g_autoptr(Store) s = store_open(path, &error);
      g_assert_no_error(error);
      g_assert_null(store_replaced(s));
      g_autoptr(GHashTable) etags = store_etags(s, 1, &error);
      g_assert_null(etags);
      g_assert_error(error, STORE_ERROR, STORE_ERROR_DAMAGED);
      EXPECT(strstr(error->message, path) && strstr(error->message, "next diaryd run"), "message: %s",
             error->message);
    }
    g_autofree char *marker = g_strconcat(path, ".damaged", NULL);
    g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
    expect_replaced(path, 0, "quick_check");
  }
}

/* A damaged file another process has open stays where it is. */
static void test_damaged_in_use(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_build_filename(fx->dir, "busy.db", NULL);
  make_store(path, 3);
  int ready[2], done[2];
  g_assert_cmpint(pipe(ready), ==, 0);
  g_assert_cmpint(pipe(done), ==, 0);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_exec(db, "SELECT count(*) FROM objects", NULL, NULL, NULL);
    char c = 'r';
    (void)!write(ready[1], &c, 1);
    (void)!read(done[0], &c, 1);
    _exit(0);
  }
  char c;
  g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
  g_autofree char *marker = g_strconcat(path, ".damaged", NULL);
  g_assert_true(g_file_set_contents(marker, "", 0, NULL));
  /* Damage the objects' pages behind the reader's back. */
  gint64 root = raw_int(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'objects'");
  FILE *f = fopen(path, "r+b");
  char junk[4096];
  memset(junk, 0x5A, sizeof junk);
  g_assert_cmpint(fseek(f, (long)((root - 1) * 4096), SEEK_SET), ==, 0);
  g_assert_cmpuint(fwrite(junk, 1, sizeof junk, f), ==, sizeof junk);
  fclose(f);
  g_autoptr(GError) error = NULL;
  Store *s = store_open(path, &error);
  g_assert_null(s);
  g_assert_error(error, STORE_ERROR, STORE_ERROR_DAMAGED);
  g_autofree char *who = g_strdup_printf("process %ld has it open", (long)pid);
  EXPECT(strstr(error->message, who) && strstr(error->message, path), "message: %s", error->message);
  g_autofree char *aside = aside_of(path);
  g_assert_null(aside);
  g_assert_cmpint(write(done[1], "d", 1), ==, 1);
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  close(ready[0]);
  close(ready[1]);
  close(done[0]);
  close(done[1]);
  /* The reader gone, the next open replaces it. */
  expect_replaced(path, 0, "quick_check");
}

/* ---- the mass-removal guard ---- */

/* A complete calendar of `n` objects "/g/NNNN.ics" (UID g-NNNN), in a new calendar `name`. */
static gint64 guard_calendar(Store *store, const char *name, guint n) {
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf("https://dav.example.com/cal/%s/", name);
  gint64 cal = store_calendar_ensure(store, "work", url, name, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  for (guint i = 0; i < n; i++) {
    g_autofree char *href = g_strdup_printf("/g/%04u.ics", i), *uid = g_strdup_printf("g-%04u", i);
    put_simple(b, href, "\"1\"", uid, "x");
  }
  g_auto(StoreResult) res = apply(store, cal, b);
  g_assert_cmpuint(res.added, ==, n);
  return cal;
}

/* A batch that removes `gone` of the calendar's objects (the first ones),
 * as a full listing (`full`) or as removals; TRUE when it was applied. */
static gboolean remove_some(Store *store, gint64 cal, guint n, guint gone, gboolean full, GError **error) {
  g_autoptr(StoreBatch) b = store_batch_new(full, TRUE);
  for (guint i = 0; i < n; i++) {
    g_autofree char *href = g_strdup_printf("/g/%04u.ics", i);
    if (i < gone && !full)
      store_batch_remove(b, href);
    else if (i >= gone && full)
      store_batch_keep(b, href);
  }
  StoreResult res = {0};
  gboolean ok = store_apply(store, cal, b, &res, error);
  if (ok)
    g_assert_cmpuint(res.removed, ==, gone);
  store_result_clear(&res);
  return ok;
}

static void test_mass_removal(Fx *fx, gconstpointer data) {
  (void)data;
  static const struct {
    guint n, gone;
    gboolean held;
  } rows[] = {
      {5, 5, TRUE},     /* all, at the minimum */
      {12, 12, TRUE},   /* all */
      {4, 4, FALSE},    /* all, but a small calendar */
      {12, 11, FALSE},  /* most, but not more than 20 */
      {40, 21, TRUE},   /* more than 20 and more than half */
      {40, 20, FALSE},  /* exactly 20: not more than 20 */
      {50, 25, FALSE},  /* half, not more */
      {50, 26, TRUE},
      {1000, 400, FALSE},
  };
  g_autoptr(GError) error = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
    for (int full = 0; full < 2; full++) {
      g_autofree char *name = g_strdup_printf("G%zu-%d", i, full);
      gint64 cal = guard_calendar(fx->store, name, rows[i].n);
      gint64 seq = journal_end(fx->store);
      g_autofree char *etags = etag_list(fx->store, cal);
      gboolean ok = remove_some(fx->store, cal, rows[i].n, rows[i].gone, full, &error);
      EXPECT(ok == !rows[i].held, "%u of %u (%s): %s", rows[i].gone, rows[i].n, full ? "full" : "removals",
             ok ? "applied" : error->message);
      if (rows[i].held) {
        g_assert_error(error, STORE_ERROR, STORE_ERROR_MASS_REMOVAL);
        g_autofree char *cmd = g_strdup_printf("diaryd sync --force-delete work/%s", name);
        g_autofree char *count = g_strdup_printf("%u", rows[i].gone);
        EXPECT(strstr(error->message, cmd) && strstr(error->message, count), "message: %s", error->message);
        g_assert_cmpuint(store_held_removals(fx->store, cal), ==, rows[i].gone);
        /* Nothing applied: the objects and the journal are as they were. */
        g_autofree char *after = etag_list(fx->store, cal);
        g_assert_cmpstr(after, ==, etags);
        g_assert_cmpint(journal_end(fx->store), ==, seq);
        g_clear_error(&error);
        /* --force-delete */
        store_allow_removals(fx->store, cal);
        g_assert_true(remove_some(fx->store, cal, rows[i].n, rows[i].gone, full, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(store_held_removals(fx->store, cal), ==, 0);
      }
      g_assert_cmpint(journal_end(fx->store), >, seq);
    }

  /* Every href renamed (the same UIDs at new hrefs): nothing vanished. */
  gint64 cal = guard_calendar(fx->store, "Renamed", 30);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  for (guint i = 0; i < 30; i++) {
    g_autofree char *href = g_strdup_printf("/g/new-%04u.ics", i), *uid = g_strdup_printf("g-%04u", i);
    put_simple(b, href, "\"2\"", uid, "x");
  }
  g_auto(StoreResult) res = apply(fx->store, cal, b);
  EXPECT_COUNTS(res, 30, 0, 30, 0, 60); /* each href journalled: removed, added */

  /* Before the first complete sync nothing is known to lose. */
  gint64 partial = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/p/", "P", NULL, &error);
  g_autoptr(StoreBatch) page = store_batch_new(FALSE, FALSE);
  for (guint i = 0; i < 10; i++) {
    g_autofree char *href = g_strdup_printf("/g/%04u.ics", i), *uid = g_strdup_printf("g-%04u", i);
    put_simple(page, href, "\"1\"", uid, "x");
  }
  g_auto(StoreResult) r1 = apply(fx->store, partial, page);
  g_assert_true(remove_some(fx->store, partial, 10, 10, FALSE, &error));
  g_assert_no_error(error);
}

static void test_permissions(Fx *fx, gconstpointer data) {
  (void)data;
  mode_t old = umask(0);
  g_autofree char *dir = g_build_filename(fx->dir, "new", "state", NULL);
  g_autofree char *path = g_build_filename(dir, "diaryd.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(path, &error);
  umask(old);
  g_assert_no_error(error);
  gint64 cal = store_calendar_ensure(s, "a", "https://h/c/", NULL, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/c/1.ics", "1", "u1", "One");
  g_auto(StoreResult) res = apply(s, cal, b);

  struct stat st;
  g_assert_cmpint(stat(dir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0700);
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_assert_cmpint(stat(wal, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);

  /* An existing folder is not changed (it may be /tmp). */
  g_autofree char *shared = g_build_filename(fx->dir, "shared", NULL);
  g_assert_cmpint(g_mkdir(shared, 0755), ==, 0);
  g_assert_cmpint(chmod(shared, 0755), ==, 0);
  g_autofree char *path2 = g_build_filename(shared, "x.db", NULL);
  g_autoptr(Store) s2 = store_open(path2, &error);
  g_assert_no_error(error);
  g_assert_cmpint(stat(shared, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0755);
  g_assert_cmpint(stat(path2, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
}

static void test_default_path(void) {
  g_autofree char *saved = g_strdup(g_getenv("DIARYD_DB"));
  g_setenv("DIARYD_DB", "/somewhere/else.db", TRUE);
  g_autofree char *p1 = store_default_path();
  g_assert_cmpstr(p1, ==, "/somewhere/else.db");
  g_unsetenv("DIARYD_DB");
  g_autofree char *p2 = store_default_path();
  g_autofree char *want = g_build_filename(g_get_user_state_dir(), "diaryd", "diaryd.db", NULL);
  g_assert_cmpstr(p2, ==, want);
  if (saved)
    g_setenv("DIARYD_DB", saved, TRUE);
}

/* ---- accounts and calendars --------------------------------------------------------- */

static void test_accounts(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  char *url = (char *)"untouched";
  gint64 at = -5;
  g_assert_false(store_account_get(fx->store, "work", &url, &at, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(url, ==, "untouched");
  g_assert_cmpint(at, ==, -5);

  g_assert_true(store_account_set(fx->store, "work", "https://dav.example.com/", 1700000000, &error));
  g_assert_no_error(error);
  g_autofree char *u1 = NULL;
  g_assert_true(store_account_get(fx->store, "work", &u1, &at, &error));
  g_assert_cmpstr(u1, ==, "https://dav.example.com/");
  g_assert_cmpint(at, ==, 1700000000);

  g_assert_true(store_account_set(fx->store, "work", "https://other.example.com/", 1800000000, &error));
  g_autofree char *u2 = NULL;
  g_assert_true(store_account_get(fx->store, "work", &u2, &at, &error));
  g_assert_cmpstr(u2, ==, "https://other.example.com/");
  g_assert_cmpint(at, ==, 1800000000);
}

static void test_calendars(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  /* Same account and URL: same id, name and colour updated. */
  gint64 again = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/work/", "Office", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(again, ==, fx->cal);
  g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
  g_assert_cmpstr(c->name, ==, "Office");
  g_assert_null(c->color);
  g_assert_cmpstr(c->account, ==, "work");
  g_assert_null(c->sync_token);
  g_assert_false(c->complete);
  g_assert_cmpint(c->synced_at, ==, 0);

  /* No display name: the last path segment. */
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home-stuff/", NULL, "#00ff00",
                                      &error);
  g_assert_no_error(error);
  g_assert_cmpint(home, !=, fx->cal);
  gint64 other = store_calendar_ensure(fx->store, "alt", "https://dav.example.com/cal/work/", "Alpha", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(other, !=, fx->cal);

  g_autoptr(GPtrArray) work = store_calendars(fx->store, "work", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(work->len, ==, 2);
  g_assert_cmpstr(((StoreCalendar *)work->pdata[0])->name, ==, "home-stuff");
  g_assert_cmpstr(((StoreCalendar *)work->pdata[0])->color, ==, "#00ff00");
  g_assert_cmpstr(((StoreCalendar *)work->pdata[1])->name, ==, "Office");
  g_autoptr(GPtrArray) all = store_calendars(fx->store, NULL, &error);
  g_assert_cmpuint(all->len, ==, 3);
  g_assert_cmpstr(((StoreCalendar *)all->pdata[0])->account, ==, "alt");

  g_autoptr(StoreCalendar) none = store_calendar_get(fx->store, 9999, &error);
  g_assert_null(none);
  g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
}

/* ---- applying batches ------------------------------------------------------------------ */

static void test_semantics(Fx *fx, gconstpointer data) {
  (void)data;
  {
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    put_simple(b, "/w/a.ics", "a1", "a@x", "A");
    put_simple(b, "/w/b.ics", "b1", "b@x", "B");
    put_simple(b, "/w/c.ics", "c1", "c@x", "C");
    g_assert_cmpuint(store_batch_size(b), ==, 3);
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 3, 0, 0, 0, 3);
    g_assert_cmpuint(r.problems->len, ==, 0);
  }
  g_autofree char *e1 = etag_list(fx->store, fx->cal);
  g_assert_cmpstr(e1, ==, "/w/a.ics=a1 /w/b.ics=b1 /w/c.ics=c1");
  gint64 mark = journal_end(fx->store);

  /* Incremental: a changed, c gone, b kept (nothing to do), an unknown href removed (nothing). */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/a.ics", "a2", "a@x", "A, moved");
    store_batch_remove(b, "/w/c.ics");
    store_batch_keep(b, "/w/b.ics");
    store_batch_remove(b, "/w/never.ics");
    g_assert_cmpuint(store_batch_size(b), ==, 3);
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 0, 1, 1, 0, 2);
  }
  EXPECT_JOURNAL(fx->store, mark, "R /w/c.ics c@x - - -\nM /w/a.ics a@x - SUMMARY -");
  mark = journal_end(fx->store);

  /* Full: what it does not mention goes (b); d arrives; a kept. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    store_batch_keep(b, "/w/a.ics");
    put_simple(b, "/w/d.ics", "d1", "d@x", "D");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 1, 0, 1, 0, 2);
  }
  EXPECT_JOURNAL(fx->store, mark, "R /w/b.ics b@x - - -\nA /w/d.ics d@x - - -");
  mark = journal_end(fx->store);

  /* A new etag on the same text: modified, nothing journalled. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/a.ics", "a3", "a@x", "A, moved");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 0, 1, 0, 0, 0);
  }
  /* Only DTSTAMP differs: modified, nothing journalled. */
  {
    g_autofree char *ics = simple("d@x", "D");
    char *stamp = strstr(ics, "DTSTAMP:2026");
    g_assert_nonnull(stamp);
    memcpy(stamp + strlen("DTSTAMP:"), "2027", 4);
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put(b, "/w/d.ics", "d2", ics);
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 0, 1, 0, 0, 0);
  }
  /* The same href twice in a batch: the last entry counts. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/e.ics", "e1", "e@x", "E");
    store_batch_remove(b, "/w/e.ics");
    put_simple(b, "/w/f.ics", "f0", "f@x", "F, first");
    put_simple(b, "/w/f.ics", "f1", "f@x", "F");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 1, 0, 0, 0, 1);
  }
  EXPECT_JOURNAL(fx->store, mark, "A /w/f.ics f@x - - -");
  g_autofree char *e2 = etag_list(fx->store, fx->cal);
  g_assert_cmpstr(e2, ==, "/w/a.ics=a3 /w/d.ics=d2 /w/f.ics=f1");
  g_autofree char *objs = object_list(fx->store, fx->cal);
  g_assert_cmpstr(objs, ==, "Work:/w/a.ics Work:/w/d.ics Work:/w/f.ics");
  g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
  g_assert_cmpuint(c->objects, ==, 3);
  g_assert_cmpuint(c->bad, ==, 0);
}

static void test_unknown_calendar(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/w/a.ics", "a1", "a@x", "A");
  StoreResult res = {.added = 77};
  g_autoptr(GError) error = NULL;
  g_assert_false(store_apply(fx->store, 4242, b, &res, &error));
  g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint(res.added, ==, 77); /* untouched */
  g_assert_cmpint(journal_end(fx->store), ==, 0);
}

static void test_idempotent(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *series = NULL;
  {
    g_autofree char *m = vevent("s@x", NULL, "20261207T090000Z", "Standup", "RRULE:FREQ=WEEKLY\n");
    g_autofree char *o = vevent("s@x", "20261214T090000Z", "20261214T100000Z", "Standup", NULL);
    g_autofree char *both = g_strconcat(m, o, NULL);
    series = vcal(both);
  }
  for (int round = 0; round < 2; round++) {
    /* Built afresh each time: equal content, not the same batch. */
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    put_simple(b, "/w/a.ics", "a1", "a@x", "A");
    put(b, "/w/s.ics", "s1", series);
    put(b, "/w/broken.ics", "x1", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n");
    store_batch_bad(b, "/w/huge.ics", "h1", "too large: not stored");
    put_simple(b, "/w/dup.ics", "d1", "a@x", "A again");
    store_batch_remove(b, "/w/gone.ics");
    store_batch_set_token(b, "tok", "ctag");
    gint64 before = journal_end(fx->store);
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    if (round == 0) {
      /* Bad objects count as problems, not as added. */
      EXPECT_COUNTS(r, 2, 0, 0, 0, 3);
      g_assert_cmpuint(r.problems->len, ==, 3);
    } else {
      EXPECT_COUNTS(r, 0, 0, 0, 5, 0);
      g_assert_cmpuint(r.problems->len, ==, 0);
      g_assert_cmpint(journal_end(fx->store), ==, before);
    }
  }
  /* Applying the very same batch object twice. */
  g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
  put_simple(b, "/w/a.ics", "a2", "a@x", "A2");
  g_auto(StoreResult) r1 = apply(fx->store, fx->cal, b);
  EXPECT_COUNTS(r1, 0, 1, 0, 0, 1);
  g_auto(StoreResult) r2 = apply(fx->store, fx->cal, b);
  EXPECT_COUNTS(r2, 0, 0, 0, 1, 0);
}

static void test_bad_objects(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/w/g1.ics", "1", "g1@x", "Good one");
  put(b, "/w/x1.ics", "1", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x1\r\nEND:VCALENDAR\r\n");
  store_batch_bad(b, "/w/x2.ics", "1", "too large: not stored");
  put(b, "/w/x3.ics", "1", "");
  put_simple(b, "/w/g2.ics", "1", "g2@x", "Good two");
  g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
  EXPECT_COUNTS(r, 2, 0, 0, 0, 2);
  g_assert_cmpuint(r.problems->len, ==, 3);
  StoreProblem *p0 = r.problems->pdata[0], *p1 = r.problems->pdata[1], *p2 = r.problems->pdata[2];
  g_assert_cmpstr(p0->href, ==, "/w/x1.ics");
  EXPECT(strstr(p0->message, "line") != NULL, "message: %s", p0->message);
  g_assert_cmpstr(p1->href, ==, "/w/x2.ics");
  g_assert_cmpstr(p1->message, ==, "too large: not stored");
  g_assert_cmpstr(p2->href, ==, "/w/x3.ics");

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bad = store_bad_objects(fx->store, fx->cal, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(bad->len, ==, 3);
  g_assert_cmpstr(((StoreProblem *)bad->pdata[0])->href, ==, "/w/x1.ics");
  g_assert_cmpstr(((StoreProblem *)bad->pdata[0])->message, ==, p0->message);
  g_autoptr(GPtrArray) bad_all = store_bad_objects(fx->store, 0, &error);
  g_assert_cmpuint(bad_all->len, ==, 3);
  g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
  g_assert_cmpuint(c->objects, ==, 5);
  g_assert_cmpuint(c->bad, ==, 3);
  g_autofree char *objs = object_list(fx->store, 0);
  g_assert_cmpstr(objs, ==, "Work:/w/g1.ics Work:/w/g2.ics");
  /* Bad ones have their etag stored, so they are not fetched again. */
  g_autofree char *etags = etag_list(fx->store, fx->cal);
  g_assert_cmpstr(etags, ==, "/w/g1.ics=1 /w/g2.ics=1 /w/x1.ics=1 /w/x2.ics=1 /w/x3.ics=1");

  gint64 mark = journal_end(fx->store);
  /* x1 fixed; g1 broken; x2 gone. */
  g_autoptr(StoreBatch) b2 = store_batch_new(FALSE, TRUE);
  put_simple(b2, "/w/x1.ics", "2", "x1", "Fixed");
  put(b2, "/w/g1.ics", "2", "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n");
  store_batch_remove(b2, "/w/x2.ics");
  g_auto(StoreResult) r2 = apply(fx->store, fx->cal, b2);
  /* g1 turned bad: a problem, not a modification. */
  EXPECT_COUNTS(r2, 0, 1, 1, 0, 2);
  g_assert_cmpuint(r2.problems->len, ==, 1);
  EXPECT_JOURNAL(fx->store, mark, "A /w/x1.ics x1 - - -\nR /w/g1.ics g1@x - - -");
  g_autoptr(StoreCalendar) c2 = calendar(fx->store, fx->cal);
  g_assert_cmpuint(c2->objects, ==, 4);
  g_assert_cmpuint(c2->bad, ==, 2);
}

/* Texts past the first megabyte of a batch wait in a temporary file: what
 * is stored must be byte for byte what was put, duplicates found as usual. */
typedef struct {
  GHashTable *texts; /* href -> text put */
  guint same;
} Compare;

static void compare_text(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  (void)cal;
  Compare *c = data;
  const char *want = g_hash_table_lookup(c->texts, href);
  if (want && strlen(want) == len && memcmp(want, ical, len) == 0)
    c->same++;
}

/* The spill file's folder: main() points XDG_CACHE_HOME at a temporary one. */
static char *spill_dir(void) {
  return g_build_filename(g_get_user_cache_dir(), "diaryd", NULL);
}

/* A 4,000-object batch (about 1.6 MB of text, so the last 0.6 MB spill),
 * its last put repeating a spilled UID, applied to a new calendar;
 * `fail_after` >= 0 sets the test hook that fails writes to the spill file
 * past that many bytes. */
static void check_spilled_batch(Fx *fx, gint64 fail_after) {
  static guint calendars;
  g_autofree char *url = g_strdup_printf("https://dav.example.com/cal/spill-%u/", ++calendars);
  g_autoptr(GError) error = NULL;
  gint64 cal = store_calendar_ensure(fx->store, "work", url, "Spill", NULL, &error);
  g_assert_no_error(error);
  if (fail_after >= 0) {
    char n[32];
    g_snprintf(n, sizeof n, "%" G_GINT64_FORMAT, fail_after);
    setenv("DIARYD_TEST_SPILL_FAIL_AFTER", n, 1); /* libc's: no thread is running */
  }
  Compare c = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free), 0};
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  guint n = 4000;
  for (guint i = 0; i < n; i++) {
    g_autofree char *uid = g_strdup_printf("u%u@x", i);
    g_autofree char *summary = g_strdup_printf("Event %u %0200u", i, i);
    char *ics = simple(uid, summary);
    char *href = g_strdup_printf("/w/%05u.ics", i);
    put(b, href, "1", ics);
    g_hash_table_insert(c.texts, href, ics);
  }
  /* The last one repeats the UID of one that was spilled too. */
  put_simple(b, "/w/zz-dup.ics", "1", "u3999@x", "again");
  unsetenv("DIARYD_TEST_SPILL_FAIL_AFTER");
  g_auto(StoreResult) r = apply(fx->store, cal, b);
  EXPECT_COUNTS(r, n, 0, 0, 0, n);
  g_assert_cmpuint(r.problems->len, ==, 1);
  g_assert_cmpstr(((StoreProblem *)r.problems->pdata[0])->message, ==, "duplicate UID u3999@x (also at /w/03999.ics)");
  g_assert_true(store_foreach_object(fx->store, cal, compare_text, &c, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(c.same, ==, n);
  g_hash_table_unref(c.texts);
}

static void test_spilled_batch(Fx *fx, gconstpointer data) {
  (void)data;
  check_spilled_batch(fx, -1);
  /* The file was made where main() said (not in the user's cache). */
  g_autofree char *dir = spill_dir();
  g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
}

/* When the spill file fails, texts stay in memory and the batch applies
 * whole: failing at once, in the middle of a text (what was written before
 * is read back, the rest comes from memory), or when the file cannot be
 * made at all (its folder's name taken by a file). */
static void test_spill_fails(Fx *fx, gconstpointer data) {
  (void)data;
  check_spilled_batch(fx, 0);
  check_spilled_batch(fx, 250001);

  g_autofree char *dir = spill_dir();
  test_rm_tree(dir);
  g_assert_true(g_file_set_contents(dir, "not a folder", -1, NULL));
  check_spilled_batch(fx, -1);
  g_assert_true(g_file_test(dir, G_FILE_TEST_IS_REGULAR));
  g_unlink(dir);
}

static void test_duplicate_uid(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home/", "Home", NULL, &error);
  g_assert_no_error(error);
  {
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    put_simple(b, "/w/a.ics", "1", "U", "First");
    put_simple(b, "/w/b.ics", "1", "U", "Second");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 1, 0, 0, 0, 1);
    g_assert_cmpuint(r.problems->len, ==, 1);
    StoreProblem *p = r.problems->pdata[0];
    g_assert_cmpstr(p->href, ==, "/w/b.ics");
    g_assert_cmpstr(p->message, ==, "duplicate UID U (also at /w/a.ics)");
  }
  /* The same UID in another calendar is fine. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    put_simple(b, "/h/a.ics", "1", "U", "Elsewhere");
    g_auto(StoreResult) r = apply(fx->store, home, b);
    EXPECT_COUNTS(r, 1, 0, 0, 0, 1);
    g_assert_cmpuint(r.problems->len, ==, 0);
  }
  gint64 mark = journal_end(fx->store);
  /* A new href arrives with U while the holder changes: the holder keeps it. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/c.ics", "1", "U", "Third");
    put_simple(b, "/w/a.ics", "2", "U", "First, renamed");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 0, 1, 0, 0, 1);
    g_assert_cmpuint(r.problems->len, ==, 1);
    g_assert_cmpstr(((StoreProblem *)r.problems->pdata[0])->message, ==, "duplicate UID U (also at /w/a.ics)");
  }
  EXPECT_JOURNAL(fx->store, mark, "M /w/a.ics U - SUMMARY -");
  mark = journal_end(fx->store);
  /* The holder goes: the oldest duplicate (b) takes over, the other names it. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    store_batch_remove(b, "/w/a.ics");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 1, 0, 1, 0, 2);
  }
  EXPECT_JOURNAL(fx->store, mark, "R /w/a.ics U - - -\nA /w/b.ics U - - -");
  mark = journal_end(fx->store);
  g_autoptr(GPtrArray) bad = store_bad_objects(fx->store, fx->cal, &error);
  g_assert_cmpuint(bad->len, ==, 1);
  g_assert_cmpstr(((StoreProblem *)bad->pdata[0])->href, ==, "/w/c.ics");
  g_assert_cmpstr(((StoreProblem *)bad->pdata[0])->message, ==, "duplicate UID U (also at /w/b.ics)");

  /* A UID moves from one href to another within a batch (listed first):
   * the removal comes first, so nothing is a duplicate. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/v2.ics", "1", "V", "V at new place");
    g_auto(StoreResult) r0 = apply(fx->store, fx->cal, b);
    g_autoptr(StoreBatch) b2 = store_batch_new(FALSE, TRUE);
    put_simple(b2, "/w/v3.ics", "1", "V", "V moved");
    store_batch_remove(b2, "/w/v2.ics");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b2);
    EXPECT_COUNTS(r, 1, 0, 1, 0, 2);
    g_assert_cmpuint(r.problems->len, ==, 0);
  }
  /* Swap: v3 changes to W while a new href takes V, in the order that makes
   * the new href look at v3 before v3 is rewritten. */
  mark = journal_end(fx->store);
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/n.ics", "1", "V", "V again");
    put_simple(b, "/w/v3.ics", "2", "W", "now W");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 1, 1, 0, 0, 3);
    g_assert_cmpuint(r.problems->len, ==, 0);
  }
  EXPECT_JOURNAL(fx->store, mark, "A /w/n.ics V - - -\nR /w/v3.ics V - - -\nA /w/v3.ics W - - -");
  /* A server's UID and href are shown in part only. */
  {
    g_autofree char *uid = g_strnfill(5000, 'u');
    g_autofree char *href = g_strconcat("/w/", uid, ".ics", NULL);
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, href, "1", uid, "Long");
    put_simple(b, "/w/long2.ics", "1", uid, "Long again");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    g_assert_cmpuint(r.problems->len, ==, 1);
    const char *msg = ((StoreProblem *)r.problems->pdata[0])->message;
    EXPECT(strlen(msg) < 500 && g_str_has_prefix(msg, "duplicate UID uuu") && g_str_has_suffix(msg, "...)"),
           "message: %.100s", msg);
  }
  /* A duplicate whose text is re-sent unchanged stays a duplicate, quietly. */
  {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    put_simple(b, "/w/c.ics", "1", "U", "Third");
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    EXPECT_COUNTS(r, 0, 0, 0, 1, 0);
    g_assert_cmpuint(r.problems->len, ==, 0);
  }
}

/* A weekly series with overrides through add, modify and remove. */
static void test_journal_series(Fx *fx, gconstpointer data) {
  (void)data;
  const char *r1 = "20261214T090000Z", *r2 = "20261221T090000Z", *r3 = "20261228T090000Z";
  g_autofree char *v1 = NULL, *v2 = NULL;
  {
    g_autofree char *m = vevent("S", NULL, "20261207T090000Z", "Standup", "RRULE:FREQ=WEEKLY\nLOCATION:Room 1\n");
    g_autofree char *o1 = vevent("S", r1, "20261214T093000Z", "Standup (late)", "LOCATION:Room 1\n");
    g_autofree char *o2 = vevent("S", r2, "20261221T090000Z", "Standup (remote)", NULL);
    g_autofree char *all = g_strconcat(o2, m, o1, NULL); /* any order in the text */
    v1 = vcal(all);
  }
  {
    /* Master: LOCATION and SUMMARY change; o1: DTSTART; o2 goes; o3 comes;
     * every DTSTAMP changes too (ignored). */
    g_autofree char *m =
        vevent("S", NULL, "20261207T090000Z", "Daily standup", "RRULE:FREQ=WEEKLY\nLOCATION:Room 2\n");
    g_autofree char *o1 = vevent("S", r1, "20261214T094500Z", "Standup (late)", "LOCATION:Room 1\n");
    g_autofree char *o3 = vevent("S", r3, "20261228T090000Z", "Standup (last)", NULL);
    g_autofree char *all = g_strconcat(m, o1, o3, NULL);
    for (char *p = all; (p = strstr(p, "DTSTAMP:2026")); p++)
      memcpy(p + strlen("DTSTAMP:"), "2027", 4);
    v2 = vcal(all);
  }
  g_autoptr(StoreBatch) b1 = store_batch_new(TRUE, TRUE);
  put(b1, "/w/s.ics", "1", v1);
  g_auto(StoreResult) res1 = apply(fx->store, fx->cal, b1);
  EXPECT_COUNTS(res1, 1, 0, 0, 0, 3);
  EXPECT_JOURNAL(fx->store, 0,
                 "A /w/s.ics S - - b\n"
                 "A /w/s.ics S 20261214T090000Z - b\n"
                 "A /w/s.ics S 20261221T090000Z - b");
  gint64 mark = journal_end(fx->store);

  g_autoptr(StoreBatch) b2 = store_batch_new(FALSE, TRUE);
  put(b2, "/w/s.ics", "2", v2);
  g_auto(StoreResult) res2 = apply(fx->store, fx->cal, b2);
  EXPECT_COUNTS(res2, 0, 1, 0, 0, 4);
  EXPECT_JOURNAL(fx->store, mark,
                 "M /w/s.ics S - LOCATION,SUMMARY -\n"
                 "M /w/s.ics S 20261214T090000Z DTSTART -\n"
                 "R /w/s.ics S 20261221T090000Z - -\n"
                 "A /w/s.ics S 20261228T090000Z - -");
  mark = journal_end(fx->store);

  g_autoptr(StoreBatch) b3 = store_batch_new(FALSE, TRUE);
  store_batch_remove(b3, "/w/s.ics");
  g_auto(StoreResult) res3 = apply(fx->store, fx->cal, b3);
  EXPECT_COUNTS(res3, 0, 0, 1, 0, 3);
  EXPECT_JOURNAL(fx->store, mark,
                 "R /w/s.ics S - - -\n"
                 "R /w/s.ics S 20261214T090000Z - -\n"
                 "R /w/s.ics S 20261228T090000Z - -");

  /* The rows carry the calendar and the time. */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_journal_read(fx->store, NULL, 0, 1, &error);
  g_assert_cmpuint(rows->len, ==, 1);
  StoreChange *c = rows->pdata[0];
  g_assert_cmpint(c->calendar, ==, fx->cal);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_assert_cmpint(c->at, <=, now);
  g_assert_cmpint(c->at, >, now - 60);
}

static void test_baseline(Fx *fx, gconstpointer data) {
  (void)data;
  /* Page 1 of a truncated first sync. */
  g_autoptr(StoreBatch) b1 = store_batch_new(TRUE, FALSE);
  put_simple(b1, "/w/a.ics", "1", "a", "A");
  g_auto(StoreResult) r1 = apply(fx->store, fx->cal, b1);
  g_autoptr(StoreCalendar) c1 = calendar(fx->store, fx->cal);
  g_assert_false(c1->complete);
  g_assert_cmpint(c1->synced_at, ==, 0);
  /* Page 2 completes it: still baseline. */
  g_autoptr(StoreBatch) b2 = store_batch_new(FALSE, TRUE);
  put_simple(b2, "/w/b.ics", "1", "b", "B");
  g_auto(StoreResult) r2 = apply(fx->store, fx->cal, b2);
  g_autoptr(StoreCalendar) c2 = calendar(fx->store, fx->cal);
  g_assert_true(c2->complete);
  g_assert_cmpint(c2->synced_at, >, 0);
  /* Later changes are news, even from an incomplete page. */
  g_autoptr(StoreBatch) b3 = store_batch_new(FALSE, FALSE);
  put_simple(b3, "/w/c.ics", "1", "c", "C");
  store_batch_remove(b3, "/w/a.ics");
  g_auto(StoreResult) r3 = apply(fx->store, fx->cal, b3);
  g_autoptr(StoreCalendar) c3 = calendar(fx->store, fx->cal);
  g_assert_true(c3->complete);
  EXPECT_JOURNAL(fx->store, 0,
                 "A /w/a.ics a - - b\n"
                 "A /w/b.ics b - - b\n"
                 "R /w/a.ics a - - -\n"
                 "A /w/c.ics c - - -");
}

static void test_tokens(Fx *fx, gconstpointer data) {
  (void)data;
  struct {
    int op; /* 0 leave, 1 set(token, ctag), 2 clear then set(NULL, ctag) */
    const char *token, *ctag;
    const char *want_token, *want_ctag;
  } steps[] = {
      {1, "t1", "c1", "t1", "c1"}, {1, NULL, NULL, "t1", "c1"},     {1, "t2", NULL, "t2", "c1"},
      {0, NULL, NULL, "t2", "c1"}, {2, NULL, "c2", NULL, "c2"},     {1, "t3", NULL, "t3", "c2"},
      {2, NULL, "", NULL, ""},
  };
  for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    if (steps[i].op == 2)
      store_batch_clear_token(b);
    if (steps[i].op)
      store_batch_set_token(b, steps[i].token, steps[i].ctag);
    g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
    g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
    EXPECT(g_strcmp0(c->sync_token, steps[i].want_token) == 0 && g_strcmp0(c->ctag, steps[i].want_ctag) == 0,
           "step %u: token %s ctag %s", i, c->sync_token, c->ctag);
  }
}

static void test_consumers(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  for (int i = 0; i < 5; i++) {
    g_autofree char *href = g_strdup_printf("/w/%d.ics", i), *uid = g_strdup_printf("u%d", i);
    put_simple(b, href, "1", uid, "X");
  }
  g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
  g_autoptr(GPtrArray) all = store_journal_read(fx->store, "checks", -1, 0, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(all->len, ==, 5);
  gint64 seq[5];
  for (int i = 0; i < 5; i++) {
    seq[i] = ((StoreChange *)all->pdata[i])->seq;
    if (i)
      g_assert_cmpint(seq[i], >, seq[i - 1]);
  }
  g_assert_true(store_journal_ack(fx->store, "checks", seq[1], &error));
  g_autoptr(GPtrArray) rest = store_journal_read(fx->store, "checks", -1, 0, &error);
  g_assert_cmpuint(rest->len, ==, 3);
  g_assert_cmpint(((StoreChange *)rest->pdata[0])->seq, ==, seq[2]);
  g_autoptr(GPtrArray) other = store_journal_read(fx->store, "mail", -1, 0, &error);
  g_assert_cmpuint(other->len, ==, 5);
  g_autoptr(GPtrArray) after = store_journal_read(fx->store, "checks", seq[3], 0, &error);
  g_assert_cmpuint(after->len, ==, 1);
  g_autoptr(GPtrArray) limited = store_journal_read(fx->store, "mail", -1, 2, &error);
  g_assert_cmpuint(limited->len, ==, 2);

  /* An ack rolled back does not move the mark. */
  g_assert_true(store_begin(fx->store, &error));
  g_assert_true(store_journal_ack(fx->store, "checks", seq[4], &error));
  store_rollback(fx->store);
  g_autoptr(GPtrArray) still = store_journal_read(fx->store, "checks", -1, 0, &error);
  g_assert_cmpuint(still->len, ==, 3);
  /* Committed, it does. */
  g_assert_true(store_begin(fx->store, &error));
  g_assert_true(store_journal_ack(fx->store, "checks", seq[4], &error));
  g_assert_true(store_commit(fx->store, &error));
  g_assert_no_error(error);
  g_autoptr(GPtrArray) none = store_journal_read(fx->store, "checks", -1, 0, &error);
  g_assert_cmpuint(none->len, ==, 0);
}

static void test_transactions(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  /* An apply inside a transaction that is rolled back leaves nothing. */
  g_assert_true(store_begin(fx->store, &error));
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put_simple(b, "/w/a.ics", "1", "a", "A");
  store_batch_set_token(b, "tok", NULL);
  g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
  EXPECT_COUNTS(r, 1, 0, 0, 0, 1);
  store_rollback(fx->store);
  g_autoptr(StoreCalendar) c = calendar(fx->store, fx->cal);
  g_assert_cmpuint(c->objects, ==, 0);
  g_assert_null(c->sync_token);
  g_assert_cmpint(journal_end(fx->store), ==, 0);

  /* A failed apply inside a transaction undoes only itself. */
  g_assert_true(store_begin(fx->store, &error));
  g_autoptr(StoreBatch) b2 = store_batch_new(TRUE, TRUE);
  put_simple(b2, "/w/b.ics", "1", "b", "B");
  g_assert_false(store_apply(fx->store, 31337, b2, NULL, &error));
  g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_true(store_apply(fx->store, fx->cal, b2, NULL, &error));
  g_assert_true(store_journal_ack(fx->store, "checks", 1, &error));
  /* Nested begin: a savepoint. */
  g_assert_true(store_begin(fx->store, &error));
  g_assert_true(store_journal_ack(fx->store, "checks", 7, &error));
  store_rollback(fx->store);
  g_assert_true(store_commit(fx->store, &error));
  g_assert_no_error(error);
  g_autofree char *objs = object_list(fx->store, fx->cal);
  g_assert_cmpstr(objs, ==, "Work:/w/b.ics");
  g_autoptr(GPtrArray) rows = store_journal_read(fx->store, "checks", -1, 0, &error);
  g_assert_cmpuint(rows->len, ==, 0); /* the mark is 1, and the only row is seq 1 */
}

static void test_calendar_remove(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home/", "Home", NULL, &error);
  g_autofree char *m = vevent("S", NULL, "20261207T090000Z", "Standup", "RRULE:FREQ=WEEKLY\n");
  g_autofree char *o = vevent("S", "20261214T090000Z", "20261214T100000Z", "Standup", NULL);
  g_autofree char *mo = g_strconcat(m, o, NULL);
  g_autofree char *series = vcal(mo);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  put(b, "/w/s.ics", "1", series);
  put_simple(b, "/w/a.ics", "1", "a", "A");
  store_batch_bad(b, "/w/x.ics", "1", "refused");
  g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
  g_autoptr(StoreBatch) hb = store_batch_new(TRUE, TRUE);
  put_simple(hb, "/h/a.ics", "1", "a", "A at home");
  g_auto(StoreResult) hr = apply(fx->store, home, hb);
  gint64 mark = journal_end(fx->store);

  g_assert_true(store_calendar_remove(fx->store, fx->cal, &error));
  g_assert_no_error(error);
  EXPECT_JOURNAL(fx->store, mark,
                 "R /w/a.ics a - - -\n"
                 "R /w/s.ics S - - -\n"
                 "R /w/s.ics S 20261214T090000Z - -");
  g_autoptr(GPtrArray) rows = store_journal_read(fx->store, NULL, mark, 0, &error);
  g_assert_cmpint(((StoreChange *)rows->pdata[0])->calendar, ==, fx->cal);
  g_autoptr(StoreCalendar) gone = store_calendar_get(fx->store, fx->cal, &error);
  g_assert_null(gone);
  g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_autofree char *etags = etag_list(fx->store, fx->cal);
  g_assert_cmpstr(etags, ==, "");
  g_autoptr(GPtrArray) bad = store_bad_objects(fx->store, 0, &error);
  g_assert_cmpuint(bad->len, ==, 0);
  g_autofree char *objs = object_list(fx->store, 0);
  g_assert_cmpstr(objs, ==, "Home:/h/a.ics");
  g_assert_false(store_calendar_remove(fx->store, fx->cal, &error));
  g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  /* A calendar added later never reuses the id. */
  gint64 again = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/work/", "Work", NULL, &error);
  g_assert_cmpint(again, >, home);
}

/* A callback that uses the store while it streams. */
typedef struct {
  Store *store;
  guint outer, inner;
} Nested;

static void count_inner(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  (void)cal, (void)href, (void)ical, (void)len;
  ((Nested *)data)->inner++;
}

static void nested_outer(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  (void)href, (void)ical, (void)len;
  Nested *n = data;
  n->outer++;
  g_autoptr(StoreCalendar) again = store_calendar_get(n->store, cal->id, NULL);
  g_assert_nonnull(again);
  g_assert_true(store_foreach_object(n->store, cal->id, count_inner, n, NULL));
}

static void test_foreach(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home/", "Home", NULL, &error);
  for (int k = 0; k < 2; k++) {
    g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
    for (int i = 0; i < 3; i++) {
      g_autofree char *href = g_strdup_printf("/%d/%d.ics", k, i), *uid = g_strdup_printf("u%d", i);
      put_simple(b, href, "1", uid, "X");
    }
    put(b, "/bad.ics", "1", "nonsense");
    g_auto(StoreResult) r = apply(fx->store, k ? home : fx->cal, b);
  }
  g_autofree char *all = object_list(fx->store, 0);
  g_assert_cmpstr(all, ==, "Work:/0/0.ics Work:/0/1.ics Work:/0/2.ics Home:/1/0.ics Home:/1/1.ics Home:/1/2.ics");
  Nested n = {fx->store, 0, 0};
  g_assert_true(store_foreach_object(fx->store, 0, nested_outer, &n, &error));
  g_assert_cmpuint(n.outer, ==, 6);
  g_assert_cmpuint(n.inner, ==, 18);
}

/* ---- threads -------------------------------------------------------------------------------- */

typedef struct {
  Store *store;
  gint64 cal;
  int tag;
} Worker;

#define THREAD_BATCHES 20
#define THREAD_OBJECTS 25

static gpointer apply_worker(gpointer data) {
  Worker *w = data;
  for (int i = 0; i < THREAD_BATCHES; i++) {
    g_autoptr(StoreBatch) b = store_batch_new(FALSE, TRUE);
    for (int j = 0; j < THREAD_OBJECTS; j++) {
      g_autofree char *href = g_strdup_printf("/t%d/%d-%d.ics", w->tag, i, j);
      g_autofree char *uid = g_strdup_printf("t%d-%d-%d", w->tag, i, j);
      put_simple(b, href, "1", uid, "Threaded");
    }
    g_autoptr(GError) error = NULL;
    StoreResult res = {0};
    if (!store_apply(w->store, w->cal, b, &res, &error))
      g_error("thread %d: %s", w->tag, error->message);
    g_assert_cmpuint(res.added, ==, THREAD_OBJECTS);
    store_result_clear(&res);
  }
  return NULL;
}

typedef struct {
  Store *store;
  volatile gint *stop;
  guint seen;
} Consumer;

/* Reads and acks inside its own transactions while the others write. */
static gpointer consumer_worker(gpointer data) {
  Consumer *c = data;
  for (;;) {
    gboolean last = g_atomic_int_get(c->stop);
    g_autoptr(GError) error = NULL;
    if (!store_begin(c->store, &error))
      g_error("consumer: %s", error->message);
    g_autoptr(GPtrArray) rows = store_journal_read(c->store, "consumer", -1, 100, &error);
    g_assert_no_error(error);
    if (rows->len) {
      c->seen += rows->len;
      g_assert_true(store_journal_ack(c->store, "consumer",
                                      ((StoreChange *)g_ptr_array_index(rows, rows->len - 1))->seq, &error));
    }
    if (!store_commit(c->store, &error))
      g_error("consumer: %s", error->message);
    if (last && !rows->len)
      return NULL;
    g_thread_yield();
  }
}

static void test_threads(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home/", "Home", NULL, &error);
  /* A second handle on the file, as another process would have. */
  g_autoptr(Store) second = store_open(fx->path, &error);
  g_assert_no_error(error);
  gint64 third = store_calendar_ensure(second, "other", "https://dav.example.com/cal/x/", "X", NULL, &error);
  g_assert_no_error(error);
  Worker w[3] = {{fx->store, fx->cal, 0}, {fx->store, home, 1}, {second, third, 2}};
  volatile gint stop = 0;
  Consumer consumer = {fx->store, &stop, 0};
  GThread *t[3];
  GThread *ct = g_thread_new("consumer", consumer_worker, &consumer);
  for (int i = 0; i < 3; i++)
    t[i] = g_thread_new("apply", apply_worker, &w[i]);
  for (int i = 0; i < 3; i++)
    g_thread_join(t[i]);
  g_atomic_int_set(&stop, 1);
  g_thread_join(ct);
  for (int i = 0; i < 3; i++) {
    g_autoptr(StoreCalendar) c = calendar(fx->store, w[i].cal);
    g_assert_cmpuint(c->objects, ==, THREAD_BATCHES * THREAD_OBJECTS);
  }
  g_assert_cmpuint(consumer.seen, ==, 3 * THREAD_BATCHES * THREAD_OBJECTS);
  g_autoptr(GPtrArray) rest = store_journal_read(fx->store, "consumer", -1, 0, &error);
  g_assert_cmpuint(rest->len, ==, 0);
}

/* ---- a large first sync ----------------------------------------------------------------------- */

/* A realistic object: ~900 bytes; every tenth one a weekly series with two overrides. */
static char *realistic(int i) {
  g_autofree char *uid = g_strdup_printf("%08d-4f1c-4b7e-9a55-%012d@calendar.example.com", i, i * 7919);
  g_autofree char *extra = g_strdup_printf(
      "LOCATION:Meeting room %d\\, second floor\nDESCRIPTION:Agenda: review of item %d\\; notes in the shared "
      "folder. Please be on time.\nORGANIZER;CN=Alice Example:mailto:alice@example.com\n"
      "ATTENDEE;CN=Bob Example;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com\n"
      "ATTENDEE;CN=Carol Example;PARTSTAT=NEEDS-ACTION;ROLE=OPT-PARTICIPANT:mailto:carol@example.com\n"
      "SEQUENCE:%d\nSTATUS:CONFIRMED\nCATEGORIES:Work,Review\n%s"
      "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Reminder\nTRIGGER:-PT15M\nEND:VALARM\n",
      i % 40, i, i % 3, i % 10 == 0 ? "RRULE:FREQ=WEEKLY;COUNT=20\n" : "");
  g_autofree char *start = g_strdup_printf("2026%02d%02dT%02d0000Z", 1 + i % 12, 1 + i % 28, 8 + i % 9);
  g_autofree char *summary = g_strdup_printf("Appointment %d", i);
  g_autofree char *events = vevent(uid, NULL, start, summary, extra);
  if (i % 10 == 0) {
    g_autofree char *o1 = vevent(uid, "20260302T090000Z", "20260302T100000Z", summary, "LOCATION:Elsewhere\n");
    g_autofree char *o2 = vevent(uid, "20260309T090000Z", "20260309T110000Z", summary, NULL);
    g_autofree char *all = g_strconcat(events, o1, o2, NULL);
    return vcal(all);
  }
  return vcal(events);
}

static void fill_big(StoreBatch *b, int n, int variant) {
  for (int i = 0; i < n; i++) {
    g_autofree char *href = g_strdup_printf("/cal/work/%08d.ics", i);
    g_autofree char *etag = g_strdup_printf("\"%d-%d\"", i, variant);
    g_autofree char *ics = realistic(i);
    if (variant) {
      /* Every object's summary changes. */
      char *p = strstr(ics, "SUMMARY:Appointment");
      g_assert_nonnull(p);
      p[strlen("SUMMARY:")] = 'a';
    }
    put(b, href, etag, ics);
  }
}

/* CPU time of the process (user + system): steadier than the wall clock on a busy machine. */
static gint64 cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void test_large_sync(Fx *fx, gconstpointer data) {
  (void)data;
  const int n = 10000;
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  fill_big(b, n, 0);
  store_batch_set_token(b, "tok-1", NULL);
  gint64 t0 = g_get_monotonic_time(), c0 = cpu_us();
  g_auto(StoreResult) r = apply(fx->store, fx->cal, b);
  gint64 t1 = g_get_monotonic_time(), c1 = cpu_us();
  EXPECT_COUNTS(r, n, 0, 0, 0, n + n / 10 * 2);
  g_test_message("first sync of %d objects: store_apply %.1f ms (%.1f ms CPU)", n, (t1 - t0) / 1000.0,
                 (c1 - c0) / 1000.0);

  g_auto(StoreResult) r2 = apply(fx->store, fx->cal, b);
  gint64 t2 = g_get_monotonic_time();
  EXPECT_COUNTS(r2, 0, 0, 0, n, 0);
  g_test_message("the same %d objects again (all unchanged): %.1f ms", n, (t2 - t1) / 1000.0);

  g_autoptr(StoreBatch) keep = store_batch_new(TRUE, TRUE);
  for (int i = 0; i < n; i++) {
    g_autofree char *href = g_strdup_printf("/cal/work/%08d.ics", i);
    store_batch_keep(keep, href);
  }
  gint64 t3 = g_get_monotonic_time();
  g_auto(StoreResult) r3 = apply(fx->store, fx->cal, keep);
  gint64 t4 = g_get_monotonic_time();
  EXPECT_COUNTS(r3, 0, 0, 0, 0, 0);
  g_test_message("a full listing of %d kept objects: %.1f ms", n, (t4 - t3) / 1000.0);

  g_autoptr(StoreBatch) changed = store_batch_new(TRUE, TRUE);
  fill_big(changed, n, 1);
  gint64 t5 = g_get_monotonic_time();
  g_auto(StoreResult) r4 = apply(fx->store, fx->cal, changed);
  gint64 t6 = g_get_monotonic_time();
  EXPECT_COUNTS(r4, 0, n, 0, 0, n);
  g_test_message("every one of %d objects modified: %.1f ms", n, (t6 - t5) / 1000.0);

  gint64 t7 = g_get_monotonic_time();
  Seen s = {g_string_new(NULL), 0};
  g_autoptr(GError) error = NULL;
  g_assert_true(store_foreach_object(fx->store, 0, on_object, &s, &error));
  g_string_free(s.seen, TRUE);
  gint64 t8 = g_get_monotonic_time();
  g_assert_cmpuint(s.calls, ==, n);
  g_test_message("reading %d objects back: %.1f ms", n, (t8 - t7) / 1000.0);

  /* What STORE_OPEN_VERIFY (PRAGMA quick_check) adds to an open. */
  struct stat st;
  g_assert_cmpint(stat(fx->path, &st), ==, 0);
  double plain = 1e9, verified = 1e9;
  for (int round = 0; round < 3; round++) {
    gint64 o0 = g_get_monotonic_time();
    g_autoptr(Store) p = store_open(fx->path, &error);
    gint64 o1 = g_get_monotonic_time();
    g_autoptr(Store) v = store_open_full(fx->path, STORE_OPEN_VERIFY, &error);
    gint64 o2 = g_get_monotonic_time();
    g_assert_no_error(error);
    g_assert_null(store_replaced(v));
    plain = MIN(plain, (o1 - o0) / 1000.0);
    verified = MIN(verified, (o2 - o1) / 1000.0);
  }
  g_test_message("opening the %d-object store (%.1f MB): %.1f ms; with quick_check: %.1f ms", n,
                 st.st_size / 1048576.0, plain, verified);
}

/* ---- crashes ------------------------------------------------------------------------------------ */

#define CRASH_OLD 300
#define CRASH_NEW 2000

/* The state before: CRASH_OLD objects, token "old". */
static void crash_old_state(const char *path) {
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(path, &error);
  g_assert_no_error(error);
  gint64 cal = store_calendar_ensure(s, "work", "https://dav.example.com/cal/work/", "Work", NULL, &error);
  g_assert_cmpint(cal, ==, 1);
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  fill_big(b, CRASH_OLD, 0);
  store_batch_set_token(b, "old", NULL);
  g_auto(StoreResult) r = apply(s, cal, b);
}

/* The batch that moves to the new state: a third of the old objects kept, a
 * third modified, a third dropped (full batch), and new ones. */
static StoreBatch *crash_batch(void) {
  StoreBatch *b = store_batch_new(TRUE, TRUE);
  for (int i = 0; i < CRASH_OLD; i++) {
    g_autofree char *href = g_strdup_printf("/cal/work/%08d.ics", i);
    if (i % 3 == 0) {
      store_batch_keep(b, href);
    } else if (i % 3 == 1) {
      g_autofree char *ics = realistic(i + 100000);
      put(b, href, "\"changed\"", ics);
    }
  }
  for (int i = CRASH_OLD; i < CRASH_OLD + CRASH_NEW; i++) {
    g_autofree char *href = g_strdup_printf("/cal/work/%08d.ics", i);
    g_autofree char *ics = realistic(i);
    put(b, href, "\"new\"", ics);
  }
  store_batch_set_token(b, "new", NULL);
  return b;
}

typedef struct {
  char *token;
  char *etags;
  char *journal;
  char *objects;
} Snapshot;

static void snapshot_clear(Snapshot *s) {
  g_free(s->token);
  g_free(s->etags);
  g_free(s->journal);
  g_free(s->objects);
}

static void snapshot(const char *path, Snapshot *out) {
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) s = store_open(path, &error);
  g_assert_no_error(error);
  g_autoptr(StoreCalendar) c = calendar(s, 1);
  out->token = g_strdup(c->sync_token);
  out->etags = etag_list(s, 1);
  out->journal = journal_lines(s, 0, NULL);
  out->objects = object_list(s, 1);
}

static gboolean snapshot_equal(const Snapshot *a, const Snapshot *b) {
  return !g_strcmp0(a->token, b->token) && !strcmp(a->etags, b->etags) && !strcmp(a->journal, b->journal) &&
         !strcmp(a->objects, b->objects);
}

/* Runs the new batch in a child; kill_after > 0: the hook kills it after
 * that many rows; delay_us > 0: the parent kills it after that long. */
static int crash_run(const char *path, guint kill_after, gulong delay_us) {
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    if (kill_after) {
      char n[32];
      g_snprintf(n, sizeof n, "%u", kill_after);
      setenv("DIARYD_TEST_KILL_AFTER_ROWS", n, 1); /* the child has one thread */
    }
    Store *s = store_open(path, NULL);
    if (!s)
      _exit(3);
    StoreBatch *b = crash_batch();
    gboolean ok = store_apply(s, 1, b, NULL, NULL);
    store_batch_free(b);
    store_free(s);
    _exit(ok ? 0 : 4);
  }
  if (delay_us) {
    g_usleep(delay_us);
    kill(pid, SIGKILL);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_assert_true((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  return WIFSIGNALED(status) ? -1 : 0;
}

static void test_crash(Fx *fx, gconstpointer data) {
  (void)data;
  /* The two states a crash may leave, from an undisturbed run. */
  g_autofree char *ref = g_build_filename(fx->dir, "reference.db", NULL);
  crash_old_state(ref);
  Snapshot old = {0}, new = {0};
  snapshot(ref, &old);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(Store) s = store_open(ref, &error);
    g_autoptr(StoreBatch) b = crash_batch();
    g_auto(StoreResult) r = apply(s, 1, b);
  }
  snapshot(ref, &new);
  g_assert_cmpstr(old.token, ==, "old");
  g_assert_cmpstr(new.token, ==, "new");
  g_assert_false(snapshot_equal(&old, &new));

  /* How long a child takes from fork to exit, undisturbed: the random
   * kills below fall within that span (and a little after). */
  gint64 span;
  {
    g_autofree char *path = g_build_filename(fx->dir, "timing.db", NULL);
    crash_old_state(path);
    gint64 t0 = g_get_monotonic_time();
    g_assert_cmpint(crash_run(path, 0, 0), ==, 0);
    span = MAX(g_get_monotonic_time() - t0, 2000);
  }
  /* The batch writes 2,200 object rows (100 removed, 100 modified, 2,000 added). */
  const guint rows[] = {1, 2, 99, 100, 101, 150, 1000, 2100, 2199, 2200, 100000};
  GRand *rand = g_rand_new_with_seed(20261207);
  guint olds = 0, news = 0;
  for (guint round = 0; round < G_N_ELEMENTS(rows) + 12; round++) {
    g_autofree char *name = g_strdup_printf("crash-%u.db", round);
    g_autofree char *path = g_build_filename(fx->dir, name, NULL);
    crash_old_state(path);
    guint kill_after = round < G_N_ELEMENTS(rows) ? rows[round] : 0;
    gulong delay = kill_after ? 0 : (gulong)g_rand_double_range(rand, 500, (double)span * 1.1);
    int rc = crash_run(path, kill_after, delay);
    Snapshot got = {0};
    snapshot(path, &got);
    gboolean is_old = snapshot_equal(&got, &old), is_new = snapshot_equal(&got, &new);
    EXPECT(is_old || is_new, "round %u (kill after %u rows, %lu us): a state that is neither old nor new (token %s)",
           round, kill_after, delay, got.token);
    if (rc == 0)
      EXPECT(is_new, "round %u: the child finished, but the state is not the new one", round);
    olds += is_old;
    news += is_new;
    g_autofree char *check = raw_text(path, "PRAGMA integrity_check");
    g_assert_cmpstr(check, ==, "ok");
    snapshot_clear(&got);
  }
  g_test_message("crash rounds: %u left the old state, %u the new one", olds, news);
  g_assert_cmpuint(olds, >, 0);
  g_assert_cmpuint(news, >, 0);
  g_rand_free(rand);
  snapshot_clear(&old);
  snapshot_clear(&new);
}

int main(int argc, char **argv) {
  /* Before any GLib call that caches the user folders: the spill files of
   * the batches go to a temporary cache folder, not to the user's. */
  const char *tmp = getenv("TMPDIR");
  g_autofree char *tmpl = g_strconcat(tmp && *tmp ? tmp : "/tmp", "/diaryd-test-store-XXXXXX", NULL);
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    return 1;
  }
  g_autofree char *cache = g_build_filename(tmpl, "cache", NULL);
  g_autofree char *state = g_build_filename(tmpl, "state", NULL);
  setenv("XDG_CACHE_HOME", cache, 1);
  setenv("XDG_STATE_HOME", state, 1);
  g_test_init(&argc, &argv, NULL);
#define FX(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
  FX("/store/apply/spilled-batch", test_spilled_batch);
  FX("/store/apply/spill-fails", test_spill_fails);
  FX("/store/open", test_open);
  FX("/store/open/newer-schema", test_newer_schema);
  FX("/store/open/beside-a-writer", test_open_while_writing);
  FX("/store/open/migrate-empty", test_migrate_from_empty);
  FX("/store/open/not-a-database", test_not_a_database);
  FX("/store/open/empty-file", test_empty_file);
  FX("/store/open/truncated", test_truncated);
  FX("/store/open/damaged-mid-run", test_damaged_mid_run);
  FX("/store/open/damaged-in-use", test_damaged_in_use);
  FX("/store/apply/mass-removal", test_mass_removal);
  FX("/store/open/permissions", test_permissions);
  g_test_add_func("/store/default-path", test_default_path);
  FX("/store/accounts", test_accounts);
  FX("/store/calendars", test_calendars);
  FX("/store/apply/semantics", test_semantics);
  FX("/store/apply/unknown-calendar", test_unknown_calendar);
  FX("/store/apply/idempotent", test_idempotent);
  FX("/store/apply/bad-objects", test_bad_objects);
  FX("/store/apply/duplicate-uid", test_duplicate_uid);
  FX("/store/apply/tokens", test_tokens);
  FX("/store/journal/series", test_journal_series);
  FX("/store/journal/baseline", test_baseline);
  FX("/store/journal/consumers", test_consumers);
  FX("/store/transactions", test_transactions);
  FX("/store/calendar-remove", test_calendar_remove);
  FX("/store/foreach", test_foreach);
  FX("/store/threads", test_threads);
  FX("/store/large-sync", test_large_sync);
  FX("/store/crash", test_crash);
  int rc = g_test_run();
  test_rm_tree(tmpl);
  return rc;
}
