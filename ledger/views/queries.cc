#include "ledger/views/queries.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/event_validation.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"

namespace ledger::views {
namespace {

using ledger::v1::Event;

// ---- Page tokens ------------------------------------------------------------------------------
//   u8(kTokenVersion) || query hash (16) || u64be(as_of_size) || resume key
// The query hash binds a token to the query that made it; the resume key is the last index key
// the previous page consumed. Tokens are not secret or signed: forging one only reads other
// data the caller could query anyway.
constexpr uint8_t kTokenVersion = 1;
constexpr size_t kQueryHashSize = 16;
constexpr size_t kTokenHeaderSize = 1 + kQueryHashSize + 8;

struct PageToken {
  TreeSize as_of_size = 0;
  std::string resume_key;
};

std::string QueryHash(absl::string_view description) {
  Hash h = crypto::Sha256Concat(
      {absl::string_view("factledger/v1/page-token\x00", 25), description});
  return std::string(AsStringView(h).substr(0, kQueryHashSize));
}

std::string EncodePageToken(absl::string_view query_hash, TreeSize as_of_size,
                            absl::string_view resume_key) {
  std::string t;
  t.push_back(static_cast<char>(kTokenVersion));
  t.append(query_hash.data(), query_hash.size());
  PutFixed64BE(&t, as_of_size);
  t.append(resume_key.data(), resume_key.size());
  return t;
}

absl::StatusOr<PageToken> DecodePageToken(absl::string_view token, absl::string_view query_hash,
                                          absl::string_view range_begin,
                                          absl::string_view range_end) {
  if (token.size() <= kTokenHeaderSize || static_cast<uint8_t>(token[0]) != kTokenVersion) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  if (token.substr(1, kQueryHashSize) != query_hash) {
    return absl::InvalidArgumentError(
        "page_token: it belongs to another query (filter, range or key differ)");
  }
  PageToken t;
  t.as_of_size = DecodeFixed64BE(token.data() + 1 + kQueryHashSize);
  t.resume_key = std::string(token.substr(kTokenHeaderSize));
  if (t.resume_key < range_begin || (!range_end.empty() && t.resume_key >= range_end)) {
    return absl::InvalidArgumentError("page_token: position outside the query's range");
  }
  return t;
}

absl::StatusOr<int> CheckPageSize(int page_size) {
  if (page_size < 0 || page_size > ViewQueries::kMaxPageSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded, "page_size",
                     absl::StrCat(page_size, " is outside [0, ", ViewQueries::kMaxPageSize, "]"));
  }
  return page_size == 0 ? ViewQueries::kDefaultPageSize : page_size;
}

// ---- Views and ranges -------------------------------------------------------------------------

schema::ViewTag TagOf(absl::string_view view) {
  using schema::ViewTag;
  if (view == schema::kKeysView) return ViewTag::kKeys;
  if (view == "claim_state") return ViewTag::kClaimState;
  return ViewTag::kClaims;
}

std::string PrefixOf(absl::string_view view) { return schema::ViewPrefix(TagOf(view), view); }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// `field` is said_from or said_to.
absl::Status CheckSaidDate(const SaidDate& d, absl::string_view field) {
  const bool ok = d.year >= 1 && d.year <= 9999 && d.month >= 0 && d.month <= 12 &&
                  d.day >= 0 && (d.day == 0 || (d.month != 0 && d.day <= DaysInMonth(d.year, d.month)));
  if (!ok) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, field,
                     absl::StrCat(d.year, "-", d.month, "-", d.day,
                                  " is not a date (year 1..9999, month 0..12, a day of that "
                                  "month with a month; 0 = unknown)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SaidBounds> SaidBounds::Of(const SaidRange& range) {
  SaidBounds b;
  b.bounded = range.from.has_value() || range.to.has_value();
  if (range.from.has_value()) {
    const SaidDate& f = *range.from;
    LEDGER_RETURN_IF_ERROR(CheckSaidDate(f, "said_from"));
    b.first = schema::SaidKeyOf(f.year, f.month == 0 ? 1 : f.month, f.day == 0 ? 1 : f.day);
  }
  if (range.to.has_value()) {
    const SaidDate& t = *range.to;
    LEDGER_RETURN_IF_ERROR(CheckSaidDate(t, "said_to"));
    const int month = t.month == 0 ? 12 : t.month;
    b.last = schema::SaidKeyOf(t.year, month, t.day == 0 ? DaysInMonth(t.year, month) : t.day);
  }
  if (b.first > b.last) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest, "said_from",
                     "the range's start is after its end (said_to)");
  }
  return b;
}

bool SaidBounds::Contains(uint32_t said_key) const {
  if (!bounded) return true;
  if (said_key == 0) return false;  // no date: in no bounded range
  const int year = static_cast<int>(said_key >> 16);
  const int month = static_cast<int>((said_key >> 8) & 0xff);
  const int day = static_cast<int>(said_key & 0xff);
  const int last_month = month == 0 ? 12 : month;
  const uint32_t span_first =
      schema::SaidKeyOf(year, month == 0 ? 1 : month, day == 0 ? 1 : day);
  const uint32_t span_last = schema::SaidKeyOf(
      year, last_month, day == 0 ? DaysInMonth(year, last_month) : day);
  return span_first >= first && span_last <= last;
}

