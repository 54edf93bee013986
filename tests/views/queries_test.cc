// ViewQueries: claims with history and verdicts; as-of by sequence and by recorded time at
// several points of a sequence with corrections and retractions; bitemporal filters; stable
// pagination while the log grows; keys; verdict tallies; and the error codes.
#include "ledger/views/queries.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/views/view_engine.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using ::ledger::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::AssertEvent;
using testing::ClaimSpec;
using testing::CorrectEvent;
using testing::RetractEvent;
using testing::ReviewEvent;

int64_t Micros(int y, int m, int d) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()));
}

class QueriesTest : public ::testing::Test {
 protected:
  QueriesTest() : engine_(testing::NewMemoryEngine(3)), q_(&engine_->store(), &ledger_.store()) {}

  void CatchUp() { ASSERT_TRUE(engine_->CatchUp(ledger_.store()).ok()); }

  SequenceNumber Append(absl::string_view id, const ledger::v1::Event& e,
                        const crypto::Ed25519PrivateKey& key = testing::AdminKey()) {
    return ledger_.MustAppend(id, e, key);
  }

  // The claim ids of every page of `filter` (page size `size`) as of `as_of`.
  std::vector<std::string> ListAll(const ClaimFilter& filter, const AsOf& as_of = AsOf::Latest(),
                                   int size = 1000) {
    std::vector<std::string> ids;
    std::string token;
    do {
      absl::StatusOr<ClaimPage> page = q_.ListClaims(filter, token, size, as_of);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const ClaimSummary& s : page->claims) ids.push_back(s.claim_id);
      token = page->next_page_token;
    } while (!token.empty());
    return ids;
  }

  testing::TestLedger ledger_;
  std::unique_ptr<ViewEngine> engine_;
  ViewQueries q_;
};

// The lifecycle of one claim, entry by entry:
//   0 assert c1 (A, energy, said 2015-07)      4 correct c1 (back to A, energy, 2015-07)
//   1 review c1 "False"                        5 retract c1
//   2 correct c1 (B, trade, said 2015-08)      6 review c1 "True"
//   3 assert c2 (A, energy, said 2015-07)
class LifecycleTest : public QueriesTest {
 protected:
  void SetUp() override {
    ClaimSpec a;
    a.claimant = "Claimant A";
    a.text = "version 0";
    a.topics = {"energy"};
    a.said_year = 2015, a.said_month = 7;
    ClaimSpec b = a;
    b.claimant = "Claimant B";
    b.text = "version 2";
    b.topics = {"trade"};
    b.said_month = 8;
    ClaimSpec a4 = a;
    a4.text = "version 4";
    for (int i = 0; i < 7; ++i) {
      ledger_.clock().Set(Micros(2015, 9, 1 + i));  // entry i recorded on 1 + i September
      switch (i) {
        case 0: Append("c1", AssertEvent(a)); break;
        case 1: Append("c1-review1", ReviewEvent("c1", "False")); break;
        case 2: Append("c1-fix1", CorrectEvent("c1", b, "wrong speaker")); break;
        case 3: Append("c2", AssertEvent(a)); break;
        case 4: Append("c1-fix2", CorrectEvent("c1", a4, "speaker was right")); break;
        case 5: Append("c1-wd", RetractEvent("c1", "source withdrawn")); break;
        case 6: Append("c1-review2", ReviewEvent("c1", "True", "PolitiFact", 5)); break;
      }
    }
    CatchUp();
  }
};

TEST_F(LifecycleTest, StatusAndVersionAtEverySequence) {
  const ClaimStatus kStatus[] = {ClaimStatus::kActive,    ClaimStatus::kActive,
                                 ClaimStatus::kCorrected, ClaimStatus::kCorrected,
                                 ClaimStatus::kCorrected, ClaimStatus::kRetracted,
                                 ClaimStatus::kRetracted};
  const SequenceNumber kVersion[] = {0, 0, 2, 2, 4, 4, 4};
  for (SequenceNumber n = 0; n < 7; ++n) {
    absl::StatusOr<ClaimDetails> c = q_.GetClaim("c1", AsOf::Sequence(n));
    ASSERT_TRUE(c.ok()) << n << ": " << c.status();
    EXPECT_EQ(c->status, kStatus[n]) << "as of " << n;
    EXPECT_EQ(c->version_sequence, kVersion[n]) << "as of " << n;
    EXPECT_EQ(c->claim.statement().text(), absl::StrCat("version ", kVersion[n]));
    EXPECT_EQ(c->read_point.as_of_size, n + 1);
    EXPECT_EQ(c->read_point.watermark, 7u);
  }
}

