/* http: one HTTP client per thread, over a libcurl easy handle that keeps
 * its connections (and TLS sessions) between requests.
 *
 * Safety rules applied to every request, whatever the caller asks:
 * - TLS peer and host verification always on; an extra CA file may be
 *   added, never switched off.
 * - Redirects: at most 5, only to https (or to http when the request was
 *   http already, for servers on the loopback); credentials are never sent
 *   to a host other than the one the request was addressed to.
 * - Connect timeout 20 s; a transfer that moves under 100 bytes/s for 60 s
 *   (a server that accepted and went silent, or trickles: slowloris) is
 *   abandoned, and so is one that lasts longer than its deadline (10 min by
 *   default); all three fail with HTTP_ERROR_TIMEOUT.  libcurl averages the
 *   speed over the last 5 s, so the stall check fires up to 5 s late.  For
 *   tests only, DIARYD_TEST_HTTP_TIMEOUT=S (1-59) caps the first two at S
 *   seconds and the deadline at 3 S.  A response body is capped (counted
 *   as it arrives, whatever Content-Length says).
 * - gzip/deflate/brotli accepted; HTTP/2 used when the server offers it.
 * - Verbose output (--verbose) never shows Authorization, Cookie or
 *   Set-Cookie lines, nor request or response bodies.
 *
 * Errors: HTTP_ERROR with a message naming the method and URL (without any
 * userinfo), then libcurl's reason (which names the host and port of a
 * refused connection); a refused redirect names its target, an untrusted
 * certificate says that ca_file trusts a private authority.  A server's
 * answer of any status is not an error: it is in the HttpResponse.
 * HTTP_ERROR_TEMPORARY marks what a prompt retry may cure;
 * HTTP_ERROR_TIMEOUT, what only a later one may.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "httpdate.h"

#define HTTP_ERROR (http_error_quark())
GQuark http_error_quark(void);
typedef enum {
  HTTP_ERROR_TEMPORARY, /* refused connection, reset, truncated body: a retry may cure it */
  HTTP_ERROR_TLS,       /* certificate or TLS failure: not retried */
  HTTP_ERROR_TOO_LARGE, /* the body passed the cap */
  HTTP_ERROR_REDIRECT,  /* too many redirects, or to a refused scheme */
  HTTP_ERROR_ABORTED,   /* the sink refused the data */
  HTTP_ERROR_FAILED,    /* anything else (bad URL, out of memory) */
  HTTP_ERROR_TIMEOUT,   /* no connection, or no progress, in time: the wait was spent already */
} HttpErrorCode;

#define HTTP_DEFAULT_MAX_BODY (256u * 1024 * 1024)
#define HTTP_DEFAULT_TIMEOUT_S 600 /* a server trickling a reply cannot hold a sync longer */

typedef enum { HTTP_AUTH_NONE, HTTP_AUTH_BASIC, HTTP_AUTH_DIGEST, HTTP_AUTH_BEARER } HttpAuthKind;

typedef struct {
  const char *ca_file;   /* extra trusted CAs (PEM), NULL for the system's only */
  gsize max_body;        /* 0 = HTTP_DEFAULT_MAX_BODY */
  FILE *verbose;         /* headers are traced here when set (secrets removed) */
  const char *user_agent;/* NULL = "diaryd/VERSION" */
} HttpOptions;

typedef struct Http Http;

Http *http_new(const HttpOptions *opts);
void http_free(Http *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Http, http_free)

/* Credentials for the requests that follow (copied; wiped on change and
 * free).  Bearer: `secret` is the access token, `user` unused. */
void http_set_auth(Http *http, HttpAuthKind kind, const char *user, const char *secret);

/* Credentials go only to requests for this URL's origin (scheme, host,
 * port); NULL or an unreadable URL: to none.  A password may also go to https hosts in the same domain (the
 * host without its first label, when that keeps at least two labels:
 * caldav.icloud.com sends clients on to p42-caldav.icloud.com); a bearer
 * token never does.  Without a call, credentials go wherever the requests
 * are addressed (libcurl still drops them on redirects to other hosts). */
void http_limit_auth(Http *http, const char *url);

/* Receives the body of a 2xx response as it arrives, instead of
 * HttpResponse.body; returns FALSE to abort the transfer. */
typedef gboolean (*HttpSink)(const char *chunk, gsize len, gpointer data);

typedef struct {
  const char *method;       /* "GET", "PROPFIND", "REPORT", "POST", ... */
  const char *url;
  const char *depth;        /* Depth header value, or NULL */
  const char *content_type; /* for the body; NULL = "application/xml; charset=utf-8" */
  const char *body;         /* NULL for none */
  gsize body_len;           /* 0 = strlen(body) */
  const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
  gboolean no_redirects;    /* do not follow 3xx (the response carries Location) */
  gboolean no_auth;         /* send no credentials (token endpoints) */
  gsize max_body;           /* 0 = the Http's cap; else the smaller of the two */
  guint timeout_s;          /* the whole transfer; 0 = HTTP_DEFAULT_TIMEOUT_S */
  HttpSink sink;
  gpointer sink_data;
} HttpRequest;

typedef struct {
  long status;
  GString *body;          /* the body when there was no sink or the status was not 2xx */
  char *location;         /* Location of a 3xx that was not followed */
  char *effective_url;    /* the URL finally answered, after redirects */
  char *dav;              /* the DAV header (OPTIONS) */
  char *etag;             /* the ETag header, quotes kept */
  char *content_type;
  char *www_authenticate;
  gint64 retry_after;     /* seconds from now, clamped to [1, 6 h]; -1 when absent or unreadable */
  int redirects;
} HttpResponse;

void http_response_clear(HttpResponse *resp);

/* Sends one request and waits for the whole answer.  On TRUE `resp` holds
 * the answer (clear it afterwards); on FALSE `resp` is empty. */
gboolean http_send(Http *http, const HttpRequest *req, HttpResponse *resp, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* http_parse_retry_after(), Retry-After as seconds from now, is in
 * core/httpdate.h. */

/* Whether two URLs have one origin: scheme, host and port (a missing port
 * is the scheme's default). */
gboolean http_same_origin(const char *a, const char *b);

/* The URL with any userinfo and query removed, for messages. */
char *http_url_for_display(const char *url);

/* `ref` (an href or URL from a server) resolved against `base`. NULL when
 * it cannot be. */
char *http_resolve(const char *base, const char *ref);
