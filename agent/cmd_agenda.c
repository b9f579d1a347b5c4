/* cmd_agenda: `diaryd agenda`, the diary of a day (or a week) with the
 * problems the checks find in it.
 *
 * The view is one local day (today, tomorrow, a date) or seven (week),
 * in --tz; "today" is the day of --now.  The findings come from the checks
 * run over the days shown with the two days after them in the diary, so an
 * appointment late on the last day still meets its neighbour; the diary
 * starts on the first day shown, as `check --from` would, so findings keep
 * the days and keys `check` gives them.  Agenda is a view: it exits 0 even
 * when there are findings, 2 for bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "agenda.h"
#include "checks.h"
#include "cli.h"
#include "common.h"
#include "report.h"
#include "store.h"
#include "when.h"

#define NEIGHBOUR_DAYS 2

typedef enum { VIEW_DEFAULT, VIEW_TODAY, VIEW_TOMORROW, VIEW_WEEK, VIEW_DATE } View;

#define VIEW_EXAMPLES "today, tomorrow, week or a date such as 2026-12-08"

/* What the first argument asks for.  A day word or a date is a view; an
 * existing file or folder, or anything with a slash or ending in .ics, is a
 * path; anything else is a mistake (FALSE). */
static gboolean parse_view(const char *arg, View *view, gint64 *day) {
  *view = VIEW_DEFAULT;
  if (!g_ascii_strcasecmp(arg, "today"))
    *view = VIEW_TODAY;
  else if (!g_ascii_strcasecmp(arg, "tomorrow"))
    *view = VIEW_TOMORROW;
  else if (!g_ascii_strcasecmp(arg, "week"))
    *view = VIEW_WEEK;
  else if (when_parse_date(arg, day))
    *view = VIEW_DATE;
  else
    return g_file_test(arg, G_FILE_TEST_EXISTS) || strchr(arg, '/') || g_str_has_suffix(arg, ".ics");
  return TRUE;
}

/* The colours of the synced calendars: the config's `[calendar ACCOUNT/NAME]
 * color`, else the one the server gave.  `keep` owns the strings. */
typedef struct {
  GArray *calendars; /* of AgendaCalendar */
  GPtrArray *keep;
} Calendars;

static void calendars_clear(Calendars *cals) {
  g_array_unref(cals->calendars);
  g_ptr_array_unref(cals->keep);
}

static const char *keep_str(Calendars *cals, char *text) {
  if (text)
    g_ptr_array_add(cals->keep, text);
  return text;
}

static void calendars_read(Calendars *cals, const Common *c, gboolean synced) {
  cals->calendars = g_array_new(FALSE, TRUE, sizeof(AgendaCalendar));
  cals->keep = g_ptr_array_new_with_free_func(g_free);
  if (!synced) /* files name no calendar */
    return;
  g_autofree char *db = c->db ? g_strdup(c->db) : store_default_path();
  if (!g_file_test(db, G_FILE_TEST_EXISTS))
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db, &error);
  g_autoptr(GPtrArray) list = store ? store_calendars(store, NULL, &error) : NULL;
  if (!list) {
    cli_say(stderr, "warning: calendar colours: %s", error->message);
    return;
  }
  g_autofree char *cfg_path = c->config ? g_strdup(c->config) : diaryd_config_default_path();
  g_autoptr(DiarydConfig) dcfg = diaryd_config_load(cfg_path, c->config != NULL, NULL);
  for (guint i = 0; i < list->len; i++) {
    const StoreCalendar *sc = g_ptr_array_index(list, i);
    const CalendarSettings *cs = diaryd_config_calendar(dcfg, sc->account, sc->name, sc->url);
    AgendaCalendar ac = {keep_str(cals, g_strdup_printf("%s/%s", sc->account, sc->name)),
                         keep_str(cals, g_strdup(cs && cs->color ? cs->color : sc->color))};
    g_array_append_val(cals->calendars, ac);
  }
}

