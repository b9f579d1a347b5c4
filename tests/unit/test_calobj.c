/* Unit tests for core/calobj.c: unfolding and line ends, content lines with
 * quoted parameters, every error with its line, recurrence ids, what the
 * hashes see and ignore, the diff of two versions, and hostile input
 * (truncation at every byte, bytes changed one at a time, the caps). */
#include <glib.h>
#include <string.h>

#include "calobj.h"
#include "testutil.h"

/* ---- helpers --------------------------------------------------------------------- */

/* Scans `text` (strlen) from an exact-size copy, so that ASan sees any read past the end. */
static CalObjError scan_len(const char *text, gsize len, CalObject **out, char **detail) {
  g_autofree char *copy = g_malloc(MAX(len, 1));
  memcpy(copy, text, len);
  return calobj_scan(copy, len, out, detail);
}

static CalObject *scan_ok(const char *text) {
  CalObject *obj = NULL;
  g_autofree char *detail = NULL;
  CalObjError err = scan_len(text, strlen(text), &obj, &detail);
  if (err != CALOBJ_OK)
    g_error("scan failed (%d): %s\n%s", err, detail, text);
  g_assert_nonnull(obj);
  return obj;
}

/* "\n" -> "\r\n". */
static char *crlf(const char *text) {
  GString *out = g_string_new(NULL);
  for (const char *p = text; *p; p++) {
    if (*p == '\n')
      g_string_append_c(out, '\r');
    g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

static const CalComponent *comp(const CalObject *obj, guint i) {
  g_assert_cmpuint(i, <, obj->components->len);
  return g_ptr_array_index(obj->components, i);
}

static const CalProp *find_prop(const CalComponent *c, const char *name) {
  for (guint i = 0; i < c->props->len; i++)
    if (strcmp(g_array_index(c->props, CalProp, i).name, name) == 0)
      return &g_array_index(c->props, CalProp, i);
  return NULL;
}

/* The prop names of a component, comma-joined. */
static char *prop_names(const CalComponent *c) {
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < c->props->len; i++)
    g_string_append_printf(out, "%s%s", i ? "," : "", g_array_index(c->props, CalProp, i).name);
  return g_string_free(out, FALSE);
}

/* A diff as "A uid rid", "M uid rid FIELDS", "R uid -" lines joined by " | ". */
static char *diff_text(const CalObject *old, const CalObject *new) {
  g_autoptr(GPtrArray) changes = calobj_diff(old, new);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < changes->len; i++) {
    const CalChange *c = g_ptr_array_index(changes, i);
    g_string_append_printf(out, "%s%c %s %s", i ? " | " : "", (char)c->kind, c->uid,
                           c->recurrence_id ? c->recurrence_id : "-");
    if (c->kind == CHANGE_MODIFIED)
      g_string_append_printf(out, " %s", c->fields);
    else
      g_assert_null(c->fields);
  }
  return g_string_free(out, FALSE);
}

static char *diff_texts(const char *old, const char *new) {
  g_autoptr(CalObject) a = old ? scan_ok(old) : NULL;
  g_autoptr(CalObject) b = new ? scan_ok(new) : NULL;
  return diff_text(a, b);
}

#define HEAD "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//Test//EN\n" /* lines 1-3 */
#define TAIL "END:VCALENDAR\n"

/* A typical object of about 600 bytes once in CRLF: a zone, a weekly
 * master with attendees and an alarm, and one moved occurrence. */
#define SAMPLE                                                                                                   \
  HEAD                                                                                                           \
  "BEGIN:VTIMEZONE\n"                                                                                            \
  "TZID:Europe/London\n"                                                                                         \
  "BEGIN:STANDARD\n"                                                                                             \
  "DTSTART:19701025T020000\n"                                                                                    \
  "TZOFFSETFROM:+0100\n"                                                                                         \
  "TZOFFSETTO:+0000\n"                                                                                           \
  "END:STANDARD\n"                                                                                               \
  "END:VTIMEZONE\n"                                                                                              \
  "BEGIN:VEVENT\n"                                                                                               \
  "UID:5f0c2a7e-planning@example.com\n"                                                                          \
  "DTSTAMP:20261101T120000Z\n"                                                                                   \
  "DTSTART;TZID=Europe/London:20261207T090000\n"                                                                 \
  "DTEND;TZID=Europe/London:20261207T100000\n"                                                                   \
  "RRULE:FREQ=WEEKLY;COUNT=10\n"                                                                                 \
  "SUMMARY:Weekly planning\n"                                                                                    \
  "LOCATION:Room 4\n"                                                                                            \
  "ORGANIZER;CN=\"Doe, Jane\":mailto:jane@example.com\n"                                                         \
  "ATTENDEE;CN=\"Smith, Bob\";PARTSTAT=ACCEPTED:mailto:bob@example.com\n"                                        \
  "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.com\n"                                     \
  "BEGIN:VALARM\n"                                                                                               \
  "ACTION:DISPLAY\n"                                                                                             \
  "TRIGGER:-PT15M\n"                                                                                             \
  "DESCRIPTION:Reminder\n"                                                                                       \
  "END:VALARM\n"                                                                                                 \
  "END:VEVENT\n" OVERRIDE1 TAIL

#define OVERRIDE1                                                                                                \
  "BEGIN:VEVENT\n"                                                                                               \
  "UID:5f0c2a7e-planning@example.com\n"                                                                          \
  "RECURRENCE-ID;TZID=Europe/London:20261214T090000\n"                                                           \
  "DTSTAMP:20261101T120000Z\n"                                                                                   \
  "DTSTART;TZID=Europe/London:20261214T140000\n"                                                                 \
  "DTEND;TZID=Europe/London:20261214T150000\n"                                                                   \
  "SUMMARY:Weekly planning (moved)\n"                                                                            \
  "END:VEVENT\n"

#define UID1 "5f0c2a7e-planning@example.com"
#define RID1 "TZID=Europe/London:20261214T090000"

/* One-event objects: "EV(body)" wraps property lines in a VEVENT (lines 4..). */
#define EV(body) HEAD "BEGIN:VEVENT\nUID:u1\n" body "END:VEVENT\n" TAIL

/* ---- reading --------------------------------------------------------------------- */

