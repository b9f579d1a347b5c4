/* Unit tests for recurrence expansion (series_expand through the Diary):
 * DST changes, zones, windows, RRULE/RDATE/EXDATE/RECURRENCE-ID, durations,
 * all-day events, the busy flag, caps on pathological rules and parse
 * diagnostics.
 *
 * Each table row is a diary over local dates [from, to) in a zone and the
 * whole occurrence table it must hold, as test_occurrence_lines() prints it
 * (START/END in UTC, then the UID), sorted by start, end, UID. */
#include "testutil.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *tz;
  const char *from, *to;
  const char *vevents;
  const char *expected;
  gboolean warns; /* the calendar is expected to draw warnings */
} ExpandCase;

static const ExpandCase expand_cases[] = {
    /* ---- a daily 09:00 series keeps 09:00 local; UTC moves with DST ---- */
    {"dst/london-spring-daily", "Europe/London", "2026-03-27", "2026-04-01",
     "BEGIN:VEVENT\nUID:d\n"
     "DTSTART;TZID=Europe/London:20260327T090000\nDTEND;TZID=Europe/London:20260327T100000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-03-27T09:00:00Z/2026-03-27T10:00:00Z d\n"
     "2026-03-28T09:00:00Z/2026-03-28T10:00:00Z d\n"
     "2026-03-29T08:00:00Z/2026-03-29T09:00:00Z d\n"
     "2026-03-30T08:00:00Z/2026-03-30T09:00:00Z d\n"
     "2026-03-31T08:00:00Z/2026-03-31T09:00:00Z d",
     FALSE},
    {"dst/london-autumn-daily", "Europe/London", "2026-10-23", "2026-10-27",
     "BEGIN:VEVENT\nUID:d\n"
     "DTSTART;TZID=Europe/London:20261020T090000\nDTEND;TZID=Europe/London:20261020T100000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-23T08:00:00Z/2026-10-23T09:00:00Z d\n"
     "2026-10-24T08:00:00Z/2026-10-24T09:00:00Z d\n"
     "2026-10-25T09:00:00Z/2026-10-25T10:00:00Z d\n"
     "2026-10-26T09:00:00Z/2026-10-26T10:00:00Z d",
     FALSE},
    {"dst/london-2045-spring-daily", "Europe/London", "2045-03-24", "2045-03-28",
     "BEGIN:VEVENT\nUID:d\n"
     "DTSTART;TZID=Europe/London:20450301T090000\nDTEND;TZID=Europe/London:20450301T100000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2045-03-24T09:00:00Z/2045-03-24T10:00:00Z d\n"
     "2045-03-25T09:00:00Z/2045-03-25T10:00:00Z d\n"
     "2045-03-26T08:00:00Z/2045-03-26T09:00:00Z d\n"
     "2045-03-27T08:00:00Z/2045-03-27T09:00:00Z d",
     FALSE},
    /* 01:30 on 2026-03-29 does not exist in London: read with the offset
     * before the gap (GMT). */
    {"dst/london-gap-0130-daily", "Europe/London", "2026-03-28", "2026-03-31",
     "BEGIN:VEVENT\nUID:g\n"
     "DTSTART;TZID=Europe/London:20260327T013000\nDTEND;TZID=Europe/London:20260327T020000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-03-28T01:30:00Z/2026-03-28T02:00:00Z g\n"
     "2026-03-29T01:30:00Z/2026-03-29T02:00:00Z g\n"
     "2026-03-30T00:30:00Z/2026-03-30T01:00:00Z g",
     FALSE},
    /* 01:30 on 2026-10-25 happens twice in London: the first (BST) one. */
    {"dst/london-overlap-0130-daily", "Europe/London", "2026-10-24", "2026-10-27",
     "BEGIN:VEVENT\nUID:o\n"
     "DTSTART;TZID=Europe/London:20261023T013000\nDTEND;TZID=Europe/London:20261023T020000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-24T00:30:00Z/2026-10-24T01:00:00Z o\n"
     "2026-10-25T00:30:00Z/2026-10-25T01:00:00Z o\n"
     "2026-10-26T01:30:00Z/2026-10-26T02:00:00Z o",
     FALSE},
    {"dst/newyork-spring-daily", "America/New_York", "2026-03-06", "2026-03-10",
     "BEGIN:VEVENT\nUID:ny\n"
     "DTSTART;TZID=America/New_York:20260301T090000\nDTEND;TZID=America/New_York:20260301T093000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-03-06T14:00:00Z/2026-03-06T14:30:00Z ny\n"
     "2026-03-07T14:00:00Z/2026-03-07T14:30:00Z ny\n"
     "2026-03-08T13:00:00Z/2026-03-08T13:30:00Z ny\n"
     "2026-03-09T13:00:00Z/2026-03-09T13:30:00Z ny",
     FALSE},
    {"dst/newyork-autumn-daily", "America/New_York", "2026-10-30", "2026-11-03",
     "BEGIN:VEVENT\nUID:ny\n"
     "DTSTART;TZID=America/New_York:20261025T090000\nDTEND;TZID=America/New_York:20261025T093000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-30T13:00:00Z/2026-10-30T13:30:00Z ny\n"
     "2026-10-31T13:00:00Z/2026-10-31T13:30:00Z ny\n"
     "2026-11-01T14:00:00Z/2026-11-01T14:30:00Z ny\n"
     "2026-11-02T14:00:00Z/2026-11-02T14:30:00Z ny",
     FALSE},
    /* The series' own zone decides, not the diary's: London has not changed yet. */
    {"dst/newyork-series-in-london-diary", "Europe/London", "2026-03-06", "2026-03-10",
     "BEGIN:VEVENT\nUID:ny\n"
     "DTSTART;TZID=America/New_York:20260301T090000\nDTEND;TZID=America/New_York:20260301T093000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-03-06T14:00:00Z/2026-03-06T14:30:00Z ny\n"
     "2026-03-07T14:00:00Z/2026-03-07T14:30:00Z ny\n"
     "2026-03-08T13:00:00Z/2026-03-08T13:30:00Z ny\n"
     "2026-03-09T13:00:00Z/2026-03-09T13:30:00Z ny",
     FALSE},
    {"dst/sydney-april-daily", "Australia/Sydney", "2026-04-03", "2026-04-07",
     "BEGIN:VEVENT\nUID:syd\n"
     "DTSTART;TZID=Australia/Sydney:20260401T090000\nDTEND;TZID=Australia/Sydney:20260401T100000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-04-02T22:00:00Z/2026-04-02T23:00:00Z syd\n"
     "2026-04-03T22:00:00Z/2026-04-03T23:00:00Z syd\n"
     "2026-04-04T23:00:00Z/2026-04-05T00:00:00Z syd\n"
     "2026-04-05T23:00:00Z/2026-04-06T00:00:00Z syd",
     FALSE},
    {"dst/sydney-october-daily", "Australia/Sydney", "2026-10-02", "2026-10-06",
     "BEGIN:VEVENT\nUID:syd\n"
     "DTSTART;TZID=Australia/Sydney:20261001T090000\nDTEND;TZID=Australia/Sydney:20261001T100000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-01T23:00:00Z/2026-10-02T00:00:00Z syd\n"
     "2026-10-02T23:00:00Z/2026-10-03T00:00:00Z syd\n"
     "2026-10-03T22:00:00Z/2026-10-03T23:00:00Z syd\n"
     "2026-10-04T22:00:00Z/2026-10-04T23:00:00Z syd",
     FALSE},
    /* Lord Howe moves its clocks by half an hour. */
    {"dst/lordhowe-april-0900", "Australia/Lord_Howe", "2026-04-04", "2026-04-07",
     "BEGIN:VEVENT\nUID:lh\n"
     "DTSTART;TZID=Australia/Lord_Howe:20260401T090000\nDTEND;TZID=Australia/Lord_Howe:20260401T093000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-04-03T22:00:00Z/2026-04-03T22:30:00Z lh\n"
     "2026-04-04T22:30:00Z/2026-04-04T23:00:00Z lh\n"
     "2026-04-05T22:30:00Z/2026-04-05T23:00:00Z lh",
     FALSE},
    {"dst/lordhowe-october-0900", "Australia/Lord_Howe", "2026-10-03", "2026-10-05",
     "BEGIN:VEVENT\nUID:lh\n"
     "DTSTART;TZID=Australia/Lord_Howe:20261001T090000\nDTEND;TZID=Australia/Lord_Howe:20261001T093000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-02T22:30:00Z/2026-10-02T23:00:00Z lh\n"
     "2026-10-03T22:00:00Z/2026-10-03T22:30:00Z lh",
     FALSE},
    /* 01:45 on 2026-04-05 happens twice on Lord Howe: the first (+11) one. */
    {"dst/lordhowe-overlap-0145", "Australia/Lord_Howe", "2026-04-04", "2026-04-07",
     "BEGIN:VEVENT\nUID:lh\n"
     "DTSTART;TZID=Australia/Lord_Howe:20260401T014500\nDTEND;TZID=Australia/Lord_Howe:20260401T021500\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-04-03T14:45:00Z/2026-04-03T15:15:00Z lh\n"
     "2026-04-04T14:45:00Z/2026-04-04T15:15:00Z lh\n"
     "2026-04-05T15:15:00Z/2026-04-05T15:45:00Z lh",
     FALSE},
    /* 02:15 on 2026-10-04 does not exist on Lord Howe: read at +10:30. */
    {"dst/lordhowe-gap-0215", "Australia/Lord_Howe", "2026-10-03", "2026-10-06",
     "BEGIN:VEVENT\nUID:lh\n"
     "DTSTART;TZID=Australia/Lord_Howe:20261001T021500\nDTEND;TZID=Australia/Lord_Howe:20261001T024500\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-10-02T15:45:00Z/2026-10-02T16:15:00Z lh\n"
     "2026-10-03T15:45:00Z/2026-10-03T16:15:00Z lh\n"
     "2026-10-04T15:15:00Z/2026-10-04T15:45:00Z lh",
     FALSE},
    {"zone/kolkata-weekly", "Asia/Kolkata", "2026-03-01", "2026-03-22",
     "BEGIN:VEVENT\nUID:k\n"
     "DTSTART;TZID=Asia/Kolkata:20260302T100000\nDTEND;TZID=Asia/Kolkata:20260302T110000\n"
     "RRULE:FREQ=WEEKLY\nEND:VEVENT\n",
     "2026-03-02T04:30:00Z/2026-03-02T05:30:00Z k\n"
     "2026-03-09T04:30:00Z/2026-03-09T05:30:00Z k\n"
     "2026-03-16T04:30:00Z/2026-03-16T05:30:00Z k",
     FALSE},
    /* Kolkata midnight is 18:30Z: the window is [03-02 18:30Z, 03-03 18:30Z). */
    {"zone/kolkata-across-midnight", "Asia/Kolkata", "2026-03-03", "2026-03-04",
     "BEGIN:VEVENT\nUID:late\n"
     "DTSTART;TZID=Asia/Kolkata:20260302T230000\nDTEND;TZID=Asia/Kolkata:20260303T013000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:next\n"
     "DTSTART;TZID=Asia/Kolkata:20260303T230000\nDTEND;TZID=Asia/Kolkata:20260304T003000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:after\n"
     "DTSTART;TZID=Asia/Kolkata:20260304T000000\nDTEND;TZID=Asia/Kolkata:20260304T010000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:before\n"
     "DTSTART;TZID=Asia/Kolkata:20260302T220000\nDTEND;TZID=Asia/Kolkata:20260303T000000\nEND:VEVENT\n",
     "2026-03-02T17:30:00Z/2026-03-02T20:00:00Z late\n"
     "2026-03-03T17:30:00Z/2026-03-03T19:00:00Z next",
     FALSE},

    /* ---- the window: start < to && end > from; zero length: from <= start < to ---- */
    /* Berlin 2026-03-02 is [03-01 23:00Z, 03-02 23:00Z). */
    {"window/edges", "Europe/Berlin", "2026-03-02", "2026-03-03",
     "BEGIN:VEVENT\nUID:a-ends-at-from\n"
     "DTSTART;TZID=Europe/Berlin:20260301T220000\nDTEND;TZID=Europe/Berlin:20260302T000000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:b-crosses-from\n"
     "DTSTART;TZID=Europe/Berlin:20260301T233000\nDTEND;TZID=Europe/Berlin:20260302T003000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:c-crosses-to\n"
     "DTSTART;TZID=Europe/Berlin:20260302T233000\nDTEND;TZID=Europe/Berlin:20260303T010000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:d-starts-at-to\n"
     "DTSTART;TZID=Europe/Berlin:20260303T000000\nDTEND;TZID=Europe/Berlin:20260303T010000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:e-zero-at-from\nDTSTART;TZID=Europe/Berlin:20260302T000000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:f-zero-at-to\nDTSTART;TZID=Europe/Berlin:20260303T000000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:g-zero-inside\nDTSTART;TZID=Europe/Berlin:20260302T120000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:h-last-second\n"
     "DTSTART;TZID=Europe/Berlin:20260302T235959\nDTEND;TZID=Europe/Berlin:20260303T010000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:i-one-second-in\n"
     "DTSTART;TZID=Europe/Berlin:20260301T230000\nDTEND;TZID=Europe/Berlin:20260302T000001\nEND:VEVENT\n",
     "2026-03-01T22:00:00Z/2026-03-01T23:00:01Z i-one-second-in\n"
     "2026-03-01T22:30:00Z/2026-03-01T23:30:00Z b-crosses-from\n"
     "2026-03-01T23:00:00Z/2026-03-01T23:00:00Z e-zero-at-from\n"
     "2026-03-02T11:00:00Z/2026-03-02T11:00:00Z g-zero-inside\n"
     "2026-03-02T22:30:00Z/2026-03-03T00:00:00Z c-crosses-to\n"
     "2026-03-02T22:59:59Z/2026-03-03T00:00:00Z h-last-second",
     FALSE},
    /* An instance that starts before the window and ends inside it is listed. */
    {"window/series-across-midnight", "Europe/Berlin", "2026-03-02", "2026-03-04",
     "BEGIN:VEVENT\nUID:night\n"
     "DTSTART;TZID=Europe/Berlin:20260301T230000\nDTEND;TZID=Europe/Berlin:20260302T010000\n"
     "RRULE:FREQ=DAILY\nEND:VEVENT\n",
     "2026-03-01T22:00:00Z/2026-03-02T00:00:00Z night\n"
     "2026-03-02T22:00:00Z/2026-03-03T00:00:00Z night\n"
     "2026-03-03T22:00:00Z/2026-03-04T00:00:00Z night",
     FALSE},
    {"window/zero-length", "Europe/London", "2026-03-02", "2026-03-03",
     "BEGIN:VEVENT\nUID:point\nDTSTART;TZID=Europe/London:20260302T090000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:day\nDTSTART;VALUE=DATE:20260302\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:utc-point\nDTSTART:20260302T120000Z\nDURATION:PT0S\nEND:VEVENT\n",
     "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z day\n"
     "2026-03-02T09:00:00Z/2026-03-02T09:00:00Z point\n"
     "2026-03-02T12:00:00Z/2026-03-02T12:00:00Z utc-point",
     FALSE},

    /* ---- all-day events: bounds are local midnights in the diary's zone ---- */
    {"allday/london-multiday", "Europe/London", "2026-03-28", "2026-04-02",
     "BEGIN:VEVENT\nUID:multi\nDTSTART;VALUE=DATE:20260328\nDTEND;VALUE=DATE:20260331\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:single\nDTSTART;VALUE=DATE:20260329\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:before\nDTSTART;VALUE=DATE:20260327\nDTEND;VALUE=DATE:20260328\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:after\nDTSTART;VALUE=DATE:20260402\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:p2d\nDTSTART;VALUE=DATE:20260330\nDURATION:P2D\nEND:VEVENT\n",
     "2026-03-28T00:00:00Z/2026-03-30T23:00:00Z multi\n"
     "2026-03-29T00:00:00Z/2026-03-29T23:00:00Z single\n"
     "2026-03-29T23:00:00Z/2026-03-31T23:00:00Z p2d",
     FALSE},
    {"allday/newyork-diary", "America/New_York", "2026-03-07", "2026-03-10",
     "BEGIN:VEVENT\nUID:trip\nDTSTART;VALUE=DATE:20260307\nDTEND;VALUE=DATE:20260310\nEND:VEVENT\n",
     "2026-03-07T05:00:00Z/2026-03-10T04:00:00Z trip", FALSE},
    {"allday/kolkata-diary", "Asia/Kolkata", "2026-03-07", "2026-03-10",
     "BEGIN:VEVENT\nUID:trip\nDTSTART;VALUE=DATE:20260307\nDTEND;VALUE=DATE:20260310\nEND:VEVENT\n",
     "2026-03-06T18:30:00Z/2026-03-09T18:30:00Z trip", FALSE},
    /* Santiago skips midnight on 2026-09-06 (the day starts at 01:00, 23 hours long)
     * and has 25 hours on 2026-04-04. */
    {"allday/santiago-midnight-gap", "America/Santiago", "2026-09-05", "2026-09-08",
     "BEGIN:VEVENT\nUID:short\nDTSTART;VALUE=DATE:20260906\nEND:VEVENT\n",
     "2026-09-06T04:00:00Z/2026-09-07T03:00:00Z short", FALSE},
    {"allday/santiago-long-day", "America/Santiago", "2026-04-03", "2026-04-06",
     "BEGIN:VEVENT\nUID:long\nDTSTART;VALUE=DATE:20260404\nEND:VEVENT\n",
     "2026-04-04T03:00:00Z/2026-04-05T04:00:00Z long", FALSE},
    {"allday/daily-across-dst", "Europe/London", "2026-03-28", "2026-04-01",
     "BEGIN:VEVENT\nUID:ad\nDTSTART;VALUE=DATE:20260328\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n",
     "2026-03-28T00:00:00Z/2026-03-29T00:00:00Z ad\n"
     "2026-03-29T00:00:00Z/2026-03-29T23:00:00Z ad\n"
     "2026-03-29T23:00:00Z/2026-03-30T23:00:00Z ad",
     FALSE},
    {"allday/exdate-date", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:ad\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=DAILY;COUNT=4\n"
     "EXDATE;VALUE=DATE:20260303\nEND:VEVENT\n",
     "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z ad\n"
     "2026-03-04T00:00:00Z/2026-03-05T00:00:00Z ad\n"
     "2026-03-05T00:00:00Z/2026-03-06T00:00:00Z ad",
     FALSE},

    /* ---- floating times are read in the diary's zone ---- */
    {"floating/berlin-diary", "Europe/Berlin", "2026-03-27", "2026-03-31",
     "BEGIN:VEVENT\nUID:f\nDTSTART:20260327T090000\nDTEND:20260327T100000\nRRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\n",
     "2026-03-27T08:00:00Z/2026-03-27T09:00:00Z f\n"
     "2026-03-28T08:00:00Z/2026-03-28T09:00:00Z f\n"
     "2026-03-29T07:00:00Z/2026-03-29T08:00:00Z f\n"
     "2026-03-30T07:00:00Z/2026-03-30T08:00:00Z f",
     FALSE},
    {"floating/newyork-diary", "America/New_York", "2026-03-27", "2026-03-31",
     "BEGIN:VEVENT\nUID:f\nDTSTART:20260327T090000\nDTEND:20260327T100000\nRRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\n",
     "2026-03-27T13:00:00Z/2026-03-27T14:00:00Z f\n"
     "2026-03-28T13:00:00Z/2026-03-28T14:00:00Z f\n"
     "2026-03-29T13:00:00Z/2026-03-29T14:00:00Z f\n"
     "2026-03-30T13:00:00Z/2026-03-30T14:00:00Z f",
     FALSE},

    /* ---- TZID forms (no VTIMEZONE in these calendars) ---- */
    {"tzid/iana-without-vtimezone", "UTC", "2026-03-02", "2026-03-03",
     "BEGIN:VEVENT\nUID:kolkata\n"
     "DTSTART;TZID=Asia/Kolkata:20260302T100000\nDTEND;TZID=Asia/Kolkata:20260302T110000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:newyork\n"
     "DTSTART;TZID=America/New_York:20260302T090000\nDTEND;TZID=America/New_York:20260302T100000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:lordhowe\n"
     "DTSTART;TZID=Australia/Lord_Howe:20260302T200000\nDTEND;TZID=Australia/Lord_Howe:20260302T210000\n"
     "END:VEVENT\n",
     "2026-03-02T04:30:00Z/2026-03-02T05:30:00Z kolkata\n"
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z lordhowe\n"
     "2026-03-02T14:00:00Z/2026-03-02T15:00:00Z newyork",
     FALSE},
    {"tzid/windows", "UTC", "2026-06-01", "2026-06-02",
     "BEGIN:VEVENT\nUID:berlin\n"
     "DTSTART;TZID=W. Europe Standard Time:20260601T090000\nDTEND;TZID=W. Europe Standard Time:20260601T100000\n"
     "END:VEVENT\n"
     "BEGIN:VEVENT\nUID:london\n"
     "DTSTART;TZID=GMT Standard Time:20260601T090000\nDTEND;TZID=GMT Standard Time:20260601T100000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:newyork\n"
     "DTSTART;TZID=Eastern Standard Time:20260601T090000\nDTEND;TZID=Eastern Standard Time:20260601T100000\n"
     "END:VEVENT\n"
     "BEGIN:VEVENT\nUID:sydney\n"
     "DTSTART;TZID=AUS Eastern Standard Time:20260601T190000\n"
     "DTEND;TZID=AUS Eastern Standard Time:20260601T200000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:india\n"
     "DTSTART;TZID=India Standard Time:20260601T120000\nDTEND;TZID=India Standard Time:20260601T130000\n"
     "END:VEVENT\n",
     "2026-06-01T06:30:00Z/2026-06-01T07:30:00Z india\n"
     "2026-06-01T07:00:00Z/2026-06-01T08:00:00Z berlin\n"
     "2026-06-01T08:00:00Z/2026-06-01T09:00:00Z london\n"
     "2026-06-01T09:00:00Z/2026-06-01T10:00:00Z sydney\n"
     "2026-06-01T13:00:00Z/2026-06-01T14:00:00Z newyork",
     FALSE},
    {"tzid/vendor-and-quoted", "UTC", "2026-06-01", "2026-06-02",
     "BEGIN:VEVENT\nUID:mozilla\n"
     "DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260601T090000\n"
     "DTEND;TZID=/mozilla.org/20050126_1/Europe/London:20260601T100000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:quoted\n"
     "DTSTART;TZID=\"Europe/Berlin\":20260601T090000\nDTEND;TZID=\"Europe/Berlin\":20260601T100000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:tzfile\n"
     "DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/America/New_York:20260601T090000\n"
     "DTEND;TZID=/freeassociation.sourceforge.net/Tzfile/America/New_York:20260601T100000\nEND:VEVENT\n",
     "2026-06-01T07:00:00Z/2026-06-01T08:00:00Z quoted\n"
     "2026-06-01T08:00:00Z/2026-06-01T09:00:00Z mozilla\n"
     "2026-06-01T13:00:00Z/2026-06-01T14:00:00Z tzfile",
     FALSE},

    /* A zone the database does not know, defined by the calendar's VTIMEZONE. */
    {"tzid/embedded-vtimezone", "UTC", "2026-03-02", "2026-03-03",
     "BEGIN:VTIMEZONE\nTZID:Fictional Plus Three\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
     "TZOFFSETFROM:+0300\nTZOFFSETTO:+0300\nTZNAME:FPT\nEND:STANDARD\nEND:VTIMEZONE\n"
     "BEGIN:VEVENT\nUID:custom\n"
     "DTSTART;TZID=Fictional Plus Three:20260302T090000\nDTEND;TZID=Fictional Plus Three:20260302T100000\n"
     "END:VEVENT\n",
     "2026-03-02T06:00:00Z/2026-03-02T07:00:00Z custom", FALSE},

    /* ---- RRULE parts ---- */
    {"rrule/monthly-last-friday", "Europe/London", "2026-01-01", "2026-07-01",
     "BEGIN:VEVENT\nUID:lf\n"
     "DTSTART;TZID=Europe/London:20260130T150000\nDTEND;TZID=Europe/London:20260130T160000\n"
     "RRULE:FREQ=MONTHLY;BYDAY=-1FR\nEND:VEVENT\n",
     "2026-01-30T15:00:00Z/2026-01-30T16:00:00Z lf\n"
     "2026-02-27T15:00:00Z/2026-02-27T16:00:00Z lf\n"
     "2026-03-27T15:00:00Z/2026-03-27T16:00:00Z lf\n"
     "2026-04-24T14:00:00Z/2026-04-24T15:00:00Z lf\n"
     "2026-05-29T14:00:00Z/2026-05-29T15:00:00Z lf\n"
     "2026-06-26T14:00:00Z/2026-06-26T15:00:00Z lf",
     FALSE},
    {"rrule/yearly-bymonth-bymonthday", "America/New_York", "2026-01-01", "2028-01-01",
     "BEGIN:VEVENT\nUID:y\n"
     "DTSTART;TZID=America/New_York:20260110T120000\nDTEND;TZID=America/New_York:20260110T130000\n"
     "RRULE:FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10\nEND:VEVENT\n",
     "2026-01-10T17:00:00Z/2026-01-10T18:00:00Z y\n"
     "2026-07-10T16:00:00Z/2026-07-10T17:00:00Z y\n"
     "2027-01-10T17:00:00Z/2027-01-10T18:00:00Z y\n"
     "2027-07-10T16:00:00Z/2027-07-10T17:00:00Z y",
     FALSE},
    {"rrule/yearly-feb29", "UTC", "2026-01-01", "2030-01-01",
     "BEGIN:VEVENT\nUID:leap\nDTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29\nEND:VEVENT\n",
     "2028-02-29T00:00:00Z/2028-03-01T00:00:00Z leap", FALSE},
    {"rrule/weekly-interval2-mo-we", "Europe/Berlin", "2026-03-01", "2026-04-15",
     "BEGIN:VEVENT\nUID:w2\n"
     "DTSTART;TZID=Europe/Berlin:20260302T083000\nDTEND;TZID=Europe/Berlin:20260302T093000\n"
     "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE\nEND:VEVENT\n",
     "2026-03-02T07:30:00Z/2026-03-02T08:30:00Z w2\n"
     "2026-03-04T07:30:00Z/2026-03-04T08:30:00Z w2\n"
     "2026-03-16T07:30:00Z/2026-03-16T08:30:00Z w2\n"
     "2026-03-18T07:30:00Z/2026-03-18T08:30:00Z w2\n"
     "2026-03-30T06:30:00Z/2026-03-30T07:30:00Z w2\n"
     "2026-04-01T06:30:00Z/2026-04-01T07:30:00Z w2\n"
     "2026-04-13T06:30:00Z/2026-04-13T07:30:00Z w2",
     FALSE},
    {"rrule/bysetpos-last-weekday", "America/New_York", "2026-01-01", "2026-05-01",
     "BEGIN:VEVENT\nUID:lw\n"
     "DTSTART;TZID=America/New_York:20260130T170000\nDTEND;TZID=America/New_York:20260130T173000\n"
     "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1\nEND:VEVENT\n",
     "2026-01-30T22:00:00Z/2026-01-30T22:30:00Z lw\n"
     "2026-02-27T22:00:00Z/2026-02-27T22:30:00Z lw\n"
     "2026-03-31T21:00:00Z/2026-03-31T21:30:00Z lw\n"
     "2026-04-30T21:00:00Z/2026-04-30T21:30:00Z lw",
     FALSE},
    {"rrule/bysetpos-second-tu-th", "Europe/London", "2026-01-01", "2026-06-01",
     "BEGIN:VEVENT\nUID:sp\n"
     "DTSTART;TZID=Europe/London:20260106T100000\nDTEND;TZID=Europe/London:20260106T110000\n"
     "RRULE:FREQ=MONTHLY;BYDAY=TU,TH;BYSETPOS=2;COUNT=3\nEND:VEVENT\n",
     "2026-01-06T10:00:00Z/2026-01-06T11:00:00Z sp\n"
     "2026-02-05T10:00:00Z/2026-02-05T11:00:00Z sp\n"
     "2026-03-05T10:00:00Z/2026-03-05T11:00:00Z sp",
     FALSE},
    {"rrule/count-with-byday", "UTC", "2026-03-01", "2026-03-31",
     "BEGIN:VEVENT\nUID:c\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
     "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=4\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z c\n"
     "2026-03-04T09:00:00Z/2026-03-04T10:00:00Z c\n"
     "2026-03-06T09:00:00Z/2026-03-06T10:00:00Z c\n"
     "2026-03-09T09:00:00Z/2026-03-09T10:00:00Z c",
     FALSE},
    /* DTSTART is always the first instance, even off the rule (a Tuesday here). */
    {"rrule/dtstart-off-rule", "Europe/London", "2026-03-01", "2026-03-15",
     "BEGIN:VEVENT\nUID:off\n"
     "DTSTART;TZID=Europe/London:20260303T100000\nDTEND;TZID=Europe/London:20260303T110000\n"
     "RRULE:FREQ=WEEKLY;BYDAY=WE\nEND:VEVENT\n",
     "2026-03-03T10:00:00Z/2026-03-03T11:00:00Z off\n"
     "2026-03-04T10:00:00Z/2026-03-04T11:00:00Z off\n"
     "2026-03-11T10:00:00Z/2026-03-11T11:00:00Z off",
     FALSE},

    /* WKST changes which weeks INTERVAL=2 keeps (the RFC 5545 example, in 2026). */
    {"rrule/weekly-wkst-mo", "UTC", "2026-03-01", "2026-04-15",
     "BEGIN:VEVENT\nUID:wk\nDTSTART:20260303T090000Z\n"
     "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO\nEND:VEVENT\n",
     "2026-03-03T09:00:00Z/2026-03-03T09:00:00Z wk\n"
     "2026-03-08T09:00:00Z/2026-03-08T09:00:00Z wk\n"
     "2026-03-17T09:00:00Z/2026-03-17T09:00:00Z wk\n"
     "2026-03-22T09:00:00Z/2026-03-22T09:00:00Z wk",
     FALSE},
    {"rrule/weekly-wkst-su", "UTC", "2026-03-01", "2026-04-15",
     "BEGIN:VEVENT\nUID:wk\nDTSTART:20260303T090000Z\n"
     "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU\nEND:VEVENT\n",
     "2026-03-03T09:00:00Z/2026-03-03T09:00:00Z wk\n"
     "2026-03-15T09:00:00Z/2026-03-15T09:00:00Z wk\n"
     "2026-03-17T09:00:00Z/2026-03-17T09:00:00Z wk\n"
     "2026-03-29T09:00:00Z/2026-03-29T09:00:00Z wk",
     FALSE},
    /* Months without a 31st are skipped, not clamped. */
    {"rrule/monthly-31st", "UTC", "2026-01-01", "2026-08-01",
     "BEGIN:VEVENT\nUID:m31\nDTSTART:20260131T120000Z\nRRULE:FREQ=MONTHLY;COUNT=4\nEND:VEVENT\n",
     "2026-01-31T12:00:00Z/2026-01-31T12:00:00Z m31\n"
     "2026-03-31T12:00:00Z/2026-03-31T12:00:00Z m31\n"
     "2026-05-31T12:00:00Z/2026-05-31T12:00:00Z m31\n"
     "2026-07-31T12:00:00Z/2026-07-31T12:00:00Z m31",
     FALSE},
    {"rrule/monthly-last-day", "UTC", "2026-01-01", "2026-08-01",
     "BEGIN:VEVENT\nUID:ld\nDTSTART:20260131T120000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4\nEND:VEVENT\n",
     "2026-01-31T12:00:00Z/2026-01-31T12:00:00Z ld\n"
     "2026-02-28T12:00:00Z/2026-02-28T12:00:00Z ld\n"
     "2026-03-31T12:00:00Z/2026-03-31T12:00:00Z ld\n"
     "2026-04-30T12:00:00Z/2026-04-30T12:00:00Z ld",
     FALSE},
    /* A yearly Feb 29 series has no instance in common years. */
    {"rrule/yearly-feb29-plain", "UTC", "2026-01-01", "2030-01-01",
     "BEGIN:VEVENT\nUID:leap\nDTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY\nEND:VEVENT\n",
     "2028-02-29T00:00:00Z/2028-03-01T00:00:00Z leap", FALSE},

    /* ---- RDATE ---- */
    {"rdate/period-and-zones", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:r\n"
     "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
     "RDATE;TZID=America/New_York:20260303T080000\n"
     "RDATE:20260304T120000Z\n"
     "RDATE;VALUE=PERIOD:20260305T140000Z/20260305T153000Z\n"
     "RDATE;VALUE=PERIOD:20260306T100000Z/PT2H\n"
     "RDATE;VALUE=PERIOD;TZID=Europe/Berlin:20260307T100000/20260307T113000\n"
     "END:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z r\n"
     "2026-03-03T13:00:00Z/2026-03-03T14:00:00Z r\n"
     "2026-03-04T12:00:00Z/2026-03-04T13:00:00Z r\n"
     "2026-03-05T14:00:00Z/2026-03-05T15:30:00Z r\n"
     "2026-03-06T10:00:00Z/2026-03-06T12:00:00Z r\n"
     "2026-03-07T09:00:00Z/2026-03-07T10:30:00Z r",
     FALSE},
    {"rdate/dates-allday", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:rd\nDTSTART;VALUE=DATE:20260302\nRDATE;VALUE=DATE:20260305,20260307\nEND:VEVENT\n",
     "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z rd\n"
     "2026-03-05T00:00:00Z/2026-03-06T00:00:00Z rd\n"
     "2026-03-07T00:00:00Z/2026-03-08T00:00:00Z rd",
     FALSE},
    /* An RDATE that repeats a rule instance adds nothing. */
    {"rdate/duplicate-of-rule", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:dup\n"
     "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
     "RRULE:FREQ=DAILY;COUNT=3\nRDATE;TZID=Europe/London:20260303T090000\nRDATE:20260304T090000Z\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z dup\n"
     "2026-03-03T09:00:00Z/2026-03-03T10:00:00Z dup\n"
     "2026-03-04T09:00:00Z/2026-03-04T10:00:00Z dup",
     FALSE},

    /* ---- EXDATE written in other zones: matched as the same instant ---- */
    {"exdate/other-zones", "America/New_York", "2026-03-01", "2026-03-12",
     "BEGIN:VEVENT\nUID:x\n"
     "DTSTART;TZID=America/New_York:20260302T090000\nDTEND;TZID=America/New_York:20260302T100000\n"
     "RRULE:FREQ=DAILY;COUNT=10\n"
     "EXDATE:20260304T140000Z\n"                      /* 03-04 09:00 EST */
     "EXDATE;TZID=Europe/Berlin:20260305T150000\n"    /* 03-05 09:00 EST */
     "EXDATE;TZID=Europe/London:20260309T130000\n"    /* 03-09 09:00 EDT */
     "EXDATE:20260310T140000Z\n"                      /* 03-10 10:00 EDT: no instance */
     "END:VEVENT\n",
     "2026-03-02T14:00:00Z/2026-03-02T15:00:00Z x\n"
     "2026-03-03T14:00:00Z/2026-03-03T15:00:00Z x\n"
     "2026-03-06T14:00:00Z/2026-03-06T15:00:00Z x\n"
     "2026-03-07T14:00:00Z/2026-03-07T15:00:00Z x\n"
     "2026-03-08T13:00:00Z/2026-03-08T14:00:00Z x\n"
     "2026-03-10T13:00:00Z/2026-03-10T14:00:00Z x\n"
     "2026-03-11T13:00:00Z/2026-03-11T14:00:00Z x",
     FALSE},

    /* Excluded instances still count toward COUNT; DTSTART itself can be excluded. */
    {"exdate/dtstart-and-count", "UTC", "2026-03-01", "2026-03-10",
     "BEGIN:VEVENT\nUID:x\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nRRULE:FREQ=DAILY;COUNT=4\n"
     "EXDATE:20260302T090000Z,20260304T090000Z\nEND:VEVENT\n",
     "2026-03-03T09:00:00Z/2026-03-03T10:00:00Z x\n"
     "2026-03-05T09:00:00Z/2026-03-05T10:00:00Z x",
     FALSE},
    /* A floating series read in Berlin; the EXDATE names the same instant in UTC. */
    {"exdate/floating-series-utc-exdate", "Europe/Berlin", "2026-03-01", "2026-03-06",
     "BEGIN:VEVENT\nUID:x\nDTSTART:20260302T090000\nDTEND:20260302T100000\nRRULE:FREQ=DAILY;COUNT=4\n"
     "EXDATE:20260303T080000Z\nEND:VEVENT\n",
     "2026-03-02T08:00:00Z/2026-03-02T09:00:00Z x\n"
     "2026-03-04T08:00:00Z/2026-03-04T09:00:00Z x\n"
     "2026-03-05T08:00:00Z/2026-03-05T09:00:00Z x",
     FALSE},

    /* ---- UNTIL (inclusive) ---- */
    /* 20:00 New York is 01:00Z the next day: UNTIL 03-05 00:00Z stops before 03-04 20:00. */
    {"until/utc-vs-zoned", "America/New_York", "2026-03-01", "2026-03-10",
     "BEGIN:VEVENT\nUID:u\n"
     "DTSTART;TZID=America/New_York:20260302T200000\nDTEND;TZID=America/New_York:20260302T203000\n"
     "RRULE:FREQ=DAILY;UNTIL=20260305T000000Z\nEND:VEVENT\n",
     "2026-03-03T01:00:00Z/2026-03-03T01:30:00Z u\n"
     "2026-03-04T01:00:00Z/2026-03-04T01:30:00Z u",
     FALSE},
    {"until/inclusive", "America/New_York", "2026-03-01", "2026-03-10",
     "BEGIN:VEVENT\nUID:u\n"
     "DTSTART;TZID=America/New_York:20260302T200000\nDTEND;TZID=America/New_York:20260302T203000\n"
     "RRULE:FREQ=DAILY;UNTIL=20260305T010000Z\nEND:VEVENT\n",
     "2026-03-03T01:00:00Z/2026-03-03T01:30:00Z u\n"
     "2026-03-04T01:00:00Z/2026-03-04T01:30:00Z u\n"
     "2026-03-05T01:00:00Z/2026-03-05T01:30:00Z u",
     FALSE},
    {"until/across-dst", "Europe/London", "2026-03-26", "2026-04-02",
     "BEGIN:VEVENT\nUID:u\n"
     "DTSTART;TZID=Europe/London:20260327T090000\nDTEND;TZID=Europe/London:20260327T100000\n"
     "RRULE:FREQ=DAILY;UNTIL=20260330T080000Z\nEND:VEVENT\n",
     "2026-03-27T09:00:00Z/2026-03-27T10:00:00Z u\n"
     "2026-03-28T09:00:00Z/2026-03-28T10:00:00Z u\n"
     "2026-03-29T08:00:00Z/2026-03-29T09:00:00Z u\n"
     "2026-03-30T08:00:00Z/2026-03-30T09:00:00Z u",
     FALSE},
    {"until/date-allday", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:u\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=DAILY;UNTIL=20260304\nEND:VEVENT\n",
     "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z u\n"
     "2026-03-03T00:00:00Z/2026-03-04T00:00:00Z u\n"
     "2026-03-04T00:00:00Z/2026-03-05T00:00:00Z u",
     FALSE},
    /* A DATE UNTIL compares local dates: 23:00 Kolkata on 03-04 is still 03-04. */
    {"until/date-with-zoned-start", "Asia/Kolkata", "2026-03-01", "2026-03-10",
     "BEGIN:VEVENT\nUID:u\n"
     "DTSTART;TZID=Asia/Kolkata:20260302T230000\nDTEND;TZID=Asia/Kolkata:20260302T233000\n"
     "RRULE:FREQ=DAILY;UNTIL=20260304\nEND:VEVENT\n",
     "2026-03-02T17:30:00Z/2026-03-02T18:00:00Z u\n"
     "2026-03-03T17:30:00Z/2026-03-03T18:00:00Z u\n"
     "2026-03-04T17:30:00Z/2026-03-04T18:00:00Z u",
     FALSE},

    /* ---- durations: DTEND exact, DURATION days nominal and time exact ---- */
    {"duration/pt1h30m", "Europe/London", "2026-03-02", "2026-03-03",
     "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/London:20260302T090000\nDURATION:PT1H30M\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:30:00Z d", FALSE},
    {"duration/across-dst", "Europe/London", "2026-03-27", "2026-04-01",
     "BEGIN:VEVENT\nUID:p1d\nDTSTART;TZID=Europe/London:20260328T120000\nDURATION:P1D\n"
     "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:pt24h\nDTSTART;TZID=Europe/London:20260328T120000\nDURATION:PT24H\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:p1dt1h\nDTSTART;TZID=Europe/London:20260328T120000\nDURATION:P1DT1H\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:dtend-exact\n"
     "DTSTART;TZID=Europe/London:20260328T120000\nDTEND;TZID=Europe/London:20260329T120000\n"
     "RRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:pt1h30m\nDTSTART;TZID=Europe/London:20260328T233000\nDURATION:PT1H30M\n"
     "RRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n",
     "2026-03-28T12:00:00Z/2026-03-29T11:00:00Z dtend-exact\n"
     "2026-03-28T12:00:00Z/2026-03-29T11:00:00Z p1d\n"
     "2026-03-28T12:00:00Z/2026-03-29T12:00:00Z p1dt1h\n"
     "2026-03-28T12:00:00Z/2026-03-29T12:00:00Z pt24h\n"
     "2026-03-28T23:30:00Z/2026-03-29T01:00:00Z pt1h30m\n"
     "2026-03-29T11:00:00Z/2026-03-30T10:00:00Z dtend-exact\n"
     "2026-03-29T11:00:00Z/2026-03-30T11:00:00Z p1d\n"
     "2026-03-29T22:30:00Z/2026-03-30T00:00:00Z pt1h30m\n"
     "2026-03-30T11:00:00Z/2026-03-31T11:00:00Z p1d",
     FALSE},

    /* ---- RECURRENCE-ID overrides ---- */
    {"override/moved-and-cancelled", "Europe/London", "2026-03-01", "2026-04-01",
     "BEGIN:VEVENT\nUID:w\n"
     "DTSTART;TZID=Europe/London:20260302T100000\nDTEND;TZID=Europe/London:20260302T110000\n"
     "RRULE:FREQ=WEEKLY;COUNT=5\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=Europe/London:20260309T100000\n"
     "DTSTART;TZID=Europe/London:20260310T140000\nDTEND;TZID=Europe/London:20260310T150000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=Europe/London:20260316T100000\nSTATUS:CANCELLED\n"
     "DTSTART;TZID=Europe/London:20260316T100000\nDTEND;TZID=Europe/London:20260316T110000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:w\nRECURRENCE-ID:20260330T090000Z\n"
     "DTSTART;TZID=Europe/London:20260331T120000\nDTEND;TZID=Europe/London:20260331T130000\nEND:VEVENT\n",
     "2026-03-02T10:00:00Z/2026-03-02T11:00:00Z w\n"
     "2026-03-10T14:00:00Z/2026-03-10T15:00:00Z w\n"
     "2026-03-16T10:00:00Z/2026-03-16T11:00:00Z w\n"
     "2026-03-23T10:00:00Z/2026-03-23T11:00:00Z w\n"
     "2026-03-31T11:00:00Z/2026-03-31T12:00:00Z w",
     FALSE},
    {"override/allday-moved", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:a\nRECURRENCE-ID;VALUE=DATE:20260303\nDTSTART;VALUE=DATE:20260306\nEND:VEVENT\n",
     "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z a\n"
     "2026-03-04T00:00:00Z/2026-03-05T00:00:00Z a\n"
     "2026-03-06T00:00:00Z/2026-03-07T00:00:00Z a",
     FALSE},
    /* THISANDFUTURE from 03-04: that and later instances move by +2h30 and last 30 minutes. */
    {"override/thisandfuture", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:t\n"
     "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
     "RRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:t\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:20260304T090000\n"
     "DTSTART;TZID=Europe/London:20260304T113000\nDTEND;TZID=Europe/London:20260304T120000\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z t\n"
     "2026-03-03T09:00:00Z/2026-03-03T10:00:00Z t\n"
     "2026-03-04T11:30:00Z/2026-03-04T12:00:00Z t\n"
     "2026-03-05T11:30:00Z/2026-03-05T12:00:00Z t\n"
     "2026-03-06T11:30:00Z/2026-03-06T12:00:00Z t",
     FALSE},
    /* A single override (by original start) beats a THISANDFUTURE range. */
    {"override/thisandfuture-and-single", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:t\n"
     "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
     "RRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:t\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:20260304T090000\n"
     "DTSTART;TZID=Europe/London:20260304T113000\nDTEND;TZID=Europe/London:20260304T120000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:t\nRECURRENCE-ID;TZID=Europe/London:20260305T090000\n"
     "DTSTART;TZID=Europe/London:20260305T160000\nDTEND;TZID=Europe/London:20260305T170000\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z t\n"
     "2026-03-03T09:00:00Z/2026-03-03T10:00:00Z t\n"
     "2026-03-04T11:30:00Z/2026-03-04T12:00:00Z t\n"
     "2026-03-05T16:00:00Z/2026-03-05T17:00:00Z t\n"
     "2026-03-06T11:30:00Z/2026-03-06T12:00:00Z t",
     FALSE},
    /* Moved out of the window: gone; moved into it from outside: listed. */
    {"override/moved-in-and-out", "Europe/London", "2026-03-01", "2026-04-01",
     "BEGIN:VEVENT\nUID:m\n"
     "DTSTART;TZID=Europe/London:20260302T100000\nDTEND;TZID=Europe/London:20260302T110000\n"
     "RRULE:FREQ=WEEKLY;COUNT=6\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/London:20260309T100000\n"
     "DTSTART;TZID=Europe/London:20260227T100000\nDTEND;TZID=Europe/London:20260227T110000\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/London:20260406T100000\n"
     "DTSTART;TZID=Europe/London:20260325T150000\nDTEND;TZID=Europe/London:20260325T160000\nEND:VEVENT\n",
     "2026-03-02T10:00:00Z/2026-03-02T11:00:00Z m\n"
     "2026-03-16T10:00:00Z/2026-03-16T11:00:00Z m\n"
     "2026-03-23T10:00:00Z/2026-03-23T11:00:00Z m\n"
     "2026-03-25T15:00:00Z/2026-03-25T16:00:00Z m\n"
     "2026-03-30T09:00:00Z/2026-03-30T10:00:00Z m",
     FALSE},
    /* THISANDFUTURE moving later instances earlier (by 43 hours): instances whose
     * original start lies after the window come into it. */
    {"override/thisandfuture-earlier", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:e\n"
     "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
     "RRULE:FREQ=DAILY;COUNT=10\nEND:VEVENT\n"
     "BEGIN:VEVENT\nUID:e\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:20260305T090000\n"
     "DTSTART;TZID=Europe/London:20260303T140000\nDTEND;TZID=Europe/London:20260303T150000\nEND:VEVENT\n",
     "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z e\n"
     "2026-03-03T09:00:00Z/2026-03-03T10:00:00Z e\n"
     "2026-03-03T14:00:00Z/2026-03-03T15:00:00Z e\n"
     "2026-03-04T09:00:00Z/2026-03-04T10:00:00Z e\n"
     "2026-03-04T14:00:00Z/2026-03-04T15:00:00Z e\n"
     "2026-03-05T14:00:00Z/2026-03-05T15:00:00Z e\n"
     "2026-03-06T14:00:00Z/2026-03-06T15:00:00Z e\n"
     "2026-03-07T14:00:00Z/2026-03-07T15:00:00Z e",
     FALSE},
    {"override/orphan", "Europe/London", "2026-03-01", "2026-03-08",
     "BEGIN:VEVENT\nUID:orphan\nRECURRENCE-ID;TZID=Europe/London:20260303T090000\n"
     "DTSTART;TZID=Europe/London:20260304T100000\nDTEND;TZID=Europe/London:20260304T110000\nEND:VEVENT\n",
     "2026-03-04T10:00:00Z/2026-03-04T11:00:00Z orphan", TRUE},
};

