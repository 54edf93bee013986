// EntrySource: what a follower needs from its leader, as an interface, so that the follower's
// logic (follower.h) is pure and runs against a fake, deterministic leader in tests and against
// gRPC in ledgerd (service/replication_grpc_source.h, --follow) or over a tlog-tiles HTTP API
// (service/tiles_entry_source.h, --mirror-tiles).
//
// Nothing an EntrySource returns is trusted: the follower verifies every checkpoint with the
// log key from its own configuration, every entry with the shared replayer, and every proof.
#ifndef LEDGER_REPLICATION_ENTRY_SOURCE_H_
#define LEDGER_REPLICATION_ENTRY_SOURCE_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/base/types.h"

namespace ledger::replication {

// Entries of the leader from a given sequence number, with the signed checkpoints the leader
// stored at sizes among them.
struct EntryBatch {
  // Leaf data (docs/format.md §4) of entries from, from + 1, ...
  std::vector<std::string> leaf_datas;
  // tree size -> signed checkpoint note, for sizes in (from, from + leaf_datas.size()].
  std::map<TreeSize, std::string> checkpoints;
};

// Where the follower is, told to the leader with each request (for the leader's ListFollowers).
struct FollowerPosition {
  std::string follower_id;
  TreeSize tree_size = 0;
};

// A leader as seen by one follower. Errors are transport errors (UNAVAILABLE,
// DEADLINE_EXCEEDED, ...) or the leader's own answer (NOT_FOUND, OUT_OF_RANGE): the follower
// retries them with backoff. Thread-compatible: one follower thread calls it.
class EntrySource {
 public:
  virtual ~EntrySource() = default;

  // The leader's latest signed checkpoint (a C2SP note, unverified). When the leader's log
  // still has position.tree_size entries, an implementation may wait up to `wait_for_growth`
  // for it to grow before answering (long poll); it may also answer at once.
  virtual absl::StatusOr<std::string> LatestCheckpoint(const FollowerPosition& position,
                                                       absl::Duration wait_for_growth) = 0;

  // The checkpoint the leader stored for exactly `tree_size`; NOT_FOUND when it stored none.
  virtual absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) = 0;

  // Up to `max_entries` entries from sequence `from` (fewer, possibly none, when the leader
  // has fewer or sends a smaller page).
  virtual absl::StatusOr<EntryBatch> Entries(const FollowerPosition& position,
                                             SequenceNumber from, size_t max_entries) = 0;

  // The RFC 6962 consistency proof between the leader's trees of `from_size` and `to_size`
  // (0 < from_size <= to_size), leaf side first.
  virtual absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size,
                                                             TreeSize to_size) = 0;
};

}  // namespace ledger::replication

#endif  // LEDGER_REPLICATION_ENTRY_SOURCE_H_
