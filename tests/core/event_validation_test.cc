// Admission checks of envelopes and event bytes (ledger/core/event_validation.h): every limit of
// ledger/core/limits.h at the limit and one past it, required fields, unknown fields, UTF-8,
// enums, dates, times and the key event bodies.
#include "ledger/core/event_validation.h"

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/limits.h"
#include "ledger/format/entry.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"

namespace ledger::core {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::IsOk;
using ::ledger::testing::KeyRegisteredEvent;
using ::ledger::testing::KeyRevokedEvent;
using ::ledger::testing::StatusIs;
using ::ledger::v1::Event;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kNow = ::ledger::testing::kTestNowMicros;  // 2026-01-01T00:00:00Z
constexpr int64_t kDayMicros = 24LL * 3600 * 1000000;

std::string Bytes(const Event& event) { return client::SerializeEvent(event); }

absl::StatusOr<Event> Validate(const Event& event) {
  return ParseAndValidateEvent(Bytes(event), kNow);
}

// Matches INVALID_ARGUMENT naming `path` (as "path:") and containing `what`.
::testing::Matcher<absl::StatusOr<Event>> RefusedAt(const std::string& path,
                                                    const std::string& what = "") {
  return StatusIs(absl::StatusCode::kInvalidArgument,
                  AllOf(HasSubstr(path + ": "), HasSubstr(what)));
}

ledger::v1::Claim* ClaimOf(Event* event) {
  return event->mutable_claim_asserted()->mutable_claim();
}

Event CorrectionEvent() {
  Event event;
  auto* c = event.mutable_claim_corrected();
  c->set_corrects_claim_id("claim-1");
  c->set_reason("the year was wrong");
  *c->mutable_claim() = ClaimEvent("The bridge opened in 1933.").claim_asserted().claim();
  return event;
}

Event RetractionEvent() {
  Event event;
  event.mutable_claim_retracted()->set_claim_id("claim-1");
  event.mutable_claim_retracted()->set_reason("misattributed");
  return event;
}

Event AppearanceEvent() {
  Event event;
  auto* a = event.mutable_claim_appeared();
  a->set_claim_id("claim-1");
  a->mutable_source()->set_url("https://second-outlet.example/story");
  a->mutable_source()->set_publisher("Second Outlet");
  return event;
}

Event RelationEvent() {
  Event event;
  auto* r = event.mutable_claim_related();
  r->set_claim_id("claim-2");
  r->set_related_claim_id("claim-1");
  r->set_relation(ledger::v1::ClaimRelated::POSITION_CHANGE);
  r->set_flip(ledger::v1::ClaimRelated::HALF_FLIP);
  r->set_subject("the pipeline's funding");
  r->set_reviewer("Example Fact Check");
  return event;
}

Event ReviewEvent() {
  Event event;
  auto* r = event.mutable_claim_reviewed();
  r->set_claim_id("claim-1");
  r->set_worst_rating(1);
  r->set_best_rating(5);
  r->set_rating_value(4);
  r->set_rating_text("Mostly true");
  r->set_reviewer("Example Fact Check");
  return event;
}

// A string of `size` bytes that is a valid value for the field: an http(s) URL when `url`.
std::string Filler(size_t size, bool url) {
  if (!url) return std::string(size, 'a');
  const std::string prefix = "https://example.org/";
  return prefix + std::string(size - prefix.size(), 'a');
}

// ---------------------------------------------------------------------------------------------
// Valid events.

TEST(EventValidationTest, ValidClaimIsAccepted) {
  absl::StatusOr<Event> event = Validate(ClaimEvent("The bridge opened in 1932."));
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(event->claim_asserted().claim().statement().text(), "The bridge opened in 1932.");
  EXPECT_EQ(event->claim_asserted().claim().source().url(), ::ledger::testing::kTestSourceUrl);
}

TEST(EventValidationTest, ClaimWithEveryOptionalFieldIsAccepted) {
  Event event = ClaimEvent();
  ledger::v1::Claim* c = ClaimOf(&event);
  c->mutable_claimant()->set_kind(ledger::v1::Claimant::PERSON);
  c->mutable_claimant()->set_role("Mayor");
  c->mutable_claimant()->set_affiliation("City of Example");
  c->mutable_claimant()->set_stable_id("Q42");
  c->mutable_statement()->set_attribution(ledger::v1::DIRECT_QUOTE);
  c->mutable_statement()->set_language("en");
  c->mutable_statement()->set_original_language("de");
  c->mutable_said()->set_precision(ledger::v1::PartialDate::DAY);
  c->mutable_said()->set_year(2025);
  c->mutable_said()->set_month(8);
  c->mutable_said()->set_day(14);
  c->mutable_said()->set_as_stated("last August");
  auto* s = c->mutable_source();
  s->set_title("Bridge anniversary");
  s->set_publisher("Example News");
  s->set_published_time_micros(kNow - kDayMicros);
  s->set_retrieved_time_micros(kNow);
  s->set_archive_url("http://archive.example.org/a");
  s->set_content_sha256(std::string(32, '\x01'));
  s->mutable_quote()->set_exact("opened in 1932");
  s->mutable_quote()->set_prefix("The bridge ");
  s->mutable_quote()->set_suffix(".");
  c->add_topics("infrastructure");
  c->add_entities()->set_name("Example Bridge");
  c->set_venue("City hall");
  EXPECT_THAT(Validate(event), IsOk());
}

// DecodeStoredEntryInto reuses an entry: decoding event after event of every kind into one
// StoredEntry (a claim with every field, then shorter ones) gives what DecodeStoredEntry gives,
// and nothing of the entry before survives; leaf data that does not decode is DATA_LOSS.
TEST(EventValidationTest, DecodingIntoAReusedEntryGivesTheDecodedEntry) {
  Event full = ClaimEvent("A claim with every field.");
  ledger::v1::Claim* c = ClaimOf(&full);
  c->mutable_claimant()->set_stable_id("Q42");
  c->add_topics("infrastructure");
  c->add_entities()->set_name("Example Bridge");
  c->mutable_source()->set_publisher("Example News");
  const std::vector<Event> events = {full,           ReviewEvent(),    CorrectionEvent(),
                                     ClaimEvent(),   RelationEvent(),  RetractionEvent(),
                                     AppearanceEvent(), full};
  StoredEntry reused;
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string leaf = format::EncodeLeafData(
        kNow + static_cast<int64_t>(i), absl::StrCat("event-", i), std::string(32, 'k'),
        std::string(64, 's'), Bytes(events[i]));
    absl::StatusOr<StoredEntry> fresh = DecodeStoredEntry(100 + i, leaf);
    ASSERT_THAT(fresh, IsOk());
    ASSERT_THAT(DecodeStoredEntryInto(100 + i, leaf, &reused), IsOk());
    EXPECT_EQ(reused.sequence, fresh->sequence);
    EXPECT_EQ(reused.recorded_time_micros, fresh->recorded_time_micros);
    EXPECT_EQ(reused.event_id, fresh->event_id);
    EXPECT_EQ(reused.key_id, fresh->key_id);
    EXPECT_EQ(reused.leaf_hash, fresh->leaf_hash);
    EXPECT_EQ(Bytes(reused.event), Bytes(fresh->event)) << i;
    EXPECT_EQ(Bytes(reused.event), Bytes(events[i])) << i;
  }
  EXPECT_THAT(DecodeStoredEntryInto(7, "\x01\x01 not leaf data", &reused),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("log entry 7")));
}

