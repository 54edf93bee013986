#include "ledger/audit/auditor.h"

#include <filesystem>
#include <map>

#include "ledger/audit/claim_spill.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/replayer.h"
#include "ledger/core/key_registry.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"

namespace ledger::audit {
namespace {

// Entries replayed before their checks are handed to the workers, and the share of a chunk one
// worker task checks.
constexpr size_t kChunkEntries = 4096;
constexpr size_t kTaskEntries = 256;
// Chunks handed over and not yet checked: the replay runs at most this far ahead.
constexpr size_t kMaxChunksInFlight = 3;
// Entries whose index records are looked up together, in key order. The indexes are keyed by
// event id and leaf hash, so a chunk's lookups land on a different block each; a window of
// this many sorted keys shares blocks (about 23 per 4 KiB block at 1M entries) and reads each
// block once. ~100 bytes per entry.
constexpr size_t kIndexWindowEntries = 1 << 18;

// Where a problem sits in log order. The audit reports the first problem in this order, as if
// every check ran one after the other, entry by entry: the checks of entry n (replay rules and
// signature, then idempotency index, leaf index, Merkle nodes), then the trusted and the stored
// checkpoints of size n + 1.
enum Rank : int {
  kRankEntry = 0,        // the replay's rules, a missing entry, the signature
  kRankEventIdIndex = 1,
  kRankLeafIndex = 2,
  kRankNodes = 3,
  kRankTrustedCheckpoint = 4,
  kRankCheckpoint = 5,
};

struct Position {
  int64_t seq;  // -1: before the first entry; -2: before everything (storage checksums)
  int rank;
  bool operator<(const Position& o) const {
    return seq != o.seq ? seq < o.seq : rank < o.rank;
  }
};

Position AtEntry(SequenceNumber seq, Rank rank) {
  return {static_cast<int64_t>(seq), rank};
}
// Checks of the tree of `size` entries come right after those of its last entry.
Position AtSize(TreeSize size, Rank rank) { return {static_cast<int64_t>(size) - 1, rank}; }

struct Problem {
  Position at;
  std::optional<SequenceNumber> sequence;
  std::string text;
  std::optional<std::pair<SequenceNumber, SequenceNumber>> range;
};

// What the index checks need of replayed entries [first, first + size()).
struct IndexWindow {
  SequenceNumber first = 0;
  std::vector<std::string> event_ids;
  std::vector<Hash> event_hashes;
  std::vector<Hash> leaf_hashes;
  size_t size() const { return event_ids.size(); }
};

// The replayed entries of one chunk, with everything the workers check about them (but the
// indexes: IndexWindow).
struct Chunk {
  SequenceNumber first = 0;
  size_t entries = 0;
  // Signature checks, in log order (a batch signature only with its first member).
  std::vector<core::EntryReplayer::SignatureJob> jobs;
  // The perfect subtrees these entries complete, in log order, with their recomputed hashes.
  std::vector<std::pair<merkle::NodeId, Hash>> nodes;
};

// A fixed pool of threads running tasks in FIFO order.
class WorkerPool {
 public:
  explicit WorkerPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The audit runs as a pipeline: this thread reads the entries in order and replays them (the
// rules that depend on what came before: format.md §8 steps 1-5 and 7, the Merkle frontier,
// the checkpoints), one chunk at a time; worker threads check each replayed chunk
// meanwhile -- its signatures, its entries in the idempotency and leaf-hash indexes, and the
// stored Merkle nodes it completes -- while the next chunk is replayed. Problems are merged by
// their position in log order (Position), so the report names the same first problem as
// checking everything in order would.
class Auditor {
 public:
  Auditor(const store::LogStore& store, const core::LogIdentity& trust,
          const AuditOptions& options)
      : store_(store),
        trust_(trust),
        options_(options),
        threads_(options.threads > 0
                     ? options.threads
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        verifier_{trust.origin, trust.log_public_key},
        genesis_keys_(trust.admin_keys),
        replayer_(trust.origin, &genesis_keys_,
                  [this](absl::string_view id) -> absl::StatusOr<std::optional<core::ClaimRecord>> {
                    if (spill_ == nullptr) return std::optional<core::ClaimRecord>();
                    return spill_->Find(id);
                  },
                  0, options.threads) {}

  absl::StatusOr<AuditReport> Run();

 private:
  // Records a problem; the earliest in log order is reported.
  void Report(Position at, std::optional<SequenceNumber> seq, std::string text,
              std::optional<std::pair<SequenceNumber, SequenceNumber>> range = std::nullopt) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!problem_.has_value() || at < problem_->at) {
      problem_ = Problem{at, seq, std::move(text), range};
    }
  }
  // True when a problem at or before `at` is already known: nothing after it matters.
  bool Decided(Position at) {
    std::lock_guard<std::mutex> lock(mu_);
    return problem_.has_value() && problem_->at < at;
  }
  // A read failed (not for damage the audit names): checks from `at` on could not be made.
  // The audit then fails with that error, unless a problem comes before it.
  void ReportIoError(Position at, absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (io_error_.ok() || at < io_error_at_) io_error_ = std::move(s), io_error_at_ = at;
  }

  // This thread: replays entry `seq` into `chunk`; false (a problem reported) to stop.
  bool ReplayEntry(SequenceNumber seq, absl::string_view leaf_data, Chunk* chunk);
  // This thread: the trusted and stored checkpoints of the tree of `size` entries.
  bool CheckCheckpointsAt(TreeSize size);
  // Hands `chunk` to the workers, after waiting until fewer than kMaxChunksInFlight are.
  void Submit(std::shared_ptr<Chunk> chunk);
  // A worker: checks entries [begin, end) of `chunk`.
  void CheckTask(const Chunk& chunk, size_t begin, size_t end);
  // Hands the index window to a worker and starts a new one.
  void SubmitIndexWindow();
  // A worker: the idempotency and leaf-hash index records of every entry of `window`.
  void CheckIndexes(const IndexWindow& window);
  void CheckNodes(const Chunk& chunk, size_t begin, size_t end);
  void CheckSignatures(const Chunk& chunk, size_t begin, size_t end);
  void WaitForWorkers();

  const store::LogStore& store_;
  const core::LogIdentity& trust_;
  const AuditOptions& options_;
  const int threads_;
  const format::NoteVerifier verifier_;
  const core::KeyRegistry genesis_keys_;
  // Moves the replayer's claim records to the spill once there are enough of them.
  absl::Status MaybeSpillClaims();

  // Claim records the replayer no longer holds in memory (created at the first spill).
  std::unique_ptr<ClaimSpill> spill_;
  // Every rule of format.md §8, as a follower applies them too.
  core::EntryReplayer replayer_;
  merkle::Frontier frontier_;
  // Stored checkpoints (tree size, note), in increasing size; next_checkpoint_ indexes it.
  std::vector<std::pair<TreeSize, std::string>> checkpoints_;
  size_t next_checkpoint_ = 0;
  std::optional<format::Checkpoint> trusted_;
  uint64_t entries_checked_ = 0;
  uint64_t checkpoints_checked_ = 0;
  std::unique_ptr<IndexWindow> index_window_;

  // Shared with the workers.
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Problem> problem_;
  absl::Status io_error_;
  Position io_error_at_{0, 0};
  uint64_t signatures_checked_ = 0;
  size_t chunks_in_flight_ = 0;
  size_t tasks_in_flight_ = 0;
  // Declared last: destroyed (its threads joined) first.
  std::unique_ptr<WorkerPool> pool_;
};

bool Auditor::ReplayEntry(SequenceNumber seq, absl::string_view leaf_data, Chunk* chunk) {
  absl::StatusOr<core::ReplayedEntry> entry = replayer_.Add(seq, leaf_data);
  if (!entry.ok()) {
    Report(AtEntry(seq, kRankEntry), seq, std::string(entry.status().message()));
    return false;
  }
  ++chunk->entries;
  if (index_window_ == nullptr) {
    index_window_ = std::make_unique<IndexWindow>();
    index_window_->first = seq;
  }
  index_window_->event_ids.push_back(std::move(entry->event_id));
  index_window_->event_hashes.push_back(entry->event_hash);
  index_window_->leaf_hashes.push_back(entry->leaf_hash);
  frontier_.Append(entry->leaf_hash, &chunk->nodes);
  return CheckCheckpointsAt(frontier_.size());
}

bool Auditor::CheckCheckpointsAt(TreeSize size) {
  if (trusted_.has_value() && trusted_->tree_size == size &&
      trusted_->root_hash != frontier_.Root()) {
    // Some entry of the first `size` differs from the history the trusted checkpoint covers; a
    // root cannot say which, so no single sequence is named (naming the last would be a guess).
    Report(AtSize(size, kRankTrustedCheckpoint), std::nullopt,
           absl::StrCat("the log is not consistent with the trusted checkpoint: at tree size ",
                        size, " its root is ", HexEncode(frontier_.Root()),
                        ", the trusted checkpoint says ", HexEncode(trusted_->root_hash),
                        ". One of entries 0..", size - 1,
                        " differs from the history that checkpoint covers (a root cannot say "
                        "which): compare the leaf hashes with a copy you trust, e.g. "
                        "`ledgerctl log --json` on both, to find the first that differs"),
           std::make_pair(SequenceNumber{0}, SequenceNumber{size - 1}));
    return false;
  }
  while (next_checkpoint_ < checkpoints_.size() &&
         checkpoints_[next_checkpoint_].first == size) {
    const std::string& note = checkpoints_[next_checkpoint_++].second;
    const Position at = AtSize(size, kRankCheckpoint);
    absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(note);
    if (!parsed.ok()) {
      Report(at, std::nullopt,
             absl::StrCat("checkpoint at tree size ", size, ": ", parsed.status().message()));
      return false;
    }
    if (parsed->origin != trust_.origin || parsed->tree_size != size ||
        parsed->root_hash != frontier_.Root()) {
      Report(at, std::nullopt,
             absl::StrCat("checkpoint at tree size ", size,
                          " does not match the log (origin, size or root differ)"));
      return false;
    }
    absl::StatusOr<format::Checkpoint> verified = format::VerifyCheckpoint(note, verifier_);
    if (!verified.ok()) {
      Report(at, std::nullopt,
             absl::StrCat("checkpoint at tree size ", size, ": ", verified.status().message()));
      return false;
    }
    ++checkpoints_checked_;
  }
  return true;
}

void Auditor::Submit(std::shared_ptr<Chunk> chunk) {
  const size_t n = chunk->entries;
  if (n == 0) return;
  const size_t tasks = (n + kTaskEntries - 1) / kTaskEntries;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return chunks_in_flight_ < kMaxChunksInFlight; });
    ++chunks_in_flight_;
    tasks_in_flight_ += tasks;
  }
  auto remaining = std::make_shared<std::atomic<size_t>>(tasks);
  for (size_t begin = 0; begin < n; begin += kTaskEntries) {
    const size_t end = std::min(n, begin + kTaskEntries);
    pool_->Submit([this, chunk, remaining, begin, end] {
      CheckTask(*chunk, begin, end);
      const bool last = remaining->fetch_sub(1) == 1;
      {
        std::lock_guard<std::mutex> lock(mu_);
        --tasks_in_flight_;
        if (last) --chunks_in_flight_;
      }
      cv_.notify_all();
    });
  }
}

