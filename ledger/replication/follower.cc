#include "ledger/replication/follower.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/logging.h"
#include "ledger/base/thread_name.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/verify.h"

namespace ledger::replication {
namespace {

int64_t RecordedTime(absl::string_view leaf_data) {
  absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf_data);
  return view.ok() ? view->recorded_time_micros : 0;
}

// The size a note claims, for the evidence of a note that does not verify (0 when unreadable).
TreeSize ClaimedSize(const std::string& note) {
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
  return cp.ok() ? cp->tree_size : 0;
}

}  // namespace

absl::string_view ForkKindName(ForkKind kind) {
  switch (kind) {
    case ForkKind::kNone: return "NONE";
    case ForkKind::kForkSameSize: return "FORK_SAME_SIZE";
    case ForkKind::kForkInconsistent: return "FORK_INCONSISTENT";
    case ForkKind::kLeaderRollback: return "LEADER_ROLLBACK";
    case ForkKind::kUnknownCheckpointKey: return "UNKNOWN_CHECKPOINT_KEY";
    case ForkKind::kBadEntries: return "BAD_ENTRIES";
  }
  return "UNKNOWN";
}

absl::string_view FollowerStateName(FollowerState state) {
  switch (state) {
    case FollowerState::kStarting: return "STARTING";
    case FollowerState::kCatchingUp: return "CATCHING_UP";
    case FollowerState::kCaughtUp: return "CAUGHT_UP";
    case FollowerState::kRetrying: return "RETRYING";
    case FollowerState::kStopped: return "STOPPED";
  }
  return "UNKNOWN";
}

Follower::Follower(core::Log* log, EntrySource* source, FollowerOptions options)
    : log_(log),
      source_(source),
      options_(std::move(options)),
      verifier_{log->identity().origin, log->identity().log_public_key} {
  {
    absl::MutexLock lock(&mu_);
    status_.tree_size = log_->Head().tree_size;
  }
  if (options_.receipts != nullptr) {
    // Receipts stored before this Follower existed (a crash) are applied first; the frontier of
    // the log then starts the received tree.
    absl::StatusOr<uint64_t> applied = ApplyStoredReceipts(options_.receipts, log_);
    const store::LogStore* store = &log_->store();
    absl::StatusOr<merkle::Frontier> frontier =
        applied.ok() ? merkle::Frontier::Load(log_->Head().tree_size,
                                              [store](merkle::NodeId id) {
                                                return store->GetNode(id);
                                              })
                     : absl::StatusOr<merkle::Frontier>(applied.status());
    if (frontier.ok()) {
      received_ = *std::move(frontier);
      received_size_.store(received_.size());
    } else {
      (void)HaltLocal(frontier.status());
    }
    apply_thread_ = std::thread([this] {
      SetCurrentThreadName("follower-apply");
      ApplyLoop();
    });
  }
  fetch_thread_ = std::thread([this] {
    SetCurrentThreadName("follower-fetch");
    FetchLoop();
  });
}

Follower::~Follower() {
  Stop();
  {
    absl::MutexLock lock(&fetch_mu_);
    fetch_stopping_ = true;
  }
  fetch_thread_.join();
}

void Follower::FetchLoop() {
  // Condition argument: this follower and the most entries fetched ahead.
  std::pair<Follower*, size_t> arg(this, 2 * std::max<size_t>(options_.max_chunk_entries, 1));
  for (;;) {
    SequenceNumber from;
    size_t want;
    {
      absl::MutexLock lock(&fetch_mu_);
      fetch_mu_.Await(absl::Condition(
          +[](std::pair<Follower*, size_t>* arg) {
            Follower* f = arg->first;
            f->fetch_mu_.AssertHeld();
            return f->fetch_stopping_ || (f->fetch_active_ && f->fetch_next_ < f->fetch_end_ &&
                                          f->fetched_entries_ < arg->second);
          },
          &arg));
      if (fetch_stopping_) return;
      from = fetch_next_;
      want = static_cast<size_t>(
          std::min<TreeSize>(std::max<size_t>(options_.page_entries, 1), fetch_end_ - from));
      fetch_busy_ = true;
    }
    absl::StatusOr<EntryBatch> page = source_->Entries(Position(), from, want);
    absl::MutexLock lock(&fetch_mu_);
    fetch_busy_ = false;
    if (!fetch_active_ || fetch_next_ != from) continue;  // stopped meanwhile: dropped
    if (!page.ok() || page->leaf_datas.empty()) {
      fetch_active_ = false;  // the taker reports it; nothing more is fetched
    } else {
      if (page->leaf_datas.size() > want) page->leaf_datas.resize(want);
      fetch_next_ += page->leaf_datas.size();
      fetched_entries_ += page->leaf_datas.size();
    }
    fetched_.push_back(std::move(page));
  }
}

