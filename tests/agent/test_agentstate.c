/* The agent's state in the store (agent/store_agent.c) and the reminder
 * arithmetic the agent relies on, with a fixed clock: what a refresh
 * keeps of what the owner did (snooze, dismiss) and what it drops, how
 * findings open, persist and resolve, alerts, sync outcomes, and when a
 * reminder counts as late. */
#include <glib/gstdio.h>
#include <string.h>

#include "reminders.h"
#include "store.h"
#include "testutil.h"

/* 2026-12-07 23:55:00 UTC, five minutes before midnight. */
#define NOW ((gint64)1796687700)

typedef struct {
  char *dir;
  Store *store;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data) {
  (void)data;
  f->dir = g_dir_make_tmp("diaryd-agentstate-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(f->dir, "diaryd.db", NULL);
  g_autoptr(GError) error = NULL;
  f->store = store_open(path, &error);
  g_assert_no_error(error);
}

static void fixture_tear_down(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_strdup(store_path(f->store));
  store_free(f->store);
  const char *suffixes[] = {"", "-wal", "-shm"};
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *p = g_strconcat(path, suffixes[i], NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->dir);
}

static StoreReminder trigger(const char *key, const char *uid, gint64 due, gint64 start) {
  return (StoreReminder){.key = (char *)key, .kind = "alarm", .uid = (char *)uid, .due = due, .start = start,
                         .end = start + 1800, .summary = "Stand-up", .state = REMINDER_PENDING, .next_at = due};
}

static void put(Store *s, StoreReminder r, gint64 generation) {
  g_autoptr(GError) error = NULL;
  g_assert_true(store_reminder_put(s, &r, generation, &error));
  g_assert_no_error(error);
}

static StoreReminder *get(Store *s, const char *key) {
  g_autoptr(GError) error = NULL;
  StoreReminder *r = store_reminder_get(s, key, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

/* Snoozed at 23:55 for ten minutes: due again at 00:05 the next day, and a
 * refresh in between (the one at local midnight) keeps the snooze. */
static void test_snooze_across_midnight(Fixture *f, gconstpointer data) {
  (void)data;
  put(f->store, trigger("k1", "u1", NOW, NOW + 900), 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) due = store_reminders_due(f->store, NOW, &error);
  g_assert_cmpuint(due->len, ==, 1);
  g_assert_true(store_reminder_set(f->store, "k1", REMINDER_SHOWN, NOW, NOW, &error));
  g_assert_true(store_reminder_set(f->store, "k1", REMINDER_SNOOZED, NOW + 600, NOW + 1, &error));
  /* The refresh at midnight lists the same trigger again. */
  put(f->store, trigger("k1", "u1", NOW, NOW + 900), 2);
  g_assert_true(store_reminders_prune(f->store, 2, NOW - 3600, NOW - 7 * 86400, &error));
  g_autoptr(StoreReminder) r = get(f->store, "k1");
  g_assert_cmpint(r->state, ==, REMINDER_SNOOZED);
  g_assert_cmpint(r->next_at, ==, NOW + 600);
  g_assert_cmpint(store_reminders_next(f->store, &error), ==, NOW + 600);
  g_autoptr(GPtrArray) before = store_reminders_due(f->store, NOW + 599, &error);
  g_assert_cmpuint(before->len, ==, 0);
  g_autoptr(GPtrArray) after = store_reminders_due(f->store, NOW + 600, &error);
  g_assert_cmpuint(after->len, ==, 1);
  g_assert_no_error(error);
}

/* What the owner did stays across refreshes and restarts; a trigger that
 * moved (the appointment moved) is a new reminder. */
static void test_state_kept_unless_moved(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  put(f->store, trigger("shown", "u1", NOW - 60, NOW + 600), 1);
  put(f->store, trigger("moved", "u2", NOW - 60, NOW + 600), 1);
  g_assert_true(store_reminder_set(f->store, "shown", REMINDER_SHOWN, NOW - 60, NOW, &error));
  g_assert_true(store_reminder_set(f->store, "moved", REMINDER_SHOWN, NOW - 60, NOW, &error));
  put(f->store, trigger("shown", "u1", NOW - 60, NOW + 600), 2);
  put(f->store, trigger("moved", "u2", NOW + 3540, NOW + 4200), 2);
  g_autoptr(StoreReminder) shown = get(f->store, "shown");
  g_autoptr(StoreReminder) moved = get(f->store, "moved");
  g_assert_cmpint(shown->state, ==, REMINDER_SHOWN);
  g_assert_cmpint(shown->shown_at, ==, NOW);
  g_assert_cmpint(moved->state, ==, REMINDER_PENDING);
  g_assert_cmpint(moved->next_at, ==, NOW + 3540);
  g_assert_cmpint(moved->shown_at, ==, 0);
  g_assert_no_error(error);
}

/* Dismiss: every trigger of that occurrence (its REPEATs too), not others. */
static void test_dismiss_occurrence(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  put(f->store, trigger("r0", "u1", NOW, NOW + 600), 1);
  put(f->store, trigger("r1", "u1", NOW + 30, NOW + 600), 1);
  put(f->store, trigger("next-week", "u1", NOW + 7 * 86400, NOW + 7 * 86400 + 600), 1);
  put(f->store, trigger("other", "u2", NOW + 30, NOW + 600), 1);
  g_assert_true(store_reminders_dismiss(f->store, "u1", NOW + 600, &error));
  const char *keys[] = {"r0", "r1", "next-week", "other"};
  const ReminderState want[] = {REMINDER_DISMISSED, REMINDER_DISMISSED, REMINDER_PENDING, REMINDER_PENDING};
  for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autoptr(StoreReminder) r = get(f->store, keys[i]);
    EXPECT(r->state == want[i], "%s: %s, want %s", keys[i], reminder_state_name(r->state),
           reminder_state_name(want[i]));
  }
  /* A refresh does not bring a dismissed one back. */
  put(f->store, trigger("r1", "u1", NOW + 30, NOW + 600), 2);
  g_autoptr(StoreReminder) r1 = get(f->store, "r1");
  g_assert_cmpint(r1->state, ==, REMINDER_DISMISSED);
  g_assert_no_error(error);
}

/* Prune: triggers a refresh no longer lists go (the appointment was deleted
 * or cancelled) unless they were shown or dismissed; old ones go after a
 * week; earlier than the refreshed window, nothing is judged. */
static void test_prune(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  put(f->store, trigger("gone-pending", "u1", NOW + 600, NOW + 1200), 1);
  put(f->store, trigger("gone-snoozed", "u2", NOW - 600, NOW + 1200), 1);
  put(f->store, trigger("gone-shown", "u3", NOW - 60, NOW + 1200), 1);
  put(f->store, trigger("before-window", "u4", NOW - 7200, NOW - 3600), 1);
  put(f->store, trigger("ancient", "u5", NOW - 8 * 86400, NOW - 8 * 86400 + 600), 1);
  put(f->store, trigger("kept", "u6", NOW + 600, NOW + 1200), 1);
  g_assert_true(store_reminder_set(f->store, "gone-snoozed", REMINDER_SNOOZED, NOW + 300, NOW, &error));
  g_assert_true(store_reminder_set(f->store, "gone-shown", REMINDER_SHOWN, NOW - 60, NOW, &error));
  put(f->store, trigger("kept", "u6", NOW + 600, NOW + 1200), 2);
  g_assert_true(store_reminders_prune(f->store, 2, NOW - 3600 + 1, NOW - 7 * 86400, &error));
  const char *present[] = {"gone-shown", "before-window", "kept"};
  const char *absent[] = {"gone-pending", "gone-snoozed", "ancient"};
  for (guint i = 0; i < G_N_ELEMENTS(present); i++) {
    g_autoptr(StoreReminder) r = store_reminder_get(f->store, present[i], NULL);
    EXPECT(r != NULL, "%s was pruned", present[i]);
  }
  for (guint i = 0; i < G_N_ELEMENTS(absent); i++) {
    g_autoptr(StoreReminder) r = store_reminder_get(f->store, absent[i], NULL);
    EXPECT(r == NULL, "%s was kept", absent[i]);
  }
  g_assert_no_error(error);
}

/* Missed while down: on time within the grace, late (one summary) within
 * the missed window, too late beyond it; the boundaries belong inside. */
static void test_lateness(void) {
  const struct {
    gint64 at;
    ReminderLateness want;
  } rows[] = {
      {NOW + 5, REMINDER_ON_TIME},          {NOW, REMINDER_ON_TIME},
      {NOW - 60, REMINDER_ON_TIME},         {NOW - 61, REMINDER_LATE},
      {NOW - 60 - 3600, REMINDER_LATE},     {NOW - 61 - 3600, REMINDER_TOO_LATE},
      {NOW - 3 * 86400, REMINDER_TOO_LATE},
  };
  for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
    ReminderLateness got = reminders_lateness(rows[i].at, NOW, 60, 3600);
    EXPECT(got == rows[i].want, "row %u: due %+" G_GINT64_FORMAT " s: got %d, want %d", i, rows[i].at - NOW, got,
           rows[i].want);
  }
  /* missed = 0: anything past the grace is too late. */
  EXPECT(reminders_lateness(NOW - 61, NOW, 60, 0) == REMINDER_TOO_LATE, "missed = 0");
}

/* Findings: a new key opens; a key still there is not news; a key gone is
 * resolved; a resolved key that comes back is opened again, as new. */
static void test_findings(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  StoreFinding a = {"conflict|a|b", "conflict", "error", "A overlaps B", 20795, 0, 0};
  g_assert_true(store_finding_put(f->store, &a, NOW, &error));
  a.message = "A overlaps B (renamed)";
  g_assert_true(store_finding_put(f->store, &a, NOW + 60, &error));
  g_autoptr(GHashTable) open = store_findings_open(f->store, &error);
  g_assert_cmpuint(g_hash_table_size(open), ==, 1);
  const StoreFinding *got = g_hash_table_lookup(open, "conflict|a|b");
  g_assert_cmpint(got->first_seen, ==, NOW);
  g_assert_cmpstr(got->message, ==, "A overlaps B (renamed)");
  g_assert_true(store_finding_resolve(f->store, "conflict|a|b", NOW + 120, &error));
  g_autoptr(GHashTable) none = store_findings_open(f->store, &error);
  g_assert_cmpuint(g_hash_table_size(none), ==, 0);
  g_assert_true(store_finding_put(f->store, &a, NOW + 180, &error));
  g_autoptr(GPtrArray) list = store_findings_list(f->store, &error);
  g_assert_cmpuint(list->len, ==, 1);
  g_assert_cmpint(((StoreFinding *)g_ptr_array_index(list, 0))->first_seen, ==, NOW + 180);
  /* Days gone by drop out without being "resolved". */
  g_assert_true(store_findings_prune(f->store, NOW, 20796, &error));
  g_autoptr(GPtrArray) after = store_findings_list(f->store, &error);
  g_assert_cmpuint(after->len, ==, 0);
  g_assert_no_error(error);
}

static void test_alerts_and_sync(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  StoreAlert one = {.created = NOW, .kind = "finding", .urgency = ALERT_CRITICAL, .summary = "Double booking",
                    .body = "A overlaps B"};
  g_assert_true(store_alert_add(f->store, &one, &error));
  g_autoptr(GPtrArray) pending = store_alerts_pending(f->store, &error);
  g_assert_cmpuint(pending->len, ==, 1);
  const StoreAlert *al = g_ptr_array_index(pending, 0);
  g_assert_cmpint(al->urgency, ==, ALERT_CRITICAL);
  g_assert_true(store_alert_shown(f->store, al->id, NOW, &error));
  g_autoptr(GPtrArray) none = store_alerts_pending(f->store, &error);
  g_assert_cmpuint(none->len, ==, 0);

  g_assert_true(store_sync_status_record(f->store, "work/Team", NOW, "synced", NULL, &error));
  g_assert_true(store_sync_status_record(f->store, "work/Team", NOW + 300, "failed", "HTTP 503", &error));
  g_assert_true(store_sync_status_record(f->store, "work/Team", NOW + 600, "failed", "HTTP 503", &error));
  g_assert_true(store_sync_status_set_next(f->store, "work/Team", NOW + 1800, &error));
  g_autoptr(GPtrArray) rows = store_sync_status_list(f->store, &error);
  g_assert_cmpuint(rows->len, ==, 1);
  const StoreSyncStatus *st = g_ptr_array_index(rows, 0);
  g_assert_cmpint(st->failures, ==, 2);
  g_assert_cmpint(st->ok_at, ==, NOW);
  g_assert_cmpint(st->next_at, ==, NOW + 1800);
  g_assert_cmpstr(st->error, ==, "HTTP 503");
  g_assert_true(store_sync_status_record(f->store, "work/Team", NOW + 900, "unchanged", NULL, &error));
  g_autoptr(GPtrArray) ok = store_sync_status_list(f->store, &error);
  st = g_ptr_array_index(ok, 0);
  g_assert_cmpint(st->failures, ==, 0);
  g_assert_cmpint(st->ok_at, ==, NOW + 900);
  g_assert_null(st->error);

  g_assert_cmpint(store_value_int(f->store, "review.0.day", -1), ==, -1);
  g_assert_true(store_value_set_int(f->store, "review.0.day", 20795, &error));
  g_assert_cmpint(store_value_int(f->store, "review.0.day", -1), ==, 20795);
  g_assert_no_error(error);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD("/agentstate/snooze-across-midnight", test_snooze_across_midnight);
  ADD("/agentstate/state-kept-unless-moved", test_state_kept_unless_moved);
  ADD("/agentstate/dismiss-occurrence", test_dismiss_occurrence);
  ADD("/agentstate/prune", test_prune);
  ADD("/agentstate/findings", test_findings);
  ADD("/agentstate/alerts-and-sync", test_alerts_and_sync);
  g_test_add_func("/agentstate/lateness", test_lateness);
  return g_test_run();
}
