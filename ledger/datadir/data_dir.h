// A ledger data directory: the log's identity, its checkpoint key and its RocksDB store.
//
//   <dir>/LEDGER             identity (text): format line, origin, log public key, admin keys
//   <dir>/log.key            the log's Ed25519 private key (mode 0600)
//   <dir>/db/                RocksDB (ledger/store/schema.h)
//   <dir>/checkpoint.anchor  the newest signed checkpoint, outside RocksDB (anchor.h)
//   <dir>/ledgerd.pid        the pid of the ledgerd serving it, flock-ed while it runs (DataDirLock)
//   <dir>/behind-signed.checkpoint  only after a restore that is behind what the log signed
//                            (backup.h): that checkpoint; appends are refused until the log
//                            holds it again
//
// The identity file:
//   factledger-data-dir v1
//   origin <origin>
//   log-key <64 hex digits>
//   admin-key <64 hex digits>        (one line per admin key, at least one)
//   role follower                    (a follower's directory only: it has no log.key)
//
// A follower's directory (InitFollowerDataDir) names the LEADER's log public key, from the
// follower's own configuration; OpenLog opens it as a follower (Log::Open without a key).
#ifndef LEDGER_DATADIR_DATA_DIR_H_
#define LEDGER_DATADIR_DATA_DIR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/datadir/anchor.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/store/rocksdb_log_store.h"

namespace ledger::datadir {

// Creates a new data directory: identity, a fresh log key, an empty store with a signed
// checkpoint of the empty tree, and the first anchor. ALREADY_EXISTS when `dir` already holds
// an identity; INVALID_ARGUMENT for a bad origin or no admin key.
// The identity is written last but one (before the first checkpoint and the anchor, which
// OpenLog completes), so an interrupted init is finished by running it again when `dir` has no
// identity yet (the log key of the interrupted run, never used to sign, is kept), or by opening
// the log when it has one. Crash points: "init-after-store", "init-after-identity".
// `env` (nullptr: rocksdb::Env::Default()) is used for the store and the anchor.
// `external_anchor_dir` (optional): the first anchor is written there too. It must pass
// ValidateExternalAnchorDir and hold no anchor yet (ALREADY_EXISTS: it belongs to another
// log); both are checked before anything is written.
absl::Status InitDataDir(const std::string& dir, const std::string& origin,
                         const std::vector<crypto::PublicKey>& admin_keys,
                         rocksdb::Env* env = nullptr, const std::string& external_anchor_dir = "");

// Creates a follower data directory: the identity of the leader's log (origin, the leader's
// log public key, the admin keys -- all from the follower's own configuration) with the line
// "role follower", and an empty store; no log key and no checkpoint (the leader's arrive with
// its entries). ALREADY_EXISTS when `dir` already holds an identity; INVALID_ARGUMENT for a
// bad origin or no admin key.
absl::Status InitFollowerDataDir(const std::string& dir, const std::string& origin,
                                 const crypto::PublicKey& log_public_key,
                                 const std::vector<crypto::PublicKey>& admin_keys,
                                 rocksdb::Env* env = nullptr);

// True when <dir>/LEDGER has the line "role follower". Errors as ReadIdentity.
absl::StatusOr<bool> IsFollowerDataDir(const std::string& dir);

// Reads <dir>/LEDGER. NOT_FOUND when absent; DATA_LOSS when malformed.
absl::StatusOr<core::LogIdentity> ReadIdentity(const std::string& dir);

// One process's hold on a data directory: an exclusive flock on <dir>/ledgerd.pid, which holds
// that process's id, so that a second server on the same directory is refused with a sentence
// naming the holder (RocksDB's own LOCK would refuse it too, in its words). The kernel releases
// the lock however the process ends; the file stays (its pid is then stale, and harmless).
// Thread-compatible.
class DataDirLock {
 public:
  // Errors: FAILED_PRECONDITION "data directory DIR is in use by another ledgerd (pid N)" when
  // another process holds it; NOT_FOUND when `dir` does not exist; INTERNAL when the file
  // cannot be created, locked or written.
  static absl::StatusOr<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir);

  ~DataDirLock();  // Releases the lock.
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  const int fd_;
};

// Free bytes on the file system holding `dir` (statvfs, for unprivileged users).
absl::StatusOr<uint64_t> FreeBytes(const std::string& dir);

