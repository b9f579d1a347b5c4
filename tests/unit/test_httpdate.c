/* Unit tests for core/httpdate: HTTP-dates in their three forms and the
 * Retry-After header, as servers send them and as a hostile one might. */
#include <glib.h>
#include <string.h>

#include "httpdate.h"
#include "testutil.h"

#define NOW ((gint64)1796544000) /* 2026-12-06T08:00:00Z, a Sunday */
#define BAD (-1)

static const struct {
  const char *text;
  gint64 instant; /* BAD: refused */
} date_rows[] = {
    /* RFC 9110's own examples, one instant in three forms. */
    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
    {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
    {"Sun Nov  6 08:49:37 1994", 784111777},
    {"Sun Nov 6 08:49:37 1994", 784111777},
    {"sun, 06 nov 1994 08:49:37 gmt", 784111777},
    {"  Sun, 06 Nov 1994 08:49:37 GMT  ", 784111777},
    {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777}, /* the weekday is not checked against the date */
    {"Sun, 6 Nov 1994 08:49:37 GMT", 784111777},
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"Fri, 31 Dec 9999 23:59:59 GMT", G_GINT64_CONSTANT(253402300799)},
    {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228799}, /* a leap second: the second before */
    {"Tue, 29 Feb 2028 10:00:00 GMT", 1835431200},
    /* Two-digit years: at most 50 years ahead of 2026. */
    {"Monday, 01-Jan-76 00:00:00 GMT", 3345062400}, /* 2076 */
    {"Wednesday, 01-Jan-77 00:00:00 GMT", 220924800}, /* 1977 */
    {"Sunday, 06-Nov-1994 08:49:37 GMT", 784111777},
    /* Refused. */
    {"", BAD},
    {"GMT", BAD},
    {"Sun, 06 Nov 1994 08:49:37", BAD},
    {"Sun, 06 Nov 1994 08:49:37 UTC", BAD},
    {"Sun, 06 Nov 1994 08:49:37 +0000", BAD},
    {"Sun, 06 Nov 1994 08:49:37 GMTx", BAD},
    {"Sun, 06 Nov 1994 08:49:37 GMT x", BAD},
    {"06 Nov 1994 08:49:37 GMT", BAD},
    {"Sux, 06 Nov 1994 08:49:37 GMT", BAD},
    {"Sun, 06 Nox 1994 08:49:37 GMT", BAD},
    {"Sun, 31 Nov 1994 08:49:37 GMT", BAD},
    {"Sun, 29 Feb 2027 08:49:37 GMT", BAD},
    {"Sun, 00 Nov 1994 08:49:37 GMT", BAD},
    {"Sun, 06 Nov 1994 24:00:00 GMT", BAD},
    {"Sun, 06 Nov 1994 08:60:00 GMT", BAD},
    {"Sun, 06 Nov 1994 08:49:61 GMT", BAD},
    {"Sun, 06 Nov 1994 8:49:37 GMT", BAD},
    {"Sun, 06 Nov 94 08:49:37 GMT", BAD},
    {"Sun, 06 Nov 19940 08:49:37 GMT", BAD},
    {"Sun, 006 Nov 1994 08:49:37 GMT", BAD},
    {"Thu, 31 Dec 1969 23:59:59 GMT", BAD},
    {"Sun Nov  6 08:49:37 94", BAD},
    {"Sun Nov  6 08:49:37", BAD},
    {"Sun, 06-Nov-94", BAD},
    {"Sunday, 06-Nov-9 08:49:37 GMT", BAD},
};

static void test_dates(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(date_rows); i++) {
    gint64 got = -777;
    gboolean ok = httpdate_parse(date_rows[i].text, NOW, &got);
    if (date_rows[i].instant == BAD)
      EXPECT(!ok && got == -777, "\"%s\" accepted as %" G_GINT64_FORMAT, date_rows[i].text, got);
    else
      EXPECT(ok && got == date_rows[i].instant, "\"%s\": %s %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
             date_rows[i].text, ok ? "got" : "refused", got, date_rows[i].instant);
  }
  gint64 t = -777;
  g_assert_false(httpdate_parse(NULL, NOW, &t));
  g_assert_cmpint(t, ==, -777);
}

static const struct {
  const char *text;
  gint64 seconds;
} retry_rows[] = {
    {"120", 120},
    {"  120\t", 120},
    {"1", 1},
    {"0", 1}, /* never a wait of nothing: a retry loop could spin */
    {"21600", 21600},
    {"21601", 21600},
    {"99999999999999999999999999999999", 21600}, /* no overflow: the maximum */
    {"00000000000000000000000000000120", 120},
    {"Sun, 06 Dec 2026 08:02:00 GMT", 120},
    {"Sun Dec  6 08:02:00 2026", 120},
    {"Sunday, 06-Dec-26 08:02:00 GMT", 120},
    {"Sun, 06 Dec 2026 07:00:00 GMT", 1},  /* past */
    {"Thu, 01 Jan 1970 00:00:00 GMT", 1},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 21600},
    {"", BAD},
    {"   ", BAD},
    {"-5", BAD},
    {"+5", BAD},
    {"5s", BAD},
    {"5 5", BAD},
    {"1.5", BAD},
    {"0x10", BAD},
    {"tomorrow", BAD},
    {"120\r\nX-Injected: 1", BAD},
};

static void test_retry_after(void) {
  for (gsize i = 0; i < G_N_ELEMENTS(retry_rows); i++) {
    gint64 got = http_parse_retry_after(retry_rows[i].text, NOW);
    EXPECT(got == retry_rows[i].seconds, "Retry-After \"%s\": %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
           retry_rows[i].text, got, retry_rows[i].seconds);
  }
  g_assert_cmpint(http_parse_retry_after(NULL, NOW), ==, -1);
}

/* `now` is the caller's clock and may be anything: no overflow in the
 * subtraction, and the clamp holds. */
static void test_retry_after_clock(void) {
  const char *date = "Fri, 31 Dec 9999 23:59:59 GMT";
  g_assert_cmpint(http_parse_retry_after(date, G_MININT64), ==, RETRY_AFTER_MAX);
  g_assert_cmpint(http_parse_retry_after(date, G_MAXINT64), ==, RETRY_AFTER_MIN);
  g_assert_cmpint(http_parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", G_MININT64), ==, RETRY_AFTER_MAX);
  g_assert_cmpint(http_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", G_MININT64), ==, RETRY_AFTER_MAX);
  g_assert_cmpint(http_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", G_MAXINT64), ==, RETRY_AFTER_MIN);
  g_assert_cmpint(http_parse_retry_after("60", G_MININT64), ==, 60);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_set_nonfatal_assertions();
  g_test_add_func("/httpdate/dates", test_dates);
  g_test_add_func("/httpdate/retry-after", test_retry_after);
  g_test_add_func("/httpdate/retry-after-clock", test_retry_after_clock);
  return g_test_run();
}
