/* notify: see notify.h.
 *
 * libnotify keeps one D-Bus proxy for the notification server; its calls
 * are synchronous but go to the session bus on this machine, and with no
 * server they fail at once (the name has no owner and is not activatable).
 * NotifyNotification objects with actions are kept until the server says
 * they closed: the action signal reaches us only while they are alive.
 */
#include <libnotify/notify.h>
#include <string.h>

#include "notify.h"

#define MAX_SUMMARY_CHARS 120
#define MAX_BODY_CHARS 1500

struct Notifier {
  NotifierActionFunc on_action;
  gpointer data;
  gboolean caps_known;
  gboolean actions;      /* the server offers actions */
  gboolean body_markup;  /* the server renders markup in bodies */
  GHashTable *showing;   /* tag → NotifyNotification* (a reference) */
};

typedef struct {
  Notifier *notifier;
  char *tag;
  char *action;
} ActionData;

static void action_data_free(gpointer p) {
  ActionData *d = p;
  g_free(d->tag);
  g_free(d->action);
  g_free(d);
}

/* libnotify warns on stderr when there is no server ("Failed to connect to
 * proxy"); notifier_show() reports that itself, once, with context. */
static void quiet_libnotify(const char *domain, GLogLevelFlags level, const char *message, gpointer data) {
  (void)domain;
  (void)level;
  (void)message;
  (void)data;
}

Notifier *notifier_new(const char *app_name, NotifierActionFunc on_action, gpointer data) {
  if (!notify_is_initted()) {
    g_log_set_handler("libnotify", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      quiet_libnotify, NULL);
    notify_init(app_name);
  }
  Notifier *n = g_new0(Notifier, 1);
  n->on_action = on_action;
  n->data = data;
  n->showing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
  return n;
}

void notifier_free(Notifier *n) {
  if (!n)
    return;
  /* Closing our notifications is the server's business; the objects go. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, n->showing);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_signal_handlers_disconnect_matched(value, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, n);
  g_hash_table_destroy(n->showing);
  g_free(n);
}

static void learn_caps(Notifier *n) {
  GList *caps = notify_get_server_caps();
  n->caps_known = caps != NULL;
  n->actions = n->body_markup = FALSE;
  for (GList *l = caps; l; l = l->next) {
    n->actions |= !strcmp(l->data, "actions");
    n->body_markup |= !strcmp(l->data, "body-markup");
  }
  g_list_free_full(caps, g_free);
}

/* Text made safe for a notification: valid UTF-8, no control characters
 * (but line feeds when `multiline`), at most `max_chars` characters (an
 * ellipsis marks a cut), and escaped for Pango markup when `markup`. */
static char *clean_text(const char *text, gboolean multiline, gboolean markup, glong max_chars) {
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  GString *out = g_string_new(NULL);
  glong chars = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    if (chars == max_chars) {
      g_string_append(out, "…");
      break;
    }
    gunichar c = g_utf8_get_char(p);
    if (c == '\n' && multiline)
      g_string_append_c(out, '\n');
    else if (c == '\t' || c == '\n' || c == '\r')
      g_string_append_c(out, ' ');
    else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
             (c >= 0x2066 && c <= 0x2069))
      continue; /* controls, and the bidirectional overrides that disguise text */
    else
      g_string_append_unichar(out, c);
    chars++;
  }
  g_autofree char *plain = g_string_free(out, FALSE);
  return markup ? g_markup_escape_text(plain, -1) : g_steal_pointer(&plain);
}

static void on_closed(NotifyNotification *nn, gpointer data) {
  Notifier *n = data;
  const char *tag = g_object_get_data(G_OBJECT(nn), "diaryd-tag");
  /* Only if it is still the one showing under that tag. */
  if (tag && g_hash_table_lookup(n->showing, tag) == nn)
    g_hash_table_remove(n->showing, tag);
}

static void on_action(NotifyNotification *nn, char *action, gpointer data) {
  (void)nn;
  (void)action;
  ActionData *d = data;
  /* The callback may show or close notifications: copy what it needs. */
  g_autofree char *tag = g_strdup(d->tag), *id = g_strdup(d->action);
  d->notifier->on_action(tag, id, d->notifier->data);
}

gboolean notifier_show(Notifier *n, const char *tag, const char *summary, const char *body, AlertUrgency urgency,
                       const NotifierAction *actions, guint n_actions, gboolean resident, GError **error) {
  if (!n->caps_known)
    learn_caps(n);
  g_autofree char *s = clean_text(summary, FALSE, FALSE, MAX_SUMMARY_CHARS);
  g_autofree char *b = clean_text(body, TRUE, n->body_markup, MAX_BODY_CHARS);
  NotifyNotification *nn = tag ? g_hash_table_lookup(n->showing, tag) : NULL;
  if (nn) {
    g_object_ref(nn);
    notify_notification_update(nn, s, b, NULL);
    notify_notification_clear_actions(nn);
  } else {
    nn = notify_notification_new(s, b, NULL);
  }
  static const NotifyUrgency urgencies[] = {NOTIFY_URGENCY_LOW, NOTIFY_URGENCY_NORMAL, NOTIFY_URGENCY_CRITICAL};
  notify_notification_set_urgency(nn, urgencies[CLAMP(urgency, ALERT_LOW, ALERT_CRITICAL)]);
  notify_notification_set_timeout(nn, resident ? NOTIFY_EXPIRES_NEVER : NOTIFY_EXPIRES_DEFAULT);
  notify_notification_set_category(nn, resident ? "x-diaryd.reminder" : "x-diaryd.alert");
  notify_notification_set_hint(nn, "desktop-entry", g_variant_new_string("diaryd"));
  if (n->actions && tag)
    for (guint i = 0; i < n_actions; i++) {
      ActionData *d = g_new0(ActionData, 1);
      d->notifier = n;
      d->tag = g_strdup(tag);
      d->action = g_strdup(actions[i].id);
      notify_notification_add_action(nn, actions[i].id, actions[i].label, on_action, d, action_data_free);
    }

  g_autoptr(GError) local = NULL;
  if (!notify_notification_show(nn, &local)) {
    /* The server may have gone, or restarted: ask again next time, and
     * forget what it showed (it will never say they closed). */
    n->caps_known = FALSE;
    g_hash_table_remove_all(n->showing);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "no notification server took it: %s",
                local ? local->message : "unknown error");
    g_object_unref(nn);
    return FALSE;
  }
  /* Kept while shown only when something may still come back for it (an
   * action) or replace it: plain alerts are fire and forget. */
  if (tag && (n_actions || resident) && !g_hash_table_contains(n->showing, tag)) {
    g_object_set_data_full(G_OBJECT(nn), "diaryd-tag", g_strdup(tag), g_free);
    g_signal_connect(nn, "closed", G_CALLBACK(on_closed), n);
    g_hash_table_insert(n->showing, g_strdup(tag), g_object_ref(nn));
  }
  g_object_unref(nn);
  return TRUE;
}

void notifier_close(Notifier *n, const char *tag) {
  NotifyNotification *nn = g_hash_table_lookup(n->showing, tag);
  if (nn)
    notify_notification_close(nn, NULL);
}
