// Hex literals in crypto tests.
#ifndef TESTS_CRYPTO_TEST_HEX_H_
#define TESTS_CRYPTO_TEST_HEX_H_

#include <array>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"

namespace ledger::crypto::testing {

// Decodes hex; fails the current test on malformed input.
inline std::string Unhex(absl::string_view hex) {
  std::string bytes;
  if (!HexDecode(hex, &bytes)) ADD_FAILURE() << "malformed hex literal: " << hex;
  return bytes;
}

// Decodes 64 hex digits into a public key; fails the current test otherwise.
inline PublicKey UnhexKey(absl::string_view hex) {
  PublicKey key{};
  const std::string bytes = Unhex(hex);
  if (bytes.size() != key.size()) {
    ADD_FAILURE() << "public key literal is " << bytes.size() << " bytes: " << hex;
    return key;
  }
  std::memcpy(key.data(), bytes.data(), key.size());
  return key;
}

}  // namespace ledger::crypto::testing

#endif  // TESTS_CRYPTO_TEST_HEX_H_
