/* Tests for config/accounts.c: every kind of problem with its line, clean
 * files, the shipped example (as it is and with its examples switched on),
 * the password's file-mode rule, the rule on who may change the file (ssh's: file,
 * folder, owner; and a ca_file), calendar matching, and password_command
 * run for real (output, newlines, exit status, signals, size and time
 * limits), with a canary to show that no secret reaches a message.
 *
 * Run from the top of the source tree, as `make test` does: the example is
 * read from config/diaryd.conf.example. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts.h"
#include "testutil.h"

#define CANARY "c4n4ry-s3cret"
#define EXAMPLE "config/diaryd.conf.example"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct {
  char *dir;
} Tmp;

static Tmp *tmp_new(void) {
  Tmp *t = g_new0(Tmp, 1);
  g_autoptr(GError) error = NULL;
  t->dir = g_dir_make_tmp("diaryd-accounts-XXXXXX", &error);
  g_assert_no_error(error);
  return t;
}

static void tmp_free(Tmp *t) {
  g_autoptr(GDir) d = g_dir_open(t->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(t->dir, name, NULL);
    if (g_remove(path) != 0)
      g_printerr("# cannot remove %s: %s\n", path, g_strerror(errno));
  }
  g_rmdir(t->dir);
  g_free(t->dir);
  g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Tmp, tmp_free)

static char *tmp_write(Tmp *t, const char *name, const char *text, gssize len, int mode) {
  char *path = g_build_filename(t->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, text, len, &error);
  g_assert_no_error(error);
  g_assert_cmpint(g_chmod(path, mode), ==, 0);
  return path;
}

static char *problems_text(const DiarydConfig *cfg) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, i));
    g_string_append_printf(s, "  %s\n", line);
  }
  return g_string_free(s, FALSE);
}

static DiarydConfig *load_text(Tmp *t, const char *text, gssize len, int mode) {
  g_autofree char *path = tmp_write(t, "config", text, len, mode);
  return diaryd_config_load(path, TRUE, NULL);
}

/* ---- problems, each with its line -------------------------------------------- */

typedef struct {
  int line;
  const char *has; /* a piece of the message */
} Want;

typedef struct {
  const char *name;
  const char *text;
  int mode; /* 0: 0600 */
  Want want[6];
  guint accounts, calendars;
  gsize len; /* 0: up to the first NUL */
} Row;

#define NUL_TEXT "[check]\nbuffer = 10m\n\n\n# a\0b\n"
#define OK_ACCOUNT "[account ok]\nurl = https://dav.example.com/\n"

