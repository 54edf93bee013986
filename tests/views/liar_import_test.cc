// Real data: every row of LIAR's train.tsv and valid.tsv (PolitiFact statements, W. Y. Wang,
// ACL 2017; ../shared/data/liar/README) becomes a claim plus a PolitiFact verdict, appended
// through the real core::Log over a RocksDB log store; the views are caught up while the log
// grows, and their per-claimant verdict tallies must equal the tallies counted straight from
// the TSV files, for every claimant. Skips when the data is absent.
//
// Mapping: statement -> statement.text ("Says ..." -> PARAPHRASE); speaker -> claimant.name;
// job title -> claimant.role; party -> claimant.affiliation; context -> venue; subjects
// (comma-separated) -> topics; id -> event id "liar:<file>:<id>" and source url
// https://www.politifact.com/api/v/2/statement/<id>/ (publisher PolitiFact); label ->
// claim_reviewed{rating_text = label, reviewer "PolitiFact", rating 0 (pants-fire) .. 5 (true)}.
//
// Rows the ledger must refuse (admission limits: an empty speaker, statement or subject, a field
// over its limit, more than 32 subjects, an event over 64 KiB) are found twice, independently:
// by the rules below, and by core::ParseAndValidateEvent (the Log's own admission check). Both
// must agree row by row; those rows are left out of both tallies. The published files have none.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/limits.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/views/queries.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/claim_views.h"
#include "tests/support/shared_data.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using testing::TestLedger;

struct Row {
  std::string file;
  std::vector<std::string> cols;  // 14 columns
};

const std::map<std::string, int> kRatingValue = {
    {"pants-fire", 0}, {"false", 1}, {"barely-true", 2},
    {"half-true", 3},  {"mostly-true", 4}, {"true", 5}};

