// The log: open, reads, proofs and replicated appends (follower). Admission of new appends is in
// admission.cc, the sequencer (group staging and commit) in sequencer.cc.
#include "ledger/core/log.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/log_internal.h"
#include "ledger/core/replayer.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/compact_range.h"

namespace ledger::core {

namespace {

using log_internal::LogStopped;

}  // namespace

absl::StatusOr<LogEntry> DecodeLogEntry(SequenceNumber sequence, std::string leaf_data) {
  LEDGER_ASSIGN_OR_RETURN(format::EntryView view, format::DecodeLeafData(leaf_data));
  LogEntry e;
  e.sequence = sequence;
  e.recorded_time_micros = view.recorded_time_micros;
  e.event_id = std::string(view.event_id);
  e.key_id = std::string(view.key_id);
  e.signature = std::string(view.signature);
  e.event = std::string(view.event);
  if (view.envelope == format::kEnvelopeBatchSignature) {
    e.batch = BatchMember{std::string(view.batch.batch_id), view.batch.batch_size,
                          view.batch.index, std::string(view.batch.proof)};
  }
  e.leaf_hash = merkle::HashLeaf(leaf_data);
  e.leaf_data = std::move(leaf_data);
  return e;
}

absl::StatusOr<std::unique_ptr<Log>> Log::Open(
    std::unique_ptr<store::LogStore> store, LogIdentity identity,
    std::optional<crypto::Ed25519PrivateKey> log_key, LogOptions options) {
  LEDGER_RETURN_IF_ERROR(format::ValidateOrigin(identity.origin));
  if (log_key.has_value() && log_key->public_key() != identity.log_public_key) {
    return absl::InvalidArgumentError("the log key does not match the identity's log public key");
  }
  const store::LogHead head = store->Head();
  const store::LogStore* raw = store.get();
  LEDGER_ASSIGN_OR_RETURN(
      merkle::Frontier frontier,
      merkle::Frontier::Load(head.tree_size,
                             [raw](merkle::NodeId id) { return raw->GetNode(id); }));
  if (frontier.Root() != head.root_hash) {
    return absl::DataLossError(absl::StrCat(
        "stored Merkle nodes give root ", HexEncode(frontier.Root()), " at tree size ",
        head.tree_size, " but the stored head says ", HexEncode(head.root_hash)));
  }
  std::unique_ptr<Log> log(new Log(std::move(store), std::move(identity), log_key,
                                   options, std::move(frontier)));
  log->proof_cache_->StartWarmUp(head.tree_size);
  {
    absl::MutexLock lock(&log->state_mu_);
    log->head_ = head;
    absl::Status load = log->store_->ScanKeys([&](absl::string_view id, absl::string_view rec) {
      absl::StatusOr<KeyRecord> r = DecodeKeyRecord(rec);
      if (r.ok()) {
        log->registry_.Put(id, *r);
      } else if (log->failed_.ok()) {
        log->failed_ = r.status();
      }
    });
    if (!load.ok()) return load;
    if (!log->failed_.ok()) return log->failed_;
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> cp,
                            log->store_->GetCheckpoint(head.tree_size));
    if (cp.has_value()) {
      LEDGER_ASSIGN_OR_RETURN(format::Checkpoint parsed,
                              format::VerifyCheckpoint(*cp, log->checkpoint_verifier_));
      if (parsed.root_hash != head.root_hash) {
        return absl::DataLossError(absl::StrCat("the checkpoint stored at tree size ",
                                                head.tree_size, " has another root"));
      }
      log->latest_checkpoint_ = *cp;
    } else if (head.tree_size == 0 && !log_key.has_value()) {
      // An empty follower: the leader's checkpoints arrive with its entries.
    } else if (head.tree_size == 0) {
      // A new log: publish the signed empty tree, so followers have a starting point.
      store::CommitBatch batch;
      batch.new_head = head;
      batch.checkpoint = format::SignCheckpoint(
          {log->identity_.origin, 0, merkle::EmptyRoot()}, *log_key);
      LEDGER_RETURN_IF_ERROR(log->store_->Commit(batch));
      log->latest_checkpoint_ = *batch.checkpoint;
    } else {
      return absl::DataLossError(
          absl::StrCat("no checkpoint is stored for the head's tree size ", head.tree_size));
    }
  }
  log->recent_from_ = head.tree_size;
  if (log_key.has_value()) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    log->checkers_ = std::make_unique<ParallelRunner>(cores - 1, "check");
    log->sequencer_ = std::thread([l = log.get()] {
      SetCurrentThreadName("sequencer");
      l->SequencerLoop();
    });
    log->leading_.store(true, std::memory_order_release);
  }
  return log;
}

