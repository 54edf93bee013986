#include "cli/client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ledger/base/error.h"
#include "ledger/base/file_util.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path);
  if (!pem.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  return pem;
}

absl::string_view CodeName(int code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",       "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

}  // namespace

void AddServerFlags(CLI::App* cmd, ServerOptions* o) {
  cmd->add_option("--server", o->address,
                  "ledgerd address (HOST:PORT); several, comma-separated (a cluster's nodes): "
                  "appends follow the leader")
      ->capture_default_str();
  cmd->add_option("--timeout", o->timeout_seconds, "Deadline per request, seconds")
      ->capture_default_str();
  cmd->add_option("--tls-ca", o->tls_ca,
                  "Use TLS; trust server certificates signed by this CA (PEM)");
  cmd->add_option("--tls-cert", o->tls_cert, "Client certificate for mutual TLS (PEM)");
  cmd->add_option("--tls-key", o->tls_key, "Client private key for mutual TLS (PEM)");
}

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view rpc) {
  if (status.ok()) return absl::OkStatus();
  const int code = static_cast<int>(status.error_code());
  std::string reason;
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) reason = info.reason();
    }
  }
  std::string message = absl::StrCat(rpc, ": ", status.error_message(), " (", CodeName(code));
  if (!reason.empty()) absl::StrAppend(&message, ", reason ", reason);
  message += ")";
  const auto absl_code =
      code >= 0 && code <= 16 ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
  // The server's message already starts with the offending field.
  return MakeError(absl_code, reason, "", message);
}

std::string ConnectionHint(const grpc::Status& status, const ServerOptions& o) {
  // Only gRPC's own failures: a server's answer never has these texts (nor is it one of them).
  const std::string& m = status.error_message();
  const std::string& address = o.address;
  const bool tls = !o.tls_ca.empty() || !o.tls_cert.empty();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && m == "Deadline Exceeded") {
    return absl::StrCat("no answer from ledgerd at ", address, " within --timeout ",
                        o.timeout_seconds, " s: is --server right, and the server not overloaded?");
  }
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return "";
  if (absl::StrContains(m, "andshake failed")) {
    if (absl::StrContains(m, "wrong version number")) {
      return absl::StrCat("TLS handshake with ", address,
                          " failed: the server answers in plaintext; drop --tls-ca (and "
                          "--tls-cert, --tls-key), or serve TLS (ledgerd serve --tls-cert)");
    }
    return absl::StrCat("TLS handshake with ", address, " failed: ",
                        tls ? "is its certificate signed by --tls-ca, and issued for this "
                              "address? (a plaintext server fails this way too)"
                            : "the server requires TLS: give --tls-ca");
  }
  if (absl::StrContains(m, "Connection refused")) {
    return absl::StrCat("cannot reach ledgerd at ", address,
                        ": nothing is listening there; is ledgerd running, and is --server "
                        "HOST:PORT right (default 127.0.0.1:50051)?");
  }
  if (absl::StrContains(m, "Socket closed") || absl::StrContains(m, "Connection reset")) {
    return absl::StrCat("ledgerd at ", address, " closed the connection at once: ",
                        tls ? "mutual TLS needs --tls-cert and --tls-key signed by a CA it trusts"
                            : "if it serves TLS, give --tls-ca (and --tls-cert, --tls-key for "
                              "mutual TLS)");
  }
  if (absl::StrContains(m, "failed to connect") || absl::StrContains(m, "DNS resolution failed")) {
    return absl::StrCat("cannot reach ledgerd at ", address,
                        ": is ledgerd running, and is --server HOST:PORT right?");
  }
  return "";
}

absl::Status LedgerClient::Convert(const grpc::Status& status, absl::string_view rpc) const {
  absl::Status s = FromGrpcStatus(status, rpc);
  if (s.ok() || !hints_) return s;
  const std::string hint = ConnectionHint(status, options_);
  if (hint.empty()) return s;
  absl::Status with_hint(s.code(), absl::StrCat(hint, " [", s.message(), "]"));
  s.ForEachPayload([&with_hint](absl::string_view url, const absl::Cord& payload) {
    with_hint.SetPayload(url, payload);
  });
  return with_hint;
}

std::unique_ptr<LedgerClient> LedgerClient::ForChannel(std::shared_ptr<grpc::Channel> channel,
                                                       std::string description) {
  ServerOptions options;
  options.address = std::move(description);
  return std::unique_ptr<LedgerClient>(
      new LedgerClient(std::move(options), std::move(channel), /*hints=*/false));
}

absl::Status LedgerClient::Subscribe(uint64_t start_sequence, grpc::ClientContext* ctx,
                                     const std::function<bool(const v1::Entry&)>& fn) {
  v1::SubscribeRequest req;
  req.set_start_sequence(start_sequence);
  std::unique_ptr<grpc::ClientReader<v1::Entry>> reader = stub_->Subscribe(ctx, req);
  v1::Entry entry;
  while (reader->Read(&entry)) {
    if (!fn(entry)) {
      ctx->TryCancel();
      break;
    }
  }
  return Convert(reader->Finish(), absl::StrCat("Subscribe to ", options_.address));
}

