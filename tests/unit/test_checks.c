/* Unit tests for the check rules (core/checks.c): one table per rule, each
 * row a small diary and the findings it must give.
 *
 * Diaries cover 2026-03-01 (Sunday) to 2026-04-06; most rows use UTC and
 * Monday 2026-03-02 (local day 20514).  The owner is me@example.com.
 * A finding is written as the UIDs of its occurrences joined by ">" (in the
 * finding's order), or for workload as its key without the "workload|"
 * prefix ("count|20514"); a row's expectation lists them, separated by
 * spaces, in any order. */
#include "oracle.h"
#include "testutil.h"

#include <string.h>

#include "when.h"

#define DAY_TUE 20515 /* 2026-03-03 */

#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\nSUMMARY:" uid "\n" body "END:VEVENT\n"
#define EV(uid, s, e, extra) VEV(uid, "DTSTART:" s "\nDTEND:" e "\n" extra)
#define ALLDAY(uid, d1, d2, extra) VEV(uid, "DTSTART;VALUE=DATE:" d1 "\nDTEND;VALUE=DATE:" d2 "\n" extra)
#define SUN(t) "20260301T" t "00Z"
#define MON(t) "20260302T" t "00Z"
#define TUE(t) "20260303T" t "00Z"
#define WED(t) "20260304T" t "00Z"
#define SAT(t) "20260307T" t "00Z"

#define LOC(x) "LOCATION:" x "\n"
#define TRANSPARENT "TRANSP:TRANSPARENT\n"
#define CANCELLED "STATUS:CANCELLED\n"
#define DECLINED_BY_ME "ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\n"

static const char *const owners[] = {"me@example.com", NULL};
static const char *const owner_domains[] = {"example.com", NULL};

/* ---- helpers --------------------------------------------------------------- */


static TestDiary *make_diary_range(const char *tz, const char *from, const char *to, const char *ics,
                                   const char *ics2) {
  return test_diary_sources(tz, from, to, owners, ics, ics2);
}

static TestDiary *make_diary(const char *tz, const char *ics, const char *ics2) {
  return make_diary_range(tz, "2026-03-01", "2026-04-06", ics, ics2);
}

static gint str_compare(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a>b c" for a finding list, sorted, space separated. */
static char *describe_one(const Finding *f) {
  if (f->check == CHECK_WORKLOAD)
    return g_strdup(g_str_has_prefix(f->key, "workload|") ? f->key + strlen("workload|") : f->key);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < f->occurrences->len; i++) {
    const FindingOcc *o = g_ptr_array_index(f->occurrences, i);
    g_string_append_printf(s, "%s%s", i ? ">" : "", o->uid);
  }
  return g_string_free(s, FALSE);
}

static char *sorted_words(GPtrArray *words) {
  g_ptr_array_sort(words, str_compare);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < words->len; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(words, i));
  return g_string_free(s, FALSE);
}

static char *describe(GPtrArray *findings, CheckKind kind) {
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    if (f->check == kind)
      g_ptr_array_add(words, describe_one(f));
  }
  return sorted_words(words);
}

static char *normalise_expectation(const char *text) {
  g_auto(GStrv) parts = g_strsplit(text, " ", -1);
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  for (char **p = parts; *p; p++)
    if (**p)
      g_ptr_array_add(words, g_strdup(*p));
  return sorted_words(words);
}

static const Occurrence *find_occurrence(const Diary *d, const char *uid, gint64 rid, gint64 start) {
  for (guint i = 0; i < diary_n_occurrences(d); i++) {
    const Occurrence *o = diary_occurrence(d, i);
    if (strcmp(o->series->uid, uid) == 0 && o->recurrence_id == rid && o->start == start)
      return o;
  }
  return NULL;
}


/* ---- suggestion oracle ------------------------------------------------------ */

static gboolean same_appointment(const Occurrence *a, const Occurrence *b) {
  return a == b || (strcmp(a->series->uid, b->series->uid) == 0 && a->recurrence_id == b->recurrence_id &&
                    (a->recurrence_id != APPT_NO_TIME || a->start == b->start));
}

static GPtrArray *appt_rooms(const Appointment *a) {
  return oracle_room_keys(a->location, (const char *const *)a->resources, a->attendees);
}

/* What the mover books besides its LOCATION (RESOURCES, room attendees by
 * name and address), as a NULL-terminated list for a SlotQuery. */
static GPtrArray *mover_resources(const Appointment *a) {
  GPtrArray *out = oracle_room_keys(NULL, (const char *const *)a->resources, a->attendees);
  g_ptr_array_add(out, NULL);
  return out;
}

/* Asserts that moving `mover` to `slot` raises no finding of its own. */
static void verify_slot(const Diary *d, const CheckRules *rules, const Occurrence *mover, const Slot *slot,
                        const char *label) {
  const Appointment *m = mover->appt;
  g_autofree char *when = test_format(slot->start);
  EXPECT(slot->end - slot->start == mover->end - mover->start, "%s: slot %s has the wrong length", label, when);
  gint64 step = rules->step;
  Zone *tz = diary_options(d)->tz;
  EXPECT(((zone_to_local(tz, slot->start) % step) + step) % step == 0, "%s: slot %s is off the %" G_GINT64_FORMAT
         " s grid", label, when, step);
  EXPECT(slot->start >= rules->now + rules->notice, "%s: slot %s is inside the notice period", label, when);
  EXPECT(oracle_in_hours(d, rules, slot->start, slot->end), "%s: slot %s is outside working hours", label, when);
  EXPECT(oracle_workload_ok(d, rules, slot->start, slot->end, mover), "%s: slot %s breaks a workload limit", label, when);
  g_autoptr(GPtrArray) res = mover_resources(m);
  SlotQuery q = {.duration = mover->end - mover->start,
                 .from = slot->start,
                 .to = slot->end,
                 .location = m->location,
                 .resources = (const char *const *)res->pdata,
                 .exclude = mover};
  CheckKind why = CHECK_N;
  gboolean is_free = slots_is_free(d, rules, &q, slot->start, &why);
  EXPECT(is_free, "%s: slots_is_free refuses suggested slot %s (%s)", label, when,
         is_free ? "-" : check_kind_name(why));
  g_autoptr(GPtrArray) mine = appt_rooms(m);
  for (guint i = 0; i < diary_n_occurrences(d); i++) {
    const Occurrence *o = diary_occurrence(d, i);
    if (same_appointment(o, mover))
      continue;
    gboolean overlap = o->start < slot->end && o->end > slot->start && o->end > o->start;
    if (overlap && o->appt->status != STATUS_CANCELLED) {
      g_autoptr(GPtrArray) theirs = appt_rooms(o->appt);
      EXPECT(!oracle_keys_meet(mine, theirs), "%s: slot %s books a room or resource that %s holds then", label, when,
             o->series->uid);
    }
    if (!diary_is_busy(d, o))
      continue;
    EXPECT(!overlap, "%s: slot %s overlaps busy %s", label, when, o->series->uid);
    if (o->end <= slot->start) {
      gint64 need = oracle_required_gap(rules, o->appt->location, m->location, m->travel);
      EXPECT(slot->start - o->end >= need, "%s: slot %s leaves %" G_GINT64_FORMAT " s after %s, %" G_GINT64_FORMAT
             " s needed", label, when, slot->start - o->end, o->series->uid, need);
    }
    if (o->start >= slot->end) {
      gint64 need = oracle_required_gap(rules, m->location, o->appt->location, o->appt->travel);
      EXPECT(o->start - slot->end >= need, "%s: slot %s leaves %" G_GINT64_FORMAT " s before %s, %" G_GINT64_FORMAT
             " s needed", label, when, o->start - slot->end, o->series->uid, need);
    }
  }
}

/* Checks the suggestions of one finding: the mover is named, at most
 * n_suggestions slots, in time order, each really free, and none farther
 * from the mover's start than a free slot that was left out. */
