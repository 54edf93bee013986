// The checkpoint anchor (ledger/datadir/anchor.h) and its start-up check (datadir::OpenLog): a
// database rolled back to an older copy, or forked, is refused; a missing or trailing anchor is
// brought to the head; the background writer coalesces and never goes back.
#include "ledger/datadir/anchor.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/store/rocksdb_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"
#include "tests/reliability/faulty_fs.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

using ::ledger::testing::FreshDir;
using ::ledger::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string DbPath(const std::string& dir) { return datadir::LogDir(dir); }

format::NoteVerifier VerifierOf(const std::string& dir) {
  absl::StatusOr<core::LogIdentity> id = datadir::ReadIdentity(dir);
  EXPECT_TRUE(id.ok()) << id.status();
  return {id->origin, id->log_public_key};
}

// The anchor in `anchor_dir` (by default the data directory's own), parsed and verified for
// the log of `dir`; tree size -1 when there is none or it is bad.
int64_t AnchoredSize(const std::string& dir, const std::string& anchor_dir = "") {
  absl::StatusOr<std::optional<std::string>> note =
      datadir::ReadAnchor(nullptr, anchor_dir.empty() ? dir : anchor_dir);
  if (!note.ok() || !note->has_value()) return -1;
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(**note, VerifierOf(dir));
  return cp.ok() ? static_cast<int64_t>(cp->tree_size) : -1;
}

// The head size of a closed data dir (read-only open).
int64_t StoredSize(const std::string& dir) {
  auto store = datadir::OpenStoreReadOnly(dir);
  return store.ok() ? static_cast<int64_t>((*store)->Head().tree_size) : -1;
}

class AnchorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir();
    LEDGER_ASSERT_OK(InitTestDataDir(dir_));
  }

  // Opens the log, appends `count` events named "<prefix>-<i>", closes it.
  void AppendClosed(const std::string& dir, absl::string_view prefix, int count) {
    auto log = datadir::OpenLog(dir, core::LogOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    LEDGER_ASSERT_OK(AppendMany(**log, prefix, count, &record_));
  }

  std::string dir_;
  ClientRecord record_;
};

TEST_F(AnchorTest, WriteThenReadRoundTripsAndLeavesNoTempFile) {
  LEDGER_ASSERT_OK(datadir::WriteAnchor(nullptr, dir_, "note text\n"));
  absl::StatusOr<std::optional<std::string>> read = datadir::ReadAnchor(nullptr, dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->value_or(""), "note text\n");
  EXPECT_FALSE(std::filesystem::exists(datadir::AnchorFile(dir_) + ".tmp"));
}

TEST_F(AnchorTest, MissingAnchorReadsAsNone) {
  std::filesystem::remove(datadir::AnchorFile(dir_));
  absl::StatusOr<std::optional<std::string>> read = datadir::ReadAnchor(nullptr, dir_);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
}

TEST_F(AnchorTest, InitWritesTheFirstAnchorAtTheEmptyTree) {
  EXPECT_EQ(AnchoredSize(dir_), 0);
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();
}

TEST_F(AnchorTest, CleanCloseAnchorsTheHead) {
  AppendClosed(dir_, "ev", 7);
  EXPECT_EQ(AnchoredSize(dir_), 7);
  CheckOptions options;
  options.require_anchor_at_head = true;
  InvariantReport report = CheckDataDir(dir_, record_, options);
  EXPECT_TRUE(report.ok()) << report.ToString();
}

TEST_F(AnchorTest, EveryGroupCommitPublishesItsCheckpointInOrder) {
  std::vector<TreeSize> sizes;
  std::vector<std::string> notes;
  core::LogOptions options;
  options.on_checkpoint = [&](const std::string& note, TreeSize size) {
    sizes.push_back(size);  // Called on the sequencer only: no lock needed.
    notes.push_back(note);
  };
  {
    auto log = datadir::OpenLog(dir_, options);
    ASSERT_TRUE(log.ok()) << log.status();
    LEDGER_ASSERT_OK(AppendMany(**log, "ev", 5, &record_));
  }
  ASSERT_EQ(sizes, (std::vector<TreeSize>{1, 2, 3, 4, 5}));
  for (size_t i = 0; i < notes.size(); ++i) {
    absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(notes[i], VerifierOf(dir_));
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->tree_size, sizes[i]);
  }
  EXPECT_EQ(AnchoredSize(dir_), 5);
}

