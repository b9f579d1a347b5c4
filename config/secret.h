/* secret: freeing strings that held a password or a token.
 *
 * The bytes are wiped before the memory goes back to the allocator, so a
 * secret does not linger in freed heap (core dumps, later allocations).
 * NULL is fine. */
#pragma once

#include <glib.h>
#include <string.h>

static inline void secret_free(char *secret) {
  if (secret) {
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
  }
}
