// A ledger data directory: the log's identity, its checkpoint key and its RocksDB store.
//
//   <dir>/LEDGER    identity (text): format line, origin, log public key, admin keys
//   <dir>/log.key   the log's Ed25519 private key (mode 0600)
//   <dir>/db/       RocksDB (ledger/store/schema.h)
//
// The identity file:
//   factledger-data-dir v1
//   origin <origin>
//   log-key <64 hex digits>
//   admin-key <64 hex digits>        (one line per admin key, at least one)
#ifndef LEDGER_CORE_DATA_DIR_H_
#define LEDGER_CORE_DATA_DIR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/store/rocksdb_log_store.h"

namespace ledger::core {

std::string IdentityPath(const std::string& dir);
std::string LogKeyPath(const std::string& dir);
std::string DatabasePath(const std::string& dir);

// Creates a new data directory: identity, a fresh log key, an empty store with a signed
// checkpoint of the empty tree. ALREADY_EXISTS when `dir` already holds an identity;
// INVALID_ARGUMENT for a bad origin or no admin key.
absl::Status InitDataDir(const std::string& dir, const std::string& origin,
                         const std::vector<crypto::PublicKey>& admin_keys);

// Reads <dir>/LEDGER. NOT_FOUND when absent; DATA_LOSS when malformed.
absl::StatusOr<LogIdentity> ReadIdentity(const std::string& dir);

// Free bytes on the file system holding `dir` (statvfs, for unprivileged users).
absl::StatusOr<uint64_t> FreeBytes(const std::string& dir);

// Opens the log of an initialised data directory for appending. When options.free_bytes is
// unset it is set to FreeBytes(dir).
absl::StatusOr<std::unique_ptr<Log>> OpenLog(const std::string& dir, LogOptions options,
                                             rocksdb::Env* env = nullptr);

// Opens only the store, read-only (for offline audits and reads while a server runs).
absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreReadOnly(
    const std::string& dir);

}  // namespace ledger::core

#endif  // LEDGER_CORE_DATA_DIR_H_
