#!/bin/bash
# Runs a Python process test of this directory with Debian's python3 (it has grpc, protobuf and
# nacl) and the generated stubs on PYTHONPATH. Arguments: the script's name (e.g.
# interop_test.py), then its own: ledgerd ledgerctl seed-claims.jsonl (runfiles paths).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gen="${here}/gen"
if [[ ! -f "${gen}/ledger/v1/claim_pb2.py" ]]; then
  gen="${TEST_SRCDIR:-${RUNFILES_DIR:-.}}/factledger/tests/interop/gen"
fi
export PYTHONPATH="${gen}:${here}"
export PYTHONDONTWRITEBYTECODE=1
script="$1"
shift
exec /usr/bin/python3 -u "${here}/${script}" "$@"
