/* Tests for agent/confirmations.c: the refresh step that decides which
 * confirmation emails to queue, driven directly against a real store in a
 * temporary folder, with a config file read by diaryd_config_load() and a
 * fixed clock.  No network, no transport: what is asserted is what lands in
 * the outbox (rows, states, hold reasons, message bytes), the confirmation
 * items and the alerts.
 *
 * The owner is sam@example.com ([mail] from = Sam <sam@example.com>), the
 * calendar is work/Work with confirm = yes, `now` is Sunday 2026-03-01
 * 12:00 UTC and appointments fall on Monday 2026-03-02 unless a test says
 * otherwise.  Every step (a complete sync, then a refresh) is followed by a
 * second refresh with the same objects and the same `now`, which must change
 * nothing: the outbox, its states and the alerts stay as they were.
 *
 * A check written with EXPECT_BUG guards against a bug found (and fixed) in
 * agent/confirmations.c: it fails like EXPECT, printing what happened and
 * naming the bug.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "accounts.h"
#include "confirmations.h"
#include "store.h"
#include "testutil.h"
#include "tzdb.h"


#define NOW ((gint64)1772366400) /* Sunday 2026-03-01 12:00:00 UTC */
#define HOUR ((gint64)3600)
#define DAY ((gint64)86400)

#define ORG "ORGANIZER;CN=Sam:mailto:sam@example.com\n"
#define ANN "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION:mailto:ann@example.org\n"
#define BOB "ATTENDEE;CN=Bob:mailto:bob@example.org\n"
#define CY "ATTENDEE:mailto:cy@example.com\n"
#define MONDAY "20260302T090000Z"
#define MONDAY_LATE "20260302T140000Z"
#define CONFIRM_YES "confirm = yes\n"

static const char *const owners[] = {"sam@example.com", NULL};

/* ---- fixture ---------------------------------------------------------------------- */

typedef struct {
  char *dir;
  Store *store;
  DiarydConfig *cfg;
  Zones *zones;
  Zone *tz;
  gint64 cal;
  GHashTable *conflicts; /* uid → what it clashes with */
  GHashTable *news;      /* set of uids */
} Fx;

/* Writes and loads the config: `calendar` is the body of [calendar
 * work/Work] (NULL: no such section), `mail` more lines for [mail]. */
static void fx_config(Fx *fx, const char *calendar, const char *mail) {
  g_autoptr(GString) s = g_string_new("[account work]\nurl = https://dav.example.com/\nusername = sam\n"
                                      "password = secret\n");
  if (calendar)
    g_string_append_printf(s, "\n[calendar work/Work]\n%s", calendar);
  /* A templates folder that does not exist: the built-in templates. */
  g_string_append_printf(s, "\n[mail]\nfrom = Sam <sam@example.com>\ntemplates = %s/templates\n%s", fx->dir,
                         mail ? mail : "");
  g_autofree char *path = g_build_filename(fx->dir, "config", NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, s->str, (gssize)s->len, &error);
  g_assert_no_error(error);
  g_assert_cmpint(g_chmod(path, 0600), ==, 0);
  diaryd_config_free(fx->cfg);
  fx->cfg = diaryd_config_load(path, TRUE, NULL);
  for (guint i = 0; i < fx->cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(fx->cfg->problems, i));
    g_printerr("# config: %s\n", line);
  }
  g_assert_cmpuint(fx->cfg->problems->len, ==, 0);
}

static void fx_setup(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("diaryd-confirmations-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *db = g_build_filename(fx->dir, "diaryd.db", NULL);
  fx->store = store_open(db, &error);
  g_assert_no_error(error);
  g_assert_true(store_account_set(fx->store, "work", "https://dav.example.com/", NOW - DAY, &error));
  g_assert_no_error(error);
  fx->cal = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/work/", "Work", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(fx->cal, >, 0);
  fx->zones = zones_new(tzdb_lookup, NULL);
  fx->tz = zones_resolve(fx->zones, "Europe/London");
  g_assert_nonnull(fx->tz);
  fx->conflicts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  fx->news = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  fx_config(fx, CONFIRM_YES, NULL);
}

static void fx_teardown(Fx *fx, gconstpointer data) {
  (void)data;
  store_free(fx->store);
  diaryd_config_free(fx->cfg);
  zones_free(fx->zones);
  g_hash_table_unref(fx->conflicts);
  g_hash_table_unref(fx->news);
  test_rm_tree(fx->dir);
  g_free(fx->dir);
}

/* ---- calendar objects ---------------------------------------------------------------- */

/* One VEVENT (lines separated by \n): `rid` NULL for a master, `org` the
 * ORGANIZER line, `extra` attendees and anything else. */
static char *vevent(const char *uid, const char *rid, const char *start, const char *org, const char *extra) {
  return g_strdup_printf("BEGIN:VEVENT\nUID:%s\nDTSTAMP:20260201T000000Z\n%s%s%sDTSTART:%s\nDURATION:PT1H\n"
                         "SUMMARY:Meeting %s\n%s%sEND:VEVENT\n",
                         uid, rid ? "RECURRENCE-ID:" : "", rid ? rid : "", rid ? "\n" : "", start, uid, org,
                         extra ? extra : "");
}

/* VEVENT blocks in a VCALENDAR, with CRLF line ends. */
static char *vcal(const char *vevents) {
  GString *s = g_string_new("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd//test//EN\r\n");
  for (const char *p = vevents; *p; p++) {
    if (*p == '\n')
      g_string_append(s, "\r\n");
    else
      g_string_append_c(s, *p);
  }
  g_string_append(s, "END:VCALENDAR\r\n");
  return g_string_free(s, FALSE);
}

/* An appointment Sam organises, with `people` (attendee lines). */
static char *event(const char *uid, const char *start, const char *people) {
  g_autofree char *ev = vevent(uid, NULL, start, ORG, people);
  return vcal(ev);
}

/* The objects of one sync: takes the strings (NULL-terminated). */
static GPtrArray *objs(char *first, ...) G_GNUC_NULL_TERMINATED;
static GPtrArray *objs(char *first, ...) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  va_list ap;
  va_start(ap, first);
  for (char *o = first; o; o = va_arg(ap, char *))
    g_ptr_array_add(out, o);
  va_end(ap);
  return out;
}

/* The objects of a sync of an empty calendar. */
static GPtrArray *none(void) { return g_ptr_array_new_with_free_func(g_free); }

