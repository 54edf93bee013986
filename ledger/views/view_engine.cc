#include "ledger/base/crash_point.h"
#include "ledger/views/view_engine.h"

#include <algorithm>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/core/event_validation.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/views/view_schema.h"

namespace ledger::views {
namespace {

// Whether `batch` writes `key`; if so, *value is what it writes (nullopt for a delete).
bool FindPending(const ViewBatch& batch, absl::string_view key, std::optional<std::string>* value) {
  absl::string_view put;
  switch (batch.Find(key, &put)) {
    case ViewBatch::Pending::kPut:
      *value = std::string(put);
      return true;
    case ViewBatch::Pending::kDeleted:
      *value = std::nullopt;
      return true;
    case ViewBatch::Pending::kNone:
      break;
  }
  return false;
}

// Reads the store through the writes pending in the current batch, then through the batch still
// being written (if any).
class OverlayReader : public ViewReader {
 public:
  OverlayReader(const ViewStore& store, const ViewBatch& batch, const ViewBatch* in_flight)
      : store_(store), batch_(batch), in_flight_(in_flight) {}
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override {
    std::optional<std::string> value;
    if (FindPending(batch_, key, &value)) return value;
    if (in_flight_ != nullptr && FindPending(*in_flight_, key, &value)) return value;
    return store_.Get(key);
  }

 private:
  const ViewStore& store_;
  const ViewBatch& batch_;
  const ViewBatch* const in_flight_;  // read concurrently with its Write: both only read it
};

absl::Status Annotate(const absl::Status& s, absl::string_view context) {
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

constexpr absl::string_view kDigestDomain("factledger/v1/view-digest\x00", 26);

}  // namespace

// The writer thread: writes one batch at a time, handed over by CatchUp.
class ViewEngine::Writer {
 public:
  Writer(ViewStore* store, std::function<void(const ViewBatch&)> on_written, int thread_nice)
      : store_(store), on_written_(std::move(on_written)) {
    thread_ = std::thread([this, thread_nice] {
      SetCurrentThreadName("views-write");
      LowerCurrentThreadPriority(thread_nice);
      Loop();
    });
  }
  ~Writer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  // Starts writing `batches` as one write (they must stay valid until Wait returns).
  // Precondition: idle.
  void Start(std::vector<const ViewBatch*> batches, const ViewWriteOptions& options) {
    absl::MutexLock lock(&mu_);
    batches_ = std::move(batches);
    options_ = options;
    busy_ = true;
  }
  // Waits for the write started last; its outcome.
  absl::Status Wait() {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !busy_; };
    mu_.Await(absl::Condition(&idle));
    return result_;
  }

 private:
  void Loop() {
    absl::MutexLock lock(&mu_);
    for (;;) {
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return busy_ || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (!busy_) return;
      const std::vector<const ViewBatch*> batches = batches_;
      const ViewWriteOptions options = options_;
      mu_.Unlock();
      LEDGER_CRASH_POINT("views-before-write");
      absl::Status s = store_->WriteAll(batches, options);
      if (s.ok()) {
        for (const ViewBatch* b : batches) on_written_(*b);
      }
      mu_.Lock();
      result_ = std::move(s);
      batches_.clear();
      busy_ = false;
    }
  }

