// The follower against a fake, in-process leader (FakeEntrySource): catch-up, chunking at the
// leader's checkpoints, network cuts with a logged seed, crash and resume, and every kind of
// fork, rollback and bad data -- after which the follower has applied nothing past the last
// verified entry, keeps both signed checkpoints as evidence, reports the kind, and stops.
#include "ledger/replication/follower.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/format/checkpoint.h"
#include "ledger/replication/fork_evidence.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/store/rocksdb_log_store.h"
#include "tests/testing/forwarding_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"
#include "tests/replication/fake_leader.h"

namespace ledger::replication {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::FakeEntrySource;
using ::ledger::testing::LeaderLog;
using ::ledger::testing::LogKey;
using ::ledger::testing::OpenFollowerLog;
using ::ledger::testing::StrangerKey;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

// Every entry of `follower` equals the leader's at the same sequence, and the heads match.
void ExpectSameLog(const core::Log& leader, const core::Log& follower) {
  const store::LogHead lh = leader.Head();
  const store::LogHead fh = follower.Head();
  ASSERT_EQ(fh.tree_size, lh.tree_size);
  EXPECT_EQ(fh.root_hash, lh.root_hash);
  EXPECT_EQ(fh.last_recorded_time_micros, lh.last_recorded_time_micros);
  std::vector<std::string> leader_entries;
  ASSERT_TRUE(leader.store()
                  .ScanEntries(0, lh.tree_size,
                               [&](SequenceNumber, absl::string_view leaf) {
                                 leader_entries.emplace_back(leaf);
                                 return true;
                               })
                  .ok());
  SequenceNumber expected = 0;
  ASSERT_TRUE(follower.store()
                  .ScanEntries(0, fh.tree_size,
                               [&](SequenceNumber seq, absl::string_view leaf) {
                                 EXPECT_EQ(seq, expected) << "gap or duplicate";
                                 EXPECT_EQ(leaf, leader_entries[seq]) << "entry " << seq;
                                 ++expected;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(expected, lh.tree_size);
  EXPECT_EQ(follower.LatestCheckpoint(), leader.LatestCheckpoint());
}

class FollowerTest : public ::testing::Test {
 protected:
  FollowerTest()
      : clock_(testing::kTestNowMicros + 3600LL * 1000000),
        evidence_dir_(absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                   "-evidence")),
        follower_log_(OpenFollowerLog(std::make_unique<store::MemoryLogStore>())),
        source_(&leader_.log()) {}

  FollowerOptions Options() {
    FollowerOptions o;
    o.follower_id = "follower-1";
    o.leader = "fake-leader";
    o.evidence_dir = evidence_dir_;
    o.clock = &clock_;
    return o;
  }

  // Runs rounds until caught up or stopped (at most `rounds`).
  static Follower::Round Sync(Follower& f, int rounds = 1000) {
    Follower::Round r = Follower::Round::kRetry;
    for (int i = 0; i < rounds && r == Follower::Round::kRetry; ++i) r = f.RunOnce();
    return r;
  }

  // Follows leader_ up to its current size.
  void SyncTo(Follower& f) {
    ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp) << f.status().last_error;
    ASSERT_EQ(follower_log_->Head().tree_size, leader_.log().Head().tree_size);
  }

  // After a finding: the kind, nothing applied since `before`, both notes in the evidence file,
  // and no further contact with the leader.
  void ExpectStopped(Follower& f, ForkKind kind, const store::LogHead& before,
                     const std::string& local_note, const std::string& leader_note) {
    const FollowerStatus s = f.status();
    EXPECT_EQ(s.state, FollowerState::kStopped);
    EXPECT_EQ(s.fork_kind, kind) << ForkKindName(s.fork_kind) << ": " << s.fork_detail;
    EXPECT_EQ(follower_log_->Head(), before) << "entries were applied past the last verified";
    ASSERT_FALSE(s.evidence_file.empty()) << s.last_error;
    const std::string evidence = ReadFile(s.evidence_file);
    EXPECT_THAT(evidence, HasSubstr(absl::StrCat("kind ", ForkKindName(kind), "\n")));
    EXPECT_THAT(evidence, HasSubstr(absl::StrCat("-----BEGIN LOCAL CHECKPOINT-----\n", local_note,
                                                 "-----END LOCAL CHECKPOINT-----\n")));
    EXPECT_THAT(evidence, HasSubstr(absl::StrCat("-----BEGIN LEADER CHECKPOINT-----\n",
                                                 leader_note, "-----END LEADER CHECKPOINT-----\n")));
    EXPECT_EQ(ListDir(evidence_dir_).size(), 1u);
    // No silent retry.
    const uint64_t calls = source_.calls();
    EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
    EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
    EXPECT_EQ(source_.calls(), calls);
    EXPECT_EQ(follower_log_->Head(), before);
  }

  // Switches the source to a leader with the same first 6 entries, then another, longer
  // history, and expects the next round to find FORK_INCONSISTENT with nothing applied.
  void ExpectAnotherHistoryIsForkInconsistent(Follower& f) {
    const store::LogHead before = follower_log_->Head();
    const std::string local_note = follower_log_->LatestCheckpoint();
    forked_ = std::make_unique<LeaderLog>();
    ASSERT_TRUE(forked_->AppendClaims("a", 6, AdminKey()).ok());
    ASSERT_TRUE(forked_->AppendClaims("b", 9, AdminKey()).ok());
    source_.set_leader(&forked_->log());
    EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
    ExpectStopped(f, ForkKind::kForkInconsistent, before, local_note,
                  forked_->log().LatestCheckpoint());
  }

  // The leader appends 10 more entries (the follower holds its first 10) and entry 15 is
  // altered on the way (its recorded time one microsecond later: still a valid entry), with no
  // stored checkpoints sent: the next round must find BAD_ENTRIES with nothing applied.
  void ExpectAnAlteredEntryIsBadEntries(Follower& f) {
    ASSERT_TRUE(leader_.AppendClaims("b", 10, AdminKey()).ok());
    const store::LogHead before = follower_log_->Head();
    const std::string local_note = follower_log_->LatestCheckpoint();
    source_.set_tamper([](SequenceNumber seq, std::string* leaf) {
      if (seq == 15) (*leaf)[9] = static_cast<char>((*leaf)[9] + 1);
    });
    source_.set_send_checkpoints(false);
    EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
    ExpectStopped(f, ForkKind::kBadEntries, before, local_note, leader_.log().LatestCheckpoint());
  }

  FakeClock clock_;
  const std::string evidence_dir_;
  LeaderLog leader_;
  std::unique_ptr<core::Log> follower_log_;
  FakeEntrySource source_;
  std::unique_ptr<LeaderLog> forked_;  // ExpectAnotherHistoryIsForkInconsistent's leader
};

TEST_F(FollowerTest, CatchesUpFromEmptyAndHoldsTheLeadersLog) {
  ASSERT_TRUE(leader_.AppendClaims("a", 25, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  ExpectSameLog(leader_.log(), *follower_log_);
  const FollowerStatus s = f.status();
  EXPECT_EQ(s.state, FollowerState::kCaughtUp);
  EXPECT_EQ(s.leader_tree_size, 25u);
  EXPECT_EQ(s.lag_entries, 0u);
  EXPECT_EQ(s.lag_seconds, 0);
  EXPECT_EQ(s.entries_applied, 25u);
  EXPECT_EQ(s.fork_kind, ForkKind::kNone);
  EXPECT_TRUE(ListDir(evidence_dir_).empty());
}

TEST_F(FollowerTest, EmptyFollowerStoresTheLeadersEmptyTreeCheckpoint) {
  Follower f(follower_log_.get(), &source_, Options());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);
  EXPECT_EQ(follower_log_->LatestCheckpoint(), leader_.log().LatestCheckpoint());
  EXPECT_EQ(follower_log_->Head().tree_size, 0u);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);
}

TEST_F(FollowerTest, CaughtUpFollowerAppliesOnlyNewEntries) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);
  ASSERT_TRUE(leader_.AppendClaims("b", 7, AdminKey()).ok());
  SyncTo(f);
  ExpectSameLog(leader_.log(), *follower_log_);
  EXPECT_EQ(f.status().entries_applied, 17u);
}

