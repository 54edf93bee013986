// MemoryLogStore: a LogStore in memory, for tests of the layers above the store.
//
// Same semantics and error codes as RocksDbLogStore (both use commit_validation.h, and
// tests/store/log_store_conformance_test.cc runs one suite against both), including fail-stop.
// Nothing survives the object. A test hook injects commit failures, so core tests can check what
// happens when a write fails, including a write that failed yet reached the disk.
//
// Example:
//   MemoryLogStore store;
//   store.InjectCommitFailure(absl::InternalError("EIO"), /*successful_commits_before=*/2,
//                             FailedCommitEffect::kWrittenAnyway);
//   ... two commits succeed, the third fails with Internal, later ones FailedPrecondition ...
//   store.SimulateRestart();  // the third batch is now visible, commits work again
#ifndef LEDGER_STORE_MEMORY_LOG_STORE_H_
#define LEDGER_STORE_MEMORY_LOG_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/store/log_store.h"

namespace ledger::store {

// What an injected commit failure leaves behind (docs/reliability.md, "Fail-stop": a write that
// returned an error can still be on disk after reopen).
enum class FailedCommitEffect {
  kNothingWritten,  // The batch is lost.
  kWrittenAnyway,   // The batch becomes visible at the next SimulateRestart().
};

// An in-memory LogStore. Thread-safe: one mutex; Commit holds it exclusively, so readers see
// only whole commits. Callbacks of the Scan methods run without the mutex held and may call
// back into the store.
class MemoryLogStore : public LogStore {
 public:
  // An empty log: Head() is EmptyLogHead().
  MemoryLogStore();

  MemoryLogStore(const MemoryLogStore&) = delete;
  MemoryLogStore& operator=(const MemoryLogStore&) = delete;

  // LogStore. Commit also returns InvalidArgument for a node level above schema::kMaxNodeLevel,
  // like RocksDbLogStore. VerifyStorageChecksums always returns OK.
  LogHead Head() const override;
  absl::Status Commit(const CommitBatch& batch) override;
  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override;
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override;
  absl::StatusOr<Hash> GetNode(merkle::NodeId id) const override;
  absl::StatusOr<std::optional<EventIdRecord>> GetEventId(
      absl::string_view event_id) const override;
  absl::StatusOr<std::optional<std::string>> GetClaim(
      absl::string_view claim_id) const override;
  absl::StatusOr<std::optional<SequenceNumber>> GetLeafIndex(
      const Hash& leaf_hash) const override;
  absl::Status ScanKeys(
      const std::function<void(absl::string_view, absl::string_view)>& fn) const override;
  absl::StatusOr<std::optional<std::string>> GetCheckpoint(TreeSize tree_size) const override;
  absl::Status ScanCheckpoints(
      const std::function<bool(TreeSize, absl::string_view)>& fn) const override;
  absl::Status VerifyStorageChecksums() const override;

  // Test hook: lets `successful_commits_before` more valid commits succeed, then fails the next
  // valid one with `status` (precondition: !status.ok()), leaving `effect` behind. From then on
  // the store is failed: every Commit returns FailedPrecondition ("store failed earlier: ...;
  // restart to recover") until SimulateRestart(). Commits refused by validation (Aborted,
  // InvalidArgument) neither count nor trigger the failure. Replaces any earlier injection.
  void InjectCommitFailure(absl::Status status, int successful_commits_before = 0,
                           FailedCommitEffect effect = FailedCommitEffect::kNothingWritten);

  // Test hook: what reopening a RocksDbLogStore does after a crash or a failed write. Applies
  // the batches of failed kWrittenAnyway commits (as if found on disk), clears the fail-stop
  // state and any pending injected failure.
  void SimulateRestart();

 private:
  struct PendingFailure {
    absl::Status status;
    int successful_commits_before = 0;
    FailedCommitEffect effect = FailedCommitEffect::kNothingWritten;
  };

  void ApplyLocked(const CommitBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  LogHead head_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> entries_ ABSL_GUARDED_BY(mu_);
  std::map<merkle::NodeId, Hash> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<Hash, SequenceNumber> leaf_index_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, EventIdRecord, std::less<>> event_ids_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string, std::less<>> claims_ ABSL_GUARDED_BY(mu_);
  std::map<TreeSize, std::string> checkpoints_ ABSL_GUARDED_BY(mu_);

  // Fail-stop: the error of the failed commit; OK while healthy.
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  std::optional<PendingFailure> pending_failure_ ABSL_GUARDED_BY(mu_);
  // Batches of failed kWrittenAnyway commits, applied by SimulateRestart().
  std::vector<CommitBatch> written_but_failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::store

#endif  // LEDGER_STORE_MEMORY_LOG_STORE_H_
