// The node cache and batched proof reading: proofs read through CachingNodeReader equal the
// uncached proofs (and the RFC 6962 reference) at every size while the tree grows, repeated
// proofs read only the levels below the cache, and the cache holds nothing it was not allowed
// to (nodes beyond the tree read, levels below its minimum).
#include "ledger/merkle/node_cache.h"

#include <cstdint>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/merkle/verify.h"
#include "tests/merkle/test_tree.h"

namespace ledger::merkle {
namespace {

using ::ledger::merkle::testing::ReferenceConsistencyProof;
using ::ledger::merkle::testing::ReferenceInclusionProof;
using ::ledger::merkle::testing::TestTree;

// A batch reader over the test tree as of `as_of`, counting batches and nodes read.
struct CountingStore {
  const TestTree* tree;
  uint64_t as_of;
  uint64_t batches = 0;
  uint64_t nodes = 0;
  uint64_t below_level = 0;  // nodes read below `level`
  uint32_t level = 0;

  NodeBatchReader Reader() {
    return [this](const std::vector<NodeId>& ids, std::vector<Hash>* out) -> absl::Status {
      ++batches;
      out->clear();
      const NodeReader read = tree->Reader(as_of);
      for (const NodeId& id : ids) {
        ++nodes;
        if (id.level < level) ++below_level;
        absl::StatusOr<Hash> h = read(id);
        if (!h.ok()) return h.status();
        out->push_back(*h);
      }
      return absl::OkStatus();
    };
  }
};

absl::Span<const Hash> Prefix(const TestTree& tree, uint64_t size) {
  return absl::MakeConstSpan(tree.leaf_hashes()).subspan(0, size);
}

TEST(ProofPlanTest, RejectsRangesThatAreNotTreeNodes) {
  ProofPlan plan;
  EXPECT_EQ(plan.AddRange(4, 4).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.AddRange(2, 5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.size(), 0u);
  EXPECT_TRUE(plan.AddRange(8, 13).ok());
  EXPECT_EQ(plan.size(), 1u);
}

TEST(ProofPlanTest, SharedNodesAreReadOnce) {
  // The root of 13 and the ragged range [8, 13) share nodes {2,2} and {0,12}.
  ProofPlan plan;
  ASSERT_TRUE(plan.AddRange(0, 13).ok());
  ASSERT_TRUE(plan.AddRange(8, 13).ok());
  ASSERT_TRUE(plan.AddRange(12, 13).ok());
  const std::vector<NodeId> nodes = plan.DistinctNodes();
  EXPECT_EQ(nodes, (std::vector<NodeId>{{0, 12}, {2, 2}, {3, 0}}));
  TestTree tree(13);
  CountingStore store{&tree, 13};
  absl::StatusOr<std::vector<Hash>> hashes = ReadPlan(plan, store.Reader());
  ASSERT_TRUE(hashes.ok()) << hashes.status();
  EXPECT_EQ(store.batches, 1u);
  EXPECT_EQ(store.nodes, 3u);
  EXPECT_EQ(*hashes, (std::vector<Hash>{tree.roots()[13],
                                        *SubtreeRoot(8, 13, tree.Reader(13)),
                                        tree.leaf_hashes()[12]}));
}

TEST(ProofPlanTest, EmptyPlanReadsNothing) {
  absl::StatusOr<ProofPlan> plan = PlanConsistencyProof(5, 5);
  ASSERT_TRUE(plan.ok());
  NodeBatchReader never = [](const std::vector<NodeId>&, std::vector<Hash>*) {
    ADD_FAILURE() << "read";
    return absl::InternalError("read");
  };
  absl::StatusOr<std::vector<Hash>> hashes = ReadPlan(*plan, never);
  ASSERT_TRUE(hashes.ok());
  EXPECT_TRUE(hashes->empty());
}

TEST(ProofPlanTest, ReaderErrorsPropagate) {
  absl::StatusOr<ProofPlan> plan = PlanInclusionProof(2, 5);
  ASSERT_TRUE(plan.ok());
  NodeBatchReader failing = [](const std::vector<NodeId>&, std::vector<Hash>*) {
    return absl::UnavailableError("down");
  };
  EXPECT_EQ(ReadPlan(*plan, failing).status().code(), absl::StatusCode::kUnavailable);
  NodeBatchReader short_reader = [](const std::vector<NodeId>&, std::vector<Hash>* out) {
    out->clear();
    return absl::OkStatus();
  };
  EXPECT_EQ(ReadPlan(*plan, short_reader).status().code(), absl::StatusCode::kInternal);
}

// One cache kept across a growing tree: every proof at every size (powers of two and not) and
// every historic size equals the uncached proof and the reference.
class CachedProofTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CachedProofTest, EqualsUncachedAndReferenceAtEverySizeWhileTheTreeGrows) {
  constexpr uint64_t kMax = 140;
  TestTree tree(kMax);
  NodeCache cache(GetParam());
  std::mt19937_64 rng(42);
  for (uint64_t size = 1; size <= kMax; ++size) {
    // The store as it was when the tree had `size` leaves: what a server of that size reads.
    CountingStore store{&tree, size};
    const NodeBatchReader cached = CachingNodeReader(&cache, store.Reader(), size);
    for (uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE(absl::StrCat("leaf ", index, " of ", size));
      absl::StatusOr<ProofPlan> plan = PlanInclusionProof(index, size);
      ASSERT_TRUE(plan.ok());
      absl::StatusOr<std::vector<Hash>> got = ReadPlan(*plan, cached);
      ASSERT_TRUE(got.ok()) << got.status();
      absl::StatusOr<std::vector<Hash>> uncached = InclusionProof(index, size, tree.Reader(size));
      ASSERT_TRUE(uncached.ok());
      ASSERT_EQ(*got, *uncached);
      ASSERT_EQ(*got, ReferenceInclusionProof(index, Prefix(tree, size)));
      // A historic size, read through the same cache.
      const uint64_t old = std::uniform_int_distribution<uint64_t>(index + 1, size)(rng);
      absl::StatusOr<ProofPlan> old_plan = PlanInclusionProof(index, old);
      ASSERT_TRUE(old_plan.ok());
      ASSERT_TRUE(old_plan->AddRange(0, old).ok());
      absl::StatusOr<std::vector<Hash>> old_got = ReadPlan(*old_plan, cached);
      ASSERT_TRUE(old_got.ok()) << old_got.status();
      ASSERT_EQ(old_got->back(), tree.roots()[old]);
      old_got->pop_back();
      ASSERT_EQ(*old_got, ReferenceInclusionProof(index, Prefix(tree, old)));
    }
    for (uint64_t from = 1; from <= size; ++from) {
      SCOPED_TRACE(absl::StrCat("consistency ", from, " -> ", size));
      absl::StatusOr<ProofPlan> plan = PlanConsistencyProof(from, size);
      ASSERT_TRUE(plan.ok());
      ASSERT_TRUE(plan->AddRange(0, from).ok());
      absl::StatusOr<std::vector<Hash>> got = ReadPlan(*plan, cached);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->back(), tree.roots()[from]);
      got->pop_back();
      ASSERT_EQ(*got, ReferenceConsistencyProof(from, Prefix(tree, size)));
      ASSERT_TRUE(VerifyConsistency(from, size, tree.roots()[from], tree.roots()[size], *got).ok());
    }
  }
  // Never more slots than the levels it caches have nodes (2 * size / 2^min_level).
  EXPECT_LE(cache.memory_bytes(), 2 * sizeof(Hash) * 2 * kMax / (uint64_t{1} << GetParam()) +
                                      64 * sizeof(Hash));
}

INSTANTIATE_TEST_SUITE_P(MinLevels, CachedProofTest, ::testing::Values(0u, 1u, 2u, 3u, 5u));

TEST(NodeCacheTest, RepeatedProofsReadOnlyTheLevelsBelowTheCache) {
  constexpr uint32_t kLevel = 3;
  const uint64_t size = 1000;
  TestTree tree(size);
  NodeCache cache(kLevel);
  CountingStore store{&tree, size};
  store.level = kLevel;
  const NodeBatchReader cached = CachingNodeReader(&cache, store.Reader(), size);
  for (int pass = 0; pass < 2; ++pass) {
    store.nodes = store.below_level = store.batches = 0;
    for (uint64_t index = 0; index < size; index += 7) {
      absl::StatusOr<ProofPlan> plan = PlanInclusionProof(index, size);
      ASSERT_TRUE(plan.ok());
      ASSERT_TRUE(ReadPlan(*plan, cached).ok());
    }
    if (pass == 1) {
      // Everything at level >= 3 came from the cache; the rest in one batch per proof.
      EXPECT_EQ(store.nodes, store.below_level);
      EXPECT_LE(store.batches, (size + 6) / 7);
    }
  }
}

TEST(NodeCacheTest, IgnoresNodesBeyondTheTreeAndBelowItsLevel) {
  NodeCache cache(2);
  const Hash h = testing::FlipBit(Hash{}, 3);
  // {2, 1} covers leaves [4, 8): not complete in a tree of 7.
  cache.Insert({{2, 1}, {1, 0}, {2, 0}, {70, 0}}, {h, h, h, h}, 7);
  std::vector<Hash> out(3);
  std::vector<bool> found(3, false);
  EXPECT_EQ(cache.Lookup({{2, 1}, {1, 0}, {2, 0}}, &out, &found), 1u);
  EXPECT_EQ(found, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(out[2], h);
  // A huge index never allocates more slots than the tree has nodes.
  cache.Insert({{2, uint64_t{1} << 40}}, {h}, 8);
  EXPECT_LE(cache.memory_bytes(), 16 * sizeof(Hash));
}

TEST(NodeCacheTest, MinLevelForFitsTheBudget) {
  EXPECT_EQ(NodeCache::MinLevelFor(0, 0), 0u);
  EXPECT_EQ(1000 >> NodeCache::MinLevelFor(1000, 0), 0u);  // no node of the tree
  // Every node of a million entries: 2M slots of 32 bytes, plus 1/8 headroom.
  EXPECT_EQ(NodeCache::MinLevelFor(1000000, 72000000), 0u);
  EXPECT_EQ(NodeCache::MinLevelFor(1000000, 71999999), 1u);
  EXPECT_EQ(NodeCache::MinLevelFor(14000000, uint64_t{64} << 20), 4u);
  EXPECT_EQ(NodeCache::MinLevelFor(16000000, uint64_t{64} << 20), 5u);
  for (uint64_t size : {uint64_t{1}, uint64_t{1000}, uint64_t{123456789}, UINT64_MAX}) {
    for (uint64_t budget : {uint64_t{64}, uint64_t{1} << 20, uint64_t{64} << 20}) {
      const uint32_t level = NodeCache::MinLevelFor(size, budget);
      if (level == NodeCache::kNoLevel) continue;
      EXPECT_LE(2 * (size >> level) * 9 / 8 * sizeof(Hash), budget) << size << " " << budget;
    }
  }
}

TEST(NodeCacheTest, RaisingTheLevelDropsTheLowerLevels) {
  TestTree tree(64);
  NodeCache cache(0);
  CountingStore store{&tree, 64};
  const NodeBatchReader cached = CachingNodeReader(&cache, store.Reader(), 64);
  absl::StatusOr<ProofPlan> plan = PlanInclusionProof(5, 64);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(ReadPlan(*plan, cached).ok());
  const size_t all = cache.memory_bytes();
  cache.RaiseMinLevel(3);
  EXPECT_EQ(cache.min_level(), 3u);
  EXPECT_LT(cache.memory_bytes(), all);
  cache.RaiseMinLevel(1);  // never lowered
  EXPECT_EQ(cache.min_level(), 3u);
  store.nodes = 0;
  store.level = 3;
  store.below_level = 0;
  absl::StatusOr<std::vector<Hash>> again = ReadPlan(*plan, cached);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *InclusionProof(5, 64, tree.Reader(64)));
  EXPECT_EQ(store.nodes, store.below_level);  // levels 0..2 read again, the rest cached
  EXPECT_EQ(store.nodes, 3u);
}

TEST(NodeCacheTest, StoreErrorsPropagateAndCacheNothing) {
  NodeCache cache(0);
  NodeBatchReader failing = [](const std::vector<NodeId>&, std::vector<Hash>*) {
    return absl::NotFoundError("node level 0 index 1 not found");
  };
  std::vector<Hash> out;
  EXPECT_EQ(CachingNodeReader(&cache, failing, 4)({{0, 1}}, &out).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cache.memory_bytes(), 0u);
}

}  // namespace
}  // namespace ledger::merkle
