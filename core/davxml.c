/* davxml: see davxml.h.
 *
 * Multistatus bodies are read with libxml2's SAX2 push parser: a 10,000-event
 * calendar-query is 6-10 MB of XML, and a tree of it costs several times
 * that.  davxml_parse_multistatus() is the same stream fed the whole body, so
 * there is one multistatus parser.  DAV:error bodies are small and are read
 * into a tree.
 *
 * Safety.  No entity is ever substituted and nothing is loaded: the options
 * are XML_PARSE_NONET alone (no NOENT, no DTD loading, no HUGE), and the SAX
 * handler has no entity, external-subset or resolver callbacks.  libxml2 2.9
 * parses an internal subset and checks each entity's content the first time
 * it is referenced, so a billion-laughs body would fail with an "entity loop"
 * error and look like mere bad XML: the internalSubset callback, which
 * announces a DOCTYPE before its subset is read, notes it and stops the
 * parser, and the caller learns the real reason.  The tree path does the
 * same through a parser context.
 *
 * Error output.  Errors raised with a parser context go to the context's own
 * SAX handlers, which drop them.  libxml2 raises encoding-conversion errors
 * (a body declared US-ASCII or Shift_JIS that is neither) without a context,
 * through the thread's generic and structured handlers, which belong to
 * whoever set them: those are swapped for our own around each call into
 * libxml2 and restored after it (libxml2 keeps them per thread), and put
 * back while the response callback runs.  Ours print nothing, and for the
 * stream they note the error: libxml2 2.9's push parser does not always
 * count a conversion failure against the document, and may go on with what
 * it converted, so any such error makes the body "not well-formed".
 *
 * Encodings.  libxml2 decodes UTF-8, UTF-16, ISO-8859-1 and US-ASCII itself;
 * any other goes through ICU (or iconv), and its push parser converts each
 * piece apart from the next, so a character cut in two by a piece boundary
 * can be lost or reported as an error depending on where the cut falls
 * (seen with a body declared "UT-F8", which ICU reads as UTF-8).  A
 * multistatus in another encoding is refused as not read.  CalDAV servers
 * send UTF-8.  The check runs when libxml2 announces the document (after
 * the XML declaration, before any DOCTYPE or element), and after each
 * piece, ahead of any error the conversion raised.
 *
 * The outcome does not depend on how the body was cut into pieces (the
 * tests and the fuzz target check it).  So a root other than DAV:multistatus
 * is not refused at its start tag: a conversion error further on can be
 * found before or after that tag depending on the pieces.  The rest is
 * parsed, nothing of it kept, and finish() says "not well-formed" or "not a
 * multistatus", in that order, as a tree would.
 *
 * Streaming.  Elements are matched by (namespace URI, local name).  Each
 * open element has a role, decided from its parent's role and its name when
 * its start tag is read; an element whose parent has no role has none, so
 * everything below an element we do not know is skipped without being
 * stored.  Character data is kept only for the elements whose text we read
 * (hrefs, statuses, the text properties), only at their own level (text of
 * a nested element is not theirs, as in a tree: "Work <b>bold</b> diary"
 * reads "Work  diary"), in one GString, and each value is capped.
 *
 * A propstat's DAV:status usually follows its DAV:prop, so the properties of
 * a propstat are read into a scratch DavResponse and merged into the
 * response when the propstat ends, if its status is 2xx.  Every "first one
 * wins" rule of the tree reading is kept: the first DAV:href and DAV:status
 * of a response or propstat are the ones read, the first non-empty value of
 * a text property (in document order, 2xx propstats only) wins, and so on.
 *
 * Memory is one response at a time plus libxml2's input buffer, which is
 * fed at most FEED_PIECE bytes per call and shrinks as it is consumed.
 */
#include "davxml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "zones.h"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define MAX_RESPONSES 100000
#define MAX_HOME_SET 64
/* Longest href, status, etag, name or token kept; calendar-data may be as
 * long as the whole body. */
#define MAX_TEXT (64 * 1024)
/* Bytes handed to libxml2 per call: a response is delivered soon after its
 * end tag arrives, and libxml2's unparsed input stays small. */
#define FEED_PIECE (64 * 1024)
/* Roles are kept this deep; the deepest element with a role is DAV:report,
 * at depth 7 (multistatus/response/propstat/prop/supported-report-set/
 * supported-report/report). */
#define ROLE_DEPTH 16

/* ---- parsing: safety ---------------------------------------------------- */

static void ignore_generic_error(void *ctx G_GNUC_UNUSED, const char *msg G_GNUC_UNUSED, ...) {}
static void ignore_structured_error(void *ctx G_GNUC_UNUSED, xmlErrorPtr error G_GNUC_UNUSED) {}

static void init_libxml(void) {
  static gsize done;
  /* xmlInitParser() is not safe to race on first use in libxml2 2.9. */
  if (g_once_init_enter(&done)) {
    xmlInitParser();
    g_once_init_leave(&done, 1);
  }
}

/* The thread's libxml2 error handlers, saved while ours are set. */
typedef struct {
  xmlGenericErrorFunc generic;
  void *generic_ctx;
  xmlStructuredErrorFunc structured;
  void *structured_ctx;
} SavedHandlers;

static SavedHandlers swap_errors(void *ctx, xmlGenericErrorFunc generic, xmlStructuredErrorFunc structured) {
  SavedHandlers saved = {xmlGenericError, xmlGenericErrorContext, xmlStructuredError, xmlStructuredErrorContext};
  xmlSetGenericErrorFunc(ctx, generic);
  xmlSetStructuredErrorFunc(ctx, structured);
  return saved;
}

