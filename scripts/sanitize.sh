#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (gcc, `--config=asan` in
# .bazelrc; LeakSanitizer runs at each test's exit). Its own Bazel output base, so it does not
# evict the normal build. Ends with "N passed, N failed" (test targets).
#   scripts/sanitize.sh                  every test not tagged no_sanitizer, but the two
#                                        packages whose code is sanitized elsewhere (below)
#   scripts/sanitize.sh //tests/core/... any Bazel target patterns
#
# Left out of the default run, without losing sanitizer coverage of our code:
#   //tests/fuzz/...      the fuzz regression tests: scripts/fuzz.sh --ci (CI's next step) runs
#                         the same tests, every seed and saved crasher, under ASan + UBSan (clang)
#   //tests/explorer/...  a headless Chromium driving the explorer's JavaScript; the C++ it
#                         reaches (ledgerd's HTTP listener and JSON API) runs sanitized in
#                         //tests/http/... and //tests/integration/...
# SANITIZE_TEST_JOBS (default 2, one per core): tests run at once. More would finish sooner,
# but the cluster, witness and mirror tests run real processes against leases and timeouts,
# which a 2-core machine under 4 ASan tests at once starves.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
if [[ -z "${LEDGER_SHARED_DIR:-}" && -d ../shared ]]; then
  export LEDGER_SHARED_DIR="$(cd ../shared && pwd)"
fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("//tests/..." "-//tests/fuzz/..." "-//tests/explorer/...")
start=$SECONDS

OUTPUT_BASE="${SANITIZE_OUTPUT_BASE:-$HOME/.cache/factledger-asan-ob}"
log=$(mktemp)
# halt_on_error: the first report fails the test. detect_leaks: LeakSanitizer at exit.
# --build_tests_only: the benchmarks and tools no test needs are not built again under ASan.
# --test_timeout: the sanitizers make tests 2-5x slower (and CI's two cores are shared by the
# tests Bazel runs in parallel), so every size gets 4x its normal time.
bazel "--output_base=$OUTPUT_BASE" test --config=asan --test_tag_filters=-no_sanitizer \
  --build_tests_only --test_timeout=240,1200,3600,14400 \
  "--local_test_jobs=${SANITIZE_TEST_JOBS:-2}" \
  --test_env=ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0 \
  --test_env=UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  --test_output=errors -- "${targets[@]}" 2>&1 | tee "$log" | grep -v 'linux-sandbox'
rc=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log" || true)
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY|INCOMPLETE)' "$log" || true)
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
rm -f "$log"
echo "sanitize.sh: $((SECONDS - start)) s (build and tests)"
echo "${passed} passed, ${failed} failed"
exit $rc
