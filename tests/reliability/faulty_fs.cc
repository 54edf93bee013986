#include "tests/reliability/faulty_fs.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ledger::reliability {
namespace {

bool IsInfoLog(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base == "LOG" || absl::StartsWith(base, "LOG.old");
}

// A writable file whose writes and syncs go through FaultyFileSystem::Check.
class FaultyWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path,
                     FaultyFileSystem* fs)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), path_(std::move(path)), fs_(fs) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kWrite, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Append(data, options, dbg);
    if (s.ok()) fs_->Wrote(path_, target()->GetFileSize(options, dbg));
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kWrite, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    if (s.ok()) fs_->Wrote(path_, target()->GetFileSize(options, dbg));
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kWrite, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    if (s.ok()) fs_->Wrote(path_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kWrite, path_);
    if (s.ok()) {
      s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg);
    }
    if (s.ok()) fs_->Wrote(path_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kSync, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Sync(options, dbg);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kSync, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::Fsync(options, dbg);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  // sync_file_range: counted as a sync (it can fail like one) but promises no durability.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kSync, path_);
    if (s.ok()) s = FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
    return s;
  }

 private:
  const std::string path_;
  FaultyFileSystem* const fs_;
};

class FaultyDirectory : public rocksdb::FSDirectoryWrapper {
 public:
  FaultyDirectory(std::unique_ptr<rocksdb::FSDirectory> dir, std::string path,
                  FaultyFileSystem* fs)
      : rocksdb::FSDirectoryWrapper(std::move(dir)), path_(std::move(path)), fs_(fs) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kSync, path_);
    if (s.ok()) s = FSDirectoryWrapper::Fsync(options, dbg);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options,
                                        rocksdb::IODebugContext* dbg,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    rocksdb::IOStatus s = fs_->Check(FaultKind::kSync, path_);
    if (s.ok()) s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    return s;
  }

 private:
  const std::string path_;
  FaultyFileSystem* const fs_;
};

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kWrite:
      return "write";
    case FaultKind::kSync:
      return "sync";
    case FaultKind::kRename:
      return "rename";
  }
  return "?";
}

const char* FaultModeName(FaultMode mode) {
  return mode == FaultMode::kOnce ? "once" : "forever";
}

FaultyFileSystem::FaultyFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
    : rocksdb::FileSystemWrapper(std::move(base)),
      filter_([](const std::string& path) { return !IsInfoLog(path); }) {}

void FaultyFileSystem::SetFilter(std::function<bool(const std::string&)> filter) {
  absl::MutexLock lock(&mu_);
  filter_ = std::move(filter);
}

void FaultyFileSystem::FailNth(FaultKind kind, uint64_t n, FaultMode mode) {
  absl::MutexLock lock(&mu_);
  armed_ = true;
  kind_ = kind;
  nth_ = n;
  mode_ = mode;
  for (uint64_t& c : counts_) c = 0;
  injected_ = false;
  injected_what_.clear();
}

void FaultyFileSystem::Disarm() {
  absl::MutexLock lock(&mu_);
  armed_ = false;
}

void FaultyFileSystem::Reset() {
  absl::MutexLock lock(&mu_);
  armed_ = false;
  for (uint64_t& c : counts_) c = 0;
  injected_ = false;
  injected_what_.clear();
  powered_off_ = false;
  files_.clear();
}

uint64_t FaultyFileSystem::count(FaultKind kind) const {
  absl::MutexLock lock(&mu_);
  return counts_[static_cast<int>(kind)];
}

bool FaultyFileSystem::injected() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

std::string FaultyFileSystem::injected_what() const {
  absl::MutexLock lock(&mu_);
  return injected_what_;
}

bool FaultyFileSystem::Counts(const std::string& path) const { return !filter_ || filter_(path); }

uint64_t FaultyFileSystem::wal_writes() const {
  absl::MutexLock lock(&mu_);
  return wal_writes_;
}

