#include "ledger/store/schema.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ledger::store::schema {
namespace {

// Keys in messages are hex; long ones (event ids) are cut so a message stays one line.
std::string KeyForMessage(absl::string_view key) {
  constexpr size_t kMaxShown = 64;
  if (key.size() <= kMaxShown) return HexEncode(key);
  return absl::StrCat(HexEncode(key.substr(0, kMaxShown)), "...");
}

absl::Status BadKey(ColumnFamily cf, absl::string_view key, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("column family '", ColumnFamilyName(cf), "', key ",
                                          KeyForMessage(key), ": ", what));
}

absl::Status BadLength(ColumnFamily cf, absl::string_view key, absl::string_view field,
                       size_t got, size_t want) {
  return BadKey(cf, key, absl::StrCat(field, " is ", got, " bytes, want ", want));
}

}  // namespace

absl::string_view ColumnFamilyName(ColumnFamily cf) {
  switch (cf) {
    case ColumnFamily::kDefault:
      return "default";
    case ColumnFamily::kEntries:
      return "entries";
    case ColumnFamily::kNodes:
      return "nodes";
    case ColumnFamily::kLeafIndex:
      return "leaf_index";
    case ColumnFamily::kEventIds:
      return "event_ids";
    case ColumnFamily::kKeys:
      return "keys";
    case ColumnFamily::kCheckpoints:
      return "checkpoints";
    case ColumnFamily::kMeta:
      return "meta";
    case ColumnFamily::kClaims:
      return "claims";
  }
  return "unknown";
}

std::string EntryKey(SequenceNumber sequence) {
  std::string key;
  PutFixed64BE(&key, sequence);
  return key;
}

absl::StatusOr<SequenceNumber> DecodeEntryKey(absl::string_view key) {
  if (key.size() != kSequenceSize) {
    return BadLength(ColumnFamily::kEntries, key, "key", key.size(), kSequenceSize);
  }
  return DecodeFixed64BE(key.data());
}

std::string NodeKey(const merkle::NodeId& id) {
  std::string key;
  key.push_back(static_cast<char>(static_cast<uint8_t>(id.level)));
  PutFixed64BE(&key, id.index);
  return key;
}

absl::StatusOr<merkle::NodeId> DecodeNodeKey(absl::string_view key) {
  if (key.size() != kNodeKeySize) {
    return BadLength(ColumnFamily::kNodes, key, "key", key.size(), kNodeKeySize);
  }
  merkle::NodeId id;
  id.level = static_cast<uint8_t>(key[0]);
  if (id.level > kMaxNodeLevel) {
    return BadKey(ColumnFamily::kNodes, key,
                  absl::StrCat("level ", id.level, " exceeds the maximum ", kMaxNodeLevel));
  }
  id.index = DecodeFixed64BE(key.data() + 1);
  return id;
}

std::string EncodeNodeValue(const Hash& hash) { return std::string(AsStringView(hash)); }

absl::StatusOr<Hash> DecodeNodeValue(absl::string_view key, absl::string_view value) {
  if (value.size() != kHashSize) {
    return BadLength(ColumnFamily::kNodes, key, "value", value.size(), kHashSize);
  }
  return HashFromBytes(value);
}

std::string LeafIndexKey(const Hash& leaf_hash) { return std::string(AsStringView(leaf_hash)); }

std::string EncodeLeafIndexValue(SequenceNumber sequence) { return EntryKey(sequence); }

absl::StatusOr<SequenceNumber> DecodeLeafIndexValue(absl::string_view key,
                                                    absl::string_view value) {
  if (value.size() != kSequenceSize) {
    return BadLength(ColumnFamily::kLeafIndex, key, "value", value.size(), kSequenceSize);
  }
  return DecodeFixed64BE(value.data());
}

std::string EventIdKey(absl::string_view event_id) { return std::string(event_id); }

std::string EncodeEventIdValue(const EventIdRecord& record) {
  std::string value;
  value.reserve(kEventIdValueSize);
  PutFixed64BE(&value, record.sequence);
  value.append(reinterpret_cast<const char*>(record.event_hash.data()), kHashSize);
  return value;
}

absl::StatusOr<EventIdRecord> DecodeEventIdValue(absl::string_view key,
                                                 absl::string_view value) {
  if (value.size() != kEventIdValueSize) {
    return BadLength(ColumnFamily::kEventIds, key, "value", value.size(), kEventIdValueSize);
  }
  EventIdRecord record;
  record.sequence = DecodeFixed64BE(value.data());
  record.event_hash = HashFromBytes(value.substr(kSequenceSize));
  return record;
}

std::string KeyRecordKey(absl::string_view key_id) { return std::string(key_id); }

std::string ClaimRecordKey(absl::string_view claim_id) { return std::string(claim_id); }

std::string CheckpointKey(TreeSize tree_size) { return EntryKey(tree_size); }

absl::StatusOr<TreeSize> DecodeCheckpointKey(absl::string_view key) {
  if (key.size() != kSequenceSize) {
    return BadLength(ColumnFamily::kCheckpoints, key, "key", key.size(), kSequenceSize);
  }
  return DecodeFixed64BE(key.data());
}

std::string EncodeHead(const LogHead& head) {
  std::string value;
  value.reserve(kHeadValueSize);
  PutFixed64BE(&value, head.tree_size);
  value.append(reinterpret_cast<const char*>(head.root_hash.data()), kHashSize);
  PutFixed64BE(&value, static_cast<uint64_t>(head.last_recorded_time_micros));
  return value;
}

absl::StatusOr<LogHead> DecodeHead(absl::string_view value) {
  if (value.size() != kHeadValueSize) {
    return BadLength(ColumnFamily::kMeta, kMetaHeadKey, "value", value.size(), kHeadValueSize);
  }
  LogHead head;
  head.tree_size = DecodeFixed64BE(value.data());
  head.root_hash = HashFromBytes(value.substr(kSequenceSize, kHashSize));
  head.last_recorded_time_micros =
      static_cast<int64_t>(DecodeFixed64BE(value.data() + kSequenceSize + kHashSize));
  return head;
}

}  // namespace ledger::store::schema
