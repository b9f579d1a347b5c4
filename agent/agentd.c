/* diaryd-agent: the resident process of `diaryd run`.
 *
 * `diaryd run` execs this binary (same pid, same arguments), which holds
 * the same agent code (agent/daemon.c) linked against GLib, GIO, SQLite,
 * libnotify and libsystemd only.  The heavy libraries stay in the `diaryd`
 * children it starts (named by DIARYD_BINARY), so the process that lives
 * all day stays a few MB. */
#include <locale.h>

#include "daemon.h"
#include "secret.h"

int main(int argc, char **argv) {
  /* exec made this process dumpable again: the secrets it holds are not. */
  secret_protect_process();
  setlocale(LC_ALL, "");
  return cmd_run(argc, argv);
}