static const Row rows[] = {
    {"empty file", "", 0, {{0}}, 0, 0},
    {"comments only", "# nothing\n\n   # indented\n", 0, {{0}}, 0, 0},
    {"unknown section", "[check]\n\n[acount work]\nurl = https://x.example.com/\n", 0,
     {{3, "unknown section [acount work] (known: [check], [agent], [mail], [account NAME], [calendar ACCOUNT/NAME])"}},
     0, 0},
    {"unknown key in an account",
     "[account work]\nurl = https://x.example.com/\nuser = sam\n", 0,
     {{3, "unknown key \"user\" in [account work] (known: url, username, password_command, password, auth, "
          "client_id, client_secret, scope, auth_url, token_url, calendars, ca_file)"}},
     0, 0},
    {"unknown key in a calendar",
     OK_ACCOUNT "[calendar ok/Team]\nbusy = no\ncolour = #fff\n", 0,
     {{5, "unknown key \"colour\" in [calendar ok/Team] (known: busy, confirm, confirmations, color, reminders)"}},
     1, 0},
    {"unknown key in [check]", "[check]\nbuffer = 10m\n\nbufer = 5m\n", 0,
     {{4, "unknown setting \"bufer\" (known: tz, buffer,"}}, 0, 0},
    {"bad [check] value", "# one\n[check]\nhours = sometimes\nstep = 15m\nstep2 = 1\n", 0,
     {{3, "hours: \"sometimes\" is not valid"}, {5, "unknown setting \"step2\""}}, 0, 0},
    {"localised key in [check]", "[check]\nbuffer[de] = 10m\n", 0, {{2, "unknown setting \"buffer[de]\""}}, 0, 0},
    {"duplicate account",
     "[account work]\nurl = https://x.example.com/\n\n[account work]\ncalendars = all\n", 0,
     {{4, "[account work] appears twice (first on line 1)"}}, 0, 0},
    {"duplicate calendar", OK_ACCOUNT "[calendar ok/A]\nbusy = no\n[calendar ok/A]\ncolor = #fff\n", 0,
     {{5, "[calendar ok/A] appears twice (first on line 3)"}}, 1, 0},
    {"a key twice", "[account work]\nurl = https://x.example.com/\nurl = https://y.example.com/\n", 0,
     {{3, "url is set twice in [account work] (also on line 2)"}}, 0, 0},
    {"bad account name", "[account my work]\nurl = https://x.example.com/\n", 0,
     {{1, "[account my work]: an account name is letters, digits"}}, 0, 0},
    {"account name starting with '-'", "[account -x]\nurl = https://x.example.com/\n", 0, {{1, "not starting"}}, 0,
     0},
    {"account without a name", "[account]\nurl = https://x.example.com/\n", 0, {{1, "[account] needs a name"}}, 0,
     0},
    {"no url", "# a\n[account work]\nusername = sam\npassword_command = pass x\n", 0,
     {{2, "[account work] has no url"}}, 0, 0},
    {"url not http", "[account work]\n\nurl = ftp://x.example.com/\n", 0,
     {{3, "url: ftp://x.example.com/ is not an http or https URL"}}, 0, 0},
    {"url relative", "[account work]\nurl = x.example.com/dav\n", 0, {{2, "url: not an absolute URL"}}, 0, 0},
    {"url with a comment", "[account work]\nurl = https://x.example.com/  # mine\n", 0,
     {{2, "url: has a blank in it (write %20 for a space in a path); comments go on a line of their own"}}, 0, 0},
    {"url with a fragment", "[account work]\nurl = https://x.example.com/#x\n", 0,
     {{2, "url: a URL with a #fragment"}}, 0, 0},
    {"[check] bad escape", "[check]\nbuffer = \\q\n", 0, {{2, "buffer: the value has a bad escape"}}, 0, 0},
    {"url plain http elsewhere", "[account work]\nurl = http://dav.example.com/\n", 0,
     {{2, "url: http://dav.example.com/ is plain http: TLS is required (https)"}}, 0, 0},
    {"url plain http on the loopback",
     "[account a]\nurl = http://localhost:5232/\n[account b]\nurl = http://127.0.0.1:8080/dav/\n"
     "[account c]\nurl = http://[::1]/\n[account d]\nurl = HTTP://LocalHost/\n",
     0, {{0}}, 4, 0},
    {"url with a password in it", "[account work]\nurl = https://sam:" CANARY "@x.example.com/\n", 0,
     {{2, "url: has a user name or password in it"}}, 0, 0},
    {"password_command unbalanced", "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                    "password_command = echo '" CANARY "\n",
     0, {{4, "password_command: a quote is not closed"}}, 0, 0},
    {"password_command empty", "[account work]\nurl = https://x.example.com/\nusername = sam\npassword_command = \n",
     0, {{4, "password_command: the value is empty"}}, 0, 0},
    {"password_command only blanks",
     "[account work]\nurl = https://x.example.com/\nusername = sam\npassword_command = \"\"\n", 0,
     {{4, "password_command: the command is empty"}}, 0, 0},
    {"password_command with a pipe",
     "[account work]\nurl = https://x.example.com/\nusername = sam\npassword_command = pass x | head -1\n", 0,
     {{4, "runs without a shell, so \"|\" would reach pass as an argument"}}, 0, 0},
    {"password_command with ~", "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                "password_command = ~/bin/pw\n",
     0, {{4, "~/bin/pw is not expanded"}}, 0, 0},
    {"two secrets", "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                    "password_command = pass x\npassword = " CANARY "\n",
     0, {{5, "password and password_command are both set"}}, 0, 0},
    {"two secrets in a shared file", "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                     "password_command = pass x\npassword = " CANARY "\n",
     0644, {{5, "contains a password and is readable by others: chmod 600"}, {5, "both set"}}, 0, 0},
    {"account names", "[account Work.2_b-c]\nurl = https://x.example.com/\n"
                      "[account a/b]\nurl = https://x.example.com/\n",
     0, {{3, "[account a/b]: an account name is"}}, 1, 0},
    {"bad auth", "[account work]\nurl = https://x.example.com/\nusername = sam\nauth = kerberos\n"
                 "password_command = pass x\n",
     0, {{4, "auth: \"kerberos\" is not basic, digest, oauth2 or none"}}, 0, 0},
    {"oauth2 without client_id", "[account g]\nurl = https://apidata.googleusercontent.com/caldav/v2/\n"
                                 "auth = oauth2\nclient_secret = x\n",
     0, {{3, "auth = oauth2 needs a client_id"}}, 0, 0},
    {"oauth2 with a password", "[account g]\nurl = https://x.example.com/\nauth = oauth2\nclient_id = a\n"
                               "password_command = pass x\n",
     0, {{3, "auth = oauth2 uses no password"}}, 0, 0},
    {"oauth2 over http", "[account g]\nurl = https://x.example.com/\nauth = oauth2\nclient_id = a\n"
                         "token_url = http://tokens.example.com/\n",
     0, {{5, "token_url: http://tokens.example.com/ is plain http"}}, 0, 0},
    {"oauth keys without oauth2", "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                  "password_command = pass x\nclient_id = a\n",
     0, {{5, "client_id is only used with auth = oauth2"}}, 0, 0},
    {"basic without a username", "[account work]\nurl = https://x.example.com/\nauth = basic\n"
                                 "password_command = pass x\n",
     0, {{3, "auth = basic needs a username"}}, 0, 0},
    {"username without a secret", "[account work]\nurl = https://x.example.com/\nusername = sam\n", 0,
     {{1, "auth = basic needs a password_command"}}, 0, 0},
    {"a secret without a username", "[account work]\nurl = https://x.example.com/\npassword_command = pass x\n", 0,
     {{1, "a password is set but auth is none"}}, 0, 0},
    {"calendars empty", "[account work]\nurl = https://x.example.com/\ncalendars = , ,\n", 0,
     {{3, "calendars: names no calendar"}}, 0, 0},
    {"calendars all and names", "[account work]\nurl = https://x.example.com/\ncalendars = all, Work\n", 0,
     {{3, "calendars: \"all\" and names together"}}, 0, 0},
    {"ca_file missing", "[account work]\nurl = https://x.example.com/\nca_file = /nonexistent/ca.pem\n", 0,
     {{3, "ca_file: /nonexistent/ca.pem: No such file or directory"}}, 0, 0},
    {"ca_file a folder", "[account work]\nurl = https://x.example.com/\nca_file = /\n", 0,
     {{3, "ca_file: / is not a regular file"}}, 0, 0},
    {"calendar of no account", OK_ACCOUNT "\n[calendar work/Team]\nbusy = no\n", 0,
     {{4, "[calendar work/Team]: there is no [account work]"}}, 1, 0},
    {"calendar without a slash", OK_ACCOUNT "[calendar ok]\nbusy = no\n", 0,
     {{3, "write [calendar ACCOUNT/NAME]"}}, 1, 0},
    {"calendar before its account", "[calendar ok/Team]\nbusy = no\n" OK_ACCOUNT, 0, {{0}}, 1, 1},
    {"calendar values", OK_ACCOUNT "[calendar ok/A]\nbusy = maybe\nconfirmations = no # quiet\ncolor = blue\n"
                                   "reminders = 10m, soon\n",
     0,
     {{4, "busy: \"maybe\" is not a boolean (true/false, yes/no, on/off, 1/0)"},
      {5, "comments go on a line of their own"},
      {6, "color: \"blue\" is not #rrggbb, #rgb or #rrggbbaa"},
      {7, "reminders: \"soon\" is not a duration"}},
     1, 0},
    {"colors", OK_ACCOUNT "[calendar ok/A]\ncolor = #12345\n[calendar ok/B]\ncolor = #12345g\n", 0,
     {{4, "color: \"#12345\""}, {6, "color: \"#12345g\""}}, 1, 0},
    {"control character", "[account work]\nurl = https://x.example.com/\nusername = sam\\n" CANARY "\n"
     "password_command = pass x\n", 0,
     {{3, "username: the value has a control character in it"}}, 0, 0},
    {"bad escape", "[account work]\nurl = https://x.example.com/\nusername = \\q" CANARY "\n"
     "password_command = pass x\n", 0,
     {{3, "username: the value has a bad escape"}}, 0, 0},
    {"not UTF-8", "[account work]\nurl = https://x.example.com/\nusername = \xff" CANARY "\n"
     "password_command = pass x\n", 0,
     {{3, "username: the value is not UTF-8"}}, 0, 0},
    {"syntax: a bare word stops the load", "[check]\nbuffer = 10m\n\n" CANARY "\n[acount x]\nbufer = 1\n", 0,
     {{4, "not a key = value line, a [section] header or a # comment"}}, 0, 0},
    {"syntax: a key before any section", "# hello\n\nbuffer = 10m\n[check]\n", 0,
     {{3, "a key before the first [section]"}}, 0, 0},
    {"syntax: a broken header", OK_ACCOUNT "\n[account x\nurl = https://x.example.com/\n", 0,
     {{4, "not a section header"}}, 0, 0},
    {"syntax: an empty key", OK_ACCOUNT "= " CANARY "\n", 0, {{3, "not a valid key = value line"}}, 0, 0},
    {"syntax: CRLF lines", "[check]\r\nbuffer = 10m\r\n\r\n[account\r\n", 0, {{4, "not a section header"}}, 0, 0},
    {"NUL byte", NUL_TEXT, 0, {{5, "has a NUL byte"}}, 0, 0, sizeof NUL_TEXT - 1},
    {"confirm and confirmations", OK_ACCOUNT "[calendar ok/A]\nconfirm = yes\nconfirmations = no\n", 0,
     {{5, "confirm and confirmations are both set (two spellings of one setting): keep confirm"}}, 1, 0},
    {"confirm not a boolean", OK_ACCOUNT "[calendar ok/A]\nconfirm = perhaps\n", 0,
     {{4, "confirm: \"perhaps\" is not a boolean"}}, 1, 0},
    /* [mail]: every problem with its line; the section is still read (mail.bad, test_mail). */
    {"mail: unknown key", "[mail]\nfrom = sam@example.com\nsmtp = smtps://x.example.com\n", 0,
     {{3, "unknown key \"smtp\" in [mail] (known: from, transport, url, username, password_command, password, "
          "auth, ca_file, sendmail, maildir, method, auto_schedule, on_conflict, max_recipients, allow_domains, "
          "rate_per_hour, templates, reply_to, recipient_zones)"}},
     0, 0},
    {"mail: twice", "[mail]\nfrom = sam@example.com\n\n[mail]\nmethod = request\n", 0,
     {{4, "[mail] appears twice (first on line 1)"}}, 0, 0},
    {"mail: from", "[mail]\n\nfrom = Sam Carter\n", 0,
     {{3, "from: \"Sam Carter\" is not an address or Name <address> (example: from = Sam Carter <sam@example.com>)"}},
     0, 0},
    {"mail: from variants", "[mail]\nfrom = Sam <sam@example>\n[mail]\n", 0,
     {{2, "from: \"Sam <sam@example>\" is not an address"}, {3, "[mail] appears twice"}}, 0, 0},
    {"mail: from with CR LF", "[mail]\nfrom = sam@example.com\\r\\nBcc: x@example.com\n", 0,
     {{2, "from: the value has a control character in it"}}, 0, 0},
    {"mail: from with a quote", "[mail]\nfrom = Sam \"Q <sam@example.com>\n", 0, {{2, "from: "}}, 0, 0},
    {"mail: from with two addresses", "[mail]\nfrom = a@example.com, b@example.com\n", 0, {{2, "from: "}}, 0, 0},
    {"mail: reply_to", "[mail]\nreply_to = Office <office@example.com>\n", 0,
     {{2, "reply_to: \"Office <office@example.com>\" is not a plain address (example: reply_to = office@example.com)"}},
     0, 0},
    {"mail: url not smtp", "[mail]\nurl = https://smtp.example.com/\n", 0,
     {{2, "url: https://smtp.example.com/ is not an smtps:// or smtp:// URL"}}, 0, 0},
    {"mail: url relative", "[mail]\nurl = smtp.example.com:465\n", 0,
     {{2, "url: "}}, 0, 0},
    {"mail: url with a path", "[mail]\nurl = smtps://smtp.example.com:465/ehlo.example.com\n", 0,
     {{2, "url: smtps://smtp.example.com:465/ehlo.example.com: an SMTP URL is smtps://HOST[:PORT] or "
          "smtp://HOST[:PORT], with no path after it"}},
     0, 0},
    {"mail: url with a query", "[mail]\nurl = smtp://smtp.example.com:587?x=1\n", 0, {{2, "with no path after it"}},
     0, 0},
    {"mail: url with credentials", "[mail]\nurl = smtps://sam:" CANARY "@smtp.example.com/\n", 0,
     {{2, "url: has a user name or password in it: use username and password_command instead"}}, 0, 0},
    {"mail: url without a host", "[mail]\nurl = smtps:///\n", 0, {{2, "names no host"}}, 0, 0},
    {"mail: url with a comment", "[mail]\nurl = smtps://smtp.example.com  # mine\n", 0,
     {{2, "comments go on a line of their own"}}, 0, 0},
    {"mail: transport", "[mail]\ntransport = pigeon\n", 0,
     {{2, "transport: \"pigeon\" is not one of maildir, smtp, sendmail"}}, 0, 0},
    {"mail: smtp without url", "[mail]\nfrom = sam@example.com\ntransport = SMTP\n", 0,
     {{3, "transport = smtp needs a url"}}, 0, 0},
    {"mail: sendmail without command", "[mail]\ntransport = sendmail\nurl = smtps://smtp.example.com\n", 0,
     {{2, "transport = sendmail needs a sendmail command"}}, 0, 0},
    {"mail: url and sendmail", "[mail]\nurl = smtps://smtp.example.com\nsendmail = msmtp -a work\n", 0,
     {{3, "url and sendmail are both set: write transport = smtp or transport = sendmail"}}, 0, 0},
    {"mail: sendmail with a pipe", "[mail]\nsendmail = msmtp -a work | tee log\n", 0,
     {{2, "sendmail: runs without a shell, so \"|\" would reach msmtp as an argument"}}, 0, 0},
    {"mail: sendmail unbalanced", "[mail]\nsendmail = msmtp -a 'work\n", 0, {{2, "sendmail: a quote is not closed"}}, 0,
     0},
    {"mail: two secrets", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\npassword_command = pass x\n"
                          "password = " CANARY "\n",
     0, {{5, "password and password_command are both set: keep one"}}, 0, 0},
    {"mail: password in a shared file", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\npassword = " CANARY
                                        "\n",
     0644, {{4, "contains a password and is readable by others: chmod 600"}}, 0, 0},
    {"mail: username without a secret", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\n", 0,
     {{3, "username is set but there is no password_command (or password)"}}, 0, 0},
    {"mail: a secret without a username", "[mail]\nurl = smtps://smtp.example.com\npassword_command = pass x\n", 0,
     {{1, "a password is set but there is no username"}}, 0, 0},
    {"mail: xoauth2 without a secret", "[mail]\nurl = smtps://smtp.gmail.com:465\nusername = sam@gmail.com\n"
                                       "auth = xoauth2\n",
     0, {{4, "auth = xoauth2 needs a password_command that prints an access token"}}, 0, 0},
    {"mail: xoauth2 without a username", "[mail]\nurl = smtps://smtp.gmail.com:465\nauth = XOAUTH2\n"
                                         "password_command = oama access sam\n",
     0, {{3, "auth = xoauth2 needs a username"}}, 0, 0},
    {"mail: plain without a secret", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\nauth = plain\n", 0,
     {{4, "auth = plain needs a password_command (or a password)"}}, 0, 0},
    {"mail: none with a username", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\nauth = none\n", 0,
     {{4, "auth = none: remove username, password_command and password"}}, 0, 0},
    {"mail: bad auth", "[mail]\nurl = smtps://smtp.example.com\nusername = sam\nauth = cram-md5\n", 0,
     {{4, "auth: \"cram-md5\" is not one of auto, plain, login, xoauth2, none"}}, 0, 0},
    {"mail: ca_file", "[mail]\nurl = smtps://smtp.example.com\nca_file = /nonexistent/ca.pem\n", 0,
     {{3, "ca_file: /nonexistent/ca.pem: No such file or directory"}}, 0, 0},
    {"mail: choices", "[mail]\nmethod = reply\nauto_schedule = maybe\non_conflict = ignore\n", 0,
     {{2, "method: \"reply\" is not one of publish, request"},
      {3, "auto_schedule: \"maybe\" is not one of plain, skip"},
      {4, "on_conflict: \"ignore\" is not one of hold, send"}},
     0, 0},
    {"mail: numbers", "[mail]\nmax_recipients = 0\nrate_per_hour = -1\n[account x]\nurl = https://x.example.com/\n", 0,
     {{2, "max_recipients: \"0\" is not a whole number from 1 to 1000"},
      {3, "rate_per_hour: \"-1\" is not a whole number from 0 to 100000"}},
     1, 0},
    {"mail: numbers too large", "[mail]\nmax_recipients = 1001\nrate_per_hour = 20/h\n", 0,
     {{2, "max_recipients: \"1001\""}, {3, "rate_per_hour: \"20/h\""}}, 0, 0},
    {"mail: allow_domains", "[mail]\nallow_domains = example.com, not_a_domain\n", 0,
     {{2, "allow_domains: \"not_a_domain\" is not a domain"}}, 0, 0},
    {"mail: allow_domains empty", "[mail]\nallow_domains = ,\n", 0,
     {{2, "allow_domains: names no domain (leave the line out for any)"}}, 0, 0},
    {"mail: recipient_zones", "[mail]\nrecipient_zones = ann@example.org Europe/Paris, bob@example.org\n", 0,
     {{2, "recipient_zones: \"bob@example.org\" is not ADDRESS ZONE or @DOMAIN ZONE"}}, 0, 0},
    {"mail: recipient_zones bad zone", "[mail]\nrecipient_zones = @example.org ../etc/passwd\n", 0,
     {{2, "recipient_zones: \"@example.org ../etc/passwd\""}}, 0, 0},
    {"problems in line order", "[account z]\nurl = ftp://z.example.com/\n[calendar nobody/x]\nbusy = 2\n"
                               "[check]\nbuffer = soon\n",
     0, {{2, "url:"}, {3, "there is no [account nobody]"}, {4, "busy:"}, {6, "buffer"}}, 0, 0},
};

