#include "ledger/core/claim_rules.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/types.h"

namespace ledger::core {
namespace {

// Part of the on-disk format: DO NOT CHANGE.
constexpr uint8_t kClaimRecordV1 = 1;
constexpr size_t kClaimRecordSize = 1 + 32 + 8 + 1 + 8;

}  // namespace

std::string EncodeClaimRecord(const ClaimRecord& r) {
  std::string out;
  out.reserve(kClaimRecordSize);
  out.push_back(static_cast<char>(kClaimRecordV1));
  out.append(r.submitter_key_id.data(), r.submitter_key_id.size());
  PutFixed64BE(&out, r.asserted_sequence);
  out.push_back(r.retracted ? 1 : 0);
  PutFixed64BE(&out, r.retracted_sequence);
  return out;
}

absl::StatusOr<ClaimRecord> DecodeClaimRecord(absl::string_view bytes) {
  if (bytes.size() != kClaimRecordSize || static_cast<uint8_t>(bytes[0]) != kClaimRecordV1 ||
      static_cast<uint8_t>(bytes[41]) > 1) {
    return absl::DataLossError(
        absl::StrCat("claim record of ", bytes.size(), " bytes is not a version 1 record"));
  }
  ClaimRecord r;
  r.submitter_key_id = std::string(bytes.substr(1, 32));
  r.asserted_sequence = DecodeFixed64BE(bytes.data() + 33);
  r.retracted = bytes[41] == 1;
  r.retracted_sequence = DecodeFixed64BE(bytes.data() + 42);
  return r;
}

ClaimRules::ClaimRules(ClaimLookup committed) : committed_(std::move(committed)) {}

ClaimRules::ClaimRules(ClaimRules* parent) : parent_(parent) {}

absl::StatusOr<std::optional<ClaimRecord>> ClaimRules::Find(absl::string_view claim_id) const {
  auto it = staged_.find(claim_id);
  if (it != staged_.end()) return std::optional<ClaimRecord>(it->second);
  if (parent_ != nullptr) return parent_->Find(claim_id);
  if (committed_) return committed_(claim_id);
  return std::optional<ClaimRecord>();
}

absl::Status ClaimRules::CheckMayChange(absl::string_view field, const std::string& claim_id,
                                        absl::string_view signer_key_id,
                                        KeyRole signer_role) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<ClaimRecord> claim, Find(claim_id));
  if (!claim.has_value()) {
    return MakeError(absl::StatusCode::kNotFound, reason::kClaimNotFound, field,
                     absl::StrCat("no claim has id \"", claim_id, "\""));
  }
  if (claim->retracted) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kClaimRetracted, field,
                     absl::StrCat("claim \"", claim_id, "\" was retracted at sequence ",
                                  claim->retracted_sequence));
  }
  if (claim->submitter_key_id != signer_key_id && signer_role != KeyRole::kAdmin) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kNotClaimSubmitter, field,
                     absl::StrCat("only the key that asserted claim \"", claim_id, "\" (",
                                  HexEncode(absl::string_view(claim->submitter_key_id).substr(0, 8)),
                                  "…) or an admin key may change it"));
  }
  return absl::OkStatus();
}

absl::Status ClaimRules::CheckExists(absl::string_view field, const std::string& claim_id) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<ClaimRecord> claim, Find(claim_id));
  if (!claim.has_value()) {
    return MakeError(absl::StatusCode::kNotFound, reason::kClaimNotFound, field,
                     absl::StrCat("no claim has id \"", claim_id,
                                  "\" (a claim id is the event id of a claim_asserted; a "
                                  "correction's own id is not one)"));
  }
  return absl::OkStatus();
}

absl::Status ClaimRules::CheckLive(absl::string_view field, const std::string& claim_id) const {
  LEDGER_RETURN_IF_ERROR(CheckExists(field, claim_id));
  LEDGER_ASSIGN_OR_RETURN(std::optional<ClaimRecord> claim, Find(claim_id));
  if (claim->retracted) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kClaimRetracted, field,
                     absl::StrCat("claim \"", claim_id, "\" was retracted at sequence ",
                                  claim->retracted_sequence));
  }
  return absl::OkStatus();
}

absl::Status ClaimRules::Authorize(const ledger::v1::Event& event,
                                   absl::string_view signer_key_id, KeyRole signer_role) const {
  switch (event.body_case()) {
    case ledger::v1::Event::kClaimCorrected:
      return CheckMayChange("event.claim_corrected.corrects_claim_id",
                            event.claim_corrected().corrects_claim_id(), signer_key_id,
                            signer_role);
    case ledger::v1::Event::kClaimRetracted:
      return CheckMayChange("event.claim_retracted.claim_id", event.claim_retracted().claim_id(),
                            signer_key_id, signer_role);
    // Any active key may review a claim or record where it appeared, also a retracted one.
    case ledger::v1::Event::kClaimReviewed:
      return CheckExists("event.claim_reviewed.claim_id", event.claim_reviewed().claim_id());
    case ledger::v1::Event::kClaimAppeared:
      return CheckExists("event.claim_appeared.claim_id", event.claim_appeared().claim_id());
    // A relation joins two live claims: neither may be unknown or retracted.
    case ledger::v1::Event::kClaimRelated:
      LEDGER_RETURN_IF_ERROR(
          CheckLive("event.claim_related.claim_id", event.claim_related().claim_id()));
      return CheckLive("event.claim_related.related_claim_id",
                       event.claim_related().related_claim_id());
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<std::pair<std::string, ClaimRecord>>> ClaimRules::Apply(
    const ledger::v1::Event& event, absl::string_view event_id, absl::string_view signer_key_id,
    uint64_t sequence) {
  std::vector<std::pair<std::string, ClaimRecord>> changed;
  if (event.has_claim_asserted()) {
    ClaimRecord r;
    r.submitter_key_id = std::string(signer_key_id);
    r.asserted_sequence = sequence;
    changed.emplace_back(std::string(event_id), r);
  } else if (event.has_claim_retracted()) {
    const std::string& id = event.claim_retracted().claim_id();
    LEDGER_ASSIGN_OR_RETURN(std::optional<ClaimRecord> r, Find(id));
    if (r.has_value()) {
      r->retracted = true;
      r->retracted_sequence = sequence;
      changed.emplace_back(id, *r);
    }
  }
  for (const auto& [id, r] : changed) staged_.insert_or_assign(id, r);
  return changed;
}

void ClaimRules::MergeIntoParent() {
  if (parent_ == nullptr) return;
  for (auto& [id, r] : staged_) parent_->staged_.insert_or_assign(id, std::move(r));
  staged_.clear();
}

}  // namespace ledger::core
