// tamper: edits a CLOSED data directory's RocksDB store directly (through ledger/store/schema.h
// and the RocksDB API), the way an attacker with disk access would, for the tamper matrix of
// tests/cli/tamper_matrix_test.sh. Each operation leaves a store that still opens; only the
// audit (`ledgerctl verify`) can tell.
//
//   tamper DIR payload N          flip one byte of entry N's event bytes
//   tamper DIR signature N        flip one byte of entry N's signature
//   tamper DIR swap N M           exchange the leaf data of entries N and M
//   tamper DIR delete N           delete entry N (N below the last entry)
//   tamper DIR foreign KEYFILE    append a validly signed entry by KEYFILE's (unregistered) key,
//                                 with Merkle nodes, indexes, head and a checkpoint signed by
//                                 the log key, as if the server had appended it
//   tamper DIR truncate K         remove the last K entries and rewrite indexes, key and claim
//                                 records, nodes, checkpoints and head consistently
//   tamper DIR forge-checkpoint S flip one byte of the signature of the checkpoint of size S
//   tamper DIR resign             re-sign every checkpoint with a new log key and install it
//                                 (identity file and log.key)
//
// Exit 0 on success, 1 on bad usage or any error (printed). testonly.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/claim_rules.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/key_registry.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/crypto/sha256.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace ledger::tamper {
namespace {

namespace schema = store::schema;
using CF = schema::ColumnFamily;

// The store of one data directory, opened for raw edits collected in one WriteBatch.
class Editor {
 public:
  static absl::StatusOr<std::unique_ptr<Editor>> Open(const std::string& dir) {
    LEDGER_ASSIGN_OR_RETURN(auto s, store::RocksDbLogStore::Open(datadir::LogDir(dir),
                                                                 store::RocksDbLogStoreOptions()));
    return std::unique_ptr<Editor>(new Editor(dir, std::move(s)));
  }

  store::RocksDbLogStore& store() { return *store_; }
  const std::string& dir() const { return dir_; }

