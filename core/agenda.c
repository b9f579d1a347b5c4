/* agenda: see agenda.h.
 *
 * The days are laid out once (what each day shows, and which occurrence
 * each finding goes beneath) and each form walks that layout, so the text,
 * brief and JSON forms cannot disagree about what a day holds.  Findings
 * are matched to occurrences by identity (source, UID, recurrence id,
 * start), the way checks names them, never by address: a Finding keeps
 * copies (FindingOcc), not pointers into the diary.
 */
#include "agenda.h"

#include <string.h>

#define CHUNK (64 * 1024)
#define TIME_WIDTH 11   /* "09:00–10:00" in characters */
#define BRIEF_WIDTH 200 /* characters per line of the brief form */
#define MAX_NAMES 3     /* attendees named before "and N others" */

/* Colours for appointments without a calendar colour, picked by their first
 * category: readable on dark and light terminals, none of them the red of
 * an error. */
static const char *const palette[] = {"#268bd2", "#2aa198", "#859900", "#b58900",
                                      "#cb4b16", "#d33682", "#6c71c4"};

typedef struct {
  const Occurrence *occ;        /* in the diary */
  char *key;                    /* identity, see occ_key() */
  const AgendaCalendar *calendar; /* not owned, or NULL */
  char colour[8];               /* "#rrggbb", or "" */
  GPtrArray *attached;          /* Finding* shown beneath it, not owned */
} Entry;

typedef struct {
  gint64 day;          /* local day number */
  gint64 start, end;   /* [start, end): its instants */
  GArray *entries;     /* of Entry: all-day first, then by start */
  GPtrArray *findings; /* anchored on the day, in report order (not owned) */
  GPtrArray *loose;    /* of those, the ones beneath no entry */
} Day;

typedef struct {
  GArray *days;          /* of Day */
  GHashTable *involving; /* occurrence key -> GPtrArray of shown Finding* involving it */
  guint n_occurrences;   /* distinct occurrences shown */
  guint counts[3];       /* shown findings by severity */
} Layout;

/* ---- identity and calendars ------------------------------------------------ */

/* Length-prefixed, so no text a calendar chooses can make two identities
 * equal. */
static char *identity(const char *source, const char *uid, gint64 recurrence_id, gint64 start) {
  source = source ? source : "";
  uid = uid ? uid : "";
  return g_strdup_printf("%zu:%s%zu:%s%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, strlen(source), source, strlen(uid),
                         uid, recurrence_id, start);
}

static char *occ_key(const Occurrence *o) {
  return identity(o->series->source, o->series->uid, o->recurrence_id, o->start);
}

static char *finding_occ_key(const FindingOcc *o) { return identity(o->source, o->uid, o->recurrence_id, o->start); }

/* "#rrggbb" or "#rrggbbaa" -> "#rrggbb" in lower case. */
static gboolean parse_colour(const char *text, char out[8]) {
  if (!text || text[0] != '#')
    return FALSE;
  gsize n = strlen(text + 1);
  if (n != 6 && n != 8)
    return FALSE;
  for (gsize i = 1; i <= n; i++)
    if (!g_ascii_isxdigit(text[i]))
      return FALSE;
  out[0] = '#';
  for (int i = 1; i <= 6; i++)
    out[i] = g_ascii_tolower(text[i]);
  out[7] = '\0';
  return TRUE;
}

static const AgendaCalendar *calendar_of(const AgendaOptions *opts, const Series *series) {
  const AgendaCalendar *best = NULL;
  gsize best_len = 0;
  const char *source = series->source;
  for (guint i = 0; source && opts->calendars && i < opts->n_calendars; i++) {
    const AgendaCalendar *c = &opts->calendars[i];
    gsize n = c->name ? strlen(c->name) : 0;
    if (n == 0 || n <= best_len || strncmp(source, c->name, n) != 0 || source[n] != '/')
      continue;
    best = c;
    best_len = n;
  }
  return best;
}

static const char *first_category(const Appointment *a) {
  for (char **c = a->categories; c && *c; c++) {
    g_autofree char *trimmed = g_strstrip(g_strdup(*c));
    if (*trimmed)
      return *c;
  }
  return NULL;
}

