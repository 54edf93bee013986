#!/usr/bin/env python3
"""explorer_bench: what a claim page of the explorer costs on a large log (issue 20).

  explorer_bench.py --ledgerd=PATH --data-dir=DIR --work-dir=DIR [--samples=200]
                    [--browser-samples=20] [--chromium=/usr/bin/chromium]
                    [--node-modules=tests/explorer/node_modules] [--out=FILE.json]

Starts ledgerd on an existing data directory (e.g. bench/log_bench's 1M-entry log) with
--http-listen on loopback, waits until its views have caught up with the log (timed: that is
start-up work, not page work), picks --samples claims at random entries, and measures over one
keep-alive HTTP/1.1 connection, per claim:
  first render  the requests a claim page needs before it can show anything, one after another
                (a browser sends the two API requests in parallel; sequential is the upper
                bound): /explorer/ (style and app.js inlined), /api/v1/log and /api/v1/claims/{id}
  api           /api/v1/log + /api/v1/claims/{id} only (the page's data, static files cached)
  verify        /api/v1/checkpoint, the signer's /api/v1/keys/{key_id}, then for every entry the
                page shows /api/v1/entries/{seq} and /api/v1/proofs/inclusion (the requests of
                the Verify button; the browser's hashing and signature checks are measured by
                the browser run below)
With chromium and puppeteer-core present, it also loads --browser-samples claim pages in
headless chromium (fresh cache each) and records navigation start -> page rendered with its
data, and the Verify button's click -> "Verified" (bench/explorer_browser_bench.js).
Prints and writes JSON: percentiles in milliseconds.
"""
import argparse
import base64
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return round(xs[k], 3)


def summary(xs):
    return {"n": len(xs), "min_ms": round(min(xs), 3) if xs else None, "p50_ms": pct(xs, 50), "p90_ms": pct(xs, 90), "p99_ms": pct(xs, 99),
            "max_ms": round(max(xs), 3) if xs else None}


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        # The server closes idle keep-alive connections: a request on one that was closed is
        # retried once on a new connection (and the failed attempt is not timed).
        for attempt in (0, 1):
            t0 = time.perf_counter()
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 1:
                    raise
                continue
            ms = (time.perf_counter() - t0) * 1000
            return r.status, body, ms

    def json(self, path):
        status, body, ms = self.get(path)
        return status, (json.loads(body) if body else None), ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledgerd", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--browser-samples", type=int, default=20)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--node-modules", default="")
    ap.add_argument("--views-timeout", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    os.makedirs(a.work_dir, exist_ok=True)
    port_file = os.path.join(a.work_dir, "http-port")
    for f in (port_file, os.path.join(a.work_dir, "port")):
        if os.path.exists(f):
            os.remove(f)
    log = open(os.path.join(a.work_dir, "ledgerd.log"), "w")
    t_start = time.perf_counter()
    proc = subprocess.Popen([a.ledgerd, "serve", "--data-dir", a.data_dir, "--listen", "127.0.0.1:0",
                             "--port-file", os.path.join(a.work_dir, "port"),
                             "--http-listen", "127.0.0.1:0", "--http-port-file", port_file],
                            stdout=log, stderr=log)
    with open(os.path.join(a.work_dir, "ledgerd.pid"), "w") as f:
        f.write(str(proc.pid))
    out = {}
    try:
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if proc.poll() is not None:
                sys.exit("explorer_bench: ledgerd exited; see " + log.name)
            time.sleep(0.05)
        port = int(open(port_file).read())
        c = Client(port)
        _, info, _ = c.json("/api/v1/log")
        size = int(info.get("treeSize", 0))
        # The views catch up with the log at start-up (a rebuild when the log was built without
        # them): wait, and report how long it took.
        while True:
            _, views, _ = c.json("/api/v1/views")
            if int(views.get("watermark", 0)) >= size:
                break
            if time.perf_counter() - t_start > a.views_timeout:
                sys.exit("explorer_bench: views did not catch up within --views-timeout")
            time.sleep(0.5)
        out["tree_size"] = size
        out["loadavg_start"] = open("/proc/loadavg").read().split()[0]
        out["views_ready_s"] = round(time.perf_counter() - t_start, 1)
        print(f"explorer_bench: {size} entries, views ready after {out['views_ready_s']} s",
              file=sys.stderr)

        rnd = random.Random(a.seed)
        ids = []
        tries = 0
        while len(ids) < a.samples and tries < a.samples * 20:
            tries += 1
            seq = rnd.randrange(size)
            st, e, _ = c.json(f"/api/v1/entries/{seq}")
            if st != 200:
                continue
            eid = e["entry"]["signedEvent"]["eventId"]
            st, _, _ = c.get(f"/api/v1/claims/{eid}")
            if st == 200:
                ids.append(eid)
        if not ids:
            sys.exit("explorer_bench: found no claims")

        first, api, verify, verify_entries = [], [], [], []
        statics = ["/explorer/"]  # the index inlines its style and app.js; verify.js comes later
        for eid in ids:
            t_static = sum(c.get(p)[2] for p in statics)
            _, _, t_log = c.get("/api/v1/log")
            st, claim, t_claim = c.json(f"/api/v1/claims/{eid}")
            assert st == 200, claim
            first.append(t_static + t_log + t_claim)
            api.append(t_log + t_claim)
            d = claim["claim"]
            seqs = set()
            for k in ("history", "verdicts", "appearances", "relations"):
                for x in d.get(k, []):
                    seqs.add(int(x.get("sequence", 0)))
            _, cp, t = c.json("/api/v1/checkpoint")
            total = t
            # The signer's key (Verify checks each entry's signature; one signer per claim here).
            key_hex = base64.b64decode(d.get("submitterKeyId", "")).hex()
            total += c.get(f"/api/v1/keys/{key_hex}")[2]
            for s in sorted(seqs):
                total += c.get(f"/api/v1/entries/{s}")[2]
                total += c.get(f"/api/v1/proofs/inclusion?sequence={s}&tree_size={cp['treeSize']}")[2]
            verify.append(total)
            verify_entries.append(len(seqs))
        out["first_render_requests"] = summary(first)
        out["api_requests"] = summary(api)
        out["verify_requests"] = summary(verify)
        out["verify_entries_mean"] = round(sum(verify_entries) / len(verify_entries), 2)

        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "explorer_browser_bench.js")
        if (a.browser_samples > 0 and os.access(a.chromium, os.X_OK) and a.node_modules and
                os.path.isdir(os.path.join(a.node_modules, "puppeteer-core"))):
            env = dict(os.environ, NODE_PATH=a.node_modules, HOME=a.work_dir)
            r = subprocess.run(["node", script, f"http://127.0.0.1:{port}", a.chromium,
                                json.dumps(ids[:a.browser_samples])],
                               env=env, capture_output=True, text=True, timeout=900)
            if r.returncode != 0:
                print(r.stderr, file=sys.stderr)
                out["browser_error"] = r.stderr.strip()[-300:]
            else:
                b = json.loads(r.stdout)
                out["browser_first_render"] = summary(b["render_ms"])
                out["browser_verify"] = summary(b["verify_ms"])
                out["browser_first_render_cached"] = summary(b["render_cached_ms"])
                out["browser_next_claim"] = summary(b["render_in_app_ms"])
                out["browser_floor"] = summary(b["floor_ms"])
                out["browser"] = b["browser"]
        else:
            out["browser_skipped"] = "chromium or puppeteer-core not found"
        out["loadavg_end"] = open("/proc/loadavg").read().split()[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        os.remove(os.path.join(a.work_dir, "ledgerd.pid"))
    text = json.dumps(out, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
