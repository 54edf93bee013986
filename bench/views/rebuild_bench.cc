// rebuild_bench: how fast the views are rebuilt from a RocksDB log, against the ceiling measured
// in the same run: a raw scan of the same log with DecodeLeafData + ParseStoredEvent of every
// entry (what any replay must do at least). Goal (issue 3): rebuild >= 0.5 x raw.
//
//   rebuild_bench [--claims=200000] [--dir=/tmp/...] [--runs=3] [--batch=32768] [--memory]
//                 [--write_buffer_mb=M] [--log-db=PATH] [--out=FILE.json]
//
// --log-db names an existing log database (a data directory's db/, e.g. the one bench/run.sh's
// log_bench builds): it is opened read-only and the views are rebuilt into --dir/views.
// --out also writes the figures as JSON (bench/report.py reads them).
//
// --memory rebuilds into a MemoryViewStore instead of RocksDB: the projections' own cost.
// The log holds --claims claim_asserted events plus, per claim, a review with probability 1/2, a
// correction 1/20 and a retraction 1/100, appended through the real core::Log (signed and
// verified) by two threads. With --dir naming an existing log it is reused.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "nlohmann/json.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "ledger/base/clock.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/entry.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_engine.h"

namespace ledger {
namespace {

constexpr char kOrigin[] = "bench.example/factledger";

[[noreturn]] void Die(const absl::Status& s, const char* what) {
  std::fprintf(stderr, "rebuild_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

crypto::Ed25519PrivateKey Key(uint8_t fill) {
  auto k = crypto::Ed25519PrivateKey::FromSeed(std::string(32, static_cast<char>(fill)));
  if (!k.ok()) Die(k.status(), "key");
  return *std::move(k);
}

// A cheap deterministic generator (splitmix64).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

ledger::v1::Claim MakeClaim(uint64_t i, uint64_t salt) {
  const uint64_t r = Mix(i * 31 + salt);
  ledger::v1::Claim c;
  c.mutable_claimant()->set_name(absl::StrCat("Speaker ", r % 5000));
  c.mutable_claimant()->set_role("Deputy Minister");
  c.mutable_statement()->set_text(absl::StrCat(
      "Statement ", i, ": the relationship will not be affected by the cooperation, and the "
      "agreement is ready for signing according to officials familiar with the matter."));
  c.mutable_statement()->set_language("en");
  auto* said = c.mutable_said();
  said->set_precision(ledger::v1::PartialDate::DAY);
  said->set_year(2000 + static_cast<int>(r % 25));
  said->set_month(1 + static_cast<int>((r >> 8) % 12));
  said->set_day(1 + static_cast<int>((r >> 16) % 28));
  c.mutable_source()->set_url(absl::StrCat("https://news.example/", (r >> 20) % 50000));
  c.mutable_source()->set_publisher(absl::StrCat("Publisher ", (r >> 24) % 300));
  for (uint64_t t = 0; t < 1 + (r >> 32) % 3; ++t) c.add_topics(absl::StrCat("topic", (r >> (34 + 4 * t)) % 200));
  for (uint64_t e = 0; e < (r >> 48) % 3; ++e) {
    c.add_entities()->set_name(absl::StrCat("Entity ", (r >> (50 + 3 * e)) % 1000));
  }
  c.set_venue("a press conference");
  return c;
}

void BuildLog(core::Log* log, uint64_t claims) {
  const crypto::Ed25519PrivateKey admin = Key(0x20);
  constexpr uint64_t kRound = 500;
  std::atomic<uint64_t> next_round{0};
  auto worker = [&]() {
    for (;;) {
      const uint64_t begin = next_round.fetch_add(1) * kRound;
      if (begin >= claims) return;
      const uint64_t end = std::min(claims, begin + kRound);
      std::vector<ledger::v1::SignedEvent> asserts, follow;
      for (uint64_t i = begin; i < end; ++i) {
        const std::string id = absl::StrCat("claim-", i);
        ledger::v1::Event e;
        *e.mutable_claim_asserted()->mutable_claim() = MakeClaim(i, 0);
        asserts.push_back(client::SignEvent(kOrigin, id, e, admin));
        const uint64_t r = Mix(i);
        if (r % 2 == 0) {
          ledger::v1::Event v;
          auto* rv = v.mutable_claim_reviewed();
          rv->set_claim_id(id);
          rv->set_rating_text(r % 3 == 0 ? "False" : "Mostly true");
          rv->set_reviewer("PolitiFact");
          rv->set_best_rating(5);
          rv->set_rating_value(static_cast<int>(r % 6));
          follow.push_back(client::SignEvent(kOrigin, id + "-review", v, admin));
        }
        if (r % 20 == 1) {
          ledger::v1::Event c;
          c.mutable_claim_corrected()->set_corrects_claim_id(id);
          *c.mutable_claim_corrected()->mutable_claim() = MakeClaim(i, 1);
          c.mutable_claim_corrected()->set_reason("misattributed");
          follow.push_back(client::SignEvent(kOrigin, id + "-fix", c, admin));
        }
        if (r % 100 == 3) {
          ledger::v1::Event w;
          w.mutable_claim_retracted()->set_claim_id(id);
          w.mutable_claim_retracted()->set_reason("source withdrawn");
          follow.push_back(client::SignEvent(kOrigin, id + "-wd", w, admin));
        }
      }
      for (auto* events : {&asserts, &follow}) {
        if (events->empty()) continue;
        auto r = log->AppendAll(*events);
        if (!r.ok()) Die(r.status(), "append");
      }
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
}

// The process's peak resident memory (log scans, rebuilds and their batches included).
double PeakRssBytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU seconds used by the whole process (every thread, RocksDB's background threads included).
// On a shared host wall time depends on the neighbours; CPU time much less.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall = 0;
  double cpu = 0;
};

// The ceiling: scan the entries column family, decode every leaf, parse every event.
Timing RawScan(const store::LogStore& log) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  uint64_t n = 0, bytes = 0;
  absl::Status failed;
  absl::Status s = log.ScanEntries(0, log.Head().tree_size, [&](SequenceNumber, absl::string_view leaf) {
    absl::StatusOr<format::EntryView> v = format::DecodeLeafData(leaf);
    if (!v.ok()) {
      failed = v.status();
      return false;
    }
    absl::StatusOr<ledger::v1::Event> e = core::ParseStoredEvent(v->event);
    if (!e.ok()) {
      failed = e.status();
      return false;
    }
    bytes += e->ByteSizeLong() > 0;
    ++n;
    return true;
  });
  if (!s.ok()) Die(s, "raw scan");
  if (!failed.ok()) Die(failed, "raw scan");
  if (n != log.Head().tree_size || bytes != n) Die(absl::InternalError("short scan"), "raw scan");
  return Timing{Seconds(start), CpuSeconds() - cpu_start};
}

struct Rebuilt {
  Timing timing;
  // Until RocksDB's compactions have settled too (what a bulk load leaves to merge runs in the
  // background once Rebuild returns); the same as `timing` for the memory store.
  Timing settled;
  size_t views = 0;
  size_t lanes = 0;
};

Rebuilt Rebuild(const store::LogStore& log, const std::string& views_dir, size_t batch,
                bool memory, size_t write_buffer_mb, size_t lanes) {
  std::error_code ec;
  std::filesystem::remove_all(views_dir, ec);
  std::unique_ptr<views::ViewStore> store;
  views::RocksDbViewStore* rocks = nullptr;
  if (memory) {
    store = std::make_unique<views::MemoryViewStore>();
  } else {
    views::RocksDbViewStoreOptions o;
    o.write_buffer_bytes = write_buffer_mb << 20;
    auto db = views::RocksDbViewStore::Open(views_dir, o);
    if (!db.ok()) Die(db.status(), "views open");
    rocks = db->get();
    store = *std::move(db);
  }
  views::ViewEngineOptions options;
  options.bulk_batch_entries = batch;  // a rebuild writes bulk batches
  options.lanes = lanes;
  auto engine = views::ViewEngine::Open(std::move(store), views::DefaultProjections(), options);
  if (!engine.ok()) Die(engine.status(), "engine open");
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  absl::StatusOr<views::CatchUpResult> r = (*engine)->Rebuild(log);
  const Timing t{Seconds(start), CpuSeconds() - cpu_start};
  if (!r.ok()) Die(r.status(), "rebuild");
  if (rocks != nullptr) {
    const absl::Status w = rocks->WaitForCompactions();
    if (!w.ok()) Die(w, "waiting for compactions");
  }
  const Timing settled{Seconds(start), CpuSeconds() - cpu_start};
  if (r->watermark != log.Head().tree_size) Die(absl::InternalError("short rebuild"), "rebuild");
  const size_t views = (*engine)->ViewNames().size();
  return Rebuilt{t, settled, views, lanes > 0 ? std::min(lanes, views)
                                     : std::min<size_t>(views, std::max(1u, std::thread::hardware_concurrency()))};
}

int Main(int argc, char** argv) {
  uint64_t claims = 200000;
  int runs = 3;
  size_t batch = views::ViewEngineOptions().bulk_batch_entries;
  std::string dir;
  bool memory = false;
  size_t write_buffer_mb = 0;
  size_t lanes = 0;
  std::string log_db, out;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a == "--memory") {
      memory = true;
    } else if (absl::ConsumePrefix(&a, "--claims=")) {
      if (!absl::SimpleAtoi(a, &claims)) return 2;
    } else if (absl::ConsumePrefix(&a, "--runs=")) {
      if (!absl::SimpleAtoi(a, &runs) || runs < 1) return 2;
    } else if (absl::ConsumePrefix(&a, "--batch=")) {
      if (!absl::SimpleAtoi(a, &batch) || batch < 1) return 2;
    } else if (absl::ConsumePrefix(&a, "--write_buffer_mb=")) {
      if (!absl::SimpleAtoi(a, &write_buffer_mb)) return 2;
    } else if (absl::ConsumePrefix(&a, "--lanes=")) {
      if (!absl::SimpleAtoi(a, &lanes)) return 2;
    } else if (absl::ConsumePrefix(&a, "--log-db=")) {
      log_db = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--out=")) {
      out = std::string(a);
    } else if (absl::ConsumePrefix(&a, "--dir=")) {
      dir = std::string(a);
    } else {
      std::fprintf(stderr,
                   "usage: rebuild_bench [--claims=N] [--dir=D] [--runs=R] [--batch=B] "
                   "[--memory] [--write_buffer_mb=M] [--lanes=L] [--log-db=PATH] "
                   "[--out=FILE.json]\n");
      return 2;
    }
  }
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("rebuild_bench_", claims)).string();
  }
  std::filesystem::create_directories(dir);
  const std::string db_path = log_db.empty() ? datadir::LogDir(dir) : log_db;

