/* davxml: see davxml.h.
 *
 * Why a parser context rather than plain xmlReadMemory(): libxml2 2.9 parses
 * an internal subset and checks each entity's content the first time it is
 * referenced, so a billion-laughs body fails with an "entity loop" error and
 * would look like mere bad XML.  We hook the SAX callback that announces a
 * DOCTYPE, note it and stop the parser there: the internal subset is never
 * read, and the caller learns the real reason.  The read itself uses the same
 * arguments and options xmlReadMemory() would.
 *
 * The tree is walked by hand with (namespace URI, local name) matching; only
 * the elements we know are read, the rest is ignored.
 */
#include "davxml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <string.h>

#include "zones.h"

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
#define MAX_RESPONSES 100000
#define MAX_HOME_SET 64

/* ---- parsing: safety ---------------------------------------------------- */

static void ignore_generic_error(void *ctx G_GNUC_UNUSED, const char *msg G_GNUC_UNUSED, ...) {}
static void ignore_structured_error(void *ctx G_GNUC_UNUSED, xmlErrorPtr error G_GNUC_UNUSED) {}

static void on_doctype(void *user_data, const xmlChar *name G_GNUC_UNUSED, const xmlChar *external_id G_GNUC_UNUSED,
                       const xmlChar *system_id G_GNUC_UNUSED) {
  xmlParserCtxtPtr ctxt = user_data;
  gboolean *seen = ctxt->_private;
  *seen = TRUE;
  xmlStopParser(ctxt);
}

static void init_libxml(void) {
  static gsize done;
  /* xmlInitParser() is not safe to race on first use in libxml2 2.9. */
  if (g_once_init_enter(&done)) {
    xmlInitParser();
    g_once_init_leave(&done, 1);
  }
}

static void set_detail(char **detail, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_detail(char **detail, const char *fmt, ...) {
  if (!detail)
    return;
  va_list args;
  va_start(args, fmt);
  *detail = g_strdup_vprintf(fmt, args);
  va_end(args);
}

/* Reads the body into a tree, with error output switched off for this call
 * only (errors a context does not own, such as encoding ones, go to the
 * process-wide handlers, which belong to whoever set them). */
static xmlDocPtr read_tree(const char *body, gsize len, gboolean *doctype, int *error_line) {
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt)
    return NULL;
  ctxt->sax->internalSubset = on_doctype;
  ctxt->_private = doctype;

  xmlGenericErrorFunc old_generic = xmlGenericError;
  void *old_generic_ctx = xmlGenericErrorContext;
  xmlStructuredErrorFunc old_structured = xmlStructuredError;
  void *old_structured_ctx = xmlStructuredErrorContext;
  xmlSetGenericErrorFunc(NULL, ignore_generic_error);
  xmlSetStructuredErrorFunc(NULL, ignore_structured_error);

  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, "response.xml", NULL, PARSE_OPTIONS);

  xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
  xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
  *error_line = ctxt->lastError.line;
  xmlFreeParserCtxt(ctxt);
  return doc;
}

/* The tree of a body that passed every check, or NULL with the reason. */
static DavXmlError parse_body(const char *body, gsize len, gsize max_len, xmlDocPtr *out, char **detail) {
  if (len > max_len || len > INT_MAX) {
    set_detail(detail, "the server's reply is too large (%" G_GSIZE_FORMAT " bytes, limit %" G_GSIZE_FORMAT ")", len,
               max_len);
    return DAVXML_TOO_LARGE;
  }
  if (!body || len == 0) {
    set_detail(detail, "the server's reply is empty");
    return DAVXML_NOT_XML;
  }
  init_libxml();
  gboolean doctype = FALSE;
  int line = 0;
  xmlDocPtr doc = read_tree(body, len, &doctype, &line);
  if (doctype || (doc && (doc->intSubset || doc->extSubset))) {
    xmlFreeDoc(doc);
    set_detail(detail, "the server's reply has a DOCTYPE, which is refused");
    return DAVXML_DOCTYPE;
  }
  if (!doc || !xmlDocGetRootElement(doc)) {
    xmlFreeDoc(doc);
    /* The line only: libxml2's message quotes names from the body. */
    set_detail(detail, "the server's reply is not well-formed XML (line %d)", line);
    return DAVXML_NOT_XML;
  }
  *out = doc;
  return DAVXML_OK;
}

