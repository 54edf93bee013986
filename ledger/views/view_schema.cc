#include "ledger/views/view_schema.h"

#include <cstring>

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/byte_reader.h"
#include "ledger/base/status_macros.h"

namespace ledger::views::schema {
namespace {

absl::Status Malformed(absl::string_view what, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("view record ", what, " is malformed: ", why));
}

// A cursor over a stored value that refuses to read past its end.
using Cursor = ByteReader;

void PutStr16(std::string* dst, absl::string_view s) {
  PutFixed16BE(dst, static_cast<uint16_t>(s.size()));
  dst->append(s.data(), s.size());
}

std::string WithKind(absl::string_view prefix, uint8_t kind) {
  std::string key(prefix);
  key.push_back(static_cast<char>(kind));
  return key;
}

void PutTerms(std::string* s, const std::vector<std::string>& terms) {
  PutFixed16BE(s, static_cast<uint16_t>(terms.size()));
  for (const std::string& t : terms) PutStr16(s, t);
}

}  // namespace

absl::string_view ClaimStatusName(ClaimStatus status) {
  switch (status) {
    case ClaimStatus::kActive:
      return "ACTIVE";
    case ClaimStatus::kCorrected:
      return "CORRECTED";
    case ClaimStatus::kRetracted:
      return "RETRACTED";
  }
  return "UNKNOWN";
}

absl::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kClaimAsserted:
      return "claim_asserted";
    case EventKind::kClaimCorrected:
      return "claim_corrected";
    case EventKind::kClaimRetracted:
      return "claim_retracted";
    case EventKind::kClaimReviewed:
      return "claim_reviewed";
    case EventKind::kKeyRegistered:
      return "key_registered";
    case EventKind::kKeyRevoked:
      return "key_revoked";
    case EventKind::kClaimAppeared:
      return "claim_appeared";
    case EventKind::kClaimRelated:
      return "claim_related";
  }
  return "unknown";
}

EventKind EventKindOf(const ledger::v1::Event& event) {
  return static_cast<EventKind>(static_cast<int>(event.body_case()));
}

std::string ViewPrefix(ViewTag tag, absl::string_view name) {
  std::string prefix;
  prefix.push_back(static_cast<char>(tag));
  if (tag == ViewTag::kMeta) {
    // Unchanged since version 2: every version finds the schema version here.
    prefix.append(kMetaName.data(), kMetaName.size());
    prefix.push_back('\0');
  }
  (void)name;
  return prefix;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

std::string WatermarkKey(absl::string_view view_prefix) {
  return WithKind(view_prefix, kWatermarkRecord);
}

std::string DataBegin(absl::string_view view_prefix) { return WithKind(view_prefix, 0x01); }

void AppendOrderedString(std::string* dst, absl::string_view s) {
  dst->reserve(dst->size() + s.size() + 2);
  // Copies the runs between zero bytes whole (terms rarely hold one).
  while (!s.empty()) {
    const void* zero = std::memchr(s.data(), '\0', s.size());
    const size_t run = zero == nullptr ? s.size()
                                       : static_cast<size_t>(static_cast<const char*>(zero) -
                                                             s.data());
    dst->append(s.data(), run);
    if (zero == nullptr) break;
    dst->append("\0\xff", 2);
    s.remove_prefix(run + 1);
  }
  dst->append("\0\x01", 2);
}

bool ConsumeOrderedString(absl::string_view* in, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < in->size()) {
    char c = (*in)[i];
    if (c != '\0') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= in->size()) return false;
    char next = (*in)[i + 1];
    if (next == '\xff') {
      out->push_back('\0');
      i += 2;
    } else if (next == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    } else {
      return false;
    }
  }
  return false;
}

std::string MetaSchemaKey() {
  return WithKind(ViewPrefix(ViewTag::kMeta, kMetaName), kMetaSchemaRecord);
}
std::string MetaMapCommitPrefix() {
  return WithKind(ViewPrefix(ViewTag::kMeta, kMetaName), kMetaMapCommitRecord);
}

