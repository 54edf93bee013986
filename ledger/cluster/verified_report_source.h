// VerifiedReportSource: an EntrySource that tells the leader this follower's id (and so its
// size, which the cluster leader counts towards its quorum: cluster_node.h) only once the
// follower has verified its log against this leader (set_verified, after a round that ended
// caught up). Until then it replicates anonymously: a node that still holds a suffix the new
// leader never had (an unpublished one from an earlier leader) must not count as holding the
// new leader's entries at that size.
#ifndef LEDGER_CLUSTER_VERIFIED_REPORT_SOURCE_H_
#define LEDGER_CLUSTER_VERIFIED_REPORT_SOURCE_H_

#include <atomic>
#include <string>
#include <vector>

#include "ledger/replication/entry_source.h"

namespace ledger::cluster {

class VerifiedReportSource : public replication::EntrySource {
 public:
  // `inner` is borrowed and must outlive this object.
  explicit VerifiedReportSource(replication::EntrySource* inner) : inner_(inner) {}

  // Thread-safe; never reset (a follower that later finds a fork stops for good).
  void set_verified() { verified_.store(true); }

  absl::StatusOr<std::string> LatestCheckpoint(const replication::FollowerPosition& position,
                                               absl::Duration wait_for_growth) override {
    return inner_->LatestCheckpoint(Reported(position), wait_for_growth);
  }
  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override {
    return inner_->CheckpointAt(tree_size);
  }
  absl::StatusOr<replication::EntryBatch> Entries(const replication::FollowerPosition& position,
                                                  SequenceNumber from,
                                                  size_t max_entries) override {
    return inner_->Entries(Reported(position), from, max_entries);
  }
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                     TreeSize to_size) override {
    return inner_->ConsistencyProof(from_size, to_size);
  }

 private:
  replication::FollowerPosition Reported(const replication::FollowerPosition& p) const {
    if (verified_.load()) return p;
    replication::FollowerPosition anonymous = p;
    anonymous.follower_id.clear();
    return anonymous;
  }

  replication::EntrySource* const inner_;
  std::atomic<bool> verified_{false};
};

}  // namespace ledger::cluster

#endif  // LEDGER_CLUSTER_VERIFIED_REPORT_SOURCE_H_
