/* accounts: the CalDAV accounts and per-calendar settings of the config
 * file ($XDG_CONFIG_HOME/diaryd/config, a GKeyFile INI file).
 *
 *   [account work]
 *   url = https://cloud.example.com/
 *   username = sam
 *   password_command = pass show cloud/sam     # argv, split like a shell would, run without one
 *   #password = ...                            # only when the file is not readable by group or others
 *   #auth = oauth2                             # Google: client_id, client_secret (scope, auth_url, token_url)
 *   calendars = Work, Team                     # display names or collection paths; default: all
 *   #ca_file = /etc/ssl/private-ca.pem
 *
 *   [calendar work/Team]
 *   busy = false          # its appointments are not busy time for the checks
 *   confirm = yes         # confirmation emails for its appointments (default: none);
 *                         # `confirmations` is the older spelling of the same key
 *   color = #3366ff
 *   reminders = 10m, 1h   # default reminders for events without VALARM
 *
 *   [mail]                # how confirmations leave (see MailSettings below)
 *   from = Sam Carter <sam@example.com>
 *   url = smtps://smtp.fastmail.com:465
 *   username = sam@example.com
 *   password_command = pass show fastmail/smtp
 *
 * Loading never stops at the first problem: each becomes a ConfigProblem
 * with the file's line, so `diaryd config check` can list them all.  The
 * file is read once into memory; line numbers come from our own scan of it
 * (GKeyFile does not keep them).
 *
 * Values are GKeyFile strings (\s, \n, \t, \r, \\ escapes) with
 * surrounding blanks removed, except password_command and sendmail, which
 * are split as written, so their quotes and backslashes mean what they mean
 * in a shell.
 * Comments take a line of their own: "busy = no  # note" is not a boolean.
 */
#pragma once

#include <glib.h>

#include "config.h"

typedef enum { ACCOUNT_AUTH_BASIC, ACCOUNT_AUTH_DIGEST, ACCOUNT_AUTH_OAUTH2, ACCOUNT_AUTH_NONE } AccountAuth;

typedef struct {
  char *name;              /* from [account NAME]: letters, digits, '-', '_', '.' */
  int line;                /* of the [account NAME] header */
  char *url;               /* as written */
  char *username;          /* NULL when absent */
  char **password_command; /* argv (NULL-terminated) or NULL */
  char *password;          /* NULL when absent; only accepted from a private file */
  AccountAuth auth;        /* basic by default; none when there is no username */
  char *client_id, *client_secret, *scope, *auth_url, *token_url; /* oauth2; Google's defaults */
  char *ca_file;           /* absolute: "~/" and relative paths are resolved against the file's folder */
  char **calendars;        /* NULL = all */
} Account;

typedef struct {
  char *account;    /* [calendar ACCOUNT/NAME] */
  char *calendar;   /* display name or collection path */
  int line;
  int busy;         /* -1 unset, 0, 1 */
  int confirmations;/* `confirm` (or its older spelling `confirmations`): -1 unset, 0, 1.
                       Unset means no: confirmations are sent only for calendars with
                       confirm = yes (calendar_settings_confirm()). */
  char *color;      /* "#rrggbb" or NULL */
  GArray *reminders;/* of gint64 seconds before the start, ascending, no duplicates; NULL unset,
                       empty for `reminders = none` */
} CalendarSettings;

/* The [agent] section: how `diaryd run` behaves.
 *
 *   [agent]
 *   sync_interval = 5m        # how often calendars are synced (jittered; backs off on failure)
 *   check_days = 60           # how far ahead the agent checks the diary
 *   review = 08:30, 17:00     # daily reviews (HH:MM[:SS]): today's diary, then tomorrow's; or "off"
 *   snooze = 5m, 10m, 1h      # the Snooze choices a reminder offers
 *   missed = 1h               # reminders missed by up to this much are shown once, late
 *   reminders = none          # default reminders for events without VALARM (per-calendar `reminders` win)
 *   leave_reminders = yes     # "leave now" when the previous appointment is elsewhere
 */
typedef struct {
  int line;               /* of the [agent] header, 0 when there is none */
  gint64 sync_interval;   /* seconds */
  int check_days;
  int review[2];          /* seconds after local midnight, -1 = off: [0] today's, [1] tomorrow's */
  GArray *snooze;         /* of gint64 seconds, ascending */
  gint64 missed;          /* seconds */
  GArray *reminders;      /* of gint64 seconds before the start; empty = none */
  gboolean leave_reminders;
} AgentSettings;

