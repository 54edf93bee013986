// schema.org ClaimReview out of the ledger (cli/claimreview.h): an item built from a real Log
// verifies with no server; every stated value that differs from the signed events, a proof of
// another entry, or another log key fails; every documented document shape is read.
#include "cli/claimreview.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "tests/cli/bundle_testing.h"
#include "tests/testing/test_log.h"

namespace ledger::cli {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::TestBundle;
using ::ledger::testing::TestLog;
using ::ledger::testing::TrustedLogKey;
using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

ledger::v1::Event Review(const std::string& claim_id, const std::string& rating) {
  ledger::v1::Event e;
  ledger::v1::ClaimReviewed* r = e.mutable_claim_reviewed();
  r->set_claim_id(claim_id);
  r->set_rating_text(rating);
  r->set_rating_value(1);
  r->set_worst_rating(0);
  r->set_best_rating(5);
  r->set_reviewer("Example Fact Desk");
  r->set_review_url("https://factcheck.example/reviews/1");
  return e;
}

// Entries: 0 claim c1, 1 claim c2, 2 a correction of c1, 3 a review of c1 (so of the
// corrected version), 4 a review of c2.
class ClaimReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.AppendClaim("c1", AdminKey(), "The bridge opened in 1932.").ok());
    ASSERT_TRUE(t_.AppendClaim("c2", AdminKey(), "Fuel taxes doubled in 2015.").ok());
    ledger::v1::Event fix;
    *fix.mutable_claim_corrected()->mutable_claim() =
        ledger::testing::ClaimEvent("The bridge opened in 1933.").claim_asserted().claim();
    fix.mutable_claim_corrected()->mutable_claim()->mutable_claimant()->set_role("Mayor");
    fix.mutable_claim_corrected()->set_corrects_claim_id("c1");
    fix.mutable_claim_corrected()->set_reason("the year was misquoted");
    ASSERT_TRUE(t_.log().Append(ledger::testing::Sign("c1-fix", fix, AdminKey())).ok());
    ASSERT_TRUE(t_.log().Append(ledger::testing::Sign("r1", Review("c1", "Mostly true"), AdminKey())).ok());
    ASSERT_TRUE(t_.log().Append(ledger::testing::Sign("r2", Review("c2", "False"), AdminKey())).ok());
  }

  // The item of the review at `review_seq` of the claim version at `claim_seq`.
  Json Item(SequenceNumber review_seq, SequenceNumber claim_seq) {
    ClaimReviewSource s;
    auto review = t_.log().GetEntry(review_seq);
    auto claim = t_.log().GetEntry(claim_seq);
    EXPECT_TRUE(review.ok() && claim.ok());
    ledger::v1::Event re, ce;
    re.ParseFromString(review->event);
    ce.ParseFromString(claim->event);
    s.review = re.claim_reviewed();
    s.claim_id = s.review.claim_id();
    s.claim = ce.has_claim_asserted() ? ce.claim_asserted().claim() : ce.claim_corrected().claim();
    s.review_recorded_micros = review->recorded_time_micros;
    s.review_proof = TestBundle(t_, review_seq);
    s.claim_proof = TestBundle(t_, claim_seq);
    return ClaimReviewJson(s);
  }

  TestLog t_;
};

TEST_F(ClaimReviewTest, AnItemStatesTheVerdictAndTheReviewedVersionAndVerifies) {
  const Json item = Item(3, 2);
  EXPECT_EQ(item["@type"], "ClaimReview");
  EXPECT_EQ(item["claimReviewed"], "The bridge opened in 1933.");  // the corrected version
  EXPECT_EQ(item["reviewRating"]["alternateName"], "Mostly true");
  EXPECT_EQ(item["reviewRating"]["ratingValue"], 1);
  EXPECT_EQ(item["reviewRating"]["bestRating"], 5);
  EXPECT_EQ(item["author"]["name"], "Example Fact Desk");
  EXPECT_EQ(item["url"], "https://factcheck.example/reviews/1");
  EXPECT_EQ(item["itemReviewed"]["author"]["@type"], "Person");
  EXPECT_EQ(item["itemReviewed"]["author"]["jobTitle"], "Mayor");
  EXPECT_EQ(item["itemReviewed"]["appearance"]["url"], std::string(ledger::testing::kTestSourceUrl));
  absl::StatusOr<VerifiedClaimReview> v = VerifyClaimReview(item, TrustedLogKey());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->claim_id, "c1");
  EXPECT_EQ(v->review.bundle.sequence, 3u);
  EXPECT_EQ(v->claim.bundle.sequence, 2u);
}

