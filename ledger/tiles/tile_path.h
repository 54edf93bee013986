// C2SP tlog-tiles resource names (c2sp.org/tlog-tiles, docs/c2sp.md): the tile and entry bundle
// coordinates, their paths, and the strict parser of those paths.
//
//   tile/<L>/<N>[.p/<W>]        Merkle tile: level L (0..63), index N, width W (1..255; absent
//                               = a full tile of 256 hashes)
//   tile/entries/<N>[.p/<W>]    entry bundle: the leaf data of entries [N*256, N*256 + W)
//
// <N> is written in zero-padded 3-digit path elements, all but the last prefixed with 'x'
// (1234067 -> x001/x234/067). Each coordinate has exactly one path: the parser refuses leading
// zeros in L and W, a leading "x000" element, W = 256 spelled as a partial tile, and anything
// else the spec's grammar does not produce, so a path that parses is the one a static file
// server would hold. These strings are part of the served format: DO NOT CHANGE.
#ifndef LEDGER_TILES_TILE_PATH_H_
#define LEDGER_TILES_TILE_PATH_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger::tiles {

// A tile spans 8 levels of the Merkle tree: 256 hashes.
inline constexpr uint32_t kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 256;
// The highest level the spec allows in a path.
inline constexpr uint32_t kMaxTileLevel = 63;

// One tile or entry bundle. Immutable value type.
struct TileId {
  bool entries = false;  // an entry bundle (then level is 0)
  uint32_t level = 0;    // 0..kMaxTileLevel
  uint64_t index = 0;
  uint32_t width = kTileWidth;  // 1..256; 256 = full

  bool partial() const { return width < kTileWidth; }
  bool operator==(const TileId& o) const {
    return entries == o.entries && level == o.level && index == o.index && width == o.width;
  }
};

// "tile/0/x001/234", "tile/entries/000.p/5" (no leading slash).
// Precondition: the id is valid (level <= 63, 1 <= width <= 256).
std::string TilePath(const TileId& id);

// Parses a path that starts at "tile/" (no leading slash, no query). InvalidArgument naming the
// offending element and what was wanted when it is not exactly a path TilePath produces.
absl::StatusOr<TileId> ParseTilePath(absl::string_view path);

}  // namespace ledger::tiles

#endif  // LEDGER_TILES_TILE_PATH_H_
