/* Unit tests for the agenda views (core/agenda.c): the day layout (order,
 * all-day first, midnight), which occurrence each finding goes beneath, the
 * brief form's cut, the JSON shape, hostile text in every form, and colour
 * only when asked.
 *
 * The days are Monday 2 and Tuesday 3 March 2026 in UTC, unless a test says
 * otherwise.  As `diaryd agenda` does, the diary runs from the first day
 * shown to two days after the last, and the findings are those anchored on
 * the days shown. */
#include "testutil.h"

#include <string.h>

#include "agenda.h"
#include "report.h"
#include "when.h"

#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\n" body "END:VEVENT\n"
#define EV(uid, summary, s, e, extra) \
  VEV(uid, "SUMMARY:" summary "\nDTSTART:" s "\nDTEND:" e "\nLOCATION:Room 1\n" extra)
#define MON(t) "20260302T" t "00Z"
#define TUE(t) "20260303T" t "00Z"

typedef struct {
  TestDiary *t;
  Zone *tz;
  gint64 first_day, n_days;
  GPtrArray *findings;
  CheckRules rules;
} Fixture;

/* One source of events: `source` names it as agent/synced would. */
typedef struct {
  const char *source;
  const char *vevents;
} Src;

static void add_source(Fixture *f, const Src *src) {
  g_autofree char *ics = test_calendar(src->vevents);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  guint before = f->t->diags->len;
  appointments_parse(ics, strlen(ics), src->source, f->t->zones, series, f->t->diags);
  for (guint i = before; i < f->t->diags->len; i++) {
    g_autofree char *text = diagnostic_format(g_ptr_array_index(f->t->diags, i));
    EXPECT(FALSE, "unexpected diagnostic in test data: %s", text);
  }
  for (guint i = 0; i < series->len; i++)
    diary_add(f->t->diary, g_ptr_array_steal_index(series, i--), f->t->diags);
}

/* The days [first, first + n_days) in `tz`, the sources, and the findings
 * of `rules` (test_rules() when NULL) anchored on those days. */
static Fixture *fixture_new(const char *tz, const char *first, gint64 n_days, const Src *srcs, guint n_srcs,
                            const CheckRules *rules) {
  Fixture *f = g_new0(Fixture, 1);
  f->t = g_new0(TestDiary, 1);
  f->t->zones = test_zones();
  f->t->diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  f->tz = zones_resolve(f->t->zones, tz);
  g_assert_nonnull(f->tz);
  g_assert_true(when_parse_date(first, &f->first_day));
  f->n_days = n_days;
  DiaryOptions opts = {f->tz, zone_to_instant(f->tz, f->first_day * 86400),
                       zone_to_instant(f->tz, (f->first_day + n_days + 2) * 86400), NULL, {0, 0}};
  f->t->diary = diary_new(&opts);
  for (guint i = 0; i < n_srcs; i++)
    add_source(f, &srcs[i]);
  if (rules)
    f->rules = *rules;
  else
    test_rules(&f->rules);
  f->findings = checks_run_days(f->t->diary, &f->rules, f->first_day, f->first_day + n_days - 1);
  return f;
}

static void fixture_free(Fixture *f) {
  g_ptr_array_unref(f->findings);
  test_diary_free(f->t);
  g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fixture, fixture_free)

typedef enum { FORM_TEXT, FORM_BRIEF, FORM_JSON } Form;

static char *render_with(Fixture *f, Form form, gboolean colour, const AgendaCalendar *cals, guint n_cals,
                         guint brief_lines) {
  AgendaOptions o = {{f->tz, zone_to_instant(f->tz, f->first_day * 86400),
                      zone_to_instant(f->tz, (f->first_day + f->n_days) * 86400), colour, NULL, NULL},
                     cals, n_cals, brief_lines};
  GString *out = g_string_new(NULL);
  if (form == FORM_TEXT)
    agenda_text(out, &o, f->t->diary, f->findings);
  else if (form == FORM_BRIEF)
    agenda_brief(out, &o, f->t->diary, f->findings);
  else
    agenda_json(out, &o, f->t->diary, f->findings);
  return g_string_free(out, FALSE);
}

static char *render(Fixture *f, Form form, gboolean colour) { return render_with(f, form, colour, NULL, 0, 0); }