static void test_expand_case(gconstpointer data) {
  const ExpandCase *c = data;
  g_autoptr(TestDiary) t = test_diary(c->vevents, c->tz, c->from, c->to);
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, c->expected);
  for (guint i = 0; i < t->diags->len; i++) {
    const Diagnostic *d = g_ptr_array_index(t->diags, i);
    g_autofree char *text = diagnostic_format(d);
    if (d->severity == DIAG_ERROR || !c->warns)
      g_error("unexpected diagnostic: %s", text);
  }
}

/* ---- helpers ----------------------------------------------------------- */

static gint64 day_of(const char *date) {
  g_autofree char *s = g_strconcat(date, "T00:00:00Z", NULL);
  return test_instant(s) / 86400;
}

/* Like test_diary(), with owners and limits. */
static TestDiary *make_diary(const char *vevents, const char *tz, const char *from, const char *to,
                             const char *const *owners, guint max_instances, guint max_iterations) {
  TestDiary *t = g_new0(TestDiary, 1);
  t->zones = test_zones();
  Zone *zone = zones_resolve(t->zones, tz);
  g_assert_nonnull(zone);
  DiaryOptions opts = {zone, zone_to_instant(zone, day_of(from) * 86400), zone_to_instant(zone, day_of(to) * 86400),
                       owners, {max_instances, max_iterations}};
  t->diary = diary_new(&opts);
  g_autofree char *ics = test_calendar(vevents);
  g_autoptr(GPtrArray) series = test_parse(t->zones, ics, &t->diags);
  for (guint i = 0; i < series->len; i++)
    diary_add(t->diary, g_ptr_array_steal_index(series, i--), t->diags);
  return t;
}