TEST_F(ClaimReviewTest, EveryStatedValueThatDiffersFromTheSignedEventsFails) {
  const Json good = Item(3, 2);
  struct Edit {
    std::string what;
    std::function<void(Json*)> edit;
    std::string expected;
  };
  const std::vector<Edit> edits = {
      {"rating text", [](Json* j) { (*j)["reviewRating"]["alternateName"] = "True"; },
       "reviewRating.alternateName"},
      {"rating value", [](Json* j) { (*j)["reviewRating"]["ratingValue"] = 5; },
       "reviewRating.ratingValue"},
      {"reviewer", [](Json* j) { (*j)["author"]["name"] = "Another Desk"; }, "author.name"},
      {"statement", [](Json* j) { (*j)["claimReviewed"] = "The bridge opened in 1932."; },
       "claimReviewed"},
      {"claimant", [](Json* j) { (*j)["itemReviewed"]["author"]["name"] = "Someone"; },
       "itemReviewed.author.name"},
      {"role", [](Json* j) { (*j)["itemReviewed"]["author"]["jobTitle"] = "Governor"; },
       "itemReviewed.author.jobTitle"},
      {"source", [](Json* j) { (*j)["itemReviewed"]["appearance"]["url"] = "https://evil.example/"; },
       "itemReviewed.appearance.url"},
      {"review url", [](Json* j) { (*j)["url"] = "https://evil.example/review"; }, "url"},
      {"claim id", [](Json* j) { (*j)["factledger:proof"]["claim_id"] = "c2"; }, "claim_id"},
      {"missing proof", [](Json* j) { j->erase("factledger:proof"); }, "factledger:proof is missing"},
      {"a flipped proof byte",
       [](Json* j) {
         std::string h = (*j)["factledger:proof"]["review"]["leaf_hash"];
         h[0] = h[0] == '0' ? '1' : '0';
         (*j)["factledger:proof"]["review"]["leaf_hash"] = h;
       },
       "the review's proof"},
  };
  for (const Edit& e : edits) {
    Json bad = good;
    e.edit(&bad);
    absl::StatusOr<VerifiedClaimReview> v = VerifyClaimReview(bad, TrustedLogKey());
    ASSERT_FALSE(v.ok()) << e.what;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss) << e.what;
    EXPECT_THAT(v.status().message(), HasSubstr(e.expected)) << e.what;
  }
}

TEST_F(ClaimReviewTest, AProofOfAnotherVerdictOrVersionFails) {
  // The proofs of the review of c2 under the text of c1's review.
  Json mixed = Item(3, 2);
  mixed["factledger:proof"]["review"] = Item(4, 1)["factledger:proof"]["review"];
  auto v = VerifyClaimReview(mixed, TrustedLogKey());
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("reviews claim c2, not the proven claim c1"));
  // The original version with the text of the corrected one: the statement differs.
  Json stale = Item(3, 0);
  stale["claimReviewed"] = "The bridge opened in 1933.";
  v = VerifyClaimReview(stale, TrustedLogKey());
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("claimReviewed"));
  // A consistent item of the original version verifies, and says which version it is: that no
  // correction came between that version and the verdict is not something two entries can
  // prove (documented in claimreview.h; the claim-state map of issue 17 will).
  v = VerifyClaimReview(Item(3, 0), TrustedLogKey());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->claim.bundle.sequence, 0u);

  // Another log key.
  format::NoteVerifier other = TrustedLogKey();
  other.public_key = AdminKey().public_key();
  EXPECT_FALSE(VerifyClaimReview(Item(3, 2), other).ok());
}

