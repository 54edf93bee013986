#include "ledger/core/event_validation.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "ledger/base/error.h"
#include "ledger/core/limits.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"

namespace ledger::core {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ledger::v1::Event;

// A field path ("event.claim_asserted.claim.topics[2]"), put together only when an error names
// it: checking a valid event builds no strings. A child refers to its parent, which must
// outlive it (they live on the stack of the checks).
class FieldPath {
 public:
  FieldPath(const char* root) : name_(root) {}  // NOLINT: implicit, like the strings it replaces
  FieldPath(absl::string_view root) : name_(root) {}  // NOLINT
  FieldPath(const std::string& root) : name_(root) {}  // NOLINT
  FieldPath(const FieldPath* parent, absl::string_view name, int index = -1)
      : parent_(parent), name_(name), index_(index) {}

  std::string str() const {
    std::string s;
    if (parent_ != nullptr) s = absl::StrCat(parent_->str(), ".");
    absl::StrAppend(&s, name_);
    if (index_ >= 0) absl::StrAppend(&s, "[", index_, "]");
    return s;
  }

 private:
  const FieldPath* parent_ = nullptr;
  absl::string_view name_;
  int index_ = -1;
};

absl::Status Invalid(const FieldPath& path, absl::string_view what,
                     absl::string_view why = reason::kInvalidField) {
  return MakeError(absl::StatusCode::kInvalidArgument, why, path.str(), what);
}

bool IsValidUtf8(absl::string_view s) { return FirstInvalidUtf8(s) == absl::string_view::npos; }

// Refuses unknown fields and invalid UTF-8 anywhere in the message tree.
absl::Status CheckWellFormed(const Message& m, const FieldPath& path) {
  const auto* reflection = m.GetReflection();
  if (!reflection->GetUnknownFields(m).empty()) {
    return Invalid(path,
                   absl::StrCat("has ", reflection->GetUnknownFields(m).field_count(),
                                " unknown field(s); this server accepts only the fields "
                                "of ledger.v1 it knows"),
                   reason::kMalformedEvent);
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const FieldPath field_path(&path, f->name());
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(m, f); ++i) {
          if (!IsValidUtf8(reflection->GetRepeatedString(m, f, i))) {
            return Invalid(FieldPath(&path, f->name(), i), "is not valid UTF-8",
                           reason::kMalformedEvent);
          }
        }
      } else if (!IsValidUtf8(reflection->GetString(m, f))) {
        return Invalid(field_path, "is not valid UTF-8", reason::kMalformedEvent);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(m, f); ++i) {
          const FieldPath item(&path, f->name(), i);
          absl::Status s = CheckWellFormed(reflection->GetRepeatedMessage(m, f, i), item);
          if (!s.ok()) return s;
        }
      } else {
        absl::Status s = CheckWellFormed(reflection->GetMessage(m, f), field_path);
        if (!s.ok()) return s;
      }
    } else if (f->type() == FieldDescriptor::TYPE_ENUM && !f->is_repeated()) {
      if (f->enum_type()->FindValueByNumber(reflection->GetEnumValue(m, f)) == nullptr) {
        return Invalid(field_path,
                       absl::StrCat("enum value ", reflection->GetEnumValue(m, f),
                                    " is not defined"),
                       reason::kMalformedEvent);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckString(const FieldPath& path, absl::string_view value, size_t max_bytes,
                         bool required) {
  if (required && value.empty()) return Invalid(path, "is required", reason::kFieldRequired);
  if (value.size() > max_bytes) {
    return Invalid(path, absl::StrCat("is ", value.size(), " bytes; the limit is ", max_bytes),
                   reason::kLimitExceeded);
  }
  return absl::OkStatus();
}

absl::Status CheckUrl(const FieldPath& path, absl::string_view url, bool required) {
  absl::Status s = CheckString(path, url, kMaxUrlBytes, required);
  if (!s.ok() || url.empty()) return s;
  if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return Invalid(path, "must be an http:// or https:// URL");
  }
  return absl::OkStatus();
}

// Passed as "now" when re-checking stored events: what was in range when admitted stays valid,
// so no bound that depends on the time of the check applies.
constexpr int64_t kNoTimeChecks = std::numeric_limits<int64_t>::max();

absl::Status CheckTime(const FieldPath& path, int64_t micros, int64_t now_micros) {
  if (micros == 0) return absl::OkStatus();  // Unknown.
  if (micros < kMinTimeMicros ||
      (now_micros != kNoTimeChecks && micros > now_micros + kMaxFutureSkewMicros)) {
    return Invalid(path, absl::StrCat("time ", micros, " µs is outside [1900-01-01, now + 1 day]"),
                   reason::kTimeOutOfRange);
  }
  return absl::OkStatus();
}

absl::Status CheckPartialDate(const FieldPath& path, const ledger::v1::PartialDate& d,
                              int64_t now_micros) {
  using P = ledger::v1::PartialDate;
  if (absl::Status s = CheckString(FieldPath(&path, "as_stated"), d.as_stated(),
                                   kMaxShortStringBytes, false);
      !s.ok()) {
    return s;
  }
  if (d.precision() == P::PRECISION_UNSPECIFIED) {
    if (d.year() != 0 || d.month() != 0 || d.day() != 0) {
      return Invalid(path, "year/month/day are set but precision is unspecified");
    }
    return absl::OkStatus();
  }
  const bool check_future = now_micros != kNoTimeChecks;
  const absl::CivilDay today =
      check_future ? absl::ToCivilDay(absl::FromUnixMicros(now_micros), absl::UTCTimeZone())
                   : absl::CivilDay(9999, 12, 31);
  if (d.year() < 1 || d.year() > today.year()) {
    return Invalid(FieldPath(&path, "year"),
                   absl::StrCat(d.year(), " is outside [1, ", today.year(), "]"),
                   reason::kTimeOutOfRange);
  }
  const bool has_month = d.precision() >= P::MONTH;
  const bool has_day = d.precision() == P::DAY;
  if (has_month ? (d.month() < 1 || d.month() > 12) : d.month() != 0) {
    return Invalid(FieldPath(&path, "month"),
                   has_month ? "must be 1..12" : "must be 0 when precision is YEAR");
  }
  if (has_day) {
    absl::CivilDay day(d.year(), d.month(), d.day());
    if (d.day() < 1 || day.day() != d.day() || day.month() != d.month()) {
      return Invalid(FieldPath(&path, "day"),
                     absl::StrCat(d.day(), " is not a day of ", d.year(), "-", d.month()));
    }
    if (day > today + 1) return Invalid(path, "is in the future", reason::kTimeOutOfRange);
  } else if (d.day() != 0) {
    return Invalid(FieldPath(&path, "day"), "must be 0 unless precision is DAY");
  }
  if (has_month && !has_day &&
      absl::CivilMonth(d.year(), d.month()) > absl::CivilMonth(today)) {
    return Invalid(path, absl::StrCat(d.year(), "-", d.month(), " is in the future"),
                   reason::kTimeOutOfRange);
  }
  return absl::OkStatus();
}

// A reference to a claim: the event id of an earlier claim_asserted, with the event id rules.
absl::Status CheckClaimId(const FieldPath& path, absl::string_view claim_id) {
  absl::Status s = ValidateEventId(claim_id);
  if (s.ok()) return s;
  absl::string_view what = s.message();
  what.remove_prefix(std::min(what.size(), absl::string_view("event_id: ").size()));
  return Invalid(path,
                 absl::StrCat(claim_id.empty() ? "is required; " : "",
                              "must be the event id of an earlier claim, which ", what),
                 claim_id.empty() ? reason::kFieldRequired : reason::kInvalidField);
}

// A source (a claim's, or an appearance's): url required, the rest optional.
absl::Status CheckSource(const FieldPath& so, const ledger::v1::Source& source, bool has_source,
                         int64_t now_micros) {
  if (!has_source) return Invalid(so, "is required", reason::kFieldRequired);
#define LEDGER_CHECK(expr)    \
  do {                        \
    absl::Status s_ = (expr); \
    if (!s_.ok()) return s_;  \
  } while (0)
  LEDGER_CHECK(CheckUrl(FieldPath(&so, "url"), source.url(), true));
  LEDGER_CHECK(CheckString(FieldPath(&so, "title"), source.title(), kMaxShortStringBytes, false));
  LEDGER_CHECK(
      CheckString(FieldPath(&so, "publisher"), source.publisher(), kMaxShortStringBytes, false));
  LEDGER_CHECK(CheckTime(FieldPath(&so, "published_time_micros"), source.published_time_micros(),
                         now_micros));
  LEDGER_CHECK(CheckTime(FieldPath(&so, "retrieved_time_micros"), source.retrieved_time_micros(),
                         now_micros));
  LEDGER_CHECK(CheckUrl(FieldPath(&so, "archive_url"), source.archive_url(), false));
  if (!source.content_sha256().empty() && source.content_sha256().size() != 32) {
    return Invalid(FieldPath(&so, "content_sha256"),
                   absl::StrCat("must be 32 bytes or empty, got ", source.content_sha256().size()));
  }
  LEDGER_CHECK(
      CheckString(FieldPath(&so, "quote.exact"), source.quote().exact(), kMaxQuoteBytes, false));
  LEDGER_CHECK(
      CheckString(FieldPath(&so, "quote.prefix"), source.quote().prefix(), kMaxQuoteBytes, false));
  LEDGER_CHECK(
      CheckString(FieldPath(&so, "quote.suffix"), source.quote().suffix(), kMaxQuoteBytes, false));
#undef LEDGER_CHECK
  return absl::OkStatus();
}

absl::Status CheckClaim(const FieldPath& path, const ledger::v1::Claim& claim,
                        bool has_claim, int64_t now_micros) {
  if (!has_claim) return Invalid(path, "is required", reason::kFieldRequired);
#define LEDGER_CHECK(expr)    \
  do {                        \
    absl::Status s_ = (expr); \
    if (!s_.ok()) return s_;  \
  } while (0)
  const FieldPath c(&path, "claimant");
  if (!claim.has_claimant()) return Invalid(c, "is required", reason::kFieldRequired);
  LEDGER_CHECK(
      CheckString(FieldPath(&c, "name"), claim.claimant().name(), kMaxShortStringBytes, true));
  LEDGER_CHECK(
      CheckString(FieldPath(&c, "role"), claim.claimant().role(), kMaxShortStringBytes, false));
  LEDGER_CHECK(CheckString(FieldPath(&c, "affiliation"), claim.claimant().affiliation(),
                           kMaxShortStringBytes, false));
  LEDGER_CHECK(CheckString(FieldPath(&c, "stable_id"), claim.claimant().stable_id(),
                           kMaxShortStringBytes, false));
  const FieldPath st(&path, "statement");
  if (!claim.has_statement()) return Invalid(st, "is required", reason::kFieldRequired);
  LEDGER_CHECK(
      CheckString(FieldPath(&st, "text"), claim.statement().text(), kMaxStatementTextBytes, true));
  LEDGER_CHECK(CheckString(FieldPath(&st, "language"), claim.statement().language(),
                           kMaxShortStringBytes, false));
  LEDGER_CHECK(CheckString(FieldPath(&st, "original_language"),
                           claim.statement().original_language(), kMaxShortStringBytes, false));
  LEDGER_CHECK(CheckPartialDate(FieldPath(&path, "said"), claim.said(), now_micros));
  LEDGER_CHECK(CheckSource(FieldPath(&path, "source"), claim.source(), claim.has_source(),
                           now_micros));
  if (claim.topics_size() > static_cast<int>(kMaxTopics)) {
    return Invalid(FieldPath(&path, "topics"),
                   absl::StrCat("has ", claim.topics_size(), " items; the limit is ", kMaxTopics),
                   reason::kLimitExceeded);
  }
  for (int i = 0; i < claim.topics_size(); ++i) {
    LEDGER_CHECK(
        CheckString(FieldPath(&path, "topics", i), claim.topics(i), kMaxShortStringBytes, true));
  }
  if (claim.entities_size() > static_cast<int>(kMaxEntities)) {
    return Invalid(
        FieldPath(&path, "entities"),
        absl::StrCat("has ", claim.entities_size(), " items; the limit is ", kMaxEntities),
        reason::kLimitExceeded);
  }
  for (int i = 0; i < claim.entities_size(); ++i) {
    const FieldPath e(&path, "entities", i);
    LEDGER_CHECK(
        CheckString(FieldPath(&e, "name"), claim.entities(i).name(), kMaxShortStringBytes, true));
    LEDGER_CHECK(CheckString(FieldPath(&e, "stable_id"), claim.entities(i).stable_id(),
                             kMaxShortStringBytes, false));
  }
  LEDGER_CHECK(CheckString(FieldPath(&path, "venue"), claim.venue(), kMaxShortStringBytes, false));
  return absl::OkStatus();
}

absl::Status CheckBody(const Event& event, int64_t now_micros) {
  switch (event.body_case()) {
    case Event::kClaimAsserted:
      return CheckClaim("event.claim_asserted.claim", event.claim_asserted().claim(),
                        event.claim_asserted().has_claim(), now_micros);
    case Event::kClaimCorrected: {
      const auto& c = event.claim_corrected();
      LEDGER_CHECK(CheckClaimId("event.claim_corrected.corrects_claim_id", c.corrects_claim_id()));
      LEDGER_CHECK(CheckString("event.claim_corrected.reason", c.reason(), kMaxReasonBytes, true));
      return CheckClaim("event.claim_corrected.claim", c.claim(), c.has_claim(), now_micros);
    }
    case Event::kClaimRetracted: {
      const auto& r = event.claim_retracted();
      LEDGER_CHECK(CheckClaimId("event.claim_retracted.claim_id", r.claim_id()));
      return CheckString("event.claim_retracted.reason", r.reason(), kMaxReasonBytes, true);
    }
    case Event::kClaimReviewed: {
      const auto& r = event.claim_reviewed();
      const FieldPath p("event.claim_reviewed");
      LEDGER_CHECK(CheckClaimId(FieldPath(&p, "claim_id"), r.claim_id()));
      if (r.worst_rating() > r.best_rating()) {
        return Invalid(FieldPath(&p, "worst_rating"), "must not exceed best_rating");
      }
      if (r.rating_value() < r.worst_rating() || r.rating_value() > r.best_rating()) {
        return Invalid(FieldPath(&p, "rating_value"),
                       absl::StrCat(r.rating_value(), " is outside [worst_rating ",
                                    r.worst_rating(), ", best_rating ", r.best_rating(), "]"));
      }
      LEDGER_CHECK(
          CheckString(FieldPath(&p, "rating_text"), r.rating_text(), kMaxShortStringBytes, true));
      LEDGER_CHECK(
          CheckString(FieldPath(&p, "reviewer"), r.reviewer(), kMaxShortStringBytes, true));
      LEDGER_CHECK(CheckUrl(FieldPath(&p, "review_url"), r.review_url(), false));
      LEDGER_CHECK(
          CheckTime(FieldPath(&p, "review_time_micros"), r.review_time_micros(), now_micros));
      return CheckString(FieldPath(&p, "explanation"), r.explanation(), kMaxReasonBytes, false);
    }
    case Event::kClaimAppeared: {
      const auto& a = event.claim_appeared();
      const FieldPath p("event.claim_appeared");
      LEDGER_CHECK(CheckClaimId(FieldPath(&p, "claim_id"), a.claim_id()));
      LEDGER_CHECK(CheckSource(FieldPath(&p, "source"), a.source(), a.has_source(), now_micros));
      LEDGER_CHECK(
          CheckString(FieldPath(&p, "repeated_by"), a.repeated_by(), kMaxShortStringBytes, false));
      return CheckString(FieldPath(&p, "note"), a.note(), kMaxReasonBytes, false);
    }
    case Event::kClaimRelated: {
      const auto& r = event.claim_related();
      const FieldPath p("event.claim_related");
      LEDGER_CHECK(CheckClaimId(FieldPath(&p, "claim_id"), r.claim_id()));
      LEDGER_CHECK(CheckClaimId(FieldPath(&p, "related_claim_id"), r.related_claim_id()));
      if (r.claim_id() == r.related_claim_id()) {
        return Invalid(FieldPath(&p, "related_claim_id"), "must name another claim than claim_id");
      }
      if (r.relation() == ledger::v1::ClaimRelated::RELATION_UNSPECIFIED) {
        return Invalid(FieldPath(&p, "relation"),
                       "is required: REPEATS, CONTRADICTS, SUPPORTS or POSITION_CHANGE",
                       reason::kFieldRequired);
      }
      const bool position = r.relation() == ledger::v1::ClaimRelated::POSITION_CHANGE;
      if (position && r.flip() == ledger::v1::ClaimRelated::FLIP_UNSPECIFIED) {
        return Invalid(FieldPath(&p, "flip"),
                       "is required for POSITION_CHANGE: NO_FLIP, HALF_FLIP or FULL_FLOP",
                       reason::kFieldRequired);
      }
      if (!position && r.flip() != ledger::v1::ClaimRelated::FLIP_UNSPECIFIED) {
        return Invalid(FieldPath(&p, "flip"), "applies to POSITION_CHANGE only");
      }
      if (!position && !r.subject().empty()) {
        return Invalid(FieldPath(&p, "subject"), "applies to POSITION_CHANGE only");
      }
      LEDGER_CHECK(CheckString(FieldPath(&p, "subject"), r.subject(), kMaxShortStringBytes,
                               position));
      LEDGER_CHECK(
          CheckString(FieldPath(&p, "reviewer"), r.reviewer(), kMaxShortStringBytes, true));
      return CheckString(FieldPath(&p, "explanation"), r.explanation(), kMaxReasonBytes, false);
    }
    case Event::kKeyRegistered: {
      const auto& k = event.key_registered();
      if (k.public_key().size() != 32) {
        return Invalid("event.key_registered.public_key",
                       absl::StrCat("must be 32 bytes, got ", k.public_key().size()));
      }
      if (k.role() == ledger::v1::KeyRegistered::ROLE_UNSPECIFIED) {
        return Invalid("event.key_registered.role", "must be SUBMITTER or ADMIN");
      }
      return CheckString("event.key_registered.holder", k.holder(), kMaxShortStringBytes, false);
    }
    case Event::kKeyRevoked: {
      const auto& k = event.key_revoked();
      if (k.key_id().size() != format::kKeyIdSize) {
        return Invalid("event.key_revoked.key_id",
                       absl::StrCat("must be 32 bytes, got ", k.key_id().size()));
      }
      return CheckString("event.key_revoked.reason", k.reason(), kMaxReasonBytes, true);
    }
    case Event::BODY_NOT_SET:
      break;
  }
  return Invalid("event",
                 "has no body; exactly one body (claim_asserted, claim_corrected, ...) must be set",
                 reason::kFieldRequired);
#undef LEDGER_CHECK
}

// Parses `bytes` into *event (ParseFromCodedStream clears it first, keeping its sub-messages
// and strings for reuse).
absl::Status ParseInto(absl::string_view bytes, Event* event_out) {
  Event& event = *event_out;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  input.SetRecursionLimit(16);
  if (!event.ParseFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    return Invalid("event", "bytes do not parse as ledger.v1.Event", reason::kMalformedEvent);
  }
  absl::Status s = CheckWellFormed(event, "event");
  if (!s.ok()) return s;
  // The stored bytes must have exactly one meaning: protobuf lets a repeated occurrence of a
  // field (or a second body of the oneof) silently replace an earlier one, so a verifier that
  // reads the first occurrence would see another event than the server. Requiring the
  // deterministic serialisation rules all of that out (and default values sent explicitly).
  // Reused by the next parse on this thread (a catch-up parses millions of events).
  thread_local std::string canonical;
  canonical.clear();
  {
    google::protobuf::io::StringOutputStream stream(&canonical);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&out);
  }
  if (canonical != bytes) {
    return Invalid("event",
                   "bytes are not the canonical serialisation of the event they encode (fields "
                   "in field-number order, each at most once, no default values, one body); "
                   "serialise with a standard protobuf library",
                   reason::kMalformedEvent);
  }
  return absl::OkStatus();
}

