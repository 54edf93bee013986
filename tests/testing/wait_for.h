// WaitFor: the one way a test waits for something to happen (a file to appear, a follower or the
// views to reach a size, a process to settle): poll a condition until it holds or a deadline
// passes, instead of sleeping for a time that is too long on a fast machine and too short on a
// loaded one.
//
// Example:
//   ASSERT_TRUE(WaitFor([&] { return Status(follower).tree_size() == 20; }, absl::Seconds(60)));
#ifndef TESTS_TESTING_WAIT_FOR_H_
#define TESTS_TESTING_WAIT_FOR_H_

#include <functional>

#include "absl/time/time.h"

namespace ledger::testing {

// Calls `condition` until it returns true (then returns true) or `timeout` has passed since
// the call (then returns false), pausing `poll` between calls. The condition is always called
// at least once. absl::InfiniteDuration() waits for as long as it takes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(10));

}  // namespace ledger::testing

#endif  // TESTS_TESTING_WAIT_FOR_H_
