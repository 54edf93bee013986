// The key layout and value encodings of the view database (<data-dir>/views/): the ONLY place
// that knows them (as ledger/store/schema.h is for the log). Views are derived data: nothing here
// is part of the signed format, and a change only needs kViewSchemaVersion bumped -- a view
// database of another version is dropped and rebuilt from the log at open.
//
// Every key starts with the prefix of the view that owns it:
//
//   view prefix   = u8(tag)                          e.g. 0x02 for by_claimant
//   watermark     = view prefix || 0x00              -> u64be(next sequence to apply)
//   data records  = view prefix || u8(record kind >= 0x01) || ...
//
// (The meta records keep the longer prefix of schema version 2, u8(0x00) || "meta" || 0x00, so
// that a database of any version finds its schema version where every version put it.) Tags are
// unique, so one byte separates the views; every key is short, which makes sorting a batch and
// inserting it into RocksDB's memtable cheaper.
//
// so a view's data is one contiguous key range, its watermark sorts first, and a view's digest
// (ViewEngine::Digest) hashes the range after the watermark. All integers are big-endian, so
// byte order is numeric order. Variable-length strings inside keys use the order-preserving,
// prefix-free escaping of AppendOrderedString (0x00 -> 0x00 0xff, terminated by 0x00 0x01).
//
// The claim indexes (by claimant, topic, entity, source URL, publisher, the timeline of every
// claim, and the status index) live inside the `claims` view, one record kind each, and share
// one bitemporal layout:
//
//   entry   = claims prefix || u8(index kind) || ordered(term) || u32be(said key)
//             || u64be(asserted sequence)
//             -> u16be(len(claim id)) || claim id || n x (u64be(valid_from) || u64be(valid_until))
//
// An entry lists the half-open sequence ranges [valid_from, valid_until) during which the claim
// (its current version at the time) carried `term`; valid_until = kOpenSequence while it still
// does. A claim is in the index "as of sequence N" when some range has valid_from <= N <
// valid_until. The claim's state record (ClaimState) holds the terms and the said key its
// current version put into every index, so that a correction can close exactly those: one
// record per claim instead of one per index (schema version 6 folded the six index views,
// each with its own per-claim "reverse" record, into `claims`). The status index's term is
// u8(status).
//
// Said key (the statement-time sort key): u32 = year << 16 | month << 8 | day, with 0 for the
// parts a PartialDate's precision leaves unknown, and 0 for no date at all.
#ifndef LEDGER_VIEWS_VIEW_SCHEMA_H_
#define LEDGER_VIEWS_VIEW_SCHEMA_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::views::schema {

// Bump on any change to this file's layouts: views of another version are rebuilt at open.
// 2: the claim state holds its said key; the status index has no reverse records.
// 3: a view's key prefix is its tag alone (was u8(tag) || name || 0x00).
// 4: terms fold Unicode (NFKC_Casefold); claimants and entities are indexed under their stable
//    id and their name; the verdicts view keeps every claimant term of a claim; a key's state
//    holds its compromise window.
// 5: the claim_state view (claim_state.h).
// 6: the six index views are record kinds of `claims`; the claim state holds their terms.
// 7: the verdict tallies are a record kind of `claims`; the claim state holds the terms claim
//    matching compares (the match and verdicts views are gone).
inline constexpr uint32_t kViewSchemaVersion = 7;

// valid_until of an index range that is still open.
inline constexpr SequenceNumber kOpenSequence = ~uint64_t{0};
// registered_sequence of a key that no event registered (a genesis admin key).
inline constexpr SequenceNumber kGenesisSequence = ~uint64_t{0};

// One byte per view; DO NOT reuse a retired tag for another view.
enum class ViewTag : uint8_t {
  kMeta = 0x00,  // not a view: the schema version and the log fingerprint
  kClaims = 0x01,
  // 0x02-0x07: retired (the index views of schema versions <= 5, now inside kClaims).
  kKeys = 0x08,
  // 0x09, 0x0A: retired (the verdicts and match views of schema versions <= 6, now in kClaims).
  kClaimState = 0x0B,  // claim_state.h
};

