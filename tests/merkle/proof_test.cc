// Proof building from stored nodes: equality with the RFC 6962 reference for every small tree,
// errors, and the O(log n) bound on node reads.
#include "ledger/merkle/proof.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/merkle/verify.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "tests/merkle/test_tree.h"

namespace ledger::merkle {
namespace {

using ::ledger::merkle::testing::ReferenceConsistencyProof;
using ::ledger::merkle::testing::ReferenceInclusionProof;
using ::ledger::merkle::testing::ReferenceRoot;
using ::ledger::merkle::testing::TestTree;

constexpr uint64_t kMaxRootSize = 300;
constexpr uint64_t kMaxProofSize = 130;

absl::Span<const Hash> Prefix(const TestTree& tree, uint64_t size) {
  return absl::MakeConstSpan(tree.leaf_hashes()).subspan(0, size);
}

TEST(RootAtTest, EmptyTreeNeedsNoReads) {
  uint64_t reads = 0;
  TestTree tree(0);
  absl::StatusOr<Hash> root = RootAt(0, tree.Reader(0, &reads));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, EmptyRoot());
  EXPECT_EQ(reads, 0u);
}

// The store at each size s serves the root of every historic size k <= s, reading only nodes
// that existed at s (the reader returns NotFound for later ones).
TEST(RootAtTest, MatchesReferenceForEveryHistoricSize) {
  TestTree tree(kMaxRootSize);
  std::vector<Hash> reference_roots;
  for (uint64_t k = 0; k <= kMaxRootSize; ++k) reference_roots.push_back(ReferenceRoot(Prefix(tree, k)));
  for (uint64_t s = 0; s <= kMaxRootSize; ++s) {
    ASSERT_EQ(tree.roots()[s], reference_roots[s]) << "Frontier root at size " << s;
    for (uint64_t k = 0; k <= s; ++k) {
      uint64_t reads = 0;
      absl::StatusOr<Hash> root = RootAt(k, tree.Reader(s, &reads));
      ASSERT_TRUE(root.ok()) << "RootAt(" << k << ") in store of size " << s << ": "
                             << root.status();
      ASSERT_EQ(*root, reference_roots[k]) << "RootAt(" << k << ") in store of size " << s;
      ASSERT_EQ(reads, static_cast<uint64_t>(absl::popcount(k)));
    }
  }
}

TEST(InclusionProofTest, MatchesReferenceAndVerifiesForEveryLeafAndSize) {
  TestTree tree(kMaxProofSize);
  for (uint64_t size = 1; size <= kMaxProofSize; ++size) {
    for (uint64_t index = 0; index < size; ++index) {
      absl::StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, tree.Reader(size));
      ASSERT_TRUE(proof.ok()) << "leaf " << index << " size " << size << ": " << proof.status();
      ASSERT_EQ(*proof, ReferenceInclusionProof(index, Prefix(tree, size)))
          << "leaf " << index << " size " << size;
      absl::Status verified =
          VerifyInclusion(index, size, tree.leaf_hashes()[index], *proof, tree.roots()[size]);
      ASSERT_TRUE(verified.ok()) << "leaf " << index << " size " << size << ": " << verified;
    }
  }
}

TEST(ConsistencyProofTest, MatchesReferenceAndVerifiesForEverySizePair) {
  TestTree tree(kMaxProofSize);
  for (uint64_t size2 = 1; size2 <= kMaxProofSize; ++size2) {
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(size1, size2, tree.Reader(size2));
      ASSERT_TRUE(proof.ok()) << size1 << " -> " << size2 << ": " << proof.status();
      ASSERT_EQ(*proof, ReferenceConsistencyProof(size1, Prefix(tree, size2)))
          << size1 << " -> " << size2;
      absl::Status verified = VerifyConsistency(size1, size2, tree.roots()[size1],
                                                tree.roots()[size2], *proof);
      ASSERT_TRUE(verified.ok()) << size1 << " -> " << size2 << ": " << verified;
    }
  }
}