static const Occurrence *occurrence_at(const Diary *diary, const char *start) {
  gint64 s = test_instant(start);
  for (guint i = 0; i < diary_n_occurrences(diary); i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    if (o->start == s)
      return o;
  }
  g_error("no occurrence starts at %s", start);
  return NULL;
}

/* The diagnostic of a severity for a UID whose message holds `needle`, or NULL. */
static const Diagnostic *find_diag(GPtrArray *diags, DiagSeverity severity, const char *uid, const char *needle) {
  for (guint i = 0; i < diags->len; i++) {
    const Diagnostic *d = g_ptr_array_index(diags, i);
    if (d->severity != severity)
      continue;
    if (uid && g_strcmp0(d->uid, uid) != 0)
      continue;
    if (needle && !strstr(d->message, needle))
      continue;
    return d;
  }
  return NULL;
}

static guint count_diags(GPtrArray *diags, DiagSeverity severity) {
  guint n = 0;
  for (guint i = 0; i < diags->len; i++)
    n += ((const Diagnostic *)g_ptr_array_index(diags, i))->severity == severity;
  return n;
}

/* ---- recurrence ids, overrides and the busy flag --------------------------- */

static void test_recurrence_ids(void) {
  g_autoptr(TestDiary) t = test_diary(
      "BEGIN:VEVENT\nUID:single\nDTSTART:20260302T080000Z\nDTEND:20260302T083000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:daily\n"
      "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
      "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:rdate-only\nDTSTART:20260302T120000Z\nRDATE:20260303T120000Z\nEND:VEVENT\n",
      "Europe/London", "2026-03-01", "2026-03-08");
  const Occurrence *o = occurrence_at(t->diary, "2026-03-02T08:00:00Z");
  g_assert_cmpstr(o->series->uid, ==, "single");
  g_assert_true(o->recurrence_id == APPT_NO_TIME);
  g_assert_false(o->all_day);

  o = occurrence_at(t->diary, "2026-03-02T09:00:00Z");
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-02T09:00:00Z"));
  o = occurrence_at(t->diary, "2026-03-04T09:00:00Z");
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-04T09:00:00Z"));
  g_assert_true(o->appt == o->series->master);

  /* RDATE makes a series recurring: DTSTART is its first instance. */
  o = occurrence_at(t->diary, "2026-03-02T12:00:00Z");
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-02T12:00:00Z"));
  o = occurrence_at(t->diary, "2026-03-03T12:00:00Z");
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-03T12:00:00Z"));
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 6);
}

