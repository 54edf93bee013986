// Log: the append-only, signed, Merkle-covered log of claim events. No gRPC in here.
//
// Append pipeline (docs/design.md, "The append pipeline"):
//   1. In the caller's thread: validate the envelope and the event, look the signer key up,
//      verify the Ed25519 signature. Callers run in parallel, so verification does too.
//   2. One sequencer thread takes every queued request (group commit): idempotency check,
//      key rules, sequence numbers, recorded times, leaf hashes, Merkle nodes, key records,
//      and a signed checkpoint of the new head -- all in ONE LogStore::Commit (one RocksDB
//      WriteBatch with sync).
//   3. Only then are the callers acknowledged.
// A refused request writes nothing. After a failed commit the log is fail-stopped: every
// later append returns UNAVAILABLE until the process reopens the store (docs/reliability.md,
// "Fail-stop": a failed write may still be on disk, so retrying an fsync is never safe).
//
// Example:
//   auto log = Log::Open(std::move(store), identity, std::move(log_key), LogOptions());
//   absl::StatusOr<AppendResult> r = (*log)->Append(signed_event);
//   if (r.ok()) std::cout << "appended at " << r->sequence;
#ifndef LEDGER_CORE_LOG_H_
#define LEDGER_CORE_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/clock.h"
#include "ledger/base/parallel.h"
#include "ledger/base/types.h"
#include "ledger/core/key_registry.h"
#include "ledger/core/proof_cache.h"
#include "ledger/core/replayer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/store/log_store.h"
#include "google/protobuf/repeated_field.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::core {

// What a log is: its origin, its checkpoint key, and the admin keys named at initialisation.
struct LogIdentity {
  std::string origin;
  crypto::PublicKey log_public_key{};
  std::vector<crypto::PublicKey> admin_keys;
};

struct LogOptions {
  Clock* clock = Clock::Real();
  // Most entries one group commit writes.
  size_t max_group_entries = 1024;
  // The sequencer remembers the event ids of this many newest entries: a request checked for
  // duplicates (in its caller's thread) while they were being committed needs no second store
  // lookup on the sequencer. Older requests are looked up again. 0: always look up again.
  size_t recent_event_ids = 1 << 16;
  // Free-space reserve: appends are refused with RESOURCE_EXHAUSTED (reason DISK_FULL) while
  // `free_bytes()` reports less than `min_free_bytes`, checked for every request and again
  // before every group commit. Debian's RocksDB aborts the process on a full disk, so the
  // ledger must stop writing before the disk is full. Reads are unaffected. Unset: no check.
  std::function<absl::StatusOr<uint64_t>()> free_bytes;
  uint64_t min_free_bytes = 0;
  // Called by the sequencer after each successful group commit (entries written, time spent
  // committing). For metrics; must be cheap and thread-safe.
  std::function<void(size_t, absl::Duration)> on_commit;
  // Called by the sequencer after each successful group commit with the signed checkpoint of
  // the new head (stored in the same batch) and its tree size; sizes only grow. Runs on the
  // sequencer before the callers are answered, so it must be cheap and must not block (the
  // data directory's anchor writer only queues it, ledger/datadir/anchor.h). Thread-safe.
  std::function<void(const std::string& checkpoint_note, TreeSize size)> on_checkpoint;
  // Called by the sequencer before it stages each group, with the log's size. It may block for
  // a while to hold ingest back (ledgerd: while the views trail the log by more than
  // --max-view-lag entries, views::ViewUpdater::HoldBack); the group's callers wait meanwhile
  // and the next requests queue up. Runs with no lock of the Log held.
  std::function<void(TreeSize size)> before_group;
  // On a follower: the leader's address, named when appends are refused.
  std::string leader;
  // Memory for the Merkle nodes proofs read (ProofCache, proof_cache.h): the upper levels of
  // the tree, as many as fit (the whole tree takes 72 bytes per entry; each level less halves
  // that): 128 MiB hold every node up to 1.86M entries, levels >= 3 up to 14.9M. Filled in the
  // background after Open and by proofs. 0: proofs read every node from the store.
  uint64_t proof_cache_bytes = uint64_t{128} << 20;
  // When not OK, every append is refused with this status (reads go on). datadir::OpenLog sets it
  // for a log behind what it signed (reason LOG_BEHIND_SIGNED, ledger/datadir/data_dir.h).
  absl::Status appends_refused;
};

struct AppendResult {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  Hash leaf_hash{};
  // True when the event id and bytes were already in the log: this is the original entry.
  bool duplicate = false;
  // A signed checkpoint whose tree contains the entry.
  std::string checkpoint;
};

