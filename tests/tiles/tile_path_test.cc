// ledger/tiles/tile_path: the spec's path examples, round trips, and every malformed path
// refused with the element named.
#include "ledger/tiles/tile_path.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger::tiles {
namespace {

using ::testing::HasSubstr;

TEST(TilePathTest, SpecExamples) {
  EXPECT_EQ(TilePath(TileId{false, 0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath(TileId{false, 3, 1234067, 8}), "tile/3/x001/x234/067.p/8");
  EXPECT_EQ(TilePath(TileId{false, 0, 0, 256}), "tile/0/000");
  EXPECT_EQ(TilePath(TileId{true, 0, 1234067, 8}), "tile/entries/x001/x234/067.p/8");
  EXPECT_EQ(TilePath(TileId{false, 1, 1000, 256}), "tile/1/x001/000");
  EXPECT_EQ(TilePath(TileId{false, 63, UINT64_MAX, 255}),
            "tile/63/x018/x446/x744/x073/x709/x551/615.p/255");
}

TEST(TilePathTest, RoundTrips) {
  for (uint64_t index : std::vector<uint64_t>{0, 1, 999, 1000, 1234067, 1000000, UINT64_MAX}) {
    for (uint32_t width : {1u, 17u, 255u, 256u}) {
      for (bool entries : {false, true}) {
        TileId id{entries, entries ? 0u : 5u, index, width};
        absl::StatusOr<TileId> parsed = ParseTilePath(TilePath(id));
        ASSERT_TRUE(parsed.ok()) << TilePath(id) << ": " << parsed.status();
        EXPECT_EQ(*parsed, id) << TilePath(id);
      }
    }
  }
}

void ExpectRefused(const std::string& path, const std::string& why) {
  absl::StatusOr<TileId> parsed = ParseTilePath(path);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << path;
  EXPECT_THAT(parsed.status().message(), HasSubstr(why)) << path;
}

TEST(TilePathTest, MalformedPathsAreRefusedNamingTheElement) {
  ExpectRefused("tile/0", "want tile/<L>/<N>");
  ExpectRefused("tiles/0/000", "want tile/<L>/<N>");
  ExpectRefused("tile/00/000", "level <L>");
  ExpectRefused("tile/64/000", "level <L>");
  ExpectRefused("tile/-1/000", "level <L>");
  ExpectRefused("tile/data/000", "level <L>");
  ExpectRefused("tile/0/1", "exactly 3 digits");
  ExpectRefused("tile/0/0001", "exactly 3 digits");
  ExpectRefused("tile/0/00a", "exactly 3 digits");
  ExpectRefused("tile/0/001/234", "x<3 digits>");
  ExpectRefused("tile/0/x01/234", "x<3 digits>");
  ExpectRefused("tile/0/x000/234", "must not start with x000");
  ExpectRefused("tile/0/x018/x446/x744/x073/x709/x551/616", "over 2^64 - 1");
  ExpectRefused("tile/0/x001/x001/x001/x001/x001/x001/x001/001", "more than 7 elements");
  ExpectRefused("tile/0/000.p/0", "width <W>");
  ExpectRefused("tile/0/000.p/256", "width <W>");
  ExpectRefused("tile/0/000.p/05", "width <W>");
  ExpectRefused("tile/0/000.p/", "width <W>");
  ExpectRefused("tile/0/000.p", "exactly 3 digits");
  ExpectRefused("tile/0/000/", "x<3 digits>");
  ExpectRefused("tile/0/000.p/5/", "x<3 digits>");
  ExpectRefused("tile/entries/x000/001", "must not start with x000");
  ExpectRefused("tile/entries/", "exactly 3 digits");
  ExpectRefused(std::string("tile/0/00\0", 10), "exactly 3 digits");
}

}  // namespace
}  // namespace ledger::tiles
