/* httpdate: HTTP-dates (RFC 9110 §5.6.7) and the Retry-After header
 * (RFC 9110 §10.2.3), read from text a server sent.
 *
 * Pure: nothing here reads the clock; `now` (seconds since the epoch) comes
 * from the caller.  Every input is untrusted header text, of any length
 * and bytes; nothing is read past its terminating NUL.
 */
#pragma once

#include <glib.h>

/* The longest a server may make us wait, and the shortest wait we honour:
 * a "0" or a date already past still waits a second, so that a retry loop
 * cannot spin. */
#define RETRY_AFTER_MIN 1
#define RETRY_AFTER_MAX (6 * 3600)

/* An HTTP-date in any of the three forms a recipient must accept:
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime      "Sun Nov  6 08:49:37 1994"
 * Names (day, month, GMT) in any case; blanks around the text ignored; the
 * weekday is checked as a name but not against the date (senders get it
 * wrong, and it adds nothing).  A two-digit year is the most recent year
 * with those digits that is not more than 50 years after `now`'s year
 * (RFC 9110).  Years 1970 to 9999, a second of 60 read as 59 (RFC 9110
 * allows a leap second; an instant has none).  On success *instant is set
 * and TRUE returned; otherwise *instant is untouched. */
gboolean httpdate_parse(const char *text, gint64 now, gint64 *instant) G_GNUC_WARN_UNUSED_RESULT;

/* Retry-After as seconds from `now`: delta-seconds (digits, any number of
 * them: a huge value is the maximum) or an HTTP-date (httpdate_parse()),
 * with blanks around it.  The result is clamped to [RETRY_AFTER_MIN,
 * RETRY_AFTER_MAX]; -1 when `value` is NULL or unreadable. */
gint64 http_parse_retry_after(const char *value, gint64 now);
