// Structured logging: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-29T10:00:00.123456Z","level":"info","msg":"serving","port":"50051"}
// Thread-safe (each line is written with one call).
#ifndef LEDGER_BASE_LOGGING_H_
#define LEDGER_BASE_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace ledger {

enum class LogLevel { kInfo, kWarning, kError };

// Writes one line with `msg` and the given key/value fields.
void LogEvent(LogLevel level, absl::string_view msg,
              std::initializer_list<std::pair<absl::string_view, std::string>> fields = {});

}  // namespace ledger

#endif  // LEDGER_BASE_LOGGING_H_