void Follower::StartFetching(SequenceNumber from, TreeSize end) {
  absl::MutexLock lock(&fetch_mu_);
  fetch_active_ = true;
  fetch_next_ = from;
  fetch_end_ = end;
}

absl::StatusOr<EntryBatch> Follower::TakePage() {
  absl::MutexLock lock(&fetch_mu_);
  fetch_mu_.Await(absl::Condition(
      +[](Follower* f) {
        f->fetch_mu_.AssertHeld();
        return !f->fetched_.empty();
      },
      this));
  absl::StatusOr<EntryBatch> page = std::move(fetched_.front());
  fetched_.pop_front();
  if (page.ok()) fetched_entries_ -= page->leaf_datas.size();
  return page;
}

void Follower::StopFetching() {
  absl::MutexLock lock(&fetch_mu_);
  fetch_active_ = false;
  fetch_mu_.Await(absl::Condition(
      +[](Follower* f) {
        f->fetch_mu_.AssertHeld();
        return !f->fetch_busy_;
      },
      this));
  fetched_.clear();
  fetched_entries_ = 0;
}

FollowerStatus Follower::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

FollowerPosition Follower::Position() const { return {options_.follower_id, HeldSize()}; }

void Follower::Start() {
  thread_ = std::thread([this] {
    SetCurrentThreadName("follower");
    Loop();
  });
}

void Follower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (apply_thread_.joinable()) {
    {
      absl::MutexLock lock(&apply_mu_);
      apply_stopping_ = true;
    }
    apply_thread_.join();
  }
}

TreeSize Follower::HeldSize() const {
  return options_.receipts != nullptr ? received_size_.load() : log_->Head().tree_size;
}

void Follower::WaitApplied() {
  absl::MutexLock lock(&apply_mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_) {
    return queue_.empty() || apply_failed_;
  };
  apply_mu_.Await(absl::Condition(&done));
}

