/* cli: see cli.h. */
#include "cli.h"

#include <string.h>
#include <unistd.h>

#include "report.h"

GOptionContext *cli_context(const char *params, const char *summary, const GOptionEntry *entries) {
  GOptionContext *ctx = g_option_context_new(params);
  g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, NULL);
  return ctx;
}

int cli_parse(GOptionContext *ctx, int *argc, char ***argv) {
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    fprintf(stderr, "diaryd: %s\n(see: %s --help)\n", error->message, (*argv)[0]);
    return EXIT_USAGE;
  }
  return 0;
}

gboolean cli_want_colour(const char *when) {
  if (when && !strcmp(when, "always"))
    return TRUE;
  if (when && !strcmp(when, "never"))
    return FALSE;
  const char *term = g_getenv("TERM");
  return isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
}

void cli_say(FILE *to, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, args);
  va_end(args);
  g_autofree char *clean = report_clean_line(text);
  fprintf(to, "diaryd: %s\n", clean);
}

DiarydConfig *cli_load_config(const char *path, CheckConfig *check) {
  g_autofree char *file = path ? g_strdup(path) : diaryd_config_default_path();
  DiarydConfig *cfg = diaryd_config_load(file, path != NULL, check);
  for (guint i = 0; i < cfg->problems->len; i++) {
    g_autofree char *line = config_problem_format(g_ptr_array_index(cfg->problems, i));
    cli_say(stderr, "%s", line);
  }
  return cfg;
}

char *cli_self_path(void) {
  const char *binary = g_getenv("DIARYD_BINARY");
  char *self = binary && *binary ? g_strdup(binary) : g_file_read_link("/proc/self/exe", NULL);
  if (!self || g_str_has_suffix(self, " (deleted)")) {
    g_free(self);
    self = g_strdup("diaryd");
  }
  return self;
}
