// ClusterNode: one ledgerd in cluster mode (docs/design.md, "High availability"). etcd holds
// two keys under <prefix> (default "/factledger/<origin>/"):
//   leader      "<node-id> <advertise host:port>", created under the node's lease by the
//               election transaction (create if absent); its create_revision is the
//               leadership TOKEN. It disappears when the lease expires (lease_ttl without a
//               keep-alive: the node died, stopped, or lost etcd).
//   checkpoint  the last PUBLISHED checkpoint note, written only by a transaction that
//               requires leader's create_revision == the writer's token (the fence: a deposed
//               leader's write fails, whatever it believes).
//
// Roles change within the process (docs/design.md, "High availability"): the monitor reports a
// change, the node decides again (Decide) and the Log is promoted or demoted in place
// (Log::Promote, Log::Demote) while its store and the views stay open. A restart (exit code
// kExitRoleChanged, which the supervisor answers by starting ledgerd again) remains only for
// what needs a fresh process: setting a conflicting log aside (discard.h), and no role at all
// (etcd unreachable).
//   - Every node opens its log WITHOUT the log key first. It may campaign only when its log
//     holds the published checkpoint's size with the published root (ELIGIBLE); so every
//     leader's log extends every published checkpoint, and every acknowledged entry.
//   - The winner reopens its log with the key and sequences and signs. Its Log signs a
//     checkpoint per group commit, but those stay PROVISIONAL: the publisher (a thread) puts a
//     checkpoint in etcd only for a size that `quorum` nodes hold durably (the leader and
//     followers whose reported size counts: see RecordFollower), through the fenced
//     transaction. Appends are acknowledged (AwaitPublished) only once a checkpoint covering
//     them is published, and clients only ever see published checkpoints.
//   - The others follow the leader named by the key with the existing verifying follower.
//   - The monitor (a thread) reports a change when the leader key changes or vanishes, when
//     this node's lease is lost (keep-alive answers TTL 0, or no answer for lease_ttl; the
//     next Decide grants a new lease), or when a fenced publish fails.
//
// Thread-safe.
#ifndef LEDGER_CLUSTER_CLUSTER_NODE_H_
#define LEDGER_CLUSTER_CLUSTER_NODE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/types.h"
#include "ledger/cluster/etcd_client.h"
#include "ledger/core/log.h"

namespace ledger::cluster {

// ledgerd's exit code for "my role changed: start me again" (EX_TEMPFAIL).
inline constexpr int kExitRoleChanged = 75;
// The follower_id cluster followers replicate under: "cluster:<node-id>".
inline constexpr absl::string_view kClusterFollowerPrefix = "cluster:";
// Limits of the flags.
inline constexpr int kMaxClusterNodes = 15;
inline constexpr int kMinLeaseTtlSeconds = 2;
inline constexpr int kMaxLeaseTtlSeconds = 60;
// Decide's campaign order (see there): the delay per entry a node holds fewer beyond the
// published checkpoint, and the largest number of such entries it distinguishes.
inline constexpr absl::Duration kCampaignStep = absl::Milliseconds(25);
inline constexpr int64_t kCampaignSteps = 8;
// ... and the further delay of a node holding nothing beyond the published checkpoint: a node
// holding a dead leader's replicated, unpublished entries must win over it, or its log
// conflicts with the new leader's next entries and is set aside (a full re-replication, while
// the quorum may need it). Larger than the skew with which nodes see the leader key go (up to
// ~70 ms measured on a loaded host).
inline constexpr absl::Duration kCampaignNoneBeyond = absl::Milliseconds(150);

struct ClusterOptions {
  std::string etcd_endpoints;  // --cluster
  std::string prefix;          // --cluster-prefix; "" = "/factledger/<origin>/"
  std::string node_id;         // --node-id: [A-Za-z0-9._-]{1,64}
  std::string advertise;       // --advertise: host:port clients and followers reach us at
  int nodes = 3;               // --cluster-nodes: configured number of nodes
  int quorum = 0;              // --quorum: nodes holding an entry before its ack; 0 = majority
  int lease_ttl_seconds = 2;   // --lease-ttl (docs/operations.md: the default lease)
  absl::Duration ack_timeout = absl::Seconds(10);  // --ack-timeout-ms
  absl::Duration etcd_timeout = absl::Seconds(2);
};

// INVALID_ARGUMENT naming the flag and its limit.
absl::Status ValidateClusterOptions(const ClusterOptions& options);

class ClusterNode {
 public:
  // Connects to etcd (nothing is written yet) and grants this node's lease.
  static absl::StatusOr<std::unique_ptr<ClusterNode>> Join(ClusterOptions options,
                                                           const std::string& origin);
  // Stops the threads and revokes the lease (the leader key, if ours, goes with it).
  ~ClusterNode();

