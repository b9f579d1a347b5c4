/* refresh: `diaryd refresh`, the check the agent runs after every change
 * (see refresh.c for what it writes, and when). */
#pragma once

#include <glib.h>

/* How far ahead a refresh lists reminders: the agent refreshes at least
 * every REFRESH_EVERY seconds, well inside it. */
#define REFRESH_REMINDER_AHEAD (48 * 3600)
#define REFRESH_EVERY (6 * 3600)

/* A reminder counts as on time up to this late (the agent was busy for a
 * moment); later ones were missed (it was down, or the machine asleep) and
 * are told as such, up to the [agent] `missed` setting. */
#define REFRESH_GRACE 15

int cmd_refresh(int argc, char **argv);
