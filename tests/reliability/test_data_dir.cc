#include "tests/reliability/test_data_dir.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/sha256.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_dir.h"
#include "tests/testing/test_log.h"

namespace ledger::reliability {

absl::Status InitTestDataDir(const std::string& dir, rocksdb::Env* env,
                             const std::string& external_anchor_dir) {
  return datadir::InitDataDir(dir, std::string(testing::kTestOrigin),
                           {testing::AdminKey().public_key()}, env, external_anchor_dir);
}

ledger::v1::SignedEvent TestEvent(absl::string_view event_id, absl::string_view text) {
  return testing::Sign(
      event_id,
      testing::ClaimEvent(text.empty() ? absl::StrCat("Claim ", event_id) : std::string(text)),
      testing::AdminKey());
}

absl::StatusOr<core::AppendResult> AppendRecorded(core::Log& log,
                                                  const ledger::v1::SignedEvent& event,
                                                  ClientRecord* record) {
  const Hash h = crypto::Sha256(event.event());
  record->Submitted(event.event_id(), h);
  absl::StatusOr<core::AppendResult> r = log.Append(event);
  if (r.ok()) {
    record->Acked(event.event_id(), r->sequence, r->leaf_hash, h);
    record->Seen(r->checkpoint);
  }
  return r;
}

absl::Status AppendMany(core::Log& log, absl::string_view prefix, int count,
                        ClientRecord* record) {
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<core::AppendResult> r =
        AppendRecorded(log, TestEvent(absl::StrCat(prefix, "-", i)), record);
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status FlushDatabase(const std::string& dir, bool settle) {
  auto s = store::RocksDbLogStore::Open(datadir::LogDir(dir), store::RocksDbLogStoreOptions());
  if (!s.ok()) return s.status();
  if (settle) return (*s)->FlushAndSettle();
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto cf : store::schema::kAllColumnFamilies) all.push_back((*s)->column_family(cf));
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return store::FromRocksDbStatus((*s)->raw_db()->Flush(flush, all), "flushing");
}

void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

std::string NewestNumberedFile(const std::string& dir, const std::string& suffix) {
  std::string best;
  uint64_t best_number = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, suffix)) continue;
    uint64_t number = 0;
    if (!absl::SimpleAtoi(name.substr(0, name.size() - suffix.size()), &number)) continue;
    if (best.empty() || number > best_number) best = entry.path().string(), best_number = number;
  }
  return best;
}

void ExternalAnchorFixture::SetUp() {
  dir_ = testing::FreshDir();
  anchor_dir_ = testing::FreshDir(".anchors");
  std::filesystem::create_directories(anchor_dir_);
  LEDGER_ASSERT_OK(InitTestDataDir(dir_, nullptr, anchor_dir_));
}

datadir::OpenLogOptions ExternalAnchorFixture::Options() const {
  datadir::OpenLogOptions options;
  options.external_anchor_dir = anchor_dir_;
  return options;
}

void ExternalAnchorFixture::AppendClosed(const std::string& dir, absl::string_view prefix,
                                         int count) {
  auto log = datadir::OpenLog(dir, Options());
  ASSERT_TRUE(log.ok()) << log.status();
  LEDGER_ASSERT_OK(AppendMany(**log, prefix, count, &record_));
}

}  // namespace ledger::reliability