/* The index of the first line containing `needle` at or after line `from`, or -1. */
static int line_of(char **lines, const char *needle, int from) {
  for (int i = from; lines[i]; i++)
    if (strstr(lines[i], needle))
      return i;
  return -1;
}

static guint count_of(const char *haystack, const char *needle) {
  guint n = 0;
  for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

/* JSON as far as matters here: brackets balance outside strings, strings
 * hold no raw control character, escapes are well formed. */
static gboolean json_sane(const char *text, char **why) {
  GString *stack = g_string_new(NULL);
  gboolean in_string = FALSE, ok = TRUE;
  for (const char *p = text; *p && ok; p++) {
    unsigned char ch = (unsigned char)*p;
    if (in_string) {
      if (ch < 0x20) {
        *why = g_strdup_printf("raw control character 0x%02x in a string at offset %td", ch, p - text);
        ok = FALSE;
      } else if (ch == '\\') {
        p++;
        if (!*p || !strchr("\"\\/bfnrtu", *p)) {
          *why = g_strdup_printf("bad escape at offset %td", p - text);
          ok = FALSE;
        }
      } else if (ch == '"') {
        in_string = FALSE;
      }
    } else if (ch == '"') {
      in_string = TRUE;
    } else if (ch == '{' || ch == '[') {
      g_string_append_c(stack, ch == '{' ? '}' : ']');
    } else if (ch == '}' || ch == ']') {
      if (!stack->len || stack->str[stack->len - 1] != (char)ch) {
        *why = g_strdup_printf("unbalanced '%c' at offset %td", ch, p - text);
        ok = FALSE;
      } else {
        g_string_truncate(stack, stack->len - 1);
      }
    }
  }
  if (ok && (in_string || stack->len)) {
    *why = g_strdup("unterminated document");
    ok = FALSE;
  }
  g_string_free(stack, TRUE);
  return ok;
}

/* ---- the day view ------------------------------------------------------------ */

static const Src day_srcs[] = {{"a.ics",
                                EV("late", "Late meeting", MON("1600"), MON("1700"), "")
                                    EV("early", "Early meeting", MON("0900"), MON("1000"), "")
                                        VEV("holiday", "SUMMARY:Holiday\nDTSTART;VALUE=DATE:20260302\n"
                                                       "DTEND;VALUE=DATE:20260303\nTRANSP:TRANSPARENT\n")
                                            EV("night", "Night shift", MON("2200"), TUE("0200"), "")}};

static void test_order_and_all_day(void) {
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 2, day_srcs, 1, NULL);
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  int mon = line_of(lines, "Monday 2 March 2026", 0), tue = line_of(lines, "Tuesday 3 March 2026", 0);
  EXPECT(mon == 0, "Monday's heading first:\n%s", text);
  EXPECT(tue > mon, "Tuesday's heading after Monday's:\n%s", text);
  int holiday = line_of(lines, "Holiday", mon), early = line_of(lines, "Early meeting", mon),
      late = line_of(lines, "Late meeting", mon), night = line_of(lines, "Night shift", mon);
  EXPECT(holiday == mon + 1 && early == mon + 2 && late == mon + 3 && night == mon + 4,
         "Monday: all day first, then by start:\n%s", text);
  EXPECT(g_str_has_prefix(lines[holiday], "  all day      Holiday (free)"), "all-day line: %s", lines[holiday]);
  EXPECT(g_str_has_prefix(lines[early], "  09:00\u201310:00  Early meeting  @ Room 1"), "timed line: %s",
         lines[early]);
  EXPECT(strstr(lines[night], "22:00\u2013\u2026") != NULL, "runs past midnight: %s", lines[night]);
  int cont = line_of(lines, "Night shift", tue);
  EXPECT(cont == tue + 1 && strstr(lines[cont], "\u2026\u201302:00") != NULL,
         "the night shift goes on on Tuesday, first:\n%s", text);
  EXPECT(strstr(text, "\n4 appointments, ") != NULL, "a summary line counting each appointment once:\n%s", text);
  EXPECT(strstr(text, "(UTC)\n") != NULL, "the summary names the zone:\n%s", text);
}

