/* oauth: OAuth 2.0 for CalDAV accounts that need it (Google).
 *
 * `diaryd auth ACCOUNT` runs the installed-app flow: a loopback redirect
 * (RFC 8252 §7.3, http://127.0.0.1:PORT/ on a port chosen by the system)
 * with PKCE (RFC 7636, S256) and a random `state`.  It prints the URL to
 * open, waits for the browser's redirect, checks `state`, and trades the
 * code for tokens at the token endpoint.
 *
 * Tokens live in $XDG_STATE_HOME/diaryd/oauth/ACCOUNT.json, mode 0600,
 * written atomically (temporary file, fsync, rename): the refresh token,
 * and the access token with its expiry so that consecutive commands reuse
 * it.  oauth_access_token() refreshes it 60 s before it expires.  A refused
 * refresh (invalid_grant) is reported as OAUTH_ERROR_REAUTHORISE: the user
 * must run `diaryd auth ACCOUNT` again.  Tokens never appear in messages.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

#include "accounts.h"
#include "http.h"

#define OAUTH_ERROR (oauth_error_quark())
GQuark oauth_error_quark(void);
typedef enum {
  OAUTH_ERROR_NOT_AUTHORISED, /* no token file yet: run `diaryd auth ACCOUNT` */
  OAUTH_ERROR_REAUTHORISE,    /* the refresh token was refused */
  OAUTH_ERROR_SERVER,         /* the token endpoint failed or answered nonsense */
  OAUTH_ERROR_DENIED,         /* the user refused, or state did not match */
  OAUTH_ERROR_IO,             /* the token file could not be read or written */
  OAUTH_ERROR_TIMED_OUT,      /* oauth_authorize(): no answer from the browser in time */
} OAuthError;

/* Google's endpoints and scope, the defaults: OAUTH_GOOGLE_* in accounts.h. */

/* $XDG_STATE_HOME/diaryd/oauth/ACCOUNT.json */
char *oauth_token_path(const Account *account);

/* A valid access token for the account, refreshed through `http` when it
 * expires within 60 s of `now`.  Concurrent callers (threads or processes)
 * refresh once: the others wait and reuse the result.
 * Errors: NOT_AUTHORISED (no token file), REAUTHORISE (refresh refused, or
 * the tokens came from another token_url), SERVER (HTTP status, `error`
 * code, or a transport failure), IO (unreadable, damaged, or readable by
 * group or others). */
char *oauth_access_token(const Account *account, Http *http, gint64 now, GError **error);

/* Forget the cached access token (after a 401), keeping the refresh token.
 * TRUE when there is no token file.  Errors: IO. */
gboolean oauth_invalidate(const Account *account, GError **error);

/* The interactive flow.  Prints the URL (and what to do) on `out`, waits
 * up to `timeout_s` for the redirect, stores the tokens.
 * Errors: DENIED (refused in the browser, or `state` did not match),
 * TIMED_OUT, SERVER (the code exchange failed), REAUTHORISE (the code was
 * refused), IO (listening socket, `out`, token file). */
gboolean oauth_authorize(const Account *account, Http *http, FILE *out, guint timeout_s, GError **error);
