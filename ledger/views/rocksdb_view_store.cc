#include "ledger/views/rocksdb_view_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/status_macros.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_status.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace ledger::views {
namespace {

using store::FromRocksDbStatus;

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToStringView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// Every key starts with a view tag below 0xff (view_schema.h), so [kAllBegin, kAllEnd) is all.
constexpr absl::string_view kAllBegin("", 0);
constexpr absl::string_view kAllEnd("\xff", 1);

rocksdb::Options MakeOptions(rocksdb::Env* env, const RocksDbViewStoreOptions& o) {
  rocksdb::Options options;
  options.env = env;
  options.create_if_missing = o.create_if_missing;
  if (o.write_buffer_bytes > 0) options.write_buffer_size = o.write_buffer_bytes;
  // Views are rebuilt from the log: after a crash, open at the last consistent batch rather
  // than refuse (see the header).
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.max_background_jobs = 2;
  // A bulk load (see the header) leaves up to kBulkLoadL0Files files in level 0 for one merge;
  // normal writes must not stall behind them while that merge runs. (RocksDB's defaults: slow
  // down at 20 files, stop at 36.)
  options.level0_slowdown_writes_trigger = kBulkLoadL0Files + 8;
  options.level0_stop_writes_trigger = kBulkLoadL0Files + 24;
  // Queries and projections do point lookups of keys that often do not exist (a new claim's
  // tally, a claim that is not there): Bloom filters spare the reads.
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbViewStore>> RocksDbViewStore::Open(
    const std::string& path, const RocksDbViewStoreOptions& options) {
  rocksdb::Env* env = options.env != nullptr ? options.env : rocksdb::Env::Default();
  const rocksdb::Status exists = env->FileExists(path + "/CURRENT");
  if (exists.IsNotFound() && (!options.create_if_missing || options.read_only)) {
    return absl::NotFoundError(absl::StrCat("no views database at ", path));
  }
  if (!exists.ok() && !exists.IsNotFound()) {
    return FromRocksDbStatus(exists, absl::StrCat("looking for a views database at ", path));
  }
  rocksdb::DB* db = nullptr;
  const rocksdb::Options db_options = MakeOptions(env, options);
  const rocksdb::Status s = options.read_only
                                ? rocksdb::DB::OpenForReadOnly(db_options, path, &db)
                                : rocksdb::DB::Open(db_options, path, &db);
  if (!s.ok()) return FromRocksDbStatus(s, absl::StrCat("opening views database at ", path));
  std::unique_ptr<RocksDbViewStore> store(
      new RocksDbViewStore(db, db_options, path, options.write_ahead_log));
  if (!options.read_only) {
    // A file being built when the process died was never ingested: it holds nothing the
    // database has (Write(as_file) makes the data visible only by ingesting it).
    const std::string dir = datadir::ViewsIngestDir(path);
    rocksdb::Status d = env->CreateDirIfMissing(dir);
    if (!d.ok()) return FromRocksDbStatus(d, absl::StrCat("creating ", dir));
    std::vector<std::string> leftovers;
    d = env->GetChildren(dir, &leftovers);
    if (!d.ok()) return FromRocksDbStatus(d, absl::StrCat("listing ", dir));
    for (const std::string& name : leftovers) {
      if (name == "." || name == "..") continue;
      d = env->DeleteFile(dir + "/" + name);
      if (!d.ok()) return FromRocksDbStatus(d, absl::StrCat("removing ", dir, "/", name));
    }
  }
  return store;
}

RocksDbViewStore::RocksDbViewStore(rocksdb::DB* db, rocksdb::Options db_options, std::string path,
                                   bool write_ahead_log)
    : db_(db),
      db_options_(std::move(db_options)),
      path_(std::move(path)),
      write_ahead_log_(write_ahead_log) {}

RocksDbViewStore::~RocksDbViewStore() {
  // Nothing here needs to be durable (it is rebuilt from the log), but report a failure.
  const rocksdb::Status s = db_->Close();
  if (!s.ok()) std::fprintf(stderr, "RocksDbViewStore: closing: %s\n", s.ToString().c_str());
  delete db_;
}

absl::StatusOr<std::optional<std::string>> RocksDbViewStore::Get(absl::string_view key) const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDbStatus(s, "reading a view record");
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbViewStore::Scan(
    absl::string_view begin, absl::string_view end,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  // An iterator reads one implicit snapshot: the scan is consistent.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
    if (!fn(ToStringView(it->key()), ToStringView(it->value()))) break;
  }
  return FromRocksDbStatus(it->status(), "scanning views");
}

absl::Status RocksDbViewStore::FlushLocked() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  const rocksdb::Status s = db_->Flush(fo);
  if (!s.ok()) return FromRocksDbStatus(s, "flushing views");
  unflushed_bulk_ = false;
  return absl::OkStatus();
}

