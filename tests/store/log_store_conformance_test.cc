// One suite, run against every LogStore implementation: what the interface promises.
#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/crypto/sha256.h"
#include "ledger/store/log_store.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "tests/store/store_test_util.h"

namespace ledger::store {
namespace {

using ::ledger::store::testing::CheckpointNote;
using ::ledger::store::testing::EntryData;
using ::ledger::store::testing::EventIdOf;
using ::ledger::store::testing::EventRecordOf;
using ::ledger::store::testing::FreshTestDir;
using ::ledger::store::testing::LeafHash;
using ::ledger::store::testing::MakeBatch;
using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

struct StoreFactory {
  std::string name;
  // Opens a new, empty store; `dir` is a fresh empty directory it may use.
  std::function<absl::StatusOr<std::unique_ptr<LogStore>>(const std::string& dir)> open;
};

// Names the store in gtest output instead of dumping the struct's bytes.
void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

StoreFactory MemoryFactory() {
  return {"Memory", [](const std::string&) -> absl::StatusOr<std::unique_ptr<LogStore>> {
            return std::make_unique<MemoryLogStore>();
          }};
}

StoreFactory RocksDbFactory() {
  return {"RocksDb", [](const std::string& dir) -> absl::StatusOr<std::unique_ptr<LogStore>> {
            RocksDbLogStoreOptions options;
            options.create_if_missing = true;
            absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
                RocksDbLogStore::Open(dir, options);
            if (!store.ok()) return store.status();
            return std::unique_ptr<LogStore>(*std::move(store));
          }};
}

class LogStoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LogStore>> store = GetParam().open(FreshTestDir());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  // Commits a valid batch of `count` entries on the current head; returns the batch.
  CommitBatch CommitEntries(int count) {
    CommitBatch batch = MakeBatch(store_->Head(), count);
    EXPECT_THAT(store_->Commit(batch), IsOk());
    return batch;
  }

  // Asserts that a refused `batch` left no trace: head as `before`, and none of its entries,
  // event ids, keys or checkpoint readable.
  void ExpectNothingWritten(const CommitBatch& batch, const LogHead& before) {
    EXPECT_EQ(store_->Head(), before);
    EXPECT_THAT(store_->GetEntry(before.tree_size), StatusIs(absl::StatusCode::kNotFound));
    for (const auto& [event_id, record] : batch.event_ids) {
      EXPECT_EQ(*store_->GetEventId(event_id), std::nullopt) << event_id;
    }
    int keys = 0;
    ASSERT_THAT(store_->ScanKeys([&](absl::string_view, absl::string_view) { ++keys; }), IsOk());
    EXPECT_EQ(keys, 0);
    if (batch.new_head.tree_size != before.tree_size) {
      EXPECT_EQ(*store_->GetCheckpoint(batch.new_head.tree_size), std::nullopt);
    }
  }

  std::vector<std::pair<SequenceNumber, std::string>> Scan(SequenceNumber begin,
                                                           SequenceNumber end) {
    std::vector<std::pair<SequenceNumber, std::string>> seen;
    EXPECT_THAT(store_->ScanEntries(begin, end,
                                    [&](SequenceNumber sequence, absl::string_view data) {
                                      seen.emplace_back(sequence, std::string(data));
                                      return true;
                                    }),
                IsOk());
    return seen;
  }