TEST_F(FollowerTest, ReportsItsPositionToTheLeader) {
  ASSERT_TRUE(leader_.AppendClaims("a", 5, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);
  EXPECT_EQ(source_.last_position().follower_id, "follower-1");
  EXPECT_EQ(source_.last_position().tree_size, 5u);
}

TEST_F(FollowerTest, ChunksEndAtTheLeadersStoredCheckpoints) {
  ASSERT_TRUE(leader_.AppendClaims("a", 50, AdminKey()).ok());  // a checkpoint at every size
  FollowerOptions o = Options();
  o.page_entries = 7;
  o.max_chunk_entries = 10;
  Follower f(follower_log_.get(), &source_, o);
  SyncTo(f);
  ExpectSameLog(leader_.log(), *follower_log_);
  std::vector<TreeSize> sizes;
  ASSERT_TRUE(follower_log_->store()
                  .ScanCheckpoints([&](TreeSize size, absl::string_view note) {
                    sizes.push_back(size);
                    EXPECT_EQ(note, *leader_.log().CheckpointAt(size)) << "size " << size;
                    return true;
                  })
                  .ok());
  ASSERT_GE(sizes.size(), 5u);
  TreeSize previous = 0;
  for (TreeSize size : sizes) {
    EXPECT_LE(size - previous, 10u) << "a chunk ending at " << size << " is too large";
    previous = size;
  }
  EXPECT_EQ(sizes.back(), 50u);
}

TEST_F(FollowerTest, WithoutStoredCheckpointsTheWholeRangeIsOneCommit) {
  ASSERT_TRUE(leader_.AppendClaims("a", 30, AdminKey()).ok());
  source_.set_send_checkpoints(false);
  FollowerOptions o = Options();
  o.page_entries = 7;
  o.max_chunk_entries = 10;
  Follower f(follower_log_.get(), &source_, o);
  SyncTo(f);
  ExpectSameLog(leader_.log(), *follower_log_);
  int stored = 0;
  ASSERT_TRUE(follower_log_->store()
                  .ScanCheckpoints([&](TreeSize size, absl::string_view) {
                    EXPECT_EQ(size, 30u);
                    ++stored;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(stored, 1);
}

// A deterministic simulation: every call to the leader fails with probability 0.3 (a network
// cut), while the leader keeps growing. The seed is logged; set REPLICATION_SEED to replay one.
TEST_F(FollowerTest, ResumesAfterNetworkCutsWithNoGapAndNoDuplicate) {
  const char* env_seed = std::getenv("REPLICATION_SEED");
  const uint32_t seed = env_seed != nullptr ? static_cast<uint32_t>(std::atoi(env_seed)) : 20260101;
  std::cout << "REPLICATION_SEED=" << seed << "\n";
  std::mt19937 rng(seed);
  std::bernoulli_distribution cut(0.3);
  source_.set_fail([&](uint64_t) { return cut(rng); });
  FollowerOptions o = Options();
  o.page_entries = 4;
  o.max_chunk_entries = 6;
  Follower f(follower_log_.get(), &source_, o);
  int retries = 0;
  for (int round = 0; round < 12; ++round) {
    ASSERT_TRUE(leader_.AppendClaims(absl::StrCat("r", round), 9, AdminKey()).ok());
    Follower::Round r = Follower::Round::kRetry;
    for (int i = 0; i < 1000 && r == Follower::Round::kRetry; ++i) {
      r = f.RunOnce();
      if (r == Follower::Round::kRetry) {
        ++retries;
        EXPECT_EQ(f.status().state, FollowerState::kRetrying);
        EXPECT_TRUE(absl::IsUnavailable(f.status().last_error)) << f.status().last_error;
      }
    }
    ASSERT_EQ(r, Follower::Round::kCaughtUp) << "seed " << seed;
  }
  ExpectSameLog(leader_.log(), *follower_log_);
  EXPECT_GT(retries, 0);
  EXPECT_GT(source_.failed_calls(), 0u);
  EXPECT_TRUE(f.status().last_error.ok());
}

// The follower dies (is destroyed with its log) in the middle of a catch-up, with entries
// fetched but not applied; reopened from the same RocksDB directory it goes on from its size.
TEST_F(FollowerTest, ResumesAfterACrashFromItsOwnSize) {
  ASSERT_TRUE(leader_.AppendBatches("a", 3000, 100, AdminKey()).ok());
  const std::string db = absl::StrCat(std::getenv("TEST_TMPDIR"), "/crash-resume-db");
  store::RocksDbLogStoreOptions store_options;
  store_options.create_if_missing = true;
  FollowerOptions o = Options();
  o.page_entries = 250;
  o.max_chunk_entries = 500;
  TreeSize size_at_crash = 0;
  {
    auto store = store::RocksDbLogStore::Open(db, store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    std::unique_ptr<core::Log> log = OpenFollowerLog(*std::move(store));
    // The network dies for good after 7 calls: some chunks are applied, a page is pending.
    FakeEntrySource source(&leader_.log());
    source.set_fail([](uint64_t call) { return call >= 7; });
    Follower f(log.get(), &source, o);
    EXPECT_EQ(f.RunOnce(), Follower::Round::kRetry);
    size_at_crash = log->Head().tree_size;
  }  // "crash": the follower and its log are gone; only the store's directory remains.
  ASSERT_GT(size_at_crash, 0u);
  ASSERT_LT(size_at_crash, 3000u);
  auto store = store::RocksDbLogStore::Open(db, store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::unique_ptr<core::Log> log = OpenFollowerLog(*std::move(store));
  EXPECT_EQ(log->Head().tree_size, size_at_crash);
  FakeEntrySource source(&leader_.log());
  Follower f(log.get(), &source, o);
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp) << f.status().last_error;
  EXPECT_EQ(f.status().entries_applied, 3000u - size_at_crash);
  ExpectSameLog(leader_.log(), *log);
}

// ---- Findings: each stops the follower with 0 forked entries applied. ----

TEST_F(FollowerTest, SameSizeWithAnotherRootIsForkSameSize) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  const store::LogHead before = follower_log_->Head();
  const std::string local_note = follower_log_->LatestCheckpoint();
  LeaderLog forked;
  ASSERT_TRUE(forked.AppendClaims("b", 10, AdminKey()).ok());
  source_.set_leader(&forked.log());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kForkSameSize, before, local_note, forked.log().LatestCheckpoint());
}

TEST_F(FollowerTest, LargerInconsistentCheckpointIsForkInconsistent) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  ExpectAnotherHistoryIsForkInconsistent(f);
}

// Serves the honest leader's latest checkpoint and first consistency proof, but the forked
// leader's entries, stored checkpoints and later proofs: the fork shows only when a chunk ending
// at one of the fork's checkpoints is refused.
class SplitSource : public EntrySource {
 public:
  SplitSource(core::Log* honest, core::Log* forked) : honest_(honest), forked_(forked) {}
  absl::StatusOr<std::string> LatestCheckpoint(const FollowerPosition& p,
                                               absl::Duration wait) override {
    return honest_.LatestCheckpoint(p, wait);
  }
  absl::StatusOr<std::string> CheckpointAt(TreeSize size) override {
    return forked_.CheckpointAt(size);
  }
  absl::StatusOr<EntryBatch> Entries(const FollowerPosition& p, SequenceNumber from,
                                     size_t max) override {
    return forked_.Entries(p, from, max);
  }
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from, TreeSize to) override {
    return proofs_++ == 0 ? honest_.ConsistencyProof(from, to) : forked_.ConsistencyProof(from, to);
  }

 private:
  FakeEntrySource honest_;
  FakeEntrySource forked_;
  int proofs_ = 0;
};

TEST_F(FollowerTest, RefusedChunkWithAnInconsistentCheckpointIsForkInconsistent) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower setup(follower_log_.get(), &source_, Options());
  SyncTo(setup);
  const store::LogHead before = follower_log_->Head();
  ASSERT_TRUE(leader_.AppendClaims("a2", 6, AdminKey()).ok());
  LeaderLog forked;
  ASSERT_TRUE(forked.AppendClaims("b", 16, AdminKey()).ok());
  SplitSource split(&leader_.log(), &forked.log());
  FollowerOptions o = Options();
  o.page_entries = 2;
  o.max_chunk_entries = 2;
  Follower f(follower_log_.get(), &split, o);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  const FollowerStatus s = f.status();
  EXPECT_EQ(s.fork_kind, ForkKind::kForkInconsistent) << s.fork_detail;
  EXPECT_EQ(follower_log_->Head(), before);
  const std::string evidence = ReadFile(s.evidence_file);
  EXPECT_THAT(evidence, HasSubstr(follower_log_->LatestCheckpoint()));
  EXPECT_THAT(evidence, HasSubstr(*forked.log().CheckpointAt(12)));
}

