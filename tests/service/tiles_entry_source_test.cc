// service/tiles_entry_source: the tiles-backed consistency proofs equal merkle::ConsistencyProof
// over the store for many (from, to) pairs, entries come from full and partial bundles with
// the checkpoint only at the end, and every bad answer is refused with the code the follower
// expects (NOT_FOUND, DATA_LOSS naming the path). Tiles are served from memory (tiles::ReadTile
// over a MemoryLogStore) through the injected Fetch: no HTTP.
#include "service/tiles_entry_source.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/tiles/tile_path.h"
#include "ledger/tiles/tiles.h"

namespace ledger::service {
namespace {

using ::testing::HasSubstr;

std::string LeafData(uint64_t i) { return absl::StrCat("leaf data of entry ", i); }

// A log in memory served as tiles at `size` (which tests move), with hooks to tamper.
struct MemoryTiles {
  store::MemoryLogStore store;
  merkle::Frontier frontier;
  TreeSize size = 0;
  int fetches = 0;
  std::function<void(const std::string& path, std::string* body)> tamper;

  void Grow(uint64_t n) {
    store::CommitBatch batch;
    batch.expected_tree_size = frontier.size();
    for (uint64_t i = 0; i < n; ++i) {
      batch.entries.push_back(LeafData(frontier.size()));
      frontier.Append(merkle::HashLeaf(batch.entries.back()), &batch.nodes);
    }
    batch.new_head.tree_size = frontier.size();
    batch.new_head.root_hash = frontier.Root();
    ASSERT_TRUE(store.Commit(batch).ok());
    size = frontier.size();
  }

  TilesEntrySource::Fetch fetch() {
    return [this](const std::string& path, size_t max_bytes) -> absl::StatusOr<std::string> {
      ++fetches;
      std::string body;
      if (path == "/checkpoint") {
        body = absl::StrCat("example.com/log\n", size, "\nroot\n\n— example.com/log sig\n");
      } else {
        EXPECT_TRUE(absl::StartsWith(path, "/")) << path;
        absl::StatusOr<tiles::TileId> id = tiles::ParseTilePath(path.substr(1));
        if (!id.ok()) return absl::NotFoundError(path);
        absl::StatusOr<std::string> bytes = tiles::ReadTile(store, size, *id);
        if (!bytes.ok()) return bytes.status();
        body = *std::move(bytes);
      }
      if (tamper) tamper(path, &body);
      if (body.size() > max_bytes) return absl::DataLossError(absl::StrCat(path, ": too big"));
      return body;
    };
  }
};

merkle::NodeReader StoreReader(const store::LogStore& store) {
  return [&store](merkle::NodeId id) { return store.GetNode(id); };
}

TEST(TilesEntrySourceTest, ConsistencyProofsEqualTheStoresForManyPairs) {
  MemoryTiles log;
  log.Grow(70000);  // level-1 tiles and a level-2 partial tile
  TilesEntrySource source(log.fetch());
  const std::vector<TreeSize> sizes = {1,     2,     3,     7,     255,   256,   257,
                                       511,   512,   1000,  4095,  65535, 65536, 65537,
                                       66000, 69631, 69999, 70000};
  int pairs = 0;
  for (TreeSize to : sizes) {
    for (TreeSize from : sizes) {
      if (from > to) continue;
      absl::StatusOr<std::vector<Hash>> want =
          merkle::ConsistencyProof(from, to, StoreReader(log.store));
      ASSERT_TRUE(want.ok()) << want.status();
      absl::StatusOr<std::vector<Hash>> got = source.ConsistencyProof(from, to);
      ASSERT_TRUE(got.ok()) << from << " -> " << to << ": " << got.status();
      EXPECT_EQ(*got, *want) << from << " -> " << to;
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 171);
  // A few hundred more pairs of small trees, every (from, to) with to <= 600.
  for (TreeSize to = 1; to <= 600; to += 37) {
    for (TreeSize from = 1; from <= to; from += 13) {
      absl::StatusOr<std::vector<Hash>> want =
          merkle::ConsistencyProof(from, to, StoreReader(log.store));
      absl::StatusOr<std::vector<Hash>> got = source.ConsistencyProof(from, to);
      ASSERT_TRUE(got.ok()) << from << " -> " << to << ": " << got.status();
      EXPECT_EQ(*got, *want) << from << " -> " << to;
    }
  }
}

TEST(TilesEntrySourceTest, FullTilesAreCachedPartialOnesAreNot) {
  MemoryTiles log;
  log.Grow(1000);
  TilesEntrySource source(log.fetch());
  ASSERT_TRUE(source.ConsistencyProof(3, 256).ok());  // full tile 0/000 only
  const int after_first = log.fetches;
  EXPECT_EQ(after_first, 1);
  ASSERT_TRUE(source.ConsistencyProof(3, 256).ok());
  EXPECT_EQ(log.fetches, after_first);
  ASSERT_TRUE(source.ConsistencyProof(700, 1000).ok());  // partial tile 0/003.p/232
  const int after_partial = log.fetches;
  ASSERT_TRUE(source.ConsistencyProof(700, 1000).ok());
  EXPECT_GT(log.fetches, after_partial);
}

TEST(TilesEntrySourceTest, EntriesFromFullAndPartialBundlesWithTheLatestCheckpoint) {
  MemoryTiles log;
  log.Grow(600);
  TilesEntrySource source(log.fetch());
  absl::StatusOr<std::string> note = source.LatestCheckpoint({"m", 0}, absl::ZeroDuration());
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_THAT(*note, HasSubstr("\n600\n"));
  absl::StatusOr<replication::EntryBatch> batch = source.Entries({"m", 0}, 100, 400);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->leaf_datas.size(), 400u);
  EXPECT_EQ(batch->leaf_datas.front(), LeafData(100));
  EXPECT_EQ(batch->leaf_datas.back(), LeafData(499));
  EXPECT_TRUE(batch->checkpoints.empty());  // not at the checkpoint's size
  batch = source.Entries({"m", 500}, 500, 1000);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->leaf_datas.size(), 100u);  // up to the checkpoint, from 002.p/88
  EXPECT_EQ(batch->leaf_datas.back(), LeafData(599));
  ASSERT_EQ(batch->checkpoints.count(600), 1u);
  EXPECT_EQ(batch->checkpoints[600], *note);
  batch = source.Entries({"m", 600}, 600, 10);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->leaf_datas.empty());
  EXPECT_TRUE(source.CheckpointAt(600).ok());
  EXPECT_TRUE(absl::IsNotFound(source.CheckpointAt(599).status()));
}

