#!/bin/bash
# Runs server_behaviour_test.py with Debian's python3 (it has grpc, protobuf and nacl) and the
# generated stubs on PYTHONPATH. Arguments: ledgerd ledgerctl seed-claims.jsonl (runfiles paths).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gen="${here}/gen"
if [[ ! -f "${gen}/ledger/v1/claim_pb2.py" ]]; then
  gen="${TEST_SRCDIR:-${RUNFILES_DIR:-.}}/factledger/tests/interop/gen"
fi
export PYTHONPATH="${gen}:${here}"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 -u "${here}/server_behaviour_test.py" "$@"
