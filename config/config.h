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

/* Reads the [check] section of a GKeyFile config. */
gboolean config_load_check(CheckConfig *cfg, const char *path, GError **error);

/* The NULL-terminated views core/ takes. */
const char *const *check_config_owners(CheckConfig *cfg);
