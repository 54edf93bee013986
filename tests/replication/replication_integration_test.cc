// One leader and two followers as real ledgerd processes on loopback: concurrent appends to the
// leader while one follower is killed with SIGKILL mid-stream and restarted; in the end all
// three report the same size, root (signed checkpoint) and view digests; the leader lists both
// followers at its size; a follower refuses appends naming the leader.
//
// Args: --ledgerd=PATH.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "ledger/replication/receipts.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/testing/child_process.h"
#include "tests/testing/test_log.h"
#include "tests/testing/thread_nice.h"
#include "tests/testing/wait_for.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::NiceOfThreads;
using ::testing::Each;
using reliability::ChildProcess;
using ::testing::HasSubstr;

std::string g_ledgerd;
constexpr char kOrigin[] = "replication.example/log";

// Runs `ledgerd args...` to completion; returns its output, fails the test unless it exits 0.
std::string RunLedgerd(const std::vector<std::string>& args, const std::string& out) {
  std::vector<std::string> argv = {g_ledgerd};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = reliability::RunProgram(argv, {}, out);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_TRUE(r->status.Exited(0)) << r->status.ToString() << ": " << r->output;
  return r->output;
}

// Creates `work` with the admin's public key in work/admin.pub and runs `ledgerd init` for the
// leader's data directory work/leader. Returns the checkpoint verifier key init printed; ""
// after a failure when something did not work.
std::string InitLeader(const std::string& work) {
  EXPECT_EQ(::mkdir(work.c_str(), 0755), 0) << work;
  const std::string admin_pub = work + "/admin.pub";
  const absl::Status written = crypto::WritePublicKeyFile(admin_pub, AdminKey().public_key());
  EXPECT_TRUE(written.ok()) << written;
  if (!written.ok()) return "";
  const std::string init = RunLedgerd({"init", "--data-dir", work + "/leader", "--origin", kOrigin,
                                       "--admin-key", admin_pub},
                                      work + "/init.txt");
  const std::string marker = "checkpoint verifier key: ";
  EXPECT_THAT(init, HasSubstr(marker));
  const size_t at = init.find(marker);
  if (at == std::string::npos) return "";
  const std::string rest = init.substr(at + marker.size());
  return std::string(absl::StripAsciiWhitespace(rest.substr(0, rest.find('\n'))));
}

// A `ledgerd serve` process (testing's LedgerdServer) and stubs to it.
struct Server {
  std::unique_ptr<reliability::LedgerdServer> ledgerd;
  std::string address;
  std::unique_ptr<v1::LedgerService::Stub> stub;
  std::unique_ptr<v1::ClaimService::Stub> claims;
  ChildProcess& process() { return ledgerd->process(); }
};

// Serves the data directory work/`name` with `extra` flags; null (after a failure naming it)
// when it does not listen within 60 s.
std::unique_ptr<Server> Serve(const std::string& work, const std::string& name,
                              const std::vector<std::string>& extra) {
  absl::StatusOr<std::unique_ptr<reliability::LedgerdServer>> ledgerd =
      reliability::LedgerdServer::Start(g_ledgerd, absl::StrCat(work, "/", name), work, {},
                                        nullptr, absl::Seconds(60), extra);
  EXPECT_TRUE(ledgerd.ok()) << name << " did not start: " << ledgerd.status();
  if (!ledgerd.ok()) return nullptr;
  auto server = std::make_unique<Server>();
  server->ledgerd = *std::move(ledgerd);
  server->address = server->ledgerd->address();
  auto channel = grpc::CreateChannel(server->address, grpc::InsecureChannelCredentials());
  server->stub = v1::LedgerService::NewStub(channel);
  server->claims = v1::ClaimService::NewStub(channel);
  return server;
}

v1::GetCheckpointResponse Checkpoint(Server& s) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetCheckpointResponse resp;
  grpc::Status st = s.stub->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &resp);
  EXPECT_TRUE(st.ok()) << s.address << ": " << st.error_message();
  return resp;
}