void Auditor::WaitForWorkers() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return tasks_in_flight_ == 0; });
}

void Auditor::CheckTask(const Chunk& chunk, size_t begin, size_t end) {
  // Nothing in these entries can come before a problem already found before them.
  if (Decided(AtEntry(chunk.first + begin, kRankEntry))) return;
  CheckSignatures(chunk, begin, end);
  CheckNodes(chunk, begin, end);
}

void Auditor::CheckSignatures(const Chunk& chunk, size_t begin, size_t end) {
  const SequenceNumber first = chunk.first + begin;
  const SequenceNumber last = chunk.first + end;  // exclusive
  auto by_sequence = [](const core::EntryReplayer::SignatureJob& job, SequenceNumber s) {
    return job.sequence < s;
  };
  const size_t from =
      std::lower_bound(chunk.jobs.begin(), chunk.jobs.end(), first, by_sequence) -
      chunk.jobs.begin();
  const size_t to = std::lower_bound(chunk.jobs.begin(), chunk.jobs.end(), last, by_sequence) -
                    chunk.jobs.begin();
  const size_t bad = core::EntryReplayer::VerifyJobs(chunk.jobs, from, to);
  {
    std::lock_guard<std::mutex> lock(mu_);
    signatures_checked_ += std::min(to, bad + 1) - from;
  }
  if (bad < to) {
    const SequenceNumber seq = chunk.jobs[bad].sequence;
    Report(AtEntry(seq, kRankEntry), seq,
           absl::StrCat("entry ", seq, ": the Ed25519 signature does not verify"));
  }
}