static void test_moved_and_cancelled(void) {
  const ExpandCase *c = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(expand_cases); i++)
    if (strcmp(expand_cases[i].name, "override/moved-and-cancelled") == 0)
      c = &expand_cases[i];
  g_assert_nonnull(c);
  g_autoptr(TestDiary) t = test_diary(c->vevents, c->tz, c->from, c->to);

  const Occurrence *o = occurrence_at(t->diary, "2026-03-02T10:00:00Z");
  g_assert_true(o->appt == o->series->master);
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-02T10:00:00Z"));
  g_assert_true(diary_is_busy(t->diary, o));

  /* Moved: at its new time, with the original start as its id. */
  o = occurrence_at(t->diary, "2026-03-10T14:00:00Z");
  g_assert_true(o->appt->is_override);
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-09T10:00:00Z"));
  g_assert_true(diary_is_busy(t->diary, o));

  /* Cancelled: still an occurrence, but not busy. */
  o = occurrence_at(t->diary, "2026-03-16T10:00:00Z");
  g_assert_true(o->appt->is_override);
  g_assert_cmpint(o->appt->status, ==, STATUS_CANCELLED);
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-16T10:00:00Z"));
  g_assert_false(diary_is_busy(t->diary, o));

  o = occurrence_at(t->diary, "2026-03-23T10:00:00Z");
  g_assert_true(o->appt == o->series->master);
  g_assert_true(diary_is_busy(t->diary, o));

  /* RECURRENCE-ID written in UTC for a London series. */
  o = occurrence_at(t->diary, "2026-03-31T11:00:00Z");
  g_assert_true(o->appt->is_override);
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-30T09:00:00Z"));
}

