/* accounts: see accounts.h.
 *
 * Loading is three passes over one buffer: GKeyFile parses it (and alone
 * decides what is valid syntax), our line scan finds where each section
 * and key is, and the checks read values from GKeyFile and blame lines
 * from the scan.  A problem never stops the checks; it only keeps its
 * section out of the lists.
 */
#include "accounts.h"

#include "message.h"
#include "secret.h"

#include "when.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FILE_SIZE (1024 * 1024)
#define MAX_LIST 256     /* entries in `calendars` */
#define MAX_REMINDERS 32 /* entries in `reminders` */
#define SECRET_MAX 4096  /* bytes a password_command may print */

/* How long a password_command may take.  Long enough to touch a security
 * key or type a passphrase into a pinentry, short enough that a wedged
 * command cannot hold a sync forever. */
static const double PASSWORD_COMMAND_TIMEOUT_S = 30;
/* After SIGKILL a process can only be slow to die in the kernel (a hung
 * NFS read); we wait this long for it and then give up on it. */
static const guint KILL_GRACE_MS = 5000;

static const char *const ACCOUNT_KEYS[] = {"url",    "username", "password_command", "password",   "auth",
                                           "client_id", "client_secret", "scope",   "auth_url", "token_url",
                                           "calendars", "ca_file", NULL};
static const char *const CALENDAR_KEYS[] = {"busy", "confirm", "confirmations", "color", "reminders", NULL};
static const char *const AGENT_KEYS[] = {"sync_interval", "check_days", "review", "snooze", "missed",
                                         "reminders", "leave_reminders", NULL};
static const char *const MAIL_KEYS[] = {"from",          "transport",      "url",       "username",
                                        "password_command", "password",    "auth",      "ca_file",
                                        "sendmail",      "maildir",        "method",    "auto_schedule",
                                        "on_conflict",   "max_recipients", "allow_domains", "rate_per_hour",
                                        "templates",     "reply_to",       "recipient_zones", NULL};

#define MAIL_MAX_RECIPIENTS 1000
#define MAIL_MAX_RATE 100000
#define MAX_DOMAINS 256

/* ---- freeing --------------------------------------------------------------- */

static void agent_clear(AgentSettings *a);
static void mail_defaults(MailSettings *m);
static void mail_clear(MailSettings *m);


static void account_free(Account *a) {
  if (!a)
    return;
  g_free(a->name);
  g_free(a->url);
  g_free(a->username);
  g_strfreev(a->password_command);
  secret_free(a->password);
  g_free(a->client_id);
  secret_free(a->client_secret);
  g_free(a->scope);
  g_free(a->auth_url);
  g_free(a->token_url);
  g_free(a->ca_file);
  g_strfreev(a->calendars);
  g_free(a);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Account, account_free)

static void calendar_settings_free(CalendarSettings *c) {
  if (!c)
    return;
  g_free(c->account);
  g_free(c->calendar);
  g_free(c->color);
  if (c->reminders)
    g_array_unref(c->reminders);
  g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CalendarSettings, calendar_settings_free)

static void problem_free(ConfigProblem *p) {
  if (!p)
    return;
  g_free(p->file);
  g_free(p->message);
  g_free(p);
}

void diaryd_config_free(DiarydConfig *cfg) {
  if (!cfg)
    return;
  g_free(cfg->path);
  g_ptr_array_unref(cfg->accounts);
  g_ptr_array_unref(cfg->calendars);
  g_ptr_array_unref(cfg->problems);
  agent_clear(&cfg->agent);
  mail_clear(&cfg->mail);
  g_free(cfg);
}

char *diaryd_config_default_path(void) { return g_build_filename(g_get_user_config_dir(), "diaryd", "config", NULL); }

char *config_problem_format(const ConfigProblem *p) {
  const char *file = p->file ? p->file : "config";
  if (p->line > 0)
    return g_strdup_printf("%s:%d: %s", file, p->line, p->message);
  return g_strdup_printf("%s: %s", file, p->message);
}

/* ---- the line scan ------------------------------------------------------------ */

/* One section as GKeyFile sees it: a header written twice is one group
 * holding the keys of both, so it is one Section here too. */
typedef struct {
  char *name;        /* between the brackets, as GKeyFile names the group */
  int line;          /* of the first header */
  GHashTable *keys;  /* key -> line of its last occurrence (whose value GKeyFile keeps) */
  GPtrArray *order;  /* the keys in the order they first appear (not owned) */
  gboolean troubled; /* the scan found a problem in it */
} Section;

static void section_free(Section *s) {
  g_free(s->name);
  g_hash_table_unref(s->keys);
  g_ptr_array_unref(s->order);
  g_free(s);
}

static int section_key_line(const Section *s, const char *key) {
  return GPOINTER_TO_INT(g_hash_table_lookup(s->keys, key));
}

typedef struct {
  DiarydConfig *cfg;
  GKeyFile *kf;
  gboolean private_file; /* no group or other permission bits */
  char *dir;             /* the file's folder, for relative ca_file */
  GPtrArray *sections;   /* of Section*, in order of first appearance */
  GHashTable *account_names; /* every NAME of an [account NAME] header, whatever its section holds */
} Loader;

static void problem(Loader *l, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void problem(Loader *l, int line, const char *fmt, ...) {
  ConfigProblem *p = g_new0(ConfigProblem, 1);
  p->file = g_strdup(l->cfg->path);
  p->line = line;
  va_list ap;
  va_start(ap, fmt);
  p->message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(l->cfg->problems, p);
}

/* Lines as GKeyFile splits them: at '\n', with one '\r' before it removed
 * and leading blanks skipped.  Calls `fn` with each line's number and text
 * (not NUL-terminated: `len` bytes). */
typedef void (*LineFunc)(Loader *l, int number, const char *text, gsize len, gpointer data);
static void each_line(Loader *l, const char *text, gsize len, LineFunc fn, gpointer data) {
  int number = 0;
  for (gsize at = 0; at < len;) {
    const char *nl = memchr(text + at, '\n', len - at);
    gsize end = nl ? (gsize)(nl - text) : len;
    gsize n = end - at;
    if (nl && n > 0 && text[end - 1] == '\r')
      n--;
    const char *line = text + at;
    while (n > 0 && g_ascii_isspace(*line)) {
      line++;
      n--;
    }
    fn(l, ++number, line, n, data);
    at = end + 1;
  }
}

static void scan_line(Loader *l, int number, const char *line, gsize n, gpointer data) {
  Section **current = data;
  if (n == 0 || line[0] == '#')
    return;
  if (line[0] == '[') {
    /* GKeyFile accepted the file, so this is "[NAME]" and blanks. */
    const char *close = memchr(line, ']', n);
    g_autofree char *name = g_strndup(line + 1, close ? (gsize)(close - line - 1) : n - 1);
    for (guint i = 0; i < l->sections->len; i++) {
      Section *s = g_ptr_array_index(l->sections, i);
      if (!strcmp(s->name, name)) {
        problem(l, number, "[%s] appears twice (first on line %d); write each section once", name, s->line);
        s->troubled = TRUE;
        *current = s;
        return;
      }
    }
    Section *s = g_new0(Section, 1);
    s->name = g_steal_pointer(&name);
    s->line = number;
    s->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->order = g_ptr_array_new();
    g_ptr_array_add(l->sections, s);
    *current = s;
    return;
  }
  const char *eq = memchr(line, '=', n);
  if (!eq || !*current)
    return; /* GKeyFile would have refused it */
  gsize klen = (gsize)(eq - line);
  while (klen > 0 && g_ascii_isspace(line[klen - 1]))
    klen--;
  char *key = g_strndup(line, klen);
  Section *s = *current;
  int before = section_key_line(s, key);
  if (before) {
    problem(l, number, "%s is set twice in [%s] (also on line %d): only the last one counts; keep one", key,
            s->name, before);
    s->troubled = TRUE;
    g_hash_table_insert(s->keys, key, GINT_TO_POINTER(number));
    return;
  }
  g_hash_table_insert(s->keys, key, GINT_TO_POINTER(number));
  g_ptr_array_add(s->order, key);
}

/* ---- syntax errors ----------------------------------------------------------- */

static gboolean keyfile_parses(const char *text, gsize len, GError **error) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  return g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error);
}

/* GKeyFile (2.74) names no line, and its messages quote the line, which
 * could hold a password.  Its parse is line by line, so a prefix of the
 * file fails exactly when it holds the first bad line: a binary search over
 * prefixes finds it, and the message is ours. */
