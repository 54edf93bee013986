#include "cli/log_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/key_registry.h"
#include "ledger/core/log.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/rocksdb_log_store.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

constexpr uint32_t kPageEntries = 1000;  // ListEntries' limit.

absl::StatusOr<std::vector<Hash>> HashesFrom(
    const google::protobuf::RepeatedPtrField<std::string>& hashes, absl::string_view what) {
  std::vector<Hash> out;
  for (const std::string& h : hashes) {
    if (h.size() != 32) {
      return absl::DataLossError(
          absl::StrCat(what, " holds a hash of ", h.size(), " bytes, not 32"));
    }
    out.push_back(HashFromBytes(h));
  }
  return out;
}

// Finds the key_registered event of `key_id` among entries [0, before).
absl::StatusOr<crypto::PublicKey> FindRegisteredKey(LogReader* reader, absl::string_view key_id,
                                                    SequenceNumber before) {
  std::optional<crypto::PublicKey> found;
  absl::Status scan_error;
  LEDGER_RETURN_IF_ERROR(reader->Scan(0, before, [&](const v1::Entry& e) {
    absl::StatusOr<v1::Event> event = core::ParseStoredEvent(e.signed_event().event());
    if (!event.ok() || !event->has_key_registered()) return true;
    const std::string& pk = event->key_registered().public_key();
    if (pk.size() != crypto::kEd25519PublicKeySize) return true;
    crypto::PublicKey k;
    std::copy(pk.begin(), pk.end(), k.begin());
    if (AsStringView(crypto::SignerKeyId(k)) == key_id) {
      found = k;
      return false;
    }
    return true;
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "key ", HexEncode(key_id), " is not registered by any entry before ", before,
        " (a genesis admin key?); give its public key with --public-key"));
  }
  return *found;
}

// ---- online ------------------------------------------------------------------------------

class ServerLogReader : public LogReader {
 public:
  explicit ServerLogReader(std::unique_ptr<LedgerClient> client) : client_(std::move(client)) {}

  std::string Describe() const override { return absl::StrCat("server ", client_->address()); }

  absl::StatusOr<TreeSize> Size() override {
    LEDGER_ASSIGN_OR_RETURN(v1::GetCheckpointResponse cp, client_->GetCheckpoint(0));
    return cp.tree_size();
  }

