// The auditor: recomputes and checks everything a log stores, trusting only the keys it is
// given (never keys the log itself advertises).
//
// Checks, in log order, stopping at the first problem:
//   - the storage engine's block checksums (RocksDB VerifyChecksum);
//   - every entry decodes; its event parses; its event id is well formed, unique, and the
//     idempotency index points back at it with the hash of its bytes;
//   - its signer was registered and unrevoked at that point and allowed to sign it (the key
//     rules of ledger/core/key_registry.h, replayed from the trusted admin keys);
//   - its Ed25519 signature over the v1 signing input verifies (in parallel);
//   - recorded times never go back;
//   - its leaf hash equals the stored leaf node and the leaf index; every stored perfect
//     subtree equals the recomputed one; the head's root equals the recomputed root;
//   - every stored checkpoint is signed by the trusted log key for the trusted origin and has
//     the recomputed root at its size;
//   - an optional trusted checkpoint (from an earlier audit) is consistent: the log is at
//     least that long and has the same root at that size.
#ifndef LEDGER_AUDIT_AUDITOR_H_
#define LEDGER_AUDIT_AUDITOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"
#include "ledger/store/log_store.h"

namespace ledger::audit {

struct AuditOptions {
  // Signature verification threads; 0 means one per core.
  int threads = 0;
  // A signed checkpoint trusted from before (C2SP note text); empty for none.
  std::string trusted_checkpoint;
  bool verify_storage_checksums = true;
  // Entries whose index records are looked up together, sorted by key (0: the default, 256Ki).
  // Larger windows read fewer index blocks and hold ~100 bytes per entry.
  size_t index_window_entries = 0;
  // The claim records the rules need are kept in memory up to this many, then moved to an
  // on-disk table (claim_spill.h) in a new directory under spill_dir, deleted at the end: the
  // audit's memory does not grow with the number of claims. 0: the default, 65,536.
  size_t claims_in_memory = 0;
  // Where that table goes; empty: the system's temporary directory ($TMPDIR, else /tmp).
  std::string spill_dir;
  // Entries replayed per chunk (0: the default, 4096); claims are spilled between chunks.
  size_t chunk_entries = 0;
  // Called now and then with (entries checked, tree size). May be empty.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct AuditReport {
  bool ok = false;
  TreeSize tree_size = 0;
  Hash root_hash{};
  uint64_t entries_checked = 0;
  uint64_t signatures_checked = 0;
  uint64_t checkpoints_checked = 0;
  // The first entry found bad, when the problem is an entry (or a missing one) and the audit can
  // tell which.
  std::optional<SequenceNumber> first_bad_sequence;
  // When the audit knows only that some entry in [first, last] is bad -- the log's root at a
  // trusted checkpoint's size differs: a root cannot say which of the entries it covers
  // differs -- that range, and no first_bad_sequence.
  std::optional<std::pair<SequenceNumber, SequenceNumber>> bad_range;
  // What is wrong, in words; empty when ok.
  std::string problem;
  // The newest stored checkpoint (verified), to trust next time.
  std::string latest_checkpoint;
};

// Audits `store` against `trust`. Returns a report (ok or naming the first problem); an entry
// the store cannot read (DATA_LOSS or INTERNAL, e.g. an I/O error reading a damaged file) is
// such a problem, named by its sequence. An error status only when the audit itself could not
// run (e.g. the checkpoints or index records cannot be read).
absl::StatusOr<AuditReport> AuditLog(const store::LogStore& store, const core::LogIdentity& trust,
                                     const AuditOptions& options);

}  // namespace ledger::audit

#endif  // LEDGER_AUDIT_AUDITOR_H_
