#include "cli/entry_filter.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/output.h"
#include "ledger/base/types.h"
#include "ledger/core/event_validation.h"

namespace ledger::cli {
namespace {

const std::set<std::string>& KnownTypes() {
  static const auto* const kTypes =
      new std::set<std::string>{"assert", "correct", "retract", "review", "key+", "key-"};
  return *kTypes;
}

}  // namespace

bool EntryFilter::Matches(const ledger::v1::Entry& entry) const {
  const int64_t t = entry.recorded_time_micros();
  if (since_micros.has_value() && t < *since_micros) return false;
  if (until_micros.has_value() && t > *until_micros) return false;
  if (!key_id_prefix.empty() &&
      !absl::StartsWith(HexEncode(entry.signed_event().key_id()), key_id_prefix)) {
    return false;
  }
  if (!types.empty()) {
    absl::StatusOr<ledger::v1::Event> event =
        core::ParseStoredEvent(entry.signed_event().event());
    const std::string type = event.ok() ? std::string(EventTypeName(*event)) : "?";
    if (types.count(type) == 0) return false;
  }
  return true;
}

absl::StatusOr<std::set<std::string>> ParseEventTypes(const std::vector<std::string>& values) {
  std::set<std::string> out;
  for (const std::string& value : values) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      std::string type(absl::StripAsciiWhitespace(part));
      if (KnownTypes().count(type) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("--type: unknown type \"", type,
                                                       "\"; known: ",
                                                       absl::StrJoin(KnownTypes(), ", ")));
      }
      out.insert(type);
    }
  }
  return out;
}

absl::StatusOr<std::string> ParseKeyIdPrefix(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower.empty() || lower.size() > 64 ||
      lower.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--key: want 1 to 64 hex digits of a key id (as keygen prints it), got \"", text, "\""));
  }
  return lower;
}

absl::StatusOr<int64_t> ParseTimeFlag(absl::string_view text, bool end_of_day) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::ToUnixMicros(t);
  }
  if (text.size() == 10 && absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(),
                                           &t, &err)) {
    if (end_of_day) t += absl::Hours(24) - absl::Microseconds(1);
    return absl::ToUnixMicros(t);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "want an RFC 3339 time (2026-11-29T09:59:05Z) or a date (2026-11-29), got \"", text,
      "\""));
}

}  // namespace ledger::cli