TEST_F(ClaimReviewTest, EveryDocumentShapeIsRead) {
  const Json a = Item(3, 2), b = Item(4, 1);
  const std::string lines = a.dump() + "\n\n" + b.dump() + "\n";
  const std::string array = Json::array({a, b}).dump();
  const std::string graph = Json{{"@context", "https://schema.org"}, {"@graph", {a, b}}}.dump();
  const std::string feed = ClaimReviewFeed({a, b}).dump(2);
  Json wrapped = ClaimReviewFeed({a, b});
  for (Json& e : wrapped["dataFeedElement"]) e = Json{{"@type", "DataFeedItem"}, {"item", e}};
  for (const std::string& doc : {lines, array, graph, feed, wrapped.dump()}) {
    auto items = ParseClaimReviewDocument(doc);
    ASSERT_TRUE(items.ok()) << items.status() << "\n" << doc.substr(0, 200);
    ASSERT_EQ(items->size(), 2u);
    for (const Json& item : *items) {
      // A feed's items have no @context of their own; they verify all the same.
      EXPECT_TRUE(VerifyClaimReview(item, TrustedLogKey()).ok());
    }
  }
  EXPECT_TRUE(ParseClaimReviewDocument(a.dump()).ok());
}

TEST_F(ClaimReviewTest, MalformedDocumentsNameWhereTheyFail) {
  auto r = ParseClaimReviewDocument("{\"@type\": \"ClaimReview\"}\nnot json\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("line 2"));
  r = ParseClaimReviewDocument("[{\"@type\": \"ClaimReview\"}, {\"@type\": \"Review\"}]");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("document[1]"));
  r = ParseClaimReviewDocument("{\"@type\": \"DataFeed\", \"dataFeedElement\": 3}");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("dataFeedElement"));
  r = ParseClaimReviewDocument("[]");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no ClaimReview"));
}

// ---- import ----------------------------------------------------------------------------

TEST_F(ClaimReviewTest, AnExportedItemImportsAsTheSameClaimAndVerdict) {
  const Json item = Item(3, 2);
  absl::StatusOr<std::vector<ledger::v1::EventDraft>> drafts = ClaimReviewDrafts(item);
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  ASSERT_EQ(drafts->size(), 2u);
  const ledger::v1::Claim& c = (*drafts)[0].event().claim_asserted().claim();
  EXPECT_EQ(c.statement().text(), "The bridge opened in 1933.");
  EXPECT_EQ(c.claimant().role(), "Mayor");
  EXPECT_EQ(c.source().url(), ledger::testing::kTestSourceUrl);
  const ledger::v1::ClaimReviewed& r = (*drafts)[1].event().claim_reviewed();
  EXPECT_EQ(r.claim_id(), (*drafts)[0].event_id());
  EXPECT_EQ(r.rating_text(), "Mostly true");
  EXPECT_EQ(r.rating_value(), 1);
  EXPECT_EQ(r.best_rating(), 5);
  EXPECT_EQ(r.reviewer(), "Example Fact Desk");
  EXPECT_EQ(r.review_url(), "https://factcheck.example/reviews/1");
  EXPECT_THAT((*drafts)[0].event_id(), ::testing::MatchesRegex("cr-[0-9a-f]{32}"));
  // Deterministic: the same item, the same ids (a re-import appends nothing).
  auto again = ClaimReviewDrafts(item);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].event_id(), (*drafts)[0].event_id());
  EXPECT_EQ((*again)[1].event_id(), (*drafts)[1].event_id());
  // Two verdicts on one claim share its claim event.
  Json other = item;
  other["reviewRating"]["alternateName"] = "Half true";
  auto second = ClaimReviewDrafts(other);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[0].event_id(), (*drafts)[0].event_id());
  EXPECT_NE((*second)[1].event_id(), (*drafts)[1].event_id());
}

