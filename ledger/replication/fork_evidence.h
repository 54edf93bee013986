// Fork evidence: when a follower stops because of its leader, it keeps both signed checkpoints
// (its own and the leader's) in a text file, so that anyone holding the log key's verifier can
// check later that the leader signed two incompatible views (or tried to pass off another key).
//
//   <data-dir>/fork-evidence/<unix-micros>.txt
//
//   factledger-fork-evidence v1
//   kind FORK_INCONSISTENT
//   detected_micros 1767225600000000
//   leader 10.0.0.1:50051
//   local_tree_size 10
//   leader_tree_size 15
//   detail <one line: what did not match>
//   -----BEGIN LOCAL CHECKPOINT-----
//   <the follower's latest signed checkpoint, verbatim; empty for an empty follower>
//   -----END LOCAL CHECKPOINT-----
//   -----BEGIN LOCAL CHECKPOINT AT LEADER SIZE-----      (only when stored and different)
//   ...
//   -----END LOCAL CHECKPOINT AT LEADER SIZE-----
//   -----BEGIN LEADER CHECKPOINT-----
//   <the leader's checkpoint, verbatim>
//   -----END LEADER CHECKPOINT-----
//
// The file is written atomically (temporary file, fsync, rename, fsync of the directory); an
// existing file is never replaced (a name collision gets a "-N" suffix).
#ifndef LEDGER_REPLICATION_FORK_EVIDENCE_H_
#define LEDGER_REPLICATION_FORK_EVIDENCE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/base/types.h"

namespace ledger::replication {

struct ForkEvidence {
  std::string kind;  // ForkKindName
  int64_t detected_micros = 0;
  std::string leader;
  TreeSize local_tree_size = 0;
  TreeSize leader_tree_size = 0;
  std::string detail;
  std::string local_checkpoint;
  std::string local_checkpoint_at_leader_size;  // optional
  std::string leader_checkpoint;
};

// The file's text.
std::string FormatForkEvidence(const ForkEvidence& evidence);

// Writes `evidence` to <dir>/<detected_micros>.txt (creating `dir`), durably. Returns the path.
// INTERNAL with the errno text when the file cannot be written.
absl::StatusOr<std::string> WriteForkEvidence(const std::string& dir,
                                              const ForkEvidence& evidence);

}  // namespace ledger::replication

#endif  // LEDGER_REPLICATION_FORK_EVIDENCE_H_
