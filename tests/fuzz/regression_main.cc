// The regression driver of a fuzz target, for `bazel test` with the normal toolchain: runs
// LLVMFuzzerTestOneInput on every seed of the target's corpus and every saved crasher, then on
// deterministic pseudo-random mutations of them (the same ones every run).
//
//   NAME_regression --corpus=DIR [--regressions=DIR] [--mutations=N] [--seed=S] [--verbose]
//   NAME_regression FILE...        runs just these inputs (e.g. a crash artifact)
//
// Fails when the corpus directory is missing or empty. A target aborts on a broken invariant;
// the driver then names the input and, for a mutation, writes it to
// $TEST_UNDECLARED_OUTPUTS_DIR (or /tmp) as fuzz-crash-input so it can be replayed.
// Seeds named "valid-*" must be accepted by the target (fuzz_support.h, ExpectValid).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_support.h"

extern "C" void __sanitizer_set_report_fd(void* fd) __attribute__((weak));
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

struct Seed {
  std::string name;
  std::string bytes;
};

int g_out = 2;                   // the real stderr
const std::string* g_current = nullptr;  // the input being run
std::string g_current_name;

void Say(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(g_out, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Called on abort / a sanitizer's death: names the input and saves it.
void ReportCurrent() {
  static bool reported = false;
  if (reported || g_current == nullptr) return;
  reported = true;
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/fuzz-crash-input";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    (void)!::write(fd, g_current->data(), g_current->size());
    ::close(fd);
  }
  Say("==fuzz== the target crashed on " + g_current_name + " (" +
      std::to_string(g_current->size()) + " bytes), saved as " + path + "\n");
}

void OnSignal(int sig) {
  ReportCurrent();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The regular files of `dir`, sorted by name (hidden files skipped).
std::vector<Seed> ReadDir(const std::string& dir) {
  std::vector<Seed> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    const std::string path = dir + "/" + name;
    if (IsDirectory(path)) continue;
    out.push_back({name, ReadFile(path)});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Seed& a, const Seed& b) { return a.name < b.name; });
  return out;
}

// splitmix64: small, fast and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

constexpr size_t kMaxInput = 64 * 1024;

// One libFuzzer-style mutation step.
void MutateOnce(std::string* s, const std::vector<Seed>& pool, Rng* rng) {
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x30};
  switch (rng->Below(10)) {
    case 0:  // flip a bit
      if (!s->empty()) (*s)[rng->Below(s->size())] ^= static_cast<char>(1 << rng->Below(8));
      break;
    case 1:  // a random byte
      if (!s->empty()) (*s)[rng->Below(s->size())] = static_cast<char>(rng->Next());
      break;
    case 2:  // an interesting byte
      if (!s->empty()) {
        (*s)[rng->Below(s->size())] =
            static_cast<char>(kInteresting[rng->Below(sizeof(kInteresting))]);
      }
      break;
    case 3: {  // delete a range
      if (s->empty()) break;
      const size_t at = rng->Below(s->size());
      s->erase(at, 1 + rng->Below(16));
      break;
    }
    case 4: {  // insert random bytes
      std::string ins(1 + rng->Below(16), '\0');
      for (char& c : ins) c = static_cast<char>(rng->Next());
      s->insert(rng->Below(s->size() + 1), ins);
      break;
    }
    case 5: {  // copy a chunk elsewhere
      if (s->empty()) break;
      const size_t from = rng->Below(s->size());
      const std::string chunk = s->substr(from, 1 + rng->Below(32));
      s->insert(rng->Below(s->size() + 1), chunk);
      break;
    }
    case 6: {  // splice with another input
      const std::string& other = pool[rng->Below(pool.size())].bytes;
      const size_t keep = rng->Below(s->size() + 1);
      const size_t from = rng->Below(other.size() + 1);
      *s = s->substr(0, keep) + other.substr(from);
      break;
    }
    case 7:  // truncate
      s->resize(rng->Below(s->size() + 1));
      break;
    case 8: {  // an interesting big-endian integer of 2, 4 or 8 bytes
      if (s->empty()) break;
      const size_t width = size_t{2} << rng->Below(3);
      const uint64_t values[] = {0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff,
                                 ~uint64_t{0}, uint64_t{1} << 63, 1000, 65536};
      const uint64_t v = values[rng->Below(sizeof(values) / sizeof(values[0]))];
      const size_t at = rng->Below(s->size());
      for (size_t i = 0; i < width && at + i < s->size(); ++i) {
        (*s)[at + i] = static_cast<char>(v >> (8 * (width - 1 - i)));
      }
      break;
    }
    default:  // +-1 on a byte
      if (!s->empty()) (*s)[rng->Below(s->size())] += rng->Below(2) == 0 ? 1 : -1;
      break;
  }
  if (s->size() > kMaxInput) s->resize(kMaxInput);
}

