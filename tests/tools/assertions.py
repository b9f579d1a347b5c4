"""How the integration tests' Python checks (lib.sh's json(), book.t's
ical()) report a failure: the CODE a test passes is compiled as
"<assertions>" and run inside `with reported(code):`.  A failed assert
prints that line of CODE and its message; any other exception its
traceback; both on stdout, which the test shows, and exit 1."""
import contextlib
import sys
import traceback


@contextlib.contextmanager
def reported(code):
    try:
        yield
    except AssertionError as e:
        tb = traceback.extract_tb(e.__traceback__)
        where = [f for f in tb if f.filename == "<assertions>"]
        line = code.splitlines()[where[-1].lineno - 1].strip() if where else ""
        print("assertion failed: %s%s" % (line, (" -- " + str(e)) if str(e) else ""))
        sys.exit(1)
    except Exception:
        traceback.print_exc(limit=3, file=sys.stdout)
        sys.exit(1)
