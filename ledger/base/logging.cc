#include "ledger/base/logging.h"

#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ledger {
namespace {

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void LogEvent(LogLevel level, absl::string_view msg,
              std::initializer_list<std::pair<absl::string_view, std::string>> fields) {
  std::string line = "{\"time\":";
  AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(),
                                           absl::UTCTimeZone()));
  line.append(",\"level\":");
  AppendJsonString(&line, level == LogLevel::kInfo      ? "info"
                          : level == LogLevel::kWarning ? "warning"
                                                        : "error");
  line.append(",\"msg\":");
  AppendJsonString(&line, msg);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    AppendJsonString(&line, key);
    line.push_back(':');
    AppendJsonString(&line, value);
  }
  line.append("}\n");
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;  // Nowhere left to report a failed write to stderr.
}

}  // namespace ledger
