#!/usr/bin/env python3
"""Writes bench/REPORT.md and the PNG plots from the JSON results of bench/run.sh.

    report.py --results=DIR --report=FILE.md    # report + plots (gnuplot) into DIR
    report.py --results=DIR --check             # exit 1 when a benchmark saw errors (CI smoke)
"""
import argparse
import glob
import json
import os
import subprocess
import sys

# Reference figures of ../shared/docs/PERFORMANCE.md (an idle machine of this kind), to show how
# loaded this run's machine was.
PERF_DOC = {"verify_1t_per_s": 12300, "verify_2t_per_s": 24500, "sign_1t_per_s": 39000,
            "sign_2t_per_s": 69000}

GOALS = {"stream": 0.8, "batch": 0.8, "unary32": 0.4, "unary32_p99_ms": 10, "pg": 3.0,
         "proofs_per_s": 20000, "proofs_p99_ms": 2, "audit": 0.9, "rebuild": 0.5,
         "signed_batch_vs_batch": 3.0, "follower_per_event": 0.8, "follower_signed_batch": 2.0,
         "follower_lag_p99_ms": 500}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(x, digits=0):
    if x is None:
        return "–"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ms(us):
    return None if us is None else us / 1000.0


def yes(ok):
    return "**met**" if ok else "**not met**"


def gnuplot(results, name, script):
    """Runs a gnuplot script writing results/name.png; returns the markdown image link or ''."""
    gp = os.path.join(results, name + ".gp")
    with open(gp, "w") as f:
        f.write(f"set terminal pngcairo size 900,480 font 'sans,10' noenhanced\n")
        f.write(f"set output '{os.path.join(results, name + '.png')}'\n")
        f.write(script)
    try:
        subprocess.run(["gnuplot", gp], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        err = getattr(e, "stderr", b"") or b""
        print(f"report: gnuplot {name}: {e} {err.decode(errors='replace')}", file=sys.stderr)
        return ""
    return f"![{name}](results/{name}.png)"


def write_dat(results, name, rows):
    path = os.path.join(results, name + ".dat")
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(x) for x in r) + "\n")
    return path


def sizes_in(results):
    out = []
    for p in glob.glob(os.path.join(results, "log-*.json")):
        try:
            out.append(int(os.path.basename(p)[4:-5]))
        except ValueError:
            pass
    return sorted(out)


