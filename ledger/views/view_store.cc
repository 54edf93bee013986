#include "ledger/views/view_store.h"

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"

namespace ledger::views {

// ---- ViewBatch ------------------------------------------------------------------------------

char* ViewBatch::Allocate(size_t bytes) {
  // `bytes` is a RecordBytes(): records are laid end to end, so ForEachInKeyOrder can walk them.
  while (block_index_ < blocks_.size()) {
    if (block_used_ + bytes <= block_sizes_[block_index_]) {
      char* p = blocks_[block_index_].get() + block_used_;
      block_used_ += bytes;
      return p;
    }
    if (block_index_ + 1 == blocks_.size()) break;
    block_ends_[block_index_] = block_used_;  // the rest of this block stays unused until Clear
    ++block_index_;
    block_used_ = 0;
  }
  if (!blocks_.empty()) block_ends_[block_index_] = block_used_;
  const size_t size = std::max(kBlockBytes, bytes);
  blocks_.push_back(std::unique_ptr<char[]>(new char[size]));
  block_sizes_.push_back(size);
  block_ends_.push_back(0);
  block_index_ = blocks_.size() - 1;
  block_used_ = bytes;
  return blocks_.back().get();
}

void ViewBatch::Grow(size_t min_slots) {
  size_t n = table_.empty() ? 64 : table_.size();
  while (n < 2 * min_slots) n *= 2;
  if (n == table_.size()) return;
  std::vector<Slot> old = std::move(table_);
  table_.assign(n, Slot{});
  const size_t mask = n - 1;
  for (const Slot& slot : old) {
    if (slot.record == nullptr) continue;
    size_t i = slot.hash & mask;
    while (table_[i].record != nullptr) i = (i + 1) & mask;
    table_[i] = slot;
  }
}

void ViewBatch::Reserve(size_t n) {
  if (2 * n > table_.size()) Grow(n);
}

void ViewBatch::Fit(size_t n) {
  if (empty() && table_.size() > 64 && table_.size() > 8 * n) table_.clear();
  Reserve(n);
}

void ViewBatch::Add(absl::string_view key, const absl::string_view* value) {
  if (2 * (size_ + deferred_count_ + 1) > table_.size()) {
    Settle();
    Grow(size_ + 1);
  }
  const size_t value_len = value == nullptr ? 0 : value->size();
  char* record = Allocate(RecordBytes(key.size(), value_len));
  const uint32_t key_len = static_cast<uint32_t>(key.size());
  const uint32_t tail = static_cast<uint32_t>(value_len << 2) | (value == nullptr ? 1u : 0u);
  std::memcpy(record, &key_len, 4);
  std::memcpy(record + 4, &tail, 4);
  if (!key.empty()) std::memcpy(record + 8, key.data(), key.size());
  if (value_len > 0) std::memcpy(record + 8 + key.size(), value->data(), value_len);

  const uint64_t hash = absl::Hash<absl::string_view>()(key);
  __builtin_prefetch(&table_[hash & (table_.size() - 1)]);
  if (deferred_count_ == kDeferred) EnterOldestDeferred();
  deferred_[(deferred_head_ + deferred_count_) % kDeferred] = Slot{hash, record};
  ++deferred_count_;
}

void ViewBatch::EnterOldestDeferred() const {
  const Slot oldest = deferred_[deferred_head_];
  deferred_head_ = (deferred_head_ + 1) % kDeferred;
  --deferred_count_;
  Enter(oldest.hash, oldest.record);
}

void ViewBatch::Enter(uint64_t hash, const char* record) const {
  const absl::string_view key = Decode(record).key;
  const size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = table_[i];
    if (slot.record == nullptr) {
      slot = Slot{hash, record};
      ++size_;
      return;
    }
    if (slot.hash == hash && Decode(slot.record).key == key) {
      MarkReplaced(slot.record);  // the later write wins
      slot.record = record;
      return;
    }
  }
}

