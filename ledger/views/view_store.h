// ViewStore: the key-value storage of the views, and ViewBatch, one atomic write to it.
//
// Views live in their own database (<data-dir>/views/, see rocksdb_view_store.h), never in the
// log's: they are derived data, and dropping them is deleting that directory. The keys and
// values are defined in view_schema.h and nowhere else.
//
// Two implementations: RocksDbViewStore (rocksdb_view_store.h, the product) and MemoryViewStore
// (below, for tests).
#ifndef LEDGER_VIEWS_VIEW_STORE_H_
#define LEDGER_VIEWS_VIEW_STORE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace ledger::views {

// Puts and deletes applied atomically by ViewStore::Write. A later write to the same key replaces
// an earlier one in the batch. Thread-compatible.
//
// Built for batches of millions of small records (a rebuild writes ~20 per claim): keys and
// values are copied into an arena of large blocks (one allocation per MiB, not two per record),
// and an open-addressing table of (hash, record) finds the latest write of a key. A replaced
// record stays in the arena until Clear. Clear keeps the blocks and the table for reuse, so a
// recycled batch neither allocates nor faults its pages in again.
//
// A bulk batch's table is tens of MiB, so each key's slot is a cache miss: a write prefetches
// its slot and enters the table kDeferred writes later, when the slot has arrived. Find looks at
// those deferred writes first; the other readers (size, empty, ForEach, ForEachInKeyOrder) enter
// them first, so call Settle() before handing a batch to other threads (they may then read it
// concurrently: ViewEngine's writer and lanes do).
class ViewBatch {
 public:
  ViewBatch() = default;
  ViewBatch(const ViewBatch&) = delete;
  ViewBatch& operator=(const ViewBatch&) = delete;
  ViewBatch(ViewBatch&&) = default;
  ViewBatch& operator=(ViewBatch&&) = default;

  void Put(absl::string_view key, absl::string_view value) { Add(key, &value); }
  void Delete(absl::string_view key) { Add(key, nullptr); }

  enum class Pending { kNone, kPut, kDeleted };
  // The pending write of `key`: kNone when the batch does not touch it, kDeleted for a delete,
  // kPut with *value set to the value put (valid until the batch changes).
  Pending Find(absl::string_view key, absl::string_view* value) const;

  // Distinct keys written.
  size_t size() const {
    Settle();
    return size_;
  }
  bool empty() const { return size_ == 0 && deferred_count_ == 0; }
  void Clear();
  // Enters the deferred writes into the table (see the class comment).
  void Settle() const {
    while (deferred_count_ > 0) EnterOldestDeferred();
  }
  // Room for `n` keys without growing the table.
  void Reserve(size_t n);
  // Reserve(n), and an empty batch whose table is far larger than `n` keys need (a recycled
  // batch sized for another load) gets a smaller one: a sparse table costs a cache miss per key.
  void Fit(size_t n);
  // Bytes held (arena blocks and table), for memory accounting.
  size_t MemoryBytes() const;

  // Calls fn(key, value) for every pending write, in no particular order; value is nullptr for
  // a delete. The views are valid until the batch changes.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    Settle();
    for (const Slot& slot : table_) {
      if (slot.record == nullptr) continue;
      const Record r = Decode(slot.record);
      fn(r.key, r.deleted ? nullptr : &r.value);
    }
  }
  // The same, in bytewise key order. Sorts the keys with a most-significant-byte-first radix
  // sort (SortedRecords): keys of one view share long prefixes (view tag, record kind, a term
  // many claims carry), which a comparison sort would compare byte by byte again and again.
  // Not to be called concurrently on one batch (it reuses its sort buffers).
  template <typename Fn>
  void ForEachInKeyOrder(Fn&& fn) const {
    SortedRecords(&sorted_);
    // In key order the records are scattered over the arena (tens of MiB for a bulk batch):
    // each would be a cache miss, so the ones kPrefetchAhead further on are fetched meanwhile.
    const size_t n = sorted_.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) {
        const char* ahead = sorted_[i + kPrefetchAhead];
        __builtin_prefetch(ahead);
        __builtin_prefetch(ahead + 64);
      }
      const Record r = Decode(sorted_[i]);
      fn(r.key, r.deleted ? nullptr : &r.value);
    }
  }

 private:
  // A record in the arena: u32 key length, u32 (value length << 2 | replaced << 1 | deleted),
  // key, value, padded to 4 bytes. `replaced`: a later write of the same key exists.
  struct Record {
    absl::string_view key;
    absl::string_view value;
    bool deleted;
    bool replaced;
  };
  struct Slot {
    uint64_t hash = 0;
    const char* record = nullptr;  // nullptr: empty
  };
  static Record Decode(const char* record) {
    uint32_t key_len, tail;
    std::memcpy(&key_len, record, 4);
    std::memcpy(&tail, record + 4, 4);
    const char* key = record + 8;
    return Record{absl::string_view(key, key_len), absl::string_view(key + key_len, tail >> 2),
                  (tail & 1) != 0, (tail & 2) != 0};
  }
  static size_t RecordBytes(size_t key_len, size_t value_len) {
    return (8 + key_len + value_len + 3) & ~size_t{3};
  }
  static void MarkReplaced(const char* record) {
    char* r = const_cast<char*>(record);  // the arena is ours; slots point into it
    uint32_t tail;
    std::memcpy(&tail, r + 4, 4);
    tail |= 2;
    std::memcpy(r + 4, &tail, 4);
  }
  // The records of the distinct keys written, in key order: *records, through scratch space
  // kept for the next call (a bulk batch sorts millions of keys; fresh buffers of that size
  // would be page-faulted in again each time).
  void SortedRecords(std::vector<const char*>* records) const;
  static constexpr size_t kPrefetchAhead = 16;
  struct SortItem {
    // Bytes [cached_at, cached_at + 8) of the key, big-endian, zero past its end; cached_at is
    // the sort's depth rounded down to a multiple of 8. The radix passes read these instead of
    // the key, so a key (a cache miss in a large batch) is read once per 8 bytes of depth, not
    // once per pass.
    uint64_t cached;
    const char* key;
    uint32_t size;
    const char* record;
  };
  // Bytes [at, at + 8) of `item`'s key as SortItem::cached holds them.
  static uint64_t KeyWord(const SortItem& item, size_t at);
  // Sorts items[0, n), whose keys agree on their first `depth` bytes and whose `cached` words
  // hold their bytes from `cached_at` on (view_store.cc).
  static void RadixSort(SortItem* items, SortItem* scratch, size_t n, size_t depth,
                        size_t cached_at);
  mutable std::vector<SortItem> sort_items_, sort_scratch_;
  mutable std::vector<const char*> sorted_;
  void Add(absl::string_view key, const absl::string_view* value);
  // Enters a record into the table (replacing the record of the same key, if any).
  void Enter(uint64_t hash, const char* record) const;
  void EnterOldestDeferred() const;
  char* Allocate(size_t bytes);
  void Grow(size_t min_slots);

  // Writes not yet in the table, oldest first from deferred_head_ (a ring).
  static constexpr size_t kDeferred = 8;
  mutable Slot deferred_[kDeferred];
  mutable size_t deferred_head_ = 0;
  mutable size_t deferred_count_ = 0;

  static constexpr size_t kBlockBytes = size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;  // each kBlockBytes, or larger for a big record
  std::vector<size_t> block_sizes_;
  std::vector<size_t> block_ends_;  // bytes used in each block (for the one being filled: block_used_)
  size_t block_index_ = 0;  // the block being filled
  size_t block_used_ = 0;
  mutable std::vector<Slot> table_;  // power-of-two size, at most half full
  mutable size_t size_ = 0;  // keys in the table
};

