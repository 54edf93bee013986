#include "ledger/views/claim_state_map.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/logging.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/views/view_schema.h"

namespace ledger::views {

namespace {

std::string ViewPrefixOfState() {
  return schema::ViewPrefix(schema::ViewTag::kClaimState, kClaimStateView);
}

}  // namespace

ClaimStateMap::ClaimStateMap(ViewStore* store, ClaimStateMapOptions options)
    : store_(store),
      options_(std::move(options)),
      watermark_key_(schema::WatermarkKey(ViewPrefixOfState())),
      map_(std::make_unique<merkle::StateMap>()) {}

absl::StatusOr<std::unique_ptr<ClaimStateMap>> ClaimStateMap::Attach(
    ViewEngine* engine, ClaimStateMapOptions options) {
  if (!options.checkpoint_at) {
    return absl::InvalidArgumentError("ClaimStateMapOptions.checkpoint_at is required");
  }
  std::unique_ptr<ClaimStateMap> map(new ClaimStateMap(engine->mutable_store(), std::move(options)));
  ClaimStateMap* raw = map.get();
  LEDGER_RETURN_IF_ERROR(
      engine->AddListener(raw, [raw](const ViewStore& store) { return raw->Load(store); }));
  raw->committer_ = std::thread([raw, nice = engine->thread_nice()] {
    LowerCurrentThreadPriority(nice);
    raw->Run();
  });
  return map;
}

ClaimStateMap::~ClaimStateMap() {
  {
    absl::MutexLock lock(&pending_mu_);
    stop_ = true;
  }
  if (committer_.joinable()) committer_.join();
}

absl::Status ClaimStateMap::Load(const ViewStore& store) {
  const std::string prefix = ViewPrefixOfState();
  TreeSize watermark = 0;
  std::vector<merkle::MapLeaf> leaves;
  absl::Status decode;
  LEDGER_RETURN_IF_ERROR(store.Scan(
      prefix, schema::PrefixSuccessor(prefix), [&](absl::string_view key, absl::string_view value) {
        if (key == watermark_key_) {
          absl::StatusOr<uint64_t> w = schema::DecodeU64(value, "claim_state watermark");
          if (!w.ok()) {
            decode = w.status();
            return false;
          }
          watermark = *w;
          return true;
        }
        merkle::MapLeaf leaf;
        absl::StatusOr<StateRecord> r = DecodeStateRecord(value);
        if (!DecodeStateRecordKey(key, &leaf.key) || !r.ok()) {
          decode = absl::DataLossError("claim_state view holds a malformed record");
          return false;
        }
        leaf.value = r->state;
        leaves.push_back(leaf);
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode);
  absl::MutexLock lock(&pending_mu_);
  pending_.push_back(Pending{watermark, std::move(leaves)});
  return absl::OkStatus();
}

void ClaimStateMap::OnWritten(const ViewBatch& batch) {
  Pending p;
  bool ours = false;
  batch.ForEach([&](absl::string_view key, const absl::string_view* value) {
    if (value == nullptr) return;
    merkle::MapLeaf leaf;
    if (key == watermark_key_) {
      absl::StatusOr<uint64_t> w = schema::DecodeU64(*value, "claim_state watermark");
      if (w.ok()) {
        p.end = *w;
        ours = true;
      }
      return;
    }
    if (!DecodeStateRecordKey(key, &leaf.key)) return;
    absl::StatusOr<StateRecord> r = DecodeStateRecord(*value);
    if (!r.ok()) return;  // the projection wrote it; it decodes
    leaf.value = r->state;
    p.changes.push_back(leaf);
  });
  if (!ours) return;
  absl::MutexLock lock(&pending_mu_);
  pending_.push_back(std::move(p));
}

void ClaimStateMap::OnCleared() {
  absl::MutexLock commit_lock(&commit_mu_);
  {
    absl::MutexLock lock(&pending_mu_);
    pending_.clear();
    ++generation_;
  }
  absl::MutexLock lock(&map_mu_);
  map_ = std::make_unique<merkle::StateMap>();
  committed_ = false;
  committed_size_ = 0;
  committed_note_.clear();
}

void ClaimStateMap::Run() {
  SetCurrentThreadName("state-map");
  for (;;) {
    {
      absl::MutexLock lock(&pending_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending_mu_) {
        return stop_ || (!pending_.empty() &&
                         absl::Now() >= last_commit_ + options_.commit_interval);
      };
      pending_mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(50));
      if (stop_) return;
      if (!ready()) continue;
    }
    absl::Status s = CommitPending(/*ignore_interval=*/false);
    if (!s.ok()) {
      // Retried at the next interval; proofs stay against the previous commitment meanwhile.
      LogEvent(LogLevel::kWarning, "the claim-state map could not be committed; retrying",
               {{"error", std::string(s.message())}});
      absl::MutexLock lock(&pending_mu_);
      last_commit_ = absl::Now();
    }
  }
}

absl::Status ClaimStateMap::CommitNow() { return CommitPending(/*ignore_interval=*/true); }

absl::Status ClaimStateMap::CommitPending(bool ignore_interval) {
  absl::MutexLock commit_lock(&commit_mu_);
  std::vector<Pending> taken;
  uint64_t generation;
  {
    absl::MutexLock lock(&pending_mu_);
    if (pending_.empty()) return absl::OkStatus();
    if (!ignore_interval && absl::Now() < last_commit_ + options_.commit_interval) {
      return absl::OkStatus();
    }
    taken.swap(pending_);
    generation = generation_;
  }
  // The last batch that ended at a size the log holds a checkpoint for.
  std::optional<std::string> checkpoint;
  size_t upto = taken.size();
  for (size_t i = taken.size(); i-- > 0;) {
    if (taken[i].end == 0) continue;
    absl::StatusOr<std::optional<std::string>> cp = options_.checkpoint_at(taken[i].end);
    if (!cp.ok()) {
      absl::MutexLock lock(&pending_mu_);
      if (generation_ == generation) {
        taken.insert(taken.end(), std::make_move_iterator(pending_.begin()),
                     std::make_move_iterator(pending_.end()));
        pending_ = std::move(taken);
      }
      return cp.status();
    }
    if (cp->has_value()) {
      checkpoint = std::move(*cp);
      upto = i + 1;
      break;
    }
  }
  if (!checkpoint.has_value()) {
    absl::MutexLock lock(&pending_mu_);
    last_commit_ = absl::Now();  // try again after an interval, not in a loop
    if (generation_ == generation) {
      taken.insert(taken.end(), std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.end()));
      pending_ = std::move(taken);
    }
    return absl::OkStatus();
  }
  const TreeSize size = taken[upto - 1].end;
  {
    // Put back what follows the commit point, before anything newer.
    absl::MutexLock lock(&pending_mu_);
    if (generation_ != generation) return absl::OkStatus();  // cleared meanwhile
    std::vector<Pending> rest(std::make_move_iterator(taken.begin() + upto),
                              std::make_move_iterator(taken.end()));
    rest.insert(rest.end(), std::make_move_iterator(pending_.begin()),
                std::make_move_iterator(pending_.end()));
    pending_ = std::move(rest);
    taken.resize(upto);
    last_commit_ = absl::Now();
  }
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(*checkpoint);
  if (!cp.ok()) {
    return absl::DataLossError(absl::StrCat("the log's checkpoint at ", size,
                                            " does not parse: ", cp.status().message()));
  }
  Hash root;
  {
    absl::MutexLock lock(&map_mu_);
    for (const Pending& p : taken) {
      for (const merkle::MapLeaf& leaf : p.changes) map_->Set(leaf.key, leaf.value);
    }
    root = map_->Commit();
  }
  format::MapCheckpoint mc;
  mc.checkpoint = *cp;
  mc.map_root = root;
  std::string note = options_.sign ? options_.sign(mc) : std::string();
  ViewBatch record;
  record.Put(schema::MetaMapCommitKey(size), std::string(AsStringView(root)));
  LEDGER_CRASH_POINT("state-map-before-record");
  LEDGER_RETURN_IF_ERROR(store_->Write(record));
  absl::MutexLock lock(&map_mu_);
  committed_ = true;
  committed_size_ = size;
  committed_note_ = std::move(note);
  return absl::OkStatus();
}

TreeSize ClaimStateMap::CommittedSize() const {
  absl::MutexLock lock(&map_mu_);
  return committed_ ? committed_size_ : 0;
}

absl::StatusOr<StateProofAnswer> ClaimStateMap::Prove(const StateSubject& subject) const {
  StateProofAnswer a;
  a.map_key = StateMapKey(subject.kind, subject.id);
  absl::ReaderMutexLock lock(&map_mu_);
  if (!audit_failure_.ok()) return audit_failure_;
  if (!committed_) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kMapNotCommitted, "",
                     "the claim-state map has no commitment yet (the views are loading or "
                     "catching up); retry in a few seconds");
  }
  a.tree_size = committed_size_;
  a.map_checkpoint = committed_note_;
  a.map_root = map_->Root();
  a.state = map_->Get(a.map_key);
  a.proof = map_->Prove(a.map_key);
  return a;
}

