// RocksDbViewStore: the views' own RocksDB database, at <data-dir>/views/ (datadir::ViewsDir).
//
// Durability is deliberately weaker than the log's, because every byte here can be rebuilt from
// the log:
//   - by default writes skip the write-ahead log (RocksDbViewStoreOptions::write_ahead_log):
//     they live in the memtable until RocksDB flushes it to an SST file (when it is full, at
//     Flush(), and at a clean close). A crash (of the process or of the machine) loses the
//     batches not flushed yet, and nothing else: the store has one column family, a WriteBatch
//     always lands in one memtable whole, and memtables are flushed in order, so what survives
//     is a prefix of the batches. Each batch carries the views' data AND their watermarks (and
//     the log fingerprint), so the views reopen consistent at an older watermark and the
//     ViewEngine catches the lost tail up again from the log. Skipping the WAL saves writing
//     every view record twice (WAL, then SST) and keeps that I/O off the disk the log fsyncs.
//   - with write_ahead_log, writes go through the WAL without fsync (sync = false): a process
//     crash loses nothing, a power loss may lose the newest batches; bulk writes (a rebuild)
//     still skip the WAL, and before the next WAL write the store flushes the memtable, so a
//     WAL-logged batch never survives without the bulk batches it builds on.
//   - recovery mode is kPointInTimeRecovery: a damaged WAL tail is dropped and the database opens
//     at the last consistent batch; losing a tail only means catching that tail up again from
//     the log. (The log itself uses kAbsoluteConsistency: there, a silently shortened tail would
//     lose acknowledged data.)
//   - Clear() is one synced WAL write (a range deletion), then a flush: a crash leaves all of the
//     views or none.
//
// Bulk loads. A rebuild writes its batches as files (ViewWriteOptions::as_file), each spanning
// the whole key space. RocksDB's level-0 compactions would merge every few of them into all of
// level 1 again, so a 1M-entry rebuild rewrote its views ~2.3 times, at ~0.8 us of CPU per
// record (bench/REPORT.md §7f). From the first bulk file write until Flush() (the ViewEngine
// flushes at the end of every bulk catch-up), a non-bulk write or Clear(), the store is in bulk
// load: every file is added to level 0 (see BeginBulkLoadLocked), level 0 is compacted only once
// it holds kBulkLoadL0Files files, and at the end RocksDB merges what is there once, in the
// background. Until that merge is done a read consults each level-0 file (Bloom filters spare
// most of them); writes do not stall for it (level0_slowdown_writes_trigger is above
// kBulkLoadL0Files). Nothing about durability or order changes: it only decides where RocksDB
// places the files and when it merges them.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(auto store, RocksDbViewStore::Open(datadir::ViewsDir(data_dir), {}));
#ifndef LEDGER_VIEWS_ROCKSDB_VIEW_STORE_H_
#define LEDGER_VIEWS_ROCKSDB_VIEW_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "ledger/views/view_store.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"

namespace ledger::views {

// Level-0 files a bulk load accumulates before RocksDB merges them (the batches of a 1M-entry
// rebuild: 31).
inline constexpr int kBulkLoadL0Files = 40;

struct RocksDbViewStoreOptions {
  // Create the database when `path` holds none (default: yes; views are derived data).
  bool create_if_missing = true;
  // The RocksDB environment; nullptr means rocksdb::Env::Default(). Not owned.
  rocksdb::Env* env = nullptr;
  // Memtable size; 0 means RocksDB's default (64 MiB).
  size_t write_buffer_bytes = 0;
  // Log every write in RocksDB's write-ahead log (without fsync) instead of only in the memtable
  // (see above). Off by default: the views are rebuilt from the log.
  bool write_ahead_log = false;
  // Open read-only (RocksDB's OpenForReadOnly: no lock, so it works beside a running ledgerd;
  // it sees what was flushed, a consistent prefix of the batches, see above). Implies
  // create_if_missing = false; Write, Clear and Flush fail.
  bool read_only = false;
};

// Thread-safe: reads run concurrently with each other and with Write; Write, Clear and Flush
// are serialised by an internal mutex.
class RocksDbViewStore : public ViewStore {
 public:
  // Errors: NotFound when there is no database and create_if_missing is false; the codes of
  // store::FromRocksDbStatus otherwise (DataLoss for a damaged database that point-in-time
  // recovery cannot open: delete the directory, the views are rebuilt).
  static absl::StatusOr<std::unique_ptr<RocksDbViewStore>> Open(
      const std::string& path, const RocksDbViewStoreOptions& options = {});

  // Closes the database; RocksDB flushes WAL-less writes still in the memtable first (only a
  // crash loses them: the views then resume from an earlier watermark). Precondition: no call
  // is in flight.
  ~RocksDbViewStore() override;

  RocksDbViewStore(const RocksDbViewStore&) = delete;
  RocksDbViewStore& operator=(const RocksDbViewStore&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override;
  absl::Status Scan(
      absl::string_view begin, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override;
  // Through the memtable: one rocksdb::WriteBatch holding every batch, each in key order. As a
  // file (options.as_file): one sorted SST file holding the batches one after the other (their
  // key ranges ascend), ingested whole with IngestExternalFile.
  absl::Status WriteAll(absl::Span<const ViewBatch* const> batches,
                        const ViewWriteOptions& options) override;
  // One synced DeleteRange over the whole key space, then the SST files it covers are deleted
  // to give the space back.
  absl::Status Clear() override;
  // Also ends a bulk load (see above): RocksDB's usual compaction triggers apply again.
  absl::Status Flush() override;

  // Returns once RocksDB has no compaction running or pending (polls every 20 ms). For
  // benchmarks and tests: what a bulk load leaves to merge is merged in the background.
  absl::Status WaitForCompactions() const;
  // A RocksDB integer property (e.g. "rocksdb.num-files-at-level0"). NotFound when RocksDB has
  // none of that name.
  absl::StatusOr<uint64_t> IntProperty(absl::string_view name) const;

 private:
  RocksDbViewStore(rocksdb::DB* db, rocksdb::Options db_options, std::string path,
                   bool write_ahead_log);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status WriteAsFile(absl::Span<const ViewBatch* const> batches, bool bulk);
  // Enters bulk load (no-op when in it); `first_key` is the first key of the file about to be
  // ingested.
  absl::Status BeginBulkLoadLocked(absl::string_view first_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Leaves bulk load (no-op when not in it): restores the compaction triggers.
  absl::Status EndBulkLoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  rocksdb::DB* const db_;  // owned
  const rocksdb::Options db_options_;
  const std::string path_;
  const bool write_ahead_log_;

  absl::Mutex write_mu_;
  // True while WAL-less writes may be only in the memtable.
  bool unflushed_bulk_ ABSL_GUARDED_BY(write_mu_) = false;
  uint64_t ingest_counter_ ABSL_GUARDED_BY(write_mu_) = 0;
  bool bulk_load_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_ROCKSDB_VIEW_STORE_H_
