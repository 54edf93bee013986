// Differential fuzzing of ledger/merkle against a reference RFC 6962 implementation written
// here, straight from the recursive definitions of RFC 6962 §2.1 (MTH, PATH, PROOF/SUBPROOF),
// with its own hashing (SHA-256 with the 0x00 / 0x01 prefixes, not merkle::HashLeaf).
//
// Input: a mode byte, then
//   tree mode   a tree of 1..300 leaves (bit 1 of the mode: leaves of one byte each, so many
//               are equal), then checks until the input runs out: proof generation and roots
//               must equal the reference; valid proofs must verify; each proof is then mutated
//               (a hash, the index, a size, the leaf, a root, the length) and the real verifier
//               must accept exactly when the reference verifier does.
//   free mode   arbitrary 64-bit sizes and indices with proofs from the input: the real
//               verifiers and the reference verifiers must agree, and proofs built to be valid
//               by the reference must verify.
// Any disagreement aborts.
#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/strings/str_cat.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/verify.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

// ---- The reference: RFC 6962 §2.1, recursively ---------------------------------------------

Hash RefLeaf(absl::string_view data) {
  return crypto::Sha256Concat({absl::string_view("\x00", 1), data});
}
Hash RefNode(const Hash& l, const Hash& r) {
  return crypto::Sha256Concat({absl::string_view("\x01", 1), AsStringView(l), AsStringView(r)});
}
Hash RefEmpty() { return crypto::Sha256(""); }

// The largest power of two strictly less than n (n >= 2), by counting.
uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k < n - k) k <<= 1;  // i.e. while 2k < n, without overflow
  return k;
}

// The leaf hashes D[0..n), and MTH of the ranges computed so far (a memo: the definitions
// below stay the recursive ones, they just do not recompute a subtree twice).
struct Leaves {
  std::vector<Hash> hashes;
  mutable std::map<std::pair<uint64_t, uint64_t>, Hash> memo;
  size_t size() const { return hashes.size(); }
  bool empty() const { return hashes.empty(); }
  const Hash& operator[](size_t i) const { return hashes[i]; }
};

// MTH(D[a:b]).
Hash RefMth(const Leaves& d, uint64_t a, uint64_t b) {
  if (b == a) return RefEmpty();
  if (b - a == 1) return d[a];
  auto it = d.memo.find({a, b});
  if (it != d.memo.end()) return it->second;
  const uint64_t k = RefSplit(b - a);
  const Hash h = RefNode(RefMth(d, a, a + k), RefMth(d, a + k, b));
  d.memo[{a, b}] = h;
  return h;
}

// PATH(m, D[a:b]), m relative to a.
std::vector<Hash> RefPath(const Leaves& d, uint64_t m, uint64_t a, uint64_t b) {
  if (b - a == 1) return {};
  const uint64_t k = RefSplit(b - a);
  std::vector<Hash> p;
  if (m < k) {
    p = RefPath(d, m, a, a + k);
    p.push_back(RefMth(d, a + k, b));
  } else {
    p = RefPath(d, m - k, a + k, b);
    p.push_back(RefMth(d, a, a + k));
  }
  return p;
}

// SUBPROOF(m, D[a:b], flag).
std::vector<Hash> RefSubproof(const Leaves& d, uint64_t m, uint64_t a, uint64_t b, bool flag) {
  if (m == b - a) return flag ? std::vector<Hash>{} : std::vector<Hash>{RefMth(d, a, b)};
  const uint64_t k = RefSplit(b - a);
  std::vector<Hash> p;
  if (m <= k) {
    p = RefSubproof(d, m, a, a + k, flag);
    p.push_back(RefMth(d, a + k, b));
  } else {
    p = RefSubproof(d, m - k, a + k, b, false);
    p.push_back(RefMth(d, a, a + k));
  }
  return p;
}

// PROOF(m, D[0:n]); empty for m == 0 (RFC 6962 leaves it undefined; docs/format.md §4).
std::vector<Hash> RefProof(const Leaves& d, uint64_t m, uint64_t n) {
  if (m == 0) return {};
  return RefSubproof(d, m, 0, n, true);
}

// Verification by inverting PATH: the root a path of `len` hashes (proof[0..len)) implies for
// leaf m of a tree of n leaves, or nullopt when the path has the wrong shape. Works for any
// 64-bit size: the recursion is at most 64 deep.
std::optional<Hash> RefRootFromPath(uint64_t m, uint64_t n, const Hash& leaf,
                                    const std::vector<Hash>& proof, size_t len) {
  if (n == 1) return len == 0 ? std::optional<Hash>(leaf) : std::nullopt;
  if (len == 0) return std::nullopt;
  const uint64_t k = RefSplit(n);
  const Hash& last = proof[len - 1];
  if (m < k) {
    std::optional<Hash> sub = RefRootFromPath(m, k, leaf, proof, len - 1);
    if (!sub) return std::nullopt;
    return RefNode(*sub, last);
  }
  std::optional<Hash> sub = RefRootFromPath(m - k, n - k, leaf, proof, len - 1);
  if (!sub) return std::nullopt;
  return RefNode(last, *sub);
}

