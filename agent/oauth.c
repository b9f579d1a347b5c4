/* oauth: see oauth.h.
 *
 * The token file is the only shared state.  Readers never lock: every
 * write is a rename of a complete, fsynced file, so a reader sees the old
 * tokens or the new ones, never half of each.  Writers (refresh,
 * invalidate, authorise) hold an flock() on ACCOUNT.lock from the read to
 * the rename.  A second process that needs a refresh therefore waits,
 * re-reads, and finds the token the first one just stored; without the
 * lock both would refresh, and a server that rotates refresh tokens would
 * invalidate one of the two.  flock() locks belong to the open file, so
 * two threads of one process exclude each other as two processes do.
 * Holding the lock also means any ACCOUNT.json.tmp-* left in the folder
 * is debris from a writer that was killed: it is removed.
 *
 * The JSON is ours to read and write (no JSON library among the
 * dependencies).  The reader is strict (RFC 8259 grammar, UTF-8, no
 * duplicate members, no NUL) and keeps only the top level's string and
 * number members; nested values are checked and skipped.  Tokens must be
 * visible ASCII: they end up in an Authorization header, where CR or LF
 * would be header injection.
 *
 * Secrets (tokens, the code, the verifier, the client secret) never go
 * into a message: what a server says is reduced to its `error` code and a
 * cleaned, shortened `error_description`, dropped when it repeats a
 * secret.  Buffers that held secrets are wiped before they are freed.
 *
 * Token requests do not follow redirects: libcurl would repost the body,
 * refresh token included, to wherever the redirect points.
 *
 * The loopback listener serves several connections at once: browsers open
 * speculative connections that never carry a request, and a serial
 * server would keep the real redirect waiting behind them.  Every
 * connection gets 10 s and 8 KB for its request head; the whole wait ends
 * at the caller's timeout.
 */
#include "oauth.h"

#include "report.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define REFRESH_MARGIN_S 60
#define MAX_TOKEN_FILE (64 * 1024)
#define MAX_TOKEN_REPLY (64 * 1024)
#define MAX_TOKEN_LEN (16 * 1024)
#define MAX_CODE_LEN 4096
#define MAX_JSON_DEPTH 16
#define DEFAULT_EXPIRES_IN 3600
#define MAX_EXPIRES_IN (366 * 24 * 3600)
#define MAX_SHOWN 200
#define VERIFIER_LEN 64
#define STATE_LEN 32
#define MAX_REQUEST (8 * 1024)
#define CONN_TIMEOUT_MS (10 * 1000)
#define MAX_CONNS 8
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

G_DEFINE_QUARK(diaryd-oauth-error-quark, oauth_error)

/* ---- secrets ------------------------------------------------------------------------ */

static void wipe_gstring(GString *s) {
  if (s) {
    explicit_bzero(s->str, s->allocated_len);
    g_string_free(s, TRUE);
  }
}

typedef GString SecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SecretString, wipe_gstring)

typedef struct {
  char *refresh_token;
  char *access_token; /* NULL when none is cached */
  gint64 expires_at;  /* Unix seconds; meaningless without access_token */
  char *token_url;    /* the endpoint that issued them; NULL in files that do not say */
} Tokens;

static void tokens_free(Tokens *t) {
  if (!t)
    return;
  secret_free(t->refresh_token);
  secret_free(t->access_token);
  g_free(t->token_url);
  g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Tokens, tokens_free)

/* Visible ASCII only, bounded. */
static gboolean token_ok(const char *s) {
  if (!s || !*s)
    return FALSE;
  gsize n = 0;
  for (const char *p = s; *p; p++, n++)
    if (*p < 0x21 || *p > 0x7e || n >= MAX_TOKEN_LEN)
      return FALSE;
  return TRUE;
}

/* Server-supplied text reduced to something safe to print: visible ASCII
 * and spaces, at most MAX_SHOWN bytes, NULL when it repeats a secret. */
static char *shown_text(const char *s, const char *const *secrets) {
  if (!s || !*s)
    return NULL;
  for (const char *const *k = secrets; k && *k; k++)
    if (**k && strstr(s, *k))
      return NULL;
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p; p++) {
    if (out->len >= MAX_SHOWN) {
      g_string_append(out, "...");
      break;
    }
    g_string_append_c(out, *p >= 0x20 && *p < 0x7f ? *p : '?');
  }
  return g_string_free(out, FALSE);
}

/* ---- a small, strict JSON reader ----------------------------------------------------- */

typedef enum { JSON_STRING, JSON_NUMBER, JSON_OTHER } JsonKind;

typedef struct {
  JsonKind kind;
  char *text; /* the decoded string, the number as written, or NULL */
} JsonMember;

static void json_member_free(gpointer p) {
  JsonMember *m = p;
  secret_free(m->text);
  g_free(m);
}

typedef struct {
  const char *p, *end;
} JsonIn;

static void json_ws(JsonIn *in) {
  while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
    in->p++;
}

static gboolean json_eat(JsonIn *in, char c) {
  if (in->p < in->end && *in->p == c) {
    in->p++;
    return TRUE;
  }
  return FALSE;
}

static gboolean json_hex4(JsonIn *in, gunichar *u) {
  if (in->end - in->p < 4)
    return FALSE;
  gunichar v = 0;
  for (int i = 0; i < 4; i++) {
    int d = g_ascii_xdigit_value(in->p[i]);
    if (d < 0)
      return FALSE;
    v = v * 16 + (gunichar)d;
  }
  in->p += 4;
  *u = v;
  return TRUE;
}