static void test_sample(void) {
  g_autoptr(CalObject) obj = scan_ok(SAMPLE);
  g_assert_cmpstr(obj->uid, ==, UID1);
  g_assert_cmpuint(obj->components->len, ==, 2);
  const CalComponent *master = comp(obj, 0), *over = comp(obj, 1);
  g_assert_cmpstr(master->kind, ==, "VEVENT");
  g_assert_null(master->recurrence_id);
  g_assert_cmpint(master->line, ==, 12);
  g_autofree char *names = prop_names(master);
  /* Sorted, one per name, no DTSTAMP, the alarm as one pseudo-property and its lines not at top level. */
  g_assert_cmpstr(names, ==, "ATTENDEE,DTEND,DTSTART,LOCATION,ORGANIZER,RRULE,SUMMARY,UID,VALARM");
  g_assert_cmpstr(over->recurrence_id, ==, RID1);
  g_assert_cmpint(over->line, ==, 29);
  g_autofree char *over_names = prop_names(over);
  g_assert_cmpstr(over_names, ==, "DTEND,DTSTART,RECURRENCE-ID,SUMMARY,UID");
  g_assert_cmpuint(master->hash, !=, over->hash);

  /* The same object in CRLF reads the same. */
  g_autofree char *text = crlf(SAMPLE);
  g_autoptr(CalObject) obj2 = scan_ok(text);
  g_assert_cmpuint(comp(obj2, 0)->hash, ==, master->hash);
  g_assert_cmpuint(comp(obj2, 1)->hash, ==, over->hash);
  g_assert_cmpint(comp(obj2, 1)->line, ==, 29);
}

static void test_kinds(void) {
  g_autoptr(CalObject) todo = scan_ok(HEAD "BEGIN:VTODO\nUID:t\nSUMMARY:Do it\nDUE:20260101\nEND:VTODO\n" TAIL);
  g_assert_cmpstr(comp(todo, 0)->kind, ==, "VTODO");
  g_autoptr(CalObject) journal = scan_ok(HEAD "BEGIN:VJOURNAL\nUID:j\nSUMMARY:Notes\nEND:VJOURNAL\n" TAIL);
  g_assert_cmpstr(comp(journal, 0)->kind, ==, "VJOURNAL");
  /* VFREEBUSY and unknown components next to the event are ignored. */
  g_autoptr(CalObject) mixed =
      scan_ok(HEAD "BEGIN:VFREEBUSY\nUID:fb\nEND:VFREEBUSY\nBEGIN:X-THING\nUID:other\nBEGIN:X-INNER\nA:1\n"
                   "END:X-INNER\nEND:X-THING\nBEGIN:VAVAILABILITY\nUID:av\nBEGIN:AVAILABLE\nUID:av2\nEND:AVAILABLE\n"
                   "END:VAVAILABILITY\nBEGIN:VEVENT\nUID:e\nEND:VEVENT\n" TAIL);
  g_assert_cmpstr(mixed->uid, ==, "e");
  g_assert_cmpuint(mixed->components->len, ==, 1);
  g_assert_cmpint(comp(mixed, 0)->line, ==, 19);
}

static void test_folding(void) {
  g_autoptr(CalObject) plain = scan_ok(EV("SUMMARY:Hello World\nDESCRIPTION:abc\n"));
  const char *folded[] = {
      EV("SUMMARY:Hello \r\n World\r\nDESCRIPTION:abc\r\n"),       /* CRLF + space */
      EV("SUMMARY:Hello \n World\nDESCRIPTION:abc\n"),             /* LF + space */
      EV("SUMMARY:Hello \n\tWorld\nDESCRIPTION:abc\n"),            /* LF + tab */
      EV("SUMMARY:Hello \r\n\tWorld\r\nDESCRIPTION:a\r\n b\r\n c\n"), /* CRLF + tab, several folds */
      EV("SUMM\n ARY:Hello World\nDESCRIPTION:ab\n\tc\n"),         /* a fold inside the name */
      EV("SUMMARY:H\n e\n l\n l\n o\n  World\nDESCRIPTION:abc\n"), /* only the first blank goes */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(folded); i++) {
    g_autoptr(CalObject) obj = scan_ok(folded[i]);
    EXPECT(comp(obj, 0)->hash == comp(plain, 0)->hash, "folded text %" G_GSIZE_FORMAT " reads differently", i);
  }
  /* A fold keeps every other blank: "Hello  World" is not "Hello World". */
  g_autoptr(CalObject) two = scan_ok(EV("SUMMARY:Hello \n  World\nDESCRIPTION:abc\n"));
  g_assert_cmpuint(comp(two, 0)->hash, !=, comp(plain, 0)->hash);

  /* Folds inside BEGIN/END and in a quoted parameter. */
  g_autoptr(CalObject) obj = scan_ok(HEAD "BEGIN:VEV\n ENT\nUID:u\n 1\nATTENDEE;CN=\"Doe,\n  Jane\":mailto:j@x\n"
                                          "END:VEVENT\nEND:VCAL\r\n ENDAR");
  g_assert_cmpstr(obj->uid, ==, "u1");
  g_autoptr(CalObject) unfolded = scan_ok(HEAD "BEGIN:VEVENT\nUID:u1\nATTENDEE;CN=\"Doe, Jane\":mailto:j@x\n"
                                               "END:VEVENT\n" TAIL);
  g_assert_cmpuint(comp(obj, 0)->hash, ==, comp(unfolded, 0)->hash);

  /* Line numbers count physical lines. */
  CalObject *out = NULL;
  g_autofree char *detail = NULL;
  const char *text = HEAD "X-A:a\n b\r\n c\nbad line\n" TAIL;
  g_assert_cmpint(scan_len(text, strlen(text), &out, &detail), ==, CALOBJ_MALFORMED);
  g_assert_cmpstr(detail, ==, "line 7: not a property line (NAME:VALUE): \"bad line\"");
}

static void test_line_ends(void) {
  g_autoptr(CalObject) lf = scan_ok(SAMPLE);
  /* Mixed line ends, no newline at the end, a byte order mark, empty lines. */
  g_autofree char *mixed = crlf(SAMPLE);
  char *half = strstr(mixed, "BEGIN:VEVENT");
  for (char *p = half; *p; p++)
    if (p[0] == '\r' && p[1] == '\n')
      memmove(p, p + 1, strlen(p + 1) + 1);
  g_autoptr(CalObject) a = scan_ok(mixed);
  g_autofree char *bare = g_strndup(SAMPLE, strlen(SAMPLE) - 1);
  g_autoptr(CalObject) b = scan_ok(bare);
  g_autofree char *crlf_text = crlf(SAMPLE);
  crlf_text[strlen(crlf_text) - 1] = '\0'; /* ends with "END:VCALENDAR\r" */
  g_autoptr(CalObject) c = scan_ok(crlf_text);
  g_autofree char *bom = g_strconcat("\xEF\xBB\xBF", SAMPLE, NULL);
  g_autoptr(CalObject) d = scan_ok(bom);
  g_autofree char *blank = g_strconcat("\r\n\n", SAMPLE, "\n\r\n\n", NULL);
  g_autoptr(CalObject) e = scan_ok(blank);
  const CalObject *all[] = {a, b, c, d, e};
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
    g_assert_cmpuint(all[i]->components->len, ==, 2);
    EXPECT(comp(all[i], 0)->hash == comp(lf, 0)->hash && comp(all[i], 1)->hash == comp(lf, 1)->hash,
           "variant %" G_GSIZE_FORMAT " reads differently", i);
  }
  g_assert_cmpint(comp(e, 0)->line, ==, 14); /* two empty lines before */
}

