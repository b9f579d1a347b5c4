/* faultinject: an LD_PRELOAD shim that makes writes and syncs fail, for the
 * disk-fault tests (tests/integration/store_faults.t builds it with
 *   cc -shared -fPIC -o faultinject.so tests/tools/faultinject.c -ldl
 * and runs diaryd under it).
 *
 * SQLite's unix VFS calls pwrite64, write, fdatasync and fsync (through
 * its table of system calls, which takes their addresses, so interposing
 * the symbols reaches it); the other paths of diaryd use write and pwrite.
 * Each intercepted call on a descriptor whose path (readlink of
 * /proc/self/fd/N) contains FAULT_PATH counts; once FAULT_AFTER such calls
 * have gone through, the following ones fail with FAULT_ERRNO.
 *
 *   FAULT_PATH   substring of the file's path (required: nothing fails without it)
 *   FAULT_OPS    comma-separated: write, pwrite (pwrite and pwrite64), fsync,
 *                fdatasync (default: all four)
 *   FAULT_ERRNO  ENOSPC (default) or EIO
 *   FAULT_AFTER  calls that succeed before the failures start (default 0)
 *   FAULT_LOG    a file that gets one line per failure injected, so a test can
 *                prove that the fault fired
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { OP_WRITE = 1, OP_PWRITE = 2, OP_FSYNC = 4, OP_FDATASYNC = 8 };

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);

static long seen; /* matching calls so far (atomic) */

static int wanted(int op) {
  const char *ops = getenv("FAULT_OPS");
  if (!ops || !*ops)
    return 1;
  const char *name = op == OP_WRITE ? "write" : op == OP_PWRITE ? "pwrite" : op == OP_FSYNC ? "fsync" : "fdatasync";
  size_t len = strlen(name);
  for (const char *p = ops; *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && !strncmp(p, name, len))
      return 1;
    p += n + (end ? 1 : 0);
  }
  return 0;
}

/* The errno to fail this call with, or 0 to let it through.  errno is kept. */
static int fault(int fd, int op, const char *what) {
  const char *pattern = getenv("FAULT_PATH");
  if (!pattern || !*pattern || !wanted(op))
    return 0;
  int saved = errno;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  errno = saved;
  if (n <= 0)
    return 0;
  path[n] = '\0';
  if (!strstr(path, pattern))
    return 0;
  const char *after = getenv("FAULT_AFTER");
  long limit = after ? strtol(after, NULL, 10) : 0;
  if (__atomic_fetch_add(&seen, 1, __ATOMIC_SEQ_CST) < limit)
    return 0;
  const char *name = getenv("FAULT_ERRNO");
  int e = name && !strcmp(name, "EIO") ? EIO : ENOSPC;
  const char *log = getenv("FAULT_LOG");
  if (log && *log) {
    write_fn real_write = (write_fn)dlsym(RTLD_NEXT, "write");
    int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lfd >= 0) {
      char line[4200];
      int len = snprintf(line, sizeof line, "%s %s %s\n", what, e == EIO ? "EIO" : "ENOSPC", path);
      if (len > 0 && real_write)
        (void)!real_write(lfd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
      close(lfd);
    }
    errno = saved;
  }
  return e;
}

/* The next definition of `name` (libc's). */
static void *real(const char *name) {
  return dlsym(RTLD_NEXT, name);
}

ssize_t write(int fd, const void *buf, size_t count) {
  static write_fn next;
  if (!next)
    next = (write_fn)real("write");
  int e = fault(fd, OP_WRITE, "write");
  if (e) {
    errno = e;
    return -1;
  }
  return next(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off) {
  static pwrite_fn next;
  if (!next)
    next = (pwrite_fn)real("pwrite");
  int e = fault(fd, OP_PWRITE, "pwrite");
  if (e) {
    errno = e;
    return -1;
  }
  return next(fd, buf, count, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off) {
  static pwrite64_fn next;
  if (!next)
    next = (pwrite64_fn)real("pwrite64");
  int e = fault(fd, OP_PWRITE, "pwrite64");
  if (e) {
    errno = e;
    return -1;
  }
  return next(fd, buf, count, off);
}

int fsync(int fd) {
  static sync_fn next;
  if (!next)
    next = (sync_fn)real("fsync");
  int e = fault(fd, OP_FSYNC, "fsync");
  if (e) {
    errno = e;
    return -1;
  }
  return next(fd);
}

int fdatasync(int fd) {
  static sync_fn next;
  if (!next)
    next = (sync_fn)real("fdatasync");
  int e = fault(fd, OP_FDATASYNC, "fdatasync");
  if (e) {
    errno = e;
    return -1;
  }
  return next(fd);
}