absl::Status Log::Promote(crypto::Ed25519PrivateKey log_key) {
  if (log_key.public_key() != identity_.log_public_key) {
    return absl::InvalidArgumentError("the log key does not match the log's public key");
  }
  // A staged replicated chunk is committed before the sequencer starts from the head (a no-op
  // when the log already leads: nothing is staged then).
  LEDGER_RETURN_IF_ERROR(WaitReplicated());
  {
    absl::MutexLock lock(&key_mu_);
    if (leading_.load()) return absl::FailedPreconditionError("the log already leads");
    log_key_ = std::move(log_key);
  }
  // The sequencer's state, rebuilt from the log as it is now: no sequencer ran since the
  // replicated entries were written, so the recent event ids know none of them (every id
  // below the head is looked up in the store).
  recent_order_.clear();
  recent_ids_.clear();
  {
    absl::MutexLock lock(&state_mu_);
    recent_from_ = head_.tree_size;
  }
  if (checkers_ == nullptr) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    checkers_ = std::make_unique<ParallelRunner>(cores - 1, "check");
  }
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = false;
  }
  sequencer_ = std::thread([this] {
    SetCurrentThreadName("sequencer");
    SequencerLoop();
  });
  {
    absl::MutexLock lock(&queue_mu_);
    leading_.store(true, std::memory_order_release);
  }
  return absl::OkStatus();
}

absl::Status Log::Demote(const std::string& leader) {
  {
    absl::MutexLock lock(&queue_mu_);
    if (!leading_.load()) return absl::FailedPreconditionError("the log does not lead");
    // SubmitUnits checks leading_ under queue_mu_: nothing is queued after this, and what is
    // queued is drained by the sequencer before it returns.
    leading_.store(false, std::memory_order_release);
    stopping_ = true;
  }
  if (sequencer_.joinable()) sequencer_.join();
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = false;
  }
  absl::MutexLock lock(&key_mu_);
  log_key_.reset();
  leader_hint_ = leader;
  return absl::OkStatus();
}

void Log::SetLeaderHint(const std::string& leader) {
  absl::MutexLock lock(&key_mu_);
  leader_hint_ = leader;
}

Log::Log(std::unique_ptr<store::LogStore> store, LogIdentity identity,
         std::optional<crypto::Ed25519PrivateKey> log_key, LogOptions options,
         merkle::Frontier frontier)
    : store_(std::move(store)),
      identity_(std::move(identity)),
      log_key_(std::move(log_key)),
      leader_hint_(options.leader),
      checkpoint_verifier_{identity_.origin, identity_.log_public_key},
      options_(options),
      proof_cache_(std::make_unique<ProofCache>(store_.get(), options_.proof_cache_bytes)),
      registry_(identity_.admin_keys),
      frontier_(std::move(frontier)) {}

Log::~Log() {
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  if (sequencer_.joinable()) sequencer_.join();
  {
    absl::MutexLock lock(&replica_mu_);
    replica_stopping_ = true;
  }
  if (replica_committer_.joinable()) replica_committer_.join();  // commits what it was handed
}

