/* Tests for agent/oauth.c: the token file (modes, atomic replacement,
 * damage, mode drift, a changed token_url), refresh and its failures
 * against a scripted token endpoint in this process, one refresh among
 * concurrent callers, invalidation, and the authorisation flow end to end
 * with the test acting as the browser.  Every secret is a "canary-" string
 * that no error message may contain. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oauth.h"
#include "testutil.h"

static char *state_home; /* $XDG_STATE_HOME for the whole run */

/* ---- a scripted token endpoint ----------------------------------------------------------- */

typedef struct {
  char *method, *path, *content_type, *body;
  GHashTable *form; /* the body, decoded */
} Req;

static void req_free(gpointer p) {
  Req *r = p;
  g_free(r->method);
  g_free(r->path);
  g_free(r->content_type);
  g_free(r->body);
  if (r->form)
    g_hash_table_unref(r->form);
  g_free(r);
}

typedef struct {
  int listener;
  int stop[2];
  GThread *thread;
  char *url;
  GMutex lock;
  GPtrArray *requests; /* of Req* */
  int status;          /* the answer to every request */
  char *reply;
  guint delay_ms;
} Fake;

static gboolean read_request(int fd, Req *r) {
  GString *in = g_string_new(NULL);
  char buf[4096];
  const char *head_end = NULL;
  gsize body_len = 0;
  for (;;) {
    if (!head_end && (head_end = strstr(in->str, "\r\n\r\n"))) {
      g_autofree char *head = g_strndup(in->str, head_end - in->str);
      g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
      g_auto(GStrv) rl = g_strsplit(lines[0], " ", 3);
      r->method = g_strdup(rl[0]);
      r->path = g_strdup(rl[1]);
      for (char **l = lines + 1; *l; l++) {
        if (!g_ascii_strncasecmp(*l, "content-length:", 15))
          body_len = strtoul(*l + 15, NULL, 10);
        if (!g_ascii_strncasecmp(*l, "content-type:", 13))
          r->content_type = g_strstrip(g_strdup(*l + 13));
      }
    }
    if (head_end && in->len >= (gsize)(head_end - in->str) + 4 + body_len)
      break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      g_string_free(in, TRUE);
      return FALSE;
    }
    gssize off = head_end ? head_end - in->str : -1;
    g_string_append_len(in, buf, n);
    if (off >= 0)
      head_end = in->str + off;
  }
  r->body = g_strndup(head_end + 4, body_len);
  r->form = g_uri_parse_params(r->body, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  g_string_free(in, TRUE);
  return TRUE;
}

static gpointer fake_main(gpointer data) {
  Fake *f = data;
  for (;;) {
    struct pollfd pfd[2] = {{.fd = f->listener, .events = POLLIN}, {.fd = f->stop[0], .events = POLLIN}};
    if (poll(pfd, 2, -1) < 0 && errno == EINTR)
      continue;
    if (pfd[1].revents)
      return NULL;
    int fd = accept(f->listener, NULL, NULL);
    if (fd < 0)
      continue;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Req *r = g_new0(Req, 1);
    if (!read_request(fd, r)) {
      req_free(r);
      close(fd);
      continue;
    }
    g_mutex_lock(&f->lock);
    g_ptr_array_add(f->requests, r);
    int status = f->status;
    g_autofree char *reply = g_strdup(f->reply);
    guint delay = f->delay_ms;
    g_mutex_unlock(&f->lock);
    if (delay)
      g_usleep(delay * 1000);
    g_autofree char *msg =
        g_strdup_printf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                        "Connection: close\r\n\r\n%s",
                        status, strlen(reply), reply);
    if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
      g_printerr("# fake token endpoint: send: %s\n", g_strerror(errno));
    close(fd);
  }
}