static void entry_colour(Entry *e) {
  e->colour[0] = '\0';
  if (e->calendar && parse_colour(e->calendar->color, e->colour))
    return;
  const char *category = first_category(e->occ->appt);
  if (!category)
    return;
  g_autofree char *valid = g_utf8_make_valid(category, -1);
  g_autofree char *folded = g_utf8_casefold(g_strstrip(valid), -1);
  /* g_str_hash is djb2: the same category gets the same colour in every run. */
  g_strlcpy(e->colour, palette[g_str_hash(folded) % G_N_ELEMENTS(palette)], sizeof e->colour);
}

/* ---- layout ------------------------------------------------------------------ */

static gint64 local_day(Zone *tz, gint64 instant) { return seconds_to_days(zone_to_local(tz, instant)); }

static gint entry_compare(gconstpointer pa, gconstpointer pb) {
  const Entry *ea = pa, *eb = pb;
  const Occurrence *a = ea->occ, *b = eb->occ;
  if (a->all_day != b->all_day)
    return a->all_day ? -1 : 1;
  return occurrence_order(a, b);
}

static void day_clear(gpointer p) {
  Day *d = p;
  for (guint i = 0; i < d->entries->len; i++) {
    Entry *e = &g_array_index(d->entries, Entry, i);
    g_free(e->key);
    g_ptr_array_unref(e->attached);
  }
  g_array_unref(d->entries);
  g_ptr_array_unref(d->findings);
  g_ptr_array_unref(d->loose);
}

static void layout_clear(Layout *l) {
  g_array_unref(l->days);
  g_hash_table_destroy(l->involving);
}

static void layout_init(Layout *l, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings) {
  Zone *tz = opts->report.tz;
  memset(l, 0, sizeof *l);
  l->days = g_array_new(FALSE, TRUE, sizeof(Day));
  g_array_set_clear_func(l->days, day_clear);
  l->involving = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  if (opts->report.to <= opts->report.from)
    return;
  gint64 first = local_day(tz, opts->report.from), last = local_day(tz, opts->report.to - 1);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

  for (gint64 d = first; d <= last; d++) {
    Day day = {d, zone_to_instant(tz, d * 86400), zone_to_instant(tz, (d + 1) * 86400), NULL, NULL, NULL};
    day.entries = g_array_new(FALSE, TRUE, sizeof(Entry));
    day.findings = g_ptr_array_new();
    day.loose = g_ptr_array_new();
    DiaryCursor cur;
    diary_cursor_init(&cur, diary, day.start, day.end, FALSE);
    for (const Occurrence *o; (o = diary_cursor_next(&cur)) != NULL;) {
      Entry e = {o, occ_key(o), calendar_of(opts, o->series), "", g_ptr_array_new()};
      entry_colour(&e);
      g_array_append_val(day.entries, e);
      g_hash_table_add(seen, (gpointer)o);
    }
    g_array_sort(day.entries, entry_compare);
    g_array_append_val(l->days, day);
  }
  l->n_occurrences = g_hash_table_size(seen);

  for (guint i = 0; findings && i < findings->len; i++) {
    Finding *f = g_ptr_array_index(findings, i);
    if (f->day < first || f->day > last)
      continue;
    Day *day = &g_array_index(l->days, Day, f->day - first);
    g_ptr_array_add(day->findings, f);
    l->counts[f->severity]++;
    for (guint j = 0; j < f->occurrences->len; j++) {
      char *key = finding_occ_key(g_ptr_array_index(f->occurrences, j));
      GPtrArray *list = g_hash_table_lookup(l->involving, key);
      if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(l->involving, key, list);
      } else {
        g_free(key);
      }
      if (list->len == 0 || g_ptr_array_index(list, list->len - 1) != f)
        g_ptr_array_add(list, f);
    }
  }

  /* Each finding goes beneath the last occurrence of its day it involves:
   * a clash is read after both sides of it. */
  for (guint i = 0; i < l->days->len; i++) {
    Day *day = &g_array_index(l->days, Day, i);
    g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint j = 0; j < day->entries->len; j++) {
      Entry *e = &g_array_index(day->entries, Entry, j);
      g_hash_table_insert(index, e->key, GUINT_TO_POINTER(j + 1));
    }
    for (guint k = 0; k < day->findings->len; k++) {
      Finding *f = g_ptr_array_index(day->findings, k);
      guint best = 0;
      for (guint j = 0; f->check != CHECK_WORKLOAD && j < f->occurrences->len; j++) {
        g_autofree char *key = finding_occ_key(g_ptr_array_index(f->occurrences, j));
        best = MAX(best, GPOINTER_TO_UINT(g_hash_table_lookup(index, key)));
      }
      if (best)
        g_ptr_array_add(g_array_index(day->entries, Entry, best - 1).attached, f);
      else
        g_ptr_array_add(day->loose, f);
    }
  }
}

