#include "cli/import_formats.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/liar.h"
#include "google/protobuf/util/json_util.h"

namespace ledger::cli {

namespace v1 = ledger::v1;

absl::StatusOr<std::vector<v1::EventDraft>> ParseImportLine(absl::string_view format,
                                                            const std::string& line) {
  if (format == "liar") return LiarRowDrafts(line);
  google::protobuf::util::JsonParseOptions options;
  // An export line carries the entry's envelope (sequence, signature, ...) beside event_id and
  // event; only those two are imported (and re-signed with the importer's key).
  options.ignore_unknown_fields = format == "export";
  v1::EventDraft draft;
  auto s = google::protobuf::util::JsonStringToMessage(line, &draft, options);
  if (!s.ok()) {
    // The parser's message may go on with the offending text on more lines: keep the first.
    std::string message = s.message().as_string();
    message = message.substr(0, message.find('\n'));
    return absl::InvalidArgumentError(absl::StrCat("not a ledger.v1.EventDraft: ", message));
  }
  if (format == "export" && draft.event_id().empty()) {
    return absl::InvalidArgumentError("an export line without event_id");
  }
  return std::vector<v1::EventDraft>{std::move(draft)};
}

std::string OtherFormatHint(absl::string_view format, absl::string_view line) {
  const bool json_object = absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "{");
  if (format == "liar") {
    if (!json_object) return "";
    return "it is a JSON object, not a LIAR row: use --format jsonl (EventDraft lines) or "
           "--format export (the lines of `ledgerctl export`)";
  }
  if (json_object || !absl::StrContains(line, '\t')) return "";
  const size_t columns = static_cast<size_t>(std::count(line.begin(), line.end(), '\t')) + 1;
  if (columns == static_cast<size_t>(kLiarColumns)) {
    return absl::StrCat("it has ", kLiarColumns,
                        " tab-separated columns, as a row of the LIAR data set: use --format liar");
  }
  return absl::StrCat("it has ", columns,
                      " tab-separated columns, not JSON: for the LIAR data set use --format liar");
}

}  // namespace ledger::cli