/* "UID.ics", from the object's first UID line. */
static char *href_of(const char *ics) {
  const char *p = strstr(ics, "\r\nUID:");
  g_assert_nonnull(p);
  p += 6;
  return g_strdup_printf("%.*s.ics", (int)strcspn(p, "\r\n"), p);
}

/* A complete, full sync: calendar `cal` holds exactly `objects`. */
static void sync_into(Fx *fx, gint64 cal, GPtrArray *objects) {
  g_autoptr(StoreBatch) b = store_batch_new(TRUE, TRUE);
  for (guint i = 0; i < objects->len; i++) {
    const char *ics = g_ptr_array_index(objects, i);
    g_autofree char *href = href_of(ics);
    g_autofree char *etag = g_compute_checksum_for_string(G_CHECKSUM_MD5, ics, -1);
    store_batch_put(b, href, etag, ics, strlen(ics));
  }
  StoreResult res = {0};
  g_autoptr(GError) error = NULL;
  /* What the confirmations do with mass deletions is tested here: the
   * sync's own guard (store_faults.t) is passed as --force-delete would. */
  store_allow_removals(fx->store, cal);
  gboolean ok = store_apply(fx->store, cal, b, &res, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  for (guint i = 0; i < res.problems->len; i++) {
    const StoreProblem *p = g_ptr_array_index(res.problems, i);
    g_printerr("# %s: %s\n", p->href, p->message);
  }
  g_assert_cmpuint(res.problems->len, ==, 0);
  store_result_clear(&res);
}

static void sync_objects(Fx *fx, GPtrArray *objects) { sync_into(fx, fx->cal, objects); }

/* ---- the outbox, as the tests read it --------------------------------------------------- */

static GPtrArray *all_rows(Fx *fx) {
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = store_outbox_list(fx->store, -1, 0, &error);
  g_assert_no_error(error);
  g_assert_nonnull(rows);
  return rows;
}

/* One line per row, oldest first: for comparisons and failure messages. */
static char *outbox_text(Fx *fx) {
  g_autoptr(GPtrArray) rows = all_rows(fx);
  GString *s = g_string_new(NULL);
  for (guint i = rows->len; i-- > 0;) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    g_string_append_printf(s, "  %" G_GINT64_FORMAT " %s/%s seq %d %s %s %s%s%s%s\n", r->id, r->uid, r->rid,
                           r->sequence, r->recipient, r->kind, outbox_state_name(r->state), r->hold ? " (" : "",
                           r->hold ? r->hold : "", r->hold ? ")" : "");
  }
  return g_string_free(s, FALSE);
}

static gboolean row_matches(const StoreOutboxRow *r, const char *uid, const char *rid, const char *to,
                            const char *kind, int state) {
  return (!uid || !strcmp(r->uid, uid)) && (!rid || !strcmp(r->rid, rid)) && (!to || !strcmp(r->recipient, to)) &&
         (!kind || !strcmp(r->kind, kind)) && (state < 0 || (int)r->state == state);
}

/* Rows that match (NULL and -1: any). */
static guint count_rows(Fx *fx, const char *uid, const char *rid, const char *to, const char *kind, int state) {
  g_autoptr(GPtrArray) rows = all_rows(fx);
  guint n = 0;
  for (guint i = 0; i < rows->len; i++)
    n += row_matches(g_ptr_array_index(rows, i), uid, rid, to, kind, state);
  return n;
}

/* The newest row that matches, with its message, or NULL. */
static StoreOutboxRow *find_row(Fx *fx, const char *uid, const char *rid, const char *to, const char *kind,
                                int state) {
  g_autoptr(GPtrArray) rows = all_rows(fx);
  for (guint i = 0; i < rows->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    if (row_matches(r, uid, rid, to, kind, state)) {
      g_autoptr(GError) error = NULL;
      StoreOutboxRow *full = store_outbox_get(fx->store, r->id, TRUE, &error);
      g_assert_no_error(error);
      return full;
    }
  }
  return NULL;
}

/* As find_row, failing the test when there is none. */
static StoreOutboxRow *need_row(Fx *fx, const char *uid, const char *rid, const char *to, const char *kind,
                                int state) {
  StoreOutboxRow *r = find_row(fx, uid, rid, to, kind, state);
  if (!r) {
    g_autofree char *all = outbox_text(fx);
    g_printerr("# no row %s/%s to %s, %s, %s in the outbox:\n%s", uid ? uid : "*", rid ? rid : "*", to ? to : "*",
               kind ? kind : "*", state < 0 ? "*" : outbox_state_name((OutboxState)state), all);
  }
  g_assert_nonnull(r);
  return r;
}

/* Marks every row in `from` as `to` (a transport that sent them). */
static guint mark_all(Fx *fx, OutboxState from, OutboxState to) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_outbox_list(fx->store, from, 0, &error);
  g_assert_no_error(error);
  g_assert_true(store_begin(fx->store, &error));
  for (guint i = 0; i < rows->len; i++) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    g_assert_true(store_outbox_set_state(fx->store, r->id, to, NULL, 0, NOW, &error));
    g_assert_no_error(error);
  }
  g_assert_true(store_commit(fx->store, &error));
  g_assert_no_error(error);
  return rows->len;
}

static guint sent_all(Fx *fx) { return mark_all(fx, OUTBOX_PENDING, OUTBOX_SENT); }

static GPtrArray *alerts(Fx *fx) {
  g_autoptr(GError) error = NULL;
  GPtrArray *a = store_alerts_pending(fx->store, &error);
  g_assert_no_error(error);
  g_assert_nonnull(a);
  return a;
}

static guint n_alerts(Fx *fx) {
  g_autoptr(GPtrArray) a = alerts(fx);
  return a->len;
}

static StoreConfirmItem *confirm_item(Fx *fx, const char *uid, const char *rid) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) items = store_confirm_items(fx->store, &error);
  g_assert_no_error(error);
  g_autofree char *key = g_strconcat(uid, "\x1f", rid ? rid : "", NULL);
  gpointer stolen_key = NULL, value = NULL;
  if (!g_hash_table_steal_extended(items, key, &stolen_key, &value))
    return NULL;
  g_free(stolen_key);
  return value;
}

/* ---- message bytes ---------------------------------------------------------------------- */

static char *message_of(const StoreOutboxRow *r) {
  if (!r->message)
    return NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data(r->message, &len);
  return g_strndup(data, len);
}

/* A header field of the message's own header (not a part's), unfolded
 * enough for the short fields we read; NULL when absent. */
