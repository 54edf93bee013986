#include "ledger/views/map_audit.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/event_validation.h"
#include "ledger/views/claim_state.h"

namespace ledger::views {

absl::Status MapAuditor::Feed(SequenceNumber sequence, absl::string_view leaf_data) {
  if (sequence != size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("map audit: entry ", sequence, " fed where entry ", size(), " was due"));
  }
  absl::StatusOr<core::StoredEntry> e = core::DecodeStoredEntry(sequence, leaf_data);
  if (!e.ok()) return e.status();
  frontier_.Append(e->leaf_hash, nullptr);
  for (const StateSubject& subject : SubjectsOf(e->event_id, e->event)) {
    const Hash key = StateMapKey(subject.kind, subject.id);
    map_.Set(key, NextStateHash(map_.Get(key).value_or(Hash{}), sequence, e->leaf_hash));
  }
  return absl::OkStatus();
}

absl::Status MapAuditor::Check(const format::MapCheckpoint& m) {
  const TreeSize n = m.checkpoint.tree_size;
  if (n != size()) {
    return absl::InvalidArgumentError(absl::StrCat("map audit: a map checkpoint at tree size ", n,
                                                   " checked after ", size(), " entries"));
  }
  if (frontier_.Root() != m.checkpoint.root_hash) {
    return absl::DataLossError(absl::StrCat(
        "the map checkpoint at tree size ", n, " has log root ", HexEncode(m.checkpoint.root_hash),
        ", the log's is ", HexEncode(frontier_.Root())));
  }
  const Hash root = map_.Commit();
  if (root != m.map_root) {
    return absl::DataLossError(absl::StrCat("the map checkpoint at tree size ", n,
                                            " commits map root ", HexEncode(m.map_root),
                                            ", the log's entries give ", HexEncode(root)));
  }
  return absl::OkStatus();
}

}  // namespace ledger::views
