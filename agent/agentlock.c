/* agentlock: see agentlock.h. */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "agentlock.h"

char *agent_lock_path(const char *db_path) { return g_strconcat(db_path, ".agent", NULL); }

static pid_t read_pid(int fd) {
  char buf[32] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  gint64 pid;
  if (n <= 0 || !g_ascii_string_to_signed(g_strstrip(buf), 10, 1, G_MAXINT32, &pid, NULL))
    return 0;
  return (pid_t)pid;
}

int agent_lock_take(const char *path, GError **error) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot open %s: %s", path, g_strerror(e));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e == EWOULDBLOCK) {
      pid_t pid = read_pid(fd);
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                  "another diaryd agent is running (pid %ld) on this store; stop it first (systemctl --user stop "
                  "diaryd)",
                  (long)pid);
    } else {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot lock %s: %s", path, g_strerror(e));
    }
    close(fd);
    return -1;
  }
  char buf[32];
  int len = g_snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot write %s: %s", path, g_strerror(e));
    close(fd);
    return -1;
  }
  return fd;
}

pid_t agent_lock_holder(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  pid_t pid = 0;
  /* A shared lock we can take means nobody holds the exclusive one. */
  if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
    pid = read_pid(fd);
  close(fd);
  return pid;
}

void agent_poke(const char *db_path, const char *what) {
  if (g_getenv("DIARYD_AGENT_CHILD"))
    return;
  g_autofree char *lock = agent_lock_path(db_path);
  pid_t pid = agent_lock_holder(lock);
  if (pid > 0 && kill(pid, SIGUSR1) == 0)
    fprintf(stderr, "diaryd: the agent (pid %ld) %s\n", (long)pid, what);
}