  std::unique_ptr<LogStore> store_;
};

TEST_P(LogStoreConformanceTest, EmptyStoreHeadIsTheEmptyTree) {
  const LogHead head = store_->Head();
  EXPECT_EQ(head.tree_size, 0u);
  EXPECT_EQ(head.root_hash, crypto::Sha256(""));
  EXPECT_EQ(head.last_recorded_time_micros, 0);
}

TEST_P(LogStoreConformanceTest, CommitMovesHeadToNewHead) {
  const CommitBatch batch = CommitEntries(3);
  EXPECT_EQ(store_->Head(), batch.new_head);
}

TEST_P(LogStoreConformanceTest, CommittedEntriesReadBack) {
  CommitEntries(2);
  CommitEntries(3);
  for (SequenceNumber sequence = 0; sequence < 5; ++sequence) {
    absl::StatusOr<std::string> entry = store_->GetEntry(sequence);
    ASSERT_THAT(entry, IsOk());
    EXPECT_EQ(*entry, EntryData(sequence));
  }
}

TEST_P(LogStoreConformanceTest, CommittedNodesReadBack) {
  CommitBatch batch = MakeBatch(store_->Head(), 2);
  const Hash parent = crypto::Sha256("parent of 0 and 1");
  batch.nodes.push_back({merkle::NodeId{1, 0}, parent});
  ASSERT_THAT(store_->Commit(batch), IsOk());

  absl::StatusOr<Hash> leaf = store_->GetNode(merkle::NodeId{0, 1});
  ASSERT_THAT(leaf, IsOk());
  EXPECT_EQ(*leaf, LeafHash(1));
  absl::StatusOr<Hash> inner = store_->GetNode(merkle::NodeId{1, 0});
  ASSERT_THAT(inner, IsOk());
  EXPECT_EQ(*inner, parent);
}

TEST_P(LogStoreConformanceTest, AbsentNodeIsNotFound) {
  CommitEntries(2);
  EXPECT_THAT(store_->GetNode(merkle::NodeId{1, 1}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetNode(merkle::NodeId{200, 0}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LogStoreConformanceTest, GetNodesReadsSeveralNodesInTheirOrder) {
  CommitBatch batch = MakeBatch(store_->Head(), 4);
  const Hash left = crypto::Sha256("parent of 0 and 1");
  const Hash right = crypto::Sha256("parent of 2 and 3");
  batch.nodes.push_back({merkle::NodeId{1, 0}, left});
  batch.nodes.push_back({merkle::NodeId{1, 1}, right});
  ASSERT_THAT(store_->Commit(batch), IsOk());

  std::vector<Hash> hashes;
  // Sorted, as proofs ask.
  ASSERT_THAT(store_->GetNodes({{0, 0}, {0, 3}, {1, 0}, {1, 1}}, &hashes), IsOk());
  EXPECT_THAT(hashes, ElementsAre(LeafHash(0), LeafHash(3), left, right));
  // Any order, repeats, and none at all.
  ASSERT_THAT(store_->GetNodes({{1, 1}, {0, 2}, {1, 1}}, &hashes), IsOk());
  EXPECT_THAT(hashes, ElementsAre(right, LeafHash(2), right));
  ASSERT_THAT(store_->GetNodes({}, &hashes), IsOk());
  EXPECT_TRUE(hashes.empty());
}

TEST_P(LogStoreConformanceTest, GetNodesWithAnAbsentNodeIsNotFoundNamingIt) {
  CommitEntries(2);
  std::vector<Hash> hashes;
  EXPECT_THAT(store_->GetNodes({{0, 0}, {1, 1}}, &hashes),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(store_->GetNodes({{0, 0}, {1, 1}}, &hashes).message()),
              ::testing::HasSubstr("level 1 index 1"));
  EXPECT_THAT(store_->GetNodes({{0, 1}, {200, 0}}, &hashes),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LogStoreConformanceTest, CommittedLeafIndexReadsBack) {
  CommitEntries(3);
  EXPECT_THAT(*store_->GetLeafIndex(LeafHash(2)), Optional(SequenceNumber{2}));
}

TEST_P(LogStoreConformanceTest, AbsentLeafHashIsNullopt) {
  CommitEntries(3);
  EXPECT_EQ(*store_->GetLeafIndex(LeafHash(3)), std::nullopt);
}

TEST_P(LogStoreConformanceTest, CommittedEventIdsReadBack) {
  CommitEntries(3);
  absl::StatusOr<std::optional<EventIdRecord>> record = store_->GetEventId(EventIdOf(1));
  ASSERT_THAT(record, IsOk());
  EXPECT_THAT(*record, Optional(EventRecordOf(1)));
}

TEST_P(LogStoreConformanceTest, AbsentEventIdIsNullopt) {
  CommitEntries(1);
  absl::StatusOr<std::optional<EventIdRecord>> record = store_->GetEventId("never-appended");
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(*record, std::nullopt);
}

TEST_P(LogStoreConformanceTest, CommittedKeysScanInKeyIdOrder) {
  CommitBatch batch = MakeBatch(store_->Head(), 1);
  batch.keys = {{"key-b", "record b"}, {"key-a", "record a"}, {"key-c", "record c"}};
  ASSERT_THAT(store_->Commit(batch), IsOk());

  std::vector<std::pair<std::string, std::string>> keys;
  ASSERT_THAT(store_->ScanKeys([&](absl::string_view id, absl::string_view record) {
    keys.emplace_back(std::string(id), std::string(record));
  }),
              IsOk());
  EXPECT_THAT(keys, ElementsAre(Pair("key-a", "record a"), Pair("key-b", "record b"),
                                Pair("key-c", "record c")));
}

TEST_P(LogStoreConformanceTest, LaterKeyRecordReplacesEarlier) {
  CommitBatch first = MakeBatch(store_->Head(), 1);
  first.keys = {{"key-a", "registered"}};
  ASSERT_THAT(store_->Commit(first), IsOk());
  CommitBatch second = MakeBatch(store_->Head(), 1);
  second.keys = {{"key-a", "revoked"}};
  ASSERT_THAT(store_->Commit(second), IsOk());

  std::vector<std::pair<std::string, std::string>> keys;
  ASSERT_THAT(store_->ScanKeys([&](absl::string_view id, absl::string_view record) {
    keys.emplace_back(std::string(id), std::string(record));
  }),
              IsOk());
  EXPECT_THAT(keys, ElementsAre(Pair("key-a", "revoked")));
}

TEST_P(LogStoreConformanceTest, CommittedClaimsReadBackAndLaterRecordReplacesEarlier) {
  CommitBatch first = MakeBatch(store_->Head(), 1);
  first.claims = {{"claim-a", "asserted"}, {"claim-b", "asserted"}};
  ASSERT_THAT(store_->Commit(first), IsOk());
  CommitBatch second = MakeBatch(store_->Head(), 1);
  second.claims = {{"claim-a", "retracted"}};
  ASSERT_THAT(store_->Commit(second), IsOk());

  absl::StatusOr<std::optional<std::string>> a = store_->GetClaim("claim-a");
  absl::StatusOr<std::optional<std::string>> b = store_->GetClaim("claim-b");
  absl::StatusOr<std::optional<std::string>> missing = store_->GetClaim("claim-c");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(missing, IsOk());
  EXPECT_THAT(*a, Optional(std::string("retracted")));
  EXPECT_THAT(*b, Optional(std::string("asserted")));
  EXPECT_EQ(*missing, std::nullopt);
}

TEST_P(LogStoreConformanceTest, CommittedCheckpointReadsBackUnderNewTreeSize) {
  CommitEntries(4);
  absl::StatusOr<std::optional<std::string>> note = store_->GetCheckpoint(4);
  ASSERT_THAT(note, IsOk());
  EXPECT_THAT(*note, Optional(CheckpointNote(4)));
}

TEST_P(LogStoreConformanceTest, AbsentCheckpointIsNullopt) {
  CommitEntries(4);
  absl::StatusOr<std::optional<std::string>> note = store_->GetCheckpoint(3);
  ASSERT_THAT(note, IsOk());
  EXPECT_EQ(*note, std::nullopt);
}

TEST_P(LogStoreConformanceTest, BatchWithoutEntriesKeepsSizeAndAppliesKeys) {
  CommitEntries(2);
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 0);
  batch.keys = {{"key-a", "record a"}};
  batch.checkpoint.reset();
  ASSERT_THAT(store_->Commit(batch), IsOk());

  EXPECT_EQ(store_->Head().tree_size, before.tree_size);
  EXPECT_EQ(store_->Head().root_hash, before.root_hash);
  int keys = 0;
  ASSERT_THAT(store_->ScanKeys([&](absl::string_view, absl::string_view) { ++keys; }), IsOk());
  EXPECT_EQ(keys, 1);
}

TEST_P(LogStoreConformanceTest, WrongExpectedTreeSizeIsAbortedAndWritesNothing) {
  CommitEntries(2);
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 1);
  batch.keys = {{"key-a", "record a"}};
  batch.expected_tree_size = 1;  // Stale: the log has 2.
  batch.new_head.tree_size = 2;  // Consistent with the stale size, so only the size is wrong.

  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kAborted));
  ExpectNothingWritten(batch, before);
}

TEST_P(LogStoreConformanceTest, NewHeadSizeInconsistentWithEntriesIsAbortedAndWritesNothing) {
  CommitEntries(2);
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 2);
  batch.keys = {{"key-a", "record a"}};
  batch.new_head.tree_size = before.tree_size + 3;

  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kAborted));
  ExpectNothingWritten(batch, before);
}

