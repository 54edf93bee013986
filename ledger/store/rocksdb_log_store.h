// RocksDbLogStore: the durable LogStore, one RocksDB database per log.
//
// The layout on disk (column families, keys, values) is defined in schema.h and nowhere else.
// Every Commit is one rocksdb::WriteBatch written with sync = true, so a commit is all or
// nothing across every column family, and durable when it returns OK.
//
// Example:
//   RocksDbLogStoreOptions options;
//   options.create_if_missing = true;
//   LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbLogStore> store,
//                           RocksDbLogStore::Open("/var/lib/factledger/log", options));
//   LogHead head = store->Head();
//   CommitBatch batch;
//   batch.expected_tree_size = head.tree_size;
//   ...
//   LEDGER_RETURN_IF_ERROR(store->Commit(batch));
#ifndef LEDGER_STORE_ROCKSDB_LOG_STORE_H_
#define LEDGER_STORE_ROCKSDB_LOG_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/store/log_store.h"
#include "ledger/store/sst_files.h"
#include "ledger/store/rocksdb_status.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/status.h"
#include "rocksdb/write_batch.h"

namespace ledger::store {

struct RocksDbLogStoreOptions {
  // Create the database (and its column families) when `path` holds none. A new store gets the
  // format marker and the empty head in one synced batch.
  bool create_if_missing = false;
  // Open with DB::OpenForReadOnly: reads work, Commit returns FailedPrecondition. Several
  // read-only instances may share a directory, but not with a read-write instance (RocksDB:
  // undefined behaviour for the reader). create_if_missing is ignored.
  bool read_only = false;
  // The RocksDB environment (files, threads), e.g. a fault-injecting one built with
  // rocksdb::NewCompositeEnv. nullptr means rocksdb::Env::Default(). Not owned; must outlive
  // the store.
  rocksdb::Env* env = nullptr;
  // Recover from a WAL whose last records are incomplete or damaged by dropping them (RocksDB's
  // kTolerateCorruptedTailRecords) instead of refusing to open (kAbsoluteConsistency, the
  // default). A process killed during a WAL write leaves such a tail (Linux cuts a write()
  // interrupted by SIGKILL at a page boundary; those records were never acknowledged), but
  // damage that cuts off acknowledged records looks the same. Set it only when the result is
  // checked against something kept outside the database: datadir::OpenLog does, with the anchor.
  bool tolerate_damaged_wal_tail = false;
};

// A LogStore on RocksDB. Thread-safe: any number of readers run concurrently with each other
// and with Commit; Commits are serialised by an internal mutex.
//
// Readers see only whole commits: every read goes through the RocksDB snapshot taken right after
// the last successful Commit, published together with Head().
//
// Fail-stop: after any failed RocksDB write, every later Commit returns FailedPrecondition
// ("store failed earlier: <original error>; restart to recover"). The failed batch may or may
// not be on disk; only a reopen tells (docs/reliability.md, "Fail-stop"). Reads keep working.
class RocksDbLogStore : public LogStore, public SstFiles {
 public:
  // Opens (or creates) the store at `path`. The RocksDB options are chosen for durability; see
  // the .cc. At open the store checks, and refuses to open when they fail:
  //   - the format marker in meta equals schema::kFormatVersion (else FailedPrecondition);
  //   - meta/head decodes (else DataLoss);
  //   - the last key of `entries` is head.tree_size - 1, and none lies beyond it (else DataLoss).
  // Errors: NotFound when there is no store at `path` and create_if_missing is false (or
  // read_only); FailedPrecondition for a foreign or wrong-format database; DataLoss for a
  // damaged one (including a damaged WAL: recovery mode is kAbsoluteConsistency); other codes
  // from FromRocksDbStatus.
  static absl::StatusOr<std::unique_ptr<RocksDbLogStore>> Open(
      const std::string& path, const RocksDbLogStoreOptions& options);

  // Closes the database. Precondition: no call on this store is in flight.
  ~RocksDbLogStore() override;

  RocksDbLogStore(const RocksDbLogStore&) = delete;
  RocksDbLogStore& operator=(const RocksDbLogStore&) = delete;