static void restore_errors(const SavedHandlers *saved) {
  xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
  xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
}

#define TOO_LARGE_FMT "the server's reply is too large (limit %" G_GSIZE_FORMAT " bytes)"
static const char doctype_msg[] = "the server's reply has a DOCTYPE, which is refused";
/* The line only: libxml2's message quotes names from the body. */
#define NOT_XML_FMT "the server's reply is not well-formed XML (line %d)"
static const char empty_msg[] = "the server's reply is empty";
static const char not_multistatus_msg[] = "the server's reply is not a DAV:multistatus";
static const char encoding_msg[] =
    "the server's reply is in a character encoding other than UTF-8, UTF-16, ISO-8859-1 or US-ASCII";

/* ---- parsing: values ----------------------------------------------------- */

/* "HTTP/1.1 404 Not Found" -> 404; 0 when the line is not of that shape. */
static int parse_status_line(const char *line) {
  const char *p = line;
  while (g_ascii_isspace(*p))
    p++;
  if (g_ascii_strncasecmp(p, "HTTP/", 5) != 0)
    return 0;
  while (*p && !g_ascii_isspace(*p))
    p++;
  while (g_ascii_isspace(*p))
    p++;
  if (!g_ascii_isdigit(p[0]) || !g_ascii_isdigit(p[1]) || !g_ascii_isdigit(p[2]))
    return 0;
  if (p[3] && !g_ascii_isspace(p[3]))
    return 0;
  return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* The DAV_COMP_* bit a CALDAV:comp's name attribute names, 0 for others.
 * iCalendar names are case-insensitive (RFC 5545 §2). */
static guint comp_bit(const char *value, gsize len) {
  static const struct {
    const char *name;
    guint bit;
  } comps[] = {{"VEVENT", DAV_COMP_VEVENT}, {"VTODO", DAV_COMP_VTODO}, {"VJOURNAL", DAV_COMP_VJOURNAL}};
  while (len > 0 && g_ascii_isspace(*value)) {
    value++;
    len--;
  }
  while (len > 0 && g_ascii_isspace(value[len - 1]))
    len--;
  for (gsize i = 0; i < G_N_ELEMENTS(comps); i++)
    if (strlen(comps[i].name) == len && g_ascii_strncasecmp(value, comps[i].name, len) == 0)
      return comps[i].bit;
  return 0;
}

static void response_free(DavResponse *r) {
  if (!r)
    return;
  g_free(r->href);
  g_free(r->etag);
  g_free(r->calendar_data);
  g_free(r->displayname);
  g_free(r->color);
  g_free(r->ctag);
  g_free(r->sync_token);
  g_free(r->current_user_principal);
  if (r->calendar_home_set)
    g_ptr_array_unref(r->calendar_home_set);
  g_free(r);
}

static DavResponse *response_new(void) {
  DavResponse *r = g_new0(DavResponse, 1);
  r->calendar_home_set = g_ptr_array_new_with_free_func(g_free);
  return r;
}

/* Properties whose value is their text.  The first occurrence wins. */
static const struct {
  const char *ns;
  const char *name;
  gsize offset;
  gboolean exact; /* calendar-data is iCalendar text: not a byte changes */
} text_props[] = {
    {DAV_NS, "getetag", G_STRUCT_OFFSET(DavResponse, etag), FALSE},
    {CALDAV_NS, "calendar-data", G_STRUCT_OFFSET(DavResponse, calendar_data), TRUE},
    {DAV_NS, "displayname", G_STRUCT_OFFSET(DavResponse, displayname), FALSE},
    {APPLE_NS, "calendar-color", G_STRUCT_OFFSET(DavResponse, color), FALSE},
    {CS_NS, "getctag", G_STRUCT_OFFSET(DavResponse, ctag), FALSE},
    {DAV_NS, "sync-token", G_STRUCT_OFFSET(DavResponse, sync_token), FALSE},
};

static char **text_slot(DavResponse *r, gsize prop) {
  return G_STRUCT_MEMBER_P(r, text_props[prop].offset);
}

/* A 2xx propstat's values join the response's; what the response already
 * has (from an earlier propstat) stays. */
static void merge_propstat(DavResponse *r, DavResponse *ps) {
  for (gsize i = 0; i < G_N_ELEMENTS(text_props); i++)
    if (!*text_slot(r, i))
      *text_slot(r, i) = g_steal_pointer(text_slot(ps, i));
  if (!r->current_user_principal)
    r->current_user_principal = g_steal_pointer(&ps->current_user_principal);
  for (guint i = 0; i < ps->calendar_home_set->len && r->calendar_home_set->len < MAX_HOME_SET; i++)
    g_ptr_array_add(r->calendar_home_set, g_steal_pointer(&g_ptr_array_index(ps->calendar_home_set, i)));
  r->is_collection |= ps->is_collection;
  r->is_calendar |= ps->is_calendar;
  r->components |= ps->components;
  r->sync_collection |= ps->sync_collection;
}

/* ---- parsing: the stream ------------------------------------------------- */

typedef enum {
  ROLE_NONE, /* not read, nor anything inside it */
  ROLE_MULTISTATUS,
  ROLE_MS_SYNC_TOKEN, /* text: the multistatus's DAV:sync-token */
  ROLE_RESPONSE,
  ROLE_HREF,   /* text: the response's first DAV:href */
  ROLE_STATUS, /* text: the response's first DAV:status */
  ROLE_PROPSTAT,
  ROLE_PROPSTAT_STATUS, /* text: the propstat's first DAV:status */
  ROLE_PROP,
  ROLE_TEXT_PROP, /* text: text_props[text_prop] */
  ROLE_PRINCIPAL,
  ROLE_PRINCIPAL_HREF, /* text: the principal property's first DAV:href */
  ROLE_HOME_SET,
  ROLE_HOME_HREF, /* text */
  ROLE_RESOURCETYPE,
  ROLE_COMP_SET,
  ROLE_REPORT_SET,
  ROLE_SUPPORTED_REPORT,
  ROLE_REPORT,
} Role;

struct DavStream {
  xmlParserCtxtPtr ctxt;
  gsize max_len;
  gsize fed; /* bytes accepted so far */
  DavResponseFunc func;
  gpointer data;

  SavedHandlers caller_handlers; /* while inside xmlParseChunk() */
  gboolean input_error;          /* libxml2 reported one without its context */
  gboolean other_encoding;       /* seen when an error was raised */
  DavXmlError error;             /* sticky once set */
  char *error_detail;
  gboolean finished;

  guint depth; /* of the innermost open element; the root is 1 */
  Role roles[ROLE_DEPTH];
  gboolean root_seen, root_done;
  char *sync_token; /* the multistatus's own */
  gboolean truncated;

  DavResponse *resp; /* the open DAV:response, or NULL */
  gboolean href_seen, status_seen;
  DavResponse *ps; /* the open propstat's values, or NULL */
  gboolean ps_status_seen;
  int ps_status;
  gboolean principal_href_seen;

  GString *text; /* character data of the open element whose text is read */
  gsize text_prop;
};

/* Whether libxml2 decodes the body itself: no converter (UTF-8), or one of
 * its built-in ones. */
static gboolean encoding_is_read(const DavStream *s) {
  static const char *const builtin[] = {"UTF-8", "UTF-16", "UTF-16LE", "UTF-16BE", "ISO-8859-1", "ASCII", "US-ASCII"};
  const xmlParserInput *in = s->ctxt ? s->ctxt->input : NULL;
  const xmlCharEncodingHandler *enc = in && in->buf ? in->buf->encoder : NULL;
  if (!enc)
    return TRUE;
  for (gsize i = 0; enc->name && i < G_N_ELEMENTS(builtin); i++)
    if (g_ascii_strcasecmp(enc->name, builtin[i]) == 0)
      return TRUE;
  return FALSE;
}

/* libxml2 drops the input, and the converter with it, when a conversion
 * fails: the converter is looked at whenever an error is raised. */
static void note_encoding(DavStream *s) {
  if (!encoding_is_read(s))
    s->other_encoding = TRUE;
}

/* Errors libxml2 raises without a parser context, while parsing for a
 * stream.  These run inside libxml2: they only take notes. */
static void note_generic_error(void *ctx, const char *msg G_GNUC_UNUSED, ...) {
  DavStream *s = ctx;
  s->input_error = TRUE;
  note_encoding(s);
}

static void note_structured_error(void *ctx, xmlErrorPtr error) {
  DavStream *s = ctx;
  if (error && error->level >= XML_ERR_ERROR)
    s->input_error = TRUE;
  note_encoding(s);
}

/* Errors of the stream's parser context (not well-formed): dropped. */
static void note_parser_error(void *ctx, xmlErrorPtr error G_GNUC_UNUSED) {
  note_encoding(ctx);
}

static void fail(DavStream *s, DavXmlError err, char *detail) {
  if (s->error) {
    g_free(detail);
    return;
  }
  s->error = err;
  s->error_detail = detail;
  if (s->ctxt)
    xmlStopParser(s->ctxt);
}

static void check_encoding(DavStream *s) {
  note_encoding(s);
  if (!s->error && s->other_encoding)
    fail(s, DAVXML_NOT_XML, g_strdup(encoding_msg));
}

static gboolean is_name(const xmlChar *uri, const xmlChar *localname, const char *ns, const char *name) {
  return uri && strcmp((const char *)uri, ns) == 0 && strcmp((const char *)localname, name) == 0;
}

static Role role_at(const DavStream *s, guint depth) {
  return depth < ROLE_DEPTH ? s->roles[depth] : ROLE_NONE;
}

static gboolean reads_text(Role role) {
  switch (role) {
  case ROLE_MS_SYNC_TOKEN:
  case ROLE_HREF:
  case ROLE_STATUS:
  case ROLE_PROPSTAT_STATUS:
  case ROLE_TEXT_PROP:
  case ROLE_PRINCIPAL_HREF:
  case ROLE_HOME_HREF: return TRUE;
  default: return FALSE;
  }
}

/* Empties the text buffer, and lets it go if a long value made it large. */
static void clear_text(DavStream *s) {
  if (s->text->allocated_len > MAX_TEXT) {
    g_string_free(s->text, TRUE);
    s->text = g_string_new(NULL);
  } else {
    g_string_truncate(s->text, 0);
  }
}

/* The text read, as written (exact) or trimmed with NULL for nothing left,
 * so an empty property reads as absent. */
static char *take_text(DavStream *s, gboolean exact) {
  const char *a = s->text->str, *b = a + s->text->len;
  if (!exact) {
    while (a < b && g_ascii_isspace(*a))
      a++;
    while (b > a && g_ascii_isspace(b[-1]))
      b--;
  }
  char *value = exact || a < b ? g_strndup(a, b - a) : NULL;
  clear_text(s);
  return value;
}

/* The role of a DAV:prop child. */
static Role prop_role(DavStream *s, const xmlChar *uri, const xmlChar *name) {
  for (gsize i = 0; i < G_N_ELEMENTS(text_props); i++) {
    if (!is_name(uri, name, text_props[i].ns, text_props[i].name))
      continue;
    /* Not read when an earlier one won already. */
    if (*text_slot(s->resp, i) || *text_slot(s->ps, i))
      return ROLE_NONE;
    s->text_prop = i;
    return ROLE_TEXT_PROP;
  }
  if (is_name(uri, name, DAV_NS, "current-user-principal")) {
    s->principal_href_seen = FALSE;
    return ROLE_PRINCIPAL;
  }
  if (is_name(uri, name, CALDAV_NS, "calendar-home-set"))
    return ROLE_HOME_SET;
  if (is_name(uri, name, DAV_NS, "resourcetype"))
    return ROLE_RESOURCETYPE;
  if (is_name(uri, name, CALDAV_NS, "supported-calendar-component-set"))
    return ROLE_COMP_SET;
  if (is_name(uri, name, DAV_NS, "supported-report-set"))
    return ROLE_REPORT_SET;
  return ROLE_NONE;
}

/* The CALDAV:comp's own (un-namespaced) name attribute.  SAX2 gives each
 * attribute as (local name, prefix, URI, value, end of value). */
static guint comp_attr_bit(int nb_attributes, const xmlChar **attributes) {
  for (int i = 0; i < nb_attributes; i++) {
    const xmlChar **a = attributes + 5 * i;
    if (!a[1] && !a[2] && strcmp((const char *)a[0], "name") == 0)
      return comp_bit((const char *)a[3], (gsize)(a[4] - a[3]));
  }
  return 0;
}

/* The role of an element whose parent has role `parent`; reading flags
 * that need no text is done here. */
static Role child_role(DavStream *s, Role parent, const xmlChar *uri, const xmlChar *name, int nb_attributes,
                       const xmlChar **attributes) {
  switch (parent) {
  case ROLE_MULTISTATUS:
    if (is_name(uri, name, DAV_NS, "response")) {
      s->resp = response_new();
      s->href_seen = s->status_seen = FALSE;
      return ROLE_RESPONSE;
    }
    if (is_name(uri, name, DAV_NS, "sync-token") && !s->sync_token)
      return ROLE_MS_SYNC_TOKEN;
    return ROLE_NONE;
  case ROLE_RESPONSE:
    if (is_name(uri, name, DAV_NS, "href") && !s->href_seen) {
      s->href_seen = TRUE;
      return ROLE_HREF;
    }
    if (is_name(uri, name, DAV_NS, "status") && !s->status_seen) {
      s->status_seen = TRUE;
      return ROLE_STATUS;
    }
    if (is_name(uri, name, DAV_NS, "propstat")) {
      s->ps = response_new();
      s->ps_status_seen = FALSE;
      s->ps_status = 0;
      return ROLE_PROPSTAT;
    }
    return ROLE_NONE;
  case ROLE_PROPSTAT:
    if (is_name(uri, name, DAV_NS, "status") && !s->ps_status_seen) {
      s->ps_status_seen = TRUE;
      return ROLE_PROPSTAT_STATUS;
    }
    return is_name(uri, name, DAV_NS, "prop") ? ROLE_PROP : ROLE_NONE;
  case ROLE_PROP: return prop_role(s, uri, name);
  case ROLE_PRINCIPAL:
    if (is_name(uri, name, DAV_NS, "href") && !s->principal_href_seen) {
      s->principal_href_seen = TRUE;
      return s->ps->current_user_principal ? ROLE_NONE : ROLE_PRINCIPAL_HREF;
    }
    return ROLE_NONE;
  case ROLE_HOME_SET:
    return is_name(uri, name, DAV_NS, "href") && s->ps->calendar_home_set->len < MAX_HOME_SET ? ROLE_HOME_HREF
                                                                                               : ROLE_NONE;
  case ROLE_RESOURCETYPE:
    if (is_name(uri, name, DAV_NS, "collection"))
      s->ps->is_collection = TRUE;
    else if (is_name(uri, name, CALDAV_NS, "calendar"))
      s->ps->is_calendar = TRUE;
    return ROLE_NONE;
  case ROLE_COMP_SET:
    if (is_name(uri, name, CALDAV_NS, "comp"))
      s->ps->components |= comp_attr_bit(nb_attributes, attributes);
    return ROLE_NONE;
  case ROLE_REPORT_SET: return is_name(uri, name, DAV_NS, "supported-report") ? ROLE_SUPPORTED_REPORT : ROLE_NONE;
  case ROLE_SUPPORTED_REPORT:
    /* Xandikos leaves out the DAV:report wrapper (RFC 3253 §3.1.5). */
    if (is_name(uri, name, DAV_NS, "sync-collection"))
      s->ps->sync_collection = TRUE;
    return is_name(uri, name, DAV_NS, "report") ? ROLE_REPORT : ROLE_NONE;
  case ROLE_REPORT:
    if (is_name(uri, name, DAV_NS, "sync-collection"))
      s->ps->sync_collection = TRUE;
    return ROLE_NONE;
  default: return ROLE_NONE;
  }
}

static void on_start_document(void *data) {
  check_encoding(data);
}

static void on_doctype(void *data, const xmlChar *name G_GNUC_UNUSED, const xmlChar *external_id G_GNUC_UNUSED,
                       const xmlChar *system_id G_GNUC_UNUSED) {
  fail(data, DAVXML_DOCTYPE, g_strdup(doctype_msg));
}

static void on_start(void *data, const xmlChar *localname, const xmlChar *prefix G_GNUC_UNUSED, const xmlChar *uri,
                     int nb_namespaces G_GNUC_UNUSED, const xmlChar **namespaces G_GNUC_UNUSED, int nb_attributes,
                     int nb_defaulted G_GNUC_UNUSED, const xmlChar **attributes) {
  DavStream *s = data;
  if (s->error)
    return;
  s->depth++;
  Role role = ROLE_NONE;
  if (s->depth == 1) {
    /* Another root keeps no role: nothing in it is read. */
    s->root_seen = TRUE;
    if (is_name(uri, localname, DAV_NS, "multistatus"))
      role = ROLE_MULTISTATUS;
  } else {
    Role parent = role_at(s, s->depth - 1);
    if (parent != ROLE_NONE)
      role = child_role(s, parent, uri, localname, nb_attributes, attributes);
  }
  if (s->depth < ROLE_DEPTH)
    s->roles[s->depth] = role;
}

static void end_response(DavStream *s) {
  DavResponse *r = g_steal_pointer(&s->resp);
  /* RFC 6578 §3.6: the 507 names the request URI; it still means "more". */
  if (r->status == 507)
    s->truncated = TRUE;
  /* Without an href there is nothing to attach a response to. */
  gboolean go_on = TRUE;
  if (r->href && s->func) {
    restore_errors(&s->caller_handlers);
    go_on = s->func(r, s->data);
    s->caller_handlers = swap_errors(s, note_generic_error, note_structured_error);
  }
  response_free(r);
  if (!go_on)
    fail(s, DAVXML_STOPPED, g_strdup("reading the server's reply was stopped"));
}

static void on_end(void *data, const xmlChar *localname G_GNUC_UNUSED, const xmlChar *prefix G_GNUC_UNUSED,
                   const xmlChar *uri G_GNUC_UNUSED) {
  DavStream *s = data;
  if (s->error)
    return;
  Role role = role_at(s, s->depth);
  s->depth--;
  switch (role) {
  case ROLE_MULTISTATUS: s->root_done = TRUE; break;
  case ROLE_MS_SYNC_TOKEN: s->sync_token = take_text(s, FALSE); break;
  case ROLE_RESPONSE: end_response(s); break;
  case ROLE_HREF: s->resp->href = take_text(s, FALSE); break;
  case ROLE_STATUS:
    s->resp->status = parse_status_line(s->text->str);
    clear_text(s);
    break;
  case ROLE_PROPSTAT_STATUS:
    s->ps_status = parse_status_line(s->text->str);
    clear_text(s);
    break;
  case ROLE_PROPSTAT:
    /* Only a 2xx propstat carries values; a 404 one lists what the server lacks. */
    if (s->ps_status >= 200 && s->ps_status <= 299)
      merge_propstat(s->resp, s->ps);
    g_clear_pointer(&s->ps, response_free);
    break;
  case ROLE_TEXT_PROP: *text_slot(s->ps, s->text_prop) = take_text(s, text_props[s->text_prop].exact); break;
  case ROLE_PRINCIPAL_HREF: s->ps->current_user_principal = take_text(s, FALSE); break;
  case ROLE_HOME_HREF: {
    char *href = take_text(s, FALSE);
    if (href)
      g_ptr_array_add(s->ps->calendar_home_set, href);
    break;
  }
  default: break;
  }
}

/* Adds to the text of the open element, within the cap of its value. */
static void append_text(DavStream *s, const xmlChar *text, gsize len) {
  Role role = role_at(s, s->depth);
  gsize cap = role == ROLE_TEXT_PROP && text_props[s->text_prop].exact ? s->max_len : MAX_TEXT;
  if (len > cap - MIN(cap, s->text->len)) {
    fail(s, DAVXML_TOO_LARGE,
         g_strdup_printf("a value in the server's reply is too long (limit %" G_GSIZE_FORMAT " bytes)", cap));
    return;
  }
  g_string_append_len(s->text, (const char *)text, len);
}

/* Character data, as libxml2 delivers it: line ends normalized, character
 * references resolved. */
static void on_text(void *data, const xmlChar *text, int len) {
  DavStream *s = data;
  if (!s->error && reads_text(role_at(s, s->depth)))
    append_text(s, text, (gsize)len);
}

/* The input byte after `end`, or 0 when `end` is not inside libxml2's
 * input buffer (as integers: the pointers may belong to other objects). */
static xmlChar next_input_byte(const DavStream *s, const xmlChar *end) {
  const xmlParserInput *in = s->ctxt->input;
  if (!in || (uintptr_t)end < (uintptr_t)in->base || (uintptr_t)end >= (uintptr_t)in->end)
    return 0;
  return *end;
}

/* CDATA.  libxml2 2.9's push parser hands a CDATA section over as it stands
 * in the input, in pieces of at most 300 bytes, without the line-end
 * normalization of XML 1.0 §2.11 that character data is given (and that
 * the pull parser applies to CDATA too): CR LF and a lone CR become LF here.  A
 * piece may end between a CR and its LF; pieces lie in libxml2's input
 * buffer, where the byte after a piece is the next byte of the section (or
 * the ']' of its "]]>"), so that byte decides. */
static void on_cdata(void *data, const xmlChar *text, int len) {
  DavStream *s = data;
  if (s->error || !reads_text(role_at(s, s->depth)))
    return;
  const xmlChar *p = text, *end = text + len;
  while (p < end && !s->error) {
    const xmlChar *cr = memchr(p, '\r', (gsize)(end - p));
    if (!cr) {
      append_text(s, p, (gsize)(end - p));
      break;
    }
    append_text(s, p, (gsize)(cr - p));
    xmlChar next = cr + 1 < end ? cr[1] : next_input_byte(s, end);
    if (next != '\n')
      append_text(s, (const xmlChar *)"\n", 1);
    p = cr + 1;
  }
}

DavStream *davxml_stream_new(gsize max_len, DavResponseFunc func, gpointer data) {
  init_libxml();
  DavStream *s = g_new0(DavStream, 1);
  s->max_len = max_len;
  s->func = func;
  s->data = data;
  s->text = g_string_new(NULL);

  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startDocument = on_start_document;
  sax.internalSubset = on_doctype;
  sax.startElementNs = on_start;
  sax.endElementNs = on_end;
  sax.characters = on_text;
  /* The same callback for both: libxml2 then never guesses which white
   * space is ignorable. */
  sax.ignorableWhitespace = on_text;
  sax.cdataBlock = on_cdata;
  sax.warning = ignore_generic_error;
  sax.error = ignore_generic_error;
  sax.fatalError = ignore_generic_error;
  sax.serror = note_parser_error;
  /* libxml2 copies the handler.  With no first bytes, the encoding is
   * detected from the first four fed. */
  s->ctxt = xmlCreatePushParserCtxt(&sax, s, NULL, 0, NULL);
  if (!s->ctxt) {
    fail(s, DAVXML_NOT_XML, g_strdup("no memory for an XML parser"));
    return s;
  }
  xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET);
  return s;
}

