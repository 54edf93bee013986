#include "ledger/replication/fork_evidence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace ledger::replication {
namespace {

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

void Section(std::string* out, absl::string_view name, const std::string& note) {
  absl::StrAppend(out, "-----BEGIN ", name, "-----\n", note);
  if (!note.empty() && note.back() != '\n') out->push_back('\n');
  absl::StrAppend(out, "-----END ", name, "-----\n");
}

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", dir);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : Errno("cannot fsync", dir);
}

}  // namespace

std::string ForkEvidenceDir(const std::string& data_dir) { return data_dir + "/fork-evidence"; }

std::string FormatForkEvidence(const ForkEvidence& e) {
  // One line per field: a detail with a newline would break the format.
  const std::string detail = absl::StrReplaceAll(e.detail, {{"\n", " "}});
  std::string out = absl::StrCat(
      "factledger-fork-evidence v1\nkind ", e.kind, "\ndetected_micros ", e.detected_micros,
      "\nleader ", e.leader, "\nlocal_tree_size ", e.local_tree_size, "\nleader_tree_size ",
      e.leader_tree_size, "\ndetail ", detail, "\n");
  Section(&out, "LOCAL CHECKPOINT", e.local_checkpoint);
  if (!e.local_checkpoint_at_leader_size.empty()) {
    Section(&out, "LOCAL CHECKPOINT AT LEADER SIZE", e.local_checkpoint_at_leader_size);
  }
  Section(&out, "LEADER CHECKPOINT", e.leader_checkpoint);
  return out;
}

absl::StatusOr<std::string> WriteForkEvidence(const std::string& dir,
                                              const ForkEvidence& evidence) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create", dir);
  const std::string text = FormatForkEvidence(evidence);
  std::string path;
  for (int n = 0;; ++n) {
    path = absl::StrCat(dir, "/", evidence.detected_micros, n == 0 ? "" : absl::StrCat("-", n),
                        ".txt");
    if (::access(path.c_str(), F_OK) != 0) break;
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Errno("cannot write", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to", path);
  if (absl::Status s = SyncDir(dir); !s.ok()) return s;
  return path;
}

}  // namespace ledger::replication