  absl::Status Scan(SequenceNumber begin, SequenceNumber end, const EntryCallback& fn) override {
    SequenceNumber next = begin;
    while (next < end) {
      const uint32_t want = static_cast<uint32_t>(std::min<uint64_t>(kPageEntries, end - next));
      LEDGER_ASSIGN_OR_RETURN(v1::ListEntriesResponse page, client_->ListEntries(next, want));
      if (page.entries_size() == 0) return absl::OkStatus();
      for (const v1::Entry& served : page.entries()) {
        if (served.sequence() >= end) return absl::OkStatus();
        LEDGER_ASSIGN_OR_RETURN(v1::Entry e, EntryFromLeafData(served.sequence(),
                                                               served.leaf_data()));
        if (!fn(e)) return absl::OkStatus();
        next = served.sequence() + 1;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::Entry> GetEntry(SequenceNumber sequence) override {
    LEDGER_ASSIGN_OR_RETURN(v1::Entry served, client_->GetEntry(sequence));
    return EntryFromLeafData(sequence, served.leaf_data());
  }

  absl::StatusOr<std::string> LatestCheckpoint() override {
    LEDGER_ASSIGN_OR_RETURN(v1::GetCheckpointResponse cp, client_->GetCheckpoint(0));
    return cp.checkpoint();
  }

  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override {
    if (tree_size == 0) return absl::InvalidArgumentError("the API serves no checkpoint of size 0");
    LEDGER_ASSIGN_OR_RETURN(v1::GetCheckpointResponse cp, client_->GetCheckpoint(tree_size));
    return cp.checkpoint();
  }

  absl::StatusOr<std::vector<Hash>> InclusionProof(SequenceNumber sequence,
                                                   TreeSize tree_size) override {
    LEDGER_ASSIGN_OR_RETURN(v1::GetInclusionProofResponse p,
                            client_->GetInclusionProof(sequence, tree_size));
    return HashesFrom(p.hashes(), "the inclusion proof");
  }

  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from, TreeSize to) override {
    if (from == 0 || from == to) return std::vector<Hash>();
    LEDGER_ASSIGN_OR_RETURN(v1::GetConsistencyProofResponse p,
                            client_->GetConsistencyProof(from, to));
    return HashesFrom(p.hashes(), "the consistency proof");
  }

  absl::StatusOr<crypto::PublicKey> SignerPublicKey(absl::string_view key_id,
                                                    SequenceNumber used_at) override {
    return FindRegisteredKey(this, key_id, used_at);
  }

 private:
  std::unique_ptr<LedgerClient> client_;
};

// ---- offline -----------------------------------------------------------------------------

class DataDirLogReader : public LogReader {
 public:
  DataDirLogReader(std::string dir, std::unique_ptr<store::RocksDbLogStore> store)
      : dir_(std::move(dir)), store_(std::move(store)) {}

  std::string Describe() const override { return absl::StrCat("data directory ", dir_); }

  absl::StatusOr<TreeSize> Size() override { return store_->Head().tree_size; }

  absl::Status Scan(SequenceNumber begin, SequenceNumber end, const EntryCallback& fn) override {
    absl::Status inner;
    absl::Status s = store_->ScanEntries(begin, end, [&](SequenceNumber seq,
                                                         absl::string_view leaf) {
      absl::StatusOr<v1::Entry> e = EntryFromLeafData(seq, std::string(leaf));
      if (!e.ok()) {
        inner = e.status();
        return false;
      }
      return fn(*e);
    });
    LEDGER_RETURN_IF_ERROR(s);
    return inner;
  }

  absl::StatusOr<v1::Entry> GetEntry(SequenceNumber sequence) override {
    const TreeSize size = store_->Head().tree_size;
    if (sequence >= size) {
      return absl::NotFoundError(
          absl::StrCat("entry ", sequence, " is not in the log: it has ", size, " entries"));
    }
    LEDGER_ASSIGN_OR_RETURN(std::string leaf, store_->GetEntry(sequence));
    return EntryFromLeafData(sequence, std::move(leaf));
  }

  absl::StatusOr<std::string> LatestCheckpoint() override {
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> cp,
                            store_->GetCheckpoint(store_->Head().tree_size));
    if (cp.has_value()) return *cp;
    std::string last;
    LEDGER_RETURN_IF_ERROR(store_->ScanCheckpoints([&](TreeSize, absl::string_view note) {
      last = std::string(note);
      return true;
    }));
    if (last.empty()) return absl::DataLossError(absl::StrCat(dir_, " holds no checkpoint"));
    return last;
  }

  absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) override {
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> cp, store_->GetCheckpoint(tree_size));
    if (!cp.has_value()) {
      return absl::NotFoundError(absl::StrCat(
          "no checkpoint is stored for tree size ", tree_size,
          " (checkpoints are signed at the end of each group commit)"));
    }
    return *cp;
  }

  absl::StatusOr<std::vector<Hash>> InclusionProof(SequenceNumber sequence,
                                                   TreeSize tree_size) override {
    LEDGER_RETURN_IF_ERROR(CheckSize(tree_size));
    if (sequence >= tree_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", sequence, " is not in the tree of size ", tree_size));
    }
    return merkle::InclusionProof(sequence, tree_size, Nodes());
  }

  absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from, TreeSize to) override {
    LEDGER_RETURN_IF_ERROR(CheckSize(to));
    if (from > to) {
      return absl::InvalidArgumentError(absl::StrCat("tree size ", from, " exceeds ", to));
    }
    return merkle::ConsistencyProof(from, to, Nodes());
  }

  absl::StatusOr<crypto::PublicKey> SignerPublicKey(absl::string_view key_id,
                                                    SequenceNumber used_at) override {
    std::optional<crypto::PublicKey> found;
    absl::Status decode_error;
    LEDGER_RETURN_IF_ERROR(store_->ScanKeys([&](absl::string_view id, absl::string_view record) {
      if (id != key_id || found.has_value()) return;
      absl::StatusOr<core::KeyRecord> r = core::DecodeKeyRecord(record);
      if (r.ok()) {
        found = r->public_key;
      } else {
        decode_error = r.status();
      }
    }));
    LEDGER_RETURN_IF_ERROR(decode_error);
    if (found.has_value()) return *found;
    absl::StatusOr<core::LogIdentity> identity = datadir::ReadIdentity(dir_);
    if (identity.ok()) {
      for (const crypto::PublicKey& k : identity->admin_keys) {
        if (AsStringView(crypto::SignerKeyId(k)) == key_id) return k;
      }
    }
    return FindRegisteredKey(this, key_id, used_at);
  }

 private:
  absl::Status CheckSize(TreeSize tree_size) const {
    const TreeSize size = store_->Head().tree_size;
    if (tree_size > size) {
      return absl::OutOfRangeError(
          absl::StrCat("tree size ", tree_size, " exceeds the log's size ", size));
    }
    return absl::OkStatus();
  }
  merkle::NodeReader Nodes() const {
    const store::RocksDbLogStore* s = store_.get();
    return [s](merkle::NodeId id) { return s->GetNode(id); };
  }

  const std::string dir_;
  const std::unique_ptr<store::RocksDbLogStore> store_;
};

}  // namespace