static int listen_any(guint16 *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  g_assert_cmpint(listen(fd, 16), ==, 0);
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

static Fake *fake_new(void) {
  Fake *f = g_new0(Fake, 1);
  guint16 port;
  f->listener = listen_any(&port);
  g_assert_cmpint(pipe(f->stop), ==, 0);
  f->url = g_strdup_printf("http://127.0.0.1:%u/token", port);
  g_mutex_init(&f->lock);
  f->requests = g_ptr_array_new_with_free_func(req_free);
  f->status = 200;
  f->reply = g_strdup("{\"access_token\":\"canary-access-2\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
  f->thread = g_thread_new("fake-token-endpoint", fake_main, f);
  return f;
}

static void fake_free(Fake *f) {
  g_assert_cmpint(write(f->stop[1], "x", 1), ==, 1);
  g_thread_join(f->thread);
  close(f->stop[0]);
  close(f->stop[1]);
  close(f->listener);
  g_ptr_array_unref(f->requests);
  g_mutex_clear(&f->lock);
  g_free(f->url);
  g_free(f->reply);
  g_free(f);
}

static void fake_script(Fake *f, int status, const char *reply) {
  g_mutex_lock(&f->lock);
  f->status = status;
  g_free(f->reply);
  f->reply = g_strdup(reply);
  g_mutex_unlock(&f->lock);
}

static guint fake_count(Fake *f) {
  g_mutex_lock(&f->lock);
  guint n = f->requests->len;
  g_mutex_unlock(&f->lock);
  return n;
}

/* The i-th request's form field. */
static const char *fake_field(Fake *f, guint i, const char *name) {
  g_mutex_lock(&f->lock);
  const char *v = NULL;
  if (i < f->requests->len) {
    Req *r = f->requests->pdata[i];
    v = r->form ? g_hash_table_lookup(r->form, name) : NULL;
  }
  g_mutex_unlock(&f->lock);
  return v;
}

/* ---- fixture ------------------------------------------------------------------------------- */

typedef struct {
  Fake *fake;
  Account account;
  Http *http;
  char *dir;  /* $XDG_STATE_HOME/diaryd/oauth */
  char *file; /* its work.json */
} Fx;

static void fx_setup(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *top = g_build_filename(state_home, "diaryd", NULL);
  test_rm_tree(top);
  fx->fake = fake_new();
  fx->account.name = g_strdup("work");
  fx->account.auth = ACCOUNT_AUTH_OAUTH2;
  fx->account.client_id = g_strdup("cid-123.apps.example.com");
  fx->account.client_secret = g_strdup("canary-secret&=+ x");
  fx->account.scope = g_strdup(OAUTH_GOOGLE_SCOPE);
  fx->account.auth_url = g_strdup("https://accounts.example.com/o/auth?hl=en");
  fx->account.token_url = g_strdup(fx->fake->url);
  fx->http = http_new(NULL);
  fx->dir = g_build_filename(state_home, "diaryd", "oauth", NULL);
  fx->file = g_build_filename(fx->dir, "work.json", NULL);
}

static void fx_teardown(Fx *fx, gconstpointer data) {
  (void)data;
  http_free(fx->http);
  fake_free(fx->fake);
  g_free(fx->account.name);
  g_free(fx->account.client_id);
  g_free(fx->account.client_secret);
  g_free(fx->account.scope);
  g_free(fx->account.auth_url);
  g_free(fx->account.token_url);
  g_free(fx->dir);
  g_free(fx->file);
}

/* Writes the token file as given, with `mode`. */
static void put_file(Fx *fx, const char *json, int mode) {
  g_assert_cmpint(g_mkdir_with_parents(fx->dir, 0700), ==, 0);
  g_assert_true(g_file_set_contents(fx->file, json, -1, NULL));
  g_assert_cmpint(chmod(fx->file, mode), ==, 0);
}

/* A token file with refresh token canary-refresh-1, access token
 * canary-access-1 expiring at `expires_at`, issued by the fake endpoint. */
static void put_tokens(Fx *fx, gint64 expires_at) {
  g_autofree char *json = g_strdup_printf("{\"refresh_token\": \"canary-refresh-1\", \"access_token\": "
                                          "\"canary-access-1\", \"expires_at\": %" G_GINT64_FORMAT
                                          ", \"token_url\": \"%s\"}",
                                          expires_at, fx->fake->url);
  put_file(fx, json, 0600);
}

static char *file_text(Fx *fx) {
  char *text = NULL;
  g_file_get_contents(fx->file, &text, NULL, NULL);
  return text;
}

/* A string member of the token file, by a pattern that suits our writer. */
static char *file_member(Fx *fx, const char *name) {
  g_autofree char *text = file_text(fx);
  if (!text)
    return NULL;
  g_autofree char *pattern = g_strdup_printf("\"%s\":\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(-?[0-9]+))", name);
  g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) mi = NULL;
  if (!g_regex_match(re, text, 0, &mi))
    return NULL;
  char *s = g_match_info_fetch(mi, 2);
  if (s && *s)
    return s;
  g_free(s);
  return g_match_info_fetch(mi, 3);
}

static void expect_clean_message(const GError *error) {
  if (error)
    EXPECT(!strstr(error->message, "canary"), "a secret in the message: %s", error->message);
}

static const gint64 NOW = 1790000000;

/* ---- paths and reading ------------------------------------------------------------------------ */

static void test_path(Fx *fx, gconstpointer data) {
  (void)data;
  g_autofree char *path = oauth_token_path(&fx->account);
  g_autofree char *want = g_build_filename(state_home, "diaryd", "oauth", "work.json", NULL);
  g_assert_cmpstr(path, ==, want);
}

static void test_not_authorised(Fx *fx, gconstpointer data) {
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_NOT_AUTHORISED);
  EXPECT(strstr(error->message, "diaryd auth work"), "%s", error->message);
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  /* Nothing to forget is not a failure. */
  g_assert_true(oauth_invalidate(&fx->account, &error));
}

static void test_reuse_valid(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW + 3600);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-1");
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
}

/* Valid for more than 60 s: reused; exactly 60 s: refreshed. */
static void test_margin(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW + 61);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(a, ==, "canary-access-1");
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  put_tokens(fx, NOW + 60);
  g_autofree char *b = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(b, ==, "canary-access-2");
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
}