/* A string, decoded into `out` (NULL to check and skip it). */
static gboolean json_string(JsonIn *in, GString *out) {
  if (!json_eat(in, '"'))
    return FALSE;
  while (in->p < in->end) {
    guchar c = (guchar)*in->p++;
    if (c == '"')
      return TRUE;
    if (c < 0x20)
      return FALSE;
    if (c != '\\') {
      if (out)
        g_string_append_c(out, (char)c);
      continue;
    }
    if (in->p >= in->end)
      return FALSE;
    char e = *in->p++;
    char plain;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      plain = e;
      break;
    case 'b':
      plain = '\b';
      break;
    case 'f':
      plain = '\f';
      break;
    case 'n':
      plain = '\n';
      break;
    case 'r':
      plain = '\r';
      break;
    case 't':
      plain = '\t';
      break;
    case 'u': {
      gunichar u;
      if (!json_hex4(in, &u))
        return FALSE;
      if (u >= 0xd800 && u <= 0xdbff) {
        gunichar low;
        if (!json_eat(in, '\\') || !json_eat(in, 'u') || !json_hex4(in, &low) || low < 0xdc00 || low > 0xdfff)
          return FALSE;
        u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
      } else if ((u >= 0xdc00 && u <= 0xdfff) || u == 0) {
        return FALSE; /* a lone low surrogate, or a NUL that would cut the string */
      }
      if (out)
        g_string_append_unichar(out, u);
      continue;
    }
    default:
      return FALSE;
    }
    if (out)
      g_string_append_c(out, plain);
  }
  return FALSE;
}

static gboolean json_digits(JsonIn *in) {
  const char *start = in->p;
  while (in->p < in->end && g_ascii_isdigit(*in->p))
    in->p++;
  return in->p > start;
}

static gboolean json_number(JsonIn *in, GString *out) {
  const char *start = in->p;
  json_eat(in, '-');
  if (json_eat(in, '0')) {
  } else if (in->p >= in->end || *in->p < '1' || *in->p > '9' || !json_digits(in)) {
    return FALSE;
  }
  if (json_eat(in, '.') && !json_digits(in))
    return FALSE;
  if (json_eat(in, 'e') || json_eat(in, 'E')) {
    if (!json_eat(in, '+'))
      json_eat(in, '-');
    if (!json_digits(in))
      return FALSE;
  }
  if (out)
    g_string_append_len(out, start, in->p - start);
  return TRUE;
}

static gboolean json_literal(JsonIn *in, const char *word) {
  gsize n = strlen(word);
  if ((gsize)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
    return FALSE;
  in->p += n;
  return TRUE;
}

/* Checks and skips any value. */
static gboolean json_skip(JsonIn *in, int depth) {
  if (depth > MAX_JSON_DEPTH || in->p >= in->end)
    return FALSE;
  switch (*in->p) {
  case '"':
    return json_string(in, NULL);
  case 't':
    return json_literal(in, "true");
  case 'f':
    return json_literal(in, "false");
  case 'n':
    return json_literal(in, "null");
  case '{':
  case '[': {
    char close = *in->p == '{' ? '}' : ']';
    gboolean object = close == '}';
    in->p++;
    json_ws(in);
    if (json_eat(in, close))
      return TRUE;
    for (;;) {
      json_ws(in);
      if (object) {
        if (!json_string(in, NULL))
          return FALSE;
        json_ws(in);
        if (!json_eat(in, ':'))
          return FALSE;
        json_ws(in);
      }
      if (!json_skip(in, depth + 1))
        return FALSE;
      json_ws(in);
      if (json_eat(in, close))
        return TRUE;
      if (!json_eat(in, ','))
        return FALSE;
    }
  }
  default:
    return json_number(in, NULL);
  }
}

/* The members of a JSON object, by name; NULL when `buf` is not exactly
 * one well-formed object. */
static GHashTable *json_parse_object(const char *buf, gsize len) {
  if (!g_utf8_validate(buf, (gssize)len, NULL))
    return NULL;
  JsonIn in = {buf, buf + len};
  g_autoptr(GHashTable) members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, json_member_free);
  json_ws(&in);
  if (!json_eat(&in, '{'))
    return NULL;
  json_ws(&in);
  if (!json_eat(&in, '}')) {
    for (;;) {
      json_ws(&in);
      g_autoptr(GString) key = g_string_new(NULL);
      if (!json_string(&in, key))
        return NULL;
      json_ws(&in);
      if (!json_eat(&in, ':'))
        return NULL;
      json_ws(&in);
      g_autoptr(SecretString) value = g_string_new(NULL);
      JsonKind kind;
      if (in.p < in.end && *in.p == '"') {
        kind = JSON_STRING;
        if (!json_string(&in, value))
          return NULL;
      } else if (in.p < in.end && (*in.p == '-' || g_ascii_isdigit(*in.p))) {
        kind = JSON_NUMBER;
        if (!json_number(&in, value))
          return NULL;
      } else {
        kind = JSON_OTHER;
        if (!json_skip(&in, 1))
          return NULL;
      }
      if (g_hash_table_contains(members, key->str))
        return NULL;
      JsonMember *m = g_new0(JsonMember, 1);
      m->kind = kind;
      m->text = kind == JSON_OTHER ? NULL : g_strndup(value->str, value->len);
      g_hash_table_insert(members, g_string_free(g_steal_pointer(&key), FALSE), m);
      json_ws(&in);
      if (json_eat(&in, '}'))
        break;
      if (!json_eat(&in, ','))
        return NULL;
    }
  }
  json_ws(&in);
  if (in.p != in.end)
    return NULL;
  return g_steal_pointer(&members);
}

