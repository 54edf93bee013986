// The layout of a data directory: every file and directory under <data-dir> is named here and
// nowhere else (the role of LevelDB's filename.h). Each function only builds a path; it touches
// no file. The names are part of the on-disk format: DO NOT CHANGE them.
//
//   <data-dir>/
//     LEDGER                    IdentityFile
//     log.key                   LogKeyFile
//     db/                       LogDir
//     checkpoint.anchor         AnchorFile
//     behind-signed.checkpoint  BehindSignedFile
//     verified-sst-files        VerifiedSstRecordFile
//     ledgerd.pid               LockFile
//     views/                    ViewsDir
//     receipts/                 ReceiptsDir
//       ingest/batch-<n>.sst    ViewsIngestDir, ViewsIngestBatchFile
//     witnessed.checkpoint      WitnessedCheckpointFile
//     fork-evidence/
//       <micros>[-<n>].txt      ForkEvidenceDir, ForkEvidenceFile
//     cluster-discard           ClusterDiscardFile
//   <data-dir>.restoring/       RestoreStagingDir
//   <data-dir>.reinit/          ClusterReinitDir
//   <data-dir>.discarded-<micros>/  ClusterDiscardedDir
//   <backup>.partial/           PartialBackupDir
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(auto store, store::RocksDbLogStore::Open(datadir::LogDir(dir), {}));
#ifndef LEDGER_DATADIR_LAYOUT_H_
#define LEDGER_DATADIR_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ledger::datadir {

// <data-dir>/LEDGER: the identity (origin, log key, admin keys, role); written once by
// datadir::InitDataDir / InitFollowerDataDir, read by every start and by ledgerctl.
std::string IdentityFile(absl::string_view data_dir);

// <data-dir>/log.key: the log's private signing key; written by datadir::InitDataDir, copied by
// BackupDataDir and RestoreDataDir.
std::string LogKeyFile(absl::string_view data_dir);

// <data-dir>/db: the log's RocksDB database (store::RocksDbLogStore), opened by datadir/data_dir.
std::string LogDir(absl::string_view data_dir);

// <dir>/checkpoint.anchor: the latest signed checkpoint, kept in the data directory and in the
// external --anchor-dir; written by datadir/anchor (WriteAnchor, the Anchorer thread).
std::string AnchorFile(absl::string_view dir);

// <data-dir>/behind-signed.checkpoint: the external anchor a restored log is behind; written by
// RestoreDataDir, read and removed by datadir/data_dir at the next start.
std::string BehindSignedFile(absl::string_view data_dir);

// <data-dir>/verified-sst-files: the log's SST files already verified, with their identities;
// written by datadir/sst_verification.
std::string VerifiedSstRecordFile(absl::string_view data_dir);

// <data-dir>/ledgerd.pid: the lock file; flocked by datadir::DataDirLock (one ledgerd per data
// directory), holding that process's id.
std::string LockFile(absl::string_view data_dir);

// <data-dir>/views: the views database (views::RocksDbViewStore), written by ledgerd's view
// engine; derived data, rebuilt from the log when deleted.
std::string ViewsDir(absl::string_view data_dir);

// <data-dir>/receipts: a follower's durable receipts, its own RocksDB database
// (replication/receipts.h): entries received from the leader and not yet applied.
std::string ReceiptsDir(absl::string_view data_dir);

// <views-dir>/ingest: where RocksDbViewStore::Write(as_file) builds SST files before RocksDB
// ingests them; emptied by RocksDbViewStore::Open. `views_dir` is the views database's path
// (ViewsDir(data_dir) for a ledger).
std::string ViewsIngestDir(absl::string_view views_dir);

// <views-dir>/ingest/batch-<n>.sst: the n-th file RocksDbViewStore::Write(as_file) builds.
std::string ViewsIngestBatchFile(absl::string_view views_dir, uint64_t n);

// <data-dir>/witnessed.checkpoint: the latest checkpoint cosigned by enough witnesses (the
// note and the witnesses' cosignature lines); written by service/witness_collector, read by
// ledgerctl verify / bundle --witnessed.
std::string WitnessedCheckpointFile(absl::string_view data_dir);

// <data-dir>/fork-evidence: fork evidence files, written by a follower that stops because of
// its leader (replication/fork_evidence).
std::string ForkEvidenceDir(absl::string_view data_dir);

// Cluster mode (ledger/cluster/discard.h): <data-dir>/cluster-discard asks the next start to set
// the log aside (it conflicts with the leader beyond every published checkpoint); the fresh
// data directory is built in <data-dir>.reinit and the old one kept as
// <data-dir>.discarded-<micros>.
std::string ClusterDiscardFile(absl::string_view data_dir);
std::string ClusterReinitDir(absl::string_view data_dir);
std::string ClusterDiscardedDir(absl::string_view data_dir, int64_t micros);

// <fork-evidence-dir>/<detected-micros>.txt, or <detected-micros>-<n>.txt for n > 0 (a second
// file detected in the same microsecond); written by replication::WriteForkEvidence.
std::string ForkEvidenceFile(absl::string_view evidence_dir, int64_t detected_micros, int n);

// <data-dir>.restoring (beside the data directory): a restore being assembled by
// RestoreDataDir, renamed to <data-dir> when complete.
std::string RestoreStagingDir(absl::string_view data_dir);

// <backup>.partial (beside the backup): a backup being written by BackupDataDir, renamed to
// <backup> when complete.
std::string PartialBackupDir(absl::string_view backup_dir);

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_LAYOUT_H_