static void test_nothing_scheduled(void) {
  g_autoptr(Fixture) f = fixture_new("Europe/London", "2026-03-02", 1, NULL, 0, NULL);
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  EXPECT(g_str_has_prefix(text, "Monday 2 March 2026\n  Nothing scheduled.\n"), "empty day:\n%s", text);
  g_autofree char *brief = render(f, FORM_BRIEF, FALSE);
  EXPECT(strcmp(brief, "Nothing scheduled.\n") == 0, "empty brief: %s", brief);
  g_autofree char *json = render(f, FORM_JSON, FALSE);
  EXPECT(strstr(json, "\"days\": [\n  {\"date\": \"2026-03-02\",\n   \"occurrences\": [],\n   \"findings\": []}") !=
             NULL,
         "empty JSON day:\n%s", json);
}

/* ---- findings ------------------------------------------------------------------ */

/* A clash on Monday (a and b), a booking on Wednesday that clashes with
 * nothing shown, and a workload finding (limit: one appointment a day). */
static const Src clash_srcs[] = {
    {"a.ics", EV("a", "Alpha", MON("0900"), MON("1000"), "") EV("c", "Gamma", MON("1300"), MON("1400"), "")},
    {"b.ics", EV("b", "Beta", MON("0930"), MON("1030"), "")
                  EV("w1", "Wed one", "20260304T090000Z", "20260304T100000Z", "")
                      EV("w2", "Wed two", "20260304T093000Z", "20260304T100000Z", "")}};

static Fixture *clash_fixture(void) {
  CheckRules rules;
  test_rules(&rules);
  rules.max_per_day = 2;
  rules.enabled &= ~(1u << CHECK_RESOURCE); /* every event here is in Room 1 */
  return fixture_new("UTC", "2026-03-02", 2, clash_srcs, G_N_ELEMENTS(clash_srcs), &rules);
}

static void test_findings_inline(void) {
  g_autoptr(Fixture) f = clash_fixture();
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  int alpha = line_of(lines, "Alpha", 0), beta = line_of(lines, "Beta", 0), gamma = line_of(lines, "Gamma", 0);
  int conflict = line_of(lines, "    error   conflict     ", 0);
  EXPECT(alpha >= 0 && beta == alpha + 1, "Alpha then Beta:\n%s", text);
  EXPECT(conflict == beta + 1, "the clash is beneath Beta, the later of the two:\n%s", text);
  EXPECT(lines[conflict + 1] && strstr(lines[conflict + 1], "free instead:") == lines[conflict + 1] + 25,
         "its free slots beneath it, as check prints them, indented two more:\n%s", text);
  int workload = line_of(lines, "  warning workload     ", 0);
  EXPECT(workload > gamma && gamma > conflict, "workload at the end of the day, after Gamma:\n%s", text);
  EXPECT(strncmp(lines[workload], "  warning", 9) == 0, "a day's finding is not indented under an appointment: %s",
         lines[workload]);
  EXPECT(strstr(text, "Wed one") == NULL && count_of(text, "conflict") == 1,
         "Wednesday is not shown, nor its clash:\n%s", text);
  EXPECT(strstr(text, "3 appointments, 1 error, 1 warning (UTC)") != NULL, "summary:\n%s", text);

  /* The message is check's own words. */
  const Finding *c = NULL;
  for (guint i = 0; i < f->findings->len; i++)
    if (((Finding *)g_ptr_array_index(f->findings, i))->check == CHECK_CONFLICT)
      c = g_ptr_array_index(f->findings, i);
  g_assert_nonnull(c);
  EXPECT(strstr(lines[conflict], c->message) != NULL, "the finding's message: %s", lines[conflict]);
}