static char *header(const char *msg, const char *name) {
  const char *end = strstr(msg, "\r\n\r\n");
  g_assert_nonnull(end);
  g_autofree char *needle = g_strdup_printf("\r\n%s: ", name);
  gsize nlen = strlen(needle);
  const char *p = NULL;
  if (!strncmp(msg, needle + 2, nlen - 2))
    p = msg + nlen - 2;
  else if ((p = g_strstr_len(msg, end - msg, needle)))
    p += nlen;
  if (!p)
    return NULL;
  return g_strndup(p, strcspn(p, "\r\n"));
}

/* The text/calendar part, decoded; NULL when the message has none. */
static char *calendar_part(const char *msg) {
  const char *p = strstr(msg, "Content-Type: text/calendar;");
  if (!p)
    return NULL;
  p = strstr(p, "\r\n\r\n");
  g_assert_nonnull(p);
  p += 4;
  const char *end = strstr(p, "\r\n--");
  g_assert_nonnull(end);
  g_autofree char *b64 = g_strndup(p, end - p);
  gsize len = 0;
  guchar *raw = g_base64_decode(b64, &len);
  char *text = g_strndup((const char *)raw, len);
  g_free(raw);
  return text;
}

/* ---- one refresh -------------------------------------------------------------------------- */

static ConfirmCounts refresh_at(Fx *fx, gint64 now) {
  ConfirmRun run = {.store = fx->store, .cfg = fx->cfg, .owners = owners, .zones = fx->zones, .tz = fx->tz,
                    .now = now, .conflicts = fx->conflicts, .news = fx->news};
  ConfirmCounts counts;
  memset(&counts, 0xff, sizeof counts); /* confirmations_refresh must set them all */
  g_autoptr(GError) error = NULL;
  g_assert_true(store_begin(fx->store, &error));
  gboolean ok = confirmations_refresh(&run, &counts, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_true(store_commit(fx->store, &error));
  g_assert_no_error(error);
  return counts;
}

/* A sync that leaves the calendar holding `objects` (taken), a refresh at
 * `now`, and the same refresh again, which must change nothing. */
static ConfirmCounts step_at(Fx *fx, gint64 now, GPtrArray *objects) {
  sync_objects(fx, objects);
  g_ptr_array_unref(objects);
  ConfirmCounts c = refresh_at(fx, now);
  g_autofree char *before = outbox_text(fx);
  guint alerts_before = n_alerts(fx);
  ConfirmCounts again = refresh_at(fx, now);
  g_autofree char *after = outbox_text(fx);
  EXPECT(again.queued == 0 && again.held == 0 && again.released == 0 && again.baseline == 0,
         "the same refresh again: %u queued, %u held, %u released, %u baseline", again.queued, again.held,
         again.released, again.baseline);
  EXPECT(!strcmp(before, after), "the same refresh again changed the outbox:\n%s→\n%s", before, after);
  EXPECT(n_alerts(fx) == alerts_before, "the same refresh again added %u alerts", n_alerts(fx) - alerts_before);
  return c;
}

static ConfirmCounts step(Fx *fx, GPtrArray *objects) { return step_at(fx, NOW, objects); }

/* The calendar's first look, with nothing in it: what comes after is news. */
static void baseline_empty(Fx *fx) {
  ConfirmCounts c = step(fx, none());
  g_assert_cmpuint(c.baseline + c.queued + c.held, ==, 0);
}

#define EXPECT_COUNTS(c, q, h, r, bl, bs)                                                                         \
  EXPECT((c).queued == (q) && (c).held == (h) && (c).released == (r) && (c).blocked == (bl) &&                    \
             (c).baseline == (bs),                                                                                \
         "line %d: %u queued, %u held, %u released, %u blocked, %u baseline; want %u %u %u %u %u", __LINE__,     \
         (c).queued, (c).held, (c).released, (c).blocked, (c).baseline, (guint)(q), (guint)(h), (guint)(r),      \
         (guint)(bl), (guint)(bs))

/* ---- 1. the baseline ------------------------------------------------------------------------ */

/* What is already there at the first look is known: rows without a
 * message; a second look with the same objects queues nothing. */
static void test_baseline(Fx *fx, gconstpointer data) {
  (void)data;
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 1);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 2);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_BASELINE), ==, 2);
  g_autoptr(StoreOutboxRow) ann = need_row(fx, "a", "", "ann@example.org", NULL, OUTBOX_BASELINE);
  EXPECT(ann->message == NULL, "a baseline row carries a message");
  g_autoptr(StoreConfirmItem) item = confirm_item(fx, "a", NULL);
  g_assert_nonnull(item);
  EXPECT(!item->deleted && !item->blocked && strlen(item->fingerprint) == 64, "item: deleted %d blocked %s fp %s",
         item->deleted, item->blocked, item->fingerprint);
  g_assert_cmpuint(n_alerts(fx), ==, 0);

  c = step_at(fx, NOW + HOUR, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 2);
}

/* An appointment the journal reports as changed after the calendar's
 * baseline is news even at the first look. */
static void test_baseline_news(Fx *fx, gconstpointer data) {
  (void)data;
  g_hash_table_add(fx->news, g_strdup("b"));
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN), event("b", MONDAY_LATE, ANN), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 1);
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", "new", OUTBOX_BASELINE), ==, 1);
  g_autoptr(StoreOutboxRow) b = need_row(fx, "b", "", "ann@example.org", "new", OUTBOX_PENDING);
  EXPECT(b->message != NULL, "the news has no message");
  g_assert_cmpuint(count_rows(fx, "b", NULL, NULL, NULL, OUTBOX_BASELINE), ==, 0);
}

/* ---- 2. a new appointment -------------------------------------------------------------------- */

