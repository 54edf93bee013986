#include "service/http/http_client.h"

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "civetweb.h"

namespace ledger::service::http {
namespace {

void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

struct ConnectionCloser {
  void operator()(mg_connection* c) const { mg_close_connection(c); }
};

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url, "\": only http://HOST[:PORT][/PREFIX] is supported"));
  }
  if (absl::StrContains(rest, '?') || absl::StrContains(rest, '#')) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url, "\": a witness URL has no query or fragment"));
  }
  HttpUrl out;
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) out.path = std::string(rest.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": unclosed '['"));
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": junk after ']'"));
    }
    port = after;
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("URL \"", url, "\": no host"));
  out.host = std::string(host);
  if (!port.empty() && (!absl::SimpleAtoi(port, &out.port) || out.port < 1 || out.port > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", url, "\": the port must be a number in 1..65535"));
  }
  return out;
}

namespace {

absl::StatusOr<ClientReply> Exchange(const HttpUrl& url, absl::string_view method,
                                     absl::string_view path, absl::string_view content_type,
                                     absl::string_view body, const PostOptions& options) {
  InitCivetwebOnce();
  const absl::Time deadline = absl::Now() + options.timeout;
  char error[256] = {0};
  std::unique_ptr<mg_connection, ConnectionCloser> conn(
      mg_connect_client(url.host.c_str(), url.port, /*use_ssl=*/0, error, sizeof(error)));
  const std::string where = absl::StrCat("http://", url.host, ":", url.port, url.path, path);
  if (conn == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", where, ": ", error));
  }
  const std::string host_header =
      absl::StrContains(url.host, ':') ? absl::StrCat("[", url.host, "]:", url.port)
                                       : absl::StrCat(url.host, ":", url.port);
  const std::string head =
      method == "GET"
          ? absl::StrCat("GET ", url.path, path, " HTTP/1.1\r\nHost: ", host_header,
                         "\r\nConnection: close\r\n\r\n")
          : absl::StrCat(method, " ", url.path, path, " HTTP/1.1\r\nHost: ", host_header,
                         "\r\nContent-Type: ", content_type,
                         "\r\nContent-Length: ", body.size(),
                         "\r\nConnection: close\r\n\r\n");
  if (mg_write(conn.get(), head.data(), head.size()) != static_cast<int>(head.size()) ||
      (!body.empty() &&
       mg_write(conn.get(), body.data(), body.size()) != static_cast<int>(body.size()))) {
    return absl::UnavailableError(absl::StrCat("cannot send the request to ", where));
  }
  const int64_t wait_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  if (wait_ms <= 0 ||
      mg_get_response(conn.get(), error, sizeof(error), static_cast<int>(wait_ms)) < 0) {
    // civetweb reports its own timeout as a failure ("No data received"), at the deadline
    // give or take its polling granularity.
    if (absl::Now() >= deadline - options.timeout / 10) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no reply from ", where, " within ", absl::FormatDuration(options.timeout)));
    }
    return absl::UnavailableError(absl::StrCat("no valid reply from ", where, ": ", error));
  }
  const mg_response_info* info = mg_get_response_info(conn.get());
  if (info == nullptr) {
    return absl::UnavailableError(absl::StrCat("no valid reply from ", where));
  }
  ClientReply reply;
  reply.status = info->status_code;
  for (int i = 0; i < info->num_headers; ++i) {
    if (absl::EqualsIgnoreCase(info->http_headers[i].name, "Content-Type")) {
      reply.content_type = info->http_headers[i].value;
    }
  }
  if (info->content_length > static_cast<long long>(options.max_reply_bytes)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the reply from ", where, " is ", info->content_length,
                     " bytes; the limit is ", options.max_reply_bytes));
  }
  // Read to the announced length, or to the end of the connection (Connection: close).
  char buf[4096];
  while (true) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the reply from ", where, " did not end within ", absl::FormatDuration(options.timeout)));
    }
    const int n = mg_read(conn.get(), buf, sizeof(buf));
    if (n < 0) return absl::UnavailableError(absl::StrCat("reading the reply from ", where));
    if (n == 0) break;
    reply.body.append(buf, static_cast<size_t>(n));
    if (reply.body.size() > options.max_reply_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the reply from ", where, " is over the limit of ", options.max_reply_bytes, " bytes"));
    }
  }
  if (info->content_length >= 0 &&
      reply.body.size() != static_cast<size_t>(info->content_length)) {
    return absl::UnavailableError(absl::StrCat("the reply from ", where, " ended after ",
                                               reply.body.size(), " of its ",
                                               info->content_length, " bytes"));
  }
  return reply;
}

}  // namespace

absl::StatusOr<ClientReply> Post(const HttpUrl& url, absl::string_view path,
                                 absl::string_view content_type, absl::string_view body,
                                 const PostOptions& options) {
  return Exchange(url, "POST", path, content_type, body, options);
}

absl::StatusOr<ClientReply> Get(const HttpUrl& url, absl::string_view path_and_query,
                                const PostOptions& options) {
  return Exchange(url, "GET", path_and_query, "", "", options);
}

}  // namespace ledger::service::http
