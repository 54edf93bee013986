// Claim matching: the terms (match_text.h) and the index over the match view (match_index.h),
// fed by a real ViewEngine from a real Log.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/match_index.h"
#include "ledger/views/match_text.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_schema.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using ::testing::ElementsAre;

TEST(MatchTextTest, NumberFormatsAreOneTerm) {
  for (const char* text : {"$1.7 billion", "1.7bn", "1,700 million", "1700000000", "1.7 BILLION"}) {
    EXPECT_THAT(MatchTerms(text), ElementsAre("#1.7e9")) << text;
  }
  EXPECT_THAT(MatchTerms("45 percent"), ElementsAre("#45", "percent"));
  EXPECT_THAT(MatchTerms("45%"), ElementsAre("#45", "percent"));
  EXPECT_THAT(MatchTerms("in 2015"), ElementsAre("#2015"));
  EXPECT_THAT(MatchTerms("500 thousand"), ElementsAre("#500000"));
  EXPECT_THAT(MatchTerms("0.5 million"), ElementsAre("#500000"));
  // A lone letter after a number is not a scale ("5 m" may be metres).
  EXPECT_THAT(MatchTerms("5 m"), ElementsAre("#5"));
}

TEST(MatchTextTest, FramesStopWordsCaseAndOrderDoNotMatter) {
  const auto base = MatchTerms("The pipeline agreement is ready to be signed.");
  EXPECT_THAT(base, ElementsAre("agreement", "pipelin", "ready", "sign"));
  EXPECT_EQ(MatchTerms("Says that the PIPELINE agreement is ready to be signed"), base);
  EXPECT_EQ(MatchTerms("signed, the pipeline agreement -- ready!"), base);
  EXPECT_EQ(MatchTerms("He said: “The pipeline agreement is ready to be signed”"), base);
  EXPECT_EQ(MatchTerms("according to officials, the pipeline agreement is ready to be signed"),
            MatchTerms("officials: pipeline agreement ready to be signed"));
}

TEST(MatchTextTest, StemmerFoldsPluralsAndForms) {
  EXPECT_EQ(StemWord("exports"), StemWord("export"));
  EXPECT_EQ(StemWord("taxes"), "tax");
  EXPECT_EQ(StemWord("policies"), "policy");
  EXPECT_EQ(StemWord("raised"), StemWord("raising"));
  EXPECT_EQ(StemWord("raise"), StemWord("raised"));
  EXPECT_EQ(StemWord("bus"), "bus");
  EXPECT_EQ(StemWord("énergie"), "énergie");  // non-ASCII words are left whole
}

TEST(MatchTextTest, AnyBytesAreAccepted) {
  EXPECT_TRUE(MatchTerms("").empty());
  EXPECT_TRUE(MatchTerms(std::string("\xff\xfe\x00\x01", 4)).size() <= 1);
  EXPECT_THAT(NameTerms("Alexander NOVAK"), ElementsAre("alexander", "novak"));
}

class MatchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = ViewEngine::Open(std::make_unique<MemoryViewStore>(), DefaultProjections());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    auto index = AttachMatchIndex(engine_.get());
    ASSERT_TRUE(index.ok()) << index.status();
    index_ = *std::move(index);
  }
  void TearDown() override { engine_.reset(); }

  void Assert(const std::string& id, const std::string& claimant, const std::string& text,
              std::vector<std::string> topics = {}, int year = 2015) {
    testing::ClaimSpec spec;
    spec.claimant = claimant;
    spec.text = text;
    spec.topics = std::move(topics);
    spec.said_year = year;
    ledger_.MustAppend(id, testing::AssertEvent(spec));
  }
  void CatchUp() { ASSERT_TRUE(engine_->CatchUp(ledger_.store()).ok()); }
  MatchResult Match(const std::string& text, double min_score = MatchIndex::kDefaultMinScore) {
    MatchQuery q;
    q.text = text;
    q.min_score = min_score;
    return index_->Match(q);
  }

  testing::TestLedger ledger_;
  std::unique_ptr<ViewEngine> engine_;
  std::unique_ptr<MatchIndex> index_;
};