  ViewStore* const store_;
  const std::function<void(const ViewBatch&)> on_written_;
  absl::Mutex mu_;
  std::vector<const ViewBatch*> batches_ ABSL_GUARDED_BY(mu_);
  ViewWriteOptions options_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

absl::Status ViewEngine::AddListener(ViewListener* listener,
                                     const std::function<absl::Status(const ViewStore&)>& load) {
  absl::MutexLock apply_lock(&apply_mu_);
  LEDGER_RETURN_IF_ERROR(load(*store_));
  absl::MutexLock lock(&listeners_mu_);
  listeners_.push_back(listener);
  return absl::OkStatus();
}

void ViewEngine::NotifyWritten(const ViewBatch& batch) {
  absl::MutexLock lock(&listeners_mu_);
  for (ViewListener* l : listeners_) l->OnWritten(batch);
}

void ViewEngine::NotifyCleared() {
  absl::MutexLock lock(&listeners_mu_);
  for (ViewListener* l : listeners_) l->OnCleared();
}

ViewEngine::~ViewEngine() {
  absl::MutexLock lock(&apply_mu_);
  writer_.reset();
}

absl::StatusOr<std::unique_ptr<ViewEngine>> ViewEngine::Open(
    std::unique_ptr<ViewStore> store, std::vector<std::unique_ptr<Projection>> projections,
    ViewEngineOptions options) {
  if (store == nullptr) return absl::InvalidArgumentError("ViewEngine: no view store");
  if (options.max_batch_entries == 0 || options.bulk_batch_entries == 0 ||
      options.window_entries == 0) {
    return absl::InvalidArgumentError(
        "ViewEngine: max_batch_entries, bulk_batch_entries and window_entries must be at least "
        "1");
  }
  std::set<std::string> names;
  std::set<schema::ViewTag> tags;
  std::vector<View> views;
  for (auto& p : projections) {
    if (p == nullptr) return absl::InvalidArgumentError("ViewEngine: null projection");
    if (p->tag() == schema::ViewTag::kMeta || !tags.insert(p->tag()).second ||
        !names.insert(std::string(p->name())).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ViewEngine: view \"", p->name(), "\" reuses a name or tag (or the meta tag)"));
    }
    View v;
    v.prefix = schema::ViewPrefix(p->tag(), p->name());
    v.watermark_key = schema::WatermarkKey(v.prefix);
    v.projection = std::move(p);
    views.push_back(std::move(v));
  }
  std::unique_ptr<ViewEngine> engine(
      new ViewEngine(std::move(store), std::move(views), options));
  LEDGER_RETURN_IF_ERROR(engine->LoadState());
  return engine;
}

ViewEngine::ViewEngine(std::unique_ptr<ViewStore> store, std::vector<View> views,
                       ViewEngineOptions options)
    : store_(std::move(store)), options_(options), views_(std::move(views)) {
  watermarks_.assign(views_.size(), 0);
  // Lanes: the views in tag order (so each lane is a contiguous key range and the lanes ascend),
  // cut into runs whose sizes differ by at most one.
  std::vector<size_t> order(views_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    return views_[a].projection->tag() < views_[b].projection->tag();
  });
  size_t lanes = options_.lanes > 0 ? options_.lanes
                                    : std::max<size_t>(1, std::thread::hardware_concurrency());
  lanes = std::max<size_t>(1, std::min(lanes, views_.size()));
  lanes_.resize(lanes);
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t lane = k * lanes / order.size();
    views_[order[k]].lane = lane;
    lanes_[lane].push_back(order[k]);
  }
  runner_ = std::make_unique<ParallelRunner>(static_cast<int>(lanes) - 1, "views-lane",
                                             options_.thread_nice);
}

absl::Status ViewEngine::LoadState() {
  absl::MutexLock apply_lock(&apply_mu_);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> version,
                          store_->Get(schema::MetaSchemaKey()));
  if (!version.has_value()) {
    bool empty = true;
    LEDGER_RETURN_IF_ERROR(store_->Scan("", "", [&empty](absl::string_view, absl::string_view) {
      empty = false;
      return false;
    }));
    if (empty) {
      ViewBatch batch;
      batch.Put(schema::MetaSchemaKey(), schema::EncodeU32(schema::kViewSchemaVersion));
      return store_->Write(batch);  // Watermarks are absent: every view is at 0.
    }
    needs_rebuild_ = true;
    needs_rebuild_reason_ = "the view database has no schema version";
    return absl::OkStatus();
  }
  absl::StatusOr<uint32_t> v = schema::DecodeU32(*version, "schema version");
  if (!v.ok() || *v != schema::kViewSchemaVersion) {
    needs_rebuild_ = true;
    needs_rebuild_reason_ =
        v.ok() ? absl::StrCat("view schema version ", *v, " differs from this release's ",
                              schema::kViewSchemaVersion)
               : std::string(v.status().message());
    return absl::OkStatus();
  }
  std::vector<TreeSize> wm(views_.size(), 0);
  for (size_t i = 0; i < views_.size(); ++i) {
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                            store_->Get(views_[i].watermark_key));
    if (bytes.has_value()) {
      LEDGER_ASSIGN_OR_RETURN(wm[i], schema::DecodeU64(*bytes, "watermark"));
    }
  }
  absl::MutexLock lock(&state_mu_);
  watermarks_ = std::move(wm);
  return absl::OkStatus();
}