static const char *json_str(GHashTable *members, const char *name) {
  JsonMember *m = g_hash_table_lookup(members, name);
  return m && m->kind == JSON_STRING ? m->text : NULL;
}

static gboolean json_has(GHashTable *members, const char *name) { return g_hash_table_contains(members, name); }

/* An integer member; a number with a fraction is truncated.  Digits in a
 * string are accepted too: some token endpoints send expires_in so. */
static gboolean json_int(GHashTable *members, const char *name, gint64 *out) {
  JsonMember *m = g_hash_table_lookup(members, name);
  if (!m || !m->text)
    return FALSE;
  if (m->kind == JSON_STRING) {
    guint64 v;
    if (!g_ascii_string_to_unsigned(m->text, 10, 0, G_MAXINT32, &v, NULL))
      return FALSE;
    *out = (gint64)v;
    return TRUE;
  }
  double d = g_ascii_strtod(m->text, NULL);
  if (!isfinite(d) || d < -9e15 || d > 9e15)
    return FALSE;
  *out = (gint64)d;
  return TRUE;
}

/* Tokens are printable ASCII (checked on receipt); the escaping is the
 * reports' one. */
static void json_put_string(GString *out, const char *s) { report_append_json_string(out, s); }

/* ---- account and paths ----------------------------------------------------------------- */

static const char *token_url_of(const Account *a) { return a->token_url ? a->token_url : OAUTH_GOOGLE_TOKEN_URL; }
static const char *auth_url_of(const Account *a) { return a->auth_url ? a->auth_url : OAUTH_GOOGLE_AUTH_URL; }
static const char *scope_of(const Account *a) { return a->scope ? a->scope : OAUTH_GOOGLE_SCOPE; }

char *oauth_token_path(const Account *account) {
  g_autofree char *file = g_strconcat(account->name, ".json", NULL);
  return g_build_filename(g_get_user_state_dir(), "diaryd", "oauth", file, NULL);
}

typedef struct {
  char *dir;
  char *file;
  char *lock;
  char *temp_prefix; /* basename of `file` + ".tmp-" */
} Paths;

static void paths_free(Paths *p) {
  if (!p)
    return;
  g_free(p->dir);
  g_free(p->file);
  g_free(p->lock);
  g_free(p->temp_prefix);
  g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Paths, paths_free)

/* The account name becomes a file name: the config allows letters,
 * digits, '-', '_' and '.', and this is checked again rather than trusted. */
static Paths *paths_new(const Account *a, GError **error) {
  gboolean ok = a->name && *a->name && strlen(a->name) <= 200;
  for (const char *c = a->name; ok && *c; c++)
    ok = g_ascii_isalnum(*c) || *c == '-' || *c == '_' || *c == '.';
  if (!ok) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "account name \"%s\" cannot name a token file",
                a->name ? a->name : "");
    return NULL;
  }
  Paths *p = g_new0(Paths, 1);
  p->file = oauth_token_path(a);
  p->dir = g_path_get_dirname(p->file);
  p->lock = g_strdup_printf("%s%c%s.lock", p->dir, G_DIR_SEPARATOR, a->name);
  p->temp_prefix = g_strconcat(a->name, ".json.tmp-", NULL);
  return p;
}

static gboolean ensure_dir(const char *dir, GError **error) {
  if (g_mkdir_with_parents(dir, 0700) < 0) {
    int e = errno;
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot create the folder %s: %s", dir, g_strerror(e));
    return FALSE;
  }
  struct stat st;
  if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "%s is not a folder", dir);
    return FALSE;
  }
  if (st.st_uid != geteuid()) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO,
                "the folder %s belongs to another user: refusing to keep tokens there", dir);
    return FALSE;
  }
  /* Whatever the umask made of it, or whoever changed it since. */
  if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) < 0) {
    int e = errno;
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot make the folder %s private: %s", dir, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* Takes the writers' lock; returns its descriptor (close it to release). */
static int lock_take(const Paths *p, GError **error) {
  int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot open the lock file %s: %s", p->lock, g_strerror(e));
    return -1;
  }
  while (flock(fd, LOCK_EX) < 0) {
    if (errno == EINTR)
      continue;
    int e = errno;
    close(fd);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot lock %s: %s", p->lock, g_strerror(e));
    return -1;
  }
  return fd;
}

/* ---- the token file -------------------------------------------------------------------- */

static void set_damaged(GError **error, const Paths *p, const char *account, const char *why) {
  g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "the token file %s is damaged (%s): run `diaryd auth %s`", p->file,
              why, account);
}

