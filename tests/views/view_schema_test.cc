// The view key layout: order-preserving string escaping, said keys, term normalisation, and the
// value codecs (round trips; truncated input is DataLoss).
#include "ledger/views/view_schema.h"

#include <string>

#include "gmock/gmock.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "tests/views/view_test_util.h"

namespace ledger::views::schema {
namespace {

using ::ledger::testing::StatusIs;

std::string Ordered(const std::string& s) {
  std::string out;
  AppendOrderedString(&out, s);
  return out;
}

RC_GTEST_PROP(OrderedString, PreservesOrderEvenWhenFollowedByOtherFields,
              (const std::string& a, const std::string& b, const std::string& tail_a,
               const std::string& tail_b)) {
  const std::string ka = Ordered(a) + tail_a;
  const std::string kb = Ordered(b) + tail_b;
  if (a != b) RC_ASSERT((a < b) == (ka < kb));
}

RC_GTEST_PROP(OrderedString, RoundTripsAndLeavesTheRest,
              (const std::string& s, const std::string& rest)) {
  const std::string encoded = Ordered(s) + rest;
  absl::string_view in = encoded;
  std::string out;
  RC_ASSERT(ConsumeOrderedString(&in, &out));
  RC_ASSERT(out == s);
  RC_ASSERT(in == rest);
}

TEST(OrderedStringTest, EmbeddedZeroBytesAreEscaped) {
  const std::string s("a\0b", 3);
  EXPECT_EQ(Ordered(s), std::string("a\0\xff" "b\0\x01", 6));
  absl::string_view truncated("a\0", 2);
  std::string out;
  EXPECT_FALSE(ConsumeOrderedString(&truncated, &out));
}

TEST(SaidKeyTest, SortsByYearMonthDayWithUnknownPartsFirst) {
  ledger::v1::PartialDate year, month, day, none;
  year.set_precision(ledger::v1::PartialDate::YEAR);
  year.set_year(2015);
  month = year;
  month.set_precision(ledger::v1::PartialDate::MONTH);
  month.set_month(7);
  day = month;
  day.set_precision(ledger::v1::PartialDate::DAY);
  day.set_day(14);
  EXPECT_EQ(SaidKey(none), 0u);
  EXPECT_EQ(SaidKey(year), SaidKeyOf(2015, 0, 0));
  EXPECT_EQ(SaidKey(month), SaidKeyOf(2015, 7, 0));
  EXPECT_EQ(SaidKey(day), SaidKeyOf(2015, 7, 14));
  EXPECT_LT(SaidKey(none), SaidKey(year));
  EXPECT_LT(SaidKey(year), SaidKey(month));
  EXPECT_LT(SaidKey(month), SaidKey(day));
  EXPECT_LT(SaidKeyOf(2015, 12, 31), SaidKeyOf(2016, 0, 0));
}

TEST(TermsTest, ClaimantIsStableIdElseLowercaseName) {
  EXPECT_EQ(ClaimantTerm("Q313330", "Sergei Ryabkov"), "id:Q313330");
  EXPECT_EQ(ClaimantTerm("", "Sergei RYABKOV"), "name:sergei ryabkov");
  EXPECT_NE(ClaimantTerm("x", ""), ClaimantTerm("", "x"));  // ids never collide with names
}

TEST(TermsTest, UnicodeIsCaseFolded) {
  EXPECT_EQ(TopicTerm("\xc3\x89NERGIE"), "\xc3\xa9nergie");  // "ÉNERGIE" -> "énergie"
  EXPECT_EQ(TopicTerm("ENERGY"), "energy");
  EXPECT_EQ(PublisherTerm("Example NEWS"), "example news");
  // German sharp s folds to "ss"; Cyrillic and Greek fold too; full-width letters are NFKC'd.
  EXPECT_EQ(ClaimantTerm("", "Stra\xc3\x9f" "e"), ClaimantTerm("", "STRASSE"));
  EXPECT_EQ(ClaimantTerm("", "\xd0\x9d\xd0\x9e\xd0\x92\xd0\x90\xd0\x9a"),   // "НОВАК"
            ClaimantTerm("", "\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xb0\xd0\xba"));  // "новак"
  EXPECT_EQ(TopicTerm("\xef\xbc\xa5nergy"), "energy");  // full-width "Ｅ"
  // A composed and a decomposed "é" are one term.
  EXPECT_EQ(TopicTerm("caf\xc3\xa9"), TopicTerm("cafe\xcc\x81"));
}

TEST(TermsTest, ClaimantsAndEntitiesAreIndexedUnderIdAndName) {
  ledger::v1::Claimant c;
  c.set_name("Khawaja Asif");
  c.set_stable_id("Q6402157");
  EXPECT_THAT(ClaimantTerms(c), ::testing::ElementsAre("id:Q6402157", "name:khawaja asif"));
  c.clear_stable_id();
  EXPECT_THAT(ClaimantTerms(c), ::testing::ElementsAre("name:khawaja asif"));
  ledger::v1::Entity e;
  e.set_stable_id("Q843");
  EXPECT_THAT(EntityTerms(e), ::testing::ElementsAre("id:Q843"));
  e.set_name("Pakistan");
  EXPECT_THAT(EntityTerms(e), ::testing::ElementsAre("id:Q843", "name:pakistan"));
}

// The remembered terms are the terms: for claims drawn from small pools of claimants, topics,
// entities and publishers (so most are remembered), with one name under several ids, an id
// that reads like a name, folded non-ASCII text and empty fields, one cache gives what
// ClaimIndexTerms gives, index by index.
RC_GTEST_PROP(ClaimIndexTermCacheTest, GivesClaimIndexTermsForEveryIndex, ()) {
  const std::vector<std::string> texts = {"",       "Khawaja Asif", "KHAWAJA ASIF", "Q6402157",
                                          "ÉNERGIE", "énergie",      "Straße",       "STRASSE",
                                          "x",      "id:x",         "name:x"};
  auto pick = [&texts]() { return texts[*rc::gen::inRange<size_t>(0, texts.size())]; };
  ClaimIndexTermCache cache;
  const int claims = *rc::gen::inRange(1, 40);
  for (int k = 0; k < claims; ++k) {
    ledger::v1::Claim claim;
    claim.mutable_claimant()->set_name(pick());
    claim.mutable_claimant()->set_stable_id(pick());
    for (int t = *rc::gen::inRange(0, 4); t > 0; --t) claim.add_topics(pick());
    for (int e = *rc::gen::inRange(0, 3); e > 0; --e) {
      ledger::v1::Entity* entity = claim.add_entities();
      entity->set_name(pick());
      entity->set_stable_id(pick());
    }
    claim.mutable_source()->set_url(pick());
    claim.mutable_source()->set_publisher(pick());
    std::array<std::vector<std::string>, kClaimIndexCount> terms;
    terms[0] = {"left over from an earlier claim"};
    cache.TermsOf(claim, &terms);
    for (size_t i = 0; i < kClaimIndexCount; ++i) {
      RC_ASSERT(terms[i] == ClaimIndexTerms(static_cast<ClaimIndex>(i), claim));
    }
  }
}

// Past kMaxRemembered distinct fields it starts over, and still gives the same terms.
TEST(ClaimIndexTermCacheTest, StartsOverWhenFull) {
  ClaimIndexTermCache cache;
  std::array<std::vector<std::string>, kClaimIndexCount> terms;
  ledger::v1::Claim claim;
  claim.add_topics("Energy");
  for (size_t k = 0; k < ClaimIndexTermCache::kMaxRemembered + 10; ++k) {
    claim.mutable_claimant()->set_name(absl::StrCat("Claimant ", k));
    cache.TermsOf(claim, &terms);
  }
  for (size_t k : {size_t{0}, size_t{7}, ClaimIndexTermCache::kMaxRemembered + 5}) {
    claim.mutable_claimant()->set_name(absl::StrCat("Claimant ", k));
    cache.TermsOf(claim, &terms);
    EXPECT_THAT(terms[static_cast<size_t>(ClaimIndex::kClaimant)],
                ::testing::ElementsAre(absl::StrCat("name:claimant ", k)));
    EXPECT_THAT(terms[static_cast<size_t>(ClaimIndex::kTopic)], ::testing::ElementsAre("energy"));
  }
}

TEST(TermsTest, EachClaimIndexHasItsTermsSortedAndUnique) {
  ledger::v1::Claim claim;
  claim.mutable_claimant()->set_name("Khawaja Asif");
  claim.add_topics("Energy");
  claim.add_topics("ENERGY");
  claim.add_topics("Coal");
  claim.mutable_source()->set_url("https://example.org/a");
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kClaimant, claim),
              ::testing::ElementsAre("name:khawaja asif"));
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kTopic, claim), ::testing::ElementsAre("coal", "energy"));
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kEntity, claim), ::testing::IsEmpty());
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kSourceUrl, claim),
              ::testing::ElementsAre("https://example.org/a"));
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kPublisher, claim), ::testing::IsEmpty());
  claim.mutable_source()->set_publisher("Dawn");
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kPublisher, claim), ::testing::ElementsAre("dawn"));
  EXPECT_THAT(ClaimIndexTerms(ClaimIndex::kTimeline, claim), ::testing::ElementsAre(""));
  // Every index has a record kind of its own inside the claims view, after the status index.
  const std::string claims = ViewPrefix(ViewTag::kClaims, kClaimsView);
  std::vector<uint8_t> kinds = {StatusIndexSpace(claims).entry_kind};
  for (size_t i = 0; i < kClaimIndexCount; ++i) {
    const IndexSpace space = ClaimIndexSpace(claims, static_cast<ClaimIndex>(i));
    EXPECT_EQ(space.view_prefix, claims);
    kinds.push_back(space.entry_kind);
  }
  EXPECT_THAT(kinds, ::testing::ElementsAre(kStatusEntryRecord, 4, 5, 6, 7, 8, 9));
}

