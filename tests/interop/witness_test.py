"""Witness cosigning end to end (docs/c2sp.md "Witness cosigning"): a real ledgerd with
--witness pointing at two real witnessd processes, a lying witness (cosigns another root), one
answering a flipped signature, one answering garbage, one that never answers in time and one
that is down. Appends never wait for them; the policy (2) is met by the honest two; the
witnessed checkpoint is checked here from the specs alone (witness_client.py); ledgerctl verify
and bundle verify require the policy; witnessd answers the spec's status codes, keeps its state
across a restart (and a crash between persisting and replying) and refuses rollbacks; a
restarted ledgerd learns the witnesses' sizes from 409.

Usage: witness_test.py LEDGERD LEDGERCTL WITNESSD SEED_CLAIMS_JSONL
"""

import base64
import http.client
import os
import re
import signal
import subprocess
import sys
import urllib.request

import nacl.signing

import tiles_client as tc
import tiles_test as tt
import witness_client as wc
from checks import Results, read_port_file, wait_until

ORIGIN = "witness.example/log"
R = Results()
tt.R = R  # tiles_test's helpers tally into this test's results


class Witnessd:
    def __init__(self, witnessd, tmp, name, key, log_vkey, env=None):
        self.data_dir = os.path.join(tmp, name)
        self.port_file = os.path.join(tmp, name + ".port")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.log = open(os.path.join(tmp, name + ".log"), "a")
        self.proc = subprocess.Popen(
            [witnessd, "--data-dir", self.data_dir, "--name", "witness.example/" + name,
             "--key", key, "--log", log_vkey, "--listen", "127.0.0.1:0",
             "--port-file", self.port_file],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.port = wait_until(lambda: read_port_file(self.port_file, self.proc), 30,
                               "witnessd's port file")
        with open(os.path.join(self.data_dir, "cosigner-verifier-key")) as f:
            self.vkey = f.read().strip()
        self.cosigner = wc.Cosigner.parse(self.vkey)
        self.flag = "%s=http://127.0.0.1:%d" % (self.vkey, self.port)

    def post(self, body, path="/add-checkpoint"):
        return wc.post("127.0.0.1", self.port, path, body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.log.close()
        return self.proc.returncode


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ledgerctl(ledgerctl_bin, *args):
    return subprocess.run([ledgerctl_bin] + list(args), capture_output=True, text=True,
                          timeout=120)


def run(ledgerd, ledgerctl_bin, witnessd, seed_path, tmp):
    R.section("keys, the log, two honest witnessd")
    for k in ("admin", "w1", "w2", "down"):
        subprocess.run([ledgerctl_bin, "keygen", "--out", os.path.join(tmp, k + ".key")],
                       check=True, capture_output=True, timeout=60)
    data_dir = os.path.join(tmp, "D")
    init = subprocess.run([ledgerd, "init", "--data-dir", data_dir, "--origin", ORIGIN,
                           "--admin-key", os.path.join(tmp, "admin.key.pub")],
                          capture_output=True, text=True, timeout=60)
    if not R.check(init.returncode == 0, "ledgerd init (stderr %s)" % init.stderr):
        return
    vkey = re.search(r"^checkpoint verifier key: (\S+)$", init.stdout, re.M).group(1)
    log_verifier = tc.Verifier(vkey)
    w1 = Witnessd(witnessd, tmp, "w1", os.path.join(tmp, "w1.key"), vkey)
    w2 = Witnessd(witnessd, tmp, "w2", os.path.join(tmp, "w2.key"), vkey)
    # A witness that is down: a real key, a port nobody listens on.
    down = Witnessd(witnessd, tmp, "down", os.path.join(tmp, "down.key"), vkey)
    down.stop()
    down_flag = "%s=http://127.0.0.1:%d" % (down.vkey, free_port())
    fakes = wc.FakeWitnesses()
    honest = [w1.cosigner, w2.cosigner]
    server = None
    try:
        R.section("ledgerd serve with 7 witnesses, policy 2")
        flags = ["--witness-policy", "2", "--witness-timeout-ms", "1500",
                 "--witness-retry-ms", "300", "--witness", w1.flag, "--witness", w2.flag,
                 "--witness", down_flag] + sum(
                     (["--witness", fakes.flag(n)] for n in wc.FakeWitnesses.NAMES), [])
        server = tt.Ledgerd(ledgerd, data_dir, tmp, extra=flags)
        wit_url = server.url + "/checkpoint?witnessed"
        # The slow witness holds its first request: from now on appends run while it hangs.
        wait_until(lambda: fakes.slow_in_flight > 0, 30, "the slow witness to be asked")
        tt.claims_file(os.path.join(tmp, "a.jsonl"), seed_path, 0, 40)
        R.check(tt.submit(ledgerctl_bin, server, os.path.join(tmp, "admin.key"),
                          os.path.join(tmp, "a.jsonl")), "40 appends")
        R.check(fakes.slow_in_flight > 0 and not fakes.released.is_set(),
                "the 40 appends completed while the slow witness still held a request")
        status, latest = get(server.url + "/checkpoint")
        size = tc.parse_checkpoint(tc.verify_note(latest, log_verifier)).tree_size
        R.check(size == 40, "the log has 40 entries, got %d" % size)

        def witnessed_at_size():
            st, note = get(wit_url)
            if st != 200:
                return None
            cp = tc.parse_checkpoint(tc.verify_note(note, log_verifier))
            return note if cp.tree_size == size else None
        note = wait_until(witnessed_at_size, 60, "the witnessed checkpoint of size 40")
        R.section("the witnessed checkpoint, checked from the specs")
        text, lines = wc.split_note(note)
        R.check(note.startswith(latest.split("\n\n")[0]), "same body as /checkpoint")
        by = wc.cosigned_by(note, honest + [fakes.cosigner(n) for n in wc.FakeWitnesses.NAMES])
        R.check(by == ["witness.example/w1", "witness.example/w2"],
                "cosigned by exactly w1 and w2 (got %s)" % by)
        R.check(len(lines) == 3, "the log's signature and two cosignatures (got %d lines)" %
                len(lines))
        R.check(not any("fake.example" in l for l in lines), "no line of a fake witness")
        with open(os.path.join(data_dir, "witnessed.checkpoint")) as f:
            R.check(f.read() == note, "<data-dir>/witnessed.checkpoint is what is served")
        st, plain = get(server.url + "/checkpoint")
        R.check(len(wc.split_note(plain)[1]) == 1, "/checkpoint still serves the log's note only")
        for n in ("liar", "badsig", "garbage"):
            # Asked again --witness-retry-ms after each refusal: wait for it (a loaded machine
            # may not have retried yet when the honest witnesses met the policy).
            try:
                wait_until(lambda: fakes.requests[n] >= 2, 30, "%s to be asked again" % n)
            except RuntimeError:
                pass
            R.check(fakes.requests[n] >= 2,
                    "%s asked again after being refused (%d requests)" % (n, fakes.requests[n]))
        with open(server.log.name) as f:
            logtext = f.read()
        R.check("fake.example/liar answered 200 with no valid cosignature" in logtext,
                "the liar's reply is refused and logged")
        R.check("fake.example/garbage answered 200 with garbage" in logtext,
                "the garbage reply is refused and logged")
        R.check("cannot connect to http://127.0.0.1" in logtext, "the down witness is logged")
        fakes.release()

        R.section("ledgerd restarts: it learns the witnesses' sizes from 409")
        R.check(server.stop() == 0, "ledgerd stops cleanly")
        server = tt.Ledgerd(ledgerd, data_dir, tmp, name="ledgerd2",
                            extra=["--witness", w1.flag, "--witness", w2.flag])
        wit_url = server.url + "/checkpoint?witnessed"
        st, kept = get(wit_url)
        R.check(st == 200 and tc.parse_checkpoint(tc.verify_note(kept, log_verifier)).tree_size
                == 40 and wc.cosigned_by(kept, honest) == ["witness.example/w1",
                                                          "witness.example/w2"],
                "the witnessed checkpoint (40, kept in the data directory) is served at once "
                "after the restart")
        tt.claims_file(os.path.join(tmp, "b.jsonl"), seed_path, 40, 5)
        R.check(tt.submit(ledgerctl_bin, server, os.path.join(tmp, "admin.key"),
                          os.path.join(tmp, "b.jsonl")), "5 more appends")

        def witnessed_45():
            st, n = get(wit_url)
            return n if st == 200 and tc.parse_checkpoint(
                tc.verify_note(n, log_verifier)).tree_size == 45 else None
        note45 = wait_until(witnessed_45, 60, "the witnessed checkpoint of size 45")
        R.check(wc.cosigned_by(note45, honest) == ["witness.example/w1", "witness.example/w2"],
                "size 45 cosigned by both (each witness held 40: the first request, old 0, got "
                "409 and the retry carried the proof from 40)")

        R.section("followers with --require-witnesses: follow witnessed checkpoints only")
        followers = []
        def follower(name, keys):
            fdir = os.path.join(tmp, name)
            r = subprocess.run([ledgerd, "init-follower", "--data-dir", fdir, "--origin", ORIGIN,
                                "--log-key", vkey, "--admin-key",
                                os.path.join(tmp, "admin.key.pub")],
                               capture_output=True, text=True, timeout=60)
            R.check(r.returncode == 0, "init-follower %s (%s)" % (name, r.stderr))
            extra = ["--follow", "127.0.0.1:%d" % server.port, "--require-witnesses", "2",
                     "--leader-http", server.url]
            for k in keys:
                extra += ["--witness-key", k]
            f = tt.Ledgerd(ledgerd, fdir, tmp, name=name, extra=extra)
            followers.append(f)
            return f
        try:
            # w2's key as a file (witnessd's own cosigner-verifier-key), w1's as a string.
            f1 = follower("f1", [w1.vkey, os.path.join(w2.data_dir, "cosigner-verifier-key")])
            f2 = follower("f2", [w1.vkey, fakes.cosigner("liar").vkey()])

            def f1_at(size):
                st, n = get(f1.url + "/checkpoint")
                return n if st == 200 and tc.parse_checkpoint(
                    tc.verify_note(n, log_verifier)).tree_size == size else None
            n = wait_until(lambda: f1_at(45), 60, "follower f1 at the witnessed size 45")
            R.check(wc.cosigned_by(n, honest) == ["witness.example/w1", "witness.example/w2"],
                    "f1 serves the witnessed checkpoint with its cosignatures")

            def f2_refused():
                with open(f2.log.name) as fh:
                    return "does not meet --require-witnesses" in fh.read()
            wait_until(f2_refused, 60, "follower f2 to refuse the policy")
            st, _ = get(f2.url + "/checkpoint")
            R.check(st == 404, "f2 (policy with the liar) replicated nothing: /checkpoint 404 "
                    "(got %d)" % st)

            # w2 goes down: the leader grows, nothing new is witnessed, f1 holds at 45.
            w2.stop()
            tt.claims_file(os.path.join(tmp, "c.jsonl"), seed_path, 45, 3)
            R.check(tt.submit(ledgerctl_bin, server, os.path.join(tmp, "admin.key"),
                              os.path.join(tmp, "c.jsonl")), "3 more appends, w2 down")

            def w2_failed_48():
                with open(server.log.name) as fh:
                    return any('"witness":"witness.example/w2","tree_size":"48"' in l
                               for l in fh)
            wait_until(w2_failed_48, 60, "the leader to fail to reach w2 for size 48")
            st, _ = get(server.url + "/checkpoint")
            R.check(f1_at(45) is not None and not f1_at(48),
                    "f1 holds at the witnessed 45 while the leader is at 48")
            st, latest48 = get(server.url + "/checkpoint")  # what w1 holds now
        finally:
            for f in followers:
                R.check(f.stop() == 0, "follower %s stops cleanly" % f.log.name)
        R.check(server.stop() == 0, "ledgerd stops cleanly")
        server = None

        R.section("ledgerctl verify and bundle verify require the policy")
        wk = ["--witness-key", w1.vkey, "--witness-key", w2.vkey]
        r = ledgerctl(ledgerctl_bin, "verify", "--data-dir", data_dir, *wk, "--witness-policy", "2")
        R.check(r.returncode == 0 and "cosigned by witness.example/w1, witness.example/w2" in
                r.stdout, "verify with policy 2 of w1, w2: exit 0 (%s %s)" % (r.stdout, r.stderr))
        liar_vkey = fakes.cosigner("liar").vkey()
        r = ledgerctl(ledgerctl_bin, "verify", "--data-dir", data_dir, *wk,
                      "--witness-key", liar_vkey, "--witness-policy", "3")
        R.check(r.returncode == 2 and "cosigned by 2 of the 3" in r.stdout,
                "verify with policy 3 including the liar: exit 2 naming 2 of 3 (%s)" % r.stdout)
        r = ledgerctl(ledgerctl_bin, "verify", "--data-dir", data_dir, "--witness-key",
                      w1.vkey, "--witness-policy", "2")
        R.check(r.returncode == 1 and "must be in 1..1" in r.stderr,
                "policy 2 of 1 key is a usage error (%s)" % r.stderr)
        witnessed_file = os.path.join(data_dir, "witnessed.checkpoint")
        for fmt, ext in (("json", "json"), ("tlog-proof", "tlog-proof")):
            out = os.path.join(tmp, "b7." + ext)
            r = ledgerctl(ledgerctl_bin, "bundle", "7", "--data-dir", data_dir, "--format", fmt,
                          "--witnessed-checkpoint", witnessed_file, "--log-key", vkey,
                          "--out", out)
            R.check(r.returncode == 0, "bundle --format %s --witnessed-checkpoint (%s)" %
                    (fmt, r.stderr))
            r = ledgerctl(ledgerctl_bin, "bundle", "verify", out, "--log-key", vkey, *wk,
                          "--witness-policy", "2")
            R.check(r.returncode == 0 and "witnessed: cosigned by witness.example/w1, "
                    "witness.example/w2" in r.stdout,
                    "bundle verify (%s) with policy 2: exit 0 (%s)" % (fmt, r.stdout))
            r = ledgerctl(ledgerctl_bin, "bundle", "verify", out, "--log-key", vkey, *wk,
                          "--witness-key", liar_vkey, "--witness-policy", "3")
            R.check(r.returncode == 2 and "witness policy" in r.stdout,
                    "bundle verify (%s) with policy 3 including the liar: exit 2" % fmt)
        out = os.path.join(tmp, "plain.json")
        ledgerctl(ledgerctl_bin, "bundle", "7", "--data-dir", data_dir, "--out", out)
        r = ledgerctl(ledgerctl_bin, "bundle", "verify", out, "--log-key", vkey, *wk)
        R.check(r.returncode == 2 and "cosigned by 0 of the 2" in r.stdout,
                "a bundle of the un-witnessed latest checkpoint fails the policy (%s)" % r.stdout)

        R.section("witnessd answers the spec's status codes (a client from the spec)")
        st, ctype, body = w1.post(wc.add_checkpoint_body(0, [], latest48))
        R.check(st == 409 and ctype == "text/x.tlog.size" and body == b"48\n",
                "old 0 for a witness at 48: 409 text/x.tlog.size \"48\\n\" (got %d %r %r)" %
                (st, ctype, body))
        st, ctype, body = w1.post(wc.add_checkpoint_body(48, [], latest48))
        ts = None
        if R.check(st == 200, "the same checkpoint again from 48: 200 (%d %r)" % (st, body)):
            line = body.decode().rstrip("\n")
            ts = wc.verify_cosignature(line, wc.split_note(latest48)[0], w1.cosigner)
        R.check(ts is not None and ts > 1600000000, "a valid cosignature/v1 with a timestamp")
        st, _, _ = w1.post(wc.add_checkpoint_body(49, [], latest48))
        R.check(st == 400, "old size over the checkpoint's: 400 (got %d)" % st)
        st, _, _ = w1.post(wc.add_checkpoint_body(48, [b"\x01" * 32], latest48))
        R.check(st == 422, "a non-empty proof between equal sizes: 422 (got %d)" % st)
        other = nacl.signing.SigningKey(b"\x05" * 32)
        def sign_note(origin, text, key):
            kh = tc.sha256(origin.encode() + b"\n\x01" + bytes(key.verify_key))[:4]
            sig = key.sign(text.encode()).signature
            return text + "\n\u2014 %s %s\n" % (origin, base64.b64encode(kh + sig).decode())
        forged = sign_note(ORIGIN, wc.split_note(latest48)[0], other)
        st, _, _ = w1.post(wc.add_checkpoint_body(48, [], forged))
        R.check(st == 403, "the log's origin signed by another key: 403 (got %d)" % st)
        unknown = sign_note("other.example/log", "other.example/log\n1\n" +
                            base64.b64encode(b"\x00" * 32).decode() + "\n", other)
        st, _, _ = w1.post(wc.add_checkpoint_body(0, [], unknown))
        R.check(st == 404, "an unknown origin: 404 (got %d)" % st)
        st, _, _ = w1.post(b"old 1\nnot base64\n\n" + latest48.encode())
        R.check(st == 400, "a malformed proof line: 400 (got %d)" % st)
        status, _ = get("http://127.0.0.1:%d/add-checkpoint" % w1.port)
        R.check(status == 405, "GET add-checkpoint: 405 (got %d)" % status)
        # A rollback: the checkpoint of size 40 from old 48 (400) or from old 40 (409).
        st, _, _ = w1.post(wc.add_checkpoint_body(48, [], note))
        R.check(st == 400, "a rollback to 40 from old 48: 400 (got %d)" % st)
        st, _, _ = w1.post(wc.add_checkpoint_body(40, [], note))
        R.check(st == 409, "a rollback to 40 claiming old 40: 409 (got %d)" % st)

        R.section("a restarted witnessd keeps its state and refuses rollbacks")
        R.check(w1.stop() == 0, "witnessd stops cleanly")
        w1 = Witnessd(witnessd, tmp, "w1", os.path.join(tmp, "w1.key"), vkey)
        st, ctype, body = w1.post(wc.add_checkpoint_body(0, [], note))
        R.check(st == 409 and body == b"48\n", "after restart: still at 48 (got %d %r)" %
                (st, body))

        R.section("crash between persisting and replying: the state is there after restart")
        env = dict(os.environ, LEDGER_CRASH_AT="witness-after-persist")
        w3 = Witnessd(witnessd, tmp, "w3", os.path.join(tmp, "down.key"), vkey, env=env)
        try:
            w3.post(wc.add_checkpoint_body(0, [], note))
            R.check(False, "the crashing witness must not reply")
        except (OSError, http.client.HTTPException):
            pass
        R.check(w3.proc.wait(timeout=20) == 137, "witnessd died at the crash point (137)")
        w3.log.close()
        w3 = Witnessd(witnessd, tmp, "w3", os.path.join(tmp, "down.key"), vkey)
        st, _, body = w3.post(wc.add_checkpoint_body(0, [], note))
        R.check(st == 409 and body == b"40\n", "restarted: 409 with the persisted size 40 "
                "(got %d %r)" % (st, body))
        w3.stop()
    finally:
        fakes.close()
        if server is not None:
            server.kill()
        for w in (w1, w2):
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()


def main():
    R.main(run, "witness-", sys.argv[1:5])


if __name__ == "__main__":
    main()
