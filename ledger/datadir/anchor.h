// The checkpoint anchor: the newest signed checkpoint of a log, kept OUTSIDE RocksDB in
// <data-dir>/checkpoint.anchor, so that a database that lost acknowledged entries is refused at
// start-up instead of served.
//
// Why: RocksDB can open a damaged or rolled-back database with a shorter, perfectly valid chain
// (docs/reliability.md, "A WAL cut by a crash": a WAL cut in half reopened 1,765 synced records as 887). Nothing inside the
// database can notice that; a signed checkpoint kept beside it can. At start-up the log must
// be at least as long as the anchor and have the same root at the anchor's size.
//
// The file holds the checkpoint's signed note byte for byte (docs/format.md §5), so it can be
// handed to `ledgerctl verify --trusted-checkpoint`. It is written atomically: <path>.tmp,
// fsync, rename over <path>, fsync of the directory. A crash leaves the old or the new anchor,
// never a torn one (a stale .tmp is overwritten by the next write).
//
// What the anchor guarantees: it is written only after the commit that it covers was synced, so
// it never leads the log; it may trail the log by the commits that were in flight when the
// process stopped (AnchorWriter coalesces), and a clean shutdown brings it up to the head.
// A rollback or truncation is therefore caught when it loses anything up to the anchored size.
//
// An external anchor (--anchor-dir): a second copy of the same file in a directory the operator
// keeps OUTSIDE the data directory (another volume), so that restoring the whole data directory
// from an older copy -- which brings its own older anchor back -- is still refused. Both copies
// are written by the same AnchorWriter, in-directory first; the note itself says which log it
// belongs to (origin and key are in the signed note, verified by CheckAnchor).
//
// Files go through a rocksdb::Env's FileSystem so that the fault-injecting file system of the
// reliability tests reaches them too; foreign errors are converted by store::FromRocksDbStatus.
#ifndef LEDGER_DATADIR_ANCHOR_H_
#define LEDGER_DATADIR_ANCHOR_H_

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/types.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/node_id.h"
#include "ledger/store/log_store.h"
#include "rocksdb/env.h"