static void report_syntax(Loader *l, const char *text, gsize len) {
  g_autoptr(GArray) starts = g_array_new(FALSE, FALSE, sizeof(gsize));
  gsize zero = 0;
  g_array_append_val(starts, zero);
  for (gsize i = 0; i < len; i++)
    if (text[i] == '\n' && i + 1 < len) {
      gsize next = i + 1;
      g_array_append_val(starts, next);
    }
  guint n = starts->len;
  /* The smallest k such that lines 1..k fail; lines 1..n (the file) fail. */
  guint lo = 1, hi = n;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    gsize end = mid < n ? g_array_index(starts, gsize, mid) : len;
    if (keyfile_parses(text, end, NULL))
      lo = mid + 1;
    else
      hi = mid;
  }
  gsize end = lo < n ? g_array_index(starts, gsize, lo) : len;
  g_autoptr(GError) error = NULL;
  if (keyfile_parses(text, end, &error)) {
    problem(l, 0, "cannot be read as an INI file");
    return;
  }
  /* `len` bytes, not a C string: diaryd_config_load_text() is given text
   * without a NUL after it (found by fuzz_config). */
  const char *stop = text + len;
  const char *line = text + g_array_index(starts, gsize, lo - 1);
  while (line < stop && *line != '\n' && g_ascii_isspace(*line))
    line++;
  const char *eol = memchr(line, '\n', (gsize)(stop - line));
  gsize line_len = (gsize)((eol ? eol : stop) - line);
  if (g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
    problem(l, (int)lo, "a key before the first [section]: settings go in [check], [agent], [mail], "
                        "[account NAME] or [calendar ACCOUNT/NAME]");
  else if (line_len > 0 && *line == '[')
    problem(l, (int)lo, "not a section header: write [NAME] alone on its line, without [ or ] inside NAME");
  else if (memchr(line, '=', line_len))
    problem(l, (int)lo, "not a valid key = value line: the key is empty or has [ or ] in it");
  else
    problem(l, (int)lo, "not a key = value line, a [section] header or a # comment");
}

/* ---- reading values ------------------------------------------------------------ */

static gboolean has_control(const char *s) {
  for (const guchar *p = (const guchar *)s; *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* GKeyFile has no comments after a value: "busy = no  # why" is a value
 * of "no  # why".  Said when a value looks like that. */
static const char *comment_hint(const char *value) {
  return strstr(value, " #") || strstr(value, "\t#") ? "; comments go on a line of their own" : "";
}

/* The value of `key`, or NULL when it is absent or bad (a problem then,
 * and *bad set).  Messages never quote the value: it may be a secret. */
static char *get_value(Loader *l, const Section *s, const char *key, gboolean raw, gboolean strip,
                       gboolean *bad) {
  int line = section_key_line(s, key);
  if (!line)
    return NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = raw ? g_key_file_get_value(l->kf, s->name, key, &error)
                               : g_key_file_get_string(l->kf, s->name, key, &error);
  /* On a bad escape GKeyFile sets the error and still returns a string. */
  if (error || !value) {
    problem(l, line, "%s: %s", key,
            g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING)
                ? "the value is not UTF-8"
                : "the value has a bad escape (\\s, \\n, \\t, \\r and \\\\ are the ones allowed)");
    *bad = TRUE;
    return NULL;
  }
  if (strip)
    g_strstrip(value);
  if (!*value) {
    problem(l, line, "%s: the value is empty (leave the line out to leave it unset)", key);
    *bad = TRUE;
    return NULL;
  }
  if (has_control(value)) {
    problem(l, line, "%s: the value has a control character in it", key);
    *bad = TRUE;
    return NULL;
  }
  return g_steal_pointer(&value);
}

static char *get(Loader *l, const Section *s, const char *key, gboolean *bad) {
  return get_value(l, s, key, FALSE, TRUE, bad);
}

static void unknown_keys(Loader *l, const Section *s, const char *const *known, gboolean *bad) {
  for (guint i = 0; i < s->order->len; i++) {
    const char *key = g_ptr_array_index(s->order, i);
    if (g_strv_contains(known, key))
      continue;
    g_autofree char *list = g_strjoinv(", ", (char **)known);
    problem(l, section_key_line(s, key), "unknown key \"%s\" in [%s] (known: %s)", key, s->name, list);
    *bad = TRUE;
  }
}

/* ---- [check] ------------------------------------------------------------------- */

typedef struct {
  Loader *l;
  const Section *s;
} CheckFail;

static void check_failed(const char *key, const GError *error, gpointer data) {
  CheckFail *f = data;
  if (strchr(key, '['))
    return; /* said by load_check() */
  int line = section_key_line(f->s, key);
  problem(f->l, line ? line : f->s->line, "%s", error->message);
}

static void load_check(Loader *l, const Section *s, CheckConfig *check) {
  CheckConfig scratch;
  if (!check) {
    check_config_init(&scratch, 0);
    check = &scratch;
  }
  /* GKeyFile keeps key[LANG] for the current locale only and drops the
   * others: name them all here, the same way. */
  for (guint i = 0; i < s->order->len; i++) {
    const char *key = g_ptr_array_index(s->order, i);
    if (strchr(key, '['))
      problem(l, section_key_line(s, key), "unknown setting \"%s\" (known: %s)", key, CONFIG_CHECK_KEYS);
  }
  CheckFail f = {l, s};
  (void)config_apply_check(check, l->kf, check_failed, &f);
  if (check == &scratch)
    check_config_clear(&scratch);
}

/* ---- [account NAME] --------------------------------------------------------------- */

static gboolean valid_account_name(const char *name) {
  if (!*name || name[0] == '.' || name[0] == '-')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean loopback_host(const char *host) {
  return !g_ascii_strcasecmp(host, "localhost") || !strcmp(host, "127.0.0.1") || !strcmp(host, "::1");
}

/* An http(s) URL that may carry credentials: https, or http to this machine
 * only (a local Radicale, a test server).  The URL is quoted only without
 * its userinfo. */
static gboolean check_url(Loader *l, const Section *s, const char *key, const char *value) {
  int line = section_key_line(s, key);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, &error);
  if (!uri) {
    problem(l, line, "%s: not an absolute URL (example: https://cloud.example.com/)%s", key, comment_hint(value));
    return FALSE;
  }
  g_autofree char *shown = g_uri_to_string_partial(uri, G_URI_HIDE_USERINFO);
  /* GUri lets blanks through; curl would not. */
  if (strpbrk(value, " \t")) {
    problem(l, line, "%s: has a blank in it (write %%20 for a space in a path)%s", key, comment_hint(value));
    return FALSE;
  }
  if (g_uri_get_fragment(uri)) {
    problem(l, line, "%s: a URL with a #fragment is not a server address", key);
    return FALSE;
  }
  const char *scheme = g_uri_get_scheme(uri), *host = g_uri_get_host(uri);
  if (strcmp(scheme, "https") && strcmp(scheme, "http")) {
    problem(l, line, "%s: %s is not an http or https URL", key, shown);
    return FALSE;
  }
  if (!host || !*host) {
    problem(l, line, "%s: %s names no host", key, shown);
    return FALSE;
  }
  if (g_uri_get_userinfo(uri)) {
    problem(l, line, "%s: has a user name or password in it: use username and password_command instead", key);
    return FALSE;
  }
  if (!strcmp(scheme, "http") && !loopback_host(host)) {
    problem(l, line,
            "%s: %s is plain http: TLS is required (https), except for localhost, 127.0.0.1 and ::1; "
            "for a private certificate authority see ca_file",
            key, shown);
    return FALSE;
  }
  return TRUE;
}

/* A command (password_command, sendmail): argv split as a shell would,
 * without running one. */
static char **split_command(Loader *l, const Section *s, const char *key, gboolean *bad) {
  int line = section_key_line(s, key);
  g_autofree char *text = get_value(l, s, key, TRUE, FALSE, bad);
  if (!text)
    return NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  /* GLib's own messages quote the whole command, which may hold a secret. */
  if (!g_shell_parse_argv(text, NULL, &argv, &error)) {
    problem(l, line, "%s: %s", key,
            g_error_matches(error, G_SHELL_ERROR, G_SHELL_ERROR_BAD_QUOTING) ? "a quote is not closed"
            : g_error_matches(error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING)
                ? "the command is empty"
                : "does not split into words like a shell command");
    *bad = TRUE;
    return NULL;
  }
  if (!argv[0][0]) {
    problem(l, line, "%s: the command is empty", key);
    *bad = TRUE;
    return NULL;
  }
  static const char *const operators[] = {"|", "||", "&", "&&", ";", "<", ">", ">>", "2>", "2>&1", NULL};
  for (char **a = argv + 1; *a; a++)
    if (g_strv_contains(operators, *a)) {
      problem(l, line,
              "%s: runs without a shell, so \"%s\" would reach %s as an argument; "
              "write sh -c '...' for pipes and redirections",
              key, *a, argv[0]);
      *bad = TRUE;
      return NULL;
    }
  if (argv[0][0] == '~' || argv[0][0] == '$') {
    problem(l, line, "%s: runs without a shell, so %s is not expanded: write the full path", key, argv[0]);
    *bad = TRUE;
    return NULL;
  }
  return g_steal_pointer(&argv);
}

static char **split_calendars(Loader *l, const Section *s, gboolean *bad) {
  const char *key = "calendars";
  int line = section_key_line(s, key);
  g_autofree char *text = get(l, s, key, bad);
  if (!text)
    return NULL;
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
  gboolean all = FALSE;
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (!**p)
      continue;
    if (!g_ascii_strcasecmp(*p, "all"))
      all = TRUE;
    else
      g_ptr_array_add(list, g_strdup(*p));
  }
  if (all && list->len) {
    problem(l, line, "%s: \"all\" and names together: write either", key);
    *bad = TRUE;
    return NULL;
  }
  if (!all && !list->len) {
    problem(l, line, "%s: names no calendar (write names or paths, comma-separated, or all)", key);
    *bad = TRUE;
    return NULL;
  }
  if (list->len > MAX_LIST) {
    problem(l, line, "%s: more than %d calendars", key, MAX_LIST);
    *bad = TRUE;
    return NULL;
  }
  if (all)
    return NULL;
  g_ptr_array_add(list, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
}

/* A path as written in the file: "~/..." in the home folder, a relative
 * path against the file's folder. */
static char *resolve_path(Loader *l, const char *text) {
  if (text[0] == '~' && (text[1] == '/' || !text[1]))
    return g_build_filename(g_get_home_dir(), text + 1, NULL);
  if (g_path_is_absolute(text))
    return g_strdup(text);
  return g_build_filename(l->dir, text, NULL);
}

/* "group", "others" or "group and others", for the w bits of `mode`. */
static const char *writers(mode_t mode) {
  if ((mode & S_IWGRP) && (mode & S_IWOTH))
    return "group and others";
  return mode & S_IWGRP ? "group" : "others";
}

static char *resolve_ca_file(Loader *l, const Section *s, gboolean *bad) {
  const char *key = "ca_file";
  int line = section_key_line(s, key);
  g_autofree char *text = get(l, s, key, bad);
  if (!text)
    return NULL;
  g_autofree char *path = resolve_path(l, text);
  int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0) {
    int e = errno;
    problem(l, line, "%s: %s: %s", key, path, g_strerror(e));
    *bad = TRUE;
    return NULL;
  }
  struct stat st;
  gboolean regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  close(fd);
  if (!regular) {
    problem(l, line, "%s: %s is not a regular file", key, path);
    *bad = TRUE;
    return NULL;
  }
  /* Not a secret, but whoever can add a certificate authority to it can
   * pose as the server and be sent the password. */
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    problem(l, line,
            "%s: %s is writable by %s (mode %04o): whoever can change it can pose as the server and be sent the "
            "password: chmod go-w %s",
            key, path, writers(st.st_mode), (unsigned)(st.st_mode & 07777), path);
    *bad = TRUE;
    return NULL;
  }
  return g_steal_pointer(&path);
}

