// A follower started on an empty directory catches up on a long log: 300,000 entries appended
// to an in-process leader in signed batches of 1000 (one signature and one checkpoint each),
// replicated into a RocksDB follower in chunks of at most 10,000 entries. Prints the catch-up
// rate (a figure, not an assertion: benchmarks live in bench/).
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/datadir/layout.h"
#include "ledger/replication/follower.h"
#include "ledger/replication/fork_evidence.h"
#include "ledger/store/rocksdb_log_store.h"
#include "tests/testing/test_log.h"
#include "tests/replication/fake_leader.h"

namespace ledger::replication {
namespace {

const int kEntries = std::getenv("CATCH_UP_ENTRIES") != nullptr
                         ? std::atoi(std::getenv("CATCH_UP_ENTRIES"))
                         : 300000;
constexpr int kBatch = 1000;

TEST(CatchUpTest, EmptyFollowerCatchesUpOnALongLog) {
  const absl::Time build_start = absl::Now();
  std::unique_ptr<core::Log> leader = testing::BuildBatchedLeaderLog("c", kEntries, kBatch);
  ASSERT_EQ(leader->Head().tree_size, static_cast<TreeSize>(kEntries));
  std::cout << "leader: " << kEntries << " entries in "
            << absl::ToDoubleSeconds(absl::Now() - build_start) << " s\n";

  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/catch-up");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  store::RocksDbLogStoreOptions store_options;
  store_options.create_if_missing = true;
  auto store = store::RocksDbLogStore::Open(datadir::LogDir(dir), store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::unique_ptr<core::Log> log = testing::OpenFollowerLog(*std::move(store));
  testing::FakeEntrySource source(leader.get());
  FollowerOptions options;
  options.follower_id = "catch-up";
  options.evidence_dir = datadir::ForkEvidenceDir(dir);
  Follower follower(log.get(), &source, options);

  const absl::Time start = absl::Now();
  ASSERT_EQ(follower.RunOnce(), Follower::Round::kCaughtUp) << follower.status().last_error;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::cout << "follower: caught up on " << kEntries << " entries in " << seconds << " s ("
            << static_cast<int64_t>(kEntries / seconds) << " entries/s)\n";

  EXPECT_EQ(log->Head(), leader->Head());
  EXPECT_EQ(log->LatestCheckpoint(), leader->LatestCheckpoint());
  EXPECT_EQ(follower.status().entries_applied, static_cast<uint64_t>(kEntries));
  // Chunks end at the leader's checkpoints, at most 10,000 entries apart.
  TreeSize previous = 0;
  int checkpoints = 0;
  ASSERT_TRUE(log->store()
                  .ScanCheckpoints([&](TreeSize size, absl::string_view) {
                    EXPECT_LE(size - previous, 10000u);
                    previous = size;
                    ++checkpoints;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(previous, static_cast<TreeSize>(kEntries));
  EXPECT_EQ(checkpoints, (kEntries + 9999) / 10000);
  // Spot-check entries byte for byte (the whole log is compared by root above).
  for (SequenceNumber seq : {0, 1, 999, 1000, kEntries / 3, kEntries - 1}) {
    EXPECT_EQ(*log->store().GetEntry(seq), *leader->store().GetEntry(seq)) << seq;
  }
}

}  // namespace
}  // namespace ledger::replication