static void test_new_publish(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 2);
  const char *to[] = {"ann@example.org", "bob@example.org"};
  for (guint i = 0; i < G_N_ELEMENTS(to); i++) {
    g_autoptr(StoreOutboxRow) r = need_row(fx, "a", "", to[i], "new", OUTBOX_PENDING);
    g_autofree char *msg = message_of(r);
    g_assert_nonnull(msg);
    EXPECT(!g_strcmp0(r->sender, "sam@example.com"), "sender %s", r->sender);
    EXPECT(r->thread == NULL, "a first message has a thread: %s", r->thread);
    g_autofree char *mid = header(msg, "Message-ID");
    EXPECT(!g_strcmp0(mid, r->message_id), "Message-ID %s, row says %s", mid, r->message_id);
    EXPECT(g_str_has_suffix(r->message_id, "@example.com>"), "Message-ID %s", r->message_id);
    g_autofree char *rcpt = header(msg, "To");
    EXPECT(rcpt && strstr(rcpt, to[i]), "To: %s", rcpt);
    g_autofree char *from = header(msg, "From");
    EXPECT(!g_strcmp0(from, "Sam <sam@example.com>"), "From: %s", from);
    g_autofree char *irt = header(msg, "In-Reply-To");
    EXPECT(irt == NULL, "In-Reply-To: %s", irt);
    EXPECT(strstr(msg, "\r\nContent-Type: text/calendar; charset=UTF-8; method=PUBLISH\r\n") != NULL,
           "no PUBLISH calendar part:\n%s", msg);
    g_autofree char *ics = calendar_part(msg);
    g_assert_nonnull(ics);
    EXPECT(strstr(ics, "METHOD:PUBLISH\r\n") != NULL, "ics:\n%s", ics);
    EXPECT(strstr(ics, "DTSTART:20260302T090000Z") != NULL, "ics:\n%s", ics);
    EXPECT(strstr(ics, "ATTENDEE") == NULL, "PUBLISH lists attendees:\n%s", ics);
  }
}

static void test_new_request(Fx *fx, gconstpointer data) {
  (void)data;
  fx_config(fx, CONFIRM_YES, "method = request\n");
  baseline_empty(fx);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) r = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_autofree char *msg = message_of(r);
  g_assert_nonnull(msg);
  EXPECT(strstr(msg, "\r\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n") != NULL,
         "no REQUEST calendar part:\n%s", msg);
  g_autofree char *ics = calendar_part(msg);
  g_assert_nonnull(ics);
  EXPECT(strstr(ics, "METHOD:REQUEST\r\n") != NULL, "ics:\n%s", ics);
  EXPECT(strstr(ics, "ann@example.org") != NULL, "REQUEST without its attendees:\n%s", ics);
}

/* ---- 3. a server that schedules by itself ---------------------------------------------------- */

static void auto_schedule_on(Fx *fx) {
  g_autoptr(GError) error = NULL;
  g_assert_true(store_account_set_auto_schedule(fx->store, "work", TRUE, &error));
  g_assert_no_error(error);
  g_assert_true(store_account_auto_schedule(fx->store, "work"));
}

#define CLIENT_ORG "ORGANIZER;CN=Sam;SCHEDULE-AGENT=CLIENT:mailto:sam@example.com\n"

static void test_auto_schedule_plain(Fx *fx, gconstpointer data) {
  (void)data;
  auto_schedule_on(fx);
  baseline_empty(fx);
  g_autofree char *client = vevent("c", NULL, MONDAY_LATE, CLIENT_ORG, ANN);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN), vcal(client), NULL));
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) a = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_autofree char *msg = message_of(a);
  g_assert_nonnull(msg);
  EXPECT(strstr(msg, "text/calendar") == NULL && strstr(msg, "invite.ics") == NULL,
         "the server mails the invitation, yet ours carries one:\n%s", msg);
  /* The owner schedules this one (SCHEDULE-AGENT=CLIENT): the server never mails for it. */
  g_autoptr(StoreOutboxRow) cr = need_row(fx, "c", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_autofree char *cmsg = message_of(cr);
  g_assert_nonnull(cmsg);
  g_autofree char *ics = calendar_part(cmsg);
  EXPECT(ics && strstr(ics, "METHOD:PUBLISH"), "SCHEDULE-AGENT=CLIENT without a calendar part:\n%s", cmsg);
}

static void test_auto_schedule_skip(Fx *fx, gconstpointer data) {
  (void)data;
  fx_config(fx, CONFIRM_YES, "auto_schedule = skip\n");
  auto_schedule_on(fx);
  baseline_empty(fx);
  g_autofree char *client = vevent("c", NULL, MONDAY_LATE, CLIENT_ORG, ANN);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN BOB), vcal(client), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_SERVER), ==, 2);
  g_assert_cmpuint(count_rows(fx, "a", NULL, NULL, NULL, -1), ==, 2);
  g_autoptr(StoreOutboxRow) a = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_SERVER);
  EXPECT(a->message == NULL, "a server row carries a message");
  g_autoptr(StoreOutboxRow) cr = need_row(fx, "c", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_autofree char *cmsg = message_of(cr);
  g_assert_nonnull(cmsg);
  g_autofree char *ics = calendar_part(cmsg);
  EXPECT(ics != NULL, "SCHEDULE-AGENT=CLIENT without a calendar part");
  /* A move: the server tells them again; we only record it. */
  g_autofree char *client2 = vevent("c", NULL, MONDAY_LATE, CLIENT_ORG, ANN);
  c = step(fx, objs(event("a", MONDAY_LATE, ANN BOB), vcal(client2), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "update", OUTBOX_SERVER), ==, 2);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, OUTBOX_PENDING), ==, 1);
}

/* ---- 4. held in a conflict ------------------------------------------------------------------- */

#define CLASH "\"Dentist\" (Monday 2 March 2026, 09:30\u201310:00)"

static void test_conflict_hold_release(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_hash_table_insert(fx->conflicts, g_strdup("a"), g_strdup(CLASH));
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 0, 2, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_HELD), ==, 2);
  g_autoptr(StoreOutboxRow) held = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_HELD);
  EXPECT(held->hold && g_str_has_prefix(held->hold, "conflict: ") && strstr(held->hold, "Dentist"), "hold: %s",
         held->hold);
  EXPECT(held->message != NULL, "a held row has no message yet");
  {
    g_autoptr(GPtrArray) a = alerts(fx);
    g_assert_cmpuint(a->len, ==, 1);
    const StoreAlert *al = g_ptr_array_index(a, 0);
    EXPECT(strstr(al->summary, "held") && strstr(al->body, "Dentist") && strstr(al->body, "Meeting a"),
           "alert: %s / %s", al->summary, al->body);
  }
  g_autofree char *held_message = message_of(held);

  /* The clash is resolved: the same rows, same bytes, go now. */
  g_hash_table_remove(fx->conflicts, "a");
  c = step_at(fx, NOW + HOUR, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 0, 0, 2, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 2);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_PENDING), ==, 2);
  g_autoptr(StoreOutboxRow) released = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  EXPECT(released->hold == NULL, "released with hold %s", released->hold);
  g_autofree char *released_message = message_of(released);
  EXPECT(!g_strcmp0(held_message, released_message), "the message changed on release");
  g_assert_cmpuint(n_alerts(fx), ==, 1);
}