// The test the issue asks for: copy the database after N entries, append more, put the old
// copy back. RocksDB opens the old copy happily; the anchor refuses it, writing nothing.
TEST_F(AnchorTest, DatabaseRolledBackToAnOlderCopyIsRefused) {
  AppendClosed(dir_, "early", 20);
  CopyTree(DbPath(dir_), dir_ + ".db-at-20");
  AppendClosed(dir_, "late", 10);
  ASSERT_EQ(AnchoredSize(dir_), 30);

  std::filesystem::remove_all(DbPath(dir_));
  std::filesystem::rename(dir_ + ".db-at-20", DbPath(dir_));
  ASSERT_EQ(StoredSize(dir_), 20);  // RocksDB itself sees nothing wrong.

  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, core::LogOptions());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("holds 20 entries"), HasSubstr("tree size 30"),
                                  HasSubstr(datadir::AnchorFile(dir_)))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor);
  EXPECT_TRUE(datadir::IsAnchorRefusal(log.status()));
  // Nothing written by the refused start: neither the store nor the anchor moved.
  EXPECT_EQ(StoredSize(dir_), 20);
  EXPECT_EQ(AnchoredSize(dir_), 30);
}

TEST_F(AnchorTest, ForkedDatabaseOfTheSameSizeIsRefused) {
  AppendClosed(dir_, "common", 5);
  const std::string twin = dir_ + ".twin";
  CopyTree(dir_, twin);
  AppendClosed(dir_, "ours", 3);
  AppendClosed(twin, "theirs", 3);
  std::filesystem::remove_all(DbPath(dir_));
  CopyTree(DbPath(twin), DbPath(dir_));

  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, core::LogOptions());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("(8 entries)"), HasSubstr("at tree size 8"))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogForkedFromAnchor);
}

TEST_F(AnchorTest, LongerForkIsRefusedAtTheAnchoredSize) {
  AppendClosed(dir_, "common", 5);
  const std::string twin = dir_ + ".twin";
  CopyTree(dir_, twin);
  AppendClosed(dir_, "ours", 2);
  AppendClosed(twin, "theirs", 9);
  std::filesystem::remove_all(DbPath(dir_));
  CopyTree(DbPath(twin), DbPath(dir_));

  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, core::LogOptions());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("(14 entries)"), HasSubstr("at tree size 7"))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogForkedFromAnchor);
}

// What kill -9 during a WAL write leaves (found by the crash loop): the last record cut at a page
// boundary. It was never acknowledged; strict recovery refuses the database for it, so OpenLog
// (and OpenStoreReadOnly) recover without it -- because the log still holds the anchor.
TEST_F(AnchorTest, IncompleteLastWalRecordIsDroppedWhenTheLogStillHoldsTheAnchor) {
  AppendClosed(dir_, "ev", 10);
  const std::string wal = NewestNumberedFile(DbPath(dir_), ".log");
  ASSERT_FALSE(wal.empty());
  {
    // A FULL record header announcing 2,000 bytes, followed by only 300 of them.
    std::string torn("\x00\x00\x00\x00\xd0\x07\x01", 7);
    torn += std::string(300, 'x');
    ASSERT_LT(fs::file_size(wal) % 32768, 32768u - torn.size());
    std::ofstream(wal, std::ios::binary | std::ios::app) << torn;
  }
  {
    store::RocksDbLogStoreOptions strict;
    EXPECT_THAT(store::RocksDbLogStore::Open(DbPath(dir_), strict),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated record body")));
  }
  InvariantReport report = CheckDataDir(dir_, record_);  // read-only, nothing written
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(report.tree_size, 10u);
  {
    auto log = datadir::OpenLog(dir_, core::LogOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->Head().tree_size, 10u);
    LEDGER_ASSERT_OK(AppendMany(**log, "after", 2, &record_));
  }
  CheckOptions options;
  options.require_anchor_at_head = true;
  report = CheckDataDir(dir_, record_, options);
  EXPECT_TRUE(report.ok()) << report.ToString();
}

// The same strict refusal, but the cut took an acknowledged (anchored) record: refused, and the
// message names both the anchor and the damage.
TEST_F(AnchorTest, DamagedWalTailThatLosesAnchoredEntriesIsRefused) {
  AppendClosed(dir_, "ev", 10);
  const std::string wal = NewestNumberedFile(DbPath(dir_), ".log");
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 20);
  const uintmax_t damaged_size = fs::file_size(wal);
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, core::LogOptions());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("holds 9 entries"), HasSubstr("tree size 10"),
                                  HasSubstr("WAL ends in a damaged record"))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor);
  EXPECT_EQ(fs::file_size(wal), damaged_size);  // the evidence is left as it was
  EXPECT_FALSE(datadir::OpenStoreReadOnly(dir_).ok());
}

