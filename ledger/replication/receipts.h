// Durable receipts: what a follower holds of its leader's log before it has verified and
// applied it (docs/design.md, "High availability": "Durable receipts").
//
// A cluster follower (and a --follow follower with --follow-receipts) acknowledges entries to
// its leader once they are durable here, not once they are verified, stored entry by entry and
// indexed: a receipt is one synced RocksDB write of a whole chunk — the leader's entries and
// the leader's signed checkpoint that ends them — made only after the follower recomputed the
// chunk's Merkle root from its own tree and found the checkpoint's (replication/follower.h).
// The follower's apply thread then verifies and applies each receipt with
// Log::StageReplicated, exactly as without receipts, and removes it once it is committed.
//
// Record (<data-dir>/receipts, its own RocksDB database; datadir::ReceiptsDir):
//   key    8 bytes: the sequence number of the chunk's first entry, big-endian
//   value  "FLR1" | u32 BE len | checkpoint note | u32 BE count | count × (u32 BE len | leaf data)
//
// Whoever opens a follower log with receipts applies the stored ones first
// (ApplyStoredReceipts): a node must never campaign, serve as leader, or compare its log with
// a published checkpoint while it holds receipts it has not applied.
//
// Thread-safe (RocksDB is).
#ifndef LEDGER_REPLICATION_RECEIPTS_H_
#define LEDGER_REPLICATION_RECEIPTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/core/log.h"

namespace rocksdb {
class DB;
}

namespace ledger::replication {

struct Receipt {
  SequenceNumber from = 0;             // the first entry's sequence number
  std::string checkpoint_note;         // the leader's, for tree size from + leaf_datas.size()
  std::vector<std::string> leaf_datas;
  TreeSize end() const { return from + leaf_datas.size(); }
};

// The value's encoding (above), and its decoder: DATA_LOSS naming what is wrong.
std::string EncodeReceiptValue(const Receipt& receipt);
absl::StatusOr<Receipt> DecodeReceiptValue(SequenceNumber from, absl::string_view value);

class ReceiptStore {
 public:
  // Opens (creating) the database in `dir`.
  static absl::StatusOr<std::unique_ptr<ReceiptStore>> Open(const std::string& dir);
  ~ReceiptStore();

  // Stores `receipt` and syncs it: it is durable when this returns OK.
  // RESOURCE_EXHAUSTED when the disk is full.
  absl::Status Put(const Receipt& receipt);
  // Removes the receipt starting at `from` (not synced: a receipt found again after a crash is
  // recognised as applied by ApplyStoredReceipts and removed then).
  absl::Status Remove(SequenceNumber from);
  // Every stored receipt, in sequence order.
  absl::StatusOr<std::vector<Receipt>> LoadAll() const;

 private:
  explicit ReceiptStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

// Applies every stored receipt to the follower log `log` in order, removing each once applied
// (or already in the log; of a receipt the log holds in part, the rest is applied). Returns how many entries were applied. Errors: DATA_LOSS when a
// receipt leaves a gap after the log's head, or when the log refuses it (an entry breaks a rule:
// the leader that sent it cannot be trusted; the receipts are left in place as evidence), and
// the log's or the store's own errors.
absl::StatusOr<uint64_t> ApplyStoredReceipts(ReceiptStore* receipts, core::Log* log);

}  // namespace ledger::replication

#endif  // LEDGER_REPLICATION_RECEIPTS_H_
