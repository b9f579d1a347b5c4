/* libFuzzer target: a server's reply -> davxml_parse_multistatus and
 * davxml_parse_error (and, as a header value, davxml_header_has).  Any
 * crash, sanitizer report, hang or leak is a bug. */
#include <stdint.h>
#include <string.h>

#include "davxml.h"

#define MAX_LEN (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  DavMultistatus *ms = NULL;
  char *detail = NULL;
  if (davxml_parse_multistatus(body, size, MAX_LEN, &ms, &detail) == DAVXML_OK) {
    /* Touch every string so a dangling one shows up here. */
    gsize total = ms->sync_token ? strlen(ms->sync_token) : 0;
    for (guint i = 0; i < ms->responses->len; i++) {
      const DavResponse *r = g_ptr_array_index(ms->responses, i);
      total += strlen(r->href);
      const char *fields[] = {r->etag, r->calendar_data, r->displayname, r->color, r->ctag, r->sync_token,
                              r->current_user_principal};
      for (gsize f = 0; f < G_N_ELEMENTS(fields); f++)
        total += fields[f] ? strlen(fields[f]) : 0;
      for (guint k = 0; k < r->calendar_home_set->len; k++)
        total += strlen(g_ptr_array_index(r->calendar_home_set, k));
    }
    (void)total;
    dav_multistatus_free(ms);
  }
  g_free(detail);
  g_free(davxml_parse_error(body, size, MAX_LEN));

  char *header = g_strndup(body, MIN(size, 4096));
  (void)davxml_header_has(header, "calendar-auto-schedule");
  g_free(header);
  return 0;
}
