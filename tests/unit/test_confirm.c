/* Unit tests for core/confirm.c: who is written to, what counts as news,
 * and the text and iCalendar part of each confirmation.
 *
 * The owner is sam@example.com.  Unless a row says otherwise `now` is
 * Sunday 2026-03-01 12:00 UTC, floating times and dates are read in UTC,
 * and appointments fall on Monday 2026-03-02.  Nothing reads the clock.
 *
 * A check written with EXPECT_BUG guards against a bug found and fixed in
 * core/confirm.c: it fails like EXPECT, and its note names the bug.
 */
#include "testutil.h"

#include <string.h>

#include "confirm.h"

#define DASH "\u2013"
#define NOW "2026-03-01T12:00:00Z"


static const char *const owners[] = {"sam@example.com", NULL};

#define ORG "ORGANIZER;CN=Sam:mailto:sam@example.com\n"
#define ANN "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION:mailto:ann@example.org\n"
#define BOB "ATTENDEE;CN=Bob:mailto:bob@example.org\n"
#define CY "ATTENDEE:mailto:cy@example.org\n"
#define MONDAY "DTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
#define VEV(uid, body) "BEGIN:VEVENT\nUID:" uid "\nDTSTAMP:20260201T000000Z\n" body "END:VEVENT\n"

/* A zone no database knows, one hour ahead of UTC all year. */
#define OFFICE_TZ                                                                                                      \
  "BEGIN:VTIMEZONE\nTZID:Office Time\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\n"                   \
  "TZOFFSETTO:+0100\nTZNAME:OT\nEND:STANDARD\nEND:VTIMEZONE\n"

#define VALARM "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Reminder\nTRIGGER:-PT15M\nEND:VALARM\n"
#define MOZ "X-MOZ-LASTACK:20260301T080000Z\nX-MOZ-GENERATION:3\nX-MOZ-SNOOZE-TIME:20260302T085000Z\n"

/* ---- helpers ----------------------------------------------------------------- */

typedef struct {
  Zones *zones;
  GPtrArray *items; /* of ConfirmItem* */
  char *error;
  guint added;
} Reading;

static void reading_free(Reading *r) {
  if (!r)
    return;
  g_ptr_array_unref(r->items);
  g_free(r->error);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reading, reading_free)

/* Reads whole calendar text at `now` (RFC 3339), floating times in `local`. */
static Reading *read_text(Zones *zones, const char *text, const char *now, const char *local) {
  Reading *r = g_new0(Reading, 1);
  r->zones = zones;
  r->items = g_ptr_array_new_with_free_func((GDestroyNotify)confirm_item_free);
  ConfirmQuery q = {owners, zones, zones_resolve(zones, local ? local : "UTC"), test_instant(now ? now : NOW)};
  g_assert_nonnull(q.local);
  r->added = confirm_read(text, strlen(text), &q, r->items, &r->error);
  EXPECT(r->added == r->items->len, "returned %u, appended %u", r->added, r->items->len);
  return r;
}

/* Reads VEVENT (and VTIMEZONE) blocks wrapped in a VCALENDAR. */
static Reading *read_at(Zones *zones, const char *vevents, const char *now, const char *local) {
  g_autofree char *ics = test_calendar(vevents);
  return read_text(zones, ics, now, local);
}

static Reading *read_ev(Zones *zones, const char *vevents) { return read_at(zones, vevents, NULL, NULL); }

static ConfirmItem *item(const Reading *r, guint i) {
  g_assert_cmpuint(i, <, r->items->len);
  return g_ptr_array_index(r->items, i);
}

/* The item of a reading that has exactly one, or NULL (reported). */
static ConfirmItem *only(const Reading *r) {
  EXPECT(r->items->len == 1, "%u items (error %s)", r->items->len, r->error ? r->error : "none");
  return r->items->len == 1 ? item(r, 0) : NULL;
}

/* Strings of a GPtrArray of char* joined by `sep`. */
static char *joined(const GPtrArray *a, const char *sep) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; a && i < a->len; i++)
    g_string_append_printf(s, "%s%s", i ? sep : "", (const char *)g_ptr_array_index(a, i));
  return g_string_free(s, FALSE);
}

/* Recipients as "address[=name]" joined by ",". */
static char *recipients_text(const ConfirmItem *it) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < it->recipients->len; i++) {
    const ConfirmRecipient *r = g_ptr_array_index(it->recipients, i);
    g_string_append_printf(s, "%s%s", i ? "," : "", r->address);
    if (r->name)
      g_string_append_printf(s, "=%s", r->name);
  }
  return g_string_free(s, FALSE);
}