/* The stored tokens.  A missing file is OAUTH_ERROR_NOT_AUTHORISED. */
static Tokens *tokens_load(const Paths *p, const Account *a, GError **error) {
  int fd = open(p->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_NOT_AUTHORISED,
                  "account \"%s\" is not authorised yet: run `diaryd auth %s`", a->name, a->name);
    else if (e == ELOOP)
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "the token file %s is a symbolic link: refusing to use it",
                  p->file);
    else
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot open the token file %s: %s", p->file, g_strerror(e));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "the token file %s is not a regular file", p->file);
    return NULL;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    close(fd);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO,
                "the token file %s is open to other users (mode %04o): refusing to use it; run `chmod 600 %s` "
                "(and `diaryd auth %s` if someone may have read it)",
                p->file, (unsigned)(st.st_mode & 07777), p->file, a->name);
    return NULL;
  }
  g_autoptr(SecretString) buf = g_string_sized_new(MIN((gsize)st.st_size, MAX_TOKEN_FILE) + 1);
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      explicit_bzero(chunk, sizeof chunk);
      close(fd);
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot read the token file %s: %s", p->file, g_strerror(e));
      return NULL;
    }
    if (n == 0)
      break;
    g_string_append_len(buf, chunk, n);
    if (buf->len > MAX_TOKEN_FILE)
      break;
  }
  explicit_bzero(chunk, sizeof chunk);
  close(fd);
  if (buf->len > MAX_TOKEN_FILE) {
    set_damaged(error, p, a->name, "larger than 64 KB");
    return NULL;
  }
  g_autoptr(GHashTable) m = json_parse_object(buf->str, buf->len);
  if (!m) {
    set_damaged(error, p, a->name, "not a JSON object");
    return NULL;
  }
  g_autoptr(Tokens) t = g_new0(Tokens, 1);
  t->refresh_token = g_strdup(json_str(m, "refresh_token"));
  if (!token_ok(t->refresh_token)) {
    set_damaged(error, p, a->name, "no usable refresh_token");
    return NULL;
  }
  if (json_has(m, "access_token")) {
    t->access_token = g_strdup(json_str(m, "access_token"));
    if (!token_ok(t->access_token) || !json_int(m, "expires_at", &t->expires_at)) {
      set_damaged(error, p, a->name, "an unusable access_token or expires_at");
      return NULL;
    }
  }
  t->token_url = g_strdup(json_str(m, "token_url"));
  return g_steal_pointer(&t);
}

static void remove_stale_temps(const Paths *p) {
  g_autoptr(GDir) dir = g_dir_open(p->dir, 0, NULL);
  if (!dir)
    return;
  const char *name;
  while ((name = g_dir_read_name(dir)))
    if (g_str_has_prefix(name, p->temp_prefix)) {
      g_autofree char *path = g_build_filename(p->dir, name, NULL);
      g_unlink(path);
    }
}

static gboolean write_all(int fd, const char *data, gsize len) {
  while (len) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* Replaces the token file.  The caller holds the lock. */
static gboolean tokens_store(const Paths *p, const Tokens *t, GError **error) {
  if (!token_ok(t->refresh_token) || (t->access_token && !token_ok(t->access_token)) ||
      (t->token_url && !g_utf8_validate(t->token_url, -1, NULL))) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot store the tokens in %s: they are not printable", p->file);
    return FALSE;
  }
  if (!ensure_dir(p->dir, error))
    return FALSE;
  g_autoptr(SecretString) json = g_string_new("{\n  \"refresh_token\": ");
  json_put_string(json, t->refresh_token);
  if (t->access_token) {
    g_string_append(json, ",\n  \"access_token\": ");
    json_put_string(json, t->access_token);
    g_string_append_printf(json, ",\n  \"expires_at\": %" G_GINT64_FORMAT, t->expires_at);
  }
  if (t->token_url) {
    g_string_append(json, ",\n  \"token_url\": ");
    json_put_string(json, t->token_url);
  }
  g_string_append(json, "\n}\n");

  remove_stale_temps(p);
  g_autofree char *tmp = g_strdup_printf("%s%c%sXXXXXX", p->dir, G_DIR_SEPARATOR, p->temp_prefix);
  int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot create a file in %s: %s", p->dir, g_strerror(e));
    return FALSE;
  }
  gboolean ok = fchmod(fd, 0600) == 0 && write_all(fd, json->str, json->len) && fsync(fd) == 0;
  int e = errno;
  if (close(fd) < 0 && ok) {
    ok = FALSE;
    e = errno;
  }
  if (ok && rename(tmp, p->file) < 0) {
    ok = FALSE;
    e = errno;
  }
  if (!ok) {
    g_unlink(tmp);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot write the token file %s: %s", p->file,
                g_strerror(e ? e : EIO));
    return FALSE;
  }
  /* The rename itself must reach the disk, or a crash could bring the old
   * file back after the server has rotated the refresh token. */
  int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) < 0) {
    e = errno;
    if (dfd >= 0)
      close(dfd);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot flush the folder %s: %s", p->dir, g_strerror(e));
    return FALSE;
  }
  close(dfd);
  return TRUE;
}

/* Tokens are only sent back to the endpoint that issued them: a changed
 * token_url would otherwise receive the old server's refresh token. */
static gboolean check_issuer(const Account *a, const Tokens *t, GError **error) {
  if (!t->token_url || !strcmp(t->token_url, token_url_of(a)))
    return TRUE;
  g_autofree char *was = http_url_for_display(t->token_url);
  g_autofree char *now = http_url_for_display(token_url_of(a));
  g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE,
              "the tokens of account \"%s\" come from %s but its token_url is now %s: run `diaryd auth %s`", a->name,
              was, now, a->name);
  return FALSE;
}

static gboolean fresh(const Tokens *t, gint64 now) {
  return t->access_token && t->expires_at - now > REFRESH_MARGIN_S;
}

/* ---- the token endpoint ------------------------------------------------------------------ */

/* `fields`: name, value, name, value, ..., NULL; a NULL value leaves the
 * field out. */
static SecretString *form_encode(const char *const *fields) {
  GString *s = g_string_new(NULL);
  for (const char *const *f = fields; f[0]; f += 2) {
    if (!f[1])
      continue;
    g_autofree char *v = g_uri_escape_string(f[1], NULL, FALSE);
    g_string_append_printf(s, "%s%s=%s", s->len ? "&" : "", f[0], v);
    explicit_bzero(v, strlen(v));
  }
  return s;
}

