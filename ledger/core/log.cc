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
#include "ledger/core/event_validation.h"
#include "ledger/core/replayer.h"
#include "ledger/core/limits.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/compact_range.h"

namespace ledger::core {
namespace {

absl::Status WithIndex(const absl::Status& s, int index) {
  if (s.ok() || index < 0) return s;
  return PrefixErrorField(s, absl::StrCat("events[", index, "]."));
}

absl::Status LogStopped(const absl::Status& cause) {
  return MakeError(absl::StatusCode::kUnavailable, reason::kLogStopped, "",
                   absl::StrCat("the log stopped accepting writes after a storage error (",
                                cause.message(),
                                "); restart the server, then retry with the same event id"));
}

}  // namespace

// What one group commit is building: the batch for the store plus the sequencer's working
// state, which becomes the log's state only if the commit succeeds.
struct Log::GroupStage {
  GroupStage(const KeyRegistry* base, const store::LogStore* store, const merkle::Frontier& f,
             int64_t last_time)
      : registry(base),
        claims([store](absl::string_view id) -> absl::StatusOr<std::optional<ClaimRecord>> {
          LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store->GetClaim(id));
          if (!bytes.has_value()) return std::optional<ClaimRecord>();
          LEDGER_ASSIGN_OR_RETURN(ClaimRecord r, DecodeClaimRecord(*bytes));
          return std::optional<ClaimRecord>(r);
        }),
        frontier(f),
        last_recorded_time_micros(last_time) {}
  store::CommitBatch batch;
  KeyRegistry registry;  // overlay over registry_
  ClaimRules claims;     // staged over the store's committed claim records
  merkle::Frontier frontier;
  int64_t last_recorded_time_micros;
  // Event ids appended in this group: id -> (sequence, event hash, result).
  std::map<std::string, AppendResult> ids;
  std::map<std::string, Hash> id_hashes;
};

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
  std::unique_ptr<Log> log(new Log(std::move(store), std::move(identity), std::move(log_key),
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
    } else if (head.tree_size == 0 && !log->log_key_.has_value()) {
      // An empty follower: the leader's checkpoints arrive with its entries.
    } else if (head.tree_size == 0) {
      // A new log: publish the signed empty tree, so followers have a starting point.
      store::CommitBatch batch;
      batch.new_head = head;
      batch.checkpoint = format::SignCheckpoint(
          {log->identity_.origin, 0, merkle::EmptyRoot()}, *log->log_key_);
      LEDGER_RETURN_IF_ERROR(log->store_->Commit(batch));
      log->latest_checkpoint_ = *batch.checkpoint;
    } else {
      return absl::DataLossError(
          absl::StrCat("no checkpoint is stored for the head's tree size ", head.tree_size));
    }
  }
  log->recent_from_ = head.tree_size;
  if (log->log_key_.has_value()) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    log->checkers_ = std::make_unique<ParallelRunner>(cores - 1, "check");
    log->sequencer_ = std::thread([l = log.get()] {
      SetCurrentThreadName("sequencer");
      l->SequencerLoop();
    });
  }
  return log;
}

Log::Log(std::unique_ptr<store::LogStore> store, LogIdentity identity,
         std::optional<crypto::Ed25519PrivateKey> log_key, LogOptions options,
         merkle::Frontier frontier)
    : store_(std::move(store)),
      identity_(std::move(identity)),
      log_key_(std::move(log_key)),
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

absl::StatusOr<Log::Prepared> Log::Prepare(const ledger::v1::SignedEvent& envelope,
                                           int index) const {
  LEDGER_RETURN_IF_ERROR(WithIndex(ValidateEnvelope(envelope), index));
  Prepared p;
  p.envelope = &envelope;
  absl::StatusOr<ledger::v1::Event> event =
      ParseAndValidateEvent(envelope.event(), options_.clock->NowMicros());
  if (!event.ok()) return WithIndex(event.status(), index);
  p.event = *std::move(event);
  p.event_hash = crypto::Sha256(envelope.event());
  return p;
}