TreeSize ViewEngine::Watermark() const {
  absl::MutexLock lock(&state_mu_);
  if (watermarks_.empty()) return 0;
  return *std::min_element(watermarks_.begin(), watermarks_.end());
}

absl::StatusOr<TreeSize> ViewEngine::ViewWatermark(absl::string_view view_name) const {
  absl::MutexLock lock(&state_mu_);
  for (size_t i = 0; i < views_.size(); ++i) {
    if (views_[i].projection->name() == view_name) return watermarks_[i];
  }
  return absl::NotFoundError(absl::StrCat("no view named \"", view_name, "\""));
}

std::vector<std::string> ViewEngine::ViewNames() const {
  std::vector<std::string> names;
  for (const View& v : views_) names.emplace_back(v.projection->name());
  return names;
}

absl::StatusOr<CatchUpResult> ViewEngine::CatchUp(const store::LogStore& log,
                                                  const CatchUpOptions& options) {
  absl::MutexLock lock(&apply_mu_);
  if (needs_rebuild_) return RebuildLocked(log, options, needs_rebuild_reason_);
  LEDGER_ASSIGN_OR_RETURN(std::string mismatch, CheckFingerprint(log));
  if (!mismatch.empty()) return RebuildLocked(log, options, mismatch);
  return CatchUpLocked(log, options, /*rebuilding=*/false);
}

absl::StatusOr<CatchUpResult> ViewEngine::Rebuild(const store::LogStore& log,
                                                  const CatchUpOptions& options) {
  absl::MutexLock lock(&apply_mu_);
  return RebuildLocked(log, options, "requested");
}

absl::StatusOr<std::string> ViewEngine::CheckFingerprint(const store::LogStore& log) {
  TreeSize applied = 0;
  {
    absl::MutexLock lock(&state_mu_);
    for (TreeSize w : watermarks_) applied = std::max(applied, w);
  }
  if (applied == 0) return std::string();
  const TreeSize head = log.Head().tree_size;
  if (head < applied) {
    return absl::StrCat("the log has ", head, " entries but the views have applied ", applied,
                        ": they were built from another log");
  }
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          store_->Get(schema::MetaFingerprintKey()));
  if (!bytes.has_value()) return std::string("the views have no log fingerprint");
  absl::StatusOr<schema::Fingerprint> f = schema::DecodeFingerprint(*bytes);
  if (!f.ok()) return std::string(f.status().message());
  if (f->sequence + 1 != applied) {
    return absl::StrCat("the log fingerprint is of entry ", f->sequence, ", not of entry ",
                        applied - 1);
  }
  LEDGER_ASSIGN_OR_RETURN(std::string leaf, log.GetEntry(f->sequence));
  if (merkle::HashLeaf(leaf) != f->leaf_hash) {
    return absl::StrCat("log entry ", f->sequence,
                        " differs from the one the views were built from: they were built "
                        "from another log");
  }
  return std::string();
}

absl::StatusOr<CatchUpResult> ViewEngine::RebuildLocked(const store::LogStore& log,
                                                        const CatchUpOptions& options,
                                                        std::string reason) {
  LEDGER_RETURN_IF_ERROR(store_->Clear());
  NotifyCleared();
  ViewBatch batch;
  batch.Put(schema::MetaSchemaKey(), schema::EncodeU32(schema::kViewSchemaVersion));
  LEDGER_RETURN_IF_ERROR(store_->Write(batch));
  LEDGER_CRASH_POINT("views-rebuild-cleared");
  {
    absl::MutexLock lock(&state_mu_);
    std::fill(watermarks_.begin(), watermarks_.end(), 0);
  }
  needs_rebuild_ = false;
  needs_rebuild_reason_.clear();
  LEDGER_ASSIGN_OR_RETURN(CatchUpResult result,
                          CatchUpLocked(log, options, /*rebuilding=*/true));
  result.rebuilt = true;
  result.rebuild_reason = std::move(reason);
  return result;
}

