// Explain bundles and map checkpoints (`ledgerctl bundle verify` of `ledgerctl explain`,
// cli/explain.h; docs/format.md §13).
//
// Input: a selector byte, then the document.
//   selector even  an explain bundle, verified against the sample log's checkpoint key. It is
//                  refused only with DATA_LOSS. One that verifies: its map proof verifies
//                  again here for the claim's map key with the bundle's state hash; its entries
//                  reproduce that state hash; the replay equals the stated answer; and the
//                  bundle re-encoded (EncodeExplainBundle of what it decodes to) verifies too.
//   selector odd   a map checkpoint note: refused with INVALID_ARGUMENT, FAILED_PRECONDITION or
//                  DATA_LOSS; accepted only when it is also a valid checkpoint of the same size
//                  and root, and its text re-made from what it says (MapCheckpointText) is the
//                  note's text.
#include <string>

#include "absl/strings/match.h"
#include "cli/explain.h"
#include "ledger/format/checkpoint.h"
#include "ledger/views/claim_state.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

void CheckExplain(const std::string& doc) {
  absl::StatusOr<cli::VerifiedExplain> v = cli::VerifyExplainBundle(doc, Verifier());
  if (!v.ok()) {
    FUZZ_CHECK_MSG(absl::IsDataLoss(v.status()), v.status().ToString());
    return;
  }
  const cli::ExplainBundle& b = v->bundle;
  const Hash key = views::StateMapKey(views::StateSubjectKind::kClaim, b.claim_id);
  absl::StatusOr<std::optional<Hash>> proven =
      merkle::VerifyMapProof(v->map_checkpoint.map_root, key, b.map_proof);
  FUZZ_CHECK(proven.ok() && *proven == b.state_hash);
  Hash chain{};
  for (const cli::ProofBundle& e : b.entries) chain = views::NextStateHash(chain, e.sequence, e.leaf_hash);
  FUZZ_CHECK(b.state_hash.has_value() ? chain == *b.state_hash : b.entries.empty());
  FUZZ_CHECK(v->replayed == b.stated);
  FUZZ_CHECK(v->replayed.exists == b.state_hash.has_value());
  absl::StatusOr<cli::VerifiedExplain> again =
      cli::VerifyExplainBundle(cli::EncodeExplainBundle(b), Verifier());
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
}

void CheckMapCheckpoint(const std::string& note) {
  absl::StatusOr<format::MapCheckpoint> m = format::VerifyMapCheckpoint(note, Verifier());
  if (!m.ok()) {
    FUZZ_CHECK_MSG(absl::IsInvalidArgument(m.status()) || absl::IsFailedPrecondition(m.status()) ||
                       absl::IsDataLoss(m.status()),
                   m.status().ToString());
    return;
  }
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(note, Verifier());
  FUZZ_CHECK(cp.ok() && *cp == m->checkpoint);
  FUZZ_CHECK(absl::StartsWith(note, format::MapCheckpointText(*m) + "\n"));
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    ledger::fuzz::CheckExplain(doc);
  } else {
    ledger::fuzz::CheckMapCheckpoint(doc);
  }
  return 0;
}
