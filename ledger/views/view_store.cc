#include "ledger/views/view_store.h"

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

void ViewBatch::Add(absl::string_view key, const absl::string_view* value) {
  if (2 * (size_ + 1) > table_.size()) Grow(size_ + 1);
  const size_t value_len = value == nullptr ? 0 : value->size();
  char* record = Allocate(RecordBytes(key.size(), value_len));
  const uint32_t key_len = static_cast<uint32_t>(key.size());
  const uint32_t tail = static_cast<uint32_t>(value_len << 2) | (value == nullptr ? 1u : 0u);
  std::memcpy(record, &key_len, 4);
  std::memcpy(record + 4, &tail, 4);
  if (!key.empty()) std::memcpy(record + 8, key.data(), key.size());
  if (value_len > 0) std::memcpy(record + 8 + key.size(), value->data(), value_len);

  const uint64_t hash = absl::Hash<absl::string_view>()(key);
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
  if (size_ == 0) return Pending::kNone;
  const uint64_t hash = absl::Hash<absl::string_view>()(key);
  const size_t mask = table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = table_[i];
    if (slot.record == nullptr) return Pending::kNone;
    if (slot.hash != hash) continue;
    const Record r = Decode(slot.record);
    if (r.key != key) continue;
    if (r.deleted) return Pending::kDeleted;
    *value = r.value;
    return Pending::kPut;
  }
}

void ViewBatch::Clear() {
  if (size_ > 0) std::fill(table_.begin(), table_.end(), Slot{});
  size_ = 0;
  block_index_ = 0;
  block_used_ = 0;
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

absl::Status MemoryViewStore::Write(const ViewBatch& batch, const ViewWriteOptions&) {
  absl::MutexLock lock(&mu_);
  batch.ForEach([this](absl::string_view key, const absl::string_view* value)
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