absl::StatusOr<std::optional<AppendResult>> Log::FindDuplicate(const Prepared& p) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<store::EventIdRecord> record,
                          store_->GetEventId(p.envelope->event_id()));
  if (!record.has_value()) return std::optional<AppendResult>();
  if (record->event_hash != p.event_hash) {
    return MakeError(absl::StatusCode::kAlreadyExists, reason::kEventIdConflict, "event_id",
                     absl::StrCat("\"", p.envelope->event_id(), "\" already names entry ",
                                  record->sequence,
                                  ", whose event bytes differ; choose a new event id for a "
                                  "different event"));
  }
  LEDGER_ASSIGN_OR_RETURN(std::string leaf_data, store_->GetEntry(record->sequence));
  LEDGER_ASSIGN_OR_RETURN(LogEntry entry, DecodeLogEntry(record->sequence, std::move(leaf_data)));
  AppendResult r;
  r.sequence = record->sequence;
  r.recorded_time_micros = entry.recorded_time_micros;
  r.leaf_hash = entry.leaf_hash;
  r.duplicate = true;
  r.checkpoint = LatestCheckpoint();
  return std::optional<AppendResult>(r);
}

absl::StatusOr<AppendResult> Log::Append(const ledger::v1::SignedEvent& envelope) {
  LEDGER_ASSIGN_OR_RETURN(std::vector<AppendResult> results, AppendPointers({&envelope}));
  return results.front();
}

Log::Checked Log::Check(const ledger::v1::SignedEvent& env, int index) const {
  Checked out;
  absl::StatusOr<Prepared> p = Prepare(env, index);
  if (!p.ok()) {
    out.status = p.status();
    return out;
  }
  out.prepared = *std::move(p);
  // A retry returns the original entry without a new signature check: its bytes are the
  // stored, already verified ones. The lookup reads a store state at least as new as `size`.
  const TreeSize size = Head().tree_size;
  absl::StatusOr<std::optional<AppendResult>> dup = FindDuplicate(out.prepared);
  if (!dup.ok()) {
    out.status = WithIndex(dup.status(), index);
  } else if (dup->has_value()) {
    out.duplicate = std::move(*dup);
  } else {
    out.prepared.id_absent_below = size;
  }
  return out;
}

absl::Status Log::VerifySignature(const Prepared& p, int index,
                                  const std::map<std::string, crypto::PublicKey>& batch_keys) const {
  const ledger::v1::SignedEvent& env = *p.envelope;
  crypto::PublicKey public_key;
  {
    absl::MutexLock lock(&state_mu_);
    if (!failed_.ok()) return LogStopped(failed_);
    absl::StatusOr<KeyRecord> key = registry_.ActiveKey(env.key_id());
    if (key.ok()) {
      public_key = key->public_key;
    } else if (auto it = batch_keys.find(env.key_id());
               it != batch_keys.end() && absl::IsFailedPrecondition(key.status()) &&
               ErrorReason(key.status()) == reason::kKeyNotRegistered) {
      // Registered by an earlier event of the same request; the sequencer checks the
      // registration itself when it stages that event.
      public_key = it->second;
    } else {
      return WithIndex(key.status(), index);
    }
  }
  if (!crypto::Ed25519Verify(public_key,
                             format::EventSigningInput(identity_.origin, env.event_id(), env.event()),
                             env.signature())) {
    return WithIndex(
        MakeError(absl::StatusCode::kInvalidArgument, reason::kSignatureInvalid, "signature",
                  absl::StrCat("does not verify under key ", HexEncode(env.key_id().substr(0, 8)),
                               "… over the v1 signing input for origin \"", identity_.origin,
                               "\"")),
        index);
  }
  return absl::OkStatus();
}

absl::Status Log::CheckFreeSpace() const {
  if (!options_.free_bytes || options_.min_free_bytes == 0) return absl::OkStatus();
  absl::StatusOr<uint64_t> free = options_.free_bytes();
  if (!free.ok()) return free.status();
  if (*free < options_.min_free_bytes) {
    return MakeError(absl::StatusCode::kResourceExhausted, reason::kDiskFull, "",
                     absl::StrCat("the data directory's disk has ", *free,
                                  " bytes free, below the reserve of ", options_.min_free_bytes,
                                  "; appends resume when space is freed (reads still work)"));
  }
  return absl::OkStatus();
}