inline constexpr absl::string_view kMetaName = "meta";
inline constexpr absl::string_view kClaimsView = "claims";
inline constexpr absl::string_view kKeysView = "keys";

// Record kinds (the byte after a view prefix).
inline constexpr uint8_t kWatermarkRecord = 0x00;
inline constexpr uint8_t kClaimRecord = 0x01;         // claims: claim id -> ClaimState
inline constexpr uint8_t kClaimHistoryRecord = 0x02;  // claims: history events
inline constexpr uint8_t kStatusEntryRecord = 0x03;   // claims: status index entries
// claims: the entries of the claim indexes, kFirstClaimIndexRecord + ClaimIndex (0x04-0x09).
inline constexpr uint8_t kFirstClaimIndexRecord = 0x04;
inline constexpr uint8_t kTallyRecord = 0x0A;  // claims: verdict counts
inline constexpr uint8_t kKeyRecord = 0x01;           // keys: key id -> KeyState
inline constexpr uint8_t kSignedEventRecord = 0x02;   // keys: key id, sequence -> event
inline constexpr uint8_t kMetaSchemaRecord = 0x01;    // meta: u32be(kViewSchemaVersion)
inline constexpr uint8_t kMetaFingerprintRecord = 0x02;  // meta: the last entry read
inline constexpr uint8_t kMetaMapCommitRecord = 0x03;    // meta: u64be(size) -> map root

// Claim status. Stored in the claims view and as the status index's term.
enum class ClaimStatus : uint8_t { kActive = 1, kCorrected = 2, kRetracted = 3 };
absl::string_view ClaimStatusName(ClaimStatus status);  // "ACTIVE", "CORRECTED", "RETRACTED"

// Event kinds in claim histories and in the keys view: the field number of the Event body
// (ledger.v1.Event.body), so they never change.
enum class EventKind : uint8_t {
  kClaimAsserted = 1,
  kClaimCorrected = 2,
  kClaimRetracted = 3,
  kClaimReviewed = 4,
  kKeyRegistered = 5,
  kKeyRevoked = 6,
  kClaimAppeared = 7,
  kClaimRelated = 8,  // the highest: DecodeKindAndId refuses kinds above it
};
absl::string_view EventKindName(EventKind kind);  // "claim_asserted", ...
EventKind EventKindOf(const ledger::v1::Event& event);  // Precondition: a body is set.

// ---- Generic key pieces ------------------------------------------------------------------

// The key prefix of a view: u8(tag). (`name` is not part of it; it names the view in messages.)
// For ViewTag::kMeta: u8(0x00) || "meta" || 0x00, the meta records' prefix since version 2.
std::string ViewPrefix(ViewTag tag, absl::string_view name);
// The smallest key greater than every key starting with `prefix` ("" when there is none, i.e.
// `prefix` is all 0xff). Used as an exclusive scan end.
std::string PrefixSuccessor(absl::string_view prefix);
// view prefix || 0x00.
std::string WatermarkKey(absl::string_view view_prefix);
// The first data key of a view (view prefix || 0x01): digests hash [this, PrefixSuccessor(prefix)).
std::string DataBegin(absl::string_view view_prefix);

// Order-preserving, prefix-free string encoding for keys.
void AppendOrderedString(std::string* dst, absl::string_view s);
// Consumes one AppendOrderedString encoding from the front of *in. False when malformed.
bool ConsumeOrderedString(absl::string_view* in, std::string* out);

// ---- Meta ---------------------------------------------------------------------------------

std::string MetaSchemaKey();
std::string MetaFingerprintKey();
// A claim-state map commitment (claim_state_map.h): prefix || u64be(tree size) -> map root.
std::string MetaMapCommitPrefix();
std::string MetaMapCommitKey(TreeSize tree_size);
std::string EncodeU32(uint32_t v);
std::string EncodeU64(uint64_t v);
// DataLoss naming `what` unless `bytes` is exactly 4 / 8 bytes.
absl::StatusOr<uint32_t> DecodeU32(absl::string_view bytes, absl::string_view what);
absl::StatusOr<uint64_t> DecodeU64(absl::string_view bytes, absl::string_view what);

