// ViewQueries: the read API over the views and the log (the gRPC service exposes it).
//
// Claim content is read from the log entry of the claim version a query needs (the views keep
// only sequence numbers: the log is the single truth), so every result is exactly what was
// signed.
//
// As-of and bitemporal reads. Every query reads "the state after the first S entries of the
// log" for some S (ReadPoint.as_of_size):
//   AsOf::Latest()            S = the views' watermark (everything they have applied)
//   AsOf::Sequence(n)         S = n + 1: the state right after entry n
//   AsOf::RecordedTime(t)     S = the number of entries recorded at or before t (recorded times
//                             never decrease; found by binary search over the log, O(log n)
//                             entry reads, among the entries the views have applied)
// Index entries carry the sequence ranges of the versions they index, and a claim's status and
// version are folded from its history up to S, so the answer is exact for any S. A statement-time
// range (SaidRange) filters by when the claim was SAID, which the indexes sort by: "what had the
// ledger recorded by 1 Sept about statements made in July by Sergei Ryabkov" is
//   ListClaims(ClaimFilter::Claimant("Sergei Ryabkov").SaidBetween({2015, 7}, {2015, 7}), "", 100,
//              AsOf::RecordedTime(micros of 2015-09-01T00:00:00Z))
//
// Pagination. A page token (opaque bytes) pins the first page's S and holds the last index key
// returned, so later pages read the same state whatever is appended meanwhile: no page shifts,
// no duplicates. A token is refused (INVALID_ARGUMENT) with another query. A page may hold fewer
// than page_size results (a page scans at most kMaxScannedPerPage index entries); the end is an
// empty next_page_token.
//
// Errors common to every query:
//   INVALID_ARGUMENT  page_size < 0 or > kMaxPageSize; a malformed or foreign page token; a bad
//                     said range or key id
//   OUT_OF_RANGE      AsOf::Sequence(n) with n at or past the log's end
//   UNAVAILABLE       the views have not applied the entries the read needs yet (retry, or wait:
//                     ViewUpdater::WaitForWatermark)
//   DATA_LOSS         a view or log record does not decode, or they disagree
//
// Thread-safety: thread-safe (const; reads only). Results carry the views' watermark when they
// were answered. A query running while the views are rebuilt may see UNAVAILABLE.
//
// Example:
//   ViewQueries q(&engine->store(), &log->store());
//   LEDGER_ASSIGN_OR_RETURN(ClaimDetails c, q.GetClaim("seed-ryabkov-india", AsOf::Latest()));
//   std::cout << c.claim.statement().text() << " (" << ClaimStatusName(c.status) << ")\n";
#ifndef LEDGER_VIEWS_QUERIES_H_
#define LEDGER_VIEWS_QUERIES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/event_validation.h"
#include "ledger/store/log_store.h"
#include "ledger/views/view_schema.h"
#include "ledger/views/view_store.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::views {

using schema::ClaimStatus;
using schema::ClaimStatusName;
using schema::EventKind;
using schema::EventKindName;

// Which state of the log a query reads.
struct AsOf {
  enum class Kind { kLatest, kSequence, kRecordedTime };
  Kind kind = Kind::kLatest;
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;

  static AsOf Latest() { return AsOf(); }
  // The state right after entry `sequence` was applied.
  static AsOf Sequence(SequenceNumber sequence) {
    AsOf a;
    a.kind = Kind::kSequence;
    a.sequence = sequence;
    return a;
  }
  // The state after every entry recorded at or before `micros` (Unix microseconds).
  static AsOf RecordedTime(int64_t micros) {
    AsOf a;
    a.kind = Kind::kRecordedTime;
    a.recorded_time_micros = micros;
    return a;
  }
};

// The state a result was read from: the first `as_of_size` entries, by views that had applied
// `watermark` entries.
struct ReadPoint {
  TreeSize as_of_size = 0;
  TreeSize watermark = 0;
};

