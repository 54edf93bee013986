// Named crash points (LEDGER_CRASH_AT) against the real ledgerd binary: each test shows that the
// point fired (exit code 137 and its name on stderr) and that a restart recovers with every
// invariant. Also: ledgerd's exit code 4 for a log behind its anchor.
//
// Usage (Bazel passes these): crash_points_test --ledgerd PATH --ledgerctl PATH
#include <algorithm>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/crypto/sha256.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/testing/test_log.h"
#include "tests/testing/in_process_ledger.h"
#include "tests/testing/child_process.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/wait_for.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

namespace v1 = ledger::v1;
using ::ledger::testing::FreshDir;
using ::testing::HasSubstr;

std::string g_ledgerd;
std::string g_ledgerctl;

constexpr int kCrashExitCode = 137;

Hash ToHash(const std::string& bytes) {
  Hash h{};
  if (bytes.size() == h.size()) std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

// The size of the anchor in `anchor_dir` (default: the data directory's own) verified for the
// log of `dir`; -1 when there is none or it does not verify.
int64_t AnchoredSize(const std::string& dir, const std::string& anchor_dir = "") {
  auto note = datadir::ReadAnchor(nullptr, anchor_dir.empty() ? dir : anchor_dir);
  auto id = datadir::ReadIdentity(dir);
  if (!note.ok() || !note->has_value() || !id.ok()) return -1;
  auto cp = format::VerifyCheckpoint(**note, {id->origin, id->log_public_key});
  return cp.ok() ? static_cast<int64_t>(cp->tree_size) : -1;
}

class CrashPointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = FreshDir();
    std::filesystem::create_directories(work_);
    dir_ = work_ + "/data";
    admin_pub_ = work_ + "/admin.pub";
    ASSERT_TRUE(crypto::WritePublicKeyFile(admin_pub_, testing::AdminKey().public_key()).ok());
  }

  // Makes Init and Serve keep an external anchor in <work>/anchors (--anchor-dir).
  void UseExternalAnchor() {
    anchor_dir_ = work_ + "/anchors";
    std::filesystem::create_directories(anchor_dir_);
    anchor_args_ = {"--anchor-dir", anchor_dir_};
  }

  // `ledgerd init`, with LEDGER_CRASH_AT=crash_at when not empty.
  RunResult Init(const std::string& crash_at = "") {
    std::vector<std::string> env;
    if (!crash_at.empty()) env.push_back("LEDGER_CRASH_AT=" + crash_at);
    std::vector<std::string> argv = {g_ledgerd, "init", "--data-dir", dir_, "--origin",
                                     std::string(testing::kTestOrigin), "--admin-key",
                                     admin_pub_};
    argv.insert(argv.end(), anchor_args_.begin(), anchor_args_.end());
    absl::StatusOr<RunResult> r = RunProgram(argv, env, work_ + "/init.out");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunResult{};
  }

  // Starts ledgerd (LEDGER_CRASH_AT=crash_at when not empty) and connects a stub.
  void Serve(const std::string& crash_at = "") {
    std::vector<std::string> env;
    if (!crash_at.empty()) env.push_back("LEDGER_CRASH_AT=" + crash_at);
    absl::StatusOr<std::unique_ptr<LedgerdServer>> s = LedgerdServer::Start(
        g_ledgerd, dir_, work_, env, nullptr, absl::Seconds(30), anchor_args_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    stub_ = v1::LedgerService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  // Starts ledgerd with `args` after the usual ones (no crash point) and connects a stub.
  void ServeWithArgs(const std::vector<std::string>& args) {
    absl::StatusOr<std::unique_ptr<LedgerdServer>> s =
        LedgerdServer::Start(g_ledgerd, dir_, work_, {}, nullptr, absl::Seconds(30), args);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    stub_ = v1::LedgerService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  // Appends one event; records it as submitted, and as acknowledged when OK.
  grpc::Status Append(const std::string& id, v1::AppendResponse* out = nullptr) {
    const v1::SignedEvent e = TestEvent(id);
    record_.Submitted(id, crypto::Sha256(e.event()));
    v1::AppendRequest req;
    *req.mutable_event() = e;
    v1::AppendResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::Status s = stub_->Append(&ctx, req, &resp);
    if (s.ok() && !resp.duplicate()) {
      record_.Acked(id, resp.sequence(), ToHash(resp.leaf_hash()), crypto::Sha256(e.event()));
      record_.Seen(resp.checkpoint());
    }
    if (out != nullptr) *out = resp;
    return s;
  }

  // The process must have died at `point`.
  // (Call with the status of a process that has ended: Wait() before Output().)
  void ExpectCrashedAt(const ExitStatus& status, const std::string& output,
                       const std::string& point) {
    EXPECT_TRUE(status.Exited(kCrashExitCode)) << status.ToString() << "\n" << output;
    EXPECT_THAT(output, HasSubstr("LEDGER_CRASH_AT: crashing at " + point));
  }

  void ExpectServerCrashedAt(const std::string& point) {
    const ExitStatus status = server_->process().Wait();
    ExpectCrashedAt(status, server_->process().Output(), point);
  }

  // `ledgerctl rebuild --data-dir` of dir_, to completion: the view digests it prints (its
  // output in work_/NAME).
  std::map<std::string, std::string> RebuildDigests(const std::string& name);

  // The same, killed at crash point `point`.
  void RebuildKilledAt(const std::string& name, const std::string& point) {
    absl::StatusOr<RunResult> killed =
        RunProgram({g_ledgerctl, "rebuild", "--data-dir", dir_}, {"LEDGER_CRASH_AT=" + point},
                   work_ + "/" + name);
    ASSERT_TRUE(killed.ok());
    ExpectCrashedAt(killed->status, killed->output, point);
  }

  // A log of 20 appended entries (ledgerd started and stopped), then an offline rebuild of its
  // views: their 11 digests (one per view) in *digests.
  void SeedAndRebuild(std::map<std::string, std::string>* digests) {
    ASSERT_TRUE(Init().status.Exited(0));
    Serve();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(Append(absl::StrCat("ev-", i)).ok());
    StopCleanly();
    *digests = RebuildDigests("rebuild0.out");
    ASSERT_EQ(digests->size(), 3u);  // claims, keys, claim_state
  }

  void StopCleanly() {
    stub_.reset();  // an idle client connection delays ledgerd's graceful shutdown by seconds
    const ExitStatus stopped = server_->process().Kill(SIGTERM);
    EXPECT_TRUE(stopped.Exited(0)) << stopped.ToString() << server_->process().Output();
  }

  // Invariants on the closed data dir, plus `ledgerctl verify`.
  void ExpectInvariants(bool anchor_at_head) {
    CheckOptions options;
    options.require_anchor_at_head = anchor_at_head;
    InvariantReport report = CheckDataDir(dir_, record_, options);
    EXPECT_TRUE(report.ok()) << report.ToString();
    absl::StatusOr<RunResult> verify =
        RunProgram({g_ledgerctl, "verify", "--data-dir", dir_}, {}, work_ + "/verify.out");
    ASSERT_TRUE(verify.ok()) << verify.status();
    EXPECT_TRUE(verify->status.Exited(0)) << verify->output;
  }

  // After a crash in serve: the retry of `id` returns the original entry at `sequence`.
  void ExpectRetryIsDuplicateAt(const std::string& id, SequenceNumber sequence) {
    v1::AppendResponse resp;
    grpc::Status s = Append(id, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(resp.duplicate());
    EXPECT_EQ(resp.sequence(), sequence);
    record_.Acked(id, resp.sequence(), ToHash(resp.leaf_hash()), Hash{});
    record_.acked.back().event_hash = record_.submitted[id];
  }

  std::string work_, dir_, admin_pub_;
  std::string anchor_dir_;                // with UseExternalAnchor()
  std::vector<std::string> anchor_args_;  // passed to init and serve
  std::unique_ptr<LedgerdServer> server_;
  std::unique_ptr<v1::LedgerService::Stub> stub_;
  ClientRecord record_;
};

// The commit is synced, the caller not yet answered: the client sees a failure, yet the entry is
// in the log; its retry returns it (exactly once).
TEST_F(CrashPointsTest, AfterCommitBeforeAck) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve("after-commit-before-ack:3");
  ASSERT_TRUE(Append("ev-0").ok());
  ASSERT_TRUE(Append("ev-1").ok());
  EXPECT_FALSE(Append("ev-2").ok());  // the process died before answering
  ExpectServerCrashedAt("after-commit-before-ack");
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(report.tree_size, 3u);
  EXPECT_EQ(report.present.count("ev-2"), 1u);

  Serve();
  ExpectRetryIsDuplicateAt("ev-2", 2);
  ASSERT_TRUE(Append("ev-3").ok());
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

// The anchor's temp file is synced, not renamed: the old anchor stays; the restart anchors the
// head and overwrites the stale temp file.
TEST_F(CrashPointsTest, AnchorBeforeRename) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve("anchor-before-rename");
  v1::AppendResponse resp;
  const bool answered = Append("ev-0", &resp).ok();  // the answer races with the crash
  ExpectServerCrashedAt("anchor-before-rename");
  EXPECT_EQ(AnchoredSize(dir_), 0);
  EXPECT_TRUE(std::filesystem::exists(datadir::AnchorFile(dir_) + ".tmp"));
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(report.tree_size, 1u);  // the anchor is written only after the commit

  Serve();
  if (!answered) ExpectRetryIsDuplicateAt("ev-0", 0);
  EXPECT_EQ(AnchoredSize(dir_), 1);  // anchored at start-up
  ASSERT_TRUE(Append("ev-1").ok());
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

// Renamed but the directory not synced: the new anchor is in place (on a live file system).
TEST_F(CrashPointsTest, AnchorAfterRename) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve("anchor-after-rename");
  const bool answered = Append("ev-0").ok();
  ExpectServerCrashedAt("anchor-after-rename");
  EXPECT_EQ(AnchoredSize(dir_), 1);
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();

  Serve();
  if (!answered) ExpectRetryIsDuplicateAt("ev-0", 0);
  ASSERT_TRUE(Append("ev-1").ok());
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

// View digests: "name" -> hex digest, from `ledgerctl views --digests` (live server, lines
// "  name watermark records digest") or `ledgerctl rebuild` (lines "  name digest").
std::map<std::string, std::string> ParseDigests(const std::string& output) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() >= 2 && words.back().size() == 64) out[words.front()] = words.back();
  }
  return out;
}