static const char *auth_name(AccountAuth auth) {
  switch (auth) {
  case ACCOUNT_AUTH_BASIC:
    return "basic";
  case ACCOUNT_AUTH_DIGEST:
    return "digest";
  case ACCOUNT_AUTH_OAUTH2:
    return "oauth2";
  case ACCOUNT_AUTH_NONE:
    break;
  }
  return "none";
}

/* `auth`, or its default.  FALSE when it is bad (a problem said so). */
static gboolean read_auth(Loader *l, const Section *s, AccountAuth *out, gboolean *bad) {
  g_autofree char *auth = get(l, s, "auth", bad);
  if (!auth && section_key_line(s, "auth"))
    return FALSE;
  if (!auth) {
    *out = section_key_line(s, "username") ? ACCOUNT_AUTH_BASIC : ACCOUNT_AUTH_NONE;
    return TRUE;
  }
  for (AccountAuth a = ACCOUNT_AUTH_BASIC; a <= ACCOUNT_AUTH_NONE; a++)
    if (!g_ascii_strcasecmp(auth, auth_name(a))) {
      *out = a;
      return TRUE;
    }
  problem(l, section_key_line(s, "auth"), "auth: \"%s\" is not basic, digest, oauth2 or none%s", auth,
          comment_hint(auth));
  *bad = TRUE;
  return FALSE;
}

static const char *const OAUTH_KEYS[] = {"client_id", "client_secret", "scope", "auth_url", "token_url", NULL};

/* username, password_command and password, the way accounts and [mail]
 * take them: a password only from a private file, never with a command. */
static void load_login(Loader *l, const Section *s, char **username, char ***password_command, char **password,
                       gboolean *bad) {
  *username = get(l, s, "username", bad);
  *password_command = split_command(l, s, "password_command", bad);
  *password = get_value(l, s, "password", FALSE, FALSE, bad);
  int password_line = section_key_line(s, "password");
  if (*password && !l->private_file) {
    problem(l, password_line, "%s contains a password and is readable by others: chmod 600 %s", l->cfg->path,
            l->cfg->path);
    *bad = TRUE;
  }
  if (password_line && section_key_line(s, "password_command")) {
    problem(l, password_line, "password and password_command are both set: keep one");
    *bad = TRUE;
  }
}

/* The keys that go with a's auth: a username and a secret for basic and
 * digest, the OAuth client for oauth2, nothing for none. */
static void check_auth_keys(Loader *l, const Section *s, Account *a, gboolean *bad) {
  int blame = section_key_line(s, "auth") ? section_key_line(s, "auth") : s->line;
  const char *name = auth_name(a->auth);
  gboolean has_secret = section_key_line(s, "password") || section_key_line(s, "password_command");
  if (a->auth == ACCOUNT_AUTH_BASIC || a->auth == ACCOUNT_AUTH_DIGEST) {
    if (!section_key_line(s, "username")) {
      problem(l, blame, "auth = %s needs a username", name);
      *bad = TRUE;
    }
    if (!has_secret) {
      problem(l, blame, "auth = %s needs a password_command (or a password)", name);
      *bad = TRUE;
    }
  } else if (has_secret) {
    problem(l, blame,
            a->auth == ACCOUNT_AUTH_OAUTH2 ? "auth = oauth2 uses no password: remove password_command or password"
                                           : "a password is set but auth is none (there is no username)");
    *bad = TRUE;
  }
  if (a->auth != ACCOUNT_AUTH_OAUTH2) {
    for (const char *const *k = OAUTH_KEYS; *k; k++)
      if (section_key_line(s, *k)) {
        problem(l, section_key_line(s, *k), "%s is only used with auth = oauth2", *k);
        *bad = TRUE;
      }
    return;
  }
  a->client_id = get(l, s, "client_id", bad);
  a->client_secret = get(l, s, "client_secret", bad);
  a->scope = get(l, s, "scope", bad);
  a->auth_url = get(l, s, "auth_url", bad);
  a->token_url = get(l, s, "token_url", bad);
  if (!section_key_line(s, "client_id")) {
    problem(l, blame, "auth = oauth2 needs a client_id (and its client_secret) from the OAuth client you created "
                      "for diaryd");
    *bad = TRUE;
  }
  if (a->auth_url && !check_url(l, s, "auth_url", a->auth_url))
    *bad = TRUE;
  if (a->token_url && !check_url(l, s, "token_url", a->token_url))
    *bad = TRUE;
  if (!a->scope)
    a->scope = g_strdup(OAUTH_GOOGLE_SCOPE);
  if (!a->auth_url)
    a->auth_url = g_strdup(OAUTH_GOOGLE_AUTH_URL);
  if (!a->token_url)
    a->token_url = g_strdup(OAUTH_GOOGLE_TOKEN_URL);
}

static void load_account(Loader *l, const Section *s, const char *name) {
  gboolean bad = s->troubled;
  if (!*name) {
    problem(l, s->line, "[account] needs a name: [account NAME]");
    bad = TRUE;
  } else if (!valid_account_name(name)) {
    problem(l, s->line,
            "[account %s]: an account name is letters, digits, '.', '_' and '-', "
            "not starting with '.' or '-'",
            name);
    bad = TRUE;
  }
  unknown_keys(l, s, ACCOUNT_KEYS, &bad);

  g_autoptr(Account) a = g_new0(Account, 1);
  a->name = g_strdup(name);
  a->line = s->line;

  a->url = get(l, s, "url", &bad);
  if (a->url && !check_url(l, s, "url", a->url))
    bad = TRUE;
  if (!section_key_line(s, "url")) {
    problem(l, s->line, "[account %s] has no url (example: url = https://cloud.example.com/)", name);
    bad = TRUE;
  }
  load_login(l, s, &a->username, &a->password_command, &a->password, &bad);

  AccountAuth auth;
  if (read_auth(l, s, &auth, &bad)) {
    a->auth = auth;
    check_auth_keys(l, s, a, &bad);
  } /* else which keys belong is unknown: nothing more is said about them */

  a->calendars = split_calendars(l, s, &bad);
  a->ca_file = resolve_ca_file(l, s, &bad);

  if (!bad)
    g_ptr_array_add(l->cfg->accounts, g_steal_pointer(&a));
}