static void test_thisandfuture_ids(void) {
  g_autoptr(TestDiary) t = test_diary(
      "BEGIN:VEVENT\nUID:t\nSUMMARY:Old\n"
      "DTSTART;TZID=Europe/London:20260302T090000\nDTEND;TZID=Europe/London:20260302T100000\n"
      "RRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:t\nSUMMARY:New\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/London:20260304T090000\n"
      "DTSTART;TZID=Europe/London:20260304T113000\nDTEND;TZID=Europe/London:20260304T120000\nEND:VEVENT\n",
      "Europe/London", "2026-03-01", "2026-03-08");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 5);
  static const char *const starts[] = {"2026-03-04T11:30:00Z", "2026-03-05T11:30:00Z", "2026-03-06T11:30:00Z"};
  static const char *const rids[] = {"2026-03-04T09:00:00Z", "2026-03-05T09:00:00Z", "2026-03-06T09:00:00Z"};
  for (gsize i = 0; i < G_N_ELEMENTS(starts); i++) {
    const Occurrence *o = occurrence_at(t->diary, starts[i]);
    g_assert_cmpstr(o->appt->summary, ==, "New");
    g_assert_cmpint(o->recurrence_id, ==, test_instant(rids[i]));
    g_assert_cmpint(o->end - o->start, ==, 1800);
  }
  const Occurrence *o = occurrence_at(t->diary, "2026-03-03T09:00:00Z");
  g_assert_cmpstr(o->appt->summary, ==, "Old");
}

