"""A tiles-reading follower (ledgerd serve --mirror-tiles URL, docs/c2sp.md "Tiles-reading
follower"), end to end with real processes on loopback:
  (a) a leader with --http-listen mirrored over HTTP: the follower reaches the leader's size
      with the same checkpoint, then catches up again after more entries (a consistency proof
      read from level-0 and level-1 tiles);
  (b) a static `ledgerctl export --format tiles` tree served by python3 http.server, mirrored;
  (c) a tampered static export (one byte of an entry bundle flipped): the follower stops with
      fork evidence (BAD_ENTRIES) and never serves a checkpoint;
  (d) a larger export with a flipped Merkle tile hash: the consistency proof read from it does
      not verify, the follower stops (FORK_INCONSISTENT) at its verified size.
Also: --mirror-tiles with --follow is a usage error naming both.

Usage: mirror_test.py LEDGERD LEDGERCTL SEED_CLAIMS_JSONL
"""

import os
import shutil
import subprocess
import sys
import time

import tiles_client as tc
import tiles_test as tt
from checks import wait_until

R = tt.R  # tiles_test's helpers (submit) count into the same results
ORIGIN = tt.ORIGIN


def checkpoint_of(url):
    status, _, body = tc.http_fetcher(url)("checkpoint")
    return body if status == 200 else None


def init_follower(ledgerd, tmp, name, vkey):
    d = os.path.join(tmp, name)
    r = subprocess.run([ledgerd, "init-follower", "--data-dir", d, "--origin", ORIGIN,
                        "--log-key", vkey, "--admin-key", os.path.join(tmp, "admin.key.pub")],
                       capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 0, "ledgerd init-follower %s (stderr %s)" % (name, r.stderr[-300:]))
    return d


def wait_same_checkpoint(mirror, want, what):
    start = time.monotonic()
    try:
        wait_until(lambda: checkpoint_of(mirror.url) == want, 120, what)
        R.check(True, "")
        print("  %s: %.2f s (a figure, not a check)" % (what, time.monotonic() - start))
        return True
    except RuntimeError as e:
        got = checkpoint_of(mirror.url) or b""
        R.check(False, "%s: %s (mirror has %r)" % (what, e, got[:80]))
        return False


def expect_stopped(data_dir, log_path, reason, who):
    """`who` (a mirror on data_dir) wrote fork evidence and logged `reason`."""
    evidence = os.path.join(data_dir, "fork-evidence")
    try:
        wait_until(lambda: os.path.isdir(evidence) and os.listdir(evidence), 120,
                   "a fork evidence file")
        R.check(True, "")
    except RuntimeError as e:
        R.check(False, "%s writes fork evidence: %s" % (who, e))
    # The follower writes the evidence, then logs the stop: wait for the line, do not race it.
    def logged():
        with open(log_path) as f:
            return reason in f.read()
    try:
        wait_until(logged, 30, "the log line naming %s" % reason)
    except RuntimeError:
        pass  # the check below fails, naming what is missing
    R.check(logged(), "%s logs %s" % (who, reason))


