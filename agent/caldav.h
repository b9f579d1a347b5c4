/* caldav: discovery (RFC 6764, RFC 4791 §6) and sync of one calendar
 * collection into the store (RFC 6578, with the ctag / calendar-query /
 * calendar-multiget path for servers without it).
 *
 * How a calendar is synced (the cheapest request each server allows):
 * - With a stored ctag: a PROPFIND of it (Depth 0); unchanged → done.
 * - With a stored sync token: one sync-collection REPORT asking for
 *   getetag and calendar-data; pages truncated with 507 are followed (a
 *   page that gives back the token it was sent, or more than 1,000 pages,
 *   fail the sync); members the server lists without data are fetched with
 *   multiget.  A refused token (403/409 DAV:valid-sync-token, 412,
 *   Nextcloud's 418, Xandikos' 500) starts one full listing, not an error.
 * - Without a token (a first sync, a refused one, a server without the
 *   report): a PROPFIND of the token, then one calendar-query (with data
 *   when nothing is stored, else etags and a multiget of what changed).  A
 *   listing cut short (507) is never applied as the whole collection.
 * - Multigets go in batches that grow while the server answers quickly and
 *   shrink on 413 and 507; hrefs a server drops from a multiget, or sends
 *   without data, are fetched one by one.  A GET that fails for a while
 *   (5xx, 429) fails the sync; other refusals store the object as bad.
 * - Hrefs are normalised (percent-encoding) and must lie inside the
 *   collection, on its host.
 * Everything learnt is applied to the store in one transaction at the end,
 * so an interrupted sync leaves the previous state; a reply that broke off
 * after members arrived is not retried within the sync.
 *
 * Failures: 401/403 are not retried (servers lock accounts); 429 and 503
 * wait for Retry-After (up to CALDAV_MAX_WAIT, else the sync fails saying
 * when to retry); other 5xx and network errors are retried with
 * exponential backoff, three times.
 */
#pragma once

#include <glib.h>

#include "http.h"
#include "store.h"

#define CALDAV_ERROR (caldav_error_quark())
GQuark caldav_error_quark(void);
typedef enum {
  CALDAV_ERROR_AUTH,      /* 401, or 403 on a read: credentials refused */
  CALDAV_ERROR_GONE,      /* the collection answered 404/410 */
  CALDAV_ERROR_SERVER,    /* other HTTP statuses, after retries */
  CALDAV_ERROR_PROTOCOL,  /* a reply we cannot read (bad XML, missing parts) */
  CALDAV_ERROR_NOT_FOUND, /* discovery found no calendar */
  CALDAV_ERROR_BUSY,      /* 429/503 asking to wait longer than we will */
  CALDAV_ERROR_PRECONDITION, /* 412: the object is not as the write assumed (it exists, or changed) */
  CALDAV_ERROR_REFUSED,   /* 403/409/415/507 and other refusals of a write, with the server's reason */
} CaldavError;

#define CALDAV_MAX_WAIT 60        /* seconds a CLI sync waits on Retry-After */
#define CALDAV_MAX_OBJECT (4u << 20) /* larger calendar objects are refused */

typedef struct {
  char *url;           /* absolute, with a trailing slash */
  char *name;          /* display name, or the last path segment */
  char *color;         /* "#rrggbb" or NULL */
  guint components;    /* DAV_COMP_* bits, 0 when unknown */
  char *ctag;
  char *sync_token;
  gboolean sync_collection; /* the server lists sync-collection in supported-report-set */
} CaldavCalendar;

typedef struct {
  char *principal;       /* URL or NULL */
  GPtrArray *homes;      /* of char* URLs */
  GPtrArray *calendars;  /* of CaldavCalendar*, VEVENT-capable ones, by URL */
  char *dav;             /* the DAV header of the first calendar (OPTIONS), or NULL */
} CaldavDiscovery;

void caldav_calendar_free(CaldavCalendar *cal);
void caldav_discovery_free(CaldavDiscovery *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CaldavDiscovery, caldav_discovery_free)

/* Credentials for an Http, refreshed when a request answers 401 (OAuth2):
 * returns TRUE when it set new credentials worth one more try. */
typedef gboolean (*CaldavReauth)(Http *http, gpointer data, GError **error);

typedef struct {
  Http *http;
  CaldavReauth reauth;   /* may be NULL */
  gpointer reauth_data;
  gboolean quiet;        /* no progress output */
  gboolean with_state;   /* discovery also reads each calendar's ctag and token (costly on some servers) */
} CaldavClient;

/* From a bare host, a principal, a home or a calendar URL to the list of
 * calendars: .well-known/caldav (redirects followed), current-user-
 * principal, calendar-home-set, then the home's members.
 * Errors: CALDAV_ERROR_AUTH; HTTP_ERROR when no answer came (a refused
 * connection, a timeout, a certificate, a refused redirect: libcurl's
 * reason, naming the URL); CALDAV_ERROR_NOT_FOUND when answers came but
 * no calendar. */
CaldavDiscovery *caldav_discover(CaldavClient *client, const char *url, GError **error);

typedef struct {
  const char *method;  /* "sync-collection" or "calendar-query" (static) */
  guint requests;      /* HTTP requests made */
  guint fetched;       /* objects downloaded */
  gboolean resynced;   /* the token was refused and a full listing done */
  StoreResult result;  /* what the store did */
} CaldavSyncStats;

void caldav_sync_stats_clear(CaldavSyncStats *stats);

/* Progress: objects seen so far in this calendar's sync. */
typedef void (*CaldavProgress)(guint objects, gpointer data);

/* Syncs one stored calendar.  On FALSE nothing was applied. */
gboolean caldav_sync(CaldavClient *client, Store *store, gint64 calendar, CaldavProgress progress,
                     gpointer progress_data, CaldavSyncStats *stats, GError **error);

/* Whether a calendar at `url` still exists: FALSE only for a definite
 * 404/410 (errors count as existing). */
gboolean caldav_exists(CaldavClient *client, const char *url);

/* ---- writes ------------------------------------------------------------------------------ */

/* Writes one calendar object resource at `url` (RFC 4791 §5.3.2).
 * `if_match` NULL: a creation, sent with If-None-Match: * (nothing is
 * overwritten; 412 when the href exists); else a replacement sent with
 * If-Match: that ETag (412 when someone changed it since).  *etag (may be
 * NULL) gets the new ETag when the server gives one (Radicale and
 * Xandikos do; some servers don't: NULL then).  Not retried after the
 * request went out: a write is not idempotent across a lost answer.
 * Errors: CALDAV_ERROR_PRECONDITION (412), CALDAV_ERROR_AUTH,
 * CALDAV_ERROR_REFUSED (the status and the server's precondition, e.g.
 * CALDAV:no-uid-conflict), HTTP_ERROR for the transport. */
gboolean caldav_put(CaldavClient *client, const char *url, const char *ical, const char *if_match, char **etag,
                    GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* Deletes the object at `url`, If-Match `if_match` (NULL: unconditionally).
 * A 404 counts as done.  Errors as caldav_put(). */
gboolean caldav_delete(CaldavClient *client, const char *url, const char *if_match, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

/* GETs one object: its text and ETag.  NULL with CALDAV_ERROR_GONE for
 * 404/410. */
char *caldav_get(CaldavClient *client, const char *url, char **etag, GError **error) G_GNUC_WARN_UNUSED_RESULT;
