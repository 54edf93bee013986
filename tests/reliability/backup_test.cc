// Backups and restores that cannot fork the log (ledger/datadir/backup.h, issue 15): a restore
// behind the external anchor is recorded, served read-only and refuses appends until the
// missing entries are back; a forked backup is refused; the external anchor never goes back.
#include "ledger/datadir/backup.h"

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"
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

class BackupTest : public ExternalAnchorFixture {
 protected:
  datadir::RestoreOptions Restore(const std::string& backup, const std::string& to) const {
    datadir::RestoreOptions options;
    options.backup = backup;
    options.data_dir = to;
    options.external_anchor_dir = anchor_dir_;
    return options;
  }

  int64_t ExternalAnchorSize() const {
    auto note = datadir::ReadAnchor(nullptr, anchor_dir_);
    auto id = datadir::ReadIdentity(dir_);
    if (!note.ok() || !note->has_value() || !id.ok()) return -1;
    auto cp = format::VerifyCheckpoint(**note, {id->origin, id->log_public_key});
    return cp.ok() ? static_cast<int64_t>(cp->tree_size) : -1;
  }
};

TEST_F(BackupTest, BackupAndRestoreRoundTrip) {
  AppendClosed(dir_, "ev", 7);
  const std::string backup = FreshDir(".backup");
  absl::StatusOr<datadir::BackupResult> b = datadir::BackupDataDir(dir_, backup);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->tree_size, 7u);
  EXPECT_FALSE(fs::exists(backup + ".partial"));
  fs::remove_all(dir_);  // the disk is lost

  absl::StatusOr<datadir::RestoreResult> r = datadir::RestoreDataDir(Restore(backup, dir_));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tree_size, 7u);
  EXPECT_EQ(r->signed_size, std::nullopt);
  EXPECT_FALSE(fs::exists(datadir::BehindSignedFile(dir_)));
  EXPECT_FALSE(fs::exists(dir_ + ".restoring"));
  AppendClosed(dir_, "after", 2);
  CheckOptions options;
  options.require_anchor_at_head = true;
  InvariantReport report = CheckDataDir(dir_, record_, options);
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(ExternalAnchorSize(), 9);
}

// The case issue 15 found: a backup older than what was signed. The restore records it; the
// log opens (reads are served) but refuses every append, and the external anchor stays put.
TEST_F(BackupTest, RestoreBehindTheExternalAnchorRefusesAppendsAndKeepsTheAnchor) {
  AppendClosed(dir_, "early", 5);
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  AppendClosed(dir_, "late", 3);
  const std::string restored = FreshDir(".restored");

  absl::StatusOr<datadir::RestoreResult> r = datadir::RestoreDataDir(Restore(backup, restored));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tree_size, 5u);
  EXPECT_EQ(r->signed_size, std::optional<TreeSize>(8));
  EXPECT_TRUE(fs::exists(datadir::BehindSignedFile(restored)));

  auto log = datadir::OpenLog(restored, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->Head().tree_size, 5u);
  EXPECT_TRUE((*log)->GetEntry(4).ok());  // reads are served
  absl::StatusOr<core::AppendResult> append = (*log)->Append(TestEvent("new"));
  EXPECT_THAT(append, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("restored with 5 entries"),
                                     HasSubstr("tree size 8"), HasSubstr("--db-from"))));
  EXPECT_EQ(ErrorReason(append.status()), reason::kLogBehindSigned);
  EXPECT_EQ((*log)->Head().tree_size, 5u);
  log->reset();
  EXPECT_EQ(ExternalAnchorSize(), 8);  // never rolled back
  EXPECT_TRUE(fs::exists(datadir::BehindSignedFile(restored)));
}

// Without the record the same directory is refused outright (the external anchor); with it,
// it is served read-only: the record is what lets an operator restore at all.
TEST_F(BackupTest, PlainCopyOfAnOlderBackupIsRefusedAtStart) {
  AppendClosed(dir_, "early", 5);
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  AppendClosed(dir_, "late", 3);
  const std::string copied = FreshDir(".copied");
  CopyTree(backup, copied);
  EXPECT_THAT(datadir::OpenLog(copied, Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("holds 5 entries")));
}