def check(results):
    problems = []
    ing = load(os.path.join(results, "ingest.json"))
    pg = load(os.path.join(results, "pg.json"))
    if not load(os.path.join(results, "ceiling.json")):
        problems.append("ceiling.json missing")
    if not ing:
        problems.append("ingest.json missing")
    else:
        for m in ing["modes"]:
            if m["errors"] or m["events"] == 0:
                problems.append(f"ingest {m['name']}: {m['errors']} errors, {m['events']} events "
                                f"({m['first_error']})")
    if not pg:
        problems.append("pg.json missing")
    else:
        for m in pg["modes"]:
            if m["errors"] or m["bad_signatures"] or m["rows"] == 0:
                problems.append(f"pg {m['name']}: {m['errors']} errors ({m['first_error']})")
        if pg["chain_check"]["broken_links"] != 0:
            problems.append("pg hash chain broken")
    sizes = sizes_in(results)
    if not sizes:
        problems.append("no log-*.json")
    for n in sizes:
        lg = load(os.path.join(results, f"log-{n}.json"))
        for p in lg.get("proofs", []):
            if p["failed"]:
                problems.append(f"log {n}: {p['failed']} {p['kind']} proofs failed")
        if "audit_ledgerctl" in lg and lg["audit_ledgerctl"]["exit_code"] != 0:
            problems.append(f"log {n}: ledgerctl verify failed")
        sv = load(os.path.join(results, f"serve-{n}.json"))
        if not sv:
            problems.append(f"serve-{n}.json missing")
        else:
            for p in sv["grpc_proofs"]:
                if p["failed"]:
                    problems.append(f"serve {n}: {p['failed']} {p['kind']} proofs failed")
    rb = load(os.path.join(results, "rebuild.json"))
    if not rb or rb.get("rebuild_events_per_s", 0) <= 0:
        problems.append("rebuild.json missing or empty")
    rp = load(os.path.join(results, "replicate.json"))
    if not rp:
        problems.append("replicate.json missing")
    else:
        if not rp["catch_up"]["complete"]:
            problems.append("replication: the follower did not catch up")
        if rp["steady"]["errors"] or rp["steady"]["events"] == 0:
            problems.append(f"replication: {rp['steady']['errors']} ingest errors "
                            f"({rp['steady']['first_error']})")
    ex = load(os.path.join(results, "explorer.json"))
    if not ex or not ex.get("api_requests", {}).get("n"):
        problems.append("explorer.json missing or empty")
    elif ex.get("browser_error"):
        problems.append(f"explorer: the browser run failed ({ex['browser_error']})")
    checks = 10 + 2 * len(sizes)
    for p in problems:
        print("bench check: " + p)
    print(f"bench smoke: {checks - len(problems)} passed, {len(problems)} failed")
    print(f"{checks - len(problems)} passed, {len(problems)} failed")  # the line CI sums
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--report")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    R = a.results
    if a.check:
        sys.exit(check(R))

    env = load(os.path.join(R, "env.json")) or {}
    env_end = load(os.path.join(R, "env-end.json")) or {}
    sizes_info = load(os.path.join(R, "sizes.json")) or {}
    ceil = load(os.path.join(R, "ceiling.json")) or {}
    ceil_end = load(os.path.join(R, "ceiling-end.json")) or {}
    ing = load(os.path.join(R, "ingest.json")) or {"modes": []}
    pg = load(os.path.join(R, "pg.json")) or {"modes": []}
    sizes = sizes_in(R)
    logs = {n: load(os.path.join(R, f"log-{n}.json")) for n in sizes}
    serves = {n: load(os.path.join(R, f"serve-{n}.json")) for n in sizes}
    big = sizes[-1] if sizes else None
    L = []  # report lines
    W = L.append

    W("# factledger benchmarks")
    W("")
    W("Generated by `bench/run.sh` (see [README.md](README.md) for what each number means). "
      "Every ratio is to the **2-core Ed25519 verify ceiling measured in the same run, right "
      "before the measurement it divides** (the machine is shared and its capacity drifts; "
      "absolute numbers alone mean little). Do not edit: rerun.")
    W("")
    W(f"- Run: {env.get('date', '?')}, git `{env.get('git_head', '?')}`"
      f"{' (with uncommitted changes in the work tree)' if env.get('git_dirty') else ''}, "
      f"{env_end.get('run_seconds', '?')} s{' — **SMOKE run (tiny sizes), not a measurement**' if env.get('smoke') else ''}"
      f"{' — **with perf profiling (slower)**' if env.get('perf') else ''}.")
    W(f"- Machine: {env.get('cpu', '?')}, {env.get('cores', '?')} cores, {env.get('mem_gib', '?')} GiB, "
      f"Linux {env.get('kernel', '?')}; load average {env.get('loadavg_start', '?')} at the start, "
      f"{env_end.get('loadavg_end', '?')} at the end (other engineers' builds share the cores).")
    W(f"- Software: {env.get('versions', '?')} {env.get('postgres', '')}.")
    W(f"- Claims: {ing.get('claims', '?')}, mean serialised event {fmt(ing.get('mean_event_bytes'))} bytes; "
      "every event signed before its mode's clock starts, each with a distinct event id.")
    W("")

    # ---- goals ----
    def modes(kind):
        return [m for m in ing["modes"] if m["kind"] == kind]

    def best(kind):
        ms_ = modes(kind)
        return max(ms_, key=lambda m: m["ratio_to_ceiling"]) if ms_ else None

    goal_rows = []
    s_best, b_best = best("stream"), best("batch")
    if s_best:
        goal_rows.append(("AppendStream ≥ 0.8× ceiling",
                          f"{s_best['ratio_to_ceiling']:.2f}× ({s_best['name']}, {fmt(s_best['events_per_s'])}/s)",
                          yes(s_best["ratio_to_ceiling"] >= GOALS["stream"])))
    if b_best:
        goal_rows.append(("AppendBatch (100/request) ≥ 0.8× ceiling",
                          f"{b_best['ratio_to_ceiling']:.2f}× ({b_best['name']}, {fmt(b_best['events_per_s'])}/s)",
                          yes(b_best["ratio_to_ceiling"] >= GOALS["batch"])))
    u32 = [m for m in modes("unary") if m["concurrency"] == 32]
    if u32:
        m = u32[0]
        p99 = ms(m["latency"]["p99_us"])
        goal_rows.append(("unary Append @32 ≥ 0.4× ceiling, p99 ≤ 10 ms",
                          f"{m['ratio_to_ceiling']:.2f}×, p99 {p99:.1f} ms ({fmt(m['events_per_s'])}/s)",
                          yes(m["ratio_to_ceiling"] >= GOALS["unary32"] and p99 <= GOALS["unary32_p99_ms"])))
    lagged = [m for m in ing["modes"] if m.get("view_lag", {}).get("samples")]
    if lagged:
        worst = max(lagged, key=lambda m: m["view_lag"]["ms_p99"])
        goal_rows.append(("views' lag behind the log p99 ≤ 1 s in every ingest mode (issue 13)",
                          f"worst {fmt(worst['view_lag']['ms_p99'])} ms ({worst['name']}, "
                          f"{fmt(worst['view_lag']['entries_p99'])} entries)",
                          yes(worst["view_lag"]["ms_p99"] <= 1000)))
    # ledger vs PostgreSQL at matching mode and concurrency.
    pairs = []
    for m in ing["modes"]:
        kind = {"unary": "row", "batch": "batch"}.get(m["kind"])
        if not kind:
            continue
        for p in pg["modes"]:
            if p["chain"] and p["kind"] == kind and p["concurrency"] == m["concurrency"]:
                plain = [q for q in pg["modes"] if not q["chain"] and q["kind"] == kind
                         and q["concurrency"] == m["concurrency"]]
                pairs.append((m, p, plain[0] if plain else None))
    if pairs:
        met = [x for x in pairs if x[0]["events_per_s"] >= GOALS["pg"] * x[1]["rows_per_s"]]
        ratios = ", ".join(f"{m['name']} {m['events_per_s'] / max(p['rows_per_s'], 1e-9):.1f}×"
                           for m, p, _ in pairs)
        goal_rows.append(("ledger ≥ 3× PostgreSQL (same guarantees, same concurrency and batch)",
                          ratios, yes(len(met) == len(pairs)) + (f" ({len(met)} of {len(pairs)})" if 0 < len(met) < len(pairs) else "")))
    if big and logs[big] and logs[big].get("proofs"):
        pr = logs[big]["proofs"]
        allcores = [p for p in pr if p["threads"] == max(q["threads"] for q in pr)]
        worst_rate = min(p["per_s"] for p in allcores)
        worst_p99 = max(p["latency"]["p99_us"] for p in allcores) / 1000
        goal_rows.append((f"proofs at 1M entries ≥ 20k/s, p99 < 2 ms (in-process, all cores; this run: {fmt(logs[big]['tree_size'])} entries)",
                          " / ".join(f"{p['kind']} {fmt(p['per_s'])}/s p99 {p['latency']['p99_us'] / 1000:.2f} ms"
                                     for p in allcores),
                          yes(worst_rate >= GOALS["proofs_per_s"] and worst_p99 < GOALS["proofs_p99_ms"])))
    if big and logs[big] and "audit_ledgerctl" in logs[big]:
        au = logs[big]["audit_ledgerctl"]
        goal_rows.append((f"`ledgerctl verify` ≥ 0.9× ceiling ({fmt(logs[big]['tree_size'])} entries)",
                          f"{au['ratio_to_ceiling']:.2f}× ({fmt(au['entries_per_s'])}/s)",
                          yes(au["ratio_to_ceiling"] >= GOALS["audit"])))
    if len(sizes) >= 2:
        first, last = logs[sizes[0]]["restart"]["open_median_s"], logs[sizes[-1]]["restart"]["open_median_s"]
        # O(log n) work at start-up: allow 2x (or 20 ms) over a 100x longer log, for noise.
        goal_rows.append(("restart does not depend on log length",
                          f"OpenLog median {first * 1e3:.0f} ms at {fmt(logs[sizes[0]]['tree_size'])} → {last * 1e3:.0f} ms at {fmt(logs[sizes[-1]]['tree_size'])}",
                          yes(last <= max(2 * first, first + 0.02))))
    sb = [m for m in modes("signed-batch")]
    for m in sb:
        same = [b for b in modes("batch") if b["concurrency"] == m["concurrency"]]
        if same:
            r = m["events_per_s"] / max(same[0]["events_per_s"], 1e-9)
            goal_rows.append((f"AppendSignedBatch ({m['events_per_request']} events/signature) ≥ 3× AppendBatch @{m['concurrency']}",
                              f"{r:.1f}× ({fmt(m['events_per_s'])}/s vs {fmt(same[0]['events_per_s'])}/s; "
                              f"{m['ratio_to_ceiling']:.2f}× the ceiling)",
                              yes(r >= GOALS["signed_batch_vs_batch"])))
    rb = load(os.path.join(R, "rebuild.json"))
    if rb:
        goal_rows.append((f"view rebuild ≥ 0.5× raw scan + parse ({fmt(rb['entries'])} entries)",
                          f"{rb['ratio_wall']:.2f}× ({fmt(rb['rebuild_events_per_s'])}/s vs {fmt(rb['raw_events_per_s'])}/s)",
                          yes(rb["ratio_wall"] >= GOALS["rebuild"])))
    rp = load(os.path.join(R, "replicate.json"))
    if rp:
        cu, st_ = rp["catch_up"], rp["steady"]
        pe, sb = cu.get("per_event_part"), cu.get("signed_batch_part")
        if pe and sb and sb["entries"] > 0:
            goal_rows.append((f"replication: follower catch-up ≥ {GOALS['follower_per_event']}× the ceiling "
                              f"(per-event signatures), ≥ {GOALS['follower_signed_batch']}× (signed batches of "
                              f"{cu['signed_batch_events_per_signature']})",
                              f"{pe['ratio_to_ceiling']:.2f}× ({fmt(pe['entries_per_s'])}/s); "
                              f"{sb['ratio_to_ceiling']:.2f}× ({fmt(sb['entries_per_s'])}/s)",
                              yes(pe["ratio_to_ceiling"] >= GOALS["follower_per_event"] and
                                  sb["ratio_to_ceiling"] >= GOALS["follower_signed_batch"])))
        else:
            goal_rows.append((f"replication: follower catch-up ≥ {GOALS['follower_per_event']}× the ceiling",
                              f"{cu['ratio_to_ceiling']:.2f}× ({fmt(cu['entries_per_s'])}/s)",
                              yes(cu["ratio_to_ceiling"] >= GOALS["follower_per_event"])))
        goal_rows.append((f"replication: steady lag p99 ≤ {GOALS['follower_lag_p99_ms']} ms at maximum ingest",
                          f"p99 {fmt(st_['lag_ms']['p99'])} ms ({fmt(st_['lag_entries']['p99'])} entries) at "
                          f"{fmt(st_['events_per_s'])}/s ingest",
                          yes(st_["lag_ms"]["p99"] <= GOALS["follower_lag_p99_ms"])))
    W("## Goals (issue 8)")
    W("")
    W("| goal | this run | |")
    W("|---|---|---|")
    for g in goal_rows:
        W(f"| {g[0]} | {g[1]} | {g[2]} |")
    W("")

    # ---- 1. ceiling ----
    W("## 1. The ceiling: Ed25519 (libsodium, `crypto::Ed25519Verify`)")
    W("")
    W("| operation | start of run | end of run | idle machine (PERFORMANCE.md) |")
    W("|---|---:|---:|---:|")
    for key, label in [("verify_1t_per_s", "verify, 1 thread"), ("verify_2t_per_s", "verify, 2 threads"),
                       ("sign_1t_per_s", "sign, 1 thread"), ("sign_2t_per_s", "sign, 2 threads")]:
        W(f"| {label} | {fmt(ceil.get(key))}/s | {fmt(ceil_end.get(key))}/s | {fmt(PERF_DOC[key])}/s |")
    W("")
    if ceil.get("verify_2t_per_s"):
        W(f"This run's machine gave {ceil['verify_2t_per_s'] / PERF_DOC['verify_2t_per_s']:.0%} of an idle "
          "machine's verify rate at the start: everything below is slowed down alike, which is why only "
          "ratios to the adjacent ceiling are compared.")
        W("")

    # ---- 2. ingest ----
    W("## 2. Ingest: durable verified appends through gRPC on loopback")
    W("")
    W(f"A real `ledgerd` (started by the harness on a fresh data directory, plaintext, 127.0.0.1) and the "
      f"client share the {env.get('cores', 2)} cores. Each mode runs {ing.get('seconds_per_mode', '?')} s "
      f"(or until its pre-signed pool is used up); one TCP connection per client or stream. "
      f"Latency is per request (per batch of {ing.get('batch_size', 100)} for AppendBatch); for streams it "
      f"is per event from send to acknowledgement with at most {ing.get('stream_window', '?')} events "
      f"in flight per stream.")
    W("")
    W("| mode | events/s | ceiling (adjacent) | ratio | p50 ms | p99 ms | p99.9 ms | server CPU µs/event | + deferred view catch-up | verify share of server CPU (est.) | client CPU µs/event | client share of CPU | others' load (cores) | errors |")
    W("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in ing["modes"]:
        c = m["cpu"]
        others = c["other_cpu_s"] / c["wall_s"] if c["wall_s"] else 0
        # CPU time of one verification, measured with the adjacent ceiling.
        verify_us = m.get("verify_cpu_us", 0)
        per_event = m.get("server_cpu_us_per_event_with_deferred") or c.get("server_cpu_us_per_event")
        share = verify_us / per_event if per_event else 0
        W(f"| {m['name']} | {fmt(m['events_per_s'])} | {fmt(m['ceiling_2t_per_s'])} | "
          f"{m['ratio_to_ceiling']:.2f}× | {ms(m['latency']['p50_us']):.2f} | {ms(m['latency']['p99_us']):.2f} | "
          f"{ms(m['latency']['p999_us']):.2f} | {fmt(c.get('server_cpu_us_per_event'))} | "
          f"{fmt(m.get('server_cpu_us_per_event_with_deferred'))} ({m.get('deferred_s', 0):.1f} s) | {share:.0%} | "
          f"{fmt(c.get('client_cpu_us_per_event'))} | {c['client_share']:.0%} | {others:.2f} | "
          f"{m['errors']}{' (pool used up)' if m['pool_exhausted'] else ''} |")
    W("")
    W("After each mode the harness waits until `ledgerd` is idle again: it catches its views up with "
      "the log in a background thread, and what was still pending when the mode ended is shown as "
      "'+ deferred view catch-up' (server CPU per event including it, and how long it took).")
    W("")
    # Where ledgerd's CPU went, by thread (ingest_bench reads /proc/<pid>/task around each mode
    # and around its deferred catch-up).
    def thread_column(g):
        if g.startswith("views"):
            return g
        if g.startswith("rocksdb"):
            return "RocksDB background"
        return {"grpcpp_sync_ser": "gRPC handlers (admission)", "sequencer": "sequencer",
                "check": "check (verify pool)", "anchor": "anchor",
                "(ended threads)": "ended threads (stream appenders, gRPC)"}.get(g, "other")
    def by_column(per_group):
        out = {}
        for g, us in (per_group or {}).items():
            out[thread_column(g)] = out.get(thread_column(g), 0) + us
        return out
    columns = []
    for m in ing["modes"]:
        for key in ("server_threads_us_per_event", "server_threads_deferred_us_per_event"):
            columns += [c for c in by_column(m.get(key)) if c not in columns]
    order = ["gRPC handlers (admission)", "check (verify pool)", "ended threads (stream appenders, gRPC)",
             "sequencer", "anchor", "RocksDB background", "other"]
    columns = [c for c in order if c in columns] + sorted(c for c in columns if c not in order)
    if columns:
        W("Where `ledgerd`'s CPU goes, by thread, in µs per event during the mode (+ during the "
          "deferred catch-up after it); the `views-*` threads maintain the views:")
        W("")
        W("| mode | " + " | ".join(columns) + " | total |")
        W("|---|" + "---:|" * (len(columns) + 1))
        for m in ing["modes"]:
            during = by_column(m.get("server_threads_us_per_event"))
            deferred = by_column(m.get("server_threads_deferred_us_per_event"))
            if not during:
                continue
            cells = []
            for c in columns:
                d, dd = during.get(c, 0), deferred.get(c, 0)
                cells.append((f"{d:.1f}" + (f" (+{dd:.1f})" if dd >= 0.05 else "")) if d or dd else "")
            total = sum(during.values()) + sum(deferred.values())
            W(f"| {m['name']} | " + " | ".join(cells) + f" | {total:.0f} |")
        W("")
    W("'Verify share' estimates how much of `ledgerd`'s CPU per event is the one signature "
      "verification (the CPU time of one `Ed25519Verify`, measured with the adjacent ceiling, over "
      "the server's CPU time per event including the deferred catch-up): what is not verification is "
      "overhead the ceiling does not force — RPC, parsing, the sequencer and its commit, and "
      "whatever else the server does meanwhile (see the profiles when run with `--perf`).")
    W("")
    W("The client's CPU share is CPU time of the benchmark client over client + `ledgerd` CPU time "
      "(getrusage / `/proc/<pid>/stat`). On a dedicated server the client would run elsewhere: "
      "`ceiling × (1 − client share)` is then a fair reading of the CPU left to the server in this run. "
      "'Others' load' is CPU used meanwhile by every other process on the machine, in cores.")
    W("")
    lag_modes = [m for m in ing["modes"] if m.get("view_lag")]
    if lag_modes:
        W("The views behind the log during each mode: the harness reads `GetViewStatus` (the log's "
          "size and the views' watermark, read together) every ~10 ms on a connection of its own. "
          "Lag in entries is size − watermark; lag in time is how long after a sample the views "
          "first reported that sample's size.")
        W("")
        W("| mode | samples | lag p50 entries | p99 entries | max entries | lag p50 ms | p99 ms | max ms |")
        W("|---|---:|---:|---:|---:|---:|---:|---:|")
        for m in lag_modes:
            g = m["view_lag"]
            W(f"| {m['name']} | {g['samples']} | {fmt(g['entries_p50'])} | {fmt(g['entries_p99'])} | "
              f"{fmt(g['entries_max'])} | {fmt(g['ms_p50'])} | {fmt(g['ms_p99'])} | {fmt(g['ms_max'])} |")
        W("")
    after = ing.get("after", {})
    if after:
        W(f"After ingest: {fmt(after.get('tree_size'))} entries; `ledgerd` resident memory "
          f"{after.get('ledgerd_vmrss_bytes', 0) / 2**20:.0f} MiB (peak {after.get('ledgerd_vmhwm_bytes', 0) / 2**20:.0f} MiB), "
          f"{after.get('ledgerd_threads')} threads; data directory {after.get('data_dir_disk_bytes', 0) / 2**20:.0f} MiB on disk "
          f"({fmt(after.get('disk_bytes_per_entry'))} bytes per entry; {after.get('data_dir_apparent_bytes', 0) / 2**20:.0f} MiB apparent — "
          "RocksDB preallocates its write-ahead log, and one checkpoint is stored per group commit).")
        W("")
    rows = []
    for i, m in enumerate(ing["modes"]):
        rows.append((i, f'"{m["name"]}"', m["ratio_to_ceiling"], m["events_per_s"]))
    if rows:
        write_dat(R, "ingest", rows)
        ymax = max(1.0, 1.15 * max(r[2] for r in rows))
        img = gnuplot(R, "ingest", f"""
set title 'Ingest through gRPC: events/s as a ratio to the 2-core verify ceiling'
set style fill solid 0.7 border -1
set boxwidth 0.6
set key top left
set yrange [0:{ymax:.2f}]
set ylabel 'ratio to ceiling'
set grid ytics
set xtics rotate by -30
f(x) = 0.8
g(x) = 0.4
plot '{R}/ingest.dat' using 1:3:xtic(2) with boxes lc rgb '#4477aa' title 'ledger', \\
     '' using 1:3:(sprintf('%.0f/s', $4)) with labels offset 0,1 notitle, \\
     0.8 with lines dt 2 lc rgb '#cc3311' title 'goal stream/batch 0.8x', \\
     0.4 with lines dt 3 lc rgb '#ee7733' title 'goal unary@32 0.4x'
""")
        W(img)
        W("")
    un = modes("unary")
    if un:
        write_dat(R, "latency", [(m["concurrency"], ms(m["latency"]["p50_us"]), ms(m["latency"]["p99_us"]),
                                  ms(m["latency"]["p999_us"])) for m in un])
        img = gnuplot(R, "latency", f"""
set title 'Unary Append latency (durable: verified, fsynced, checkpoint signed)'
set xlabel 'concurrent clients'
set ylabel 'ms'
set logscale x 2
set logscale y
set grid
set key top left
plot '{R}/latency.dat' using 1:2 with linespoints pt 7 title 'p50', \\
     '' using 1:3 with linespoints pt 7 title 'p99', \\
     '' using 1:4 with linespoints pt 7 title 'p99.9', \\
     10 with lines dt 2 lc rgb '#cc3311' title 'goal p99 10 ms @32'
""")
        W(img)
        W("")

    # ---- 3. PostgreSQL ----
    W("## 3. PostgreSQL 15: the alternative users would build")
    W("")
    st = pg.get("settings", {})
    W(f"A private cluster (initdb in a temporary directory, Unix socket only; "
      f"fsync={st.get('fsync', '?')}, synchronous_commit={st.get('synchronous_commit', '?')}, "
      f"wal_sync_method={st.get('wal_sync_method', '?')}, full_page_writes={st.get('full_page_writes', '?')}, "
      f"shared_buffers={st.get('shared_buffers', '?')}, server {st.get('server_version', '?')}). "
      "**chain**: the client verifies every signature with the same `crypto::Ed25519Verify` call over "
      "the same v1 signing input, then one call of a plpgsql function that takes `LOCK TABLE claims IN "
      "EXCLUSIVE MODE` (held to commit, so the chain is linear), reads the last hash and inserts each "
      "row with `hash = digest(prev_hash || payload, 'sha256')` (pgcrypto). **plain**: the reference "
      "line, `INSERT … SELECT FROM unnest(…)` with neither verification nor chain. One transaction per "
      f"row (`row`, as unary Append) or per {pg.get('batch_size', 100)} rows (`batch`, as AppendBatch); "
      "binary parameters, one round trip per transaction, one connection per client thread.")
    W("")
    W("| mode | rows/s | ceiling (adjacent) | ratio | p50 ms | p99 ms | server CPU µs/row | client CPU µs/row | client share | errors |")
    W("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in pg["modes"]:
        c = m["cpu"]
        W(f"| {m['name']} | {fmt(m['rows_per_s'])} | {fmt(m['ceiling_2t_per_s'])} | {m['ratio_to_ceiling']:.2f}× | "
          f"{ms(m['latency']['p50_us']):.2f} | {ms(m['latency']['p99_us']):.2f} | "
          f"{fmt(c.get('server_cpu_us_per_event'))} | {fmt(c.get('client_cpu_us_per_event'))} | "
          f"{c['client_share']:.0%} | {m['errors']} |")
    W("")
    if pg.get("chain_check"):
        W(f"The chain was recomputed in SQL after the run: {fmt(pg['chain_check']['rows'])} rows, "
          f"{pg['chain_check']['broken_links']} broken links.")
        W("")
    if pairs:
        W("Ledger against PostgreSQL at the same concurrency and batch size (both durable, both verified):")
        W("")
        W("| ledger mode | ledger events/s | PostgreSQL chain + verify | ledger / PostgreSQL | PostgreSQL plain (reference) | ledger / plain |")
        W("|---|---:|---:|---:|---:|---:|")
        dat = []
        for i, (m, p, q) in enumerate(pairs):
            W(f"| {m['name']} vs {p['name']} | {fmt(m['events_per_s'])} | {fmt(p['rows_per_s'])} | "
              f"**{m['events_per_s'] / max(p['rows_per_s'], 1e-9):.1f}×** | {fmt(q['rows_per_s']) if q else '–'} | "
              f"{(m['events_per_s'] / q['rows_per_s']) if q and q['rows_per_s'] else 0:.2f}× |")
            dat.append((i, f'"{m["kind"]}@{m["concurrency"]}"', m["events_per_s"], p["rows_per_s"],
                        q["rows_per_s"] if q else 0))
        W("")
        write_dat(R, "pg", dat)
        img = gnuplot(R, "pg", f"""
set title 'Ledger vs PostgreSQL 15 (same claims, same concurrency and batch size)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [10:*]
set ylabel 'events (rows) per second, log scale'
set grid ytics
set key top left
plot '{R}/pg.dat' using 3:xtic(2) title 'ledger (verified, chained, durable)' lc rgb '#4477aa', \\
     '' using 4 title 'PostgreSQL: verify + hash chain under a lock' lc rgb '#ee7733', \\
     '' using 5 title 'PostgreSQL: plain inserts (reference)' lc rgb '#bbbbbb'
""")
        W(img)
        W("")

    # ---- 4. proofs ----
    W("## 4. Proofs")
    W("")
    W("In-process through `core::Log::ProveInclusion` (a random entry in the current tree) and "
      "`ProveConsistency` (a random older size to the current one) on the closed-and-reopened log; "
      "every 16th proof is verified. Over gRPC: `ledgerd` restarted on the same directory, 8 client "
      "threads, every proof verified against the served root.")
    W("")
    W("| entries | proof | threads | proofs/s | p50 µs | p99 µs | p99.9 µs | over gRPC: proofs/s | gRPC p99 µs |")
    W("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        lg, sv = logs[n], serves[n]
        for p in lg.get("proofs", []):
            g = [x for x in (sv or {}).get("grpc_proofs", []) if x["kind"] == p["kind"]]
            show_g = g and p["threads"] == max(q["threads"] for q in lg["proofs"])
            W(f"| {fmt(lg['tree_size'])} | {p['kind']} | {p['threads']} | {fmt(p['per_s'])} | {p['latency']['p50_us']:.1f} | "
              f"{p['latency']['p99_us']:.1f} | {p['latency']['p999_us']:.1f} | "
              f"{fmt(g[0]['per_s']) if show_g else ''} | {fmt(g[0]['latency']['p99_us']) if show_g else ''} |")
    W("")

    # ---- 5. audit ----
    W("## 5. Audit: `ledgerctl verify`")
    W("")
    for n in sizes:
        au = logs[n].get("audit_ledgerctl") if logs[n] else None
        if not au:
            continue
        W(f"`ledgerctl verify --data-dir` on the {fmt(logs[n]['tree_size'])}-entry log (every signature, leaf, node, checkpoint and "
          f"RocksDB checksum): {au['seconds']:.1f} s = **{fmt(au['entries_per_s'])} entries/s = "
          f"{au['ratio_to_ceiling']:.2f}× the ceiling** ({fmt(au['ceiling_2t_per_s'])}/s, measured just before); "
          f"{fmt(au['cpu_us_per_entry'])} µs of CPU per entry, of which one verification is "
          f"~{au.get('verify_cpu_us', 0):.0f} µs; peak memory "
          f"{au['max_rss_bytes'] / 2**20:.0f} MiB.")
        W("")

    # ---- 6. scale ----
    W("## 6. Scale: restart, memory, bytes on disk")
    W("")
    W("The large log is built in-process through `core::Log::AppendAll` (batches of 1000 pre-signed "
      "claims from 2 writer threads: every signature verified, every batch one synced group commit), "
      "closed, then measured at each size. Restarts are timed once the build's compactions have "
      "finished and its newest SST file is older than the start-up check's 2-s window: the first "
      "open verifies (and records) the SST files the build wrote, the others verify none — they "
      "are the steady restart.")
    if big and logs[big] and logs[big].get("build", {}).get("stopped_by_time_budget"):
        W("")
        W(f"**The log stopped growing at {fmt(logs[big]['tree_size'])} of the {fmt(big)} entries asked for**: "
          f"the build budget ({fmt(sizes_info.get('build_budget_s'))} s, `--build-budget`) ran out on this "
          "machine, so the largest size measured below (proofs, restart, audit) is the size reached. "
          f"Rerun on a quieter machine, or with a larger `--build-budget`, for {fmt(big)}.")
    W("")
    W("| entries | build entries/s (incl. signing) | OpenLog first (WAL replay, new SST files verified) ms | OpenLog median ms | ledgerd ready s | then views caught up s (CPU s) | ledgerd RSS at start MiB | RSS after catch-up MiB | RSS after proofs MiB | disk bytes/entry | apparent bytes/entry |")
    W("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sdat = []
    for n in sizes:
        lg, sv = logs[n], serves[n] or {}
        b = lg.get("build", {})
        W(f"| {fmt(lg['tree_size'])} | {fmt(b.get('entries_per_s')) if b.get('entries_added') else '–'} | "
          f"{lg['restart']['open_first_s'] * 1e3:.0f} | {lg['restart']['open_median_s'] * 1e3:.0f} | "
          f"{sv.get('ledgerd_ready_s', 0):.2f} | {sv.get('ledgerd_settle_s', 0):.1f} ({sv.get('ledgerd_settle_cpu_s', 0):.1f})"
          f"{'' if sv.get('ledgerd_settled', True) else ' **not finished**'} | "
          f"{sv.get('ledgerd_vmrss_at_start_bytes', 0) / 2**20:.0f} | {sv.get('ledgerd_vmrss_settled_bytes', 0) / 2**20:.0f} | "
          f"{sv.get('ledgerd_vmrss_bytes', 0) / 2**20:.0f} | {fmt(lg['disk']['disk_bytes_per_entry'])} | "
          f"{fmt(lg['disk']['apparent_bytes_per_entry'])} |")
        sdat.append((lg["tree_size"], lg["restart"]["open_median_s"] * 1e3, sv.get("ledgerd_ready_s", 0) * 1e3,
                     sv.get("ledgerd_vmrss_bytes", 0) / 2**20, lg["disk"]["disk_bytes_per_entry"]))
    W("")
    if sdat:
        W("`ledgerd` answers as soon as its log is open, then catches its views up with the log in a "
          "background thread (a log grown by `log_bench` has no views yet, so each restart indexes the "
          "entries added since the previous size); the harness waits until `ledgerd` is idle before "
          "measuring proofs over gRPC — at most `--settle-limit` seconds: where the table says "
          "**not finished**, the proofs over gRPC competed with that catch-up.")
        W("")
        W(f"Mean serialised event: {fmt(ing.get('mean_event_bytes'))} bytes; leaf data adds 109 bytes "
          "plus the event id; RocksDB also stores ~2 Merkle nodes, the leaf-hash and event-id indexes "
          "and the claim record per entry, and one signed checkpoint per group commit.")
        W("")
        write_dat(R, "scale", sdat)
        img = gnuplot(R, "scale", f"""
set title 'Restart time and memory as the log grows'
set logscale x 10
set xlabel 'entries in the log'
set ylabel 'ms'
set y2label 'MiB / bytes per entry'
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
set grid
set key top left
plot '{R}/scale.dat' using 1:2 with linespoints pt 7 title 'datadir::OpenLog (median) ms', \\
     '' using 1:3 with linespoints pt 7 title 'ledgerd ready (spawn to first answer) ms', \\
     '' using 1:4 axes x1y2 with linespoints pt 5 title 'ledgerd RSS after proofs, MiB', \\
     '' using 1:5 axes x1y2 with linespoints pt 9 title 'disk bytes per entry'
""")
        W(img)
        W("")

    # ---- 7. rebuild ----
    W("## 7. Replay: view rebuild")
    W("")
    if rb:
        W(f"`ViewEngine::Rebuild` of all {rb.get('views', 11)} views into a fresh RocksDB (`bench/views/rebuild_bench`) from the "
          f"largest log above ({fmt(rb['entries'])} entries, opened read-only), against the least any replay "
          "must do: a raw scan of the same entries with leaf decoding and event parsing. Medians of "
          f"{rb['runs']} runs each, alternated.")
        W("")
        W("| | events/s | events per CPU-second |")
        W("|---|---:|---:|")
        W(f"| raw scan + decode + parse | {fmt(rb['raw_events_per_s'])} | {fmt(rb['raw_events_per_cpu_s'])} |")
        W(f"| rebuild (batch {rb['batch']}, {rb.get('lanes', 1)} lanes) | {fmt(rb['rebuild_events_per_s'])} | {fmt(rb['rebuild_events_per_cpu_s'])} |")
        W(f"| **ratio** | **{rb['ratio_wall']:.2f}×** | {rb['ratio_cpu']:.2f}× |")
        if rb.get("settled_events_per_s"):
            W(f"| rebuild until RocksDB's compactions have settled | {fmt(rb['settled_events_per_s'])} | {fmt(rb['settled_events_per_cpu_s'])} |")
        if rb.get("one_lane_events_per_s"):
            W(f"| rebuild in one lane (for comparison) | {fmt(rb['one_lane_events_per_s'])} | {fmt(rb['one_lane_events_per_cpu_s'])} |")
        W("")
        W("The views are queryable when `Rebuild` returns; the batch files it added to level 0 are "
          "then merged once by RocksDB in the background (a bulk load: `ledger/views/rocksdb_view_store.h`). "
          "The settled row includes that merge.")
        W("")
        W(f"A rebuild applies {fmt(rb['batch'])} entries at a time in memory and writes each batch as one "
          "sorted SST file per lane that RocksDB ingests whole (no memtable, no write-ahead log, no flush); "
          "the batch's entries are decoded in parallel chunks, each lane (a contiguous run of views) "
          "applies its views on a thread of its own, and the next batch is applied while the previous "
          "one is written. Peak resident memory of the "
          f"benchmark process: {rb.get('peak_rss_bytes', 0) / 2**20:.0f} MiB.")
    else:
        W("Not measured in this run (rebuild.json missing).")
    W("")

    # ---- 7b. claim matching ----
    mt = load(os.path.join(R, "match.json"))
    W("## 7b. Claim matching")
    W("")
    if mt:
        lat = mt["latency"]
        W(f"`MatchIndex` (ledger/views/match_index.h) over {fmt(mt['claims'])} claims ({mt['source']}, "
          "recombined into distinct statements), fed the claim state records in 32,768-record "
          "batches as the view engine's listener feeds it (`bench/views/match_bench`); queries from one "
          "thread, half edited variants of indexed statements, half unrelated word salads. In-process: "
          "MatchClaims over gRPC adds the call (~0.1 ms) and one GetClaim per listed match.")
        W("")
        W("| | |")
        W("|---|---:|")
        W(f"| index build | {mt['build_seconds']:.1f} s ({mt['build_cpu_seconds']:.1f} CPU-s, match terms included) |")
        W(f"| index memory (its estimate) | {mt['memory_bytes'] / 2**20:.0f} MiB ({mt['memory_bytes'] / max(1, mt['claims']):.0f} B/claim) |")
        if 'resident_growth_bytes' in mt:
            W(f"| the process grew by (resident, allocator included) | {mt['resident_growth_bytes'] / 2**20:.0f} MiB ({mt['resident_growth_bytes'] / max(1, mt['claims']):.0f} B/claim) |")
        W(f"| queries/s (1 thread) | {fmt(mt['queries_per_second'])} |")
        W(f"| latency p50 / p99 / max | {lat['p50_us'] / 1000:.2f} / **{lat['p99_us'] / 1000:.2f}** / {lat['max_us'] / 1000:.2f} ms (goal p99 ≤ 20 ms) |")
        W(f"| variants whose original ranks first | {mt['variant_recall_at_1']:.3f} (siblings share most words) |")
    else:
        W("Not measured in this run (match.json missing).")
    W("")

    # ---- 8. replication ----
    W("## 8. Replication")
    W("")
    if rp:
        cu, st_ = rp["catch_up"], rp["steady"]
        W(f"An empty follower (`ledgerd init-follower` with the log key and admin key from the operator's "
          f"records, then `serve --follow`) against `ledgerd` serving the largest log ({fmt(rp['entries'])} entries"
          + (f", then {fmt(rp['signed_batch_entries'])} more appended in signed batches" if rp.get("signed_batch_entries") else "")
          + "), "
          "both on this machine: every entry re-verified (signature, Merkle path, checkpoint consistency) "
          "by the follower.")
        W("")
        W(f"- Catch-up: {fmt(cu['entries'])} entries in {cu['seconds']:.1f} s = **{fmt(cu['entries_per_s'])} entries/s "
          f"= {cu['ratio_to_ceiling']:.2f}× the ceiling** ({fmt(rp['ceiling_2t_per_s'])}/s); follower CPU "
          f"{fmt(cu['follower_cpu_us_per_entry'])} µs per entry, leader {cu['leader_cpu_s']:.1f} CPU-s in all; "
          f"the follower's views were idle {cu['follower_views_settle_s']:.1f} s later."
          + ("" if cu["complete"] else " **Did not finish within the limit.**"))
        for key, what in (("per_event_part", "one signature per event (the log_bench log)"),
                          ("signed_batch_part", f"signed batches of {cu.get('signed_batch_events_per_signature', 100)} "
                                                "events (AppendSignedBatch into the leader before the follower starts)")):
            part = cu.get(key)
            if part and part["entries"] > 0:
                W(f"  - {what}: {fmt(part['entries'])} entries in {part['seconds']:.1f} s = "
                  f"**{fmt(part['entries_per_s'])} entries/s = {part['ratio_to_ceiling']:.2f}× the ceiling**; "
                  f"follower CPU {fmt(part['follower_cpu_us_per_entry'])} µs per entry.")
        W(f"- Steady lag while {st_['streams']} AppendStream clients push into the leader at full speed "
          f"({fmt(st_['events_per_s'])} events/s = {st_['ratio_to_ceiling']:.2f}× the ceiling, {st_['seconds']:.1f} s, "
          f"{st_['samples']} samples ~10 ms apart): lag p50 {fmt(st_['lag_entries']['p50'])} entries / "
          f"{fmt(st_['lag_ms']['p50'])} ms, p99 {fmt(st_['lag_entries']['p99'])} entries / {fmt(st_['lag_ms']['p99'])} ms, "
          f"max {fmt(st_['lag_entries']['max'])} entries / {fmt(st_['lag_ms']['max'])} ms; the follower held the "
          f"leader's final size {st_['drain_after_ingest_s'] * 1e3:.0f} ms after ingest stopped. "
          f"Follower CPU {fmt(st_['follower_cpu_us_per_event'])} µs per event meanwhile (it shares the 2 cores "
          "with the leader and the client).")
        def by_thread(d):
            top = sorted(((v, k) for k, v in (d or {}).items() if v >= 0.5), reverse=True)
            return ", ".join(f"{k} {v:.1f}" for v, k in top)
        if cu.get("follower_cpu_us_per_entry_by_thread") or st_.get("follower_cpu_us_per_event_by_thread"):
            W("")
            W("Where the follower's CPU went, by thread, in µs per entry (`follower` applies and verifies "
              "alongside the `verify` helpers; `views-*`, `state-map` and `map-audit` run at `--views-nice`):")
            W("")
            if cu.get("follower_cpu_us_per_entry_by_thread"):
                W(f"- catch-up: {by_thread(cu['follower_cpu_us_per_entry_by_thread'])}")
            if st_.get("follower_cpu_us_per_event_by_thread"):
                W(f"- steady: {by_thread(st_['follower_cpu_us_per_event_by_thread'])}")
    else:
        W("Not measured in this run (replicate.json missing).")
    W("")

    # ---- 9. explorer ----
    ex = load(os.path.join(R, "explorer.json"))
    W("## 9. Explorer: a claim page on the large log (issue 20)")
    W("")
    if ex:
        if ex.get("note"):
            W(f"*{ex['note'][0].upper() + ex['note'][1:]}.*")
            W("")
        W(f"`ledgerd` restarted on the largest log ({fmt(ex['tree_size'])} entries) with `--http-listen`; its views "
          f"caught up {ex['views_ready_s']:.0f} s after start (start-up work, not page work). Then "
          f"{ex['api_requests']['n']} claims at random entries, each page's HTTP requests one after another over one "
          "keep-alive connection on loopback (`bench/explorer_bench.py`):")
        W("")
        W("| | min | p50 | p90 | p99 | max |")
        W("|---|---:|---:|---:|---:|---:|")
        for key, what in (("first_render_requests", "first render: the index (style and app.js inlined) + `/api/v1/log` + `/api/v1/claims/{id}`"),
                          ("api_requests", "the page's data only (static files cached)"),
                          ("verify_requests", f"Verify's requests: checkpoint + signer key + entry + inclusion proof for each of "
                                              f"{ex['verify_entries_mean']:.1f} entries (mean)"),
                          ("browser_first_render", "**chromium: navigation start → claim page rendered** (cache off)"),
                          ("browser_first_render_cached", "chromium: the same with the browser's cache on (a reader's second claim, new tab)"),
                          ("browser_next_claim", "chromium: the next claim in the same tab (link followed → rendered)"),
                          ("browser_floor", "chromium's floor here: a new tab (cache off) loading one small document, no script → load event"),
                          ("browser_verify", "chromium: Verify clicked → \"Verified\" (hashes, proofs, Ed25519 in the page)")):
            v = ex.get(key)
            if v:
                W(f"| {what} | {v.get('min_ms') or 0:.1f} ms | {v['p50_ms']:.1f} ms | {v['p90_ms']:.1f} ms | {v['p99_ms']:.1f} ms | {v['max_ms']:.1f} ms |")
        W("")
        if ex.get("browser"):
            W(f"Browser: {ex['browser']}, headless, {ex['browser_first_render']['n']} pages, each a new tab with "
              "its cache disabled (so every static file is fetched again), on the same 2 cores as `ledgerd` "
              f"(load average {ex.get('loadavg_start', '?')} at the start, {ex.get('loadavg_end', '?')} at the end). "
              "The page's critical path is one response: the index with its style and app.js inlined, "
              "whose first inline script starts `/api/v1/log` and `/api/v1/claims/{id}` (in parallel) while "
              "the rest is parsed; verify.js is loaded after the first render. The server's part of it is the "
              "\"api\" row; the floor row is what chromium alone costs on this machine for any page. "
              "Goal: first render of a claim page under 200 ms on a 1M-entry ledger.")
        elif ex.get("browser_error") or ex.get("browser_skipped"):
            W(f"No browser measurement: {ex.get('browser_error') or ex.get('browser_skipped')}.")
    else:
        W("Not measured in this run (explorer.json missing).")
    W("")

    # ---- profiles ----
    perfs = sorted(glob.glob(os.path.join(R, "perf-*.txt")))
    if perfs:
        W("## Profiles (`perf record -g`, self time by symbol)")
        W("")
        for p in perfs:
            lines = [l.rstrip() for l in open(p, errors="replace") if l.strip() and not l.startswith("#")]
            W(f"`{os.path.basename(p)}` (top entries):")
            W("")
            W("```")
            for l in lines[:70]:
                W(l[:140])
            W("```")
            W("")
    with open(a.report, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
