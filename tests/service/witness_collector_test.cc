// service/witness_collector: against in-process witnesses (ledger/witness behind the real HTTP
// listener) and handlers that misbehave, over a reference tree standing in for the log.
#include "service/witness_collector.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "ledger/base/file_util.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/witness/add_checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "ledger/witness/witness.h"
#include "service/http/http_server.h"
#include "tests/testing/wait_for.h"
#include "tests/testing/test_log.h"

namespace ledger::service {
namespace {

constexpr char kOrigin[] = "example.org/log";

std::string TempDir() {
  char tmpl[] = "/tmp/witness_collector_test.XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

// The log: a tree of `size` leaves (settable), signed by a fixed key.
class FakeLog {
 public:
  FakeLog() {
    for (int i = 0; i < 64; ++i) leaves_.push_back(merkle::HashLeaf(absl::StrCat("leaf ", i)));
  }
  void SetSize(TreeSize size) {
    absl::MutexLock lock(&mu_);
    size_ = size;
  }
  std::string Note(TreeSize size) const {
    return format::SignCheckpoint(
        {kOrigin, size,
         merkle::testing::ReferenceRoot(absl::MakeConstSpan(leaves_).subspan(0, size))},
        key_);
  }
  WitnessCollectorOptions Options(const std::string& state_file) {
    WitnessCollectorOptions o;
    o.timeout = absl::Seconds(2);
    o.retry_interval = absl::Milliseconds(50);
    o.state_file = state_file;
    o.log_verifier = {kOrigin, key_.public_key()};
    o.latest_checkpoint = [this] {
      absl::MutexLock lock(&mu_);
      return Note(size_);
    };
    o.prove_consistency = [this](TreeSize from, TreeSize to) -> absl::StatusOr<std::vector<Hash>> {
      return merkle::testing::ReferenceConsistencyProof(
          from, absl::MakeConstSpan(leaves_).subspan(0, to));
    };
    o.wait_for_growth = [](TreeSize, absl::Duration timeout) { absl::SleepFor(timeout / 10); };
    return o;
  }
  const crypto::Ed25519PrivateKey& key() const { return key_; }

 private:
  std::vector<Hash> leaves_;
  crypto::Ed25519PrivateKey key_ = testing::KeyFromSeed(1);
  mutable absl::Mutex mu_;
  TreeSize size_ ABSL_GUARDED_BY(mu_) = 3;
};

// A witnessd in-process: ledger/witness on the HTTP listener with POST bodies.
struct LocalWitness {
  LocalWitness(const std::string& name, char key_byte, const FakeLog& log)
      : key(std::make_shared<crypto::Ed25519PrivateKey>(testing::KeyFromSeed(key_byte))) {
    witness::WitnessOptions o;
    o.name = name;
    o.key = key;
    o.logs = {{kOrigin, log.key().public_key()}};
    o.state_dir = TempDir();
    w = std::move(witness::Witness::Open(o).value());
    http::ServerOptions so;
    so.max_request_body_bytes = witness::kMaxAddCheckpointBodyBytes;
    server = std::move(http::Server::Start(so, {{"/add-checkpoint", [this](const http::Request& r) {
                                                  witness::Witness::Reply reply =
                                                      w->AddCheckpoint(r.body);
                                                  http::Response out;
                                                  out.status = reply.status;
                                                  out.content_type = reply.content_type;
                                                  out.body = reply.body;
                                                  return out;
                                                }}})
                           .value());
    endpoint.cosigner = {name, key->public_key()};
    endpoint.url = {"127.0.0.1", server->port(), ""};
  }
  std::shared_ptr<crypto::Ed25519PrivateKey> key;
  std::unique_ptr<witness::Witness> w;
  std::unique_ptr<http::Server> server;
  WitnessEndpoint endpoint;
};

// A witness that answers 200 with `body_of(request body)`.
struct FakeWitness {
  FakeWitness(const std::string& name, char key_byte,
              std::function<std::string(const std::string&)> body_of) {
    key = std::make_shared<crypto::Ed25519PrivateKey>(testing::KeyFromSeed(key_byte));
    http::ServerOptions so;
    so.max_request_body_bytes = witness::kMaxAddCheckpointBodyBytes;
    server = std::move(http::Server::Start(so, {{"/", [body_of](const http::Request& r) {
                                                  http::Response out;
                                                  out.body = body_of(r.body);
                                                  return out;
                                                }}})
                           .value());
    endpoint.cosigner = {name, key->public_key()};
    endpoint.url = {"127.0.0.1", server->port(), ""};
  }
  std::shared_ptr<crypto::Ed25519PrivateKey> key;
  std::unique_ptr<http::Server> server;
  WitnessEndpoint endpoint;
};

TreeSize WitnessedSize(const WitnessCollector& c) {
  const std::string note = c.WitnessedCheckpoint();
  if (note.empty()) return 0;
  return format::ParseCheckpointUnverified(note)->tree_size;
}

TEST(WitnessCollectorTest, ThresholdMetIsPersistedAndFollowsTheLog) {
  FakeLog log;
  LocalWitness w1("w1", 11, log), w2("w2", 12, log);
  const std::string state = TempDir() + "/witnessed.checkpoint";
  WitnessCollectorOptions o = log.Options(state);
  o.witnesses = {w1.endpoint, w2.endpoint};
  o.threshold = 2;
  auto c = WitnessCollector::Start(o).value();
  ASSERT_TRUE(testing::WaitFor([&] { return WitnessedSize(*c) == 3; }, absl::Seconds(20)));
  log.SetSize(9);
  ASSERT_TRUE(testing::WaitFor([&] { return WitnessedSize(*c) == 9; }, absl::Seconds(20)));
  const std::string note = c->WitnessedCheckpoint();
  absl::StatusOr<witness::WitnessPolicy> policy = witness::ParseWitnessPolicy(
      {witness::CosignerVerifierKey(w1.endpoint.cosigner),
       witness::CosignerVerifierKey(w2.endpoint.cosigner)},
      2);
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(witness::CheckWitnessPolicy(note, *policy).ok());
  EXPECT_EQ(ReadFileToString(state).value(), note);
  EXPECT_EQ(w1.w->Latest(kOrigin)->tree_size, 9u);
}

TEST(WitnessCollectorTest, LiesAndGarbageAreRefusedAndCounted) {
  FakeLog log;
  LocalWitness honest("honest", 11, log);
  auto liar_key = std::make_shared<crypto::Ed25519PrivateKey>(testing::KeyFromSeed(13));
  FakeWitness liar("liar", 13, [liar_key](const std::string&) {
    // A valid signature by its key, over another checkpoint.
    return witness::CosignatureLine("liar", *liar_key, "example.org/log\n1\nAAAA\n", 5);
  });
  FakeWitness garbage("garbage", 14, [](const std::string&) { return std::string("ok\n"); });
  const std::string state = TempDir() + "/witnessed.checkpoint";
  WitnessCollectorOptions o = log.Options(state);
  o.witnesses = {honest.endpoint, liar.endpoint, garbage.endpoint};
  o.threshold = 1;
  auto c = WitnessCollector::Start(o).value();
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto s = c->Stats();
        return WitnessedSize(*c) == 3 && s[1].refused >= 2 && s[2].refused >= 2;
      },
      absl::Seconds(20)));
  const auto stats = c->Stats();
  EXPECT_EQ(stats[1].cosigned, 0u);
  EXPECT_NE(stats[1].last_error.find("no valid cosignature"), std::string::npos)
      << stats[1].last_error;
  EXPECT_NE(stats[2].last_error.find("garbage"), std::string::npos) << stats[2].last_error;
  const std::string note = c->WitnessedCheckpoint();
  EXPECT_EQ(note.find("liar"), std::string::npos);
  EXPECT_EQ(note.find("garbage"), std::string::npos);
}