void Follower::ApplyLoop() {
  // Receipts are staged in order (Log::StageReplicated: the next one is checked and verified
  // while the one before it commits). `committing` is the staged one not yet known to be
  // committed, always queue_.front(); it is removed once committed: when the next one has been
  // handed over (StageReplicated waits for the commit before), or when nothing more is queued
  // (WaitReplicated).
  Receipt* committing = nullptr;
  // Removes the committed front receipt from the store and the queue.
  auto finish = [this](Receipt* receipt) {
    const size_t count = receipt->leaf_datas.size();
    LEDGER_CRASH_POINT("receipt-applied-before-remove");
    // A removal lost to a crash is found again, already applied, by ApplyStoredReceipts.
    (void)options_.receipts->Remove(receipt->from);
    {
      absl::MutexLock lock(&mu_);
      status_.entries_applied += count;
    }
    Publish(std::nullopt);  // the applied size, in the round's state (before WaitApplied ends)
    absl::MutexLock lock(&apply_mu_);
    queued_entries_ -= count;
    queue_.pop_front();
  };
  auto fail = [this]() {
    absl::MutexLock lock(&apply_mu_);
    apply_failed_ = true;
    queue_.clear();
    queued_entries_ = 0;
  };
  // Waits for the commit of `committing` and finishes it; false (halted) when it failed.
  auto finish_committing = [&]() {
    if (absl::Status committed = log_->WaitReplicated(); !committed.ok()) {
      (void)HaltLocal(committed);
      fail();
      return false;
    }
    finish(committing);
    committing = nullptr;
    return true;
  };
  for (;;) {
    Receipt* receipt = nullptr;
    {
      absl::MutexLock lock(&apply_mu_);
      if (committing == nullptr) {
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_) {
          return !queue_.empty() || apply_stopping_;
        };
        apply_mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // stopping, and everything taken is applied
      }
      // Only this thread pops; deque references stay valid while others push.
      const size_t at = committing == nullptr ? 0 : 1;
      if (queue_.size() > at) receipt = &queue_[at];
    }
    if (receipt == nullptr) {
      // Nothing more queued. While the one staged is being committed, a receipt that comes is
      // taken at once (checked during that commit); else the commit is waited for and the
      // receipt finished.
      bool next_queued = false;
      while (!next_queued && log_->ReplicatedPending()) {
        absl::MutexLock lock(&apply_mu_);
        auto more = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_) {
          return queue_.size() > 1 || apply_stopping_;
        };
        apply_mu_.AwaitWithTimeout(absl::Condition(&more), absl::Milliseconds(1));
        if (apply_stopping_) break;
        next_queued = queue_.size() > 1;
      }
      if (next_queued) continue;
      if (!finish_committing()) return;
      continue;
    }
    absl::StatusOr<TreeSize> staged;
    for (int attempt = 0;; ++attempt) {
      staged = log_->StageReplicated(receipt->leaf_datas, receipt->checkpoint_note);
      // A full disk: wait for room (the receipt is durable; nothing is lost meanwhile).
      if (!absl::IsResourceExhausted(staged.status()) || attempt == 50) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    if (staged.ok()) {
      if (committing != nullptr) finish(committing);  // committed before `receipt` was taken
      committing = receipt;
      continue;
    }
    // Refused: the receipt before it (verified) is committed first, or its commit failed.
    if (committing != nullptr && !finish_committing()) return;
    // The root was checked when the receipt was taken, so what the log refuses here is the
    // leader's entries themselves (a rule, a signature), not a fork.
    if (absl::IsDataLoss(staged.status())) {
      (void)Halt(ForkKind::kBadEntries,
                 absl::StrCat("the leader's entries [", receipt->from, ", ", receipt->end(),
                              ") were refused: ", staged.status().message()),
                 receipt->checkpoint_note, receipt->end());
    } else {
      (void)HaltLocal(staged.status());
    }
    fail();
    return;
  }
}

void Follower::Loop() {
  absl::Duration backoff = options_.min_backoff;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const absl::Time start = absl::Now();
    const TreeSize size_before = HeldSize();
    const Round round = RunOnce();
    if (round == Round::kStopped) return;
    absl::Duration wait;
    if (round == Round::kRetry) {
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else if (HeldSize() != size_before) {
      // The leader is growing: ask again at once (its long poll answers as soon as it grows).
      backoff = options_.min_backoff;
      wait = absl::ZeroDuration();
    } else {
      backoff = options_.min_backoff;
      wait = options_.idle_delay - (absl::Now() - start);
    }
    if (wait > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    }
  }
}

