// The replication RPCs of ledgerd (Replicate, GetReplicationStatus, ListFollowers): the leader
// side of replication and the status of a follower, as functions LedgerServiceImpl calls, plus
// the leader's in-memory table of its followers.
#ifndef SERVICE_REPLICATION_SERVICE_H_
#define SERVICE_REPLICATION_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "ledger/base/clock.h"
#include "ledger/core/log.h"
#include "ledger/replication/follower.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::service {

// Limits of Replicate (docs/api.md).
inline constexpr uint32_t kMaxReplicateEntries = 1000;
inline constexpr uint32_t kMaxReplicateWaitMillis = 5000;
// A Replicate answer stops adding entries once it holds this many bytes of leaf data (at least
// one entry is always sent; an entry is below 128 KiB).
inline constexpr size_t kMaxReplicateBytes = 3 * 1024 * 1024;

// The followers that called Replicate with a follower_id, with the position each reported.
// Self-reported and unauthenticated: for display only. Holds at most `capacity` followers (the
// least recently seen is dropped). Thread-safe.
class FollowerTable {
 public:
  explicit FollowerTable(size_t capacity = 256, Clock* clock = Clock::Real())
      : capacity_(capacity), clock_(clock) {}

  void Record(const std::string& follower_id, const std::string& peer, TreeSize tree_size,
              TreeSize leader_tree_size);
  // Most recently seen first.
  std::vector<ledger::v1::FollowerInfo> List() const;
  // Called (outside the table's lock) after each Record with the follower's id and reported
  // size. Set before the server starts; for cluster mode's quorum (ledger/cluster/).
  void SetOnRecord(std::function<void(const std::string&, TreeSize)> on_record) {
    on_record_ = std::move(on_record);
  }

 private:
  const size_t capacity_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, ledger::v1::FollowerInfo> followers_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&, TreeSize)> on_record_;
};

// What a server knows about replication. Borrowed pointers; they must outlive the service.
struct ReplicationContext {
  // On a follower: the leader's address ("" when served without --follow).
  std::string leader;
  // On a follower served with --follow; null otherwise.
  const replication::Follower* follower = nullptr;
  // Filled by Replicate; may be null (then followers are not listed).
  FollowerTable* followers = nullptr;
  // When set, held while `leader` and `follower` are read: cluster mode changes them while
  // serving (under this mutex, and it destroys a replaced follower only after).
  absl::Mutex* mu = nullptr;
};

// Replicate: see proto/ledger/v1/ledger_service.proto. INVALID_ARGUMENT for max_entries above
// 1000 or a malformed follower_id; UNAVAILABLE when the log has no checkpoint yet (an empty
// follower serving others).
grpc::Status HandleReplicate(const core::Log& log, FollowerTable* followers,
                             grpc::ServerContext* context,
                             const ledger::v1::ReplicateRequest& request,
                             ledger::v1::ReplicateResponse* response);

void FillReplicationStatus(const core::Log& log, const ReplicationContext& replication,
                           ledger::v1::GetReplicationStatusResponse* response);

void FillFollowers(const core::Log& log, const FollowerTable* followers,
                   ledger::v1::ListFollowersResponse* response);

// The API's enum values of the follower's states and findings.
ledger::v1::ForkKind ToProto(replication::ForkKind kind);
ledger::v1::ReplicationState ToProto(replication::FollowerState state);

}  // namespace ledger::service

#endif  // SERVICE_REPLICATION_SERVICE_H_