static void test_problems(void) {
  g_autoptr(Tmp) t = tmp_new();
  for (guint r = 0; r < G_N_ELEMENTS(rows); r++) {
    const Row *row = &rows[r];
    gssize len = row->len ? (gssize)row->len : -1;
    g_autoptr(DiarydConfig) cfg = load_text(t, row->text, len, row->mode ? row->mode : 0600);
    g_autofree char *all = problems_text(cfg);
    guint n = 0;
    while (n < G_N_ELEMENTS(row->want) && row->want[n].has)
      n++;
    EXPECT(cfg->problems->len == n, "%s: %u problems, want %u:\n%s", row->name, cfg->problems->len, n, all);
    for (guint i = 0; i < n && i < cfg->problems->len; i++) {
      const ConfigProblem *p = g_ptr_array_index(cfg->problems, i);
      EXPECT(p->line == row->want[i].line, "%s: problem %u on line %d, want %d:\n%s", row->name, i, p->line,
             row->want[i].line, all);
      EXPECT(strstr(p->message, row->want[i].has), "%s: problem %u lacks \"%s\":\n%s", row->name, i,
             row->want[i].has, all);
      EXPECT(!strcmp(p->file, cfg->path), "%s: problem names %s", row->name, p->file);
    }
    EXPECT(!strstr(all, CANARY), "%s: the secret is in a message:\n%s", row->name, all);
    EXPECT(cfg->accounts->len == row->accounts, "%s: %u accounts, want %u", row->name, cfg->accounts->len,
           row->accounts);
    EXPECT(cfg->calendars->len == row->calendars, "%s: %u calendars, want %u", row->name, cfg->calendars->len,
           row->calendars);
  }
}

/* ---- a clean file, read back ------------------------------------------------------ */