TEST(EventValidationTest, EveryOtherBodyKindIsAccepted) {
  EXPECT_THAT(Validate(CorrectionEvent()), IsOk());
  EXPECT_THAT(Validate(RetractionEvent()), IsOk());
  EXPECT_THAT(Validate(ReviewEvent()), IsOk());
  EXPECT_THAT(Validate(AppearanceEvent()), IsOk());
  EXPECT_THAT(Validate(RelationEvent()), IsOk());
  EXPECT_THAT(
      Validate(KeyRegisteredEvent(AdminKey().public_key(), ledger::v1::KeyRegistered::SUBMITTER)),
      IsOk());
  EXPECT_THAT(Validate(KeyRevokedEvent(AdminKey().public_key())), IsOk());
}

TEST(EventValidationTest, AFlipOrSubjectOutsideAPositionChangeIsRefused) {
  Event e = RelationEvent();
  e.mutable_claim_related()->set_relation(ledger::v1::ClaimRelated::CONTRADICTS);
  EXPECT_THAT(Validate(e), RefusedAt("event.claim_related.flip", "applies to POSITION_CHANGE only"));
  e.mutable_claim_related()->clear_flip();
  EXPECT_THAT(Validate(e), RefusedAt("event.claim_related.subject", "applies to POSITION_CHANGE only"));
  e.mutable_claim_related()->clear_subject();
  EXPECT_THAT(Validate(e), IsOk());
  e.mutable_claim_related()->set_related_claim_id("claim-2");
  EXPECT_THAT(Validate(e), RefusedAt("event.claim_related.related_claim_id", "another claim"));
}

TEST(EventValidationTest, MultiByteUtf8IsAccepted) {
  Event event = ClaimEvent("Zo\xc3\xab said \xe2\x9c\x93 and \xf0\x9d\x84\x9e");
  EXPECT_THAT(Validate(event), IsOk());
}

// ---------------------------------------------------------------------------------------------
// String limits: every string field at its limit is accepted; one byte more is refused with
// INVALID_ARGUMENT naming the field path and the limit.

struct StringLimitCase {
  const char* name;
  std::string path;
  size_t limit;
  bool url;
  std::function<Event(const std::string&)> make;
};

std::ostream& operator<<(std::ostream& os, const StringLimitCase& c) { return os << c.name; }

#define CLAIM_FIELD(NAME, PATH, LIMIT, URL, STMT)                                    \
  StringLimitCase {                                                                  \
    NAME, "event.claim_asserted.claim." PATH, LIMIT, URL, [](const std::string& v) { \
      Event e = ClaimEvent();                                                        \
      ledger::v1::Claim* c = ClaimOf(&e);                                            \
      STMT;                                                                          \
      return e;                                                                      \
    }                                                                                \
  }

std::vector<StringLimitCase> StringLimitCases() {
  return {
      CLAIM_FIELD("ClaimantName", "claimant.name", kMaxShortStringBytes, false,
                  c->mutable_claimant()->set_name(v)),
      CLAIM_FIELD("ClaimantRole", "claimant.role", kMaxShortStringBytes, false,
                  c->mutable_claimant()->set_role(v)),
      CLAIM_FIELD("ClaimantAffiliation", "claimant.affiliation", kMaxShortStringBytes, false,
                  c->mutable_claimant()->set_affiliation(v)),
      CLAIM_FIELD("ClaimantStableId", "claimant.stable_id", kMaxShortStringBytes, false,
                  c->mutable_claimant()->set_stable_id(v)),
      CLAIM_FIELD("StatementText", "statement.text", kMaxStatementTextBytes, false,
                  c->mutable_statement()->set_text(v)),
      CLAIM_FIELD("StatementLanguage", "statement.language", kMaxShortStringBytes, false,
                  c->mutable_statement()->set_language(v)),
      CLAIM_FIELD("StatementOriginalLanguage", "statement.original_language", kMaxShortStringBytes,
                  false, c->mutable_statement()->set_original_language(v)),
      CLAIM_FIELD("SaidAsStated", "said.as_stated", kMaxShortStringBytes, false,
                  c->mutable_said()->set_as_stated(v)),
      CLAIM_FIELD("SourceUrl", "source.url", kMaxUrlBytes, true, c->mutable_source()->set_url(v)),
      CLAIM_FIELD("SourceTitle", "source.title", kMaxShortStringBytes, false,
                  c->mutable_source()->set_title(v)),
      CLAIM_FIELD("SourcePublisher", "source.publisher", kMaxShortStringBytes, false,
                  c->mutable_source()->set_publisher(v)),
      CLAIM_FIELD("SourceArchiveUrl", "source.archive_url", kMaxUrlBytes, true,
                  c->mutable_source()->set_archive_url(v)),
      CLAIM_FIELD("QuoteExact", "source.quote.exact", kMaxQuoteBytes, false,
                  c->mutable_source()->mutable_quote()->set_exact(v)),
      CLAIM_FIELD("QuotePrefix", "source.quote.prefix", kMaxQuoteBytes, false,
                  c->mutable_source()->mutable_quote()->set_prefix(v)),
      CLAIM_FIELD("QuoteSuffix", "source.quote.suffix", kMaxQuoteBytes, false,
                  c->mutable_source()->mutable_quote()->set_suffix(v)),
      CLAIM_FIELD("Topic", "topics[1]", kMaxShortStringBytes, false,
                  (c->add_topics("energy"), c->add_topics(v))),
      CLAIM_FIELD("EntityName", "entities[0].name", kMaxShortStringBytes, false,
                  c->add_entities()->set_name(v)),
      CLAIM_FIELD("EntityStableId", "entities[0].stable_id", kMaxShortStringBytes, false,
                  (c->add_entities()->set_name("Example Bridge"),
                   c->mutable_entities(0)->set_stable_id(v))),
      CLAIM_FIELD("Venue", "venue", kMaxShortStringBytes, false, c->set_venue(v)),
      {"CorrectionReason", "event.claim_corrected.reason", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->set_reason(v);
         return e;
       }},
      {"CorrectionClaimText", "event.claim_corrected.claim.statement.text", kMaxStatementTextBytes,
       false,
       [](const std::string& v) {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->mutable_claim()->mutable_statement()->set_text(v);
         return e;
       }},
      {"RetractionReason", "event.claim_retracted.reason", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = RetractionEvent();
         e.mutable_claim_retracted()->set_reason(v);
         return e;
       }},
      {"ReviewRatingText", "event.claim_reviewed.rating_text", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_rating_text(v);
         return e;
       }},
      {"ReviewReviewer", "event.claim_reviewed.reviewer", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_reviewer(v);
         return e;
       }},
      {"ReviewUrl", "event.claim_reviewed.review_url", kMaxUrlBytes, true,
       [](const std::string& v) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_review_url(v);
         return e;
       }},
      {"ReviewExplanation", "event.claim_reviewed.explanation", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_explanation(v);
         return e;
       }},
      {"AppearanceUrl", "event.claim_appeared.source.url", kMaxUrlBytes, true,
       [](const std::string& v) {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->mutable_source()->set_url(v);
         return e;
       }},
      {"AppearancePublisher", "event.claim_appeared.source.publisher", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->mutable_source()->set_publisher(v);
         return e;
       }},
      {"AppearanceRepeatedBy", "event.claim_appeared.repeated_by", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->set_repeated_by(v);
         return e;
       }},
      {"AppearanceNote", "event.claim_appeared.note", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->set_note(v);
         return e;
       }},
      {"RelationSubject", "event.claim_related.subject", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = RelationEvent();
         e.mutable_claim_related()->set_subject(v);
         return e;
       }},
      {"RelationExplanation", "event.claim_related.explanation", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = RelationEvent();
         e.mutable_claim_related()->set_explanation(v);
         return e;
       }},
      {"KeyRegisteredHolder", "event.key_registered.holder", kMaxShortStringBytes, false,
       [](const std::string& v) {
         Event e = KeyRegisteredEvent(AdminKey().public_key(), ledger::v1::KeyRegistered::ADMIN);
         e.mutable_key_registered()->set_holder(v);
         return e;
       }},
      {"KeyRevokedReason", "event.key_revoked.reason", kMaxReasonBytes, false,
       [](const std::string& v) {
         Event e = KeyRevokedEvent(AdminKey().public_key());
         e.mutable_key_revoked()->set_reason(v);
         return e;
       }},
  };
}