def run(ledgerd, ledgerctl, seed_path, tmp):
    R.section("a leader with --http-listen")
    data_dir, vkey = tt.init_ledger(ledgerd, ledgerctl, tmp, ORIGIN)
    if data_dir is None:
        return
    key = os.path.join(tmp, "admin.key")

    R.section("--mirror-tiles with --follow: a usage error naming both")
    both = init_follower(ledgerd, tmp, "B", vkey)
    r = subprocess.run([ledgerd, "serve", "--data-dir", both, "--listen", "127.0.0.1:0",
                        "--follow", "127.0.0.1:1", "--mirror-tiles", "http://127.0.0.1:1"],
                       capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 1 and "--mirror-tiles" in r.stderr and "--follow" in r.stderr,
            "exit 1 naming --mirror-tiles and --follow (got %d %s)" % (r.returncode,
                                                                      r.stderr[-300:]))
    r = subprocess.run([ledgerd, "serve", "--data-dir", both, "--listen", "127.0.0.1:0",
                        "--mirror-tiles", "https://127.0.0.1:1"],
                       capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 1 and "--mirror-tiles" in r.stderr,
            "an https:// URL: exit 1 naming --mirror-tiles (got %d %s)" % (r.returncode,
                                                                          r.stderr[-300:]))

    leader = tt.Ledgerd(ledgerd, data_dir, tmp, "leader")
    mirrors = []
    httpds = []
    try:
        R.section("(a) mirror a live leader's tiles over HTTP")
        tt.claims_file(os.path.join(tmp, "a.jsonl"), seed_path, 0, 600)
        if not tt.submit(ledgerctl, leader, key, os.path.join(tmp, "a.jsonl")):
            return
        m = tt.Ledgerd(ledgerd, init_follower(ledgerd, tmp, "M", vkey), tmp, "mirror",
                       ["--mirror-tiles", leader.url, "--follower-id", "tiles-mirror"])
        mirrors.append(m)
        want = checkpoint_of(leader.url)
        R.check(want is not None and want.split(b"\n")[1] == b"600", "the leader is at 600")
        wait_same_checkpoint(m, want, "the mirror to serve the leader's checkpoint of 600")
        tt.claims_file(os.path.join(tmp, "b.jsonl"), seed_path, 600, 100)
        tt.submit(ledgerctl, leader, key, os.path.join(tmp, "b.jsonl"))
        want = checkpoint_of(leader.url)
        R.check(want.split(b"\n")[1] == b"700", "the leader is at 700")
        if wait_same_checkpoint(m, want, "the mirror to catch up to 700 (a consistency proof "
                                "600 -> 700 from tiles)"):
            tt.expect_verifies(tc.http_fetcher(m.url), vkey, "the mirror's own tiles", 700,
                               [0, 255, 256, 599, 600, 699])
            same = all(tc.http_fetcher(m.url)(p)[2] == tc.http_fetcher(leader.url)(p)[2]
                       for p in ["tile/0/000", "tile/0/002.p/188", "tile/1/000.p/2",
                                 "tile/entries/002.p/188"])
            R.check(same, "the mirror serves the leader's tiles and bundles byte for byte")
        stats = subprocess.run([ledgerctl, "stats", "--json", "--server",
                                "127.0.0.1:%d" % m.port], capture_output=True, text=True,
                               timeout=60)
        R.check(stats.returncode == 0 and "700" in stats.stdout,
                "ledgerctl stats on the mirror shows 700 (%s)" % stats.stdout[-200:])

        R.section("(b) mirror a static export behind python3 http.server")
        site = os.path.join(tmp, "site")
        r = tt.export(ledgerctl, ["--data-dir", data_dir, "--log-key", vkey], site)
        R.check(r.returncode == 0, "export exits 0 (stderr %s)" % r.stderr[-300:])
        httpd = tt.serve_directory(site)
        httpds.append(httpd)
        static_url = "http://127.0.0.1:%d" % httpd.server_address[1]
        static_dir = init_follower(ledgerd, tmp, "S", vkey)
        s = tt.Ledgerd(ledgerd, static_dir, tmp, "static-mirror", ["--mirror-tiles", static_url])
        mirrors.append(s)
        with open(os.path.join(site, "checkpoint"), "rb") as f:
            exported = f.read()
        wait_same_checkpoint(s, exported, "the static mirror to serve the exported checkpoint")

        R.section("(c) a tampered static export: stopped with evidence, nothing served")
        bad = os.path.join(tmp, "bad-site")
        shutil.copytree(site, bad)
        tt.flip(os.path.join(bad, "tile", "entries", "001"), 40)
        bad_httpd = tt.serve_directory(bad)
        httpds.append(bad_httpd)
        bad_dir = init_follower(ledgerd, tmp, "T", vkey)
        t = tt.Ledgerd(ledgerd, bad_dir, tmp, "tampered-mirror",
                       ["--mirror-tiles", "http://127.0.0.1:%d" % bad_httpd.server_address[1]])
        mirrors.append(t)
        expect_stopped(bad_dir, os.path.join(tmp, "tampered-mirror.log"), "BAD_ENTRIES",
                       "the tampered mirror")
        R.check(checkpoint_of(t.url) is None,
                "the tampered mirror serves no checkpoint (it applied nothing)")

        R.section("(d) a larger static export with a tampered Merkle tile: FORK_INCONSISTENT")
        tt.claims_file(os.path.join(tmp, "c.jsonl"), seed_path, 700, 100)
        tt.submit(ledgerctl, leader, key, os.path.join(tmp, "c.jsonl"))
        site2 = os.path.join(tmp, "site2")
        r = tt.export(ledgerctl, ["--data-dir", data_dir, "--log-key", vkey], site2)
        R.check(r.returncode == 0, "export of 800 exits 0 (stderr %s)" % r.stderr[-300:])
        # tile/0/002 (leaves 512..767) holds nodes of the consistency proof 700 -> 800.
        tt.flip(os.path.join(site2, "tile", "0", "002"), 0)
        httpd2 = tt.serve_directory(site2)
        httpds.append(httpd2)
        R.check(s.stop() == 0, "the static mirror exits 0 on SIGTERM")
        mirrors.remove(s)
        s = tt.Ledgerd(ledgerd, static_dir, tmp, "static-mirror-2",
                       ["--mirror-tiles", "http://127.0.0.1:%d" % httpd2.server_address[1]])
        mirrors.append(s)
        expect_stopped(static_dir, os.path.join(tmp, "static-mirror-2.log"), "FORK_INCONSISTENT",
                       "the mirror of the tampered tiles")
        R.check(checkpoint_of(s.url) == exported,
                "the mirror still serves its verified checkpoint of 700")
    finally:
        R.section("stop everything")
        for httpd in httpds:
            httpd.shutdown()
            httpd.server_close()
        for m in mirrors:
            R.check(m.stop() == 0, "a mirror exits 0 on SIGTERM")
            m.kill()
        R.check(leader.stop() == 0, "the leader exits 0 on SIGTERM")
        leader.kill()


def main():
    R.main(run, "mirror-", sys.argv[1:4])


if __name__ == "__main__":
    main()
