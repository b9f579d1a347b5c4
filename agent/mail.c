/* mail: see mail.h.
 *
 * A MailTransport is a table of operations and the private state of one
 * backend; mail_send() checks what every backend relies on (addresses,
 * CRLF-only data) once, before the backend sees anything.
 *
 * SMTP goes through one libcurl easy handle per transport.
 * curl_easy_reset() before each message clears the options but keeps the
 * connection cache, so consecutive messages reuse one authenticated TLS
 * connection; every option is set again from scratch each time.  libcurl
 * says nothing of the server's reply text in its errors, but it hands
 * every SMTP response line to the header callback (verbose stays off: it
 * would print the AUTH exchange), so the last 4xx/5xx response is kept
 * from there.  CURLINFO_RESPONSE_CODE is not updated by the QUIT that
 * follows an error, but the captured reply is what the messages quote.
 *
 * sendmail gets the message through a memfd as its stdin, so no pipe is
 * written to (no SIGPIPE, no deadlock with a command that does not read);
 * only its stderr is read, from a private main context with a timeout, as
 * config/accounts.c runs password_command.
 *
 * maildir follows the maildir(5) delivery procedure: unique name, write
 * into tmp/, fsync, link into new/ (rename where hard links are not
 * supported), unlink from tmp/, fsync new/.
 */
#include "mail.h"

#include "agentlog.h"
#include "message.h"
#include "secret.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 30
#define TRANSFER_TIMEOUT_S 120
#define LOW_SPEED_TIME_S 60
#define SENDMAIL_TIMEOUT_S 60
#define KILL_GRACE_MS 5000
#define STDERR_MAX 2048
#define REPLY_MAX 1024  /* bytes of one server response kept */
#define SHOWN_MAX 300   /* characters of outside text in a message */

G_DEFINE_QUARK(diaryd-mail-error-quark, mail_error)

typedef struct {
  gboolean leaves_machine;
  gboolean (*send)(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                   GError **error);
  void (*free)(gpointer priv);
} MailOps;

struct MailTransport {
  const MailOps *ops;
  char *description;
  char *label; /* "SMTP smtps://...", "sendmail (msmtp)", "maildir /..." for error messages */
  gpointer priv;
};

/* ---- shared helpers ------------------------------------------------------------ */

/* Text from outside (a server's reply, a command's stderr) fit for one line
 * of a message: valid UTF-8, controls made spaces, runs of blanks
 * collapsed, trimmed, at most SHOWN_MAX characters. */
static char *clean_text(const char *text, gssize len) {
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", len);
  GString *out = g_string_new(NULL);
  glong chars = 0;
  gboolean blank = FALSE;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || g_unichar_isspace(c)) {
      blank = out->len > 0;
      continue;
    }
    if (chars >= SHOWN_MAX) {
      g_string_append(out, "…");
      break;
    }
    if (blank) {
      g_string_append_c(out, ' ');
      chars++;
      blank = FALSE;
    }
    g_string_append_unichar(out, c);
    chars++;
  }
  return g_string_free(out, FALSE);
}

/* Where the message must not go wrong: one bad byte would let the data
 * end the SMTP transaction early or start a header of its own. */
