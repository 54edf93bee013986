"""tlog-tiles end to end: a real ledgerd with --http-listen, seeded through ledgerctl, read and
verified by the spec-only client tiles_client.py; then `ledgerctl export --format tiles` read
by the same client from the directory and from a static web server, tampered copies refused,
and the export's crash points.

Usage: tiles_test.py LEDGERD LEDGERCTL SEED_CLAIMS_JSONL
"""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import tiles_client as tc
import checks
from checks import Results, wait_until

ORIGIN = "tiles.example/log"
R = Results()


def Ledgerd(ledgerd, data_dir, tmp, name="ledgerd", extra=()):
    """ledgerd (checks.Ledgerd) with its HTTP listener and no free-space floor."""
    return checks.Ledgerd(ledgerd, data_dir, tmp, name, ["--min-free-bytes", "0"] + list(extra),
                          http=True)


def claims_file(path, seed_path, first, count):
    """`count` claims with ids tiles-claim-<first>.., each a variation of the seed's first."""
    with open(seed_path) as f:
        draft = json.loads(f.readline())
    with open(path, "w") as out:
        for i in range(first, first + count):
            d = json.loads(json.dumps(draft))
            d["eventId"] = "tiles-claim-%d" % i
            claim = d["event"]["claimAsserted"]["claim"]
            claim["statement"]["text"] = "Statement number %d of the tiles test." % i
            claim["source"].pop("quote", None)
            out.write(json.dumps(d) + "\n")


def submit(ledgerctl, server, key, path):
    r = subprocess.run([ledgerctl, "submit", "--server", "127.0.0.1:%d" % server.port,
                        "--key", key, path], capture_output=True, text=True, timeout=300)
    return R.check(r.returncode == 0, "ledgerctl submit %s exits 0 (stderr: %s)" %
                   (os.path.basename(path), r.stderr[-500:]))


def expect_verifies(fetch, vkey, what, size, sample):
    try:
        cp, log, entries = tc.verify_log(fetch, vkey, sample)
    except tc.VerificationError as e:
        R.check(False, "%s verifies: %s" % (what, e))
        return None
    R.check(cp.tree_size == size, "%s: checkpoint of size %d (got %d)" %
            (what, size, cp.tree_size))
    for item in entries:  # docs/format.md §4 leaf data, version 1
        if item[:1] != b"\x01" or item[1:2] not in (b"\x01", b"\x02"):
            R.check(False, "%s: an entry bundle item is not our leaf data" % what)
            break
    return cp, log, entries


def expect_refused(fetch, vkey, what):
    try:
        tc.verify_log(fetch, vkey, [0, 1, 300])
        R.check(False, "%s must not verify" % what)
    except tc.VerificationError as e:
        R.check(True, "")
        print("  refused as expected: %s: %s" % (what, e))


def check_http(url, vkey, sample):
    R.section("the HTTP API: headers, status codes")
    get = tc.http_fetcher(url)
    status, headers, body = get("checkpoint")
    R.check(status == 200 and headers.get("Content-Type") == "text/plain; charset=utf-8",
            "checkpoint: 200 text/plain; charset=utf-8 (got %d %r)" %
            (status, headers.get("Content-Type")))
    R.check(headers.get("Cache-Control") == "no-cache", "checkpoint: Cache-Control no-cache")
    status, headers, body = get("tile/0/000")
    R.check(status == 200 and len(body) == 8192, "full tile: 200, 8192 bytes")
    R.check(headers.get("Content-Type") == "application/octet-stream",
            "full tile: application/octet-stream")
    R.check(headers.get("Cache-Control") == "public, max-age=31536000, immutable",
            "full tile: immutable (got %r)" % headers.get("Cache-Control"))
    status, headers, body = get("tile/0/002.p/88")
    R.check(status == 200 and len(body) == 88 * 32, "partial tile: 200, 88 hashes")
    R.check(headers.get("Cache-Control") == "public, max-age=60", "partial tile: max-age=60")
    status, headers, body = get("tile/entries/001")
    R.check(status == 200 and headers.get("Cache-Control") ==
            "public, max-age=31536000, immutable", "full entry bundle: 200, immutable")
    R.check(headers.get("Content-Encoding") == "gzip",
            "entry bundle: gzip when the client offers it")
    status, headers, plain = tc.http_fetcher(url, accept_encoding="identity")("tile/entries/001")
    R.check(status == 200 and "Content-Encoding" not in headers and plain == body,
            "entry bundle: identity when asked, the same bytes once decompressed")
    status, headers, body = tc.http_fetcher(url, "HEAD")("tile/0/000")
    R.check(status == 200 and body == b"" and headers.get("Content-Length") == "8192",
            "HEAD: headers with Content-Length, no body")
    status, headers, _ = tc.http_fetcher(url, "POST")("tile/0/000")
    R.check(status == 405 and headers.get("Allow") == "GET, HEAD", "POST: 405 with Allow")
    for path in ["tile/0/0", "tile/0/0000", "tile/00/000", "tile/0/000.p/0", "tile/0/000.p/256",
                 "tile/0/x000/001", "tile/0/000.p/088", "tile/entries/000.p/", "tile/x/000",
                 "tile/0/001/000"]:
        status, _, body = get(path)
        R.check(status == 400, "malformed %s: 400 (got %d)" % (path, status))
    for path in ["tile/0/003", "tile/0/002", "tile/0/002.p/89", "tile/1/000",
                 "tile/1/000.p/3", "tile/2/000.p/1", "tile/entries/002", "tile/entries/003.p/1",
                 "checkpoints", "tile"]:
        status, _, _ = get(path)
        R.check(status == 404, "outside the tree %s: 404 (got %d)" % (path, status))
    status, _, body = get("tile/0/" + "x001/" * 500 + "001")
    R.check(status == 414, "path over 2048 bytes: 414 (got %d)" % status)


