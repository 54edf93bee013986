#include "ledger/datadir/env_files.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/rocksdb_status.h"

namespace ledger::datadir {

rocksdb::FileSystem* FileSystemOf(rocksdb::Env* env) {
  return (env != nullptr ? env : rocksdb::Env::Default())->GetFileSystem().get();
}

absl::Status WriteSyncedFile(rocksdb::FileSystem* fs, const std::string& path,
                             absl::string_view contents) {
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  LEDGER_RETURN_IF_ERROR(store::FromRocksDbStatus(
      fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr),
      absl::StrCat("creating ", path)));
  rocksdb::IOStatus s =
      file->Append(rocksdb::Slice(contents.data(), contents.size()), io, nullptr);
  if (s.ok()) s = file->Fsync(io, nullptr);
  const rocksdb::IOStatus closed = file->Close(io, nullptr);
  if (s.ok()) s = closed;
  return store::FromRocksDbStatus(s, absl::StrCat("writing ", path));
}

absl::Status RenameFile(rocksdb::FileSystem* fs, const std::string& from, const std::string& to) {
  return store::FromRocksDbStatus(fs->RenameFile(from, to, rocksdb::IOOptions(), nullptr),
                                  absl::StrCat("renaming ", from, " to ", to));
}

absl::Status SyncDirectory(rocksdb::FileSystem* fs, const std::string& dir) {
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSDirectory> directory;
  rocksdb::IOStatus s = fs->NewDirectory(dir, io, &directory, nullptr);
  if (s.ok()) s = directory->Fsync(io, nullptr);
  if (directory != nullptr) directory->Close(io, nullptr).PermitUncheckedError();
  return store::FromRocksDbStatus(s, absl::StrCat("syncing directory ", dir));
}

}  // namespace ledger::datadir