/* The [mail] section: how confirmation emails leave this machine.
 *
 *   [mail]
 *   from = Sam Carter <sam@example.com>     # or just sam@example.com
 *   transport = smtp                        # smtp | sendmail | maildir (see below for the default)
 *   url = smtps://smtp.fastmail.com:465     # or smtp://host:587: STARTTLS is then required
 *   username = sam@example.com
 *   password_command = pass show mail/app   # or password = ... in a private file, as for accounts
 *   auth = auto                             # auto | plain | login | xoauth2 | none
 *   ca_file = ~/private-ca.pem
 *   sendmail = msmtp -a work                # transport = sendmail: the command (argv, no shell)
 *   maildir = ~/Mail/diaryd                 # transport = maildir: default $XDG_DATA_HOME/diaryd/mail
 *   method = publish                        # publish | request
 *   auto_schedule = plain                   # plain | skip
 *   on_conflict = hold                      # hold | send
 *   max_recipients = 20                     # 1..1000
 *   allow_domains = example.com, example.org
 *   rate_per_hour = 100                     # 0 = no limit
 *   templates = ~/.config/diaryd/templates
 *   reply_to = office@example.com
 *
 * Every key is optional; without a [mail] section nothing leaves the
 * machine (maildir).  Plaintext SMTP is never allowed: smtp:// always
 * requires STARTTLS, and there is no option to turn that off. */
typedef enum { MAIL_TRANSPORT_MAILDIR, MAIL_TRANSPORT_SMTP, MAIL_TRANSPORT_SENDMAIL } MailTransportKind;
typedef enum { MAIL_AUTH_AUTO, MAIL_AUTH_PLAIN, MAIL_AUTH_LOGIN, MAIL_AUTH_XOAUTH2, MAIL_AUTH_NONE } MailAuth;

typedef struct {
  int line;                    /* of the [mail] header, 0 when absent */
  gboolean bad;                /* the section has problems: mail_transport_new() refuses it, so that a
                                  half-read [mail] never sends (nor silently keeps mail on this machine) */
  char *from_name;             /* the owner's display name (UTF-8, unquoted), or NULL */
  char *from;                  /* the owner's address (lower-case), or NULL */
  MailTransportKind transport; /* `transport`; when absent: smtp if url is set, sendmail if sendmail is
                                  set, else maildir */
  char *url;                   /* smtps://host[:port] or smtp://host[:port] (STARTTLS then required), as
                                  written; never with credentials, a path, a query or a fragment */
  char *username;              /* NULL when absent */
  char **password_command;     /* argv (NULL-terminated), split like the accounts' one, or NULL */
  char *password;              /* only from a file others cannot read, like accounts */
  MailAuth auth;               /* auto when a username is set and `auth` is not; none without a username.
                                  auto: libcurl picks (PLAIN/LOGIN); xoauth2: the secret is an access token */
  char *ca_file;               /* absolute, resolved like the accounts' one, or NULL */
  char **sendmail;             /* argv of a sendmail-compatible command (e.g. "msmtp -a work"), or NULL */
  char *maildir;               /* absolute; default $XDG_DATA_HOME/diaryd/mail */
  gboolean method_request;     /* method = publish (default) | request: the iTIP METHOD of confirmations */
  gboolean auto_schedule_skip; /* auto_schedule = plain (default: a confirmation without the calendar part
                                  when the server schedules itself) | skip (send nothing then) */
  gboolean hold_on_conflict;   /* on_conflict = hold (default) | send */
  guint max_recipients;        /* default 20, 1..1000 */
  char **allow_domains;        /* lower-case, NULL-terminated; NULL = any domain */
  char **recipient_zones;      /* recipient_zones = ann@example.org Europe/Paris, @example.jp Asia/Tokyo:
                                  alternating lower-case address (or "@domain") and zone name,
                                  NULL-terminated; NULL when unset */
  guint rate_per_hour;         /* messages per hour at most, default 100; 0 = no limit */
  char *templates;             /* absolute; default $XDG_CONFIG_HOME/diaryd/templates */
  char *reply_to;              /* addr-spec (lower-case) or NULL */
} MailSettings;

typedef struct {
  char *file;
  int line;         /* 0 when it is about the file as a whole */
  char *message;
} ConfigProblem;

typedef struct {
  char *path;              /* the file read, or NULL when there was none */
  GPtrArray *accounts;     /* of Account*, in file order */
  GPtrArray *calendars;    /* of CalendarSettings*, in file order */
  GPtrArray *problems;     /* of ConfigProblem*, in line order */
  AgentSettings agent;     /* the defaults when there is no [agent] section */
  MailSettings mail;       /* the defaults (maildir) when there is no [mail] section */
} DiarydConfig;

/* Google's endpoints, the defaults of an oauth2 account (agent/oauth.h
 * uses them). */
#define OAUTH_GOOGLE_AUTH_URL "https://accounts.google.com/o/oauth2/v2/auth"
#define OAUTH_GOOGLE_TOKEN_URL "https://oauth2.googleapis.com/token"
#define OAUTH_GOOGLE_SCOPE "https://www.googleapis.com/auth/calendar"

void diaryd_config_free(DiarydConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DiarydConfig, diaryd_config_free)

