#include "cli/exit_codes.h"

#include <iostream>

namespace ledger::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
      return kExitUnreachable;
    case absl::StatusCode::kDataLoss:
      return kExitNotIntact;
    default:
      return kExitRefused;
  }
}

int ReportError(const absl::Status& status) {
  std::cerr << "ledgerctl: " << status.message() << "\n";
  return ExitCodeFor(status);
}

int ReportOpenError(const absl::Status& status) {
  const int code = ReportError(status);
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : code;
}

}  // namespace ledger::cli
