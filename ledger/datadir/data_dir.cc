#include "ledger/datadir/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
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
#include "ledger/datadir/sst_verification.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"

namespace ledger::datadir {
namespace {

// Part of the on-disk format: DO NOT CHANGE.
constexpr absl::string_view kIdentityHeader = "factledger-data-dir v1";
constexpr absl::string_view kFollowerRoleLine = "role follower";

}  // namespace

namespace {

// Opens the store of `dir`. A process killed during a WAL write can leave an incomplete last
// record (Linux cuts a write() interrupted by SIGKILL at a page boundary); it was never
// acknowledged, but RocksDB's strict recovery refuses the database for it, forever. So when
// the strict open fails with DATA_LOSS and `dir` has an anchor, the store is opened again
// tolerating a damaged WAL tail -- first read-only, so that nothing changes unless it is kept --
// and kept only if the log then holds the anchor with its root. Otherwise the strict error is
// returned, or the anchor's refusal naming the damage. `*dropped_tail` says which happened.
absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreCheckingAnchor(
    const std::string& dir, store::RocksDbLogStoreOptions options,
    const std::vector<StoredAnchor>& anchors, const format::NoteVerifier& verifier,
    bool* dropped_tail) {
  *dropped_tail = false;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> strict =
      store::RocksDbLogStore::Open(datadir::LogDir(dir), options);
  if (strict.ok() || !absl::IsDataLoss(strict.status()) || anchors.empty()) return strict;
  store::RocksDbLogStoreOptions tolerant = options;
  tolerant.tolerate_damaged_wal_tail = true;
  tolerant.read_only = true;
  tolerant.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> look =
      store::RocksDbLogStore::Open(datadir::LogDir(dir), tolerant);
  if (!look.ok()) return strict;
  const store::RocksDbLogStore* raw = look->get();
  absl::StatusOr<std::vector<format::Checkpoint>> anchored =
      CheckAnchors(anchors, verifier, raw->Head(),
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
  return store::RocksDbLogStore::Open(datadir::LogDir(dir), tolerant);
}

// The directories whose anchors OpenLog checks and writes: `dir`, then the external anchor
// directory when one is configured (validated: ValidateExternalAnchorDir).
absl::StatusOr<std::vector<std::string>> AnchorDirs(const std::string& dir,
                                                    const std::string& external_anchor_dir) {
  if (external_anchor_dir.empty()) return std::vector<std::string>{dir};
  LEDGER_RETURN_IF_ERROR(ValidateExternalAnchorDir(external_anchor_dir, dir));
  if (OnSameFileSystem(external_anchor_dir, dir)) {
    LogEvent(LogLevel::kWarning,
             "the external anchor directory is on the same file system as the data directory: "
             "it survives a restore of the data directory, not a restore of the volume",
             {{"anchor_dir", external_anchor_dir}, {"data_dir", dir}});
  }
  return std::vector<std::string>{dir, external_anchor_dir};
}

// Brings the anchor of each of `dirs` to the log's head at start-up when it is missing or
// trails it (`sizes[i]`: the size of dirs[i]'s anchor, nullopt when it has none). A larger
// anchor (a log behind what it signed) is left alone.
absl::Status AnchorHeadAtStart(rocksdb::Env* env, const std::vector<std::string>& dirs,
                               const std::vector<std::optional<TreeSize>>& sizes,
                               const core::Log& log) {
  const TreeSize head_size = log.Head().tree_size;
  // An empty follower has no checkpoint to anchor until the leader's first one arrives.
  if (log.LatestCheckpoint().empty()) return absl::OkStatus();
  std::vector<std::string> to_write;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (!sizes[i].has_value() && head_size > 0) {
      LogEvent(
          LogLevel::kWarning, "no checkpoint anchor: anchoring the current head",
          {{"anchor", datadir::AnchorFile(dirs[i])}, {"tree_size", std::to_string(head_size)}});
    }
    if (!sizes[i].has_value() || *sizes[i] < head_size) to_write.push_back(dirs[i]);
  }
  return WriteAnchors(env, to_write, log.LatestCheckpoint());
}

// The size of each of `dirs`' anchors among `checked` (verified, with their checkpoints in
// `checkpoints`) and `covered` (larger than the log, with their sizes); nullopt when none.
std::vector<std::optional<TreeSize>> AnchorSizes(
    const std::vector<std::string>& dirs, const std::vector<StoredAnchor>& checked,
    const std::vector<format::Checkpoint>& checkpoints,
    const std::vector<std::pair<StoredAnchor, TreeSize>>& covered) {
  std::vector<std::optional<TreeSize>> sizes(dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    for (size_t k = 0; k < checked.size(); ++k) {
      if (checked[k].path == datadir::AnchorFile(dirs[i])) sizes[i] = checkpoints[k].tree_size;
    }
    for (const auto& [anchor, size] : covered) {
      if (anchor.path == datadir::AnchorFile(dirs[i])) sizes[i] = size;
    }
  }
  return sizes;
}

// A log behind what it signed (BehindSignedPath, written by a restore). Returns nullopt when
// there is no record, or when the log holds the recorded checkpoint again (the record is then
// removed). Otherwise returns the recorded checkpoint, and moves the anchors it covers --
// larger than the log, no larger than the record -- from `anchors` to `covered`: the log is
// known to be behind them, and will not sign anything until it holds them.
absl::StatusOr<std::optional<format::Checkpoint>> ApplyBehindSigned(
    rocksdb::Env* env, const std::string& dir, const format::NoteVerifier& verifier,
    const store::LogHead& head, const merkle::NodeReader& read, std::vector<StoredAnchor>* anchors,
    std::vector<std::pair<StoredAnchor, TreeSize>>* covered) {
  LEDGER_ASSIGN_OR_RETURN(std::optional<StoredAnchor> record,
                          ReadAnchorFile(env, datadir::BehindSignedFile(dir)));
  if (!record.has_value()) return std::optional<format::Checkpoint>();
  if (absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(record->note, verifier);
      cp.ok() && cp->tree_size > head.tree_size) {
    std::vector<StoredAnchor> still;
    for (StoredAnchor& anchor : *anchors) {
      absl::StatusOr<format::Checkpoint> a = format::VerifyCheckpoint(anchor.note, verifier);
      if (a.ok() && a->tree_size > head.tree_size && a->tree_size <= cp->tree_size) {
        covered->emplace_back(std::move(anchor), a->tree_size);
      } else {
        still.push_back(std::move(anchor));
      }
    }
    *anchors = std::move(still);
    return std::optional<format::Checkpoint>(*std::move(cp));
  }
  // Recovered (or not a checkpoint of this log: CheckAnchor says which).
  LEDGER_RETURN_IF_ERROR(
      CheckAnchor(record->path, record->note, verifier, head, read).status());
  LogEvent(LogLevel::kInfo,
           "the log holds the checkpoint it was behind after a restore: appends resume",
           {{"record", record->path}, {"tree_size", std::to_string(head.tree_size)}});
  if (::unlink(record->path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot remove ", record->path, ": ", strerror(errno)));
  }
  return std::optional<format::Checkpoint>();
}

absl::Status BehindSignedRefusal(const std::string& dir, TreeSize log_size,
                                 TreeSize signed_size) {
  return MakeError(
      absl::StatusCode::kFailedPrecondition, reason::kLogBehindSigned, "",
      absl::StrCat("this log was restored with ", log_size, " entries but has signed a "
                   "checkpoint at tree size ", signed_size, " (", datadir::BehindSignedFile(dir),
                   "): appends are refused, so that it never signs a second, different tree of "
                   "a size it has signed. Reads are served. To recover, restore entries ",
                   log_size, "..", signed_size - 1, " from a follower or a newer backup "
                   "(ledgerctl restore --backup BACKUP --db-from FOLLOWER_DIR ...), then "
                   "restart"));
}

// The checks both inits make before writing anything: a valid origin, an admin key, and no
// identity in `dir` yet.
absl::Status CheckNewIdentity(const std::string& dir, const std::string& origin,
                              const std::vector<crypto::PublicKey>& admin_keys) {
  LEDGER_RETURN_IF_ERROR(format::ValidateOrigin(origin));
  if (admin_keys.empty()) {
    return absl::InvalidArgumentError("at least one admin key is required");
  }
  if (::access(datadir::IdentityFile(dir).c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(dir, " is already initialised"));
  }
  return absl::OkStatus();
}

// The identity file's lines up to the admin keys (a follower's adds its role line).
std::string IdentityText(const std::string& origin, const crypto::PublicKey& log_public_key,
                         const std::vector<crypto::PublicKey>& admin_keys) {
  std::string identity = absl::StrCat(kIdentityHeader, "\norigin ", origin, "\nlog-key ",
                                      HexEncode(crypto::AsStringView(log_public_key)), "\n");
  for (const auto& k : admin_keys) {
    absl::StrAppend(&identity, "admin-key ", HexEncode(crypto::AsStringView(k)), "\n");
  }
  return identity;
}

// Creates the empty store of `dir` (or opens the one an interrupted init left). ALREADY_EXISTS
// when it holds a log.
absl::Status CreateEmptyStore(const std::string& dir, rocksdb::Env* env) {
  store::RocksDbLogStoreOptions options;
  options.create_if_missing = true;
  options.env = env;
  LEDGER_ASSIGN_OR_RETURN(auto store, store::RocksDbLogStore::Open(datadir::LogDir(dir), options));
  if (store->Head().tree_size != 0) {
    return absl::AlreadyExistsError(absl::StrCat(datadir::LogDir(dir), " already holds a log"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InitDataDir(const std::string& dir, const std::string& origin,
                         const std::vector<crypto::PublicKey>& admin_keys, rocksdb::Env* env,
                         const std::string& external_anchor_dir) {
  LEDGER_RETURN_IF_ERROR(CheckNewIdentity(dir, origin, admin_keys));
  if (!external_anchor_dir.empty()) {
    LEDGER_RETURN_IF_ERROR(ValidateExternalAnchorDir(external_anchor_dir, dir));
    if (::access(datadir::AnchorFile(external_anchor_dir).c_str(), F_OK) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(datadir::AnchorFile(external_anchor_dir),
                       " already exists: that anchor directory belongs to "
                       "another log (one anchor directory per log)"));
    }
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  // A log key without an identity is left by an interrupted init; nothing was signed with it
  // yet (the first checkpoint is signed after the identity is written), so it is kept.
  absl::StatusOr<crypto::Ed25519PrivateKey> existing_key =
      ::access(datadir::LogKeyFile(dir).c_str(), F_OK) == 0
          ? crypto::ReadPrivateKeyFile(datadir::LogKeyFile(dir))
          : absl::NotFoundError("no log key yet");
  if (!existing_key.ok() && !absl::IsNotFound(existing_key.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(datadir::LogKeyFile(dir), " exists without an identity but is not a log key (",
                     existing_key.status().message(), "); an earlier init was interrupted: remove ",
                     dir, " and run init again"));
  }
  crypto::Ed25519PrivateKey log_key =
      existing_key.ok() ? *existing_key : crypto::Ed25519PrivateKey::Generate();
  if (!existing_key.ok()) {
    LEDGER_RETURN_IF_ERROR(crypto::WritePrivateKeyFile(datadir::LogKeyFile(dir), log_key));
  }
  const std::string identity = IdentityText(origin, log_key.public_key(), admin_keys);
  // The store first, the identity last: a directory with an identity is complete.
  LEDGER_RETURN_IF_ERROR(CreateEmptyStore(dir, env));
  LEDGER_CRASH_POINT("init-after-store");
  LEDGER_RETURN_IF_ERROR(WriteFileAtomically(datadir::IdentityFile(dir), identity));
  LEDGER_CRASH_POINT("init-after-identity");
  // Opening the log signs the checkpoint of the empty tree and anchors it.
  OpenLogOptions open_options;
  open_options.external_anchor_dir = external_anchor_dir;
  open_options.env = env;
  LEDGER_ASSIGN_OR_RETURN(auto log, OpenLog(dir, std::move(open_options)));
  return absl::OkStatus();
}

absl::Status InitFollowerDataDir(const std::string& dir, const std::string& origin,
                                 const crypto::PublicKey& log_public_key,
                                 const std::vector<crypto::PublicKey>& admin_keys,
                                 rocksdb::Env* env) {
  LEDGER_RETURN_IF_ERROR(CheckNewIdentity(dir, origin, admin_keys));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", strerror(errno)));
  }
  const std::string identity =
      absl::StrCat(IdentityText(origin, log_public_key, admin_keys), kFollowerRoleLine, "\n");
  // The store first, the identity last: a directory with an identity is complete.
  LEDGER_RETURN_IF_ERROR(CreateEmptyStore(dir, env));
  return WriteFileAtomically(datadir::IdentityFile(dir), identity);
}

absl::StatusOr<bool> IsFollowerDataDir(const std::string& dir) {
  LEDGER_RETURN_IF_ERROR(ReadIdentity(dir).status());
  std::ifstream in(datadir::IdentityFile(dir));
  std::string line;
  while (std::getline(in, line)) {
    if (line == kFollowerRoleLine) return true;
  }
  return false;
}

absl::StatusOr<core::LogIdentity> ReadIdentity(const std::string& dir) {
  std::ifstream in(datadir::IdentityFile(dir));
  if (!in) {
    return absl::NotFoundError(absl::StrCat(datadir::IdentityFile(dir), " not found: is ", dir,
                                            " an initialised data directory?"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(buffer.str(), '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kIdentityHeader) {
    return absl::DataLossError(
        absl::StrCat(datadir::IdentityFile(dir), " does not start with \"", kIdentityHeader, "\""));
  }
  core::LogIdentity id;
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
          absl::StrCat(datadir::IdentityFile(dir), " line ", i + 1, " is not understood: ", line));
    }
  }
  if (!format::ValidateOrigin(id.origin).ok() || !have_log_key || id.admin_keys.empty()) {
    return absl::DataLossError(absl::StrCat(
        datadir::IdentityFile(dir), " must name an origin, a log key and at least one admin key"));
  }
  return id;
}

absl::StatusOr<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& dir) {
  const std::string path = datadir::LockFile(dir);
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

absl::StatusOr<std::unique_ptr<core::Log>> OpenLog(const std::string& dir, core::LogOptions options,
                                             rocksdb::Env* env) {
  OpenLogOptions open_options;
  open_options.log = std::move(options);
  open_options.env = env;
  return OpenLog(dir, std::move(open_options));
}

absl::StatusOr<std::unique_ptr<core::Log>> OpenLog(const std::string& dir,
                                                   OpenLogOptions open_options) {
  core::LogOptions& options = open_options.log;
  rocksdb::Env* const env = open_options.env;
  if (!options.free_bytes) options.free_bytes = [dir] { return FreeBytes(dir); };
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity identity, ReadIdentity(dir));
  LEDGER_ASSIGN_OR_RETURN(const bool follower, IsFollowerDataDir(dir));
  std::optional<crypto::Ed25519PrivateKey> key;  // none on a follower
  if (!follower && !open_options.open_without_log_key) {
    LEDGER_ASSIGN_OR_RETURN(key, crypto::ReadPrivateKeyFile(datadir::LogKeyFile(dir)));
  }
  const format::NoteVerifier verifier{identity.origin, identity.log_public_key};
  LEDGER_ASSIGN_OR_RETURN(const std::vector<std::string> anchor_dirs,
                          AnchorDirs(dir, open_options.external_anchor_dir));
  LEDGER_ASSIGN_OR_RETURN(const std::vector<StoredAnchor> anchors, ReadAnchors(env, anchor_dirs));
  store::RocksDbLogStoreOptions store_options;
  store_options.env = env;
  bool dropped_tail = false;
  LEDGER_ASSIGN_OR_RETURN(
      auto store, OpenStoreCheckingAnchor(dir, store_options, anchors, verifier, &dropped_tail));
  if (dropped_tail) {
    LogEvent(LogLevel::kWarning,
             "the WAL ended in an incomplete or damaged record, as a crash during a write "
             "leaves; recovered without it, and the log still holds its anchor",
             {{"data_dir", dir}, {"tree_size", std::to_string(store->Head().tree_size)}});
  }
  // RocksDB verifies a block's checksum only when the block is read, so a damaged SST opens
  // fine and fails later. Verify, before serving, every SST file not verified before or
  // written since (all of them with verify_all_sst_at_open): a damaged, truncated, replaced or
  // restored file is refused at start-up instead of served (docs/reliability.md, "The guarantees, in plain words"), and a
  // restart does not read the whole database again (sst_verification.h).
  {
    const absl::Time start = absl::Now();
    LEDGER_ASSIGN_OR_RETURN(SstVerificationResult verified,
                            VerifySstFiles(env, dir, *store, open_options.verify_all_sst_at_open,
                                           *options.clock));
    LogEvent(LogLevel::kInfo, "start-up storage check: SST files new or changed since verified",
             {{"data_dir", dir},
              {"files_verified", std::to_string(verified.files_verified)},
              {"bytes_verified", std::to_string(verified.bytes_verified)},
              {"files_unchanged", std::to_string(verified.files_unchanged)},
              {"ms", std::to_string(absl::ToInt64Milliseconds(absl::Now() - start))}});
  }
  // The anchors are checked before the log is opened, so that a refused start writes nothing.
  // Each one is checked: the external anchor also when the data directory's own is missing.
  const store::RocksDbLogStore* raw = store.get();
  const store::LogHead head = raw->Head();
  const merkle::NodeReader read = [raw](merkle::NodeId id) { return raw->GetNode(id); };
  std::vector<StoredAnchor> to_check = anchors;
  std::vector<std::pair<StoredAnchor, TreeSize>> covered;
  LEDGER_ASSIGN_OR_RETURN(
      const std::optional<format::Checkpoint> behind_signed,
      ApplyBehindSigned(env, dir, verifier, head, read, &to_check, &covered));
  LEDGER_ASSIGN_OR_RETURN(const std::vector<format::Checkpoint> anchored,
                          CheckAnchors(to_check, verifier, head, read));
  const std::vector<std::optional<TreeSize>> sizes =
      AnchorSizes(anchor_dirs, to_check, anchored, covered);
  TreeSize anchored_size = 0;
  for (const std::optional<TreeSize>& size : sizes) {
    anchored_size = std::max(anchored_size, size.value_or(0));
  }
  if (behind_signed.has_value()) {
    options.appends_refused = BehindSignedRefusal(dir, head.tree_size, behind_signed->tree_size);
    LogEvent(LogLevel::kWarning, "the log is behind what it signed: serving reads only",
             {{"data_dir", dir},
              {"tree_size", std::to_string(head.tree_size)},
              {"signed_tree_size", std::to_string(behind_signed->tree_size)}});
  }
  auto writer = std::make_shared<AnchorWriter>(env, anchor_dirs, anchored_size);
  options.on_checkpoint = [writer, inline_anchor = open_options.anchor_before_ack,
                           chained = std::move(options.on_checkpoint)](const std::string& note,
                                                                       TreeSize size) {
    if (chained) chained(note, size);
    writer->Publish(note, size);
    if (inline_anchor) writer->Flush();  // on the sequencer: before the callers are answered
  };
  LEDGER_ASSIGN_OR_RETURN(
      std::unique_ptr<core::Log> log,
      core::Log::Open(std::move(store), std::move(identity), std::move(key), std::move(options)));
  LEDGER_RETURN_IF_ERROR(AnchorHeadAtStart(env, anchor_dirs, sizes, *log));
  return log;
}

absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreReadOnly(
    const std::string& dir) {
  store::RocksDbLogStoreOptions options;
  options.read_only = true;
  absl::StatusOr<core::LogIdentity> identity = ReadIdentity(dir);
  absl::StatusOr<std::vector<StoredAnchor>> anchors = ReadAnchors(nullptr, {dir});
  if (!identity.ok() || !anchors.ok()) {
    return store::RocksDbLogStore::Open(datadir::LogDir(dir), options);
  }
  bool dropped_tail = false;
  return OpenStoreCheckingAnchor(dir, options, *anchors,
                                 {identity->origin, identity->log_public_key}, &dropped_tail);
}

}  // namespace ledger::datadir