std::string MetaMapCommitKey(TreeSize tree_size) {
  return MetaMapCommitPrefix() + EncodeU64(tree_size);
}

std::string MetaFingerprintKey() {
  return WithKind(ViewPrefix(ViewTag::kMeta, kMetaName), kMetaFingerprintRecord);
}

std::string EncodeU32(uint32_t v) {
  std::string s;
  PutFixed32BE(&s, v);
  return s;
}
std::string EncodeU64(uint64_t v) {
  std::string s;
  PutFixed64BE(&s, v);
  return s;
}
absl::StatusOr<uint32_t> DecodeU32(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() != 4) {
    return Malformed(what, absl::StrCat(bytes.size(), " bytes, want 4"));
  }
  return DecodeFixed32BE(bytes.data());
}
absl::StatusOr<uint64_t> DecodeU64(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() != 8) {
    return Malformed(what, absl::StrCat(bytes.size(), " bytes, want 8"));
  }
  return DecodeFixed64BE(bytes.data());
}

std::string EncodeFingerprint(const Fingerprint& f) {
  std::string s;
  PutFixed64BE(&s, f.sequence);
  s.append(AsStringView(f.leaf_hash).data(), f.leaf_hash.size());
  return s;
}
absl::StatusOr<Fingerprint> DecodeFingerprint(absl::string_view bytes) {
  if (bytes.size() != 40) {
    return Malformed("fingerprint", absl::StrCat(bytes.size(), " bytes, want 40"));
  }
  Fingerprint f;
  f.sequence = DecodeFixed64BE(bytes.data());
  f.leaf_hash = HashFromBytes(bytes.substr(8));
  return f;
}

std::string FoldText(absl::string_view text) {
  // Pure ASCII (most terms) needs no ICU: NFKC leaves it alone and case folding is tolower.
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return absl::AsciiStrToLower(text);
  }
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(error);
  if (U_FAILURE(error) || fold == nullptr) return absl::AsciiStrToLower(text);
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  const icu::UnicodeString out = fold->normalize(in, error);
  if (U_FAILURE(error)) return absl::AsciiStrToLower(text);
  std::string folded;
  out.toUTF8String(folded);
  return folded;
}

std::string ClaimantTerm(absl::string_view stable_id, absl::string_view name) {
  if (!stable_id.empty()) return absl::StrCat("id:", stable_id);
  return absl::StrCat("name:", FoldText(name));
}
std::vector<std::string> ClaimantTerms(const ledger::v1::Claimant& claimant) {
  std::vector<std::string> terms;
  if (!claimant.stable_id().empty()) terms.push_back(ClaimantTerm(claimant.stable_id(), ""));
  if (!claimant.name().empty() || terms.empty()) terms.push_back(ClaimantTerm("", claimant.name()));
  return terms;
}
std::string EntityTerm(absl::string_view stable_id, absl::string_view name) {
  return ClaimantTerm(stable_id, name);
}
std::vector<std::string> EntityTerms(const ledger::v1::Entity& entity) {
  std::vector<std::string> terms;
  if (!entity.stable_id().empty()) terms.push_back(EntityTerm(entity.stable_id(), ""));
  if (!entity.name().empty()) terms.push_back(EntityTerm("", entity.name()));
  return terms;
}
std::string TopicTerm(absl::string_view topic) { return FoldText(topic); }
std::string PublisherTerm(absl::string_view publisher) { return FoldText(publisher); }

std::string EncodeTerms(const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& t : terms) AppendOrderedString(&out, t);
  return out;
}
absl::StatusOr<std::vector<std::string>> DecodeTerms(absl::string_view bytes) {
  std::vector<std::string> terms;
  while (!bytes.empty()) {
    std::string t;
    if (!ConsumeOrderedString(&bytes, &t)) return absl::DataLossError("term list does not decode");
    terms.push_back(std::move(t));
  }
  return terms;
}