TEST_F(FollowerTest, ShorterLogWithTheSameRootIsLeaderRollback) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  const store::LogHead before = follower_log_->Head();
  const std::string local_note = follower_log_->LatestCheckpoint();
  LeaderLog rolled_back;  // the same first 5 entries, byte for byte
  ASSERT_TRUE(rolled_back.AppendClaims("a", 5, AdminKey()).ok());
  ASSERT_EQ(*leader_.log().CheckpointAt(5), rolled_back.log().LatestCheckpoint());
  source_.set_leader(&rolled_back.log());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kLeaderRollback, before, local_note,
                rolled_back.log().LatestCheckpoint());
}

TEST_F(FollowerTest, ShorterLogWithAnotherRootIsForkSameSize) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  FollowerOptions o = Options();
  o.page_entries = 5;
  o.max_chunk_entries = 5;  // so that the follower stores the leader's checkpoint at 5
  Follower f(follower_log_.get(), &source_, o);
  SyncTo(f);
  const store::LogHead before = follower_log_->Head();
  const std::string local_note = follower_log_->LatestCheckpoint();
  LeaderLog forked;
  ASSERT_TRUE(forked.AppendClaims("b", 5, AdminKey()).ok());
  source_.set_leader(&forked.log());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kForkSameSize, before, local_note, forked.log().LatestCheckpoint());
  // Our own signed checkpoint at the leader's size is kept too.
  EXPECT_THAT(ReadFile(f.status().evidence_file),
              HasSubstr(absl::StrCat("-----BEGIN LOCAL CHECKPOINT AT LEADER SIZE-----\n",
                                     *follower_log_->CheckpointAt(5))));
}

