#include "bench/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/liar.h"
#include "ledger/base/clock.h"
#include "ledger/base/file_util.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/format/entry.h"

extern char** environ;

namespace ledger::bench {

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double MicrosBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

void Die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

// ---- flags ----

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!absl::StartsWith(a, "--")) Die("unexpected argument " + a);
    a = a.substr(2);
    size_t eq = a.find('=');
    if (eq == std::string::npos) {
      values_[a] = "true";
    } else {
      values_[a.substr(0, eq)] = a.substr(eq + 1);
    }
  }
}

std::string Flags::Str(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

double Flags::Num(const std::string& name, double def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  double v;
  if (!absl::SimpleAtod(it->second, &v)) Die("--" + name + ": not a number: " + it->second);
  return v;
}

bool Flags::Bool(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second != "false" && it->second != "0";
}

std::vector<int> Flags::Ints(const std::string& name, const std::vector<int>& def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
    int v;
    if (!absl::SimpleAtoi(part, &v)) Die("--" + name + ": not a list of integers");
    out.push_back(v);
  }
  return out;
}

// ---- claims ----
namespace {

// The lines of a TSV file (none when it cannot be read).
std::vector<std::string> ReadLines(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return {};
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A generated claim whose fields have LIAR-like sizes (statement ~60-300 characters).
ledger::v1::Event GeneratedClaim(uint64_t i) {
  static const char* kWords[] = {"the",     "state",  "budget", "increased", "percent", "jobs",
                                 "taxes",   "since",  "voted",  "against",   "billion", "health",
                                 "care",    "says",   "more",   "than",      "under",   "plan",
                                 "federal", "spending", "every", "year",     "workers", "energy"};
  const uint64_t r = Mix(i);
  ledger::v1::Event e;
  ledger::v1::Claim* c = e.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name(absl::StrCat("Speaker ", r % 3000));
  c->mutable_claimant()->set_role("State representative");
  c->mutable_claimant()->set_affiliation(r % 2 ? "democrat" : "republican");
  std::string text = "Says";
  const int words = 8 + static_cast<int>(Mix(r) % 40);
  for (int w = 0; w < words; ++w) {
    text += " ";
    text += kWords[Mix(r + w) % (sizeof(kWords) / sizeof(kWords[0]))];
  }
  text += ".";
  c->mutable_statement()->set_text(text);
  c->mutable_statement()->set_language("en");
  c->mutable_statement()->set_attribution(ledger::v1::PARAPHRASE);
  c->mutable_source()->set_url(absl::StrCat("https://news.example/statement/", r % 100000, "/"));
  c->mutable_source()->set_publisher("News Example");
  for (uint64_t t = 0; t < 1 + (r >> 32) % 3; ++t) c->add_topics(absl::StrCat("topic", (r >> (36 + 4 * t)) % 150));
  c->set_venue("a campaign speech");
  return e;
}

}  // namespace

ClaimTemplates LoadClaims(const std::string& liar_dir, size_t max_rows) {
  ClaimTemplates out;
  const int64_t now = Clock::Real()->NowMicros();
  auto add = [&](const ledger::v1::Event& e) {
    std::string bytes = client::SerializeEvent(e);
    if (!core::ParseAndValidateEvent(bytes, now).ok()) return;
    out.event_bytes.push_back(std::move(bytes));
  };
  size_t rows = 0;
  if (!liar_dir.empty()) {
    for (const char* file : {"train.tsv", "valid.tsv"}) {
      for (const std::string& line : ReadLines(liar_dir + "/" + file)) {
        if (max_rows != 0 && rows >= max_rows) break;
        // The claim `ledgerctl import --format liar` makes of the row (cli/liar.h).
        absl::StatusOr<std::vector<ledger::v1::EventDraft>> drafts = cli::LiarRowDrafts(line);
        if (!drafts.ok()) continue;
        ++rows;
        add((*drafts)[0].event());
      }
    }
  }
  if (!out.event_bytes.empty()) {
    out.source = absl::StrCat("LIAR statements (", out.event_bytes.size(), " of ", rows,
                              " rows of train.tsv + valid.tsv, cycled)");
  } else {
    const size_t n = max_rows == 0 ? 10000 : max_rows;
    for (size_t i = 0; i < n; ++i) add(GeneratedClaim(i));
    out.source = absl::StrCat("generated claims (", out.event_bytes.size(),
                              ", LIAR-like sizes; ../shared/data/liar absent)");
  }
  if (out.event_bytes.empty()) Die("no claim passed admission");
  double total = 0;
  for (const auto& b : out.event_bytes) total += b.size();
  out.mean_event_bytes = total / out.event_bytes.size();
  return out;
}

crypto::Ed25519PrivateKey BenchKey(uint8_t fill) {
  auto k = crypto::Ed25519PrivateKey::FromSeed(std::string(32, static_cast<char>(fill)));
  if (!k.ok()) Die("key");
  return *std::move(k);
}

std::vector<ledger::v1::SignedEvent> Presign(const ClaimTemplates& claims, const std::string& origin,
                                             const std::string& prefix, size_t first, size_t n,
                                             const crypto::Ed25519PrivateKey& key, int threads) {
  std::vector<ledger::v1::SignedEvent> out(n);
  threads = std::max(1, threads);
  auto work = [&](int t) {
    for (size_t i = t; i < n; i += threads) {
      const size_t k = first + i;
      out[i] = client::SignEventBytes(origin, absl::StrCat(prefix, k),
                                      claims.event_bytes[k % claims.event_bytes.size()], key);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
  return out;
}

ledger::v1::SignedEvent RegisterSubmitterEvent(const std::string& origin,
                                               const crypto::Ed25519PrivateKey& admin,
                                               const crypto::PublicKey& submitter) {
  ledger::v1::Event e;
  auto* reg = e.mutable_key_registered();
  reg->set_public_key(std::string(crypto::AsStringView(submitter)));
  reg->set_role(ledger::v1::KeyRegistered::SUBMITTER);
  reg->set_holder("benchmark submitter");
  return client::SignEvent(origin, "bench-register-submitter", e, admin);
}

// ---- statistics ----

namespace {
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(q * sorted.size()));
  if (i > 0) --i;
  return sorted[std::min(i, sorted.size() - 1)];
}
}  // namespace

LatencyStats Summarize(std::vector<double> v) {
  LatencyStats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double total = 0;
  for (double x : v) total += x;
  s.mean_us = total / v.size();
  s.p50_us = Percentile(v, 0.50);
  s.p90_us = Percentile(v, 0.90);
  s.p99_us = Percentile(v, 0.99);
  s.p999_us = Percentile(v, 0.999);
  s.max_us = v.back();
  return s;
}

nlohmann::json LatencyJson(const LatencyStats& s) {
  return {{"n", s.n},          {"mean_us", s.mean_us}, {"p50_us", s.p50_us}, {"p90_us", s.p90_us},
          {"p99_us", s.p99_us}, {"p999_us", s.p999_us}, {"max_us", s.max_us}};
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// ---- the ceiling ----

namespace {

struct Fixture {
  std::vector<crypto::PublicKey> keys;
  std::vector<crypto::Ed25519PrivateKey> private_keys;
  std::vector<std::string> messages;
  std::vector<std::string> signatures;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* f = new Fixture;
    for (int i = 0; i < 256; ++i) {
      crypto::Ed25519PrivateKey k = BenchKey(static_cast<uint8_t>(1 + i % 64));
      // The shape of a v1 signing input: prefix, origin, event id, SHA-256 of the event.
      std::string msg = format::EventSigningInput(kOrigin, absl::StrCat("ceiling-", i),
                                                  absl::StrCat("event bytes ", i));
      f->signatures.push_back(k.Sign(msg));
      f->keys.push_back(k.public_key());
      f->messages.push_back(std::move(msg));
      f->private_keys.push_back(std::move(k));
    }
    return f;
  }();
  return *f;
}

double MeasureRate(int threads, double seconds, const std::function<bool(size_t)>& op,
                   double* cpu_us_per_op = nullptr) {
  const double cpu0 = SelfCpuSeconds();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::atomic<bool> failed{false};
  const auto start = SteadyClock::now();
  auto work = [&](int t) {
    uint64_t n = 0;
    size_t i = t * 97;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int k = 0; k < 32; ++k, ++i, ++n) {
        if (!op(i % 256)) failed = true;
      }
    }
    total += n;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double elapsed = SecondsSince(start);
  if (failed) Die("a ceiling signature did not verify");
  if (cpu_us_per_op != nullptr) {
    *cpu_us_per_op = total.load() ? (SelfCpuSeconds() - cpu0) * 1e6 / total.load() : 0;
  }
  return total.load() / elapsed;
}

}  // namespace