/* `first` marks the earliest occurrence of each appointment in the window. */
static void test_first_flag(void) {
  g_autoptr(TestDiary) t = test_diary(
      "BEGIN:VEVENT\nUID:f\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
      "RRULE:FREQ=WEEKLY\nRDATE:20260304T090000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:f\nRECURRENCE-ID:20260316T090000Z\n"
      "DTSTART:20260316T150000Z\nDTEND:20260316T160000Z\nEND:VEVENT\n",
      "UTC", "2026-03-03", "2026-03-20");
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==,
                  "2026-03-04T09:00:00Z/2026-03-04T10:00:00Z f\n"
                  "2026-03-09T09:00:00Z/2026-03-09T10:00:00Z f\n"
                  "2026-03-16T15:00:00Z/2026-03-16T16:00:00Z f");
  g_assert_true(occurrence_at(t->diary, "2026-03-04T09:00:00Z")->first);
  g_assert_false(occurrence_at(t->diary, "2026-03-09T09:00:00Z")->first);
  g_assert_true(occurrence_at(t->diary, "2026-03-16T15:00:00Z")->first);
}

typedef struct {
  const char *uid;
  gboolean busy;
} BusyRow;

static void test_busy(void) {
  static const char *const owners[] = {"me@example.com", NULL};
  g_autoptr(TestDiary) t = make_diary(
      "BEGIN:VEVENT\nUID:opaque\nDTSTART:20260302T080000Z\nDTEND:20260302T090000Z\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:transparent\nTRANSP:TRANSPARENT\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
      "END:VEVENT\n"
      "BEGIN:VEVENT\nUID:explicit-opaque\nTRANSP:OPAQUE\nDTSTART:20260302T100000Z\nDTEND:20260302T110000Z\n"
      "END:VEVENT\n"
      "BEGIN:VEVENT\nUID:cancelled\nSTATUS:CANCELLED\nDTSTART:20260302T110000Z\nDTEND:20260302T120000Z\n"
      "END:VEVENT\n"
      "BEGIN:VEVENT\nUID:tentative\nSTATUS:TENTATIVE\nDTSTART:20260302T120000Z\nDTEND:20260302T130000Z\n"
      "END:VEVENT\n"
      "BEGIN:VEVENT\nUID:declined\nDTSTART:20260302T130000Z\nDTEND:20260302T140000Z\n"
      "ORGANIZER:mailto:boss@example.com\n"
      "ATTENDEE;PARTSTAT=DECLINED:mailto:Me@Example.com\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:accepted\nDTSTART:20260302T140000Z\nDTEND:20260302T150000Z\n"
      "ORGANIZER:mailto:boss@example.com\n"
      "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:other-declined\nDTSTART:20260302T150000Z\nDTEND:20260302T160000Z\n"
      "ORGANIZER:mailto:boss@example.com\n"
      "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\n"
      "ATTENDEE;PARTSTAT=DECLINED:mailto:someone@example.com\nEND:VEVENT\n",
      "UTC", "2026-03-02", "2026-03-03", owners, 0, 0);
  static const BusyRow rows[] = {{"opaque", TRUE},     {"transparent", FALSE}, {"explicit-opaque", TRUE},
                                 {"cancelled", FALSE}, {"tentative", TRUE},    {"declined", FALSE},
                                 {"accepted", TRUE},   {"other-declined", TRUE}};
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, G_N_ELEMENTS(rows));
  for (gsize r = 0; r < G_N_ELEMENTS(rows); r++) {
    const Occurrence *o = NULL;
    for (guint i = 0; i < diary_n_occurrences(t->diary); i++)
      if (strcmp(diary_occurrence(t->diary, i)->series->uid, rows[r].uid) == 0)
        o = diary_occurrence(t->diary, i);
    g_assert_nonnull(o);
    if (diary_is_busy(t->diary, o) != rows[r].busy)
      g_error("%s: diary_is_busy() should be %s", rows[r].uid, rows[r].busy ? "TRUE" : "FALSE");
  }
}