TEST_P(LogStoreConformanceTest, RecordedTimeGoingBackIsAbortedAndWritesNothing) {
  CommitEntries(2);
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 1);
  batch.keys = {{"key-a", "record a"}};
  batch.new_head.last_recorded_time_micros = before.last_recorded_time_micros - 1;

  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kAborted));
  ExpectNothingWritten(batch, before);
}

TEST_P(LogStoreConformanceTest, EqualRecordedTimeIsAccepted) {
  CommitEntries(1);
  CommitBatch batch = MakeBatch(store_->Head(), 1);
  batch.new_head.last_recorded_time_micros = store_->Head().last_recorded_time_micros;
  EXPECT_THAT(store_->Commit(batch), IsOk());
}

TEST_P(LogStoreConformanceTest, NewRootWithoutNewEntriesIsAbortedAndWritesNothing) {
  CommitEntries(2);
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 0);
  batch.keys = {{"key-a", "record a"}};
  batch.new_head.root_hash = crypto::Sha256("a second root for the same size");

  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kAborted));
  ExpectNothingWritten(batch, before);
}

TEST_P(LogStoreConformanceTest, NodeLevelAboveMaximumIsInvalidArgumentAndWritesNothing) {
  const LogHead before = store_->Head();
  CommitBatch batch = MakeBatch(before, 1);
  batch.nodes.push_back({merkle::NodeId{schema::kMaxNodeLevel + 1, 0}, LeafHash(0)});

  EXPECT_THAT(store_->Commit(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectNothingWritten(batch, before);
}

TEST_P(LogStoreConformanceTest, GetEntryAtOrPastHeadIsNotFound) {
  CommitEntries(3);
  EXPECT_THAT(store_->GetEntry(3), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetEntry(~SequenceNumber{0}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(LogStoreConformanceTest, ScanEntriesVisitsRangeInOrder) {
  CommitEntries(3);
  CommitEntries(4);
  EXPECT_THAT(Scan(2, 5), ElementsAre(Pair(2, EntryData(2)), Pair(3, EntryData(3)),
                                      Pair(4, EntryData(4))));
}

TEST_P(LogStoreConformanceTest, ScanEntriesStopsWhenCallbackReturnsFalse) {
  CommitEntries(6);
  std::vector<SequenceNumber> seen;
  ASSERT_THAT(store_->ScanEntries(0, 6,
                                  [&](SequenceNumber sequence, absl::string_view) {
                                    seen.push_back(sequence);
                                    return sequence < 2;
                                  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(0, 1, 2));
}

TEST_P(LogStoreConformanceTest, ScanEntriesStopsAtHead) {
  CommitEntries(5);
  EXPECT_THAT(Scan(3, 100), ElementsAre(Pair(3, EntryData(3)), Pair(4, EntryData(4))));
}

TEST_P(LogStoreConformanceTest, ScanEntriesOfEmptyRangeVisitsNothing) {
  CommitEntries(5);
  EXPECT_THAT(Scan(3, 3), ElementsAre());
  EXPECT_THAT(Scan(4, 2), ElementsAre());
  EXPECT_THAT(Scan(5, 10), ElementsAre());
}

TEST_P(LogStoreConformanceTest, ScanCheckpointsVisitsInIncreasingTreeSize) {
  // Sizes 1, 256 and 257: bytewise order of little-endian keys would put 256 first.
  CommitEntries(1);
  CommitEntries(255);
  CommitEntries(1);
  std::vector<std::pair<TreeSize, std::string>> seen;
  ASSERT_THAT(store_->ScanCheckpoints([&](TreeSize tree_size, absl::string_view note) {
    seen.emplace_back(tree_size, std::string(note));
    return true;
  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(Pair(1, CheckpointNote(1)), Pair(256, CheckpointNote(256)),
                                Pair(257, CheckpointNote(257))));
}

TEST_P(LogStoreConformanceTest, ScanCheckpointsStopsWhenCallbackReturnsFalse) {
  CommitEntries(1);
  CommitEntries(1);
  CommitEntries(1);
  std::vector<TreeSize> seen;
  ASSERT_THAT(store_->ScanCheckpoints([&](TreeSize tree_size, absl::string_view) {
    seen.push_back(tree_size);
    return tree_size < 2;
  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(1, 2));
}

TEST_P(LogStoreConformanceTest, ScanCheckpointsFromStartsAtTheFirstSizeAtLeastFrom) {
  // Sizes 1, 256, 257 and 259: from 2 (no checkpoint there) starts at 256, from 257 at 257,
  // from 260 visits nothing.
  CommitEntries(1);
  CommitEntries(255);
  CommitEntries(1);
  CommitEntries(2);
  auto scan_from = [&](TreeSize from) {
    std::vector<std::pair<TreeSize, std::string>> seen;
    EXPECT_THAT(store_->ScanCheckpointsFrom(from, [&](TreeSize tree_size, absl::string_view note) {
      seen.emplace_back(tree_size, std::string(note));
      return tree_size < 257;
    }),
                IsOk());
    return seen;
  };
  EXPECT_THAT(scan_from(2), ElementsAre(Pair(256, CheckpointNote(256)),
                                        Pair(257, CheckpointNote(257))));
  EXPECT_THAT(scan_from(257), ElementsAre(Pair(257, CheckpointNote(257))));
  EXPECT_THAT(scan_from(258), ElementsAre(Pair(259, CheckpointNote(259))));
  EXPECT_THAT(scan_from(260), ElementsAre());
  EXPECT_THAT(scan_from(0), ElementsAre(Pair(1, CheckpointNote(1)), Pair(256, CheckpointNote(256)),
                                        Pair(257, CheckpointNote(257))));
}

TEST_P(LogStoreConformanceTest, VerifyStorageChecksumsOfHealthyStoreIsOk) {
  CommitEntries(10);
  EXPECT_THAT(store_->VerifyStorageChecksums(), IsOk());
}

TEST_P(LogStoreConformanceTest, ConcurrentReadersSeeOnlyWholeBatches) {
  constexpr int kBatches = 40;
  constexpr int kBatchSize = 3;
  constexpr int kReaders = 3;
  constexpr int kMaxReadsPerReader = 20000;

  std::atomic<bool> writer_done{false};
  absl::Mutex mu;
  std::vector<std::string> failures;  // Guarded by mu.
  auto fail = [&](std::string message) {
    absl::MutexLock lock(&mu);
    if (failures.size() < 10) failures.push_back(std::move(message));
  };

  // Every visible head must be a batch boundary, and everything that batch wrote readable.
  auto check_once = [&] {
    // Nothing of a batch is visible before its head: a reader that sees the event id of the
    // last entry of batch b must then see a head at least that large.
    const TreeSize probe = (store_->Head().tree_size / kBatchSize + 1) * kBatchSize;
    absl::StatusOr<std::optional<EventIdRecord>> ahead = store_->GetEventId(EventIdOf(probe - 1));
    if (ahead.ok() && ahead->has_value() && store_->Head().tree_size < probe) {
      fail(absl::StrCat("event id of entry ", probe - 1, " visible before head ", probe));
    }

    const LogHead head = store_->Head();
    if (head.tree_size % kBatchSize != 0) {
      fail(absl::StrCat("head at tree size ", head.tree_size, ", not a batch boundary"));
    }
    if (head.tree_size == 0) return;
    const SequenceNumber last = head.tree_size - 1;
    absl::StatusOr<std::string> entry = store_->GetEntry(last);
    if (!entry.ok() || *entry != EntryData(last)) {
      fail(absl::StrCat("entry ", last, " under head ", head.tree_size, ": ",
                        entry.ok() ? *entry : entry.status().ToString()));
    }
    absl::StatusOr<std::optional<EventIdRecord>> record = store_->GetEventId(EventIdOf(last));
    if (!record.ok() || !record->has_value()) {
      fail(absl::StrCat("event id of entry ", last, " missing under head ", head.tree_size));
    }
    absl::StatusOr<std::optional<std::string>> note = store_->GetCheckpoint(head.tree_size);
    if (!note.ok() || !note->has_value()) {
      fail(absl::StrCat("checkpoint ", head.tree_size, " missing"));
    }
  };

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < kMaxReadsPerReader && !writer_done.load(); ++i) check_once();
    });
  }
  for (int b = 0; b < kBatches; ++b) {
    absl::Status status = store_->Commit(MakeBatch(store_->Head(), kBatchSize));
    if (!status.ok()) fail(absl::StrCat("commit ", b, ": ", status.ToString()));
  }
  writer_done.store(true);
  for (std::thread& reader : readers) reader.join();
  check_once();

  EXPECT_EQ(store_->Head().tree_size, TreeSize{kBatches * kBatchSize});
  absl::MutexLock lock(&mu);
  EXPECT_THAT(failures, ElementsAre());
}

INSTANTIATE_TEST_SUITE_P(AllStores, LogStoreConformanceTest,
                         ::testing::Values(MemoryFactory(), RocksDbFactory()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ledger::store