std::string Log::CheckpointVerifierKey() const {
  return format::NoteVerifierKey(identity_.origin, identity_.log_public_key);
}

store::LogHead Log::Head() const {
  absl::MutexLock lock(&state_mu_);
  return head_;
}

void Log::StopAppends(const absl::Status& cause) {
  absl::MutexLock lock(&state_mu_);
  if (failed_.ok()) failed_ = cause.ok() ? absl::InternalError("stopped") : cause;
}

std::string Log::LatestCheckpoint() const {
  absl::MutexLock lock(&state_mu_);
  return latest_checkpoint_;
}

TreeSize Log::WaitForGrowth(TreeSize known_size, absl::Duration timeout) const {
  absl::MutexLock lock(&state_mu_);
  auto grown = [this, known_size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    return head_.tree_size > known_size;
  };
  state_mu_.AwaitWithTimeout(absl::Condition(&grown), timeout);
  return head_.tree_size;
}

absl::StatusOr<LogEntry> Log::GetEntry(SequenceNumber sequence) const {
  absl::StatusOr<std::string> stored = store_->GetEntry(sequence);
  if (absl::IsNotFound(stored.status())) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "sequence",
                     absl::StrCat(sequence, " is past the end of the log (size ",
                                  Head().tree_size, ")"));
  }
  LEDGER_ASSIGN_OR_RETURN(std::string leaf_data, std::move(stored));
  return DecodeLogEntry(sequence, std::move(leaf_data));
}

namespace {

// `field` names the request field that carried the size (tree_size, to_tree_size).
absl::Status TreeSizeOutOfRange(TreeSize tree_size, TreeSize size,
                                absl::string_view field = "tree_size") {
  return MakeError(absl::StatusCode::kOutOfRange, reason::kTreeSizeOutOfRange, field,
                   absl::StrCat(tree_size, " exceeds the log's size ", size));
}

}  // namespace

absl::StatusOr<std::string> Log::CheckpointAt(TreeSize tree_size) const {
  const store::LogHead head = Head();
  if (tree_size > head.tree_size) return TreeSizeOutOfRange(tree_size, head.tree_size);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> cp, store_->GetCheckpoint(tree_size));
  if (!cp.has_value()) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "tree_size",
                     absl::StrCat("no checkpoint is stored for tree size ", tree_size));
  }
  return *cp;
}

// Proofs read everything they need -- proof hashes, leaf hash and any historic root -- in one
// batch: upper nodes from proof_cache_, the rest with one store read. The root of the current
// head comes from memory.
absl::StatusOr<InclusionProof> Log::ProveInclusion(SequenceNumber sequence,
                                                   TreeSize tree_size) const {
  const store::LogHead head = Head();
  if (tree_size == 0) tree_size = head.tree_size;
  if (tree_size > head.tree_size) return TreeSizeOutOfRange(tree_size, head.tree_size);
  if (sequence >= tree_size) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest, "sequence",
                     absl::StrCat(sequence, " is not in a tree of size ", tree_size));
  }
  LEDGER_ASSIGN_OR_RETURN(merkle::ProofPlan plan, merkle::PlanInclusionProof(sequence, tree_size));
  const size_t path_length = plan.size();
  LEDGER_RETURN_IF_ERROR(plan.AddRange(sequence, sequence + 1));
  const bool historic = tree_size != head.tree_size;
  if (historic) LEDGER_RETURN_IF_ERROR(plan.AddRange(0, tree_size));
  LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> hashes, proof_cache_->Read(plan, head.tree_size));
  InclusionProof proof;
  proof.sequence = sequence;
  proof.tree_size = tree_size;
  proof.leaf_hash = hashes[path_length];
  proof.root_hash = historic ? hashes[path_length + 1] : head.root_hash;
  hashes.resize(path_length);
  proof.hashes = std::move(hashes);
  return proof;
}