// A statement date; 0 for unknown parts: {2015} is the year 2015, {2015, 7} July 2015.
struct SaidDate {
  int year = 0;
  int month = 0;
  int day = 0;
};
// A statement-time range, inclusive, each bound at the precision given: `from` stands for its
// first day ({2015} is 2015-01-01, {2015, 7} is 2015-07-01) and `to` for its last ({2015} is
// 2015-12-31, {2015, 7} is 2015-07-31). Either may be unset (unbounded on that side).
//
// A claim is in the range when every day its said date may stand for lies in it ("contained"):
// a claim said "2015-07" is in 2015-07-01..2015-07-31, in 2015-07..2015-07 and in 2015..2015,
// but not in 2015-07-01..2015-07-15 (it may have been said later in July); a claim said "2015"
// is in 2015-01-01..2015-12-31 but not in 2015-07..2015-07. A claim with no said date is in no
// range with a bound. The same rule (SaidBounds) serves every query that takes a range.
struct SaidRange {
  std::optional<SaidDate> from;
  std::optional<SaidDate> to;
};

// A SaidRange resolved to said keys (view_schema.h): [first, last] in days.
struct SaidBounds {
  bool bounded = false;
  uint32_t first = 0;
  uint32_t last = 0xffffffffu;
  // INVALID_ARGUMENT naming said_from / said_to for a date that is not one, or from > to.
  static absl::StatusOr<SaidBounds> Of(const SaidRange& range);
  // True when a claim with this said key is in the range (the rule above).
  bool Contains(uint32_t said_key) const;
};

// What ListClaims lists. Terms are normalised exactly as the views normalise them
// (view_schema.h): pass the claimant's stable id when it has one.
struct ClaimFilter {
  enum class Kind { kAll, kClaimant, kTopic, kEntity, kSourceUrl, kPublisher, kStatus };
  Kind kind = Kind::kAll;
  std::string term;  // the normalised index term (unused for kAll and kStatus)
  ClaimStatus status = ClaimStatus::kActive;  // for kStatus
  SaidRange said;
  // kClaimant / kEntity given both a stable id (the index term) and a name: the name too must
  // match (folded), checked on each claim found; empty otherwise.
  std::string folded_name;
  std::string stable_id;  // kEntity: the mentioned entity that must carry `folded_name`

  // Every claim, in statement-time order (the timeline).
  static ClaimFilter All();
  static ClaimFilter Claimant(absl::string_view name, absl::string_view stable_id = "");
  static ClaimFilter Topic(absl::string_view topic);
  static ClaimFilter Entity(absl::string_view name, absl::string_view stable_id = "");
  static ClaimFilter SourceUrl(absl::string_view url);
  static ClaimFilter Publisher(absl::string_view publisher);
  static ClaimFilter Status(ClaimStatus status);
  // False when the claim fails the name check of a filter given both a stable id and a name.
  bool MatchesName(const ledger::v1::Claim& claim) const;
  // Restricts to claims said within [from, to]; either may be nullopt (unbounded).
  ClaimFilter& SaidBetween(std::optional<SaidDate> from, std::optional<SaidDate> to) {
    said.from = from;
    said.to = to;
    return *this;
  }
};

// One event of a claim's history, read from its log entry.
struct HistoryEvent {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;  // 32 bytes: the signer
  EventKind kind = EventKind::kClaimAsserted;
  std::string reason;  // of a correction or retraction; a review's explanation
  // Signed by a key that, as of the read point, was revoked as compromised since at or before
  // this entry (schema::KeyState::SignedWhileCompromised).
  bool signer_compromised = false;
};

struct Verdict {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;
  ledger::v1::ClaimReviewed review;
  bool signer_compromised = false;  // as HistoryEvent's
};

// Where a claim was seen again (a claim_appeared entry).
struct Appearance {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;
  ledger::v1::ClaimAppeared appearance;
  bool signer_compromised = false;  // as HistoryEvent's
};

// A relation between two claims (a claim_related entry), as seen from one of them.
struct Relation {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;
  ledger::v1::ClaimRelated related;
  bool signer_compromised = false;  // as HistoryEvent's
};