struct ViewWriteOptions {
  // A bulk write (a rebuild or a long catch-up) may skip the write-ahead log: it is lost on a
  // crash unless flushed, and the views then resume from an earlier watermark. The store keeps
  // the order of writes on a crash: a later normal write is never durable without the bulk
  // writes before it (RocksDbViewStore flushes them first).
  bool bulk = false;
  // Write the batch as one sorted file added to the store directly (RocksDbViewStore: an SST
  // file built with SstFileWriter and ingested with IngestExternalFile) instead of through the
  // memtable: far cheaper per key for a large batch (a rebuild, a long catch-up), and durable
  // when Write returns. Earlier writes not yet durable are made durable first, so the order of
  // writes on a crash is kept. A small batch costs a file of its own: use it for large ones.
  bool as_file = false;
};

// Key-value storage of the views. Implementations are thread-safe: reads run concurrently with
// each other and with Write. Write is atomic: readers see all of a batch or none of it. A Scan
// sees one consistent state (a snapshot); separate calls may see different states.
class ViewStore {
 public:
  virtual ~ViewStore() = default;

  // The value of `key`, nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const = 0;

  // Calls fn(key, value) for each key in [begin, end) in key order until fn returns false.
  // An empty `end` means no upper bound. The string_views are valid only during the call; fn must
  // not call back into the store.
  virtual absl::Status Scan(
      absl::string_view begin, absl::string_view end,
      const std::function<bool(absl::string_view key, absl::string_view value)>& fn) const = 0;

  // Applies `batches` atomically, as one write: readers see all of them or none. Their keys
  // must be disjoint, and for a write as_file each batch's keys must lie in a key range of its
  // own, the batches in ascending order of their ranges (together they make one sorted file;
  // the ViewEngine gives each lane a contiguous run of views). On error nothing or all of it may
  // have been applied (the caller rereads its watermark).
  virtual absl::Status WriteAll(absl::Span<const ViewBatch* const> batches,
                                const ViewWriteOptions& options) = 0;

  // One batch: WriteAll({&batch}, options).
  absl::Status Write(const ViewBatch& batch, const ViewWriteOptions& options = {}) {
    const ViewBatch* one = &batch;
    return WriteAll(absl::MakeConstSpan(&one, 1), options);
  }

  // Deletes every key, atomically and durably (a crash leaves either all or none).
  virtual absl::Status Clear() = 0;

  // Makes every write so far durable (the bulk ones included).
  virtual absl::Status Flush() = 0;
};

// A ViewStore in memory, for tests. Thread-safe (one mutex, held for the whole of a Scan).
class MemoryViewStore : public ViewStore {
 public:
  MemoryViewStore() = default;
  MemoryViewStore(const MemoryViewStore&) = delete;
  MemoryViewStore& operator=(const MemoryViewStore&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override;
  absl::Status Scan(
      absl::string_view begin, absl::string_view end,
      const std::function<bool(absl::string_view, absl::string_view)>& fn) const override;
  absl::Status WriteAll(absl::Span<const ViewBatch* const> batches,
                        const ViewWriteOptions& options) override;
  absl::Status Clear() override;
  absl::Status Flush() override { return absl::OkStatus(); }

  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string, std::less<>> data_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_VIEW_STORE_H_