absl::StatusOr<std::string> Log::SignMapCheckpoint(const format::MapCheckpoint& m) const {
  absl::MutexLock lock(&key_mu_);
  if (!log_key_.has_value()) {
    return absl::FailedPreconditionError("a follower holds no log key to sign with");
  }
  return format::SignMapCheckpoint(m, *log_key_);
}

absl::StatusOr<InclusionProof> Log::ProveInclusionByLeafHash(const Hash& leaf_hash,
                                                             TreeSize tree_size) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<SequenceNumber> seq, store_->GetLeafIndex(leaf_hash));
  if (!seq.has_value()) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "leaf_hash",
                     absl::StrCat("no entry has leaf hash ", HexEncode(leaf_hash)));
  }
  return ProveInclusion(*seq, tree_size);
}

absl::StatusOr<ConsistencyProof> Log::ProveConsistency(TreeSize from_tree_size,
                                                       TreeSize to_tree_size) const {
  const store::LogHead head = Head();
  if (to_tree_size == 0) to_tree_size = head.tree_size;
  if (to_tree_size > head.tree_size) {
    return TreeSizeOutOfRange(to_tree_size, head.tree_size, "to_tree_size");
  }
  if (from_tree_size > to_tree_size) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest,
                     "from_tree_size",
                     absl::StrCat(from_tree_size, " exceeds to_tree_size ", to_tree_size));
  }
  LEDGER_ASSIGN_OR_RETURN(merkle::ProofPlan plan,
                          merkle::PlanConsistencyProof(from_tree_size, to_tree_size));
  const size_t proof_length = plan.size();
  // Each root: the empty tree's, the head's (from memory), or read with the proof.
  auto plan_root = [&](TreeSize size) -> absl::StatusOr<std::optional<size_t>> {
    if (size == 0 || size == head.tree_size) return std::optional<size_t>();
    LEDGER_RETURN_IF_ERROR(plan.AddRange(0, size));
    return std::optional<size_t>(plan.size() - 1);
  };
  LEDGER_ASSIGN_OR_RETURN(std::optional<size_t> from_at, plan_root(from_tree_size));
  LEDGER_ASSIGN_OR_RETURN(std::optional<size_t> to_at, plan_root(to_tree_size));
  LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> hashes, proof_cache_->Read(plan, head.tree_size));
  auto root = [&](TreeSize size, const std::optional<size_t>& at) {
    if (at.has_value()) return hashes[*at];
    return size == 0 ? merkle::EmptyRoot() : head.root_hash;
  };
  ConsistencyProof proof;
  proof.from_tree_size = from_tree_size;
  proof.to_tree_size = to_tree_size;
  proof.from_root_hash = root(from_tree_size, from_at);
  proof.to_root_hash = root(to_tree_size, to_at);
  hashes.resize(proof_length);
  proof.hashes = std::move(hashes);
  return proof;
}

struct Log::ReplicaChunk {
  explicit ReplicaChunk(KeyRegistry chunk_keys) : keys(std::move(chunk_keys)) {}

  store::CommitBatch batch;  // entries, checkpoint and new head included
  merkle::Frontier frontier;  // the tree after the chunk
  KeyRegistry keys;  // the chunk's key changes: an overlay of registry_
  // The chunk's claim records and event ids (views of batch.event_ids, which never moves),
  // for the chunk staged after it while it is being committed.
  std::map<std::string, ClaimRecord, std::less<>> claims;
  absl::flat_hash_map<absl::string_view, SequenceNumber> ids;
};

