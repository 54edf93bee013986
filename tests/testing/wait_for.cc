#include "tests/testing/wait_for.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace ledger::testing {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout, absl::Duration poll) {
  const absl::Time deadline = absl::Now() + timeout;  // InfiniteFuture for an infinite timeout
  for (;;) {
    if (condition()) return true;
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(poll, deadline - now));
  }
}

}  // namespace ledger::testing
