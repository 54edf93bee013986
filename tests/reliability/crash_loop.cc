// The kill -9 loop (docs/reliability.md, "kill -9 loop"): the real ledgerd under concurrent appends from
// several gRPC clients, killed with SIGKILL at a random moment, restarted, and checked.
//
// Each cycle:
//   1. the writers append (single events, atomic batches of 3, and requests that must be
//      refused: a bad signature, a reused event id with other bytes) for a random time;
//   2. SIGKILL; every request answered OK is recorded with its sequence and leaf hash, every
//      request without an answer is "unanswered";
//   3. the data directory is checked with the invariant checker (invariants 1-4, 6, 7, 9) and
//      with `ledgerctl verify --data-dir`;
//   4. ledgerd is restarted (it must start: the anchor check must pass) and every unanswered
//      request is retried with the same event ids and bytes: it must return the original
//      sequence when it had been committed (duplicate), or append once when it had not;
//      a few acknowledged events are retried too (duplicates at their sequence).
// Every few cycles (--cycles-per-dir) a fresh data directory is started, so that the audit of
// each cycle stays short in long runs; the last cycle of each directory ends with a clean
// SIGTERM, after which the anchor must be at the head.
//
// Usage: crash_loop --ledgerd PATH --ledgerctl PATH [--cycles 50] [--seed 20260101]
//                   [--writers 4] [--cycles-per-dir 25] [--min-run-ms 20] [--max-run-ms 250]
//                   [--work-dir DIR] [--verbose]
// Exit 0 when every cycle held every invariant; 1 otherwise (the first failures are printed).
// The seed fixes the schedule (run times, request mix, event bytes); thread interleavings and
// kill moments still vary from run to run, so a failure is reported with its cycle and data
// directory (kept) for inspection.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/crypto/sha256.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/testing/test_log.h"
#include "tests/testing/child_process.h"
#include "tests/reliability/invariants.h"

namespace ledger::reliability {
namespace {

namespace v1 = ledger::v1;

struct Flags {
  std::string ledgerd;
  std::string ledgerctl;
  int cycles = 50;
  uint64_t seed = 20260101;
  int writers = 4;
  int cycles_per_dir = 25;
  int min_run_ms = 20;
  int max_run_ms = 250;
  std::string work_dir;
  bool verbose = false;
};

// The running ledgerd, killed if the loop itself is interrupted (SIGINT, SIGTERM), so that no
// server outlives it.
std::atomic<pid_t> g_server_pid{0};

void OnInterrupt(int sig) {
  const pid_t pid = g_server_pid.load();
  if (pid > 0) ::kill(pid, SIGKILL);
  ::_exit(128 + sig);
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--verbose" && i + 1 < argc) {
      value = argv[++i];
    }
    bool ok = true;
    if (arg == "--ledgerd") {
      f->ledgerd = value;
    } else if (arg == "--ledgerctl") {
      f->ledgerctl = value;
    } else if (arg == "--cycles") {
      ok = absl::SimpleAtoi(value, &f->cycles);
    } else if (arg == "--seed") {
      ok = absl::SimpleAtoi(value, &f->seed);
    } else if (arg == "--writers") {
      ok = absl::SimpleAtoi(value, &f->writers);
    } else if (arg == "--cycles-per-dir") {
      ok = absl::SimpleAtoi(value, &f->cycles_per_dir);
    } else if (arg == "--min-run-ms") {
      ok = absl::SimpleAtoi(value, &f->min_run_ms);
    } else if (arg == "--max-run-ms") {
      ok = absl::SimpleAtoi(value, &f->max_run_ms);
    } else if (arg == "--work-dir") {
      f->work_dir = value;
    } else if (arg == "--verbose") {
      f->verbose = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "crash_loop: bad flag " << argv[i] << "\n";
      return false;
    }
  }
  if (f->ledgerd.empty() || f->ledgerctl.empty() || f->cycles < 1 || f->writers < 1 ||
      f->cycles_per_dir < 1 || f->min_run_ms < 0 || f->max_run_ms < f->min_run_ms) {
    std::cerr << "usage: crash_loop --ledgerd PATH --ledgerctl PATH [--cycles N] [--seed S] "
                 "[--writers W] [--cycles-per-dir C] [--min-run-ms A] [--max-run-ms B] "
                 "[--work-dir DIR] [--verbose]\n";
    return false;
  }
  return true;
}