TEST_F(ClaimReviewTest, ForeignShapesMapAndBadItemsNameTheProperty) {
  const Json minimal = Json::parse(R"({"@type": "ClaimReview", "url": "https://fc.example/r",
      "author": "Checkers", "claimReviewed": "Crime fell.",
      "itemReviewed": {"author": {"name": "Jane Mayor"}, "datePublished": "2024-02-11T10:00:00Z",
                       "appearance": ["https://news.example/a", "https://news.example/b"]},
      "reviewRating": {"alternateName": "False", "ratingValue": "2", "bestRating": 5,
                       "worstRating": "1"}})");
  auto d = ClaimReviewDrafts(minimal);
  ASSERT_TRUE(d.ok()) << d.status();
  const ledger::v1::Claim& c = (*d)[0].event().claim_asserted().claim();
  EXPECT_EQ(c.claimant().name(), "Jane Mayor");
  EXPECT_EQ(c.source().url(), "https://news.example/a");
  EXPECT_EQ(c.said().precision(), ledger::v1::PartialDate::DAY);
  EXPECT_EQ(c.said().day(), 11);
  EXPECT_EQ((*d)[1].event().claim_reviewed().reviewer(), "Checkers");
  EXPECT_EQ((*d)[1].event().claim_reviewed().rating_value(), 2);

  struct Bad {
    std::function<void(Json*)> edit;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {[](Json* j) { j->erase("claimReviewed"); }, "claimReviewed"},
      {[](Json* j) { (*j)["itemReviewed"].erase("author"); }, "itemReviewed.author.name"},
      {[](Json* j) { j->erase("author"); }, "author.name"},
      {[](Json* j) { (*j)["reviewRating"].erase("alternateName"); }, "reviewRating.alternateName"},
      {[](Json* j) { (*j)["reviewRating"].erase("bestRating"); }, "reviewRating"},
      {[](Json* j) { (*j)["reviewRating"]["ratingValue"] = "high"; }, "reviewRating.ratingValue"},
      {[](Json* j) { (*j)["reviewRating"]["ratingValue"] = 9; }, "reviewRating.ratingValue"},
      {[](Json* j) { (*j)["claimReviewed"] = 42; }, "claimReviewed"},
      {[](Json* j) { (*j)["itemReviewed"]["datePublished"] = "last week"; }, "itemReviewed.datePublished"},
      {[](Json* j) { (*j)["datePublished"] = "2024-13-45"; }, "datePublished"},
      {[](Json* j) { (*j)["itemReviewed"]["appearance"] = 7; }, "itemReviewed.appearance"},
      {[](Json* j) { (*j)["itemReviewed"]["appearance"] = Json::array({7}); },
       "itemReviewed.appearance[0]"},
      {[](Json* j) { (*j)["itemReviewed"].erase("appearance"); j->erase("url"); }, "itemReviewed.appearance"},
      {[](Json* j) { (*j)["@type"] = "Review"; }, "@type"},
  };
  for (const Bad& b : bad) {
    Json j = minimal;
    b.edit(&j);
    auto r = ClaimReviewDrafts(j);
    ASSERT_FALSE(r.ok()) << b.field;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << b.field;
    EXPECT_EQ(ErrorField(r.status()), b.field) << r.status();
  }
  // No appearance: the review's url is the source, cited by the reviewer.
  Json cited = minimal;
  cited["itemReviewed"].erase("appearance");
  auto c2 = ClaimReviewDrafts(cited);
  ASSERT_TRUE(c2.ok()) << c2.status();
  EXPECT_EQ((*c2)[0].event().claim_asserted().claim().source().url(), "https://fc.example/r");
  EXPECT_EQ((*c2)[0].event().claim_asserted().claim().source().publisher(), "Checkers");
}

}  // namespace
}  // namespace ledger::cli