TEST(TermsTest, TermListsRoundTrip) {
  const std::vector<std::string> terms = {"id:Q1", std::string("name:a\0b", 8), ""};
  absl::StatusOr<std::vector<std::string>> back = DecodeTerms(EncodeTerms(terms));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, terms);
  EXPECT_FALSE(DecodeTerms("\x61").ok());  // unterminated
}

TEST(IndexEntryTest, RoundTripsAndIsVisibleInItsRanges) {
  IndexEntry e;
  e.claim_id = "c1";
  e.ranges = {{3, 5}, {8, kOpenSequence}};
  absl::StatusOr<IndexEntry> d = DecodeIndexEntry(EncodeIndexEntry(e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->claim_id, "c1");
  EXPECT_EQ(d->ranges, e.ranges);
  // Visible in the state after the first `size` entries: valid_from < size <= valid_until.
  EXPECT_FALSE(e.VisibleAt(3));
  EXPECT_TRUE(e.VisibleAt(4));
  EXPECT_TRUE(e.VisibleAt(5));
  EXPECT_FALSE(e.VisibleAt(6));
  EXPECT_FALSE(e.VisibleAt(8));
  EXPECT_TRUE(e.VisibleAt(9));
  EXPECT_TRUE(e.VisibleAt(1u << 30));
}

TEST(IndexKeyTest, DecodesItsParts) {
  const IndexSpace space =
      ClaimIndexSpace(ViewPrefix(ViewTag::kClaims, kClaimsView), ClaimIndex::kTopic);
  const std::string key = IndexEntryKey(space, std::string("a\0b", 3), 0x07df0700, 42);
  absl::StatusOr<IndexKeyParts> parts = DecodeIndexEntryKey(space, key);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->term, std::string("a\0b", 3));
  EXPECT_EQ(parts->said, 0x07df0700u);
  EXPECT_EQ(parts->asserted_sequence, 42u);
  EXPECT_EQ(key.substr(0, IndexTermPrefix(space, std::string("a\0b", 3)).size()),
            IndexTermPrefix(space, std::string("a\0b", 3)));
}