std::optional<Hash> RefInclusionRoot(uint64_t m, uint64_t n, const Hash& leaf,
                                     const std::vector<Hash>& proof) {
  if (m >= n) return std::nullopt;
  return RefRootFromPath(m, n, leaf, proof, proof.size());
}

// Inverting SUBPROOF: the (old, new) roots a consistency proof implies, given the old root
// (used where the old tree is a whole left subtree), or nullopt for the wrong shape.
std::optional<std::pair<Hash, Hash>> RefSubproofRoots(uint64_t m, uint64_t n, bool flag,
                                                      const std::vector<Hash>& proof,
                                                      size_t len, const Hash& root1) {
  if (m == n) {
    if (flag) return len == 0 ? std::optional(std::make_pair(root1, root1)) : std::nullopt;
    return len == 1 ? std::optional(std::make_pair(proof[0], proof[0])) : std::nullopt;
  }
  if (len == 0) return std::nullopt;
  const uint64_t k = RefSplit(n);
  const Hash& last = proof[len - 1];
  if (m <= k) {
    auto sub = RefSubproofRoots(m, k, flag, proof, len - 1, root1);
    if (!sub) return std::nullopt;
    return std::make_pair(sub->first, RefNode(sub->second, last));
  }
  auto sub = RefSubproofRoots(m - k, n - k, false, proof, len - 1, root1);
  if (!sub) return std::nullopt;
  return std::make_pair(RefNode(last, sub->first), RefNode(last, sub->second));
}

// Whether the reference accepts a consistency proof (no proof from the empty tree).
bool RefVerifyConsistency(uint64_t m, uint64_t n, const Hash& root1, const Hash& root2,
                          const std::vector<Hash>& proof) {
  if (m == 0 || m > n) return false;
  if (m == n) return proof.empty() && root1 == root2;
  auto roots = RefSubproofRoots(m, n, true, proof, proof.size(), root1);
  return roots.has_value() && roots->first == root1 && roots->second == root2;
}

// ---- The real implementation over a stored tree --------------------------------------------

struct RealTree {
  std::map<merkle::NodeId, Hash> nodes;
  merkle::Frontier frontier;
  merkle::NodeReader Reader() const {
    return [this](merkle::NodeId id) -> absl::StatusOr<Hash> {
      auto it = nodes.find(id);
      if (it == nodes.end()) return absl::NotFoundError("no such node");
      return it->second;
    };
  }
};

std::string Hex(const std::vector<Hash>& v) {
  std::string s;
  for (const Hash& h : v) absl::StrAppend(&s, HexEncode(h).substr(0, 8), " ");
  return s;
}

// Mutates one of the verifier's arguments as the input says; returns false when nothing was
// changed (the mutation was a no-op).
struct VerifyArgs {
  uint64_t a = 0;  // leaf index, or size1
  uint64_t n = 0;  // size, or size2
  Hash leaf{};     // leaf hash, or root1
  Hash root{};     // root, or root2
  std::vector<Hash> proof;
};

void Mutate(Input* in, VerifyArgs* v, const Leaves& leaves) {
  switch (in->U8() % 9) {
    case 0:
      if (!v->proof.empty()) {
        const size_t i = in->Below(v->proof.size());
        v->proof[i][in->Below(32)] ^= static_cast<uint8_t>(1 << in->Below(8));
      }
      break;
    case 1:
      if (!v->proof.empty()) v->proof.erase(v->proof.begin() + in->Below(v->proof.size()));
      break;
    case 2:
      v->proof.insert(v->proof.begin() + in->Below(v->proof.size() + 1), in->Hash32());
      break;
    case 3:
      if (v->proof.size() >= 2) {
        std::swap(v->proof[in->Below(v->proof.size())], v->proof[in->Below(v->proof.size())]);
      }
      break;
    case 4:
      v->a = in->Bool() ? v->a + (in->Bool() ? 1 : -1) : in->Below(leaves.size() + 2);
      break;
    case 5:
      v->n = in->Bool() ? v->n + (in->Bool() ? 1 : -1) : in->Below(leaves.size() + 2);
      break;
    case 6:
      v->leaf = leaves.empty() ? in->Hash32() : leaves[in->Below(leaves.size())];
      break;
    case 7:
      v->root[in->Below(32)] ^= static_cast<uint8_t>(1 << in->Below(8));
      break;
    default:
      if (!v->proof.empty()) v->proof[in->Below(v->proof.size())] = v->root;
      break;
  }
}

