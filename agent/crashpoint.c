/* crashpoint: see crashpoint.h. */
#include "crashpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* Counts the step in `path`; TRUE when it is the n-th. */
static gboolean count_step(const char *path, guint64 n, const char *step) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    if (fd >= 0)
      close(fd);
    return FALSE;
  }
  char buf[32] = {0};
  ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
  guint64 count = got > 0 ? g_ascii_strtoull(buf, NULL, 10) + 1 : 1;
  int len = snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT "\n", count);
  gboolean ok = ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)len, 0) == len;
  g_autofree char *log_path = g_strconcat(path, ".log", NULL);
  FILE *log = fopen(log_path, "a");
  if (log) {
    fprintf(log, "%" G_GUINT64_FORMAT " %s %d\n", count, step, (int)getpid());
    fclose(log);
  }
  close(fd); /* and the lock with it */
  return ok && count == n;
}

void crashpoint(const char *step) {
  const char *named = g_getenv("DIARYD_TEST_CRASH");
  if (named && !g_strcmp0(named, step))
    raise(SIGKILL);
  const char *at = g_getenv("DIARYD_CRASH_AT"), *file = g_getenv("DIARYD_CRASH_COUNT");
  if (!at || !file)
    return;
  guint64 n = g_ascii_strtoull(at, NULL, 10);
  if (n == 0 || !count_step(file, n, step))
    return;
  if (g_getenv("DIARYD_AGENT_CHILD"))
    kill(getppid(), SIGKILL);
  raise(SIGKILL);
}
