#include "ledger/views/claim_views.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/views/claim_state.h"
#include "ledger/views/match_text.h"

namespace ledger::views {
namespace {

using ledger::v1::Event;
using schema::ClaimIndex;
using schema::ClaimState;
using schema::ClaimStatus;
using schema::EventKind;

absl::Status Inconsistent(absl::string_view view, const ViewEntry& entry,
                          absl::string_view what) {
  return absl::DataLossError(absl::StrCat("view ", view, ": entry ", entry.sequence, " (\"",
                                          entry.event_id, "\"): ", what));
}

// Moves claim `claim_id` from the index entries `old_keys` to `new_keys` at entry.sequence:
// entries only in `old_keys` are closed, entries only in `new_keys` are opened (or re-opened),
// entries in both keep their open range.
absl::Status MoveEntries(absl::string_view view, absl::string_view claim_id,
                         std::vector<std::string> old_keys, std::vector<std::string> new_keys,
                         const ViewEntry& entry, const ViewReader& state, ViewBatch* out) {
  std::sort(old_keys.begin(), old_keys.end());
  std::sort(new_keys.begin(), new_keys.end());
  std::vector<std::string> to_close, to_open;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(),
                      std::back_inserter(to_close));
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(),
                      std::back_inserter(to_open));
  for (const std::string& key : to_close) {
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, state.Get(key));
    if (!bytes.has_value()) {
      return Inconsistent(view, entry,
                          absl::StrCat("index entry of claim \"", claim_id, "\" is missing"));
    }
    LEDGER_ASSIGN_OR_RETURN(schema::IndexEntry e, schema::DecodeIndexEntry(*bytes));
    if (e.ranges.back().valid_until != schema::kOpenSequence) {
      return Inconsistent(view, entry,
                          absl::StrCat("index entry of claim \"", claim_id, "\" is not open"));
    }
    e.ranges.back().valid_until = entry.sequence;
    out->Put(key, schema::EncodeIndexEntry(e));
  }
  for (const std::string& key : to_open) {
    schema::IndexEntry e;
    // The claim may come back to a term it left at an earlier correction.
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, state.Get(key));
    if (bytes.has_value()) {
      LEDGER_ASSIGN_OR_RETURN(e, schema::DecodeIndexEntry(*bytes));
    }
    if (e.ranges.empty()) e.claim_id = std::string(claim_id);
    e.ranges.push_back(schema::ValidRange{entry.sequence, schema::kOpenSequence});
    out->Put(key, schema::EncodeIndexEntry(e));
  }
  return absl::OkStatus();
}

class ClaimsProjection : public Projection {
 public:
  ClaimsProjection()
      : prefix_(schema::ViewPrefix(schema::ViewTag::kClaims, schema::kClaimsView)),
        status_space_(schema::StatusIndexSpace(prefix_)) {
    for (size_t i = 0; i < schema::kClaimIndexCount; ++i) {
      index_spaces_[i] = schema::ClaimIndexSpace(prefix_, static_cast<ClaimIndex>(i));
    }
  }

  absl::string_view name() const override { return schema::kClaimsView; }
  schema::ViewTag tag() const override { return schema::ViewTag::kClaims; }