absl::StatusOr<std::vector<MapCommit>> ClaimStateMap::ListCommits(TreeSize from,
                                                                  size_t limit) const {
  std::vector<MapCommit> out;
  const std::string prefix = schema::MetaMapCommitPrefix();
  absl::Status decode;
  LEDGER_RETURN_IF_ERROR(store_->Scan(
      schema::MetaMapCommitKey(from), schema::PrefixSuccessor(prefix),
      [&](absl::string_view key, absl::string_view value) {
        if (out.size() >= limit) return false;
        absl::StatusOr<uint64_t> size = schema::DecodeU64(key.substr(prefix.size()), "map commit");
        if (!size.ok() || value.size() != 32) {
          decode = absl::DataLossError("a recorded map commitment is malformed");
          return false;
        }
        out.push_back(MapCommit{*size, HashFromBytes(value)});
        return true;
      }));
  LEDGER_RETURN_IF_ERROR(decode);
  return out;
}

absl::StatusOr<std::string> ClaimStateMap::NoteFor(const MapCommit& commit) const {
  if (!options_.sign) return std::string();
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> note, options_.checkpoint_at(commit.tree_size));
  if (!note.has_value()) {
    return absl::DataLossError(absl::StrCat("a map commitment is recorded at tree size ",
                                            commit.tree_size, " but the log holds no checkpoint there"));
  }
  LEDGER_ASSIGN_OR_RETURN(format::Checkpoint cp, format::ParseCheckpointUnverified(*note));
  return options_.sign(format::MapCheckpoint{cp, commit.map_root});
}

absl::StatusOr<Hash> ClaimStateMap::CommittedRootAt(TreeSize tree_size) const {
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> v,
                          store_->Get(schema::MetaMapCommitKey(tree_size)));
  if (!v.has_value() || v->size() != 32) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "tree_size",
                     absl::StrCat("no claim-state map commitment at tree size ", tree_size));
  }
  return HashFromBytes(*v);
}

void ClaimStateMap::SetAuditFailure(absl::Status failure) {
  absl::MutexLock lock(&map_mu_);
  audit_failure_ = std::move(failure);
}

size_t ClaimStateMap::MemoryBytes() const {
  absl::ReaderMutexLock lock(&map_mu_);
  return map_->MemoryBytes();
}

}  // namespace ledger::views