ViewBatch::Pending ViewBatch::Find(absl::string_view key, absl::string_view* value) const {
  if (size_ == 0 && deferred_count_ == 0) return Pending::kNone;
  const uint64_t hash = absl::Hash<absl::string_view>()(key);
  auto answer = [value](const Record& r) {
    if (r.deleted) return Pending::kDeleted;
    *value = r.value;
    return Pending::kPut;
  };
  // The deferred writes are newer than the table's: the newest first.
  for (size_t k = deferred_count_; k > 0; --k) {
    const Slot& slot = deferred_[(deferred_head_ + k - 1) % kDeferred];
    if (slot.hash != hash) continue;
    const Record r = Decode(slot.record);
    if (r.key == key) return answer(r);
  }
  if (size_ == 0) return Pending::kNone;
  const size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = table_[i];
    if (slot.record == nullptr) return Pending::kNone;
    if (slot.hash != hash) continue;
    const Record r = Decode(slot.record);
    if (r.key != key) continue;
    return answer(r);
  }
}

void ViewBatch::Clear() {
  if (size_ > 0) std::fill(table_.begin(), table_.end(), Slot{});
  size_ = 0;
  deferred_head_ = 0;
  deferred_count_ = 0;
  block_index_ = 0;
  block_used_ = 0;
}

namespace {

// Sorts items[0, n) by key, knowing that their keys agree on their first `depth` bytes: an MSD
// radix sort (one counting pass and one distribution pass per byte position, through `scratch`
// of n items), which hands buckets of fewer than 32 keys to a comparison sort starting at
// `depth`, as it does past the first kRadixDepth bytes (which bounds the recursion, and its
// 4 KiB of counters per level, whatever the keys). Keys are distinct (a batch holds one record
// per key).
constexpr size_t kRadixDepth = 64;

}  // namespace

uint64_t ViewBatch::KeyWord(const SortItem& item, size_t at) {
  unsigned char bytes[8] = {};
  if (at < item.size) std::memcpy(bytes, item.key + at, std::min<size_t>(8, item.size - at));
  uint64_t word = 0;
  for (unsigned char b : bytes) word = (word << 8) | b;
  return word;
}

void ViewBatch::RadixSort(SortItem* items, SortItem* scratch, size_t n, size_t depth,
                          size_t cached_at) {
  for (;;) {
    if (n < 32 || depth >= kRadixDepth) {
      // Their cached words are those of the bytes at `depth`, so that most comparisons need
      // no key bytes (all the keys agree on the bytes before).
      const size_t word_at = depth & ~size_t{7};
      if (word_at != cached_at && depth < kRadixDepth) {
        for (size_t i = 0; i < n; ++i) items[i].cached = KeyWord(items[i], word_at);
      }
      // The cached words decide wherever they differ: up to the first difference both keys
      // have equal bytes (a key that ended reads as zeros, and a key sorts before its
      // extensions), so the first differing byte orders them as the keys' bytes do.
      std::sort(items, items + n, [depth](const SortItem& a, const SortItem& b) {
        if (a.cached != b.cached) return a.cached < b.cached;
        const size_t common = std::min(a.size, b.size);
        if (depth < common) {
          const int c = std::memcmp(a.key + depth, b.key + depth, common - depth);
          if (c != 0) return c < 0;
        }
        return a.size < b.size;
      });
      return;
    }
    const size_t word_at = depth & ~size_t{7};
    if (word_at != cached_at) {
      // The keys are scattered over the arena: fetch a few ahead, so their misses overlap.
      constexpr size_t kAhead = 8;
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(items[i + kAhead].key + word_at);
        items[i].cached = KeyWord(items[i], word_at);
      }
      cached_at = word_at;
    }
    // The byte of a key at `depth`, plus one; 0 past its end (a key sorts before its extensions).
    const unsigned shift = static_cast<unsigned>(56 - 8 * (depth - word_at));
    auto byte_at = [depth, shift](const SortItem& item) -> unsigned {
      return depth < item.size ? static_cast<unsigned>((item.cached >> shift) & 0xff) + 1u : 0u;
    };
    size_t count[257] = {};
    for (size_t i = 0; i < n; ++i) ++count[byte_at(items[i])];
    // All in one bucket: the byte is common to every key; look at the next one.
    const unsigned first = byte_at(items[0]);
    if (count[first] == n) {
      if (first == 0) return;  // every key ends here: they are all equal (cannot happen)
      ++depth;
      continue;
    }
    size_t offset[257];
    size_t sum = 0;
    for (unsigned b = 0; b < 257; ++b) {
      offset[b] = sum;
      sum += count[b];
    }
    for (size_t i = 0; i < n; ++i) scratch[offset[byte_at(items[i])]++] = items[i];
    std::memcpy(items, scratch, n * sizeof(SortItem));
    // Bucket 0 holds at most one key (the one that ends here); the others recurse.
    size_t begin = count[0];
    for (unsigned b = 1; b < 257; ++b) {
      if (count[b] > 1) RadixSort(items + begin, scratch, count[b], depth + 1, cached_at);
      begin += count[b];
    }
    return;
  }
}