static void maybe_flush(GString *out, const AgendaOptions *opts) {
  if (opts->report.flush && out->len >= CHUNK)
    opts->report.flush(out, opts->report.flush_data);
}

/* ---- pieces of a line --------------------------------------------------------- */

/* "09:00–10:00", "all day", "22:00–…" and "…–02:00" around midnight, or
 * "09:00" for a moment. */
static void append_times(GString *out, const Day *day, const Occurrence *o, Zone *tz) {
  if (o->all_day || (o->start <= day->start && o->end >= day->end && o->end > o->start)) {
    g_string_append(out, "all day");
    return;
  }
  if (o->start < day->start)
    g_string_append(out, "\u2026");
  else
    report_append_clock(out, tz, o->start);
  if (o->end == o->start)
    return;
  g_string_append(out, "\u2013");
  if (o->end > day->end)
    g_string_append(out, "\u2026");
  else
    report_append_clock(out, tz, o->end);
}

static const char *state_of(const Diary *diary, const Occurrence *o) {
  if (o->appt->status == STATUS_CANCELLED)
    return "cancelled";
  if (o->appt->transparent)
    return "free";
  if (!diary_is_busy(diary, o))
    return "declined";
  return NULL;
}

static gboolean is_person(const Attendee *a) { return a->cutype != CUTYPE_ROOM && a->cutype != CUTYPE_RESOURCE; }

static guint people_count(const Appointment *a) {
  guint n = 0;
  for (guint i = 0; a->attendees && i < a->attendees->len; i++)
    n += is_person(g_ptr_array_index(a->attendees, i));
  return n;
}

/* The common name, else the address. */
static const char *attendee_name(const Attendee *a) {
  const char *const names[] = {a->cn, a->email, a->address};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    if (!names[i])
      continue;
    g_autofree char *trimmed = g_strstrip(g_strdup(names[i]));
    if (*trimmed)
      return names[i];
  }
  return "?";
}

/* "with Alex Rivera, Jo Chen and Dana Price", "with Alex, Jo and 3 others". */
static void append_people(GString *out, const Appointment *a) {
  guint n = people_count(a), shown = n > MAX_NAMES ? MAX_NAMES - 1 : n, k = 0;
  if (n == 0)
    return;
  g_string_append(out, "with ");
  for (guint i = 0; i < a->attendees->len && k < shown; i++) {
    const Attendee *at = g_ptr_array_index(a->attendees, i);
    if (!is_person(at))
      continue;
    g_autofree char *name = report_clean_line(attendee_name(at));
    if (k)
      g_string_append(out, k + 1 == shown && shown == n ? " and " : ", ");
    g_string_append(out, g_strstrip(name));
    k++;
  }
  if (n > shown)
    g_string_append_printf(out, " and %u other%s", n - shown, n - shown == 1 ? "" : "s");
}

/* Cleaned, trimmed text; NULL when there is none. */
static char *clean(const char *text) {
  if (!text)
    return NULL;
  char *s = g_strstrip(report_clean_line(text));
  if (*s)
    return s;
  g_free(s);
  return NULL;
}

static char *title_of(const Occurrence *o) {
  char *t = clean(o->appt->summary);
  return t ? t : g_strdup("(no title)");
}