def serve_directory(root):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def export(ledgerctl, args, out, env=None):
    return subprocess.run([ledgerctl, "export", "--format", "tiles"] + args + [out],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **(env or {})))


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 1]))


def init_ledger(ledgerd, ledgerctl, tmp, origin):
    """Makes tmp/admin.key and `ledgerd init`s tmp/D for `origin` with it as the genesis admin:
    (the data directory, its checkpoint verifier key), or (None, None) after a failed check."""
    subprocess.run([ledgerctl, "keygen", "--out", os.path.join(tmp, "admin.key")], check=True,
                   capture_output=True, timeout=60)
    data_dir = os.path.join(tmp, "D")
    init = subprocess.run([ledgerd, "init", "--data-dir", data_dir, "--origin", origin,
                           "--admin-key", os.path.join(tmp, "admin.key.pub")],
                          capture_output=True, text=True, timeout=60)
    if not R.check(init.returncode == 0, "ledgerd init (stderr %s)" % init.stderr):
        return None, None
    return data_dir, re.search(r"^checkpoint verifier key: (\S+)$", init.stdout, re.M).group(1)


def run(ledgerd, ledgerctl, seed_path, tmp):
    R.section("ledgerd init, serve --http-listen")
    data_dir, vkey = init_ledger(ledgerd, ledgerctl, tmp, ORIGIN)
    if data_dir is None:
        return
    server = Ledgerd(ledgerd, data_dir, tmp)
    try:
        R.section("the empty log")
        cp = tc.TiledLog(tc.http_fetcher(server.url)).checkpoint(vkey)
        R.check(cp.tree_size == 0 and cp.root_hash == tc.sha256(b""),
                "empty log: checkpoint of size 0, root SHA-256('')")

        R.section("600 entries: two full level-0 tiles, a partial one of 88, level 1 of 2")
        claims_file(os.path.join(tmp, "a.jsonl"), seed_path, 0, 600)
        if not submit(ledgerctl, server, os.path.join(tmp, "admin.key"),
                      os.path.join(tmp, "a.jsonl")):
            return
        sample = [0, 1, 2, 127, 255, 256, 257, 511, 512, 598, 599]
        got = expect_verifies(tc.http_fetcher(server.url), vkey, "ledgerd over HTTP", 600, sample)
        if got:
            fetched = got[1].fetched
            R.check("tile/1/000.p/2" in fetched and "tile/0/002.p/88" in fetched and
                    "tile/entries/002.p/88" in fetched,
                    "the client used the partial level-1 tile and the partial level-0 tile")
        check_http(server.url, vkey, sample)
        first_tile = tc.http_fetcher(server.url)("tile/0/000")[2]

        R.section("export --format tiles, offline next to the live server")
        out = os.path.join(tmp, "site")
        r = export(ledgerctl, ["--data-dir", data_dir, "--log-key", vkey], out)
        R.check(r.returncode == 0, "export exits 0 (stderr %s)" % r.stderr[-500:])
        print("  " + r.stdout.strip())
        expect_verifies(tc.directory_fetcher(out), vkey, "the exported directory", 600, sample)
        same = True
        get = tc.http_fetcher(server.url)
        for dirpath, _, files in os.walk(out):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), out).replace(os.sep, "/")
                with open(os.path.join(dirpath, name), "rb") as f:
                    if get(rel)[2] != f.read():
                        same = False
                        print("  differs: %s" % rel)
        R.check(same, "every exported file has the bytes ledgerd serves at its path")
        R.check(sorted(os.listdir(os.path.join(out, "tile"))) == ["0", "1", "entries"],
                "export: tile/0, tile/1, tile/entries")
        httpd = serve_directory(out)
        try:
            expect_verifies(tc.http_fetcher("http://127.0.0.1:%d" % httpd.server_address[1]),
                            vkey, "the export served by python3 http.server", 600, sample)
        finally:
            httpd.shutdown()
            httpd.server_close()
        online = os.path.join(tmp, "site-online")
        r = export(ledgerctl, ["--server", "127.0.0.1:%d" % server.port], online)
        R.check(r.returncode == 0, "online export exits 0 (stderr %s)" % r.stderr[-300:])
        R.check(subprocess.run(["diff", "-r", out, online]).returncode == 0,
                "online and offline exports are identical")

        R.section("tampered copies are refused")
        for what, rel, offset in [("a flipped leaf hash", "tile/0/001", 100),
                                  ("a flipped entry byte", "tile/entries/000", 40),
                                  ("a flipped level-1 hash", "tile/1/000.p/2", 5),
                                  ("an altered checkpoint", "checkpoint", 20)]:
            bad = os.path.join(tmp, "bad")
            shutil.rmtree(bad, ignore_errors=True)
            shutil.copytree(out, bad)
            flip(os.path.join(bad, *rel.split("/")), offset)
            expect_refused(tc.directory_fetcher(bad), vkey, what)
        r = export(ledgerctl, ["--data-dir", data_dir], bad)
        R.check(r.returncode == 0, "re-export over a tampered checkpoint replaces it")
        flip(os.path.join(bad, "tile", "0", "001"), 100)
        r = export(ledgerctl, ["--data-dir", data_dir], bad)
        R.check(r.returncode == 2 and "already holds other bytes" in r.stderr,
                "export into a directory of another tree: exit 2 naming the file (got %d %s)" %
                (r.returncode, r.stderr.strip()[-200:]))

        R.section("crash points of the export")
        crashed = os.path.join(tmp, "crashed")
        r = export(ledgerctl, ["--data-dir", data_dir], crashed,
                   {"LEDGER_CRASH_AT": "tiles-export-before-checkpoint"})
        R.check(r.returncode == 137, "crash before the checkpoint: exit 137 (got %d)" %
                r.returncode)
        R.check(not os.path.exists(os.path.join(crashed, "checkpoint")),
                "no checkpoint after a crash before it: readers see no tree yet")
        r = export(ledgerctl, ["--data-dir", data_dir], crashed,
                   {"LEDGER_CRASH_AT": "tiles-export-after-file:3"})
        R.check(r.returncode == 137, "crash after the third file: exit 137 (got %d)" %
                r.returncode)
        r = export(ledgerctl, ["--data-dir", data_dir], crashed)
        R.check(r.returncode == 0 and "already there" in r.stdout,
                "re-run after the crashes exits 0 (%s)" % r.stdout.strip())
        expect_verifies(tc.directory_fetcher(crashed), vkey, "the export after crashes", 600,
                        sample)
        R.check(not any(n.endswith(".tmp") for _, _, fs in os.walk(crashed) for n in fs),
                "no temporary files left")

        R.section("tlog-proof receipts, checked by the spec-only client")
        for seq in (0, 299, 599):
            path = os.path.join(tmp, "entry-%d.tlog-proof" % seq)
            r = subprocess.run([ledgerctl, "bundle", str(seq), "--data-dir", data_dir,
                                "--format", "tlog-proof", "--out", path, "--log-key", vkey],
                               capture_output=True, text=True, timeout=60)
            if not R.check(r.returncode == 0, "bundle %d --format tlog-proof (stderr %s)" %
                           (seq, r.stderr[-300:])):
                continue
            with open(path) as f:
                doc = f.read()
            try:
                index, extra, cp = tc.verify_tlog_proof(doc, vkey)
                R.check(index == seq and extra[33:] == got[2][seq],
                        "tlog-proof of entry %d: its index, and extra's leaf data is the entry "
                        "bundle's item" % seq)
            except tc.VerificationError as e:
                R.check(False, "tlog-proof of entry %d verifies: %s" % (seq, e))
            lines = doc.split("\n")
            lines[2] = "index %d" % (seq + 1)
            try:
                tc.verify_tlog_proof("\n".join(lines), vkey)
                R.check(False, "a tlog-proof with another index must not verify")
            except tc.VerificationError:
                R.check(True, "")
            try:
                tc.verify_tlog_proof(doc, vkey, record_hash=tc.leaf_hash(b"another record"))
                R.check(False, "a tlog-proof of another record hash must not verify")
            except tc.VerificationError:
                R.check(True, "")

        R.section("the log grows to 700 while a client verifies it over and over")
        claims_file(os.path.join(tmp, "b.jsonl"), seed_path, 600, 100)
        growing = subprocess.Popen(
            [ledgerctl, "submit", "--server", "127.0.0.1:%d" % server.port, "--key",
             os.path.join(tmp, "admin.key"), os.path.join(tmp, "b.jsonl")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sizes, problems, rounds = set(), [], 0
        while True:
            rounds += 1
            done = growing.poll() is not None
            try:
                cp, _, _ = tc.verify_log(tc.http_fetcher(server.url), vkey, [0, 599])
                sizes.add(cp.tree_size)
            except tc.VerificationError as e:
                problems.append(str(e))
            if done:
                break
        R.check(growing.returncode == 0, "ledgerctl submit b.jsonl exits 0 (%s)" %
                growing.stderr.read()[-300:])
        R.check(not problems, "every checkpoint seen during appends verifies against the "
                "tiles served after it: %s" % problems[:3])
        print("  %d verification rounds saw %d distinct tree sizes while appending" %
              (rounds, len(sizes)))
        R.check(700 in sizes and min(sizes) >= 600,
                "saw sizes %d..%d while appending (%d distinct)" %
                (min(sizes or {0}), max(sizes or {0}), len(sizes)))
        expect_verifies(tc.http_fetcher(server.url), vkey, "ledgerd at 700", 700,
                        sample + [600, 699])
        R.check(tc.http_fetcher(server.url)("tile/0/000")[2] == first_tile,
                "tile/0/000 is byte-identical after growth")
        R.check(tc.http_fetcher(server.url)("tile/0/002.p/88")[0] == 200,
                "the partial tile of size 600 is still served")
        r = export(ledgerctl, ["--data-dir", data_dir, "--log-key", vkey], out)
        R.check(r.returncode == 0 and "already there" in r.stdout,
                "incremental re-export exits 0 and keeps the full tiles (%s)" % r.stdout.strip())
        expect_verifies(tc.directory_fetcher(out), vkey, "the re-exported directory", 700,
                        sample + [699])

        R.section("a follower serves the same tiles (a tlog-tiles mirror of its leader)")
        follower_dir = os.path.join(tmp, "F")
        r = subprocess.run([ledgerd, "init-follower", "--data-dir", follower_dir, "--origin",
                            ORIGIN, "--log-key", vkey, "--admin-key",
                            os.path.join(tmp, "admin.key.pub")],
                           capture_output=True, text=True, timeout=60)
        if R.check(r.returncode == 0, "ledgerd init-follower (stderr %s)" % r.stderr[-300:]):
            follower = Ledgerd(ledgerd, follower_dir, tmp, "follower",
                               ["--follow", "127.0.0.1:%d" % server.port])
            try:
                status, _, body = tc.http_fetcher(follower.url)("checkpoint")
                R.check(status in (200, 404) and (status == 200 or b"no checkpoint yet" in body),
                        "a follower's /checkpoint is 404 until it has one, never an empty 200 "
                        "(got %d %r)" % (status, body[:60]))
                def caught_up():
                    status, _, body = tc.http_fetcher(follower.url)("checkpoint")
                    return status == 200 and body.split(b"\n")[1:2] == [b"700"]
                wait_until(caught_up, 60, "the follower to reach 700")
                expect_verifies(tc.http_fetcher(follower.url), vkey, "the follower over HTTP",
                                700, [0, 699])
                same = all(tc.http_fetcher(follower.url)(p)[2] ==
                           tc.http_fetcher(server.url)(p)[2]
                           for p in ["checkpoint", "tile/0/000", "tile/0/002.p/188",
                                     "tile/1/000.p/2", "tile/entries/002.p/188"])
                R.check(same, "the follower serves the leader's checkpoint, tiles and bundles "
                        "byte for byte")
            finally:
                R.check(follower.stop() == 0, "the follower exits 0 on SIGTERM")
                follower.kill()
    finally:
        R.section("stop ledgerd")
        R.check(server.stop() == 0, "ledgerd exits 0 on SIGTERM")
        server.kill()


def main():
    R.main(run, "tiles-", sys.argv[1:4])


if __name__ == "__main__":
    main()