absl::Status Log::CheckWritable() const {
  if (!options_.appends_refused.ok()) return options_.appends_refused;
  if (log_key_.has_value()) return absl::OkStatus();
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kNotLeader, "",
                   absl::StrCat("this server is a read-only follower",
                                options_.leader.empty() ? "" : " of ", options_.leader,
                                "; send appends to the leader"));
}

std::vector<Log::Checked> Log::CheckAll(
    const std::vector<const ledger::v1::SignedEvent*>& envelopes, bool indexed) const {
  std::vector<Checked> out(envelopes.size());
  if (absl::Status writable = CheckWritable(); !writable.ok()) {
    for (Checked& c : out) c.status = writable;
    return out;
  }
  if (absl::Status space = CheckFreeSpace(); !space.ok()) {
    for (Checked& c : out) c.status = space;
    return out;
  }
  auto index_of = [indexed](size_t i) { return indexed ? static_cast<int>(i) : -1; };
  // Whether each event passed Check() (before its signature is verified): as before, those
  // events' key registrations count for the later events of the request.
  std::vector<char> checked_ok(envelopes.size(), 0);
  const std::map<std::string, crypto::PublicKey> no_batch_keys;
  auto check = [&](size_t i) {
    out[i] = Check(*envelopes[i], index_of(i));
    if (out[i].status.ok() && !out[i].duplicate.has_value()) {
      checked_ok[i] = 1;
      out[i].status = VerifySignature(out[i].prepared, index_of(i), no_batch_keys);
    }
  };
  constexpr size_t kEventsPerThread = 16;
  if (envelopes.size() > kEventsPerThread && checkers_ != nullptr) {
    checkers_->ForEach(envelopes.size(), check);
  } else {
    for (size_t i = 0; i < envelopes.size(); ++i) check(i);
  }
  // Keys the request registers are usable by its later events: verify again, with them, the
  // events refused only because their key is not registered (yet).
  std::map<std::string, crypto::PublicKey> batch_keys;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!checked_ok[i]) continue;
    if (!batch_keys.empty() && absl::IsFailedPrecondition(out[i].status) &&
        ErrorReason(out[i].status) == reason::kKeyNotRegistered &&
        batch_keys.count(envelopes[i]->key_id()) != 0) {
      out[i].status = VerifySignature(out[i].prepared, index_of(i), batch_keys);
    }
    if (out[i].prepared.event.has_key_registered()) {
      crypto::PublicKey k;
      std::memcpy(k.data(), out[i].prepared.event.key_registered().public_key().data(), k.size());
      batch_keys[std::string(AsStringView(crypto::SignerKeyId(k)))] = k;
    }
  }
  return out;
}

namespace {

absl::Status BatchSizeError(size_t n) {
  if (n == 0) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kFieldRequired, "events",
                     "at least one is required");
  }
  return MakeError(absl::StatusCode::kResourceExhausted, reason::kBatchTooLarge, "events",
                   absl::StrCat(n, " in one batch; the limit is ", kMaxBatchEvents));
}

}  // namespace

absl::StatusOr<std::vector<AppendResult>> Log::AppendAll(
    const std::vector<ledger::v1::SignedEvent>& envelopes) {
  std::vector<const ledger::v1::SignedEvent*> pointers;
  pointers.reserve(envelopes.size());
  for (const auto& e : envelopes) pointers.push_back(&e);
  return AppendPointers(pointers);
}

absl::StatusOr<std::vector<AppendResult>> Log::AppendAllFrom(
    const google::protobuf::RepeatedPtrField<ledger::v1::SignedEvent>& envelopes) {
  std::vector<const ledger::v1::SignedEvent*> pointers;
  pointers.reserve(envelopes.size());
  for (const auto& e : envelopes) pointers.push_back(&e);
  return AppendPointers(pointers);
}

