// Claim matching's quality on real statements: LIAR's train.tsv (10,240 PolitiFact statements;
// ../shared/data/liar) is appended as claims (cli/liar.h's mapping) through a real Log, the
// match view is built by the ViewEngine and followed by a MatchIndex; then edited variants of a
// sample of those statements are matched, and statements of valid.tsv (not in the ledger) are
// matched as negatives. Skips when the data is absent.
//
// Variants of each sampled statement (deterministic): reworded case and punctuation; a
// reporting frame ("Says that ...", "<speaker> said ..."); words moved (the first three at the
// end); a small edit (one word dropped, a typo in another); all of those at once; an excerpt
// (the first half of a statement of 12 words or more); number formats ("$1.7 billion" ->
// "1.7bn", "45 percent" -> "45%", "1,700" -> "1700") where the statement has a number.
//
// Measured: recall@1 (the original is the best hit), recall@5, and at the default threshold
// (MatchIndex::kDefaultMinScore) the precision of the best hit over variants and negatives
// together (a negative's hit counts as wrong unless its terms equal the negative's: LIAR
// repeats some statements verbatim across files). docs/api.md states the figures; the bounds
// below fail a change that makes them worse.
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/liar.h"
#include "gtest/gtest.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/match_index.h"
#include "ledger/views/match_text.h"
#include "ledger/views/view_engine.h"
#include "tests/testing/shared_data.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

struct Original {
  std::string claim_id;
  std::string speaker;
  std::string text;
};

std::vector<std::vector<std::string>> Rows(const std::string& path) {
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  std::vector<std::vector<std::string>> rows;
  if (!text) return rows;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() == 14 && !cols[2].empty() && !cols[4].empty()) rows.push_back(cols);
  }
  return rows;
}

std::string Speaker(const std::string& liar_speaker) {
  // LIAR's speakers are slugs ("barack-obama"): as a person would write them.
  std::vector<std::string> words = absl::StrSplit(liar_speaker, '-');
  for (std::string& w : words) {
    if (!w.empty()) w[0] = absl::ascii_toupper(w[0]);
  }
  return absl::StrJoin(words, " ");
}

std::string StripPunctuation(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '.' || c == '"' || c == '!' || c == '?' || c == ';' || c == ':') continue;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> Words(const std::string& s) {
  return absl::StrSplit(s, ' ', absl::SkipEmpty());
}

// The variants of one statement (see the header).
std::vector<std::pair<std::string, std::string>> Variants(const Original& o, std::mt19937* rng) {
  std::vector<std::pair<std::string, std::string>> v;
  v.emplace_back("case+punct", absl::AsciiStrToUpper(StripPunctuation(o.text)));
  std::string body = o.text;
  if (absl::StartsWith(body, "Says ")) body = body.substr(5);
  v.emplace_back("frame", rng->operator()() % 2 == 0 ? "Says that " + body
                                                   : Speaker(o.speaker) + " said " + body);
  std::vector<std::string> words = Words(o.text);
  if (words.size() > 6) {
    std::vector<std::string> moved(words.begin() + 3, words.end());
    moved.insert(moved.end(), words.begin(), words.begin() + 3);
    v.emplace_back("order", absl::StrJoin(moved, " "));
    // Small edit: drop one word, and swap two inner letters of a long word.
    std::vector<std::string> edited = words;
    edited.erase(edited.begin() + 1 + (*rng)() % (edited.size() - 2));
    for (size_t tries = 0; tries < edited.size(); ++tries) {
      std::string& w = edited[(*rng)() % edited.size()];
      if (w.size() >= 7 && absl::ascii_isalpha(w[2]) && absl::ascii_isalpha(w[3])) {
        std::swap(w[2], w[3]);
        break;
      }
    }
    v.emplace_back("edit", absl::StrJoin(edited, " "));
    // All at once: a frame, words moved, a word dropped, a typo, lower case.
    std::vector<std::string> all(edited.begin() + 2, edited.end());
    all.insert(all.end(), edited.begin(), edited.begin() + 2);
    v.emplace_back("all", absl::AsciiStrToLower(Speaker(o.speaker) + " claimed that " +
                                               absl::StrJoin(all, " ")));
  }
  if (words.size() >= 12) {
    // An excerpt: the first half of a long statement, as a fact-checker pastes one sentence.
    v.emplace_back("excerpt", absl::StrJoin(std::vector<std::string>(
                                             words.begin(), words.begin() + words.size() / 2),
                                         " "));
  }
  std::string numbers = absl::StrReplaceAll(
      o.text, {{" billion", "bn"}, {" million", "m"}, {" percent", "%"}, {"$", ""}});
  // "1,700" -> "1700"
  std::string no_commas;
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] == ',' && i > 0 && i + 1 < numbers.size() && absl::ascii_isdigit(numbers[i - 1]) &&
        absl::ascii_isdigit(numbers[i + 1])) {
      continue;
    }
    no_commas.push_back(numbers[i]);
  }
  if (no_commas != o.text) v.emplace_back("numbers", no_commas);
  return v;
}