/* Posts `form` to the token endpoint; the tokens of a 2xx answer (the
 * refresh token may be NULL).  `what` names the request in messages;
 * `secrets` must not appear in them. */
static Tokens *token_request(const Account *a, Http *http, const GString *form, const char *what,
                             const char *const *secrets, gint64 now, GError **error) {
  const char *url = token_url_of(a);
  static const char *const headers[] = {"Accept: application/json", NULL};
  HttpRequest req = {
      .method = "POST",
      .url = url,
      .content_type = "application/x-www-form-urlencoded",
      .body = form->str,
      .body_len = form->len,
      .headers = headers,
      .no_redirects = TRUE,
      .no_auth = TRUE,
  };
  HttpResponse resp;
  g_autoptr(GError) local = NULL;
  if (!http_send(http, &req, &resp, &local)) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER, "%s for account \"%s\" failed: %s", what, a->name,
                local->message);
    return NULL;
  }
  g_autoptr(GHashTable) m = NULL;
  if (resp.body && resp.body->len <= MAX_TOKEN_REPLY)
    m = json_parse_object(resp.body->str, resp.body->len);
  if (resp.body)
    explicit_bzero(resp.body->str, resp.body->allocated_len);
  long status = resp.status;
  http_response_clear(&resp);

  g_autofree char *shown_url = http_url_for_display(url);
  const char *code = m ? json_str(m, "error") : NULL;
  if (status >= 200 && status < 300 && m && !json_has(m, "error")) {
    g_autoptr(Tokens) t = g_new0(Tokens, 1);
    const char *type = json_str(m, "token_type");
    gint64 expires_in = DEFAULT_EXPIRES_IN;
    const char *why = NULL;
    if (!token_ok(json_str(m, "access_token")))
      why = "no usable access_token";
    else if (type && g_ascii_strcasecmp(type, "bearer"))
      why = "a token_type other than Bearer";
    else if (json_has(m, "expires_in") && !json_int(m, "expires_in", &expires_in))
      why = "an unreadable expires_in";
    else if (json_has(m, "refresh_token") && !token_ok(json_str(m, "refresh_token")))
      why = "an unusable refresh_token";
    if (why) {
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER, "%s for account \"%s\" failed: %s answered with %s", what,
                  a->name, shown_url, why);
      return NULL;
    }
    t->access_token = g_strdup(json_str(m, "access_token"));
    t->refresh_token = g_strdup(json_str(m, "refresh_token"));
    t->expires_at = now + CLAMP(expires_in, 0, MAX_EXPIRES_IN);
    t->token_url = g_strdup(url);
    return g_steal_pointer(&t);
  }

  g_autofree char *shown_code = shown_text(code, secrets);
  g_autofree char *shown_desc = m ? shown_text(json_str(m, "error_description"), secrets) : NULL;
  if ((status == 400 || status == 401) && code && !strcmp(code, "invalid_grant")) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_REAUTHORISE,
                "%s for account \"%s\" was refused by %s (invalid_grant%s%s): run `diaryd auth %s` to authorise "
                "diaryd again",
                what, a->name, shown_url, shown_desc ? ": " : "", shown_desc ? shown_desc : "", a->name);
    return NULL;
  }
  g_autofree char *detail = NULL;
  if (shown_code)
    detail = g_strdup_printf(" (%s%s%s)%s", shown_code, shown_desc ? ": " : "", shown_desc ? shown_desc : "",
                             !strcmp(shown_code, "invalid_client") ? ": check client_id and client_secret" : "");
  else if (status >= 200 && status < 300)
    detail = g_strdup(": the answer is not the JSON of a token");
  g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER, "%s for account \"%s\" failed: HTTP %ld from %s%s", what,
              a->name, status, shown_url, detail ? detail : "");
  return NULL;
}

/* ---- oauth_access_token, oauth_invalidate ------------------------------------------------------- */

static gboolean have_client_id(const Account *a, GError **error) {
  if (a->client_id && *a->client_id)
    return TRUE;
  g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_NOT_AUTHORISED,
              "account \"%s\" has no client_id: set the one of the OAuth client created for diaryd", a->name);
  return FALSE;
}

/* Under the lock: re-read, since another process may have refreshed while
 * this one waited, and refresh only if it did not. */
static char *refresh_locked(const Account *a, Http *http, const Paths *p, gint64 now, GError **error) {
  g_autoptr(Tokens) t = tokens_load(p, a, error);
  if (!t || !check_issuer(a, t, error))
    return NULL;
  if (fresh(t, now))
    return g_strdup(t->access_token);
  const char *fields[] = {"grant_type", "refresh_token", "refresh_token", t->refresh_token, "client_id", a->client_id,
                          "client_secret", a->client_secret, NULL};
  g_autoptr(SecretString) form = form_encode(fields);
  const char *secrets[] = {t->refresh_token, a->client_secret ? a->client_secret : "",
                           t->access_token ? t->access_token : "", NULL};
  g_autoptr(Tokens) got = token_request(a, http, form, "token refresh", secrets, now, error);
  if (!got)
    return NULL;
  if (!got->refresh_token)
    got->refresh_token = g_steal_pointer(&t->refresh_token);
  if (!tokens_store(p, got, error))
    return NULL;
  return g_strdup(got->access_token);
}

