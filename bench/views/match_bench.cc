// Claim matching at scale: a MatchIndex (ledger/views/match_index.h) over N claims, fed the match
// view's records in 32,768-record batches exactly as the view engine's listener feeds it, then
// queried by one thread: edited variants of indexed statements ("Says that ..." + a dropped word)
// and unrelated statements. Reports the index's build rate and memory, queries/s and latency
// percentiles, and the variants' recall@1 as a sanity check.
//
// Claims: the LIAR statements (bench/common.h LoadClaims), recombined to reach N distinct
// statements (two words of each replaced by words of other statements, deterministically), so
// the vocabulary and document frequencies stay those of real statements.
//
//   bazel run -c opt //bench/views:match_bench -- --claims=1000000 [--liar-dir=DIR] [--out=F.json]
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/common.h"
#include "ledger/views/match_index.h"
#include "ledger/views/match_text.h"
#include "ledger/views/view_schema.h"
#include "ledger/v1/claim.pb.h"

namespace ledger {
namespace {

int Main(int argc, char** argv) {
  size_t claims = 100000, queries = 2000;
  std::string liar_dir, out;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--claims=")) {
      if (!absl::SimpleAtoi(a, &claims)) return 2;
    } else if (absl::ConsumePrefix(&a, "--queries=")) {
      if (!absl::SimpleAtoi(a, &queries)) return 2;
    } else if (absl::ConsumePrefix(&a, "--liar-dir=")) {
      liar_dir = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--out=")) {
      out = std::string(a);
    } else {
      std::fprintf(stderr, "usage: match_bench [--claims=N] [--queries=N] [--liar-dir=DIR] [--out=F]\n");
      return 2;
    }
  }
  bench::ClaimTemplates templates = bench::LoadClaims(liar_dir);
  std::vector<v1::Claim> base;
  std::vector<std::string> pool;  // every word of every statement
  for (const std::string& bytes : templates.event_bytes) {
    v1::Event e;
    if (!e.ParseFromString(bytes) || !e.has_claim_asserted()) continue;
    base.push_back(e.claim_asserted().claim());
    for (absl::string_view w : absl::StrSplit(base.back().statement().text(), ' ', absl::SkipEmpty())) {
      pool.emplace_back(w);
    }
  }
  if (base.empty() || pool.empty()) return 1;
  std::mt19937_64 rng(42);
  auto statement = [&](size_t i) {
    const v1::Claim& c = base[i % base.size()];
    if (i < base.size()) return c.statement().text();
    std::vector<std::string> words = absl::StrSplit(c.statement().text(), ' ', absl::SkipEmpty());
    std::mt19937_64 r(i);
    for (int k = 0; k < 2 && !words.empty(); ++k) words[r() % words.size()] = pool[r() % pool.size()];
    return absl::StrJoin(words, " ");
  };

  // Resident memory (bytes), from /proc/self/statm: what the index really costs, allocator
  // overhead included (MemoryBytes() estimates the index's own structures).
  auto resident = [] {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, pages = 0;
    statm >> size >> pages;
    return pages * 4096;
  };
  const uint64_t resident_before = resident();
  const std::string prefix = views::schema::ViewPrefix(views::schema::ViewTag::kClaims,
                                                       views::schema::kClaimsView);
  views::MatchIndex index;
  auto batch = std::make_unique<views::ViewBatch>();
  const auto build_start = bench::SteadyClock::now();
  const double cpu_start = bench::SelfCpuSeconds();
  double terms_seconds = 0;
  for (size_t i = 0; i < claims; ++i) {
    const v1::Claim& c = base[i % base.size()];
    const auto t0 = bench::SteadyClock::now();
    views::schema::ClaimState r;
    r.asserted_sequence = i + 1;
    r.submitter_key_id = std::string(32, 'k');
    r.version_sequence = i + 1;
    r.status_sequence = i + 1;
    r.said = views::schema::SaidKey(c.said());
    r.index_terms[static_cast<size_t>(views::schema::ClaimIndex::kClaimant)] =
        views::schema::ClaimIndexTerms(views::schema::ClaimIndex::kClaimant, c);
    r.name_terms = views::NameTerms(c.claimant().name());
    r.statement_terms = views::MatchTerms(statement(i));
    terms_seconds += bench::SecondsSince(t0);
    batch->Put(views::schema::ClaimStateKey(prefix, absl::StrCat("bench-", i)),
              views::schema::EncodeClaimState(r));
    if (batch->size() == 32768 || i + 1 == claims) {
      index.OnWritten(*batch);
      batch->Clear();
    }
  }
  const double build_s = bench::SecondsSince(build_start);
  const double build_cpu = bench::SelfCpuSeconds() - cpu_start;
  const uint64_t memory = index.MemoryBytes();
  batch.reset();  // not the index's
  const uint64_t resident_growth = resident() - resident_before;