// The log entry the views were last built from, to recognise the same log at the next catch-up.
struct Fingerprint {
  SequenceNumber sequence = 0;
  Hash leaf_hash{};
};
std::string EncodeFingerprint(const Fingerprint& f);
absl::StatusOr<Fingerprint> DecodeFingerprint(absl::string_view bytes);

// ---- Terms and said dates ------------------------------------------------------------------
// Normalisation of index terms, applied identically when indexing and when querying:
//   claimant: "id:" + stable_id, and "name:" + FoldText(name): a claim is indexed under both
//             when its claimant has both, so either finds it
//   entity:   the same, per mentioned entity
//   topic, publisher: FoldText(text)
//   source url: exact
// FoldText is Unicode NFKC_Casefold (ICU): "ÉNERGIE" and "énergie", "Straße" and "STRASSE",
// full-width and ordinary letters fold to one term. No whitespace trimming. The "id:"/"name:"
// prefixes keep a stable id from ever colliding with a name.
std::string FoldText(absl::string_view text);

// The query term: "id:" + stable_id when set, else "name:" + FoldText(name).
std::string ClaimantTerm(absl::string_view stable_id, absl::string_view name);
// Every term a claimant is indexed under (its id's, then its name's; at least one).
std::vector<std::string> ClaimantTerms(const ledger::v1::Claimant& claimant);
std::string EntityTerm(absl::string_view stable_id, absl::string_view name);
std::vector<std::string> EntityTerms(const ledger::v1::Entity& entity);
std::string TopicTerm(absl::string_view topic);
std::string PublisherTerm(absl::string_view publisher);

// A list of terms as one value: AppendOrderedString of each.
std::string EncodeTerms(const std::vector<std::string>& terms);
absl::StatusOr<std::vector<std::string>> DecodeTerms(absl::string_view bytes);


// The said key of a PartialDate (see the header comment).
uint32_t SaidKey(const ledger::v1::PartialDate& said);
// year/month/day with 0 for unknown parts. Preconditions: year <= 0xffff, month, day <= 0xff.
inline uint32_t SaidKeyOf(int year, int month, int day) {
  return (static_cast<uint32_t>(year) << 16) | (static_cast<uint32_t>(month) << 8) |
         static_cast<uint32_t>(day);
}

// ---- Claim indexes -------------------------------------------------------------------------

// The indexes of claim versions inside the claims view, in the order of their record kinds.
enum class ClaimIndex : uint8_t {
  kClaimant = 0,   // ClaimantTerms
  kTopic = 1,      // TopicTerm of each topic
  kEntity = 2,     // EntityTerms of each entity
  kSourceUrl = 3,  // the source URL, exact
  kPublisher = 4,  // PublisherTerm (none without a publisher)
  kTimeline = 5,   // every claim, under the empty term
};
inline constexpr size_t kClaimIndexCount = 6;
// "claimant", "topic", "entity", "source_url", "publisher", "timeline".
absl::string_view ClaimIndexName(ClaimIndex index);
// The terms a claim version puts into `index`, sorted and unique.
std::vector<std::string> ClaimIndexTerms(ClaimIndex index, const ledger::v1::Claim& claim);

// ClaimIndexTerms of every index at once, the same terms, remembering those of the claimants,
// topics, entities and publishers it has seen: they repeat from claim to claim (a claimant
// makes many claims), and folding them (FoldText) is most of the cost. It remembers at most
// kMaxRemembered, then starts over. Thread-compatible.
class ClaimIndexTermCache {
 public:
  static constexpr size_t kMaxRemembered = 65536;
  // (*out)[i] = ClaimIndexTerms(ClaimIndex(i), claim).
  void TermsOf(const ledger::v1::Claim& claim,
               std::array<std::vector<std::string>, kClaimIndexCount>* out);

 private:
  // The terms of one field; `kind` keeps claimants, entities, topics and publishers apart.
  template <typename Compute>
  const std::vector<std::string>& Remembered(char kind, absl::string_view id,
                                             absl::string_view text, Compute compute);
  absl::flat_hash_map<std::string, std::vector<std::string>> remembered_;
  std::string key_;  // the lookup key, reused
};

