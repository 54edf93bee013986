#include "tests/testing/test_dir.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace ledger::testing {

std::string FreshDir(absl::string_view suffix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name())
                                     : std::string("dir");
  name = absl::StrReplaceAll(name, {{"/", "_"}});
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, suffix);
  std::filesystem::remove_all(dir);
  return dir;
}

std::string EmptyDir(absl::string_view suffix) {
  const std::string dir = FreshDir(suffix);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ledger::testing
