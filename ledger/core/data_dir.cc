#include "ledger/core/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
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
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/logging.h"
#include "ledger/base/file_util.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/sst_verification.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"

namespace ledger::core {
namespace {

// Part of the on-disk format: DO NOT CHANGE.
constexpr absl::string_view kIdentityHeader = "factledger-data-dir v1";
constexpr absl::string_view kFollowerRoleLine = "role follower";

// Opens the store of `dir`. A process killed during a WAL write can leave an incomplete last
// record (Linux cuts a write() interrupted by SIGKILL at a page boundary); it was never
// acknowledged, but RocksDB's strict recovery refuses the database for it, forever. So when
// the strict open fails with DATA_LOSS and `dir` has an anchor, the store is opened again
// tolerating a damaged WAL tail -- first read-only, so that nothing changes unless it is kept --
// and kept only if the log then holds the anchor with its root. Otherwise the strict error is
// returned, or the anchor's refusal naming the damage. `*dropped_tail` says which happened.
absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreCheckingAnchor(
    const std::string& dir, store::RocksDbLogStoreOptions options,
    const std::optional<std::string>& anchor, const format::NoteVerifier& verifier,
    bool* dropped_tail) {
  *dropped_tail = false;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> strict =
      store::RocksDbLogStore::Open(DatabasePath(dir), options);
  if (strict.ok() || !absl::IsDataLoss(strict.status()) || !anchor.has_value()) return strict;
  store::RocksDbLogStoreOptions tolerant = options;
  tolerant.tolerate_damaged_wal_tail = true;
  tolerant.read_only = true;
  tolerant.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> look =
      store::RocksDbLogStore::Open(DatabasePath(dir), tolerant);
  if (!look.ok()) return strict;
  const store::RocksDbLogStore* raw = look->get();
  absl::StatusOr<format::Checkpoint> anchored =
      CheckAnchor(AnchorPath(dir), *anchor, verifier, raw->Head(),
                  [raw](merkle::NodeId id) { return raw->GetNode(id); });
  if (!anchored.ok()) {
    if (!IsAnchorRefusal(anchored.status())) return strict;
    return MakeError(anchored.status().code(), ErrorReason(anchored.status()), "",
                     absl::StrCat(anchored.status().message(), " (the database's WAL ends in a ",
                                  "damaged record: ", strict.status().message(), ")"));
  }
  *dropped_tail = true;
  if (options.read_only) return look;
  look->reset();
  tolerant.read_only = false;
  return store::RocksDbLogStore::Open(DatabasePath(dir), tolerant);
}

}  // namespace

std::string IdentityPath(const std::string& dir) { return dir + "/LEDGER"; }
std::string LogKeyPath(const std::string& dir) { return dir + "/log.key"; }
std::string DatabasePath(const std::string& dir) { return dir + "/db"; }

absl::Status InitDataDir(const std::string& dir, const std::string& origin,
                         const std::vector<crypto::PublicKey>& admin_keys, rocksdb::Env* env) {
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
  // A log key without an identity is left by an interrupted init; nothing was signed with it
  // yet (the first checkpoint is signed after the identity is written), so it is kept.
  absl::StatusOr<crypto::Ed25519PrivateKey> existing_key =
      ::access(LogKeyPath(dir).c_str(), F_OK) == 0 ? crypto::ReadPrivateKeyFile(LogKeyPath(dir))
                                                   : absl::NotFoundError("no log key yet");
  if (!existing_key.ok() && !absl::IsNotFound(existing_key.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        LogKeyPath(dir), " exists without an identity but is not a log key (",
        existing_key.status().message(), "); an earlier init was interrupted: remove ", dir,
        " and run init again"));
  }
  crypto::Ed25519PrivateKey log_key =
      existing_key.ok() ? *existing_key : crypto::Ed25519PrivateKey::Generate();
  if (!existing_key.ok()) {
    LEDGER_RETURN_IF_ERROR(crypto::WritePrivateKeyFile(LogKeyPath(dir), log_key));
  }
  std::string identity = absl::StrCat(kIdentityHeader, "\norigin ", origin, "\nlog-key ",
                                      HexEncode(crypto::AsStringView(log_key.public_key())),
                                      "\n");
  for (const auto& k : admin_keys) {
    absl::StrAppend(&identity, "admin-key ", HexEncode(crypto::AsStringView(k)), "\n");
  }
  // The store first, the identity last: a directory with an identity is complete.
  store::RocksDbLogStoreOptions options;
  options.create_if_missing = true;
  options.env = env;
  {
    LEDGER_ASSIGN_OR_RETURN(auto store, store::RocksDbLogStore::Open(DatabasePath(dir), options));
    if (store->Head().tree_size != 0) {
      return absl::AlreadyExistsError(absl::StrCat(DatabasePath(dir), " already holds a log"));
    }
  }
  LEDGER_CRASH_POINT("init-after-store");
  LEDGER_RETURN_IF_ERROR(WriteFileAtomically(IdentityPath(dir), identity));
  LEDGER_CRASH_POINT("init-after-identity");
  // Opening the log signs the checkpoint of the empty tree and anchors it.
  LEDGER_ASSIGN_OR_RETURN(auto log, OpenLog(dir, LogOptions(), env));
  return absl::OkStatus();
}

