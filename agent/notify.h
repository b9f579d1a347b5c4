/* notify: desktop notifications through libnotify, for the agent.
 *
 * One Notifier per agent.  It asks the notification server what it can do
 * (GetCapabilities) when it first shows something and again after a
 * failure, so a server that restarts, or one that appears after the agent
 * started, is picked up; with no server at all nothing blocks and
 * notifier_show() fails with a message the caller logs.
 *
 * Text is untrusted (calendar data): notifier_show() makes it valid UTF-8,
 * removes control characters (line feeds in the body excepted), caps its
 * length, escapes the body when the server renders markup ("body-markup")
 * and never marks up the summary.
 *
 * Actions (Snooze, Dismiss, Open) are offered only when the server has the
 * "actions" capability; when the owner picks one, `on_action` is called from
 * the main loop with the notification's tag and the action's id.
 */
#pragma once

#include <glib.h>

#include "store.h"

typedef struct Notifier Notifier;

typedef void (*NotifierActionFunc)(const char *tag, const char *action, gpointer data);

Notifier *notifier_new(const char *app_name, NotifierActionFunc on_action, gpointer data);
void notifier_free(Notifier *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Notifier, notifier_free)

typedef struct {
  const char *id;    /* handed back to on_action */
  const char *label; /* shown */
} NotifierAction;

/* Shows a notification.  `tag` (may be NULL) names it for actions and for
 * replacing: while one with actions (or a resident one) shows, showing
 * another with the same tag replaces it.
 * `actions` (n_actions of them) are left out when the server cannot show
 * them.  `resident`: stays until the owner acts on it (reminders).  FALSE
 * with an error (G_IO_ERROR) when no server took it. */
gboolean notifier_show(Notifier *n, const char *tag, const char *summary, const char *body, AlertUrgency urgency,
                       const NotifierAction *actions, guint n_actions, gboolean resident, GError **error);

/* Closes the notification with this tag, if it is showing. */
void notifier_close(Notifier *n, const char *tag);
