// OtherFormatHint (cli/import_formats.h): a line in another format than --format says which one
// to use; an ordinary bad line of the right format gets no hint.
#include "cli/import_formats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kLiarRow[] =
    "1.json\ttrue\tA statement.\teconomy\tsomeone\t\t\t\t0\t0\t0\t0\t0\t";  // empty last column

TEST(OtherFormatHintTest, LiarRowAsJsonLinesPointsToFormatLiar) {
  ASSERT_FALSE(ParseImportLine("jsonl", kLiarRow).ok());
  EXPECT_THAT(OtherFormatHint("jsonl", kLiarRow),
              HasSubstr("it has 14 tab-separated columns, as a row of the LIAR data set: use "
                        "--format liar"));
  EXPECT_THAT(OtherFormatHint("export", kLiarRow), HasSubstr("--format liar"));
  EXPECT_THAT(OtherFormatHint("jsonl", "a\tb"), HasSubstr("it has 2 tab-separated columns"));
}

TEST(OtherFormatHintTest, JsonAsLiarPointsToJsonlAndExport) {
  const std::string line = R"({"eventId":"x","event":{}})";
  ASSERT_FALSE(ParseImportLine("liar", line).ok());
  EXPECT_THAT(OtherFormatHint("liar", "  " + line), HasSubstr("use --format jsonl"));
}

TEST(OtherFormatHintTest, BadLinesOfTheRightFormatGetNone) {
  EXPECT_THAT(OtherFormatHint("jsonl", R"({"eventId": 3})"), IsEmpty());
  EXPECT_THAT(OtherFormatHint("jsonl", "not json"), IsEmpty());
  EXPECT_THAT(OtherFormatHint("liar", "short\trow"), IsEmpty());
}

}  // namespace
}  // namespace ledger::cli
