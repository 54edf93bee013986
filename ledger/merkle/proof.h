// Building RFC 6962 roots and proofs from stored perfect subtrees.
//
// Every function reads O(log n) nodes through a NodeReader and never reads leaves in bulk.
// The reader must serve every perfect subtree of a tree at least as large as the sizes asked
// about (a store that persists every node Frontier::Append emits does): perfect subtrees never
// change as the tree grows, so any historic size can be served from the current store, and no
// node beyond the requested size is ever read.
//
// Every error is either InvalidArgument (impossible arguments, nothing read) or the reader's
// own error, propagated with its code and the node named in the message.
#ifndef LEDGER_MERKLE_PROOF_H_
#define LEDGER_MERKLE_PROOF_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/base/types.h"
#include "ledger/merkle/node_id.h"

namespace ledger::merkle {

// Returns the RFC 6962 hash MTH(D[begin:end]) of the leaves [begin, end), folding the
// popcount(end - begin) nodes RangeNodes(begin, end). Precondition: begin < end and `begin`
// is a multiple of the smallest power of two >= end - begin, i.e. the range is a node of
// the RFC 6962 tree of size `end` (InvalidArgument otherwise).
absl::StatusOr<Hash> SubtreeRoot(uint64_t begin, uint64_t end, const NodeReader& read);

// Returns the root of the tree of `size` leaves (EmptyRoot() for 0, without reading).
// At most 64 reads.
absl::StatusOr<Hash> RootAt(TreeSize size, const NodeReader& read);

// Returns the RFC 6962 §2.1.1 audit path PATH(leaf_index, D[0:size]), ordered from the leaf's
// sibling up to the child of the root. InvalidArgument when leaf_index >= size (hence also
// for size 0). At most 2 * 64 reads.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(index, size, reader));
//   // A client checks it with VerifyInclusion(index, size, leaf_hash, proof, root).
absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t leaf_index, TreeSize size,
                                                 const NodeReader& read);

// Returns the RFC 6962 §2.1.2 consistency proof PROOF(from_size, D[0:to_size]). Returns an
// empty proof when from_size == 0 or from_size == to_size (RFC 6962 defines no proof from the
// empty tree; note that VerifyConsistency rejects size1 == 0, see verify.h).
// InvalidArgument when from_size > to_size. At most 3 * 64 reads.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(TreeSize from_size, TreeSize to_size,
                                                   const NodeReader& read);

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_PROOF_H_