namespace {

// The index keys [begin, end) of `term` that can hold claims said within `bounds`: from the
// start of the first bound's year (a year-only or month-only date sorts before that year's
// days) to the last bound's day. Entries in it are then checked with SaidBounds::Contains.
struct KeyRange {
  std::string begin;
  std::string end;
};
KeyRange SaidKeyRange(const schema::IndexSpace& space, absl::string_view term,
                      const SaidBounds& bounds) {
  const std::string term_prefix = schema::IndexTermPrefix(space, term);
  KeyRange r;
  r.begin = term_prefix;
  // Undated claims (said key 0) are only in unbounded ranges.
  const uint32_t begin_said =
      !bounds.bounded ? 0 : std::max<uint32_t>(1, schema::SaidKeyOf(bounds.first >> 16, 0, 0));
  PutFixed32BE(&r.begin, begin_said);
  const uint64_t end_said = uint64_t{bounds.last} + 1;
  if (end_said > 0xffffffffu) {
    r.end = schema::PrefixSuccessor(term_prefix);
  } else {
    r.end = term_prefix;
    PutFixed32BE(&r.end, static_cast<uint32_t>(end_said));
  }
  return r;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("views and log disagree: ", what));
}

const ledger::v1::Claim* ClaimOf(const Event& event) {
  if (event.has_claim_asserted()) return &event.claim_asserted().claim();
  if (event.has_claim_corrected()) return &event.claim_corrected().claim();
  return nullptr;
}

// Folds one history event into a version and status.
// A Verdict, Appearance or Relation with the fields every one takes from its entry and history
// event (sequence, recorded time, event id, key id, signed while compromised).
template <typename T>
T FromEntry(const core::StoredEntry& e, const HistoryEvent& h) {
  T t;
  t.sequence = h.sequence;
  t.recorded_time_micros = e.recorded_time_micros;
  t.event_id = e.event_id;
  t.key_id = e.key_id;
  t.signer_compromised = h.signer_compromised;
  return t;
}

// Who published a source, for counting independent publishers: the publisher's name folded,
// else the host of its URL.
std::string PublisherKey(const ledger::v1::Source& s) {
  if (!s.publisher().empty()) return absl::StrCat("publisher:", schema::FoldText(s.publisher()));
  absl::string_view url = s.url();
  if (const size_t scheme = url.find("://"); scheme != absl::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (absl::StartsWith(url, "www.")) url.remove_prefix(4);
  return absl::StrCat("host:", schema::FoldText(url));
}

void Fold(EventKind kind, SequenceNumber sequence, SequenceNumber* version, ClaimStatus* status) {
  switch (kind) {
    case EventKind::kClaimAsserted:
      *version = sequence;
      *status = ClaimStatus::kActive;
      break;
    case EventKind::kClaimCorrected:
      *version = sequence;
      *status = ClaimStatus::kCorrected;
      break;
    case EventKind::kClaimRetracted:
      *status = ClaimStatus::kRetracted;
      break;
    default:
      break;
  }
}

}  // namespace

absl::StatusOr<ViewQueries::Entry> ViewQueries::ReadEntry(SequenceNumber sequence) const {
  absl::StatusOr<std::string> leaf = log_->GetEntry(sequence);
  if (absl::IsNotFound(leaf.status())) {
    return Corrupt(absl::StrCat("the views refer to log entry ", sequence,
                                " which the log does not hold"));
  }
  if (!leaf.ok()) return leaf.status();
  return core::DecodeStoredEntry(sequence, *leaf);
}

absl::StatusOr<TreeSize> ViewQueries::ViewWatermark(absl::string_view view_name) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          views_->Get(schema::WatermarkKey(PrefixOf(view_name))));
  if (!bytes.has_value()) return TreeSize{0};
  return schema::DecodeU64(*bytes, "watermark");
}