static void verify_suggestions(const TestDiary *t, const CheckRules *rules, const Finding *f) {
  const Diary *d = t->diary;
  g_assert_nonnull(f->move_uid);
  const FindingOcc *mo = NULL;
  for (guint i = 0; i < f->occurrences->len; i++) {
    const FindingOcc *o = g_ptr_array_index(f->occurrences, i);
    if (strcmp(o->uid, f->move_uid) == 0 && o->recurrence_id == f->move_recurrence_id)
      mo = o;
  }
  EXPECT(mo != NULL, "finding %s names a mover %s that is not one of its occurrences", f->key, f->move_uid);
  if (!mo)
    return;
  const Occurrence *mover = find_occurrence(d, mo->uid, mo->recurrence_id, mo->start);
  g_assert_nonnull(mover);
  g_assert_nonnull(f->slots);
  EXPECT(f->slots->len <= rules->n_suggestions, "%s: %u slots offered, at most %u wanted", f->key, f->slots->len,
         rules->n_suggestions);
  gint64 worst = 0;
  for (guint i = 0; i < f->slots->len; i++) {
    const Slot *s = &g_array_index(f->slots, Slot, i);
    if (i)
      EXPECT(s->start > g_array_index(f->slots, Slot, i - 1).start, "%s: slots not in time order", f->key);
    verify_slot(d, rules, mover, s, f->key);
    worst = MAX(worst, ABS(s->start - mover->start));
  }
  /* Nearest: every free slot that was left out is at least as far away. */
  g_autoptr(GPtrArray) res = mover_resources(mover->appt);
  SlotQuery q = {.duration = mover->end - mover->start,
                 .from = mover->start - rules->horizon,
                 .to = mover->start + rules->horizon,
                 .location = mover->appt->location,
                 .resources = (const char *const *)res->pdata,
                 .travel = mover->appt->travel,
                 .exclude = mover};
  g_autoptr(GArray) all = slots_find(d, rules, &q);
  for (guint i = 0; i < all->len; i++) {
    const Slot *s = &g_array_index(all, Slot, i);
    gboolean taken = FALSE;
    for (guint j = 0; j < f->slots->len; j++)
      taken |= g_array_index(f->slots, Slot, j).start == s->start;
    if (taken)
      continue;
    if (f->slots->len < rules->n_suggestions) {
      g_autofree char *when = test_format(s->start);
      EXPECT(FALSE, "%s: only %u slots offered but %s is free too", f->key, f->slots->len, when);
      break;
    }
    if (ABS(s->start - mover->start) < worst) {
      g_autofree char *when = test_format(s->start);
      EXPECT(FALSE, "%s: free slot %s is nearer than one offered", f->key, when);
      break;
    }
  }
}

/* ---- rule tables -------------------------------------------------------------- */

typedef struct {
  const char *name;
  CheckKind kind;
  const char *tz;              /* NULL: UTC */
  const char *ics, *ics2;      /* VEVENTs of a.ics and b.ics (may be NULL) */
  void (*tweak)(CheckRules *); /* may be NULL */
  const char *expect;          /* findings of `kind`, see the top of the file */
  const char *move;            /* move_uid every finding must name, or NULL */
  gint64 gap, required;        /* buffer: of every finding, when required > 0 */
} Row;

static void row_rules(const Row *row, CheckRules *rules) {
  test_rules(rules);
  rules->enabled = 1u << row->kind;
  if (row->tweak)
    row->tweak(rules);
}

static void run_row(gconstpointer data) {
  const Row *row = data;
  g_autoptr(TestDiary) t = make_diary(row->tz, row->ics, row->ics2);
  CheckRules rules;
  row_rules(row, &rules);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  for (guint i = 0; i < f->len; i++) {
    const Finding *x = g_ptr_array_index(f, i);
    EXPECT((rules.enabled & (1u << x->check)) != 0, "finding of disabled check %s: %s", check_kind_name(x->check),
           x->message);
  }
  g_autofree char *got = describe(f, row->kind);
  g_autofree char *want = normalise_expectation(row->expect);
  g_assert_cmpstr(got, ==, want);
  for (guint i = 0; i < f->len; i++) {
    const Finding *x = g_ptr_array_index(f, i);
    if (x->check != row->kind)
      continue;
    if (row->move)
      g_assert_cmpstr(x->move_uid, ==, row->move);
    if (row->required > 0) {
      g_assert_cmpint(x->gap, ==, row->gap);
      g_assert_cmpint(x->required, ==, row->required);
    }
  }
}

static void tw_max2(CheckRules *r) { r->max_per_day = 2; }
static void tw_no_break(CheckRules *r) { r->break_after = 0; }
static void tw_no_break_max2(CheckRules *r) {
  r->break_after = 0;
  r->max_per_day = 2;
}
static void tw_break_off_busy_on(CheckRules *r) {
  r->break_after = 0;
  r->max_per_day = 0;
}
static void tw_busy_off(CheckRules *r) {
  r->max_busy_per_day = 0;
  r->max_per_day = 0;
}
static void tw_all_day_hours(CheckRules *r) {
  for (int d = 0; d < 7; d++)
    r->hours[d] = (WorkHours){0, 24 * 60};
}
static void tw_weekdays_24h(CheckRules *r) {
  for (int d = 0; d < 7; d++)
    r->hours[d] = d < 5 ? (WorkHours){0, 24 * 60} : (WorkHours){0, 0};
}
static void tw_saturday_morning(CheckRules *r) { r->hours[5] = (WorkHours){10 * 60, 14 * 60}; }
static void tw_notice_off(CheckRules *r) { r->notice = 0; }
static void tw_notice_day(CheckRules *r) { r->notice = 86400; }
static void tw_require_none(CheckRules *r) {
  r->require = 0;
  r->owner_domains = owner_domains;
}
static void tw_require_attendees(CheckRules *r) {
  r->require = REQUIRE_TIME | REQUIRE_LOCATION | REQUIRE_ATTENDEES;
  r->owner_domains = owner_domains;
}
static void tw_require_notes(CheckRules *r) { r->require = REQUIRE_REQUIREMENTS; }
static void tw_require_time(CheckRules *r) { r->require = REQUIRE_TIME; }
static void tw_require_location(CheckRules *r) { r->require = REQUIRE_LOCATION; }
static void tw_domains(CheckRules *r) { r->owner_domains = owner_domains; }

#define NINE_ON_MONDAY                                                                                             \
  EV("w1", MON("0900"), MON("0915"), "") EV("w2", MON("0930"), MON("0945"), "")                                    \
  EV("w3", MON("1000"), MON("1015"), "") EV("w4", MON("1030"), MON("1045"), "")                                    \
  EV("w5", MON("1100"), MON("1115"), "") EV("w6", MON("1130"), MON("1145"), "")                                    \
  EV("w7", MON("1200"), MON("1215"), "") EV("w8", MON("1230"), MON("1245"), "")

#define DAILY3(uid, extra)                                                                                         \
  VEV(uid, "DTSTART:" MON("0900") "\nDTEND:" MON("1000") "\nRRULE:FREQ=DAILY;COUNT=3\n" extra)

