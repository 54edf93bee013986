// Helpers shared by the store tests: status matchers, deterministic batches, fresh directories.
#ifndef TESTS_STORE_STORE_TEST_UTIL_H_
#define TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "ledger/base/types.h"
#include "ledger/store/log_store.h"

namespace ledger::store::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an absl::Status or absl::StatusOr<T> with the given code.
MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

// Matches an absl::Status or absl::StatusOr<T> that is OK.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.ok();
}

// Deterministic contents of entry `sequence` and of what a batch stores about it.
std::string EntryData(SequenceNumber sequence);
Hash LeafHash(SequenceNumber sequence);
std::string EventIdOf(SequenceNumber sequence);
EventIdRecord EventRecordOf(SequenceNumber sequence);
// A stand-in root for `tree_size` (the store does not recompute roots).
Hash RootAt(TreeSize tree_size);
std::string CheckpointNote(TreeSize tree_size);

// A valid batch of `count` entries on top of `head`: entries, level-0 nodes, leaf index, event
// ids, a checkpoint of the new head, and new_head with recorded time head's + 1.
CommitBatch MakeBatch(const LogHead& head, int count);

// A new, empty directory under $TEST_TMPDIR, named after the running test.
std::string FreshTestDir();

}  // namespace ledger::store::testing

#endif  // TESTS_STORE_STORE_TEST_UTIL_H_