void Auditor::SubmitIndexWindow() {
  if (index_window_ == nullptr || index_window_->size() == 0) return;
  std::shared_ptr<IndexWindow> window(std::move(index_window_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++tasks_in_flight_;
  }
  pool_->Submit([this, window] {
    CheckIndexes(*window);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --tasks_in_flight_;
    }
    cv_.notify_all();
  });
}

void Auditor::CheckIndexes(const IndexWindow& window) {
  if (Decided(AtEntry(window.first, kRankEventIdIndex))) return;
  constexpr size_t kBatch = 4096;  // keys per MultiGet
  const size_t n = window.size();
  std::vector<uint32_t> order(n);
  // The idempotency index: each entry's event id must name it, with its event's hash.
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return window.event_ids[a] < window.event_ids[b];
  });
  std::optional<size_t> bad_id;  // the first bad entry in log order, as an index
  std::optional<store::EventIdRecord> bad_record;
  std::vector<absl::string_view> ids;
  std::vector<std::optional<store::EventIdRecord>> records;
  for (size_t from = 0; from < n; from += kBatch) {
    const size_t to = std::min(n, from + kBatch);
    ids.clear();
    for (size_t k = from; k < to; ++k) ids.push_back(window.event_ids[order[k]]);
    if (absl::Status s = store_.GetEventIds(ids, &records); !s.ok()) {
      return ReportIoError(AtEntry(window.first, kRankEventIdIndex), s);
    }
    for (size_t k = from; k < to; ++k) {
      const size_t i = order[k];
      const std::optional<store::EventIdRecord>& record = records[k - from];
      if (record.has_value() && record->sequence == window.first + i &&
          record->event_hash == window.event_hashes[i]) {
        continue;
      }
      if (!bad_id.has_value() || i < *bad_id) bad_id = i, bad_record = record;
    }
  }
  if (bad_id.has_value()) {
    const SequenceNumber seq = window.first + *bad_id;
    Report(AtEntry(seq, kRankEventIdIndex), seq,
           absl::StrCat("entry ", seq, ": the idempotency index does not point back at it "
                        "for event id \"", window.event_ids[*bad_id], "\"",
                        bad_record.has_value()
                            ? absl::StrCat(" (it names entry ", bad_record->sequence, ")")
                            : ""));
  }
  // The leaf-hash index: each entry's leaf hash must name it.
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return window.leaf_hashes[a] < window.leaf_hashes[b];
  });
  std::optional<size_t> bad_leaf;
  std::vector<Hash> hashes;
  std::vector<std::optional<SequenceNumber>> indexed;
  for (size_t from = 0; from < n; from += kBatch) {
    const size_t to = std::min(n, from + kBatch);
    hashes.clear();
    for (size_t k = from; k < to; ++k) hashes.push_back(window.leaf_hashes[order[k]]);
    if (absl::Status s = store_.GetLeafIndexes(hashes, &indexed); !s.ok()) {
      return ReportIoError(AtEntry(window.first, kRankLeafIndex), s);
    }
    for (size_t k = from; k < to; ++k) {
      const size_t i = order[k];
      if (indexed[k - from].has_value() && *indexed[k - from] == window.first + i) continue;
      if (!bad_leaf.has_value() || i < *bad_leaf) bad_leaf = i;
    }
  }
  if (bad_leaf.has_value()) {
    const SequenceNumber seq = window.first + *bad_leaf;
    Report(AtEntry(seq, kRankLeafIndex), seq,
           absl::StrCat("entry ", seq, ": the leaf hash index does not point back at it"));
  }
}