static void test_findings_json(void) {
  g_autoptr(Fixture) f = clash_fixture();
  g_autofree char *json = render(f, FORM_JSON, FALSE);
  g_autofree char *why = NULL;
  EXPECT(json_sane(json, &why), "%s:\n%s", why, json);
  EXPECT(g_str_has_prefix(json, "{\"window\": {\"from\": \"2026-03-02T00:00:00Z\", \"to\": \"2026-03-04T00:00:00Z\", "
                                "\"tz\": \"UTC\"},\n \"days\": ["),
         "window as check prints it:\n%s", json);
  EXPECT(count_of(json, "{\"date\": ") == 2 && strstr(json, "{\"date\": \"2026-03-03\"") != NULL, "two days:\n%s",
         json);
  /* The occurrence fields of check --json, then the agenda's own. */
  EXPECT(strstr(json, "{\"uid\": \"a\", \"recurrence_id\": null, \"summary\": \"Alpha\", \"start\": "
                      "\"2026-03-02T09:00:00Z\", \"end\": \"2026-03-02T10:00:00Z\", \"location\": \"Room 1\", "
                      "\"priority\": 0, \"source\": \"a.ics\", \"all_day\": false, \"busy\": true, \"status\": null, "
                      "\"calendar\": null, \"color\": null, \"categories\": [], \"attendees\": 0, \"findings\": [") !=
             NULL,
         "Alpha's fields:\n%s", json);
  /* Each finding of the day, whole, as check --json prints it; its key on
   * every occurrence it involves. */
  for (guint i = 0; i < f->findings->len; i++) {
    const Finding *fi = g_ptr_array_index(f->findings, i);
    GString *one = g_string_new(NULL);
    report_append_finding_json(one, fi);
    EXPECT(count_of(json, one->str) == 1, "finding %s printed once as check prints it:\n%s", fi->key, json);
    g_string_free(one, TRUE);
    GString *key = g_string_new(NULL);
    report_append_json_string(key, fi->key);
    /* once as the finding's "key", once per occurrence it involves */
    guint want = 1 + fi->occurrences->len;
    EXPECT(count_of(json, key->str) == want, "key %s %u times, expected %u:\n%s", fi->key,
           count_of(json, key->str), want, json);
    g_string_free(key, TRUE);
  }
  EXPECT(count_of(json, "\"check\": \"conflict\"") == 1 && count_of(json, "\"check\": \"workload\"") == 1,
         "Monday's clash and workload, nothing of Wednesday:\n%s", json);
}

/* ---- brief ----------------------------------------------------------------------- */

static void test_brief(void) {
  g_autoptr(Fixture) f = clash_fixture();
  g_autofree char *brief = render(f, FORM_BRIEF, FALSE);
  const char *want = "Monday 2 March 2026\n"
                     "09:00\u201310:00 Alpha (Room 1)\n"
                     "09:30\u201310:30 Beta (Room 1)\n"
                     "! conflict: ";
  EXPECT(g_str_has_prefix(brief, want), "brief:\n%s", brief);
  EXPECT(strstr(brief, "\n13:00\u201314:00 Gamma (Room 1)\n! workload: Mon 2 Mar 2026: 3 appointments (limit 2)\n") !=
             NULL,
         "brief: Gamma then the day's workload:\n%s", brief);
  EXPECT(g_str_has_suffix(brief, "\nTuesday 3 March 2026\nNothing scheduled.\n"), "an empty Tuesday:\n%s", brief);
  EXPECT(strchr(brief, '\033') == NULL && strstr(brief, "free instead") == NULL, "brief is plain:\n%s", brief);
}

static void test_brief_cut(void) {
  GString *ev = g_string_new(NULL);
  for (int i = 0; i < 30; i++)
    g_string_append_printf(ev,
                           "BEGIN:VEVENT\nUID:e%02d\nSUMMARY:Event %02d\nDTSTART:20260302T%02d%02d00Z\n"
                           "DTEND:20260302T%02d%02d05Z\nLOCATION:Room 1\nEND:VEVENT\n",
                           i, i, 8 + i / 6, i % 6 * 10, 8 + i / 6, i % 6 * 10);
  Src src = {"a.ics", ev->str};
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 0; /* appointments alone */
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 1, &src, 1, &rules);
  g_string_free(ev, TRUE);
  g_autofree char *brief = render(f, FORM_BRIEF, FALSE);
  g_auto(GStrv) lines = g_strsplit(brief, "\n", -1);
  EXPECT(g_strv_length(lines) == 21 && !*lines[20], "20 lines:\n%s", brief);
  EXPECT(strcmp(lines[18], "11:00\u201311:00 Event 18 (Room 1)") == 0, "19 appointments first:\n%s", brief);
  EXPECT(strcmp(lines[19], "and 11 more") == 0, "then how many more: %s", lines[19]);
  g_autofree char *five = render_with(f, FORM_BRIEF, FALSE, NULL, 0, 5);
  EXPECT(g_str_has_suffix(five, "Event 03 (Room 1)\nand 26 more\n") && count_of(five, "\n") == 5,
         "brief_lines 5:\n%s", five);

  /* The text form is not cut. */
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  EXPECT(strstr(text, "Event 29") != NULL, "text has every appointment:\n%s", text);
}

