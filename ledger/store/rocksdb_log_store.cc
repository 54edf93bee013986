#include "ledger/store/rocksdb_log_store.h"

#include <thread>
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/commit_validation.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/sst_file_reader.h"  // VerifySstFile

namespace ledger::store {
namespace {

using schema::ColumnFamily;

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToStringView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// The RocksDB options of every store. Chosen for durability over speed (docs/reliability.md,
// "The guards"):
rocksdb::DBOptions MakeDbOptions(rocksdb::Env* env, bool create,
                                 bool tolerate_damaged_wal_tail) {
  rocksdb::DBOptions db_options;
  db_options.env = env;
  db_options.create_if_missing = create;
  db_options.create_missing_column_families = create;
  // Fail on any inconsistency RocksDB notices (e.g. SST file sizes against the MANIFEST) and put
  // the DB in an error state after a failed background write instead of carrying on.
  db_options.paranoid_checks = true;
  // Measured on this machine: with the default kPointInTimeRecovery (and with
  // kTolerateCorruptedTailRecords) a WAL cut in half opens with half of the acknowledged
  // records gone and no error. kAbsoluteConsistency refuses to open instead; the operator then
  // restores, and never serves a silently shortened log.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  // ... unless the caller checks the result itself (see RocksDbLogStoreOptions).
  if (tolerate_damaged_wal_tail) {
    db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  }
  // Record closed WALs in the MANIFEST, so that a missing or truncated old WAL is reported at
  // open instead of being skipped. (The live WAL is not tracked; kAbsoluteConsistency covers it.)
  db_options.track_and_verify_wals_in_manifest = true;
  return db_options;
}

// The options of one column family. event_ids: every new event is looked up there (its id is
// usually absent), twice at most per append, so Bloom filters over whole keys, in the SST files
// and in the memtable, answer most of those lookups without searching. Every column family:
// the memtable remembers where its last insert went (for nodes: one place per level, the key's
// first byte) and starts the next insert's search there, walking up only as far as needed,
// instead of from the top of its skip list. Keys that grow with every commit (entries,
// checkpoints, nodes within a level) and the records of one commit given in key order
// (BuildWriteBatch) then cost a few comparisons each instead of a search of the whole memtable.
// Neither changes a key or a value: stores written with or without them open either way.
rocksdb::ColumnFamilyOptions MakeCfOptions(ColumnFamily cf) {
  rocksdb::ColumnFamilyOptions options;
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(cf == ColumnFamily::kNodes ? 1 : 0));
  if (cf == ColumnFamily::kEventIds) {
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  return options;
}

std::unique_ptr<rocksdb::Iterator> NewIterator(rocksdb::DB* db, const rocksdb::ReadOptions& ro,
                                               rocksdb::ColumnFamilyHandle* cf) {
  return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbLogStore>> RocksDbLogStore::Open(
    const std::string& path, const RocksDbLogStoreOptions& options) {
  rocksdb::Env* env = options.env != nullptr ? options.env : rocksdb::Env::Default();
  const bool create = options.create_if_missing && !options.read_only;

  // RocksDB reports a missing database as InvalidArgument; callers want NotFound.
  const rocksdb::Status exists = env->FileExists(path + "/CURRENT");
  if (exists.IsNotFound()) {
    if (!create) {
      return absl::NotFoundError(absl::StrCat("no store at ", path, " (",
                                              options.read_only ? "read-only open"
                                                                : "create_if_missing is false",
                                              ")"));
    }
  } else if (!exists.ok()) {
    return FromRocksDbStatus(exists, absl::StrCat("looking for a store at ", path));
  }

  const rocksdb::DBOptions db_options =
      MakeDbOptions(env, create, options.tolerate_damaged_wal_tail);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (ColumnFamily cf : schema::kAllColumnFamilies) {
    descriptors.emplace_back(std::string(schema::ColumnFamilyName(cf)), MakeCfOptions(cf));
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &db)
          : rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  if (!s.ok()) return FromRocksDbStatus(s, absl::StrCat("opening store at ", path));

  std::unique_ptr<RocksDbLogStore> store(
      new RocksDbLogStore(db, std::move(handles), options.read_only));
  LEDGER_RETURN_IF_ERROR(store->Initialize(path, create));
  return store;
}

RocksDbLogStore::RocksDbLogStore(rocksdb::DB* db,
                                 std::vector<rocksdb::ColumnFamilyHandle*> handles,
                                 bool read_only)
    : db_(db), handles_(std::move(handles)), read_only_(read_only) {}

RocksDbLogStore::~RocksDbLogStore() {
  {
    // Releases the last snapshot (no reader may hold a copy: no call is in flight).
    absl::MutexLock lock(&state_mu_);
    state_.reset();
  }
  // A destructor cannot return an error, and nothing acknowledged depends on these: every
  // commit was synced when it returned. Report, do not hide.
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    const rocksdb::Status s = db_->DestroyColumnFamilyHandle(handle);
    if (!s.ok()) std::fprintf(stderr, "RocksDbLogStore: %s\n", s.ToString().c_str());
  }
  const rocksdb::Status s = db_->Close();
  if (!s.ok()) std::fprintf(stderr, "RocksDbLogStore: closing: %s\n", s.ToString().c_str());
  delete db_;
}

absl::Status RocksDbLogStore::Initialize(const std::string& path, bool create_if_missing) {
  const ReadState latest;  // No snapshot: nothing writes during Initialize.
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> format,
                          Get(latest, ColumnFamily::kMeta, schema::kMetaFormatKey));
  if (!format.has_value()) {
    // A new store, or one whose creation crashed before its first batch: both are empty.
    LEDGER_ASSIGN_OR_RETURN(bool empty, IsEmpty());
    if (!create_if_missing || !empty) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store at ", path, " has no format marker (meta/", schema::kMetaFormatKey,
          "): not a factledger store", empty ? "" : ", and it holds data"));
    }
    LEDGER_RETURN_IF_ERROR(InitializeNewStore(path));
  } else if (*format != schema::kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("store at ", path, " has format \"", absl::CHexEscape(*format),
                     "\", want \"", schema::kFormatVersion, "\""));
  }

  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> head_bytes,
                          Get(latest, ColumnFamily::kMeta, schema::kMetaHeadKey));
  if (!head_bytes.has_value()) {
    return absl::DataLossError(
        absl::StrCat("store at ", path, " has a format marker but no head (meta/",
                     schema::kMetaHeadKey, ")"));
  }
  LEDGER_ASSIGN_OR_RETURN(LogHead head, schema::DecodeHead(*head_bytes));
  LEDGER_RETURN_IF_ERROR(CheckEntriesMatchHead(head));

  auto state = std::make_shared<ReadState>();
  state->head = head;
  if (!read_only_) state->snapshot = TakeSnapshot();
  absl::MutexLock lock(&state_mu_);
  state_ = std::move(state);
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::InitializeNewStore(const std::string& path) {
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.Put(column_family(ColumnFamily::kMeta),
                                ToSlice(schema::kMetaFormatKey), ToSlice(schema::kFormatVersion));
  if (s.ok()) {
    s = batch.Put(column_family(ColumnFamily::kMeta), ToSlice(schema::kMetaHeadKey),
                  schema::EncodeHead(EmptyLogHead()));
  }
  if (s.ok()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    s = db_->Write(write_options, &batch);
  }
  return FromRocksDbStatus(s, absl::StrCat("creating store at ", path));
}

