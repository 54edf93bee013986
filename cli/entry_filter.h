// Which entries `ledgerctl log` lists: filters over what every entry carries (event type,
// signer key, recorded time). Pure, thread-compatible.
//
// Filters that need the claim views (claimant, topic, source: a review or a retraction names
// its claim only by id) are not here yet; they will narrow the scan to the sequence numbers a
// view index returns, then apply this filter to each entry (EntryFilter stays the per-entry
// predicate; the candidate set becomes a second input of the log command).
#ifndef CLI_ENTRY_FILTER_H_
#define CLI_ENTRY_FILTER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/ledger_service.pb.h"

namespace ledger::cli {

struct EntryFilter {
  // EventTypeName values ("assert", "correct", "retract", "review", "key+", "key-"); empty
  // means every type.
  std::set<std::string> types;
  // Lowercase hex prefix of the signer's key id; empty means any signer.
  std::string key_id_prefix;
  // Recorded time bounds, Unix microseconds, both inclusive.
  std::optional<int64_t> since_micros;
  std::optional<int64_t> until_micros;

  bool empty() const {
    return types.empty() && key_id_prefix.empty() && !since_micros && !until_micros;
  }
  // True when the entry passes every filter. An event that does not parse has type "?".
  bool Matches(const ledger::v1::Entry& entry) const;
};

// Parses --type values: each a type name, or several separated by commas.
// InvalidArgument naming the unknown type and listing the known ones.
absl::StatusOr<std::set<std::string>> ParseEventTypes(const std::vector<std::string>& values);

// Parses a --key value: 1..64 hex digits (either case); returns them in lowercase.
absl::StatusOr<std::string> ParseKeyIdPrefix(absl::string_view text);

// Parses a --since / --until value: RFC 3339 ("2026-11-29T09:59:05Z", with an offset or
// fractional seconds) or a date "2026-11-29" (UTC), which means the start of that day, or its
// last microsecond when `end_of_day` (so --until DATE includes the whole day).
// InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseTimeFlag(absl::string_view text, bool end_of_day);

}  // namespace ledger::cli

#endif  // CLI_ENTRY_FILTER_H_