struct ClaimDetails {
  std::string claim_id;
  SequenceNumber asserted_sequence = 0;
  std::string submitter_key_id;
  // The assert or correction whose content `claim` is, as of the read point.
  SequenceNumber version_sequence = 0;
  ledger::v1::Claim claim;
  ClaimStatus status = ClaimStatus::kActive;
  std::vector<Verdict> verdicts;
  std::vector<HistoryEvent> history;  // in log order
  std::vector<Appearance> appearances;  // in log order
  std::vector<Relation> relations;      // in log order, recorded on this claim or the other
  // The earliest of the claim's source and its appearances by published time (sources without
  // one count as published when recorded); ties go to the first recorded.
  ledger::v1::Source first_appearance;
  // Distinct publishers among the claim's source and its appearances: the publisher's name
  // (folded, as the indexes fold), or the URL's host when no publisher is given.
  uint32_t independent_publishers = 0;
  // The assert, a correction or the retraction was signed while its key was compromised.
  bool signer_compromised = false;
  ReadPoint read_point;
};

struct ClaimSummary {
  std::string claim_id;
  SequenceNumber asserted_sequence = 0;
  SequenceNumber version_sequence = 0;
  ClaimStatus status = ClaimStatus::kActive;
  ledger::v1::Claim claim;  // the content of version_sequence
  // The assert or the current version was signed while its key was compromised.
  bool signer_compromised = false;
};

struct ClaimPage {
  std::vector<ClaimSummary> claims;  // in index order: statement time, then asserted sequence
  std::string next_page_token;       // empty at the end
  ReadPoint read_point;
};

struct VerdictCount {
  std::string reviewer;
  std::string rating_text;
  uint64_t count = 0;
  uint64_t compromised = 0;  // of `count`, reviews signed while the key was compromised
};
struct VerdictTallyResult {
  std::string claimant_term;
  std::vector<VerdictCount> counts;  // by reviewer, then rating text
  uint64_t total = 0;
  uint64_t compromised = 0;
  TreeSize watermark = 0;
};

struct KeyDetails {
  std::string key_id;  // 32 bytes
  // False for a genesis admin key (named in the data directory, not registered by an event).
  bool registered_by_event = false;
  std::string public_key;  // 32 bytes; empty when unknown (a genesis key)
  ledger::v1::KeyRegistered::Role role = ledger::v1::KeyRegistered::ROLE_UNSPECIFIED;
  std::string holder;
  SequenceNumber registered_sequence = schema::kGenesisSequence;
  bool revoked = false;
  SequenceNumber revoked_sequence = 0;
  std::string revoke_reason;
  // Revoked as compromised since this sequence: what it signed from there is flagged.
  std::optional<SequenceNumber> compromised_since;
  ReadPoint read_point;
};

struct SignedEventRef {
  SequenceNumber sequence = 0;
  EventKind kind = EventKind::kClaimAsserted;
  std::string event_id;
};
struct SignedEventPage {
  std::vector<SignedEventRef> events;  // in log order
  std::string next_page_token;
  ReadPoint read_point;
};

// What ListRelations answers: relations whose claim (claim_id) or related claim is in the
// filter's claims, of the given kinds (empty: every kind), with both claims summarised.
struct RelationRow {
  Relation relation;
  ClaimSummary claim;          // claim_id's
  ClaimSummary related_claim;  // related_claim_id's
};
struct RelationList {
  std::vector<RelationRow> relations;  // in log order
  bool more = false;                   // `limit` cut the list
  ReadPoint read_point;
};

class ViewQueries {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  static constexpr int kMaxScannedPerPage = 10000;

  // Both are borrowed and must outlive this object.
  ViewQueries(const ViewStore* views, const store::LogStore* log) : views_(views), log_(log) {}

  // The claim with its version and status as of the read point, its verdicts and its full
  // history (one log read per history event). NOT_FOUND when no claim has this id as of the read
  // point (the message says so when the id names a correction, which is not a claim id).
  absl::StatusOr<ClaimDetails> GetClaim(absl::string_view claim_id,
                                        const AsOf& as_of = AsOf::Latest()) const;

  // Claims matching `filter`, one page. page_size 0 means kDefaultPageSize. With a page token,
  // `as_of` is ignored: the token's read point is used.
  absl::StatusOr<ClaimPage> ListClaims(const ClaimFilter& filter, absl::string_view page_token,
                                       int page_size, const AsOf& as_of = AsOf::Latest()) const;

