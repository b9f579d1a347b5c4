/* cmd_outbox: `diaryd outbox [list|retry ID|drop ID|send|test [ADDRESS]]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_outbox(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "test"))
    return cmd_outbox_test(argc - 1, argv + 1);
  fprintf(stderr, "diaryd: outbox: not yet\n");
  return EXIT_USAGE;
}
