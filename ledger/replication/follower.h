// Follower: keeps a follower log (core::Log opened without a log key) a verified copy of a
// leader's log, and stops at the first sign that the leader forked, rolled back or lied.
//
// One round (RunOnce):
//   1. Fetch the leader's latest checkpoint and verify it with the log key of the follower's OWN
//      identity (never a key the leader advertises). A note that does not verify is
//      UNKNOWN_CHECKPOINT_KEY.
//   2. Compare it with the local tree of size L:
//      - same size: the roots must be equal, else FORK_SAME_SIZE;
//      - smaller size S: the local root at S (merkle::RootAt over stored nodes) must equal its
//        root, else FORK_SAME_SIZE; if it does, the leader rolled back: LEADER_ROLLBACK;
//      - larger size: when L > 0, the leader's consistency proof from L must verify against
//        the local root and the checkpoint's root, else FORK_INCONSISTENT. Then the entries
//        [L, size) are fetched in pages and applied with Log::AppendReplicated in chunks of at
//        most max_chunk_entries, each ending at a size for which the leader stored a checkpoint
//        (the last one at the fetched checkpoint). Log::StageReplicated re-verifies everything
//        (docs/format.md §8) and the log's committer thread commits each chunk atomically with
//        its checkpoint, while the next chunk is checked and verified against the log as it
//        will be (one chunk in flight; a round ends with every chunk committed). The next
//        page is fetched (on the follower's fetch thread) meanwhile; the source is never
//        called by two threads at once.
//        When it refuses a chunk (DATA_LOSS), a consistency proof from L to the chunk's
//        checkpoint tells FORK_INCONSISTENT (no proof verifies) from BAD_ENTRIES (the leader's
//        entries do not match its own checkpoint, or break a rule).
// Every accepted checkpoint is the root the follower recomputed from its own append-only tree,
// so each is consistent with every checkpoint accepted before it.
//
// With durable receipts (FollowerOptions::receipts; replication/receipts.h) step 2's chunks are
// not applied by the round itself: the follower recomputes each chunk's root from its own tree
// (the frontier of the entries it holds, applied or received) and the leaf hashes, refuses a
// chunk whose root is not the leader's checkpoint's (classified as above), stores the chunk as
// one synced receipt, and hands it to its apply thread, which applies receipts in order with
// Log::StageReplicated (every rule re-verified; the next receipt is checked while the one
// before it commits) and removes each once it is committed. The position told to the
// leader is then the size the follower holds durably (applied + received), which is what a
// cluster leader counts towards its quorum. At most max_receipt_entries wait to be applied; a
// round waits for the apply thread beyond that. Stop() applies every receipt taken before it
// returns, so that a node deciding its role next sees its whole log.
//
// On any finding the follower applies nothing past the last verified chunk, writes both signed
// checkpoints to <evidence_dir>/<unix-micros>.txt (fork_evidence.h), logs one error line, sets
// its status (state kStopped, fork_kind) and stops for good: only a new Follower (a restart of
// ledgerd by an operator) tries again. Transport errors and a leader that answers badly
// (timeouts, missing pages) are retried with bounded exponential backoff. The local store is
// the position: after a crash or a network cut, replication resumes at Head().tree_size, with
// no duplicate and no gap.
//
// Thread-safety: RunOnce must not run concurrently with itself or with the thread Start()
// runs (one replication thread per log); status() is thread-safe. A Follower also owns one
// long-lived fetch thread (started by the constructor), which calls EntrySource::Entries only
// while RunOnce's thread waits for that page or works on the local log.
//
// Example:
//   FollowerOptions options;
//   options.follower_id = "mirror-1";
//   options.evidence_dir = datadir::ForkEvidenceDir(data_dir);
//   Follower follower(log.get(), &source, options);
//   follower.Start();
//   ...
//   FollowerStatus s = follower.status();
#ifndef LEDGER_REPLICATION_FOLLOWER_H_
#define LEDGER_REPLICATION_FOLLOWER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/clock.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"
#include "ledger/format/checkpoint.h"
#include "ledger/replication/entry_source.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/replication/fork_evidence.h"
#include "ledger/replication/receipts.h"