TEST_F(MatchIndexTest, FindsTheSeedClaimFromARewordedStatement) {
  Assert("seed-novak-pipeline", "Alexander Novak",
         "The North-South pipeline agreement is ready to be signed.", {"energy"});
  Assert("seed-cost", "Seed article", "The pipeline will cost $2 billion.", {"energy"});
  Assert("other", "Sergei Ryabkov", "The relationship between Russia and India will not be "
                                    "affected.", {"diplomacy"});
  CatchUp();
  EXPECT_EQ(index_->size(), 3u);
  MatchResult r = Match("Novak said the pipeline is ready to be signed");
  ASSERT_FALSE(r.hits.empty());
  EXPECT_EQ(r.hits[0].claim_id, "seed-novak-pipeline");
  EXPECT_THAT(r.hits[0].matched_terms, ElementsAre("novak", "pipelin", "ready", "sign"));
  EXPECT_GE(r.hits[0].score, MatchIndex::kDefaultMinScore);
  // Numbers in another format.
  r = Match("pipeline to cost 2bn");
  ASSERT_FALSE(r.hits.empty());
  EXPECT_EQ(r.hits[0].claim_id, "seed-cost");
  // Nothing similar: no match is an answer.
  EXPECT_TRUE(Match("Unemployment fell to 4 percent in Ohio").hits.empty());
}

TEST_F(MatchIndexTest, TyposAreCorrectedToKnownWords) {
  Assert("c1", "Ada Example", "The pipeline agreement is ready to be signed.");
  CatchUp();
  MatchResult r = Match("the pipleine agreement is redy");
  ASSERT_FALSE(r.hits.empty());
  EXPECT_EQ(r.hits[0].claim_id, "c1");
  EXPECT_THAT(r.corrections, ElementsAre(std::make_pair(std::string("piplein"),
                                                        std::string("pipelin")),
                                         std::make_pair(std::string("redy"),
                                                        std::string("ready"))));
}

TEST_F(MatchIndexTest, FiltersApplyBeforeRankingAndUnknownFiltersMatchNothing) {
  Assert("a", "Ada Example", "Taxes on fuel doubled last year.", {"economy"}, 2014);
  Assert("b", "Bo Sample", "Taxes on fuel doubled last year.", {"energy"}, 2016);
  CatchUp();
  MatchQuery q;
  q.text = "fuel taxes doubled";
  q.claimant_terms = {schema::ClaimantTerm("", "Bo Sample")};
  MatchResult r = index_->Match(q);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].claim_id, "b");
  q.claimant_terms.clear();
  q.topic_term = schema::TopicTerm("ECONOMY");
  r = index_->Match(q);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].claim_id, "a");
  q.topic_term.clear();
  SaidRange range;
  range.from = SaidDate{2015, 0, 0};
  q.said = *SaidBounds::Of(range);
  r = index_->Match(q);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].claim_id, "b");
  q.topic_term = schema::TopicTerm("no such topic");
  EXPECT_TRUE(index_->Match(q).hits.empty());
}

TEST_F(MatchIndexTest, ACorrectionReplacesTheTermsAndARebuildGivesTheSameAnswers) {
  Assert("c1", "Ada Example", "The bridge opened in 1932.");
  CatchUp();
  EXPECT_EQ(Match("bridge opened 1932").hits.size(), 1u);
  testing::ClaimSpec fixed;
  fixed.text = "The tunnel opened in 1934.";
  ledger_.MustAppend("c1-fix", testing::CorrectEvent("c1", fixed));
  CatchUp();
  EXPECT_TRUE(Match("bridge opened 1932").hits.empty());
  MatchResult live = Match("tunnel opened 1934");
  ASSERT_EQ(live.hits.size(), 1u);
  EXPECT_EQ(live.hits[0].claim_id, "c1");
  EXPECT_EQ(index_->size(), 1u);

  // A rebuild clears the index (listener) and replays into it: the same answer.
  ASSERT_TRUE(engine_->Rebuild(ledger_.store()).ok());
  MatchResult rebuilt = Match("tunnel opened 1934");
  ASSERT_EQ(rebuilt.hits.size(), 1u);
  EXPECT_EQ(rebuilt.hits[0].score, live.hits[0].score);
  EXPECT_TRUE(Match("bridge opened 1932").hits.empty());
  // And an index loaded from the store alone agrees.
  MatchIndex loaded;
  ASSERT_TRUE(loaded.Load(engine_->store()).ok());
  MatchQuery q;
  q.text = "tunnel opened 1934";
  q.min_score = MatchIndex::kDefaultMinScore;
  MatchResult from_store = loaded.Match(q);
  ASSERT_EQ(from_store.hits.size(), 1u);
  EXPECT_EQ(from_store.hits[0].score, live.hits[0].score);
  EXPECT_TRUE(index_->status().ok());
}

