/* notify: desktop notifications through libnotify, for the agent.
 *
 * One Notifier per agent.  libnotify's calls are synchronous and a
 * notification server that hangs (stopped, swapping, restarting) would
 * hold the caller for D-Bus's 25 s per call, so the Notifier runs them on
 * a thread of its own, with its own GMainContext, which owns every libnotify
 * object.  notifier_show() and notifier_close() only hand work to that
 * thread and return at once: nothing here ever blocks the caller's loop.
 *
 * Before each batch of work the thread asks the server what it can do
 * (GetCapabilities, with a 5 s timeout), so a server that restarts, or one
 * that appears after the agent started, is picked up, and one that does
 * not answer is not sent anything:
 *   - no server (none on the bus, no bus at all): alerts are dropped (they
 *     are in the agent's log); reminders (`resident`, with a tag) are kept,
 *     for up to an hour, and shown when a server appears, with a note that
 *     they were held back;
 *   - a server that does not answer: everything waits (in order, at most
 *     64) and goes once it answers again;
 *   - a Notify that timed out may still be shown by the server when it
 *     wakes up, so it is never sent again (it is logged).
 * The start of an outage is logged once (agent_log, "not shown on the
 * desktop: ..."), and its end once, from the caller's main context.
 *
 * Text is untrusted (calendar data): notifier_show() makes it valid UTF-8,
 * removes control characters (line feeds in the body excepted) and the
 * bidirectional overrides, caps its length (120 characters of summary,
 * 1,500 of body), escapes the body when the server renders markup
 * ("body-markup") and never marks up the summary.
 *
 * Actions (Snooze, Dismiss, Open) are offered only when the server has the
 * "actions" capability; when the owner picks one, `on_action` is called
 * from the main context that was the thread-default one when the Notifier
 * was made, with the notification's tag and the action's id.
 */
#pragma once

#include <glib.h>

#include "store.h"

typedef struct Notifier Notifier;

typedef void (*NotifierActionFunc)(const char *tag, const char *action, gpointer data);

/* Starts the notification thread.  `on_action` and `data` are not owned. */
Notifier *notifier_new(const char *app_name, NotifierActionFunc on_action, gpointer data);
/* Stops the thread (waiting for it at most a second: one blocked on a hung
 * server is left to finish on its own); no callback runs after this. */
void notifier_free(Notifier *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Notifier, notifier_free)

typedef struct {
  const char *id;    /* handed back to on_action */
  const char *label; /* shown */
} NotifierAction;

/* Shows a notification, without waiting for the server (see above for
 * what happens when there is none, or it does not answer).  `tag` (may be
 * NULL) names it for actions and for replacing: while one with actions (or
 * a resident one) shows, showing another with the same tag replaces it; one
 * with the same tag still waiting to go is replaced before it goes.
 * `actions` (n_actions of them, copied) are left out when the server cannot
 * show them.  `resident`: stays until the owner acts on it (reminders).
 * TRUE when it was taken; FALSE with an error (G_IO_ERROR) when it was
 * refused: too much already waits for a server that does not answer, or
 * the notification thread could not be started. */
gboolean notifier_show(Notifier *n, const char *tag, const char *summary, const char *body, AlertUrgency urgency,
                       const NotifierAction *actions, guint n_actions, gboolean resident, GError **error);

/* Closes the notification with this tag, if it is showing, and forgets one
 * still waiting to be shown. */
void notifier_close(Notifier *n, const char *tag);