/* A cancelled instance of a recurring series is free time; the others are busy. */
static void test_busy_recurring(void) {
  g_autoptr(TestDiary) t = test_diary(
      "BEGIN:VEVENT\nUID:s\nDTSTART;TZID=America/New_York:20260302T090000\n"
      "DTEND;TZID=America/New_York:20260302T100000\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:s\nRECURRENCE-ID;TZID=America/New_York:20260303T090000\nSTATUS:CANCELLED\n"
      "DTSTART;TZID=America/New_York:20260303T090000\nDTEND;TZID=America/New_York:20260303T100000\nEND:VEVENT\n",
      "America/New_York", "2026-03-01", "2026-03-08");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 3);
  g_assert_true(diary_is_busy(t->diary, occurrence_at(t->diary, "2026-03-02T14:00:00Z")));
  g_assert_false(diary_is_busy(t->diary, occurrence_at(t->diary, "2026-03-03T14:00:00Z")));
  g_assert_true(diary_is_busy(t->diary, occurrence_at(t->diary, "2026-03-04T14:00:00Z")));
}

/* series_expand() appends to `out` and returns how many it appended. */
static void test_series_expand_appends(void) {
  g_autoptr(Zones) zones = test_zones();
  g_autofree char *ics = test_calendar("BEGIN:VEVENT\nUID:a\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
                                       "RRULE:FREQ=DAILY;COUNT=10\nEND:VEVENT\n");
  g_autoptr(GPtrArray) series = test_parse(zones, ics, NULL);
  g_assert_cmpuint(series->len, ==, 1);
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(Occurrence));
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  const Series *s = g_ptr_array_index(series, 0);
  guint n = series_expand(s, test_instant("2026-03-03T00:00:00Z"), test_instant("2026-03-06T00:00:00Z"),
                          zones_utc(zones), NULL, out, diags);
  g_assert_cmpuint(n, ==, 3);
  n = series_expand(s, test_instant("2026-03-10T00:00:00Z"), test_instant("2026-03-20T00:00:00Z"),
                    zones_utc(zones), NULL, out, diags);
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpuint(out->len, ==, 5);
  g_assert_cmpint(g_array_index(out, Occurrence, 0).start, ==, test_instant("2026-03-03T09:00:00Z"));
  g_assert_cmpint(g_array_index(out, Occurrence, 4).start, ==, test_instant("2026-03-11T09:00:00Z"));
  g_assert_cmpuint(diags->len, ==, 0);
}

/* ---- pathological rules: capped with a warning, never hang ------------------
 * Each runs in a child process with a time limit, so a hang fails the test
 * instead of stopping the suite. */

#define PATHOLOGICAL_TIMEOUT (20 * G_USEC_PER_SEC)

static gboolean in_child(void) {
  if (g_test_subprocess())
    return TRUE;
  g_test_trap_subprocess(NULL, PATHOLOGICAL_TIMEOUT, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed();
  return FALSE;
}

static void test_secondly_default_cap(void) {
  if (!in_child())
    return;
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:sec\nDTSTART:20260302T000000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-03");
  guint n = diary_n_occurrences(t->diary);
  g_assert_cmpuint(n, >, 0);
  g_assert_cmpuint(n, <=, EXPAND_DEFAULT_MAX_INSTANCES);
  g_autofree char *limit = g_strdup_printf("%u", EXPAND_DEFAULT_MAX_INSTANCES);
  g_assert_nonnull(find_diag(t->diags, DIAG_WARNING, "sec", limit));
  g_assert_cmpint(diary_occurrence(t->diary, 0)->start, ==, test_instant("2026-03-02T00:00:00Z"));
}

static void test_secondly_small_cap(void) {
  if (!in_child())
    return;
  g_autoptr(TestDiary) t = make_diary("BEGIN:VEVENT\nUID:sec\nDTSTART:20260302T000000Z\nRRULE:FREQ=SECONDLY\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-03", NULL, 100, 0);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 100);
  g_assert_nonnull(find_diag(t->diags, DIAG_WARNING, "sec", "100"));
  g_assert_cmpint(diary_occurrence(t->diary, 0)->start, ==, test_instant("2026-03-02T00:00:00Z"));
  g_assert_cmpint(diary_occurrence(t->diary, 99)->start, ==, test_instant("2026-03-02T00:01:39Z"));
}

