// ClaimSpill: the audit's claim records on disk, so that an audit's memory does not grow with
// the number of claims in the log.
//
// The claim rules (ledger/core/claim_rules.h) need, for every claim seen so far, who asserted it
// and whether it was retracted. Held in memory that was ~500 bytes per claim (510 MiB for a
// 1M-entry log, ~5 GB for 10M: bench/REPORT.md). The auditor keeps only the newest claims in
// memory (the replayer's staged records) and moves them here in bulk; lookups that miss memory
// read here. The spill is a private RocksDB in a new directory that the destructor deletes:
// nothing in it is trusted or kept (it holds what this audit itself derived from the log).
//
// Memory is bounded by the RocksDB settings below (two 16 MiB memtables, a 32 MiB block cache
// that also holds the index and filter blocks), whatever the number of claims.
//
// Thread-compatible (the auditor's replay thread is its only user).
#ifndef LEDGER_AUDIT_CLAIM_SPILL_H_
#define LEDGER_AUDIT_CLAIM_SPILL_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/core/claim_rules.h"

namespace rocksdb {
class DB;
}

namespace ledger::audit {

class ClaimSpill {
 public:
  // Creates a new, empty spill in a fresh directory under `parent_dir` (which must exist).
  static absl::StatusOr<std::unique_ptr<ClaimSpill>> Create(const std::string& parent_dir);
  // Closes the database and deletes its directory.
  ~ClaimSpill();

  ClaimSpill(const ClaimSpill&) = delete;
  ClaimSpill& operator=(const ClaimSpill&) = delete;

  // The record written last for `claim_id`, nullopt when none was.
  absl::StatusOr<std::optional<core::ClaimRecord>> Find(absl::string_view claim_id) const;
  // Writes `records` (replacing earlier ones of the same ids).
  absl::Status Write(const std::map<std::string, core::ClaimRecord, std::less<>>& records);

  const std::string& path() const { return path_; }
  uint64_t records_written() const { return records_written_; }

 private:
  ClaimSpill(rocksdb::DB* db, std::string path) : db_(db), path_(std::move(path)) {}

  rocksdb::DB* const db_;  // owned
  const std::string path_;
  uint64_t records_written_ = 0;
};

}  // namespace ledger::audit

#endif  // LEDGER_AUDIT_CLAIM_SPILL_H_
