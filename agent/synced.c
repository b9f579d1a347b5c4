/* synced: see synced.h. */
#include "synced.h"

#include <string.h>

#include "poison.h"
#include "store.h"

typedef struct {
  const DiarydConfig *cfg;
  Zones *zones;
  GPtrArray *series, *diags;
  guint objects;
  gint64 calendar;  /* the calendar the busy flag below is for */
  gboolean free_time;
} Reader;

static void make_free(Appointment *appt) {
  if (appt)
    appt->transparent = TRUE;
}

static void on_object(const StoreCalendar *cal, const char *href, const char *ical, gsize len, gpointer data) {
  Reader *r = data;
  if (cal->id != r->calendar) {
    r->calendar = cal->id;
    const CalendarSettings *cs = r->cfg ? diaryd_config_calendar(r->cfg, cal->account, cal->name, cal->url) : NULL;
    r->free_time = cs && cs->busy == 0;
  }
  const char *slash = strrchr(href, '/');
  g_autofree char *source = g_strdup_printf("%s/%s/%s", cal->account, cal->name, slash ? slash + 1 : href);
  if (poison_skip(source, ical, len, r->diags))
    return;
  guint first = r->series->len;
  appointments_parse(ical, len, source, r->zones, r->series, r->diags);
  if (r->free_time)
    for (guint i = first; i < r->series->len; i++) {
      Series *s = g_ptr_array_index(r->series, i);
      make_free(s->master);
      for (guint j = 0; j < s->overrides->len; j++)
        make_free(g_ptr_array_index(s->overrides, j));
    }
  r->objects++;
}

gboolean synced_read(const char *db_path, const DiarydConfig *cfg, Zones *zones, GPtrArray *series, GPtrArray *diags,
                     guint *objects, GError **error) {
  g_autoptr(Store) store = store_open(db_path, error);
  if (!store)
    return FALSE;
  Reader r = {.cfg = cfg, .zones = zones, .series = series, .diags = diags, .calendar = -1};
  if (!store_foreach_object(store, 0, on_object, &r, error))
    return FALSE;
  *objects = r.objects;
  return TRUE;
}