void davxml_stream_free(DavStream *s) {
  if (!s)
    return;
  if (s->ctxt)
    xmlFreeParserCtxt(s->ctxt);
  g_free(s->error_detail);
  g_free(s->sync_token);
  response_free(s->resp);
  response_free(s->ps);
  g_string_free(s->text, TRUE);
  g_free(s);
}

/* Hands bytes (or the end, when terminate) to libxml2 and notes a failure
 * that is not one of ours. */
static void parse_chunk(DavStream *s, const char *chunk, int len, gboolean terminate) {
  s->caller_handlers = swap_errors(s, note_generic_error, note_structured_error);
  /* Non-zero when the body is not well-formed, libxml2 gave up (input
   * beyond its own limits, some encoding failures) or a callback stopped it. */
  int rc = xmlParseChunk(s->ctxt, chunk, len, terminate);
  restore_errors(&s->caller_handlers);
  check_encoding(s);
  if (s->error || (rc == 0 && s->ctxt->wellFormed && !s->input_error))
    return;
  int line = s->ctxt->lastError.line;
  if (line <= 0 && s->ctxt->input)
    line = s->ctxt->input->line;
  fail(s, DAVXML_NOT_XML, g_strdup_printf(NOT_XML_FMT, line));
}

static DavXmlError report(const DavStream *s, char **detail) {
  if (s->error && detail)
    *detail = g_strdup(s->error_detail);
  return s->error;
}

