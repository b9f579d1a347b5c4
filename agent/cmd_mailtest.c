/* cmd_mailtest: `diaryd outbox test [ADDRESS]` (placeholder). */
#include <stdio.h>

#include "cli.h"

int cmd_outbox_test(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "diaryd: outbox test: not yet\n");
  return EXIT_USAGE;
}
