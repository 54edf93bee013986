// Minimal JSON for ledgerctl: building the objects it prints (one per line, keys in the order
// they are added) and a strict RFC 8259 parser for the documents it reads back (proof bundles).
// Thread-safe: no shared state.
#ifndef CLI_JSON_H_
#define CLI_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger::cli {

// `s` as a JSON string literal. Escapes '"', '\\' and the control characters (\b \f \n \r \t,
// the others as \u00XX); copies every other byte, so UTF-8 text stays UTF-8.
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
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string number;  // The number's text, exactly as written.
  std::string string;  // Decoded (escapes resolved, UTF-8).
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;

  // The member named `key` of an object; nullptr when absent or not an object.
  const JsonValue* Find(absl::string_view key) const;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Strict RFC 8259: no
// comments, no trailing commas, no raw control characters in strings, no lone surrogates,
// valid UTF-8 only, no duplicate keys in an object, nesting at most 64 deep. InvalidArgument
// naming the byte offset of the problem.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

}  // namespace ledger::cli

#endif  // CLI_JSON_H_
