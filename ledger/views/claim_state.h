// The claim_state view: for every claim and every registered or revoked key, a hash chain over
// the log entries that determine its state, and the claim-state map that commits those chains
// (docs/format.md §13).
//
// An entry *concerns*:
//   claim_asserted  the claim it asserts (its event id)
//   claim_corrected, claim_retracted, claim_reviewed, claim_appeared   the claim it names
//   claim_related   both claims it names (once when they are the same)
//   key_registered  the key it registers (its key id); key_revoked  the key it revokes
// A subject's state hash after the entries e_1 < ... < e_m (by sequence) that concern it:
//   s_0 = 32 zero bytes
//   s_i = SHA-256("factledger/v1/claim-state" || 0x00 || s_{i-1} || u64be(seq_i) || leaf_hash_i)
// leaf_hash is the entry's RFC 6962 leaf hash, so s_m commits to every byte of every entry that
// made the claim what it is (its versions, retraction, verdicts, appearances, relations) and
// to their order. Everything GetClaim answers about a claim is a function of those entries
// (and, for "signed while compromised", of its signers' keys, which are subjects of their own).
//
// The map key of a subject:
//   SHA-256("factledger/v1/claim-state-key" || 0x00 || u8(kind) || id)   kind 1: claim, 2: key
// and the map (merkle/state_map.h) holds key -> s_m for every subject with m >= 1.
//
// The view (tag 0x0B) stores one record per subject, keyed by its map key so that a scan reads
// the map in key order:
//   view prefix || 0x01 || map key  ->  u64be(m) || u64be(seq_m) || s_m
#ifndef LEDGER_VIEWS_CLAIM_STATE_H_
#define LEDGER_VIEWS_CLAIM_STATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/event_validation.h"
#include "ledger/views/projection.h"

namespace ledger::views {

inline constexpr absl::string_view kClaimStateView = "claim_state";

enum class StateSubjectKind : uint8_t { kClaim = 1, kKey = 2 };
struct StateSubject {
  StateSubjectKind kind = StateSubjectKind::kClaim;
  std::string id;  // claim id, or the 32-byte key id
  bool operator==(const StateSubject& o) const { return kind == o.kind && id == o.id; }
};

// The subjects `event` (appended under `event_id`) concerns, in a fixed order, without repeats.
std::vector<StateSubject> SubjectsOf(absl::string_view event_id, const ledger::v1::Event& event);
Hash StateMapKey(StateSubjectKind kind, absl::string_view id);
Hash NextStateHash(const Hash& previous, SequenceNumber sequence, const Hash& leaf_hash);

struct StateRecord {
  uint64_t events = 0;
  SequenceNumber last_sequence = 0;
  Hash state{};
};
std::string StateRecordKey(const Hash& map_key);
std::string EncodeStateRecord(const StateRecord& r);
absl::StatusOr<StateRecord> DecodeStateRecord(absl::string_view bytes);
// The map key of a record key of this view; false when `key` is not one.
bool DecodeStateRecordKey(absl::string_view key, Hash* map_key);

std::unique_ptr<Projection> NewClaimStateProjection();

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_CLAIM_STATE_H_
