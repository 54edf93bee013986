// FaultyFileSystem: a rocksdb::FileSystemWrapper that injects I/O errors and simulates power
// loss, for the SQLite-style countdown tests (docs/reliability.md, "The fault-injecting file system").
//
//   auto fs = std::make_shared<FaultyFileSystem>();
//   std::unique_ptr<rocksdb::Env> env = NewFaultyEnv(fs);
//   fs->FailNth(FaultKind::kSync, 3, FaultMode::kOnce);   // the 3rd sync from now fails
//   ... datadir::OpenLog(dir, options, env.get()) ...
//   if (!fs->injected()) { /* the scenario did fewer than 3 syncs */ }
//
// Operations counted, on files the filter accepts (default: everything except RocksDB's info
// log "LOG" / "LOG.old.*", whose errors RocksDB ignores):
//   kWrite   FSWritableFile::Append / PositionedAppend (the data is NOT written when it fails)
//   kSync    FSWritableFile::Sync / Fsync / RangeSync, FSDirectory::Fsync
//   kRename  FileSystem::RenameFile (nothing renamed when it fails)
// A failed operation returns IOError("injected ..."). kOnce fails only the Nth operation;
// kForever fails the Nth and every later operation of that kind.
//
// Power loss: every file written through this file system remembers how many bytes were synced.
// PowerOff() makes every later operation fail (the machine is off); once everything that was
// open is closed (destroy the log), DropUnsyncedData() truncates each file to its synced size,
// which is what a power cut leaves. Reset() powers on again. Approximations, documented in
// docs/reliability.md: directory entries (creates, renames, deletes) survive even when the
// directory was not synced, and data is lost from the last sync of each file on.
//
// Thread-safe.
#ifndef TESTS_RELIABILITY_FAULTY_FS_H_
#define TESTS_RELIABILITY_FAULTY_FS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace ledger::reliability {

enum class FaultKind { kWrite = 0, kSync = 1, kRename = 2 };
enum class FaultMode { kOnce, kForever };
inline constexpr int kNumFaultKinds = 3;
const char* FaultKindName(FaultKind kind);
const char* FaultModeName(FaultMode mode);

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(
      std::shared_ptr<rocksdb::FileSystem> base = rocksdb::FileSystem::Default());

  const char* Name() const override { return "FaultyFileSystem"; }

  // Which files count (and can fail). Applied to the full path.
  void SetFilter(std::function<bool(const std::string& path)> filter);

  // Arms one fault: the nth (n >= 1) operation of `kind` from now fails. Replaces any armed
  // fault and resets the counters.
  void FailNth(FaultKind kind, uint64_t n, FaultMode mode);
  // No more faults (counting goes on).
  void Disarm();
  // Disarm, forget synced sizes, counters back to zero, power back on.
  void Reset();

  // Operations of `kind` counted since the last FailNth / Reset.
  uint64_t count(FaultKind kind) const;
  // Writes attempted on RocksDB WALs (*.log) since construction, counted or not.
  uint64_t wal_writes() const;
  // True once a fault was injected since the last FailNth / Reset; what it hit.
  bool injected() const;
  std::string injected_what() const;

  // See the header comment. DropUnsyncedData returns the number of files that lost data;
  // precondition: no file written through this file system is still open.
  void PowerOff();
  int DropUnsyncedData();

  // rocksdb::FileSystem
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  // Called by the wrapped files. OK, or the injected error for this operation.
  rocksdb::IOStatus Check(FaultKind kind, const std::string& path);
  void Wrote(const std::string& path, uint64_t end_offset);
  void Synced(const std::string& path);

 private:
  struct Tracked {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  bool Counts(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::function<bool(const std::string&)> filter_ ABSL_GUARDED_BY(mu_);
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  FaultKind kind_ ABSL_GUARDED_BY(mu_) = FaultKind::kWrite;
  FaultMode mode_ ABSL_GUARDED_BY(mu_) = FaultMode::kOnce;
  uint64_t nth_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t counts_[kNumFaultKinds] ABSL_GUARDED_BY(mu_) = {};
  bool injected_ ABSL_GUARDED_BY(mu_) = false;
  std::string injected_what_ ABSL_GUARDED_BY(mu_);
  bool powered_off_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t wal_writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Tracked> files_ ABSL_GUARDED_BY(mu_);
};

// An Env whose files go through `fs` (rocksdb::NewCompositeEnv). `fs` must outlive it.
std::unique_ptr<rocksdb::Env> NewFaultyEnv(const std::shared_ptr<FaultyFileSystem>& fs);

}  // namespace ledger::reliability

#endif  // TESTS_RELIABILITY_FAULTY_FS_H_
