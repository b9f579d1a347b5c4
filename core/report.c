/* report: see report.h. */
#include "report.h"

#include <string.h>

#define C_RESET REPORT_RESET
#define C_BOLD REPORT_BOLD
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_DIM REPORT_DIM

void report_append_instant(GString *out, gint64 instant) {
  gint64 days = seconds_to_days(instant);
  gint64 rest = instant - days * 86400;
  int y, m, d;
  days_to_civil(days, &y, &m, &d);
  g_string_append_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rest / 3600), (int)(rest / 60 % 60),
                         (int)(rest % 60));
}

void report_append_json_string(GString *out, const char *text) {
  if (!text) {
    g_string_append(out, "null");
    return;
  }
  /* JSON is UTF-8: file names and the like may not be. */
  g_autofree char *valid = g_utf8_validate(text, -1, NULL) ? NULL : g_utf8_make_valid(text, -1);
  if (valid)
    text = valid;
  g_string_append_c(out, '"');
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
    case '"':
      g_string_append(out, "\\\"");
      break;
    case '\\':
      g_string_append(out, "\\\\");
      break;
    case '\n':
      g_string_append(out, "\\n");
      break;
    case '\r':
      g_string_append(out, "\\r");
      break;
    case '\t':
      g_string_append(out, "\\t");
      break;
    default:
      if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf(out, "\\u%04x", *p);
      else
        g_string_append_c(out, (char)*p);
    }
  }
  g_string_append_c(out, '"');
}

void report_append_date(GString *out, gint64 day) {
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  g_string_append_printf(out, "%04d-%02d-%02d", y, m, d);
}

static void append_instant_or_null(GString *out, gint64 instant) {
  if (instant == APPT_NO_TIME) {
    g_string_append(out, "null");
    return;
  }
  g_string_append_c(out, '"');
  report_append_instant(out, instant);
  g_string_append_c(out, '"');
}

void report_append_json_instant(GString *out, gint64 instant) { append_instant_or_null(out, instant); }

void report_append_window_json(GString *out, const ReportOptions *opts) {
  g_string_append(out, "{\"from\": ");
  append_instant_or_null(out, opts->from);
  g_string_append(out, ", \"to\": ");
  append_instant_or_null(out, opts->to);
  g_string_append(out, ", \"tz\": ");
  report_append_json_string(out, zone_name(opts->tz));
  g_string_append_c(out, '}');
}

