/* daemon: `diaryd run`, the background agent (see daemon.c). */
#pragma once

int cmd_run(int argc, char **argv);