Follower::Round Follower::RunOnce() {
  {
    absl::MutexLock lock(&mu_);
    if (halted_) return Round::kStopped;
  }
  // Only this thread grows the log (or, with receipts, the received tree), so the head stays
  // put during the round.
  store::LogHead head = log_->Head();
  if (options_.receipts != nullptr) {
    head.tree_size = received_.size();
    head.root_hash = received_.Root();
  }
  absl::StatusOr<std::string> note =
      source_->LatestCheckpoint(Position(), options_.wait_for_growth);
  if (!note.ok()) return Retry(note.status());
  const int64_t fetched_micros = options_.clock->NowMicros();
  {
    absl::MutexLock lock(&mu_);
    status_.last_contact_micros = fetched_micros;
  }
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(*note, verifier_);
  if (!cp.ok()) {
    return Halt(ForkKind::kUnknownCheckpointKey,
                absl::StrCat("the leader's latest checkpoint does not verify with the configured "
                             "log key ",
                             format::NoteVerifierKey(verifier_.name, verifier_.public_key), ": ",
                             cp.status().message()),
                *note, ClaimedSize(*note));
  }
  {
    absl::MutexLock lock(&mu_);
    status_.leader_tree_size = cp->tree_size;
    leader_fetch_micros_ = fetched_micros;
  }
  if (cp->tree_size == head.tree_size) {
    if (cp->root_hash != head.root_hash) {
      return Halt(ForkKind::kForkSameSize,
                  absl::StrCat("the leader signed root ", HexEncode(cp->root_hash),
                               " for tree size ", cp->tree_size, "; the follower holds root ",
                               HexEncode(head.root_hash)),
                  *note, cp->tree_size);
    }
    if (head.tree_size == 0 && log_->LatestCheckpoint().empty()) {
      // An empty follower stores the leader's signed empty tree, so that it serves it too.
      std::optional<Round> failed = Apply({}, *note, *cp);
      if (failed.has_value()) return *failed;
      if (absl::Status committed = log_->WaitReplicated(); !committed.ok()) {
        return HaltLocal(committed);
      }
    }
    Publish(FollowerState::kCaughtUp);
    return Round::kCaughtUp;
  }
  if (cp->tree_size < head.tree_size) {
    if (options_.receipts != nullptr) {
      WaitApplied();  // the nodes of the received entries are stored once they are applied
      {
        absl::MutexLock lock(&mu_);
        if (halted_) return Round::kStopped;
      }
    }
    const store::LogStore* store = &log_->store();
    absl::StatusOr<Hash> local_root = merkle::RootAt(
        cp->tree_size, [store](merkle::NodeId id) { return store->GetNode(id); });
    if (!local_root.ok()) return HaltLocal(local_root.status());
    if (*local_root != cp->root_hash) {
      return Halt(ForkKind::kForkSameSize,
                  absl::StrCat("the leader's latest checkpoint has tree size ", cp->tree_size,
                               " (the follower holds ", head.tree_size, ") and root ",
                               HexEncode(cp->root_hash), "; the follower's root at that size is ",
                               HexEncode(*local_root)),
                  *note, cp->tree_size);
    }
    return Halt(ForkKind::kLeaderRollback,
                absl::StrCat("the leader's latest checkpoint has tree size ", cp->tree_size,
                             ", but the follower already verified and holds ", head.tree_size,
                             " entries (same root at ", cp->tree_size,
                             "): the leader lost or removed entries"),
                *note, cp->tree_size);
  }
  // With receipts the proof is not asked for here: every chunk's root is recomputed from the
  // tree held before it is taken, and only a chunk refused then asks for it (Refused), to tell
  // a fork from bad entries. That saves a round trip per round on the quorum's path.
  if (head.tree_size > 0 && options_.receipts == nullptr) {
    // RFC 6962 proofs start at size 1: every tree is consistent with the empty one.
    absl::StatusOr<std::vector<Hash>> proof =
        source_->ConsistencyProof(head.tree_size, cp->tree_size);
    if (!proof.ok()) return Retry(proof.status());
    absl::Status consistent = merkle::VerifyConsistency(head.tree_size, cp->tree_size,
                                                        head.root_hash, cp->root_hash, *proof);
    if (!consistent.ok()) {
      return Halt(ForkKind::kForkInconsistent,
                  absl::StrCat("the leader's checkpoint for tree size ", cp->tree_size,
                               " is not consistent with the follower's tree of size ",
                               head.tree_size, " (root ", HexEncode(head.root_hash),
                               "): ", consistent.message()),
                  *note, cp->tree_size);
    }
  }
  Publish(FollowerState::kCatchingUp);
  return CatchUp(Target{*cp, *note});
}