absl::StatusOr<std::unique_ptr<Log::ReplicaChunk>> Log::PrepareReplicaChunk(
    std::vector<std::string> leaf_datas, const std::string& checkpoint_note,
    const store::LogHead& head, const merkle::Frontier& frontier,
    const ReplicaChunk* in_flight) {
  absl::StatusOr<format::Checkpoint> checkpoint =
      format::VerifyCheckpoint(checkpoint_note, checkpoint_verifier_);
  if (!checkpoint.ok()) {
    return absl::DataLossError(absl::StrCat("the leader's checkpoint does not verify with the "
                                            "configured log key: ",
                                            checkpoint.status().message()));
  }
  if (checkpoint->tree_size != head.tree_size + leaf_datas.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the checkpoint is for tree size ", checkpoint->tree_size, ", but ", head.tree_size,
        " entries are stored and ", leaf_datas.size(), " arrived"));
  }
  // registry_ only changes on the replication and committer threads, never while a chunk is
  // prepared (StageReplicated waits for a chunk with key changes): read it unlocked.
  const store::LogStore* store = store_.get();
  EntryReplayer replayer(
      identity_.origin, &registry_,
      [store, in_flight](absl::string_view id) -> absl::StatusOr<std::optional<ClaimRecord>> {
        if (in_flight != nullptr) {
          auto it = in_flight->claims.find(id);
          if (it != in_flight->claims.end()) return std::optional<ClaimRecord>(it->second);
        }
        LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store->GetClaim(id));
        if (!bytes.has_value()) return std::optional<ClaimRecord>();
        LEDGER_ASSIGN_OR_RETURN(ClaimRecord r, DecodeClaimRecord(*bytes));
        return std::optional<ClaimRecord>(r);
      },
      head.last_recorded_time_micros, /*threads=*/1);
  auto chunk = std::make_unique<ReplicaChunk>(KeyRegistry(&registry_));
  store::CommitBatch& batch = chunk->batch;
  batch.expected_tree_size = head.tree_size;
  batch.leaf_index.reserve(leaf_datas.size());
  batch.event_ids.reserve(leaf_datas.size());
  chunk->frontier = frontier;
  // The rules, in log order; the first entry that breaks one ends the loop (`refused`).
  absl::Status refused;
  // Views of the ids in batch.event_ids (reserved above: its strings do not move).
  absl::flat_hash_map<absl::string_view, SequenceNumber>& new_ids = chunk->ids;
  int64_t last_time = head.last_recorded_time_micros;
  for (size_t i = 0; i < leaf_datas.size(); ++i) {
    const SequenceNumber seq = head.tree_size + i;
    absl::StatusOr<ReplayedEntry> e = replayer.Add(seq, leaf_datas[i]);
    if (!e.ok()) {
      refused = e.status();
      break;
    }
    batch.event_ids.emplace_back(std::move(e->event_id), store::EventIdRecord{seq, e->event_hash});
    const std::string& id = batch.event_ids.back().first;
    if (auto [it, inserted] = new_ids.emplace(id, seq); !inserted) {
      refused = absl::DataLossError(absl::StrCat("entry ", seq, ": event id \"", id,
                                                 "\" already names entry ", it->second));
      batch.event_ids.pop_back();
      break;
    }
    chunk->frontier.Append(e->leaf_hash, &batch.nodes);
    batch.leaf_index.emplace_back(e->leaf_hash, seq);
    for (const auto& [key, r] : e->key_changes) batch.keys.emplace_back(key, EncodeKeyRecord(r));
    for (const auto& [claim, r] : e->claim_changes) {
      batch.claims.emplace_back(claim, EncodeClaimRecord(r));
    }
    last_time = e->recorded_time_micros;
  }
  // Event ids already stored (or in the staged chunk), looked up together (one MultiGet): an
  // earlier entry's duplicate is reported before a later entry's broken rule, as when each
  // entry is checked in turn.
  {
    std::vector<absl::string_view> ids;
    ids.reserve(batch.event_ids.size());
    for (const auto& [id, record] : batch.event_ids) ids.push_back(id);
    std::vector<std::optional<store::EventIdRecord>> existing;
    LEDGER_RETURN_IF_ERROR(store_->GetEventIds(ids, &existing));
    for (size_t i = 0; i < existing.size(); ++i) {
      std::optional<SequenceNumber> named;
      if (existing[i].has_value()) named = existing[i]->sequence;
      if (in_flight != nullptr) {
        auto it = in_flight->ids.find(ids[i]);
        if (it != in_flight->ids.end()) named = it->second;
      }
      if (!named.has_value()) continue;
      return absl::DataLossError(absl::StrCat("entry ", head.tree_size + i, ": event id \"",
                                              ids[i], "\" already names entry ", *named));
    }
  }
  if (!refused.ok()) return refused;
  if (chunk->frontier.Root() != checkpoint->root_hash) {
    return absl::DataLossError(absl::StrCat(
        "the leader's entries give root ", HexEncode(chunk->frontier.Root()), " at tree size ",
        checkpoint->tree_size, " but its signed checkpoint says ",
        HexEncode(checkpoint->root_hash)));
  }
  if (std::optional<SequenceNumber> bad = VerifyReplicatedSignatures(replayer.TakeSignatureJobs());
      bad.has_value()) {
    return absl::DataLossError(
        absl::StrCat("entry ", *bad, ": the Ed25519 signature does not verify"));
  }
  batch.entries = std::move(leaf_datas);
  batch.checkpoint = checkpoint_note;
  batch.new_head = {checkpoint->tree_size, checkpoint->root_hash, last_time};
  chunk->keys = std::move(replayer.keys());
  chunk->claims = replayer.TakeClaimChanges();
  return chunk;
}

