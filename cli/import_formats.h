// The line formats `ledgerctl import` reads (cli/commands/import.cc), as a library so they can
// be tested and fuzzed (tests/fuzz/import_formats_fuzz.cc). Pure functions, thread-safe.
//
//   jsonl   one ledger.v1.EventDraft per line in the proto3 JSON mapping (as `submit` reads)
//   export  the lines of `ledgerctl export`: an entry as JSON; only event_id and event are
//           taken (unknown fields such as sequence and signature are ignored)
//   liar    the LIAR data set's TSV rows (cli/liar.h): two drafts per row
#ifndef CLI_IMPORT_FORMATS_H_
#define CLI_IMPORT_FORMATS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::cli {

// Parses one line in `format` ("jsonl", "export" or "liar"). InvalidArgument says why the line
// is unusable. The drafts are not checked against the admission limits here.
absl::StatusOr<std::vector<ledger::v1::EventDraft>> ParseImportLine(absl::string_view format,
                                                                    const std::string& line);

// For a line that did not parse in `format`: when it looks like a line of another format, what
// it looks like and which --format to use (e.g. a LIAR row given as jsonl); empty otherwise.
// A file in the wrong format fails on every line, so the importer stops at the first.
std::string OtherFormatHint(absl::string_view format, absl::string_view line);

}  // namespace ledger::cli

#endif  // CLI_IMPORT_FORMATS_H_
