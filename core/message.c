/* message: see message.h.
 *
 * Why the message is built by hand: libcurl sends the bytes it is given,
 * and no MIME library in our dependency set (GLib, libical, libxml2) writes
 * mail.  So this file owns every rule that keeps hostile calendar text from
 * changing the shape of a message:
 *
 *   - Header fields.  Only validated addresses and Message-IDs and text
 *     cleaned by clean_line() reach a header.  clean_line() turns every CR,
 *     LF and other control into a space, so no text can end a header line;
 *     folding (Fold) only ever replaces a space we put there ourselves with
 *     CRLF SP, so a folded line always starts with white space and stays a
 *     continuation.  Encoded-words are all of one form (B encoding of whole
 *     UTF-8 characters) and decode to exactly the cleaned text, so a reader
 *     shows what was cleaned and nothing else.
 *
 *   - Line lengths.  Header words are bounded (an address 254 + 2 octets, a
 *     msg-id 300, an encoded-word 72, a plain word at most what fits a line
 *     of 78 after "Subject: ": a longer one goes to encoded-words), so no
 *     header line passes 998, and none passes 78 unless an address or an
 *     id is that long.  Body lines are quoted-printable or base64 lines of
 *     at most 76.
 *
 *   - MIME boundaries.  They start with "=_" and come from a hash of the
 *     Message-ID (boundaries()), so a retry is byte-identical.  They cannot
 *     occur in a part: every body line we write is either base64 (alphabet
 *     A-Z a-z 0-9 + / =, no '_' and no '-'), or quoted-printable from
 *     qp_append(), which writes '=' only as the start of "=XX" (hex digits)
 *     or as the soft break at the very end of a line, never followed by
 *     '_'; so no body line can read "--=_...".  The two boundaries differ
 *     before either ends ("=_mixed_" and "=_alt_"), so neither is a prefix
 *     of the other, for readers that match delimiters by prefix.
 *
 *   - Transports.  A '.' that starts a body line (SMTP's end of data when
 *     alone, dot-stuffed otherwise) and "From " at a line start (mbox
 *     quoting turns it into ">From ") are quoted-printable encoded, so no
 *     transport has a reason to touch them; neither can occur in base64.
 */
#include "message.h"

#include <string.h>

const char *const MESSAGE_PLACEHOLDERS[] = {
    "summary",  "when",      "when_short",   "when_recipient", "previous_when", "where",          "map_link",
    "conference", "url",     "who",          "organizer",      "requirements",  "changes",        "reason",
    "recipient_name", "reply_hint", NULL,
};

#define FOLD_AT 78          /* header lines are folded to at most this many octets where they can be */
#define QP_LINE 76          /* quoted-printable and base64 lines, CRLF not counted (RFC 2045) */
#define EW_BYTES 45         /* UTF-8 octets per encoded-word at most: 60 base64 characters, 72 octets in all */
#define EW_OVERHEAD 12      /* "=?UTF-8?B?" and "?=" */
#define MSGID_MAX 300       /* octets of a msg-id with its brackets: message_id_make() writes up to 288 */
#define METHOD_MAX 32       /* octets of an iTIP method name */
#define EXCERPT_BYTES 60    /* of hostile text quoted in an error */
#define DATE_MIN G_GINT64_CONSTANT(-2208988800)   /* 1900-01-01T00:00:00Z */
#define DATE_MAX G_GINT64_CONSTANT(253402300799)  /* 9999-12-31T23:59:59Z */

/* ---- errors ------------------------------------------------------------------------------------------- */

static void set_error(char **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_error(char **error, const char *fmt, ...) {
  if (!error)
    return;
  va_list ap;
  va_start(ap, fmt);
  *error = g_strdup_vprintf(fmt, ap);
  va_end(ap);
}

/* Hostile text quoted in an error: escaped to printable ASCII and cut. */
static char *excerpt(const char *s) {
  gsize n = strlen(s);
  g_autofree char *head = g_strndup(s, MIN(n, EXCERPT_BYTES));
  g_autofree char *esc = g_strescape(head, NULL);
  return g_strdup_printf("\"%s\"%s", esc, n > EXCERPT_BYTES ? "..." : "");
}

/* ---- addresses and ids -------------------------------------------------------------------------------- */

/* RFC 5322 atext: what an atom is made of. */
static gboolean is_atext(char c) {
  return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 dot-atom-text: atext runs separated by single dots. */
static gboolean dot_atom_valid(const char *s, gsize n) {
  if (n == 0 || s[0] == '.' || s[n - 1] == '.')
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    if (s[i] == '.') {
      if (s[i + 1] == '.')
        return FALSE;
    } else if (!is_atext(s[i])) {
      return FALSE;
    }
  }
  return TRUE;
}

/* Letters, digits and hyphens in labels of 1..63 (RFC 1035 / 5890 LDH),
 * 253 octets at most, and at least two labels: a name that resolves in
 * the public DNS, not a bare host. */
static gboolean ldh_domain_valid(const char *s, gsize n) {
  if (n == 0 || n > 253)
    return FALSE;
  gsize label = 0;
  gboolean dot = FALSE;
  for (gsize i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (label == 0 || label > 63 || s[i - label] == '-' || s[i - 1] == '-')
        return FALSE;
      dot = dot || i < n;
      label = 0;
    } else if (g_ascii_isalnum(s[i]) || s[i] == '-') {
      label++;
    } else {
      return FALSE;
    }
  }
  return dot;
}

