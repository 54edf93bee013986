// A slow reference implementation of RFC 6962 §2.1, written straight from its recursive
// definitions (MTH, PATH, PROOF/SUBPROOF), for tests to compare the real code against.
//
// Every function takes the leaf HASHES (HashLeaf of each entry), so MTH({d0}) is the single
// leaf hash, and costs O(n) hashes per call. Testonly; thread-safe.
#ifndef LEDGER_MERKLE_TESTING_REFERENCE_H_
#define LEDGER_MERKLE_TESTING_REFERENCE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "ledger/base/types.h"

namespace ledger::merkle::testing {

// MTH(D[n]): EmptyRoot() for no leaves.
Hash ReferenceRoot(absl::Span<const Hash> leaf_hashes);

// PATH(m, D[n]). Precondition: m < leaf_hashes.size().
std::vector<Hash> ReferenceInclusionProof(uint64_t m, absl::Span<const Hash> leaf_hashes);

// PROOF(m, D[n]) = SUBPROOF(m, D[n], true); empty for m == 0 (undefined in RFC 6962) and for
// m == n. Precondition: m <= leaf_hashes.size().
std::vector<Hash> ReferenceConsistencyProof(uint64_t m, absl::Span<const Hash> leaf_hashes);

}  // namespace ledger::merkle::testing

#endif  // LEDGER_MERKLE_TESTING_REFERENCE_H_