TEST_F(AnchorTest, AnchorNotSignedByTheLogKeyIsRefused) {
  AppendClosed(dir_, "ev", 3);
  // A well-formed checkpoint for this origin, signed by another key.
  LEDGER_ASSERT_OK(datadir::WriteAnchor(
      nullptr, dir_,
      format::SignCheckpoint({std::string(testing::kTestOrigin), 3, Hash{}},
                             testing::StrangerKey())));
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, core::LogOptions());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not a checkpoint signed")));
  EXPECT_FALSE(datadir::IsAnchorRefusal(log.status()));
}

TEST_F(AnchorTest, MissingAnchorIsRewrittenAtTheHeadWhenOpened) {
  AppendClosed(dir_, "ev", 4);
  std::filesystem::remove(datadir::AnchorFile(dir_));
  {
    auto log = datadir::OpenLog(dir_, core::LogOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ(AnchoredSize(dir_), 4);  // Before OpenLog returned, not only at close.
  }
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();
}

TEST_F(AnchorTest, TrailingAnchorIsBroughtToTheHeadWhenOpened) {
  AppendClosed(dir_, "ev", 6);
  {
    auto store = datadir::OpenStoreReadOnly(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::optional<std::string>> old = (*store)->GetCheckpoint(2);
    ASSERT_TRUE(old.ok() && old->has_value());
    LEDGER_ASSERT_OK(datadir::WriteAnchor(nullptr, dir_, **old));
  }
  ASSERT_EQ(AnchoredSize(dir_), 2);
  auto log = datadir::OpenLog(dir_, core::LogOptions());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(AnchoredSize(dir_), 6);
}

TEST_F(AnchorTest, WriterCoalescesBurstsAndNeverGoesBack) {
  auto log = datadir::OpenLog(dir_, core::LogOptions());
  ASSERT_TRUE(log.ok()) << log.status();
  LEDGER_ASSERT_OK(AppendMany(**log, "ev", 3, &record_));
  std::vector<std::string> notes;
  for (TreeSize s = 1; s <= 3; ++s) notes.push_back(*(*log)->CheckpointAt(s));
  const std::string other = FreshDir(".anchor-only");
  std::filesystem::create_directories(other);
  datadir::AnchorWriter writer(nullptr, {other}, 0);
  constexpr int kBurst = 1000;
  for (int i = 1; i <= kBurst; ++i) writer.Publish(notes[(i - 1) % 3] + std::to_string(i), i);
  writer.Flush();
  EXPECT_EQ(writer.anchored_size(), static_cast<TreeSize>(kBurst));
  EXPECT_LT(writer.writes(), static_cast<uint64_t>(kBurst));  // coalesced
  const std::string newest = *datadir::ReadAnchor(nullptr, other).value();
  EXPECT_EQ(newest, notes[(kBurst - 1) % 3] + std::to_string(kBurst));
  writer.Publish(notes[0], 5);  // older: ignored
  writer.Flush();
  EXPECT_EQ(*datadir::ReadAnchor(nullptr, other).value(), newest);
  LEDGER_EXPECT_OK(writer.last_error());
}

TEST_F(AnchorTest, FailedAnchorWriteKeepsTheOldAnchorAndTheNextOneSucceeds) {
  auto fs = std::make_shared<FaultyFileSystem>();
  std::unique_ptr<rocksdb::Env> env = NewFaultyEnv(fs);
  const std::string other = FreshDir(".anchor-only");
  std::filesystem::create_directories(other);
  LEDGER_ASSERT_OK(datadir::WriteAnchor(env.get(), other, "old"));
  datadir::AnchorWriter writer(env.get(), {other}, 1);
  fs->FailNth(FaultKind::kRename, 1, FaultMode::kForever);
  writer.Publish("new", 2);
  writer.Flush();
  EXPECT_THAT(writer.last_error(), StatusIs(absl::StatusCode::kInternal, HasSubstr("injected")));
  EXPECT_EQ(writer.anchored_size(), 1u);
  EXPECT_EQ(datadir::ReadAnchor(nullptr, other).value().value_or(""), "old");
  fs->Disarm();
  writer.Publish("newer", 3);
  writer.Flush();
  EXPECT_EQ(writer.anchored_size(), 3u);
  EXPECT_EQ(datadir::ReadAnchor(nullptr, other).value().value_or(""), "newer");
}

// The external anchor (OpenLogOptions::external_anchor_dir): a second copy kept where a restore of
// the data directory does not reach (issue 15). Each test fails without it: the same
// directory opens, and serves less than was signed, when only the in-directory anchor counts.
class ExternalAnchorTest : public ExternalAnchorFixture {
 protected:
  // Replaces the whole data directory with `copy` (as `cp -a COPY DIR` after `rm -rf DIR`).
  void RestoreWholeDir(const std::string& copy) {
    fs::remove_all(dir_);
    CopyTree(copy, dir_);
  }
};

TEST_F(ExternalAnchorTest, InitAndEveryCommitWriteBothAnchors) {
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 0);
  AppendClosed(dir_, "ev", 6);
  EXPECT_EQ(AnchoredSize(dir_), 6);
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 6);
  EXPECT_EQ(*datadir::ReadAnchor(nullptr, dir_).value(),
            *datadir::ReadAnchor(nullptr, anchor_dir_).value());
}