absl::StatusOr<std::vector<AppendResult>> Log::AppendPointers(
    const std::vector<const ledger::v1::SignedEvent*>& envelopes) {
  if (envelopes.empty() || envelopes.size() > kMaxBatchEvents) {
    return BatchSizeError(envelopes.size());
  }
  std::vector<Checked> checked = CheckAll(envelopes, /*indexed=*/envelopes.size() > 1);
  bool all_duplicates = true;
  for (const Checked& c : checked) {
    if (!c.status.ok()) return c.status;
    all_duplicates = all_duplicates && c.duplicate.has_value();
  }
  if (all_duplicates) {
    std::vector<AppendResult> results;
    for (auto& c : checked) results.push_back(*c.duplicate);
    return results;
  }
  Unit unit;
  for (Checked& c : checked) unit.events.push_back(std::move(c.prepared));
  SubmitUnits({&unit});
  if (!unit.status.ok()) return unit.status;
  return std::move(unit.results);
}

absl::StatusOr<std::vector<AppendResult>> Log::AppendSignedBatch(
    const ledger::v1::SignedBatch& batch) {
  if (batch.version() != format::kSignedBatchVersion1) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kUnsupportedVersion, "version",
                     absl::StrCat("is ", batch.version(),
                                  "; a SignedBatch has envelope version 2"));
  }
  if (const std::string problem = EventIdProblem(batch.batch_id()); !problem.empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidEventId, "batch_id",
                     absl::StrCat("follows the event id rules: ", problem));
  }
  const size_t n = batch.events_size();
  if (n == 0 || n > kMaxBatchEvents) return BatchSizeError(n);
  if (batch.key_id().size() != format::kKeyIdSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidEnvelope, "key_id",
                     absl::StrCat("must be 32 bytes, got ", batch.key_id().size()));
  }
  if (batch.signature().size() != format::kSignatureSize) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidEnvelope, "signature",
                     absl::StrCat("must be 64 bytes, got ", batch.signature().size()));
  }
  LEDGER_RETURN_IF_ERROR(CheckWritable());
  LEDGER_RETURN_IF_ERROR(CheckFreeSpace());
  // The batch tree over the items, and each item's membership proof.
  std::map<std::pair<uint32_t, uint64_t>, Hash> nodes;
  merkle::Frontier tree;
  for (const auto& e : batch.events()) {
    std::vector<std::pair<merkle::NodeId, Hash>> added;
    tree.Append(merkle::HashLeaf(format::BatchItem(e.event_id(), e.event())), &added);
    for (const auto& [id, h] : added) nodes[{id.level, id.index}] = h;
  }
  const merkle::NodeReader read = [&nodes](merkle::NodeId id) -> absl::StatusOr<Hash> {
    auto it = nodes.find({id.level, id.index});
    if (it == nodes.end()) return absl::InternalError("batch tree node missing");
    return it->second;
  };
  // Verify the one signature before anything else is looked at.
  {
    crypto::PublicKey public_key;
    {
      absl::MutexLock lock(&state_mu_);
      if (!failed_.ok()) return LogStopped(failed_);
      LEDGER_ASSIGN_OR_RETURN(KeyRecord key, registry_.ActiveKey(batch.key_id()));
      public_key = key.public_key;
    }
    if (!crypto::Ed25519Verify(
            public_key,
            format::BatchSigningInput(identity_.origin, batch.batch_id(),
                                      static_cast<uint32_t>(n), tree.Root()),
            batch.signature())) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kSignatureInvalid, "signature",
                       absl::StrCat("does not verify under key ",
                                    HexEncode(batch.key_id().substr(0, 8)),
                                    "… over the batch signing input for origin \"",
                                    identity_.origin, "\" and these events in this order"));
    }
  }
  std::vector<ledger::v1::SignedEvent> envelopes(n);
  std::vector<BatchMember> members(n);
  Unit unit;
  for (size_t i = 0; i < n; ++i) {
    const auto& e = batch.events(static_cast<int>(i));
    envelopes[i].set_version(format::kSignedEventVersion1);
    envelopes[i].set_event_id(e.event_id());
    envelopes[i].set_event(e.event());
    envelopes[i].set_key_id(batch.key_id());
    envelopes[i].set_signature(batch.signature());
    LEDGER_ASSIGN_OR_RETURN(Prepared p, Prepare(envelopes[i], static_cast<int>(i)));
    LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> proof,
                            merkle::InclusionProof(i, n, read));
    members[i].batch_id = batch.batch_id();
    members[i].batch_size = static_cast<uint32_t>(n);
    members[i].index = static_cast<uint32_t>(i);
    for (const Hash& h : proof) members[i].proof.append(AsStringView(h).data(), h.size());
    p.batch = &members[i];
    unit.events.push_back(std::move(p));
  }
  // Duplicates (a retry of the batch) come back as their original entries from the sequencer.
  SubmitUnits({&unit});
  if (!unit.status.ok()) return unit.status;
  return std::move(unit.results);
}

