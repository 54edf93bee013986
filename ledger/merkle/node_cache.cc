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

size_t NodeCache::Lookup(const std::vector<NodeId>& ids, std::vector<Hash>* hashes,
                         std::vector<bool>* found) const {
  size_t n = 0;
  absl::ReaderMutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    const NodeId& id = ids[i];
    if (id.level < min_level_) continue;
    const size_t l = id.level - min_level_;
    if (l >= levels_.size() || id.index >= levels_[l].size()) continue;
    const Hash& h = levels_[l][id.index];
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
    if (id.level < min_level_ || id.level >= 64) continue;
    // Only complete subtrees of the tree read: index < tree_size >> level, so the slots of a
    // level never exceed the nodes that level has.
    if (id.index >= (tree_size >> id.level)) continue;
    const size_t l = id.level - min_level_;
    if (l >= levels_.size()) levels_.resize(l + 1);
    std::vector<Hash>& level = levels_[l];
    if (id.index >= level.size()) {
      // To the level's node count in this tree: a level is resized when the tree has grown,
      // and std::vector grows its capacity geometrically.
      level.resize(static_cast<size_t>(tree_size >> id.level));
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