uint32_t SaidKey(const ledger::v1::PartialDate& said) {
  using P = ledger::v1::PartialDate;
  // Admission checked the ranges (year 1..now, month 1..12, a real day); clamp anyway so a
  // stored oddity cannot spill into a neighbouring field.
  auto clamp = [](int v, int hi) { return std::min(std::max(v, 0), hi); };
  switch (said.precision()) {
    case P::YEAR:
      return SaidKeyOf(clamp(said.year(), 0xffff), 0, 0);
    case P::MONTH:
      return SaidKeyOf(clamp(said.year(), 0xffff), clamp(said.month(), 0xff), 0);
    case P::DAY:
      return SaidKeyOf(clamp(said.year(), 0xffff), clamp(said.month(), 0xff),
                       clamp(said.day(), 0xff));
    default:
      return 0;
  }
}

absl::string_view ClaimIndexName(ClaimIndex index) {
  switch (index) {
    case ClaimIndex::kClaimant:
      return "claimant";
    case ClaimIndex::kTopic:
      return "topic";
    case ClaimIndex::kEntity:
      return "entity";
    case ClaimIndex::kSourceUrl:
      return "source_url";
    case ClaimIndex::kPublisher:
      return "publisher";
    case ClaimIndex::kTimeline:
      return "timeline";
  }
  return "unknown";
}