namespace ledger::replication {

// What a follower found wrong with its leader (the names are those of the API and the evidence
// files: part of the interface, DO NOT CHANGE).
enum class ForkKind {
  kNone,
  kForkSameSize,          // FORK_SAME_SIZE: another root for a size the follower holds
  kForkInconsistent,      // FORK_INCONSISTENT: a larger checkpoint not consistent with ours
  kLeaderRollback,        // LEADER_ROLLBACK: the leader's log is shorter than ours
  kUnknownCheckpointKey,  // UNKNOWN_CHECKPOINT_KEY: a checkpoint the configured key did not sign
  kBadEntries,            // BAD_ENTRIES: entries that break a rule or miss the leader's root
};
absl::string_view ForkKindName(ForkKind kind);

enum class FollowerState {
  kStarting,    // no round finished yet
  kCatchingUp,  // behind the leader's latest checkpoint
  kCaughtUp,    // at the leader's latest checkpoint
  kRetrying,    // the last round failed with a transient error
  kStopped,     // a fork was found (fork_kind) or the local log failed (last_error)
};
absl::string_view FollowerStateName(FollowerState state);

struct FollowerStatus {
  FollowerState state = FollowerState::kStarting;
  TreeSize tree_size = 0;         // the local log's size
  TreeSize leader_tree_size = 0;  // of the leader's latest checkpoint that verified
  uint64_t lag_entries = 0;
  // 0 when caught up; otherwise the leader checkpoint's fetch time minus the recorded time of
  // the newest applied entry (of the oldest fetched one when none is applied yet).
  double lag_seconds = 0;
  ForkKind fork_kind = ForkKind::kNone;
  std::string fork_detail;
  std::string evidence_file;
  absl::Status last_error;
  int64_t last_contact_micros = 0;  // when the leader last answered
  uint64_t entries_applied = 0;     // by this Follower
};

struct FollowerOptions {
  // Told to the leader with each request (its ListFollowers).
  std::string follower_id;
  // The leader's address, for log lines and evidence files.
  std::string leader;
  // Where fork evidence files go (created when needed): <data-dir>/fork-evidence.
  std::string evidence_dir;
  // Entries asked for per request (the leader sends at most 1000: kMaxReplicateEntries).
  size_t page_entries = 1000;
  // Most entries applied in one commit, when the leader stored a checkpoint that ends a
  // chunk of at most this size (the leader stores one per group commit); otherwise a chunk
  // runs to the next stored checkpoint.
  size_t max_chunk_entries = 10000;
  // Long poll: how long the leader may hold a request while it has nothing new.
  absl::Duration wait_for_growth = absl::Seconds(1);
  // After a round that found the follower caught up without applying anything, the next round
  // starts at least this long after the previous one started (bounds the request rate when the
  // leader does not wait). After a round that applied entries the next one starts at once.
  absl::Duration idle_delay = absl::Milliseconds(50);
  // Backoff after a failed round: doubles from min_backoff up to max_backoff.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  Clock* clock = Clock::Real();
  // Durable receipts (see the file comment); nullptr: every chunk is applied by the round.
  // Borrowed; must outlive the Follower. Stored receipts are applied by the constructor
  // (ApplyStoredReceipts; an error there stops the follower before its first round).
  ReceiptStore* receipts = nullptr;
  // With receipts: the most entries received and not yet applied.
  size_t max_receipt_entries = 2000;
  // Called (on the replication thread, or the apply thread with receipts, outside any lock)
  // after every round with the new status. For metrics; must be cheap.
  std::function<void(const FollowerStatus&)> on_status;
};

class Follower {
 public:
  // `log` must be a follower (Log::is_follower()); `log` and `source` are borrowed and must
  // outlive this object.
  Follower(core::Log* log, EntrySource* source, FollowerOptions options);
  // Stop().
  ~Follower();

  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  enum class Round {
    kCaughtUp,  // at the leader's latest checkpoint (after applying what was missing)
    kRetry,     // a transient error; status().last_error says which
    kStopped,   // stopped for good (now or earlier): status() says why
  };
  // One round (see the file comment): fetch, verify, compare, apply up to the leader's latest
  // checkpoint. After kStopped every later call returns kStopped without contacting the leader.
  Round RunOnce();

  // Runs rounds on a thread of its own until Stop() or a finding. Call at most once.
  void Start();
  // Stops the thread (a chunk being applied is finished first). Idempotent.
  void Stop();

  FollowerStatus status() const;

  // With receipts: waits until every receipt taken so far is applied, or the apply thread
  // stopped on a finding. Without receipts returns at once.
  void WaitApplied();

 private:
  struct Target {
    format::Checkpoint checkpoint;
    std::string note;
  };

