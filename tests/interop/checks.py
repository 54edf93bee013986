"""What the Python process tests share: a tally of checks and a bounded wait."""

import os
import sys
import tempfile
import time
import traceback


class Results:
    """Counts checks; a failed one is printed at once and listed at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
            print("FAIL: %s" % what, flush=True)
        return cond

    def section(self, title):
        print("== %s" % title, flush=True)

    def main(self, run, prefix, args):
        """Runs run(*args, tmp) in a fresh directory under $TEST_TMPDIR (an exception is a
        failed check), prints the tally and every failure, and exits 1 if any check failed."""
        tmp = tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("TEST_TMPDIR"))
        try:
            run(*args, tmp)
        except Exception:
            traceback.print_exc()
            self.check(False, "no exception")
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        for f in self.failed:
            print("FAILED: " + f)
        sys.exit(1 if self.failed else 0)


def wait_until(pred, timeout, what):
    """Polls pred() every 50 ms until it returns a true value (returned); RuntimeError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)  # bounded polling
    raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))


def read_port_file(path, proc, describe=lambda: ""):
    """The port a `ledgerd serve --port-file PATH` wrote (None until the file is complete);
    RuntimeError when the process `proc` already exited."""
    if proc.poll() is not None:
        raise RuntimeError("ledgerd exited early with %s%s" % (proc.returncode, describe()))
    try:
        with open(path) as f:
            s = f.read()
    except FileNotFoundError:
        return None
    return int(s) if s.endswith("\n") and s.strip().isdigit() else None
