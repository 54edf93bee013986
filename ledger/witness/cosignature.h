// C2SP tlog-cosignature (c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1") and the k-of-n
// witness policy that consumers (ledgerctl verify, bundle verify) require of a checkpoint.
//
// A cosignature is one signed-note signature line added below a checkpoint's own signature:
//
//   — <cosigner name> base64( key id (4) || u64be timestamp (8) || Ed25519 signature (64) )
//
//   key id  = SHA-256(<name> || "\n" || 0x04 || public key)[0:4]
//   message = "cosignature/v1\n" "time <timestamp, decimal>\n" || <the whole note text>
//
// where the note text is the checkpoint body with its final newline and without any signature
// line (extension lines included). A cosigner's verifier key is
// "<name>+<8 hex digits of key id>+<base64(0x04 || public key)>".
// Part of the signed format (docs/format.md §14): DO NOT CHANGE.
//
// Pure functions, thread-safe.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(WitnessPolicy policy, ParseWitnessPolicy(vkeys, 2));
//   absl::StatusOr<PolicyResult> r = CheckWitnessPolicy(note, policy);
#ifndef LEDGER_WITNESS_COSIGNATURE_H_
#define LEDGER_WITNESS_COSIGNATURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/crypto/ed25519.h"

namespace ledger::witness {

// The signature type byte of Ed25519 cosignature/v1 keys. DO NOT CHANGE.
inline constexpr char kCosignatureV1KeyType = 0x04;
// Bytes of a cosignature/v1 signature after base64 decoding: key id, timestamp, signature.
inline constexpr size_t kCosignatureBytes = 4 + 8 + 64;
// Timestamps above this are refused (the spec: "MUST NOT exceed 2^63 - 1").
inline constexpr uint64_t kMaxCosignatureTimestamp = (uint64_t{1} << 63) - 1;
// A policy names at most this many witnesses.
inline constexpr size_t kMaxPolicyWitnesses = 64;

// A cosigner (witness) as a consumer configures it.
struct Cosigner {
  std::string name;
  crypto::PublicKey public_key{};
};

// The 4-byte cosignature/v1 key id of `key` under `name`.
std::string CosignerKeyId(absl::string_view name, const crypto::PublicKey& key);

// "<name>+<hex key id>+<base64(0x04 || key)>".
std::string CosignerVerifierKey(const Cosigner& cosigner);

// Parses a cosigner verifier key. InvalidArgument naming what is wrong: the shape, a key type
// other than 0x04, a key id that does not match the name and key, a name that is empty, over
// 255 bytes or holds a space or '+'.
absl::StatusOr<Cosigner> ParseCosignerVerifierKey(absl::string_view text);

// The signed message: "cosignature/v1\ntime <timestamp>\n" + note_text.
std::string CosignedMessage(absl::string_view note_text, uint64_t timestamp);

// One signature line (with its final newline) cosigning `note_text` at `timestamp` with `key`
// under `name`. Precondition: timestamp <= kMaxCosignatureTimestamp.
std::string CosignatureLine(absl::string_view name, const crypto::Ed25519PrivateKey& key,
                            absl::string_view note_text, uint64_t timestamp);

// A signed note split into its text (with its final newline) and its signature lines (each
// without its newline). The note must be "<text>\n<line>\n<line>\n...", the text ending in a
// newline and holding no empty line, and each signature line must start with "— ".
// InvalidArgument naming what is wrong; the note is at most kMaxSignedNoteBytes.
inline constexpr size_t kMaxSignedNoteBytes = 16 * 1024;
struct SignedNote {
  std::string text;
  std::vector<std::string> signature_lines;
};
absl::StatusOr<SignedNote> SplitSignedNote(absl::string_view note);

// Checks one signature line (without its newline) as a cosignature by `cosigner` over
// `note_text`. Returns its timestamp. Errors: NotFound when the line is not by this cosigner
// (another name or key id: a verifier ignores it); DataLoss when it is by this cosigner but
// is not canonical base64 of kCosignatureBytes, has a timestamp over 2^63 - 1, or its signature
// does not verify.
absl::StatusOr<uint64_t> VerifyCosignatureLine(absl::string_view line,
                                               absl::string_view note_text,
                                               const Cosigner& cosigner);

// Parses the body of a tlog-witness add-checkpoint 200 reply: one or more signature lines, each
// starting with "— " and ending with a newline, at most 64 of them and 16 KiB in all.
// Returns the lines without their newlines. InvalidArgument naming the line that is wrong.
absl::StatusOr<std::vector<std::string>> ParseSignatureLines(absl::string_view body);

// `note` with `lines` (without newlines) appended after its signatures, skipping any line the
// note already holds. Precondition: `note` is a signed note (ends with a newline).
std::string AppendSignatureLines(absl::string_view note, const std::vector<std::string>& lines);

// "Witnessed" = at least `threshold` of `witnesses` have cosigned.
struct WitnessPolicy {
  std::vector<Cosigner> witnesses;
  int threshold = 0;
};

// Builds a policy from cosigner verifier keys and k. InvalidArgument when a key does not parse
// (naming it), two witnesses share a name or a key, there are more than kMaxPolicyWitnesses,
// or k is not in 1..n.
absl::StatusOr<WitnessPolicy> ParseWitnessPolicy(const std::vector<std::string>& verifier_keys,
                                                 int threshold);

struct PolicyResult {
  std::vector<std::string> cosigned_by;  // names of the witnesses whose cosignature verified
  std::vector<std::string> problems;     // "w3: <why its line was refused>", one per refusal
};

// Counts the policy's witnesses with a valid cosignature on `note` (lines by other keys are
// ignored, as the spec asks; a witness counts once however many lines it has). The log's own
// signature is NOT checked here (format::VerifyCheckpoint does that).
// Errors: InvalidArgument for a note that is not a signed note; FailedPrecondition when fewer
// than policy.threshold witnesses cosigned, naming who did, how many are needed and the
// refused lines.
absl::StatusOr<PolicyResult> CheckWitnessPolicy(absl::string_view note,
                                                const WitnessPolicy& policy);

}  // namespace ledger::witness

#endif  // LEDGER_WITNESS_COSIGNATURE_H_
