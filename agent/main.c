/* diaryd: command line.
 *
 * Each subcommand parses its flags, builds what it needs and returns an
 * exit status; only main() exits.  Status: 0 fine, 1 findings of severity
 * error (check), 2 bad usage or nothing readable.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "cli.h"
#include "common.h"
#include "daemon.h"
#include "refresh.h"
#include "report.h"
#include "secret.h"
#include "slots.h"
#include "when.h"

#ifndef DIARYD_VERSION
#define DIARYD_VERSION "0.1.0"
#endif

/* ---- check --------------------------------------------------------------- */

static int cmd_check(int argc, char **argv) {
  Common c;
  common_init(&c);
  g_autoptr(GOptionContext) ctx =
      common_context("[PATH...]", "Check .ics files and folders against the diary rules; with no PATH, the diary\n"
                               "diaryd sync keeps and the local calendar folder.\n"
                                     "The window is [--from, --to) in --tz, 90 days from today by default.",
                     &c, NULL);
  int rc = cli_parse(ctx, &argc, &argv);
  Setup s = {0};
  if (rc == 0)
    rc = common_setup(&c, argv + 1, 90, &s);
  if (rc)
    return common_finish(&c, &s, rc);
  g_autoptr(Diary) diary = common_build_diary(&c, &s, s.from, s.to);
  guint omitted = 0;
  g_autoptr(GPtrArray) findings = checks_run_counted(diary, &c.cfg.rules, &omitted);
  ReportOptions ropts = {s.tz, s.from, s.to, common_want_colour(&c), common_flush, NULL};
  g_autoptr(GString) out = g_string_new(NULL);
  if (c.json)
    report_findings_json(out, &ropts, diary_n_occurrences(diary), findings);
  else
    report_findings_text(out, &ropts, diary_n_occurrences(diary), findings);
  common_write(out);
  if (omitted)
    fprintf(stderr, "diaryd: %u more findings left out (at most %u in all, 1000 of one check for the same "
                    "appointment or pair of appointments, and 2000 for the same calendar object or pair)\n", omitted, c.cfg.rules.max_findings);
  rc = 0;
  for (guint i = 0; i < findings->len; i++)
    if (((Finding *)g_ptr_array_index(findings, i))->severity == SEVERITY_ERROR)
      rc = EXIT_FINDINGS;
  return common_finish(&c, &s, rc);
}

/* ---- slots --------------------------------------------------------------- */

