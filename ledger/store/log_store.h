// LogStore: the storage interface of the ledger's log.
//
// The log core (ledger/core) is written against this interface only. Two implementations:
// RocksDbLogStore (rocksdb_log_store.h, the product) and MemoryLogStore (memory_log_store.h,
// for tests); tests/store/log_store_conformance_test.cc runs one suite against both.
//
// The store knows nothing of signatures, events or Merkle hashing: it keeps bytes under keys
// and applies one CommitBatch atomically. The values it stores are specified in
// docs/format.md ("Storage").
#ifndef LEDGER_STORE_LOG_STORE_H_
#define LEDGER_STORE_LOG_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"

namespace ledger::store {

// The state every commit moves forward: size and root of the tree, and the recorded time of
// the newest entry (recorded times never go back).
struct LogHead {
  TreeSize tree_size = 0;
  Hash root_hash{};  // SHA-256("") for the empty tree.
  int64_t last_recorded_time_micros = 0;

  bool operator==(const LogHead& o) const {
    return tree_size == o.tree_size && root_hash == o.root_hash &&
           last_recorded_time_micros == o.last_recorded_time_micros;
  }
};

// Idempotency record: the entry an event id was appended as, and SHA-256 of its event bytes.
struct EventIdRecord {
  SequenceNumber sequence = 0;
  Hash event_hash{};

  bool operator==(const EventIdRecord& o) const {
    return sequence == o.sequence && event_hash == o.event_hash;
  }
};

// Everything one group commit writes. Commit applies all of it or nothing.
struct CommitBatch {
  // Leaf data of the new entries, for sequence numbers tree_size, tree_size + 1, ...
  // of the head the batch was built on (`expected_tree_size`).
  TreeSize expected_tree_size = 0;
  std::vector<std::string> entries;
  // Newly completed perfect subtrees (including each new leaf at level 0).
  std::vector<std::pair<merkle::NodeId, Hash>> nodes;
  // Leaf hash -> sequence number, for proofs by leaf hash.
  std::vector<std::pair<Hash, SequenceNumber>> leaf_index;
  // Event id -> idempotency record.
  std::vector<std::pair<std::string, EventIdRecord>> event_ids;
  // Key registry records: key id (32 bytes) -> serialised record (ledger/core owns the format).
  // A later record for the same key id replaces the earlier one.
  std::vector<std::pair<std::string, std::string>> keys;
  // Claim lifecycle records: claim id -> serialised record (ledger/core owns the format).
  // A later record for the same claim id replaces the earlier one.
  std::vector<std::pair<std::string, std::string>> claims;
  // The signed checkpoint of the new head (a C2SP signed note), stored under its tree size.
  std::optional<std::string> checkpoint;
  // The head after this batch. new_head.tree_size == expected_tree_size + entries.size().
  LogHead new_head;
};

// Storage of one log. Implementations are thread-safe: reads may run concurrently with each
// other and with Commit; Commit calls are serialised by the caller (the single sequencer) but
// must be safe even if they are not. Readers see only whole commits: nothing a batch writes is
// visible before Head() reflects it, and everything is once it does.
class LogStore {
 public:
  virtual ~LogStore() = default;

  // The head as of the last successful Commit (or as recovered at open). Cheap.
  virtual LogHead Head() const = 0;

  // Applies `batch` atomically and durably: when it returns OK, all of it survives a crash;
  // when it fails, the caller must assume any part of it may or may not be on disk (see
  // docs/reliability.md, "Fail-stop") and stop writing. Errors:
  //   Aborted             batch.expected_tree_size differs from the current size,
  //                       new_head.tree_size is inconsistent with the entries,
  //                       new_head.last_recorded_time_micros is below the current one, or
  //                       a batch without entries changes the root (nothing written)
  //   InvalidArgument     a node level above schema::kMaxNodeLevel (nothing written)
  //   FailedPrecondition  the store is read-only or failed earlier (fail-stop: after any
  //                       storage error every later Commit fails so until the store is reopened)
  //   Internal / DataLoss / ResourceExhausted  from the storage engine
  // The checks are shared by every implementation (commit_validation.h).
  virtual absl::Status Commit(const CommitBatch& batch) = 0;

  // The leaf data of entry `sequence`. NotFound when sequence >= Head().tree_size.
  virtual absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const = 0;

  // Calls fn(sequence, leaf_data) for each entry in [begin, end) in order, stopping early when
  // fn returns false. Entries at or past the head are not visited. The string_view is valid
  // only during the call.
  virtual absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const = 0;

  // The hash of a stored perfect subtree. NotFound when absent.
  virtual absl::StatusOr<Hash> GetNode(merkle::NodeId id) const = 0;