static gboolean check_data(const char *data, gsize len, GString *why) {
  if (!data || len == 0) {
    g_string_append(why, "the message is empty");
    return FALSE;
  }
  if (len > MAIL_MAX_MESSAGE) {
    g_string_append_printf(why, "the message is larger than %u MB", MAIL_MAX_MESSAGE / (1024 * 1024));
    return FALSE;
  }
  for (gsize i = 0; i < len; i++) {
    if (data[i] == '\0') {
      g_string_append_printf(why, "the message has a NUL byte at byte %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')) {
      g_string_append_printf(why, "the message has a bare CR at byte %" G_GSIZE_FORMAT " (lines end in CRLF)", i);
      return FALSE;
    }
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
      g_string_append_printf(why, "the message has a bare LF at byte %" G_GSIZE_FORMAT " (lines end in CRLF)", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* The message with LF line ends (data is CRLF-only: check_data). */
static GString *to_lf(const char *prefix, const char *data, gsize len) {
  GString *out = g_string_sized_new(len + (prefix ? strlen(prefix) : 0));
  if (prefix)
    g_string_append(out, prefix);
  for (gsize i = 0; i < len; i++)
    if (data[i] != '\r')
      g_string_append_c(out, data[i]);
  return out;
}

static gboolean write_all(int fd, const char *buf, gsize len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    buf += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* ---- SMTP ---------------------------------------------------------------------- */

typedef struct {
  CURL *easy;
  char *url;
  char *username;
  char **password_command;
  char *password;
  char *secret; /* from password_command or password, at the first send; wiped when freed */
  MailAuth auth;
  char *ca_file;
  /* One send's state. */
  char errbuf[CURL_ERROR_SIZE];
  GString *reply;        /* the response being read (its lines so far) */
  GString *error_reply;  /* the last complete 4xx/5xx response */
  int error_code;
  gboolean data_started; /* a 354 came: the message is being sent */
  gboolean answered;     /* a response came after the message was sent */
  guint replies;         /* complete responses, the greeting included */
  const char *data;
  gsize len, sent;
} Smtp;

static void global_init(void) {
  static gsize done;
  if (g_once_init_enter(&done)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&done, 1);
  }
}

static void smtp_free(gpointer priv) {
  Smtp *s = priv;
  if (s->easy)
    curl_easy_cleanup(s->easy);
  g_free(s->url);
  g_free(s->username);
  g_strfreev(s->password_command);
  secret_free(s->password);
  secret_free(s->secret);
  g_free(s->ca_file);
  g_string_free(s->reply, TRUE);
  g_string_free(s->error_reply, TRUE);
  g_free(s);
}

/* Each line of each response the server sends ("250-..." lines, then
 * "250 ..."). */
static size_t on_reply_line(char *line, size_t size, size_t n, void *data) {
  Smtp *s = data;
  size_t len = size * n;
  gsize keep = MIN(len, REPLY_MAX > s->reply->len ? REPLY_MAX - s->reply->len : 0);
  g_string_append_len(s->reply, line, (gssize)keep);
  gboolean final = len < 4 || line[3] != '-';
  if (!final)
    return len;
  s->replies++;
  int code = len >= 3 && g_ascii_isdigit(line[0]) && g_ascii_isdigit(line[1]) && g_ascii_isdigit(line[2])
                 ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0')
                 : 0;
  if (code == 354)
    s->data_started = TRUE;
  else if (s->data_started && s->sent == s->len)
    s->answered = TRUE;
  if (code >= 400) {
    g_string_assign(s->error_reply, s->reply->str);
    s->error_code = code;
  }
  g_string_truncate(s->reply, 0);
  return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *data) {
  Smtp *s = data;
  size_t room = size * n, left = s->len - s->sent;
  size_t k = MIN(room, left);
  memcpy(buf, s->data + s->sent, k);
  s->sent += k;
  return k;
}

static gboolean is_tls_error(CURLcode rc) {
  switch (rc) {
  case CURLE_USE_SSL_FAILED:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_SHUTDOWN_FAILED:
    return TRUE;
  default:
    return FALSE;
  }
}

/* 535 (credentials invalid), 534 (mechanism too weak / web login
 * required), 530 (authentication required), 454 (temporary authentication
 * failure): retrying would only lock the account. */
static gboolean is_auth_code(int code) { return code == 535 || code == 534 || code == 530 || code == 454; }

/* Sets *error (never NULL here) from what the failed transfer left behind. */
static gboolean smtp_set_error(MailTransport *t, Smtp *s, const char *rcpt, CURLcode rc, GError **error) {
  g_autofree char *reply = s->error_reply->len ? clean_text(s->error_reply->str, -1) : NULL;
  g_autofree char *detail = clean_text(s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc), -1);
  const char *server = t->label;
  int code = s->error_code;
  if (rc == CURLE_LOGIN_DENIED || (is_auth_code(code) && rc != CURLE_USE_SSL_FAILED)) {
    if (reply)
      g_set_error(error, MAIL_ERROR, MAIL_ERROR_AUTH, "mail to %s through %s: the server refused the login as %s: %s",
                  rcpt, server, s->username ? s->username : "(no username)", reply);
    else
      g_set_error(error, MAIL_ERROR, MAIL_ERROR_AUTH,
                  "mail to %s through %s: no login as %s: %s (no authentication method in common with the server?)",
                  rcpt, server, s->username ? s->username : "(no username)", detail);
    return FALSE;
  }
  if (rc == CURLE_USE_SSL_FAILED) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TLS,
                "mail to %s through %s: the server offers no STARTTLS, and diaryd never sends mail in clear "
                "(TLS is required; nothing was sent)%s%s",
                rcpt, server, reply ? ": " : "", reply ? reply : "");
    return FALSE;
  }
  if (is_tls_error(rc)) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TLS, "mail to %s through %s: TLS failed: %s (nothing was sent)", rcpt,
                server, detail);
    return FALSE;
  }
  /* Which command the reply answered: libcurl names MAIL and RCPT in its
   * error; a reply after the 354 answers the message itself. */
  const char *what = g_str_has_prefix(s->errbuf, "MAIL") ? "the sender was refused"
                     : g_str_has_prefix(s->errbuf, "RCPT") ? "the recipient was refused"
                     : s->data_started                      ? "the message was refused"
                     : g_str_has_prefix(s->errbuf, "DATA") ? "the server would not take the message"
                                                            : "the server refused";
  if (code >= 400 && code < 500) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY, "mail to %s through %s: %s for now: %s", rcpt, server, what,
                reply);
    return FALSE;
  }
  if (code >= 500) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_PERMANENT, "mail to %s through %s: %s: %s", rcpt, server, what, reply);
    return FALSE;
  }
  switch (rc) {
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_NOT_BUILT_IN:
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "mail to %s through %s: %s", rcpt, server, detail);
    return FALSE;
  default:
    break;
  }
  if (s->data_started && s->sent == s->len && !s->answered) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY,
                "mail to %s through %s: the connection was lost after the whole message was sent and before the "
                "server answered, so it may have been delivered: %s",
                rcpt, server, detail);
    return FALSE;
  }
  const char *how = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? "could not connect"
                    : rc == CURLE_OPERATION_TIMEDOUT                               ? "timed out"
                                                                                   : "the connection failed";
  /* A server that waits for a TLS handshake says nothing to smtp://. */
  const char *hint = rc == CURLE_OPERATION_TIMEDOUT && !s->replies && !g_ascii_strncasecmp(s->url, "smtp:", 5)
                         ? " (the server sent no greeting: does this port want smtps://, as 465 does?)"
                         : "";
  g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY, "mail to %s through %s: %s: %s%s", rcpt, server, how, detail,
              hint);
  return FALSE;
}

