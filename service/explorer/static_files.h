// The explorer's static files (service/explorer/static/), compiled into ledgerd by the
// embed_files build tool: HTML, CSS and JavaScript only, no external references.
#ifndef SERVICE_EXPLORER_STATIC_FILES_H_
#define SERVICE_EXPLORER_STATIC_FILES_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ledger::service::explorer {

// One embedded file. Immutable; every view points into static storage.
struct StaticFile {
  absl::string_view path;          // relative to static/, e.g. "app.js"
  absl::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  absl::string_view etag;          // quoted strong validator of the bytes
  absl::string_view data;
};

// Every embedded file, in the order the build listed them.
absl::Span<const StaticFile> StaticFiles();

}  // namespace ledger::service::explorer

#endif  // SERVICE_EXPLORER_STATIC_FILES_H_