rocksdb::IOStatus FaultyFileSystem::Check(FaultKind kind, const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (kind == FaultKind::kWrite && absl::EndsWith(path, ".log")) ++wal_writes_;
  if (powered_off_) return rocksdb::IOStatus::IOError("injected: power is off", path);
  if (!Counts(path)) return rocksdb::IOStatus::OK();
  const uint64_t n = ++counts_[static_cast<int>(kind)];
  if (!armed_ || kind != kind_) return rocksdb::IOStatus::OK();
  if (n == nth_ || (mode_ == FaultMode::kForever && n > nth_)) {
    if (!injected_) {
      injected_ = true;
      injected_what_ = absl::StrCat(FaultKindName(kind), " #", n, " (", path, ")");
    }
    return rocksdb::IOStatus::IOError(
        absl::StrCat("injected ", FaultKindName(kind), " fault #", n), path);
  }
  return rocksdb::IOStatus::OK();
}

void FaultyFileSystem::Wrote(const std::string& path, uint64_t end_offset) {
  absl::MutexLock lock(&mu_);
  Tracked& t = files_[path];
  if (end_offset > t.size) t.size = end_offset;
}

void FaultyFileSystem::Synced(const std::string& path) {
  absl::MutexLock lock(&mu_);
  Tracked& t = files_[path];
  t.synced = t.size;
}

void FaultyFileSystem::PowerOff() {
  absl::MutexLock lock(&mu_);
  powered_off_ = true;
}

int FaultyFileSystem::DropUnsyncedData() {
  absl::MutexLock lock(&mu_);
  int damaged = 0;
  for (const auto& [path, t] : files_) {
    if (t.synced < t.size && ::truncate(path.c_str(), static_cast<off_t>(t.synced)) == 0) {
      ++damaged;
    }
  }
  return damaged;
}

rocksdb::IOStatus FaultyFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  {
    absl::MutexLock lock(&mu_);
    if (powered_off_) return rocksdb::IOStatus::IOError("injected: power is off", name);
  }
  rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_[name] = Tracked{};
  }
  *result = std::make_unique<FaultyWritableFile>(std::move(*result), name, this);
  return s;
}

rocksdb::IOStatus FaultyFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  {
    absl::MutexLock lock(&mu_);
    if (powered_off_) return rocksdb::IOStatus::IOError("injected: power is off", name);
  }
  rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, result, dbg);
  if (!s.ok()) return s;
  const uint64_t size = (*result)->GetFileSize(rocksdb::IOOptions(), dbg);
  {
    absl::MutexLock lock(&mu_);
    if (files_.count(name) == 0) files_[name] = Tracked{size, size};
  }
  *result = std::make_unique<FaultyWritableFile>(std::move(*result), name, this);
  return s;
}

rocksdb::IOStatus FaultyFileSystem::ReuseWritableFile(
    const std::string& name, const std::string& old_name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = Check(FaultKind::kRename, old_name);
  if (!s.ok()) return s;
  s = target()->ReuseWritableFile(name, old_name, options, result, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_.erase(old_name);
    files_[name] = Tracked{};
  }
  *result = std::make_unique<FaultyWritableFile>(std::move(*result), name, this);
  return s;
}

rocksdb::IOStatus FaultyFileSystem::NewDirectory(const std::string& name,
                                                 const rocksdb::IOOptions& options,
                                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                                 rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->NewDirectory(name, options, result, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<FaultyDirectory>(std::move(*result), name, this);
  return s;
}

rocksdb::IOStatus FaultyFileSystem::RenameFile(const std::string& src, const std::string& target,
                                               const rocksdb::IOOptions& options,
                                               rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = Check(FaultKind::kRename, src);
  if (!s.ok()) return s;
  s = FileSystemWrapper::RenameFile(src, target, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[target] = it->second;
    files_.erase(src);
  } else {
    files_.erase(target);
  }
  return s;
}

rocksdb::IOStatus FaultyFileSystem::DeleteFile(const std::string& name,
                                               const rocksdb::IOOptions& options,
                                               rocksdb::IODebugContext* dbg) {
  {
    absl::MutexLock lock(&mu_);
    if (powered_off_) return rocksdb::IOStatus::IOError("injected: power is off", name);
  }
  rocksdb::IOStatus s = FileSystemWrapper::DeleteFile(name, options, dbg);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_.erase(name);
  }
  return s;
}

std::unique_ptr<rocksdb::Env> NewFaultyEnv(const std::shared_ptr<FaultyFileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

}  // namespace ledger::reliability
