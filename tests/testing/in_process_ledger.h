// In-process ledger servers for the integration tests: a fresh data directory under
// $TEST_TMPDIR, a core::Log, LedgerServiceImpl served over real gRPC on 127.0.0.1 with a free
// port, and a stub; plus the google.rpc.ErrorInfo of a refusal.
#ifndef TESTS_TESTING_IN_PROCESS_LEDGER_H_
#define TESTS_TESTING_IN_PROCESS_LEDGER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "service/ledger_service.h"

namespace ledger::testing {

class InProcessLedger {
 public:
  // Initialises `dir` for `origin` with `admin_keys` as genesis admins, opens the log and serves
  // it. `dir` empty: $TEST_TMPDIR/<running test's name>.
  static absl::StatusOr<std::unique_ptr<InProcessLedger>> Start(
      const std::string& origin, const std::vector<crypto::PublicKey>& admin_keys,
      std::string dir = "");
  ~InProcessLedger();

  const std::string& dir() const { return dir_; }
  const std::string& address() const { return address_; }
  core::Log& log() { return *log_; }
  service::LedgerServiceImpl& service() { return *service_; }
  ledger::v1::LedgerService::Stub& stub() { return *stub_; }

  // Unary Append of `event`.
  grpc::Status Append(const ledger::v1::SignedEvent& event,
                      ledger::v1::AppendResponse* response = nullptr);

 private:
  InProcessLedger() = default;
  std::string dir_, address_;
  std::unique_ptr<core::Log> log_;
  std::unique_ptr<service::LedgerServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ledger::v1::LedgerService::Stub> stub_;
};

// The reason and the "field" metadata of the google.rpc.ErrorInfo in a refusal's details
// ({"", ""} when there is none).
std::pair<std::string, std::string> ErrorReasonAndField(const grpc::Status& status);
inline std::string ErrorReason(const grpc::Status& status) {
  return ErrorReasonAndField(status).first;
}

}  // namespace ledger::testing

#endif  // TESTS_TESTING_IN_PROCESS_LEDGER_H_
