// The invariant checker every reliability test ends with: given what the clients of a log were
// told (ClientRecord), it checks a data directory against invariants 1-4, 6, 7 and 9 of
// docs/reliability.md, "The guarantees, in plain words":
//
//   1 durability    every acknowledged append is there: same sequence, same leaf (hence bytes)
//   2 no holes      entries 0..size-1 all exist; the log holds only events a client sent, with
//                   the bytes it sent; an atomic request is all in or all out
//   3 integrity     audit::AuditLog is ok (checksums, signatures, leaves, nodes, checkpoints,
//                   head); every checkpoint a client saw verifies and is consistent with the
//                   head (an RFC 6962 consistency proof built from the stored nodes verifies)
//   4 anchor        <dir>/checkpoint.anchor verifies, is no larger than the log, and has the
//                   log's root at its size
//   6 exactly once  each event id at most once; the idempotency index gives the acknowledged
//                   sequence
//   7 monotonic     every stored checkpoint is for the size it is stored under, there is one for
//                   the head, no two seen checkpoints of one size differ, recorded times never
//                   decrease
//   9 no side       no refused event is in the log with the bytes that were refused
//     effects
//
// Example:
//   ClientRecord record;
//   record.Acked("ev-1", result.sequence, result.leaf_hash, Sha256(event_bytes));
//   InvariantReport report = CheckDataDir(dir, record);
//   EXPECT_TRUE(report.ok()) << report.ToString();
#ifndef TESTS_RELIABILITY_INVARIANTS_H_
#define TESTS_RELIABILITY_INVARIANTS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"
#include "ledger/store/log_store.h"

namespace ledger::reliability {

struct AckedEvent {
  std::string event_id;
  SequenceNumber sequence = 0;
  Hash leaf_hash{};   // as acknowledged; all zero when unknown (then event_hash is compared)
  Hash event_hash{};  // SHA-256 of the event bytes sent
};

struct RejectedEvent {
  std::string event_id;
  Hash event_hash{};  // of the refused bytes
};

// What the clients of one log know. Thread-compatible.
struct ClientRecord {
  std::vector<AckedEvent> acked;
  std::vector<RejectedEvent> rejected;
  // Every event id sent (acknowledged, failed or unanswered) -> SHA-256 of the bytes sent.
  // When empty, "the log holds only events a client sent" is not checked.
  std::map<std::string, Hash> submitted;
  // Event ids sent in one all-or-nothing request.
  std::vector<std::vector<std::string>> atomic_groups;
  // Signed checkpoints clients received.
  std::vector<std::string> seen_checkpoints;

  void Submitted(absl::string_view event_id, const Hash& event_hash);
  void Acked(absl::string_view event_id, SequenceNumber sequence, const Hash& leaf_hash,
             const Hash& event_hash);
  void Rejected(absl::string_view event_id, const Hash& event_hash);
  void Seen(absl::string_view checkpoint);
};

struct CheckOptions {
  // Invariant 4 needs an anchor file (false: checked only when there is one).
  bool require_anchor = true;
  // After a clean shutdown the anchor must be at the head.
  bool require_anchor_at_head = false;
  // Trusted identity; nullopt: the data directory's own (ReadIdentity).
  std::optional<core::LogIdentity> trust;
  // Invariant 3 runs audit::AuditLog; a caller that runs the same audit another way (e.g.
  // `ledgerctl verify`) may skip it here.
  bool run_audit = true;
  // Run DB::VerifyChecksum in the audit.
  bool verify_storage_checksums = true;
};

struct InvariantReport {
  TreeSize tree_size = 0;
  Hash root_hash{};
  std::optional<TreeSize> anchored_size;
  // Every entry's event id -> its sequence (for finding what became of unanswered requests).
  std::map<std::string, SequenceNumber> present;
  // "[<n> <invariant>] what is wrong"; empty when every invariant holds.
  std::vector<std::string> violations;

  bool ok() const { return violations.empty(); }
  std::string ToString() const;
};

// Checks a closed data directory (the store is opened read-only; nothing is written).
InvariantReport CheckDataDir(const std::string& dir, const ClientRecord& record,
                             const CheckOptions& options = CheckOptions());

// Checks an open store (e.g. core::Log::store()); `anchor_note` is the anchor file's content,
// nullopt when there is none. `trust` is required here.
InvariantReport CheckStore(const store::LogStore& store, const std::optional<std::string>& anchor_note,
                           const ClientRecord& record, const CheckOptions& options);

}  // namespace ledger::reliability

#endif  // TESTS_RELIABILITY_INVARIANTS_H_
