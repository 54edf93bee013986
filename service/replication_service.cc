#include "service/replication_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/error.h"
#include "ledger/format/checkpoint.h"
#include "service/grpc_status.h"

namespace ledger::service {
namespace {

bool ValidFollowerId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void FollowerTable::Record(const std::string& follower_id, const std::string& peer,
                           TreeSize tree_size, TreeSize leader_tree_size) {
  const int64_t now = clock_->NowMicros();
  {
    absl::MutexLock lock(&mu_);
    if (followers_.count(follower_id) == 0 && followers_.size() >= capacity_) {
      auto oldest = std::min_element(followers_.begin(), followers_.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.second.last_seen_micros() <
                                              b.second.last_seen_micros();
                                     });
      followers_.erase(oldest);
    }
    ledger::v1::FollowerInfo& info = followers_[follower_id];
    info.set_follower_id(follower_id);
    info.set_peer(peer);
    info.set_tree_size(tree_size);
    info.set_lag_entries(leader_tree_size > tree_size ? leader_tree_size - tree_size : 0);
    info.set_last_seen_micros(now);
  }
  if (on_record_) on_record_(follower_id, tree_size);
}

std::vector<ledger::v1::FollowerInfo> FollowerTable::List() const {
  std::vector<ledger::v1::FollowerInfo> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, info] : followers_) out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.last_seen_micros() > b.last_seen_micros();
  });
  return out;
}

grpc::Status HandleReplicate(const core::Log& log, FollowerTable* followers,
                             grpc::ServerContext* context,
                             const ledger::v1::ReplicateRequest& request,
                             ledger::v1::ReplicateResponse* response) {
  if (request.max_entries() > kMaxReplicateEntries) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded,
                                  "max_entries",
                                  absl::StrCat(request.max_entries(), " exceeds the limit of ",
                                               kMaxReplicateEntries)));
  }
  if (!request.follower_id().empty() && !ValidFollowerId(request.follower_id())) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                                  "follower_id", "want 1..128 bytes of A-Z a-z 0-9 . _ : -"));
  }
  const uint32_t wait_millis = std::min(request.wait_millis(), kMaxReplicateWaitMillis);
  if (wait_millis > 0 && request.start_sequence() >= log.Head().tree_size) {
    // Record the position before the long poll too: a cluster leader counts it towards its
    // quorum (ledger/cluster/cluster_node.h) and must not learn it a poll later.
    if (followers != nullptr && !request.follower_id().empty()) {
      followers->Record(request.follower_id(), context->peer(), request.follower_tree_size(),
                        log.Head().tree_size);
    }
    log.WaitForGrowth(request.start_sequence(), absl::Milliseconds(wait_millis));
  }
  // The checkpoint first: every entry up to its size is committed with it.
  std::string note = log.LatestCheckpoint();
  if (note.empty()) {
    return ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable, reason::kNoCheckpointYet, "",
                                  "this server holds no signed checkpoint yet (an empty "
                                  "follower)"));
  }
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
  if (!cp.ok()) {
    return ToGrpcStatus(absl::DataLossError(
        absl::StrCat("the latest checkpoint does not parse: ", cp.status().message())));
  }
  if (followers != nullptr && !request.follower_id().empty()) {
    followers->Record(request.follower_id(), context->peer(), request.follower_tree_size(),
                      cp->tree_size);
  }
  response->set_tree_size(cp->tree_size);
  response->set_latest_checkpoint(std::move(note));
  const SequenceNumber start = request.start_sequence();
  if (request.max_entries() == 0 || start >= cp->tree_size) return grpc::Status::OK;
  const SequenceNumber end = std::min<uint64_t>(cp->tree_size, start + request.max_entries());
  size_t bytes = 0;
  absl::Status scan =
      log.store().ScanEntries(start, end, [&](SequenceNumber, absl::string_view leaf) {
        response->add_leaf_data(std::string(leaf));
        bytes += leaf.size();
        return bytes < kMaxReplicateBytes;
      });
  if (!scan.ok()) return ToGrpcStatus(scan);
  // The checkpoints stored inside the page (one per group commit that ended in it): one
  // range scan, not a lookup per entry.
  const TreeSize sent_end = start + response->leaf_data_size();
  absl::Status checkpoints =
      log.store().ScanCheckpointsFrom(start + 1, [&](TreeSize size, absl::string_view note) {
        if (size > sent_end) return false;
        ledger::v1::StoredCheckpoint* out = response->add_checkpoints();
        out->set_tree_size(size);
        out->set_checkpoint(std::string(note));
        return true;
      });
  if (!checkpoints.ok()) return ToGrpcStatus(checkpoints);
  return grpc::Status::OK;
}