absl::StatusOr<std::unique_ptr<LedgerClient>> LedgerClient::Connect(const ServerOptions& o) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!o.tls_ca.empty() || !o.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!o.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadPem("--tls-ca", o.tls_ca);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!o.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadPem("--tls-cert", o.tls_cert);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem("--tls-key", o.tls_key);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  std::vector<std::string> endpoints =
      absl::StrSplit(o.address, ',', absl::SkipWhitespace());
  if (endpoints.empty()) return absl::InvalidArgumentError("--server: no address given");
  // Reads go to the first endpoint that connects within 2 s (else to the first).
  std::shared_ptr<grpc::Channel> channel;
  for (size_t i = 0; i < endpoints.size() && endpoints.size() > 1; ++i) {
    auto candidate = grpc::CreateCustomChannel(endpoints[i], credentials, args);
    if (candidate->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::seconds(2))) {
      channel = candidate;
      break;
    }
  }
  if (channel == nullptr) channel = grpc::CreateCustomChannel(endpoints[0], credentials, args);
  auto client = std::unique_ptr<LedgerClient>(new LedgerClient(o, channel));
  if (endpoints.size() > 1) {
    client->endpoints_ = std::move(endpoints);
    client->credentials_ = credentials;
    client->append_endpoint_ = client->endpoints_[0];
  }
  return client;
}

ledger::v1::LedgerService::Stub* LedgerClient::AppendStub(const std::string& endpoint) {
  std::unique_ptr<v1::LedgerService::Stub>& stub = append_stubs_[endpoint];
  if (stub == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    stub = v1::LedgerService::NewStub(grpc::CreateCustomChannel(endpoint, credentials_, args));
  }
  return stub.get();
}

namespace {

// The leader a NOT_LEADER refusal names (ErrorInfo metadata["leader"]), or "".
std::string LeaderHint(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return "";
  }
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      auto it = info.metadata().find("leader");
      if (it != info.metadata().end()) return it->second;
    }
  }
  return "";
}

}  // namespace

template <typename Req, typename Resp>
absl::Status LedgerClient::CallAppend(absl::string_view rpc, const Req& req, Resp* resp,
                                      grpc::Status (v1::LedgerService::Stub::*method)(
                                          grpc::ClientContext*, const Req&, Resp*)) {
  if (endpoints_.size() <= 1) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return Convert((stub_.get()->*method)(&ctx, req, resp), rpc);
  }
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(3 * options_.timeout_seconds);
  std::string target = append_endpoint_;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    const grpc::Status g = (AppendStub(target)->*method)(&ctx, req, resp);
    if (g.ok()) {
      append_endpoint_ = target;
      return absl::OkStatus();
    }
    absl::Status s = FromGrpcStatus(g, absl::StrCat(rpc, " to ", target));
    const bool not_leader = ErrorReason(s) == reason::kNotLeader;
    const bool unreachable = g.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             g.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if ((!not_leader && !unreachable) || std::chrono::steady_clock::now() >= give_up) return s;
    const std::string hint = LeaderHint(g);
    if (!hint.empty() && hint != target) {
      target = hint;
    } else {
      auto it = std::find(endpoints_.begin(), endpoints_.end(), target);
      target = it == endpoints_.end() || it + 1 == endpoints_.end() ? endpoints_[0] : *(it + 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * std::min(attempt + 1, 5)));
  }
}

void LedgerClient::SetDeadline(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(options_.timeout_seconds));
}