double MeasureVerifyRate(int threads, double seconds, double* cpu_us_per_op) {
  const Fixture& f = GetFixture();
  return MeasureRate(
      threads, seconds,
      [&f](size_t i) { return crypto::Ed25519Verify(f.keys[i], f.messages[i], f.signatures[i]); },
      cpu_us_per_op);
}

double MeasureSignRate(int threads, double seconds) {
  const Fixture& f = GetFixture();
  return MeasureRate(threads, seconds, [&f](size_t i) {
    return f.private_keys[i].Sign(f.messages[i]).size() == 64;
  });
}

// ---- CPU, memory, disk ----

double SelfCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

namespace {

// Fields after the command name of /proc/<pid>/stat (field 3 onwards), or empty.
std::vector<std::string> StatFields(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return {};
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(line.substr(close + 2), ' ');
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  std::vector<std::string> f = StatFields(pid);
  if (f.size() < 13) return 0;
  // utime and stime are fields 14 and 15 of the stat line: indexes 11 and 12 here.
  double ticks = std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr);
  return ticks / sysconf(_SC_CLK_TCK);
}

double ProcessTreeCpuSeconds(pid_t pid) {
  double total = ProcessCpuSeconds(pid);
  DIR* d = opendir("/proc");
  if (d == nullptr) return total;
  while (struct dirent* e = readdir(d)) {
    int child;
    if (!absl::SimpleAtoi(e->d_name, &child)) continue;
    std::vector<std::string> f = StatFields(child);
    // ppid is field 4: index 1 here.
    if (f.size() > 12 && f[1] == std::to_string(pid)) {
      total += (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) /
               sysconf(_SC_CLK_TCK);
    }
  }
  closedir(d);
  return total;
}

