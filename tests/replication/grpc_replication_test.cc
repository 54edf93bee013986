// Replication over real gRPC on loopback, in one process: a leader data directory and a
// follower data directory (ledgerd init-follower's), the Replicate / GetReplicationStatus /
// ListFollowers RPCs, GrpcEntrySource, and the follower's refusal of appends.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/replication/follower.h"
#include "ledger/replication/fork_evidence.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "service/ledger_service.h"
#include "service/replication_grpc_source.h"
#include "service/replication_service.h"
#include "tests/testing/in_process_ledger.h"
#include "tests/testing/test_dir.h"
#include "tests/testing/test_log.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::testing::HasSubstr;
constexpr char kOrigin[] = "replication.example/log";

// A Log served over gRPC on 127.0.0.1 with a free port.
struct Served {
  Served(core::Log* log, const service::ReplicationContext* replication) {
    service::LedgerServiceOptions options;
    options.replication = replication;
    service = std::make_unique<service::LedgerServiceImpl>(log, options);
    auto started = testing::LoopbackServer::Start({service.get()});
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return;
    server = *std::move(started);
    stub = v1::LedgerService::NewStub(server->NewChannel());
  }
  std::string address() const { return server->address(); }

  std::unique_ptr<service::LedgerServiceImpl> service;
  std::unique_ptr<testing::LoopbackServer> server;  // after service: shuts down before it goes
  std::unique_ptr<v1::LedgerService::Stub> stub;
};

class GrpcReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leader_dir_ = testing::FreshDir("-leader");
    follower_dir_ = testing::FreshDir("-follower");
    ASSERT_TRUE(datadir::InitDataDir(leader_dir_, kOrigin, {AdminKey().public_key()}).ok());
    auto leader = datadir::OpenLog(leader_dir_, core::LogOptions());
    ASSERT_TRUE(leader.ok()) << leader.status();
    leader_ = *std::move(leader);
    leader_context_.followers = &follower_table_;
    leader_server_ = std::make_unique<Served>(leader_.get(), &leader_context_);
    // The follower is configured with the leader's identity from "its own configuration".
    const core::LogIdentity identity = leader_->identity();
    ASSERT_TRUE(datadir::InitFollowerDataDir(follower_dir_, identity.origin,
                                          identity.log_public_key, identity.admin_keys)
                    .ok());
    OpenFollower();
  }

  void OpenFollower() {
    core::LogOptions options;
    options.leader = leader_server_->address();
    auto follower = datadir::OpenLog(follower_dir_, options);
    ASSERT_TRUE(follower.ok()) << follower.status();
    follower_log_ = *std::move(follower);
  }

  void AppendClaims(const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(leader_
                      ->Append(client::SignEvent(kOrigin, absl::StrCat(prefix, "-", i),
                                                 ClaimEvent(absl::StrCat("Claim ", prefix, i)),
                                                 AdminKey()))
                      .ok());
    }
  }

  // A follower of the leader over gRPC; runs rounds until caught up.
  void Replicate(replication::Follower& follower) {
    replication::Follower::Round r = replication::Follower::Round::kRetry;
    for (int i = 0; i < 100 && r == replication::Follower::Round::kRetry; ++i) {
      r = follower.RunOnce();
    }
    ASSERT_EQ(r, replication::Follower::Round::kCaughtUp) << follower.status().last_error;
  }

  replication::FollowerOptions FollowerOptions() {
    replication::FollowerOptions o;
    o.follower_id = "mirror-1";
    o.leader = leader_server_->address();
    o.evidence_dir = datadir::ForkEvidenceDir(follower_dir_);
    o.wait_for_growth = absl::ZeroDuration();
    return o;
  }

  std::string leader_dir_, follower_dir_;
  service::FollowerTable follower_table_;
  service::ReplicationContext leader_context_;
  std::unique_ptr<core::Log> leader_;
  std::unique_ptr<Served> leader_server_;
  std::unique_ptr<core::Log> follower_log_;
};

