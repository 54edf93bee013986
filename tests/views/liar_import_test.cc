// Real data: every row of LIAR's train.tsv and valid.tsv (PolitiFact statements, W. Y. Wang,
// ACL 2017; ../shared/data/liar/README) becomes a claim plus a PolitiFact verdict, appended
// through the real core::Log over a RocksDB log store; the views are caught up while the log
// grows, and their per-claimant verdict tallies must equal the tallies counted straight from
// the TSV files, for every claimant. Skips when the data is absent.
//
// Mapping: cli/liar.h's (the one `ledgerctl import --format liar` uses): claim "liar-<id>" and
// its verdict "liar-<id>-verdict" (rating 0 (pants-fire) .. 5 (true), reviewer "PolitiFact").
//
// Rows the ledger must refuse (admission limits: an empty speaker, statement or subject, a field
// over its limit, more than 32 subjects, an event over 64 KiB) are found twice, independently:
// by the rules below, and by cli::LiarRowDrafts plus core::ParseAndValidateEvent (the Log's own
// admission check) on the claim it maps the row to. Both must agree row by row; those rows are left
// out of both tallies. The published files have none.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/liar.h"
#include "gtest/gtest.h"
#include "ledger/base/file_util.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/limits.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/views/queries.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/claim_views.h"
#include "tests/testing/shared_data.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using testing::TestLedger;

struct Row {
  std::string file;
  std::string line;
  std::vector<std::string> cols;  // 14 columns when well-formed
};

std::vector<Row> ReadTsv(const std::string& path, const std::string& file) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<Row> rows;
  if (!text.ok()) return rows;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    Row r;
    r.file = file;
    r.line = std::string(line);
    r.cols = absl::StrSplit(line, '\t');
    rows.push_back(std::move(r));
  }
  return rows;
}

// Why the ledger must refuse this row, from the documented limits (docs/api.md) applied to
// the fields cli/liar.h says the columns become; "" if valid.
std::string ExpectedRefusal(const Row& r) {
  if (r.cols.size() != 14) return absl::StrCat("has ", r.cols.size(), " columns, not 14");
  if (cli::LiarRating(r.cols[1]) < 0) return absl::StrCat("unknown label ", r.cols[1]);
  if (r.cols[4].empty()) return "empty speaker (claimant.name is required)";
  if (r.cols[2].empty()) return "empty statement (statement.text is required)";
  if (r.cols[2].size() > core::kMaxStatementTextBytes) return "statement over 16 KiB";
  for (int c : {4, 5, 13}) {
    if (r.cols[c].size() > core::kMaxShortStringBytes) {
      return absl::StrCat("column ", c + 1, " over 512 bytes");
    }
  }
  std::vector<absl::string_view> affiliation;
  for (int c : {6, 7}) {
    if (!absl::StripAsciiWhitespace(r.cols[c]).empty()) affiliation.push_back(r.cols[c]);
  }
  if (absl::StrJoin(affiliation, ", ").size() > core::kMaxShortStringBytes) {
    return "\"<state>, <party>\" over 512 bytes";
  }
  std::vector<absl::string_view> subjects =
      absl::StrSplit(r.cols[3], ',', absl::SkipWhitespace());
  if (subjects.size() > core::kMaxTopics) return "more than 32 subjects";
  for (absl::string_view s : subjects) {
    if (absl::StripAsciiWhitespace(s).size() > core::kMaxShortStringBytes) {
      return "a subject over 512 bytes";
    }
  }
  return "";
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
  auto log_store = store::RocksDbLogStore::Open(datadir::LogDir(dir), log_options);
  ASSERT_TRUE(log_store.ok()) << log_store.status();
  TestLedger ledger(*std::move(log_store));
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(0x51);
  ledger.MustAppend("desk-key", testing::RegisterEvent(desk.public_key()));

  auto views_db = RocksDbViewStore::Open(datadir::ViewsDir(dir));
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
    absl::StatusOr<std::vector<ledger::v1::EventDraft>> drafts = cli::LiarRowDrafts(r.line);
    absl::Status admitted = drafts.status();
    if (admitted.ok()) {
      const std::string bytes = client::SerializeEvent((*drafts)[0].event());
      admitted = bytes.size() > core::kMaxEventBytes
                     ? absl::InvalidArgumentError("event over 64 KiB")
                     : core::ParseAndValidateEvent(bytes, testing::kTestNowMicros).status();
    }
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
    for (const ledger::v1::EventDraft& d : *drafts) {
      batch.push_back(testing::Sign(d.event_id(), d.event(), desk));
    }
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