TEST_F(FollowerTest, CheckpointSignedByAnUnknownKeyIsRefused) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  const store::LogHead before = follower_log_->Head();
  const std::string local_note = follower_log_->LatestCheckpoint();
  // The same entries and more, but checkpoints signed by another log key.
  LeaderLog other_key(StrangerKey(), {AdminKey().public_key()});
  ASSERT_TRUE(other_key.AppendClaims("a", 15, AdminKey()).ok());
  source_.set_leader(&other_key.log());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kUnknownCheckpointKey, before, local_note,
                other_key.log().LatestCheckpoint());
}

TEST_F(FollowerTest, MalformedCheckpointIsRefusedAsUnknownKey) {
  ASSERT_TRUE(leader_.AppendClaims("a", 3, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  const store::LogHead before = follower_log_->Head();
  const std::string local_note = follower_log_->LatestCheckpoint();
  source_.set_latest_checkpoint("not a checkpoint\n");
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kUnknownCheckpointKey, before, local_note, "not a checkpoint\n");
}

// A whole log re-signed by another log key (and other admins): an empty follower applies none.
TEST_F(FollowerTest, LogResignedByAnotherKeyIsRefusedFromEmpty) {
  LeaderLog resigned(StrangerKey(), {StrangerKey().public_key()});
  ASSERT_TRUE(resigned.AppendClaims("a", 12, StrangerKey()).ok());
  source_.set_leader(&resigned.log());
  Follower f(follower_log_.get(), &source_, Options());
  const store::LogHead before = follower_log_->Head();
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kUnknownCheckpointKey, before, "",
                resigned.log().LatestCheckpoint());
  EXPECT_EQ(before.tree_size, 0u);
}

// The entries re-signed by a key the follower does not trust, with checkpoints that verify
// (the log key leaked): the replayer refuses the first entry.
TEST_F(FollowerTest, EntriesResignedByAnUntrustedSignerAreBadEntries) {
  LeaderLog resigned(LogKey(), {StrangerKey().public_key()});
  ASSERT_TRUE(resigned.AppendClaims("a", 12, StrangerKey()).ok());
  source_.set_leader(&resigned.log());
  Follower f(follower_log_.get(), &source_, Options());
  const store::LogHead before = follower_log_->Head();
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ExpectStopped(f, ForkKind::kBadEntries, before, "", resigned.log().LatestCheckpoint());
  EXPECT_THAT(f.status().fork_detail, HasSubstr("entry 0"));
}

// An honest checkpoint, but an entry altered on the way: the consistency proof verifies, the
// recomputed root does not.
TEST_F(FollowerTest, EntriesThatMissTheLeadersOwnCheckpointAreBadEntries) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, Options());
  SyncTo(f);
  ExpectAnAlteredEntryIsBadEntries(f);
}

