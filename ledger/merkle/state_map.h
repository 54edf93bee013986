// The claim-state map: a verifiable map from 32-byte keys to 32-byte values, committed by one
// root hash (docs/format.md §13, "The claim-state map"). The ledger uses it to commit, at a
// tree size, the state of every claim and key (ledger/views/claim_state.h), so that an answer
// about one claim can be checked against a signed root without trusting the server.
//
// The map is a sparse Merkle tree over the 256 bits of the key (bit 0 is the most significant
// bit of byte 0), with subtrees that hold one leaf collapsed to that leaf (as in Diem's
// Jellyfish tree), so a map of n keys has depth ~log2(n), not 256:
//
//   Hash(subtree) = EMPTY                                   no key under it
//                 = SHA-256(0x02 || key || value)           exactly one key under it
//                 = SHA-256(0x03 || Hash(left) || Hash(right))   two or more (left: next bit 0)
//   EMPTY         = 32 zero bytes
//   root          = Hash(the whole key space); EMPTY for an empty map
//
// The prefixes 0x02 and 0x03 keep map hashes apart from the log tree's (RFC 6962: 0x00, 0x01).
// The tree's shape depends only on the set of keys, never on the order they were inserted.
//
// A proof for a key lists the siblings along the key's path from the root down to the first
// subtree that holds at most one key, and that subtree: EMPTY (the key is absent), the key's
// own leaf (present, with its value), or another key's leaf whose first len(siblings) bits
// equal the key's (absent). VerifyMapProof recomputes the root from it.
//
// StateMap keeps the map in memory: keys bucketed by their first 16 bits (each bucket a sorted
// vector), the hashes and key counts of the top 16 levels in arrays, and each bucket's hash
// cached. Set marks a bucket dirty; Commit rehashes dirty buckets and their ancestors only.
// Memory: ~72 bytes per key plus 4.5 MiB. Thread-compatible (callers lock).
#ifndef LEDGER_MERKLE_STATE_MAP_H_
#define LEDGER_MERKLE_STATE_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::merkle {

inline constexpr uint8_t kMapLeafPrefix = 0x02;
inline constexpr uint8_t kMapNodePrefix = 0x03;
// Longest path a map proof can have (one sibling per key bit).
inline constexpr size_t kMaxMapProofSiblings = 256;

Hash MapEmptyHash();
Hash MapLeafHash(const Hash& key, const Hash& value);
Hash MapNodeHash(const Hash& left, const Hash& right);
// Bit `i` (0 = the most significant bit of byte 0) of `key`.
inline int MapKeyBit(const Hash& key, size_t i) { return (key[i / 8] >> (7 - i % 8)) & 1; }

struct MapLeaf {
  Hash key{};
  Hash value{};
};

struct MapProof {
  // siblings[i]: the hash of the subtree at depth i + 1 beside the key's path.
  std::vector<Hash> siblings;
  // The subtree the path ends in: nullopt when EMPTY, else its one leaf (the key's own, or
  // another key sharing the key's first siblings.size() bits).
  std::optional<MapLeaf> terminal;
};

// The value `proof` proves for `key` under `root`: the value when present, nullopt when the
// key is absent. DataLoss naming the check that fails: too many siblings, a terminal leaf off
// the key's path, a recomputed root that is not `root`.
absl::StatusOr<std::optional<Hash>> VerifyMapProof(const Hash& root, const Hash& key,
                                                   const MapProof& proof);

class StateMap {
 public:
  StateMap();

  // Inserts or replaces; visible to Root and Prove after the next Commit.
  void Set(const Hash& key, const Hash& value);
  // Rehashes what changed since the last Commit; returns the new root.
  Hash Commit();
  // The root as of the last Commit.
  Hash Root() const { return top_hash_[0][0]; }
  // Keys held (as of the last Set).
  uint64_t size() const { return size_; }
  // The value of `key` as of the last Set, nullopt when absent.
  std::optional<Hash> Get(const Hash& key) const;
  // A proof for `key` against Root(). Precondition: no Set since the last Commit.
  MapProof Prove(const Hash& key) const;
  // Bytes held, for metrics and the bench.
  size_t MemoryBytes() const;

  static constexpr int kBucketBits = 16;

 private:
  static size_t BucketOf(const Hash& key) { return (size_t{key[0]} << 8) | key[1]; }
  using Leaves = std::vector<MapLeaf>;
  // The hash of leaves [begin, end) (sorted, sharing their first `depth` bits).
  static Hash RangeHash(const MapLeaf* begin, const MapLeaf* end, size_t depth);

  std::vector<Leaves> buckets_;
  std::vector<uint32_t> dirty_;       // bucket indices Set since the last Commit
  std::vector<bool> is_dirty_;
  // top_hash_[l][i], top_count_[l][i]: the node at depth l (0..kBucketBits), index i.
  std::vector<std::vector<Hash>> top_hash_;
  std::vector<std::vector<uint32_t>> top_count_;
  uint64_t size_ = 0;
};

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_STATE_MAP_H_