/* ---- [calendar ACCOUNT/NAME] ---------------------------------------------------------- */

static int parse_bool(const char *v) {
  static const char *const yes[] = {"true", "yes", "on", "1", NULL}, *const no[] = {"false", "no", "off", "0", NULL};
  for (guint i = 0; yes[i]; i++) {
    if (!g_ascii_strcasecmp(v, yes[i]))
      return 1;
    if (!g_ascii_strcasecmp(v, no[i]))
      return 0;
  }
  return -1;
}

/* "#rgb", "#rrggbb" or "#rrggbbaa" (Apple's calendar-color) -> "#rrggbb". */
static char *parse_color(const char *v) {
  gsize n = strlen(v);
  if (v[0] != '#' || (n != 4 && n != 7 && n != 9))
    return NULL;
  for (gsize i = 1; i < n; i++)
    if (!g_ascii_isxdigit(v[i]))
      return NULL;
  if (n == 4)
    return g_ascii_strdown((char[]){'#', v[1], v[1], v[2], v[2], v[3], v[3], 0}, -1);
  return g_ascii_strdown(v, 7);
}

static gint cmp_gint64(gconstpointer a, gconstpointer b) {
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

/* "10m, 1h" or "none": durations ascending, without duplicates. */
static GArray *parse_durations(Loader *l, int line, const char *key, const char *v, gboolean *bad) {
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (!g_ascii_strcasecmp(v, "none"))
    return g_steal_pointer(&out);
  g_auto(GStrv) parts = g_strsplit(v, ",", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    gint64 seconds;
    if (!when_parse_duration(*p, &seconds)) {
      problem(l, line, "%s: \"%s\" is not a duration (example: %s = 10m, 1h; or none)%s", key, *p, key,
              comment_hint(*p));
      *bad = TRUE;
      return NULL;
    }
    g_array_append_val(out, seconds);
  }
  if (out->len > MAX_REMINDERS) {
    problem(l, line, "%s: more than %d", key, MAX_REMINDERS);
    *bad = TRUE;
    return NULL;
  }
  g_array_sort(out, cmp_gint64);
  for (guint i = 1; i < out->len;)
    if (g_array_index(out, gint64, i) == g_array_index(out, gint64, i - 1))
      g_array_remove_index(out, i);
    else
      i++;
  return g_steal_pointer(&out);
}

static void load_calendar(Loader *l, const Section *s, const char *rest) {
  gboolean bad = s->troubled;
  const char *slash = strchr(rest, '/');
  g_autofree char *account = slash ? g_strstrip(g_strndup(rest, (gsize)(slash - rest))) : NULL;
  g_autofree char *calendar = slash ? g_strstrip(g_strdup(slash + 1)) : NULL;
  if (!account || !*account || !*calendar) {
    problem(l, s->line, "[%s]: write [calendar ACCOUNT/NAME], NAME a display name or a collection path", s->name);
    bad = TRUE;
  } else if (!g_hash_table_contains(l->account_names, account)) {
    problem(l, s->line, "[%s]: there is no [account %s]", s->name, account);
    bad = TRUE;
  } else {
    for (guint i = 0; i < l->cfg->calendars->len; i++) {
      const CalendarSettings *c = g_ptr_array_index(l->cfg->calendars, i);
      if (!strcmp(c->account, account) && !strcmp(c->calendar, calendar)) {
        problem(l, s->line, "[%s]: calendar %s/%s has settings already (line %d)", s->name, account, calendar,
                c->line);
        bad = TRUE;
      }
    }
  }
  unknown_keys(l, s, CALENDAR_KEYS, &bad);

  g_autoptr(CalendarSettings) c = g_new0(CalendarSettings, 1);
  c->account = g_steal_pointer(&account);
  c->calendar = g_steal_pointer(&calendar);
  c->line = s->line;
  c->busy = c->confirmations = -1;
  /* `confirm` is the name to write; `confirmations`, the older one, still
   * reads the same. */
  const char *confirm_key = section_key_line(s, "confirm") ? "confirm" : "confirmations";
  if (section_key_line(s, "confirm") && section_key_line(s, "confirmations")) {
    problem(l, MAX(section_key_line(s, "confirm"), section_key_line(s, "confirmations")),
            "confirm and confirmations are both set (two spellings of one setting): keep confirm");
    bad = TRUE;
  }
  const char *bools[] = {"busy", confirm_key};
  int *slots[] = {&c->busy, &c->confirmations};
  for (guint i = 0; i < G_N_ELEMENTS(bools); i++) {
    g_autofree char *v = get(l, s, bools[i], &bad);
    if (!v)
      continue;
    *slots[i] = parse_bool(v);
    if (*slots[i] < 0) {
      problem(l, section_key_line(s, bools[i]), "%s: \"%s\" is not a boolean (true/false, yes/no, on/off, 1/0)%s",
              bools[i], v, comment_hint(v));
      bad = TRUE;
    }
  }
  g_autofree char *color = get(l, s, "color", &bad);
  if (color) {
    c->color = parse_color(color);
    if (!c->color) {
      problem(l, section_key_line(s, "color"), "color: \"%s\" is not #rrggbb, #rgb or #rrggbbaa (example: #3366ff)%s",
              color, comment_hint(color));
      bad = TRUE;
    }
  }
  g_autofree char *reminders = get(l, s, "reminders", &bad);
  if (reminders)
    c->reminders = parse_durations(l, section_key_line(s, "reminders"), "reminders", reminders, &bad);

  if (!bad && c->account)
    g_ptr_array_add(l->cfg->calendars, g_steal_pointer(&c));
}

/* ---- [agent] -------------------------------------------------------------------- */

static void agent_defaults(AgentSettings *a) {
  a->sync_interval = 300;
  a->check_days = 60;
  a->review[0] = (8 * 60 + 30) * 60;
  a->review[1] = 17 * 3600;
  a->snooze = g_array_new(FALSE, FALSE, sizeof(gint64));
  const gint64 snooze[] = {300, 600, 3600};
  g_array_append_vals(a->snooze, snooze, G_N_ELEMENTS(snooze));
  a->missed = 3600;
  a->reminders = g_array_new(FALSE, FALSE, sizeof(gint64));
  a->leave_reminders = TRUE;
}

static void agent_clear(AgentSettings *a) {
  g_clear_pointer(&a->snooze, g_array_unref);
  g_clear_pointer(&a->reminders, g_array_unref);
}

/* A duration within [min, max] seconds, or a problem. */
static gboolean agent_duration(Loader *l, const Section *s, const char *key, gint64 min, gint64 max, gint64 *out,
                               gboolean *bad) {
  g_autofree char *v = get(l, s, key, bad);
  if (!v)
    return FALSE;
  gint64 seconds;
  if (!when_parse_duration(v, &seconds) || seconds < min || seconds > max) {
    g_autofree char *lo = when_format_duration(min), *hi = when_format_duration(max);
    problem(l, section_key_line(s, key), "%s: \"%s\" is not a duration from %s to %s%s", key, v, lo, hi,
            comment_hint(v));
    *bad = TRUE;
    return FALSE;
  }
  *out = seconds;
  return TRUE;
}

/* "08:30, 17:00", "08:30" (no evening review), seconds allowed ("08:30:15"),
 * or "off". */
static gboolean parse_review(const char *v, int review[2]) {
  review[0] = review[1] = -1;
  if (!g_ascii_strcasecmp(v, "off") || !g_ascii_strcasecmp(v, "none"))
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(v, ",", -1);
  if (g_strv_length(parts) > 2)
    return FALSE;
  for (guint i = 0; parts[i]; i++) {
    g_strstrip(parts[i]);
    g_auto(GStrv) hms = g_strsplit(parts[i], ":", -1);
    guint n = g_strv_length(hms);
    const int max[] = {23, 59, 59};
    int hmsv[3] = {0, 0, 0};
    if (n < 2 || n > 3)
      return FALSE;
    for (guint k = 0; k < n; k++) {
      guint64 x;
      if (strlen(hms[k]) < 1 || strlen(hms[k]) > 2 || !g_ascii_string_to_unsigned(hms[k], 10, 0, max[k], &x, NULL))
        return FALSE;
      hmsv[k] = (int)x;
    }
    int h = hmsv[0], m = hmsv[1], sec = hmsv[2];
    review[i] = (h * 60 + m) * 60 + sec;
  }
  return TRUE;
}

static void load_agent(Loader *l, const Section *s) {
  gboolean bad = s->troubled;
  AgentSettings *a = &l->cfg->agent;
  if (a->line) {
    problem(l, s->line, "[agent] is written twice (first at line %d)", a->line);
    return;
  }
  a->line = s->line;
  unknown_keys(l, s, AGENT_KEYS, &bad);
  agent_duration(l, s, "sync_interval", 60, 24 * 3600, &a->sync_interval, &bad);
  agent_duration(l, s, "missed", 0, 7 * 86400, &a->missed, &bad);
  g_autofree char *days = get(l, s, "check_days", &bad);
  if (days) {
    gint64 n;
    if (!g_ascii_string_to_signed(days, 10, 1, 366, &n, NULL)) {
      problem(l, section_key_line(s, "check_days"), "check_days: \"%s\" is not a number of days from 1 to 366%s",
              days, comment_hint(days));
      bad = TRUE;
    } else {
      a->check_days = (int)n;
    }
  }
  g_autofree char *review = get(l, s, "review", &bad);
  if (review && !parse_review(review, a->review)) {
    problem(l, section_key_line(s, "review"), "review: \"%s\" is not one or two times of day (example: review = "
            "08:30, 17:00; or off)%s", review, comment_hint(review));
    bad = TRUE;
  }
  const char *lists[] = {"snooze", "reminders"};
  GArray **slots[] = {&a->snooze, &a->reminders};
  for (guint i = 0; i < G_N_ELEMENTS(lists); i++) {
    g_autofree char *v = get(l, s, lists[i], &bad);
    if (!v)
      continue;
    GArray *parsed = parse_durations(l, section_key_line(s, lists[i]), lists[i], v, &bad);
    if (!parsed)
      continue;
    if (i == 0 && parsed->len == 0) {
      problem(l, section_key_line(s, "snooze"), "snooze: give at least one duration (example: snooze = 5m, 1h)");
      bad = TRUE;
      g_array_unref(parsed);
      continue;
    }
    g_array_unref(*slots[i]);
    *slots[i] = parsed;
  }
  g_autofree char *leave = get(l, s, "leave_reminders", &bad);
  if (leave) {
    int b = parse_bool(leave);
    if (b < 0) {
      problem(l, section_key_line(s, "leave_reminders"), "leave_reminders: \"%s\" is not a boolean (yes/no)%s",
              leave, comment_hint(leave));
      bad = TRUE;
    } else {
      a->leave_reminders = b;
    }
  }
  /* A section with problems keeps the defaults for what it got wrong, like
   * the other sections; `diaryd config check` lists the problems. */
  (void)bad;
}

/* ---- [mail] ------------------------------------------------------------------------ */

static const char *const TRANSPORT_NAMES[] = {"maildir", "smtp", "sendmail", NULL}; /* MailTransportKind order */
static const char *const MAIL_AUTH_NAMES[] = {"auto", "plain", "login", "xoauth2", "none", NULL}; /* MailAuth */

const char *mail_transport_kind_name(MailTransportKind kind) {
  return (guint)kind < G_N_ELEMENTS(TRANSPORT_NAMES) - 1 ? TRANSPORT_NAMES[kind] : "?";
}

const char *mail_auth_name(MailAuth auth) {
  return (guint)auth < G_N_ELEMENTS(MAIL_AUTH_NAMES) - 1 ? MAIL_AUTH_NAMES[auth] : "?";
}

static void mail_defaults(MailSettings *m) {
  memset(m, 0, sizeof *m);
  m->transport = MAIL_TRANSPORT_MAILDIR;
  m->auth = MAIL_AUTH_NONE;
  m->maildir = g_build_filename(g_get_user_data_dir(), "diaryd", "mail", NULL);
  m->hold_on_conflict = TRUE;
  m->max_recipients = 20;
  m->rate_per_hour = 100;
  m->templates = g_build_filename(g_get_user_config_dir(), "diaryd", "templates", NULL);
}

static void mail_clear(MailSettings *m) {
  g_free(m->from_name);
  g_free(m->from);
  g_free(m->url);
  g_free(m->username);
  g_strfreev(m->password_command);
  secret_free(m->password);
  g_free(m->ca_file);
  g_strfreev(m->sendmail);
  g_free(m->maildir);
  g_strfreev(m->allow_domains);
  g_strfreev(m->recipient_zones);
  g_free(m->templates);
  g_free(m->reply_to);
  memset(m, 0, sizeof *m);
}

gboolean mail_settings_domain_allowed(const MailSettings *m, const char *addr) {
  if (!m->allow_domains)
    return TRUE;
  const char *at = addr ? strrchr(addr, '@') : NULL;
  if (!at)
    return FALSE;
  for (char **d = m->allow_domains; *d; d++)
    if (!g_ascii_strcasecmp(at + 1, *d))
      return TRUE;
  return FALSE;
}

const char *mail_settings_recipient_zone(const MailSettings *m, const char *addr) {
  const char *at = addr ? strrchr(addr, '@') : NULL;
  const char *by_domain = NULL;
  for (char **z = m->recipient_zones; z && z[0] && z[1]; z += 2) {
    if (!g_ascii_strcasecmp(z[0], addr))
      return z[1];
    if (!by_domain && at && z[0][0] == '@' && !g_ascii_strcasecmp(z[0], at))
      by_domain = z[1];
  }
  return by_domain;
}


/* "addr", "Name <addr>" or "\"Name, with specials\" <addr>": the name
 * (unquoted; NULL when there is none) and the address (lower-case). */
static gboolean parse_mailbox(const char *v, char **name_out, char **addr_out) {
  const char *lt = strchr(v, '<');
  if (!lt) {
    if (!message_address_valid(v))
      return FALSE;
    *name_out = NULL;
    *addr_out = g_ascii_strdown(v, -1);
    return TRUE;
  }
  gsize n = strlen(v);
  if (v[n - 1] != '>')
    return FALSE;
  g_autofree char *addr = g_strndup(lt + 1, n - 2 - (gsize)(lt - v));
  if (!message_address_valid(addr))
    return FALSE;
  g_autofree char *raw = g_strstrip(g_strndup(v, (gsize)(lt - v)));
  g_autoptr(GString) name = g_string_new(NULL);
  gsize m = strlen(raw);
  if (raw[0] == '"') {
    if (m < 2 || raw[m - 1] != '"')
      return FALSE;
    for (gsize i = 1; i < m - 1; i++) {
      if (raw[i] == '\\' && i + 1 < m - 1)
        i++;
      else if (raw[i] == '\\' || raw[i] == '"')
        return FALSE;
      g_string_append_c(name, raw[i]);
    }
  } else {
    if (strpbrk(raw, "<>\""))
      return FALSE;
    g_string_append(name, raw);
  }
  if (name->len > 256)
    return FALSE;
  *name_out = name->len ? g_string_free(g_steal_pointer(&name), FALSE) : NULL;
  *addr_out = g_ascii_strdown(addr, -1);
  return TRUE;
}

/* One of `names` (ignoring case): its index; -1 when absent or bad (a
 * problem then). */
static int mail_choice(Loader *l, const Section *s, const char *key, const char *const *names, gboolean *bad) {
  g_autofree char *v = get(l, s, key, bad);
  if (!v)
    return -1;
  for (int i = 0; names[i]; i++)
    if (!g_ascii_strcasecmp(v, names[i]))
      return i;
  g_autofree char *list = g_strjoinv(", ", (char **)names);
  problem(l, section_key_line(s, key), "%s: \"%s\" is not one of %s%s", key, v, list, comment_hint(v));
  *bad = TRUE;
  return -1;
}

/* A whole number within [min, max]; FALSE when absent or bad. */
static gboolean mail_number(Loader *l, const Section *s, const char *key, guint min, guint max, guint *out,
                            gboolean *bad) {
  g_autofree char *v = get(l, s, key, bad);
  if (!v)
    return FALSE;
  guint64 n;
  if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, NULL)) {
    problem(l, section_key_line(s, key), "%s: \"%s\" is not a whole number from %u to %u%s", key, v, min, max,
            comment_hint(v));
    *bad = TRUE;
    return FALSE;
  }
  *out = (guint)n;
  return TRUE;
}