#undef CLAIM_FIELD

class StringLimitTest : public ::testing::TestWithParam<StringLimitCase> {};

TEST_P(StringLimitTest, AtTheLimitIsAccepted) {
  const StringLimitCase& c = GetParam();
  absl::StatusOr<Event> event = Validate(c.make(Filler(c.limit, c.url)));
  EXPECT_THAT(event, IsOk()) << c.path;
}

TEST_P(StringLimitTest, OneBytePastTheLimitIsRefusedNamingPathAndLimit) {
  const StringLimitCase& c = GetParam();
  EXPECT_THAT(
      Validate(c.make(Filler(c.limit + 1, c.url))),
      RefusedAt(c.path, absl::StrCat("is ", c.limit + 1, " bytes; the limit is ", c.limit)));
}

INSTANTIATE_TEST_SUITE_P(EveryStringField, StringLimitTest, ::testing::ValuesIn(StringLimitCases()),
                         [](const ::testing::TestParamInfo<StringLimitCase>& info) {
                           return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------------------------
// Claim ids (event ids inside claim_corrected / claim_retracted / claim_reviewed) share the
// event id limit kMaxEventIdBytes.

struct ClaimIdCase {
  const char* path;
  std::function<Event(const std::string&)> make;
};

std::vector<ClaimIdCase> ClaimIdCases() {
  return {
      {"event.claim_corrected.corrects_claim_id",
       [](const std::string& v) {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->set_corrects_claim_id(v);
         return e;
       }},
      {"event.claim_retracted.claim_id",
       [](const std::string& v) {
         Event e = RetractionEvent();
         e.mutable_claim_retracted()->set_claim_id(v);
         return e;
       }},
      {"event.claim_reviewed.claim_id",
       [](const std::string& v) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_claim_id(v);
         return e;
       }},
  };
}

TEST(EventValidationTest, ClaimIdAtEventIdLimitIsAccepted) {
  for (const ClaimIdCase& c : ClaimIdCases()) {
    EXPECT_THAT(Validate(c.make(std::string(kMaxEventIdBytes, 'c'))), IsOk()) << c.path;
  }
}

TEST(EventValidationTest, ClaimIdPastEventIdLimitIsRefusedNamingPath) {
  for (const ClaimIdCase& c : ClaimIdCases()) {
    EXPECT_THAT(Validate(c.make(std::string(kMaxEventIdBytes + 1, 'c'))), RefusedAt(c.path))
        << c.path;
  }
}

// LIBRARY BUG (ledger/core/event_validation.cc, CheckBody): an over-long claim id is refused
// with "must be the event id of an earlier claim", which does not name the limit (128), although
// limits.h and docs/api.md promise that a refusal over a limit names the field and the limit.
TEST(EventValidationTest, ClaimIdPastEventIdLimitMessageNamesTheLimit) {
  for (const ClaimIdCase& c : ClaimIdCases()) {
    EXPECT_THAT(Validate(c.make(std::string(kMaxEventIdBytes + 1, 'c'))),
                RefusedAt(c.path, absl::StrCat(kMaxEventIdBytes)))
        << c.path;
  }
}

TEST(EventValidationTest, ClaimIdWithForbiddenCharacterIsRefused) {
  for (const ClaimIdCase& c : ClaimIdCases()) {
    EXPECT_THAT(Validate(c.make("claim/1")), RefusedAt(c.path)) << c.path;
  }
}

// ---------------------------------------------------------------------------------------------
// List limits.

TEST(EventValidationTest, TopicsAtTheLimitAreAccepted) {
  Event event = ClaimEvent();
  for (size_t i = 0; i < kMaxTopics; ++i) ClaimOf(&event)->add_topics(absl::StrCat("t", i));
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(EventValidationTest, OneTopicPastTheLimitIsRefusedNamingPathAndLimit) {
  Event event = ClaimEvent();
  for (size_t i = 0; i <= kMaxTopics; ++i) ClaimOf(&event)->add_topics(absl::StrCat("t", i));
  EXPECT_THAT(Validate(event),
              RefusedAt("event.claim_asserted.claim.topics",
                        absl::StrCat("has ", kMaxTopics + 1, " items; the limit is ", kMaxTopics)));
}

TEST(EventValidationTest, EntitiesAtTheLimitAreAccepted) {
  Event event = ClaimEvent();
  for (size_t i = 0; i < kMaxEntities; ++i) {
    ClaimOf(&event)->add_entities()->set_name(absl::StrCat("e", i));
  }
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(EventValidationTest, OneEntityPastTheLimitIsRefusedNamingPathAndLimit) {
  Event event = ClaimEvent();
  for (size_t i = 0; i <= kMaxEntities; ++i) {
    ClaimOf(&event)->add_entities()->set_name(absl::StrCat("e", i));
  }
  EXPECT_THAT(Validate(event), RefusedAt("event.claim_asserted.claim.entities",
                                         absl::StrCat("has ", kMaxEntities + 1,
                                                      " items; the limit is ", kMaxEntities)));
}

// ---------------------------------------------------------------------------------------------
// Times: 0 (unknown) or within [kMinTimeMicros, now + kMaxFutureSkewMicros].

struct TimeCase {
  const char* name;
  std::string path;
  std::function<Event(int64_t)> make;
};

std::ostream& operator<<(std::ostream& os, const TimeCase& c) { return os << c.name; }

std::vector<TimeCase> TimeCases() {
  return {
      {"Published", "event.claim_asserted.claim.source.published_time_micros",
       [](int64_t t) {
         Event e = ClaimEvent();
         ClaimOf(&e)->mutable_source()->set_published_time_micros(t);
         return e;
       }},
      {"Retrieved", "event.claim_asserted.claim.source.retrieved_time_micros",
       [](int64_t t) {
         Event e = ClaimEvent();
         ClaimOf(&e)->mutable_source()->set_retrieved_time_micros(t);
         return e;
       }},
      {"Review", "event.claim_reviewed.review_time_micros",
       [](int64_t t) {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->set_review_time_micros(t);
         return e;
       }},
  };
}

class TimeLimitTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(TimeLimitTest, ZeroMeansUnknownAndIsAccepted) {
  EXPECT_THAT(Validate(GetParam().make(0)), IsOk());
}

TEST_P(TimeLimitTest, EarliestTimeIsAccepted) {
  EXPECT_THAT(Validate(GetParam().make(kMinTimeMicros)), IsOk());
}

TEST_P(TimeLimitTest, BeforeNineteenHundredIsRefused) {
  EXPECT_THAT(Validate(GetParam().make(kMinTimeMicros - 1)),
              RefusedAt(GetParam().path, "1900-01-01"));
}

TEST_P(TimeLimitTest, LatestTimeIsAccepted) {
  EXPECT_THAT(Validate(GetParam().make(kNow + kMaxFutureSkewMicros)), IsOk());
}

TEST_P(TimeLimitTest, PastNowPlusOneDayIsRefused) {
  EXPECT_THAT(Validate(GetParam().make(kNow + kMaxFutureSkewMicros + 1)),
              RefusedAt(GetParam().path, "now + 1 day"));
}

TEST_P(TimeLimitTest, FarFutureIsRefused) {
  EXPECT_THAT(Validate(GetParam().make(INT64_MAX)), RefusedAt(GetParam().path));
}

TEST_P(TimeLimitTest, MostNegativeTimeIsRefused) {
  EXPECT_THAT(Validate(GetParam().make(INT64_MIN)), RefusedAt(GetParam().path));
}

INSTANTIATE_TEST_SUITE_P(EveryTimeField, TimeLimitTest, ::testing::ValuesIn(TimeCases()),
                         [](const ::testing::TestParamInfo<TimeCase>& info) {
                           return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------------------------
// Required fields.

struct RequiredCase {
  const char* name;
  std::string path;
  std::string what;
  std::function<Event()> make;
};

std::ostream& operator<<(std::ostream& os, const RequiredCase& c) { return os << c.name; }

std::vector<RequiredCase> RequiredCases() {
  const std::string claim = "event.claim_asserted.claim";
  return {
      {"Claim", claim, "is required",
       [] {
         Event e;
         e.mutable_claim_asserted();
         return e;
       }},
      {"Claimant", claim + ".claimant", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->clear_claimant();
         return e;
       }},
      {"ClaimantName", claim + ".claimant.name", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->mutable_claimant()->clear_name();
         ClaimOf(&e)->mutable_claimant()->set_role("Mayor");  // keep the message present
         return e;
       }},
      {"Statement", claim + ".statement", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->clear_statement();
         return e;
       }},
      {"StatementText", claim + ".statement.text", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->mutable_statement()->clear_text();
         ClaimOf(&e)->mutable_statement()->set_language("en");
         return e;
       }},
      {"Source", claim + ".source", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->clear_source();
         return e;
       }},
      {"SourceUrl", claim + ".source.url", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->mutable_source()->clear_url();
         ClaimOf(&e)->mutable_source()->set_title("t");
         return e;
       }},
      {"TopicText", claim + ".topics[0]", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->add_topics("");
         return e;
       }},
      {"EntityName", claim + ".entities[0].name", "is required",
       [] {
         Event e = ClaimEvent();
         ClaimOf(&e)->add_entities()->set_stable_id("Q1");
         return e;
       }},
      {"CorrectedClaimId", "event.claim_corrected.corrects_claim_id",
       "must be the event id of an earlier claim",
       [] {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->clear_corrects_claim_id();
         return e;
       }},
      {"CorrectionReason", "event.claim_corrected.reason", "is required",
       [] {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->clear_reason();
         return e;
       }},
      {"CorrectionClaim", "event.claim_corrected.claim", "is required",
       [] {
         Event e = CorrectionEvent();
         e.mutable_claim_corrected()->clear_claim();
         return e;
       }},
      {"RetractedClaimId", "event.claim_retracted.claim_id",
       "must be the event id of an earlier claim",
       [] {
         Event e = RetractionEvent();
         e.mutable_claim_retracted()->clear_claim_id();
         return e;
       }},
      {"RetractionReason", "event.claim_retracted.reason", "is required",
       [] {
         Event e = RetractionEvent();
         e.mutable_claim_retracted()->clear_reason();
         return e;
       }},
      {"ReviewedClaimId", "event.claim_reviewed.claim_id",
       "must be the event id of an earlier claim",
       [] {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->clear_claim_id();
         return e;
       }},
      {"ReviewRatingText", "event.claim_reviewed.rating_text", "is required",
       [] {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->clear_rating_text();
         return e;
       }},
      {"ReviewReviewer", "event.claim_reviewed.reviewer", "is required",
       [] {
         Event e = ReviewEvent();
         e.mutable_claim_reviewed()->clear_reviewer();
         return e;
       }},
      {"AppearedClaimId", "event.claim_appeared.claim_id",
       "must be the event id of an earlier claim",
       [] {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->clear_claim_id();
         return e;
       }},
      {"AppearanceSource", "event.claim_appeared.source", "is required",
       [] {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->clear_source();
         return e;
       }},
      {"AppearanceSourceUrl", "event.claim_appeared.source.url", "is required",
       [] {
         Event e = AppearanceEvent();
         e.mutable_claim_appeared()->mutable_source()->clear_url();
         return e;
       }},
      {"RelationClaimId", "event.claim_related.claim_id", "must be the event id of an earlier claim",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_claim_id();
         return e;
       }},
      {"RelationRelatedClaimId", "event.claim_related.related_claim_id",
       "must be the event id of an earlier claim",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_related_claim_id();
         return e;
       }},
      {"RelationKind", "event.claim_related.relation", "is required",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_relation();
         e.mutable_claim_related()->clear_flip();
         e.mutable_claim_related()->clear_subject();
         return e;
       }},
      {"RelationFlip", "event.claim_related.flip", "is required for POSITION_CHANGE",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_flip();
         return e;
       }},
      {"RelationSubject", "event.claim_related.subject", "is required",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_subject();
         return e;
       }},
      {"RelationReviewer", "event.claim_related.reviewer", "is required",
       [] {
         Event e = RelationEvent();
         e.mutable_claim_related()->clear_reviewer();
         return e;
       }},
      {"RevocationReason", "event.key_revoked.reason", "is required",
       [] {
         Event e = KeyRevokedEvent(AdminKey().public_key());
         e.mutable_key_revoked()->clear_reason();
         return e;
       }},
  };
}