static void test_huge_count(void) {
  if (!in_child())
    return;
  g_autoptr(GTimer) timer = g_timer_new();
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:many\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
                                      "RRULE:FREQ=DAILY;COUNT=10000000\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-09");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 7);
  g_assert_cmpint(diary_occurrence(t->diary, 6)->start, ==, test_instant("2026-03-08T09:00:00Z"));
  g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, 5.0);
}

static void test_huge_count_old_start(void) {
  if (!in_child())
    return;
  g_autoptr(GTimer) timer = g_timer_new();
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:many\nDTSTART:20000101T090000Z\nDTEND:20000101T100000Z\n"
                                      "RRULE:FREQ=DAILY;COUNT=10000000\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-09");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 7);
  g_assert_cmpint(diary_occurrence(t->diary, 0)->start, ==, test_instant("2026-03-02T09:00:00Z"));
  g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, 5.0);
}

typedef struct {
  const char *name;
  const char *rule;
} ImpossibleCase;

static const ImpossibleCase impossible_cases[] = {
    {"minutely-feb-30", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30"},
    {"secondly-feb-31", "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31"},
    {"daily-april-31", "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31"},
    {"yearly-feb-30", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
};

/* A rule that can never match: no occurrence in the window (DTSTART lies
 * before it), a warning, and a prompt return. */
static void test_impossible_rule(gconstpointer data) {
  if (!in_child())
    return;
  const ImpossibleCase *c = data;
  g_autofree char *vevents = g_strdup_printf("BEGIN:VEVENT\nUID:never\n"
                                             "DTSTART;TZID=Europe/London:20260101T090000\n"
                                             "RRULE:%s\nEND:VEVENT\n",
                                             c->rule);
  g_autoptr(GTimer) timer = g_timer_new();
  g_autoptr(TestDiary) t = test_diary(vevents, "Europe/London", "2026-03-01", "2026-03-08");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 0);
  g_assert_nonnull(find_diag(t->diags, DIAG_WARNING, "never", NULL));
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 0);
  g_assert_cmpfloat(g_timer_elapsed(timer, NULL), <, 5.0);
}

/* Iterations are capped too, in or out of the window. */
static void test_iteration_cap(void) {
  if (!in_child())
    return;
  g_autoptr(TestDiary) t = make_diary("BEGIN:VEVENT\nUID:long\nDTSTART:20250101T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-09", NULL, 0, 100);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 0);
  g_assert_nonnull(find_diag(t->diags, DIAG_WARNING, "long", "100"));
}

/* ---- parse diagnostics -------------------------------------------------------- */

/* test_calendar() puts three lines before the first VEVENT: it starts on line 4. */
static void test_diag_missing_dtstart(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:ok\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nEND:VEVENT\n"
                                      "BEGIN:VEVENT\nUID:nostart\nSUMMARY:No start\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-03");
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-03-02T09:00:00Z/2026-03-02T10:00:00Z ok");
  const Diagnostic *d = find_diag(t->diags, DIAG_ERROR, "nostart", "DTSTART");
  g_assert_nonnull(d);
  g_assert_cmpint(d->line, ==, 9);
  g_assert_cmpstr(d->source, ==, "test.ics");
  g_autofree char *text = diagnostic_format(d);
  g_assert_true(g_str_has_prefix(text, "test.ics:9: "));
  g_assert_nonnull(strstr(text, "nostart"));
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 1);
}

static void test_diag_unknown_tzid(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:mars\n"
                                      "DTSTART;TZID=Mars/Olympus_Mons:20260302T090000\n"
                                      "DTEND;TZID=Mars/Olympus_Mons:20260302T100000\nEND:VEVENT\n",
                                      "Europe/Berlin", "2026-03-02", "2026-03-03");
  /* Read as floating, so in the diary's zone (CET). */
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-03-02T08:00:00Z/2026-03-02T09:00:00Z mars");
  const Diagnostic *d = find_diag(t->diags, DIAG_WARNING, "mars", "Mars/Olympus_Mons");
  g_assert_nonnull(d);
  g_assert_cmpint(d->line, ==, 4);
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 0);
}

static void test_diag_dtend_before_dtstart(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:back\nDTSTART:20260302T100000Z\nDTEND:20260302T090000Z\n"
                                      "END:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-03");
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-03-02T10:00:00Z/2026-03-02T10:00:00Z back");
  const Diagnostic *d = find_diag(t->diags, DIAG_WARNING, "back", NULL);
  g_assert_nonnull(d);
  g_assert_cmpint(d->line, ==, 4);
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 0);
}

static void test_diag_duplicate_uid(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:dup\nSEQUENCE:1\nDTSTART:20260302T090000Z\n"
                                      "DTEND:20260302T100000Z\nEND:VEVENT\n"
                                      "BEGIN:VEVENT\nUID:dup\nSEQUENCE:2\nDTSTART:20260302T140000Z\n"
                                      "DTEND:20260302T150000Z\nEND:VEVENT\n",
                                      "UTC", "2026-03-02", "2026-03-03");
  /* One event, the later revision. */
  g_autofree char *lines = test_occurrence_lines(t->diary);
  g_assert_cmpstr(lines, ==, "2026-03-02T14:00:00Z/2026-03-02T15:00:00Z dup");
  g_assert_nonnull(find_diag(t->diags, DIAG_WARNING, "dup", NULL));
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 0);
}

static void test_diag_orphan_override(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:other\nDTSTART:20260302T080000Z\nEND:VEVENT\n"
                                      "BEGIN:VEVENT\nUID:orphan\nRECURRENCE-ID;TZID=Europe/London:20260303T090000\n"
                                      "DTSTART;TZID=Europe/London:20260304T100000\n"
                                      "DTEND;TZID=Europe/London:20260304T110000\nEND:VEVENT\n",
                                      "Europe/London", "2026-03-01", "2026-03-08");
  const Occurrence *o = occurrence_at(t->diary, "2026-03-04T10:00:00Z");
  g_assert_cmpstr(o->series->uid, ==, "orphan");
  g_assert_null(o->series->master);
  g_assert_cmpint(o->recurrence_id, ==, test_instant("2026-03-03T09:00:00Z"));
  g_assert_true(diary_is_busy(t->diary, o));
  const Diagnostic *d = find_diag(t->diags, DIAG_WARNING, "orphan", NULL);
  g_assert_nonnull(d);
  g_assert_cmpint(d->line, ==, 8);
  g_assert_cmpuint(count_diags(t->diags, DIAG_ERROR), ==, 0);
}

/* Well-formed calendars in every zone form draw no diagnostics at all. */
static void test_no_diags_for_known_zones(void) {
  g_autoptr(TestDiary) t = test_diary(
      "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Asia/Kolkata:20260302T100000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:b\nDTSTART;TZID=W. Europe Standard Time:20260302T100000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:c\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260302T100000\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:d\nDTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/America/New_York:20260302T100000\n"
      "END:VEVENT\n",
      "UTC", "2026-03-02", "2026-03-03");
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 4);
  for (guint i = 0; i < t->diags->len; i++) {
    g_autofree char *text = diagnostic_format(g_ptr_array_index(t->diags, i));
    g_error("unexpected diagnostic: %s", text);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(expand_cases); i++) {
    g_autofree char *path = g_strdup_printf("/expand/table/%s", expand_cases[i].name);
    g_test_add_data_func(path, &expand_cases[i], test_expand_case);
  }
  g_test_add_func("/expand/recurrence-ids", test_recurrence_ids);
  g_test_add_func("/expand/override/moved-and-cancelled-details", test_moved_and_cancelled);
  g_test_add_func("/expand/override/thisandfuture-details", test_thisandfuture_ids);
  g_test_add_func("/expand/first-flag", test_first_flag);
  g_test_add_func("/expand/busy/flags", test_busy);
  g_test_add_func("/expand/busy/cancelled-instance", test_busy_recurring);
  g_test_add_func("/expand/series-expand-appends", test_series_expand_appends);
  g_test_add_func("/expand/cap/secondly-default-limits", test_secondly_default_cap);
  g_test_add_func("/expand/cap/secondly-small-limits", test_secondly_small_cap);
  g_test_add_func("/expand/cap/count-10000000", test_huge_count);
  g_test_add_func("/expand/cap/count-10000000-old-start", test_huge_count_old_start);
  for (gsize i = 0; i < G_N_ELEMENTS(impossible_cases); i++) {
    g_autofree char *path = g_strdup_printf("/expand/cap/never-matches/%s", impossible_cases[i].name);
    g_test_add_data_func(path, &impossible_cases[i], test_impossible_rule);
  }
  g_test_add_func("/expand/cap/iterations", test_iteration_cap);
  g_test_add_func("/expand/diag/missing-dtstart", test_diag_missing_dtstart);
  g_test_add_func("/expand/diag/unknown-tzid", test_diag_unknown_tzid);
  g_test_add_func("/expand/diag/dtend-before-dtstart", test_diag_dtend_before_dtstart);
  g_test_add_func("/expand/diag/duplicate-uid", test_diag_duplicate_uid);
  g_test_add_func("/expand/diag/orphan-override", test_diag_orphan_override);
  g_test_add_func("/expand/diag/none-for-known-zones", test_no_diags_for_known_zones);
  return g_test_run();
}