static void test_conflict_send(Fx *fx, gconstpointer data) {
  (void)data;
  fx_config(fx, CONFIRM_YES, "on_conflict = send\n");
  baseline_empty(fx);
  g_hash_table_insert(fx->conflicts, g_strdup("a"), g_strdup(CLASH));
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN BOB), NULL));
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, OUTBOX_HELD), ==, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_PENDING), ==, 2);
  g_assert_cmpuint(n_alerts(fx), ==, 0);
}

/* ---- 5. superseded before it went ----------------------------------------------------------- */

static void test_supersede_held(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_hash_table_insert(fx->conflicts, g_strdup("a"), g_strdup(CLASH));
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN), NULL));
  EXPECT_COUNTS(c, 0, 1, 0, 0, 0);
  g_autoptr(StoreOutboxRow) first = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_HELD);

  /* Moved out of the clash before anything went: one "new" with the final time. */
  g_hash_table_remove(fx->conflicts, "a");
  c = step_at(fx, NOW + HOUR, objs(event("a", MONDAY_LATE, ANN), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) old = store_outbox_get(fx->store, first->id, FALSE, NULL);
  g_assert_nonnull(old);
  EXPECT(old->state == OUTBOX_SUPERSEDED, "the held row is %s", outbox_state_name(old->state));
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "update", -1), ==, 0);
  g_autoptr(StoreOutboxRow) now = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  EXPECT(now->id != first->id && strcmp(now->message_id, first->message_id), "the same row or Message-ID");
  EXPECT(now->thread == NULL, "thread %s", now->thread);
  g_autofree char *msg = message_of(now);
  g_assert_nonnull(msg);
  g_autofree char *irt = header(msg, "In-Reply-To");
  g_autofree char *refs = header(msg, "References");
  EXPECT(irt == NULL && refs == NULL, "In-Reply-To %s, References %s", irt, refs);
  g_autofree char *ics = calendar_part(msg);
  EXPECT(ics && strstr(ics, "DTSTART:20260302T140000Z"), "ics:\n%s", ics);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 2);
}

/* A move and a move back before anything went: nothing more to say. */
static void test_move_and_back(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 1);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY_LATE, ANN), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  c = step(fx, objs(event("a", MONDAY, ANN), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, OUTBOX_PENDING), ==, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "update", OUTBOX_SUPERSEDED), ==, 1);
}

/* ---- 6. after a message went -------------------------------------------------------------- */

static void test_update_cancel_add(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN BOB), NULL));
  g_autoptr(StoreOutboxRow) ann0 = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_autoptr(StoreOutboxRow) bob0 = need_row(fx, "a", "", "bob@example.org", "new", OUTBOX_PENDING);
  g_assert_cmpuint(sent_all(fx), ==, 2);

  /* Moved: an update to each, in the thread of what they got. */
  ConfirmCounts c = step(fx, objs(event("a", MONDAY_LATE, ANN BOB), NULL));
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, "new", OUTBOX_PENDING), ==, 0);
  const StoreOutboxRow *firsts[] = {ann0, bob0};
  for (guint i = 0; i < G_N_ELEMENTS(firsts); i++) {
    g_autoptr(StoreOutboxRow) u = need_row(fx, "a", "", firsts[i]->recipient, "update", OUTBOX_PENDING);
    EXPECT(u->sequence == 1, "update sequence %d", u->sequence);
    EXPECT(!g_strcmp0(u->thread, firsts[i]->message_id), "thread %s, first %s", u->thread, firsts[i]->message_id);
    g_autofree char *msg = message_of(u);
    g_assert_nonnull(msg);
    g_autofree char *irt = header(msg, "In-Reply-To");
    g_autofree char *refs = header(msg, "References");
    EXPECT(!g_strcmp0(irt, firsts[i]->message_id) && !g_strcmp0(refs, firsts[i]->message_id),
           "In-Reply-To %s, References %s, first %s", irt, refs, firsts[i]->message_id);
    g_autofree char *ics = calendar_part(msg);
    EXPECT(ics && strstr(ics, "SEQUENCE:1\r\n") && strstr(ics, "DTSTART:20260302T140000Z"), "ics:\n%s", ics);
  }
  g_assert_cmpuint(sent_all(fx), ==, 2);

  /* Bob removed: a cancellation to him, in his thread. */
  c = step(fx, objs(event("a", MONDAY_LATE, ANN), NULL));
  g_autoptr(StoreOutboxRow) cancel = need_row(fx, "a", "", "bob@example.org", "cancel", OUTBOX_PENDING);
  g_assert_cmpuint(count_rows(fx, "a", "", "bob@example.org", NULL, OUTBOX_PENDING), ==, 1);
  {
    g_autofree char *msg = message_of(cancel);
    g_assert_nonnull(msg);
    g_autofree char *irt = header(msg, "In-Reply-To");
    EXPECT(!g_strcmp0(irt, bob0->message_id), "In-Reply-To %s, first %s", irt, bob0->message_id);
    EXPECT(strstr(msg, "\r\nContent-Type: text/calendar; charset=UTF-8; method=CANCEL\r\n") != NULL,
           "no CANCEL part:\n%s", msg);
    g_autofree char *ics = calendar_part(msg);
    EXPECT(ics && strstr(ics, "METHOD:CANCEL\r\n") && strstr(ics, "STATUS:CANCELLED") &&
               strstr(ics, "bob@example.org") && !strstr(ics, "ann@example.org"),
           "ics:\n%s", ics);
  }
  /* Ann hears that the list of people changed (the fingerprint covers them). */
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", NULL, OUTBOX_PENDING), ==, 1);
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", "update", OUTBOX_PENDING), ==, 1);
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_assert_cmpuint(sent_all(fx), ==, 2);

  /* Cy added: a first message to Cy, not an update. */
  c = step(fx, objs(event("a", MONDAY_LATE, ANN CY), NULL));
  g_autoptr(StoreOutboxRow) cy = need_row(fx, "a", "", "cy@example.com", NULL, OUTBOX_PENDING);
  EXPECT(!strcmp(cy->kind, "new"), "Cy gets %s", cy->kind);
  EXPECT(cy->thread == NULL, "Cy's first message is in a thread %s", cy->thread);
  g_assert_cmpuint(count_rows(fx, "a", "", "bob@example.org", NULL, OUTBOX_PENDING), ==, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", "update", OUTBOX_PENDING), ==, 1);
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
}

