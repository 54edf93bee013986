// append_bench: the CPU the log's append path costs per event, in process (no gRPC, no views),
// by thread: the callers (admission: parsing, checks, verification, batch assembly), the
// "check" helpers, the sequencer (staging and commit), RocksDB's background threads and the
// anchor writer. The gRPC ingest modes (ingest_bench) add the RPC layer and the views on top.
//
//   append_bench --ledgerd=PATH --dir=DIR [--mode=signed-batch|batch] [--clients=8]
//                [--requests=300] [--batch=100] [--out=FILE.json]
//
// DIR must not exist: it is initialised (`ledgerd init`), the admin registers a submitter key,
// and every request is signed before the clock starts (distinct event ids). Then --clients
// threads append --requests requests of --batch events: AppendSignedBatch (one signature per
// request) or AppendAll (one signature per event).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/common.h"
#include "ledger/base/thread_name.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/log.h"

namespace ledger::bench {
namespace {

// CPU seconds of this process's threads, by thread group.
std::map<std::string, double> CpuByThreadGroup() {
  std::map<std::string, double> out;
  for (const auto& [tid, t] : ThreadCpuSeconds(getpid())) out[ThreadGroup(t.name)] += t.cpu_s;
  return out;
}

int Main(const Flags& flags) {
  const std::string dir = flags.Str("dir", "");
  const std::string ledgerd = flags.Str("ledgerd", "");
  if (dir.empty() || ledgerd.empty()) Die("--dir and --ledgerd are required");
  if (std::filesystem::exists(dir)) Die(dir + " exists");
  const std::string mode = flags.Str("mode", "signed-batch");
  const int clients = static_cast<int>(flags.Num("clients", 8));
  const size_t requests = static_cast<size_t>(flags.Num("requests", 300));
  const size_t batch = static_cast<size_t>(flags.Num("batch", 100));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  crypto::Ed25519PrivateKey admin = BenchKey(0xa1);
  crypto::Ed25519PrivateKey submitter = BenchKey(0xb2);
  InitDataDir(ledgerd, dir, kOrigin, admin.public_key());
  auto opened = datadir::OpenLog(dir, core::LogOptions());
  if (!opened.ok()) Die("OpenLog: " + std::string(opened.status().message()));
  std::unique_ptr<core::Log> log = *std::move(opened);
  if (auto r = log->Append(RegisterSubmitterEvent(kOrigin, admin, submitter.public_key()));
      !r.ok()) {
    Die("registering the submitter: " + std::string(r.status().message()));
  }

  ClaimTemplates claims = LoadClaims(flags.Str("liar-dir", ""));
  std::vector<ledger::v1::SignedEvent> events =
      Presign(claims, kOrigin, "ab-", 0, requests * batch, submitter, cores);
  std::vector<ledger::v1::SignedBatch> signed_batches;
  std::vector<std::vector<ledger::v1::SignedEvent>> event_batches;
  for (size_t r = 0; r < requests; ++r) {
    if (mode == "signed-batch") {
      std::vector<std::pair<std::string, std::string>> members;
      for (size_t k = 0; k < batch; ++k) {
        const auto& e = events[r * batch + k];
        members.emplace_back(e.event_id(), e.event());
      }
      signed_batches.push_back(
          client::SignBatch(kOrigin, absl::StrCat("ab-batch-", r), members, submitter));
    } else {
      event_batches.emplace_back(events.begin() + r * batch, events.begin() + (r + 1) * batch);
    }
  }
  events.clear();

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> errors{0};
  const std::map<std::string, double> before = CpuByThreadGroup();
  const double cpu_before = SelfCpuSeconds();
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      SetCurrentThreadName("caller");
      for (size_t r; (r = next.fetch_add(1)) < requests;) {
        const bool ok = mode == "signed-batch" ? log->AppendSignedBatch(signed_batches[r]).ok()
                                               : log->AppendAll(event_batches[r]).ok();
        if (!ok) errors.fetch_add(1);
      }
    });
  }
  // A thread's CPU leaves /proc/self/task when it ends: the callers' CPU is read as the
  // remainder of the process total.
  for (auto& t : threads) t.join();
  const double wall = SecondsSince(start);
  const double cpu_total = SelfCpuSeconds() - cpu_before;
  const std::map<std::string, double> after = CpuByThreadGroup();
  const double n = static_cast<double>(requests * batch);
  nlohmann::json by_thread = nlohmann::json::object();
  double seen = 0;
  for (const auto& [group, cpu] : after) {
    auto it = before.find(group);
    const double d = cpu - (it == before.end() ? 0.0 : it->second);
    if (d <= 0) continue;
    seen += d;
    by_thread[group] = d * 1e6 / n;
  }
  by_thread["caller (admission)"] = std::max(0.0, cpu_total - seen) * 1e6 / n;
  nlohmann::json out = {{"mode", mode},
                        {"clients", clients},
                        {"events", n},
                        {"errors", errors.load()},
                        {"wall_s", wall},
                        {"events_per_s", n / wall},
                        {"cpu_us_per_event", cpu_total * 1e6 / n},
                        {"cpu_us_per_event_by_thread", by_thread}};
  std::fprintf(stderr, "append_bench %s@%d: %.0f events/s, %.1f CPU us/event: %s\n", mode.c_str(),
               clients, n / wall, cpu_total * 1e6 / n, by_thread.dump().c_str());
  WriteJson(flags.Str("out", ""), out);
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  ledger::bench::Flags flags(argc, argv);
  return ledger::bench::Main(flags);
}
