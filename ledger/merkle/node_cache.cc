#include "ledger/merkle/node_cache.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace ledger::merkle {
namespace {

bool IsEmptySlot(const Hash& h) {
  for (uint8_t b : h) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace

uint32_t NodeCache::MinLevelFor(uint64_t size, uint64_t budget_bytes) {
  for (uint32_t level = 0; level < kNoLevel; ++level) {
    // Slots for levels >= `level`: the sum of size >> l, at most 2 * (size >> level), plus
    // the 1/8 headroom Insert reserves when a level grows.
    const uint64_t nodes = 2 * (size >> level);
    if (nodes + nodes / 8 <= budget_bytes / sizeof(Hash)) return level;
  }
  return kNoLevel;
}

uint32_t NodeCache::min_level() const {
  absl::ReaderMutexLock lock(&mu_);
  return min_level_;
}

void NodeCache::RaiseMinLevel(uint32_t level) {
  absl::MutexLock lock(&mu_);
  level = std::min(level, kNoLevel);
  for (; min_level_ < level; ++min_level_) std::vector<Hash>().swap(levels_[min_level_]);
}

size_t NodeCache::Lookup(const std::vector<NodeId>& ids, std::vector<Hash>* hashes,
                         std::vector<bool>* found) const {
  size_t n = 0;
  absl::ReaderMutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    const NodeId& id = ids[i];
    if (id.level < min_level_ || id.level >= kNoLevel) continue;
    const std::vector<Hash>& level = levels_[id.level];
    if (id.index >= level.size()) continue;
    const Hash& h = level[id.index];
    if (IsEmptySlot(h)) continue;
    (*hashes)[i] = h;
    (*found)[i] = true;
    ++n;
  }
  return n;
}

void NodeCache::Insert(const std::vector<NodeId>& ids, const std::vector<Hash>& hashes,
                       uint64_t tree_size) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size() && i < hashes.size(); ++i) {
    const NodeId& id = ids[i];
    if (id.level < min_level_ || id.level >= kNoLevel) continue;
    // Only complete subtrees of the tree read: index < tree_size >> level, so the slots of a
    // level never exceed the nodes that level has.
    if (id.index >= (tree_size >> id.level)) continue;
    std::vector<Hash>& level = levels_[id.level];
    if (id.index >= level.size()) {
      // To the level's node count in this tree, with 1/8 headroom for the tree's growth.
      const size_t want = static_cast<size_t>(tree_size >> id.level);
      if (want > level.capacity()) level.reserve(want + want / 8);
      level.resize(want);
    }
    level[id.index] = hashes[i];
  }
}

size_t NodeCache::memory_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t bytes = 0;
  for (const auto& level : levels_) bytes += level.capacity() * sizeof(Hash);
  return bytes;
}

NodeBatchReader CachingNodeReader(NodeCache* cache, NodeBatchReader store, uint64_t tree_size) {
  return [cache, store = std::move(store), tree_size](const std::vector<NodeId>& ids,
                                                      std::vector<Hash>* out) -> absl::Status {
    out->assign(ids.size(), Hash{});
    std::vector<bool> found(ids.size(), false);
    if (cache->Lookup(ids, out, &found) == ids.size()) return absl::OkStatus();
    std::vector<NodeId> missing;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!found[i]) missing.push_back(ids[i]);
    }
    std::vector<Hash> read;
    absl::Status s = store(missing, &read);
    if (!s.ok()) return s;
    if (read.size() != missing.size()) {
      return absl::InternalError("a node reader returned the wrong number of hashes");
    }
    for (size_t i = 0, j = 0; i < ids.size(); ++i) {
      if (!found[i]) (*out)[i] = read[j++];
    }
    cache->Insert(missing, read, tree_size);
    return absl::OkStatus();
  };
}

}  // namespace ledger::merkle