/* "[192.0.2.1]": four decimal octets 0..255, no leading zeros. */
static gboolean ipv4_literal_valid(const char *s, gsize n) {
  if (n < 9 || s[0] != '[' || s[n - 1] != ']')
    return FALSE;
  const char *p = s + 1, *end = s + n - 1;
  for (int k = 0; k < 4; k++) {
    if (k > 0) {
      if (p >= end || *p != '.')
        return FALSE;
      p++;
    }
    const char *start = p;
    int value = 0;
    while (p < end && g_ascii_isdigit(*p) && p - start < 3)
      value = value * 10 + (*p++ - '0');
    if (p == start || value > 255 || (p - start > 1 && *start == '0'))
      return FALSE;
  }
  return p == end;
}

gboolean message_address_valid(const char *addr) {
  if (!addr)
    return FALSE;
  gsize n = strlen(addr);
  if (n > 254)
    return FALSE;
  const char *at = strchr(addr, '@');
  if (!at || strchr(at + 1, '@'))
    return FALSE;
  gsize local = (gsize)(at - addr);
  if (local > 64 || !dot_atom_valid(addr, local))
    return FALSE;
  return ldh_domain_valid(at + 1, n - local - 1) || ipv4_literal_valid(at + 1, n - local - 1);
}

gboolean message_domain_valid(const char *domain) {
  return domain && ldh_domain_valid(domain, strlen(domain));
}

gboolean message_id_valid(const char *id) {
  if (!id)
    return FALSE;
  gsize n = strlen(id);
  if (n < 5 || n > MSGID_MAX || id[0] != '<' || id[n - 1] != '>')
    return FALSE;
  const char *inner = id + 1, *end = id + n - 1;
  const char *at = memchr(inner, '@', (gsize)(end - inner));
  if (!at || !dot_atom_valid(inner, (gsize)(at - inner)))
    return FALSE;
  const char *right = at + 1;
  gsize rn = (gsize)(end - right);
  if (rn >= 2 && right[0] == '[' && right[rn - 1] == ']') {
    /* no-fold-literal: dtext is printable ASCII but '[', ']' and '\\'. */
    for (gsize i = 1; i + 1 < rn; i++)
      if (right[i] < 33 || right[i] > 126 || right[i] == '[' || right[i] == ']' || right[i] == '\\')
        return FALSE;
    return TRUE;
  }
  return dot_atom_valid(right, rn);
}

/* The first `digits` hex digits of SHA-256 over the concatenation of `a` and `b`. */
static char *sha256_hex(const char *a, const char *b, gsize digits) {
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, (const guchar *)a, (gssize)strlen(a));
  g_checksum_update(sum, (const guchar *)b, (gssize)strlen(b));
  return g_strndup(g_checksum_get_string(sum), digits);
}

char *message_id_make(const char *key, const char *domain) {
  g_autofree char *hex = sha256_hex("", key ? key : "", 32);
  return g_strdup_printf("<%s@%s>", hex, message_domain_valid(domain) ? domain : "diaryd.invalid");
}

/* ---- cleaning ----------------------------------------------------------------------------------------- */

/* Characters that must not survive into one line of text: C0 and C1
 * controls, DEL, and every Unicode space or line/paragraph separator. */
static gboolean is_space_or_control(gunichar c) {
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || g_unichar_isspace(c);
}

/* Hostile text -> one line: valid UTF-8, spaces for controls and white
 * space, runs collapsed, trimmed, at most `max_chars` characters and never
 * ending in a space.  NULL gives "". */
static char *clean_line(const char *in, guint max_chars) {
  g_autofree char *valid = g_utf8_make_valid(in ? in : "", -1);
  GString *out = g_string_new(NULL);
  gboolean space = FALSE;
  guint chars = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (is_space_or_control(c)) {
      space = out->len > 0;
      continue;
    }
    if (chars + (space ? 2 : 1) > max_chars)
      break;
    if (space) {
      g_string_append_c(out, ' ');
      chars++;
      space = FALSE;
    }
    g_string_append_len(out, p, g_utf8_next_char(p) - p);
    chars++;
  }
  return g_string_free(out, FALSE);
}

static gboolean is_ascii(const char *s) {
  for (; *s; s++)
    if ((guchar)*s >= 0x80)
      return FALSE;
  return TRUE;
}

/* ---- header fields ------------------------------------------------------------------------------------ */

/* One header field being written: words are appended after a space, or
 * after CRLF SP when the line would pass FOLD_AT and already holds a word
 * after the field name.  The space is ours (cleaned text has no other
 * white space than single spaces between words), so unfolding gives back
 * exactly one space, or nothing between two encoded-words. */
typedef struct {
  GString *out;
  gsize line_start; /* offset in out of the current physical line */
  gboolean has_word;
} Fold;

