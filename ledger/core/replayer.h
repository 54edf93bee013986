// EntryReplayer: checks stored entries in log order against every rule of docs/format.md §8 —
// the one implementation shared by the auditor (ledger/audit) and followers (which verify a
// leader's entries before storing them).
//
// Per entry, in order: the leaf data decodes; the event id is well formed; the event parses
// (canonical, known fields, valid UTF-8, within the limits); the signer was active and allowed
// to sign it (key rules); the claim lifecycle rules hold; recorded times do not decrease. The
// signature is queued and checked later, in parallel, each distinct (key, signing input,
// signature) once — so the members of a signed batch cost one verification. (Only batch
// signatures are remembered for that: an event signature covers its own event id, so two
// entries never share one that passes the other checks.)
//
// Thread-compatible.
#ifndef LEDGER_CORE_REPLAYER_H_
#define LEDGER_CORE_REPLAYER_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/key_registry.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::core {

// What replaying one entry found and changed.
struct ReplayedEntry {
  std::string event_id;
  Hash event_hash{};
  Hash leaf_hash{};
  int64_t recorded_time_micros = 0;
  std::vector<std::pair<std::string, KeyRecord>> key_changes;
  std::vector<std::pair<std::string, ClaimRecord>> claim_changes;
};

class EntryReplayer {
 public:
  // `keys` is the key state before the first entry (the replayer works on an overlay of it and
  // never changes it; it must outlive the replayer); `claims` looks up committed claim records
  // (an empty function when replaying from the start); `last_recorded_time_micros` is the
  // previous entry's recorded time; `threads` (0 = one per core) verify signatures.
  EntryReplayer(std::string origin, const KeyRegistry* keys, ClaimLookup claims,
                int64_t last_recorded_time_micros, int threads);

  // Checks entry `sequence` and applies it to the replay state. On error (DataLoss, message
  // "entry N: ...") the state is unchanged and the caller must stop.
  absl::StatusOr<ReplayedEntry> Add(SequenceNumber sequence, absl::string_view leaf_data);

  // Verifies the queued signatures. Returns the sequence of the first entry whose signature
  // does not verify, or nullopt when all do. Adds the number of signatures checked to
  // *checked (may be null).
  std::optional<SequenceNumber> VerifySignatures(uint64_t* checked);

  // One queued signature check: the first entry that needs it.
  struct SignatureJob {
    crypto::PublicKey key{};
    std::string message;
    std::string signature;
    SequenceNumber sequence = 0;
  };

  // Takes the queued signature checks, in log order, for the caller to verify (e.g. on other
  // threads while the replay goes on): instead of VerifySignatures. A batch signature taken
  // here is not queued again by later members of its batch.
  std::vector<SignatureJob> TakeSignatureJobs();

  // Verifies jobs[begin, end) on this thread; returns the index of the first that does not
  // verify, or end.
  static size_t VerifyJobs(const std::vector<SignatureJob>& jobs, size_t begin, size_t end);

  // The replay's key state (an overlay over the `keys` given at construction).
  KeyRegistry& keys() { return keys_; }

  // Claim records changed since the start (or the last TakeClaimChanges), in memory.
  size_t claims_in_memory() const { return claims_.staged().size(); }
  // Moves them out; from then on the replayer finds them through the `claims` lookup given at
  // construction, so the caller must store them where that lookup reads (the auditor's spill).
  std::map<std::string, ClaimRecord, std::less<>> TakeClaimChanges() {
    return claims_.TakeStaged();
  }

 private:
  // Moves the pending batch signatures to the verified set (bounded).
  void RememberPending();

  const std::string origin_;
  const int threads_;
  KeyRegistry keys_;
  ClaimRules claims_;
  int64_t last_recorded_time_micros_;
  std::vector<SignatureJob> jobs_;
  absl::flat_hash_set<std::string> pending_;
  absl::flat_hash_set<std::string> verified_;
};

}  // namespace ledger::core

#endif  // LEDGER_CORE_REPLAYER_H_