class RequiredFieldTest : public ::testing::TestWithParam<RequiredCase> {};

TEST_P(RequiredFieldTest, MissingFieldIsRefusedNamingIt) {
  EXPECT_THAT(Validate(GetParam().make()), RefusedAt(GetParam().path, GetParam().what));
}

INSTANTIATE_TEST_SUITE_P(EveryRequiredField, RequiredFieldTest,
                         ::testing::ValuesIn(RequiredCases()),
                         [](const ::testing::TestParamInfo<RequiredCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(EventValidationTest, EventWithoutBodyIsRefused) {
  EXPECT_THAT(ParseAndValidateEvent("", kNow), RefusedAt("event", "exactly one body"));
}

// ---------------------------------------------------------------------------------------------
// Bytes that parse badly: unknown fields, invalid UTF-8, undefined enum values, garbage.

TEST(EventValidationTest, UnknownTopLevelFieldIsRefused) {
  // Field 99, wire type 0 (varint), value 1: tag (99 << 3) | 0 = 792 = varint 98 06.
  const std::string bytes = Bytes(ClaimEvent()) + std::string("\x98\x06\x01", 3);
  EXPECT_THAT(ParseAndValidateEvent(bytes, kNow), RefusedAt("event", "unknown field"));
}

TEST(EventValidationTest, UnknownNestedFieldIsRefusedNamingItsMessage) {
  Event event = ClaimEvent();
  ledger::v1::Claimant* claimant = ClaimOf(&event)->mutable_claimant();
  claimant->GetReflection()->MutableUnknownFields(claimant)->AddVarint(42, 7);
  EXPECT_THAT(Validate(event), RefusedAt("event.claim_asserted.claim.claimant", "unknown field"));
}

TEST(EventValidationTest, StoredEventWithUnknownFieldIsDataLoss) {
  const std::string bytes = Bytes(ClaimEvent()) + std::string("\x98\x06\x01", 3);
  EXPECT_THAT(ParseStoredEvent(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

// Length-delimited field `number` holding `payload`.
std::string LengthDelimited(int number, const std::string& payload) {
  std::string out(1, static_cast<char>((number << 3) | 2));
  size_t n = payload.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + payload;
}

// Event bytes built by hand: a claim whose statement.text is `text` (any bytes).
std::string HandBuiltClaimWithText(const std::string& text) {
  const std::string claimant = LengthDelimited(1, "Ada Example");          // Claimant.name
  const std::string statement = LengthDelimited(1, text);                  // Statement.text
  const std::string source = LengthDelimited(1, "https://example.org/a");  // Source.url
  const std::string claim =
      LengthDelimited(1, claimant) + LengthDelimited(2, statement) + LengthDelimited(4, source);
  return LengthDelimited(1, LengthDelimited(1, claim));  // Event.claim_asserted.claim
}

TEST(EventValidationTest, HandBuiltBytesWithValidTextAreAccepted) {
  absl::StatusOr<Event> event = ParseAndValidateEvent(HandBuiltClaimWithText("ok"), kNow);
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(event->claim_asserted().claim().statement().text(), "ok");
}

TEST(EventValidationTest, FieldsOutOfNumberOrderAreRefused) {
  // Claim with statement (2) before claimant (1): parses, but is not the canonical encoding, so
  // two parties could disagree on what the signed bytes mean.
  const std::string claim = LengthDelimited(2, LengthDelimited(1, "text")) +
                            LengthDelimited(1, LengthDelimited(1, "Ada Example")) +
                            LengthDelimited(4, LengthDelimited(1, "https://example.org/a"));
  EXPECT_THAT(ParseAndValidateEvent(LengthDelimited(1, LengthDelimited(1, claim)), kNow),
              RefusedAt("event", "canonical"));
}

TEST(EventValidationTest, SecondBodyIsRefused) {
  // Protobuf keeps the last member of a oneof; a reader of the first would see a claim where
  // the server sees a retraction.
  const std::string bytes = Bytes(ClaimEvent()) + Bytes(RetractionEvent());
  EXPECT_THAT(ParseAndValidateEvent(bytes, kNow), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, RepeatedScalarFieldIsRefused) {
  // Statement.text twice: protobuf keeps the last one.
  const std::string statement =
      LengthDelimited(1, "first text") + LengthDelimited(1, "second text");
  const std::string claim = LengthDelimited(1, LengthDelimited(1, "Ada Example")) +
                            LengthDelimited(2, statement) +
                            LengthDelimited(4, LengthDelimited(1, "https://example.org/a"));
  EXPECT_THAT(ParseAndValidateEvent(LengthDelimited(1, LengthDelimited(1, claim)), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, InvalidUtf8ByteIsRefused) {
  // Protobuf's own proto3 parser already refuses invalid UTF-8 in a string field, so the error
  // is the parse error, not one naming the field.
  EXPECT_THAT(ParseAndValidateEvent(HandBuiltClaimWithText("bad \xff byte"), kNow),
              RefusedAt("event", "do not parse"));
}

TEST(EventValidationTest, OverlongUtf8IsRefused) {
  EXPECT_THAT(ParseAndValidateEvent(HandBuiltClaimWithText("\xc0\xaf"), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, Utf8SurrogateIsRefused) {
  EXPECT_THAT(ParseAndValidateEvent(HandBuiltClaimWithText("\xed\xa0\x80"), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, TruncatedUtf8SequenceIsRefused) {
  EXPECT_THAT(ParseAndValidateEvent(HandBuiltClaimWithText("euro \xe2\x82"), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, InvalidUtf8SetThroughTheApiIsRefused) {
  // Protobuf serialises an invalid string (it only logs an error), so a careless client can
  // send such bytes; they must be refused.
  Event event = ClaimEvent();
  ClaimOf(&event)->add_topics("\xff");
  EXPECT_THAT(Validate(event), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventValidationTest, StoredEventWithInvalidUtf8IsDataLoss) {
  EXPECT_THAT(ParseStoredEvent(HandBuiltClaimWithText("\xff")),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(EventValidationTest, UndefinedClaimantKindIsRefused) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_claimant()->set_kind(static_cast<ledger::v1::Claimant::Kind>(7));
  EXPECT_THAT(Validate(event),
              RefusedAt("event.claim_asserted.claim.claimant.kind", "enum value 7 is not defined"));
}

TEST(EventValidationTest, UndefinedAttributionIsRefused) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_statement()->set_attribution(
      static_cast<ledger::v1::AttributionKind>(-1));
  EXPECT_THAT(Validate(event), RefusedAt("event.claim_asserted.claim.statement.attribution",
                                         "enum value -1 is not defined"));
}

TEST(EventValidationTest, UndefinedKeyRoleIsRefused) {
  Event event = KeyRegisteredEvent(AdminKey().public_key(), ledger::v1::KeyRegistered::ADMIN);
  event.mutable_key_registered()->set_role(static_cast<ledger::v1::KeyRegistered::Role>(3));
  EXPECT_THAT(Validate(event), RefusedAt("event.key_registered.role", "not defined"));
}

TEST(EventValidationTest, GarbageBytesAreRefused) {
  EXPECT_THAT(ParseAndValidateEvent(std::string("\xff\xff\xff\xff", 4), kNow),
              RefusedAt("event", "do not parse"));
}

TEST(EventValidationTest, TruncatedBytesAreRefused) {
  const std::string bytes = Bytes(ClaimEvent());
  EXPECT_THAT(ParseAndValidateEvent(bytes.substr(0, bytes.size() - 1), kNow),
              RefusedAt("event", "do not parse"));
}

// ---------------------------------------------------------------------------------------------
// Said dates.

Event WithSaid(ledger::v1::PartialDate::Precision precision, int year, int month, int day) {
  Event event = ClaimEvent();
  ledger::v1::PartialDate* d = ClaimOf(&event)->mutable_said();
  d->set_precision(precision);
  d->set_year(year);
  d->set_month(month);
  d->set_day(day);
  return event;
}

constexpr auto kYear = ledger::v1::PartialDate::YEAR;
constexpr auto kMonth = ledger::v1::PartialDate::MONTH;
constexpr auto kDay = ledger::v1::PartialDate::DAY;
constexpr auto kNoPrecision = ledger::v1::PartialDate::PRECISION_UNSPECIFIED;
const char kSaid[] = "event.claim_asserted.claim.said";

TEST(SaidDateTest, DatesOfEveryPrecisionAreAccepted) {
  EXPECT_THAT(Validate(WithSaid(kYear, 2015, 0, 0)), IsOk());
  EXPECT_THAT(Validate(WithSaid(kMonth, 2015, 8, 0)), IsOk());
  EXPECT_THAT(Validate(WithSaid(kDay, 2015, 8, 14)), IsOk());
}

TEST(SaidDateTest, UnsetDateWithOnlyAsStatedIsAccepted) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_said()->set_as_stated("earlier this month");
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(SaidDateTest, FieldsWithoutPrecisionAreRefused) {
  EXPECT_THAT(Validate(WithSaid(kNoPrecision, 2015, 0, 0)),
              RefusedAt(kSaid, "precision is unspecified"));
}

TEST(SaidDateTest, YearOneIsAccepted) { EXPECT_THAT(Validate(WithSaid(kYear, 1, 0, 0)), IsOk()); }

TEST(SaidDateTest, YearZeroIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kYear, 0, 0, 0)),
              RefusedAt(std::string(kSaid) + ".year", "0 is outside [1, 2026]"));
}

TEST(SaidDateTest, NegativeYearIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kYear, -44, 0, 0)), RefusedAt(std::string(kSaid) + ".year"));
}

TEST(SaidDateTest, CurrentYearIsAccepted) {
  EXPECT_THAT(Validate(WithSaid(kYear, 2026, 0, 0)), IsOk());
}

TEST(SaidDateTest, NextYearIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kYear, 2027, 0, 0)),
              RefusedAt(std::string(kSaid) + ".year", "2027 is outside [1, 2026]"));
}

TEST(SaidDateTest, MonthWithYearPrecisionIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kYear, 2015, 8, 0)),
              RefusedAt(std::string(kSaid) + ".month", "must be 0 when precision is YEAR"));
}

TEST(SaidDateTest, MonthOutOfRangeIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kMonth, 2015, 0, 0)),
              RefusedAt(std::string(kSaid) + ".month", "must be 1..12"));
  EXPECT_THAT(Validate(WithSaid(kMonth, 2015, 13, 0)),
              RefusedAt(std::string(kSaid) + ".month", "must be 1..12"));
}

