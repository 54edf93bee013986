#include "ledger/audit/auditor.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/key_registry.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"

namespace ledger::audit {
namespace {

constexpr size_t kChunkEntries = 4096;

// A signature to check: entry signatures and checkpoint signatures alike.
struct SignatureJob {
  crypto::PublicKey key{};
  std::string message;
  std::string signature;
  SequenceNumber sequence = 0;  // For checkpoints: tree size.
  bool is_checkpoint = false;
};

// Returns the index of the first job that fails, or jobs.size().
size_t VerifyInParallel(const std::vector<SignatureJob>& jobs, int threads) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> first_bad{jobs.size()};
  auto work = [&] {
    for (;;) {
      size_t i = next.fetch_add(64);
      if (i >= jobs.size()) return;
      size_t end = std::min(jobs.size(), i + 64);
      for (; i < end; ++i) {
        if (!crypto::Ed25519Verify(jobs[i].key, jobs[i].message, jobs[i].signature)) {
          size_t cur = first_bad.load();
          while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return first_bad.load();
}

class Auditor {
 public:
  Auditor(const store::LogStore& store, const core::LogIdentity& trust,
          const AuditOptions& options)
      : store_(store),
        trust_(trust),
        options_(options),
        verifier_{trust.origin, trust.log_public_key},
        registry_(trust.admin_keys),
        claims_(core::ClaimLookup()) {}

  absl::StatusOr<AuditReport> Run();

 private:
  // Records the first problem; returns false so callers can stop.
  bool Fail(std::optional<SequenceNumber> seq, std::string problem) {
    if (report_.problem.empty()) {
      report_.first_bad_sequence = seq;
      report_.problem = std::move(problem);
    }
    return false;
  }
  bool CheckEntry(SequenceNumber seq, absl::string_view leaf_data);
  bool CheckCheckpointsAt(TreeSize size);
  bool FlushSignatures();

  const store::LogStore& store_;
  const core::LogIdentity& trust_;
  const AuditOptions& options_;
  const format::NoteVerifier verifier_;
  core::KeyRegistry registry_;
  // The claim lifecycle state, replayed in memory from the log.
  core::ClaimRules claims_;
  merkle::Frontier frontier_;
  int64_t last_recorded_time_ = 0;
  std::vector<SignatureJob> jobs_;
  // Keys (key id, signature, message) of jobs queued in this chunk / verified earlier.
  absl::flat_hash_set<std::string> pending_;
  absl::flat_hash_set<std::string> verified_;
  // Stored checkpoints (tree size, note), in increasing size; next_checkpoint_ indexes it.
  std::vector<std::pair<TreeSize, std::string>> checkpoints_;
  size_t next_checkpoint_ = 0;
  std::optional<format::Checkpoint> trusted_;
  absl::Status io_error_;
  AuditReport report_;
};

bool Auditor::CheckEntry(SequenceNumber seq, absl::string_view leaf_data) {
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf_data);
  if (!view.ok()) return Fail(seq, absl::StrCat("entry ", seq, ": ", view.status().message()));
  if (absl::Status s = core::ValidateEventId(view->event_id); !s.ok()) {
    return Fail(seq, absl::StrCat("entry ", seq, ": ", s.message()));
  }
  absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(view->event);
  if (!event.ok()) return Fail(seq, absl::StrCat("entry ", seq, ": ", event.status().message()));
  const Hash event_hash = crypto::Sha256(view->event);
  absl::StatusOr<std::optional<store::EventIdRecord>> id_record =
      store_.GetEventId(view->event_id);
  if (!id_record.ok()) return io_error_ = id_record.status(), false;
  if (!id_record->has_value() || (*id_record)->sequence != seq ||
      (*id_record)->event_hash != event_hash) {
    return Fail(seq, absl::StrCat("entry ", seq, ": the idempotency index does not point back "
                                  "at it for event id \"", view->event_id, "\"",
                                  id_record->has_value()
                                      ? absl::StrCat(" (it names entry ", (*id_record)->sequence,
                                                     ")")
                                      : ""));
  }
  if (absl::Status s = registry_.Authorize(*event, view->key_id); !s.ok()) {
    return Fail(seq, absl::StrCat("entry ", seq, ": signer not allowed: ", s.message()));
  }
  const core::KeyRecord* signer = registry_.Find(view->key_id);
  if (absl::Status s = claims_.Authorize(*event, view->key_id, signer->role); !s.ok()) {
    return Fail(seq, absl::StrCat("entry ", seq, ": breaks the claim rules: ", s.message()));
  }
  if (auto applied = claims_.Apply(*event, view->event_id, view->key_id, seq); !applied.ok()) {
    return Fail(seq, absl::StrCat("entry ", seq, ": ", applied.status().message()));
  }
  absl::StatusOr<std::string> message = format::EntrySigningInput(trust_.origin, *view);
  if (!message.ok()) {
    return Fail(seq, absl::StrCat("entry ", seq, ": ", message.status().message()));
  }
  // Members of one signed batch share one signature: it is checked once (the first member's
  // sequence is the one named if it fails).
  std::string job_key = absl::StrCat(view->key_id, view->signature, *message);
  if (verified_.count(job_key) == 0 && pending_.count(job_key) == 0) {
    SignatureJob job;
    job.key = signer->public_key;
    job.message = *std::move(message);
    job.signature = std::string(view->signature);
    job.sequence = seq;
    jobs_.push_back(std::move(job));
    pending_.insert(std::move(job_key));
  }
  registry_.Apply(*event, seq);
  if (view->recorded_time_micros < last_recorded_time_) {
    return Fail(seq, absl::StrCat("entry ", seq, ": recorded time ", view->recorded_time_micros,
                                  " is before the previous entry's ", last_recorded_time_));
  }
  last_recorded_time_ = view->recorded_time_micros;
  const Hash leaf_hash = merkle::HashLeaf(leaf_data);
  absl::StatusOr<std::optional<SequenceNumber>> indexed = store_.GetLeafIndex(leaf_hash);
  if (!indexed.ok()) return io_error_ = indexed.status(), false;
  if (!indexed->has_value() || **indexed != seq) {
    return Fail(seq, absl::StrCat("entry ", seq, ": the leaf hash index does not point back at it"));
  }
  std::vector<std::pair<merkle::NodeId, Hash>> nodes;
  frontier_.Append(leaf_hash, &nodes);
  for (const auto& [id, hash] : nodes) {
    absl::StatusOr<Hash> stored = store_.GetNode(id);
    if (!stored.ok() || *stored != hash) {
      return Fail(seq, absl::StrCat("entry ", seq, ": stored Merkle node (level ", id.level,
                                    ", index ", id.index, ") ",
                                    stored.ok() ? "differs from the recomputed hash"
                                                : std::string(stored.status().message())));
    }
  }
  return CheckCheckpointsAt(frontier_.size());
}

bool Auditor::CheckCheckpointsAt(TreeSize size) {
  if (trusted_.has_value() && trusted_->tree_size == size &&
      trusted_->root_hash != frontier_.Root()) {
    return Fail(size == 0 ? std::nullopt : std::optional<SequenceNumber>(size - 1),
                absl::StrCat("the log is not consistent with the trusted checkpoint: at tree "
                             "size ", size, " its root is ", HexEncode(frontier_.Root()),
                             ", the trusted checkpoint says ",
                             HexEncode(trusted_->root_hash)));
  }
  while (next_checkpoint_ < checkpoints_.size() &&
         checkpoints_[next_checkpoint_].first == size) {
    const std::string& note = checkpoints_[next_checkpoint_++].second;
    absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(note);
    if (!parsed.ok()) {
      return Fail(std::nullopt, absl::StrCat("checkpoint at tree size ", size, ": ",
                                             parsed.status().message()));
    }
    if (parsed->origin != trust_.origin || parsed->tree_size != size ||
        parsed->root_hash != frontier_.Root()) {
      return Fail(std::nullopt,
                  absl::StrCat("checkpoint at tree size ", size,
                               " does not match the log (origin, size or root differ)"));
    }
    absl::StatusOr<format::Checkpoint> verified = format::VerifyCheckpoint(note, verifier_);
    if (!verified.ok()) {
      return Fail(std::nullopt, absl::StrCat("checkpoint at tree size ", size, ": ",
                                             verified.status().message()));
    }
    ++report_.checkpoints_checked;
  }
  return true;
}

bool Auditor::FlushSignatures() {
  if (jobs_.empty()) return true;
  int threads = options_.threads > 0 ? options_.threads
                                     : std::max(1u, std::thread::hardware_concurrency());
  size_t bad = VerifyInParallel(jobs_, threads);
  report_.signatures_checked += std::min(bad, jobs_.size());
  bool ok = bad == jobs_.size();
  if (!ok) {
    const SignatureJob& job = jobs_[bad];
    // A signature problem comes before any later problem the sequential pass found.
    report_.problem.clear();
    Fail(job.sequence, absl::StrCat("entry ", job.sequence,
                                    ": the Ed25519 signature does not verify"));
  }
  jobs_.clear();
  // Remember the batch signatures just checked, so a batch spanning chunks is checked once;
  // bounded, since only recent batches can continue in the next chunk.
  if (verified_.size() > 4 * kChunkEntries) verified_.clear();
  for (auto& k : pending_) verified_.insert(k);
  pending_.clear();
  return ok;
}

absl::StatusOr<AuditReport> Auditor::Run() {
  if (options_.verify_storage_checksums) {
    absl::Status s = store_.VerifyStorageChecksums();
    if (!s.ok()) {
      Fail(std::nullopt, absl::StrCat("storage checksums: ", s.message()));
      return report_;
    }
  }
  const store::LogHead head = store_.Head();
  report_.tree_size = head.tree_size;
  LEDGER_RETURN_IF_ERROR(store_.ScanCheckpoints([&](TreeSize size, absl::string_view note) {
    checkpoints_.emplace_back(size, std::string(note));
    return true;
  }));
  if (!checkpoints_.empty() && checkpoints_.back().first > head.tree_size) {
    Fail(std::nullopt, absl::StrCat("a checkpoint is stored for tree size ",
                                    checkpoints_.back().first, ", beyond the log's size ",
                                    head.tree_size));
    return report_;
  }
  if (!options_.trusted_checkpoint.empty()) {
    absl::StatusOr<format::Checkpoint> t =
        format::VerifyCheckpoint(options_.trusted_checkpoint, verifier_);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the trusted checkpoint does not verify: ", t.status().message()));
    }
    trusted_ = *t;
    if (trusted_->tree_size > head.tree_size) {
      Fail(head.tree_size,
           absl::StrCat("the log has ", head.tree_size, " entries but the trusted checkpoint has ",
                        trusted_->tree_size, ": entries were removed (truncation or rollback)"));
      return report_;
    }
  }
  if (!CheckCheckpointsAt(0)) return report_;
  SequenceNumber next = 0;
  bool stop = false;
  while (!stop && next < head.tree_size) {
    SequenceNumber end = std::min<SequenceNumber>(head.tree_size, next + kChunkEntries);
    SequenceNumber expected = next;
    absl::Status scan =
        store_.ScanEntries(next, end, [&](SequenceNumber seq, absl::string_view leaf) {
          if (seq != expected) {
            stop = !Fail(expected, absl::StrCat("entry ", expected, " is missing"));
            return false;
          }
          ++expected;
          ++report_.entries_checked;
          if (!CheckEntry(seq, leaf)) {
            stop = true;
            return false;
          }
          return true;
        });
    if (absl::IsDataLoss(scan) && !stop) {
      // The store found the gap or damage itself (e.g. a missing entry key).
      stop = !Fail(expected, absl::StrCat("entry ", expected, " is missing or unreadable: ",
                                          scan.message()));
    } else {
      LEDGER_RETURN_IF_ERROR(scan);
    }
    LEDGER_RETURN_IF_ERROR(io_error_);
    if (!stop && expected != end) {
      stop = !Fail(expected, absl::StrCat("entry ", expected, " is missing"));
    }
    if (!FlushSignatures()) stop = true;
    next = end;
    if (options_.progress) options_.progress(next, head.tree_size);
  }
  if (!report_.problem.empty()) return report_;
  if (frontier_.Root() != head.root_hash) {
    Fail(std::nullopt, absl::StrCat("the stored head root ", HexEncode(head.root_hash),
                                    " differs from the recomputed root ",
                                    HexEncode(frontier_.Root())));
    return report_;
  }
  if (next_checkpoint_ != checkpoints_.size()) {
    Fail(std::nullopt, absl::StrCat("checkpoint at tree size ",
                                    checkpoints_[next_checkpoint_].first,
                                    " was not reached by the scan"));
    return report_;
  }
  report_.root_hash = frontier_.Root();
  report_.ok = true;
  if (!checkpoints_.empty()) report_.latest_checkpoint = checkpoints_.back().second;
  return report_;
}

}  // namespace

absl::StatusOr<AuditReport> AuditLog(const store::LogStore& store, const core::LogIdentity& trust,
                                     const AuditOptions& options) {
  Auditor auditor(store, trust, options);
  return auditor.Run();
}

}  // namespace ledger::audit
