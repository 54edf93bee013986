// service/tiles_http: the tlog-tiles routes on a real HTTP listener on loopback: bytes,
// Content-Type, Cache-Control and the status of every kind of bad path.
#include "service/tiles_http.h"

#include <string>

#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/tiles/tiles.h"
#include "service/http/http_server.h"
#include "tests/testing/http_get.h"

namespace ledger::service {
namespace {

using ::ledger::testing::HttpGet;
using ::ledger::testing::HttpReply;
using ::testing::HasSubstr;

constexpr char kNote[] = "example.org/log\n300\nAAAA\n\n— example.org/log sig\n";

class TilesHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    merkle::Frontier frontier;
    store::CommitBatch batch;
    for (int i = 0; i < 300; ++i) {
      batch.entries.push_back(absl::StrCat("entry ", i));
      frontier.Append(merkle::HashLeaf(batch.entries.back()), &batch.nodes);
    }
    batch.new_head.tree_size = frontier.size();
    batch.new_head.root_hash = frontier.Root();
    ASSERT_TRUE(store_.Commit(batch).ok());
    auto server = http::Server::Start({}, TilesRoutes(&store_, [] { return kNote; }));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  HttpReply Get(const std::string& path) {
    absl::StatusOr<HttpReply> reply = HttpGet(server_->port(), path);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  store::MemoryLogStore store_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(TilesHttpTest, ServesEveryKindOfResourceWithItsHeaders) {
  HttpReply checkpoint = Get("/checkpoint");
  EXPECT_EQ(checkpoint.status, 200);
  EXPECT_EQ(checkpoint.body, kNote);
  EXPECT_EQ(checkpoint.Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(checkpoint.Header("Cache-Control"), "no-cache");

  HttpReply full = Get("/tile/0/000");
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.body, *tiles::ReadTile(store_, 300, tiles::TileId{false, 0, 0, 256}));
  EXPECT_EQ(full.body.size(), 8192u);
  EXPECT_EQ(full.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(full.Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(full.Header("Access-Control-Allow-Origin"), "*");

  HttpReply partial = Get("/tile/0/001.p/44");
  EXPECT_EQ(partial.status, 200);
  EXPECT_EQ(partial.body.size(), 44u * 32);
  EXPECT_EQ(partial.Header("Cache-Control"), "public, max-age=60");

  HttpReply level1 = Get("/tile/1/000.p/1");
  EXPECT_EQ(level1.status, 200);
  EXPECT_EQ(level1.body.size(), 32u);

  HttpReply bundle = Get("/tile/entries/001.p/44");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_EQ(bundle.body.substr(0, 2 + 9), std::string("\x00\x09", 2) + "entry 256");
  EXPECT_EQ(bundle.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(Get("/tile/entries/000").Header("Cache-Control"),
            "public, max-age=31536000, immutable");
}

std::string Gunzip(const std::string& in) {
  z_stream z = {};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST_F(TilesHttpTest, EntryBundlesAreGzippedWhenTheClientAcceptsIt) {
  const std::string plain = Get("/tile/entries/000").body;
  absl::StatusOr<HttpReply> gz =
      testing::HttpRequest(server_->port(), "GET", "/tile/entries/000",
                           "Accept-Encoding: gzip, identity\r\n");
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(gz->status, 200);
  EXPECT_EQ(gz->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->Header("Vary"), "Accept-Encoding");
  EXPECT_LT(gz->body.size(), plain.size());
  EXPECT_EQ(Gunzip(gz->body), plain);
  // q=0 refuses gzip; no Accept-Encoding means identity; tiles (hashes) are never compressed.
  absl::StatusOr<HttpReply> refused = testing::HttpRequest(
      server_->port(), "GET", "/tile/entries/000", "Accept-Encoding: gzip;q=0, identity\r\n");
  EXPECT_EQ(refused->Header("Content-Encoding"), "");
  EXPECT_EQ(refused->body, plain);
  EXPECT_EQ(Get("/tile/entries/000").Header("Content-Encoding"), "");
  absl::StatusOr<HttpReply> tile = testing::HttpRequest(server_->port(), "GET", "/tile/0/000",
                                                        "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(tile->Header("Content-Encoding"), "");
  EXPECT_EQ(tile->body.size(), 8192u);
}

TEST_F(TilesHttpTest, MalformedPathsAre400NamingTheElement) {
  for (const char* path : {"/tile/0/1", "/tile/00/000", "/tile/0/000.p/256", "/tile/0/x000/001",
                           "/tile/", "/tile/0/000.p/05", "/tile/entries/1", "/tile/64/000"}) {
    HttpReply reply = Get(path);
    EXPECT_EQ(reply.status, 400) << path;
    EXPECT_THAT(reply.body, HasSubstr("tile path")) << path;
  }
}

TEST_F(TilesHttpTest, WellFormedResourcesOutsideTheTreeAre404) {
  for (const char* path : {"/tile/0/001", "/tile/0/001.p/45", "/tile/0/002.p/1",
                           "/tile/entries/001", "/tile/1/000", "/tile/2/000.p/1",
                           "/tile/0/x001/x234/067", "/checkpointx", "/checkpoint/"}) {
    EXPECT_EQ(Get(path).status, 404) << path;
  }
}

TEST(TilesHttpOversizedEntryTest, BundleWithAnEntryOver65535BytesIs500NamingIt) {
  store::MemoryLogStore store;
  merkle::Frontier frontier;
  store::CommitBatch batch;
  for (int i = 0; i < 3; ++i) {
    batch.entries.push_back(i == 2 ? std::string(tiles::kMaxBundleEntryBytes + 1, 'x')
                                   : absl::StrCat("entry ", i));
    frontier.Append(merkle::HashLeaf(batch.entries.back()), &batch.nodes);
  }
  batch.new_head.tree_size = frontier.size();
  batch.new_head.root_hash = frontier.Root();
  ASSERT_TRUE(store.Commit(batch).ok());
  auto server = http::Server::Start({}, TilesRoutes(&store, [] { return kNote; }));
  ASSERT_TRUE(server.ok()) << server.status();
  HttpReply bundle = *HttpGet((*server)->port(), "/tile/entries/000.p/3");
  EXPECT_EQ(bundle.status, 500);
  EXPECT_THAT(bundle.body, HasSubstr("entry 2 is 65536 bytes"));
  // The bundle before it and the hash tile are served: the tree still verifies.
  EXPECT_EQ(HttpGet((*server)->port(), "/tile/entries/000.p/2")->status, 200);
  EXPECT_EQ(HttpGet((*server)->port(), "/tile/0/000.p/3")->status, 200);
}

TEST(TilesHttpNoCheckpointTest, CheckpointIs404UntilThereIsOne) {
  store::MemoryLogStore store;
  auto server = http::Server::Start({}, TilesRoutes(&store, [] { return std::string(); }));
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<HttpReply> reply = HttpGet((*server)->port(), "/checkpoint");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 404);
  EXPECT_THAT(reply->body, HasSubstr("no checkpoint yet"));
  EXPECT_EQ(HttpGet((*server)->port(), "/tile/0/000.p/1")->status, 404);
}

}  // namespace
}  // namespace ledger::service
