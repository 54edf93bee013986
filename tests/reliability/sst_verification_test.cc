// Start-up verification of SST files (only those new or written since they verified clean) and
// the background scrub (ledger/datadir/sst_verification.h): a restart reads no unchanged file
// again, yet every file damaged, truncated, replaced or restored through the file system is
// refused at start-up; damage the file system cannot see (simulated by recording the damaged
// file's new identity) is found by the scrub, which stops appends and makes the next start-up
// refuse; --verify-sst-at-start=all refuses it at once.
#include "ledger/datadir/sst_verification.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/base/clock.h"
#include "ledger/base/error.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

namespace fs = std::filesystem;
using ::ledger::testing::FreshDir;

// The largest SST file of `dir`'s database.
std::string LargestSst(const std::string& dir) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : fs::directory_iterator(datadir::LogDir(dir))) {
    if (e.path().extension() != ".sst") continue;
    if (best.empty() || e.file_size() > best_size) best = e.path(), best_size = e.file_size();
  }
  return best;
}

// Flips one bit in the middle of `path`, in place.
void FlipMiddleBit(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = fs::file_size(path);
  f.seekg(size / 2);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x10;
  f.seekp(size / 2);
  f.write(&c, 1);
}

// What a start-up verification of `dir` does now (at `clock`'s time).
absl::StatusOr<datadir::SstVerificationResult> VerifyNow(const std::string& dir, bool all = false,
                                                      const Clock& clock = *Clock::Real()) {
  store::RocksDbLogStoreOptions options;
  options.read_only = true;
  auto s = store::RocksDbLogStore::Open(datadir::LogDir(dir), options);
  if (!s.ok()) return s.status();
  return datadir::VerifySstFiles(nullptr, dir, **s, all, clock);
}

class SstVerificationTest : public ::testing::Test {
 protected:
  // A data directory with two generations of SST files, all older than the "racily clean"
  // window, verified once by OpenLog (which records them).
  void SetUp() override {
    dir_ = FreshDir();
    ASSERT_TRUE(InitTestDataDir(dir_).ok());
    for (int round = 0; round < 2; ++round) {
      auto log = datadir::OpenLog(dir_, Options());
      ASSERT_TRUE(log.ok()) << log.status();
      ASSERT_TRUE(AppendMany(**log, absl::StrCat("r", round), 150, &record_).ok());
      log->reset();
      ASSERT_TRUE(FlushDatabase(dir_, /*settle=*/true).ok());
    }
    // Files written within the last 2 s are not recorded (their times could still change
    // within the clock tick of the stat): let them age, on the clock the verification reads.
    clock_.Set(Clock::Real()->NowMicros() + 2'100'000);
    auto log = datadir::OpenLog(dir_, Options());
    ASSERT_TRUE(log.ok()) << log.status();
  }

  // LogOptions whose clock (the one the SST verification reads) is the test's.
  core::LogOptions Options() {
    core::LogOptions options;
    options.clock = &clock_;
    return options;
  }

  FakeClock clock_{0};
  std::string dir_;
  ClientRecord record_;
};

TEST_F(SstVerificationTest, ARestartVerifiesNoUnchangedFile) {
  absl::StatusOr<datadir::SstVerificationResult> r = VerifyNow(dir_, /*all=*/false, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files_verified, 0u);
  EXPECT_GT(r->files_unchanged, 0u);
  // Everything, when asked.
  r = VerifyNow(dir_, /*all=*/true, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->files_verified, 0u);
  EXPECT_EQ(r->files_unchanged, 0u);
}

