#include "tests/reliability/invariants.h"

#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/audit/auditor.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/verify.h"

namespace ledger::reliability {
namespace {

std::string Short(const Hash& h) { return HexEncode(h).substr(0, 12); }

bool IsZero(const Hash& h) { return h == Hash{}; }

class Checker {
 public:
  Checker(const store::LogStore& store, const core::LogIdentity& trust,
          const std::optional<std::string>& anchor_note, const ClientRecord& record,
          const CheckOptions& options, InvariantReport* report)
      : store_(store),
        trust_(trust),
        anchor_note_(anchor_note),
        record_(record),
        options_(options),
        report_(report),
        verifier_{trust.origin, trust.log_public_key},
        read_([this](merkle::NodeId id) { return store_.GetNode(id); }) {}

  void Run() {
    const store::LogHead head = store_.Head();
    report_->tree_size = head.tree_size;
    report_->root_hash = head.root_hash;
    ScanEntries(head);
    CheckDurability();
    CheckAtomicGroups();
    CheckRejections();
    if (options_.run_audit) CheckAudit();
    CheckSeenCheckpoints(head);
    CheckStoredCheckpoints(head);
    CheckAnchor(head);
  }

 private:
  template <typename... Args>
  void Violation(absl::string_view invariant, const Args&... args) {
    report_->violations.push_back(absl::StrCat("[", invariant, "] ", args...));
  }

  // Invariants 2 (no holes, only what was sent), 6 (each id once), 7 (times never decrease).
  void ScanEntries(const store::LogHead& head) {
    SequenceNumber expected = 0;
    int64_t last_time = 0;
    absl::Status s = store_.ScanEntries(0, head.tree_size, [&](SequenceNumber seq,
                                                               absl::string_view leaf) {
      if (seq != expected) {
        Violation("2 no holes", "entry ", expected, " is missing (next stored entry is ", seq,
                  ")");
        expected = seq;
      }
      ++expected;
      absl::StatusOr<core::LogEntry> e = core::DecodeLogEntry(seq, std::string(leaf));
      if (!e.ok()) {
        Violation("3 integrity", "entry ", seq, " does not decode: ", e.status().message());
        return true;
      }
      leaf_hashes_[seq] = e->leaf_hash;
      const Hash event_hash = crypto::Sha256(e->event);
      event_hashes_[seq] = event_hash;
      auto [it, inserted] = report_->present.emplace(e->event_id, seq);
      if (!inserted) {
        Violation("6 exactly once", "event id \"", e->event_id, "\" is at ", it->second, " and ",
                  seq);
      }
      if (!record_.submitted.empty()) {
        auto sent = record_.submitted.find(e->event_id);
        if (sent == record_.submitted.end()) {
          Violation("2 no holes", "entry ", seq, " (\"", e->event_id,
                    "\") is not an event any client sent");
        } else if (sent->second != event_hash) {
          Violation("2 no holes", "entry ", seq, " (\"", e->event_id,
                    "\") holds other bytes than the client sent");
        }
      }
      if (e->recorded_time_micros < last_time) {
        Violation("7 monotonic", "recorded time goes back at entry ", seq);
      }
      last_time = e->recorded_time_micros;
      return true;
    });
    if (!s.ok()) Violation("3 integrity", "scanning entries: ", s.message());
    if (s.ok() && expected != head.tree_size) {
      Violation("2 no holes", "the head says ", head.tree_size, " entries but ", expected,
                " are stored");
    }
  }

  // Invariants 1 (durability) and 6 (the idempotency index gives the acknowledged sequence).
  void CheckDurability() {
    for (const AckedEvent& a : record_.acked) {
      auto leaf = leaf_hashes_.find(a.sequence);
      if (leaf == leaf_hashes_.end()) {
        Violation("1 durability", "\"", a.event_id, "\" acknowledged at ", a.sequence,
                  " is gone (the log has ", report_->tree_size, " entries)");
        continue;
      }
      auto at = report_->present.find(a.event_id);
      if (at == report_->present.end() || at->second != a.sequence) {
        Violation("1 durability", "entry ", a.sequence, " is not \"", a.event_id,
                  "\", which was acknowledged there");
        continue;
      }
      if (!IsZero(a.leaf_hash) ? leaf->second != a.leaf_hash
                               : event_hashes_[a.sequence] != a.event_hash) {
        Violation("1 durability", "entry ", a.sequence, " (\"", a.event_id,
                  "\") differs from what was acknowledged");
      }
      absl::StatusOr<std::optional<store::EventIdRecord>> idx = store_.GetEventId(a.event_id);
      if (!idx.ok() || !idx->has_value() || (*idx)->sequence != a.sequence) {
        Violation("6 exactly once", "the idempotency index does not map \"", a.event_id,
                  "\" to its acknowledged sequence ", a.sequence);
      }
    }
  }

