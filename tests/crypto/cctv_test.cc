// C2SP CCTV Ed25519 edge cases (../shared/data/vectors/cctv/ed25519vectors.json): low-order and
// non-canonical points in A and R, and signatures that only a cofactored equation accepts.
//
// Implementations legitimately disagree on these (RFC 8032 leaves most of them open), so there
// is no "right" answer to assert. What matters for the ledger is that the leader, followers
// and the auditor never disagree about which signatures are valid, and that a library upgrade
// cannot silently change that: this test PINS the exact set of vector numbers our one verifier
// (Ed25519Verify, libsodium 1.0.18) accepts. If it fails, the verifier's behaviour changed;
// that is a consensus change and must be handled as one, not by updating the list.
//
// The list was recorded by running this test once. Skips when the shared data is absent.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
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

// The vector numbers Ed25519Verify accepts, as recorded with libsodium 1.0.18: 43 of 914,
// exactly the vectors with no flag other than low_order_component_A/_R (1 with no flags, 7 with
// a low-order component in A, 35 in both A and R). Every low_order_A/R, non_canonical_A/R and
// low_order_residue vector is rejected: stricter than Go/OpenSSL ("ref10" rules) and than
// ZIP 215.
const std::set<int>& AcceptedVectors() {
  static const auto* accepted = new std::set<int>{
      7,   29,  50,  117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481,
      489, 497, 511, 525, 538, 565, 573, 581, 589, 597, 611, 625, 638, 665, 673,
      681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899,
  };
  return *accepted;
}

// The flags CCTV gives each kind of edge case.
constexpr const char* kStrictlyRejectedFlags[] = {"low_order_A", "low_order_R",
                                                  "non_canonical_A", "non_canonical_R",
                                                  "low_order_residue"};

TEST(CctvTest, AcceptedSetIsPinned) {
  LEDGER_REQUIRE_SHARED_DATA(path, "vectors/cctv/ed25519vectors.json");
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  ASSERT_TRUE(text.has_value()) << path;
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << "cannot parse " << path;

  std::set<int> accepted;
  std::set<int> numbers;
  for (const json& v : doc) {
    const int number = v.at("number").get<int>();
    numbers.insert(number);
    const std::string signature = Unhex(v.at("sig").get<std::string>());
    ASSERT_EQ(signature.size(), 64u) << "vector " << number;
    if (Ed25519Verify(UnhexKey(v.at("key").get<std::string>()), v.at("msg").get<std::string>(),
                      signature)) {
      accepted.insert(number);
    }
  }
  // At C2SP/CCTV 1e3d286: vectors 0..913.
  EXPECT_EQ(numbers.size(), 914u);
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), 913);
  EXPECT_EQ(accepted, AcceptedVectors())
      << "Ed25519Verify's behaviour on edge cases changed. Accepted now ("
      << accepted.size() << "): {" << absl::StrJoin(accepted, ", ") << "}";
}

// The same pin, stated as a rule over CCTV's flags, so a failure says which kind of edge case
// changed.
TEST(CctvTest, AcceptsOnlyVectorsWithoutStrictlyRejectedFlags) {
  LEDGER_REQUIRE_SHARED_DATA(path, "vectors/cctv/ed25519vectors.json");
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path);
  ASSERT_TRUE(text.has_value()) << path;
  const json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << "cannot parse " << path;
  int checked = 0;
  for (const json& v : doc) {
    bool strictly_rejected = false;
    std::string flags;
    if (v.at("flags").is_array()) {
      for (const json& flag : v.at("flags")) {
        flags += flag.get<std::string>() + " ";
        for (const char* rejected : kStrictlyRejectedFlags) {
          if (flag.get<std::string>() == rejected) strictly_rejected = true;
        }
      }
    }
    const bool verified = Ed25519Verify(UnhexKey(v.at("key").get<std::string>()),
                                        v.at("msg").get<std::string>(),
                                        Unhex(v.at("sig").get<std::string>()));
    EXPECT_EQ(verified, !strictly_rejected)
        << "vector " << v.at("number").get<int>() << " flags: " << flags;
    ++checked;
  }
  EXPECT_EQ(checked, 914);
}

}  // namespace
}  // namespace ledger::crypto