char *oauth_access_token(const Account *account, Http *http, gint64 now, GError **error) {
  g_return_val_if_fail(account && http, NULL);
  g_autoptr(Paths) p = paths_new(account, error);
  if (!p)
    return NULL;
  /* Most calls end here, without the lock: the file is replaced whole. */
  g_autoptr(Tokens) t = tokens_load(p, account, error);
  if (!t || !check_issuer(account, t, error))
    return NULL;
  if (fresh(t, now))
    return g_strdup(t->access_token);
  if (!have_client_id(account, error) || !ensure_dir(p->dir, error))
    return NULL;
  int lock = lock_take(p, error);
  if (lock < 0)
    return NULL;
  char *token = refresh_locked(account, http, p, now, error);
  close(lock);
  return token;
}

gboolean oauth_invalidate(const Account *account, GError **error) {
  g_return_val_if_fail(account, FALSE);
  g_autoptr(Paths) p = paths_new(account, error);
  if (!p)
    return FALSE;
  struct stat st;
  if (lstat(p->file, &st) < 0 && errno == ENOENT)
    return TRUE;
  if (!ensure_dir(p->dir, error))
    return FALSE;
  int lock = lock_take(p, error);
  if (lock < 0)
    return FALSE;
  g_autoptr(GError) local = NULL;
  g_autoptr(Tokens) t = tokens_load(p, account, &local);
  gboolean ok = TRUE;
  if (!t) {
    ok = g_error_matches(local, OAUTH_ERROR, OAUTH_ERROR_NOT_AUTHORISED);
    if (!ok)
      g_propagate_error(error, g_steal_pointer(&local));
  } else if (t->access_token) {
    g_clear_pointer(&t->access_token, secret_free);
    t->expires_at = 0;
    ok = tokens_store(p, t, error);
  }
  close(lock);
  return ok;
}

/* ---- oauth_authorize: randomness and PKCE ------------------------------------------------------- */

static gboolean random_bytes(guint8 *buf, gsize len, GError **error) {
  gsize done = 0;
  while (done < len) {
    ssize_t n = getrandom(buf + done, len - done, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "no random numbers from the system: %s", g_strerror(e));
      return FALSE;
    }
    done += (gsize)n;
  }
  return TRUE;
}

/* `len` characters drawn uniformly from `alphabet` (bytes past the last
 * whole multiple of its size are drawn again, so no character is more
 * likely than another). */
static char *random_string(gsize len, const char *alphabet, GError **error) {
  gsize n = strlen(alphabet);
  guint limit = 256 - 256 % n;
  char *out = g_malloc0(len + 1);
  guint8 buf[64];
  gsize i = 0;
  while (i < len) {
    if (!random_bytes(buf, sizeof buf, error)) {
      g_free(out);
      return NULL;
    }
    for (gsize j = 0; j < sizeof buf && i < len; j++)
      if (buf[j] < limit)
        out[i++] = alphabet[buf[j] % n];
  }
  explicit_bzero(buf, sizeof buf);
  return out;
}

/* RFC 7636 §4.2: BASE64URL(SHA256(verifier)), no padding. */
static char *pkce_challenge(const char *verifier) {
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)verifier, (gssize)strlen(verifier));
  guint8 digest[32];
  gsize len = sizeof digest;
  g_checksum_get_digest(sum, digest, &len);
  char *b64 = g_base64_encode(digest, len);
  for (char *c = b64; *c; c++) {
    if (*c == '+')
      *c = '-';
    else if (*c == '/')
      *c = '_';
    else if (*c == '=') {
      *c = 0;
      break;
    }
  }
  return b64;
}

static void add_param(GString *url, gboolean *first, const char *name, const char *value) {
  g_autofree char *v = g_uri_escape_string(value, NULL, FALSE);
  g_string_append_printf(url, "%s%s=%s", *first ? "" : "&", name, v);
  *first = FALSE;
}

/* ---- oauth_authorize: the loopback listener ---------------------------------------------------- */

typedef struct {
  int fd;
  gint64 deadline_ms;
  gsize len;
  char buf[MAX_REQUEST];
} Conn;

static void send_page(int fd, int status, const char *reason, const char *text) {
  g_autofree char *escaped = g_markup_escape_text(text, -1);
  g_autofree char *html = g_strdup_printf("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>diaryd</title>"
                                          "</head><body><p>%s</p></body></html>\n",
                                          escaped);
  g_autofree char *msg = g_strdup_printf("HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                                         "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                                         "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n%s",
                                         status, reason, strlen(html), html);
  const char *p = msg;
  gsize left = strlen(msg);
  while (left) {
    ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      if (poll(&pfd, 1, 1000) > 0)
        continue;
    }
    if (n <= 0)
      break; /* the browser went away: nothing more to tell it */
    p += n;
    left -= (gsize)n;
  }
  shutdown(fd, SHUT_WR);
}

static void conn_drop(Conn **conns, guint *n, guint i) {
  close(conns[i]->fd);
  g_free(conns[i]);
  conns[i] = conns[--*n];
}

/* The query parameters of a complete request head when it is the
 * redirect (GET / with code, state or error); otherwise answers the
 * request itself (404 for /favicon.ico and the like) and returns NULL. */