// Issue 15 case 1: the whole directory (database AND its own anchor) restored from an older copy.
TEST_F(ExternalAnchorTest, WholeDataDirRestoredFromAnOlderCopyIsRefused) {
  AppendClosed(dir_, "early", 20);
  const std::string copy = dir_ + ".copy-at-20";
  CopyTree(dir_, copy);
  AppendClosed(dir_, "late", 10);
  RestoreWholeDir(copy);
  ASSERT_EQ(AnchoredSize(dir_), 20);  // the restored directory's own anchor agrees with it

  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, Options());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("holds 20 entries"), HasSubstr("tree size 30"),
                                  HasSubstr(datadir::AnchorFile(anchor_dir_)))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor);
  EXPECT_EQ(StoredSize(dir_), 20);  // nothing written by the refused start
  EXPECT_EQ(AnchoredSize(dir_), 20);
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 30);
}

// Issue 15 case 2: db/ replaced by an older copy and the in-directory anchor deleted.
TEST_F(ExternalAnchorTest, OlderDatabaseWithTheInDirAnchorDeletedIsRefused) {
  AppendClosed(dir_, "early", 5);
  CopyTree(DbPath(dir_), dir_ + ".db-at-5");
  AppendClosed(dir_, "late", 4);
  fs::remove_all(DbPath(dir_));
  fs::rename(dir_ + ".db-at-5", DbPath(dir_));
  fs::remove(datadir::AnchorFile(dir_));

  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, Options());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("holds 5 entries"), HasSubstr("tree size 9"))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor);
  EXPECT_FALSE(fs::exists(datadir::AnchorFile(dir_)));  // not re-created from the short log
}

// The restored directory holds an older but genuine anchor and a database forked after it:
// same size as the external anchor, another root.
TEST_F(ExternalAnchorTest, RestoredForkOfTheSameSizeIsRefused) {
  AppendClosed(dir_, "common", 5);
  const std::string twin = dir_ + ".twin";
  CopyTree(dir_, twin);
  AppendClosed(dir_, "ours", 3);
  {
    auto other = datadir::OpenLog(twin, core::LogOptions());  // its own anchor only
    ASSERT_TRUE(other.ok()) << other.status();
    LEDGER_ASSERT_OK(AppendMany(**other, "theirs", 3, &record_));
  }
  RestoreWholeDir(twin);
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, Options());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("(8 entries)"), HasSubstr("at tree size 8"),
                                  HasSubstr(datadir::AnchorFile(anchor_dir_)))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogForkedFromAnchor);
}

// Issue 15 case 3 (media damage on the synced WAL tail) when the in-directory anchor is gone
// too: the external anchor still refuses the shortened log.
TEST_F(ExternalAnchorTest, DamagedWalTailBelowTheExternalAnchorIsRefused) {
  AppendClosed(dir_, "ev", 10);
  const std::string wal = NewestNumberedFile(DbPath(dir_), ".log");
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 1);
  fs::remove(datadir::AnchorFile(dir_));
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, Options());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kFailedPrecondition,
                            AllOf(HasSubstr("holds 9 entries"), HasSubstr("tree size 10"),
                                  HasSubstr(datadir::AnchorFile(anchor_dir_)))));
  EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonLogBehindAnchor);
}

TEST_F(ExternalAnchorTest, OlderGenuineExternalAnchorIsBroughtToTheHead) {
  AppendClosed(dir_, "ev", 6);
  {
    auto store = datadir::OpenStoreReadOnly(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::optional<std::string>> old = (*store)->GetCheckpoint(2);
    ASSERT_TRUE(old.ok() && old->has_value());
    LEDGER_ASSERT_OK(datadir::WriteAnchor(nullptr, anchor_dir_, **old));
  }
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 6);  // before OpenLog returned
}