TEST_F(FollowerTest, ReportsLagWhileBehind) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  std::vector<FollowerStatus> published;
  FollowerOptions o = Options();
  o.page_entries = 2;
  o.on_status = [&](const FollowerStatus& s) { published.push_back(s); };
  Follower f(follower_log_.get(), &source_, o);
  SyncTo(f);
  const int64_t newest = follower_log_->Head().last_recorded_time_micros;
  ASSERT_TRUE(leader_.AppendClaims("b", 6, AdminKey()).ok());
  clock_.Set(newest + 2500000);  // the leader's checkpoint is fetched 2.5 s after entry 9
  published.clear();
  SyncTo(f);
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.front().state, FollowerState::kCatchingUp);
  EXPECT_EQ(published.front().leader_tree_size, 16u);
  EXPECT_EQ(published.front().lag_entries, 6u);
  EXPECT_DOUBLE_EQ(published.front().lag_seconds, 2.5);
  EXPECT_EQ(published.back().state, FollowerState::kCaughtUp);
  EXPECT_EQ(published.back().lag_entries, 0u);
  EXPECT_EQ(published.back().lag_seconds, 0);
}

TEST_F(FollowerTest, ThreadFollowsAndStops) {
  ASSERT_TRUE(leader_.AppendClaims("a", 40, AdminKey()).ok());
  FollowerOptions o = Options();
  o.idle_delay = absl::Milliseconds(1);
  Follower f(follower_log_.get(), &source_, o);
  f.Start();
  EXPECT_EQ(follower_log_->WaitForGrowth(39, absl::Seconds(30)), 40u);
  f.Stop();
  ExpectSameLog(leader_.log(), *follower_log_);
}

TEST_F(FollowerTest, ThreadStopsForGoodOnAFinding) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  absl::Notification stopped;
  FollowerOptions o = Options();
  o.idle_delay = absl::Milliseconds(1);
  o.on_status = [&](const FollowerStatus& s) {
    if (s.state == FollowerState::kStopped && !stopped.HasBeenNotified()) stopped.Notify();
  };
  Follower f(follower_log_.get(), &source_, o);
  SyncTo(f);
  LeaderLog forked;
  ASSERT_TRUE(forked.AppendClaims("b", 10, AdminKey()).ok());
  source_.set_leader(&forked.log());
  f.Start();
  ASSERT_TRUE(stopped.WaitForNotificationWithTimeout(absl::Seconds(30)));
  f.Stop();  // the thread had already ended
  const uint64_t calls = source_.calls();
  EXPECT_EQ(f.status().fork_kind, ForkKind::kForkSameSize);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  EXPECT_EQ(source_.calls(), calls);
}

// Durable receipts (receipts.h): the same log, told to the leader as held once durable.
class ReceiptFollowerTest : public FollowerTest {
 protected:
  ReceiptFollowerTest() {
    receipts_dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                 "-receipts");
    receipts_ = *ReceiptStore::Open(receipts_dir_);
  }

  FollowerOptions ReceiptOptions() {
    FollowerOptions o = Options();
    o.receipts = receipts_.get();
    return o;
  }

  std::vector<Receipt> Stored() {
    absl::StatusOr<std::vector<Receipt>> all = receipts_->LoadAll();
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<Receipt>{};
  }

  // The leader's entries [from, to) with its checkpoint at `to`, as a receipt.
  Receipt LeaderReceipt(SequenceNumber from, TreeSize to) {
    Receipt r;
    r.from = from;
    r.checkpoint_note = *leader_.log().CheckpointAt(to);
    EXPECT_TRUE(leader_.log()
                    .store()
                    .ScanEntries(from, to,
                                 [&](SequenceNumber, absl::string_view leaf) {
                                   r.leaf_datas.emplace_back(leaf);
                                   return true;
                                 })
                    .ok());
    return r;
  }

  std::string receipts_dir_;
  std::unique_ptr<ReceiptStore> receipts_;
};

TEST_F(ReceiptFollowerTest, CatchesUpAppliesEveryReceiptAndRemovesIt) {
  ASSERT_TRUE(leader_.AppendClaims("a", 50, AdminKey()).ok());
  FollowerOptions o = ReceiptOptions();
  o.page_entries = 7;
  o.max_chunk_entries = 10;
  o.max_receipt_entries = 12;  // the round waits for the apply thread
  Follower f(follower_log_.get(), &source_, o);
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp) << f.status().last_error;
  f.WaitApplied();
  ExpectSameLog(leader_.log(), *follower_log_);
  EXPECT_TRUE(Stored().empty());
  EXPECT_EQ(f.status().entries_applied, 50u);
  ASSERT_TRUE(leader_.AppendClaims("b", 9, AdminKey()).ok());
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp);
  f.WaitApplied();
  ExpectSameLog(leader_.log(), *follower_log_);
  // The position told to the leader is the size held.
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);
  EXPECT_EQ(source_.last_position().tree_size, 59u);
}

