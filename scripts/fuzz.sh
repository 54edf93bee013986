#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (clang-14, ASan + UBSan, `--config=fuzz`, in an
# output base of their own so the normal gcc build is left alone) and runs each one.
#
#   scripts/fuzz.sh                      every target, 60 s each
#   scripts/fuzz.sh --seconds=300 bundle checkpoint
#   scripts/fuzz.sh --ci                 the regression tests under ASan + UBSan (every seed and
#                                        saved crasher, 200 mutations each), then every target
#                                        for 10 s: a smoke pass for CI
#   scripts/fuzz.sh --list               the target names
#
# Each target starts from a scratch copy of tests/fuzz/corpus/NAME/ (plus its saved crashers in
# tests/fuzz/regressions/NAME/) and uses tests/fuzz/dicts/NAME.dict when there is one. A crash,
# leak, timeout or out-of-memory input is copied into tests/fuzz/regressions/NAME/ (so the gcc
# regression test replays it from then on) and the script exits 1 naming it. Ends with a table:
# target, runs, seconds, CPU seconds, crashes; and the total CPU time.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SECONDS_EACH=60
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) SECONDS_EACH="${arg#--seconds=}" ;;
    --ci) SECONDS_EACH=10; CI=1 ;;
    --list) LIST=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    --*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
    *) TARGETS+=("$arg") ;;
  esac
done

ALL=$(sed -n 's/^    name = "\([a-z_]*\)",$/\1/p' tests/fuzz/BUILD.bazel |
      while read -r n; do [[ -d "tests/fuzz/corpus/$n" ]] && echo "$n"; done)
if [[ -n "${LIST:-}" ]]; then echo "$ALL"; exit 0; fi
[[ ${#TARGETS[@]} -eq 0 ]] && mapfile -t TARGETS <<<"$ALL"
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$ALL" || { echo "fuzz.sh: no fuzz target $t (try --list)" >&2; exit 2; }
done

# The packages of the normal build, then the fuzzing toolchain (a fresh Debian 12 lacks it).
bash scripts/setup.sh || exit 1
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev lld-14)
missing=()
for p in "${FUZZ_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "fuzz.sh: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || exit 1
fi

BAZEL=(bazel --output_base="$HOME/.cache/factledger-fuzz-ob")
build_log=$(mktemp)
build_start=$(date +%s)
labels=()
for t in "${TARGETS[@]}"; do labels+=("//tests/fuzz:${t}_fuzzer"); done
echo "fuzz.sh: building ${#TARGETS[@]} fuzzer(s) with --config=fuzz (clang-14, ASan, UBSan)"
if ! "${BAZEL[@]}" build --config=fuzz "${labels[@]}" >"$build_log" 2>&1; then
  grep -v 'ld.lld\|Cannot export local symbol' "$build_log" | tail -40
  echo "fuzz.sh: the build failed"
  exit 1
fi
echo "fuzz.sh: built in $(( $(date +%s) - build_start )) s"
BIN="$("${BAZEL[@]}" info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz"
rm -f "$build_log"

if [[ -n "${CI:-}" ]]; then
  # The gcc regression tests again, compiled with clang and the sanitizers: every seed and
  # saved crasher, plus fewer mutations (the sanitizers are slower).
  echo "fuzz.sh: the regression tests under ASan + UBSan"
  test_start=$(date +%s)
  test_log=$(mktemp)
  "${BAZEL[@]}" test --config=fuzz --test_env=FUZZ_REGRESSION_MUTATIONS=200 \
    --test_output=errors //tests/fuzz/... >"$test_log" 2>&1
  rc=$?
  grep -E '^//.*(PASSED|FAILED|TIMEOUT)|ERROR:|==fuzz==|runtime error' "$test_log"
  rm -f "$test_log"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz.sh: FAILED: a regression test fails under the sanitizers"
    exit 1
  fi
  echo "fuzz.sh: regression tests under the sanitizers passed in $(( $(date +%s) - test_start )) s"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

WORK=$(mktemp -d /tmp/factledger-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rows=()
found=()
total_cpu=0
total_runs=0
for t in "${TARGETS[@]}"; do
  dir="$WORK/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "tests/fuzz/corpus/$t/"* "$dir/corpus/"
  if compgen -G "tests/fuzz/regressions/$t/*" >/dev/null; then
    cp "tests/fuzz/regressions/$t/"* "$dir/corpus/"
  fi
  args=(-max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -entropic=0
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$dir/artifacts/")
  [[ -f "tests/fuzz/dicts/$t.dict" ]] && args+=(-dict="tests/fuzz/dicts/$t.dict")
  echo "fuzz.sh: $t for ${SECONDS_EACH} s"
  TIMEFORMAT='%R %U %S'
  { time "$BIN/${t}_fuzzer" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1 ; } 2>"$dir/time"
  read -r wall user sys <"$dir/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  [[ -z "$runs" ]] && runs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
  runs=${runs:-0}
  crashes=0
  for a in "$dir/artifacts/"*; do
    [[ -f "$a" ]] || continue
    crashes=$((crashes + 1))
    mkdir -p "tests/fuzz/regressions/$t"
    cp "$a" "tests/fuzz/regressions/$t/"
    found+=("tests/fuzz/regressions/$t/$(basename "$a")")
    echo "fuzz.sh: $t crashed; input saved as tests/fuzz/regressions/$t/$(basename "$a")"
    grep -E -A12 'ERROR:|invariant violated|runtime error' "$dir/log" | head -30
  done
  rows+=("$(printf '%-16s %12s %9.0f %9s %8s' "$t" "$runs" "$wall" "$cpu" "$crashes")")
  total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
  total_runs=$((total_runs + runs))
done

echo
printf '%-16s %12s %9s %9s %8s\n' target runs seconds cpu-s crashes
for r in "${rows[@]}"; do echo "$r"; done
printf '%-16s %12s %9s %9s %8s\n' total "$total_runs" "" "$total_cpu" "${#found[@]}"
echo "fuzz.sh: ${total_cpu} CPU-seconds of fuzzing ($(awk -v c="$total_cpu" 'BEGIN { printf "%.1f", c / 60 }') CPU-minutes)"
if [[ ${#found[@]} -gt 0 ]]; then
  echo "fuzz.sh: FAILED: crashing inputs: ${found[*]}"
  echo "fuzz.sh: replay one with the gcc build: bazel test //tests/fuzz:NAME_regression, or"
  echo "         bazel build //tests/fuzz:NAME_regression && bazel-bin/tests/fuzz/NAME_regression --verbose FILE"
  exit 1
fi
echo "fuzz.sh: no crashes"
