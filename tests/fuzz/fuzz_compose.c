/* libFuzzer target: a calendar object as a server might return it ->
 * compose_move and compose_cancel (the object diaryd rewrites for
 * `reschedule` and `cancel`).  The times people type are fuzz_when's.
 * Any crash, sanitizer report, hang or leak is a bug, and so is a result
 * that core/appointment cannot read back with the same UID. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appointment.h"
#include "compose.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

#define NOW ((gint64)1796544000) /* 2026-12-06 08:00:00 UTC */

static void reads_back(const char *text, Zones *zones) {
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func((GDestroyNotify)diagnostic_free);
  CHECK(appointments_parse(text, strlen(text), "fuzz", zones, series, diags) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0;
  g_autofree char *text = g_strndup((const char *)data, size);
  static Zones *zones; /* one for the run: zones cache what they resolve */
  if (!zones)
    zones = test_zones();
  Zone *london = zones_resolve(zones, "Europe/London");
  g_autofree char *why = NULL, *why2 = NULL, *why3 = NULL;
  g_autofree char *moved = compose_move_local(text, APPT_NO_TIME, NOW + 86400, 1800, NOW, zones, london, &why);
  CHECK(moved || why);
  if (moved)
    reads_back(moved, zones);
  g_autofree char *cancelled = compose_cancel_local(text, APPT_NO_TIME, "ill", NOW, zones, london, &why2);
  CHECK(cancelled || why2);
  if (cancelled)
    reads_back(cancelled, zones);
  /* One occurrence a day after now, as if a series had it. */
  g_autofree char *one = compose_move_local(text, NOW + 86400, NOW + 2 * 86400, -1, NOW, zones, london, &why3);
  CHECK(one || why3);
  return 0;
}
