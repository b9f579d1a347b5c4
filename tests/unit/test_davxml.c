/* Unit tests for core/davxml.c: multistatus bodies as servers really send
 * them (RFC examples, Radicale, Nextcloud/sabre, Google), hostile bodies
 * (entity expansion, external entities, bad XML), the same bodies streamed
 * in every kind of piece, DAV:error bodies, the DAV header, and the request
 * bodies read back with libxml2. */
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#include "davxml.h"
#include "testutil.h"

#define MAX_LEN (1024 * 1024)

/* ---- multistatus: what must come out ------------------------------------------ */

typedef struct {
  const char *href;
  int status;
  const char *etag;
  const char *data;
  const char *displayname;
  const char *color;
  const char *ctag;
  const char *sync_token;
  const char *principal;
  const char *home; /* calendar-home-set hrefs joined by " | ", NULL for none */
  gboolean collection, calendar, sync_collection;
  guint comps;
} Want;

typedef struct {
  const char *name;
  const char *body;
  const char *sync_token;
  gboolean truncated;
  guint n;
  Want r[6];
} MsRow;

/* ---- multistatus: the bodies --------------------------------------------------- */

#define ICS_ABCD1                                                                                                 \
  "BEGIN:VCALENDAR\n"                                                                                            \
  "VERSION:2.0\n"                                                                                                \
  "PRODID:-//Example Corp.//CalDAV Client//EN\n"                                                                 \
  "BEGIN:VTIMEZONE\n"                                                                                            \
  "TZID:US/Eastern\n"                                                                                            \
  "BEGIN:STANDARD\n"                                                                                             \
  "DTSTART:20001026T020000\n"                                                                                    \
  "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\n"                                                                    \
  "TZNAME:EST\n"                                                                                                 \
  "TZOFFSETFROM:-0400\n"                                                                                         \
  "TZOFFSETTO:-0500\n"                                                                                           \
  "END:STANDARD\n"                                                                                               \
  "END:VTIMEZONE\n"                                                                                              \
  "BEGIN:VEVENT\n"                                                                                               \
  "DTSTAMP:20060206T001102Z\n"                                                                                   \
  "DTSTART;TZID=US/Eastern:20060102T100000\n"                                                                    \
  "DURATION:PT1H\n"                                                                                              \
  "SUMMARY:Event #1\n"                                                                                           \
  "Description:Go Steelers!\n"                                                                                   \
  "UID:74855313FA803DA593CD579A@example.com\n"                                                                   \
  "END:VEVENT\n"                                                                                                 \
  "END:VCALENDAR\n"

/* The same event with "R&D" and "<agenda>" in it: escaped in XML, plain after. */
#define ICS_ABCD2_XML                                                                                             \
  "BEGIN:VCALENDAR\n"                                                                                            \
  "VERSION:2.0\n"                                                                                                \
  "PRODID:-//Example Corp.//CalDAV Client//EN\n"                                                                 \
  "BEGIN:VEVENT\n"                                                                                               \
  "DTSTAMP:20060206T001121Z\n"                                                                                   \
  "DTSTART:20060102T170000Z\n"                                                                                   \
  "DURATION:PT1H\n"                                                                                              \
  "RRULE:FREQ=DAILY;COUNT=5\n"                                                                                   \
  "SUMMARY:R&amp;D review\n"                                                                                     \
  "DESCRIPTION:Bring &lt;agenda&gt;\n"                                                                           \
  "UID:00959BC664CA650E933C892C@example.com\n"                                                                   \
  "END:VEVENT\n"                                                                                                 \
  "END:VCALENDAR\n"
#define ICS_ABCD2                                                                                                 \
  "BEGIN:VCALENDAR\n"                                                                                            \
  "VERSION:2.0\n"                                                                                                \
  "PRODID:-//Example Corp.//CalDAV Client//EN\n"                                                                 \
  "BEGIN:VEVENT\n"                                                                                               \
  "DTSTAMP:20060206T001121Z\n"                                                                                   \
  "DTSTART:20060102T170000Z\n"                                                                                   \
  "DURATION:PT1H\n"                                                                                              \
  "RRULE:FREQ=DAILY;COUNT=5\n"                                                                                   \
  "SUMMARY:R&D review\n"                                                                                         \
  "DESCRIPTION:Bring <agenda>\n"                                                                                 \
  "UID:00959BC664CA650E933C892C@example.com\n"                                                                   \
  "END:VEVENT\n"                                                                                                 \
  "END:VCALENDAR\n"

#define ICS_SHORT "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x@example.com\nEND:VEVENT\nEND:VCALENDAR\n"
#define ICS_CRLF                                                                                                  \
  "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:crlf@example.com\r\nSUMMARY:Line ends\r\n"             \
  "END:VEVENT\r\nEND:VCALENDAR\r\n"
/* CR as a character reference, as libxml2's and sabre's writers send it. */
#define ICS_CRLF_XML                                                                                              \
  "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:crlf@example.com&#13;\nSUMMARY:Line ends&#13;\n" \
  "END:VEVENT&#13;\nEND:VCALENDAR&#13;\n"

