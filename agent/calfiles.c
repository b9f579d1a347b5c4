/* calfiles: see calfiles.h. */
#include "calfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "poison.h"

#define MAX_DEPTH 16

typedef struct {
  gsize max_size;
  Zones *zones;
  GPtrArray *series;
  GPtrArray *diags;
  CalfilesStats *stats;
} Reader;

static void fail(Reader *r, const char *path, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail(Reader *r, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(r->diags, diagnostic_new(DIAG_ERROR, path, 0, NULL, "%s", msg));
  r->stats->files_failed++;
}

/* Reads a whole regular file of at most max_size bytes; the size is checked
 * on the open descriptor and again while reading, so a growing file or a
 * device cannot make us read without bound. */
static char *read_bounded(Reader *r, const char *path, gsize *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    fail(r, path, "cannot open: %s", g_strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(r, path, "not a regular file");
    close(fd);
    return NULL;
  }
  if ((guint64)st.st_size > r->max_size) {
    fail(r, path, "file too large (%.1f MB; the limit is %.0f MB, see --max-size)", st.st_size / 1048576.0,
         r->max_size / 1048576.0);
    close(fd);
    return NULL;
  }
  GString *buf = g_string_sized_new((gsize)st.st_size + 1);
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fail(r, path, "read error: %s", g_strerror(errno));
      close(fd);
      g_string_free(buf, TRUE);
      return NULL;
    }
    if (n == 0)
      break;
    if (buf->len + (gsize)n > r->max_size) {
      fail(r, path, "file too large (over %.0f MB, see --max-size)", r->max_size / 1048576.0);
      close(fd);
      g_string_free(buf, TRUE);
      return NULL;
    }
    g_string_append_len(buf, chunk, n);
  }
  close(fd);
  *len = buf->len;
  return g_string_free(buf, FALSE);
}

static void read_file(Reader *r, const char *path) {
  gsize len = 0;
  g_autofree char *text = read_bounded(r, path, &len);
  if (!text)
    return;
  if (poison_skip(path, text, len, r->diags)) {
    r->stats->files_read++; /* read, and left out on purpose */
    return;
  }
  guint before = r->diags->len;
  guint events = appointments_parse(text, len, path, r->zones, r->series, r->diags);
  r->stats->events += events;
  gboolean fatal = FALSE;
  for (guint i = before; i < r->diags->len; i++)
    fatal = fatal || (events == 0 && ((Diagnostic *)g_ptr_array_index(r->diags, i))->severity == DIAG_ERROR);
  if (fatal)
    r->stats->files_failed++;
  else
    r->stats->files_read++;
}

static gint compare_names(gconstpointer a, gconstpointer b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of .ics files found below `path`. */
static guint read_folder(Reader *r, const char *path, int depth) {
  if (depth > MAX_DEPTH) {
    fail(r, path, "folders nested too deep: skipped");
    return 0;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
  if (!dir) {
    fail(r, path, "cannot open folder: %s", error->message);
    return 0;
  }
  guint found = 0;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  for (const char *name; (name = g_dir_read_name(dir)) != NULL;)
    if (name[0] != '.')
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *child = g_build_filename(path, g_ptr_array_index(names, i), NULL);
    struct stat st;
    if (lstat(child, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      found += read_folder(r, child, depth + 1);
    } else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && g_str_has_suffix(child, ".ics") &&
               g_file_test(child, G_FILE_TEST_IS_REGULAR)) {
      read_file(r, child);
      found++;
    }
  }
  return found;
}

void calfiles_read(const char *const *paths, gsize max_size, Zones *zones, GPtrArray *series, GPtrArray *diags,
                   CalfilesStats *stats) {
  Reader r = {max_size ? max_size : CALFILES_DEFAULT_MAX_SIZE, zones, series, diags, stats};
  for (const char *const *p = paths; p && *p; p++) {
    if (g_file_test(*p, G_FILE_TEST_IS_DIR)) {
      if (read_folder(&r, *p, 0) == 0)
        fail(&r, *p, "no .ics files in this folder");
    }
    else if (g_file_test(*p, G_FILE_TEST_EXISTS))
      read_file(&r, *p);
    else
      fail(&r, *p, "no such file or folder");
  }
}