static void test_brief_week_headings(void) {
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 2, day_srcs, 1, NULL);
  g_autofree char *brief = render(f, FORM_BRIEF, TRUE); /* colour is never used in the brief form */
  EXPECT(g_str_has_prefix(brief, "Monday 2 March 2026\nall day Holiday [free]\n"), "brief, two days:\n%s", brief);
  EXPECT(strstr(brief, "\nTuesday 3 March 2026\n\u2026\u201302:00 Night shift (Room 1)\n") != NULL,
         "Tuesday's heading and the night shift:\n%s", brief);
  EXPECT(strchr(brief, '\033') == NULL, "no colour in the brief form:\n%s", brief);
}

/* ---- hostile text --------------------------------------------------------------------- */

/* ESC sequences (colour, a window title, a clear screen), a raw BEL, an
 * escaped newline and a bidi override, in the summary, location and a name. */
static const Src hostile_srcs[] = {
    {"a.ics",
     VEV("evil\033[2Juid",
         "SUMMARY:Pay\033[31mRED\033]0;pwned\007 now\\nSECOND LINE\u202Etxt.exe\n"
         "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
         "LOCATION:Room\033[2J 1\\nB\n"
         "ATTENDEE;CN=\"Mal\033[5mlory\":mailto:mal@example.net\n")
         VEV("other", "SUMMARY:Other\nDTSTART:20260302T093000Z\nDTEND:20260302T103000Z\nLOCATION:Room 1\n")}};

static void no_hostile_bytes(const char *what, const char *text, gboolean colour) {
  /* Our own escapes are SGR sequences "ESC [ digits/; m"; nothing else may
   * start with ESC, and no BEL or raw text line break may come through. */
  for (const char *p = text; (p = strchr(p, '\033')) != NULL; p++) {
    const char *q = p + 1;
    gboolean sgr = *q == '[';
    for (q++; sgr && (g_ascii_isdigit(*q) || *q == ';'); q++)
      ;
    EXPECT(colour && sgr && *q == 'm', "%s: an escape that is not ours at offset %td:\n%s", what, p - text, text);
  }
  EXPECT(strstr(text, "\033[31mRED") == NULL, "%s: the calendar's own colour passed through", what);
  EXPECT(strchr(text, '\007') == NULL, "%s: BEL passed through", what);
  EXPECT(strstr(text, "\u202E") == NULL, "%s: a bidi override passed through", what);
}

static void test_hostile(void) {
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 1, hostile_srcs, 1, NULL);
  for (int colour = 0; colour <= 1; colour++) {
    g_autofree char *text = render(f, FORM_TEXT, colour);
    no_hostile_bytes(colour ? "text, colour" : "text", text, colour);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    int pay = line_of(lines, "Pay", 0);
    EXPECT(pay == 1 && strstr(lines[pay], "SECOND LINE") && strstr(lines[pay], "Room [2J 1 B") &&
               strstr(lines[pay], "with Mal [5mlory"),
           "the hostile summary, location and name on one line, escapes made spaces:\n%s", text);
    EXPECT(line_of(lines, "Double booking", 0) == pay + 2, "the clash beneath Other:\n%s", text);
    EXPECT(strstr(text, "Pay [31mRED ]0;pwned  now SECOND LINE txt.exe") != NULL,
           "the finding's message cleaned too:\n%s", text);
  }
  g_autofree char *brief = render(f, FORM_BRIEF, FALSE);
  no_hostile_bytes("brief", brief, FALSE);
  EXPECT(g_str_has_prefix(brief, "09:00\u201310:00 Pay [31mRED ]0;pwned  now SECOND LINE txt.exe (Room [2J 1 B)\n"),
         "brief:\n%s", brief);

  g_autofree char *json = render(f, FORM_JSON, TRUE);
  g_autofree char *why = NULL;
  EXPECT(json_sane(json, &why), "%s:\n%s", why, json);
  EXPECT(strchr(json, '\033') == NULL && strchr(json, '\007') == NULL, "no raw escapes in JSON:\n%s", json);
  EXPECT(strstr(json, "\"summary\": \"Pay\\u001b[31mRED\\u001b]0;pwned\\u0007 now\\nSECOND LINE\u202Etxt.exe\"") !=
             NULL,
         "JSON keeps the summary, escaped:\n%s", json);
  EXPECT(strstr(json, "\"uid\": \"evil\\u001b[2Juid\"") != NULL, "the UID escaped:\n%s", json);
}

