// ViewEngine: keeps a set of projections (views) up to date with the log, by replay.
//
// Each view stores its watermark (the number of log entries it has applied, i.e. the next
// sequence to apply) in the same ViewStore batch as its data, so after a crash every view is
// exactly "the first W entries applied" for its W, and catching up resumes from there.
//
// CatchUp reads entries from the lowest watermark to the log head with LogStore::ScanEntries, in
// batches of at most max_batch_entries. Each entry's leaf data is decoded and its event parsed
// ONCE (core::DecodeStoredEntry) and handed to every projection whose
// watermark it has not reached; signatures are not verified again (the log core verified them at
// admission; docs/design.md: never twice). One ViewBatch per batch of entries holds
// the data of every view plus their watermarks.
//
// Start-up with intact views does no replay: Open reads the schema version and the watermarks
// (one Get each), and the first CatchUp reads one log entry (the fingerprint check below) before
// it finds nothing to do. The cost does not depend on the length of the log.
//
// Choices where the brief is silent:
//   - Schema version: Open compares the stored view schema version with
//     schema::kViewSchemaVersion; on a mismatch (or data without a version) the next CatchUp
//     rebuilds every view from the log.
//   - Log fingerprint: every batch also stores (sequence, leaf hash) of the last entry read. Each
//     CatchUp first checks that the log still holds that entry (one GetEntry). A log that is
//     shorter than the views, or holds another entry there, is not the log the views were built
//     from (a data directory re-initialised, or a log restored from an older backup): the views
//     are rebuilt, and CatchUpResult says why.
//   - A long catch-up (more than bulk_catch_up_entries behind, e.g. after the views directory
//     was deleted) and Rebuild write in bulk mode: batches of bulk_batch_entries, each written
//     as one sorted file that the store adds whole (ViewWriteOptions::as_file; RocksDB's
//     SstFileWriter + IngestExternalFile), which skips the memtable's ordered inserts, the
//     WAL and the later flush -- the dominant cost of a rebuild through the memtable
//     (bench/REPORT.md §7). Each file holds its batch's data and watermarks, so a crash keeps
//     a prefix of the batches, as in the normal mode.
//   - A view added by a newer release starts at watermark 0 while the others keep theirs:
//     CatchUp replays the log into that view alone up to where the others are.
//
// Batches are pipelined: while the engine's writer thread (one long-lived thread, started at the
// first catch-up) writes batch k to the ViewStore, the calling thread applies batch k+1 (reading
// through batch k), so applying and writing use two cores. At most one write is in flight and
// watermarks are published only when a batch is written. Each batch writes every watermark and
// the fingerprint once, whatever its size: fewer, larger catch-ups cost less per entry
// (ViewUpdater coalesces them).
//
// Lanes (ViewEngineOptions::lanes): the views are split into contiguous runs in tag order, one
// ViewBatch each. A batch of entries is read from the log a window at a time and decoded in
// parallel chunks, then each lane applies its views to every entry of the window on a thread of
// its own while the next window is decoded (its chunks are tasks of the same parallel job: the
// thread whose lane finishes first takes them), reading through its own batches only (a
// projection reads only its own keys); the lanes' batches form one atomic write
// (ViewStore::WriteAll), in bulk mode one sorted file (the lanes one after the other). The bytes
// written are the same for any number of lanes (tests/views/view_engine_property_test.cc).
//
// Thread-safety: thread-safe. CatchUp and Rebuild are serialised by an internal mutex (a second
// caller waits). Watermark() never waits for them. Queries (queries.h) read the ViewStore while
// CatchUp writes: each batch is atomic, and query results are sequence-versioned, so a query
// answered "as of" a watermark it read first is not disturbed by later batches.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(auto views_db, RocksDbViewStore::Open(datadir::ViewsDir(dir)));
//   LEDGER_ASSIGN_OR_RETURN(auto engine, ViewEngine::Open(std::move(views_db),
//                                                          DefaultProjections(), {}));
//   LEDGER_ASSIGN_OR_RETURN(CatchUpResult r, engine->CatchUp(log->store()));
//   std::cout << "views at " << engine->Watermark() << " entries\n";
#ifndef LEDGER_VIEWS_VIEW_ENGINE_H_
#define LEDGER_VIEWS_VIEW_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/parallel.h"
#include "ledger/base/types.h"
#include "ledger/store/log_store.h"
#include "ledger/views/projection.h"
#include "ledger/views/view_store.h"

