#include "ledger/datadir/sst_verification.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/logging.h"
#include "ledger/base/status_macros.h"
#include "ledger/crypto/sha256.h"
#include "ledger/datadir/env_files.h"
#include "ledger/datadir/layout.h"
#include "ledger/store/rocksdb_status.h"
#include "rocksdb/file_system.h"

namespace ledger::datadir {
namespace {

// Part of the on-disk layout of a data directory: DO NOT CHANGE.
constexpr absl::string_view kRecordHeader = "factledger-verified-sst-files v1";
// A record lists a few thousand files at most.
constexpr uint64_t kMaxRecordBytes = 16 << 20;
// A file changed this recently before its verification began is not recorded: a write in the
// same coarse clock tick as the stat taken before reading it could leave its times unchanged
// (git's "racily clean" files).
constexpr int64_t kRacyNanos = 2'000'000'000;

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Verifies `file`; on success records it when it did not change while it was read (and had
// not changed for kRacyNanos before, by `clock`). NotFound when the file is no longer part of
// the database (a compaction deleted it).
absl::Status VerifyAndRecord(const store::SstFiles& store,
                             const store::SstFiles::SstFile& file, const Clock& clock,
                             VerifiedSstRecord* record) {
  const std::string name = BaseName(file.path);
  const int64_t started = clock.NowMicros() * 1000;
  absl::StatusOr<FileIdentity> before = IdentifyFile(file.path);
  absl::Status verified = store.VerifySstFile(file.path);
  if (!verified.ok()) {
    record->Remove(name);
    // Deleted meanwhile (compactions delete the files they replace): not damage.
    bool live = false;
    for (const auto& f : store.LiveSstFiles()) live = live || f.path == file.path;
    if (!live) return absl::NotFoundError(absl::StrCat(file.path, " is no longer live"));
    return verified;
  }
  absl::StatusOr<FileIdentity> after = IdentifyFile(file.path);
  if (before.ok() && after.ok() && *before == *after &&
      before->ctime_ns < started - kRacyNanos && before->mtime_ns < started - kRacyNanos) {
    record->Add(name, *before);
  } else {
    record->Remove(name);
  }
  return absl::OkStatus();
}

std::set<std::string> Names(const std::vector<store::SstFiles::SstFile>& files) {
  std::set<std::string> names;
  for (const auto& f : files) names.insert(BaseName(f.path));
  return names;
}

void SaveOrWarn(const VerifiedSstRecord& record, rocksdb::Env* env, const std::string& dir) {
  absl::Status s = record.Save(env, dir);
  if (!s.ok()) {
    LogEvent(LogLevel::kWarning,
             "cannot write the record of verified SST files; they will be verified again",
             {{"path", datadir::VerifiedSstRecordFile(dir)}, {"error", std::string(s.message())}});
  }
}

}  // namespace

absl::StatusOr<FileIdentity> IdentifyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("stat ", path, ": ", strerror(errno)));
  }
  FileIdentity id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

bool VerifiedSstRecord::Covers(const std::string& name, const FileIdentity& id) const {
  auto it = files_.find(name);
  return it != files_.end() && it->second == id;
}

void VerifiedSstRecord::Retain(const std::set<std::string>& names) {
  for (auto it = files_.begin(); it != files_.end();) {
    it = names.count(it->first) != 0 ? std::next(it) : files_.erase(it);
  }
}

std::string VerifiedSstRecord::Serialize() const {
  std::string body = absl::StrCat(kRecordHeader, "\n");
  for (const auto& [name, id] : files_) {
    absl::StrAppend(&body, name, " ", id.size, " ", id.device, " ", id.inode, " ", id.mtime_ns,
                    " ", id.ctime_ns, "\n");
  }
  return absl::StrCat(body, "sha256 ", HexEncode(AsStringView(crypto::Sha256(body))), "\n");
}

std::optional<VerifiedSstRecord> VerifiedSstRecord::Parse(const std::string& text) {
  const size_t last = text.rfind("sha256 ");
  if (last == std::string::npos || (last > 0 && text[last - 1] != '\n')) return std::nullopt;
  const std::string body = text.substr(0, last);
  if (text.substr(last) !=
      absl::StrCat("sha256 ", HexEncode(AsStringView(crypto::Sha256(body))), "\n")) {
    return std::nullopt;
  }
  std::vector<absl::string_view> lines = absl::StrSplit(body, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kRecordHeader) return std::nullopt;
  VerifiedSstRecord record;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    FileIdentity id;
    if (f.size() != 6 || f[0].empty() || !absl::SimpleAtoi(f[1], &id.size) ||
        !absl::SimpleAtoi(f[2], &id.device) || !absl::SimpleAtoi(f[3], &id.inode) ||
        !absl::SimpleAtoi(f[4], &id.mtime_ns) || !absl::SimpleAtoi(f[5], &id.ctime_ns)) {
      return std::nullopt;
    }
    record.files_[std::string(f[0])] = id;
  }
  return record;
}

