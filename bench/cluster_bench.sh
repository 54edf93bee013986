#!/usr/bin/env bash
# Quorum-acknowledged ingest vs a single node, in the same run (issue 18; bench/REPORT.md §10):
# ingest_bench AppendBatch@8 and AppendSignedBatch@8 (100 events per request) against
#   1. one ledgerd (no cluster), then
#   2. a 3-node cluster (3 etcd members + 3 ledgerd --cluster, quorum 2 of 3), measured on the
#      leader; an append is answered once a follower holds it and its checkpoint is published
#      through the fenced etcd transaction.
# Every process shares this machine's cores (the figures say how many). Prints both rates and
# their ratio; the JSON of each run goes to $OUT_DIR (default a temp dir).
#   bench/cluster_bench.sh                 # opt build, 6 s per mode
# Environment: SECONDS_PER_MODE (6), OUT_DIR, LEDGERD / INGEST_BENCH (prebuilt binaries),
#   NODE_CPUS (e.g. 0.5): run every ledgerd -- the single node and each cluster node -- in a
#   cgroup of its own capped at that many cores (bench/cpu_budget.sh; root and the cgroup v1
#   `cpu` controller): one node per host, as deployed, instead of three nodes sharing the
#   machine's cores. etcd and the client stay outside the caps.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SECONDS_PER_MODE:-6}
if [[ -z "${LEDGERD:-}" || -z "${INGEST_BENCH:-}" ]]; then
  bazel build -c opt //service:ledgerd //bench:ingest_bench 2>&1 | grep -v linux-sandbox >&2
  bin=$(bazel info -c opt bazel-bin 2>/dev/null)
  LEDGERD=${LEDGERD:-$bin/service/ledgerd}
  INGEST_BENCH=${INGEST_BENCH:-$bin/bench/ingest_bench}
fi
if [[ -n "${NODE_CPUS:-}" ]]; then
  if [[ ! -w /sys/fs/cgroup/cpu ]]; then
    echo "cluster-bench: NODE_CPUS needs root and a writable cgroup v1 cpu controller at /sys/fs/cgroup/cpu" >&2
    exit 2
  fi
  export CPU_BUDGET_EXEC="$LEDGERD" NODE_CPUS
  LEDGERD="$PWD/bench/cpu_budget.sh"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cluster-bench.XXXXXX")
out=${OUT_DIR:-$work/out}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work/etcd-"* "$work/single" "$work/cluster"
  for cg in /sys/fs/cgroup/cpu/factledger-bench-*; do [[ -d "$cg" ]] && rmdir "$cg" 2>/dev/null; done
  true
}
trap cleanup EXIT INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
initial="" endpoints=""
declare -a cports pports
for i in 1 2 3; do
  cports[$i]=$(port); pports[$i]=$(port)
  initial+="${initial:+,}e$i=http://127.0.0.1:${pports[$i]}"
  endpoints+="${endpoints:+,}http://127.0.0.1:${cports[$i]}"
done
for i in 1 2 3; do
  /usr/bin/etcd --name "e$i" --data-dir "$work/etcd-e$i" \
    --listen-client-urls "http://127.0.0.1:${cports[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${cports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${pports[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${pports[$i]}" \
    --initial-cluster "$initial" --initial-cluster-state new >> "$work/etcd-e$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 100); do
  ETCDCTL_API=3 /usr/bin/etcdctl --endpoints "$endpoints" endpoint health --cluster \
    > /dev/null 2>&1 && break
  sleep 0.2
done
modes=(--unary= --stream= --batch=8 --signed-batch=8 --seconds="$secs")
echo "cluster-bench: single node" >&2
"$INGEST_BENCH" --ledgerd="$LEDGERD" --work-dir="$work/single" "${modes[@]}" \
  --out="$out/single.json" > /dev/null
echo "cluster-bench: 3 nodes, quorum 2 (etcd $endpoints)" >&2
"$INGEST_BENCH" --ledgerd="$LEDGERD" --work-dir="$work/cluster" "${modes[@]}" \
  --cluster="$endpoints" --out="$out/cluster.json" > /dev/null
grep -h '"cluster: publisher stats"' "$work/cluster/ledgerd.log" > "$out/publisher.json" || true
python3 - "$out/single.json" "$out/cluster.json" "$out/publisher.json" <<'EOF'
import json, os, sys
single, cluster = (json.load(open(p)) for p in sys.argv[1:3])
rate = lambda d, n: next(m["events_per_s"] for m in d["modes"] if m["name"] == n)
lat = lambda d, n: next(m["latency"] for m in d["modes"] if m["name"] == n)
if os.environ.get("NODE_CPUS"):
    print("cores: %d; every ledgerd capped at %s cores (a cgroup each), etcd and the client uncapped" %
          (os.cpu_count(), os.environ["NODE_CPUS"]))
else:
    print("cores: %d (3 etcd + 3 ledgerd + the client share them)" % os.cpu_count())
for name, label in (("batch@8", "AppendBatch@8"), ("signed-batch@8", "AppendSignedBatch@8")):
    s, c = rate(single, name), rate(cluster, name)
    print("%-20s single %8.0f ev/s   quorum %8.0f ev/s   ratio %.2fx   p50 latency %s -> %s us" %
          (label, s, c, c / s, round(lat(single, name).get("p50_us", 0)), round(lat(cluster, name).get("p50_us", 0))))
    ms, mc = (next(m for m in d["modes"] if m["name"] == name) for d in (single, cluster))
    print("%-20s CPU us/event: single ledgerd %.0f (+%.0f deferred); cluster leader %.0f "
          "(+%.0f deferred) + both followers %.0f; machine busy %.0f%% / %.0f%%" %
          ("", ms["cpu"]["server_cpu_us_per_event"], ms["deferred_server_cpu_s"] * 1e6 / ms["events"],
           mc["cpu"]["server_cpu_us_per_event"], mc["deferred_server_cpu_s"] * 1e6 / mc["events"],
           mc.get("cluster_followers_cpu_us_per_event", 0),
           100 * ms["cpu"]["machine_busy_s"] / ms["cpu"]["machine_cores"] / ms["cpu"]["wall_s"],
           100 * mc["cpu"]["machine_busy_s"] / mc["cpu"]["machine_cores"] / mc["cpu"]["wall_s"]))
try:
    p = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])
    print("leader's publications (whole run): %s covering %s entries; commit -> quorum held "
          "mean %.1f ms (max %.1f); fenced etcd Txn mean %.1f ms (max %.1f)" %
          (p["publications"], p["entries"], float(p["quorum_ms_mean"]), float(p["quorum_ms_max"]),
           float(p["txn_ms_mean"]), float(p["txn_ms_max"])))
except (IndexError, KeyError, ValueError):
    print("leader's publisher stats: not found in its log")
EOF
echo "cluster-bench: JSON in $out" >&2
