#include "tests/merkle/test_tree.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/merkle/hasher.h"

namespace ledger::merkle::testing {

std::string TestLeafData(uint64_t index) { return absl::StrCat("test leaf ", index); }

TestTree::TestTree(uint64_t size) {
  roots_.push_back(frontier_.Root());
  for (uint64_t i = 0; i < size; ++i) AppendNext();
}

void TestTree::AppendNext() {
  Hash leaf_hash = HashLeaf(TestLeafData(frontier_.size()));
  leaf_hashes_.push_back(leaf_hash);
  std::vector<std::pair<NodeId, Hash>> new_nodes;
  frontier_.Append(leaf_hash, &new_nodes);
  for (const auto& [id, hash] : new_nodes) {
    if (!nodes_.emplace(id, hash).second) {
      ADD_FAILURE() << "node level " << id.level << " index " << id.index << " emitted twice";
    }
  }
  emitted_.push_back(std::move(new_nodes));
  roots_.push_back(frontier_.Root());
}

NodeReader TestTree::Reader(uint64_t as_of, uint64_t* reads) const {
  return [this, as_of, reads](NodeId id) -> absl::StatusOr<Hash> {
    if (reads != nullptr) ++*reads;
    auto it = nodes_.find(id);
    if (it == nodes_.end() || id.end() > as_of) {
      return absl::NotFoundError(absl::StrCat("no node level ", id.level, " index ", id.index,
                                              " in the tree of size ", as_of));
    }
    return it->second;
  };
}

Hash FlipBit(Hash h, int bit) {
  h[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return h;
}

}  // namespace ledger::merkle::testing