  void CheckAtomicGroups() {
    for (const auto& group : record_.atomic_groups) {
      size_t in = 0;
      for (const std::string& id : group) in += report_->present.count(id);
      if (in != 0 && in != group.size()) {
        Violation("2 no holes", "atomic request {", absl::StrJoin(group, ", "), "} is ", in,
                  " of ", group.size(), " in the log");
      }
    }
  }

  // Invariant 9: a refused event is not in the log with the refused bytes.
  void CheckRejections() {
    for (const RejectedEvent& r : record_.rejected) {
      auto at = report_->present.find(r.event_id);
      if (at != report_->present.end() && event_hashes_[at->second] == r.event_hash) {
        Violation("9 no side effects", "refused event \"", r.event_id, "\" is in the log at ",
                  at->second);
      }
    }
  }

  // Invariant 3: the full audit.
  void CheckAudit() {
    audit::AuditOptions options;
    options.verify_storage_checksums = options_.verify_storage_checksums;
    absl::StatusOr<audit::AuditReport> audit = audit::AuditLog(store_, trust_, options);
    if (!audit.ok()) {
      Violation("3 integrity", "the audit could not run: ", audit.status().message());
    } else if (!audit->ok) {
      Violation("3 integrity", "the audit failed",
                audit->first_bad_sequence.has_value()
                    ? absl::StrCat(" at sequence ", *audit->first_bad_sequence)
                    : std::string(),
                ": ", audit->problem);
    }
  }

  // Invariants 3 and 7 for checkpoints clients saw.
  void CheckSeenCheckpoints(const store::LogHead& head) {
    std::map<TreeSize, Hash> roots;
    for (const std::string& note : record_.seen_checkpoints) {
      absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(note, verifier_);
      if (!cp.ok()) {
        Violation("3 integrity", "a checkpoint a client saw does not verify: ",
                  cp.status().message());
        continue;
      }
      auto [it, inserted] = roots.emplace(cp->tree_size, cp->root_hash);
      if (!inserted) {
        if (it->second != cp->root_hash) {
          Violation("7 monotonic", "clients saw two roots for tree size ", cp->tree_size);
        }
        continue;
      }
      if (cp->tree_size > head.tree_size) {
        Violation("1 durability", "a client saw a checkpoint of size ", cp->tree_size,
                  " but the log has ", head.tree_size, " entries");
        continue;
      }
      if (cp->tree_size == 0) continue;  // every tree is consistent with the empty one
      absl::StatusOr<std::vector<Hash>> proof =
          merkle::ConsistencyProof(cp->tree_size, head.tree_size, read_);
      absl::Status ok = proof.status();
      if (ok.ok()) {
        ok = merkle::VerifyConsistency(cp->tree_size, head.tree_size, cp->root_hash,
                                       head.root_hash, *proof);
      }
      if (!ok.ok()) {
        Violation("3 integrity", "the checkpoint of size ", cp->tree_size,
                  " a client saw is not consistent with the head (", head.tree_size, "): ",
                  ok.message());
      }
    }
  }

  // Invariant 7 for stored checkpoints.
  void CheckStoredCheckpoints(const store::LogHead& head) {
    bool head_checkpoint = false;
    absl::Status s = store_.ScanCheckpoints([&](TreeSize size, absl::string_view note) {
      absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
      if (!cp.ok() || cp->tree_size != size) {
        Violation("7 monotonic", "the checkpoint stored under size ", size, " is not for it");
      }
      if (size > head.tree_size) {
        Violation("7 monotonic", "a checkpoint is stored for size ", size,
                  ", beyond the head (", head.tree_size, ")");
      }
      head_checkpoint = head_checkpoint || size == head.tree_size;
      return true;
    });
    if (!s.ok()) Violation("3 integrity", "scanning checkpoints: ", s.message());
    if (!head_checkpoint) {
      Violation("7 monotonic", "no checkpoint is stored for the head's size ", head.tree_size);
    }
  }