std::vector<absl::StatusOr<AppendResult>> Log::AppendEach(
    const std::vector<ledger::v1::SignedEvent>& envelopes) {
  if (envelopes.empty() || envelopes.size() > kMaxBatchEvents) {
    return std::vector<absl::StatusOr<AppendResult>>(
        std::max<size_t>(1, envelopes.size()), BatchSizeError(envelopes.size()));
  }
  std::vector<const ledger::v1::SignedEvent*> pointers;
  pointers.reserve(envelopes.size());
  for (const auto& e : envelopes) pointers.push_back(&e);
  std::vector<Checked> checked = CheckAll(pointers, /*indexed=*/false);
  std::vector<absl::StatusOr<AppendResult>> results(envelopes.size(), absl::UnknownError(""));
  std::vector<Unit> units(envelopes.size());
  std::vector<Unit*> queued;
  for (size_t i = 0; i < checked.size(); ++i) {
    if (!checked[i].status.ok()) {
      results[i] = checked[i].status;
    } else if (checked[i].duplicate.has_value()) {
      results[i] = *checked[i].duplicate;
    } else {
      units[i].events.push_back(std::move(checked[i].prepared));
      queued.push_back(&units[i]);
    }
  }
  if (!queued.empty()) SubmitUnits(queued);
  for (size_t i = 0; i < checked.size(); ++i) {
    if (units[i].events.empty()) continue;
    if (units[i].status.ok()) {
      results[i] = units[i].results.front();
    } else {
      results[i] = units[i].status;
    }
  }
  return results;
}

void Log::SubmitUnits(const std::vector<Unit*>& units) {
  absl::MutexLock lock(&queue_mu_);
  if (stopping_) {
    for (Unit* u : units) {
      u->status = MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown, "",
                            "the log is shutting down; retry later");
      u->done = true;
    }
    return;
  }
  for (Unit* u : units) queue_.push_back(u);
  auto all_done = [&units]() {
    for (Unit* u : units) {
      if (!u->done) return false;
    }
    return true;
  };
  queue_mu_.Await(absl::Condition(&all_done));
}

TreeSize Log::WaitForGrowth(TreeSize known_size, absl::Duration timeout) const {
  absl::MutexLock lock(&state_mu_);
  auto grown = [this, known_size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    return head_.tree_size > known_size;
  };
  state_mu_.AwaitWithTimeout(absl::Condition(&grown), timeout);
  return head_.tree_size;
}

void Log::SequencerLoop() {
  for (;;) {
    std::vector<Unit*> group;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return stopping_ || !queue_.empty();
      };
      queue_mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // Stopping, and everything queued has been drained.
      size_t entries = 0;
      while (!queue_.empty() &&
             (group.empty() ||
              entries + queue_.front()->events.size() <= options_.max_group_entries)) {
        entries += queue_.front()->events.size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    ProcessGroup(std::move(group));
  }
}