static gboolean smtp_send(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                          GError **error) {
  Smtp *s = t->priv;
  if (s->auth != MAIL_AUTH_NONE && !s->secret) {
    g_autoptr(GError) why = NULL;
    s->secret = config_secret("[mail]", s->password_command, s->password, &why);
    if (!s->secret) {
      g_set_error(error, MAIL_ERROR, MAIL_ERROR_AUTH, "mail to %s through %s: no password: %s", rcpt, t->label,
                  why->message);
      return FALSE;
    }
  }
  CURL *e = s->easy;
  curl_easy_reset(e);
  s->errbuf[0] = '\0';
  g_string_truncate(s->reply, 0);
  g_string_truncate(s->error_reply, 0);
  s->error_code = 0;
  s->data_started = s->answered = FALSE;
  s->replies = 0;
  s->data = data;
  s->len = len;
  s->sent = 0;

  g_autofree char *mail_from = g_strdup_printf("<%s>", from);
  g_autofree char *mail_rcpt = g_strdup_printf("<%s>", rcpt);
  struct curl_slist *rcpts = curl_slist_append(NULL, mail_rcpt);
  curl_easy_setopt(e, CURLOPT_URL, s->url);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (s->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)TRANSFER_TIMEOUT_S);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME_S);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_reply_line);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(e, CURLOPT_READDATA, s);
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, mail_from);
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpts);
  if (s->auth != MAIL_AUTH_NONE) {
    curl_easy_setopt(e, CURLOPT_USERNAME, s->username);
    if (s->auth == MAIL_AUTH_XOAUTH2) {
      curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, s->secret);
      curl_easy_setopt(e, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
    } else {
      curl_easy_setopt(e, CURLOPT_PASSWORD, s->secret);
      if (s->auth == MAIL_AUTH_PLAIN)
        curl_easy_setopt(e, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
      else if (s->auth == MAIL_AUTH_LOGIN)
        curl_easy_setopt(e, CURLOPT_LOGIN_OPTIONS, "AUTH=LOGIN");
    }
  }
  CURLcode rc = curl_easy_perform(e);
  /* The options point into this call's strings: clear them now. */
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, NULL);
  curl_slist_free_all(rcpts);
  s->data = NULL;
  if (rc == CURLE_OK)
    return TRUE;
  GError *failure = NULL;
  smtp_set_error(t, s, rcpt, rc, &failure);
  if (failure->code == MAIL_ERROR_AUTH)
    g_clear_pointer(&s->secret, secret_free); /* the owner may fix it: ask again next time */
  g_propagate_error(error, failure);
  return FALSE;
}