// Where one index lives inside its view's key space.
struct IndexSpace {
  std::string view_prefix;
  uint8_t entry_kind = 0;
};
// The space of a claim index inside the claims view.
IndexSpace ClaimIndexSpace(absl::string_view claims_prefix, ClaimIndex index);

// view prefix || entry kind || ordered(term)
std::string IndexTermPrefix(const IndexSpace& space, absl::string_view term);
// IndexTermPrefix || u32be(said) || u64be(asserted sequence)
std::string IndexEntryKey(const IndexSpace& space, absl::string_view term, uint32_t said,
                          SequenceNumber asserted_sequence);
// The same into *key (its capacity reused).
void IndexEntryKeyTo(const IndexSpace& space, absl::string_view term, uint32_t said,
                     SequenceNumber asserted_sequence, std::string* key);

struct ValidRange {
  SequenceNumber valid_from = 0;
  SequenceNumber valid_until = kOpenSequence;
  bool operator==(const ValidRange& o) const {
    return valid_from == o.valid_from && valid_until == o.valid_until;
  }
};
struct IndexEntry {
  std::string claim_id;
  std::vector<ValidRange> ranges;  // increasing, disjoint
  // True when the entry was in the index in the state after the first `size` entries,
  // i.e. some range has valid_from < size <= valid_until.
  bool VisibleAt(TreeSize size) const;
};
std::string EncodeIndexEntry(const IndexEntry& entry);
absl::StatusOr<IndexEntry> DecodeIndexEntry(absl::string_view bytes);

// The said key and asserted sequence at the end of an index entry key, and its term.
struct IndexKeyParts {
  std::string term;
  uint32_t said = 0;
  SequenceNumber asserted_sequence = 0;
};
absl::StatusOr<IndexKeyParts> DecodeIndexEntryKey(const IndexSpace& space, absl::string_view key);

// ---- Claims view ---------------------------------------------------------------------------

std::string ClaimStateKey(absl::string_view claims_prefix, absl::string_view claim_id);
// Whether `key` is a claim state key (a cheap test: a listener filters every written key).
bool IsClaimStateKey(absl::string_view claims_prefix, absl::string_view key);
// The claim id of a claim state key (a view into `key`). DataLoss when it is not one.
absl::StatusOr<absl::string_view> DecodeClaimStateKey(absl::string_view claims_prefix,
                                                      absl::string_view key);
// claims prefix || 0x02 || ordered(claim id) || u64be(sequence)
std::string ClaimHistoryPrefix(absl::string_view claims_prefix, absl::string_view claim_id);
std::string ClaimHistoryKey(absl::string_view claims_prefix, absl::string_view claim_id,
                            SequenceNumber sequence);
// The sequence at the end of a history key. DataLoss when too short.
absl::StatusOr<SequenceNumber> DecodeHistoryKeySequence(absl::string_view key);
// The status index inside the claims view.
IndexSpace StatusIndexSpace(absl::string_view claims_prefix);
std::string StatusTerm(ClaimStatus status);  // one byte

