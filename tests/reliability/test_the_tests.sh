#!/bin/bash
# Test the tests (docs/reliability.md, "Test the tests"; issue 7 item 9): switch off one guard
# at a time in a scratch copy of the source tree and show that the reliability test guarding it
# FAILS. The working tree is never modified.
#
#   tests/reliability/test_the_tests.sh [anchor-check] [fsync] [fail-stop]    (default: all three)
#
#   anchor-check  OpenLog skips the anchor check            -> anchor_test (rolled-back database)
#   fsync         RocksDB commits with WriteOptions.sync=false -> io_fault_test (power cut)
#   fail-stop     no fail-stop in Log nor in RocksDbLogStore -> io_fault_test (countdown)
#
# Each mutation is a sed that must change exactly its line. The scratch copy is built with its
# own Bazel output base ($LEDGER_MUTANT_OUTPUT_BASE). Exit 0 when every mutant was caught (its
# test failed), 1 when one survived, 2 on a setup or build error. A few minutes per mutant.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "${here}/../.." && pwd)"
scratch="${LEDGER_MUTANT_DIR:-/tmp/ledger-mutants}"
output_base="${LEDGER_MUTANT_OUTPUT_BASE:-${HOME}/.cache/bazel-ob-rel-mutant}"

# apply FILE SED-EXPRESSION: edits FILE in the scratch tree; exits 2 unless exactly one line changed.
apply() {
  local file="${tree}/$1"
  cp "${file}" "${file}.orig"
  sed -i "$2" "${file}"
  local changed
  changed="$(diff "${file}.orig" "${file}" | grep -c '^>')"
  rm "${file}.orig"
  if [[ "${changed}" != 1 ]]; then
    echo "test_the_tests: the mutation of $1 changed ${changed} lines, expected 1" >&2
    exit 2
  fi
  echo "  mutated $1: $(grep -n MUTANT "${file}" | head -1)"
}

mutate() {
  case "$1" in
    anchor-check)
      apply ledger/datadir/data_dir.cc \
        's|^  std::vector<StoredAnchor> to_check = anchors;$|  std::vector<StoredAnchor> to_check;  // MUTANT: anchor check off|'
      target=//tests/reliability:anchor_test
      filter='AnchorTest.DatabaseRolledBackToAnOlderCopyIsRefused:AnchorTest.Forked*:ExternalAnchorTest.WholeDataDir*'
      ;;
    fsync)
      apply ledger/store/rocksdb_log_store.cc \
        's|write_options.sync = true;  // Durable when Commit returns OK.|write_options.sync = false;  // MUTANT: fsync off|'
      target=//tests/reliability:io_fault_test
      filter='PowerLossTest.*'
      ;;
    fail-stop)
      apply ledger/core/sequencer.cc 's|^      failed_ = commit;$|      (void)commit;  // MUTANT: fail-stop off|'
      apply ledger/store/rocksdb_log_store.cc \
        's|^  if (!failed_.ok()) {$|  if (false) {  // MUTANT: fail-stop off|'
      target=//tests/reliability:io_fault_test
      filter='IoFaultTest.CountdownOverDatabaseFiles'
      ;;
    *)
      echo "test_the_tests: unknown mutant $1" >&2
      exit 2
      ;;
  esac
}

mutants=("$@")
[[ ${#mutants[@]} -eq 0 ]] && mutants=(anchor-check fsync fail-stop)
survived=0
for m in "${mutants[@]}"; do
  tree="${scratch}/tree"
  echo "== mutant ${m}"
  rm -rf "${tree}" && mkdir -p "${tree}"
  tar -C "${src}" --exclude='./bazel-*' --exclude=./.git --exclude='*/node_modules' -cf - . |
    tar -C "${tree}" -xf -
  mutate "${m}"
  log="${scratch}/${m}.log"
  (cd "${tree}" && bazel --output_base="${output_base}" test "${target}" \
      --test_filter="${filter}" --test_output=errors) >"${log}" 2>&1
  rc=$?
  case "${rc}" in
    3) echo "  caught: ${target} (${filter}) FAILED, as it must; failures:"
       grep -E '^\[  FAILED  \]|Failure$|Expected|Actual|violation|StatusIs|is OK' "${log}" |
         head -12 | sed 's/^/    /' ;;
    0) echo "  SURVIVED: ${target} (${filter}) still passes (log: ${log})"; survived=1 ;;
    *) echo "  build or setup error (bazel exit ${rc}); see ${log}"; exit 2 ;;
  esac
done
exit "${survived}"