/* ---- 7. deletions ------------------------------------------------------------------------- */

static void test_deleted(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_autoptr(StoreOutboxRow) first = need_row(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_assert_cmpuint(sent_all(fx), ==, 1);
  ConfirmCounts c = step(fx, none());
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) cancel = need_row(fx, "a", "", "ann@example.org", "cancel", OUTBOX_PENDING);
  EXPECT(cancel->hold == NULL, "hold %s", cancel->hold);
  g_autofree char *msg = message_of(cancel);
  g_assert_nonnull(msg);
  g_autofree char *irt = header(msg, "In-Reply-To");
  EXPECT(!g_strcmp0(irt, first->message_id), "In-Reply-To %s, first %s", irt, first->message_id);
  g_autofree char *ics = calendar_part(msg);
  EXPECT(ics && strstr(ics, "METHOD:CANCEL\r\n") && strstr(ics, "STATUS:CANCELLED") && strstr(ics, "SEQUENCE:1"),
         "ics:\n%s", ics);
  g_autoptr(StoreConfirmItem) item = confirm_item(fx, "a", NULL);
  g_assert_nonnull(item);
  EXPECT(item->deleted, "the item is not marked deleted");
  g_assert_cmpuint(n_alerts(fx), ==, 0);
}

/* STATUS:CANCELLED says the same as a deletion, even while in a clash. */
static void test_status_cancelled(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 1);
  g_hash_table_insert(fx->conflicts, g_strdup("a"), g_strdup(CLASH));
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN "STATUS:CANCELLED\n"), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) cancel = need_row(fx, "a", "", "ann@example.org", "cancel", OUTBOX_PENDING);
  g_autofree char *msg = message_of(cancel);
  g_autofree char *ics = msg ? calendar_part(msg) : NULL;
  EXPECT(ics && strstr(ics, "METHOD:CANCEL\r\n"), "ics:\n%s", ics);
  g_assert_cmpuint(n_alerts(fx), ==, 0);
}

/* Held in a clash and deleted before it went: nobody hears anything. */
static void test_held_then_deleted(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_hash_table_insert(fx->conflicts, g_strdup("a"), g_strdup(CLASH));
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_HELD), ==, 1);
  g_hash_table_remove(fx->conflicts, "a");
  ConfirmCounts c = step(fx, none());
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_SUPERSEDED), ==, 1);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 1);
}

/* A baseline appointment deleted: its attendees knew it, they hear. */
static void test_deleted_baseline(Fx *fx, gconstpointer data) {
  (void)data;
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, NULL, OUTBOX_BASELINE), ==, 1);
  ConfirmCounts c = step(fx, none());
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) cancel = need_row(fx, "a", "", "ann@example.org", "cancel", OUTBOX_PENDING);
  EXPECT(cancel->thread == NULL, "thread %s", cancel->thread);
}

/* Over once it ends: a past appointment that vanishes is not news. */
static void test_deleted_past(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 1);
  ConfirmCounts c = step_at(fx, NOW + 3 * DAY, none());
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 1);
  g_autoptr(StoreConfirmItem) item = confirm_item(fx, "a", NULL);
  EXPECT(item && item->deleted, "the past item is not marked deleted");
}

/* `n` future appointments with sent confirmations vanish at once. */
static ConfirmCounts vanish(Fx *fx, guint n) {
  baseline_empty(fx);
  GPtrArray *all = none();
  for (guint i = 0; i < n; i++) {
    g_autofree char *uid = g_strdup_printf("m%02u", i);
    g_autofree char *start = g_strdup_printf("202603%02uT090000Z", 2 + i);
    g_ptr_array_add(all, event(uid, start, ANN));
  }
  ConfirmCounts c = step(fx, all);
  g_assert_cmpuint(c.queued, ==, n);
  g_assert_cmpuint(sent_all(fx), ==, n);
  return step(fx, none());
}

static void test_mass_deletion(Fx *fx, gconstpointer data) {
  (void)data;
  ConfirmCounts c = vanish(fx, 11);
  EXPECT_COUNTS(c, 0, 11, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, "cancel", OUTBOX_HELD), ==, 11);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, "cancel", -1), ==, 11);
  g_autoptr(StoreOutboxRow) r = need_row(fx, "m00", "", "ann@example.org", "cancel", OUTBOX_HELD);
  EXPECT(r->hold && g_str_has_prefix(r->hold, "mass deletion"), "hold %s", r->hold);
  g_autoptr(GPtrArray) a = alerts(fx);
  g_assert_cmpuint(a->len, ==, 1);
  const StoreAlert *al = g_ptr_array_index(a, 0);
  EXPECT(strstr(al->body, "11 appointments"), "alert: %s / %s", al->summary, al->body);
  /* The next refresh does not release them: only the owner does. */
  c = step_at(fx, NOW + HOUR, none());
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, "cancel", OUTBOX_HELD), ==, 11);
}

static void test_ten_deletions(Fx *fx, gconstpointer data) {
  (void)data;
  ConfirmCounts c = vanish(fx, 10);
  EXPECT_COUNTS(c, 10, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, "cancel", OUTBOX_PENDING), ==, 10);
  g_assert_cmpuint(n_alerts(fx), ==, 0);
}

/* ---- 8. calendars that do not confirm -------------------------------------------------------- */

static void sent_then_unconfirmed(Fx *fx, const char *calendar) {
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 1);
  fx_config(fx, calendar, NULL);
  ConfirmCounts c = step(fx, none());
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 1);
  /* While it does not confirm, a new appointment is not news either. */
  c = step(fx, objs(event("b", MONDAY, ANN), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 1);

  /* confirm = yes again: what happened meanwhile was not said then, and is
   * not said now (the calendar is looked at afresh). */
  fx_config(fx, CONFIRM_YES, NULL);
  c = step_at(fx, NOW + HOUR, objs(event("b", MONDAY, ANN), NULL));
  g_autofree char *all = outbox_text(fx);
  EXPECT_BUG("confirm switched off and on: what changed meanwhile is mailed",
             count_rows(fx, "a", NULL, NULL, "cancel", -1) == 0,
             "a cancellation for \"a\", deleted while confirm was off:\n%s", all);
  EXPECT_BUG("confirm switched off and on: what changed meanwhile is mailed",
             count_rows(fx, "b", NULL, NULL, NULL, OUTBOX_PENDING) == 0,
             "an invitation for \"b\", added while confirm was off:\n%s", all);
}