/* smtps://host[:port] or smtp://host[:port]: nothing else in it (libcurl
 * would take a path for the EHLO name, and credentials go in username and
 * password_command). */
static gboolean check_smtp_url(Loader *l, const Section *s, const char *value) {
  const char *key = "url";
  int line = section_key_line(s, key);
  g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);
  if (!uri) {
    problem(l, line, "%s: not an SMTP URL (examples: smtps://smtp.example.com:465, smtp://mail.example.com:587)%s",
            key, comment_hint(value));
    return FALSE;
  }
  g_autofree char *shown = g_uri_to_string_partial(uri, G_URI_HIDE_USERINFO | G_URI_HIDE_AUTH_PARAMS);
  const char *scheme = g_uri_get_scheme(uri), *host = g_uri_get_host(uri), *path = g_uri_get_path(uri);
  if (strpbrk(value, " \t")) {
    problem(l, line, "%s: has a blank in it%s", key, comment_hint(value));
    return FALSE;
  }
  if (g_uri_get_userinfo(uri)) {
    problem(l, line, "%s: has a user name or password in it: use username and password_command instead", key);
    return FALSE;
  }
  if (g_ascii_strcasecmp(scheme, "smtps") && g_ascii_strcasecmp(scheme, "smtp")) {
    problem(l, line,
            "%s: %s is not an smtps:// or smtp:// URL (smtps://HOST:465 for TLS from the start, "
            "smtp://HOST:587 for STARTTLS)",
            key, shown);
    return FALSE;
  }
  if (!host || !*host) {
    problem(l, line, "%s: %s names no host", key, shown);
    return FALSE;
  }
  if ((path && *path && strcmp(path, "/")) || g_uri_get_query(uri) || g_uri_get_fragment(uri)) {
    problem(l, line, "%s: %s: an SMTP URL is smtps://HOST[:PORT] or smtp://HOST[:PORT], with no path after it",
            key, shown);
    return FALSE;
  }
  return TRUE;
}

