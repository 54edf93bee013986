// Proofs served through the Log's node cache (LogOptions::proof_cache_bytes) and batched
// store reads equal the uncached proofs built node by node from the store, at every size
// (powers of two and not), for historic tree sizes, while the log grows between proofs (the
// cache keeps nodes read at smaller sizes), over the memory store and over RocksDB (MultiGet).
#include <algorithm>
#include <atomic>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/core/log.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/verify.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/store/rocksdb_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_dir.h"
#include "tests/testing/test_log.h"
#include "tests/testing/forwarding_log_store.h"

namespace ledger::core {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::FreshDir;
using ::ledger::testing::IsOk;
using ::ledger::testing::kTestNowMicros;
using ::ledger::testing::LogKey;
using ::ledger::testing::Sign;
using ::ledger::testing::StatusIs;
using ::ledger::testing::TestIdentity;

struct Case {
  std::string name;
  bool rocksdb;
  uint64_t cache_bytes;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

class ProofCacheTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    std::unique_ptr<store::LogStore> store;
    if (GetParam().rocksdb) {
      dir_ = FreshDir();
      store::RocksDbLogStoreOptions options;
      options.create_if_missing = true;
      absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> s =
          store::RocksDbLogStore::Open(dir_, options);
      ASSERT_THAT(s, IsOk());
      store = *std::move(s);
    } else {
      store = std::make_unique<store::MemoryLogStore>();
    }
    store_ = store.get();
    LogOptions options;
    options.clock = &clock_;
    options.proof_cache_bytes = GetParam().cache_bytes;
    absl::StatusOr<std::unique_ptr<Log>> log =
        Log::Open(std::move(store), TestIdentity(), LogKey(), options);
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }

  // Appends `n` claims in one atomic group.
  void Grow(int n) {
    std::vector<ledger::v1::SignedEvent> events;
    for (int i = 0; i < n; ++i) {
      const int id = next_id_++;
      events.push_back(Sign(absl::StrCat("c", id), ClaimEvent(absl::StrCat("claim ", id)),
                            AdminKey()));
    }
    ASSERT_THAT(log_->AppendAll(events), IsOk());
  }

  merkle::NodeReader Uncached() const {
    const store::LogStore* s = store_;
    return [s](merkle::NodeId id) { return s->GetNode(id); };
  }

  void ExpectInclusionAsUncached(SequenceNumber seq, TreeSize size, TreeSize request_size) {
    SCOPED_TRACE(absl::StrCat("inclusion of ", seq, " in ", size));
    absl::StatusOr<InclusionProof> proof = log_->ProveInclusion(seq, request_size);
    ASSERT_THAT(proof, IsOk());
    absl::StatusOr<std::vector<Hash>> want = merkle::InclusionProof(seq, size, Uncached());
    ASSERT_THAT(want, IsOk());
    absl::StatusOr<Hash> root = merkle::RootAt(size, Uncached());
    ASSERT_THAT(root, IsOk());
    absl::StatusOr<Hash> leaf = store_->GetNode({0, seq});
    ASSERT_THAT(leaf, IsOk());
    EXPECT_EQ(proof->tree_size, size);
    EXPECT_EQ(proof->sequence, seq);
    EXPECT_EQ(proof->hashes, *want);
    EXPECT_EQ(proof->root_hash, *root);
    EXPECT_EQ(proof->leaf_hash, *leaf);
    EXPECT_THAT(merkle::VerifyInclusion(seq, size, *leaf, proof->hashes, *root), IsOk());
  }

  void ExpectConsistencyAsUncached(TreeSize from, TreeSize to, TreeSize request_to) {
    SCOPED_TRACE(absl::StrCat("consistency ", from, " -> ", to));
    absl::StatusOr<ConsistencyProof> proof = log_->ProveConsistency(from, request_to);
    ASSERT_THAT(proof, IsOk());
    absl::StatusOr<std::vector<Hash>> want = merkle::ConsistencyProof(from, to, Uncached());
    ASSERT_THAT(want, IsOk());
    absl::StatusOr<Hash> from_root = merkle::RootAt(from, Uncached());
    absl::StatusOr<Hash> to_root = merkle::RootAt(to, Uncached());
    ASSERT_THAT(from_root, IsOk());
    ASSERT_THAT(to_root, IsOk());
    EXPECT_EQ(proof->from_tree_size, from);
    EXPECT_EQ(proof->to_tree_size, to);
    EXPECT_EQ(proof->hashes, *want);
    EXPECT_EQ(proof->from_root_hash, *from_root);
    EXPECT_EQ(proof->to_root_hash, *to_root);
    if (from > 0) {
      EXPECT_THAT(merkle::VerifyConsistency(from, to, *from_root, *to_root, proof->hashes),
                  IsOk());
    }
  }

