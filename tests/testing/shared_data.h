// Locating ../shared/data (the public vectors and the LIAR data set) from a test.
#ifndef TESTS_TESTING_SHARED_DATA_H_
#define TESTS_TESTING_SHARED_DATA_H_

#include <optional>
#include <string>

#include <unistd.h>

#include "gtest/gtest.h"

namespace ledger::testing {

// Returns the absolute path of the shared data folder (the one holding liar/ and vectors/),
// or nullopt when it is absent. Looks at $LEDGER_SHARED_DIR/data first (scripts/test.sh sets
// it to ../shared), then ../shared/data beside the source tree found through the runfiles.
std::optional<std::string> SharedDataDir();

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> ReadFileToString(const std::string& path);

}  // namespace ledger::testing

// Skips the current test when the shared data folder or `relative` inside it is absent.
#define LEDGER_REQUIRE_SHARED_DATA(var, relative)                                  \
  std::string var;                                                                 \
  do {                                                                             \
    auto dir_ = ::ledger::testing::SharedDataDir();                                \
    if (!dir_) GTEST_SKIP() << "../shared/data is absent; skipping";               \
    var = *dir_ + "/" + (relative);                                                \
    if (::access(var.c_str(), R_OK) != 0) GTEST_SKIP() << var << " is absent";     \
  } while (0)

#endif  // TESTS_TESTING_SHARED_DATA_H_
