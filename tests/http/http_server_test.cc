// service/http: a real civetweb listener on loopback, real sockets; every limit answered with
// its status code.
#include "service/http/http_server.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/wait_for.h"

namespace ledger::service::http {
namespace {

using ::ledger::testing::HttpGet;
using ::ledger::testing::HttpReply;
using ::ledger::testing::HttpRequest;
using ::testing::HasSubstr;

Handler Text(std::string body) {
  return [body](const Request&) {
    Response r;
    r.content_type = "text/plain";
    r.body = body;
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  };
}

std::unique_ptr<Server> StartOrDie(ServerOptions options,
                                   std::vector<std::pair<std::string, Handler>> routes) {
  auto server = Server::Start(std::move(options), std::move(routes));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServerTest, LongestPrefixWins) {
  auto server = StartOrDie({}, {{"/a", Text("a")}, {"/a/b", Text("ab")}, {"/", Text("root")}});
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(HttpGet(server->port(), "/a/b/c")->body, "ab");
  EXPECT_EQ(HttpGet(server->port(), "/a/x")->body, "a");
  EXPECT_EQ(HttpGet(server->port(), "/zzz")->body, "root");
  HttpReply reply = *HttpGet(server->port(), "/a");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("Content-Type"), "text/plain");
  EXPECT_EQ(reply.Header("Content-Length"), "1");
  EXPECT_EQ(reply.Header("Cache-Control"), "no-cache");
}

TEST(HttpServerTest, NoMatchingRouteIs404) {
  auto server = StartOrDie({}, {{"/tile/", Text("t")}});
  ASSERT_NE(server, nullptr);
  HttpReply reply = *HttpGet(server->port(), "/til");
  EXPECT_EQ(reply.status, 404);
  EXPECT_THAT(reply.body, HasSubstr("no resource at /til"));
}

TEST(HttpServerTest, HandlerSeesDecodedPathRawPathQueryAndHeaders) {
  Request seen;
  auto server = StartOrDie({}, {{"/echo/", [&](const Request& r) {
                                   seen = r;
                                   return Response{};
                                 }}});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(HttpGet(server->port(), "/echo/%41b%2Fc?x=1&y=%20")->status, 200);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/echo/Ab/c");
  EXPECT_EQ(seen.raw_path, "/echo/%41b%2Fc");
  EXPECT_EQ(seen.query, "x=1&y=%20");
  EXPECT_EQ(seen.Header("host"), "127.0.0.1");
  EXPECT_EQ(seen.Header("x-absent"), "");
}

TEST(HttpServerTest, OtherMethodsAre405WithAllow) {
  int calls = 0;
  auto server = StartOrDie({}, {{"/", [&](const Request&) {
                                   ++calls;
                                   return Response{};
                                 }}});
  ASSERT_NE(server, nullptr);
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    HttpReply reply = *HttpRequest(server->port(), method, "/x");
    EXPECT_EQ(reply.status, 405) << method;
    EXPECT_EQ(reply.Header("Allow"), "GET, HEAD") << method;
  }
  EXPECT_EQ(calls, 0);
}

TEST(HttpServerTest, HeadSendsGetHeadersWithoutBody) {
  auto server = StartOrDie({}, {{"/x", Text("twelve bytes")}});
  ASSERT_NE(server, nullptr);
  HttpReply reply = *HttpRequest(server->port(), "HEAD", "/x");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("Content-Length"), "12");
  EXPECT_EQ(reply.body, "");
}

TEST(HttpServerTest, PathOverMaxPathBytesIs414) {
  ServerOptions options;
  options.max_path_bytes = 100;
  int calls = 0;
  auto server = StartOrDie(options, {{"/", [&](const Request&) {
                                        ++calls;
                                        return Response{};
                                      }}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HttpGet(server->port(), "/" + std::string(99, 'a'))->status, 200);
  HttpReply reply = *HttpGet(server->port(), "/" + std::string(100, 'a'));
  EXPECT_EQ(reply.status, 414);
  EXPECT_THAT(reply.body, HasSubstr("101 bytes; the limit (max_path_bytes) is 100"));
  EXPECT_EQ(calls, 1);
}

TEST(HttpServerTest, DefaultPathLimitIs2048) {
  auto server = StartOrDie({}, {{"/", Text("ok")}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HttpGet(server->port(), "/" + std::string(2047, 'a'))->status, 200);
  EXPECT_EQ(HttpGet(server->port(), "/" + std::string(2048, 'a'))->status, 414);
}

TEST(HttpServerTest, RequestsOverMaxConcurrentAre503WithRetryAfter) {
  ServerOptions options;
  options.max_concurrent_requests = 1;
  options.threads = 4;
  std::atomic<int> entered{0};
  absl::Notification release;
  auto server = StartOrDie(options, {{"/slow", [&](const Request&) {
                                        entered.fetch_add(1);
                                        release.WaitForNotification();
                                        return Response{};
                                      }},
                                     {"/fast", Text("fast")}});
  ASSERT_NE(server, nullptr);
  int first_status = 0;
  std::thread first([&] { first_status = HttpGet(server->port(), "/slow")->status; });
  ASSERT_TRUE(ledger::testing::WaitFor([&] { return entered.load() == 1; }, absl::Seconds(30)));
  HttpReply refused = *HttpGet(server->port(), "/fast");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("Retry-After"), "1");
  EXPECT_THAT(refused.body, HasSubstr("(max_concurrent_requests) is 1"));
  release.Notify();
  first.join();
  EXPECT_EQ(first_status, 200);
  EXPECT_EQ(entered.load(), 1);
  // The slot is free again once the first handler's thread has finished writing (the client may
  // read the whole reply a moment before the server releases the slot).
  EXPECT_TRUE(ledger::testing::WaitFor(
      [&] { return HttpGet(server->port(), "/fast")->status == 200; }, absl::Seconds(30)));
}

TEST(HttpServerTest, ResponseOverMaxResponseBytesIs500NeverCut) {
  ServerOptions options;
  options.max_response_bytes = 10;
  auto server = StartOrDie(options, {{"/ten", Text(std::string(10, 'x'))},
                                     {"/eleven", Text(std::string(11, 'x'))}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(HttpGet(server->port(), "/ten")->body, std::string(10, 'x'));
  HttpReply reply = *HttpGet(server->port(), "/eleven");
  EXPECT_EQ(reply.status, 500);
  EXPECT_THAT(reply.body, HasSubstr("11 bytes; the limit (max_response_bytes) is 10"));
}

TEST(HttpServerTest, BadListenAddressIsInvalidArgument) {
  ServerOptions options;
  options.listen = "localhost";
  EXPECT_EQ(Server::Start(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
  options.listen = "127.0.0.1:70000";
  EXPECT_EQ(Server::Start(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, AddressInUseIsUnavailable) {
  auto first = StartOrDie({}, {});
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_EQ(Server::Start(options, {}).status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpServerTest, RoutePrefixMustStartWithSlash) {
  EXPECT_EQ(Server::Start({}, {{"tile", Text("x")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledger::service::http
