// ProofCache: what the Log keeps in memory to serve proofs fast.
//
// Proofs and historic roots need O(log n) Merkle nodes; reading each from RocksDB is most of
// their cost. The cache holds every perfect subtree from some level up, in arrays
// (merkle::NodeCache): the level is the lowest one whose nodes fit in the byte budget, so the
// memory stays within the budget however long the log grows (128 MiB, the default, hold every
// node up to 1.86M entries, levels >= 3 up to 14.9M; each doubling of the log costs one more
// level, i.e. one more node read per proof). A proof then reads only its nodes below that
// level -- none, or a few neighbours of its leaf -- with one batched store read.
//
// Complete subtrees never change, so the cache needs no invalidation. It is filled by proofs
// as they read nodes, and after start-up by a background thread that scans the cached levels
// of the tree as it was at open (top level first), so that start-up itself reads nothing.
//
// Thread-safe.
#ifndef LEDGER_CORE_PROOF_CACHE_H_
#define LEDGER_CORE_PROOF_CACHE_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_cache.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/log_store.h"

namespace ledger::core {

class ProofCache {
 public:
  // `store` must outlive the cache. budget_bytes 0: nothing is cached.
  ProofCache(const store::LogStore* store, uint64_t budget_bytes);
  // Stops the warm-up.
  ~ProofCache();

  ProofCache(const ProofCache&) = delete;
  ProofCache& operator=(const ProofCache&) = delete;

  // Starts filling the cache, in a background thread, with the cached levels of the tree of
  // `size` leaves (which the store must hold). At most once; nothing for size 0.
  void StartWarmUp(TreeSize size);
  // Blocks until the warm-up has finished (for tests and benchmarks).
  void WaitForWarmUp() const;

  // The hashes `plan` asks for from the tree of `head_size` leaves, the log's current size
  // (the plan may ask about that tree or an older one): cached nodes, and the rest with one
  // LogStore::GetNodes.
  absl::StatusOr<std::vector<Hash>> Read(const merkle::ProofPlan& plan, TreeSize head_size) const;

  // The lowest level cached now (merkle::NodeCache::kNoLevel when none), and the bytes held.
  uint32_t min_level() const { return cache_.min_level(); }
  size_t memory_bytes() const { return cache_.memory_bytes(); }

 private:
  void WarmUp(TreeSize size);

  const store::LogStore* const store_;
  const uint64_t budget_bytes_;
  mutable merkle::NodeCache cache_;
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  std::thread warm_up_ ABSL_GUARDED_BY(mu_);
  bool warm_up_done_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace ledger::core

#endif  // LEDGER_CORE_PROOF_CACHE_H_