Follower::Round Follower::CatchUp(const Target& target) {
  const TreeSize end = target.checkpoint.tree_size;
  TreeSize base = HeldSize();
  TreeSize next = base;
  std::vector<std::string> pending;              // entries [base, next)
  std::map<TreeSize, std::string> checkpoints;   // the leader's, sizes in (base, end)
  // Pages are fetched ahead, while chunks are verified and committed; without receipts a chunk
  // is checked and verified while the one before it is committed (Log::StageReplicated). Every
  // return below happens with fetching stopped and every staged chunk committed.
  auto done = [this](Round round) {
    StopFetching();
    if (options_.receipts != nullptr) return round;  // the apply thread stages and commits
    if (absl::Status committed = log_->WaitReplicated();
        !committed.ok() && round != Round::kStopped) {
      return HaltLocal(committed);
    }
    // `round` may have published its state before the last staged chunk was committed.
    Publish(std::nullopt);
    return round;
  };
  StartFetching(next, end);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return done(Round::kRetry);
    }
    if (next == end) {
      std::optional<Round> failed = Deliver(std::move(pending), target.note, end);
      if (failed.has_value()) return done(*failed);
      if (options_.receipts == nullptr) {
        if (absl::Status committed = log_->WaitReplicated(); !committed.ok()) {
          return done(HaltLocal(committed));
        }
      }
      Publish(FollowerState::kCaughtUp);
      return done(Round::kCaughtUp);
    }
    if (pending.size() >= options_.max_chunk_entries && !checkpoints.empty()) {
      // End the chunk at the largest stored checkpoint within max_chunk_entries, else at the
      // first one after (the map holds sizes in (base, next] only). Without any, fetch on to
      // the next checkpoint the leader stored.
      auto it = checkpoints.upper_bound(base + options_.max_chunk_entries);
      if (it != checkpoints.begin()) --it;
      const TreeSize size = it->first;
      const std::string note = it->second;
      const auto split = pending.begin() + static_cast<ptrdiff_t>(size - base);
      std::vector<std::string> chunk(std::make_move_iterator(pending.begin()),
                                     std::make_move_iterator(split));
      pending.erase(pending.begin(), split);
      checkpoints.erase(checkpoints.begin(), std::next(it));
      std::optional<Round> failed = Deliver(std::move(chunk), note, size);
      if (failed.has_value()) return done(*failed);
      base = size;
      Publish(FollowerState::kCatchingUp, pending.empty() ? 0 : RecordedTime(pending.front()));
      continue;
    }
    const size_t want = static_cast<size_t>(std::min<TreeSize>(options_.page_entries, end - next));
    absl::StatusOr<EntryBatch> batch = TakePage();
    if (!batch.ok()) return done(Retry(batch.status()));
    if (batch->leaf_datas.empty()) {
      return done(Retry(absl::UnavailableError(
          absl::StrCat("the leader sent no entries from sequence ", next,
                       " although its checkpoint has tree size ", end))));
    }
    if (batch->leaf_datas.size() > want) batch->leaf_datas.resize(want);
    const TreeSize got = batch->leaf_datas.size();
    for (auto& [size, note] : batch->checkpoints) {
      // Only sizes inside this page and before the target; a mislabelled note is ignored (it
      // could only end a chunk early, and StageReplicated verifies it anyway).
      if (size <= next || size > next + got || size >= end) continue;
      if (ClaimedSize(note) != size) continue;
      checkpoints[size] = std::move(note);
    }
    for (std::string& leaf : batch->leaf_datas) pending.push_back(std::move(leaf));
    next += got;
    Publish(FollowerState::kCatchingUp, RecordedTime(pending.front()));
  }
}

std::optional<Follower::Round> Follower::Apply(std::vector<std::string> leaf_datas,
                                               const std::string& note,
                                               const format::Checkpoint& cp) {
  // The tree the chunk extends: the chunk staged before it may still be being committed.
  const store::LogHead before = log_->StagedHead();
  const TreeSize size = cp.tree_size;
  const size_t count = leaf_datas.size();
  LEDGER_CRASH_POINT("follower-before-apply");
  absl::StatusOr<TreeSize> applied = log_->StageReplicated(std::move(leaf_datas), note);
  if (applied.ok()) {
    LEDGER_CRASH_POINT("follower-after-apply");
    absl::MutexLock lock(&mu_);
    status_.entries_applied += count;
    return std::nullopt;
  }
  if (absl::IsDataLoss(applied.status())) {
    // Either the checkpoint is not consistent with what the follower holds (a fork), or it is
    // and the leader's entries do not match its own checkpoint (or break a rule).
    return Refused(before.tree_size, before.root_hash, note, cp.root_hash, size,
                   applied.status().message());
  }
  if (absl::IsResourceExhausted(applied.status())) return Retry(applied.status());  // disk full
  return HaltLocal(applied.status());
}