static void test_confirm_turned_off(Fx *fx, gconstpointer data) {
  (void)data;
  sent_then_unconfirmed(fx, "confirm = no\n");
}

static void test_calendar_removed_from_config(Fx *fx, gconstpointer data) {
  (void)data;
  sent_then_unconfirmed(fx, NULL);
}

/* Moved to a calendar that does not confirm: the appointment goes on. */
static void test_moved_to_unconfirmed_calendar(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 home = store_calendar_ensure(fx->store, "work", "https://dav.example.com/cal/home/", "Home", NULL, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) empty = none();
  sync_into(fx, home, empty);
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 1);
  g_autoptr(GPtrArray) moved = objs(event("a", MONDAY, ANN), NULL);
  sync_into(fx, home, moved);
  step(fx, none());
  g_autofree char *all = outbox_text(fx);
  EXPECT_BUG("an appointment moved to a calendar without confirm = yes is cancelled",
             count_rows(fx, "a", NULL, NULL, "cancel", -1) == 0,
             "\"a\", moved unchanged from Work to Home, is cancelled:\n%s", all);
}

/* ---- 9. guards -------------------------------------------------------------------------------- */

static char *crowd(guint n) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "ATTENDEE:mailto:p%02u@example.org\n", i);
  return g_string_free(s, FALSE);
}

static void test_max_recipients(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_autofree char *people = crowd(25);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, people), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 1, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 0);
  {
    g_autoptr(StoreConfirmItem) item = confirm_item(fx, "a", NULL);
    g_assert_nonnull(item);
    EXPECT(item->blocked && strstr(item->blocked, "25 recipients") && strstr(item->blocked, "(20)"), "blocked: %s",
           item->blocked);
    g_autoptr(GPtrArray) a = alerts(fx);
    g_assert_cmpuint(a->len, ==, 1);
    const StoreAlert *al = g_ptr_array_index(a, 0);
    EXPECT(strstr(al->body, "25 attendees") && strstr(al->body, "max_recipients"), "alert: %s / %s", al->summary,
           al->body);
  }
  /* Once is enough. */
  c = step_at(fx, NOW + HOUR, objs(event("a", MONDAY, people), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 1, 0);
  g_assert_cmpuint(n_alerts(fx), ==, 1);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 0);

  fx_config(fx, CONFIRM_YES, "max_recipients = 30\n");
  c = step_at(fx, NOW + 2 * HOUR, objs(event("a", MONDAY, people), NULL));
  EXPECT_COUNTS(c, 25, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", NULL, "new", OUTBOX_PENDING), ==, 25);
  g_autoptr(StoreConfirmItem) item = confirm_item(fx, "a", NULL);
  EXPECT(item && item->blocked == NULL, "still blocked: %s", item ? item->blocked : "(no item)");
  g_assert_cmpuint(n_alerts(fx), ==, 1);
}

static void test_allow_domains(Fx *fx, gconstpointer data) {
  (void)data;
  fx_config(fx, CONFIRM_YES, "allow_domains = Example.ORG\n");
  baseline_empty(fx);
  ConfirmCounts c = step(fx, objs(event("a", MONDAY, ANN "ATTENDEE;CN=Bob:mailto:Bob@EXAMPLE.org\n" CY), NULL));
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", "new", OUTBOX_PENDING), ==, 1);
  g_assert_cmpuint(count_rows(fx, "a", "", "bob@example.org", "new", OUTBOX_PENDING), ==, 1);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, "cy@example.com", NULL, -1), ==, 0);
}

/* allow_domains set after someone outside was invited: nothing more goes
 * to that domain, least of all a cancellation of a meeting that goes on. */