static void test_clean(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autofree char *ca = tmp_write(t, "ca.pem", "-----BEGIN CERTIFICATE-----\n", -1, 0644);
  const char *text = "# diaryd\n"
                     "[check]\n"
                     "buffer = 15m \n"
                     "owner = sam@example.com\n"
                     "\n"
                     "[account work]\n"
                     "url = https://cloud.example.com/\n"
                     "username = sam\n"
                     "password_command = pass show \"cloud/sam one\"\n"
                     "calendars = Work,  Team ,\n"
                     "ca_file = ca.pem\n"
                     "\n"
                     "[account google]\n"
                     "url = https://apidata.googleusercontent.com/caldav/v2/\n"
                     "auth = oauth2\n"
                     "client_id = id.apps.googleusercontent.com\n"
                     "\n"
                     "[account local]\n"
                     "url = http://127.0.0.1:5232/\n"
                     "calendars = all\n"
                     "\n"
                     "[account digest]\n"
                     "url = https://dav.example.com/\n"
                     "username = sam\n"
                     "auth = DIGEST\n"
                     "password = p\\s" CANARY "  \n"
                     "\n"
                     "[calendar work/Team]\n"
                     "busy = Off\n"
                     "confirmations = yes\n"
                     "color = #36F\n"
                     "reminders = 1h, 10m,PT10M, 0\n"
                     "[calendar work/ /remote.php/dav/calendars/sam/personal/ ]\n"
                     "color = #3366FFcc\n"
                     "reminders = none\n";
  g_autofree char *path = tmp_write(t, "config", text, -1, 0600);
  CheckConfig check;
  check_config_init(&check, 0);
  g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, &check);
  g_autofree char *all = problems_text(cfg);
  EXPECT(cfg->problems->len == 0, "problems:\n%s", all);
  EXPECT(check.rules.buffer == 15 * 60, "buffer %" G_GINT64_FORMAT, check.rules.buffer);
  EXPECT(check_config_owners(&check) && !strcmp(check_config_owners(&check)[0], "sam@example.com"), "owner");
  check_config_clear(&check);
  g_assert_cmpuint(cfg->accounts->len, ==, 4);
  g_assert_cmpuint(cfg->calendars->len, ==, 2);

  const Account *w = diaryd_config_account(cfg, "work");
  g_assert_nonnull(w);
  EXPECT(w->line == 6, "work on line %d", w->line);
  EXPECT(!strcmp(w->url, "https://cloud.example.com/"), "url %s", w->url);
  EXPECT(!strcmp(w->username, "sam"), "username");
  EXPECT(w->auth == ACCOUNT_AUTH_BASIC, "auth %d", w->auth);
  EXPECT(g_strv_length(w->password_command) == 3 && !strcmp(w->password_command[2], "cloud/sam one"),
         "password_command");
  EXPECT(!w->password, "password");
  EXPECT(g_strv_length(w->calendars) == 2 && !strcmp(w->calendars[0], "Work") && !strcmp(w->calendars[1], "Team"),
         "calendars");
  g_autofree char *want_ca = g_canonicalize_filename(ca, NULL);
  EXPECT(w->ca_file && !strcmp(w->ca_file, want_ca), "ca_file %s, want %s", w->ca_file, want_ca);
  EXPECT(!w->client_id && !w->scope && !w->auth_url && !w->token_url, "oauth fields on a basic account");

  const Account *g = diaryd_config_account(cfg, "google");
  g_assert_nonnull(g);
  EXPECT(g->auth == ACCOUNT_AUTH_OAUTH2, "google auth");
  EXPECT(!strcmp(g->client_id, "id.apps.googleusercontent.com") && !g->client_secret, "client");
  EXPECT(!strcmp(g->scope, OAUTH_GOOGLE_SCOPE) && !strcmp(g->auth_url, OAUTH_GOOGLE_AUTH_URL) &&
             !strcmp(g->token_url, OAUTH_GOOGLE_TOKEN_URL),
         "google defaults");

  const Account *l = diaryd_config_account(cfg, "local");
  g_assert_nonnull(l);
  EXPECT(l->auth == ACCOUNT_AUTH_NONE && !l->username && !l->calendars, "local");

  const Account *d = diaryd_config_account(cfg, "digest");
  g_assert_nonnull(d);
  EXPECT(d->auth == ACCOUNT_AUTH_DIGEST, "digest auth");
  /* A password is the value GKeyFile gives, escapes decoded, nothing stripped. */
  EXPECT(d->password && !strcmp(d->password, "p " CANARY "  "), "password");
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = account_secret(d, &error);
  g_assert_no_error(error);
  EXPECT(secret && !strcmp(secret, d->password), "account_secret of a password");
  EXPECT(!diaryd_config_account(cfg, "nobody"), "unknown account");

  const CalendarSettings *c = g_ptr_array_index(cfg->calendars, 0);
  EXPECT(!strcmp(c->account, "work") && !strcmp(c->calendar, "Team") && c->line == 28, "calendar 0");
  EXPECT(c->busy == 0 && c->confirmations == 1, "booleans %d %d", c->busy, c->confirmations);
  EXPECT(!strcmp(c->color, "#3366ff"), "color %s", c->color);
  EXPECT(c->reminders && c->reminders->len == 3 && g_array_index(c->reminders, gint64, 0) == 0 &&
             g_array_index(c->reminders, gint64, 1) == 600 && g_array_index(c->reminders, gint64, 2) == 3600,
         "reminders sorted, without duplicates");
  c = g_ptr_array_index(cfg->calendars, 1);
  EXPECT(!strcmp(c->calendar, "/remote.php/dav/calendars/sam/personal/"), "calendar path %s", c->calendar);
  EXPECT(c->busy == -1 && c->confirmations == -1, "unset booleans");
  EXPECT(!strcmp(c->color, "#3366ff"), "#rrggbbaa -> #rrggbb: %s", c->color);
  EXPECT(c->reminders && c->reminders->len == 0, "reminders = none");
}

/* ---- the file's mode decides about `password` -------------------------------------- */

static void test_password_mode(void) {
  g_autoptr(Tmp) t = tmp_new();
  const char *text = "[account work]\nurl = https://x.example.com/\nusername = sam\n\npassword = " CANARY "\n";
  const int modes[] = {0644, 0640, 0604, 0440, 0404}; /* readable by others, writable by the owner alone */
  for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    g_autofree char *path = tmp_write(t, "config", text, -1, modes[i]);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *all = problems_text(cfg);
    g_autofree char *want = g_strdup_printf("%s contains a password and is readable by others: chmod 600 %s", path,
                                            path);
    EXPECT(cfg->problems->len == 1, "mode %o: problems:\n%s", modes[i], all);
    const ConfigProblem *p = cfg->problems->len ? g_ptr_array_index(cfg->problems, 0) : NULL;
    EXPECT(p && p->line == 5 && !strcmp(p->message, want), "mode %o:\n%s", modes[i], all);
    EXPECT(!strstr(all, CANARY), "mode %o: the secret is in a message", modes[i]);
    EXPECT(cfg->accounts->len == 0, "mode %o: the account is kept", modes[i]);
    g_autofree char *formatted = p ? config_problem_format(p) : NULL;
    g_autofree char *want_line = g_strdup_printf("%s:5: %s", path, want);
    EXPECT(formatted && !strcmp(formatted, want_line), "format: %s", formatted);
  }
  for (int mode = 0400; mode <= 0700; mode += 0100) {
    g_autofree char *path = tmp_write(t, "config", text, -1, 0600);
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *all = problems_text(cfg);
    EXPECT(cfg->problems->len == 0, "mode %o: problems:\n%s", mode, all);
    EXPECT(cfg->accounts->len == 1, "mode %o: no account", mode);
    g_assert_cmpint(g_chmod(path, 0600), ==, 0);
  }
}

/* ---- who may change the file: ssh's rule, password or not ------------------------------ */

/* The one problem of a file refused unread: at line 0, naming the file and
 * the fix, no account kept, nothing of its text in the message. */
static void expect_refused(const DiarydConfig *cfg, const char *what, const char *has, const char *fix) {
  g_autofree char *all = problems_text(cfg);
  EXPECT(cfg->problems->len == 1, "%s: problems:\n%s", what, all);
  const ConfigProblem *p = cfg->problems->len ? g_ptr_array_index(cfg->problems, 0) : NULL;
  EXPECT(p && p->line == 0 && strstr(p->message, has), "%s: \"%s\" lacks \"%s\"", what, p ? p->message : "", has);
  EXPECT(p && g_str_has_suffix(p->message, fix), "%s: \"%s\" does not end in \"%s\"", what, p ? p->message : "",
         fix);
  g_autofree char *line = p ? config_problem_format(p) : NULL;
  EXPECT(line && g_str_has_prefix(line, cfg->path) && line[strlen(cfg->path)] == ':', "%s: %s", what, line);
  EXPECT(!strstr(all, CANARY), "%s: the secret is in a message", what);
  EXPECT(cfg->accounts->len == 0 && cfg->mail.password_command == NULL, "%s: an account or [mail] was read", what);
}

