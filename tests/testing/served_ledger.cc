#include "tests/testing/served_ledger.h"

#include <cstdlib>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "tests/testing/test_dir.h"

namespace ledger::testing {

namespace v1 = ledger::v1;

std::vector<v1::EventDraft> ReadExampleDrafts(const std::string& name) {
  std::ifstream in(std::string(::getenv("TEST_SRCDIR")) + "/factledger/examples/" + name);
  EXPECT_TRUE(in.good()) << "examples/" << name << " is not in the runfiles";
  std::vector<v1::EventDraft> out;
  std::string line;
  while (std::getline(in, line)) {
    v1::EventDraft d;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &d).ok()) << line;
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ServedLedger>> ServedLedger::Start(
    const std::string& origin, const std::vector<crypto::PublicKey>& admin_keys, bool serve_grpc,
    std::string dir) {
  if (dir.empty()) dir = FreshDir();
  std::unique_ptr<ServedLedger> l(new ServedLedger());
  l->origin_ = origin;
  l->dir_ = dir;
  if (absl::Status s = datadir::InitDataDir(dir, origin, admin_keys); !s.ok()) return s;
  core::LogOptions options;
  ServedLedger* self = l.get();
  options.on_checkpoint = [self](const std::string&, TreeSize size) {
    if (views::ViewUpdater* u = self->updater_ptr_.load()) u->Notify(size);
  };
  auto log = datadir::OpenLog(dir, options);
  if (!log.ok()) return log.status();
  l->log_ = std::move(*log);
  auto store = views::RocksDbViewStore::Open(datadir::ViewsDir(dir));
  if (!store.ok()) return store.status();
  auto engine = views::ViewEngine::Open(*std::move(store), views::DefaultProjections());
  if (!engine.ok()) return engine.status();
  l->engine_ = std::move(*engine);
  auto match = views::AttachMatchIndex(l->engine_.get());
  if (!match.ok()) return match.status();
  l->match_ = std::move(*match);
  l->updater_ = std::make_unique<views::ViewUpdater>(l->engine_.get(), &l->log_->store());
  l->updater_->Start();
  l->updater_ptr_.store(l->updater_.get());
  l->ledger_service_ = std::make_unique<service::LedgerServiceImpl>(l->log_.get());
  l->claim_service_ = std::make_unique<service::ClaimServiceImpl>(
      l->engine_.get(), l->updater_.get(), &l->log_->store(), l->match_.get());
  if (serve_grpc) {
    auto server =
        LoopbackServer::Start({l->ledger_service_.get(), l->claim_service_.get()});
    if (!server.ok()) return server.status();
    l->server_ = *std::move(server);
    std::shared_ptr<grpc::Channel> channel = l->server_->NewChannel();
    l->ledger_stub_ = v1::LedgerService::NewStub(channel);
    l->claim_stub_ = v1::ClaimService::NewStub(channel);
  }
  return l;
}

ServedLedger::~ServedLedger() {
  server_.reset();  // shuts down
  StopViews();
}

void ServedLedger::StopViews() {
  updater_ptr_.store(nullptr);
  if (updater_ != nullptr) updater_->Stop();
}

absl::Status ServedLedger::RegisterSubmitter(const crypto::Ed25519PrivateKey& admin,
                                             const crypto::Ed25519PrivateKey& submitter,
                                             const std::string& event_id) {
  v1::Event reg;
  reg.mutable_key_registered()->set_public_key(
      std::string(crypto::AsStringView(submitter.public_key())));
  reg.mutable_key_registered()->set_role(v1::KeyRegistered::SUBMITTER);
  return log_->Append(client::SignEvent(origin_, event_id, reg, admin)).status();
}

absl::Status ServedLedger::AppendExample(const std::string& name,
                                         const crypto::Ed25519PrivateKey& signer) {
  for (const v1::EventDraft& d : ReadExampleDrafts(name)) {
    auto r = log_->Append(client::SignEvent(origin_, d.event_id(), d.event(), signer));
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace ledger::testing