  absl::Status Apply(const ViewEntry& entry, const ViewReader& state, ViewBatch* out) override {
    const Event& event = entry.event;
    switch (event.body_case()) {
      case Event::kClaimAsserted: {
        // The hot path of a rebuild: one claim state, reused buffers.
        const std::string& claim_id = entry.event_id;
        const ledger::v1::Claim& claim = event.claim_asserted().claim();
        ClaimState& s = assert_state_;
        s.asserted_sequence = entry.sequence;
        s.submitter_key_id = entry.key_id;
        s.version_sequence = entry.sequence;
        s.status = ClaimStatus::kActive;
        s.status_sequence = entry.sequence;
        s.said = schema::SaidKey(claim.said());
        term_cache_.TermsOf(claim, &s.index_terms);
        SetMatchTerms(claim, &s);
        schema::EncodeClaimStateTo(s, &value_);
        out->Put(schema::ClaimStateKey(prefix_, claim_id), value_);
        PutHistory(claim_id, entry, out);
        // Its new index entries: the status index's and one per term of each claim index.
        schema::IndexEntry e;
        e.claim_id = claim_id;
        e.ranges.push_back(schema::ValidRange{entry.sequence, schema::kOpenSequence});
        value_ = schema::EncodeIndexEntry(e);
        out->Put(StatusKey(s), value_);
        for (size_t i = 0; i < schema::kClaimIndexCount; ++i) {
          for (const std::string& term : s.index_terms[i]) {
            schema::IndexEntryKeyTo(index_spaces_[i], term, s.said, s.asserted_sequence, &key_);
            out->Put(key_, value_);
          }
        }
        return absl::OkStatus();
      }
      case Event::kClaimCorrected: {
        const std::string& claim_id = event.claim_corrected().corrects_claim_id();
        const ledger::v1::Claim& claim = event.claim_corrected().claim();
        LEDGER_ASSIGN_OR_RETURN(ClaimState s, Load(claim_id, entry, state));
        if (s.status == ClaimStatus::kRetracted) {
          return Inconsistent(name(), entry, absl::StrCat("corrects retracted claim \"",
                                                          claim_id, "\""));
        }
        const ClaimState old = s;
        s.version_sequence = entry.sequence;
        if (s.status != ClaimStatus::kCorrected) {
          s.status = ClaimStatus::kCorrected;
          s.status_sequence = entry.sequence;
        }
        s.said = schema::SaidKey(claim.said());
        // Move the claim in every index whose terms or said date this version changes
        // (entries it keeps stay open as one continuous range).
        term_cache_.TermsOf(claim, &s.index_terms);
        for (size_t i = 0; i < schema::kClaimIndexCount; ++i) {
          if (s.said == old.said && s.index_terms[i] == old.index_terms[i]) continue;
          LEDGER_RETURN_IF_ERROR(MoveEntries(name(), claim_id, IndexKeys(i, old),
                                             IndexKeys(i, s), entry, state, out));
        }
        SetMatchTerms(claim, &s);
        out->Put(schema::ClaimStateKey(prefix_, claim_id), schema::EncodeClaimState(s));
        PutHistory(claim_id, entry, out);
        return MoveEntries(name(), claim_id, {StatusKey(old)}, {StatusKey(s)}, entry, state,
                           out);
      }
      case Event::kClaimRetracted: {
        const std::string& claim_id = event.claim_retracted().claim_id();
        LEDGER_ASSIGN_OR_RETURN(ClaimState s, Load(claim_id, entry, state));
        if (s.status == ClaimStatus::kRetracted) {
          return Inconsistent(name(), entry, absl::StrCat("retracts retracted claim \"",
                                                          claim_id, "\""));
        }
        const std::string old_key = StatusKey(s);
        s.status = ClaimStatus::kRetracted;
        s.status_sequence = entry.sequence;
        out->Put(schema::ClaimStateKey(prefix_, claim_id), schema::EncodeClaimState(s));
        PutHistory(claim_id, entry, out);
        return MoveEntries(name(), claim_id, {old_key}, {StatusKey(s)}, entry, state, out);
      }
      case Event::kClaimReviewed: {
        const ledger::v1::ClaimReviewed& r = event.claim_reviewed();
        LEDGER_ASSIGN_OR_RETURN(ClaimState s, Load(r.claim_id(), entry, state));
        PutHistory(r.claim_id(), entry, out);
        // Counted for the claimant of the version current now, under each of its terms
        // (stable id and name), so a tally by either is whole.
        for (const std::string& term :
             s.index_terms[static_cast<size_t>(ClaimIndex::kClaimant)]) {
          const std::string key = schema::TallyKey(prefix_, term, r.reviewer(), r.rating_text());
          LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> count, state.Get(key));
          uint64_t n = 0;
          if (count.has_value()) {
            LEDGER_ASSIGN_OR_RETURN(n, schema::DecodeU64(*count, "tally"));
          }
          out->Put(key, schema::EncodeU64(n + 1));
        }
        return absl::OkStatus();
      }
      case Event::kClaimAppeared: {
        // One history record: queries read the appearance from its entry.
        const std::string& claim_id = event.claim_appeared().claim_id();
        LEDGER_RETURN_IF_ERROR(Load(claim_id, entry, state).status());
        PutHistory(claim_id, entry, out);
        return absl::OkStatus();
      }
      case Event::kClaimRelated: {
        // In the history of both claims, so each lists the relation.
        for (const std::string* claim_id :
             {&event.claim_related().claim_id(), &event.claim_related().related_claim_id()}) {
          LEDGER_RETURN_IF_ERROR(Load(*claim_id, entry, state).status());
          PutHistory(*claim_id, entry, out);
        }
        return absl::OkStatus();
      }
      default:
        return absl::OkStatus();
    }
  }

 private:
  absl::StatusOr<ClaimState> Load(const std::string& claim_id, const ViewEntry& entry,
                                  const ViewReader& state) const {
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                            state.Get(schema::ClaimStateKey(prefix_, claim_id)));
    if (!bytes.has_value()) {
      return Inconsistent(name(), entry, absl::StrCat("claim \"", claim_id, "\" is unknown"));
    }
    return schema::DecodeClaimState(*bytes);
  }

  // The claim's entry in the status index: status, said date, asserted sequence.
  std::string StatusKey(const ClaimState& s) const {
    return schema::IndexEntryKey(status_space_, schema::StatusTerm(s.status), s.said,
                                 s.asserted_sequence);
  }

  // What claim matching compares (match_text.h), for the version `claim`. A claimant's name
  // terms are remembered as ClaimIndexTermCache remembers its index terms.
  void SetMatchTerms(const ledger::v1::Claim& claim, ClaimState* s) {
    const std::string& name = claim.claimant().name();
    auto it = name_terms_.find(name);
    if (it == name_terms_.end()) {
      if (name_terms_.size() >= schema::ClaimIndexTermCache::kMaxRemembered) name_terms_.clear();
      it = name_terms_.emplace(name, NameTerms(name)).first;
    }
    s->name_terms = it->second;
    s->statement_terms = MatchTerms(claim.statement().text());
  }

  // The claim's entries in claim index `i`, for the version `s` describes.
  std::vector<std::string> IndexKeys(size_t i, const ClaimState& s) const {
    std::vector<std::string> keys;
    keys.reserve(s.index_terms[i].size());
    for (const std::string& term : s.index_terms[i]) {
      keys.push_back(schema::IndexEntryKey(index_spaces_[i], term, s.said, s.asserted_sequence));
    }
    return keys;
  }

  void PutHistory(const std::string& claim_id, const ViewEntry& entry, ViewBatch* out) const {
    out->Put(schema::ClaimHistoryKey(prefix_, claim_id, entry.sequence),
             schema::EncodeKindAndId(schema::EventKindOf(entry.event), entry.event_id));
  }

  const std::string prefix_;
  const schema::IndexSpace status_space_;
  std::array<schema::IndexSpace, schema::kClaimIndexCount> index_spaces_;
  schema::ClaimIndexTermCache term_cache_;
  absl::flat_hash_map<std::string, std::vector<std::string>> name_terms_;  // name -> NameTerms
  // Reused from claim to claim (their capacity): the asserted claim's state, a key, a value.
  ClaimState assert_state_;
  std::string key_, value_;
};

