#!/bin/bash
# Runs the Node.js interop client (client_test.js) with the node_modules that scripts/setup.sh
# installs next to it in the source tree (tests/interop_node/node_modules, not committed).
# Skips (exit 0) when node or node_modules is missing.
# Arguments: ledgerd ledgerctl claim.proto ledger_service.proto status.proto error_details.proto
#            seed-claims.jsonl (runfiles paths).
set -euo pipefail
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found on PATH, run scripts/setup.sh"
  exit 0
fi
# The runfiles entry is a symlink to the source tree, where node_modules lives.
src_dir="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
node_modules="${src_dir}/node_modules"
if [[ ! -d "${node_modules}/@grpc/grpc-js" || ! -d "${node_modules}/@grpc/proto-loader" ]]; then
  echo "SKIP: node_modules missing, run scripts/setup.sh (looked in ${node_modules})"
  exit 0
fi
export NODE_PATH="${node_modules}"
exec node "${src_dir}/client_test.js" "$@"
