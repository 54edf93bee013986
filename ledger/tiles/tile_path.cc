#include "ledger/tiles/tile_path.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace ledger::tiles {
namespace {

// A decimal in [min, max] with no leading zeros (and not empty).
bool ParseSmallDecimal(absl::string_view s, uint32_t min, uint32_t max, uint32_t* out) {
  if (s.empty() || s.size() > 3) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint32_t v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

bool ThreeDigits(absl::string_view s, uint32_t* out) {
  if (s.size() != 3) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = v;
  return true;
}

absl::Status Bad(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("tile path \"", absl::CEscape(path.substr(0, 200)),
                                                 "\": ", what));
}

}  // namespace

std::string TilePath(const TileId& id) {
  std::string out = id.entries ? "tile/entries/" : absl::StrCat("tile/", id.level, "/");
  // The 3-digit groups of the index, most significant first.
  std::vector<uint32_t> groups;
  uint64_t n = id.index;
  do {
    groups.push_back(static_cast<uint32_t>(n % 1000));
    n /= 1000;
  } while (n > 0);
  for (size_t i = groups.size(); i-- > 0;) {
    absl::StrAppendFormat(&out, "%s%03d%s", i > 0 ? "x" : "", groups[i], i > 0 ? "/" : "");
  }
  if (id.partial()) absl::StrAppend(&out, ".p/", id.width);
  return out;
}

absl::StatusOr<TileId> ParseTilePath(absl::string_view path) {
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  // tile / <L or entries> / N-elements... [/ W]; uint64 needs at most 7 groups.
  if (parts.size() < 3 || parts[0] != "tile") {
    return Bad(path, "want tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
  }
  TileId id;
  if (parts[1] == "entries") {
    id.entries = true;
  } else if (!ParseSmallDecimal(parts[1], 0, kMaxTileLevel, &id.level)) {
    return Bad(path, "level <L> must be a decimal 0..63 without leading zeros, or \"entries\"");
  }
  size_t end = parts.size();
  // A partial tile ends in ".p/<W>": the last index element carries the ".p" suffix.
  if (end >= 4 && absl::EndsWith(parts[end - 2], ".p")) {
    if (!ParseSmallDecimal(parts[end - 1], 1, kTileWidth - 1, &id.width)) {
      return Bad(path, "partial width <W> must be a decimal 1..255 without leading zeros");
    }
    parts[end - 2].remove_suffix(2);
    --end;
  }
  const size_t groups = end - 2;
  if (groups > 7) return Bad(path, "index <N> has more than 7 elements (over 2^64)");
  unsigned __int128 n = 0;
  for (size_t i = 2; i < end; ++i) {
    absl::string_view element = parts[i];
    const bool last = i + 1 == end;
    if (!last) {
      if (element.empty() || element[0] != 'x') {
        return Bad(path, "every index element but the last must be x<3 digits>");
      }
      element.remove_prefix(1);
    }
    uint32_t digits = 0;
    if (!ThreeDigits(element, &digits)) {
      return Bad(path, last ? "the last index element must be exactly 3 digits"
                            : "every index element but the last must be x<3 digits>");
    }
    if (i == 2 && !last && digits == 0) {
      return Bad(path, "index <N> must not start with x000 (one path per tile)");
    }
    n = n * 1000 + digits;
  }
  if (n > static_cast<unsigned __int128>(UINT64_MAX)) {
    return Bad(path, "index <N> is over 2^64 - 1");
  }
  id.index = static_cast<uint64_t>(n);
  return id;
}

}  // namespace ledger::tiles
