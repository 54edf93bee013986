#include "ledger/cluster/cluster_node.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/error.h"
#include "ledger/base/logging.h"
#include "ledger/base/status_macros.h"
#include "ledger/format/checkpoint.h"

namespace ledger::cluster {

namespace {

bool ValidNodeId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateClusterOptions(const ClusterOptions& o) {
  if (!ValidNodeId(o.node_id)) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, "--node-id",
                     "must be 1..64 characters of [A-Za-z0-9._-]");
  }
  if (o.advertise.empty() || o.advertise.find(':') == std::string::npos ||
      o.advertise.find(' ') != std::string::npos) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, "--advertise",
                     "must be host:port (the address other nodes and clients reach this node at)");
  }
  if (o.nodes < 1 || o.nodes > kMaxClusterNodes) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, "--cluster-nodes",
                     absl::StrCat("must be 1..", kMaxClusterNodes));
  }
  if (o.quorum < 0 || o.quorum > o.nodes) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, "--quorum",
                     "must be 0 (a majority of --cluster-nodes) or 1..--cluster-nodes");
  }
  if (o.lease_ttl_seconds < kMinLeaseTtlSeconds || o.lease_ttl_seconds > kMaxLeaseTtlSeconds) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, "--lease-ttl",
                     absl::StrCat("must be ", kMinLeaseTtlSeconds, "..", kMaxLeaseTtlSeconds,
                                  " seconds"));
  }
  if (!o.prefix.empty() && (o.prefix.front() != '/' || o.prefix.back() != '/')) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                     "--cluster-prefix", "must start and end with '/'");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Join(ClusterOptions options,
                                                               const std::string& origin) {
  LEDGER_RETURN_IF_ERROR(ValidateClusterOptions(options));
  std::string prefix = options.prefix.empty() ? absl::StrCat("/factledger/", origin, "/")
                                              : options.prefix;
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> etcd,
                          EtcdClient::Connect(options.etcd_endpoints, options.etcd_timeout));
  // Try each member once: a dead one costs one failed call.
  absl::StatusOr<int64_t> lease = absl::UnavailableError("no etcd member");
  for (size_t i = 0; i < etcd->endpoints().size() * 2 && !lease.ok(); ++i) {
    lease = etcd->GrantLease(options.lease_ttl_seconds);
  }
  if (!lease.ok()) return lease.status();
  return std::unique_ptr<ClusterNode>(
      new ClusterNode(std::move(options), std::move(prefix), std::move(etcd), *lease));
}

ClusterNode::ClusterNode(ClusterOptions options, std::string prefix,
                         std::unique_ptr<EtcdClient> etcd, int64_t lease)
    : options_(std::move(options)),
      prefix_(std::move(prefix)),
      quorum_(options_.quorum > 0 ? options_.quorum : options_.nodes / 2 + 1),
      etcd_(std::move(etcd)) {
  absl::MutexLock lock(&mu_);
  lease_ = lease;
}

ClusterNode::~ClusterNode() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (publisher_.joinable()) publisher_.join();
  if (monitor_.joinable()) monitor_.join();
  absl::MutexLock lock(&mu_);
  (void)etcd_->RevokeLease(lease_);  // the threads are gone
}

absl::Status ClusterNode::RefreshPublished() {
  LEDGER_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_->Get(CheckpointKey()));
  if (!kv.has_value()) return absl::OkStatus();
  LEDGER_ASSIGN_OR_RETURN(format::Checkpoint cp, format::ParseCheckpointUnverified(kv->value));
  absl::MutexLock lock(&mu_);
  if (cp.tree_size >= published_size_) {
    published_size_ = cp.tree_size;
    published_note_ = kv->value;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ClusterNode::HoldsPublished(const core::Log& log) {
  LEDGER_RETURN_IF_ERROR(RefreshPublished());
  std::string note = PublishedCheckpoint();
  if (note.empty()) return true;
  const format::NoteVerifier verifier{log.identity().origin, log.identity().log_public_key};
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(note, verifier);
  if (!cp.ok()) {
    return MakeError(absl::StatusCode::kDataLoss, reason::kLogForkedFromPublished, "",
                     absl::StrCat("the published checkpoint in etcd (", CheckpointKey(),
                                  ") does not verify with this log's key: ",
                                  cp.status().message()));
  }
  const TreeSize head = log.Head().tree_size;
  if (head < cp->tree_size) return false;
  absl::StatusOr<core::ConsistencyProof> proof = log.ProveConsistency(cp->tree_size, head);
  if (!proof.ok()) return proof.status();
  if (proof->from_root_hash != cp->root_hash) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kLogForkedFromPublished, "",
                     absl::StrCat("this log has another root at the published tree size ",
                                  cp->tree_size, " than the published checkpoint"));
  }
  return true;
}

