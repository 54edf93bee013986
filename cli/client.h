// ledgerctl's connection to ledgerd: the --server / --timeout / TLS flags, a thin client with a
// deadline on every call, and the one function that turns a gRPC status into an absl::Status.
#ifndef CLI_CLIENT_H_
#define CLI_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger::cli {

struct ServerOptions {
  std::string address = "127.0.0.1:50051";
  int timeout_seconds = 30;
  // TLS: the CA that signed the server's certificate; for mutual TLS also a client pair (PEM).
  std::string tls_ca, tls_cert, tls_key;
};

// Adds --server, --timeout, --tls-ca, --tls-cert, --tls-key to `cmd`. `options` must outlive
// the parse.
void AddServerFlags(CLI::App* cmd, ServerOptions* options);

// Converts a gRPC status: the same canonical code; the message
// "<rpc>: <server message> (<CODE>, reason <REASON>)"; and the ErrorInfo reason of the status
// details as a ledger/base/error.h payload (ErrorReason). The ONLY place a gRPC status is
// interpreted. OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view rpc);

// For a call that failed in gRPC itself, before ledgerd answered (nothing listening, a TLS
// handshake that failed, a connection closed at once, no answer in time, an unknown host): one
// sentence naming options.address and what to check (is ledgerd running, is --server right,
// TLS on one side only, --timeout). Empty for anything else, including every answer of the
// server (a server's UNAVAILABLE such as LOG_STOPPED keeps its own message).
std::string ConnectionHint(const grpc::Status& status, const ServerOptions& options);

// A ledgerd client: one channel, a deadline of options.timeout_seconds on every call.
// Thread-compatible. Every error is FromGrpcStatus's.
class LedgerClient {
 public:
  // Creates the channel (it connects lazily). InvalidArgument when a TLS file cannot be read.
  static absl::StatusOr<std::unique_ptr<LedgerClient>> Connect(const ServerOptions& options);
  // A client of an existing channel (e.g. an in-process one); `description` stands for the
  // address in messages. Failures get no ConnectionHint.
  static std::unique_ptr<LedgerClient> ForChannel(std::shared_ptr<grpc::Channel> channel,
                                                  std::string description);

  // --server may list several endpoints (comma-separated, e.g. a cluster's nodes): reads go to
  // the first; appends (Append, AppendBatch, AppendSignedBatch) go to the last one that
  // accepted an append, and move on -- to the leader a refusal names (NOT_LEADER with
  // ErrorInfo metadata["leader"]), else to the next endpoint -- when refused with NOT_LEADER
  // or when unreachable (UNAVAILABLE, DEADLINE_EXCEEDED), resending the same request (same
  // event ids: idempotent) for up to 3 x --timeout.
  const std::string& address() const { return options_.address; }

  absl::StatusOr<ledger::v1::GetLogInfoResponse> GetLogInfo();
  absl::StatusOr<ledger::v1::GetReplicationStatusResponse> GetReplicationStatus();
  absl::StatusOr<ledger::v1::ListFollowersResponse> ListFollowers();
  absl::StatusOr<ledger::v1::AppendResponse> Append(const ledger::v1::SignedEvent& event);
  absl::StatusOr<ledger::v1::AppendBatchResponse> AppendBatch(
      const std::vector<ledger::v1::SignedEvent>& events);
  absl::StatusOr<ledger::v1::AppendBatchResponse> AppendSignedBatch(
      const ledger::v1::SignedBatch& batch);
  absl::StatusOr<ledger::v1::Entry> GetEntry(uint64_t sequence);
  absl::StatusOr<ledger::v1::ListEntriesResponse> ListEntries(uint64_t start_sequence,
                                                               uint32_t max_entries);
  // tree_size 0: the latest.
  absl::StatusOr<ledger::v1::GetCheckpointResponse> GetCheckpoint(uint64_t tree_size);
  absl::StatusOr<ledger::v1::GetInclusionProofResponse> GetInclusionProof(uint64_t sequence,
                                                                           uint64_t tree_size);
  absl::StatusOr<ledger::v1::GetConsistencyProofResponse> GetConsistencyProof(
      uint64_t from_tree_size, uint64_t to_tree_size);

  // Claim queries (ledger.v1.ClaimService); the deadline is set like every other call.
  absl::StatusOr<ledger::v1::GetClaimResponse> GetClaim(const ledger::v1::GetClaimRequest& req);
  absl::StatusOr<ledger::v1::ProveStateResponse> ProveState(
      const ledger::v1::ProveStateRequest& req);
  absl::StatusOr<ledger::v1::ListMapCheckpointsResponse> ListMapCheckpoints(
      const ledger::v1::ListMapCheckpointsRequest& req);
  absl::StatusOr<ledger::v1::ListRelationsResponse> ListRelations(
      const ledger::v1::ListRelationsRequest& req);
  absl::StatusOr<ledger::v1::MatchClaimsResponse> MatchClaims(
      const ledger::v1::MatchClaimsRequest& req);
  absl::StatusOr<ledger::v1::ListClaimsResponse> ListClaims(
      const ledger::v1::ListClaimsRequest& req);
  absl::StatusOr<ledger::v1::GetVerdictTallyResponse> GetVerdictTally(
      const ledger::v1::GetVerdictTallyRequest& req);
  absl::StatusOr<ledger::v1::GetViewStatusResponse> GetViewStatus(bool with_digests);

  // Subscribe: calls fn for each entry from `start_sequence` on, as the log grows, until fn
  // returns false or the stream ends. No deadline: it runs until `ctx` is cancelled
  // (ctx->TryCancel(), from another thread: CANCELLED) or the server ends the stream (then
  // OK, or its error). `ctx` must be fresh and outlive the call.
  absl::Status Subscribe(uint64_t start_sequence, grpc::ClientContext* ctx,
                         const std::function<bool(const ledger::v1::Entry&)>& fn);

 private:
  LedgerClient(ServerOptions options, std::shared_ptr<grpc::Channel> channel,
               bool hints = true)
      : options_(std::move(options)),
        hints_(hints),
        stub_(ledger::v1::LedgerService::NewStub(channel)),
        claims_(ledger::v1::ClaimService::NewStub(channel)) {}
  void SetDeadline(grpc::ClientContext* ctx) const;
  // An append RPC with the failover described at address().
  template <typename Req, typename Resp>
  absl::Status CallAppend(absl::string_view rpc, const Req& req, Resp* resp,
                          grpc::Status (ledger::v1::LedgerService::Stub::*method)(
                              grpc::ClientContext*, const Req&, Resp*));
  ledger::v1::LedgerService::Stub* AppendStub(const std::string& endpoint);
  // FromGrpcStatus, with the ConnectionHint first when there is one.
  absl::Status Convert(const grpc::Status& status, absl::string_view rpc) const;

  const ServerOptions options_;
  const bool hints_;
  const std::unique_ptr<ledger::v1::LedgerService::Stub> stub_;
  const std::unique_ptr<ledger::v1::ClaimService::Stub> claims_;
  // Several --server endpoints: the channels appends use (made when first needed).
  std::vector<std::string> endpoints_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::string append_endpoint_;
  std::map<std::string, std::unique_ptr<ledger::v1::LedgerService::Stub>> append_stubs_;
};

}  // namespace ledger::cli

#endif  // CLI_CLIENT_H_