static void test_allow_domains_after_invite(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  step(fx, objs(event("a", MONDAY, ANN CY), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 2);
  fx_config(fx, CONFIRM_YES, "allow_domains = example.org\n");
  step(fx, objs(event("a", MONDAY_LATE, ANN CY), NULL));
  g_assert_cmpuint(count_rows(fx, "a", "", "ann@example.org", "update", OUTBOX_PENDING), ==, 1);
  g_autofree char *all = outbox_text(fx);
  EXPECT_BUG("allow_domains: a cancellation goes to a domain that is not allowed",
             count_rows(fx, NULL, NULL, "cy@example.com", NULL, OUTBOX_PENDING) == 0,
             "mail queued to cy@example.com, whose domain is not allowed:\n%s", all);
}

/* ---- 10. an occurrence moved on its own ------------------------------------------------------- */

#define WEEKLY "RRULE:FREQ=WEEKLY;COUNT=5\n"

static void test_override_update(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_autofree char *master = vevent("w", NULL, MONDAY, ORG, WEEKLY ANN);
  ConfirmCounts c = step(fx, objs(vcal(master), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) first = need_row(fx, "w", "", "ann@example.org", "new", OUTBOX_PENDING);
  g_assert_cmpuint(sent_all(fx), ==, 1);

  /* The second Monday moves to 15:00. */
  g_autofree char *moved = vevent("w", "20260309T090000Z", "20260309T150000Z", ORG, ANN);
  g_autofree char *both = g_strconcat(master, moved, NULL);
  c = step(fx, objs(vcal(both), NULL));
  EXPECT_COUNTS(c, 1, 0, 0, 0, 0);
  g_autoptr(StoreOutboxRow) u = need_row(fx, "w", "20260309T090000Z", "ann@example.org", NULL, OUTBOX_PENDING);
  EXPECT(!strcmp(u->kind, "update"), "the moved occurrence gets %s", u->kind);
  EXPECT(!g_strcmp0(u->thread, first->message_id), "thread %s, series' first %s", u->thread, first->message_id);
  g_autofree char *msg = message_of(u);
  g_assert_nonnull(msg);
  g_autofree char *irt = header(msg, "In-Reply-To");
  EXPECT(!g_strcmp0(irt, first->message_id), "In-Reply-To %s, series' first %s", irt, first->message_id);
  g_autofree char *ics = calendar_part(msg);
  EXPECT(ics && strstr(ics, "RECURRENCE-ID:20260309T090000Z") && strstr(ics, "DTSTART:20260309T150000Z"),
         "ics:\n%s", ics);
  /* The series itself did not change. */
  g_assert_cmpuint(count_rows(fx, "w", "", NULL, NULL, -1), ==, 1);
}

/* The move undone (the override removed): the occurrence is back at the
 * series' time and still takes place. */
static void test_override_removed(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_autofree char *master = vevent("w", NULL, MONDAY, ORG, WEEKLY ANN);
  g_autofree char *moved = vevent("w", "20260309T090000Z", "20260309T150000Z", ORG, ANN);
  g_autofree char *both = g_strconcat(master, moved, NULL);
  step(fx, objs(vcal(master), NULL));
  step(fx, objs(vcal(both), NULL));
  g_assert_cmpuint(sent_all(fx), ==, 2);
  step(fx, objs(vcal(master), NULL));
  g_autofree char *all = outbox_text(fx);
  EXPECT_BUG("an override removed is cancelled", count_rows(fx, "w", NULL, NULL, "cancel", -1) == 0,
             "the occurrence of 9 March, back at 09:00 and still on, is cancelled:\n%s", all);
  /* The series goes again instead, which puts the occurrence back. */
  EXPECT(count_rows(fx, "w", "", NULL, "update", -1) == 1, "one update of the series:\n%s", all);
}

/* ---- 11. the past -------------------------------------------------------------------------- */

static void test_past(Fx *fx, gconstpointer data) {
  (void)data;
  g_hash_table_add(fx->news, g_strdup("p"));
  ConfirmCounts c = step(fx, objs(event("p", "20260228T090000Z", ANN), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_hash_table_remove_all(fx->news);
  c = step(fx, objs(event("p", "20260228T100000Z", ANN), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  c = step(fx, objs(event("p", "20260228T100000Z", ANN BOB), event("q", "20260301T100000Z", ANN), NULL));
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_assert_cmpuint(count_rows(fx, NULL, NULL, NULL, NULL, -1), ==, 0);
  g_assert_cmpuint(n_alerts(fx), ==, 0);
}

/* ---- 12. the same refresh twice ---------------------------------------------------------- */

/* Every row with its bytes, oldest first. */
static char *outbox_dump(Fx *fx) {
  g_autoptr(GPtrArray) rows = all_rows(fx);
  GString *s = g_string_new(NULL);
  for (guint i = rows->len; i-- > 0;) {
    const StoreOutboxRow *r = g_ptr_array_index(rows, i);
    g_autoptr(StoreOutboxRow) full = store_outbox_get(fx->store, r->id, TRUE, NULL);
    g_assert_nonnull(full);
    g_autofree char *msg = message_of(full);
    g_string_append_printf(s, "%" G_GINT64_FORMAT " %s %s %s %s %s %s\n%s\n", r->id, r->uid, r->recipient, r->kind,
                           outbox_state_name(r->state), r->message_id, r->hold ? r->hold : "-", msg ? msg : "-");
  }
  return g_string_free(s, FALSE);
}

static void test_idempotent(Fx *fx, gconstpointer data) {
  (void)data;
  baseline_empty(fx);
  g_hash_table_insert(fx->conflicts, g_strdup("b"), g_strdup(CLASH));
  g_autoptr(GPtrArray) objects = objs(event("a", MONDAY, ANN BOB), event("b", MONDAY_LATE, ANN), NULL);
  sync_objects(fx, objects);
  ConfirmCounts c = refresh_at(fx, NOW);
  EXPECT_COUNTS(c, 2, 1, 0, 0, 0);
  g_autofree char *once = outbox_dump(fx);
  for (int i = 0; i < 2; i++) {
    sync_objects(fx, objects);
    c = refresh_at(fx, NOW);
    EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  }
  g_autofree char *thrice = outbox_dump(fx);
  EXPECT(!strcmp(once, thrice), "the outbox changed:\n%s\n---\n%s", once, thrice);
  g_assert_cmpuint(n_alerts(fx), ==, 1);

  /* A change, refreshed twice: one update each, once. */
  g_assert_cmpuint(sent_all(fx), ==, 2);
  g_autoptr(GPtrArray) moved = objs(event("a", MONDAY_LATE, ANN BOB), event("b", MONDAY_LATE, ANN), NULL);
  sync_objects(fx, moved);
  c = refresh_at(fx, NOW + HOUR);
  EXPECT_COUNTS(c, 2, 0, 0, 0, 0);
  g_autofree char *after = outbox_dump(fx);
  c = refresh_at(fx, NOW + HOUR);
  EXPECT_COUNTS(c, 0, 0, 0, 0, 0);
  g_autofree char *again = outbox_dump(fx);
  EXPECT(!strcmp(after, again), "the outbox changed:\n%s\n---\n%s", after, again);
}

/* ---- main -------------------------------------------------------------------------------- */

#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  ADD("/confirmations/baseline", test_baseline);
  ADD("/confirmations/baseline-news", test_baseline_news);
  ADD("/confirmations/new/publish", test_new_publish);
  ADD("/confirmations/new/request", test_new_request);
  ADD("/confirmations/auto-schedule/plain", test_auto_schedule_plain);
  ADD("/confirmations/auto-schedule/skip", test_auto_schedule_skip);
  ADD("/confirmations/conflict/hold-release", test_conflict_hold_release);
  ADD("/confirmations/conflict/send", test_conflict_send);
  ADD("/confirmations/supersede/held", test_supersede_held);
  ADD("/confirmations/supersede/move-and-back", test_move_and_back);
  ADD("/confirmations/sent/update-cancel-add", test_update_cancel_add);
  ADD("/confirmations/deleted/sent", test_deleted);
  ADD("/confirmations/deleted/status-cancelled", test_status_cancelled);
  ADD("/confirmations/deleted/held", test_held_then_deleted);
  ADD("/confirmations/deleted/baseline", test_deleted_baseline);
  ADD("/confirmations/deleted/past", test_deleted_past);
  ADD("/confirmations/deleted/mass", test_mass_deletion);
  ADD("/confirmations/deleted/ten", test_ten_deletions);
  ADD("/confirmations/unconfirmed/turned-off", test_confirm_turned_off);
  ADD("/confirmations/unconfirmed/removed", test_calendar_removed_from_config);
  ADD("/confirmations/unconfirmed/moved-away", test_moved_to_unconfirmed_calendar);
  ADD("/confirmations/guards/max-recipients", test_max_recipients);
  ADD("/confirmations/guards/allow-domains", test_allow_domains);
  ADD("/confirmations/guards/allow-domains-after-invite", test_allow_domains_after_invite);
  ADD("/confirmations/override/update", test_override_update);
  ADD("/confirmations/override/removed", test_override_removed);
  ADD("/confirmations/past", test_past);
  ADD("/confirmations/idempotent", test_idempotent);
  return g_test_run();
}
