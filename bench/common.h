// Helpers shared by the benchmark binaries (bench/README.md). Nothing here is timed itself.
#ifndef BENCH_COMMON_H_
#define BENCH_COMMON_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ledger/crypto/ed25519.h"
#include "nlohmann/json.hpp"
#include "ledger/v1/claim.pb.h"

namespace ledger::bench {

inline constexpr char kOrigin[] = "bench.example/factledger";

using SteadyClock = std::chrono::steady_clock;
double SecondsSince(SteadyClock::time_point start);
double MicrosBetween(SteadyClock::time_point a, SteadyClock::time_point b);

[[noreturn]] void Die(const std::string& what);

// ---- flags: --name=value, --name (boolean) ----
class Flags {
 public:
  Flags(int argc, char** argv);
  std::string Str(const std::string& name, const std::string& def) const;
  double Num(const std::string& name, double def) const;
  bool Bool(const std::string& name) const;
  std::vector<int> Ints(const std::string& name, const std::vector<int>& def) const;

 private:
  std::map<std::string, std::string> values_;
};

// ---- claims ----
// Claim events (claim_asserted) to sign. From LIAR (train.tsv + valid.tsv of `liar_dir`, the
// claims cli/liar.h maps its rows to) when that directory exists, else generated claims with a
// similar size distribution. Every template passed the ledger's own admission check.
struct ClaimTemplates {
  std::string source;                    // "LIAR (N rows)" or "generated (N)"
  std::vector<std::string> event_bytes;  // serialised ledger.v1.Event, canonical
  double mean_event_bytes = 0;
};
ClaimTemplates LoadClaims(const std::string& liar_dir, size_t max_rows = 0);

// Deterministic keys for the benchmarks (never for anything else).
crypto::Ed25519PrivateKey BenchKey(uint8_t fill);

// Signs events [first, first + n) of the template cycle with event ids `prefix` + index, on
// `threads` threads. Ids are distinct for distinct (prefix, index).
std::vector<ledger::v1::SignedEvent> Presign(const ClaimTemplates& claims, const std::string& origin,
                                             const std::string& prefix, size_t first, size_t n,
                                             const crypto::Ed25519PrivateKey& key, int threads);

// The key_registered event (SUBMITTER) of `submitter`, signed by `admin`.
ledger::v1::SignedEvent RegisterSubmitterEvent(const std::string& origin,
                                               const crypto::Ed25519PrivateKey& admin,
                                               const crypto::PublicKey& submitter);

// ---- statistics ----
struct LatencyStats {
  size_t n = 0;
  double mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};
LatencyStats Summarize(std::vector<double> micros);
nlohmann::json LatencyJson(const LatencyStats& s);
double Median(std::vector<double> v);

// ---- the ceiling ----
// Ed25519Verify calls per second over `threads` threads for about `seconds` (valid signatures
// over 100-byte signing inputs under 64 distinct keys).
// When `cpu_us_per_op` is given it receives the CPU time (this process, user + system) per
// verification: unlike the rate, it hardly depends on how busy the rest of the machine is.
double MeasureVerifyRate(int threads, double seconds, double* cpu_us_per_op = nullptr);
// Ed25519PrivateKey::Sign calls per second, same shape.
double MeasureSignRate(int threads, double seconds);

// ---- CPU, memory, disk ----
double SelfCpuSeconds();                 // user + system of this process (all threads)
double ProcessCpuSeconds(pid_t pid);     // user + system of `pid` (all threads), /proc
// `pid` and its direct children (e.g. a postmaster and its backends).
double ProcessTreeCpuSeconds(pid_t pid);
struct MachineCpu {
  double busy_s = 0;   // summed over all cores
  double total_s = 0;
};
MachineCpu ReadMachineCpu();
uint64_t ProcStatusKb(pid_t pid, const std::string& field);  // e.g. "VmRSS", "VmHWM"
uint64_t DiskUsageBytes(const std::string& path);             // allocated blocks, like du
uint64_t ApparentBytes(const std::string& path);              // file sizes, like du -b

// Snapshot of CPU use, to report a phase's CPU per process.
struct CpuSnapshot {
  SteadyClock::time_point wall;
  double self_s = 0;
  double server_s = 0;
  MachineCpu machine;
};
CpuSnapshot TakeCpuSnapshot(pid_t server_pid, bool server_is_tree = false);
// wall_s, client_cpu_s, server_cpu_s, machine_busy_s, other_cpu_s (everyone else on the machine),
// client_share = client / (client + server), server_cpu_us_per_event, client_cpu_us_per_event.
nlohmann::json CpuJson(const CpuSnapshot& a, const CpuSnapshot& b, uint64_t events);

// ---- threads ----
// The CPU seconds of each thread of `pid` (by thread id; getpid() for this process), and its
// name, from /proc/<pid>/task/*/stat.
struct ThreadCpu {
  std::string name;
  double cpu_s = 0;
};
std::map<int, ThreadCpu> ThreadCpuSeconds(pid_t pid);
// The group a thread name belongs to in a breakdown: its name without a trailing number
// ("views-claims", "sequencer", "check", "grpcpp_sync_ser", "rocksdb:low", ...).
std::string ThreadGroup(const std::string& name);

// ---- processes ----
// Starts argv[0] with stdout and stderr appended to `log_path`. Dies when it cannot.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path);
// Waits for `pid`; returns its exit code (128 + signal when killed). Fills `usage` if given.
int WaitFor(pid_t pid, struct rusage* usage = nullptr);
int Run(const std::vector<std::string>& argv, const std::string& log_path,
        struct rusage* usage = nullptr);
// `ledgerd init` of `data_dir` for origin `origin` with `admin` as its genesis admin key, as an
// operator would: the key's public file and the init log go to data_dir's parent. Dies on failure.
void InitDataDir(const std::string& ledgerd, const std::string& data_dir,
                 const std::string& origin, const crypto::PublicKey& admin);

// ---- output ----
// Writes `text` to `path` (or stdout when path is empty), dying on failure.
void WriteFile(const std::string& path, const std::string& text);
void WriteJson(const std::string& path, const nlohmann::json& j);

}  // namespace ledger::bench

#endif  // BENCH_COMMON_H_
