// EtcdClient against a real etcd (tests/cluster/etcd_process.h): KV, the transactions cluster
// mode relies on (create-if-absent, guarded put, guarded delete), leases and watches.
#include "ledger/cluster/etcd_client.h"

#include <thread>

#include "gtest/gtest.h"
#include "tests/cluster/etcd_process.h"
#include "tests/testing/wait_for.h"

namespace ledger::cluster {
namespace {

using ::ledger::testing::EtcdProcess;

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdProcess::Start("etcd-client-test");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    auto client = EtcdClient::Connect(etcd_->endpoint(), absl::Seconds(2));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }
  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<EtcdClient> client_;
};

TEST(EtcdClientConnectTest, RefusesBadEndpoints) {
  EXPECT_EQ(EtcdClient::Connect("", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto https = EtcdClient::Connect("https://127.0.0.1:2379", absl::Seconds(1));
  EXPECT_EQ(https.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(https.status().message().find("https"), std::string::npos);
  EXPECT_EQ(EtcdClient::Connect("http://localhost", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto two = EtcdClient::Connect("http://127.0.0.1:1, 127.0.0.1:2/", absl::Seconds(1));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)->endpoints(), (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
}

TEST(EtcdClientConnectTest, DeadEndpointIsUnavailableNamingIt) {
  const int port = ::ledger::testing::FreeLoopbackPort();
  auto client = EtcdClient::Connect("127.0.0.1:" + std::to_string(port), absl::Milliseconds(300));
  ASSERT_TRUE(client.ok());
  auto got = (*client)->Get("/k");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsUnavailable(got.status()) || absl::IsDeadlineExceeded(got.status()))
      << got.status();
  EXPECT_NE(got.status().message().find(std::to_string(port)), std::string::npos);
}

TEST_F(EtcdClientTest, PutGetAndAbsent) {
  auto absent = client_->Get("/a");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
  auto rev = client_->Put("/a", "one");
  ASSERT_TRUE(rev.ok()) << rev.status();
  auto got = client_->Get("/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "one");
  EXPECT_EQ((*got)->create_revision, *rev);
  EXPECT_EQ((*got)->mod_revision, *rev);
  ASSERT_TRUE(client_->Put("/a", "two").ok());
  got = client_->Get("/a");
  EXPECT_EQ((*got)->value, "two");
  EXPECT_EQ((*got)->create_revision, *rev);  // a put keeps the create revision
  EXPECT_GT((*got)->mod_revision, *rev);
}

TEST_F(EtcdClientTest, CreateIfAbsentElectsOneAndGuardsFence) {
  auto lease = client_->GrantLease(10);
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto first = client_->CreateIfAbsent("/leader", "n1", *lease);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  auto second = client_->CreateIfAbsent("/leader", "n2", *lease);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->kv.value, "n1");
  EXPECT_EQ(second->kv.create_revision, first->kv.create_revision);
  EXPECT_EQ(second->kv.lease, *lease);
  const int64_t token = first->kv.create_revision;

  auto put = client_->PutIfGuard("/leader", token, "/checkpoint", "cp1");
  ASSERT_TRUE(put.ok());
  EXPECT_TRUE(*put);
  auto stale = client_->PutIfGuard("/leader", token + 1000, "/checkpoint", "forged");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  EXPECT_EQ((*client_->Get("/checkpoint"))->value, "cp1");

  // Deposed: the key is deleted and created again by another node; the old token fences.
  EXPECT_FALSE(*client_->DeleteIfCreateRevision("/leader", token + 1000));
  EXPECT_TRUE(*client_->DeleteIfCreateRevision("/leader", token));
  auto again = client_->CreateIfAbsent("/leader", "n2", *lease);
  ASSERT_TRUE(again.ok() && again->created);
  EXPECT_GT(again->kv.create_revision, token);
  EXPECT_FALSE(*client_->PutIfGuard("/leader", token, "/checkpoint", "from the old leader"));
  EXPECT_TRUE(*client_->PutIfGuard("/leader", again->kv.create_revision, "/checkpoint", "cp2"));
  EXPECT_EQ((*client_->Get("/checkpoint"))->value, "cp2");
}

TEST_F(EtcdClientTest, LeaseExpiryDeletesTheKeyAndWatchSeesIt) {
  auto lease = client_->GrantLease(2);
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto ttl = client_->KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(*ttl, 0);
  auto created = client_->CreateIfAbsent("/leader", "n1", *lease);
  ASSERT_TRUE(created.ok() && created->created);
  // No more keep-alives: the lease expires and takes the key with it.
  auto change = client_->WaitForChange("/leader", created->kv.mod_revision, absl::Seconds(30));
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_TRUE(change->has_value());
  EXPECT_TRUE((*change)->deleted);
  EXPECT_FALSE(client_->Get("/leader")->has_value());
  auto expired = client_->KeepAlive(*lease);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(*expired, 0);
}

TEST_F(EtcdClientTest, WatchTimesOutWithoutChangeAndSeesAPut) {
  auto rev = client_->Put("/w", "0");
  ASSERT_TRUE(rev.ok());
  auto none = client_->WaitForChange("/w", *rev, absl::Milliseconds(300));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  std::thread writer([&] { ASSERT_TRUE(client_->Put("/w", "1").ok()); });
  auto seen = client_->WaitForChange("/w", *rev, absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_TRUE(seen->has_value());
  EXPECT_FALSE((*seen)->deleted);
  EXPECT_EQ((*seen)->kv.value, "1");
  // A watch from an old revision replays the change it missed.
  auto replay = client_->WaitForChange("/w", *rev, absl::Seconds(5));
  ASSERT_TRUE(replay.ok() && replay->has_value());
  EXPECT_EQ((*replay)->kv.value, "1");
}

TEST_F(EtcdClientTest, RevokedLeaseDeletesItsKeys) {
  auto lease = client_->GrantLease(30);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(client_->Put("/l", "x", *lease).ok());
  ASSERT_TRUE(client_->RevokeLease(*lease).ok());
  EXPECT_FALSE(client_->Get("/l")->has_value());
  EXPECT_EQ(*client_->KeepAlive(*lease), 0);
}

}  // namespace
}  // namespace ledger::cluster
