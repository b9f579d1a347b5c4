/* icaledit: see icaledit.h. */
#include "icaledit.h"

void icaledit_collect_tzids(icalcomponent *c, GPtrArray *tzids) {
  for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    icalparameter *tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    const char *id = tz ? icalparameter_get_tzid(tz) : NULL;
    if (id && *id && !g_ptr_array_find_with_equal_func(tzids, id, g_str_equal, NULL))
      g_ptr_array_add(tzids, (gpointer)id);
  }
}

icalcomponent *icaledit_find_vtimezone(icalcomponent *root, const char *tzid) {
  for (icalcomponent *tz = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT); tz;
       tz = icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT)) {
    icalproperty *p = icalcomponent_get_first_property(tz, ICAL_TZID_PROPERTY);
    if (p && !g_strcmp0(icalproperty_get_tzid(p), tzid))
      return tz;
  }
  return NULL;
}

icalcomponent *icaledit_copy_vtimezone(icaltimezone *itz, const char *tzid) {
  if (!itz || itz == icaltimezone_get_utc_timezone())
    return NULL;
  icalcomponent *def = icaltimezone_get_component(itz);
  if (!def)
    return NULL;
  icalcomponent *copy = icalcomponent_new_clone(def);
  icalproperty *p = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY);
  if (p)
    icalproperty_set_tzid(p, tzid);
  else
    icalcomponent_add_property(copy, icalproperty_new_tzid(tzid));
  return copy;
}

icalcomponent *icaledit_vtimezone_from_database(Zones *zones, const char *tzid) {
  Zone *z = zones_lookup_exact(zones, tzid);
  return z ? icaledit_copy_vtimezone(zone_ical(z), tzid) : NULL;
}

void icaledit_remove_all(icalcomponent *c, icalproperty_kind kind) {
  icalproperty *p;
  while ((p = icalcomponent_get_first_property(c, kind))) {
    icalcomponent_remove_property(c, p);
    icalproperty_free(p);
  }
}