namespace ledger::views {

struct ViewEngineOptions {
  // Most log entries applied in one ViewBatch (one atomic write). Must be >= 1.
  size_t max_batch_entries = 1024;
  // A catch-up further behind than this writes in bulk mode.
  uint64_t bulk_catch_up_entries = 100000;
  // In bulk mode (a rebuild, a long catch-up), most log entries in one batch, written as one
  // sorted file (ViewWriteOptions::as_file) instead of through the memtable. Larger batches
  // cost fewer files and less per key, and more memory: a batch holds ~13 records per claim
  // (~2.5 KiB per entry in memory), and two are alive at once (one applied, one written).
  size_t bulk_batch_entries = 32768;
  // A catch-up at least this far behind (but not bulk) also writes its batches as files, each
  // of up to bulk_batch_entries. 0 (the default): only bulk catch-ups write files. Measured on
  // a live ledgerd under AppendSignedBatch@8 (2 cores): files of ~2-4k entries save the
  // memtable inserts (views-write 23 -> 17 us/event) but cost more in L0 compactions (16
  // us/event) than they save; the memtable stays the live path.
  uint64_t file_catch_up_entries = 0;
  // The views are split into this many lanes: contiguous runs of views in tag order, balanced
  // by count. Each lane has its own ViewBatch; a batch of entries is decoded in parallel, then
  // its lanes are applied in parallel (a projection reads only its own state, so lanes never
  // share a key), and the lanes' batches are written as one atomic write (in bulk mode, one
  // sorted file holding the lanes one after the other). 0 (the default): one lane per core.
  // Measured on this 2-core machine (bench/REPORT.md §7f): two lanes rebuild a 1M-entry log
  // ~10% faster than one now that a rebuild leaves its compactions for the end (a bulk load,
  // rocksdb_view_store.h); before, those compactions needed the second core and two lanes
  // were 10% slower (§7).
  size_t lanes = 0;
  // Whether a catch-up that is not bulk (the live path: small batches while the log grows)
  // also decodes and applies in parallel when it has several lanes. Off by default: the live
  // path's batches are small, and on a leader at maximum ingest the other cores belong to the
  // appends; its lanes are then applied one after the other on the catching-up thread (the
  // same bytes either way).
  bool parallel_live = false;
  // A batch is read, decoded and applied this many entries at a time (its writes still
  // accumulate in one ViewBatch): it bounds the parsed events alive at once (two windows: the
  // one applied and the one decoded meanwhile). Must be >= 1.
  size_t window_entries = 4096;
  // A window of fewer entries than this is decoded and applied on the calling thread alone:
  // handing a few entries to other threads costs more than it saves.
  size_t parallel_min_entries = 256;
  // The views' threads (the engine's writer, ViewUpdater's thread, the claim-state map's
  // committer, the match index's loader, and the threads they start) run at the process's nice
  // value plus this (LowerCurrentThreadPriority): on busy cores the log's own threads (appends,
  // replication, verification) get the CPU first, and the views catch up with what is left. A
  // leader bounds the views' lag anyway (ledgerd --max-view-lag-ms). 0: the same priority.
  int thread_nice = 0;
};

struct CatchUpProgress {
  TreeSize watermark = 0;  // entries applied by every view so far
  TreeSize target = 0;     // the log head this run is catching up to
  bool rebuilding = false;
};
// Called after each batch is written. Runs on the catching-up thread; must not call the engine.
using ProgressFn = std::function<void(const CatchUpProgress&)>;

struct CatchUpOptions {
  ProgressFn progress;
  // When set and it becomes true, CatchUp stops at the next batch boundary with CANCELLED
  // (every batch already applied is written and stays).
  const std::atomic<bool>* cancel = nullptr;
};

struct CatchUpResult {
  TreeSize watermark = 0;         // after the run
  uint64_t entries_applied = 0;   // entries read from the log in this run
  bool rebuilt = false;           // the views were dropped and replayed from 0
  std::string rebuild_reason;     // why, when rebuilt
};

// A view's digest: SHA-256 chained over its key/value pairs in key order, watermark excluded:
//   d_0     = SHA-256("factledger/v1/view-digest" || 0x00 || view name)
//   d_{i+1} = SHA-256(d_i || u32be(len(key_i)) || key_i || u32be(len(value_i)) || value_i)
// Two stores hold the same view data iff the digests match (up to SHA-256 collisions).
struct ViewDigest {
  TreeSize watermark = 0;  // read in the same scan as the data
  Hash digest{};
  uint64_t records = 0;
};

// Sees every batch the engine writes, after it is written and before its watermarks are
// published, so an in-memory structure derived from a view (match_index.h) is never older than
// the watermark a reader waited for. Called on the engine's writer thread; must be quick, must
// not fail and must not call the engine.
class ViewListener {
 public:
  virtual ~ViewListener() = default;
  // A batch just written: the writes of one lane (a contiguous run of views; filter by
  // prefix). A catch-up step calls it once per lane, each view's watermark arriving in the same
  // call as the view's data.
  virtual void OnWritten(const ViewBatch& batch) = 0;
  // Every view was dropped (a rebuild starts); batches from the log's start follow.
  virtual void OnCleared() = 0;
};

class ViewEngine {
 public:
  // Takes the store and the projections (names and tags must be unique: InvalidArgument).
  // Reads the schema version and every view's watermark; replays nothing. Errors from the store.
  static absl::StatusOr<std::unique_ptr<ViewEngine>> Open(
      std::unique_ptr<ViewStore> store, std::vector<std::unique_ptr<Projection>> projections,
      ViewEngineOptions options = {});

