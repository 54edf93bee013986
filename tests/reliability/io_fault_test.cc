// I/O faults (docs/reliability.md, "I/O fault countdown"): the SQLite-style countdown. For each kind of
// operation (write, sync, rename), once and forever, and N = 1, 2, 3, ... until the scenario
// runs without reaching the Nth operation: run init + open + appends with the Nth operation
// failing, then check
//   - the failing request got a clear status: an append UNAVAILABLE with reason LOG_STOPPED,
//     or init / open an error with a message;
//   - later appends fail fast (UNAVAILABLE, LOG_STOPPED) and touch no database file;
//   - after reopening WITHOUT faults: the log opens, the retry of the failed request (same
//     event ids and bytes) appears exactly once -- at its original sequence if the failed write
//     reached the disk anyway -- every acknowledged append is there, and every invariant holds
//     (invariants.h, including the full audit).
// The countdown runs twice: over the database's files, then over the anchor's. CI tries every
// N up to 3, then every 10th write / 3rd sync / every rename (twice those strides for "forever");
// LEDGER_FAULT_COUNTDOWN=full tries every N (docs/reliability.md has the command).
//
// Also: a simulated power cut (unsynced data dropped) keeps every acknowledged append.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/sha256.h"
#include "ledger/datadir/layout.h"
#include "tests/testing/status_matchers.h"
#include "tests/reliability/faulty_fs.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/wait_for.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

using ::ledger::testing::FreshDir;
using ::ledger::testing::StatusIs;

// One request of the scenario: a single event, or an all-or-nothing batch.
struct Request {
  std::vector<ledger::v1::SignedEvent> events;
};

std::vector<Request> ScenarioRequests() {
  std::vector<Request> requests;
  for (int i = 0; i < 3; ++i) requests.push_back({{TestEvent(absl::StrCat("ev-", i))}});
  requests.push_back({{TestEvent("batch-0"), TestEvent("batch-1")}});
  requests.push_back({{TestEvent("ev-3")}});
  return requests;
}

enum class Outcome { kPassed, kAbsorbed, kInitFailed, kOpenFailed, kAppendFailed };
const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPassed:
      return "no fault";
    case Outcome::kAbsorbed:
      return "absorbed";
    case Outcome::kInitFailed:
      return "init failed";
    case Outcome::kOpenFailed:
      return "open failed";
    case Outcome::kAppendFailed:
      return "append failed";
  }
  return "?";
}

struct Tally {
  uint64_t faults = 0;
  std::map<Outcome, uint64_t> outcomes;
  uint64_t failed_write_on_disk = 0;  // the failed append was in the log after reopen
  uint64_t operations = 0;            // of this kind in the fault-free scenario
};

// Which files a countdown targets.
bool IsDatabaseFile(const std::string& dir, const std::string& path) {
  const std::string db = datadir::LogDir(dir);
  if (path != db && !absl::StartsWith(path, db + "/")) return false;
  const std::string base = path.substr(path.rfind('/') + 1);
  return base != "LOG" && !absl::StartsWith(base, "LOG.old");
}
bool IsAnchorFile(const std::string& dir, const std::string& path) {
  return path == dir || absl::StartsWith(path, datadir::AnchorFile(dir));
}

