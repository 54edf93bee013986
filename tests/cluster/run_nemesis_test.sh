#!/bin/bash
# Runs tests/cluster/cluster_nemesis.py with Debian's python3 (grpc, protobuf, nacl), the
# generated stubs and tests/interop/factledger_client.py on PYTHONPATH. Arguments: ledgerd,
# ledgerctl (runfiles paths), then the number of leader failovers, then options of
# cluster_nemesis.py.
set -euo pipefail
root="${TEST_SRCDIR:-${RUNFILES_DIR:-.}}/factledger"
here="$(cd "$(dirname "$0")" && pwd)"
gen="${root}/tests/interop/gen"
[[ -f "${gen}/ledger/v1/claim_pb2.py" ]] || gen="$(cd "${here}/../.." && pwd)/bazel-bin/tests/interop/gen"
export PYTHONPATH="${gen}:${root}/tests/interop:${here}/../interop"
export PYTHONDONTWRITEBYTECODE=1
work="${TEST_TMPDIR:-$(mktemp -d)}/cluster"
exec /usr/bin/python3 -u "${here}/cluster_nemesis.py" "$1" "$2" "$work" "$3" --seed "${NEMESIS_SEED:-$RANDOM}" "${@:4}"
