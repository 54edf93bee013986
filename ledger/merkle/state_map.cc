#include "ledger/merkle/state_map.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/crypto/sha256.h"

namespace ledger::merkle {

namespace {

bool KeyLess(const MapLeaf& a, const MapLeaf& b) { return a.key < b.key; }

// The first leaf in [begin, end) whose bit `depth` is 1 (the leaves are sorted and share
// their first `depth` bits, so the bit is monotonic).
const MapLeaf* SplitPoint(const MapLeaf* begin, const MapLeaf* end, size_t depth) {
  return std::partition_point(begin, end,
                              [depth](const MapLeaf& l) { return MapKeyBit(l.key, depth) == 0; });
}

}  // namespace

Hash MapEmptyHash() { return Hash{}; }

Hash MapLeafHash(const Hash& key, const Hash& value) {
  const char prefix = static_cast<char>(kMapLeafPrefix);
  return crypto::Sha256Concat(
      {absl::string_view(&prefix, 1), AsStringView(key), AsStringView(value)});
}

Hash MapNodeHash(const Hash& left, const Hash& right) {
  const char prefix = static_cast<char>(kMapNodePrefix);
  return crypto::Sha256Concat(
      {absl::string_view(&prefix, 1), AsStringView(left), AsStringView(right)});
}

absl::StatusOr<std::optional<Hash>> VerifyMapProof(const Hash& root, const Hash& key,
                                                   const MapProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kMaxMapProofSiblings) {
    return absl::DataLossError(absl::StrCat("map proof has ", depth, " siblings; the limit is ",
                                            kMaxMapProofSiblings));
  }
  Hash h = MapEmptyHash();
  std::optional<Hash> value;
  if (proof.terminal.has_value()) {
    const MapLeaf& leaf = *proof.terminal;
    for (size_t i = 0; i < depth; ++i) {
      if (MapKeyBit(leaf.key, i) != MapKeyBit(key, i)) {
        return absl::DataLossError(absl::StrCat(
            "map proof's terminal leaf is not on the key's path (bit ", i, " differs)"));
      }
    }
    h = MapLeafHash(leaf.key, leaf.value);
    if (leaf.key == key) value = leaf.value;
  }
  for (size_t i = depth; i-- > 0;) {
    h = MapKeyBit(key, i) == 0 ? MapNodeHash(h, proof.siblings[i])
                               : MapNodeHash(proof.siblings[i], h);
  }
  if (h != root) {
    return absl::DataLossError(absl::StrCat("map proof leads to root ", HexEncode(h),
                                            ", not the committed map root ", HexEncode(root)));
  }
  return value;
}

StateMap::StateMap()
    : buckets_(size_t{1} << kBucketBits), is_dirty_(size_t{1} << kBucketBits, false) {
  for (int l = 0; l <= kBucketBits; ++l) {
    top_hash_.emplace_back(size_t{1} << l, MapEmptyHash());
    top_count_.emplace_back(size_t{1} << l, 0);
  }
}

void StateMap::Set(const Hash& key, const Hash& value) {
  const size_t b = BucketOf(key);
  Leaves& leaves = buckets_[b];
  MapLeaf leaf{key, value};
  auto it = std::lower_bound(leaves.begin(), leaves.end(), leaf, KeyLess);
  if (it != leaves.end() && it->key == key) {
    if (it->value == value) return;
    it->value = value;
  } else {
    leaves.insert(it, leaf);
    ++size_;
  }
  if (!is_dirty_[b]) {
    is_dirty_[b] = true;
    dirty_.push_back(static_cast<uint32_t>(b));
  }
}

std::optional<Hash> StateMap::Get(const Hash& key) const {
  const Leaves& leaves = buckets_[BucketOf(key)];
  auto it = std::lower_bound(leaves.begin(), leaves.end(), MapLeaf{key, Hash{}}, KeyLess);
  if (it == leaves.end() || it->key != key) return std::nullopt;
  return it->value;
}