static void test_quoted_params(void) {
  g_autoptr(CalObject) obj =
      scan_ok(EV("ATTENDEE;CN=\"Doe, John: the; boss\";ROLE=REQ-PARTICIPANT:mailto:j@example.com\n"
                 "ATTENDEE;MEMBER=\"mailto:a@x\",\"mailto:b@x\";X-EMPTY=;X-Q=\"\":mailto:k@example.com\n"
                 "X-URL;X-LABEL=\"a:b;c,d\":https://example.com/a;b:c\n"));
  g_autofree char *names = prop_names(comp(obj, 0));
  g_assert_cmpstr(names, ==, "ATTENDEE,UID,X-URL");

  /* The quoted text is part of the hash; so is every ATTENDEE line. */
  g_autoptr(CalObject) other =
      scan_ok(EV("ATTENDEE;CN=\"Doe, John: the; Boss\";ROLE=REQ-PARTICIPANT:mailto:j@example.com\n"
                 "ATTENDEE;MEMBER=\"mailto:a@x\",\"mailto:b@x\";X-EMPTY=;X-Q=\"\":mailto:k@example.com\n"
                 "X-URL;X-LABEL=\"a:b;c,d\":https://example.com/a;b:c\n"));
  g_assert_cmpuint(find_prop(comp(obj, 0), "ATTENDEE")->hash, !=, find_prop(comp(other, 0), "ATTENDEE")->hash);
  g_assert_cmpuint(find_prop(comp(obj, 0), "X-URL")->hash, ==, find_prop(comp(other, 0), "X-URL")->hash);

  /* Names and parameter names are case-insensitive; values are not. */
  g_autoptr(CalObject) upper = scan_ok(EV("SUMMARY;LANGUAGE=en:Hi\n"));
  g_autoptr(CalObject) lower = scan_ok(HEAD "begin:vevent\nuid:u1\nsummary;language=en:Hi\nEnd:VEvent\n" TAIL);
  g_autoptr(CalObject) value = scan_ok(EV("SUMMARY;LANGUAGE=EN:Hi\n"));
  g_autofree char *lower_names = prop_names(comp(lower, 0));
  g_assert_cmpstr(lower_names, ==, "SUMMARY,UID");
  g_assert_cmpstr(comp(lower, 0)->kind, ==, "VEVENT");
  g_assert_cmpuint(comp(upper, 0)->hash, ==, comp(lower, 0)->hash);
  g_assert_cmpuint(comp(upper, 0)->hash, !=, comp(value, 0)->hash);
}

