#!/usr/bin/env bash
# Starts a 3-node ledgerd cluster on loopback (docs/operations.md, "Cluster mode"): 3 etcd
# members and 3 ledgerd --cluster nodes, each node restarted by a supervisor loop whenever it
# exits, as under systemd Restart=always (roles change within the process; a node exits 75 only
# to set a conflicting log aside or when it gets no role). Ctrl-C stops all.
#   .cluster/keys/admin.key(.pub)    the admin key
#   .cluster/n1 n2 n3                the nodes' data directories (one log key: copies of one init)
#   .cluster/etcd-e1 ...             etcd data; .cluster/*.log the processes' logs
# Nodes listen on 127.0.0.1:50061..50063; etcd clients on 127.0.0.1:23791..23793.
# Submit with: ledgerctl submit --server 127.0.0.1:50061,127.0.0.1:50062,127.0.0.1:50063 ...
# Environment: CLUSTER_HOME (default .cluster), LEDGER_ORIGIN (default localhost/factledger).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
home=${CLUSTER_HOME:-.cluster}
origin=${LEDGER_ORIGIN:-localhost/factledger}
bazel build -c opt //service:ledgerd //cli:ledgerctl 2>&1 | grep -v linux-sandbox >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
mkdir -p "$home/keys"
if [[ ! -f "$home/n1/LEDGER" ]]; then
  [[ -f "$home/keys/admin.key" ]] || "$bin/cli/ledgerctl" keygen --out "$home/keys/admin.key"
  "$bin/service/ledgerd" init --data-dir "$home/n1" --origin "$origin" \
      --admin-key "$home/keys/admin.key.pub" | tee "$home/init.txt"
  sed -n 's/^checkpoint verifier key: //p' "$home/init.txt" > "$home/checkpoint-verifier-key"
  # The cluster's log key is in every node: copies of the freshly initialised directory.
  cp -a "$home/n1" "$home/n2"
  cp -a "$home/n1" "$home/n3"
fi
initial="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
endpoints="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"
pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT
for i in 1 2 3; do
  /usr/bin/etcd --name "e$i" --data-dir "$home/etcd-e$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$initial" --initial-cluster-state new >> "$home/etcd-e$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  addr="127.0.0.1:5006$i"
  (
    child=0
    trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' INT TERM
    while true; do
      "$bin/service/ledgerd" serve --data-dir "$home/n$i" --listen "$addr" \
        --cluster "$endpoints" --node-id "n$i" --advertise "$addr" --cluster-nodes 3 \
        >> "$home/n$i.log" 2>&1 &
      child=$!
      wait $child || true
      sleep 0.2
    done
  ) &
  pids+=($!)
done
echo "run-cluster: nodes 127.0.0.1:50061,127.0.0.1:50062,127.0.0.1:50063; etcd $endpoints" >&2
echo "run-cluster: leader: ETCDCTL_API=3 etcdctl --endpoints $endpoints get /factledger/$origin/leader" >&2
wait
