// The tlog-tiles resources of a log (c2sp.org/tlog-tiles; docs/c2sp.md): Merkle tiles and entry
// bundles, read from the store (ReadTile, for ledgerd's HTTP API) or built in one pass over the
// entries (TileBuilder, for `ledgerctl export --format tiles`). Both produce the same bytes.
//
//   Merkle tile (level L, index N, width W): the W hashes of the perfect subtrees at Merkle
//     level 8L with indexes N*256 .. N*256+W-1, 32 bytes each, concatenated. At level 0 these
//     are the leaf hashes SHA-256(0x00 || leaf_data) of docs/format.md §4.
//   Entry bundle (index N, width W): for each entry N*256 .. N*256+W-1, u16be(len(leaf_data))
//     || leaf_data. An item is exactly the entry's leaf data (docs/format.md §4), so hashing it
//     as an RFC 6962 leaf gives the level-0 tile's hash. Leaf data over 65535 bytes cannot be
//     written with the spec's u16 prefix: such a bundle is refused (FailedPrecondition), never
//     truncated (docs/c2sp.md, "Deviations").
#ifndef LEDGER_TILES_TILES_H_
#define LEDGER_TILES_TILES_H_

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/store/log_store.h"
#include "ledger/tiles/tile_path.h"

namespace ledger::tiles {

// The most bytes one entry bundle item can carry (the spec's big-endian uint16 length prefix).
inline constexpr size_t kMaxBundleEntryBytes = 65535;
// So the largest entry bundle: 256 items of 2 + 65535 bytes (16,777,472 bytes). This bounds
// every read ReadTile does: a Merkle tile is at most 8,192 bytes.
inline constexpr size_t kMaxEntryBundleBytes = kTileWidth * (2 + kMaxBundleEntryBytes);

// Whether `id` is a resource of the tree of `tree_size` leaves: every hash (or entry) it holds
// lies within the tree. Partial tiles of any smaller tree are resources too (their bytes never
// change once the tree has grown past them).
bool TileExists(const TileId& id, TreeSize tree_size);

// The bytes of `id` in the tree of `tree_size` leaves, read from `store` (which must hold at
// least tree_size entries). Errors: NotFound when !TileExists(id, tree_size);
// FailedPrecondition when an entry of the bundle is over kMaxBundleEntryBytes (naming it);
// DataLoss when a node or entry the tree must have is missing; the store's errors otherwise.
absl::StatusOr<std::string> ReadTile(const store::LogStore& store, TreeSize tree_size,
                                     const TileId& id);

// Appends one entry bundle item (u16be length || leaf_data). FailedPrecondition when leaf_data
// is over kMaxBundleEntryBytes, naming `sequence`.
absl::Status AppendBundleEntry(SequenceNumber sequence, absl::string_view leaf_data,
                               std::string* bundle);

// Decodes an entry bundle of `width` items (1..256): u16be(len) || leaf_data, each item's
// leaf data returned in order. Strict: DataLoss naming the item (and `name`, e.g. the bundle's
// path) when the body is over kMaxEntryBundleBytes, an item's length runs past the end, the
// bundle ends before `width` items or has bytes after the last one. InvalidArgument for a
// width outside 1..256. Never trusts the lengths for allocation beyond the body's own size.
absl::StatusOr<std::vector<std::string>> ParseEntryBundle(absl::string_view bytes,
                                                          uint32_t width,
                                                          absl::string_view name = "entry bundle");

// Builds every tile and entry bundle of a tree from its entries in order, with memory bounded
// by one tile per level plus one bundle: each full tile is handed to the sink as soon as it is
// complete, the partial ones at Finish. Thread-compatible.
//
// Example:
//   TileBuilder builder([&](const TileId& id, std::string bytes) { return Write(id, bytes); });
//   for (...) LEDGER_RETURN_IF_ERROR(builder.Add(leaf_data));
//   LEDGER_RETURN_IF_ERROR(builder.Finish());
//   if (builder.root() != checkpoint.root_hash) ...
class TileBuilder {
 public:
  // Receives each resource once; an error stops the build and is returned by Add or Finish.
  using Sink = std::function<absl::Status(const TileId& id, std::string bytes)>;
  explicit TileBuilder(Sink sink) : sink_(std::move(sink)) {}

  // Adds the next entry's leaf data. Errors: the sink's, or AppendBundleEntry's.
  absl::Status Add(absl::string_view leaf_data);
  // Emits the partial tiles and bundle of the tree built so far. Call once, after the last Add.
  absl::Status Finish();

  TreeSize size() const { return frontier_.size(); }
  // The RFC 6962 root of the entries added so far.
  Hash root() const { return frontier_.Root(); }

 private:
  Sink sink_;
  merkle::Frontier frontier_;
  // levels_[L]: the hashes of the tile of level L being filled (fewer than 256).
  std::vector<std::vector<Hash>> levels_;
  std::string bundle_;
  uint32_t bundle_count_ = 0;
  std::vector<std::pair<merkle::NodeId, Hash>> new_nodes_;
};

}  // namespace ledger::tiles

#endif  // LEDGER_TILES_TILES_H_
