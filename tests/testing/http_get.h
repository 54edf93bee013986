// HttpGet: a test's HTTP client, civetweb's client API underneath (one request per
// connection, "Connection: close"). For tests of service/http and the handlers served on it.
#ifndef TESTS_TESTING_HTTP_GET_H_
#define TESTS_TESTING_HTTP_GET_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace ledger::testing {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The value of header `name` (case-insensitive), "" when absent.
  std::string Header(const std::string& name) const;
};

// Sends `method target` (target = path plus optional "?query", sent as given) to
// 127.0.0.1:`port`, with `extra_headers` ("Name: value\r\n" lines) if any, and reads the whole
// reply (no body for HEAD). Unavailable when the connection or the reply fails.
absl::StatusOr<HttpReply> HttpRequest(int port, const std::string& method,
                                      const std::string& target,
                                      const std::string& extra_headers = "");
inline absl::StatusOr<HttpReply> HttpGet(int port, const std::string& target) {
  return HttpRequest(port, "GET", target);
}

}  // namespace ledger::testing

#endif  // TESTS_TESTING_HTTP_GET_H_
