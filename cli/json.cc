#include "cli/json.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ledger::cli {

std::string JsonQuote(absl::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void JsonObject::Key(absl::string_view key) {
  if (!body_.empty()) body_.push_back(',');
  absl::StrAppend(&body_, JsonQuote(key), ":");
}

JsonObject& JsonObject::AddString(absl::string_view key, absl::string_view value) {
  Key(key);
  body_ += JsonQuote(value);
  return *this;
}

JsonObject& JsonObject::AddUint(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::AddInt(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::AddBool(absl::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::AddNull(absl::string_view key) {
  Key(key);
  body_ += "null";
  return *this;
}

JsonObject& JsonObject::AddRaw(absl::string_view key, absl::string_view json) {
  Key(key);
  body_.append(json.data(), json.size());
  return *this;
}

JsonObject& JsonObject::AddStringArray(absl::string_view key,
                                       const std::vector<std::string>& values) {
  Key(key);
  body_.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_.push_back(',');
    body_ += JsonQuote(values[i]);
  }
  body_.push_back(']');
  return *this;
}

std::string JsonObject::Build() const { return absl::StrCat("{", body_, "}"); }

namespace {

// Thrown from the parser callback to stop at a document nlohmann accepts and we refuse.
struct Refusal {
  std::string why;
};

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  // The keys of each object being parsed, innermost last (duplicate detection).
  std::vector<std::set<std::string>> keys;
  const Json::parser_callback_t check = [&keys](int depth, Json::parse_event_t event,
                                                Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) {
          throw Refusal{absl::StrCat("nesting too deep (more than ", kMaxJsonDepth, " levels)")};
        }
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(key).second) {
          throw Refusal{absl::StrCat("duplicate member \"", key, "\"")};
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const Refusal& r) {
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", r.why));
  } catch (const Json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 8: ...":
    // keep the words a person reads.
    absl::string_view what = e.what();
    const size_t tag_end = what.find("] ");
    if (absl::StartsWith(what, "[json.exception.") && tag_end != absl::string_view::npos) {
      what.remove_prefix(tag_end + 2);
    }
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", what));
  }
}

}  // namespace ledger::cli
