/* diaryd_config_load_text() (the entry point fuzz_config uses) against
 * diaryd_config_load() of the same text written to a private file: the
 * same problems, accounts, calendars and settings, for every config seed
 * of the fuzzer and the example.  What is fuzzed is what a file gets. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "accounts.h"
#include "testutil.h"

#define SEEDS "tests/fuzz/seeds-config"

static char *describe(const DiarydConfig *cfg) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, i));
    g_string_append_printf(s, "problem %s\n", line);
  }
  for (guint i = 0; i < cfg->accounts->len; i++) {
    const Account *a = g_ptr_array_index(cfg->accounts, i);
    g_autofree char *cmd = a->password_command ? g_strjoinv("|", a->password_command) : NULL;
    g_string_append_printf(s, "account %s %d %s %s %s %s %d\n", a->name, a->line, a->url,
                           a->username ? a->username : "-", cmd ? cmd : "-", a->password ? a->password : "-",
                           a->auth);
  }
  for (guint i = 0; i < cfg->calendars->len; i++) {
    const CalendarSettings *c = g_ptr_array_index(cfg->calendars, i);
    g_string_append_printf(s, "calendar %s/%s %d %d %d %s\n", c->account, c->calendar, c->line, c->busy,
                           c->confirmations, c->color ? c->color : "-");
  }
  g_string_append_printf(s, "agent %d %" G_GINT64_FORMAT " %d\n", cfg->agent.line, cfg->agent.sync_interval,
                         cfg->agent.check_days);
  g_string_append_printf(s, "mail %d %d %s %s %d\n", cfg->mail.line, cfg->mail.bad,
                         cfg->mail.from ? cfg->mail.from : "-", cfg->mail.url ? cfg->mail.url : "-",
                         cfg->mail.transport);
  return g_string_free(s, FALSE);
}

static void same_as_file(const char *dir, const char *name, const char *text, gsize len) {
  g_autofree char *path = g_build_filename(dir, "config", NULL);
  g_assert_true(g_file_set_contents(path, text, (gssize)len, NULL));
  g_assert_cmpint(g_chmod(path, 0600), ==, 0);
  g_autoptr(DiarydConfig) from_file = diaryd_config_load(path, TRUE, NULL);
  g_autoptr(DiarydConfig) from_text = diaryd_config_load_text(path, text, len, TRUE, NULL);
  g_autofree char *a = describe(from_file);
  g_autofree char *b = describe(from_text);
  EXPECT(strcmp(a, b) == 0, "%s: from the file:\n%sfrom the text:\n%s", name, a, b);
}

static void test_seeds(void) {
  g_autofree char *dir = g_dir_make_tmp("diaryd-config-text-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_assert_cmpint(g_chmod(dir, 0700), ==, 0);
  g_autoptr(GDir) seeds = g_dir_open(SEEDS, 0, NULL);
  g_assert_nonnull(seeds);
  guint n = 0;
  for (const char *name; (name = g_dir_read_name(seeds)); n++) {
    g_autofree char *seed = g_build_filename(SEEDS, name, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(seed, &text, &len, NULL));
    same_as_file(dir, name, text, len);
  }
  g_assert_cmpuint(n, >=, 5);
  /* Over 1 MB: refused alike. */
  g_autofree char *big = g_strnfill(1024 * 1024 + 1, '#');
  same_as_file(dir, "big", big, strlen(big));
  g_autofree char *path = g_build_filename(dir, "config", NULL);
  g_remove(path);
  g_rmdir(dir);
}

/* A password in text that is not private is refused, as in a file that
 * others can read, and the password is not in the message. */
static void test_not_private(void) {
  const char *text = "[account w]\nurl = https://dav.example.com/\nusername = sam\npassword = correct-horse-battery\n";
  g_autoptr(DiarydConfig) cfg = diaryd_config_load_text("/nonexistent/config", text, strlen(text), FALSE, NULL);
  g_assert_cmpuint(cfg->accounts->len, ==, 0);
  g_assert_cmpuint(cfg->problems->len, ==, 1);
  g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, 0));
  g_assert_nonnull(strstr(line, "readable by others"));
  g_assert_null(strstr(line, "correct-horse"));
}

/* Found by fuzz_config: a syntax error on the last line of text with no
 * NUL after it made the syntax report read past the text (strchr).  The
 * texts are copied into buffers of their exact length, so that ASan
 * (make check-asan) sees any read past them. */
static void test_unterminated(void) {
  static const struct {
    const char *text;
    int line;
    const char *message;
  } rows[] = {
      {"[check]\nsynow tc_intervahl e", 2, "not a key = value line, a [section] header or a # comment"},
      {"[agent]\n[aand", 2, "not a section header"},
      {"[agent]\n   \t", 0, NULL},
      {"[agent]\nx[y = 1", 2, "not a valid key = value line"},
      {"key = 1", 1, "a key before the first [section]"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    gsize len = strlen(rows[i].text);
    g_autofree char *exact = g_memdup2(rows[i].text, len);
    g_autoptr(DiarydConfig) cfg = diaryd_config_load_text("/nonexistent/config", exact, len, TRUE, NULL);
    if (!rows[i].message) {
      EXPECT(cfg->problems->len == 0, "\"%s\": %u problems", rows[i].text, cfg->problems->len);
      continue;
    }
    EXPECT(cfg->problems->len == 1, "\"%s\": %u problems", rows[i].text, cfg->problems->len);
    if (cfg->problems->len != 1)
      continue;
    const ConfigProblem *p = g_ptr_array_index(cfg->problems, 0);
    EXPECT(p->line == rows[i].line && g_str_has_prefix(p->message, rows[i].message), "\"%s\": line %d: %s",
           rows[i].text, p->line, p->message);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/config-text/seeds", test_seeds);
  g_test_add_func("/config-text/not-private", test_not_private);
  g_test_add_func("/config-text/unterminated", test_unterminated);
  return g_test_run();
}