absl::StatusOr<v1::GetLogInfoResponse> LedgerClient::GetLogInfo() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetLogInfoResponse resp;
  absl::Status s = Convert(stub_->GetLogInfo(&ctx, v1::GetLogInfoRequest(), &resp),
                                  absl::StrCat("GetLogInfo from ", options_.address));
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetReplicationStatusResponse> LedgerClient::GetReplicationStatus() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetReplicationStatusResponse resp;
  absl::Status s = Convert(
      stub_->GetReplicationStatus(&ctx, v1::GetReplicationStatusRequest(), &resp),
      "GetReplicationStatus");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListFollowersResponse> LedgerClient::ListFollowers() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListFollowersResponse resp;
  absl::Status s = Convert(stub_->ListFollowers(&ctx, v1::ListFollowersRequest(), &resp),
                                  "ListFollowers");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::AppendResponse> LedgerClient::Append(const v1::SignedEvent& event) {
  v1::AppendRequest req;
  *req.mutable_event() = event;
  v1::AppendResponse resp;
  absl::Status s = CallAppend("Append", req, &resp, &v1::LedgerService::Stub::Append);
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::AppendBatchResponse> LedgerClient::AppendBatch(
    const std::vector<v1::SignedEvent>& events) {
  v1::AppendBatchRequest req;
  for (const auto& e : events) *req.add_events() = e;
  v1::AppendBatchResponse resp;
  absl::Status s = CallAppend("AppendBatch", req, &resp, &v1::LedgerService::Stub::AppendBatch);
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::AppendBatchResponse> LedgerClient::AppendSignedBatch(
    const v1::SignedBatch& batch) {
  v1::AppendSignedBatchRequest req;
  *req.mutable_batch() = batch;
  v1::AppendBatchResponse resp;
  absl::Status s = CallAppend("AppendSignedBatch", req, &resp,
                              &v1::LedgerService::Stub::AppendSignedBatch);
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetClaimResponse> LedgerClient::GetClaim(const v1::GetClaimRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetClaimResponse resp;
  absl::Status s = Convert(claims_->GetClaim(&ctx, req, &resp), "GetClaim");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ProveStateResponse> LedgerClient::ProveState(const v1::ProveStateRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ProveStateResponse resp;
  absl::Status s = Convert(claims_->ProveState(&ctx, req, &resp), "ProveState");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListMapCheckpointsResponse> LedgerClient::ListMapCheckpoints(
    const v1::ListMapCheckpointsRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListMapCheckpointsResponse resp;
  absl::Status s = Convert(claims_->ListMapCheckpoints(&ctx, req, &resp), "ListMapCheckpoints");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListRelationsResponse> LedgerClient::ListRelations(
    const v1::ListRelationsRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListRelationsResponse resp;
  absl::Status s = Convert(claims_->ListRelations(&ctx, req, &resp), "ListRelations");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::MatchClaimsResponse> LedgerClient::MatchClaims(
    const v1::MatchClaimsRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::MatchClaimsResponse resp;
  absl::Status s = Convert(claims_->MatchClaims(&ctx, req, &resp), "MatchClaims");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::ListClaimsResponse> LedgerClient::ListClaims(const v1::ListClaimsRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListClaimsResponse resp;
  absl::Status s = Convert(claims_->ListClaims(&ctx, req, &resp), "ListClaims");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetVerdictTallyResponse> LedgerClient::GetVerdictTally(
    const v1::GetVerdictTallyRequest& req) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetVerdictTallyResponse resp;
  absl::Status s = Convert(claims_->GetVerdictTally(&ctx, req, &resp), "GetVerdictTally");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetViewStatusResponse> LedgerClient::GetViewStatus(bool with_digests) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetViewStatusRequest req;
  req.set_with_digests(with_digests);
  v1::GetViewStatusResponse resp;
  absl::Status s = Convert(claims_->GetViewStatus(&ctx, req, &resp), "GetViewStatus");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::Entry> LedgerClient::GetEntry(uint64_t sequence) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetEntryRequest req;
  req.set_sequence(sequence);
  v1::GetEntryResponse resp;
  absl::Status s = Convert(stub_->GetEntry(&ctx, req, &resp), "GetEntry");
  if (!s.ok()) return s;
  return resp.entry();
}

absl::StatusOr<v1::ListEntriesResponse> LedgerClient::ListEntries(uint64_t start_sequence,
                                                                  uint32_t max_entries) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListEntriesRequest req;
  req.set_start_sequence(start_sequence);
  req.set_max_entries(max_entries);
  v1::ListEntriesResponse resp;
  absl::Status s = Convert(stub_->ListEntries(&ctx, req, &resp), "ListEntries");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetCheckpointResponse> LedgerClient::GetCheckpoint(uint64_t tree_size) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetCheckpointRequest req;
  req.set_tree_size(tree_size);
  v1::GetCheckpointResponse resp;
  absl::Status s = Convert(stub_->GetCheckpoint(&ctx, req, &resp),
                                  absl::StrCat("GetCheckpoint from ", options_.address));
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetInclusionProofResponse> LedgerClient::GetInclusionProof(
    uint64_t sequence, uint64_t tree_size) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetInclusionProofRequest req;
  req.set_sequence(sequence);
  req.set_tree_size(tree_size);
  v1::GetInclusionProofResponse resp;
  absl::Status s =
      Convert(stub_->GetInclusionProof(&ctx, req, &resp), "GetInclusionProof");
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<v1::GetConsistencyProofResponse> LedgerClient::GetConsistencyProof(
    uint64_t from_tree_size, uint64_t to_tree_size) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetConsistencyProofRequest req;
  req.set_from_tree_size(from_tree_size);
  req.set_to_tree_size(to_tree_size);
  v1::GetConsistencyProofResponse resp;
  absl::Status s =
      Convert(stub_->GetConsistencyProof(&ctx, req, &resp), "GetConsistencyProof");
  if (!s.ok()) return s;
  return resp;
}

}  // namespace ledger::cli
