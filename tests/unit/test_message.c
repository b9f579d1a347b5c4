/* Unit tests for core/message: addresses and ids, the message builder
 * (read back with a small RFC 5322 / MIME reader written here, independent
 * of the builder: headers, encoded-words, quoted-printable, base64,
 * multipart), templates and the HTML alternative. */
#include <glib.h>
#include <string.h>

#include "message.h"
#include "testutil.h"

/* ---- addresses ---------------------------------------------------------------------------------------- */

static const char *const good_addresses[] = {
    "a@example.com",
    "sam.carter@example.co.uk",
    "x@b.c",
    "first.last+tag@sub.example.org",
    "!#$%&'*+-/=?^_`{|}~@example.com",
    "o'brien@example.ie",
    "user@[192.0.2.1]",
    "user@[255.255.255.255]",
    "user@[0.0.0.0]",
    "a@xn--bcher-kva.example",
    "a@1.2.3.4",
    "a-b@a-b.c-d",
    "UPPER@EXAMPLE.COM",
    /* 64-octet local part, 63-octet label */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com",
};

static const char *const bad_addresses[] = {
    "",
    "a",
    "@example.com",
    "a@",
    "a@b",                    /* no dot */
    "a@@example.com",
    "a@b@example.com",        /* two @ */
    "a b@example.com",        /* space */
    " a@example.com",
    "a@example.com ",
    "a@exa mple.com",
    "a\r@example.com",        /* CR */
    "a@example.com\r\nBcc: evil@x.com",
    "a\n@example.com",        /* LF */
    "a@example.com\nBcc: e@x.com",
    "<a@example.com>",
    "a<b@example.com",
    "a>b@example.com",
    "a,b@example.com",
    "a@example.com,b@example.com",
    "\"a\"@example.com",      /* quoted local parts are refused */
    "a(b)@example.com",
    "a;b@example.com",
    "a:b@example.com",
    "a\\b@example.com",
    "a[b]@example.com",
    ".a@example.com",         /* leading dot */
    "a.@example.com",         /* trailing dot */
    "a..b@example.com",       /* double dot */
    "a@.example.com",
    "a@example.com.",
    "a@example..com",
    "a@-example.com",
    "a@example-.com",
    "a@exa_mple.com",
    "a@exa!mple.com",
    "jos\xc3\xa9@example.com", /* non-ASCII */
    "a@b\xc3\xbc" "cher.example",
    "a\x7f@example.com",
    "a\t@example.com",
    "a@[192.0.2.256]",
    "a@[192.0.2]",
    "a@[192.0.2.1.5]",
    "a@[01.2.3.4]",
    "a@[1.2.3.4",
    "a@[IPv6:::1]",
    "a@[a.b.c.d]",
    /* 65-octet local part */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
    /* 64-octet label */
    "a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com",
};

static void test_addresses(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(good_addresses); i++)
    EXPECT(message_address_valid(good_addresses[i]), "good address \"%s\" refused", good_addresses[i]);
  for (gsize i = 0; i < G_N_ELEMENTS(bad_addresses); i++) {
    g_autofree char *esc = g_strescape(bad_addresses[i], NULL);
    EXPECT(!message_address_valid(bad_addresses[i]), "bad address \"%s\" accepted", esc);
  }
  g_assert_false(message_address_valid(NULL));

  /* Lengths: a domain of 253 octets, an address of 254 and one more. */
  GString *dom = g_string_new(NULL);
  while (dom->len < 253 - 4) /* labels of 49 + '.' */
    g_string_append(dom, "ddddddddddddddddddddddddddddddddddddddddddddddddd.");
  g_string_truncate(dom, 249);
  g_string_append(dom, ".com");
  g_assert_cmpuint(dom->len, ==, 253);
  g_assert_true(message_domain_valid(dom->str));
  g_autofree char *too_long_dom = g_strconcat("d", dom->str, NULL); /* first label 50: fine, but 254 octets */
  g_assert_false(message_domain_valid(too_long_dom));
  /* "x@" + 252-octet domain = 254 octets: accepted; 255 refused. */
  g_autofree char *d252 = g_strdup(dom->str + 1);
  g_autofree char *a254 = g_strconcat("x@", d252, NULL);
  g_assert_cmpuint(strlen(a254), ==, 254);
  EXPECT(message_address_valid(a254), "254-octet address refused");
  g_autofree char *a255 = g_strconcat("xy@", d252, NULL);
  EXPECT(!message_address_valid(a255), "255-octet address accepted");
  g_string_free(dom, TRUE);

  g_assert_true(message_domain_valid("example.com"));
  g_assert_false(message_domain_valid("localhost"));
  g_assert_false(message_domain_valid("[192.0.2.1]"));
  g_assert_false(message_domain_valid("exa mple.com"));
  g_assert_false(message_domain_valid(NULL));
}

static const struct {
  const char *id;
  gboolean ok;
} id_rows[] = {
    {"<abc@example.com>", TRUE},
    {"<a.b.c@d.e>", TRUE},
    {"<0123456789abcdef@diaryd.invalid>", TRUE},
    {"<x@[127.0.0.1]>", TRUE},
    {"<x@host>", TRUE},
    {"abc@example.com", FALSE},
    {"<abc@example.com", FALSE},
    {"<abc>", FALSE},
    {"<@example.com>", FALSE},
    {"<abc@>", FALSE},
    {"<a b@example.com>", FALSE},
    {"<abc@example.com>\r\nBcc: evil@x.com", FALSE},
    {"<abc@exa\r\nmple.com>", FALSE},
    {"<a@b@c>", FALSE},
    {"<a..b@c>", FALSE},
    {"<a@[1\\2]>", FALSE},
    {"", FALSE},
};

static void test_ids(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(id_rows); i++) {
    g_autofree char *esc = g_strescape(id_rows[i].id, NULL);
    EXPECT(message_id_valid(id_rows[i].id) == id_rows[i].ok, "msg-id \"%s\" %s", esc,
           id_rows[i].ok ? "refused" : "accepted");
  }
  g_assert_false(message_id_valid(NULL));

  /* SHA-256("") and SHA-256("abc"), first 32 hex digits. */
  g_autofree char *empty = message_id_make("", "example.com");
  g_assert_cmpstr(empty, ==, "<e3b0c44298fc1c149afbf4c8996fb924@example.com>");
  g_autofree char *null_key = message_id_make(NULL, "example.com");
  g_assert_cmpstr(null_key, ==, empty);
  g_autofree char *abc = message_id_make("abc", "mail.example.org");
  g_assert_cmpstr(abc, ==, "<ba7816bf8f01cfea414140de5dae2223@mail.example.org>");
  g_autofree char *again = message_id_make("abc", "mail.example.org");
  g_assert_cmpstr(again, ==, abc);
  g_autofree char *other = message_id_make("abd", "mail.example.org");
  g_assert_cmpstr(other, !=, abc);
  const char *bad_domains[] = {NULL, "", "localhost", "exa mple.com", "x.com>\r\nBcc: e@x.com", "[1.2.3.4]"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad_domains); i++) {
    g_autofree char *id = message_id_make("abc", bad_domains[i]);
    g_assert_cmpstr(id, ==, "<ba7816bf8f01cfea414140de5dae2223@diaryd.invalid>");
  }
  /* Any valid domain, the longest too, gives an id the builder accepts. */
  GString *dom = g_string_new(NULL);
  while (dom->len < 253)
    g_string_append(dom, "abcdefghi.");
  g_string_truncate(dom, 249);
  g_string_append(dom, ".com");
  g_assert_true(message_domain_valid(dom->str));
  g_autofree char *long_id = message_id_make("k", dom->str);
  g_assert_true(g_str_has_suffix(long_id, ".com>") && message_id_valid(long_id));
  g_string_free(dom, TRUE);
  g_autofree char *hostile_key = message_id_make("uid\r\n<>@\"x\"", "example.com");
  g_assert_true(message_id_valid(hostile_key));
}

/* ---- a small RFC 5322 / MIME reader ------------------------------------------------------------------- */

typedef struct {
  char *name;
  char *raw;   /* as written, folds included (after "Name:") */
  char *value; /* unfolded: CRLF removed */
} Header;

