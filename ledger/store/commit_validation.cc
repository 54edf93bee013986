#include "ledger/store/commit_validation.h"

#include "absl/strings/str_cat.h"
#include "ledger/crypto/sha256.h"
#include "ledger/store/schema.h"

namespace ledger::store {

absl::Status ValidateCommitBatch(const CommitBatch& batch, const LogHead& head) {
  if (batch.expected_tree_size != head.tree_size) {
    return absl::AbortedError(absl::StrCat("commit expected tree size ", batch.expected_tree_size,
                                           ", but the log has tree size ", head.tree_size));
  }
  const TreeSize want_size = batch.expected_tree_size + batch.entries.size();
  if (want_size < batch.expected_tree_size || batch.new_head.tree_size != want_size) {
    return absl::AbortedError(absl::StrCat(
        "commit new_head.tree_size is ", batch.new_head.tree_size, ", want ",
        batch.expected_tree_size, " + ", batch.entries.size(), " entries"));
  }
  if (batch.new_head.last_recorded_time_micros < head.last_recorded_time_micros) {
    return absl::AbortedError(absl::StrCat(
        "commit recorded time goes back: new_head.last_recorded_time_micros is ",
        batch.new_head.last_recorded_time_micros, ", the log is already at ",
        head.last_recorded_time_micros));
  }
  if (batch.entries.empty() && batch.new_head.root_hash != head.root_hash) {
    return absl::AbortedError(absl::StrCat(
        "commit changes the root of tree size ", head.tree_size, " from ",
        HexEncode(head.root_hash), " to ", HexEncode(batch.new_head.root_hash),
        " without new entries"));
  }
  for (const auto& [id, hash] : batch.nodes) {
    if (id.level > schema::kMaxNodeLevel) {
      return absl::InvalidArgumentError(absl::StrCat("commit has node level ", id.level,
                                                     ", want at most ", schema::kMaxNodeLevel));
    }
  }
  return absl::OkStatus();
}

LogHead EmptyLogHead() {
  LogHead head;
  head.root_hash = crypto::Sha256("");
  return head;
}

}  // namespace ledger::store
