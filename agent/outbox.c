/* outbox: see outbox.h. */
#include "outbox.h"

#include <signal.h>
#include <unistd.h>

char *outbox_date_header(gint64 now, int utc_offset) {
  static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  utc_offset -= utc_offset % 60;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now + utc_offset);
  if (!dt)
    return g_strdup("Date: Thu, 01 Jan 1970 00:00:00 +0000");
  int off = ABS(utc_offset);
  return g_strdup_printf("Date: %s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                         days[g_date_time_get_day_of_week(dt) - 1], g_date_time_get_day_of_month(dt),
                         months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt), g_date_time_get_hour(dt),
                         g_date_time_get_minute(dt), g_date_time_get_second(dt), utc_offset < 0 ? '-' : '+',
                         off / 3600, off / 60 % 60);
}

void outbox_test_crash(const char *step) {
  const char *want = g_getenv("DIARYD_TEST_CRASH");
  if (want && !g_strcmp0(want, step))
    raise(SIGKILL);
}
