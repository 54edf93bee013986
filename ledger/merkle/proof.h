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

// Proofs in two steps, for stores that read many nodes at once (and callers that combine
// several hashes in one read, e.g. a proof, its leaf and a historic root):
//   1. a ProofPlan lists the hashes wanted -- each MTH(D[begin:end]) of a node of the RFC 6962
//      tree -- and the distinct stored nodes they fold (nothing is read);
//   2. ReadPlan reads those nodes with ONE call of a NodeBatchReader and folds them.
//
// Example:
//   LEDGER_ASSIGN_OR_RETURN(ProofPlan plan, PlanInclusionProof(index, size));
//   const size_t proof_len = plan.size();
//   LEDGER_RETURN_IF_ERROR(plan.AddRange(index, index + 1));  // the leaf hash too
//   LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> hashes, ReadPlan(plan, batch_reader));
//   // hashes[0 .. proof_len) is the proof, hashes[proof_len] the leaf hash.
class ProofPlan {
 public:
  // Appends the hash MTH(D[begin:end]). InvalidArgument (nothing appended) unless begin < end
  // and the range is a node of an RFC 6962 tree (see SubtreeRoot).
  absl::Status AddRange(uint64_t begin, uint64_t end);

  // The number of hashes appended.
  size_t size() const { return range_ends_.size(); }

  // The distinct stored nodes the hashes need, sorted by (level, index).
  std::vector<NodeId> DistinctNodes() const;

  // The hashes, in the order appended, given hashes[i] = the hash of nodes[i], where `nodes`
  // is DistinctNodes() (or any sorted superset of it).
  std::vector<Hash> Fold(const std::vector<NodeId>& nodes, const std::vector<Hash>& hashes) const;

 private:
  // The nodes of every hash, each hash's left to right (RangeNodes of its range).
  std::vector<NodeId> steps_;
  // range_ends_[i]: one past the last step of hash i.
  std::vector<uint32_t> range_ends_;
};

// The plan of PATH(leaf_index, D[0:size]) (InclusionProof); errors as InclusionProof's own.
absl::StatusOr<ProofPlan> PlanInclusionProof(uint64_t leaf_index, TreeSize size);

// The plan of PROOF(from_size, D[0:to_size]) (ConsistencyProof); errors as its own.
absl::StatusOr<ProofPlan> PlanConsistencyProof(TreeSize from_size, TreeSize to_size);

// Reads plan.DistinctNodes() with one call of `read` (none when the plan needs no node) and folds
// them. The reader's error is returned with its code.
absl::StatusOr<std::vector<Hash>> ReadPlan(const ProofPlan& plan, const NodeBatchReader& read);

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_PROOF_H_
