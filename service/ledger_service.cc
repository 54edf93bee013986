#include "service/ledger_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/format/checkpoint.h"
#include "service/grpc_status.h"

namespace ledger::service {
namespace {

constexpr uint32_t kDefaultListEntries = 100;
constexpr uint32_t kMaxListEntries = 1000;

std::string Bytes(const Hash& h) { return std::string(AsStringView(h)); }

void FillEntry(const core::LogEntry& e, ledger::v1::Entry* out) {
  out->set_sequence(e.sequence);
  out->set_recorded_time_micros(e.recorded_time_micros);
  auto* signed_event = out->mutable_signed_event();
  signed_event->set_version(1);
  signed_event->set_event_id(e.event_id);
  signed_event->set_event(e.event);
  signed_event->set_key_id(e.key_id);
  signed_event->set_signature(e.signature);
  out->set_leaf_data(e.leaf_data);
  out->set_leaf_hash(Bytes(e.leaf_hash));
}

}  // namespace

grpc::Status LedgerServiceImpl::Append(grpc::ServerContext*, const ledger::v1::AppendRequest* req,
                                       ledger::v1::AppendResponse* resp) {
  if (!req->has_event()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "event: is required");
  }
  absl::StatusOr<core::AppendResult> r = log_->Append(req->event());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_sequence(r->sequence);
  resp->set_recorded_time_micros(r->recorded_time_micros);
  resp->set_leaf_hash(Bytes(r->leaf_hash));
  resp->set_duplicate(r->duplicate);
  resp->set_checkpoint(r->checkpoint);
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetEntry(grpc::ServerContext*,
                                         const ledger::v1::GetEntryRequest* req,
                                         ledger::v1::GetEntryResponse* resp) {
  absl::StatusOr<core::LogEntry> e = log_->GetEntry(req->sequence());
  if (!e.ok()) return ToGrpcStatus(e.status());
  FillEntry(*e, resp->mutable_entry());
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::ListEntries(grpc::ServerContext*,
                                            const ledger::v1::ListEntriesRequest* req,
                                            ledger::v1::ListEntriesResponse* resp) {
  uint32_t max = req->max_entries() == 0 ? kDefaultListEntries : req->max_entries();
  if (max > kMaxListEntries) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("max_entries: ", max, " exceeds the limit of ",
                                     kMaxListEntries));
  }
  const TreeSize size = log_->Head().tree_size;
  resp->set_tree_size(size);
  if (req->start_sequence() >= size) return grpc::Status::OK;
  const SequenceNumber end = std::min<uint64_t>(size, req->start_sequence() + max);
  absl::Status scan = log_->store().ScanEntries(
      req->start_sequence(), end, [&](SequenceNumber seq, absl::string_view leaf) {
        absl::StatusOr<core::LogEntry> e = core::DecodeLogEntry(seq, std::string(leaf));
        if (e.ok()) FillEntry(*e, resp->add_entries());
        return e.ok();
      });
  return ToGrpcStatus(scan);
}

grpc::Status LedgerServiceImpl::GetCheckpoint(grpc::ServerContext*,
                                              const ledger::v1::GetCheckpointRequest* req,
                                              ledger::v1::GetCheckpointResponse* resp) {
  std::string note;
  if (req->tree_size() == 0) {
    note = log_->LatestCheckpoint();
  } else {
    absl::StatusOr<std::string> cp = log_->CheckpointAt(req->tree_size());
    if (!cp.ok()) return ToGrpcStatus(cp.status());
    note = *cp;
  }
  absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(note);
  if (!parsed.ok()) return ToGrpcStatus(absl::DataLossError(parsed.status().message()));
  resp->set_checkpoint(note);
  resp->set_tree_size(parsed->tree_size);
  resp->set_root_hash(Bytes(parsed->root_hash));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetInclusionProof(
    grpc::ServerContext*, const ledger::v1::GetInclusionProofRequest* req,
    ledger::v1::GetInclusionProofResponse* resp) {
  absl::StatusOr<core::InclusionProof> proof;
  if (req->leaf_case() == ledger::v1::GetInclusionProofRequest::kLeafHash) {
    if (req->leaf_hash().size() != 32) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("leaf_hash: must be 32 bytes, got ",
                                       req->leaf_hash().size()));
    }
    proof = log_->ProveInclusionByLeafHash(HashFromBytes(req->leaf_hash()), req->tree_size());
  } else {
    proof = log_->ProveInclusion(req->sequence(), req->tree_size());
  }
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  resp->set_sequence(proof->sequence);
  resp->set_tree_size(proof->tree_size);
  resp->set_leaf_hash(Bytes(proof->leaf_hash));
  resp->set_root_hash(Bytes(proof->root_hash));
  for (const Hash& h : proof->hashes) resp->add_hashes(Bytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetConsistencyProof(
    grpc::ServerContext*, const ledger::v1::GetConsistencyProofRequest* req,
    ledger::v1::GetConsistencyProofResponse* resp) {
  absl::StatusOr<core::ConsistencyProof> proof =
      log_->ProveConsistency(req->from_tree_size(), req->to_tree_size());
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  resp->set_from_tree_size(proof->from_tree_size);
  resp->set_to_tree_size(proof->to_tree_size);
  resp->set_from_root_hash(Bytes(proof->from_root_hash));
  resp->set_to_root_hash(Bytes(proof->to_root_hash));
  for (const Hash& h : proof->hashes) resp->add_hashes(Bytes(h));
  return grpc::Status::OK;
}

grpc::Status LedgerServiceImpl::GetLogInfo(grpc::ServerContext*,
                                           const ledger::v1::GetLogInfoRequest*,
                                           ledger::v1::GetLogInfoResponse* resp) {
  resp->set_origin(log_->identity().origin);
  resp->set_checkpoint_verifier_key(log_->CheckpointVerifierKey());
  resp->set_tree_size(log_->Head().tree_size);
  return grpc::Status::OK;
}

}  // namespace ledger::service
