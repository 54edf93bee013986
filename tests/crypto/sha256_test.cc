// SHA-256 known answers (FIPS 180-2 examples) and Sha256Concat == Sha256 of the concatenation.
#include "ledger/crypto/sha256.h"

#include <string>

#include "gtest/gtest.h"
#include "ledger/base/types.h"

namespace ledger::crypto {
namespace {

TEST(Sha256Test, EmptyString) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage) {
  EXPECT_EQ(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, OneMillionAs) {
  EXPECT_EQ(HexEncode(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, EmbeddedNulBytesAreHashed) {
  EXPECT_NE(Sha256(std::string("a\0b", 3)), Sha256("ab"));
  EXPECT_NE(Sha256(std::string(1, '\0')), Sha256(""));
}

TEST(Sha256ConcatTest, EqualsSha256OfTheConcatenation) {
  EXPECT_EQ(Sha256Concat({}), Sha256(""));
  EXPECT_EQ(Sha256Concat({"abc"}), Sha256("abc"));
  EXPECT_EQ(Sha256Concat({"a", "", "bc"}), Sha256("abc"));
  EXPECT_EQ(Sha256Concat({"", ""}), Sha256(""));
  // Across the 64-byte block boundary, with NUL bytes, in uneven pieces.
  std::string whole;
  for (int i = 0; i < 300; ++i) whole.push_back(static_cast<char>(i * 7));
  for (size_t cut1 = 0; cut1 <= whole.size(); cut1 += 13) {
    for (size_t cut2 = cut1; cut2 <= whole.size(); cut2 += 29) {
      absl::string_view w(whole);
      ASSERT_EQ(Sha256Concat({w.substr(0, cut1), w.substr(cut1, cut2 - cut1), w.substr(cut2)}),
                Sha256(whole))
          << "cuts " << cut1 << ", " << cut2;
    }
  }
}

TEST(Sha256ConcatTest, ReusesThePerThreadContextCleanly) {
  // A hash after a long one must not carry state over.
  const Hash first = Sha256("abc");
  EXPECT_NE(Sha256(std::string(100000, 'x')), first);
  EXPECT_EQ(Sha256("abc"), first);
}

}  // namespace
}  // namespace ledger::crypto