static gboolean is_hex64(const char *s) {
  if (!s || strlen(s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
      return FALSE;
  return TRUE;
}

static gboolean crlf_only(const char *text) {
  for (const char *p = text; *p; p++)
    if (*p == '\n' && (p == text || p[-1] != '\r'))
      return FALSE;
  return TRUE;
}

/* ---- 1. who is written to -------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *attendees;  /* ATTENDEE lines */
  const char *recipients; /* "address[=name]" joined by "," in order */
  const char *refused;    /* joined by "|" */
  const char *people;     /* joined by "|" */
} RecipientRow;

static const RecipientRow recipient_rows[] = {
    {"plain", ANN "ATTENDEE:mailto:bob@example.org\n", "ann@example.org=Ann,bob@example.org", "",
     "Ann <ann@example.org>|bob@example.org"},
    {"sorted", CY BOB ANN, "ann@example.org=Ann,bob@example.org=Bob,cy@example.org", "",
     "cy@example.org|Bob <bob@example.org>|Ann <ann@example.org>"},
    {"none", "", "", "", ""},
    {"owner-as-attendee", "ATTENDEE;CN=Sam;PARTSTAT=ACCEPTED:mailto:sam@example.com\n" ANN, "ann@example.org=Ann", "",
     "Sam <sam@example.com>|Ann <ann@example.org>"},
    {"owner-only", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:sam@example.com\n", "", "", "sam@example.com"},
    {"owner-in-capitals", "ATTENDEE:MAILTO:Sam@Example.COM\n" ANN, "ann@example.org=Ann", "",
     "sam@example.com|Ann <ann@example.org>"},
    {"address-lower-cased", "ATTENDEE;CN=Ann:MAILTO:Ann@Example.ORG\n", "ann@example.org=Ann", "",
     "Ann <ann@example.org>"},
    {"room", "ATTENDEE;CUTYPE=ROOM;CN=Room 2:mailto:room2@example.org\n" ANN, "ann@example.org=Ann", "",
     "Room: Room 2|Ann <ann@example.org>"},
    {"resource", "ATTENDEE;CUTYPE=RESOURCE;CN=Projector:mailto:beamer@example.org\n", "", "", "Resource: Projector"},
    {"room-without-name", "ATTENDEE;CUTYPE=ROOM:mailto:room2@example.org\n", "", "", "Room: room2@example.org"},
    {"non-participant", "ATTENDEE;ROLE=NON-PARTICIPANT;CN=Kim:mailto:kim@example.org\n" ANN, "ann@example.org=Ann", "",
     "Kim <kim@example.org>|Ann <ann@example.org>"},
    {"chair-and-optional",
     "ATTENDEE;ROLE=CHAIR:mailto:chair@example.org\nATTENDEE;ROLE=OPT-PARTICIPANT:mailto:opt@example.org\n",
     "chair@example.org,opt@example.org", "", "chair@example.org|opt@example.org"},
    {"group", "ATTENDEE;CUTYPE=GROUP;CN=Team:mailto:team@example.org\n", "team@example.org=Team", "",
     "Team <team@example.org>"},
    {"declined-still-hears", "ATTENDEE;PARTSTAT=DECLINED:mailto:dee@example.org\n", "dee@example.org", "",
     "dee@example.org"},
    {"urn", "ATTENDEE;CN=Ann:urn:uuid:00000000-0000-0000-0000-000000000001\n" BOB, "bob@example.org=Bob",
     "urn:uuid:00000000-0000-0000-0000-000000000001: not an email (mailto:) address", "Ann|Bob <bob@example.org>"},
    {"tel", "ATTENDEE:tel:+441234567890\n", "", "tel:+441234567890: not an email (mailto:) address",
     "tel:+441234567890"},
    {"empty-mailto", "ATTENDEE:mailto:\n", "", "mailto:: not an email (mailto:) address", "mailto:"},
    {"duplicate", ANN "ATTENDEE;CN=Ann again:MAILTO:ANN@EXAMPLE.ORG\n", "ann@example.org=Ann", "",
     "Ann <ann@example.org>|Ann again <ann@example.org>"},
    {"space-in-address", "ATTENDEE:mailto:a b@x.org\n" ANN, "ann@example.org=Ann",
     "a b@x.org: not a valid email address", "a b@x.org|Ann <ann@example.org>"},
    {"angle-brackets", "ATTENDEE:mailto:<evil>@x.org\n", "", "<evil>@x.org: not a valid email address", "<evil>@x.org"},
    {"header-injection", "ATTENDEE:mailto:a@x.org\\,bcc@evil.org\n", "", "", NULL},
    {"no-at", "ATTENDEE:mailto:nobody\n", "", "nobody: not a valid email address", "nobody"},
    {"two-ats", "ATTENDEE:mailto:a@b@x.org\n", "", "a@b@x.org: not a valid email address", "a@b@x.org"},
    {"no-dot-in-domain", "ATTENDEE:mailto:a@localhost\n", "", "a@localhost: not a valid email address", "a@localhost"},
    {"invalid-and-duplicate", "ATTENDEE:mailto:a b@x.org\nATTENDEE:mailto:a b@x.org\n", "",
     "a b@x.org: not a valid email address|a b@x.org: not a valid email address", "a b@x.org|a b@x.org"},
    /* RFC 6868: ^n in a parameter is a line feed.  The CN is a name, never
     * the address: the recipient is still valid, the name goes on as is. */
    {"cn-with-newline", "ATTENDEE;CN=\"Ann^nBcc: evil@x.org\":mailto:ann@example.org\n",
     "ann@example.org=Ann\nBcc: evil@x.org", "", "Ann\nBcc: evil@x.org <ann@example.org>"},
};

static void run_recipient_row(gconstpointer data) {
  const RecipientRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *ev =
      g_strconcat("BEGIN:VEVENT\nUID:r\nDTSTAMP:20260201T000000Z\n" MONDAY ORG, row->attendees, "END:VEVENT\n", NULL);
  g_autoptr(Reading) r = read_ev(zones, ev);
  ConfirmItem *it = only(r);
  if (!it)
    return;
  g_autofree char *to = recipients_text(it);
  g_autofree char *refused = joined(it->refused, "|");
  g_autofree char *people = joined(it->people, "|");
  if (!strcmp(row->name, "header-injection")) {
    /* However libical splits the value, nothing with a comma, CR or LF may
     * become a recipient. */
    for (guint i = 0; i < it->recipients->len; i++) {
      const ConfirmRecipient *rc = g_ptr_array_index(it->recipients, i);
      EXPECT(!strpbrk(rc->address, ",\r\n <>"), "recipient %s", rc->address);
    }
    EXPECT(it->recipients->len + it->refused->len >= 1, "the attendee vanished");
    return;
  }
  EXPECT(!strcmp(to, row->recipients), "recipients\n#   got:  %s\n#   want: %s", to, row->recipients);
  EXPECT(!strcmp(refused, row->refused), "refused\n#   got:  %s\n#   want: %s", refused, row->refused);
  EXPECT(!strcmp(people, row->people), "people\n#   got:  %s\n#   want: %s", people, row->people);
  for (guint i = 0; i < it->recipients->len; i++) {
    const ConfirmRecipient *rc = g_ptr_array_index(it->recipients, i);
    g_autofree char *down = g_ascii_strdown(rc->address, -1);
    EXPECT(!strcmp(down, rc->address), "address not lower case: %s", rc->address);
    EXPECT(strcmp(rc->address, "sam@example.com") != 0, "the owner is a recipient");
  }
}

typedef struct {
  const char *name;
  const char *organizer; /* ORGANIZER line or "" */
  guint items;
  gboolean client_schedules;
} OrganizerRow;

static const OrganizerRow organizer_rows[] = {
    {"owner", ORG, 1, FALSE},
    {"owner-without-cn", "ORGANIZER:mailto:sam@example.com\n", 1, FALSE},
    {"owner-in-capitals", "ORGANIZER;CN=Sam:MAILTO:SAM@EXAMPLE.COM\n", 1, FALSE},
    {"owner-schedule-agent-client", "ORGANIZER;SCHEDULE-AGENT=CLIENT:mailto:sam@example.com\n", 1, TRUE},
    {"someone-else", "ORGANIZER;CN=Pat:mailto:pat@example.org\n", 0, FALSE},
    {"owner-lookalike", "ORGANIZER:mailto:sam@example.com.evil.org\n", 0, FALSE},
    {"not-mailto", "ORGANIZER:sam@example.com\n", 0, FALSE},
    {"urn", "ORGANIZER:urn:uuid:sam\n", 0, FALSE},
    {"none", "", 0, FALSE},
};

static void run_organizer_row(gconstpointer data) {
  const OrganizerRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *ev = g_strconcat("BEGIN:VEVENT\nUID:o\nDTSTAMP:20260201T000000Z\nSUMMARY:S\n" MONDAY, row->organizer,
                                    ANN, "END:VEVENT\n", NULL);
  g_autoptr(Reading) r = read_ev(zones, ev);
  EXPECT(r->items->len == row->items, "%u items, want %u", r->items->len, row->items);
  EXPECT(r->error == NULL, "error %s", r->error);
  if (r->items->len != 1)
    return;
  ConfirmItem *it = item(r, 0);
  EXPECT(!g_strcmp0(it->organizer, "sam@example.com"), "organizer %s", it->organizer);
  EXPECT(it->client_schedules == row->client_schedules, "client_schedules %d", it->client_schedules);
  EXPECT(!g_strcmp0(it->uid, "o") && it->rid == NULL, "uid %s rid %s", it->uid, it->rid);
  EXPECT(is_hex64(it->fingerprint), "fingerprint %s", it->fingerprint);
}

/* Fields of a plain item, and text that cannot be read. */
static void test_read_fields(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) r = read_ev(
      zones,
      VEV("f", "SUMMARY:Planning\nDESCRIPTION:Bring the figures\nLOCATION:  Room 2 \n"
               "URL:https://example.org/agenda\nCONFERENCE;VALUE=URI:https://meet.example/abc\n"
               "SEQUENCE:4\nSTATUS:CANCELLED\n"
               "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n" ORG ANN));
  ConfirmItem *it = only(r);
  if (!it)
    return;
  EXPECT(!g_strcmp0(it->summary, "Planning"), "summary %s", it->summary);
  EXPECT(!g_strcmp0(it->description, "Bring the figures"), "description %s", it->description);
  EXPECT(!g_strcmp0(it->location, "Room 2"), "location '%s'", it->location);
  EXPECT(!g_strcmp0(it->url, "https://example.org/agenda"), "url %s", it->url);
  EXPECT(!g_strcmp0(it->conference, "https://meet.example/abc"), "conference %s", it->conference);
  EXPECT(it->sequence == 4, "sequence %d", it->sequence);
  EXPECT(it->cancelled, "not cancelled");
  EXPECT(!g_strcmp0(it->zone, "Europe/London"), "zone %s", it->zone);
  EXPECT(!it->all_day && it->repeats == NULL, "all_day %d repeats %s", it->all_day, it->repeats);
  EXPECT(!g_strcmp0(it->organizer_name, "Sam"), "organizer_name %s", it->organizer_name);
  EXPECT(it->start == test_instant("2026-03-02T09:00:00Z") && it->end == test_instant("2026-03-02T10:00:00Z"), "times");
  EXPECT(it->snapshot && crlf_only(it->snapshot), "snapshot not CRLF");
  EXPECT(test_ical_count_lines(it->snapshot, "METHOD") == 0, "snapshot has a METHOD");

  /* The text of a message cannot be read: nothing, and a reason. */
  const char *bad[] = {"", "not a calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Reading) b = read_text(zones, bad[i], NULL, NULL);
    EXPECT(b->added == 0 && b->items->len == 0, "bad text %zu gave %u items", i, b->items->len);
    EXPECT(b->error && *b->error, "bad text %zu: no error", i);
  }
  /* error may be NULL. */
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)confirm_item_free);
  ConfirmQuery q = {owners, zones, zones_utc(zones), test_instant(NOW)};
  EXPECT(confirm_read("junk", 4, &q, out, NULL) == 0, "junk read");
  /* Not NUL-terminated: only `len` bytes are read. */
  g_autofree char *ics = test_calendar(VEV("n", MONDAY ORG ANN));
  g_autofree char *padded = g_strconcat(ics, "garbage that is not iCalendar", NULL);
  EXPECT(confirm_read(padded, strlen(ics), &q, out, NULL) == 1, "length not honoured");
  /* Appends after what is already there. */
  EXPECT(confirm_read(ics, strlen(ics), &q, out, NULL) == 1 && out->len == 2, "does not append");
  g_ptr_array_unref(out);
  confirm_item_free(NULL);
}

/* ---- 2. fingerprints: never a second email for nothing ---------------------------------------- */

#define FP(body) "BEGIN:VEVENT\nUID:fp\n" body "END:VEVENT\n"
#define FP_BASE FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB)
#define FP_LONDON "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
#define FP_SERIES_BODY(rrule, extra)                                                                                   \
  FP("DTSTAMP:20260201T000000Z\nSUMMARY:Weekly\n" FP_LONDON rrule extra "LOCATION:Room 2\n" ORG ANN BOB)
#define FP_SERIES FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "")
#define FP_SERIES_EX2(extra) FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", extra)

typedef struct {
  const char *name;
  const char *base; /* NULL = FP_BASE */
  const char *variant;
  gboolean same;
  const char *bug; /* known bug that breaks this row, or NULL */
} FingerprintRow;