TEST_F(LifecycleTest, HistoryListsEveryEventWithItsReasonUpToTheReadPoint) {
  absl::StatusOr<ClaimDetails> c = q_.GetClaim("c1");
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<SequenceNumber> seqs;
  std::vector<EventKind> kinds;
  for (const HistoryEvent& h : c->history) seqs.push_back(h.sequence), kinds.push_back(h.kind);
  EXPECT_THAT(seqs, ElementsAre(0, 1, 2, 4, 5, 6));
  EXPECT_THAT(kinds, ElementsAre(EventKind::kClaimAsserted, EventKind::kClaimReviewed,
                                 EventKind::kClaimCorrected, EventKind::kClaimCorrected,
                                 EventKind::kClaimRetracted, EventKind::kClaimReviewed));
  EXPECT_EQ(c->history[2].reason, "wrong speaker");
  EXPECT_EQ(c->history[2].event_id, "c1-fix1");
  EXPECT_EQ(c->history[4].reason, "source withdrawn");
  EXPECT_EQ(c->history[0].recorded_time_micros, Micros(2015, 9, 1));
  EXPECT_EQ(c->history[0].key_id, testing::KeyIdOf(testing::AdminKey()));
  EXPECT_EQ(c->submitter_key_id, testing::KeyIdOf(testing::AdminKey()));
  ASSERT_EQ(c->verdicts.size(), 2u);
  EXPECT_EQ(c->verdicts[0].review.rating_text(), "False");
  EXPECT_EQ(c->verdicts[1].review.rating_text(), "True");

  absl::StatusOr<ClaimDetails> early = q_.GetClaim("c1", AsOf::Sequence(2));
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->history.size(), 3u);
  EXPECT_EQ(early->verdicts.size(), 1u);
}

TEST_F(LifecycleTest, IndexMembershipFollowsTheVersions) {
  const ClaimFilter a = ClaimFilter::Claimant("claimant a");  // names are case-insensitive
  const ClaimFilter b = ClaimFilter::Claimant("Claimant B");
  const ClaimFilter energy = ClaimFilter::Topic("ENERGY");
  const ClaimFilter trade = ClaimFilter::Topic("trade");
  using V = std::vector<std::string>;
  EXPECT_EQ(ListAll(a, AsOf::Sequence(1)), V({"c1"}));
  EXPECT_EQ(ListAll(b, AsOf::Sequence(1)), V());
  EXPECT_EQ(ListAll(a, AsOf::Sequence(2)), V());
  EXPECT_EQ(ListAll(b, AsOf::Sequence(2)), V({"c1"}));
  EXPECT_EQ(ListAll(trade, AsOf::Sequence(3)), V({"c1"}));
  EXPECT_EQ(ListAll(energy, AsOf::Sequence(3)), V({"c2"}));
  EXPECT_EQ(ListAll(a, AsOf::Sequence(4)), V({"c1", "c2"}));
  EXPECT_EQ(ListAll(b, AsOf::Sequence(4)), V());
  // A retracted claim stays listed, with its status.
  absl::StatusOr<ClaimPage> latest = q_.ListClaims(a, "", 10);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->claims.size(), 2u);
  EXPECT_EQ(latest->claims[0].claim_id, "c1");
  EXPECT_EQ(latest->claims[0].status, ClaimStatus::kRetracted);
  EXPECT_EQ(latest->claims[0].claim.statement().text(), "version 4");
  EXPECT_EQ(latest->claims[1].status, ClaimStatus::kActive);
}

TEST_F(LifecycleTest, StatusIndexAsOf) {
  using V = std::vector<std::string>;
  const ClaimFilter active = ClaimFilter::Status(ClaimStatus::kActive);
  const ClaimFilter corrected = ClaimFilter::Status(ClaimStatus::kCorrected);
  const ClaimFilter retracted = ClaimFilter::Status(ClaimStatus::kRetracted);
  EXPECT_EQ(ListAll(active, AsOf::Sequence(1)), V({"c1"}));
  EXPECT_EQ(ListAll(corrected, AsOf::Sequence(1)), V());
  EXPECT_EQ(ListAll(active, AsOf::Sequence(3)), V({"c2"}));
  EXPECT_EQ(ListAll(corrected, AsOf::Sequence(3)), V({"c1"}));
  EXPECT_EQ(ListAll(corrected, AsOf::Sequence(5)), V());
  EXPECT_EQ(ListAll(retracted, AsOf::Sequence(4)), V());
  EXPECT_EQ(ListAll(retracted, AsOf::Sequence(5)), V({"c1"}));
  EXPECT_EQ(ListAll(retracted), V({"c1"}));
}

