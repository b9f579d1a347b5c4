/* davxml: the WebDAV/CalDAV XML diaryd sends and receives (RFC 4918, 4791,
 * 6578, 6764; Apple's and CalendarServer's properties).
 *
 * Pure: bodies are built in memory and responses parsed from memory.
 * Every response is hostile: parsing uses libxml2 without network access,
 * without entity substitution, DTD loading, XInclude or the HUGE option; a
 * document that has a DOCTYPE is refused before anything is read from it
 * (libxml2 2.9 expands internal entities on access), and so is one larger
 * than the caller's limit.  Element names are matched by namespace URI, not
 * by prefix.
 */
#pragma once

#include <glib.h>

#define DAV_NS "DAV:"
#define CALDAV_NS "urn:ietf:params:xml:ns:caldav"
#define CS_NS "http://calendarserver.org/ns/"
#define APPLE_NS "http://apple.com/ns/ical/"

typedef enum {
  DAVXML_OK,
  DAVXML_TOO_LARGE,        /* longer than the limit given, or one value read (href,
                            * status, etag, name, token) over 64 KB */
  DAVXML_NOT_XML,          /* not well-formed; for a multistatus, also one in an encoding
                            * other than UTF-8, UTF-16, ISO-8859-1 or US-ASCII */
  DAVXML_DOCTYPE,          /* has a DOCTYPE: refused */
  DAVXML_NOT_MULTISTATUS,  /* well-formed, but not the element expected */
  DAVXML_STOPPED,          /* the response callback asked to stop (streaming) */
} DavXmlError;

/* Components a calendar accepts (supported-calendar-component-set). */
enum { DAV_COMP_VEVENT = 1 << 0, DAV_COMP_VTODO = 1 << 1, DAV_COMP_VJOURNAL = 1 << 2 };

/* One DAV:response, with the properties of its 200 propstat (properties in
 * other propstats are absent) and its own status when it has one (a 404
 * member in a sync-collection report, a 507 for the request URI). */
typedef struct {
  char *href;             /* as sent (percent-encoding kept), never NULL */
  int status;             /* the response's DAV:status code, 0 if none */
  char *etag;             /* DAV:getetag, quotes kept */
  char *calendar_data;    /* CALDAV:calendar-data text */
  char *displayname;      /* DAV:displayname */
  char *color;            /* APPLE:calendar-color */
  char *ctag;             /* CS:getctag */
  char *sync_token;       /* DAV:sync-token as a property */
  char *current_user_principal; /* its DAV:href */
  GPtrArray *calendar_home_set; /* of char*: CALDAV:calendar-home-set hrefs, may be empty */
  gboolean is_collection; /* resourcetype has DAV:collection */
  gboolean is_calendar;   /* resourcetype has CALDAV:calendar */
  guint components;       /* DAV_COMP_* bits; 0 when the property is absent */
  gboolean sync_collection; /* supported-report-set lists DAV:sync-collection */
  gboolean calendar_auto_schedule; /* not in the XML: the caller sets it from the DAV header
                                    * of OPTIONS (davxml_header_has) */
} DavResponse;

typedef struct {
  GPtrArray *responses; /* of DavResponse*, in document order */
  char *sync_token;     /* the multistatus's own DAV:sync-token (RFC 6578), or NULL */
  gboolean truncated;   /* a response with status 507 (RFC 6578 §3.6): ask again */
} DavMultistatus;

void dav_multistatus_free(DavMultistatus *ms);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DavMultistatus, dav_multistatus_free)

/* Parses a 207 body.  On DAVXML_OK, *out is set (owned by the caller);
 * otherwise *out is untouched and *detail (may be NULL) receives a short
 * explanation for the user. */
DavXmlError davxml_parse_multistatus(const char *body, gsize len, gsize max_len, DavMultistatus **out,
                                     char **detail);

/* Streaming: the body is fed in chunks as it arrives and each DAV:response
 * is handed to `func` as soon as its end tag has been read, so memory stays
 * flat whatever the size of the body (a 10,000-event calendar-query).  The
 * same safety rules apply; `max_len` caps the bytes fed in all.  `func` gets
 * a response that is freed after the call; it may steal fields (setting
 * them to NULL).  It returns FALSE to stop: feed() then fails with
 * DAVXML_STOPPED. */
typedef gboolean (*DavResponseFunc)(DavResponse *resp, gpointer data);
typedef struct DavStream DavStream;

DavStream *davxml_stream_new(gsize max_len, DavResponseFunc func, gpointer data);
void davxml_stream_free(DavStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DavStream, davxml_stream_free)
/* After an error, later calls return the same error. */
DavXmlError davxml_stream_feed(DavStream *stream, const char *chunk, gsize len, char **detail);
/* Ends the body.  On DAVXML_OK, *sync_token (may be NULL) gets the
 * multistatus's DAV:sync-token and *truncated whether a response had
 * status 507. */
DavXmlError davxml_stream_finish(DavStream *stream, char **sync_token, gboolean *truncated, char **detail);

/* The precondition a DAV:error body names ("valid-sync-token",
 * "need-privileges", "no-uid-conflict", ...), local name only; NULL when the
 * body is not a DAV:error or names none.  Same safety rules. */
char *davxml_parse_error(const char *body, gsize len, gsize max_len);

/* Whether a DAV header (from OPTIONS) lists calendar-auto-schedule (RFC
 * 6638) and calendar-access (RFC 4791). */
gboolean davxml_header_has(const char *dav_header, const char *token);

/* Request bodies (UTF-8 XML, newly allocated). */
char *davxml_propfind_principal(void);  /* current-user-principal, resourcetype */
char *davxml_propfind_home(void);       /* calendar-home-set */
/* displayname, resourcetype, color, supported-calendar-component-set,
 * supported-report-set; with `with_state` also ctag and sync-token (which
 * some servers compute by reading every member: Radicale takes 0.5 s for
 * 10,000 events). */
char *davxml_propfind_calendars(gboolean with_state);
char *davxml_propfind_ctag(void);       /* getctag and sync-token only */
char *davxml_propfind_getctag(void);    /* getctag alone: the cheapest no-op check on Radicale */
char *davxml_propfind_sync_token(void); /* sync-token alone */
/* calendar-query for VEVENTs: getetag, with calendar-data when asked, within
 * [from, to) when from < to (instants; no time-range otherwise). */
char *davxml_calendar_query(gboolean with_data, gint64 from, gint64 to);
/* calendar-multiget of these hrefs (XML-escaped here): getetag and calendar-data. */
char *davxml_multiget(const char *const *hrefs, guint n);
/* sync-collection (RFC 6578): sync-level 1, getetag (and calendar-data when
 * asked); token NULL or "" for the initial sync; limit 0 for none. */
char *davxml_sync_collection(const char *token, guint limit, gboolean with_data);
