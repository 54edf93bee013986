#include "service/explorer/explorer_handler.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/explorer/static_files.h"

namespace ledger::service::explorer {
namespace {

http::Response NotFound(absl::string_view what) {
  http::Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = absl::StrCat("not found: ", what, "\n");
  return r;
}

}  // namespace

http::Response ServeExplorerFile(const http::Request& request) {
  absl::string_view name = request.path;
  if (!absl::ConsumePrefix(&name, kExplorerPrefix)) return NotFound(request.path);
  if (name.empty()) name = "index.html";
  for (const StaticFile& f : StaticFiles()) {
    if (f.path != name) continue;
    http::Response r;
    r.headers = {{"ETag", std::string(f.etag)},
                 {"Cache-Control", "no-cache"},
                 {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"}};
    if (request.Header("If-None-Match") == f.etag) {
      r.status = 304;
      r.content_type = std::string(f.content_type);
      return r;
    }
    r.content_type = std::string(f.content_type);
    r.body = std::string(f.data);
    return r;
  }
  return NotFound(request.path);
}

http::Response ServeRoot(const http::Request& request) {
  if (request.path != "/") return NotFound(request.path);
  http::Response r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.headers = {{"Location", std::string(kExplorerPrefix)}};
  r.body = absl::StrCat("the explorer is at ", kExplorerPrefix, "\n");
  return r;
}

}  // namespace ledger::service::explorer
