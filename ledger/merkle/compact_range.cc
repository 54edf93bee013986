#include "ledger/merkle/compact_range.h"

#include <cstdint>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/merkle/hasher.h"

namespace ledger::merkle {

std::vector<NodeId> RangeNodes(uint64_t begin, uint64_t end) {
  std::vector<NodeId> nodes;
  while (begin < end) {
    // The largest aligned subtree starting at `begin`, shrunk until it fits before `end`.
    uint32_t level = begin == 0 ? 63 : static_cast<uint32_t>(absl::countr_zero(begin));
    while (((end - begin) >> level) == 0) --level;
    nodes.push_back(NodeId{level, begin >> level});
    begin += uint64_t{1} << level;
  }
  return nodes;
}

absl::StatusOr<Frontier> Frontier::Load(TreeSize size, const NodeReader& read) {
  Frontier frontier;
  for (const NodeId& id : RangeNodes(0, size)) {
    absl::StatusOr<Hash> hash = read(id);
    if (!hash.ok()) {
      return absl::Status(hash.status().code(),
                          absl::StrCat("loading the frontier of tree size ", size,
                                       ": reading node level ", id.level, " index ", id.index,
                                       ": ", hash.status().message()));
    }
    frontier.hashes_.push_back(*hash);
  }
  frontier.size_ = size;
  return frontier;
}

void Frontier::Append(const Hash& leaf_hash, std::vector<std::pair<NodeId, Hash>>* new_nodes) {
  const uint64_t index = size_;
  Hash carry = leaf_hash;
  if (new_nodes != nullptr) new_nodes->emplace_back(NodeId{0, index}, carry);
  // Each trailing one bit of the old size is a perfect subtree that the new leaf's subtree
  // now completes as its right sibling; merge them from the lowest level up.
  uint32_t level = 0;
  while ((index >> level) & 1) {
    carry = HashChildren(hashes_.back(), carry);
    hashes_.pop_back();
    ++level;
    if (new_nodes != nullptr) new_nodes->emplace_back(NodeId{level, index >> level}, carry);
  }
  hashes_.push_back(carry);
  ++size_;
}

Hash Frontier::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = HashChildren(hashes_[i], root);
  return root;
}

}  // namespace ledger::merkle
