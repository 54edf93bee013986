// DataDirLock (ledger/datadir/data_dir.h): one process at a time per data directory, and the
// refusal names the directory and the holder's pid.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "tests/testing/test_dir.h"

namespace ledger::datadir {
namespace {

using ::ledger::testing::EmptyDir;
using ::testing::HasSubstr;

TEST(DataDirLockTest, SecondHolderIsRefusedWithTheFirstOnesPid) {
  const std::string dir = EmptyDir(".held");
  absl::StatusOr<std::unique_ptr<DataDirLock>> first = DataDirLock::Acquire(dir);
  ASSERT_TRUE(first.ok()) << first.status();
  std::ifstream pid_file(datadir::LockFile(dir));
  std::string pid;
  pid_file >> pid;
  EXPECT_EQ(pid, std::to_string(::getpid()));

  absl::StatusOr<std::unique_ptr<DataDirLock>> second = DataDirLock::Acquire(dir);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("data directory ", dir, " is in use by another ledgerd (pid ",
                                     ::getpid(), ")")));
}

TEST(DataDirLockTest, ReleasedWhenDestroyedEvenWithAStalePidFile) {
  const std::string dir = EmptyDir(".released");
  {
    std::ofstream stale(datadir::LockFile(dir));
    stale << "999999\n";
  }
  {
    absl::StatusOr<std::unique_ptr<DataDirLock>> lock = DataDirLock::Acquire(dir);
    ASSERT_TRUE(lock.ok()) << lock.status();
  }
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());
}

TEST(DataDirLockTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(DataDirLock::Acquire(EmptyDir(".parent") + "/no-such-dir").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ledger::datadir