TEST_F(LifecycleTest, AsOfRecordedTimeIsTheLastEntryRecordedByThen) {
  // Entry i was recorded at 00:00 on 1 + i September.
  absl::StatusOr<ClaimDetails> c =
      q_.GetClaim("c1", AsOf::RecordedTime(Micros(2015, 9, 3) + 3600LL * 1000000));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->read_point.as_of_size, 3u);
  EXPECT_EQ(c->status, ClaimStatus::kCorrected);
  EXPECT_EQ(c->claim.claimant().name(), "Claimant B");
  // Exactly at an entry's recorded time includes it.
  absl::StatusOr<ReadPoint> p = q_.Resolve(AsOf::RecordedTime(Micros(2015, 9, 6)), {"claims"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->as_of_size, 6u);
  // Before the first entry: nothing yet.
  EXPECT_THAT(q_.GetClaim("c1", AsOf::RecordedTime(Micros(2015, 8, 31))),
              StatusIs(absl::StatusCode::kNotFound));
  p = q_.Resolve(AsOf::RecordedTime(Micros(2030, 1, 1)), {"claims"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->as_of_size, 7u);
}

TEST_F(LifecycleTest, AClaimDoesNotExistBeforeItsAssert) {
  EXPECT_THAT(q_.GetClaim("c2", AsOf::Sequence(2)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(q_.GetClaim("c2", AsOf::Sequence(3)).ok());
}

TEST_F(LifecycleTest, ACorrectionIdIsNotAClaimIdAndTheErrorSaysWhose) {
  absl::StatusOr<ClaimDetails> c = q_.GetClaim("c1-fix1");
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("correction of claim \"c1\""));
}

TEST_F(LifecycleTest, VerdictsCountForTheClaimantCurrentWhenReviewed) {
  absl::StatusOr<VerdictTallyResult> a = q_.VerdictTally("Claimant A");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->counts.size(), 2u);  // "False" at entry 1 and "True" at entry 6: both for A
  EXPECT_EQ(a->total, 2u);
  EXPECT_EQ(a->counts[0].reviewer, "PolitiFact");
  EXPECT_EQ(a->counts[0].rating_text, "False");
  EXPECT_EQ(a->counts[1].rating_text, "True");
  EXPECT_EQ(a->watermark, 7u);
  absl::StatusOr<VerdictTallyResult> b = q_.VerdictTally("Claimant B");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->total, 0u);
}

TEST_F(QueriesTest, RepeatedReviewsBySameReviewerAllCount) {
  ClaimSpec s;
  Append("x", AssertEvent(s));
  Append("x-r1", ReviewEvent("x", "False"));
  Append("x-r2", ReviewEvent("x", "False"));
  Append("x-r3", ReviewEvent("x", "Mostly false", "Desk B"));
  CatchUp();
  absl::StatusOr<VerdictTallyResult> t = q_.VerdictTally("ada example");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->counts.size(), 2u);
  EXPECT_EQ(t->counts[0].reviewer, "Desk B");
  EXPECT_EQ(t->counts[1].reviewer, "PolitiFact");
  EXPECT_EQ(t->counts[1].count, 2u);
  EXPECT_EQ(t->total, 3u);
}

