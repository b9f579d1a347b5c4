/* http: see http.h.
 *
 * One easy handle per Http.  curl_easy_reset() between requests clears the
 * options but keeps the connection cache, the TLS session cache and the DNS
 * cache, so consecutive requests to one server reuse one connection; every
 * option is then set again from scratch, so nothing a previous request
 * asked for (a sink, a body, a method) can leak into the next.
 *
 * The body cap is enforced in the write callback, by counting: libcurl
 * 7.88's CURLOPT_MAXFILESIZE_LARGE only looks at a Content-Length the
 * server chose to send.  Retry-After is read from the header ourselves, by
 * core/httpdate (pure, and fuzzed on its own): CURLINFO_RETRY_AFTER may be
 * negative before libcurl 8.12.
 *
 * Credentials and redirects: libcurl does not send credentials set with
 * CURLOPT_USERNAME/PASSWORD or CURLOPT_XOAUTH2_BEARER to a host other than
 * the first one when it follows a redirect (CURLOPT_UNRESTRICTED_AUTH stays
 * off, cf. CVE-2022-27774), which is exactly the rule we want; we never put
 * an Authorization header in the custom header list, where that protection
 * would depend on the libcurl version.
 */
#include "http.h"

#include "secret.h"

#include <curl/curl.h>
#include <string.h>

#ifndef DIARYD_VERSION
#define DIARYD_VERSION "0.1.0"
#endif

#define MAX_REDIRECTS 5
#define CONNECT_TIMEOUT_S 20
/* A transfer moving fewer than LOW_SPEED_LIMIT bytes a second for
 * LOW_SPEED_TIME seconds is abandoned: a server thinking before it answers
 * sends nothing at all for a while (any limit catches that alike), and a
 * real reply, even over a poor link, moves far faster than 100 bytes a
 * second; a server trickling a byte at a time (slowloris) is cut after a
 * minute instead of at the transfer's deadline. */
#define LOW_SPEED_LIMIT_BPS 100
#define LOW_SPEED_TIME_S 60
/* For tests: caps the connect and stall times at this many seconds, and
 * each transfer's deadline at three times as many (lower only). */
#define TEST_TIMEOUT_ENV "DIARYD_TEST_HTTP_TIMEOUT"
#define MAX_ERROR_BODY (1024 * 1024)
#define MAX_HEADER_VALUE 8192

G_DEFINE_QUARK(diaryd-http-error-quark, http_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CURLU, curl_url_cleanup)

struct Http {
  CURL *easy;
  char *ca_file;
  gsize max_body;
  FILE *verbose; /* not owned */
  char *user_agent;
  HttpAuthKind auth;
  char *user;
  char *secret;
  GUri *auth_origin;
  gboolean auth_limited; /* credentials only to auth_origin (none when it is NULL) */
  long connect_s;        /* CONNECT_TIMEOUT_S, or less for tests */
  long stall_s;          /* LOW_SPEED_TIME_S, or less for tests */
  long deadline_cap_s;   /* no transfer lasts longer (0: the request's own deadline) */
};

static void global_init(void) {
  static gsize done;
  if (g_once_init_enter(&done)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&done, 1);
  }
}

Http *http_new(const HttpOptions *opts) {
  global_init();
  Http *http = g_new0(Http, 1);
  http->easy = curl_easy_init();
  if (!http->easy)
    g_error("libcurl could not create a handle (out of memory)");
  http->ca_file = g_strdup(opts ? opts->ca_file : NULL);
  http->max_body = opts && opts->max_body ? opts->max_body : HTTP_DEFAULT_MAX_BODY;
  http->verbose = opts ? opts->verbose : NULL;
  http->user_agent = g_strdup(opts && opts->user_agent ? opts->user_agent : "diaryd/" DIARYD_VERSION);
  http->connect_s = CONNECT_TIMEOUT_S;
  http->stall_s = LOW_SPEED_TIME_S;
  const char *test = g_getenv(TEST_TIMEOUT_ENV);
  if (test) {
    char *end;
    guint64 v = g_ascii_strtoull(test, &end, 10);
    if (end != test && !*end && v >= 1 && v < LOW_SPEED_TIME_S) {
      http->connect_s = MIN((long)v, CONNECT_TIMEOUT_S);
      http->stall_s = (long)v;
      http->deadline_cap_s = 3 * (long)v;
    }
  }
  return http;
}

