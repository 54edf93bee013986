// The append loop of `ledgerctl import` (cli/importer.h) against a fake server.
#include "cli/importer.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

// Appends events by id; refuses ids in `bad` (a refused batch appends nothing); ids already
// appended come back as duplicates. After `fail_after` calls it is unreachable.
class FakeTarget : public AppendTarget {
 public:
  std::set<std::string> bad;
  std::set<std::string> stored;
  int batch_calls = 0, single_calls = 0;
  int fail_after = 1 << 30;
  absl::Status refuse_all;  // When not OK, every call returns it.

  absl::StatusOr<v1::AppendBatchResponse> AppendBatch(
      const std::vector<v1::SignedEvent>& events) override {
    if (++batch_calls + single_calls > fail_after) return absl::UnavailableError("gone");
    if (!refuse_all.ok()) return refuse_all;
    for (const auto& e : events) {
      if (bad.count(e.event_id()) > 0) return absl::InvalidArgumentError("events[i]: bad");
    }
    v1::AppendBatchResponse r;
    for (const auto& e : events) r.add_results()->set_duplicate(!stored.insert(e.event_id()).second);
    return r;
  }
  absl::StatusOr<v1::AppendResponse> Append(const v1::SignedEvent& e) override {
    if (batch_calls + ++single_calls > fail_after) return absl::UnavailableError("gone");
    if (!refuse_all.ok()) return refuse_all;
    if (bad.count(e.event_id()) > 0) return absl::InvalidArgumentError("bad");
    v1::AppendResponse r;
    r.set_duplicate(!stored.insert(e.event_id()).second);
    return r;
  }
};

std::vector<ImportItem> Items(int n) {
  std::vector<ImportItem> items(n);
  for (int i = 0; i < n; ++i) {
    items[i].where = "in:" + std::to_string(i + 1);
    items[i].event.set_event_id("e" + std::to_string(i));
  }
  return items;
}

TEST(ImporterTest, AppendsInBatchesOfTheGivenSize) {
  FakeTarget target;
  ImportCounts counts;
  ImportOptions options;
  options.batch_size = 4;
  ASSERT_TRUE(ImportEvents(Items(10), &target, options, &counts).ok());
  EXPECT_EQ(counts.appended, 10u);
  EXPECT_EQ(target.batch_calls, 3);
  EXPECT_EQ(target.single_calls, 0);
}

TEST(ImporterTest, SecondRunFindsEverythingPresent) {
  FakeTarget target;
  ImportCounts first, second;
  ASSERT_TRUE(ImportEvents(Items(7), &target, ImportOptions(), &first).ok());
  ASSERT_TRUE(ImportEvents(Items(7), &target, ImportOptions(), &second).ok());
  EXPECT_EQ(first.appended, 7u);
  EXPECT_EQ(second.appended, 0u);
  EXPECT_EQ(second.already_present, 7u);
}

TEST(ImporterTest, RefusedBatchFallsBackSoOnlyTheBadEventIsLost) {
  FakeTarget target;
  target.bad = {"e5"};
  ImportCounts counts;
  ImportOptions options;
  options.batch_size = 4;
  std::vector<std::string> refused;
  options.on_refused = [&](const ImportItem& item, const absl::Status&) {
    refused.push_back(item.where);
  };
  ASSERT_TRUE(ImportEvents(Items(10), &target, options, &counts).ok());
  EXPECT_EQ(counts.appended, 9u);
  EXPECT_EQ(counts.refused, 1u);
  EXPECT_THAT(refused, ::testing::ElementsAre("in:6"));
  EXPECT_EQ(target.single_calls, 4);  // Only the refused batch, e4..e7.
  EXPECT_EQ(target.stored.count("e5"), 0u);
}

TEST(ImporterTest, UnreachableServerStopsTheImportWithCountsSoFar) {
  FakeTarget target;
  target.fail_after = 2;
  ImportCounts counts;
  ImportOptions options;
  options.batch_size = 3;
  absl::Status s = ImportEvents(Items(9), &target, options, &counts);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(counts.appended, 6u);
  EXPECT_EQ(counts.refused, 0u);
}

TEST(ImporterTest, DiskFullIsFatalOtherRefusalsAreNot) {
  EXPECT_TRUE(IsFatalImportError(
      MakeError(absl::StatusCode::kResourceExhausted, reason::kDiskFull, "", "full")));
  EXPECT_TRUE(IsFatalImportError(absl::DeadlineExceededError("slow")));
  EXPECT_FALSE(IsFatalImportError(
      MakeError(absl::StatusCode::kInvalidArgument, reason::kSignatureInvalid, "", "bad")));
  EXPECT_FALSE(IsFatalImportError(
      MakeError(absl::StatusCode::kResourceExhausted, reason::kBatchTooLarge, "", "big")));
}

TEST(ImporterTest, UnregisteredKeyStopsAtTheFirstRefusal) {
  FakeTarget target;
  target.refuse_all = MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyNotRegistered,
                                "key_id", "is not registered");
  ImportCounts counts;
  int refused_calls = 0;
  ImportOptions options;
  options.batch_size = 4;
  options.on_refused = [&](const ImportItem&, const absl::Status&) { ++refused_calls; };
  absl::Status s = ImportEvents(Items(10), &target, options, &counts);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), reason::kKeyNotRegistered);
  EXPECT_EQ(target.batch_calls, 1);
  EXPECT_EQ(target.single_calls, 0);  // No one-by-one retry of events that cannot pass.
  EXPECT_EQ(refused_calls, 0);
  EXPECT_EQ(counts.appended + counts.refused, 0u);
}

TEST(ImporterTest, KeyRefusalsAreFatal) {
  EXPECT_TRUE(IsFatalImportError(MakeError(absl::StatusCode::kFailedPrecondition,
                                           reason::kKeyNotRegistered, "", "unknown")));
  EXPECT_TRUE(IsFatalImportError(
      MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyRevoked, "", "revoked")));
  EXPECT_FALSE(IsFatalImportError(
      MakeError(absl::StatusCode::kFailedPrecondition, reason::kClaimNotFound, "", "no claim")));
}

}  // namespace
}  // namespace ledger::cli
