/* libFuzzer target: config/accounts, the config file as a person (or a
 * careless tool) writes it -> diaryd_config_load_text(), the loader
 * diaryd_config_load() uses once the file is read.  Loading runs no
 * command (password_command and sendmail are only split) and opens no file
 * but a ca_file, to see that it is a regular file; HOME and the file's
 * folder point nowhere, so only absolute ca_file paths reach the disk, and
 * only to be opened read-only and closed.
 *
 * Any crash, sanitizer report, hang or leak is a bug, and so is a broken
 * promise:
 *   - the loader never returns NULL; every problem has a line within the
 *     text and a one-line message; problems come in line order;
 *   - every account listed is complete: a valid name, a URL; every calendar
 *     names an account written in the text; reminders and snoozes ascending without duplicates;
 *   - a password is taken only from a private file: loaded as readable by
 *     others, no account has one and a [mail] with one is marked bad;
 *   - a password is never quoted in a problem;
 *   - the same text gives the same problems twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

#define PATH "/nonexistent-diaryd-fuzz/config"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* Before GLib caches them: "~/" and the XDG defaults point nowhere. */
  g_setenv("HOME", "/nonexistent-diaryd-fuzz", TRUE);
  g_setenv("XDG_CONFIG_HOME", "/nonexistent-diaryd-fuzz/.config", TRUE);
  g_setenv("XDG_DATA_HOME", "/nonexistent-diaryd-fuzz/.local/share", TRUE);
  return 0;
}

static gsize occurrences(const char *text, gsize len, const char *needle) {
  gsize n = 0, k = strlen(needle);
  for (const char *p = text; k && (p = memmem(p, len - (gsize)(p - text), needle, k)); p++)
    n++;
  return n;
}

static void check_ascending(const GArray *a) {
  if (!a)
    return;
  for (guint i = 1; i < a->len; i++)
    CHECK(g_array_index(a, gint64, i - 1) < g_array_index(a, gint64, i));
}

static char *problems_text(const DiarydConfig *cfg, int lines) {
  GString *out = g_string_new(NULL);
  int last = 0;
  for (guint i = 0; i < cfg->problems->len; i++) {
    const ConfigProblem *p = g_ptr_array_index(cfg->problems, i);
    CHECK(p->line >= 0 && p->line <= lines && p->line >= last);
    last = p->line;
    CHECK(p->message && *p->message && !strchr(p->message, '\n'));
    g_autofree char *f = config_problem_format(p);
    g_string_append_printf(out, "%s\n", f);
  }
  return g_string_free(out, FALSE);
}

static void check_config(const DiarydConfig *cfg, gboolean private_file, const char *text, gsize len, int lines) {
  CHECK(cfg && cfg->accounts && cfg->calendars && cfg->problems);
  g_autofree char *problems = problems_text(cfg, lines);
  for (guint i = 0; i < cfg->accounts->len; i++) {
    const Account *a = g_ptr_array_index(cfg->accounts, i);
    CHECK(a->name && *a->name && a->url);
    for (const char *p = a->name; *p; p++)
      CHECK(g_ascii_isalnum(*p) || strchr("-_.", *p));
    CHECK(!(a->password && a->password_command));
    if (a->password) {
      CHECK(private_file);
      if (strlen(a->password) >= 8 && occurrences(text, len, a->password) == 1)
        CHECK(!strstr(problems, a->password));
    }
    CHECK(!a->password_command || a->password_command[0]);
  }
  for (guint i = 0; i < cfg->calendars->len; i++) {
    const CalendarSettings *c = g_ptr_array_index(cfg->calendars, i);
    /* Its account has a section, though that may have been left out for its problems. */
    CHECK(c->account && *c->account && c->calendar && memmem(text, len, c->account, strlen(c->account)));
    check_ascending(c->reminders);
  }
  check_ascending(cfg->agent.snooze);
  for (int i = 0; i < 2; i++)
    CHECK(cfg->agent.review[i] >= -1 && cfg->agent.review[i] < 86400);
  if (cfg->mail.password) {
    CHECK(private_file || cfg->mail.bad);
    if (strlen(cfg->mail.password) >= 8 && occurrences(text, len, cfg->mail.password) == 1)
      CHECK(!strstr(problems, cfg->mail.password));
  }
  CHECK(cfg->mail.max_recipients >= 1 && cfg->mail.max_recipients <= 1000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0;
  const char *text = (const char *)data;
  int lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  g_autofree char *first = NULL;
  for (int private_file = 0; private_file < 2; private_file++) {
    CheckConfig check;
    check_config_init(&check, 0);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load_text(PATH, text, size, private_file, &check);
    check_config(cfg, private_file, text, size, lines);
    check_config_clear(&check);
    if (!private_file) {
      first = problems_text(cfg, lines);
      g_autoptr(DiarydConfig) again = diaryd_config_load_text(PATH, text, size, FALSE, NULL);
      g_autofree char *second = problems_text(again, lines);
      CHECK(strcmp(first, second) == 0);
    }
  }
  return 0;
}
