// The explorer's static files as ledgerd serves them (service/explorer/explorer_handler.h):
// every embedded file with its content type, validators and security headers, 304 on a
// matching If-None-Match, 404 for anything else, and "/" redirecting to /explorer/.
#include "service/explorer/explorer_handler.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "ledger/crypto/sha256.h"
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

TEST(ExplorerHandlerTest, IndexIsServedAtTheDirectoryPathWithItsCriticalFilesInlined) {
  const http::Response r = ServeExplorerFile(Get("/explorer/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Index().inlined, 3);
  EXPECT_EQ(r.body, Index().body);
  // The three tags are replaced by their files, in place, and nothing else references them.
  for (const char* tag : {"src=\"boot.js\"", "href=\"style.css\"", "src=\"app.js\""}) {
    EXPECT_FALSE(absl::StrContains(r.body, tag)) << tag;
  }
  const size_t boot = r.body.find("window.__early = early;");
  const size_t style = r.body.find("<style>");
  const size_t app = r.body.find("<script type=\"module\">");
  ASSERT_NE(boot, std::string::npos);
  ASSERT_NE(style, std::string::npos);
  ASSERT_NE(app, std::string::npos);
  EXPECT_LT(boot, style);
  EXPECT_LT(style, app);
  EXPECT_LT(app, r.body.find("</head>"));
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(r, "ETag"), Index().etag);
  EXPECT_EQ(ServeExplorerFile(Get("/explorer/", Index().etag)).status, 304);
}

TEST(ExplorerHandlerTest, TheIndexPolicyAllowsExactlyTheInlinedBlocksByHash) {
  const std::string csp = HeaderOf(ServeExplorerFile(Get("/explorer/")), "Content-Security-Policy");
  EXPECT_EQ(csp, Index().content_security_policy);
  // CSP source expressions: 'sha256-' + base64 of the SHA-256 of the block's exact bytes (the
  // browser test, tests/explorer:explorer_test, shows chromium running the page under it).
  auto hash_of = [](absl::string_view file) {
    for (const StaticFile& f : StaticFiles()) {
      if (f.path == file) {
        const Hash h = crypto::Sha256(f.data);
        return absl::StrCat("'sha256-", absl::Base64Escape(absl::string_view(
                                             reinterpret_cast<const char*>(h.data()), h.size())),
                            "'");
      }
    }
    return std::string("missing ") + std::string(file);
  };
  EXPECT_TRUE(absl::StrContains(csp, absl::StrCat("script-src 'self' ", hash_of("boot.js"), " ",
                                                  hash_of("app.js"), ";")))
      << csp;
  EXPECT_TRUE(absl::StrContains(csp, absl::StrCat("style-src 'self' ", hash_of("style.css"), ";")))
      << csp;
  EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline")) << csp;
  // Everything else in the policy is the files' policy.
  EXPECT_TRUE(absl::StrContains(csp, "default-src 'none';")) << csp;
  EXPECT_TRUE(absl::StrContains(csp, "connect-src 'self';")) << csp;
  EXPECT_TRUE(absl::StrContains(csp, "frame-ancestors 'none'")) << csp;
}

TEST(ExplorerHandlerTest, TheIndexAsWrittenAndEveryOtherFileCarryTheFilesPolicy) {
  const http::Response r = ServeExplorerFile(Get("/explorer/index.html"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, "<script type=\"module\" src=\"app.js\">")) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), std::string(kContentSecurityPolicy));
  EXPECT_EQ(HeaderOf(ServeExplorerFile(Get("/explorer/app.js")), "Content-Security-Policy"),
            std::string(kContentSecurityPolicy));
}

TEST(ExplorerHandlerTest, EveryEmbeddedFileIsServedWithItsTypeAndETag) {
  ASSERT_GE(StaticFiles().size(), 6u);
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