absl::StatusOr<bool> RocksDbLogStore::IsEmpty() const {
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    std::unique_ptr<rocksdb::Iterator> it = NewIterator(db_, rocksdb::ReadOptions(), handle);
    it->SeekToFirst();
    if (it->Valid()) return false;
    LEDGER_RETURN_IF_ERROR(
        FromRocksDbStatus(it->status(), absl::StrCat("reading ", handle->GetName())));
  }
  return true;
}

absl::Status RocksDbLogStore::CheckEntriesMatchHead(const LogHead& head) const {
  std::unique_ptr<rocksdb::Iterator> it =
      NewIterator(db_, rocksdb::ReadOptions(), column_family(ColumnFamily::kEntries));
  it->SeekToLast();
  if (!it->Valid()) {
    LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "reading the last entry"));
    if (head.tree_size == 0) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("head has tree size ", head.tree_size,
                                            " but column family 'entries' is empty"));
  }
  LEDGER_ASSIGN_OR_RETURN(SequenceNumber last, schema::DecodeEntryKey(ToStringView(it->key())));
  if (head.tree_size == 0 || last != head.tree_size - 1) {
    return absl::DataLossError(absl::StrCat(
        "head has tree size ", head.tree_size, " but the last key in column family 'entries' is ",
        last, head.tree_size == 0 ? "" : absl::StrCat(", want ", head.tree_size - 1)));
  }
  return absl::OkStatus();
}