typedef struct {
  GPtrArray *headers; /* of Header* */
  char *body;
  gsize body_len;
} Entity;

static void header_free(gpointer p) {
  Header *h = p;
  g_free(h->name);
  g_free(h->raw);
  g_free(h->value);
  g_free(h);
}

static void entity_free(Entity *e) {
  if (!e)
    return;
  g_ptr_array_unref(e->headers);
  g_free(e->body);
  g_free(e);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Entity, entity_free)

/* The wire rules for a whole message: CRLF only, lines <= 998, ends in CRLF. */
static gboolean wire_ok(const char *m, gsize n, char **why) {
  gsize line = 0;
  for (gsize i = 0; i < n; i++) {
    if (m[i] == '\0') {
      *why = g_strdup_printf("NUL at %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (m[i] == '\r' && (i + 1 == n || m[i + 1] != '\n')) {
      *why = g_strdup_printf("bare CR at %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) {
      *why = g_strdup_printf("bare LF at %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
    if (m[i] == '\r') {
      line = 0;
      i++;
      continue;
    }
    if (++line > 998) {
      *why = g_strdup_printf("line over 998 octets at %" G_GSIZE_FORMAT, i);
      return FALSE;
    }
  }
  if (n < 2 || m[n - 2] != '\r' || m[n - 1] != '\n') {
    *why = g_strdup("does not end in CRLF");
    return FALSE;
  }
  return TRUE;
}

/* Headers and body of an entity (message or part); NULL if a header line
 * is neither "Name: ..." nor a continuation. */
static Entity *entity_parse(const char *s, gsize n) {
  g_autoptr(Entity) e = g_new0(Entity, 1);
  e->headers = g_ptr_array_new_with_free_func(header_free);
  const char *p = s, *end = s + n;
  while (p < end) {
    const char *eol = g_strstr_len(p, end - p, "\r\n");
    if (!eol)
      return NULL;
    if (eol == p) { /* the empty line */
      p += 2;
      break;
    }
    if (*p == ' ' || *p == '\t') {
      if (!e->headers->len)
        return NULL;
      Header *h = g_ptr_array_index(e->headers, e->headers->len - 1);
      char *raw = g_strdup_printf("%s\r\n%.*s", h->raw, (int)(eol - p), p);
      g_free(h->raw);
      h->raw = raw;
    } else {
      const char *colon = memchr(p, ':', eol - p);
      if (!colon || colon == p)
        return NULL;
      for (const char *q = p; q < colon; q++)
        if (*q <= 32 || *q >= 127)
          return NULL;
      Header *h = g_new0(Header, 1);
      h->name = g_strndup(p, colon - p);
      h->raw = g_strndup(colon + 1, eol - colon - 1);
      g_ptr_array_add(e->headers, h);
    }
    p = eol + 2;
  }
  for (guint i = 0; i < e->headers->len; i++) {
    Header *h = g_ptr_array_index(e->headers, i);
    GString *v = g_string_new(NULL);
    for (const char *q = h->raw; *q; q++)
      if (!(q[0] == '\r' && q[1] == '\n'))
        g_string_append_c(v, *q);
      else
        q++;
    h->value = g_string_free(v, FALSE);
  }
  e->body_len = (gsize)(end - p);
  e->body = g_strndup(p, e->body_len);
  return g_steal_pointer(&e);
}

static const Header *header_get(const Entity *e, const char *name) {
  for (guint i = 0; i < e->headers->len; i++) {
    const Header *h = g_ptr_array_index(e->headers, i);
    if (g_ascii_strcasecmp(h->name, name) == 0)
      return h;
  }
  return NULL;
}

static const char *header_value(const Entity *e, const char *name) {
  const Header *h = header_get(e, name);
  return h ? h->value : NULL;
}

/* The header names, in order, joined by ",". */
static char *header_names(const Entity *e) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < e->headers->len; i++)
    g_string_append_printf(s, "%s%s", i ? "," : "", ((const Header *)g_ptr_array_index(e->headers, i))->name);
  return g_string_free(s, FALSE);
}

/* A Content-Type parameter's value (quotes removed), or NULL. */
static char *param(const char *value, const char *name) {
  g_autofree char *key = g_strdup_printf("%s=", name);
  const char *p = value;
  while ((p = strstr(p, key))) {
    if (p == value || p[-1] == ' ' || p[-1] == ';')
      break;
    p++;
  }
  if (!p)
    return NULL;
  p += strlen(key);
  if (*p == '"') {
    const char *q = strchr(p + 1, '"');
    return q ? g_strndup(p + 1, q - p - 1) : NULL;
  }
  return g_strndup(p, strcspn(p, "; "));
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One encoded-word -> its bytes, or NULL if `w` is not one (or is broken:
 * the test then fails).  Checks the 75-octet limit. */
static GString *decode_ew(const char *w) {
  gsize n = strlen(w);
  if (n < 8 || strncmp(w, "=?", 2) != 0 || strcmp(w + n - 2, "?=") != 0)
    return NULL;
  g_auto(GStrv) f = g_strsplit(w + 2, "?", 3);
  if (g_strv_length(f) != 3)
    return NULL;
  EXPECT(n <= 75, "encoded-word of %" G_GSIZE_FORMAT " octets: %s", n, w);
  EXPECT(g_ascii_strcasecmp(f[0], "UTF-8") == 0, "charset %s", f[0]);
  f[2][strlen(f[2]) - 2] = '\0';
  GString *out = g_string_new(NULL);
  if (g_ascii_strcasecmp(f[1], "B") == 0) {
    gsize len;
    g_autofree guchar *raw = g_base64_decode(f[2], &len);
    g_string_append_len(out, (const char *)raw, len);
  } else {
    for (const char *p = f[2]; *p; p++) {
      if (*p == '_')
        g_string_append_c(out, ' ');
      else if (*p == '=' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
        g_string_append_c(out, (char)(hexval(p[1]) * 16 + hexval(p[2])));
        p += 2;
      } else
        g_string_append_c(out, *p);
    }
  }
  EXPECT(g_utf8_validate(out->str, out->len, NULL), "encoded-word %s splits a character", w);
  return out;
}

/* Words (split at single spaces) -> text: encoded-words decoded, the space
 * between two of them dropped (RFC 2047 §6.2), atoms joined by a space. */
static char *decode_words(char **words) {
  GString *out = g_string_new(NULL);
  gboolean prev_ew = FALSE;
  for (guint i = 0; words[i]; i++) {
    if (!*words[i])
      continue;
    GString *d = decode_ew(words[i]);
    if (out->len && !(d && prev_ew))
      g_string_append_c(out, ' ');
    if (d) {
      g_string_append_len(out, d->str, d->len);
      g_string_free(d, TRUE);
    } else {
      g_string_append(out, words[i]);
    }
    prev_ew = d != NULL;
  }
  return g_string_free(out, FALSE);
}

static char *decode_unstructured(const char *value) {
  g_auto(GStrv) words = g_strsplit(value, " ", -1);
  return decode_words(words);
}

/* A mailbox: " addr" or " PHRASE <addr>", the phrase made of atoms,
 * quoted-strings (which may hold spaces) and encoded-words. */
static void decode_mailbox(const char *value, char **name, char **addr) {
  GString *out = g_string_new(NULL);
  gboolean prev_ew = FALSE;
  *addr = NULL;
  for (const char *p = value; *p;) {
    if (*p == ' ') {
      p++;
      continue;
    }
    if (*p == '<') {
      *addr = g_strndup(p + 1, strcspn(p + 1, ">"));
      break;
    }
    GString *word = g_string_new(NULL);
    GString *ew = NULL;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
        g_string_append_c(word, *p);
      }
      if (*p)
        p++;
    } else {
      gsize n = strcspn(p, " ");
      g_string_append_len(word, p, n);
      p += n;
      ew = decode_ew(word->str);
    }
    if (out->len && !(ew && prev_ew))
      g_string_append_c(out, ' ');
    g_string_append_len(out, ew ? ew->str : word->str, ew ? ew->len : word->len);
    prev_ew = ew != NULL;
    if (ew)
      g_string_free(ew, TRUE);
    g_string_free(word, TRUE);
  }
  if (!*addr) { /* a bare addr-spec */
    *addr = g_strdup(out->str);
    g_string_truncate(out, 0);
  }
  *name = g_string_free(out, FALSE);
}

/* Quoted-printable -> bytes, checking what our encoder promises. */
static GString *decode_qp(const char *body, gsize n) {
  GString *out = g_string_new(NULL);
  g_autofree char *copy = g_strndup(body, n);
  g_auto(GStrv) lines = g_strsplit(copy, "\r\n", -1);
  guint count = g_strv_length(lines);
  for (guint i = 0; i < count; i++) {
    const char *l = lines[i];
    gsize len = strlen(l);
    EXPECT(len <= 76, "QP line of %" G_GSIZE_FORMAT ": %s", len, l);
    EXPECT(len == 0 || (l[len - 1] != ' ' && l[len - 1] != '\t'), "QP line with trailing white space: \"%s\"", l);
    EXPECT(l[0] != '.', "QP line starts with '.': %s", l);
    EXPECT(strncmp(l, "From ", 5) != 0, "QP line starts with \"From \": %s", l);
    gboolean soft = len > 0 && l[len - 1] == '=';
    for (gsize k = 0; k < (soft ? len - 1 : len); k++) {
      if (l[k] == '=') {
        gsize stop = soft ? len - 1 : len;
        int hi = k + 2 < stop ? hexval(l[k + 1]) : -1, lo = k + 2 < stop ? hexval(l[k + 2]) : -1;
        EXPECT(hi >= 0 && lo >= 0, "QP: bad escape in %s", l);
        g_string_append_c(out, (char)(hi * 16 + lo));
        k += 2;
      } else {
        guchar c = (guchar)l[k];
        EXPECT(c == ' ' || c == '\t' || (c >= 33 && c <= 126), "QP: literal octet %#x", c);
        g_string_append_c(out, (char)c);
      }
    }
    if (!soft && i + 1 < count)
      g_string_append(out, "\r\n");
  }
  return out;
}

static GString *b64_lines_decode(const char *body, gsize n) {
  g_autofree char *copy = g_strndup(body, n);
  g_auto(GStrv) lines = g_strsplit(copy, "\r\n", -1);
  GString *all = g_string_new(NULL);
  for (guint i = 0; lines[i]; i++) {
    EXPECT(strlen(lines[i]) <= 76, "base64 line of %" G_GSIZE_FORMAT, strlen(lines[i]));
    g_string_append(all, lines[i]);
  }
  gsize len = 0;
  guchar *raw = g_base64_decode(all->str, &len);
  g_string_free(all, TRUE);
  GString *out = g_string_new(NULL);
  g_string_append_len(out, (const char *)raw, len);
  g_free(raw);
  return out;
}

/* The parts of a multipart body; checks the delimiter lines and that the
 * boundary occurs nowhere else. */
static GPtrArray *split_multipart(const Entity *e, const char *boundary) {
  GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify)entity_free);
  g_autofree char *open = g_strdup_printf("--%s\r\n", boundary);
  g_autofree char *delim = g_strdup_printf("\r\n--%s", boundary);
  if (!g_str_has_prefix(e->body, open)) {
    EXPECT(FALSE, "multipart body does not start with its delimiter");
    return parts;
  }
  const char *p = e->body + strlen(open), *end = e->body + e->body_len;
  for (;;) {
    const char *d = g_strstr_len(p, end - p, delim);
    if (!d) {
      EXPECT(FALSE, "multipart without a close delimiter");
      break;
    }
    Entity *part = entity_parse(p, d - p);
    EXPECT(part != NULL, "part with a broken header");
    if (part) {
      g_autofree char *bare = g_strdup_printf("--%s", boundary);
      EXPECT(!g_strstr_len(part->body, part->body_len, bare), "boundary inside a part");
      g_ptr_array_add(parts, part);
    }
    p = d + strlen(delim);
    if (g_str_has_prefix(p, "--")) {
      /* The CRLF after a nested close delimiter belongs to the outer one. */
      EXPECT(p + 2 == end || (p + 4 == end && p[2] == '\r' && p[3] == '\n'), "text after the close delimiter");
      break;
    }
    EXPECT(g_str_has_prefix(p, "\r\n"), "delimiter line with trailing text");
    p += 2;
  }
  return parts;
}

