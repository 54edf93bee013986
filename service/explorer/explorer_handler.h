// Serves the explorer (service/explorer/static/, embedded at build time) under /explorer/ on the
// shared HTTP listener (service/http/), with a redirect from "/". The pages read only the JSON
// API (/api/v1/, service/http_api.h) of the same origin; nothing is fetched from elsewhere, and
// the Content-Security-Policy sent with every file forbids it.
#ifndef SERVICE_EXPLORER_EXPLORER_HANDLER_H_
#define SERVICE_EXPLORER_EXPLORER_HANDLER_H_

#include "absl/strings/string_view.h"
#include "service/http/http_server.h"

namespace ledger::service::explorer {

inline constexpr absl::string_view kExplorerPrefix = "/explorer/";

// The Content-Security-Policy of every explorer file: same-origin scripts, styles and requests
// only, no frames, no inline script.
inline constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// GET /explorer/<file>: the embedded file ("/explorer/" is index.html) with its content type,
// an ETag (304 for a matching If-None-Match), Cache-Control: no-cache, the CSP above and
// X-Content-Type-Options: nosniff; any other path under /explorer/ is 404. Thread-safe.
http::Response ServeExplorerFile(const http::Request& request);

// GET "/": 302 to /explorer/; any other path no route claims: 404.
http::Response ServeRoot(const http::Request& request);

}  // namespace ledger::service::explorer

#endif  // SERVICE_EXPLORER_EXPLORER_HANDLER_H_
