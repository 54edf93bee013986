// JSON for ledgerctl, on nlohmann::json (Debian's nlohmann-json3, the project's one JSON
// library): building the objects it prints (one per line, keys in the order they are added) and
// a strict parser for the documents it reads back (proof bundles). Thread-safe: no shared state.
#ifndef CLI_JSON_H_
#define CLI_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ledger::cli {

// `s` as a JSON string literal. Escapes '"', '\\' and the control characters (\b \f \n \r \t,
// the others as \u00XX); UTF-8 text stays UTF-8, and a byte sequence that is not UTF-8 becomes
// U+FFFD, so the output is always valid JSON.
std::string JsonQuote(absl::string_view s);

// Builds one JSON object, members in the order added. The Add* names carry the type so that a
// string literal can never silently become a bool.
//
// Example:
//   std::cout << JsonObject().AddUint("sequence", 14).AddString("event_id", id)
//                    .AddBool("verified", true).Build() << "\n";
class JsonObject {
 public:
  JsonObject& AddString(absl::string_view key, absl::string_view value);
  JsonObject& AddUint(absl::string_view key, uint64_t value);
  JsonObject& AddInt(absl::string_view key, int64_t value);
  JsonObject& AddBool(absl::string_view key, bool value);
  JsonObject& AddNull(absl::string_view key);
  // `json` must already be a JSON value (an object, an array, a number ...).
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  // An array of strings.
  JsonObject& AddStringArray(absl::string_view key, const std::vector<std::string>& values);

  // "{...}" with no whitespace.
  std::string Build() const;

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// A parsed JSON value. Objects keep their members in document order.
using Json = nlohmann::ordered_json;

// Parses exactly one JSON value (surrounding whitespace allowed). Strict RFC 8259 (nlohmann's
// parser: no comments, no trailing commas, no raw control characters in strings, no lone
// surrogates, valid UTF-8 only) and, beyond it, no duplicate keys in an object and nesting at
// most kMaxJsonDepth deep. InvalidArgument naming the byte offset or the key of the problem.
inline constexpr int kMaxJsonDepth = 64;
absl::StatusOr<Json> ParseJson(absl::string_view text);

}  // namespace ledger::cli

#endif  // CLI_JSON_H_