class KeysProjection : public Projection {
 public:
  KeysProjection() : prefix_(schema::ViewPrefix(schema::ViewTag::kKeys, schema::kKeysView)) {}

  absl::string_view name() const override { return schema::kKeysView; }
  schema::ViewTag tag() const override { return schema::ViewTag::kKeys; }

  absl::Status Apply(const ViewEntry& entry, const ViewReader& state, ViewBatch* out) override {
    out->Put(schema::SignedEventKey(prefix_, entry.key_id, entry.sequence),
             schema::EncodeKindAndId(schema::EventKindOf(entry.event), entry.event_id));
    const Event& event = entry.event;
    if (event.has_key_registered()) {
      const auto& k = event.key_registered();
      if (k.public_key().size() != crypto::kEd25519PublicKeySize) {
        return Inconsistent(name(), entry, "public key is not 32 bytes");
      }
      crypto::PublicKey pk;
      std::copy(k.public_key().begin(), k.public_key().end(), pk.begin());
      const Hash key_id = crypto::SignerKeyId(pk);
      const std::string key = schema::KeyStateKey(prefix_, AsStringView(key_id));
      LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> existing, state.Get(key));
      if (existing.has_value()) return Inconsistent(name(), entry, "key registered twice");
      schema::KeyState s;
      s.has_public_key = true;
      s.public_key = k.public_key();
      s.role = static_cast<uint8_t>(k.role());
      s.registered_sequence = entry.sequence;
      out->Put(key, schema::EncodeKeyState(s));
    } else if (event.has_key_revoked()) {
      const std::string key = schema::KeyStateKey(prefix_, event.key_revoked().key_id());
      LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> existing, state.Get(key));
      schema::KeyState s;
      if (existing.has_value()) {
        LEDGER_ASSIGN_OR_RETURN(s, schema::DecodeKeyState(*existing));
        if (s.revoked) return Inconsistent(name(), entry, "key revoked twice");
      } else {
        // A genesis admin key: named at initialisation, never registered by an event.
        s.role = static_cast<uint8_t>(ledger::v1::KeyRegistered::ADMIN);
        s.registered_sequence = schema::kGenesisSequence;
      }
      s.revoked = true;
      s.revoked_sequence = entry.sequence;
      if (event.key_revoked().has_compromise()) {
        // Admission refused a window starting after the revocation; clamp all the same.
        s.compromised_since =
            std::min(event.key_revoked().compromise().since_sequence(), entry.sequence);
      }
      out->Put(key, schema::EncodeKeyState(s));
    }
    return absl::OkStatus();
  }

 private:
  const std::string prefix_;
};

}  // namespace

std::unique_ptr<Projection> NewClaimsProjection() { return std::make_unique<ClaimsProjection>(); }

std::unique_ptr<Projection> NewKeysProjection() { return std::make_unique<KeysProjection>(); }

std::vector<std::unique_ptr<Projection>> DefaultProjections() {
  std::vector<std::unique_ptr<Projection>> p;
  p.push_back(NewClaimsProjection());
  p.push_back(NewKeysProjection());
  p.push_back(NewClaimStateProjection());
  return p;
}

}  // namespace ledger::views