static void test_writable(void) {
  g_autoptr(Tmp) t = tmp_new();
  /* No password at all: a password_command is as good as one to whoever can change it. */
  const char *text = "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                     "password_command = printf " CANARY "\n"
                     "[mail]\nurl = smtps://smtp.example.com\nusername = sam\npassword_command = printf " CANARY "\n";
  static const struct {
    int mode;
    const char *has;
  } modes[] = {
      {0620, "writable by group (mode 0620)"},          {0602, "writable by others (mode 0602)"},
      {0622, "writable by group and others (mode 0622)"}, {0664, "writable by group (mode 0664)"},
      {0666, "writable by group and others (mode 0666)"}, {0777, "writable by group and others (mode 0777)"},
      {0460, "writable by group (mode 0460)"},          {0620 | S_ISVTX, "writable by group (mode 1620)"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    g_autofree char *path = tmp_write(t, "config", text, -1, modes[i].mode);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *what = g_strdup_printf("mode %o", modes[i].mode);
    g_autofree char *fix = g_strdup_printf("chmod go-w %s", path);
    expect_refused(cfg, what, modes[i].has, fix);
    g_assert_cmpint(g_chmod(path, 0600), ==, 0);
  }
  /* Readable by all but writable by its owner alone: fine without a password. */
  const int fine[] = {0644, 0444, 0600, 0400, 0755};
  for (guint i = 0; i < G_N_ELEMENTS(fine); i++) {
    g_autofree char *path = tmp_write(t, "config", text, -1, fine[i]);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *all = problems_text(cfg);
    EXPECT(cfg->problems->len == 0 && cfg->accounts->len == 1, "mode %o: problems:\n%s", fine[i], all);
  }

  /* Its folder: writable by others lets them replace the file, unless sticky (/tmp). */
  g_autofree char *sub = g_build_filename(t->dir, "shared", NULL);
  g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
  g_autofree char *path = g_build_filename(sub, "config", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_assert_cmpint(g_chmod(path, 0600), ==, 0);
  const int bad_dirs[] = {0770, 0707, 0777, 0730};
  for (guint i = 0; i < G_N_ELEMENTS(bad_dirs); i++) {
    g_assert_cmpint(g_chmod(sub, bad_dirs[i]), ==, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *what = g_strdup_printf("folder mode %o", bad_dirs[i]);
    g_autofree char *has = g_strdup_printf("its folder %s is writable by", sub);
    g_autofree char *fix = g_strdup_printf("chmod go-w %s", sub);
    expect_refused(cfg, what, has, fix);
  }
  const int fine_dirs[] = {0700, 0755, 01777, 01770};
  for (guint i = 0; i < G_N_ELEMENTS(fine_dirs); i++) {
    g_assert_cmpint(g_chmod(sub, fine_dirs[i]), ==, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    g_autofree char *all = problems_text(cfg);
    EXPECT(cfg->problems->len == 0 && cfg->accounts->len == 1, "folder mode %o: problems:\n%s", fine_dirs[i], all);
  }
  g_assert_cmpint(g_chmod(sub, 0700), ==, 0);

  /* Another user's file: they can change it whatever its mode (root's is fine).
   * Only root can give a file away, so only then is this tested. */
  if (geteuid() == 0) {
    g_assert_cmpint(chown(path, 65534, 65534), ==, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
    expect_refused(cfg, "owned by uid 65534", "belongs to another user (uid 65534)", "or chown it");
    g_assert_cmpint(chown(path, 0, 0), ==, 0);
    g_autoptr(DiarydConfig) root = diaryd_config_load(path, TRUE, NULL);
    EXPECT(root->problems->len == 0, "owned by root: refused");
  } else {
    g_test_message("not root: a file of another user is not tested");
  }
  g_remove(path);
  g_rmdir(sub);

  /* A ca_file others can change: not a secret, but it decides whom the password goes to. */
  g_autofree char *ca = tmp_write(t, "ca.pem", "-----BEGIN CERTIFICATE-----\n", -1, 0664);
  g_autofree char *with_ca = g_strdup_printf("[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                             "password_command = pass x\nca_file = %s\n",
                                             ca);
  g_autofree char *cpath = tmp_write(t, "config", with_ca, -1, 0600);
  g_autoptr(DiarydConfig) cfg = diaryd_config_load(cpath, TRUE, NULL);
  g_autofree char *all = problems_text(cfg);
  g_autofree char *want =
      g_strdup_printf("ca_file: %s is writable by group (mode 0664): whoever can change it can pose as the server "
                      "and be sent the password: chmod go-w %s",
                      ca, ca);
  const ConfigProblem *p = cfg->problems->len == 1 ? g_ptr_array_index(cfg->problems, 0) : NULL;
  EXPECT(p && p->line == 5 && !strcmp(p->message, want), "ca_file 0664: problems:\n%s", all);
  EXPECT(cfg->accounts->len == 0, "ca_file 0664: the account is kept");
  g_assert_cmpint(g_chmod(ca, 0644), ==, 0);
  g_autoptr(DiarydConfig) ok = diaryd_config_load(cpath, TRUE, NULL);
  EXPECT(ok->problems->len == 0 && ok->accounts->len == 1, "ca_file 0644: refused");
}

/* ---- files as a whole -------------------------------------------------------------- */

static void test_files(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autofree char *missing = g_build_filename(t->dir, "no-such-config", NULL);

  g_autoptr(DiarydConfig) named = diaryd_config_load(missing, TRUE, NULL);
  EXPECT(named->problems->len == 1 && named->path && !strcmp(named->path, missing), "explicit missing file");
  if (named->problems->len) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(named->problems, 0));
    g_autofree char *want = g_strdup_printf("%s: cannot open: No such file or directory", missing);
    EXPECT(!strcmp(line, want), "%s", line);
  }
  g_autoptr(DiarydConfig) quiet = diaryd_config_load(missing, FALSE, NULL);
  EXPECT(quiet->problems->len == 0 && !quiet->path && quiet->accounts->len == 0, "default missing file");

  g_autoptr(DiarydConfig) dir = diaryd_config_load(t->dir, TRUE, NULL);
  EXPECT(dir->problems->len == 1 && strstr(((ConfigProblem *)g_ptr_array_index(dir->problems, 0))->message,
                                            "not a regular file"),
         "a folder");

  /* Just over 1 MB of comments: refused unread. */
  gsize big_len = 1024 * 1024 + 1;
  g_autofree char *big = g_malloc(big_len);
  memset(big, '#', big_len);
  big[big_len - 1] = '\n';
  g_autofree char *big_path = tmp_write(t, "big", big, (gssize)big_len, 0600);
  g_autoptr(DiarydConfig) huge = diaryd_config_load(big_path, TRUE, NULL);
  EXPECT(huge->problems->len == 1, "big file");
  if (huge->problems->len) {
    const ConfigProblem *p = g_ptr_array_index(huge->problems, 0);
    EXPECT(p->line == 0 && strstr(p->message, "larger than 1 MB"), "%s", p->message);
  }
  /* Exactly 1 MB is fine. */
  g_autofree char *fits_path = tmp_write(t, "fits", big, (gssize)big_len - 1, 0600);
  g_autoptr(DiarydConfig) fits = diaryd_config_load(fits_path, TRUE, NULL);
  g_autofree char *fits_all = problems_text(fits);
  EXPECT(fits->problems->len == 0, "1 MB file:\n%s", fits_all);

  /* The default path, from XDG_CONFIG_HOME. */
  g_autofree char *def = diaryd_config_default_path();
  g_autofree char *want = g_build_filename(g_get_user_config_dir(), "diaryd", "config", NULL);
  EXPECT(!strcmp(def, want), "default path %s", def);
}

/* config_load_check() reads the [check] section of the same files. */
static void test_load_check(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autofree char *good = tmp_write(t, "good", OK_ACCOUNT "[check]\nbuffer = 20m\nowner = a@x.org\n", -1, 0644);
  CheckConfig check;
  check_config_init(&check, 0);
  g_autoptr(GError) error = NULL;
  EXPECT(config_load_check(&check, good, &error), "load: %s", error ? error->message : "");
  EXPECT(check.rules.buffer == 20 * 60, "buffer");
  check_config_clear(&check);

  g_autofree char *bad = tmp_write(t, "bad", "[check]\nbuffer = soon\nbufer = 1\n", -1, 0644);
  check_config_init(&check, 0);
  g_clear_error(&error);
  EXPECT(!config_load_check(&check, bad, &error), "bad value accepted");
  g_autofree char *want = g_strdup_printf("%s: [check] buffer: \"soon\" is not valid", bad);
  EXPECT(error && g_str_has_prefix(error->message, want), "message: %s", error ? error->message : "");
  check_config_clear(&check);
}

/* ---- the shipped example ------------------------------------------------------------ */

/* Example lines are "#key = value" and "#[section]"; explanations are
 * "# text".  Switching the examples on must give a clean file. */
static char *uncomment_examples(const char *text) {
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++)
    if ((*l)[0] == '#' && (g_ascii_islower((*l)[1]) || (*l)[1] == '['))
      memmove(*l, *l + 1, strlen(*l));
  return g_strjoinv("\n", lines);
}

static void test_example(void) {
  g_autoptr(DiarydConfig) as_is = diaryd_config_load(EXAMPLE, TRUE, NULL);
  g_autofree char *all = problems_text(as_is);
  EXPECT(as_is->problems->len == 0 && as_is->accounts->len == 0, "the example as shipped:\n%s", all);
  EXPECT(as_is->mail.line == 0 && as_is->mail.transport == MAIL_TRANSPORT_MAILDIR, "as shipped, nothing is sent");

  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_file_get_contents(EXAMPLE, &text, NULL, &error);
  g_assert_no_error(error);
  g_autofree char *on = uncomment_examples(text);
  g_autoptr(Tmp) t = tmp_new();
  const int modes[] = {0600, 0644};
  for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    g_autofree char *path = tmp_write(t, "config", on, -1, modes[i]);
    CheckConfig check;
    check_config_init(&check, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, &check);
    g_autofree char *listed = problems_text(cfg);
    EXPECT(cfg->problems->len == 0, "mode %o: the example with its examples on:\n%s", modes[i], listed);
    EXPECT(check.tz && !strcmp(check.tz, "Europe/London"), "the [check] examples were not read");
    check_config_clear(&check);
    const char *names[] = {"nextcloud", "google", "fastmail", "icloud", "radicale"};
    EXPECT(cfg->accounts->len == G_N_ELEMENTS(names), "%u accounts", cfg->accounts->len);
    for (guint n = 0; n < G_N_ELEMENTS(names); n++)
      EXPECT(diaryd_config_account(cfg, names[n]), "no account %s", names[n]);
    EXPECT(cfg->calendars->len == 2, "%u calendars", cfg->calendars->len);
    const Account *g = diaryd_config_account(cfg, "google");
    EXPECT(g && g->auth == ACCOUNT_AUTH_OAUTH2 && g->client_id && g->client_secret, "google account");
    const Account *r = diaryd_config_account(cfg, "radicale");
    EXPECT(r && g_strv_length(r->password_command) == 3, "radicale password_command");
    const MailSettings *m = &cfg->mail;
    EXPECT(m->line > 0 && !m->bad && m->transport == MAIL_TRANSPORT_SMTP && m->auth == MAIL_AUTH_AUTO &&
               !g_strcmp0(m->url, "smtps://smtp.fastmail.com:465") && !g_strcmp0(m->from, "sam@example.com") &&
               !g_strcmp0(m->from_name, "Sam Carter") && m->allow_domains,
           "the [mail] example");
    const CalendarSettings *team = g_ptr_array_index(cfg->calendars, 0);
    EXPECT(calendar_settings_confirm(team), "the [calendar] example has confirm = yes");
  }
}

/* ---- [mail] ------------------------------------------------------------------------- */

static void test_mail_defaults(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autoptr(DiarydConfig) cfg = load_text(t, OK_ACCOUNT, -1, 0600);
  const MailSettings *m = &cfg->mail;
  g_assert_cmpuint(cfg->problems->len, ==, 0);
  EXPECT(m->line == 0 && !m->bad, "line %d bad %d", m->line, m->bad);
  EXPECT(m->transport == MAIL_TRANSPORT_MAILDIR, "transport %d", m->transport);
  EXPECT(m->auth == MAIL_AUTH_NONE, "auth %d", m->auth);
  g_autofree char *maildir = g_build_filename(g_get_user_data_dir(), "diaryd", "mail", NULL);
  g_autofree char *templates = g_build_filename(g_get_user_config_dir(), "diaryd", "templates", NULL);
  EXPECT(!g_strcmp0(m->maildir, maildir), "maildir %s", m->maildir);
  EXPECT(!g_strcmp0(m->templates, templates), "templates %s", m->templates);
  EXPECT(!m->from && !m->from_name && !m->url && !m->username && !m->password_command && !m->password &&
             !m->ca_file && !m->sendmail && !m->allow_domains && !m->reply_to,
         "unset fields");
  EXPECT(!m->method_request && !m->auto_schedule_skip && m->hold_on_conflict, "publish, plain, hold");
  EXPECT(m->max_recipients == 20 && m->rate_per_hour == 100, "max %u rate %u", m->max_recipients, m->rate_per_hour);
  EXPECT(mail_settings_domain_allowed(m, "anyone@anywhere.example"), "any domain without allow_domains");

  /* An empty [mail] is the same, with its line. */
  g_autoptr(DiarydConfig) empty = load_text(t, "# x\n[mail]\n", -1, 0600);
  EXPECT(empty->problems->len == 0 && empty->mail.line == 2 && empty->mail.transport == MAIL_TRANSPORT_MAILDIR,
         "empty [mail]");

  /* Confirmations: only with confirm = yes (or the older confirmations = yes). */
  g_autoptr(DiarydConfig) cals = load_text(t,
                                           OK_ACCOUNT "[calendar ok/A]\nconfirm = yes\n[calendar ok/B]\nbusy = no\n"
                                                      "[calendar ok/C]\nconfirmations = on\n[calendar ok/D]\nconfirm = no\n",
                                           -1, 0600);
  g_assert_cmpuint(cals->problems->len, ==, 0);
  g_assert_cmpuint(cals->calendars->len, ==, 4);
  const gboolean want[] = {TRUE, FALSE, TRUE, FALSE};
  for (guint i = 0; i < 4; i++) {
    const CalendarSettings *c = g_ptr_array_index(cals->calendars, i);
    EXPECT(calendar_settings_confirm(c) == want[i], "calendar %s: confirm %d", c->calendar, c->confirmations);
  }
  EXPECT(!calendar_settings_confirm(NULL), "no settings: no confirmations");
}

static void test_mail_clean(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autofree char *ca = tmp_write(t, "ca.pem", "-----BEGIN CERTIFICATE-----\n", -1, 0644);
  const char *text = "[mail]\n"
                     "from = \"Carter, Sam (Office)\" <Sam.Carter@Example.COM>\n"
                     "url = smtp://mail.example.com:587/\n"
                     "username = sam\n"
                     "password_command = pass show \"mail/sam one\"\n"
                     "auth = LOGIN\n"
                     "ca_file = ca.pem\n"
                     "sendmail = msmtp -a work\n"
                     "transport = smtp\n"
                     "maildir = ~/Mail/diaryd\n"
                     "templates = tpl\n"
                     "method = Request\n"
                     "auto_schedule = skip\n"
                     "on_conflict = send\n"
                     "max_recipients = 1000\n"
                     "allow_domains = Example.COM, , example.org\n"
                     "rate_per_hour = 0\n"
                     "reply_to = Office@Example.com\n"
                     "recipient_zones = Ann@Example.org America/New_York, @example.jp Asia/Tokyo\n";
  g_autofree char *path = tmp_write(t, "config", text, -1, 0644);
  g_autoptr(DiarydConfig) cfg = diaryd_config_load(path, TRUE, NULL);
  g_autofree char *all = problems_text(cfg);
  EXPECT(cfg->problems->len == 0, "problems:\n%s", all);
  const MailSettings *m = &cfg->mail;
  EXPECT(m->line == 1 && !m->bad, "line %d bad %d", m->line, m->bad);
  EXPECT(!g_strcmp0(m->from_name, "Carter, Sam (Office)"), "from_name %s", m->from_name);
  EXPECT(!g_strcmp0(m->from, "sam.carter@example.com"), "from %s", m->from);
  EXPECT(m->transport == MAIL_TRANSPORT_SMTP, "transport %d", m->transport);
  EXPECT(!g_strcmp0(m->url, "smtp://mail.example.com:587/"), "url %s", m->url);
  EXPECT(!g_strcmp0(m->username, "sam"), "username");
  EXPECT(g_strv_length(m->password_command) == 3 && !strcmp(m->password_command[2], "mail/sam one"),
         "password_command");
  EXPECT(!m->password && m->auth == MAIL_AUTH_LOGIN, "auth %d", m->auth);
  g_autofree char *want_ca = g_canonicalize_filename(ca, NULL);
  EXPECT(!g_strcmp0(m->ca_file, want_ca), "ca_file %s", m->ca_file);
  EXPECT(g_strv_length(m->sendmail) == 3 && !strcmp(m->sendmail[0], "msmtp"), "sendmail");
  g_autofree char *maildir = g_build_filename(g_get_home_dir(), "Mail", "diaryd", NULL);
  EXPECT(!g_strcmp0(m->maildir, maildir), "maildir %s", m->maildir);
  g_autofree char *tpl = g_build_filename(t->dir, "tpl", NULL);
  g_autofree char *want_tpl = g_canonicalize_filename(tpl, NULL);
  g_autofree char *got_tpl = g_canonicalize_filename(m->templates, NULL);
  EXPECT(!g_strcmp0(got_tpl, want_tpl), "templates %s, want %s", m->templates, want_tpl);
  EXPECT(m->method_request && m->auto_schedule_skip && !m->hold_on_conflict, "request, skip, send");
  EXPECT(m->max_recipients == 1000 && m->rate_per_hour == 0, "max %u rate %u", m->max_recipients, m->rate_per_hour);
  EXPECT(g_strv_length(m->allow_domains) == 2 && !strcmp(m->allow_domains[0], "example.com") &&
             !strcmp(m->allow_domains[1], "example.org"),
         "allow_domains");
  EXPECT(mail_settings_domain_allowed(m, "bob@EXAMPLE.org") && !mail_settings_domain_allowed(m, "bob@example.net") &&
             !mail_settings_domain_allowed(m, "bob@sub.example.com"),
         "allow_domains matching");
  EXPECT(!g_strcmp0(m->reply_to, "office@example.com"), "reply_to %s", m->reply_to);
  EXPECT(!g_strcmp0(mail_settings_recipient_zone(m, "ann@example.org"), "America/New_York") &&
             !g_strcmp0(mail_settings_recipient_zone(m, "kei@EXAMPLE.jp"), "Asia/Tokyo") &&
             !mail_settings_recipient_zone(m, "bob@example.org"),
         "recipient_zones");

  /* What the transport and auth are when left out. */
  struct {
    const char *text;
    MailTransportKind transport;
    MailAuth auth;
    const char *from, *from_name;
  } cases[] = {
      {"[mail]\nurl = smtps://smtp.fastmail.com:465\nusername = sam@fastmail.com\npassword_command = pass x\n",
       MAIL_TRANSPORT_SMTP, MAIL_AUTH_AUTO, NULL, NULL},
      {"[mail]\nurl = smtp://127.0.0.1:2525\n", MAIL_TRANSPORT_SMTP, MAIL_AUTH_NONE, NULL, NULL},
      {"[mail]\nsendmail = msmtp -a work\nfrom = SAM@example.com\n", MAIL_TRANSPORT_SENDMAIL, MAIL_AUTH_NONE,
       "sam@example.com", NULL},
      {"[mail]\nfrom = Sam Carter <sam@example.com>\n", MAIL_TRANSPORT_MAILDIR, MAIL_AUTH_NONE, "sam@example.com",
       "Sam Carter"},
      {"[mail]\nfrom = <sam@example.com>\n", MAIL_TRANSPORT_MAILDIR, MAIL_AUTH_NONE, "sam@example.com", NULL},
      {"[mail]\nfrom = Zoë Ångström <zoe@example.com>\n", MAIL_TRANSPORT_MAILDIR, MAIL_AUTH_NONE, "zoe@example.com",
       "Zoë Ångström"},
      {"[mail]\ntransport = maildir\nurl = smtps://smtp.example.com\nsendmail = msmtp\n", MAIL_TRANSPORT_MAILDIR,
       MAIL_AUTH_NONE, NULL, NULL},
      {"[mail]\nurl = smtps://smtp.gmail.com:465\nusername = sam@gmail.com\nauth = xoauth2\n"
       "password_command = oama access sam@gmail.com\n",
       MAIL_TRANSPORT_SMTP, MAIL_AUTH_XOAUTH2, NULL, NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(DiarydConfig) c = load_text(t, cases[i].text, -1, 0600);
    g_autofree char *listed = problems_text(c);
    EXPECT(c->problems->len == 0 && !c->mail.bad, "case %u: problems:\n%s", i, listed);
    EXPECT(c->mail.transport == cases[i].transport, "case %u: transport %d", i, c->mail.transport);
    EXPECT(c->mail.auth == cases[i].auth, "case %u: auth %d", i, c->mail.auth);
    EXPECT(!g_strcmp0(c->mail.from, cases[i].from), "case %u: from %s", i, c->mail.from);
    EXPECT(!g_strcmp0(c->mail.from_name, cases[i].from_name), "case %u: from_name %s", i, c->mail.from_name);
  }

  /* A section with a problem is marked, so that nothing is sent with it. */
  g_autoptr(DiarydConfig) bad = load_text(t, "[mail]\nurl = smtps://smtp.example.com\nmethod = maybe\n", -1, 0600);
  EXPECT(bad->problems->len == 1 && bad->mail.bad, "a bad [mail]: %u problems, bad %d", bad->problems->len,
         bad->mail.bad);
  /* A password in a private file is read as written. */
  g_autoptr(DiarydConfig) pw =
      load_text(t, "[mail]\nurl = smtps://smtp.example.com\nusername = sam\npassword = " CANARY " \n", -1, 0600);
  EXPECT(pw->problems->len == 0 && !g_strcmp0(pw->mail.password, CANARY " "), "mail password");
  EXPECT(!strcmp(mail_transport_kind_name(MAIL_TRANSPORT_SENDMAIL), "sendmail") &&
             !strcmp(mail_auth_name(MAIL_AUTH_XOAUTH2), "xoauth2"),
         "names");
}

/* The [mail] password_command goes through the accounts' runner, with
 * "[mail]" in its messages. */
static void test_mail_secret(void) {
  char *fail[] = {"sh", "-c", "printf " CANARY "; exit 2", NULL};
  g_autoptr(GError) error = NULL;
  g_autofree char *none = config_secret("[mail]", fail, NULL, &error);
  EXPECT(!none && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_FAILED), "exit 2");
  EXPECT(error && !strcmp(error->message, "[mail]: password_command \"sh\" exited with status 2"), "message %s",
         error ? error->message : "");
  g_clear_error(&error);
  char *ok[] = {"printf", "tok\\r\\n", NULL};
  g_autofree char *token = config_secret("[mail]", ok, "ignored", &error);
  EXPECT(token && !strcmp(token, "tok"), "token %s", token);
  g_autofree char *pw = config_secret("[mail]", NULL, CANARY, &error);
  EXPECT(pw && !strcmp(pw, CANARY), "password");
  g_autofree char *nothing = config_secret("[mail]", NULL, NULL, &error);
  EXPECT(!nothing && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) &&
             !strcmp(error->message, "[mail] has no password_command or password"),
         "no secret: %s", error ? error->message : "");
}

