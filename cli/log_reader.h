// Where ledgerctl reads a log from: a running server (gRPC) or a data directory (its RocksDB
// store, opened read-only, so it works next to a live server and on backups). Every reading
// command is written against LogReader, so each works online and offline alike.
//
// Entries are always rebuilt from their leaf data (the bytes the Merkle tree covers): what a
// command shows is what a proof proves, never a field a server could send beside it.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, OpenLogReader(source));
//   LEDGER_RETURN_IF_ERROR(reader->Scan(0, 10, [](const v1::Entry& e) { ...; return true; }));
#ifndef CLI_LOG_READER_H_
#define CLI_LOG_READER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/client.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::cli {

// --server (and TLS) or --data-dir: where to read.
struct SourceOptions {
  ServerOptions server;
  std::string data_dir;  // When set, read this data directory instead of a server.
};

// Adds the server flags and --data-dir to `cmd`. `options` must outlive the parse.
void AddSourceFlags(CLI::App* cmd, SourceOptions* options);

// Called for each entry; returns false to stop.
using EntryCallback = std::function<bool(const ledger::v1::Entry&)>;

// Thread-compatible. Errors: UNAVAILABLE / DEADLINE_EXCEEDED when the server cannot be
// reached; DATA_LOSS when stored or served bytes fail a check (e.g. leaf data that does not
// decode); NOT_FOUND / OUT_OF_RANGE / INVALID_ARGUMENT for a sequence or size the log does
// not have.
class LogReader {
 public:
  virtual ~LogReader() = default;

  // "server HOST:PORT" or "data directory DIR", for messages.
  virtual std::string Describe() const = 0;
  // The number of entries now (the latest checkpoint's size, online).
  virtual absl::StatusOr<TreeSize> Size() = 0;
  // Calls fn for each entry in [begin, end) that exists, in order, until it returns false.
  virtual absl::Status Scan(SequenceNumber begin, SequenceNumber end, const EntryCallback& fn) = 0;
  virtual absl::StatusOr<ledger::v1::Entry> GetEntry(SequenceNumber sequence) = 0;
  // The latest signed checkpoint (C2SP note text).
  virtual absl::StatusOr<std::string> LatestCheckpoint() = 0;
  // The checkpoint stored for exactly `tree_size` (> 0). NOT_FOUND when none is stored.
  virtual absl::StatusOr<std::string> CheckpointAt(TreeSize tree_size) = 0;
  // RFC 6962 PATH(sequence, D[0:tree_size]).
  virtual absl::StatusOr<std::vector<Hash>> InclusionProof(SequenceNumber sequence,
                                                           TreeSize tree_size) = 0;
  // RFC 6962 PROOF(from, D[0:to]); empty for from == 0 or from == to.
  virtual absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from, TreeSize to) = 0;
  // The public key whose key id is `key_id` (32 bytes), as used by entry `used_at`: offline
  // from the key records or the identity's admin keys; online from the key_registered event
  // before `used_at` (a genesis admin key has none: NOT_FOUND).
  virtual absl::StatusOr<crypto::PublicKey> SignerPublicKey(absl::string_view key_id,
                                                            SequenceNumber used_at) = 0;

  // Entries from `first` down to 0, newest first, until fn returns false. Reads in pages.
  absl::Status ScanBackward(SequenceNumber first, const EntryCallback& fn);
};

// Opens the data directory when options.data_dir is set, else connects to the server.
// UNAVAILABLE when the data directory cannot be opened (DATA_LOSS when it is damaged);
// INVALID_ARGUMENT when a TLS file cannot be read.
absl::StatusOr<std::unique_ptr<LogReader>> OpenLogReader(const SourceOptions& options);

// Decodes stored leaf data into an Entry (signed event fields, recorded time, leaf data and
// the recomputed leaf hash). DATA_LOSS when it does not decode.
absl::StatusOr<ledger::v1::Entry> EntryFromLeafData(SequenceNumber sequence,
                                                    std::string leaf_data);

}  // namespace ledger::cli

#endif  // CLI_LOG_READER_H_
