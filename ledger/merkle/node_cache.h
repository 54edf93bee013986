// NodeCache: an in-memory copy of the upper part of a Merkle tree -- the perfect subtrees at
// levels >= min_level() -- filled as proofs read them (and, by its owner, ahead of time).
//
// A perfect subtree's hash never changes once the subtree is complete (compact_range.h), so a
// cached hash never goes stale: no invalidation, however the tree grows. Callers must only
// insert nodes they read from the store of a tree at least as large as the node's end.
//
// Memory: one 32-byte slot per node of each cached level, so at most 32 * 2 * size / 2^level
// bytes for a tree of `size` leaves cached from `level` up (64 bytes per entry from level 0,
// 4 from level 4). MinLevelFor picks the lowest level that fits a byte budget; as the tree
// grows, RaiseMinLevel drops the lowest levels to stay within it.
//
// Thread-safe: lookups share a reader lock; inserts take it exclusively.
//
// Example:
//   NodeCache cache(NodeCache::MinLevelFor(size, 64 << 20));
//   NodeBatchReader read = CachingNodeReader(&cache, store_reader, size);
//   LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> proof, ReadPlan(plan, read));
#ifndef LEDGER_MERKLE_NODE_CACHE_H_
#define LEDGER_MERKLE_NODE_CACHE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"

namespace ledger::merkle {

class NodeCache {
 public:
  // Levels this high or higher are never cached (no tree has nodes there to cache).
  static constexpr uint32_t kNoLevel = 64;

  // The lowest level from which every node of a tree of `size` leaves fits in `budget_bytes`
  // (2 * size / 2^level slots of 32 bytes); kNoLevel when even the top does not fit.
  static uint32_t MinLevelFor(uint64_t size, uint64_t budget_bytes);

  // Caches levels >= min_level (0 caches every node, leaves included; kNoLevel nothing).
  explicit NodeCache(uint32_t min_level) : min_level_(min_level) {}

  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  uint32_t min_level() const;

  // Stops caching levels below `level` and frees them. Never lowers the level.
  void RaiseMinLevel(uint32_t level);

  // For each ids[i] in the cache, sets (*hashes)[i] and (*found)[i] = true (other elements
  // are left alone). Both vectors must have ids.size() elements. Returns how many were found.
  size_t Lookup(const std::vector<NodeId>& ids, std::vector<Hash>* hashes,
                std::vector<bool>* found) const;

  // Caches hashes[i] as the hash of ids[i] for each id at a cached level whose leaves end at
  // or before `tree_size` (the size of the tree they were read from); others are ignored.
  void Insert(const std::vector<NodeId>& ids, const std::vector<Hash>& hashes,
              uint64_t tree_size);

  // Bytes held by the slots.
  size_t memory_bytes() const;

 private:
  mutable absl::Mutex mu_;
  uint32_t min_level_ ABSL_GUARDED_BY(mu_);
  // levels_[level][index]; an all-zero hash is an empty slot (SHA-256 never gives it in
  // practice, and if it did, that node would simply be read from the store each time).
  std::array<std::vector<Hash>, kNoLevel> levels_ ABSL_GUARDED_BY(mu_);
};

// A NodeBatchReader that serves what `cache` holds and reads the rest with one call of
// `store` (which must read a tree of at least `tree_size` leaves), then caches what it read.
// `cache` must outlive the reader.
NodeBatchReader CachingNodeReader(NodeCache* cache, NodeBatchReader store, uint64_t tree_size);

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_NODE_CACHE_H_