// The seed article's claims: what had the ledger recorded by 1 Sept 2015 about statements
// Sergei Ryabkov made in July 2015?
TEST_F(QueriesTest, BitemporalStatementsSaidInJulyAsRecordedByFirstSeptember) {
  auto ryabkov = [](absl::string_view text, int month, int day) {
    ClaimSpec s;
    s.claimant = "Sergei Ryabkov";
    s.role = "Deputy Foreign Minister";
    s.text = std::string(text);
    s.said_year = 2015, s.said_month = month, s.said_day = day;
    s.topics = {"defence"};
    s.entities = {"India", "Pakistan"};
    s.publisher = "Example News";
    s.url = "https://example.org/seed/pakistan-russia-relationship-improving";
    return s;
  };
  ledger_.clock().Set(Micros(2015, 8, 1));
  Append("r-july-early", AssertEvent(ryabkov("India ties unaffected", 7, 10)));
  ledger_.clock().Set(Micros(2015, 8, 15));
  Append("r-august", AssertEvent(ryabkov("Cooperation with Pakistan will grow", 8, 3)));
  ClaimSpec novak;
  novak.claimant = "Alexander Novak";
  novak.text = "The North-South pipeline agreement is ready for signing.";
  novak.said_year = 2015, novak.said_month = 7, novak.said_day = 20;
  Append("novak-july", AssertEvent(novak));
  ledger_.clock().Set(Micros(2015, 9, 10));  // recorded after 1 Sept
  Append("r-july-late", AssertEvent(ryabkov("Military cooperation is not aimed at India", 7, 28)));
  ClaimSpec year_only = ryabkov("Said some time in 2015", 0, 0);
  Append("r-2015", AssertEvent(year_only));
  CatchUp();

  const ClaimFilter july =
      ClaimFilter::Claimant("Sergei Ryabkov").SaidBetween(SaidDate{2015, 7}, SaidDate{2015, 7});
  const AsOf by_sept_1 = AsOf::RecordedTime(Micros(2015, 9, 1));
  using V = std::vector<std::string>;
  EXPECT_EQ(ListAll(july, by_sept_1), V({"r-july-early"}));
  EXPECT_EQ(ListAll(july), V({"r-july-early", "r-july-late"}));  // in statement-time order
  const ClaimFilter august =
      ClaimFilter::Claimant("Sergei Ryabkov").SaidBetween(SaidDate{2015, 8}, SaidDate{2015, 8});
  EXPECT_EQ(ListAll(august, by_sept_1), V({"r-august"}));
  // Day precision bounds; a year-only date is not "in July" nor "until June"; "until 2015" holds
  // it (SaidRangeContainsEveryPrecision below tests the rule in full).
  const ClaimFilter mid_july = ClaimFilter::Claimant("Sergei Ryabkov")
                                   .SaidBetween(SaidDate{2015, 7, 11}, SaidDate{2015, 7, 28});
  EXPECT_EQ(ListAll(mid_july), V({"r-july-late"}));
  const ClaimFilter until_june =
      ClaimFilter::Claimant("Sergei Ryabkov").SaidBetween(std::nullopt, SaidDate{2015, 6});
  EXPECT_EQ(ListAll(until_june), V({}));
  const ClaimFilter until_2015 =
      ClaimFilter::Claimant("Sergei Ryabkov").SaidBetween(std::nullopt, SaidDate{2015});
  EXPECT_EQ(ListAll(until_2015), V({"r-2015", "r-july-early", "r-july-late", "r-august"}));
  // The timeline of everyone said in July, as of 1 Sept.
  absl::StatusOr<ClaimPage> t =
      q_.Timeline("", "", SaidRange{SaidDate{2015, 7}, SaidDate{2015, 7}}, "", 10, by_sept_1);
  ASSERT_TRUE(t.ok()) << t.status();
  V ids;
  for (const ClaimSummary& s : t->claims) ids.push_back(s.claim_id);
  EXPECT_EQ(ids, V({"r-july-early", "novak-july"}));
  // The other indexes.
  EXPECT_EQ(ListAll(ClaimFilter::Entity("india"), by_sept_1), V({"r-july-early", "r-august"}));
  EXPECT_EQ(ListAll(ClaimFilter::Publisher("EXAMPLE NEWS"), by_sept_1),
            V({"r-july-early", "r-august"}));
  EXPECT_EQ(ListAll(ClaimFilter::SourceUrl(
                        "https://example.org/seed/pakistan-russia-relationship-improving"),
                    by_sept_1),
            V({"r-july-early", "r-august"}));
  EXPECT_EQ(ListAll(ClaimFilter::SourceUrl("https://EXAMPLE.org/seed/pakistan-russia-"
                                           "relationship-improving")),
            V());  // URLs are exact
  absl::StatusOr<ClaimPage> page = q_.ListClaims(july, "", 10, by_sept_1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->claims[0].claim.claimant().role(), "Deputy Foreign Minister");
  EXPECT_EQ(page->read_point.as_of_size, 3u);  // the three entries recorded in August
}

