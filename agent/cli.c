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
