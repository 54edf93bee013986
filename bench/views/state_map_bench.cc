// The claim-state map at scale (ledger/merkle/state_map.h, docs/format.md §13): N keys, then
// commitments after K changed keys (what a commitment costs after K claims changed), the state
// chain's per-entry hash, and map proofs: generation and verification rate, latency and size.
//
//   bazel run -c opt //bench/views:state_map_bench -- --keys=1000000 [--proofs=N] [--out=F.json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/state_map.h"
#include "ledger/views/claim_state.h"

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Hash RandomHash(std::mt19937_64& rng) {
  Hash h;
  for (size_t i = 0; i < h.size(); i += 8) {
    uint64_t v = rng();
    for (int j = 0; j < 8; ++j) h[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return h;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int Main(int argc, char** argv) {
  size_t keys = 1000000, proofs = 50000;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--keys=")) {
      if (!absl::SimpleAtoi(a, &keys)) return 2;
    } else if (absl::ConsumePrefix(&a, "--proofs=")) {
      if (!absl::SimpleAtoi(a, &proofs)) return 2;
    } else if (absl::ConsumePrefix(&a, "--out=")) {
      out = std::string(a);
    } else {
      std::fprintf(stderr, "usage: state_map_bench [--keys=N] [--proofs=N] [--out=F.json]\n");
      return 2;
    }
  }
  std::mt19937_64 rng(42);
  std::vector<Hash> all;
  all.reserve(keys);
  for (size_t i = 0; i < keys; ++i) {
    all.push_back(views::StateMapKey(views::StateSubjectKind::kClaim, absl::StrCat("claim-", i)));
  }
  merkle::StateMap map;
  auto t0 = Clock::now();
  for (const Hash& k : all) map.Set(k, RandomHash(rng));
  auto t1 = Clock::now();
  map.Commit();
  auto t2 = Clock::now();
  const double build_set_s = Seconds(t0, t1), build_commit_s = Seconds(t1, t2);
  std::string json = absl::StrCat("{\"keys\": ", keys, ", \"set_all_s\": ", build_set_s,
                                  ", \"first_commit_s\": ", build_commit_s,
                                  ", \"memory_bytes\": ", map.MemoryBytes(),
                                  ", \"bytes_per_key\": ", double(map.MemoryBytes()) / keys,
                                  ", \"commits\": [");
  std::printf("%zu keys: set %.2f s, first commit %.2f s, %.1f MiB (%.1f B/key)\n", keys,
              build_set_s, build_commit_s, map.MemoryBytes() / 1048576.0,
              double(map.MemoryBytes()) / keys);
  bool first = true;
  for (size_t changed : {size_t{100}, size_t{1000}, size_t{10000}, size_t{100000}}) {
    if (changed > keys) break;
    for (size_t i = 0; i < changed; ++i) map.Set(all[rng() % keys], RandomHash(rng));
    auto a = Clock::now();
    map.Commit();
    auto b = Clock::now();
    const double s = Seconds(a, b);
    std::printf("commit after %zu changed keys: %.2f ms (%.2f us per changed key)\n", changed,
                s * 1e3, s * 1e6 / changed);
    absl::StrAppend(&json, first ? "" : ", ", "{\"changed\": ", changed, ", \"ms\": ", s * 1e3,
                    ", \"us_per_changed_key\": ", s * 1e6 / changed, "}");
    first = false;
  }
  // The per-entry cost on the view path: one NextStateHash.
  Hash s{};
  const Hash leaf = RandomHash(rng);
  const size_t chain_n = 1000000;
  auto c0 = Clock::now();
  for (size_t i = 0; i < chain_n; ++i) s = views::NextStateHash(s, i, leaf);
  auto c1 = Clock::now();
  const double chain_ns = Seconds(c0, c1) * 1e9 / chain_n;
  std::printf("state chain: %.0f ns per entry (sink %02x)\n", chain_ns, s[0]);

  // Proofs of random present keys: generation, then verification, per proof.
  const Hash root = map.Root();
  std::vector<double> gen_us, verify_us;
  gen_us.reserve(proofs);
  verify_us.reserve(proofs);
  size_t siblings = 0;
  auto p0 = Clock::now();
  for (size_t i = 0; i < proofs; ++i) {
    const Hash& k = all[rng() % keys];
    auto a = Clock::now();
    merkle::MapProof proof = map.Prove(k);
    auto b = Clock::now();
    absl::StatusOr<std::optional<Hash>> v = merkle::VerifyMapProof(root, k, proof);
    auto c = Clock::now();
    if (!v.ok() || !v->has_value()) {
      std::fprintf(stderr, "proof %zu does not verify\n", i);
      return 1;
    }
    siblings += proof.siblings.size();
    gen_us.push_back(Seconds(a, b) * 1e6);
    verify_us.push_back(Seconds(b, c) * 1e6);
  }
  auto p1 = Clock::now();
  const double per_s = proofs / Seconds(p0, p1);
  const double avg_siblings = double(siblings) / proofs;
  std::printf(
      "proofs: %.0f/s generated and verified on one thread; generate p50 %.1f us p99 %.1f us; "
      "verify p50 %.1f us p99 %.1f us; %.1f siblings (%.0f bytes) on average\n",
      per_s, Percentile(gen_us, 0.5), Percentile(gen_us, 0.99), Percentile(verify_us, 0.5),
      Percentile(verify_us, 0.99), avg_siblings, avg_siblings * 32 + 64);
  absl::StrAppend(&json, "], \"chain_ns_per_entry\": ", chain_ns, ", \"proofs_per_s\": ", per_s,
                  ", \"prove_p50_us\": ", Percentile(gen_us, 0.5), ", \"prove_p99_us\": ",
                  Percentile(gen_us, 0.99), ", \"verify_p50_us\": ", Percentile(verify_us, 0.5),
                  ", \"verify_p99_us\": ", Percentile(verify_us, 0.99),
                  ", \"avg_siblings\": ", avg_siblings, "}\n");
  if (!out.empty()) {
    FILE* f = std::fopen(out.c_str(), "w");
    if (f == nullptr) return 1;
    std::fputs(json.c_str(), f);
    std::fclose(f);
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