  // Stops the writer thread (no catch-up may be running).
  ~ViewEngine();

  ViewEngine(const ViewEngine&) = delete;
  ViewEngine& operator=(const ViewEngine&) = delete;

  // Applies every entry of `log` the views have not applied yet, up to log.Head() at the start
  // of the run. Errors (the views keep every batch written before the error):
  //   DATA_LOSS  an entry does not decode or parse, or breaks the rules as a view knows them
  //              (the message names the sequence and view)
  //   CANCELLED  options.cancel became true
  //   others     from the view store or the log store
  absl::StatusOr<CatchUpResult> CatchUp(const store::LogStore& log,
                                        const CatchUpOptions& options = {});

  // Drops every view (ViewStore::Clear) and replays the whole log. A crash or error part-way
  // leaves consistent views at some watermark; the next CatchUp continues from there.
  absl::StatusOr<CatchUpResult> Rebuild(const store::LogStore& log,
                                        const CatchUpOptions& options = {});

  // The number of log entries every view has applied (the minimum of their watermarks).
  TreeSize Watermark() const;
  // The watermark of one view; NotFound for an unknown name.
  absl::StatusOr<TreeSize> ViewWatermark(absl::string_view view_name) const;

  // The digest of one view, read from the store (NotFound for an unknown name). Compare digests
  // taken at the same watermark (ViewDigest.watermark says which).
  absl::StatusOr<ViewDigest> Digest(absl::string_view view_name) const;

  // Registers `listener` (not owned; it must outlive the engine). `load` runs first, while no
  // catch-up runs, to read the state the listener starts from (e.g. scan one view); its error
  // is returned and the listener is not added.
  absl::Status AddListener(ViewListener* listener,
                           const std::function<absl::Status(const ViewStore&)>& load);

  std::vector<std::string> ViewNames() const;
  const ViewStore& store() const { return *store_; }
  ViewStore* mutable_store() { return store_.get(); }
  // ViewEngineOptions::thread_nice: also for the threads of its listeners and updater.
  int thread_nice() const { return options_.thread_nice; }

 private:
  struct View {
    std::unique_ptr<Projection> projection;
    std::string prefix;
    std::string watermark_key;
    size_t lane = 0;  // index into lanes_
  };
  class Writer;

  ViewEngine(std::unique_ptr<ViewStore> store, std::vector<View> views,
             ViewEngineOptions options);

  absl::Status LoadState();
  absl::StatusOr<CatchUpResult> CatchUpLocked(const store::LogStore& log,
                                              const CatchUpOptions& options, bool rebuilding)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  absl::StatusOr<CatchUpResult> RebuildLocked(const store::LogStore& log,
                                              const CatchUpOptions& options, std::string reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Why the views do not belong to `log` ("" when they do).
  absl::StatusOr<std::string> CheckFingerprint(const store::LogStore& log)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);

  const std::unique_ptr<ViewStore> store_;
  const ViewEngineOptions options_;
  // Writes the batches of CatchUp; started at the first catch-up.
  std::unique_ptr<Writer> writer_ ABSL_GUARDED_BY(apply_mu_);

  absl::Mutex apply_mu_;  // serialises CatchUp and Rebuild; guards the projections
  std::vector<View> views_;
  // The views of each lane (indices into views_), lanes in ascending key order: lane 0 also
  // holds the meta records (their prefix sorts first).
  std::vector<std::vector<size_t>> lanes_;
  // Per lane: the keys per log entry its last batch wrote, to size the next batch's table
  // (an estimate off by several times leaves a table mostly empty: a cache miss per key).
  std::vector<double> lane_keys_per_entry_ ABSL_GUARDED_BY(apply_mu_);
  // Decodes entries and applies lanes: lanes_.size() - 1 helper threads plus the caller.
  std::unique_ptr<ParallelRunner> runner_;
  bool needs_rebuild_ ABSL_GUARDED_BY(apply_mu_) = false;
  std::string needs_rebuild_reason_ ABSL_GUARDED_BY(apply_mu_);

  mutable absl::Mutex state_mu_;
  std::vector<TreeSize> watermarks_ ABSL_GUARDED_BY(state_mu_);  // parallel to views_

  // Added under apply_mu_ (no batch in flight); read by the writer thread during a catch-up.
  absl::Mutex listeners_mu_;
  std::vector<ViewListener*> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  void NotifyWritten(const ViewBatch& batch) ABSL_LOCKS_EXCLUDED(listeners_mu_);
  void NotifyCleared() ABSL_LOCKS_EXCLUDED(listeners_mu_);
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_VIEW_ENGINE_H_