static const MailOps SMTP_OPS = {TRUE, smtp_send, smtp_free};

static MailTransport *smtp_new(MailTransport *t, const MailSettings *m, GError **error) {
  if (!m->url) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "[mail] transport = smtp has no url");
    return NULL;
  }
  global_init();
  Smtp *s = g_new0(Smtp, 1);
  s->easy = curl_easy_init();
  if (!s->easy)
    g_error("libcurl could not create a handle (out of memory)");
  s->url = g_strdup(m->url);
  gsize n = strlen(s->url);
  if (n && s->url[n - 1] == '/')
    s->url[n - 1] = '\0'; /* a path would become the EHLO name */
  s->username = g_strdup(m->username);
  s->password_command = g_strdupv(m->password_command);
  s->password = g_strdup(m->password);
  s->auth = m->auth;
  s->ca_file = g_strdup(m->ca_file);
  s->reply = g_string_new(NULL);
  s->error_reply = g_string_new(NULL);
  t->ops = &SMTP_OPS;
  t->priv = s;
  gboolean starttls = !g_ascii_strncasecmp(s->url, "smtp:", 5);
  t->label = g_strdup_printf("SMTP %s", s->url);
  if (s->auth == MAIL_AUTH_NONE)
    t->description = g_strdup_printf("SMTP %s%s without login", s->url, starttls ? " (STARTTLS)" : "");
  else
    t->description = g_strdup_printf("SMTP %s%s as %s", s->url, starttls ? " (STARTTLS)" : "", s->username);
  return t;
}

/* ---- sendmail ---------------------------------------------------------------------- */

typedef struct {
  char **argv;
} Sendmail;

static void sendmail_free(gpointer priv) {
  Sendmail *s = priv;
  g_strfreev(s->argv);
  g_free(s);
}

typedef struct {
  char buf[STDERR_MAX + 1];
  gsize len;
  gboolean reading, exited, timed_out, gave_up;
  int status;
} Child;

static gboolean on_stderr(gint fd, GIOCondition cond, gpointer data) {
  (void)cond;
  Child *c = data;
  char chunk[4096];
  ssize_t n = read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n > 0) {
    gsize keep = MIN((gsize)n, STDERR_MAX - c->len);
    memcpy(c->buf + c->len, chunk, keep);
    c->len += keep; /* the rest is read and dropped, so the command never blocks on a full pipe */
    return G_SOURCE_CONTINUE;
  }
  c->reading = FALSE;
  return G_SOURCE_REMOVE;
}

static void on_child_exit(GPid pid, gint status, gpointer data) {
  Child *c = data;
  c->exited = TRUE;
  c->status = status;
  g_spawn_close_pid(pid);
}