  // LogStore. Commit additionally returns InvalidArgument (nothing written) for a node level
  // above schema::kMaxNodeLevel, and FailedPrecondition when opened read-only.
  LogHead Head() const override;
  absl::Status Commit(const CommitBatch& batch) override;
  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override;
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override;
  absl::StatusOr<Hash> GetNode(merkle::NodeId id) const override;
  absl::Status GetNodes(const std::vector<merkle::NodeId>& ids,
                        std::vector<Hash>* out) const override;
  absl::Status ScanNodes(uint32_t level, uint64_t begin, uint64_t end,
                         const std::function<bool(uint64_t, const Hash&)>& fn) const override;
  absl::StatusOr<std::optional<EventIdRecord>> GetEventId(
      absl::string_view event_id) const override;
  absl::StatusOr<std::optional<std::string>> GetClaim(
      absl::string_view claim_id) const override;
  absl::Status GetEventIds(const std::vector<absl::string_view>& event_ids,
                           std::vector<std::optional<EventIdRecord>>* out) const override;
  absl::Status GetLeafIndexes(const std::vector<Hash>& leaf_hashes,
                              std::vector<std::optional<SequenceNumber>>* out) const override;
  absl::StatusOr<std::optional<SequenceNumber>> GetLeafIndex(
      const Hash& leaf_hash) const override;
  absl::Status ScanKeys(
      const std::function<void(absl::string_view, absl::string_view)>& fn) const override;
  absl::StatusOr<std::optional<std::string>> GetCheckpoint(TreeSize tree_size) const override;
  absl::Status ScanCheckpoints(
      const std::function<bool(TreeSize, absl::string_view)>& fn) const override;
  absl::Status ScanCheckpointsFrom(
      TreeSize from, const std::function<bool(TreeSize, absl::string_view)>& fn) const override;
  // Runs DB::VerifyChecksum over every SST file. Data still only in the WAL/memtable is not
  // covered here (the WAL's own checksums guard it at recovery). Any failure is DataLoss.
  absl::Status VerifyStorageChecksums() const override;

  // SstFiles (sst_files.h): the SST files of every column family, and one file's block
  // checksums verified as VerifyStorageChecksums does for all.
  std::vector<SstFile> LiveSstFiles() const override;
  absl::Status VerifySstFile(const std::string& path) const override;

  // Flushes every column family's memtable to SST files, then waits until no compaction is
  // pending or running in any of them: a settled database, whose next open finds nothing to
  // compact (benchmarks and tests that count SST files; ledgerd never calls it).
  absl::Status FlushAndSettle();

  // For tests and tools only (the tamper tool, the auditor): the underlying database and its
  // column family handles. Writing through them bypasses every invariant of this class; the
  // store's reads go through the snapshot of the last Commit, so they see such writes only
  // after the next Commit, and Head() only after a reopen. The pointers live as long as the
  // store.
  rocksdb::DB* raw_db() const { return db_; }
  rocksdb::ColumnFamilyHandle* column_family(schema::ColumnFamily cf) const {
    return handles_[static_cast<int>(cf)];
  }

 private:
  // What readers see: a head and the RocksDB snapshot it was taken with (null when read-only,
  // where nothing changes). Immutable once published; shared so that a reader keeps its
  // snapshot alive while a Commit publishes the next one.
  struct ReadState {
    LogHead head;
    std::shared_ptr<const rocksdb::Snapshot> snapshot;
  };

  RocksDbLogStore(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
                  bool read_only);

  // Checks or writes the format marker, loads the head and cross-checks it against `entries`,
  // then publishes the first ReadState. Called once from Open.
  absl::Status Initialize(const std::string& path, bool create_if_missing);
  absl::Status InitializeNewStore(const std::string& path);
  absl::Status CheckEntriesMatchHead(const LogHead& head) const;
  absl::StatusOr<bool> IsEmpty() const;

  std::shared_ptr<const ReadState> CurrentState() const;
  std::shared_ptr<const rocksdb::Snapshot> TakeSnapshot();
  rocksdb::ReadOptions ReadOptionsFor(const ReadState& state) const;

  // Many point lookups in one MultiGet over one snapshot; (*values)[i] is nullopt when keys[i]
  // is absent.
  absl::Status MultiGet(const ReadState& state, schema::ColumnFamily cf,
                        const std::vector<std::string>& keys,
                        std::vector<std::optional<std::string>>* values) const;

  // Point lookup; nullopt when the key is absent.
  absl::StatusOr<std::optional<std::string>> Get(const ReadState& state, schema::ColumnFamily cf,
                                                 absl::string_view key) const;

  // Fills `write_batch` with every Put of `batch`, keys encoded by schema.h.
  absl::Status BuildWriteBatch(const CommitBatch& batch, rocksdb::WriteBatch* write_batch) const;

  rocksdb::DB* const db_;  // Owned; deleted after handles_ are destroyed.
  // Indexed by schema::ColumnFamily; owned, destroyed before db_.
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const bool read_only_;

  // Serialises Commit; guards the fail-stop state.
  mutable absl::Mutex commit_mu_;
  absl::Status failed_ ABSL_GUARDED_BY(commit_mu_);
  // Reused by every Commit (cleared first): its buffer keeps its capacity between commits.
  rocksdb::WriteBatch write_batch_ ABSL_GUARDED_BY(commit_mu_);
  size_t write_batch_reserved_ ABSL_GUARDED_BY(commit_mu_) = 0;

  mutable absl::Mutex state_mu_;
  std::shared_ptr<const ReadState> state_ ABSL_GUARDED_BY(state_mu_);
};

}  // namespace ledger::store

#endif  // LEDGER_STORE_ROCKSDB_LOG_STORE_H_