absl::StatusOr<ReadPoint> ViewQueries::Resolve(
    const AsOf& as_of, const std::vector<absl::string_view>& view_names) const {
  ReadPoint point;
  bool first = true;
  for (absl::string_view name : view_names) {
    LEDGER_ASSIGN_OR_RETURN(TreeSize w, ViewWatermark(name));
    point.watermark = first ? w : std::min(point.watermark, w);
    first = false;
  }
  switch (as_of.kind) {
    case AsOf::Kind::kLatest:
      point.as_of_size = point.watermark;
      break;
    case AsOf::Kind::kSequence: {
      const TreeSize head = log_->Head().tree_size;
      if (as_of.sequence >= head) {
        return absl::OutOfRangeError(absl::StrCat("as of sequence ", as_of.sequence,
                                                  ": the log has ", head, " entries"));
      }
      if (as_of.sequence >= point.watermark) {
        return absl::UnavailableError(absl::StrCat(
            "as of sequence ", as_of.sequence, ": the views have applied ", point.watermark,
            " entries so far; retry when they have caught up"));
      }
      point.as_of_size = as_of.sequence + 1;
      break;
    }
    case AsOf::Kind::kRecordedTime: {
      // The number of entries recorded at or before T: recorded times never decrease.
      TreeSize lo = 0, hi = point.watermark;
      while (lo < hi) {
        const TreeSize mid = lo + (hi - lo) / 2;
        absl::StatusOr<std::string> leaf = log_->GetEntry(mid);
        if (!leaf.ok()) {
          return absl::IsNotFound(leaf.status())
                     ? Corrupt(absl::StrCat("log entry ", mid, " is missing"))
                     : leaf.status();
        }
        LEDGER_ASSIGN_OR_RETURN(format::EntryView view, format::DecodeLeafData(*leaf));
        if (view.recorded_time_micros <= as_of.recorded_time_micros) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      point.as_of_size = lo;
      break;
    }
  }
  return point;
}

absl::StatusOr<bool> ViewQueries::SignedWhileCompromised(absl::string_view key_id,
                                                         SequenceNumber sequence,
                                                         TreeSize as_of_size,
                                                         KeyStateCache* cache) const {
  auto it = cache->find(std::string(key_id));
  if (it == cache->end()) {
    LEDGER_ASSIGN_OR_RETURN(
        std::optional<std::string> bytes,
        views_->Get(schema::KeyStateKey(PrefixOf(schema::kKeysView), key_id)));
    std::optional<schema::KeyState> state;
    if (bytes.has_value()) {
      LEDGER_ASSIGN_OR_RETURN(state, schema::DecodeKeyState(*bytes));
    }
    it = cache->emplace(std::string(key_id), std::move(state)).first;
  }
  return it->second.has_value() && it->second->SignedWhileCompromised(sequence, as_of_size);
}

absl::StatusOr<ClaimSummary> ViewQueries::Summarize(const std::string& claim_id,
                                                    TreeSize as_of_size,
                                                    KeyStateCache* keys) const {
  const std::string claims = PrefixOf(schema::kClaimsView);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          views_->Get(schema::ClaimStateKey(claims, claim_id)));
  if (!bytes.has_value()) {
    return Corrupt(absl::StrCat("an index lists claim \"", claim_id, "\" that is unknown"));
  }
  LEDGER_ASSIGN_OR_RETURN(schema::ClaimState state, schema::DecodeClaimState(*bytes));
  ClaimSummary s;
  s.claim_id = claim_id;
  s.asserted_sequence = state.asserted_sequence;
  if (state.LastChange() < as_of_size) {
    s.version_sequence = state.version_sequence;
    s.status = state.status;
  } else {
    // Changed after the read point: fold the history up to it.
    LEDGER_RETURN_IF_ERROR(FoldHistoryBefore(claim_id, as_of_size, &s.version_sequence, &s.status));
  }
  LEDGER_ASSIGN_OR_RETURN(Entry version, ReadEntry(s.version_sequence));
  const ledger::v1::Claim* claim = ClaimOf(version.event);
  if (claim == nullptr) {
    return Corrupt(absl::StrCat("claim \"", claim_id, "\" has version ", s.version_sequence,
                                " which is not a claim event"));
  }
  s.claim = *claim;
  LEDGER_ASSIGN_OR_RETURN(const bool assert_flagged,
                          SignedWhileCompromised(state.submitter_key_id, s.asserted_sequence,
                                                 as_of_size, keys));
  LEDGER_ASSIGN_OR_RETURN(const bool version_flagged,
                          SignedWhileCompromised(version.key_id, s.version_sequence, as_of_size,
                                                 keys));
  s.signer_compromised = assert_flagged || version_flagged;
  return s;
}

