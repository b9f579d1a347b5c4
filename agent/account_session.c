/* account_session: see account_session.h. */
#include "account_session.h"

#include "oauth.h"
#include "secret.h"


void account_session_free(AccountSession *a) {
  if (!a)
    return;
  g_mutex_clear(&a->gate);
  g_free(a->refused);
  g_free(a->unreachable);
  secret_free(a->secret);
  g_free(a);
}

static gboolean apply_oauth(Http *http, const Account *account, GError **error) {
  char *token = oauth_access_token(account, http, g_get_real_time() / G_USEC_PER_SEC, error);
  if (!token)
    return FALSE;
  http_set_auth(http, HTTP_AUTH_BEARER, NULL, token);
  secret_free(token);
  return TRUE;
}

/* CaldavReauth for OAuth2 accounts: one fresh access token after a 401. */
static gboolean reauth_oauth(Http *http, gpointer data, GError **error) {
  const AccountSession *a = data;
  if (!oauth_invalidate(a->account, error))
    return FALSE;
  return apply_oauth(http, a->account, error);
}

Http *account_session_http(const AccountSession *a, GError **error) {
  HttpOptions opts = {.ca_file = a->account->ca_file, .verbose = a->verbose};
  g_autoptr(Http) http = http_new(&opts);
  http_limit_auth(http, a->account->url);
  switch (a->account->auth) {
  case ACCOUNT_AUTH_OAUTH2:
    if (!apply_oauth(http, a->account, error))
      return NULL;
    break;
  case ACCOUNT_AUTH_BASIC:
  case ACCOUNT_AUTH_DIGEST:
    http_set_auth(http, a->account->auth == ACCOUNT_AUTH_DIGEST ? HTTP_AUTH_DIGEST : HTTP_AUTH_BASIC,
                  a->account->username, a->secret);
    break;
  case ACCOUNT_AUTH_NONE:
    break;
  }
  return g_steal_pointer(&http);
}

CaldavClient account_session_client(Http *http, AccountSession *a) {
  CaldavClient client = {.http = http};
  if (a->account->auth == ACCOUNT_AUTH_OAUTH2) {
    client.reauth = reauth_oauth;
    client.reauth_data = a;
  }
  return client;
}

/* Secrets are asked for once per account and run. */
AccountSession *account_session_new(const Account *account, FILE *verbose, GError **error) {
  AccountSession *a = g_new0(AccountSession, 1);
  g_mutex_init(&a->gate);
  a->account = account;
  a->verbose = verbose;
  if ((account->auth == ACCOUNT_AUTH_BASIC || account->auth == ACCOUNT_AUTH_DIGEST) &&
      (account->password_command || account->password)) {
    a->secret = account_secret(account, error);
    if (!a->secret) {
      account_session_free(a);
      return NULL;
    }
  }
  return a;
}

