// A small HTTP/1.1 listener for ledgerd's read-only HTTP APIs (the tlog-tiles API and the
// explorer), built on civetweb: civetweb parses requests and owns the sockets and threads; this
// module routes by path prefix, enforces the limits below and writes complete responses. It never
// parses HTTP itself.
//
// Limits (ServerOptions), each answered with a precise status and a one-line text/plain body
// naming the limit:
//   max_path_bytes            a request path (raw, before decoding) longer than this -> 414
//   max_concurrent_requests   a request arriving while this many are in a handler   -> 503 with
//                             "Retry-After: 1" (the request is not queued)
//   max_response_bytes        a handler answering a larger body -> 500 (logged); a body is never
//                             cut short, so a client never mistakes a truncated tile for a whole
//                             one
//   max_request_body_bytes    0 (the default): only GET and HEAD are accepted. Above 0, POST
//                             is accepted too with a body of at most this many bytes, given
//                             with Content-Length (no Content-Length -> 411, larger -> 413);
//                             the handler sees it in Request::body and must check the method
//                             itself (witnessd's add-checkpoint)
// Only GET and HEAD are accepted otherwise (anything else -> 405 with "Allow: GET, HEAD"); HEAD
// runs the GET handler and sends its headers (Content-Length included) without the body. A path
// no route matches -> 404.
//
// Example:
//   ServerOptions options;
//   options.listen = "127.0.0.1:0";
//   LEDGER_ASSIGN_OR_RETURN(auto server, Server::Start(options, {
//       {"/checkpoint", [&](const Request&) { Response r; r.body = ...; return r; }}}));
//   std::cout << server->port();
#ifndef SERVICE_HTTP_HTTP_SERVER_H_
#define SERVICE_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct mg_context;
struct mg_connection;

namespace ledger::service::http {

// One request as the handler sees it. Owned by the server for the duration of the call.
struct Request {
  std::string method;    // "GET" or "HEAD" (other methods never reach a handler)
  std::string path;      // URL-decoded path, e.g. "/tile/0/x001/234"
  std::string raw_path;  // as received (before decoding), without the query
  std::string query;     // raw query string without '?', "" when none
  std::string body;      // the request body (POST only, see max_request_body_bytes)
  // The value of header `name` (compared case-insensitively), "" when absent.
  std::string Header(absl::string_view name) const;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A complete response. The server adds Content-Type and Content-Length itself; `headers` holds
// any others (e.g. Cache-Control).
struct Response {
  int status = 200;
  std::string content_type = "application/octet-stream";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called on one of the server's threads, concurrently with other calls: must be thread-safe.
using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:0";    // HOST:PORT ("[::1]:0" for IPv6); port 0 picks one
  size_t max_path_bytes = 2048;          // longer -> 414
  int max_concurrent_requests = 64;      // more in flight -> 503 with Retry-After
  size_t max_response_bytes = 64 << 20;  // a handler answering more -> 500 (logged), never cut
  int threads = 4;
  size_t max_request_body_bytes = 0;     // > 0: POST accepted with a body up to this
};

// The running listener. Thread-safe; destroying it stops accepting, waits for the requests in
// flight and joins civetweb's threads.
class Server {
 public:
  // Binds options.listen and starts serving `routes`: (path prefix, handler); the longest
  // prefix that the request's decoded path starts with wins; none -> 404.
  // Errors: InvalidArgument for a malformed listen address, an empty route prefix or invalid
  // options; Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      ServerOptions options, std::vector<std::pair<std::string, Handler>> routes);

  // The bound TCP port (the chosen one when options.listen asked for port 0).
  int port() const { return port_; }

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

 private:
  Server(ServerOptions options, std::vector<std::pair<std::string, Handler>> routes);
  static int HandleRequest(mg_connection* conn, void* cbdata);
  void Serve(mg_connection* conn);
  const Handler* Route(absl::string_view path) const;

  const ServerOptions options_;
  // Sorted longest prefix first; immutable after Start.
  std::vector<std::pair<std::string, Handler>> routes_;
  std::atomic<int> in_flight_{0};
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace ledger::service::http

#endif  // SERVICE_HTTP_HTTP_SERVER_H_