static gboolean on_child_timeout(gpointer data) {
  ((Child *)data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean on_child_grace(gpointer data) {
  ((Child *)data)->gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

static GSource *attach(GSource *source, GMainContext *ctx, GSourceFunc callback, gpointer data) {
  g_source_set_callback(source, callback, data, NULL);
  g_source_attach(source, ctx);
  return source;
}

static double sendmail_timeout(void) {
  const char *env = g_getenv("DIARYD_SENDMAIL_TIMEOUT");
  if (env) {
    char *end;
    double s = g_ascii_strtod(env, &end);
    if (end != env && !*end && s > 0 && s <= SENDMAIL_TIMEOUT_S)
      return s;
  }
  return SENDMAIL_TIMEOUT_S;
}

static const char *sysexit_name(int status) {
  switch (status) {
  case 64: return "EX_USAGE";
  case 65: return "EX_DATAERR";
  case 66: return "EX_NOINPUT";
  case 67: return "EX_NOUSER";
  case 68: return "EX_NOHOST";
  case 69: return "EX_UNAVAILABLE";
  case 70: return "EX_SOFTWARE";
  case 71: return "EX_OSERR";
  case 72: return "EX_OSFILE";
  case 73: return "EX_CANTCREAT";
  case 74: return "EX_IOERR";
  case 75: return "EX_TEMPFAIL";
  case 76: return "EX_PROTOCOL";
  case 77: return "EX_NOPERM";
  case 78: return "EX_CONFIG";
  default: return NULL;
  }
}

static gboolean sendmail_send(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                              GError **error) {
  Sendmail *s = t->priv;
  const char *cmd = s->argv[0];
  g_autoptr(GString) lf = to_lf(NULL, data, len);
  int in_fd = memfd_create("diaryd-message", MFD_CLOEXEC);
  if (in_fd < 0 || !write_all(in_fd, lf->str, lf->len) || lseek(in_fd, 0, SEEK_SET) != 0) {
    int e = errno;
    if (in_fd >= 0)
      close(in_fd);
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY, "mail to %s through %s: the message could not be staged: %s",
                rcpt, t->label, g_strerror(e));
    return FALSE;
  }
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  for (char **a = s->argv; *a; a++)
    g_ptr_array_add(argv, *a);
  const char *tail[] = {"-oi", "-f", from, "--", rcpt, NULL};
  for (guint i = 0; i < G_N_ELEMENTS(tail); i++)
    g_ptr_array_add(argv, (gpointer)tail[i]);

  double timeout = sendmail_timeout();
  GPid pid;
  int err_fd = -1;
  g_autoptr(GError) spawn_error = NULL;
  gboolean spawned = g_spawn_async_with_pipes_and_fds(
      NULL, (const char *const *)argv->pdata, NULL,
      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
      NULL, in_fd, -1, -1, NULL, NULL, 0, &pid, NULL, NULL, &err_fd, &spawn_error);
  close(in_fd);
  if (!spawned) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "mail to %s through %s: the command %s: %s", rcpt, t->label,
                g_error_matches(spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ? "could not be found"
                                                                                 : "could not be run",
                spawn_error->message);
    return FALSE;
  }
  g_unix_set_fd_nonblocking(err_fd, TRUE, NULL);

  /* A private context: this may run in a worker thread, and must neither
   * dispatch nor wait on anyone else's sources. */
  GMainContext *ctx = g_main_context_new();
  Child *c = g_new0(Child, 1);
  c->reading = TRUE;
  GSource *err = attach(g_unix_fd_source_new(err_fd, G_IO_IN | G_IO_HUP | G_IO_ERR), ctx, G_SOURCE_FUNC(on_stderr), c);
  GSource *child = attach(g_child_watch_source_new(pid), ctx, G_SOURCE_FUNC(on_child_exit), c);
  GSource *timer = attach(g_timeout_source_new((guint)(timeout * 1000)), ctx, on_child_timeout, c);
  GSource *grace = NULL;
  while (c->reading || !c->exited) {
    if (!grace && c->timed_out) {
      if (!c->exited) /* never signal a reaped pid: it may be someone else's now */
        kill(pid, SIGKILL);
      g_source_destroy(err);
      c->reading = FALSE;
      grace = attach(g_timeout_source_new(KILL_GRACE_MS), ctx, on_child_grace, c);
      continue;
    }
    if (c->gave_up)
      break;
    g_main_context_iteration(ctx, TRUE);
  }
  close(err_fd);
  GSource *sources[] = {err, child, timer, grace};
  for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
    if (sources[i]) {
      g_source_destroy(sources[i]);
      g_source_unref(sources[i]);
    }
  g_main_context_unref(ctx);

  g_autofree char *said = c->len ? clean_text(c->buf, (gssize)c->len) : NULL;
  g_autofree char *stderr_part = said && *said ? g_strdup_printf(": %s", said) : g_strdup("");
  gboolean ok = FALSE;
  if (c->timed_out) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY,
                "mail to %s through %s: %s did not finish within %g s and was killed%s", rcpt, t->label, cmd, timeout,
                stderr_part);
  } else if (WIFSIGNALED(c->status)) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY, "mail to %s through %s: %s was killed by signal %d (%s)%s",
                rcpt, t->label, cmd, WTERMSIG(c->status), g_strsignal(WTERMSIG(c->status)), stderr_part);
  } else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0) {
    ok = TRUE;
  } else {
    int status = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
    MailError code = status == 75 || status == 69 || status == 70 || status == 71 || status == 74
                         ? MAIL_ERROR_TEMPORARY
                     : status == 77 ? MAIL_ERROR_AUTH
                                    : MAIL_ERROR_PERMANENT;
    /* msmtp says 69 (EX_UNAVAILABLE) for any reply it did not like, 4xx
     * and 5xx alike, and prints the reply: a 5xx is final. */
    if (status == 69 && said && g_regex_match_simple("server message: 5[0-9][0-9] ", said, 0, 0))
      code = MAIL_ERROR_PERMANENT;
    const char *name = sysexit_name(status);
    g_set_error(error, MAIL_ERROR, code, "mail to %s through %s: %s exited with status %d%s%s%s%s", rcpt, t->label,
                cmd, status, name ? " (" : "", name ? name : "", name ? ")" : "", stderr_part);
  }
  g_free(c);
  return ok;
}