static const Row conflict_rows[] = {
    {"overlap", CHECK_CONFLICT, NULL, EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), ""),
     NULL, NULL, "a>b", "b", 0, 0},
    {"touching", CHECK_CONFLICT, NULL, EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1000"), MON("1100"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"touching-reverse-order", CHECK_CONFLICT, NULL,
     EV("b", MON("1000"), MON("1100"), "") EV("a", MON("0900"), MON("1000"), ""), NULL, NULL, "", NULL, 0, 0},
    {"contained", CHECK_CONFLICT, NULL, EV("a", MON("0900"), MON("1200"), "") EV("b", MON("1000"), MON("1100"), ""),
     NULL, NULL, "a>b", "b", 0, 0},
    {"one-second", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), "20260302T100001Z", "") EV("b", MON("1000"), MON("1100"), ""), NULL, NULL, "a>b", "b", 0,
     0},
    {"identical-times", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0900"), MON("1000"), ""), NULL, NULL, "a>b", NULL, 0, 0},
    {"three-way", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1100"), "") EV("b", MON("1000"), MON("1200"), "")
         EV("c", MON("1030"), MON("1045"), ""),
     NULL, NULL, "a>b a>c b>c", NULL, 0, 0},
    {"zero-length-inside", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("z", MON("0930"), MON("0930"), ""), NULL, NULL, "", NULL, 0, 0},
    {"zero-length-no-dtend", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") VEV("z", "DTSTART:" MON("0930") "\n"), NULL, NULL, "", NULL, 0, 0},
    {"zero-length-same-start", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("z", MON("0900"), MON("0900"), ""), NULL, NULL, "", NULL, 0, 0},
    {"zero-length-pair", CHECK_CONFLICT, NULL,
     EV("y", MON("0900"), MON("0900"), "") EV("z", MON("0900"), MON("0900"), ""), NULL, NULL, "", NULL, 0, 0},
    {"transparent", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), TRANSPARENT), NULL, NULL, "", NULL, 0,
     0},
    {"transparent-first", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), TRANSPARENT) EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "", NULL, 0,
     0},
    {"opaque-explicit", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "TRANSP:OPAQUE\n") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "a>b",
     NULL, 0, 0},
    {"cancelled", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), CANCELLED), NULL, NULL, "", NULL, 0, 0},
    {"cancelled-first", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), CANCELLED) EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "", NULL, 0, 0},
    {"tentative-is-busy", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "STATUS:TENTATIVE\n") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL,
     "a>b", NULL, 0, 0},
    {"declined-by-owner", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), DECLINED_BY_ME), NULL, NULL, "", NULL,
     0, 0},
    {"declined-by-owner-mixed-case", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;PARTSTAT=DECLINED:mailto:Me@Example.COM\n"),
     NULL, NULL, "", NULL, 0, 0},
    {"accepted-by-owner", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"declined-by-someone-else", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "")
         EV("b", MON("0930"), MON("1030"),
            "ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"all-day-vs-timed", CHECK_CONFLICT, NULL,
     ALLDAY("d", "20260302", "20260303", "") EV("a", MON("1000"), MON("1100"), ""), NULL, NULL, "d>a", NULL, 0, 0},
    {"all-day-transparent", CHECK_CONFLICT, NULL,
     ALLDAY("d", "20260302", "20260303", TRANSPARENT) EV("a", MON("1000"), MON("1100"), ""), NULL, NULL, "", NULL, 0,
     0},
    {"all-day-vs-all-day", CHECK_CONFLICT, NULL,
     ALLDAY("d", "20260302", "20260303", "") ALLDAY("e", "20260302", "20260304", ""), NULL, NULL, "d>e", NULL, 0, 0},
    {"all-day-next-day-touches", CHECK_CONFLICT, NULL,
     EV("a", MON("2300"), TUE("0000"), "") ALLDAY("d", "20260303", "20260304", ""), NULL, NULL, "", NULL, 0, 0},
    {"all-day-no-dtend", CHECK_CONFLICT, NULL,
     VEV("d", "DTSTART;VALUE=DATE:20260302\n") EV("a", MON("2330"), TUE("0030"), ""), NULL, NULL, "d>a", NULL, 0, 0},
    {"all-day-local-midnight-touch", CHECK_CONFLICT, "Europe/Berlin",
     EV("a", MON("2200"), MON("2300"), "") ALLDAY("d", "20260303", "20260304", ""), NULL, NULL, "", NULL, 0, 0},
    {"all-day-local-midnight-overlap", CHECK_CONFLICT, "Europe/Berlin",
     EV("a", MON("2230"), MON("2330"), "") ALLDAY("d", "20260303", "20260304", ""), NULL, NULL, "a>d", NULL, 0, 0},
    {"multi-day-overlap", CHECK_CONFLICT, NULL,
     EV("a", MON("1600"), TUE("1000"), "") EV("b", TUE("0900"), TUE("1100"), ""), NULL, NULL, "a>b", NULL, 0, 0},
    {"recurring-vs-single", CHECK_CONFLICT, NULL,
     DAILY3("r", "") EV("w", WED("0930"), WED("1000"), ""), NULL, NULL, "r>w", NULL, 0, 0},
    {"recurring-overlaps-itself", CHECK_CONFLICT, NULL,
     VEV("h", "DTSTART:" MON("0900") "\nDTEND:" MON("1030") "\nRRULE:FREQ=HOURLY;COUNT=3\n"), NULL, NULL,
     "h>h h>h", NULL, 0, 0},
    {"exdate", CHECK_CONFLICT, NULL, DAILY3("r", "EXDATE:" TUE("0900") "\n") EV("t", TUE("0930"), TUE("1000"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"override-moved-away", CHECK_CONFLICT, NULL,
     DAILY3("r", "") VEV("r", "RECURRENCE-ID:" TUE("0900") "\nDTSTART:" TUE("1400") "\nDTEND:" TUE("1500") "\n")
         EV("t", TUE("0930"), TUE("1000"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"override-moved-into", CHECK_CONFLICT, NULL,
     DAILY3("r", "") VEV("r", "RECURRENCE-ID:" TUE("0900") "\nDTSTART:" TUE("1400") "\nDTEND:" TUE("1500") "\n")
         EV("t", TUE("1430"), TUE("1530"), ""),
     NULL, NULL, "r>t", NULL, 0, 0},
    {"override-cancelled", CHECK_CONFLICT, NULL,
     DAILY3("r", "") VEV("r", "RECURRENCE-ID:" TUE("0900") "\nDTSTART:" TUE("0900") "\nDTEND:" TUE("1000") "\n"
                              "STATUS:CANCELLED\n")
         EV("t", TUE("0930"), TUE("1000"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"same-uid-two-sources", CHECK_CONFLICT, NULL, EV("x", MON("0900"), MON("1000"), ""),
     EV("x", MON("0900"), MON("1000"), ""), NULL, "", NULL, 0, 0},
    {"same-uid-two-sources-recurring", CHECK_CONFLICT, NULL, DAILY3("r", ""), DAILY3("r", ""), NULL, "", NULL, 0, 0},
    {"same-uid-two-sources-different-times", CHECK_CONFLICT, NULL, EV("x", MON("0900"), MON("1000"), ""),
     EV("x", MON("0930"), MON("1030"), "SEQUENCE:1\n"), NULL, "", NULL, 0, 0},
    {"different-uids-two-sources", CHECK_CONFLICT, NULL, EV("x", MON("0900"), MON("1000"), ""),
     EV("y", MON("0930"), MON("1030"), ""), NULL, "x>y", "y", 0, 0},
};

/* Which of a clashing pair should move: priority class, then creation, then start. */
static const Row mover_rows[] = {
    {"later-start-moves", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "a>b", "b", 0, 0},
    {"high-stays", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "a>b",
     "b", 0, 0},
    {"high-later-stays", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), "PRIORITY:1\n"), NULL, NULL, "a>b",
     "a", 0, 0},
    {"priority-4-is-high", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), "PRIORITY:4\n"), NULL, NULL, "a>b",
     "a", 0, 0},
    {"priority-5-is-medium", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:5\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:0\n"), NULL,
     NULL, "a>b", "b", 0, 0},
    {"low-moves", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:9\n") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "a>b",
     "a", 0, 0},
    {"priority-6-is-low", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:6\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:5\n"), NULL,
     NULL, "a>b", "a", 0, 0},
    {"low-vs-high", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:2\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:7\n"), NULL,
     NULL, "a>b", "b", 0, 0},
    {"importance-high", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), "X-MICROSOFT-CDO-IMPORTANCE:2\n"), NULL,
     NULL, "a>b", "a", 0, 0},
    {"importance-low", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "X-MICROSOFT-CDO-IMPORTANCE:0\n") EV("b", MON("0930"), MON("1030"), ""), NULL,
     NULL, "a>b", "a", 0, 0},
    {"importance-normal", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "X-MICROSOFT-CDO-IMPORTANCE:1\n") EV("b", MON("0930"), MON("1030"), ""), NULL,
     NULL, "a>b", "b", 0, 0},
    {"importance-with-priority-0", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"),
                                               "PRIORITY:0\nX-MICROSOFT-CDO-IMPORTANCE:2\n"),
     NULL, NULL, "a>b", "a", 0, 0},
    {"priority-beats-importance", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"),
                                               "PRIORITY:9\nX-MICROSOFT-CDO-IMPORTANCE:2\n"),
     NULL, NULL, "a>b", "b", 0, 0},
    {"created-later-moves", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "CREATED:20260201T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "CREATED:20260101T000000Z\n"),
     NULL, NULL, "a>b", "a", 0, 0},
    {"dtstamp-when-no-created", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "DTSTAMP:20260201T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "DTSTAMP:20260101T000000Z\n"),
     NULL, NULL, "a>b", "a", 0, 0},
    {"created-before-dtstamp", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "CREATED:20260201T000000Z\nDTSTAMP:20260101T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "CREATED:20260101T000000Z\nDTSTAMP:20260301T000000Z\n"),
     NULL, NULL, "a>b", "a", 0, 0},
    {"last-modified-fallback", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "LAST-MODIFIED:20260201T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "LAST-MODIFIED:20260101T000000Z\n"),
     NULL, NULL, "a>b", "a", 0, 0},
    {"priority-beats-creation", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\nCREATED:20260201T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "CREATED:20260101T000000Z\n"),
     NULL, NULL, "a>b", "b", 0, 0},
    {"same-creation-later-start", CHECK_CONFLICT, NULL,
     EV("a", MON("0900"), MON("1000"), "CREATED:20260101T000000Z\n")
         EV("b", MON("0930"), MON("1030"), "CREATED:20260101T000000Z\n"),
     NULL, NULL, "a>b", "b", 0, 0},
};

static const Row priority_rows[] = {
    {"urgent-first", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "a>b",
     "b", 0, 0},
    {"urgent-later", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), "PRIORITY:2\n"), NULL, NULL, "b>a",
     "a", 0, 0},
    {"urgent-vs-low", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:9\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:3\n"), NULL,
     NULL, "b>a", "a", 0, 0},
    {"importance-urgent", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), "X-MICROSOFT-CDO-IMPORTANCE:2\n"), NULL,
     NULL, "b>a", "a", 0, 0},
    {"both-urgent", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:4\n"), NULL,
     NULL, "", NULL, 0, 0},
    {"neither-urgent", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:5\n") EV("b", MON("0930"), MON("1030"), "PRIORITY:9\n"), NULL,
     NULL, "", NULL, 0, 0},
    {"urgent-vs-transparent", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), TRANSPARENT), NULL, NULL,
     "", NULL, 0, 0},
    {"urgent-vs-cancelled", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), CANCELLED), NULL, NULL, "",
     NULL, 0, 0},
    {"urgent-vs-declined", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("1030"), DECLINED_BY_ME), NULL,
     NULL, "", NULL, 0, 0},
    {"urgent-touching", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("1000"), MON("1030"), ""), NULL, NULL, "", NULL,
     0, 0},
    {"urgent-vs-zero-length", CHECK_PRIORITY, NULL,
     EV("a", MON("0900"), MON("1000"), "PRIORITY:1\n") EV("b", MON("0930"), MON("0930"), ""), NULL, NULL, "", NULL,
     0, 0},
};

