// The append loop of `ledgerctl import`: signed events go to the server in atomic batches
// (AppendBatch); when a batch is refused, its events are appended one by one so that a bad
// event only loses itself. Idempotent like every append: an event already in the log counts as
// "already present", so an interrupted import is simply run again.
#ifndef CLI_IMPORTER_H_
#define CLI_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::cli {

// The batch `ledgerctl import --batch-signature` sends for `events` (docs/format.md §11): one
// signature by `key` over the events' ids and bytes. Its batch id is "import-" and the hex of the
// first 12 bytes of SHA-256 over the ids (each followed by "\n"), so a re-run of the same import
// signs the same batch. Preconditions: 1..1000 events.
ledger::v1::SignedBatch SignImportBatch(absl::string_view origin,
                                        const std::vector<ledger::v1::SignedEvent>& events,
                                        const crypto::Ed25519PrivateKey& key);

// Where imported events go: LedgerClient in ledgerctl, a fake in tests. Errors are the
// server's refusals (ledger/base/error.h reasons attached) or UNAVAILABLE-like failures.
class AppendTarget {
 public:
  virtual ~AppendTarget() = default;
  // All or nothing, in order; one result per event.
  virtual absl::StatusOr<ledger::v1::AppendBatchResponse> AppendBatch(
      const std::vector<ledger::v1::SignedEvent>& events) = 0;
  virtual absl::StatusOr<ledger::v1::AppendResponse> Append(
      const ledger::v1::SignedEvent& event) = 0;
};

// One event to import and where it came from.
struct ImportItem {
  std::string where;  // e.g. "claims.jsonl:12", for messages
  ledger::v1::SignedEvent event;
};

struct ImportCounts {
  uint64_t appended = 0;
  uint64_t already_present = 0;
  uint64_t refused = 0;
};

struct ImportOptions {
  // Events per AppendBatch, 1..1000.
  size_t batch_size = 100;
  // Called after each batch with the number of items done so far. May be empty.
  std::function<void(uint64_t)> progress;
  // Called for each refused item with the server's error. May be empty.
  std::function<void(const ImportItem&, const absl::Status&)> on_refused;
};

// True for errors that make continuing pointless: the server is unreachable, stopping or out
// of disk (the import stops and should be re-run later), or it does not accept the signing key
// (KEY_NOT_REGISTERED, KEY_REVOKED: every other event would be refused the same way).
bool IsFatalImportError(const absl::Status& status);

// Appends `items` in order and adds the outcome of each to *counts. Returns OK when every item
// was decided (appended, already present or refused), or the fatal error (IsFatalImportError)
// that stopped the import; *counts then holds what was decided before it.
absl::Status ImportEvents(const std::vector<ImportItem>& items, AppendTarget* target,
                          const ImportOptions& options, ImportCounts* counts);

}  // namespace ledger::cli

#endif  // CLI_IMPORTER_H_
