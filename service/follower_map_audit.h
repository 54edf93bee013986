// FollowerMapAudit: a follower's audit of its leader's claim-state map commitments
// (docs/format.md §13). A thread lists the leader's map checkpoints (ListMapCheckpoints),
// verifies each with the log key, and once this follower's own log holds that tree size,
// recomputes the log root and the map root from its own verified entries (views::MapAuditor).
// A commitment that does not verify or does not match is logged as an error and stops the
// audit, and the follower's own map refuses proofs from then on (ClaimStateMap::SetAuditFailure):
// a follower never serves an answer the leader's signed commitments contradict.
#ifndef SERVICE_FOLLOWER_MAP_AUDIT_H_
#define SERVICE_FOLLOWER_MAP_AUDIT_H_

#include <atomic>
#include <memory>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "ledger/core/log.h"
#include "ledger/format/checkpoint.h"
#include "ledger/views/claim_state_map.h"

namespace ledger::service {

class FollowerMapAudit {
 public:
  // Starts the thread, at the process's nice value plus `thread_nice` (as the views' threads:
  // ViewEngineOptions::thread_nice). `log`, `state_map` must outlive this object.
  FollowerMapAudit(std::shared_ptr<grpc::Channel> leader, const core::Log* log,
                   views::ClaimStateMap* state_map, absl::Duration poll_interval,
                   int thread_nice = 0);
  ~FollowerMapAudit();  // stops and joins
  // The largest tree size whose commitment was recomputed and matched (0: none yet).
  TreeSize verified_size() const { return verified_.load(); }

 private:
  void Run();

  std::shared_ptr<grpc::Channel> leader_;
  const core::Log* const log_;
  views::ClaimStateMap* const state_map_;
  const absl::Duration poll_interval_;
  std::atomic<bool> stop_{false};
  std::atomic<TreeSize> verified_{0};
  std::thread thread_;
};

}  // namespace ledger::service

#endif  // SERVICE_FOLLOWER_MAP_AUDIT_H_