MachineCpu ReadMachineCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double hz = sysconf(_SC_CLK_TCK);
  MachineCpu m;
  m.busy_s = (user + nice + system + irq + softirq + steal) / hz;
  m.total_s = m.busy_s + (idle + iowait) / hz;
  return m;
}

uint64_t ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field + ":")) {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

namespace {
void Walk(const std::string& path, const std::function<void(const struct stat&)>& fn) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  fn(st);
  if (!S_ISDIR(st.st_mode)) return;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    Walk(path + "/" + e->d_name, fn);
  }
  closedir(d);
}
}  // namespace

uint64_t DiskUsageBytes(const std::string& path) {
  uint64_t total = 0;
  Walk(path, [&](const struct stat& st) { total += static_cast<uint64_t>(st.st_blocks) * 512; });
  return total;
}

uint64_t ApparentBytes(const std::string& path) {
  uint64_t total = 0;
  Walk(path, [&](const struct stat& st) {
    if (S_ISREG(st.st_mode)) total += st.st_size;
  });
  return total;
}

CpuSnapshot TakeCpuSnapshot(pid_t server_pid, bool server_is_tree) {
  CpuSnapshot s;
  s.wall = SteadyClock::now();
  s.self_s = SelfCpuSeconds();
  if (server_pid > 0) {
    s.server_s = server_is_tree ? ProcessTreeCpuSeconds(server_pid) : ProcessCpuSeconds(server_pid);
  }
  s.machine = ReadMachineCpu();
  return s;
}

nlohmann::json CpuJson(const CpuSnapshot& a, const CpuSnapshot& b, uint64_t events) {
  const double wall = std::chrono::duration<double>(b.wall - a.wall).count();
  const double client = b.self_s - a.self_s;
  const double server = b.server_s - a.server_s;
  const double busy = b.machine.busy_s - a.machine.busy_s;
  nlohmann::json j = {{"wall_s", wall},
                      {"client_cpu_s", client},
                      {"server_cpu_s", server},
                      {"machine_busy_s", busy},
                      {"machine_cores", static_cast<int>(std::thread::hardware_concurrency())},
                      {"other_cpu_s", std::max(0.0, busy - client - server)}};
  j["client_share"] = client + server > 0 ? client / (client + server) : 0.0;
  if (events > 0) {
    j["server_cpu_us_per_event"] = server * 1e6 / events;
    j["client_cpu_us_per_event"] = client * 1e6 / events;
  }
  return j;
}

// ---- processes ----

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) Die(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  return pid;
}

int WaitFor(pid_t pid, struct rusage* usage) {
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) return -1;
  }
  if (usage != nullptr) *usage = ru;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int Run(const std::vector<std::string>& argv, const std::string& log_path, struct rusage* usage) {
  return WaitFor(Spawn(argv, log_path), usage);
}

// ---- output ----

void WriteFile(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text << std::flush;
    return;
  }
  if (absl::Status s = ledger::WriteFileAtomically(path, text); !s.ok()) {
    Die(std::string(s.message()));
  }
}

void WriteJson(const std::string& path, const nlohmann::json& j) { WriteFile(path, j.dump(2) + "\n"); }

std::map<int, ThreadCpu> ThreadCpuSeconds(pid_t pid) {
  std::map<int, ThreadCpu> out;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(task.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::vector<std::string> f = absl::StrSplit(line.substr(close + 2), ' ');
    if (f.size() < 13) continue;
    ThreadCpu t;
    t.name = line.substr(open + 1, close - open - 1);
    t.cpu_s = (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) /
              sysconf(_SC_CLK_TCK);
    out[std::atoi(task.path().filename().c_str())] = t;
  }
  return out;
}

std::string ThreadGroup(const std::string& name) {
  size_t end = name.size();
  while (end > 0 && (std::isdigit(static_cast<unsigned char>(name[end - 1])) ||
                     name[end - 1] == '-' || name[end - 1] == ':' || name[end - 1] == '_')) {
    --end;
  }
  return end == 0 ? name : name.substr(0, end);
}

void InitDataDir(const std::string& ledgerd, const std::string& data_dir,
                 const std::string& origin, const crypto::PublicKey& admin) {
  const std::string parent = std::filesystem::path(data_dir).parent_path().string();
  std::filesystem::create_directories(parent);
  if (!crypto::WritePublicKeyFile(parent + "/admin.key.pub", admin).ok()) {
    Die("cannot write the admin key");
  }
  if (Run({ledgerd, "init", "--data-dir", data_dir, "--origin", origin, "--admin-key",
           parent + "/admin.key.pub"},
          parent + "/ledgerd-init.log") != 0) {
    Die("ledgerd init failed; see " + parent + "/ledgerd-init.log");
  }
}

}  // namespace ledger::bench
