/* agentlock: one agent per store.
 *
 * The agent holds an exclusive flock(2) on "<store>.agent" for as long as
 * it runs, with its pid written in the file.  The kernel drops the lock when
 * the process dies, however it dies, so a stale file never blocks a start. */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* "<db_path>.agent". */
char *agent_lock_path(const char *db_path);

/* Takes the lock (the descriptor stays open until the process exits) and
 * writes our pid.  -1 with a G_IO_ERROR when another agent holds it
 * (G_IO_ERROR_BUSY, naming its pid) or the file cannot be opened. */
int agent_lock_take(const char *path, GError **error);

/* The pid of the agent holding the lock, or 0 when none runs. */
pid_t agent_lock_holder(const char *path);

/* Tells a running agent of this store to look now (SIGUSR1: sync, check,
 * deliver), printing "diaryd: the agent (pid N) WHAT" on stderr.  Nothing
 * from a child of the agent itself (DIARYD_AGENT_CHILD). */
void agent_poke(const char *db_path, const char *what);