/* RFC 4791 §7.8: a calendar-query answered with etags and calendar data. */
static const char rfc4791_query[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
    "<D:multistatus xmlns:D=\"DAV:\"\n"
    "               xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
    "  <D:response>\n"
    "    <D:href>http://cal.example.com/bernard/work/abcd1.ics</D:href>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <D:getetag>\"fffff-abcd1\"</D:getetag>\n"
    "        <C:calendar-data>" ICS_ABCD1 "</C:calendar-data>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
    "    </D:propstat>\n"
    "  </D:response>\n"
    "  <D:response>\n"
    "    <D:href>http://cal.example.com/bernard/work/abcd2.ics</D:href>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <D:getetag>\"fffff-abcd2\"</D:getetag>\n"
    "        <C:calendar-data>" ICS_ABCD2_XML "</C:calendar-data>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
    "    </D:propstat>\n"
    "  </D:response>\n"
    "</D:multistatus>\n";

/* RFC 4791 §7.9: a calendar-multiget where one href no longer exists. */
static const char rfc4791_multiget[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
    "<D:multistatus xmlns:D=\"DAV:\"\n"
    "               xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
    "  <D:response>\n"
    "    <D:href>http://cal.example.com/bernard/work/abcd1.ics</D:href>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <D:getetag>\"fffff-abcd1\"</D:getetag>\n"
    "        <C:calendar-data>" ICS_ABCD1 "</C:calendar-data>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
    "    </D:propstat>\n"
    "  </D:response>\n"
    "  <D:response>\n"
    "    <D:href>http://cal.example.com/bernard/work/mtg1.ics</D:href>\n"
    "    <D:status>HTTP/1.1 404 Not Found</D:status>\n"
    "  </D:response>\n"
    "</D:multistatus>\n";

/* RFC 6578 §3.8: changes since a token; a removed member is a bare 404. */
static const char rfc6578_sync[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
    "<D:multistatus xmlns:D=\"DAV:\">\n"
    "  <D:response>\n"
    "    <D:href\n"
    ">http://webdav.example.com/home/cal/test.ics</D:href>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <D:getetag>\"00001-abcd1\"</D:getetag>\n"
    "        <R:bigbox xmlns:R=\"urn:ns.example.com:boxschema\">\n"
    "          <R:BoxType>Box type A</R:BoxType>\n"
    "        </R:bigbox>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
    "    </D:propstat>\n"
    "  </D:response>\n"
    "  <D:response>\n"
    "    <D:href\n"
    ">http://webdav.example.com/home/cal/other.ics</D:href>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <D:getetag>\"00002-abcd1\"</D:getetag>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status>\n"
    "    </D:propstat>\n"
    "    <D:propstat>\n"
    "      <D:prop>\n"
    "        <R:bigbox xmlns:R=\"urn:ns.example.com:boxschema\"/>\n"
    "      </D:prop>\n"
    "      <D:status>HTTP/1.1 404 Not Found</D:status>\n"
    "    </D:propstat>\n"
    "  </D:response>\n"
    "  <D:response>\n"
    "    <D:href\n"
    ">http://webdav.example.com/home/cal/removed.ics</D:href>\n"
    "    <D:status>HTTP/1.1 404 Not Found</D:status>\n"
    "  </D:response>\n"
    "  <D:sync-token>http://example.com/ns/sync/1234</D:sync-token>\n"
    "</D:multistatus>\n";

/* RFC 6578 §3.6: the server stopped early; the 507 names the request URI. */
static const char truncated_507[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
    "<D:multistatus xmlns:D=\"DAV:\">\n"
    "  <D:response>\n"
    "    <D:href>/home/cal/a.ics</D:href>\n"
    "    <D:propstat><D:prop><D:getetag>\"1\"</D:getetag></D:prop>\n"
    "      <D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n"
    "  </D:response>\n"
    "  <D:response>\n"
    "    <D:href>/home/cal/</D:href>\n"
    "    <D:status>HTTP/1.1 507 Insufficient Storage</D:status>\n"
    "    <D:error><D:number-of-matches-within-limits/></D:error>\n"
    "  </D:response>\n"
    "  <D:sync-token>http://example.com/ns/sync/1233</D:sync-token>\n"
    "</D:multistatus>\n";

/* Radicale 3: upper-case prefixes, spaces before "/>", quoted ctag. */
static const char radicale_calendars[] =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<D:multistatus xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:CS=\"http://calendarserver.org/ns/\" "
    "xmlns:D=\"DAV:\" xmlns:ICAL=\"http://apple.com/ns/ical/\">"
    "<D:response><D:href>/alice/</D:href>"
    "<D:propstat><D:prop><D:resourcetype><D:principal /><D:collection /></D:resourcetype></D:prop>"
    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    "<D:propstat><D:prop><D:displayname /><ICAL:calendar-color /><CS:getctag /><D:sync-token />"
    "<C:supported-calendar-component-set /></D:prop>"
    "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>"
    "<D:response><D:href>/alice/7f3b1c2a-work/</D:href>"
    "<D:propstat><D:prop>"
    "<D:resourcetype><C:calendar /><D:collection /></D:resourcetype>"
    "<D:displayname>Work</D:displayname>"
    "<ICAL:calendar-color>#ff0000ff</ICAL:calendar-color>"
    "<CS:getctag>\"5c3a0b0e1b2f4d8a\"</CS:getctag>"
    "<D:sync-token>http://radicale.org/ns/sync/5c3a0b0e1b2f4d8a</D:sync-token>"
    "<C:supported-calendar-component-set><C:comp name=\"VEVENT\" /><C:comp name=\"VJOURNAL\" />"
    "<C:comp name=\"VTODO\" /></C:supported-calendar-component-set>"
    "<D:supported-report-set>"
    "<D:supported-report><D:report><D:expand-property /></D:report></D:supported-report>"
    "<D:supported-report><D:report><D:principal-search-property-set /></D:report></D:supported-report>"
    "<D:supported-report><D:report><D:principal-property-search /></D:report></D:supported-report>"
    "<D:supported-report><D:report><D:sync-collection /></D:report></D:supported-report>"
    "<D:supported-report><D:report><C:calendar-multiget /></D:report></D:supported-report>"
    "<D:supported-report><D:report><C:calendar-query /></D:report></D:supported-report>"
    "</D:supported-report-set>"
    "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
    "</D:multistatus>";

/* Nextcloud (sabre/dav): lower-case prefixes, the Apple namespace declared
 * where it is used, a task list and the scheduling inbox next to calendars. */
static const char nextcloud_calendars[] =
    "<?xml version=\"1.0\"?>\n"
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" "
    "xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\" "
    "xmlns:oc=\"http://owncloud.org/ns\" xmlns:nc=\"http://nextcloud.org/ns\">"
    "<d:response><d:href>/remote.php/dav/calendars/alice/</d:href>"
    "<d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop>"
    "<d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
    "<d:propstat><d:prop><d:displayname/><x1:calendar-color xmlns:x1=\"http://apple.com/ns/ical/\"/>"
    "<cs:getctag/><d:sync-token/><cal:supported-calendar-component-set/></d:prop>"
    "<d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response>"
    "<d:response><d:href>/remote.php/dav/calendars/alice/personal/</d:href>"
    "<d:propstat><d:prop>"
    "<d:displayname>Personal</d:displayname>"
    "<d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>"
    "<x1:calendar-color xmlns:x1=\"http://apple.com/ns/ical/\">#0082c9</x1:calendar-color>"
    "<cs:getctag>http://sabre.io/ns/sync/42</cs:getctag>"
    "<d:sync-token>http://sabre.io/ns/sync/42</d:sync-token>"
    "<cal:supported-calendar-component-set><cal:comp name=\"VEVENT\"/></cal:supported-calendar-component-set>"
    "<d:supported-report-set>"
    "<d:supported-report><d:report><d:expand-property/></d:report></d:supported-report>"
    "<d:supported-report><d:report><d:principal-match/></d:report></d:supported-report>"
    "<d:supported-report><d:report><d:principal-property-search/></d:report></d:supported-report>"
    "<d:supported-report><d:report><d:principal-search-property-set/></d:report></d:supported-report>"
    "<d:supported-report><d:report><oc:filter-comments/></d:report></d:supported-report>"
    "<d:supported-report><d:report><cal:calendar-multiget/></d:report></d:supported-report>"
    "<d:supported-report><d:report><cal:calendar-query/></d:report></d:supported-report>"
    "<d:supported-report><d:report><cal:free-busy-query/></d:report></d:supported-report>"
    "<d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report>"
    "</d:supported-report-set>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>/remote.php/dav/calendars/alice/tasks/</d:href>"
    "<d:propstat><d:prop>"
    "<d:displayname>Tasks</d:displayname>"
    "<d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>"
    "<x1:calendar-color xmlns:x1=\"http://apple.com/ns/ical/\">#795AAB</x1:calendar-color>"
    "<cs:getctag>http://sabre.io/ns/sync/7</cs:getctag>"
    "<d:sync-token>http://sabre.io/ns/sync/7</d:sync-token>"
    "<cal:supported-calendar-component-set><cal:comp name=\"VTODO\"/></cal:supported-calendar-component-set>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>/remote.php/dav/calendars/alice/inbox/</d:href>"
    "<d:propstat><d:prop><d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype></d:prop>"
    "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "</d:multistatus>\n";

/* Nextcloud's answer to a sync-collection: etags quoted as &quot;. */
static const char nextcloud_sync[] =
    "<?xml version=\"1.0\"?>\n"
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" "
    "xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\" "
    "xmlns:oc=\"http://owncloud.org/ns\" xmlns:nc=\"http://nextcloud.org/ns\">"
    "<d:response><d:href>/remote.php/dav/calendars/alice/personal/5F1C8A2E.ics</d:href>"
    "<d:propstat><d:prop><d:getetag>&quot;5f1c8a2e9b0d1c3e4f5a6b7c8d9e0f1a&quot;</d:getetag></d:prop>"
    "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>/remote.php/dav/calendars/alice/personal/gone.ics</d:href>"
    "<d:status>HTTP/1.1 404 Not Found</d:status></d:response>"
    "<d:sync-token>http://sabre.io/ns/sync/43</d:sync-token>"
    "</d:multistatus>\n";

/* Google: every element declares its own default namespace; status first. */
static const char google_principal[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<multistatus xmlns=\"DAV:\"><response xmlns=\"DAV:\">"
    "<href xmlns=\"DAV:\">/caldav/v2/alice%40gmail.com/user/</href>"
    "<propstat xmlns=\"DAV:\"><status xmlns=\"DAV:\">HTTP/1.1 200 OK</status>"
    "<prop xmlns=\"DAV:\">"
    "<current-user-principal xmlns=\"DAV:\"><href xmlns=\"DAV:\">/caldav/v2/alice%40gmail.com/user</href>"
    "</current-user-principal>"
    "<resourcetype xmlns=\"DAV:\"><collection xmlns=\"DAV:\"/><principal xmlns=\"DAV:\"/></resourcetype>"
    "<calendar-home-set xmlns=\"urn:ietf:params:xml:ns:caldav\">"
    "<href xmlns=\"DAV:\">/caldav/v2/alice%40gmail.com/</href></calendar-home-set>"
    "</prop></propstat></response></multistatus>";

/* Xandikos 0.2.8 lists its reports without the DAV:report wrapper. */
static const char xandikos_calendar[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<ns0:multistatus xmlns:ns0=\"DAV:\"><ns0:response><ns0:href>/user/calendars/calendar/</ns0:href>"
    "<ns0:propstat><ns0:status>HTTP/1.1 200 OK</ns0:status><ns0:prop>"
    "<ns0:resourcetype><ns0:collection/><ns1:calendar xmlns:ns1=\"urn:ietf:params:xml:ns:caldav\"/></ns0:resourcetype>"
    "<ns0:supported-report-set><ns0:supported-report><ns0:expand-property/></ns0:supported-report>"
    "<ns0:supported-report><ns0:sync-collection/></ns0:supported-report></ns0:supported-report-set>"
    "</ns0:prop></ns0:propstat></ns0:response></ns0:multistatus>";

static const char google_calendars[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<multistatus xmlns=\"DAV:\">"
    "<response xmlns=\"DAV:\"><href xmlns=\"DAV:\">/caldav/v2/alice%40gmail.com/events/</href>"
    "<propstat xmlns=\"DAV:\"><status xmlns=\"DAV:\">HTTP/1.1 200 OK</status><prop xmlns=\"DAV:\">"
    "<displayname xmlns=\"DAV:\">alice@gmail.com</displayname>"
    "<resourcetype xmlns=\"DAV:\"><collection xmlns=\"DAV:\"/>"
    "<calendar xmlns=\"urn:ietf:params:xml:ns:caldav\"/></resourcetype>"
    "<calendar-color xmlns=\"http://apple.com/ns/ical/\">#9FE1E7FF</calendar-color>"
    "<getctag xmlns=\"http://calendarserver.org/ns/\">63912345678</getctag>"
    "<supported-calendar-component-set xmlns=\"urn:ietf:params:xml:ns:caldav\">"
    "<comp xmlns=\"urn:ietf:params:xml:ns:caldav\" name=\"VEVENT\"/></supported-calendar-component-set>"
    "<supported-report-set xmlns=\"DAV:\"><supported-report xmlns=\"DAV:\"><report xmlns=\"DAV:\">"
    "<sync-collection xmlns=\"DAV:\"/></report></supported-report></supported-report-set>"
    "</prop></propstat>"
    "<propstat xmlns=\"DAV:\"><status xmlns=\"DAV:\">HTTP/1.1 404 Not Found</status><prop xmlns=\"DAV:\">"
    "<sync-token xmlns=\"DAV:\"/></prop></propstat></response>"
    "</multistatus>";

/* Principal discovery on a server with two calendar homes, and one that has
 * not logged us in. */
static const char principal_homes[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
    " <D:response>\n"
    "  <D:href>/principals/users/alice/</D:href>\n"
    "  <D:propstat>\n"
    "   <D:prop>\n"
    "    <C:calendar-home-set>\n"
    "     <D:href>https://p42-caldav.icloud.com:443/123456/calendars/</D:href>\n"
    "     <D:href> /shared/alice/ </D:href>\n"
    "    </C:calendar-home-set>\n"
    "   </D:prop>\n"
    "   <D:status>HTTP/1.1 200 OK</D:status>\n"
    "  </D:propstat>\n"
    " </D:response>\n"
    " <D:response>\n"
    "  <D:href>/</D:href>\n"
    "  <D:propstat>\n"
    "   <D:prop><D:current-user-principal><D:unauthenticated/></D:current-user-principal></D:prop>\n"
    "   <D:status>HTTP/1.1 200 OK</D:status>\n"
    "  </D:propstat>\n"
    " </D:response>\n"
    "</D:multistatus>\n";

/* Values in a 404 propstat are what the server does not have: never read. */
static const char ignored_404[] =
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
    "xmlns:CS=\"http://calendarserver.org/ns/\">"
    "<D:response><D:href>/cal/x/</D:href>"
    "<D:propstat><D:prop><D:displayname>ghost</D:displayname><CS:getctag>ghost-ctag</CS:getctag>"
    "<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>"
    "<C:calendar-data>BEGIN:VCALENDAR</C:calendar-data>"
    "<C:supported-calendar-component-set><C:comp name=\"VEVENT\"/></C:supported-calendar-component-set>"
    "</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
    "<D:propstat><D:prop><D:getetag>\"real\"</D:getetag></D:prop>"
    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    "<D:propstat><D:prop><D:sync-token>forbidden</D:sync-token></D:prop>"
    "<D:status>HTTP/1.1 403 Forbidden</D:status></D:propstat>"
    "<D:propstat><D:prop><D:displayname>no status</D:displayname></D:prop></D:propstat>"
    "</D:response></D:multistatus>";

static const char cdata_data[] =
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">"
    "<d:response><d:href>/cal/cdata.ics</d:href><d:propstat><d:prop>"
    "<d:getetag>\"c1\"</d:getetag>"
    "<cal:calendar-data><![CDATA[" ICS_SHORT "]]></cal:calendar-data>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "<d:response><d:href>/cal/mixed.ics</d:href><d:propstat><d:prop>"
    "<cal:calendar-data>BEGIN:VCALENDAR\n<![CDATA[SUMMARY:a <b> & c\n]]>END:VCALENDAR\n</cal:calendar-data>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "</d:multistatus>";

static const char crlf_ref_data[] =
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">"
    "<d:response><d:href>/cal/crlf.ics</d:href><d:propstat><d:prop>"
    "<cal:calendar-data>" ICS_CRLF_XML "</cal:calendar-data>"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
    "</d:multistatus>";

/* Raw CR LF in the body: XML 1.0 §2.11 makes every parser read it as LF. */
static const char crlf_raw_data[] =
    "<d:multistatus xmlns:d=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">\r\n"
    "<d:response><d:href>/cal/crlf.ics</d:href><d:propstat><d:prop>\r\n"
    "<cal:calendar-data>  " ICS_CRLF "  </cal:calendar-data>\r\n"
    "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\r\n"
    "</d:multistatus>\r\n";

static const char odd_shapes[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<!-- a comment before the root -->\n"
    "<?server-info build=\"1\"?>\n"
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:X=\"urn:other\">\n"
    /* & in an href, white space around it */
    "<D:response><D:href>\n  /cal/Team%20A&amp;B/meeting.ics  \n</D:href>"
    "<D:propstat><D:prop><D:getetag>  W/\"weak\"  </D:getetag></D:prop>"
    "<D:status>HTTP/1.1 200</D:status></D:propstat></D:response>\n"
    /* no DAV:href (an href in another namespace does not count): skipped */
    "<D:response><X:href>/cal/no-href.ics</X:href><D:status>HTTP/1.1 200 OK</D:status></D:response>\n"
    "<D:response><D:status>HTTP/1.1 200 OK</D:status></D:response>\n"
    "<D:response><D:href>   </D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>\n"
    /* several hrefs (RFC 4918 §14.24): the first; a comment inside an href */
    "<D:response><D:href>/cal/a<!-- split -->b.ics</D:href><D:href>/cal/second.ics</D:href>"
    "<D:status>HTTP/2 424 Failed Dependency</D:status></D:response>\n"
    /* properties of another namespace are ignored; nested elements are not text */
    "<D:response><D:href>/cal/c/</D:href><D:propstat><D:prop>"
    "<X:getetag>\"wrong-ns\"</X:getetag>"
    "<D:displayname>Work <X:b>bold</X:b> diary</D:displayname>"
    "<D:displayname>second</D:displayname>"
    "<D:resourcetype><X:collection/></D:resourcetype>"
    "<C:supported-calendar-component-set xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
    "<C:comp name=\" vevent \"/><C:comp name=\"VFREEBUSY\"/><C:comp/><X:comp name=\"VTODO\"/>"
    "</C:supported-calendar-component-set>"
    "<D:supported-report-set><D:supported-report><D:report><X:sync-collection/></D:report>"
    "</D:supported-report><D:supported-report><D:sync-collection/></D:supported-report>"
    "</D:supported-report-set>"
    "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    /* a status line that is not one: not a 2xx */
    "<D:propstat><D:prop><D:calendar-color xmlns:D=\"http://apple.com/ns/ical/\">#000</D:calendar-color></D:prop>"
    "<D:status>junk 200</D:status></D:propstat>"
    "<D:propstat><D:prop><D:getetag>\"ok\"</D:getetag></D:prop>"
    "<D:status>  HTTP/1.1   201 Created</D:status></D:propstat></D:response>\n"
    /* a buggy server's undeclared prefix: that property alone is lost */
    "<D:response><D:href>/cal/d/</D:href><D:propstat><D:prop><x1:calendar-color>#fff</x1:calendar-color>"
    "<D:displayname>D</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n"
    "<D:sync-token>  tok-1  </D:sync-token><D:sync-token>tok-2</D:sync-token>\n"
    "</D:multistatus>\n";

/* ISO-8859-1 is converted to UTF-8: "Café" */
static const char latin1[] =
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/cal/x/</D:href>"
    "<D:propstat><D:prop><D:displayname>Caf\xE9</D:displayname></D:prop>"
    "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";

#define CAL_NC(h, name, colour, tag, comp)                                                                      \
  {.href = h, .status = 0, .displayname = name, .color = colour, .ctag = tag, .sync_token = tag,               \
   .collection = TRUE, .calendar = TRUE, .comps = comp}

static const MsRow ms_rows[] = {
    {"rfc4791-calendar-query", rfc4791_query, NULL, FALSE, 2,
     {{.href = "http://cal.example.com/bernard/work/abcd1.ics", .etag = "\"fffff-abcd1\"", .data = ICS_ABCD1},
      {.href = "http://cal.example.com/bernard/work/abcd2.ics", .etag = "\"fffff-abcd2\"", .data = ICS_ABCD2}}},
    {"rfc4791-multiget", rfc4791_multiget, NULL, FALSE, 2,
     {{.href = "http://cal.example.com/bernard/work/abcd1.ics", .etag = "\"fffff-abcd1\"", .data = ICS_ABCD1},
      {.href = "http://cal.example.com/bernard/work/mtg1.ics", .status = 404}}},
    {"rfc6578-sync-collection", rfc6578_sync, "http://example.com/ns/sync/1234", FALSE, 3,
     {{.href = "http://webdav.example.com/home/cal/test.ics", .etag = "\"00001-abcd1\""},
      {.href = "http://webdav.example.com/home/cal/other.ics", .etag = "\"00002-abcd1\""},
      {.href = "http://webdav.example.com/home/cal/removed.ics", .status = 404}}},
    {"rfc6578-507-truncated", truncated_507, "http://example.com/ns/sync/1233", TRUE, 2,
     {{.href = "/home/cal/a.ics", .etag = "\"1\""}, {.href = "/home/cal/", .status = 507}}},
    {"radicale-calendars", radicale_calendars, NULL, FALSE, 2,
     {{.href = "/alice/", .collection = TRUE},
      {.href = "/alice/7f3b1c2a-work/", .displayname = "Work", .color = "#ff0000ff", .ctag = "\"5c3a0b0e1b2f4d8a\"",
       .sync_token = "http://radicale.org/ns/sync/5c3a0b0e1b2f4d8a", .collection = TRUE, .calendar = TRUE,
       .sync_collection = TRUE, .comps = DAV_COMP_VEVENT | DAV_COMP_VTODO | DAV_COMP_VJOURNAL}}},
    {"nextcloud-calendars", nextcloud_calendars, NULL, FALSE, 4,
     {{.href = "/remote.php/dav/calendars/alice/", .collection = TRUE},
      {.href = "/remote.php/dav/calendars/alice/personal/", .displayname = "Personal", .color = "#0082c9",
       .ctag = "http://sabre.io/ns/sync/42", .sync_token = "http://sabre.io/ns/sync/42", .collection = TRUE,
       .calendar = TRUE, .sync_collection = TRUE, .comps = DAV_COMP_VEVENT},
      CAL_NC("/remote.php/dav/calendars/alice/tasks/", "Tasks", "#795AAB", "http://sabre.io/ns/sync/7",
             DAV_COMP_VTODO),
      {.href = "/remote.php/dav/calendars/alice/inbox/", .collection = TRUE}}},
    {"nextcloud-sync-collection", nextcloud_sync, "http://sabre.io/ns/sync/43", FALSE, 2,
     {{.href = "/remote.php/dav/calendars/alice/personal/5F1C8A2E.ics",
       .etag = "\"5f1c8a2e9b0d1c3e4f5a6b7c8d9e0f1a\""},
      {.href = "/remote.php/dav/calendars/alice/personal/gone.ics", .status = 404}}},
    {"google-principal", google_principal, NULL, FALSE, 1,
     {{.href = "/caldav/v2/alice%40gmail.com/user/", .principal = "/caldav/v2/alice%40gmail.com/user",
       .home = "/caldav/v2/alice%40gmail.com/", .collection = TRUE}}},
    {"xandikos-unwrapped-reports", xandikos_calendar, NULL, FALSE, 1,
     {{.href = "/user/calendars/calendar/", .collection = TRUE, .calendar = TRUE, .sync_collection = TRUE}}},
    {"google-calendars", google_calendars, NULL, FALSE, 1,
     {{.href = "/caldav/v2/alice%40gmail.com/events/", .displayname = "alice@gmail.com", .color = "#9FE1E7FF",
       .ctag = "63912345678", .collection = TRUE, .calendar = TRUE, .sync_collection = TRUE,
       .comps = DAV_COMP_VEVENT}}},
    {"principal-two-homes", principal_homes, NULL, FALSE, 2,
     {{.href = "/principals/users/alice/", .home = "https://p42-caldav.icloud.com:443/123456/calendars/ | /shared/alice/"},
      {.href = "/"}}},
    {"404-propstat-ignored", ignored_404, NULL, FALSE, 1, {{.href = "/cal/x/", .etag = "\"real\""}}},
    {"cdata-calendar-data", cdata_data, NULL, FALSE, 2,
     {{.href = "/cal/cdata.ics", .etag = "\"c1\"", .data = ICS_SHORT},
      {.href = "/cal/mixed.ics", .data = "BEGIN:VCALENDAR\nSUMMARY:a <b> & c\nEND:VCALENDAR\n"}}},
    {"crlf-kept", crlf_ref_data, NULL, FALSE, 1, {{.href = "/cal/crlf.ics", .data = ICS_CRLF}}},
    {"crlf-raw-is-lf", crlf_raw_data, NULL, FALSE, 1,
     {{.href = "/cal/crlf.ics",
       .data = "  BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:crlf@example.com\nSUMMARY:Line ends\n"
               "END:VEVENT\nEND:VCALENDAR\n  "}}},
    {"odd-shapes", odd_shapes, "tok-1", FALSE, 4,
     {{.href = "/cal/Team%20A&B/meeting.ics", .etag = "W/\"weak\""},
      {.href = "/cal/ab.ics", .status = 424},
      /* a sync-collection straight under supported-report counts: Xandikos writes it so */
      {.href = "/cal/c/", .etag = "\"ok\"", .displayname = "Work  diary", .comps = DAV_COMP_VEVENT,
       .sync_collection = TRUE},
      {.href = "/cal/d/", .displayname = "D"}}},
    {"latin1", latin1, NULL, FALSE, 1, {{.href = "/cal/x/", .displayname = "Caf\xC3\xA9"}}},
    {"empty-multistatus", "<multistatus xmlns='DAV:'/>", NULL, FALSE, 0, {{0}}},
};

/* ---- multistatus: the checks ----------------------------------------------- */

static void expect_str(const char *row, guint i, const char *field, const char *got, const char *want) {
  EXPECT(g_strcmp0(got, want) == 0, "%s[%u] %s: got %s%s%s, want %s%s%s", row, i, field, got ? "\"" : "",
         got ? got : "NULL", got ? "\"" : "", want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
}

static void check_response(const char *row, guint i, const DavResponse *r, const Want *w) {
  expect_str(row, i, "href", r->href, w->href);
  EXPECT(r->status == w->status, "%s[%u] status %d, want %d", row, i, r->status, w->status);
  expect_str(row, i, "etag", r->etag, w->etag);
  expect_str(row, i, "calendar-data", r->calendar_data, w->data);
  expect_str(row, i, "displayname", r->displayname, w->displayname);
  expect_str(row, i, "color", r->color, w->color);
  expect_str(row, i, "ctag", r->ctag, w->ctag);
  expect_str(row, i, "sync-token", r->sync_token, w->sync_token);
  expect_str(row, i, "principal", r->current_user_principal, w->principal);
  g_assert_nonnull(r->calendar_home_set);
  g_autoptr(GString) home = g_string_new(NULL);
  for (guint k = 0; k < r->calendar_home_set->len; k++)
    g_string_append_printf(home, "%s%s", k ? " | " : "", (const char *)g_ptr_array_index(r->calendar_home_set, k));
  expect_str(row, i, "home-set", home->len ? home->str : NULL, w->home);
  EXPECT(r->is_collection == w->collection, "%s[%u] is_collection %d", row, i, r->is_collection);
  EXPECT(r->is_calendar == w->calendar, "%s[%u] is_calendar %d", row, i, r->is_calendar);
  EXPECT(r->sync_collection == w->sync_collection, "%s[%u] sync_collection %d", row, i, r->sync_collection);
  EXPECT(r->components == w->comps, "%s[%u] components %#x, want %#x", row, i, r->components, w->comps);
  EXPECT(!r->calendar_auto_schedule, "%s[%u] calendar_auto_schedule set by the parser", row, i);
}

static void test_multistatus(void) {
  for (gsize k = 0; k < G_N_ELEMENTS(ms_rows); k++) {
    const MsRow *row = &ms_rows[k];
    g_autoptr(DavMultistatus) ms = NULL;
    g_autofree char *detail = NULL;
    DavXmlError err = davxml_parse_multistatus(row->body, strlen(row->body), MAX_LEN, &ms, &detail);
    EXPECT(err == DAVXML_OK, "%s: error %d (%s)", row->name, err, detail ? detail : "");
    if (err != DAVXML_OK)
      continue;
    EXPECT(detail == NULL, "%s: detail \"%s\" on success", row->name, detail);
    expect_str(row->name, 0, "multistatus sync-token", ms->sync_token, row->sync_token);
    EXPECT(ms->truncated == row->truncated, "%s: truncated %d", row->name, ms->truncated);
    EXPECT(ms->responses->len == row->n, "%s: %u responses, want %u", row->name, ms->responses->len, row->n);
    for (guint i = 0; i < MIN(ms->responses->len, row->n); i++)
      check_response(row->name, i, g_ptr_array_index(ms->responses, i), &row->r[i]);
  }
}

/* ---- limits ---------------------------------------------------------------- */

static void test_response_limit(void) {
  GString *body = g_string_new("<d:multistatus xmlns:d=\"DAV:\">");
  for (guint i = 0; i < 100005; i++)
    g_string_append_printf(body, "<d:response><d:href>/c/%u.ics</d:href></d:response>", i);
  g_string_append(body, "<d:sync-token>after</d:sync-token></d:multistatus>");
  g_autoptr(DavMultistatus) ms = NULL;
  DavXmlError err = davxml_parse_multistatus(body->str, body->len, body->len, &ms, NULL);
  g_assert_cmpint(err, ==, DAVXML_OK);
  g_assert_cmpuint(ms->responses->len, ==, 100000);
  g_assert_cmpstr(((DavResponse *)g_ptr_array_index(ms->responses, 99999))->href, ==, "/c/99999.ics");
  g_assert_cmpstr(ms->sync_token, ==, "after");
  g_string_free(body, TRUE);
}

static void test_home_set_limit(void) {
  GString *body = g_string_new("<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\">"
                               "<d:response><d:href>/p/</d:href><d:propstat><d:prop><c:calendar-home-set>");
  for (guint i = 0; i < 70; i++)
    g_string_append_printf(body, "<d:href>/home/%u/</d:href>", i);
  g_string_append(body, "</c:calendar-home-set><c:calendar-home-set><d:href>/more/</d:href></c:calendar-home-set>"
                        "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>");
  g_autoptr(DavMultistatus) ms = NULL;
  g_assert_cmpint(davxml_parse_multistatus(body->str, body->len, MAX_LEN, &ms, NULL), ==, DAVXML_OK);
  DavResponse *r = g_ptr_array_index(ms->responses, 0);
  g_assert_cmpuint(r->calendar_home_set->len, ==, 64);
  g_assert_cmpstr(g_ptr_array_index(r->calendar_home_set, 63), ==, "/home/63/");
  g_string_free(body, TRUE);
}

static void test_size_limit(void) {
  const char *body = rfc6578_sync;
  gsize len = strlen(body);
  g_autoptr(DavMultistatus) ms = NULL;
  static DavMultistatus untouched;
  DavMultistatus *sentinel = &untouched, *out = sentinel;
  g_autofree char *detail = NULL;
  g_assert_cmpint(davxml_parse_multistatus(body, len, len - 1, &out, &detail), ==, DAVXML_TOO_LARGE);
  g_assert_true(out == sentinel);
  g_assert_nonnull(detail);
  g_assert_null(davxml_parse_error(body, len, len - 1));
  g_assert_cmpint(davxml_parse_multistatus(body, len, len, &ms, NULL), ==, DAVXML_OK);
  g_assert_cmpuint(ms->responses->len, ==, 3);
  dav_multistatus_free(NULL);
}

/* ---- refusals ---------------------------------------------------------------- */

#define LOL(n, m) "<!ENTITY lol" #n " \"&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";&lol" #m ";\">"

static const char billion_laughs[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol0 \"lol\">\n" LOL(1, 0) LOL(2, 1) LOL(3, 2) LOL(4, 3) LOL(5, 4) LOL(6, 5) LOL(7, 6) LOL(8, 7)
        LOL(9, 8) "\n]>\n"
    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>&lol9;</D:href></D:response>"
    "<D:sync-token>&lol9;</D:sync-token></D:multistatus>";

static const char external_entity[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE D:multistatus [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
    "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/a</D:href><D:propstat><D:prop>"
    "<D:displayname>&xxe;</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
    "</D:response><D:sync-token>&xxe;</D:sync-token></D:multistatus>";

static const char parameter_entity[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>\n"
    "<D:multistatus xmlns:D=\"DAV:\"/>";

static const char external_dtd[] = "<!DOCTYPE D:multistatus PUBLIC \"-//x//y\" \"http://127.0.0.1:1/evil.dtd\">"
                                   "<D:multistatus xmlns:D=\"DAV:\"/>";

static const char bare_doctype[] = "<!DOCTYPE D:multistatus><D:multistatus xmlns:D=\"DAV:\"/>";

static char *quadratic_blowup(void) {
  GString *s = g_string_new("<?xml version=\"1.0\"?>\n<!DOCTYPE D:multistatus [<!ENTITY a \"");
  for (int i = 0; i < 50 * 1024; i++)
    g_string_append_c(s, 'A');
  g_string_append(s, "\">]>\n<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/x</D:href><D:propstat><D:prop>"
                     "<D:displayname>");
  for (int i = 0; i < 2000; i++)
    g_string_append(s, "&a;");
  g_string_append(s, "</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
                     "<D:sync-token>&a;</D:sync-token></D:multistatus>");
  return g_string_free(s, FALSE);
}

static const char *const entity_text[] = {"lol", "root:", "AAAA", "passwd"};

typedef struct {
  const char *name;
  const char *body; /* NULL: the quadratic blowup, built at run time */
  DavXmlError err;
} RefusalRow;

static const RefusalRow refusal_rows[] = {
    {"billion-laughs", billion_laughs, DAVXML_DOCTYPE},
    {"external-entity", external_entity, DAVXML_DOCTYPE},
    {"quadratic-blowup", NULL, DAVXML_DOCTYPE},
    {"parameter-entity", parameter_entity, DAVXML_DOCTYPE},
    {"external-dtd", external_dtd, DAVXML_DOCTYPE},
    {"bare-doctype", bare_doctype, DAVXML_DOCTYPE},
    {"empty", "", DAVXML_NOT_XML},
    {"white-space", " \n\t ", DAVXML_NOT_XML},
    {"unclosed", "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/a</D:href>", DAVXML_NOT_XML},
    {"mismatched", "<D:multistatus xmlns:D=\"DAV:\"></D:response>", DAVXML_NOT_XML},
    {"undeclared-entity", "<D:multistatus xmlns:D=\"DAV:\"><D:href>&nbsp;</D:href></D:multistatus>",
     DAVXML_NOT_XML},
    /* libxml2 keeps going after a namespace error; an element with an
     * undeclared prefix simply has no namespace, so it matches nothing. */
    {"undeclared-prefix", "<D:multistatus><D:response/></D:multistatus>", DAVXML_NOT_MULTISTATUS},
    {"two-roots", "<D:multistatus xmlns:D=\"DAV:\"/><D:multistatus xmlns:D=\"DAV:\"/>", DAVXML_NOT_XML},
    {"bad-utf8", "<D:multistatus xmlns:D=\"DAV:\"><D:href>\xff\xfe</D:href></D:multistatus>", DAVXML_NOT_XML},
    {"json", "{\"error\": \"not found\"}", DAVXML_NOT_XML},
    {"html-login", "<html><head><title>Login</title></head><body><p>Sign in</p></body></html>",
     DAVXML_NOT_MULTISTATUS},
    {"no-namespace", "<multistatus><response><href>/a</href></response></multistatus>", DAVXML_NOT_MULTISTATUS},
    {"other-namespace", "<D:multistatus xmlns:D=\"urn:not-dav\"/>", DAVXML_NOT_MULTISTATUS},
    {"dav-error", "<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>", DAVXML_NOT_MULTISTATUS},
    {"dav-response-root", "<D:response xmlns:D=\"DAV:\"><D:href>/a</D:href></D:response>", DAVXML_NOT_MULTISTATUS},
};

static void run_refusal(const RefusalRow *row) {
  g_autofree char *built = row->body ? NULL : quadratic_blowup();
  const char *body = row->body ? row->body : built;
  gsize len = strlen(body);
  static DavMultistatus untouched;
  DavMultistatus *sentinel = &untouched, *out = sentinel;
  g_autofree char *detail = NULL;
  gint64 t0 = g_get_monotonic_time();
  DavXmlError err = davxml_parse_multistatus(body, len, MAX_LEN, &out, &detail);
  g_autofree char *precondition = davxml_parse_error(body, len, MAX_LEN);
  gint64 took = g_get_monotonic_time() - t0;
  EXPECT(err == row->err, "%s: error %d, want %d (%s)", row->name, err, row->err, detail ? detail : "");
  EXPECT(out == sentinel, "%s: *out changed", row->name);
  EXPECT(detail && *detail, "%s: no detail", row->name);
  EXPECT(precondition == NULL || err == DAVXML_NOT_MULTISTATUS, "%s: parse_error read \"%s\"", row->name,
         precondition);
  EXPECT(took < 2 * G_USEC_PER_SEC, "%s: took %" G_GINT64_FORMAT " us", row->name, took);
  for (gsize i = 0; detail && i < G_N_ELEMENTS(entity_text); i++)
    EXPECT(!strstr(detail, entity_text[i]), "%s: detail \"%s\" shows entity text", row->name, detail);
}

static void test_refusals(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(refusal_rows); i++)
    run_refusal(&refusal_rows[i]);
  /* A NULL detail is allowed. */
  DavMultistatus *out = NULL;
  g_assert_cmpint(davxml_parse_multistatus(billion_laughs, strlen(billion_laughs), MAX_LEN, &out, NULL), ==,
                  DAVXML_DOCTYPE);
  g_assert_null(out);
}

/* libxml2 reports to stderr by default: a hostile body must print nothing. */
static void test_refusals_silent(void) {
  if (g_test_subprocess()) {
    for (gsize i = 0; i < G_N_ELEMENTS(refusal_rows); i++)
      run_refusal(&refusal_rows[i]);
    return;
  }
  g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_test_trap_assert_stdout("");
  g_test_trap_assert_stderr("");
}

/* ---- DAV:error ----------------------------------------------------------------- */

static const struct {
  const char *body;
  const char *want;
} error_rows[] = {
    {"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\">\n  <D:valid-sync-token/>\n</D:error>",
     "valid-sync-token"},
    {"<d:error xmlns:d=\"DAV:\"><d:need-privileges><d:resource><d:href>/cal/</d:href><d:privilege><d:read/>"
     "</d:privilege></d:resource></d:need-privileges></d:error>",
     "need-privileges"},
    {"<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:no-uid-conflict>"
     "<D:href>/cal/other.ics</D:href></C:no-uid-conflict></D:error>",
     "no-uid-conflict"},
    {"<d:error xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\">\n  <s:exception>Sabre\\DAV\\Exception\\NotFound"
     "</s:exception>\n  <s:message>Node not found</s:message>\n</d:error>",
     "exception"},
    {"<error xmlns=\"DAV:\">some text <!-- c --><number-of-matches-within-limits/></error>",
     "number-of-matches-within-limits"},
    {"<D:error xmlns:D=\"DAV:\"/>", NULL},
    {"<D:error xmlns:D=\"DAV:\">text only</D:error>", NULL},
    {"<error><valid-sync-token/></error>", NULL},
    {"<D:multistatus xmlns:D=\"DAV:\"><D:response/></D:multistatus>", NULL},
    {"<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/>", NULL},
    {"<!DOCTYPE D:error [<!ENTITY x \"y\">]><D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>", NULL},
    {"", NULL},
};

static void test_error(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(error_rows); i++) {
    const char *body = error_rows[i].body;
    g_autofree char *got = davxml_parse_error(body, strlen(body), MAX_LEN);
    EXPECT(g_strcmp0(got, error_rows[i].want) == 0, "error body %" G_GSIZE_FORMAT ": got %s, want %s", i,
           got ? got : "NULL", error_rows[i].want ? error_rows[i].want : "NULL");
  }
  g_assert_null(davxml_parse_error(NULL, 0, MAX_LEN));
}

/* ---- streaming ------------------------------------------------------------------ */

static const char *or_null(const char *s) {
  return s ? s : "(null)";
}

/* Every field of a response on one line, to compare outcomes as text. */
static void describe_response(GString *out, const DavResponse *r) {
  g_string_append_printf(out, "href=%s status=%d etag=%s data=%s name=%s color=%s ctag=%s token=%s principal=%s home=[",
                         or_null(r->href), r->status, or_null(r->etag), or_null(r->calendar_data),
                         or_null(r->displayname), or_null(r->color), or_null(r->ctag), or_null(r->sync_token),
                         or_null(r->current_user_principal));
  for (guint k = 0; r->calendar_home_set && k < r->calendar_home_set->len; k++)
    g_string_append_printf(out, "%s%s", k ? "|" : "", (const char *)g_ptr_array_index(r->calendar_home_set, k));
  g_string_append_printf(out, "] coll=%d cal=%d comps=%#x sync=%d auto=%d\n", r->is_collection, r->is_calendar,
                         r->components, r->sync_collection, r->calendar_auto_schedule);
}

/* The outcome of a parse as text: the error and its detail, or everything read. */
static char *outcome(DavXmlError err, const char *detail, const GString *responses, const char *token,
                     gboolean truncated) {
  if (err != DAVXML_OK)
    return g_strdup_printf("error %d: %s\n", err, or_null(detail));
  return g_strdup_printf("ok token=%s truncated=%d detail=%s\n%s", or_null(token), truncated, or_null(detail),
                         responses->str);
}

static char *whole_outcome(const char *body, gsize len, gsize max_len) {
  g_autoptr(DavMultistatus) ms = NULL;
  g_autofree char *detail = NULL;
  DavXmlError err = davxml_parse_multistatus(body, len, max_len, &ms, &detail);
  g_autoptr(GString) responses = g_string_new(NULL);
  for (guint i = 0; ms && i < ms->responses->len; i++)
    describe_response(responses, g_ptr_array_index(ms->responses, i));
  return outcome(err, detail, responses, ms ? ms->sync_token : NULL, ms ? ms->truncated : FALSE);
}

typedef struct {
  GString *out;     /* the responses, described */
  guint count;      /* calls so far */
  guint stop_after; /* return FALSE on this call; 0 for never */
  gsize fed;        /* bytes fed so far, kept by the feeding loop */
  GArray *at;       /* of gsize: `fed` at each call, or NULL */
} Sink;

static gboolean sink_response(DavResponse *resp, gpointer data) {
  Sink *sink = data;
  describe_response(sink->out, resp);
  sink->count++;
  if (sink->at)
    g_array_append_val(sink->at, sink->fed);
  return sink->stop_after == 0 || sink->count < sink->stop_after;
}

/* Feeds the body in pieces that end at cuts[] (ascending, at most len), then
 * finishes.  What the callback had before an error is not part of the outcome. */
static char *stream_outcome(const char *body, gsize len, gsize max_len, const gsize *cuts, gsize n_cuts) {
  g_autoptr(GString) responses = g_string_new(NULL);
  Sink sink = {.out = responses};
  g_autoptr(DavStream) stream = davxml_stream_new(max_len, sink_response, &sink);
  g_autofree char *detail = NULL;
  DavXmlError err = DAVXML_OK;
  gsize from = 0;
  for (gsize i = 0; i <= n_cuts && err == DAVXML_OK; i++) {
    gsize to = i < n_cuts ? cuts[i] : len;
    err = davxml_stream_feed(stream, body + from, to - from, &detail);
    from = to;
  }
  g_autofree char *token = NULL;
  gboolean truncated = FALSE;
  if (err == DAVXML_OK)
    err = davxml_stream_finish(stream, &token, &truncated, &detail);
  return outcome(err, detail, responses, token, truncated);
}

static char *byte_outcome(const char *body, gsize len, gsize max_len) {
  g_autofree gsize *cuts = g_new(gsize, len + 1);
  for (gsize i = 0; i < len; i++)
    cuts[i] = i;
  return stream_outcome(body, len, max_len, cuts, len);
}

typedef struct {
  const char *name;
  const char *body;
  gsize len;
} Body;

/* Every body of the tables above, a few more, and bodies in other encodings. */
static GArray *all_bodies(void) {
  GArray *bodies = g_array_new(FALSE, FALSE, sizeof(Body));
  for (gsize i = 0; i < G_N_ELEMENTS(ms_rows); i++) {
    Body b = {ms_rows[i].name, ms_rows[i].body, strlen(ms_rows[i].body)};
    g_array_append_val(bodies, b);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(refusal_rows); i++) {
    if (!refusal_rows[i].body)
      continue;
    Body b = {refusal_rows[i].name, refusal_rows[i].body, strlen(refusal_rows[i].body)};
    g_array_append_val(bodies, b);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(error_rows); i++) {
    Body b = {"error body", error_rows[i].body, strlen(error_rows[i].body)};
    g_array_append_val(bodies, b);
  }
  static const Body more[] = {
      {"bad-shift-jis",
       "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><D:multistatus xmlns:D=\"DAV:\"><D:response>"
       "<D:href>/a\x81\x20\xff\xff</D:href></D:response></D:multistatus>"},
      {"bad-ascii", "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><D:multistatus xmlns:D=\"DAV:\">"
                    "<D:response><D:href>/\xe9</D:href></D:response></D:multistatus>"},
      {"unknown-encoding", "<?xml version=\"1.0\" encoding=\"x-no-such\"?><D:multistatus xmlns:D=\"DAV:\"/>"},
      {"bom-utf8", "\xEF\xBB\xBF<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/b</D:href>"
                   "</D:response></D:multistatus>"},
      {"cr-at-every-line", "<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\r\n"
                           "<D:response>\r<D:href>/c\r\n</D:href><D:propstat>\r\n<D:prop>"
                           "<C:calendar-data>A\r\rB\r\n\r\nC\r</C:calendar-data></D:prop><D:status>HTTP/1.1 200"
                           "\r\n</D:status></D:propstat></D:response>\r\n</D:multistatus>\r\n"},
      {"text-after-root", "<D:multistatus xmlns:D=\"DAV:\"/>trailing"},
      {"comment-after-root", "<D:multistatus xmlns:D=\"DAV:\"/><!-- done -->\n"},
      {"wrong-root-then-broken", "<html><body><p>Sign in<br></body></html>"},
      {"empty-href-then-href", "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href/><D:href>/x</D:href>"
                               "</D:response></D:multistatus>"},
      /* iconv reads "UT-F8" as UTF-8; libxml2 2.9 may go on after the bad bytes */
      {"odd-encoding-name-bad-bytes", "<?xml version=\"1.0\" encoding=\"UT-F8\"?><mu\xeb\xectistatus xmlns=\"DAV:\">"
                                      "<response><href>/a</href></response></mu\xeb\xectistatus>"},
      {"wrong-root-bad-bytes-later", "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><html><body>"
                                     "<p>....................................................................</p>"
                                     "<p>\x81\x20\xff</p></body></html>"},
      {"wrong-root-well-formed",
       "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><html><body><p>Sign in</p></body></html>"},
      {"status-before-prop", "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/x</D:href><D:propstat>"
                             "<D:status>HTTP/1.1 200 OK</D:status><D:prop><D:getetag>e</D:getetag></D:prop>"
                             "</D:propstat></D:response></D:multistatus>"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(more); i++) {
    Body b = {more[i].name, more[i].body, strlen(more[i].body)};
    g_array_append_val(bodies, b);
  }
  return bodies;
}

/* The same outcome whatever the pieces the body arrives in: cut once at
 * every byte, one byte at a time, and at random places. */
static void check_splits(const char *name, const char *body, gsize len, gboolean every_cut) {
  g_autofree char *want = whole_outcome(body, len, MAX_LEN);
  g_autofree char *bytes = byte_outcome(body, len, MAX_LEN);
  EXPECT(g_strcmp0(bytes, want) == 0, "%s: one byte at a time:\n%s\nwhole:\n%s", name, bytes, want);
  for (gsize cut = 0; every_cut && cut <= len; cut++) {
    g_autofree char *got = stream_outcome(body, len, MAX_LEN, &cut, 1);
    EXPECT(g_strcmp0(got, want) == 0, "%s: cut at %" G_GSIZE_FORMAT ":\n%s\nwhole:\n%s", name, cut, got, want);
  }
  for (int round = 0; round < 50; round++) {
    gsize cuts[8];
    gsize n = (gsize)g_test_rand_int_range(1, G_N_ELEMENTS(cuts) + 1);
    for (gsize i = 0; i < n; i++)
      cuts[i] = (gsize)g_test_rand_int_range(0, (gint32)len + 1);
    for (gsize i = 1; i < n; i++) /* insertion sort */
      for (gsize j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
        gsize t = cuts[j];
        cuts[j] = cuts[j - 1];
        cuts[j - 1] = t;
      }
    g_autofree char *got = stream_outcome(body, len, MAX_LEN, cuts, n);
    EXPECT(g_strcmp0(got, want) == 0, "%s: random cuts (round %d):\n%s\nwhole:\n%s", name, round, got, want);
  }
}

static void test_stream_splits(void) {
  g_autoptr(GArray) bodies = all_bodies();
  for (guint i = 0; i < bodies->len; i++) {
    const Body *b = &g_array_index(bodies, Body, i);
    check_splits(b->name, b->body, b->len, TRUE);
  }
  g_autofree char *blowup = quadratic_blowup();
  check_splits("quadratic-blowup", blowup, strlen(blowup), FALSE);
}

/* UTF-16 (with a byte order mark) reads as its UTF-8 original, in any pieces. */
static void test_stream_utf16(void) {
  const char *const originals[] = {cdata_data, ignored_404, principal_homes};
  for (gsize i = 0; i < G_N_ELEMENTS(originals); i++) {
    /* principal_homes declares utf-8: the declaration goes with the conversion. */
    const char *utf8 = originals[i];
    if (g_str_has_prefix(utf8, "<?xml"))
      utf8 = strchr(utf8, '>') + 1;
    gsize n = 0;
    g_autofree char *utf16 = g_convert(utf8, -1, "UTF-16LE", "UTF-8", NULL, &n, NULL);
    g_assert_nonnull(utf16);
    g_autofree char *body = g_malloc(n + 2);
    memcpy(body, "\xFF\xFE", 2);
    memcpy(body + 2, utf16, n);
    g_autofree char *want = whole_outcome(utf8, strlen(utf8), MAX_LEN);
    g_autofree char *got = whole_outcome(body, n + 2, MAX_LEN);
    EXPECT(g_str_has_prefix(want, "ok") && g_strcmp0(got, want) == 0, "utf-16 %" G_GSIZE_FORMAT ":\n%s\nwant:\n%s",
           i, got, want);
    check_splits("utf-16", body, n + 2, FALSE);
  }
}

/* libxml2's own decoders are read; a multistatus in any other encoding is
 * refused before anything from it reaches the callback, valid or not. */
static void test_stream_encodings(void) {
  static const struct {
    const char *encoding, *name, *want; /* want NULL: refused */
  } rows[] = {
      {"utf-8", "Caf\xC3\xA9", "Caf\xC3\xA9"},
      {"UTF8", "Caf\xC3\xA9", "Caf\xC3\xA9"},
      {"iso-8859-1", "Caf\xE9", "Caf\xC3\xA9"},
      {"US-ASCII", "Cafe", "Cafe"},
      {"ascii", "Cafe", "Cafe"},
      {"windows-1252", "Caf\xE9", NULL},
      {"ISO-8859-15", "Caf\xE9", NULL},
      {"Shift_JIS", "\x93\xfa\x96\x7b", NULL},
      {"KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", NULL},
      {"UT-F8", "Caf\xC3\xA9", NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *body = g_strdup_printf("<?xml version=\"1.0\" encoding=\"%s\"?>\n<D:multistatus xmlns:D=\"DAV:\">"
                                            "<D:response><D:href>/a</D:href><D:propstat><D:prop><D:displayname>%s"
                                            "</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status>"
                                            "</D:propstat></D:response></D:multistatus>",
                                            rows[i].encoding, rows[i].name);
    g_autoptr(GString) out = g_string_new(NULL);
    Sink sink = {.out = out};
    g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
    g_autofree char *detail = NULL;
    DavXmlError err = davxml_stream_feed(stream, body, strlen(body), &detail);
    if (err == DAVXML_OK)
      err = davxml_stream_finish(stream, NULL, NULL, &detail);
    if (rows[i].want) {
      EXPECT(err == DAVXML_OK, "%s: error %d (%s)", rows[i].encoding, err, or_null(detail));
      g_autofree char *line = g_strdup_printf("name=%s ", rows[i].want);
      EXPECT(strstr(out->str, line), "%s: read %s", rows[i].encoding, out->str);
    } else {
      EXPECT(err == DAVXML_NOT_XML, "%s: error %d", rows[i].encoding, err);
      EXPECT(sink.count == 0, "%s: %u responses delivered", rows[i].encoding, sink.count);
    }
    check_splits(rows[i].encoding, body, strlen(body), TRUE);
  }
}

/* A long body, parsed whole (more than one piece for libxml2) and in random pieces. */
static GString *big_body(guint n) {
  GString *body = g_string_new("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<d:multistatus xmlns:d=\"DAV:\" "
                               "xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">\n");
  for (guint i = 0; i < n; i++) {
    g_string_append_printf(body,
                           "<d:response><d:href>/cal/%u.ics</d:href><d:propstat><d:prop>"
                           "<d:getetag>\"%u\"</d:getetag><cal:calendar-data>BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\n"
                           "BEGIN:VEVENT&#13;\nUID:%u@example.com&#13;\nSUMMARY:R&amp;D %u&#13;\n"
                           "DTSTART:20260302T090000Z&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n"
                           "</cal:calendar-data></d:prop>"
                           "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>\n",
                           i, i, i, i);
  }
  g_string_append(body, "<d:sync-token>http://example.com/sync/9</d:sync-token></d:multistatus>\n");
  return body;
}

static void test_stream_big(void) {
  g_autoptr(GString) body = big_body(3000);
  g_assert_cmpuint(body->len, >, 3 * 64 * 1024);
  g_autofree char *want = whole_outcome(body->str, body->len, body->len);
  g_assert_true(g_str_has_prefix(want, "ok token=http://example.com/sync/9 truncated=0"));
  g_assert_nonnull(strstr(want, "href=/cal/2999.ics status=0 etag=\"2999\" data=BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                                "BEGIN:VEVENT\r\nUID:2999@example.com\r\nSUMMARY:R&D 2999\r\n"));
  for (int round = 0; round < 10; round++) {
    gsize cuts[64], at = 0, n = 0;
    while (n < G_N_ELEMENTS(cuts)) {
      at += (gsize)g_test_rand_int_range(1, 40000);
      if (at > body->len)
        break;
      cuts[n++] = at;
    }
    g_autofree char *got = stream_outcome(body->str, body->len, body->len, cuts, n);
    EXPECT(g_strcmp0(got, want) == 0, "big body, round %d: differs", round);
  }
}

/* Line ends in CDATA read as LF (XML 1.0 §2.11), as in character data:
 * long sections, so that libxml2's pieces end at every place in a line,
 * between a CR and its LF too, and sections next to each other. */
static void test_stream_cdata_line_ends(void) {
  for (int pad = 0; pad < 32; pad++) {
    g_autoptr(GString) data = g_string_new(NULL), want = g_string_new(NULL);
    for (int i = 0; i < pad; i++) {
      g_string_append_c(data, 'p');
      g_string_append_c(want, 'p');
    }
    for (int line = 0; line < 40; line++) {
      g_string_append(data, line % 3 ? "SUMMARY:0123456789abcdef\r\n" : "DESCRIPTION:lone CR\rend\r\n");
      g_string_append(want, line % 3 ? "SUMMARY:0123456789abcdef\n" : "DESCRIPTION:lone CR\nend\n");
    }
    g_autofree char *body = g_strdup_printf("<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"" CALDAV_NS "\">"
                                            "<d:response><d:href>/a</d:href><d:propstat><d:prop>"
                                            "<c:calendar-data><![CDATA[%s]]></c:calendar-data></d:prop>"
                                            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
                                            "</d:multistatus>",
                                            data->str);
    g_autoptr(DavMultistatus) ms = NULL;
    g_assert_cmpint(davxml_parse_multistatus(body, strlen(body), MAX_LEN, &ms, NULL), ==, DAVXML_OK);
    const char *got = ((DavResponse *)g_ptr_array_index(ms->responses, 0))->calendar_data;
    EXPECT(g_strcmp0(got, want->str) == 0, "pad %d: calendar-data differs", pad);
    check_splits("cdata line ends", body, strlen(body), FALSE);
  }
  static const struct {
    const char *xml, *want;
  } rows[] = {
      {"<![CDATA[a\r]]><![CDATA[\nb]]>", "a\n\nb"},
      {"<![CDATA[a\r]]>\nb", "a\n\nb"},
      {"a\r<![CDATA[\nb\r\n]]>\r\n", "a\n\nb\n\n"},
      {"<![CDATA[\r]]>", "\n"},
      {"<![CDATA[\r\r\n\n\r]]>", "\n\n\n\n"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *body = g_strdup_printf("<d:multistatus xmlns:d=\"DAV:\" xmlns:c=\"" CALDAV_NS "\">"
                                            "<d:response><d:href>/a</d:href><d:propstat><d:prop>"
                                            "<c:calendar-data>%s</c:calendar-data></d:prop>"
                                            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
                                            "</d:multistatus>",
                                            rows[i].xml);
    g_autoptr(DavMultistatus) ms = NULL;
    g_assert_cmpint(davxml_parse_multistatus(body, strlen(body), MAX_LEN, &ms, NULL), ==, DAVXML_OK);
    const char *got = ((DavResponse *)g_ptr_array_index(ms->responses, 0))->calendar_data;
    g_autofree char *shown = got ? g_strescape(got, NULL) : NULL;
    EXPECT(g_strcmp0(got, rows[i].want) == 0, "cdata row %" G_GSIZE_FORMAT ": got \"%s\"", i, or_null(shown));
    check_splits("cdata line ends", body, strlen(body), TRUE);
  }
}

/* Where each "</...:response>" end tag ends (the offset after its '>'). */
static GArray *response_ends(const char *body) {
  GArray *ends = g_array_new(FALSE, FALSE, sizeof(gsize));
  for (const char *p = strstr(body, "</"); p; p = strstr(p + 2, "</")) {
    const char *gt = strchr(p, '>');
    if (!gt)
      break;
    g_autofree char *name = g_strndup(p + 2, gt - p - 2);
    const char *local = strrchr(name, ':');
    if (strcmp(local ? local + 1 : name, "response") == 0) {
      gsize end = (gsize)(gt - body) + 1;
      g_array_append_val(ends, end);
    }
  }
  return ends;
}

/* Fed one byte at a time, each response reaches the callback with the '>'
 * of its end tag, never later. */
static void test_stream_prompt(void) {
  for (gsize k = 0; k < G_N_ELEMENTS(ms_rows); k++) {
    const MsRow *row = &ms_rows[k];
    gsize len = strlen(row->body);
    g_autoptr(GArray) ends = response_ends(row->body);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GArray) at = g_array_new(FALSE, FALSE, sizeof(gsize));
    Sink sink = {.out = out, .at = at};
    g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
    for (gsize i = 0; i < len; i++) {
      sink.fed = i + 1;
      g_assert_cmpint(davxml_stream_feed(stream, row->body + i, 1, NULL), ==, DAVXML_OK);
    }
    g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, NULL), ==, DAVXML_OK);
    EXPECT(sink.count == row->n, "%s: %u calls, want %u", row->name, sink.count, row->n);
    for (guint i = 0; i < at->len; i++) {
      gsize fed = g_array_index(at, gsize, i);
      gboolean at_end = FALSE;
      for (guint e = 0; e < ends->len; e++)
        at_end |= g_array_index(ends, gsize, e) == fed;
      EXPECT(at_end, "%s: response %u delivered after byte %" G_GSIZE_FORMAT ", not at the end of a response",
             row->name, i, fed);
      EXPECT(i == 0 || g_array_index(at, gsize, i - 1) < fed, "%s: two responses after byte %" G_GSIZE_FORMAT,
             row->name, fed);
    }
  }

  /* Before the rest of the body is there. */
  const char *body = rfc4791_query;
  const char *first_end = strstr(body, "</D:response>") + strlen("</D:response>");
  g_autoptr(GString) out = g_string_new(NULL);
  Sink sink = {.out = out};
  g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
  g_assert_cmpint(davxml_stream_feed(stream, body, (gsize)(first_end - body) - 1, NULL), ==, DAVXML_OK);
  g_assert_cmpuint(sink.count, ==, 0);
  g_assert_cmpint(davxml_stream_feed(stream, first_end - 1, 1, NULL), ==, DAVXML_OK);
  g_assert_cmpuint(sink.count, ==, 1);
  g_assert_true(g_str_has_prefix(out->str, "href=http://cal.example.com/bernard/work/abcd1.ics status=0 "
                                           "etag=\"fffff-abcd1\" data=" ICS_ABCD1 " "));
  g_assert_cmpint(davxml_stream_feed(stream, first_end, strlen(first_end), NULL), ==, DAVXML_OK);
  g_assert_cmpuint(sink.count, ==, 2);
  g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, NULL), ==, DAVXML_OK);
}

/* The callback asks to stop: that feed and every later call say so. */
static void test_stream_stop(void) {
  const char *body = rfc6578_sync;
  for (guint stop = 1; stop <= 3; stop++) {
    g_autoptr(GString) out = g_string_new(NULL);
    Sink sink = {.out = out, .stop_after = stop};
    g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
    g_autofree char *detail = NULL;
    g_assert_cmpint(davxml_stream_feed(stream, body, strlen(body), &detail), ==, DAVXML_STOPPED);
    g_assert_nonnull(detail);
    g_assert_cmpuint(sink.count, ==, stop);
    g_autofree char *detail2 = NULL;
    g_assert_cmpint(davxml_stream_feed(stream, "<x/>", 4, &detail2), ==, DAVXML_STOPPED);
    g_assert_cmpstr(detail2, ==, detail);
    char *token = (char *)"untouched";
    gboolean truncated = 7;
    g_assert_cmpint(davxml_stream_finish(stream, &token, &truncated, NULL), ==, DAVXML_STOPPED);
    g_assert_cmpstr(token, ==, "untouched");
    g_assert_cmpint(truncated, ==, 7);
    g_assert_cmpuint(sink.count, ==, stop);
  }
  /* Stopping on the last response, fed a byte at a time. */
  g_autoptr(GString) out = g_string_new(NULL);
  Sink sink = {.out = out, .stop_after = 3};
  g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
  DavXmlError err = DAVXML_OK;
  gsize i = 0;
  for (; body[i] && err == DAVXML_OK; i++)
    err = davxml_stream_feed(stream, body + i, 1, NULL);
  g_assert_cmpint(err, ==, DAVXML_STOPPED);
  g_autoptr(GArray) ends = response_ends(body);
  g_assert_cmpuint(i, ==, g_array_index(ends, gsize, 2));
}

/* A body that ends early is not XML, whatever the place it ends. */
static void test_stream_cut_short(void) {
  const char *bodies[] = {rfc4791_query, radicale_calendars, odd_shapes, cdata_data};
  for (gsize k = 0; k < G_N_ELEMENTS(bodies); k++) {
    const char *body = bodies[k];
    const char *root_end = g_strrstr(body, "multistatus>");
    gsize complete = (gsize)(root_end - body) + strlen("multistatus>");
    for (gsize len = 0; len < complete; len++) {
      g_autoptr(GString) out = g_string_new(NULL);
      Sink sink = {.out = out};
      g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
      g_autofree char *detail = NULL;
      DavXmlError err = davxml_stream_feed(stream, body, len, &detail);
      EXPECT(err == DAVXML_OK, "body %" G_GSIZE_FORMAT " cut at %" G_GSIZE_FORMAT ": feed error %d (%s)", k, len,
             err, or_null(detail));
      g_autofree char *token = NULL;
      err = davxml_stream_finish(stream, &token, NULL, &detail);
      EXPECT(err == DAVXML_NOT_XML, "body %" G_GSIZE_FORMAT " cut at %" G_GSIZE_FORMAT ": finish %d", k, len, err);
      EXPECT(detail && (len == 0 ? strstr(detail, "empty") : strstr(detail, "(line ")),
             "body %" G_GSIZE_FORMAT " cut at %" G_GSIZE_FORMAT ": detail %s", k, len, or_null(detail));
      g_assert_null(token);
    }
  }
}

/* Hostile bodies a byte at a time: refused as soon as the DOCTYPE is read,
 * before the root element, with nothing delivered. */
static void test_stream_doctype(void) {
  g_autofree char *blowup = quadratic_blowup();
  const char *const bodies[] = {billion_laughs, external_entity, parameter_entity, external_dtd, bare_doctype, blowup};
  for (gsize k = 0; k < G_N_ELEMENTS(bodies); k++) {
    const char *body = bodies[k];
    gsize root = (gsize)(strstr(body, "<D:multistatus") - body);
    g_autoptr(GString) out = g_string_new(NULL);
    Sink sink = {.out = out};
    g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, sink_response, &sink);
    gint64 t0 = g_get_monotonic_time();
    DavXmlError err = DAVXML_OK;
    gsize i = 0;
    for (; body[i] && err == DAVXML_OK; i++)
      err = davxml_stream_feed(stream, body + i, 1, NULL);
    EXPECT(err == DAVXML_DOCTYPE, "hostile body %" G_GSIZE_FORMAT ": error %d", k, err);
    EXPECT(i <= root,
           "hostile body %" G_GSIZE_FORMAT ": refused after byte %" G_GSIZE_FORMAT ", root at %" G_GSIZE_FORMAT, k, i,
           root);
    g_autofree char *detail = NULL;
    g_assert_cmpint(davxml_stream_feed(stream, body + i, strlen(body + i), NULL), ==, DAVXML_DOCTYPE);
    g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, &detail), ==, DAVXML_DOCTYPE);
    g_assert_nonnull(strstr(detail, "DOCTYPE"));
    g_assert_cmpuint(sink.count, ==, 0);
    EXPECT(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC, "hostile body %" G_GSIZE_FORMAT ": slow", k);
  }
}

/* The limit counts every byte fed; reaching it exactly is fine. */
static void test_stream_too_large(void) {
  const char *body = rfc6578_sync;
  gsize len = strlen(body);
  for (gsize pieces = 1; pieces <= 4; pieces++) {
    g_autoptr(DavStream) stream = davxml_stream_new(len - 1, NULL, NULL);
    gsize step = len / pieces + 1, from = 0;
    DavXmlError err = DAVXML_OK;
    g_autofree char *detail = NULL;
    while (from < len && err == DAVXML_OK) {
      gsize n = MIN(step, len - from);
      err = davxml_stream_feed(stream, body + from, n, &detail);
      from += n;
      if (from < len)
        g_assert_cmpint(err, ==, DAVXML_OK);
    }
    g_assert_cmpint(err, ==, DAVXML_TOO_LARGE);
    g_assert_nonnull(strstr(detail, "too large"));
    g_assert_cmpint(davxml_stream_feed(stream, "", 0, NULL), ==, DAVXML_TOO_LARGE);
    g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, NULL), ==, DAVXML_TOO_LARGE);
  }
  /* A byte at a time up to the limit exactly: read to the end. */
  g_autoptr(GString) out = g_string_new(NULL);
  Sink sink = {.out = out};
  g_autoptr(DavStream) stream = davxml_stream_new(len, sink_response, &sink);
  for (gsize i = 0; i < len; i++)
    g_assert_cmpint(davxml_stream_feed(stream, body + i, 1, NULL), ==, DAVXML_OK);
  g_autofree char *token = NULL;
  g_assert_cmpint(davxml_stream_finish(stream, &token, NULL, NULL), ==, DAVXML_OK);
  g_assert_cmpstr(token, ==, "http://example.com/ns/sync/1234");
  g_assert_cmpuint(sink.count, ==, 3);
  /* Nothing more may come once the limit is reached. */
  static const char small[] = "<multistatus xmlns=\"DAV:\"/>";
  g_autoptr(DavStream) full = davxml_stream_new(strlen(small), NULL, NULL);
  g_assert_cmpint(davxml_stream_feed(full, small, strlen(small), NULL), ==, DAVXML_OK);
  g_assert_cmpint(davxml_stream_feed(full, "\n", 1, NULL), ==, DAVXML_TOO_LARGE);
}

/* A body with one property of `n` bytes of text (`what` names the element). */
static char *long_value_body(const char *open, const char *close, gsize n) {
  GString *body = g_string_new("<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
                               "xmlns:X=\"urn:x\"><D:response><D:href>/a</D:href><D:propstat><D:prop>");
  g_string_append(body, open);
  for (gsize i = 0; i < n; i++)
    g_string_append_c(body, (char)('a' + i % 26));
  g_string_append(body, close);
  g_string_append(body, "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>");
  return g_string_free(body, FALSE);
}

/* Values are capped: 64 KB for names and tokens, the body's limit for
 * calendar data; text nobody reads is not kept, so it has no cap. */
static void test_stream_value_caps(void) {
  const gsize cap = 64 * 1024;
  static const struct {
    const char *open, *close;
    gsize n;
    gsize max_len;
    DavXmlError want;
  } rows[] = {
      {"<D:displayname>", "</D:displayname>", 64 * 1024, MAX_LEN, DAVXML_OK},
      {"<D:displayname>", "</D:displayname>", 64 * 1024 + 1, MAX_LEN, DAVXML_TOO_LARGE},
      {"<D:getetag><![CDATA[", "]]></D:getetag>", 64 * 1024 + 1, MAX_LEN, DAVXML_TOO_LARGE},
      {"<D:displayname><X:b>", "</X:b></D:displayname>", 500 * 1024, MAX_LEN, DAVXML_OK},
      {"<X:unknown>", "</X:unknown>", 900 * 1024, MAX_LEN, DAVXML_OK},
      {"<C:calendar-data>", "</C:calendar-data>", 900 * 1024, MAX_LEN, DAVXML_OK},
      /* ISO-8859-1 doubles in UTF-8: calendar data longer than the body's limit. */
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autofree char *body = long_value_body(rows[i].open, rows[i].close, rows[i].n);
    g_autoptr(DavMultistatus) ms = NULL;
    g_autofree char *detail = NULL;
    DavXmlError err = davxml_parse_multistatus(body, strlen(body), rows[i].max_len, &ms, &detail);
    EXPECT(err == rows[i].want, "value row %" G_GSIZE_FORMAT ": error %d (%s)", i, err, or_null(detail));
    if (err == DAVXML_TOO_LARGE)
      EXPECT(strstr(detail, "65536"), "value row %" G_GSIZE_FORMAT ": detail %s", i, detail);
  }
  g_autofree char *body = long_value_body("<D:displayname>", "</D:displayname>", cap);
  g_autoptr(DavMultistatus) ms = NULL;
  g_assert_cmpint(davxml_parse_multistatus(body, strlen(body), MAX_LEN, &ms, NULL), ==, DAVXML_OK);
  g_assert_cmpuint(strlen(((DavResponse *)g_ptr_array_index(ms->responses, 0))->displayname), ==, cap);

  /* 300 KB of Latin-1 calendar data is 600 KB in UTF-8: over a 400 KB limit. */
  GString *latin = g_string_new("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><D:multistatus xmlns:D=\"DAV:\" "
                                "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:response><D:href>/a</D:href>"
                                "<D:propstat><D:prop><C:calendar-data>");
  for (int i = 0; i < 300 * 1024; i++)
    g_string_append_c(latin, '\xE9');
  g_string_append(latin, "</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
                         "</D:response></D:multistatus>");
  g_autoptr(DavMultistatus) ms2 = NULL;
  g_autofree char *detail = NULL;
  g_assert_cmpint(davxml_parse_multistatus(latin->str, latin->len, 400 * 1024, &ms2, &detail), ==, DAVXML_TOO_LARGE);
  g_assert_nonnull(strstr(detail, "too long"));
  g_string_free(latin, TRUE);
}

/* The callback may take fields; finish may be asked for nothing. */
static gboolean steal_fields(DavResponse *resp, gpointer data) {
  GPtrArray *kept = data;
  g_ptr_array_add(kept, g_steal_pointer(&resp->href));
  g_free(g_steal_pointer(&resp->calendar_data));
  g_ptr_array_unref(g_steal_pointer(&resp->calendar_home_set));
  return TRUE;
}

static void test_stream_steal(void) {
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, steal_fields, kept);
  g_assert_cmpint(davxml_stream_feed(stream, principal_homes, strlen(principal_homes), NULL), ==, DAVXML_OK);
  g_assert_cmpint(davxml_stream_feed(stream, "", 0, NULL), ==, DAVXML_OK);
  g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, NULL), ==, DAVXML_OK);
  g_assert_cmpuint(kept->len, ==, 2);
  g_assert_cmpstr(g_ptr_array_index(kept, 0), ==, "/principals/users/alice/");

  g_autoptr(DavStream) with_data = davxml_stream_new(MAX_LEN, steal_fields, kept);
  g_assert_cmpint(davxml_stream_feed(with_data, rfc4791_query, strlen(rfc4791_query), NULL), ==, DAVXML_OK);
  g_autofree char *token = (char *)NULL;
  gboolean truncated = TRUE;
  g_assert_cmpint(davxml_stream_finish(with_data, &token, &truncated, NULL), ==, DAVXML_OK);
  g_assert_null(token);
  g_assert_false(truncated);
  g_assert_cmpuint(kept->len, ==, 4);

  g_autoptr(DavStream) truncated_507_stream = davxml_stream_new(MAX_LEN, NULL, NULL);
  g_assert_cmpint(davxml_stream_feed(truncated_507_stream, truncated_507, strlen(truncated_507), NULL), ==,
                  DAVXML_OK);
  g_assert_cmpint(davxml_stream_finish(truncated_507_stream, &token, &truncated, NULL), ==, DAVXML_OK);
  g_assert_cmpstr(token, ==, "http://example.com/ns/sync/1233");
  g_assert_true(truncated);
  davxml_stream_free(NULL);
}

/* Errors libxml2 raises without a parser context (a body in an encoding it
 * cannot convert) print nothing, and whatever error handlers the caller
 * had are in place afterwards. */
static int caller_errors;
static void caller_generic_error(void *ctx, const char *msg G_GNUC_UNUSED, ...) {
  g_assert_true(ctx == &caller_errors);
  caller_errors++;
}

/* The callback runs with the caller's handlers. */
static gboolean check_handlers(DavResponse *resp G_GNUC_UNUSED, gpointer data) {
  g_assert_true(xmlGenericError == caller_generic_error);
  g_assert_true(xmlGenericErrorContext == &caller_errors);
  (*(guint *)data)++;
  return TRUE;
}

static void test_stream_silent(void) {
  if (g_test_subprocess()) {
    xmlSetGenericErrorFunc(&caller_errors, caller_generic_error);
    guint calls = 0;
    g_autoptr(DavStream) stream = davxml_stream_new(MAX_LEN, check_handlers, &calls);
    g_assert_cmpint(davxml_stream_feed(stream, rfc4791_query, strlen(rfc4791_query), NULL), ==, DAVXML_OK);
    g_assert_cmpint(davxml_stream_finish(stream, NULL, NULL, NULL), ==, DAVXML_OK);
    g_assert_cmpuint(calls, ==, 2);
    g_autoptr(GArray) bodies = all_bodies();
    for (guint i = 0; i < bodies->len; i++) {
      const Body *b = &g_array_index(bodies, Body, i);
      g_autofree char *whole = whole_outcome(b->body, b->len, MAX_LEN);
      g_autofree char *bytes = byte_outcome(b->body, b->len, MAX_LEN);
      g_free(davxml_parse_error(b->body, b->len, MAX_LEN));
    }
    g_assert_true(xmlGenericError == caller_generic_error);
    g_assert_true(xmlGenericErrorContext == &caller_errors);
    g_assert_cmpint(caller_errors, ==, 0);
    return;
  }
  g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
  g_test_trap_assert_stdout("");
  g_test_trap_assert_stderr("");
}

/* ---- DAV header ------------------------------------------------------------------ */

static const struct {
  const char *header;
  const char *token;
  gboolean want;
} header_rows[] = {
    {"1, 2, 3, calendar-access, calendar-auto-schedule", "calendar-auto-schedule", TRUE},
    {"1, 2, 3, calendar-access, calendar-auto-schedule", "calendar-access", TRUE},
    {"1, 2, 3, calendar-access, calendar-auto-schedule", "1", TRUE},
    {"1, 2, 3, calendar-access, calendar-auto-schedule", "calendar", FALSE},
    {"1, 2, 3, calendar-access, calendar-auto-schedule", "auto-schedule", FALSE},
    {"1,2,3,Calendar-Access", "calendar-access", TRUE},
    {"1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, calendar-access, "
     "calendar-proxy, calendar-auto-schedule, calendar-availability, nc-calendar-trashbin",
     "calendar-auto-schedule", TRUE},
    {"  calendar-access  ", "calendar-access", TRUE},
    {"calendar-access,\tcalendar-schedule", "calendar-schedule", TRUE},
    {"calendar-access-x", "calendar-access", FALSE},
    {"xcalendar-access", "calendar-access", FALSE},
    {"1, , 3", "", FALSE},
    {"", "calendar-access", FALSE},
    {",,,", "calendar-access", FALSE},
    {NULL, "calendar-access", FALSE},
    {"calendar-access", NULL, FALSE},
};

static void test_header(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(header_rows); i++) {
    gboolean got = davxml_header_has(header_rows[i].header, header_rows[i].token);
    EXPECT(got == header_rows[i].want, "DAV \"%s\" has \"%s\": %d", header_rows[i].header ? header_rows[i].header : "NULL",
           header_rows[i].token ? header_rows[i].token : "NULL", got);
  }
}

/* ---- request bodies ------------------------------------------------------------- */

/* Reads a body back with libxml2: it must be well-formed, with a declared
 * namespace for every prefix (libxml2 reports an undeclared one as an error). */
static xmlDocPtr read_back(const char *body) {
  g_assert_nonnull(body);
  g_assert_true(g_utf8_validate(body, -1, NULL));
  g_assert_true(g_str_has_prefix(body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)strlen(body), "request.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  EXPECT(doc && ctxt->wellFormed && ctxt->nsWellFormed, "request body is not well-formed: %s", body);
  xmlFreeParserCtxt(ctxt);
  return doc;
}

/* The string value of an XPath expression, with d:, c:, cs:, x1: bound. */
static char *xpath(xmlDocPtr doc, const char *expr) {
  xmlXPathContextPtr x = xmlXPathNewContext(doc);
  xmlXPathRegisterNs(x, (const xmlChar *)"d", (const xmlChar *)DAV_NS);
  xmlXPathRegisterNs(x, (const xmlChar *)"c", (const xmlChar *)CALDAV_NS);
  xmlXPathRegisterNs(x, (const xmlChar *)"cs", (const xmlChar *)CS_NS);
  xmlXPathRegisterNs(x, (const xmlChar *)"x1", (const xmlChar *)APPLE_NS);
  xmlXPathObjectPtr v = xmlXPathEvalExpression((const xmlChar *)expr, x);
  g_assert_nonnull(v);
  xmlChar *s = xmlXPathCastToString(v);
  char *out = g_strdup((const char *)s);
  xmlFree(s);
  xmlXPathFreeObject(v);
  xmlXPathFreeContext(x);
  return out;
}

typedef struct {
  const char *expr;
  const char *want;
} Probe;

static void probe(const char *what, const char *body, const Probe *probes, gsize n) {
  xmlDocPtr doc = read_back(body);
  if (!doc)
    return;
  for (gsize i = 0; i < n; i++) {
    g_autofree char *got = xpath(doc, probes[i].expr);
    EXPECT(g_strcmp0(got, probes[i].want) == 0, "%s: %s = \"%s\", want \"%s\"", what, probes[i].expr, got,
           probes[i].want);
  }
  xmlFreeDoc(doc);
}

#define PROBE(what, body, ...)                                                                                 \
  do {                                                                                                         \
    static const Probe probes_[] = {__VA_ARGS__};                                                              \
    g_autofree char *body_ = (body);                                                                           \
    probe(what, body_, probes_, G_N_ELEMENTS(probes_));                                                        \
  } while (0)

static void test_propfind_bodies(void) {
  PROBE("principal", davxml_propfind_principal(), {"count(/d:propfind/d:prop/*)", "2"},
        {"count(/d:propfind/d:prop/d:current-user-principal)", "1"}, {"count(/d:propfind/d:prop/d:resourcetype)", "1"});
  PROBE("home", davxml_propfind_home(), {"count(/d:propfind/d:prop/*)", "1"},
        {"count(/d:propfind/d:prop/c:calendar-home-set)", "1"});
  PROBE("calendars light", davxml_propfind_calendars(FALSE), {"count(/d:propfind/d:prop/*)", "5"},
        {"count(/d:propfind/d:prop/cs:getctag)", "0"}, {"count(/d:propfind/d:prop/d:sync-token)", "0"});
  PROBE("sync-token alone", davxml_propfind_sync_token(), {"count(/d:propfind/d:prop/*)", "1"},
        {"count(/d:propfind/d:prop/d:sync-token)", "1"});
  PROBE("calendars", davxml_propfind_calendars(TRUE), {"count(/d:propfind/d:prop/*)", "7"},
        {"count(/d:propfind/d:prop/d:displayname)", "1"}, {"count(/d:propfind/d:prop/d:resourcetype)", "1"},
        {"count(/d:propfind/d:prop/x1:calendar-color)", "1"}, {"count(/d:propfind/d:prop/cs:getctag)", "1"},
        {"count(/d:propfind/d:prop/d:sync-token)", "1"},
        {"count(/d:propfind/d:prop/c:supported-calendar-component-set)", "1"},
        {"count(/d:propfind/d:prop/d:supported-report-set)", "1"});
  PROBE("ctag", davxml_propfind_ctag(), {"count(/d:propfind/d:prop/*)", "2"},
        {"count(/d:propfind/d:prop/cs:getctag)", "1"}, {"count(/d:propfind/d:prop/d:sync-token)", "1"});
  PROBE("getctag alone", davxml_propfind_getctag(), {"count(/d:propfind/d:prop/*)", "1"},
        {"count(/d:propfind/d:prop/cs:getctag)", "1"});
}

#define Q "/c:calendar-query"
#define VEVENT_FILTER Q "/c:filter/c:comp-filter[@name='VCALENDAR']/c:comp-filter[@name='VEVENT']"

static void test_calendar_query_bodies(void) {
  gint64 from = G_GINT64_CONSTANT(1772442000); /* 2026-03-02T09:00:00Z */
  gint64 to = G_GINT64_CONSTANT(1775152800);   /* 2026-04-02T18:00:00Z */
  PROBE("query with data", davxml_calendar_query(TRUE, from, to), {"count(" Q "/d:prop/d:getetag)", "1"},
        {"count(" Q "/d:prop/c:calendar-data)", "1"}, {"count(" Q "/c:filter/c:comp-filter)", "1"},
        {"count(" VEVENT_FILTER ")", "1"}, {"string(" VEVENT_FILTER "/c:time-range/@start)", "20260302T090000Z"},
        {"string(" VEVENT_FILTER "/c:time-range/@end)", "20260402T180000Z"});
  PROBE("query etags only", davxml_calendar_query(FALSE, from, to), {"count(" Q "/d:prop/*)", "1"},
        {"count(" Q "/d:prop/d:getetag)", "1"}, {"count(" VEVENT_FILTER "/c:time-range)", "1"});
  PROBE("query no window", davxml_calendar_query(TRUE, to, from), {"count(" VEVENT_FILTER ")", "1"},
        {"count(//c:time-range)", "0"});
  PROBE("query empty window", davxml_calendar_query(TRUE, from, from), {"count(//c:time-range)", "0"});
  PROBE("query old and far", davxml_calendar_query(FALSE, -1, G_GINT64_CONSTANT(253402300800)),
        {"string(//c:time-range/@start)", "19691231T235959Z"}, {"string(//c:time-range/@end)", "99991231T235959Z"});
  PROBE("query leap day", davxml_calendar_query(FALSE, G_GINT64_CONSTANT(951782400), G_GINT64_CONSTANT(951868799)),
        {"string(//c:time-range/@start)", "20000229T000000Z"}, {"string(//c:time-range/@end)", "20000229T235959Z"});
  PROBE("query extremes", davxml_calendar_query(FALSE, G_MININT64, G_MAXINT64),
        {"string(//c:time-range/@start)", "00010101T000000Z"}, {"string(//c:time-range/@end)", "99991231T235959Z"});
}

#define MG "/c:calendar-multiget"

static void test_multiget_bodies(void) {
  static const char *const hrefs[] = {"/cal/a&b.ics", "/cal/<x> \"q\" 'a'.ics", "/cal/caf\xC3\xA9.ics", NULL,
                                      "/cal/ctl\x01.ics", "/cal/bad\xFF.ics"};
  PROBE("multiget", davxml_multiget(hrefs, G_N_ELEMENTS(hrefs)), {"count(" MG "/d:prop/d:getetag)", "1"},
        {"count(" MG "/d:prop/c:calendar-data)", "1"}, {"count(" MG "/d:href)", "5"},
        {"string(" MG "/d:href[1])", "/cal/a&b.ics"}, {"string(" MG "/d:href[2])", "/cal/<x> \"q\" 'a'.ics"},
        {"string(" MG "/d:href[3])", "/cal/caf\xC3\xA9.ics"}, {"string(" MG "/d:href[4])", "/cal/ctl%01.ics"},
        {"string(" MG "/d:href[5])", "/cal/bad%FF.ics"});
  PROBE("multiget none", davxml_multiget(NULL, 3), {"count(" MG "/d:href)", "0"}, {"count(" MG "/d:prop/*)", "2"});
  g_autofree char *raw = davxml_multiget(hrefs, 2);
  g_assert_nonnull(strstr(raw, "/cal/a&amp;b.ics"));
  g_assert_nonnull(strstr(raw, "/cal/&lt;x&gt; &quot;q&quot; &apos;a&apos;.ics"));
}

#define SC "/d:sync-collection"

static void test_sync_collection_bodies(void) {
  PROBE("sync initial", davxml_sync_collection(NULL, 0, FALSE), {"count(" SC "/d:sync-token)", "1"},
        {"string(" SC "/d:sync-token)", ""}, {"count(" SC "/d:sync-token/node())", "0"},
        {"string(" SC "/d:sync-level)", "1"}, {"count(" SC "/d:limit)", "0"}, {"count(" SC "/d:prop/*)", "1"},
        {"count(" SC "/d:prop/d:getetag)", "1"}, {"local-name(" SC "/*[1])", "sync-token"},
        {"local-name(" SC "/*[2])", "sync-level"}, {"local-name(" SC "/*[3])", "prop"});
  PROBE("sync empty token", davxml_sync_collection("", 0, FALSE), {"count(" SC "/d:sync-token/node())", "0"});
  PROBE("sync next", davxml_sync_collection("http://sabre.io/ns/sync/43?a=1&b=<2>", 250, TRUE),
        {"string(" SC "/d:sync-token)", "http://sabre.io/ns/sync/43?a=1&b=<2>"},
        {"string(" SC "/d:limit/d:nresults)", "250"}, {"local-name(" SC "/*[1])", "sync-token"},
        {"local-name(" SC "/*[2])", "sync-level"}, {"local-name(" SC "/*[3])", "limit"},
        {"local-name(" SC "/*[4])", "prop"});
  PROBE("sync max limit", davxml_sync_collection("t", G_MAXUINT, FALSE), {"string(" SC "/d:limit/d:nresults)", "4294967295"});
  PROBE("sync with data", davxml_sync_collection("t", 0, TRUE), {"count(" SC "/d:prop/*)", "2"},
        {"count(" SC "/d:prop/d:getetag)", "1"}, {"count(" SC "/d:prop/c:calendar-data)", "1"});
  PROBE("sync without data", davxml_sync_collection("t", 0, FALSE), {"count(" SC "/d:prop/c:calendar-data)", "0"});
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/davxml/multistatus", test_multistatus);
  g_test_add_func("/davxml/response-limit", test_response_limit);
  g_test_add_func("/davxml/home-set-limit", test_home_set_limit);
  g_test_add_func("/davxml/size-limit", test_size_limit);
  g_test_add_func("/davxml/refusals", test_refusals);
  g_test_add_func("/davxml/refusals-silent", test_refusals_silent);
  g_test_add_func("/davxml/stream-splits", test_stream_splits);
  g_test_add_func("/davxml/stream-utf16", test_stream_utf16);
  g_test_add_func("/davxml/stream-encodings", test_stream_encodings);
  g_test_add_func("/davxml/stream-big", test_stream_big);
  g_test_add_func("/davxml/stream-cdata-line-ends", test_stream_cdata_line_ends);
  g_test_add_func("/davxml/stream-prompt", test_stream_prompt);
  g_test_add_func("/davxml/stream-stop", test_stream_stop);
  g_test_add_func("/davxml/stream-cut-short", test_stream_cut_short);
  g_test_add_func("/davxml/stream-doctype", test_stream_doctype);
  g_test_add_func("/davxml/stream-too-large", test_stream_too_large);
  g_test_add_func("/davxml/stream-value-caps", test_stream_value_caps);
  g_test_add_func("/davxml/stream-steal", test_stream_steal);
  g_test_add_func("/davxml/stream-silent", test_stream_silent);
  g_test_add_func("/davxml/error", test_error);
  g_test_add_func("/davxml/header", test_header);
  g_test_add_func("/davxml/propfind-bodies", test_propfind_bodies);
  g_test_add_func("/davxml/calendar-query-bodies", test_calendar_query_bodies);
  g_test_add_func("/davxml/multiget-bodies", test_multiget_bodies);
  g_test_add_func("/davxml/sync-collection-bodies", test_sync_collection_bodies);
  return g_test_run();
}
