// service/http's POST side: the listener taking POST bodies (witnessd's add-checkpoint) and the
// civetweb client ledgerd's witness collector posts with; and the --witness flag's parser.
#include "service/http/http_client.h"

#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "service/http/http_server.h"
#include "service/witness_collector.h"
#include "tests/testing/http_get.h"

namespace ledger::service::http {
namespace {

std::unique_ptr<Server> StartOrDie(ServerOptions options,
                                   std::vector<std::pair<std::string, Handler>> routes) {
  auto server = Server::Start(std::move(options), std::move(routes));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

Response Echo(const Request& r) {
  Response out;
  out.content_type = "text/x.test";
  out.body = r.method + " " + r.path + " " + r.body;
  return out;
}

HttpUrl Local(int port, std::string prefix = "") { return HttpUrl{"127.0.0.1", port, prefix}; }

TEST(HttpClientTest, PostReachesTheHandlerWithItsBody) {
  ServerOptions options;
  options.max_request_body_bytes = 1024;
  auto server = StartOrDie(options, {{"/w/", Echo}});
  absl::StatusOr<ClientReply> r =
      Post(Local(server->port(), "/w"), "/add-checkpoint", "text/plain", "old 0\n\nx", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/x.test");
  EXPECT_EQ(r->body, "POST /w/add-checkpoint old 0\n\nx");
}

TEST(HttpClientTest, PostBodyOverTheLimitIs413) {
  ServerOptions options;
  options.max_request_body_bytes = 8;
  auto server = StartOrDie(options, {{"/", Echo}});
  absl::StatusOr<ClientReply> r = Post(Local(server->port()), "/x", "text/plain", "123456789", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("max_request_body_bytes) is 8"), std::string::npos) << r->body;
}

TEST(HttpClientTest, PostIs405WhenTheServerTakesNoBodies) {
  auto server = StartOrDie(ServerOptions(), {{"/", Echo}});
  absl::StatusOr<ClientReply> r = Post(Local(server->port()), "/x", "text/plain", "a", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 405);
}

TEST(HttpClientTest, PostWithoutContentLengthIs411) {
  ServerOptions options;
  options.max_request_body_bytes = 8;
  auto server = StartOrDie(options, {{"/", Echo}});
  absl::StatusOr<testing::HttpReply> r = testing::HttpRequest(server->port(), "POST", "/x");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 411);
}

TEST(HttpClientTest, ASlowServerIsDeadlineExceeded) {
  absl::Notification release;
  ServerOptions options;
  options.max_request_body_bytes = 64;
  auto server = StartOrDie(options, {{"/", [&release](const Request& r) {
                                        release.WaitForNotification();
                                        return Echo(r);
                                      }}});
  PostOptions post;
  post.timeout = absl::Milliseconds(200);
  absl::StatusOr<ClientReply> r = Post(Local(server->port()), "/x", "text/plain", "a", post);
  release.Notify();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST(HttpClientTest, NobodyListeningIsUnavailable) {
  int port = 0;
  {
    auto server = StartOrDie(ServerOptions(), {{"/", Echo}});
    port = server->port();
  }
  absl::StatusOr<ClientReply> r = Post(Local(port), "/x", "text/plain", "a", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(HttpClientTest, AReplyOverTheLimitIsResourceExhausted) {
  ServerOptions options;
  options.max_request_body_bytes = 64;
  auto server = StartOrDie(options, {{"/", [](const Request&) {
                                        Response r;
                                        r.body = std::string(5000, 'x');
                                        return r;
                                      }}});
  PostOptions post;
  post.max_reply_bytes = 4096;
  absl::StatusOr<ClientReply> r = Post(Local(server->port()), "/x", "text/plain", "a", post);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(HttpClientTest, ParseHttpUrl) {
  absl::StatusOr<HttpUrl> u = ParseHttpUrl("http://witness.example:7380/sub/prefix/");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "witness.example");
  EXPECT_EQ(u->port, 7380);
  EXPECT_EQ(u->path, "/sub/prefix");
  u = ParseHttpUrl("http://[::1]:8080");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(ParseHttpUrl("http://h").value().port, 80);
  EXPECT_EQ(ParseHttpUrl("https://h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("http://h:0").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("http://h:x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("http://h/p?q").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHttpUrl("http://:80").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WitnessFlagTest, VerifierKeyThenUrl) {
  const std::string vkey = witness::CosignerVerifierKey(
      {"w.example/w1", crypto::Ed25519PrivateKey::FromSeed(std::string(32, 'w'))->public_key()});
  absl::StatusOr<WitnessEndpoint> w = ParseWitnessFlag(vkey + "=http://127.0.0.1:7380/p");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->cosigner.name, "w.example/w1");
  EXPECT_EQ(w->url.port, 7380);
  EXPECT_EQ(w->url.path, "/p");
  absl::StatusOr<WitnessEndpoint> bad = ParseWitnessFlag(vkey);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("=http://HOST:PORT"), std::string::npos);
  bad = ParseWitnessFlag("w+00000000+AAAA=http://h:1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledger::service::http