// The listener's cheap test and the decoder agree: a claim state key, and nothing else.
TEST(ClaimStateKeyTest, IsClaimStateKeyAcceptsExactlyWhatDecodes) {
  const std::string claims = ViewPrefix(ViewTag::kClaims, kClaimsView);
  const std::string keys = ViewPrefix(ViewTag::kKeys, kKeysView);
  const std::string state = ClaimStateKey(claims, "c-1");
  EXPECT_TRUE(IsClaimStateKey(claims, state));
  absl::StatusOr<absl::string_view> id = DecodeClaimStateKey(claims, state);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "c-1");
  for (const std::string& other :
       {ClaimHistoryKey(claims, "c-1", 7), claims, claims + std::string(1, kClaimRecord),
        ClaimStateKey(keys, "c-1"), std::string(), state.substr(0, claims.size())}) {
    EXPECT_FALSE(IsClaimStateKey(claims, other)) << absl::CEscape(other);
    EXPECT_THAT(DecodeClaimStateKey(claims, other), StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(CodecTest, ValuesRoundTrip) {
  ClaimState c;
  c.asserted_sequence = 1;
  c.submitter_key_id = std::string(32, 'k');
  c.version_sequence = 7;
  c.status = ClaimStatus::kCorrected;
  c.status_sequence = 5;
  c.said = SaidKeyOf(2015, 7, 0);
  absl::StatusOr<ClaimState> c2 = DecodeClaimState(EncodeClaimState(c));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->version_sequence, 7u);
  EXPECT_EQ(c2->status, ClaimStatus::kCorrected);
  EXPECT_EQ(c2->LastChange(), 7u);
  EXPECT_EQ(c2->said, SaidKeyOf(2015, 7, 0));
  for (const std::vector<std::string>& terms : c2->index_terms) EXPECT_TRUE(terms.empty());

  c.index_terms[static_cast<size_t>(ClaimIndex::kTopic)] = {"a", std::string("b\0c", 3)};
  c.index_terms[static_cast<size_t>(ClaimIndex::kTimeline)] = {""};
  c.name_terms = {"alexand", "novak"};
  c.statement_terms = {"#2015", "gas"};
  c2 = DecodeClaimState(EncodeClaimState(c));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->index_terms, c.index_terms);
  EXPECT_EQ(c2->name_terms, c.name_terms);
  EXPECT_EQ(c2->statement_terms, c.statement_terms);
  EXPECT_THAT(DecodeClaimState(EncodeClaimState(c) + "x"),
              StatusIs(absl::StatusCode::kDataLoss));

  KeyState k;
  k.has_public_key = true;
  k.public_key = std::string(32, 'p');
  k.role = 1;
  k.registered_sequence = 4;
  absl::StatusOr<KeyState> k2 = DecodeKeyState(EncodeKeyState(k));
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(k2->public_key, k.public_key);
  EXPECT_EQ(k2->registered_sequence, 4u);
}

