// MemoryLogStore's test hooks: injected commit failures, fail-stop, and simulated restarts.
// Everything else it shares with RocksDbLogStore is in log_store_conformance_test.cc.
#include "ledger/store/memory_log_store.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/store_test_util.h"

namespace ledger::store {
namespace {

using ::ledger::store::testing::EventIdOf;
using ::ledger::store::testing::MakeBatch;
using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;

TEST(MemoryLogStoreTest, InjectedFailureFailsTheCommitWithItsStatus) {
  MemoryLogStore store;
  const LogHead before = store.Head();
  store.InjectCommitFailure(absl::InternalError("injected EIO"));

  EXPECT_THAT(store.Commit(MakeBatch(before, 2)), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(store.Head(), before);
  EXPECT_THAT(store.GetEntry(0), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MemoryLogStoreTest, CommitAfterFailedCommitIsFailedPrecondition) {
  MemoryLogStore store;
  const LogHead before = store.Head();
  store.InjectCommitFailure(absl::ResourceExhaustedError("injected ENOSPC"));
  ASSERT_THAT(store.Commit(MakeBatch(before, 1)), StatusIs(absl::StatusCode::kResourceExhausted));

  absl::Status again = store.Commit(MakeBatch(before, 1));
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(again.message()), HasSubstr("store failed earlier"));
  EXPECT_THAT(std::string(again.message()), HasSubstr("injected ENOSPC"));
  EXPECT_EQ(store.Head(), before);
}

TEST(MemoryLogStoreTest, InjectedFailureWaitsForTheGivenSuccessfulCommits) {
  MemoryLogStore store;
  store.InjectCommitFailure(absl::InternalError("injected"), /*successful_commits_before=*/2);
  ASSERT_THAT(store.Commit(MakeBatch(store.Head(), 1)), IsOk());
  ASSERT_THAT(store.Commit(MakeBatch(store.Head(), 1)), IsOk());

  EXPECT_THAT(store.Commit(MakeBatch(store.Head(), 1)), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(store.Head().tree_size, 2u);
}

TEST(MemoryLogStoreTest, RefusedBatchDoesNotTriggerInjectedFailure) {
  MemoryLogStore store;
  store.InjectCommitFailure(absl::InternalError("injected"));
  CommitBatch stale = MakeBatch(store.Head(), 1);
  stale.expected_tree_size = 7;
  ASSERT_THAT(store.Commit(stale), StatusIs(absl::StatusCode::kAborted));

  EXPECT_THAT(store.Commit(MakeBatch(store.Head(), 1)), StatusIs(absl::StatusCode::kInternal));
}

TEST(MemoryLogStoreTest, BatchWrittenAnywayAppearsAfterRestart) {
  MemoryLogStore store;
  store.InjectCommitFailure(absl::InternalError("injected"), 0,
                            FailedCommitEffect::kWrittenAnyway);
  const CommitBatch batch = MakeBatch(store.Head(), 2);
  ASSERT_THAT(store.Commit(batch), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(*store.GetEventId(EventIdOf(1)), std::nullopt);  // Not before the restart.

  store.SimulateRestart();
  EXPECT_EQ(store.Head(), batch.new_head);
  EXPECT_TRUE(store.GetEventId(EventIdOf(1))->has_value());
}

TEST(MemoryLogStoreTest, BatchNotWrittenIsAbsentAfterRestart) {
  MemoryLogStore store;
  const LogHead before = store.Head();
  store.InjectCommitFailure(absl::InternalError("injected"), 0,
                            FailedCommitEffect::kNothingWritten);
  ASSERT_THAT(store.Commit(MakeBatch(before, 2)), StatusIs(absl::StatusCode::kInternal));

  store.SimulateRestart();
  EXPECT_EQ(store.Head(), before);
}

TEST(MemoryLogStoreTest, RestartClearsFailStop) {
  MemoryLogStore store;
  store.InjectCommitFailure(absl::InternalError("injected"));
  ASSERT_THAT(store.Commit(MakeBatch(store.Head(), 1)), StatusIs(absl::StatusCode::kInternal));

  store.SimulateRestart();
  EXPECT_THAT(store.Commit(MakeBatch(store.Head(), 1)), IsOk());
  EXPECT_EQ(store.Head().tree_size, 1u);
}

}  // namespace
}  // namespace ledger::store
