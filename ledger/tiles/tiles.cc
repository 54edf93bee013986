#include "ledger/tiles/tiles.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/merkle/hasher.h"

namespace ledger::tiles {
namespace {

using U128 = unsigned __int128;

// [first, first + width) of Merkle level 8 * level (or of entries for a bundle).
U128 FirstNode(const TileId& id) { return static_cast<U128>(id.index) * kTileWidth; }

}  // namespace

bool TileExists(const TileId& id, TreeSize tree_size) {
  if (id.width < 1 || id.width > kTileWidth || id.level > kMaxTileLevel) return false;
  const uint32_t merkle_level = id.entries ? 0 : id.level * kTileHeight;
  if (merkle_level >= 64) return false;  // no tree of 2^64 - 1 leaves has a node there
  const U128 end_node = FirstNode(id) + id.width;
  // The leaves those nodes cover end at end_node << merkle_level; compare without overflow.
  if (end_node > (static_cast<U128>(tree_size) >> merkle_level)) return false;
  return true;
}

absl::Status AppendBundleEntry(SequenceNumber sequence, absl::string_view leaf_data,
                               std::string* bundle) {
  if (leaf_data.size() > kMaxBundleEntryBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "entry ", sequence, " is ", leaf_data.size(),
        " bytes of leaf data; a tlog-tiles entry bundle item holds at most ",
        kMaxBundleEntryBytes, " (kMaxBundleEntryBytes, u16 length prefix)"));
  }
  PutFixed16BE(bundle, static_cast<uint16_t>(leaf_data.size()));
  bundle->append(leaf_data.data(), leaf_data.size());
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTile(const store::LogStore& store, TreeSize tree_size,
                                     const TileId& id) {
  if (!TileExists(id, tree_size)) {
    return absl::NotFoundError(absl::StrCat(TilePath(id), " is not part of the tree of size ",
                                            tree_size));
  }
  const uint64_t first = static_cast<uint64_t>(FirstNode(id));
  std::string out;
  if (id.entries) {
    uint32_t count = 0;
    absl::Status item;
    LEDGER_RETURN_IF_ERROR(store.ScanEntries(
        first, first + id.width, [&](SequenceNumber sequence, absl::string_view leaf_data) {
          if (sequence != first + count) {
            item = absl::DataLossError(
                absl::StrCat("entry ", first + count, " is missing from the store"));
            return false;
          }
          item = AppendBundleEntry(sequence, leaf_data, &out);
          ++count;
          return item.ok();
        }));
    LEDGER_RETURN_IF_ERROR(item);
    if (count != id.width) {
      return absl::DataLossError(absl::StrCat("entry ", first + count,
                                              " is missing from the store (tree size ",
                                              tree_size, ")"));
    }
    return out;
  }
  std::vector<merkle::NodeId> ids;
  ids.reserve(id.width);
  for (uint32_t i = 0; i < id.width; ++i) {
    ids.push_back(merkle::NodeId{id.level * kTileHeight, first + i});
  }
  std::vector<Hash> hashes;
  absl::Status s = store.GetNodes(ids, &hashes);
  if (absl::IsNotFound(s)) {
    return absl::DataLossError(absl::StrCat("a node of ", TilePath(id), " is missing from the "
                                            "store: ", s.message()));
  }
  LEDGER_RETURN_IF_ERROR(s);
  out.reserve(hashes.size() * 32);
  for (const Hash& h : hashes) out.append(AsStringView(h).data(), h.size());
  return out;
}

absl::Status TileBuilder::Add(absl::string_view leaf_data) {
  const SequenceNumber sequence = frontier_.size();
  LEDGER_RETURN_IF_ERROR(AppendBundleEntry(sequence, leaf_data, &bundle_));
  if (++bundle_count_ == kTileWidth) {
    LEDGER_RETURN_IF_ERROR(
        sink_(TileId{true, 0, sequence / kTileWidth, kTileWidth}, std::move(bundle_)));
    bundle_.clear();
    bundle_count_ = 0;
  }
  new_nodes_.clear();
  frontier_.Append(merkle::HashLeaf(leaf_data), &new_nodes_);
  for (const auto& [node, hash] : new_nodes_) {
    if (node.level % kTileHeight != 0) continue;
    const uint32_t level = node.level / kTileHeight;
    if (levels_.size() <= level) levels_.resize(level + 1);
    std::vector<Hash>& tile = levels_[level];
    tile.push_back(hash);
    if (tile.size() == kTileWidth) {
      std::string bytes;
      bytes.reserve(kTileWidth * 32);
      for (const Hash& h : tile) bytes.append(AsStringView(h).data(), h.size());
      tile.clear();
      LEDGER_RETURN_IF_ERROR(sink_(TileId{false, level, node.index / kTileWidth, kTileWidth},
                                   std::move(bytes)));
    }
  }
  return absl::OkStatus();
}

absl::Status TileBuilder::Finish() {
  const TreeSize size = frontier_.size();
  if (bundle_count_ > 0) {
    LEDGER_RETURN_IF_ERROR(
        sink_(TileId{true, 0, size / kTileWidth, bundle_count_}, std::move(bundle_)));
    bundle_.clear();
    bundle_count_ = 0;
  }
  for (uint32_t level = 0; level < levels_.size(); ++level) {
    const std::vector<Hash>& tile = levels_[level];
    if (tile.empty()) continue;
    std::string bytes;
    for (const Hash& h : tile) bytes.append(AsStringView(h).data(), h.size());
    const uint64_t index = (size >> (level * kTileHeight)) / kTileWidth;
    LEDGER_RETURN_IF_ERROR(sink_(
        TileId{false, level, index, static_cast<uint32_t>(tile.size())}, std::move(bytes)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseEntryBundle(absl::string_view bytes,
                                                          uint32_t width,
                                                          absl::string_view name) {
  if (width < 1 || width > kTileWidth) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": width ", width, " is outside 1..", kTileWidth));
  }
  if (bytes.size() > kMaxEntryBundleBytes) {
    return absl::DataLossError(absl::StrCat(name, ": ", bytes.size(),
                                            " bytes, over the limit of kMaxEntryBundleBytes (",
                                            kMaxEntryBundleBytes, ")"));
  }
  std::vector<std::string> items;
  items.reserve(width);
  size_t at = 0;
  for (uint32_t i = 0; i < width; ++i) {
    if (bytes.size() - at < 2) {
      return absl::DataLossError(absl::StrCat(name, ": ends at item ", i, " of ", width,
                                              " (no room for its 2-byte length)"));
    }
    const size_t len = DecodeFixed16BE(bytes.data() + at);
    at += 2;
    if (bytes.size() - at < len) {
      return absl::DataLossError(absl::StrCat(name, ": item ", i, " has length ", len,
                                              " but only ", bytes.size() - at,
                                              " bytes remain"));
    }
    items.emplace_back(bytes.substr(at, len));
    at += len;
  }
  if (at != bytes.size()) {
    return absl::DataLossError(absl::StrCat(name, ": ", bytes.size() - at,
                                            " bytes after the last of ", width, " items"));
  }
  return items;
}

}  // namespace ledger::tiles