void CheckInclusionAgreement(const VerifyArgs& v) {
  const absl::Status real = merkle::VerifyInclusion(v.a, v.n, v.leaf, v.proof, v.root);
  const std::optional<Hash> ref_root = RefInclusionRoot(v.a, v.n, v.leaf, v.proof);
  const bool ref_ok = ref_root.has_value() && *ref_root == v.root;
  FUZZ_CHECK_MSG(real.ok() == ref_ok,
                 absl::StrCat("inclusion index ", v.a, " size ", v.n, " proof [", Hex(v.proof),
                              "]: real ", real.ToString(), ", reference ",
                              ref_ok ? "accepts" : "rejects"));
  const absl::StatusOr<Hash> real_root =
      merkle::RootFromInclusionProof(v.a, v.n, v.leaf, v.proof);
  FUZZ_CHECK_MSG(real_root.ok() == ref_root.has_value(),
                 absl::StrCat("RootFromInclusionProof index ", v.a, " size ", v.n, " length ",
                              v.proof.size(), ": ", real_root.status().ToString()));
  if (real_root.ok()) FUZZ_CHECK(*real_root == *ref_root);
  // The shape errors are InvalidArgument, the wrong roots DataLoss.
  if (!real.ok()) {
    FUZZ_CHECK_MSG(absl::IsInvalidArgument(real) == !ref_root.has_value(), real.ToString());
  }
}

void CheckConsistencyAgreement(const VerifyArgs& v) {
  const absl::Status real = merkle::VerifyConsistency(v.a, v.n, v.leaf, v.root, v.proof);
  const bool ref_ok = RefVerifyConsistency(v.a, v.n, v.leaf, v.root, v.proof);
  FUZZ_CHECK_MSG(real.ok() == ref_ok,
                 absl::StrCat("consistency ", v.a, " -> ", v.n, " proof [", Hex(v.proof),
                              "]: real ", real.ToString(), ", reference ",
                              ref_ok ? "accepts" : "rejects"));
}