absl::StatusOr<ClaimDetails> ViewQueries::GetClaim(absl::string_view claim_id,
                                                   const AsOf& as_of) const {
  LEDGER_ASSIGN_OR_RETURN(ReadPoint point, Resolve(as_of, {schema::kClaimsView}));
  const std::string claims = PrefixOf(schema::kClaimsView);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          views_->Get(schema::ClaimStateKey(claims, claim_id)));
  std::optional<schema::ClaimState> state;
  if (bytes.has_value()) {
    LEDGER_ASSIGN_OR_RETURN(state, schema::DecodeClaimState(*bytes));
  }
  if (!state.has_value() || state->asserted_sequence >= point.as_of_size) {
    // Say so when the id names a correction: a common mistake, and its claim is one step away.
    absl::StatusOr<std::optional<store::EventIdRecord>> id = log_->GetEventId(claim_id);
    if (id.ok() && id->has_value() && (*id)->sequence < point.as_of_size) {
      absl::StatusOr<Entry> e = ReadEntry((*id)->sequence);
      if (e.ok() && e->event.has_claim_corrected()) {
        return MakeError(absl::StatusCode::kNotFound, reason::kClaimNotFound, "claim_id",
                         absl::StrCat("\"", claim_id,
                                      "\" is the event id of a correction of claim \"",
                                      e->event.claim_corrected().corrects_claim_id(),
                                      "\", not a claim id"));
      }
    }
    return MakeError(absl::StatusCode::kNotFound, reason::kClaimNotFound, "claim_id",
                     absl::StrCat("no claim \"", claim_id, "\" as of ", point.as_of_size,
                                  " entries"));
  }
  ClaimDetails d;
  d.claim_id = std::string(claim_id);
  d.asserted_sequence = state->asserted_sequence;
  d.submitter_key_id = state->submitter_key_id;
  d.read_point = point;
  std::vector<SequenceNumber> sequences;
  absl::Status scan_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      schema::ClaimHistoryPrefix(claims, claim_id),
      schema::ClaimHistoryKey(claims, claim_id, point.as_of_size),
      [&](absl::string_view key, absl::string_view) {
        absl::StatusOr<SequenceNumber> seq = schema::DecodeHistoryKeySequence(key);
        if (!seq.ok()) {
          scan_status = seq.status();
          return false;
        }
        sequences.push_back(*seq);
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(scan_status);
  bool have_version = false;
  int64_t asserted_recorded_micros = 0;
  KeyStateCache key_states;
  for (SequenceNumber seq : sequences) {
    LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(seq));
    HistoryEvent h;
    h.sequence = seq;
    h.recorded_time_micros = e.recorded_time_micros;
    h.event_id = e.event_id;
    h.key_id = e.key_id;
    h.kind = schema::EventKindOf(e.event);
    LEDGER_ASSIGN_OR_RETURN(h.signer_compromised,
                            SignedWhileCompromised(e.key_id, seq, point.as_of_size, &key_states));
    if (h.kind != EventKind::kClaimReviewed && h.kind != EventKind::kClaimAppeared &&
        h.kind != EventKind::kClaimRelated) {
      d.signer_compromised |= h.signer_compromised;
    }
    Fold(h.kind, seq, &d.version_sequence, &d.status);
    switch (e.event.body_case()) {
      case Event::kClaimAsserted:
        d.claim = e.event.claim_asserted().claim();
        have_version = true;
        break;
      case Event::kClaimCorrected:
        d.claim = e.event.claim_corrected().claim();
        h.reason = e.event.claim_corrected().reason();
        have_version = true;
        break;
      case Event::kClaimRetracted:
        h.reason = e.event.claim_retracted().reason();
        break;
      case Event::kClaimReviewed: {
        h.reason = e.event.claim_reviewed().explanation();
        Verdict v = FromEntry<Verdict>(e, h);
        v.review = e.event.claim_reviewed();
        d.verdicts.push_back(std::move(v));
        break;
      }
      case Event::kClaimRelated: {
        h.reason = e.event.claim_related().explanation();
        Relation r = FromEntry<Relation>(e, h);
        r.related = e.event.claim_related();
        d.relations.push_back(std::move(r));
        break;
      }
      case Event::kClaimAppeared: {
        h.reason = e.event.claim_appeared().note();
        Appearance a = FromEntry<Appearance>(e, h);
        a.appearance = e.event.claim_appeared();
        d.appearances.push_back(std::move(a));
        break;
      }
      default:
        return Corrupt(absl::StrCat("history of claim \"", claim_id, "\" lists entry ", seq,
                                    ", a key event"));
    }
    if (e.event.has_claim_asserted()) asserted_recorded_micros = e.recorded_time_micros;
    d.history.push_back(std::move(h));
  }
  if (!have_version) {
    return Corrupt(absl::StrCat("claim \"", claim_id, "\" has no assert in its history"));
  }
  // Where it was first seen, and by how many publishers: the current version's source (as
  // recorded with the assert) and every appearance.
  auto published = [](const ledger::v1::Source& s, int64_t recorded) {
    return s.published_time_micros() != 0 ? s.published_time_micros() : recorded;
  };
  d.first_appearance = d.claim.source();
  int64_t first = published(d.claim.source(), asserted_recorded_micros);
  absl::flat_hash_set<std::string> publishers;
  publishers.insert(PublisherKey(d.claim.source()));
  for (const Appearance& a : d.appearances) {
    const int64_t t = published(a.appearance.source(), a.recorded_time_micros);
    if (t < first) {
      first = t;
      d.first_appearance = a.appearance.source();
    }
    publishers.insert(PublisherKey(a.appearance.source()));
  }
  d.independent_publishers = static_cast<uint32_t>(publishers.size());
  return d;
}