Hash ToHash(const std::string& bytes) {
  Hash h{};
  if (bytes.size() == h.size()) std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

// A request sent without an answer: retried after the restart.
struct Unanswered {
  std::vector<v1::SignedEvent> events;  // one, or the events of an atomic batch
  bool batch = false;
};

struct Totals {
  uint64_t acked = 0;
  uint64_t refused = 0;
  uint64_t unanswered = 0;
  uint64_t unanswered_committed = 0;
  uint64_t anchor_lag_sum = 0;
  uint64_t anchor_lag_max = 0;
  uint64_t entries = 0;
  uint64_t torn_wal_tails = 0;  // restarts that dropped an incomplete last WAL record
};

bool Definitive(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::ALREADY_EXISTS ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::PERMISSION_DENIED || code == grpc::StatusCode::OUT_OF_RANGE ||
         code == grpc::StatusCode::NOT_FOUND;
}

class CrashLoop {
 public:
  explicit CrashLoop(Flags flags) : flags_(std::move(flags)), admin_(testing::AdminKey()) {}

  int Run() {
    const absl::Time start = absl::Now();
    std::cout << "crash_loop: seed " << flags_.seed << ", " << flags_.cycles << " cycles, "
              << flags_.writers << " writers, runs of " << flags_.min_run_ms << ".."
              << flags_.max_run_ms << " ms, a fresh data dir every " << flags_.cycles_per_dir
              << " cycles, work dir " << work_ << std::endl;
    std::filesystem::create_directories(work_);
    admin_pub_ = work_ + "/admin.pub";
    std::filesystem::remove(admin_pub_);
    if (!crypto::WritePublicKeyFile(admin_pub_, admin_.public_key()).ok()) {
      return Fail("cannot write admin.pub");
    }
    int cycle = 0;
    for (int epoch = 0; cycle < flags_.cycles; ++epoch) {
      const int n = std::min(flags_.cycles_per_dir, flags_.cycles - cycle);
      if (!RunDataDir(epoch, cycle, n)) return 1;
      cycle += n;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "crash_loop: PASS: %d cycles in %.1f s (%.2f s/cycle); %llu entries; %llu appends "
        "acknowledged, %llu refused as expected, %llu unanswered at a kill (%llu of them had "
        "been committed and were returned as duplicates on retry); anchor trailed the log by "
        "%.1f entries on average at a kill (max %llu); %llu restarts dropped an incomplete last "
        "WAL record (a write cut by the kill)\n",
        flags_.cycles, seconds, seconds / flags_.cycles,
        static_cast<unsigned long long>(totals_.entries),
        static_cast<unsigned long long>(totals_.acked),
        static_cast<unsigned long long>(totals_.refused),
        static_cast<unsigned long long>(totals_.unanswered),
        static_cast<unsigned long long>(totals_.unanswered_committed),
        static_cast<double>(totals_.anchor_lag_sum) / flags_.cycles,
        static_cast<unsigned long long>(totals_.anchor_lag_max),
        static_cast<unsigned long long>(totals_.torn_wal_tails));
    std::filesystem::remove_all(work_);
    return 0;
  }

  void set_work_dir(std::string w) { work_ = std::move(w); }

 private:
  int Fail(const std::string& why) {
    std::cout << "crash_loop: FAIL (seed " << flags_.seed << "): " << why << std::endl;
    return 1;
  }

  bool RunDataDir(int epoch, int first_cycle, int cycles) {
    dir_ = absl::StrCat(work_, "/log-", epoch);
    std::filesystem::remove_all(dir_);
    record_ = ClientRecord();
    absl::StatusOr<RunResult> init =
        RunProgram({flags_.ledgerd, "init", "--data-dir", dir_, "--origin",
             std::string(testing::kTestOrigin), "--admin-key", admin_pub_},
            {}, work_ + "/init.out");
    if (!init.ok() || !init->status.Exited(0)) {
      Fail(absl::StrCat("ledgerd init: ", init.ok() ? init->output : init.status().ToString()));
      return false;
    }
    if (!StartServer()) return false;
    for (int c = first_cycle; c < first_cycle + cycles; ++c) {
      if (!RunCycle(c)) return false;
    }
    stub_.reset();  // an idle client connection delays ledgerd's graceful shutdown by seconds
    const ExitStatus stopped = server_->process().Kill(SIGTERM);
    if (!stopped.Exited(0)) {
      Fail(absl::StrCat("SIGTERM: ledgerd ended with ", stopped.ToString(), ": ",
                        server_->process().Output()));
      return false;
    }
    CheckOptions options;
    options.require_anchor_at_head = true;
    InvariantReport report = CheckDataDir(dir_, record_, options);
    std::cout << "data dir " << epoch << ": clean shutdown, " << report.ToString() << std::endl;
    if (!report.ok()) {
      Fail(absl::StrCat("after the clean shutdown: ", report.ToString()));
      return false;
    }
    totals_.entries += report.tree_size;
    std::filesystem::remove_all(dir_);
    return true;
  }

  bool StartServer() {
    absl::StatusOr<std::unique_ptr<LedgerdServer>> s =
        LedgerdServer::Start(flags_.ledgerd, dir_, work_);
    if (!s.ok()) {
      Fail(absl::StrCat("ledgerd did not start: ", s.status().message()));
      return false;
    }
    server_ = *std::move(s);
    g_server_pid = server_->process().pid();
    stub_ = v1::LedgerService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    return true;
  }

  v1::SignedEvent MakeEvent(const std::string& id, const std::string& text) {
    return testing::Sign(id, testing::ClaimEvent(text), admin_);
  }

  void Failure(const std::string& what) {
    absl::MutexLock lock(&mu_);
    failures_.push_back(what);
  }

  // One writer thread of one cycle.
  void Writer(int cycle, int writer, std::atomic<bool>* stop) {
    std::mt19937_64 rng(flags_.seed * 1000003 + cycle * 101 + writer);
    std::vector<std::pair<std::string, SequenceNumber>> mine;  // acknowledged by this writer
    std::string last_checkpoint;
    for (int n = 0; !stop->load(); ++n) {
      const std::string id = absl::StrCat("c", cycle, "-w", writer, "-", n);
      const std::string text = absl::StrCat("Claim ", n, " of writer ", writer, " in cycle ",
                                            cycle, ", nonce ", rng());
      const int roll = static_cast<int>(rng() % 100);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      if (roll < 4 || (roll < 8 && mine.empty())) {
        // A bad signature: must be refused, and never appear.
        v1::SignedEvent e = MakeEvent(id + "-badsig", text);
        e.mutable_signature()->at(5) ^= 0x01;
        const Hash h = crypto::Sha256(e.event());
        v1::AppendRequest req;
        *req.mutable_event() = e;
        v1::AppendResponse resp;
        grpc::Status s = stub_->Append(&ctx, req, &resp);
        if (s.ok()) Failure(absl::StrCat("a bad signature was accepted: ", e.event_id()));
        if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
          absl::MutexLock lock(&mu_);
          record_.Rejected(e.event_id(), h);
          ++totals_.refused;
        }
      } else if (roll < 8) {
        // An acknowledged event id with other bytes: must be refused, nothing written.
        const auto& [old_id, old_seq] = mine[rng() % mine.size()];
        v1::SignedEvent e = MakeEvent(old_id, text + " (conflicting)");
        const Hash h = crypto::Sha256(e.event());
        v1::AppendRequest req;
        *req.mutable_event() = e;
        v1::AppendResponse resp;
        grpc::Status s = stub_->Append(&ctx, req, &resp);
        if (s.ok()) Failure(absl::StrCat("a reused event id was accepted: ", old_id));
        if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
          absl::MutexLock lock(&mu_);
          record_.Rejected(old_id, h);
          ++totals_.refused;
        }
      } else if (roll < 20) {
        // An atomic batch of three.
        Unanswered u;
        u.batch = true;
        v1::AppendBatchRequest req;
        std::vector<std::string> ids;
        {
          absl::MutexLock lock(&mu_);
          for (int i = 0; i < 3; ++i) {
            v1::SignedEvent e = MakeEvent(absl::StrCat(id, "-b", i), text + " #" +
                                                                         std::to_string(i));
            record_.Submitted(e.event_id(), crypto::Sha256(e.event()));
            ids.push_back(e.event_id());
            *req.add_events() = e;
            u.events.push_back(e);
          }
          record_.atomic_groups.push_back(ids);
        }
        v1::AppendBatchResponse resp;
        grpc::Status s = stub_->AppendBatch(&ctx, req, &resp);
        absl::MutexLock lock(&mu_);
        if (s.ok() && resp.results_size() == 3) {
          for (int i = 0; i < 3; ++i) {
            const auto& r = resp.results(i);
            record_.Acked(ids[i], r.sequence(), ToHash(r.leaf_hash()),
                          crypto::Sha256(u.events[i].event()));
            mine.emplace_back(ids[i], r.sequence());
            last_checkpoint = r.checkpoint();
            ++totals_.acked;
          }
        } else if (s.ok() || Definitive(s.error_code())) {
          failures_.push_back(absl::StrCat("batch ", id, ": unexpected answer ",
                                           s.error_code(), " ", s.error_message()));
        } else {
          unanswered_.push_back(std::move(u));
        }
      } else {
        v1::SignedEvent e = MakeEvent(id, text);
        const Hash h = crypto::Sha256(e.event());
        {
          absl::MutexLock lock(&mu_);
          record_.Submitted(id, h);
        }
        v1::AppendRequest req;
        *req.mutable_event() = e;
        v1::AppendResponse resp;
        grpc::Status s = stub_->Append(&ctx, req, &resp);
        absl::MutexLock lock(&mu_);
        if (s.ok() && !resp.duplicate()) {
          record_.Acked(id, resp.sequence(), ToHash(resp.leaf_hash()), h);
          mine.emplace_back(id, resp.sequence());
          last_checkpoint = resp.checkpoint();
          ++totals_.acked;
        } else if (s.ok() || Definitive(s.error_code())) {
          failures_.push_back(absl::StrCat("append ", id, ": unexpected answer ", s.error_code(),
                                           " ", s.error_message(), resp.duplicate() ? " dup" : ""));
        } else {
          unanswered_.push_back(Unanswered{{e}, false});
        }
      }
    }
    absl::MutexLock lock(&mu_);
    record_.Seen(last_checkpoint);
  }

  bool RunCycle(int cycle) {
    std::mt19937_64 rng(flags_.seed * 7919 + cycle);
    const int run_ms = flags_.min_run_ms +
                       static_cast<int>(rng() % (flags_.max_run_ms - flags_.min_run_ms + 1));
    const size_t acked_before = record_.acked.size();
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < flags_.writers; ++w) {
      writers.emplace_back([this, cycle, w, &stop] { Writer(cycle, w, &stop); });
    }
    // The kill lands at a random moment of the appends: that is the point of the test.
    // Writers finish the request they are in (or lose it to the kill) and send no new one.
    // Kept: a deliberate pause of random length, not a wait for a condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
    stop = true;
    const ExitStatus killed = server_->process().Kill(SIGKILL);
    for (auto& t : writers) t.join();
    const size_t acked_at_kill = record_.acked.size() - acked_before;
    if (!killed.KilledBy(SIGKILL)) {
      return FailCycle(cycle, absl::StrCat("ledgerd had already ended (", killed.ToString(),
                                           "): ", server_->process().Output()));
    }
    if (!failures_.empty()) return FailCycle(cycle, failures_.front());

    // 3. Check the data directory as the kill left it.
    const absl::Time check_start = absl::Now();
    // Invariant 3 (the audit) is `ledgerctl verify` below: the same audit::AuditLog, run once.
    CheckOptions check;
    check.run_audit = false;
    InvariantReport report = CheckDataDir(dir_, record_, check);
    const absl::Duration check_time = absl::Now() - check_start;
    if (!report.ok()) return FailCycle(cycle, report.ToString());
    const uint64_t lag = report.tree_size - report.anchored_size.value_or(0);
    totals_.anchor_lag_sum += lag;
    totals_.anchor_lag_max = std::max(totals_.anchor_lag_max, lag);
    const absl::Time verify_start = absl::Now();
    absl::StatusOr<RunResult> verify =
        RunProgram({flags_.ledgerctl, "verify", "--data-dir", dir_}, {}, work_ + "/verify.out");
    if (!verify.ok() || !verify->status.Exited(0)) {
      return FailCycle(cycle, absl::StrCat("ledgerctl verify: ",
                                           verify.ok() ? verify->output
                                                       : verify.status().ToString()));
    }

    const absl::Duration verify_time = absl::Now() - verify_start;
    // 4. Restart, and retry what had no answer.
    const absl::Time restart = absl::Now();
    if (!StartServer()) return false;
    const absl::Duration restart_time = absl::Now() - restart;
    const bool torn_tail = absl::StrContains(server_->process().Output(),
                                             "the WAL ended in an incomplete or damaged record");
    totals_.torn_wal_tails += torn_tail;
    const size_t unanswered = unanswered_.size();
    size_t committed = 0;
    for (const Unanswered& u : unanswered_) {
      std::string why;
      bool was_committed = false;
      if (!Retry(u, report, &was_committed, &why)) return FailCycle(cycle, why);
      committed += was_committed;
    }
    unanswered_.clear();
    totals_.unanswered += unanswered;
    totals_.unanswered_committed += committed;
    // A few acknowledged events again: duplicates at their sequence.
    for (int i = 0; i < 3 && !record_.acked.empty(); ++i) {
      const AckedEvent& a = record_.acked[rng() % record_.acked.size()];
      if (!RetryAcked(a)) {
        return FailCycle(cycle, absl::StrCat("retrying acknowledged \"", a.event_id,
                                             "\" did not return sequence ", a.sequence));
      }
    }
    if (flags_.verbose || torn_tail || cycle % 10 == 0 || cycle + 1 == flags_.cycles) {
      std::cout << "cycle " << cycle << ": appended for " << run_ms << " ms, killed; "
                << acked_at_kill << " acknowledged, " << unanswered << " unanswered ("
                << committed << " of them committed, returned as duplicates on retry); "
                << report.ToString() << " (checked in " << absl::FormatDuration(check_time)
                << "); ledgerctl verify: intact (" << absl::FormatDuration(verify_time)
                << "); restarted in " << absl::FormatDuration(restart_time)
                << (torn_tail ? " (dropped an incomplete last WAL record)" : "") << std::endl;
    }
    return true;
  }

  // Retries one unanswered request; `report` is the check made before the restart.
  bool Retry(const Unanswered& u, const InvariantReport& report, bool* was_committed,
             std::string* why) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::vector<v1::AppendResponse> results;
    grpc::Status s;
    if (u.batch) {
      v1::AppendBatchRequest req;
      for (const auto& e : u.events) *req.add_events() = e;
      v1::AppendBatchResponse resp;
      s = stub_->AppendBatch(&ctx, req, &resp);
      for (const auto& r : resp.results()) results.push_back(r);
    } else {
      v1::AppendRequest req;
      *req.mutable_event() = u.events[0];
      v1::AppendResponse resp;
      s = stub_->Append(&ctx, req, &resp);
      results.push_back(resp);
    }
    if (!s.ok() || results.size() != u.events.size()) {
      *why = absl::StrCat("retry of \"", u.events[0].event_id(), "\" failed: ", s.error_code(),
                          " ", s.error_message());
      return false;
    }
    for (size_t i = 0; i < u.events.size(); ++i) {
      const std::string& id = u.events[i].event_id();
      const auto& r = results[i];
      auto found = report.present.find(id);
      if (found != report.present.end()) {
        *was_committed = true;
        if (!r.duplicate() || r.sequence() != found->second) {
          *why = absl::StrCat("\"", id, "\" was committed at ", found->second,
                              " before the kill, but its retry returned sequence ", r.sequence(),
                              r.duplicate() ? " (duplicate)" : " (appended again!)");
          return false;
        }
      } else if (r.duplicate() || r.sequence() < report.tree_size) {
        *why = absl::StrCat("\"", id, "\" was not in the log after the kill, but its retry ",
                            "returned sequence ", r.sequence(),
                            r.duplicate() ? " as a duplicate" : "");
        return false;
      }
      absl::MutexLock lock(&mu_);
      record_.Acked(id, r.sequence(), ToHash(r.leaf_hash()),
                    crypto::Sha256(u.events[i].event()));
      ++totals_.acked;
    }
    return true;
  }

  bool RetryAcked(const AckedEvent& a) {
    // The original envelope is not kept; the stored one is the same bytes.
    grpc::ClientContext ctx;
    v1::GetEntryRequest req;
    req.set_sequence(a.sequence);
    v1::GetEntryResponse entry;
    if (!stub_->GetEntry(&ctx, req, &entry).ok()) return false;
    const v1::SignedEvent& e = entry.entry().signed_event();
    if (e.event_id() != a.event_id) return false;
    grpc::ClientContext ctx2;
    v1::AppendRequest append;
    *append.mutable_event() = e;
    v1::AppendResponse resp;
    grpc::Status s = stub_->Append(&ctx2, append, &resp);
    return s.ok() && resp.duplicate() && resp.sequence() == a.sequence;
  }

  bool FailCycle(int cycle, const std::string& why) {
    Fail(absl::StrCat("cycle ", cycle, " (data dir kept at ", dir_, "): ", why));
    for (size_t i = 1; i < failures_.size() && i < 10; ++i) std::cout << "  also: " << failures_[i] << "\n";
    return false;
  }

  const Flags flags_;
  const crypto::Ed25519PrivateKey admin_;
  std::string work_;
  std::string admin_pub_;
  std::string dir_;
  std::unique_ptr<LedgerdServer> server_;
  std::unique_ptr<v1::LedgerService::Stub> stub_;
  Totals totals_;

  absl::Mutex mu_;
  ClientRecord record_;
  std::vector<Unanswered> unanswered_;
  std::vector<std::string> failures_;
};

}  // namespace
}  // namespace ledger::reliability

int main(int argc, char** argv) {
  ledger::reliability::Flags flags;
  if (!ledger::reliability::ParseFlags(argc, argv, &flags)) return 2;
  std::string work = flags.work_dir;
  if (work.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    work = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/crash-loop-", ::getpid());
  }
  std::signal(SIGINT, ledger::reliability::OnInterrupt);
  std::signal(SIGTERM, ledger::reliability::OnInterrupt);
  ledger::reliability::CrashLoop loop(flags);
  loop.set_work_dir(work);
  return loop.Run();
}
