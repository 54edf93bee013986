// Serves the explorer (service/explorer/static/, embedded at build time) under /explorer/ on the
// shared HTTP listener (service/http/), with a redirect from "/". The pages read only the JSON
// API (/api/v1/, service/http_api.h) of the same origin; nothing is fetched from elsewhere, and
// the Content-Security-Policy sent with every file forbids it.
#ifndef SERVICE_EXPLORER_EXPLORER_HANDLER_H_
#define SERVICE_EXPLORER_EXPLORER_HANDLER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/http/http_server.h"

namespace ledger::service::explorer {

inline constexpr absl::string_view kExplorerPrefix = "/explorer/";

// The Content-Security-Policy of every explorer file: same-origin scripts, styles and requests
// only, no frames, no inline script. The index alone adds the SHA-256 hashes of the blocks it
// inlines (ServedIndex) and nothing else.
inline constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The index as served at /explorer/: index.html with boot.js, style.css and app.js inlined in
// place of the tags that reference them (one response before the first render instead of four;
// boot.js starts the page's API requests while the rest is parsed), and a Content-Security-Policy
// that is kContentSecurityPolicy plus the 'sha256-…' hash of each inlined block, so no other
// inline script or style runs. A tag whose file is not embedded is left as it is. Built once.
struct ServedIndex {
  std::string body;
  std::string content_security_policy;
  std::string etag;  // quoted, from the served bytes
  int inlined = 0;   // how many tags were replaced by their file
};
const ServedIndex& Index();

// GET /explorer/<file>: the embedded file ("/explorer/" is Index(), "/explorer/index.html"
// the file as written) with its content type,
// an ETag (304 for a matching If-None-Match), Cache-Control: no-cache, the CSP above and
// X-Content-Type-Options: nosniff; any other path under /explorer/ is 404. Thread-safe.
http::Response ServeExplorerFile(const http::Request& request);

// GET "/": 302 to /explorer/; any other path no route claims: 404.
http::Response ServeRoot(const http::Request& request);

}  // namespace ledger::service::explorer

#endif  // SERVICE_EXPLORER_EXPLORER_HANDLER_H_