/* ---- colour ------------------------------------------------------------------------------ */

static const Src colour_srcs[] = {
    {"work/Team/1.ics", EV("team", "Team thing", MON("0900"), MON("0930"), "CATEGORIES:Clients\n")},
    {"work/Team Extra/2.ics", EV("extra", "Extra thing", MON("1000"), MON("1030"), "")},
    {"work/Teamwork/3.ics", EV("tw", "Teamwork thing", MON("1100"), MON("1130"), "CATEGORIES:Clients,Other\n")},
    {"local.ics", EV("cat", "Category thing", MON("1200"), MON("1230"), "CATEGORIES: clients \n")},
    {"local2.ics", EV("plain", "Plain thing", MON("1300"), MON("1330"), "")}};

static const AgendaCalendar colour_cals[] = {
    {"work/Team", "#3366FF"},          /* 51;102;255 */
    {"work/Team Extra", "#ff000080"},  /* alpha ignored */
    {"work/Teamwork", "red"},          /* not a colour: its category's */
};

static void test_colour(void) {
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 0;
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 1, colour_srcs, G_N_ELEMENTS(colour_srcs), &rules);
  g_autofree char *plain = render_with(f, FORM_TEXT, FALSE, colour_cals, G_N_ELEMENTS(colour_cals), 0);
  EXPECT(strchr(plain, '\033') == NULL, "no colour unless asked:\n%s", plain);
  EXPECT(strstr(plain, "Team thing  @ Room 1  [work/Team]\n") && strstr(plain, "Extra thing  @ Room 1  [work/Team Extra]\n") &&
             strstr(plain, "Teamwork thing  @ Room 1  [work/Teamwork]\n") && strstr(plain, "Plain thing  @ Room 1\n"),
         "calendars by the longest name that prefixes the source:\n%s", plain);

  g_autofree char *text = render_with(f, FORM_TEXT, TRUE, colour_cals, G_N_ELEMENTS(colour_cals), 0);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  EXPECT(g_str_has_prefix(lines[0], REPORT_BOLD "Monday 2 March 2026" REPORT_RESET), "bold heading: %s", lines[0]);
  EXPECT(g_str_has_prefix(lines[1], "  \033[38;2;51;102;255m09:00\u201309:30  Team thing" REPORT_RESET "  @ Room 1"),
         "the calendar's colour: %s", lines[1]);
  EXPECT(g_str_has_prefix(lines[2], "  \033[38;2;255;0;0m10:00"), "#rrggbbaa: %s", lines[2]);
  /* Teamwork has a bad colour: its category, Clients, like the local file's
   * " clients " (case and blanks do not matter). */
  const char *tw = strstr(lines[3], "\033[38;2;"), *cat = strstr(lines[4], "\033[38;2;");
  EXPECT(tw && cat && strncmp(tw, cat, strcspn(tw, "m")) == 0, "the same category, the same colour:\n%s", text);
  EXPECT(strchr(lines[5], '\033') == NULL || !strstr(lines[5], "38;2"), "no colour without calendar or category: %s",
         lines[5]);

  g_autofree char *json = render_with(f, FORM_JSON, FALSE, colour_cals, G_N_ELEMENTS(colour_cals), 0);
  EXPECT(strstr(json, "\"calendar\": \"work/Team\", \"color\": \"#3366ff\", \"categories\": [\"Clients\"]") &&
             strstr(json, "\"calendar\": \"work/Team Extra\", \"color\": \"#ff0000\"") &&
             strstr(json, "\"calendar\": null, \"color\": null, \"categories\": []"),
         "JSON calendar and colour:\n%s", json);
  /* The category colour in JSON is the one the text uses. */
  char rgb[32];
  unsigned r = 0, g = 0, b = 0;
  EXPECT(cat && sscanf(cat, "\033[38;2;%u;%u;%um", &r, &g, &b) == 3, "category colour parsed");
  g_snprintf(rgb, sizeof rgb, "\"color\": \"#%02x%02x%02x\", \"categories\": [\" clients \"]", r, g, b);
  EXPECT(strstr(json, rgb) != NULL, "JSON has %s:\n%s", rgb, json);
}

