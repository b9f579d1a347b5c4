/* poison: see poison.h. */
#include "poison.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appointment.h"

/* The mark file: a 32-bit payload length, then the payload
 * "SOURCE\tFINGERPRINT".  The writer clears the length, writes the payload,
 * then sets the length: a child killed in between leaves length 0, which
 * blames nothing. */
#define MARK_SIZE 4096
#define MARK_PAYLOAD 8
#define QUARANTINE_KEY "quarantine"

/* ---- fingerprints -------------------------------------------------------------------- */

char *poison_fingerprint(const char *content, gsize len) {
  guint64 h = 0xcbf29ce484222325ULL;
  for (gsize i = 0; i < len; i++) {
    h ^= (guchar)content[i];
    h *= 0x100000001b3ULL;
  }
  return g_strdup_printf("%" G_GSIZE_FORMAT "-%016" G_GINT64_MODIFIER "x", len, h);
}

/* ---- the agent's side -------------------------------------------------------------- */

guint poison_cpu_limit(void) {
  const char *env = g_getenv("DIARYD_CPU_LIMIT");
  if (env && *env) {
    char *end;
    guint64 v = g_ascii_strtoull(env, &end, 10);
    if (!*end && v >= 1 && v <= 3600)
      return (guint)v;
  }
  return POISON_CPU_LIMIT_S;
}

/* Read by the child setup, which may only make async-signal-safe calls:
 * set before each fork. */
static rlim_t child_cpu_limit = POISON_CPU_LIMIT_S;

void poison_child_setup(gpointer data) {
  (void)data;
  /* SIGXCPU at the soft limit, SIGKILL a few seconds later. */
  struct rlimit cpu = {child_cpu_limit, child_cpu_limit + 5};
  setrlimit(RLIMIT_CPU, &cpu);
#if !defined(__SANITIZE_ADDRESS__) /* ASan reserves terabytes of address space */
  struct rlimit as = {(rlim_t)POISON_MEMORY_LIMIT_MB << 20, (rlim_t)POISON_MEMORY_LIMIT_MB << 20};
  setrlimit(RLIMIT_AS, &as);
#endif
}

char *poison_mark_path(const char *db_path) { return g_strconcat(db_path, ".working", NULL); }

gboolean poison_mark_reset(const char *mark_path, GError **error) {
  child_cpu_limit = poison_cpu_limit();
  int fd = open(mark_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || ftruncate(fd, 0) != 0 || ftruncate(fd, MARK_SIZE) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", mark_path, g_strerror(e));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

/* The payload of the mark file, or NULL when it names nothing. */
static char *read_mark(const char *mark_path) {
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(mark_path, &text, &len, NULL) || len < MARK_PAYLOAD)
    return NULL;
  guint32 n;
  memcpy(&n, text, sizeof n);
  if (n == 0 || n > len - MARK_PAYLOAD || n > MARK_SIZE - MARK_PAYLOAD)
    return NULL;
  char *payload = g_strndup(text + MARK_PAYLOAD, n);
  if (strlen(payload) != n || !strchr(payload, '\t') || strchr(payload, '\n')) {
    g_free(payload);
    return NULL;
  }
  return payload;
}

char *poison_quarantine_marked(Store *store, const char *mark_path, const char *how, gint64 now, GError **error) {
  g_autofree char *payload = read_mark(mark_path);
  if (!payload)
    return NULL;
  char *tab = strchr(payload, '\t');
  *tab = '\0';
  const char *source = payload, *fingerprint = tab + 1;
  g_autofree char *old = store_value_get(store, QUARANTINE_KEY, NULL);
  /* The new line first; the object's older lines and the oldest beyond
   * the cap go. */
  g_autofree char *reason = g_strdup(how);
  g_strdelimit(reason, "\t\n\r", ' ');
  GString *list = g_string_new(NULL);
  g_string_append_printf(list, "%s\t%s\t%" G_GINT64_FORMAT "\t%s\n", source, fingerprint, now, reason);
  g_auto(GStrv) lines = g_strsplit(old ? old : "", "\n", -1);
  guint kept = 1;
  for (char **l = lines; *l && kept < POISON_MAX_QUARANTINED; l++) {
    const char *t = strchr(*l, '\t');
    if (!t || ((gsize)(t - *l) == strlen(source) && !strncmp(*l, source, strlen(source))))
      continue;
    g_string_append_printf(list, "%s\n", *l);
    kept++;
  }
  g_autofree char *value = g_string_free(list, FALSE);
  StoreAlert alert = {.created = now, .kind = "quarantine", .urgency = ALERT_NORMAL,
                      .summary = g_strdup("An appointment was set aside"),
                      .body = g_strdup_printf("%s: reading it %s. diaryd leaves it out until it changes; "
                                              "everything else is checked and reminded as before.",
                                              source, how)};
  gboolean ok = store_begin(store, error);
  if (ok) {
    if (store_value_set(store, QUARANTINE_KEY, value, error) && store_alert_add(store, &alert, error))
      ok = store_commit(store, error);
    else {
      store_rollback(store);
      ok = FALSE;
    }
  }
  g_free(alert.summary);
  g_free(alert.body);
  poison_mark_reset(mark_path, NULL);
  return ok ? g_strdup(source) : NULL;
}

/* ---- the reader's side ------------------------------------------------------------- */

typedef struct {
  char *fingerprint, *reason;
} Quarantined;

static void quarantined_free(gpointer p) {
  Quarantined *q = p;
  g_free(q->fingerprint);
  g_free(q->reason);
  g_free(q);
}

static struct {
  gboolean begun;
  GHashTable *quarantine;   /* SOURCE → Quarantined* */
  GHashTable *fingerprints; /* SOURCE → fingerprint, of objects read (with a mark only) */
  char *map;                /* the mark file, mapped; or NULL */
} reader;

static void load_quarantine(const char *db_path) {
  if (!db_path || !g_file_test(db_path, G_FILE_TEST_EXISTS))
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db_path, &error);
  g_autofree char *text = store ? store_value_get(store, QUARANTINE_KEY, NULL) : NULL;
  g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = g_strsplit(*l, "\t", 4);
    if (g_strv_length(f) != 4)
      continue;
    Quarantined *q = g_new0(Quarantined, 1);
    q->fingerprint = g_strdup(f[1]);
    q->reason = g_strdup(f[3]);
    g_hash_table_replace(reader.quarantine, g_strdup(f[0]), q);
  }
}

