/* tzdb: see tzdb.h. */
#include "tzdb.h"

#include <string.h>

static gboolean plausible_name(const char *name) {
  gsize len = strlen(name);
  if (len == 0 || len > 64 || name[0] == '/' || strstr(name, ".."))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("/_+-", *p))
      return FALSE;
  return TRUE;
}

icaltimezone *tzdb_lookup(const char *iana_name, gpointer user_data) {
  (void)user_data;
  if (!iana_name || !plausible_name(iana_name))
    return NULL;
  if (strcmp(iana_name, "UTC") == 0)
    return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(iana_name);
}

static char *zone_from_path(const char *path) {
  const char *z = strstr(path, "zoneinfo/");
  if (!z)
    return NULL;
  z += strlen("zoneinfo/");
  if (g_str_has_prefix(z, "posix/"))
    z += strlen("posix/");
  return plausible_name(z) ? g_strdup(z) : NULL;
}

char *tzdb_system_zone(void) {
  const char *tz = g_getenv("TZ");
  if (tz && *tz) {
    if (*tz == ':')
      tz++;
    if (g_path_is_absolute(tz)) {
      char *z = zone_from_path(tz);
      if (z)
        return z;
    } else if (plausible_name(tz) && tzdb_lookup(tz, NULL)) {
      return g_strdup(tz);
    }
  }
  g_autofree char *contents = NULL;
  if (g_file_get_contents("/etc/timezone", &contents, NULL, NULL)) {
    g_strstrip(contents);
    if (plausible_name(contents) && tzdb_lookup(contents, NULL))
      return g_strdup(contents);
  }
  g_autofree char *target = g_file_read_link("/etc/localtime", NULL);
  if (target) {
    char *z = zone_from_path(target);
    if (z)
      return z;
  }
  return g_strdup("UTC");
}