static void test_refresh_expired(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-2");

  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
  Req *r = fx->fake->requests->pdata[0];
  g_assert_cmpstr(r->method, ==, "POST");
  g_assert_cmpstr(r->path, ==, "/token");
  g_assert_cmpstr(r->content_type, ==, "application/x-www-form-urlencoded");
  g_assert_cmpstr(fake_field(fx->fake, 0, "grant_type"), ==, "refresh_token");
  g_assert_cmpstr(fake_field(fx->fake, 0, "refresh_token"), ==, "canary-refresh-1");
  g_assert_cmpstr(fake_field(fx->fake, 0, "client_id"), ==, "cid-123.apps.example.com");
  g_assert_cmpstr(fake_field(fx->fake, 0, "client_secret"), ==, "canary-secret&=+ x");
  g_assert_null(fake_field(fx->fake, 0, "code_verifier"));

  /* Stored: the new access token and its expiry; the refresh token kept
   * (the server sent none). */
  g_autofree char *access = file_member(fx, "access_token");
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_autofree char *expires = file_member(fx, "expires_at");
  g_autofree char *url = file_member(fx, "token_url");
  g_assert_cmpstr(access, ==, "canary-access-2");
  g_assert_cmpstr(refresh, ==, "canary-refresh-1");
  g_autofree char *want_expiry = g_strdup_printf("%" G_GINT64_FORMAT, NOW + 3599);
  g_assert_cmpstr(expires, ==, want_expiry);
  g_assert_cmpstr(url, ==, fx->fake->url);

  /* The next call reuses it. */
  g_autofree char *again = oauth_access_token(&fx->account, fx->http, NOW + 100, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(again, ==, "canary-access-2");
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
}

static void test_refresh_rotates(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  fake_script(fx->fake, 200,
              "{\"access_token\":\"canary-access-3\",\"expires_in\":\"120\",\"refresh_token\":\"canary-refresh-2\","
              "\"scope\":\"a b\",\"extra\":{\"nested\":[1,2,{\"x\":null}]},\"ok\":true}");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-3");
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_autofree char *expires = file_member(fx, "expires_at");
  g_assert_cmpstr(refresh, ==, "canary-refresh-2");
  g_autofree char *want_expiry = g_strdup_printf("%" G_GINT64_FORMAT, NOW + 120);
  g_assert_cmpstr(expires, ==, want_expiry);
  /* And the rotated one is what the next refresh sends. */
  g_autofree char *later = oauth_access_token(&fx->account, fx->http, NOW + 1000, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(fake_field(fx->fake, 1, "refresh_token"), ==, "canary-refresh-2");
}

/* Tokens with quotes, backslashes and slashes survive the file. */
static void test_escaping(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  fake_script(fx->fake, 200,
              "{\"access_token\":\"canary-a\\\"b\\\\c\\/d\\u0041\",\"expires_in\":3600,"
              "\"refresh_token\":\"canary-r\\\\\\\"{}:,\"}");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-a\"b\\c/dA");
  g_autofree char *again = oauth_access_token(&fx->account, fx->http, NOW + 1, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(again, ==, "canary-a\"b\\c/dA");
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
  g_autofree char *later = oauth_access_token(&fx->account, fx->http, NOW + 100000, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(fake_field(fx->fake, 1, "refresh_token"), ==, "canary-r\\\"{}:,");
}

static void test_invalid_grant(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  g_autofree char *before = file_text(fx);
  for (int status = 400; status <= 401; status++) {
    fake_script(fx->fake, status,
                "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}");
    g_autoptr(GError) error = NULL;
    g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
    g_assert_null(token);
    g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE);
    EXPECT(strstr(error->message, "diaryd auth work"), "%s", error->message);
    expect_clean_message(error);
    g_autofree char *after = file_text(fx);
    g_assert_cmpstr(after, ==, before);
  }
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_assert_cmpstr(refresh, ==, "canary-refresh-1");
}

static void test_server_errors(Fx *fx, gconstpointer data) {
  (void)data;
  static const struct {
    int status;
    const char *reply;
    const char *expect; /* in the message */
  } cases[] = {
      {500, "{\"error\":\"server_error\",\"detail\":\"canary-body-text\"}", "HTTP 500"},
      {500, "<html>canary-body-text</html>", "HTTP 500"},
      {503, "", "HTTP 503"},
      {401, "{\"error\":\"invalid_client\",\"error_description\":\"The OAuth client was not found.\"}",
       "invalid_client"},
      {400, "{\"error\":\"invalid_request\",\"error_description\":\"canary-refresh-1 is malformed\"}",
       "invalid_request"},
      {403, "{\"error\":\"invalid_grant\"}", "HTTP 403"},
      {302, "{}", "HTTP 302"},
      {200, "canary-body-text", "not the JSON"},
      {200, "{\"access_token\":\"canary-x\",\"access_token\":\"canary-y\"}", "not the JSON"},
      {200, "{\"expires_in\":3600}", "no usable access_token"},
      {200, "{\"access_token\":\"canary-a\\r\\nX-Evil: 1\"}", "no usable access_token"},
      {200, "{\"access_token\":\"canary-a\",\"token_type\":\"mac\"}", "token_type"},
      {200, "{\"access_token\":\"canary-a\",\"expires_in\":\"soon\"}", "expires_in"},
      {200, "{\"access_token\":\"canary-a\",\"refresh_token\":\"\"}", "refresh_token"},
      {200, "{\"access_token\":\"canary-a\"} trailing", "not the JSON"},
      {200, "{\"error\":\"slow_down\",\"access_token\":\"canary-a\"}", "slow_down"},
  };
  put_tokens(fx, NOW - 10);
  g_autofree char *before = file_text(fx);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    fake_script(fx->fake, cases[i].status, cases[i].reply);
    g_autoptr(GError) error = NULL;
    g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
    g_assert_null(token);
    g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER);
    EXPECT(strstr(error->message, cases[i].expect), "case %zu: %s", i, error->message);
    EXPECT(!strstr(error->message, "body-text"), "case %zu: the body in the message: %s", i, error->message);
    expect_clean_message(error);
    g_autofree char *after = file_text(fx);
    g_assert_cmpstr(after, ==, before);
  }
}

static void test_unreachable(Fx *fx, gconstpointer data) {
  (void)data;
  guint16 port;
  int fd = listen_any(&port);
  close(fd); /* nobody listens there now */
  g_free(fx->account.token_url);
  fx->account.token_url = g_strdup_printf("http://127.0.0.1:%u/token", port);
  g_autofree char *json = g_strdup_printf("{\"refresh_token\":\"canary-refresh-1\",\"token_url\":\"%s\"}",
                                          fx->account.token_url);
  put_file(fx, json, 0600);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER);
  expect_clean_message(error);
}

