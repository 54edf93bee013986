// The filters of `ledgerctl log` (cli/entry_filter.h).
#include "cli/entry_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "tests/testing/test_log.h"

namespace ledger::cli {
namespace {

// 2026-11-29T09:59:05Z
constexpr int64_t kTime = 1795946345LL * 1000000;

ledger::v1::Entry EntryOf(const ledger::v1::Event& event, const std::string& key_id,
                          int64_t recorded) {
  ledger::v1::Entry e;
  e.set_recorded_time_micros(recorded);
  e.mutable_signed_event()->set_event(client::SerializeEvent(event));
  e.mutable_signed_event()->set_key_id(key_id);
  return e;
}

TEST(ParseTimeFlagTest, AcceptsRfc3339WithZoneAndFraction) {
  EXPECT_EQ(*ParseTimeFlag("2026-11-29T09:59:05Z", false), kTime);
  EXPECT_EQ(*ParseTimeFlag("2026-11-29T10:59:05.5+01:00", false), kTime + 500000);
}

TEST(ParseTimeFlagTest, DateIsStartOfDayOrItsLastMicrosecond) {
  EXPECT_EQ(*ParseTimeFlag("2026-11-29", false), 1795910400LL * 1000000);
  EXPECT_EQ(*ParseTimeFlag("2026-11-29", true), 1795996800LL * 1000000 - 1);
}

TEST(ParseTimeFlagTest, RefusesOtherForms) {
  for (const char* bad : {"", "yesterday", "2026-11-29 09:59", "29/11/2026", "2026-13-01"}) {
    EXPECT_FALSE(ParseTimeFlag(bad, false).ok()) << bad;
  }
}

TEST(ParseEventTypesTest, AcceptsRepeatedAndCommaSeparatedTypes) {
  auto types = ParseEventTypes({"assert,review", "key-"});
  ASSERT_TRUE(types.ok());
  EXPECT_THAT(*types, ::testing::ElementsAre("assert", "key-", "review"));
  EXPECT_FALSE(ParseEventTypes({"asserted"}).ok());
}

TEST(ParseKeyIdPrefixTest, LowercasesHexAndRefusesTheRest) {
  EXPECT_EQ(*ParseKeyIdPrefix("3F2a"), "3f2a");
  EXPECT_FALSE(ParseKeyIdPrefix("xyz").ok());
  EXPECT_FALSE(ParseKeyIdPrefix(std::string(65, 'a')).ok());
}

TEST(EntryFilterTest, EachFilterNarrowsTheEntries) {
  const std::string key_id = "\x3f\x2a" + std::string(30, '\x01');
  const ledger::v1::Entry claim = EntryOf(ledger::testing::ClaimEvent(), key_id, kTime);
  EntryFilter all;
  EXPECT_TRUE(all.Matches(claim));

  EntryFilter reviews;
  reviews.types = {"review"};
  EXPECT_FALSE(reviews.Matches(claim));
  reviews.types.insert("assert");
  EXPECT_TRUE(reviews.Matches(claim));

  EntryFilter by_key;
  by_key.key_id_prefix = "3f2a01";
  EXPECT_TRUE(by_key.Matches(claim));
  by_key.key_id_prefix = "3f2b";
  EXPECT_FALSE(by_key.Matches(claim));

  EntryFilter window;
  window.since_micros = kTime;
  window.until_micros = kTime;
  EXPECT_TRUE(window.Matches(claim));
  window.since_micros = kTime + 1;
  EXPECT_FALSE(window.Matches(claim));
}

}  // namespace
}  // namespace ledger::cli
