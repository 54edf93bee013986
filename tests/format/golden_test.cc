// Golden bytes of the signed and stored formats (docs/format.md §10). If this test fails, the
// format changed: that breaks every existing log and every independent verifier. Do not update
// the constants; add a new format version instead.
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"

namespace ledger {
namespace {

std::string Unhex(absl::string_view hex) {
  std::string out;
  EXPECT_TRUE(HexDecode(hex, &out));
  return out;
}

// RFC 8032 §7.1 TEST 1 and TEST 2 secret keys.
constexpr absl::string_view kSignerSeed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr absl::string_view kLogSeed =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr absl::string_view kOrigin = "example.org/factledger";
constexpr absl::string_view kEventId = "seed-novak-pipeline-ready";
constexpr int64_t kRecordedTimeMicros = 1764979200000000;  // 2025-12-06T00:00:00Z

ledger::v1::Event ExampleEvent() {
  ledger::v1::Event event;
  auto* claim = event.mutable_claim_asserted()->mutable_claim();
  claim->mutable_claimant()->set_name("Alexander Novak");
  claim->mutable_claimant()->set_kind(ledger::v1::Claimant::PERSON);
  claim->mutable_claimant()->set_role("Energy Minister");
  claim->mutable_statement()->set_text(
      "The North-South gas pipeline agreement is ready for signing.");
  claim->mutable_statement()->set_attribution(ledger::v1::PARAPHRASE);
  claim->mutable_said()->set_precision(ledger::v1::PartialDate::MONTH);
  claim->mutable_said()->set_year(2015);
  claim->mutable_said()->set_month(8);
  claim->mutable_source()->set_url("https://example.org/seed/pakistan-russia-relationship-improving");
  claim->add_topics("energy");
  return event;
}

struct Golden {
  std::string key_id, event, signing_input, signature, leaf_data, leaf_hash, checkpoint,
      verifier_key;
};

Golden Compute() {
  auto signer = *crypto::Ed25519PrivateKey::FromSeed(Unhex(kSignerSeed));
  auto log_key = *crypto::Ed25519PrivateKey::FromSeed(Unhex(kLogSeed));
  Golden g;
  g.key_id = HexEncode(crypto::SignerKeyId(signer.public_key()));
  std::string event = client::SerializeEvent(ExampleEvent());
  g.event = HexEncode(event);
  g.signing_input = HexEncode(format::EventSigningInput(kOrigin, kEventId, event));
  auto signed_event = client::SignEventBytes(kOrigin, kEventId, event, signer);
  g.signature = HexEncode(signed_event.signature());
  std::string leaf = format::EncodeLeafData(kRecordedTimeMicros, kEventId,
                                            signed_event.key_id(), signed_event.signature(), event);
  g.leaf_data = HexEncode(leaf);
  Hash leaf_hash = merkle::HashLeaf(leaf);
  g.leaf_hash = HexEncode(leaf_hash);
  // A tree of one leaf has the leaf hash as its root.
  g.checkpoint = format::SignCheckpoint({std::string(kOrigin), 1, leaf_hash}, log_key);
  g.verifier_key = format::NoteVerifierKey(kOrigin, log_key.public_key());
  return g;
}

TEST(GoldenTest, PrintsTheWorkedExample) {
  Golden g = Compute();
  // Printed so docs/format.md §10 can be regenerated verbatim (scripts/format-example.sh).
  std::cout << "signer seed (RFC 8032 TEST 1)  " << kSignerSeed << "\n"
            << "log key seed (RFC 8032 TEST 2) " << kLogSeed << "\n"
            << "origin                         " << kOrigin << "\n"
            << "event_id                       " << kEventId << "\n"
            << "recorded_time_micros           " << kRecordedTimeMicros << "\n"
            << "signer key_id                  " << g.key_id << "\n"
            << "event (" << g.event.size() / 2 << " bytes)\n  " << g.event << "\n"
            << "signing_input\n  " << g.signing_input << "\n"
            << "signature\n  " << g.signature << "\n"
            << "leaf_data\n  " << g.leaf_data << "\n"
            << "leaf_hash (= root of the tree of size 1)\n  " << g.leaf_hash << "\n"
            << "checkpoint verifier key\n  " << g.verifier_key << "\n"
            << "checkpoint (size 1)\n" << g.checkpoint;
}

TEST(GoldenTest, KeyIdIsStable) {
  EXPECT_EQ(Compute().key_id, "b4cb7e1b7b9397e21a33893e00d020de877cb821f21185eee9af394787fcd0ac");
}

TEST(GoldenTest, SigningInputIsStable) {
  EXPECT_EQ(Compute().signing_input, "666163746c65646765722f76312f6576656e740000166578616d706c652e6f72672f666163746c65646765720019736565642d6e6f76616b2d706970656c696e652d726561647967e4e80707d1b76ed4fbce7a9cf032bd7cbb33c07685110a280229b8cdc65643");
}

TEST(GoldenTest, SignatureIsStable) {
  EXPECT_EQ(Compute().signature, "ce2d274b2f5e156c8c41583c1a0ea27a40d9ee0dc4f133eeeddd413d9bbd60bebac8f7e0e8d722cc962998a5adefb13364dc9a17643a3a5c67d454007c85ac0f");
}

TEST(GoldenTest, LeafDataIsStable) {
  EXPECT_EQ(Compute().leaf_data, "01010006453d3e4080000019736565642d6e6f76616b2d706970656c696e652d7265616479b4cb7e1b7b9397e21a33893e00d020de877cb821f21185eee9af394787fcd0acce2d274b2f5e156c8c41583c1a0ea27a40d9ee0dc4f133eeeddd413d9bbd60bebac8f7e0e8d722cc962998a5adefb13364dc9a17643a3a5c67d454007c85ac0f000000c20abf010abc010a240a0f416c6578616e646572204e6f76616b10011a0f456e65726779204d696e697374657212400a3c546865204e6f7274682d536f7574682067617320706970656c696e652061677265656d656e7420697320726561647920666f72207369676e696e672e10031a07080210df0f180822410a3f68747470733a2f2f6578616d706c652e6f72672f736565642f70616b697374616e2d7275737369612d72656c6174696f6e736869702d696d70726f76696e672a06656e65726779");
}

TEST(GoldenTest, LeafHashIsStable) {
  EXPECT_EQ(Compute().leaf_hash, "0eac8678661c9d3a5baef56fda6fde94ce0e1213464b2395e4259dfcc541336c");
}

TEST(GoldenTest, CheckpointIsStable) {
  EXPECT_EQ(Compute().checkpoint, "example.org/factledger\n1\nDqyGeGYcnTpbrvVv2m/elM4OEhNGSyOV5CWd/MVBM2w=\n\n— example.org/factledger Eaa/b+AESYKnPzznYqN8V+AqZ5t1rhV0UeMbrUfNQxsT9XVauIPB9RPP/X0jVXB4llSdnKhgiXoVn+E42VJNaVpcbg4=\n");
  EXPECT_EQ(Compute().verifier_key, "example.org/factledger+11a6bf6f+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM");
}

}  // namespace
}  // namespace ledger
