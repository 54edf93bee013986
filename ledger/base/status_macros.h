// Status propagation macros. Debian's Abseil (20220623) ships absl::Status but no macros.
#ifndef LEDGER_BASE_STATUS_MACROS_H_
#define LEDGER_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LEDGER_CONCAT_INNER_(a, b) a##b
#define LEDGER_CONCAT_(a, b) LEDGER_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define LEDGER_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::absl::Status ledger_status_ = (expr);           \
    if (!ledger_status_.ok()) return ledger_status_;  \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise assigns
// the value to `lhs` (which may be a declaration such as `auto x`).
#define LEDGER_ASSIGN_OR_RETURN(lhs, rexpr) \
  LEDGER_ASSIGN_OR_RETURN_IMPL_(LEDGER_CONCAT_(ledger_statusor_, __LINE__), lhs, rexpr)

#define LEDGER_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return statusor.status();             \
  lhs = std::move(statusor).value()

#endif  // LEDGER_BASE_STATUS_MACROS_H_