static const MailOps SENDMAIL_OPS = {TRUE, sendmail_send, sendmail_free};

static MailTransport *sendmail_new(MailTransport *t, const MailSettings *m, GError **error) {
  if (!m->sendmail || !m->sendmail[0]) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "[mail] transport = sendmail has no sendmail command");
    return NULL;
  }
  Sendmail *s = g_new0(Sendmail, 1);
  s->argv = g_strdupv(m->sendmail);
  t->ops = &SENDMAIL_OPS;
  t->priv = s;
  g_autofree char *joined = g_strjoinv(" ", s->argv);
  g_autofree char *shown = clean_text(joined, -1);
  t->description = g_strdup_printf("sendmail: %s", shown);
  t->label = g_strdup_printf("sendmail (%s)", s->argv[0]);
  return t;
}

/* ---- maildir ------------------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *host; /* the host name, with '/' and ':' written as maildir(5) says */
  guint counter;
} Maildir;

static void maildir_free(gpointer priv) {
  Maildir *m = priv;
  g_free(m->dir);
  g_free(m->host);
  g_free(m);
}

static MailError errno_class(int e) {
  return e == ENOSPC || e == EDQUOT || e == EIO || e == EINTR || e == EAGAIN || e == ENOMEM ? MAIL_ERROR_TEMPORARY
                                                                                           : MAIL_ERROR_CONFIG;
}

static gboolean fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  gboolean ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

static gboolean maildir_send(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                             GError **error) {
  Maildir *m = t->priv;
  const char *subs[] = {"tmp", "new", "cur"};
  if (g_mkdir_with_parents(m->dir, 0700) != 0) {
    int e = errno;
    g_set_error(error, MAIL_ERROR, errno_class(e), "mail to %s into %s: cannot create the folder: %s", rcpt, t->label,
                g_strerror(e));
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS(subs); i++) {
    g_autofree char *sub = g_build_filename(m->dir, subs[i], NULL);
    if (g_mkdir(sub, 0700) != 0 && errno != EEXIST) {
      int e = errno;
      g_set_error(error, MAIL_ERROR, errno_class(e), "mail to %s into %s: cannot create %s: %s", rcpt, t->label, sub,
                  g_strerror(e));
      return FALSE;
    }
  }
  g_autofree char *prefix = g_strdup_printf("Return-Path: <%s>\nDelivered-To: %s\n", from, rcpt);
  g_autoptr(GString) lf = to_lf(prefix, data, len);

  g_autofree char *tmp_path = NULL, *name = NULL;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
    gint64 now = g_get_real_time();
    g_free(name);
    g_free(tmp_path);
    name = g_strdup_printf("%" G_GINT64_FORMAT ".M%06" G_GINT64_FORMAT "P%ldQ%u.%s", now / G_USEC_PER_SEC,
                           now % G_USEC_PER_SEC, (long)getpid(), ++m->counter, m->host);
    tmp_path = g_build_filename(m->dir, "tmp", name, NULL);
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0) {
    int e = errno;
    g_set_error(error, MAIL_ERROR, errno_class(e), "mail to %s into %s: cannot create a file in tmp/: %s", rcpt,
                t->label, g_strerror(e));
    return FALSE;
  }
  gboolean written = write_all(fd, lf->str, lf->len) && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && written) {
    written = FALSE;
    e = errno;
  }
  if (!written) {
    g_unlink(tmp_path);
    g_set_error(error, MAIL_ERROR, errno_class(e), "mail to %s into %s: cannot write %s: %s", rcpt, t->label, tmp_path,
                g_strerror(e));
    return FALSE;
  }
  g_autofree char *new_dir = g_build_filename(m->dir, "new", NULL);
  g_autofree char *new_path = g_build_filename(new_dir, name, NULL);
  /* link() never replaces a file; rename() where hard links are not
   * supported (the name is unique anyway). */
  gboolean moved = link(tmp_path, new_path) == 0;
  if (moved)
    g_unlink(tmp_path);
  else if (errno == EPERM || errno == ENOTSUP || errno == EXDEV || errno == EMLINK)
    moved = rename(tmp_path, new_path) == 0;
  if (!moved) {
    e = errno;
    g_unlink(tmp_path);
    g_set_error(error, MAIL_ERROR, errno_class(e), "mail to %s into %s: cannot move the message into new/: %s", rcpt,
                t->label, g_strerror(e));
    return FALSE;
  }
  if (!fsync_dir(new_dir)) {
    e = errno;
    /* The file is there; only its durability is in doubt.  Saying it
     * failed would make the caller write it twice. */
    agent_log(ALOG_WARNING, "maildir: cannot fsync %s: %s", new_dir, g_strerror(e));
  }
  return TRUE;
}