TEST_F(QueriesTest, PagesStayStableWhileTheLogGrowsBetweenThem) {
  auto spec = [](int i, absl::string_view who) {
    ClaimSpec s;
    s.claimant = std::string(who);
    s.text = absl::StrCat("statement ", i);
    s.said_year = 2015, s.said_month = 1 + i % 12, s.said_day = 1 + i % 28;
    return s;
  };
  for (int i = 0; i < 25; ++i) Append(absl::StrCat("a", i), AssertEvent(spec(i, "A")));
  CatchUp();
  const ClaimFilter a = ClaimFilter::Claimant("A");
  const std::vector<std::string> expected = ListAll(a, AsOf::Latest(), 1000);
  ASSERT_EQ(expected.size(), 25u);

  std::vector<std::string> paged;
  absl::StatusOr<ClaimPage> page = q_.ListClaims(a, "", 10);
  ASSERT_TRUE(page.ok());
  const ReadPoint first_point = page->read_point;
  std::string token = page->next_page_token;
  for (const ClaimSummary& s : page->claims) paged.push_back(s.claim_id);
  int round = 0;
  while (!token.empty()) {
    // Between pages: new claims by A that sort before and after the cursor, a claim of the
    // next page moved to another claimant, and a retraction.
    for (int i = 0; i < 5; ++i) {
      Append(absl::StrCat("new", round, "-", i), AssertEvent(spec(i * 5 + round, "A")));
    }
    Append(absl::StrCat("fix", round), CorrectEvent(expected[10 + round], spec(99, "Z")));
    Append(absl::StrCat("wd", round), RetractEvent(expected[20 + round]));
    CatchUp();
    page = q_.ListClaims(a, token, 10);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->read_point.as_of_size, first_point.as_of_size);
    EXPECT_GT(page->read_point.watermark, first_point.watermark);
    for (const ClaimSummary& s : page->claims) {
      paged.push_back(s.claim_id);
      EXPECT_NE(s.status, ClaimStatus::kRetracted);  // as of the first page
    }
    token = page->next_page_token;
    ++round;
  }
  EXPECT_EQ(paged, expected);
  EXPECT_EQ(round, 2);
  // A fresh listing sees the new state.
  EXPECT_EQ(ListAll(a).size(), 25u + 2 * 5 - 2);
}

