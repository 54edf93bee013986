#include "service/tiles_entry_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/tiles/tiles.h"

namespace ledger::service {

absl::StatusOr<TreeSize> CheckpointNoteSize(absl::string_view note, absl::string_view name) {
  const size_t first = note.find('\n');
  const size_t second = first == absl::string_view::npos ? first : note.find('\n', first + 1);
  if (second == absl::string_view::npos) {
    return absl::DataLossError(absl::StrCat(name, ": not a checkpoint (no tree size line)"));
  }
  const absl::string_view line = note.substr(first + 1, second - first - 1);
  uint64_t size = 0;
  const bool digits = !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits || (line.size() > 1 && line[0] == '0') || !absl::SimpleAtoi(line, &size)) {
    return absl::DataLossError(absl::StrCat(name, ": the tree size line \"",
                                            absl::CHexEscape(line.substr(0, 32)),
                                            "\" is not a decimal tree size"));
  }
  return size;
}

TilesEntrySource::Fetch HttpTilesFetch(http::HttpUrl base, absl::Duration timeout) {
  return [base = std::move(base), timeout](const std::string& path,
                                           size_t max_bytes) -> absl::StatusOr<std::string> {
    http::PostOptions options;
    options.timeout = timeout;
    options.max_reply_bytes = max_bytes;
    absl::StatusOr<http::ClientReply> reply = http::Get(base, path, options);
    if (absl::IsResourceExhausted(reply.status())) {
      return absl::DataLossError(
          absl::StrCat(path, ": the body is over its limit of ", max_bytes, " bytes"));
    }
    if (!reply.ok()) {
      return absl::Status(reply.status().code(),
                          absl::StrCat(path, ": ", reply.status().message()));
    }
    if (reply->status == 404) return absl::NotFoundError(absl::StrCat(path, ": 404 Not Found"));
    if (reply->status != 200) {
      return absl::UnavailableError(absl::StrCat(path, ": HTTP status ", reply->status));
    }
    return std::move(reply->body);
  };
}

TilesEntrySource::TilesEntrySource(Fetch fetch, TilesEntrySourceOptions options)
    : fetch_(std::move(fetch)), options_(options) {}

void TilesEntrySource::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
}

absl::StatusOr<std::string> TilesEntrySource::Get(const std::string& path, size_t max_bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return absl::CancelledError("replication is shutting down");
  }
  absl::StatusOr<std::string> body = fetch_(path, max_bytes);
  if (body.ok() && body->size() > max_bytes) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", body->size(), " bytes, over its limit of ", max_bytes));
  }
  return body;
}

absl::StatusOr<std::string> TilesEntrySource::FetchCheckpoint() {
  LEDGER_ASSIGN_OR_RETURN(std::string note, Get("/checkpoint", kMaxMirrorCheckpointBytes));
  LEDGER_ASSIGN_OR_RETURN(TreeSize size, CheckpointNoteSize(note, "/checkpoint"));
  absl::MutexLock lock(&mu_);
  latest_note_ = note;
  latest_size_ = size;
  return note;
}

absl::StatusOr<std::string> TilesEntrySource::LatestCheckpoint(
    const replication::FollowerPosition& position, absl::Duration wait_for_growth) {
  LEDGER_ASSIGN_OR_RETURN(std::string note, FetchCheckpoint());
  {
    absl::MutexLock lock(&mu_);
    if (latest_size_ > position.tree_size || wait_for_growth <= absl::ZeroDuration()) {
      return note;
    }
    // A static server cannot hold the request: wait a little (or until Cancel) and look again.
    mu_.AwaitWithTimeout(absl::Condition(&cancelled_),
                         std::min(wait_for_growth, options_.poll_interval));
  }
  return FetchCheckpoint();
}

absl::StatusOr<std::string> TilesEntrySource::CheckpointAt(TreeSize tree_size) {
  absl::MutexLock lock(&mu_);
  if (latest_note_.empty() || latest_size_ != tree_size) {
    return absl::NotFoundError(absl::StrCat(
        "a tiles log publishes only its latest checkpoint (tree size ", latest_size_,
        "), none for tree size ", tree_size));
  }
  return latest_note_;
}

