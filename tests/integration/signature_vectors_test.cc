// The public Ed25519 vector suites through the Append RPC (issue 7): C2SP CCTV
// (../shared/data/vectors/cctv/ed25519vectors.json: low-order and non-canonical A and R, the
// signatures only a cofactored or lax verifier accepts) and Project Wycheproof
// (../shared/data/vectors/wycheproof/ed25519_test.json).
//
// A vector signs its own message, not our signing input (docs/format.md §3), so through the
// RPC every vector's (public key, signature) is sent as the signature of a real claim event
// under that key (registered by the admin first): the server must refuse each one with
// SIGNATURE_INVALID (or INVALID_ENVELOPE for a signature of the wrong length) and write
// nothing, and the offline verifier must agree on the same bytes. The dangerous class is the
// message-independent forgeries (low-order A and R with S = 0): a lax verifier accepts them for
// ANY message, so a server using one would log forged claims. The controls: the same events
// signed properly are accepted; with S + L (non-canonical S, same point equation) refused.
// Skips when the shared data is absent.
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/entry.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/testing/in_process_ledger.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/test_log.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
using json = nlohmann::json;
constexpr char kOrigin[] = "vectors.example/log";

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string ClaimBytes(const std::string& text) {
  v1::Event e;
  auto* c = e.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name("Khawaja Asif");
  c->mutable_statement()->set_text(text);
  c->mutable_source()->set_url("https://example.org/seed/pakistan-russia-relationship-improving");
  return client::SerializeEvent(e);
}

// S + L (little-endian 256-bit addition; L = 2^252 + 27742317777372353535851937790883648493).
std::string AddGroupOrderToS(std::string sig) {
  static const uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned v = static_cast<uint8_t>(sig[32 + i]) + kL[i] + carry;
    sig[32 + i] = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  return sig;
}

class SignatureVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::InProcessLedger::Start(kOrigin, {admin_.public_key()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  grpc::Status Append(const v1::SignedEvent& e) { return server_->Append(e); }
  core::Log& log() { return server_->log(); }

  // The admin registers `key` as a submitter (once per key).
  void Register(const std::string& key_bytes) {
    if (!registered_.emplace(key_bytes, true).second) return;
    v1::Event reg;
    reg.mutable_key_registered()->set_public_key(key_bytes);
    reg.mutable_key_registered()->set_role(v1::KeyRegistered::SUBMITTER);
    grpc::Status s = Append(client::SignEvent(
        kOrigin, "register-" + std::to_string(registered_.size()), reg, admin_));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Sends a claim event "signed" by (key, sig); expects refusal, nothing written, and that the
  // offline verifier agrees. Returns the refusal reason.
  std::string ExpectRefused(const std::string& key_bytes, const std::string& sig,
                            const std::string& label) {
    const std::string id = "vector-" + std::to_string(++sent_);
    const std::string event = ClaimBytes("Statement for " + label);
    v1::SignedEvent e;
    e.set_version(1);
    e.set_event_id(id);
    e.set_event(event);
    crypto::PublicKey key{};
    std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
    const Hash key_id = crypto::SignerKeyId(key);
    e.set_key_id(std::string(key_id.begin(), key_id.end()));
    e.set_signature(sig);
    const store::LogHead before = log().Head();
    grpc::Status s = Append(e);
    EXPECT_FALSE(s.ok()) << label << " was accepted";
    const std::string reason = testing::ErrorReason(s);
    if (sig.size() == crypto::kEd25519SignatureSize) {
      EXPECT_EQ(reason, "SIGNATURE_INVALID") << label << ": " << s.error_message();
      EXPECT_FALSE(crypto::Ed25519Verify(key, format::EventSigningInput(kOrigin, id, event), sig))
          << label << ": the offline verifier disagrees with the server";
    } else {
      EXPECT_EQ(reason, "INVALID_ENVELOPE") << label << ": " << s.error_message();
    }
    EXPECT_EQ(log().Head().tree_size, before.tree_size) << label;
    EXPECT_EQ(log().Head().root_hash, before.root_hash) << label;
    return reason;
  }

  crypto::Ed25519PrivateKey admin_ = testing::KeyFromSeed(1);
  std::unique_ptr<testing::InProcessLedger> server_;
  std::map<std::string, bool> registered_;
  int sent_ = 0;
};

TEST_F(SignatureVectorsTest, ProperSignaturesAcceptedNonCanonicalSRefused) {
  const crypto::Ed25519PrivateKey desk = testing::KeyFromSeed(7);
  Register(std::string(crypto::AsStringView(desk.public_key())));
  const std::string event = ClaimBytes("Pakistan and Russia signed a defence cooperation deal.");
  const v1::SignedEvent good = client::SignEventBytes(kOrigin, "good", event, desk);
  const v1::SignedEvent high_s = [&] {
    v1::SignedEvent e = client::SignEventBytes(kOrigin, "high-s", event, desk);
    e.set_signature(AddGroupOrderToS(e.signature()));
    return e;
  }();
  // Same point equation, S not reduced: libsodium (and RFC 8032 §5.1.7) refuses it.
  EXPECT_NE(high_s.signature(), client::SignEventBytes(kOrigin, "high-s", event, desk).signature());
  const store::LogHead before = log().Head();
  grpc::Status s = Append(high_s);
  EXPECT_EQ(testing::ErrorReason(s), "SIGNATURE_INVALID") << s.error_message();
  EXPECT_EQ(log().Head().tree_size, before.tree_size);
  s = Append(good);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(log().Head().tree_size, before.tree_size + 1);
}

TEST_F(SignatureVectorsTest, CctvVectorsAreRefusedThroughAppend) {
  LEDGER_REQUIRE_SHARED_DATA(path, "vectors/cctv/ed25519vectors.json");
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  ASSERT_TRUE(text.has_value());
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(doc.is_array());
  int sent = 0, forgeries = 0;
  for (const json& v : doc) {
    const std::string key = Unhex(v.at("key").get<std::string>());
    const std::string sig = Unhex(v.at("sig").get<std::string>());
    ASSERT_EQ(key.size(), 32u);
    Register(key);
    const std::string label = "cctv #" + std::to_string(v.at("number").get<int>());
    ExpectRefused(key, sig, label);
    ++sent;
    // Message-independent: low-order A and R with S = 0 (any message, under a lax verifier).
    bool low_a = false, low_r = false;
    for (const json& f : v.at("flags")) {
      low_a |= f == "low_order_A";
      low_r |= f == "low_order_R";
    }
    if (low_a && low_r && sig.substr(32) == std::string(32, '\0')) ++forgeries;
  }
  std::cout << sent << " CCTV vectors refused through Append (" << forgeries
            << " of them message-independent forgeries), " << registered_.size()
            << " distinct keys registered" << std::endl;
  EXPECT_EQ(sent, 914);
  EXPECT_GT(forgeries, 0);
}

TEST_F(SignatureVectorsTest, WycheproofVectorsAreRefusedThroughAppend) {
  LEDGER_REQUIRE_SHARED_DATA(path, "vectors/wycheproof/ed25519_test.json");
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  ASSERT_TRUE(text.has_value());
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded());
  int sent = 0, wrong_length = 0;
  for (const json& group : doc.at("testGroups")) {
    const std::string key = Unhex(group.at("publicKey").at("pk").get<std::string>());
    ASSERT_EQ(key.size(), 32u);
    Register(key);
    for (const json& t : group.at("tests")) {
      const std::string label = "wycheproof tcId " + std::to_string(t.at("tcId").get<int>()) +
                                " (" + t.at("result").get<std::string>() + ")";
      const std::string sig = Unhex(t.at("sig").get<std::string>());
      if (ExpectRefused(key, sig, label) == "INVALID_ENVELOPE") ++wrong_length;
      ++sent;
    }
  }
  std::cout << sent << " Wycheproof vectors refused through Append (" << wrong_length
            << " of them for their length)" << std::endl;
  EXPECT_GT(sent, 100);
  EXPECT_GT(wrong_length, 0);
}

}  // namespace
}  // namespace ledger