void TreeMode(Input* in, bool tiny_leaves) {
  const uint64_t n = 1 + in->U16() % 300;
  Leaves leaves;
  RealTree tree;
  for (uint64_t i = 0; i < n; ++i) {
    std::string data;
    if (tiny_leaves) {
      data = std::string(1, static_cast<char>(in->U8() & 3));
    } else {
      PutFixed64BE(&data, i);
    }
    leaves.hashes.push_back(RefLeaf(data));
    const Hash real_leaf = merkle::HashLeaf(data);
    FUZZ_CHECK(real_leaf == leaves.hashes.back());
    std::vector<std::pair<merkle::NodeId, Hash>> added;
    tree.frontier.Append(real_leaf, &added);
    for (const auto& [id, h] : added) {
      FUZZ_CHECK(tree.nodes.count(id) == 0);  // each node is emitted once
      FUZZ_CHECK(h == RefMth(leaves, id.begin(), id.end()));
      tree.nodes[id] = h;
    }
  }
  FUZZ_CHECK(tree.frontier.size() == n);
  FUZZ_CHECK(tree.frontier.Root() == RefMth(leaves, 0, n));
  const merkle::NodeReader read = tree.Reader();

  for (int round = 0; round < 24 && !in->empty(); ++round) {
    switch (in->U8() % 4) {
      case 0: {  // inclusion proofs
        const uint64_t size = 1 + in->Below(n);
        const uint64_t m = in->Below(size);
        const absl::StatusOr<std::vector<Hash>> proof = merkle::InclusionProof(m, size, read);
        FUZZ_CHECK_MSG(proof.ok(), proof.status().ToString());
        const std::vector<Hash> want = RefPath(leaves, m, 0, size);
        FUZZ_CHECK_MSG(*proof == want, absl::StrCat("PATH(", m, ", D[", size, "])"));
        const Hash root = RefMth(leaves, 0, size);
        VerifyArgs v{m, size, leaves[m], root, *proof};
        FUZZ_CHECK(merkle::VerifyInclusion(m, size, leaves[m], *proof, root).ok());
        CheckInclusionAgreement(v);
        for (int k = 0, steps = 1 + in->U8() % 3; k < steps; ++k) Mutate(in, &v, leaves);
        CheckInclusionAgreement(v);
        // Out-of-range requests are refused, not answered.
        FUZZ_CHECK(!merkle::InclusionProof(size, size, read).ok());
        break;
      }
      case 1: {  // consistency proofs
        const uint64_t size2 = 1 + in->Below(n);
        const uint64_t size1 = in->Below(size2 + 1);
        const absl::StatusOr<std::vector<Hash>> proof =
            merkle::ConsistencyProof(size1, size2, read);
        FUZZ_CHECK_MSG(proof.ok(), proof.status().ToString());
        FUZZ_CHECK_MSG(*proof == RefProof(leaves, size1, size2),
                       absl::StrCat("PROOF(", size1, ", D[", size2, "])"));
        const Hash root1 = RefMth(leaves, 0, size1);
        const Hash root2 = RefMth(leaves, 0, size2);
        VerifyArgs v{size1, size2, root1, root2, *proof};
        FUZZ_CHECK(merkle::VerifyConsistency(size1, size2, root1, root2, *proof).ok() ==
                   (size1 > 0));
        CheckConsistencyAgreement(v);
        for (int k = 0, steps = 1 + in->U8() % 3; k < steps; ++k) Mutate(in, &v, leaves);
        CheckConsistencyAgreement(v);
        FUZZ_CHECK(!merkle::ConsistencyProof(size2 + 1, size2, read).ok());
        break;
      }
      case 2: {  // subtree roots and compact ranges
        const uint64_t end = 1 + in->Below(n);
        const uint64_t begin = in->Below(end + 1);
        const absl::StatusOr<Hash> real = merkle::SubtreeRoot(begin, end, read);
        // A node of the tree of size `end`: begin is a multiple of the smallest power of two
        // >= end - begin.
        bool is_node = begin < end;
        if (is_node) {
          uint64_t p = 1;
          while (p < end - begin) p <<= 1;
          is_node = begin % p == 0;
        }
        FUZZ_CHECK_MSG(real.ok() == is_node,
                       absl::StrCat("SubtreeRoot(", begin, ", ", end, "): ",
                                    real.status().ToString()));
        if (real.ok()) FUZZ_CHECK(*real == RefMth(leaves, begin, end));
        uint64_t at = begin;
        for (const merkle::NodeId& id : merkle::RangeNodes(begin, end)) {
          FUZZ_CHECK(id.begin() == at && id.end() <= end);
          at = id.end();
        }
        FUZZ_CHECK(at == std::max(begin, end) || begin >= end);
        break;
      }
      default: {  // roots at every size, and a frontier loaded from the store
        const uint64_t size = in->Below(n + 1);
        const absl::StatusOr<Hash> root = merkle::RootAt(size, read);
        FUZZ_CHECK(root.ok() && *root == RefMth(leaves, 0, size));
        const absl::StatusOr<merkle::Frontier> f = merkle::Frontier::Load(size, read);
        FUZZ_CHECK(f.ok() && f->size() == size && f->Root() == *root);
        break;
      }
    }
  }
}

void FreeMode(Input* in) {
  for (int round = 0; round < 16 && !in->empty(); ++round) {
    const bool inclusion = in->Bool();
    VerifyArgs v;
    v.a = in->InterestingU64();
    v.n = in->InterestingU64();
    if (in->Bool() && v.n != 0) v.a %= v.n;  // mostly in range
    v.leaf = in->Hash32();
    const size_t len = in->U8() % 70;
    for (size_t i = 0; i < len; ++i) v.proof.push_back(in->Hash32());
    if (inclusion) {
      // Make it valid by the reference, when the shape allows.
      const std::optional<Hash> root = RefInclusionRoot(v.a, v.n, v.leaf, v.proof);
      v.root = root.value_or(in->Hash32());
      if (root.has_value()) FUZZ_CHECK(merkle::VerifyInclusion(v.a, v.n, v.leaf, v.proof, v.root).ok());
      CheckInclusionAgreement(v);
      Mutate(in, &v, {});
      CheckInclusionAgreement(v);
    } else {
      if (v.a > v.n) std::swap(v.a, v.n);
      auto roots = v.a == 0 || v.a == v.n
                       ? std::nullopt
                       : RefSubproofRoots(v.a, v.n, true, v.proof, v.proof.size(), v.leaf);
      if (roots.has_value()) {
        v.leaf = roots->first;
        v.root = roots->second;
        FUZZ_CHECK(merkle::VerifyConsistency(v.a, v.n, v.leaf, v.root, v.proof).ok());
      } else {
        v.root = in->Hash32();
      }
      CheckConsistencyAgreement(v);
      Mutate(in, &v, {});
      CheckConsistencyAgreement(v);
    }
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t mode = in.U8();
  if ((mode & 1) == 0) {
    ledger::fuzz::TreeMode(&in, (mode & 2) != 0);
  } else {
    ledger::fuzz::FreeMode(&in);
  }
  return 0;
}
