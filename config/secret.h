/* secret: what a process that holds passwords and tokens does about them.
 *
 * secret_free(): the bytes are wiped before the memory goes back to the
 * allocator, so a secret does not linger in freed heap (core dumps, later
 * allocations).  NULL is fine.
 *
 * secret_protect_process(): no core file (RLIMIT_CORE 0, soft and hard, so
 * nothing this process starts can raise it either) and not dumpable
 * (PR_SET_DUMPABLE 0): other processes of the same user can neither attach
 * to it (gdb -p, strace -p) nor read its /proc/PID/environ, mem or fd links,
 * and the kernel writes no core even where RLIMIT_CORE is ignored (a
 * core_pattern pipe).  Debugging still works: gdb and valgrind start the
 * program themselves, and LeakSanitizer makes the process dumpable for its
 * stop-the-world while it checks.  exec resets the dumpable flag (the
 * limit stays), so each program that holds secrets calls this itself.
 * Best effort: a failure leaves things as they were and is not reported. */
#pragma once

#include <glib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static inline void secret_free(char *secret) {
  if (secret) {
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
  }
}

static inline void secret_protect_process(void) {
  const struct rlimit no_core = {0, 0};
  (void)setrlimit(RLIMIT_CORE, &no_core);
  (void)prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
}
