#include "ledger/datadir/anchor.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/error.h"
#include "ledger/base/logging.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/thread_name.h"
#include "ledger/datadir/env_files.h"
#include "ledger/datadir/layout.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/rocksdb_status.h"
#include "rocksdb/file_system.h"

namespace ledger::datadir {
namespace {

// A checkpoint note is a few hundred bytes; anything much larger is not an anchor.
constexpr uint64_t kMaxAnchorBytes = 64 * 1024;

std::string TrimmedRoot(const Hash& h) { return HexEncode(h).substr(0, 16) + "…"; }

}  // namespace

bool IsAnchorRefusal(const absl::Status& status) {
  const std::string reason = ErrorReason(status);
  return absl::IsFailedPrecondition(status) &&
         (reason == kReasonLogBehindAnchor || reason == kReasonLogForkedFromAnchor);
}

absl::StatusOr<std::optional<StoredAnchor>> ReadAnchorFile(rocksdb::Env* env,
                                                         const std::string& path) {
  rocksdb::FileSystem* fs = FileSystemOf(env);
  const rocksdb::IOStatus exists = fs->FileExists(path, rocksdb::IOOptions(), nullptr);
  if (exists.IsNotFound()) return std::optional<StoredAnchor>();
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(exists, absl::StrCat("looking for ", path)));
  uint64_t size = 0;
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(
      fs->GetFileSize(path, rocksdb::IOOptions(), &size, nullptr), absl::StrCat("sizing ", path)));
  if (size > kMaxAnchorBytes) {
    return absl::DataLossError(absl::StrCat(path, " has ", size, " bytes; an anchor has at most ",
                                            kMaxAnchorBytes));
  }
  StoredAnchor anchor{path, ""};
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(
      rocksdb::ReadFileToString(fs, path, &anchor.note), absl::StrCat("reading ", path)));
  return std::optional<StoredAnchor>(std::move(anchor));
}

absl::StatusOr<std::optional<std::string>> ReadAnchor(rocksdb::Env* env, const std::string& dir) {
  LEDGER_ASSIGN_OR_RETURN(std::optional<StoredAnchor> anchor,
                          ReadAnchorFile(env, datadir::AnchorFile(dir)));
  if (!anchor.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(anchor->note));
}

absl::StatusOr<std::vector<StoredAnchor>> ReadAnchors(rocksdb::Env* env,
                                                    const std::vector<std::string>& dirs) {
  std::vector<StoredAnchor> anchors;
  for (const std::string& dir : dirs) {
    LEDGER_ASSIGN_OR_RETURN(std::optional<StoredAnchor> anchor,
                            ReadAnchorFile(env, datadir::AnchorFile(dir)));
    if (anchor.has_value()) anchors.push_back(*std::move(anchor));
  }
  return anchors;
}

absl::Status ValidateExternalAnchorDir(const std::string& anchor_dir,
                                       const std::string& data_dir) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(anchor_dir, error);
  if (!std::filesystem::exists(status)) {
    return MakeError(absl::StatusCode::kNotFound, kReasonBadAnchorDir, "", absl::StrCat(
        "the external anchor directory ", anchor_dir, " does not exist; create it on a volume "
        "that a restore of the data directory ", data_dir, " does not reach (it is not created "
        "here, so that a missing mount is not silently replaced)"));
  }
  if (!std::filesystem::is_directory(status)) {
    return MakeError(
        absl::StatusCode::kInvalidArgument, kReasonBadAnchorDir, "",
        absl::StrCat("the external anchor directory ", anchor_dir, " is not a directory"));
  }
  const std::filesystem::path anchor = std::filesystem::weakly_canonical(anchor_dir, error);
  const std::filesystem::path data = std::filesystem::weakly_canonical(data_dir, error);
  if (error) {
    return MakeError(absl::StatusCode::kInvalidArgument, kReasonBadAnchorDir, "",
                     absl::StrCat("cannot resolve the external anchor directory ", anchor_dir,
                                  " and the data directory ", data_dir, ": ", error.message()));
  }
  // `anchor` is inside `data` when `data` is a prefix of it, component by component.
  auto a = anchor.begin();
  auto d = data.begin();
  while (d != data.end() && a != anchor.end() && *a == *d) ++a, ++d;
  const bool inside = d == data.end() || (std::next(d) == data.end() && d->empty());
  if (inside) {
    return MakeError(absl::StatusCode::kInvalidArgument, kReasonBadAnchorDir, "", absl::StrCat(
        "the external anchor directory ", anchor_dir, " (", anchor.string(),
        ") is inside the data directory ", data_dir, " (", data.string(),
        "): a restore of the data directory would roll it back with the log. Put it on "
        "another volume"));
  }
  return absl::OkStatus();
}