TEST_F(SstVerificationTest, AFileDamagedThroughTheFileSystemIsRefusedAtStartUp) {
  FlipMiddleBit(LargestSst(dir_));
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
  // And again (the damaged file is not recorded as verified).
  EXPECT_EQ(datadir::OpenLog(dir_, Options()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SstVerificationTest, ARestoredCopyIsVerifiedAgain) {
  const std::string copy = FreshDir(".copy");
  CopyTree(dir_, copy);
  absl::StatusOr<datadir::SstVerificationResult> r = VerifyNow(copy, /*all=*/false, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files_unchanged, 0u);  // other inodes: nothing is taken as verified
  EXPECT_GT(r->files_verified, 0u);
  // A damaged copy is refused.
  const std::string damaged = FreshDir(".damaged");
  CopyTree(dir_, damaged);
  FlipMiddleBit(LargestSst(damaged));
  EXPECT_EQ(datadir::OpenLog(damaged, Options()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SstVerificationTest, ADamagedRecordIsIgnored) {
  {
    std::ofstream out(datadir::VerifiedSstRecordFile(dir_), std::ios::app);
    out << "000001.sst 1 2 3 4 5\n";  // after the checksum line
  }
  absl::StatusOr<datadir::SstVerificationResult> r = VerifyNow(dir_, /*all=*/false, clock_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->files_unchanged, 0u);
  EXPECT_GT(r->files_verified, 0u);
}

// Damage the file system does not see (media errors) keeps the file's identity: simulated by
// recording the damaged file's new identity. Start-up cannot see it; the scrub does.
TEST_F(SstVerificationTest, DamageBelowTheFileSystemIsFoundByTheScrub) {
  const std::string sst = LargestSst(dir_);
  FlipMiddleBit(sst);
  {
    datadir::VerifiedSstRecord record = datadir::VerifiedSstRecord::Load(nullptr, dir_);
    ASSERT_GT(record.size(), 0u);
    absl::StatusOr<datadir::FileIdentity> id = datadir::IdentifyFile(sst);
    ASSERT_TRUE(id.ok());
    record.Add(fs::path(sst).filename(), *id);
    ASSERT_TRUE(record.Save(nullptr, dir_).ok());
  }
  // --verify-sst-at-start=all refuses it.
  datadir::OpenLogOptions all;
  all.log = Options();
  all.verify_all_sst_at_open = true;
  EXPECT_EQ(datadir::OpenLog(dir_, all).status().code(), absl::StatusCode::kDataLoss);
  // That run forgot the file: record it as verified again, for the default start-up.
  {
    datadir::VerifiedSstRecord record = datadir::VerifiedSstRecord::Load(nullptr, dir_);
    record.Add(fs::path(sst).filename(), *datadir::IdentifyFile(sst));
    ASSERT_TRUE(record.Save(nullptr, dir_).ok());
  }
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_TRUE(log.ok()) << "start-up re-read a file recorded as unchanged: " << log.status();
  std::atomic<bool> damage_reported{false};
  {
    const auto* rocksdb_store = dynamic_cast<const store::RocksDbLogStore*>(&(*log)->store());
    ASSERT_NE(rocksdb_store, nullptr);
    datadir::SstScrubber::Options options;
    options.interval = absl::ZeroDuration();
    options.bytes_per_second = 0;  // unthrottled
    options.clock = &clock_;
    core::Log* raw = log->get();
    datadir::SstScrubber scrubber(nullptr, dir_, rocksdb_store, options,
                               [raw, &damage_reported](const absl::Status& damage) {
                                 EXPECT_EQ(damage.code(), absl::StatusCode::kDataLoss);
                                 raw->StopAppends(damage);
                                 damage_reported = true;
                               });
    scrubber.WaitForPasses(1);
    EXPECT_TRUE(scrubber.found_damage());
  }
  EXPECT_TRUE(damage_reported);
  // Appends stop; reads go on.
  absl::StatusOr<core::AppendResult> refused = (*log)->Append(TestEvent("after-scrub"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(refused.status()), "LOG_STOPPED");
  EXPECT_TRUE((*log)->GetEntry(0).ok());
  log->reset();
  // The scrub took the file out of the record: the next start-up verifies it and refuses.
  EXPECT_EQ(datadir::OpenLog(dir_, Options()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SstVerificationTest, TheScrubRecordsCleanFilesAndStopsWhenAsked) {
  auto log = datadir::OpenLog(dir_, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  const auto* rocksdb_store = dynamic_cast<const store::RocksDbLogStore*>(&(*log)->store());
  ASSERT_NE(rocksdb_store, nullptr);
  fs::remove(datadir::VerifiedSstRecordFile(dir_));
  const int64_t scrub_start = clock_.NowMicros() * 1000;
  {
    datadir::SstScrubber::Options options;
    options.interval = absl::Hours(1);
    options.bytes_per_second = 0;
    options.clock = &clock_;
    datadir::SstScrubber scrubber(nullptr, dir_, rocksdb_store, options,
                               [](const absl::Status&) { ADD_FAILURE() << "no damage here"; });
    scrubber.WaitForPasses(1);
    EXPECT_EQ(scrubber.passes(), 1u);
    // Destroyed while it waits for its next pass: returns at once.
  }
  // Every file it verified is recorded, but those written less than 2 s before (OpenLog's
  // recovery may just have flushed one): their times could still change unseen.
  const datadir::VerifiedSstRecord record = datadir::VerifiedSstRecord::Load(nullptr, dir_);
  size_t settled = 0;
  for (const auto& f : rocksdb_store->LiveSstFiles()) {
    absl::StatusOr<datadir::FileIdentity> id = datadir::IdentifyFile(f.path);
    ASSERT_TRUE(id.ok());
    if (id->ctime_ns >= scrub_start - 2'000'000'000) continue;
    ++settled;
    EXPECT_TRUE(record.Covers(fs::path(f.path).filename(), *id)) << f.path;
  }
  EXPECT_GT(settled, 0u);
}

TEST(VerifiedSstRecordTest, RoundTripsAndRefusesDamage) {
  datadir::VerifiedSstRecord record;
  record.Add("000012.sst", {4096, 2049, 777, 1700000000123456789, 1700000000123456790});
  record.Add("000013.sst", {1, 2, 3, 4, 5});
  const std::string text = record.Serialize();
  std::optional<datadir::VerifiedSstRecord> back = datadir::VerifiedSstRecord::Parse(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->Serialize(), text);
  EXPECT_TRUE(back->Covers("000013.sst", {1, 2, 3, 4, 5}));
  EXPECT_FALSE(back->Covers("000013.sst", {1, 2, 3, 4, 6}));  // ctime changed
  EXPECT_FALSE(back->Covers("000014.sst", {1, 2, 3, 4, 5}));
  for (size_t i = 0; i < text.size(); i += 7) {
    std::string damaged = text;
    damaged[i] ^= 0x01;
    EXPECT_FALSE(datadir::VerifiedSstRecord::Parse(damaged).has_value()) << "byte " << i;
  }
  EXPECT_FALSE(datadir::VerifiedSstRecord::Parse(text.substr(0, text.size() - 1)).has_value());
  back->Retain({"000012.sst"});
  EXPECT_EQ(back->size(), 1u);
}

}  // namespace
}  // namespace ledger::reliability
