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

absl::Status NodeError(const absl::Status& status, const NodeId& id) {
  return absl::Status(status.code(), absl::StrCat("reading Merkle node level ", id.level,
                                                  " index ", id.index, ": ", status.message()));
}

// The largest power of two strictly less than n. Precondition: n >= 2.
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (absl::bit_width(n - 1) - 1); }

// Checks that [begin, end) is a node of an RFC 6962 tree (SubtreeRoot's precondition).
absl::Status CheckRange(uint64_t begin, uint64_t end) {
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
  return absl::OkStatus();
}

// Reads the plan's nodes one by one through a NodeReader.
NodeBatchReader OneByOne(const NodeReader& read) {
  return [&read](const std::vector<NodeId>& ids, std::vector<Hash>* out) -> absl::Status {
    out->clear();
    out->reserve(ids.size());
    for (const NodeId& id : ids) {
      absl::StatusOr<Hash> hash = read(id);
      if (!hash.ok()) return NodeError(hash.status(), id);
      out->push_back(*hash);
    }
    return absl::OkStatus();
  };
}

}  // namespace

absl::Status ProofPlan::AddRange(uint64_t begin, uint64_t end) {
  LEDGER_RETURN_IF_ERROR(CheckRange(begin, end));
  for (const NodeId& id : RangeNodes(begin, end)) steps_.push_back(id);
  range_ends_.push_back(static_cast<uint32_t>(steps_.size()));
  return absl::OkStatus();
}

std::vector<NodeId> ProofPlan::DistinctNodes() const {
  std::vector<NodeId> nodes = steps_;
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

std::vector<Hash> ProofPlan::Fold(const std::vector<NodeId>& nodes,
                                  const std::vector<Hash>& hashes) const {
  auto hash_of = [&](const NodeId& id) -> const Hash& {
    return hashes[std::lower_bound(nodes.begin(), nodes.end(), id) - nodes.begin()];
  };
  std::vector<Hash> out;
  out.reserve(range_ends_.size());
  uint32_t begin = 0;
  for (const uint32_t end : range_ends_) {
    // The levels strictly decrease along a range, so MTH is the right fold of its nodes.
    Hash root = hash_of(steps_[end - 1]);
    for (uint32_t i = end - 1; i-- > begin;) root = HashChildren(hash_of(steps_[i]), root);
    out.push_back(root);
    begin = end;
  }
  return out;
}

absl::StatusOr<ProofPlan> PlanInclusionProof(uint64_t leaf_index, TreeSize size) {
  if (leaf_index >= size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inclusion proof for leaf index ", leaf_index, " in a tree of size ", size,
        ": want leaf_index < size"));
  }
  // Walk PATH(m, D[begin:end]) from the root down; the sibling found at each step is the
  // proof element one level above the previous one, so the list is reversed at the end.
  std::vector<std::pair<uint64_t, uint64_t>> siblings;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (leaf_index < mid) {
      siblings.emplace_back(mid, end);  // May be the ragged right edge; the only such range.
      end = mid;
    } else {
      siblings.emplace_back(begin, mid);  // Always a perfect subtree.
      begin = mid;
    }
  }
  ProofPlan plan;
  for (auto it = siblings.rbegin(); it != siblings.rend(); ++it) {
    LEDGER_RETURN_IF_ERROR(plan.AddRange(it->first, it->second));
  }
  return plan;
}

absl::StatusOr<ProofPlan> PlanConsistencyProof(TreeSize from_size, TreeSize to_size) {
  if (from_size > to_size) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof from tree size ",
                                                   from_size, " to ", to_size,
                                                   ": want from_size <= to_size"));
  }
  ProofPlan plan;
  if (from_size == 0 || from_size == to_size) return plan;
  // SUBPROOF(m, D[begin:end], b) of RFC 6962 §2.1.2 with m = from_size - begin, unrolled.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t begin = 0;
  uint64_t end = to_size;
  bool whole_old_tree = true;  // The flag b: D[begin:end] starts at leaf 0 of the old tree.
  while (from_size != end) {
    const uint64_t mid = begin + SplitPoint(end - begin);
    if (from_size <= mid) {
      ranges.emplace_back(mid, end);
      end = mid;
    } else {
      ranges.emplace_back(begin, mid);
      begin = mid;
      whole_old_tree = false;
    }
  }
  // Here from_size == end: D[begin:end] is the part of the old tree in this subtree. Its hash
  // is in the proof unless the verifier already has it as the old root.
  if (!whole_old_tree) ranges.emplace_back(begin, end);
  for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
    LEDGER_RETURN_IF_ERROR(plan.AddRange(it->first, it->second));
  }
  return plan;
}

absl::StatusOr<std::vector<Hash>> ReadPlan(const ProofPlan& plan, const NodeBatchReader& read) {
  const std::vector<NodeId> nodes = plan.DistinctNodes();
  std::vector<Hash> hashes;
  if (!nodes.empty()) {
    LEDGER_RETURN_IF_ERROR(read(nodes, &hashes));
    if (hashes.size() != nodes.size()) {
      return absl::InternalError(absl::StrCat("a node reader returned ", hashes.size(),
                                              " hashes for ", nodes.size(), " nodes"));
    }
  }
  return plan.Fold(nodes, hashes);
}

absl::StatusOr<Hash> SubtreeRoot(uint64_t begin, uint64_t end, const NodeReader& read) {
  ProofPlan plan;
  LEDGER_RETURN_IF_ERROR(plan.AddRange(begin, end));
  LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ReadPlan(plan, OneByOne(read)));
  return hashes[0];
}

absl::StatusOr<Hash> RootAt(TreeSize size, const NodeReader& read) {
  if (size == 0) return EmptyRoot();
  return SubtreeRoot(0, size, read);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index, TreeSize size,
                                                 const NodeReader& read) {
  LEDGER_ASSIGN_OR_RETURN(ProofPlan plan, PlanInclusionProof(leaf_index, size));
  return ReadPlan(plan, OneByOne(read));
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size, TreeSize to_size,
                                                   const NodeReader& read) {
  LEDGER_ASSIGN_OR_RETURN(ProofPlan plan, PlanConsistencyProof(from_size, to_size));
  return ReadPlan(plan, OneByOne(read));
}

}  // namespace ledger::merkle