/* ---- expectations written independently of the builder ----------------------------------------------- */

static char *expect_clean(const char *in, guint max) {
  g_autofree char *valid = g_utf8_make_valid(in ? in : "", -1);
  GString *mapped = g_string_new(NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || g_unichar_isspace(c))
      g_string_append_c(mapped, ' ');
    else
      g_string_append_unichar(mapped, c);
  }
  g_auto(GStrv) words = g_strsplit(mapped->str, " ", -1);
  g_string_free(mapped, TRUE);
  GString *joined = g_string_new(NULL);
  for (guint i = 0; words[i]; i++)
    if (*words[i])
      g_string_append_printf(joined, "%s%s", joined->len ? " " : "", words[i]);
  g_autofree char *cut = g_utf8_substring(joined->str, 0, MIN((glong)max, g_utf8_strlen(joined->str, -1)));
  g_string_free(joined, TRUE);
  return g_strchomp(g_steal_pointer(&cut));
}

static char *expect_body(const char *in) {
  g_autofree char *valid = g_utf8_make_valid(in, -1);
  GString *out = g_string_new(NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '\r' && p[1] == '\n')
      continue;
    if (c == '\r' || c == '\n')
      g_string_append(out, "\r\n");
    else if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f))
      continue;
    else
      g_string_append_unichar(out, c);
  }
  return g_string_free(out, FALSE);
}

/* ---- the builder -------------------------------------------------------------------------------------- */

#define ICS_REQUEST                                                                                               \
  "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diaryd//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:a@b\r\n"     \
  "DTSTART:20261208T100000Z\r\nSUMMARY:R\xc3\xa9union\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

static MessageSpec base_spec(void) {
  return (MessageSpec){
      .from_name = "Sam Carter",
      .from = "sam@example.com",
      .to_name = "Alex Doe",
      .to = "alex@example.org",
      .subject = "Confirmed: Review",
      .message_id = "<0123456789abcdef0123456789abcdef@example.com>",
      .date = 1796724000, /* 2026-12-08T10:00:00Z */
      .utc_offset = 0,
      .text = "Hello.\n",
  };
}

/* Builds `spec`, checks everything the builder promises, and returns the
 * parsed message (NULL when it could not be built). */
