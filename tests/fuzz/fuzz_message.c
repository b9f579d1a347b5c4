/* libFuzzer target: core/message.  The input is split at NUL bytes into
 * fields: from name, to name, subject, text, html, ics, method, To
 * address, In-Reply-To, a template; the first octet of the input also
 * chooses which optional fields are set, and a hash of it the date and
 * offset.  Any crash, sanitizer report, hang or leak is a bug, and so is a
 * broken promise:
 *   - a built message has CRLF line ends only, no line over 998 octets
 *     (none over 78 in the header when the addresses are short), exactly
 *     the intended header fields in order, and exactly the MIME delimiter
 *     lines intended: hostile text adds neither a header nor a part;
 *   - a message with valid addresses and ids and no calendar is always
 *     built, and a refusal always says why;
 *   - an address accepted has none of the characters that could break a
 *     header;
 *   - a template either parses or says "line N: ..."; a rendered one is
 *     valid UTF-8 with a one-line subject;
 *   - the HTML of any text is valid UTF-8 and has no tag but <br>, <a href>.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

enum { F_FROM_NAME, F_TO_NAME, F_SUBJECT, F_TEXT, F_HTML, F_ICS, F_METHOD, F_TO, F_IN_REPLY_TO, F_TEMPLATE, F_N };

static void check_address(const char *a) {
  if (!message_address_valid(a))
    return;
  CHECK(strlen(a) <= 254 && strchr(a, '@') == strrchr(a, '@'));
  for (const char *p = a; *p; p++)
    CHECK(*p > 32 && *p < 127 && !strchr("<>,\"()\\;: ", *p));
}

/* The header field names in order, "," separated; aborts on a header line
 * that is neither a field nor a continuation, or too long. */
static char *header_names(const char *m, gboolean short_lines) {
  GString *names = g_string_new(NULL);
  const char *p = m;
  for (;;) {
    const char *eol = strstr(p, "\r\n");
    CHECK(eol);
    if (eol == p)
      break;
    CHECK(eol - p <= (short_lines ? 78 : 998));
    if (*p == ' ' || *p == '\t') {
      CHECK(names->len > 0);
    } else {
      const char *colon = memchr(p, ':', eol - p);
      CHECK(colon && colon > p);
      for (const char *q = p; q < colon; q++)
        CHECK(*q > 32 && *q < 127);
      g_string_append_printf(names, "%s%.*s", names->len ? "," : "", (int)(colon - p), p);
    }
    p = eol + 2;
  }
  return g_string_free(names, FALSE);
}

/* How many lines read "--BOUNDARY" or "--BOUNDARY--". */
static void count_delimiters(const char *m, const char *boundary, guint *open, guint *close) {
  gsize n = strlen(boundary);
  *open = *close = 0;
  for (const char *p = m; p; p = strstr(p, "\r\n")) {
    if (p != m)
      p += 2;
    if (p[0] == '-' && p[1] == '-' && strncmp(p + 2, boundary, n) == 0) {
      if (strncmp(p + 2 + n, "\r\n", 2) == 0)
        (*open)++;
      else if (strncmp(p + 2 + n, "--\r\n", 4) == 0)
        (*close)++;
      else
        CHECK(FALSE);
    }
  }
}

/* The boundary parameter of a Content-Type field line (a CRLF in text is
 * always followed by a space: no text can look like a field line). */
static char *boundary_of(const char *m, const char *type) {
  g_autofree char *key = g_strdup_printf("\r\nContent-Type: %s; boundary=\"", type);
  const char *p = strstr(m, key);
  CHECK(p);
  p += strlen(key);
  return g_strndup(p, strcspn(p, "\""));
}

static void check_message(const MessageSpec *s, const char *m, gsize len) {
  CHECK(len == strlen(m) && len >= 2 && m[len - 2] == '\r' && m[len - 1] == '\n');
  gsize line = 0;
  for (gsize i = 0; i < len; i++) {
    if (m[i] == '\r') {
      CHECK(m[i + 1] == '\n');
      i++;
      line = 0;
      continue;
    }
    CHECK(m[i] != '\n');
    CHECK(++line <= 998);
  }
  /* Addresses and ids are single words: only when they are short can every header line be. */
  gboolean short_lines =
      strlen(s->to) <= 60 && strlen(s->message_id) <= 60 && (!s->in_reply_to || strlen(s->in_reply_to) <= 60);
  g_autofree char *names = header_names(m, short_lines);
  GString *want = g_string_new("Date,From,To");
  if (s->reply_to)
    g_string_append(want, ",Reply-To");
  g_string_append(want, ",Subject,Message-ID");
  if (s->in_reply_to)
    g_string_append(want, ",In-Reply-To,References");
  g_string_append(want, ",MIME-Version,Auto-Submitted,Content-Type");
  CHECK(strcmp(names, want->str) == 0);
  g_string_free(want, TRUE);

  g_autofree char *mixed = boundary_of(m, "multipart/mixed");
  g_autofree char *alt = boundary_of(m, "multipart/alternative");
  guint open, close;
  count_delimiters(m, mixed, &open, &close);
  CHECK(open == (s->ics ? 2u : 1u) && close == 1);
  count_delimiters(m, alt, &open, &close);
  CHECK(open == 1u + (s->html != NULL) + (s->ics != NULL) && close == 1);
  /* No other line that a reader could take for a delimiter. */
  for (const char *p = strstr(m, "\r\n--"); p; p = strstr(p + 2, "\r\n--"))
    CHECK(strncmp(p + 4, mixed, strlen(mixed)) == 0 || strncmp(p + 4, alt, strlen(alt)) == 0 ||
          strncmp(p + 4, "=_", 2) != 0);
}