absl::StatusOr<Event> Parse(absl::string_view bytes) {
  Event event;
  absl::Status s = ParseInto(bytes, &event);
  if (!s.ok()) return s;
  return event;
}

}  // namespace

std::string EventIdProblem(absl::string_view id) {
  if (id.empty() || id.size() > kMaxEventIdBytes) {
    return absl::StrCat("must be 1..", kMaxEventIdBytes, " bytes, got ", id.size());
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return "may contain only A-Z a-z 0-9 . _ : -";
  }
  return "";
}

absl::Status ValidateEventId(absl::string_view event_id) {
  const std::string problem = EventIdProblem(event_id);
  if (problem.empty()) return absl::OkStatus();
  return Invalid("event_id", problem, reason::kInvalidEventId);
}

absl::Status ValidateEnvelope(const ledger::v1::SignedEvent& envelope) {
  if (envelope.version() != format::kSignedEventVersion1) {
    return Invalid(
        "version",
        absl::StrCat("is ", envelope.version(), "; this server accepts envelope version 1"),
        reason::kUnsupportedVersion);
  }
  absl::Status s = ValidateEventId(envelope.event_id());
  if (!s.ok()) return s;
  if (envelope.key_id().size() != format::kKeyIdSize) {
    return Invalid("key_id", absl::StrCat("must be 32 bytes, got ", envelope.key_id().size()),
                   reason::kInvalidEnvelope);
  }
  if (envelope.signature().size() != format::kSignatureSize) {
    return Invalid("signature",
                   absl::StrCat("must be 64 bytes, got ", envelope.signature().size()),
                   reason::kInvalidEnvelope);
  }
  if (envelope.event().empty()) return Invalid("event", "is required", reason::kFieldRequired);
  if (envelope.event().size() > kMaxEventBytes) {
    return Invalid("event",
                   absl::StrCat("is ", envelope.event().size(), " bytes; the limit is ",
                                kMaxEventBytes),
                   reason::kLimitExceeded);
  }
  return absl::OkStatus();
}