  void Put(CF cf, absl::string_view key, absl::string_view value) {
    batch_.Put(store_->column_family(cf), rocksdb::Slice(key.data(), key.size()),
               rocksdb::Slice(value.data(), value.size()));
  }
  void Delete(CF cf, absl::string_view key) {
    batch_.Delete(store_->column_family(cf), rocksdb::Slice(key.data(), key.size()));
  }
  // Calls fn(key, value) for every record of `cf`.
  absl::Status ForEach(CF cf, const std::function<void(absl::string_view, absl::string_view)>& fn) {
    std::unique_ptr<rocksdb::Iterator> it(
        store_->raw_db()->NewIterator(rocksdb::ReadOptions(), store_->column_family(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      fn(absl::string_view(it->key().data(), it->key().size()),
         absl::string_view(it->value().data(), it->value().size()));
    }
    return store::FromRocksDbStatus(it->status(), "iterate");
  }
  absl::Status Commit() {
    rocksdb::WriteOptions options;
    options.sync = true;
    return store::FromRocksDbStatus(store_->raw_db()->Write(options, &batch_), "write");
  }
  merkle::NodeReader Nodes() const {
    const store::RocksDbLogStore* s = store_.get();
    return [s](merkle::NodeId id) { return s->GetNode(id); };
  }

 private:
  Editor(std::string dir, std::unique_ptr<store::RocksDbLogStore> s)
      : dir_(std::move(dir)), store_(std::move(s)) {}
  const std::string dir_;
  std::unique_ptr<store::RocksDbLogStore> store_;
  rocksdb::WriteBatch batch_;
};

absl::StatusOr<uint64_t> Number(const std::string& text) {
  uint64_t n;
  if (!absl::SimpleAtoi(text, &n)) return absl::InvalidArgumentError("not a number: " + text);
  return n;
}

absl::Status FlipEntryByte(Editor* e, uint64_t seq, bool in_signature) {
  LEDGER_ASSIGN_OR_RETURN(std::string leaf, e->store().GetEntry(seq));
  size_t at = leaf.size() - 1;  // The last byte of the event.
  if (in_signature) {
    LEDGER_ASSIGN_OR_RETURN(format::EntryView view, format::DecodeLeafData(leaf));
    at = static_cast<size_t>(view.signature.data() - leaf.data()) + 10;
  }
  leaf[at] ^= 0x01;
  e->Put(CF::kEntries, schema::EntryKey(seq), leaf);
  return absl::OkStatus();
}

absl::Status Swap(Editor* e, uint64_t a, uint64_t b) {
  LEDGER_ASSIGN_OR_RETURN(std::string leaf_a, e->store().GetEntry(a));
  LEDGER_ASSIGN_OR_RETURN(std::string leaf_b, e->store().GetEntry(b));
  e->Put(CF::kEntries, schema::EntryKey(a), leaf_b);
  e->Put(CF::kEntries, schema::EntryKey(b), leaf_a);
  return absl::OkStatus();
}

absl::Status DeleteEntry(Editor* e, uint64_t seq) {
  if (seq + 1 >= e->store().Head().tree_size) {
    return absl::InvalidArgumentError("delete: pick an entry below the last one");
  }
  e->Delete(CF::kEntries, schema::EntryKey(seq));
  return absl::OkStatus();
}

absl::Status AppendForeign(Editor* e, const std::string& key_file) {
  LEDGER_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, crypto::ReadPrivateKeyFile(key_file));
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity identity, datadir::ReadIdentity(e->dir()));
  LEDGER_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey log_key,
                          crypto::ReadPrivateKeyFile(datadir::LogKeyFile(e->dir())));
  const store::LogHead head = e->store().Head();
  ledger::v1::Event event;
  ledger::v1::Claim* c = event.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name("Mallory");
  c->mutable_statement()->set_text("This claim was never submitted to the log.");
  c->mutable_source()->set_url("https://example.org/forged");
  const ledger::v1::SignedEvent se =
      client::SignEvent(identity.origin, "foreign-claim", event, key);
  const int64_t recorded = head.last_recorded_time_micros + 1;
  const std::string leaf =
      format::EncodeLeafData(recorded, se.event_id(), se.key_id(), se.signature(), se.event());
  const Hash leaf_hash = merkle::HashLeaf(leaf);
  LEDGER_ASSIGN_OR_RETURN(merkle::Frontier frontier,
                          merkle::Frontier::Load(head.tree_size, e->Nodes()));
  std::vector<std::pair<merkle::NodeId, Hash>> nodes;
  frontier.Append(leaf_hash, &nodes);
  const uint64_t seq = head.tree_size;
  e->Put(CF::kEntries, schema::EntryKey(seq), leaf);
  for (const auto& [id, hash] : nodes) e->Put(CF::kNodes, schema::NodeKey(id), schema::EncodeNodeValue(hash));
  e->Put(CF::kLeafIndex, schema::LeafIndexKey(leaf_hash), schema::EncodeLeafIndexValue(seq));
  e->Put(CF::kEventIds, schema::EventIdKey(se.event_id()),
         schema::EncodeEventIdValue(store::EventIdRecord{seq, crypto::Sha256(se.event())}));
  core::ClaimRecord claim;
  claim.submitter_key_id = se.key_id();
  claim.asserted_sequence = seq;
  e->Put(CF::kClaims, schema::ClaimRecordKey(se.event_id()), core::EncodeClaimRecord(claim));
  const store::LogHead new_head{seq + 1, frontier.Root(), recorded};
  e->Put(CF::kCheckpoints, schema::CheckpointKey(seq + 1),
         format::SignCheckpoint(format::Checkpoint{identity.origin, seq + 1, frontier.Root()},
                                log_key));
  e->Put(CF::kMeta, schema::kMetaHeadKey, schema::EncodeHead(new_head));
  return absl::OkStatus();
}

