// log_bench: a large log, built the honest way, and what it costs to keep one.
//
//   log_bench --dir=DIR --entries=N --ledgerd=PATH [--writers=2] [--batch=1000] [--proof-seconds=2]
//             [--restart-runs=5] [--ceiling-seconds=2] [--max-build-seconds=S] [--liar-dir=DIR]
//             [--ledgerctl=PATH] [--proof-cache-mb=N] [--out=FILE.json]
//
// 1. Build: when DIR holds no data directory, `ledgerd init` creates one (admin key) and the
//    admin registers the submitter key. Then the log grows to N entries through core::Log::AppendAll in batches of
//    --batch pre-signed claims, from --writers threads: every signature is verified by the log,
//    every batch is one synced group commit, exactly as in ledgerd. An existing DIR is extended,
//    so one directory can be measured at 10k, 100k, 1M entries in turn. With --max-build-seconds
//    the log stops growing when that time is used up (on a busy machine), and everything below is
//    measured at the size reached.
// 2. Size: the data directory on disk (allocated and apparent bytes), per entry, after close.
// 3. Restart: datadir::OpenLog on the closed directory, once compactions have settled and the
//    newest SST file is older than the start-up check's 2-s window, --restart-runs times (the
//    first one also replays RocksDB's write-ahead log and verifies the SST files the build
//    wrote; the median of the others is the steady restart time).
// 4. Proofs: ProveInclusion (random entry, current tree) and ProveConsistency (random old size to
//    the current one) on 1 thread and on all cores, for --proof-seconds each; every 16th proof is
//    checked with the merkle verifier. Also CPU time per proof (all threads of this process).
//    The log fills its proof cache in the background after opening (core::ProofCache): the
//    time that takes, and the cache's memory, are reported, and proofs are measured after it
//    (steady state). --proof-cache-mb sets core::LogOptions::proof_cache_bytes (0: no cache).
// 5. Audit (with --ledgerctl): `ledgerctl verify --data-dir DIR`, timed, against the ceiling
//    measured just before it (the CLI runs audit::AuditLog, signatures on every core).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/common.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/log.h"
#include "ledger/datadir/layout.h"
#include "ledger/merkle/verify.h"
#include "ledger/store/rocksdb_log_store.h"

namespace ledger::bench {
namespace {

// --proof-cache-mb (LogOptions::proof_cache_bytes); unset: the default.
double g_proof_cache_mb = -1;

std::unique_ptr<core::Log> Open(const std::string& dir) {
  core::LogOptions options;
  if (g_proof_cache_mb >= 0) {
    options.proof_cache_bytes = static_cast<uint64_t>(g_proof_cache_mb * (1 << 20));
  }
  auto log = datadir::OpenLog(dir, options);
  if (!log.ok()) Die("OpenLog " + dir + ": " + std::string(log.status().message()));
  return *std::move(log);
}

int Main(const Flags& flags) {
  const std::string dir = flags.Str("dir", "");
  if (dir.empty()) Die("--dir is required");
  g_proof_cache_mb = flags.Num("proof-cache-mb", -1);
  const uint64_t target = static_cast<uint64_t>(flags.Num("entries", 200000));
  const int writers = static_cast<int>(flags.Num("writers", 2));
  const size_t batch = static_cast<size_t>(flags.Num("batch", 1000));
  const double proof_seconds = flags.Num("proof-seconds", 2);
  const int restart_runs = static_cast<int>(flags.Num("restart-runs", 5));
  const double ceiling_seconds = flags.Num("ceiling-seconds", 2);
  // Stop growing the log after this many seconds (0: no limit); the report gives the size reached.
  const double build_budget = flags.Num("max-build-seconds", 0);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  nlohmann::json out;

  crypto::Ed25519PrivateKey admin = BenchKey(0xa1);
  crypto::Ed25519PrivateKey submitter = BenchKey(0xb2);
  if (!std::filesystem::exists(datadir::IdentityFile(dir))) {
    // Initialised as an operator would: `ledgerd init`.
    const std::string ledgerd = flags.Str("ledgerd", "");
    if (ledgerd.empty()) Die("--ledgerd is required to initialise " + dir);
    InitDataDir(ledgerd, dir, kOrigin, admin.public_key());
    auto log = Open(dir);
    auto r = log->Append(RegisterSubmitterEvent(kOrigin, admin, submitter.public_key()));
    if (!r.ok()) Die("registering the submitter: " + std::string(r.status().message()));
  }

  // 1. Build.
  {
    ClaimTemplates claims = LoadClaims(flags.Str("liar-dir", ""));
    out["claims"] = claims.source;
    out["mean_event_bytes"] = claims.mean_event_bytes;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds);
    auto log = Open(dir);
    const uint64_t start_size = log->Head().tree_size;
    std::atomic<uint64_t> next{start_size};
    std::atomic<uint64_t> appended{0};
    std::atomic<double> append_wall{0};
    const auto start = SteadyClock::now();
    const CpuSnapshot a = TakeCpuSnapshot(0);
    std::atomic<bool> out_of_time{false};
    auto work = [&] {
      for (;;) {
        if (build_budget > 0 && SecondsSince(start) > build_budget) {
          out_of_time = true;
          return;
        }
        const uint64_t first = next.fetch_add(batch);
        if (first >= target) return;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(batch, target - first));
        std::vector<ledger::v1::SignedEvent> events =
            Presign(claims, kOrigin, "log-", first, n, submitter, 1);
        const auto t0 = SteadyClock::now();
        auto r = log->AppendAll(events);
        if (!r.ok()) Die("AppendAll: " + std::string(r.status().message()));
        double prev = append_wall.load();
        while (!append_wall.compare_exchange_weak(prev, prev + SecondsSince(t0))) {
        }
        const uint64_t done = appended.fetch_add(n) + n;
        if (done / 100000 != (done - n) / 100000) {
          std::fprintf(stderr, "log: %llu entries appended (%.0f/s)\n",
                       static_cast<unsigned long long>(start_size + done),
                       done / SecondsSince(start));
        }
      }
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < writers; ++w) pool.emplace_back(work);
    for (auto& t : pool) t.join();
    const double wall = SecondsSince(start);
    const CpuSnapshot b = TakeCpuSnapshot(0);
    const uint64_t added = appended.load();
    out["build"] = {{"from_size", start_size},
                    {"to_size", log->Head().tree_size},
                    {"entries_added", added},
                    {"seconds", wall},
                    {"entries_per_s", added ? added / wall : 0.0},
                    {"target_size", target},
                    {"stopped_by_time_budget", out_of_time.load()},
                    {"time_budget_s", build_budget},
                    {"ceiling_2t_per_s", ceiling},
                    {"note", "includes signing each event in the writer threads"},
                    {"cpu", CpuJson(a, b, added)}};
    if (out_of_time) {
      std::fprintf(stderr, "log: stopped growing at %llu of %llu entries: the %.0f s budget is used\n",
                   static_cast<unsigned long long>(log->Head().tree_size),
                   static_cast<unsigned long long>(target), build_budget);
    }
    if (added) {
      std::fprintf(stderr, "log: built %llu -> %llu entries in %.1f s (%.0f/s incl. signing)\n",
                   static_cast<unsigned long long>(start_size),
                   static_cast<unsigned long long>(log->Head().tree_size), wall, added / wall);
    }
  }