DavXmlError davxml_stream_feed(DavStream *s, const char *chunk, gsize len, char **detail) {
  g_return_val_if_fail(s != NULL, DAVXML_NOT_XML);
  g_return_val_if_fail(chunk != NULL || len == 0, DAVXML_NOT_XML);
  g_return_val_if_fail(!s->finished, DAVXML_NOT_XML);
  if (!s->error && len > s->max_len - s->fed)
    fail(s, DAVXML_TOO_LARGE, g_strdup_printf(TOO_LARGE_FMT, s->max_len));
  while (!s->error && len > 0) {
    gsize n = MIN(len, FEED_PIECE);
    s->fed += n;
    parse_chunk(s, chunk, (int)n, FALSE);
    chunk += n;
    len -= n;
  }
  return report(s, detail);
}

DavXmlError davxml_stream_finish(DavStream *s, char **sync_token, gboolean *truncated, char **detail) {
  g_return_val_if_fail(s != NULL, DAVXML_NOT_XML);
  g_return_val_if_fail(!s->finished, DAVXML_NOT_XML);
  if (!s->error && s->fed == 0)
    fail(s, DAVXML_NOT_XML, g_strdup(empty_msg));
  if (!s->error)
    parse_chunk(s, NULL, 0, TRUE);
  if (!s->error && !s->root_done) {
    if (s->root_seen && role_at(s, 1) != ROLE_MULTISTATUS)
      fail(s, DAVXML_NOT_MULTISTATUS, g_strdup(not_multistatus_msg));
    else /* cannot happen once libxml2 has found the body well-formed */
      fail(s, DAVXML_NOT_XML, g_strdup_printf(NOT_XML_FMT, 0));
  }
  if (s->error)
    return report(s, detail);
  s->finished = TRUE;
  if (sync_token)
    *sync_token = g_steal_pointer(&s->sync_token);
  if (truncated)
    *truncated = s->truncated;
  return DAVXML_OK;
}

