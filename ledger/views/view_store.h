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
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ledger::views {

// Puts and deletes applied atomically by ViewStore::Write. A later write to the same key replaces
// an earlier one in the batch. Thread-compatible.
class ViewBatch {
 public:
  void Put(std::string key, std::string value) {
    ops_.insert_or_assign(std::move(key), std::optional<std::string>(std::move(value)));
  }
  void Delete(absl::string_view key) { ops_[key] = std::nullopt; }

  // The pending write of `key`: nullptr when the batch does not touch it; otherwise the value
  // put, or nullopt for a delete. Valid until the batch changes.
  const std::optional<std::string>* Find(absl::string_view key) const {
    auto it = ops_.find(key);
    return it == ops_.end() ? nullptr : &it->second;
  }

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  void Clear() { ops_.clear(); }
  // Room for `n` keys without rehashing.
  void Reserve(size_t n) { ops_.reserve(n); }

  // Calls fn(key, value-or-nullopt) for every pending write, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [key, value] : ops_) fn(key, value);
  }
  // The same, in key order (sorts; O(n log n)). Each key's first 8 bytes, read as a big-endian
  // number (zero-padded), decide most comparisons without touching the strings.
  template <typename Fn>
  void ForEachInKeyOrder(Fn&& fn) const {
    struct Item {
      uint64_t head;
      const Map::value_type* op;
    };
    std::vector<Item> sorted;
    sorted.reserve(ops_.size());
    for (const auto& op : ops_) sorted.push_back(Item{KeyHead(op.first), &op});
    std::sort(sorted.begin(), sorted.end(), [](const Item& a, const Item& b) {
      if (a.head != b.head) return a.head < b.head;
      return a.op->first < b.op->first;
    });
    for (const Item& item : sorted) fn(item.op->first, item.op->second);
  }

 private:
  using Map = absl::flat_hash_map<std::string, std::optional<std::string>>;
  // The first 8 bytes of `key`, big-endian, zero-padded: a < b implies head(a) <= head(b).
  static uint64_t KeyHead(const std::string& key) {
    uint64_t head = 0;
    const size_t n = std::min<size_t>(key.size(), 8);
    for (size_t i = 0; i < 8; ++i) {
      head = (head << 8) | (i < n ? static_cast<unsigned char>(key[i]) : 0);
    }
    return head;
  }
  Map ops_;
};

struct ViewWriteOptions {
  // A bulk write (a rebuild or a long catch-up) may skip the write-ahead log: it is lost on a
  // crash unless flushed, and the views then resume from an earlier watermark. The store keeps
  // the order of writes on a crash: a later normal write is never durable without the bulk
  // writes before it (RocksDbViewStore flushes them first).
  bool bulk = false;
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

  // Applies `batch` atomically. On error nothing or all of it may have been applied (the caller
  // rereads its watermark).
  virtual absl::Status Write(const ViewBatch& batch, const ViewWriteOptions& options = {}) = 0;

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
  absl::Status Write(const ViewBatch& batch, const ViewWriteOptions& options = {}) override;
  absl::Status Clear() override;
  absl::Status Flush() override { return absl::OkStatus(); }

  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string, std::less<>> data_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_VIEW_STORE_H_