static void test_recurrence_ids(void) {
  static const struct {
    const char *line;
    const char *key;
  } rows[] = {
      {"RECURRENCE-ID;TZID=Europe/London:20261207T090000", "TZID=Europe/London:20261207T090000"},
      {"RECURRENCE-ID:20261207T090000Z", "20261207T090000Z"},
      {"RECURRENCE-ID:20261207T090000", "20261207T090000"},
      {"RECURRENCE-ID;VALUE=DATE:20261207", "20261207"},
      {"RECURRENCE-ID;VALUE=DATE-TIME;TZID=\"America/New_York\":20261207T090000",
       "TZID=America/New_York:20261207T090000"},
      {"recurrence-id;tzid=Europe/Paris;range=THISANDFUTURE:20261207T090000", "TZID=Europe/Paris:20261207T090000"},
      {"RECURRENCE-ID;TZID=\"/example.com/a:b\":20261207T090000", "TZID=/example.com/a:b:20261207T090000"},
      {"RECURRENCE-ID;TZID=A,B:20261207T090000", "TZID=A:20261207T090000"},
      {"RECURRENCE-ID;TZID=:20261207T090000", "TZID=:20261207T090000"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *text = g_strdup_printf(HEAD "BEGIN:VEVENT\nUID:u\n%s\nEND:VEVENT\n" TAIL, rows[i].line);
    g_autoptr(CalObject) obj = scan_ok(text);
    EXPECT(g_strcmp0(comp(obj, 0)->recurrence_id, rows[i].key) == 0, "%s: got %s, want %s", rows[i].line,
           comp(obj, 0)->recurrence_id, rows[i].key);
  }

  /* Master first, then overrides by recurrence id, whatever the document order. */
  g_autoptr(CalObject) obj = scan_ok(HEAD "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:20261221T090000Z\nEND:VEVENT\n"
                                          "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:20261207T090000Z\nEND:VEVENT\n"
                                          "BEGIN:VEVENT\nUID:u\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n"
                                          "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID;TZID=Z:20261214T090000\nEND:VEVENT\n" TAIL);
  g_assert_cmpuint(obj->components->len, ==, 4);
  g_assert_null(comp(obj, 0)->recurrence_id);
  g_assert_cmpint(comp(obj, 0)->line, ==, 12);
  g_assert_cmpstr(comp(obj, 1)->recurrence_id, ==, "20261207T090000Z");
  g_assert_cmpstr(comp(obj, 2)->recurrence_id, ==, "20261221T090000Z");
  g_assert_cmpstr(comp(obj, 3)->recurrence_id, ==, "TZID=Z:20261214T090000");

  /* Overrides without a master. */
  g_autoptr(CalObject) orphans = scan_ok(HEAD "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:2\nEND:VEVENT\n"
                                              "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:1\nEND:VEVENT\n" TAIL);
  g_assert_cmpstr(comp(orphans, 0)->recurrence_id, ==, "1");
  g_assert_cmpstr(comp(orphans, 1)->recurrence_id, ==, "2");
}

/* What the hashes ignore, and what they see. */
static void test_hash_coverage(void) {
  g_autoptr(CalObject) base = scan_ok(SAMPLE);
  static const struct {
    const char *from, *to;
    gboolean same;
  } edits[] = {
      {"DTSTAMP:20261101T120000Z", "DTSTAMP:20261102T080000Z", TRUE},
      {"DTSTAMP:20261101T120000Z", "LAST-MODIFIED:20261102T080000Z", TRUE},
      {"TZOFFSETTO:+0000", "TZOFFSETTO:+0001", TRUE},                    /* VTIMEZONE */
      {"PRODID:-//Example//Test//EN", "PRODID:-//Other//EN", TRUE},      /* VCALENDAR's own */
      {"LOCATION:Room 4\n", "LOCATION:Room 4\nLAST-MODIFIED:2\n", TRUE}, /* added */
      {"ACTION:DISPLAY\n", "ACTION:DISPLAY\nDTSTAMP:20261102T080000Z\n", TRUE}, /* in the alarm too */
      {"LOCATION:Room 4\n", "LOCATION:Room 4\nBEGIN:DTSTAMP\nX:1\nEND:DTSTAMP\n", TRUE}, /* never a prop */
      {"SUMMARY:Weekly planning\nLOCATION:Room 4", "LOCATION:Room 4\nSUMMARY:Weekly planning", TRUE},
      {"LOCATION:Room 4", "LOCATION:Room 5", FALSE},
      {"LOCATION:Room 4", "LOCATION:Room 4 ", FALSE},
      {"TRIGGER:-PT15M", "TRIGGER:-PT10M", FALSE},
      {"ATTENDEE;CN=\"Smith, Bob\"", "ATTENDEE;CN=\"Smith, Rob\"", FALSE},
      {"LOCATION:Room 4\n", "", FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(edits); i++) {
    const char *at = strstr(SAMPLE, edits[i].from);
    g_assert_nonnull(at);
    g_autofree char *text = g_strdup_printf("%.*s%s%s", (int)(at - SAMPLE), SAMPLE, edits[i].to,
                                            at + strlen(edits[i].from));
    g_autoptr(CalObject) obj = scan_ok(text);
    gboolean same = comp(obj, 0)->hash == comp(base, 0)->hash && comp(obj, 1)->hash == comp(base, 1)->hash;
    EXPECT(same == edits[i].same, "\"%s\" -> \"%s\": %s", edits[i].from, edits[i].to,
           same ? "no change seen" : "a change seen");
  }
}

/* ---- errors ---------------------------------------------------------------------- */

static const struct {
  const char *name;
  const char *text;
  gsize len; /* 0: strlen */
  CalObjError err;
  const char *detail;
} error_rows[] = {
    {"empty", "", 0, CALOBJ_MALFORMED, "line 1: the object is empty (no BEGIN:VCALENDAR)"},
    {"blank", "\r\n\n\r\n", 0, CALOBJ_MALFORMED, "line 1: the object is empty (no BEGIN:VCALENDAR)"},
    {"no calendar", "BEGIN:VEVENT\nUID:x\nEND:VEVENT\n", 0, CALOBJ_MALFORMED,
     "line 1: BEGIN:VEVENT before BEGIN:VCALENDAR"},
    {"property first", "\nVERSION:2.0\n" HEAD, 0, CALOBJ_MALFORMED, "line 2: VERSION before BEGIN:VCALENDAR"},
    {"text after", EV("") "X-A:1\n", 0, CALOBJ_MALFORMED, "line 8: X-A after END:VCALENDAR"},
    {"component after", EV("") "BEGIN:VEVENT\n", 0, CALOBJ_MALFORMED, "line 8: BEGIN:VEVENT after END:VCALENDAR"},
    {"two calendars", EV("") EV(""), 0, CALOBJ_MALFORMED,
     "line 8: a second VCALENDAR (a calendar object holds one)"},
    {"nested calendar", HEAD "BEGIN:VCALENDAR\n", 0, CALOBJ_MALFORMED, "line 4: BEGIN:VCALENDAR inside VCALENDAR"},
    {"event in event", HEAD "BEGIN:VEVENT\nUID:a\nBEGIN:VEVENT\n", 0, CALOBJ_MALFORMED,
     "line 6: BEGIN:VEVENT inside VEVENT"},
    {"zone in alarm", HEAD "BEGIN:VEVENT\nBEGIN:VALARM\nBEGIN:VTIMEZONE\n", 0, CALOBJ_MALFORMED,
     "line 6: BEGIN:VTIMEZONE inside VALARM"},
    {"calendar in event", HEAD "BEGIN:VEVENT\nBEGIN:VCALENDAR\n", 0, CALOBJ_MALFORMED,
     "line 5: BEGIN:VCALENDAR inside VEVENT"},
    {"end without begin", HEAD "END:VEVENT\n" TAIL, 0, CALOBJ_MALFORMED, "line 4: END:VEVENT without BEGIN:VEVENT"},
    {"end at top", "END:VCALENDAR\n", 0, CALOBJ_MALFORMED, "line 1: END:VCALENDAR without BEGIN:VCALENDAR"},
    {"end crossing", HEAD "BEGIN:VEVENT\nUID:x\nBEGIN:VALARM\nEND:VEVENT\n", 0, CALOBJ_MALFORMED,
     "line 7: END:VEVENT while VALARM (line 6) is still open"},
    {"no end", HEAD "BEGIN:VEVENT\nUID:x\n", 0, CALOBJ_MALFORMED, "line 4: BEGIN:VEVENT without END:VEVENT"},
    {"no end of calendar", HEAD "BEGIN:VEVENT\nUID:x\nEND:VEVENT\n", 0, CALOBJ_MALFORMED,
     "line 1: BEGIN:VCALENDAR without END:VCALENDAR"},
    {"too deep",
     HEAD "BEGIN:VEVENT\nBEGIN:X1\nBEGIN:X2\nBEGIN:X3\nBEGIN:X4\nBEGIN:X5\nBEGIN:X6\nBEGIN:X7\nBEGIN:X8\n"
          "BEGIN:X9\nBEGIN:X10\nBEGIN:X11\nBEGIN:X12\nBEGIN:X13\nBEGIN:X14\nBEGIN:X15\n",
     0, CALOBJ_MALFORMED, "line 19: components nested more than 16 deep"},
    {"not a line", HEAD "hello world\n", 0, CALOBJ_MALFORMED,
     "line 4: not a property line (NAME:VALUE): \"hello world\""},
    {"name only", HEAD "SUMMARY\n", 0, CALOBJ_MALFORMED, "line 4: not a property line (NAME:VALUE): \"SUMMARY\""},
    {"space before colon", HEAD "SUMMARY :x\n", 0, CALOBJ_MALFORMED,
     "line 4: not a property line (NAME:VALUE): \"SUMMARY :x\""},
    {"leading space", " BEGIN:VCALENDAR\n", 0, CALOBJ_MALFORMED,
     "line 1: not a property line (NAME:VALUE): \" BEGIN:VCALENDAR\""},
    {"no name", HEAD ":value\n", 0, CALOBJ_MALFORMED, "line 4: not a property line (NAME:VALUE): \":value\""},
    {"param without =", EV("SUMMARY;LANGUAGE:x\n"), 0, CALOBJ_MALFORMED,
     "line 6: a parameter of SUMMARY is not NAME=VALUE"},
    {"param without name", EV("SUMMARY;=en:x\n"), 0, CALOBJ_MALFORMED,
     "line 6: a parameter of SUMMARY is not NAME=VALUE"},
    {"param at end", EV("SUMMARY;\n"), 0, CALOBJ_MALFORMED, "line 6: a parameter of SUMMARY is not NAME=VALUE"},
    {"open quote", EV("ATTENDEE;CN=\"Bob:mailto:b@x\n"), 0, CALOBJ_MALFORMED,
     "line 6: a quoted parameter value of ATTENDEE has no closing quote"},
    {"text after quote", EV("ATTENDEE;CN=\"Bob\"by:mailto:b@x\n"), 0, CALOBJ_MALFORMED,
     "line 6: text after a quoted parameter value of ATTENDEE"},
    {"no value", EV("ATTENDEE;CN=Bob\n"), 0, CALOBJ_MALFORMED, "line 6: ATTENDEE has no ':' before its value"},
    {"empty begin", HEAD "BEGIN:\n", 0, CALOBJ_MALFORMED, "line 4: \"\" is not a component name"},
    {"bad begin", HEAD "BEGIN:V EVENT\n", 0, CALOBJ_MALFORMED, "line 4: \"V EVENT\" is not a component name"},
    {"NUL", HEAD "BEGIN:VEVENT\nSUMMARY:a\0b\nEND:VEVENT\n" TAIL, sizeof(HEAD "BEGIN:VEVENT\nSUMMARY:a\0b\n") - 1,
     CALOBJ_MALFORMED, "line 5: the text has a NUL byte"},
    {"NUL in a fold", HEAD "BEGIN:VEVENT\nSUMMARY:a\n \0b\n", sizeof(HEAD "BEGIN:VEVENT\nSUMMARY:a\n \0b\n") - 1,
     CALOBJ_MALFORMED, "line 6: the text has a NUL byte"},
    {"NUL first", "\0", 1, CALOBJ_MALFORMED, "line 1: the text has a NUL byte"},
    {"second rid", EV("RECURRENCE-ID:1\nRECURRENCE-ID:2\n"), 0, CALOBJ_MALFORMED,
     "line 7: VEVENT has a second RECURRENCE-ID"},
    {"empty rid", EV("RECURRENCE-ID:\n"), 0, CALOBJ_MALFORMED, "line 6: RECURRENCE-ID has no value"},
    {"no components", HEAD TAIL, 0, CALOBJ_EMPTY, "line 1: the VCALENDAR has no VEVENT, VTODO or VJOURNAL"},
    {"zone only", "\n" HEAD "BEGIN:VTIMEZONE\nTZID:X\nEND:VTIMEZONE\n" TAIL, 0, CALOBJ_EMPTY,
     "line 2: the VCALENDAR has no VEVENT, VTODO or VJOURNAL"},
    {"no uid", HEAD "BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n" TAIL, 0, CALOBJ_NO_UID, "line 4: VEVENT has no UID"},
    {"uid in alarm only", HEAD "BEGIN:VTODO\nBEGIN:VALARM\nUID:x\nEND:VALARM\nEND:VTODO\n" TAIL, 0, CALOBJ_NO_UID,
     "line 4: VTODO has no UID"},
    {"empty uid", HEAD "BEGIN:VJOURNAL\nUID:\nEND:VJOURNAL\n" TAIL, 0, CALOBJ_NO_UID,
     "line 5: VJOURNAL has an empty UID"},
    {"a plain event reads", EV(""), 0, CALOBJ_OK, NULL},
    {"mixed uids", HEAD "BEGIN:VEVENT\nUID:a\nEND:VEVENT\nBEGIN:VTODO\nSUMMARY:t\nUID:b\nEND:VTODO\n" TAIL, 0,
     CALOBJ_MIXED_UIDS, "line 9: VTODO has UID b, but an earlier component has UID a"},
    {"two uids", EV("UID:u2\n"), 0, CALOBJ_MIXED_UIDS, "line 6: VEVENT has two UIDs, u1 and u2"},
    {"two masters", HEAD "BEGIN:VEVENT\nUID:x\nEND:VEVENT\nBEGIN:VEVENT\nUID:x\nEND:VEVENT\n" TAIL, 0,
     CALOBJ_DUPLICATE, "line 7: a second VEVENT with UID x and no RECURRENCE-ID (the first is on line 4)"},
    {"two overrides",
     HEAD "BEGIN:VEVENT\nUID:x\nRECURRENCE-ID:1\nEND:VEVENT\nBEGIN:VEVENT\nUID:x\nEND:VEVENT\n"
          "BEGIN:VEVENT\nUID:x\nRECURRENCE-ID:1\nEND:VEVENT\n" TAIL,
     0, CALOBJ_DUPLICATE, "line 11: a second VEVENT with UID x and RECURRENCE-ID 1 (the first is on line 4)"},
};

static void test_errors(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(error_rows); i++) {
    const char *text = error_rows[i].text;
    gsize len = error_rows[i].len ? error_rows[i].len : strlen(text);
    CalObject *sentinel = (CalObject *)&error_rows[i];
    CalObject *out = sentinel;
    g_autofree char *detail = NULL;
    CalObjError err = scan_len(text, len, &out, &detail);
    if (error_rows[i].err == CALOBJ_OK) {
      EXPECT(err == CALOBJ_OK, "%s: refused: %s", error_rows[i].name, detail);
      if (err == CALOBJ_OK)
        calobj_free(out);
      continue;
    }
    EXPECT(err == error_rows[i].err, "%s: error %d, want %d (%s)", error_rows[i].name, err, error_rows[i].err,
           detail);
    EXPECT(g_strcmp0(detail, error_rows[i].detail) == 0, "%s: detail \"%s\", want \"%s\"", error_rows[i].name,
           detail, error_rows[i].detail);
    EXPECT(out == sentinel, "%s: *out was touched", error_rows[i].name);
    /* The same without asking for the detail. */
    EXPECT(scan_len(text, len, &out, NULL) == error_rows[i].err, "%s: differs without detail", error_rows[i].name);
  }
}

/* Untrusted text in messages is short, printable and valid UTF-8. */
static void test_detail_excerpts(void) {
  GString *uid = g_string_new(NULL);
  for (int i = 0; i < 200; i++)
    g_string_append(uid, "abcdefghij");
  g_autofree char *text = g_strdup_printf(HEAD "BEGIN:VEVENT\nUID:%s\nEND:VEVENT\nBEGIN:VEVENT\nUID:%s\n"
                                               "END:VEVENT\n" TAIL,
                                          uid->str, uid->str);
  g_string_free(uid, TRUE);
  CalObject *out = NULL;
  g_autofree char *detail = NULL;
  g_assert_cmpint(scan_len(text, strlen(text), &out, &detail), ==, CALOBJ_DUPLICATE);
  g_assert_cmpuint(strlen(detail), <, 200);
  g_assert_nonnull(strstr(detail, "abcdefghij..."));

  const char *bad = HEAD "SUMMARY\x01\xC3\xA9\xFF:\n";
  g_autofree char *detail2 = NULL;
  g_assert_cmpint(scan_len(bad, strlen(bad), &out, &detail2), ==, CALOBJ_MALFORMED);
  g_assert_true(g_utf8_validate(detail2, -1, NULL));
  g_assert_null(strchr(detail2, '\x01'));
  g_assert_true(g_str_has_prefix(detail2, "line 4: not a property line (NAME:VALUE): \"SUMMARY?\xC3\xA9"));

  GString *name = g_string_new("BEGIN:X-");
  for (int i = 0; i < 1000; i++)
    g_string_append_c(name, 'A');
  g_autofree char *text3 = g_strdup_printf(HEAD "%s\n", name->str);
  g_string_free(name, TRUE);
  g_autofree char *detail3 = NULL;
  g_assert_cmpint(scan_len(text3, strlen(text3), &out, &detail3), ==, CALOBJ_MALFORMED);
  g_assert_cmpuint(strlen(detail3), <, 200);
  g_assert_true(g_str_has_prefix(detail3, "line 4: BEGIN:X-AAAA"));
}

/* ---- diff ------------------------------------------------------------------------ */

/* SAMPLE with `from` replaced by `to` (which must be there). */
static char *sample_with(const char *from, const char *to) {
  const char *at = strstr(SAMPLE, from);
  g_assert_nonnull(at);
  return g_strdup_printf("%.*s%s%s", (int)(at - SAMPLE), SAMPLE, to, at + strlen(from));
}

#define OVERRIDE2                                                                                                \
  "BEGIN:VEVENT\nUID:" UID1 "\nRECURRENCE-ID;TZID=Europe/London:20261221T090000\n"                                \
  "DTSTART;TZID=Europe/London:20261221T110000\nEND:VEVENT\n"

static void test_diff(void) {
  static const struct {
    const char *name;
    const char *from, *to; /* the edit to SAMPLE */
    const char *want;
  } rows[] = {
      {"nothing", "", "", ""},
      {"DTSTAMP", "DTSTAMP:20261101T120000Z", "DTSTAMP:20261105T000000Z", ""},
      {"LAST-MODIFIED added", "LOCATION:Room 4\n", "LOCATION:Room 4\nLAST-MODIFIED:20261105T000000Z\n", ""},
      {"zone", "TZOFFSETFROM:+0100", "TZOFFSETFROM:+0200", ""},
      {"lines of different names swapped", "SUMMARY:Weekly planning\nLOCATION:Room 4",
       "LOCATION:Room 4\nSUMMARY:Weekly planning", ""},
      {"location", "LOCATION:Room 4", "LOCATION:Room 5", "M " UID1 " - LOCATION"},
      {"location removed", "LOCATION:Room 4\n", "", "M " UID1 " - LOCATION"},
      {"property added", "LOCATION:Room 4\n", "LOCATION:Room 4\nCATEGORIES:Work\n", "M " UID1 " - CATEGORIES"},
      {"two fields", "DTSTART;TZID=Europe/London:20261207T090000\nDTEND;TZID=Europe/London:20261207T100000\n"
                     "RRULE:FREQ=WEEKLY;COUNT=10\nSUMMARY:Weekly planning\nLOCATION:Room 4",
       "DTSTART;TZID=Europe/London:20261207T093000\nDTEND;TZID=Europe/London:20261207T100000\n"
       "RRULE:FREQ=WEEKLY;COUNT=10\nSUMMARY:Weekly planning\nLOCATION:Room 6",
       "M " UID1 " - DTSTART,LOCATION"},
      {"attendees reordered",
       "ATTENDEE;CN=\"Smith, Bob\";PARTSTAT=ACCEPTED:mailto:bob@example.com\n"
       "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.com\n",
       "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:ann@example.com\n"
       "ATTENDEE;CN=\"Smith, Bob\";PARTSTAT=ACCEPTED:mailto:bob@example.com\n",
       "M " UID1 " - ATTENDEE"},
      {"partstat", "PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED", "M " UID1 " - ATTENDEE"},
      {"alarm", "TRIGGER:-PT15M", "TRIGGER:-PT30M", "M " UID1 " - VALARM"},
      {"alarm added", "END:VALARM\n", "END:VALARM\nBEGIN:VALARM\nACTION:AUDIO\nTRIGGER:-PT1M\nEND:VALARM\n",
       "M " UID1 " - VALARM"},
      {"alarm removed", "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Reminder\nEND:VALARM\n", "",
       "M " UID1 " - VALARM"},
      {"override changed", "SUMMARY:Weekly planning (moved)", "SUMMARY:Weekly planning (moved again)",
       "M " UID1 " " RID1 " SUMMARY"},
      {"override added", "END:VEVENT\nEND:VCALENDAR", "END:VEVENT\n" OVERRIDE2 "END:VCALENDAR",
       "A " UID1 " TZID=Europe/London:20261221T090000"},
      {"override removed", OVERRIDE1, "", "R " UID1 " " RID1},
      {"kind", "BEGIN:VEVENT\nUID:" UID1 "\nRECURRENCE-ID", "BEGIN:VTODO\nUID:" UID1 "\nRECURRENCE-ID",
       "M " UID1 " " RID1 " BEGIN"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *text = sample_with(rows[i].from, rows[i].to);
    if (strcmp(rows[i].name, "kind") == 0) {
      char *end = strstr(strstr(text, "BEGIN:VTODO"), "END:VEVENT");
      memcpy(end, "END:VTODO\n", 10);
      memmove(end + 10, end + 11, strlen(end + 11) + 1);
    }
    g_autofree char *got = diff_texts(SAMPLE, text);
    EXPECT(strcmp(got, rows[i].want) == 0, "%s: \"%s\", want \"%s\"", rows[i].name, got, rows[i].want);
  }
}

static void test_diff_order(void) {
#define OV(rid, summary) "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:" rid "\nSUMMARY:" summary "\nEND:VEVENT\n"
  const char *old = HEAD OV("3", "c") OV("1", "a") "BEGIN:VEVENT\nUID:u\nSUMMARY:m\nEND:VEVENT\n" OV("4", "d") TAIL;
  const char *new = HEAD OV("2", "b") OV("4", "D") OV("3", "c") "BEGIN:VEVENT\nUID:u\nSUMMARY:M\nEND:VEVENT\n" TAIL;
#undef OV
  g_autofree char *got = diff_texts(old, new);
  g_assert_cmpstr(got, ==, "M u - SUMMARY | R u 1 | A u 2 | M u 4 SUMMARY");
  g_autofree char *back = diff_texts(new, old);
  g_assert_cmpstr(back, ==, "M u - SUMMARY | A u 1 | R u 2 | M u 4 SUMMARY");
  g_autofree char *master_gone = diff_texts(old, HEAD "BEGIN:VEVENT\nUID:u\nRECURRENCE-ID:1\nSUMMARY:a\n"
                                                      "END:VEVENT\n" TAIL);
  g_assert_cmpstr(master_gone, ==, "R u - | R u 3 | R u 4");
}

static void test_diff_uid_and_null(void) {
  g_autofree char *renamed_text = g_strdup(SAMPLE);
  for (char *p = renamed_text; (p = strstr(p, "5f0c2a7e")) != NULL; p++)
    memcpy(p, "0a0a0a0a", 8);
  g_autofree char *renamed = diff_texts(SAMPLE, renamed_text);
  g_assert_cmpstr(renamed, ==,
                  "R " UID1 " - | R " UID1 " " RID1 " | A 0a0a0a0a-planning@example.com - | A "
                  "0a0a0a0a-planning@example.com " RID1);

  g_autofree char *added = diff_texts(NULL, SAMPLE);
  g_assert_cmpstr(added, ==, "A " UID1 " - | A " UID1 " " RID1);
  g_autofree char *removed = diff_texts(SAMPLE, NULL);
  g_assert_cmpstr(removed, ==, "R " UID1 " - | R " UID1 " " RID1);
  g_autoptr(GPtrArray) none = calobj_diff(NULL, NULL);
  g_assert_cmpuint(none->len, ==, 0);

  /* A change as the journal would keep it. */
  g_autoptr(CalObject) a = scan_ok(SAMPLE);
  g_autofree char *text = sample_with("LOCATION:Room 4", "LOCATION:Room 5");
  g_autoptr(CalObject) b = scan_ok(text);
  g_autoptr(GPtrArray) changes = calobj_diff(a, b);
  g_assert_cmpuint(changes->len, ==, 1);
  const CalChange *c = g_ptr_array_index(changes, 0);
  g_assert_cmpint(c->kind, ==, CHANGE_MODIFIED);
  g_assert_cmpstr(c->uid, ==, UID1);
  g_assert_null(c->recurrence_id);
  g_assert_cmpstr(c->fields, ==, "LOCATION");
  calchange_free(NULL);
  calobj_free(NULL);
}

static void test_kind_names(void) {
  g_assert_cmpstr(calchange_kind_name(CHANGE_ADDED), ==, "added");
  g_assert_cmpstr(calchange_kind_name(CHANGE_MODIFIED), ==, "modified");
  g_assert_cmpstr(calchange_kind_name(CHANGE_REMOVED), ==, "removed");
  g_assert_cmpstr(calchange_kind_name((ChangeKind)'?'), ==, "unknown");
}

/* An object rebuilt by hand (as from a store) diffs and frees like a scanned one. */
static void test_hand_built(void) {
  CalObject *obj = g_new0(CalObject, 1);
  obj->uid = g_strdup("u1");
  obj->components = g_ptr_array_new();
  CalComponent *c = g_new0(CalComponent, 1);
  c->kind = g_strdup("VEVENT");
  c->props = g_array_new(FALSE, FALSE, sizeof(CalProp));
  CalProp p = {g_strdup("SUMMARY"), 1};
  g_array_append_val(c->props, p);
  c->hash = 7;
  g_ptr_array_add(obj->components, c);
  g_autoptr(CalObject) scanned = scan_ok(EV("SUMMARY:x\n"));
  g_autofree char *got = diff_text(obj, scanned);
  g_assert_cmpstr(got, ==, "M u1 - SUMMARY,UID");
  calobj_free(obj);
}

/* ---- hostile input --------------------------------------------------------------- */

static void check_any(const char *text, gsize len) {
  CalObject *obj = NULL;
  char *detail = NULL;
  CalObjError err = scan_len(text, len, &obj, &detail);
  if (err == CALOBJ_OK) {
    g_assert_nonnull(obj);
    g_assert_null(detail);
    g_autoptr(GPtrArray) same = calobj_diff(obj, obj);
    g_assert_cmpuint(same->len, ==, 0);
    calobj_free(obj);
  } else {
    g_assert_nonnull(detail);
    g_assert_true(g_str_has_prefix(detail, "line "));
    g_assert_true(g_utf8_validate(detail, -1, NULL));
    g_free(detail);
  }
}

static void test_truncation(void) {
  g_autofree char *crlf_text = crlf(SAMPLE);
  const char *texts[] = {SAMPLE, crlf_text};
  for (gsize t = 0; t < G_N_ELEMENTS(texts); t++) {
    gsize len = strlen(texts[t]);
    /* It reads once "END:VCALENDAR" is whole, even without its line end. */
    gsize whole = len - (t == 0 ? 1 : 2);
    for (gsize n = 0; n <= len; n++) {
      CalObject *obj = NULL;
      char *detail = NULL;
      CalObjError err = scan_len(texts[t], n, &obj, &detail);
      EXPECT((err == CALOBJ_OK) == (n >= whole), "prefix of %" G_GSIZE_FORMAT " bytes: %d (%s)", n, err, detail);
      if (err == CALOBJ_OK) {
        g_assert_cmpuint(obj->components->len, ==, 2);
        calobj_free(obj);
      } else {
        g_assert_true(g_str_has_prefix(detail, "line "));
      }
      g_free(detail);
      check_any(texts[t], n);
    }
  }
}

/* Each byte replaced in turn by bytes that matter to the scanner. */
static void test_byte_changes(void) {
  static const char bytes[] = {'\0', '\r', '\n', ' ', '\t', ':', ';', ',', '"', '=', 'x', '\xff'};
  g_autofree char *text = crlf(SAMPLE);
  gsize len = strlen(text);
  for (gsize i = 0; i < len; i++) {
    char was = text[i];
    for (gsize b = 0; b < sizeof(bytes); b++) {
      text[i] = bytes[b];
      check_any(text, len);
    }
    text[i] = was;
  }
}

static char *many_components(guint n) {
  GString *text = g_string_new(HEAD);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(text, "BEGIN:VEVENT\nUID:many\nRECURRENCE-ID:2026%07u\nSUMMARY:n\nEND:VEVENT\n",
                           n - i);
  g_string_append(text, TAIL);
  return g_string_free(text, FALSE);
}

static void test_component_cap(void) {
  g_autofree char *max = many_components(CALOBJ_MAX_COMPONENTS);
  g_autoptr(CalObject) obj = scan_ok(max);
  g_assert_cmpuint(obj->components->len, ==, CALOBJ_MAX_COMPONENTS);
  for (guint i = 1; i < obj->components->len; i++)
    g_assert_cmpstr(comp(obj, i - 1)->recurrence_id, <, comp(obj, i)->recurrence_id);
  g_autoptr(GPtrArray) all = calobj_diff(NULL, obj);
  g_assert_cmpuint(all->len, ==, CALOBJ_MAX_COMPONENTS);

  g_autofree char *over = many_components(CALOBJ_MAX_COMPONENTS + 1);
  CalObject *out = NULL;
  g_autofree char *detail = NULL;
  g_assert_cmpint(scan_len(over, strlen(over), &out, &detail), ==, CALOBJ_TOO_LARGE);
  g_autofree char *want = g_strdup_printf("line %d: more than %d VEVENT, VTODO or VJOURNAL components",
                                          4 + 5 * CALOBJ_MAX_COMPONENTS, CALOBJ_MAX_COMPONENTS);
  g_assert_cmpstr(detail, ==, want);
}

static char *many_lines(guint n, const char *line) {
  GString *text = g_string_new(HEAD "BEGIN:VEVENT\nUID:u\n"); /* 5 lines */
  for (guint i = 5; i < n - 2; i++)
    g_string_append(text, line);
  g_string_append(text, "END:VEVENT\n" TAIL);
  return g_string_free(text, FALSE);
}

static void test_line_cap(void) {
  const char *lines[] = {"X-A:1\n", "\n", " folded\n", "X-B;P=1:2\r\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
    g_autofree char *max = many_lines(CALOBJ_MAX_LINES, lines[i]);
    g_autoptr(CalObject) obj = scan_ok(max);
    g_assert_cmpuint(obj->components->len, ==, 1);
    g_autofree char *over = many_lines(CALOBJ_MAX_LINES + 1, lines[i]);
    CalObject *out = NULL;
    g_autofree char *detail = NULL;
    g_assert_cmpint(scan_len(over, strlen(over), &out, &detail), ==, CALOBJ_TOO_LARGE);
    g_autofree char *want = g_strdup_printf("line %d: the object has more than %d lines", CALOBJ_MAX_LINES + 1,
                                            CALOBJ_MAX_LINES);
    g_assert_cmpstr(detail, ==, want);
  }
  /* 100,000 distinct names in one component: sorted, not searched. */
  GString *text = g_string_new(HEAD "BEGIN:VEVENT\nUID:u\n");
  for (int i = 0; i < 100000; i++)
    g_string_append_printf(text, "X-P%d:v\n", (i * 7919) % 100000);
  g_string_append(text, "END:VEVENT\n" TAIL);
  g_autoptr(CalObject) wide = scan_ok(text->str);
  g_string_free(text, TRUE);
  g_assert_cmpuint(comp(wide, 0)->props->len, ==, 100001);
  for (guint i = 1; i < comp(wide, 0)->props->len; i++)
    g_assert_cmpstr(g_array_index(comp(wide, 0)->props, CalProp, i - 1).name, <,
                    g_array_index(comp(wide, 0)->props, CalProp, i).name);
}

/* A sanity figure for the initial-sync budget (about 5 µs an object); reported, not asserted. */
static void test_speed(void) {
  g_autofree char *text = crlf(SAMPLE);
  gsize len = strlen(text);
  const int rounds = 20000;
  guint64 sink = 0;
  gint64 t0 = g_get_monotonic_time();
  for (int i = 0; i < rounds; i++) {
    CalObject *obj = NULL;
    g_assert_cmpint(calobj_scan(text, len, &obj, NULL), ==, CALOBJ_OK);
    sink ^= comp(obj, 0)->hash;
    calobj_free(obj);
  }
  gint64 took = g_get_monotonic_time() - t0;
  g_autoptr(CalObject) obj = scan_ok(text);
  gint64 t1 = g_get_monotonic_time();
  for (int i = 0; i < rounds; i++) {
    GPtrArray *changes = calobj_diff(obj, obj);
    sink ^= changes->len;
    g_ptr_array_unref(changes);
  }
  gint64 took_diff = g_get_monotonic_time() - t1;
  g_test_message("calobj_scan: %.2f us per %" G_GSIZE_FORMAT "-byte object; calobj_diff: %.2f us (%" G_GUINT64_FORMAT
                 ")",
                 (double)took / rounds, len, (double)took_diff / rounds, sink & 1);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/calobj/sample", test_sample);
  g_test_add_func("/calobj/kinds", test_kinds);
  g_test_add_func("/calobj/folding", test_folding);
  g_test_add_func("/calobj/line-ends", test_line_ends);
  g_test_add_func("/calobj/quoted-params", test_quoted_params);
  g_test_add_func("/calobj/recurrence-ids", test_recurrence_ids);
  g_test_add_func("/calobj/hash-coverage", test_hash_coverage);
  g_test_add_func("/calobj/errors", test_errors);
  g_test_add_func("/calobj/detail-excerpts", test_detail_excerpts);
  g_test_add_func("/calobj/diff", test_diff);
  g_test_add_func("/calobj/diff-order", test_diff_order);
  g_test_add_func("/calobj/diff-uid-and-null", test_diff_uid_and_null);
  g_test_add_func("/calobj/kind-names", test_kind_names);
  g_test_add_func("/calobj/hand-built", test_hand_built);
  g_test_add_func("/calobj/truncation", test_truncation);
  g_test_add_func("/calobj/byte-changes", test_byte_changes);
  g_test_add_func("/calobj/component-cap", test_component_cap);
  g_test_add_func("/calobj/line-cap", test_line_cap);
  g_test_add_func("/calobj/speed", test_speed);
  return g_test_run();
}