static void fold_begin(Fold *f, const char *name) {
  f->line_start = f->out->len;
  f->has_word = FALSE;
  g_string_append(f->out, name);
  g_string_append_c(f->out, ':');
}

static gsize fold_column(const Fold *f) {
  return f->out->len - f->line_start;
}

static void fold_word(Fold *f, const char *w, gsize n) {
  if (f->has_word && fold_column(f) + 1 + n > FOLD_AT) {
    g_string_append(f->out, "\r\n");
    f->line_start = f->out->len;
  }
  g_string_append_c(f->out, ' ');
  g_string_append_len(f->out, w, n);
  f->has_word = TRUE;
}

static void fold_end(Fold *f) {
  g_string_append(f->out, "\r\n");
}

/* A whole field of short, fixed words ("Content-Type: text/plain; charset=UTF-8"). */
static void write_field(GString *out, const char *name, const char *const *words) {
  Fold f = {out, 0, FALSE};
  fold_begin(&f, name);
  for (; *words; words++)
    fold_word(&f, *words, strlen(*words));
  fold_end(&f);
}

/* A run of words as RFC 2047 encoded-words (§5: allowed in unstructured
 * text and in a phrase): "=?UTF-8?B?...?=" of at most EW_BYTES octets of
 * text each (72 octets, within the 75 of §2, and within FOLD_AT on a
 * continuation line), fewer for the first word after the field name so
 * that it fits the first line.  Cut between characters, so that each
 * decodes on its own, and after a space where the run has one (the space
 * stays inside the earlier word).  Readers drop the white space between
 * adjacent encoded-words (§6.2), so the words decode to the run exactly,
 * its spaces included.
 *
 * Why runs and not the whole text: Python's email package (3.11, used by
 * our integration tests and by many tools) keeps that white space inside
 * a display name, against §6.2.  Writing plain words as they are leaves
 * encoded-words adjacent only within a run longer than EW_BYTES; there
 * Python shows one extra space where the cut was made, and cutting after a
 * space makes it a double space rather than a broken word. */
static void fold_encoded(Fold *f, const char *run, gsize len) {
  const char *p = run, *end = run + len;
  while (p < end) {
    gsize room = FOLD_AT - fold_column(f) - 1; /* the field name is far shorter than FOLD_AT */
    gsize bytes = f->has_word ? EW_BYTES : MIN(EW_BYTES, (room - EW_OVERHEAD) / 4 * 3);
    const char *q = p, *after_space = NULL;
    while (q < end) {
      const char *next = g_utf8_next_char(q);
      if ((gsize)(next - p) > bytes && q > p)
        break;
      if (*q == ' ')
        after_space = next;
      q = next;
    }
    if (q < end && after_space)
      q = after_space;
    g_autofree char *b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
    g_autofree char *word = g_strdup_printf("=?UTF-8?B?%s?=", b64);
    fold_word(f, word, strlen(word));
    p = q;
  }
}

/* Octets of a word once written inside a quoted-string. */
static gsize quoted_length(const char *w) {
  gsize n = 0;
  for (; *w; w++)
    n += (*w == '"' || *w == '\\') ? 2 : 1;
  return n;
}

/* Whether a word of cleaned text must go into an encoded-word: it is not
 * ASCII; it holds "=?" (a reader could take it for an encoded-word and
 * show something else); or, quoted, it could not fit on a line after the
 * longest field name we write it in ("Subject: ") and so could not be
 * folded within FOLD_AT. */
static gboolean word_needs_encoding(const char *w) {
  return !is_ascii(w) || strstr(w, "=?") != NULL || quoted_length(w) + 2 > FOLD_AT - strlen("Subject: ");
}

/* Writes cleaned text (clean_line: single spaces between words) as a
 * display name (`phrase`) or a Subject.  Consecutive words that need
 * encoding (word_needs_encoding) form a run of encoded-words; the other
 * runs are written as they are: in a Subject as words, in a name as atoms,
 * or as one quoted-string when the run holds a special (RFC 5322 §3.2.4:
 * '"' and '\\' escaped; folded only at its own spaces, which unfolding
 * keeps).  The spaces between runs are real separators to every reader. */
static void fold_text(Fold *f, const char *s, gboolean phrase) {
  if (!*s)
    return;
  g_auto(GStrv) words = g_strsplit(s, " ", -1);
  guint n = g_strv_length(words);
  for (guint i = 0; i < n;) {
    gboolean encode = word_needs_encoding(words[i]);
    guint j = i + 1;
    while (j < n && word_needs_encoding(words[j]) == encode)
      j++;
    if (encode) {
      g_autoptr(GString) run = g_string_new(NULL);
      for (guint k = i; k < j; k++)
        g_string_append_printf(run, "%s%s", k > i ? " " : "", words[k]);
      fold_encoded(f, run->str, run->len);
      i = j;
      continue;
    }
    gboolean quote = FALSE;
    for (guint k = i; phrase && k < j; k++)
      for (const char *p = words[k]; *p; p++)
        quote = quote || !is_atext(*p);
    for (guint k = i; k < j; k++) {
      GString *w = g_string_new(quote && k == i ? "\"" : "");
      for (const char *p = words[k]; *p; p++) {
        if (quote && (*p == '"' || *p == '\\'))
          g_string_append_c(w, '\\');
        g_string_append_c(w, *p);
      }
      if (quote && k + 1 == j)
        g_string_append_c(w, '"');
      fold_word(f, w->str, w->len);
      g_string_free(w, TRUE);
    }
    i = j;
  }
}