absl::StatusOr<replication::EntryBatch> TilesEntrySource::Entries(
    const replication::FollowerPosition& /*position*/, SequenceNumber from, size_t max_entries) {
  std::string note;
  TreeSize size;
  {
    absl::MutexLock lock(&mu_);
    note = latest_note_;
    size = latest_size_;
  }
  replication::EntryBatch batch;
  const TreeSize end = from + std::min<TreeSize>(max_entries, size > from ? size - from : 0);
  SequenceNumber next = from;
  while (next < end) {
    const uint64_t index = next / tiles::kTileWidth;
    const TreeSize start = index * tiles::kTileWidth;
    const uint32_t width =
        static_cast<uint32_t>(std::min<TreeSize>(tiles::kTileWidth, size - start));
    const std::string path =
        "/" + tiles::TilePath(tiles::TileId{true, 0, index, width});
    LEDGER_ASSIGN_OR_RETURN(std::string body, Get(path, tiles::kMaxEntryBundleBytes));
    LEDGER_ASSIGN_OR_RETURN(std::vector<std::string> items,
                            tiles::ParseEntryBundle(body, width, path));
    const TreeSize stop = std::min<TreeSize>(end, start + width);
    for (TreeSize s = next; s < stop; ++s) {
      batch.leaf_datas.push_back(std::move(items[s - start]));
    }
    next = stop;
  }
  if (next == size && next > from) batch.checkpoints[size] = std::move(note);
  return batch;
}

absl::StatusOr<std::vector<Hash>> TilesEntrySource::ReadTileHashes(uint32_t level,
                                                                   uint64_t index,
                                                                   uint32_t width) {
  const bool full = width == tiles::kTileWidth;
  if (full) {
    absl::MutexLock lock(&mu_);
    auto it = full_tiles_.find({level, index});
    if (it != full_tiles_.end()) return it->second;
  }
  const std::string path = "/" + tiles::TilePath(tiles::TileId{false, level, index, width});
  LEDGER_ASSIGN_OR_RETURN(std::string body, Get(path, kMaxMerkleTileBytes));
  if (body.size() != size_t{32} * width) {
    return absl::DataLossError(absl::StrCat(path, ": ", body.size(), " bytes, want ",
                                            32 * width, " (", width, " hashes)"));
  }
  std::vector<Hash> hashes(width);
  for (uint32_t k = 0; k < width; ++k) {
    hashes[k] = HashFromBytes(absl::string_view(body).substr(size_t{32} * k, 32));
  }
  if (full) {
    absl::MutexLock lock(&mu_);
    if (full_tiles_.size() >= kMaxCachedTiles) full_tiles_.clear();
    full_tiles_[{level, index}] = hashes;
  }
  return hashes;
}

absl::StatusOr<Hash> TilesEntrySource::ReadNode(merkle::NodeId node, TreeSize to_size) {
  const uint32_t tile_level = node.level / tiles::kTileHeight;
  const uint32_t r = node.level % tiles::kTileHeight;
  const uint64_t first = node.index << r;  // of the level-8L hashes the node folds
  const uint64_t count = uint64_t{1} << r;
  const uint64_t tile_index = first / tiles::kTileWidth;
  const uint64_t available = to_size >> (tiles::kTileHeight * tile_level);
  const uint64_t tile_start = tile_index * tiles::kTileWidth;
  if (first + count > available) {
    return absl::NotFoundError(absl::StrCat("node (level ", node.level, ", index ", node.index,
                                            ") is not in the tiles of tree size ", to_size));
  }
  const uint32_t width =
      static_cast<uint32_t>(std::min<uint64_t>(tiles::kTileWidth, available - tile_start));
  LEDGER_ASSIGN_OR_RETURN(std::vector<Hash> hashes,
                          ReadTileHashes(tile_level, tile_index, width));
  std::vector<Hash> layer(hashes.begin() + (first - tile_start),
                          hashes.begin() + (first - tile_start + count));
  while (layer.size() > 1) {
    std::vector<Hash> up(layer.size() / 2);
    for (size_t k = 0; k < up.size(); ++k) {
      up[k] = merkle::HashChildren(layer[2 * k], layer[2 * k + 1]);
    }
    layer = std::move(up);
  }
  return layer[0];
}

absl::StatusOr<std::vector<Hash>> TilesEntrySource::ConsistencyProof(TreeSize from_size,
                                                                     TreeSize to_size) {
  return merkle::ConsistencyProof(
      from_size, to_size, [this, to_size](merkle::NodeId node) { return ReadNode(node, to_size); });
}

}  // namespace ledger::service
