// Internal to the Log implementation (log.cc, admission.cc, sequencer.cc): the error helpers
// its three parts share. Not for other users.
#ifndef LEDGER_CORE_LOG_INTERNAL_H_
#define LEDGER_CORE_LOG_INTERNAL_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"

namespace ledger::core::log_internal {

// `s` with its field prefixed by "events[index]." (index < 0: unchanged).
inline absl::Status WithIndex(const absl::Status& s, int index) {
  if (s.ok() || index < 0) return s;
  return PrefixErrorField(s, absl::StrCat("events[", index, "]."));
}

// The refusal of every append after the log fail-stopped on `cause`.
inline absl::Status LogStopped(const absl::Status& cause) {
  return MakeError(absl::StatusCode::kUnavailable, reason::kLogStopped, "",
                   absl::StrCat("the log stopped accepting writes after a storage error (",
                                cause.message(),
                                "); restart the server, then retry with the same event id"));
}

}  // namespace ledger::core::log_internal

#endif  // LEDGER_CORE_LOG_INTERNAL_H_
