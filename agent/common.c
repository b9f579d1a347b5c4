/* common: what check, slots, occurrences, agenda and the agent's refresh
 * share: the rule flags, the window, and reading the diary. */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "calfiles.h"
#include "cli.h"
#include "common.h"
#include "poison.h"
#include "report.h"
#include "store.h"
#include "synced.h"
#include "tzdb.h"
#include "when.h"

#define MAX_WINDOW_DAYS (10 * 366)

/* ---- options shared by check, slots and occurrences ---------------------- */

static gboolean collect_setting(const char *option_name, const char *value, gpointer data, GError **error) {
  (void)error;
  Common *c = data;
  const char *key = option_name + (g_str_has_prefix(option_name, "--") ? 2 : 0);
  g_ptr_array_add(c->settings, g_strdup(key));
  g_ptr_array_add(c->settings, g_strdup(value));
  return TRUE;
}

#define SETTING(name, arg, help) {name, 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)collect_setting, help, arg}

static const GOptionEntry rule_entries[] = {
    SETTING("tz", "ZONE", "Time zone for dates, floating times and working hours (default: the system's)"),
    SETTING("buffer", "DUR", "Gap required between appointments at one place (default 10m)"),
    SETTING("travel", "DUR", "Gap required when the location changes (default 30m)"),
    SETTING("hours", "SPEC", "Working hours, e.g. \"mon-fri 09:00-17:00\" (the default)"),
    SETTING("max-per-day", "N", "Most appointments in a day (default 8, 0 = no limit)"),
    SETTING("max-busy", "DUR", "Most busy time in a day (default 8h)"),
    SETTING("break-after", "DUR", "Busy time after which a break is due (default 4h)"),
    SETTING("break", "DUR", "Shortest gap that counts as a break (default 15m)"),
    SETTING("notice", "DUR", "Minimum notice before an appointment (default 2h)"),
    SETTING("require", "LIST", "Details every appointment needs: time,location,attendees,requirements (default time,location)"),
    SETTING("only", "LIST", "Run only these checks (comma-separated)"),
    SETTING("skip", "LIST", "Skip these checks (comma-separated)"),
    SETTING("owner", "ADDR", "The diary owner's address (repeatable): their declined events are free"),
    SETTING("domain", "DOMAIN", "The owner's mail domain (repeatable): other attendees are outside"),
    SETTING("step", "DUR", "Slot grid (default 15m)"),
    SETTING("suggestions", "N", "Free slots offered with each clash (default 3)"),
    SETTING("horizon", "DUR", "How far a suggestion may move an appointment (default 14d)"),
    {NULL}};

void common_init(Common *c) {
  memset(c, 0, sizeof *c);
  c->settings = g_ptr_array_new_with_free_func(g_free);
}

void common_clear(Common *c) {
  g_free(c->from);
  g_free(c->to);
  g_free(c->config);
  g_free(c->colour);
  g_free(c->now);
  g_free(c->max_size);
  g_free(c->db);
  g_ptr_array_unref(c->settings);
  check_config_clear(&c->cfg);
}

GOptionContext *common_context(const char *params, const char *summary, Common *c, const GOptionEntry *extra) {
  const GOptionEntry common_entries[] = {
      {"from", 0, 0, G_OPTION_ARG_STRING, &c->from, "First local date of the window (default: today)", "DATE"},
      {"to", 0, 0, G_OPTION_ARG_STRING, &c->to, "Local date the window ends before", "DATE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &c->json, "Machine-readable output", NULL},
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &c->config, "Read settings from the [check] section of FILE", "FILE"},
      {"color", 0, 0, G_OPTION_ARG_STRING, &c->colour, "auto, always or never", "WHEN"},
      {"now", 0, 0, G_OPTION_ARG_STRING, &c->now, "Pretend it is this instant (RFC 3339), for scripts and tests", "TIME"},
      {"max-size", 0, 0, G_OPTION_ARG_STRING, &c->max_size, "Largest file read, in MB (default 32)", "MB"},
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &c->db, "With no PATH: the store diaryd sync keeps (default: "
       "$XDG_STATE_HOME/diaryd/diaryd.db)", "FILE"},
      {NULL}};
  GOptionContext *ctx = g_option_context_new(params);
  g_option_context_set_summary(ctx, summary);
  g_option_context_set_description(ctx, "Rule settings can also be written as keys of a [check] section in the "
                                        "--config file (buffer = 15m); flags win.\n"
                                        "Durations: 45m, 1h30m, PT45M.  Dates: 2026-03-02.");
  /* One group, so that --help shows every flag; the rule flags' callbacks
   * get `c` as their data. */
  GOptionGroup *main_group = g_option_group_new(NULL, NULL, NULL, c, NULL);
  g_option_group_add_entries(main_group, common_entries);
  if (extra)
    g_option_group_add_entries(main_group, extra);
  g_option_group_add_entries(main_group, rule_entries);
  g_option_context_set_main_group(ctx, main_group);
  return ctx;
}