// Receipts left by a crashed follower (one already applied, its removal lost; two not yet
// applied) are applied, in order, before the first round.
TEST_F(ReceiptFollowerTest, ReceiptsStoredBeforeACrashAreAppliedFirst) {
  ASSERT_TRUE(leader_.AppendClaims("a", 30, AdminKey()).ok());
  ASSERT_EQ(follower_log_->AppendReplicated(LeaderReceipt(0, 10).leaf_datas,
                                            *leader_.log().CheckpointAt(10))
                .status(),
            absl::OkStatus());
  ASSERT_TRUE(receipts_->Put(LeaderReceipt(0, 10)).ok());   // applied, removal lost
  ASSERT_TRUE(receipts_->Put(LeaderReceipt(10, 24)).ok());
  ASSERT_TRUE(receipts_->Put(LeaderReceipt(24, 30)).ok());
  const uint64_t calls = source_.calls();
  Follower f(follower_log_.get(), &source_, ReceiptOptions());
  EXPECT_EQ(source_.calls(), calls) << "receipts are applied before any contact";
  EXPECT_EQ(follower_log_->Head().tree_size, 30u);
  EXPECT_TRUE(Stored().empty());
  ExpectSameLog(leader_.log(), *follower_log_);
  ASSERT_TRUE(leader_.AppendClaims("b", 5, AdminKey()).ok());
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp);
  f.WaitApplied();
  ExpectSameLog(leader_.log(), *follower_log_);
}

TEST_F(ReceiptFollowerTest, AReceiptThatLeavesAGapIsRefused) {
  ASSERT_TRUE(leader_.AppendClaims("a", 20, AdminKey()).ok());
  ASSERT_TRUE(receipts_->Put(LeaderReceipt(5, 20)).ok());
  EXPECT_THAT(ApplyStoredReceipts(receipts_.get(), follower_log_.get()).status(),
              testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not start at")));
  EXPECT_EQ(follower_log_->Head().tree_size, 0u);
  EXPECT_EQ(Stored().size(), 1u);
}

// The log grew past a receipt's start without it (served without receipts meanwhile): only
// the entries it lacks are applied.
TEST_F(ReceiptFollowerTest, AReceiptTheLogHoldsInPartIsAppliedFromTheLogsSize) {
  ASSERT_TRUE(leader_.AppendClaims("a", 20, AdminKey()).ok());
  ASSERT_TRUE(follower_log_
                  ->AppendReplicated(LeaderReceipt(0, 8).leaf_datas,
                                     *leader_.log().CheckpointAt(8))
                  .ok());
  ASSERT_TRUE(receipts_->Put(LeaderReceipt(5, 20)).ok());
  absl::StatusOr<uint64_t> applied = ApplyStoredReceipts(receipts_.get(), follower_log_.get());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 12u);
  ExpectSameLog(leader_.log(), *follower_log_);
  EXPECT_TRUE(Stored().empty());
}

// An entry altered on the way: the chunk's root is not the checkpoint's, so the follower
// stores no receipt and reports nothing more than it held.
TEST_F(ReceiptFollowerTest, EntriesThatMissTheCheckpointAreRefusedBeforeAnyReceipt) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, ReceiptOptions());
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp);
  f.WaitApplied();
  ExpectAnAlteredEntryIsBadEntries(f);
  EXPECT_THAT(f.status().fork_detail, HasSubstr("not the checkpoint's"));
  EXPECT_TRUE(Stored().empty());
  EXPECT_EQ(source_.last_position().tree_size, 10u);
}

// Another history beyond the entries held: a round asks for no consistency proof with receipts,
// so the fork shows as a chunk whose root is not the checkpoint's, and the proof asked for then
// classifies it.
TEST_F(ReceiptFollowerTest, AnotherHistoryBeyondTheHeldEntriesIsForkInconsistent) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, ReceiptOptions());
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp);
  f.WaitApplied();
  ExpectAnotherHistoryIsForkInconsistent(f);
  EXPECT_TRUE(Stored().empty());
}

// Entries under the right root that break a rule (signed by a key the follower does not
// trust): received, then refused by the apply thread, which stops the follower. The receipt
// stays as evidence and the next start refuses it again.
TEST_F(ReceiptFollowerTest, EntriesThatBreakARuleStopTheApplyThread) {
  LeaderLog resigned(LogKey(), {StrangerKey().public_key()});
  ASSERT_TRUE(resigned.AppendClaims("a", 12, StrangerKey()).ok());
  source_.set_leader(&resigned.log());
  Follower f(follower_log_.get(), &source_, ReceiptOptions());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kCaughtUp);  // received under the right root
  f.WaitApplied();
  const FollowerStatus s = f.status();
  EXPECT_EQ(s.state, FollowerState::kStopped);
  EXPECT_EQ(s.fork_kind, ForkKind::kBadEntries);
  EXPECT_THAT(s.fork_detail, HasSubstr("entry 0"));
  EXPECT_FALSE(s.evidence_file.empty());
  EXPECT_EQ(follower_log_->Head().tree_size, 0u);
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  ASSERT_EQ(Stored().size(), 1u);
  EXPECT_THAT(ApplyStoredReceipts(receipts_.get(), follower_log_.get()).status(),
              testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 0")));
}

// A leader whose log is shorter than what the follower received: the follower applies what it
// received, then finds the rollback as without receipts.
TEST_F(ReceiptFollowerTest, ALeaderShorterThanTheEntriesHeldIsLeaderRollback) {
  ASSERT_TRUE(leader_.AppendClaims("a", 10, AdminKey()).ok());
  Follower f(follower_log_.get(), &source_, ReceiptOptions());
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp);
  LeaderLog rolled_back;
  ASSERT_TRUE(rolled_back.AppendClaims("a", 5, AdminKey()).ok());
  source_.set_leader(&rolled_back.log());
  EXPECT_EQ(f.RunOnce(), Follower::Round::kStopped);
  EXPECT_EQ(f.status().fork_kind, ForkKind::kLeaderRollback) << f.status().fork_detail;
  EXPECT_EQ(follower_log_->Head().tree_size, 10u);
}