static char *mail_address(Loader *l, const Section *s, const char *key, gboolean *bad) {
  g_autofree char *v = get(l, s, key, bad);
  if (!v)
    return NULL;
  if (!message_address_valid(v)) {
    problem(l, section_key_line(s, key), "%s: \"%s\" is not a plain address (example: %s = office@example.com)%s",
            key, v, key, comment_hint(v));
    *bad = TRUE;
    return NULL;
  }
  return g_ascii_strdown(v, -1);
}

/* The comma-separated entries of `key`, blanks trimmed and empty ones left
 * out (a GStrv), with its line; NULL when the key is absent. */
static char **split_list(Loader *l, const Section *s, const char *key, int *line, gboolean *bad) {
  *line = section_key_line(s, key);
  g_autofree char *text = get(l, s, key, bad);
  if (!text)
    return NULL;
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  GPtrArray *list = g_ptr_array_new();
  for (char **p = parts; *p; p++)
    if (*g_strstrip(*p))
      g_ptr_array_add(list, g_strdup(*p));
  g_ptr_array_add(list, NULL);
  return (char **)g_ptr_array_free(list, FALSE);
}

static char **split_domains(Loader *l, const Section *s, gboolean *bad) {
  const char *key = "allow_domains";
  int line;
  g_auto(GStrv) parts = split_list(l, s, key, &line, bad);
  if (!parts)
    return NULL;
  for (char **p = parts; *p; p++) {
    if (!message_domain_valid(*p)) {
      problem(l, line, "%s: \"%s\" is not a domain (example: allow_domains = example.com, example.org)%s", key, *p,
              comment_hint(*p));
      *bad = TRUE;
      return NULL;
    }
    char *lower = g_ascii_strdown(*p, -1);
    g_free(*p);
    *p = lower;
  }
  guint n = g_strv_length(parts);
  if (!n || n > MAX_DOMAINS) {
    problem(l, line, n ? "%s: more than 256 domains" : "%s: names no domain (leave the line out for any)", key);
    *bad = TRUE;
    return NULL;
  }
  return g_steal_pointer(&parts);
}

/* recipient_zones = ADDRESS ZONE, @DOMAIN ZONE, ... */
static char **split_recipient_zones(Loader *l, const Section *s, gboolean *bad) {
  const char *key = "recipient_zones";
  int line;
  g_auto(GStrv) parts = split_list(l, s, key, &line, bad);
  if (!parts || !*parts)
    return NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
  for (char **p = parts; *p; p++) {
    g_auto(GStrv) words = g_strsplit_set(*p, " \t", -1);
    const char *who = NULL, *zone = NULL;
    guint n = 0;
    for (char **w = words; *w; w++)
      if (**w && n++ == 0)
        who = *w;
      else if (**w && n == 2)
        zone = *w;
    gboolean ok = n == 2 && zone && strlen(zone) < 64 && !strstr(zone, "..") && zone[0] != '/' &&
                  (who[0] == '@' ? message_domain_valid(who + 1) : message_address_valid(who));
    for (const char *c = zone; ok && *c; c++)
      ok = g_ascii_isalnum(*c) || strchr("/_+-", *c);
    if (!ok) {
      problem(l, line, "%s: \"%s\" is not ADDRESS ZONE or @DOMAIN ZONE (example: %s = ann@example.org "
              "Europe/Paris, @example.jp Asia/Tokyo)%s", key, *p, key, comment_hint(*p));
      *bad = TRUE;
      return NULL;
    }
    g_ptr_array_add(list, g_ascii_strdown(who, -1));
    g_ptr_array_add(list, g_strdup(zone));
  }
  g_ptr_array_add(list, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
}

/* The credentials that go with `auth`: a username and a secret for every
 * kind but none; nothing for none. */
static void check_mail_auth(Loader *l, const Section *s, MailSettings *m, gboolean explicit_auth, gboolean *bad) {
  int blame = section_key_line(s, "auth");
  if (!blame)
    blame = section_key_line(s, "username") ? section_key_line(s, "username") : s->line;
  gboolean has_user = section_key_line(s, "username") != 0;
  gboolean has_secret = section_key_line(s, "password") || section_key_line(s, "password_command");
  const char *name = mail_auth_name(m->auth);
  if (m->auth == MAIL_AUTH_NONE) {
    if (has_user || has_secret) {
      problem(l, blame,
              explicit_auth ? "auth = none: remove username, password_command and password"
                            : "a password is set but there is no username");
      *bad = TRUE;
    }
    return;
  }
  if (!has_user) {
    problem(l, blame, "auth = %s needs a username", name);
    *bad = TRUE;
  }
  if (!has_secret) {
    if (m->auth == MAIL_AUTH_XOAUTH2)
      problem(l, blame, "auth = xoauth2 needs a password_command that prints an access token");
    else if (explicit_auth)
      problem(l, blame, "auth = %s needs a password_command (or a password)", name);
    else
      problem(l, blame, "username is set but there is no password_command (or password); "
                        "write auth = none for a server that needs no login");
    *bad = TRUE;
  }
}

static void load_mail(Loader *l, const Section *s) {
  MailSettings *m = &l->cfg->mail;
  gboolean bad = s->troubled;
  m->line = s->line;
  unknown_keys(l, s, MAIL_KEYS, &bad);

  g_autofree char *from = get(l, s, "from", &bad);
  if (from && !parse_mailbox(from, &m->from_name, &m->from)) {
    problem(l, section_key_line(s, "from"),
            "from: \"%s\" is not an address or Name <address> (example: from = Sam Carter <sam@example.com>)%s",
            from, comment_hint(from));
    bad = TRUE;
  }
  m->reply_to = mail_address(l, s, "reply_to", &bad);

  m->url = get(l, s, "url", &bad);
  if (m->url && !check_smtp_url(l, s, m->url)) {
    bad = TRUE;
    g_clear_pointer(&m->url, g_free);
  }
  load_login(l, s, &m->username, &m->password_command, &m->password, &bad);
  int auth = mail_choice(l, s, "auth", MAIL_AUTH_NAMES, &bad);
  if (auth >= 0) {
    m->auth = (MailAuth)auth;
    check_mail_auth(l, s, m, TRUE, &bad);
  } else if (!section_key_line(s, "auth")) {
    m->auth = section_key_line(s, "username") ? MAIL_AUTH_AUTO : MAIL_AUTH_NONE;
    check_mail_auth(l, s, m, FALSE, &bad);
  } /* else a bad auth: which credentials belong is unknown, and nothing more is said */
  m->ca_file = resolve_ca_file(l, s, &bad);
  m->sendmail = split_command(l, s, "sendmail", &bad);

  int transport = mail_choice(l, s, "transport", TRANSPORT_NAMES, &bad);
  int transport_line = section_key_line(s, "transport");
  if (transport >= 0) {
    m->transport = (MailTransportKind)transport;
    if (m->transport == MAIL_TRANSPORT_SMTP && !section_key_line(s, "url")) {
      problem(l, transport_line, "transport = smtp needs a url (example: url = smtps://smtp.example.com:465)");
      bad = TRUE;
    }
    if (m->transport == MAIL_TRANSPORT_SENDMAIL && !section_key_line(s, "sendmail")) {
      problem(l, transport_line, "transport = sendmail needs a sendmail command (example: sendmail = msmtp -a work)");
      bad = TRUE;
    }
  } else if (!transport_line) {
    if (section_key_line(s, "url") && section_key_line(s, "sendmail")) {
      problem(l, MAX(section_key_line(s, "url"), section_key_line(s, "sendmail")),
              "url and sendmail are both set: write transport = smtp or transport = sendmail to say which to use");
      bad = TRUE;
    }
    m->transport = section_key_line(s, "url")        ? MAIL_TRANSPORT_SMTP
                   : section_key_line(s, "sendmail") ? MAIL_TRANSPORT_SENDMAIL
                                                     : MAIL_TRANSPORT_MAILDIR;
  }

  const char *paths[] = {"maildir", "templates"};
  char **slots[] = {&m->maildir, &m->templates};
  for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autofree char *v = get(l, s, paths[i], &bad);
    if (v) {
      g_free(*slots[i]);
      *slots[i] = resolve_path(l, v);
    }
  }

  static const char *const methods[] = {"publish", "request", NULL}, *const schedules[] = {"plain", "skip", NULL},
                           *const conflicts[] = {"hold", "send", NULL};
  int v;
  if ((v = mail_choice(l, s, "method", methods, &bad)) >= 0)
    m->method_request = v == 1;
  if ((v = mail_choice(l, s, "auto_schedule", schedules, &bad)) >= 0)
    m->auto_schedule_skip = v == 1;
  if ((v = mail_choice(l, s, "on_conflict", conflicts, &bad)) >= 0)
    m->hold_on_conflict = v == 0;
  mail_number(l, s, "max_recipients", 1, MAIL_MAX_RECIPIENTS, &m->max_recipients, &bad);
  mail_number(l, s, "rate_per_hour", 0, MAIL_MAX_RATE, &m->rate_per_hour, &bad);
  m->allow_domains = split_domains(l, s, &bad);
  m->recipient_zones = split_recipient_zones(l, s, &bad);
  m->bad = bad;
}