void common_print_diagnostics(GPtrArray *diags) {
  for (guint i = 0; i < diags->len; i++) {
    g_autofree char *line = diagnostic_format(g_ptr_array_index(diags, i));
    g_autofree char *clean = report_clean_line(line);
    fprintf(stderr, "diaryd: %s\n", clean);
  }
  g_ptr_array_set_size(diags, 0);
}

gboolean common_want_colour(const Common *c) { return cli_want_colour(c->colour); }

void common_setup_clear(Setup *s) {
  if (s->series)
    g_ptr_array_unref(s->series);
  if (s->diags)
    g_ptr_array_unref(s->diags);
  zones_free(s->zones);
}

char *common_default_folder(void) { return g_build_filename(g_get_user_data_dir(), "diaryd", "calendar", NULL); }

/* Applies settings and reads the inputs.  Returns 0 or EXIT_USAGE. */
int common_setup(Common *c, char **paths, gint64 default_days, Setup *s) {
  memset(s, 0, sizeof *s);
  g_autoptr(GError) error = NULL;
  if (c->colour && strcmp(c->colour, "auto") && strcmp(c->colour, "always") && strcmp(c->colour, "never")) {
    fprintf(stderr, "diaryd: --color: \"%s\" is not auto, always or never\n", c->colour);
    return EXIT_USAGE;
  }
  s->now = g_get_real_time() / G_USEC_PER_SEC;
  if (c->now && !when_parse_instant(c->now, &s->now)) {
    fprintf(stderr, "diaryd: --now: \"%s\" is not an RFC 3339 time (example: 2026-03-02T09:00:00Z)\n", c->now);
    return EXIT_USAGE;
  }
  check_config_init(&c->cfg, s->now);
  /* The [check] section of --config, else of the default config file when
   * there is one. */
  g_autofree char *check_path = c->config ? g_strdup(c->config) : diaryd_config_default_path();
  if ((c->config || g_file_test(check_path, G_FILE_TEST_EXISTS)) && !config_load_check(&c->cfg, check_path, &error)) {
    fprintf(stderr, "diaryd: %s\n", error->message);
    return EXIT_USAGE;
  }
  for (guint i = 0; i + 1 < c->settings->len; i += 2) {
    const char *key = g_ptr_array_index(c->settings, i), *value = g_ptr_array_index(c->settings, i + 1);
    if (!config_set(&c->cfg, key, value, &error)) {
      fprintf(stderr, "diaryd: --%s\n", error->message);
      return EXIT_USAGE;
    }
  }
  gsize max_size = CALFILES_DEFAULT_MAX_SIZE;
  if (c->max_size) {
    char *end;
    double mb = g_ascii_strtod(c->max_size, &end);
    if (end == c->max_size || *end || mb < 0.001 || mb > 4096) {
      fprintf(stderr, "diaryd: --max-size: \"%s\" is not a size in MB (example: 64)\n", c->max_size);
      return EXIT_USAGE;
    }
    max_size = (gsize)(mb * 1024 * 1024);
  }

  s->zones = zones_new(tzdb_lookup, NULL);
  g_autofree char *tzname = c->cfg.tz ? g_strdup(c->cfg.tz) : tzdb_system_zone();
  s->tz = zones_resolve(s->zones, tzname);
  if (!s->tz) {
    fprintf(stderr, "diaryd: --tz: unknown time zone \"%s\" (example: Europe/London)\n", tzname);
    return EXIT_USAGE;
  }

  gint64 today = seconds_to_days(zone_to_local(s->tz, s->now));
  s->from_day = today;
  if (c->from && !when_parse_date(c->from, &s->from_day)) {
    fprintf(stderr, "diaryd: --from: \"%s\" is not a date (example: 2026-03-02)\n", c->from);
    return EXIT_USAGE;
  }
  s->to_day = s->from_day + default_days;
  if (c->to && !when_parse_date(c->to, &s->to_day)) {
    fprintf(stderr, "diaryd: --to: \"%s\" is not a date (example: 2026-04-01)\n", c->to);
    return EXIT_USAGE;
  }
  if (s->to_day <= s->from_day || s->to_day - s->from_day > MAX_WINDOW_DAYS) {
    fprintf(stderr, "diaryd: the window must end after it starts and span at most 10 years\n");
    return EXIT_USAGE;
  }
  s->from = zone_to_instant(s->tz, s->from_day * 86400);
  s->to = zone_to_instant(s->tz, s->to_day * 86400);

  s->series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  s->diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  if (paths && paths[0]) {
    calfiles_read((const char *const *)paths, max_size, s->zones, s->series, s->diags, &s->stats);
    common_print_diagnostics(s->diags);
    if (s->stats.files_read == 0) {
      fprintf(stderr, "diaryd: nothing could be read\n");
      return EXIT_USAGE;
    }
    return 0;
  }

  /* No paths: the diary diaryd sync keeps, and the local calendar folder. */
  g_autofree char *db = c->db ? g_strdup(c->db) : store_default_path();
  if (c->db && !g_file_test(db, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "diaryd: --db: %s does not exist (run diaryd sync first)\n", db);
    return EXIT_USAGE;
  }
  poison_begin(db); /* objects in quarantine are left out, by every reader */
  if (g_file_test(db, G_FILE_TEST_EXISTS)) {
    g_autofree char *cfg_path = c->config ? g_strdup(c->config) : diaryd_config_default_path();
    g_autoptr(DiarydConfig) dcfg = diaryd_config_load(cfg_path, c->config != NULL, NULL);
    if (!synced_read(db, dcfg, s->zones, s->series, s->diags, &s->synced_objects, &error)) {
      fprintf(stderr, "diaryd: %s\n", error->message);
      return EXIT_USAGE;
    }
    common_print_diagnostics(s->diags);
  }
  g_autofree char *folder = common_default_folder();
  gboolean have_folder = g_file_test(folder, G_FILE_TEST_IS_DIR);
  /* An empty local folder is the normal state of a synced diary: no warning. */
  g_autoptr(GDir) dir = have_folder ? g_dir_open(folder, 0, NULL) : NULL;
  if (dir && g_dir_read_name(dir)) {
    const char *folder_paths[2] = {folder, NULL};
    calfiles_read(folder_paths, max_size, s->zones, s->series, s->diags, &s->stats);
    common_print_diagnostics(s->diags);
  }
  if (s->synced_objects > 0 || s->stats.files_read > 0 || c->allow_empty)
    return 0;
  if (!have_folder)
    fprintf(stderr, "diaryd: no calendar given: name .ics files or folders, or run diaryd sync (the local calendar "
                    "folder %s does not exist)\n", folder);
  else
    fprintf(stderr, "diaryd: nothing could be read\n");
  return EXIT_USAGE;
}

