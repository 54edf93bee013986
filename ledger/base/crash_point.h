// Crash points: named places where a test makes the process die on purpose, to show that a
// restart recovers (docs/reliability.md lists the points and the tests that fire them).
//
//   LEDGER_CRASH_POINT("after-commit-before-ack");
//
// When the environment variable LEDGER_CRASH_AT equals the point's name -- or "name:N", to die
// the Nth time that point is reached (counting from 1) -- the process writes
// "LEDGER_CRASH_AT: crashing at <name>\n" to stderr and calls _exit(137): no destructors, no
// buffered output flushed, nothing synced, exactly like kill -9 (137 = 128 + SIGKILL).
//
// LEDGER_CRASH_AT is read once, when the first crash point is reached. When it is unset a crash
// point costs one predictable branch on a static bool. Thread-safe. Points are free-form
// lower-case names; any component may add its own (view rebuild, follower apply, ...).
#ifndef LEDGER_BASE_CRASH_POINT_H_
#define LEDGER_BASE_CRASH_POINT_H_

#include "absl/base/optimization.h"

namespace ledger::crash_point_internal {

// True when LEDGER_CRASH_AT is set (read at the first call).
bool ReadArmed();
inline bool Armed() {
  static const bool armed = ReadArmed();
  return armed;
}
// Counts a hit of `name`; exits the process when it is the configured point and hit.
void Hit(const char* name);

}  // namespace ledger::crash_point_internal

#define LEDGER_CRASH_POINT(name)                                     \
  do {                                                               \
    if (ABSL_PREDICT_FALSE(::ledger::crash_point_internal::Armed())) \
      ::ledger::crash_point_internal::Hit(name);                     \
  } while (0)

#endif  // LEDGER_BASE_CRASH_POINT_H_
