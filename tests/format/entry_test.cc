// The leaf data and event signing input of ledger/format/entry.h, checked against bytes built
// by hand from docs/format.md §3 and §4, plus decode(encode(x)) == x properties.
#include "ledger/format/entry.h"

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "rapidcheck/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ledger::format {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;

// SHA-256("abc"), FIPS 180-2 appendix B.1.
const char kSha256OfAbcHex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string FromHex(absl::string_view hex) {
  std::string out;
  EXPECT_TRUE(HexDecode(hex, &out)) << hex;
  return out;
}

const std::string kKeyId(32, 'k');
const std::string kSignature(64, 's');

// ---------------------------------------------------------------------------------------------
// Signing input (docs/format.md §3).

TEST(SigningInputTest, LayoutMatchesSpecByteForByte) {
  std::string want("factledger/v1/event", 19);
  want.push_back('\0');
  want += std::string("\x00\x0b", 2) + "o.example/l";  // u16be(11) || origin
  want += std::string("\x00\x02", 2) + "e1";           // u16be(2) || event_id
  want += FromHex(kSha256OfAbcHex);                    // SHA-256(event)
  EXPECT_EQ(EventSigningInput("o.example/l", "e1", "abc"), want);
  EXPECT_EQ(want.size(), 20u + 2 + 11 + 2 + 2 + 32);
}

TEST(SigningInputTest, LengthPrefixesSeparateOriginFromEventId) {
  // Without length prefixes ("ab", "c") and ("a", "bc") would sign the same bytes.
  EXPECT_NE(EventSigningInput("ab", "c", "x"), EventSigningInput("a", "bc", "x"));
}

TEST(SigningInputTest, HashesTheEventBytesNotTheEvent) {
  const std::string input = EventSigningInput("o", "e", std::string(100000, 'z'));
  EXPECT_EQ(input.size(), 20u + 2 + 1 + 2 + 1 + 32);
}

// ---------------------------------------------------------------------------------------------
// Leaf data (docs/format.md §4).

std::string SampleLeaf() {
  return EncodeLeafData(0x0102030405060708, "e1", kKeyId, kSignature, "abc");
}

TEST(LeafDataTest, LayoutMatchesSpecByteForByte) {
  std::string want("\x01\x01", 2);                             // version, envelope kind
  want += std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);  // u64be(recorded time)
  want += std::string("\x00\x02", 2) + "e1";                   // u16be(len) || event_id
  want += kKeyId + kSignature;
  want += std::string("\x00\x00\x00\x03", 4) + "abc";  // u32be(len) || event
  EXPECT_EQ(SampleLeaf(), want);
}

TEST(LeafDataTest, DecodeGivesTheFields) {
  const std::string leaf = SampleLeaf();
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->recorded_time_micros, 0x0102030405060708);
  EXPECT_EQ(view->event_id, "e1");
  EXPECT_EQ(view->key_id, kKeyId);
  EXPECT_EQ(view->signature, kSignature);
  EXPECT_EQ(view->event, "abc");
}

TEST(LeafDataTest, EmptyEventRoundTrips) {
  const std::string leaf = EncodeLeafData(5, "e", kKeyId, kSignature, "");
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->event, "");
}

TEST(LeafDataTest, EveryTruncationIsDataLoss) {
  const std::string leaf = SampleLeaf();
  for (size_t size = 0; size < leaf.size(); ++size) {
    EXPECT_THAT(DecodeLeafData(leaf.substr(0, size)), StatusIs(absl::StatusCode::kDataLoss))
        << "truncated to " << size << " of " << leaf.size() << " bytes";
  }
}

TEST(LeafDataTest, TrailingByteIsDataLoss) {
  EXPECT_THAT(DecodeLeafData(SampleLeaf() + "x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1 trailing bytes")));
}

TEST(LeafDataTest, OtherVersionByteIsDataLoss) {
  for (char version : {'\x00', '\x02', '\xff'}) {
    std::string leaf = SampleLeaf();
    leaf[0] = version;
    EXPECT_THAT(DecodeLeafData(leaf), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version")))
        << int{version};
  }
}

TEST(LeafDataTest, UnknownEnvelopeByteIsDataLoss) {
  // 1 (single signature) and 2 (batch signature) are defined; every other kind is refused.
  for (char envelope : {'\x00', '\x03', '\xff'}) {
    std::string leaf = SampleLeaf();
    leaf[1] = envelope;
    EXPECT_THAT(DecodeLeafData(leaf), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("envelope")))
        << int{envelope};
  }
}