  if (log_db.empty() && !std::filesystem::exists(db_path + "/CURRENT")) {
    store::RocksDbLogStoreOptions o;
    o.create_if_missing = true;
    auto store = store::RocksDbLogStore::Open(db_path, o);
    if (!store.ok()) Die(store.status(), "log open");
    core::LogIdentity identity;
    identity.origin = kOrigin;
    identity.log_public_key = Key(0x10).public_key();
    identity.admin_keys = {Key(0x20).public_key()};
    auto log = core::Log::Open(*std::move(store), identity, Key(0x10), core::LogOptions());
    if (!log.ok()) Die(log.status(), "log");
    const auto start = std::chrono::steady_clock::now();
    BuildLog(log->get(), claims);
    std::printf("built a log of %llu entries (%llu claims) in %.1f s\n",
                static_cast<unsigned long long>((*log)->Head().tree_size),
                static_cast<unsigned long long>(claims), Seconds(start));
  }
  store::RocksDbLogStoreOptions o;
  o.read_only = true;
  auto store = store::RocksDbLogStore::Open(db_path, o);
  if (!store.ok()) Die(store.status(), "log reopen");
  const double n = static_cast<double>((*store)->Head().tree_size);

  // Each run: the raw scan, the rebuild in --lanes lanes (default one per core), and the
  // rebuild in one lane (the same work on one applying thread: what the lanes buy).
  std::vector<Timing> raw, rebuild, settled, one_lane;
  size_t views = 0, lanes_used = 0;
  RawScan(**store);  // warm the page cache once
  for (int r = 0; r < runs; ++r) {
    raw.push_back(RawScan(**store));
    const Rebuilt rb = Rebuild(**store, datadir::ViewsDir(dir), batch, memory, write_buffer_mb, lanes);
    rebuild.push_back(rb.timing);
    settled.push_back(rb.settled);
    views = rb.views;
    lanes_used = rb.lanes;
    one_lane.push_back(
        Rebuild(**store, datadir::ViewsDir(dir), batch, memory, write_buffer_mb, 1).timing);
    std::printf("run %d: raw %.0f events/s (%.0f per CPU-s), rebuild %.0f events/s (%.0f per "
                "CPU-s), compactions settled %.0f events/s (%.0f per CPU-s), one lane %.0f "
                "events/s (%.0f per CPU-s)\n",
                r + 1, n / raw.back().wall, n / raw.back().cpu, n / rebuild.back().wall,
                n / rebuild.back().cpu, n / settled.back().wall, n / settled.back().cpu,
                n / one_lane.back().wall, n / one_lane.back().cpu);
  }
  auto median = [](std::vector<Timing> v, double Timing::*field) {
    std::sort(v.begin(), v.end(), [field](const Timing& a, const Timing& b) {
      return a.*field < b.*field;
    });
    return v[v.size() / 2].*field;
  };
  const double raw_rate = n / median(raw, &Timing::wall);
  const double rebuild_rate = n / median(rebuild, &Timing::wall);
  const double raw_cpu_rate = n / median(raw, &Timing::cpu);
  const double rebuild_cpu_rate = n / median(rebuild, &Timing::cpu);
  const double settled_rate = n / median(settled, &Timing::wall);
  const double settled_cpu_rate = n / median(settled, &Timing::cpu);
  const double one_lane_rate = n / median(one_lane, &Timing::wall);
  const double one_lane_cpu_rate = n / median(one_lane, &Timing::cpu);
  std::printf("entries                 %.0f\n", n);
  std::printf("raw scan+decode+parse   %.0f events/s, %.0f per CPU-second (medians of %d)\n",
              raw_rate, raw_cpu_rate, runs);
  std::printf("ViewEngine::Rebuild     %.0f events/s, %.0f per CPU-second (batch %zu, %zu views "
              "in %zu lanes, %s)\n",
              rebuild_rate, rebuild_cpu_rate, batch, views, lanes_used,
              memory ? "MemoryViewStore" : "RocksDbViewStore");
  std::printf("  compactions settled   %.0f events/s, %.0f per CPU-second\n", settled_rate,
              settled_cpu_rate);
  std::printf("  in one lane           %.0f events/s, %.0f per CPU-second\n", one_lane_rate,
              one_lane_cpu_rate);
  std::printf("ratio                   %.2f wall, %.2f CPU (goal >= 0.50)\n",
              rebuild_rate / raw_rate, rebuild_cpu_rate / raw_cpu_rate);
  if (!out.empty()) {
    nlohmann::json j = {
        {"entries", n},
        {"runs", runs},
        {"batch", batch},
        {"store", memory ? "memory" : "rocksdb"},
        {"raw_events_per_s", raw_rate},
        {"raw_events_per_cpu_s", raw_cpu_rate},
        {"rebuild_events_per_s", rebuild_rate},
        {"rebuild_events_per_cpu_s", rebuild_cpu_rate},
        {"views", views},
        {"lanes", lanes_used},
        {"settled_events_per_s", settled_rate},
        {"settled_events_per_cpu_s", settled_cpu_rate},
        {"one_lane_events_per_s", one_lane_rate},
        {"one_lane_events_per_cpu_s", one_lane_cpu_rate},
        {"ratio_wall", rebuild_rate / raw_rate},
        {"ratio_cpu", rebuild_cpu_rate / raw_cpu_rate},
        {"peak_rss_bytes", PeakRssBytes()},
    };
    std::FILE* f = std::fopen(out.c_str(), "w");
    if (f == nullptr) Die(absl::InternalError("cannot write " + out), "out");
    std::fputs(j.dump(2).c_str(), f);
    std::fclose(f);
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
