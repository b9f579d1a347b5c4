/* calobj: see calobj.h.
 *
 * One pass over the text, one logical (unfolded) line at a time.  Each
 * physical line is copied into a buffer reused for the whole scan, so the
 * name and the parameter names can be upper-cased in place; nothing else is
 * allocated per line.  The properties of the component being read go into a
 * scratch list (name offset in a scratch arena, line hash, position), which
 * is sorted and merged when the component ends: one CalProp per name, its
 * hash chaining the hashes of that name's lines in document order.  Sorting
 * instead of looking names up keeps a hostile component with 100,000
 * distinct X- properties at O(n log n).
 *
 * What the hashes cover, and why:
 *   - A property's hash covers its parameters and value as written, with
 *     parameter names upper-cased (they are case-insensitive; values are
 *     not, and reading them would be interpretation).
 *   - Lines with the same name chain in order, so reordering ATTENDEE lines
 *     is a change to ATTENDEE: telling a reorder from an edit would need a
 *     multiset per name, and servers do not reorder on their own.  Lines
 *     with different names may move freely: props are compared by name.
 *   - DTSTAMP and LAST-MODIFIED are left out everywhere, subcomponents
 *     included: servers rewrite them on every PUT and on scheduling.
 *   - Every subcomponent of a VEVENT/VTODO/VJOURNAL (VALARM, and also
 *     RFC 9073's PARTICIPANT or VLOCATION, CalendarServer's
 *     X-CALENDARSERVER-PERUSER...) becomes one pseudo-property named after
 *     it, hashing all its lines, nested BEGIN/END included; its properties
 *     are not top-level props.
 *   - The component hash chains the kind, then each (name, prop hash) in
 *     name order, so two components have equal hashes exactly when their
 *     kinds and props agree (short of a collision), and a diff always has
 *     a field to name.  A change of kind alone is named "BEGIN".
 *   - VTIMEZONE, VFREEBUSY, other components directly in VCALENDAR and the
 *     VCALENDAR's own properties are checked for shape and otherwise
 *     ignored: a zone definition changing is not a change to the event.
 * Hashes may be stored: the hash function must not change, or every object
 * looks modified once.  Words are read little-endian so that hashes agree
 * between machines.
 *
 * Structure accepted: exactly one VCALENDAR (RFC 4791 §4.1 makes a calendar
 * object resource one iCalendar object; a second one is refused as
 * malformed rather than merged, since a server sending it is broken and
 * core/appointment would have to guess too).  In it, any component; in
 * those, anything but VCALENDAR and the top-level kinds (VEVENT, VTODO,
 * VJOURNAL, VTIMEZONE, VFREEBUSY), nested at most MAX_DEPTH deep.  A UTF-8
 * byte order mark before the first line is skipped.  Property and parameter
 * names are RFC 5545 tokens (letters, digits, '-'), with '_' tolerated.
 *
 * Errors are reported at the first problem in document order, except
 * duplicate (UID, RECURRENCE-ID) pairs, found after the scan by sorting.
 */
#include "calobj.h"

#include <stdarg.h>
#include <string.h>

#define MAX_DEPTH 16    /* VCALENDAR > VEVENT > PARTICIPANT > VLOCATION is 4 */
#define EXCERPT_CHARS 60

/* ---- hashing ------------------------------------------------------------ */

#define K1 G_GUINT64_CONSTANT(0x87c37b91114253d5)
#define K2 G_GUINT64_CONSTANT(0x4cf5ad432745937f)
#define K3 G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)

static inline guint64 rotl64(guint64 x, int r) {
  return (x << r) | (x >> (64 - r));
}

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static inline guint64 fmix64(guint64 k) {
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
  k ^= k >> 33;
  return k;
}

/* Eight bytes per step, MurmurHash3 x64's body on one lane. */
static guint64 hash_bytes(const char *p, gsize n) {
  guint64 h = K3 ^ ((guint64)n * K1);
  while (n >= 8) {
    guint64 k;
    memcpy(&k, p, 8);
    k = GUINT64_FROM_LE(k) * K1;
    h ^= rotl64(k, 31) * K2;
    h = rotl64(h, 27) * 5 + 0x52dce729;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    guint64 k = 0;
    for (gsize i = 0; i < n; i++)
      k |= (guint64)(guchar)p[i] << (8 * i);
    k *= K1;
    h ^= rotl64(k, 31) * K2;
  }
  return fmix64(h);
}

