/* crashpoint: the crash tests' switch, at every step that changes state.
 *
 * crashpoint(step) is called right after each state-changing step has
 * happened and before anything records or follows it: each store commit,
 * each PUT and DELETE the server accepted, each message the mail
 * transport accepted, each notification the desktop took.  In normal use
 * it does nothing but read two environment variables.  For the tests:
 *
 *   DIARYD_TEST_CRASH=STEP       the process kills itself (SIGKILL, as a
 *                                power cut stops it) at the step so named;
 *   DIARYD_CRASH_AT=N with       every process counts its steps in FILE
 *   DIARYD_CRASH_COUNT=FILE      (under a lock, so diaryd's children and
 *                                the agent share one count, and each step
 *                                is appended to FILE.log); the one that
 *                                takes step N kills itself, and its parent
 *                                too when that is the agent (a crash of
 *                                the whole agent, not of one child).
 */
#pragma once

#include <glib.h>

void crashpoint(const char *step);
