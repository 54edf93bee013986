// A ledger with its claim views, wired as ledgerd wires them, for the service and HTTP API
// tests: a fresh data directory, its Log (each checkpoint notifies the views), the views
// (RocksDB, the default projections, the match index), the ViewUpdater, LedgerServiceImpl and
// ClaimServiceImpl — and, when asked, both services on 127.0.0.1 over real gRPC with stubs.
#ifndef TESTS_TESTING_SERVED_LEDGER_H_
#define TESTS_TESTING_SERVED_LEDGER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/views/match_index.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_updater.h"
#include "service/claim_service.h"
#include "service/ledger_service.h"
#include "tests/testing/in_process_ledger.h"

namespace ledger::testing {

// The drafts of examples/<name> (one EventDraft in proto3 JSON per line), read from the test's
// runfiles (the target needs data = ["//examples:seed"]). A line that does not parse fails the
// running test.
std::vector<ledger::v1::EventDraft> ReadExampleDrafts(const std::string& name);

class ServedLedger {
 public:
  // Initialises `dir` (empty: FreshDir()) for `origin` with
  // `admin_keys` as genesis admins and opens everything; `serve_grpc` also serves both services.
  static absl::StatusOr<std::unique_ptr<ServedLedger>> Start(
      const std::string& origin, const std::vector<crypto::PublicKey>& admin_keys,
      bool serve_grpc, std::string dir = "");
  // Shuts the server down, then stops the view updater.
  ~ServedLedger();

  const std::string& origin() const { return origin_; }
  const std::string& dir() const { return dir_; }
  core::Log& log() { return *log_; }
  views::ViewEngine& engine() { return *engine_; }
  views::ViewUpdater& updater() { return *updater_; }
  views::MatchIndex& match() { return *match_; }
  service::LedgerServiceImpl& ledger_service() { return *ledger_service_; }
  service::ClaimServiceImpl& claim_service() { return *claim_service_; }
  // Only with serve_grpc.
  ledger::v1::LedgerService::Stub& ledger_stub() { return *ledger_stub_; }
  ledger::v1::ClaimService::Stub& claim_stub() { return *claim_stub_; }
  uint64_t tree_size() { return log_->Head().tree_size; }

  // Registers `submitter` as a SUBMITTER, signed by `admin`, under `event_id`.
  absl::Status RegisterSubmitter(const crypto::Ed25519PrivateKey& admin,
                                 const crypto::Ed25519PrivateKey& submitter,
                                 const std::string& event_id = "register-desk");
  // Detaches the views from the log and stops the updater (before an offline rebuild). Idempotent.
  void StopViews();
  // Appends every draft of examples/<name>, each signed by `signer` under its own event id.
  absl::Status AppendExample(const std::string& name, const crypto::Ed25519PrivateKey& signer);

 private:
  ServedLedger() = default;
  std::string origin_, dir_;
  std::unique_ptr<core::Log> log_;
  std::unique_ptr<views::ViewEngine> engine_;
  std::unique_ptr<views::MatchIndex> match_;  // after the engine, before the updater
  std::unique_ptr<views::ViewUpdater> updater_;
  std::atomic<views::ViewUpdater*> updater_ptr_{nullptr};  // read by the log's checkpoint hook
  std::unique_ptr<service::LedgerServiceImpl> ledger_service_;
  std::unique_ptr<service::ClaimServiceImpl> claim_service_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<ledger::v1::LedgerService::Stub> ledger_stub_;
  std::unique_ptr<ledger::v1::ClaimService::Stub> claim_stub_;
};

}  // namespace ledger::testing

#endif  // TESTS_TESTING_SERVED_LEDGER_H_