absl::StatusOr<ClaimPage> ViewQueries::ListClaims(const ClaimFilter& filter,
                                                  absl::string_view page_token, int page_size,
                                                  const AsOf& as_of) const {
  LEDGER_ASSIGN_OR_RETURN(const int size, CheckPageSize(page_size));
  const std::string claims = PrefixOf(schema::kClaimsView);
  schema::IndexSpace space;
  std::string term = filter.term;
  switch (filter.kind) {
    case ClaimFilter::Kind::kAll:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kTimeline);
      term.clear();
      break;
    case ClaimFilter::Kind::kClaimant:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kClaimant);
      break;
    case ClaimFilter::Kind::kTopic:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kTopic);
      break;
    case ClaimFilter::Kind::kEntity:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kEntity);
      break;
    case ClaimFilter::Kind::kSourceUrl:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kSourceUrl);
      break;
    case ClaimFilter::Kind::kPublisher:
      space = schema::ClaimIndexSpace(claims, schema::ClaimIndex::kPublisher);
      break;
    case ClaimFilter::Kind::kStatus:
      space = schema::StatusIndexSpace(claims);
      term = schema::StatusTerm(filter.status);
      break;
  }
  LEDGER_ASSIGN_OR_RETURN(const SaidBounds bounds, SaidBounds::Of(filter.said));
  const KeyRange range = SaidKeyRange(space, term, bounds);
  const std::string query_hash = QueryHash(absl::StrCat("claims\n", range.begin, "\n", range.end));

  ReadPoint point;
  std::string begin = range.begin;
  if (!page_token.empty()) {
    LEDGER_ASSIGN_OR_RETURN(PageToken t,
                            DecodePageToken(page_token, query_hash, range.begin, range.end));
    LEDGER_ASSIGN_OR_RETURN(point, Resolve(AsOf::Latest(), {schema::kClaimsView}));
    if (t.as_of_size > point.watermark) {
      return absl::UnavailableError(absl::StrCat(
          "page_token reads as of ", t.as_of_size, " entries; the views have applied ",
          point.watermark, " (being rebuilt?); retry"));
    }
    point.as_of_size = t.as_of_size;
    begin = t.resume_key;
    begin.push_back('\0');  // the smallest key after the resume key
  } else {
    LEDGER_ASSIGN_OR_RETURN(point, Resolve(as_of, {schema::kClaimsView}));
  }

  struct Hit {
    std::string key;
    std::string claim_id;
  };
  std::vector<Hit> hits;
  std::string last_scanned;
  int scanned = 0;
  bool more = false;
  absl::Status decode_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      begin, range.end, [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<schema::IndexEntry> e = schema::DecodeIndexEntry(value);
        if (!e.ok()) {
          decode_status = e.status();
          return false;
        }
        // The said key sits before the asserted sequence at the end of every entry key.
        const uint32_t said = DecodeFixed32BE(key.data() + key.size() - 12);
        if (e->VisibleAt(point.as_of_size) && bounds.Contains(said)) {
          if (static_cast<int>(hits.size()) == size) {
            more = true;  // one more match exists: the page is full
            return false;
          }
          hits.push_back(Hit{std::string(key), std::move(e->claim_id)});
        }
        last_scanned = std::string(key);
        if (++scanned >= kMaxScannedPerPage) {
          more = true;
          return false;
        }
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode_status);

  ClaimPage page;
  page.read_point = point;
  KeyStateCache key_states;
  for (const Hit& hit : hits) {
    LEDGER_ASSIGN_OR_RETURN(ClaimSummary s,
                            Summarize(hit.claim_id, point.as_of_size, &key_states));
    if (!filter.MatchesName(s.claim)) continue;
    page.claims.push_back(std::move(s));
  }
  if (more) page.next_page_token = EncodePageToken(query_hash, point.as_of_size, last_scanned);
  return page;
}

absl::StatusOr<ClaimPage> ViewQueries::Timeline(absl::string_view claimant_name,
                                                absl::string_view claimant_stable_id,
                                                const SaidRange& range,
                                                absl::string_view page_token, int page_size,
                                                const AsOf& as_of) const {
  ClaimFilter filter = claimant_name.empty() && claimant_stable_id.empty()
                           ? ClaimFilter::All()
                           : ClaimFilter::Claimant(claimant_name, claimant_stable_id);
  filter.said = range;
  return ListClaims(filter, page_token, page_size, as_of);
}

absl::StatusOr<VerdictTallyResult> ViewQueries::VerdictTally(
    absl::string_view claimant_name, absl::string_view claimant_stable_id) const {
  VerdictTallyResult r;
  r.claimant_term = schema::ClaimantTerm(claimant_stable_id, claimant_name);
  LEDGER_ASSIGN_OR_RETURN(r.watermark, ViewWatermark(schema::kClaimsView));
  const std::string prefix = schema::TallyPrefix(PrefixOf(schema::kClaimsView),
                                                 r.claimant_term);
  absl::Status decode_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      prefix, schema::PrefixSuccessor(prefix),
      [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<std::pair<std::string, std::string>> names =
            schema::DecodeTallyKeySuffix(key.substr(prefix.size()));
        absl::StatusOr<uint64_t> count = schema::DecodeU64(value, "tally");
        if (!names.ok() || !count.ok()) {
          decode_status = names.ok() ? count.status() : names.status();
          return false;
        }
        r.counts.push_back(VerdictCount{names->first, names->second, *count});
        r.total += *count;
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode_status);
  LEDGER_RETURN_IF_ERROR(CountCompromisedVerdicts(&r));
  return r;
}

absl::StatusOr<std::vector<std::pair<std::string, schema::KeyState>>> ViewQueries::KeyStates()
    const {
  std::string begin = PrefixOf(schema::kKeysView);
  begin.push_back(static_cast<char>(schema::kKeyRecord));
  std::vector<std::pair<std::string, schema::KeyState>> records;
  absl::Status decode_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      begin, schema::PrefixSuccessor(begin), [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<schema::KeyState> s = schema::DecodeKeyState(value);
        if (!s.ok()) {
          decode_status = s.status();
          return false;
        }
        records.emplace_back(std::string(key.substr(begin.size())), *std::move(s));
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode_status);
  return records;
}