bool OnSameFileSystem(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

absl::Status WriteAnchor(rocksdb::Env* env, const std::string& dir,
                         absl::string_view checkpoint_note) {
  rocksdb::FileSystem* fs = FileSystemOf(env);
  const std::string path = datadir::AnchorFile(dir);
  const std::string tmp = path + ".tmp";
  LEDGER_RETURN_IF_ERROR(WriteSyncedFile(fs, tmp, checkpoint_note));
  LEDGER_CRASH_POINT("anchor-before-rename");
  LEDGER_RETURN_IF_ERROR(RenameFile(fs, tmp, path));
  LEDGER_CRASH_POINT("anchor-after-rename");
  return SyncDirectory(fs, dir);
}

absl::Status WriteAnchors(rocksdb::Env* env, const std::vector<std::string>& dirs,
                          absl::string_view checkpoint_note) {
  absl::Status first_error;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (i == 1) LEDGER_CRASH_POINT("anchor-before-external");
    absl::Status s = WriteAnchor(env, dirs[i], checkpoint_note);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

absl::StatusOr<format::Checkpoint> CheckAnchor(absl::string_view anchor_path,
                                               absl::string_view checkpoint_note,
                                               const format::NoteVerifier& verifier,
                                               const store::LogHead& head,
                                               const merkle::NodeReader& read) {
  absl::StatusOr<format::Checkpoint> anchor = format::VerifyCheckpoint(checkpoint_note, verifier);
  if (!anchor.ok()) {
    return absl::DataLossError(absl::StrCat(
        anchor_path, " is not a checkpoint signed by this log's key for origin \"",
        verifier.name, "\" (", anchor.status().message(),
        "). Refusing to start without a trustworthy anchor: check the log with `ledgerctl verify "
        "--data-dir DIR` and, if it is intact and this is the right data directory, move the "
        "anchor file aside; the next start anchors the current head"));
  }
  if (head.tree_size < anchor->tree_size) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, kReasonLogBehindAnchor, "",
        absl::StrCat("the log holds ", head.tree_size, " entries but its anchor ", anchor_path,
                     " holds a checkpoint this log signed at tree size ", anchor->tree_size,
                     ": the database lost acknowledged entries (rolled back to an older copy, "
                     "or damaged). Refusing to start. Restore the newest backup that `ledgerctl "
                     "verify --data-dir DIR --trusted-checkpoint ",
                     anchor_path, "` accepts; do not delete the anchor to get past this"));
  }
  LEDGER_ASSIGN_OR_RETURN(Hash root, merkle::RootAt(anchor->tree_size, read));
  if (root != anchor->root_hash) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, kReasonLogForkedFromAnchor, "",
        absl::StrCat("the log (", head.tree_size, " entries) has root ", TrimmedRoot(root),
                     " at tree size ", anchor->tree_size, " but its anchor ", anchor_path,
                     " holds root ", TrimmedRoot(anchor->root_hash),
                     " for that size: this database is not the log that signed the anchor "
                     "(forked, replaced or damaged). Refusing to start"));
  }
  return *std::move(anchor);
}

absl::StatusOr<std::vector<format::Checkpoint>> CheckAnchors(
    const std::vector<StoredAnchor>& anchors, const format::NoteVerifier& verifier,
    const store::LogHead& head, const merkle::NodeReader& read) {
  std::vector<format::Checkpoint> checked;
  for (const StoredAnchor& anchor : anchors) {
    LEDGER_ASSIGN_OR_RETURN(format::Checkpoint cp,
                            CheckAnchor(anchor.path, anchor.note, verifier, head, read));
    checked.push_back(std::move(cp));
  }
  return checked;
}

AnchorWriter::AnchorWriter(rocksdb::Env* env, std::vector<std::string> dirs,
                           TreeSize anchored_size)
    : env_(env),
      dirs_(std::move(dirs)),
      newest_size_(anchored_size),
      anchored_size_(anchored_size),
      thread_([this] {
        SetCurrentThreadName("anchor");
        Loop();
      }) {}

AnchorWriter::~AnchorWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void AnchorWriter::Publish(const std::string& checkpoint_note, TreeSize size) {
  absl::MutexLock lock(&mu_);
  if (size <= newest_size_) return;
  pending_ = checkpoint_note;
  newest_size_ = size;
}

void AnchorWriter::Flush() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pending_.has_value() && !writing_;
  };
  mu_.Await(absl::Condition(&idle));
}

TreeSize AnchorWriter::anchored_size() const {
  absl::MutexLock lock(&mu_);
  return anchored_size_;
}

uint64_t AnchorWriter::writes() const {
  absl::MutexLock lock(&mu_);
  return writes_;
}

absl::Status AnchorWriter::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void AnchorWriter::Loop() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || pending_.has_value();
    };
    mu_.Await(absl::Condition(&ready));
    if (!pending_.has_value()) return;  // Stopping, and the newest checkpoint is written.
    std::string note = *std::move(pending_);
    pending_.reset();
    const TreeSize size = newest_size_;
    writing_ = true;
    mu_.Unlock();
    const absl::Status s = WriteAnchors(env_, dirs_, note);
    if (!s.ok()) {
      LogEvent(LogLevel::kError, "cannot write the checkpoint anchor; it trails the log",
               {{"anchor_dirs", absl::StrJoin(dirs_, ",")},
                {"tree_size", std::to_string(size)},
                {"error", std::string(s.message())}});
    }
    mu_.Lock();
    writing_ = false;
    if (s.ok()) {
      anchored_size_ = size;
      ++writes_;
    } else {
      last_error_ = s;
    }
  }
}

}  // namespace ledger::datadir
