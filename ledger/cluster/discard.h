// Setting a node's log aside (cluster mode, docs/design.md "High availability"): a node whose
// log conflicts with the elected leader only beyond what was ever published (never
// acknowledged, never served) re-replicates from the leader. The follower, on finding the
// conflict, checks that its log holds nothing that contradicts the published checkpoint and
// writes the request (RequestClusterDiscard); the next start carries it out
// (FinishClusterDiscard) before the data directory is opened:
//   1. build <dir>.reinit: the same log key and identity, an empty log (datadir::InitDataDir);
//   2. rename <dir> to <dir>.discarded-<micros> (kept for the operator: its provisional
//      checkpoints were signed with the cluster's key, but never left the cluster);
//   3. rename <dir>.reinit to <dir>; fsync the parent directory.
// A crash at any point is finished by the next start: before step 2 the request is still in
// <dir> (step 1 starts over); between 2 and 3 <dir> is missing and <dir>.reinit is complete.
#ifndef LEDGER_CLUSTER_DISCARD_H_
#define LEDGER_CLUSTER_DISCARD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ledger::cluster {

// Writes <dir>/cluster-discard with `why` (atomically).
absl::Status RequestClusterDiscard(const std::string& dir, const std::string& why);

// Carries out a pending request (see the file comment). Returns the directory set aside, or ""
// when there was nothing to do.
absl::StatusOr<std::string> FinishClusterDiscard(const std::string& dir);

}  // namespace ledger::cluster

#endif  // LEDGER_CLUSTER_DISCARD_H_