/* ---- parsing: a whole multistatus ----------------------------------------- */

void dav_multistatus_free(DavMultistatus *ms) {
  if (!ms)
    return;
  if (ms->responses)
    g_ptr_array_unref(ms->responses);
  g_free(ms->sync_token);
  g_free(ms);
}

/* Takes the whole response (the stream frees what is left: nothing). */
static gboolean collect_response(DavResponse *resp, gpointer data) {
  GPtrArray *responses = data;
  if (responses->len < MAX_RESPONSES) {
    g_ptr_array_add(responses, g_memdup2(resp, sizeof *resp));
    memset(resp, 0, sizeof *resp);
  }
  return TRUE;
}

DavXmlError davxml_parse_multistatus(const char *body, gsize len, gsize max_len, DavMultistatus **out,
                                     char **detail) {
  g_autoptr(GPtrArray) responses = g_ptr_array_new_with_free_func((GDestroyNotify)response_free);
  g_autoptr(DavStream) stream = davxml_stream_new(max_len, collect_response, responses);
  g_autofree char *sync_token = NULL;
  gboolean truncated = FALSE;
  DavXmlError err = davxml_stream_feed(stream, body ? body : "", body ? len : 0, detail);
  if (err == DAVXML_OK)
    err = davxml_stream_finish(stream, &sync_token, &truncated, detail);
  if (err != DAVXML_OK)
    return err;
  DavMultistatus *ms = g_new0(DavMultistatus, 1);
  ms->responses = g_steal_pointer(&responses);
  ms->sync_token = g_steal_pointer(&sync_token);
  ms->truncated = truncated;
  *out = ms;
  return DAVXML_OK;
}