void Auditor::CheckNodes(const Chunk& chunk, size_t begin, size_t end) {
  // The nodes entries [begin, end) complete: node (l, i) is completed by entry (i+1)*2^l - 1.
  const SequenceNumber first = chunk.first + begin;
  const SequenceNumber last = chunk.first + end;  // exclusive
  auto completed_by = [](const std::pair<merkle::NodeId, Hash>& n) { return n.first.end() - 1; };
  const auto from = std::lower_bound(
      chunk.nodes.begin(), chunk.nodes.end(), first,
      [&](const std::pair<merkle::NodeId, Hash>& n, SequenceNumber s) {
        return completed_by(n) < s;
      });
  const auto to = std::lower_bound(from, chunk.nodes.end(), last,
                                   [&](const std::pair<merkle::NodeId, Hash>& n,
                                       SequenceNumber s) { return completed_by(n) < s; });
  if (from == to) return;
  // One batched read, in key order.
  std::vector<std::pair<merkle::NodeId, Hash>> nodes(from, to);
  std::vector<merkle::NodeId> ids;
  ids.reserve(nodes.size());
  for (const auto& [id, hash] : nodes) ids.push_back(id);
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  std::vector<merkle::NodeId> sorted;
  sorted.reserve(ids.size());
  for (size_t i : order) sorted.push_back(ids[i]);
  std::vector<Hash> stored;
  absl::Status read = store_.GetNodes(sorted, &stored);
  if (!read.ok() && !absl::IsNotFound(read)) {
    return ReportIoError(AtEntry(first, kRankNodes), read);
  }
  // In log order: the first node that is missing or differs.
  std::vector<std::optional<Hash>> by_position(ids.size());
  if (read.ok()) {
    for (size_t k = 0; k < order.size(); ++k) by_position[order[k]] = stored[k];
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const merkle::NodeId& id = nodes[i].first;
    std::string what;
    if (read.ok()) {
      if (*by_position[i] == nodes[i].second) continue;
      what = "differs from the recomputed hash";
    } else {
      // A node is missing: find the first one in log order, one by one.
      absl::StatusOr<Hash> one = store_.GetNode(id);
      if (one.ok() && *one == nodes[i].second) continue;
      if (!one.ok() && !absl::IsNotFound(one.status())) {
        return ReportIoError(AtEntry(id.end() - 1, kRankNodes), one.status());
      }
      what = one.ok() ? "differs from the recomputed hash" : std::string(one.status().message());
    }
    const SequenceNumber seq = id.end() - 1;
    Report(AtEntry(seq, kRankNodes), seq,
           absl::StrCat("entry ", seq, ": stored Merkle node (level ", id.level, ", index ",
                        id.index, ") ", what));
    return;
  }
}