static const Row resource_rows[] = {
    {"same-location", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("0930"), MON("1030"), LOC("Room 1")), NULL, NULL,
     "a>b", "b", 0, 0},
    {"location-normalised", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("0930"), MON("1030"), LOC("  ROOM \t  1 ")), NULL,
     NULL, "a>b", NULL, 0, 0},
    {"different-locations", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("0930"), MON("1030"), LOC("Room 2")), NULL, NULL,
     "", NULL, 0, 0},
    {"touching", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("1000"), MON("1030"), LOC("Room 1")), NULL, NULL,
     "", NULL, 0, 0},
    {"transparent-still-books", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1") TRANSPARENT)
         EV("b", MON("0930"), MON("1030"), LOC("Room 1") TRANSPARENT),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"cancelled", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("0930"), MON("1030"), LOC("Room 1") CANCELLED),
     NULL, NULL, "", NULL, 0, 0},
    {"cancelled-first", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1") CANCELLED) EV("b", MON("0930"), MON("1030"), LOC("Room 1")),
     NULL, NULL, "", NULL, 0, 0},
    {"url-location", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("https://meet.example.com/abc"))
         EV("b", MON("0930"), MON("1030"), LOC("https://meet.example.com/abc")),
     NULL, NULL, "", NULL, 0, 0},
    {"resources-entry", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1") "RESOURCES:Projector\n")
         EV("b", MON("0930"), MON("1030"), LOC("Room 2") "RESOURCES:Projector\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"resources-list", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "RESOURCES:Projector,Flipchart\n")
         EV("b", MON("0930"), MON("1030"), "RESOURCES:FLIPCHART\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"different-resources", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "RESOURCES:Projector\n") EV("b", MON("0930"), MON("1030"),
                                                                    "RESOURCES:Flipchart\n"),
     NULL, NULL, "", NULL, 0, 0},
    {"room-attendee", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"room-by-address", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;CUTYPE=ROOM:mailto:BOARD@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"room-by-name", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;CUTYPE=ROOM;CN=board room:mailto:board-2@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"room-declined", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n")
         EV("b", MON("0930"), MON("1030"),
            "ATTENDEE;CUTYPE=ROOM;PARTSTAT=DECLINED;CN=Board Room:mailto:board@example.com\n"),
     NULL, NULL, "", NULL, 0, 0},
    {"equipment-attendee", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CUTYPE=RESOURCE;CN=Van 2:mailto:van2@example.com\n")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;CUTYPE=RESOURCE;CN=Van 2:mailto:van2@example.com\n"),
     NULL, NULL, "a>b", NULL, 0, 0},
    {"people-are-not-rooms", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "ATTENDEE;CN=Bob:mailto:bob@example.com\n")
         EV("b", MON("0930"), MON("1030"), "ATTENDEE;CUTYPE=INDIVIDUAL;CN=Bob:mailto:bob@example.com\n"),
     NULL, NULL, "", NULL, 0, 0},
    {"no-location", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("0930"), MON("1030"), ""), NULL, NULL, "", NULL, 0, 0},
    {"zero-length", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("0930"), MON("0930"), LOC("Room 1")), NULL, NULL,
     "", NULL, 0, 0},
    {"not-overlapping", CHECK_RESOURCE, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Room 1")) EV("b", MON("1100"), MON("1200"), LOC("Room 1")), NULL, NULL,
     "", NULL, 0, 0},
    {"same-uid-two-sources", CHECK_RESOURCE, NULL, EV("x", MON("0900"), MON("1000"), LOC("Room 1")),
     EV("x", MON("0900"), MON("1000"), LOC("Room 1")), NULL, "", NULL, 0, 0},
    {"two-sources", CHECK_RESOURCE, NULL, EV("a", MON("0900"), MON("1000"), LOC("Room 1")),
     EV("b", MON("0930"), MON("1030"), LOC("room 1")), NULL, "a>b", NULL, 0, 0},
};