absl::Status Log::CommitReplicaChunk(ReplicaChunk& chunk) {
  LEDGER_CRASH_POINT("replica-before-commit");
  const absl::Time commit_start = absl::Now();
  absl::Status commit = store_->Commit(chunk.batch);
  if (commit.ok()) LEDGER_CRASH_POINT("replica-after-commit");
  absl::MutexLock lock(&state_mu_);
  if (!commit.ok()) {
    failed_ = commit;
    return LogStopped(commit);
  }
  const std::string& note = *chunk.batch.checkpoint;
  if (options_.on_commit) options_.on_commit(chunk.batch.entries.size(), absl::Now() - commit_start);
  if (options_.on_checkpoint) options_.on_checkpoint(note, chunk.batch.new_head.tree_size);
  if (!chunk.keys.records().empty()) chunk.keys.MergeIntoParent(&registry_);
  head_ = chunk.batch.new_head;
  frontier_ = chunk.frontier;
  latest_checkpoint_ = note;
  return absl::OkStatus();
}

absl::StatusOr<TreeSize> Log::AppendReplicated(std::vector<std::string> leaf_datas,
                                                const std::string& checkpoint_note) {
  if (!is_follower()) {
    return absl::FailedPreconditionError("AppendReplicated is for followers only");
  }
  LEDGER_RETURN_IF_ERROR(WaitReplicated());
  store::LogHead head;
  {
    absl::MutexLock lock(&state_mu_);
    if (!failed_.ok()) return LogStopped(failed_);
    head = head_;
  }
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaChunk> chunk,
                          PrepareReplicaChunk(std::move(leaf_datas), checkpoint_note, head,
                                              frontier_, /*in_flight=*/nullptr));
  LEDGER_RETURN_IF_ERROR(CheckFreeSpace());
  LEDGER_RETURN_IF_ERROR(CommitReplicaChunk(*chunk));
  return chunk->batch.new_head.tree_size;
}