/* ---- which calendars ----------------------------------------------------------------- */

static void test_matching(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autoptr(DiarydConfig) cfg =
      load_text(t,
                "[account work]\nurl = https://cloud.example.com/\n"
                "calendars = Work, /remote.php/dav/calendars/sam/team-1/, personal, f%C3%BCr\n"
                "[account all]\nurl = https://dav.example.com/\n"
                "[calendar work/Work]\ncolor = #111\n"
                "[calendar work/calendars/sam/team-1]\ncolor = #222\n"
                "[calendar work/personal]\ncolor = #333\n"
                "[calendar all/Work]\ncolor = #444\n",
                -1, 0600);
  g_autofree char *all = problems_text(cfg);
  g_assert_cmpuint(cfg->problems->len, ==, 0);
  const Account *w = diaryd_config_account(cfg, "work"), *a = diaryd_config_account(cfg, "all");
  g_assert_nonnull(w);
  g_assert_nonnull(a);
  const char *base = "https://cloud.example.com/remote.php/dav/calendars/sam/";
  g_autofree char *work = g_strconcat(base, "work/", NULL), *team = g_strconcat(base, "team-1/", NULL),
                  *team10 = g_strconcat(base, "xteam-1/", NULL), *personal = g_strconcat(base, "personal/", NULL),
                  *fuer = g_strconcat(base, "f%C3%BCr/", NULL), *other = g_strconcat(base, "other/", NULL);
  struct {
    const char *name, *url;
    gboolean wanted;
    const char *color; /* of the settings found, NULL for none */
  } cases[] = {
      {"WORK", work, TRUE, "#111111"},                                /* display name, any case */
      {"Team", team, TRUE, "#222222"},                                /* by path */
      {"Team", "/remote.php/dav/calendars/sam/team-1", TRUE, "#222222"}, /* an href without a slash */
      {"Team", team10, FALSE, NULL},                                  /* whole segments only */
      {"My things", personal, TRUE, "#333333"},                       /* last segment */
      {"Für", fuer, TRUE, NULL},                                      /* percent-decoded */
      {"Other", other, FALSE, NULL},
      {NULL, personal, TRUE, "#333333"},                              /* no display name */
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    EXPECT(account_wants_calendar(w, cases[i].name, cases[i].url) == cases[i].wanted, "wants %s %s",
           cases[i].name, cases[i].url);
    const CalendarSettings *c = diaryd_config_calendar(cfg, "work", cases[i].name, cases[i].url);
    EXPECT(cases[i].color ? c && !strcmp(c->color, cases[i].color) : !c, "settings for %s %s: %s", cases[i].name,
           cases[i].url, c ? c->color : "none");
    EXPECT(account_wants_calendar(a, cases[i].name, cases[i].url), "calendars absent: all wanted");
  }
  const CalendarSettings *c = diaryd_config_calendar(cfg, "all", "work", "https://dav.example.com/cal/w/");
  EXPECT(c && !strcmp(c->color, "#444444"), "settings are per account");
  EXPECT(!diaryd_config_calendar(cfg, "nobody", "Work", work), "unknown account");
  (void)all;
}

