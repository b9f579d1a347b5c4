/* agentlog: see agentlog.h. */
#include <stdio.h>

#include "agentlog.h"
#include "report.h"

void agent_log(AgentLogLevel level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *raw = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_autofree char *line = report_clean_line(raw);
  if (g_getenv("JOURNAL_STREAM"))
    fprintf(stderr, "<%d>%s\n", (int)level, line);
  else
    fprintf(stderr, "diaryd: %s%s\n", level <= ALOG_WARNING ? "warning: " : "", line);
  fflush(stderr);
}
