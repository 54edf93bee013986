// Whole-file reads and crash-safe whole-file writes: the one place that does the temporary
// file, fsync, rename and directory fsync dance for small files (identity, fork evidence,
// proof bundles, trust-on-first-use state, port files).
//
// Not for files that fault-injection tests must reach: those go through rocksdb::Env
// (ledger/datadir/anchor.cc, ledger/datadir/sst_verification.cc).
//
// Example:
//   LEDGER_RETURN_IF_ERROR(WriteFileAtomically(dir + "/state", text));
//   LEDGER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/state"));
//
// Thread-safe (no shared state); concurrent writers of one path race on "<path>.tmp".
#ifndef LEDGER_BASE_FILE_UTIL_H_
#define LEDGER_BASE_FILE_UTIL_H_

#include <sys/types.h>

#include <cstddef>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger {

// Reads the whole file at `path` (binary, no newline translation).
// Errors: NotFound when it does not exist; PermissionDenied when it may not be read;
// OutOfRange when it is longer than `max_bytes` (nothing is returned then); Internal for any
// other failure. Messages name the path and the system's reason.
absl::StatusOr<std::string> ReadFileToString(
    const std::string& path, size_t max_bytes = std::numeric_limits<size_t>::max());

// Replaces the file at `path` with `bytes` so that a crash leaves either the old file or the
// new one, complete: writes "<path>.tmp" (mode `mode`), fsyncs it, renames it over `path` and
// fsyncs the directory. On error the old file (or none) is still at `path` and the temporary
// file has been removed.
// Errors: Internal naming the step that failed (create, write, fsync, rename, directory
// fsync), the path and the system's reason.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes,
                                 mode_t mode = 0644);

}  // namespace ledger

#endif  // LEDGER_BASE_FILE_UTIL_H_
