/* outbox: what the delivery (`diaryd outbox send`, agent/cmd_outbox.c) and
 * the agent that runs it share. */
#pragma once

#include <glib.h>

/* `diaryd outbox send` stopped because no message can go until the owner
 * acts (credentials or TLS refused, a broken [mail] section): the agent
 * waits OUTBOX_PAUSE seconds, or a reload, before it runs it again. */
#define OUTBOX_EXIT_STOPPED 3
#define OUTBOX_PAUSE 3600

