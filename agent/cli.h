/* cli: what every subcommand shares: exit statuses, option parsing and
 * the terminal. */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "accounts.h"

#define EXIT_FINDINGS 1 /* check: findings of severity error; sync: a calendar failed */
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* An option context for a subcommand: its parameters, summary and
 * options. */
GOptionContext *cli_context(const char *params, const char *summary, const GOptionEntry *entries);

/* Parses, or prints the error with a pointer to --help and returns
 * EXIT_USAGE. */
int cli_parse(GOptionContext *ctx, int *argc, char ***argv);

/* Whether to colour stdout: WHEN is auto (NULL), always or never. */
gboolean cli_want_colour(const char *when);

/* Prints text from outside (a server, a file) with control characters
 * made harmless, as "diaryd: TEXT" on `to`. */
void cli_say(FILE *to, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The config file at `path` (NULL: the default one, which may be missing),
 * with each of its problems said on stderr; never NULL.  `check` as for
 * diaryd_config_load(). */
DiarydConfig *cli_load_config(const char *path, CheckConfig *check);

/* The full diaryd, for children: $DIARYD_BINARY (set by diaryd run before
 * it execs diaryd-agent), else this binary, else "diaryd" from PATH. */
char *cli_self_path(void);

/* The subcommands that live outside main.c. */
int cmd_sync(int argc, char **argv);
int cmd_discover(int argc, char **argv);
int cmd_journal(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_auth(int argc, char **argv);
int cmd_agenda(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_book(int argc, char **argv);
int cmd_reschedule(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
/* `diaryd outbox test [ADDRESS]`: argv[0] is "test" (agent/cmd_mailtest.c). */
int cmd_outbox_test(int argc, char **argv);