std::shared_ptr<const RocksDbLogStore::ReadState> RocksDbLogStore::CurrentState() const {
  absl::ReaderMutexLock lock(&state_mu_);
  return state_;
}

std::shared_ptr<const rocksdb::Snapshot> RocksDbLogStore::TakeSnapshot() {
  rocksdb::DB* db = db_;
  return std::shared_ptr<const rocksdb::Snapshot>(db->GetSnapshot(),
                                                  [db](const rocksdb::Snapshot* snapshot) {
                                                    if (snapshot != nullptr) {
                                                      db->ReleaseSnapshot(snapshot);
                                                    }
                                                  });
}

rocksdb::ReadOptions RocksDbLogStore::ReadOptionsFor(const ReadState& state) const {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = state.snapshot.get();
  read_options.verify_checksums = true;  // The default; stated because it matters.
  return read_options;
}

absl::StatusOr<std::optional<std::string>> RocksDbLogStore::Get(const ReadState& state,
                                                                ColumnFamily cf,
                                                                absl::string_view key) const {
  std::string value;
  const rocksdb::Status s = db_->Get(ReadOptionsFor(state), column_family(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(
      s, absl::StrCat("reading column family '", schema::ColumnFamilyName(cf), "'")));
  return value;
}

LogHead RocksDbLogStore::Head() const { return CurrentState()->head; }

namespace {

// Roughly the size of the WriteBatch that BuildWriteBatch makes of `batch` (keys, values and
// RocksDB's per-record framing), to reserve.
size_t EstimatedWriteBatchBytes(const CommitBatch& batch) {
  constexpr size_t kRecord = 16;   // tag, column family id, two length varints
  constexpr size_t kKey = 48;      // the longest fixed-size key or value of a small record
  size_t bytes = 64;               // header, meta head record
  for (const std::string& entry : batch.entries) bytes += kRecord + 16 + entry.size();
  bytes += batch.nodes.size() * (kRecord + kKey);
  bytes += batch.leaf_index.size() * (kRecord + kKey);
  for (const auto& [id, record] : batch.event_ids) bytes += kRecord + kKey + id.size();
  for (const auto& [id, record] : batch.keys) bytes += kRecord + 16 + id.size() + record.size();
  for (const auto& [id, record] : batch.claims) bytes += kRecord + 16 + id.size() + record.size();
  if (batch.checkpoint.has_value()) bytes += kRecord + 16 + batch.checkpoint->size();
  return bytes;
}

}  // namespace

absl::Status RocksDbLogStore::Commit(const CommitBatch& batch) {
  absl::MutexLock lock(&commit_mu_);
  if (read_only_) return absl::FailedPreconditionError("store is open read-only");
  if (!failed_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("store failed earlier: ", failed_.ToString(), "; restart to recover"));
  }
  const std::shared_ptr<const ReadState> state = CurrentState();
  LEDGER_RETURN_IF_ERROR(ValidateCommitBatch(batch, state->head));

  // One buffer for every commit, reserved up front to the largest batch seen: a new WriteBatch
  // per group commit grew (and the kernel zeroed) fresh pages each time, and a follower's chunk
  // of thousands of entries would otherwise grow by doubling (copying megabytes each time).
  const size_t estimate = EstimatedWriteBatchBytes(batch);
  if (estimate > write_batch_reserved_) {
    write_batch_ = rocksdb::WriteBatch(estimate);
    write_batch_reserved_ = estimate;
  } else {
    write_batch_.Clear();
  }
  LEDGER_RETURN_IF_ERROR(BuildWriteBatch(batch, &write_batch_));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // Durable when Commit returns OK.
  const rocksdb::Status s = db_->Write(write_options, &write_batch_);
  if (!s.ok()) {
    // The batch may or may not be on disk now; only a reopen can tell. Stop writing.
    failed_ = FromRocksDbStatus(
        s, absl::StrCat("committing tree size ", state->head.tree_size, " -> ",
                        batch.new_head.tree_size));
    return failed_;
  }

  auto next = std::make_shared<ReadState>();
  next->head = batch.new_head;
  next->snapshot = TakeSnapshot();
  absl::MutexLock state_lock(&state_mu_);
  state_ = std::move(next);
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::BuildWriteBatch(const CommitBatch& batch,
                                              rocksdb::WriteBatch* write_batch) const {
  rocksdb::Status s;
  auto put = [&](ColumnFamily cf, const std::string& key, absl::string_view value) {
    if (s.ok()) s = write_batch->Put(column_family(cf), key, ToSlice(value));
  };
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    put(ColumnFamily::kEntries, schema::EntryKey(batch.expected_tree_size + i), batch.entries[i]);
  }
  for (const auto& [id, hash] : batch.nodes) {
    put(ColumnFamily::kNodes, schema::NodeKey(id), schema::EncodeNodeValue(hash));
  }
  // The column families keyed by hashes and ids get their records in key order (a stable
  // sort: a later record for the same key still replaces the earlier one), so that each insert
  // into the memtable starts from where the previous one went (MakeCfOptions) instead of from
  // the top of the skip list.
  std::vector<std::pair<std::string, std::string>> sorted;
  auto put_sorted = [&](ColumnFamily cf) {
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, value] : sorted) put(cf, key, value);
    sorted.clear();
  };
  for (const auto& [leaf_hash, sequence] : batch.leaf_index) {
    sorted.emplace_back(schema::LeafIndexKey(leaf_hash), schema::EncodeLeafIndexValue(sequence));
  }
  put_sorted(ColumnFamily::kLeafIndex);
  for (const auto& [event_id, record] : batch.event_ids) {
    sorted.emplace_back(schema::EventIdKey(event_id), schema::EncodeEventIdValue(record));
  }
  put_sorted(ColumnFamily::kEventIds);
  for (const auto& [key_id, record] : batch.keys) {
    put(ColumnFamily::kKeys, schema::KeyRecordKey(key_id), record);
  }
  for (const auto& [claim_id, record] : batch.claims) {
    sorted.emplace_back(schema::ClaimRecordKey(claim_id), record);
  }
  put_sorted(ColumnFamily::kClaims);
  if (batch.checkpoint.has_value()) {
    put(ColumnFamily::kCheckpoints, schema::CheckpointKey(batch.new_head.tree_size),
        *batch.checkpoint);
  }
  put(ColumnFamily::kMeta, std::string(schema::kMetaHeadKey), schema::EncodeHead(batch.new_head));
  // Nothing has touched the disk yet, so a failure here (a key or value over RocksDB's size
  // limits) does not trigger fail-stop.
  return FromRocksDbStatus(s, "building the commit batch");
}