int cmd_agenda(int argc, char **argv) {
  Common c;
  common_init(&c);
  gboolean brief = FALSE;
  const GOptionEntry entries[] = {
      {"brief", 0, 0, G_OPTION_ARG_NONE, &brief,
       "Plain compact text for a notification body: one line per appointment and per problem, at most 20", NULL},
      {NULL}};
  g_autoptr(GOptionContext) ctx = common_context(
      "[today|tomorrow|week|DATE] [PATH...]",
      "The diary of one day (today by default, tomorrow, or a date such as 2026-12-08) or of the week from\n"
      "today (or from --from), with the problems the checks find inline; with no PATH, the diary diaryd sync\n"
      "keeps and the local calendar folder.",
      &c, entries);
  int rc = cli_parse(ctx, &argc, &argv);
  char **paths = argv + 1;
  View view = VIEW_DEFAULT;
  const char *view_arg = NULL;
  gint64 day = 0;
  if (rc == 0 && paths[0]) {
    view_arg = paths[0];
    if (!parse_view(paths[0], &view, &day)) {
      g_autofree char *shown = report_clean_line(paths[0]);
      fprintf(stderr, "diaryd: agenda: \"%s\" is not a day, nor a file or folder (give " VIEW_EXAMPLES ")\n",
              shown);
      rc = EXIT_USAGE;
    } else if (view != VIEW_DEFAULT) {
      paths++;
    }
  }
  if (rc == 0 && brief && c.json) {
    fprintf(stderr, "diaryd: agenda: --brief and --json do not go together\n");
    rc = EXIT_USAGE;
  }
  if (rc == 0 && (view == VIEW_TODAY || view == VIEW_TOMORROW || view == VIEW_DATE) && (c.from || c.to)) {
    fprintf(stderr, "diaryd: agenda: give a day or --from/--to, not both (e.g. diaryd agenda 2026-12-08, or "
                    "diaryd agenda week --from 2026-12-07)\n");
    rc = EXIT_USAGE;
  }
  if (rc == 0 && view == VIEW_WEEK && c.to) {
    fprintf(stderr, "diaryd: agenda: week is seven days from --from; --to does not go with it\n");
    rc = EXIT_USAGE;
  }
  if (rc == 0 && view == VIEW_DATE)
    c.from = g_strdup(view_arg);
  c.allow_empty = TRUE;
  Setup s = {0};
  if (rc == 0)
    rc = common_setup(&c, paths, view == VIEW_WEEK ? 7 : 1, &s);
  if (rc)
    return common_finish(&c, &s, rc);
  if (view == VIEW_TOMORROW) {
    s.from_day++;
    s.to_day++;
    s.from = zone_to_instant(s.tz, s.from_day * 86400);
    s.to = zone_to_instant(s.tz, s.to_day * 86400);
  }

  g_autoptr(Diary) diary =
      common_build_diary(&c, &s, s.from, zone_to_instant(s.tz, (s.to_day + NEIGHBOUR_DAYS) * 86400));
  g_autoptr(GPtrArray) findings = checks_run_days(diary, &c.cfg.rules, s.from_day, s.to_day - 1);
  Calendars cals = {0};
  calendars_read(&cals, &c, paths[0] == NULL);
  AgendaOptions aopts = {{s.tz, s.from, s.to, !brief && common_want_colour(&c), common_flush, NULL},
                         (const AgendaCalendar *)(void *)cals.calendars->data, cals.calendars->len, 0};
  g_autoptr(GString) out = g_string_new(NULL);
  if (c.json)
    agenda_json(out, &aopts, diary, findings);
  else if (brief)
    agenda_brief(out, &aopts, diary, findings);
  else
    agenda_text(out, &aopts, diary, findings);
  common_write(out);
  calendars_clear(&cals);
  return common_finish(&c, &s, 0);
}
