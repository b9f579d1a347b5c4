/* confirmations: the refresh's step that decides who must be told what,
 * and queues the emails (the outbox, see store.h) in the refresh's
 * transaction.
 *
 * Only calendars marked `confirm = yes` whose last sync was complete take
 * part.  For each appointment there the owner organises, the material
 * fingerprint (core/confirm) is compared with the one stored: equal means
 * nothing to say, whatever the server did to the text.  A calendar's first
 * look is its baseline: what is already there is recorded as known, with
 * no email.  Messages are built when queued (Message-ID, thread, text,
 * iCalendar part) so that every retry sends the same bytes.
 */
#pragma once

#include <glib.h>

#include "accounts.h"
#include "confirm.h"
#include "store.h"

typedef struct {
  Store *store;
  const DiarydConfig *cfg;
  const char *const *owners; /* lower case, NULL-terminated */
  Zones *zones;
  Zone *tz;
  gint64 now;
  GHashTable *conflicts; /* uid → what it clashes with (char*): its confirmations are held */
  GHashTable *news;      /* uids the journal reports as changed after their calendar's baseline (set) */
} ConfirmRun;

typedef struct {
  guint queued, held, released, blocked, baseline;
} ConfirmCounts;

/* Runs inside the caller's transaction.  FALSE only for a store error;
 * problems with one appointment are logged and the rest go on. */
gboolean confirmations_refresh(const ConfirmRun *run, ConfirmCounts *counts, GError **error);

/* The envelope sender and the owner's display name: [mail] from, else the
 * first owner address; NULL when there is none (confirmations are off). */
const char *confirmations_sender(const DiarydConfig *cfg, const char *const *owners, const char **name);

/* The template for a kind: the owner's file in the templates folder when
 * there is one, else the built-in one.  NULL with *error naming the file
 * and line when the owner's file does not parse. */
char *confirmations_template_text(const DiarydConfig *cfg, ConfirmKind kind, char **path, GError **error);

/* An alert for the owner about mail (kind "mail"), shown by the agent; a
 * store that cannot take it is logged. */
void confirmations_alert(Store *store, const char *summary, const char *body, gint64 now);