/* ---- the file ---------------------------------------------------------------------------------- */

static void test_modes(Fx *fx, gconstpointer data) {
  (void)data;
  /* A folder left open by someone, and a umask that allows everything. */
  put_tokens(fx, NOW - 10);
  g_assert_cmpint(chmod(fx->dir, 0755), ==, 0);
  mode_t old = umask(0);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  umask(old);
  g_assert_no_error(error);
  struct stat st;
  g_assert_cmpint(stat(fx->file, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
  g_assert_cmpint(stat(fx->dir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0700);
  g_autofree char *lock = g_build_filename(fx->dir, "work.lock", NULL);
  g_assert_cmpint(stat(lock, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 077, ==, 0);
}

static void test_mode_drift(Fx *fx, gconstpointer data) {
  (void)data;
  static const int modes[] = {0644, 0640, 0604, 0620, 0602};
  for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
    put_tokens(fx, NOW + 3600);
    g_assert_cmpint(chmod(fx->file, modes[i]), ==, 0);
    g_autoptr(GError) error = NULL;
    g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
    g_assert_null(token);
    g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_IO);
    EXPECT(strstr(error->message, "chmod 600"), "%s", error->message);
    EXPECT(strstr(error->message, fx->file), "%s", error->message);
    expect_clean_message(error);
    g_autoptr(GError) again = NULL;
    g_assert_false(oauth_invalidate(&fx->account, &again));
    g_assert_error(again, OAUTH_ERROR, OAUTH_ERROR_IO);
  }
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  g_assert_cmpint(chmod(fx->file, 0600), ==, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-1");
}

static void test_symlink_refused(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW + 3600);
  g_autofree char *real = g_build_filename(fx->dir, "elsewhere.json", NULL);
  g_assert_cmpint(g_rename(fx->file, real), ==, 0);
  g_assert_cmpint(symlink(real, fx->file), ==, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_IO);
}

static void test_damaged(Fx *fx, gconstpointer data) {
  (void)data;
  static const char *const files[] = {
      "",
      "{",
      "[]",
      "{}",
      "{\"refresh_token\": 12}",
      "{\"refresh_token\": \"\"}",
      "{\"refresh_token\": \"canary-r\", \"refresh_token\": \"canary-s\"}",
      "{\"refresh_token\": \"canary-r\",}",
      "{\"refresh_token\": \"canary-r\"} {}",
      "{\"refresh_token\": \"canary-\\u0000r\"}",
      "{\"refresh_token\": \"canary-\\ud800r\"}",
      "{\"refresh_token\": \"canary-\\x41\"}",
      "{\"refresh_token\": \"canary-\tr\"}",
      "{\"refresh_token\": \"canary-\xc3\x28\"}",
      "{\"refresh_token\": \"canary-r\", \"access_token\": \"canary-a\"}",
      "{\"refresh_token\": \"canary-r\", \"access_token\": \"canary-a\", \"expires_at\": \"x\"}",
      "{\"refresh_token\": \"canary-r\", \"access_token\": \"canary-a\", \"expires_at\": 01}",
      "{\"refresh_token\": \"canary-r\", \"x\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
      "{\"refresh_token\": \"canary-r\", \"x\": tru}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    put_file(fx, files[i], 0600);
    g_autoptr(GError) error = NULL;
    g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
    EXPECT(!token, "file %zu accepted", i);
    EXPECT(g_error_matches(error, OAUTH_ERROR, OAUTH_ERROR_IO), "file %zu: %s", i, error ? error->message : "no error");
    expect_clean_message(error);
  }
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  /* A file over 64 KB. */
  GString *big = g_string_new("{\"refresh_token\": \"canary-r\", \"pad\": \"");
  while (big->len < 70000)
    g_string_append(big, "xxxxxxxxxxxxxxxx");
  g_string_append(big, "\"}");
  put_file(fx, big->str, 0600);
  g_string_free(big, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_IO);
}

/* Tokens from another endpoint are not sent to this one. */
static void test_issuer_changed(Fx *fx, gconstpointer data) {
  (void)data;
  put_file(fx,
           "{\"refresh_token\":\"canary-refresh-1\",\"access_token\":\"canary-access-1\",\"expires_at\":1,"
           "\"token_url\":\"https://elsewhere.example.com/token\"}",
           0600);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE);
  EXPECT(strstr(error->message, "elsewhere.example.com"), "%s", error->message);
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
}

static gint cmp_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The folder's entries, sorted, joined by ",". */
static char *dir_names(const char *path) {
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir)))
    g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, cmp_names);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(",", (char **)names->pdata);
}

static void test_no_temp_files(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  /* Debris of a writer killed between create and rename. */
  g_autofree char *debris = g_build_filename(fx->dir, "work.json.tmp-AbC123", NULL);
  g_assert_true(g_file_set_contents(debris, "{\"refresh_token\":\"canary-half", -1, NULL));
  g_autofree char *other = g_build_filename(fx->dir, "home.json", NULL);
  g_assert_true(g_file_set_contents(other, "{}", -1, NULL));
  g_autoptr(GError) error = NULL;
  for (int i = 0; i < 3; i++) {
    g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW + i * 10000, &error);
    g_assert_no_error(error);
    g_assert_true(oauth_invalidate(&fx->account, &error));
    g_assert_no_error(error);
  }
  g_assert_cmpuint(fake_count(fx->fake), ==, 3);
  g_autofree char *joined = dir_names(fx->dir);
  g_assert_cmpstr(joined, ==, "home.json,work.json,work.lock");
}