std::map<std::string, std::string> CrashPointsTest::RebuildDigests(const std::string& name) {
  absl::StatusOr<RunResult> r =
      RunProgram({g_ledgerctl, "rebuild", "--data-dir", dir_}, {}, work_ + "/" + name);
  EXPECT_TRUE(r.ok() && r->status.Exited(0)) << (r.ok() ? r->output : r.status().ToString());
  return r.ok() ? ParseDigests(r->output) : std::map<std::string, std::string>();
}

// The view writer dies after entries were acknowledged, before their view batch is written:
// after a restart the views catch up from their watermark and equal a rebuild from scratch.
TEST_F(CrashPointsTest, ViewsBeforeWrite) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve("views-before-write:3");
  const std::unique_ptr<v1::ClaimService::Stub> claims = v1::ClaimService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  int acked = 0;
  for (int i = 0; i < 200; ++i) {
    if (!Append(absl::StrCat("ev-", i)).ok()) break;
    ++acked;
    // Let the views follow: until they have applied the entry, or the server is gone.
    testing::WaitFor(
        [&] {
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          v1::GetViewStatusResponse status;
          const grpc::Status st = claims->GetViewStatus(&ctx, v1::GetViewStatusRequest(), &status);
          return !st.ok() || status.watermark() >= status.tree_size();
        },
        absl::Seconds(10), absl::Milliseconds(5));
  }
  ExpectServerCrashedAt("views-before-write");
  EXPECT_GE(acked, 1);
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();

  Serve();
  ASSERT_TRUE(Append("after-restart").ok());
  std::map<std::string, std::string> live;
  absl::Status ran;
  testing::WaitFor(  // until the views have caught up with the log
      [&] {
        absl::StatusOr<RunResult> views =
            RunProgram({g_ledgerctl, "views", "--digests", "--server", server_->address()}, {},
                       work_ + "/views.out");
        ran = views.status();
        if (!views.ok()) return true;  // stop: the ASSERT below fails
        const std::string head = absl::StrCat("views at ", report.tree_size + 1, " of ",
                                              report.tree_size + 1, " entries");
        if (!absl::StrContains(views->output, head)) return false;
        live = ParseDigests(views->output);
        return true;
      },
      absl::Seconds(30), absl::Milliseconds(100));
  ASSERT_TRUE(ran.ok()) << ran;
  ASSERT_FALSE(live.empty()) << "the views never caught up";
  StopCleanly();
  absl::StatusOr<RunResult> rebuild =
      RunProgram({g_ledgerctl, "rebuild", "--data-dir", dir_}, {}, work_ + "/rebuild.out");
  ASSERT_TRUE(rebuild.ok()) << rebuild.status();
  ASSERT_TRUE(rebuild->status.Exited(0)) << rebuild->output;
  EXPECT_EQ(live, ParseDigests(rebuild->output));
  ExpectInvariants(/*anchor_at_head=*/true);
}