namespace ledger::datadir {

// Error reasons of a start-up refused by the anchor (FAILED_PRECONDITION). ledgerd exits 4.
inline constexpr absl::string_view kReasonLogBehindAnchor = "LOG_BEHIND_ANCHOR";
inline constexpr absl::string_view kReasonLogForkedFromAnchor = "LOG_FORKED_FROM_ANCHOR";
// Reason of an external anchor directory refused by ValidateExternalAnchorDir (bad usage:
// ledgerd exits 1).
inline constexpr absl::string_view kReasonBadAnchorDir = "BAD_ANCHOR_DIR";

// True for the errors CheckAnchor returns when the log is behind its anchor or forked from it.
bool IsAnchorRefusal(const absl::Status& status);

// Reads the anchor of data directory `dir`. nullopt when there is none; the storage error
// otherwise. `env` nullptr means rocksdb::Env::Default().
absl::StatusOr<std::optional<std::string>> ReadAnchor(rocksdb::Env* env, const std::string& dir);

// One anchor file as read from disk: its path and its content (a signed checkpoint note, or not).
struct StoredAnchor {
  std::string path;
  std::string note;
};

// Reads the anchor file at `path` (e.g. datadir::AnchorFile(dir) or a copy kept elsewhere).
// nullopt when there is none; DATA_LOSS when it is larger than any anchor; the storage error
// otherwise.
absl::StatusOr<std::optional<StoredAnchor>> ReadAnchorFile(rocksdb::Env* env,
                                                         const std::string& path);

// Reads the anchors of `dirs` (datadir::AnchorFile of each), skipping those that have none. The
// first storage error otherwise.
absl::StatusOr<std::vector<StoredAnchor>> ReadAnchors(rocksdb::Env* env,
                                                    const std::vector<std::string>& dirs);

// Checks that `anchor_dir` may hold the external anchor of data directory `data_dir`: it must
// be an existing directory that is neither `data_dir` nor inside it (compared after resolving
// symbolic links, `.` and `..`), since a restore of the data directory must not reach it.
// Errors, with reason BAD_ANCHOR_DIR: INVALID_ARGUMENT naming both paths (inside, or not a
// directory); NOT_FOUND when it does not exist (it is not created: a missing mount must not become a directory on the
// wrong volume). Writes nothing.
absl::Status ValidateExternalAnchorDir(const std::string& anchor_dir, const std::string& data_dir);

// True when `a` and `b` (existing paths) are on the same file system (st_dev): an external
// anchor there survives a restore of the data directory, not the loss or restore of the volume.
bool OnSameFileSystem(const std::string& a, const std::string& b);

// Replaces the anchor of `dir` with `checkpoint_note`, atomically and durably (temp file,
// fsync, rename, directory fsync). On error the old anchor (or none) may still be in place, or
// the new one; both are safe, since neither leads the log. Crash points (LEDGER_CRASH_AT):
// "anchor-before-rename" (the temp file is synced, the old anchor still in place) and
// "anchor-after-rename" (renamed, directory not yet synced).
absl::Status WriteAnchor(rocksdb::Env* env, const std::string& dir,
                         absl::string_view checkpoint_note);

// Checks a log against its anchor: the note must verify under `verifier` (the log's origin and
// key), and the log, whose head is `head` and whose stored Merkle nodes `read` serves, must hold
// at least the anchored size with the same root there (O(log n) node reads). Returns the
// anchored checkpoint.
// Errors:
//   DATA_LOSS            the anchor does not parse or its signature does not verify;
//   FAILED_PRECONDITION  reason LOG_BEHIND_ANCHOR: head.tree_size < the anchored size;
//                        reason LOG_FORKED_FROM_ANCHOR: another root at the anchored size;
//   the reader's error   when a node cannot be read.
// Messages name the data directory's anchor path, both sizes and both roots.
absl::StatusOr<format::Checkpoint> CheckAnchor(absl::string_view anchor_path,
                                               absl::string_view checkpoint_note,
                                               const format::NoteVerifier& verifier,
                                               const store::LogHead& head,
                                               const merkle::NodeReader& read);

// WriteAnchor for each of `dirs`, in order (the data directory first, then its external anchor
// directory). Every directory is tried; returns the first error. Crash point
// "anchor-before-external": the first anchor is written, the others not yet.
absl::Status WriteAnchors(rocksdb::Env* env, const std::vector<std::string>& dirs,
                          absl::string_view checkpoint_note);

// CheckAnchor for every anchor in `anchors`, in order: the log must hold each one's size with
// its root. Returns the verified checkpoints, in the order of `anchors`; the first error (as
// CheckAnchor's) otherwise.
absl::StatusOr<std::vector<format::Checkpoint>> CheckAnchors(
    const std::vector<StoredAnchor>& anchors, const format::NoteVerifier& verifier,
    const store::LogHead& head, const merkle::NodeReader& read);

// Keeps the anchors of one data directory (its own and any external one) up to date from a background thread, so that group
// commits do not pay two more fsyncs. Publish() only records the newest checkpoint; the thread
// writes the newest one recorded, with at most one write in flight, so a burst of commits costs
// one anchor write per write time, and the anchor never goes back.
//
// Write errors are logged (ledger/base/logging.h) and kept in last_error(); they do not stop the
// log (the anchor only trails further) and the next checkpoint is tried afresh -- a new temp
// file, never a retried fsync. The destructor writes the newest published checkpoint if it is
// not written yet, then stops: a clean shutdown leaves the anchor at the head.
//
// Thread-safe.
class AnchorWriter {
 public:
  // `dirs`: the directories whose anchor files it writes (WriteAnchors), at least one.
  // `anchored_size`: the size of the anchors currently on disk (checkpoints of that size or
  // smaller are ignored). `env` nullptr means rocksdb::Env::Default(); not owned, must outlive
  // this object.
  AnchorWriter(rocksdb::Env* env, std::vector<std::string> dirs, TreeSize anchored_size);
  ~AnchorWriter();

  AnchorWriter(const AnchorWriter&) = delete;
  AnchorWriter& operator=(const AnchorWriter&) = delete;

  // Records `checkpoint_note` (of tree size `size`) to be written. Never blocks on I/O.
  void Publish(const std::string& checkpoint_note, TreeSize size);

  // Blocks until every checkpoint published before the call is written (or its write failed).
  void Flush();

  // The size of the newest anchor written successfully to every directory (or given at
  // construction).
  TreeSize anchored_size() const;
  // Number of anchor files written, and the error of the last failed write (OK when none).
  uint64_t writes() const;
  absl::Status last_error() const;

 private:
  void Loop();

  rocksdb::Env* const env_;
  const std::vector<std::string> dirs_;

  mutable absl::Mutex mu_;
  std::optional<std::string> pending_ ABSL_GUARDED_BY(mu_);
  TreeSize newest_size_ ABSL_GUARDED_BY(mu_);  // of pending_, or of the last one taken
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  TreeSize anchored_size_ ABSL_GUARDED_BY(mu_);
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_ANCHOR_H_
