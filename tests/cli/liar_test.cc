// The LIAR TSV adapter (cli/liar.h): the mapping of each column, deterministic ids, rows it
// refuses, and (when ../shared/data is present) that the first rows of train.tsv all pass the
// server's own admission checks.
#include "cli/liar.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "tests/testing/test_log.h"
#include "tests/testing/shared_data.h"

namespace ledger::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRow[] =
    "10540.json\thalf-true\tWhen did the decline of coal start?\tenergy,history, "
    "job-accomplishments\tscott-surovell\tState delegate\tVirginia\tdemocrat\t0\t0\t1\t1\t0\ta "
    "floor speech.";

TEST(LiarTest, RowBecomesAClaimAndItsVerdict) {
  absl::StatusOr<std::vector<ledger::v1::EventDraft>> drafts = LiarRowDrafts(kRow);
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  ASSERT_EQ(drafts->size(), 2u);
  const auto& claim_draft = (*drafts)[0];
  EXPECT_EQ(claim_draft.event_id(), "liar-10540");
  const ledger::v1::Claim& c = claim_draft.event().claim_asserted().claim();
  EXPECT_EQ(c.claimant().name(), "scott-surovell");
  EXPECT_EQ(c.claimant().role(), "State delegate");
  EXPECT_EQ(c.claimant().affiliation(), "Virginia, democrat");
  EXPECT_EQ(c.statement().text(), "When did the decline of coal start?");
  EXPECT_EQ(c.statement().attribution(), ledger::v1::PARAPHRASE);
  EXPECT_EQ(c.statement().language(), "en");
  EXPECT_EQ(c.source().url(), "https://www.politifact.com/factchecks/");
  EXPECT_EQ(c.source().publisher(), "PolitiFact");
  EXPECT_THAT(c.topics(), ElementsAre("energy", "history", "job-accomplishments"));
  EXPECT_EQ(c.venue(), "a floor speech.");

  const auto& verdict_draft = (*drafts)[1];
  EXPECT_EQ(verdict_draft.event_id(), "liar-10540-verdict");
  const ledger::v1::ClaimReviewed& r = verdict_draft.event().claim_reviewed();
  EXPECT_EQ(r.claim_id(), "liar-10540");
  EXPECT_EQ(r.rating_text(), "half-true");
  EXPECT_EQ(r.rating_value(), 3);
  EXPECT_EQ(r.worst_rating(), 0);
  EXPECT_EQ(r.best_rating(), 5);
  EXPECT_EQ(r.reviewer(), "PolitiFact");
}

TEST(LiarTest, SameRowGivesTheSameBytes) {
  auto a = LiarRowDrafts(kRow);
  auto b = LiarRowDrafts(kRow);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(client::SerializeEvent((*a)[i].event()), client::SerializeEvent((*b)[i].event()));
  }
}

TEST(LiarTest, RatingScaleRunsFromPantsFireToTrue) {
  EXPECT_EQ(LiarRating("pants-fire"), 0);
  EXPECT_EQ(LiarRating("false"), 1);
  EXPECT_EQ(LiarRating("barely-true"), 2);
  EXPECT_EQ(LiarRating("half-true"), 3);
  EXPECT_EQ(LiarRating("mostly-true"), 4);
  EXPECT_EQ(LiarRating("true"), 5);
  EXPECT_EQ(LiarRating("TRUE"), -1);
}

TEST(LiarTest, WrongColumnCountIsRefused) {
  EXPECT_THAT(LiarRowDrafts("1.json\ttrue\tx").status().message(), HasSubstr("3 tab-separated"));
}

TEST(LiarTest, UnknownLabelIsRefused) {
  std::string row = kRow;
  row.replace(row.find("half-true"), 9, "maybe");
  EXPECT_THAT(LiarRowDrafts(row).status().message(), HasSubstr("unknown label"));
}

TEST(LiarTest, IdThatCannotNameAnEventIsRefused) {
  std::string row = kRow;
  row.replace(0, 5, "a b c");
  EXPECT_THAT(LiarRowDrafts(row).status().message(), HasSubstr("cannot name an event"));
}

TEST(LiarTest, ColumnThatIsNotUtf8IsNamedWithItsOffset) {
  std::string row = kRow;
  row.replace(row.find("decline"), 1, "\xe9");  // Latin-1, as a re-encoded copy has it
  absl::Status s = LiarRowDrafts(row).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("column 3 (statement) is not valid UTF-8 (at byte offset 13)"));
}

TEST(LiarTest, TruncatedAndOverlongUtf8AreRefused) {
  for (const char* bad : {"\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    std::string row = kRow;
    row.replace(row.find("scott-surovell"), 0, bad);
    EXPECT_THAT(LiarRowDrafts(row).status().message(),
                HasSubstr("column 5 (speaker) is not valid UTF-8 (at byte offset 0)"))
        << bad;
  }
  std::string row = kRow;
  row.replace(row.find("scott-surovell"), 0, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_TRUE(LiarRowDrafts(row).ok());  // é € and an emoji are fine
}

TEST(LiarTest, EmptyStatementPassesTheAdapterButNotAdmission) {
  std::string row = kRow;
  const size_t start = row.find("When");
  row.erase(start, row.find('\t', start) - start);
  auto drafts = LiarRowDrafts(row);
  ASSERT_TRUE(drafts.ok());
  EXPECT_FALSE(core::ParseAndValidateEvent(client::SerializeEvent((*drafts)[0].event()),
                                           ledger::testing::kTestNowMicros)
                   .ok());
}

TEST(LiarTest, FirstRowsOfTheDataSetPassAdmission) {
  LEDGER_REQUIRE_SHARED_DATA(train, "liar/train.tsv");
  std::ifstream in(train);
  std::string line;
  for (int n = 1; n <= 200 && std::getline(in, line); ++n) {
    auto drafts = LiarRowDrafts(line);
    ASSERT_TRUE(drafts.ok()) << "line " << n << ": " << drafts.status();
    for (const auto& d : *drafts) {
      EXPECT_TRUE(core::ParseAndValidateEvent(client::SerializeEvent(d.event()),
                                              ledger::testing::kTestNowMicros)
                      .ok())
          << "line " << n << " event " << d.event_id();
    }
  }
}

}  // namespace
}  // namespace ledger::cli
