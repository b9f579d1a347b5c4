/* account_session: one account's credentials for a run, and CalDAV
 * clients that use them (the sync and the booking commands share it).
 *
 * Secrets are asked for once per session (password_command runs once);
 * OAuth2 accounts get a bearer token, refreshed once after a 401. */
#pragma once

#include <stdio.h>

#include "accounts.h"
#include "caldav.h"
#include "http.h"

typedef struct {
  const Account *account; /* not owned */
  char *secret;           /* password, or NULL for oauth2/none */
  FILE *verbose;
  /* The first request with these credentials goes alone: when the server
   * refuses them, no other calendar of the account tries (servers lock
   * accounts after a few failures). */
  GMutex gate;
  gboolean verified;      /* a request was accepted */
  char *refused;          /* why the credentials were refused */
  char *unreachable;      /* why the server is not worth asking again in this run (a timeout, TLS) */
} AccountSession;

/* NULL with the password_command's error when the secret cannot be had. */
AccountSession *account_session_new(const Account *account, FILE *verbose, GError **error);
void account_session_free(AccountSession *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AccountSession, account_session_free)
/* An Http with the account's credentials, limited to its origin. */
Http *account_session_http(const AccountSession *a, GError **error);
CaldavClient account_session_client(Http *http, AccountSession *a);