TEST(SaidDateTest, DayWithMonthPrecisionIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kMonth, 2015, 8, 14)),
              RefusedAt(std::string(kSaid) + ".day", "must be 0 unless precision is DAY"));
}

TEST(SaidDateTest, LeapDayIsAcceptedInLeapYear) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2024, 2, 29)), IsOk());
}

TEST(SaidDateTest, LeapDayIsRefusedInCommonYear) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2025, 2, 29)),
              RefusedAt(std::string(kSaid) + ".day", "29 is not a day of 2025-2"));
}

TEST(SaidDateTest, FebruaryThirtiethIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2024, 2, 30)), RefusedAt(std::string(kSaid) + ".day"));
}

TEST(SaidDateTest, AprilThirtyFirstIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2025, 4, 31)), RefusedAt(std::string(kSaid) + ".day"));
}

TEST(SaidDateTest, DayZeroAndThirtyTwoAreRefused) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2025, 1, 0)), RefusedAt(std::string(kSaid) + ".day"));
  EXPECT_THAT(Validate(WithSaid(kDay, 2025, 1, 32)), RefusedAt(std::string(kSaid) + ".day"));
}

TEST(SaidDateTest, TomorrowIsAccepted) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2026, 1, 2)), IsOk());
}

TEST(SaidDateTest, DayAfterTomorrowIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kDay, 2026, 1, 3)), RefusedAt(kSaid, "is in the future"));
}

