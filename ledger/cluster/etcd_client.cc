#include "ledger/cluster/etcd_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace ledger::cluster {

struct EtcdClient::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
};

namespace {

KeyValue FromProto(const mvccpb::KeyValue& p) {
  KeyValue kv;
  kv.key = p.key();
  kv.value = p.value();
  kv.create_revision = p.create_revision();
  kv.mod_revision = p.mod_revision();
  kv.version = p.version();
  kv.lease = p.lease();
  return kv;
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& endpoint, const char* call) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd ", endpoint, " ", call, ": ", s.error_message()));
}

bool MemberDidNotAnswer(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsCancelled(s) ||
         absl::IsUnknown(s);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const std::string& endpoints,
                                                                absl::Duration rpc_timeout) {
  std::vector<std::string> parsed;
  for (absl::string_view e : absl::StrSplit(endpoints, ',', absl::SkipWhitespace())) {
    e = absl::StripAsciiWhitespace(e);
    if (absl::StartsWith(e, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cluster: ", e, ": https endpoints are not supported (plaintext only)"));
    }
    absl::ConsumePrefix(&e, "http://");
    while (absl::ConsumeSuffix(&e, "/")) {
    }
    if (e.empty() || e.find(':') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cluster: endpoint '", e, "' is not host:port"));
    }
    parsed.emplace_back(e);
  }
  if (parsed.empty()) {
    return absl::InvalidArgumentError("--cluster: no etcd endpoint given");
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(parsed), rpc_timeout));
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, absl::Duration rpc_timeout)
    : endpoints_(std::move(endpoints)), rpc_timeout_(rpc_timeout) {
  absl::MutexLock lock(&mu_);
  stubs_.resize(endpoints_.size());
}

EtcdClient::~EtcdClient() = default;

std::shared_ptr<EtcdClient::Stubs> EtcdClient::Current(size_t* index) {
  absl::MutexLock lock(&mu_);
  *index = current_;
  std::shared_ptr<Stubs>& s = stubs_[current_];
  if (s == nullptr) {
    s = std::make_shared<Stubs>();
    grpc::ChannelArguments args;
    // Reconnect quickly after a member restarts (the default backoff grows to 120 s).
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    s->channel = grpc::CreateCustomChannel(endpoints_[current_],
                                           grpc::InsecureChannelCredentials(), args);
    s->kv = etcdserverpb::KV::NewStub(s->channel);
    s->lease = etcdserverpb::Lease::NewStub(s->channel);
    s->watch = etcdserverpb::Watch::NewStub(s->channel);
  }
  return s;
}

absl::Status EtcdClient::Failed(size_t index, absl::Status s) {
  if (MemberDidNotAnswer(s)) {
    absl::MutexLock lock(&mu_);
    if (current_ == index) current_ = (current_ + 1) % endpoints_.size();
  }
  return s;
}

#define LEDGER_ETCD_CALL(stub, method, req, resp)                                    \
  do {                                                                                \
    grpc::ClientContext ctx;                                                          \
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));                 \
    absl::Status s = FromGrpc(stubs->stub->method(&ctx, req, &resp),                  \
                              endpoints_[index], #method);                           \
    if (!s.ok()) return Failed(index, s);                                             \
  } while (0)

absl::StatusOr<std::optional<KeyValue>> EtcdClient::Get(const std::string& key) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  etcdserverpb::RangeResponse resp;
  LEDGER_ETCD_CALL(kv, Range, req, resp);
  if (resp.kvs_size() == 0) return std::optional<KeyValue>();
  return std::optional<KeyValue>(FromProto(resp.kvs(0)));
}

absl::StatusOr<int64_t> EtcdClient::Put(const std::string& key, const std::string& value,
                                        int64_t lease) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  etcdserverpb::PutResponse resp;
  LEDGER_ETCD_CALL(kv, Put, req, resp);
  return resp.header().revision();
}

namespace {

// The transaction's guard: `key`'s create_revision is `revision` (0: the key does not exist).
void RequireCreateRevision(etcdserverpb::TxnRequest* req, const std::string& key,
                           int64_t revision) {
  etcdserverpb::Compare* c = req->add_compare();
  c->set_key(key);
  c->set_target(etcdserverpb::Compare::CREATE);
  c->set_result(etcdserverpb::Compare::EQUAL);
  c->set_create_revision(revision);
}

}  // namespace

