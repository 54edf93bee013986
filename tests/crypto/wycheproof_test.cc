// Project Wycheproof Ed25519 vectors (../shared/data/vectors/wycheproof/ed25519_test.json):
// every test goes through Ed25519Verify; "valid" must verify and "invalid" must not.
// Skips when the shared data is absent.
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "ledger/crypto/ed25519.h"
#include "nlohmann/json.hpp"
#include "tests/crypto/test_hex.h"
#include "tests/testing/shared_data.h"

namespace ledger::crypto {
namespace {

using ::ledger::crypto::testing::Unhex;
using ::ledger::crypto::testing::UnhexKey;
using json = nlohmann::json;

TEST(WycheproofTest, EveryVectorHasTheExpectedResult) {
  LEDGER_REQUIRE_SHARED_DATA(path, "vectors/wycheproof/ed25519_test.json");
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  ASSERT_TRUE(text.has_value()) << path;
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << "cannot parse " << path;
  ASSERT_EQ(doc.at("algorithm").get<std::string>(), "EDDSA");

  int valid = 0;
  int invalid = 0;
  for (const json& group : doc.at("testGroups")) {
    const PublicKey key = UnhexKey(group.at("publicKey").at("pk").get<std::string>());
    for (const json& t : group.at("tests")) {
      const int id = t.at("tcId").get<int>();
      const std::string result = t.at("result").get<std::string>();
      const bool verified = Ed25519Verify(key, Unhex(t.at("msg").get<std::string>()),
                                          Unhex(t.at("sig").get<std::string>()));
      if (result == "valid") {
        EXPECT_TRUE(verified) << "tcId " << id << " (" << t.at("comment") << ") must verify";
        ++valid;
      } else if (result == "invalid") {
        EXPECT_FALSE(verified) << "tcId " << id << " (" << t.at("comment")
                               << ") must not verify";
        ++invalid;
      } else {
        ADD_FAILURE() << "tcId " << id << ": unexpected result " << result;
      }
    }
  }
  // At C2SP/wycheproof dac1dd4: 151 tests, 88 valid and 63 invalid; no "acceptable" ones.
  EXPECT_EQ(doc.at("numberOfTests").get<int>(), valid + invalid);
  EXPECT_GE(valid + invalid, 151);
  EXPECT_GE(valid, 88);
  EXPECT_GE(invalid, 63);
}

}  // namespace
}  // namespace ledger::crypto
