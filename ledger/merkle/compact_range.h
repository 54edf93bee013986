// Compact ranges: the decomposition of a leaf range into perfect subtrees, and `Frontier`, the
// right edge of a growing tree, which appends leaves in O(log n) time and memory.
//
// A store that persists every node `Frontier::Append` emits holds every perfect subtree of the
// tree; proof.h then builds any root or proof from O(log n) of those nodes.
#ifndef LEDGER_MERKLE_COMPACT_RANGE_H_
#define LEDGER_MERKLE_COMPACT_RANGE_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"

namespace ledger::merkle {

// Returns the minimal list of perfect subtrees that exactly cover the leaves [begin, end),
// ordered left to right (empty when begin >= end). Each node is the largest perfect subtree
// that starts where the previous one ended and fits before `end`.
//
// For begin == 0 this is one node per set bit of `end`, highest level first; more generally,
// when `begin` is a multiple of the smallest power of two >= end - begin (every range in an
// RFC 6962 proof), the levels strictly decrease and the RFC 6962 hash of the range is the
// right fold HashChildren(n0, HashChildren(n1, ... n_last)).
//
// Example: RangeNodes(0, 7) == {{2, 0}, {1, 2}, {0, 6}}.
std::vector<NodeId> RangeNodes(uint64_t begin, uint64_t end);

// The right edge of a Merkle tree of `size()` leaves: the hashes of the perfect subtrees
// RangeNodes(0, size()), one per set bit of the size. This is all that is needed to append a
// leaf and to compute the root.
//
// Thread-compatible: const methods may be called concurrently, Append needs exclusive access.
//
// Example:
//   Frontier frontier;
//   std::vector<std::pair<NodeId, Hash>> new_nodes;
//   frontier.Append(HashLeaf("entry 0"), &new_nodes);  // persist new_nodes with the entry
//   Hash root = frontier.Root();
class Frontier {
 public:
  // The frontier of the empty tree.
  Frontier() = default;

  // Reconstructs the frontier of the tree of `size` leaves by reading exactly the
  // popcount(size) nodes RangeNodes(0, size) through `read`, left to right. `read` is only
  // used during the call. Returns the reader's error (same code, the node named in the
  // message) if a read fails, e.g. NotFound when the store lacks a node.
  static absl::StatusOr<Frontier> Load(TreeSize size, const NodeReader& read);

  // Appends the leaf whose hash is `leaf_hash` (see HashLeaf). Appends to `*new_nodes` (if
  // non-null; existing contents are kept) the leaf node {0, size()} and then each perfect
  // subtree the leaf completes, lowest level first; each node is emitted exactly once over the
  // life of the tree. Precondition: size() < UINT64_MAX.
  void Append(const Hash& leaf_hash, std::vector<std::pair<NodeId, Hash>>* new_nodes);

  // Returns the RFC 6962 root MTH of the whole tree; EmptyRoot() for size 0. O(log n) hashes.
  Hash Root() const;

  // The number of leaves in the tree.
  TreeSize size() const { return size_; }

  // The hashes of RangeNodes(0, size()), left to right (highest level first).
  const std::vector<Hash>& hashes() const { return hashes_; }

 private:
  TreeSize size_ = 0;
  std::vector<Hash> hashes_;
};

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_COMPACT_RANGE_H_
