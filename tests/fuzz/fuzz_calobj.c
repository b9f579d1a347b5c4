/* libFuzzer target: calendar object text -> calobj_scan, and calobj_diff.
 * The input is one object, or two versions of one separated by a line
 * "=====" (old, then new), which are diffed.  Any crash, sanitizer report,
 * hang or leak is a bug, and so is a broken invariant: props sorted with
 * one per name, the master first and overrides in order, an object equal
 * to itself, a diff in (recurrence_id) order with the fields of each
 * modification named. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                               \
  do {                                                                                                            \
    if (!(cond))                                                                                                  \
      abort();                                                                                                    \
  } while (0)

static int rid_cmp(const char *a, const char *b) {
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

static void check_object(const CalObject *obj) {
  CHECK(obj->uid && *obj->uid);
  CHECK(obj->components->len > 0 && obj->components->len <= CALOBJ_MAX_COMPONENTS);
  for (guint i = 0; i < obj->components->len; i++) {
    const CalComponent *c = g_ptr_array_index(obj->components, i);
    CHECK(c->kind && c->props && c->line > 0);
    if (i > 0) {
      const CalComponent *prev = g_ptr_array_index(obj->components, i - 1);
      CHECK(rid_cmp(prev->recurrence_id, c->recurrence_id) < 0);
    }
    for (guint k = 0; k < c->props->len; k++) {
      const CalProp *p = &g_array_index(c->props, CalProp, k);
      CHECK(p->name && *p->name);
      CHECK(strcmp(p->name, "DTSTAMP") != 0 && strcmp(p->name, "LAST-MODIFIED") != 0);
      if (k > 0)
        CHECK(strcmp(g_array_index(c->props, CalProp, k - 1).name, p->name) < 0);
    }
  }
  GPtrArray *same = calobj_diff(obj, obj);
  CHECK(same->len == 0);
  g_ptr_array_unref(same);
  GPtrArray *added = calobj_diff(NULL, obj);
  CHECK(added->len == obj->components->len);
  for (guint i = 0; i < added->len; i++)
    CHECK(((const CalChange *)g_ptr_array_index(added, i))->kind == CHANGE_ADDED);
  g_ptr_array_unref(added);
}

static CalObject *scan(const char *text, size_t len) {
  CalObject *obj = NULL;
  char *detail = NULL;
  CalObjError err = calobj_scan(text, len, &obj, &detail);
  if (err != CALOBJ_OK) {
    CHECK(obj == NULL && detail && g_str_has_prefix(detail, "line ") && g_utf8_validate(detail, -1, NULL));
    g_free(detail);
    return NULL;
  }
  CHECK(obj && !detail);
  check_object(obj);
  /* The same text gives the same hashes. */
  CalObject *again = NULL;
  CHECK(calobj_scan(text, len, &again, NULL) == CALOBJ_OK);
  CHECK(again->components->len == obj->components->len);
  for (guint i = 0; i < obj->components->len; i++)
    CHECK(((const CalComponent *)g_ptr_array_index(obj->components, i))->hash ==
          ((const CalComponent *)g_ptr_array_index(again->components, i))->hash);
  calobj_free(again);
  return obj;
}

static void check_diff(const CalObject *old, const CalObject *new) {
  GPtrArray *changes = calobj_diff(old, new);
  gboolean same_uid = old && new && strcmp(old->uid, new->uid) == 0;
  for (guint i = 0; i < changes->len; i++) {
    const CalChange *c = g_ptr_array_index(changes, i);
    CHECK(c->uid);
    CHECK(strcmp(calchange_kind_name(c->kind), "unknown") != 0);
    CHECK((c->kind == CHANGE_MODIFIED) == (c->fields != NULL));
    if (c->kind == CHANGE_MODIFIED)
      CHECK(*c->fields);
    if (same_uid && i > 0)
      CHECK(rid_cmp(((const CalChange *)g_ptr_array_index(changes, i - 1))->recurrence_id, c->recurrence_id) < 0);
  }
  g_ptr_array_unref(changes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  static const char sep[] = "\n=====\n";
  const char *mid = size >= sizeof(sep) - 1 ? memmem(text, size, sep, sizeof(sep) - 1) : NULL;
  if (!mid) {
    CalObject *obj = scan(text, size);
    check_diff(obj, NULL);
    calobj_free(obj);
    return 0;
  }
  size_t first = (size_t)(mid - text) + 1;
  size_t second_off = first + sizeof(sep) - 2;
  CalObject *old = scan(text, first);
  CalObject *new = scan(text + second_off, size - second_off);
  check_diff(old, new);
  check_diff(new, old);
  calobj_free(old);
  calobj_free(new);
  return 0;
}