absl::StatusOr<ClusterNode::Role> ClusterNode::Decide(const core::Log& log,
                                                      absl::Duration wait, bool serving) {
  LEDGER_RETURN_IF_ERROR(RenewLeaseIfLost());
  {
    absl::MutexLock lock(&mu_);
    token_ = 0;
    deposed_ = false;
  }
  LEDGER_ASSIGN_OR_RETURN(const bool eligible, HoldsPublished(log));
  int64_t lease;
  {
    absl::MutexLock lock(&mu_);
    lease = lease_;
  }
  const std::string value = absl::StrCat(options_.node_id, " ", options_.advertise);
  const absl::Time deadline = absl::Now() + wait;
  // The most advanced eligible node campaigns first: a node holding fewer entries beyond the
  // published checkpoint waits kCampaignStep per entry it lacks (up to kCampaignSteps), so
  // that the other followers' logs are prefixes of the winner's. Had a shorter log won, every
  // longer one would conflict with the new leader's next entries and set itself aside (a full
  // re-replication, during which the quorum may lack it). A node that is not serving yet (a
  // process starting, e.g. a killed leader restarted at once) comes after every serving one:
  // clients could not reach it for a while. A serving node holding nothing beyond the
  // published checkpoint waits kCampaignNoneBeyond more, so that one holding even a single
  // entry of the dead leader wins despite the skew with which nodes see the key go. Liveness
  // only: eligibility decides safety.
  // The delay runs from the moment this node sees no leader key.
  const TreeSize beyond = log.Head().tree_size - std::min(log.Head().tree_size, PublishedSize());
  const absl::Duration campaign_delay =
      kCampaignStep * static_cast<int64_t>(kCampaignSteps -
                                           std::min<TreeSize>(beyond, kCampaignSteps) +
                                           (serving ? 0 : kCampaignSteps + 1)) +
      (beyond == 0 || !serving ? kCampaignNoneBeyond : absl::ZeroDuration());
  std::optional<absl::Time> campaign_at;
  absl::Status last;
  while (true) {
    std::optional<KeyValue> current;
    if (eligible && (!campaign_at.has_value() || absl::Now() < *campaign_at)) {
      absl::StatusOr<std::optional<KeyValue>> r = etcd_->Get(LeaderKey());
      if (r.ok() && r->has_value()) current = *r;
      if (!r.ok()) last = r.status();
      if (r.ok() && !current.has_value()) {
        if (!campaign_at.has_value()) campaign_at = absl::Now() + campaign_delay;
        if (absl::Now() < *campaign_at) {
          absl::SleepFor(std::min(absl::Milliseconds(10), *campaign_at - absl::Now()));
        }
        continue;
      }
    } else if (eligible) {
      absl::StatusOr<EtcdClient::CreateResult> r =
          etcd_->CreateIfAbsent(LeaderKey(), value, lease);
      if (r.ok() && r->created) {
        absl::MutexLock lock(&mu_);
        token_ = r->kv.create_revision;
        leader_create_revision_ = r->kv.create_revision;
        leader_mod_revision_ = r->kv.mod_revision;
        Role role;
        role.leader = true;
        role.leader_address = options_.advertise;
        role.leader_id = options_.node_id;
        return role;
      }
      if (r.ok() && r->kv.create_revision != 0) current = r->kv;
      if (!r.ok()) last = r.status();
    } else {
      absl::StatusOr<std::optional<KeyValue>> r = etcd_->Get(LeaderKey());
      if (r.ok()) current = *r;
      if (!r.ok()) last = r.status();
    }
    if (current.has_value()) {
      std::vector<std::string> parts = absl::StrSplit(current->value, absl::MaxSplits(' ', 1));
      if (parts.size() == 2 && parts[0] != options_.node_id) {
        absl::MutexLock lock(&mu_);
        leader_create_revision_ = current->create_revision;
        leader_mod_revision_ = current->mod_revision;
        Role role;
        role.leader_id = parts[0];
        role.leader_address = parts[1];
        return role;
      }
      if (parts.size() == 2 && parts[0] == options_.node_id && current->lease == lease &&
          eligible) {
        // Ours, under our live lease (a role change that did not lose it): we still lead.
        absl::MutexLock lock(&mu_);
        token_ = current->create_revision;
        leader_create_revision_ = current->create_revision;
        leader_mod_revision_ = current->mod_revision;
        Role role;
        role.leader = true;
        role.leader_address = options_.advertise;
        role.leader_id = options_.node_id;
        return role;
      }
      if (parts.size() == 2 && parts[0] == options_.node_id && parts[1] == options_.advertise &&
          current->lease != lease && current->lease != 0) {
        // Our own key from before a restart: the process that held it is gone (this one holds
        // the data directory's lock, and the advertise address names one listener), so its
        // lease only delays the next election until it expires, longer still when an etcd
        // leader change renewed it. Revoke it: the key goes with it, and the nodes campaign
        // at once. Safety does not rest on this (the fence does): a live holder would only
        // be deposed.
        absl::Status revoked = etcd_->RevokeLease(current->lease);
        LogEvent(revoked.ok() ? LogLevel::kInfo : LogLevel::kWarning,
                 "cluster: revoked the lease of this node's previous process (it held the "
                 "leader key)",
                 {{"lease", std::to_string(current->lease)},
                  {"error", revoked.ok() ? "" : std::string(revoked.message())}});
        if (revoked.ok()) continue;
      }
      // Our own key from before a restart whose lease could not be revoked: wait for it to
      // expire.
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "no leader in etcd (", LeaderKey(), ") within ", absl::FormatDuration(wait),
          eligible ? "" : "; this node is behind the published checkpoint and may not campaign",
          last.ok() ? "" : absl::StrCat(": ", last.message())));
    }
    // Keep our lease alive while we wait. When etcd says it is gone (it expired while etcd
    // itself was electing, or while this process was paused or cut off), take a new one: a
    // campaign under the old one fails ("requested lease not found") until the deadline.
    absl::StatusOr<int64_t> ttl = etcd_->KeepAlive(lease);
    if (ttl.ok() && *ttl <= 0) {
      {
        absl::MutexLock lock(&mu_);
        lease_lost_ = true;
      }
      if (absl::Status renewed = RenewLeaseIfLost(); renewed.ok()) {
        absl::MutexLock lock(&mu_);
        lease = lease_;
        LogEvent(LogLevel::kInfo, "cluster: this node's lease expired while deciding; took a new one",
                 {{"lease", std::to_string(lease)}});
        continue;
      } else {
        last = renewed;
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status ClusterNode::RenewLeaseIfLost() {
  {
    absl::MutexLock lock(&mu_);
    if (!lease_lost_) return absl::OkStatus();
  }
  absl::StatusOr<int64_t> lease = absl::UnavailableError("no etcd member");
  for (size_t i = 0; i < etcd_->endpoints().size() * 2 && !lease.ok(); ++i) {
    lease = etcd_->GrantLease(options_.lease_ttl_seconds);
  }
  if (!lease.ok()) return lease.status();
  int64_t old;
  {
    absl::MutexLock lock(&mu_);
    old = lease_;
    lease_ = *lease;
    lease_lost_ = false;
  }
  (void)etcd_->RevokeLease(old);  // normally gone already
  return absl::OkStatus();
}

void ClusterNode::StartLeading(core::Log* log) {
  StopLeading();
  {
    absl::MutexLock lock(&mu_);
    log_ = log;
    deposed_ = false;
    // Reports from an earlier term (to another leader's followers' ids) count no more: each
    // follower reports again once it verified its log against this leader.
    follower_sizes_.clear();
    commits_.clear();
    leading_ = true;
    ++term_;
  }
  publisher_ = std::thread([this] { PublisherLoop(); });
}

void ClusterNode::StopLeading() {
  {
    absl::MutexLock lock(&mu_);
    if (leading_) {
      deposed_ = true;  // AwaitPublished answers NOT_LEADER at once
      ++term_;
    }
    leading_ = false;
  }
  if (publisher_.joinable()) publisher_.join();
}

bool ClusterNode::leading() const {
  absl::MutexLock lock(&mu_);
  return leading_ && !deposed_;
}

void ClusterNode::StartMonitor(std::function<void(const std::string&)> on_change) {
  if (monitor_.joinable()) monitor_.join();  // it returned after its on_change
  monitor_ = std::thread([this, on_change = std::move(on_change)] { MonitorLoop(on_change); });
}

void ClusterNode::RecordFollower(const std::string& follower_id, TreeSize size) {
  if (!absl::StartsWith(follower_id, kClusterFollowerPrefix)) return;
  std::string node = follower_id.substr(kClusterFollowerPrefix.size());
  if (node == options_.node_id) return;
  absl::MutexLock lock(&mu_);
  if (!leading_) return;
  follower_sizes_[node] = size;
  changed_ = true;
}

void ClusterNode::NotifyCommit(TreeSize size) {
  absl::MutexLock lock(&mu_);
  changed_ = true;
  if (leading_ && commits_.size() < 100000) commits_.emplace_back(size, absl::Now());
}

ClusterNode::PublisherStats ClusterNode::publisher_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status ClusterNode::AwaitPublished(TreeSize size, std::string* note) {
  absl::MutexLock lock(&mu_);
  // Only a publication of THIS term counts: once the term ended, published_size_ may grow with
  // another leader's checkpoints (read from etcd), whose entry at `size` need not be ours.
  const uint64_t term = term_;
  const bool leading = leading_;
  auto ready = [this, size, term]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return published_size_ >= size || deposed_ || stopping_ || term_ != term;
  };
  if (leading) mu_.AwaitWithTimeout(absl::Condition(&ready), options_.ack_timeout);
  const bool ours = leading && term_ == term && !deposed_ && !stopping_;
  if (ours && published_size_ >= size) {
    *note = published_note_;
    return absl::OkStatus();
  }
  if (!ours) {
    return MakeError(absl::StatusCode::kUnavailable, reason::kNotLeader, "",
                     "this node lost the leadership before a quorum held the entry; retry the "
                     "same event id on the new leader (it returns the entry's sequence number "
                     "if the entry survived)");
  }
  return MakeError(absl::StatusCode::kUnavailable, reason::kQuorumTimeout, "",
                   absl::StrCat("fewer than ", quorum_, " nodes held tree size ", size,
                                " within ", absl::FormatDuration(options_.ack_timeout),
                                "; retry the same event id"));
}

std::string ClusterNode::PublishedCheckpoint() const {
  absl::MutexLock lock(&mu_);
  return published_note_;
}

TreeSize ClusterNode::PublishedSize() const {
  absl::MutexLock lock(&mu_);
  return published_size_;
}

void ClusterNode::PublisherLoop() {
  int64_t token;
  core::Log* log;
  {
    absl::MutexLock lock(&mu_);
    token = token_;
    log = log_;
  }
  int64_t last_warning = 0;
  while (true) {
    std::vector<TreeSize> sizes;
    TreeSize published;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changed_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), absl::Milliseconds(5));
      if (stopping_ || deposed_ || !leading_) return;
      changed_ = false;
      for (const auto& [node, size] : follower_sizes_) sizes.push_back(size);
      published = published_size_;
    }
    const store::LogHead head = log->Head();
    sizes.push_back(head.tree_size);
    if (static_cast<int>(sizes.size()) < quorum_) continue;
    std::sort(sizes.begin(), sizes.end(), std::greater<TreeSize>());
    // The largest size at least `quorum` nodes hold; never more than this node holds.
    const TreeSize held = std::min<TreeSize>(sizes[quorum_ - 1], head.tree_size);
    if (held <= published) continue;
    absl::StatusOr<std::string> note = log->CheckpointAt(held);
    if (!note.ok()) continue;  // not a group-commit boundary: wait for the next report
    const absl::Time txn_start = absl::Now();
    absl::StatusOr<bool> put = etcd_->PutIfGuard(LeaderKey(), token, CheckpointKey(), *note);
    const absl::Time txn_end = absl::Now();
    if (!put.ok()) {
      const int64_t now = absl::ToUnixMicros(absl::Now());
      if (now - last_warning > 1000000) {
        last_warning = now;
        LogEvent(LogLevel::kWarning, "cannot publish a checkpoint to etcd (retrying)",
                 {{"tree_size", std::to_string(held)},
                  {"error", std::string(put.status().message())}});
      }
      absl::SleepFor(absl::Milliseconds(20));
      absl::MutexLock lock(&mu_);
      changed_ = true;
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (!*put) {
      // The fence: the leader key is no longer ours. Nothing more is published or acked.
      deposed_ = true;
      LogEvent(LogLevel::kError, "deposed: the fenced publish of a checkpoint was refused",
               {{"tree_size", std::to_string(held)}, {"token", std::to_string(token)}});
      return;
    }
    // Stats: the oldest commit this publication covers waited from its commit to txn_start.
    std::optional<absl::Time> oldest;
    while (!commits_.empty() && commits_.front().first <= held) {
      if (!oldest.has_value() && commits_.front().first > published) {
        oldest = commits_.front().second;
      }
      commits_.pop_front();
    }
    ++stats_.publications;
    stats_.entries += held - published;
    const double txn_ms = absl::ToDoubleMilliseconds(txn_end - txn_start);
    stats_.txn_ms_total += txn_ms;
    stats_.txn_ms_max = std::max(stats_.txn_ms_max, txn_ms);
    if (oldest.has_value()) {
      const double quorum_ms = absl::ToDoubleMilliseconds(txn_start - *oldest);
      stats_.quorum_ms_total += quorum_ms;
      stats_.quorum_ms_max = std::max(stats_.quorum_ms_max, quorum_ms);
    }
    published_size_ = held;
    published_note_ = *note;
  }
}

