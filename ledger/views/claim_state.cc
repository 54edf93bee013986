#include "ledger/views/claim_state.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/crypto/sha256.h"
#include "ledger/views/view_schema.h"

namespace ledger::views {

namespace {

using ledger::v1::Event;

constexpr absl::string_view kStateDomain("factledger/v1/claim-state\0", 26);
constexpr absl::string_view kKeyDomain("factledger/v1/claim-state-key\0", 30);
constexpr uint8_t kStateRecord = 0x01;

std::string Prefix() { return schema::ViewPrefix(schema::ViewTag::kClaimState, kClaimStateView); }


class ClaimStateProjection : public Projection {
 public:
  ClaimStateProjection() : prefix_(Prefix()) {}
  absl::string_view name() const override { return kClaimStateView; }
  schema::ViewTag tag() const override { return schema::ViewTag::kClaimState; }

  absl::Status Apply(const ViewEntry& entry, const ViewReader& state, ViewBatch* out) override {
    for (const StateSubject& subject : SubjectsOf(entry.event_id, entry.event)) {
      const std::string key = StateRecordKey(StateMapKey(subject.kind, subject.id));
      StateRecord r;
      // An assertion starts a new claim (the log admits each event id once): nothing to read,
      // which spares a rebuild one store lookup per claim.
      if (!entry.event.has_claim_asserted()) {
        LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> prior, state.Get(key));
        if (prior.has_value()) {
          LEDGER_ASSIGN_OR_RETURN(r, DecodeStateRecord(*prior));
        }
      }
      r.events += 1;
      r.last_sequence = entry.sequence;
      r.state = NextStateHash(r.state, entry.sequence, entry.leaf_hash);
      out->Put(key, EncodeStateRecord(r));
    }
    return absl::OkStatus();
  }

 private:
  const std::string prefix_;
};

}  // namespace

std::vector<StateSubject> SubjectsOf(absl::string_view event_id, const Event& event) {
  using K = StateSubjectKind;
  switch (event.body_case()) {
    case Event::kClaimAsserted:
      return {{K::kClaim, std::string(event_id)}};
    case Event::kClaimCorrected:
      return {{K::kClaim, event.claim_corrected().corrects_claim_id()}};
    case Event::kClaimRetracted:
      return {{K::kClaim, event.claim_retracted().claim_id()}};
    case Event::kClaimReviewed:
      return {{K::kClaim, event.claim_reviewed().claim_id()}};
    case Event::kClaimAppeared:
      return {{K::kClaim, event.claim_appeared().claim_id()}};
    case Event::kClaimRelated: {
      std::vector<StateSubject> out = {{K::kClaim, event.claim_related().claim_id()}};
      if (event.claim_related().related_claim_id() != event.claim_related().claim_id()) {
        out.push_back({K::kClaim, event.claim_related().related_claim_id()});
      }
      return out;
    }
    case Event::kKeyRegistered: {
      crypto::PublicKey pk{};
      const std::string& bytes = event.key_registered().public_key();
      if (bytes.size() != pk.size()) return {};  // the log refuses it; nothing to chain
      std::memcpy(pk.data(), bytes.data(), pk.size());
      return {{K::kKey, std::string(AsStringView(crypto::SignerKeyId(pk)))}};
    }
    case Event::kKeyRevoked:
      return {{K::kKey, event.key_revoked().key_id()}};
    default:
      return {};
  }
}

Hash StateMapKey(StateSubjectKind kind, absl::string_view id) {
  const char k = static_cast<char>(kind);
  return crypto::Sha256Concat({kKeyDomain, absl::string_view(&k, 1), id});
}

Hash NextStateHash(const Hash& previous, SequenceNumber sequence, const Hash& leaf_hash) {
  const std::string seq = schema::EncodeU64(sequence);
  return crypto::Sha256Concat(
      {kStateDomain, AsStringView(previous), seq, AsStringView(leaf_hash)});
}

std::string StateRecordKey(const Hash& map_key) {
  std::string key = Prefix();
  key.push_back(static_cast<char>(kStateRecord));
  key.append(AsStringView(map_key).data(), map_key.size());
  return key;
}

bool DecodeStateRecordKey(absl::string_view key, Hash* map_key) {
  static const std::string prefix = Prefix() + std::string(1, static_cast<char>(kStateRecord));
  if (key.size() != prefix.size() + 32 || key.substr(0, prefix.size()) != prefix) return false;
  *map_key = HashFromBytes(key.substr(prefix.size()));
  return true;
}

std::string EncodeStateRecord(const StateRecord& r) {
  return absl::StrCat(schema::EncodeU64(r.events), schema::EncodeU64(r.last_sequence), AsStringView(r.state));
}

absl::StatusOr<StateRecord> DecodeStateRecord(absl::string_view bytes) {
  if (bytes.size() != 48) {
    return absl::DataLossError(
        absl::StrCat("claim_state record is ", bytes.size(), " bytes, not 48"));
  }
  StateRecord r;
  LEDGER_ASSIGN_OR_RETURN(r.events, schema::DecodeU64(bytes.substr(0, 8), "claim_state events"));
  LEDGER_ASSIGN_OR_RETURN(r.last_sequence,
                          schema::DecodeU64(bytes.substr(8, 8), "claim_state sequence"));
  r.state = HashFromBytes(bytes.substr(16));
  return r;
}

std::unique_ptr<Projection> NewClaimStateProjection() {
  return std::make_unique<ClaimStateProjection>();
}

}  // namespace ledger::views