static Entity *build_and_check(const MessageSpec *spec, const char *label) {
  gsize len = 0;
  g_autofree char *error = NULL;
  g_autofree char *m = message_build(spec, &len, &error);
  if (!m) {
    EXPECT(FALSE, "%s: refused: %s", label, error);
    return NULL;
  }
  EXPECT(!error, "%s: error set on success", label);
  EXPECT(len == strlen(m), "%s: *len %" G_GSIZE_FORMAT " != strlen %" G_GSIZE_FORMAT, label, len, strlen(m));
  g_autofree char *why = NULL;
  if (!wire_ok(m, len, &why)) {
    EXPECT(FALSE, "%s: %s", label, why);
    return NULL;
  }
  Entity *e = entity_parse(m, len);
  if (!e) {
    EXPECT(FALSE, "%s: a header line that is neither a field nor a continuation", label);
    return NULL;
  }
  /* The header set, exactly, in order. */
  GString *want = g_string_new("Date,From,To");
  if (spec->reply_to)
    g_string_append(want, ",Reply-To");
  g_string_append(want, ",Subject,Message-ID");
  if (spec->in_reply_to)
    g_string_append(want, ",In-Reply-To,References");
  g_string_append(want, ",MIME-Version,Auto-Submitted,Content-Type");
  g_autofree char *names = header_names(e);
  EXPECT(strcmp(names, want->str) == 0, "%s: headers %s, want %s", label, names, want->str);
  g_string_free(want, TRUE);
  /* Header lines fold at 78 (the addresses used here are short). */
  const char *body_start = strstr(m, "\r\n\r\n");
  for (const char *p = m; p < body_start;) {
    const char *eol = strstr(p, "\r\n");
    EXPECT(eol - p <= 78, "%s: header line of %d octets: %.*s", label, (int)(eol - p), (int)(eol - p), p);
    EXPECT(eol > p && !(eol - p == 1 && *p == ' '), "%s: empty header line", label);
    p = eol + 2;
  }

  /* Subject and names decode to the cleaned input. */
  g_autofree char *subject = decode_unstructured(header_value(e, "Subject"));
  g_autofree char *want_subject = expect_clean(spec->subject, MESSAGE_SUBJECT_MAX_CHARS);
  EXPECT(strcmp(subject, want_subject) == 0, "%s: subject \"%s\", want \"%s\"", label, subject, want_subject);
  const struct {
    const char *field, *name, *addr;
  } boxes[] = {{"From", spec->from_name, spec->from}, {"To", spec->to_name, spec->to}};
  for (gsize i = 0; i < G_N_ELEMENTS(boxes); i++) {
    g_autofree char *name = NULL, *addr = NULL;
    decode_mailbox(header_value(e, boxes[i].field), &name, &addr);
    g_autofree char *want_name = expect_clean(boxes[i].name, MESSAGE_NAME_MAX_CHARS);
    EXPECT(g_strcmp0(name, want_name) == 0, "%s: %s name \"%s\", want \"%s\"", label, boxes[i].field, name,
           want_name);
    EXPECT(g_strcmp0(addr, boxes[i].addr) == 0, "%s: %s address %s", label, boxes[i].field, addr);
  }
  g_autofree char *mid = g_strstrip(g_strdup(header_value(e, "Message-ID")));
  EXPECT(strcmp(mid, spec->message_id) == 0, "%s: Message-ID %s", label, mid);
  EXPECT(strcmp(header_value(e, "MIME-Version"), " 1.0") == 0, "%s: MIME-Version", label);
  EXPECT(strcmp(header_value(e, "Auto-Submitted"), " auto-generated") == 0, "%s: Auto-Submitted", label);

  /* The MIME tree. */
  const char *ct = header_value(e, "Content-Type");
  EXPECT(g_str_has_prefix(ct, " multipart/mixed;"), "%s: top Content-Type %s", label, ct);
  g_autofree char *mixed_b = param(ct, "boundary");
  g_autoptr(GPtrArray) top = split_multipart(e, mixed_b);
  EXPECT(top->len == (spec->ics ? 2u : 1u), "%s: %u parts in multipart/mixed", label, top->len);
  if (top->len < 1)
    return e;
  const Entity *alt = g_ptr_array_index(top, 0);
  const char *alt_ct = header_value(alt, "Content-Type");
  EXPECT(g_str_has_prefix(alt_ct, " multipart/alternative;"), "%s: first part %s", label, alt_ct);
  g_autofree char *alt_b = param(alt_ct, "boundary");
  EXPECT(!g_str_has_prefix(alt_b, mixed_b) && !g_str_has_prefix(mixed_b, alt_b), "%s: boundary prefix", label);
  g_autoptr(GPtrArray) alts = split_multipart(alt, alt_b);
  guint want_alts = 1 + (spec->html != NULL) + (spec->ics != NULL);
  EXPECT(alts->len == want_alts, "%s: %u alternatives, want %u", label, alts->len, want_alts);
  if (alts->len != want_alts)
    return e;
  const char *qp_bodies[] = {spec->text, spec->html};
  const char *qp_types[] = {" text/plain; charset=UTF-8", " text/html; charset=UTF-8"};
  for (guint i = 0; i < 1u + (spec->html != NULL); i++) {
    const Entity *part = g_ptr_array_index(alts, i);
    EXPECT(g_strcmp0(header_value(part, "Content-Type"), qp_types[i]) == 0, "%s: part %u type %s", label, i,
           header_value(part, "Content-Type"));
    EXPECT(g_strcmp0(header_value(part, "Content-Transfer-Encoding"), " quoted-printable") == 0, "%s: CTE", label);
    g_autoptr(GString) got = decode_qp(part->body, part->body_len);
    g_autofree char *want_body = expect_body(qp_bodies[i]);
    EXPECT(strcmp(got->str, want_body) == 0, "%s: part %u decodes to \"%s\", want \"%s\"", label, i, got->str,
           want_body);
  }
  if (spec->ics) {
    g_autofree char *method = g_ascii_strup(spec->method, -1);
    const Entity *cal = g_ptr_array_index(alts, alts->len - 1);
    const char *cal_ct = header_value(cal, "Content-Type");
    EXPECT(g_str_has_prefix(cal_ct, " text/calendar; charset=UTF-8;"), "%s: calendar type %s", label, cal_ct);
    g_autofree char *m_param = param(cal_ct, "method");
    EXPECT(g_strcmp0(m_param, method) == 0, "%s: method=%s, want %s", label, m_param, method);
    const Entity *att = g_ptr_array_index(top, 1);
    EXPECT(g_strcmp0(header_value(att, "Content-Type"), " application/ics; name=\"invite.ics\"") == 0,
           "%s: attachment type %s", label, header_value(att, "Content-Type"));
    EXPECT(g_strcmp0(header_value(att, "Content-Disposition"), " attachment; filename=\"invite.ics\"") == 0,
           "%s: attachment disposition", label);
    const Entity *b64s[] = {cal, att};
    for (gsize i = 0; i < 2; i++) {
      EXPECT(g_strcmp0(header_value(b64s[i], "Content-Transfer-Encoding"), " base64") == 0, "%s: CTE", label);
      g_autoptr(GString) ics = b64_lines_decode(b64s[i]->body, b64s[i]->body_len);
      EXPECT(ics->len == strlen(spec->ics) && memcmp(ics->str, spec->ics, ics->len) == 0,
             "%s: the calendar does not decode back", label);
    }
  }
  return e;
}

static char *repeat(const char *unit, guint n) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append(s, unit);
  return g_string_free(s, FALSE);
}

static void test_build_plain(void) {
  MessageSpec s = base_spec();
  g_autoptr(Entity) e = build_and_check(&s, "plain");
  g_assert_nonnull(e);
  g_assert_cmpstr(header_value(e, "Date"), ==, " Tue, 08 Dec 2026 10:00:00 +0000");
  g_assert_cmpstr(header_value(e, "From"), ==, " Sam Carter <sam@example.com>");
  g_assert_cmpstr(header_value(e, "To"), ==, " Alex Doe <alex@example.org>");
  g_assert_cmpstr(header_value(e, "Subject"), ==, " Confirmed: Review");

  /* Everything set. */
  s.reply_to = "office@example.com";
  s.in_reply_to = "<fedcba@example.com>";
  s.html = "<p>Hello.</p>\n";
  s.ics = ICS_REQUEST;
  s.method = "request";
  g_autoptr(Entity) full = build_and_check(&s, "full");
  g_assert_nonnull(full);
  g_assert_cmpstr(header_value(full, "Reply-To"), ==, " office@example.com");
  g_assert_cmpstr(header_value(full, "In-Reply-To"), ==, " <fedcba@example.com>");
  g_assert_cmpstr(header_value(full, "References"), ==, " <fedcba@example.com>");

  /* No names: bare addresses. */
  s.from_name = NULL;
  s.to_name = " \r\n\t ";
  g_autoptr(Entity) bare = build_and_check(&s, "no names");
  g_assert_cmpstr(header_value(bare, "From"), ==, " sam@example.com");
  g_assert_cmpstr(header_value(bare, "To"), ==, " alex@example.org");

  /* An empty subject stays one (empty) field. */
  s.subject = "\r\n";
  g_autoptr(Entity) empty = build_and_check(&s, "empty subject");
  g_assert_cmpstr(header_value(empty, "Subject"), ==, "");
}

/* Hostile text in every text field: none may add a header or a part, and
 * each decodes to its cleaned form. */