absl::StatusOr<std::string> RocksDbLogStore::GetEntry(SequenceNumber sequence) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  if (sequence >= state->head.tree_size) {
    return absl::NotFoundError(absl::StrCat("entry ", sequence, " not found: the log has tree size ",
                                            state->head.tree_size));
  }
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(*state, ColumnFamily::kEntries, schema::EntryKey(sequence)));
  if (!value.has_value()) {
    return absl::DataLossError(absl::StrCat("column family 'entries': entry ", sequence,
                                            " is missing below tree size ",
                                            state->head.tree_size));
  }
  return *std::move(value);
}

absl::Status RocksDbLogStore::ScanEntries(
    SequenceNumber begin, SequenceNumber end,
    const std::function<bool(SequenceNumber, absl::string_view)>& fn) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  const SequenceNumber limit = std::min(end, state->head.tree_size);
  if (begin >= limit) return absl::OkStatus();

  const std::string upper_bound = schema::EntryKey(limit);
  const rocksdb::Slice upper_bound_slice(upper_bound);  // Must outlive the iterator.
  rocksdb::ReadOptions read_options = ReadOptionsFor(*state);
  read_options.iterate_upper_bound = &upper_bound_slice;
  // A scan reads each block once: do not push the blocks point lookups use out of the cache.
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it =
      NewIterator(db_, read_options, column_family(ColumnFamily::kEntries));

  SequenceNumber want = begin;
  for (it->Seek(schema::EntryKey(begin)); it->Valid(); it->Next()) {
    LEDGER_ASSIGN_OR_RETURN(SequenceNumber sequence,
                            schema::DecodeEntryKey(ToStringView(it->key())));
    if (sequence != want) break;  // A hole; reported below.
    if (!fn(sequence, ToStringView(it->value()))) return absl::OkStatus();
    ++want;
  }
  LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "scanning entries"));
  if (want != limit) {
    return absl::DataLossError(absl::StrCat("column family 'entries': entry ", want,
                                            " is missing below tree size ",
                                            state->head.tree_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> RocksDbLogStore::GetNode(merkle::NodeId id) const {
  auto not_found = [&] {
    return absl::NotFoundError(
        absl::StrCat("node level ", id.level, " index ", id.index, " not found"));
  };
  if (id.level > schema::kMaxNodeLevel) return not_found();
  const std::shared_ptr<const ReadState> state = CurrentState();
  const std::string key = schema::NodeKey(id);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(*state, ColumnFamily::kNodes, key));
  if (!value.has_value()) return not_found();
  return schema::DecodeNodeValue(key, *value);
}

absl::Status RocksDbLogStore::GetNodes(const std::vector<merkle::NodeId>& ids,
                                       std::vector<Hash>* out) const {
  out->clear();
  if (ids.empty()) return absl::OkStatus();
  for (const merkle::NodeId& id : ids) {
    if (id.level > schema::kMaxNodeLevel) {
      return absl::NotFoundError(
          absl::StrCat("node level ", id.level, " index ", id.index, " not found"));
    }
  }
  const std::shared_ptr<const ReadState> state = CurrentState();
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const merkle::NodeId& id : ids) keys.push_back(schema::NodeKey(id));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  const bool sorted = std::is_sorted(ids.begin(), ids.end());
  db_->MultiGet(ReadOptionsFor(*state), column_family(ColumnFamily::kNodes), ids.size(),
                slices.data(), values.data(), statuses.data(), sorted);
  out->reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return absl::NotFoundError(
          absl::StrCat("node level ", ids[i].level, " index ", ids[i].index, " not found"));
    }
    LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(statuses[i], "reading column family 'nodes'"));
    LEDGER_ASSIGN_OR_RETURN(Hash hash, schema::DecodeNodeValue(keys[i], ToStringView(values[i])));
    out->push_back(hash);
  }
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::ScanNodes(
    uint32_t level, uint64_t begin, uint64_t end,
    const std::function<bool(uint64_t, const Hash&)>& fn) const {
  if (level > schema::kMaxNodeLevel || begin >= end) return absl::OkStatus();
  const std::shared_ptr<const ReadState> state = CurrentState();
  const std::string upper_bound = schema::NodeKey({level, end});
  const rocksdb::Slice upper_bound_slice(upper_bound);  // Must outlive the iterator.
  rocksdb::ReadOptions read_options = ReadOptionsFor(*state);
  read_options.iterate_upper_bound = &upper_bound_slice;
  // A bulk scan: do not push the blocks other readers use out of the block cache.
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it =
      NewIterator(db_, read_options, column_family(ColumnFamily::kNodes));
  for (it->Seek(schema::NodeKey({level, begin})); it->Valid(); it->Next()) {
    const absl::string_view key = ToStringView(it->key());
    LEDGER_ASSIGN_OR_RETURN(merkle::NodeId id, schema::DecodeNodeKey(key));
    if (id.level != level) break;
    LEDGER_ASSIGN_OR_RETURN(Hash hash, schema::DecodeNodeValue(key, ToStringView(it->value())));
    if (!fn(id.index, hash)) return absl::OkStatus();
  }
  return FromRocksDbStatus(it->status(), "scanning nodes");
}

