// tlog-tiles resource paths (ledger/tiles/tile_path.h) as ledgerd's HTTP API receives them, and
// the tiles read for them (ledger/tiles/tiles.h) from a 300-entry store.
//
// Input: the path after the leading '/' ("tile/0/x001/234.p/7").
// Invariants: a path that parses is exactly TilePath of what it parses to (one path per
// resource: the parser accepts nothing a static file tree would not hold); a refusal is
// InvalidArgument; ReadTile succeeds exactly for the resources TileExists says the tree has,
// with 32 bytes per hash (or one u16-prefixed item per entry), and is NotFound otherwise.
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/tiles/tile_path.h"
#include "ledger/tiles/tiles.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

constexpr uint64_t kTreeSize = 300;

const store::MemoryLogStore& Store() {
  static const store::MemoryLogStore* store = [] {
    auto* s = new store::MemoryLogStore();
    merkle::Frontier frontier;
    store::CommitBatch batch;
    for (uint64_t i = 0; i < kTreeSize; ++i) {
      batch.entries.push_back(absl::StrCat("entry ", i));
      frontier.Append(merkle::HashLeaf(batch.entries.back()), &batch.nodes);
    }
    batch.new_head.tree_size = frontier.size();
    batch.new_head.root_hash = frontier.Root();
    if (!s->Commit(batch).ok()) abort();
    return s;
  }();
  return *store;
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  const std::string path(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tiles::TileId> id = tiles::ParseTilePath(path);
  FUZZ_EXPECT_VALID(id.status());
  if (!id.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(id.status()));
    return 0;
  }
  FUZZ_CHECK_MSG(tiles::TilePath(*id) == path, "a tile path that parses is not canonical");
  FUZZ_CHECK(id->width >= 1 && id->width <= tiles::kTileWidth);
  FUZZ_CHECK(id->level <= tiles::kMaxTileLevel);
  absl::StatusOr<std::string> bytes = tiles::ReadTile(fuzz::Store(), fuzz::kTreeSize, *id);
  if (!tiles::TileExists(*id, fuzz::kTreeSize)) {
    FUZZ_CHECK(absl::IsNotFound(bytes.status()));
    return 0;
  }
  FUZZ_CHECK_MSG(bytes.ok(), bytes.status().ToString());
  if (!id->entries) FUZZ_CHECK(bytes->size() == 32u * id->width);
  if (id->entries) {
    size_t at = 0, items = 0;
    while (at + 2 <= bytes->size()) {
      at += 2 + DecodeFixed16BE(bytes->data() + at);
      ++items;
    }
    FUZZ_CHECK(at == bytes->size() && items == id->width);
  }
  return 0;
}
