// RFC 6962 / RFC 9162 Merkle tree hashing: the leaf hash, the interior node hash and the root
// of the empty tree.
//
// These three functions define every hash in the tree; the prefixes below are part of the signed
// and on-disk format (checkpoints sign roots; the node store persists these hashes).
#ifndef LEDGER_MERKLE_HASHER_H_
#define LEDGER_MERKLE_HASHER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::merkle {

// Domain-separation prefixes of RFC 6962 §2.1. Part of the signed and on-disk format:
// DO NOT CHANGE. They keep a leaf from ever being mistaken for an interior node (second
// preimage resistance).
inline constexpr uint8_t kLeafHashPrefix = 0x00;
inline constexpr uint8_t kNodeHashPrefix = 0x01;

// Returns SHA-256(0x00 || leaf_data), the hash of a leaf. Thread-safe.
Hash HashLeaf(absl::string_view leaf_data);

// Returns SHA-256(0x01 || left || right), the hash of an interior node. Thread-safe.
Hash HashChildren(const Hash& left, const Hash& right);

// Returns SHA-256(""), the root of the tree of size 0 (RFC 6962 MTH({})). Thread-safe.
Hash EmptyRoot();

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_HASHER_H_