VerifiedSstRecord VerifiedSstRecord::Load(rocksdb::Env* env, const std::string& dir) {
  rocksdb::FileSystem* fs = FileSystemOf(env);
  const std::string path = datadir::VerifiedSstRecordFile(dir);
  uint64_t size = 0;
  if (!fs->FileExists(path, rocksdb::IOOptions(), nullptr).ok() ||
      !fs->GetFileSize(path, rocksdb::IOOptions(), &size, nullptr).ok() ||
      size > kMaxRecordBytes) {
    return VerifiedSstRecord();
  }
  std::string text;
  if (!rocksdb::ReadFileToString(fs, path, &text).ok()) return VerifiedSstRecord();
  std::optional<VerifiedSstRecord> record = Parse(text);
  if (!record.has_value()) {
    LogEvent(LogLevel::kWarning,
             "the record of verified SST files is damaged; every SST file is verified again",
             {{"path", path}});
    return VerifiedSstRecord();
  }
  return *std::move(record);
}

absl::Status VerifiedSstRecord::Save(rocksdb::Env* env, const std::string& dir) const {
  rocksdb::FileSystem* fs = FileSystemOf(env);
  const std::string path = datadir::VerifiedSstRecordFile(dir);
  const std::string tmp = path + ".tmp";
  const std::string text = Serialize();
  LEDGER_RETURN_IF_ERROR(WriteSyncedFile(fs, tmp, text));
  LEDGER_RETURN_IF_ERROR(RenameFile(fs, tmp, path));
  return SyncDirectory(fs, dir);
}

absl::StatusOr<SstVerificationResult> VerifySstFiles(rocksdb::Env* env, const std::string& dir,
                                                     const store::SstFiles& store,
                                                     bool all, const Clock& clock) {
  VerifiedSstRecord record = VerifiedSstRecord::Load(env, dir);
  const std::string loaded = record.Serialize();
  const std::vector<store::SstFiles::SstFile> files = store.LiveSstFiles();
  SstVerificationResult result;
  absl::Status damage;
  for (const auto& file : files) {
    if (!all) {
      absl::StatusOr<FileIdentity> id = IdentifyFile(file.path);
      if (id.ok() && record.Covers(BaseName(file.path), *id)) {
        ++result.files_unchanged;
        continue;
      }
    }
    absl::Status s = VerifyAndRecord(store, file, clock, &record);
    if (absl::IsNotFound(s)) continue;
    if (!s.ok()) {
      damage = s;
      break;
    }
    ++result.files_verified;
    result.bytes_verified += file.size;
  }
  record.Retain(Names(files));
  // Unchanged (nothing new verified, nothing deleted): no write, no fsync at start-up.
  if (record.Serialize() != loaded) SaveOrWarn(record, env, dir);
  if (!damage.ok()) return damage;
  return result;
}

SstScrubber::SstScrubber(rocksdb::Env* env, std::string dir, const store::SstFiles* store,
                         Options options, std::function<void(const absl::Status&)> on_damage)
    : env_(env),
      dir_(std::move(dir)),
      store_(store),
      options_(options),
      on_damage_(std::move(on_damage)),
      thread_([this] { Loop(); }) {}

SstScrubber::~SstScrubber() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

uint64_t SstScrubber::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

bool SstScrubber::found_damage() const {
  absl::MutexLock lock(&mu_);
  return damage_;
}

void SstScrubber::WaitForPasses(uint64_t n) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // mu_ is held by Await
    return passes_ >= n || damage_ || stopping_;
  };
  mu_.Await(absl::Condition(&done));
}

bool SstScrubber::SleepUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void SstScrubber::Loop() {
  for (;;) {
    if (!Pass()) return;
    {
      absl::MutexLock lock(&mu_);
      ++passes_;
    }
    if (options_.interval <= absl::ZeroDuration()) return;
    if (!SleepUnlessStopping(options_.interval)) return;
  }
}

bool SstScrubber::Pass() {
  const std::vector<store::SstFiles::SstFile> files = store_->LiveSstFiles();
  VerifiedSstRecord record = VerifiedSstRecord::Load(env_, dir_);
  for (const auto& file : files) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
    }
    const absl::Time start = absl::Now();
    absl::Status s = VerifyAndRecord(*store_, file, *options_.clock, &record);
    if (absl::IsNotFound(s)) continue;
    if (!s.ok()) {
      record.Retain(Names(store_->LiveSstFiles()));
      SaveOrWarn(record, env_, dir_);
      LogEvent(LogLevel::kError,
               "the storage scrub found a damaged SST file; appends stop. Restore the data "
               "directory from a backup that `ledgerctl verify` accepts",
               {{"data_dir", dir_}, {"error", std::string(s.message())}});
      {
        absl::MutexLock lock(&mu_);
        damage_ = true;
      }
      if (on_damage_) on_damage_(s);
      return false;
    }
    // At most bytes_per_second on average.
    if (options_.bytes_per_second > 0) {
      const absl::Duration budget =
          absl::Seconds(static_cast<double>(file.size) / options_.bytes_per_second);
      const absl::Duration spent = absl::Now() - start;
      if (budget > spent && !SleepUnlessStopping(budget - spent)) return false;
    }
  }
  record.Retain(Names(store_->LiveSstFiles()));
  SaveOrWarn(record, env_, dir_);
  return true;
}

}  // namespace ledger::datadir
