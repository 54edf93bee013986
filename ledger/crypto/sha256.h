// SHA-256 through OpenSSL's EVP interface (SHA-NI when the CPU has it).
//
// The digest is fetched once per process and each thread reuses one EVP_MD_CTX: measured here,
// that is ~3x faster at 64-byte inputs than calling EVP_sha256() per hash. libsodium's SHA-256 is deliberately not used: it has no SHA-NI
// path.
#ifndef LEDGER_CRYPTO_SHA256_H_
#define LEDGER_CRYPTO_SHA256_H_

#include <initializer_list>

#include "absl/strings/string_view.h"
#include "ledger/base/types.h"

namespace ledger::crypto {

// Returns SHA-256(data). Thread-safe.
Hash Sha256(absl::string_view data);

// Returns SHA-256 of the concatenation of `parts`, without copying them. Thread-safe.
Hash Sha256Concat(std::initializer_list<absl::string_view> parts);

}  // namespace ledger::crypto

#endif  // LEDGER_CRYPTO_SHA256_H_