static GHashTable *read_redirect(Conn *c) {
  /* The head is complete, so there is a line end. */
  const char *line_end = memchr(c->buf, '\n', c->len);
  g_autofree char *line = g_strndup(c->buf, (gsize)(line_end - c->buf));
  g_strchomp(line);
  g_auto(GStrv) parts = g_strsplit(line, " ", 4);
  if (g_strv_length(parts) != 3 || !g_str_has_prefix(parts[2], "HTTP/") || parts[1][0] != '/') {
    send_page(c->fd, 400, "Bad Request", "diaryd: this is not a request diaryd understands.");
    return NULL;
  }
  if (strcmp(parts[0], "GET")) {
    send_page(c->fd, 405, "Method Not Allowed", "diaryd: only GET is answered here.");
    return NULL;
  }
  char *query = strchr(parts[1], '?');
  if (query)
    *query++ = 0;
  if (strcmp(parts[1], "/") || !query) {
    send_page(c->fd, 404, "Not Found", "diaryd: nothing here.");
    return NULL;
  }
  g_autoptr(GHashTable) params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  GUriParamsIter iter;
  g_uri_params_iter_init(&iter, query, -1, "&", G_URI_PARAMS_WWW_FORM);
  char *name, *value;
  gboolean ok = TRUE;
  while (ok && g_uri_params_iter_next(&iter, &name, &value, NULL)) {
    ok = !g_hash_table_contains(params, name);
    g_hash_table_insert(params, name, value);
  }
  /* The iterator stops early on bad %-encoding: check it got to the end by
   * parsing again. */
  g_autoptr(GHashTable) check = ok ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL) : NULL;
  if (!check) {
    send_page(c->fd, 400, "Bad Request", "diaryd: the address is malformed.");
    return NULL;
  }
  if (!g_hash_table_contains(params, "code") && !g_hash_table_contains(params, "state") &&
      !g_hash_table_contains(params, "error")) {
    send_page(c->fd, 404, "Not Found", "diaryd: nothing here.");
    return NULL;
  }
  return g_steal_pointer(&params);
}

/* Serves the listener until a request carries the redirect: returns its
 * connection (to be answered) and sets *params; -1 on timeout or failure. */
static int wait_redirect(int listener, gint64 deadline_ms, GHashTable **params, GError **error) {
  Conn *conns[MAX_CONNS];
  guint n = 0;
  int found = -1;
  while (found < 0) {
    gint64 now_ms = g_get_monotonic_time() / 1000;
    for (guint i = n; i-- > 0;)
      if (conns[i]->deadline_ms <= now_ms)
        conn_drop(conns, &n, i);
    if (now_ms >= deadline_ms) {
      g_set_error_literal(error, OAUTH_ERROR, OAUTH_ERROR_TIMED_OUT, "no answer from the browser in time");
      break;
    }
    struct pollfd pfd[MAX_CONNS + 1];
    gint64 wake = deadline_ms;
    for (guint i = 0; i < n; i++) {
      pfd[i] = (struct pollfd){.fd = conns[i]->fd, .events = POLLIN};
      wake = MIN(wake, conns[i]->deadline_ms);
    }
    /* When every slot is taken, new connections wait in the backlog. */
    pfd[n] = (struct pollfd){.fd = n < MAX_CONNS ? listener : -1, .events = POLLIN};
    int r = poll(pfd, n + 1, (int)MIN(wake - now_ms, G_MAXINT));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "waiting for the browser failed: %s", g_strerror(e));
      break;
    }
    gboolean accept_ready = pfd[n].revents & POLLIN;
    /* Downwards, so that dropping connection i (the last one takes its
     * place) leaves the ones still to visit where pfd says they are. */
    for (guint i = n; i-- > 0 && found < 0;) {
      if (!pfd[i].revents)
        continue;
      Conn *c = conns[i];
      ssize_t got = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        continue;
      if (got <= 0) {
        conn_drop(conns, &n, i);
        continue;
      }
      c->len += (gsize)got;
      const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
      if (!end)
        end = memmem(c->buf, c->len, "\n\n", 2);
      if (!end) {
        if (c->len == sizeof c->buf) {
          send_page(c->fd, 431, "Request Header Fields Too Large", "diaryd: the request is too large.");
          conn_drop(conns, &n, i);
        }
        continue;
      }
      *params = read_redirect(c);
      if (*params) {
        found = c->fd;
        g_free(c);
        conns[i] = conns[--n];
      } else {
        conn_drop(conns, &n, i);
      }
    }
    if (found < 0 && accept_ready && n < MAX_CONNS) {
      int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        Conn *c = g_new(Conn, 1);
        c->fd = fd;
        c->len = 0;
        c->deadline_ms = MIN(g_get_monotonic_time() / 1000 + CONN_TIMEOUT_MS, deadline_ms);
        conns[n++] = c;
      }
    }
  }
  while (n)
    conn_drop(conns, &n, n - 1);
  return found;
}

static int listen_loopback(guint16 *port, GError **error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot listen on 127.0.0.1 for the browser's answer: %s",
                g_strerror(e));
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

/* Constant time, so the comparison tells nothing of how much matched. */
static gboolean same_secret(const char *a, const char *b) {
  gsize la = strlen(a), lb = strlen(b);
  guchar diff = la != lb;
  for (gsize i = 0; i < la && i < lb; i++)
    diff |= (guchar)(a[i] ^ b[i]);
  return diff == 0;
}

/* The code of a redirect whose state matches; NULL with an error otherwise. */
static const char *redirect_code(const Account *a, GHashTable *params, const char *state, GError **error) {
  const char *got_state = g_hash_table_lookup(params, "state");
  const char *err = g_hash_table_lookup(params, "error");
  const char *code = g_hash_table_lookup(params, "code");
  if (!got_state || !same_secret(got_state, state)) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_DENIED,
                "the browser's answer does not carry the state diaryd sent (an old tab, or a forged request): "
                "run `diaryd auth %s` again",
                a->name);
    return NULL;
  }
  if (err) {
    const char *none[] = {NULL};
    g_autofree char *shown = shown_text(err, none);
    g_set_error(error, OAUTH_ERROR, !strcmp(err, "access_denied") ? OAUTH_ERROR_DENIED : OAUTH_ERROR_SERVER,
                "authorisation of account \"%s\" %s (%s)", a->name,
                !strcmp(err, "access_denied") ? "was refused in the browser" : "failed", shown ? shown : "?");
    return NULL;
  }
  if (!code || !*code || strlen(code) > MAX_CODE_LEN || !token_ok(code)) {
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER,
                "the browser's answer for account \"%s\" carries no usable authorisation code", a->name);
    return NULL;
  }
  return code;
}