// The current state of one claim:
//   u64be(asserted) || submitter key id (32) || u64be(version) || u8(status) || u64be(status_seq)
//   || u32be(said key of the current version)
//   || kClaimIndexCount x terms(the current version's terms in that index, in ClaimIndex order)
//   || terms(name terms) || terms(statement terms)
//   terms(list) = u16be(n) || n x (u16be(len) || bytes), sorted and unique
// It is also what claim matching compares (match_text.h): ledgerd's in-memory match index
// (match_index.h) is built from these records and nothing else.
struct ClaimState {
  SequenceNumber asserted_sequence = 0;
  std::string submitter_key_id;  // 32 bytes
  // The assert or latest correction: its entry holds the current content.
  SequenceNumber version_sequence = 0;
  ClaimStatus status = ClaimStatus::kActive;
  // The entry that last changed `status` (the assert while active).
  SequenceNumber status_sequence = 0;
  // The said key of the current version (where the claim sits in every index).
  uint32_t said = 0;
  // The terms the current version put into each claim index (ClaimIndexTerms).
  std::array<std::vector<std::string>, kClaimIndexCount> index_terms;
  // Claim matching (match_text.h): NameTerms of the claimant's name, MatchTerms of the
  // statement's text.
  std::vector<std::string> name_terms;
  std::vector<std::string> statement_terms;
  // The last entry that changed version or status: the state is current for every as-of after.
  SequenceNumber LastChange() const { return std::max(version_sequence, status_sequence); }
};
std::string EncodeClaimState(const ClaimState& state);
void EncodeClaimStateTo(const ClaimState& state, std::string* out);  // into *out (replaced)
// What claim matching reads of a claim state, decoded without copying: views into `bytes`,
// valid while it is. The vectors are cleared first (their capacity is kept, so a caller that
// decodes many records into one MatchFields allocates little).
struct MatchFields {
  SequenceNumber asserted_sequence = 0;
  uint32_t said = 0;
  std::vector<absl::string_view> claimant_terms;  // index_terms[kClaimant]
  std::vector<absl::string_view> topic_terms;     // index_terms[kTopic]
  std::vector<absl::string_view> name_terms;
  std::vector<absl::string_view> statement_terms;
};
// DataLoss when `bytes` is not a claim state (the checks of DecodeClaimState).
absl::Status DecodeMatchFields(absl::string_view bytes, MatchFields* out);
absl::StatusOr<ClaimState> DecodeClaimState(absl::string_view bytes);

// History and signed-event values: u8(event kind) || event id.
std::string EncodeKindAndId(EventKind kind, absl::string_view event_id);
absl::StatusOr<std::pair<EventKind, std::string>> DecodeKindAndId(absl::string_view bytes);

// ---- Keys view -----------------------------------------------------------------------------

std::string KeyStateKey(absl::string_view keys_prefix, absl::string_view key_id);
std::string SignedEventPrefix(absl::string_view keys_prefix, absl::string_view key_id);
std::string SignedEventKey(absl::string_view keys_prefix, absl::string_view key_id,
                           SequenceNumber sequence);

//   u8(has public key) || public key (32, zero when unknown) || u8(role) ||
//   u64be(registered sequence) || u8(revoked) || u64be(revoked sequence) ||
//   u64be(compromised since; kOpenSequence when not revoked as compromised)
struct KeyState {
  bool has_public_key = false;  // false for a genesis admin key revoked by an event
  std::string public_key;       // 32 bytes when known
  uint8_t role = 0;             // ledger.v1.KeyRegistered.Role
  SequenceNumber registered_sequence = kGenesisSequence;
  bool revoked = false;
  SequenceNumber revoked_sequence = 0;
  // Revoked as compromised: events it signed in [compromised_since, revoked_sequence) are
  // flagged. kOpenSequence when not (a routine revocation, or not revoked).
  SequenceNumber compromised_since = kOpenSequence;
  // True when an event signed at `sequence` falls in the compromise window, as of the state
  // after the first `as_of_size` entries (the revocation must be among them).
  bool SignedWhileCompromised(SequenceNumber sequence, TreeSize as_of_size) const {
    return revoked && compromised_since != kOpenSequence && revoked_sequence < as_of_size &&
           sequence >= compromised_since && sequence < revoked_sequence;
  }
};
std::string EncodeKeyState(const KeyState& state);
absl::StatusOr<KeyState> DecodeKeyState(absl::string_view bytes);

// ---- Verdict tallies (inside the claims view) ----------------------------------------------

// claims prefix || 0x0A || ordered(claimant term) || ordered(reviewer) || ordered(rating text)
//   -> u64be(count)
std::string TallyPrefix(absl::string_view claims_prefix, absl::string_view claimant_term);
std::string TallyKey(absl::string_view claims_prefix, absl::string_view claimant_term,
                     absl::string_view reviewer, absl::string_view rating_text);
// Reviewer and rating text from a tally key under TallyPrefix(prefix, term).
absl::StatusOr<std::pair<std::string, std::string>> DecodeTallyKeySuffix(absl::string_view suffix);

}  // namespace ledger::views::schema

#endif  // LEDGER_VIEWS_VIEW_SCHEMA_H_