Follower::Round Follower::Refused(TreeSize before_size, const Hash& before_root,
                                  const std::string& note, const Hash& root, TreeSize size,
                                  absl::string_view why_refused) {
  StopFetching();  // the source is asked below
  // Without receipts, the chunks before the refused one were verified: they are committed
  // before the evidence names the follower's head (a commit that failed stops the log; the
  // finding stands). With receipts the apply thread alone stages and commits.
  if (options_.receipts == nullptr) (void)log_->WaitReplicated();
  std::string why;
  if (before_size > 0) {
    absl::StatusOr<std::vector<Hash>> proof = source_->ConsistencyProof(before_size, size);
    if (!proof.ok()) {
      why = absl::StrCat("; the leader gave no consistency proof from ", before_size, " (",
                         proof.status().message(), ")");
    } else if (absl::Status s =
                   merkle::VerifyConsistency(before_size, size, before_root, root, *proof);
               !s.ok()) {
      return Halt(ForkKind::kForkInconsistent,
                  absl::StrCat("the leader's checkpoint for tree size ", size,
                               " is not consistent with the follower's tree of size ",
                               before_size, ": ", s.message(), "; its entries: ", why_refused),
                  note, size);
    }
  }
  return Halt(ForkKind::kBadEntries,
              absl::StrCat("the leader's entries [", before_size, ", ", size,
                           ") were refused: ", why_refused, why),
              note, size);
}

std::optional<Follower::Round> Follower::Deliver(std::vector<std::string> leaf_datas,
                                                 const std::string& note, TreeSize size) {
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(note, verifier_);
  if (!cp.ok()) {
    return Halt(ForkKind::kUnknownCheckpointKey,
                absl::StrCat("the leader's checkpoint for tree size ", size,
                             " does not verify with the configured log key: ",
                             cp.status().message()),
                note, size);
  }
  // A note mislabelled for another size is refused by StageReplicated (INVALID_ARGUMENT),
  // and by Receive.
  if (options_.receipts == nullptr) return Apply(std::move(leaf_datas), note, *cp);
  return Receive(std::move(leaf_datas), note, *cp);
}

std::optional<Follower::Round> Follower::Receive(std::vector<std::string> leaf_datas,
                                                 const std::string& note,
                                                 const format::Checkpoint& cp) {
  const TreeSize size = cp.tree_size;
  const TreeSize from = received_.size();
  if (from + leaf_datas.size() != size) {
    return HaltLocal(absl::InternalError(
        absl::StrCat("follower: a chunk of ", leaf_datas.size(), " entries from ", from,
                     " does not end at its checkpoint's tree size ", size)));
  }
  if (leaf_datas.empty()) return std::nullopt;
  // The chunk's root, from the entries held and the chunk's leaf hashes.
  merkle::Frontier next = received_;
  for (const std::string& leaf : leaf_datas) next.Append(merkle::HashLeaf(leaf), nullptr);
  if (next.Root() != cp.root_hash) {
    return Refused(from, received_.Root(), note, cp.root_hash, size,
                   absl::StrCat("the root of its entries is ", HexEncode(next.Root()),
                                ", not the checkpoint's ", HexEncode(cp.root_hash)));
  }
  // Room in the queue (the apply thread frees it; a chunk larger than the bound waits for an
  // empty queue).
  {
    absl::MutexLock lock(&apply_mu_);
    std::pair<Follower*, size_t> arg(this, leaf_datas.size());
    apply_mu_.Await(absl::Condition(
        +[](std::pair<Follower*, size_t>* arg) {
          Follower* f = arg->first;
          f->apply_mu_.AssertHeld();
          return f->apply_failed_ || f->queue_.empty() ||
                 f->queued_entries_ + arg->second <= f->options_.max_receipt_entries;
        },
        &arg));
    if (apply_failed_) return Round::kStopped;
  }
  Receipt receipt;
  receipt.from = from;
  receipt.checkpoint_note = note;
  receipt.leaf_datas = std::move(leaf_datas);
  LEDGER_CRASH_POINT("follower-before-receipt");
  if (absl::Status stored = options_.receipts->Put(receipt); !stored.ok()) {
    if (absl::IsResourceExhausted(stored)) return Retry(stored);  // disk full
    return HaltLocal(stored);
  }
  LEDGER_CRASH_POINT("follower-after-receipt");
  received_ = std::move(next);
  received_size_.store(size);
  const size_t count = receipt.leaf_datas.size();
  absl::MutexLock lock(&apply_mu_);
  queue_.push_back(std::move(receipt));
  queued_entries_ += count;
  return std::nullopt;
}