/* ---- loading ----------------------------------------------------------------------- */

/* ssh's rule for its config, password or not: whoever can change the file
 * chooses the commands diaryd runs (password_command, sendmail) and the
 * servers the passwords and tokens go to.  So the file (`st`, from the
 * descriptor read) must be writable by its owner alone, and that owner must
 * be us or root; and its folder must not let others replace it (writable by
 * others without the sticky bit, as /tmp has).  One problem, and the file
 * is not read. */
static gboolean trusted_file(Loader *l, const char *path, const struct stat *st) {
  if (st->st_mode & (S_IWGRP | S_IWOTH)) {
    problem(l, 0,
            "writable by %s (mode %04o): whoever can change it chooses the commands diaryd runs and where the "
            "passwords go, so it is not used: chmod go-w %s",
            writers(st->st_mode), (unsigned)(st->st_mode & 07777), path);
    return FALSE;
  }
  if (st->st_uid != geteuid() && st->st_uid != 0) {
    problem(l, 0,
            "belongs to another user (uid %u), who can change it: it is not used; copy it and use the copy, "
            "or chown it",
            (unsigned)st->st_uid);
    return FALSE;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  struct stat dst;
  if (stat(dir, &dst) == 0 && (dst.st_mode & (S_IWGRP | S_IWOTH)) && !(dst.st_mode & S_ISVTX)) {
    problem(l, 0,
            "its folder %s is writable by %s (mode %04o): whoever can write there can replace the file, so it is "
            "not used: chmod go-w %s",
            dir, writers(dst.st_mode), (unsigned)(dst.st_mode & 07777), dir);
    return FALSE;
  }
  return TRUE;
}

/* Reads at most MAX_FILE_SIZE bytes of a regular file, from one open
 * descriptor whose mode is the one judged (no window between a stat and the
 * read), without reading on when the file is larger than allowed. */
static char *read_config(Loader *l, const char *path, gboolean explicit, gsize *len, gboolean *missing) {
  int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT && !explicit) {
      *missing = TRUE;
      return NULL;
    }
    problem(l, 0, "cannot open: %s", g_strerror(e));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem(l, 0, "not a regular file");
    close(fd);
    return NULL;
  }
  l->private_file = (st.st_mode & 077) == 0;
  if (!trusted_file(l, path, &st)) {
    close(fd);
    return NULL;
  }
  if (st.st_size > MAX_FILE_SIZE) {
    problem(l, 0, "larger than 1 MB: not a config file");
    close(fd);
    return NULL;
  }
  g_autoptr(GString) buf = g_string_sized_new((gsize)st.st_size + 1);
  char chunk[16384];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      problem(l, 0, "read error: %s", g_strerror(e));
      close(fd);
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize)n > MAX_FILE_SIZE) {
      problem(l, 0, "larger than 1 MB: not a config file");
      close(fd);
      return NULL;
    }
    g_string_append_len(buf, chunk, n);
  }
  close(fd);
  *len = buf->len;
  return g_string_free(g_steal_pointer(&buf), FALSE);
}

static gint cmp_problem_line(gconstpointer a, gconstpointer b) {
  const ConfigProblem *x = *(ConfigProblem *const *)a, *y = *(ConfigProblem *const *)b;
  return (x->line > y->line) - (x->line < y->line);
}

/* A config with its defaults, about `path` (NULL: the default path), and
 * the loader that fills it. */
static DiarydConfig *loader_start(Loader *l, const char *path) {
  DiarydConfig *cfg = g_new0(DiarydConfig, 1);
  cfg->accounts = g_ptr_array_new_with_free_func((GDestroyNotify)account_free);
  cfg->calendars = g_ptr_array_new_with_free_func((GDestroyNotify)calendar_settings_free);
  cfg->problems = g_ptr_array_new_with_free_func((GDestroyNotify)problem_free);
  agent_defaults(&cfg->agent);
  mail_defaults(&cfg->mail);
  cfg->path = path ? g_strdup(path) : diaryd_config_default_path();

  g_autofree char *dir = g_path_get_dirname(cfg->path);
  *l = (Loader){cfg, NULL, FALSE, g_canonicalize_filename(dir, NULL), NULL, NULL};
  l->sections = g_ptr_array_new_with_free_func((GDestroyNotify)section_free);
  l->account_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return cfg;
}

/* The file's text, once read: everything but the reading.  Both entry
 * points go through here, so the fuzzer exercises exactly what a file gets. */
static void load_text(Loader *l, const char *text, gsize len, CheckConfig *check) {
  if (len > MAX_FILE_SIZE) {
    problem(l, 0, "larger than 1 MB: not a config file");
    return;
  }
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    int line = 1;
    for (const char *p = text; p < nul; p++)
      line += *p == '\n';
    problem(l, line, "has a NUL byte: not a text file");
    return;
  }
  l->kf = g_key_file_new();
  if (!g_key_file_load_from_data(l->kf, text, len, G_KEY_FILE_NONE, NULL)) {
    report_syntax(l, text, len);
    return;
  }
  Section *current = NULL;
  each_line(l, text, len, scan_line, &current);

  /* Accounts first, so a [calendar] may come before its [account]. */
  for (guint i = 0; i < l->sections->len; i++) {
    Section *s = g_ptr_array_index(l->sections, i);
    if (g_str_has_prefix(s->name, "account ")) {
      g_autofree char *name = g_strstrip(g_strdup(s->name + 8));
      g_hash_table_add(l->account_names, g_steal_pointer(&name));
    }
  }
  for (guint i = 0; i < l->sections->len; i++) {
    Section *s = g_ptr_array_index(l->sections, i);
    if (!strcmp(s->name, "check")) {
      load_check(l, s, check);
    } else if (!strcmp(s->name, "agent")) {
      load_agent(l, s);
    } else if (!strcmp(s->name, "mail")) {
      load_mail(l, s);
    } else if (g_str_has_prefix(s->name, "account ") || !strcmp(s->name, "account")) {
      g_autofree char *name = g_strstrip(g_strdup(s->name + 7));
      load_account(l, s, name);
    } else if (g_str_has_prefix(s->name, "calendar ") || !strcmp(s->name, "calendar")) {
      g_autofree char *rest = g_strstrip(g_strdup(s->name + 8));
      load_calendar(l, s, rest);
    } else {
      problem(l, s->line,
              "unknown section [%s] (known: [check], [agent], [mail], [account NAME], [calendar ACCOUNT/NAME])",
              s->name);
    }
  }
}

static DiarydConfig *loader_finish(Loader *l) {
  /* Stable: problems of one line keep the order they were found in. */
  g_ptr_array_sort(l->cfg->problems, cmp_problem_line);
  g_clear_pointer(&l->kf, g_key_file_unref);
  g_hash_table_destroy(l->account_names);
  g_ptr_array_unref(l->sections);
  g_free(l->dir);
  return l->cfg;
}

DiarydConfig *diaryd_config_load(const char *path, gboolean explicit, CheckConfig *check) {
  Loader l;
  DiarydConfig *cfg = loader_start(&l, path);
  gsize len = 0;
  gboolean missing = FALSE;
  char *text = read_config(&l, cfg->path, explicit, &len, &missing);
  if (missing)
    g_clear_pointer(&cfg->path, g_free);
  if (text) {
    load_text(&l, text, len, check);
    explicit_bzero(text, len);
    g_free(text);
  }
  return loader_finish(&l);
}

DiarydConfig *diaryd_config_load_text(const char *path, const char *text, gsize len, gboolean private_file,
                                      CheckConfig *check) {
  Loader l;
  loader_start(&l, path);
  l.private_file = private_file;
  load_text(&l, text, len, check);
  return loader_finish(&l);
}

/* ---- lookups ------------------------------------------------------------------------ */