// One stored entry, decoded.
// Where a batch-signed entry sits in its signed batch (docs/format.md §11).
struct BatchMember {
  std::string batch_id;
  uint32_t batch_size = 0;
  uint32_t index = 0;
  std::string proof;  // k * 32 bytes: RFC 6962 inclusion proof of the item in the batch tree
};

struct LogEntry {
  SequenceNumber sequence = 0;
  int64_t recorded_time_micros = 0;
  std::string event_id;
  std::string key_id;
  std::string signature;  // for batch members: the batch signature
  std::string event;
  std::string leaf_data;
  Hash leaf_hash{};
  std::optional<BatchMember> batch;
};

struct InclusionProof {
  SequenceNumber sequence = 0;
  TreeSize tree_size = 0;
  Hash leaf_hash{};
  Hash root_hash{};
  std::vector<Hash> hashes;
};

struct ConsistencyProof {
  TreeSize from_tree_size = 0;
  TreeSize to_tree_size = 0;
  Hash from_root_hash{};
  Hash to_root_hash{};
  std::vector<Hash> hashes;
};

// Decodes stored leaf data into a LogEntry. DataLoss when malformed.
absl::StatusOr<LogEntry> DecodeLogEntry(SequenceNumber sequence, std::string leaf_data);

// Thread-safe.
class Log {
 public:
  // Opens the log over `store` (which must be writable). Checks that the stored Merkle nodes
  // reproduce the stored root (DataLoss otherwise), loads the key registry, and signs a
  // checkpoint of the empty tree when the log is new. `log_key` must match
  // identity.log_public_key (InvalidArgument otherwise).
  //
  // Without a log key the log is a FOLLOWER: it refuses appends (FAILED_PRECONDITION, reason
  // NOT_LEADER) and grows only through AppendReplicated.
  static absl::StatusOr<std::unique_ptr<Log>> Open(std::unique_ptr<store::LogStore> store,
                                                   LogIdentity identity,
                                                   std::optional<crypto::Ed25519PrivateKey> log_key,
                                                   LogOptions options);

  // Drains queued appends, then stops the sequencer.
  ~Log();

  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Appends one signed event and returns once it is durable. Errors (nothing written):
  //   INVALID_ARGUMENT    malformed envelope or event, a limit exceeded, bad signature
  //   FAILED_PRECONDITION unknown or revoked key; a key event that does not apply
  //   PERMISSION_DENIED   a submitter key signing a key event
  //   ALREADY_EXISTS      the event id names an entry with other bytes
  //   UNAVAILABLE         the log stopped after a write error, or is shutting down
  absl::StatusOr<AppendResult> Append(const ledger::v1::SignedEvent& envelope);

  // Append without a waiting thread (for the gRPC callback API): the caller-side checks and the
  // signature verification run on the calling thread, then the call returns and `done` is
  // called exactly once with what Append would have returned, once the entry is durable or
  // refused. `done` runs on the calling thread when the event is refused or is a retry before
  // it reaches the sequencer, otherwise on the sequencer thread after the group commit: it must
  // be quick and must not append. `envelope` must stay alive until `done` is called.
  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;
  void AppendAsync(const ledger::v1::SignedEvent& envelope, AppendCallback done);

  // Appends events atomically, in order: all of them or none. 1..kMaxBatchEvents events
  // (RESOURCE_EXHAUSTED beyond). An error names the index of the offending event.
  absl::StatusOr<std::vector<AppendResult>> AppendAll(
      const std::vector<ledger::v1::SignedEvent>& envelopes);
  // AppendAll over the events of a request as they arrived (no copies).
  absl::StatusOr<std::vector<AppendResult>> AppendAllFrom(
      const google::protobuf::RepeatedPtrField<ledger::v1::SignedEvent>& envelopes);

  // Appends a batch signed once (SignedBatch, docs/format.md §11) atomically: all of its events
  // or none; a retry returns the original entries. The batch signature is verified once.
  // Errors as for AppendAll, plus (INVALID_ARGUMENT) a batch envelope that is malformed; an
  // event's error names it as events[i].
  absl::StatusOr<std::vector<AppendResult>> AppendSignedBatch(const ledger::v1::SignedBatch& batch);

  // Appends each event on its own (a refused event does not affect the others), all in the
  // same group commit when possible; signatures are verified in parallel. Returns one result
  // per event, in order. 1..kMaxBatchEvents events.
  std::vector<absl::StatusOr<AppendResult>> AppendEach(
      const std::vector<ledger::v1::SignedEvent>& envelopes);