TEST_F(QueriesTest, PageSizeBeyondTheLimitIsInvalidArgument) {
  EXPECT_THAT(q_.ListClaims(ClaimFilter::All(), "", 1001),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q_.ListClaims(ClaimFilter::All(), "", -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(q_.ListClaims(ClaimFilter::All(), "", 1000).ok());
}

TEST_F(QueriesTest, APageTokenOfAnotherQueryIsInvalidArgument) {
  for (int i = 0; i < 3; ++i) Append(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
  CatchUp();
  absl::StatusOr<ClaimPage> page = q_.ListClaims(ClaimFilter::Claimant("Ada Example"), "", 1);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token.empty());
  EXPECT_THAT(q_.ListClaims(ClaimFilter::Claimant("Bob"), page->next_page_token, 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q_.ListClaims(ClaimFilter::Claimant("Ada Example"), "garbage", 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(q_.ListClaims(ClaimFilter::Claimant("Ada Example"), page->next_page_token, 1).ok());
}

// Every precision of a said date against every shape of range: a claim is in a range when every
// day its date may stand for is in it (queries.h, SaidRange). The same rule in ListClaims by
// every index and in Timeline.
TEST_F(QueriesTest, SaidRangeContainsEveryPrecision) {
  struct Dated {
    const char* id;
    int y, m, d;
  };
  const Dated kClaims[] = {{"undated", 0, 0, 0},    {"y2015", 2015, 0, 0},
                           {"m2015-07", 2015, 7, 0}, {"d2015-07-15", 2015, 7, 15},
                           {"d2015-12-31", 2015, 12, 31}, {"m2016-02", 2016, 2, 0},
                           {"y2014", 2014, 0, 0}};
  for (const Dated& c : kClaims) {
    ClaimSpec s;
    s.claimant = "Ada Example";
    s.topics = {"energy"};
    s.said_year = c.y, s.said_month = c.m, s.said_day = c.d;
    Append(c.id, AssertEvent(s));
  }
  CatchUp();
  using V = std::vector<std::string>;
  using D = std::optional<SaidDate>;
  struct Case {
    D from, to;
    V want;  // in statement-time order
  };
  const std::vector<Case> kCases = {
      {SaidDate{2015, 7, 1}, SaidDate{2015, 7, 31}, V({"m2015-07", "d2015-07-15"})},
      {SaidDate{2015, 7}, SaidDate{2015, 7}, V({"m2015-07", "d2015-07-15"})},
      {SaidDate{2015, 7}, SaidDate{2015, 7, 31}, V({"m2015-07", "d2015-07-15"})},
      {SaidDate{2015, 7, 1}, SaidDate{2015, 7, 15}, V({"d2015-07-15"})},
      {SaidDate{2015, 7, 16}, SaidDate{2015, 7, 31}, V({})},
      {SaidDate{2015, 1, 1}, SaidDate{2015, 12, 31},
       V({"y2015", "m2015-07", "d2015-07-15", "d2015-12-31"})},
      {SaidDate{2015}, SaidDate{2015}, V({"y2015", "m2015-07", "d2015-07-15", "d2015-12-31"})},
      {SaidDate{2015}, std::nullopt,
       V({"y2015", "m2015-07", "d2015-07-15", "d2015-12-31", "m2016-02"})},
      {std::nullopt, SaidDate{2015, 6}, V({"y2014"})},
      {std::nullopt, SaidDate{2015, 12, 31},
       V({"y2014", "y2015", "m2015-07", "d2015-07-15", "d2015-12-31"})},
      {SaidDate{2016, 2, 1}, SaidDate{2016, 2, 29}, V({"m2016-02"})},  // a leap year's February
      {SaidDate{2016, 2, 1}, SaidDate{2016, 2, 28}, V({})},
      {std::nullopt, std::nullopt,
       V({"undated", "y2014", "y2015", "m2015-07", "d2015-07-15", "d2015-12-31", "m2016-02"})},
  };
  auto text = [](const D& d) {
    return d.has_value() ? absl::StrCat(d->year, "-", d->month, "-", d->day) : std::string("*");
  };
  for (const Case& c : kCases) {
    const std::string what = absl::StrCat(text(c.from), " .. ", text(c.to));
    EXPECT_EQ(ListAll(ClaimFilter::All().SaidBetween(c.from, c.to)), c.want) << what;
    EXPECT_EQ(ListAll(ClaimFilter::Claimant("Ada Example").SaidBetween(c.from, c.to)), c.want)
        << what;
    EXPECT_EQ(ListAll(ClaimFilter::Topic("ENERGY").SaidBetween(c.from, c.to)), c.want) << what;
    absl::StatusOr<ClaimPage> t = q_.Timeline("Ada Example", "", SaidRange{c.from, c.to}, "", 100);
    ASSERT_TRUE(t.ok()) << t.status();
    V ids;
    for (const ClaimSummary& s : t->claims) ids.push_back(s.claim_id);
    EXPECT_EQ(ids, c.want) << what;
  }
}

// A claimant or entity with a stable id is found by its id, by its name, or by both (then both
// must match); it is never silently "all" or "none".
TEST_F(QueriesTest, NamesAndStableIdsBothFindAClaim) {
  ledger::v1::Event e = AssertEvent(ClaimSpec());
  ledger::v1::Claim* claim = e.mutable_claim_asserted()->mutable_claim();
  claim->mutable_claimant()->set_name("Khawaja Asif");
  claim->mutable_claimant()->set_stable_id("Q6402157");
  ledger::v1::Entity* pakistan = claim->add_entities();
  pakistan->set_name("Pakistan");
  pakistan->set_stable_id("Q843");
  claim->add_entities()->set_name("Russia");
  Append("asif", e);
  Append("other", AssertEvent(ClaimSpec()));
  Append("asif-review", ReviewEvent("asif", "Mostly true"));
  CatchUp();
  using V = std::vector<std::string>;
  EXPECT_EQ(ListAll(ClaimFilter::Entity("Pakistan")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Entity("PAKISTAN")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Entity("", "Q843")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Entity("Pakistan", "Q843")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Entity("India", "Q843")), V({}));
  EXPECT_EQ(ListAll(ClaimFilter::Entity("Russia", "Q843")), V({}));  // another entity's name
  EXPECT_EQ(ListAll(ClaimFilter::Entity("Russia")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Claimant("khawaja asif")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Claimant("", "Q6402157")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Claimant("Khawaja Asif", "Q6402157")), V({"asif"}));
  EXPECT_EQ(ListAll(ClaimFilter::Claimant("Nawaz Sharif", "Q6402157")), V({}));
  for (const VerdictTallyResult& t :
       {*q_.VerdictTally("Khawaja Asif"), *q_.VerdictTally("", "Q6402157")}) {
    ASSERT_EQ(t.counts.size(), 1u);
    EXPECT_EQ(t.counts[0].rating_text, "Mostly true");
    EXPECT_EQ(t.total, 1u);
  }
}

TEST_F(QueriesTest, ABadSaidRangeIsInvalidArgument) {
  EXPECT_THAT(q_.ListClaims(ClaimFilter::All().SaidBetween(SaidDate{2015, 13}, std::nullopt), "",
                            10),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(q_.ListClaims(ClaimFilter::All().SaidBetween(SaidDate{2015, 8}, SaidDate{2015, 7}),
                            "", 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(QueriesTest, AsOfPastTheLogIsOutOfRangeAndPastTheViewsIsUnavailable) {
  Append("c0", AssertEvent(ClaimSpec()));
  CatchUp();
  Append("c1", AssertEvent(ClaimSpec()));  // not caught up
  EXPECT_THAT(q_.GetClaim("c0", AsOf::Sequence(2)), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(q_.GetClaim("c0", AsOf::Sequence(1)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(q_.GetClaim("c0", AsOf::Sequence(0)).ok());
}

TEST_F(QueriesTest, KeysAsOfRegistrationAndRevocation) {
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(0x31);
  const std::string desk_id = testing::KeyIdOf(desk);
  Append("c0", AssertEvent(ClaimSpec()));                        // 0, by the genesis admin
  Append("reg", testing::RegisterEvent(desk.public_key()));      // 1
  for (int i = 0; i < 5; ++i) {
    Append(absl::StrCat("d", i), AssertEvent(ClaimSpec()), desk);  // 2..6
  }
  Append("rev", testing::RevokeEvent(desk.public_key(), "laptop lost"));  // 7
  CatchUp();

  EXPECT_THAT(q_.KeyInfo(desk_id, AsOf::Sequence(0)), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<KeyDetails> k = q_.KeyInfo(desk_id, AsOf::Sequence(6));
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->registered_by_event);
  EXPECT_EQ(k->registered_sequence, 1u);
  EXPECT_EQ(k->holder, "Desk A, Example News");
  EXPECT_EQ(k->role, ledger::v1::KeyRegistered::SUBMITTER);
  EXPECT_EQ(k->public_key, std::string(crypto::AsStringView(desk.public_key())));
  EXPECT_FALSE(k->revoked);
  k = q_.KeyInfo(desk_id);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->revoked);
  EXPECT_EQ(k->revoked_sequence, 7u);
  EXPECT_EQ(k->revoke_reason, "laptop lost");

  // What the key signed, in pages of 2, as of entry 4.
  std::vector<SequenceNumber> signed_seqs;
  std::string token;
  do {
    absl::StatusOr<SignedEventPage> p = q_.ListSignedEvents(desk_id, token, 2, AsOf::Sequence(4));
    ASSERT_TRUE(p.ok()) << p.status();
    for (const SignedEventRef& e : p->events) signed_seqs.push_back(e.sequence);
    token = p->next_page_token;
  } while (!token.empty());
  EXPECT_THAT(signed_seqs, ElementsAre(2, 3, 4));

  // The genesis admin: not registered by an event, known by what it signed.
  absl::StatusOr<KeyDetails> admin = q_.KeyInfo(testing::KeyIdOf(testing::AdminKey()));
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_FALSE(admin->registered_by_event);
  EXPECT_EQ(admin->role, ledger::v1::KeyRegistered::ADMIN);
  absl::StatusOr<SignedEventPage> admin_signed =
      q_.ListSignedEvents(testing::KeyIdOf(testing::AdminKey()), "", 100);
  ASSERT_TRUE(admin_signed.ok());
  ASSERT_EQ(admin_signed->events.size(), 3u);
  EXPECT_EQ(admin_signed->events[1].kind, EventKind::kKeyRegistered);
  EXPECT_EQ(admin_signed->events[1].event_id, "reg");

  absl::StatusOr<std::vector<KeyDetails>> keys = q_.ListKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key_id, desk_id);
  keys = q_.ListKeys(AsOf::Sequence(0));
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, IsEmpty());
  EXPECT_THAT(q_.KeyInfo("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

// A key revoked as compromised since sequence S: what it signed in [S, revocation) is flagged in
// GetClaim (history, verdicts, the claim's standing), ListClaims and the tally; what it signed
// before S, and every answer as of a point before the revocation, is not.
TEST_F(QueriesTest, ARevocationAsCompromisedFlagsWhatTheKeySignedInItsWindow) {
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(0x31);
  const std::string desk_id = testing::KeyIdOf(desk);
  ClaimSpec ada;
  ada.claimant = "Ada Example";
  Append("reg", testing::RegisterEvent(desk.public_key()));              // 0
  Append("before", AssertEvent(ada), desk);                               // 1: before the window
  Append("admin-claim", AssertEvent(ada));                                // 2: another signer
  Append("inside", AssertEvent(ada), desk);                               // 3: in the window
  Append("review-in", ReviewEvent("admin-claim", "False"), desk);          // 4: in the window
  Append("review-admin", ReviewEvent("admin-claim", "False"));             // 5: another signer
  Append("fix-before", CorrectEvent("before", ada, "typo"), desk);          // 6: in the window
  ledger::v1::Event revoke = testing::RevokeEvent(desk.public_key(), "key leaked");
  revoke.mutable_key_revoked()->mutable_compromise()->set_since_sequence(3);
  Append("rev", revoke);                                                   // 7
  CatchUp();

  absl::StatusOr<ClaimDetails> inside = q_.GetClaim("inside");
  ASSERT_TRUE(inside.ok()) << inside.status();
  EXPECT_TRUE(inside->signer_compromised);
  EXPECT_TRUE(inside->history[0].signer_compromised);
  // A claim asserted before the window, then corrected inside it: the correction is flagged.
  absl::StatusOr<ClaimDetails> before = q_.GetClaim("before");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->history.size(), 2u);
  EXPECT_FALSE(before->history[0].signer_compromised);
  EXPECT_TRUE(before->history[1].signer_compromised);
  EXPECT_TRUE(before->signer_compromised);
  // The admin's claim stands; one of its two verdicts is flagged.
  absl::StatusOr<ClaimDetails> admin = q_.GetClaim("admin-claim");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_FALSE(admin->signer_compromised);
  ASSERT_EQ(admin->verdicts.size(), 2u);
  EXPECT_TRUE(admin->verdicts[0].signer_compromised);
  EXPECT_FALSE(admin->verdicts[1].signer_compromised);
  // As of a point before the revocation nothing is flagged yet.
  absl::StatusOr<ClaimDetails> earlier = q_.GetClaim("inside", AsOf::Sequence(6));
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_FALSE(earlier->signer_compromised);
  EXPECT_FALSE(earlier->history[0].signer_compromised);

  absl::StatusOr<ClaimPage> page = q_.ListClaims(ClaimFilter::Claimant("Ada Example"), "", 100);
  ASSERT_TRUE(page.ok()) << page.status();
  std::map<std::string, bool> flagged;
  for (const ClaimSummary& c : page->claims) flagged[c.claim_id] = c.signer_compromised;
  EXPECT_EQ(flagged, (std::map<std::string, bool>{
                         {"before", true}, {"admin-claim", false}, {"inside", true}}));

  absl::StatusOr<VerdictTallyResult> tally = q_.VerdictTally("Ada Example");
  ASSERT_TRUE(tally.ok()) << tally.status();
  ASSERT_EQ(tally->counts.size(), 1u);
  EXPECT_EQ(tally->counts[0].count, 2u);
  EXPECT_EQ(tally->counts[0].compromised, 1u);
  EXPECT_EQ(tally->compromised, 1u);

  absl::StatusOr<KeyDetails> key = q_.KeyInfo(desk_id);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->compromised_since, std::optional<SequenceNumber>(3));
}

// A review is tallied under the claimant of the version current when it was made; a later
// correction that names another claimant does not move it, and neither does its compromise flag.
TEST_F(QueriesTest, ACompromisedReviewIsFlaggedUnderTheClaimantItWasTalliedUnder) {
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(0x32);
  ClaimSpec ada;
  ada.claimant = "Ada Example";
  ClaimSpec bea;
  bea.claimant = "Bea Example";
  Append("reg", testing::RegisterEvent(desk.public_key()));               // 0
  Append("claim", AssertEvent(ada));                                        // 1
  Append("review-in", ReviewEvent("claim", "False"), desk);                 // 2: in the window
  Append("fix", CorrectEvent("claim", bea, "wrong speaker"));               // 3: now Bea's
  ledger::v1::Event revoke = testing::RevokeEvent(desk.public_key(), "key leaked");
  revoke.mutable_key_revoked()->mutable_compromise()->set_since_sequence(2);
  Append("rev", revoke);                                                    // 4
  CatchUp();

  absl::StatusOr<VerdictTallyResult> ada_tally = q_.VerdictTally("Ada Example");
  ASSERT_TRUE(ada_tally.ok()) << ada_tally.status();
  ASSERT_EQ(ada_tally->counts.size(), 1u);
  EXPECT_EQ(ada_tally->counts[0].count, 1u);
  EXPECT_EQ(ada_tally->counts[0].compromised, 1u);
  EXPECT_EQ(ada_tally->compromised, 1u);

  absl::StatusOr<VerdictTallyResult> bea_tally = q_.VerdictTally("Bea Example");
  ASSERT_TRUE(bea_tally.ok()) << bea_tally.status();
  EXPECT_THAT(bea_tally->counts, IsEmpty());
  EXPECT_EQ(bea_tally->compromised, 0u);
}

}  // namespace
}  // namespace ledger::views
