// The JSON writer and the strict parser of cli/json.h.
#include "cli/json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ledger::cli {
namespace {

TEST(JsonQuoteTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
}

TEST(JsonQuoteTest, KeepsUtf8AndSingleQuotes) {
  EXPECT_EQ(JsonQuote("— it's"), "\"— it's\"");
}

TEST(JsonObjectTest, BuildsMembersInOrder) {
  EXPECT_EQ(JsonObject()
                .AddUint("b", 18446744073709551615u)
                .AddString("a", "x")
                .AddBool("t", true)
                .AddInt("n", -3)
                .AddNull("z")
                .AddStringArray("l", {"p", "q"})
                .AddRaw("o", "{}")
                .Build(),
            "{\"b\":18446744073709551615,\"a\":\"x\",\"t\":true,\"n\":-3,\"z\":null,"
            "\"l\":[\"p\",\"q\"],\"o\":{}}");
}

TEST(ParseJsonTest, ParsesWhatTheWriterWrites) {
  const std::string text =
      JsonObject().AddString("s", "a\"\n— \x7f").AddUint("n", 12).AddStringArray("l", {"x"}).Build();
  absl::StatusOr<JsonValue> v = ParseJson(text);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("s")->string, "a\"\n— \x7f");
  EXPECT_EQ(v->Find("n")->number, "12");
  EXPECT_EQ(v->Find("l")->array.at(0).string, "x");
}

TEST(ParseJsonTest, DecodesEscapesAndSurrogatePairs) {
  absl::StatusOr<JsonValue> v = ParseJson(R"("\u00e9\ud83d\ude00\/")");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->string, "é😀/");
}

TEST(ParseJsonTest, RefusesWhatRfc8259Refuses) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "{\"a\" 1}",
                          "\"\\x\"", "\"a\nb\"", "\"\\ud800\"", "\"\\udc00\"", "nul", "[1] 2",
                          "{\"a\":1,\"a\":2}", "'a'", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\""}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
}

TEST(ParseJsonTest, RefusesDeepNesting) {
  EXPECT_FALSE(ParseJson(std::string(100, '[') + std::string(100, ']')).ok());
  EXPECT_TRUE(ParseJson(std::string(50, '[') + std::string(50, ']')).ok());
}

}  // namespace
}  // namespace ledger::cli