static const FingerprintRow fingerprint_rows[] = {
    /* Not news. */
    {"identical", NULL, FP_BASE, TRUE, NULL},
    {"property-order", NULL,
     FP(BOB ANN ORG "LOCATION:Room  2\nDTEND:20260302T100000Z\nDTSTART:20260302T090000Z\nSUMMARY:Planning\n"
                    "DTSTAMP:20260201T000000Z\n"),
     TRUE, NULL},
    {"folded-differently", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Plan\n ning\nDTSTART:20260302T\n 090000Z\nDTEND:20260302T100000Z\n"
        "LOCATION:Ro\n om  2\nORGANIZER;CN=Sam:mailto:sam@exa\n mple.com\n"
        "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-\n ACTION:mailto:ann@example.org\n"
        "ATTENDEE;CN=Bob:mai\n lto:bob@example.org\n"),
     TRUE, NULL},
    {"stamps-and-sequence", NULL,
     FP("DTSTAMP:20260228T101010Z\nLAST-MODIFIED:20260228T101010Z\nCREATED:20260101T000000Z\nSEQUENCE:7\n"
        "SUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB),
     TRUE, NULL},
    {"partstat-reply", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG
        "ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED;RSVP=FALSE;SCHEDULE-STATUS=2.0:mailto:ann@example.org\n"
        "ATTENDEE;CN=Bob;PARTSTAT=DECLINED:mailto:bob@example.org\n"),
     TRUE, NULL},
    {"alarm-added", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB VALARM), TRUE, NULL},
    {"thunderbird-state", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" MOZ ORG ANN BOB), TRUE, NULL},
    {"summary-description", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning (v2)\nDESCRIPTION:New agenda\n" MONDAY
        "LOCATION:Room  2\n" ORG ANN BOB),
     TRUE, NULL},
    {"other-properties", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\nTRANSP:TRANSPARENT\nPRIORITY:1\n"
        "CATEGORIES:Work\nCLASS:PRIVATE\n" ORG ANN BOB),
     TRUE, NULL},
    {"location-case-and-space", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:  room 2 \n" ORG ANN BOB), TRUE, NULL},
    {"duration-for-dtend", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART:20260302T090000Z\nDURATION:PT1H\nLOCATION:Room  2\n" ORG
            ANN BOB),
     TRUE, NULL},
    {"iana-zone-for-utc", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" FP_LONDON "LOCATION:Room  2\n" ORG ANN BOB), TRUE, NULL},
    {"vtimezone-for-utc", NULL,
     OFFICE_TZ FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART;TZID=Office Time:20260302T100000\n"
                  "DTEND;TZID=Office Time:20260302T110000\nLOCATION:Room  2\n" ORG ANN BOB),
     TRUE, NULL},
    {"vendor-prefixed-zone", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/"
        "London:20260302T090000\n"
        "DTEND;TZID=/mozilla.org/20050126_1/Europe/London:20260302T100000\nLOCATION:Room  2\n" ORG ANN BOB),
     TRUE, NULL},
    {"address-case-and-cn", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG
        "ATTENDEE;CN=Ann Smith:MAILTO:Ann@Example.ORG\nATTENDEE;CN=Robert:mailto:BOB@example.org\n"),
     TRUE, NULL},
    {"duplicate-and-owner-attendee", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB
        "ATTENDEE:mailto:ann@example.org\nATTENDEE;PARTSTAT=ACCEPTED:mailto:sam@example.com\n"),
     TRUE, NULL},
    {"non-participant-and-refused", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB
        "ATTENDEE;ROLE=NON-PARTICIPANT:mailto:kim@example.org\nATTENDEE:mailto:a b@x.org\n"),
     TRUE, NULL},
    {"organizer-cn", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n"
        "ORGANIZER;CN=Samantha:MAILTO:SAM@example.com\n" ANN BOB),
     TRUE, NULL},
    /* News. */
    {"start-moved", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART:20260302T100000Z\nDTEND:20260302T110000Z\n"
        "LOCATION:Room  2\n" ORG ANN BOB),
     FALSE, NULL},
    {"end-changed", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART:20260302T090000Z\nDTEND:20260302T103000Z\n"
        "LOCATION:Room  2\n" ORG ANN BOB),
     FALSE, NULL},
    {"made-all-day", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\nDTSTART;VALUE=DATE:20260302\nLOCATION:Room  2\n" ORG ANN BOB),
     FALSE, NULL},
    {"location-changed", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room 3\n" ORG ANN BOB), FALSE, NULL},
    {"location-removed", NULL, FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY ORG ANN BOB), FALSE, NULL},
    {"url-added", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY
        "LOCATION:Room  2\nURL:https://example.org/a\n" ORG ANN BOB),
     FALSE, NULL},
    {"conference-added", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n"
        "CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.example/abc\n" ORG ANN BOB),
     FALSE, NULL},
    {"google-conference-added", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n"
        "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij\n" ORG ANN BOB),
     FALSE, NULL},
    {"attendee-added", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN BOB CY), FALSE, NULL},
    {"attendee-removed", NULL, FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN),
     FALSE, NULL},
    {"last-attendee-removed", NULL, FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG),
     FALSE, NULL},
    {"attendee-replaced", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\n" ORG ANN CY), FALSE, NULL},
    {"cancelled", NULL,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" MONDAY "LOCATION:Room  2\nSTATUS:CANCELLED\n" ORG ANN BOB),
     FALSE, NULL},
    /* Series. */
    {"series-identical", FP_SERIES, FP_SERIES, TRUE, NULL},
    {"rrule-parts-reordered", FP_SERIES, FP_SERIES_BODY("RRULE:COUNT=6;BYDAY=MO;FREQ=WEEKLY\n", ""), TRUE, NULL},
    {"exdate-zoned-vs-utc",
     FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "EXDATE;TZID=Europe/London:20260316T090000\n"),
     FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "EXDATE:20260316T090000Z\n"), TRUE, NULL},
    {"exdates-as-one-list",
     FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260309T090000\nEXDATE;TZID=Europe/London:20260316T090000\n"),
     FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260309T090000,20260316T090000\n"), TRUE, NULL},
    /* Thunderbird appends an EXDATE per occurrence deleted, in the order
     * they were deleted; a server may sort or merge them. */
    {"exdates-reordered",
     FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260309T090000\nEXDATE;TZID=Europe/London:20260316T090000\n"),
     FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260316T090000\nEXDATE;TZID=Europe/London:20260309T090000\n"), TRUE,
     "the fingerprint lists EXDATEs in document order, unsorted"},
    {"exdate-repeated", FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260309T090000\n"),
     FP_SERIES_EX2("EXDATE;TZID=Europe/London:20260309T090000\nEXDATE:20260309T090000Z\n"), TRUE,
     "the fingerprint counts a repeated EXDATE twice"},
    {"rdates-reordered",
     FP_SERIES_EX2("RDATE;TZID=Europe/London:20260318T090000\nRDATE;TZID=Europe/London:20260325T090000\n"),
     FP_SERIES_EX2("RDATE;TZID=Europe/London:20260325T090000\nRDATE;TZID=Europe/London:20260318T090000\n"), TRUE,
     "the fingerprint lists RDATEs in document order, unsorted"},
    {"series-alarm-and-summary", FP_SERIES,
     FP("DTSTAMP:20260301T000000Z\nSUMMARY:Weekly sync\n" FP_LONDON "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n"
        "LOCATION:Room 2\n" ORG ANN BOB VALARM MOZ),
     TRUE, NULL},
    {"rrule-count", FP_SERIES, FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5\n", ""), FALSE, NULL},
    {"rrule-interval", FP_SERIES, FP_SERIES_BODY("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=6\n", ""), FALSE, NULL},
    {"rrule-removed", FP_SERIES, FP_SERIES_BODY("", ""), FALSE, NULL},
    {"exdate-added", FP_SERIES,
     FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "EXDATE;TZID=Europe/London:20260316T090000\n"), FALSE,
     NULL},
    {"rdate-added", FP_SERIES,
     FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "RDATE;TZID=Europe/London:20260318T090000\n"), FALSE, NULL},
    /* The first occurrence is the same instant, but a weekly series at
     * 09:00 London is at 08:00 UTC from 29 March: every later occurrence
     * moves an hour. */
    {"series-zone-changed", FP_SERIES,
     FP("DTSTAMP:20260201T000000Z\nSUMMARY:Weekly\n" MONDAY "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n"
        "LOCATION:Room 2\n" ORG ANN BOB),
     FALSE, "fingerprint ignores the zone a series recurs in (only the first instant counts)"},
};

static void run_fingerprint_row(gconstpointer data) {
  const FingerprintRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) a = read_ev(zones, row->base ? row->base : FP_BASE);
  g_autoptr(Reading) b = read_ev(zones, row->variant);
  ConfirmItem *x = only(a), *y = only(b);
  if (!x || !y)
    return;
  EXPECT(is_hex64(x->fingerprint) && is_hex64(y->fingerprint), "not 64 hex digits: %s / %s", x->fingerprint,
         y->fingerprint);
  gboolean same = !g_strcmp0(x->fingerprint, y->fingerprint);
  if (row->bug)
    EXPECT_BUG(row->bug, same == row->same, "fingerprints %s, want %s", same ? "equal" : "differ",
               row->same ? "equal" : "different");
  else
    EXPECT(same == row->same, "fingerprints %s, want %s", same ? "equal" : "differ", row->same ? "equal" : "different");
  /* Whatever the text, news or not is decided by the fingerprint alone. */
  ConfirmKind k = confirm_decide(CONFIRM_NEW, x->fingerprint, TRUE, y->fingerprint);
  EXPECT(k == (same ? CONFIRM_NONE : CONFIRM_UPDATE), "decide gave %s", confirm_kind_name(k));
}

/* Reading an item's own snapshot, or the REQUEST made of it, gives the same
 * fingerprint: what was sent and what is read later agree. */
static void test_fingerprint_round_trip(void) {
  const char *fixtures[] = {
      FP_BASE,
      FP_SERIES_BODY("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\n", "EXDATE;TZID=Europe/London:20260316T090000\n"),
      OFFICE_TZ FP("SUMMARY:Office\nDTSTART;TZID=Office Time:20260302T100000\nDTEND;TZID=Office Time:20260302T110000\n"
                   "RRULE:FREQ=DAILY;COUNT=3\n" ORG ANN VALARM MOZ),
      FP("SUMMARY:Vendor\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260302T090000\nDURATION:PT30M\n" ORG
             ANN),
      FP("SUMMARY:All "
         "day\nDTSTART;VALUE=DATE:20260302\nDTEND;VALUE=DATE:20260304\nLOCATION:https://meet.example/x\n" ORG ANN CY
         "ATTENDEE;CUTYPE=ROOM:mailto:room@example.org\n"),
      FP("SUMMARY:Master\n" FP_LONDON "RRULE:FREQ=WEEKLY;COUNT=4\n" ORG ANN BOB)
          FP("SUMMARY:Moved\nRECURRENCE-ID;TZID=Europe/London:20260309T090000\n"
             "DTSTART;TZID=Europe/London:20260309T110000\nDTEND;TZID=Europe/London:20260309T120000\n" ORG ANN),
  };
  g_autoptr(Zones) zones = test_zones();
  for (gsize f = 0; f < G_N_ELEMENTS(fixtures); f++) {
    g_autoptr(Reading) r = read_ev(zones, fixtures[f]);
    EXPECT(r->items->len >= 1, "fixture %zu: no item", f);
    for (guint i = 0; i < r->items->len; i++) {
      const ConfirmItem *it = item(r, i);
      g_autoptr(Reading) back = read_text(zones, it->snapshot, NULL, NULL);
      const ConfirmItem *same = NULL;
      for (guint j = 0; j < back->items->len; j++)
        if (!g_strcmp0(item(back, j)->rid, it->rid))
          same = item(back, j);
      EXPECT(same != NULL, "fixture %zu item %u: not in its own snapshot", f, i);
      if (same)
        EXPECT(!strcmp(same->fingerprint, it->fingerprint), "fixture %zu item %u: snapshot reads differently", f, i);
      g_autofree char *req = confirm_itip(it->snapshot, "REQUEST", it->sequence + 1, NULL, test_instant(NOW));
      EXPECT(req != NULL, "fixture %zu item %u: no REQUEST", f, i);
      if (!req)
        continue;
      g_autoptr(Reading) sent = read_text(zones, req, NULL, NULL);
      same = NULL;
      for (guint j = 0; j < sent->items->len; j++)
        if (!g_strcmp0(item(sent, j)->rid, it->rid))
          same = item(sent, j);
      EXPECT(same && !strcmp(same->fingerprint, it->fingerprint), "fixture %zu item %u: REQUEST reads differently", f,
             i);
    }
  }
}