TEST(MatchQualityTest, LiarVariantsFindTheirOriginalAndNegativesFindNothing) {
  LEDGER_REQUIRE_SHARED_DATA(train_path, "liar/train.tsv");
  LEDGER_REQUIRE_SHARED_DATA(valid_path, "liar/valid.tsv");
  const auto train = Rows(train_path);
  const auto valid = Rows(valid_path);
  ASSERT_GT(train.size(), 10000u);

  testing::TestLedger ledger;
  auto engine = ViewEngine::Open(std::make_unique<MemoryViewStore>(), DefaultProjections());
  ASSERT_TRUE(engine.ok()) << engine.status();
  auto index = AttachMatchIndex(engine->get());
  ASSERT_TRUE(index.ok()) << index.status();

  std::vector<Original> originals;
  for (const auto& cols : train) {
    const std::string line = absl::StrJoin(cols, "\t");
    auto drafts = cli::LiarRowDrafts(line);
    ASSERT_TRUE(drafts.ok()) << drafts.status();
    const auto& claim = (*drafts)[0];
    if (!ledger.Append(claim.event_id(), claim.event()).ok()) continue;  // over a limit
    originals.push_back(Original{claim.event_id(), cols[4], cols[2]});
    if (originals.size() % 2048 == 0) {
      ASSERT_TRUE((*engine)->CatchUp(ledger.store()).ok());
    }
  }
  ASSERT_TRUE((*engine)->CatchUp(ledger.store()).ok());
  ASSERT_EQ((*index)->size(), originals.size());
  // Claims whose statement terms are identical count as the same claim (LIAR repeats some).
  absl::flat_hash_map<std::string, std::string> canonical;  // terms -> first claim id
  absl::flat_hash_map<std::string, std::string> canonical_of_claim;
  for (const Original& o : originals) {
    const std::string key = absl::StrJoin(MatchTerms(o.text), " ");
    canonical.try_emplace(key, o.claim_id);
    canonical_of_claim[o.claim_id] = canonical[key];
  }
  auto same = [&](const std::string& a, const std::string& b) {
    return canonical_of_claim[a] == canonical_of_claim[b];
  };

  std::mt19937 rng(20261206);
  int queries = 0, at1 = 0, at5 = 0;
  int listed = 0, listed_right = 0;  // best hits at or above the default threshold
  int variants_listed_right = 0;
  std::map<std::string, int> kind_total, kind_found;
  // Best-hit scores, for the table of thresholds: (score, right) of variants and negatives.
  std::vector<std::pair<double, bool>> variant_best, negative_best;
  for (size_t i = 0; i < originals.size(); i += 20) {  // 512 statements
    const Original& o = originals[i];
    for (const auto& [kind, text] : Variants(o, &rng)) {
      MatchQuery q;
      q.text = text;
      q.limit = 5;
      MatchResult r = (*index)->Match(q);
      ++queries;
      for (size_t k = 0; k < r.hits.size(); ++k) {
        if (same(r.hits[k].claim_id, o.claim_id)) {
          if (k == 0) ++at1;
          ++at5;
          break;
        }
      }
      if (!r.hits.empty()) {
        variant_best.emplace_back(r.hits[0].score, same(r.hits[0].claim_id, o.claim_id));
      }
      ++kind_total[kind];
      if (!r.hits.empty() && r.hits[0].score >= MatchIndex::kDefaultMinScore &&
          same(r.hits[0].claim_id, o.claim_id)) {
        ++kind_found[kind];
      }
      if (!r.hits.empty() && r.hits[0].score >= MatchIndex::kDefaultMinScore) {
        ++listed;
        if (same(r.hits[0].claim_id, o.claim_id)) ++listed_right, ++variants_listed_right;
      }
    }
  }
  int negatives = 0, negative_hits = 0;
  for (size_t i = 0; i < valid.size(); i += 2) {
    MatchQuery q;
    q.text = valid[i][2];
    q.limit = 1;
    MatchResult r = (*index)->Match(q);
    ++negatives;
    if (r.hits.empty()) continue;
    const std::string key = absl::StrJoin(MatchTerms(valid[i][2]), " ");
    const bool duplicate = canonical.contains(key) && same(canonical[key], r.hits[0].claim_id);
    negative_best.emplace_back(r.hits[0].score, duplicate);
    if (r.hits[0].score < MatchIndex::kDefaultMinScore) continue;
    ++listed;
    if (duplicate) {
      ++listed_right;  // the same statement is in train.tsv too
    } else {
      ++negative_hits;
    }
  }
  const double recall1 = static_cast<double>(at1) / queries;
  const double recall5 = static_cast<double>(at5) / queries;
  const double precision = listed == 0 ? 0 : static_cast<double>(listed_right) / listed;
  const double variant_recall_at_threshold = static_cast<double>(variants_listed_right) / queries;
  for (const auto& [kind, n] : kind_total) {
    std::printf("  variant %-10s %4d queries, found at the default threshold %.3f\n", kind.c_str(), n,
                static_cast<double>(kind_found[kind]) / n);
  }
  std::printf("  threshold  variants-found  negatives-listed  precision\n");
  for (double t : {0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7}) {
    int found = 0, wrong = 0, right = 0, neg = 0;
    for (const auto& [score, ok] : variant_best) {
      if (score < t) continue;
      ok ? ++found : ++wrong;
    }
    for (const auto& [score, dup] : negative_best) {
      if (score < t) continue;
      dup ? ++right : ++neg;
    }
    std::printf("  %.2f       %.3f           %.3f             %.3f\n", t,
                static_cast<double>(found) / queries, static_cast<double>(neg) / negatives,
                static_cast<double>(found + right) / std::max(1, found + right + wrong + neg));
  }
  std::printf(
      "match quality on LIAR: %zu claims indexed, %d variant queries, %d negatives\n"
      "  recall@1 %.3f  recall@5 %.3f\n"
      "  at min_score %.2f: precision %.3f (%d of %d listed best hits right), "
      "negatives listed %d (%.3f), variants found %.3f\n",
      originals.size(), queries, negatives, recall1, recall5, MatchIndex::kDefaultMinScore,
      precision, listed_right, listed, negative_hits,
      static_cast<double>(negative_hits) / negatives, variant_recall_at_threshold);
  // Measured 2026-12-06: recall@1 0.993, recall@5 0.999, precision 0.988, negatives listed
  // 0.033, variants found at the default threshold 0.981 (excerpts 0.862, the others 1.000).
  EXPECT_GE(recall1, 0.98);
  EXPECT_GE(recall5, 0.99);
  EXPECT_GE(precision, 0.98);
  EXPECT_LE(static_cast<double>(negative_hits) / negatives, 0.05);
  EXPECT_GE(variant_recall_at_threshold, 0.97);
}

}  // namespace
}  // namespace ledger::views
