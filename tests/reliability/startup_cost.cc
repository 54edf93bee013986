// Measures what start-up costs on a log of a given size: opening the store, verifying every SST
// block checksum (what datadir::OpenLog did at every start before it verified only the SST files
// new or written since they last verified clean, ledger/datadir/sst_verification.h), and the whole
// OpenLog (the first run also verifies and records every file). For docs/reliability.md; not a
// test.
//
// Usage: startup_cost --dir DIR [--entries N]   (DIR is created, or reused if it holds a log)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "tests/reliability/test_data_dir.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  uint64_t entries = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--entries" && !absl::SimpleAtoi(argv[i + 1], &entries)) return 2;
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: startup_cost --dir DIR [--entries N]\n");
    return 2;
  }
  using ledger::reliability::TestEvent;
  if (!std::filesystem::exists(ledger::datadir::IdentityFile(dir))) {
    if (!ledger::reliability::InitTestDataDir(dir).ok()) return 1;
    auto log = ledger::datadir::OpenLog(dir, ledger::core::LogOptions());
    if (!log.ok()) return 1;
    for (uint64_t done = 0; done < entries;) {
      std::vector<ledger::v1::SignedEvent> batch;
      for (int i = 0; i < 1000 && done < entries; ++i, ++done) {
        batch.push_back(TestEvent(absl::StrCat("e-", done)));
      }
      auto r = (*log)->AppendAll(batch);
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        return 1;
      }
    }
  }
  uint64_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(ledger::datadir::LogDir(dir))) {
    if (f.path().extension() == ".sst") bytes += f.file_size();
  }
  auto t0 = std::chrono::steady_clock::now();
  auto store = ledger::datadir::OpenStoreReadOnly(dir);
  if (!store.ok()) return 1;
  const double open_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  if (!(*store)->VerifyStorageChecksums().ok()) return 1;
  const double verify_s = Seconds(t0);
  const uint64_t size = (*store)->Head().tree_size;
  store->reset();
  t0 = std::chrono::steady_clock::now();
  auto log = ledger::datadir::OpenLog(dir, ledger::core::LogOptions());
  if (!log.ok()) return 1;
  const double openlog_s = Seconds(t0);
  std::printf(
      "%llu entries, %.1f MB of SST files: store open %.3f s, checksum verification %.3f s "
      "(%.0f MB/s), OpenLog in total %.3f s\n",
      static_cast<unsigned long long>(size), bytes / 1e6, open_s, verify_s,
      bytes / 1e6 / verify_s, openlog_s);
  return 0;
}