TEST(CodecTest, TruncatedValuesAreDataLoss) {
  ClaimState state;
  state.submitter_key_id = std::string(32, 'k');
  const std::string claim = EncodeClaimState(state);
  EXPECT_THAT(DecodeClaimState(claim.substr(0, claim.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeIndexEntry("\x00\x02" "c1"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeKeyState("x"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeU64("1234567", "w"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeKindAndId(std::string("\x09x", 2)), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PrefixTest, ViewsOccupyDisjointRangesAndTheWatermarkSortsFirst) {
  const std::string claims = ViewPrefix(ViewTag::kClaims, kClaimsView);
  EXPECT_EQ(claims, std::string("\x01", 1));  // the tag alone (schema version 3)
  EXPECT_EQ(MetaSchemaKey(), std::string("\x00" "meta\0\x01", 7));  // where every version has it
  EXPECT_LT(WatermarkKey(claims), DataBegin(claims));
  EXPECT_LT(DataBegin(claims), PrefixSuccessor(claims));
  // [claims, PrefixSuccessor(claims)) is half-open: the next view may start right at its end.
  const std::string keys = ViewPrefix(ViewTag::kKeys, kKeysView);
  EXPECT_LE(PrefixSuccessor(claims), keys);
  EXPECT_LT(PrefixSuccessor(claims), WatermarkKey(keys));
  EXPECT_LT(std::string("\x01\xff\xff\xff", 4), PrefixSuccessor(claims));
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff\xff", 3)), "b");
}

}  // namespace
}  // namespace ledger::views::schema
