#include "service/tiles_http.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/logging.h"
#include "ledger/tiles/tile_path.h"
#include "ledger/tiles/tiles.h"

namespace ledger::service {
namespace {

http::Response Text(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.body.push_back('\n');
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

http::Response ServeTile(const store::LogStore& store, const http::Request& request) {
  absl::StatusOr<tiles::TileId> id = tiles::ParseTilePath(absl::string_view(request.path).substr(1));
  if (!id.ok()) return Text(400, std::string(id.status().message()));
  const TreeSize tree_size = store.Head().tree_size;
  absl::StatusOr<std::string> bytes = tiles::ReadTile(store, tree_size, *id);
  if (absl::IsNotFound(bytes.status())) return Text(404, std::string(bytes.status().message()));
  if (!bytes.ok()) {
    LogEvent(LogLevel::kError, "tiles: cannot serve",
             {{"path", request.path}, {"error", bytes.status().ToString()}});
    return Text(500, std::string(bytes.status().message()));
  }
  http::Response r;
  r.content_type = "application/octet-stream";
  r.body = *std::move(bytes);
  r.headers.emplace_back("Cache-Control", id->partial() ? kCachePartial : kCacheImmutable);
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace

std::vector<std::pair<std::string, http::Handler>> TilesRoutes(
    const store::LogStore* store, std::function<std::string()> latest_checkpoint) {
  std::vector<std::pair<std::string, http::Handler>> routes;
  routes.emplace_back("/checkpoint", [latest_checkpoint](const http::Request& request) {
    if (request.path != "/checkpoint") return Text(404, "no resource at " + request.path);
    http::Response r;
    r.body = latest_checkpoint();
    // A follower that has replicated nothing yet has no checkpoint: like a static tree before
    // its first publication, there is no resource (and never an empty 200).
    if (r.body.empty()) return Text(404, "no checkpoint yet: this follower has not replicated one");
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Cache-Control", kCacheCheckpoint);
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return r;
  });
  routes.emplace_back("/tile/", [store](const http::Request& request) {
    return ServeTile(*store, request);
  });
  return routes;
}

}  // namespace ledger::service