TEST_F(MatchIndexTest, LimitCutsAreCounted) {
  for (int i = 0; i < 12; ++i) {
    Assert("c" + std::to_string(i), "Ada Example", "Fuel taxes doubled in the state.");
  }
  CatchUp();
  MatchQuery q;
  q.text = "fuel taxes doubled";
  q.limit = 5;
  MatchResult r = index_->Match(q);
  EXPECT_EQ(r.hits.size(), 5u);
  EXPECT_EQ(r.above_threshold, 12u);
  // Equal scores: the earliest asserted first.
  EXPECT_EQ(r.hits[0].claim_id, "c0");
}

// ledgerd loads the index in the background while the views keep catching up: the batches
// written during the scan are applied after it, so the index ends as new as the view.
TEST_F(MatchIndexTest, ABackgroundLoadMissesNoBatchWrittenDuringIt) {
  for (int i = 0; i < 300; ++i) {
    Assert("early-" + std::to_string(i), "Ada Example",
           "Fuel taxes rose " + std::to_string(i) + " percent in county " + std::to_string(i));
  }
  CatchUp();
  auto background = AttachMatchIndex(engine_.get(), /*in_background=*/true);
  ASSERT_TRUE(background.ok()) << background.status();
  // Writes while (or after) it loads: new claims, and a correction of an early one.
  for (int i = 0; i < 50; ++i) {
    Assert("late-" + std::to_string(i), "Bo Sample",
           "Bridge tolls fell " + std::to_string(i) + " dollars in town " + std::to_string(i));
    if (i % 10 == 0) CatchUp();
  }
  testing::ClaimSpec fixed;
  fixed.text = "The tunnel opened in 1934.";
  ledger_.MustAppend("early-7-fix", testing::CorrectEvent("early-7", fixed));
  CatchUp();
  absl::Status loaded = (*background)->WaitForLoad();
  ASSERT_TRUE(loaded.ok()) << loaded;
  EXPECT_EQ((*background)->size(), index_->size());
  EXPECT_EQ((*background)->size(), 350u);
  for (const std::string& text :
       {std::string("tunnel opened 1934"), std::string("fuel taxes rose 7 percent county 7"),
        std::string("bridge tolls fell 49 dollars town 49")}) {
    MatchQuery q;
    q.text = text;
    MatchResult a = index_->Match(q), b = (*background)->Match(q);
    ASSERT_EQ(a.hits.size(), b.hits.size()) << text;
    for (size_t i = 0; i < a.hits.size(); ++i) {
      EXPECT_EQ(a.hits[i].claim_id, b.hits[i].claim_id) << text;
      EXPECT_EQ(a.hits[i].score, b.hits[i].score) << text;
    }
  }
  // The engine goes first: no catch-up may call a listener that is gone.
  engine_.reset();
}

// The index is a cache of the claims view's claim state records: a record that does not decode
// makes the whole load DataLoss, naming the view and the record, rather than an index that
// silently lacks the claim.
TEST(MatchIndexLoadTest, ADamagedClaimStateIsDataLossNamingTheView) {
  const std::string claims = schema::ViewPrefix(schema::ViewTag::kClaims, schema::kClaimsView);
  schema::ClaimState state;
  state.asserted_sequence = 1;
  state.submitter_key_id = std::string(32, 'k');
  state.version_sequence = 1;
  state.status_sequence = 1;
  state.statement_terms = {"pipelin", "ready"};
  const std::string good = schema::EncodeClaimState(state);
  MemoryViewStore store;
  ViewBatch batch;
  batch.Put(schema::ClaimStateKey(claims, "c1"), good);
  ASSERT_TRUE(store.Write(batch, {}).ok());
  MatchIndex index;
  ASSERT_TRUE(index.Load(store).ok());
  EXPECT_EQ(index.size(), 1u);

  batch.Clear();
  batch.Put(schema::ClaimStateKey(claims, "c2"), good.substr(0, good.size() - 1));
  ASSERT_TRUE(store.Write(batch, {}).ok());
  const absl::Status s = index.Load(store);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("claims view"));
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("claim state"));
}

}  // namespace
}  // namespace ledger::views
