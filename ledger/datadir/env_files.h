// Small files of a data directory (the anchor, the record of verified SST files) written through
// a rocksdb::Env's FileSystem, so that the fault-injecting file system of the reliability tests
// (tests/reliability/faulty_fs.h) reaches them as it reaches RocksDB. Errors are converted by
// store::FromRocksDbStatus and name the file and the step.
//
// A crash-safe replacement of <path> is: WriteSyncedFile(<path>.tmp), RenameFile over <path>,
// SyncDirectory of its directory; the callers place their crash points between the steps.
#ifndef LEDGER_DATADIR_ENV_FILES_H_
#define LEDGER_DATADIR_ENV_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ledger::datadir {

// The FileSystem of `env`; nullptr means rocksdb::Env::Default().
rocksdb::FileSystem* FileSystemOf(rocksdb::Env* env);

// Creates (or truncates) `path`, writes `contents`, fsyncs and closes it.
// Errors: "creating <path>: ..." or "writing <path>: ...".
absl::Status WriteSyncedFile(rocksdb::FileSystem* fs, const std::string& path,
                             absl::string_view contents);

// Renames `from` over `to`. Error: "renaming <from> to <to>: ...".
absl::Status RenameFile(rocksdb::FileSystem* fs, const std::string& from, const std::string& to);

// Fsyncs directory `dir` (after a rename in it). Error: "syncing directory <dir>: ...".
absl::Status SyncDirectory(rocksdb::FileSystem* fs, const std::string& dir);

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_ENV_FILES_H_