  // The hashes of several stored perfect subtrees, read from one state of the store: on OK,
  // (*out)[i] is the hash of ids[i]. NotFound (naming the node) when one is absent. `ids`
  // sorted by (level, index) reads fastest. This default calls GetNode for each;
  // RocksDbLogStore reads them all with one MultiGet over one snapshot.
  virtual absl::Status GetNodes(const std::vector<merkle::NodeId>& ids,
                                std::vector<Hash>* out) const {
    out->clear();
    out->reserve(ids.size());
    for (const merkle::NodeId& id : ids) {
      absl::StatusOr<Hash> hash = GetNode(id);
      if (!hash.ok()) return hash.status();
      out->push_back(*hash);
    }
    return absl::OkStatus();
  }

  // Calls fn(index, hash) for the stored nodes of `level` with index in [begin, end), in index
  // order, stopping early when fn returns false. Absent nodes are skipped. This default reads
  // them with GetNodes in chunks; RocksDbLogStore iterates over one snapshot.
  virtual absl::Status ScanNodes(uint32_t level, uint64_t begin, uint64_t end,
                                 const std::function<bool(uint64_t, const Hash&)>& fn) const {
    constexpr uint64_t kChunk = 1024;
    for (uint64_t first = begin; first < end;) {
      const uint64_t last = end - first > kChunk ? first + kChunk : end;
      for (uint64_t index = first; index < last; ++index) {
        absl::StatusOr<Hash> hash = GetNode(merkle::NodeId{level, index});
        if (absl::IsNotFound(hash.status())) continue;
        if (!hash.ok()) return hash.status();
        if (!fn(index, *hash)) return absl::OkStatus();
      }
      first = last;
    }
    return absl::OkStatus();
  }

  // Idempotency lookup. nullopt when the id has never been appended.
  virtual absl::StatusOr<std::optional<EventIdRecord>> GetEventId(
      absl::string_view event_id) const = 0;

  // Sequence number of the entry with this leaf hash. nullopt when none.
  virtual absl::StatusOr<std::optional<SequenceNumber>> GetLeafIndex(
      const Hash& leaf_hash) const = 0;

  // GetEventId and GetLeafIndex for many keys at once ((*out)[i] answers the i-th), from one
  // state of the store. These defaults call them one by one; RocksDbLogStore uses MultiGet.
  virtual absl::Status GetEventIds(const std::vector<absl::string_view>& event_ids,
                                   std::vector<std::optional<EventIdRecord>>* out) const {
    out->clear();
    out->reserve(event_ids.size());
    for (absl::string_view id : event_ids) {
      absl::StatusOr<std::optional<EventIdRecord>> r = GetEventId(id);
      if (!r.ok()) return r.status();
      out->push_back(*r);
    }
    return absl::OkStatus();
  }
  virtual absl::Status GetLeafIndexes(const std::vector<Hash>& leaf_hashes,
                                      std::vector<std::optional<SequenceNumber>>* out) const {
    out->clear();
    out->reserve(leaf_hashes.size());
    for (const Hash& h : leaf_hashes) {
      absl::StatusOr<std::optional<SequenceNumber>> r = GetLeafIndex(h);
      if (!r.ok()) return r.status();
      out->push_back(*r);
    }
    return absl::OkStatus();
  }

  // The claim lifecycle record of `claim_id`. nullopt when none.
  virtual absl::StatusOr<std::optional<std::string>> GetClaim(
      absl::string_view claim_id) const = 0;

  // Calls fn(key_id, record) for every key registry record, in key id order.
  virtual absl::Status ScanKeys(
      const std::function<void(absl::string_view, absl::string_view)>& fn) const = 0;

  // The signed checkpoint stored for exactly this tree size. nullopt when none.
  virtual absl::StatusOr<std::optional<std::string>> GetCheckpoint(TreeSize tree_size) const = 0;

  // Calls fn(tree_size, note) for every stored checkpoint in increasing tree size,
  // stopping early when fn returns false.
  virtual absl::Status ScanCheckpoints(
      const std::function<bool(TreeSize, absl::string_view)>& fn) const = 0;
  // The same, from the first checkpoint of at least tree size `from` (a leader serving a
  // follower the checkpoints inside a page of entries: one seek, not a lookup per size). This
  // default scans from the start and skips; RocksDbLogStore seeks.
  virtual absl::Status ScanCheckpointsFrom(
      TreeSize from, const std::function<bool(TreeSize, absl::string_view)>& fn) const {
    return ScanCheckpoints([&](TreeSize size, absl::string_view note) {
      return size < from || fn(size, note);
    });
  }

  // Verifies the storage engine's own block checksums over all data (RocksDB
  // VerifyChecksum). DataLoss naming the damage when it fails.
  virtual absl::Status VerifyStorageChecksums() const = 0;
};

}  // namespace ledger::store

#endif  // LEDGER_STORE_LOG_STORE_H_