ledger::v1::ForkKind ToProto(replication::ForkKind kind) {
  switch (kind) {
    case replication::ForkKind::kNone: return ledger::v1::FORK_KIND_NONE;
    case replication::ForkKind::kForkSameSize: return ledger::v1::FORK_SAME_SIZE;
    case replication::ForkKind::kForkInconsistent: return ledger::v1::FORK_INCONSISTENT;
    case replication::ForkKind::kLeaderRollback: return ledger::v1::LEADER_ROLLBACK;
    case replication::ForkKind::kUnknownCheckpointKey: return ledger::v1::UNKNOWN_CHECKPOINT_KEY;
    case replication::ForkKind::kBadEntries: return ledger::v1::BAD_ENTRIES;
  }
  return ledger::v1::FORK_KIND_NONE;
}

ledger::v1::ReplicationState ToProto(replication::FollowerState state) {
  switch (state) {
    case replication::FollowerState::kStarting:
    case replication::FollowerState::kCatchingUp:
      return ledger::v1::REPLICATION_STATE_CATCHING_UP;
    case replication::FollowerState::kCaughtUp: return ledger::v1::REPLICATION_STATE_CAUGHT_UP;
    case replication::FollowerState::kRetrying: return ledger::v1::REPLICATION_STATE_RETRYING;
    case replication::FollowerState::kStopped: return ledger::v1::REPLICATION_STATE_STOPPED;
  }
  return ledger::v1::REPLICATION_STATE_UNSPECIFIED;
}

void FillReplicationStatus(const core::Log& log, const ReplicationContext& replication,
                           ledger::v1::GetReplicationStatusResponse* response) {
  const TreeSize size = log.Head().tree_size;
  response->set_tree_size(size);
  if (!log.is_follower()) {
    response->set_role("leader");
    response->set_state(ledger::v1::REPLICATION_STATE_LEADER);
    response->set_leader_tree_size(size);
    return;
  }
  response->set_role("follower");
  absl::MutexLockMaybe lock(replication.mu);
  response->set_leader(replication.leader);
  if (replication.follower == nullptr) {
    response->set_state(ledger::v1::REPLICATION_STATE_NOT_REPLICATING);
    return;
  }
  const replication::FollowerStatus s = replication.follower->status();
  response->set_state(ToProto(s.state));
  response->set_leader_tree_size(s.leader_tree_size);
  response->set_lag_entries(s.leader_tree_size > size ? s.leader_tree_size - size : 0);
  response->set_lag_seconds(s.lag_seconds);
  response->set_fork_kind(ToProto(s.fork_kind));
  response->set_fork_detail(s.fork_detail);
  response->set_evidence_file(s.evidence_file);
  if (!s.last_error.ok()) {
    response->set_last_error(absl::StrCat(absl::StatusCodeToString(s.last_error.code()), ": ",
                                          s.last_error.message()));
  }
  response->set_last_contact_micros(s.last_contact_micros);
}

void FillFollowers(const core::Log& log, const FollowerTable* followers,
                   ledger::v1::ListFollowersResponse* response) {
  response->set_tree_size(log.Head().tree_size);
  if (followers == nullptr) return;
  for (ledger::v1::FollowerInfo& info : followers->List()) {
    *response->add_followers() = std::move(info);
  }
}

}  // namespace ledger::service
