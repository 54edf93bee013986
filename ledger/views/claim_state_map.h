// ClaimStateMap: the claim-state map (merkle/state_map.h) over the claim_state view
// (claim_state.h), committed at tree sizes and signed as map checkpoints (docs/format.md §13).
//
// It is a ViewListener: each batch the view engine writes hands it the chains that changed and
// the view's new watermark. A committer thread applies them to the in-memory map at most once
// per commit_interval, always up to a batch that ended at a tree size the log holds a
// checkpoint for (every catch-up ends at the log's head, which has one), computes the root,
// signs the map checkpoint with the log key and records (size, map root) in the views
// database, so `ledgerctl verify` can later recompute every commitment from the log. The map
// only changes at a commit, so every proof is against the latest signed root, and the state a
// proof shows is exactly the claim's state as of that tree size.
//
// Choices where the brief is silent:
//   - Interval 1 s by default (--map-commit-interval-ms): the map root lags the views by at
//     most that much; each commit rehashes only the buckets that changed (bench/REPORT.md §7c).
//   - A follower holds no log key: it keeps the same map and commits (its roots can be compared
//     with the leader's signed ones), but its proofs carry no signed map checkpoint.
//   - The commitments recorded in the views database go with the views: a rebuild starts a
//     new list. A signed map checkpoint stays verifiable against the log forever.
//
// Thread-safe.
#ifndef LEDGER_VIEWS_CLAIM_STATE_MAP_H_
#define LEDGER_VIEWS_CLAIM_STATE_MAP_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/types.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/state_map.h"
#include "ledger/views/claim_state.h"
#include "ledger/views/view_engine.h"

namespace ledger::views {

struct ClaimStateMapOptions {
  absl::Duration commit_interval = absl::Seconds(1);
  // The log's stored checkpoint note at exactly `size`; nullopt when it holds none there.
  std::function<absl::StatusOr<std::optional<std::string>>(TreeSize size)> checkpoint_at;
  // Signs a map checkpoint with the log key; unset on a follower.
  std::function<std::string(const format::MapCheckpoint&)> sign;
};

struct StateProofAnswer {
  TreeSize tree_size = 0;
  std::string map_checkpoint;  // the signed note; "" on a follower
  Hash map_root{};
  Hash map_key{};
  std::optional<Hash> state;   // nullopt: the subject is not in the map (no entry concerns it)
  merkle::MapProof proof;
};

// One recorded commitment.
struct MapCommit {
  TreeSize tree_size = 0;
  Hash map_root{};
};

class ClaimStateMap : public ViewListener {
 public:
  // Loads the map from the engine's claim_state view, registers as a listener and starts the
  // committer. Must outlive the engine's catch-ups (as AttachMatchIndex).
  static absl::StatusOr<std::unique_ptr<ClaimStateMap>> Attach(ViewEngine* engine,
                                                                ClaimStateMapOptions options);
  ~ClaimStateMap() override;

  void OnWritten(const ViewBatch& batch) override;
  void OnCleared() override;

  // Commits what can be committed now, ignoring the interval (tests, benchmarks).
  absl::Status CommitNow();
  // The latest commitment's tree size (0 before the first).
  TreeSize CommittedSize() const;
  // A proof of `subject`'s state against the latest commitment. FAILED_PRECONDITION
  // (MAP_NOT_COMMITTED) before the first.
  absl::StatusOr<StateProofAnswer> Prove(const StateSubject& subject) const;
  // Recorded commitments with tree_size >= from, in order, at most `limit`.
  absl::StatusOr<std::vector<MapCommit>> ListCommits(TreeSize from, size_t limit) const;
  // The signed map checkpoint of a recorded commitment ("" on a follower). Ed25519 signatures
  // are deterministic: the same bytes every time.
  absl::StatusOr<std::string> NoteFor(const MapCommit& commit) const;
  // The map root recorded for exactly `tree_size`; NotFound when none.
  absl::StatusOr<Hash> CommittedRootAt(TreeSize tree_size) const;
  // Bytes of the in-memory map.
  size_t MemoryBytes() const;
  // From now on Prove answers `failure` (a follower's audit found its leader's commitments
  // inconsistent with the log: service/follower_map_audit.h).
  void SetAuditFailure(absl::Status failure);

 private:
  struct Pending {
    TreeSize end = 0;
    std::vector<merkle::MapLeaf> changes;
  };
  ClaimStateMap(ViewStore* store, ClaimStateMapOptions options);
  absl::Status Load(const ViewStore& store);
  void Run();
  absl::Status CommitPending(bool ignore_interval);

  ViewStore* const store_;
  const ClaimStateMapOptions options_;
  const std::string watermark_key_;

  absl::Mutex commit_mu_;  // serialises commits
  mutable absl::Mutex pending_mu_;
  std::vector<Pending> pending_ ABSL_GUARDED_BY(pending_mu_);
  bool stop_ ABSL_GUARDED_BY(pending_mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(pending_mu_) = 0;  // bumped by OnCleared
  absl::Time last_commit_ ABSL_GUARDED_BY(pending_mu_) = absl::InfinitePast();

  mutable absl::Mutex map_mu_;
  std::unique_ptr<merkle::StateMap> map_ ABSL_GUARDED_BY(map_mu_);
  TreeSize committed_size_ ABSL_GUARDED_BY(map_mu_) = 0;
  bool committed_ ABSL_GUARDED_BY(map_mu_) = false;
  std::string committed_note_ ABSL_GUARDED_BY(map_mu_);
  absl::Status audit_failure_ ABSL_GUARDED_BY(map_mu_);

  std::thread committer_;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_CLAIM_STATE_MAP_H_