static const MailOps MAILDIR_OPS = {FALSE, maildir_send, maildir_free};

static MailTransport *maildir_new(MailTransport *t, const MailSettings *m, GError **error) {
  if (!m->maildir || !g_path_is_absolute(m->maildir)) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "[mail] maildir is not an absolute path");
    return NULL;
  }
  Maildir *d = g_new0(Maildir, 1);
  d->dir = g_strdup(m->maildir);
  char host[256] = "localhost";
  if (gethostname(host, sizeof host - 1) != 0 || !host[0])
    g_strlcpy(host, "localhost", sizeof host);
  host[sizeof host - 1] = '\0';
  GString *h = g_string_new(NULL);
  for (const char *p = host; *p; p++) {
    if (*p == '/')
      g_string_append(h, "\\057");
    else if (*p == ':')
      g_string_append(h, "\\072");
    else if (g_ascii_isgraph(*p))
      g_string_append_c(h, *p);
  }
  d->host = g_string_free(h, FALSE);
  t->ops = &MAILDIR_OPS;
  t->priv = d;
  t->description = g_strdup_printf("maildir %s (nothing leaves this machine)", d->dir);
  t->label = g_strdup_printf("maildir %s", d->dir);
  return t;
}

/* ---- the interface ---------------------------------------------------------------------- */

MailTransport *mail_transport_new(const MailSettings *m, GError **error) {
  if (m->bad) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG,
                "the [mail] section has problems (diaryd config check lists them): nothing is sent until they are "
                "fixed");
    return NULL;
  }
  MailTransport *t = g_new0(MailTransport, 1);
  MailTransport *made = NULL;
  switch (m->transport) {
  case MAIL_TRANSPORT_SMTP:
    made = smtp_new(t, m, error);
    break;
  case MAIL_TRANSPORT_SENDMAIL:
    made = sendmail_new(t, m, error);
    break;
  case MAIL_TRANSPORT_MAILDIR:
    made = maildir_new(t, m, error);
    break;
  }
  if (!made) {
    if (error && !*error)
      g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG, "[mail]: unknown transport %d", (int)m->transport);
    g_free(t);
  }
  return made;
}

void mail_transport_free(MailTransport *t) {
  if (!t)
    return;
  if (t->ops)
    t->ops->free(t->priv);
  g_free(t->description);
  g_free(t->label);
  g_free(t);
}

const char *mail_transport_describe(const MailTransport *t) { return t->description; }

gboolean mail_transport_leaves_machine(const MailTransport *t) { return t->ops->leaves_machine; }

gboolean mail_send(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                   GError **error) {
  if (!message_address_valid(rcpt)) {
    g_autofree char *shown = clean_text(rcpt, -1);
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_PERMANENT, "mail through %s: \"%s\" is not a valid recipient address",
                t->label, shown);
    return FALSE;
  }
  if (!message_address_valid(from)) {
    g_autofree char *shown = clean_text(from, -1);
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_CONFIG,
                "mail to %s through %s: \"%s\" is not a valid sender address (see from in [mail])", rcpt, t->label,
                shown);
    return FALSE;
  }
  g_autoptr(GString) why = g_string_new(NULL);
  if (!check_data(data, len, why)) {
    g_set_error(error, MAIL_ERROR, MAIL_ERROR_PERMANENT, "mail to %s through %s: refused before sending: %s", rcpt,
                t->label, why->str);
    return FALSE;
  }
  return t->ops->send(t, from, rcpt, data, len, error);
}
