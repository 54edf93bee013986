#include "ledger/base/file_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/test_dir.h"

namespace ledger {
namespace {

using ::ledger::testing::EmptyDir;

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

TEST(WriteFileAtomically, WrittenBytesReadBackExactly) {
  const std::string path = EmptyDir(".write") + "/state";
  const std::string bytes("line one\n\0binary\xff", 17);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  absl::StatusOr<std::string> back = ReadFileToString(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(WriteFileAtomically, ReplacesTheOldContentWhole) {
  const std::string path = EmptyDir(".replace") + "/state";
  ASSERT_TRUE(WriteFileAtomically(path, "a much longer old content\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new\n").ok());
  EXPECT_EQ(*ReadFileToString(path), "new\n");
}

TEST(WriteFileAtomically, AppliesTheMode) {
  const std::string path = EmptyDir(".mode") + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, "x", 0600).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(WriteFileAtomically, RenameFailureIsReportedAndLeavesNoTempFile) {
  // A non-empty directory at the target path: rename(2) over it fails.
  const std::string dir = EmptyDir(".rename-fails");
  const std::string path = dir + "/occupied";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(path + "/inside", "keep").ok());
  absl::Status s = WriteFileAtomically(path, "new");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("cannot rename"), absl::string_view::npos) << s;
  EXPECT_FALSE(Exists(path + ".tmp"));
  EXPECT_EQ(*ReadFileToString(path + "/inside"), "keep");
}

TEST(WriteFileAtomically, MissingDirectoryIsInternalNamingTheTempFile) {
  const std::string path = EmptyDir(".missing") + "/no/such/dir/state";
  absl::Status s = WriteFileAtomically(path, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find(path + ".tmp"), absl::string_view::npos) << s;
}

TEST(ReadFileToString, MissingFileIsNotFound) {
  absl::StatusOr<std::string> r = ReadFileToString(EmptyDir(".read") + "/absent");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadFileToString, LongerThanTheLimitIsOutOfRange) {
  const std::string path = EmptyDir(".limit") + "/big";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(100, 'x')).ok());
  EXPECT_EQ(ReadFileToString(path, 99).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReadFileToString(path, 100)->size(), 100u);
}

TEST(ReadFileToString, EmptyFileIsEmpty) {
  const std::string path = EmptyDir(".empty") + "/empty";
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(*ReadFileToString(path), "");
}

}  // namespace
}  // namespace ledger