static void test_build_hostile(void) {
  g_autofree char *long_subject = repeat("x", 5000);
  g_autofree char *long_words = repeat("word ", 1000);
  g_autofree char *long_cjk = repeat("\xe4\xbc\x9a\xe8\xae\xae", 1000); /* 会议 */
  g_autofree char *long_line = repeat("abc=def ", 2000);
  g_autofree char *long_name = repeat("N", 300);
  g_autofree char *long_quoted = repeat("\"\\", 150);
  g_autofree char *emoji_name = repeat("\xe2\x98\x95", 150);
  const struct {
    const char *label, *subject, *name, *text;
  } rows[] = {
      {"crlf bcc", "Hi\r\nBcc: evil@x.com", "Eve\r\nBcc: evil@x.com", "Hi\r\nBcc: evil@x.com\r\n"},
      {"lf bcc", "Hi\nBcc: evil@x.com", "Eve\nTo: evil@x.com", "Hi\nBcc: evil@x.com\n"},
      {"cr bcc", "Hi\rBcc: evil@x.com", "Eve\rCc: evil@x.com", "Hi\rBcc: evil@x.com\r"},
      {"header body split", "a\r\n\r\nbody", "x\r\n\r\n", "\r\n\r\n--=_mixed_x\r\nContent-Type: text/html\r\n\r\n"},
      {"smtp dot", "\n.\n", ".", "\n.\n"},
      {"smtp dot crlf", "\r\n.\r\n", "\r\n.\r\n", "line\r\n.\r\nQUIT\r\n"},
      {"dot lines", ".hidden", "..", ".\n..\n. \n.x\n"},
      {"from lines", "From me", "From x", "From me\nFrom\nFrom  two\n From\nfrom lower\n"},
      {"nul", "Hi\0Bcc: x@y.z", "A\0B", "ab\0cd"},
      {"controls", "a\x01\x02\x1b[31mred\x7f\xc2\x85\xc2\x9f" "b", "n\x0b\x0c" "ame", "a\x01" "b\x7f" "c\x1b[0m\x0c\xc2\x80z\td"},
      {"invalid utf-8", "bad \xff\xfe \xc3 \xe2\x82 end", "J\xc3\xb6rg \xff", "caf\xc3 \xff\xfe\xfd\n\xed\xa0\x80"},
      {"non-ascii", "R\xc3\xa9union caf\xc3\xa9 \xe2\x98\x95 \xe4\xbc\x9a\xe8\xae\xae", "Andr\xc3\xa9 \xe4\xbc\x9a",
       "R\xc3\xa9union caf\xc3\xa9 \xe2\x98\x95 \xe4\xbc\x9a\xe8\xae\xae\n"},
      {"unicode spaces", "a\xc2\xa0\xc2\xa0" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xe3\x80\x80" "e", "x\xc2\xa0y",
       "a\xe2\x80\xa8" "b\n"},
      {"long subject", long_subject, long_name, long_subject},
      {"long words", long_words, long_words, long_words},
      {"long cjk", long_cjk, long_cjk, long_cjk},
      {"long line", long_line, long_quoted, long_line},
      {"emoji name", emoji_name, emoji_name, emoji_name},
      {"encoded-word lookalike", "=?UTF-8?B?QmNjOiBldmlsQHguY29t?=", "=?UTF-8?Q?Eve?= <evil@x.com>", "=?x?="},
      {"specials", "a (b) <c> \"d\" e\\f; g: h@i, j.", "Smith, John \"JJ\" \\ <x@y.z>", "<html>"},
      {"header look", "Bcc: evil@x.com", "Bcc: evil@x.com", "Bcc: evil@x.com\nContent-Type: text/html\n"},
      {"trailing space", "  padded  ", "  padded  ", "trailing \nspaces\t\n \n\t"},
      {"equals", "a=b ==", "a=b", "x=y\n=\n==3D\n"},
      {"only spaces", "   ", "\t\t", ""},
      {"boundary text", "--=_mixed_", "--=_alt_", "--=_mixed_0123\n--=_alt_0123--\n"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    for (int variant = 0; variant < 2; variant++) {
      MessageSpec s = base_spec();
      s.subject = rows[i].subject;
      s.to_name = rows[i].name;
      s.from_name = rows[i].name;
      s.text = rows[i].text;
      if (variant) {
        s.html = rows[i].text;
        s.ics = ICS_REQUEST;
        s.method = "REQUEST";
        s.reply_to = "r@example.net";
        s.in_reply_to = "<prev@example.com>";
      }
      g_autofree char *label = g_strdup_printf("%s%s", rows[i].label, variant ? " (full)" : "");
      g_autoptr(Entity) e = build_and_check(&s, label);
      EXPECT(e != NULL, "%s: not built", label);
    }
  }
}

/* Specific encodings, read in the raw message. */
static void test_build_encodings(void) {
  const struct {
    const char *label;
    const char *subject, *name, *text;
    const char *raw; /* must occur in the message */
  } rows[] = {
      {"quoted name", "s", "Smith, John \"JJ\" \\", "t", "To: \"Smith, John \\\"JJ\\\" \\\\\" <alex@example.org>\r\n"},
      {"atom name", "s", "John Smith", "t", "To: John Smith <alex@example.org>\r\n"},
      {"dot name quoted", "s", "John Q. Public", "t", "To: \"John Q. Public\" <alex@example.org>\r\n"},
      {"encoded name", "s", "Andr\xc3\xa9", "t", "To: =?UTF-8?B?QW5kcsOp?= <alex@example.org>\r\n"},
      {"=? name encoded", "s", "=?x?=", "t", "To: =?UTF-8?B?PT94Pz0=?= <alex@example.org>\r\n"},
      {"encoded subject", "caf\xc3\xa9", "n", "t", "Subject: =?UTF-8?B?Y2Fmw6k=?=\r\n"},
      {"mixed subject", "Confirmed: R\xc3\xa9union caf\xc3\xa9, Tuesday", "n", "t",
       "Subject: Confirmed: =?UTF-8?B?UsOpdW5pb24gY2Fmw6ks?= Tuesday\r\n"},
      {"mixed name", "s", "\"Dr\" Andr\xc3\xa9 Smith, Jr.", "t",
       "To: \"\\\"Dr\\\"\" =?UTF-8?B?QW5kcsOp?= \"Smith, Jr.\" <alex@example.org>\r\n"},
      {"dot", "s", "n", ".\n", "\r\n=2E\r\n"},
      {"dot in line", "s", "n", "a.b\n", "\r\na.b\r\n"},
      {"from", "s", "n", "From here\n", "\r\n=46rom here\r\n"},
      {"from no space", "s", "n", "Fromage\n", "\r\nFromage\r\n"},
      {"trailing space", "s", "n", "a \nb\t", "\r\na=20\r\nb=09\r\n"},
      {"equals", "s", "n", "a=b", "\r\na=3Db\r\n"},
      {"non-ascii body", "s", "n", "\xc3\xa9", "\r\n=C3=A9\r\n"},
      {"crlf kinds", "s", "n", "a\rb\nc\r\nd", "\r\na\r\nb\r\nc\r\nd\r\n"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    MessageSpec s = base_spec();
    s.subject = rows[i].subject;
    s.to_name = rows[i].name;
    s.text = rows[i].text;
    g_autofree char *m = message_build(&s, NULL, NULL);
    g_assert_nonnull(m);
    g_autofree char *esc = g_strescape(rows[i].raw, NULL);
    EXPECT(strstr(m, rows[i].raw) != NULL, "%s: no \"%s\" in the message", rows[i].label, esc);
  }

  /* Real names up to 45 octets of consecutive non-ASCII words get one
   * encoded-word: no two adjacent, which Python would read with a space. */
  const char *names[] = {"Jos\xc3\xa9 Mar\xc3\xad" "a Fern\xc3\xa1" "ndez N\xc3\xba\xc3\xb1" "ez",
                         "Andr\xc3\xa9s M\xc3\xbcller-L\xc3\xbc" "denscheidt",
                         "R\xc3\xa9union caf\xc3\xa9 \xe2\x98\x95 \xe4\xbc\x9a\xe8\xae\xae",
                         "\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0 "
                         "\xd0\x9a\xd0\xb0\xd1\x80\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xbd\xd0\xb0"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    MessageSpec ns = base_spec();
    ns.to_name = names[i];
    g_autoptr(Entity) e = build_and_check(&ns, names[i]);
    g_assert_nonnull(e);
    EXPECT(!strstr(header_get(e, "To")->raw, "?= =?") && !strstr(header_get(e, "To")->raw, "?=\r\n =?"),
           "adjacent encoded-words in To:%s", header_get(e, "To")->raw);
  }

  /* Soft line breaks: a 200-octet line is cut into lines of at most 76,
   * and a character's octets stay on one line. */
  g_autofree char *line = repeat("\xe2\x98\x95", 100);
  MessageSpec s = base_spec();
  s.text = line;
  g_autoptr(Entity) e = build_and_check(&s, "soft breaks");
  g_assert_nonnull(e);
  g_autofree char *m = message_build(&s, NULL, NULL);
  g_assert_nonnull(strstr(m, "=E2=98=95=\r\n=E2=98=95"));
  g_assert_null(strstr(m, "=E2=\r\n"));
  g_assert_null(strstr(m, "=E2=98=\r\n"));
}

static const struct {
  gint64 date;
  int offset;
  const char *want;
} date_rows[] = {
    {0, 0, " Thu, 01 Jan 1970 00:00:00 +0000"},
    {1796724000, 0, " Tue, 08 Dec 2026 10:00:00 +0000"},
    {1796724000, 3600, " Tue, 08 Dec 2026 11:00:00 +0100"},
    {1796724000, -18000, " Tue, 08 Dec 2026 05:00:00 -0500"},
    {1796724000, 19800, " Tue, 08 Dec 2026 15:30:00 +0530"},
    {1796724000, -36000, " Tue, 08 Dec 2026 00:00:00 -1000"},
    {1796724000, -36001, " Tue, 08 Dec 2026 00:00:00 -1000"}, /* seconds dropped */
    {1796724000, 50400, " Wed, 09 Dec 2026 00:00:00 +1400"},
    {1796724059, -3659, " Tue, 08 Dec 2026 09:00:59 -0100"},
    {951782400, 0, " Tue, 29 Feb 2000 00:00:00 +0000"},
    {-2208988800, 0, " Mon, 01 Jan 1900 00:00:00 +0000"},
    {253402300799, 0, " Fri, 31 Dec 9999 23:59:59 +0000"},
};

static void test_build_dates(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(date_rows); i++) {
    MessageSpec s = base_spec();
    s.date = date_rows[i].date;
    s.utc_offset = date_rows[i].offset;
    g_autofree char *m = message_build(&s, NULL, NULL);
    g_assert_nonnull(m);
    g_autoptr(Entity) e = entity_parse(m, strlen(m));
    EXPECT(g_strcmp0(header_value(e, "Date"), date_rows[i].want) == 0, "date %" G_GINT64_FORMAT " %+d: \"%s\", want \"%s\"",
           date_rows[i].date, date_rows[i].offset, header_value(e, "Date"), date_rows[i].want);
  }
}

/* What must be refused, with a message, and *len left alone. */
static void test_build_refused(void) {
  static const char ics_publish[] = "BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n";
  static const char ics_none[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
  static const char ics_prefix[] = "BEGIN:VCALENDAR\r\nMETHOD:REQUESTX\r\nX-METHOD:REQUEST\r\nEND:VCALENDAR\r\n";
  const struct {
    const char *label;
    int field;
    const char *value;
  } rows[] = {
      {"no from", 0, NULL},
      {"bad from", 0, "sam@example.com\r\nBcc: evil@x.com"},
      {"no to", 1, NULL},
      {"bad to", 1, "a@b"},
      {"bad to list", 1, "a@example.com, b@example.com"},
      {"bad reply-to", 2, "<r@example.com>"},
      {"no subject", 3, NULL},
      {"no text", 4, NULL},
      {"no message-id", 5, NULL},
      {"bad message-id", 5, "<a@b>\r\nBcc: evil@x.com"},
      {"bare message-id", 5, "a@b.c"},
      {"bad in-reply-to", 6, "<a@b.c>\nBcc: e@x.com"},
      {"method mismatch", 7, ics_publish},
      {"method absent", 7, ics_none},
      {"method prefix", 7, ics_prefix},
      {"no method", 8, NULL},
      {"bad method", 8, "REQUEST\r\nBcc: x"},
      {"empty method", 8, ""},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    MessageSpec s = base_spec();
    s.ics = ICS_REQUEST;
    s.method = "REQUEST";
    const char **fields[] = {&s.from, &s.to, &s.reply_to, &s.subject, &s.text, &s.message_id, &s.in_reply_to,
                             &s.ics, &s.method};
    *fields[rows[i].field] = rows[i].value;
    gsize len = 4242;
    char *error = NULL;
    char *m = message_build(&s, &len, &error);
    EXPECT(m == NULL, "%s: built", rows[i].label);
    EXPECT(error && *error && g_utf8_validate(error, -1, NULL) && !strchr(error, '\n') && !strchr(error, '\r'),
           "%s: error \"%s\"", rows[i].label, error ? error : "(none)");
    EXPECT(len == 4242, "%s: *len changed", rows[i].label);
    g_free(m);
    g_free(error);
    /* error may be NULL */
    g_assert_null(message_build(&s, NULL, NULL));
  }
  MessageSpec s = base_spec();
  s.date = -2208988801; /* 1899 */
  g_assert_null(message_build(&s, NULL, NULL));
  s.date = 253402300800; /* year 10000 */
  g_assert_null(message_build(&s, NULL, NULL));
  s.date = 253402300799;
  s.utc_offset = 3600; /* local time in year 10000 */
  g_assert_null(message_build(&s, NULL, NULL));
  s = base_spec();
  s.utc_offset = 86400;
  g_assert_null(message_build(&s, NULL, NULL));
  s.utc_offset = -86400;
  g_assert_null(message_build(&s, NULL, NULL));
  char *error = NULL;
  g_assert_null(message_build(NULL, NULL, &error));
  g_assert_nonnull(error);
  g_free(error);

  /* METHOD matches in any case, on an LF-only calendar too. */
  s = base_spec();
  s.ics = "BEGIN:VCALENDAR\nmethod:Cancel\nEND:VCALENDAR\n";
  s.method = "CANCEL";
  g_autoptr(Entity) e = build_and_check(&s, "method case");
  g_assert_nonnull(e);
  /* A method without a calendar is ignored. */
  s.ics = NULL;
  s.method = "bogus\r\n";
  g_autoptr(Entity) no_ics = build_and_check(&s, "method without ics");
  g_assert_nonnull(no_ics);
}

static void test_build_deterministic(void) {
  MessageSpec s = base_spec();
  s.subject = "R\xc3\xa9union caf\xc3\xa9 \xe2\x98\x95 \xe4\xbc\x9a\xe8\xae\xae";
  s.html = "<p>x</p>";
  s.ics = ICS_REQUEST;
  s.method = "REQUEST";
  gsize n1 = 0, n2 = 0;
  g_autofree char *a = message_build(&s, &n1, NULL);
  g_autofree char *b = message_build(&s, &n2, NULL);
  g_assert_nonnull(a);
  g_assert_cmpuint(n1, ==, n2);
  g_assert_true(memcmp(a, b, n1) == 0);
  /* Another id: other boundaries. */
  s.message_id = "<another@example.com>";
  g_autofree char *c = message_build(&s, NULL, NULL);
  g_autoptr(Entity) ea = entity_parse(a, n1);
  g_autoptr(Entity) ec = entity_parse(c, strlen(c));
  g_autofree char *ba = param(header_value(ea, "Content-Type"), "boundary");
  g_autofree char *bc = param(header_value(ec, "Content-Type"), "boundary");
  g_assert_cmpstr(ba, !=, bc);
  g_assert_true(g_str_has_prefix(ba, "=_"));
}

/* ---- templates ---------------------------------------------------------------------------------------- */

static GHashTable *vars_of(const char *const *kv) {
  GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
  for (; kv && kv[0]; kv += 2)
    g_hash_table_insert(h, (gpointer)kv[0], (gpointer)kv[1]);
  return h;
}

static const struct {
  const char *label, *text;
  const char *vars[12]; /* name, value, ..., NULL */
  const char *subject, *body;
} render_rows[] = {
    {"simple", "Subject: Confirmed: {summary}, {when}\n\nWhat: {summary}\nWhen: {when}\n",
     {"summary", "Review", "when", "Tuesday", NULL},
     "Confirmed: Review, Tuesday",
     "What: Review\nWhen: Tuesday\n"},
    {"braces", "Subject: {{x}} {summary}\n\n{{{summary}}} }}{{\n", {"summary", "S", NULL}, "{x} S", "{S} }{\n"},
    {"missing var", "Subject: a{summary}b\n\nx {where} y\n", {NULL}, "ab", ""},
    {"optional line", "Subject: s\n\nWhat: {summary}\nWhere: {where}\nMap: {map_link}\nEnd\n",
     {"summary", "S", "where", "", NULL},
     "s",
     "What: S\nEnd\n"},
    {"blank value", "Subject: s\n\nA\nWhere: {where}\nB\n", {"where", " \t\n ", NULL}, "s", "A\nB\n"},
    {"partly empty kept", "Subject: s\n\n{where} {map_link}\n", {"map_link", "M", NULL}, "s", " M\n"},
    {"no placeholder kept", "Subject: s\n\nWhere:\n", {NULL}, "s", "Where:\n"},
    {"blank lines collapse", "Subject: s\n\nA\n\nJoin: {conference}\n\nB\n", {NULL}, "s", "A\n\nB\n"},
    {"blank lines kept", "Subject: s\n\nA\n\n\nB\n", {NULL}, "s", "A\n\n\nB\n"},
    {"leading block gone", "Subject: s\n\nDear {recipient_name},\n\nText\n", {NULL}, "s", "Text\n"},
    {"trailing block gone", "Subject: s\n\nText\n\nReason: {reason}\n", {NULL}, "s", "Text\n"},
    {"trailing block kept", "Subject: s\n\nText\n\nReason: {reason}\n", {"reason", "ill", NULL}, "s",
     "Text\n\nReason: ill\n"},
    {"multi-line value", "Subject: {summary}\n\nWho:\n{who}\nEnd\n", {"summary", "a\r\nb\nc", "who", "A\nB", NULL},
     "a  b c", "Who:\nA\nB\nEnd\n"},
    {"no final newline", "Subject: s\n\nA {summary}", {"summary", "x", NULL}, "s", "A x"},
    {"crlf template", "Subject: s {summary}\r\n\r\nA\r\nB {summary}\r\n", {"summary", "x", NULL}, "s x",
     "A\nB x\n"},
    {"bom", "\xef\xbb\xbfSubject: s\n\nA\n", {NULL}, "s", "A\n"},
    {"subject case", "SUBJECT:s\n\n", {NULL}, "s", ""},
    {"subject only", "Subject: s", {NULL}, "s", ""},
    {"invalid value", "Subject: {summary}\n\n{summary}\n", {"summary", "a\xff", NULL}, "a\xef\xbf\xbd",
     "a\xef\xbf\xbd\n"},
    {"utf-8", "Subject: R\xc3\xa9union\n\n\xe2\x80\x93 {summary}\n", {"summary", "\xe2\x98\x95", NULL},
     "R\xc3\xa9union", "\xe2\x80\x93 \xe2\x98\x95\n"},
};

static void test_templates_render(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(render_rows); i++) {
    g_autofree char *error = NULL;
    g_autoptr(MessageTemplate) t =
        message_template_parse(render_rows[i].text, strlen(render_rows[i].text), NULL, &error);
    if (!t) {
      EXPECT(FALSE, "%s: refused: %s", render_rows[i].label, error);
      continue;
    }
    g_autoptr(GHashTable) vars = vars_of(render_rows[i].vars);
    g_autofree char *subject = NULL;
    g_autofree char *body = message_template_render(t, vars, &subject);
    EXPECT(strcmp(subject, render_rows[i].subject) == 0, "%s: subject \"%s\", want \"%s\"", render_rows[i].label,
           subject, render_rows[i].subject);
    EXPECT(strcmp(body, render_rows[i].body) == 0, "%s: body \"%s\", want \"%s\"", render_rows[i].label, body,
           render_rows[i].body);
    /* NULL vars and NULL subject are allowed. */
    g_autofree char *body2 = message_template_render(t, NULL, NULL);
    g_assert_nonnull(body2);
  }
  /* Not NUL-terminated: len is what counts. */
  const char text[] = "Subject: a\n\nb\nIGNORED";
  g_autoptr(MessageTemplate) t = message_template_parse(text, strlen(text) - strlen("IGNORED"), NULL, NULL);
  g_assert_nonnull(t);
  g_autofree char *body = message_template_render(t, NULL, NULL);
  g_assert_cmpstr(body, ==, "b\n");
}

static const struct {
  const char *label, *text;
  const char *error; /* prefix */
} template_errors[] = {
    {"empty", "", "line 1: "},
    {"no subject", "Hello {summary}\n\nbody\n", "line 1: "},
    {"body first", "\nSubject: s\n", "line 1: "},
    {"subjec", "Subjec: x\n\n", "line 1: "},
    {"no empty line", "Subject: s\nbody\n", "line 2: "},
    {"unknown", "Subject: s\n\nok {summary}\nbad {room}\n", "line 4: unknown placeholder {room}"},
    {"unknown in subject", "Subject: {nope}\n\n", "line 1: unknown placeholder {nope}"},
    {"unclosed", "Subject: s\n\n\n{summary\n", "line 4: '{' is not closed"},
    {"unclosed at end", "Subject: s\n\nx {", "line 3: '{' is not closed"},
    {"unclosed across lines", "Subject: s\n\n{summ\nary}\n", "line 3: '{' is not closed"},
    {"lone close", "Subject: s\n\na } b\n", "line 3: '}' without '{'"},
    {"empty name", "Subject: s\n\n{}\n", "line 3: bad placeholder"},
    {"upper case", "Subject: s\n\n{Summary}\n", "line 3: bad placeholder"},
    {"space in name", "Subject: s\n\n{ summary }\n", "line 3: bad placeholder"},
    {"digit", "Subject: s\n\n{when2}\n", "line 3: bad placeholder"},
    {"escaped open", "Subject: s\n\n{{summary}\n", "line 3: '}' without '{'"},
    {"invalid utf-8", "Subject: s\n\nok\nbad \xff\n", "line 4: not valid UTF-8"},
    {"nul", "Subject: s\n\nok\0bad\n", "line 3: a NUL byte"},
};

static void test_templates_errors(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(template_errors); i++) {
    gsize len = strlen(template_errors[i].text);
    if (strcmp(template_errors[i].label, "nul") == 0)
      len = sizeof("Subject: s\n\nok\0bad\n") - 1;
    char *error = NULL;
    MessageTemplate *t = message_template_parse(template_errors[i].text, len, NULL, &error);
    EXPECT(t == NULL, "%s: accepted", template_errors[i].label);
    EXPECT(error && g_str_has_prefix(error, template_errors[i].error), "%s: error \"%s\", want \"%s...\"",
           template_errors[i].label, error ? error : "(none)", template_errors[i].error);
    message_template_free(t);
    g_free(error);
  }
  /* A custom list of known names. */
  const char *const known[] = {"room", NULL};
  g_autoptr(MessageTemplate) t = message_template_parse("Subject: {room}\n\n", 17, known, NULL);
  g_assert_nonnull(t);
  char *error = NULL;
  g_assert_null(message_template_parse("Subject: {summary}\n\n", 20, known, &error));
  g_assert_cmpstr(error, ==, "line 1: unknown placeholder {summary}");
  g_free(error);
  /* Too large. */
  g_autofree char *big = g_strnfill(MESSAGE_TEMPLATE_MAX + 1, 'x');
  memcpy(big, "Subject: s\n\n", 12);
  g_assert_null(message_template_parse(big, MESSAGE_TEMPLATE_MAX + 1, NULL, NULL));
  message_template_free(NULL);
}