/* Not busy: dimmed with colour, marked in words. */
static void test_not_busy(void) {
  static const Src srcs[] = {{"a.ics", EV("x", "Cancelled one", MON("0900"), MON("1000"), "STATUS:CANCELLED\n")
                                           EV("y", "Free one", MON("1100"), MON("1200"), "TRANSP:TRANSPARENT\n")}};
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 1, srcs, 1, NULL);
  g_autofree char *text = render(f, FORM_TEXT, TRUE);
  EXPECT(strstr(text, "  " REPORT_DIM "09:00\u201310:00  Cancelled one" REPORT_RESET " (cancelled)  @ Room 1\n") &&
             strstr(text, REPORT_DIM "11:00\u201312:00  Free one" REPORT_RESET " (free)"),
         "not busy, dimmed:\n%s", text);
  g_autofree char *json = render(f, FORM_JSON, FALSE);
  EXPECT(strstr(json, "\"busy\": false, \"status\": \"CANCELLED\"") != NULL, "JSON status:\n%s", json);
}

/* Attendees: people named (three at most), rooms left out. */
static void test_people(void) {
  static const Src srcs[] = {
      {"a.ics", EV("few", "Few", MON("0900"), MON("1000"),
                   "ATTENDEE;CN=Ann:mailto:ann@x.example\nATTENDEE:mailto:bob@x.example\n"
                   "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@x.example\n")
                    EV("many", "Many", MON("1100"), MON("1200"),
                       "ATTENDEE;CN=A:mailto:a@x.example\nATTENDEE;CN=B:mailto:b@x.example\n"
                       "ATTENDEE;CN=C:mailto:c@x.example\nATTENDEE;CN=D:mailto:d@x.example\n")}};
  CheckRules rules;
  test_rules(&rules);
  rules.enabled = 0;
  g_autoptr(Fixture) f = fixture_new("UTC", "2026-03-02", 1, srcs, 1, &rules);
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  EXPECT(strstr(text, "Few  @ Room 1  with Ann and bob@x.example\n") && strstr(text, "Many  @ Room 1  with A, B and 2 others\n"),
         "attendees:\n%s", text);
  g_autofree char *json = render(f, FORM_JSON, FALSE);
  EXPECT(count_of(json, "\"attendees\": 2,") == 1 && count_of(json, "\"attendees\": 4,") == 1, "counts:\n%s", json);
}

/* A day of 23 hours: the day is local, and a finding of another zone's day
 * is not mixed in. */
static void test_dst_day(void) {
  static const Src srcs[] = {{"a.ics", EV("m", "Morning", "20260329T080000Z", "20260329T090000Z", "")
                                           EV("eve", "Late Saturday", "20260328T233000Z", "20260328T234500Z", "")}};
  g_autoptr(Fixture) f = fixture_new("Europe/London", "2026-03-29", 1, srcs, 1, NULL);
  g_autofree char *text = render(f, FORM_TEXT, FALSE);
  EXPECT(g_str_has_prefix(text, "Sunday 29 March 2026\n  09:00\u201310:00  Morning"), "BST times:\n%s", text);
  EXPECT(strstr(text, "Late Saturday") == NULL, "Saturday's not shown:\n%s", text);
  g_autofree char *json = render(f, FORM_JSON, FALSE);
  EXPECT(strstr(json, "{\"from\": \"2026-03-29T00:00:00Z\", \"to\": \"2026-03-29T23:00:00Z\"") != NULL,
         "a 23-hour window:\n%s", json);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/agenda/text/order-and-all-day", test_order_and_all_day);
  g_test_add_func("/agenda/text/nothing-scheduled", test_nothing_scheduled);
  g_test_add_func("/agenda/text/findings-inline", test_findings_inline);
  g_test_add_func("/agenda/json/findings", test_findings_json);
  g_test_add_func("/agenda/brief/lines", test_brief);
  g_test_add_func("/agenda/brief/cut", test_brief_cut);
  g_test_add_func("/agenda/brief/headings", test_brief_week_headings);
  g_test_add_func("/agenda/hostile", test_hostile);
  g_test_add_func("/agenda/colour", test_colour);
  g_test_add_func("/agenda/not-busy", test_not_busy);
  g_test_add_func("/agenda/people", test_people);
  g_test_add_func("/agenda/dst-day", test_dst_day);
  return g_test_run();
}