TEST(SaidDateTest, CurrentMonthIsAccepted) {
  EXPECT_THAT(Validate(WithSaid(kMonth, 2026, 1, 0)), IsOk());
}

// LIBRARY BUG (ledger/core/event_validation.cc, CheckPartialDate): docs/api.md says a said
// date is "not after tomorrow", but only DAY precision is checked against today; a MONTH
// precision date in a later month of the current year (here 2026-12, with now 2026-01-01) is
// accepted.
TEST(SaidDateTest, LaterMonthOfCurrentYearIsRefused) {
  EXPECT_THAT(Validate(WithSaid(kMonth, 2026, 12, 0)), RefusedAt(kSaid));
}

TEST(SaidDateTest, UndefinedPrecisionIsRefused) {
  EXPECT_THAT(Validate(WithSaid(static_cast<ledger::v1::PartialDate::Precision>(4), 2015, 8, 14)),
              RefusedAt(std::string(kSaid) + ".precision", "not defined"));
}

// ---------------------------------------------------------------------------------------------
// Other field rules.

TEST(EventValidationTest, SourceUrlWithoutHttpSchemeIsRefused) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_source()->set_url("ftp://example.org/a");
  EXPECT_THAT(Validate(event),
              RefusedAt("event.claim_asserted.claim.source.url", "http:// or https://"));
}

