// The explorer's static files as ledgerd serves them (service/explorer/explorer_handler.h):
// every embedded file with its content type, validators and security headers, 304 on a
// matching If-None-Match, 404 for anything else, and "/" redirecting to /explorer/.
#include "service/explorer/explorer_handler.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "service/explorer/static_files.h"

namespace ledger::service::explorer {
namespace {

http::Request Get(const std::string& path, const std::string& if_none_match = "") {
  http::Request r;
  r.method = "GET";
  r.path = path;
  r.raw_path = path;
  if (!if_none_match.empty()) r.headers.emplace_back("If-None-Match", if_none_match);
  return r;
}

std::string HeaderOf(const http::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ExplorerHandlerTest, IndexIsServedAtTheDirectoryPath) {
  const http::Response r = ServeExplorerFile(Get("/explorer/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(r.body, "<script type=\"module\" src=\"app.js\">")) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), std::string(kContentSecurityPolicy));
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
}

TEST(ExplorerHandlerTest, EveryEmbeddedFileIsServedWithItsTypeAndETag) {
  ASSERT_GE(StaticFiles().size(), 5u);
  for (const StaticFile& f : StaticFiles()) {
    const http::Response r = ServeExplorerFile(Get("/explorer/" + std::string(f.path)));
    EXPECT_EQ(r.status, 200) << f.path;
    EXPECT_EQ(r.body, f.data) << f.path;
    EXPECT_EQ(r.content_type, f.content_type) << f.path;
    EXPECT_EQ(HeaderOf(r, "ETag"), f.etag) << f.path;
    EXPECT_EQ(f.etag.size(), 18u) << f.path;  // a quoted 64-bit hex hash
  }
}

TEST(ExplorerHandlerTest, NoFileFetchesAnythingFromAnotherOrigin) {
  for (const StaticFile& f : StaticFiles()) {
    // The SVG namespace is a name, not a request.
    const std::string data =
        absl::StrReplaceAll(f.data, {{"xmlns=\"http://www.w3.org/2000/svg\"", ""}});
    EXPECT_FALSE(absl::StrContains(data, "http://")) << f.path;
    // Links the user may follow (a claim's source) are built from data, never written here.
    EXPECT_FALSE(absl::StrContains(data, "https://")) << f.path;
    EXPECT_FALSE(absl::StrContains(data, "//cdn")) << f.path;
  }
}

TEST(ExplorerHandlerTest, MatchingIfNoneMatchIsNotModified) {
  const http::Response first = ServeExplorerFile(Get("/explorer/app.js"));
  const http::Response again = ServeExplorerFile(Get("/explorer/app.js", HeaderOf(first, "ETag")));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  const http::Response stale = ServeExplorerFile(Get("/explorer/app.js", "\"0000000000000000\""));
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, first.body);
}

TEST(ExplorerHandlerTest, UnknownFilesAreNotFound) {
  for (const char* path : {"/explorer/nothing.js", "/explorer/../BUILD.bazel", "/explorer/static/app.js",
                           "/explorer/app.js/"}) {
    EXPECT_EQ(ServeExplorerFile(Get(path)).status, 404) << path;
  }
}

TEST(ExplorerHandlerTest, RootRedirectsAndNothingElseDoes) {
  const http::Response root = ServeRoot(Get("/"));
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(HeaderOf(root, "Location"), "/explorer/");
  EXPECT_EQ(ServeRoot(Get("/favicon.ico")).status, 404);
}

}  // namespace
}  // namespace ledger::service::explorer