static const Row buffer_rows[] = {
    {"short-gap", CHECK_BUFFER, NULL, EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1005"), MON("1100"), ""),
     NULL, NULL, "a>b", NULL, 300, 600},
    {"exact-buffer", CHECK_BUFFER, NULL, EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1010"), MON("1100"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"touching", CHECK_BUFFER, NULL, EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1000"), MON("1100"), ""),
     NULL, NULL, "a>b", NULL, 0, 600},
    {"same-place-folded", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("b", MON("1015"), MON("1100"), LOC(" OFFICE ")), NULL,
     NULL, "", NULL, 0, 0},
    {"same-place-short", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("b", MON("1005"), MON("1100"), LOC("office")), NULL, NULL,
     "a>b", NULL, 300, 600},
    {"travel", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("b", MON("1015"), MON("1100"), LOC("Client site")), NULL,
     NULL, "a>b", NULL, 900, 1800},
    {"travel-exact", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("b", MON("1030"), MON("1100"), LOC("Client site")), NULL,
     NULL, "", NULL, 0, 0},
    {"one-location-unknown", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("b", MON("1015"), MON("1100"), ""), NULL, NULL, "", NULL, 0,
     0},
    {"apple-travel", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1045"), MON("1130"), "X-APPLE-TRAVEL-DURATION:PT1H\n"), NULL,
     NULL, "a>b", NULL, 2700, 3600},
    {"apple-travel-long", CHECK_BUFFER, NULL,
     EV("a", MON("0800"), MON("0900"), "") EV("b", MON("1100"), MON("1130"), "X-APPLE-TRAVEL-DURATION:PT3H\n"), NULL,
     NULL, "a>b", NULL, 7200, 10800},
    {"apple-travel-on-first-only", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "X-APPLE-TRAVEL-DURATION:PT1H\n") EV("b", MON("1045"), MON("1130"), ""), NULL,
     NULL, "", NULL, 0, 0},
    {"apple-travel-smaller", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office"))
         EV("b", MON("1020"), MON("1100"), LOC("Client site") "X-APPLE-TRAVEL-DURATION:PT15M\n"),
     NULL, NULL, "a>b", NULL, 1200, 1800},
    {"apple-travel-behind-transparent", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("x", MON("1040"), MON("1050"), TRANSPARENT)
         EV("b", MON("1045"), MON("1130"), "X-APPLE-TRAVEL-DURATION:PT1H\n"),
     NULL, NULL, "a>b", NULL, 2700, 3600},
    {"apple-travel-behind-overlapping", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("x", MON("1040"), MON("1050"), "")
         EV("b", MON("1045"), MON("1130"), "X-APPLE-TRAVEL-DURATION:PT1H\n"),
     NULL, NULL, "a>b", NULL, 2700, 3600},
    {"something-between", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("c", MON("1001"), MON("1004"), "") EV("b", MON("1005"), MON("1100"), ""),
     NULL, NULL, "a>c c>b", NULL, 60, 600},
    {"between-transparent-does-not-count", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("c", MON("1001"), MON("1004"), TRANSPARENT)
         EV("b", MON("1005"), MON("1100"), ""),
     NULL, NULL, "a>b", NULL, 300, 600},
    {"between-partly", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("c", MON("0930"), MON("1002"), "") EV("b", MON("1005"), MON("1100"), ""),
     NULL, NULL, "a>b c>b", NULL, 0, 0},
    {"between-fills-gap", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), LOC("Office")) EV("c", MON("1000"), MON("1020"), LOC("Office"))
         EV("b", MON("1020"), MON("1100"), LOC("Office")),
     NULL, NULL, "a>c c>b", NULL, 0, 600},
    {"transparent-second", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1005"), MON("1100"), TRANSPARENT), NULL, NULL, "", NULL, 0,
     0},
    {"cancelled-first", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), CANCELLED) EV("b", MON("1005"), MON("1100"), ""), NULL, NULL, "", NULL, 0, 0},
    {"declined-second", CHECK_BUFFER, NULL,
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1005"), MON("1100"), DECLINED_BY_ME), NULL, NULL, "", NULL,
     0, 0},
    {"overnight", CHECK_BUFFER, NULL, EV("a", MON("1600"), MON("1700"), "") EV("b", TUE("0900"), TUE("1000"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"across-midnight", CHECK_BUFFER, NULL,
     EV("a", MON("2300"), MON("2355"), "") EV("b", TUE("0000"), TUE("0100"), ""), NULL, NULL, "a>b", NULL, 300, 600},
    {"recurring", CHECK_BUFFER, NULL, DAILY3("r", "") EV("b", TUE("1005"), TUE("1100"), ""), NULL, NULL, "r>b", NULL,
     300, 600},
    {"two-sources", CHECK_BUFFER, NULL, EV("a", MON("0900"), MON("1000"), ""), EV("b", MON("1005"), MON("1100"), ""),
     NULL, "a>b", NULL, 300, 600},
    {"same-uid-two-sources-moved", CHECK_BUFFER, NULL, EV("x", MON("0900"), MON("1000"), ""),
     EV("x", MON("1005"), MON("1100"), "SEQUENCE:1\n"), NULL, "", NULL, 0, 0},
};

static const Row hours_rows[] = {
    {"inside", CHECK_HOURS, NULL, EV("a", MON("0900"), MON("1700"), ""), NULL, NULL, "", NULL, 0, 0},
    {"ends-at-17", CHECK_HOURS, NULL, EV("a", MON("1600"), MON("1700"), ""), NULL, NULL, "", NULL, 0, 0},
    {"starts-at-9", CHECK_HOURS, NULL, EV("a", MON("0900"), MON("0930"), ""), NULL, NULL, "", NULL, 0, 0},
    {"starts-before", CHECK_HOURS, NULL, EV("a", MON("0859"), MON("0930"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"ends-after", CHECK_HOURS, NULL, EV("a", MON("1630"), MON("1701"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"evening", CHECK_HOURS, NULL, EV("a", MON("1700"), MON("1800"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"early", CHECK_HOURS, NULL, EV("a", MON("0700"), MON("0800"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"saturday", CHECK_HOURS, NULL, EV("a", SAT("1000"), SAT("1100"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"sunday", CHECK_HOURS, NULL, EV("a", SUN("1000"), SUN("1100"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"all-day-weekday", CHECK_HOURS, NULL, ALLDAY("d", "20260302", "20260303", ""), NULL, NULL, "", NULL, 0, 0},
    {"all-day-saturday", CHECK_HOURS, NULL, ALLDAY("d", "20260307", "20260308", ""), NULL, NULL, "", NULL, 0, 0},
    {"transparent", CHECK_HOURS, NULL, EV("a", MON("0700"), MON("0800"), TRANSPARENT), NULL, NULL, "", NULL, 0, 0},
    {"cancelled", CHECK_HOURS, NULL, EV("a", MON("0700"), MON("0800"), CANCELLED), NULL, NULL, "", NULL, 0, 0},
    {"declined", CHECK_HOURS, NULL, EV("a", MON("0700"), MON("0800"), DECLINED_BY_ME), NULL, NULL, "", NULL, 0, 0},
    {"overnight", CHECK_HOURS, NULL, EV("a", MON("1600"), TUE("1000"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"whole-working-day-plus-one-minute", CHECK_HOURS, NULL, EV("a", MON("0900"), "20260302T170100Z", ""), NULL,
     NULL, "a", NULL, 0, 0},
    {"local-inside", CHECK_HOURS, "Europe/Berlin", EV("a", MON("0800"), MON("1600"), ""), NULL, NULL, "", NULL, 0,
     0},
    {"local-after", CHECK_HOURS, "Europe/Berlin", EV("a", MON("1600"), MON("1630"), ""), NULL, NULL, "a", NULL, 0,
     0},
    {"local-before", CHECK_HOURS, "America/New_York", EV("a", MON("1300"), MON("1400"), ""), NULL, NULL, "a", NULL,
     0, 0},
    {"summer-time-inside", CHECK_HOURS, "Europe/London",
     EV("a", "20260330T080000Z", "20260330T160000Z", ""), NULL, NULL, "", NULL, 0, 0},
    {"summer-time-early", CHECK_HOURS, "Europe/London", EV("a", "20260330T073000Z", "20260330T083000Z", ""), NULL,
     NULL, "a", NULL, 0, 0},
    {"summer-time-late", CHECK_HOURS, "Europe/London", EV("a", "20260330T153000Z", "20260330T163000Z", ""), NULL,
     NULL, "a", NULL, 0, 0},
    {"ends-at-midnight-24h", CHECK_HOURS, NULL, EV("a", MON("2300"), TUE("0000"), ""), NULL, tw_all_day_hours, "",
     NULL, 0, 0},
    {"crosses-midnight-24h", CHECK_HOURS, NULL, EV("a", MON("2300"), TUE("0001"), ""), NULL, tw_all_day_hours, "",
     NULL, 0, 0},
    {"crosses-midnight-office-hours", CHECK_HOURS, NULL, EV("a", MON("1600"), TUE("1000"), ""), NULL, NULL, "a", NULL,
     0, 0},
    {"crosses-into-a-day-off-24h", CHECK_HOURS, NULL, EV("a", "20260305T230000Z", "20260306T010000Z", ""), NULL,
     tw_weekdays_24h, "", NULL, 0, 0},
    {"crosses-into-saturday-off", CHECK_HOURS, NULL, EV("a", "20260306T230000Z", "20260307T010000Z", ""), NULL,
     tw_weekdays_24h, "a", NULL, 0, 0},
    {"ten-days-24-7", CHECK_HOURS, NULL, EV("a", MON("0900"), "20260312T090000Z", ""), NULL, tw_all_day_hours, "",
     NULL, 0, 0},
    {"saturday-morning-on", CHECK_HOURS, NULL, EV("a", SAT("1000"), SAT("1400"), ""), NULL, tw_saturday_morning, "",
     NULL, 0, 0},
    {"saturday-afternoon", CHECK_HOURS, NULL, EV("a", SAT("1300"), SAT("1500"), ""), NULL, tw_saturday_morning, "a",
     NULL, 0, 0},
    {"recurring-week", CHECK_HOURS, NULL,
     VEV("r", "DTSTART:" MON("1000") "\nDTEND:" MON("1100") "\nRRULE:FREQ=DAILY;COUNT=7\n"), NULL, NULL, "r r", NULL,
     0, 0},
};

static const Row workload_rows[] = {
    {"eight-is-fine", CHECK_WORKLOAD, NULL, NINE_ON_MONDAY, NULL, NULL, "", NULL, 0, 0},
    {"nine-is-too-many", CHECK_WORKLOAD, NULL, NINE_ON_MONDAY EV("w9", MON("1300"), MON("1315"), ""), NULL, NULL,
     "count|20514", NULL, 0, 0},
    {"nine-recurring", CHECK_WORKLOAD, NULL,
     VEV("h", "DTSTART:" MON("0900") "\nDTEND:" MON("0915") "\nRRULE:FREQ=HOURLY;COUNT=9\n"), NULL, NULL,
     "count|20514", NULL, 0, 0},
    {"nine-one-transparent", CHECK_WORKLOAD, NULL, NINE_ON_MONDAY EV("w9", MON("1300"), MON("1315"), TRANSPARENT),
     NULL, NULL, "", NULL, 0, 0},
    {"three-max-two", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("0930"), "") EV("b", MON("1000"), MON("1030"), "") EV("c", MON("1100"), MON("1130"), ""),
     NULL, tw_max2, "count|20514", NULL, 0, 0},
    {"ignored-kinds-max-two", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("0930"), "") EV("b", MON("1000"), MON("1030"), "")
         EV("c", MON("1100"), MON("1130"), TRANSPARENT) EV("d", MON("1200"), MON("1230"), CANCELLED)
             EV("e", MON("1300"), MON("1330"), DECLINED_BY_ME) ALLDAY("f", "20260302", "20260303", ""),
     NULL, tw_max2, "", NULL, 0, 0},
    {"counted-on-start-day", CHECK_WORKLOAD, NULL,
     EV("s", SUN("2300"), MON("0030"), "") EV("a", MON("0900"), MON("0930"), "") EV("b", MON("1000"), MON("1030"), ""),
     NULL, tw_max2, "", NULL, 0, 0},
    {"busy-over", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("1300"), "") EV("b", MON("1330"), "20260302T173100Z", ""), NULL, tw_no_break,
     "busy|20514", NULL, 0, 0},
    {"busy-exact", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), MON("1300"), "") EV("b", MON("1330"), MON("1730"), ""),
     NULL, tw_no_break, "", NULL, 0, 0},
    {"busy-union", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), MON("1700"), "") EV("b", MON("1000"), MON("1200"), ""),
     NULL, tw_no_break, "", NULL, 0, 0},
    {"busy-union-over", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("1700"), "") EV("b", MON("1630"), "20260302T170100Z", ""), NULL, tw_no_break,
     "busy|20514", NULL, 0, 0},
    {"busy-split-at-midnight", CHECK_WORKLOAD, NULL, EV("a", SUN("2000"), MON("0500"), ""), NULL, tw_no_break, "",
     NULL, 0, 0},
    {"busy-transparent", CHECK_WORKLOAD, NULL, EV("a", MON("0800"), MON("1800"), TRANSPARENT), NULL, tw_no_break, "",
     NULL, 0, 0},
    {"busy-local-day", CHECK_WORKLOAD, "Europe/Berlin", EV("a", MON("0300"), MON("1200"), ""), NULL, tw_no_break,
     "busy|20514", NULL, 0, 0},
    {"break-exact", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), MON("1300"), ""), NULL, NULL, "", NULL, 0, 0},
    {"break-over", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), "20260302T130100Z", ""), NULL, NULL, "break|20514",
     NULL, 0, 0},
    {"break-too-short", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("1100"), "") EV("b", MON("1110"), MON("1310"), ""), NULL, NULL, "break|20514", NULL, 0,
     0},
    {"break-long-enough", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("1100"), "") EV("b", MON("1115"), MON("1315"), ""), NULL, NULL, "", NULL, 0, 0},
    {"break-back-to-back", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("1100"), "") EV("b", MON("1100"), MON("1130"), "") EV("c", MON("1130"), MON("1305"), ""),
     NULL, tw_busy_off, "break|20514", NULL, 0, 0},
    {"break-off", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), MON("1400"), ""), NULL, tw_no_break, "", NULL, 0, 0},
    {"break-transparent", CHECK_WORKLOAD, NULL, EV("a", MON("0900"), MON("1400"), TRANSPARENT), NULL, NULL, "", NULL,
     0, 0},
    {"break-split-at-midnight", CHECK_WORKLOAD, NULL, EV("a", SUN("2200"), MON("0100"), "")
                                                          EV("b", MON("0100"), MON("0300"), ""),
     NULL, NULL, "", NULL, 0, 0},
    {"busy-with-many", CHECK_WORKLOAD, NULL,
     NINE_ON_MONDAY EV("w9", MON("1300"), "20260302T220000Z", ""), NULL, tw_break_off_busy_on, "busy|20514", NULL, 0,
     0},
    {"count-and-break", CHECK_WORKLOAD, NULL, NINE_ON_MONDAY EV("w9", MON("1300"), "20260302T170100Z", ""), NULL,
     NULL, "count|20514 break|20514", NULL, 0, 0},
    {"two-days", CHECK_WORKLOAD, NULL,
     EV("a", MON("0900"), MON("0930"), "") EV("b", MON("1000"), MON("1030"), "") EV("c", MON("1100"), MON("1130"), "")
         EV("d", TUE("0900"), TUE("0930"), "") EV("e", TUE("1000"), TUE("1030"), "")
             EV("f", TUE("1100"), TUE("1130"), ""),
     NULL, tw_no_break_max2, "count|20514 count|20515", NULL, 0, 0},
};

