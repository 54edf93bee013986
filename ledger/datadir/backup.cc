#include "ledger/datadir/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/file_util.h"
#include "ledger/base/status_macros.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/store/rocksdb_log_store.h"
#include "rocksdb/utilities/checkpoint.h"

namespace ledger::datadir {
namespace {

namespace fs = std::filesystem;

absl::Status FsError(const std::error_code& error, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", error.message()));
}

// fsync of every file and directory under `root`, then of `root` itself: a copy made with
// std::filesystem is durable before it is renamed into place.
absl::Status SyncTree(const std::string& root) {
  std::error_code error;
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    paths.push_back(it->path().string());
  }
  if (error) return FsError(error, absl::StrCat("listing ", root));
  paths.push_back(root);
  for (const std::string& path : paths) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return absl::InternalError(absl::StrCat("cannot sync ", path));
    }
    ::close(fd);
  }
  return absl::OkStatus();
}

// Renames the complete `staging` to `target` and syncs their parent directory.
absl::Status Publish(const std::string& staging, const std::string& target) {
  std::error_code error;
  fs::rename(staging, target, error);
  if (error) return FsError(error, absl::StrCat("renaming ", staging, " to ", target));
  const std::string parent = fs::absolute(target).parent_path().string();
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return absl::OkStatus();
}

// The identity file and (unless a follower's) the log key of `from`, copied to `to`.
absl::Status CopyIdentity(const std::string& from, const std::string& to) {
  std::error_code error;
  fs::copy_file(datadir::IdentityFile(from), datadir::IdentityFile(to), error);
  if (error) return FsError(error, absl::StrCat("copying ", datadir::IdentityFile(from)));
  if (!fs::exists(datadir::LogKeyFile(from))) return absl::OkStatus();
  LEDGER_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key,
                          crypto::ReadPrivateKeyFile(datadir::LogKeyFile(from)));
  return crypto::WritePrivateKeyFile(datadir::LogKeyFile(to), key);
}

absl::StatusOr<BackupResult> BackupInto(const std::string& dir, const std::string& partial) {
  // A running ledgerd holds the directory (DataDirLock): say so, before RocksDB's LOCK error.
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<DataDirLock> lock, DataDirLock::Acquire(dir));
  store::RocksDbLogStoreOptions options;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
      store::RocksDbLogStore::Open(datadir::LogDir(dir), options);
  if (!store.ok()) {
    return absl::Status(
        store.status().code(),
        absl::StrCat("cannot open ", datadir::LogDir(dir), " (", store.status().message(),
                     "); a backup needs the store to itself: stop the server "
                     "on it, or back up a follower"));
  }
  const store::LogHead head = (*store)->Head();
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> note,
                          (*store)->GetCheckpoint(head.tree_size));
  if (!note.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, " has no signed checkpoint at its head (tree size ", head.tree_size,
        "): an empty follower has nothing to back up"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(
      rocksdb::Checkpoint::Create((*store)->raw_db(), &raw), "creating a RocksDB checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(
      checkpoint->CreateCheckpoint(datadir::LogDir(partial)),
      absl::StrCat("writing a checkpoint of the store to ", datadir::LogDir(partial))));
  LEDGER_RETURN_IF_ERROR(CopyIdentity(dir, partial));
  LEDGER_RETURN_IF_ERROR(WriteAnchor(nullptr, partial, *note));
  LEDGER_RETURN_IF_ERROR(SyncTree(partial));
  return BackupResult{head.tree_size};
}

// The copy of `options` in `staging`, checked against its own anchor and the external one;
// records datadir::BehindSignedFile(staging) when the external anchor is larger than the log.
absl::StatusOr<RestoreResult> CheckRestored(const RestoreOptions& options,
                                            const std::string& staging) {
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity identity, ReadIdentity(staging));
  const format::NoteVerifier verifier{identity.origin, identity.log_public_key};
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<store::RocksDbLogStore> store,
                          OpenStoreReadOnly(staging));
  const store::LogHead head = store->Head();
  const store::RocksDbLogStore* raw = store.get();
  const merkle::NodeReader read = [raw](merkle::NodeId id) { return raw->GetNode(id); };
  LEDGER_ASSIGN_OR_RETURN(std::vector<StoredAnchor> own, ReadAnchors(nullptr, {staging}));
  LEDGER_RETURN_IF_ERROR(CheckAnchors(own, verifier, head, read).status());
  RestoreResult result{head.tree_size, std::nullopt};
  if (options.external_anchor_dir.empty()) return result;
  LEDGER_ASSIGN_OR_RETURN(std::vector<StoredAnchor> external,
                          ReadAnchors(nullptr, {options.external_anchor_dir}));
  if (external.empty()) return result;
  absl::StatusOr<format::Checkpoint> signed_cp =
      format::VerifyCheckpoint(external[0].note, verifier);
  if (signed_cp.ok() && signed_cp->tree_size > head.tree_size) {
    store.reset();
    LEDGER_RETURN_IF_ERROR(
        WriteFileAtomically(datadir::BehindSignedFile(staging), external[0].note));
    result.signed_size = signed_cp->tree_size;
    return result;
  }
  LEDGER_RETURN_IF_ERROR(CheckAnchors(external, verifier, head, read).status());
  return result;
}

