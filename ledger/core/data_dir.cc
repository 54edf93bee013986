#include "ledger/core/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/base/status_macros.h"
#include "ledger/format/checkpoint.h"

namespace ledger::core {
namespace {

// Part of the on-disk format: DO NOT CHANGE.
constexpr absl::string_view kIdentityHeader = "factledger-data-dir v1";

absl::Status WriteFileDurably(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  std::string dir = path.substr(0, path.rfind('/'));
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

}  // namespace

std::string IdentityPath(const std::string& dir) { return dir + "/LEDGER"; }
std::string LogKeyPath(const std::string& dir) { return dir + "/log.key"; }
std::string DatabasePath(const std::string& dir) { return dir + "/db"; }

absl::Status InitDataDir(const std::string& dir, const std::string& origin,
                         const std::vector<crypto::PublicKey>& admin_keys) {
  LEDGER_RETURN_IF_ERROR(format::ValidateOrigin(origin));
  if (admin_keys.empty()) {
    return absl::InvalidArgumentError("at least one admin key is required");
  }
  if (::access(IdentityPath(dir).c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dir, " is already initialised"));
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  crypto::Ed25519PrivateKey log_key = crypto::Ed25519PrivateKey::Generate();
  LEDGER_RETURN_IF_ERROR(crypto::WritePrivateKeyFile(LogKeyPath(dir), log_key));
  std::string identity = absl::StrCat(kIdentityHeader, "\norigin ", origin, "\nlog-key ",
                                      HexEncode(crypto::AsStringView(log_key.public_key())),
                                      "\n");
  for (const auto& k : admin_keys) {
    absl::StrAppend(&identity, "admin-key ", HexEncode(crypto::AsStringView(k)), "\n");
  }
  // The store first, the identity last: a directory with an identity is complete.
  store::RocksDbLogStoreOptions options;
  options.create_if_missing = true;
  {
    LEDGER_ASSIGN_OR_RETURN(auto store, store::RocksDbLogStore::Open(DatabasePath(dir), options));
    if (store->Head().tree_size != 0) {
      return absl::AlreadyExistsError(absl::StrCat(DatabasePath(dir), " already holds a log"));
    }
  }
  LEDGER_RETURN_IF_ERROR(WriteFileDurably(IdentityPath(dir), identity));
  // Opening the log signs the checkpoint of the empty tree.
  LEDGER_ASSIGN_OR_RETURN(auto log, OpenLog(dir, LogOptions()));
  return absl::OkStatus();
}

absl::StatusOr<LogIdentity> ReadIdentity(const std::string& dir) {
  std::ifstream in(IdentityPath(dir));
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        IdentityPath(dir), " not found: is ", dir, " an initialised data directory?"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(buffer.str(), '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kIdentityHeader) {
    return absl::DataLossError(absl::StrCat(IdentityPath(dir), " does not start with \"",
                                            kIdentityHeader, "\""));
  }
  LogIdentity id;
  bool have_log_key = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (absl::ConsumePrefix(&line, "origin ")) {
      id.origin = std::string(line);
    } else if (absl::ConsumePrefix(&line, "log-key ")) {
      LEDGER_ASSIGN_OR_RETURN(id.log_public_key, crypto::ParsePublicKey(line));
      have_log_key = true;
    } else if (absl::ConsumePrefix(&line, "admin-key ")) {
      LEDGER_ASSIGN_OR_RETURN(crypto::PublicKey k, crypto::ParsePublicKey(line));
      id.admin_keys.push_back(k);
    } else {
      return absl::DataLossError(
          absl::StrCat(IdentityPath(dir), " line ", i + 1, " is not understood: ", line));
    }
  }
  if (!format::ValidateOrigin(id.origin).ok() || !have_log_key || id.admin_keys.empty()) {
    return absl::DataLossError(absl::StrCat(
        IdentityPath(dir), " must name an origin, a log key and at least one admin key"));
  }
  return id;
}

absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs st;
  if (::statvfs(dir.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat("statvfs ", dir, ": ", strerror(errno)));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

absl::StatusOr<std::unique_ptr<Log>> OpenLog(const std::string& dir, LogOptions options,
                                             rocksdb::Env* env) {
  if (!options.free_bytes) options.free_bytes = [dir] { return FreeBytes(dir); };
  LEDGER_ASSIGN_OR_RETURN(LogIdentity identity, ReadIdentity(dir));
  LEDGER_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key,
                          crypto::ReadPrivateKeyFile(LogKeyPath(dir)));
  store::RocksDbLogStoreOptions store_options;
  store_options.env = env;
  LEDGER_ASSIGN_OR_RETURN(auto store,
                          store::RocksDbLogStore::Open(DatabasePath(dir), store_options));
  return Log::Open(std::move(store), std::move(identity), std::move(key), options);
}

absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreReadOnly(
    const std::string& dir) {
  store::RocksDbLogStoreOptions options;
  options.read_only = true;
  return store::RocksDbLogStore::Open(DatabasePath(dir), options);
}

}  // namespace ledger::core