static void open_mark(void) {
  const char *path = g_getenv("DIARYD_WORKMARK");
  if (!path || !*path)
    return;
  int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size >= MARK_SIZE) {
    void *m = mmap(NULL, MARK_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED)
      reader.map = m;
  }
  close(fd);
  if (reader.map)
    reader.fingerprints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void poison_begin(const char *db_path) {
  if (reader.begun)
    return;
  reader.begun = TRUE;
  reader.quarantine = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, quarantined_free);
  load_quarantine(db_path);
  open_mark();
}

static void set_mark(const char *source, const char *fingerprint) {
  if (!reader.map)
    return;
  guint32 zero = 0;
  __atomic_store_n((guint32 *)reader.map, zero, __ATOMIC_SEQ_CST);
  gsize ls = strlen(source), lf = strlen(fingerprint);
  if (ls + 1 + lf > MARK_SIZE - MARK_PAYLOAD || strpbrk(source, "\t\n"))
    return; /* cannot be named: blames nothing */
  memcpy(reader.map + MARK_PAYLOAD, source, ls);
  reader.map[MARK_PAYLOAD + ls] = '\t';
  memcpy(reader.map + MARK_PAYLOAD + ls + 1, fingerprint, lf);
  __atomic_store_n((guint32 *)reader.map, (guint32)(ls + 1 + lf), __ATOMIC_SEQ_CST);
}

gboolean poison_skip(const char *source, const char *content, gsize len, GPtrArray *diags) {
  if (!reader.begun || !source)
    return FALSE;
  if (!reader.map && !g_hash_table_size(reader.quarantine))
    return FALSE; /* nothing to look up, nobody to tell: no hashing */
  g_autofree char *fingerprint = poison_fingerprint(content, len);
  const Quarantined *q = g_hash_table_lookup(reader.quarantine, source);
  if (q && !strcmp(q->fingerprint, fingerprint)) {
    if (diags)
      g_ptr_array_add(diags, diagnostic_new(DIAG_WARNING, source, 0, NULL,
                                            "left out: reading it %s (it is read again once it changes)",
                                            q->reason));
    return TRUE;
  }
  if (reader.map) {
    set_mark(source, fingerprint);
    g_hash_table_replace(reader.fingerprints, g_strdup(source), g_steal_pointer(&fingerprint));
  }
  return FALSE;
}

void poison_expanding(const char *source) {
  if (!reader.map || !source)
    return;
  const char *fingerprint = g_hash_table_lookup(reader.fingerprints, source);
  if (fingerprint)
    set_mark(source, fingerprint);
  else
    poison_done();
}

void poison_done(void) {
  if (reader.map)
    __atomic_store_n((guint32 *)reader.map, (guint32)0, __ATOMIC_SEQ_CST);
}