static void append_rgb(GString *out, const char *colour) {
  unsigned v = (unsigned)g_ascii_strtoull(colour + 1, NULL, 16);
  g_string_append_printf(out, "\033[38;2;%u;%u;%um", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

static void append_plural(GString *out, guint n, const char *what) {
  g_string_append_printf(out, "%u %s%s", n, what, n == 1 ? "" : "s");
}

/* ---- text ------------------------------------------------------------------------ */

static void text_entry(GString *out, const AgendaOptions *opts, const Diary *diary, const Day *day, const Entry *e) {
  const Occurrence *o = e->occ;
  gboolean colour = opts->report.colour;
  const char *state = state_of(diary, o);
  g_autofree char *title = title_of(o);
  g_autofree char *where = clean(o->appt->location);
  g_autoptr(GString) times = g_string_new(NULL);
  append_times(times, day, o, opts->report.tz);
  glong width = g_utf8_strlen(times->str, -1);

  g_string_append(out, "  ");
  if (colour && state)
    g_string_append(out, REPORT_DIM);
  if (colour && e->colour[0])
    append_rgb(out, e->colour);
  g_string_append_printf(out, "%s%*s  %s", times->str, (int)MAX(0, TIME_WIDTH - width), "", title);
  if (colour && (state || e->colour[0]))
    g_string_append(out, REPORT_RESET);
  if (state)
    g_string_append_printf(out, " (%s)", state);
  if (where)
    g_string_append_printf(out, "  @ %s", where);
  if (people_count(o->appt)) {
    g_string_append(out, "  ");
    append_people(out, o->appt);
  }
  if (e->calendar) {
    g_autofree char *name = report_clean_line(e->calendar->name);
    g_string_append_printf(out, "  %s[%s]%s", colour ? REPORT_DIM : "", name, colour ? REPORT_RESET : "");
  }
  g_string_append_c(out, '\n');
  for (guint i = 0; i < e->attached->len; i++)
    report_append_finding_text(out, &opts->report, g_ptr_array_index(e->attached, i), 4);
}

void agenda_text(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings) {
  Layout l;
  layout_init(&l, opts, diary, findings);
  for (guint i = 0; i < l.days->len; i++) {
    const Day *day = &g_array_index(l.days, Day, i);
    if (i)
      g_string_append_c(out, '\n');
    report_append_day_heading(out, &opts->report, day->day);
    if (day->entries->len == 0)
      g_string_append(out, "  Nothing scheduled.\n");
    for (guint j = 0; j < day->entries->len; j++)
      text_entry(out, opts, diary, day, &g_array_index(day->entries, Entry, j));
    for (guint j = 0; j < day->loose->len; j++)
      report_append_finding_text(out, &opts->report, g_ptr_array_index(day->loose, j), 2);
    maybe_flush(out, opts);
  }
  g_string_append_c(out, '\n');
  append_plural(out, l.n_occurrences, "appointment");
  g_string_append(out, ", ");
  append_plural(out, l.counts[SEVERITY_ERROR], "error");
  g_string_append(out, ", ");
  append_plural(out, l.counts[SEVERITY_WARNING], "warning");
  if (l.counts[SEVERITY_INFO]) {
    g_string_append(out, ", ");
    append_plural(out, l.counts[SEVERITY_INFO], "note");
  }
  g_string_append_printf(out, " (%s)\n", zone_name(opts->report.tz));
  layout_clear(&l);
}

/* ---- brief ------------------------------------------------------------------------ */

/* Adds `line` (taken) to `lines`, cut to BRIEF_WIDTH characters. */
static void brief_add(GPtrArray *lines, GString *line) {
  if (g_utf8_strlen(line->str, -1) > BRIEF_WIDTH) {
    const char *cut = g_utf8_offset_to_pointer(line->str, BRIEF_WIDTH - 1);
    g_string_truncate(line, (gsize)(cut - line->str));
    g_string_append(line, "\u2026");
  }
  g_ptr_array_add(lines, g_string_free(line, FALSE));
}

static void brief_finding(GPtrArray *lines, const Finding *f) {
  g_autofree char *msg = report_clean_line(f->message);
  GString *line = g_string_new(NULL);
  g_string_append_printf(line, "! %s: %s", check_kind_name(f->check), msg);
  brief_add(lines, line);
}

void agenda_brief(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings) {
  Layout l;
  layout_init(&l, opts, diary, findings);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  ReportOptions plain = opts->report;
  plain.colour = FALSE;
  for (guint i = 0; i < l.days->len; i++) {
    const Day *day = &g_array_index(l.days, Day, i);
    if (l.days->len > 1) {
      GString *heading = g_string_new(NULL);
      report_append_day_heading(heading, &plain, day->day);
      g_string_truncate(heading, heading->len - 1); /* its line feed */
      brief_add(lines, heading);
    }
    if (day->entries->len == 0)
      g_ptr_array_add(lines, g_strdup("Nothing scheduled."));
    for (guint j = 0; j < day->entries->len; j++) {
      const Entry *e = &g_array_index(day->entries, Entry, j);
      const char *state = state_of(diary, e->occ);
      g_autofree char *title = title_of(e->occ);
      g_autofree char *where = clean(e->occ->appt->location);
      GString *line = g_string_new(NULL);
      append_times(line, day, e->occ, opts->report.tz);
      g_string_append_printf(line, " %s", title);
      if (where)
        g_string_append_printf(line, " (%s)", where);
      if (state)
        g_string_append_printf(line, " [%s]", state);
      brief_add(lines, line);
      for (guint k = 0; k < e->attached->len; k++)
        brief_finding(lines, g_ptr_array_index(e->attached, k));
    }
    for (guint k = 0; k < day->loose->len; k++)
      brief_finding(lines, g_ptr_array_index(day->loose, k));
  }
  guint max = opts->brief_lines ? opts->brief_lines : AGENDA_BRIEF_LINES;
  guint shown = lines->len <= max ? lines->len : max - 1;
  for (guint i = 0; i < shown; i++) {
    g_string_append(out, g_ptr_array_index(lines, i));
    g_string_append_c(out, '\n');
  }
  if (shown < lines->len)
    g_string_append_printf(out, "and %u more\n", lines->len - shown);
  layout_clear(&l);
}

/* ---- JSON ------------------------------------------------------------------------- */

static void json_entry(GString *out, const Layout *l, const Diary *diary, const Entry *e) {
  const Occurrence *o = e->occ;
  const Appointment *a = o->appt;
  FindingOcc fo = {o->series->uid, o->recurrence_id, a->summary, o->start, o->end, a->location, a->priority,
                   o->series->source};
  g_string_append_c(out, '{');
  report_append_occurrence_json(out, &fo);
  g_string_append_printf(out, ", \"all_day\": %s, \"busy\": %s, \"status\": ", o->all_day ? "true" : "false",
                         diary_is_busy(diary, o) ? "true" : "false");
  report_append_json_string(out, report_status_name(a->status));
  g_string_append(out, ", \"calendar\": ");
  report_append_json_string(out, e->calendar ? e->calendar->name : NULL);
  g_string_append(out, ", \"color\": ");
  report_append_json_string(out, e->colour[0] ? e->colour : NULL);
  g_string_append(out, ", \"categories\": [");
  for (char **c = a->categories; c && *c; c++) {
    if (c != a->categories)
      g_string_append(out, ", ");
    report_append_json_string(out, *c);
  }
  g_string_append_printf(out, "], \"attendees\": %u, \"findings\": [", people_count(a));
  GPtrArray *involving = g_hash_table_lookup(l->involving, e->key);
  for (guint i = 0; involving && i < involving->len; i++) {
    if (i)
      g_string_append(out, ", ");
    report_append_json_string(out, ((Finding *)g_ptr_array_index(involving, i))->key);
  }
  g_string_append(out, "]}");
}

void agenda_json(GString *out, const AgendaOptions *opts, const Diary *diary, GPtrArray *findings) {
  Layout l;
  layout_init(&l, opts, diary, findings);
  g_string_append(out, "{\"window\": ");
  report_append_window_json(out, &opts->report);
  g_string_append(out, ",\n \"days\": [");
  for (guint i = 0; i < l.days->len; i++) {
    const Day *day = &g_array_index(l.days, Day, i);
    g_string_append(out, i ? ",\n  {\"date\": \"" : "\n  {\"date\": \"");
    report_append_date(out, day->day);
    g_string_append(out, "\",\n   \"occurrences\": [");
    for (guint j = 0; j < day->entries->len; j++) {
      g_string_append(out, j ? ",\n    " : "\n    ");
      json_entry(out, &l, diary, &g_array_index(day->entries, Entry, j));
    }
    g_string_append(out, "],\n   \"findings\": [");
    for (guint j = 0; j < day->findings->len; j++) {
      g_string_append(out, j ? ",\n    " : "\n    ");
      report_append_finding_json(out, g_ptr_array_index(day->findings, j));
    }
    g_string_append(out, "]}");
    maybe_flush(out, opts);
  }
  g_string_append(out, l.days->len ? "\n ]}\n" : "]}\n");
  layout_clear(&l);
}
