#include "ledger/core/proof_cache.h"

#include <utility>

#include "ledger/base/logging.h"

namespace ledger::core {

ProofCache::ProofCache(const store::LogStore* store, uint64_t budget_bytes)
    : store_(store),
      budget_bytes_(budget_bytes),
      cache_(budget_bytes == 0 ? merkle::NodeCache::kNoLevel : 0) {}

ProofCache::~ProofCache() {
  stop_ = true;
  std::thread warm_up;
  {
    absl::MutexLock lock(&mu_);
    warm_up = std::move(warm_up_);
  }
  // Without the lock: the thread takes it to say it is done.
  if (warm_up.joinable()) warm_up.join();
}

void ProofCache::StartWarmUp(TreeSize size) {
  absl::MutexLock lock(&mu_);
  if (size == 0 || budget_bytes_ == 0 || warm_up_.joinable()) return;
  warm_up_done_ = false;
  warm_up_ = std::thread([this, size] {
    WarmUp(size);
    absl::MutexLock done_lock(&mu_);
    warm_up_done_ = true;
  });
}

void ProofCache::WaitForWarmUp() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&warm_up_done_));
}

void ProofCache::WarmUp(TreeSize size) {
  cache_.RaiseMinLevel(merkle::NodeCache::MinLevelFor(size, budget_bytes_));
  // Top level first: the nodes every proof needs are cached first.
  constexpr size_t kBatch = 4096;
  std::vector<merkle::NodeId> ids;
  std::vector<Hash> hashes;
  auto flush = [&] {
    cache_.Insert(ids, hashes, size);
    ids.clear();
    hashes.clear();
  };
  for (uint32_t level = merkle::NodeCache::kNoLevel; level-- > 0;) {
    // Levels the cache has dropped meanwhile (the log grew) are not read.
    if (level < cache_.min_level() || stop_) break;
    const uint64_t count = size >> level;
    if (count == 0) continue;
    absl::Status s = store_->ScanNodes(level, 0, count, [&](uint64_t index, const Hash& hash) {
      ids.push_back({level, index});
      hashes.push_back(hash);
      if (ids.size() == kBatch) flush();
      return !stop_.load(std::memory_order_relaxed);
    });
    flush();
    if (!s.ok()) {
      // Proofs read the nodes themselves (and report the error, if it persists).
      LogEvent(LogLevel::kWarning, "cannot fill the proof cache",
               {{"error", std::string(s.message())}});
      return;
    }
  }
}

absl::StatusOr<std::vector<Hash>> ProofCache::Read(const merkle::ProofPlan& plan,
                                                   TreeSize head_size) const {
  const store::LogStore* s = store_;
  merkle::NodeBatchReader read = [s](const std::vector<merkle::NodeId>& ids,
                                     std::vector<Hash>* out) { return s->GetNodes(ids, out); };
  if (budget_bytes_ == 0) return merkle::ReadPlan(plan, read);
  // The log grew past what the budget holds at this level: drop the lowest cached level(s).
  const uint32_t level = merkle::NodeCache::MinLevelFor(head_size, budget_bytes_);
  if (level > cache_.min_level()) cache_.RaiseMinLevel(level);
  return merkle::ReadPlan(plan, merkle::CachingNodeReader(&cache_, std::move(read), head_size));
}

}  // namespace ledger::core
