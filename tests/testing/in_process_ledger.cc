#include "tests/testing/in_process_ledger.h"


#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/data_dir.h"
#include "tests/testing/test_dir.h"

namespace ledger::testing {

absl::StatusOr<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(
    const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  std::unique_ptr<LoopbackServer> s(new LoopbackServer());
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &s->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError("cannot listen on 127.0.0.1");
  }
  return s;
}

LoopbackServer::~LoopbackServer() {
  if (server_ != nullptr) server_->Shutdown();
}

std::shared_ptr<grpc::Channel> LoopbackServer::NewChannel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

absl::StatusOr<std::unique_ptr<InProcessLedger>> InProcessLedger::Start(
    const std::string& origin, const std::vector<crypto::PublicKey>& admin_keys,
    std::string dir) {
  if (dir.empty()) dir = FreshDir();
  std::unique_ptr<InProcessLedger> l(new InProcessLedger());
  l->dir_ = dir;
  absl::Status init = datadir::InitDataDir(dir, origin, admin_keys);
  if (!init.ok()) return init;
  absl::StatusOr<std::unique_ptr<core::Log>> log = datadir::OpenLog(dir, core::LogOptions());
  if (!log.ok()) return log.status();
  l->log_ = *std::move(log);
  l->service_ = std::make_unique<service::LedgerServiceImpl>(l->log_.get());
  absl::StatusOr<std::unique_ptr<LoopbackServer>> server = LoopbackServer::Start({l->service_.get()});
  if (!server.ok()) return server.status();
  l->server_ = *std::move(server);
  l->address_ = l->server_->address();
  l->stub_ = ledger::v1::LedgerService::NewStub(l->server_->NewChannel());
  return l;
}

grpc::Status InProcessLedger::Append(const ledger::v1::SignedEvent& event,
                                     ledger::v1::AppendResponse* response) {
  ledger::v1::AppendRequest req;
  *req.mutable_event() = event;
  grpc::ClientContext ctx;
  ledger::v1::AppendResponse ignored;
  return stub_->Append(&ctx, req, response != nullptr ? response : &ignored);
}

grpc::Status InProcessLedger::RegisterSubmitter(const crypto::Ed25519PrivateKey& admin,
                                                const crypto::Ed25519PrivateKey& submitter,
                                                const std::string& event_id,
                                                const std::string& holder) {
  ledger::v1::Event reg;
  auto* k = reg.mutable_key_registered();
  k->set_public_key(std::string(crypto::AsStringView(submitter.public_key())));
  k->set_role(ledger::v1::KeyRegistered::SUBMITTER);
  k->set_holder(holder);
  return Append(client::SignEvent(log_->identity().origin, event_id, reg, admin));
}

void InProcessLedgerTest::SetUp() {
  absl::StatusOr<std::unique_ptr<InProcessLedger>> server =
      InProcessLedger::Start(origin_, {admin_.public_key()});
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  dir_ = server_->dir();
  log_ = &server_->log();
  stub_ = &server_->stub();
  const grpc::Status registered =
      server_->RegisterSubmitter(admin_, desk_, "register-desk", desk_holder_);
  ASSERT_TRUE(registered.ok()) << registered.error_message();
}

std::pair<std::string, std::string> ErrorReasonAndField(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return {"", ""};
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      const auto field = info.metadata().find("field");
      return {info.reason(), field != info.metadata().end() ? field->second : ""};
    }
  }
  return {"", ""};
}

}  // namespace ledger::testing
