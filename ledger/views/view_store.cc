#include "ledger/views/view_store.h"


namespace ledger::views {

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
  batch.ForEach([this](const std::string& key, const std::optional<std::string>& value)
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                      if (value.has_value()) {
                        data_[key] = *value;
                      } else {
                        data_.erase(key);
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