std::vector<std::string> ClaimIndexTerms(ClaimIndex index, const ledger::v1::Claim& claim) {
  std::vector<std::string> terms;
  switch (index) {
    case ClaimIndex::kClaimant:
      terms = ClaimantTerms(claim.claimant());
      break;
    case ClaimIndex::kTopic:
      for (const std::string& t : claim.topics()) terms.push_back(TopicTerm(t));
      break;
    case ClaimIndex::kEntity:
      for (const ledger::v1::Entity& e : claim.entities()) {
        for (std::string& t : EntityTerms(e)) terms.push_back(std::move(t));
      }
      break;
    case ClaimIndex::kSourceUrl:
      terms.push_back(claim.source().url());
      break;
    case ClaimIndex::kPublisher:
      if (!claim.source().publisher().empty()) {
        terms.push_back(PublisherTerm(claim.source().publisher()));
      }
      break;
    case ClaimIndex::kTimeline:
      terms.emplace_back();
      break;
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

template <typename Compute>
const std::vector<std::string>& ClaimIndexTermCache::Remembered(char kind, absl::string_view id,
                                                                absl::string_view text,
                                                                Compute compute) {
  // kind || u32(len(id)) || id || text: unambiguous for any bytes.
  key_.clear();
  key_.push_back(kind);
  const uint32_t id_len = static_cast<uint32_t>(id.size());
  key_.append(reinterpret_cast<const char*>(&id_len), sizeof(id_len));
  key_.append(id.data(), id.size());
  key_.append(text.data(), text.size());
  auto it = remembered_.find(key_);
  if (it != remembered_.end()) return it->second;
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  return remembered_.emplace(key_, compute()).first->second;
}

void ClaimIndexTermCache::TermsOf(const ledger::v1::Claim& claim,
                                  std::array<std::vector<std::string>, kClaimIndexCount>* out) {
  for (std::vector<std::string>& terms : *out) terms.clear();
  auto sorted_unique = [](std::vector<std::string>* terms) {
    std::sort(terms->begin(), terms->end());
    terms->erase(std::unique(terms->begin(), terms->end()), terms->end());
  };
  std::vector<std::string>& claimant = (*out)[static_cast<size_t>(ClaimIndex::kClaimant)];
  const ledger::v1::Claimant& c = claim.claimant();
  claimant = Remembered('c', c.stable_id(), c.name(), [&c] { return ClaimantTerms(c); });
  sorted_unique(&claimant);
  std::vector<std::string>& topics = (*out)[static_cast<size_t>(ClaimIndex::kTopic)];
  for (const std::string& t : claim.topics()) {
    const std::vector<std::string>& one =
        Remembered('t', "", t, [&t] { return std::vector<std::string>{TopicTerm(t)}; });
    topics.insert(topics.end(), one.begin(), one.end());
  }
  sorted_unique(&topics);
  std::vector<std::string>& entities = (*out)[static_cast<size_t>(ClaimIndex::kEntity)];
  for (const ledger::v1::Entity& e : claim.entities()) {
    const std::vector<std::string>& one =
        Remembered('e', e.stable_id(), e.name(), [&e] { return EntityTerms(e); });
    entities.insert(entities.end(), one.begin(), one.end());
  }
  sorted_unique(&entities);
  (*out)[static_cast<size_t>(ClaimIndex::kSourceUrl)].push_back(claim.source().url());
  const std::string& publisher = claim.source().publisher();
  if (!publisher.empty()) {
    const std::vector<std::string>& one = Remembered(
        'p', "", publisher, [&publisher] { return std::vector<std::string>{PublisherTerm(publisher)}; });
    (*out)[static_cast<size_t>(ClaimIndex::kPublisher)] = one;
  }
  (*out)[static_cast<size_t>(ClaimIndex::kTimeline)].emplace_back();
}

IndexSpace ClaimIndexSpace(absl::string_view claims_prefix, ClaimIndex index) {
  return IndexSpace{std::string(claims_prefix),
                    static_cast<uint8_t>(kFirstClaimIndexRecord + static_cast<uint8_t>(index))};
}

std::string IndexTermPrefix(const IndexSpace& space, absl::string_view term) {
  std::string key = WithKind(space.view_prefix, space.entry_kind);
  AppendOrderedString(&key, term);
  return key;
}

std::string IndexEntryKey(const IndexSpace& space, absl::string_view term, uint32_t said,
                          SequenceNumber asserted_sequence) {
  std::string key;
  IndexEntryKeyTo(space, term, said, asserted_sequence, &key);
  return key;
}
void IndexEntryKeyTo(const IndexSpace& space, absl::string_view term, uint32_t said,
                     SequenceNumber asserted_sequence, std::string* key) {
  key->assign(space.view_prefix);
  key->push_back(static_cast<char>(space.entry_kind));
  AppendOrderedString(key, term);
  PutFixed32BE(key, said);
  PutFixed64BE(key, asserted_sequence);
}

bool IndexEntry::VisibleAt(TreeSize size) const {
  for (const ValidRange& r : ranges) {
    if (r.valid_from < size && size <= r.valid_until) return true;
  }
  return false;
}

std::string EncodeIndexEntry(const IndexEntry& entry) {
  std::string s;
  s.reserve(2 + entry.claim_id.size() + 16 * entry.ranges.size());
  PutStr16(&s, entry.claim_id);
  for (const ValidRange& r : entry.ranges) {
    PutFixed64BE(&s, r.valid_from);
    PutFixed64BE(&s, r.valid_until);
  }
  return s;
}

absl::StatusOr<IndexEntry> DecodeIndexEntry(absl::string_view bytes) {
  Cursor c(bytes);
  IndexEntry entry;
  if (!c.Str16(&entry.claim_id)) return Malformed("index entry", "truncated claim id");
  if (c.rest().size() % 16 != 0 || c.rest().empty()) {
    return Malformed("index entry", "ranges are not a positive multiple of 16 bytes");
  }
  while (!c.done()) {
    ValidRange r;
    c.U64(&r.valid_from);
    c.U64(&r.valid_until);
    entry.ranges.push_back(r);
  }
  return entry;
}

absl::StatusOr<IndexKeyParts> DecodeIndexEntryKey(const IndexSpace& space,
                                                  absl::string_view key) {
  const size_t head = space.view_prefix.size() + 1;
  if (key.size() < head || key.substr(0, space.view_prefix.size()) != space.view_prefix ||
      static_cast<uint8_t>(key[space.view_prefix.size()]) != space.entry_kind) {
    return Malformed("index key", "not in this index");
  }
  absl::string_view rest = key.substr(head);
  IndexKeyParts parts;
  if (!ConsumeOrderedString(&rest, &parts.term) || rest.size() != 12) {
    return Malformed("index key", "bad term or length");
  }
  parts.said = DecodeFixed32BE(rest.data());
  parts.asserted_sequence = DecodeFixed64BE(rest.data() + 4);
  return parts;
}

std::string ClaimStateKey(absl::string_view claims_prefix, absl::string_view claim_id) {
  std::string key = WithKind(claims_prefix, kClaimRecord);
  key.append(claim_id.data(), claim_id.size());
  return key;
}

bool IsClaimStateKey(absl::string_view claims_prefix, absl::string_view key) {
  return key.size() > claims_prefix.size() + 1 &&
         key.substr(0, claims_prefix.size()) == claims_prefix &&
         static_cast<uint8_t>(key[claims_prefix.size()]) == kClaimRecord;
}

absl::StatusOr<absl::string_view> DecodeClaimStateKey(absl::string_view claims_prefix,
                                                      absl::string_view key) {
  if (!IsClaimStateKey(claims_prefix, key)) {
    return Malformed("claim state key", "not a claim state record");
  }
  return key.substr(claims_prefix.size() + 1);
}

std::string ClaimHistoryPrefix(absl::string_view claims_prefix, absl::string_view claim_id) {
  std::string key = WithKind(claims_prefix, kClaimHistoryRecord);
  AppendOrderedString(&key, claim_id);
  return key;
}

std::string ClaimHistoryKey(absl::string_view claims_prefix, absl::string_view claim_id,
                            SequenceNumber sequence) {
  std::string key = ClaimHistoryPrefix(claims_prefix, claim_id);
  PutFixed64BE(&key, sequence);
  return key;
}

absl::StatusOr<SequenceNumber> DecodeHistoryKeySequence(absl::string_view key) {
  if (key.size() < 8) return Malformed("history key", "too short");
  return DecodeFixed64BE(key.data() + key.size() - 8);
}

IndexSpace StatusIndexSpace(absl::string_view claims_prefix) {
  return IndexSpace{std::string(claims_prefix), kStatusEntryRecord};
}

std::string StatusTerm(ClaimStatus status) {
  return std::string(1, static_cast<char>(status));
}

std::string EncodeClaimState(const ClaimState& state) {
  std::string s;
  EncodeClaimStateTo(state, &s);
  return s;
}
void EncodeClaimStateTo(const ClaimState& state, std::string* out) {
  std::string& s = *out;
  s.clear();
  s.reserve(8 + 32 + 8 + 1 + 8 + 4 + 2 * kClaimIndexCount + 4 + 256);
  PutFixed64BE(&s, state.asserted_sequence);
  s.append(state.submitter_key_id);
  PutFixed64BE(&s, state.version_sequence);
  s.push_back(static_cast<char>(state.status));
  PutFixed64BE(&s, state.status_sequence);
  PutFixed32BE(&s, state.said);
  for (const std::vector<std::string>& terms : state.index_terms) PutTerms(&s, terms);
  PutTerms(&s, state.name_terms);
  PutTerms(&s, state.statement_terms);
}

namespace {
// A term list as views into the cursor's bytes (skipped when `terms` is null).
bool GetTermViews(Cursor* c, std::vector<absl::string_view>* terms) {
  uint16_t n = 0;
  if (!c->U16(&n)) return false;
  if (terms != nullptr) terms->clear();
  for (uint16_t i = 0; i < n; ++i) {
    uint16_t len = 0;
    absl::string_view t;
    if (!c->U16(&len) || !c->Bytes(len, &t)) return false;
    if (terms != nullptr) terms->push_back(t);
  }
  return true;
}

// The fixed part of a claim state, as views into its bytes.
struct ClaimStateHeader {
  SequenceNumber asserted_sequence = 0;
  absl::string_view submitter_key_id;
  SequenceNumber version_sequence = 0;
  ClaimStatus status = ClaimStatus::kActive;
  SequenceNumber status_sequence = 0;
  uint32_t said = 0;
};

// The term lists of a claim state in stored order: the kClaimIndexCount index lists, then the
// name terms and the statement terms.
inline constexpr size_t kClaimStateTermLists = kClaimIndexCount + 2;

// Parses a claim state, its term lists as views into `bytes` (a null list is skipped).
absl::Status ParseClaimState(
    absl::string_view bytes, ClaimStateHeader* h,
    const std::array<std::vector<absl::string_view>*, kClaimStateTermLists>& lists) {
  if (bytes.size() < 61) {
    return Malformed("claim state", absl::StrCat(bytes.size(), " bytes, want at least 61"));
  }
  Cursor c(bytes);
  uint8_t status = 0;
  c.U64(&h->asserted_sequence);
  c.Bytes(32, &h->submitter_key_id);
  c.U64(&h->version_sequence);
  c.U8(&status);
  c.U64(&h->status_sequence);
  c.U32(&h->said);
  if (status < 1 || status > 3) return Malformed("claim state", "unknown status");
  h->status = static_cast<ClaimStatus>(status);
  for (size_t i = 0; i < kClaimStateTermLists; ++i) {
    if (!GetTermViews(&c, lists[i])) {
      return Malformed("claim state", i < kClaimIndexCount ? "truncated index terms"
                                                           : "truncated match terms");
    }
  }
  if (!c.done()) return Malformed("claim state", "trailing bytes");
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<ClaimState> DecodeClaimState(absl::string_view bytes) {
  ClaimStateHeader h;
  std::array<std::vector<absl::string_view>, kClaimStateTermLists> views;
  std::array<std::vector<absl::string_view>*, kClaimStateTermLists> lists;
  for (size_t i = 0; i < kClaimStateTermLists; ++i) lists[i] = &views[i];
  LEDGER_RETURN_IF_ERROR(ParseClaimState(bytes, &h, lists));
  ClaimState state;
  state.asserted_sequence = h.asserted_sequence;
  state.submitter_key_id = std::string(h.submitter_key_id);
  state.version_sequence = h.version_sequence;
  state.status = h.status;
  state.status_sequence = h.status_sequence;
  state.said = h.said;
  auto copy = [](const std::vector<absl::string_view>& from, std::vector<std::string>* to) {
    to->clear();
    to->reserve(from.size());
    for (absl::string_view t : from) to->emplace_back(t);
  };
  for (size_t i = 0; i < kClaimIndexCount; ++i) copy(views[i], &state.index_terms[i]);
  copy(views[kClaimIndexCount], &state.name_terms);
  copy(views[kClaimIndexCount + 1], &state.statement_terms);
  return state;
}

absl::Status DecodeMatchFields(absl::string_view bytes, MatchFields* out) {
  ClaimStateHeader h;
  std::array<std::vector<absl::string_view>*, kClaimStateTermLists> lists{};
  lists[static_cast<size_t>(ClaimIndex::kClaimant)] = &out->claimant_terms;
  lists[static_cast<size_t>(ClaimIndex::kTopic)] = &out->topic_terms;
  lists[kClaimIndexCount] = &out->name_terms;
  lists[kClaimIndexCount + 1] = &out->statement_terms;
  LEDGER_RETURN_IF_ERROR(ParseClaimState(bytes, &h, lists));
  out->asserted_sequence = h.asserted_sequence;
  out->said = h.said;
  return absl::OkStatus();
}

std::string EncodeKindAndId(EventKind kind, absl::string_view event_id) {
  std::string s;
  s.reserve(1 + event_id.size());
  s.push_back(static_cast<char>(kind));
  s.append(event_id.data(), event_id.size());
  return s;
}

absl::StatusOr<std::pair<EventKind, std::string>> DecodeKindAndId(absl::string_view bytes) {
  if (bytes.empty() || bytes[0] < 1 ||
      bytes[0] > static_cast<char>(EventKind::kClaimRelated)) {  // the highest kind
    return Malformed("event reference", "missing or unknown event kind");
  }
  return std::make_pair(static_cast<EventKind>(bytes[0]), std::string(bytes.substr(1)));
}

std::string KeyStateKey(absl::string_view keys_prefix, absl::string_view key_id) {
  std::string key = WithKind(keys_prefix, kKeyRecord);
  key.append(key_id.data(), key_id.size());
  return key;
}

std::string SignedEventPrefix(absl::string_view keys_prefix, absl::string_view key_id) {
  std::string key = WithKind(keys_prefix, kSignedEventRecord);
  key.append(key_id.data(), key_id.size());  // always 32 bytes: no escaping needed
  return key;
}

std::string SignedEventKey(absl::string_view keys_prefix, absl::string_view key_id,
                           SequenceNumber sequence) {
  std::string key = SignedEventPrefix(keys_prefix, key_id);
  PutFixed64BE(&key, sequence);
  return key;
}

std::string EncodeKeyState(const KeyState& state) {
  std::string s;
  s.push_back(state.has_public_key ? 1 : 0);
  if (state.has_public_key && state.public_key.size() == 32) {
    s.append(state.public_key);
  } else {
    s.append(32, '\0');
  }
  s.push_back(static_cast<char>(state.role));
  PutFixed64BE(&s, state.registered_sequence);
  s.push_back(state.revoked ? 1 : 0);
  PutFixed64BE(&s, state.revoked_sequence);
  PutFixed64BE(&s, state.compromised_since);
  return s;
}

absl::StatusOr<KeyState> DecodeKeyState(absl::string_view bytes) {
  if (bytes.size() != 59) {
    return Malformed("key state", absl::StrCat(bytes.size(), " bytes, want 59"));
  }
  Cursor c(bytes);
  KeyState state;
  uint8_t has = 0, revoked = 0;
  absl::string_view pk;
  c.U8(&has);
  c.Bytes(32, &pk);
  c.U8(&state.role);
  c.U64(&state.registered_sequence);
  c.U8(&revoked);
  c.U64(&state.revoked_sequence);
  c.U64(&state.compromised_since);
  state.has_public_key = has != 0;
  if (state.has_public_key) state.public_key = std::string(pk);
  state.revoked = revoked != 0;
  return state;
}

std::string TallyPrefix(absl::string_view claims_prefix, absl::string_view claimant_term) {
  std::string key = WithKind(claims_prefix, kTallyRecord);
  AppendOrderedString(&key, claimant_term);
  return key;
}

std::string TallyKey(absl::string_view claims_prefix, absl::string_view claimant_term,
                     absl::string_view reviewer, absl::string_view rating_text) {
  std::string key = TallyPrefix(claims_prefix, claimant_term);
  AppendOrderedString(&key, reviewer);
  AppendOrderedString(&key, rating_text);
  return key;
}

absl::StatusOr<std::pair<std::string, std::string>> DecodeTallyKeySuffix(
    absl::string_view suffix) {
  std::pair<std::string, std::string> out;
  if (!ConsumeOrderedString(&suffix, &out.first) ||
      !ConsumeOrderedString(&suffix, &out.second) || !suffix.empty()) {
    return Malformed("tally key", "bad reviewer or rating text");
  }
  return out;
}

}  // namespace ledger::views::schema