  // A claimant's statements in statement-time order (every claimant's when both name and
  // stable_id are empty), within `range`.
  absl::StatusOr<ClaimPage> Timeline(absl::string_view claimant_name,
                                     absl::string_view claimant_stable_id, const SaidRange& range,
                                     absl::string_view page_token, int page_size,
                                     const AsOf& as_of = AsOf::Latest()) const;

  // Relations touching the claims `filter` selects (a claimant's contradictions and position
  // changes: ClaimFilter::Claimant, with a said range), of `kinds` (empty: all), optionally
  // only claims with `topic` (folded as the indexes fold). At most `limit` (1..1000).
  absl::StatusOr<RelationList> ListRelations(
      const ClaimFilter& filter, const std::vector<ledger::v1::ClaimRelated::Relation>& kinds,
      absl::string_view topic, int limit, const AsOf& as_of = AsOf::Latest()) const;

  // Review counts for one claimant (latest state only), by reviewer and rating text.
  absl::StatusOr<VerdictTallyResult> VerdictTally(absl::string_view claimant_name,
                                                  absl::string_view claimant_stable_id = "") const;

  // One signer key (32-byte key id) as of the read point. NOT_FOUND when the key neither was
  // registered nor signed anything by then.
  absl::StatusOr<KeyDetails> KeyInfo(absl::string_view key_id,
                                     const AsOf& as_of = AsOf::Latest()) const;
  // Every key registered by an event or revoked, as of the read point, in key id order. Genesis
  // admin keys that were never revoked are not listed (they are in the data directory's identity).
  absl::StatusOr<std::vector<KeyDetails>> ListKeys(const AsOf& as_of = AsOf::Latest()) const;
  // The events a key signed, one page.
  absl::StatusOr<SignedEventPage> ListSignedEvents(absl::string_view key_id,
                                                   absl::string_view page_token, int page_size,
                                                   const AsOf& as_of = AsOf::Latest()) const;

  // The read point an AsOf resolves to for queries of `view_names` (their minimum watermark).
  absl::StatusOr<ReadPoint> Resolve(const AsOf& as_of,
                                    const std::vector<absl::string_view>& view_names) const;

 private:
  using Entry = core::StoredEntry;
  absl::StatusOr<Entry> ReadEntry(SequenceNumber sequence) const;
  absl::StatusOr<TreeSize> ViewWatermark(absl::string_view view_name) const;
  // Key states read while answering one query (nullopt: no record).
  using KeyStateCache = std::map<std::string, std::optional<schema::KeyState>>;
  absl::StatusOr<bool> SignedWhileCompromised(absl::string_view key_id, SequenceNumber sequence,
                                              TreeSize as_of_size, KeyStateCache* cache) const;
  absl::StatusOr<ClaimSummary> Summarize(const std::string& claim_id, TreeSize as_of_size,
                                         KeyStateCache* keys) const;
  absl::Status CountCompromisedVerdicts(VerdictTallyResult* r) const;
  // Folds claim `claim_id`'s history records before entry `before` into `version` and
  // `status` (the version and status current at that point).
  absl::Status FoldHistoryBefore(absl::string_view claim_id, SequenceNumber before,
                                 SequenceNumber* version, ClaimStatus* status) const;
  // The claimant terms of claim `claim_id`'s version current just before entry `before` (the
  // terms a review at `before` was counted under): `state`'s own when no version is that late.
  absl::StatusOr<std::vector<std::string>> ClaimantTermsBefore(const std::string& claim_id,
                                                               const schema::ClaimState& state,
                                                               SequenceNumber before) const;
  // Every key state record (key id, state), in key id order.
  absl::StatusOr<std::vector<std::pair<std::string, schema::KeyState>>> KeyStates() const;
  absl::StatusOr<KeyDetails> KeyFromRecord(absl::string_view key_id,
                                           const schema::KeyState& state,
                                           const ReadPoint& point) const;

  const ViewStore* const views_;
  const store::LogStore* const log_;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_QUERIES_H_
