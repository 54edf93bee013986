// ledger/tiles/tiles: tiles and entry bundles read from a store equal those built from the
// entries, with the shapes the spec gives (its 70,000-entry example), and every refusal.
#include "ledger/tiles/tiles.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/memory_log_store.h"

namespace ledger::tiles {
namespace {

using ::testing::HasSubstr;

std::string LeafData(uint64_t i) { return absl::StrCat("leaf data of entry ", i); }

// Commits `n` entries with leaf data leaf(i) to `store`, with every perfect subtree's node, as
// the log core does (the store checks nothing about the bytes).
void Fill(store::MemoryLogStore* store, uint64_t n,
          const std::function<std::string(uint64_t)>& leaf = LeafData) {
  merkle::Frontier frontier;
  store::CommitBatch batch;
  for (uint64_t i = 0; i < n; ++i) {
    batch.entries.push_back(leaf(i));
    frontier.Append(merkle::HashLeaf(batch.entries.back()), &batch.nodes);
    if (batch.entries.size() == 4096 || i + 1 == n) {
      batch.new_head.tree_size = frontier.size();
      batch.new_head.root_hash = frontier.Root();
      ASSERT_TRUE(store->Commit(batch).ok());
      batch = store::CommitBatch();
      batch.expected_tree_size = frontier.size();
    }
  }
}

std::map<std::string, std::string> Build(uint64_t n, Hash* root) {
  std::map<std::string, std::string> out;
  TileBuilder builder([&](const TileId& id, std::string bytes) {
    EXPECT_TRUE(out.emplace(TilePath(id), std::move(bytes)).second) << TilePath(id);
    return absl::OkStatus();
  });
  for (uint64_t i = 0; i < n; ++i) EXPECT_TRUE(builder.Add(LeafData(i)).ok());
  EXPECT_TRUE(builder.Finish().ok());
  *root = builder.root();
  return out;
}

TEST(TilesTest, SpecExampleOf70000Entries) {
  Hash root;
  std::map<std::string, std::string> built = Build(70000, &root);
  int full0 = 0, full1 = 0, bundles = 0;
  for (const auto& [path, bytes] : built) {
    absl::StatusOr<TileId> id = ParseTilePath(path);
    ASSERT_TRUE(id.ok());
    if (id->entries) {
      ++bundles;
    } else if (!id->partial()) {
      EXPECT_EQ(bytes.size(), 8192u) << path;
      (id->level == 0 ? full0 : full1)++;
    }
  }
  // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one
  // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
  EXPECT_EQ(full0, 273);
  EXPECT_EQ(full1, 1);
  EXPECT_EQ(built.at("tile/0/273.p/112").size(), 112u * 32);
  EXPECT_EQ(built.at("tile/1/001.p/17").size(), 17u * 32);
  EXPECT_EQ(built.at("tile/2/000.p/1").size(), 32u);
  EXPECT_EQ(bundles, 274);
  EXPECT_TRUE(built.count("tile/entries/273.p/112"));
  EXPECT_EQ(built.size(), 273u + 1 + 1 + 1 + 1 + 274);
}

TEST(TilesTest, TreeOf256IsAFullTileAndAPartialLevel1Tile) {
  Hash root;
  std::map<std::string, std::string> built = Build(256, &root);
  EXPECT_EQ(built.size(), 3u);
  EXPECT_TRUE(built.count("tile/0/000"));
  EXPECT_TRUE(built.count("tile/entries/000"));
  // The one hash of the partial level-1 tile is the root of the tree.
  EXPECT_EQ(built.at("tile/1/000.p/1"), std::string(AsStringView(root)));
}

TEST(TilesTest, StoreReadsEqualBuiltTilesForManySizes) {
  for (uint64_t n : std::vector<uint64_t>{1, 2, 255, 256, 257, 511, 65536, 70000}) {
    store::MemoryLogStore store;
    Fill(&store, n);
    Hash root;
    std::map<std::string, std::string> built = Build(n, &root);
    EXPECT_EQ(root, store.Head().root_hash) << n;
    for (const auto& [path, bytes] : built) {
      absl::StatusOr<std::string> read = ReadTile(store, n, *ParseTilePath(path));
      ASSERT_TRUE(read.ok()) << n << " " << path << ": " << read.status();
      EXPECT_EQ(*read, bytes) << n << " " << path;
    }
  }
}

TEST(TilesTest, BundleItemsAreLeafDataAndHashToTheLevel0Tile) {
  store::MemoryLogStore store;
  Fill(&store, 300);
  std::string bundle = *ReadTile(store, 300, TileId{true, 0, 1, 44});
  std::string tile = *ReadTile(store, 300, TileId{false, 0, 1, 44});
  size_t at = 0;
  for (uint64_t i = 256; i < 300; ++i) {
    ASSERT_LE(at + 2, bundle.size());
    const size_t len = DecodeFixed16BE(bundle.data() + at);
    const std::string item = bundle.substr(at + 2, len);
    EXPECT_EQ(item, LeafData(i));
    EXPECT_EQ(std::string(AsStringView(merkle::HashLeaf(item))), tile.substr((i - 256) * 32, 32));
    at += 2 + len;
  }
  EXPECT_EQ(at, bundle.size());
}

TEST(TilesTest, ResourcesPastTheTreeAreNotFound) {
  store::MemoryLogStore store;
  Fill(&store, 300);
  for (const TileId& id : {TileId{false, 0, 1, 45}, TileId{false, 0, 1, 256},
                           TileId{false, 0, 2, 1}, TileId{true, 0, 1, 45},
                           TileId{false, 1, 0, 2}, TileId{false, 2, 0, 1},
                           TileId{false, 63, 0, 1}, TileId{false, 0, UINT64_MAX, 256}}) {
    EXPECT_EQ(ReadTile(store, 300, id).status().code(), absl::StatusCode::kNotFound)
        << TilePath(id);
  }
  // A partial tile of a smaller tree is still served (its bytes never change).
  EXPECT_TRUE(ReadTile(store, 300, TileId{false, 0, 0, 7}).ok());
  EXPECT_TRUE(ReadTile(store, 300, TileId{false, 1, 0, 1}).ok());
  // The empty tree has no tiles at all.
  store::MemoryLogStore empty;
  EXPECT_EQ(ReadTile(empty, 0, TileId{false, 0, 0, 1}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TilesTest, EntryOverTheU16PrefixIsRefusedNeverCut) {
  store::MemoryLogStore store;
  Fill(&store, 3, [](uint64_t i) {
    return i == 1 ? std::string(kMaxBundleEntryBytes + 1, 'x') : LeafData(i);
  });
  absl::StatusOr<std::string> bundle = ReadTile(store, 3, TileId{true, 0, 0, 3});
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bundle.status().message(), HasSubstr("entry 1 is 65536 bytes"));
  // Exactly the limit fits; the hash tiles are unaffected.
  EXPECT_TRUE(ReadTile(store, 3, TileId{true, 0, 0, 1}).ok());
  EXPECT_TRUE(ReadTile(store, 3, TileId{false, 0, 0, 3}).ok());
  std::string item;
  EXPECT_TRUE(AppendBundleEntry(0, std::string(kMaxBundleEntryBytes, 'y'), &item).ok());
  EXPECT_EQ(item.size(), 2 + kMaxBundleEntryBytes);
  EXPECT_EQ(item.substr(0, 2), "\xff\xff");
}

TEST(TilesTest, BuilderStopsAtTheSinksError) {
  TileBuilder builder([](const TileId&, std::string) { return absl::InternalError("disk"); });
  absl::Status s;
  for (int i = 0; i < 256 && s.ok(); ++i) s = builder.Add(LeafData(i));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace ledger::tiles