/* Who is an owner decides what the fingerprint covers, not what the text
 * looks like: the same object read twice is the same. */
static void test_fingerprint_deterministic(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) a = read_ev(zones, FP_BASE);
  g_autoptr(Zones) other = test_zones();
  g_autoptr(Reading) b = read_ev(other, FP_BASE);
  if (only(a) && only(b))
    EXPECT(!strcmp(item(a, 0)->fingerprint, item(b, 0)->fingerprint), "two readings differ");
  /* `now` does not enter the fingerprint of a series (the next occurrence does
   * change with it). */
  g_autoptr(Reading) c = read_at(zones, FP_SERIES, "2026-03-01T12:00:00Z", NULL);
  g_autoptr(Reading) d = read_at(zones, FP_SERIES, "2026-03-20T12:00:00Z", NULL);
  if (only(c) && only(d)) {
    EXPECT(!strcmp(item(c, 0)->fingerprint, item(d, 0)->fingerprint), "fingerprint depends on now");
    EXPECT(item(c, 0)->start != item(d, 0)->start, "next occurrence did not move with now");
  }
}

/* The owner's zone (the system zone unless configured: it changes when a
 * laptop travels) is how diaryd reads floating times and dates; the text
 * the attendees got does not change with it, so neither may the
 * fingerprint. */
static void test_fingerprint_owner_zone(void) {
  static const struct {
    const char *name, *timing;
    const char *bug;
  } rows[] = {
      {"utc", MONDAY, NULL},
      {"zoned", FP_LONDON "RRULE:FREQ=WEEKLY;COUNT=3\n", NULL},
      {"all-day", "DTSTART;VALUE=DATE:20260302\nDTEND;VALUE=DATE:20260303\n",
       "an all-day appointment's fingerprint depends on the zone it is read in (timeref_instant of a DATE)"},
      {"all-day-series", "DTSTART;VALUE=DATE:20260302\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20270302\n",
       "an all-day series' fingerprint depends on the zone it is read in"},
      {"floating", "DTSTART:20260302T090000\nDTEND:20260302T100000\n",
       "a floating appointment's fingerprint depends on the zone it is read in"},
  };
  g_autoptr(Zones) zones = test_zones();
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *ev =
        g_strconcat("BEGIN:VEVENT\nUID:z\nDTSTAMP:20260201T000000Z\n", rows[i].timing, ORG ANN, "END:VEVENT\n", NULL);
    g_autoptr(Reading) a = read_at(zones, ev, NULL, "Europe/London");
    g_autoptr(Reading) b = read_at(zones, ev, NULL, "America/New_York");
    if (!only(a) || !only(b))
      continue;
    gboolean same = !strcmp(item(a, 0)->fingerprint, item(b, 0)->fingerprint);
    if (rows[i].bug)
      EXPECT_BUG(rows[i].bug, same, "%s: London and New York fingerprints differ", rows[i].name);
    else
      EXPECT(same, "%s: London and New York fingerprints differ", rows[i].name);
  }
}

/* ---- 3. overrides and snapshots ------------------------------------------------------------------- */

#define SERIES_WITH_OVERRIDE(tz_block, tzid, rid, start, end)                                                          \
  tz_block "BEGIN:VEVENT\nUID:ov\nDTSTAMP:20260201T000000Z\nSUMMARY:Weekly\nDTSTART;TZID=" tzid                        \
           ":20260302T090000\nDTEND;TZID=" tzid ":20260302T100000\nRRULE:FREQ=WEEKLY;COUNT=6\n" ORG ANN BOB VALARM MOZ \
           "END:VEVENT\nBEGIN:VEVENT\nUID:ov\nDTSTAMP:20260201T000000Z\nSUMMARY:Moved\nRECURRENCE-ID;TZID=" tzid       \
           ":" rid "\nDTSTART;TZID=" tzid ":" start "\nDTEND;TZID=" tzid ":" end "\n" ORG ANN VALARM MOZ               \
           "X-MOZ-SNOOZE-TIME-1773651600000000:20260316T085000Z\nEND:VEVENT\n"

typedef struct {
  const char *name;
  const char *ics;
  const char *rid;  /* the override's */
  const char *tzid; /* expected VTIMEZONE TZID in both snapshots, or NULL */
  const char *bug;
} OverrideRow;

static const OverrideRow override_rows[] = {
    {"iana-winter", SERIES_WITH_OVERRIDE("", "Europe/London", "20260309T090000", "20260309T110000", "20260309T120000"),
     "20260309T090000Z", "Europe/London", NULL},
    {"iana-summer", SERIES_WITH_OVERRIDE("", "Europe/London", "20260330T090000", "20260331T090000", "20260331T100000"),
     "20260330T080000Z", "Europe/London", NULL},
    {"own-vtimezone-iana-name",
     SERIES_WITH_OVERRIDE("BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\n"
                          "TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZNAME:CET\n"
                          "END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\n"
                          "TZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZNAME:CEST\nEND:DAYLIGHT\n"
                          "END:VTIMEZONE\n",
                          "Europe/Berlin", "20260309T090000", "20260309T110000", "20260309T120000"),
     "20260309T080000Z", "Europe/Berlin", NULL},
    {"own-vtimezone-custom-name",
     SERIES_WITH_OVERRIDE(OFFICE_TZ, "Office Time", "20260309T090000", "20260309T110000", "20260309T120000"),
     "20260309T080000Z", "Office Time",
     "an override whose RECURRENCE-ID uses a TZID only the object's VTIMEZONE defines is not matched to its VEVENT "
     "(component_rid resolves TZIDs with zones_resolve, not the embedded VTIMEZONE)"},
};

static void run_override_row(gconstpointer data) {
  const OverrideRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) r = read_ev(zones, row->ics);
  EXPECT(r->items->len == 2, "%u items, want 2 (error %s)", r->items->len, r->error);
  if (r->items->len != 2)
    return;
  const ConfirmItem *master = item(r, 0), *ov = item(r, 1);
  if (master->rid) {
    const ConfirmItem *t = master;
    master = ov;
    ov = t;
  }
  EXPECT(master->rid == NULL, "master has rid %s", master->rid);
  EXPECT(!g_strcmp0(ov->rid, row->rid), "override rid %s, want %s", ov->rid, row->rid);
  EXPECT(!g_strcmp0(master->uid, "ov") && !g_strcmp0(ov->uid, "ov"), "uids");
  EXPECT(!g_strcmp0(master->repeats, "weekly") && ov->repeats == NULL, "repeats %s / %s", master->repeats, ov->repeats);
  EXPECT(!g_strcmp0(ov->summary, "Moved") && !g_strcmp0(master->summary, "Weekly"), "summaries");
  g_autofree char *to_m = recipients_text(master), *to_o = recipients_text(ov);
  EXPECT(!strcmp(to_m, "ann@example.org=Ann,bob@example.org=Bob"), "master recipients %s", to_m);
  EXPECT(!strcmp(to_o, "ann@example.org=Ann"), "override recipients %s", to_o);
  EXPECT(strcmp(master->fingerprint, ov->fingerprint) != 0, "master and override share a fingerprint");

  const char *bug = row->bug;
#define CHECK(cond, ...)                                                                                               \
  do {                                                                                                                 \
    if (bug)                                                                                                           \
      EXPECT_BUG(bug, cond, __VA_ARGS__);                                                                              \
    else                                                                                                               \
      EXPECT(cond, __VA_ARGS__);                                                                                       \
  } while (0)
  g_autofree char *tzline = row->tzid ? g_strconcat("TZID:", row->tzid, NULL) : NULL;
  const struct {
    const char *what, *text;
    guint vevents;
  } snaps[] = {{"master", master->snapshot, 2}, {"override", ov->snapshot, 1}};
  for (gsize i = 0; i < G_N_ELEMENTS(snaps); i++) {
    const char *s = snaps[i].text;
    if (!s) {
      EXPECT(FALSE, "%s: no snapshot", snaps[i].what);
      continue;
    }
    CHECK(test_ical_count_lines(s, "BEGIN:VEVENT") == snaps[i].vevents, "%s snapshot: %u VEVENTs, want %u", snaps[i].what,
          test_ical_count_lines(s, "BEGIN:VEVENT"), snaps[i].vevents);
    EXPECT(test_ical_count_lines(s, "BEGIN:VALARM") == 0, "%s snapshot has a VALARM", snaps[i].what);
    EXPECT(test_ical_count_lines(s, "X-MOZ-") == 0, "%s snapshot has X-MOZ- state", snaps[i].what);
    EXPECT(test_ical_count_lines(s, "METHOD") == 0, "%s snapshot has a METHOD", snaps[i].what);
    EXPECT(crlf_only(s), "%s snapshot: bare LF", snaps[i].what);
    if (tzline) {
      CHECK(test_ical_count_lines(s, "BEGIN:VTIMEZONE") == 1, "%s snapshot: %u VTIMEZONEs", snaps[i].what,
            test_ical_count_lines(s, "BEGIN:VTIMEZONE"));
      CHECK(test_ical_has_line(s, tzline), "%s snapshot: no %s", snaps[i].what, tzline);
    }
    icalcomponent *c = icalparser_parse_string(s);
    EXPECT(c && icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT, "%s snapshot does not parse", snaps[i].what);
    if (c)
      icalcomponent_free(c);
  }
  CHECK(test_ical_count_lines(ov->snapshot, "RECURRENCE-ID") == 1 && test_ical_count_lines(ov->snapshot, "RRULE:FREQ=WEEKLY") == 0,
        "override snapshot carries the wrong component");
  CHECK(test_ical_has_line(ov->snapshot, "SUMMARY:Moved") && !test_ical_has_line(ov->snapshot, "SUMMARY:Weekly"),
        "override snapshot: not the override");
  EXPECT(test_ical_has_line(master->snapshot, "SUMMARY:Moved") && test_ical_has_line(master->snapshot, "SUMMARY:Weekly"),
         "master snapshot lacks a component");
