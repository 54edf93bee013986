// Helpers shared by ledgerctl's commands: flags every command has, key arguments, files, and
// signing + appending one event.
#ifndef CLI_COMMANDS_COMMON_H_
#define CLI_COMMANDS_COMMON_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/client.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim.pb.h"

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

// Fetches the log's origin (needed to sign). Errors from LedgerClient.
absl::StatusOr<std::string> FetchOrigin(LedgerClient* client);

// Signs `event` under `event_id` (empty: derived from its bytes), appends it and prints the
// outcome ("appended ID at sequence N", or its JSON object). Returns the exit code; a refusal
// is printed on stderr as "event ID refused: ...".
int AppendOne(LedgerClient* client, const std::string& origin, const std::string& event_id,
              const ledger::v1::Event& event, const crypto::Ed25519PrivateKey& key, bool json);

}  // namespace ledger::cli

#endif  // CLI_COMMANDS_COMMON_H_