TEST(EventValidationTest, PlainHttpSourceUrlIsAccepted) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_source()->set_url("http://example.org/a");
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(EventValidationTest, ContentSha256OfThirtyTwoBytesIsAccepted) {
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_source()->set_content_sha256(std::string(32, '\x7f'));
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(EventValidationTest, ContentSha256OfWrongLengthIsRefused) {
  for (size_t size : {1u, 31u, 33u, 64u}) {
    Event event = ClaimEvent();
    ClaimOf(&event)->mutable_source()->set_content_sha256(std::string(size, '\x7f'));
    EXPECT_THAT(Validate(event), RefusedAt("event.claim_asserted.claim.source.content_sha256",
                                           absl::StrCat("must be 32 bytes or empty, got ", size)))
        << size;
  }
}

TEST(EventValidationTest, RatingAtBothEndsIsAccepted) {
  Event event = ReviewEvent();
  event.mutable_claim_reviewed()->set_rating_value(1);
  EXPECT_THAT(Validate(event), IsOk());
  event.mutable_claim_reviewed()->set_rating_value(5);
  EXPECT_THAT(Validate(event), IsOk());
}

TEST(EventValidationTest, RatingBelowWorstIsRefused) {
  Event event = ReviewEvent();
  event.mutable_claim_reviewed()->set_rating_value(0);
  EXPECT_THAT(Validate(event), RefusedAt("event.claim_reviewed.rating_value",
                                         "0 is outside [worst_rating 1, best_rating 5]"));
}

TEST(EventValidationTest, RatingAboveBestIsRefused) {
  Event event = ReviewEvent();
  event.mutable_claim_reviewed()->set_rating_value(6);
  EXPECT_THAT(Validate(event), RefusedAt("event.claim_reviewed.rating_value",
                                         "6 is outside [worst_rating 1, best_rating 5]"));
}

TEST(EventValidationTest, WorstRatingAboveBestIsRefused) {
  Event event = ReviewEvent();
  event.mutable_claim_reviewed()->set_worst_rating(6);
  EXPECT_THAT(Validate(event),
              RefusedAt("event.claim_reviewed.worst_rating", "must not exceed best_rating"));
}

TEST(EventValidationTest, RegisteredPublicKeyOfWrongLengthIsRefused) {
  for (size_t size : {0u, 31u, 33u}) {
    Event event = KeyRegisteredEvent(AdminKey().public_key(), ledger::v1::KeyRegistered::ADMIN);
    event.mutable_key_registered()->set_public_key(std::string(size, '\x01'));
    EXPECT_THAT(Validate(event), RefusedAt("event.key_registered.public_key",
                                           absl::StrCat("must be 32 bytes, got ", size)))
        << size;
  }
}

TEST(EventValidationTest, RegisteredKeyWithoutRoleIsRefused) {
  Event event = KeyRegisteredEvent(AdminKey().public_key(), ledger::v1::KeyRegistered::ADMIN);
  event.mutable_key_registered()->set_role(ledger::v1::KeyRegistered::ROLE_UNSPECIFIED);
  EXPECT_THAT(Validate(event), RefusedAt("event.key_registered.role", "SUBMITTER or ADMIN"));
}

TEST(EventValidationTest, RevokedKeyIdOfWrongLengthIsRefused) {
  for (size_t size : {0u, 31u, 33u}) {
    Event event = KeyRevokedEvent(AdminKey().public_key());
    event.mutable_key_revoked()->set_key_id(std::string(size, '\x01'));
    EXPECT_THAT(Validate(event),
                RefusedAt("event.key_revoked.key_id", absl::StrCat("must be 32 bytes, got ", size)))
        << size;
  }
}

// ---------------------------------------------------------------------------------------------
// Event ids.

TEST(EventIdTest, EveryAllowedCharacterIsAccepted) {
  EXPECT_THAT(ValidateEventId("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"),
              IsOk());
}

TEST(EventIdTest, OneByteIsAccepted) { EXPECT_THAT(ValidateEventId("a"), IsOk()); }

TEST(EventIdTest, EmptyIsRefused) {
  EXPECT_THAT(ValidateEventId(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                            AllOf(HasSubstr("event_id: "), HasSubstr("got 0"))));
}

TEST(EventIdTest, AtTheLimitIsAccepted) {
  EXPECT_THAT(ValidateEventId(std::string(kMaxEventIdBytes, 'x')), IsOk());
}

TEST(EventIdTest, OneBytePastTheLimitIsRefusedNamingTheLimit) {
  EXPECT_THAT(ValidateEventId(std::string(kMaxEventIdBytes + 1, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event_id: "), HasSubstr("1..128 bytes, got 129"))));
}

TEST(EventIdTest, ForbiddenCharactersAreRefused) {
  for (const std::string& id : std::vector<std::string>{"a b", "a/b", "a+b", "a\nb", "caf\xc3\xa9",
                                                        "a,b", "a#b", std::string("a\0b", 3)}) {
    EXPECT_THAT(ValidateEventId(id),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("may contain only")))
        << absl::CHexEscape(id);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelopes.

ledger::v1::SignedEvent ValidEnvelope() {
  return ::ledger::testing::Sign("claim-1", ClaimEvent(), AdminKey());
}

TEST(EnvelopeTest, SignedEventIsAccepted) {
  EXPECT_THAT(ValidateEnvelope(ValidEnvelope()), IsOk());
}

TEST(EnvelopeTest, OtherVersionsAreRefused) {
  for (uint32_t version : {0u, 2u, 0xffffffffu}) {
    ledger::v1::SignedEvent envelope = ValidEnvelope();
    envelope.set_version(version);
    EXPECT_THAT(ValidateEnvelope(envelope),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("version: "), HasSubstr(absl::StrCat("is ", version)))));
  }
}

TEST(EnvelopeTest, BadEventIdIsRefused) {
  for (const std::string& id : std::vector<std::string>{
           std::string(), std::string(kMaxEventIdBytes + 1, 'a'), std::string("claim 1")}) {
    ledger::v1::SignedEvent envelope = ValidEnvelope();
    envelope.set_event_id(id);
    EXPECT_THAT(ValidateEnvelope(envelope),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id: ")));
  }
}

TEST(EnvelopeTest, KeyIdOfWrongLengthIsRefused) {
  for (size_t size : {0u, 31u, 33u}) {
    ledger::v1::SignedEvent envelope = ValidEnvelope();
    envelope.set_key_id(std::string(size, 'k'));
    EXPECT_THAT(ValidateEnvelope(envelope),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("key_id: must be 32 bytes, got ", size))));
  }
}

TEST(EnvelopeTest, SignatureOfWrongLengthIsRefused) {
  for (size_t size : {0u, 63u, 65u}) {
    ledger::v1::SignedEvent envelope = ValidEnvelope();
    envelope.set_signature(std::string(size, 's'));
    EXPECT_THAT(ValidateEnvelope(envelope),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("signature: must be 64 bytes, got ", size))));
  }
}