// A store whose commits wait for the test (Open), or fail (Fail); it says when the events of a
// second chunk have been looked up, i.e. when that chunk has been replayed.
class GatedStore : public ::ledger::testing::ForwardingLogStore {
 public:
  GatedStore() : ForwardingLogStore(std::make_unique<store::MemoryLogStore>()) {}
  void Open() { open_.Notify(); }
  void Fail() { fail_ = true; }  // before Open
  absl::Notification& second_chunk_replayed() { return replayed_; }
  int lookups() const { return lookups_.load(); }

  absl::Status Commit(const store::CommitBatch& batch) override {
    open_.WaitForNotification();
    if (fail_) return absl::UnavailableError("the disk went away");
    return ForwardingLogStore::Commit(batch);
  }
  absl::Status GetEventIds(const std::vector<absl::string_view>& ids,
                           std::vector<std::optional<store::EventIdRecord>>* out) const override {
    absl::Status s = store::LogStore::GetEventIds(ids, out);
    if (++lookups_ == 2) replayed_.Notify();
    return s;
  }

 private:
  absl::Notification open_;
  mutable absl::Notification replayed_;
  bool fail_ = false;
  mutable std::atomic<int> lookups_{0};
};

std::vector<std::string> LeaderEntries(const core::Log& leader, SequenceNumber begin,
                                       SequenceNumber end) {
  std::vector<std::string> leaves;
  EXPECT_TRUE(leader.store()
                  .ScanEntries(begin, end,
                               [&](SequenceNumber, absl::string_view leaf) {
                                 leaves.emplace_back(leaf);
                                 return true;
                               })
                  .ok());
  return leaves;
}

// Stages the leader's entries [from, to) with its checkpoint at `to` on `follower`.
absl::StatusOr<TreeSize> StageChunk(core::Log& follower, const core::Log& leader,
                                    SequenceNumber from, TreeSize to) {
  return follower.StageReplicated(LeaderEntries(leader, from, to), *leader.CheckpointAt(to));
}

// Pipelined replication (Log::StageReplicated): the next chunk is checked against the chunk
// still being committed -- here a retraction of a claim that only that chunk asserts -- and
// nothing is visible before its commit.
TEST(ReplicationPipelineTest, TheNextChunkIsCheckedAgainstTheChunkBeingCommitted) {
  LeaderLog leader;
  ASSERT_TRUE(leader.AppendClaims("a", 5, AdminKey()).ok());
  v1::Event retract;
  retract.mutable_claim_retracted()->set_claim_id("a-2");
  retract.mutable_claim_retracted()->set_reason("misquoted");
  ASSERT_TRUE(leader.log().Append(testing::Sign("r-1", retract, AdminKey())).ok());
  auto gated = std::make_unique<GatedStore>();
  GatedStore* store = gated.get();
  std::unique_ptr<core::Log> follower = OpenFollowerLog(std::move(gated));

  absl::StatusOr<TreeSize> a = StageChunk(*follower, leader.log(), 0, 5);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, 5u);
  EXPECT_EQ(follower->StagedHead().tree_size, 5u);
  EXPECT_EQ(follower->Head().tree_size, 0u) << "visible before its commit";
  EXPECT_EQ(follower->LatestCheckpoint(), "");
  absl::StatusOr<TreeSize> b;
  std::thread second([&] {
    b = StageChunk(*follower, leader.log(), 5, 6);
  });
  store->second_chunk_replayed().WaitForNotification();  // while the first still commits
  EXPECT_EQ(follower->Head().tree_size, 0u);
  store->Open();
  second.join();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, 6u);
  ASSERT_EQ(follower->WaitReplicated(), absl::OkStatus());
  ExpectSameLog(leader.log(), *follower);
}