#undef CHECK
}

/* A moved occurrence is news to the override alone; the master is untouched. */
static void test_override_fingerprints(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) a = read_ev(
      zones, SERIES_WITH_OVERRIDE("", "Europe/London", "20260309T090000", "20260309T110000", "20260309T120000"));
  g_autoptr(Reading) b = read_ev(
      zones, SERIES_WITH_OVERRIDE("", "Europe/London", "20260309T090000", "20260309T140000", "20260309T150000"));
  if (a->items->len != 2 || b->items->len != 2) {
    EXPECT(FALSE, "%u / %u items", a->items->len, b->items->len);
    return;
  }
  EXPECT(!strcmp(item(a, 0)->fingerprint, item(b, 0)->fingerprint), "master changed with its override");
  EXPECT(strcmp(item(a, 1)->fingerprint, item(b, 1)->fingerprint) != 0, "override move not news");
  EXPECT(item(a, 1)->start == test_instant("2026-03-09T11:00:00Z"), "override start");

  /* A date series: the rid is the date. */
  g_autoptr(Reading) d = read_ev(
      zones, VEV("d", "SUMMARY:Days\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=DAILY;COUNT=5\n" ORG ANN) VEV(
                 "d", "SUMMARY:Day moved\nRECURRENCE-ID;VALUE=DATE:20260304\nDTSTART;VALUE=DATE:20260305\n" ORG ANN));
  EXPECT(d->items->len == 2, "%u date items", d->items->len);
  if (d->items->len == 2) {
    EXPECT(!g_strcmp0(item(d, 1)->rid, "20260304"), "date rid %s", item(d, 1)->rid);
    EXPECT(item(d, 0)->all_day && item(d, 1)->all_day, "all_day");
    EXPECT(test_ical_count_lines(item(d, 1)->snapshot, "BEGIN:VEVENT") == 1, "date override snapshot");
  }

  /* A UTC series: no VTIMEZONE at all. */
  g_autoptr(Reading) u = read_ev(
      zones,
      VEV("u", "SUMMARY:U\n" MONDAY "RRULE:FREQ=DAILY;COUNT=5\n" ORG ANN) VEV(
          "u",
          "SUMMARY:U2\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T130000Z\nDTEND:20260303T140000Z\n" ORG ANN));
  EXPECT(u->items->len == 2, "%u UTC items", u->items->len);
  for (guint i = 0; i < u->items->len; i++)
    EXPECT(test_ical_count_lines(item(u, i)->snapshot, "BEGIN:VTIMEZONE") == 0, "UTC item %u has a VTIMEZONE", i);
  if (u->items->len == 2) {
    EXPECT(!g_strcmp0(item(u, 1)->rid, "20260303T090000Z"), "utc rid %s", item(u, 1)->rid);
    EXPECT(item(u, 0)->zone == NULL, "UTC zone %s", item(u, 0)->zone);
  }

  /* An override the owner does not organise is no item; an override alone
   * (no master in the object) is. */
  g_autoptr(Reading) o =
      read_ev(zones, VEV("x", "SUMMARY:X\n" MONDAY "RRULE:FREQ=DAILY;COUNT=5\n" ORG ANN)
                         VEV("x", "RECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T130000Z\nDTEND:20260303T140000Z\n"
                                  "ORGANIZER:mailto:pat@example.org\n" ANN));
  EXPECT(o->items->len == 1 && item(o, 0)->rid == NULL, "%u items for a foreign override", o->items->len);
  if (o->items->len == 1)
    EXPECT(test_ical_count_lines(item(o, 0)->snapshot, "BEGIN:VEVENT") == 2, "the master travels with all its overrides");
  g_autoptr(Reading) orphan = read_ev(
      zones,
      VEV("y",
          "SUMMARY:Y\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T130000Z\nDTEND:20260303T140000Z\n" ORG ANN));
  EXPECT(orphan->items->len == 1 && !g_strcmp0(item(orphan, 0)->rid, "20260303T090000Z"), "orphan override");
}

/* ---- 4. still to come? ---------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *vevent; /* timing lines */
  const char *now;    /* NULL = NOW */
  gboolean future;
  const char *start, *end; /* expected item start and end */
  const char *last_end;    /* NULL = endless (G_MAXINT64) */
  const char *bug;         /* known bug breaking the last_end check */
  const char *future_bug;  /* known bug breaking the future check */
} FutureRow;

static const FutureRow future_rows[] = {
    {"past-single", "DTSTART:20260202T090000Z\nDTEND:20260202T100000Z\n", NULL, FALSE, "2026-02-02T09:00:00Z",
     "2026-02-02T10:00:00Z", "2026-02-02T10:00:00Z", NULL, NULL},
    {"next-single", MONDAY, NULL, TRUE, "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z", NULL,
     NULL},
    {"in-progress", "DTSTART:20260301T110000Z\nDTEND:20260301T130000Z\n", NULL, TRUE, "2026-03-01T11:00:00Z",
     "2026-03-01T13:00:00Z", "2026-03-01T13:00:00Z", NULL, NULL},
    {"ended-just-now", "DTSTART:20260301T110000Z\nDTEND:20260301T120000Z\n", NULL, FALSE, "2026-03-01T11:00:00Z",
     "2026-03-01T12:00:00Z", "2026-03-01T12:00:00Z", NULL, NULL},
    {"all-day-today", "DTSTART;VALUE=DATE:20260301\n", NULL, TRUE, "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z",
     "2026-03-02T00:00:00Z", NULL, NULL},
    {"weekly-endless-from-last-year",
     "DTSTART;TZID=Europe/London:20250303T090000\nDTEND;TZID=Europe/London:20250303T100000\nRRULE:FREQ=WEEKLY\n", NULL,
     TRUE, "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", NULL, NULL, NULL},
    {"weekly-endless-in-summer",
     "DTSTART;TZID=Europe/London:20250303T090000\nDTEND;TZID=Europe/London:20250303T100000\nRRULE:FREQ=WEEKLY\n",
     "2026-06-01T12:00:00Z", TRUE, "2026-06-08T08:00:00Z", "2026-06-08T09:00:00Z", NULL, NULL, NULL},
    {"weekly-until-past",
     "DTSTART:20250303T090000Z\nDTEND:20250303T100000Z\nRRULE:FREQ=WEEKLY;UNTIL=20260101T000000Z\n", NULL, FALSE, NULL,
     NULL, "-", NULL, NULL},
    {"weekly-count-past", "DTSTART:20250303T090000Z\nDTEND:20250303T100000Z\nRRULE:FREQ=WEEKLY;COUNT=3\n", NULL, FALSE,
     NULL, NULL, "-", NULL, NULL},
    {"weekly-all-excluded",
     "DTSTART:20260223T090000Z\nDTEND:20260223T100000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nEXDATE:20260302T090000Z\n", NULL,
     FALSE, NULL, NULL, "-", NULL, NULL},
    {"weekly-count-ending-soon", "DTSTART:20260209T090000Z\nDTEND:20260209T100000Z\nRRULE:FREQ=WEEKLY;COUNT=4\n", NULL,
     TRUE, "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z",
     "last_end of a finite series that is still to come is G_MAXINT64, not when its last occurrence ends", NULL},
    {"single-in-six-years", "DTSTART:20320301T090000Z\nDTEND:20320301T100000Z\n", NULL, TRUE, "2032-03-01T09:00:00Z",
     "2032-03-01T10:00:00Z", "2032-03-01T10:00:00Z",
     "an appointment more than 5 years ahead gets last_end = now (the expansion horizon), so it is 'not future'",
     "an appointment more than 5 years ahead is not future"},
    {"every-ten-years", "DTSTART:20250601T090000Z\nDTEND:20250601T100000Z\nRRULE:FREQ=YEARLY;INTERVAL=10\n", NULL, TRUE,
     NULL, NULL, NULL, "the next occurrence of a series beyond 5 years is not found: last_end = now",
     "a series whose next occurrence is more than 5 years ahead is not future"},
};

static void run_future_row(gconstpointer data) {
  const FutureRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *ev = g_strconcat("BEGIN:VEVENT\nUID:f\nDTSTAMP:20260201T000000Z\nSUMMARY:F\n", row->vevent, ORG ANN,
                                    "END:VEVENT\n", NULL);
  const char *now_text = row->now ? row->now : NOW;
  g_autoptr(Reading) r = read_at(zones, ev, now_text, NULL);
  ConfirmItem *it = only(r);
  if (!it)
    return;
  gint64 now = test_instant(now_text);
  gboolean future = confirm_item_future(it, now);
  if (row->future_bug)
    EXPECT_BUG(row->future_bug, future == row->future, "future %d, want %d", future, row->future);
  else
    EXPECT(future == row->future, "future %d, want %d", future, row->future);
  g_autofree char *start = test_format(it->start), *end = test_format(it->end);
  if (row->start)
    EXPECT(!strcmp(start, row->start), "start %s, want %s", start, row->start);
  if (row->end)
    EXPECT(!strcmp(end, row->end), "end %s, want %s", end, row->end);
  if (row->last_end && !strcmp(row->last_end, "-")) {
    EXPECT(it->last_end <= now, "last_end after now");
  } else {
    gint64 want = row->last_end ? test_instant(row->last_end) : G_MAXINT64;
    g_autofree char *got = it->last_end == G_MAXINT64 ? g_strdup("endless") : test_format(it->last_end);
    if (row->bug)
      EXPECT_BUG(row->bug, it->last_end == want, "last_end %s, want %s", got,
                 row->last_end ? row->last_end : "endless");
    else
      EXPECT(it->last_end == want, "last_end %s, want %s", got, row->last_end ? row->last_end : "endless");
  }
  /* confirm_item_future is about the item's last_end, at any `now`. */
  EXPECT(!confirm_item_future(it, G_MAXINT64), "future at the end of time");
}

/* ---- 5. what message, if any ------------------------------------------------------------------ */

