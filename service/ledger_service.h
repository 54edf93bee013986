// LedgerServiceImpl: the gRPC adapter over core::Log. Converts messages and statuses and does
// nothing else: every rule lives in ledger/.
#ifndef SERVICE_LEDGER_SERVICE_H_
#define SERVICE_LEDGER_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

#include "ledger/core/log.h"
#include "service/metrics.h"
#include "service/replication_service.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace ledger::service {

struct LedgerServiceOptions {
  // Most Subscribe streams open at once; more are refused with RESOURCE_EXHAUSTED.
  int max_subscribers = 64;
  // Most Subscribe streams one client holds at once (ClientKey), so that one client cannot take
  // every slot of max_subscribers; more are refused with RESOURCE_EXHAUSTED. 0: no limit.
  int max_subscribers_per_client = 32;
  // Most AppendStream streams open at once.
  int max_append_streams = 64;
  // Events one AppendStream keeps in flight (read but not yet answered).
  size_t stream_window = 256;
  // Where to record metrics; may be null. Not owned; must outlive the service.
  ServerMetrics* metrics = nullptr;
  // Replication (Replicate, GetReplicationStatus, ListFollowers); may be null (a leader with no
  // follower table). Not owned; must outlive the service.
  const ReplicationContext* replication = nullptr;
  // Cluster mode (ledger/cluster/cluster_node.h); unset otherwise. Every append is answered
  // only after await_published(size, &note) returns OK for a size covering it, and its
  // response carries that published `note` instead of the log's provisional checkpoint; an
  // error from it is the append's answer (the entry may still be published later: retrying the
  // event id is safe). GetCheckpoint of the latest size serves published_checkpoint().
  std::function<absl::Status(TreeSize, std::string*)> await_published;
  std::function<std::string()> published_checkpoint;
};

// Streams open in total and per client: the counts behind both Subscribe limits. Thread-safe.
// Both counts change together under one lock, so a stream refused by either limit never holds a
// slot, not even for a moment: the server refuses only when it really is full.
class ClientStreamCounts {
 public:
  enum class Admit { kOk, kTotalFull, kClientFull };
  // Counts one more stream of `client` unless `total_limit` streams are open or `client` already
  // holds `limit` (either 0: no limit). Each kOk must be Released.
  Admit TryAcquire(const std::string& client, int limit, int total_limit = 0);
  void Release(const std::string& client);
  int open(const std::string& client) const;
  int open_total() const;

 private:
  mutable absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
};

// Who a call comes from, for per-client limits: the authenticated identity of a mutual-TLS
// client (its certificate's names; all its connections count together), otherwise the peer
// address gRPC reports ("ipv4:127.0.0.1:53412": one connection).
std::string ClientKey(const grpc::ServerContext& context);

// Cluster mode: answers appends once await_published covers them, on one thread of its own, so
// that no gRPC or sequencer thread blocks on the quorum. Every wait queued while one is in
// progress is answered by the next call, for the largest size among them.
class PublishWaiter {
 public:
  using Done = std::function<void(absl::Status, const std::string& note)>;
  explicit PublishWaiter(std::function<absl::Status(TreeSize, std::string*)> await_published);
  ~PublishWaiter();  // Answers what is queued, then stops.
  // Calls `done` (on the waiter's thread) once await_published covers `size`, or with its error.
  void Wait(TreeSize size, Done done);

 private:
  void Run();
  const std::function<absl::Status(TreeSize, std::string*)> await_published_;
  absl::Mutex mu_;
  std::vector<std::pair<TreeSize, Done>> queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Thread-safe (the Log is). `log` must outlive the service. Append uses gRPC's callback API:
// no thread waits for its group commit (core::Log::AppendAsync); the other methods are
// synchronous.
class LedgerServiceImpl final
    : public ledger::v1::LedgerService::WithCallbackMethod_Append<
          ledger::v1::LedgerService::Service> {
 public:
  explicit LedgerServiceImpl(core::Log* log, LedgerServiceOptions options = {});

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const ledger::v1::AppendRequest* request,
                                   ledger::v1::AppendResponse* response) override;
  // Append for in-process callers (tests, fuzz targets): the same work, waited for.
  grpc::Status AppendAndWait(const ledger::v1::AppendRequest* request,
                             ledger::v1::AppendResponse* response);
  grpc::Status AppendBatch(grpc::ServerContext* context,
                           const ledger::v1::AppendBatchRequest* request,
                           ledger::v1::AppendBatchResponse* response) override;
  grpc::Status AppendSignedBatch(grpc::ServerContext* context,
                                 const ledger::v1::AppendSignedBatchRequest* request,
                                 ledger::v1::AppendBatchResponse* response) override;
  grpc::Status AppendStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<ledger::v1::AppendStreamResponse, ledger::v1::AppendRequest>* stream)
      override;
  grpc::Status Subscribe(grpc::ServerContext* context, const ledger::v1::SubscribeRequest* request,
                         grpc::ServerWriter<ledger::v1::Entry>* writer) override;
  grpc::Status GetEntry(grpc::ServerContext* context, const ledger::v1::GetEntryRequest* request,
                        ledger::v1::GetEntryResponse* response) override;
  grpc::Status ListEntries(grpc::ServerContext* context,
                           const ledger::v1::ListEntriesRequest* request,
                           ledger::v1::ListEntriesResponse* response) override;
  grpc::Status GetCheckpoint(grpc::ServerContext* context,
                             const ledger::v1::GetCheckpointRequest* request,
                             ledger::v1::GetCheckpointResponse* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const ledger::v1::GetInclusionProofRequest* request,
                                 ledger::v1::GetInclusionProofResponse* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const ledger::v1::GetConsistencyProofRequest* request,
                                   ledger::v1::GetConsistencyProofResponse* response) override;
  grpc::Status GetLogInfo(grpc::ServerContext* context,
                          const ledger::v1::GetLogInfoRequest* request,
                          ledger::v1::GetLogInfoResponse* response) override;
  grpc::Status Replicate(grpc::ServerContext* context, const ledger::v1::ReplicateRequest* request,
                         ledger::v1::ReplicateResponse* response) override;
  grpc::Status GetReplicationStatus(grpc::ServerContext* context,
                                    const ledger::v1::GetReplicationStatusRequest* request,
                                    ledger::v1::GetReplicationStatusResponse* response) override;
  grpc::Status ListFollowers(grpc::ServerContext* context,
                             const ledger::v1::ListFollowersRequest* request,
                             ledger::v1::ListFollowersResponse* response) override;

 private:
  void Record(const absl::Status& status, bool duplicate) const;
  // Cluster mode: waits for options_.await_published to cover `results`, then gives each the
  // published checkpoint. OK at once outside cluster mode.
  absl::Status AwaitPublished(std::vector<core::AppendResult>* results) const;
  // Append's work: `done` gets the answer once `response` is filled (on the calling thread, the
  // sequencer's or the publish waiter's; see core::Log::AppendAsync).
  void StartAppend(const ledger::v1::AppendRequest* request, ledger::v1::AppendResponse* response,
                   std::function<void(grpc::Status)> done);

  core::Log* const log_;
  const LedgerServiceOptions options_;
  // Set in cluster mode (options_.await_published).
  std::unique_ptr<PublishWaiter> publish_waiter_;
  std::atomic<int> append_streams_{0};
  ClientStreamCounts subscribers_per_client_;
};

}  // namespace ledger::service

#endif  // SERVICE_LEDGER_SERVICE_H_