class IoFaultTest : public ::testing::Test {
 protected:
  // Runs the scenario on a fresh `dir` through `env`. Fills `record` and returns what happened;
  // `unknown` receives the request whose outcome is unknown (its append failed).
  Outcome RunScenario(const std::string& dir, rocksdb::Env* env, FaultyFileSystem* fs,
                      ClientRecord* record, std::optional<Request>* unknown) {
    absl::Status init = InitTestDataDir(dir, env);
    if (!init.ok()) {
      EXPECT_FALSE(init.message().empty());
      return Outcome::kInitFailed;
    }
    absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir, core::LogOptions(), env);
    if (!log.ok()) {
      EXPECT_FALSE(log.status().message().empty());
      return Outcome::kOpenFailed;
    }
    for (const Request& request : ScenarioRequests()) {
      for (const auto& e : request.events) record->Submitted(e.event_id(), crypto::Sha256(e.event()));
      if (request.events.size() > 1) {
        std::vector<std::string> ids;
        for (const auto& e : request.events) ids.push_back(e.event_id());
        record->atomic_groups.push_back(ids);
      }
      absl::StatusOr<std::vector<core::AppendResult>> r = (*log)->AppendAll(request.events);
      if (r.ok()) {
        for (size_t i = 0; i < r->size(); ++i) {
          const auto& e = request.events[i];
          record->Acked(e.event_id(), (*r)[i].sequence, (*r)[i].leaf_hash,
                        crypto::Sha256(e.event()));
          record->Seen((*r)[i].checkpoint);
        }
        continue;
      }
      // The failing request: a clear, specific status.
      EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
      EXPECT_EQ(ErrorReason(r.status()), reason::kLogStopped) << r.status();
      *unknown = request;
      // Fail-stop: later appends are refused at once, even when the fault was a one-off: they
      // are not attempted (no WAL write; the answer says so: not "outcome unknown", which is
      // what a write that was tried and failed gets), and nothing moves.
      const store::LogHead head = (*log)->Head();
      const uint64_t wal_writes = fs->wal_writes();
      for (int i = 0; i < 2; ++i) {
        const auto e = TestEvent(absl::StrCat("after-failure-", i));
        absl::StatusOr<core::AppendResult> later = (*log)->Append(e);
        EXPECT_THAT(later, StatusIs(absl::StatusCode::kUnavailable,
                                    ::testing::Not(::testing::HasSubstr("outcome is unknown"))));
        EXPECT_EQ(ErrorReason(later.status()), reason::kLogStopped);
        record->Rejected(e.event_id(), crypto::Sha256(e.event()));
      }
      EXPECT_EQ(fs->wal_writes(), wal_writes) << "a refused append was written to the WAL";
      EXPECT_TRUE((*log)->Head() == head) << "a refused append moved the head";
      EXPECT_TRUE((*log)->store().Head() == head) << "a refused append reached the store";
      return Outcome::kAppendFailed;
    }
    return Outcome::kPassed;
  }

  // Reopens `dir` without faults, retries `unknown`, checks every invariant.
  void RecoverAndCheck(const std::string& dir, ClientRecord* record,
                       const std::optional<Request>& unknown, Tally* tally) {
    if (!std::filesystem::exists(datadir::IdentityFile(dir))) {
      // init failed before it wrote the identity: nothing was ever acknowledged; init again.
      absl::Status again = InitTestDataDir(dir);
      ASSERT_TRUE(again.ok()) << "init after an interrupted init: " << again;
    }
    absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir, core::LogOptions());
    ASSERT_TRUE(log.ok()) << "reopen without faults: " << log.status();
    if (unknown.has_value()) {
      std::vector<std::optional<SequenceNumber>> before;
      for (const auto& e : unknown->events) {
        auto id = (*log)->store().GetEventId(e.event_id());
        ASSERT_TRUE(id.ok()) << id.status();
        before.push_back(id->has_value() ? std::optional<SequenceNumber>((*id)->sequence)
                                         : std::nullopt);
      }
      if (before.front().has_value()) ++tally->failed_write_on_disk;
      absl::StatusOr<std::vector<core::AppendResult>> retry = (*log)->AppendAll(unknown->events);
      ASSERT_TRUE(retry.ok()) << "retry after reopen: " << retry.status();
      for (size_t i = 0; i < retry->size(); ++i) {
        const auto& r = (*retry)[i];
        EXPECT_EQ(r.duplicate, before[i].has_value());
        if (before[i].has_value()) {
          EXPECT_EQ(r.sequence, *before[i]);
        }
        record->Acked(unknown->events[i].event_id(), r.sequence, r.leaf_hash,
                      crypto::Sha256(unknown->events[i].event()));
      }
    }
    // The log takes appends again.
    const auto fresh = TestEvent("after-reopen");
    ASSERT_TRUE(AppendRecorded(**log, fresh, record).ok());
    log->reset();
    CheckOptions options;
    options.require_anchor_at_head = true;
    InvariantReport report = CheckDataDir(dir, *record, options);
    EXPECT_TRUE(report.ok()) << report.ToString();
  }

  // Which N to try after `n`. LEDGER_FAULT_COUNTDOWN=full tries every N (scripts and long
  // runs); by default (CI) every N up to 3, then every `stride`-th, to stay within CI's time.
  static uint64_t NextN(uint64_t n, FaultKind kind, FaultMode mode) {
    static const bool full = [] {
      const char* v = std::getenv("LEDGER_FAULT_COUNTDOWN");
      return v != nullptr && std::string(v) == "full";
    }();
    if (full || n < 3) return n + 1;
    const uint64_t twice = mode == FaultMode::kForever ? 2 : 1;
    switch (kind) {
      case FaultKind::kWrite:
        return n + 10 * twice;
      case FaultKind::kSync:
        return n + 3 * twice;
      case FaultKind::kRename:
        return n + twice;
    }
    return n + 1;
  }

  // The countdown over the files `target` accepts.
  void Countdown(bool database_target) {
    database_target_ = database_target;
    std::string table;
    for (FaultKind kind : {FaultKind::kWrite, FaultKind::kSync, FaultKind::kRename}) {
      for (FaultMode mode : {FaultMode::kOnce, FaultMode::kForever}) {
        Tally tally;
        for (uint64_t n = 1;; n = NextN(n, kind, mode)) {
          SCOPED_TRACE(absl::StrCat(FaultKindName(kind), " #", n, " ", FaultModeName(mode)));
          const std::string dir = FreshDir(absl::StrCat(".", n));
          auto fs = std::make_shared<FaultyFileSystem>();
          fs->SetFilter([dir, database_target](const std::string& path) {
            return database_target ? IsDatabaseFile(dir, path) : IsAnchorFile(dir, path);
          });
          ClientRecord record;
          std::optional<Request> unknown;
          Outcome outcome;
          {
            std::unique_ptr<rocksdb::Env> env = NewFaultyEnv(fs);
            fs->FailNth(kind, n, mode);
            outcome = RunScenario(dir, env.get(), fs.get(), &record, &unknown);
            // (The log is closed here, still with the fault armed.)
          }
          const bool injected = fs->injected();
          if (outcome == Outcome::kPassed && injected) outcome = Outcome::kAbsorbed;
          if (!injected) {
            EXPECT_EQ(outcome, Outcome::kPassed);
          } else {
            ++tally.faults;
          }
          ++tally.outcomes[outcome];
          RecoverAndCheck(dir, &record, unknown, &tally);
          std::filesystem::remove_all(dir);
          if (::testing::Test::HasFailure()) {
            ADD_FAILURE() << "stopping the countdown at " << FaultKindName(kind) << " #" << n
                          << " " << FaultModeName(mode) << " (" << fs->injected_what() << ")";
            return;
          }
          if (!injected) {  // the scenario needs fewer than n operations of this kind
            tally.operations = fs->count(kind);
            break;
          }
        }
        std::string outcomes;
        for (const auto& [o, c] : tally.outcomes) {
          if (o != Outcome::kPassed) absl::StrAppend(&outcomes, OutcomeName(o), " ", c, ", ");
        }
        absl::StrAppend(&table,
                        absl::StrFormat("  %-7s %-8s %4d faults (%d operations): %sfailed "
                                        "append found on disk after reopen %d\n",
                                        FaultKindName(kind), FaultModeName(mode), tally.faults,
                                        tally.operations, outcomes, tally.failed_write_on_disk));
        total_faults_ += tally.faults;
      }
    }
    std::cout << "countdown over the " << (database_target ? "database" : "anchor")
              << " files:\n"
              << table << "  total faults injected: " << total_faults_ << std::endl;
  }

  bool database_target_ = true;
  uint64_t total_faults_ = 0;
};