// An offline rebuild killed right after it cleared the views: the next rebuild (or ledgerd's
// start-up) redoes it, with the same digests as an uninterrupted one.
TEST_F(CrashPointsTest, RebuildInterruptedAfterClear) {
  std::map<std::string, std::string> expected;
  ASSERT_NO_FATAL_FAILURE(SeedAndRebuild(&expected));

  RebuildKilledAt("rebuild1.out", "views-rebuild-cleared");
  // ledgerd serves the half-rebuilt views' directory: it rebuilds them in the background.
  Serve();
  ASSERT_TRUE(Append("after-crash").ok());
  StopCleanly();
  const std::map<std::string, std::string> after = RebuildDigests("rebuild2.out");
  EXPECT_EQ(after.size(), expected.size());
  EXPECT_NE(after, expected);  // one more entry since

  // And the interrupted rebuild alone, redone offline, gives the first digests.
  RebuildKilledAt("rebuild3.out", "views-rebuild-cleared");
  EXPECT_EQ(RebuildDigests("rebuild4.out"), after);
  ExpectInvariants(/*anchor_at_head=*/true);
}

// A rebuild killed after it wrote a batch's SST file but before RocksDB ingested it
// (`views-ingest-file-written`), or as it entered bulk load with that file (`views-bulk-load-
// started`: its bulk-load options, the level-0 compaction trigger and level sizes, set on the
// open database, one record rewritten in the memtable). The file is left in <views>/ingest/,
// holds nothing the views database has, and is removed at the next open, which also uses the
// store's own options again; the next rebuild has the digests of an uninterrupted one, and
// ledgerd serves and appends over the result.
class RebuildBeforeIngestTest : public CrashPointsTest,
                                public ::testing::WithParamInterface<const char*> {};