void Run(const std::string& name, const std::string& bytes, bool expect_valid) {
  g_current = &bytes;
  g_current_name = name;
  ledger::fuzz::SetExpectValid(expect_valid);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ledger::fuzz::SetExpectValid(false);
  g_current = nullptr;
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  g_out = ::dup(2);
  std::string corpus_dir, regressions_dir;
  long mutations = 2000;
  uint64_t seed = 1;
  bool verbose = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (StartsWith(a, "--corpus=")) {
      corpus_dir = a.substr(9);
    } else if (StartsWith(a, "--regressions=")) {
      regressions_dir = a.substr(14);
    } else if (StartsWith(a, "--mutations=")) {
      mutations = std::atol(a.c_str() + 12);
    } else if (StartsWith(a, "--seed=")) {
      seed = std::strtoull(a.c_str() + 7, nullptr, 10);
    } else if (a == "--verbose") {
      verbose = true;
    } else if (StartsWith(a, "--")) {
      Say("unknown flag " + a + "\n");
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (const char* env = std::getenv("FUZZ_REGRESSION_MUTATIONS")) mutations = std::atol(env);

  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, OnSignal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(ReportCurrent);
  if (__sanitizer_set_report_fd != nullptr) {
    __sanitizer_set_report_fd(reinterpret_cast<void*>(static_cast<intptr_t>(g_out)));
  }
  if (!verbose) {
    // The code under test logs (e.g. a follower's findings); keep the test log readable.
    const int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
      ::close(null_fd);
    }
  }

  const auto start = std::chrono::steady_clock::now();
  if (!files.empty()) {
    for (const std::string& f : files) {
      const std::vector<Seed> seeds =
          IsDirectory(f) ? ReadDir(f) : std::vector<Seed>{{f, ReadFile(f)}};
      for (const Seed& s : seeds) {
        Say("running " + s.name + "\n");
        Run(s.name, s.bytes, false);
      }
    }
    Say("ok: ran " + std::to_string(files.size()) + " input(s)\n");
    return 0;
  }

  if (corpus_dir.empty()) {
    Say("usage: --corpus=DIR [--regressions=DIR] [--mutations=N] | FILE...\n");
    return 2;
  }
  const std::vector<Seed> corpus = ReadDir(corpus_dir);
  if (corpus.empty()) {
    Say("FAIL: the corpus " + corpus_dir + " is missing or empty\n");
    return 1;
  }
  std::vector<Seed> regressions;
  if (!regressions_dir.empty()) regressions = ReadDir(regressions_dir);

  size_t valid = 0;
  for (const Seed& s : corpus) {
    const bool expect_valid = StartsWith(s.name, "valid-");
    valid += expect_valid ? 1 : 0;
    Run("corpus/" + s.name, s.bytes, expect_valid);
  }
  for (const Seed& s : regressions) Run("regressions/" + s.name, s.bytes, false);

  std::vector<Seed> pool = corpus;
  pool.insert(pool.end(), regressions.begin(), regressions.end());
  Rng rng(seed);
  for (long i = 0; i < mutations; ++i) {
    const Seed& base = pool[rng.Below(pool.size())];
    std::string input = base.bytes;
    const size_t steps = 1 + rng.Below(4);
    for (size_t k = 0; k < steps; ++k) MutateOnce(&input, pool, &rng);
    Run("mutation " + std::to_string(i) + " of " + base.name + " (--seed=" +
            std::to_string(seed) + ")",
        input, false);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[256];
  std::snprintf(line, sizeof(line),
                "ok: %zu corpus inputs (%zu valid-), %zu regressions, %ld mutations in %.2f s\n",
                corpus.size(), valid, regressions.size(), mutations, seconds);
  Say(line);
  return 0;
}