/* Order matters: combine(combine(s, a), b) != combine(combine(s, b), a). */
static inline guint64 combine(guint64 acc, guint64 value) {
  return fmix64((acc * K2) ^ value);
}

/* ---- messages ----------------------------------------------------------- */

/* Untrusted text for a message: at most EXCERPT_CHARS characters, valid
 * UTF-8, control characters shown as '?'. */
static char *excerpt(const char *s, gsize n) {
  gsize take = MIN(n, (gsize)EXCERPT_CHARS * 4);
  g_autofree char *copy = g_strndup(s, take);
  for (char *p = copy; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = '?';
  /* g_strndup stopped at a NUL, if any: the scan refuses NULs before quoting. */
  char *valid = g_utf8_make_valid(copy, -1);
  if (g_utf8_strlen(valid, -1) <= EXCERPT_CHARS && take == n)
    return valid;
  char *end = g_utf8_offset_to_pointer(valid, MIN(g_utf8_strlen(valid, -1), EXCERPT_CHARS));
  *end = '\0';
  char *out = g_strconcat(valid, "...", NULL);
  g_free(valid);
  return out;
}

static char *excerpt0(const char *s) {
  return excerpt(s, strlen(s));
}

/* ---- the scan's state --------------------------------------------------- */

/* An open component.  Names up to FRAME_INLINE bytes (all the usual ones)
 * are kept in the frame itself, so BEGIN allocates nothing. */
#define FRAME_INLINE 24
typedef struct {
  char *name; /* upper case: inline_name or a heap copy */
  char inline_name[FRAME_INLINE];
  int line;
} Frame;

/* One property line (or one folded subcomponent) of the component being read. */
typedef struct {
  gsize name_off; /* in Scan.arena */
  gsize name_len;
  guint64 hash;
  guint seq; /* document order, to keep lines of one name in order after sorting */
} Entry;

typedef struct {
  const char *text;
  gsize len;
  gsize pos;
  int next_line; /* physical line number of the next segment */

  char *buf; /* the current logical line, unfolded; not NUL-terminated, one byte spare */
  gsize cap;

  Frame stack[MAX_DEPTH];
  int depth;
  gboolean calendar_seen, calendar_closed;
  int calendar_line;

  /* The VEVENT/VTODO/VJOURNAL being read, when in_comp. */
  gboolean in_comp;
  int comp_depth; /* depth with its frame on top */
  const char *comp_kind;
  int comp_line;
  char *comp_uid;
  char *comp_rid;
  GArray *entries; /* of Entry */
  GString *arena;  /* the entries' names */
  guint seq;
  guint64 sub_hash; /* of the subcomponent at comp_depth + 1, while depth > comp_depth */

  char *uid; /* the object's, from the first UID line */
  GPtrArray *components;

  CalObjError err;
  char *detail;
} Scan;

static void fail(Scan *s, CalObjError err, int line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void fail(Scan *s, CalObjError err, int line, const char *fmt, ...) {
  if (s->err != CALOBJ_OK)
    return;
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  s->err = err;
  s->detail = g_strdup_printf("line %d: %s", line, msg);
}

/* ---- objects ------------------------------------------------------------ */

static void component_free(gpointer data) {
  CalComponent *c = data;
  if (!c)
    return;
  g_free(c->kind);
  g_free(c->recurrence_id);
  if (c->props) {
    for (guint i = 0; i < c->props->len; i++)
      g_free(g_array_index(c->props, CalProp, i).name);
    /* Names are freed above, whatever clear function the array was given. */
    g_array_set_clear_func(c->props, NULL);
    g_array_unref(c->props);
  }
  g_free(c);
}

void calobj_free(CalObject *obj) {
  if (!obj)
    return;
  g_free(obj->uid);
  if (obj->components) {
    /* Also right for an object built by hand with a plain GPtrArray. */
    g_ptr_array_set_free_func(obj->components, component_free);
    g_ptr_array_unref(obj->components);
  }
  g_free(obj);
}

void calchange_free(CalChange *c) {
  if (!c)
    return;
  g_free(c->uid);
  g_free(c->recurrence_id);
  g_free(c->fields);
  g_free(c);
}

const char *calchange_kind_name(ChangeKind kind) {
  switch (kind) {
  case CHANGE_ADDED:
    return "added";
  case CHANGE_MODIFIED:
    return "modified";
  case CHANGE_REMOVED:
    return "removed";
  }
  return "unknown";
}

/* ---- lines -------------------------------------------------------------- */

/* g_ascii_toupper() is not inlined, and this runs on every name byte. */
static inline char upper(char c) {
  return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static inline gboolean is_name_char(char c) {
  return g_ascii_isalnum(c) || c == '-' || c == '_';
}

static inline gboolean name_is(const char *p, gsize n, const char *lit, gsize lit_len) {
  return n == lit_len && memcmp(p, lit, n) == 0;
}
#define NAME_IS(p, n, lit) name_is((p), (n), lit, sizeof(lit) - 1)

/* Keeps one byte spare after the line, for a NUL. */
static void buf_append(Scan *s, gsize used, const char *p, gsize n) {
  if (used + n + 1 > s->cap) {
    gsize cap = MAX(s->cap, 256);
    while (cap < used + n + 1)
      cap *= 2;
    s->buf = g_realloc(s->buf, cap);
    s->cap = cap;
  }
  memcpy(s->buf + used, p, n);
}

/* The next logical line into s->buf: *n its length, *line the physical
 * line it starts on.  FALSE at the end of the text or on an error.
 * RFC 5545 §3.1: a line break followed by one space or tab continues the
 * line, and both are removed; CRLF and bare LF both end a line. */
static gboolean read_line(Scan *s, gsize *n, int *line) {
  if (s->pos >= s->len)
    return FALSE;
  *line = s->next_line;
  gsize used = 0;
  for (;;) {
    if (s->next_line > CALOBJ_MAX_LINES) {
      fail(s, CALOBJ_TOO_LARGE, s->next_line, "the object has more than %d lines", CALOBJ_MAX_LINES);
      return FALSE;
    }
    const char *start = s->text + s->pos;
    gsize avail = s->len - s->pos;
    const char *nl = memchr(start, '\n', avail);
    gsize seg = nl ? (gsize)(nl - start) : avail;
    gsize next = s->pos + seg + (nl ? 1 : 0);
    if (seg > 0 && start[seg - 1] == '\r')
      seg--;
    if (memchr(start, '\0', seg)) {
      fail(s, CALOBJ_MALFORMED, s->next_line, "the text has a NUL byte");
      return FALSE;
    }
    buf_append(s, used, start, seg);
    used += seg;
    s->next_line++;
    if (nl && next < s->len && (s->text[next] == ' ' || s->text[next] == '\t')) {
      s->pos = next + 1;
      continue;
    }
    s->pos = next;
    break;
  }
  *n = used;
  return TRUE;
}

/* A content line split up: NAME [;PARAMS] ":" VALUE. */
typedef struct {
  gsize name_len; /* the name is buf[0, name_len) */
  gsize value_off;
  gsize value_len;
  const char *tzid; /* the first value of the first TZID parameter, unquoted, or NULL */
  gsize tzid_len;
} Content;

/* Splits buf[0, n) and upper-cases the name and the parameter names in
 * place.  FALSE (with the error set) when the line is not of that shape. */
static gboolean split_line(Scan *s, gsize n, int line, Content *c) {
  char *b = s->buf;
  gsize i = 0;
  while (i < n && is_name_char(b[i]))
    i++;
  if (i == 0 || i == n || (b[i] != ';' && b[i] != ':')) {
    g_autofree char *text = excerpt(b, n); /* as written */
    fail(s, CALOBJ_MALFORMED, line, "not a property line (NAME:VALUE): \"%s\"", text);
    return FALSE;
  }
  for (gsize k = 0; k < i; k++)
    b[k] = upper(b[k]);
  c->name_len = i;
  c->tzid = NULL;
  c->tzid_len = 0;
  while (i < n && b[i] == ';') {
    gsize pname = ++i;
    while (i < n && is_name_char(b[i])) {
      b[i] = upper(b[i]);
      i++;
    }
    if (i == pname || i == n || b[i] != '=') {
      g_autofree char *name = excerpt(b, c->name_len);
      fail(s, CALOBJ_MALFORMED, line, "a parameter of %s is not NAME=VALUE", name);
      return FALSE;
    }
    gboolean is_tzid = NAME_IS(b + pname, i - pname, "TZID") && !c->tzid;
    i++;
    for (gboolean first = TRUE;; first = FALSE) {
      gsize vs = i, ve;
      if (i < n && b[i] == '"') {
        /* A quoted value may hold ':', ';' and ','. */
        const char *q = memchr(b + i + 1, '"', n - i - 1);
        if (!q) {
          g_autofree char *name = excerpt(b, c->name_len);
          fail(s, CALOBJ_MALFORMED, line, "a quoted parameter value of %s has no closing quote", name);
          return FALSE;
        }
        vs = i + 1;
        ve = (gsize)(q - b);
        i = ve + 1;
      } else {
        while (i < n && b[i] != ';' && b[i] != ':' && b[i] != ',')
          i++;
        ve = i;
      }
      if (is_tzid && first) {
        c->tzid = b + vs;
        c->tzid_len = ve - vs;
      }
      if (i < n && b[i] == ',') {
        i++;
        continue;
      }
      break;
    }
    if (i < n && b[i] != ';' && b[i] != ':') {
      g_autofree char *name = excerpt(b, c->name_len);
      fail(s, CALOBJ_MALFORMED, line, "text after a quoted parameter value of %s", name);
      return FALSE;
    }
  }
  if (i >= n || b[i] != ':') {
    g_autofree char *name = excerpt(b, c->name_len);
    fail(s, CALOBJ_MALFORMED, line, "%s has no ':' before its value", name);
    return FALSE;
  }
  c->value_off = i + 1;
  c->value_len = n - i - 1;
  return TRUE;
}

/* ---- components --------------------------------------------------------- */

static const char *kind_of_interest(const char *name) {
  static const char *const kinds[] = {"VEVENT", "VTODO", "VJOURNAL"};
  for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (strcmp(name, kinds[i]) == 0)
      return kinds[i];
  return NULL;
}

/* Components that belong directly in VCALENDAR and nowhere else. */
static gboolean is_top_level_kind(const char *name) {
  return kind_of_interest(name) || strcmp(name, "VTIMEZONE") == 0 || strcmp(name, "VFREEBUSY") == 0 ||
         strcmp(name, "VCALENDAR") == 0;
}

static void add_entry(Scan *s, const char *name, gsize name_len, guint64 hash) {
  Entry e = {s->arena->len, name_len, hash, s->seq++};
  g_string_append_len(s->arena, name, (gssize)name_len);
  g_array_append_val(s->entries, e);
}

static gint entry_cmp(gconstpointer pa, gconstpointer pb, gpointer data) {
  const Entry *a = pa, *b = pb;
  const char *arena = data;
  int c = memcmp(arena + a->name_off, arena + b->name_off, MIN(a->name_len, b->name_len));
  if (c != 0)
    return c;
  if (a->name_len != b->name_len)
    return a->name_len < b->name_len ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void begin_component(Scan *s, const char *kind, int line) {
  if (s->components->len >= CALOBJ_MAX_COMPONENTS) {
    fail(s, CALOBJ_TOO_LARGE, line, "more than %d VEVENT, VTODO or VJOURNAL components", CALOBJ_MAX_COMPONENTS);
    return;
  }
  s->in_comp = TRUE;
  s->comp_depth = s->depth;
  s->comp_kind = kind;
  s->comp_line = line;
  g_clear_pointer(&s->comp_uid, g_free);
  g_clear_pointer(&s->comp_rid, g_free);
  g_array_set_size(s->entries, 0);
  g_string_truncate(s->arena, 0);
  s->seq = 0;
}

static void end_component(Scan *s) {
  s->in_comp = FALSE;
  if (!s->comp_uid) {
    fail(s, CALOBJ_NO_UID, s->comp_line, "%s has no UID", s->comp_kind);
    return;
  }
  const char *arena = s->arena->str;
  g_array_sort_with_data(s->entries, entry_cmp, (gpointer)arena);

  CalComponent *c = g_new0(CalComponent, 1);
  c->kind = g_strdup(s->comp_kind);
  c->recurrence_id = g_steal_pointer(&s->comp_rid);
  c->line = s->comp_line;
  c->props = g_array_new(FALSE, FALSE, sizeof(CalProp));
  guint64 h = hash_bytes(s->comp_kind, strlen(s->comp_kind));
  const Entry *e = (const Entry *)(void *)s->entries->data;
  for (guint i = 0; i < s->entries->len;) {
    guint j = i;
    guint64 ph = K3;
    while (j < s->entries->len && e[j].name_len == e[i].name_len &&
           memcmp(arena + e[j].name_off, arena + e[i].name_off, e[i].name_len) == 0)
      ph = combine(ph, e[j++].hash);
    CalProp p = {g_strndup(arena + e[i].name_off, e[i].name_len), ph};
    h = combine(combine(h, hash_bytes(p.name, e[i].name_len)), ph);
    g_array_append_val(c->props, p);
    i = j;
  }
  c->hash = h;
  g_ptr_array_add(s->components, c);
}

/* UID and RECURRENCE-ID, noted on their way into the props. */
static void note_identity(Scan *s, const Content *c, int line) {
  const char *name = s->buf;
  const char *value = s->buf + c->value_off;
  if (NAME_IS(name, c->name_len, "UID")) {
    if (c->value_len == 0) {
      fail(s, CALOBJ_NO_UID, line, "%s has an empty UID", s->comp_kind);
      return;
    }
    g_autofree char *uid = g_strndup(value, c->value_len);
    if (s->comp_uid && strcmp(s->comp_uid, uid) != 0) {
      g_autofree char *a = excerpt0(s->comp_uid), *b = excerpt0(uid);
      fail(s, CALOBJ_MIXED_UIDS, line, "%s has two UIDs, %s and %s", s->comp_kind, a, b);
      return;
    }
    if (s->uid && strcmp(s->uid, uid) != 0) {
      g_autofree char *a = excerpt0(s->uid), *b = excerpt0(uid);
      fail(s, CALOBJ_MIXED_UIDS, line, "%s has UID %s, but an earlier component has UID %s", s->comp_kind, b, a);
      return;
    }
    if (!s->uid)
      s->uid = g_strdup(uid);
    if (!s->comp_uid)
      s->comp_uid = g_steal_pointer(&uid);
  } else if (NAME_IS(name, c->name_len, "RECURRENCE-ID")) {
    if (s->comp_rid) {
      fail(s, CALOBJ_MALFORMED, line, "%s has a second RECURRENCE-ID", s->comp_kind);
      return;
    }
    if (c->value_len == 0) {
      fail(s, CALOBJ_MALFORMED, line, "RECURRENCE-ID has no value");
      return;
    }
    if (c->tzid) {
      GString *key = g_string_sized_new(5 + c->tzid_len + 1 + c->value_len);
      g_string_append(key, "TZID=");
      g_string_append_len(key, c->tzid, (gssize)c->tzid_len);
      g_string_append_c(key, ':');
      g_string_append_len(key, value, (gssize)c->value_len);
      s->comp_rid = g_string_free(key, FALSE);
    } else {
      s->comp_rid = g_strndup(value, c->value_len);
    }
  }
}

/* ---- structure ---------------------------------------------------------- */

/* Names the frame's component for a message (newly allocated). */
static char *frame_name(const Frame *f) {
  return excerpt0(f->name);
}

static void frame_clear(Frame *f) {
  if (f->name != f->inline_name)
    g_free(f->name);
  f->name = NULL;
}

/* `name` (NUL-terminated, upper case) is copied. */
static void on_begin(Scan *s, const char *name, gsize name_len, int line) {
  if (s->depth == 0) {
    if (strcmp(name, "VCALENDAR") != 0) {
      g_autofree char *what = excerpt0(name);
      fail(s, CALOBJ_MALFORMED, line, "BEGIN:%s %s", what,
           s->calendar_closed ? "after END:VCALENDAR" : "before BEGIN:VCALENDAR");
    } else if (s->calendar_seen) {
      fail(s, CALOBJ_MALFORMED, line, "a second VCALENDAR (a calendar object holds one)");
    }
  } else if (s->depth >= MAX_DEPTH) {
    fail(s, CALOBJ_MALFORMED, line, "components nested more than %d deep", MAX_DEPTH);
  } else if (s->depth >= 2 && is_top_level_kind(name)) {
    g_autofree char *what = excerpt0(name), *in = frame_name(&s->stack[s->depth - 1]);
    fail(s, CALOBJ_MALFORMED, line, "BEGIN:%s inside %s", what, in);
  } else if (s->depth == 1 && strcmp(name, "VCALENDAR") == 0) {
    fail(s, CALOBJ_MALFORMED, line, "BEGIN:VCALENDAR inside VCALENDAR");
  }
  if (s->err != CALOBJ_OK)
    return;
  Frame *f = &s->stack[s->depth];
  if (name_len < FRAME_INLINE) {
    memcpy(f->inline_name, name, name_len + 1);
    f->name = f->inline_name;
  } else {
    f->name = g_strndup(name, name_len);
  }
  f->line = line;
  s->depth++;
  if (s->depth == 1) {
    s->calendar_seen = TRUE;
    s->calendar_line = line;
  } else if (s->depth == 2) {
    const char *kind = kind_of_interest(name);
    if (kind)
      begin_component(s, kind, line);
  } else if (s->in_comp && s->depth == s->comp_depth + 1) {
    s->sub_hash = combine(K3, hash_bytes(name, name_len));
  }
}

static void on_end(Scan *s, const char *name, gsize name_len, int line) {
  if (s->depth == 0 || strcmp(s->stack[s->depth - 1].name, name) != 0) {
    g_autofree char *what = excerpt0(name);
    int open = -1;
    for (int i = s->depth - 1; i >= 0 && open < 0; i--)
      if (strcmp(s->stack[i].name, name) == 0)
        open = i;
    if (open < 0) {
      fail(s, CALOBJ_MALFORMED, line, "END:%s without BEGIN:%s", what, what);
    } else {
      const Frame *top = &s->stack[s->depth - 1];
      g_autofree char *inner = frame_name(top);
      fail(s, CALOBJ_MALFORMED, line, "END:%s while %s (line %d) is still open", what, inner, top->line);
    }
    return;
  }
  s->depth--;
  frame_clear(&s->stack[s->depth]);
  if (s->depth == 0) {
    s->calendar_closed = TRUE;
  } else if (s->in_comp && s->depth == s->comp_depth - 1) {
    end_component(s);
  } else if (s->in_comp && s->depth == s->comp_depth && !NAME_IS(name, name_len, "DTSTAMP") &&
             !NAME_IS(name, name_len, "LAST-MODIFIED")) {
    /* (A subcomponent named like them is nonsense, but the props must never hold those names.) */
    add_entry(s, name, name_len, s->sub_hash);
  }
}

/* BEGIN/END's value, upper-cased and NUL-terminated in place: a component
 * name.  Its length, or 0 (error set) if it is not one. */
static gsize component_name(Scan *s, const Content *c, int line) {
  char *v = s->buf + c->value_off;
  gsize n = c->value_len;
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  gboolean ok = n > 0;
  for (gsize i = 0; i < n && ok; i++) {
    ok = is_name_char(v[i]);
    v[i] = upper(v[i]);
  }
  if (!ok) {
    g_autofree char *what = excerpt(v, n);
    fail(s, CALOBJ_MALFORMED, line, "\"%s\" is not a component name", what);
    return 0;
  }
  v[n] = '\0';
  return n;
}

static void on_line(Scan *s, gsize n, int line) {
  Content c;
  if (!split_line(s, n, line, &c))
    return;
  const char *name = s->buf;
  gboolean begin = NAME_IS(name, c.name_len, "BEGIN");
  if (begin || NAME_IS(name, c.name_len, "END")) {
    /* Inside a subcomponent, its nested BEGIN/END lines are part of its hash. */
    gboolean nested = s->in_comp && s->depth > s->comp_depth + (begin ? 0 : 1);
    gsize comp_len = component_name(s, &c, line);
    if (comp_len == 0)
      return;
    if (nested)
      s->sub_hash = combine(s->sub_hash, hash_bytes(s->buf, c.value_off + comp_len));
    const char *comp = s->buf + c.value_off;
    if (begin)
      on_begin(s, comp, comp_len, line);
    else
      on_end(s, comp, comp_len, line);
    return;
  }
  if (s->depth == 0) {
    g_autofree char *what = excerpt(name, c.name_len);
    fail(s, CALOBJ_MALFORMED, line, "%s %s", what,
         s->calendar_closed ? "after END:VCALENDAR" : "before BEGIN:VCALENDAR");
    return;
  }
  if (!s->in_comp)
    return;
  if (NAME_IS(name, c.name_len, "DTSTAMP") || NAME_IS(name, c.name_len, "LAST-MODIFIED"))
    return;
  if (s->depth > s->comp_depth) {
    s->sub_hash = combine(s->sub_hash, hash_bytes(s->buf, n));
    return;
  }
  note_identity(s, &c, line);
  add_entry(s, name, c.name_len, hash_bytes(s->buf + c.name_len, n - c.name_len));
}

/* ---- the whole object --------------------------------------------------- */

static gint component_cmp(gconstpointer pa, gconstpointer pb) {
  const CalComponent *a = *(const CalComponent *const *)pa, *b = *(const CalComponent *const *)pb;
  int c;
  if (!a->recurrence_id || !b->recurrence_id)
    c = (a->recurrence_id != NULL) - (b->recurrence_id != NULL);
  else
    c = strcmp(a->recurrence_id, b->recurrence_id);
  if (c != 0)
    return c;
  return (a->line > b->line) - (a->line < b->line);
}

static void finish(Scan *s) {
  if (s->depth > 0) {
    const Frame *top = &s->stack[s->depth - 1];
    g_autofree char *what = frame_name(top);
    fail(s, CALOBJ_MALFORMED, top->line, "BEGIN:%s without END:%s", what, what);
    return;
  }
  if (!s->calendar_seen) {
    fail(s, CALOBJ_MALFORMED, 1, "the object is empty (no BEGIN:VCALENDAR)");
    return;
  }
  if (s->components->len == 0) {
    fail(s, CALOBJ_EMPTY, s->calendar_line, "the VCALENDAR has no VEVENT, VTODO or VJOURNAL");
    return;
  }
  g_ptr_array_sort(s->components, component_cmp);
  for (guint i = 1; i < s->components->len; i++) {
    const CalComponent *a = g_ptr_array_index(s->components, i - 1), *b = g_ptr_array_index(s->components, i);
    if (g_strcmp0(a->recurrence_id, b->recurrence_id) != 0)
      continue;
    g_autofree char *uid = excerpt0(s->uid);
    if (!b->recurrence_id) {
      fail(s, CALOBJ_DUPLICATE, b->line, "a second %s with UID %s and no RECURRENCE-ID (the first is on line %d)",
           b->kind, uid, a->line);
    } else {
      g_autofree char *rid = excerpt0(b->recurrence_id);
      fail(s, CALOBJ_DUPLICATE, b->line, "a second %s with UID %s and RECURRENCE-ID %s (the first is on line %d)",
           b->kind, uid, rid, a->line);
    }
    return;
  }
}

CalObjError calobj_scan(const char *text, gsize len, CalObject **out, char **detail) {
  Scan s = {0};
  s.text = text;
  s.len = text ? len : 0;
  s.next_line = 1;
  if (s.len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    s.pos = 3;
  s.entries = g_array_new(FALSE, FALSE, sizeof(Entry));
  s.arena = g_string_sized_new(256);
  s.components = g_ptr_array_new_with_free_func(component_free);

  gsize n;
  int line;
  while (s.err == CALOBJ_OK && read_line(&s, &n, &line))
    if (n > 0) /* empty lines are ignored */
      on_line(&s, n, line);
  if (s.err == CALOBJ_OK)
    finish(&s);

  CalObjError err = s.err;
  if (err == CALOBJ_OK) {
    CalObject *obj = g_new0(CalObject, 1);
    obj->uid = g_steal_pointer(&s.uid);
    obj->components = g_steal_pointer(&s.components);
    *out = obj;
  } else if (detail) {
    *detail = g_steal_pointer(&s.detail);
  }

  for (int i = 0; i < s.depth; i++)
    frame_clear(&s.stack[i]);
  g_free(s.buf);
  g_free(s.comp_uid);
  g_free(s.comp_rid);
  g_free(s.uid);
  g_free(s.detail);
  g_array_unref(s.entries);
  g_string_free(s.arena, TRUE);
  if (s.components)
    g_ptr_array_unref(s.components);
  return err;
}

/* ---- diff --------------------------------------------------------------- */

/* NULL (a master) sorts first. */
static int rid_cmp(const char *a, const char *b) {
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

static CalChange *change_new(ChangeKind kind, const char *uid, const char *rid, char *fields) {
  CalChange *c = g_new0(CalChange, 1);
  c->kind = kind;
  c->uid = g_strdup(uid ? uid : "");
  c->recurrence_id = g_strdup(rid);
  c->fields = fields;
  return c;
}

static gint str_ptr_cmp(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names whose hash differs or that one side lacks, sorted, comma-separated.
 * Both props arrays are sorted by name (the CalComponent contract). */
static char *changed_fields(const CalComponent *a, const CalComponent *b) {
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  guint na = a->props ? a->props->len : 0, nb = b->props ? b->props->len : 0;
  guint i = 0, j = 0;
  while (i < na || j < nb) {
    const CalProp *pa = i < na ? &g_array_index(a->props, CalProp, i) : NULL;
    const CalProp *pb = j < nb ? &g_array_index(b->props, CalProp, j) : NULL;
    int c = !pa ? 1 : !pb ? -1 : strcmp(pa->name, pb->name);
    if (c < 0) {
      g_ptr_array_add(names, pa->name);
      i++;
    } else if (c > 0) {
      g_ptr_array_add(names, pb->name);
      j++;
    } else {
      if (pa->hash != pb->hash)
        g_ptr_array_add(names, pa->name);
      i++;
      j++;
    }
  }
  if (g_strcmp0(a->kind, b->kind) != 0) {
    g_ptr_array_add(names, (gpointer) "BEGIN");
    g_ptr_array_sort(names, str_ptr_cmp);
  }
  GString *out = g_string_new(NULL);
  for (guint k = 0; k < names->len; k++) {
    if (out->len > 0)
      g_string_append_c(out, ',');
    g_string_append(out, g_ptr_array_index(names, k));
  }
  return g_string_free(out, FALSE);
}

static void add_all(GPtrArray *changes, ChangeKind kind, const CalObject *obj) {
  for (guint i = 0; obj->components && i < obj->components->len; i++) {
    const CalComponent *c = g_ptr_array_index(obj->components, i);
    g_ptr_array_add(changes, change_new(kind, obj->uid, c->recurrence_id, NULL));
  }
}

GPtrArray *calobj_diff(const CalObject *old, const CalObject *new) {
  GPtrArray *changes = g_ptr_array_new_with_free_func((GDestroyNotify)calchange_free);
  if (!old || !new || g_strcmp0(old->uid, new->uid) != 0) {
    if (old)
      add_all(changes, CHANGE_REMOVED, old);
    if (new)
      add_all(changes, CHANGE_ADDED, new);
    return changes;
  }
  guint na = old->components ? old->components->len : 0, nb = new->components ? new->components->len : 0;
  guint i = 0, j = 0;
  while (i < na || j < nb) {
    const CalComponent *a = i < na ? g_ptr_array_index(old->components, i) : NULL;
    const CalComponent *b = j < nb ? g_ptr_array_index(new->components, j) : NULL;
    int c = !a ? 1 : !b ? -1 : rid_cmp(a->recurrence_id, b->recurrence_id);
    if (c < 0) {
      g_ptr_array_add(changes, change_new(CHANGE_REMOVED, old->uid, a->recurrence_id, NULL));
      i++;
    } else if (c > 0) {
      g_ptr_array_add(changes, change_new(CHANGE_ADDED, new->uid, b->recurrence_id, NULL));
      j++;
    } else {
      if (a->hash != b->hash)
        g_ptr_array_add(changes, change_new(CHANGE_MODIFIED, new->uid, b->recurrence_id, changed_fields(a, b)));
      i++;
      j++;
    }
  }
  return changes;
}