// Reviews of this claimant's claims signed inside a compromise window: found from the keys
// revoked as compromised (rare) through the events each signed in its window, so the cost is
// proportional to those events, not to the claimant's verdicts.
absl::Status ViewQueries::CountCompromisedVerdicts(VerdictTallyResult* r) const {
  const std::string keys = PrefixOf(schema::kKeysView);
  const std::string claims = PrefixOf(schema::kClaimsView);
  LEDGER_ASSIGN_OR_RETURN(auto key_states, KeyStates());
  absl::Status status;
  for (const auto& [key_id, state] : key_states) {
    if (!state.SignedWhileCompromised(state.compromised_since, r->watermark)) continue;
    std::vector<SequenceNumber> reviews;
    LEDGER_RETURN_IF_ERROR(views_->Scan(
        schema::SignedEventKey(keys, key_id, state.compromised_since),
        schema::SignedEventKey(keys, key_id, state.revoked_sequence),
        [&](absl::string_view key, absl::string_view value) {
          absl::StatusOr<std::pair<EventKind, std::string>> ref = schema::DecodeKindAndId(value);
          if (!ref.ok()) {
            status = ref.status();
            return false;
          }
          if (ref->first == EventKind::kClaimReviewed) {
            reviews.push_back(DecodeFixed64BE(key.data() + key.size() - 8));
          }
          return true;
        }));
    LEDGER_RETURN_IF_ERROR(status);
    for (SequenceNumber seq : reviews) {
      LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(seq));
      const ledger::v1::ClaimReviewed& review = e.event.claim_reviewed();
      LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> state_bytes,
                              views_->Get(schema::ClaimStateKey(claims, review.claim_id())));
      if (!state_bytes.has_value()) continue;
      LEDGER_ASSIGN_OR_RETURN(schema::ClaimState claim,
                              schema::DecodeClaimState(*state_bytes));
      // The tally counted the review under the claimant of the version current at the review
      // (a later correction does not move it): compare with that version's, not the latest.
      LEDGER_ASSIGN_OR_RETURN(std::vector<std::string> terms,
                              ClaimantTermsBefore(review.claim_id(), claim, seq));
      if (std::find(terms.begin(), terms.end(), r->claimant_term) == terms.end()) continue;
      for (VerdictCount& c : r->counts) {
        if (c.reviewer == review.reviewer() && c.rating_text == review.rating_text()) {
          ++c.compromised;
          ++r->compromised;
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ViewQueries::FoldHistoryBefore(absl::string_view claim_id, SequenceNumber before,
                                            SequenceNumber* version, ClaimStatus* status) const {
  const std::string claims = PrefixOf(schema::kClaimsView);
  absl::Status fold_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      schema::ClaimHistoryPrefix(claims, claim_id),
      schema::ClaimHistoryKey(claims, claim_id, before),
      [&](absl::string_view key, absl::string_view value) {
        absl::StatusOr<SequenceNumber> seq = schema::DecodeHistoryKeySequence(key);
        absl::StatusOr<std::pair<EventKind, std::string>> ref = schema::DecodeKindAndId(value);
        if (!seq.ok() || !ref.ok()) {
          fold_status = seq.ok() ? ref.status() : seq.status();
          return false;
        }
        Fold(ref->first, *seq, version, status);
        return true;
      }));
  return fold_status;
}

absl::StatusOr<std::vector<std::string>> ViewQueries::ClaimantTermsBefore(
    const std::string& claim_id, const schema::ClaimState& state, SequenceNumber before) const {
  constexpr size_t kClaimant = static_cast<size_t>(schema::ClaimIndex::kClaimant);
  if (state.version_sequence < before) return state.index_terms[kClaimant];
  SequenceNumber version = state.asserted_sequence;
  ClaimStatus status = ClaimStatus::kActive;
  LEDGER_RETURN_IF_ERROR(FoldHistoryBefore(claim_id, before, &version, &status));
  LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(version));
  const ledger::v1::Claim* claim = ClaimOf(e.event);
  if (claim == nullptr) {
    return Corrupt(absl::StrCat("claim \"", claim_id, "\" has version ", version,
                                " which is not a claim event"));
  }
  return schema::ClaimIndexTerms(schema::ClaimIndex::kClaimant, *claim);
}

absl::StatusOr<KeyDetails> ViewQueries::KeyFromRecord(absl::string_view key_id,
                                                      const schema::KeyState& state,
                                                      const ReadPoint& point) const {
  KeyDetails k;
  k.key_id = std::string(key_id);
  k.read_point = point;
  k.registered_by_event = state.registered_sequence != schema::kGenesisSequence;
  k.registered_sequence = state.registered_sequence;
  k.role = static_cast<ledger::v1::KeyRegistered::Role>(state.role);
  if (state.has_public_key) k.public_key = state.public_key;
  if (k.registered_by_event) {
    LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(state.registered_sequence));
    if (!e.event.has_key_registered()) {
      return Corrupt(absl::StrCat("key registered at entry ", state.registered_sequence,
                                  " which is not a key_registered event"));
    }
    k.holder = e.event.key_registered().holder();
  }
  if (state.revoked && state.revoked_sequence < point.as_of_size) {
    k.revoked = true;
    k.revoked_sequence = state.revoked_sequence;
    LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(state.revoked_sequence));
    if (!e.event.has_key_revoked()) {
      return Corrupt(absl::StrCat("key revoked at entry ", state.revoked_sequence,
                                  " which is not a key_revoked event"));
    }
    k.revoke_reason = e.event.key_revoked().reason();
    if (state.compromised_since != schema::kOpenSequence) {
      k.compromised_since = state.compromised_since;
    }
  }
  return k;
}

