// Addresses of nodes in an RFC 6962 Merkle tree.
#ifndef LEDGER_MERKLE_NODE_ID_H_
#define LEDGER_MERKLE_NODE_ID_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/base/types.h"

namespace ledger::merkle {

// A perfect (complete) subtree: the node at `level` (0 = leaf) and `index` covers the leaves
// [index << level, (index + 1) << level). Only perfect subtrees are ever stored: the hash of
// such a node never changes once the tree has grown past it.
struct NodeId {
  uint32_t level = 0;
  uint64_t index = 0;

  uint64_t begin() const { return index << level; }
  uint64_t end() const { return (index + 1) << level; }
  bool operator==(const NodeId& o) const { return level == o.level && index == o.index; }
  bool operator<(const NodeId& o) const {
    return level != o.level ? level < o.level : index < o.index;
  }
};

// Reads the hash of a stored perfect subtree. Returns NotFound when the node does not exist,
// or another error from the storage underneath.
using NodeReader = std::function<absl::StatusOr<Hash>(NodeId)>;

// Reads the hashes of several stored perfect subtrees at once (e.g. one RocksDB MultiGet over one
// snapshot). On OK, out->size() == ids.size() and (*out)[i] is the hash of ids[i]. Errors as for
// NodeReader (NotFound for a missing node), naming the node that failed.
using NodeBatchReader =
    std::function<absl::Status(const std::vector<NodeId>& ids, std::vector<Hash>* out)>;

}  // namespace ledger::merkle

#endif  // LEDGER_MERKLE_NODE_ID_H_