/* Every write is a new file renamed over the old one: a reader that had
 * opened the old file still reads all of it (never a mix, never a
 * truncated file), the old inode is gone from the folder, and the name
 * then gives a new inode that was 0600 from its creation (umask 0 cannot
 * widen it). */
static void test_atomic_replace(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  g_autofree char *before = file_text(fx);
  int fd = open(fx->file, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint(fd, >=, 0);
  struct stat old_st, new_st;
  g_assert_cmpint(fstat(fd, &old_st), ==, 0);
  mode_t mask = umask(0);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  umask(mask);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-2");

  char buf[4096];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  g_assert_cmpint(n, >, 0);
  buf[n] = '\0';
  g_assert_cmpstr(buf, ==, before);
  struct stat gone;
  g_assert_cmpint(fstat(fd, &gone), ==, 0);
  g_assert_cmpuint(gone.st_nlink, ==, 0);
  close(fd);

  g_assert_cmpint(stat(fx->file, &new_st), ==, 0);
  g_assert_true(new_st.st_ino != old_st.st_ino);
  g_assert_cmpuint(new_st.st_nlink, ==, 1);
  g_assert_cmpint(new_st.st_mode & 07777, ==, 0600);
  g_autofree char *access = file_member(fx, "access_token");
  g_assert_cmpstr(access, ==, "canary-access-2");
  g_autofree char *joined = dir_names(fx->dir);
  g_assert_cmpstr(joined, ==, "work.json,work.lock");
}

static void test_invalidate(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW + 3600);
  g_autoptr(GError) error = NULL;
  g_assert_true(oauth_invalidate(&fx->account, &error));
  g_assert_no_error(error);
  g_autofree char *access = file_member(fx, "access_token");
  g_autofree char *expires = file_member(fx, "expires_at");
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_assert_null(access);
  g_assert_null(expires);
  g_assert_cmpstr(refresh, ==, "canary-refresh-1");
  struct stat st;
  g_assert_cmpint(stat(fx->file, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
  /* Twice is harmless. */
  g_assert_true(oauth_invalidate(&fx->account, &error));
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-2");
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
}

/* ---- concurrent refresh ------------------------------------------------------------------------- */

typedef struct {
  Fx *fx;
  GMutex *mutex;
  GCond *cond;
  gboolean *go;
  char *token;
  GError *error;
} Racer;

static gpointer racer_main(gpointer data) {
  Racer *r = data;
  g_mutex_lock(r->mutex);
  while (!*r->go)
    g_cond_wait(r->cond, r->mutex);
  g_mutex_unlock(r->mutex);
  Http *http = http_new(NULL); /* one client per thread */
  r->token = oauth_access_token(&r->fx->account, http, NOW, &r->error);
  http_free(http);
  return NULL;
}

static void test_concurrent(Fx *fx, gconstpointer data) {
  (void)data;
  put_tokens(fx, NOW - 10);
  g_mutex_lock(&fx->fake->lock);
  fx->fake->delay_ms = 300; /* so that every caller finds the refresh under way */
  g_mutex_unlock(&fx->fake->lock);
  GMutex mutex;
  GCond cond;
  gboolean go = FALSE;
  g_mutex_init(&mutex);
  g_cond_init(&cond);
  Racer racers[4];
  GThread *threads[4];
  for (int i = 0; i < 4; i++) {
    racers[i] = (Racer){.fx = fx, .mutex = &mutex, .cond = &cond, .go = &go};
    threads[i] = g_thread_new("racer", racer_main, &racers[i]);
  }
  g_mutex_lock(&mutex);
  go = TRUE;
  g_cond_broadcast(&cond);
  g_mutex_unlock(&mutex);
  for (int i = 0; i < 4; i++) {
    g_thread_join(threads[i]);
    g_assert_no_error(racers[i].error);
    g_assert_cmpstr(racers[i].token, ==, "canary-access-2");
    g_free(racers[i].token);
  }
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
  g_mutex_clear(&mutex);
  g_cond_clear(&cond);
}

/* ---- the authorisation flow ------------------------------------------------------------------------ */

typedef struct {
  Fx *fx;
  FILE *out;
  guint timeout_s;
  gboolean ok;
  GError *error;
  Http *http;
} AuthRun;

static gpointer auth_main(gpointer data) {
  AuthRun *r = data;
  r->ok = oauth_authorize(&r->fx->account, r->http, r->out, r->timeout_s, &r->error);
  fclose(r->out);
  return NULL;
}

typedef struct {
  AuthRun run;
  GThread *thread;
  FILE *in;
  char *url;
  GHashTable *query; /* of the printed URL */
  char *state;
  guint16 port;
} Flow;

/* Starts oauth_authorize in a thread and reads the URL it prints. */
static void flow_start(Flow *f, Fx *fx, guint timeout_s) {
  int p[2];
  g_assert_cmpint(pipe(p), ==, 0);
  f->run = (AuthRun){.fx = fx, .out = fdopen(p[1], "w"), .timeout_s = timeout_s, .http = http_new(NULL)};
  f->in = fdopen(p[0], "r");
  f->thread = g_thread_new("authorize", auth_main, &f->run);
  char line[8192];
  g_autoptr(GString) printed = g_string_new(NULL);
  while (fgets(line, sizeof line, f->in)) {
    g_string_append(printed, line);
    if (g_str_has_prefix(line, "https://")) {
      f->url = g_strdup(g_strchomp(line));
      break;
    }
  }
  g_assert_nonnull(f->url);
  EXPECT(strstr(printed->str, "open this address"), "printed: %s", printed->str);
  g_assert_true(g_str_has_prefix(f->url, "https://accounts.example.com/o/auth?hl=en&response_type=code&"));
  f->query = g_uri_parse_params(strchr(f->url, '?') + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  g_assert_nonnull(f->query);
  f->state = g_strdup(g_hash_table_lookup(f->query, "state"));
  const char *redirect = g_hash_table_lookup(f->query, "redirect_uri");
  g_assert_nonnull(redirect);
  g_assert_true(g_regex_match_simple("^http://127\\.0\\.0\\.1:[0-9]+/$", redirect, 0, 0));
  f->port = (guint16)g_ascii_strtoull(redirect + strlen("http://127.0.0.1:"), NULL, 10);
}

static void flow_finish(Flow *f) {
  g_thread_join(f->thread);
  fclose(f->in);
  http_free(f->run.http);
  g_free(f->url);
  g_free(f->state);
  if (f->query)
    g_hash_table_unref(f->query);
}

static int connect_port(guint16 port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
  struct timeval tv = {.tv_sec = 20};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Sends `request` as a browser would and returns the whole answer. */
static char *browse(guint16 port, const char *request) {
  int fd = connect_port(port);
  gsize len = strlen(request);
  g_assert_cmpint(send(fd, request, len, MSG_NOSIGNAL), ==, (gssize)len);
  GString *answer = g_string_new(NULL);
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
    g_string_append_len(answer, buf, n);
  close(fd);
  return g_string_free(answer, FALSE);
}

static char *get(guint16 port, const char *target) {
  g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: test\r\n"
                                         "Accept: text/html\r\n\r\n",
                                         target, port);
  return browse(port, req);
}

static char *s256(const char *verifier) {
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)verifier, -1);
  guint8 digest[32];
  gsize len = sizeof digest;
  g_checksum_get_digest(sum, digest, &len);
  g_autofree char *b64 = g_base64_encode(digest, len);
  GString *out = g_string_new(NULL);
  for (const char *c = b64; *c && *c != '='; c++)
    g_string_append_c(out, *c == '+' ? '-' : *c == '/' ? '_' : *c);
  return g_string_free(out, FALSE);
}

static gboolean only_chars(const char *s, const char *extra) {
  for (; *s; s++)
    if (!g_ascii_isalnum(*s) && !strchr(extra, *s))
      return FALSE;
  return TRUE;
}

static void test_authorize_flow(Fx *fx, gconstpointer data) {
  (void)data;
  fake_script(fx->fake, 200,
              "{\"access_token\":\"canary-access-9\",\"expires_in\":3599,\"refresh_token\":\"canary-refresh-9\","
              "\"scope\":\"https://www.googleapis.com/auth/calendar\",\"token_type\":\"Bearer\"}");
  Flow f = {0};
  flow_start(&f, fx, 30);
  g_autoptr(GHashTable) q = g_hash_table_ref(f.query); /* outlives flow_finish() */
  g_assert_cmpstr(g_hash_table_lookup(q, "hl"), ==, "en");
  g_assert_cmpstr(g_hash_table_lookup(q, "response_type"), ==, "code");
  g_assert_cmpstr(g_hash_table_lookup(q, "client_id"), ==, "cid-123.apps.example.com");
  g_assert_cmpstr(g_hash_table_lookup(q, "scope"), ==, OAUTH_GOOGLE_SCOPE);
  g_assert_cmpstr(g_hash_table_lookup(q, "code_challenge_method"), ==, "S256");
  g_assert_cmpstr(g_hash_table_lookup(q, "access_type"), ==, "offline");
  g_assert_cmpstr(g_hash_table_lookup(q, "prompt"), ==, "consent");
  g_assert_null(g_hash_table_lookup(q, "client_secret"));
  EXPECT(!strstr(f.url, "canary"), "a secret in the URL: %s", f.url);
  const char *challenge = g_hash_table_lookup(q, "code_challenge");
  g_assert_nonnull(challenge);
  g_assert_cmpuint(strlen(challenge), ==, 43);
  g_assert_true(only_chars(challenge, "-_"));
  g_assert_cmpuint(strlen(f.state), ==, 32);
  g_assert_true(only_chars(f.state, "-_"));

  /* What a browser sends first, and a connection that never speaks. */
  g_autofree char *favicon = get(f.port, "/favicon.ico");
  g_assert_true(g_str_has_prefix(favicon, "HTTP/1.1 404 "));
  g_autofree char *bare = get(f.port, "/");
  g_assert_true(g_str_has_prefix(bare, "HTTP/1.1 404 "));
  g_autofree char *post = browse(f.port, "POST /?code=x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  g_assert_true(g_str_has_prefix(post, "HTTP/1.1 405 "));
  g_autofree char *junk = browse(f.port, "hello\r\n\r\n");
  g_assert_true(g_str_has_prefix(junk, "HTTP/1.1 400 "));
  int idle = connect_port(f.port);
  /* A request head past 8 KB. */
  GString *huge = g_string_new("GET /?pad=");
  while (huge->len < 9000)
    g_string_append(huge, "aaaaaaaaaaaaaaaa");
  g_string_append(huge, " HTTP/1.1\r\n\r\n");
  g_autofree char *too_big = browse(f.port, huge->str);
  g_string_free(huge, TRUE);
  g_assert_true(g_str_has_prefix(too_big, "HTTP/1.1 431 "));

  g_autofree char *target = g_strdup_printf("/?state=%s&code=canary-code-4%%2F0Ab&scope=%s", f.state,
                                            "https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar");
  g_autofree char *page = get(f.port, target);
  close(idle);
  flow_finish(&f);
  g_assert_no_error(f.run.error);
  g_assert_true(f.run.ok);
  g_assert_true(g_str_has_prefix(page, "HTTP/1.1 200 "));
  EXPECT(strstr(page, "diaryd: authorised, you can close this tab"), "page: %s", page);
  EXPECT(!strstr(page, "canary"), "a secret in the page: %s", page);

  /* The exchange. */
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
  g_assert_cmpstr(fake_field(fx->fake, 0, "grant_type"), ==, "authorization_code");
  g_assert_cmpstr(fake_field(fx->fake, 0, "code"), ==, "canary-code-4/0Ab");
  g_assert_cmpstr(fake_field(fx->fake, 0, "redirect_uri"), ==, g_hash_table_lookup(q, "redirect_uri"));
  g_assert_cmpstr(fake_field(fx->fake, 0, "client_id"), ==, "cid-123.apps.example.com");
  g_assert_cmpstr(fake_field(fx->fake, 0, "client_secret"), ==, "canary-secret&=+ x");
  const char *verifier = fake_field(fx->fake, 0, "code_verifier");
  g_assert_nonnull(verifier);
  g_assert_cmpuint(strlen(verifier), ==, 64);
  g_assert_true(only_chars(verifier, "-._~"));
  g_autofree char *want = s256(verifier);
  g_assert_cmpstr(challenge, ==, want);

  /* Stored, private, and used. */
  struct stat st;
  g_assert_cmpint(stat(fx->file, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_assert_cmpstr(refresh, ==, "canary-refresh-9");
  g_autoptr(GError) error = NULL;
  g_autofree char *token =
      oauth_access_token(&fx->account, fx->http, g_get_real_time() / G_USEC_PER_SEC, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(token, ==, "canary-access-9");
  g_assert_cmpuint(fake_count(fx->fake), ==, 1);
}

/* Two runs never share a verifier or a state. */
static void test_authorize_random(Fx *fx, gconstpointer data) {
  (void)data;
  char *seen[4];
  for (int i = 0; i < 2; i++) {
    Flow f = {0};
    flow_start(&f, fx, 30);
    seen[2 * i] = g_strdup(f.state);
    seen[2 * i + 1] = g_strdup(g_hash_table_lookup(f.query, "code_challenge"));
    g_autofree char *target = g_strdup_printf("/?error=access_denied&state=%s", f.state);
    g_autofree char *page = get(f.port, target);
    flow_finish(&f);
    g_clear_error(&f.run.error);
  }
  g_assert_cmpstr(seen[0], !=, seen[2]);
  g_assert_cmpstr(seen[1], !=, seen[3]);
  for (int i = 0; i < 4; i++)
    g_free(seen[i]);
}

static void test_authorize_wrong_state(Fx *fx, gconstpointer data) {
  (void)data;
  for (int i = 0; i < 4; i++) {
    Flow f = {0};
    flow_start(&f, fx, 30);
    g_autofree char *target = i == 0   ? g_strdup_printf("/?code=canary-code&state=%s-x", f.state)
                              : i == 1 ? g_strdup("/?code=canary-code&state=")
                              : i == 2 ? g_strdup("/?code=canary-code")
                                       : g_strdup_printf("/?code=canary-code&state=%.31s", f.state);
    g_autofree char *page = get(f.port, target);
    flow_finish(&f);
    g_assert_false(f.run.ok);
    g_assert_error(f.run.error, OAUTH_ERROR, OAUTH_ERROR_DENIED);
    expect_clean_message(f.run.error);
    EXPECT(strstr(page, "diaryd: authorisation failed"), "page: %s", page);
    g_clear_error(&f.run.error);
  }
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  g_assert_false(g_file_test(fx->file, G_FILE_TEST_EXISTS));
}

static void test_authorize_denied(Fx *fx, gconstpointer data) {
  (void)data;
  Flow f = {0};
  flow_start(&f, fx, 30);
  /* As a minimal client sends it: HTTP/1.0, no header lines. */
  g_autofree char *request = g_strdup_printf("GET /?error=access_denied&state=%s HTTP/1.0\r\n\r\n", f.state);
  g_autofree char *page = browse(f.port, request);
  flow_finish(&f);
  g_assert_false(f.run.ok);
  g_assert_error(f.run.error, OAUTH_ERROR, OAUTH_ERROR_DENIED);
  EXPECT(strstr(f.run.error->message, "access_denied"), "%s", f.run.error->message);
  EXPECT(strstr(page, "refused in the browser"), "page: %s", page);
  g_clear_error(&f.run.error);
  g_assert_cmpuint(fake_count(fx->fake), ==, 0);
  g_assert_false(g_file_test(fx->file, G_FILE_TEST_EXISTS));

  /* Another error, with markup in it, is shown cleaned and escaped. */
  Flow g = {0};
  flow_start(&g, fx, 30);
  g_autofree char *t2 = g_strdup_printf("/?error=%%3Cb%%3Einvalid_scope%%0A&state=%s", g.state);
  g_autofree char *p2 = get(g.port, t2);
  flow_finish(&g);
  g_assert_error(g.run.error, OAUTH_ERROR, OAUTH_ERROR_SERVER);
  EXPECT(!strchr(g.run.error->message, '\n'), "%s", g.run.error->message);
  EXPECT(!strstr(p2, "<b>"), "page: %s", p2);
  g_clear_error(&g.run.error);
}

static void test_authorize_exchange_fails(Fx *fx, gconstpointer data) {
  (void)data;
  fake_script(fx->fake, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Malformed auth code.\"}");
  Flow f = {0};
  flow_start(&f, fx, 30);
  g_autofree char *target = g_strdup_printf("/?state=%s&code=canary-code-1", f.state);
  g_autofree char *page = get(f.port, target);
  flow_finish(&f);
  g_assert_false(f.run.ok);
  g_assert_error(f.run.error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE);
  expect_clean_message(f.run.error);
  EXPECT(strstr(page, "authorisation failed"), "page: %s", page);
  EXPECT(!strstr(page, "canary"), "page: %s", page);
  g_clear_error(&f.run.error);
  g_assert_false(g_file_test(fx->file, G_FILE_TEST_EXISTS));

  /* No refresh token and none stored before: nothing usable. */
  fake_script(fx->fake, 200, "{\"access_token\":\"canary-access-5\",\"expires_in\":3599}");
  Flow g = {0};
  flow_start(&g, fx, 30);
  g_autofree char *t2 = g_strdup_printf("/?state=%s&code=canary-code-2", g.state);
  g_autofree char *p2 = get(g.port, t2);
  flow_finish(&g);
  g_assert_error(g.run.error, OAUTH_ERROR, OAUTH_ERROR_SERVER);
  expect_clean_message(g.run.error);
  g_clear_error(&g.run.error);
  g_assert_false(g_file_test(fx->file, G_FILE_TEST_EXISTS));

  /* With one stored from this server, it stays. */
  put_tokens(fx, 1);
  Flow h = {0};
  flow_start(&h, fx, 30);
  g_autofree char *t3 = g_strdup_printf("/?state=%s&code=canary-code-3", h.state);
  g_autofree char *p3 = get(h.port, t3);
  flow_finish(&h);
  g_assert_no_error(h.run.error);
  g_autofree char *refresh = file_member(fx, "refresh_token");
  g_autofree char *access = file_member(fx, "access_token");
  g_assert_cmpstr(refresh, ==, "canary-refresh-1");
  g_assert_cmpstr(access, ==, "canary-access-5");
}

static void test_authorize_timeout(Fx *fx, gconstpointer data) {
  (void)data;
  gint64 start = g_get_monotonic_time();
  Flow f = {0};
  flow_start(&f, fx, 1);
  int idle = connect_port(f.port); /* a silent connection does not extend the wait */
  flow_finish(&f);
  close(idle);
  gint64 took = g_get_monotonic_time() - start;
  g_assert_false(f.run.ok);
  g_assert_error(f.run.error, OAUTH_ERROR, OAUTH_ERROR_TIMED_OUT);
  EXPECT(strstr(f.run.error->message, "diaryd auth work"), "%s", f.run.error->message);
  g_clear_error(&f.run.error);
  g_assert_cmpint(took, >=, 900 * 1000);
  g_assert_cmpint(took, <, 10 * G_USEC_PER_SEC);
}

static void test_bad_account_name(Fx *fx, gconstpointer data) {
  (void)data;
  g_free(fx->account.name);
  fx->account.name = g_strdup("../evil");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = oauth_access_token(&fx->account, fx->http, NOW, &error);
  g_assert_null(token);
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_IO);
  g_clear_error(&error);
  g_assert_false(oauth_invalidate(&fx->account, &error));
  g_clear_error(&error);
  g_assert_false(oauth_authorize(&fx->account, fx->http, stderr, 1, &error));
  g_assert_error(error, OAUTH_ERROR, OAUTH_ERROR_IO);
}

int main(int argc, char **argv) {
  /* Before anything asks GLib for the user's folders: it caches them. */
  g_autoptr(GError) error = NULL;
  state_home = g_dir_make_tmp("diaryd-oauth-XXXXXX", &error);
  g_assert_no_error(error);
  g_setenv("XDG_STATE_HOME", state_home, TRUE);
  for (const char *const *v = (const char *const[]){"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", NULL}; *v;
       v++)
    g_unsetenv(*v);
  g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
  ADD("/oauth/path", test_path);
  ADD("/oauth/not-authorised", test_not_authorised);
  ADD("/oauth/reuse-valid", test_reuse_valid);
  ADD("/oauth/margin", test_margin);
  ADD("/oauth/refresh-expired", test_refresh_expired);
  ADD("/oauth/refresh-rotates", test_refresh_rotates);
  ADD("/oauth/escaping", test_escaping);
  ADD("/oauth/invalid-grant", test_invalid_grant);
  ADD("/oauth/server-errors", test_server_errors);
  ADD("/oauth/unreachable", test_unreachable);
  ADD("/oauth/file/modes", test_modes);
  ADD("/oauth/file/mode-drift", test_mode_drift);
  ADD("/oauth/file/atomic-replace", test_atomic_replace);
  ADD("/oauth/file/symlink", test_symlink_refused);
  ADD("/oauth/file/damaged", test_damaged);
  ADD("/oauth/file/issuer-changed", test_issuer_changed);
  ADD("/oauth/file/no-temp-files", test_no_temp_files);
  ADD("/oauth/invalidate", test_invalidate);
  ADD("/oauth/concurrent", test_concurrent);
  ADD("/oauth/authorize/flow", test_authorize_flow);
  ADD("/oauth/authorize/random", test_authorize_random);
  ADD("/oauth/authorize/wrong-state", test_authorize_wrong_state);
  ADD("/oauth/authorize/denied", test_authorize_denied);
  ADD("/oauth/authorize/exchange-fails", test_authorize_exchange_fails);
  ADD("/oauth/authorize/timeout", test_authorize_timeout);
  ADD("/oauth/bad-account-name", test_bad_account_name);
#undef ADD
  int rc = g_test_run();
  test_rm_tree(state_home);
  g_free(state_home);
  return rc;
}
