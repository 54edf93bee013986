// ClaimRules: the claim lifecycle rules, enforced at admission and replayed by the auditor.
//
//   - claim_asserted: the event id becomes a claim id (always allowed; event ids are unique).
//   - claim_corrected: corrects_claim_id must name an existing claim (NOT_FOUND) that is not
//     retracted (FAILED_PRECONDITION); only the key that asserted it or an admin key may correct
//     it (PERMISSION_DENIED). The claim keeps its id; the correction is its new version.
//   - claim_retracted: same conditions as a correction; the claim becomes retracted for good.
//   - claim_reviewed: claim_id must name an existing claim (NOT_FOUND); any active key may
//     review, including a retracted claim.
#ifndef LEDGER_CORE_CLAIM_RULES_H_
#define LEDGER_CORE_CLAIM_RULES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/core/key_registry.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::core {

// What admission needs to know of one claim. Stored in the log store's `claims` column family
// (docs/format.md "Claim records"), atomically with the entry that changed it.
struct ClaimRecord {
  std::string submitter_key_id;  // 32 bytes: the key that signed the claim_asserted event
  uint64_t asserted_sequence = 0;
  bool retracted = false;
  uint64_t retracted_sequence = 0;

  bool operator==(const ClaimRecord& o) const {
    return submitter_key_id == o.submitter_key_id && asserted_sequence == o.asserted_sequence &&
           retracted == o.retracted && retracted_sequence == o.retracted_sequence;
  }
};

std::string EncodeClaimRecord(const ClaimRecord& record);
// DataLoss when malformed.
absl::StatusOr<ClaimRecord> DecodeClaimRecord(absl::string_view bytes);

// Looks a claim up in committed state: nullopt when there is none.
using ClaimLookup =
    std::function<absl::StatusOr<std::optional<ClaimRecord>>(absl::string_view claim_id)>;

// Thread-compatible. A root ClaimRules reads committed state through a ClaimLookup; an overlay
// reads through its parent and keeps its own changes until MergeIntoParent (the same staging
// pattern as KeyRegistry).
class ClaimRules {
 public:
  explicit ClaimRules(ClaimLookup committed);
  explicit ClaimRules(ClaimRules* parent);

  // The record of `claim_id` as staged here or committed below.
  absl::StatusOr<std::optional<ClaimRecord>> Find(absl::string_view claim_id) const;

  // Checks that `event` signed by `signer_key_id` (with `signer_role`) may be appended now.
  // Errors as in the header comment; an error from the lookup is returned as is.
  absl::Status Authorize(const ledger::v1::Event& event, absl::string_view signer_key_id,
                         KeyRole signer_role) const;

  // Applies an authorised event appended at `sequence`; returns the changed records.
  absl::StatusOr<std::vector<std::pair<std::string, ClaimRecord>>> Apply(
      const ledger::v1::Event& event, absl::string_view event_id,
      absl::string_view signer_key_id, uint64_t sequence);

  void MergeIntoParent();

  // The records staged here (all of them, for a root without committed state).
  const std::map<std::string, ClaimRecord, std::less<>>& staged() const { return staged_; }
  // Moves the staged records out (this then reads them through its committed lookup, which
  // must know them by now: the auditor writes them to its spill first).
  std::map<std::string, ClaimRecord, std::less<>> TakeStaged() {
    std::map<std::string, ClaimRecord, std::less<>> out;
    out.swap(staged_);
    return out;
  }

 private:
  // NOT_FOUND (CLAIM_NOT_FOUND, naming `field`) unless `claim_id` is a claim.
  absl::Status CheckExists(absl::string_view field, const std::string& claim_id) const;
  // CheckExists, and FAILED_PRECONDITION (CLAIM_RETRACTED) when it was retracted.
  absl::Status CheckLive(absl::string_view field, const std::string& claim_id) const;
  absl::Status CheckMayChange(absl::string_view field, const std::string& claim_id,
                              absl::string_view signer_key_id, KeyRole signer_role) const;

  ClaimLookup committed_;
  ClaimRules* parent_ = nullptr;
  // Transparent: looked up by string_view without a copy. (A replay of the whole log, the
  // audit, stages every claim here; a hash map of a million claims needs more memory.)
  std::map<std::string, ClaimRecord, std::less<>> staged_;
};

}  // namespace ledger::core

#endif  // LEDGER_CORE_CLAIM_RULES_H_