static void test_decide(void) {
  static const struct {
    ConfirmKind told;
    gboolean wanted;
    int fp; /* 0 same, 1 different, 2 told_fp NULL */
    ConfirmKind want;
  } rows[] = {
      {CONFIRM_NONE, TRUE, 0, CONFIRM_NEW},
      {CONFIRM_NONE, TRUE, 1, CONFIRM_NEW},
      {CONFIRM_NONE, TRUE, 2, CONFIRM_NEW},
      {CONFIRM_NONE, FALSE, 0, CONFIRM_NONE},
      {CONFIRM_NONE, FALSE, 1, CONFIRM_NONE},
      {CONFIRM_NONE, FALSE, 2, CONFIRM_NONE},
      {CONFIRM_NEW, TRUE, 0, CONFIRM_NONE},
      {CONFIRM_NEW, TRUE, 1, CONFIRM_UPDATE},
      {CONFIRM_NEW, TRUE, 2, CONFIRM_UPDATE},
      {CONFIRM_NEW, FALSE, 0, CONFIRM_CANCEL},
      {CONFIRM_NEW, FALSE, 1, CONFIRM_CANCEL},
      {CONFIRM_NEW, FALSE, 2, CONFIRM_CANCEL},
      {CONFIRM_UPDATE, TRUE, 0, CONFIRM_NONE},
      {CONFIRM_UPDATE, TRUE, 1, CONFIRM_UPDATE},
      {CONFIRM_UPDATE, TRUE, 2, CONFIRM_UPDATE},
      {CONFIRM_UPDATE, FALSE, 0, CONFIRM_CANCEL},
      {CONFIRM_UPDATE, FALSE, 1, CONFIRM_CANCEL},
      {CONFIRM_UPDATE, FALSE, 2, CONFIRM_CANCEL},
      /* told only a cancellation: as if told nothing */
      {CONFIRM_CANCEL, TRUE, 0, CONFIRM_NEW},
      {CONFIRM_CANCEL, TRUE, 1, CONFIRM_NEW},
      {CONFIRM_CANCEL, FALSE, 0, CONFIRM_NONE},
      {CONFIRM_CANCEL, FALSE, 1, CONFIRM_NONE},
  };
  const char *fp = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const char *other = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    const char *told_fp = rows[i].fp == 0 ? fp : rows[i].fp == 1 ? other : NULL;
    /* The same text in another buffer: compared by content. */
    g_autofree char *mine = g_strdup(fp);
    ConfirmKind got = confirm_decide(rows[i].told, told_fp, rows[i].wanted, mine);
    EXPECT(got == rows[i].want, "told %s, wanted %d, fp %d: %s, want %s", confirm_kind_name(rows[i].told),
           rows[i].wanted, rows[i].fp, confirm_kind_name(got), confirm_kind_name(rows[i].want));
  }
  /* Names round-trip; anything else is NONE. */
  const ConfirmKind kinds[] = {CONFIRM_NONE, CONFIRM_NEW, CONFIRM_UPDATE, CONFIRM_CANCEL};
  const char *names[] = {"none", "new", "update", "cancel"};
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
    EXPECT(!strcmp(confirm_kind_name(kinds[i]), names[i]), "name of %d", kinds[i]);
    EXPECT(confirm_kind_from_name(names[i]) == kinds[i], "kind of %s", names[i]);
  }
  EXPECT(confirm_kind_from_name(NULL) == CONFIRM_NONE && confirm_kind_from_name("NEW") == CONFIRM_NONE &&
             confirm_kind_from_name("") == CONFIRM_NONE,
         "unknown names");
  EXPECT(!strcmp(confirm_kind_name((ConfirmKind)42), "none"), "out of range kind");
}

/* ---- 6. the iCalendar part -------------------------------------------------------------------- */

#define ITIP_EVENT                                                                                                     \
  VEV("i", "SUMMARY:Planning\nSEQUENCE:3\nSTATUS:CONFIRMED\n" FP_LONDON                                                \
           "RRULE:FREQ=WEEKLY;COUNT=4\n" ORG ANN BOB VALARM MOZ)                                                       \
  VEV("i", "SUMMARY:Moved\nSEQUENCE:1\nRECURRENCE-ID;TZID=Europe/London:20260309T090000\n"                             \
           "DTSTART;TZID=Europe/London:20260309T110000\nDTEND;TZID=Europe/London:20260309T120000\n" ORG ANN BOB)

typedef struct {
  const char *name;
  const char *method;
  int sequence;
  const char *recipient;
  const char *method_line;
  guint attendees;           /* ATTENDEE lines in all (two VEVENTs) */
  const char *attendee_line; /* one that must be there, or NULL */
  gboolean cancelled;
  int seq_master, seq_override;
} ItipRow;

static const ItipRow itip_rows[] = {
    {"request", "REQUEST", 5, NULL, "METHOD:REQUEST", 4, "ATTENDEE;CN=Ann;PARTSTAT=NEEDS-ACTION:mailto:ann@example.org",
     FALSE, 5, 5},
    {"request-never-lowers", "REQUEST", 2, NULL, "METHOD:REQUEST", 4, NULL, FALSE, 3, 2},
    {"request-sequence-zero", "REQUEST", 0, NULL, "METHOD:REQUEST", 4, NULL, FALSE, 3, 1},
    {"publish", "PUBLISH", 4, NULL, "METHOD:PUBLISH", 0, NULL, FALSE, 4, 4},
    {"cancel", "CANCEL", 4, "bob@example.org", "METHOD:CANCEL", 2, "ATTENDEE:mailto:bob@example.org", TRUE, 4, 4},
    {"cancel-without-recipient", "CANCEL", 4, NULL, "METHOD:CANCEL", 0, NULL, TRUE, 4, 4},
    {"cancel-lower-case", "cancel", 4, "bob@example.org", "METHOD:CANCEL", 2, "ATTENDEE:mailto:bob@example.org", TRUE,
     4, 4},
    {"publish-lower-case", "publish", 4, NULL, "METHOD:PUBLISH", 0, NULL, FALSE, 4, 4},
};

static void run_itip_row(gconstpointer data) {
  const ItipRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  g_autoptr(Reading) r = read_ev(zones, ITIP_EVENT);
  EXPECT(r->items->len == 2, "%u items", r->items->len);
  if (r->items->len != 2)
    return;
  const ConfirmItem *master = item(r, 0);
  gint64 now = test_instant("2026-03-01T12:34:56Z");
  g_autofree char *text = confirm_itip(master->snapshot, row->method, row->sequence, row->recipient, now);
  EXPECT(text != NULL, "no text");
  if (!text)
    return;
  EXPECT(test_ical_count_lines(text, "METHOD") == 1, "%u METHOD lines", test_ical_count_lines(text, "METHOD"));
  EXPECT(test_ical_has_line(text, row->method_line), "no %s", row->method_line);
  EXPECT(test_ical_count_lines(text, "ATTENDEE") == row->attendees, "%u ATTENDEE lines, want %u", test_ical_count_lines(text, "ATTENDEE"),
         row->attendees);
  if (row->attendee_line)
    EXPECT(test_ical_has_line(text, row->attendee_line), "no %s", row->attendee_line);
  EXPECT(test_ical_count_lines(text, "ORGANIZER") == 2, "organizer lost");
  EXPECT(test_ical_count_lines(text, "DTSTAMP:20260301T123456Z") == 2 && test_ical_count_lines(text, "DTSTAMP") == 2,
         "DTSTAMP not `now` once per component");
  EXPECT(test_ical_count_lines(text, "STATUS:CANCELLED") == (row->cancelled ? 2u : 0u), "%u STATUS:CANCELLED",
         test_ical_count_lines(text, "STATUS:CANCELLED"));
  EXPECT(test_ical_count_lines(text, "STATUS") == (row->cancelled ? 2u : 1u), "%u STATUS lines", test_ical_count_lines(text, "STATUS"));
  EXPECT(test_ical_count_lines(text, "BEGIN:VALARM") == 0 && test_ical_count_lines(text, "X-MOZ-") == 0, "private state travels");
  EXPECT(test_ical_count_lines(text, "BEGIN:VTIMEZONE") == 1, "VTIMEZONE lost");
  EXPECT(crlf_only(text), "bare LF");

  icalcomponent *cal = icalparser_parse_string(text);
  EXPECT(cal && icalcomponent_isa(cal) == ICAL_VCALENDAR_COMPONENT, "does not parse");
  if (!cal)
    return;
  EXPECT(icalcomponent_get_method(cal) != ICAL_METHOD_NONE && icalcomponent_get_method(cal) != ICAL_METHOD_X,
         "libical sees no method");
  for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
       c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
    gboolean is_override = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY) != NULL;
    int want = is_override ? row->seq_override : row->seq_master;
    EXPECT(icalcomponent_get_sequence(c) == want, "%s SEQUENCE %d, want %d", is_override ? "override" : "master",
           icalcomponent_get_sequence(c), want);
    EXPECT(icalcomponent_count_properties(c, ICAL_SEQUENCE_PROPERTY) == 1, "SEQUENCE repeated");
    struct icaltimetype st = icalcomponent_get_dtstamp(c);
    EXPECT(icaltime_as_timet(st) == (time_t)now && icaltime_is_utc(st), "DTSTAMP");
  }
  icalcomponent_free(cal);

  /* A second pass over the output changes nothing but what it sets. */
  g_autofree char *again = confirm_itip(text, row->method, row->sequence, row->recipient, now);
  EXPECT(again && !strcmp(again, text), "not idempotent");
}

static void test_itip_edges(void) {
  gint64 now = test_instant(NOW);
  EXPECT(confirm_itip("", "REQUEST", 1, NULL, now) == NULL, "empty snapshot");
  EXPECT(confirm_itip("not iCalendar", "REQUEST", 1, NULL, now) == NULL, "junk snapshot");
  EXPECT(confirm_itip("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", "REQUEST", 1, NULL, now) == NULL, "bare VEVENT");
  /* A stored snapshot that somehow has a METHOD keeps only the new one. */
  const char *snap = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:m\r\n"
                     "DTSTART:20260302T090000Z\r\nDTSTAMP:20200101T000000Z\r\nDTSTAMP:20200101T000000Z\r\n"
                     "END:VEVENT\r\nEND:VCALENDAR\r\n";
  g_autofree char *t = confirm_itip(snap, "REQUEST", 1, NULL, now);
  EXPECT(t && test_ical_count_lines(t, "METHOD") == 1 && test_ical_has_line(t, "METHOD:REQUEST"), "old METHOD kept: %s", t);
  EXPECT(t && test_ical_count_lines(t, "DTSTAMP") >= 1 && test_ical_count_lines(t, "DTSTAMP:20260301T120000Z") >= 1, "DTSTAMP");
  EXPECT(t && test_ical_count_lines(t, "SEQUENCE:1") == 1, "SEQUENCE added where there was none");
}

