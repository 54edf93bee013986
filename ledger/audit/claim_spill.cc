#include "ledger/audit/claim_spill.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "ledger/store/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace ledger::audit {
namespace {

using store::FromRocksDbStatus;

rocksdb::Options SpillOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.write_buffer_size = 16 << 20;
  options.max_write_buffer_number = 2;
  options.max_background_jobs = 1;
  options.compression = rocksdb::kNoCompression;  // short-lived; CPU matters more than bytes
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(32 << 20);
  table.cache_index_and_filter_blocks = true;  // bounded by the cache, not by the claim count
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClaimSpill>> ClaimSpill::Create(const std::string& parent_dir) {
  static std::atomic<uint64_t> counter{0};
  const std::string path = absl::StrCat(parent_dir, "/factledger-audit-claims-", getpid(), "-",
                                        counter.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // a leftover of a crashed audit with our pid
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(SpillOptions(), path, &db);
  if (!s.ok()) {
    return FromRocksDbStatus(
        s, absl::StrCat("creating the audit's claim table at ", path,
                        " (it needs a writable directory: set TMPDIR)"));
  }
  return std::unique_ptr<ClaimSpill>(new ClaimSpill(db, path));
}

ClaimSpill::~ClaimSpill() {
  db_->Close().PermitUncheckedError();  // nothing here is kept
  delete db_;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::StatusOr<std::optional<core::ClaimRecord>> ClaimSpill::Find(
    absl::string_view claim_id) const {
  std::string value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(claim_id.data(), claim_id.size()), &value);
  if (s.IsNotFound()) return std::optional<core::ClaimRecord>();
  if (!s.ok()) return FromRocksDbStatus(s, "reading the audit's claim table");
  absl::StatusOr<core::ClaimRecord> r = core::DecodeClaimRecord(value);
  if (!r.ok()) return r.status();
  return std::optional<core::ClaimRecord>(*std::move(r));
}

absl::Status ClaimSpill::Write(
    const std::map<std::string, core::ClaimRecord, std::less<>>& records) {
  rocksdb::WriteBatch wb;
  for (const auto& [id, record] : records) {
    const std::string bytes = core::EncodeClaimRecord(record);
    wb.Put(rocksdb::Slice(id), rocksdb::Slice(bytes));
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // private and deleted at the end: a crash loses the audit anyway
  const rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) return FromRocksDbStatus(s, "writing the audit's claim table");
  records_written_ += records.size();
  return absl::OkStatus();
}

}  // namespace ledger::audit
