// RocksDbLogStore behaviour beyond the LogStore interface: persistence, read-only opens, the
// checks at open, fail-stop after an I/O error, and checksum verification of damaged files.
#include "ledger/store/rocksdb_log_store.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/crypto/sha256.h"
#include "ledger/store/schema.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"
#include "rocksdb/options.h"
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
using ::testing::HasSubstr;
using ::testing::Optional;

// A file system that fails WAL appends or syncs while armed (docs/reliability.md, "Fail-stop": "a
// FileSystemWrapper that fails the Nth write/sync"). Thread-safe.
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : rocksdb::FileSystemWrapper(base) {}

  const char* Name() const override { return "FaultyFileSystem"; }

  // While set, Sync/Fsync of a WAL file returns IOError.
  void FailWalSyncs(bool fail) { fail_syncs_.store(fail); }
  // While set, Append to a WAL file returns IOError(NoSpace) and writes nothing.
  void FailWalAppendsWithNoSpace(bool fail) { fail_appends_.store(fail); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *result = std::make_unique<FaultyWalFile>(std::move(*result), this);
    }
    return s;
  }

 private:
  class FaultyWalFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FaultyWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultyFileSystem* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_appends_.load()) return rocksdb::IOStatus::NoSpace("injected WAL append");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_appends_.load()) return rocksdb::IOStatus::NoSpace("injected WAL append");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_syncs_.load()) return rocksdb::IOStatus::IOError("injected WAL sync EIO");
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_syncs_.load()) return rocksdb::IOStatus::IOError("injected WAL fsync EIO");
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FaultyFileSystem* const fs_;
  };

  std::atomic<bool> fail_syncs_{false};
  std::atomic<bool> fail_appends_{false};
};

class RocksDbLogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDir(); }

  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> Open(bool create_if_missing = false,
                                                        bool read_only = false,
                                                        rocksdb::Env* env = nullptr) {
    RocksDbLogStoreOptions options;
    options.create_if_missing = create_if_missing;
    options.read_only = read_only;
    options.env = env;
    return RocksDbLogStore::Open(dir_, options);
  }

  // Creates the store and commits `batches` batches of `batch_size` entries, then closes it.
  void Populate(int batches, int batch_size) {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
    ASSERT_THAT(store, IsOk());
    for (int i = 0; i < batches; ++i) {
      ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), batch_size)), IsOk());
    }
  }

  std::string dir_;
};

TEST_F(RocksDbLogStoreTest, EverythingCommittedSurvivesCloseAndReopen) {
  LogHead head;
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 2)), IsOk());
    CommitBatch batch = MakeBatch((*store)->Head(), 3);
    batch.keys = {{"key-a", "record a"}};
    batch.nodes.push_back({merkle::NodeId{1, 1}, crypto::Sha256("node 1/1")});
    ASSERT_THAT((*store)->Commit(batch), IsOk());
    head = (*store)->Head();
  }

  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  RocksDbLogStore& reopened = **store;
  EXPECT_EQ(reopened.Head(), head);
  for (SequenceNumber sequence = 0; sequence < 5; ++sequence) {
    absl::StatusOr<std::string> entry = reopened.GetEntry(sequence);
    ASSERT_THAT(entry, IsOk());
    EXPECT_EQ(*entry, EntryData(sequence));
  }
  absl::StatusOr<Hash> node = reopened.GetNode(merkle::NodeId{1, 1});
  ASSERT_THAT(node, IsOk());
  EXPECT_EQ(*node, crypto::Sha256("node 1/1"));
  EXPECT_THAT(*reopened.GetLeafIndex(LeafHash(4)), Optional(SequenceNumber{4}));
  EXPECT_THAT(*reopened.GetEventId(EventIdOf(3)), Optional(EventRecordOf(3)));
  EXPECT_THAT(*reopened.GetCheckpoint(2), Optional(CheckpointNote(2)));
  EXPECT_THAT(*reopened.GetCheckpoint(5), Optional(CheckpointNote(5)));
  std::vector<std::string> keys;
  ASSERT_THAT(reopened.ScanKeys([&](absl::string_view id, absl::string_view record) {
    keys.push_back(absl::StrCat(id, "=", record));
  }),
              IsOk());
  EXPECT_THAT(keys, ::testing::ElementsAre("key-a=record a"));
}