static const Row notice_rows[] = {
    {"late", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:" MON("0900") "\n"), NULL, NULL, "a",
     NULL, 0, 0},
    {"exactly-enough", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:" MON("0800") "\n"), NULL, NULL,
     "", NULL, 0, 0},
    {"one-minute-short", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:" MON("0801") "\n"), NULL,
     NULL, "a", NULL, 0, 0},
    {"early", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:20260101T000000Z\n"), NULL, NULL, "",
     NULL, 0, 0},
    {"dtstamp-fallback", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "DTSTAMP:" MON("0900") "\n"), NULL,
     NULL, "a", NULL, 0, 0},
    {"created-wins", CHECK_NOTICE, NULL,
     EV("a", MON("1000"), MON("1100"), "CREATED:20260101T000000Z\nDTSTAMP:" MON("0900") "\n"), NULL, NULL, "", NULL,
     0, 0},
    {"created-wins-late", CHECK_NOTICE, NULL,
     EV("a", MON("1000"), MON("1100"), "CREATED:" MON("0930") "\nDTSTAMP:20260101T000000Z\n"), NULL, NULL, "a", NULL,
     0, 0},
    {"last-modified-is-not-booking", CHECK_NOTICE, NULL,
     EV("a", MON("1000"), MON("1100"), "LAST-MODIFIED:" MON("0900") "\n"), NULL, NULL, "", NULL, 0, 0},
    {"no-timestamps", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), ""), NULL, NULL, "", NULL, 0, 0},
    {"recurring-first-only", CHECK_NOTICE, NULL,
     VEV("r", "DTSTART:" MON("1000") "\nDTEND:" MON("1100") "\nRRULE:FREQ=DAILY;COUNT=3\nCREATED:" MON("0900") "\n"),
     NULL, NULL, "r", NULL, 0, 0},
    {"off", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:" MON("0959") "\n"), NULL, tw_notice_off,
     "", NULL, 0, 0},
    {"one-day", CHECK_NOTICE, NULL, EV("a", MON("1000"), MON("1100"), "CREATED:" SUN("1200") "\n"), NULL,
     tw_notice_day, "a", NULL, 0, 0},
};

static const Row completeness_rows[] = {
    {"complete", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), LOC("Office")), NULL, NULL, "", NULL, 0,
     0},
    {"no-location", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), ""), NULL, NULL, "a", NULL, 0, 0},
    {"conference", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "CONFERENCE;VALUE=URI:https://meet.example.com/abc\n"), NULL, NULL, "", NULL,
     0, 0},
    {"url", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), "URL:https://zoom.example.com/j/1\n"), NULL,
     NULL, "", NULL, 0, 0},
    {"link-in-location", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), LOC("https://meet.example.com/abc")), NULL, NULL, "", NULL, 0, 0},
    {"https-in-description", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "DESCRIPTION:Join at https://meet.example.com/abc\n"), NULL, NULL, "", NULL, 0,
     0},
    {"http-in-description", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "DESCRIPTION:Join at http://meet.example.com/abc\n"), NULL, NULL, "", NULL, 0,
     0},
    {"description-without-link", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "DESCRIPTION:Bring the slides\n"), NULL, NULL, "a", NULL, 0, 0},
    {"floating", CHECK_COMPLETENESS, NULL,
     VEV("a", "DTSTART:20260302T100000\nDTEND:20260302T110000\n" LOC("Office")), NULL, NULL, "a", NULL, 0, 0},
    {"zoned", CHECK_COMPLETENESS, NULL,
     VEV("a", "DTSTART;TZID=Europe/London:20260302T100000\nDTEND;TZID=Europe/London:20260302T110000\n"
              LOC("Office")),
     NULL, NULL, "", NULL, 0, 0},
    {"no-end", CHECK_COMPLETENESS, NULL, VEV("a", "DTSTART:" MON("1000") "\n" LOC("Office")), NULL, NULL, "a", NULL,
     0, 0},
    {"duration-instead-of-end", CHECK_COMPLETENESS, NULL,
     VEV("a", "DTSTART:" MON("1000") "\nDURATION:PT45M\n" LOC("Office")), NULL, NULL, "", NULL, 0, 0},
    {"all-day", CHECK_COMPLETENESS, NULL, ALLDAY("d", "20260302", "20260303", ""), NULL, NULL, "", NULL, 0, 0},
    {"cancelled", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), CANCELLED), NULL, NULL, "", NULL, 0, 0},
    {"transparent", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), TRANSPARENT), NULL, NULL, "", NULL,
     0, 0},
    {"recurring-once", CHECK_COMPLETENESS, NULL,
     VEV("r", "DTSTART:" MON("1000") "\nDTEND:" MON("1100") "\nRRULE:FREQ=DAILY;COUNT=5\n"), NULL, NULL, "r", NULL, 0,
     0},
    {"require-none", CHECK_COMPLETENESS, NULL, VEV("a", "DTSTART:20260302T100000\n"), NULL, tw_require_none, "", NULL,
     0, 0},
    {"outside-attendee", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:client@other.org\n"), NULL, tw_require_none, "a", NULL, 0, 0},
    {"inside-attendee", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:bob@example.com\n"), NULL, tw_require_none, "", NULL, 0, 0},
    {"inside-attendee-mixed-case", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:Bob@EXAMPLE.com\n"), NULL, tw_require_none, "", NULL, 0, 0},
    {"outside-attendee-with-link", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:client@other.org\nURL:https://zoom.example.com/j/1\n"), NULL,
     tw_require_none, "", NULL, 0, 0},
    {"outside-attendee-with-location", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:client@other.org\n" LOC("Their office")), NULL,
     tw_require_none, "", NULL, 0, 0},
    {"outside-attendee-default-rules", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "ATTENDEE:mailto:client@other.org\n"), NULL, tw_domains, "a", NULL, 0, 0},
    {"require-attendees-missing", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), LOC("Office")), NULL,
     tw_require_attendees, "a", NULL, 0, 0},
    {"require-attendees-present", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), LOC("Office") "ATTENDEE:mailto:bob@example.com\n"), NULL, tw_require_attendees,
     "", NULL, 0, 0},
    {"require-attendees-room-only", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), LOC("Office") "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n"),
     NULL, tw_require_attendees, "a", NULL, 0, 0},
    {"require-notes-missing", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), ""), NULL, tw_require_notes,
     "a", NULL, 0, 0},
    {"require-notes-present", CHECK_COMPLETENESS, NULL,
     EV("a", MON("1000"), MON("1100"), "DESCRIPTION:Wheelchair access\n"), NULL, tw_require_notes, "", NULL, 0, 0},
    {"require-time-only", CHECK_COMPLETENESS, NULL, EV("a", MON("1000"), MON("1100"), ""), NULL, tw_require_time, "",
     NULL, 0, 0},
    {"require-time-floating", CHECK_COMPLETENESS, NULL, VEV("a", "DTSTART:20260302T100000\nDTEND:20260302T110000\n"),
     NULL, tw_require_time, "a", NULL, 0, 0},
    {"require-location-floating", CHECK_COMPLETENESS, NULL,
     VEV("a", "DTSTART:20260302T100000\nDTEND:20260302T110000\n" LOC("Office")), NULL, tw_require_location, "", NULL,
     0, 0},
};

/* ---- finding shape ------------------------------------------------------------ */

/* One diary that raises every kind of finding (Monday 2 March unless noted). */
#define KITCHEN_SINK                                                                                               \
  EV("a", MON("1000"), MON("1100"), LOC("Room 1") "PRIORITY:1\nCREATED:20260101T000000Z\n")                        \
  EV("b", MON("1030"), MON("1130"), LOC("Room 1") "CREATED:20260102T000000Z\n")                                    \
  EV("c", MON("1135"), MON("1200"), LOC("Client site"))                                                            \
  EV("d", MON("1800"), MON("1900"), LOC("Office"))                                                                 \
  EV("e", MON("0900"), MON("0930"), "")                                                                            \
  EV("f", TUE("1000"), TUE("1100"), LOC("Office") "CREATED:" TUE("0930") "\n")                                     \
  EV("g", WED("0900"), WED("1400"), LOC("Office"))