void http_free(Http *http) {
  if (!http)
    return;
  curl_easy_cleanup(http->easy);
  g_free(http->ca_file);
  g_free(http->user_agent);
  secret_free(http->user);
  secret_free(http->secret);
  if (http->auth_origin)
    g_uri_unref(http->auth_origin);
  g_free(http);
}

void http_limit_auth(Http *http, const char *url) {
  if (http->auth_origin)
    g_uri_unref(http->auth_origin);
  http->auth_origin = url ? g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL) : NULL;
  http->auth_limited = TRUE; /* an unreadable URL sends credentials nowhere */
}

static int port_of(GUri *uri) {
  int port = g_uri_get_port(uri);
  return port > 0 ? port : !g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") ? 443 : 80;
}

static gboolean uri_same_origin(GUri *a, GUri *b) {
  return g_uri_get_host(a) && g_uri_get_host(b) && !g_ascii_strcasecmp(g_uri_get_scheme(a), g_uri_get_scheme(b)) &&
         !g_ascii_strcasecmp(g_uri_get_host(a), g_uri_get_host(b)) && port_of(a) == port_of(b);
}

gboolean http_same_origin(const char *a, const char *b) {
  g_autoptr(GUri) x = g_uri_parse(a, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  g_autoptr(GUri) y = g_uri_parse(b, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  return x && y && uri_same_origin(x, y);
}

/* The parent domain of a DNS name ("icloud.com" for "caldav.icloud.com"),
 * when it keeps two labels or more; NULL for addresses.  Without a public
 * suffix list, parents under two-letter top-level domains are refused:
 * that is where two-label suffixes live (co.uk, com.au, github.io). */
static const char *parent_domain(const char *host) {
  if (!host || strchr(host, ':') || g_hostname_is_ip_address(host))
    return NULL;
  const char *dot = strchr(host, '.');
  if (!dot || !strchr(dot + 1, '.'))
    return NULL;
  const char *tld = strrchr(host, '.') + 1;
  return strlen(tld) > 2 ? dot + 1 : NULL;
}

static gboolean may_send_auth(const Http *http, const char *url) {
  if (!http->auth_limited)
    return TRUE;
  if (!http->auth_origin)
    return FALSE;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (!uri || !g_uri_get_host(uri))
    return FALSE;
  GUri *o = http->auth_origin;
  const char *host = g_uri_get_host(uri), *ohost = g_uri_get_host(o);
  if (!ohost)
    return FALSE;
  if (uri_same_origin(uri, o))
    return TRUE;
  if (http->auth == HTTP_AUTH_BEARER || g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") ||
      port_of(uri) != port_of(o))
    return FALSE;
  const char *domain = parent_domain(ohost);
  gsize hl = strlen(host), dl = domain ? strlen(domain) : 0;
  return domain && hl > dl + 1 && host[hl - dl - 1] == '.' && !g_ascii_strcasecmp(host + hl - dl, domain);
}

void http_set_auth(Http *http, HttpAuthKind kind, const char *user, const char *secret) {
  secret_free(http->user);
  secret_free(http->secret);
  http->auth = kind;
  http->user = g_strdup(user);
  http->secret = g_strdup(secret);
}

void http_response_clear(HttpResponse *resp) {
  if (resp->body)
    g_string_free(resp->body, TRUE);
  g_free(resp->location);
  g_free(resp->effective_url);
  g_free(resp->dav);
  g_free(resp->etag);
  g_free(resp->content_type);
  g_free(resp->www_authenticate);
  memset(resp, 0, sizeof *resp);
  resp->retry_after = -1;
}

/* ---- URLs ------------------------------------------------------------------ */

char *http_url_for_display(const char *url) {
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (!uri)
    return g_strdup("(an unreadable URL)");
  g_autoptr(GUri) clean = g_uri_build(G_URI_FLAGS_ENCODED, g_uri_get_scheme(uri), NULL, g_uri_get_host(uri),
                                      g_uri_get_port(uri), g_uri_get_path(uri), NULL, NULL);
  return g_uri_to_string(clean);
}

char *http_resolve(const char *base, const char *ref) {
  if (!ref || !*ref)
    return NULL;
  g_autoptr(GError) error = NULL;
  char *out = g_uri_resolve_relative(base, ref, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, &error);
  if (!out)
    return NULL;
  if (!g_str_has_prefix(out, "https://") && !g_str_has_prefix(out, "http://")) {
    g_free(out);
    return NULL;
  }
  return out;
}

static char *without_userinfo(const char *url) {
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (!uri || !g_uri_get_userinfo(uri))
    return g_strdup(url);
  g_autoptr(GUri) clean = g_uri_build(G_URI_FLAGS_ENCODED, g_uri_get_scheme(uri), NULL, g_uri_get_host(uri),
                                      g_uri_get_port(uri), g_uri_get_path(uri), g_uri_get_query(uri), NULL);
  return g_uri_to_string(clean);
}

/* ---- one transfer --------------------------------------------------------------- */

typedef struct {
  Http *http;
  const HttpRequest *req;
  HttpResponse *resp;
  gsize received;
  gboolean too_large;
  gboolean sink_refused;
  gboolean sinking; /* decided at the first body byte of the final response */
  gboolean decided;
  gsize max_body; /* the request's cap */
} Transfer;

static char *header_value(const char *line, gsize len, const char *name) {
  gsize n = strlen(name);
  if (len <= n || g_ascii_strncasecmp(line, name, n) != 0 || line[n] != ':')
    return NULL;
  const char *v = line + n + 1;
  const char *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if ((gsize)(end - v) > MAX_HEADER_VALUE)
    end = v + MAX_HEADER_VALUE;
  return g_strndup(v, end - v);
}

static void take_header(char **slot, char *value) {
  if (!value)
    return;
  g_free(*slot);
  *slot = value;
}

static size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata) {
  Transfer *t = userdata;
  gsize len = size * nitems;
  HttpResponse *r = t->resp;
  if (len >= 5 && memcmp(buffer, "HTTP/", 5) == 0) {
    /* A new response (after a redirect or a 100 Continue): forget the
     * previous one's headers. */
    g_clear_pointer(&r->location, g_free);
    g_clear_pointer(&r->dav, g_free);
    g_clear_pointer(&r->etag, g_free);
    g_clear_pointer(&r->content_type, g_free);
    g_clear_pointer(&r->www_authenticate, g_free);
    r->retry_after = -1;
    return len;
  }
  take_header(&r->location, header_value(buffer, len, "Location"));
  take_header(&r->content_type, header_value(buffer, len, "Content-Type"));
  take_header(&r->etag, header_value(buffer, len, "ETag"));
  take_header(&r->www_authenticate, header_value(buffer, len, "WWW-Authenticate"));
  char *dav = header_value(buffer, len, "DAV");
  if (dav) {
    /* DAV may be sent as several header lines: join them. */
    if (r->dav) {
      char *joined = g_strconcat(r->dav, ", ", dav, NULL);
      g_free(dav);
      dav = joined;
    }
    take_header(&r->dav, dav);
  }
  g_autofree char *retry = header_value(buffer, len, "Retry-After");
  if (retry)
    r->retry_after = http_parse_retry_after(retry, g_get_real_time() / G_USEC_PER_SEC);
  return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  Transfer *t = userdata;
  gsize len = size * nmemb;
  if (!t->decided) {
    long status = 0;
    curl_easy_getinfo(t->http->easy, CURLINFO_RESPONSE_CODE, &status);
    t->sinking = t->req->sink && status >= 200 && status < 300;
    t->decided = TRUE;
  }
  t->received += len;
  /* An error reply to a streamed request is kept for the message, so it
   * gets a smaller cap. */
  if (t->received > t->max_body || (t->req->sink && !t->sinking && t->received > MAX_ERROR_BODY)) {
    t->too_large = TRUE;
    return CURL_WRITEFUNC_ERROR;
  }
  if (t->sinking) {
    if (!t->req->sink(data, len, t->req->sink_data)) {
      t->sink_refused = TRUE;
      return CURL_WRITEFUNC_ERROR;
    }
    return len;
  }
  if (!t->resp->body)
    t->resp->body = g_string_sized_new(MIN(len, 1 << 16));
  g_string_append_len(t->resp->body, data, len);
  return len;
}

/* Whether a trace line mentions a secret header anywhere: libcurl 7.88
 * logs HTTP/2 request headers as text ("h2h3 [authorization: Basic ...]"). */
static gboolean mentions_secret(const char *line, gsize len) {
  static const char *const names[] = {"authorization", "cookie"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    gsize n = strlen(names[i]);
    for (gsize at = 0; at + n <= len; at++)
      if (g_ascii_strncasecmp(line + at, names[i], n) == 0)
        return TRUE;
  }
  return FALSE;
}

/* Headers whose values must never be shown. */
static gboolean is_secret_header(const char *line, gsize len) {
  static const char *const names[] = {"authorization:", "proxy-authorization:", "cookie:", "set-cookie:"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    gsize n = strlen(names[i]);
    if (len >= n && g_ascii_strncasecmp(line, names[i], n) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Traces headers line by line, with secrets replaced; bodies are never
 * shown (they may hold private appointments). */
/* A line of libcurl's own text with every URL's user information
 * ("scheme://user:password@host") replaced: libcurl names the URL it
 * follows a redirect to with the credentials in it. */
static char *hide_userinfo(const char *line) {
  GString *out = g_string_new(NULL);
  const char *p = line;
  for (const char *s; (s = strstr(p, "://"));) {
    const char *auth = s + 3, *stop = auth + strcspn(auth, "/?#'\" <> \t");
    const char *at = NULL;
    for (const char *c = auth; c < stop; c++)
      if (*c == '@')
        at = c;
    g_string_append_len(out, p, auth - p);
    if (at)
      g_string_append(out, "(hidden)");
    p = at ? at : auth;
  }
  g_string_append(out, p);
  return g_string_free(out, FALSE);
}

/* Whether a line holds the secret itself, as given or %-encoded. */
static gboolean holds_secret(const Http *http, const char *line) {
  if (!http->secret || !*http->secret)
    return FALSE;
  if (strstr(line, http->secret))
    return TRUE;
  g_autofree char *escaped = g_uri_escape_string(http->secret, NULL, FALSE);
  return strstr(line, escaped) != NULL;
}

static int on_debug(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata) {
  (void)handle;
  Http *http = userdata;
  const char *prefix = type == CURLINFO_HEADER_OUT ? "> " : type == CURLINFO_HEADER_IN ? "< " : NULL;
  if (type == CURLINFO_TEXT)
    prefix = "* ";
  if (!prefix)
    return 0;
  const char *p = data, *end = data + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', end - p);
    const char *line_end = nl ? nl : end;
    gsize n = line_end - p;
    if (n && p[n - 1] == '\r')
      n--;
    if (n) {
      if (is_secret_header(p, n)) {
        const char *colon = memchr(p, ':', n);
        fprintf(http->verbose, "diaryd: http %s%.*s: (hidden)\n", prefix, (int)(colon - p), p);
      } else if (mentions_secret(p, n)) {
        fprintf(http->verbose, "diaryd: http %s(a line naming a secret header, hidden)\n", prefix);
      } else {
        g_autofree char *raw = g_strndup(p, n);
        g_autofree char *line = hide_userinfo(raw);
        for (char *c = line; *c; c++)
          if ((guchar)*c < 0x20 || *c == 0x7f)
            *c = '?';
        if (holds_secret(http, line))
          fprintf(http->verbose, "diaryd: http %s(a line holding the password, hidden)\n", prefix);
        else
          fprintf(http->verbose, "diaryd: http %s%s\n", prefix, line);
      }
    }
    p = nl ? nl + 1 : end;
  }
  return 0;
}

static gboolean is_http_url(const char *url) { return g_ascii_strncasecmp(url, "http://", 7) == 0; }

/* Why a redirect was not followed (libcurl says only that the protocol is
 * "not supported or disabled"), or NULL when the request was not
 * redirected. */
static char *refused_redirect(CURL *e, const HttpRequest *req) {
  long redirects = 0;
  char *target = NULL;
  curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &target);
  if (!target || (redirects == 0 && !strcmp(target, req->url)))
    return NULL;
  g_autofree char *shown = http_url_for_display(target);
  if (is_http_url(target) && !is_http_url(req->url))
    return g_strdup_printf("redirected to %s: refused: an https address may not send diaryd to plain http", shown);
  return g_strdup_printf("redirected to %s: refused: only http and https addresses are followed", shown);
}

/* OpenSSL's verification results that mean "signed by nobody we trust"
 * (x509_vfy.h: UNABLE_TO_GET_ISSUER_CERT, DEPTH_ZERO_SELF_SIGNED_CERT,
 * SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY). */
static char *untrusted_hint(CURL *e, const char *why) {
  long verify = 0;
  if (curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &verify) != CURLE_OK)
    return NULL;
  if (verify != 2 && verify != 18 && verify != 19 && verify != 20)
    return NULL;
  return g_strdup_printf("%s (the certificate is not signed by a trusted authority: for a private one, name its "
                         "certificate with ca_file)",
                         why);
}

static void fail_transfer(GError **error, HttpErrorCode code, const HttpRequest *req, const char *why) {
  g_autofree char *shown = http_url_for_display(req->url);
  g_set_error(error, HTTP_ERROR, code, "%s %s: %s", req->method, shown, why);
}

gboolean http_send(Http *http, const HttpRequest *req, HttpResponse *resp, GError **error) {
  CURL *e = http->easy;
  curl_easy_reset(e);
  memset(resp, 0, sizeof *resp);
  resp->retry_after = -1;

  g_autoptr(CURLU) check = curl_url();
  if (curl_url_set(check, CURLUPART_URL, req->url, 0) != CURLUE_OK ||
      (g_ascii_strncasecmp(req->url, "https://", 8) != 0 && !is_http_url(req->url))) {
    fail_transfer(error, HTTP_ERROR_FAILED, req, "not an http or https URL");
    return FALSE;
  }

  Transfer t = {.http = http, .req = req, .resp = resp,
                .max_body = req->max_body && req->max_body < http->max_body ? req->max_body : http->max_body};
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(e, CURLOPT_URL, req->url);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, is_http_url(req->url) ? "http,https" : "https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->no_redirects ? 0L : 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
  curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (http->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, http->ca_file);
  long deadline = req->timeout_s ? (long)req->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
  if (http->deadline_cap_s && deadline > http->deadline_cap_s)
    deadline = http->deadline_cap_s;
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, http->connect_s);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_LIMIT_BPS);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, http->stall_s);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, deadline);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  if (http->verbose) {
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, http);
  }

  if (!req->no_auth && http->auth != HTTP_AUTH_NONE && http->secret && may_send_auth(http, req->url)) {
    if (http->auth == HTTP_AUTH_BEARER) {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
      curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, http->secret);
    } else {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)(http->auth == HTTP_AUTH_DIGEST ? CURLAUTH_DIGEST : CURLAUTH_BASIC));
      curl_easy_setopt(e, CURLOPT_USERNAME, http->user ? http->user : "");
      curl_easy_setopt(e, CURLOPT_PASSWORD, http->secret);
    }
  }

  if (!strcmp(req->method, "GET")) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (!strcmp(req->method, "HEAD")) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(req->body ? (req->body_len ? req->body_len : strlen(req->body)) : 0));
    /* Keep the method on 301/302/303: PROPFIND must stay PROPFIND. */
    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
  }

  struct curl_slist *headers = NULL;
  g_autofree char *depth = req->depth ? g_strdup_printf("Depth: %s", req->depth) : NULL;
  g_autofree char *ctype = g_strdup_printf("Content-Type: %s",
                                           req->content_type ? req->content_type : "application/xml; charset=utf-8");
  if (depth)
    headers = curl_slist_append(headers, depth);
  if (req->body)
    headers = curl_slist_append(headers, ctype);
  headers = curl_slist_append(headers, "Expect:");
  for (const char *const *h = req->headers; h && *h; h++)
    if (!strchr(*h, '\r') && !strchr(*h, '\n') && !is_secret_header(*h, strlen(*h)))
      headers = curl_slist_append(headers, *h);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(e);
  curl_slist_free_all(headers);

  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    http_response_clear(resp);
    HttpErrorCode code = HTTP_ERROR_FAILED;
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    g_autofree char *detail = NULL;
    if (t.too_large) {
      code = HTTP_ERROR_TOO_LARGE;
      g_autofree char *limit = g_format_size(req->sink && !t.sinking ? MAX_ERROR_BODY : t.max_body);
      detail = g_strdup_printf("the reply is larger than %s: refused", limit);
      why = detail;
    } else if (t.sink_refused) {
      code = HTTP_ERROR_ABORTED;
      why = "the reply could not be read";
    } else {
      switch (rc) {
      case CURLE_FILESIZE_EXCEEDED:
        code = HTTP_ERROR_TOO_LARGE;
        break;
      case CURLE_TOO_MANY_REDIRECTS:
        code = HTTP_ERROR_REDIRECT;
        break;
      case CURLE_UNSUPPORTED_PROTOCOL:
        code = HTTP_ERROR_REDIRECT;
        detail = refused_redirect(e, req);
        why = detail ? detail : why;
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
        code = HTTP_ERROR_TLS;
        detail = untrusted_hint(e, why);
        why = detail ? detail : why;
        break;
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_INVALIDCERTSTATUS:
        code = HTTP_ERROR_TLS;
        break;
      case CURLE_OPERATION_TIMEDOUT:
        code = HTTP_ERROR_TIMEOUT;
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_PARTIAL_FILE:
      case CURLE_GOT_NOTHING:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
      case CURLE_BAD_CONTENT_ENCODING:
        code = HTTP_ERROR_TEMPORARY;
        break;
      default:
        break;
      }
    }
    fail_transfer(error, code, req, why);
    return FALSE;
  }
  resp->status = status;
  char *final_url = NULL;
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &final_url);
  /* libcurl puts the user name and password into the effective URL. */
  resp->effective_url = without_userinfo(final_url ? final_url : req->url);
  long redirects = 0;
  curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
  resp->redirects = (int)redirects;
  if (status >= 300 && status < 400 && !req->no_redirects && resp->location) {
    /* A 3xx that libcurl did not follow: the scheme was refused. */
    http_response_clear(resp);
    fail_transfer(error, HTTP_ERROR_REDIRECT, req, "redirected to a refused address");
    return FALSE;
  }
  return TRUE;
}
