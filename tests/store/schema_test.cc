// The on-disk encodings: golden bytes (a change here is a format change), round trips, order,
// and DataLoss for every malformed key or value.
#include "ledger/store/schema.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "tests/store/store_test_util.h"

namespace ledger::store::schema {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

Hash CountingHash() {
  Hash h;
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

TEST(SchemaTest, ColumnFamilyNamesAreTheOnDiskNames) {
  std::vector<std::string> names;
  for (ColumnFamily cf : kAllColumnFamilies) names.emplace_back(ColumnFamilyName(cf));
  EXPECT_THAT(names, ::testing::ElementsAre("default", "entries", "nodes", "leaf_index",
                                            "event_ids", "keys", "checkpoints", "meta",
                                            "claims"));
}

TEST(SchemaTest, AllColumnFamiliesAreInEnumeratorOrder) {
  for (int i = 0; i < kNumColumnFamilies; ++i) {
    EXPECT_EQ(static_cast<int>(kAllColumnFamilies[i]), i);
  }
}

TEST(SchemaTest, MetaKeysAndFormatVersionAreGolden) {
  EXPECT_EQ(kMetaFormatKey, "format");
  EXPECT_EQ(kMetaHeadKey, "head");
  EXPECT_EQ(kFormatVersion, "factledger-store-v1");
}

TEST(SchemaTest, EntryKeyIsBigEndian) {
  EXPECT_EQ(EntryKey(0x0102030405060708), Bytes({1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(SchemaTest, NodeKeyIsLevelThenBigEndianIndex) {
  EXPECT_EQ(NodeKey(merkle::NodeId{3, 0x0a0b}), Bytes({3, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b}));
}

TEST(SchemaTest, EventIdValueIsSequenceThenHash) {
  const std::string value = EncodeEventIdValue(EventIdRecord{0x0102, CountingHash()});
  EXPECT_EQ(value.substr(0, 8), Bytes({0, 0, 0, 0, 0, 0, 1, 2}));
  EXPECT_EQ(value.substr(8), std::string(AsStringView(CountingHash())));
}

TEST(SchemaTest, HeadIsSizeRootTime) {
  LogHead head;
  head.tree_size = 5;
  head.root_hash = CountingHash();
  head.last_recorded_time_micros = -2;
  const std::string value = EncodeHead(head);
  ASSERT_EQ(value.size(), kHeadValueSize);
  EXPECT_EQ(value.substr(0, 8), Bytes({0, 0, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(value.substr(8, 32), std::string(AsStringView(CountingHash())));
  EXPECT_EQ(value.substr(40), Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
}

TEST(SchemaTest, ShortEntryKeyIsDataLossNamingColumnFamilyAndKey) {
  EXPECT_THAT(DecodeEntryKey(Bytes({0xab, 0xcd})),
              AllOf(StatusIs(absl::StatusCode::kDataLoss)));
  EXPECT_THAT(std::string(DecodeEntryKey(Bytes({0xab, 0xcd})).status().message()),
              AllOf(HasSubstr("'entries'"), HasSubstr("abcd"), HasSubstr("want 8")));
}

TEST(SchemaTest, NodeKeyWithLevelAboveMaximumIsDataLoss) {
  std::string key = NodeKey(merkle::NodeId{0, 1});
  key[0] = static_cast<char>(kMaxNodeLevel + 1);
  EXPECT_THAT(DecodeNodeKey(key), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SchemaTest, WrongLengthValuesAreDataLoss) {
  EXPECT_THAT(DecodeNodeKey("12345678"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeNodeValue("k", std::string(31, 'x')), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeLeafIndexValue("k", "1234567"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeEventIdValue("k", std::string(41, 'x')),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeCheckpointKey("123456789"), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeHead(std::string(47, 'x')), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SchemaTest, WrongLengthHeadNamesMetaAndHeadKey) {
  absl::Status status = DecodeHead("short").status();
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("'meta'"), HasSubstr(HexEncode("head")), HasSubstr("want 48")));
}

RC_GTEST_PROP(SchemaProperties, EntryKeyRoundTrips, (uint64_t sequence)) {
  absl::StatusOr<SequenceNumber> decoded = DecodeEntryKey(EntryKey(sequence));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == sequence);
}

RC_GTEST_PROP(SchemaProperties, EntryKeysSortLikeSequences, (uint64_t a, uint64_t b)) {
  RC_ASSERT((EntryKey(a) < EntryKey(b)) == (a < b));
}

RC_GTEST_PROP(SchemaProperties, NodeKeyRoundTrips, (uint64_t index)) {
  const uint32_t level = *rc::gen::inRange<uint32_t>(0, kMaxNodeLevel + 1);
  absl::StatusOr<merkle::NodeId> decoded = DecodeNodeKey(NodeKey(merkle::NodeId{level, index}));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == (merkle::NodeId{level, index}));
}

RC_GTEST_PROP(SchemaProperties, EventIdValueRoundTrips,
              (uint64_t sequence, std::array<uint8_t, 32> hash)) {
  const EventIdRecord record{sequence, hash};
  absl::StatusOr<EventIdRecord> decoded = DecodeEventIdValue("k", EncodeEventIdValue(record));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == record);
}

RC_GTEST_PROP(SchemaProperties, HeadRoundTrips,
              (uint64_t tree_size, std::array<uint8_t, 32> root, int64_t time_micros)) {
  LogHead head;
  head.tree_size = tree_size;
  head.root_hash = root;
  head.last_recorded_time_micros = time_micros;
  absl::StatusOr<LogHead> decoded = DecodeHead(EncodeHead(head));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == head);
}

RC_GTEST_PROP(SchemaProperties, LeafIndexAndNodeValuesRoundTrip,
              (uint64_t sequence, std::array<uint8_t, 32> hash)) {
  RC_ASSERT(*DecodeLeafIndexValue("k", EncodeLeafIndexValue(sequence)) == sequence);
  RC_ASSERT(*DecodeNodeValue("k", EncodeNodeValue(hash)) == hash);
  RC_ASSERT(*DecodeCheckpointKey(CheckpointKey(sequence)) == sequence);
}

}  // namespace
}  // namespace ledger::store::schema
