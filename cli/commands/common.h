// Helpers shared by ledgerctl's commands: flags every command has, key arguments, files, and
// signing + appending one event.
#ifndef CLI_COMMANDS_COMMON_H_
#define CLI_COMMANDS_COMMON_H_

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/bundle.h"
#include "cli/client.h"
#include "cli/log_reader.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim.pb.h"
#include "ledger/witness/cosignature.h"

namespace ledger::cli {

// Adds --json ("machine-readable output") to `cmd`.
void AddJsonFlag(CLI::App* cmd, bool* json);

// Sets `cmd`'s footer to its examples (and anything else worth saying after the flags).
void SetExamples(CLI::App* cmd, absl::string_view text);

// Reads a whole file ("-" is stdin). InvalidArgument when it cannot be read.
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path);

// A public key given as a file (keygen's .pub) or as 64 hex digits. InvalidArgument.
absl::StatusOr<crypto::PublicKey> ParsePublicKeyArg(const std::string& file_or_hex);

// A checkpoint verifier key "<origin>+<hash>+<base64>", given as the string or as a file
// holding it (e.g. .data/checkpoint-verifier-key): format::ParseLogKey, which must name an
// origin. InvalidArgument.
absl::StatusOr<format::NoteVerifier> ParseLogKeyArg(const std::string& text_or_file);

// --witness-key (repeatable) and --witness-policy: the k-of-n witness policy a consumer requires
// of a checkpoint (ledger/witness/cosignature.h; docs/c2sp.md "Witness cosigning").
struct WitnessFlags {
  std::vector<std::string> keys;  // cosigner verifier keys, or files holding one
  int policy = 0;                 // 0: a majority of the keys
};
void AddWitnessFlags(CLI::App* cmd, WitnessFlags* flags);
// nullopt when no --witness-key was given (and no --witness-policy: InvalidArgument then).
// InvalidArgument naming the bad key or policy.
absl::StatusOr<std::optional<witness::WitnessPolicy>> WitnessPolicyFromFlags(
    const WitnessFlags& flags);

// Fetches the log's origin (needed to sign). Errors from LedgerClient.
absl::StatusOr<std::string> FetchOrigin(LedgerClient* client);

// A connection to a server, with the log's origin: what the commands that sign and append
// (register-key, revoke-key, submit, import) need first.
struct SigningConnection {
  std::unique_ptr<LedgerClient> client;
  std::string origin;
};
// Connects to `server` and fetches the origin. On failure prints why on stderr and returns
// nullopt with *exit_code set (kExitUsage when the address is unusable, else ReportError's).
std::optional<SigningConnection> ConnectForSigning(const ServerOptions& server, int* exit_code);

// A log to read (a server or a data directory) and the trusted log key to check its
// checkpoints with: what checkpoint, proof, show and bundle need first.
struct CheckedLogSource {
  std::unique_ptr<LogReader> reader;
  std::optional<format::NoteVerifier> verifier;  // Set when a log key was given.
};
// Parses `log_key` (ParseLogKeyArg; skipped when it is empty and not `log_key_required`), then
// opens `source`. On failure prints why on stderr ("ledgerctl: --log-key: ..." with kExitUsage,
// or ReportOpenError's) and returns nullopt with *exit_code set.
std::optional<CheckedLogSource> OpenCheckedLogSource(const SourceOptions& source,
                                                     const std::string& log_key,
                                                     bool log_key_required, int* exit_code);

// The latest checkpoint of `reader` and its signed note, its signature checked when `verifier`
// is given. On failure prints why on stderr and returns nullopt with *exit_code set
// (kExitNotIntact when the signature does not verify).
std::optional<std::pair<format::Checkpoint, std::string>> LatestCheckpointChecked(
    LogReader* reader, const std::optional<format::NoteVerifier>& verifier, int* exit_code);

// The proof bundle of `entry` in the tree of `checkpoint` (whose signed note is `note`): the
// inclusion proof from `reader`, and the signer's public key -- `public_key` when given, else
// found in the log (LogReader::SignerPublicKey; `key_cache`, when given, remembers them).
absl::StatusOr<ProofBundle> BundleOfEntry(
    LogReader* reader, const ledger::v1::Entry& entry, const format::Checkpoint& checkpoint,
    const std::string& note, const std::optional<crypto::PublicKey>& public_key = std::nullopt,
    std::map<std::string, crypto::PublicKey>* key_cache = nullptr);

// Signs `event` under `event_id` (empty: derived from its bytes), appends it and prints the
// outcome ("appended ID at sequence N", or its JSON object). Returns the exit code; a refusal
// is printed on stderr as "event ID refused: ...".
int AppendOne(LedgerClient* client, const std::string& origin, const std::string& event_id,
              const ledger::v1::Event& event, const crypto::Ed25519PrivateKey& key, bool json);

}  // namespace ledger::cli

#endif  // CLI_COMMANDS_COMMON_H_
