#include "testutil.h"

static void test_simple_conflict(void) {
  g_autoptr(TestDiary) t = test_diary("BEGIN:VEVENT\nUID:a\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\n"
                                      "SUMMARY:A\nLOCATION:X\nEND:VEVENT\n"
                                      "BEGIN:VEVENT\nUID:b\nDTSTART:20260302T093000Z\nDTEND:20260302T103000Z\n"
                                      "SUMMARY:B\nLOCATION:X\nEND:VEVENT\n",
                                      "UTC", "2026-03-01", "2026-03-08");
  CheckRules rules;
  test_rules(&rules);
  g_autoptr(GPtrArray) f = checks_run(t->diary, &rules);
  g_assert_cmpuint(diary_n_occurrences(t->diary), ==, 2);
  g_assert_cmpuint(test_count(f, CHECK_CONFLICT), ==, 1);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/smoke/conflict", test_simple_conflict);
  return g_test_run();
}