/* ---- parsing: the tree -------------------------------------------------- */

static gboolean is_element(const xmlNode *node, const char *ns, const char *name) {
  return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
         strcmp((const char *)node->ns->href, ns) == 0 && strcmp((const char *)node->name, name) == 0;
}

static const xmlNode *find_child(const xmlNode *parent, const char *ns, const char *name) {
  for (const xmlNode *c = parent->children; c; c = c->next)
    if (is_element(c, ns, name))
      return c;
  return NULL;
}

/* Text and CDATA children of this element only, exactly as written. */
static char *element_text(const xmlNode *node) {
  GString *text = g_string_new(NULL);
  for (const xmlNode *c = node->children; c; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      g_string_append(text, (const char *)c->content);
  return g_string_free(text, FALSE);
}

/* Trimmed text; NULL when nothing is left, so an empty property reads as absent. */
static char *element_token(const xmlNode *node) {
  char *text = g_strstrip(element_text(node));
  if (!*text) {
    g_free(text);
    return NULL;
  }
  return text;
}

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

static int status_of(const xmlNode *parent) {
  const xmlNode *status = find_child(parent, DAV_NS, "status");
  if (!status)
    return 0;
  g_autofree char *line = element_text(status);
  return parse_status_line(line);
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
  g_ptr_array_unref(r->calendar_home_set);
  g_free(r);
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

static gboolean read_text_prop(DavResponse *r, const xmlNode *prop) {
  for (gsize i = 0; i < G_N_ELEMENTS(text_props); i++) {
    if (!is_element(prop, text_props[i].ns, text_props[i].name))
      continue;
    char **slot = G_STRUCT_MEMBER_P(r, text_props[i].offset);
    if (!*slot)
      *slot = text_props[i].exact ? element_text(prop) : element_token(prop);
    return TRUE;
  }
  return FALSE;
}

static void read_principal(DavResponse *r, const xmlNode *prop) {
  const xmlNode *href = find_child(prop, DAV_NS, "href");
  if (href && !r->current_user_principal)
    r->current_user_principal = element_token(href);
}

static void read_home_set(DavResponse *r, const xmlNode *prop) {
  for (const xmlNode *c = prop->children; c && r->calendar_home_set->len < MAX_HOME_SET; c = c->next) {
    if (!is_element(c, DAV_NS, "href"))
      continue;
    char *href = element_token(c);
    if (href)
      g_ptr_array_add(r->calendar_home_set, href);
  }
}

static void read_resourcetype(DavResponse *r, const xmlNode *prop) {
  for (const xmlNode *c = prop->children; c; c = c->next) {
    if (is_element(c, DAV_NS, "collection"))
      r->is_collection = TRUE;
    else if (is_element(c, CALDAV_NS, "calendar"))
      r->is_calendar = TRUE;
  }
}

static void read_components(DavResponse *r, const xmlNode *prop) {
  static const struct {
    const char *name;
    guint bit;
  } comps[] = {{"VEVENT", DAV_COMP_VEVENT}, {"VTODO", DAV_COMP_VTODO}, {"VJOURNAL", DAV_COMP_VJOURNAL}};
  for (const xmlNode *c = prop->children; c; c = c->next) {
    if (!is_element(c, CALDAV_NS, "comp"))
      continue;
    xmlChar *attr = xmlGetNoNsProp(c, (const xmlChar *)"name");
    if (!attr)
      continue;
    g_strstrip((char *)attr);
    /* iCalendar names are case-insensitive (RFC 5545 §2). */
    for (gsize i = 0; i < G_N_ELEMENTS(comps); i++)
      if (g_ascii_strcasecmp((const char *)attr, comps[i].name) == 0)
        r->components |= comps[i].bit;
    xmlFree(attr);
  }
}

static void read_report_set(DavResponse *r, const xmlNode *prop) {
  for (const xmlNode *sr = prop->children; sr; sr = sr->next) {
    if (!is_element(sr, DAV_NS, "supported-report"))
      continue;
    for (const xmlNode *rep = sr->children; rep; rep = rep->next)
      if (is_element(rep, DAV_NS, "report") && find_child(rep, DAV_NS, "sync-collection"))
        r->sync_collection = TRUE;
  }
}

static const struct {
  const char *ns;
  const char *name;
  void (*read)(DavResponse *r, const xmlNode *prop);
} other_props[] = {
    {DAV_NS, "current-user-principal", read_principal},
    {CALDAV_NS, "calendar-home-set", read_home_set},
    {DAV_NS, "resourcetype", read_resourcetype},
    {CALDAV_NS, "supported-calendar-component-set", read_components},
    {DAV_NS, "supported-report-set", read_report_set},
};

static void read_prop(DavResponse *r, const xmlNode *prop) {
  if (read_text_prop(r, prop))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(other_props); i++)
    if (is_element(prop, other_props[i].ns, other_props[i].name)) {
      other_props[i].read(r, prop);
      return;
    }
}

/* Only a 2xx propstat carries values; a 404 one lists what the server lacks. */
static void read_propstat(DavResponse *r, const xmlNode *propstat) {
  int status = status_of(propstat);
  if (status < 200 || status > 299)
    return;
  for (const xmlNode *prop = propstat->children; prop; prop = prop->next) {
    if (!is_element(prop, DAV_NS, "prop"))
      continue;
    for (const xmlNode *c = prop->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE)
        read_prop(r, c);
  }
}

/* NULL for a response without an href: there is nothing to attach it to. */
static DavResponse *read_response(const xmlNode *node) {
  const xmlNode *href_node = find_child(node, DAV_NS, "href");
  char *href = href_node ? element_token(href_node) : NULL;
  if (!href)
    return NULL;
  DavResponse *r = g_new0(DavResponse, 1);
  r->href = href;
  r->status = status_of(node);
  r->calendar_home_set = g_ptr_array_new_with_free_func(g_free);
  for (const xmlNode *c = node->children; c; c = c->next)
    if (is_element(c, DAV_NS, "propstat"))
      read_propstat(r, c);
  return r;
}

static DavMultistatus *read_multistatus(const xmlNode *root) {
  DavMultistatus *ms = g_new0(DavMultistatus, 1);
  ms->responses = g_ptr_array_new_with_free_func((GDestroyNotify)response_free);
  for (const xmlNode *c = root->children; c; c = c->next) {
    if (is_element(c, DAV_NS, "sync-token") && !ms->sync_token) {
      ms->sync_token = element_token(c);
    } else if (is_element(c, DAV_NS, "response") && ms->responses->len < MAX_RESPONSES) {
      /* RFC 6578 §3.6: the 507 names the request URI; it still means "more". */
      if (status_of(c) == 507)
        ms->truncated = TRUE;
      DavResponse *r = read_response(c);
      if (r)
        g_ptr_array_add(ms->responses, r);
    }
  }
  return ms;
}

void dav_multistatus_free(DavMultistatus *ms) {
  if (!ms)
    return;
  if (ms->responses)
    g_ptr_array_unref(ms->responses);
  g_free(ms->sync_token);
  g_free(ms);
}

DavXmlError davxml_parse_multistatus(const char *body, gsize len, gsize max_len, DavMultistatus **out,
                                     char **detail) {
  xmlDocPtr doc = NULL;
  DavXmlError err = parse_body(body, len, max_len, &doc, detail);
  if (err != DAVXML_OK)
    return err;
  const xmlNode *root = xmlDocGetRootElement(doc);
  if (!is_element(root, DAV_NS, "multistatus")) {
    xmlFreeDoc(doc);
    set_detail(detail, "the server's reply is not a DAV:multistatus");
    return DAVXML_NOT_MULTISTATUS;
  }
  *out = read_multistatus(root);
  xmlFreeDoc(doc);
  return DAVXML_OK;
}

char *davxml_parse_error(const char *body, gsize len, gsize max_len) {
  xmlDocPtr doc = NULL;
  if (parse_body(body, len, max_len, &doc, NULL) != DAVXML_OK)
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

char *davxml_propfind_calendars(void) {
  static const char *const props[] = {"d:displayname",   "d:resourcetype", "x1:calendar-color",
                                      "cs:getctag",      "d:sync-token",   "c:supported-calendar-component-set",
                                      "d:supported-report-set"};
  return propfind(props, G_N_ELEMENTS(props));
}

char *davxml_propfind_ctag(void) {
  static const char *const props[] = {"cs:getctag", "d:sync-token"};
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

char *davxml_sync_collection(const char *token, guint limit) {
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
  g_string_append(xml, "  <d:prop>\n    <d:getetag/>\n  </d:prop>\n</d:sync-collection>\n");
  return g_string_free(xml, FALSE);
}
