// The exit codes of ledgerctl (docs/cli.md lists them; scripts depend on them: DO NOT CHANGE),
// and the one place an absl::Status is turned into one.
#ifndef CLI_EXIT_CODES_H_
#define CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace ledger::cli {

inline constexpr int kExitOk = 0;
// Bad usage: an unknown flag, a missing argument, an unreadable input or key file.
inline constexpr int kExitUsage = 1;
// The log is not intact, or a proof, signature or bundle does not verify.
inline constexpr int kExitNotIntact = 2;
// The server or the data directory could not be reached or opened.
inline constexpr int kExitUnreachable = 3;
// The server (or the data directory) refused the request: a refused append, a sequence number
// or tree size the log does not have.
inline constexpr int kExitRefused = 4;

// The exit code for an error from a LogReader, LedgerClient or the store:
//   UNAVAILABLE, DEADLINE_EXCEEDED, UNAUTHENTICATED (TLS)  -> kExitUnreachable
//   DATA_LOSS (stored or served data fails a check)        -> kExitNotIntact
//   anything else                                           -> kExitRefused
// Precondition: !status.ok().
int ExitCodeFor(const absl::Status& status);

// Prints "ledgerctl: <message>" on stderr and returns ExitCodeFor(status).
int ReportError(const absl::Status& status);

// Like ReportError, for errors of opening a LogReader or connecting a LedgerClient, where
// INVALID_ARGUMENT means a bad flag or an unreadable TLS file: kExitUsage.
int ReportOpenError(const absl::Status& status);

}  // namespace ledger::cli

#endif  // CLI_EXIT_CODES_H_