absl::Status InitFollowerDataDir(const std::string& dir, const std::string& origin,
                                 const crypto::PublicKey& log_public_key,
                                 const std::vector<crypto::PublicKey>& admin_keys,
                                 rocksdb::Env* env) {
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
  std::string identity = absl::StrCat(kIdentityHeader, "\norigin ", origin, "\nlog-key ",
                                      HexEncode(crypto::AsStringView(log_public_key)), "\n");
  for (const auto& k : admin_keys) {
    absl::StrAppend(&identity, "admin-key ", HexEncode(crypto::AsStringView(k)), "\n");
  }
  absl::StrAppend(&identity, kFollowerRoleLine, "\n");
  // The store first, the identity last: a directory with an identity is complete.
  store::RocksDbLogStoreOptions options;
  options.create_if_missing = true;
  options.env = env;
  {
    LEDGER_ASSIGN_OR_RETURN(auto store, store::RocksDbLogStore::Open(DatabasePath(dir), options));
    if (store->Head().tree_size != 0) {
      return absl::AlreadyExistsError(absl::StrCat(DatabasePath(dir), " already holds a log"));
    }
  }
  return WriteFileAtomically(IdentityPath(dir), identity);
}

absl::StatusOr<bool> IsFollowerDataDir(const std::string& dir) {
  LEDGER_RETURN_IF_ERROR(ReadIdentity(dir).status());
  std::ifstream in(IdentityPath(dir));
  std::string line;
  while (std::getline(in, line)) {
    if (line == kFollowerRoleLine) return true;
  }
  return false;
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
    } else if (line == kFollowerRoleLine) {
      // IsFollowerDataDir reads it.
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

std::string PidFilePath(const std::string& dir) { return dir + "/ledgerd.pid"; }

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& dir) {
  const std::string path = PidFilePath(dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat("no data directory ", dir));
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", strerror(error)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string holder;
    char buffer[32] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return absl::InternalError(absl::StrCat("cannot lock ", path, ": ", strerror(error)));
    }
    if (n > 0) holder = std::string(absl::StripAsciiWhitespace(absl::string_view(buffer, n)));
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir, " is in use by another ledgerd (pid ",
                     holder.empty() ? "unknown" : holder, "); stop it first, or serve another "
                     "data directory"));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(error)));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

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
  LEDGER_ASSIGN_OR_RETURN(const bool follower, IsFollowerDataDir(dir));
  std::optional<crypto::Ed25519PrivateKey> key;  // none on a follower
  if (!follower) {
    LEDGER_ASSIGN_OR_RETURN(key, crypto::ReadPrivateKeyFile(LogKeyPath(dir)));
  }
  const format::NoteVerifier verifier{identity.origin, identity.log_public_key};
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> anchor, ReadAnchor(env, dir));
  store::RocksDbLogStoreOptions store_options;
  store_options.env = env;
  bool dropped_tail = false;
  LEDGER_ASSIGN_OR_RETURN(
      auto store, OpenStoreCheckingAnchor(dir, store_options, anchor, verifier, &dropped_tail));
  if (dropped_tail) {
    LogEvent(LogLevel::kWarning,
             "the WAL ended in an incomplete or damaged record, as a crash during a write "
             "leaves; recovered without it, and the log still holds its anchor",
             {{"data_dir", dir}, {"tree_size", std::to_string(store->Head().tree_size)}});
  }
  // RocksDB verifies a block's checksum only when the block is read, so a damaged SST opens
  // fine and fails later. Verify, before serving, every SST file not verified before or
  // written since (all of them with verify_all_sst_at_open): a damaged, truncated, replaced or
  // restored file is refused at start-up instead of served (RELIABILITY.md invariant 8), and a
  // restart does not read the whole database again (sst_verification.h).
  {
    const absl::Time start = absl::Now();
    LEDGER_ASSIGN_OR_RETURN(SstVerificationResult verified,
                            VerifySstFiles(env, dir, *store, options.verify_all_sst_at_open));
    LogEvent(LogLevel::kInfo, "start-up storage check: SST files new or changed since verified",
             {{"data_dir", dir},
              {"files_verified", std::to_string(verified.files_verified)},
              {"bytes_verified", std::to_string(verified.bytes_verified)},
              {"files_unchanged", std::to_string(verified.files_unchanged)},
              {"ms", std::to_string(absl::ToInt64Milliseconds(absl::Now() - start))}});
  }
  // The anchor is checked before the log is opened, so that a refused start writes nothing.
  TreeSize anchored_size = 0;
  if (anchor.has_value()) {
    const store::RocksDbLogStore* raw = store.get();
    LEDGER_ASSIGN_OR_RETURN(
        format::Checkpoint anchored,
        CheckAnchor(AnchorPath(dir), *anchor, verifier, raw->Head(),
                    [raw](merkle::NodeId id) { return raw->GetNode(id); }));
    anchored_size = anchored.tree_size;
  }
  auto writer = std::make_shared<AnchorWriter>(env, dir, anchored_size);
  options.on_checkpoint = [writer, chained = std::move(options.on_checkpoint)](
                              const std::string& note, TreeSize size) {
    if (chained) chained(note, size);
    writer->Publish(note, size);
  };
  LEDGER_ASSIGN_OR_RETURN(
      std::unique_ptr<Log> log,
      Log::Open(std::move(store), std::move(identity), std::move(key), std::move(options)));
  const TreeSize head_size = log->Head().tree_size;
  // An empty follower has no checkpoint to anchor until the leader's first one arrives.
  if ((!anchor.has_value() || anchored_size < head_size) && !log->LatestCheckpoint().empty()) {
    if (!anchor.has_value() && head_size > 0) {
      LogEvent(LogLevel::kWarning, "no checkpoint anchor: anchoring the current head",
               {{"anchor", AnchorPath(dir)}, {"tree_size", std::to_string(head_size)}});
    }
    LEDGER_RETURN_IF_ERROR(WriteAnchor(env, dir, log->LatestCheckpoint()));
  }
  return log;
}

absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreReadOnly(
    const std::string& dir) {
  store::RocksDbLogStoreOptions options;
  options.read_only = true;
  absl::StatusOr<LogIdentity> identity = ReadIdentity(dir);
  absl::StatusOr<std::optional<std::string>> anchor = ReadAnchor(nullptr, dir);
  if (!identity.ok() || !anchor.ok()) {
    return store::RocksDbLogStore::Open(DatabasePath(dir), options);
  }
  bool dropped_tail = false;
  return OpenStoreCheckingAnchor(dir, options, *anchor,
                                 {identity->origin, identity->log_public_key}, &dropped_tail);
}

}  // namespace ledger::core