static void test_every_kind(void) {
  g_autoptr(TestDiary) t = make_diary(NULL, KITCHEN_SINK, NULL);
  CheckRules rules;
  test_rules(&rules);
  g_autoptr(GPtrArray) all = checks_run(t->diary, &rules);
  for (int k = 0; k < CHECK_N; k++)
    EXPECT(test_count(all, (CheckKind)k) > 0, "no %s finding in the kitchen sink", check_kind_name((CheckKind)k));
}

/* Each check alone gives exactly its findings of a full run; none at all
 * gives nothing; all but one gives everything else. */
static void test_enabled_masks(void) {
  g_autoptr(TestDiary) t = make_diary(NULL, KITCHEN_SINK, NULL);
  CheckRules rules;
  test_rules(&rules);
  g_autoptr(GPtrArray) all = checks_run(t->diary, &rules);
  for (int k = 0; k < CHECK_N; k++) {
    CheckRules one = rules;
    one.enabled = 1u << k;
    g_autoptr(GPtrArray) only = checks_run(t->diary, &one);
    g_autofree char *got = describe(only, (CheckKind)k);
    g_autofree char *want = describe(all, (CheckKind)k);
    g_assert_cmpstr(got, ==, want);
    g_assert_cmpuint(only->len, ==, test_count(all, (CheckKind)k));

    CheckRules rest = rules;
    rest.enabled &= ~(1u << k);
    g_autoptr(GPtrArray) others = checks_run(t->diary, &rest);
    g_assert_cmpuint(test_count(others, (CheckKind)k), ==, 0);
    g_assert_cmpuint(others->len, ==, all->len - test_count(all, (CheckKind)k));
  }
  CheckRules none = rules;
  none.enabled = 0;
  g_autoptr(GPtrArray) nothing = checks_run(t->diary, &none);
  g_assert_cmpuint(nothing->len, ==, 0);
}

#define TEN_AT_TEN                                                                                                 \
  EV("p0", MON("1000"), MON("1100"), "") EV("p1", MON("1000"), MON("1100"), "")                                    \
  EV("p2", MON("1000"), MON("1100"), "") EV("p3", MON("1000"), MON("1100"), "")                                    \
  EV("p4", MON("1000"), MON("1100"), "") EV("p5", MON("1000"), MON("1100"), "")                                    \
  EV("p6", MON("1000"), MON("1100"), "") EV("p7", MON("1000"), MON("1100"), "")                                    \
  EV("p8", MON("1000"), MON("1100"), "") EV("p9", MON("1000"), MON("1100"), "")

static void test_max_findings(void) {
  g_autoptr(TestDiary) t = make_diary(NULL, TEN_AT_TEN, NULL);
  static const struct {
    guint cap, want;
  } rows[] = {{0, 45}, {1, 1}, {7, 7}, {44, 44}, {45, 45}, {46, 45}, {1000, 45}};
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    CheckRules rules;
    test_rules(&rules);
    rules.enabled = 1u << CHECK_CONFLICT;
    rules.n_suggestions = 0;
    rules.max_findings = rows[i].cap;
    g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
    EXPECT(f->len == rows[i].want, "max_findings %u: %u findings, want %u", rows[i].cap, f->len, rows[i].want);
  }
  /* The cap holds across kinds too. */
  CheckRules rules;
  test_rules(&rules);
  rules.n_suggestions = 0;
  rules.max_findings = 50;
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(f->len, ==, 50);
}

/* One calendar object with a hundred events at the same time (4,950
 * clashing pairs) does not crowd out another object's clash a day later:
 * at most MAX_PER_SOURCE_PAIR (2000) findings of one check come from one
 * object, well inside max_findings. */
static void test_source_cap(void) {
  GString *crowd = g_string_new(NULL);
  for (int i = 0; i < 100; i++)
    g_string_append_printf(crowd, "BEGIN:VEVENT\nUID:c%d\nDTSTART:" MON("1000") "\nDTEND:" MON("1100") "\n"
                           "SUMMARY:Crowd %d\nEND:VEVENT\n", i, i);
  g_autofree char *crowd_ics = g_string_free(crowd, FALSE);
  g_autoptr(TestDiary) t = make_diary(NULL, crowd_ics, EV("x1", TUE("1000"), TUE("1100"), "") EV("x2", TUE("1030"), TUE("1130"), ""));
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 1u << CHECK_CONFLICT;
  rules.n_suggestions = 0;
  rules.max_findings = 2100;
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  guint crowd_n = 0, other = 0;
  for (guint i = 0; i < f->len; i++) {
    const FindingOcc *o = g_ptr_array_index(((const Finding *)g_ptr_array_index(f, i))->occurrences, 0);
    if (o->uid[0] == 'c')
      crowd_n++;
    else
      other++;
  }
  EXPECT(crowd_n == 2000, "%u findings from the crowded object, want 2000", crowd_n);
  EXPECT(other == 1, "the other object's clash: %u findings, want 1", other);
}

static void test_finding_shape(void) {
  /* Titles and places with line breaks; one clash after local midnight
   * that is still Monday in UTC. */
  g_autoptr(TestDiary) t =
      make_diary("Europe/Berlin",
                 KITCHEN_SINK "BEGIN:VEVENT\nUID:n1\nSUMMARY:Night\\nshift\nDTSTART:" MON("2330") "\nDTEND:" TUE("0030")
                                  "\n" LOC("Depot\\nGate 2") "END:VEVENT\n"
                     EV("n2", MON("2345"), TUE("0015"), LOC("Yard")),
                 NULL);
  CheckRules rules;
  test_rules(&rules);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(f->len, >, 0);
  g_autoptr(GHashTable) keys = g_hash_table_new(g_str_hash, g_str_equal);
  gboolean saw_night = FALSE;
  for (guint i = 0; i < f->len; i++) {
    const Finding *x = g_ptr_array_index(f, i);
    Severity want = (x->check == CHECK_CONFLICT || x->check == CHECK_RESOURCE) ? SEVERITY_ERROR : SEVERITY_WARNING;
    EXPECT(x->severity == want, "%s has severity %s", x->key, severity_name(x->severity));
    EXPECT(x->rule && *x->rule, "%s has no rule text", x->key);
    EXPECT(x->message && *x->message, "%s has no message", x->key);
    for (const char *p = x->message; p && *p; p++)
      EXPECT((unsigned char)*p >= 0x20, "message of %s holds a control character: %s", x->key, x->message);
    EXPECT(x->key && *x->key, "finding without key");
    EXPECT(!g_hash_table_contains(keys, x->key), "key %s given twice", x->key);
    g_hash_table_add(keys, x->key);
    if (x->check == CHECK_BUFFER)
      EXPECT(x->gap >= 0 && x->required > x->gap, "%s: gap %" G_GINT64_FORMAT " required %" G_GINT64_FORMAT, x->key,
             x->gap, x->required);
    else
      EXPECT(x->gap == -1 && x->required == -1, "%s: gap/required set on a %s finding", x->key,
             check_kind_name(x->check));
    for (guint j = 1; j < x->occurrences->len; j++)
      EXPECT(((FindingOcc *)g_ptr_array_index(x->occurrences, j - 1))->start <=
                 ((FindingOcc *)g_ptr_array_index(x->occurrences, j))->start,
             "%s: occurrences not in time order", x->key);
    if (x->check != CHECK_WORKLOAD) {
      g_assert_cmpuint(x->occurrences->len, >, 0);
      const FindingOcc *first = g_ptr_array_index(x->occurrences, 0);
      EXPECT(x->day == diary_day_of(t->diary, first->start), "%s anchored on day %" G_GINT64_FORMAT, x->key, x->day);
    }
    if (x->check == CHECK_CONFLICT && x->occurrences->len == 2 &&
        strcmp(((FindingOcc *)g_ptr_array_index(x->occurrences, 0))->uid, "n1") == 0) {
      saw_night = TRUE;
      EXPECT(x->day == DAY_TUE, "the night clash is anchored on %" G_GINT64_FORMAT ", not on local Tuesday", x->day);
    }
    if (i)
      EXPECT(((const Finding *)g_ptr_array_index(f, i - 1))->day <= x->day, "findings not sorted by day");
  }
  g_assert_true(saw_night);
}

/* ---- suggestions -------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *ics;
  void (*tweak)(CheckRules *);
  guint min_slots; /* the first conflict/resource finding offers at least this many */
} SuggestRow;

static void tw_now_monday(CheckRules *r) { r->now = test_instant("2026-03-02T08:20:00Z"); }
static void tw_workload_tight(CheckRules *r) {
  r->max_per_day = 3;
  r->break_after = 2 * 3600;
  r->break_length = 30 * 60;
}
static void tw_one_suggestion(CheckRules *r) { r->n_suggestions = 1; }
static void tw_step_hour(CheckRules *r) { r->step = 3600; }

