// LEDGER_CRASH_POINT (ledger/base/crash_point.h): fires by name, or at the Nth hit, with exit
// code 137 and its name on stderr; other points and an unset variable do nothing.
// Death tests run in "threadsafe" style: the child re-executes this binary, so LEDGER_CRASH_AT,
// set in the test body, is read fresh by the child's first crash point.
#include "ledger/base/crash_point.h"

#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"

namespace ledger {
namespace {

class CrashPointTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(CrashPointTest, FiresWithItsNameAndExitCode137) {
  ::setenv("LEDGER_CRASH_AT", "unit-point", 1);
  EXPECT_EXIT(LEDGER_CRASH_POINT("unit-point"), ::testing::ExitedWithCode(137),
              "LEDGER_CRASH_AT: crashing at unit-point");
}

TEST_F(CrashPointTest, FiresAtTheNthHit) {
  ::setenv("LEDGER_CRASH_AT", "unit-point:3", 1);
  EXPECT_EXIT(
      {
        LEDGER_CRASH_POINT("unit-point");
        LEDGER_CRASH_POINT("unit-point");
        std::fprintf(stderr, "passed two hits\n");
        LEDGER_CRASH_POINT("unit-point");
        std::exit(0);
      },
      ::testing::ExitedWithCode(137), "passed two hits\nLEDGER_CRASH_AT: crashing at unit-point");
}

TEST_F(CrashPointTest, OtherPointsDoNotFire) {
  ::setenv("LEDGER_CRASH_AT", "unit-point", 1);
  EXPECT_EXIT(
      {
        LEDGER_CRASH_POINT("another-point");
        LEDGER_CRASH_POINT("unit-point-2");
        std::fprintf(stderr, "still alive\n");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "still alive");
}

TEST_F(CrashPointTest, NothingFiresWhenUnset) {
  ::unsetenv("LEDGER_CRASH_AT");
  EXPECT_EXIT(
      {
        LEDGER_CRASH_POINT("unit-point");
        std::fprintf(stderr, "still alive\n");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "still alive");
}

}  // namespace
}  // namespace ledger