// FlushAndSettle empties every memtable into SST files and returns with no compaction pending
// or running; the store stays usable.
TEST_F(RocksDbLogStoreTest, FlushAndSettleLeavesNothingInMemoryAndNothingToCompact) {
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
  ASSERT_THAT(store, IsOk());
  // Five flushes of the entries column family: more L0 files than the compaction trigger (4).
  for (int round = 0; round < 5; ++round) {
    ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 20)), IsOk());
    ASSERT_THAT((*store)->FlushAndSettle(), IsOk());
  }
  rocksdb::DB* db = (*store)->raw_db();
  for (auto cf : schema::kAllColumnFamilies) {
    uint64_t in_memtable = 1, pending = 1, running = 1;
    ASSERT_TRUE(db->GetIntProperty((*store)->column_family(cf),
                                   "rocksdb.num-entries-active-mem-table", &in_memtable));
    ASSERT_TRUE(db->GetIntProperty((*store)->column_family(cf), "rocksdb.compaction-pending",
                                   &pending));
    ASSERT_TRUE(db->GetIntProperty((*store)->column_family(cf),
                                   "rocksdb.num-running-compactions", &running));
    EXPECT_EQ(in_memtable, 0u) << schema::ColumnFamilyName(cf);
    EXPECT_EQ(pending + running, 0u) << schema::ColumnFamilyName(cf);
  }
  EXPECT_GT((*store)->LiveSstFiles().size(), 0u);
  ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 1)), IsOk());
  EXPECT_EQ((*store)->Head().tree_size, 101u);
  absl::StatusOr<std::string> entry = (*store)->GetEntry(57);
  ASSERT_THAT(entry, IsOk());
  EXPECT_EQ(*entry, EntryData(57));
}

TEST_F(RocksDbLogStoreTest, ReopenedStoreAcceptsTheNextCommit) {
  Populate(2, 2);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 1)), IsOk());
  EXPECT_EQ((*store)->Head().tree_size, 5u);
}

TEST_F(RocksDbLogStoreTest, MissingStoreWithoutCreateIfMissingIsNotFound) {
  dir_ += "/absent";
  EXPECT_THAT(Open(/*create_if_missing=*/false), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(RocksDbLogStoreTest, ReadOnlyOpenServesReads) {
  Populate(2, 3);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
      Open(/*create_if_missing=*/false, /*read_only=*/true);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->Head().tree_size, 6u);
  absl::StatusOr<std::string> entry = (*store)->GetEntry(5);
  ASSERT_THAT(entry, IsOk());
  EXPECT_EQ(*entry, EntryData(5));
  EXPECT_THAT(*(*store)->GetCheckpoint(6), Optional(CheckpointNote(6)));
}

TEST_F(RocksDbLogStoreTest, ReadOnlyOpenRefusesCommit) {
  Populate(1, 3);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
      Open(/*create_if_missing=*/false, /*read_only=*/true);
  ASSERT_THAT(store, IsOk());
  const LogHead before = (*store)->Head();
  EXPECT_THAT((*store)->Commit(MakeBatch(before, 1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ((*store)->Head(), before);
}

TEST_F(RocksDbLogStoreTest, OtherFormatMarkerIsFailedPrecondition) {
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
    ASSERT_THAT(store, IsOk());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*store)->raw_db()
                    ->Put(sync, (*store)->column_family(schema::ColumnFamily::kMeta),
                          std::string(schema::kMetaFormatKey), "factledger-store-v0")
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("factledger-store-v0"));
}

TEST_F(RocksDbLogStoreTest, DataWithoutFormatMarkerIsFailedPreconditionEvenWithCreate) {
  Populate(1, 2);
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
    ASSERT_THAT(store, IsOk());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*store)->raw_db()
                    ->Delete(sync, (*store)->column_family(schema::ColumnFamily::kMeta),
                             std::string(schema::kMetaFormatKey))
                    .ok());
  }
  EXPECT_THAT(Open(/*create_if_missing=*/true), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RocksDbLogStoreTest, HeadBeyondLastEntryIsDataLossAtOpen) {
  Populate(1, 4);
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
    ASSERT_THAT(store, IsOk());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*store)->raw_db()
                    ->Delete(sync, (*store)->column_family(schema::ColumnFamily::kEntries),
                             schema::EntryKey(3))
                    .ok());
  }
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("entries"));
}