TEST_P(RebuildBeforeIngestTest, TheNextRebuildRemovesTheFileAndHasTheSameDigests) {
  std::map<std::string, std::string> expected;
  ASSERT_NO_FATAL_FAILURE(SeedAndRebuild(&expected));

  RebuildKilledAt("rebuild1.out", GetParam());
  const std::string ingest_dir = datadir::ViewsIngestDir(datadir::ViewsDir(dir_));
  ASSERT_TRUE(std::filesystem::exists(ingest_dir));
  EXPECT_FALSE(std::filesystem::is_empty(ingest_dir));  // the file that was never ingested

  EXPECT_EQ(RebuildDigests("rebuild2.out"), expected);
  EXPECT_TRUE(std::filesystem::is_empty(ingest_dir));

  // ledgerd serves the same directory with the same views.
  Serve();
  ASSERT_TRUE(Append("after-rebuild").ok());
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

INSTANTIATE_TEST_SUITE_P(Points, RebuildBeforeIngestTest,
                         ::testing::Values("views-ingest-file-written",
                                           "views-bulk-load-started"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// `ledgerd init` killed at each of its points. Recovery, as docs/reliability.md tells operators:
// no identity file yet -> run init again; identity present -> serve.
class InitCrashTest : public CrashPointsTest,
                      public ::testing::WithParamInterface<const char*> {};

TEST_P(InitCrashTest, InterruptedInitIsCompletedByInitOrServe) {
  const std::string point = GetParam();
  RunResult crashed = Init(point);
  ExpectCrashedAt(crashed.status, crashed.output, point);
  if (!std::filesystem::exists(datadir::IdentityFile(dir_))) {
    RunResult again = Init();
    ASSERT_TRUE(again.status.Exited(0)) << again.status.ToString() << ": " << again.output;
  } else {
    RunResult again = Init();
    EXPECT_TRUE(again.status.Exited(2)) << "init must refuse an initialised directory";
  }
  Serve();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append(absl::StrCat("ev-", i)).ok());
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

INSTANTIATE_TEST_SUITE_P(Points, InitCrashTest,
                         ::testing::Values("init-after-store", "init-after-identity",
                                           "anchor-before-rename", "anchor-after-rename"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// ledgerd refuses, with exit code 4, a database rolled back behind its anchor.
TEST_F(CrashPointsTest, LedgerdExits4ForALogBehindItsAnchor) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(absl::StrCat("early-", i)).ok());
  StopCleanly();
  CopyTree(datadir::LogDir(dir_), work_ + "/db-at-5");
  Serve();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append(absl::StrCat("late-", i)).ok());
  StopCleanly();
  std::filesystem::remove_all(datadir::LogDir(dir_));
  std::filesystem::rename(work_ + "/db-at-5", datadir::LogDir(dir_));

  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> s =
      LedgerdServer::Start(g_ledgerd, dir_, work_, {}, &status);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(status.Exited(4)) << status.ToString();
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("refused to start: the log is behind its anchor or forked from it"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("holds 5 entries"));
  EXPECT_EQ(AnchoredSize(dir_), 8);
}

// The external anchor's own write (--anchor-dir), killed between the two copies: the data
// directory's anchor is new, the external one old; both are safe (neither leads the log), and
// the restart brings the external one to the head.
TEST_F(CrashPointsTest, AnchorBeforeExternal) {
  UseExternalAnchor();
  ASSERT_TRUE(Init().status.Exited(0));
  ASSERT_EQ(AnchoredSize(dir_, anchor_dir_), 0);
  Serve("anchor-before-external");
  const bool answered = Append("ev-0").ok();
  ExpectServerCrashedAt("anchor-before-external");
  EXPECT_EQ(AnchoredSize(dir_), 1);
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 0);
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();

  Serve();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 1);  // anchored at start-up
  if (!answered) ExpectRetryIsDuplicateAt("ev-0", 0);
  ASSERT_TRUE(Append("ev-1").ok());
  StopCleanly();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 2);
  ExpectInvariants(/*anchor_at_head=*/true);
}

