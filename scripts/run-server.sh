#!/usr/bin/env bash
# Sets up, builds and starts ledgerd on loopback with an embedded RocksDB data directory.
# The first run creates an admin key and initialises the data directory:
#   .data/keys/admin.key(.pub)          the admin key (registers signer keys)
#   .data/ledger/                       the data directory (identity, log key, RocksDB)
#   .data/checkpoint-verifier-key       the log's checkpoint verifier key (C2SP note format)
# Environment: LEDGER_HOME (default .data), LEDGER_ORIGIN (default localhost/factledger),
#              LEDGER_LISTEN (default 127.0.0.1:50051), LEDGER_HTTP_LISTEN (default
#              127.0.0.1:8080: the explorer at http://127.0.0.1:8080/explorer/ and the HTTP read
#              APIs; empty: no HTTP listener).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

home=${LEDGER_HOME:-.data}
origin=${LEDGER_ORIGIN:-localhost/factledger}
listen=${LEDGER_LISTEN:-127.0.0.1:50051}
http_listen=${LEDGER_HTTP_LISTEN-127.0.0.1:8080}

bazel build -c opt //service:ledgerd //cli:ledgerctl 2>&1 | grep -v linux-sandbox
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

mkdir -p "$home/keys"
if [[ ! -f "$home/ledger/LEDGER" ]]; then
  [[ -f "$home/keys/admin.key" ]] || "$bin/cli/ledgerctl" keygen --out "$home/keys/admin.key"
  "$bin/service/ledgerd" init --data-dir "$home/ledger" --origin "$origin" \
      --admin-key "$home/keys/admin.key.pub" | tee "$home/init.txt"
  sed -n 's/^checkpoint verifier key: //p' "$home/init.txt" > "$home/checkpoint-verifier-key"
fi
http_flags=()
if [[ -n "$http_listen" ]]; then
  http_flags=(--http-listen "$http_listen")
  echo "run-server: the explorer is at http://$http_listen/explorer/" >&2
fi
exec "$bin/service/ledgerd" serve --data-dir "$home/ledger" --listen "$listen" "${http_flags[@]}"
