// MapAuditor: recomputes claim-state map commitments from the log's entries, in order
// (docs/format.md §13): the log's Merkle root and every subject's state hash, checked against a
// signed map checkpoint at its tree size. `ledgerctl verify-map` and a follower's audit of its
// leader's commitments (ledgerd --follow) use it.
//
// Memory: the map (~72 bytes per claim and key) and the Merkle frontier; not the entries.
// Thread-compatible.
#ifndef LEDGER_VIEWS_MAP_AUDIT_H_
#define LEDGER_VIEWS_MAP_AUDIT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/state_map.h"

namespace ledger::views {

class MapAuditor {
 public:
  // Feeds the entry at sequence size() (its stored leaf data). DATA_LOSS when it does not
  // decode; INVALID_ARGUMENT when `sequence` is not size().
  absl::Status Feed(SequenceNumber sequence, absl::string_view leaf_data);
  // Entries fed so far.
  TreeSize size() const { return frontier_.size(); }
  // Checks `m` (already verified with the log key) against the entries fed: its size must be
  // size(); DATA_LOSS naming the tree size when its log root or map root is not the replay's.
  absl::Status Check(const format::MapCheckpoint& m);

 private:
  merkle::Frontier frontier_;
  merkle::StateMap map_;
};

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_MAP_AUDIT_H_