Follower::Round Follower::Halt(ForkKind kind, const std::string& detail,
                               const std::string& leader_note, TreeSize leader_size) {
  const store::LogHead head = log_->Head();
  ForkEvidence evidence;
  evidence.kind = std::string(ForkKindName(kind));
  evidence.detected_micros = options_.clock->NowMicros();
  evidence.leader = options_.leader;
  evidence.local_tree_size = head.tree_size;
  evidence.leader_tree_size = leader_size;
  evidence.detail = detail;
  evidence.local_checkpoint = log_->LatestCheckpoint();
  if (leader_size > 0 && leader_size < head.tree_size) {
    absl::StatusOr<std::string> at = log_->CheckpointAt(leader_size);
    if (at.ok()) evidence.local_checkpoint_at_leader_size = *at;
  }
  evidence.leader_checkpoint = leader_note;
  absl::StatusOr<std::string> path =
      options_.evidence_dir.empty()
          ? absl::StatusOr<std::string>(absl::FailedPreconditionError("no evidence directory"))
          : WriteForkEvidence(options_.evidence_dir, evidence);
  LogEvent(LogLevel::kError, "replication stopped: the leader's log cannot be trusted",
           {{"kind", evidence.kind},
            {"detail", detail},
            {"leader", options_.leader},
            {"tree_size", std::to_string(head.tree_size)},
            {"leader_tree_size", std::to_string(leader_size)},
            {"evidence", path.ok() ? *path : std::string(path.status().message())}});
  {
    absl::MutexLock lock(&mu_);
    halted_ = true;
    status_.fork_kind = kind;
    status_.fork_detail = detail;
    if (path.ok()) {
      status_.evidence_file = *path;
    } else {
      status_.last_error = path.status();
    }
  }
  Publish(FollowerState::kStopped);
  return Round::kStopped;
}

Follower::Round Follower::HaltLocal(const absl::Status& error) {
  LogEvent(LogLevel::kError, "replication stopped: the local log failed",
           {{"error", std::string(error.message())},
            {"code", absl::StatusCodeToString(error.code())},
            {"leader", options_.leader}});
  {
    absl::MutexLock lock(&mu_);
    halted_ = true;
    status_.last_error = error;
  }
  Publish(FollowerState::kStopped);
  return Round::kStopped;
}

Follower::Round Follower::Retry(const absl::Status& error) {
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = status_.state != FollowerState::kRetrying;
    status_.last_error = error;
  }
  if (first) {
    LogEvent(LogLevel::kWarning, "replication: cannot reach or use the leader; retrying",
             {{"leader", options_.leader},
              {"code", absl::StatusCodeToString(error.code())},
              {"error", std::string(error.message())}});
  }
  Publish(FollowerState::kRetrying);
  return Round::kRetry;
}

void Follower::Publish(std::optional<FollowerState> new_state, int64_t oldest_pending_micros) {
  FollowerStatus copy;
  {
    // The round's thread and the apply thread both publish: the head is read and stored as one
    // step, so that an older head never replaces a newer one.
    absl::MutexLock publish_lock(&publish_mu_);
    const store::LogHead head = log_->Head();
    absl::MutexLock lock(&mu_);
    const FollowerState state = new_state.value_or(status_.state);
    if (status_.state == FollowerState::kRetrying && state != FollowerState::kRetrying &&
        state != FollowerState::kStopped) {
      LogEvent(LogLevel::kInfo, "replication resumed",
               {{"leader", options_.leader}, {"tree_size", std::to_string(head.tree_size)}});
    }
    status_.state = state;
    status_.tree_size = head.tree_size;
    status_.lag_entries = status_.leader_tree_size > head.tree_size
                              ? status_.leader_tree_size - head.tree_size
                              : 0;
    status_.lag_seconds = 0;
    if (status_.lag_entries > 0) {
      const int64_t newest =
          head.tree_size > 0 ? head.last_recorded_time_micros : oldest_pending_micros;
      if (newest > 0 && leader_fetch_micros_ > newest) {
        status_.lag_seconds = static_cast<double>(leader_fetch_micros_ - newest) / 1e6;
      }
    }
    if (state == FollowerState::kCaughtUp || state == FollowerState::kCatchingUp) {
      status_.last_error = absl::OkStatus();
    }
    copy = status_;
  }
  if (options_.on_status) options_.on_status(copy);
}

}  // namespace ledger::replication
