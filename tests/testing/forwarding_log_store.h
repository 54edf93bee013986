// A LogStore that passes every call on to another one: the base of the tests' wrappers, which
// override only what they count, clip or tamper with.
#ifndef TESTS_TESTING_FORWARDING_LOG_STORE_H_
#define TESTS_TESTING_FORWARDING_LOG_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/store/log_store.h"

namespace ledger::testing {

// Forwards the LogStore's pure virtual methods to the base store. The batched reads (GetNodes,
// ScanNodes, GetEventIds, GetLeafIndexes) are NOT forwarded: LogStore's defaults serve them
// through this object's single-key methods, so a subclass that overrides GetNode (say) sees
// every node read. A subclass may forward them too, to exercise the base's own batching.
class ForwardingLogStore : public store::LogStore {
 public:
  // Read-only over `base` (not owned; must outlive this): Commit is refused.
  explicit ForwardingLogStore(const store::LogStore& base) : base_(&base) {}
  // Owns `base` and forwards Commit to it as well.
  explicit ForwardingLogStore(std::unique_ptr<store::LogStore> base)
      : owned_(std::move(base)), base_(owned_.get()) {}

  const store::LogStore& base() const { return *base_; }

  store::LogHead Head() const override { return base_->Head(); }
  absl::Status Commit(const store::CommitBatch& batch) override {
    if (owned_ == nullptr) return absl::FailedPreconditionError("read-only test store");
    return owned_->Commit(batch);
  }
  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override {
    return base_->GetEntry(sequence);
  }
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    return base_->ScanEntries(begin, end, fn);
  }
  absl::StatusOr<Hash> GetNode(merkle::NodeId id) const override { return base_->GetNode(id); }
  absl::StatusOr<std::optional<store::EventIdRecord>> GetEventId(
      absl::string_view event_id) const override {
    return base_->GetEventId(event_id);
  }
  absl::StatusOr<std::optional<SequenceNumber>> GetLeafIndex(
      const Hash& leaf_hash) const override {
    return base_->GetLeafIndex(leaf_hash);
  }
  absl::StatusOr<std::optional<std::string>> GetClaim(
      absl::string_view claim_id) const override {
    return base_->GetClaim(claim_id);
  }
  absl::Status ScanKeys(
      const std::function<void(absl::string_view, absl::string_view)>& fn) const override {
    return base_->ScanKeys(fn);
  }
  absl::StatusOr<std::optional<std::string>> GetCheckpoint(TreeSize tree_size) const override {
    return base_->GetCheckpoint(tree_size);
  }
  absl::Status ScanCheckpoints(
      const std::function<bool(TreeSize, absl::string_view)>& fn) const override {
    return base_->ScanCheckpoints(fn);
  }
  absl::Status VerifyStorageChecksums() const override {
    return base_->VerifyStorageChecksums();
  }

 private:
  std::unique_ptr<store::LogStore> owned_;
  const store::LogStore* base_;
};

}  // namespace ledger::testing

#endif  // TESTS_TESTING_FORWARDING_LOG_STORE_H_