/* Trades the code for tokens and stores them. */
static gboolean exchange_code(const Account *a, Http *http, const char *code, const char *redirect_uri,
                              const char *verifier, GError **error) {
  g_autoptr(Paths) p = paths_new(a, error);
  if (!p)
    return FALSE;
  const char *fields[] = {"grant_type",    "authorization_code", "code",         code,
                          "redirect_uri",  redirect_uri,         "client_id",    a->client_id,
                          "client_secret", a->client_secret,     "code_verifier", verifier,
                          NULL};
  g_autoptr(SecretString) form = form_encode(fields);
  const char *secrets[] = {code, verifier, a->client_secret ? a->client_secret : "", NULL};
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(Tokens) got = token_request(a, http, form, "the authorisation code exchange", secrets, now, error);
  if (!got || !ensure_dir(p->dir, error))
    return FALSE;
  int lock = lock_take(p, error);
  if (lock < 0)
    return FALSE;
  gboolean ok = TRUE;
  if (!got->refresh_token) {
    /* Servers may skip the refresh token when one was granted before;
     * the stored one then still stands, if it came from this server. */
    g_autoptr(Tokens) old = tokens_load(p, a, NULL);
    if (old && (!old->token_url || !strcmp(old->token_url, got->token_url)))
      got->refresh_token = g_steal_pointer(&old->refresh_token);
    else {
      g_autofree char *shown = http_url_for_display(got->token_url);
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_SERVER,
                  "%s gave no refresh token for account \"%s\": remove diaryd's access in the account's settings "
                  "and run `diaryd auth %s` again",
                  shown, a->name, a->name);
      ok = FALSE;
    }
  }
  ok = ok && tokens_store(p, got, error);
  close(lock);
  return ok;
}

gboolean oauth_authorize(const Account *account, Http *http, FILE *out, guint timeout_s, GError **error) {
  g_return_val_if_fail(account && http && out, FALSE);
  g_autoptr(Paths) p = paths_new(account, error);
  if (!p || !have_client_id(account, error))
    return FALSE;
  /* RFC 7636 §4.1: the verifier's alphabet is the URI's unreserved
   * characters; the state needs only to be unguessable and URL-safe. */
  g_autofree char *verifier = random_string(VERIFIER_LEN, ALNUM "-._~", error);
  g_autofree char *state = verifier ? random_string(STATE_LEN, ALNUM "-_", error) : NULL;
  if (!state)
    return FALSE;
  g_autofree char *challenge = pkce_challenge(verifier);
  guint16 port;
  int listener = listen_loopback(&port, error);
  if (listener < 0)
    return FALSE;
  g_autofree char *redirect_uri = g_strdup_printf("http://127.0.0.1:%u/", (unsigned)port);

  const char *auth_url = auth_url_of(account);
  g_autoptr(GString) url = g_string_new(auth_url);
  if (!strchr(auth_url, '?'))
    g_string_append_c(url, '?');
  gboolean first = g_str_has_suffix(url->str, "?") || g_str_has_suffix(url->str, "&");
  add_param(url, &first, "response_type", "code");
  add_param(url, &first, "client_id", account->client_id);
  add_param(url, &first, "redirect_uri", redirect_uri);
  add_param(url, &first, "scope", scope_of(account));
  add_param(url, &first, "code_challenge", challenge);
  add_param(url, &first, "code_challenge_method", "S256");
  add_param(url, &first, "state", state);
  add_param(url, &first, "access_type", "offline");
  add_param(url, &first, "prompt", "consent");

  fprintf(out, "To authorise diaryd for account \"%s\", open this address in a web browser (waiting %u s):\n%s\n",
          account->name, timeout_s, url->str);
  if (fflush(out) != 0 || ferror(out)) {
    close(listener);
    g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_IO, "cannot print the address to open");
    return FALSE;
  }

  gint64 deadline_ms = g_get_monotonic_time() / 1000 + (gint64)timeout_s * 1000;
  g_autoptr(GHashTable) params = NULL;
  int conn = wait_redirect(listener, deadline_ms, &params, error);
  close(listener);
  if (conn < 0) {
    if (error && *error && (*error)->code == OAUTH_ERROR_TIMED_OUT) {
      g_clear_error(error);
      g_set_error(error, OAUTH_ERROR, OAUTH_ERROR_TIMED_OUT,
                  "no answer from the browser for account \"%s\" within %u s: run `diaryd auth %s` again",
                  account->name, timeout_s, account->name);
    }
    return FALSE;
  }
  g_autoptr(GError) local = NULL;
  const char *code = redirect_code(account, params, state, &local);
  gboolean ok = code && exchange_code(account, http, code, redirect_uri, verifier, &local);
  if (ok) {
    send_page(conn, 200, "OK", "diaryd: authorised, you can close this tab.");
  } else {
    g_autofree char *text = g_strdup_printf("diaryd: authorisation failed: %s", local->message);
    send_page(conn, 200, "OK", text);
    g_propagate_error(error, g_steal_pointer(&local));
  }
  close(conn);
  explicit_bzero(verifier, strlen(verifier));
  return ok;
}