absl::Status RocksDbViewStore::BeginBulkLoadLocked(absl::string_view first_key) {
  if (bulk_load_) return absl::OkStatus();
  // Compact level 0 only once it holds kBulkLoadL0Files files (whatever their size) ...
  rocksdb::Status s = db_->SetOptions(
      {{"level0_file_num_compaction_trigger", std::to_string(kBulkLoadL0Files)},
       {"max_bytes_for_level_base", std::to_string(uint64_t{1} << 40)}});
  if (!s.ok()) return FromRocksDbStatus(s, "setting the views' bulk-load options");
  bulk_load_ = true;
  // ... and make every file land in level 0. IngestExternalFile puts a file in the lowest level
  // where it overlaps nothing, so into an empty database the first files of a rebuild would go
  // to levels 6, 5, ... 1, each then merged again with the next. A memtable record inside the
  // first file's key range (its first key, rewritten with the value it has) is flushed to level
  // 0 before that file is ingested, so the file, and every later one (each spans the key
  // space), overlaps level 0 and is added there.
  std::string value;
  const rocksdb::Status g = db_->Get(rocksdb::ReadOptions(), ToSlice(first_key), &value);
  rocksdb::WriteBatch wb;
  if (g.ok()) {
    s = wb.Put(ToSlice(first_key), value);
  } else if (g.IsNotFound()) {
    s = wb.Delete(ToSlice(first_key));
  } else {
    return FromRocksDbStatus(g, "reading the first key of a bulk load");
  }
  if (!s.ok()) return FromRocksDbStatus(s, "starting a bulk load");
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // the same record as before: losing it loses nothing
  s = db_->Write(wo, &wb);
  if (!s.ok()) return FromRocksDbStatus(s, "starting a bulk load");
  LEDGER_CRASH_POINT("views-bulk-load-started");
  return absl::OkStatus();
}

absl::Status RocksDbViewStore::EndBulkLoadLocked() {
  if (!bulk_load_) return absl::OkStatus();
  bulk_load_ = false;
  const rocksdb::Status s = db_->SetOptions(
      {{"level0_file_num_compaction_trigger",
        std::to_string(db_options_.level0_file_num_compaction_trigger)},
       {"max_bytes_for_level_base", std::to_string(db_options_.max_bytes_for_level_base)}});
  return FromRocksDbStatus(s, "restoring the views' options after a bulk load");
}