// The external copy's temp file synced, not renamed (the second anchor write of the commit):
// the old external anchor stays in place beside its stale temp file.
TEST_F(CrashPointsTest, ExternalAnchorBeforeRename) {
  UseExternalAnchor();
  ASSERT_TRUE(Init().status.Exited(0));
  Serve("anchor-before-rename:2");
  const bool answered = Append("ev-0").ok();
  ExpectServerCrashedAt("anchor-before-rename");
  EXPECT_EQ(AnchoredSize(dir_), 1);
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 0);
  EXPECT_TRUE(std::filesystem::exists(datadir::AnchorFile(anchor_dir_) + ".tmp"));

  Serve();
  if (!answered) ExpectRetryIsDuplicateAt("ev-0", 0);
  ASSERT_TRUE(Append("ev-1").ok());
  StopCleanly();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 2);
  ExpectInvariants(/*anchor_at_head=*/true);
}

// The claim-state map's committer dies after computing a commitment, before recording it
// (docs/format.md §13.4): after a restart the map is loaded again from the claim_state view and
// committed again; claims are explainable and every recorded commitment still recomputes from
// the log (ledgerctl verify-map).
TEST_F(CrashPointsTest, StateMapBeforeRecord) {
  RunResult init = Init();
  ASSERT_TRUE(init.status.Exited(0));
  const std::string prefix = "checkpoint verifier key: ";
  const size_t at = init.output.find(prefix);
  ASSERT_NE(at, std::string::npos) << init.output;
  const std::string verifier =
      init.output.substr(at + prefix.size(), init.output.find('\n', at) - at - prefix.size());
  anchor_args_ = {"--map-commit-interval-ms", "10"};
  Serve("state-map-before-record:2");
  int acked = 0;
  for (int i = 0; i < 200; ++i) {
    if (!Append(absl::StrCat("ev-", i)).ok()) break;
    ++acked;
  }
  ExpectServerCrashedAt("state-map-before-record");
  EXPECT_GE(acked, 1);
  InvariantReport report = CheckDataDir(dir_, record_);
  EXPECT_TRUE(report.ok()) << report.ToString();

  Serve();
  ASSERT_TRUE(Append("after-restart").ok());
  const std::string size = absl::StrCat(report.tree_size + 1);
  absl::StatusOr<RunResult> explain = RunProgram(
      {g_ledgerctl, "explain", "ev-0", "--server", server_->address(), "--out",
       work_ + "/ev-0.json", "--log-key", verifier, "--min-tree-size", size, "--public-key",
       admin_pub_},
      {}, work_ + "/explain.out");
  ASSERT_TRUE(explain.ok()) << explain.status();
  EXPECT_TRUE(explain->status.Exited(0)) << explain->output;
  EXPECT_THAT(explain->output, HasSubstr("is ACTIVE as of tree size " + size));
  absl::StatusOr<RunResult> audit =
      RunProgram({g_ledgerctl, "verify-map", "--server", server_->address(), "--log-key", verifier},
                 {}, work_ + "/verify-map.out");
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_TRUE(audit->status.Exited(0)) << audit->output;
  EXPECT_THAT(audit->output, HasSubstr("map intact: "));
}