/* ---- parsing: DAV:error, through a tree ------------------------------------ */

static void on_tree_doctype(void *user_data, const xmlChar *name G_GNUC_UNUSED,
                            const xmlChar *external_id G_GNUC_UNUSED, const xmlChar *system_id G_GNUC_UNUSED) {
  xmlParserCtxtPtr ctxt = user_data;
  gboolean *seen = ctxt->_private;
  *seen = TRUE;
  xmlStopParser(ctxt);
}

/* The tree of a body that is well-formed, has no DOCTYPE and is within the
 * limit; NULL otherwise.  The read uses the arguments and options
 * xmlReadMemory() would, with error output switched off. */
static xmlDocPtr read_tree(const char *body, gsize len, gsize max_len) {
  if (!body || len == 0 || len > max_len || len > INT_MAX)
    return NULL;
  init_libxml();
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt)
    return NULL;
  gboolean doctype = FALSE;
  ctxt->sax->internalSubset = on_tree_doctype;
  ctxt->_private = &doctype;
  SavedHandlers saved = swap_errors(NULL, ignore_generic_error, ignore_structured_error);
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, "response.xml", NULL, PARSE_OPTIONS);
  restore_errors(&saved);
  xmlFreeParserCtxt(ctxt);
  if (doc && (doctype || doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc))) {
    xmlFreeDoc(doc);
    return NULL;
  }
  return doc;
}