static char *read_template(const char *name) {
  g_autofree char *dir = g_path_get_dirname(__FILE__);
  g_autofree char *path = g_build_filename(dir, "..", "..", "config", "templates", name, NULL);
  char *text = NULL;
  g_autoptr(GError) err = NULL;
  if (!g_file_get_contents(path, &text, NULL, &err))
    EXPECT(FALSE, "%s: %s (run the tests from the source tree)", path, err->message);
  return text;
}

/* The shipped templates parse with the known names and render sensibly:
 * every optional line vanishes when its value is empty. */
static void test_templates_shipped(void) {
  const char *names[] = {"new.txt", "update.txt", "cancel.txt"};
  const char *prefixes[] = {"Confirmed: ", "Updated: ", "Cancelled: "};
  const char *full[] = {"summary", "Review", "when", "Tuesday 8 December 2026, 10:00\xe2\x80\x93" "11:00 (Europe/London, GMT)",
                        "when_recipient", "R-TIME", "previous_when", "P-TIME", "where", "Room 4",
                        "map_link", "https://maps.example/x", "conference", "https://meet.example/y",
                        "url", "https://example.com/z", "who", "Sam <sam@example.com>\nAlex <alex@example.org>",
                        "organizer", "Sam <sam@example.com>", "requirements", "Step-free access",
                        "changes", "The time has changed.", "reason", "Illness",
                        "recipient_name", "Alex", "reply_hint", "Reply to this email.", NULL};
  const char *minimal[] = {"summary", "Review", "when", "Tuesday", NULL};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *text = read_template(names[i]);
    if (!text)
      continue;
    g_autofree char *error = NULL;
    g_autoptr(MessageTemplate) t =
        message_template_parse(text, strlen(text), MESSAGE_PLACEHOLDERS, &error);
    EXPECT(t != NULL, "%s: %s", names[i], error);
    if (!t)
      continue;
    g_autoptr(GHashTable) vars = vars_of(full);
    g_autofree char *subject = NULL;
    g_autofree char *body = message_template_render(t, vars, &subject);
    EXPECT(g_str_has_prefix(subject, prefixes[i]) && strstr(subject, "Review"), "%s: subject %s", names[i], subject);
    EXPECT(strstr(body, "Room 4") && strstr(body, "Reply to this email."), "%s: body %s", names[i], body);
    EXPECT(!strchr(body, '{') && !strchr(body, '}'), "%s: a brace left in %s", names[i], body);
    g_autoptr(GHashTable) few = vars_of(minimal);
    g_autofree char *short_body = message_template_render(t, few, NULL);
    EXPECT(!strstr(short_body, "Where") && !strstr(short_body, "Map") && !strstr(short_body, "Reason") &&
               !strstr(short_body, "Previously") && !strstr(short_body, "\n\n\n") &&
               !g_str_has_prefix(short_body, "\n") && !g_str_has_suffix(short_body, "\n\n"),
           "%s: minimal body:\n%s", names[i], short_body);
    /* And the rendered result goes through the builder. */
    MessageSpec s = base_spec();
    s.subject = subject;
    s.text = body;
    g_autofree char *html = message_text_to_html(body);
    s.html = html;
    g_autoptr(Entity) e = build_and_check(&s, names[i]);
    EXPECT(e != NULL, "%s: not built", names[i]);
  }
  g_autofree char *readme = read_template("README");
  for (guint i = 0; readme && MESSAGE_PLACEHOLDERS[i]; i++) {
    g_autofree char *line = g_strdup_printf("\n%s ", MESSAGE_PLACEHOLDERS[i]);
    EXPECT(strstr(readme, line), "README does not document %s", MESSAGE_PLACEHOLDERS[i]);
  }
}

