"""What the Python process tests share: a tally of checks, a bounded wait, and a started
`ledgerd serve`."""

import os
import signal
import subprocess
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


class Ledgerd:
    """A `ledgerd serve` process on 127.0.0.1, its ports chosen by the kernel and read from its
    port files, its output in <tmp>/<name>.log; `extra` flags go last. With http, also its HTTP
    listener (http_port, url). The constructor waits up to `timeout` seconds for the ports and
    kills the process when they do not come."""

    def __init__(self, ledgerd, data_dir, tmp, name="ledgerd", extra=(), http=False, timeout=30):
        self.port_file = os.path.join(tmp, name + ".port")
        self.log = open(os.path.join(tmp, name + ".log"), "w")
        args = [ledgerd, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                "--port-file", self.port_file]
        if http:
            self.http_port_file = os.path.join(tmp, name + ".http-port")
            args += ["--http-listen", "127.0.0.1:0", "--http-port-file", self.http_port_file]
        self.proc = subprocess.Popen(args + list(extra), stdout=self.log,
                                     stderr=subprocess.STDOUT)
        try:
            self.port = wait_until(lambda: read_port_file(self.port_file, self.proc), timeout,
                                   "the port file")
            if http:
                self.http_port = wait_until(
                    lambda: read_port_file(self.http_port_file, self.proc), timeout,
                    "the http port file")
                self.url = "http://127.0.0.1:%d" % self.http_port
        except BaseException:
            self.kill()
            raise

    def stop(self, timeout=20):
        """SIGTERM; returns the exit code (None if it had to be killed after `timeout` s)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class ServedLedgerd(Ledgerd):
    """Ledgerd with its address, a ready gRPC channel and a LedgerService stub (grpc and the
    generated ledger.v1 modules are imported here, so that tests without them can use the
    rest of this module)."""

    def __init__(self, ledgerd, data_dir, tmp, name="ledgerd", extra=(), timeout=10):
        import grpc
        from ledger.v1 import ledger_service_pb2_grpc as pb_grpc
        super().__init__(ledgerd, data_dir, tmp, name=name, extra=extra, timeout=timeout)
        self.address = "127.0.0.1:%d" % self.port
        try:
            self.channel = grpc.insecure_channel(self.address)
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except BaseException:
            self.kill()
            raise
        self.stub = pb_grpc.LedgerServiceStub(self.channel)

    def stop(self, timeout=10):
        """Closes the channel, then SIGTERM; the exit code (None if it had to be killed)."""
        self.channel.close()
        return super().stop(timeout=timeout)
