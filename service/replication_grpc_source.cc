#include "service/replication_grpc_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "ledger/base/file_util.h"

namespace ledger::service {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> LeaderChannel(const std::string& address,
                                                             const std::string& tls_ca_file,
                                                             const std::string& tls_cert_file,
                                                             const std::string& tls_key_file) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (tls_ca_file.empty()) {
    if (!tls_cert_file.empty() || !tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          "a client certificate for the leader needs --leader-tls-ca as well");
    }
    credentials = grpc::InsecureChannelCredentials();
  } else {
    if (tls_cert_file.empty() != tls_key_file.empty()) {
      return absl::InvalidArgumentError("--leader-tls-cert and --leader-tls-key go together");
    }
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadFileToString(tls_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (!tls_cert_file.empty()) {
      auto cert = ReadFileToString(tls_cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadFileToString(tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kReplicationMaxReceiveBytes);
  // Reconnect attempts back off up to 5 s (gRPC's default goes to 120 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(address, credentials, args);
}

replication::EntryBatch EntryBatchFromResponse(ledger::v1::ReplicateResponse* response) {
  replication::EntryBatch batch;
  batch.leaf_datas.reserve(response->leaf_data_size());
  for (std::string& leaf : *response->mutable_leaf_data()) {
    batch.leaf_datas.push_back(std::move(leaf));
  }
  for (auto& cp : *response->mutable_checkpoints()) {
    batch.checkpoints[cp.tree_size()] = std::move(*cp.mutable_checkpoint());
  }
  return batch;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProofFromResponse(
    const ledger::v1::GetConsistencyProofResponse& response) {
  std::vector<Hash> proof;
  for (const std::string& h : response.hashes()) {
    if (h.size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("the leader's consistency proof holds a hash of ", h.size(),
                       " bytes, want 32"));
    }
    proof.push_back(HashFromBytes(h));
  }
  return proof;
}

GrpcEntrySource::GrpcEntrySource(std::shared_ptr<grpc::Channel> channel,
                                 GrpcEntrySourceOptions options)
    : stub_(ledger::v1::LedgerService::NewStub(std::move(channel))), options_(options) {}

void GrpcEntrySource::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (in_flight_ != nullptr) in_flight_->TryCancel();
}

bool GrpcEntrySource::Begin(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  in_flight_ = context;
  return true;
}

void GrpcEntrySource::End() {
  absl::MutexLock lock(&mu_);
  in_flight_ = nullptr;
}

absl::StatusOr<ledger::v1::ReplicateResponse> GrpcEntrySource::Replicate(
    const replication::FollowerPosition& position, SequenceNumber start, uint32_t max_entries,
    absl::Duration wait) {
  ledger::v1::ReplicateRequest request;
  request.set_follower_id(position.follower_id);
  request.set_follower_tree_size(position.tree_size);
  request.set_start_sequence(start);
  request.set_max_entries(max_entries);
  request.set_wait_millis(static_cast<uint32_t>(absl::ToInt64Milliseconds(wait)));
  ledger::v1::ReplicateResponse response;
  grpc::ClientContext context;
  if (!Begin(&context, wait + options_.rpc_timeout)) {
    return absl::CancelledError("replication is shutting down");
  }
  grpc::Status status = stub_->Replicate(&context, request, &response);
  End();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::string> ReplicateReader::LatestCheckpoint(
    const replication::FollowerPosition& position, absl::Duration wait_for_growth) {
  prefetched_.reset();
  const uint32_t prefetch = PrefetchEntries();
  absl::StatusOr<ledger::v1::ReplicateResponse> r =
      Replicate(position, position.tree_size, prefetch, wait_for_growth);
  if (!r.ok()) return r.status();
  if (r->leaf_data_size() > 0) {
    prefetched_ = EntryBatchFromResponse(&*r);
    prefetched_from_ = position.tree_size;
  }
  return std::move(*r->mutable_latest_checkpoint());
}

absl::StatusOr<replication::EntryBatch> ReplicateReader::Entries(
    const replication::FollowerPosition& position, SequenceNumber from, size_t max_entries) {
  if (prefetched_.has_value() && prefetched_from_ == from &&
      prefetched_->leaf_datas.size() <= max_entries) {
    replication::EntryBatch batch = std::move(*prefetched_);
    prefetched_.reset();
    return batch;
  }
  prefetched_.reset();
  absl::StatusOr<ledger::v1::ReplicateResponse> r = Replicate(
      position, from, static_cast<uint32_t>(std::min<size_t>(max_entries, 1000)),
      absl::ZeroDuration());
  if (!r.ok()) return r.status();
  return EntryBatchFromResponse(&*r);
}

absl::StatusOr<std::string> GrpcEntrySource::CheckpointAt(TreeSize tree_size) {
  ledger::v1::GetCheckpointRequest request;
  request.set_tree_size(tree_size);
  ledger::v1::GetCheckpointResponse response;
  grpc::ClientContext context;
  if (!Begin(&context, options_.rpc_timeout)) {
    return absl::CancelledError("replication is shutting down");
  }
  grpc::Status status = stub_->GetCheckpoint(&context, request, &response);
  End();
  if (!status.ok()) return FromGrpcStatus(status);
  return std::move(*response.mutable_checkpoint());
}

absl::StatusOr<std::vector<Hash>> GrpcEntrySource::ConsistencyProof(TreeSize from_size,
                                                                    TreeSize to_size) {
  ledger::v1::GetConsistencyProofRequest request;
  request.set_from_tree_size(from_size);
  request.set_to_tree_size(to_size);
  ledger::v1::GetConsistencyProofResponse response;
  grpc::ClientContext context;
  if (!Begin(&context, options_.rpc_timeout)) {
    return absl::CancelledError("replication is shutting down");
  }
  grpc::Status status = stub_->GetConsistencyProof(&context, request, &response);
  End();
  if (!status.ok()) return FromGrpcStatus(status);
  return ConsistencyProofFromResponse(response);
}

}  // namespace ledger::service