void report_append_slots_json(GString *out, GArray *slots) {
  g_string_append_c(out, '[');
  for (guint i = 0; slots && i < slots->len; i++) {
    const Slot *s = &g_array_index(slots, Slot, i);
    g_string_append(out, i ? ", {\"start\": " : "{\"start\": ");
    append_instant_or_null(out, s->start);
    g_string_append(out, ", \"end\": ");
    append_instant_or_null(out, s->end);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
}

#define CHUNK (64 * 1024)

static void maybe_flush(GString *out, const ReportOptions *opts) {
  if (opts->flush && out->len >= CHUNK)
    opts->flush(out, opts->flush_data);
}

void report_append_occurrence_json(GString *out, const FindingOcc *o) {
  g_string_append(out, "\"uid\": ");
  report_append_json_string(out, o->uid);
  g_string_append(out, ", \"recurrence_id\": ");
  append_instant_or_null(out, o->recurrence_id);
  g_string_append(out, ", \"summary\": ");
  report_append_json_string(out, o->summary);
  g_string_append(out, ", \"start\": ");
  append_instant_or_null(out, o->start);
  g_string_append(out, ", \"end\": ");
  append_instant_or_null(out, o->end);
  g_string_append(out, ", \"location\": ");
  report_append_json_string(out, o->location);
  g_string_append_printf(out, ", \"priority\": %d, \"source\": ", o->priority);
  report_append_json_string(out, o->source);
}

void report_append_finding_json(GString *out, const Finding *f) {
  g_string_append(out, "{\"check\": ");
  report_append_json_string(out, check_kind_name(f->check));
  g_string_append(out, ", \"severity\": ");
  report_append_json_string(out, severity_name(f->severity));
  g_string_append(out, ", \"message\": ");
  report_append_json_string(out, f->message);
  g_string_append(out, ", \"rule\": ");
  report_append_json_string(out, f->rule);
  g_string_append(out, ", \"key\": ");
  report_append_json_string(out, f->key);
  if (f->gap >= 0)
    g_string_append_printf(out, ", \"gap_seconds\": %" G_GINT64_FORMAT ", \"required_seconds\": %" G_GINT64_FORMAT,
                           f->gap, f->required);
  g_string_append(out, ",\n   \"occurrences\": [");
  for (guint j = 0; j < f->occurrences->len; j++) {
    g_string_append(out, j ? ",\n    {" : "\n    {");
    report_append_occurrence_json(out, g_ptr_array_index(f->occurrences, j));
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, ']');
  if (f->slots) {
    g_string_append(out, ",\n   \"suggestion\": {\"move\": ");
    report_append_json_string(out, f->move_uid);
    g_string_append(out, ", \"move_recurrence_id\": ");
    append_instant_or_null(out, f->move_recurrence_id);
    g_string_append(out, ", \"slots\": ");
    report_append_slots_json(out, f->slots);
    g_string_append_c(out, '}');
  }
  g_string_append_c(out, '}');
}

void report_findings_json(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings) {
  g_string_append(out, "{\"window\": ");
  report_append_window_json(out, opts);
  g_string_append_printf(out, ",\n \"occurrences\": %u,\n \"findings\": [", n_occurrences);
  for (guint i = 0; i < findings->len; i++) {
    maybe_flush(out, opts);
    g_string_append(out, i ? ",\n  " : "\n  ");
    report_append_finding_json(out, g_ptr_array_index(findings, i));
  }
  g_string_append(out, findings->len ? "\n ]}\n" : "]}\n");
}

/* ---- text -------------------------------------------------------------- */

/* Characters that could steer a terminal or reorder the text around them:
 * C0 and C1 controls, line and paragraph separators, bidi controls. */
static gboolean unsafe_char(gunichar c) {
  return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c;
}

char *report_clean_line(const char *text) {
  if (!text)
    return g_strdup("");
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  GString *out = g_string_sized_new(strlen(valid));
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (unsafe_char(c))
      g_string_append_c(out, ' ');
    else
      g_string_append_len(out, p, g_utf8_next_char(p) - p);
  }
  return g_string_free(out, FALSE);
}