absl::Status CheckSameLog(const std::string& backup, const std::string& db_from) {
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity ours, ReadIdentity(backup));
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity theirs, ReadIdentity(db_from));
  if (ours.origin != theirs.origin || ours.log_public_key != theirs.log_public_key) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--db-from ", db_from, " holds the log ",
        format::NoteVerifierKey(theirs.origin, theirs.log_public_key), ", the backup ", backup,
        " the log ", format::NoteVerifierKey(ours.origin, ours.log_public_key)));
  }
  return absl::OkStatus();
}

absl::Status CopyBackup(const RestoreOptions& options, const std::string& staging) {
  std::error_code error;
  fs::create_directories(staging, error);
  if (error) return FsError(error, absl::StrCat("creating ", staging));
  LEDGER_RETURN_IF_ERROR(CopyIdentity(options.backup, staging));
  if (fs::exists(datadir::AnchorFile(options.backup))) {
    fs::copy_file(datadir::AnchorFile(options.backup), datadir::AnchorFile(staging), error);
    if (error) return FsError(error, absl::StrCat("copying ", datadir::AnchorFile(options.backup)));
  }
  const std::string db_source =
      datadir::LogDir(options.db_from.empty() ? options.backup : options.db_from);
  fs::copy(db_source, datadir::LogDir(staging), fs::copy_options::recursive, error);
  if (error) return FsError(error, absl::StrCat("copying ", db_source));
  return SyncTree(staging);
}

}  // namespace

absl::StatusOr<BackupResult> BackupDataDir(const std::string& dir, const std::string& out) {
  if (fs::exists(out)) {
    return absl::AlreadyExistsError(absl::StrCat(out, " already exists; back up to a new path"));
  }
  LEDGER_RETURN_IF_ERROR(ReadIdentity(dir).status());
  const std::string partial = datadir::PartialBackupDir(out);
  std::error_code error;
  fs::remove_all(partial, error);
  fs::create_directories(partial, error);
  if (error) return FsError(error, absl::StrCat("creating ", partial));
  absl::StatusOr<BackupResult> result = BackupInto(dir, partial);
  if (!result.ok()) {
    fs::remove_all(partial, error);
    return result.status();
  }
  LEDGER_CRASH_POINT("backup-before-rename");
  LEDGER_RETURN_IF_ERROR(Publish(partial, out));
  return result;
}

absl::StatusOr<RestoreResult> RestoreDataDir(const RestoreOptions& options) {
  if (options.backup.empty() || options.data_dir.empty()) {
    return absl::InvalidArgumentError("a restore needs a backup and a data directory");
  }
  if (fs::exists(options.data_dir)) {
    return absl::AlreadyExistsError(absl::StrCat(
        options.data_dir, " already exists: restore into a new path (move the old directory "
        "aside; it is evidence)"));
  }
  LEDGER_RETURN_IF_ERROR(ReadIdentity(options.backup).status());
  if (!options.db_from.empty()) LEDGER_RETURN_IF_ERROR(CheckSameLog(options.backup, options.db_from));
  if (!options.external_anchor_dir.empty()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateExternalAnchorDir(options.external_anchor_dir, options.data_dir));
  }
  const std::string staging = datadir::RestoreStagingDir(options.data_dir);
  std::error_code error;
  fs::remove_all(staging, error);
  absl::Status copied = CopyBackup(options, staging);
  absl::StatusOr<RestoreResult> result =
      copied.ok() ? CheckRestored(options, staging) : absl::StatusOr<RestoreResult>(copied);
  if (!result.ok()) {
    fs::remove_all(staging, error);
    return result.status();
  }
  LEDGER_CRASH_POINT("restore-before-rename");
  LEDGER_RETURN_IF_ERROR(Publish(staging, options.data_dir));
  return result;
}

}  // namespace ledger::datadir