void ClusterNode::MonitorLoop(std::function<void(const std::string&)> on_change) {
  const absl::Duration ttl = absl::Seconds(options_.lease_ttl_seconds);
  absl::Time last_alive = absl::Now();
  absl::Time next_keepalive = absl::Now();
  int64_t create_revision, mod_revision, lease;
  bool leader;
  {
    absl::MutexLock lock(&mu_);
    create_revision = leader_create_revision_;
    mod_revision = leader_mod_revision_;
    leader = token_ != 0;
    lease = lease_;
  }
  // Before telling: a leader stops acknowledging at once (the fence still guards publishing).
  auto change = [&](const std::string& why, bool lease_lost) {
    {
      absl::MutexLock lock(&mu_);
      if (leading_) deposed_ = true;
      if (lease_lost) lease_lost_ = true;
    }
    on_change(why);
  };
  while (true) {
    bool deposed;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      deposed = deposed_;
    }
    if (deposed) {
      change("a fenced publish was refused, or leadership was given up", false);
      return;
    }
    const absl::Time now = absl::Now();
    if (now >= next_keepalive) {
      absl::StatusOr<int64_t> ttl_left = etcd_->KeepAlive(lease);
      if (ttl_left.ok() && *ttl_left > 0) {
        last_alive = absl::Now();
      } else if (ttl_left.ok()) {
        change("this node's etcd lease expired", true);
        return;
      }
      if (absl::Now() - last_alive >= ttl) {
        change("etcd did not renew this node's lease for a whole lease TTL", true);
        return;
      }
      next_keepalive = absl::Now() + ttl / 4;
    }
    absl::Duration wait = std::min(absl::Milliseconds(250), next_keepalive - absl::Now());
    if (wait < absl::Milliseconds(10)) wait = absl::Milliseconds(10);
    absl::StatusOr<std::optional<WatchEvent>> event =
        etcd_->WaitForChange(LeaderKey(), mod_revision, wait);
    if (event.ok() && event->has_value()) {
      const WatchEvent& e = **event;
      if (e.deleted || e.kv.create_revision != create_revision) {
        change(e.deleted ? "the leader key was deleted (the leader's lease expired)"
                         : "another node became the leader",
               false);
        return;
      }
      mod_revision = e.kv.mod_revision;
    } else if (!event.ok() && absl::IsOutOfRange(event.status())) {
      // Compacted past our revision: read the key instead.
      absl::StatusOr<std::optional<KeyValue>> kv = etcd_->Get(LeaderKey());
      if (kv.ok() && (!kv->has_value() || (*kv)->create_revision != create_revision)) {
        change("the leader key changed", false);
        return;
      }
      if (kv.ok()) mod_revision = (*kv)->mod_revision;
    } else if (!event.ok()) {
      absl::SleepFor(std::min(wait, absl::Milliseconds(50)));
    }
    if (!leader) (void)RefreshPublished();
  }
}

}  // namespace ledger::cluster