  void Loop();
  // Applies [head, target) in chunks: kCaughtUp once all of it is applied.
  Round CatchUp(const Target& target);
  // Applies `leaf_datas` with the leader's checkpoint `note` (verified: `cp`): nullopt when
  // applied, else the round's outcome (a refusal classified as a finding, or a retry).
  std::optional<Round> Apply(std::vector<std::string> leaf_datas, const std::string& note,
                             const format::Checkpoint& cp);
  // Verifies `note` (the leader's checkpoint for tree size `size`), then Apply, or with
  // receipts Receive.
  std::optional<Round> Deliver(std::vector<std::string> leaf_datas, const std::string& note,
                               TreeSize size);
  // With receipts: checks the chunk's root against `cp` (`note`, verified), stores it as a
  // receipt and queues it for the apply thread; nullopt when received, else the round's
  // outcome.
  std::optional<Round> Receive(std::vector<std::string> leaf_datas, const std::string& note,
                               const format::Checkpoint& cp);
  // A chunk the leader's checkpoint `note` (root `root`, tree size `size`) does not cover, on a
  // tree of `before_size` entries with root `before_root`: FORK_INCONSISTENT when the leader's
  // consistency proof does not verify, else BAD_ENTRIES. Stops fetching first.
  Round Refused(TreeSize before_size, const Hash& before_root, const std::string& note,
                const Hash& root, TreeSize size, absl::string_view why);
  // The apply thread (receipts only).
  void ApplyLoop();
  // The size the follower holds: applied, or with receipts applied + received.
  TreeSize HeldSize() const;
  // Records a finding: evidence file, log line, status. Always returns kStopped.
  Round Halt(ForkKind kind, const std::string& detail, const std::string& leader_note,
             TreeSize leader_size);
  // The local log failed (it fail-stopped or refused in a way a retry cannot fix).
  Round HaltLocal(const absl::Status& error);
  Round Retry(const absl::Status& error);
  // Sets the state (nullopt: keeps it), refreshes tree_size / lag in status_ and calls
  // on_status.
  void Publish(std::optional<FollowerState> state, int64_t oldest_pending_micros = 0);
  FollowerPosition Position() const;

  // The fetch thread fetches the pages of [from, end) in order, one request at a time, up to
  // 2 * max_chunk_entries entries ahead of the pages taken. Only RunOnce's thread calls these.
  void StartFetching(SequenceNumber from, TreeSize end);
  // The next page (waits for it). After an error or an empty page nothing more is fetched.
  absl::StatusOr<EntryBatch> TakePage();
  // Stops fetching: waits for a request in flight and drops the pages not taken. Called
  // before any other call of the source and before CatchUp returns.
  void StopFetching();
  void FetchLoop();

  core::Log* const log_;
  EntrySource* const source_;
  const FollowerOptions options_;
  const format::NoteVerifier verifier_;

  mutable absl::Mutex mu_;
  FollowerStatus status_ ABSL_GUARDED_BY(mu_);
  int64_t leader_fetch_micros_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool halted_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;

  absl::Mutex fetch_mu_;
  bool fetch_active_ ABSL_GUARDED_BY(fetch_mu_) = false;  // between StartFetching and the end
  SequenceNumber fetch_next_ ABSL_GUARDED_BY(fetch_mu_) = 0;
  TreeSize fetch_end_ ABSL_GUARDED_BY(fetch_mu_) = 0;
  bool fetch_busy_ ABSL_GUARDED_BY(fetch_mu_) = false;  // a request in flight
  std::deque<absl::StatusOr<EntryBatch>> fetched_ ABSL_GUARDED_BY(fetch_mu_);
  size_t fetched_entries_ ABSL_GUARDED_BY(fetch_mu_) = 0;
  bool fetch_stopping_ ABSL_GUARDED_BY(fetch_mu_) = false;
  // Receipts: the frontier of the entries held (applied + received; RunOnce's thread only)
  // and its size (read by the fetch thread for Position()).
  merkle::Frontier received_;
  std::atomic<TreeSize> received_size_{0};
  // Serialises Publish (before mu_ and the log's own locks).
  absl::Mutex publish_mu_;
  absl::Mutex apply_mu_;
  std::deque<Receipt> queue_ ABSL_GUARDED_BY(apply_mu_);
  size_t queued_entries_ ABSL_GUARDED_BY(apply_mu_) = 0;
  bool apply_stopping_ ABSL_GUARDED_BY(apply_mu_) = false;  // apply what is queued, then end
  bool apply_failed_ ABSL_GUARDED_BY(apply_mu_) = false;    // the apply thread halted
  std::thread apply_thread_;

  std::thread fetch_thread_;  // last: started once everything above is initialised
};

}  // namespace ledger::replication

#endif  // LEDGER_REPLICATION_FOLLOWER_H_
