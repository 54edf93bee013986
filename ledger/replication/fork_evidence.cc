#include "ledger/replication/fork_evidence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ledger/base/file_util.h"
#include "ledger/datadir/layout.h"

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

}  // namespace

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
    path = datadir::ForkEvidenceFile(dir, evidence.detected_micros, n);
    if (::access(path.c_str(), F_OK) != 0) break;
  }
  if (absl::Status s = WriteFileAtomically(path, text); !s.ok()) return s;
  return path;
}

}  // namespace ledger::replication