v1::GetReplicationStatusResponse Status(Server& s) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetReplicationStatusResponse resp;
  grpc::Status st = s.stub->GetReplicationStatus(&ctx, v1::GetReplicationStatusRequest(), &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

// Waits until `follower` has the leader's size (or 60 s pass).
bool WaitCaughtUp(Server& follower, uint64_t size) {
  return testing::WaitFor([&] { return Status(follower).tree_size() == size; }, absl::Seconds(60),
                          absl::Milliseconds(100));
}

// View name -> digest, once the views have applied `size` entries; nullopt when the server
// has no ClaimService (views not wired in).
std::optional<std::map<std::string, std::string>> ViewDigests(Server& s, uint64_t size) {
  bool unimplemented = false;
  std::map<std::string, std::string> digests;
  v1::GetViewStatusResponse resp;
  const bool reached = testing::WaitFor(
      [&] {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        v1::GetViewStatusRequest req;
        req.set_with_digests(true);
        resp.Clear();
        grpc::Status st = s.claims->GetViewStatus(&ctx, req, &resp);
        if (st.error_code() == grpc::StatusCode::UNIMPLEMENTED) return unimplemented = true;
        EXPECT_TRUE(st.ok()) << st.error_message();
        if (!st.ok() || resp.watermark() != size) return false;
        for (const auto& v : resp.views()) {
          EXPECT_EQ(v.watermark(), size) << v.name();
          digests[v.name()] = v.digest();
        }
        return true;
      },
      absl::Seconds(60), absl::Milliseconds(100));
  if (unimplemented) return std::nullopt;
  if (!reached) {
    ADD_FAILURE() << s.address << ": views stuck at " << resp.watermark() << ", want " << size;
    return std::map<std::string, std::string>();
  }
  return digests;
}

TEST(ReplicationIntegrationTest, LeaderAndTwoFollowersConverge) {
  const std::string work = absl::StrCat(std::getenv("TEST_TMPDIR"), "/cluster");
  const std::string admin_pub = work + "/admin.pub";
  const std::string verifier = InitLeader(work);
  ASSERT_FALSE(verifier.empty());
  // Follower 1 is configured with the verifier key, follower 2 with the bare public key file.
  RunLedgerd({"init-follower", "--data-dir", work + "/f1", "--origin", kOrigin, "--log-key",
              verifier, "--admin-key", admin_pub},
             work + "/init-f1.txt");
  auto parsed = format::ParseNoteVerifierKey(verifier);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(crypto::WritePublicKeyFile(work + "/log.pub", parsed->public_key).ok());
  RunLedgerd({"init-follower", "--data-dir", work + "/f2", "--origin", kOrigin, "--log-key",
              work + "/log.pub", "--admin-key", admin_pub},
             work + "/init-f2.txt");

  std::unique_ptr<Server> leader = Serve(work, "leader", {});
  ASSERT_NE(leader, nullptr);
  std::unique_ptr<Server> f1 =
      Serve(work, "f1", {"--follow", leader->address, "--follower-id", "f1"});
  std::unique_ptr<Server> f2 =
      Serve(work, "f2", {"--follow", leader->address, "--follower-id", "f2"});
  ASSERT_NE(f1, nullptr);
  ASSERT_NE(f2, nullptr);

  // Concurrent appends: three threads of single events, one of signed batches.
  constexpr int kSingles = 60, kBatches = 5, kBatchSize = 100;
  std::atomic<int> appended{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kSingles; ++i) {
        v1::AppendRequest req;
        const std::string id = absl::StrCat("w", t, "-", i);
        *req.mutable_event() = client::SignEvent(kOrigin, id, ClaimEvent("Claim " + id), AdminKey());
        grpc::ClientContext ctx;
        v1::AppendResponse resp;
        grpc::Status s = leader->stub->Append(&ctx, req, &resp);
        EXPECT_TRUE(s.ok()) << s.error_message();
        ++appended;
      }
    });
  }
  writers.emplace_back([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<std::pair<std::string, std::string>> events;
      for (int i = 0; i < kBatchSize; ++i) {
        const std::string id = absl::StrCat("b", b, "-", i);
        events.emplace_back(id, client::SerializeEvent(ClaimEvent("Batch claim " + id)));
      }
      v1::AppendSignedBatchRequest req;
      *req.mutable_batch() = client::SignBatch(kOrigin, absl::StrCat("batch-", b), events,
                                               AdminKey());
      grpc::ClientContext ctx;
      v1::AppendBatchResponse resp;
      grpc::Status s = leader->stub->AppendSignedBatch(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      appended += kBatchSize;
    }
  });
  // Kill follower 2 with SIGKILL mid-stream, once it holds part of the log; restart it while
  // the appends go on.
  testing::WaitFor([&] { return Status(*f2).tree_size() >= 100; }, absl::Seconds(60),
                   absl::Milliseconds(20));
  const uint64_t f2_size_at_kill = Status(*f2).tree_size();
  EXPECT_TRUE(f2->process().Kill(SIGKILL).KilledBy(SIGKILL));
  std::cout << "follower 2 killed at tree size " << f2_size_at_kill << " (leader at "
            << Checkpoint(*leader).tree_size() << ")\n";
  f2 = Serve(work, "f2", {"--follow", leader->address, "--follower-id", "f2"});
  ASSERT_NE(f2, nullptr);
  for (auto& w : writers) w.join();
  const uint64_t total = 3 * kSingles + kBatches * kBatchSize;
  ASSERT_EQ(appended.load(), static_cast<int>(total));

  const v1::GetCheckpointResponse head = Checkpoint(*leader);
  ASSERT_EQ(head.tree_size(), total);
  for (Server* f : {f1.get(), f2.get()}) {
    ASSERT_TRUE(WaitCaughtUp(*f, total)) << f->address << " stuck at "
                                         << Status(*f).tree_size();
    const v1::GetCheckpointResponse cp = Checkpoint(*f);
    EXPECT_EQ(cp.root_hash(), head.root_hash());
    EXPECT_EQ(cp.checkpoint(), head.checkpoint());
    const v1::GetReplicationStatusResponse status = Status(*f);
    EXPECT_EQ(status.role(), "follower");
    EXPECT_EQ(status.leader(), leader->address);
    EXPECT_EQ(status.fork_kind(), v1::FORK_KIND_NONE) << status.fork_detail();
    EXPECT_EQ(status.tree_size(), total);
  }

  // The same views everywhere (the views replay the same log).
  auto leader_digests = ViewDigests(*leader, total);
  if (leader_digests.has_value()) {
    EXPECT_FALSE(leader_digests->empty());
    EXPECT_EQ(ViewDigests(*f1, total), leader_digests);
    EXPECT_EQ(ViewDigests(*f2, total), leader_digests);
  } else {
    std::cout << "views not served: digests not compared\n";
  }

  // The leader lists both followers; their positions reach its size.
  std::map<std::string, uint64_t> positions;
  bool listed = true;
  testing::WaitFor(
      [&] {
        grpc::ClientContext ctx;
        v1::ListFollowersResponse list;
        listed = leader->stub->ListFollowers(&ctx, v1::ListFollowersRequest(), &list).ok();
        if (!listed) return true;  // stop: the ASSERT below fails
        for (const auto& f : list.followers()) positions[f.follower_id()] = f.tree_size();
        return positions["f1"] == total && positions["f2"] == total;
      },
      absl::Seconds(30), absl::Milliseconds(100));
  ASSERT_TRUE(listed);
  EXPECT_EQ(positions["f1"], total);
  EXPECT_EQ(positions["f2"], total);

  // A follower refuses appends, naming its leader.
  {
    v1::AppendRequest req;
    *req.mutable_event() = client::SignEvent(kOrigin, "to-a-follower", ClaimEvent("x"), AdminKey());
    grpc::ClientContext ctx;
    v1::AppendResponse resp;
    grpc::Status s = f1->stub->Append(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr(leader->address));
  }
  EXPECT_EQ(Checkpoint(*f1).tree_size(), total);

  // A follower's views run below its replication (--views-nice defaults to 10 there); a
  // leader's views keep the process's priority (they pace its appends instead).
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(leader->process().pid()));
  for (const char* name : {"views-update", "views-write", "state-map"}) {
    EXPECT_THAT(NiceOfThreads(leader->process().pid(), name), Each(base)) << name;
    EXPECT_THAT(NiceOfThreads(f1->process().pid(), name), Each(std::min(19, base + 10)))
        << name;
    EXPECT_FALSE(NiceOfThreads(leader->process().pid(), name).empty()) << name;
    EXPECT_FALSE(NiceOfThreads(f1->process().pid(), name).empty()) << name;
  }
  EXPECT_THAT(NiceOfThreads(f1->process().pid(), "follower"), Each(base));

  // Clean stops.
  for (Server* s : {f1.get(), f2.get(), leader.get()}) {
    reliability::ExitStatus exit = s->process().Kill(SIGTERM);
    EXPECT_TRUE(exit.Exited(0)) << s->address << ": " << exit.ToString() << "\n"
                                << s->process().Output();
  }
}

