// ceiling_bench: the physical limit of verified ingest on this machine, measured in the run that
// uses it (bench/README.md): libsodium Ed25519 verifications per second through the
// project's one verifier, crypto::Ed25519Verify, on 1 and 2 threads; and signatures per second.
//
//   ceiling_bench [--seconds=3] [--repeats=3] [--out=FILE.json]
//
// Each figure is the median of --repeats runs of --seconds each (interleaved, so that a burst of
// load from other processes hits every figure alike).
#include <thread>
#include <vector>

#include "bench/common.h"

int main(int argc, char** argv) {
  using namespace ledger::bench;
  Flags flags(argc, argv);
  const double seconds = flags.Num("seconds", 3);
  const int repeats = static_cast<int>(flags.Num("repeats", 3));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<double> v1, v2, s1, s2, cpu;
  for (int r = 0; r < repeats; ++r) {
    double c = 0;
    v1.push_back(MeasureVerifyRate(1, seconds, &c));
    cpu.push_back(c);
    v2.push_back(MeasureVerifyRate(2, seconds));
    s1.push_back(MeasureSignRate(1, seconds / 2));
    s2.push_back(MeasureSignRate(2, seconds / 2));
  }
  nlohmann::json j = {
      {"cores", cores},
      {"verify_1t_per_s", Median(v1)},
      {"verify_2t_per_s", Median(v2)},
      {"sign_1t_per_s", Median(s1)},
      {"sign_2t_per_s", Median(s2)},
      {"verify_1t_runs", v1},
      {"verify_2t_runs", v2},
      {"verify_us_per_op_1t", 1e6 / Median(v1)},
      {"verify_cpu_us_per_op", Median(cpu)},
      {"seconds_per_run", seconds},
  };
  WriteJson(flags.Str("out", ""), j);
  std::fprintf(stderr, "ceiling: verify %.0f/s (1 thread), %.0f/s (2 threads); sign %.0f/s, %.0f/s\n",
               Median(v1), Median(v2), Median(s1), Median(s2));
  return 0;
}
