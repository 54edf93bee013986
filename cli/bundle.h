// Offline proof bundles: everything needed to check, with no server, that one entry is in a
// log -- its leaf data, the public key that signed it, its RFC 6962 inclusion proof and a
// signed checkpoint -- in one JSON document. docs/cli.md ("Proof bundles") specifies it.
//
// A bundle proves "this key signed this event, and the log (whose checkpoint key the verifier
// trusts) included it at this position". Whether the key was registered and unrevoked at that
// point is a question about the whole log, answered by `ledgerctl verify`.
//
// The encoding is canonical: EncodeBundle is a function of the content, and VerifyBundle
// refuses a file whose bytes are not exactly EncodeBundle of what it decodes to. Together
// with every field being checked, this makes any change to any byte of a bundle fail.
//
// Pure functions, thread-safe.
#ifndef CLI_BUNDLE_H_
#define CLI_BUNDLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::cli {

// The value of the "format" member. Part of the bundle format: DO NOT CHANGE.
inline constexpr absl::string_view kBundleFormat = "factledger-proof-bundle/v1";

struct ProofBundle {
  std::string origin;
  SequenceNumber sequence = 0;
  std::string event_id;
  std::string leaf_data;        // The entry's exact leaf data (docs/format.md §4).
  Hash leaf_hash{};
  std::string key_id;           // 32 bytes.
  crypto::PublicKey public_key{};
  TreeSize tree_size = 0;
  std::vector<Hash> inclusion_proof;
  std::string checkpoint;       // The signed note, verbatim.
};

// The canonical JSON document of `bundle`, ending with a newline.
std::string EncodeBundle(const ProofBundle& bundle);

// Decodes a bundle document: a JSON object with exactly the members of EncodeBundle, each of
// its type and encoding. No cryptographic check. DataLoss naming what is wrong.
absl::StatusOr<ProofBundle> DecodeBundle(absl::string_view document);

// What a verified bundle proves.
struct VerifiedBundle {
  ProofBundle bundle;
  ledger::v1::Event event;
  int64_t recorded_time_micros = 0;
  format::Checkpoint checkpoint;
};

// Checks a bundle document with no server, trusting only `log_key` (the checkpoint verifier
// key the user configured): the document decodes and is canonical; its format is
// kBundleFormat; its origin is the log key's; the checkpoint is signed by the log key and has
// the bundle's tree size; the leaf data decodes, names the bundle's event id and key id, and
// its event parses; the public key has that key id and its signature over the entry verifies;
// the leaf hash is the bundle's; the inclusion proof leads from it at `sequence` to the
// checkpoint's root. DataLoss naming the first check that fails.
absl::StatusOr<VerifiedBundle> VerifyBundle(absl::string_view document,
                                            const format::NoteVerifier& log_key);

// Every check of VerifyBundle but the canonical form: for a bundle carried inside another
// document (a ClaimReview's proof, claimreview.h), whose layout is that document's.
absl::StatusOr<VerifiedBundle> VerifyBundleContent(ProofBundle bundle,
                                                   const format::NoteVerifier& log_key);

// ---- C2SP tlog-proof (c2sp.org/tlog-proof, docs/c2sp.md) ----------------------------------
//
// The same content as a ProofBundle in the text format of the transparency ecosystem:
//
//   c2sp.org/tlog-proof@v1
//   extra <base64( 0x01 || public key (32 bytes) || leaf data )>
//   index <sequence>
//   <one base64 line per inclusion proof hash, leaf side first>
//   <empty line>
//   <the signed checkpoint note, verbatim>
//
// The spec leaves "extra" to the application: ours carries what a verifier needs beyond the
// record hash -- the signer's public key and the entry's exact leaf data (docs/format.md §4) --
// so that a .tlog-proof is as self-contained as a JSON bundle. A generic tlog-proof verifier
// that knows the entry's leaf hash needs none of it. Nothing in "extra" is trusted: the leaf
// data is checked by the inclusion proof, the key by its key id and the entry's signature.
// The encoding is canonical (one document per content), so any changed byte fails.

// The first line and the extra layout version. Part of the format: DO NOT CHANGE.
inline constexpr absl::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
inline constexpr uint8_t kTlogProofExtraVersion = 0x01;

// The tlog-proof document of `bundle` (its checkpoint note must end with a newline).
std::string EncodeTlogProof(const ProofBundle& bundle);
// True when `document` starts with the tlog-proof header line.
bool IsTlogProof(absl::string_view document);
// Decodes a tlog-proof document, filling every field of ProofBundle (origin and tree size from
// the checkpoint, event and key ids from the leaf data, the leaf hash recomputed). No
// cryptographic check; the document must be exactly EncodeTlogProof of the result. DataLoss
// naming the line or field that is wrong.
absl::StatusOr<ProofBundle> DecodeTlogProof(absl::string_view document);
// DecodeTlogProof, then every check of VerifyBundleContent. DataLoss naming the first failure.
absl::StatusOr<VerifiedBundle> VerifyTlogProof(absl::string_view document,
                                               const format::NoteVerifier& log_key);

}  // namespace ledger::cli

#endif  // CLI_BUNDLE_H_