absl::Status Truncate(Editor* e, uint64_t k) {
  const store::LogHead head = e->store().Head();
  if (k == 0 || k > head.tree_size) return absl::InvalidArgumentError("truncate: bad count");
  const uint64_t size = head.tree_size - k;
  LEDGER_ASSIGN_OR_RETURN(core::LogIdentity identity, datadir::ReadIdentity(e->dir()));
  LEDGER_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey log_key,
                          crypto::ReadPrivateKeyFile(datadir::LogKeyFile(e->dir())));
  // The removed entries and what indexes them.
  for (uint64_t seq = size; seq < head.tree_size; ++seq) {
    LEDGER_ASSIGN_OR_RETURN(std::string leaf, e->store().GetEntry(seq));
    LEDGER_ASSIGN_OR_RETURN(format::EntryView view, format::DecodeLeafData(leaf));
    e->Delete(CF::kEntries, schema::EntryKey(seq));
    e->Delete(CF::kLeafIndex, schema::LeafIndexKey(merkle::HashLeaf(leaf)));
    e->Delete(CF::kEventIds, schema::EventIdKey(view.event_id));
  }
  // Merkle nodes covering a removed leaf.
  std::vector<std::string> doomed;
  LEDGER_RETURN_IF_ERROR(e->ForEach(CF::kNodes, [&](absl::string_view key, absl::string_view) {
    absl::StatusOr<merkle::NodeId> id = schema::DecodeNodeKey(key);
    if (id.ok() && id->end() > size) doomed.emplace_back(key);
  }));
  for (const std::string& key : doomed) e->Delete(CF::kNodes, key);
  // Key and claim records as they were before the removed entries.
  std::vector<std::pair<std::string, std::optional<std::string>>> rewrites;
  LEDGER_RETURN_IF_ERROR(e->ForEach(CF::kKeys, [&](absl::string_view id, absl::string_view value) {
    absl::StatusOr<core::KeyRecord> r = core::DecodeKeyRecord(value);
    if (!r.ok()) return;
    if (r->registered_sequence != core::KeyRecord::kGenesis && r->registered_sequence >= size) {
      rewrites.emplace_back(std::string(id), std::nullopt);
    } else if (r->revoked && r->revoked_sequence >= size) {
      r->revoked = false;
      r->revoked_sequence = 0;
      rewrites.emplace_back(std::string(id), core::EncodeKeyRecord(*r));
    }
  }));
  for (const auto& [id, value] : rewrites) {
    if (value.has_value()) {
      e->Put(CF::kKeys, id, *value);
    } else {
      e->Delete(CF::kKeys, id);
    }
  }
  rewrites.clear();
  LEDGER_RETURN_IF_ERROR(e->ForEach(CF::kClaims, [&](absl::string_view id, absl::string_view value) {
    absl::StatusOr<core::ClaimRecord> r = core::DecodeClaimRecord(value);
    if (!r.ok()) return;
    if (r->asserted_sequence >= size) {
      rewrites.emplace_back(std::string(id), std::nullopt);
    } else if (r->retracted && r->retracted_sequence >= size) {
      r->retracted = false;
      r->retracted_sequence = 0;
      rewrites.emplace_back(std::string(id), core::EncodeClaimRecord(*r));
    }
  }));
  for (const auto& [id, value] : rewrites) {
    if (value.has_value()) {
      e->Put(CF::kClaims, id, *value);
    } else {
      e->Delete(CF::kClaims, id);
    }
  }
  // Checkpoints beyond the new size; one at the new size, signed with the log key if none.
  bool have_checkpoint = false;
  LEDGER_RETURN_IF_ERROR(e->store().ScanCheckpoints([&](TreeSize s, absl::string_view) {
    if (s > size) e->Delete(CF::kCheckpoints, schema::CheckpointKey(s));
    if (s == size) have_checkpoint = true;
    return true;
  }));
  LEDGER_ASSIGN_OR_RETURN(Hash root, merkle::RootAt(size, e->Nodes()));
  if (!have_checkpoint) {
    e->Put(CF::kCheckpoints, schema::CheckpointKey(size),
           format::SignCheckpoint(format::Checkpoint{identity.origin, size, root}, log_key));
  }
  int64_t last_time = 0;
  if (size > 0) {
    LEDGER_ASSIGN_OR_RETURN(std::string leaf, e->store().GetEntry(size - 1));
    LEDGER_ASSIGN_OR_RETURN(format::EntryView view, format::DecodeLeafData(leaf));
    last_time = view.recorded_time_micros;
  }
  e->Put(CF::kMeta, schema::kMetaHeadKey, schema::EncodeHead(store::LogHead{size, root, last_time}));
  return absl::OkStatus();
}

