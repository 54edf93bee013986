#include "tests/testing/http_get.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "civetweb.h"

namespace ledger::testing {

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

absl::StatusOr<HttpReply> HttpRequest(int port, const std::string& method,
                                      const std::string& target,
                                      const std::string& extra_headers) {
  static const bool initialised = (mg_init_library(0), true);
  (void)initialised;  // once per process
  char error[256] = {};
  mg_connection* conn =
      mg_download("127.0.0.1", port, 0, error, sizeof(error),
                  "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
                  method.c_str(), target.c_str(), extra_headers.c_str());
  if (conn == nullptr) {
    return absl::UnavailableError(absl::StrCat("GET ", target, ": ", error));
  }
  const mg_response_info* info = mg_get_response_info(conn);
  HttpReply reply;
  reply.status = info->status_code;
  for (int i = 0; i < info->num_headers; ++i) {
    reply.headers.emplace_back(info->http_headers[i].name, info->http_headers[i].value);
  }
  if (method != "HEAD") {
    char buf[16384];
    int n;
    while ((n = mg_read(conn, buf, sizeof(buf))) > 0) reply.body.append(buf, n);
  }
  mg_close_connection(conn);
  return reply;
}

}  // namespace ledger::testing