  // Blocks until the log holds more than `known_size` entries or `timeout` passes; returns the
  // current size. For tailing the log.
  TreeSize WaitForGrowth(TreeSize known_size, absl::Duration timeout) const;

  store::LogHead Head() const;
  // NotFound when sequence >= size.
  absl::StatusOr<LogEntry> GetEntry(SequenceNumber sequence) const;
  // The latest signed checkpoint.
  std::string LatestCheckpoint() const;
  // The checkpoint stored for exactly `tree_size`: OutOfRange (TREE_SIZE_OUT_OF_RANGE) past the
  // log's size; NotFound when none is stored for that size.
  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) const;
  // tree_size 0 means the current size. InvalidArgument when sequence >= tree_size;
  // OutOfRange when tree_size exceeds the log.
  absl::StatusOr<InclusionProof> ProveInclusion(SequenceNumber sequence, TreeSize tree_size) const;
  // NotFound when no entry has this leaf hash.
  absl::StatusOr<InclusionProof> ProveInclusionByLeafHash(const Hash& leaf_hash,
                                                          TreeSize tree_size) const;
  // to_tree_size 0 means the current size.
  absl::StatusOr<ConsistencyProof> ProveConsistency(TreeSize from_tree_size,
                                                    TreeSize to_tree_size) const;

  // Follower only: verifies `leaf_datas` — the leader's entries for sequence numbers
  // Head().tree_size, ... — against every rule of docs/format.md §8 (the same EntryReplayer
  // the auditor uses; signatures in parallel, each batch signature once), recomputes the tree,
  // and requires `checkpoint_note` (the leader's, signed by the configured log key) to be for
  // exactly the new size with exactly the recomputed root. Then writes them, with the note,
  // in one commit. Returns the new size. Errors, with nothing written:
  //   FAILED_PRECONDITION  not a follower; the log stopped after a storage error
  //   INVALID_ARGUMENT     the checkpoint is not for Head().tree_size + leaf_datas.size()
  //   DATA_LOSS            an entry breaks a rule ("entry N: ..."), the checkpoint does not
  //                        verify, or its root is not the recomputed root (a fork)
  // Not thread-safe against itself: one replication thread calls it.
  absl::StatusOr<TreeSize> AppendReplicated(std::vector<std::string> leaf_datas,
                                            const std::string& checkpoint_note);

  // Pipelined replication (a plain follower's catch-up, replication/follower.h): checks and
  // verifies a chunk exactly as AppendReplicated does, but against the log as it will be once
  // every chunk staged before it is committed, and hands it to the log's committer thread
  // (`replica-commit`), so that the next chunk is checked and verified while this one is
  // written. At most one chunk is handed over and not yet committed: StageReplicated waits
  // for it before handing over the next one. Head(), the checkpoints and every reader see a
  // chunk only once it is committed (durable). Returns the staged tree size. Errors as
  // AppendReplicated's, with nothing staged; a commit that failed on the committer thread stops
  // the log, as in AppendReplicated, and the next StageReplicated or WaitReplicated returns it.
  // One replication thread calls these (and AppendReplicated, which first waits).
  absl::StatusOr<TreeSize> StageReplicated(std::vector<std::string> leaf_datas,
                                           const std::string& checkpoint_note);
  // Waits until every staged chunk is committed: OK, or the error that stopped the log.
  absl::Status WaitReplicated();
  // The head the next staged chunk extends: the staged chunk's when one is not yet committed,
  // else Head().
  store::LogHead StagedHead() const;
  // Whether a staged chunk is not yet committed (does not wait).
  bool ReplicatedPending() const;

  bool is_follower() const { return !leading_.load(std::memory_order_acquire); }

  // Role changes in place (cluster mode, ledger/cluster/cluster_node.h): the store, the caches
  // and every reader stay open; only who may write changes.
  //
  // Promote: a follower becomes the leader and from now on sequences and signs with
  // `log_key`, which must be identity().log_public_key's (INVALID_ARGUMENT otherwise).
  // FAILED_PRECONDITION when it already leads. The caller must have stopped the replication
  // that calls AppendReplicated (it must not run during or after the call).
  absl::Status Promote(crypto::Ed25519PrivateKey log_key);
  // Demote: the leader becomes a follower of `leader` (named when appends are refused). New
  // appends are refused at once (NOT_LEADER); appends already queued are committed (locally:
  // cluster mode acknowledges nothing a deposed leader commits), then the sequencer stops and
  // the key is dropped. FAILED_PRECONDITION when it does not lead. AppendReplicated may be
  // called once this returns.
  absl::Status Demote(const std::string& leader);
  // A follower's leader (named when appends are refused): replaces LogOptions::leader.
  void SetLeaderHint(const std::string& leader);

  // Signs a map checkpoint (docs/format.md §13) with the log key. FAILED_PRECONDITION on a
  // follower.
  absl::StatusOr<std::string> SignMapCheckpoint(const format::MapCheckpoint& map_checkpoint) const;
  const LogIdentity& identity() const { return identity_; }
  // The C2SP verifier key of this log's checkpoints.
  std::string CheckpointVerifierKey() const;
  // Fail-stops the log as a failed commit does: every later append is refused (UNAVAILABLE,
  // LOG_STOPPED, naming `cause`); reads go on. For damage found outside a commit (the storage
  // scrub). The first cause is kept.
  void StopAppends(const absl::Status& cause);
  const store::LogStore& store() const { return *store_; }
  // The Merkle nodes kept in memory for proofs (LogOptions::proof_cache_bytes).
  const ProofCache& proof_cache() const { return *proof_cache_; }

 private:
  struct Prepared {
    const ledger::v1::SignedEvent* envelope;
    ledger::v1::Event event;
    Hash event_hash;
    // Set for the events of a SignedBatch (their envelope's signature is the batch's).
    const BatchMember* batch = nullptr;
    // Set when the caller-side lookup found the event id in no entry below this tree size: the
    // sequencer then only has to look among the entries committed since (recent_ids_).
    std::optional<TreeSize> id_absent_below;
  };
  struct Unit {
    std::vector<Prepared> events;
    std::vector<AppendResult> results;
    absl::Status status;
    bool done = false;
    // Set for an AppendAsync unit (heap-allocated, nobody waits on it): called once the unit is
    // decided, outside queue_mu_; it takes ownership of the unit.
    std::function<void(Unit*)> on_decided;
  };
  struct GroupStage;
  // The outcome of the caller-side checks of one event.
  struct Checked {
    absl::Status status;
    Prepared prepared;
    std::optional<AppendResult> duplicate;
  };

  Log(std::unique_ptr<store::LogStore> store, LogIdentity identity,
      std::optional<crypto::Ed25519PrivateKey> log_key, LogOptions options,
      merkle::Frontier frontier);

  // Step 1 of the pipeline for one event. `index` (or -1) prefixes error messages.
  absl::StatusOr<Prepared> Prepare(const ledger::v1::SignedEvent& envelope, int index) const;
  // Prepare and the idempotency lookup.
  Checked Check(const ledger::v1::SignedEvent& envelope, int index) const;
  // Looks the signer up (in the committed registry, else among keys registered by earlier
  // events of the same request) and verifies the signature.
  absl::Status VerifySignature(const Prepared& p, int index,
                               const std::map<std::string, crypto::PublicKey>& batch_keys) const;
  // Check() and VerifySignature() for every envelope, on several threads when there are many.
  std::vector<Checked> CheckAll(const std::vector<const ledger::v1::SignedEvent*>& envelopes,
                                bool indexed) const;
  absl::StatusOr<std::vector<AppendResult>> AppendPointers(
      const std::vector<const ledger::v1::SignedEvent*>& envelopes);
  // Whether the event id of `p` may name a stored entry (FindDuplicate needed). Sequencer only.
  bool MayBeStored(const Prepared& p) const;
  // Records the event ids of a committed batch in recent_ids_. Sequencer only.
  void RememberCommitted(const store::CommitBatch& batch);
  // OK on a leader; NOT_LEADER on a follower.
  absl::Status CheckWritable() const;
  // OK, or DISK_FULL while free space is below the reserve.
  absl::Status CheckFreeSpace() const;
  // Queues the units and waits until the sequencer has decided all of them (every unit without
  // on_decided; AppendAsync's units are answered through it).
  void SubmitUnits(const std::vector<Unit*>& units);
  // Marks `units` decided (queue_mu_ held) and returns those with on_decided, to be passed to
  // AnswerAsync once queue_mu_ is released.
  std::vector<Unit*> MarkDecided(const std::vector<Unit*>& units)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  static void AnswerAsync(const std::vector<Unit*>& units);
  // Under queue_mu_: set_outcomes() (it sets the units' status and results), then MarkDecided;
  // after the lock, AnswerAsync. ProcessGroup's decisions go through it (SubmitUnits' refusal
  // does the same inline, inside the critical section that checks and queues).
  void Decide(const std::vector<Unit*>& units, const std::function<void()>& set_outcomes)
      ABSL_LOCKS_EXCLUDED(queue_mu_);
  // Looks the event id up in the store: the original entry's result when it is a retry.
  absl::StatusOr<std::optional<AppendResult>> FindDuplicate(const Prepared& p) const;
  void SequencerLoop();
  void ProcessGroup(std::vector<Unit*> group);
  absl::Status StageUnit(Unit* unit, GroupStage* stage);
  // A replicated chunk, checked and verified, ready to commit (AppendReplicated,
  // StageReplicated).
  struct ReplicaChunk;
  // Checks and verifies `leaf_datas` as the entries after `head` (whose tree is `frontier`),
  // against the committed log plus `in_flight` (a staged chunk not yet committed, or null):
  // its claim records and event ids. The key registry read is registry_, so `in_flight` must
  // have no key changes.
  absl::StatusOr<std::unique_ptr<ReplicaChunk>> PrepareReplicaChunk(
      std::vector<std::string> leaf_datas, const std::string& checkpoint_note,
      const store::LogHead& head, const merkle::Frontier& frontier,
      const ReplicaChunk* in_flight);
  // Commits a prepared chunk and makes it the log's head (or stops the log).
  absl::Status CommitReplicaChunk(ReplicaChunk& chunk);
  void ReplicaCommitLoop();
  // AppendReplicated's signature checks, on replica_verifiers_ and the calling thread: the
  // sequence of the first entry whose signature does not verify, or nullopt.
  std::optional<SequenceNumber> VerifyReplicatedSignatures(
      const std::vector<EntryReplayer::SignatureJob>& jobs);

  const std::unique_ptr<store::LogStore> store_;
  const LogIdentity identity_;
  // nullopt on a follower. Set before leading_ becomes true and cleared after the sequencer
  // stopped (Promote, Demote); key_mu_ guards it against SignMapCheckpoint.
  mutable absl::Mutex key_mu_;
  std::optional<crypto::Ed25519PrivateKey> log_key_ ABSL_GUARDED_BY(key_mu_);
  std::string leader_hint_ ABSL_GUARDED_BY(key_mu_);
  // Whether the log sequences appends (it holds the key and the sequencer runs).
  std::atomic<bool> leading_{false};
  const format::NoteVerifier checkpoint_verifier_;
  const LogOptions options_;
  // Merkle nodes for proofs. Declared after store_, so destroyed (its warm-up stopped) first.
  const std::unique_ptr<ProofCache> proof_cache_;

  mutable absl::Mutex queue_mu_;
  std::deque<Unit*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;

  // State the sequencer owns; readers copy it under state_mu_.
  mutable absl::Mutex state_mu_;
  KeyRegistry registry_ ABSL_GUARDED_BY(state_mu_);
  store::LogHead head_ ABSL_GUARDED_BY(state_mu_);
  std::string latest_checkpoint_ ABSL_GUARDED_BY(state_mu_);
  absl::Status failed_ ABSL_GUARDED_BY(state_mu_);
  // Only the sequencer thread touches the frontier.
  merkle::Frontier frontier_;

  // The event ids of the newest committed entries (sequencer only): recent_order_[k] is the id
  // of entry recent_from_ + k, and recent_ids_ views those strings. With Prepared's
  // id_absent_below they spare the sequencer a second store lookup per event.
  std::deque<std::string> recent_order_;
  absl::flat_hash_set<absl::string_view> recent_ids_;
  SequenceNumber recent_from_ = 0;

  // Helper threads for checking and verifying the events of one request in parallel.
  std::unique_ptr<ParallelRunner> checkers_;
  // Helper threads verifying replicated entries' signatures (AppendReplicated's thread only;
  // started by its first call).
  std::unique_ptr<ParallelRunner> replica_verifiers_;

  // Pipelined replication (StageReplicated): the chunk handed to the committer thread (null
  // when none), whether it is committed (it is kept until the replication thread, which may
  // still read it as the base of the next chunk, replaces or releases it), and the error that
  // stopped the log when its commit failed.
  mutable absl::Mutex replica_mu_;
  std::unique_ptr<ReplicaChunk> replica_chunk_ ABSL_GUARDED_BY(replica_mu_);
  bool replica_committed_ ABSL_GUARDED_BY(replica_mu_) = true;
  absl::Status replica_error_ ABSL_GUARDED_BY(replica_mu_);
  bool replica_stopping_ ABSL_GUARDED_BY(replica_mu_) = false;
  std::thread replica_committer_;  // started by the first StageReplicated

  std::thread sequencer_;
};

}  // namespace ledger::core

#endif  // LEDGER_CORE_LOG_H_
