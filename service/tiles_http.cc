#include "service/tiles_http.h"

#include <optional>
#include <vector>

#include <zlib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

// Whether an Accept-Encoding header accepts gzip: a "gzip" (or "*") coding whose q is not 0.
bool AcceptsGzip(absl::string_view accept_encoding) {
  for (absl::string_view coding : absl::StrSplit(accept_encoding, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(coding, ';');
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    if (name != "gzip" && name != "x-gzip" && name != "*") continue;
    bool zero = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
      double q = 1;
      if (absl::ConsumePrefix(&param, "q=") && absl::SimpleAtod(param, &q) && q <= 0) zero = true;
    }
    if (!zero) return true;
  }
  return false;
}

// gzip (RFC 1952) of `in`; nullopt if zlib fails (the body is then sent as is).
std::optional<std::string> Gzip(const std::string& in) {
  z_stream z = {};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
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
  // Entry bundles SHOULD be compressed at the HTTP layer (tlog-tiles): gzip when the client
  // accepts it. Tiles are hashes, which do not compress.
  if (id->entries) {
    r.headers.emplace_back("Vary", "Accept-Encoding");
    if (AcceptsGzip(request.Header("Accept-Encoding"))) {
      if (std::optional<std::string> gz = Gzip(r.body); gz.has_value()) {
        r.body = *std::move(gz);
        r.headers.emplace_back("Content-Encoding", "gzip");
      }
    }
  }
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace

std::vector<std::pair<std::string, http::Handler>> TilesRoutes(
    const store::LogStore* store, std::function<std::string()> latest_checkpoint,
    std::function<std::string()> witnessed_checkpoint) {
  std::vector<std::pair<std::string, http::Handler>> routes;
  routes.emplace_back("/checkpoint", [latest_checkpoint, witnessed_checkpoint](
                                         const http::Request& request) {
    if (request.path != "/checkpoint") return Text(404, "no resource at " + request.path);
    http::Response r;
    if (request.query == "witnessed") {
      if (!witnessed_checkpoint) return Text(404, "this log has no witnesses configured");
      r.body = witnessed_checkpoint();
      if (r.body.empty()) {
        return Text(404, "no witnessed checkpoint yet: too few witnesses have cosigned one");
      }
      r.content_type = "text/plain; charset=utf-8";
      r.headers.emplace_back("Cache-Control", kCacheCheckpoint);
      r.headers.emplace_back("Access-Control-Allow-Origin", "*");
      return r;
    }
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
