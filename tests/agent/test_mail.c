/* Tests for agent/mail.c without a network: the maildir delivery (files,
 * names, modes, line ends), the sendmail command (its argv, its stdin,
 * every exit status class, stderr in the message, the timeout), what every
 * transport refuses before sending (bare LF, bad addresses), and the SMTP
 * transport's errors that need no server (no secret, nothing listening).
 * The SMTP conversation itself is tested against a real server in
 * tests/integration/mail_transport.t. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail.h"
#include "testutil.h"

#define CANARY "c4n4ry-m41l-s3cret"
#define MESSAGE "From: sam@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\n.dot\r\nbody\r\n"

static char *tmp_dir(void) {
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("diaryd-mail-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

static char *read_text(const char *path) {
  char *text = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &text, NULL, &error))
    g_printerr("# %s\n", error->message);
  return text;
}

static GPtrArray *list_dir(const char *path) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    g_ptr_array_add(out, g_strdup(name));
  return out;
}

static int mode_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* ---- maildir -------------------------------------------------------------------- */

static void test_maildir(void) {
  g_autofree char *dir = tmp_dir();
  g_autofree char *maildir = g_build_filename(dir, "a", "b", "mail", NULL);
  MailSettings m = {.transport = MAIL_TRANSPORT_MAILDIR, .maildir = maildir};
  g_autoptr(GError) error = NULL;
  g_autoptr(MailTransport) t = mail_transport_new(&m, &error);
  g_assert_no_error(error);
  EXPECT(!mail_transport_leaves_machine(t), "maildir leaves the machine");
  g_autofree char *want = g_strdup_printf("maildir %s (nothing leaves this machine)", maildir);
  EXPECT(!strcmp(mail_transport_describe(t), want), "describe: %s", mail_transport_describe(t));

  EXPECT(mail_send(t, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "send: %s",
         error ? error->message : "");
  EXPECT(mail_send(t, "sam@example.com", "eve@example.org", MESSAGE, strlen(MESSAGE), &error), "send 2: %s",
         error ? error->message : "");
  const char *subs[] = {"tmp", "new", "cur"};
  EXPECT(mode_of(maildir) == 0700, "maildir mode %o", mode_of(maildir));
  for (guint i = 0; i < G_N_ELEMENTS(subs); i++) {
    g_autofree char *sub = g_build_filename(maildir, subs[i], NULL);
    EXPECT(mode_of(sub) == 0700, "%s mode %o", subs[i], mode_of(sub));
  }
  g_autofree char *tmp = g_build_filename(maildir, "tmp", NULL), *new_dir = g_build_filename(maildir, "new", NULL);
  g_autoptr(GPtrArray) in_tmp = list_dir(tmp), in_new = list_dir(new_dir);
  EXPECT(in_tmp->len == 0, "%u files left in tmp/", in_tmp->len);
  EXPECT(in_new->len == 2, "%u files in new/", in_new->len);
  guint bob = 0;
  for (guint i = 0; i < in_new->len; i++) {
    const char *name = g_ptr_array_index(in_new, i);
    EXPECT(g_regex_match_simple("^[0-9]+\\.M[0-9]{6}P[0-9]+Q[0-9]+\\.[^/:]+$", name, 0, 0), "name %s", name);
    g_autofree char *path = g_build_filename(new_dir, name, NULL);
    EXPECT(mode_of(path) == 0600, "%s mode %o", name, mode_of(path));
    g_autofree char *text = read_text(path);
    EXPECT(text && !strchr(text, '\r'), "%s has a CR", name);
    g_autofree char *to_bob = g_strdup_printf("Return-Path: <sam@example.com>\nDelivered-To: bob@example.org\n%s",
                                              "From: sam@example.com\nTo: bob@example.org\nSubject: hi\n\n.dot\nbody\n");
    if (text && !strcmp(text, to_bob))
      bob++;
  }
  EXPECT(bob == 1, "the message to bob, byte for byte, %u times", bob);

  /* A maildir that cannot be made: a file where a folder should be. */
  g_autofree char *file = g_build_filename(dir, "file", NULL);
  g_assert_true(g_file_set_contents(file, "x", 1, NULL));
  g_autofree char *under = g_build_filename(file, "mail", NULL);
  MailSettings m2 = {.transport = MAIL_TRANSPORT_MAILDIR, .maildir = under};
  g_autoptr(MailTransport) t2 = mail_transport_new(&m2, &error);
  g_assert_no_error(error);
  EXPECT(!mail_send(t2, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "sent into a file");
  EXPECT(g_error_matches(error, MAIL_ERROR, MAIL_ERROR_CONFIG), "error %s", error ? error->message : "none");
  EXPECT(error && strstr(error->message, under) && strstr(error->message, "bob@example.org"), "message %s",
         error ? error->message : "");
  test_rm_tree(dir);
}

/* ---- what every transport refuses ------------------------------------------------------ */

static void test_refused(void) {
  g_autofree char *dir = tmp_dir();
  MailSettings m = {.transport = MAIL_TRANSPORT_MAILDIR, .maildir = dir};
  g_autoptr(MailTransport) t = mail_transport_new(&m, NULL);
  g_assert_nonnull(t);
  static const char bad_nul[] = "Subject: a\r\n\r\nx\0y\r\n";
  struct {
    const char *name, *from, *rcpt, *data;
    gsize len;
    MailError code;
    const char *has;
  } rows[] = {
      {"bare LF", "sam@example.com", "bob@example.org", "Subject: a\r\n\r\nline\n.\nRCPT TO:<x@example.com>\r\n", 0,
       MAIL_ERROR_PERMANENT, "a bare LF at byte 18"},
      {"bare LF first", "sam@example.com", "bob@example.org", "\nSubject: a\r\n", 0, MAIL_ERROR_PERMANENT,
       "a bare LF at byte 0"},
      {"bare CR", "sam@example.com", "bob@example.org", "Subject: a\r\n\r\nx\ry\r\n", 0, MAIL_ERROR_PERMANENT,
       "a bare CR at byte 15"},
      {"CR at the end", "sam@example.com", "bob@example.org", "Subject: a\r\n\r\nx\r", 0, MAIL_ERROR_PERMANENT,
       "a bare CR"},
      {"NUL", "sam@example.com", "bob@example.org", bad_nul, sizeof bad_nul - 1, MAIL_ERROR_PERMANENT, "a NUL byte"},
      {"empty", "sam@example.com", "bob@example.org", "", 0, MAIL_ERROR_PERMANENT, "the message is empty"},
      {"recipient with CRLF", "sam@example.com", "bob@example.org\r\nRCPT TO:<eve@example.org>", MESSAGE, 0,
       MAIL_ERROR_PERMANENT, "\"bob@example.org RCPT TO:<eve@example.org>\" is not a valid recipient address"},
      {"recipient without a domain", "sam@example.com", "bob", MESSAGE, 0, MAIL_ERROR_PERMANENT,
       "not a valid recipient"},
      {"recipient in brackets", "sam@example.com", "<bob@example.org>", MESSAGE, 0, MAIL_ERROR_PERMANENT,
       "not a valid recipient"},
      {"NULL recipient", "sam@example.com", NULL, MESSAGE, 0, MAIL_ERROR_PERMANENT, "not a valid recipient"},
      {"bad sender", "sam@example.com>\r\nRSET", "bob@example.org", MESSAGE, 0, MAIL_ERROR_CONFIG,
       "is not a valid sender address"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autoptr(GError) error = NULL;
    gsize len = rows[i].len ? rows[i].len : strlen(rows[i].data);
    EXPECT(!mail_send(t, rows[i].from, rows[i].rcpt, rows[i].data, len, &error), "%s: sent", rows[i].name);
    EXPECT(g_error_matches(error, MAIL_ERROR, (gint)rows[i].code), "%s: error %s", rows[i].name,
           error ? error->message : "none");
    EXPECT(error && strstr(error->message, rows[i].has), "%s: message \"%s\" lacks \"%s\"", rows[i].name,
           error ? error->message : "", rows[i].has);
    EXPECT(error && !strpbrk(error->message, "\r\n"), "%s: a line break in the message", rows[i].name);
  }
  g_autofree char *new_dir = g_build_filename(dir, "new", NULL);
  g_autoptr(GPtrArray) in_new = list_dir(new_dir);
  EXPECT(in_new->len == 0, "%u messages written", in_new->len);
  test_rm_tree(dir);
}

/* ---- sendmail --------------------------------------------------------------------------- */

/* A sendmail stand-in: writes its arguments (one a line) to DIR/args and
 * its stdin to DIR/stdin, then does what DIR/do says (sh code). */
static char *fake_sendmail(const char *dir) {
  g_autofree char *script = g_strdup_printf("#!/bin/sh\n"
                                            "d='%s'\n"
                                            "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done >\"$d/args\"\n"
                                            "cat >\"$d/stdin\"\n"
                                            ". \"$d/do\"\n",
                                            dir);
  char *path = g_build_filename(dir, "fake-sendmail", NULL);
  g_assert_true(g_file_set_contents(path, script, -1, NULL));
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
  return path;
}

static void set_action(const char *dir, const char *sh) {
  g_autofree char *path = g_build_filename(dir, "do", NULL);
  g_assert_true(g_file_set_contents(path, sh, -1, NULL));
}

static void test_sendmail(void) {
  g_autofree char *dir = tmp_dir();
  g_autofree char *cmd = fake_sendmail(dir);
  char *argv[] = {cmd, "-a", "work account", NULL};
  MailSettings m = {.transport = MAIL_TRANSPORT_SENDMAIL, .sendmail = argv};
  g_autoptr(GError) error = NULL;
  g_autoptr(MailTransport) t = mail_transport_new(&m, &error);
  g_assert_no_error(error);
  EXPECT(mail_transport_leaves_machine(t), "sendmail stays on the machine");
  g_autofree char *want = g_strdup_printf("sendmail: %s -a work account", cmd);
  EXPECT(!strcmp(mail_transport_describe(t), want), "describe: %s", mail_transport_describe(t));

  set_action(dir, "exit 0\n");
  EXPECT(mail_send(t, "sam@example.com", "-oQ@example.org", MESSAGE, strlen(MESSAGE), &error), "send: %s",
         error ? error->message : "");
  g_autofree char *args_path = g_build_filename(dir, "args", NULL), *stdin_path = g_build_filename(dir, "stdin", NULL);
  g_autofree char *args = read_text(args_path), *in = read_text(stdin_path);
  EXPECT(!g_strcmp0(args, "-a\nwork account\n-oi\n-f\nsam@example.com\n--\n-oQ@example.org\n"), "args:\n%s", args);
  EXPECT(!g_strcmp0(in, "From: sam@example.com\nTo: bob@example.org\nSubject: hi\n\n.dot\nbody\n"), "stdin:\n%s", in);

  struct {
    const char *action;
    MailError code; /* -1: sent */
    const char *has;
  } rows[] = {
      {"exit 75\n", MAIL_ERROR_TEMPORARY, "exited with status 75 (EX_TEMPFAIL)"},
      {"exit 69\n", MAIL_ERROR_TEMPORARY, "exited with status 69 (EX_UNAVAILABLE)"},
      {"exit 70\n", MAIL_ERROR_TEMPORARY, "status 70"},
      {"exit 71\n", MAIL_ERROR_TEMPORARY, "status 71"},
      {"exit 74\n", MAIL_ERROR_TEMPORARY, "status 74 (EX_IOERR)"},
      {"echo 'authentication failed' >&2; exit 77\n", MAIL_ERROR_AUTH,
       "exited with status 77 (EX_NOPERM): authentication failed"},
      {"echo 'no such user' >&2; exit 67\n", MAIL_ERROR_PERMANENT, "exited with status 67 (EX_NOUSER): no such user"},
      {"exit 65\n", MAIL_ERROR_PERMANENT, "status 65 (EX_DATAERR)"},
      {"exit 1\n", MAIL_ERROR_PERMANENT, "exited with status 1"},
      {"printf 'msmtp: the server did not accept the mail\\nmsmtp: server message: 554 5.7.1 spam\\n' >&2; exit 69\n",
       MAIL_ERROR_PERMANENT, "status 69 (EX_UNAVAILABLE): msmtp: the server did not accept the mail msmtp: server "
                             "message: 554 5.7.1 spam"},
      {"printf 'msmtp: server message: 451 4.3.0 later\\n' >&2; exit 69\n", MAIL_ERROR_TEMPORARY, "451 4.3.0 later"},
      {"printf 'a\\033[31mred\\001\\n' >&2; exit 75\n", MAIL_ERROR_TEMPORARY, ": a [31mred"},
      {"kill -TERM $$\n", MAIL_ERROR_TEMPORARY, "was killed by signal 15"},
      {"yes 'a long complaint' | head -c 1000000 >&2; exit 75\n", MAIL_ERROR_TEMPORARY, "a long complaint a long"},
      {"echo 'said something' >&2; exit 0\n", (MailError)-1, NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
    set_action(dir, rows[i].action);
    g_clear_error(&error);
    gboolean sent = mail_send(t, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error);
    if ((int)rows[i].code < 0) {
      EXPECT(sent, "%s: %s", rows[i].action, error ? error->message : "");
      continue;
    }
    EXPECT(!sent && g_error_matches(error, MAIL_ERROR, (gint)rows[i].code), "%s: error %s", rows[i].action,
           error ? error->message : "none");
    EXPECT(error && strstr(error->message, rows[i].has), "%s: message \"%s\" lacks \"%s\"", rows[i].action,
           error ? error->message : "", rows[i].has);
    EXPECT(error && g_str_has_prefix(error->message, "mail to bob@example.org through sendmail ("), "message %s",
           error ? error->message : "");
    EXPECT(error && g_utf8_strlen(error->message, -1) < 600 && !strpbrk(error->message, "\r\n\033\001"),
           "%s: message not cleaned or capped (%ld characters)", rows[i].action,
           error ? g_utf8_strlen(error->message, -1) : 0);
  }

  /* The timeout, shortened for the test: killed, and a temporary failure. */
  g_setenv("DIARYD_SENDMAIL_TIMEOUT", "1", TRUE);
  set_action(dir, "sleep 30\n");
  g_clear_error(&error);
  gint64 start = g_get_monotonic_time();
  EXPECT(!mail_send(t, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "sent");
  double took = (g_get_monotonic_time() - start) / 1e6;
  EXPECT(took >= 0.9 && took < 4, "took %.2f s", took);
  EXPECT(g_error_matches(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY) && strstr(error->message, "did not finish within 1 s"),
         "timeout: %s", error ? error->message : "none");
  g_unsetenv("DIARYD_SENDMAIL_TIMEOUT");

  /* A command that reads nothing: the message waits in a file, not a pipe. */
  GString *huge = g_string_new("Subject: big\r\n\r\n");
  for (int i = 0; i < 20000; i++)
    g_string_append(huge, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
  char *quiet[] = {"true", NULL};
  MailSettings mq = {.transport = MAIL_TRANSPORT_SENDMAIL, .sendmail = quiet};
  g_autoptr(MailTransport) tq = mail_transport_new(&mq, NULL);
  g_clear_error(&error);
  EXPECT(mail_send(tq, "sam@example.com", "bob@example.org", huge->str, huge->len, &error), "unread stdin: %s",
         error ? error->message : "");
  g_string_free(huge, TRUE);

  /* A command that is not there. */
  char *missing[] = {"diaryd-no-such-sendmail", NULL};
  MailSettings mm = {.transport = MAIL_TRANSPORT_SENDMAIL, .sendmail = missing};
  g_autoptr(MailTransport) tm = mail_transport_new(&mm, NULL);
  g_clear_error(&error);
  EXPECT(!mail_send(tm, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "sent");
  EXPECT(g_error_matches(error, MAIL_ERROR, MAIL_ERROR_CONFIG) && strstr(error->message, "could not be found"),
         "missing: %s", error ? error->message : "none");
  test_rm_tree(dir);
}

/* ---- SMTP without a server, and the settings refused ---------------------------------------- */

static void test_smtp_offline(void) {
  char *fails[] = {"sh", "-c", "printf " CANARY "; exit 3", NULL};
  MailSettings m = {.transport = MAIL_TRANSPORT_SMTP,
                    .url = "smtps://smtp.example.com:465",
                    .username = "sam@example.com",
                    .password_command = fails,
                    .auth = MAIL_AUTH_AUTO};
  g_autoptr(GError) error = NULL;
  g_autoptr(MailTransport) t = mail_transport_new(&m, &error);
  g_assert_no_error(error);
  EXPECT(mail_transport_leaves_machine(t), "SMTP stays");
  EXPECT(!strcmp(mail_transport_describe(t), "SMTP smtps://smtp.example.com:465 as sam@example.com"), "describe: %s",
         mail_transport_describe(t));
  /* No secret: AUTH, and nothing is contacted (smtp.example.com does not
   * take mail; a connection attempt would fail differently). */
  EXPECT(!mail_send(t, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "sent");
  EXPECT(g_error_matches(error, MAIL_ERROR, MAIL_ERROR_AUTH), "no secret: %s", error ? error->message : "none");
  EXPECT(error && strstr(error->message, "[mail]: password_command \"sh\" exited with status 3") &&
             !strstr(error->message, CANARY),
         "no secret: %s", error ? error->message : "");

  /* Nothing listening: TEMPORARY, and the password is nowhere. */
  MailSettings down = {.transport = MAIL_TRANSPORT_SMTP,
                       .url = "smtp://127.0.0.1:1/",
                       .username = "sam",
                       .password = CANARY,
                       .auth = MAIL_AUTH_PLAIN};
  g_autoptr(MailTransport) td = mail_transport_new(&down, NULL);
  EXPECT(!strcmp(mail_transport_describe(td), "SMTP smtp://127.0.0.1:1 (STARTTLS) as sam"), "describe: %s",
         mail_transport_describe(td));
  g_clear_error(&error);
  EXPECT(!mail_send(td, "sam@example.com", "bob@example.org", MESSAGE, strlen(MESSAGE), &error), "sent");
  EXPECT(g_error_matches(error, MAIL_ERROR, MAIL_ERROR_TEMPORARY), "down: %s", error ? error->message : "none");
  EXPECT(error && g_str_has_prefix(error->message, "mail to bob@example.org through SMTP smtp://127.0.0.1:1: could not "
                                                   "connect"),
         "down: %s", error ? error->message : "");
  EXPECT(error && !strstr(error->message, CANARY), "the password is in the message");

  MailSettings none = {.transport = MAIL_TRANSPORT_SMTP, .url = "smtp://127.0.0.1:2525", .auth = MAIL_AUTH_NONE};
  g_autoptr(MailTransport) tn = mail_transport_new(&none, NULL);
  EXPECT(!strcmp(mail_transport_describe(tn), "SMTP smtp://127.0.0.1:2525 (STARTTLS) without login"), "describe: %s",
         mail_transport_describe(tn));

  /* Settings a transport cannot use. */
  MailSettings bad = {.transport = MAIL_TRANSPORT_SMTP, .url = "smtps://smtp.example.com", .bad = TRUE};
  MailSettings no_url = {.transport = MAIL_TRANSPORT_SMTP};
  MailSettings no_cmd = {.transport = MAIL_TRANSPORT_SENDMAIL};
  MailSettings relative = {.transport = MAIL_TRANSPORT_MAILDIR, .maildir = "mail"};
  const MailSettings *refused[] = {&bad, &no_url, &no_cmd, &relative};
  const char *says[] = {"the [mail] section has problems", "has no url", "has no sendmail command", "absolute"};
  for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_clear_error(&error);
    g_autoptr(MailTransport) r = mail_transport_new(refused[i], &error);
    EXPECT(!r && g_error_matches(error, MAIL_ERROR, MAIL_ERROR_CONFIG) && strstr(error->message, says[i]),
           "refused %u: %s", i, error ? error->message : "none");
  }
  mail_transport_free(NULL);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/mail/maildir", test_maildir);
  g_test_add_func("/mail/refused", test_refused);
  g_test_add_func("/mail/sendmail", test_sendmail);
  g_test_add_func("/mail/smtp-offline", test_smtp_offline);
  return g_test_run();
}
