/* libFuzzer target: calendar text -> Series -> occurrences -> checks.
 * Any crash, sanitizer report or hang is a bug. */
#include <stdint.h>
#include <string.h>

#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Zones *zones;
  if (!zones)
    zones = test_zones();
  GPtrArray *series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  GPtrArray *diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  appointments_parse((const char *)data, size, "fuzz.ics", zones, series, diags);
  Zone *tz = zones_resolve(zones, "Europe/London");
  DiaryOptions opts = {tz, civil_to_days(2026, 1, 1) * 86400, civil_to_days(2026, 3, 1) * 86400, NULL,
                       {2000, 200000}};
  Diary *diary = diary_new(&opts);
  for (guint i = 0; i < series->len; i++)
    diary_add(diary, g_ptr_array_steal_index(series, i--), diags);
  CheckRules rules;
  check_rules_init(&rules, opts.from);
  rules.max_findings = 500;
  GPtrArray *findings = checks_run(diary, &rules);
  g_ptr_array_unref(findings);
  diary_free(diary);
  g_ptr_array_unref(series);
  g_ptr_array_unref(diags);
  return 0;
}