/* ---- HTML --------------------------------------------------------------------------------------------- */

static const struct {
  const char *text, *html; /* what the body holds between the head and the tail */
} html_rows[] = {
    {"", ""},
    {"a<b & \"c\" 'd' >", "a&lt;b &amp; &quot;c&quot; &#39;d&#39; &gt;"},
    {"x\ny\r\nz\rw", "x<br>\ny<br>\nz<br>\nw"},
    {"see https://example.com/a?b=1&c=2.",
     "see <a href=\"https://example.com/a?b=1&amp;c=2\">https://example.com/a?b=1&amp;c=2</a>."},
    {"HTTP://EXAMPLE.COM", "<a href=\"HTTP://EXAMPLE.COM\">HTTP://EXAMPLE.COM</a>"},
    {"(http://e.com/x_(y)) and (http://e.com/z)",
     "(<a href=\"http://e.com/x_(y)\">http://e.com/x_(y)</a>) and (<a href=\"http://e.com/z\">http://e.com/z</a>)"},
    {"https://e.com/\"onmouseover=alert(1)",
     "<a href=\"https://e.com/\">https://e.com/</a>&quot;onmouseover=alert(1)"},
    {"https://e.com/'x", "<a href=\"https://e.com/&#39;x\">https://e.com/&#39;x</a>"},
    {"<https://e.com/>", "&lt;<a href=\"https://e.com/\">https://e.com/</a>&gt;"},
    {"javascript:alert(1)", "javascript:alert(1)"},
    {"javascript://e.com/%0aalert(1)", "javascript://e.com/%0aalert(1)"},
    {"xhttp://e.com", "xhttp://e.com"},
    {"ftp://e.com", "ftp://e.com"},
    {"http://", "http://"},
    {"https:// x", "https:// x"},
    {"data:text/html,<script>", "data:text/html,&lt;script&gt;"},
    {"  indented  twice", "&nbsp;&nbsp;indented &nbsp;twice"},
    {"a\x01" "b\x7f" "c\xc2\x85" "d\te", "abcd e"},
    {"bad \xff", "bad \xef\xbf\xbd"},
    {"caf\xc3\xa9 \xe2\x98\x95", "caf\xc3\xa9 \xe2\x98\x95"},
};

