#!/bin/bash
# The long kill -9 loop (docs/reliability.md): N cycles of "append concurrently, SIGKILL ledgerd,
# check every invariant and `ledgerctl verify`, restart, retry what had no answer" against the
# real binaries. CI runs 50 cycles (//tests/reliability:crash_loop_test); this runs as many as
# you like:
#
#   scripts/crash-loop.sh [N] [crash_loop flags...]      e.g. scripts/crash-loop.sh 1000 --seed 7
#
# N defaults to 1000. Flags go to the crash_loop binary (--seed S, --writers W, --cycles-per-dir C,
# --min-run-ms A, --max-run-ms B, --work-dir DIR, --verbose); the seed is printed first. Builds
# with its own Bazel output base ($LEDGER_BAZEL_OUTPUT_BASE, default ~/.cache/bazel-ob-crash-loop)
# so it never touches the workspace's bazel-* links. Exit 0 when every cycle held every
# invariant; on failure the data directory of the failing cycle is kept and named.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-1000}"
shift || true
output_base="${LEDGER_BAZEL_OUTPUT_BASE:-${HOME}/.cache/bazel-ob-crash-loop}"
bazel --output_base="${output_base}" build -c opt \
  //tests/reliability:crash_loop_test //service:ledgerd //cli:ledgerctl
bin="$(bazel --output_base="${output_base}" info -c opt bazel-bin)"
exec "${bin}/tests/reliability/crash_loop_test" \
  --ledgerd "${bin}/service/ledgerd" --ledgerctl "${bin}/cli/ledgerctl" \
  --cycles "${cycles}" "$@"
