// Frontier and RangeNodes: roots against the RFC 6962 reference, the nodes each append emits,
// and Load round trips.
#include "ledger/merkle/compact_range.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/testing/reference.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "tests/merkle/test_tree.h"

namespace ledger::merkle {
namespace {

using ::ledger::merkle::testing::ReferenceRoot;
using ::ledger::merkle::testing::TestLeafData;
using ::ledger::merkle::testing::TestTree;

constexpr uint64_t kMaxSize = 300;

std::vector<NodeId> Nodes(std::initializer_list<std::pair<uint32_t, uint64_t>> list) {
  std::vector<NodeId> nodes;
  for (const auto& [level, index] : list) nodes.push_back(NodeId{level, index});
  return nodes;
}

// Prints as "level/index" lists in failure messages.
std::string Describe(const std::vector<NodeId>& nodes) {
  std::string out;
  for (const NodeId& n : nodes) out += std::to_string(n.level) + "/" + std::to_string(n.index) + " ";
  return out;
}

TEST(RangeNodesTest, DecomposesPrefixesBySetBits) {
  EXPECT_TRUE(RangeNodes(0, 0).empty());
  EXPECT_EQ(Describe(RangeNodes(0, 1)), Describe(Nodes({{0, 0}})));
  EXPECT_EQ(Describe(RangeNodes(0, 7)), Describe(Nodes({{2, 0}, {1, 2}, {0, 6}})));
  EXPECT_EQ(Describe(RangeNodes(0, 8)), Describe(Nodes({{3, 0}})));
  EXPECT_EQ(Describe(RangeNodes(0, UINT64_MAX)).substr(0, 5), "63/0 ");
  EXPECT_EQ(RangeNodes(0, UINT64_MAX).size(), 64u);
}

TEST(RangeNodesTest, DecomposesUnalignedRangesMinimally) {
  EXPECT_EQ(Describe(RangeNodes(3, 8)), Describe(Nodes({{0, 3}, {2, 1}})));
  EXPECT_EQ(Describe(RangeNodes(5, 13)), Describe(Nodes({{0, 5}, {1, 3}, {2, 2}, {0, 12}})));
  EXPECT_TRUE(RangeNodes(9, 9).empty());
  EXPECT_TRUE(RangeNodes(9, 4).empty());
}

TEST(RangeNodesTest, CoversTheRangeExactlyWithPerfectSubtrees) {
  for (uint64_t begin = 0; begin <= 70; ++begin) {
    for (uint64_t end = begin; end <= 70; ++end) {
      uint64_t next = begin;
      for (const NodeId& n : RangeNodes(begin, end)) {
        ASSERT_EQ(n.begin(), next) << "[" << begin << ", " << end << ")";
        next = n.end();
      }
      ASSERT_EQ(next, end) << "[" << begin << ", " << end << ")";
    }
  }
}

TEST(FrontierTest, EmptyFrontierHasEmptyRoot) {
  Frontier frontier;
  EXPECT_EQ(frontier.size(), 0u);
  EXPECT_EQ(frontier.Root(), EmptyRoot());
  EXPECT_TRUE(frontier.hashes().empty());
}

TEST(FrontierTest, RootMatchesReferenceAtEverySize) {
  TestTree tree(0);
  for (uint64_t size = 1; size <= kMaxSize; ++size) {
    tree.AppendNext();
    ASSERT_EQ(tree.frontier().size(), size);
    ASSERT_EQ(tree.frontier().Root(), ReferenceRoot(tree.leaf_hashes())) << "size " << size;
    ASSERT_EQ(tree.frontier().hashes().size(), static_cast<size_t>(absl::popcount(size)));
  }
}

TEST(FrontierTest, AppendEmitsTheLeafThenEachCompletedSubtree) {
  TestTree tree(kMaxSize);
  for (uint64_t index = 0; index < kMaxSize; ++index) {
    const auto& emitted = tree.emitted()[index];
    // The leaf completes one subtree per trailing one bit of the old size.
    ASSERT_EQ(emitted.size(), 1u + absl::countr_one(index)) << "append of leaf " << index;
    for (uint32_t level = 0; level < emitted.size(); ++level) {
      const NodeId& id = emitted[level].first;
      EXPECT_EQ(id.level, level);
      EXPECT_EQ(id.end(), index + 1) << "append of leaf " << index;
      EXPECT_EQ(emitted[level].second,
                ReferenceRoot(absl::MakeConstSpan(tree.leaf_hashes())
                                  .subspan(id.begin(), id.end() - id.begin())));
    }
  }
}

TEST(FrontierTest, StoredNodesAreExactlyThePerfectSubtrees) {
  TestTree tree(kMaxSize);
  size_t want_count = 0;
  for (uint32_t level = 0; (kMaxSize >> level) > 0; ++level) {
    const uint64_t count = kMaxSize >> level;
    want_count += count;
    for (uint64_t index = 0; index < count; ++index) {
      auto it = tree.nodes().find(NodeId{level, index});
      ASSERT_NE(it, tree.nodes().end()) << "missing node " << level << "/" << index;
      const uint64_t begin = index << level;
      EXPECT_EQ(it->second, ReferenceRoot(absl::MakeConstSpan(tree.leaf_hashes())
                                              .subspan(begin, uint64_t{1} << level)));
    }
  }
  EXPECT_EQ(tree.nodes().size(), want_count);
}

TEST(FrontierTest, AppendAcceptsNullNodeList) {
  Frontier with_nodes;
  Frontier without_nodes;
  std::vector<std::pair<NodeId, Hash>> nodes;
  for (uint64_t i = 0; i < 10; ++i) {
    with_nodes.Append(HashLeaf(TestLeafData(i)), &nodes);
    without_nodes.Append(HashLeaf(TestLeafData(i)), nullptr);
  }
  EXPECT_EQ(with_nodes.Root(), without_nodes.Root());
  EXPECT_EQ(nodes.size(), 10u + 5 + 2 + 1);  // Kept across calls: 10 leaves + 8 interior.
}

TEST(FrontierTest, LoadReadsExactlyTheRangeNodesAndRoundTrips) {
  TestTree tree(kMaxSize);
  for (uint64_t size = 0; size <= kMaxSize; ++size) {
    uint64_t reads = 0;
    absl::StatusOr<Frontier> loaded = Frontier::Load(size, tree.Reader(size, &reads));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(reads, static_cast<uint64_t>(absl::popcount(size)));
    EXPECT_EQ(loaded->size(), size);
    EXPECT_EQ(loaded->Root(), ReferenceRoot(absl::MakeConstSpan(tree.leaf_hashes()).subspan(0, size)));
  }
}

TEST(FrontierTest, LoadPropagatesReaderErrorsNamingTheNode) {
  NodeReader unavailable = [](NodeId id) -> absl::StatusOr<Hash> {
    if (id.level == 1) return absl::UnavailableError("disk on fire");
    return Hash{};
  };
  absl::StatusOr<Frontier> loaded = Frontier::Load(7, unavailable);  // Nodes 2/0, 1/2, 0/6.
  ASSERT_EQ(loaded.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(loaded.status().message().find("disk on fire"), absl::string_view::npos);
  EXPECT_NE(loaded.status().message().find("level 1 index 2"), absl::string_view::npos)
      << loaded.status();

  TestTree tree(5);
  absl::StatusOr<Frontier> missing = Frontier::Load(6, tree.Reader(5));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

// Load at `size` from the store, then append the rest: the loaded frontier must emit exactly the
// nodes the original emitted and reach the same roots (FrontierTest checks those against the
// reference).
void CheckLoadThenContinue(const TestTree& tree, uint64_t size, uint64_t extra) {
  absl::StatusOr<Frontier> loaded = Frontier::Load(size, tree.Reader(size));
  RC_ASSERT(loaded.ok());
  RC_ASSERT(loaded->Root() == tree.roots()[size]);
  for (uint64_t index = size; index < size + extra; ++index) {
    std::vector<std::pair<NodeId, Hash>> nodes;
    loaded->Append(tree.leaf_hashes()[index], &nodes);
    const auto& want = tree.emitted()[index];
    RC_ASSERT(nodes.size() == want.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      RC_ASSERT(nodes[i].first == want[i].first);
      RC_ASSERT(nodes[i].second == want[i].second);
    }
    RC_ASSERT(loaded->Root() == tree.roots()[index + 1]);
  }
}

const TestTree& BigTree() {
  static const TestTree* tree = new TestTree(4200);
  return *tree;
}

RC_GTEST_PROP(FrontierProperty, LoadThenAppendContinuesIdentically, ()) {
  const uint64_t size = *rc::gen::inRange<uint64_t>(0, 4097);
  const uint64_t extra = *rc::gen::inRange<uint64_t>(0, 65);
  RC_TAG(size == 0 ? "empty" : ((size & (size - 1)) == 0 ? "power of two" : "other"));
  CheckLoadThenContinue(BigTree(), size, extra);
}

}  // namespace
}  // namespace ledger::merkle