absl::Status RocksDbViewStore::WaitForCompactions() const {
  for (;;) {
    uint64_t pending = 0, running = 0;
    if (!db_->GetIntProperty("rocksdb.compaction-pending", &pending) ||
        !db_->GetIntProperty("rocksdb.num-running-compactions", &running)) {
      return absl::InternalError("RocksDB has no compaction properties");
    }
    if (pending == 0 && running == 0) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::StatusOr<uint64_t> RocksDbViewStore::IntProperty(absl::string_view name) const {
  uint64_t value = 0;
  if (db_->GetIntProperty(ToSlice(name), &value)) return value;
  // Some numeric properties (rocksdb.num-files-at-level<N>) exist only as strings.
  std::string text;
  if (db_->GetProperty(ToSlice(name), &text) && absl::SimpleAtoi(text, &value)) return value;
  return absl::NotFoundError(absl::StrCat("RocksDB has no integer property ", name));
}

absl::Status RocksDbViewStore::WriteAsFile(absl::Span<const ViewBatch* const> batches,
                                          bool bulk) {
  absl::MutexLock lock(&write_mu_);
  bool empty = true;
  for (const ViewBatch* b : batches) empty = empty && b->empty();
  if (empty) return absl::OkStatus();
  // The ingested file is durable at once: whatever was written before it must be too, or a
  // crash could keep this write (and its watermarks) without the writes it builds on.
  if (unflushed_bulk_) LEDGER_RETURN_IF_ERROR(FlushLocked());
  // One file for all the batches: they hold ascending, disjoint key ranges, so writing them one
  // after the other, each in key order, is one sorted run. (One file per batch would multiply
  // the level-0 files every write adds, and with them RocksDB's compactions and write stalls:
  // measured on a 1M-entry rebuild, two files per write made it 30% slower than one.)
  const std::string file = datadir::ViewsIngestBatchFile(path_, ++ingest_counter_);
  // A bulk load's files are merged once RocksDB's usual triggers apply again, and the merge
  // writes compressed files: compressing them here too would be paid twice (and decompressed
  // by the merge).
  rocksdb::Options file_options = db_options_;
  if (bulk) file_options.compression = rocksdb::kNoCompression;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(file_options), file_options);
  rocksdb::Status s = writer.Open(file);
  if (!s.ok()) return FromRocksDbStatus(s, absl::StrCat("creating ", file));
  std::string first_key;
  bool first = true;
  for (const ViewBatch* batch : batches) {
    batch->ForEachInKeyOrder([&](absl::string_view key, const absl::string_view* value) {
      if (!s.ok()) return;
      if (first) {
        first_key.assign(key.data(), key.size());
        first = false;
      }
      s = value != nullptr ? writer.Put(ToSlice(key), ToSlice(*value))
                           : writer.Delete(ToSlice(key));
    });
  }
  if (s.ok()) s = writer.Finish();
  if (!s.ok()) {
    db_options_.env->DeleteFile(file).PermitUncheckedError();
    return FromRocksDbStatus(s, absl::StrCat("writing ", file));
  }
  LEDGER_CRASH_POINT("views-ingest-file-written");
  if (bulk) {
    const absl::Status b = BeginBulkLoadLocked(first_key);
    if (!b.ok()) {
      db_options_.env->DeleteFile(file).PermitUncheckedError();
      return b;
    }
  }
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;  // a hard link into the database: the bytes are written once
  s = db_->IngestExternalFile({file}, io);
  // With move_files the database holds its own link; this name is left over (or, on failure,
  // nothing refers to it).
  db_options_.env->DeleteFile(file).PermitUncheckedError();
  if (!s.ok()) return FromRocksDbStatus(s, absl::StrCat("ingesting ", file));
  return absl::OkStatus();
}

absl::Status RocksDbViewStore::WriteAll(absl::Span<const ViewBatch* const> batches,
                                        const ViewWriteOptions& options) {
  if (options.as_file) return WriteAsFile(batches, options.bulk);
  // In key order: the memtable's skip list inserts a sorted run using its cached splice, much
  // faster than the batch's hash order (bench/views/rebuild_bench).
  rocksdb::WriteBatch wb;
  for (const ViewBatch* batch : batches) {
    batch->ForEachInKeyOrder([&wb](absl::string_view key, const absl::string_view* value) {
      if (value != nullptr) {
        wb.Put(ToSlice(key), ToSlice(*value));
      } else {
        wb.Delete(ToSlice(key));
      }
    });
  }
  absl::MutexLock lock(&write_mu_);
  if (!options.bulk) LEDGER_RETURN_IF_ERROR(EndBulkLoadLocked());
  const bool use_wal = write_ahead_log_ && !options.bulk;
  // A WAL-logged write must not become durable without the bulk writes before it.
  if (use_wal && unflushed_bulk_) {
    absl::Status f = FlushLocked();
    if (!f.ok()) return f;
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;
  wo.disableWAL = !use_wal;
  const rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) return FromRocksDbStatus(s, "writing views");
  if (!use_wal) unflushed_bulk_ = true;
  return absl::OkStatus();
}

absl::Status RocksDbViewStore::Clear() {
  absl::MutexLock lock(&write_mu_);
  LEDGER_RETURN_IF_ERROR(EndBulkLoadLocked());
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (!it->status().ok()) return FromRocksDbStatus(it->status(), "dropping views");
    if (!it->Valid()) return absl::OkStatus();  // Already empty: no tombstone to pay for later.
  }
  rocksdb::ColumnFamilyHandle* cf = db_->DefaultColumnFamily();
  rocksdb::WriteBatch wb;
  rocksdb::Status s = wb.DeleteRange(cf, ToSlice(kAllBegin), ToSlice(kAllEnd));
  if (!s.ok()) return FromRocksDbStatus(s, "dropping views");
  rocksdb::WriteOptions wo;
  wo.sync = true;  // The drop must not be lost while later (bulk) writes survive.
  s = db_->Write(wo, &wb);
  if (!s.ok()) return FromRocksDbStatus(s, "dropping views");
  const rocksdb::SequenceNumber drop_sequence = db_->GetLatestSequenceNumber();
  // Everything is now logically deleted, so removing the SST files the range covers changes
  // nothing a reader can see; it gives the space back at once.
  rocksdb::Slice b = ToSlice(kAllBegin), e = ToSlice(kAllEnd);
  s = rocksdb::DeleteFilesInRange(db_, cf, &b, &e);
  if (!s.ok()) return FromRocksDbStatus(s, "deleting dropped view files");
  // A range tombstone in the memtable slows every later read and write until it is compacted
  // away; with the big files gone, flushing and compacting what is left is cheap.
  LEDGER_RETURN_IF_ERROR(FlushLocked());
  // DeleteFilesInRange leaves level 0 alone, where a bulk load leaves up to kBulkLoadL0Files
  // files until RocksDB merges them: compacting them away would read every record (~8 s for a
  // 1M-entry log's views). DB::DeleteFile drops a level-0 file when it is the oldest there, so
  // drop them oldest first, all older than the range deletion (which stays). A file a
  // compaction is using cannot be dropped: the compaction below removes what is left.
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  std::vector<const rocksdb::LiveFileMetaData*> level0;
  for (const rocksdb::LiveFileMetaData& f : files) {
    if (f.level == 0 && f.largest_seqno < drop_sequence) level0.push_back(&f);
  }
  std::sort(level0.begin(), level0.end(),
            [](const rocksdb::LiveFileMetaData* x, const rocksdb::LiveFileMetaData* y) {
              return x->smallest_seqno < y->smallest_seqno;
            });
  for (const rocksdb::LiveFileMetaData* f : level0) {
    if (!db_->DeleteFile(f->name).ok()) break;
  }
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  s = db_->CompactRange(co, nullptr, nullptr);
  return FromRocksDbStatus(s, "compacting dropped views");
}

absl::Status RocksDbViewStore::Flush() {
  absl::MutexLock lock(&write_mu_);
  LEDGER_RETURN_IF_ERROR(FlushLocked());
  return EndBulkLoadLocked();
}

}  // namespace ledger::views
