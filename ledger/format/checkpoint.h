// Signed checkpoints in the C2SP tlog-checkpoint format, as C2SP signed notes
// (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note), so that independent tlog
// tooling can verify them:
//
//   <origin>\n
//   <tree size, decimal>\n
//   <base64 root hash>\n
//   \n
//   — <origin> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>\n
//
// The signature covers the first three lines (the note text, with its final newline).
// key hash = SHA-256(<origin> || "\n" || 0x01 || public key)[0:4]. The verifier key string is
// "<origin>+<8 hex digits of key hash>+<base64(0x01 || public key)>".
// Part of the signed format: DO NOT CHANGE.
#ifndef LEDGER_FORMAT_CHECKPOINT_H_
#define LEDGER_FORMAT_CHECKPOINT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"

namespace ledger::format {

struct Checkpoint {
  std::string origin;
  TreeSize tree_size = 0;
  Hash root_hash{};

  bool operator==(const Checkpoint& o) const {
    return origin == o.origin && tree_size == o.tree_size && root_hash == o.root_hash;
  }
};

// An origin names one log, e.g. "example.org/factledger". 1..255 bytes of printable ASCII
// without spaces or '+' (it is also the signed-note key name). InvalidArgument otherwise.
absl::Status ValidateOrigin(absl::string_view origin);

// The note text (the signed part): "<origin>\n<size>\n<base64 root>\n".
std::string CheckpointText(const Checkpoint& checkpoint);

// The whole signed note, signed by `key` under the key name checkpoint.origin.
std::string SignCheckpoint(const Checkpoint& checkpoint, const crypto::Ed25519PrivateKey& key);

// The 4-byte signed-note key hash of an Ed25519 key under `name`.
std::string NoteKeyHash(absl::string_view name, const crypto::PublicKey& key);

// "<name>+<hex key hash>+<base64(0x01 || key)>".
std::string NoteVerifierKey(absl::string_view name, const crypto::PublicKey& key);

struct NoteVerifier {
  std::string name;
  crypto::PublicKey public_key{};
};
// Parses a verifier key string. InvalidArgument naming what is wrong (including a key hash
// that does not match the name and key).
absl::StatusOr<NoteVerifier> ParseNoteVerifierKey(absl::string_view text);

// A trusted log key as given on a command line (--log-key of ledgerd init-follower, ledgerctl
// verify, proof, checkpoint, show and bundle): the one parser of that flag.
struct TrustedLogKey {
  std::string origin;  // Empty when the key was given as a bare public key.
  crypto::PublicKey public_key{};
};
// Accepts
//   - a checkpoint verifier key "<origin>+<hash>+<base64>" (it also names the origin),
//   - a public key: 64 hex digits, or a public key file's text (crypto::ParsePublicKey),
//   - the path of a file holding either of those (surrounding whitespace ignored), such as
//     <data-dir>/checkpoint-verifier-key or keygen's .pub.
// A value that parses as a verifier key is taken as one even if a file of that name exists.
// Errors: InvalidArgument, saying which forms are accepted and why this value is none of them
// (the verifier key's own error for a malformed one, e.g. a key hash that does not match);
// for a file that exists but cannot be read, the reading error's message under
// InvalidArgument.
//
// Example:
//   absl::StatusOr<TrustedLogKey> key = ParseLogKey(flag_value);
//   if (key.ok() && key->origin.empty()) { /* a bare key: the origin comes from elsewhere */ }
absl::StatusOr<TrustedLogKey> ParseLogKey(absl::string_view text_or_file);

// Parses a signed checkpoint and verifies its signature by `verifier`.
// Errors: InvalidArgument when the note is malformed (names the line); DataLoss when it has
// no signature line by the verifier's name and key hash, or that signature does not verify;
// FailedPrecondition when the origin line is not the verifier's name.
absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view note,
                                            const NoteVerifier& verifier);

// Parses the note text only, without any signature check. For tools that must show a
// checkpoint they cannot verify. InvalidArgument when malformed.
absl::StatusOr<Checkpoint> ParseCheckpointUnverified(absl::string_view note);

// ---- Map checkpoints (docs/format.md §13) ---------------------------------------------------
// A checkpoint of the log at one tree size with one extension line that commits the
// claim-state map (ledger/merkle/state_map.h) as of that size:
//
//   <origin>\n<tree size>\n<base64 log root>\nfactledger/v1/claim-state-map <base64 map root>\n
//
// signed by the log key like every checkpoint. Any tlog-checkpoint verifier accepts it as a
// checkpoint (extension lines are allowed); VerifyMapCheckpoint also reads the map root.
inline constexpr absl::string_view kMapRootExtension = "factledger/v1/claim-state-map";

struct MapCheckpoint {
  Checkpoint checkpoint;
  Hash map_root{};
};

std::string MapCheckpointText(const MapCheckpoint& map_checkpoint);
std::string SignMapCheckpoint(const MapCheckpoint& map_checkpoint,
                              const crypto::Ed25519PrivateKey& key);
// VerifyCheckpoint, then: exactly one extension line, the map root's, in canonical base64.
// DataLoss / InvalidArgument naming what is wrong.
absl::StatusOr<MapCheckpoint> VerifyMapCheckpoint(absl::string_view note,
                                                  const NoteVerifier& verifier);

}  // namespace ledger::format

#endif  // LEDGER_FORMAT_CHECKPOINT_H_
