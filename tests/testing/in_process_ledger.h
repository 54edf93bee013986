// In-process ledger servers for the integration tests: a gRPC server on 127.0.0.1 with a free
// port; a fresh data directory under $TEST_TMPDIR, a core::Log, LedgerServiceImpl served on one
// and a stub; a gtest fixture over that with a registered submitter; plus the
// google.rpc.ErrorInfo of a refusal.
#ifndef TESTS_TESTING_IN_PROCESS_LEDGER_H_
#define TESTS_TESTING_IN_PROCESS_LEDGER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "service/ledger_service.h"
#include "tests/testing/test_log.h"

namespace ledger::testing {

// A plaintext gRPC server on 127.0.0.1 with a free port, serving services that it does not own
// (they must outlive it). Shuts down on destruction. Thread-compatible.
class LoopbackServer {
 public:
  // UNAVAILABLE when it cannot listen.
  static absl::StatusOr<std::unique_ptr<LoopbackServer>> Start(
      const std::vector<grpc::Service*>& services);
  ~LoopbackServer();

  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // A new plaintext channel to it.
  std::shared_ptr<grpc::Channel> NewChannel() const;

 private:
  LoopbackServer() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

class InProcessLedger {
 public:
  // Initialises `dir` for `origin` with `admin_keys` as genesis admins, opens the log and serves
  // it. `dir` empty: FreshDir().
  static absl::StatusOr<std::unique_ptr<InProcessLedger>> Start(
      const std::string& origin, const std::vector<crypto::PublicKey>& admin_keys,
      std::string dir = "");

  const std::string& dir() const { return dir_; }
  const std::string& address() const { return address_; }
  core::Log& log() { return *log_; }
  service::LedgerServiceImpl& service() { return *service_; }
  ledger::v1::LedgerService::Stub& stub() { return *stub_; }

  // Unary Append of `event`.
  grpc::Status Append(const ledger::v1::SignedEvent& event,
                      ledger::v1::AppendResponse* response = nullptr);
  // Registers `submitter` as a SUBMITTER through Append, signed by `admin` under `event_id`;
  // `holder` is the registration's holder ("" leaves it unset).
  grpc::Status RegisterSubmitter(const crypto::Ed25519PrivateKey& admin,
                                 const crypto::Ed25519PrivateKey& submitter,
                                 const std::string& event_id = "register-desk",
                                 const std::string& holder = "");

 private:
  InProcessLedger() = default;
  std::string dir_, address_;
  std::unique_ptr<core::Log> log_;
  std::unique_ptr<service::LedgerServiceImpl> service_;
  std::unique_ptr<LoopbackServer> server_;  // after service_: shuts down before it goes
  std::unique_ptr<ledger::v1::LedgerService::Stub> stub_;
};

// A fixture over an InProcessLedger for `origin`: admin_ (KeyFromSeed(1)) is its genesis admin,
// and desk_ (KeyFromSeed(2)) a SUBMITTER that admin_ registered through the Append RPC as entry
// 0 ("register-desk"), so every test starts at tree size 1 with a key that may append claims.
class InProcessLedgerTest : public ::testing::Test {
 protected:
  // `desk_holder`: the holder of desk_'s registration ("" leaves it unset).
  explicit InProcessLedgerTest(std::string origin, std::string desk_holder = "")
      : origin_(std::move(origin)), desk_holder_(std::move(desk_holder)) {}

  // Starts the server and registers desk_; fails the test if either fails.
  void SetUp() override;

  // Unary Append of `event` through stub_.
  grpc::Status Append(const ledger::v1::SignedEvent& event,
                      ledger::v1::AppendResponse* response = nullptr) {
    return server_->Append(event, response);
  }

  const std::string origin_;
  const std::string desk_holder_;
  crypto::Ed25519PrivateKey admin_ = KeyFromSeed(1);
  crypto::Ed25519PrivateKey desk_ = KeyFromSeed(2);
  std::unique_ptr<InProcessLedger> server_;
  // Set by SetUp: server_'s directory, log and stub (null once a test resets server_).
  std::string dir_;
  core::Log* log_ = nullptr;
  ledger::v1::LedgerService::Stub* stub_ = nullptr;
};

// The reason and the "field" metadata of the google.rpc.ErrorInfo in a refusal's details
// ({"", ""} when there is none).
std::pair<std::string, std::string> ErrorReasonAndField(const grpc::Status& status);
inline std::string ErrorReason(const grpc::Status& status) {
  return ErrorReasonAndField(status).first;
}

}  // namespace ledger::testing

#endif  // TESTS_TESTING_IN_PROCESS_LEDGER_H_
