/* config: the settings that shape the checks, from the config file's
 * [check] section and from command-line flags.
 *
 * Both go through config_set(), with the same names (the flag --max-busy is
 * the key max-busy), so a setting means the same thing wherever it is
 * written.  Errors name the file and key, or the flag.
 */
#pragma once

#include <glib.h>

#include "checks.h"

typedef struct {
  char *tz;            /* zone name; NULL = the system's */
  CheckRules rules;
  GPtrArray *owners;   /* lower-case owner addresses (char*), NULL-terminated for core */
  GPtrArray *domains;  /* lower-case owner mail domains, NULL-terminated for core */
} CheckConfig;

#define CONFIG_ERROR (config_error_quark())
GQuark config_error_quark(void);
typedef enum { CONFIG_ERROR_INVALID, CONFIG_ERROR_UNKNOWN_KEY, CONFIG_ERROR_UNSAFE } ConfigError;

void check_config_init(CheckConfig *cfg, gint64 now);
void check_config_clear(CheckConfig *cfg);

/* Applies one setting.  Keys: tz, buffer, travel, hours, max-per-day,
 * max-busy, break-after, break, notice, require, only, skip, owner, domain,
 * step, suggestions, horizon.  `owner` and `domain` accept comma-separated
 * lists and add to what is there. */
gboolean config_set(CheckConfig *cfg, const char *key, const char *value, GError **error);

/* The keys config_set() accepts, comma-separated, for messages. */
#define CONFIG_CHECK_KEYS                                                                                         \
  "tz, buffer, travel, hours, max-per-day, max-busy, break-after, break, notice, require, only, skip, owner, "   \
  "domain, step, suggestions, horizon"

/* Called for each key of [check] that config_apply_check() could not apply;
 * the error's message names the key. */
typedef void (*ConfigFailFunc)(const char *key, const GError *error, gpointer user_data);

/* Applies every key of the [check] group of `kf` through config_set(), in
 * file order, each key once (a key written twice has the last value, as
 * GKeyFile reads it), with surrounding blanks removed from the values.  Goes
 * on after a failure: each one is handed to `fail` (may be NULL).  Returns
 * FALSE when any key failed.  The one path from a file into config_set(),
 * shared by config_load_check() and diaryd_config_load() (accounts.h). */
gboolean config_apply_check(CheckConfig *cfg, GKeyFile *kf, ConfigFailFunc fail, gpointer user_data);

/* Reads the [check] section of a GKeyFile config.  The error (CONFIG_ERROR)
 * names the file and the first key that failed. */
gboolean config_load_check(CheckConfig *cfg, const char *path, GError **error);

/* The NULL-terminated views core/ takes. */
const char *const *check_config_owners(CheckConfig *cfg);