// The named crash points around a follower's commit (docs/reliability.md, "Crash points": "mid follower
// apply"): the follower dies there (exit 137, like kill -9), restarts, and converges.
TEST(ReplicationIntegrationTest, FollowerKilledAroundItsCommitConverges) {
  const std::string work = absl::StrCat(std::getenv("TEST_TMPDIR"), "/crash-points");
  const std::string admin_pub = work + "/admin.pub";
  const std::string verifier = InitLeader(work);
  ASSERT_FALSE(verifier.empty());
  std::unique_ptr<Server> leader = Serve(work, "leader", {});
  ASSERT_NE(leader, nullptr);
  // replica-*: on the log's committer thread, which commits a chunk while the follower
  // checks the next one (Log::StageReplicated). The last three with durable receipts
  // (--follow-receipts): a receipt stored and not applied, and one applied whose removal is
  // lost, are applied at the restart.
  for (const std::string point : {"follower-before-apply", "follower-after-apply",
                                  "replica-before-commit", "replica-after-commit",
                                  "follower-before-receipt", "follower-after-receipt",
                                  "receipt-applied-before-remove"}) {
    const bool receipts = point.find("receipt") != std::string::npos;
    std::vector<std::string> follow = {"--follow", leader->address};
    if (receipts) follow.push_back("--follow-receipts");
    const std::string name = "f-" + point;
    RunLedgerd({"init-follower", "--data-dir", work + "/" + name, "--origin", kOrigin,
                "--log-key", verifier, "--admin-key", admin_pub},
               work + "/init-" + name + ".txt");
    // One more batch on the leader, so that the follower has something to apply.
    std::vector<std::pair<std::string, std::string>> events;
    for (int i = 0; i < 50; ++i) {
      const std::string id = absl::StrCat(point, "-", i);
      events.emplace_back(id, client::SerializeEvent(ClaimEvent("Claim " + id)));
    }
    v1::AppendSignedBatchRequest req;
    *req.mutable_batch() = client::SignBatch(kOrigin, point, events, AdminKey());
    grpc::ClientContext ctx;
    v1::AppendBatchResponse resp;
    ASSERT_TRUE(leader->stub->AppendSignedBatch(&ctx, req, &resp).ok());
    const uint64_t size = Checkpoint(*leader).tree_size();

    const std::string port_file = absl::StrCat(work, "/", name, ".port");
    std::vector<std::string> argv = {g_ledgerd,   "serve",       "--data-dir", work + "/" + name,
                                     "--listen",  "127.0.0.1:0", "--port-file", port_file};
    argv.insert(argv.end(), follow.begin(), follow.end());
    auto crashing = ChildProcess::Spawn(argv,
        {"LEDGER_CRASH_AT=" + point}, work + "/" + name + "-crash.log");
    ASSERT_TRUE(crashing.ok()) << crashing.status();
    const reliability::ExitStatus exit = (*crashing)->Wait();
    EXPECT_TRUE(exit.Exited(137)) << point << ": " << exit.ToString() << "\n"
                                  << (*crashing)->Output();
    EXPECT_THAT((*crashing)->Output(), HasSubstr("crashing at " + point));

    if (receipts && point != "follower-before-receipt") {
      EXPECT_TRUE(std::filesystem::exists(work + "/" + name + "/receipts/CURRENT")) << point;
    }
    std::unique_ptr<Server> follower = Serve(work, name, follow);
    ASSERT_NE(follower, nullptr);
    if (point == "follower-after-receipt") {
      // Applied at the start, before the follower contacted the leader.
      EXPECT_THAT(follower->process().Output(),
                  HasSubstr("applied the receipts stored before this start"));
    }
    ASSERT_TRUE(WaitCaughtUp(*follower, size)) << point;
    EXPECT_EQ(Checkpoint(*follower).checkpoint(), Checkpoint(*leader).checkpoint()) << point;
    EXPECT_TRUE(follower->process().Kill(SIGTERM).Exited(0));
  }
  EXPECT_TRUE(leader->process().Kill(SIGTERM).Exited(0));
}

