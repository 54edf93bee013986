#include "service/http/http_server.h"

#include <algorithm>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "civetweb.h"
#include "ledger/base/logging.h"

namespace ledger::service::http {
namespace {

// civetweb's library-wide state is reference counted; prometheus-cpp's exposer (the /metrics
// endpoint) uses the same shared library. Initialised once for the process and never torn down.
void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

int LogCivetwebMessage(const mg_connection*, const char* message) {
  LogEvent(LogLevel::kWarning, "http: civetweb", {{"message", message}});
  return 1;  // handled: civetweb prints nothing itself
}

Response TextResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.body.push_back('\n');
  return r;
}

// Splits "HOST:PORT" / "[V6]:PORT" and checks the port; civetweb wants "HOST:PORT" for IPv4 and
// "[V6]:PORT" for IPv6, which is the same spelling.
absl::Status CheckListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", listen, "\": want HOST:PORT"));
  }
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("http listen address \"", listen,
                                                   "\": port must be a number in 0..65535"));
  }
  return absl::OkStatus();
}

// Reads exactly `length` bytes of request body. False when the client stops sending first.
bool ReadBody(mg_connection* conn, long long length, std::string* body) {
  body->resize(static_cast<size_t>(length));
  size_t got = 0;
  while (got < body->size()) {
    int n = mg_read(conn, body->data() + got, body->size() - got);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string Request::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

Server::Server(ServerOptions options, std::vector<std::pair<std::string, Handler>> routes)
    : options_(std::move(options)), routes_(std::move(routes)) {
  std::stable_sort(routes_.begin(), routes_.end(), [](const auto& a, const auto& b) {
    return a.first.size() > b.first.size();
  });
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    ServerOptions options, std::vector<std::pair<std::string, Handler>> routes) {
  if (absl::Status s = CheckListen(options.listen); !s.ok()) return s;
  if (options.threads < 1 || options.max_concurrent_requests < 1 || options.max_path_bytes < 1) {
    return absl::InvalidArgumentError(
        "http server options: threads, max_concurrent_requests and max_path_bytes must be >= 1");
  }
  for (const auto& route : routes) {
    if (route.first.empty() || route.first[0] != '/' || !route.second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "http route \"", route.first, "\": want a prefix starting with '/' and a handler"));
    }
  }
  InitCivetwebOnce();
  std::unique_ptr<Server> server(new Server(std::move(options), std::move(routes)));
  const std::string threads = absl::StrCat(server->options_.threads);
  const char* config[] = {
      "listening_ports", server->options_.listen.c_str(),
      "num_threads", threads.c_str(),
      // A client that has not sent a whole request within this time is dropped: civetweb holds a
      // thread per connection, so this bounds how long slow clients can hold one.
      "request_timeout_ms", "10000",
      "enable_keep_alive", "yes",
      // Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
      // client's delayed ACK hold a small body back ~40 ms on a keep-alive connection.
      "tcp_nodelay", "1",
      // Keep the target as received: Serve decodes it once itself (raw_path and path).
      "decode_url", "no",
      nullptr};
  mg_callbacks callbacks = {};
  callbacks.log_message = &LogCivetwebMessage;
  server->context_ = mg_start(&callbacks, nullptr, config);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("http: cannot listen on ", server->options_.listen,
                     " (address in use, not local, or not permitted)"));
  }
  // "**" matches every URI: routing is ours, so that the longest-prefix rule and the 404 body
  // do not depend on civetweb's pattern syntax.
  mg_set_request_handler(server->context_, "**", &Server::HandleRequest, server.get());
  mg_server_port ports[4] = {};
  int n = mg_get_server_ports(server->context_, 4, ports);
  if (n < 1 || ports[0].port <= 0) {
    return absl::InternalError("http: civetweb started but reports no bound port");
  }
  server->port_ = ports[0].port;
  return server;
}

Server::~Server() {
  if (context_ != nullptr) mg_stop(context_);  // joins civetweb's threads
}

const Handler* Server::Route(absl::string_view path) const {
  for (const auto& [prefix, handler] : routes_) {
    if (absl::StartsWith(path, prefix)) return &handler;
  }
  return nullptr;
}