namespace {

// A window of a catch-up's batch: its entries read from the log, then decoded.
struct Window {
  static constexpr size_t kDecodeChunk = 512;  // entries per parallel decoding task

  TreeSize begin = 0;
  TreeSize end = 0;
  std::vector<std::string> leaves;  // reused from window to window: no allocation once grown
  std::vector<core::StoredEntry> entries;
  size_t read = 0;                 // entries [begin, begin + read) were read
  SequenceNumber expected = 0;     // the next sequence the scan expected
  absl::Status scan_status;        // the log store's scan failed
  absl::Status read_status;        // the log store returned an unexpected sequence
  // Per chunk: the first entry that did not decode and why (`read`: none).
  std::vector<std::pair<size_t, absl::Status>> decode_errors;

  size_t chunks() const { return (read + kDecodeChunk - 1) / kDecodeChunk; }
  // The first entry that did not decode (`read` when all did). Once every chunk is decoded.
  size_t FirstBad() const {
    size_t first = read;
    for (const auto& [i, st] : decode_errors) {
      if (!st.ok() && i < first) first = i;
    }
    return first;
  }
  absl::Status DecodeStatus(size_t first_bad) const {
    for (const auto& [i, st] : decode_errors) {
      if (i == first_bad && !st.ok()) return st;
    }
    return absl::OkStatus();
  }
};

// Reads the leaf data of entries [begin, end) into *w (into the strings of its previous
// window). A gap or a short read is left in w->read_status / w->expected: it is reported after
// the entries before it are applied, as an error of the first bad entry would be.
void ReadWindow(const store::LogStore& log, TreeSize begin, TreeSize end, Window* w) {
  w->begin = begin;
  w->end = end;
  w->read = 0;
  w->expected = begin;
  w->read_status = absl::OkStatus();
  w->scan_status = log.ScanEntries(begin, end, [w](SequenceNumber seq, absl::string_view leaf) {
    if (seq != w->expected) {
      w->read_status = absl::DataLossError(absl::StrCat(
          "log store returned entry ", seq, " where entry ", w->expected, " was expected"));
      return false;
    }
    if (w->read == w->leaves.size()) w->leaves.emplace_back();
    w->leaves[w->read++].assign(leaf.data(), leaf.size());
    ++w->expected;
    return true;
  });
  if (w->entries.size() < w->read) w->entries.resize(w->read);
  w->decode_errors.assign(w->chunks(), {w->read, absl::OkStatus()});
}

// Decodes chunk `c` of *w's entries; stops at the first that does not decode.
void DecodeChunk(Window* w, size_t c) {
  const size_t last = std::min(w->read, (c + 1) * Window::kDecodeChunk);
  for (size_t i = c * Window::kDecodeChunk; i < last; ++i) {
    // Into the entry of the window before (its memory reused).
    absl::Status s = core::DecodeStoredEntryInto(w->begin + i, w->leaves[i], &w->entries[i]);
    if (!s.ok()) {
      w->decode_errors[c] = {i, std::move(s)};
      return;
    }
  }
}

}  // namespace

