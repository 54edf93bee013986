// The cost of writing the checkpoint anchors before the acknowledgement (issue 15):
// core::Log appends through datadir::OpenLog, with the anchors written in the background after the
// answer (the default) and before it (OpenLogOptions::anchor_before_ack, `ledgerd serve
// --anchor-before-ack`), each without and with an external anchor directory (--anchor-dir).
//
//   anchor_bench --dir=DIR [--appends=2000] [--writers=1,8] [--anchor-dir=DIR2] [--out=FILE.json]
//
// Each mode appends pre-signed claims from W threads, one append per call (so a group commit
// holds at most W entries), into a fresh data directory, and reports the append latency
// (p50, p99) and appends per second. --anchor-dir puts the external anchors on another file
// system; by default they go next to the data directories (same disk: an upper bound for a
// separate one only if that one is no slower).
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/common.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/log.h"

namespace ledger::bench {
namespace {

struct Mode {
  std::string name;
  bool before_ack;
  bool external;
};

// Appends `events` from `writers` threads into a fresh data directory opened with `mode`.
nlohmann::json RunMode(const Mode& mode, const std::string& dir, const std::string& anchor_dir,
                       const std::vector<ledger::v1::SignedEvent>& events, int writers,
                       const crypto::Ed25519PrivateKey& admin) {
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(anchor_dir);
  std::filesystem::create_directories(anchor_dir);
  const std::string external = mode.external ? anchor_dir : "";
  if (absl::Status s = datadir::InitDataDir(dir, kOrigin, {admin.public_key()}, nullptr, external);
      !s.ok()) {
    Die("init " + dir + ": " + std::string(s.message()));
  }
  datadir::OpenLogOptions options;
  options.anchor_before_ack = mode.before_ack;
  options.external_anchor_dir = external;
  auto log = datadir::OpenLog(dir, options);
  if (!log.ok()) Die("OpenLog " + dir + ": " + std::string(log.status().message()));
  std::vector<std::vector<double>> micros(writers);
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (size_t i = w; i < events.size(); i += writers) {
        const auto t0 = SteadyClock::now();
        absl::StatusOr<core::AppendResult> r = (*log)->Append(events[i]);
        if (!r.ok()) Die("append: " + std::string(r.status().message()));
        micros[w].push_back(MicrosBetween(t0, SteadyClock::now()));
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = SecondsSince(start);
  std::vector<double> all;
  for (const auto& m : micros) all.insert(all.end(), m.begin(), m.end());
  const LatencyStats stats = Summarize(all);
  std::printf("%-32s writers %d: %8.0f appends/s  p50 %7.0f us  p99 %7.0f us\n",
              mode.name.c_str(), writers, events.size() / seconds, stats.p50_us, stats.p99_us);
  nlohmann::json j;
  j["mode"] = mode.name;
  j["writers"] = writers;
  j["appends_per_second"] = events.size() / seconds;
  j["latency"] = LatencyJson(stats);
  return j;
}

int Main(const Flags& flags) {
  const std::string dir = flags.Str("dir", "");
  if (dir.empty()) Die("--dir is required");
  const size_t appends = static_cast<size_t>(flags.Num("appends", 2000));
  const std::string anchor_dir = flags.Str("anchor-dir", dir + "/anchors");
  const crypto::Ed25519PrivateKey admin = BenchKey(0xa1);
  const ClaimTemplates claims = LoadClaims("");
  const std::vector<ledger::v1::SignedEvent> events =
      Presign(claims, kOrigin, "anchor-", 0, appends, admin, 2);
  const std::vector<Mode> modes = {
      {"anchor after ack (default)", false, false},
      {"anchor after ack, external", false, true},
      {"anchor before ack", true, false},
      {"anchor before ack, external", true, true},
  };
  nlohmann::json out = nlohmann::json::array();
  for (int writers : flags.Ints("writers", {1, 8})) {
    for (const Mode& mode : modes) {
      out.push_back(RunMode(mode, dir + "/data", anchor_dir, events, writers, admin));
    }
  }
  const std::string out_path = flags.Str("out", "");
  if (!out_path.empty()) WriteJson(out_path, out);
  std::filesystem::remove_all(dir + "/data");
  return 0;
}

}  // namespace
}  // namespace ledger::bench

int main(int argc, char** argv) {
  return ledger::bench::Main(ledger::bench::Flags(argc, argv));
}