// Issue 15 case 1 against the real binaries: `cp -a` of the whole data directory restored
// later. ledgerd refuses it (exit 4) through the external anchor; `ledgerctl verify` passes on
// the directory's own (restored) anchor and fails (exit 2) when told about the external one.
TEST_F(CrashPointsTest, WholeDataDirRestoredBehindTheExternalAnchorIsRefused) {
  UseExternalAnchor();
  ASSERT_TRUE(Init().status.Exited(0));
  Serve();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(absl::StrCat("early-", i)).ok());
  StopCleanly();
  CopyTree(dir_, work_ + "/backup");
  Serve();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append(absl::StrCat("late-", i)).ok());
  StopCleanly();
  std::filesystem::remove_all(dir_);
  CopyTree(work_ + "/backup", dir_);

  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> s = LedgerdServer::Start(
      g_ledgerd, dir_, work_, {}, &status, absl::Seconds(30), anchor_args_);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(status.Exited(4)) << status.ToString();
  const std::string output(s.status().message());
  EXPECT_THAT(output, HasSubstr("holds 5 entries"));
  EXPECT_THAT(output, HasSubstr("tree size 8"));
  EXPECT_THAT(output, HasSubstr(datadir::AnchorFile(anchor_dir_)));
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 8);

  absl::StatusOr<RunResult> own =
      RunProgram({g_ledgerctl, "verify", "--data-dir", dir_}, {}, work_ + "/verify-own.out");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_TRUE(own->status.Exited(0)) << own->output;  // consistent with its own old anchor
  absl::StatusOr<RunResult> external = RunProgram(
      {g_ledgerctl, "verify", "--data-dir", dir_, "--anchor", datadir::AnchorFile(anchor_dir_)}, {},
      work_ + "/verify-external.out");
  ASSERT_TRUE(external.ok()) << external.status();
  EXPECT_TRUE(external->status.Exited(2)) << external->output;
  EXPECT_THAT(external->output, HasSubstr("first bad sequence 5"));
  EXPECT_THAT(external->output, HasSubstr("holds 5 entries"));
  EXPECT_THAT(external->output, HasSubstr("tree size 8"));
}

// `ledgerctl verify --data-dir` checks the directory's own anchor: a database rolled back
// behind it was "intact" before issue 15.
TEST_F(CrashPointsTest, VerifyFailsForADatabaseBehindItsOwnAnchor) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Append(absl::StrCat("early-", i)).ok());
  StopCleanly();
  CopyTree(datadir::LogDir(dir_), work_ + "/db-at-4");
  Serve();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Append(absl::StrCat("late-", i)).ok());
  StopCleanly();
  std::filesystem::remove_all(datadir::LogDir(dir_));
  std::filesystem::rename(work_ + "/db-at-4", datadir::LogDir(dir_));
  absl::StatusOr<RunResult> verify =
      RunProgram({g_ledgerctl, "verify", "--data-dir", dir_}, {}, work_ + "/verify.out");
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_TRUE(verify->status.Exited(2)) << verify->output;
  EXPECT_THAT(verify->output, HasSubstr("NOT INTACT: first bad sequence 4"));
  EXPECT_THAT(verify->output, HasSubstr("holds 4 entries"));
  EXPECT_THAT(verify->output, HasSubstr("tree size 6"));
}

// ledgerctl backup / restore against the real binaries (docs/operations.md): a backup older
// than the external anchor restores as behind what was signed; ledgerd serves it read-only
// (appends FAILED_PRECONDITION, reason LOG_BEHIND_SIGNED) and the anchor never goes back; a
// restore that takes the missing entries from another database of the log resumes appends.
TEST_F(CrashPointsTest, RestoreBehindTheExternalAnchorServesReadsOnlyUntilRecovered) {
  UseExternalAnchor();
  ASSERT_TRUE(Init().status.Exited(0));
  Serve();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Append(absl::StrCat("early-", i)).ok());
  StopCleanly();
  const std::string backup = work_ + "/backup";
  absl::StatusOr<RunResult> backed = RunProgram(
      {g_ledgerctl, "backup", "--data-dir", dir_, "--out", backup}, {}, work_ + "/backup.out");
  ASSERT_TRUE(backed.ok() && backed->status.Exited(0)) << (backed.ok() ? backed->output : "");
  Serve();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Append(absl::StrCat("late-", i)).ok());
  StopCleanly();
  const std::string lost = work_ + "/lost";  // the failed disk, say; here: still readable
  std::filesystem::rename(dir_, lost);

  std::vector<std::string> restore = {g_ledgerctl,  "restore",    "--backup",
                                      backup,       "--data-dir", dir_,
                                      "--anchor-dir", anchor_dir_};
  absl::StatusOr<RunResult> crashed =
      RunProgram(restore, {"LEDGER_CRASH_AT=restore-before-rename"}, work_ + "/restore0.out");
  ASSERT_TRUE(crashed.ok());
  ExpectCrashedAt(crashed->status, crashed->output, "restore-before-rename");
  EXPECT_FALSE(std::filesystem::exists(dir_));  // all or nothing
  absl::StatusOr<RunResult> restored = RunProgram(restore, {}, work_ + "/restore1.out");
  ASSERT_TRUE(restored.ok());
  ASSERT_TRUE(restored->status.Exited(0)) << restored->output;
  EXPECT_THAT(restored->output, HasSubstr("BEHIND WHAT WAS SIGNED: the log signed tree size 6"));

  Serve();
  v1::GetLogInfoResponse info;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetLogInfo(&ctx, v1::GetLogInfoRequest(), &info).ok());
  }
  EXPECT_EQ(info.tree_size(), 4u);
  const v1::SignedEvent refused_event = TestEvent("refused");
  v1::AppendRequest req;
  *req.mutable_event() = refused_event;
  v1::AppendResponse resp;
  grpc::ClientContext ctx;
  const grpc::Status refused = stub_->Append(&ctx, req, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(testing::ErrorReason(refused), "LOG_BEHIND_SIGNED");
  EXPECT_THAT(refused.error_message(), HasSubstr("restored with 4 entries"));
  StopCleanly();
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 6);

  // Recovery: restore again with the entries of a database that has them.
  std::filesystem::rename(dir_, work_ + "/behind");
  restore.insert(restore.end(), {"--db-from", lost});
  absl::StatusOr<RunResult> recovered = RunProgram(restore, {}, work_ + "/restore2.out");
  ASSERT_TRUE(recovered.ok());
  ASSERT_TRUE(recovered->status.Exited(0)) << recovered->output;
  EXPECT_THAT(recovered->output, ::testing::Not(HasSubstr("BEHIND")));
  Serve();
  v1::AppendResponse next;
  ASSERT_TRUE(Append("next", &next).ok());
  EXPECT_EQ(next.sequence(), 6u);
  StopCleanly();
  ExpectInvariants(/*anchor_at_head=*/true);
}

