// FreshDir / EmptyDir: the one way a test names a scratch directory of its own under
// $TEST_TMPDIR, so that two tests (or two parameters of one) never share one and a rerun starts
// clean.
//
// Example:
//   const std::string dir = FreshDir(".backup");  // $TEST_TMPDIR/BackupTest.Restores.backup
#ifndef TESTS_TESTING_TEST_DIR_H_
#define TESTS_TESTING_TEST_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ledger::testing {

// $TEST_TMPDIR (/tmp when unset) / "<suite>.<test>" of the running test ('/' of parameterized
// names made '_'; "dir" outside a test) followed by `suffix`. Removed first if it exists; not
// created.
std::string FreshDir(absl::string_view suffix = "");

// FreshDir(suffix), created: an empty directory.
std::string EmptyDir(absl::string_view suffix = "");

}  // namespace ledger::testing

#endif  // TESTS_TESTING_TEST_DIR_H_
