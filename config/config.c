/* config: see config.h. */
#include "config.h"

#include "when.h"

#include <string.h>

G_DEFINE_QUARK(diaryd-config-error-quark, config_error)

void check_config_init(CheckConfig *cfg, gint64 now) {
  memset(cfg, 0, sizeof *cfg);
  check_rules_init(&cfg->rules, now);
  cfg->owners = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cfg->owners, NULL);
  cfg->domains = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(cfg->domains, NULL);
  cfg->rules.owner_domains = NULL;
}

void check_config_clear(CheckConfig *cfg) {
  g_free(cfg->tz);
  if (cfg->owners)
    g_ptr_array_unref(cfg->owners);
  if (cfg->domains)
    g_ptr_array_unref(cfg->domains);
  memset(cfg, 0, sizeof *cfg);
}

/* Adds comma-separated, lower-cased entries before the terminating NULL. */
static void add_list(GPtrArray *list, const char *value, gboolean strip_mailto) {
  g_auto(GStrv) parts = g_strsplit(value, ",", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    const char *v = *p;
    if (strip_mailto && g_ascii_strncasecmp(v, "mailto:", 7) == 0)
      v += 7;
    if (!*v)
      continue;
    g_ptr_array_insert(list, (gint)list->len - 1, g_ascii_strdown(v, -1));
  }
}

const char *const *check_config_owners(CheckConfig *cfg) {
  return cfg->owners->len > 1 ? (const char *const *)cfg->owners->pdata : NULL;
}

static gboolean bad(GError **error, const char *key, const char *value, const char *example) {
  g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s: \"%s\" is not valid (example: %s)", key, value, example);
  return FALSE;
}

static gboolean set_duration(gint64 *out, const char *key, const char *value, GError **error) {
  if (!when_parse_duration(value, out))
    return bad(error, key, value, "10m, 1h30m, PT45M");
  return TRUE;
}

static gboolean set_count(guint *out, const char *key, const char *value, guint max, const char *example,
                          GError **error) {
  char *end;
  guint64 n = g_ascii_strtoull(value, &end, 10);
  if (end == value || *end || n > max || !g_ascii_isdigit(value[0]))
    return bad(error, key, value, example);
  *out = (guint)n;
  return TRUE;
}

gboolean config_set(CheckConfig *cfg, const char *key, const char *value, GError **error) {
  CheckRules *r = &cfg->rules;
  g_autofree char *bad_name = NULL;
  if (!strcmp(key, "tz")) {
    g_free(cfg->tz);
    cfg->tz = g_strdup(value);
    return TRUE;
  }
  if (!strcmp(key, "buffer"))
    return set_duration(&r->buffer, key, value, error);
  if (!strcmp(key, "travel"))
    return set_duration(&r->travel, key, value, error);
  if (!strcmp(key, "max-busy"))
    return set_duration(&r->max_busy_per_day, key, value, error);
  if (!strcmp(key, "break-after"))
    return set_duration(&r->break_after, key, value, error);
  if (!strcmp(key, "break"))
    return set_duration(&r->break_length, key, value, error);
  if (!strcmp(key, "notice"))
    return set_duration(&r->notice, key, value, error);
  if (!strcmp(key, "horizon"))
    return set_duration(&r->horizon, key, value, error);
  if (!strcmp(key, "step")) {
    if (!set_duration(&r->step, key, value, error))
      return FALSE;
    if (r->step < 60)
      return bad(error, key, value, "15m (at least 1 minute)");
    return TRUE;
  }
  if (!strcmp(key, "max-per-day"))
    return set_count(&r->max_per_day, key, value, 10000, "8 (0 = no limit)", error);
  if (!strcmp(key, "suggestions"))
    return set_count(&r->n_suggestions, key, value, 50, "3 (0 to 50)", error);
  if (!strcmp(key, "hours")) {
    if (!when_parse_hours(value, r->hours))
      return bad(error, key, value, "\"mon-fri 09:00-17:00\" or \"mon-thu 08:30-18:00, fri 09:00-13:00, sat off\"");
    return TRUE;
  }
  if (!strcmp(key, "require")) {
    if (!when_parse_require(value, &r->require, &bad_name))
      return bad(error, key, value, "time,location,attendees,requirements or none");
    return TRUE;
  }
  if (!strcmp(key, "only") || !strcmp(key, "skip")) {
    guint mask;
    if (!when_parse_checks(value, &mask, &bad_name))
      return bad(error, key, value,
                 "conflict,resource,buffer,priority,completeness,workload,hours,notice");
    r->enabled = !strcmp(key, "only") ? mask : (r->enabled & ~mask);
    return TRUE;
  }
  if (!strcmp(key, "owner")) {
    add_list(cfg->owners, value, TRUE);
    return TRUE;
  }
  if (!strcmp(key, "domain")) {
    add_list(cfg->domains, value, FALSE);
    r->owner_domains = (const char *const *)cfg->domains->pdata;
    return TRUE;
  }
  g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_UNKNOWN_KEY, "unknown setting \"%s\" (known: %s)", key,
              CONFIG_CHECK_KEYS);
  return FALSE;
}

gboolean config_apply_check(CheckConfig *cfg, GKeyFile *kf, ConfigFailFunc fail, gpointer user_data) {
  if (!g_key_file_has_group(kf, "check"))
    return TRUE;
  gboolean ok = TRUE;
  g_auto(GStrv) keys = g_key_file_get_keys(kf, "check", NULL, NULL);
  /* GKeyFile lists a key once per line that sets it but answers with the
   * last value: applying it twice would add `owner` lists twice. */
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (char **k = keys; k && *k; k++) {
    if (!g_hash_table_add(seen, *k))
      continue;
    g_autoptr(GError) local = NULL;
    g_autofree char *value = g_key_file_get_string(kf, "check", *k, &local);
    /* On a bad escape GKeyFile sets the error and still returns a string. */
    if (local || !value) {
      /* Our own words: GKeyFile's message quotes the raw value. */
      g_autoptr(GError) e = g_error_new(
          CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s: %s", *k,
          g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING)
              ? "the value is not UTF-8"
              : "the value has a bad escape (\\s, \\n, \\t, \\r and \\\\ are the ones allowed)");
      if (fail)
        fail(*k, e, user_data);
      ok = FALSE;
      continue;
    }
    if (!config_set(cfg, *k, g_strstrip(value), &local)) {
      if (fail)
        fail(*k, local, user_data);
      ok = FALSE;
    }
  }
  return ok;
}

static void keep_first(const char *key, const GError *error, gpointer user_data) {
  (void)key;
  GError **first = user_data;
  if (!*first)
    *first = g_error_copy(error);
}

gboolean config_load_check(CheckConfig *cfg, const char *path, GError **error) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID, "%s: %s", path, local->message);
    return FALSE;
  }
  if (!config_apply_check(cfg, kf, keep_first, &local)) {
    g_set_error(error, CONFIG_ERROR, local->code, "%s: [check] %s", path, local->message);
    return FALSE;
  }
  return TRUE;
}