/* ---- password_command ------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *argv[6];
  const char *secret;  /* NULL: an error */
  GIOErrorEnum code;
  const char *has;     /* in the error message */
} SecretRow;

static const SecretRow secret_rows[] = {
    {"LF", {"printf", "pw\\n"}, "pw", 0, NULL},
    {"CRLF", {"printf", "pw\\r\\n"}, "pw", 0, NULL},
    {"one newline of two", {"printf", "pw\\n\\n"}, "pw\n", 0, NULL},
    {"no newline", {"printf", "pw"}, "pw", 0, NULL},
    {"only CR kept", {"printf", "pw\\r"}, "pw\r", 0, NULL},
    {"blanks kept", {"printf", " pw \\n"}, " pw ", 0, NULL},
    {"stdin is /dev/null", {"sh", "-c", "cat; printf pw"}, "pw", 0, NULL},
    {"exactly 4 KB", {"sh", "-c", "yes x | head -c 4096"}, NULL, 0, NULL}, /* checked below */
    {"4 KB without a newline", {"sh", "-c", "yes x | tr -d '\\n' | head -c 4096"}, NULL, 0, NULL}, /* below */
    {"CRLF of two", {"printf", "pw\\r\\n\\r\\n"}, "pw\r\n", 0, NULL},
    {"LF then CRLF", {"printf", "pw\\n\\r\\n"}, "pw\n", 0, NULL},
    {"only a newline", {"printf", "\\n"}, NULL, G_IO_ERROR_INVALID_DATA, "printed no password"},
    {"inner newline kept", {"printf", "p\\nw\\n"}, "p\nw", 0, NULL},
    {"exit 1", {"sh", "-c", "printf " CANARY "; exit 1"}, NULL, G_IO_ERROR_FAILED,
     "account 'work': password_command \"sh\" exited with status 1"},
    {"exit 3 after stderr",
     {"sh", "-c", "echo '# (a password_command writing to stderr)' >&2; printf " CANARY "; exit 3"},
     NULL,
     G_IO_ERROR_FAILED,
     "exited with status 3"},
    {"signal", {"sh", "-c", "printf " CANARY "; kill -TERM $$"}, NULL, G_IO_ERROR_FAILED,
     "account 'work': password_command \"sh\" was killed by signal 15"},
    {"prints nothing", {"true"}, NULL, G_IO_ERROR_INVALID_DATA,
     "account 'work': password_command \"true\" printed no password"},
    {"prints an empty line", {"printf", "\\r\\n"}, NULL, G_IO_ERROR_INVALID_DATA, "printed no password"},
    {"NUL byte", {"printf", CANARY "\\0x"}, NULL, G_IO_ERROR_INVALID_DATA, "printed a NUL byte"},
    {"4 KB and one byte", {"sh", "-c", "yes " CANARY " | head -c 4097"}, NULL, G_IO_ERROR_MESSAGE_TOO_LARGE,
     "printed more than 4 KB"},
    {"10 MB", {"sh", "-c", "yes " CANARY " | head -c 10485760"}, NULL, G_IO_ERROR_MESSAGE_TOO_LARGE,
     "account 'work': password_command \"sh\" printed more than 4 KB"},
    {"not found", {"diaryd-no-such-command-" CANARY}, NULL, G_IO_ERROR_NOT_FOUND,
     "account 'work': password_command \"diaryd-no-such-command-"},
    {"not executable", {"/etc/passwd"}, NULL, G_IO_ERROR_FAILED, "could not be run"},
};

