#include "ledger/replication/receipts.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/logging.h"
#include "ledger/store/rocksdb_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace ledger::replication {
namespace {

constexpr absl::string_view kMagic = "FLR1";
// A receipt holds at most one chunk (FollowerOptions::max_chunk_entries, and the leader's
// 1000 entries per page); the decoder's bound is far above it and far below memory limits.
constexpr uint32_t kMaxReceiptEntries = 1u << 20;

std::string ReceiptKey(SequenceNumber from) {
  std::string key;
  PutFixed64BE(&key, from);
  return key;
}

void PutBytes(std::string* dst, absl::string_view bytes) {
  PutFixed32BE(dst, static_cast<uint32_t>(bytes.size()));
  dst->append(bytes.data(), bytes.size());
}

// Reads a u32 length and that many bytes from the front of `in`.
bool TakeBytes(absl::string_view* in, absl::string_view* out) {
  if (in->size() < 4) return false;
  const uint32_t len = DecodeFixed32BE(in->data());
  in->remove_prefix(4);
  if (in->size() < len) return false;
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

}  // namespace

std::string EncodeReceiptValue(const Receipt& receipt) {
  size_t size = kMagic.size() + 8 + receipt.checkpoint_note.size();
  for (const std::string& leaf : receipt.leaf_datas) size += 4 + leaf.size();
  std::string value;
  value.reserve(size);
  value.append(kMagic.data(), kMagic.size());
  PutBytes(&value, receipt.checkpoint_note);
  PutFixed32BE(&value, static_cast<uint32_t>(receipt.leaf_datas.size()));
  for (const std::string& leaf : receipt.leaf_datas) PutBytes(&value, leaf);
  return value;
}

absl::StatusOr<Receipt> DecodeReceiptValue(SequenceNumber from, absl::string_view value) {
  auto bad = [from](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("receipt from sequence ", from, ": ", what, " (a damaged receipts database)"));
  };
  if (value.substr(0, kMagic.size()) != kMagic) return bad("no \"FLR1\" header");
  value.remove_prefix(kMagic.size());
  Receipt receipt;
  receipt.from = from;
  absl::string_view note;
  if (!TakeBytes(&value, &note)) return bad("the checkpoint note is cut short");
  receipt.checkpoint_note = std::string(note);
  if (value.size() < 4) return bad("the entry count is missing");
  const uint32_t count = DecodeFixed32BE(value.data());
  value.remove_prefix(4);
  if (count > kMaxReceiptEntries) {
    return bad(absl::StrCat("entry count ", count, " is over the limit ", kMaxReceiptEntries));
  }
  // Every entry takes at least its 4-byte length: a count the bytes cannot hold is refused
  // before anything is reserved.
  if (count > value.size() / 4) return bad("the entry count exceeds the bytes that follow");
  receipt.leaf_datas.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    absl::string_view leaf;
    if (!TakeBytes(&value, &leaf)) return bad(absl::StrCat("entry ", i, " is cut short"));
    receipt.leaf_datas.emplace_back(leaf);
  }
  if (!value.empty()) return bad("trailing bytes after the last entry");
  if (from + count < from) return bad("the sequence numbers overflow");
  return receipt;
}

ReceiptStore::ReceiptStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
ReceiptStore::~ReceiptStore() = default;

absl::StatusOr<std::unique_ptr<ReceiptStore>> ReceiptStore::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // As the log store (store/rocksdb_log_store.cc): a damaged WAL refuses to open rather than
  // silently dropping receipts this node acknowledged.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  options.track_and_verify_wals_in_manifest = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return store::FromRocksDbStatus(s, absl::StrCat("opening receipts ", dir));
  return std::unique_ptr<ReceiptStore>(new ReceiptStore(std::unique_ptr<rocksdb::DB>(db)));
}

absl::Status ReceiptStore::Put(const Receipt& receipt) {
  rocksdb::WriteOptions write;
  write.sync = true;
  return store::FromRocksDbStatus(
      db_->Put(write, ReceiptKey(receipt.from), EncodeReceiptValue(receipt)),
      absl::StrCat("storing the receipt of entries [", receipt.from, ", ", receipt.end(), ")"));
}

absl::Status ReceiptStore::Remove(SequenceNumber from) {
  return store::FromRocksDbStatus(db_->Delete(rocksdb::WriteOptions(), ReceiptKey(from)),
                                  absl::StrCat("removing the receipt from sequence ", from));
}

absl::StatusOr<std::vector<Receipt>> ReceiptStore::LoadAll() const {
  std::vector<Receipt> receipts;
  rocksdb::ReadOptions read;
  read.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError(absl::StrCat("receipts: a key of ", it->key().size(),
                                              " bytes (8 expected): a damaged receipts database"));
    }
    absl::StatusOr<Receipt> receipt = DecodeReceiptValue(
        DecodeFixed64BE(it->key().data()),
        absl::string_view(it->value().data(), it->value().size()));
    if (!receipt.ok()) return receipt.status();
    receipts.push_back(*std::move(receipt));
  }
  if (!it->status().ok()) return store::FromRocksDbStatus(it->status(), "reading receipts");
  return receipts;
}

absl::StatusOr<uint64_t> ApplyStoredReceipts(ReceiptStore* receipts, core::Log* log) {
  absl::StatusOr<std::vector<Receipt>> stored = receipts->LoadAll();
  if (!stored.ok()) return stored.status();
  uint64_t applied = 0;
  for (Receipt& receipt : *stored) {
    const TreeSize head = log->Head().tree_size;
    if (receipt.end() <= head) {  // applied before a crash took its removal
      if (absl::Status s = receipts->Remove(receipt.from); !s.ok()) return s;
      continue;
    }
    if (receipt.from < head) {
      // The log grew past the receipt's start without it (it was served without receipts
      // since): only the entries it lacks are applied, with the receipt's checkpoint.
      receipt.leaf_datas.erase(receipt.leaf_datas.begin(),
                               receipt.leaf_datas.begin() + static_cast<ptrdiff_t>(head - receipt.from));
      const SequenceNumber original_from = receipt.from;
      receipt.from = head;
      if (absl::Status s = receipts->Remove(original_from); !s.ok()) return s;
      if (absl::Status s = receipts->Put(receipt); !s.ok()) return s;
    }
    if (receipt.from != head) {
      return absl::DataLossError(absl::StrCat(
          "receipts: the stored receipt of entries [", receipt.from, ", ", receipt.end(),
          ") does not start at the log's size ", head,
          " (a damaged data directory: set it aside and let the node replicate again)"));
    }
    const uint64_t count = receipt.leaf_datas.size();
    absl::StatusOr<TreeSize> done =
        log->AppendReplicated(std::move(receipt.leaf_datas), receipt.checkpoint_note);
    if (!done.ok()) {
      return absl::Status(done.status().code(),
                          absl::StrCat("receipts: applying the stored receipt of entries [",
                                       receipt.from, ", ", receipt.from + count,
                                       "): ", done.status().message()));
    }
    LEDGER_CRASH_POINT("receipt-applied-before-remove");
    if (absl::Status s = receipts->Remove(receipt.from); !s.ok()) return s;
    applied += count;
  }
  if (applied > 0) {
    LogEvent(LogLevel::kInfo, "replication: applied the receipts stored before this start",
             {{"entries", std::to_string(applied)},
              {"tree_size", std::to_string(log->Head().tree_size)}});
  }
  return applied;
}

}  // namespace ledger::replication
