#!/usr/bin/env bash
# Long Jepsen-style run of cluster mode: N leader failovers (kill -9 and SIGSTOP of the leader,
# alternating, with follower and etcd member kills in between) under concurrent appenders, then
# the checker (tests/cluster/cluster_nemesis.py). Prints failovers, lost acks (must be 0), forks
# (must be 0), convergence, and the time from a leader's death to the first acknowledged append
# on the next leader (p50, p99). Exit 1 on any violation.
#   scripts/cluster-nemesis.sh 200            # about 17 minutes (it first runs the in-process check)
# Environment: NEMESIS_SEED (default: random, printed), NEMESIS_WORK (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/cluster-nemesis.sh FAILOVERS}
bash scripts/setup.sh
bazel build -c opt //service:ledgerd //cli:ledgerctl //tests/interop:ledger_v1_py_gen 2>&1 \
  | grep -v linux-sandbox >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
work=${NEMESIS_WORK:-$(mktemp -d /tmp/cluster-nemesis.XXXXXX)}
echo "cluster-nemesis: working in $work (node and etcd logs)" >&2
export PYTHONPATH="$bin/tests/interop/gen:$PWD/tests/interop"
exec /usr/bin/python3 -u tests/cluster/cluster_nemesis.py "$bin/service/ledgerd" \
  "$bin/cli/ledgerctl" "$work/run" "$n" --seed "${NEMESIS_SEED:-$RANDOM}" --in-process-check
