#include "ledger/store/memory_log_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/commit_validation.h"

namespace ledger::store {
namespace {

// ScanEntries copies this many entries per lock acquisition, so callbacks run unlocked.
constexpr size_t kScanChunk = 64;

}  // namespace

MemoryLogStore::MemoryLogStore() : head_(EmptyLogHead()) {}

LogHead MemoryLogStore::Head() const {
  absl::ReaderMutexLock lock(&mu_);
  return head_;
}

absl::Status MemoryLogStore::Commit(const CommitBatch& batch) {
  absl::MutexLock lock(&mu_);
  if (!failed_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store failed earlier: ", failed_.ToString(), "; restart to recover"));
  }
  LEDGER_RETURN_IF_ERROR(ValidateCommitBatch(batch, head_));
  if (pending_failure_.has_value()) {
    if (pending_failure_->successful_commits_before > 0) {
      --pending_failure_->successful_commits_before;
    } else {
      failed_ = pending_failure_->status;
      if (pending_failure_->effect == FailedCommitEffect::kWrittenAnyway) {
        written_but_failed_.push_back(batch);
      }
      pending_failure_.reset();
      return failed_;
    }
  }
  ApplyLocked(batch);
  return absl::OkStatus();
}

void MemoryLogStore::ApplyLocked(const CommitBatch& batch) {
  entries_.insert(entries_.end(), batch.entries.begin(), batch.entries.end());
  for (const auto& [id, hash] : batch.nodes) nodes_[id] = hash;
  for (const auto& [leaf_hash, sequence] : batch.leaf_index) leaf_index_[leaf_hash] = sequence;
  for (const auto& [event_id, record] : batch.event_ids) event_ids_[event_id] = record;
  for (const auto& [key_id, record] : batch.keys) keys_[key_id] = record;
  for (const auto& [claim_id, record] : batch.claims) claims_[claim_id] = record;
  if (batch.checkpoint.has_value()) checkpoints_[batch.new_head.tree_size] = *batch.checkpoint;
  head_ = batch.new_head;
}

void MemoryLogStore::InjectCommitFailure(absl::Status status, int successful_commits_before,
                                         FailedCommitEffect effect) {
  if (status.ok()) status = absl::InternalError("InjectCommitFailure: injected an OK status");
  absl::MutexLock lock(&mu_);
  pending_failure_ = PendingFailure{std::move(status), successful_commits_before, effect};
}

void MemoryLogStore::SimulateRestart() {
  absl::MutexLock lock(&mu_);
  for (const CommitBatch& batch : written_but_failed_) ApplyLocked(batch);
  written_but_failed_.clear();
  failed_ = absl::OkStatus();
  pending_failure_.reset();
}

absl::StatusOr<std::string> MemoryLogStore::GetEntry(SequenceNumber sequence) const {
  absl::ReaderMutexLock lock(&mu_);
  if (sequence >= head_.tree_size) {
    return absl::NotFoundError(absl::StrCat("entry ", sequence,
                                            " not found: the log has tree size ", head_.tree_size));
  }
  return entries_[sequence];
}

absl::Status MemoryLogStore::ScanEntries(
    SequenceNumber begin, SequenceNumber end,
    const std::function<bool(SequenceNumber, absl::string_view)>& fn) const {
  SequenceNumber limit;
  {
    absl::ReaderMutexLock lock(&mu_);
    limit = std::min<SequenceNumber>(end, head_.tree_size);
  }
  std::vector<std::string> chunk;
  for (SequenceNumber next = begin; next < limit;) {
    {
      // Entries below the head never change, so chunks taken at different times agree.
      absl::ReaderMutexLock lock(&mu_);
      const SequenceNumber chunk_end = std::min<SequenceNumber>(limit, next + kScanChunk);
      chunk.assign(entries_.begin() + next, entries_.begin() + chunk_end);
    }
    for (const std::string& entry : chunk) {
      if (!fn(next, entry)) return absl::OkStatus();
      ++next;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> MemoryLogStore::GetNode(merkle::NodeId id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    return absl::NotFoundError(
        absl::StrCat("node level ", id.level, " index ", id.index, " not found"));
  }
  return it->second;
}

absl::StatusOr<std::optional<EventIdRecord>> MemoryLogStore::GetEventId(
    absl::string_view event_id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = event_ids_.find(event_id);
  if (it == event_ids_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<SequenceNumber>> MemoryLogStore::GetLeafIndex(
    const Hash& leaf_hash) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = leaf_index_.find(leaf_hash);
  if (it == leaf_index_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<std::string>> MemoryLogStore::GetClaim(
    absl::string_view claim_id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = claims_.find(claim_id);
  if (it == claims_.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryLogStore::ScanKeys(
    const std::function<void(absl::string_view, absl::string_view)>& fn) const {
  std::map<std::string, std::string, std::less<>> keys;
  {
    absl::ReaderMutexLock lock(&mu_);
    keys = keys_;
  }
  for (const auto& [key_id, record] : keys) fn(key_id, record);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryLogStore::GetCheckpoint(
    TreeSize tree_size) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = checkpoints_.find(tree_size);
  if (it == checkpoints_.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryLogStore::ScanCheckpoints(
    const std::function<bool(TreeSize, absl::string_view)>& fn) const {
  std::map<TreeSize, std::string> checkpoints;
  {
    absl::ReaderMutexLock lock(&mu_);
    checkpoints = checkpoints_;
  }
  for (const auto& [tree_size, note] : checkpoints) {
    if (!fn(tree_size, note)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryLogStore::VerifyStorageChecksums() const { return absl::OkStatus(); }

}  // namespace ledger::store