TEST(ConsistencyProofTest, FromEmptyOrToSameSizeIsEmpty) {
  TestTree tree(20);
  for (uint64_t size = 0; size <= 20; ++size) {
    uint64_t reads = 0;
    absl::StatusOr<std::vector<Hash>> from_empty = ConsistencyProof(0, size, tree.Reader(size, &reads));
    ASSERT_TRUE(from_empty.ok()) << from_empty.status();
    EXPECT_TRUE(from_empty->empty());
    absl::StatusOr<std::vector<Hash>> same = ConsistencyProof(size, size, tree.Reader(size, &reads));
    ASSERT_TRUE(same.ok()) << same.status();
    EXPECT_TRUE(same->empty());
    EXPECT_EQ(reads, 0u);
  }
}

TEST(InclusionProofTest, LeafIndexAtOrBeyondSizeIsInvalidArgument) {
  TestTree tree(8);
  uint64_t reads = 0;
  EXPECT_EQ(InclusionProof(8, 8, tree.Reader(8, &reads)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, tree.Reader(8, &reads)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(UINT64_MAX, 8, tree.Reader(8, &reads)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reads, 0u);
}

TEST(ConsistencyProofTest, ShrinkingIsInvalidArgument) {
  TestTree tree(8);
  uint64_t reads = 0;
  EXPECT_EQ(ConsistencyProof(5, 4, tree.Reader(8, &reads)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(1, 0, tree.Reader(8, &reads)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reads, 0u);
}

TEST(SubtreeRootTest, RejectsRangesThatAreNotTreeNodes) {
  TestTree tree(16);
  EXPECT_EQ(SubtreeRoot(4, 4, tree.Reader(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubtreeRoot(2, 5, tree.Reader(16)).status().code(),
            absl::StatusCode::kInvalidArgument);  // Width 3 needs begin % 4 == 0.
  EXPECT_EQ(SubtreeRoot(1, UINT64_MAX, tree.Reader(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Hash> ragged = SubtreeRoot(8, 13, tree.Reader(16));
  ASSERT_TRUE(ragged.ok()) << ragged.status();
  EXPECT_EQ(*ragged, ReferenceRoot(absl::MakeConstSpan(tree.leaf_hashes()).subspan(8, 5)));
}

TEST(ProofTest, ReaderErrorsPropagateWithTheirCode) {
  NodeReader failing = [](NodeId id) -> absl::StatusOr<Hash> {
    return absl::UnavailableError(absl::StrCat("replica down at ", id.level, "/", id.index));
  };
  EXPECT_EQ(RootAt(5, failing).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(InclusionProof(2, 5, failing).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ConsistencyProof(2, 5, failing).status().code(), absl::StatusCode::kUnavailable);
  absl::Status s = InclusionProof(2, 5, failing).status();
  EXPECT_NE(s.message().find("replica down"), absl::string_view::npos) << s;

  // A store that lost one node: every proof that needs it reports NotFound, none crashes.
  TestTree tree(13);
  NodeReader lossy = [&tree](NodeId id) -> absl::StatusOr<Hash> {
    if (id.level == 2 && id.index == 1) return absl::NotFoundError("lost");
    return tree.Reader(13)(id);
  };
  EXPECT_EQ(InclusionProof(0, 13, lossy).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(InclusionProof(5, 13, lossy).ok());  // Its path does not include node 2/1.
}

// A reader of a huge virtual tree: node hashes are synthesized from (level, index), so nothing
// is stored. It fails the test if asked for a node beyond the tree, and counts reads.
class SyntheticReader {
 public:
  explicit SyntheticReader(uint64_t size) : size_(size) {}
  NodeReader reader() {
    return [this](NodeId id) -> absl::StatusOr<Hash> {
      ++reads_;
      const bool begin_fits = id.level == 0 || (id.level < 64 && (id.index >> (64 - id.level)) == 0);
      if (!begin_fits || id.end() <= id.begin() || id.end() > size_) {
        ADD_FAILURE() << "read node " << id.level << "/" << id.index << " beyond size " << size_;
        return absl::NotFoundError("beyond the tree");
      }
      return crypto::Sha256(absl::StrCat(id.level, "/", id.index));
    };
  }
  uint64_t TakeReads() {
    uint64_t r = reads_;
    reads_ = 0;
    return r;
  }

 private:
  uint64_t size_;
  uint64_t reads_ = 0;
};

// Proofs read O(log n) nodes: at most one perfect subtree per proof element, plus one ragged
// right edge (popcount reads) for inclusion, two for consistency.
TEST(ProofTest, ReadsAreLogarithmicInTheTreeSize) {
  for (uint64_t size : {uint64_t{1000000}, uint64_t{1000001}, (uint64_t{1} << 40) - 1,
                        (uint64_t{1} << 63) + 12345, UINT64_MAX}) {
    SyntheticReader synthetic(size);
    const uint64_t log_n = static_cast<uint64_t>(absl::bit_width(size));
    uint64_t max_inclusion = 0;
    uint64_t max_consistency = 0;
    for (uint64_t step = 0; step < 1000; ++step) {
      // Spread the probes over the whole range, plus both ends.
      const uint64_t a = step == 0 ? 0 : (step == 1 ? size - 1 : size / 1000 * step + step % 7);
      ASSERT_LT(a, size);
      absl::StatusOr<std::vector<Hash>> inclusion = InclusionProof(a, size, synthetic.reader());
      ASSERT_TRUE(inclusion.ok()) << inclusion.status();
      max_inclusion = std::max(max_inclusion, synthetic.TakeReads());
      absl::StatusOr<std::vector<Hash>> consistency =
          ConsistencyProof(a + 1, size, synthetic.reader());
      ASSERT_TRUE(consistency.ok()) << consistency.status();
      max_consistency = std::max(max_consistency, synthetic.TakeReads());
      ASSERT_TRUE(RootAt(a + 1, synthetic.reader()).ok());
      ASSERT_LE(synthetic.TakeReads(), log_n);
    }
    EXPECT_LE(max_inclusion, 2 * log_n) << "size " << size;
    EXPECT_LE(max_consistency, 3 * log_n) << "size " << size;
    EXPECT_LE(max_consistency, 4u * 64) << "size " << size;
    EXPECT_GT(max_inclusion, 0u);
  }
}

TEST(ProofTest, ReadCountForAMillionLeavesIsSmall) {
  SyntheticReader synthetic(1000000);
  ASSERT_TRUE(InclusionProof(999999, 1000000, synthetic.reader()).ok());
  EXPECT_LE(synthetic.TakeReads(), 40u);
  ASSERT_TRUE(InclusionProof(0, 1000000, synthetic.reader()).ok());
  EXPECT_LE(synthetic.TakeReads(), 40u);
  ASSERT_TRUE(ConsistencyProof(654321, 1000000, synthetic.reader()).ok());
  EXPECT_LE(synthetic.TakeReads(), 60u);
}

const TestTree& BigTree() {
  static const TestTree* tree = new TestTree(3000);
  return *tree;
}

RC_GTEST_PROP(ProofProperty, RandomInclusionProofMatchesReferenceAndVerifies, ()) {
  const TestTree& tree = BigTree();
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, tree.size() + 1);
  const uint64_t index = *rc::gen::inRange<uint64_t>(0, size);
  absl::StatusOr<std::vector<Hash>> proof = InclusionProof(index, size, tree.Reader(size));
  RC_ASSERT(proof.ok());
  RC_ASSERT(*proof == ReferenceInclusionProof(index, Prefix(tree, size)));
  RC_ASSERT(tree.roots()[size] == ReferenceRoot(Prefix(tree, size)));
  RC_ASSERT(VerifyInclusion(index, size, tree.leaf_hashes()[index], *proof, tree.roots()[size])
                .ok());
}

RC_GTEST_PROP(ProofProperty, RandomConsistencyProofMatchesReferenceAndVerifies, ()) {
  const TestTree& tree = BigTree();
  const uint64_t size2 = *rc::gen::inRange<uint64_t>(1, tree.size() + 1);
  const uint64_t size1 = *rc::gen::inRange<uint64_t>(1, size2 + 1);
  absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(size1, size2, tree.Reader(size2));
  RC_ASSERT(proof.ok());
  RC_ASSERT(*proof == ReferenceConsistencyProof(size1, Prefix(tree, size2)));
  RC_ASSERT(VerifyConsistency(size1, size2, tree.roots()[size1], tree.roots()[size2], *proof)
                .ok());
}

}  // namespace
}  // namespace ledger::merkle
