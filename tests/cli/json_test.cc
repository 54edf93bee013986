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
  absl::StatusOr<Json> v = ParseJson(text);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->at("s").get<std::string>(), "a\"\n— \x7f");
  EXPECT_EQ(v->at("n").get<uint64_t>(), 12u);
  EXPECT_EQ(v->at("l").at(0).get<std::string>(), "x");
  // Members stay in document order.
  std::vector<std::string> keys;
  for (const auto& [k, unused] : v->items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"s", "n", "l"}));
}

TEST(JsonQuoteTest, ReplacesBytesThatAreNotUtf8SoTheOutputIsJson) {
  EXPECT_EQ(JsonQuote("a\xc3(b"), "\"a\xef\xbf\xbd(b\"");
  EXPECT_TRUE(ParseJson(JsonQuote("\xff\xfe")).ok());
}

TEST(ParseJsonTest, DecodesEscapesAndSurrogatePairs) {
  absl::StatusOr<Json> v = ParseJson(R"("\u00e9\ud83d\ude00\/")");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->get<std::string>(), "é😀/");
}

TEST(ParseJsonTest, RefusesWhatRfc8259Refuses) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "{\"a\" 1}",
                          "\"\\x\"", "\"a\nb\"", "\"\\ud800\"", "\"\\udc00\"", "nul", "[1] 2",
                          "{\"a\":1,\"a\":2}", "'a'", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\""}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
}

TEST(ParseJsonTest, RefusesDeepNesting) {
  const auto deep = ParseJson(std::string(100, '[') + std::string(100, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_THAT(std::string(deep.status().message()), ::testing::HasSubstr("nesting too deep"));
  EXPECT_FALSE(ParseJson(std::string(65, '[') + std::string(65, ']')).ok());
  EXPECT_TRUE(ParseJson(std::string(64, '[') + std::string(64, ']')).ok());
}

TEST(ParseJsonTest, RefusesDuplicateMembersAtAnyDepthAndNamesThem) {
  const auto dup = ParseJson(R"({"a":{"b":1,"c":{"b":2},"b":3}})");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(std::string(dup.status().message()), ::testing::HasSubstr("duplicate member \"b\""));
  // The same key in sibling objects is not a duplicate.
  EXPECT_TRUE(ParseJson(R"([{"b":1},{"b":2}])").ok());
}

TEST(ParseJsonTest, NamesTheByteOfASyntaxError) {
  const auto bad = ParseJson("{\"a\":1,}");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("JSON: parse error at line 1, column 8"));
}

}  // namespace
}  // namespace ledger::cli
