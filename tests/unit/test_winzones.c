/* Unit tests for zones_windows_to_iana() (core/winzones.c). */
#include "zones.h"

#include <glib.h>
#include <string.h>

static void
check(const char *windows, const char *expected)
{
    const char *got = zones_windows_to_iana(windows);
    g_assert_cmpstr(got, ==, expected);
}

static void
test_standard_names(void)
{
    check("W. Europe Standard Time", "Europe/Berlin");
    check("Eastern Standard Time", "America/New_York");
    check("Pacific Standard Time", "America/Los_Angeles");
    check("Pacific Standard Time (Mexico)", "America/Tijuana");
    check("GMT Standard Time", "Europe/London");
    check("Greenwich Standard Time", "Atlantic/Reykjavik");
    check("Romance Standard Time", "Europe/Paris");
    check("Central European Standard Time", "Europe/Warsaw");
    check("Central Europe Standard Time", "Europe/Budapest");
    check("India Standard Time", "Asia/Calcutta");
    check("AUS Eastern Standard Time", "Australia/Sydney");
    check("Aus Central W. Standard Time", "Australia/Eucla");
    check("Lord Howe Standard Time", "Australia/Lord_Howe");
    check("Tokyo Standard Time", "Asia/Tokyo");
    check("UTC", "Etc/UTC");
    check("UTC-11", "Etc/GMT+11");
    check("UTC+12", "Etc/GMT-12");
    check("Russia Time Zone 10", "Asia/Srednekolymsk");
}

/* bsearch only works on a sorted table: names spread over the whole
 * alphabet (and the table's first and last entries) must all be found.
 * In builds with assertions the lookup also checks the order itself. */
static void
test_alphabet_spread(void)
{
    check("(UTC) Coordinated Universal Time", "Etc/UTC");       /* first */
    check("(UTC-10:00) Hawaii", "Pacific/Honolulu");
    check("Afghanistan Standard Time", "Asia/Kabul");
    check("Aleutian Standard Time", "America/Adak");
    check("Bahia Standard Time", "America/Bahia");
    check("Dateline Standard Time", "Etc/GMT+12");
    check("E. South America Standard Time", "America/Sao_Paulo");
    check("Line Islands Standard Time", "Pacific/Kiritimati");
    check("Myanmar Standard Time", "Asia/Rangoon");
    check("SA Western Standard Time", "America/La_Paz");
    check("Turks And Caicos Standard Time", "America/Grand_Turk");
    check("US Eastern Standard Time", "America/Indianapolis");
    check("West Pacific Standard Time", "Pacific/Port_Moresby");
    check("Yukon Standard Time", "America/Whitehorse");                /* last */
}

static void
test_display_names(void)
{
    check("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin");
    check("(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", "Europe/Paris");
    check("(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "Europe/London");
    check("(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London");
    check("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York");
    check("(UTC-08:00) Pacific Time (US & Canada)", "America/Los_Angeles");
    check("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Calcutta");
    check("(UTC+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney");
    check("(UTC+09:00) Osaka, Sapporo, Tokyo", "Asia/Tokyo");
    check("(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", "Asia/Shanghai");
    check("(UTC-03:00) Brasilia", "America/Sao_Paulo");
    check("(UTC+02:00) Harare, Pretoria", "Africa/Johannesburg");
    check("(UTC) Coordinated Universal Time", "Etc/UTC");
    /* Outlook 2003 wrote "GMT" where later versions write "UTC". */
    check("(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin");
    check("(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London", "Europe/London");
}

static void
test_normalisation(void)
{
    check("w. europe standard time", "Europe/Berlin");
    check("EASTERN STANDARD TIME", "America/New_York");
    check("utc", "Etc/UTC");
    check("  Tokyo Standard Time\t\r\n", "Asia/Tokyo");
    check("\"W. Europe Standard Time\"", "Europe/Berlin");
    check("  \" India Standard Time \"  ", "Asia/Calcutta");
    check("\"(utc+01:00) amsterdam, berlin, bern, rome, stockholm, vienna\"", "Europe/Berlin");
}

static void
test_unknown(void)
{
    check(NULL, NULL);
    check("", NULL);
    check("   ", NULL);
    check("\"\"", NULL);
    check("\"", NULL);
    check("Europe/Berlin", NULL);
    check("Mars Standard Time", NULL);
    check("W. Europe Standard", NULL);
    check("W. Europe Standard Time 1", NULL);
    check("(UTC+01:00) Amsterdam", NULL);
    check("(GMT", NULL);

    /* Longer than the 127-byte limit, even though it starts with a known
     * name. */
    char *longname = g_strnfill(200, ' ');
    memcpy(longname, "UTC", 3);
    memset(longname + 100, 'x', 100);
    check(longname, NULL);
    g_free(longname);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/winzones/standard-names", test_standard_names);
    g_test_add_func("/winzones/alphabet-spread", test_alphabet_spread);
    g_test_add_func("/winzones/display-names", test_display_names);
    g_test_add_func("/winzones/normalisation", test_normalisation);
    g_test_add_func("/winzones/unknown", test_unknown);
    return g_test_run();
}
