#include "ledger/witness/cosignature.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/add_checkpoint.h"
#include "tests/testing/test_log.h"

namespace ledger::witness {
namespace {

format::Checkpoint SomeCheckpoint() {
  format::Checkpoint cp;
  cp.origin = "example.org/log";
  cp.tree_size = 7;
  cp.root_hash = HashFromBytes(std::string(32, 'r'));
  return cp;
}

TEST(CosignatureTest, LineHasKeyIdTimestampAndSignatureOverTheSpecMessage) {
  const auto key = testing::KeyFromSeed(1);
  const std::string text = format::CheckpointText(SomeCheckpoint());
  const std::string line = CosignatureLine("w.example/1", key, text, 1679315147);
  const std::string prefix = "\xe2\x80\x94 w.example/1 ";
  ASSERT_EQ(line.substr(0, prefix.size()), prefix);
  ASSERT_EQ(line.back(), '\n');
  std::string sig;
  ASSERT_TRUE(absl::Base64Unescape(line.substr(prefix.size(), line.size() - prefix.size() - 1),
                                   &sig));
  ASSERT_EQ(sig.size(), kCosignatureBytes);
  EXPECT_EQ(sig.substr(0, 4), CosignerKeyId("w.example/1", key.public_key()));
  EXPECT_EQ(sig.substr(4, 8), std::string("\x00\x00\x00\x00\x64\x18\x50\xcb", 8));
  EXPECT_EQ(CosignedMessage(text, 1679315147),
            "cosignature/v1\ntime 1679315147\nexample.org/log\n7\n" +
                absl::Base64Escape(std::string(32, 'r')) + "\n");
  EXPECT_TRUE(crypto::Ed25519Verify(key.public_key(), CosignedMessage(text, 1679315147),
                                    sig.substr(12)));
}

TEST(CosignatureTest, KeyIdUsesTypeByte0x04NotTheNoteKeyType) {
  const auto key = testing::KeyFromSeed(1);
  EXPECT_NE(CosignerKeyId("w", key.public_key()), format::NoteKeyHash("w", key.public_key()));
}

TEST(CosignatureTest, VerifierKeyRoundTripsAndRefusesType01) {
  const auto key = testing::KeyFromSeed(2);
  const Cosigner c{"w.example/2", key.public_key()};
  absl::StatusOr<Cosigner> back = ParseCosignerVerifierKey(CosignerVerifierKey(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, c.name);
  EXPECT_EQ(back->public_key, c.public_key);
  // A checkpoint (0x01) verifier key is not a cosigner key.
  absl::StatusOr<Cosigner> note_key =
      ParseCosignerVerifierKey(format::NoteVerifierKey("w.example/2", key.public_key()));
  EXPECT_EQ(note_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(note_key.status().message().find("0x01"), std::string::npos)
      << note_key.status();
}

TEST(CosignatureTest, VerifyLineAcceptsOwnAndRefusesTamperedOrForeign) {
  const auto key = testing::KeyFromSeed(3);
  const Cosigner c{"w3", key.public_key()};
  const std::string text = format::CheckpointText(SomeCheckpoint());
  std::string line = CosignatureLine("w3", key, text, 42);
  line.pop_back();
  absl::StatusOr<uint64_t> t = VerifyCosignatureLine(line, text, c);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, 42u);
  // Another checkpoint: DataLoss.
  format::Checkpoint other = SomeCheckpoint();
  other.tree_size = 8;
  EXPECT_EQ(VerifyCosignatureLine(line, format::CheckpointText(other), c).status().code(),
            absl::StatusCode::kDataLoss);
  // Another cosigner's line: NotFound (ignored).
  EXPECT_EQ(VerifyCosignatureLine(line, text, Cosigner{"w4", key.public_key()}).status().code(),
            absl::StatusCode::kNotFound);
  const auto other_key = testing::KeyFromSeed(4);
  EXPECT_EQ(VerifyCosignatureLine(line, text, Cosigner{"w3", other_key.public_key()})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(CosignatureTest, PolicyCountsDistinctTrustedWitnessesOnly) {
  const auto log_key = testing::KeyFromSeed(9);
  const std::string note = format::SignCheckpoint(SomeCheckpoint(), log_key);
  const std::string text = format::CheckpointText(SomeCheckpoint());
  const auto k1 = testing::KeyFromSeed(11), k2 = testing::KeyFromSeed(12), k3 = testing::KeyFromSeed(13);
  std::vector<std::string> vkeys = {CosignerVerifierKey({"w1", k1.public_key()}),
                                    CosignerVerifierKey({"w2", k2.public_key()}),
                                    CosignerVerifierKey({"w3", k3.public_key()})};
  absl::StatusOr<WitnessPolicy> policy = ParseWitnessPolicy(vkeys, 2);
  ASSERT_TRUE(policy.ok()) << policy.status();
  auto strip = [](std::string l) { l.pop_back(); return l; };
  // w1 twice (two timestamps) counts once.
  std::string one = AppendSignatureLines(
      note, {strip(CosignatureLine("w1", k1, text, 1)), strip(CosignatureLine("w1", k1, text, 2))});
  absl::StatusOr<PolicyResult> r = CheckWitnessPolicy(one, *policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("cosigned by 1 of the 3"), std::string::npos) << r.status();
  // A bad signature by w2 is named, not counted.
  std::string bad = strip(CosignatureLine("w2", k2, "other text\n", 1));
  r = CheckWitnessPolicy(AppendSignatureLines(one, {bad}), *policy);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("w2: cosignature by w2"), std::string::npos) << r.status();
  // An unknown cosigner is ignored; w3 makes it 2 of 3.
  const auto k5 = testing::KeyFromSeed(15);
  r = CheckWitnessPolicy(AppendSignatureLines(one, {strip(CosignatureLine("w5", k5, text, 1)),
                                                    strip(CosignatureLine("w3", k3, text, 3))}),
                         *policy);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cosigned_by, (std::vector<std::string>{"w1", "w3"}));
  // The log's own signature still verifies on the cosigned note.
  format::NoteVerifier v{"example.org/log", log_key.public_key()};
  EXPECT_TRUE(format::VerifyCheckpoint(AppendSignatureLines(one, {}), v).ok());
}

TEST(CosignatureTest, PolicyRefusesBadThresholdAndDuplicates) {
  const auto k1 = testing::KeyFromSeed(11);
  const std::string v1 = CosignerVerifierKey({"w1", k1.public_key()});
  EXPECT_EQ(ParseWitnessPolicy({v1}, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseWitnessPolicy({v1}, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseWitnessPolicy({v1, v1}, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CosignatureTest, ReplyParserNamesTheBadLine) {
  EXPECT_TRUE(ParseSignatureLines("\xe2\x80\x94 w1 AAAA\n").ok());
  absl::StatusOr<std::vector<std::string>> r = ParseSignatureLines("\xe2\x80\x94 w1 AAAA\nxx\n");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status();
  EXPECT_FALSE(ParseSignatureLines("").ok());
  EXPECT_FALSE(ParseSignatureLines("\xe2\x80\x94 w1 AAAA").ok());  // no newline
  EXPECT_FALSE(ParseSignatureLines("\xe2\x80\x94 w1 A A\n").ok());
}

TEST(AddCheckpointTest, RequestRoundTripsAndRefusesNonCanonical) {
  AddCheckpointRequest req;
  req.old_size = 20852014;
  req.proof = {HashFromBytes(std::string(32, 'a')), HashFromBytes(std::string(32, 'b'))};
  req.checkpoint = "o\n1\nx\n\n\xe2\x80\x94 o sig\n";
  const std::string body = EncodeAddCheckpointRequest(req);
  EXPECT_EQ(body.substr(0, 13), "old 20852014\n");
  absl::StatusOr<AddCheckpointRequest> back = ParseAddCheckpointRequest(body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->old_size, req.old_size);
  EXPECT_EQ(back->proof, req.proof);
  EXPECT_EQ(back->checkpoint, req.checkpoint);

  EXPECT_FALSE(ParseAddCheckpointRequest("old 01\n\nx").ok());
  EXPECT_FALSE(ParseAddCheckpointRequest("old -1\n\nx").ok());
  EXPECT_FALSE(ParseAddCheckpointRequest("old 18446744073709551616\n\nx").ok());
  EXPECT_FALSE(ParseAddCheckpointRequest("old 1\nAAAA\n\nx").ok());
  EXPECT_FALSE(ParseAddCheckpointRequest("old 1\n\n").ok());
  EXPECT_FALSE(ParseAddCheckpointRequest("old 1\n").ok());
  std::string many = "old 1\n";
  for (int i = 0; i < 64; ++i) many += absl::Base64Escape(std::string(32, 'h')) + "\n";
  absl::StatusOr<AddCheckpointRequest> r = ParseAddCheckpointRequest(many + "\nx");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("more than 63"), std::string::npos) << r.status();
}

TEST(AddCheckpointTest, TlogSizeBody) {
  EXPECT_EQ(EncodeTlogSize(12), "12\n");
  EXPECT_EQ(*ParseTlogSize("0\n"), 0u);
  EXPECT_FALSE(ParseTlogSize("12").ok());
  EXPECT_FALSE(ParseTlogSize("012\n").ok());
  EXPECT_FALSE(ParseTlogSize("1 2\n").ok());
}

}  // namespace
}  // namespace ledger::witness
