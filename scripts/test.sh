#!/usr/bin/env bash
# Sets up, builds and runs every test. Ends with a line "N passed, N failed" (test targets).
#   scripts/test.sh                 all tests
#   scripts/test.sh //tests/core/... any Bazel target patterns
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# Tests read public vectors and the LIAR data from ../shared/data when it exists.
if [[ -z "${LEDGER_SHARED_DIR:-}" && -d ../shared ]]; then
  export LEDGER_SHARED_DIR="$(cd ../shared && pwd)"
fi

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("//...")

log=$(mktemp)
# --build_tests_only: bench/ binaries are built (-c opt) by bench/run.sh, not here.
bazel test --build_tests_only --test_output=errors "${targets[@]}" 2>&1 | tee "$log" | grep -v 'linux-sandbox'
rc=${PIPESTATUS[0]}

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log" || true)
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
  failed=1  # The build itself failed: count it, so the line never reads as green.
fi
rm -f "$log"
echo "${passed} passed, ${failed} failed"
exit $rc
