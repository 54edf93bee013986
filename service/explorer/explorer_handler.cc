#include "service/explorer/explorer_handler.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "ledger/crypto/sha256.h"
#include "service/explorer/static_files.h"

namespace ledger::service::explorer {
namespace {

http::Response NotFound(absl::string_view what) {
  http::Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = absl::StrCat("not found: ", what, "\n");
  return r;
}

const StaticFile* FindFile(absl::string_view name) {
  for (const StaticFile& f : StaticFiles()) {
    if (f.path == name) return &f;
  }
  return nullptr;
}

std::string CspHash(absl::string_view block) {
  const Hash h = crypto::Sha256(block);
  return absl::StrCat("'sha256-",
                      absl::Base64Escape(absl::string_view(
                          reinterpret_cast<const char*>(h.data()), h.size())),
                      "'");
}

// The tag that references each inlined file in index.html, and the element that replaces it.
struct Inline {
  absl::string_view tag;
  absl::string_view file;
  absl::string_view open;
  absl::string_view close;
  bool script;
};
constexpr Inline kInlines[] = {
    {"<script src=\"boot.js\"></script>", "boot.js", "<script>", "</script>", true},
    {"<link rel=\"stylesheet\" href=\"style.css\">", "style.css", "<style>", "</style>", false},
    {"<script type=\"module\" src=\"app.js\"></script>", "app.js", "<script type=\"module\">",
     "</script>", true},
};

ServedIndex BuildIndex() {
  ServedIndex index;
  const StaticFile* html = FindFile("index.html");
  if (html == nullptr) return index;
  index.body = std::string(html->data);
  std::string script_hashes, style_hashes;
  for (const Inline& in : kInlines) {
    const StaticFile* f = FindFile(in.file);
    const size_t at = index.body.find(in.tag.data(), 0, in.tag.size());
    // A file that could close its own element early is served by reference instead.
    if (f == nullptr || at == std::string::npos ||
        absl::StrContains(f->data, in.script ? "</script" : "</style")) {
      continue;
    }
    index.body.replace(at, in.tag.size(), absl::StrCat(in.open, f->data, in.close));
    absl::StrAppend(in.script ? &script_hashes : &style_hashes, " ", CspHash(f->data));
    ++index.inlined;
  }
  index.content_security_policy = absl::StrReplaceAll(
      kContentSecurityPolicy, {{"script-src 'self';", absl::StrCat("script-src 'self'", script_hashes, ";")},
                               {"style-src 'self';", absl::StrCat("style-src 'self'", style_hashes, ";")}});
  const Hash h = crypto::Sha256(index.body);
  index.etag = absl::StrCat("\"", absl::BytesToHexString(absl::string_view(
                                      reinterpret_cast<const char*>(h.data()), 8)),
                            "\"");
  return index;
}

http::Response Serve(absl::string_view body, absl::string_view content_type, absl::string_view etag,
                     absl::string_view csp, const http::Request& request) {
  http::Response r;
  r.headers = {{"ETag", std::string(etag)},
               {"Cache-Control", "no-cache"},
               {"Content-Security-Policy", std::string(csp)},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  r.content_type = std::string(content_type);
  if (request.Header("If-None-Match") == etag) {
    r.status = 304;
    return r;
  }
  r.body = std::string(body);
  return r;
}

}  // namespace

const ServedIndex& Index() {
  static const ServedIndex* const index = new ServedIndex(BuildIndex());
  return *index;
}

http::Response ServeExplorerFile(const http::Request& request) {
  absl::string_view name = request.path;
  if (!absl::ConsumePrefix(&name, kExplorerPrefix)) return NotFound(request.path);
  if (name.empty()) {
    const ServedIndex& index = Index();
    if (!index.body.empty()) {
      return Serve(index.body, "text/html; charset=utf-8", index.etag,
                   index.content_security_policy, request);
    }
    name = "index.html";
  }
  const StaticFile* f = FindFile(name);
  if (f == nullptr) return NotFound(request.path);
  return Serve(f->data, f->content_type, f->etag, kContentSecurityPolicy, request);
}

http::Response ServeRoot(const http::Request& request) {
  if (request.path != "/") return NotFound(request.path);
  http::Response r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.headers = {{"Location", std::string(kExplorerPrefix)}};
  r.body = absl::StrCat("the explorer is at ", kExplorerPrefix, "\n");
  return r;
}

}  // namespace ledger::service::explorer