/* "From: Name <addr>" or "From: addr" when the name cleans to nothing. */
static void write_address(GString *out, const char *field, const char *name, const char *addr) {
  Fold f = {out, 0, FALSE};
  fold_begin(&f, field);
  g_autofree char *clean = clean_line(name, MESSAGE_NAME_MAX_CHARS);
  if (*clean) {
    fold_text(&f, clean, TRUE);
    g_autofree char *bracketed = g_strdup_printf("<%s>", addr);
    fold_word(&f, bracketed, strlen(bracketed));
  } else {
    fold_word(&f, addr, strlen(addr));
  }
  fold_end(&f);
}

static void write_one(GString *out, const char *field, const char *value) {
  Fold f = {out, 0, FALSE};
  fold_begin(&f, field);
  fold_word(&f, value, strlen(value));
  fold_end(&f);
}

/* RFC 5322 §3.3 date-time, with English names whatever the locale:
 * "Tue, 08 Dec 2026 10:00:00 +0100".  The offset is cut to whole minutes
 * and the clock time is read in that offset, so the two agree. */
static gboolean write_date(GString *out, gint64 date, int utc_offset);

char *message_date_field(gint64 date, int utc_offset) {
  GString *out = g_string_new(NULL);
  if (!write_date(out, date, utc_offset)) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return g_string_free(out, FALSE);
}

static gboolean write_date(GString *out, gint64 date, int utc_offset) {
  static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int minutes = utc_offset / 60;
  gint64 local = date + (gint64)minutes * 60;
  if (date < DATE_MIN || date > DATE_MAX || local < DATE_MIN || local > DATE_MAX)
    return FALSE;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(local);
  if (!dt)
    return FALSE;
  int abs_min = ABS(minutes);
  g_string_append_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02d%02d\r\n",
                         days[g_date_time_get_day_of_week(dt) - 1], g_date_time_get_day_of_month(dt),
                         months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt), g_date_time_get_hour(dt),
                         g_date_time_get_minute(dt), g_date_time_get_second(dt), minutes < 0 ? '-' : '+',
                         abs_min / 60, abs_min % 60);
  return TRUE;
}

/* ---- bodies ------------------------------------------------------------------------------------------- */

/* Controls removed from a body: C0 but TAB (CR and LF are line breaks and
 * handled before), DEL, C1.  NUL cannot occur: the text is a C string. */
