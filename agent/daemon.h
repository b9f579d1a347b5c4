/* daemon: `diaryd run`, the background agent (see daemon.c). */
#pragma once

int cmd_run(int argc, char **argv);

/* `diaryd run` in the main binary: execs diaryd-agent (beside this binary,
 * or in ../libexec/diaryd/) with DIARYD_BINARY set to this binary, so the
 * agent's children are full diaryd; runs the agent in this process when
 * there is no diaryd-agent. */
int cmd_run_exec(int argc, char **argv);
