// A Merkle tree for tests: leaves appended through Frontier, every emitted node kept in a map,
// and NodeReaders that serve the store as it was at any historic size.
#ifndef TESTS_MERKLE_TEST_TREE_H_
#define TESTS_MERKLE_TEST_TREE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ledger/base/types.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/node_id.h"

namespace ledger::merkle::testing {

// The data of leaf `index` in every test tree: distinct for every index.
std::string TestLeafData(uint64_t index);

// Thread-compatible.
class TestTree {
 public:
  // A tree of `size` leaves TestLeafData(0 .. size - 1).
  explicit TestTree(uint64_t size);

  // Appends leaf TestLeafData(size()) and stores the nodes the frontier emits. Fails the
  // current test (ADD_FAILURE) if a node is emitted twice.
  void AppendNext();

  uint64_t size() const { return frontier_.size(); }
  const Frontier& frontier() const { return frontier_; }
  const std::vector<Hash>& leaf_hashes() const { return leaf_hashes_; }
  const std::map<NodeId, Hash>& nodes() const { return nodes_; }
  // The nodes emitted by the append of leaf i, in order.
  const std::vector<std::vector<std::pair<NodeId, Hash>>>& emitted() const { return emitted_; }
  // roots()[s] is frontier().Root() as it was at size s, for s in 0 .. size().
  const std::vector<Hash>& roots() const { return roots_; }

  // A reader of the store as it was at tree size `as_of` (<= size()): NotFound for a node that
  // did not exist yet. Each call increments *reads when `reads` is non-null. The reader
  // borrows this tree, which must outlive it.
  NodeReader Reader(uint64_t as_of, uint64_t* reads = nullptr) const;

 private:
  Frontier frontier_;
  std::vector<Hash> leaf_hashes_;
  std::map<NodeId, Hash> nodes_;
  std::vector<std::vector<std::pair<NodeId, Hash>>> emitted_;
  std::vector<Hash> roots_;
};

// Returns `h` with bit `bit` (0..255) flipped.
Hash FlipBit(Hash h, int bit);

}  // namespace ledger::merkle::testing

#endif  // TESTS_MERKLE_TEST_TREE_H_