absl::StatusOr<std::optional<EventIdRecord>> RocksDbLogStore::GetEventId(
    absl::string_view event_id) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  const std::string key = schema::EventIdKey(event_id);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(*state, ColumnFamily::kEventIds, key));
  if (!value.has_value()) return std::nullopt;
  LEDGER_ASSIGN_OR_RETURN(EventIdRecord record, schema::DecodeEventIdValue(key, *value));
  return record;
}

absl::Status RocksDbLogStore::MultiGet(const ReadState& state, ColumnFamily cf,
                                       const std::vector<std::string>& keys,
                                       std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  if (keys.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> found(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(ReadOptionsFor(state), column_family(cf), keys.size(), slices.data(),
                found.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(
        statuses[i], absl::StrCat("reading column family '", schema::ColumnFamilyName(cf), "'")));
    (*values)[i] = found[i].ToString();
  }
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::GetEventIds(const std::vector<absl::string_view>& event_ids,
                                          std::vector<std::optional<EventIdRecord>>* out) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  std::vector<std::string> keys;
  keys.reserve(event_ids.size());
  for (absl::string_view id : event_ids) keys.push_back(schema::EventIdKey(id));
  std::vector<std::optional<std::string>> values;
  LEDGER_RETURN_IF_ERROR(MultiGet(*state, ColumnFamily::kEventIds, keys, &values));
  out->assign(keys.size(), std::nullopt);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!values[i].has_value()) continue;
    LEDGER_ASSIGN_OR_RETURN(EventIdRecord record, schema::DecodeEventIdValue(keys[i], *values[i]));
    (*out)[i] = record;
  }
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::GetLeafIndexes(
    const std::vector<Hash>& leaf_hashes, std::vector<std::optional<SequenceNumber>>* out) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  std::vector<std::string> keys;
  keys.reserve(leaf_hashes.size());
  for (const Hash& h : leaf_hashes) keys.push_back(schema::LeafIndexKey(h));
  std::vector<std::optional<std::string>> values;
  LEDGER_RETURN_IF_ERROR(MultiGet(*state, ColumnFamily::kLeafIndex, keys, &values));
  out->assign(keys.size(), std::nullopt);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!values[i].has_value()) continue;
    LEDGER_ASSIGN_OR_RETURN(SequenceNumber sequence,
                            schema::DecodeLeafIndexValue(keys[i], *values[i]));
    (*out)[i] = sequence;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RocksDbLogStore::GetClaim(
    absl::string_view claim_id) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  return Get(*state, ColumnFamily::kClaims, schema::ClaimRecordKey(claim_id));
}