// Recovery: the missing entries come from a follower's (here: the original) database; the
// restore checks them against the external anchor, and appends go on where the log left off.
TEST_F(BackupTest, RestoreWithTheMissingEntriesFromAnotherDatabaseResumesAppends) {
  AppendClosed(dir_, "early", 5);
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  AppendClosed(dir_, "late", 3);
  const std::string restored = FreshDir(".restored");
  datadir::RestoreOptions options = Restore(backup, restored);
  options.db_from = dir_;
  absl::StatusOr<datadir::RestoreResult> r = datadir::RestoreDataDir(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tree_size, 8u);
  EXPECT_EQ(r->signed_size, std::nullopt);
  auto log = datadir::OpenLog(restored, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<core::AppendResult> append = (*log)->Append(TestEvent("next"));
  ASSERT_TRUE(append.ok()) << append.status();
  EXPECT_EQ(append->sequence, 8u);
}

// The record is removed once the log holds the recorded checkpoint again (here its database is
// replaced by one that has the entries), and appends resume.
TEST_F(BackupTest, RecordIsClearedWhenTheLogHoldsTheSignedCheckpointAgain) {
  AppendClosed(dir_, "early", 5);
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  AppendClosed(dir_, "late", 3);
  const std::string restored = FreshDir(".restored");
  ASSERT_TRUE(datadir::RestoreDataDir(Restore(backup, restored)).ok());
  fs::remove_all(datadir::LogDir(restored));
  CopyTree(datadir::LogDir(dir_), datadir::LogDir(restored));

  auto log = datadir::OpenLog(restored, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_FALSE(fs::exists(datadir::BehindSignedFile(restored)));
  EXPECT_TRUE((*log)->Append(TestEvent("next")).ok());
}

TEST_F(BackupTest, RestoreOfAForkedBackupIsRefusedAndLeavesNothing) {
  AppendClosed(dir_, "common", 4);
  const std::string twin = FreshDir(".twin");
  CopyTree(dir_, twin);
  AppendClosed(dir_, "ours", 2);
  {
    auto other = datadir::OpenLog(twin, core::LogOptions());
    ASSERT_TRUE(other.ok()) << other.status();
    LEDGER_ASSERT_OK(AppendMany(**other, "theirs", 3, &record_));
  }
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(twin, backup).ok());
  const std::string restored = FreshDir(".restored");
  absl::StatusOr<datadir::RestoreResult> r = datadir::RestoreDataDir(Restore(backup, restored));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          AllOf(HasSubstr("(7 entries)"), HasSubstr("at tree size 6"))));
  EXPECT_EQ(ErrorReason(r.status()), datadir::kReasonLogForkedFromAnchor);
  EXPECT_FALSE(fs::exists(restored));
  EXPECT_FALSE(fs::exists(restored + ".restoring"));
}

TEST_F(BackupTest, RestoreIntoAnExistingDirectoryIsRefused) {
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  EXPECT_THAT(datadir::RestoreDataDir(Restore(backup, dir_)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  EXPECT_TRUE(fs::exists(datadir::IdentityFile(dir_)));
}

TEST_F(BackupTest, DbFromAnotherLogIsRefused) {
  const std::string backup = FreshDir(".backup");
  ASSERT_TRUE(datadir::BackupDataDir(dir_, backup).ok());
  const std::string other = FreshDir(".other");
  LEDGER_ASSERT_OK(InitTestDataDir(other));  // a new log key
  datadir::RestoreOptions options = Restore(backup, FreshDir(".restored"));
  options.db_from = other;
  EXPECT_THAT(datadir::RestoreDataDir(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--db-from")));
  EXPECT_FALSE(fs::exists(options.data_dir));
}

TEST_F(BackupTest, BackupOfAnOpenLogIsRefusedAndWritesNothing) {
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string backup = FreshDir(".backup");
  absl::StatusOr<datadir::BackupResult> b = datadir::BackupDataDir(dir_, backup);
  EXPECT_THAT(b, StatusIs(absl::StatusCode::kInternal, HasSubstr("stop the server")));
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_FALSE(fs::exists(backup + ".partial"));
}

TEST_F(BackupTest, BackupOfADirectoryAServerHoldsNamesIt) {
  auto held = datadir::DataDirLock::Acquire(dir_);  // as `ledgerd serve` holds it
  ASSERT_TRUE(held.ok()) << held.status();
  const std::string backup = FreshDir(".backup");
  EXPECT_THAT(datadir::BackupDataDir(dir_, backup),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use by another")));
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_FALSE(fs::exists(backup + ".partial"));
}

TEST_F(BackupTest, BackupToAnExistingPathIsRefused) {
  const std::string backup = FreshDir(".backup");
  fs::create_directories(backup);
  EXPECT_THAT(datadir::BackupDataDir(dir_, backup),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(backup)));
  EXPECT_TRUE(fs::is_empty(backup));
}

}  // namespace
}  // namespace ledger::reliability