int Server::HandleRequest(mg_connection* conn, void* cbdata) {
  static_cast<Server*>(cbdata)->Serve(conn);
  return 1;  // handled (civetweb wants 1..999)
}

void Server::Serve(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  Request request;
  request.method = info->request_method != nullptr ? info->request_method : "";
  // With decode_url=no, request_uri is the target as received (minus the query). Decoding it
  // here (not civetweb's cleaned local_uri) keeps "%2F" and ".." exactly as sent, so a handler
  // sees the path the client asked for and rejects what it does not recognise.
  request.raw_path = info->request_uri != nullptr ? info->request_uri : "";
  request.query = info->query_string != nullptr ? info->query_string : "";
  for (int i = 0; i < info->num_headers; ++i) {
    request.headers.emplace_back(info->http_headers[i].name, info->http_headers[i].value);
  }

  Response response;
  bool counted = false;
  if (request.raw_path.size() > options_.max_path_bytes) {
    response = TextResponse(414, absl::StrCat("request path is ", request.raw_path.size(),
                                              " bytes; the limit (max_path_bytes) is ",
                                              options_.max_path_bytes));
  } else if (request.method == "POST" && options_.max_request_body_bytes > 0 &&
             info->content_length < 0) {
    response = TextResponse(411, "a POST request needs a Content-Length");
  } else if (request.method == "POST" && options_.max_request_body_bytes > 0 &&
             static_cast<unsigned long long>(info->content_length) >
                 options_.max_request_body_bytes) {
    response = TextResponse(413, absl::StrCat("request body is ", info->content_length,
                                              " bytes; the limit (max_request_body_bytes) is ",
                                              options_.max_request_body_bytes));
  } else if (request.method != "GET" && request.method != "HEAD" &&
             !(request.method == "POST" && options_.max_request_body_bytes > 0)) {
    const bool post = options_.max_request_body_bytes > 0;
    response = TextResponse(405, absl::StrCat("method ", request.method,
                                              " not allowed; this server answers GET and HEAD",
                                              post ? " and POST" : ""));
    response.headers.emplace_back("Allow", post ? "GET, HEAD, POST" : "GET, HEAD");
  } else if (request.method == "POST" && !ReadBody(conn, info->content_length, &request.body)) {
    response = TextResponse(400, absl::StrCat("the request body ended before its Content-Length (",
                                              info->content_length, " bytes)"));
  } else {
    std::string decoded(request.raw_path.size() + 1, '\0');
    int n = mg_url_decode(request.raw_path.data(), static_cast<int>(request.raw_path.size()),
                          decoded.data(), static_cast<int>(decoded.size()),
                          /*is_form_url_encoded=*/0);
    decoded.resize(n < 0 ? 0 : static_cast<size_t>(n));
    request.path = std::move(decoded);
    const Handler* handler = Route(request.path);
    if (handler == nullptr) {
      response = TextResponse(404, absl::StrCat("no resource at ", request.path));
    } else {
      counted = true;
      int now = in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
      if (now > options_.max_concurrent_requests) {
        response = TextResponse(503, absl::StrCat("too many requests in flight; the limit "
                                                  "(max_concurrent_requests) is ",
                                                  options_.max_concurrent_requests));
        response.headers.emplace_back("Retry-After", "1");
      } else {
        response = (*handler)(request);
        if (response.body.size() > options_.max_response_bytes) {
          LogEvent(LogLevel::kError, "http: response over max_response_bytes",
                   {{"path", request.path},
                    {"bytes", absl::StrCat(response.body.size())},
                    {"limit", absl::StrCat(options_.max_response_bytes)}});
          response = TextResponse(500, absl::StrCat("response would be ", response.body.size(),
                                                    " bytes; the limit (max_response_bytes) is ",
                                                    options_.max_response_bytes));
        }
      }
    }
  }

  mg_response_header_start(conn, response.status);
  mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
  const std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& [name, value] : response.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), static_cast<int>(value.size()));
  }
  mg_response_header_send(conn);
  if (request.method != "HEAD" && !response.body.empty()) {
    mg_write(conn, response.body.data(), response.body.size());
  }
  // Released only after the body is written: a slow reader still holds its slot.
  if (counted) in_flight_.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace ledger::service::http
