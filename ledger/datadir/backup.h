// Backups of a data directory, and restores that cannot fork the log (issue 15).
//
// A backup is a directory:
//   <backup>/LEDGER             the identity, copied
//   <backup>/log.key            the log key, copied (a follower's backup has none)
//   <backup>/db/                a RocksDB checkpoint of the store (hard links where possible)
//   <backup>/checkpoint.anchor  the signed checkpoint of the backup's own head
//
// A restore copies a backup into a new data directory and checks it against what the log has
// signed since: the restored directory's anchor, and the external anchor (anchor.h), which a
// restore does not roll back. When the external anchor is larger than the restored log, the
// restore records that in <dir>/behind-signed.checkpoint (data_dir.h) and datadir::OpenLog
// then serves reads but refuses appends (FAILED_PRECONDITION, reason LOG_BEHIND_SIGNED) until
// the log holds that checkpoint's size with its root again -- for example after a restore
// that takes the missing entries from a follower's database (RestoreOptions::db_from), which
// holds the same entries and this log's signed checkpoints. The log therefore never signs a
// second checkpoint for a size it has signed already.
#ifndef LEDGER_DATADIR_BACKUP_H_
#define LEDGER_DATADIR_BACKUP_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/base/types.h"

namespace ledger::datadir {

struct BackupResult {
  TreeSize tree_size = 0;  // of the backup
};

// Backs up the closed data directory `dir` to `out`, which must not exist: a RocksDB
// checkpoint of db/, the identity and log key, and the head's checkpoint as the backup's
// anchor. Written to <out>.partial and renamed to `out` when complete (crash point
// "backup-before-rename"), so `out` is either absent or complete.
// Errors: ALREADY_EXISTS when `out` exists; NOT_FOUND when `dir` is not a data directory;
// FAILED_PRECONDITION when a ledgerd serves `dir` (DataDirLock: stop it, or back up a
// follower); the storage error otherwise. <out>.partial is removed on error.
absl::StatusOr<BackupResult> BackupDataDir(const std::string& dir, const std::string& out);

struct RestoreOptions {
  std::string backup;    // a directory written by BackupDataDir
  std::string data_dir;  // the data directory to create; must not exist
  // Optional: take db/ from this data directory or backup instead of the backup's -- e.g. a
  // (stopped) follower's, which holds the entries the backup lacks. Its identity must name the
  // same origin and log key as the backup's.
  std::string db_from;
  // Optional: the log's external anchor directory (anchor.h), checked, never written.
  std::string external_anchor_dir;
};

struct RestoreResult {
  TreeSize tree_size = 0;                // of the restored log
  std::optional<TreeSize> signed_size;   // set when the log is behind what was signed
};

// Restores a backup into options.data_dir: copies it to <data_dir>.restoring, opens the copy
// read-only, checks it against its own anchor and the external anchor, records
// BehindSignedPath when the external anchor is larger, and renames the copy to data_dir
// (crash point "restore-before-rename"). Nothing is left at data_dir on error.
// Errors: INVALID_ARGUMENT for a missing flag, a bad external anchor directory (reason
// BAD_ANCHOR_DIR) or a db_from of another log; ALREADY_EXISTS when data_dir exists;
// NOT_FOUND when the backup is not one; FAILED_PRECONDITION (reason LOG_FORKED_FROM_ANCHOR
// or LOG_BEHIND_ANCHOR) when the restored log is forked from an anchor or behind its own;
// DATA_LOSS when an anchor does not verify; the storage error otherwise.
absl::StatusOr<RestoreResult> RestoreDataDir(const RestoreOptions& options);

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_BACKUP_H_