TEST_F(GrpcReplicationTest, FollowerReplicatesAndServesTheSameLog) {
  AppendClaims("a", 30);
  service::GrpcEntrySource source(*service::LeaderChannel(leader_server_->address(), "", "", ""));
  replication::Follower follower(follower_log_.get(), &source, FollowerOptions());
  Replicate(follower);
  AppendClaims("b", 5);
  Replicate(follower);
  EXPECT_EQ(follower_log_->Head(), leader_->Head());
  // Each request reports the follower's durable size: the next round's tells the leader 35.
  EXPECT_EQ(follower.RunOnce(), replication::Follower::Round::kCaughtUp);

  service::ReplicationContext context;
  context.leader = leader_server_->address();
  context.follower = &follower;
  Served follower_server(follower_log_.get(), &context);
  for (Served* s : {leader_server_.get(), &follower_server}) {
    grpc::ClientContext ctx;
    v1::GetCheckpointResponse cp;
    ASSERT_TRUE(s->stub->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &cp).ok());
    EXPECT_EQ(cp.checkpoint(), leader_->LatestCheckpoint());
  }
  // Proofs come from the follower's own store.
  grpc::ClientContext proof_ctx;
  v1::GetConsistencyProofRequest proof_req;
  proof_req.set_from_tree_size(7);
  v1::GetConsistencyProofResponse proof;
  ASSERT_TRUE(follower_server.stub->GetConsistencyProof(&proof_ctx, proof_req, &proof).ok());
  EXPECT_EQ(proof.to_tree_size(), 35u);

  grpc::ClientContext status_ctx;
  v1::GetReplicationStatusResponse status;
  ASSERT_TRUE(follower_server.stub
                  ->GetReplicationStatus(&status_ctx, v1::GetReplicationStatusRequest(), &status)
                  .ok());
  EXPECT_EQ(status.role(), "follower");
  EXPECT_EQ(status.state(), v1::REPLICATION_STATE_CAUGHT_UP);
  EXPECT_EQ(status.leader(), leader_server_->address());
  EXPECT_EQ(status.tree_size(), 35u);
  EXPECT_EQ(status.leader_tree_size(), 35u);
  EXPECT_EQ(status.lag_entries(), 0u);
  EXPECT_EQ(status.fork_kind(), v1::FORK_KIND_NONE);

  grpc::ClientContext leader_status_ctx;
  v1::GetReplicationStatusResponse leader_status;
  ASSERT_TRUE(leader_server_->stub
                  ->GetReplicationStatus(&leader_status_ctx, v1::GetReplicationStatusRequest(),
                                         &leader_status)
                  .ok());
  EXPECT_EQ(leader_status.role(), "leader");
  EXPECT_EQ(leader_status.state(), v1::REPLICATION_STATE_LEADER);

  grpc::ClientContext list_ctx;
  v1::ListFollowersResponse followers;
  ASSERT_TRUE(
      leader_server_->stub->ListFollowers(&list_ctx, v1::ListFollowersRequest(), &followers).ok());
  ASSERT_EQ(followers.followers_size(), 1);
  EXPECT_EQ(followers.followers(0).follower_id(), "mirror-1");
  EXPECT_EQ(followers.followers(0).tree_size(), 35u);
  EXPECT_EQ(followers.followers(0).lag_entries(), 0u);
  EXPECT_THAT(followers.followers(0).peer(), HasSubstr("127.0.0.1"));
  EXPECT_GT(followers.followers(0).last_seen_micros(), 0);
}

