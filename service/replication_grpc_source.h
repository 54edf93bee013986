// GrpcEntrySource: replication::EntrySource over a leader's gRPC API (the Replicate,
// GetCheckpoint and GetConsistencyProof RPCs of ledger.v1.LedgerService).
//
// LatestCheckpoint long-polls with Replicate (the leader holds the call while it has nothing
// beyond the follower's size) and keeps the entries that came with the answer, so that the
// Entries call that usually follows costs no second round trip. Every call has a deadline. The
// gRPC channel reconnects by itself (with gRPC's bounded reconnect backoff); the follower backs
// off between failed rounds. gRPC errors become absl::Status here and nowhere else.
//
// Thread-compatible (one follower thread), except Cancel(), which any thread may call.
#ifndef SERVICE_REPLICATION_GRPC_SOURCE_H_
#define SERVICE_REPLICATION_GRPC_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "ledger/replication/entry_source.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger::service {

struct GrpcEntrySourceOptions {
  // Deadline of each call (added to the long-poll wait for Replicate).
  absl::Duration rpc_timeout = absl::Seconds(30);
  // Entries asked for with each long poll (kept for the next Entries call).
  uint32_t prefetch_entries = 1000;
};

// Largest response a follower accepts (the leader caps Replicate answers well below it).
inline constexpr int kReplicationMaxReceiveBytes = 64 * 1024 * 1024;

// A channel to the leader: plaintext when `tls_ca_file` is empty; otherwise TLS checking the
// leader's certificate against that CA, with a client certificate when `tls_cert_file` and
// `tls_key_file` are given (for leaders that require mutual TLS). INVALID_ARGUMENT or NOT_FOUND
// for unreadable files or half a key pair.
absl::StatusOr<std::shared_ptr<grpc::Channel>> LeaderChannel(const std::string& address,
                                                             const std::string& tls_ca_file,
                                                             const std::string& tls_cert_file,
                                                             const std::string& tls_key_file);

// Converts a gRPC status (same canonical codes, same message).
absl::Status FromGrpcStatus(const grpc::Status& status);

// The follower's reading of the leader's answers (untrusted bytes; everything they carry is
// verified later by the follower): the entries and stored checkpoints of a Replicate answer
// (moved out of `response`), and the hashes of a consistency proof (INVALID_ARGUMENT when one
// is not 32 bytes).
replication::EntryBatch EntryBatchFromResponse(ledger::v1::ReplicateResponse* response);
absl::StatusOr<std::vector<Hash>> ConsistencyProofFromResponse(
    const ledger::v1::GetConsistencyProofResponse& response);

// An EntrySource reading Replicate answers, whatever carries them: LatestCheckpoint long-polls
// with one Replicate call and keeps the entries that came with the answer, which the Entries
// call that usually follows takes without a second call. GrpcEntrySource carries the calls over
// gRPC; the replication fuzz target (tests/fuzz/replication_fuzz.cc) answers them from its
// input.
class ReplicateReader : public replication::EntrySource {
 public:
  absl::StatusOr<std::string> LatestCheckpoint(const replication::FollowerPosition& position,
                                               absl::Duration wait_for_growth) override;
  absl::StatusOr<replication::EntryBatch> Entries(const replication::FollowerPosition& position,
                                                  SequenceNumber from,
                                                  size_t max_entries) override;

 protected:
  // Runs one Replicate call (`wait`: the long poll's, zero for none).
  virtual absl::StatusOr<ledger::v1::ReplicateResponse> Replicate(
      const replication::FollowerPosition& position, SequenceNumber start, uint32_t max_entries,
      absl::Duration wait) = 0;
  // Entries asked for with each long poll.
  virtual uint32_t PrefetchEntries() = 0;

 private:
  // Entries that came with the last long poll, from sequence prefetched_from_.
  std::optional<replication::EntryBatch> prefetched_;
  SequenceNumber prefetched_from_ = 0;
};

class GrpcEntrySource : public ReplicateReader {
 public:
  explicit GrpcEntrySource(std::shared_ptr<grpc::Channel> channel,
                           GrpcEntrySourceOptions options = {});

  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override;

  // Cancels the call in flight (it fails with CANCELLED) and every later one: for shutdown.
  void Cancel();

 protected:
  absl::StatusOr<ledger::v1::ReplicateResponse> Replicate(
      const replication::FollowerPosition& position, SequenceNumber start, uint32_t max_entries,
      absl::Duration wait) override;
  uint32_t PrefetchEntries() override { return options_.prefetch_entries; }

 private:
  // Prepares `context` with a deadline and registers it for Cancel(). False when cancelled.
  bool Begin(grpc::ClientContext* context, absl::Duration timeout);
  void End();

  std::unique_ptr<ledger::v1::LedgerService::Stub> stub_;
  const GrpcEntrySourceOptions options_;

  absl::Mutex mu_;
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ledger::service

#endif  // SERVICE_REPLICATION_GRPC_SOURCE_H_
