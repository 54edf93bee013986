// The sequencer (step 2 of the pipeline, log.h): one thread takes every queued unit, stages
// the group (idempotency, key and claim rules, sequence numbers, leaves, Merkle nodes), and
// commits it with a signed checkpoint in one LogStore::Commit before answering the callers.
#include "ledger/core/log.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/claim_rules.h"
#include "ledger/core/log_internal.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/compact_range.h"

namespace ledger::core {

namespace {

using log_internal::LogStopped;
using log_internal::WithIndex;

// An event id staged in a group commit: its result, and the SHA-256 of its event bytes (a
// repetition with the same bytes is a retry; with other bytes, a conflict).
struct StagedId {
  AppendResult result;
  Hash event_hash;
};

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
  // Event ids appended in this group: id -> (result, event hash). The keys view the event ids
  // of the group's envelopes, which outlive the stage (their callers wait for the answer).
  absl::flat_hash_map<absl::string_view, StagedId> ids;
};

void Log::SubmitUnits(const std::vector<Unit*>& units) {
  std::vector<Unit*> answer;
  {
    absl::MutexLock lock(&queue_mu_);
    absl::Status refused = absl::OkStatus();
    if (!leading_.load(std::memory_order_relaxed) && !stopping_) {
      // Demoted (Log::Demote) after the caller's CheckWritable.
      refused = CheckWritable();
    } else if (stopping_) {
      refused = MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown, "",
                          "the log is shutting down; retry later");
    }
    if (!refused.ok()) {
      for (Unit* u : units) u->status = refused;
      answer = MarkDecided(units);  // not Decide: the check and the refusal are one critical section
    } else {
      // Only the units without on_decided are waited for (an async unit may be answered and
      // freed by the sequencer as soon as the lock is released).
      std::vector<Unit*> waited;
      for (Unit* u : units) {
        if (!u->on_decided) waited.push_back(u);
        queue_.push_back(u);
      }
      auto all_done = [&waited]() {
        for (Unit* u : waited) {
          if (!u->done) return false;
        }
        return true;
      };
      queue_mu_.Await(absl::Condition(&all_done));
    }
  }
  AnswerAsync(answer);
}

std::vector<Log::Unit*> Log::MarkDecided(const std::vector<Unit*>& units) {
  std::vector<Unit*> async;
  for (Unit* u : units) {
    u->done = true;
    if (u->on_decided) async.push_back(u);
  }
  return async;
}

void Log::Decide(const std::vector<Unit*>& units, const std::function<void()>& set_outcomes) {
  std::vector<Unit*> answer;
  {
    absl::MutexLock lock(&queue_mu_);
    set_outcomes();
    answer = MarkDecided(units);
  }
  AnswerAsync(answer);
}

void Log::AnswerAsync(const std::vector<Unit*>& units) {
  for (Unit* u : units) {
    // on_decided owns the unit (and so itself) from here on.
    std::function<void(Unit*)> decided = std::move(u->on_decided);
    decided(u);
  }
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
  absl::flat_hash_map<absl::string_view, StagedId> new_ids;
  std::vector<AppendResult> results;
  const bool single = unit->events.size() == 1;
  for (size_t i = 0; i < unit->events.size(); ++i) {
    const Prepared& p = unit->events[i];
    const int index = single ? -1 : static_cast<int>(i);
    const std::string& id = p.envelope->event_id();
    // Idempotency against this group, this unit, then the store.
    auto in_group = stage->ids.find(id);
    const bool in_unit = new_ids.contains(id);
    if (in_group != stage->ids.end() || in_unit) {
      if (in_unit || in_group->second.event_hash != p.event_hash) {
        return WithIndex(MakeError(absl::StatusCode::kAlreadyExists, reason::kEventIdConflict,
                                   "event_id",
                                   absl::StrCat("\"", id, "\" is used twice with different bytes")),
                         index);
      }
      AppendResult r = in_group->second.result;
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
    new_ids.emplace(id, StagedId{r, p.event_hash});
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
  stage->ids.insert(new_ids.begin(), new_ids.end());
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
  if (options_.before_group) options_.before_group(Head().tree_size);
  store::LogHead head;
  absl::Status refused = absl::OkStatus();
  {
    absl::MutexLock lock(&state_mu_);
    head = head_;
    if (!failed_.ok()) refused = LogStopped(failed_);
  }
  if (!refused.ok()) {
    Decide(group, [&] {
      for (Unit* u : group) u->status = refused;
    });
    return;
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
      Decide(group, [&] {
        for (Unit* u : accepted) u->status = space, u->results.clear();
      });
      return;
    }
  }
  if (!stage.batch.entries.empty()) {
    const absl::Time commit_start = absl::Now();
    const TreeSize new_size = head.tree_size + stage.batch.entries.size();
    stage.batch.new_head = {new_size, stage.frontier.Root(), stage.last_recorded_time_micros};
    {
      // Demote clears the key only after this thread stopped; the lock is for its annotation.
      absl::MutexLock key_lock(&key_mu_);
      checkpoint = format::SignCheckpoint(
          {identity_.origin, new_size, stage.batch.new_head.root_hash}, *log_key_);
    }
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
  Decide(group, [&] {
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
  });
}

}  // namespace ledger::core
