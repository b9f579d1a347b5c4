/* agentlog: one line per decision, for the journal or a terminal.
 *
 * Under systemd (JOURNAL_STREAM set) each line carries its syslog priority
 * as a "<N>" prefix, which journald reads; elsewhere lines read
 * "diaryd: message".  Text from outside (summaries, server messages) is
 * cleaned of control characters before it is written.  Never pass a
 * secret. */
#pragma once

#include <glib.h>

typedef enum { ALOG_ERROR = 3, ALOG_WARNING = 4, ALOG_NOTICE = 5, ALOG_INFO = 6, ALOG_DEBUG = 7 } AgentLogLevel;

void agent_log(AgentLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