TEST(LeafDataTest, SingleSignatureEntryReadAsBatchMemberIsTruncated) {
  std::string leaf = SampleLeaf();
  leaf[1] = '\x02';  // Kind 2 has more fields: the same bytes no longer add up.
  EXPECT_THAT(DecodeLeafData(leaf), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LeafDataTest, BatchMemberRoundTrips) {
  const std::string key_id(32, 'k'), signature(64, 's'), proof(3 * 32, 'p');
  std::string leaf = EncodeBatchLeafData(1234, "ev-1", key_id, "batch-7", 8, 5, proof,
                                         signature, "event-bytes");
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->envelope, kEnvelopeBatchSignature);
  EXPECT_EQ(view->recorded_time_micros, 1234);
  EXPECT_EQ(view->event_id, "ev-1");
  EXPECT_EQ(view->key_id, key_id);
  EXPECT_EQ(view->batch.batch_id, "batch-7");
  EXPECT_EQ(view->batch.batch_size, 8u);
  EXPECT_EQ(view->batch.index, 5u);
  EXPECT_EQ(view->batch.proof, proof);
  EXPECT_EQ(view->signature, signature);
  EXPECT_EQ(view->event, "event-bytes");
  for (size_t cut = 0; cut < leaf.size(); ++cut) {
    EXPECT_THAT(DecodeLeafData(leaf.substr(0, cut)), StatusIs(absl::StatusCode::kDataLoss))
        << cut;
  }
}

TEST(LeafDataTest, BatchMembershipProofOfTheWrongLengthIsDataLoss) {
  // Item 5 of 8 needs a 3-hash proof; 2 hashes cannot rebuild the batch root.
  std::string leaf = EncodeBatchLeafData(1, "ev-1", std::string(32, 'k'), "b", 8, 5,
                                         std::string(2 * 32, 'p'), std::string(64, 's'), "e");
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  ASSERT_TRUE(view.ok());
  EXPECT_THAT(EntrySigningInput("o", *view), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LeafDataTest, EventLengthPastTheEndIsDataLoss) {
  std::string leaf = SampleLeaf();
  leaf[leaf.size() - 7] = '\x01';  // u32be(len(event)) becomes 0x01000003
  EXPECT_THAT(DecodeLeafData(leaf), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST(LeafDataTest, EventIdLengthPastTheEndIsDataLoss) {
  std::string leaf = SampleLeaf();
  leaf[10] = '\xff';  // u16be(len(event_id)) becomes 0xff02
  EXPECT_THAT(DecodeLeafData(leaf), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LeafDataTest, NegativeRecordedTimeRoundTrips) {
  const std::string leaf = EncodeLeafData(-1, "e", kKeyId, kSignature, "x");
  EXPECT_EQ(leaf.substr(2, 8), std::string(8, '\xff'));
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->recorded_time_micros, -1);
}

// ---------------------------------------------------------------------------------------------
// Properties.

rc::Gen<std::string> BytesOfSize(size_t size) {
  return rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
}

RC_GTEST_PROP(LeafDataProperty, DecodeInvertsEncode, ()) {
  const int64_t time = *rc::gen::arbitrary<int64_t>();
  const std::string event_id = *rc::gen::arbitrary<std::string>();
  const std::string key_id = *BytesOfSize(kKeyIdSize);
  const std::string signature = *BytesOfSize(kSignatureSize);
  const std::string event = *rc::gen::arbitrary<std::string>();
  const std::string leaf = EncodeLeafData(time, event_id, key_id, signature, event);
  RC_ASSERT(leaf.size() == 2 + 8 + 2 + event_id.size() + 32 + 64 + 4 + event.size());
  absl::StatusOr<EntryView> view = DecodeLeafData(leaf);
  RC_ASSERT(view.ok());
  RC_ASSERT(view->recorded_time_micros == time);
  RC_ASSERT(view->event_id == event_id);
  RC_ASSERT(view->key_id == key_id);
  RC_ASSERT(view->signature == signature);
  RC_ASSERT(view->event == event);
}

RC_GTEST_PROP(LeafDataProperty, AnyTruncationOrExtensionIsDataLoss, ()) {
  const std::string leaf = EncodeLeafData(
      *rc::gen::arbitrary<int64_t>(), *rc::gen::arbitrary<std::string>(), *BytesOfSize(kKeyIdSize),
      *BytesOfSize(kSignatureSize), *rc::gen::arbitrary<std::string>());
  const size_t cut = *rc::gen::inRange<size_t>(0, leaf.size());
  RC_ASSERT(DecodeLeafData(leaf.substr(0, cut)).status().code() == absl::StatusCode::kDataLoss);
  const std::string extra = *rc::gen::nonEmpty(rc::gen::arbitrary<std::string>());
  RC_ASSERT(DecodeLeafData(leaf + extra).status().code() == absl::StatusCode::kDataLoss);
}

RC_GTEST_PROP(SigningInputProperty, DistinctOriginsOrIdsGiveDistinctInputs, ()) {
  const std::string origin1 = *rc::gen::arbitrary<std::string>();
  const std::string origin2 = *rc::gen::arbitrary<std::string>();
  const std::string id1 = *rc::gen::arbitrary<std::string>();
  const std::string id2 = *rc::gen::arbitrary<std::string>();
  RC_PRE(origin1 != origin2 || id1 != id2);
  RC_ASSERT(EventSigningInput(origin1, id1, "event") != EventSigningInput(origin2, id2, "event"));
}

}  // namespace
}  // namespace ledger::format