void ViewBatch::SortedRecords(std::vector<const char*>* records) const {
  Settle();  // marks the records later writes replaced
  std::vector<SortItem>& items = sort_items_;
  items.clear();
  items.reserve(size_);
  // Walks the arena in order: records replaced later are marked, so the table is not needed.
  for (size_t b = 0; b < blocks_.size() && b <= block_index_; ++b) {
    const char* p = blocks_[b].get();
    const char* end = p + (b == block_index_ ? block_used_ : block_ends_[b]);
    while (p < end) {
      const Record r = Decode(p);
      if (!r.replaced) {
        SortItem item{0, r.key.data(), static_cast<uint32_t>(r.key.size()), p};
        item.cached = KeyWord(item, 0);
        items.push_back(item);
      }
      p += RecordBytes(r.key.size(), r.value.size());
    }
  }
  if (sort_scratch_.size() < items.size()) sort_scratch_.resize(items.size());
  RadixSort(items.data(), sort_scratch_.data(), items.size(), 0, 0);
  records->clear();
  records->reserve(items.size());
  for (const SortItem& item : items) records->push_back(item.record);
}

size_t ViewBatch::MemoryBytes() const {
  size_t n = table_.size() * sizeof(Slot);
  for (size_t b : block_sizes_) n += b;
  return n;
}

// ---- MemoryViewStore -------------------------------------------------------------------------

absl::StatusOr<std::optional<std::string>> MemoryViewStore::Get(absl::string_view key) const {
  absl::MutexLock lock(&mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

absl::Status MemoryViewStore::Scan(
    absl::string_view begin, absl::string_view end,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  // The mutex is held for the whole scan: that is the snapshot (fn may not call the store).
  absl::MutexLock lock(&mu_);
  for (auto it = data_.lower_bound(begin); it != data_.end(); ++it) {
    if (!end.empty() && absl::string_view(it->first) >= end) break;
    if (!fn(it->first, it->second)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryViewStore::WriteAll(absl::Span<const ViewBatch* const> batches,
                                       const ViewWriteOptions&) {
  absl::MutexLock lock(&mu_);
  for (const ViewBatch* batch : batches) {
  batch->ForEach([this](absl::string_view key, const absl::string_view* value)
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                      if (value != nullptr) {
                        auto it = data_.find(key);
                        if (it == data_.end()) {
                          data_.emplace(std::string(key), std::string(*value));
                        } else {
                          it->second.assign(value->data(), value->size());
                        }
                      } else {
                        auto it = data_.find(key);
                        if (it != data_.end()) data_.erase(it);
                      }
                    });
  }
  return absl::OkStatus();
}

absl::Status MemoryViewStore::Clear() {
  absl::MutexLock lock(&mu_);
  data_.clear();
  return absl::OkStatus();
}

size_t MemoryViewStore::size() const {
  absl::MutexLock lock(&mu_);
  return data_.size();
}

}  // namespace ledger::views