static const char *const wd[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
static const char *const mon[12] = {"January", "February", "March",     "April",   "May",      "June",
                                    "July",    "August",   "September", "October", "November", "December"};

static gint64 local_day(Zone *tz, gint64 instant, int *minute) {
  gint64 local = zone_to_local(tz, instant);
  gint64 day = seconds_to_days(local);
  if (minute)
    *minute = (int)((local - day * 86400) / 60);
  return day;
}

void report_append_day_heading(GString *out, const ReportOptions *opts, gint64 day) {
  int y, m, d;
  days_to_civil(day, &y, &m, &d);
  g_string_append_printf(out, "%s%s %d %s %d%s\n", opts->colour ? C_BOLD : "", wd[days_to_weekday(day)], d, mon[m - 1],
                         y, opts->colour ? C_RESET : "");
}

void report_append_clock(GString *out, Zone *tz, gint64 instant) {
  int minute;
  local_day(tz, instant, &minute);
  g_string_append_printf(out, "%02d:%02d", minute / 60, minute % 60);
}

void report_append_slot(GString *out, Zone *tz, const Slot *s) {
  int y, m, d;
  gint64 day = local_day(tz, s->start, NULL);
  days_to_civil(day, &y, &m, &d);
  g_string_append_printf(out, "%.3s %d %.3s ", wd[days_to_weekday(day)], d, mon[m - 1]);
  report_append_clock(out, tz, s->start);
  g_string_append(out, "\u2013");
  report_append_clock(out, tz, s->end);
}

void report_append_finding_text(GString *out, const ReportOptions *opts, const Finding *f, int indent) {
  const char *colour = f->severity == SEVERITY_ERROR ? C_RED : f->severity == SEVERITY_WARNING ? C_YELLOW : C_CYAN;
  g_autofree char *msg = report_clean_line(f->message);
  g_string_append_printf(out, "%*s%s%-7s%s %s%-12s%s %s\n", indent, "", opts->colour ? colour : "",
                         severity_name(f->severity), opts->colour ? C_RESET : "", opts->colour ? C_BOLD : "",
                         check_kind_name(f->check), opts->colour ? C_RESET : "", msg);
  if (f->slots && f->slots->len) {
    g_string_append_printf(out, "%*s %sfree instead:%s ", indent + 20, "", opts->colour ? C_DIM : "",
                           opts->colour ? C_RESET : "");
    for (guint j = 0; j < f->slots->len; j++) {
      if (j)
        g_string_append(out, ", ");
      report_append_slot(out, opts->tz, &g_array_index(f->slots, Slot, j));
    }
    g_string_append_c(out, '\n');
  } else if (f->slots) {
    g_string_append_printf(out, "%*s %sno free slot within the search horizon%s\n", indent + 20, "",
                           opts->colour ? C_DIM : "", opts->colour ? C_RESET : "");
  }
}

void report_findings_text(GString *out, const ReportOptions *opts, guint n_occurrences, GPtrArray *findings) {
  guint counts[3] = {0, 0, 0};
  gint64 last_day = G_MININT64;
  for (guint i = 0; i < findings->len; i++) {
    const Finding *f = g_ptr_array_index(findings, i);
    maybe_flush(out, opts);
    counts[f->severity]++;
    if (f->day != last_day) {
      if (last_day != G_MININT64)
        g_string_append_c(out, '\n');
      report_append_day_heading(out, opts, f->day);
      last_day = f->day;
    }
    report_append_finding_text(out, opts, f, 2);
  }
  if (findings->len)
    g_string_append_c(out, '\n');
  g_string_append_printf(out, "%u occurrences checked in %s: %u errors, %u warnings, %u notes\n", n_occurrences,
                         zone_name(opts->tz), counts[SEVERITY_ERROR], counts[SEVERITY_WARNING], counts[SEVERITY_INFO]);
}

void report_slots_json(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots) {
  g_string_append(out, "{\"window\": ");
  report_append_window_json(out, opts);
  g_string_append_printf(out, ", \"duration_seconds\": %" G_GINT64_FORMAT ",\n \"slots\": ", duration);
  report_append_slots_json(out, slots);
  g_string_append(out, "}\n");
}

/* Text: one line per free stretch.  Slots on a grid overlap (09:00, 09:15,
 * ... for 45 minutes); a run of them is shown as the stretch it covers and
 * the range of start times. */
void report_slots_text(GString *out, const ReportOptions *opts, gint64 duration, GArray *slots) {
  gint64 last_day = G_MININT64;
  for (guint i = 0; i < slots->len;) {
    const Slot *first = &g_array_index(slots, Slot, i);
    guint j = i + 1;
    gint64 step = 0;
    while (j < slots->len) {
      gint64 d = g_array_index(slots, Slot, j).start - g_array_index(slots, Slot, j - 1).start;
      gint64 day_j = local_day(opts->tz, g_array_index(slots, Slot, j).start, NULL);
      if (d <= 0 || d > duration || (step && d != step) || day_j != local_day(opts->tz, first->start, NULL))
        break;
      step = d;
      j++;
    }
    const Slot *last = &g_array_index(slots, Slot, j - 1);
    gint64 day = local_day(opts->tz, first->start, NULL);
    if (day != last_day) {
      if (last_day != G_MININT64)
        g_string_append_c(out, '\n');
      report_append_day_heading(out, opts, day);
      last_day = day;
    }
    g_string_append(out, "  ");
    report_append_clock(out, opts->tz, first->start);
    g_string_append(out, "\u2013");
    report_append_clock(out, opts->tz, last->end);
    if (j - i > 1) {
      g_string_append(out, "  start any time from ");
      report_append_clock(out, opts->tz, first->start);
      g_string_append(out, " to ");
      report_append_clock(out, opts->tz, last->start);
      g_string_append_printf(out, " (every %" G_GINT64_FORMAT " min)", step / 60);
    }
    g_string_append_c(out, '\n');
    i = j;
  }
  if (slots->len)
    g_string_append_c(out, '\n');
  g_string_append_printf(out, "%u free slots of %" G_GINT64_FORMAT " min (%s)\n", slots->len, duration / 60,
                         zone_name(opts->tz));
}

const char *report_status_name(EventStatus s) {
  switch (s) {
  case STATUS_TENTATIVE:
    return "TENTATIVE";
  case STATUS_CONFIRMED:
    return "CONFIRMED";
  case STATUS_CANCELLED:
    return "CANCELLED";
  default:
    return NULL;
  }
}

void report_occurrences_json(GString *out, const ReportOptions *opts, const Diary *diary) {
  g_string_append(out, "{\"window\": ");
  report_append_window_json(out, opts);
  g_string_append(out, ",\n \"occurrences\": [");
  guint n = diary_n_occurrences(diary);
  for (guint i = 0; i < n; i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    maybe_flush(out, opts);
    g_string_append(out, i ? ",\n  {\"uid\": " : "\n  {\"uid\": ");
    report_append_json_string(out, o->series->uid);
    g_string_append(out, ", \"recurrence_id\": ");
    append_instant_or_null(out, o->recurrence_id);
    g_string_append(out, ", \"summary\": ");
    report_append_json_string(out, o->appt->summary);
    g_string_append(out, ", \"start\": ");
    append_instant_or_null(out, o->start);
    g_string_append(out, ", \"end\": ");
    append_instant_or_null(out, o->end);
    g_string_append_printf(out, ", \"all_day\": %s, \"busy\": %s, \"status\": ", o->all_day ? "true" : "false",
                           diary_is_busy(diary, o) ? "true" : "false");
    report_append_json_string(out, report_status_name(o->appt->status));
    g_string_append_printf(out, ", \"transparent\": %s, \"location\": ", o->appt->transparent ? "true" : "false");
    report_append_json_string(out, o->appt->location);
    g_string_append_printf(out, ", \"priority\": %d, \"source\": ", o->appt->priority);
    report_append_json_string(out, o->series->source);
    g_string_append_c(out, '}');
  }
  g_string_append(out, n ? "\n ]}\n" : "]}\n");
}

void report_occurrences_text(GString *out, const ReportOptions *opts, const Diary *diary) {
  gint64 last_day = G_MININT64;
  guint n = diary_n_occurrences(diary);
  for (guint i = 0; i < n; i++) {
    const Occurrence *o = diary_occurrence(diary, i);
    maybe_flush(out, opts);
    gint64 day = local_day(opts->tz, MAX(o->start, opts->from), NULL);
    if (day != last_day) {
      if (last_day != G_MININT64)
        g_string_append_c(out, '\n');
      report_append_day_heading(out, opts, day);
      last_day = day;
    }
    g_autofree char *title = report_clean_line(o->appt->summary ? o->appt->summary : "(no title)");
    g_autofree char *where = report_clean_line(o->appt->location);
    if (o->all_day) {
      g_string_append(out, "  all day      ");
    } else {
      g_string_append(out, "  ");
      report_append_clock(out, opts->tz, o->start);
      g_string_append(out, "\u2013");
      report_append_clock(out, opts->tz, o->end);
      g_string_append(out, "  ");
    }
    gboolean busy = diary_is_busy(diary, o);
    g_string_append_printf(out, "%s%s%s%s%s%s\n", !busy && opts->colour ? C_DIM : "", title, *where ? " @ " : "", where,
                           busy ? "" : " (free)", !busy && opts->colour ? C_RESET : "");
  }
  g_string_append_printf(out, "%s%u occurrences (%s)\n", n ? "\n" : "", n, zone_name(opts->tz));
}
