#!/usr/bin/env bash
# Runs `$CPU_BUDGET_EXEC ARGS...` in a cgroup of its own (cgroup v1 `cpu` controller, as root)
# capped at $NODE_CPUS cores: one cgroup per --data-dir, so that every ledgerd of a cluster
# started on this one machine gets the same CPU budget, as if each had a host of its own
# (bench/cluster_bench.sh NODE_CPUS=...). exec keeps the pid, so the caller's CPU accounting
# (/proc/<pid>/stat) still sees the process.
set -euo pipefail
: "${CPU_BUDGET_EXEC:?the program to run}" "${NODE_CPUS:?cores per process, e.g. 0.5}"
dir="" prev=""
for a in "$@"; do
  [[ "$prev" == "--data-dir" ]] && dir=$a
  prev=$a
done
root=/sys/fs/cgroup/cpu
cg="$root/factledger-bench-$(printf '%s' "$dir" | md5sum | cut -c1-12)"
mkdir -p "$cg"
echo 10000 > "$cg/cpu.cfs_period_us"
awk -v c="$NODE_CPUS" 'BEGIN { printf "%d\n", c * 10000 }' > "$cg/cpu.cfs_quota_us"
echo $$ > "$cg/tasks"
exec "$CPU_BUDGET_EXEC" "$@"