// A stored receipt the log cannot take (here one that leaves a gap after the log's head, as a
// damaged receipts database would) makes the follower refuse to start, naming it and what to
// do, instead of replicating around it.
TEST(ReplicationIntegrationTest, FollowerRefusesToStartOnAReceiptItCannotApply) {
  const std::string work = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bad-receipt");
  const std::string verifier = InitLeader(work);
  ASSERT_FALSE(verifier.empty());
  std::unique_ptr<Server> leader = Serve(work, "leader", {});
  ASSERT_NE(leader, nullptr);
  const std::string dir = work + "/follower";
  RunLedgerd({"init-follower", "--data-dir", dir, "--origin", kOrigin, "--log-key", verifier,
              "--admin-key", work + "/admin.pub"},
             work + "/init-follower.txt");
  {
    auto receipts = replication::ReceiptStore::Open(dir + "/receipts");
    ASSERT_TRUE(receipts.ok()) << receipts.status();
    replication::Receipt gap;
    gap.from = 5;  // the follower's log is empty
    gap.checkpoint_note = "not read";
    gap.leaf_datas = {"x"};
    ASSERT_TRUE((*receipts)->Put(gap).ok());
  }
  auto refused = ChildProcess::Spawn(
      {g_ledgerd, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--follow",
       leader->address, "--follow-receipts"},
      {}, work + "/follower.log");
  ASSERT_TRUE(refused.ok()) << refused.status();
  const reliability::ExitStatus exit = (*refused)->Wait();
  EXPECT_TRUE(exit.Exited(2)) << exit.ToString() << "\n" << (*refused)->Output();
  EXPECT_THAT((*refused)->Output(), HasSubstr("cannot apply the receipts stored"));
  EXPECT_THAT((*refused)->Output(), HasSubstr("does not start at the log's size 0"));
  EXPECT_TRUE(leader->process().Kill(SIGTERM).Exited(0));
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  return ledger::reliability::RunProcessTests(argc, argv, "replication_integration_test",
                                              &ledger::g_ledgerd);
}