TEST(WitnessCollectorTest, LearnsTheWitnessSizeFrom409) {
  FakeLog log;
  LocalWitness w("w", 11, log);
  // The witness already cosigned size 5 (another run of this log).
  witness::AddCheckpointRequest first;
  first.checkpoint = log.Note(5);
  ASSERT_EQ(w.w->AddCheckpoint(witness::EncodeAddCheckpointRequest(first)).status, 200);
  log.SetSize(20);
  WitnessCollectorOptions o = log.Options(TempDir() + "/witnessed.checkpoint");
  o.witnesses = {w.endpoint};
  o.threshold = 1;
  auto c = WitnessCollector::Start(o).value();
  ASSERT_TRUE(testing::WaitFor([&] { return WitnessedSize(*c) == 20; }, absl::Seconds(20)));
  EXPECT_EQ(c->Stats()[0].failed + c->Stats()[0].refused, 0u);
}

TEST(WitnessCollectorTest, NobodyListeningNeverWitnessesAndIsCountedAsFailed) {
  FakeLog log;
  int port = 0;
  {
    FakeWitness gone("gone", 15, [](const std::string&) { return std::string(); });
    port = gone.server->port();
  }
  WitnessEndpoint e{{"gone", testing::KeyFromSeed(15).public_key()}, {"127.0.0.1", port, ""}};
  WitnessCollectorOptions o = log.Options(TempDir() + "/witnessed.checkpoint");
  o.witnesses = {e};
  o.threshold = 1;
  auto c = WitnessCollector::Start(o).value();
  ASSERT_TRUE(testing::WaitFor([&] { return c->Stats()[0].failed >= 2; }, absl::Seconds(20)));
  EXPECT_EQ(c->WitnessedCheckpoint(), "");
}

TEST(WitnessCollectorTest, AStateFileNotSignedByTheLogIsDataLoss) {
  FakeLog log;
  const std::string state = TempDir() + "/witnessed.checkpoint";
  ASSERT_TRUE(WriteFileAtomically(
                  state, format::SignCheckpoint({kOrigin, 2, Hash{}}, testing::KeyFromSeed(9)))
                  .ok());
  WitnessCollectorOptions o = log.Options(state);
  o.witnesses = {{{"w", testing::KeyFromSeed(11).public_key()}, {"127.0.0.1", 1, ""}}};
  o.threshold = 1;
  EXPECT_EQ(WitnessCollector::Start(o).status().code(), absl::StatusCode::kDataLoss);
}

TEST(WitnessCollectorTest, BadPolicyIsInvalidArgument) {
  FakeLog log;
  WitnessCollectorOptions o = log.Options(TempDir() + "/witnessed.checkpoint");
  o.witnesses = {{{"w", testing::KeyFromSeed(11).public_key()}, {"127.0.0.1", 1, ""}}};
  o.threshold = 2;
  EXPECT_EQ(WitnessCollector::Start(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledger::service
