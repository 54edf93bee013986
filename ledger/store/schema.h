// The on-disk layout of RocksDbLogStore: column family names, key encodings and value
// encodings. This header is the ONLY place that knows them; the store, the tamper tool and the
// auditor all go through it.
//
// EVERYTHING IN THIS HEADER IS PART OF THE ON-DISK FORMAT. DO NOT CHANGE an existing name,
// key or encoding: a store written by one build must open in the next. A change needs a new
// kFormatVersion and a migration.
//
// All integers are big-endian fixed width, so RocksDB's bytewise key order is numeric order.
//
//   column family  key                                   value
//   -------------  ------------------------------------  -----------------------------------
//   default        (unused)                              (unused)
//   entries        sequence (8)                          leaf data (any length)
//   nodes          level (1) || index (8)                hash (32)
//   leaf_index     leaf hash (32)                        sequence (8)
//   event_ids      event id bytes (any length)           sequence (8) || event hash (32)
//   keys           key id bytes (any length)             key registry record (any length)
//   claims         claim id bytes (any length)           claim lifecycle record (any length)
//   checkpoints    tree size (8)                         signed note text (any length)
//   meta           "format"                              kFormatVersion
//   meta           "head"                                tree_size (8) || root hash (32) ||
//                                                        last_recorded_time_micros (8, two's
//                                                        complement)
//
// Decoders validate lengths and ranges and return DataLoss naming the column family and the
// key (hex) on failure; they never crash on bad bytes.
#ifndef LEDGER_STORE_SCHEMA_H_
#define LEDGER_STORE_SCHEMA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"
#include "ledger/store/log_store.h"

namespace ledger::store::schema {

// The column families of a store. The enumerator order is an in-memory convenience (index
// into handle vectors); only the names returned by ColumnFamilyName() are on disk.
enum class ColumnFamily : int {
  kDefault = 0,
  kEntries,
  kNodes,
  kLeafIndex,
  kEventIds,
  kKeys,
  kCheckpoints,
  kMeta,
  kClaims,
};
inline constexpr int kNumColumnFamilies = 9;

// Every column family, in enumerator order (so kAllColumnFamilies[i] has value i).
inline constexpr std::array<ColumnFamily, kNumColumnFamilies> kAllColumnFamilies = {
    ColumnFamily::kDefault,   ColumnFamily::kEntries, ColumnFamily::kNodes,
    ColumnFamily::kLeafIndex, ColumnFamily::kEventIds, ColumnFamily::kKeys,
    ColumnFamily::kCheckpoints, ColumnFamily::kMeta,    ColumnFamily::kClaims,
};

// The RocksDB name of `cf` (on-disk format, DO NOT CHANGE): "default", "entries", "nodes",
// "leaf_index", "event_ids", "keys", "checkpoints", "meta", "claims".
absl::string_view ColumnFamilyName(ColumnFamily cf);

// meta: the key of the format marker, and the only value this build accepts there. Written
// once when a store is created; a store holding any other value is refused at open.
inline constexpr absl::string_view kMetaFormatKey = "format";
inline constexpr absl::string_view kFormatVersion = "factledger-store-v1";

// meta: the key of the encoded LogHead, rewritten by every commit.
inline constexpr absl::string_view kMetaHeadKey = "head";

// Encoded sizes, in bytes.
inline constexpr size_t kSequenceSize = 8;  // entries key, leaf_index value, checkpoints key
inline constexpr size_t kHashSize = 32;     // nodes value, leaf_index key
inline constexpr size_t kNodeKeySize = 1 + 8;
inline constexpr size_t kEventIdValueSize = 8 + 32;
inline constexpr size_t kHeadValueSize = 8 + 32 + 8;

// The highest node level that can be stored. A tree has at most 2^64 - 1 leaves, so its
// largest perfect subtree has level 63; the key has room for 255.
inline constexpr uint32_t kMaxNodeLevel = 63;

// --- entries ---------------------------------------------------------------------------
std::string EntryKey(SequenceNumber sequence);
// DataLoss unless `key` is exactly 8 bytes.
absl::StatusOr<SequenceNumber> DecodeEntryKey(absl::string_view key);

// --- nodes -----------------------------------------------------------------------------
// Precondition: id.level <= kMaxNodeLevel (callers validate; see RocksDbLogStore::Commit).
std::string NodeKey(const merkle::NodeId& id);
// DataLoss unless `key` is 9 bytes with a level <= kMaxNodeLevel.
absl::StatusOr<merkle::NodeId> DecodeNodeKey(absl::string_view key);
std::string EncodeNodeValue(const Hash& hash);
// DataLoss unless `value` is exactly 32 bytes. `key` is only used in the message.
absl::StatusOr<Hash> DecodeNodeValue(absl::string_view key, absl::string_view value);

// --- leaf_index ------------------------------------------------------------------------
std::string LeafIndexKey(const Hash& leaf_hash);
std::string EncodeLeafIndexValue(SequenceNumber sequence);
// DataLoss unless `value` is exactly 8 bytes. `key` is only used in the message.
absl::StatusOr<SequenceNumber> DecodeLeafIndexValue(absl::string_view key,
                                                    absl::string_view value);

// --- event_ids -------------------------------------------------------------------------
// The event id bytes, unchanged.
std::string EventIdKey(absl::string_view event_id);
std::string EncodeEventIdValue(const EventIdRecord& record);
// DataLoss unless `value` is exactly 40 bytes. `key` is only used in the message.
absl::StatusOr<EventIdRecord> DecodeEventIdValue(absl::string_view key, absl::string_view value);

// --- keys ------------------------------------------------------------------------------
// The key id bytes, unchanged. The value is the record bytes, unchanged.
std::string KeyRecordKey(absl::string_view key_id);

// --- claims ----------------------------------------------------------------------------
// The claim id bytes, unchanged. The value is the record bytes (ledger/core owns the format).
std::string ClaimRecordKey(absl::string_view claim_id);

// --- checkpoints -----------------------------------------------------------------------
std::string CheckpointKey(TreeSize tree_size);
// DataLoss unless `key` is exactly 8 bytes.
absl::StatusOr<TreeSize> DecodeCheckpointKey(absl::string_view key);

// --- meta ------------------------------------------------------------------------------
std::string EncodeHead(const LogHead& head);
// DataLoss unless `value` is exactly 48 bytes.
absl::StatusOr<LogHead> DecodeHead(absl::string_view value);

}  // namespace ledger::store::schema

#endif  // LEDGER_STORE_SCHEMA_H_