absl::StatusOr<KeyDetails> ViewQueries::KeyInfo(absl::string_view key_id,
                                                const AsOf& as_of) const {
  if (key_id.size() != format::kKeyIdSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_id: must be 32 bytes, got ", key_id.size()));
  }
  LEDGER_ASSIGN_OR_RETURN(ReadPoint point, Resolve(as_of, {schema::kKeysView}));
  const std::string keys = PrefixOf(schema::kKeysView);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          views_->Get(schema::KeyStateKey(keys, key_id)));
  if (bytes.has_value()) {
    LEDGER_ASSIGN_OR_RETURN(schema::KeyState state, schema::DecodeKeyState(*bytes));
    const bool by_event = state.registered_sequence != schema::kGenesisSequence;
    if (!by_event || state.registered_sequence < point.as_of_size) {
      return KeyFromRecord(key_id, state, point);
    }
  }
  // No record (as of the read point): a genesis admin key is known by what it signed.
  bool signed_any = false;
  LEDGER_RETURN_IF_ERROR(views_->Scan(schema::SignedEventPrefix(keys, key_id),
                                      schema::SignedEventKey(keys, key_id, point.as_of_size),
                                      [&signed_any](absl::string_view, absl::string_view) {
                                        signed_any = true;
                                        return false;
                                      }));
  if (!signed_any || bytes.has_value()) {
    return MakeError(absl::StatusCode::kNotFound, reason::kKeyNotFound, "key_id",
                     absl::StrCat("no key ", HexEncode(key_id), " as of ", point.as_of_size,
                                  " entries"));
  }
  KeyDetails k;
  k.key_id = std::string(key_id);
  k.role = ledger::v1::KeyRegistered::ADMIN;
  k.read_point = point;
  return k;
}

absl::StatusOr<std::vector<KeyDetails>> ViewQueries::ListKeys(const AsOf& as_of) const {
  LEDGER_ASSIGN_OR_RETURN(ReadPoint point, Resolve(as_of, {schema::kKeysView}));
  LEDGER_ASSIGN_OR_RETURN(auto records, KeyStates());
  std::vector<KeyDetails> out;
  for (const auto& [key_id, state] : records) {
    const bool by_event = state.registered_sequence != schema::kGenesisSequence;
    if (by_event && state.registered_sequence >= point.as_of_size) continue;
    if (!by_event && !(state.revoked && state.revoked_sequence < point.as_of_size)) continue;
    LEDGER_ASSIGN_OR_RETURN(KeyDetails k, KeyFromRecord(key_id, state, point));
    out.push_back(std::move(k));
  }
  return out;
}

