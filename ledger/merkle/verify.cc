#include "ledger/merkle/verify.h"

#include "absl/numeric/bits.h"
#include "absl/strings/str_cat.h"
#include "ledger/merkle/hasher.h"

namespace ledger::merkle {
namespace {

// The length of PATH(index, D[0:size]), precondition index < size: one element for each level
// below the point where the paths to `index` and `size - 1` split (`inner`), plus one for each
// level above it where `index` lies in a right subtree (the left siblings along the border).
size_t InclusionProofLength(uint64_t index, uint64_t size) {
  const int inner = absl::bit_width(index ^ (size - 1));
  const uint64_t above = inner >= 64 ? 0 : index >> inner;
  return static_cast<size_t>(inner + absl::popcount(above));
}

absl::Status CheckRoot(absl::string_view what, const Hash& got, const Hash& wanted) {
  if (got == wanted) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what, " does not match: got ", HexEncode(got),
                                          ", wanted ", HexEncode(wanted)));
}

}  // namespace

absl::StatusOr<Hash> RootFromInclusionProof(uint64_t leaf_index, TreeSize size,
                                            const Hash& leaf_hash,
                                            const std::vector<Hash>& proof) {
  if (leaf_index >= size) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof for leaf index ",
                                                   leaf_index, " in a tree of size ", size,
                                                   ": want leaf_index < size"));
  }
  const size_t want_length = InclusionProofLength(leaf_index, size);
  if (proof.size() != want_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inclusion proof for leaf index ", leaf_index, " in a tree of size ", size, " has ",
        proof.size(), " hashes, want ", want_length));
  }
  // RFC 9162 §2.1.3.2, step by step. fn is the index of the current node on its level and sn
  // the index of the last node on that level.
  uint64_t fn = leaf_index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {  // Unreachable after the length check; kept as the RFC states it.
      return absl::InvalidArgumentError("inclusion proof is longer than the path");
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = HashChildren(p, r);
      // A rightmost node without a right sibling is promoted unchanged: skip those levels.
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("inclusion proof is shorter than the path");
  return r;
}

absl::Status VerifyInclusion(uint64_t leaf_index, TreeSize size, const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root) {
  absl::StatusOr<Hash> computed = RootFromInclusionProof(leaf_index, size, leaf_hash, proof);
  if (!computed.ok()) return computed.status();
  return CheckRoot(absl::StrCat("root from the inclusion proof for leaf index ", leaf_index,
                                " in a tree of size ", size),
                   *computed, root);
}

absl::Status VerifyConsistency(TreeSize size1, TreeSize size2, const Hash& root1,
                               const Hash& root2, const std::vector<Hash>& proof) {
  if (size1 > size2) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof from tree size ", size1,
                                                   " to ", size2, ": want size1 <= size2"));
  }
  if (size1 == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "consistency proof from tree size 0 to ", size2,
        ": a proof from the empty tree is meaningless"));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof between equal sizes ",
                                                     size1, " has ", proof.size(),
                                                     " hashes, want 0"));
    }
    return CheckRoot(absl::StrCat("root of tree size ", size2), root1, root2);
  }
  // The proof is the inclusion proof of leaf size1 - 1 in the tree of size2, minus its lowest
  // `shift` levels (the old tree's last perfect subtree is whole), preceded by the hash of that
  // subtree unless it is the whole old tree (size1 a power of two: the verifier has root1).
  const int shift = absl::countr_zero(size1);
  const bool size1_is_power_of_two = (size1 & (size1 - 1)) == 0;
  const size_t want_length = InclusionProofLength(size1 - 1, size2) - shift +
                             (size1_is_power_of_two ? 0 : 1);
  if (proof.size() != want_length) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof from tree size ", size1,
                                                   " to ", size2, " has ", proof.size(),
                                                   " hashes, want ", want_length));
  }
  // RFC 9162 §2.1.4.2. The path starts with the old tree's last perfect subtree.
  const Hash& seed = size1_is_power_of_two ? root1 : proof[0];
  const size_t first = size1_is_power_of_two ? 0 : 1;
  uint64_t fn = (size1 - 1) >> shift;
  uint64_t sn = (size2 - 1) >> shift;
  Hash fr = seed;
  Hash sr = seed;
  for (size_t i = first; i < proof.size(); ++i) {
    const Hash& c = proof[i];
    if (sn == 0) {  // Unreachable after the length check; kept as the RFC states it.
      return absl::InvalidArgumentError("consistency proof is longer than the path");
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("consistency proof is shorter than the path");
  absl::Status s = CheckRoot(
      absl::StrCat("root of tree size ", size1, " from the consistency proof"), fr, root1);
  if (!s.ok()) return s;
  return CheckRoot(absl::StrCat("root of tree size ", size2, " from the consistency proof"),
                   sr, root2);
}

}  // namespace ledger::merkle