static const SuggestRow suggest_rows[] = {
    {"busy-morning",
     EV("a", MON("1000"), MON("1100"), LOC("Office") "PRIORITY:1\n") EV("b", MON("1030"), MON("1100"), LOC("Office"))
         EV("c", MON("0900"), MON("0945"), LOC("Office")) EV("d", MON("1130"), MON("1200"), LOC("Client site"))
             EV("e", MON("1400"), MON("1500"), "X-APPLE-TRAVEL-DURATION:PT1H\n"),
     NULL, 3},
    {"no-location",
     EV("a", MON("1000"), MON("1100"), "") EV("b", MON("1030"), MON("1130"), "") EV("c", MON("1140"), MON("1300"), ""),
     NULL, 3},
    {"recurring-mover",
     VEV("r", "DTSTART:" MON("1000") "\nDTEND:" MON("1100") "\nRRULE:FREQ=DAILY;COUNT=5\nPRIORITY:9\n"
              LOC("Office"))
         EV("t", TUE("1030"), TUE("1130"), LOC("Office")),
     NULL, 3},
    {"full-day-moves-elsewhere",
     EV("a", MON("0900"), MON("1700"), LOC("Office") "PRIORITY:1\n") EV("b", MON("1000"), MON("1100"), LOC("Office")),
     NULL, 3},
    {"notice-from-now", EV("a", MON("1000"), MON("1100"), "PRIORITY:1\n") EV("b", MON("1000"), MON("1030"), ""),
     tw_now_monday, 3},
    {"workload-limits",
     EV("a", MON("0900"), MON("1000"), "") EV("b", MON("1030"), MON("1100"), "") EV("c", MON("1300"), MON("1400"), "")
         EV("d", MON("1330"), MON("1430"), ""),
     tw_workload_tight, 3},
    {"one-suggestion", EV("a", MON("1000"), MON("1100"), "") EV("b", MON("1030"), MON("1130"), ""), tw_one_suggestion,
     1},
    {"hour-grid", EV("a", MON("1000"), MON("1100"), "") EV("b", MON("1030"), MON("1130"), ""), tw_step_hour, 3},
    {"room-booked-elsewhere",
     EV("a", MON("1000"), MON("1100"), LOC("Room 1") "PRIORITY:1\n") EV("b", MON("1000"), MON("1100"), LOC("Room 2"))
         EV("c", MON("1115"), MON("1300"), LOC("Room 2") TRANSPARENT)
             EV("d", MON("0800"), MON("0945"), LOC("Room 2") TRANSPARENT),
     NULL, 3},
    {"shared-projector",
     EV("a", MON("1000"), MON("1100"), LOC("Room 1") "RESOURCES:Projector\n" TRANSPARENT)
         EV("b", MON("1000"), MON("1100"), LOC("Room 2") "RESOURCES:Projector\n" TRANSPARENT),
     NULL, 3},
    {"shared-room-attendee",
     EV("a", MON("1000"), MON("1100"), "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n" TRANSPARENT)
         EV("b", MON("1000"), MON("1100"),
            "ATTENDEE;CUTYPE=ROOM;CN=Board Room:mailto:board@example.com\n" TRANSPARENT),
     NULL, 3},
    {"mover-needs-travel-time",
     EV("a", MON("1000"), MON("1100"), LOC("Office") "PRIORITY:1\n")
         EV("b", MON("1030"), MON("1100"), LOC("Office") "X-APPLE-TRAVEL-DURATION:PT1H\n"),
     NULL, 3},
};

static void run_suggest_row(gconstpointer data) {
  const SuggestRow *row = data;
  g_autoptr(TestDiary) t = make_diary(NULL, row->ics, NULL);
  CheckRules rules;
  test_rules(&rules);
  if (row->tweak)
    row->tweak(&rules);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  guint checked = 0;
  for (guint i = 0; i < f->len; i++) {
    const Finding *x = g_ptr_array_index(f, i);
    if (x->check != CHECK_CONFLICT && x->check != CHECK_PRIORITY && x->check != CHECK_RESOURCE)
      continue;
    if (checked == 0)
      EXPECT(x->slots && x->slots->len >= row->min_slots, "%s offers %u slots, want at least %u", x->key,
             x->slots ? x->slots->len : 0, row->min_slots);
    verify_suggestions(t, &rules, x);
    checked++;
  }
  g_assert_cmpuint(checked, >, 0);
}

static void test_no_suggestions_wanted(void) {
  g_autoptr(TestDiary) t =
      make_diary(NULL, EV("a", MON("1000"), MON("1100"), "") EV("b", MON("1030"), MON("1130"), ""), NULL);
  CheckRules rules;
  test_rules(&rules);
  rules.n_suggestions = 0;
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(test_count(f, CHECK_CONFLICT), ==, 1);
  for (guint i = 0; i < f->len; i++) {
    const Finding *x = g_ptr_array_index(f, i);
    if (x->check == CHECK_CONFLICT) {
      g_assert_cmpstr(x->move_uid, ==, "b");
      g_assert_true(x->slots == NULL || x->slots->len == 0);
    }
  }
}

/* ---- names and defaults ---------------------------------------------------------- */

static void test_check_names(void) {
  for (int k = 0; k < CHECK_N; k++) {
    CheckKind back = CHECK_N;
    g_assert_true(check_kind_from_name(check_kind_name((CheckKind)k), &back));
    g_assert_cmpint(back, ==, k);
  }
  CheckKind k;
  g_assert_true(check_kind_from_name("Conflict", &k));
  g_assert_cmpint(k, ==, CHECK_CONFLICT);
  g_assert_false(check_kind_from_name("conflicts", &k));
  g_assert_false(check_kind_from_name("", &k));
  g_assert_cmpstr(severity_name(SEVERITY_ERROR), ==, "error");
  g_assert_cmpstr(severity_name(SEVERITY_WARNING), ==, "warning");
}

static void test_defaults(void) {
  CheckRules r;
  check_rules_init(&r, 12345);
  g_assert_cmpuint(r.enabled, ==, (1u << CHECK_N) - 1);
  g_assert_cmpint(r.buffer, ==, 600);
  g_assert_cmpint(r.travel, ==, 1800);
  for (int d = 0; d < 5; d++) {
    g_assert_cmpint(r.hours[d].start, ==, 9 * 60);
    g_assert_cmpint(r.hours[d].end, ==, 17 * 60);
  }
  g_assert_cmpint(r.hours[5].start, ==, r.hours[5].end);
  g_assert_cmpint(r.hours[6].start, ==, r.hours[6].end);
  g_assert_cmpuint(r.max_per_day, ==, 8);
  g_assert_cmpint(r.max_busy_per_day, ==, 8 * 3600);
  g_assert_cmpint(r.break_after, ==, 4 * 3600);
  g_assert_cmpint(r.break_length, ==, 15 * 60);
  g_assert_cmpint(r.notice, ==, 2 * 3600);
  g_assert_cmpuint(r.require, ==, REQUIRE_TIME | REQUIRE_LOCATION);
  g_assert_cmpint(r.now, ==, 12345);
  g_assert_cmpint(r.step, ==, 15 * 60);
  g_assert_cmpuint(r.n_suggestions, ==, 3);
  g_assert_cmpint(r.horizon, ==, 14 * 86400);
}

/* ---- main ------------------------------------------------------------------------ */

static void add_rows(const char *group, const Row *rows, gsize n) {
  for (gsize i = 0; i < n; i++) {
    g_autofree char *path = g_strdup_printf("/checks/%s/%s", group, rows[i].name);
    g_test_add_data_func(path, &rows[i], run_row);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  add_rows("conflict", conflict_rows, G_N_ELEMENTS(conflict_rows));
  add_rows("mover", mover_rows, G_N_ELEMENTS(mover_rows));
  add_rows("priority", priority_rows, G_N_ELEMENTS(priority_rows));
  add_rows("resource", resource_rows, G_N_ELEMENTS(resource_rows));
  add_rows("buffer", buffer_rows, G_N_ELEMENTS(buffer_rows));
  add_rows("hours", hours_rows, G_N_ELEMENTS(hours_rows));
  add_rows("workload", workload_rows, G_N_ELEMENTS(workload_rows));
  add_rows("notice", notice_rows, G_N_ELEMENTS(notice_rows));
  add_rows("completeness", completeness_rows, G_N_ELEMENTS(completeness_rows));
  for (gsize i = 0; i < G_N_ELEMENTS(suggest_rows); i++) {
    g_autofree char *path = g_strdup_printf("/checks/suggestions/%s", suggest_rows[i].name);
    g_test_add_data_func(path, &suggest_rows[i], run_suggest_row);
  }
  g_test_add_func("/checks/suggestions/none-wanted", test_no_suggestions_wanted);
  g_test_add_func("/checks/shape/every-kind", test_every_kind);
  g_test_add_func("/checks/shape/findings", test_finding_shape);
  g_test_add_func("/checks/enabled-masks", test_enabled_masks);
  g_test_add_func("/checks/max-findings", test_max_findings);
  g_test_add_func("/checks/max-per-source", test_source_cap);
  g_test_add_func("/checks/helpers/names", test_check_names);
  g_test_add_func("/checks/helpers/defaults", test_defaults);
  return g_test_run();
}