absl::Status Log::StageUnit(Unit* unit, GroupStage* stage) {
  // Work on copies, so that a refused event leaves nothing of its unit in the group.
  KeyRegistry registry(&stage->registry);
  ClaimRules claims(&stage->claims);
  merkle::Frontier frontier = stage->frontier;
  int64_t last_time = stage->last_recorded_time_micros;
  const size_t entries_before = stage->batch.entries.size();
  store::CommitBatch staged;
  std::map<std::string, AppendResult> new_ids;
  std::vector<AppendResult> results;
  const bool single = unit->events.size() == 1;
  for (size_t i = 0; i < unit->events.size(); ++i) {
    const Prepared& p = unit->events[i];
    const int index = single ? -1 : static_cast<int>(i);
    const std::string& id = p.envelope->event_id();
    // Idempotency against this group, this unit, then the store.
    auto in_group = stage->ids.find(id);
    auto in_unit = new_ids.find(id);
    if (in_group != stage->ids.end() || in_unit != new_ids.end()) {
      const Hash& h = in_group != stage->ids.end() ? stage->id_hashes[id] : p.event_hash;
      if (in_unit != new_ids.end() || h != p.event_hash) {
        return WithIndex(MakeError(absl::StatusCode::kAlreadyExists, reason::kEventIdConflict,
                                   "event_id",
                                   absl::StrCat("\"", id, "\" is used twice with different bytes")),
                         index);
      }
      AppendResult r = in_group->second;
      r.duplicate = true;
      results.push_back(r);
      continue;
    }
    if (MayBeStored(p)) {
      absl::StatusOr<std::optional<AppendResult>> dup = FindDuplicate(p);
      if (!dup.ok()) return WithIndex(dup.status(), index);
      if (dup->has_value()) {
        results.push_back(**dup);
        continue;
      }
    }
    LEDGER_RETURN_IF_ERROR(WithIndex(registry.Authorize(p.event, p.envelope->key_id()), index));
    const KeyRole signer_role = registry.Find(p.envelope->key_id())->role;
    LEDGER_RETURN_IF_ERROR(
        WithIndex(claims.Authorize(p.event, p.envelope->key_id(), signer_role), index));
    const SequenceNumber seq = stage->batch.expected_tree_size + entries_before +
                               staged.entries.size();
    LEDGER_RETURN_IF_ERROR(WithIndex(KeyRegistry::CheckCompromiseWindow(p.event, seq), index));
    last_time = std::max(last_time, options_.clock->NowMicros());
    std::string leaf =
        p.batch == nullptr
            ? format::EncodeLeafData(last_time, id, p.envelope->key_id(), p.envelope->signature(),
                                     p.envelope->event())
            : format::EncodeBatchLeafData(last_time, id, p.envelope->key_id(), p.batch->batch_id,
                                          p.batch->batch_size, p.batch->index, p.batch->proof,
                                          p.envelope->signature(), p.envelope->event());
    AppendResult r;
    r.sequence = seq;
    r.recorded_time_micros = last_time;
    r.leaf_hash = merkle::HashLeaf(leaf);
    frontier.Append(r.leaf_hash, &staged.nodes);
    staged.leaf_index.emplace_back(r.leaf_hash, seq);
    staged.event_ids.emplace_back(id, store::EventIdRecord{seq, p.event_hash});
    for (auto& [key_id, record] : registry.Apply(p.event, seq)) {
      staged.keys.emplace_back(key_id, EncodeKeyRecord(record));
    }
    absl::StatusOr<std::vector<std::pair<std::string, ClaimRecord>>> claim_changes =
        claims.Apply(p.event, id, p.envelope->key_id(), seq);
    if (!claim_changes.ok()) return WithIndex(claim_changes.status(), index);
    for (auto& [claim_id, record] : *claim_changes) {
      staged.claims.emplace_back(claim_id, EncodeClaimRecord(record));
    }
    staged.entries.push_back(std::move(leaf));
    new_ids[id] = r;
    results.push_back(r);
  }
  // The unit is accepted: move its staged writes into the group.
  auto append = [](auto& to, auto& from) {
    for (auto& x : from) to.push_back(std::move(x));
  };
  append(stage->batch.entries, staged.entries);
  append(stage->batch.nodes, staged.nodes);
  append(stage->batch.leaf_index, staged.leaf_index);
  append(stage->batch.event_ids, staged.event_ids);
  append(stage->batch.keys, staged.keys);
  append(stage->batch.claims, staged.claims);
  registry.MergeIntoParent(&stage->registry);
  claims.MergeIntoParent();
  stage->frontier = std::move(frontier);
  stage->last_recorded_time_micros = last_time;
  for (auto& [id, r] : new_ids) {
    stage->ids[id] = r;
  }
  for (size_t i = 0; i < unit->events.size(); ++i) {
    stage->id_hashes[unit->events[i].envelope->event_id()] = unit->events[i].event_hash;
  }
  unit->results = std::move(results);
  return absl::OkStatus();
}

