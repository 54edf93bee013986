// Shared fixture code of the in-process reliability tests: fresh data directories, appends that
// are recorded for the invariant checker, and directory copies.
#ifndef TESTS_RELIABILITY_TEST_DATA_DIR_H_
#define TESTS_RELIABILITY_TEST_DATA_DIR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/log.h"
#include "ledger/v1/claim.pb.h"
#include "rocksdb/env.h"
#include "tests/reliability/invariants.h"

namespace ledger::reliability {

// InitDataDir for testing::kTestOrigin with testing::AdminKey() as the genesis admin (and the
// external anchor directory `external_anchor_dir` when not empty).
absl::Status InitTestDataDir(const std::string& dir, rocksdb::Env* env = nullptr,
                             const std::string& external_anchor_dir = "");

// A claim event signed by testing::AdminKey() for testing::kTestOrigin. Deterministic.
ledger::v1::SignedEvent TestEvent(absl::string_view event_id, absl::string_view text = "");

// Appends `event` and records the outcome in `record` (submitted always; acked when OK).
absl::StatusOr<core::AppendResult> AppendRecorded(core::Log& log,
                                                  const ledger::v1::SignedEvent& event,
                                                  ClientRecord* record);

// Appends `count` events "<prefix>-<i>" one by one; returns the first error.
absl::Status AppendMany(core::Log& log, absl::string_view prefix, int count,
                        ClientRecord* record);

// Flushes every column family of the closed data directory `dir`'s database to SST files. With
// `settle`, also waits until the compactions those flushes triggered have finished, so that
// the next open finds none left to run (one finishing later would add an SST file).
absl::Status FlushDatabase(const std::string& dir, bool settle);

// Recursive copy of `from` to `to` (`to` is replaced).
void CopyTree(const std::string& from, const std::string& to);

// The path of the file NNNNNN<suffix> with the largest number in directory `dir` ("" if none),
// e.g. the newest WAL of a database: NewestNumberedFile(db, ".log").
std::string NewestNumberedFile(const std::string& dir, const std::string& suffix);

// A fresh data directory (dir_) initialised with an external anchor directory beside it
// (anchor_dir_, OpenLogOptions::external_anchor_dir), and a record of what was appended: the set-up
// the external-anchor and backup tests share.
class ExternalAnchorFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  // Log options that keep the external anchor in anchor_dir_.
  datadir::OpenLogOptions Options() const;
  // Opens `dir` with Options(), appends `count` events named "<prefix>-<i>", closes it.
  void AppendClosed(const std::string& dir, absl::string_view prefix, int count);

  std::string dir_, anchor_dir_;
  ClientRecord record_;
};

}  // namespace ledger::reliability

#endif  // TESTS_RELIABILITY_TEST_DATA_DIR_H_
