// Helpers shared by the store tests: deterministic batches and fresh directories. (The status
// matchers are tests/testing/status_matchers.h's.)
#ifndef TESTS_STORE_STORE_TEST_UTIL_H_
#define TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "ledger/base/types.h"
#include "ledger/store/log_store.h"
#include "tests/testing/status_matchers.h"

namespace ledger::store::testing {

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

// A new, empty directory: testing::EmptyDir(".<n>") (n counts the calls).
std::string FreshTestDir();

}  // namespace ledger::store::testing

#endif  // TESTS_STORE_STORE_TEST_UTIL_H_