static void test_secret(void) {
  for (guint i = 0; i < G_N_ELEMENTS(secret_rows); i++) {
    const SecretRow *row = &secret_rows[i];
    Account a = {.name = "work", .password_command = (char **)row->argv, .password = CANARY};
    g_autoptr(GError) error = NULL;
    g_autofree char *secret = account_secret(&a, &error);
    if (!strcmp(row->name, "exactly 4 KB")) {
      EXPECT(secret && strlen(secret) == 4095, "%s: %s", row->name, error ? error->message : "wrong length");
      continue;
    }
    if (!strcmp(row->name, "4 KB without a newline")) {
      EXPECT(secret && strlen(secret) == 4096, "%s: %s", row->name, error ? error->message : "wrong length");
      continue;
    }
    if (row->secret) {
      EXPECT(secret && !strcmp(secret, row->secret), "%s: %s", row->name, error ? error->message : "wrong secret");
      continue;
    }
    EXPECT(!secret, "%s: a secret", row->name);
    EXPECT(error && error->domain == G_IO_ERROR && error->code == (int)row->code, "%s: error %s %d", row->name,
           error ? g_quark_to_string(error->domain) : "none", error ? error->code : -1);
    if (!error)
      continue;
    EXPECT(strstr(error->message, row->has), "%s: message \"%s\" lacks \"%s\"", row->name, error->message, row->has);
    if (strcmp(row->name, "not found")) /* there the command's name is the canary */
      EXPECT(!strstr(error->message, CANARY), "%s: the output is in the message: %s", row->name, error->message);
  }
}

static void test_secret_timeout(void) {
  g_setenv("DIARYD_PASSWORD_COMMAND_TIMEOUT", "1", TRUE);
  const char *const commands[][4] = {
      {"sleep", "30"},
      /* Prints, then hangs; its child keeps the pipe open after it dies. */
      {"sh", "-c", "printf " CANARY "; sleep 4; echo"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
    Account a = {.name = "work", .password_command = (char **)commands[i]};
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    g_autofree char *secret = account_secret(&a, &error);
    double took = (g_get_monotonic_time() - start) / 1e6;
    EXPECT(!secret, "%s: a secret", commands[i][0]);
    EXPECT(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT), "%s: %s", commands[i][0],
           error ? error->message : "no error");
    EXPECT(took >= 0.9 && took < 2.5, "%s: took %.2f s", commands[i][0], took);
    if (error) {
      g_autofree char *want =
          g_strdup_printf("account 'work': password_command \"%s\" did not finish within 1 s and was killed",
                          commands[i][0]);
      EXPECT(!strcmp(error->message, want), "message %s", error->message);
      EXPECT(!strstr(error->message, CANARY), "the output is in the message");
    }
  }
  /* Out of range: the 30 s default stands (a quick command shows nothing of it). */
  g_setenv("DIARYD_PASSWORD_COMMAND_TIMEOUT", "3600", TRUE);
  const char *argv[] = {"printf", "pw", NULL};
  Account a = {.name = "work", .password_command = (char **)argv};
  g_autofree char *secret = account_secret(&a, NULL);
  EXPECT(secret && !strcmp(secret, "pw"), "secret");
  g_unsetenv("DIARYD_PASSWORD_COMMAND_TIMEOUT");
}

/* From a real file, through the loader's argv. */
static void test_secret_from_config(void) {
  g_autoptr(Tmp) t = tmp_new();
  g_autoptr(DiarydConfig) cfg = load_text(t,
                                          "[account work]\nurl = https://x.example.com/\nusername = sam\n"
                                          "password_command = sh -c 'printf \"%s\\n\" \"a b\\\\c\"'\n"
                                          "[account none]\nurl = https://y.example.com/\n",
                                          -1, 0644);
  g_autofree char *all = problems_text(cfg);
  g_assert_cmpuint(cfg->problems->len, ==, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = account_secret(diaryd_config_account(cfg, "work"), &error);
  g_assert_no_error(error);
  EXPECT(secret && !strcmp(secret, "a b\\c"), "secret \"%s\"", secret);
  g_autofree char *nothing = account_secret(diaryd_config_account(cfg, "none"), &error);
  EXPECT(!nothing && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND), "account without a secret");
  (void)all;
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/accounts/problems", test_problems);
  g_test_add_func("/accounts/clean", test_clean);
  g_test_add_func("/accounts/password-mode", test_password_mode);
  g_test_add_func("/accounts/writable", test_writable);
  g_test_add_func("/accounts/files", test_files);
  g_test_add_func("/accounts/load-check", test_load_check);
  g_test_add_func("/accounts/example", test_example);
  g_test_add_func("/accounts/matching", test_matching);
  g_test_add_func("/accounts/mail-defaults", test_mail_defaults);
  g_test_add_func("/accounts/mail-clean", test_mail_clean);
  g_test_add_func("/accounts/mail-secret", test_mail_secret);
  g_test_add_func("/accounts/secret", test_secret);
  g_test_add_func("/accounts/secret-timeout", test_secret_timeout);
  g_test_add_func("/accounts/secret-from-config", test_secret_from_config);
  return g_test_run();
}