const Account *diaryd_config_account(const DiarydConfig *cfg, const char *name) {
  for (guint i = 0; i < cfg->accounts->len; i++) {
    const Account *a = g_ptr_array_index(cfg->accounts, i);
    if (!strcmp(a->name, name))
      return a;
  }
  return NULL;
}

/* A path without its trailing slashes, percent-decoded when that decodes
 * to text without a slash or NUL in a segment. */
static char *clean_path(const char *path) {
  g_autofree char *decoded = g_uri_unescape_string(path, "/");
  char *out = g_strdup(decoded ? decoded : path);
  gsize n = strlen(out);
  while (n > 0 && out[n - 1] == '/')
    out[--n] = '\0';
  return out;
}

/* The collection path of `url`: an absolute URL's path, else `url` itself
 * (an href). */
static char *url_path(const char *url) {
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
  return clean_path(uri ? g_uri_get_path(uri) : url);
}

/* Whether `entry` (from the config: a display name, or a collection path
 * or URL when it has a '/') names the calendar called `name` at `url`.  A
 * path matches the end of the calendar's path, whole segments only; a name
 * matches the display name (ignoring case) or the last segment. */
static gboolean calendar_matches(const char *entry, const char *name, const char *url) {
  g_autofree char *path = url ? url_path(url) : NULL;
  if (strchr(entry, '/')) {
    if (!path)
      return FALSE;
    g_autofree char *want = url_path(entry);
    const char *w = want;
    while (*w == '/')
      w++;
    if (!*w)
      return FALSE;
    gsize pl = strlen(path), wl = strlen(w);
    return pl >= wl && !strcmp(path + pl - wl, w) && (pl == wl || path[pl - wl - 1] == '/');
  }
  if (name) {
    g_autofree char *a = g_utf8_casefold(entry, -1), *b = g_utf8_casefold(name, -1);
    if (!strcmp(a, b))
      return TRUE;
  }
  if (path) {
    g_autofree char *decoded = clean_path(entry);
    const char *last = strrchr(path, '/');
    if (!strcmp(last ? last + 1 : path, decoded))
      return TRUE;
  }
  return FALSE;
}

const CalendarSettings *diaryd_config_calendar(const DiarydConfig *cfg, const char *account, const char *name,
                                               const char *url) {
  for (guint i = 0; i < cfg->calendars->len; i++) {
    const CalendarSettings *c = g_ptr_array_index(cfg->calendars, i);
    if (!strcmp(c->account, account) && calendar_matches(c->calendar, name, url))
      return c;
  }
  return NULL;
}

gboolean calendar_settings_confirm(const CalendarSettings *c) { return c && c->confirmations == 1; }

gboolean account_wants_calendar(const Account *account, const char *name, const char *url) {
  if (!account->calendars)
    return TRUE;
  for (char **e = account->calendars; *e; e++)
    if (calendar_matches(*e, name, url))
      return TRUE;
  return FALSE;
}

/* ---- the secret ---------------------------------------------------------------------- */

typedef struct {
  char buf[SECRET_MAX + 1]; /* one byte more than allowed shows that there was more */
  gsize len;
  gboolean reading;         /* the pipe is still open and watched */
  int read_errno;
  gboolean exited, timed_out, gave_up;
  int status;
} Run;

static gboolean on_output(gint fd, GIOCondition cond, gpointer data) {
  (void)cond;
  Run *r = data;
  ssize_t n = read(fd, r->buf + r->len, sizeof r->buf - r->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n < 0)
    r->read_errno = errno;
  if (n > 0)
    r->len += (gsize)n;
  if (n > 0 && r->len < sizeof r->buf)
    return G_SOURCE_CONTINUE;
  r->reading = FALSE; /* end of output, a read error, or too much */
  return G_SOURCE_REMOVE;
}

static void on_exit_status(GPid pid, gint status, gpointer data) {
  Run *r = data;
  r->exited = TRUE;
  r->status = status;
  g_spawn_close_pid(pid);
}

static gboolean on_timeout(gpointer data) {
  ((Run *)data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean on_grace(gpointer data) {
  ((Run *)data)->gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

static double password_command_timeout(void) {
  const char *env = g_getenv("DIARYD_PASSWORD_COMMAND_TIMEOUT");
  if (env) {
    char *end;
    double s = g_ascii_strtod(env, &end);
    if (end != env && !*end && s > 0 && s <= PASSWORD_COMMAND_TIMEOUT_S)
      return s;
  }
  return PASSWORD_COMMAND_TIMEOUT_S;
}

static GSource *attach(GSource *source, GMainContext *ctx, GSourceFunc callback, gpointer data) {
  g_source_set_callback(source, callback, data, NULL);
  g_source_attach(source, ctx);
  return source;
}

static char *run_password_command(const char *who, char **argv, GError **error) {
  const char *cmd = argv[0];
  double timeout = password_command_timeout();
  GPid pid;
  int out_fd = -1;
  g_autoptr(GError) spawn_error = NULL;
  if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv, NULL,
                                        G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES |
                                            G_SPAWN_STDIN_FROM_DEV_NULL,
                                        NULL, NULL, -1, -1, -1, NULL, NULL, 0, &pid, NULL, &out_fd, NULL,
                                        &spawn_error)) {
    g_set_error(error, G_IO_ERROR,
                g_error_matches(spawn_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ? G_IO_ERROR_NOT_FOUND
                                                                                  : G_IO_ERROR_FAILED,
                "%s: password_command \"%s\" could not be run: %s", who, cmd,
                spawn_error->message);
    return NULL;
  }
  g_unix_set_fd_nonblocking(out_fd, TRUE, NULL);

  /* A private context: this runs from the command line and from sync
   * threads, and must neither dispatch nor wait on anyone else's sources. */
  GMainContext *ctx = g_main_context_new();
  Run *r = g_new0(Run, 1);
  r->reading = TRUE;
  GSource *out = attach(g_unix_fd_source_new(out_fd, G_IO_IN | G_IO_HUP | G_IO_ERR), ctx, G_SOURCE_FUNC(on_output), r);
  GSource *child = attach(g_child_watch_source_new(pid), ctx, G_SOURCE_FUNC(on_exit_status), r);
  GSource *timer = attach(g_timeout_source_new((guint)(timeout * 1000)), ctx, on_timeout, r);
  GSource *grace = NULL;
  while (r->reading || !r->exited) {
    if (!grace && (r->timed_out || r->len > SECRET_MAX || r->read_errno)) {
      /* Never signal a pid already reaped: it may be someone else's now.
       * (It exited, but something it started still holds the pipe.) */
      if (!r->exited)
        kill(pid, SIGKILL);
      g_source_destroy(out);
      r->reading = FALSE;
      grace = attach(g_timeout_source_new(KILL_GRACE_MS), ctx, on_grace, r);
      continue;
    }
    if (r->gave_up)
      break; /* left unreaped: nothing better is possible */
    g_main_context_iteration(ctx, TRUE);
  }
  close(out_fd);
  GSource *sources[] = {out, child, timer, grace};
  for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
    if (sources[i]) {
      g_source_destroy(sources[i]);
      g_source_unref(sources[i]);
    }
  g_main_context_unref(ctx);

  char *secret = NULL;
  const char *name = who;
  if (r->len > SECRET_MAX)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                "%s: password_command \"%s\" printed more than 4 KB", name, cmd);
  else if (r->read_errno)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "%s: password_command \"%s\": its output could not be read: %s", name, cmd,
                g_strerror(r->read_errno));
  else if (r->timed_out)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                "%s: password_command \"%s\" did not finish within %g s and was killed%s", name, cmd,
                timeout, r->exited ? "" : " (it has not died yet)");
  else if (WIFSIGNALED(r->status))
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "%s: password_command \"%s\" was killed by signal %d (%s)", name, cmd,
                WTERMSIG(r->status), g_strsignal(WTERMSIG(r->status)));
  else if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: password_command \"%s\" exited with status %d",
                name, cmd, WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1);
  else {
    gsize n = r->len;
    if (n >= 2 && r->buf[n - 2] == '\r' && r->buf[n - 1] == '\n')
      n -= 2;
    else if (n >= 1 && r->buf[n - 1] == '\n')
      n -= 1;
    if (n == 0)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "%s: password_command \"%s\" printed no password", name, cmd);
    else if (memchr(r->buf, '\0', n))
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "%s: password_command \"%s\" printed a NUL byte", name, cmd);
    else
      secret = g_strndup(r->buf, n);
  }
  explicit_bzero(r, sizeof *r);
  g_free(r);
  return secret;
}

char *config_secret(const char *who, char **argv, const char *password, GError **error) {
  if (argv && argv[0])
    return run_password_command(who, argv, error);
  if (password)
    return g_strdup(password);
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has no password_command or password", who);
  return NULL;
}

char *account_secret(const Account *account, GError **error) {
  g_autofree char *who = g_strdup_printf("account '%s'", account->name);
  return config_secret(who, account->password_command, account->password, error);
}