  // 2. Size on disk after a clean close.
  uint64_t size = 0;
  {
    auto log = Open(dir);
    size = log->Head().tree_size;
  }
  out["tree_size"] = size;
  const uint64_t disk = DiskUsageBytes(dir);
  const uint64_t apparent = ApparentBytes(dir);
  out["disk"] = {{"disk_bytes", disk},
                 {"apparent_bytes", apparent},
                 {"disk_bytes_per_entry", static_cast<double>(disk) / size},
                 {"apparent_bytes_per_entry", static_cast<double>(apparent) / size}};

  // 3. Restart, on a settled directory: the compactions the build left pending have run, and
  // every SST file is older than the start-up check's 2-s "racily clean" window
  // (datadir::VerifySstFiles), so the first open below verifies and records the files the build
  // wrote and the others are the steady restart. Unsettled, every open would verify the newest
  // files again, and the figure would measure the last writes, not the log's length.
  {
    auto db = store::RocksDbLogStore::Open(datadir::LogDir(dir), store::RocksDbLogStoreOptions());
    absl::Status settled = db.ok() ? (*db)->FlushAndSettle() : db.status();
    if (!settled.ok()) {
      std::fprintf(stderr, "log: cannot settle %s: %s\n", dir.c_str(),
                   std::string(settled.message()).c_str());
      return 1;
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  {
    std::vector<double> opens;
    std::vector<double> closes;
    for (int r = 0; r < restart_runs; ++r) {
      const auto t0 = SteadyClock::now();
      auto log = Open(dir);
      opens.push_back(SecondsSince(t0));
      const auto t1 = SteadyClock::now();
      log.reset();
      closes.push_back(SecondsSince(t1));
    }
    std::vector<double> rest(opens.begin() + (opens.size() > 1 ? 1 : 0), opens.end());
    out["restart"] = {{"open_first_s", opens.front()},
                      {"open_median_s", Median(rest)},
                      {"open_runs_s", opens},
                      {"close_median_s", Median(closes)}};
    std::fprintf(stderr, "log: %llu entries: OpenLog first %.1f ms, median %.1f ms\n",
                 static_cast<unsigned long long>(size), opens.front() * 1e3, Median(rest) * 1e3);
  }

  // 4. Proofs.
  {
    const auto open_start = SteadyClock::now();
    auto log = Open(dir);
    const double open_s = SecondsSince(open_start);
    const auto warm_start = SteadyClock::now();
    const double warm_cpu_start = SelfCpuSeconds();
    log->proof_cache().WaitForWarmUp();
    out["proof_cache"] = {{"open_s", open_s},
                          {"warm_up_s", SecondsSince(warm_start)},
                          {"warm_up_cpu_s", SelfCpuSeconds() - warm_cpu_start},
                          {"bytes", log->proof_cache().memory_bytes()},
                          {"min_level", log->proof_cache().min_level()}};
    std::fprintf(stderr, "log: proof cache filled %.2f s after open (%.2f s CPU): %.1f MiB, "
                 "levels >= %u\n",
                 SecondsSince(warm_start), SelfCpuSeconds() - warm_cpu_start,
                 log->proof_cache().memory_bytes() / 1048576.0, log->proof_cache().min_level());
    const store::LogHead head = log->Head();
    nlohmann::json proofs = nlohmann::json::array();
    for (const std::string kind : {"inclusion", "consistency"}) {
      for (int threads : {1, cores}) {
        std::atomic<bool> stop{false};
        std::atomic<uint64_t> done{0}, bad{0};
        std::vector<std::vector<double>> lat(threads);
        auto work = [&](int t) {
          std::mt19937_64 rng(99 + t);
          std::uniform_int_distribution<uint64_t> pick(0, head.tree_size - 1);
          uint64_t n = 0;
          while (!stop.load(std::memory_order_relaxed)) {
            const uint64_t x = pick(rng);
            const auto t0 = SteadyClock::now();
            bool ok;
            if (kind == "inclusion") {
              auto p = log->ProveInclusion(x, 0);
              lat[t].push_back(MicrosBetween(t0, SteadyClock::now()));
              ok = p.ok() && (n % 16 != 0 || merkle::VerifyInclusion(x, p->tree_size, p->leaf_hash,
                                                                     p->hashes, head.root_hash)
                                                 .ok());
            } else {
              auto p = log->ProveConsistency(1 + x, 0);
              lat[t].push_back(MicrosBetween(t0, SteadyClock::now()));
              ok = p.ok() && p->to_root_hash == head.root_hash &&
                   (n % 16 != 0 || merkle::VerifyConsistency(1 + x, p->to_tree_size,
                                                             p->from_root_hash, p->to_root_hash,
                                                             p->hashes)
                                       .ok());
            }
            ++n;
            if (!ok) ++bad;
          }
          done += n;
        };
        const auto start = SteadyClock::now();
        const double cpu_start = SelfCpuSeconds();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
        std::this_thread::sleep_for(std::chrono::duration<double>(proof_seconds));
        stop = true;
        for (auto& t : pool) t.join();
        const double elapsed = SecondsSince(start);
        // CPU per proof (this process, all threads; includes the 1-in-16 verification): less
        // sensitive than proofs/s to what else the shared machine runs.
        const double cpu_us = (SelfCpuSeconds() - cpu_start) * 1e6 / std::max<uint64_t>(1, done);
        std::vector<double> all;
        for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
        const LatencyStats st = Summarize(all);
        proofs.push_back({{"kind", kind},
                          {"threads", threads},
                          {"per_s", done.load() / elapsed},
                          {"failed", bad.load()},
                          {"cpu_us_per_proof", cpu_us},
                          {"latency", LatencyJson(st)}});
        std::fprintf(stderr,
                     "log: %s proofs, %d thread(s): %.0f/s, p50 %.1f us, p99 %.1f us, "
                     "%.1f us CPU/proof%s\n",
                     kind.c_str(), threads, done.load() / elapsed, st.p50_us, st.p99_us, cpu_us,
                     bad.load() ? " (SOME FAILED)" : "");
      }
    }
    out["proofs"] = proofs;
  }

  // 5. Audit.
  const std::string ledgerctl = flags.Str("ledgerctl", "");
  if (!ledgerctl.empty()) {
    double verify_cpu_us = 0;
    const double ceiling = MeasureVerifyRate(cores, ceiling_seconds, &verify_cpu_us);
    struct rusage ru;
    const auto t0 = SteadyClock::now();
    const std::string log_path = dir + ".verify.log";
    const int rc = Run({ledgerctl, "verify", "--data-dir", dir, "--json"}, log_path, &ru);
    const double wall = SecondsSince(t0);
    const double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                       ru.ru_stime.tv_usec / 1e6;
    out["audit_ledgerctl"] = {{"exit_code", rc},
                              {"seconds", wall},
                              {"entries_per_s", size / wall},
                              {"ceiling_2t_per_s", ceiling},
                              {"ratio_to_ceiling", size / wall / ceiling},
                              {"cpu_s", cpu},
                              {"cpu_us_per_entry", cpu * 1e6 / size},
                              {"verify_cpu_us", verify_cpu_us},
                              {"max_rss_bytes", static_cast<uint64_t>(ru.ru_maxrss) * 1024}};
    std::fprintf(stderr, "log: ledgerctl verify of %llu entries: %.1f s = %.0f/s = %.2f x ceiling "
                 "(%.0f/s), exit %d\n",
                 static_cast<unsigned long long>(size), wall, size / wall, size / wall / ceiling,
                 ceiling, rc);
    if (rc != 0) Die("ledgerctl verify failed; see " + log_path);
  }
  WriteJson(flags.Str("out", ""), out);
  return 0;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  ledger::bench::Flags flags(argc, argv);
  return ledger::bench::Main(flags);
}