absl::StatusOr<std::optional<SequenceNumber>> RocksDbLogStore::GetLeafIndex(
    const Hash& leaf_hash) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  const std::string key = schema::LeafIndexKey(leaf_hash);
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(*state, ColumnFamily::kLeafIndex, key));
  if (!value.has_value()) return std::nullopt;
  LEDGER_ASSIGN_OR_RETURN(SequenceNumber sequence, schema::DecodeLeafIndexValue(key, *value));
  return sequence;
}

absl::Status RocksDbLogStore::ScanKeys(
    const std::function<void(absl::string_view, absl::string_view)>& fn) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  std::unique_ptr<rocksdb::Iterator> it =
      NewIterator(db_, ReadOptionsFor(*state), column_family(ColumnFamily::kKeys));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    fn(ToStringView(it->key()), ToStringView(it->value()));
  }
  return FromRocksDbStatus(it->status(), "scanning keys");
}

absl::StatusOr<std::optional<std::string>> RocksDbLogStore::GetCheckpoint(
    TreeSize tree_size) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  return Get(*state, ColumnFamily::kCheckpoints, schema::CheckpointKey(tree_size));
}

absl::Status RocksDbLogStore::ScanCheckpoints(
    const std::function<bool(TreeSize, absl::string_view)>& fn) const {
  return ScanCheckpointsFrom(0, fn);
}

