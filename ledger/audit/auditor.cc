#include "ledger/audit/auditor.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/replayer.h"
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

class Auditor {
 public:
  Auditor(const store::LogStore& store, const core::LogIdentity& trust,
          const AuditOptions& options)
      : store_(store),
        trust_(trust),
        options_(options),
        verifier_{trust.origin, trust.log_public_key},
        genesis_keys_(trust.admin_keys),
        replayer_(trust.origin, &genesis_keys_, core::ClaimLookup(), 0, options.threads) {}

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
  const core::KeyRegistry genesis_keys_;
  // Every rule of format.md §8, as a follower applies them too.
  core::EntryReplayer replayer_;
  merkle::Frontier frontier_;
  // Stored checkpoints (tree size, note), in increasing size; next_checkpoint_ indexes it.
  std::vector<std::pair<TreeSize, std::string>> checkpoints_;
  size_t next_checkpoint_ = 0;
  std::optional<format::Checkpoint> trusted_;
  absl::Status io_error_;
  AuditReport report_;
};

bool Auditor::CheckEntry(SequenceNumber seq, absl::string_view leaf_data) {
  absl::StatusOr<core::ReplayedEntry> entry = replayer_.Add(seq, leaf_data);
  if (!entry.ok()) return Fail(seq, std::string(entry.status().message()));
  // The stored indexes must point back at the entry.
  absl::StatusOr<std::optional<store::EventIdRecord>> id_record =
      store_.GetEventId(entry->event_id);
  if (!id_record.ok()) return io_error_ = id_record.status(), false;
  if (!id_record->has_value() || (*id_record)->sequence != seq ||
      (*id_record)->event_hash != entry->event_hash) {
    return Fail(seq, absl::StrCat("entry ", seq, ": the idempotency index does not point back "
                                  "at it for event id \"", entry->event_id, "\"",
                                  id_record->has_value()
                                      ? absl::StrCat(" (it names entry ", (*id_record)->sequence,
                                                     ")")
                                      : ""));
  }
  const Hash leaf_hash = entry->leaf_hash;
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
  std::optional<SequenceNumber> bad = replayer_.VerifySignatures(&report_.signatures_checked);
  if (!bad.has_value()) return true;
  // A signature problem comes before any later problem the sequential pass found.
  if (!report_.first_bad_sequence.has_value() || *report_.first_bad_sequence >= *bad) {
    report_.problem.clear();
  }
  Fail(*bad, absl::StrCat("entry ", *bad, ": the Ed25519 signature does not verify"));
  return false;
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