// Issue 15 case 3 with --anchor-before-ack: kill -9, then the synced WAL tail loses its last
// byte (media damage). Every acknowledged entry was anchored before its answer, so the
// shortened log is refused (exit 4) instead of served and appended to.
TEST_F(CrashPointsTest, AnchorBeforeAckRefusesAWalTailDamagedAfterAKill) {
  UseExternalAnchor();
  ASSERT_TRUE(Init().status.Exited(0));
  std::vector<std::string> args = anchor_args_;
  args.push_back("--anchor-before-ack");
  ServeWithArgs(args);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(absl::StrCat("ev-", i)).ok());
  EXPECT_EQ(AnchoredSize(dir_), 5);  // before the kill: anchored with the answers
  EXPECT_EQ(AnchoredSize(dir_, anchor_dir_), 5);
  ASSERT_TRUE(server_->process().Kill(SIGKILL).KilledBy(SIGKILL));
  const std::string wal = NewestNumberedFile(datadir::LogDir(dir_), ".log");
  ASSERT_FALSE(wal.empty());
  std::filesystem::resize_file(wal, std::filesystem::file_size(wal) - 1);

  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> again =
      LedgerdServer::Start(g_ledgerd, dir_, work_, {}, &status, absl::Seconds(30), args);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(status.Exited(4)) << status.ToString();
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("holds 4 entries"));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("WAL ends in a damaged record"));
}

// `ledgerd serve --peer`: the leader's whole directory restored from an older copy, without an
// external anchor; a server that holds the newer log (a follower, here a second ledgerd on the
// newer copy) makes the leader refuse to start (exit 4) before it signs anything.
TEST_F(CrashPointsTest, LeaderRestoredBehindAPeerRefusesToStart) {
  ASSERT_TRUE(Init().status.Exited(0));
  Serve();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(absl::StrCat("early-", i)).ok());
  StopCleanly();
  const std::string old_copy = work_ + "/old-copy";
  CopyTree(dir_, old_copy);
  Serve();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append(absl::StrCat("late-", i)).ok());
  StopCleanly();
  Serve();  // the peer: holds the checkpoint of size 8

  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> restored =
      LedgerdServer::Start(g_ledgerd, old_copy, work_, {}, &status, absl::Seconds(30),
                           {"--peer", server_->address()});
  ASSERT_FALSE(restored.ok());
  EXPECT_TRUE(status.Exited(4)) << status.ToString();
  const std::string output(restored.status().message());
  EXPECT_THAT(output, HasSubstr("\"reason\":\"LOG_BEHIND_PEER\""));
  EXPECT_THAT(output, HasSubstr("holds 5 entries"));
  EXPECT_THAT(output, HasSubstr("tree size 8"));
  EXPECT_EQ(AnchoredSize(old_copy), 5);
  StopCleanly();
}

