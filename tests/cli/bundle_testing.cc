#include "tests/cli/bundle_testing.h"

#include <string>

#include "gtest/gtest.h"

namespace ledger::testing {

cli::ProofBundle TestBundle(TestLog& t, SequenceNumber sequence, const crypto::PublicKey& signer) {
  absl::StatusOr<core::LogEntry> entry = t.log().GetEntry(sequence);
  EXPECT_TRUE(entry.ok()) << entry.status();
  absl::StatusOr<core::InclusionProof> proof = t.log().ProveInclusion(sequence, 0);
  EXPECT_TRUE(proof.ok()) << proof.status();
  cli::ProofBundle b;
  if (!entry.ok() || !proof.ok()) return b;
  b.origin = std::string(kTestOrigin);
  b.sequence = sequence;
  b.event_id = entry->event_id;
  b.leaf_data = entry->leaf_data;
  b.leaf_hash = entry->leaf_hash;
  b.key_id = entry->key_id;
  b.public_key = signer;
  b.tree_size = proof->tree_size;
  b.inclusion_proof = proof->hashes;
  b.checkpoint = t.log().LatestCheckpoint();
  return b;
}

format::NoteVerifier TrustedLogKey() {
  return format::NoteVerifier{std::string(kTestOrigin), LogKey().public_key()};
}

}  // namespace ledger::testing
