// NodeCache: an in-memory copy of the upper part of a Merkle tree -- the perfect subtrees at
// levels >= min_level -- filled as proofs read them.
//
// A perfect subtree's hash never changes once the subtree is complete (compact_range.h), so a
// cached hash never goes stale: no invalidation, however the tree grows. Callers must only
// insert nodes they read from the store of a tree at least as large as the node's end.
//
// Memory: one 32-byte slot per node of each cached level up to the highest index inserted, so
// at most 32 * 2 * size / 2^min_level bytes for a tree of `size` leaves (min_level 4: 4 bytes
// per entry, 4 MB for a million entries).
//
// Thread-safe: lookups share a reader lock; inserts take it exclusively.
//
// Example:
//   NodeCache cache(4);
//   NodeBatchReader read = CachingNodeReader(&cache, store_reader, tree_size);
//   LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> proof, ReadPlan(plan, read));
#ifndef LEDGER_MERKLE_NODE_CACHE_H_
#define LEDGER_MERKLE_NODE_CACHE_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"

namespace ledger::merkle {

class NodeCache {
 public:
  // Caches levels >= min_level (0 caches every node, leaves included).
  explicit NodeCache(uint32_t min_level) : min_level_(min_level) {}

  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  uint32_t min_level() const { return min_level_; }

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
  const uint32_t min_level_;
  mutable absl::Mutex mu_;
  // levels_[l - min_level_][index]; an all-zero hash is an empty slot (SHA-256 never gives it
  // in practice, and if it did, that node would simply be read from the store each time).
  std::vector<std::vector<Hash>> levels_ ABSL_GUARDED_BY(mu_);
};

// A NodeBatchReader that serves what `cache` holds and reads the rest with one call of
// `store` (which must read a tree of at least `tree_size` leaves), then caches what it read.
// `cache` must outlive the reader.
NodeBatchReader CachingNodeReader(NodeCache* cache, NodeBatchReader store, uint64_t tree_size);

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_NODE_CACHE_H_
