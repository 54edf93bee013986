#include "ledger/datadir/layout.h"

#include "absl/strings/str_cat.h"

namespace ledger::datadir {

std::string IdentityFile(absl::string_view data_dir) { return absl::StrCat(data_dir, "/LEDGER"); }
std::string LogKeyFile(absl::string_view data_dir) { return absl::StrCat(data_dir, "/log.key"); }
std::string LogDir(absl::string_view data_dir) { return absl::StrCat(data_dir, "/db"); }
std::string AnchorFile(absl::string_view dir) { return absl::StrCat(dir, "/checkpoint.anchor"); }
std::string BehindSignedFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/behind-signed.checkpoint");
}
std::string VerifiedSstRecordFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/verified-sst-files");
}
std::string LockFile(absl::string_view data_dir) { return absl::StrCat(data_dir, "/ledgerd.pid"); }

std::string ViewsDir(absl::string_view data_dir) { return absl::StrCat(data_dir, "/views"); }

std::string ReceiptsDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/receipts");
}
std::string ViewsIngestDir(absl::string_view views_dir) {
  return absl::StrCat(views_dir, "/ingest");
}
std::string ViewsIngestBatchFile(absl::string_view views_dir, uint64_t n) {
  return absl::StrCat(ViewsIngestDir(views_dir), "/batch-", n, ".sst");
}

std::string WitnessedCheckpointFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/witnessed.checkpoint");
}
std::string ForkEvidenceDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/fork-evidence");
}
std::string ClusterDiscardFile(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/cluster-discard");
}
std::string ClusterReinitDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, ".reinit");
}
std::string ClusterDiscardedDir(absl::string_view data_dir, int64_t micros) {
  return absl::StrCat(data_dir, ".discarded-", micros);
}
std::string ForkEvidenceFile(absl::string_view evidence_dir, int64_t detected_micros, int n) {
  return absl::StrCat(evidence_dir, "/", detected_micros, n == 0 ? "" : absl::StrCat("-", n),
                      ".txt");
}

std::string RestoreStagingDir(absl::string_view data_dir) {
  return absl::StrCat(data_dir, ".restoring");
}
std::string PartialBackupDir(absl::string_view backup_dir) {
  return absl::StrCat(backup_dir, ".partial");
}

}  // namespace ledger::datadir
