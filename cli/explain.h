// Explain bundles: a claim's state as of a tree size, with everything needed to check it with
// no server (docs/format.md §13, docs/cli.md "Explain bundles"):
//
//   - the map checkpoint (a checkpoint with the claim-state map root, signed by the log key);
//   - the claim's map proof: its state hash in that map, or a proof that it is absent;
//   - every log entry that concerns the claim up to that size, each a proof bundle (cli/bundle.h)
//     whose inclusion proof leads to the map checkpoint's root;
//   - the state the server answered (status, versions, verdicts, appearances, relations).
//
// VerifyExplainBundle checks the signatures and proofs, recomputes the claim's state hash from
// the entries (so no entry was left out, added or reordered: the answer is complete as of that
// size -- "as of checkpoint N, X stands as stated"), replays the entries with the rules of
// docs/format.md §13 and requires the server's stated state to be exactly the replayed one.
//
// Pure functions, thread-safe.
#ifndef CLI_EXPLAIN_H_
#define CLI_EXPLAIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/bundle.h"
#include "ledger/base/types.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/state_map.h"
#include "ledger/v1/claim.pb.h"
#include "ledger/v1/claim_service.pb.h"

namespace ledger::cli {

// The value of the "format" member. Part of the bundle format: DO NOT CHANGE.
inline constexpr absl::string_view kExplainFormat = "factledger-explain-bundle/v1";

// What a claim's entries say, replayed (docs/format.md §13, "Replaying a claim").
struct ClaimAnswer {
  bool exists = false;                 // some entry concerns the claim
  std::string status;                  // "ACTIVE", "CORRECTED", "RETRACTED"
  SequenceNumber asserted_sequence = 0;
  SequenceNumber version_sequence = 0;  // the assert or the latest correction
  std::vector<SequenceNumber> history;  // every entry, in order
  std::vector<SequenceNumber> verdicts;
  std::vector<SequenceNumber> appearances;
  std::vector<SequenceNumber> relations;
  ledger::v1::Claim claim;               // the current version's content
  bool operator==(const ClaimAnswer& o) const;
};

struct ExplainBundle {
  std::string origin;
  std::string claim_id;
  TreeSize tree_size = 0;
  std::string map_checkpoint;          // the signed note, verbatim
  std::optional<Hash> state_hash;      // nullopt: the map proves the claim absent
  merkle::MapProof map_proof;
  std::vector<ProofBundle> entries;    // each with checkpoint == map_checkpoint
  ClaimAnswer stated;                  // what the server answered (exists == false: not found)
};

// The answer the entries give (docs/format.md §13.5, step 5): they must be the claim's, in log
// order, verified. DataLoss when they break the replay rules.
absl::StatusOr<ClaimAnswer> ReplayClaimEntries(const std::string& claim_id,
                                               const std::vector<VerifiedBundle>& entries);

// The claim's answer as the server stated it in a GetClaim response.
ClaimAnswer StatedAnswer(const ledger::v1::ClaimDetails& details);
// A map proof from its wire form; DataLoss naming the malformed field.
absl::StatusOr<merkle::MapProof> MapProofOf(const ledger::v1::StateProof& proof);

// The JSON document, ending with a newline.
std::string EncodeExplainBundle(const ExplainBundle& bundle);
// DataLoss naming what is malformed. No cryptographic check.
absl::StatusOr<ExplainBundle> DecodeExplainBundle(absl::string_view document);
// True when `document` is a JSON object whose "format" is kExplainFormat.
bool IsExplainBundle(absl::string_view document);

struct VerifiedExplain {
  ExplainBundle bundle;
  format::MapCheckpoint map_checkpoint;
  ClaimAnswer replayed;
};

// Every check above, trusting only `log_key`. DataLoss naming the first check that fails.
absl::StatusOr<VerifiedExplain> VerifyExplainBundle(absl::string_view document,
                                                    const format::NoteVerifier& log_key);

}  // namespace ledger::cli

#endif  // CLI_EXPLAIN_H_