void AddSourceFlags(CLI::App* cmd, SourceOptions* options) {
  AddServerFlags(cmd, &options->server);
  cmd->add_option("--data-dir", options->data_dir,
                  "Read this data directory (read-only, offline) instead of a server");
}

absl::Status LogReader::ScanBackward(SequenceNumber first, const EntryCallback& fn) {
  SequenceNumber end = first + 1;  // Exclusive upper bound of the next page.
  while (end > 0) {
    const SequenceNumber begin = end > kPageEntries ? end - kPageEntries : 0;
    std::vector<v1::Entry> page;
    LEDGER_RETURN_IF_ERROR(Scan(begin, end, [&page](const v1::Entry& e) {
      page.push_back(e);
      return true;
    }));
    for (auto it = page.rbegin(); it != page.rend(); ++it) {
      if (!fn(*it)) return absl::OkStatus();
    }
    end = begin;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LogReader>> OpenLogReader(const SourceOptions& options) {
  if (!options.data_dir.empty()) {
    absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
        datadir::OpenStoreReadOnly(options.data_dir);
    if (!store.ok()) {
      const auto code = store.status().code() == absl::StatusCode::kDataLoss
                            ? absl::StatusCode::kDataLoss
                            : absl::StatusCode::kUnavailable;
      return absl::Status(code, absl::StrCat("cannot open ", options.data_dir, ": ",
                                             store.status().message()));
    }
    return std::unique_ptr<LogReader>(
        new DataDirLogReader(options.data_dir, *std::move(store)));
  }
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<LedgerClient> client,
                          LedgerClient::Connect(options.server));
  return std::unique_ptr<LogReader>(new ServerLogReader(std::move(client)));
}

absl::StatusOr<v1::Entry> EntryFromLeafData(SequenceNumber sequence, std::string leaf_data) {
  LEDGER_ASSIGN_OR_RETURN(core::LogEntry decoded,
                          core::DecodeLogEntry(sequence, std::move(leaf_data)));
  v1::Entry e;
  e.set_sequence(sequence);
  e.set_recorded_time_micros(decoded.recorded_time_micros);
  v1::SignedEvent* se = e.mutable_signed_event();
  se->set_version(1);
  se->set_event_id(decoded.event_id);
  se->set_event(decoded.event);
  se->set_key_id(decoded.key_id);
  se->set_signature(decoded.signature);
  if (decoded.batch.has_value()) {
    // A member of a signed batch: the signature is the batch's, over the batch root that the
    // membership proof leads to (docs/format.md).
    se->set_version(format::kSignedBatchVersion1);
    v1::BatchMembership* b = e.mutable_batch();
    b->set_batch_id(decoded.batch->batch_id);
    b->set_batch_size(decoded.batch->batch_size);
    b->set_index(decoded.batch->index);
    for (size_t i = 0; i + 32 <= decoded.batch->proof.size(); i += 32) {
      b->add_proof(decoded.batch->proof.substr(i, 32));
    }
  }
  e.set_leaf_data(std::move(decoded.leaf_data));
  e.set_leaf_hash(std::string(AsStringView(decoded.leaf_hash)));
  return e;
}

}  // namespace ledger::cli