TEST_F(IoFaultTest, CountdownOverDatabaseFiles) { Countdown(/*database_target=*/true); }

TEST_F(IoFaultTest, CountdownOverAnchorFiles) { Countdown(/*database_target=*/false); }

// A power cut: every acknowledged append survives, whatever was not synced is lost. Appends run
// from several threads and the power goes off while they are in flight.
TEST(PowerLossTest, EveryAcknowledgedAppendSurvivesAPowerCut) {
  const std::string dir = FreshDir();
  auto fs = std::make_shared<FaultyFileSystem>();
  ClientRecord record;
  absl::Mutex mu;
  {
    std::unique_ptr<rocksdb::Env> env = NewFaultyEnv(fs);
    ASSERT_TRUE(InitTestDataDir(dir, env.get()).ok());
    auto log = datadir::OpenLog(dir, core::LogOptions(), env.get());
    ASSERT_TRUE(log.ok()) << log.status();
    std::atomic<int> acked{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0;; ++i) {
          const auto e = TestEvent(absl::StrCat("w", w, "-", i));
          {
            absl::MutexLock lock(&mu);
            record.Submitted(e.event_id(), crypto::Sha256(e.event()));
          }
          absl::StatusOr<core::AppendResult> r = (*log)->Append(e);
          if (!r.ok()) return;  // the power went off
          absl::MutexLock lock(&mu);
          record.Acked(e.event_id(), r->sequence, r->leaf_hash, crypto::Sha256(e.event()));
          ++acked;
        }
      });
    }
    // Cut the power once 60 appends were acknowledged (polling: the cut must land mid-stream).
    testing::WaitFor([&] { return acked.load() >= 60; }, absl::InfiniteDuration(),
                     absl::Milliseconds(1));
    fs->PowerOff();
    for (auto& t : writers) t.join();
    log->reset();  // closes every file (all writes fail now)
  }
  const int damaged = fs->DropUnsyncedData();
  std::cout << "power cut after " << record.acked.size() << " acknowledged appends; " << damaged
            << " files lost unsynced data" << std::endl;
  auto log = datadir::OpenLog(dir, core::LogOptions());
  ASSERT_TRUE(log.ok()) << "reopen after the power cut: " << log.status();
  log->reset();
  InvariantReport report = CheckDataDir(dir, record);
  EXPECT_TRUE(report.ok()) << report.ToString();
}

}  // namespace
}  // namespace ledger::reliability
