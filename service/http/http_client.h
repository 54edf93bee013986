// A minimal HTTP/1.1 client for ledgerd's outgoing calls (the tlog-witness add-checkpoint POST),
// on civetweb's client API (mg_connect_client, mg_get_response): civetweb writes and parses
// the HTTP; this module builds the request, bounds the wait and the reply size.
//
// Plain http:// only (put a TLS-terminating proxy in front of a witness reached over the
// Internet, or use https-bastion); one connection per call (no keep-alive).
//
// Thread-safe: calls share nothing.
#ifndef SERVICE_HTTP_HTTP_CLIENT_H_
#define SERVICE_HTTP_HTTP_CLIENT_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ledger::service::http {

struct HttpUrl {
  std::string host;  // a name, an IPv4 address or a bracket-less IPv6 address
  int port = 80;
  std::string path;  // the path prefix, "" or starting with '/', without a trailing '/'
};

// Parses "http://HOST[:PORT][/PREFIX]". InvalidArgument naming what is wrong (another scheme,
// no host, a bad port, a query or fragment).
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

struct ClientReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct PostOptions {
  // The whole exchange: connecting, sending, waiting for the status line and reading the body.
  absl::Duration timeout = absl::Seconds(5);
  size_t max_reply_bytes = 64 * 1024;
};

// POSTs `body` to url.path + path. Returns the reply whatever its status.
// Errors: Unavailable when the server cannot be reached or closes the connection early;
// DeadlineExceeded when no complete reply arrived within options.timeout; ResourceExhausted
// when the reply body is over options.max_reply_bytes.
absl::StatusOr<ClientReply> Post(const HttpUrl& url, absl::string_view path,
                                 absl::string_view content_type, absl::string_view body,
                                 const PostOptions& options);

// GETs url.path + path_and_query (e.g. "/checkpoint?witnessed"), with Post's errors and limits.
absl::StatusOr<ClientReply> Get(const HttpUrl& url, absl::string_view path_and_query,
                                const PostOptions& options);

}  // namespace ledger::service::http

#endif  // SERVICE_HTTP_HTTP_CLIENT_H_
