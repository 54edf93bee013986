// Verifying the block checksums of the database's SST files without making every start-up
// read the whole database.
//
// RocksDB checks a block's checksum only when it reads that block, so a damaged SST file opens
// fine and fails later (docs/reliability.md, "bugs found" 1). Reading every SST at start-up
// catches that, but makes start-up time grow with the log. Instead:
//
//  - Start-up (OpenLog) verifies the SST files that are new, or changed, since they were last
//    verified. <dir>/verified-sst-files records, for each verified file, how it looked then:
//    size, device, inode, mtime and ctime (nanoseconds). SST files are never modified after
//    RocksDB writes them, and any write, truncation, copy or restore through the file system
//    changes the inode or the ctime (which user space cannot set back), so a recorded file whose
//    identity still matches has not been written since it verified clean. A damaged, truncated,
//    restored or replaced file is therefore verified again and refused before serving.
//    OpenLogOptions::verify_all_sst_at_open (ledgerd --verify-sst-at-start=all) verifies all.
//  - What start-up cannot see without reading everything: damage below the file system (media
//    errors, bit rot) in a file verified before. RocksDB still refuses to return a damaged block
//    (every read verifies its checksum), so such damage is never served as data; SstScrubber
//    finds it: after start-up, and then periodically, it verifies every SST file in the
//    background at a bounded rate. On damage it removes the file from the record (so the next
//    start-up verifies it and refuses to start) and reports it (ledgerd stops appends).
//
// The record is an optimisation only: absent, unreadable or with a bad checksum line, it is
// ignored (every file is verified and the record rewritten). It is written atomically (temp
// file, fsync, rename, directory fsync); a failure to write it is logged, never fatal.
#ifndef LEDGER_DATADIR_SST_VERIFICATION_H_
#define LEDGER_DATADIR_SST_VERIFICATION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ledger/base/clock.h"
#include "ledger/store/sst_files.h"
#include "rocksdb/env.h"

namespace ledger::datadir {

// What a file looked like when it was verified.
struct FileIdentity {
  uint64_t size = 0;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileIdentity& o) const {
    return size == o.size && device == o.device && inode == o.inode && mtime_ns == o.mtime_ns &&
           ctime_ns == o.ctime_ns;
  }
};

// stat(2) of `path`.
absl::StatusOr<FileIdentity> IdentifyFile(const std::string& path);

// The files known to have verified clean, by file name (e.g. "000123.sst").
class VerifiedSstRecord {
 public:
  // Reads <dir>/verified-sst-files; an empty record when it is absent, unreadable or damaged.
  static VerifiedSstRecord Load(rocksdb::Env* env, const std::string& dir);
  // Writes it atomically.
  absl::Status Save(rocksdb::Env* env, const std::string& dir) const;

  // True when `name` was verified and still has identity `id`.
  bool Covers(const std::string& name, const FileIdentity& id) const;
  void Add(const std::string& name, const FileIdentity& id) { files_[name] = id; }
  void Remove(const std::string& name) { files_.erase(name); }
  // Forgets every file not in `names` (deleted by compactions).
  void Retain(const std::set<std::string>& names);
  size_t size() const { return files_.size(); }

  // The record's text, and back (nullopt when malformed or its checksum does not match).
  std::string Serialize() const;
  static std::optional<VerifiedSstRecord> Parse(const std::string& text);

 private:
  std::map<std::string, FileIdentity> files_;
};

struct SstVerificationResult {
  size_t files_verified = 0;
  uint64_t bytes_verified = 0;
  size_t files_unchanged = 0;  // skipped: verified before, not written since
};

// Verifies the SST files of `store` (whose data directory is `dir`): every one when `all`,
// else those the record does not cover. Updates the record. DataLoss naming the first damaged
// file (which the record then no longer lists). `clock` says when a file has been left alone
// long enough to be recorded (tests pass a FakeClock instead of waiting).
absl::StatusOr<SstVerificationResult> VerifySstFiles(rocksdb::Env* env, const std::string& dir,
                                                     const store::SstFiles& store,
                                                     bool all,
                                                     const Clock& clock = *Clock::Real());

// The background scrub: verifies every SST file of `store` once after it starts, then every
// `interval` (none when zero), reading at most `bytes_per_second` on average. Each clean file
// is recorded as verified. On damage: the file is removed from the record, `on_damage` is
// called once (from the scrub's thread) with the DataLoss, and the scrub stops.
// The store must outlive the scrubber. Thread-safe.
class SstScrubber {
 public:
  struct Options {
    absl::Duration interval = absl::Hours(24);
    uint64_t bytes_per_second = uint64_t{128} << 20;
    // When a file has been left alone long enough to be recorded (as in VerifySstFiles).
    const Clock* clock = Clock::Real();
  };
  SstScrubber(rocksdb::Env* env, std::string dir, const store::SstFiles* store,
              Options options, std::function<void(const absl::Status&)> on_damage);
  // Stops the scrub (within a file's verification).
  ~SstScrubber();

  SstScrubber(const SstScrubber&) = delete;
  SstScrubber& operator=(const SstScrubber&) = delete;

  // Full passes completed, and whether damage was found.
  uint64_t passes() const;
  bool found_damage() const;
  // Blocks until `passes() >= n` or damage was found (for tests).
  void WaitForPasses(uint64_t n) const;

 private:
  void Loop();
  // One pass; false when it stopped (damage, or the scrubber is stopping).
  bool Pass();
  // Sleeps `d` unless stopping; false when stopping.
  bool SleepUnlessStopping(absl::Duration d);

  rocksdb::Env* const env_;
  const std::string dir_;
  const store::SstFiles* const store_;
  const Options options_;
  const std::function<void(const absl::Status&)> on_damage_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  bool damage_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ledger::datadir

#endif  // LEDGER_DATADIR_SST_VERIFICATION_H_
