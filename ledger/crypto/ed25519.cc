#include "ledger/crypto/ed25519.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/file_util.h"
#include "ledger/crypto/sha256.h"

namespace ledger::crypto {
namespace {

constexpr absl::string_view kPrivatePrefix = "factledger-ed25519-private-key ";
constexpr absl::string_view kPublicPrefix = "factledger-ed25519-public-key ";
// Part of the signed format: DO NOT CHANGE.
constexpr absl::string_view kKeyIdDomain("factledger/v1/key-id\x00\x01", 22);

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // No usable randomness source: nothing can be signed safely.
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  constexpr size_t kMaxKeyFileBytes = 4096;
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxKeyFileBytes);
  if (text.status().code() == absl::StatusCode::kOutOfRange) {
    return absl::InvalidArgumentError(absl::StrCat("key file ", path, " is longer than ",
                                                   kMaxKeyFileBytes,
                                                   " bytes, the most a key file holds"));
  }
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot open key file ", path));
  return text;
}

absl::Status WriteFileWithMode(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno),
                     errno == EEXIST ? " (refusing to overwrite an existing key)" : ""));
  }
  ssize_t n = ::write(fd, text.data(), text.size());
  int sync_rc = ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()) || sync_rc != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DecodeHex32(absl::string_view hex, absl::string_view what) {
  std::string bytes;
  if (hex.size() != 64 || !HexDecode(hex, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 64 hex digits, got ", hex.size(), " characters"));
  }
  return bytes;
}

}  // namespace

bool Ed25519Verify(const PublicKey& public_key, absl::string_view message,
                   absl::string_view signature) {
  EnsureSodium();
  if (signature.size() != kEd25519SignatureSize) return false;
  return crypto_sign_ed25519_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             public_key.data()) == 0;
}

Hash SignerKeyId(const PublicKey& public_key) {
  return Sha256Concat({kKeyIdDomain, AsStringView(public_key)});
}

absl::StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(absl::string_view seed) {
  EnsureSodium();
  if (seed.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 seed must be 32 bytes, got ", seed.size()));
  }
  Ed25519PrivateKey key;
  std::memcpy(key.seed_.data(), seed.data(), seed.size());
  crypto_sign_ed25519_seed_keypair(key.public_key_.data(), key.secret_key_.data(),
                                   key.seed_.data());
  return key;
}

Ed25519PrivateKey Ed25519PrivateKey::Generate() {
  EnsureSodium();
  std::string seed(kEd25519SeedSize, '\0');
  randombytes_buf(seed.data(), seed.size());
  auto key = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return *std::move(key);
}

std::string Ed25519PrivateKey::Sign(absl::string_view message) const {
  std::string signature(kEd25519SignatureSize, '\0');
  crypto_sign_ed25519_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                               reinterpret_cast<const unsigned char*>(message.data()),
                               message.size(), secret_key_.data());
  return signature;
}

std::string FormatPublicKey(const PublicKey& key) {
  return absl::StrCat(kPublicPrefix, HexEncode(AsStringView(key)));
}

absl::StatusOr<PublicKey> ParsePublicKey(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(text, kPublicPrefix)) text.remove_prefix(kPublicPrefix.size());
  auto bytes = DecodeHex32(text, "public key");
  if (!bytes.ok()) return bytes.status();
  PublicKey key;
  std::memcpy(key.data(), bytes->data(), key.size());
  return key;
}

absl::Status WritePrivateKeyFile(const std::string& path, const Ed25519PrivateKey& key) {
  return WriteFileWithMode(path, absl::StrCat(kPrivatePrefix, HexEncode(key.seed()), "\n"),
                           0600);
}

absl::Status WritePublicKeyFile(const std::string& path, const PublicKey& key) {
  return WriteFileWithMode(path, FormatPublicKey(key) + "\n", 0644);
}

absl::StatusOr<Ed25519PrivateKey> ReadPrivateKeyFile(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  absl::string_view body = absl::StripAsciiWhitespace(*text);
  if (!absl::StartsWith(body, kPrivatePrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a private key file (expected a line starting with \"",
        absl::StripTrailingAsciiWhitespace(kPrivatePrefix), "\")"));
  }
  body.remove_prefix(kPrivatePrefix.size());
  auto seed = DecodeHex32(body, "private key seed");
  if (!seed.ok()) return seed.status();
  return Ed25519PrivateKey::FromSeed(*seed);
}

absl::StatusOr<PublicKey> ReadPublicKeyFile(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  auto key = ParsePublicKey(*text);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  }
  return key;
}

}  // namespace ledger::crypto