static void check_build(char **f, guint8 flags, guint32 hash) {
  g_autofree char *id = message_id_make(f[F_SUBJECT], f[F_TO]);
  CHECK(message_id_valid(id));
  MessageSpec s = {
      .from_name = (flags & 1) ? f[F_FROM_NAME] : NULL,
      .from = "owner@example.com",
      .to_name = f[F_TO_NAME],
      .to = (flags & 2) ? f[F_TO] : "someone@example.org",
      .reply_to = (flags & 4) ? "office@example.com" : NULL,
      .subject = f[F_SUBJECT],
      .message_id = id,
      .in_reply_to = (flags & 8) ? f[F_IN_REPLY_TO] : NULL,
      .date = (gint64)(hash % 4000000000u) - 1000000000,
      .utc_offset = (int)(hash % 100000) - 50000,
      .text = f[F_TEXT],
      .html = (flags & 16) ? f[F_HTML] : NULL,
      .ics = (flags & 32) ? f[F_ICS] : NULL,
      .method = f[F_METHOD],
  };
  gsize len = 0;
  char *error = NULL;
  char *m = message_build(&s, &len, &error);
  if (m) {
    CHECK(!error);
    check_message(&s, m, len);
    /* Byte-identical on retry. */
    gsize len2 = 0;
    char *again = message_build(&s, &len2, NULL);
    CHECK(again && len2 == len && memcmp(again, m, len) == 0);
    g_free(again);
  } else {
    CHECK(error && *error && g_utf8_validate(error, -1, NULL) && !strchr(error, '\n'));
    gboolean must_build = message_address_valid(s.to) && (!s.in_reply_to || message_id_valid(s.in_reply_to)) && !s.ics;
    CHECK(!must_build);
  }
  g_free(m);
  g_free(error);
}

static void check_template(char **f, const char *text, gsize len) {
  char *error = NULL;
  MessageTemplate *t = message_template_parse(text, len, NULL, &error);
  if (!t) {
    CHECK(error && (g_str_has_prefix(error, "line ") || g_str_has_prefix(error, "template too large")));
    g_free(error);
    return;
  }
  CHECK(!error);
  GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; MESSAGE_PLACEHOLDERS[i]; i++)
    g_hash_table_insert(vars, (gpointer)MESSAGE_PLACEHOLDERS[i], f[i % F_TEMPLATE]);
  char *subject = NULL;
  char *body = message_template_render(t, vars, &subject);
  CHECK(g_utf8_validate(body, -1, NULL) && g_utf8_validate(subject, -1, NULL));
  CHECK(!strchr(subject, '\r') && !strchr(subject, '\n'));
  g_free(subject);
  g_free(body);
  g_hash_table_unref(vars);
  message_template_free(t);
}

static void check_html(const char *text) {
  char *html = message_text_to_html(text);
  CHECK(g_utf8_validate(html, -1, NULL));
  const char *body = strstr(html, "\">\n");
  CHECK(body);
  const char *tail = g_strrstr(html, "\n</body></html>\n");
  CHECK(tail && tail >= body);
  for (const char *p = memchr(body, '<', tail - body); p && p < tail; p = memchr(p + 1, '<', tail - p - 1))
    CHECK(g_str_has_prefix(p, "<br>") || g_ascii_strncasecmp(p, "<a href=\"http", 13) == 0 ||
          g_str_has_prefix(p, "</a>"));
  g_free(html);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  guint8 flags = data[0];
  guint32 hash = 2166136261u;
  for (size_t i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 16777619u;
  /* Fields: the rest of the input split at NUL; the template is all the
   * rest (NULs included, it has a length). */
  char *f[F_N];
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  const char *template_text = end;
  gsize template_len = 0;
  for (int i = 0; i < F_N; i++) {
    if (i == F_TEMPLATE) {
      template_text = p;
      template_len = (gsize)(end - p);
      f[i] = g_strndup(p, template_len);
      break;
    }
    const char *nul = memchr(p, '\0', end - p);
    const char *stop = nul ? nul : end;
    f[i] = g_strndup(p, stop - p);
    p = nul ? nul + 1 : end;
  }
  check_address(f[F_TO]);
  check_address(f[F_IN_REPLY_TO]);
  check_build(f, flags, hash);
  check_template(f, template_text, template_len);
  check_html(f[F_TEXT]);
  for (int i = 0; i < F_N; i++)
    g_free(f[i]);
  return 0;
}