bool Log::MayBeStored(const Prepared& p) const {
  // The caller's lookup saw no entry with this id below id_absent_below; every entry committed
  // since is in recent_ids_ as long as recent_from_ is not above it.
  if (!p.id_absent_below.has_value() || *p.id_absent_below < recent_from_) return true;
  return recent_ids_.contains(p.envelope->event_id());
}

void Log::RememberCommitted(const store::CommitBatch& batch) {
  for (const auto& [id, record] : batch.event_ids) {
    recent_order_.push_back(id);
    recent_ids_.insert(recent_order_.back());
  }
  while (recent_order_.size() > options_.recent_event_ids) {
    recent_ids_.erase(recent_order_.front());
    recent_order_.pop_front();
    ++recent_from_;
  }
}

void Log::ProcessGroup(std::vector<Unit*> group) {
  store::LogHead head;
  {
    absl::MutexLock lock(&state_mu_);
    head = head_;
    if (!failed_.ok()) {
      absl::Status refused = LogStopped(failed_);
      absl::MutexLock qlock(&queue_mu_);
      for (Unit* u : group) u->status = refused, u->done = true;
      return;
    }
  }
  // registry_ is only mutated by this thread, so the overlay may read it without the lock.
  GroupStage stage(&registry_, store_.get(), frontier_, head.last_recorded_time_micros);
  stage.batch.expected_tree_size = head.tree_size;
  std::vector<Unit*> accepted;
  for (Unit* u : group) {
    absl::Status s = StageUnit(u, &stage);
    if (s.ok()) {
      accepted.push_back(u);
    } else {
      u->status = s;
    }
  }
  std::string checkpoint;
  absl::Status commit = absl::OkStatus();
  if (!stage.batch.entries.empty()) {
    if (absl::Status space = CheckFreeSpace(); !space.ok()) {
      // Refused before anything is written: not a storage failure, so no fail-stop.
      absl::MutexLock lock(&queue_mu_);
      for (Unit* u : accepted) u->status = space, u->results.clear();
      for (Unit* u : group) u->done = true;
      return;
    }
  }
  if (!stage.batch.entries.empty()) {
    const absl::Time commit_start = absl::Now();
    const TreeSize new_size = head.tree_size + stage.batch.entries.size();
    stage.batch.new_head = {new_size, stage.frontier.Root(), stage.last_recorded_time_micros};
    checkpoint = format::SignCheckpoint(
        {identity_.origin, new_size, stage.batch.new_head.root_hash}, *log_key_);
    stage.batch.checkpoint = checkpoint;
    commit = store_->Commit(stage.batch);
    if (commit.ok()) LEDGER_CRASH_POINT("after-commit-before-ack");
    if (commit.ok() && options_.on_commit) {
      options_.on_commit(stage.batch.entries.size(), absl::Now() - commit_start);
    }
    if (commit.ok() && options_.on_checkpoint) options_.on_checkpoint(checkpoint, new_size);
    if (commit.ok()) RememberCommitted(stage.batch);
    absl::MutexLock lock(&state_mu_);
    if (commit.ok()) {
      stage.registry.MergeIntoParent(&registry_);
      head_ = stage.batch.new_head;
      latest_checkpoint_ = checkpoint;
      frontier_ = std::move(stage.frontier);
    } else {
      failed_ = commit;
    }
  }
  if (checkpoint.empty()) checkpoint = LatestCheckpoint();
  absl::MutexLock lock(&queue_mu_);
  for (Unit* u : accepted) {
    if (!commit.ok()) {
      u->status = MakeError(absl::StatusCode::kUnavailable, reason::kLogStopped, "",
                            absl::StrCat("the write failed (", commit.message(),
                                         "); its outcome is unknown and the log stopped "
                                         "accepting writes: restart the server, then retry "
                                         "with the same event id"));
      u->results.clear();
    } else {
      for (AppendResult& r : u->results) {
        if (r.checkpoint.empty()) r.checkpoint = checkpoint;
      }
    }
  }
  for (Unit* u : group) u->done = true;
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

absl::StatusOr<TreeSize> Log::AppendReplicated(std::vector<std::string> leaf_datas,
                                                const std::string& checkpoint_note) {
  if (!is_follower()) {
    return absl::FailedPreconditionError("AppendReplicated is for followers only");
  }
  store::LogHead head;
  {
    absl::MutexLock lock(&state_mu_);
    if (!failed_.ok()) return LogStopped(failed_);
    head = head_;
  }
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
  // registry_ only changes on this thread (followers have no sequencer): read it unlocked.
  const store::LogStore* store = store_.get();
  EntryReplayer replayer(
      identity_.origin, &registry_,
      [store](absl::string_view id) -> absl::StatusOr<std::optional<ClaimRecord>> {
        LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store->GetClaim(id));
        if (!bytes.has_value()) return std::optional<ClaimRecord>();
        LEDGER_ASSIGN_OR_RETURN(ClaimRecord r, DecodeClaimRecord(*bytes));
        return std::optional<ClaimRecord>(r);
      },
      head.last_recorded_time_micros, /*threads=*/1);
  store::CommitBatch batch;
  batch.expected_tree_size = head.tree_size;
  batch.leaf_index.reserve(leaf_datas.size());
  batch.event_ids.reserve(leaf_datas.size());
  merkle::Frontier frontier = frontier_;
  // The rules, in log order; the first entry that breaks one ends the loop (`refused`).
  absl::Status refused;
  // Views of the ids in batch.event_ids (reserved above: its strings do not move).
  absl::flat_hash_map<absl::string_view, SequenceNumber> new_ids;
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
    frontier.Append(e->leaf_hash, &batch.nodes);
    batch.leaf_index.emplace_back(e->leaf_hash, seq);
    for (const auto& [key, r] : e->key_changes) batch.keys.emplace_back(key, EncodeKeyRecord(r));
    for (const auto& [claim, r] : e->claim_changes) {
      batch.claims.emplace_back(claim, EncodeClaimRecord(r));
    }
    last_time = e->recorded_time_micros;
  }
  // Event ids already stored, looked up together (one MultiGet): an earlier entry's duplicate
  // is reported before a later entry's broken rule, as when each entry is checked in turn.
  {
    std::vector<absl::string_view> ids;
    ids.reserve(batch.event_ids.size());
    for (const auto& [id, record] : batch.event_ids) ids.push_back(id);
    std::vector<std::optional<store::EventIdRecord>> existing;
    LEDGER_RETURN_IF_ERROR(store_->GetEventIds(ids, &existing));
    for (size_t i = 0; i < existing.size(); ++i) {
      if (!existing[i].has_value()) continue;
      return absl::DataLossError(absl::StrCat("entry ", head.tree_size + i, ": event id \"",
                                              ids[i], "\" already names entry ",
                                              existing[i]->sequence));
    }
  }
  if (!refused.ok()) return refused;
  if (frontier.Root() != checkpoint->root_hash) {
    return absl::DataLossError(absl::StrCat(
        "the leader's entries give root ", HexEncode(frontier.Root()), " at tree size ",
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
  LEDGER_RETURN_IF_ERROR(CheckFreeSpace());
  const absl::Time commit_start = absl::Now();
  absl::Status commit = store_->Commit(batch);
  absl::MutexLock lock(&state_mu_);
  if (!commit.ok()) {
    failed_ = commit;
    return LogStopped(commit);
  }
  if (options_.on_commit) options_.on_commit(batch.entries.size(), absl::Now() - commit_start);
  if (options_.on_checkpoint) options_.on_checkpoint(checkpoint_note, checkpoint->tree_size);
  replayer.keys().MergeIntoParent(&registry_);
  head_ = batch.new_head;
  frontier_ = std::move(frontier);
  latest_checkpoint_ = checkpoint_note;
  return head_.tree_size;
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
