// A starting leader asks its followers (service/peer_check.h, issue 15): a follower that holds a
// checkpoint of this log larger than the log, or with another root, refuses the start; peers
// that cannot be reached or hold another log are listed and ignored. Real gRPC servers on
// 127.0.0.1, port 0, serve the "followers" (any server answers GetCheckpoint with the newest
// checkpoint it holds).
#include "service/peer_check.h"

#include <filesystem>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/datadir/data_dir.h"
#include "service/ledger_service.h"
#include "tests/testing/in_process_ledger.h"
#include "tests/testing/status_matchers.h"
#include "tests/reliability/test_data_dir.h"
#include "tests/testing/test_dir.h"

namespace ledger::reliability {
namespace {

using ::ledger::testing::FreshDir;
using ::ledger::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A log served over gRPC on 127.0.0.1 (port 0).
class ServedLog {
 public:
  explicit ServedLog(const std::string& dir) {
    auto log = datadir::OpenLog(dir, core::LogOptions());
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    service_ = std::make_unique<service::LedgerServiceImpl>(log_.get());
    auto server = testing::LoopbackServer::Start({service_.get()});
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }

  core::Log& log() { return *log_; }
  service::Peer AsPeer() const { return {server_->address(), server_->NewChannel()}; }

 private:
  std::unique_ptr<core::Log> log_;
  std::unique_ptr<service::LedgerServiceImpl> service_;
  std::unique_ptr<testing::LoopbackServer> server_;  // after service_: shuts down before it goes
};

class PeerCheckTest : public ::testing::Test {
 protected:
  // dir_: 3 entries, copied to old_ (a leader's directory restored from an older copy), then 3
  // more in dir_ (what the followers received).
  void SetUp() override {
    dir_ = FreshDir();
    old_ = FreshDir(".old");
    ASSERT_TRUE(InitTestDataDir(dir_).ok());
    {
      auto log = datadir::OpenLog(dir_, core::LogOptions());
      ASSERT_TRUE(log.ok()) << log.status();
      ASSERT_TRUE(AppendMany(**log, "early", 3, &record_).ok());
    }
    CopyTree(dir_, old_);
    auto log = datadir::OpenLog(dir_, core::LogOptions());
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE(AppendMany(**log, "late", 3, &record_).ok());
  }

  std::unique_ptr<core::Log> Open(const std::string& dir) {
    auto log = datadir::OpenLog(dir, core::LogOptions());
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  std::string dir_, old_;
  ClientRecord record_;
};

TEST_F(PeerCheckTest, FollowerAheadOfTheRestoredLogRefusesTheStart) {
  ServedLog follower(dir_);
  std::unique_ptr<core::Log> restored = Open(old_);
  ASSERT_NE(restored, nullptr);
  const service::Peer peer = follower.AsPeer();
  absl::StatusOr<service::PeerCheckResult> r =
      service::CheckPeers(*restored, {peer}, absl::Seconds(10));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          AllOf(HasSubstr("holds 3 entries"), HasSubstr("tree size 6"),
                                HasSubstr("follower " + peer.address), HasSubstr("--db-from"))));
  EXPECT_EQ(ErrorReason(r.status()), service::kReasonLogBehindPeer);
  EXPECT_EQ(restored->Head().tree_size, 3u);  // nothing signed
}

TEST_F(PeerCheckTest, FollowerWithAnotherRootAtTheSameSizeRefusesTheStart) {
  {
    auto fork = datadir::OpenLog(old_, core::LogOptions());
    ASSERT_TRUE(fork.ok()) << fork.status();
    ASSERT_TRUE(AppendMany(**fork, "other", 3, &record_).ok());
  }
  ServedLog follower(dir_);
  std::unique_ptr<core::Log> forked = Open(old_);
  ASSERT_NE(forked, nullptr);
  absl::StatusOr<service::PeerCheckResult> r =
      service::CheckPeers(*forked, {follower.AsPeer()}, absl::Seconds(10));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          AllOf(HasSubstr("tree size 6 with another root"),
                                HasSubstr("(6 entries)"))));
  EXPECT_EQ(ErrorReason(r.status()), service::kReasonLogForkedFromPeer);
}

TEST_F(PeerCheckTest, FollowersBehindOrEqualPass) {
  ServedLog behind(old_);  // a follower that has 3 of the 6 entries
  std::unique_ptr<core::Log> leader = Open(dir_);
  ASSERT_NE(leader, nullptr);
  absl::StatusOr<service::PeerCheckResult> r =
      service::CheckPeers(*leader, {behind.AsPeer()}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->largest, 3u);
  EXPECT_TRUE(r->unreachable.empty());
  EXPECT_TRUE(r->foreign.empty());
}

TEST_F(PeerCheckTest, UnreachableAndForeignPeersAreListedAndIgnored) {
  const std::string other = FreshDir(".other");
  ASSERT_TRUE(InitTestDataDir(other).ok());  // another log key
  ServedLog foreign(other);
  service::Peer gone;
  {
    ServedLog stopped(old_);
    gone = stopped.AsPeer();
  }  // its server is shut down: nothing listens there any more
  std::unique_ptr<core::Log> leader = Open(dir_);
  ASSERT_NE(leader, nullptr);
  absl::StatusOr<service::PeerCheckResult> r =
      service::CheckPeers(*leader, {gone, foreign.AsPeer()}, absl::Seconds(2));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->unreachable.size(), 1u);
  EXPECT_THAT(r->unreachable[0], HasSubstr(gone.address));
  ASSERT_EQ(r->foreign.size(), 1u);
  EXPECT_THAT(r->foreign[0], HasSubstr(foreign.AsPeer().address));
  EXPECT_EQ(r->largest, 0u);
}

}  // namespace
}  // namespace ledger::reliability