static void test_html(void) {
  g_autofree char *empty = message_text_to_html(NULL);
  const char *head_end = strstr(empty, "\">\n");
  g_assert_nonnull(head_end);
  gsize head = (gsize)(head_end - empty) + 3;
  const char *tail = "\n</body></html>\n";
  g_assert_true(g_str_has_prefix(empty, "<!DOCTYPE html>\n<html>"));
  g_assert_true(g_str_has_suffix(empty, tail));
  for (gsize i = 0; i < G_N_ELEMENTS(html_rows); i++) {
    g_autofree char *html = message_text_to_html(html_rows[i].text);
    gsize n = strlen(html);
    g_autofree char *inner =
        n >= head + strlen(tail) ? g_strndup(html + head, n - head - strlen(tail)) : g_strdup("(short)");
    EXPECT(strcmp(inner, html_rows[i].html) == 0, "html of \"%s\": \"%s\", want \"%s\"", html_rows[i].text, inner,
           html_rows[i].html);
    EXPECT(g_utf8_validate(html, -1, NULL), "html not UTF-8");
  }
  /* Hostile URLs stay linear: 200,000 closing parentheses, then dots. */
  g_autofree char *parens = g_strnfill(200000, ')');
  g_autofree char *dots = g_strnfill(200000, '.');
  g_autofree char *hostile = g_strconcat("http://a", parens, " https://b", dots, NULL);
  g_autofree char *html = message_text_to_html(hostile);
  g_assert_nonnull(strstr(html, "<a href=\"http://a\">http://a</a>)))"));
  g_assert_nonnull(strstr(html, "<a href=\"https://b\">https://b</a>...."));
}

/* The Date field alone (a message sent later than built gets a fresh one):
 * the same text message_build() writes. */
static void test_date_field(void) {
  g_autofree char *d = message_date_field(test_instant("2026-12-08T09:00:00Z"), 3600);
  EXPECT(!g_strcmp0(d, "Date: Tue, 08 Dec 2026 10:00:00 +0100\r\n"), "got %s", d);
  g_autofree char *west = message_date_field(test_instant("2026-03-01T02:30:00Z"), -5 * 3600);
  EXPECT(!g_strcmp0(west, "Date: Sat, 28 Feb 2026 21:30:00 -0500\r\n"), "got %s", west);
  g_autofree char *far = message_date_field(G_GINT64_CONSTANT(300000000000), 0);
  EXPECT(far == NULL, "a year past 9999 gives %s", far);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/message/addresses", test_addresses);
  g_test_add_func("/message/date-field", test_date_field);
  g_test_add_func("/message/ids", test_ids);
  g_test_add_func("/message/build-plain", test_build_plain);
  g_test_add_func("/message/build-hostile", test_build_hostile);
  g_test_add_func("/message/build-encodings", test_build_encodings);
  g_test_add_func("/message/build-dates", test_build_dates);
  g_test_add_func("/message/build-refused", test_build_refused);
  g_test_add_func("/message/build-deterministic", test_build_deterministic);
  g_test_add_func("/message/templates-render", test_templates_render);
  g_test_add_func("/message/templates-errors", test_templates_errors);
  g_test_add_func("/message/templates-shipped", test_templates_shipped);
  g_test_add_func("/message/html", test_html);
  return g_test_run();
}
