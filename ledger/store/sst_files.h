// The SST files of a store, as datadir/sst_verification.h needs them: which files the store uses
// now, and verifying one file's block checksums. An interface so that the verification (in
// ledger/core) depends on this and not on the concrete RocksDB store; RocksDbLogStore
// implements it.
#ifndef LEDGER_STORE_SST_FILES_H_
#define LEDGER_STORE_SST_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ledger::store {

class SstFiles {
 public:
  virtual ~SstFiles() = default;

  // One SST file: its path and size.
  struct SstFile {
    std::string path;
    uint64_t size = 0;
  };
  // The SST files the store uses now, in file-number order.
  virtual std::vector<SstFile> LiveSstFiles() const = 0;
  // Verifies the block checksums of one SST file. DataLoss naming the file when it is damaged
  // or unreadable.
  virtual absl::Status VerifySstFile(const std::string& path) const = 0;
};

}  // namespace ledger::store

#endif  // LEDGER_STORE_SST_FILES_H_
