// The checks every LogStore applies to a CommitBatch before writing anything, shared by
// RocksDbLogStore and MemoryLogStore so that both refuse exactly the same batches with exactly
// the same codes.
#ifndef LEDGER_STORE_COMMIT_VALIDATION_H_
#define LEDGER_STORE_COMMIT_VALIDATION_H_

#include "absl/status/status.h"
#include "ledger/store/log_store.h"

namespace ledger::store {

// Returns OK when `batch` may be applied on top of `head`. Pure; thread-safe. Errors:
//   Aborted          batch.expected_tree_size != head.tree_size;
//                    batch.new_head.tree_size != expected_tree_size + entries.size();
//                    new_head.last_recorded_time_micros < head.last_recorded_time_micros;
//                    no new entries but new_head.root_hash != head.root_hash (that would be two
//                    roots for one tree size).
//   InvalidArgument  a node with level > schema::kMaxNodeLevel (no such perfect subtree exists).
absl::Status ValidateCommitBatch(const CommitBatch& batch, const LogHead& head);

// The head of the empty log: tree size 0, root SHA-256(""), recorded time 0.
LogHead EmptyLogHead();

}  // namespace ledger::store

#endif  // LEDGER_STORE_COMMIT_VALIDATION_H_