absl::StatusOr<CatchUpResult> ViewEngine::CatchUpLocked(const store::LogStore& log,
                                                        const CatchUpOptions& options,
                                                        bool rebuilding) {
  // `applied`: what the batches built so far contain (decides which views an entry goes to);
  // watermarks_ (published) moves only once a batch is written.
  std::vector<TreeSize> applied;
  {
    absl::MutexLock lock(&state_mu_);
    applied = watermarks_;
  }
  const TreeSize head = log.Head().tree_size;
  TreeSize begin = applied.empty() ? head : *std::min_element(applied.begin(), applied.end());
  CatchUpResult result;
  ViewWriteOptions write_options;
  write_options.bulk =
      rebuilding || head - std::min(begin, head) > options_.bulk_catch_up_entries;
  write_options.as_file =
      write_options.bulk || (options_.file_catch_up_entries > 0 &&
                             head - std::min(begin, head) >= options_.file_catch_up_entries);
  const size_t batch_entries =
      write_options.as_file ? options_.bulk_batch_entries : options_.max_batch_entries;

  // Pipelining: batch k is written by a helper thread while batch k+1 is applied; batch k+1
  // reads through batch k (OverlayReader), so it sees the same state as if k were written.
  // At most one write is in flight, so the store receives the batches in order. A "batch" is
  // one ViewBatch per lane, written as one.
  const size_t lanes = lanes_.size();
  struct InFlight {
    std::vector<std::unique_ptr<ViewBatch>> batches;  // one per lane
    std::vector<TreeSize> watermarks;
    TreeSize end = 0;
  };
  std::optional<InFlight> in_flight;
  // Written batches, cleared for reuse: their arenas and tables are already allocated and
  // faulted in, which fresh batches of a bulk catch-up's size (hundreds of MiB) would pay again.
  std::vector<std::unique_ptr<ViewBatch>> spare;
  if (writer_ == nullptr && begin < head) {
    writer_ = std::make_unique<Writer>(
        store_.get(), [this](const ViewBatch& b) { NotifyWritten(b); }, options_.thread_nice);
  }
  // Waits for the write in flight; publishes its watermarks once the store has applied it.
  auto finish_write = [&]() -> absl::Status {
    if (!in_flight.has_value()) return absl::OkStatus();
    absl::Status s = writer_->Wait();
    InFlight done = std::move(*in_flight);
    in_flight.reset();
    if (!s.ok()) return s;
    for (std::unique_ptr<ViewBatch>& b : done.batches) b->Clear();
    spare = std::move(done.batches);
    {
      absl::MutexLock lock(&state_mu_);
      watermarks_ = done.watermarks;
    }
    if (options.progress) options.progress(CatchUpProgress{done.end, head, rebuilding});
    return absl::OkStatus();
  };
  // On any error: the batch in flight may still land; wait for it before returning.
  auto fail = [&](absl::Status error) -> absl::Status {
    finish_write().IgnoreError();  // `error` is what the caller needs to know
    return error;
  };

  // The log is read, decoded and applied a window of entries at a time (a window never
  // straddles two batches), so that at most three windows (options_.window_entries each) are
  // alive at once whatever the batch's size: `cur` is applied while `ahead` (read already) is
  // decoded and the window after it is read, all in one parallel job with the lanes. The
  // applying thread (which takes the first lane) then does nothing but apply; the pipeline runs
  // on across batches, so a batch's first window is ready when the batch starts.
  auto parallel_for = [&](const Window& w) {
    return lanes > 1 && (write_options.bulk || options_.parallel_live) &&
           w.end - w.begin >= options_.parallel_min_entries;
  };
  const TreeSize first_batch_begin = begin;
  // The window that starts at `from`: up to window_entries, to the end of its batch at most.
  auto window_end = [&](TreeSize from) {
    const TreeSize batch_end =
        first_batch_begin + ((from - first_batch_begin) / batch_entries + 1) * batch_entries;
    return std::min<TreeSize>({head, batch_end, from + options_.window_entries});
  };
  // Whether the window after `w` can be read: `w` was read whole, and the log goes on.
  auto read_on = [&](const Window& w) {
    return w.scan_status.ok() && w.read_status.ok() && w.expected == w.end && w.end < head;
  };
  Window windows[3];
  Window* cur = &windows[0];    // the window to apply next: read and decoded
  Window* ahead = nullptr;      // the one after it: read, not yet decoded (nullptr: none)
  Window* spare_window = &windows[2];
  if (begin < head) {
    ReadWindow(log, begin, window_end(begin), cur);
    if (cur->scan_status.ok()) {
      if (parallel_for(*cur)) {
        runner_->ForEach(cur->chunks(), [&](size_t c) { DecodeChunk(cur, c); });
      } else {
        for (size_t c = 0; c < cur->chunks(); ++c) DecodeChunk(cur, c);
      }
    }
    if (read_on(*cur)) {
      ahead = &windows[1];
      ReadWindow(log, cur->end, window_end(cur->end), ahead);
    } else {
      spare_window = &windows[1];
    }
  }
  while (begin < head) {
    if (options.cancel != nullptr && options.cancel->load()) {
      LEDGER_RETURN_IF_ERROR(finish_write());
      if (write_options.bulk) LEDGER_RETURN_IF_ERROR(store_->Flush());
      return absl::CancelledError(
          absl::StrCat("view catch-up cancelled at watermark ", begin, " of ", head));
    }
    const TreeSize end = std::min<TreeSize>(head, begin + batch_entries);
    const size_t n = static_cast<size_t>(end - begin);
    std::vector<std::unique_ptr<ViewBatch>> batches(lanes);
    for (size_t l = 0; l < lanes; ++l) {
      if (l < spare.size() && spare[l] != nullptr) {
        batches[l] = std::move(spare[l]);
      } else {
        batches[l] = std::make_unique<ViewBatch>();
      }
      // As many keys per entry as the lane's last batch wrote (at first: an entry writes about
      // a dozen keys over all views, a claim's assert ~13: view_schema.h), plus the watermarks.
      if (lane_keys_per_entry_.size() != lanes) {
        lane_keys_per_entry_.assign(lanes, 0);
        for (size_t k = 0; k < lanes; ++k) {
          lane_keys_per_entry_[k] =
              14.0 * lanes_[k].size() / std::max<size_t>(1, views_.size());
        }
      }
      batches[l]->Fit(static_cast<size_t>(n * lane_keys_per_entry_[l] * 1.1) +
                      lanes_[l].size() + 2);
    }
    spare.clear();

    Hash last_leaf_hash{};
    while (true) {
      if (!cur->scan_status.ok()) return fail(cur->scan_status);
      const bool parallel = parallel_for(*cur);
      const size_t first_bad = cur->FirstBad();
      const size_t next_chunks = ahead != nullptr && ahead->scan_status.ok() ? ahead->chunks() : 0;
      // The window after `ahead`, read in this job (the log's iterator is serial: one task).
      Window* after = ahead != nullptr && read_on(*ahead) ? spare_window : nullptr;
      auto read_after = [&]() { ReadWindow(log, ahead->end, window_end(ahead->end), after); };

      // Apply: each lane applies its views to entries [0, first_bad) into its own batch.
      // Per lane: the sequence of the entry that failed and why (sequence max: none failed).
      std::vector<std::pair<SequenceNumber, absl::Status>> apply_errors(
          lanes, {~SequenceNumber{0}, absl::OkStatus()});
      auto apply_lane = [&](size_t l) {
        OverlayReader reader(*store_, *batches[l],
                             in_flight.has_value() ? in_flight->batches[l].get() : nullptr);
        for (size_t i = 0; i < first_bad; ++i) {
          const ViewEntry& entry = cur->entries[i];
          for (size_t v : lanes_[l]) {
            if (applied[v] > entry.sequence) continue;
            absl::Status st = views_[v].projection->Apply(entry, reader, batches[l].get());
            if (!st.ok()) {
              apply_errors[l] = {
                  entry.sequence,
                  st.code() == absl::StatusCode::kDataLoss
                      ? st
                      : Annotate(st, absl::StrCat("view ", views_[v].projection->name(),
                                                  " at log entry ", entry.sequence))};
              return;
            }
          }
        }
      };
      if (parallel && (next_chunks > 0 || after != nullptr)) {
        // One job: the lanes first (the caller takes the first), then the read of the window
        // after `ahead`, then `ahead`'s chunks, taken by whichever thread is free.
        const size_t reads = after != nullptr ? 1 : 0;
        runner_->ForEach(lanes + reads + next_chunks, [&](size_t i) {
          if (i < lanes) {
            apply_lane(i);
          } else if (i < lanes + reads) {
            read_after();
          } else {
            DecodeChunk(ahead, i - lanes - reads);
          }
        });
      } else {
        if (parallel) {
          runner_->ForEach(lanes, apply_lane);
        } else {
          for (size_t l = 0; l < lanes; ++l) apply_lane(l);
        }
        if (next_chunks > 0 && parallel_for(*ahead)) {
          runner_->ForEach(next_chunks, [&](size_t c) { DecodeChunk(ahead, c); });
        } else {
          for (size_t c = 0; c < next_chunks; ++c) DecodeChunk(ahead, c);
        }
        if (after != nullptr) read_after();
      }
      // The error of the earliest entry (of the first lane, in view order, for the same entry),
      // then an entry that did not decode, then a gap in what the log store returned.
      const std::pair<SequenceNumber, absl::Status>* first_error = nullptr;
      for (const auto& e : apply_errors) {
        if (!e.second.ok() && (first_error == nullptr || e.first < first_error->first)) {
          first_error = &e;
        }
      }
      if (first_error != nullptr) return fail(first_error->second);
      if (first_bad < cur->read) return fail(cur->DecodeStatus(first_bad));
      if (!cur->read_status.ok()) return fail(cur->read_status);
      if (cur->expected != cur->end) {
        return fail(absl::DataLossError(absl::StrCat("log store returned entries [",
                                                     cur->begin, ", ", cur->expected, ") of [",
                                                     cur->begin, ", ", cur->end, ")")));
      }
      last_leaf_hash = cur->entries[cur->read - 1].leaf_hash;
      const bool batch_done = cur->end == end;
      // Rotate: `ahead` (decoded now) is applied next, `after` (read now) decoded with it.
      Window* done = cur;
      if (ahead == nullptr) {
        // Nothing was read past `cur`: it ended the log (or a window that failed to read
        // whole, whose error was reported above).
        spare_window = done;
        if (!batch_done) return fail(absl::InternalError("view catch-up: window pipeline ran dry"));
        break;
      }
      cur = ahead;
      ahead = after;
      spare_window = done;  // (when nothing was read into the spare, either one is free)
      if (batch_done) break;
    }
    for (size_t l = 0; l < lanes && n > 0; ++l) {
      lane_keys_per_entry_[l] = static_cast<double>(batches[l]->size()) / n;
    }
    for (size_t i = 0; i < views_.size(); ++i) {
      if (applied[i] < end) {
        batches[views_[i].lane]->Put(views_[i].watermark_key, schema::EncodeU64(end));
      }
      applied[i] = std::max(applied[i], end);
    }
    batches[0]->Put(schema::MetaFingerprintKey(),
                    schema::EncodeFingerprint(schema::Fingerprint{end - 1, last_leaf_hash}));
    LEDGER_RETURN_IF_ERROR(finish_write());
    InFlight next;
    next.batches = std::move(batches);
    next.watermarks = applied;
    next.end = end;
    std::vector<const ViewBatch*> to_write;
    for (const auto& b : next.batches) {
      b->Settle();  // from here on, the writer and the lanes only read it
      to_write.push_back(b.get());
    }
    writer_->Start(std::move(to_write), write_options);
    in_flight = std::move(next);
    result.entries_applied += end - begin;
    begin = end;
  }
  LEDGER_RETURN_IF_ERROR(finish_write());
  if (write_options.bulk && result.entries_applied > 0) LEDGER_RETURN_IF_ERROR(store_->Flush());
  result.watermark = applied.empty() ? head : *std::min_element(applied.begin(), applied.end());
  return result;
}