  struct Role {
    bool leader = false;
    std::string leader_address;  // the leader's advertise address ("" when there is none)
    std::string leader_id;
  };
  // Reads the published checkpoint; when `log` (opened without its key) is eligible, campaigns.
  // Otherwise (or when another node holds the key) returns the current leader, waiting up to
  // `wait` for one to appear. A leader key naming this node (id and advertise address) under
  // another lease is its previous process's: that lease is revoked, not waited for.
  // UNAVAILABLE when etcd cannot be reached or no leader appears; reason
  // LOG_FORKED_FROM_PUBLISHED when the log has another root at the published size
  // (FAILED_PRECONDITION: an unpublished suffix, to be set aside) or the published checkpoint
  // does not verify with the log's key (DATA_LOSS: this node must not serve). Campaign order: the node holding the most
  // entries beyond the published checkpoint first, nodes not `serving` yet (starting) last.
  absl::StatusOr<Role> Decide(const core::Log& log, absl::Duration wait, bool serving = true);

  // Whether `log` holds the published checkpoint's size with its root (re-read from etcd).
  // OK(true/false), or an error reaching etcd.
  absl::StatusOr<bool> HoldsPublished(const core::Log& log);

  // Leader only, once `log` holds the key (Log::Promote, or opened with it): starts the
  // publisher, counting only follower reports from now on.
  void StartLeading(core::Log* log);
  // Stops the publisher; AwaitPublished answers NOT_LEADER from now on. Idempotent.
  void StopLeading();
  // Between StartLeading and StopLeading, and not deposed.
  bool leading() const;
  // Both roles: starts the monitor; `on_change(why)` is called once, on its thread, after a
  // leader stopped acknowledging (AwaitPublished answers NOT_LEADER). The caller then decides
  // again (Decide) and calls StartMonitor again: a role change within the process.
  void StartMonitor(std::function<void(const std::string& why)> on_change);

  // A follower's report (FollowerTable::SetOnRecord). Counts only ids kClusterFollowerPrefix +
  // a node id other than ours.
  void RecordFollower(const std::string& follower_id, TreeSize size);
  // Leader: the log committed up to `size` (LogOptions::on_checkpoint): wakes the publisher.
  void NotifyCommit(TreeSize size);
  // Where a leader's acknowledgements wait (for bench/cluster_bench.sh and the logs), over
  // every term of this process: `quorum` is, per publication, from the commit of the oldest
  // entry it covers to the moment a quorum held it (the follower round trip: replicate,
  // verify, fsync, report); `txn` is the fenced etcd transaction that publishes it.
  struct PublisherStats {
    uint64_t publications = 0;
    uint64_t entries = 0;  // entries covered by them
    double quorum_ms_total = 0, quorum_ms_max = 0;
    double txn_ms_total = 0, txn_ms_max = 0;
  };
  PublisherStats publisher_stats() const;
  // Leader: waits until a checkpoint of at least `size` is published by this node in its
  // current term (between StartLeading and StopLeading); its note in `note`. UNAVAILABLE
  // (reason QUORUM_TIMEOUT) after ack_timeout, or (reason NOT_LEADER) when this node does not
  // lead or stops leading before (deposed, or the term ended): the entry may still become
  // published later by this or the next leader; a retry with the same event id returns its
  // sequence number.
  absl::Status AwaitPublished(TreeSize size, std::string* note);
  // The published checkpoint this node knows ("" when none yet), and its size.
  std::string PublishedCheckpoint() const;
  TreeSize PublishedSize() const;
  int quorum() const { return quorum_; }
  const ClusterOptions& options() const { return options_; }

 private:
  ClusterNode(ClusterOptions options, std::string prefix, std::unique_ptr<EtcdClient> etcd,
              int64_t lease);
  void PublisherLoop();
  void MonitorLoop(std::function<void(const std::string&)> on_change);
  // After the monitor saw this node's lease expire: grants a new one.
  absl::Status RenewLeaseIfLost();
  // Reads the checkpoint key into published_*.
  absl::Status RefreshPublished();
  std::string LeaderKey() const { return prefix_ + "leader"; }
  std::string CheckpointKey() const { return prefix_ + "checkpoint"; }

  const ClusterOptions options_;
  const std::string prefix_;
  const int quorum_;
  const std::unique_ptr<EtcdClient> etcd_;

  mutable absl::Mutex mu_;
  std::string published_note_ ABSL_GUARDED_BY(mu_);
  TreeSize published_size_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, TreeSize> follower_sizes_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = false;  // a follower reported since the last round
  bool deposed_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;  // StartLeading .. StopLeading
  uint64_t term_ ABSL_GUARDED_BY(mu_) = 0;     // changes at StartLeading and StopLeading
  int64_t lease_ ABSL_GUARDED_BY(mu_);
  bool lease_lost_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t token_ ABSL_GUARDED_BY(mu_) = 0;          // our leader key's create_revision
  int64_t leader_create_revision_ ABSL_GUARDED_BY(mu_) = 0;  // the key we follow or hold
  int64_t leader_mod_revision_ ABSL_GUARDED_BY(mu_) = 0;
  core::Log* log_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Commits not yet published: (size, when), for PublisherStats.
  std::deque<std::pair<TreeSize, absl::Time>> commits_ ABSL_GUARDED_BY(mu_);
  PublisherStats stats_ ABSL_GUARDED_BY(mu_);

  std::thread publisher_;
  std::thread monitor_;
};

}  // namespace ledger::cluster

#endif  // LEDGER_CLUSTER_CLUSTER_NODE_H_