TEST_F(GrpcReplicationTest, FollowerRefusesAppendsNamingTheLeader) {
  service::ReplicationContext context;
  context.leader = leader_server_->address();
  Served follower_server(follower_log_.get(), &context);
  v1::AppendRequest req;
  *req.mutable_event() = client::SignEvent(kOrigin, "refused", ClaimEvent("x"), AdminKey());
  grpc::ClientContext ctx;
  v1::AppendResponse resp;
  grpc::Status s = follower_server.stub->Append(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(testing::ErrorReason(s), "NOT_LEADER");
  EXPECT_THAT(s.error_message(), HasSubstr(leader_server_->address()));
  EXPECT_EQ(follower_log_->Head().tree_size, 0u);
  // Without --follow: read-only, and the status says so.
  grpc::ClientContext status_ctx;
  v1::GetReplicationStatusResponse status;
  ASSERT_TRUE(follower_server.stub
                  ->GetReplicationStatus(&status_ctx, v1::GetReplicationStatusRequest(), &status)
                  .ok());
  EXPECT_EQ(status.state(), v1::REPLICATION_STATE_NOT_REPLICATING);
}

TEST_F(GrpcReplicationTest, FollowerDirectoryReopensAndIsAnchored) {
  ASSERT_TRUE(datadir::IsFollowerDataDir(follower_dir_).value());
  ASSERT_FALSE(datadir::IsFollowerDataDir(leader_dir_).value());
  EXPECT_FALSE(datadir::ReadAnchor(nullptr, follower_dir_).value().has_value());  // empty: none
  AppendClaims("a", 12);
  {
    service::GrpcEntrySource source(*service::LeaderChannel(leader_server_->address(), "", "", ""));
    replication::Follower follower(follower_log_.get(), &source, FollowerOptions());
    Replicate(follower);
  }
  follower_log_.reset();  // anchors the head
  EXPECT_EQ(datadir::ReadAnchor(nullptr, follower_dir_).value().value_or(""),
            leader_->LatestCheckpoint());
  OpenFollower();
  EXPECT_EQ(follower_log_->Head(), leader_->Head());
  EXPECT_TRUE(follower_log_->is_follower());
  // init-follower refuses an initialised directory.
  EXPECT_TRUE(absl::IsAlreadyExists(datadir::InitFollowerDataDir(
      follower_dir_, kOrigin, leader_->identity().log_public_key, {AdminKey().public_key()})));
}

// Promotion by hand (docs/operations.md): the leader's log.key copied in, the role line
// removed; the follower's directory then continues the same log.
TEST_F(GrpcReplicationTest, PromotedFollowerContinuesTheLog) {
  AppendClaims("a", 8);
  {
    service::GrpcEntrySource source(*service::LeaderChannel(leader_server_->address(), "", "", ""));
    replication::Follower follower(follower_log_.get(), &source, FollowerOptions());
    Replicate(follower);
  }
  follower_log_.reset();
  leader_server_.reset();
  leader_.reset();  // the leader is lost; its key was backed up
  ASSERT_EQ(
      ::system(absl::StrCat("cp -p ", datadir::LogKeyFile(leader_dir_), " ",
                            datadir::LogKeyFile(follower_dir_), " && sed -i '/^role follower$/d' ",
                            datadir::IdentityFile(follower_dir_))
                   .c_str()),
      0);
  auto promoted = datadir::OpenLog(follower_dir_, core::LogOptions());
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_FALSE((*promoted)->is_follower());
  auto r = (*promoted)->Append(client::SignEvent(kOrigin, "after-promotion", ClaimEvent("new"),
                                                 AdminKey()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sequence, 8u);
}

TEST_F(GrpcReplicationTest, ReplicateChecksItsRequest) {
  AppendClaims("a", 3);
  v1::ReplicateRequest req;
  req.set_max_entries(1001);
  v1::ReplicateResponse resp;
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(leader_server_->stub->Replicate(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  req.set_max_entries(10);
  req.set_follower_id("not an id!");
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(leader_server_->stub->Replicate(&ctx, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  req.set_follower_id("");
  req.set_start_sequence(1);
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(leader_server_->stub->Replicate(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(resp.latest_checkpoint(), leader_->LatestCheckpoint());
  EXPECT_EQ(resp.tree_size(), 3u);
  ASSERT_EQ(resp.leaf_data_size(), 2);
  EXPECT_EQ(resp.leaf_data(0), *leader_->store().GetEntry(1));
  // One checkpoint per single append: at sizes 2 and 3.
  ASSERT_EQ(resp.checkpoints_size(), 2);
  EXPECT_EQ(resp.checkpoints(0).tree_size(), 2u);
  EXPECT_EQ(resp.checkpoints(1).checkpoint(), leader_->LatestCheckpoint());
  EXPECT_EQ(follower_table_.List().size(), 0u);  // no follower_id: not listed
}

TEST_F(GrpcReplicationTest, ReplicateAtTheHeadWaitsThenAnswers) {
  AppendClaims("a", 2);
  v1::ReplicateRequest req;
  req.set_start_sequence(2);
  req.set_max_entries(10);
  req.set_wait_millis(50);
  v1::ReplicateResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(leader_server_->stub->Replicate(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(resp.leaf_data_size(), 0);
  EXPECT_EQ(resp.tree_size(), 2u);
  // A long poll ends with the entry appended while it waits (or before it started).
  req.set_wait_millis(5000);
  std::thread poll([&] {
    grpc::ClientContext ctx;
    ASSERT_TRUE(leader_server_->stub->Replicate(&ctx, req, &resp).ok());
  });
  AppendClaims("b", 1);
  poll.join();
  EXPECT_EQ(resp.tree_size(), 3u);
  ASSERT_EQ(resp.leaf_data_size(), 1);
  EXPECT_EQ(resp.leaf_data(0), *leader_->store().GetEntry(2));
}

TEST_F(GrpcReplicationTest, CancelledSourceFailsFast) {
  service::GrpcEntrySource source(*service::LeaderChannel(leader_server_->address(), "", "", ""));
  source.Cancel();
  EXPECT_TRUE(absl::IsCancelled(source.LatestCheckpoint({"x", 0}, absl::Seconds(5)).status()));
}

TEST_F(GrpcReplicationTest, UnreachableLeaderIsRetried) {
  leader_server_.reset();  // the leader is gone
  service::GrpcEntrySourceOptions options;
  options.rpc_timeout = absl::Seconds(2);
  service::GrpcEntrySource source(*service::LeaderChannel("127.0.0.1:1", "", "", ""), options);
  replication::FollowerOptions o;
  o.evidence_dir = datadir::ForkEvidenceDir(follower_dir_);
  o.wait_for_growth = absl::ZeroDuration();
  replication::Follower follower(follower_log_.get(), &source, o);
  EXPECT_EQ(follower.RunOnce(), replication::Follower::Round::kRetry);
  EXPECT_EQ(follower.status().state, replication::FollowerState::kRetrying);
  EXPECT_TRUE(absl::IsUnavailable(follower.status().last_error)) << follower.status().last_error;
  EXPECT_EQ(follower.status().fork_kind, replication::ForkKind::kNone);
}

}  // namespace
}  // namespace ledger