absl::StatusOr<TreeSize> Log::StageReplicated(std::vector<std::string> leaf_datas,
                                               const std::string& checkpoint_note) {
  if (!is_follower()) {
    return absl::FailedPreconditionError("StageReplicated is for followers only");
  }
  // The base: the staged chunk while it is not committed, else the committed log. A staged
  // chunk with key changes is waited for (the next chunk reads the key registry).
  const ReplicaChunk* in_flight = nullptr;
  {
    absl::MutexLock lock(&replica_mu_);
    if (replica_chunk_ != nullptr && !replica_chunk_->keys.records().empty()) {
      replica_mu_.Await(absl::Condition(&replica_committed_));
    }
    if (!replica_error_.ok()) return replica_error_;
    if (!replica_committed_) in_flight = replica_chunk_.get();
  }
  store::LogHead head;
  {
    absl::MutexLock lock(&state_mu_);
    if (!failed_.ok()) return LogStopped(failed_);
    head = head_;
  }
  // frontier_ changes only on the committer thread, and not before the next hand-over when
  // the staged chunk is committed.
  const merkle::Frontier& frontier = in_flight != nullptr ? in_flight->frontier : frontier_;
  if (in_flight != nullptr) head = in_flight->batch.new_head;
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaChunk> chunk,
                          PrepareReplicaChunk(std::move(leaf_datas), checkpoint_note, head,
                                              frontier, in_flight));
  LEDGER_RETURN_IF_ERROR(CheckFreeSpace());
  const TreeSize size = chunk->batch.new_head.tree_size;
  absl::MutexLock lock(&replica_mu_);
  replica_mu_.Await(absl::Condition(&replica_committed_));
  if (!replica_error_.ok()) return replica_error_;
  replica_chunk_ = std::move(chunk);
  replica_committed_ = false;
  if (!replica_committer_.joinable()) {
    replica_committer_ = std::thread([this] {
      SetCurrentThreadName("replica-commit");
      ReplicaCommitLoop();
    });
  }
  return size;
}

void Log::ReplicaCommitLoop() {
  for (;;) {
    ReplicaChunk* chunk;
    {
      absl::MutexLock lock(&replica_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(replica_mu_) {
        return replica_stopping_ || !replica_committed_;
      };
      replica_mu_.Await(absl::Condition(&ready));
      if (replica_committed_) return;  // stopping, and everything handed over is committed
      chunk = replica_chunk_.get();
    }
    // The replication thread only reads the chunk until it is marked committed.
    const absl::Status committed = CommitReplicaChunk(*chunk);
    absl::MutexLock lock(&replica_mu_);
    replica_committed_ = true;
    if (!committed.ok() && replica_error_.ok()) replica_error_ = committed;
  }
}

absl::Status Log::WaitReplicated() {
  absl::MutexLock lock(&replica_mu_);
  replica_mu_.Await(absl::Condition(&replica_committed_));
  replica_chunk_.reset();
  return replica_error_;
}

bool Log::ReplicatedPending() const {
  absl::MutexLock lock(&replica_mu_);
  return !replica_committed_;
}

store::LogHead Log::StagedHead() const {
  {
    absl::MutexLock lock(&replica_mu_);
    if (!replica_committed_) return replica_chunk_->batch.new_head;
  }
  return Head();
}

std::optional<SequenceNumber> Log::VerifyReplicatedSignatures(
    const std::vector<EntryReplayer::SignatureJob>& jobs) {
  constexpr size_t kJobsPerTask = 32;
  if (replica_verifiers_ == nullptr) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    replica_verifiers_ = std::make_unique<ParallelRunner>(cores - 1, "verify");
  }
  std::atomic<size_t> first_bad{jobs.size()};
  replica_verifiers_->ForEach((jobs.size() + kJobsPerTask - 1) / kJobsPerTask, [&](size_t task) {
    const size_t begin = task * kJobsPerTask;
    const size_t end = std::min(jobs.size(), begin + kJobsPerTask);
    const size_t bad = EntryReplayer::VerifyJobs(jobs, begin, end);
    if (bad == end) return;
    size_t current = first_bad.load();
    while (bad < current && !first_bad.compare_exchange_weak(current, bad)) {
    }
  });
  const size_t bad = first_bad.load();
  if (bad == jobs.size()) return std::nullopt;
  return jobs[bad].sequence;
}

}  // namespace ledger::core