/* ---- 7. the words ----------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  gint64 start, end; /* filled from text in the runner */
  const char *from, *to;
  gboolean all_day;
  const char *tz;
  const char *want;
} WhenRow;

static const WhenRow when_rows[] = {
    {"london-winter", 0, 0, "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", FALSE, "Europe/London",
     "Tuesday 8 December 2026, 10:00" DASH "11:00 (Europe/London, UTC+00:00)"},
    {"london-summer", 0, 0, "2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z", FALSE, "Europe/London",
     "Tuesday 9 June 2026, 10:00" DASH "11:00 (Europe/London, UTC+01:00)"},
    {"new-york", 0, 0, "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", FALSE, "America/New_York",
     "Tuesday 8 December 2026, 05:00" DASH "06:00 (America/New_York, UTC-05:00)"},
    {"half-hour-behind", 0, 0, "2026-01-05T13:30:00Z", "2026-01-05T14:15:00Z", FALSE, "America/St_Johns",
     "Monday 5 January 2026, 10:00" DASH "10:45 (America/St_Johns, UTC-03:30)"},
    {"half-hour-ahead", 0, 0, "2026-01-05T04:30:00Z", "2026-01-05T05:30:00Z", FALSE, "Asia/Kolkata",
     "Monday 5 January 2026, 10:00" DASH "11:00 (Asia/Kolkata, UTC+05:30)"},
    {"utc", 0, 0, "2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z", FALSE, "UTC",
     "Monday 2 March 2026, 09:00" DASH "09:00 (UTC)"},
    {"crossing-midnight", 0, 0, "2026-12-08T23:00:00Z", "2026-12-09T01:30:00Z", FALSE, "Europe/London",
     "Tuesday 8 December 2026, 23:00" DASH "Wednesday 9 December 2026 01:30 (Europe/London, UTC+00:00)"},
    {"midnight-only-in-zone", 0, 0, "2026-06-09T22:30:00Z", "2026-06-09T23:30:00Z", FALSE, "Europe/London",
     "Tuesday 9 June 2026, 23:30" DASH "Wednesday 10 June 2026 00:30 (Europe/London, UTC+01:00)"},
    {"ending-at-midnight", 0, 0, "2026-12-08T22:00:00Z", "2026-12-09T00:00:00Z", FALSE, "Europe/London",
     "Tuesday 8 December 2026, 22:00" DASH "Wednesday 9 December 2026 00:00 (Europe/London, UTC+00:00)"},
    {"across-dst", 0, 0, "2026-03-29T00:30:00Z", "2026-03-29T02:30:00Z", FALSE, "Europe/London",
     "Sunday 29 March 2026, 00:30" DASH "03:30 (Europe/London, UTC+00:00)"},
    {"leap-day", 0, 0, "2028-02-29T12:00:00Z", "2028-02-29T13:00:00Z", FALSE, "UTC",
     "Tuesday 29 February 2028, 12:00" DASH "13:00 (UTC)"},
    {"all-day", 0, 0, "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", TRUE, "UTC", "Monday 2 March 2026 (all day)"},
    {"all-day-three", 0, 0, "2026-03-02T00:00:00Z", "2026-03-05T00:00:00Z", TRUE, "UTC",
     "Monday 2 March 2026 to Wednesday 4 March 2026 (all day)"},
    {"all-day-london-summer", 0, 0, "2026-06-08T23:00:00Z", "2026-06-09T23:00:00Z", TRUE, "Europe/London",
     "Tuesday 9 June 2026 (all day)"},
    {"all-day-year-end", 0, 0, "2026-12-31T00:00:00Z", "2027-01-02T00:00:00Z", TRUE, "UTC",
     "Thursday 31 December 2026 to Friday 1 January 2027 (all day)"},
    {"all-day-zero-length", 0, 0, "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z", TRUE, "UTC",
     "Monday 2 March 2026 (all day)"},
};

static void run_when_row(gconstpointer data) {
  const WhenRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  Zone *tz = zones_resolve(zones, row->tz);
  g_assert_nonnull(tz);
  g_autofree char *got = confirm_format_when(test_instant(row->from), test_instant(row->to), row->all_day, tz);
  EXPECT(!strcmp(got, row->want), "\n#   got:  %s\n#   want: %s", got, row->want);
  EXPECT(g_utf8_validate(got, -1, NULL), "not UTF-8");
}

/* confirm_vars rows: items read from VEVENTs (UID v, organised by Sam) in
 * the owner's zone, at NOW. */
#define VE(body) "BEGIN:VEVENT\nUID:v\nDTSTAMP:20260201T000000Z\nSUMMARY:Planning\n" ORG body "END:VEVENT\n"
#define WINTER "DTSTART;TZID=Europe/London:20261208T100000\nDTEND;TZID=Europe/London:20261208T110000\n"
#define WINTER_LATER "DTSTART;TZID=Europe/London:20261208T140000\nDTEND;TZID=Europe/London:20261208T150000\n"
#define WHEN_WINTER "Tuesday 8 December 2026, 10:00" DASH "11:00 (Europe/London, UTC+00:00)"
#define WHEN_LATER "Tuesday 8 December 2026, 14:00" DASH "15:00 (Europe/London, UTC+00:00)"

typedef struct {
  const char *name;
  const char *ics, *previous; /* previous NULL = none */
  ConfirmKind kind;
  const char *tz;         /* NULL = Europe/London */
  const char *owner_name; /* "-" = NULL, NULL = "Sam" */
  const char *expect[14]; /* "var=value": exact; "var~value": contains; "var!value": does not contain */
} VarsRow;

