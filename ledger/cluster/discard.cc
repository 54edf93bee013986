#include "ledger/cluster/discard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/file_util.h"
#include "ledger/base/logging.h"
#include "ledger/base/status_macros.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"

namespace ledger::cluster {

namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

absl::Status SyncParent(const std::string& dir) {
  std::string parent = std::filesystem::path(dir).parent_path().string();
  if (parent.empty()) parent = ".";
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", parent));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot fsync ", parent));
  return absl::OkStatus();
}

absl::Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", from, " to ", to));
  }
  return SyncParent(to);
}

}  // namespace

absl::Status RequestClusterDiscard(const std::string& dir, const std::string& why) {
  return WriteFileAtomically(datadir::ClusterDiscardFile(dir), why + "\n");
}

absl::StatusOr<std::string> FinishClusterDiscard(const std::string& dir) {
  const std::string reinit = datadir::ClusterReinitDir(dir);
  if (!Exists(dir) && Exists(datadir::IdentityFile(reinit))) {
    // Interrupted between the two renames: the set-aside copy exists, the new one is complete.
    LEDGER_RETURN_IF_ERROR(Rename(reinit, dir));
    return reinit;
  }
  if (!Exists(datadir::ClusterDiscardFile(dir))) return std::string();
  LEDGER_ASSIGN_OR_RETURN(std::string why, ReadFileToString(datadir::ClusterDiscardFile(dir)));
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity identity, datadir::ReadIdentity(dir));
  LEDGER_ASSIGN_OR_RETURN(std::string key, ReadFileToString(datadir::LogKeyFile(dir)));
  std::error_code ignored;
  std::filesystem::remove_all(reinit, ignored);
  if (::mkdir(reinit.c_str(), 0755) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", reinit));
  }
  // A log key without an identity: InitDataDir keeps it (the cluster's key).
  LEDGER_RETURN_IF_ERROR(WriteFileAtomically(datadir::LogKeyFile(reinit), key));
  LEDGER_RETURN_IF_ERROR(datadir::InitDataDir(reinit, identity.origin, identity.admin_keys));
  const std::string aside = datadir::ClusterDiscardedDir(dir, absl::ToUnixMicros(absl::Now()));
  LEDGER_RETURN_IF_ERROR(Rename(dir, aside));
  LEDGER_RETURN_IF_ERROR(Rename(reinit, dir));
  LogEvent(LogLevel::kWarning,
           "cluster: set the log aside and re-initialised the data directory; it replicates "
           "again from the leader",
           {{"data_dir", dir}, {"set_aside", aside}, {"why", why}});
  return aside;
}

}  // namespace ledger::cluster
