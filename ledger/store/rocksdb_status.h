// FromRocksDbStatus: RocksDB's errors as absl::Status, for every package that calls RocksDB
// directly (the log store, the views' store, anchors, backups, the auditor's spill). A library
// of its own so that those need not link the log store for this one function.
#ifndef LEDGER_STORE_ROCKSDB_STATUS_H_
#define LEDGER_STORE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace ledger::store {

// Converts a RocksDB status to an absl::Status. The ONLY place RocksDB error codes are
// interpreted; `context` (what was being done) prefixes the message.
//   OK → OK; NotFound → NotFound; Corruption → DataLoss;
//   IOError with NoSpace/SpaceLimit → ResourceExhausted; other IOError → Internal;
//   InvalidArgument → FailedPrecondition (RocksDB uses it for "wrong database state", e.g.
//   missing column families, never for a bad request of ours);
//   NotSupported → Unimplemented; Busy/TryAgain/ShutdownInProgress → Unavailable;
//   TimedOut → DeadlineExceeded; anything else (Aborted, Incomplete, ...) → Internal.
// RocksDB's Aborted is deliberately NOT mapped to Aborted, which callers of LogStore treat as a
// retryable tree-size race.
absl::Status FromRocksDbStatus(const rocksdb::Status& status, absl::string_view context);

}  // namespace ledger::store

#endif  // LEDGER_STORE_ROCKSDB_STATUS_H_