absl::StatusOr<SignedEventPage> ViewQueries::ListSignedEvents(absl::string_view key_id,
                                                              absl::string_view page_token,
                                                              int page_size,
                                                              const AsOf& as_of) const {
  if (key_id.size() != format::kKeyIdSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_id: must be 32 bytes, got ", key_id.size()));
  }
  LEDGER_ASSIGN_OR_RETURN(const int size, CheckPageSize(page_size));
  const std::string keys = PrefixOf(schema::kKeysView);
  const std::string range_begin = schema::SignedEventPrefix(keys, key_id);
  const std::string range_end = schema::PrefixSuccessor(range_begin);
  const std::string query_hash = QueryHash(absl::StrCat("signed\n", range_begin));
  ReadPoint point;
  std::string begin = range_begin;
  if (!page_token.empty()) {
    LEDGER_ASSIGN_OR_RETURN(PageToken t,
                            DecodePageToken(page_token, query_hash, range_begin, range_end));
    LEDGER_ASSIGN_OR_RETURN(point, Resolve(AsOf::Latest(), {schema::kKeysView}));
    if (t.as_of_size > point.watermark) {
      return absl::UnavailableError("page_token reads past the views' watermark; retry");
    }
    point.as_of_size = t.as_of_size;
    begin = t.resume_key;
    begin.push_back('\0');
  } else {
    LEDGER_ASSIGN_OR_RETURN(point, Resolve(as_of, {schema::kKeysView}));
  }
  SignedEventPage page;
  page.read_point = point;
  std::string last;
  bool more = false;
  absl::Status decode_status;
  LEDGER_RETURN_IF_ERROR(views_->Scan(
      begin, schema::SignedEventKey(keys, key_id, point.as_of_size),
      [&](absl::string_view key, absl::string_view value) {
        if (static_cast<int>(page.events.size()) == size) {
          more = true;
          return false;
        }
        absl::StatusOr<std::pair<EventKind, std::string>> ref = schema::DecodeKindAndId(value);
        if (!ref.ok() || key.size() != range_begin.size() + 8) {
          decode_status = ref.ok() ? Corrupt("malformed signed-event key") : ref.status();
          return false;
        }
        page.events.push_back(SignedEventRef{DecodeFixed64BE(key.data() + range_begin.size()),
                                             ref->first, std::move(ref->second)});
        last = std::string(key);
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode_status);
  if (more) page.next_page_token = EncodePageToken(query_hash, point.as_of_size, last);
  return page;
}

// ---- ClaimFilter ------------------------------------------------------------------------------

ClaimFilter ClaimFilter::All() { return ClaimFilter(); }

ClaimFilter ClaimFilter::Claimant(absl::string_view name, absl::string_view stable_id) {
  ClaimFilter f;
  f.kind = Kind::kClaimant;
  f.term = schema::ClaimantTerm(stable_id, name);
  if (!stable_id.empty() && !name.empty()) f.folded_name = schema::FoldText(name);
  return f;
}

ClaimFilter ClaimFilter::Topic(absl::string_view topic) {
  ClaimFilter f;
  f.kind = Kind::kTopic;
  f.term = schema::TopicTerm(topic);
  return f;
}

ClaimFilter ClaimFilter::Entity(absl::string_view name, absl::string_view stable_id) {
  ClaimFilter f;
  f.kind = Kind::kEntity;
  f.term = schema::EntityTerm(stable_id, name);
  if (!stable_id.empty() && !name.empty()) {
    f.folded_name = schema::FoldText(name);
    f.stable_id = std::string(stable_id);
  }
  return f;
}

bool ClaimFilter::MatchesName(const ledger::v1::Claim& claim) const {
  if (folded_name.empty()) return true;
  if (kind == Kind::kClaimant) return schema::FoldText(claim.claimant().name()) == folded_name;
  for (const ledger::v1::Entity& e : claim.entities()) {
    if (e.stable_id() == stable_id && schema::FoldText(e.name()) == folded_name) return true;
  }
  return false;
}

ClaimFilter ClaimFilter::SourceUrl(absl::string_view url) {
  ClaimFilter f;
  f.kind = Kind::kSourceUrl;
  f.term = std::string(url);
  return f;
}

ClaimFilter ClaimFilter::Publisher(absl::string_view publisher) {
  ClaimFilter f;
  f.kind = Kind::kPublisher;
  f.term = schema::PublisherTerm(publisher);
  return f;
}

ClaimFilter ClaimFilter::Status(ClaimStatus status) {
  ClaimFilter f;
  f.kind = Kind::kStatus;
  f.status = status;
  return f;
}

absl::StatusOr<RelationList> ViewQueries::ListRelations(
    const ClaimFilter& filter, const std::vector<ledger::v1::ClaimRelated::Relation>& kinds,
    absl::string_view topic, int limit, const AsOf& as_of) const {
  if (limit < 1 || limit > kMaxPageSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded, "limit",
                     absl::StrCat(limit, " is outside [1, ", kMaxPageSize, "]"));
  }
  const std::string claims = PrefixOf(schema::kClaimsView);
  const std::string folded_topic = topic.empty() ? "" : schema::TopicTerm(topic);
  RelationList out;
  std::set<SequenceNumber> seen;
  KeyStateCache keys;
  std::string token;
  bool first_page = true;
  while (first_page || !token.empty()) {
    LEDGER_ASSIGN_OR_RETURN(ClaimPage page,
                            ListClaims(filter, token, kMaxPageSize, as_of));
    if (first_page) out.read_point = page.read_point;
    first_page = false;
    token = page.next_page_token;
    for (const ClaimSummary& c : page.claims) {
      if (!folded_topic.empty()) {
        bool has = false;
        for (const std::string& t : c.claim.topics()) has = has || schema::TopicTerm(t) == folded_topic;
        if (!has) continue;
      }
      // The claim's history records of kind claim_related, as of the read point.
      std::vector<SequenceNumber> sequences;
      absl::Status scan_status;
      LEDGER_RETURN_IF_ERROR(views_->Scan(
          schema::ClaimHistoryPrefix(claims, c.claim_id),
          schema::ClaimHistoryKey(claims, c.claim_id, out.read_point.as_of_size),
          [&](absl::string_view key, absl::string_view value) {
            absl::StatusOr<std::pair<EventKind, std::string>> kind = schema::DecodeKindAndId(value);
            absl::StatusOr<SequenceNumber> seq = schema::DecodeHistoryKeySequence(key);
            if (!kind.ok() || !seq.ok()) {
              scan_status = kind.ok() ? seq.status() : kind.status();
              return false;
            }
            if (kind->first == EventKind::kClaimRelated) sequences.push_back(*seq);
            return true;
          }));
      LEDGER_RETURN_IF_ERROR(scan_status);
      for (SequenceNumber seq : sequences) {
        if (!seen.insert(seq).second) continue;  // both claims in the filter
        LEDGER_ASSIGN_OR_RETURN(Entry e, ReadEntry(seq));
        const ledger::v1::ClaimRelated& rel = e.event.claim_related();
        if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), rel.relation()) == kinds.end()) {
          continue;
        }
        RelationRow row;
        row.relation.sequence = seq;
        row.relation.recorded_time_micros = e.recorded_time_micros;
        row.relation.event_id = e.event_id;
        row.relation.key_id = e.key_id;
        row.relation.related = rel;
        LEDGER_ASSIGN_OR_RETURN(row.relation.signer_compromised,
                                SignedWhileCompromised(e.key_id, seq, out.read_point.as_of_size,
                                                       &keys));
        LEDGER_ASSIGN_OR_RETURN(row.claim,
                                Summarize(rel.claim_id(), out.read_point.as_of_size, &keys));
        LEDGER_ASSIGN_OR_RETURN(row.related_claim, Summarize(rel.related_claim_id(),
                                                             out.read_point.as_of_size, &keys));
        out.relations.push_back(std::move(row));
      }
    }
  }
  std::sort(out.relations.begin(), out.relations.end(),
            [](const RelationRow& a, const RelationRow& b) {
              return a.relation.sequence < b.relation.sequence;
            });
  if (out.relations.size() > static_cast<size_t>(limit)) {
    out.relations.resize(limit);
    out.more = true;
  }
  return out;
}

}  // namespace ledger::views