TEST(TilesEntrySourceTest, LatestCheckpointLooksAgainAfterThePollInterval) {
  MemoryTiles log;
  log.Grow(10);
  TilesEntrySourceOptions options;
  options.poll_interval = absl::Milliseconds(1);
  TilesEntrySource source(log.fetch(), options);
  absl::StatusOr<std::string> note = source.LatestCheckpoint({"m", 10}, absl::Seconds(30));
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(log.fetches, 2);  // one look, a wait of the poll interval, one more
  source.Cancel();
  EXPECT_TRUE(absl::IsCancelled(
      source.LatestCheckpoint({"m", 10}, absl::Seconds(30)).status()));
}

TEST(TilesEntrySourceTest, BadAnswersAreRefusedNamingThePath) {
  MemoryTiles log;
  log.Grow(300);
  TilesEntrySource source(log.fetch());
  ASSERT_TRUE(source.LatestCheckpoint({"m", 0}, absl::ZeroDuration()).ok());
  log.tamper = [](const std::string& path, std::string* body) {
    if (path == "/tile/entries/001.p/44") body->push_back('x');
    if (path == "/tile/0/000") body->pop_back();
  };
  absl::Status s = source.Entries({"m", 0}, 256, 44).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("/tile/entries/001.p/44"));
  s = source.ConsistencyProof(100, 300).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("/tile/0/000"));
  log.tamper = [](const std::string& path, std::string* body) {
    if (path == "/checkpoint") *body = "origin\n0300\nroot\n";
  };
  s = source.LatestCheckpoint({"m", 0}, absl::ZeroDuration()).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("/checkpoint: the tree size line"));
  // A tree the server does not have: the tiles are NOT_FOUND.
  log.tamper = nullptr;
  s = source.ConsistencyProof(300, 400).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

TEST(ParseEntryBundleTest, StrictAboutEveryItem) {
  std::string bundle;
  ASSERT_TRUE(tiles::AppendBundleEntry(0, "ab", &bundle).ok());
  ASSERT_TRUE(tiles::AppendBundleEntry(1, "", &bundle).ok());
  absl::StatusOr<std::vector<std::string>> items = tiles::ParseEntryBundle(bundle, 2, "b");
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(*items, (std::vector<std::string>{"ab", ""}));
  absl::Status s = tiles::ParseEntryBundle(bundle, 3, "b").status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_THAT(s.message(), HasSubstr("b: ends at item 2 of 3"));
  s = tiles::ParseEntryBundle(bundle, 1, "b").status();
  EXPECT_THAT(s.message(), HasSubstr("b: 2 bytes after the last of 1 items"));
  s = tiles::ParseEntryBundle(std::string("\x00\x05" "abc", 5), 1, "b").status();
  EXPECT_THAT(s.message(), HasSubstr("b: item 0 has length 5 but only 3 bytes remain"));
  s = tiles::ParseEntryBundle(bundle, 0, "b").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  s = tiles::ParseEntryBundle(std::string(tiles::kMaxEntryBundleBytes + 1, '\0'), 256, "b")
          .status();
  EXPECT_THAT(s.message(), HasSubstr("over the limit of kMaxEntryBundleBytes"));
}

}  // namespace
}  // namespace ledger::service