std::vector<Row> ReadTsv(const std::string& path, const std::string& file) {
  std::vector<Row> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    Row r;
    r.file = file;
    r.cols = absl::StrSplit(line, '\t');
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<std::string> Subjects(const Row& r) {
  return absl::StrSplit(r.cols[3], ',');
}

// Why the ledger must refuse this row, from the documented limits (docs/api.md); "" if valid.
std::string ExpectedRefusal(const Row& r) {
  if (r.cols.size() != 14) return absl::StrCat("has ", r.cols.size(), " columns, not 14");
  if (r.cols[4].empty()) return "empty speaker (claimant.name is required)";
  if (r.cols[2].empty()) return "empty statement (statement.text is required)";
  if (r.cols[2].size() > core::kMaxStatementTextBytes) return "statement over 16 KiB";
  for (int c : {4, 5, 7, 13}) {
    if (r.cols[c].size() > core::kMaxShortStringBytes) {
      return absl::StrCat("column ", c + 1, " over 512 bytes");
    }
  }
  std::vector<std::string> subjects = Subjects(r);
  if (subjects.size() > core::kMaxTopics) return "more than 32 subjects";
  for (const std::string& s : subjects) {
    if (s.empty()) return "an empty subject (topics must be non-empty)";
    if (s.size() > core::kMaxShortStringBytes) return "a subject over 512 bytes";
  }
  if (kRatingValue.count(r.cols[1]) == 0) return absl::StrCat("unknown label ", r.cols[1]);
  return "";
}

ledger::v1::Event ClaimOf(const Row& r) {
  ledger::v1::Event e;
  ledger::v1::Claim* c = e.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name(r.cols[4]);
  c->mutable_claimant()->set_role(r.cols[5]);
  c->mutable_claimant()->set_affiliation(r.cols[7]);
  c->mutable_statement()->set_text(r.cols[2]);
  c->mutable_statement()->set_language("en");
  if (absl::StartsWith(r.cols[2], "Says ")) {
    c->mutable_statement()->set_attribution(ledger::v1::PARAPHRASE);
  }
  absl::string_view id = r.cols[0];
  absl::ConsumeSuffix(&id, ".json");
  c->mutable_source()->set_url(
      absl::StrCat("https://www.politifact.com/api/v/2/statement/", id, "/"));
  c->mutable_source()->set_publisher("PolitiFact");
  for (const std::string& s : Subjects(r)) c->add_topics(s);
  c->set_venue(r.cols[13]);
  return e;
}

ledger::v1::Event VerdictOf(const Row& r, const std::string& claim_id) {
  ledger::v1::Event e;
  auto* v = e.mutable_claim_reviewed();
  v->set_claim_id(claim_id);
  v->set_rating_text(r.cols[1]);
  v->set_reviewer("PolitiFact");
  v->set_worst_rating(0);
  v->set_best_rating(5);
  auto it = kRatingValue.find(r.cols[1]);
  v->set_rating_value(it == kRatingValue.end() ? 0 : it->second);
  return e;
}

TEST(LiarImportTest, VerdictTalliesFromTheViewsEqualTalliesFromTheTsvFiles) {
  LEDGER_REQUIRE_SHARED_DATA(train, "liar/train.tsv");
  LEDGER_REQUIRE_SHARED_DATA(valid, "liar/valid.tsv");
  std::vector<Row> rows = ReadTsv(train, "train");
  for (Row& r : ReadTsv(valid, "valid")) rows.push_back(std::move(r));
  ASSERT_EQ(rows.size(), 10269u + 1284u);

  const std::string dir = testing::TestDir("liar");
  store::RocksDbLogStoreOptions log_options;
  log_options.create_if_missing = true;
  auto log_store = store::RocksDbLogStore::Open(dir + "/db", log_options);
  ASSERT_TRUE(log_store.ok()) << log_store.status();
  TestLedger ledger(*std::move(log_store));
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(0x51);
  ledger.MustAppend("desk-key", testing::RegisterEvent(desk.public_key()));

  auto views_db = RocksDbViewStore::Open(dir + "/views");
  ASSERT_TRUE(views_db.ok()) << views_db.status();
  auto engine = ViewEngine::Open(*std::move(views_db), DefaultProjections());
  ASSERT_TRUE(engine.ok()) << engine.status();

  // Both sides: refusals, and tallies claimant term -> label -> count.
  std::map<std::string, std::map<std::string, uint64_t>> expected;
  std::map<std::string, uint64_t> claims_per_claimant;
  std::map<std::string, int> refusal_reasons;
  int refused = 0;
  std::vector<ledger::v1::SignedEvent> batch;
  auto flush = [&]() {
    if (batch.empty()) return;
    absl::StatusOr<std::vector<core::AppendResult>> r = ledger.log().AppendAll(batch);
    ASSERT_TRUE(r.ok()) << r.status();
    batch.clear();
    ASSERT_TRUE((*engine)->CatchUp(ledger.store()).ok());  // live, while the log grows
  };
  for (const Row& r : rows) {
    const std::string expected_refusal = ExpectedRefusal(r);
    const ledger::v1::Event claim = ClaimOf(r);
    const std::string bytes = client::SerializeEvent(claim);
    absl::Status admitted = bytes.size() > core::kMaxEventBytes
                                ? absl::InvalidArgumentError("event over 64 KiB")
                                : core::ParseAndValidateEvent(bytes, testing::kTestNowMicros)
                                      .status();
    ASSERT_EQ(expected_refusal.empty(), admitted.ok())
        << r.file << " " << r.cols[0] << ": rules say \"" << expected_refusal
        << "\", the ledger says " << admitted;
    if (!admitted.ok()) {
      ++refused;
      ++refusal_reasons[expected_refusal];
      continue;
    }
    const std::string term = schema::ClaimantTerm("", r.cols[4]);  // ASCII-lowercased slug
    ++expected[term][r.cols[1]];
    ++claims_per_claimant[term];
    const std::string claim_id = absl::StrCat("liar:", r.file, ":", r.cols[0]);
    batch.push_back(testing::Sign(claim_id, claim, desk));
    batch.push_back(testing::Sign(claim_id + ":politifact", VerdictOf(r, claim_id), desk));
    if (batch.size() >= 1000) {
      flush();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  flush();
  for (const auto& [why, n] : refusal_reasons) std::cout << "refused " << n << ": " << why << "\n";
  std::cout << "imported " << rows.size() - refused << " of " << rows.size() << " rows, "
            << expected.size() << " claimants, log size " << ledger.store().Head().tree_size
            << "\n";
  EXPECT_EQ(refused, 0) << "the published LIAR files have no row the ledger must refuse";
  ASSERT_EQ(ledger.store().Head().tree_size, 1 + 2 * (rows.size() - refused));
  ASSERT_EQ((*engine)->Watermark(), ledger.store().Head().tree_size);

  ViewQueries queries(&(*engine)->store(), &ledger.store());
  uint64_t total = 0;
  for (const auto& [term, labels] : expected) {
    const std::string name = term.substr(5);  // "name:<slug>"
    absl::StatusOr<VerdictTallyResult> tally = queries.VerdictTally(name);
    ASSERT_TRUE(tally.ok()) << tally.status();
    std::map<std::string, uint64_t> got;
    for (const VerdictCount& c : tally->counts) {
      EXPECT_EQ(c.reviewer, "PolitiFact");
      got[c.rating_text] += c.count;
    }
    EXPECT_EQ(got, labels) << term;
    total += tally->total;
    // And the claimant index lists exactly that claimant's claims.
    uint64_t listed = 0;
    std::string token;
    do {
      absl::StatusOr<ClaimPage> page =
          queries.ListClaims(ClaimFilter::Claimant(name), token, 1000);
      ASSERT_TRUE(page.ok()) << page.status();
      listed += page->claims.size();
      token = page->next_page_token;
    } while (!token.empty());
    EXPECT_EQ(listed, claims_per_claimant[term]) << term;
  }
  EXPECT_EQ(total, rows.size() - refused);

  // The views caught up live equal a fresh rebuild, byte for byte.
  const std::map<std::string, Hash> live = testing::AllDigests(**engine);
  std::unique_ptr<ViewEngine> fresh = testing::NewMemoryEngine();
  ASSERT_TRUE(fresh->Rebuild(ledger.store()).ok());
  EXPECT_EQ(testing::AllDigests(*fresh), live);
}

}  // namespace
}  // namespace ledger::views