static gboolean is_element(const xmlNode *node, const char *ns, const char *name) {
  return node->type == XML_ELEMENT_NODE && node->ns && is_name(node->ns->href, node->name, ns, name);
}

char *davxml_parse_error(const char *body, gsize len, gsize max_len) {
  xmlDocPtr doc = read_tree(body, len, max_len);
  if (!doc)
    return NULL;
  const xmlNode *root = xmlDocGetRootElement(doc);
  char *name = NULL;
  if (is_element(root, DAV_NS, "error"))
    for (const xmlNode *c = root->children; c && !name; c = c->next)
      if (c->type == XML_ELEMENT_NODE)
        name = g_strdup((const char *)c->name);
  xmlFreeDoc(doc);
  return name;
}

/* ---- DAV header ---------------------------------------------------------- */

gboolean davxml_header_has(const char *dav_header, const char *token) {
  if (!dav_header || !token)
    return FALSE;
  gsize want = strlen(token);
  const char *p = dav_header;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end)
      end = p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && g_ascii_isspace(*a))
      a++;
    while (b > a && g_ascii_isspace(b[-1]))
      b--;
    if ((gsize)(b - a) == want && want > 0 && g_ascii_strncasecmp(a, token, want) == 0)
      return TRUE;
    p = *end ? end + 1 : end;
  }
  return FALSE;
}

/* ---- request bodies ------------------------------------------------------ */

#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define ALL_NS                                                                                                \
  "xmlns:d=\"" DAV_NS "\" xmlns:c=\"" CALDAV_NS "\" xmlns:cs=\"" CS_NS "\" xmlns:x1=\"" APPLE_NS "\""

/* Escapes the five XML specials.  Bytes XML 1.0 cannot carry (control
 * characters, broken UTF-8) are percent-encoded: the text is a URL or a
 * server's token, and the body must stay well-formed whatever it holds. */