// A chunk that changes the keys is committed before the next chunk is checked: that one is
// signed by the key the first registers, which the key registry knows only after the commit.
TEST(ReplicationPipelineTest, AChunkAfterKeyChangesWaitsForTheirCommit) {
  LeaderLog leader;
  ASSERT_TRUE(leader.AppendClaims("a", 3, AdminKey()).ok());
  ASSERT_TRUE(leader.log()
                  .Append(testing::Sign("register-submitter",
                                        testing::KeyRegisteredEvent(
                                            testing::SubmitterKey().public_key(),
                                            v1::KeyRegistered::SUBMITTER),
                                        AdminKey()))
                  .ok());
  ASSERT_TRUE(leader.AppendClaims("s", 3, testing::SubmitterKey()).ok());
  auto gated = std::make_unique<GatedStore>();
  GatedStore* store = gated.get();
  std::unique_ptr<core::Log> follower = OpenFollowerLog(std::move(gated));
  ASSERT_TRUE(StageChunk(*follower, leader.log(), 0, 4).ok());
  EXPECT_EQ(store->lookups(), 1);
  absl::StatusOr<TreeSize> b;
  std::thread second([&] {
    b = StageChunk(*follower, leader.log(), 4, 7);
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(store->lookups(), 1) << "the second chunk was checked before the keys were committed";
  store->Open();
  second.join();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(follower->WaitReplicated(), absl::OkStatus());
  ExpectSameLog(leader.log(), *follower);
}

// A commit that fails on the committer thread stops the log: the replication thread hears it
// from the next call, and nothing more is staged.
TEST(ReplicationPipelineTest, ACommitThatFailsStopsTheLog) {
  LeaderLog leader;
  ASSERT_TRUE(leader.AppendClaims("a", 6, AdminKey()).ok());
  auto gated = std::make_unique<GatedStore>();
  GatedStore* store = gated.get();
  std::unique_ptr<core::Log> follower = OpenFollowerLog(std::move(gated));
  ASSERT_TRUE(StageChunk(*follower, leader.log(), 0, 3).ok());
  store->Fail();
  store->Open();
  EXPECT_THAT(follower->WaitReplicated(), testing::StatusIs(absl::StatusCode::kUnavailable,
                                                            HasSubstr("the disk went away")));
  EXPECT_THAT(StageChunk(*follower, leader.log(), 3, 6).status(),
              testing::StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(follower->Head().tree_size, 0u);
  EXPECT_EQ(follower->StagedHead().tree_size, 0u);
}

// With receipts the apply thread pipelines too: the second receipt is checked while the first
// commits, and a receipt is removed only once it is committed.
TEST_F(ReceiptFollowerTest, TheNextReceiptIsCheckedWhileTheOneBeforeCommits) {
  ASSERT_TRUE(leader_.AppendClaims("a", 20, AdminKey()).ok());
  auto gated = std::make_unique<GatedStore>();
  GatedStore* store = gated.get();
  std::unique_ptr<core::Log> log = OpenFollowerLog(std::move(gated));
  FollowerOptions o = ReceiptOptions();
  o.page_entries = 5;  // a chunk ends at max_chunk_entries only while more pages follow
  o.max_chunk_entries = 10;
  Follower f(log.get(), &source_, o);
  ASSERT_EQ(Sync(f), Follower::Round::kCaughtUp) << f.status().last_error;
  EXPECT_TRUE(store->second_chunk_replayed().WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "the second receipt was not checked while the first was being committed";
  EXPECT_EQ(log->Head().tree_size, 0u);
  EXPECT_EQ(Stored().size(), 2u) << "a receipt was removed before its commit";
  store->Open();
  f.WaitApplied();
  ExpectSameLog(leader_.log(), *log);
  EXPECT_TRUE(Stored().empty());
  EXPECT_EQ(f.status().entries_applied, 20u);
}

TEST(ReceiptValueTest, RoundTripsAndRefusesDamage) {
  Receipt r;
  r.from = 7;
  r.checkpoint_note = "origin\n9\nroot\n";
  r.leaf_datas = {"one", "", std::string(300, 'x')};
  const std::string value = EncodeReceiptValue(r);
  absl::StatusOr<Receipt> back = DecodeReceiptValue(7, value);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->from, 7u);
  EXPECT_EQ(back->checkpoint_note, r.checkpoint_note);
  EXPECT_EQ(back->leaf_datas, r.leaf_datas);
  EXPECT_EQ(back->end(), 10u);
  for (size_t cut = 0; cut < value.size(); ++cut) {
    EXPECT_THAT(DecodeReceiptValue(7, value.substr(0, cut)).status(),
                testing::StatusIs(absl::StatusCode::kDataLoss))
        << "cut at " << cut;
  }
  EXPECT_THAT(DecodeReceiptValue(7, value + "x").status(),
              testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("trailing")));
  std::string huge = "FLR1";
  PutFixed32BE(&huge, 0);
  PutFixed32BE(&huge, 0xffffffffu);
  EXPECT_THAT(DecodeReceiptValue(0, huge).status(),
              testing::StatusIs(absl::StatusCode::kDataLoss, HasSubstr("over the limit")));
}

// The long-log builder of the catch-up test writes what the real pipeline writes.
TEST(BatchedLeaderLogTest, MatchesTheAppendPipeline) {
  std::unique_ptr<core::Log> built = testing::BuildBatchedLeaderLog("x", 2500, 1000);
  LeaderLog real;
  ASSERT_TRUE(real.AppendBatches("x", 2500, 1000, AdminKey()).ok());
  ExpectSameLog(real.log(), *built);
  for (TreeSize size : {0, 1000, 2000, 2500}) {
    EXPECT_EQ(*built->CheckpointAt(size), *real.log().CheckpointAt(size)) << size;
  }
}

TEST(ForkEvidenceTest, FilesAreNeverReplaced) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/evidence-collide");
  ForkEvidence e;
  e.kind = "FORK_SAME_SIZE";
  e.detected_micros = 42;
  e.detail = "two\nlines";
  e.local_checkpoint = "local\n";
  e.leader_checkpoint = "leader\n";
  absl::StatusOr<std::string> first = WriteForkEvidence(dir, e);
  absl::StatusOr<std::string> second = WriteForkEvidence(dir, e);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, dir + "/42.txt");
  EXPECT_EQ(*second, dir + "/42-1.txt");
  EXPECT_EQ(ReadFile(*first),
            "factledger-fork-evidence v1\nkind FORK_SAME_SIZE\ndetected_micros 42\nleader \n"
            "local_tree_size 0\nleader_tree_size 0\ndetail two lines\n"
            "-----BEGIN LOCAL CHECKPOINT-----\nlocal\n-----END LOCAL CHECKPOINT-----\n"
            "-----BEGIN LEADER CHECKPOINT-----\nleader\n-----END LEADER CHECKPOINT-----\n");
}

}  // namespace
}  // namespace ledger::replication