Hash StateMap::RangeHash(const MapLeaf* begin, const MapLeaf* end, size_t depth) {
  const size_t n = end - begin;
  if (n == 0) return MapEmptyHash();
  if (n == 1) return MapLeafHash(begin->key, begin->value);
  const MapLeaf* mid = SplitPoint(begin, end, depth);
  return MapNodeHash(RangeHash(begin, mid, depth + 1), RangeHash(mid, end, depth + 1));
}

Hash StateMap::Commit() {
  if (dirty_.empty()) return Root();
  std::vector<uint32_t> level = dirty_;
  for (uint32_t b : dirty_) {
    const Leaves& leaves = buckets_[b];
    top_count_[kBucketBits][b] = static_cast<uint32_t>(leaves.size());
    top_hash_[kBucketBits][b] =
        RangeHash(leaves.data(), leaves.data() + leaves.size(), kBucketBits);
    is_dirty_[b] = false;
  }
  dirty_.clear();
  for (int l = kBucketBits - 1; l >= 0; --l) {
    for (uint32_t& i : level) i >>= 1;
    std::sort(level.begin(), level.end());
    level.erase(std::unique(level.begin(), level.end()), level.end());
    for (uint32_t i : level) {
      const uint32_t cl = top_count_[l + 1][2 * i], cr = top_count_[l + 1][2 * i + 1];
      top_count_[l][i] = cl + cr;
      if (cl + cr <= 1) {
        // Zero or one key: EMPTY, or that key's leaf hash, which is the non-empty child's.
        top_hash_[l][i] = cl == 1 ? top_hash_[l + 1][2 * i] : top_hash_[l + 1][2 * i + 1];
      } else {
        top_hash_[l][i] = MapNodeHash(top_hash_[l + 1][2 * i], top_hash_[l + 1][2 * i + 1]);
      }
    }
  }
  return Root();
}

MapProof StateMap::Prove(const Hash& key) const {
  MapProof proof;
  const size_t b = BucketOf(key);
  // The top levels: from the root down to the bucket, or to a subtree of at most one key.
  size_t index = 0;
  for (int l = 0; l < kBucketBits; ++l) {
    if (top_count_[l][index] <= 1) break;
    const int bit = MapKeyBit(key, l);
    const size_t child = 2 * index + bit;
    proof.siblings.push_back(top_hash_[l + 1][child ^ 1]);
    index = child;
  }
  const int depth = static_cast<int>(proof.siblings.size());
  const uint32_t count = top_count_[depth][index];
  if (count == 0) return proof;
  if (count == 1) {
    // The one key under this node: find it in the buckets under it.
    const size_t shift = kBucketBits - depth;
    for (size_t i = index << shift; i < ((index + 1) << shift); ++i) {
      if (!buckets_[i].empty()) {
        proof.terminal = buckets_[i].front();
        break;
      }
    }
    return proof;
  }
  // Inside the bucket (depth == kBucketBits, two or more keys).
  const Leaves& leaves = buckets_[b];
  const MapLeaf* begin = leaves.data();
  const MapLeaf* end = leaves.data() + leaves.size();
  size_t d = kBucketBits;
  while (end - begin > 1) {
    const MapLeaf* mid = SplitPoint(begin, end, d);
    if (MapKeyBit(key, d) == 0) {
      proof.siblings.push_back(RangeHash(mid, end, d + 1));
      end = mid;
    } else {
      proof.siblings.push_back(RangeHash(begin, mid, d + 1));
      begin = mid;
    }
    ++d;
  }
  if (end - begin == 1) proof.terminal = *begin;
  return proof;
}

size_t StateMap::MemoryBytes() const {
  size_t bytes = buckets_.capacity() * sizeof(Leaves) + is_dirty_.capacity() / 8 +
                 dirty_.capacity() * sizeof(uint32_t);
  for (const Leaves& l : buckets_) bytes += l.capacity() * sizeof(MapLeaf);
  for (int l = 0; l <= kBucketBits; ++l) {
    bytes += top_hash_[l].capacity() * sizeof(Hash) + top_count_[l].capacity() * sizeof(uint32_t);
  }
  return bytes;
}

}  // namespace ledger::merkle