absl::Status RocksDbLogStore::ScanCheckpointsFrom(
    TreeSize from, const std::function<bool(TreeSize, absl::string_view)>& fn) const {
  const std::shared_ptr<const ReadState> state = CurrentState();
  std::unique_ptr<rocksdb::Iterator> it =
      NewIterator(db_, ReadOptionsFor(*state), column_family(ColumnFamily::kCheckpoints));
  for (it->Seek(schema::CheckpointKey(from)); it->Valid(); it->Next()) {
    LEDGER_ASSIGN_OR_RETURN(TreeSize tree_size,
                            schema::DecodeCheckpointKey(ToStringView(it->key())));
    if (!fn(tree_size, ToStringView(it->value()))) return absl::OkStatus();
  }
  return FromRocksDbStatus(it->status(), "scanning checkpoints");
}

std::vector<RocksDbLogStore::SstFile> RocksDbLogStore::LiveSstFiles() const {
  std::vector<rocksdb::LiveFileMetaData> live;
  db_->GetLiveFilesMetaData(&live);
  std::sort(live.begin(), live.end(),
            [](const rocksdb::LiveFileMetaData& a, const rocksdb::LiveFileMetaData& b) {
              return a.file_number < b.file_number;
            });
  std::vector<SstFile> files;
  files.reserve(live.size());
  for (const rocksdb::LiveFileMetaData& f : live) {
    files.push_back({absl::StrCat(f.directory, "/", f.relative_filename), f.size});
  }
  return files;
}

absl::Status RocksDbLogStore::VerifySstFile(const std::string& path) const {
  rocksdb::Options options;
  options.env = db_->GetEnv();
  rocksdb::SstFileReader reader(options);
  rocksdb::Status s = reader.Open(path);
  if (s.ok()) s = reader.VerifyChecksum();
  if (s.ok()) return absl::OkStatus();
  return absl::DataLossError(
      FromRocksDbStatus(s, absl::StrCat("verifying the checksums of ", path)).message());
}

absl::Status RocksDbLogStore::FlushAndSettle() {
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  rocksdb::FlushOptions flush;
  flush.wait = true;
  LEDGER_RETURN_IF_ERROR(FromRocksDbStatus(db_->Flush(flush, all), "flushing the log store"));
  for (rocksdb::ColumnFamilyHandle* cf : all) {
    for (;;) {
      uint64_t pending = 0, running = 0;
      if (!db_->GetIntProperty(cf, "rocksdb.compaction-pending", &pending) ||
          !db_->GetIntProperty(cf, "rocksdb.num-running-compactions", &running)) {
        return absl::InternalError("cannot read RocksDB's compaction properties");
      }
      if (pending == 0 && running == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::VerifyStorageChecksums() const {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // reads every block once: keep the cache for lookups
  const rocksdb::Status s = db_->VerifyChecksum(read_options);
  if (s.ok()) return absl::OkStatus();
  // Whatever the engine's code (Corruption, or an IOError reading a damaged file), stored
  // data failed its check.
  return absl::DataLossError(
      FromRocksDbStatus(s, "verifying storage checksums").message());
}

}  // namespace ledger::store