absl::StatusOr<ViewDigest> ViewEngine::Digest(absl::string_view view_name) const {
  const View* view = nullptr;
  for (const View& v : views_) {
    if (v.projection->name() == view_name) view = &v;
  }
  if (view == nullptr) return absl::NotFoundError(absl::StrCat("no view named \"", view_name, "\""));
  ViewDigest out;
  out.digest = crypto::Sha256Concat({kDigestDomain, view_name});
  absl::Status decode_status;
  LEDGER_RETURN_IF_ERROR(store_->Scan(
      view->prefix, schema::PrefixSuccessor(view->prefix),
      [&](absl::string_view key, absl::string_view value) {
        if (key == view->watermark_key) {
          absl::StatusOr<uint64_t> w = schema::DecodeU64(value, "watermark");
          if (!w.ok()) {
            decode_status = w.status();
            return false;
          }
          out.watermark = *w;
          return true;
        }
        std::string lk, lv;
        PutFixed32BE(&lk, static_cast<uint32_t>(key.size()));
        PutFixed32BE(&lv, static_cast<uint32_t>(value.size()));
        out.digest = crypto::Sha256Concat({AsStringView(out.digest), lk, key, lv, value});
        ++out.records;
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode_status);
  return out;
}

}  // namespace ledger::views
