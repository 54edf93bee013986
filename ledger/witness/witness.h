// A tlog-witness (c2sp.org/tlog-witness): the add-checkpoint logic of `witnessd`, with no
// HTTP. For each log it trusts (origin -> checkpoint verifier key) it keeps the latest
// checkpoint it cosigned, and cosigns a new one only when it is signed by the log, its old
// size is that checkpoint's size, and the consistency proof from it verifies. So it never
// cosigns a rollback or a fork.
//
// State: one file per log under `state_dir`, "<state_dir>/log-<hex SHA-256(origin)>", holding
// the latest cosigned checkpoint note verbatim. It is replaced with WriteFileAtomically
// (temporary file, fsync, rename, directory fsync) BEFORE the cosignature is returned, under
// the same lock as the old-size check: the check and the update are atomic, as the spec asks.
// Crash point "witness-after-persist" lies between the write and the reply.
//
// Thread-safe: AddCheckpoint may be called concurrently (one mutex serialises them).
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(auto w, Witness::Open(options));
//   Witness::Reply r = w->AddCheckpoint(request_body);  // -> HTTP status, type, body
#ifndef LEDGER_WITNESS_WITNESS_H_
#define LEDGER_WITNESS_WITNESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/cosignature.h"

namespace ledger::witness {

struct WitnessOptions {
  std::string name;                       // the cosigner name, e.g. "witness.example/w1"
  std::shared_ptr<const crypto::Ed25519PrivateKey> key;
  std::vector<format::NoteVerifier> logs;  // trusted logs: origin (= key name) and key
  std::string state_dir;                  // created if missing
  // Seconds since the epoch for cosignature timestamps; the wall clock when empty.
  std::function<uint64_t()> now_seconds;
};

class Witness {
 public:
  // Loads the state of every trusted log. Errors: InvalidArgument for a bad name, no key, or
  // two logs with one origin; Internal when state_dir cannot be created or read; DataLoss when
  // a state file does not hold a checkpoint of its log signed by the log's key.
  static absl::StatusOr<std::unique_ptr<Witness>> Open(WitnessOptions options);

  // The HTTP answer to one add-checkpoint request body, exactly as the spec orders the checks:
  //   400 malformed body, or old size > checkpoint size    (text/plain, names the problem)
  //   404 unknown origin                                   (text/plain)
  //   403 no signature by a trusted key of that origin verifies (text/plain)
  //   409 old size is not the latest cosigned size, or equal sizes with another root
  //       (text/x.tlog.size: "<latest cosigned size>\n")
  //   422 the consistency proof does not verify (or is not empty for old size 0)
  //   500 the state could not be persisted (nothing cosigned)
  //   200 one cosignature line (cosignature.h), after the state is persisted.
  struct Reply {
    int status = 200;
    std::string content_type;
    std::string body;
  };
  Reply AddCheckpoint(absl::string_view body);

  // The latest cosigned checkpoint of `origin`, or nullopt.
  std::optional<format::Checkpoint> Latest(absl::string_view origin) const;

  // This witness's cosigner verifier key ("<name>+<id>+<base64(0x04 || key)>").
  std::string VerifierKey() const;

  // "<state_dir>/log-<hex SHA-256(origin)>".
  static std::string StateFile(absl::string_view state_dir, absl::string_view origin);

 private:
  explicit Witness(WitnessOptions options) : options_(std::move(options)) {}

  const WitnessOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, format::Checkpoint, std::less<>> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ledger::witness

#endif  // LEDGER_WITNESS_WITNESS_H_