absl::Status ForgeCheckpoint(Editor* e, uint64_t size) {
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> note, e->store().GetCheckpoint(size));
  if (!note.has_value()) return absl::NotFoundError(absl::StrCat("no checkpoint of size ", size));
  // The last line is "— <name> <base64(key hash || signature)>".
  std::string text = *note;
  const size_t b64_start = text.rfind(' ') + 1;
  std::string blob;
  if (!absl::Base64Unescape(text.substr(b64_start, text.size() - 1 - b64_start), &blob) ||
      blob.size() != 68) {
    return absl::DataLossError("unexpected checkpoint signature line");
  }
  blob[4 + 20] ^= 0x01;  // A signature byte, after the 4-byte key hash.
  text = absl::StrCat(text.substr(0, b64_start), absl::Base64Escape(blob), "\n");
  e->Put(CF::kCheckpoints, schema::CheckpointKey(size), text);
  return absl::OkStatus();
}

absl::Status Resign(Editor* e) {
  const crypto::Ed25519PrivateKey new_key = crypto::Ed25519PrivateKey::Generate();
  absl::Status error;
  LEDGER_RETURN_IF_ERROR(e->store().ScanCheckpoints([&](TreeSize size, absl::string_view note) {
    absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
    if (!cp.ok()) {
      error = cp.status();
      return false;
    }
    e->Put(CF::kCheckpoints, schema::CheckpointKey(size), format::SignCheckpoint(*cp, new_key));
    return true;
  }));
  LEDGER_RETURN_IF_ERROR(error);
  // The identity file's log-key line, and the private key beside it.
  const std::string path = datadir::IdentityFile(e->dir());
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string identity;
  for (absl::string_view line : absl::StrSplit(buffer.str(), '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "log-key ")) {
      absl::StrAppend(&identity, "log-key ", HexEncode(crypto::AsStringView(new_key.public_key())),
                      "\n");
    } else {
      absl::StrAppend(&identity, line, "\n");
    }
  }
  std::ofstream(path, std::ios::trunc) << identity;
  ::unlink(datadir::LogKeyFile(e->dir()).c_str());
  return crypto::WritePrivateKeyFile(datadir::LogKeyFile(e->dir()), new_key);
}

absl::Status Run(const std::vector<std::string>& args) {
  if (args.size() < 2) return absl::InvalidArgumentError("usage: tamper DIR OPERATION ARGS");
  LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<Editor> e, Editor::Open(args[0]));
  const std::string& op = args[1];
  auto arg = [&](size_t i) -> absl::StatusOr<uint64_t> {
    if (args.size() <= i) return absl::InvalidArgumentError(op + ": missing argument");
    return Number(args[i]);
  };
  if (op == "payload" || op == "signature") {
    LEDGER_ASSIGN_OR_RETURN(uint64_t n, arg(2));
    LEDGER_RETURN_IF_ERROR(FlipEntryByte(e.get(), n, op == "signature"));
  } else if (op == "swap") {
    LEDGER_ASSIGN_OR_RETURN(uint64_t a, arg(2));
    LEDGER_ASSIGN_OR_RETURN(uint64_t b, arg(3));
    LEDGER_RETURN_IF_ERROR(Swap(e.get(), a, b));
  } else if (op == "delete") {
    LEDGER_ASSIGN_OR_RETURN(uint64_t n, arg(2));
    LEDGER_RETURN_IF_ERROR(DeleteEntry(e.get(), n));
  } else if (op == "foreign") {
    if (args.size() < 3) return absl::InvalidArgumentError("foreign: missing KEYFILE");
    LEDGER_RETURN_IF_ERROR(AppendForeign(e.get(), args[2]));
  } else if (op == "truncate") {
    LEDGER_ASSIGN_OR_RETURN(uint64_t k, arg(2));
    LEDGER_RETURN_IF_ERROR(Truncate(e.get(), k));
  } else if (op == "forge-checkpoint") {
    LEDGER_ASSIGN_OR_RETURN(uint64_t s, arg(2));
    LEDGER_RETURN_IF_ERROR(ForgeCheckpoint(e.get(), s));
  } else if (op == "resign") {
    LEDGER_RETURN_IF_ERROR(Resign(e.get()));
  } else {
    return absl::InvalidArgumentError("unknown operation " + op);
  }
  return e->Commit();
}

}  // namespace
}  // namespace ledger::tamper

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::Status s = ledger::tamper::Run(args);
  if (!s.ok()) {
    std::cerr << "tamper: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