absl::Status Auditor::MaybeSpillClaims() {
  const size_t limit = options_.claims_in_memory > 0 ? options_.claims_in_memory : 65536;
  if (replayer_.claims_in_memory() < limit) return absl::OkStatus();
  if (spill_ == nullptr) {
    std::string dir = options_.spill_dir;
    if (dir.empty()) {
      std::error_code ec;
      dir = std::filesystem::temp_directory_path(ec).string();
      if (ec || dir.empty()) dir = "/tmp";
    }
    absl::StatusOr<std::unique_ptr<ClaimSpill>> spill = ClaimSpill::Create(dir);
    if (!spill.ok()) return spill.status();
    spill_ = *std::move(spill);
  }
  // Written before they leave memory: the replayer finds them through the spill from now on.
  std::map<std::string, core::ClaimRecord, std::less<>> records = replayer_.TakeClaimChanges();
  return spill_->Write(records);
}

absl::StatusOr<AuditReport> Auditor::Run() {
  pool_ = std::make_unique<WorkerPool>(threads_);
  AuditReport report;
  if (options_.verify_storage_checksums) {
    // Alongside everything else; its problem comes first.
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++tasks_in_flight_;
    }
    pool_->Submit([this] {
      absl::Status s = store_.VerifyStorageChecksums();
      if (!s.ok()) Report({-2, 0}, std::nullopt, absl::StrCat("storage checksums: ", s.message()));
      {
        std::lock_guard<std::mutex> lock(mu_);
        --tasks_in_flight_;
      }
      cv_.notify_all();
    });
  }
  // Fills `report` from the problem found (if any) once the workers are done.
  auto finish = [&]() -> absl::StatusOr<AuditReport> {
    WaitForWorkers();
    std::lock_guard<std::mutex> lock(mu_);
    report.entries_checked = entries_checked_;
    report.signatures_checked = signatures_checked_;
    report.checkpoints_checked = checkpoints_checked_;
    if (!io_error_.ok() && (!problem_.has_value() || io_error_at_ < problem_->at)) {
      return io_error_;
    }
    if (problem_.has_value()) {
      report.first_bad_sequence = problem_->sequence;
      report.bad_range = problem_->range;
      report.problem = problem_->text;
    }
    return report;
  };
  const store::LogHead head = store_.Head();
  report.tree_size = head.tree_size;
  absl::Status scanned = store_.ScanCheckpoints([&](TreeSize size, absl::string_view note) {
    checkpoints_.emplace_back(size, std::string(note));
    return true;
  });
  if (!scanned.ok()) {
    ReportIoError({-1, 0}, scanned);
    return finish();
  }
  if (!checkpoints_.empty() && checkpoints_.back().first > head.tree_size) {
    Report({-1, 0}, std::nullopt,
           absl::StrCat("a checkpoint is stored for tree size ", checkpoints_.back().first,
                        ", beyond the log's size ", head.tree_size));
    return finish();
  }
  if (!options_.trusted_checkpoint.empty()) {
    absl::StatusOr<format::Checkpoint> t =
        format::VerifyCheckpoint(options_.trusted_checkpoint, verifier_);
    if (!t.ok()) {
      // Unless the storage checksums failed meanwhile: that problem comes first.
      absl::StatusOr<AuditReport> done = finish();
      if (!done.ok() || !done->problem.empty()) return done;
      return absl::InvalidArgumentError(
          absl::StrCat("the trusted checkpoint does not verify: ", t.status().message()));
    }
    trusted_ = *t;
    if (trusted_->tree_size > head.tree_size) {
      Report({-1, 0}, head.tree_size,
             absl::StrCat("the log has ", head.tree_size, " entries but the trusted checkpoint "
                          "has ", trusted_->tree_size,
                          ": entries were removed (truncation or rollback)"));
      return finish();
    }
  }
  if (!CheckCheckpointsAt(0)) return finish();

  SequenceNumber next = 0;
  bool stop = false;
  while (!stop && next < head.tree_size) {
    const SequenceNumber end = std::min<SequenceNumber>(
        head.tree_size,
        next + (options_.chunk_entries > 0 ? options_.chunk_entries : kChunkEntries));
    auto chunk = std::make_shared<Chunk>();
    chunk->first = next;
    chunk->nodes.reserve(2 * (end - next) + 64);
    SequenceNumber expected = next;
    absl::Status scan =
        store_.ScanEntries(next, end, [&](SequenceNumber seq, absl::string_view leaf) {
          if (seq != expected) {
            Report(AtEntry(expected, kRankEntry), expected,
                   absl::StrCat("entry ", expected, " is missing"));
            stop = true;
            return false;
          }
          ++expected;
          ++entries_checked_;
          if (!ReplayEntry(seq, leaf, chunk.get())) {
            stop = true;
            return false;
          }
          return true;
        });
    if ((absl::IsDataLoss(scan) || absl::IsInternal(scan)) && !stop) {
      // The store found the gap or damage itself (e.g. a missing entry key), or could not read
      // the entry (an I/O error reading a damaged file): physical damage is named like logical
      // damage, by the first entry it takes.
      Report(AtEntry(expected, kRankEntry), expected,
             absl::StrCat("entry ", expected, " is missing or unreadable: ", scan.message()));
      stop = true;
    } else if (!scan.ok()) {
      ReportIoError(AtEntry(expected, kRankEntry), scan);
      stop = true;
    }
    if (!stop && expected != end) {
      Report(AtEntry(expected, kRankEntry), expected,
             absl::StrCat("entry ", expected, " is missing"));
      stop = true;
    }
    chunk->jobs = replayer_.TakeSignatureJobs();
    Submit(std::move(chunk));
    if (!stop) {
      if (absl::Status s = MaybeSpillClaims(); !s.ok()) {
        ReportIoError(AtEntry(expected, kRankEntry), std::move(s));
        stop = true;
      }
    }
    const size_t window_entries = options_.index_window_entries > 0
                                      ? options_.index_window_entries
                                      : kIndexWindowEntries;
    if (stop || (index_window_ != nullptr && index_window_->size() >= window_entries)) {
      SubmitIndexWindow();
    }
    // A worker's problem ends the replay too: nothing after it can come first.
    if (Decided(AtEntry(expected, kRankEntry))) stop = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!io_error_.ok()) stop = true;
    }
    next = end;
    if (options_.progress) options_.progress(next, head.tree_size);
  }
  SubmitIndexWindow();  // the last entries' index checks
  absl::StatusOr<AuditReport> done = finish();
  if (!done.ok() || !done->problem.empty()) return done;
  report = *done;
  if (frontier_.Root() != head.root_hash) {
    report.problem = absl::StrCat("the stored head root ", HexEncode(head.root_hash),
                                  " differs from the recomputed root ",
                                  HexEncode(frontier_.Root()));
    return report;
  }
  if (next_checkpoint_ != checkpoints_.size()) {
    report.problem = absl::StrCat("checkpoint at tree size ",
                                  checkpoints_[next_checkpoint_].first,
                                  " was not reached by the scan");
    return report;
  }
  report.root_hash = frontier_.Root();
  report.ok = true;
  if (!checkpoints_.empty()) report.latest_checkpoint = checkpoints_.back().second;
  return report;
}

}  // namespace

absl::StatusOr<AuditReport> AuditLog(const store::LogStore& store, const core::LogIdentity& trust,
                                     const AuditOptions& options) {
  Auditor auditor(store, trust, options);
  return auditor.Run();
}

}  // namespace ledger::audit