  // Invariant 4.
  void CheckAnchor(const store::LogHead& head) {
    if (!anchor_note_.has_value()) {
      if (options_.require_anchor) Violation("4 anchor", "there is no anchor");
      return;
    }
    absl::StatusOr<format::Checkpoint> anchored = datadir::CheckAnchor(
        "checkpoint.anchor", *anchor_note_, verifier_, head, read_);
    if (!anchored.ok()) {
      Violation("4 anchor", anchored.status().message());
      return;
    }
    report_->anchored_size = anchored->tree_size;
    if (options_.require_anchor_at_head && anchored->tree_size != head.tree_size) {
      Violation("4 anchor", "after a clean shutdown the anchor is at ", anchored->tree_size,
                ", not at the head ", head.tree_size);
    }
  }

  const store::LogStore& store_;
  const core::LogIdentity& trust_;
  const std::optional<std::string>& anchor_note_;
  const ClientRecord& record_;
  const CheckOptions& options_;
  InvariantReport* const report_;
  const format::NoteVerifier verifier_;
  const merkle::NodeReader read_;
  std::map<SequenceNumber, Hash> leaf_hashes_;
  std::map<SequenceNumber, Hash> event_hashes_;
};

}  // namespace

void ClientRecord::Submitted(absl::string_view event_id, const Hash& event_hash) {
  submitted[std::string(event_id)] = event_hash;
}

void ClientRecord::Acked(absl::string_view event_id, SequenceNumber sequence,
                         const Hash& leaf_hash, const Hash& event_hash) {
  acked.push_back({std::string(event_id), sequence, leaf_hash, event_hash});
}

void ClientRecord::Rejected(absl::string_view event_id, const Hash& event_hash) {
  rejected.push_back({std::string(event_id), event_hash});
}

void ClientRecord::Seen(absl::string_view checkpoint) {
  if (!checkpoint.empty()) seen_checkpoints.emplace_back(checkpoint);
}

std::string InvariantReport::ToString() const {
  std::string out = absl::StrCat("tree size ", tree_size, ", root ", Short(root_hash),
                                 ", anchor ",
                                 anchored_size.has_value() ? absl::StrCat(*anchored_size)
                                                           : std::string("none"));
  if (ok()) return absl::StrCat(out, ": all invariants hold");
  absl::StrAppend(&out, ": ", violations.size(), " violation(s)");
  constexpr size_t kShown = 20;
  for (size_t i = 0; i < violations.size() && i < kShown; ++i) {
    absl::StrAppend(&out, "\n  ", violations[i]);
  }
  if (violations.size() > kShown) absl::StrAppend(&out, "\n  ...");
  return out;
}

InvariantReport CheckStore(const store::LogStore& store,
                           const std::optional<std::string>& anchor_note,
                           const ClientRecord& record, const CheckOptions& options) {
  InvariantReport report;
  if (!options.trust.has_value()) {
    report.violations.push_back("[setup] CheckStore needs options.trust");
    return report;
  }
  Checker(store, *options.trust, anchor_note, record, options, &report).Run();
  return report;
}

InvariantReport CheckDataDir(const std::string& dir, const ClientRecord& record,
                             const CheckOptions& options) {
  InvariantReport report;
  CheckOptions opts = options;
  if (!opts.trust.has_value()) {
    absl::StatusOr<core::LogIdentity> identity = datadir::ReadIdentity(dir);
    if (!identity.ok()) {
      report.violations.push_back(
          absl::StrCat("[open] cannot read the identity: ", identity.status().message()));
      return report;
    }
    opts.trust = *identity;
  }
  absl::StatusOr<std::optional<std::string>> anchor = datadir::ReadAnchor(nullptr, dir);
  if (!anchor.ok()) {
    report.violations.push_back(
        absl::StrCat("[4 anchor] cannot read the anchor: ", anchor.status().message()));
    return report;
  }
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store = datadir::OpenStoreReadOnly(dir);
  if (!store.ok()) {
    report.violations.push_back(
        absl::StrCat("[open] cannot open the store: ", store.status().message()));
    return report;
  }
  return CheckStore(**store, *anchor, record, opts);
}

}  // namespace ledger::reliability
