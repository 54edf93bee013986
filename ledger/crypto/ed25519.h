// Ed25519 signing and verification (libsodium), key ids, and key files.
//
// There is exactly one verifier in the project, `Ed25519Verify`: the server's admission, the
// auditor and followers all call it, so they can never disagree on which signatures are valid.
// libsodium 1.0.18 is strict (rejects non-canonical S, small-order public keys and R); the
// Wycheproof and CCTV vector tests pin its exact behaviour.
#ifndef LEDGER_CRYPTO_ED25519_H_
#define LEDGER_CRYPTO_ED25519_H_

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

using PublicKey = std::array<uint8_t, kEd25519PublicKeySize>;

inline absl::string_view AsStringView(const PublicKey& k) {
  return absl::string_view(reinterpret_cast<const char*>(k.data()), k.size());
}

// Returns true iff `signature` is a valid Ed25519 signature of `message` under `public_key`.
// A signature of the wrong length is rejected before libsodium is called. Thread-safe.
bool Ed25519Verify(const PublicKey& public_key, absl::string_view message,
                   absl::string_view signature);

// The signer key id (part of the signed format, see docs/format.md §1):
//   SHA-256("factledger/v1/key-id" || 0x00 || 0x01 || public_key)
// 0x01 names the algorithm (Ed25519), as in C2SP signed notes.
Hash SignerKeyId(const PublicKey& public_key);

// An Ed25519 private key. Immutable after construction; thread-safe.
class Ed25519PrivateKey {
 public:
  // Derives the key pair from a 32-byte seed. Returns InvalidArgument for another length.
  static absl::StatusOr<Ed25519PrivateKey> FromSeed(absl::string_view seed);
  // A fresh key from the operating system's CSPRNG.
  static Ed25519PrivateKey Generate();

  // Returns the 64-byte signature of `message`.
  std::string Sign(absl::string_view message) const;

  const PublicKey& public_key() const { return public_key_; }
  absl::string_view seed() const {
    return absl::string_view(reinterpret_cast<const char*>(seed_.data()), seed_.size());
  }

 private:
  Ed25519PrivateKey() = default;
  std::array<uint8_t, kEd25519SeedSize> seed_{};
  std::array<uint8_t, 64> secret_key_{};  // libsodium's expanded form: seed || public key.
  PublicKey public_key_{};
};

// Key files. A private key file is one line:
//   factledger-ed25519-private-key <64 hex digits of the seed>
// and is written with mode 0600. A public key file is one line:
//   factledger-ed25519-public-key <64 hex digits of the public key>
// Readers also accept the bare 64 hex digits of a public key.
absl::Status WritePrivateKeyFile(const std::string& path, const Ed25519PrivateKey& key);
absl::Status WritePublicKeyFile(const std::string& path, const PublicKey& key);
absl::StatusOr<Ed25519PrivateKey> ReadPrivateKeyFile(const std::string& path);
absl::StatusOr<PublicKey> ReadPublicKeyFile(const std::string& path);
// Parses the text of a public key file, or bare hex. InvalidArgument names what is wrong.
absl::StatusOr<PublicKey> ParsePublicKey(absl::string_view text);
std::string FormatPublicKey(const PublicKey& key);

}  // namespace ledger::crypto

#endif  // LEDGER_CRYPTO_ED25519_H_