absl::StatusOr<EtcdClient::CreateResult> EtcdClient::CreateIfAbsent(const std::string& key,
                                                                     const std::string& value,
                                                                     int64_t lease) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::TxnRequest req;
  RequireCreateRevision(&req, key, 0);
  etcdserverpb::PutRequest* put = req.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  req.add_failure()->mutable_request_range()->set_key(key);
  etcdserverpb::TxnResponse resp;
  LEDGER_ETCD_CALL(kv, Txn, req, resp);
  CreateResult result;
  result.created = resp.succeeded();
  if (result.created) {
    // The Put's revision is the transaction's: the key's create_revision.
    result.kv.key = key;
    result.kv.value = value;
    result.kv.create_revision = resp.header().revision();
    result.kv.mod_revision = resp.header().revision();
    result.kv.version = 1;
    result.kv.lease = lease;
    return result;
  }
  if (resp.responses_size() == 1 && resp.responses(0).response_range().kvs_size() == 1) {
    result.kv = FromProto(resp.responses(0).response_range().kvs(0));
    return result;
  }
  // Deleted between the compare and the read cannot happen in one Txn; an empty read means the
  // key vanished at this revision's boundary: report absent, the caller campaigns again.
  return result;
}

absl::StatusOr<bool> EtcdClient::PutIfGuard(const std::string& guard_key,
                                            int64_t guard_create_revision, const std::string& key,
                                            const std::string& value) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::TxnRequest req;
  RequireCreateRevision(&req, guard_key, guard_create_revision);
  etcdserverpb::PutRequest* put = req.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  etcdserverpb::TxnResponse resp;
  LEDGER_ETCD_CALL(kv, Txn, req, resp);
  return resp.succeeded();
}

absl::StatusOr<bool> EtcdClient::DeleteIfCreateRevision(const std::string& key,
                                                        int64_t create_revision) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::TxnRequest req;
  RequireCreateRevision(&req, key, create_revision);
  req.add_success()->mutable_request_delete_range()->set_key(key);
  etcdserverpb::TxnResponse resp;
  LEDGER_ETCD_CALL(kv, Txn, req, resp);
  return resp.succeeded();
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(int64_t ttl_seconds) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse resp;
  LEDGER_ETCD_CALL(lease, LeaseGrant, req, resp);
  if (!resp.error().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("etcd LeaseGrant: ", resp.error()));
  }
  return resp.id();
}

absl::StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
  auto stream = stubs->lease->LeaseKeepAlive(&ctx);
  etcdserverpb::LeaseKeepAliveRequest req;
  req.set_id(lease);
  etcdserverpb::LeaseKeepAliveResponse resp;
  const bool answered = stream->Write(req) && stream->Read(&resp);
  stream->WritesDone();
  ctx.TryCancel();
  grpc::Status s = stream->Finish();
  if (!answered) {
    absl::Status e = FromGrpc(s, endpoints_[index], "LeaseKeepAlive");
    if (e.ok() || absl::IsCancelled(e)) {
      e = absl::UnavailableError(
          absl::StrCat("etcd ", endpoints_[index], " LeaseKeepAlive: no answer"));
    }
    return Failed(index, e);
  }
  return resp.ttl();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(lease);
  etcdserverpb::LeaseRevokeResponse resp;
  LEDGER_ETCD_CALL(lease, LeaseRevoke, req, resp);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<WatchEvent>> EtcdClient::WaitForChange(const std::string& key,
                                                                    int64_t after_revision,
                                                                    absl::Duration timeout) {
  size_t index;
  std::shared_ptr<Stubs> stubs = Current(&index);
  grpc::ClientContext ctx;
  const absl::Time deadline = absl::Now() + timeout;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  auto stream = stubs->watch->Watch(&ctx);
  etcdserverpb::WatchRequest req;
  etcdserverpb::WatchCreateRequest* create = req.mutable_create_request();
  create->set_key(key);
  create->set_start_revision(after_revision + 1);
  std::optional<WatchEvent> event;
  absl::Status error;
  if (stream->Write(req)) {
    etcdserverpb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.compact_revision() != 0) {
        error = absl::OutOfRangeError(absl::StrCat("etcd Watch ", key, ": revision ",
                                                   after_revision + 1, " is compacted (",
                                                   resp.compact_revision(), ")"));
        break;
      }
      if (resp.canceled()) {
        error = absl::UnavailableError(
            absl::StrCat("etcd Watch ", key, ": canceled: ", resp.cancel_reason()));
        break;
      }
      if (resp.events_size() > 0) {
        const mvccpb::Event& e = resp.events(0);
        event.emplace();
        event->deleted = e.type() == mvccpb::Event::DELETE;
        event->kv = FromProto(e.kv());
        break;
      }
    }
  }
  stream->WritesDone();
  ctx.TryCancel();
  grpc::Status s = stream->Finish();
  if (!error.ok()) return Failed(index, error);
  if (event.has_value()) return event;
  if (absl::Now() >= deadline) return std::optional<WatchEvent>();
  absl::Status e = FromGrpc(s, endpoints_[index], "Watch");
  if (e.ok() || absl::IsCancelled(e)) {
    e = absl::UnavailableError(absl::StrCat("etcd ", endpoints_[index], " Watch: stream ended"));
  }
  return Failed(index, e);
}

}  // namespace ledger::cluster