  // Queries: even ones are variants of indexed statements, odd ones statements of other claims
  // with every word replaced from the pool (unrelated).
  std::vector<double> micros;
  size_t variants = 0, found = 0, listed = 0;
  for (size_t q = 0; q < queries; ++q) {
    views::MatchQuery query;
    const size_t target = rng() % claims;
    if (q % 2 == 0) {
      std::vector<std::string> words = absl::StrSplit(statement(target), ' ', absl::SkipEmpty());
      if (words.size() > 3) words.erase(words.begin() + 1 + rng() % (words.size() - 2));
      query.text = "Says that " + absl::StrJoin(words, " ");
    } else {
      std::vector<std::string> words;
      for (int k = 0; k < 12; ++k) words.push_back(pool[rng() % pool.size()]);
      query.text = absl::StrJoin(words, " ");
    }
    query.min_score = views::MatchIndex::kDefaultMinScore;
    query.limit = 10;
    const auto t0 = bench::SteadyClock::now();
    views::MatchResult r = index.Match(query);
    micros.push_back(bench::MicrosBetween(t0, bench::SteadyClock::now()));
    if (!r.hits.empty()) ++listed;
    if (q % 2 == 0) {
      ++variants;
      if (!r.hits.empty() && r.hits[0].claim_id == absl::StrCat("bench-", target)) ++found;
    }
  }
  double total_us = 0;
  for (double m : micros) total_us += m;
  const bench::LatencyStats stats = bench::Summarize(micros);
  std::printf(
      "match: %zu claims (%s) indexed in %.1f s (%.1f CPU-s; terms %.1f s), %.0f MiB "
      "(%.0f B/claim; the process grew by %.0f B/claim)\n"
      "match: %zu queries, 1 thread: %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n"
      "match: variants' original first %zu of %zu (%.3f; recombined statements repeat words, so "
      "some variants are as close to a sibling); queries with a hit at %.2f: %zu\n",
      claims, templates.source.c_str(), build_s, build_cpu, terms_seconds,
      memory / 1048576.0, static_cast<double>(memory) / claims,
      static_cast<double>(resident_growth) / claims, micros.size(),
      micros.size() / (total_us / 1e6), stats.p50_us / 1000, stats.p99_us / 1000,
      stats.max_us / 1000, found, variants, static_cast<double>(found) / variants,
      views::MatchIndex::kDefaultMinScore, listed);
  if (!out.empty()) {
    nlohmann::json j;
    j["claims"] = claims;
    j["source"] = templates.source;
    j["build_seconds"] = build_s;
    j["build_cpu_seconds"] = build_cpu;
    j["memory_bytes"] = memory;
    j["resident_growth_bytes"] = resident_growth;
    j["queries"] = micros.size();
    j["queries_per_second"] = micros.size() / (total_us / 1e6);
    j["latency"] = bench::LatencyJson(stats);
    j["variant_recall_at_1"] = static_cast<double>(found) / variants;
    bench::WriteJson(out, j);
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