static int cmd_slots(int argc, char **argv) {
  Common c;
  common_init(&c);
  g_autofree char *duration = NULL, *location = NULL, *calendar = NULL;
  g_auto(GStrv) resources = NULL;
  int limit = 0;
  const GOptionEntry entries[] = {
      {"duration", 'd', 0, G_OPTION_ARG_STRING, &duration, "Length of the appointment (required), e.g. 45m", "DUR"},
      {"location", 0, 0, G_OPTION_ARG_STRING, &location, "Where it takes place (for travel time and room bookings)", "PLACE"},
      {"resource", 0, 0, G_OPTION_ARG_STRING_ARRAY, &resources, "A room or piece of equipment it needs (repeatable)", "NAME"},
      {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most N slots", "N"},
      {"calendar", 0, 0, G_OPTION_ARG_STRING, &calendar,
       "Only this synced calendar's appointments count (NAME or ACCOUNT/NAME), e.g. one person's among several",
       "NAME"},
      {NULL}};
  g_autoptr(GOptionContext) ctx =
      common_context("--duration DUR [PATH...]", "Free slots that pass every rule, 14 days from today by default.", &c,
                  entries);
  int rc = cli_parse(ctx, &argc, &argv);
  gint64 dur = 0;
  if (rc == 0 && (!duration || !when_parse_duration(duration, &dur) || dur <= 0)) {
    fprintf(stderr, "diaryd: slots needs --duration, e.g. --duration 45m or 1h30m\n");
    rc = EXIT_USAGE;
  }
  if (rc == 0 && limit < 0) {
    fprintf(stderr, "diaryd: --limit must be 0 or more\n");
    rc = EXIT_USAGE;
  }
  if (rc == 0 && calendar && argc > 1) {
    fprintf(stderr, "diaryd: --calendar chooses a synced calendar: give it without PATHs\n");
    rc = EXIT_USAGE;
  }
  Setup s = {0};
  if (rc == 0)
    rc = common_setup(&c, argv + 1, 14, &s);
  if (rc == 0 && calendar && !common_keep_calendar(&s, calendar)) {
    cli_say(stderr, "--calendar: no synced calendar \"%s\" has appointments in the window (diaryd status lists them)",
            calendar);
    rc = EXIT_USAGE;
  }
  if (rc)
    return common_finish(&c, &s, rc);
  /* Neighbours just outside the window still need their buffers. */
  g_autoptr(Diary) diary = common_build_diary(&c, &s, s.from - 2 * 86400, s.to + 2 * 86400);
  SlotQuery q = {.duration = dur, .from = s.from, .to = s.to, .location = location,
                 .resources = (const char *const *)resources, .travel = -1, .limit = (guint)limit};
  g_autoptr(GArray) slots = slots_find(diary, &c.cfg.rules, &q);
  ReportOptions ropts = {s.tz, s.from, s.to, common_want_colour(&c), common_flush, NULL};
  g_autoptr(GString) out = g_string_new(NULL);
  if (c.json)
    report_slots_json(out, &ropts, dur, slots);
  else
    report_slots_text(out, &ropts, dur, slots);
  common_write(out);
  return common_finish(&c, &s, 0);
}

/* ---- occurrences ----------------------------------------------------------- */

static int cmd_occurrences(int argc, char **argv) {
  Common c;
  common_init(&c);
  g_autoptr(GOptionContext) ctx = common_context(
      "[PATH...]", "List every occurrence in the window, as diaryd expands it (recurrences, overrides, zones).", &c,
      NULL);
  int rc = cli_parse(ctx, &argc, &argv);
  Setup s = {0};
  if (rc == 0)
    rc = common_setup(&c, argv + 1, 90, &s);
  if (rc)
    return common_finish(&c, &s, rc);
  g_autoptr(Diary) diary = common_build_diary(&c, &s, s.from, s.to);
  ReportOptions ropts = {s.tz, s.from, s.to, common_want_colour(&c), common_flush, NULL};
  g_autoptr(GString) out = g_string_new(NULL);
  if (c.json)
    report_occurrences_json(out, &ropts, diary);
  else
    report_occurrences_text(out, &ropts, diary);
  common_write(out);
  return common_finish(&c, &s, 0);
}

/* ---- dispatch -------------------------------------------------------------- */

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} Command;

static const Command commands[] = {
    {"check", cmd_check, "check .ics files and folders against the diary rules"},
    {"slots", cmd_slots, "list free slots that pass every rule"},
    {"occurrences", cmd_occurrences, "list the occurrences diaryd sees in a window"},
    {"agenda", cmd_agenda, "show a day or a week of the diary with its problems inline"},
    {"sync", cmd_sync, "mirror the configured CalDAV calendars into the local store"},
    {"discover", cmd_discover, "find the calendars behind a CalDAV URL"},
    {"journal", cmd_journal, "show the change journal the syncs wrote"},
    {"config", cmd_config, "config check: list every problem in the config file"},
    {"auth", cmd_auth, "authorise an OAuth2 account (Google) in the browser"},
    {"run", cmd_run_exec, "run the agent: sync, check after every change, alerts, reminders, daily reviews"},
    {"refresh", cmd_refresh, "check the diary now and update the agent's alerts, reminders and confirmation emails"},
    {"book", cmd_book, "book an appointment where every rule allows it (else: why, and the nearest free slots)"},
    {"reschedule", cmd_reschedule, "move an appointment (or one occurrence), checked like book"},
    {"cancel", cmd_cancel, "cancel an appointment (or one occurrence); the attendees are told"},
    {"outbox", cmd_outbox, "confirmation emails waiting, sent or failed: list, retry, drop, send, test"},
    {"status", cmd_status, "the agent, each calendar's last and next sync, open problems, next reminders"},
};

static void usage(FILE *to) {
  fprintf(to, "Usage: diaryd COMMAND [OPTION...]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(to, "  %-12s %s\n", commands[i].name, commands[i].help);
  fprintf(to, "\n'diaryd COMMAND --help' shows a command's options.\n");
}

int main(int argc, char **argv) {
  /* First: every command may read a password or a token (sync, book,
   * outbox, auth; check and agenda read the config too), and none needs a
   * core file or a debugger attached from outside. */
  secret_protect_process();
  setlocale(LC_ALL, "");
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
    printf("diaryd %s\n", DIARYD_VERSION);
    return 0;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    /* The subcommand sees itself as argv[0]. */
    g_autofree char *prog = g_strdup_printf("diaryd %s", commands[i].name);
    argv[1] = prog;
    return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "diaryd: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return EXIT_USAGE;
}