/* $XDG_CONFIG_HOME/diaryd/config. */
char *diaryd_config_default_path(void);

/* Reads the file (`path`, or the default path when NULL).  A missing file at
 * the default path gives an empty config; a missing file that was named
 * explicitly (`explicit`) is a problem.  Never NULL.  Checks every key of
 * [account], [calendar], [agent] and [mail] sections (unknown keys, bad
 * URLs, bad values, a `password` in a file that group or others can read, a
 * password_command or sendmail that does not split, oauth2 without
 * client_id, xoauth2 or a username without a secret, two secrets at once,
 * smtp without url, sendmail without its command, confirm and confirmations
 * together, duplicate sections or keys, a [calendar] naming an unknown
 * account) and, through config_apply_check(), the [check] section; the
 * [check] values land in `check` when it is not NULL.
 *
 * An account or calendar section with any problem is left out of the lists,
 * so every Account there is complete and checked.  A [mail] section with
 * any problem is kept, marked `bad` (mail_transport_new() refuses it), with
 * what could be read.  A file over 1 MB, with a NUL byte, or that GKeyFile
 * cannot parse gives one problem (with the line when there is one) and
 * empty lists.  So does a file that others could have changed, which is not
 * read at all, password or not (ssh's rule): writable by group or others,
 * owned by a user other than us and root, or in a folder that group or
 * others may write without the sticky bit; the message names the fix
 * (chmod go-w FILE).  A ca_file that group or others may write is a problem
 * of its account (or [mail]): it decides whom the password goes to. */
DiarydConfig *diaryd_config_load(const char *path, gboolean explicit, CheckConfig *check);

/* diaryd_config_load() of text already in memory (`len` bytes, NUL bytes
 * and all: they are a problem, as in a file), as if read from `path` (NULL:
 * the default path), which names the file in problems and is the folder
 * relative paths are resolved against.  `private_file`: whether the text
 * came from a file that group and others cannot read, which is what allows
 * a `password`.  Like loading a file, this runs no command (password_command
 * is only split) and opens nothing but a ca_file, to check that it is a
 * regular file.  Never NULL. */
DiarydConfig *diaryd_config_load_text(const char *path, const char *text, gsize len, gboolean private_file,
                                      CheckConfig *check);

/* "FILE:LINE: message" or "FILE: message". */
char *config_problem_format(const ConfigProblem *p);

const Account *diaryd_config_account(const DiarydConfig *cfg, const char *name);
/* The settings of one calendar, matched by display name or by the last
 * segment of its path; NULL when there are none. */
const CalendarSettings *diaryd_config_calendar(const DiarydConfig *cfg, const char *account, const char *name,
                                               const char *url);
/* Whether the account's `calendars` list selects this calendar. */
gboolean account_wants_calendar(const Account *account, const char *name, const char *url);

/* Whether confirmations are sent for a calendar with these settings (NULL:
 * none): only with confirm = yes. */
gboolean calendar_settings_confirm(const CalendarSettings *c);

/* Whether [mail] allow_domains lets mail go to `addr` (its domain equal to
 * one of them, ignoring case; any domain when the list is unset). */
gboolean mail_settings_domain_allowed(const MailSettings *m, const char *addr);
/* The zone a recipient reads times in (recipient_zones: the address, else
 * its domain), or NULL when unknown. */
const char *mail_settings_recipient_zone(const MailSettings *m, const char *addr);

/* "smtp", "sendmail", "maildir"; "auto", "plain", "login", "xoauth2", "none". */
const char *mail_transport_kind_name(MailTransportKind kind);
const char *mail_auth_name(MailAuth auth);

/* A secret for `who` (a phrase for messages: "account 'work'", "[mail]"):
 * runs `argv` when it is not NULL, or else returns a copy of `password`.
 * The contract is account_secret()'s below, with `who` in place of
 * "account 'NAME'" in the messages. */
char *config_secret(const char *who, char **argv, const char *password, GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* The password: runs password_command (no shell; 30 s timeout, then
 * killed; output capped at 4 KB; exactly one trailing newline (LF or CRLF)
 * removed; stdin /dev/null, stderr passed through; empty output is an
 * error), or returns `password`.  The secret is never put in a message.
 * Blocks the calling thread (at most the timeout and a few seconds), using
 * no main context but a private one; callable from any thread.
 * DIARYD_PASSWORD_COMMAND_TIMEOUT (seconds, at most 30) shortens the
 * timeout, for tests.
 *
 * NULL with a G_IO_ERROR naming the account, argv[0] and what failed:
 * NOT_FOUND (the command could not be found; or the account has no secret),
 * TIMED_OUT, MESSAGE_TOO_LARGE (over 4 KB), INVALID_DATA (empty, or a NUL
 * byte), FAILED (exit status, signal, could not be run). */
char *account_secret(const Account *account, GError **error);