TEST_F(RocksDbLogStoreTest, EntryBeyondHeadIsDataLossAtOpen) {
  Populate(1, 4);
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
    ASSERT_THAT(store, IsOk());
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE((*store)->raw_db()
                    ->Put(sync, (*store)->column_family(schema::ColumnFamily::kEntries),
                          schema::EntryKey(4), "an entry no head covers")
                    .ok());
  }
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(RocksDbLogStoreTest, TruncatedWalIsDataLossAtOpen) {
  // Closing does not flush the memtables while the WAL is on, so these commits live only in
  // the WAL. With kPointInTimeRecovery the store would open with a shorter, valid-looking log.
  Populate(20, 2);
  std::filesystem::path wal;
  for (const auto& file : std::filesystem::directory_iterator(dir_)) {
    if (file.path().extension() == ".log" &&
        (wal.empty() || file.file_size() > std::filesystem::file_size(wal))) {
      wal = file.path();
    }
  }
  ASSERT_FALSE(wal.empty());
  const std::uintmax_t size = std::filesystem::file_size(wal);
  ASSERT_GT(size, 1024u);
  std::filesystem::resize_file(wal, size / 2);

  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(RocksDbLogStoreTest, FailedWalSyncFailsCommitAndLeavesHead) {
  auto fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
      Open(/*create_if_missing=*/true, /*read_only=*/false, env.get());
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 2)), IsOk());
  const LogHead before = (*store)->Head();

  fs->FailWalSyncs(true);
  EXPECT_THAT((*store)->Commit(MakeBatch(before, 1)), StatusIs(absl::StatusCode::kInternal));
  fs->FailWalSyncs(false);
  EXPECT_EQ((*store)->Head(), before);
  EXPECT_THAT((*store)->GetEntry(before.tree_size), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RocksDbLogStoreTest, CommitAfterFailedWriteIsFailedPrecondition) {
  auto fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
      Open(/*create_if_missing=*/true, /*read_only=*/false, env.get());
  ASSERT_THAT(store, IsOk());
  const LogHead before = (*store)->Head();
  fs->FailWalSyncs(true);
  ASSERT_THAT((*store)->Commit(MakeBatch(before, 1)), StatusIs(absl::StatusCode::kInternal));
  fs->FailWalSyncs(false);  // The disk is healthy again; the store must still refuse.

  absl::Status again = (*store)->Commit(MakeBatch(before, 1));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(again.message()), HasSubstr("store failed earlier"));
  EXPECT_THAT(std::string(again.message()), HasSubstr("injected WAL sync EIO"));
  EXPECT_EQ((*store)->Head(), before);
}

TEST_F(RocksDbLogStoreTest, ReopenAfterFailedWriteAcceptsCommits) {
  auto fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
        Open(/*create_if_missing=*/true, /*read_only=*/false, env.get());
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 2)), IsOk());
    fs->FailWalSyncs(true);
    ASSERT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 1)),
                StatusIs(absl::StatusCode::kInternal));
    fs->FailWalSyncs(false);
  }
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  // The failed batch may or may not have reached the disk (docs/reliability.md, "Fail-stop");
  // either is whole.
  const TreeSize size = (*store)->Head().tree_size;
  EXPECT_TRUE(size == 2 || size == 3) << size;
  EXPECT_THAT((*store)->Commit(MakeBatch((*store)->Head(), 1)), IsOk());
}

TEST_F(RocksDbLogStoreTest, NoSpaceOnWalAppendIsResourceExhausted) {
  auto fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store =
      Open(/*create_if_missing=*/true, /*read_only=*/false, env.get());
  ASSERT_THAT(store, IsOk());
  const LogHead before = (*store)->Head();
  fs->FailWalAppendsWithNoSpace(true);
  EXPECT_THAT((*store)->Commit(MakeBatch(before, 1)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  fs->FailWalAppendsWithNoSpace(false);
  EXPECT_EQ((*store)->Head(), before);
}

// Commits ~1 MB of incompressible entries and flushes every column family to SST files.
void WriteAndFlush(RocksDbLogStore& store) {
  std::mt19937_64 random(20240611);  // Fixed seed: the test is deterministic.
  for (int b = 0; b < 16; ++b) {
    CommitBatch batch = MakeBatch(store.Head(), 64);
    for (std::string& entry : batch.entries) {
      entry.resize(1024);
      for (char& c : entry) c = static_cast<char>(random());
    }
    ASSERT_THAT(store.Commit(batch), IsOk());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (schema::ColumnFamily cf : schema::kAllColumnFamilies) {
    handles.push_back(store.column_family(cf));
  }
  ASSERT_TRUE(store.raw_db()->Flush(rocksdb::FlushOptions(), handles).ok());
}

TEST_F(RocksDbLogStoreTest, VerifyStorageChecksumsOfFlushedStoreIsOk) {
  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
  ASSERT_THAT(store, IsOk());
  WriteAndFlush(**store);
  EXPECT_THAT((*store)->VerifyStorageChecksums(), IsOk());
}

TEST_F(RocksDbLogStoreTest, FlippedByteInSstIsDataLossOnVerify) {
  {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open(/*create_if_missing=*/true);
    ASSERT_THAT(store, IsOk());
    WriteAndFlush(**store);
  }
  // The largest SST holds the entries; its middle is a data block that opening does not read.
  std::filesystem::path largest;
  for (const auto& file : std::filesystem::directory_iterator(dir_)) {
    if (file.path().extension() == ".sst" &&
        (largest.empty() || file.file_size() > std::filesystem::file_size(largest))) {
      largest = file.path();
    }
  }
  ASSERT_FALSE(largest.empty());
  const std::uintmax_t size = std::filesystem::file_size(largest);
  ASSERT_GT(size, 64u * 1024);
  {
    std::fstream file(largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(size / 2);
    char byte = 0;
    file.read(&byte, 1);
    byte ^= 0x01;
    file.seekp(size / 2);
    file.write(&byte, 1);
    ASSERT_TRUE(file.good());
  }

  absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = Open();
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->VerifyStorageChecksums(), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ledger::store
