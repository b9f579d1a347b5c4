/* winzones: Windows time zone names -> IANA zone names.
 *
 * Outlook and Exchange write Windows zone names ("W. Europe Standard Time")
 * in TZID parameters.  The table maps every Windows zone of the Unicode CLDR
 * windowsZones mapping (supplemental/windowsZones.xml) to the zone CLDR gives
 * for territory "001", the "golden" zone of that Windows zone.  The IANA
 * names are CLDR's (e.g. "Asia/Calcutta", "Europe/Kiev"); the system zone
 * database keeps them as links.
 *
 * Older Outlook versions put the zone's display name in TZID instead, e.g.
 * "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"; the common
 * ones are listed too.  A "(GMT" prefix, as in Outlook 2003, is read as
 * "(UTC".
 */
#include "zones.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *windows;
    const char *iana;
} WinZone;

/* Sorted by g_ascii_strcasecmp on `windows`, no duplicates. */
static const WinZone win_zones[] = {
    { "(UTC) Coordinated Universal Time", "Etc/UTC" },
    { "(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London" },
    { "(UTC) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London", "Europe/London" },
    { "(UTC) Monrovia, Reykjavik", "Atlantic/Reykjavik" },
    { "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "Europe/London" },
    { "(UTC+00:00) Monrovia, Reykjavik", "Atlantic/Reykjavik" },
    { "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin" },
    { "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague", "Europe/Budapest" },
    { "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", "Europe/Paris" },
    { "(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb", "Europe/Warsaw" },
    { "(UTC+01:00) West Central Africa", "Africa/Lagos" },
    { "(UTC+02:00) Athens, Bucharest", "Europe/Bucharest" },
    { "(UTC+02:00) Athens, Bucharest, Istanbul", "Europe/Bucharest" },
    { "(UTC+02:00) Cairo", "Africa/Cairo" },
    { "(UTC+02:00) Harare, Pretoria", "Africa/Johannesburg" },
    { "(UTC+02:00) Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius", "Europe/Kiev" },
    { "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", "Europe/Kiev" },
    { "(UTC+02:00) Jerusalem", "Asia/Jerusalem" },
    { "(UTC+03:00) Istanbul", "Europe/Istanbul" },
    { "(UTC+03:00) Kuwait, Riyadh", "Asia/Riyadh" },
    { "(UTC+03:00) Moscow, St. Petersburg", "Europe/Moscow" },
    { "(UTC+03:00) Moscow, St. Petersburg, Volgograd", "Europe/Moscow" },
    { "(UTC+03:00) Nairobi", "Africa/Nairobi" },
    { "(UTC+03:30) Tehran", "Asia/Tehran" },
    { "(UTC+04:00) Abu Dhabi, Muscat", "Asia/Dubai" },
    { "(UTC+05:00) Islamabad, Karachi", "Asia/Karachi" },
    { "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Calcutta" },
    { "(UTC+05:45) Kathmandu", "Asia/Katmandu" },
    { "(UTC+06:00) Dhaka", "Asia/Dhaka" },
    { "(UTC+07:00) Bangkok, Hanoi, Jakarta", "Asia/Bangkok" },
    { "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", "Asia/Shanghai" },
    { "(UTC+08:00) Kuala Lumpur, Singapore", "Asia/Singapore" },
    { "(UTC+08:00) Perth", "Australia/Perth" },
    { "(UTC+08:00) Taipei", "Asia/Taipei" },
    { "(UTC+09:00) Osaka, Sapporo, Tokyo", "Asia/Tokyo" },
    { "(UTC+09:00) Seoul", "Asia/Seoul" },
    { "(UTC+09:30) Adelaide", "Australia/Adelaide" },
    { "(UTC+09:30) Darwin", "Australia/Darwin" },
    { "(UTC+10:00) Brisbane", "Australia/Brisbane" },
    { "(UTC+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney" },
    { "(UTC+10:00) Hobart", "Australia/Hobart" },
    { "(UTC+12:00) Auckland, Wellington", "Pacific/Auckland" },
    { "(UTC-03:00) Brasilia", "America/Sao_Paulo" },
    { "(UTC-03:00) Buenos Aires", "America/Buenos_Aires" },
    { "(UTC-03:00) City of Buenos Aires", "America/Buenos_Aires" },
    { "(UTC-03:30) Newfoundland", "America/St_Johns" },
    { "(UTC-04:00) Atlantic Time (Canada)", "America/Halifax" },
    { "(UTC-04:00) Santiago", "America/Santiago" },
    { "(UTC-05:00) Bogota, Lima, Quito", "America/Bogota" },
    { "(UTC-05:00) Bogota, Lima, Quito, Rio Branco", "America/Bogota" },
    { "(UTC-05:00) Eastern Time (US & Canada)", "America/New_York" },
    { "(UTC-05:00) Indiana (East)", "America/Indianapolis" },
    { "(UTC-06:00) Central America", "America/Guatemala" },
    { "(UTC-06:00) Central Time (US & Canada)", "America/Chicago" },
    { "(UTC-06:00) Guadalajara, Mexico City, Monterrey", "America/Mexico_City" },
    { "(UTC-06:00) Saskatchewan", "America/Regina" },
    { "(UTC-07:00) Arizona", "America/Phoenix" },
    { "(UTC-07:00) Mountain Time (US & Canada)", "America/Denver" },
    { "(UTC-08:00) Pacific Time (US & Canada)", "America/Los_Angeles" },
    { "(UTC-09:00) Alaska", "America/Anchorage" },
    { "(UTC-10:00) Hawaii", "Pacific/Honolulu" },
    { "Afghanistan Standard Time", "Asia/Kabul" },
    { "Alaskan Standard Time", "America/Anchorage" },
    { "Aleutian Standard Time", "America/Adak" },
    { "Altai Standard Time", "Asia/Barnaul" },
    { "Arab Standard Time", "Asia/Riyadh" },
    { "Arabian Standard Time", "Asia/Dubai" },
    { "Arabic Standard Time", "Asia/Baghdad" },
    { "Argentina Standard Time", "America/Buenos_Aires" },
    { "Astrakhan Standard Time", "Europe/Astrakhan" },
    { "Atlantic Standard Time", "America/Halifax" },
    { "AUS Central Standard Time", "Australia/Darwin" },
    { "Aus Central W. Standard Time", "Australia/Eucla" },
    { "AUS Eastern Standard Time", "Australia/Sydney" },
    { "Azerbaijan Standard Time", "Asia/Baku" },
    { "Azores Standard Time", "Atlantic/Azores" },
    { "Bahia Standard Time", "America/Bahia" },
    { "Bangladesh Standard Time", "Asia/Dhaka" },
    { "Belarus Standard Time", "Europe/Minsk" },
    { "Bougainville Standard Time", "Pacific/Bougainville" },
    { "Canada Central Standard Time", "America/Regina" },
    { "Cape Verde Standard Time", "Atlantic/Cape_Verde" },
    { "Caucasus Standard Time", "Asia/Yerevan" },
    { "Cen. Australia Standard Time", "Australia/Adelaide" },
    { "Central America Standard Time", "America/Guatemala" },
    { "Central Asia Standard Time", "Asia/Bishkek" },
    { "Central Brazilian Standard Time", "America/Cuiaba" },
    { "Central Europe Standard Time", "Europe/Budapest" },
    { "Central European Standard Time", "Europe/Warsaw" },
    { "Central Pacific Standard Time", "Pacific/Guadalcanal" },
    { "Central Standard Time", "America/Chicago" },
    { "Central Standard Time (Mexico)", "America/Mexico_City" },
    { "Chatham Islands Standard Time", "Pacific/Chatham" },
    { "China Standard Time", "Asia/Shanghai" },
    { "Cuba Standard Time", "America/Havana" },
    { "Dateline Standard Time", "Etc/GMT+12" },
    { "E. Africa Standard Time", "Africa/Nairobi" },
    { "E. Australia Standard Time", "Australia/Brisbane" },
    { "E. Europe Standard Time", "Europe/Chisinau" },
    { "E. South America Standard Time", "America/Sao_Paulo" },
    { "Easter Island Standard Time", "Pacific/Easter" },
    { "Eastern Standard Time", "America/New_York" },
    { "Eastern Standard Time (Mexico)", "America/Cancun" },
    { "Egypt Standard Time", "Africa/Cairo" },
    { "Ekaterinburg Standard Time", "Asia/Yekaterinburg" },
    { "Fiji Standard Time", "Pacific/Fiji" },
    { "FLE Standard Time", "Europe/Kiev" },
    { "Georgian Standard Time", "Asia/Tbilisi" },
    { "GMT Standard Time", "Europe/London" },
    { "Greenland Standard Time", "America/Godthab" },
    { "Greenwich Standard Time", "Atlantic/Reykjavik" },
    { "GTB Standard Time", "Europe/Bucharest" },
    { "Haiti Standard Time", "America/Port-au-Prince" },
    { "Hawaiian Standard Time", "Pacific/Honolulu" },
    { "India Standard Time", "Asia/Calcutta" },
    { "Iran Standard Time", "Asia/Tehran" },
    { "Israel Standard Time", "Asia/Jerusalem" },
    { "Jordan Standard Time", "Asia/Amman" },
    { "Kaliningrad Standard Time", "Europe/Kaliningrad" },
    { "Korea Standard Time", "Asia/Seoul" },
    { "Libya Standard Time", "Africa/Tripoli" },
    { "Line Islands Standard Time", "Pacific/Kiritimati" },
    { "Lord Howe Standard Time", "Australia/Lord_Howe" },
    { "Magadan Standard Time", "Asia/Magadan" },
    { "Magallanes Standard Time", "America/Punta_Arenas" },
    { "Marquesas Standard Time", "Pacific/Marquesas" },
    { "Mauritius Standard Time", "Indian/Mauritius" },
    { "Middle East Standard Time", "Asia/Beirut" },
    { "Montevideo Standard Time", "America/Montevideo" },
    { "Morocco Standard Time", "Africa/Casablanca" },
    { "Mountain Standard Time", "America/Denver" },
    { "Mountain Standard Time (Mexico)", "America/Mazatlan" },
    { "Myanmar Standard Time", "Asia/Rangoon" },
    { "N. Central Asia Standard Time", "Asia/Novosibirsk" },
    { "Namibia Standard Time", "Africa/Windhoek" },
    { "Nepal Standard Time", "Asia/Katmandu" },
    { "New Zealand Standard Time", "Pacific/Auckland" },
    { "Newfoundland Standard Time", "America/St_Johns" },
    { "Norfolk Standard Time", "Pacific/Norfolk" },
    { "North Asia East Standard Time", "Asia/Irkutsk" },
    { "North Asia Standard Time", "Asia/Krasnoyarsk" },
    { "North Korea Standard Time", "Asia/Pyongyang" },
    { "Omsk Standard Time", "Asia/Omsk" },
    { "Pacific SA Standard Time", "America/Santiago" },
    { "Pacific Standard Time", "America/Los_Angeles" },
    { "Pacific Standard Time (Mexico)", "America/Tijuana" },
    { "Pakistan Standard Time", "Asia/Karachi" },
    { "Paraguay Standard Time", "America/Asuncion" },
    { "Qyzylorda Standard Time", "Asia/Qyzylorda" },
    { "Romance Standard Time", "Europe/Paris" },
    { "Russia Time Zone 10", "Asia/Srednekolymsk" },
    { "Russia Time Zone 11", "Asia/Kamchatka" },
    { "Russia Time Zone 3", "Europe/Samara" },
    { "Russian Standard Time", "Europe/Moscow" },
    { "SA Eastern Standard Time", "America/Cayenne" },
    { "SA Pacific Standard Time", "America/Bogota" },
    { "SA Western Standard Time", "America/La_Paz" },
    { "Saint Pierre Standard Time", "America/Miquelon" },
    { "Sakhalin Standard Time", "Asia/Sakhalin" },
    { "Samoa Standard Time", "Pacific/Apia" },
    { "Sao Tome Standard Time", "Africa/Sao_Tome" },
    { "Saratov Standard Time", "Europe/Saratov" },
    { "SE Asia Standard Time", "Asia/Bangkok" },
    { "Singapore Standard Time", "Asia/Singapore" },
    { "South Africa Standard Time", "Africa/Johannesburg" },
    { "South Sudan Standard Time", "Africa/Juba" },
    { "Sri Lanka Standard Time", "Asia/Colombo" },
    { "Sudan Standard Time", "Africa/Khartoum" },
    { "Syria Standard Time", "Asia/Damascus" },
    { "Taipei Standard Time", "Asia/Taipei" },
    { "Tasmania Standard Time", "Australia/Hobart" },
    { "Tocantins Standard Time", "America/Araguaina" },
    { "Tokyo Standard Time", "Asia/Tokyo" },
    { "Tomsk Standard Time", "Asia/Tomsk" },
    { "Tonga Standard Time", "Pacific/Tongatapu" },
    { "Transbaikal Standard Time", "Asia/Chita" },
    { "Turkey Standard Time", "Europe/Istanbul" },
    { "Turks And Caicos Standard Time", "America/Grand_Turk" },
    { "Ulaanbaatar Standard Time", "Asia/Ulaanbaatar" },
    { "US Eastern Standard Time", "America/Indianapolis" },
    { "US Mountain Standard Time", "America/Phoenix" },
    { "UTC", "Etc/UTC" },
    { "UTC+12", "Etc/GMT-12" },
    { "UTC+13", "Etc/GMT-13" },
    { "UTC-02", "Etc/GMT+2" },
    { "UTC-08", "Etc/GMT+8" },
    { "UTC-09", "Etc/GMT+9" },
    { "UTC-11", "Etc/GMT+11" },
    { "Venezuela Standard Time", "America/Caracas" },
    { "Vladivostok Standard Time", "Asia/Vladivostok" },
    { "Volgograd Standard Time", "Europe/Volgograd" },
    { "W. Australia Standard Time", "Australia/Perth" },
    { "W. Central Africa Standard Time", "Africa/Lagos" },
    { "W. Europe Standard Time", "Europe/Berlin" },
    { "W. Mongolia Standard Time", "Asia/Hovd" },
    { "West Asia Standard Time", "Asia/Tashkent" },
    { "West Bank Standard Time", "Asia/Hebron" },
    { "West Pacific Standard Time", "Pacific/Port_Moresby" },
    { "Yakutsk Standard Time", "Asia/Yakutsk" },
    { "Yukon Standard Time", "America/Whitehorse" },
};

#define WIN_ZONES_N G_N_ELEMENTS(win_zones)
#define WIN_NAME_MAX 127

static int
win_zone_cmp(const void *key, const void *elem)
{
    const WinZone *zone = elem;
    return g_ascii_strcasecmp(key, zone->windows);
}

#ifndef G_DISABLE_ASSERT
/* bsearch needs the order; a misplaced entry fails here on first use. */
static void
check_sorted(void)
{
    static gsize checked = 0;
    if (g_once_init_enter(&checked)) {
        for (gsize i = 1; i < WIN_ZONES_N; i++)
            g_assert(g_ascii_strcasecmp(win_zones[i - 1].windows, win_zones[i].windows) < 0);
        g_once_init_leave(&checked, 1);
    }
}
#endif

const char *
zones_windows_to_iana(const char *windows_name)
{
    if (windows_name == NULL)
        return NULL;

#ifndef G_DISABLE_ASSERT
    check_sorted();
#endif

    const char *start = windows_name;
    const char *end = windows_name + strlen(windows_name);

    /* Trim white space, then one pair of surrounding quotes, then any white
     * space inside the quotes. */
    while (start < end && g_ascii_isspace(*start))
        start++;
    while (end > start && g_ascii_isspace(end[-1]))
        end--;
    if (end - start >= 2 && *start == '"' && end[-1] == '"') {
        start++;
        end--;
        while (start < end && g_ascii_isspace(*start))
            start++;
        while (end > start && g_ascii_isspace(end[-1]))
            end--;
    }

    size_t len = (size_t)(end - start);
    if (len == 0 || len > WIN_NAME_MAX)
        return NULL;

    char name[WIN_NAME_MAX + 1];
    memcpy(name, start, len);
    name[len] = '\0';

    /* "(GMT+01:00) Amsterdam, ..." -> "(UTC+01:00) Amsterdam, ..." */
    if (g_ascii_strncasecmp(name, "(GMT", 4) == 0)
        memcpy(name + 1, "UTC", 3);

    const WinZone *zone = bsearch(name, win_zones, WIN_ZONES_N, sizeof win_zones[0], win_zone_cmp);
    return zone != NULL ? zone->iana : NULL;
}
