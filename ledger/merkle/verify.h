// Pure verification of RFC 6962 inclusion and consistency proofs, per RFC 9162 §2.1.3.2 and
// §2.1.4.2. No storage, no I/O; every function is thread-safe.
//
// The accepted inputs match transparency-dev/merkle's `proof` package (whose test vectors the
// tests run): a proof must have exactly the expected length, a consistency proof from size 0
// is rejected as meaningless, and equal sizes need an empty proof and equal roots.
//
// Errors:
//   InvalidArgument  the arguments are impossible, whatever the hashes: leaf_index >= size,
//                    size1 > size2, size1 == 0, or a proof of the wrong length.
//   DataLoss         the proof is well formed but does not lead to the given root; the
//                    message gives the computed ("got") and expected ("wanted") root in hex.
#ifndef LEDGER_MERKLE_VERIFY_H_
#define LEDGER_MERKLE_VERIFY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/base/types.h"

namespace ledger::merkle {

// Returns the root implied by `proof` for the leaf with hash `leaf_hash` (see HashLeaf) at
// `leaf_index` in a tree of `size` leaves. InvalidArgument when leaf_index >= size or when
// proof.size() is not the length of PATH(leaf_index, D[0:size]).
absl::StatusOr<Hash> RootFromInclusionProof(uint64_t leaf_index, TreeSize size,
                                            const Hash& leaf_hash,
                                            const std::vector<Hash>& proof);

// Checks that `proof` proves the leaf with hash `leaf_hash` is at `leaf_index` in the tree of
// `size` leaves whose root is `root`. OK, InvalidArgument (see RootFromInclusionProof) or
// DataLoss when the implied root is not `root`.
//
// The proof commits to the leaf's position, not to the size: the caller must take `size` and
// `root` together from one authenticated checkpoint.
//
// Example:
//   absl::Status s = VerifyInclusion(index, checkpoint.size, HashLeaf(entry), proof,
//                                    checkpoint.root);
absl::Status VerifyInclusion(uint64_t leaf_index, TreeSize size, const Hash& leaf_hash,
                             const std::vector<Hash>& proof, const Hash& root);

// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
// with root `root1`, using the RFC 6962 consistency proof `proof`.
//  - size1 > size2 or size1 == 0: InvalidArgument (a proof from the empty tree proves
//    nothing; a client that trusts size 0 trusts any later tree).
//  - size1 == size2: `proof` must be empty (else InvalidArgument) and root1 == root2 (else
//    DataLoss).
//  - size1 < size2: `proof` must have exactly the length of PROOF(size1, D[0:size2]) (else
//    InvalidArgument), and must reproduce both root1 and root2 (else DataLoss naming which).
absl::Status VerifyConsistency(TreeSize size1, TreeSize size2, const Hash& root1,
                               const Hash& root2, const std::vector<Hash>& proof);

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_VERIFY_H_