// Issue 15 case 3 as a loop: with --anchor-before-ack, kill -9 during appends (after a
// different number of answers each round), cut the newest WAL's last byte, restart. Each round
// must be refused (exit 4: the cut took an anchored entry) or serve every acknowledged entry
// (the invariant checker); never less.
TEST_F(CrashPointsTest, KillAndWalTailDamageLoopNeverServesLessThanAcknowledged) {
  constexpr int kRounds = 6;
  const std::string base = work_;
  int refused = 0, served = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    dir_ = absl::StrCat(base, "/loop-", round);
    anchor_dir_ = absl::StrCat(base, "/loop-anchors-", round);
    std::filesystem::create_directories(anchor_dir_);
    anchor_args_ = {"--anchor-dir", anchor_dir_};
    record_ = ClientRecord();
    ASSERT_TRUE(Init().status.Exited(0));
    std::vector<std::string> args = anchor_args_;
    args.push_back("--anchor-before-ack");
    ServeWithArgs(args);

    const int kill_after = 3 + 2 * round;
    absl::Mutex mu;
    int acked = 0;
    bool writer_done = false;
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 0; !stop.load(); ++i) {
        const bool ok = Append(absl::StrCat("r", round, "-", i)).ok();
        absl::MutexLock lock(&mu);
        if (!ok) break;
        ++acked;
      }
      absl::MutexLock lock(&mu);
      writer_done = true;
    });
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return acked >= kill_after || writer_done;
      };
      mu.Await(absl::Condition(&ready));
    }
    ASSERT_TRUE(server_->process().Kill(SIGKILL).KilledBy(SIGKILL));  // mid-append
    stop = true;
    writer.join();
    ASSERT_GE(acked, kill_after);
    const std::string wal = NewestNumberedFile(datadir::LogDir(dir_), ".log");
    ASSERT_FALSE(wal.empty());
    ASSERT_GT(std::filesystem::file_size(wal), 0u);
    std::filesystem::resize_file(wal, std::filesystem::file_size(wal) - 1);

    ExitStatus status;
    absl::StatusOr<std::unique_ptr<LedgerdServer>> again =
        LedgerdServer::Start(g_ledgerd, dir_, work_, {}, &status, absl::Seconds(30), args);
    if (!again.ok()) {
      EXPECT_TRUE(status.Exited(4)) << again.status();
      EXPECT_THAT(std::string(again.status().message()),
                  HasSubstr("\"reason\":\"LOG_BEHIND_ANCHOR\""));
      ++refused;
      continue;
    }
    server_ = *std::move(again);
    stub_.reset();
    StopCleanly();
    CheckOptions options;
    options.require_anchor_at_head = true;
    InvariantReport report = CheckDataDir(dir_, record_, options);
    EXPECT_TRUE(report.ok()) << "served less than acknowledged: " << report.ToString();
    ++served;
  }
  std::cout << "kill -9 + WAL tail damage, " << kRounds << " rounds: " << refused
            << " refused (exit 4), " << served << " served with every acknowledged entry\n";
  EXPECT_EQ(refused + served, kRounds);
}

TEST_F(CrashPointsTest, AnchorDirInsideTheDataDirIsBadUsageNamingBothPaths) {
  ASSERT_TRUE(Init().status.Exited(0));
  const std::string inside = dir_ + "/anchors";
  std::filesystem::create_directories(inside);
  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> s = LedgerdServer::Start(
      g_ledgerd, dir_, work_, {}, &status, absl::Seconds(30), {"--anchor-dir", inside});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(status.Exited(1)) << status.ToString();
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("the external anchor directory " + inside));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("inside the data directory " + dir_));
  EXPECT_FALSE(std::filesystem::exists(datadir::AnchorFile(inside)));
}

TEST_F(CrashPointsTest, InitRefusesAnAnchorDirInsideTheDataDirBeforeWritingAnything) {
  anchor_args_ = {"--anchor-dir", dir_ + "/anchors"};
  std::filesystem::create_directories(dir_ + "/anchors");
  RunResult init = Init();
  EXPECT_TRUE(init.status.Exited(1)) << init.status.ToString() << init.output;
  EXPECT_THAT(init.output, HasSubstr("inside the data directory"));
  EXPECT_FALSE(std::filesystem::exists(datadir::IdentityFile(dir_)));
  EXPECT_FALSE(std::filesystem::exists(datadir::LogKeyFile(dir_)));
}

TEST_F(CrashPointsTest, ProductionModeRefusesToStartWithoutAnExternalAnchor) {
  ASSERT_TRUE(Init().status.Exited(0));
  ExitStatus status;
  absl::StatusOr<std::unique_ptr<LedgerdServer>> s = LedgerdServer::Start(
      g_ledgerd, dir_, work_, {}, &status, absl::Seconds(30), {"--require-external-anchor"});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(status.Exited(1)) << status.ToString();
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("--require-external-anchor: no --anchor-dir given"));
}

}  // namespace
}  // namespace ledger::reliability

int main(int argc, char** argv) {
  return ledger::reliability::RunProcessTests(argc, argv, "crash_points_test",
                                              &ledger::reliability::g_ledgerd,
                                              &ledger::reliability::g_ledgerctl);
}