static const VarsRow vars_rows[] = {
    {"new",
     VE(WINTER "LOCATION:Room  2\n" ANN BOB),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"summary=Planning", "when=" WHEN_WINTER, "when_recipient=", "previous_when=", "changes=", "where=Room  2",
      "map_link=https://www.openstreetmap.org/search?query=Room%20%202",
      "conference=", "url=", "who=Ann <ann@example.org>\nBob <bob@example.org>", "organizer=Sam <sam@example.com>",
      "recipient_name=Ann", "reply_hint~Sam will get back to you", "reason=because"}},
    {"summer",
     VE("DTSTART;TZID=Europe/London:20260609T100000\nDTEND;TZID=Europe/London:20260609T110000\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"when=Tuesday 9 June 2026, 10:00" DASH "11:00 (Europe/London, UTC+01:00)",
      "where=", "map_link=", "who=Ann <ann@example.org>"}},
    {"owner-in-new-york",
     VE(WINTER ANN),
     NULL,
     CONFIRM_NEW,
     "America/New_York",
     NULL,
     {"when=Tuesday 8 December 2026, 05:00" DASH "06:00 (America/New_York, UTC-05:00)"}},
    {"all-day",
     VE("DTSTART;VALUE=DATE:20261208\nDTEND;VALUE=DATE:20261211\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"when=Tuesday 8 December 2026 to Thursday 10 December 2026 (all day)"}},
    {"all-day-summer",
     VE("DTSTART;VALUE=DATE:20260609\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"when=Tuesday 9 June 2026 (all day)"}},
    {"crossing-midnight",
     VE("DTSTART;TZID=Europe/London:20261208T230000\nDTEND;TZID=Europe/London:20261209T010000\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"when=Tuesday 8 December 2026, 23:00" DASH "Wednesday 9 December 2026 01:00 (Europe/London, UTC+00:00)"}},
    {"series",
     VE("DTSTART;TZID=Europe/London:20250303T090000\nDTEND;TZID=Europe/"
        "London:20250303T100000\nRRULE:FREQ=WEEKLY\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"when=Monday 2 March 2026, 09:00" DASH "10:00 (Europe/London, UTC+00:00), repeating weekly"}},
    {"no-summary",
     "BEGIN:VEVENT\nUID:v\nDTSTAMP:20260201T000000Z\n" ORG WINTER ANN "END:VEVENT\n",
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"summary=Appointment"}},
    {"rooms-and-people",
     VE(WINTER ANN "ATTENDEE;CUTYPE=ROOM;CN=Room 2:mailto:room2@example.org\nATTENDEE:urn:uuid:x\n"),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"who=Ann <ann@example.org>\nRoom: Room 2\nurn:uuid:x"}},
    {"location-is-link",
     VE(WINTER "LOCATION:https://meet.example/abc?pwd=1\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"where=", "map_link=", "conference=https://meet.example/abc?pwd=1"}},
    {"location-is-tel",
     VE(WINTER "LOCATION:tel:+441234567890\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"where=", "map_link=", "conference=tel:+441234567890"}},
    {"location-and-conference",
     VE(WINTER "LOCATION:Room 2\nCONFERENCE;VALUE=URI:https://meet.example/abc\nURL:https://example.org/agenda\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"where=Room 2", "conference=https://meet.example/abc", "url=https://example.org/agenda"}},
    {"map-link-encoding",
     VE(WINTER "LOCATION:Caf\xc3\xa9 & Bar\\, 10 Downing St #2?x=y/z+1%\n" ANN),
     NULL,
     CONFIRM_NEW,
     NULL,
     NULL,
     {"where=Caf\xc3\xa9 & Bar, 10 Downing St #2?x=y/z+1%",
      "map_link=https://www.openstreetmap.org/"
      "search?query=Caf%C3%A9%20%26%20Bar%2C%2010%20Downing%20St%20%232%3Fx%3Dy%2Fz%2B1%25"}},
    {"no-owner-name",
     VE(WINTER "ATTENDEE:mailto:ann@example.org\n"),
     NULL,
     CONFIRM_NEW,
     NULL,
     "-",
     {"organizer=sam@example.com", "recipient_name=ann@example.org",
      "reply_hint=To ask for another time, or if you cannot come, reply to this email and sam@example.com will get "
      "back to you."}},
    {"update-moved",
     VE(WINTER_LATER "LOCATION:Room 2\n" ANN),
     VE(WINTER "LOCATION:Room 2\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"when=" WHEN_LATER, "previous_when=" WHEN_WINTER, "changes=The time has changed."}},
    {"update-end-only",
     VE("DTSTART;TZID=Europe/London:20261208T100000\nDTEND;TZID=Europe/London:20261208T120000\n" ANN),
     VE(WINTER ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"previous_when=" WHEN_WINTER, "changes=The time has changed."}},
    {"update-place",
     VE(WINTER "LOCATION:Room 3\n" ANN),
     VE(WINTER "LOCATION:Room 2\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"previous_when=", "changes=The place has changed (it was Room 2).", "where=Room 3"}},
    {"update-place-added",
     VE(WINTER "LOCATION:Room 3\n" ANN),
     VE(WINTER ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=The place has changed."}},
    {"update-link",
     VE(WINTER "CONFERENCE;VALUE=URI:https://meet.example/new\n" ANN),
     VE(WINTER "CONFERENCE;VALUE=URI:https://meet.example/old\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=The meeting link has changed.", "conference=https://meet.example/new", "previous_when="}},
    {"update-people",
     VE(WINTER ANN CY),
     VE(WINTER ANN BOB),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=Now also invited: cy@example.org.\nNo longer invited: Bob."}},
    {"update-everything",
     VE(WINTER_LATER "LOCATION:Room 3\nURL:https://example.org/x\n" CY),
     VE(WINTER "LOCATION:Room 2\n" ANN BOB),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=The time has changed.\nThe place has changed (it was Room 2).\nThe meeting link has changed.\n"
      "Now also invited: cy@example.org.\nNo longer invited: Ann, Bob.",
      "previous_when=" WHEN_WINTER}},
    {"update-repeats",
     VE(WINTER "RRULE:FREQ=DAILY;COUNT=3\n" ANN),
     VE(WINTER "RRULE:FREQ=WEEKLY;COUNT=3\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=The time has changed.", "when~repeating daily"}},
    {"update-going-ahead",
     VE(WINTER ANN),
     VE(WINTER "STATUS:CANCELLED\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=It is going ahead again."}},
    {"update-nothing-visible",
     VE(WINTER "RRULE:FREQ=DAILY;COUNT=3\n" ANN),
     VE(WINTER "RRULE:FREQ=DAILY;COUNT=4\n" ANN),
     CONFIRM_UPDATE,
     NULL,
     NULL,
     {"changes=The dates of the series have changed.", "previous_when="}},
    {"new-after-move", VE(WINTER_LATER ANN), VE(WINTER ANN), CONFIRM_NEW, NULL, NULL, {"previous_when=", "changes="}},
    {"cancel-after-move",
     VE(WINTER_LATER ANN),
     VE(WINTER ANN),
     CONFIRM_CANCEL,
     NULL,
     NULL,
     {"previous_when=", "changes=", "when=" WHEN_LATER}},
    {"update-without-previous", VE(WINTER ANN), NULL, CONFIRM_UPDATE, NULL, NULL, {"previous_when=", "changes="}},
};

static gboolean vars_check(GHashTable *vars, const char *spec, char **why) {
  const char *op = strpbrk(spec, "=~!");
  g_assert_nonnull(op);
  g_autofree char *name = g_strndup(spec, (gsize)(op - spec));
  const char *want = op + 1;
  const char *got = g_hash_table_lookup(vars, name);
  if (!got) {
    *why = g_strdup_printf("%s missing", name);
    return FALSE;
  }
  gboolean ok = *op == '=' ? !strcmp(got, want) : *op == '~' ? strstr(got, want) != NULL : strstr(got, want) == NULL;
  if (!ok)
    *why = g_strdup_printf("%s\n#   got:  %s\n#   want: %s%s", name, got,
                           *op == '='   ? ""
                           : *op == '~' ? "... "
                                        : "not ",
                           want);
  return ok;
}

static void run_vars_row(gconstpointer data) {
  const VarsRow *row = data;
  g_autoptr(Zones) zones = test_zones();
  const char *tzname = row->tz ? row->tz : "Europe/London";
  g_autoptr(Reading) r = read_at(zones, row->ics, NULL, tzname);
  g_autoptr(Reading) p = row->previous ? read_at(zones, row->previous, NULL, tzname) : NULL;
  const ConfirmItem *it = only(r);
  const ConfirmItem *prev = p ? only(p) : NULL;
  if (!it || (p && !prev))
    return;
  const ConfirmRecipient *to = it->recipients->len ? g_ptr_array_index(it->recipients, 0) : NULL;
  ConfirmRecipient nobody = {(char *)"nobody@example.org", NULL};
  const char *owner_name = !row->owner_name ? "Sam" : !strcmp(row->owner_name, "-") ? NULL : row->owner_name;
  g_autoptr(GHashTable) vars = confirm_vars(it, prev, row->kind, to ? to : &nobody, zones_resolve(zones, tzname),
                                            owner_name, "sam@example.com", "because");
  for (gsize i = 0; i < G_N_ELEMENTS(row->expect) && row->expect[i]; i++) {
    g_autofree char *why = NULL;
    EXPECT(vars_check(vars, row->expect[i], &why), "%s", why);
  }
  /* Every placeholder is always there (empty when it does not apply). */
  const char *names[] = {
      "summary", "when",      "when_recipient", "previous_when", "where",  "map_link",       "conference", "url",
      "who",     "organizer", "requirements",   "changes",       "reason", "recipient_name", "reply_hint"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    EXPECT(g_hash_table_contains(vars, names[i]), "no %s", names[i]);
}

/* Hostile text goes through unchanged (core/message cleans it); only the map
 * link is encoded. */
static void test_vars_hostile(void) {
  g_autoptr(Zones) zones = test_zones();
  Zone *utc = zones_utc(zones);
  const char *evil = "Tea\r\nBcc: victim@example.org\r\n\r\n<script>\x01\x1b[31m\x7f</script>";
  ConfirmItem *it = g_new0(ConfirmItem, 1);
  it->uid = g_strdup("h");
  it->fingerprint = g_strnfill(64, 'a');
  it->start = test_instant("2026-03-02T09:00:00Z");
  it->end = it->start + 3600;
  it->last_end = it->end;
  it->summary = g_strdup(evil);
  it->location = g_strdup("Room\r\n2\t\x01");
  it->description = g_strdup(evil);
  it->url = g_strdup("javascript:alert(1)\r\n");
  it->organizer = g_strdup("sam@example.com");
  it->recipients = g_ptr_array_new();
  it->people = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(it->people, g_strdup("Eve\r\nBcc: x@y.org <eve@example.org>"));
  it->refused = g_ptr_array_new_with_free_func(g_free);
  ConfirmRecipient rc = {(char *)"eve@example.org", (char *)"Eve\r\nBcc: x@y.org"};
  g_autoptr(GHashTable) vars =
      confirm_vars(it, NULL, CONFIRM_NEW, &rc, utc, "Sam\r\nX-Evil: 1", "sam@example.com", "why\x01\r\n");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "summary"), evil), "summary altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "requirements"), evil), "description altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "where"), "Room\r\n2\t\x01"), "location altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "url"), "javascript:alert(1)\r\n"), "url altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "recipient_name"), "Eve\r\nBcc: x@y.org"), "name altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "who"), "Eve\r\nBcc: x@y.org <eve@example.org>"), "who altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "reason"), "why\x01\r\n"), "reason altered");
  EXPECT(!g_strcmp0(g_hash_table_lookup(vars, "organizer"), "Sam\r\nX-Evil: 1 <sam@example.com>"), "organizer");
  EXPECT(
      !g_strcmp0(g_hash_table_lookup(vars, "map_link"), "https://www.openstreetmap.org/search?query=Room%0D%0A2%09%01"),
      "map_link %s", (const char *)g_hash_table_lookup(vars, "map_link"));
  const char *when = g_hash_table_lookup(vars, "when");
  EXPECT(!g_strcmp0(when, "Monday 2 March 2026, 09:00" DASH "10:00 (UTC)"), "when %s", when);
  const char *brief = g_hash_table_lookup(vars, "when_short");
  EXPECT(!g_strcmp0(brief, "Mon 2 Mar 2026 09:00"), "when_short %s", brief);
  confirm_item_free(it);
}

/* ---- main --------------------------------------------------------------------------------------- */

#define ADD_ROWS(prefix, rows, fn)                                                                                     \
  for (gsize i_ = 0; i_ < G_N_ELEMENTS(rows); i_++) {                                                                  \
    g_autofree char *path_ = g_strdup_printf("/confirm/" prefix "/%s", rows[i_].name);                                 \
    g_test_add_data_func(path_, &rows[i_], fn);                                                                        \
  }

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  ADD_ROWS("recipients", recipient_rows, run_recipient_row);
  ADD_ROWS("organizer", organizer_rows, run_organizer_row);
  g_test_add_func("/confirm/read/fields", test_read_fields);
  ADD_ROWS("fingerprint", fingerprint_rows, run_fingerprint_row);
  g_test_add_func("/confirm/fingerprint/round-trip", test_fingerprint_round_trip);
  g_test_add_func("/confirm/fingerprint/deterministic", test_fingerprint_deterministic);
  g_test_add_func("/confirm/fingerprint/owner-zone", test_fingerprint_owner_zone);
  ADD_ROWS("override", override_rows, run_override_row);
  g_test_add_func("/confirm/override/fingerprints", test_override_fingerprints);
  ADD_ROWS("future", future_rows, run_future_row);
  g_test_add_func("/confirm/decide", test_decide);
  ADD_ROWS("itip", itip_rows, run_itip_row);
  g_test_add_func("/confirm/itip/edges", test_itip_edges);
  ADD_ROWS("when", when_rows, run_when_row);
  ADD_ROWS("vars", vars_rows, run_vars_row);
  g_test_add_func("/confirm/vars/hostile", test_vars_hostile);
  return g_test_run();
}
