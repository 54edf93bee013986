// Admission of appends, in the callers' threads (step 1 of the pipeline, log.h): parsing and
// checks, idempotency lookups, signature verification (in parallel on checkers_), and the
// assembly of requests and signed batches into the units the sequencer (sequencer.cc) commits.
#include "ledger/core/log.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/limits.h"
#include "ledger/core/log_internal.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/compact_range.h"

namespace ledger::core {

namespace {

using log_internal::LogStopped;
using log_internal::WithIndex;

}  // namespace

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

void Log::AppendAsync(const ledger::v1::SignedEvent& envelope, AppendCallback done) {
  std::vector<Checked> checked = CheckAll({&envelope}, /*indexed=*/false);
  Checked& c = checked.front();
  if (!c.status.ok()) return done(c.status);
  if (c.duplicate.has_value()) return done(*std::move(c.duplicate));
  auto unit = std::make_unique<Unit>();
  unit->events.push_back(std::move(c.prepared));
  unit->on_decided = [done = std::move(done)](Unit* u) {
    std::unique_ptr<Unit> owned(u);
    if (!u->status.ok()) return done(u->status);
    done(std::move(u->results.front()));
  };
  SubmitUnits({unit.release()});
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
  if (leading_.load(std::memory_order_acquire)) return absl::OkStatus();
  std::string leader;
  {
    absl::MutexLock lock(&key_mu_);
    leader = leader_hint_;
  }
  return WithLeaderHint(
      MakeError(absl::StatusCode::kFailedPrecondition, reason::kNotLeader, "",
                absl::StrCat("this server is a read-only follower",
                             leader.empty() ? "" : " of ", leader,
                             "; send appends to the leader")),
      leader);
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

// The RFC 6962 tree hash of items[begin, end) (end > begin), appending to the proof of each of
// those items the hashes of its path that lie in that range: called on the whole batch, every
// member's proof is its RFC 6962 inclusion proof PATH(i, D[0:n]) (docs/format.md §11), lowest
// sibling first, as merkle::InclusionProof gives it.
Hash BatchTree(const std::vector<Hash>& items, size_t begin, size_t end,
               std::vector<BatchMember>* members) {
  if (end - begin == 1) return items[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;  // the largest power of two below the size
  const Hash left = BatchTree(items, begin, begin + k, members);
  const Hash right = BatchTree(items, begin + k, end, members);
  for (size_t i = begin; i < end; ++i) {
    const Hash& sibling = i < begin + k ? right : left;
    (*members)[i].proof.append(AsStringView(sibling).data(), sibling.size());
  }
  return merkle::HashChildren(left, right);
}

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
  // The batch tree over the items, and each item's membership proof (in one pass).
  std::vector<Hash> items;
  items.reserve(n);
  for (const auto& e : batch.events()) {
    items.push_back(merkle::HashLeaf(format::BatchItem(e.event_id(), e.event())));
  }
  std::vector<BatchMember> members(n);
  const Hash batch_root = BatchTree(items, 0, n, &members);
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
                                      static_cast<uint32_t>(n), batch_root),
            batch.signature())) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kSignatureInvalid, "signature",
                       absl::StrCat("does not verify under key ",
                                    HexEncode(batch.key_id().substr(0, 8)),
                                    "… over the batch signing input for origin \"",
                                    identity_.origin, "\" and these events in this order"));
    }
  }
  std::vector<ledger::v1::SignedEvent> envelopes(n);
  Unit unit;
  unit.events.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& e = batch.events(static_cast<int>(i));
    envelopes[i].set_version(format::kSignedEventVersion1);
    envelopes[i].set_event_id(e.event_id());
    envelopes[i].set_event(e.event());
    envelopes[i].set_key_id(batch.key_id());
    envelopes[i].set_signature(batch.signature());
    LEDGER_ASSIGN_OR_RETURN(Prepared p, Prepare(envelopes[i], static_cast<int>(i)));
    members[i].batch_id = batch.batch_id();
    members[i].batch_size = static_cast<uint32_t>(n);
    members[i].index = static_cast<uint32_t>(i);
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

}  // namespace ledger::core