static gboolean body_drops(gunichar c) {
  return (c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

/* One logical line (no CR or LF, controls already dropped, valid UTF-8)
 * as quoted-printable physical lines, without the final CRLF.  The octets
 * of one character are kept on one physical line. */
static void qp_line(GString *out, const char *s, gsize n) {
  gsize col = 0;
  for (gsize i = 0; i < n;) {
    gsize clen = (gsize)(g_utf8_next_char(s + i) - (s + i));
    gboolean last = i + clen == n;
    guchar c = (guchar)s[i];
    gboolean literal;
    if (clen > 1 || c == '=')
      literal = FALSE;
    else if (c == ' ' || c == '\t')
      literal = !last; /* trailing white space would be stripped in transit */
    else
      literal = c >= 33 && c <= 126;
    gsize width = literal ? 1 : 3 * clen;
    /* Room for the '=' of a soft break unless this ends the line. */
    if (col + width > (last ? QP_LINE : QP_LINE - 1)) {
      g_string_append(out, "=\r\n");
      col = 0;
    }
    if (col == 0 && literal && (c == '.' || (c == 'F' && n - i >= 5 && memcmp(s + i, "From ", 5) == 0))) {
      literal = FALSE;
      width = 3;
    }
    if (literal) {
      g_string_append_c(out, (char)c);
    } else {
      for (gsize k = 0; k < clen; k++) { /* upper-case hex, as RFC 2045 requires */
        g_string_append_c(out, '=');
        g_string_append_c(out, "0123456789ABCDEF"[(guchar)s[i + k] >> 4]);
        g_string_append_c(out, "0123456789ABCDEF"[(guchar)s[i + k] & 15]);
      }
    }
    col += width;
    i += clen;
  }
}

/* `text` as a quoted-printable body (see message_build in message.h),
 * without a final CRLF: the one before the next boundary delimiter belongs
 * to the delimiter (RFC 2046 §5.1.1), so a text ending in a newline ends
 * in an empty line here. */
static void qp_append(GString *out, const char *text) {
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  GString *line = g_string_new(NULL);
  const char *p = valid;
  for (;;) {
    g_string_truncate(line, 0);
    while (*p && *p != '\r' && *p != '\n') {
      gunichar c = g_utf8_get_char(p);
      const char *next = g_utf8_next_char(p);
      if (!body_drops(c))
        g_string_append_len(line, p, next - p);
      p = next;
    }
    qp_line(out, line->str, line->len);
    if (!*p)
      break;
    p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
    g_string_append(out, "\r\n");
  }
  g_string_free(line, TRUE);
}

/* `data` in base64 lines of 76, without a final CRLF. */
static void base64_append(GString *out, const char *data, gsize len) {
  g_autofree char *b64 = g_base64_encode((const guchar *)data, len);
  gsize n = strlen(b64);
  for (gsize i = 0; i < n; i += QP_LINE) {
    if (i > 0)
      g_string_append(out, "\r\n");
    g_string_append_len(out, b64 + i, MIN(QP_LINE, n - i));
  }
}

/* Whether the ics has a line "METHOD:<method>", any case (RFC 6047 §2.4:
 * the Content-Type method parameter must equal the METHOD property). */
static gboolean ics_has_method(const char *ics, const char *method) {
  gsize mlen = strlen(method);
  for (const char *p = ics; *p;) {
    const char *end = strchr(p, '\n');
    gsize n = end ? (gsize)(end - p) : strlen(p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n == 7 + mlen && g_ascii_strncasecmp(p, "METHOD:", 7) == 0 && g_ascii_strncasecmp(p + 7, method, mlen) == 0)
      return TRUE;
    if (!end)
      break;
    p = end + 1;
  }
  return FALSE;
}

static gboolean method_valid(const char *m) {
  gsize n = strlen(m);
  if (n == 0 || n > METHOD_MAX)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum(m[i]) && m[i] != '-')
      return FALSE;
  return TRUE;
}

static void write_delimiter(GString *out, const char *boundary, gboolean close) {
  g_string_append_printf(out, "\r\n--%s%s\r\n", boundary, close ? "--" : "");
}

/* The headers and body of a quoted-printable leaf part (its delimiter line
 * is the caller's). */
static void write_qp_part(GString *out, const char *type, const char *body) {
  write_field(out, "Content-Type", (const char *const[]){type, "charset=UTF-8", NULL});
  g_string_append(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
  qp_append(out, body);
}

/* ---- the message -------------------------------------------------------------------------------------- */

/* The checks of message_build(): NULL when the spec can be written, else
 * the sentence for the user. */
static char *spec_problem(const MessageSpec *s) {
  if (!s)
    return g_strdup("no message to build");
  const struct {
    const char *field, *value;
    gboolean optional;
  } addresses[] = {{"From", s->from, FALSE}, {"To", s->to, FALSE}, {"Reply-To", s->reply_to, TRUE}};
  for (gsize i = 0; i < G_N_ELEMENTS(addresses); i++) {
    if (!addresses[i].value) {
      if (!addresses[i].optional)
        return g_strdup_printf("the message has no %s address", addresses[i].field);
    } else if (!message_address_valid(addresses[i].value)) {
      g_autofree char *ex = excerpt(addresses[i].value);
      return g_strdup_printf("%s address %s is not a valid email address", addresses[i].field, ex);
    }
  }
  if (!s->subject)
    return g_strdup("the message has no subject");
  if (!s->text)
    return g_strdup("the message has no text");
  if (!s->message_id)
    return g_strdup("the message has no Message-ID");
  if (!message_id_valid(s->message_id)) {
    g_autofree char *ex = excerpt(s->message_id);
    return g_strdup_printf("Message-ID %s is not valid", ex);
  }
  if (s->in_reply_to && !message_id_valid(s->in_reply_to)) {
    g_autofree char *ex = excerpt(s->in_reply_to);
    return g_strdup_printf("In-Reply-To %s is not a valid Message-ID", ex);
  }
  if (s->utc_offset <= -86400 || s->utc_offset >= 86400)
    return g_strdup_printf("the UTC offset %d s is out of range", s->utc_offset);
  const struct {
    const char *what, *value;
  } parts[] = {{"text", s->text}, {"HTML", s->html}, {"calendar", s->ics}};
  for (gsize i = 0; i < G_N_ELEMENTS(parts); i++)
    if (parts[i].value && strlen(parts[i].value) > MESSAGE_PART_MAX)
      return g_strdup_printf("the message's %s is too large (over %d MB)", parts[i].what,
                             MESSAGE_PART_MAX / (1024 * 1024));
  if (s->ics) {
    if (!s->method)
      return g_strdup("the message has a calendar but no method");
    if (!method_valid(s->method)) {
      g_autofree char *ex = excerpt(s->method);
      return g_strdup_printf("method %s is not a valid iCalendar method", ex);
    }
    if (!ics_has_method(s->ics, s->method))
      return g_strdup_printf("the calendar has no line METHOD:%s (RFC 6047 requires the method to match)",
                             s->method);
  }
  return NULL;
}

char *message_build(const MessageSpec *spec, gsize *len, char **error) {
  char *problem = spec_problem(spec);
  if (problem) {
    if (error)
      *error = problem;
    else
      g_free(problem);
    return NULL;
  }
  g_autoptr(GString) out = g_string_sized_new(4096 + strlen(spec->text) * 2 + (spec->ics ? strlen(spec->ics) * 3 : 0));
  if (!write_date(out, spec->date, spec->utc_offset)) {
    set_error(error, "the message's date %" G_GINT64_FORMAT " is out of range", spec->date);
    return NULL;
  }
  write_address(out, "From", spec->from_name, spec->from);
  write_address(out, "To", spec->to_name, spec->to);
  if (spec->reply_to)
    write_address(out, "Reply-To", NULL, spec->reply_to);
  {
    Fold f = {out, 0, FALSE};
    fold_begin(&f, "Subject");
    g_autofree char *subject = clean_line(spec->subject, MESSAGE_SUBJECT_MAX_CHARS);
    fold_text(&f, subject, FALSE);
    fold_end(&f);
  }
  write_one(out, "Message-ID", spec->message_id);
  if (spec->in_reply_to) {
    write_one(out, "In-Reply-To", spec->in_reply_to);
    write_one(out, "References", spec->in_reply_to);
  }
  g_string_append(out, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");

  g_autofree char *hex = sha256_hex("diaryd boundary ", spec->message_id, 24);
  g_autofree char *mixed = g_strdup_printf("=_mixed_%s", hex);
  g_autofree char *alt = g_strdup_printf("=_alt_%s", hex);
  g_autofree char *mixed_param = g_strdup_printf("boundary=\"%s\"", mixed);
  g_autofree char *alt_param = g_strdup_printf("boundary=\"%s\"", alt);
  write_field(out, "Content-Type", (const char *const[]){"multipart/mixed;", mixed_param, NULL});
  g_string_append(out, "\r\n");

  /* The alternative: text, HTML, calendar (RFC 2046 §5.1.4: the best last). */
  g_string_append_printf(out, "--%s\r\n", mixed);
  write_field(out, "Content-Type", (const char *const[]){"multipart/alternative;", alt_param, NULL});
  g_string_append(out, "\r\n");
  g_string_append_printf(out, "--%s\r\n", alt);
  write_qp_part(out, "text/plain;", spec->text);
  if (spec->html) {
    write_delimiter(out, alt, FALSE);
    write_qp_part(out, "text/html;", spec->html);
  }
  g_autofree char *method = spec->ics ? g_ascii_strup(spec->method, -1) : NULL;
  if (spec->ics) {
    g_autofree char *method_param = g_strdup_printf("method=%s", method);
    write_delimiter(out, alt, FALSE);
    write_field(out, "Content-Type", (const char *const[]){"text/calendar;", "charset=UTF-8;", method_param, NULL});
    g_string_append(out, "Content-Transfer-Encoding: base64\r\n\r\n");
    base64_append(out, spec->ics, strlen(spec->ics));
  }
  write_delimiter(out, alt, TRUE);

  /* The attachment, for readers that do not look inside the alternative. */
  if (spec->ics) {
    g_string_append_printf(out, "--%s\r\n", mixed);
    write_field(out, "Content-Type", (const char *const[]){"application/ics;", "name=\"invite.ics\"", NULL});
    write_field(out, "Content-Disposition", (const char *const[]){"attachment;", "filename=\"invite.ics\"", NULL});
    g_string_append(out, "Content-Transfer-Encoding: base64\r\n\r\n");
    base64_append(out, spec->ics, strlen(spec->ics));
    write_delimiter(out, mixed, TRUE);
  } else {
    g_string_append_printf(out, "--%s--\r\n", mixed);
  }
  if (len)
    *len = out->len;
  return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ---- templates ---------------------------------------------------------------------------------------- */

/* A template line is a list of segments: literal text (braces already
 * unescaped) or a placeholder name. */
typedef struct {
  char *text;
  gboolean var;
} Segment;

typedef struct {
  GArray *segs; /* of Segment */
  gboolean has_var;
  gboolean blank; /* no placeholder, only white space */
} TLine;

struct MessageTemplate {
  TLine *subject;
  GPtrArray *lines;         /* of TLine*: the body */
  gboolean final_newline;   /* the body's last line ends in a newline */
};

static void segment_clear(gpointer p) {
  g_free(((Segment *)p)->text);
}

static void tline_free(gpointer p) {
  TLine *l = p;
  if (!l)
    return;
  g_array_unref(l->segs);
  g_free(l);
}

void message_template_free(MessageTemplate *t) {
  if (!t)
    return;
  tline_free(t->subject);
  if (t->lines)
    g_ptr_array_unref(t->lines);
  g_free(t);
}

static gboolean is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}

static gboolean name_known(const char *name, const char *const *known) {
  for (; *known; known++)
    if (strcmp(*known, name) == 0)
      return TRUE;
  return FALSE;
}

static void flush_literal(TLine *l, GString *lit) {
  if (!lit->len)
    return;
  Segment seg = {g_strndup(lit->str, lit->len), FALSE};
  g_array_append_val(l->segs, seg);
  g_string_truncate(lit, 0);
}

/* One line [s, s + n) (no line end) -> TLine, or NULL with *error. */
static TLine *parse_line(const char *s, gsize n, guint lineno, const char *const *known, char **error) {
  TLine *l = g_new0(TLine, 1);
  l->segs = g_array_new(FALSE, FALSE, sizeof(Segment));
  g_array_set_clear_func(l->segs, segment_clear);
  g_autoptr(GString) lit = g_string_new(NULL);
  gboolean blank = TRUE;
  for (gsize i = 0; i < n;) {
    char c = s[i];
    blank = blank && (c == ' ' || c == '\t');
    if (c == '{' && i + 1 < n && s[i + 1] == '{') {
      g_string_append_c(lit, '{');
      i += 2;
    } else if (c == '}' && i + 1 < n && s[i + 1] == '}') {
      g_string_append_c(lit, '}');
      i += 2;
    } else if (c == '}') {
      set_error(error, "line %u: '}' without '{' (write }} for a literal brace)", lineno);
      goto fail;
    } else if (c == '{') {
      const char *close = memchr(s + i, '}', n - i);
      if (!close) {
        set_error(error, "line %u: '{' is not closed (write {{ for a literal brace)", lineno);
        goto fail;
      }
      gsize j = i + 1;
      while (j < n && is_name_char(s[j]))
        j++;
      g_autofree char *name = g_strndup(s + i + 1, (gsize)(close - s) - i - 1);
      if (j == i + 1 || s + j != close) {
        g_autofree char *ex = excerpt(name);
        set_error(error, "line %u: bad placeholder {%s}: a name is lower-case letters and '_' (write {{ for a brace)",
                  lineno, ex);
        goto fail;
      }
      if (!name_known(name, known)) {
        set_error(error, "line %u: unknown placeholder {%s}", lineno, name);
        goto fail;
      }
      flush_literal(l, lit);
      Segment seg = {g_steal_pointer(&name), TRUE};
      g_array_append_val(l->segs, seg);
      l->has_var = TRUE;
      i = j + 1;
    } else {
      g_string_append_c(lit, c);
      i++;
    }
  }
  flush_literal(l, lit);
  l->blank = blank && !l->has_var;
  return l;
fail:
  tline_free(l);
  return NULL;
}

/* The length of the line at p (up to end), without its LF or CRLF. */
static gsize line_length(const char *p, const char *end, const char **next) {
  const char *nl = memchr(p, '\n', (gsize)(end - p));
  const char *stop = nl ? nl : end;
  *next = nl ? nl + 1 : end;
  gsize n = (gsize)(stop - p);
  if (n > 0 && p[n - 1] == '\r')
    n--;
  return n;
}

MessageTemplate *message_template_parse(const char *text, gsize len, const char *const *known, char **error) {
  if (!known)
    known = MESSAGE_PLACEHOLDERS;
  if (!text)
    len = 0;
  if (len > MESSAGE_TEMPLATE_MAX) {
    set_error(error, "template too large (over %d KB)", MESSAGE_TEMPLATE_MAX / 1024);
    return NULL;
  }
  const char *end;
  if (len && !g_utf8_validate_len(text, len, &end)) {
    guint lineno = 1;
    for (const char *p = text; p < end; p++)
      lineno += *p == '\n';
    set_error(error, "line %u: %s", lineno, *end ? "not valid UTF-8" : "a NUL byte");
    return NULL;
  }
  const char *p = text, *stop = text + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  const char *next;
  gsize n = p < stop ? line_length(p, stop, &next) : 0;
  if (n < 8 || g_ascii_strncasecmp(p, "Subject:", 8) != 0) {
    set_error(error, "line 1: the first line must be \"Subject: ...\"");
    return NULL;
  }
  g_autoptr(MessageTemplate) t = g_new0(MessageTemplate, 1);
  t->lines = g_ptr_array_new_with_free_func(tline_free);
  gsize skip = 8;
  while (skip < n && (p[skip] == ' ' || p[skip] == '\t'))
    skip++;
  if (!(t->subject = parse_line(p + skip, n - skip, 1, known, error)))
    return NULL;
  p = next;
  if (p < stop) {
    n = line_length(p, stop, &next);
    for (gsize i = 0; i < n; i++)
      if (p[i] != ' ' && p[i] != '\t') {
        set_error(error, "line 2: the Subject line must be followed by an empty line");
        return NULL;
      }
    p = next;
  }
  t->final_newline = p < stop && stop[-1] == '\n';
  for (guint lineno = 3; p < stop; lineno++) {
    n = line_length(p, stop, &next);
    TLine *l = parse_line(p, n, lineno, known, error);
    if (!l)
      return NULL;
    g_ptr_array_add(t->lines, l);
    p = next;
  }
  return g_steal_pointer(&t);
}

static gboolean value_empty(const char *v) {
  for (; v && *v; v++)
    if (!g_ascii_isspace(*v))
      return FALSE;
  return TRUE;
}

/* Appends the rendered line; returns whether some placeholder had a value. */
static gboolean render_line(const TLine *l, GHashTable *vars, GString *out) {
  gboolean any = FALSE;
  for (guint i = 0; i < l->segs->len; i++) {
    const Segment *seg = &g_array_index(l->segs, Segment, i);
    if (!seg->var) {
      g_string_append(out, seg->text);
      continue;
    }
    const char *v = vars ? g_hash_table_lookup(vars, seg->text) : NULL;
    if (v)
      g_string_append(out, v);
    any = any || !value_empty(v);
  }
  return any;
}

char *message_template_render(const MessageTemplate *t, GHashTable *vars, char **subject) {
  if (subject) {
    g_autoptr(GString) s = g_string_new(NULL);
    render_line(t->subject, vars, s);
    for (gsize i = 0; i < s->len; i++)
      if (s->str[i] == '\r' || s->str[i] == '\n')
        s->str[i] = ' ';
    *subject = g_utf8_make_valid(s->str, (gssize)s->len);
  }
  /* Blank lines are held back until the next kept line: where lines were
   * left out in between, they count once (none before the first kept line
   * or after the last), so an optional block leaves no gap behind. */
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
  guint pending = 0;
  gboolean omitted = FALSE;
  for (guint i = 0; i < t->lines->len; i++) {
    const TLine *l = g_ptr_array_index(t->lines, i);
    if (l->blank) {
      pending++;
      continue;
    }
    GString *line = g_string_new(NULL);
    if (!render_line(l, vars, line) && l->has_var) {
      g_string_free(line, TRUE);
      omitted = TRUE;
      continue;
    }
    guint blanks = !omitted ? pending : kept->len && pending ? 1 : 0;
    for (guint k = 0; k < blanks; k++)
      g_ptr_array_add(kept, g_strdup(""));
    g_ptr_array_add(kept, g_string_free(line, FALSE));
    pending = 0;
    omitted = FALSE;
  }
  for (guint k = 0; !omitted && k < pending; k++)
    g_ptr_array_add(kept, g_strdup(""));
  g_ptr_array_add(kept, NULL);
  g_autofree char *body = g_strjoinv("\n", (char **)kept->pdata);
  g_autofree char *ended = g_strconcat(body, t->final_newline && kept->len > 1 ? "\n" : "", NULL);
  return g_utf8_make_valid(ended, -1);
}

/* ---- HTML --------------------------------------------------------------------------------------------- */

static void html_escape(GString *out, const char *s, gsize n) {
  for (gsize i = 0; i < n; i++) {
    switch (s[i]) {
    case '&': g_string_append(out, "&amp;"); break;
    case '<': g_string_append(out, "&lt;"); break;
    case '>': g_string_append(out, "&gt;"); break;
    case '"': g_string_append(out, "&quot;"); break;
    case '\'': g_string_append(out, "&#39;"); break;
    default: g_string_append_c(out, s[i]);
    }
  }
}

/* The length of an http(s) URL starting at p (0 if none): it must start a
 * word and have a host, and is made of RFC 3986 characters; punctuation
 * that more likely ends the sentence ("." "," ";" ":" "!" "?" "'", or a ")"
 * or "]" the URL did not open) is left out.  Linear in the URL's length,
 * whatever it holds. */
static gsize url_at(const char *start, const char *p) {
  if (p > start && (g_ascii_isalnum(p[-1]) || p[-1] == '/' || p[-1] == '.'))
    return 0;
  gsize scheme;
  if (g_ascii_strncasecmp(p, "https://", 8) == 0)
    scheme = 8;
  else if (g_ascii_strncasecmp(p, "http://", 7) == 0)
    scheme = 7;
  else
    return 0;
  if (!g_ascii_isalnum(p[scheme]) && p[scheme] != '[')
    return 0;
  gsize n = scheme;
  int parens = 0, brackets = 0; /* opened minus closed */
  while (p[n] && (g_ascii_isalnum(p[n]) || strchr("-._~:/?#[]@!$&'()*+,;=%", p[n]))) {
    parens += (p[n] == '(') - (p[n] == ')');
    brackets += (p[n] == '[') - (p[n] == ']');
    n++;
  }
  while (n > scheme + 1) {
    char last = p[n - 1];
    if (strchr(".,;:!?'", last))
      n--;
    else if (last == ')' && parens < 0)
      n--, parens++;
    else if (last == ']' && brackets < 0)
      n--, brackets++;
    else
      break;
  }
  return n;
}

char *message_text_to_html(const char *text) {
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  GString *out = g_string_new("<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"></head>\n"
                              "<body style=\"font-family: Helvetica, Arial, sans-serif; font-size: 15px; "
                              "line-height: 1.5; color: #222222;\">\n");
  gboolean space_is_nbsp = TRUE; /* at a line start or after a space */
  for (const char *p = valid; *p;) {
    if (*p == '\r' || *p == '\n') {
      p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
      g_string_append(out, "<br>\n");
      space_is_nbsp = TRUE;
      continue;
    }
    gsize url = url_at(valid, p);
    if (url) {
      g_string_append(out, "<a href=\"");
      html_escape(out, p, url);
      g_string_append(out, "\">");
      html_escape(out, p, url);
      g_string_append(out, "</a>");
      p += url;
      space_is_nbsp = FALSE;
      continue;
    }
    gunichar c = g_utf8_get_char(p);
    const char *next = g_utf8_next_char(p);
    if (c == ' ' || c == '\t') {
      g_string_append(out, space_is_nbsp ? "&nbsp;" : " ");
      space_is_nbsp = TRUE;
    } else if (!body_drops(c)) {
      html_escape(out, p, (gsize)(next - p));
      space_is_nbsp = FALSE;
    }
    p = next;
  }
  g_string_append(out, "\n</body></html>\n");
  return g_string_free(out, FALSE);
}
