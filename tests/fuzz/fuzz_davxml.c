/* libFuzzer target: a server's reply -> davxml_parse_multistatus, the same
 * body through a DavStream in pieces, and davxml_parse_error (and, as a
 * header value, davxml_header_has).  Any crash, sanitizer report, hang or
 * leak is a bug, and so is a stream whose outcome depends on where the body
 * was cut. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "davxml.h"

#define MAX_LEN (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *or_null(const char *s) {
  return s ? s : "(null)";
}

/* Every field, so that a dangling string shows up here and two outcomes
 * can be compared. */
static void describe_response(GString *out, const DavResponse *r) {
  g_string_append_printf(out, "%s %d %s %s %s %s %s %s %s [", r->href, r->status, or_null(r->etag),
                         or_null(r->calendar_data), or_null(r->displayname), or_null(r->color), or_null(r->ctag),
                         or_null(r->sync_token), or_null(r->current_user_principal));
  for (guint k = 0; k < r->calendar_home_set->len; k++)
    g_string_append_printf(out, "%s|", (const char *)g_ptr_array_index(r->calendar_home_set, k));
  g_string_append_printf(out, "] %d %d %#x %d\n", r->is_collection, r->is_calendar, r->components,
                         r->sync_collection);
}

/* The line in a "not well-formed" detail is libxml2's, and the push
 * parser's count can depend on the cut (it skips over an invalid character
 * in CDATA without counting the lines before it): it is left out. */
static char *outcome(DavXmlError err, const char *detail, const char *responses, const char *token,
                     gboolean truncated) {
  if (err != DAVXML_OK) {
    char *text = g_strdup_printf("error %d: %s", err, or_null(detail));
    char *line = strstr(text, "(line ");
    if (line)
      *line = '\0';
    return text;
  }
  return g_strdup_printf("ok %s %d %s\n%s", or_null(token), truncated, or_null(detail), responses);
}

static char *whole(const char *body, size_t size) {
  DavMultistatus *ms = NULL;
  char *detail = NULL;
  DavXmlError err = davxml_parse_multistatus(body, size, MAX_LEN, &ms, &detail);
  GString *responses = g_string_new(NULL);
  for (guint i = 0; ms && i < ms->responses->len; i++)
    describe_response(responses, g_ptr_array_index(ms->responses, i));
  char *out = outcome(err, detail, responses->str, ms ? ms->sync_token : NULL, ms ? ms->truncated : FALSE);
  g_string_free(responses, TRUE);
  dav_multistatus_free(ms);
  g_free(detail);
  return out;
}

static gboolean on_response(DavResponse *resp, gpointer data) {
  describe_response(data, resp);
  return TRUE;
}

/* The first `bytes` bytes one at a time (the encoding is detected from the
 * first four), then up to `split` in one piece, then the rest. */
static char *streamed(const char *body, size_t size, size_t bytes, size_t split) {
  GString *responses = g_string_new(NULL);
  DavStream *stream = davxml_stream_new(MAX_LEN, on_response, responses);
  char *detail = NULL;
  DavXmlError err = DAVXML_OK;
  size_t at = 0;
  for (; at < MIN(bytes, size) && err == DAVXML_OK; at++)
    err = davxml_stream_feed(stream, body + at, 1, &detail);
  if (err == DAVXML_OK && split > at) {
    err = davxml_stream_feed(stream, body + at, split - at, &detail);
    at = split;
  }
  if (err == DAVXML_OK)
    err = davxml_stream_feed(stream, body + at, size - at, &detail);
  char *token = NULL;
  gboolean truncated = FALSE;
  if (err == DAVXML_OK)
    err = davxml_stream_finish(stream, &token, &truncated, &detail);
  char *out = outcome(err, detail, responses->str, token, truncated);
  davxml_stream_free(stream);
  g_string_free(responses, TRUE);
  g_free(token);
  g_free(detail);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  char *want = whole(body, size);
  /* Cut points that depend on the data, so the fuzzer explores them. */
  size_t bytes = size ? data[size - 1] % 8 : 0;
  size_t split = size ? ((size_t)data[size / 2] * 257 + data[0]) % (size + 1) : 0;
  char *got = streamed(body, size, bytes, split);
  if (strcmp(want, got) != 0)
    abort();
  g_free(want);
  g_free(got);
  g_free(davxml_parse_error(body, size, MAX_LEN));

  char *header = g_strndup(body, MIN(size, 4096));
  (void)davxml_header_has(header, "calendar-auto-schedule");
  g_free(header);
  return 0;
}