TEST_F(ExternalAnchorTest, MissingExternalAnchorIsWrittenAtTheHead) {
  AppendClosed(dir_, "ev", 3);
  fs::remove(datadir::AnchorFile(anchor_dir_));
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 3);
}

TEST_F(ExternalAnchorTest, AnchorOfAnotherLogIsRefused) {
  const std::string other = FreshDir(".other");
  const std::string other_anchors = FreshDir(".other-anchors");
  fs::create_directories(other_anchors);
  LEDGER_ASSERT_OK(InitTestDataDir(other, nullptr, other_anchors));  // another log key
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(other, Options());
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kDataLoss,
                            AllOf(HasSubstr(datadir::AnchorFile(anchor_dir_)),
                                  HasSubstr("not a checkpoint signed by this log's key"))));
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 0);  // left as it was
}

TEST_F(ExternalAnchorTest, AnchorDirInsideTheDataDirIsRefusedNamingBothPaths) {
  for (const std::string& inside : {dir_, dir_ + "/db", dir_ + "/./db/../db"}) {
    datadir::OpenLogOptions options;
    options.external_anchor_dir = inside;
    absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, options);
    EXPECT_THAT(log, StatusIs(absl::StatusCode::kInvalidArgument,
                              AllOf(HasSubstr(inside), HasSubstr("inside the data directory " +
                                                                 dir_))));
    EXPECT_EQ(ErrorReason(log.status()), datadir::kReasonBadAnchorDir);
  }
  EXPECT_FALSE(fs::exists(datadir::AnchorFile(DbPath(dir_))));
  // A sibling whose name starts with the data directory's is not inside it.
  const std::string sibling = dir_ + "-anchors";
  fs::create_directories(sibling);
  LEDGER_EXPECT_OK(datadir::ValidateExternalAnchorDir(sibling, dir_));
}

// A path outside the data directory that leads into it (a symbolic link) is inside it.
TEST_F(ExternalAnchorTest, SymlinkIntoTheDataDirIsInsideIt) {
  fs::create_directories(dir_ + "/anchors");
  const std::string link = FreshDir(".link");
  fs::create_directory_symlink(dir_ + "/anchors", link);
  EXPECT_THAT(datadir::ValidateExternalAnchorDir(link, dir_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(link), HasSubstr("inside the data directory"))));
}

TEST_F(ExternalAnchorTest, MissingAnchorDirIsNotFoundAndNotCreated) {
  datadir::OpenLogOptions options;
  options.external_anchor_dir = anchor_dir_ + "/not-mounted";
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir_, options);
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")));
  EXPECT_FALSE(fs::exists(options.external_anchor_dir));
}

TEST_F(ExternalAnchorTest, InitRefusesAnAnchorDirThatHoldsAnotherLogsAnchor) {
  const std::string second = FreshDir(".second");
  EXPECT_THAT(InitTestDataDir(second, nullptr, anchor_dir_),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("another log")));
  EXPECT_FALSE(fs::exists(second));  // refused before anything was written
}

// OpenLogOptions::anchor_before_ack: when an append returns, both anchors already hold its
// checkpoint (the window of docs/reliability.md is closed).
TEST_F(ExternalAnchorTest, AnchorBeforeAckAnchorsEveryAppendBeforeItReturns) {
  datadir::OpenLogOptions options = Options();
  options.anchor_before_ack = true;
  auto log = datadir::OpenLog(dir_, options);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(AppendRecorded(**log, TestEvent(absl::StrCat("ev-", i)), &record_).ok());
    EXPECT_EQ(AnchoredSize(dir_), i);
    EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), i);
  }
}

TEST_F(ExternalAnchorTest, FailedExternalWriteStillWritesTheInDirAnchorAndIsReported) {
  const std::string gone = FreshDir(".gone");
  fs::create_directories(gone);
  datadir::AnchorWriter writer(nullptr, {dir_, gone}, 0);
  fs::remove_all(gone);  // the external volume went away
  const std::string note = *datadir::ReadAnchor(nullptr, dir_).value();
  writer.Publish(note + "x", 1);
  writer.Flush();
  EXPECT_THAT(writer.last_error(), StatusIs(absl::StatusCode::kInternal, HasSubstr(gone)));
  EXPECT_EQ(writer.anchored_size(), 0u);
  EXPECT_EQ(*datadir::ReadAnchor(nullptr, dir_).value(), note + "x");
}

}  // namespace
}  // namespace ledger::reliability