/* Moves the series into a diary over [from, to). */
Diary *common_build_diary(Common *c, Setup *s, gint64 from, gint64 to) {
  DiaryOptions opts = {s->tz, from, to, check_config_owners(&c->cfg), {0, 0}};
  Diary *diary = diary_new(&opts);
  for (guint i = 0; i < s->series->len; i++) {
    Series *series = g_ptr_array_steal_index_fast(s->series, i--);
    poison_expanding(series->source);
    diary_add(diary, series, s->diags);
  }
  poison_done();
  common_print_diagnostics(s->diags);
  return diary;
}

/* Releases what a command built and passes its exit status through. */
int common_finish(Common *c, Setup *s, int rc) {
  common_setup_clear(s);
  common_clear(c);
  return rc;
}

void common_write(GString *out) {
  fwrite(out->str, 1, out->len, stdout);
  fflush(stdout);
}

/* ReportFlush: long reports go out in chunks instead of piling up. */
void common_flush(GString *out, gpointer data) {
  (void)data;
  fwrite(out->str, 1, out->len, stdout);
  g_string_truncate(out, 0);
}

gboolean common_keep_calendar(Setup *s, const char *calendar) {
  gboolean with_account = strchr(calendar, '/') != NULL;
  for (guint i = 0; i < s->series->len; i++) {
    const Series *series = g_ptr_array_index(s->series, i);
    const char *src = series->source ? series->source : "";
    const char *first = strchr(src, '/');
    const char *last = strrchr(src, '/');
    gboolean keep = FALSE;
    if (first && last && first != last && src[0] != '/') {
      /* "ACCOUNT/NAME/OBJECT": the calendar is what lies before the object. */
      g_autofree char *label = g_strndup(src, (gsize)(last - src));
      keep = !strcmp(with_account ? label : label + (first - src) + 1, calendar);
    }
    if (!keep)
      g_ptr_array_remove_index(s->series, i--);
  }
  return s->series->len > 0;
}
