#include "ledger/merkle/proof.h"

#include <algorithm>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"

namespace ledger::merkle {
namespace {

absl::StatusOr<Hash> ReadNode(const NodeReader& read, const NodeId& id) {
  absl::StatusOr<Hash> hash = read(id);
  if (!hash.ok()) {
    return absl::Status(hash.status().code(),
                        absl::StrCat("reading Merkle node level ", id.level, " index ", id.index,
                                     ": ", hash.status().message()));
  }
  return hash;
}

// The largest power of two strictly less than n. Precondition: n >= 2.
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (absl::bit_width(n - 1) - 1); }

// A range [begin, end) of the tree whose hash a proof needs.
struct Range {
  uint64_t begin;
  uint64_t end;
};

// Reads and hashes `ranges` into a proof. Each range is a node of the RFC 6962 tree.
absl::StatusOr<std::vector<Hash>> HashRanges(const std::vector<Range>& ranges,
                                             const NodeReader& read) {
  std::vector<Hash> proof;
  proof.reserve(ranges.size());
  for (const Range& range : ranges) {
    LEDGER_ASSIGN_OR_RETURN(Hash hash, SubtreeRoot(range.begin, range.end, read));
    proof.push_back(hash);
  }
  return proof;
}

}  // namespace

absl::StatusOr<Hash> SubtreeRoot(uint64_t begin, uint64_t end, const NodeReader& read) {
  if (begin >= end) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty leaf range [", begin, ", ", end, ")"));
  }
  const uint64_t width = end - begin;
  // The smallest power of two >= width, i.e. 1 << bit_width(width - 1) (2^64 when width
  // exceeds 2^63, which only begin == 0 is a multiple of).
  const int ceil_log2 = absl::bit_width(width - 1);
  if (ceil_log2 < 64 && begin % (uint64_t{1} << ceil_log2) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf range [", begin, ", ", end, ") is not a node of an RFC 6962 tree: begin must be "
        "a multiple of ", uint64_t{1} << ceil_log2));
  }
  if (ceil_log2 == 64 && begin != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf range [", begin, ", ", end, ") is not a node of an RFC 6962 tree"));
  }
  const std::vector<NodeId> nodes = RangeNodes(begin, end);
  // The levels strictly decrease, so MTH is the right fold of the nodes.
  LEDGER_ASSIGN_OR_RETURN(Hash root, ReadNode(read, nodes.back()));
  for (size_t i = nodes.size() - 1; i-- > 0;) {
    LEDGER_ASSIGN_OR_RETURN(Hash left, ReadNode(read, nodes[i]));
    root = HashChildren(left, root);
  }
  return root;
}

absl::StatusOr<Hash> RootAt(TreeSize size, const NodeReader& read) {
  if (size == 0) return EmptyRoot();
  return SubtreeRoot(0, size, read);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index, TreeSize size,
                                                 const NodeReader& read) {
  if (leaf_index >= size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inclusion proof for leaf index ", leaf_index, " in a tree of size ", size,
        ": want leaf_index < size"));
  }
  // Walk PATH(m, D[begin:end]) from the root down; the sibling found at each step is the
  // proof element one level above the previous one, so the list is reversed at the end.
  std::vector<Range> siblings;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (leaf_index < mid) {
      siblings.push_back({mid, end});  // May be the ragged right edge; the only such range.
      end = mid;
    } else {
      siblings.push_back({begin, mid});  // Always a perfect subtree.
      begin = mid;
    }
  }
  std::reverse(siblings.begin(), siblings.end());
  return HashRanges(siblings, read);
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size, TreeSize to_size,
                                                   const NodeReader& read) {
  if (from_size > to_size) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof from tree size ",
                                                   from_size, " to ", to_size,
                                                   ": want from_size <= to_size"));
  }
  if (from_size == 0 || from_size == to_size) return std::vector<Hash>();
  // SUBPROOF(m, D[begin:end], b) of RFC 6962 §2.1.2 with m = from_size - begin, unrolled.
  std::vector<Range> ranges;
  uint64_t begin = 0;
  uint64_t end = to_size;
  bool whole_old_tree = true;  // The flag b: D[begin:end] starts at leaf 0 of the old tree.
  while (from_size != end) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (from_size <= mid) {
      ranges.push_back({mid, end});
      end = mid;
    } else {
      ranges.push_back({begin, mid});
      begin = mid;
      whole_old_tree = false;
    }
  }
  // Here from_size == end: D[begin:end] is the part of the old tree in this subtree. Its hash
  // is in the proof unless the verifier already has it as the old root.
  if (!whole_old_tree) ranges.push_back({begin, end});
  std::reverse(ranges.begin(), ranges.end());
  return HashRanges(ranges, read);
}

}  // namespace ledger::merkle