static void append_escaped(GString *out, const char *text) {
  const char *p = text;
  while (*p) {
    gunichar ch = g_utf8_get_char_validated(p, -1);
    if (ch == (gunichar)-1 || ch == (gunichar)-2 || (ch < 0x20) || ch == 0xFFFE || ch == 0xFFFF) {
      g_string_append_printf(out, "%%%02X", (guchar)*p);
      p++;
      continue;
    }
    switch (ch) {
    case '&': g_string_append(out, "&amp;"); break;
    case '<': g_string_append(out, "&lt;"); break;
    case '>': g_string_append(out, "&gt;"); break;
    case '"': g_string_append(out, "&quot;"); break;
    case '\'': g_string_append(out, "&apos;"); break;
    default: g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    p = g_utf8_next_char(p);
  }
}

/* A PROPFIND for the given properties (prefixed names, ALL_NS prefixes). */
static char *propfind(const char *const *props, gsize n) {
  GString *xml = g_string_new(XML_DECL "<d:propfind " ALL_NS ">\n  <d:prop>\n");
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(xml, "    <%s/>\n", props[i]);
  g_string_append(xml, "  </d:prop>\n</d:propfind>\n");
  return g_string_free(xml, FALSE);
}

char *davxml_propfind_principal(void) {
  static const char *const props[] = {"d:current-user-principal", "d:resourcetype"};
  return propfind(props, G_N_ELEMENTS(props));
}

char *davxml_propfind_home(void) {
  static const char *const props[] = {"c:calendar-home-set"};
  return propfind(props, G_N_ELEMENTS(props));
}

char *davxml_propfind_calendars(gboolean with_state) {
  static const char *const props[] = {"d:displayname", "d:resourcetype", "x1:calendar-color",
                                      "c:supported-calendar-component-set", "d:supported-report-set",
                                      "cs:getctag", "d:sync-token"};
  return propfind(props, G_N_ELEMENTS(props) - (with_state ? 0 : 2));
}

char *davxml_propfind_ctag(void) {
  static const char *const props[] = {"cs:getctag", "d:sync-token"};
  return propfind(props, G_N_ELEMENTS(props));
}

char *davxml_propfind_getctag(void) {
  static const char *const props[] = {"cs:getctag"};
  return propfind(props, G_N_ELEMENTS(props));
}

char *davxml_propfind_sync_token(void) {
  static const char *const props[] = {"d:sync-token"};
  return propfind(props, G_N_ELEMENTS(props));
}

/* An instant as an iCalendar UTC date-time, "20260302T090000Z".  Instants
 * outside years 1..9999 are clamped: the format has four digits for the year. */
static void append_utc(GString *out, gint64 instant) {
  const gint64 min = civil_to_seconds(1, 1, 1, 0, 0, 0);
  const gint64 max = civil_to_seconds(9999, 12, 31, 23, 59, 59);
  instant = CLAMP(instant, min, max);
  gint64 days = instant / 86400, secs = instant % 86400;
  if (secs < 0) {
    secs += 86400;
    days--;
  }
  int year, month, day;
  days_to_civil(days, &year, &month, &day);
  g_string_append_printf(out, "%04d%02d%02dT%02d%02d%02dZ", year, month, day, (int)(secs / 3600),
                         (int)(secs / 60 % 60), (int)(secs % 60));
}

char *davxml_calendar_query(gboolean with_data, gint64 from, gint64 to) {
  GString *xml = g_string_new(XML_DECL "<c:calendar-query " ALL_NS ">\n  <d:prop>\n    <d:getetag/>\n");
  if (with_data)
    g_string_append(xml, "    <c:calendar-data/>\n");
  g_string_append(xml, "  </d:prop>\n  <c:filter>\n    <c:comp-filter name=\"VCALENDAR\">\n"
                       "      <c:comp-filter name=\"VEVENT\">\n");
  if (from < to) {
    g_string_append(xml, "        <c:time-range start=\"");
    append_utc(xml, from);
    g_string_append(xml, "\" end=\"");
    append_utc(xml, to);
    g_string_append(xml, "\"/>\n");
  }
  g_string_append(xml, "      </c:comp-filter>\n    </c:comp-filter>\n  </c:filter>\n</c:calendar-query>\n");
  return g_string_free(xml, FALSE);
}

char *davxml_multiget(const char *const *hrefs, guint n) {
  GString *xml = g_string_new(XML_DECL "<c:calendar-multiget " ALL_NS ">\n"
                                       "  <d:prop>\n    <d:getetag/>\n    <c:calendar-data/>\n  </d:prop>\n");
  for (guint i = 0; hrefs && i < n; i++) {
    if (!hrefs[i])
      continue;
    g_string_append(xml, "  <d:href>");
    append_escaped(xml, hrefs[i]);
    g_string_append(xml, "</d:href>\n");
  }
  g_string_append(xml, "</c:calendar-multiget>\n");
  return g_string_free(xml, FALSE);
}

char *davxml_sync_collection(const char *token, guint limit, gboolean with_data) {
  GString *xml = g_string_new(XML_DECL "<d:sync-collection xmlns:d=\"" DAV_NS "\">\n");
  /* RFC 6578 §3.2: the element order is fixed, and an initial sync sends
   * the token element empty. */
  if (token && *token) {
    g_string_append(xml, "  <d:sync-token>");
    append_escaped(xml, token);
    g_string_append(xml, "</d:sync-token>\n");
  } else {
    g_string_append(xml, "  <d:sync-token/>\n");
  }
  g_string_append(xml, "  <d:sync-level>1</d:sync-level>\n");
  if (limit > 0)
    g_string_append_printf(xml, "  <d:limit>\n    <d:nresults>%u</d:nresults>\n  </d:limit>\n", limit);
  g_string_append(xml, "  <d:prop>\n    <d:getetag/>\n");
  if (with_data)
    g_string_append(xml, "    <c:calendar-data xmlns:c=\"" CALDAV_NS "\"/>\n");
  g_string_append(xml, "  </d:prop>\n</d:sync-collection>\n");
  return g_string_free(xml, FALSE);
}
