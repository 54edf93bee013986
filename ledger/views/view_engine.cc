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
  Writer(ViewStore* store, std::function<void(const ViewBatch&)> on_written)
      : store_(store), on_written_(std::move(on_written)) {
    thread_ = std::thread([this] {
      SetCurrentThreadName("views-write");
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

  // Starts writing `batch` (which must stay valid until Wait returns). Precondition: idle.
  void Start(const ViewBatch* batch, const ViewWriteOptions& options) {
    absl::MutexLock lock(&mu_);
    batch_ = batch;
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
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return batch_ != nullptr || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (batch_ == nullptr) return;
      const ViewBatch* batch = batch_;
      const ViewWriteOptions options = options_;
      mu_.Unlock();
      LEDGER_CRASH_POINT("views-before-write");
      absl::Status s = store_->Write(*batch, options);
      if (s.ok()) on_written_(*batch);
      mu_.Lock();
      result_ = std::move(s);
      batch_ = nullptr;
      busy_ = false;
    }
  }

  ViewStore* const store_;
  const std::function<void(const ViewBatch&)> on_written_;
  absl::Mutex mu_;
  const ViewBatch* batch_ ABSL_GUARDED_BY(mu_) = nullptr;
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
  if (options.max_batch_entries == 0 || options.bulk_batch_entries == 0) {
    return absl::InvalidArgumentError(
        "ViewEngine: max_batch_entries and bulk_batch_entries must be at least 1");
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
  // At most one write is in flight, so the store receives the batches in order.
  struct InFlight {
    std::unique_ptr<ViewBatch> batch;
    std::vector<TreeSize> watermarks;
    TreeSize end = 0;
  };
  std::optional<InFlight> in_flight;
  // A written batch, cleared for reuse: its arena and table are already allocated and faulted
  // in, which a fresh batch of a bulk catch-up's size (hundreds of MiB) would pay again.
  std::unique_ptr<ViewBatch> spare;
  if (writer_ == nullptr && begin < head) {
    writer_ = std::make_unique<Writer>(store_.get(),
                                       [this](const ViewBatch& b) { NotifyWritten(b); });
  }
  // Waits for the write in flight; publishes its watermarks once the store has applied it.
  auto finish_write = [&]() -> absl::Status {
    if (!in_flight.has_value()) return absl::OkStatus();
    absl::Status s = writer_->Wait();
    InFlight done = std::move(*in_flight);
    in_flight.reset();
    if (!s.ok()) return s;
    done.batch->Clear();
    spare = std::move(done.batch);
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

  while (begin < head) {
    if (options.cancel != nullptr && options.cancel->load()) {
      LEDGER_RETURN_IF_ERROR(finish_write());
      if (write_options.bulk) LEDGER_RETURN_IF_ERROR(store_->Flush());
      return absl::CancelledError(
          absl::StrCat("view catch-up cancelled at watermark ", begin, " of ", head));
    }
    const TreeSize end = std::min<TreeSize>(head, begin + batch_entries);
    std::unique_ptr<ViewBatch> batch =
        spare != nullptr ? std::move(spare) : std::make_unique<ViewBatch>();
    // An entry writes about two dozen keys (claims and index records), plus the watermarks.
    batch->Reserve((end - begin) * 24 + views_.size() + 1);
    OverlayReader reader(*store_, *batch, in_flight.has_value() ? in_flight->batch.get() : nullptr);
    absl::Status apply_status;
    SequenceNumber expected = begin;
    Hash last_leaf_hash{};
    absl::Status scan_status = log.ScanEntries(
        begin, end, [&](SequenceNumber seq, absl::string_view leaf) -> bool {
          if (seq != expected) {
            apply_status = absl::DataLossError(absl::StrCat(
                "log store returned entry ", seq, " where entry ", expected, " was expected"));
            return false;
          }
          absl::StatusOr<ViewEntry> decoded = core::DecodeStoredEntry(seq, leaf);
          if (!decoded.ok()) {
            apply_status = decoded.status();
            return false;
          }
          const ViewEntry& entry = *decoded;
          for (size_t i = 0; i < views_.size(); ++i) {
            if (applied[i] > seq) continue;
            absl::Status s = views_[i].projection->Apply(entry, reader, batch.get());
            if (!s.ok()) {
              apply_status =
                  s.code() == absl::StatusCode::kDataLoss
                      ? s
                      : Annotate(s, absl::StrCat("view ", views_[i].projection->name(),
                                                 " at log entry ", seq));
              return false;
            }
          }
          if (seq + 1 == end) last_leaf_hash = entry.leaf_hash;
          ++expected;
          return true;
        });
    if (!scan_status.ok()) return fail(scan_status);
    if (!apply_status.ok()) return fail(apply_status);
    if (expected != end) {
      return fail(absl::DataLossError(absl::StrCat(
          "log store returned entries [", begin, ", ", expected, ") of [", begin, ", ", end, ")")));
    }
    for (size_t i = 0; i < views_.size(); ++i) {
      if (applied[i] < end) batch->Put(views_[i].watermark_key, schema::EncodeU64(end));
      applied[i] = std::max(applied[i], end);
    }
    batch->Put(schema::MetaFingerprintKey(),
               schema::EncodeFingerprint(schema::Fingerprint{end - 1, last_leaf_hash}));
    LEDGER_RETURN_IF_ERROR(finish_write());
    InFlight next;
    next.batch = std::move(batch);
    next.watermarks = applied;
    next.end = end;
    writer_->Start(next.batch.get(), write_options);
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