TEST(EnvelopeTest, EmptyEventIsRefused) {
  ledger::v1::SignedEvent envelope = ValidEnvelope();
  envelope.clear_event();
  EXPECT_THAT(ValidateEnvelope(envelope),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event: is required")));
}

TEST(EnvelopeTest, EventAtTheSizeLimitIsAccepted) {
  ledger::v1::SignedEvent envelope = ValidEnvelope();
  envelope.set_event(std::string(kMaxEventBytes, 'e'));
  EXPECT_THAT(ValidateEnvelope(envelope), IsOk());
}

TEST(EnvelopeTest, EventOneBytePastTheSizeLimitIsRefusedNamingTheLimit) {
  ledger::v1::SignedEvent envelope = ValidEnvelope();
  envelope.set_event(std::string(kMaxEventBytes + 1, 'e'));
  EXPECT_THAT(ValidateEnvelope(envelope),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event: "),
                             HasSubstr(absl::StrCat("is ", kMaxEventBytes + 1,
                                                    " bytes; the limit is ", kMaxEventBytes)))));
}

// ---------------------------------------------------------------------------------------------
// Stored events.

TEST(StoredEventTest, ValidEventParses) {
  absl::StatusOr<Event> event = ParseStoredEvent(Bytes(ClaimEvent("stored")));
  ASSERT_THAT(event, IsOk());
  EXPECT_EQ(event->claim_asserted().claim().statement().text(), "stored");
}

TEST(StoredEventTest, GarbageIsDataLoss) {
  EXPECT_THAT(ParseStoredEvent(std::string("\xff\xff\xff\xff", 4)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseStoredEvent("not a protobuf at all"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StoredEventTest, EmptyBytesAreDataLoss) {
  EXPECT_THAT(ParseStoredEvent(""), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no body")));
}

TEST(StoredEventTest, TimesAreNotCheckedAgainstAnyClock) {
  // What was valid when admitted stays valid: a stored event's times are not re-checked.
  Event event = ClaimEvent();
  ClaimOf(&event)->mutable_source()->set_published_time_micros(kNow + 365 * kDayMicros);
  EXPECT_THAT(ParseStoredEvent(Bytes(event)), IsOk());
}

// The one decoder of stored entries: the fields of the leaf data and the parsed event; damage is
// DATA_LOSS naming the sequence.
TEST(DecodeStoredEntryTest, DecodesTheLeafAndParsesTheEvent) {
  const ledger::v1::Event event = ledger::testing::ClaimEvent("The bridge opened in 1932.");
  const std::string key_id(32, 'k');
  const std::string leaf = format::EncodeLeafData(1234, "ev-1", key_id, std::string(64, 's'),
                                                  event.SerializeAsString());
  absl::StatusOr<StoredEntry> e = DecodeStoredEntry(7, leaf);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sequence, 7u);
  EXPECT_EQ(e->recorded_time_micros, 1234);
  EXPECT_EQ(e->event_id, "ev-1");
  EXPECT_EQ(e->key_id, key_id);
  EXPECT_EQ(e->event.claim_asserted().claim().statement().text(), "The bridge opened in 1932.");

  absl::StatusOr<StoredEntry> cut = DecodeStoredEntry(8, leaf.substr(0, leaf.size() / 2));
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(cut.status().message()), ::testing::HasSubstr("log entry 8"));

  const std::string bad_event =
      format::EncodeLeafData(1234, "ev-2", key_id, std::string(64, 's'), "\xff\xff\xff");
  absl::StatusOr<StoredEntry> unparsable = DecodeStoredEntry(9, bad_event);
  EXPECT_EQ(unparsable.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(unparsable.status().message()), ::testing::HasSubstr("log entry 9"));
}

}  // namespace
}  // namespace ledger::core