  FakeClock clock_{kTestNowMicros};
  std::string dir_;
  store::LogStore* store_ = nullptr;
  std::unique_ptr<Log> log_;
  int next_id_ = 0;
};

TEST_P(ProofCacheTest, EveryProofEqualsTheUncachedOneWhileTheLogGrows) {
  std::mt19937_64 rng(6962);
  // Group sizes: sizes reached are 1, 2, 3, 4, 7, 8, 9, 16, 17, 31, 32, 33, ..., up to 300.
  const std::vector<int> steps = {1, 1, 1, 1, 3, 1, 1, 7, 1, 14, 1, 1, 30, 1, 1, 20, 43,
                                  1, 1, 2, 60, 65, 45};
  for (int step : steps) {
    Grow(step);
    const TreeSize size = log_->Head().tree_size;
    SCOPED_TRACE(absl::StrCat("log of ", size, " entries"));
    for (SequenceNumber seq = 0; seq < size; ++seq) {
      // The current tree, named by 0 and by its size; and a random historic tree.
      ExpectInclusionAsUncached(seq, size, 0);
      ExpectInclusionAsUncached(seq, size, size);
      const TreeSize historic = std::uniform_int_distribution<TreeSize>(seq + 1, size)(rng);
      ExpectInclusionAsUncached(seq, historic, historic);
    }
    for (TreeSize from = 0; from <= size; ++from) {
      ExpectConsistencyAsUncached(from, size, 0);
      // (to_tree_size 0 names the current size, so a historic one is at least 1.)
      const TreeSize to =
          std::uniform_int_distribution<TreeSize>(std::max<TreeSize>(from, 1), size)(rng);
      ExpectConsistencyAsUncached(from, to, to);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_P(ProofCacheTest, ErrorsAreUnchanged) {
  Grow(5);
  EXPECT_THAT(log_->ProveInclusion(5, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(log_->ProveInclusion(0, 6), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(log_->ProveConsistency(1, 6), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(log_->ProveConsistency(4, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A store that counts the nodes read one by one or in batches (not by ScanNodes).
class CountingStore : public ::ledger::testing::ForwardingLogStore {
 public:
  explicit CountingStore(std::unique_ptr<store::LogStore> base)
      : ForwardingLogStore(std::move(base)) {}
  mutable std::atomic<uint64_t> nodes_read{0};

  absl::StatusOr<Hash> GetNode(merkle::NodeId id) const override {
    ++nodes_read;
    return base().GetNode(id);
  }
  absl::Status GetNodes(const std::vector<merkle::NodeId>& ids,
                        std::vector<Hash>* out) const override {
    nodes_read += ids.size();
    return base().GetNodes(ids, out);
  }
  absl::Status ScanNodes(uint32_t level, uint64_t b, uint64_t e,
                         const std::function<bool(uint64_t, const Hash&)>& fn) const override {
    return base().ScanNodes(level, b, e, fn);
  }
};

// Creates a RocksDB log of `entries` claims at a fresh `dir` and closes it.
void BuildRocksDbLog(const std::string& dir, int entries, Clock* clock) {
  std::filesystem::remove_all(dir);
  store::RocksDbLogStoreOptions options;
  options.create_if_missing = true;
  auto s = store::RocksDbLogStore::Open(dir, options);
  ASSERT_THAT(s, IsOk());
  LogOptions log_options;
  log_options.clock = clock;
  auto log = Log::Open(*std::move(s), TestIdentity(), LogKey(), log_options);
  ASSERT_THAT(log, IsOk());
  std::vector<ledger::v1::SignedEvent> events;
  for (int i = 0; i < entries; ++i) {
    events.push_back(
        Sign(absl::StrCat("c", i), ClaimEvent(absl::StrCat("claim ", i)), AdminKey()));
    if (events.size() == 500 || i + 1 == entries) {
      ASSERT_THAT((*log)->AppendAll(events), IsOk());
      events.clear();
    }
  }
}

// A reopened log fills its cache in the background; then proofs read no node from the store
// (the budget holds the whole tree), and they are the proofs of the uncached log.
TEST(ProofCacheWarmUpTest, AfterTheWarmUpProofsReadNothingFromTheStore) {
  const std::string dir = FreshDir();
  FakeClock clock(kTestNowMicros);
  constexpr int kEntries = 77;
  BuildRocksDbLog(dir, kEntries, &clock);
  auto s = store::RocksDbLogStore::Open(dir, store::RocksDbLogStoreOptions());
  ASSERT_THAT(s, IsOk());
  auto counting = std::make_unique<CountingStore>(*std::move(s));
  CountingStore* store = counting.get();
  LogOptions log_options;
  log_options.clock = &clock;
  auto log = Log::Open(std::move(counting), TestIdentity(), LogKey(), log_options);
  ASSERT_THAT(log, IsOk());
  (*log)->proof_cache().WaitForWarmUp();
  EXPECT_EQ((*log)->proof_cache().min_level(), 0u);
  EXPECT_GT((*log)->proof_cache().memory_bytes(), 0u);
  const merkle::NodeReader uncached = [store](merkle::NodeId id) { return store->GetNode(id); };
  std::vector<InclusionProof> proofs;
  const uint64_t before = store->nodes_read;
  for (SequenceNumber seq = 0; seq < kEntries; ++seq) {
    absl::StatusOr<InclusionProof> proof = (*log)->ProveInclusion(seq, 0);
    ASSERT_THAT(proof, IsOk());
    proofs.push_back(*proof);
    ASSERT_THAT((*log)->ProveConsistency(seq + 1, 0), IsOk());
    ASSERT_THAT((*log)->ProveInclusion(0, seq + 1), IsOk());  // historic roots too
  }
  EXPECT_EQ(store->nodes_read, before) << "proofs read nodes from the store";
  for (SequenceNumber seq = 0; seq < kEntries; ++seq) {
    absl::StatusOr<std::vector<Hash>> want = merkle::InclusionProof(seq, kEntries, uncached);
    ASSERT_THAT(want, IsOk());
    EXPECT_EQ(proofs[seq].hashes, *want);
  }
}

// Closing a log while its warm-up runs stops it: no hang, no crash (repeated, so that some
// closes land in the middle of the scan).
TEST(ProofCacheWarmUpTest, ClosingDuringTheWarmUpStopsIt) {
  const std::string dir = FreshDir();
  FakeClock clock(kTestNowMicros);
  BuildRocksDbLog(dir, 3000, &clock);
  for (int round = 0; round < 10; ++round) {
    auto s = store::RocksDbLogStore::Open(dir, store::RocksDbLogStoreOptions());
    ASSERT_THAT(s, IsOk());
    LogOptions log_options;
    log_options.clock = &clock;
    auto log = Log::Open(*std::move(s), TestIdentity(), LogKey(), log_options);
    ASSERT_THAT(log, IsOk());
    if (round % 2 == 1) {
      ASSERT_THAT((*log)->ProveInclusion(round, 0), IsOk());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Stores, ProofCacheTest,
    // Budgets: none; all of it (level 0); and small ones, whose level rises as the log grows
    // (at 300 entries, 2000 bytes cache from level 4 up, 500 bytes from level 6 up).
    ::testing::Values(Case{"memory_uncached", false, 0}, Case{"memory_all", false, 1 << 20},
                      Case{"memory_2000_bytes", false, 2000}, Case{"memory_500_bytes", false, 500},
                      Case{"rocksdb_uncached", true, 0}, Case{"rocksdb_all", true, 1 << 20},
                      Case{"rocksdb_2000_bytes", true, 2000}),
    CaseName);

}  // namespace
}  // namespace ledger::core
