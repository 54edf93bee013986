// C2SP tlog-proof documents (`ledgerctl bundle verify` of a .tlog-proof, cli/bundle.h).
//
// Input: the document.
// Invariants: a document that decodes is exactly EncodeTlogProof of what it decodes to (one
// document per proof), with its leaf hash the hash of its leaf data and at most 64 proof hashes;
// a refusal is DataLoss; a document that verifies against the sample log's key also decodes, to
// the same bundle, and its verified tree size is the checkpoint's.
#include <string>

#include "cli/bundle.h"
#include "ledger/merkle/hasher.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  const std::string doc(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cli::ProofBundle> decoded = cli::DecodeTlogProof(doc);
  if (!decoded.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(decoded.status()));
  } else {
    FUZZ_CHECK_MSG(cli::EncodeTlogProof(*decoded) == doc, "a decoded proof is not canonical");
    FUZZ_CHECK(decoded->leaf_hash == merkle::HashLeaf(decoded->leaf_data));
    FUZZ_CHECK(decoded->inclusion_proof.size() <= 64);
  }
  absl::StatusOr<cli::VerifiedBundle> verified = cli::VerifyTlogProof(doc, fuzz::Verifier());
  FUZZ_EXPECT_VALID(verified.status());
  if (verified.ok()) {
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(cli::EncodeBundle(verified->bundle) == cli::EncodeBundle(*decoded));
    FUZZ_CHECK(verified->checkpoint.tree_size == decoded->tree_size);
  } else {
    FUZZ_CHECK(absl::IsDataLoss(verified.status()));
  }
  return 0;
}