absl::StatusOr<Event> ParseAndValidateEvent(absl::string_view event_bytes, int64_t now_micros) {
  absl::StatusOr<Event> event = Parse(event_bytes);
  if (!event.ok()) return event.status();
  absl::Status s = CheckBody(*event, now_micros);
  if (!s.ok()) return s;
  return event;
}

absl::StatusOr<Event> ParseStoredEvent(absl::string_view event_bytes) {
  Event event;
  absl::Status s = ParseStoredEventInto(event_bytes, &event);
  if (!s.ok()) return s;
  return event;
}

absl::Status ParseStoredEventInto(absl::string_view event_bytes, Event* event) {
  absl::Status s = ParseInto(event_bytes, event);
  if (!s.ok()) return absl::DataLossError(absl::StrCat(s.message()));
  // Every admission check but those that depend on the time of the check: a stored event
  // that breaks one was not written by a correct server.
  s = CheckBody(*event, kNoTimeChecks);
  if (!s.ok()) return absl::DataLossError(absl::StrCat("stored event: ", s.message()));
  return absl::OkStatus();
}

size_t FirstInvalidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + n >= s.size()) return i;  // a truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return i;
    }
    i += n + 1;
  }
  return absl::string_view::npos;
}

absl::StatusOr<StoredEntry> DecodeStoredEntry(SequenceNumber sequence,
                                              absl::string_view leaf_data) {
  StoredEntry e;
  absl::Status s = DecodeStoredEntryInto(sequence, leaf_data, &e);
  if (!s.ok()) return s;
  return e;
}

absl::Status DecodeStoredEntryInto(SequenceNumber sequence, absl::string_view leaf_data,
                                   StoredEntry* out) {
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf_data);
  if (!view.ok()) {
    return absl::DataLossError(absl::StrCat("log entry ", sequence, ": ", view.status().message()));
  }
  absl::Status s = ParseStoredEventInto(view->event, &out->event);
  if (!s.ok()) return absl::DataLossError(absl::StrCat("log entry ", sequence, ": ", s.message()));
  out->sequence = sequence;
  out->recorded_time_micros = view->recorded_time_micros;
  out->event_id.assign(view->event_id.data(), view->event_id.size());
  out->key_id.assign(view->key_id.data(), view->key_id.size());
  out->leaf_hash = merkle::HashLeaf(leaf_data);
  return absl::OkStatus();
}

}  // namespace ledger::core