// Opens the log of an initialised data directory for appending (a follower's directory: as a
// follower, without a key; set options.leader). When options.free_bytes is unset it is set to
// FreeBytes(dir).
//
// Start-up verifies the block checksums of every SST file (LogStore::VerifyStorageChecksums;
// DATA_LOSS naming the damaged file), since RocksDB checks a block only when it reads it; so
// start-up time grows with the database (docs/reliability.md gives the measured rate).
//
// A WAL that ends in an incomplete or damaged record -- what a process killed during a WAL
// write leaves -- is refused by RocksDB's strict recovery; OpenLog then recovers without that
// tail, but only if the log still holds the anchor with its root (else the anchor's refusal).
//
// The anchors (anchor.h): before the log is opened, <dir>/checkpoint.anchor and, with
// options.external_anchor_dir, the external copy <external_anchor_dir>/checkpoint.anchor must
// each verify under the log's key, and the store must hold at least each one's size with the
// same root there; otherwise nothing is written and the error is FAILED_PRECONDITION with reason
// LOG_BEHIND_ANCHOR or LOG_FORKED_FROM_ANCHOR (IsAnchorRefusal) naming the anchor's path, or
// DATA_LOSS for an anchor that does not verify. Either anchor may be missing (the other is still
// checked). The external anchor directory must pass ValidateExternalAnchorDir (INVALID_ARGUMENT
// when it is inside `dir`, NOT_FOUND when it does not exist; checked before anything is read).
// When an anchor is missing or trails the head, the head's checkpoint is written to it before
// OpenLog returns (an error writing one is returned); a larger anchor is never overwritten.
//
// Behind what was signed (BehindSignedPath, written by RestoreDataDir, backup.h): when the
// log is shorter than that checkpoint, the anchors no larger than it are not refusals; the log
// opens, and every append is refused with FAILED_PRECONDITION, reason LOG_BEHIND_SIGNED,
// naming both sizes and how to recover (reads go on). Once the log holds that checkpoint's
// size with its root the file is removed and appends resume; another root there is
// LOG_FORKED_FROM_ANCHOR. A record that does not verify is DATA_LOSS. Afterwards a background AnchorWriter,
// owned by the returned log (through options.on_checkpoint, which is chained after any callback
// the caller set), anchors each new checkpoint; destroying the log anchors the head. With
// options.anchor_before_ack the sequencer waits for that write before answering the commit's
// callers (a failed write is logged and does not fail the appends; the anchor then trails).
// What OpenLog does around the Log with the data directory: options of the opening, not of the
// log (the Log never reads them).
struct OpenLogOptions {
  // The Log's own options.
  core::LogOptions log;
  // Verify the checksums of every SST file before serving, not only of those new or changed
  // since they were last verified (sst_verification.h).
  bool verify_all_sst_at_open = false;
  // A directory outside the data directory (another volume) that holds a second copy of the
  // checkpoint anchor, checked at start-up and kept up to date like the data directory's own
  // (ledger/datadir/anchor.h). Empty: only the data directory's anchor.
  std::string external_anchor_dir;
  // Write the anchors of each group commit's checkpoint before its callers are answered (the
  // sequencer waits for the anchor writer), instead of in the background after. Closes the
  // window in which an acknowledged entry is newer than every anchor, at the cost of the anchor
  // writes (temp file, fsync, rename, directory fsync, per anchor) in every commit.
  bool anchor_before_ack = false;
  // Open a data directory that holds the log key as a FOLLOWER (without the key). Cluster mode
  // opens every node this way until it wins the election (ledger/cluster/).
  bool open_without_log_key = false;
  // The RocksDB environment (tests inject faults through it). nullptr: the default.
  rocksdb::Env* env = nullptr;
};
absl::StatusOr<std::unique_ptr<core::Log>> OpenLog(const std::string& dir, OpenLogOptions options);
// OpenLog with `options` for the Log and the defaults of everything else.
absl::StatusOr<std::unique_ptr<core::Log>> OpenLog(const std::string& dir, core::LogOptions options,
                                             rocksdb::Env* env = nullptr);

// Opens only the store, read-only (for offline audits and reads while a server runs). Like
// OpenLog, it accepts a WAL that ends in an incomplete or damaged record (a crash during a
// write) only when the log without it still holds the anchor; nothing is written.
absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> OpenStoreReadOnly(
    const std::string& dir);

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_DATA_DIR_H_
