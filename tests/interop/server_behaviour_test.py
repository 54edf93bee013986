"""The server as a process, seen from the wire: what a client or an operator meets at start-up
and on refusals, checked with Debian's grpcio and raw bytes (no code shared with ledgerd).

  - a port in use (gRPC or metrics) is a start-up error naming it, never a second server;
  - grpc.health.v1 answers SERVING for the server and for each service by name;
  - every refusal carries a google.rpc.ErrorInfo with its reason (and field) in
    grpc-status-details-bin, request bytes that are not protobuf included;
  - factledger_view_watermark follows the views.

Usage: server_behaviour_test.py LEDGERD LEDGERCTL SEED_CLAIMS_JSONL
"""

import os
import re
import subprocess
import sys
import urllib.request

import grpc

from ledger.v1 import ledger_service_pb2 as pb
from ledger.v1 import ledger_service_pb2_grpc as pb_grpc

from checks import Results, read_port_file, wait_until

TIMEOUT = 30
R = Results()
check = R.check


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def field_bytes(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def raw_call(channel, method, request):
    """(response bytes, None) or (None, grpc.RpcError)."""
    fn = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    try:
        return fn(request, timeout=TIMEOUT), None
    except grpc.RpcError as e:
        return None, e


def details(err):
    for k, v in err.trailing_metadata() or ():
        if k == "grpc-status-details-bin":
            return v
    return b""


def check_refusal(err, code, reason, field=None, what=""):
    if not check(err is not None, "%s: refused" % what):
        return
    d = details(err)
    check(err.code() == code, "%s: code %s, want %s (%s)" % (what, err.code(), code,
                                                              err.details()))
    check(b"factledger.dev" in d and reason.encode() in d,
          "%s: ErrorInfo with reason %s in grpc-status-details-bin (got %r)" % (what, reason, d))
    if field is not None:
        check(field_bytes(2, field.encode()) in d or field.encode() in d,
              "%s: ErrorInfo names the field %s (got %r)" % (what, field, d))


class Ledgerd:
    def __init__(self, ledgerd, data_dir, log_path, listen="127.0.0.1:0", metrics=None):
        self.port_file = log_path + ".port"
        self.log_path = log_path
        args = [ledgerd, "serve", "--data-dir", data_dir, "--listen", listen,
                "--port-file", self.port_file]
        if metrics:
            args += ["--metrics-listen", metrics]
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_port(self):
        return wait_until(
            lambda: read_port_file(self.port_file, self.proc, lambda: ": " + self.text()), 20,
            "the port file")

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run(ledgerd, ledgerctl, seed, tmp):
    def sh(*args):
        r = subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=tmp)
        if r.returncode != 0:
            raise RuntimeError("%s: exit %d\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
        return r.stdout

    sh(ledgerctl, "keygen", "--out", "admin.key")
    sh(ledgerctl, "keygen", "--out", "desk.key")
    for d in ("A", "B"):
        sh(ledgerd, "init", "--data-dir", d, "--origin", "behaviour.example/" + d,
           "--admin-key", "admin.key.pub")
    a = Ledgerd(ledgerd, os.path.join(tmp, "A"), os.path.join(tmp, "a.log"),
                metrics="127.0.0.1:0")
    try:
        port = a.wait_port()

        # ledgerd writes the port file first and logs its listeners after: wait for the line.
        def logged_metrics_port():
            m = re.search(r'"metrics_port":\s*"?(\d+)', a.text()) or \
                re.search(r"metrics_port[=: ]+\"?(\d+)", a.text())
            return int(m.group(1)) if m else 0

        try:
            metrics_port = wait_until(logged_metrics_port, 20, "ledgerd to log its metrics port")
        except RuntimeError:
            metrics_port = 0
        check(metrics_port > 0, "ledgerd logs its metrics port (%s)" % a.text())
        server = "127.0.0.1:%d" % port
        sh(ledgerctl, "register-key", "--server", server, "--signer", "admin.key",
           "--public-key", "desk.key.pub", "--holder", "Desk A")
        sh(ledgerctl, "submit", "--server", server, "--key", "desk.key", seed)

        print("== a port in use is a start-up error naming it", flush=True)
        for what, listen, metrics in (
                ("gRPC port", server, None),
                ("metrics port", "127.0.0.1:0", "127.0.0.1:%d" % metrics_port)):
            b = Ledgerd(ledgerd, os.path.join(tmp, "B"), os.path.join(tmp, "b.log"),
                        listen=listen, metrics=metrics)
            try:
                b.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            rc = b.proc.poll()
            check(rc is not None and rc != 0,
                  "a second ledgerd on the %s in use exits non-zero (rc %r): %s" %
                  (what, rc, b.text()))
            port_named = listen if metrics is None else metrics
            check(port_named.split(":")[1] in b.text(),
                  "its error names the %s %s: %s" % (what, port_named, b.text()))
            b.stop()
        channel = grpc.insecure_channel(server)
        stub = pb_grpc.LedgerServiceStub(channel)
        origins = set()
        for _ in range(12):  # all answered by A: nothing else listens there
            origins.add(stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=TIMEOUT).origin)
        check(origins == {"behaviour.example/A"}, "every call reaches the one server: %s" %
              origins)

        print("== grpc.health.v1", flush=True)
        for name in ("", "ledger.v1.LedgerService", "ledger.v1.ClaimService"):
            resp, err = raw_call(channel, "/grpc.health.v1.Health/Check",
                                 field_bytes(1, name.encode()) if name else b"")
            check(err is None and resp == field_varint(1, 1),
                  "health of %r is SERVING (got %r, %s)" % (name, resp,
                                                            err and err.code()))
        resp, err = raw_call(channel, "/grpc.health.v1.Health/Check",
                             field_bytes(1, b"no.such.Service"))
        check(err is not None and err.code() == grpc.StatusCode.NOT_FOUND,
              "an unknown service name is NOT_FOUND")

        print("== every refusal carries ErrorInfo", flush=True)
        IA, NF, OOR = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                       grpc.StatusCode.OUT_OF_RANGE)
        _, err = raw_call(channel, "/ledger.v1.LedgerService/ListEntries",
                          field_varint(2, 1001))
        check_refusal(err, IA, "LIMIT_EXCEEDED", "max_entries", "ListEntries max_entries 1001")
        _, err = raw_call(channel, "/ledger.v1.LedgerService/Replicate", field_varint(4, 1001))
        check_refusal(err, IA, "LIMIT_EXCEEDED", "max_entries", "Replicate max_entries 1001")
        _, err = raw_call(channel, "/ledger.v1.ClaimService/ListClaims", field_varint(11, 1001))
        check_refusal(err, IA, "LIMIT_EXCEEDED", "page_size", "ListClaims page_size 1001")
        _, err = raw_call(channel, "/ledger.v1.ClaimService/ListClaims",
                          field_bytes(7, b"Q843"))
        check_refusal(err, IA, "INVALID_REQUEST", "stable_id",
                      "ListClaims with a stable_id but no claimant or entity")
        _, err = raw_call(channel, "/ledger.v1.LedgerService/GetInclusionProof",
                          field_bytes(3, b"\x01" * 31))
        check_refusal(err, IA, "INVALID_FIELD", "leaf_hash", "GetInclusionProof 31-byte leaf")
        _, err = raw_call(channel, "/ledger.v1.ClaimService/GetClaim",
                          field_bytes(1, b"no-such-claim"))
        check_refusal(err, NF, "CLAIM_NOT_FOUND", "claim_id", "GetClaim unknown id")
        _, err = raw_call(channel, "/ledger.v1.ClaimService/GetKey", field_bytes(1, b"\0" * 32))
        check_refusal(err, NF, "KEY_NOT_FOUND", "key_id", "GetKey unknown key")
        _, err = raw_call(channel, "/ledger.v1.LedgerService/GetCheckpoint",
                          field_varint(1, 100000))
        check_refusal(err, OOR, "TREE_SIZE_OUT_OF_RANGE", "tree_size",
                      "GetCheckpoint past the end")
        _, err = raw_call(channel, "/ledger.v1.LedgerService/GetConsistencyProof",
                          field_varint(1, 1) + field_varint(2, 100000))
        check_refusal(err, OOR, "TREE_SIZE_OUT_OF_RANGE", "to_tree_size",
                      "GetConsistencyProof past the end")
        _, err = raw_call(channel, "/ledger.v1.LedgerService/GetEntry", b"\xff\xff\xff\xff")
        check_refusal(err, IA, "MALFORMED_REQUEST", None, "request bytes that are not protobuf")
        check(err is not None and "GetEntry" in (err.details() or ""),
              "the malformed request's message names the method: %r" %
              (err and err.details()))
        print("== factledger_view_watermark", flush=True)
        size = stub.GetLogInfo(pb.GetLogInfoRequest(), timeout=TIMEOUT).tree_size
        channel.close()

        def watermark():
            body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                          timeout=10).read().decode()
            m = re.search(r"^factledger_view_watermark\S* (\S+)$", body, re.M)
            return m and float(m.group(1)) == size and body
        try:
            body = wait_until(watermark, 20, "the view watermark to reach %d" % size)
            check(re.search(r"^factledger_view_lag_entries\S* 0$", body, re.M) is not None,
                  "factledger_view_lag_entries is 0 once caught up")
            check(True, "factledger_view_watermark reaches the tree size %d" % size)
        except RuntimeError as e:
            check(False, str(e))
    finally:
        a.stop()


def main():
    R.main(run, "behaviour.", [os.path.abspath(a) for a in sys.argv[1:4]])


if __name__ == "__main__":
    sys.exit(main())
