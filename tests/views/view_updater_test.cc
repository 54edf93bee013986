// ViewUpdater: catches up after Notify, never blocks appends, read-your-writes through
// WaitForWatermark, errors and retries, and stopping. No sleeps: waits are on conditions, with
// deadlines far beyond what the test needs except where a timeout is the expected outcome.
#include "ledger/views/view_updater.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <memory>
#include <vector>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/views/queries.h"
#include "tests/testing/thread_nice.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;
using testing::AssertEvent;
using testing::ClaimSpec;
using testing::CountingLogStore;
using testing::NewMemoryEngine;
using testing::TestLedger;
using ::ledger::testing::NiceOfThreads;

absl::Time Later() { return absl::Now() + absl::Seconds(60); }

// A LogStore whose scans wait until released (and can fail the first few).
class GatedLogStore : public CountingLogStore {
 public:
  explicit GatedLogStore(const store::LogStore* base) : CountingLogStore(base) {}
  mutable absl::Notification entered;  // notified at the first scan
  absl::Notification release;          // scans wait for it
  mutable std::atomic<int> failures_left{0};

  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    if (!entered.HasBeenNotified()) entered.Notify();
    release.WaitForNotification();
    if (failures_left.fetch_sub(1) > 0) return absl::UnavailableError("injected read failure");
    return CountingLogStore::ScanEntries(begin, end, fn);
  }
};

TEST(ViewUpdaterTest, ReadYourWritesAfterNotify) {
  TestLedger ledger;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &ledger.store());
  updater.Start();
  ViewQueries queries(&engine->store(), &ledger.store());
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<core::AppendResult> r =
        ledger.Append(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
    ASSERT_TRUE(r.ok());
    updater.Notify(r->sequence + 1);
    ASSERT_TRUE(updater.WaitForWatermark(r->sequence + 1, Later()).ok());
    EXPECT_TRUE(queries.GetClaim(absl::StrCat("c", i)).ok());
  }
  EXPECT_EQ(updater.Watermark(), 5u);
  EXPECT_TRUE(updater.status().ok());
}

TEST(ViewUpdaterTest, StartCatchesUpWithTheLogAsItIs) {
  TestLedger ledger;
  for (int i = 0; i < 3; ++i) ledger.MustAppend(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &ledger.store());
  updater.Start();
  EXPECT_TRUE(updater.WaitForWatermark(3, Later()).ok());
}

TEST(ViewUpdaterTest, AppendsAndNotifyDoNotWaitForACatchUpInProgress) {
  TestLedger ledger;
  ledger.MustAppend("c0", AssertEvent(ClaimSpec()));
  GatedLogStore gated(&ledger.store());
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &gated);
  updater.Start();
  gated.entered.WaitForNotification();  // the updater is now stuck inside a log read
  // The log keeps committing, and Notify returns, while the views are stuck.
  for (int i = 1; i < 4; ++i) {
    const SequenceNumber s = ledger.MustAppend(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
    updater.Notify(s + 1);
  }
  EXPECT_EQ(updater.Watermark(), 0u);
  gated.release.Notify();
  EXPECT_TRUE(updater.WaitForWatermark(4, Later()).ok());
}

TEST(ViewUpdaterTest, AFailedCatchUpIsReportedAndRetried) {
  TestLedger ledger;
  ledger.MustAppend("c0", AssertEvent(ClaimSpec()));
  GatedLogStore gated(&ledger.store());
  gated.failures_left = 1;
  gated.release.Notify();
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdaterOptions options;
  options.retry_delay = absl::Milliseconds(1);
  ViewUpdater updater(engine.get(), &gated, options);
  updater.Start();
  EXPECT_TRUE(updater.WaitForWatermark(1, Later()).ok());
  EXPECT_TRUE(updater.status().ok());
  EXPECT_GE(gated.scan_calls(), 1);
}

TEST(ViewUpdaterTest, WaitingForEntriesTheLogDoesNotHaveTimesOut) {
  TestLedger ledger;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &ledger.store());
  updater.Start();
  absl::Status s = updater.WaitForWatermark(1, absl::Now() + absl::Milliseconds(20));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(std::string(s.message()), HasSubstr("did not reach 1"));
}

TEST(ViewUpdaterTest, NotificationsAreCoalescedUntilEnoughEntriesArePending) {
  TestLedger ledger;
  ledger.MustAppend("c0", AssertEvent(ClaimSpec()));
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  absl::Mutex mu;
  std::vector<TreeSize> batch_ends;
  ViewUpdaterOptions options;
  options.coalesce_delay = absl::Hours(1);  // only the entry count can end the wait
  options.coalesce_entries = 3;
  options.progress = [&](const CatchUpProgress& p) {
    absl::MutexLock lock(&mu);
    batch_ends.push_back(p.watermark);
  };
  ViewUpdater updater(engine.get(), &ledger.store(), options);
  updater.Start();
  ASSERT_TRUE(updater.WaitForWatermark(1, Later()).ok());  // the catch-up at start
  for (int i = 1; i < 4; ++i) {
    const SequenceNumber s = ledger.MustAppend(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
    updater.Notify(s + 1);
  }
  ASSERT_TRUE(updater.WaitForWatermark(4, Later()).ok());
  updater.Stop();  // the progress callback runs after the watermark moves
  absl::MutexLock lock(&mu);
  EXPECT_THAT(batch_ends, ::testing::ElementsAre(1, 4));  // one catch-up for the three
}

TEST(ViewUpdaterTest, AWaiterIsNotDelayedByCoalescing) {
  TestLedger ledger;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdaterOptions options;
  options.coalesce_delay = absl::Hours(1);
  options.coalesce_entries = 1000;
  ViewUpdater updater(engine.get(), &ledger.store(), options);
  updater.Start();
  for (int i = 0; i < 3; ++i) {
    const SequenceNumber s = ledger.MustAppend(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
    updater.Notify(s + 1);
    ASSERT_TRUE(updater.WaitForWatermark(s + 1, Later()).ok());
  }
  // Without a waiter, stopping ends a coalescing wait at once.
  const SequenceNumber s = ledger.MustAppend("c3", AssertEvent(ClaimSpec()));
  updater.Notify(s + 1);
  updater.Stop();
  EXPECT_LE(updater.Watermark(), 4u);
}

// A LogStore whose scans wait while it is paused (any number of times).
class PausableLogStore : public CountingLogStore {
 public:
  explicit PausableLogStore(const store::LogStore* base) : CountingLogStore(base) {}
  void Pause() {
    absl::MutexLock lock(&mu_);
    paused_ = true;
  }
  void Resume() {
    absl::MutexLock lock(&mu_);
    paused_ = false;
  }
  // Returns once a scan is waiting on the pause.
  void AwaitStuckScan() const {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](int* n) { return *n > 0; }, &stuck_));
  }
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    {
      absl::MutexLock lock(&mu_);
      ++stuck_;
      mu_.Await(absl::Condition(+[](bool* p) { return !*p; }, &paused_));
      --stuck_;
    }
    return CountingLogStore::ScanEntries(begin, end, fn);
  }

 private:
  mutable absl::Mutex mu_;
  mutable bool paused_ = false;
  mutable int stuck_ = 0;
};

// HoldBack (core::LogOptions::before_group in ledgerd): ingest waits while the views trail the
// log by more than the bound, and only then. A bound of zero: any entry not applied is too old.
// The fixture leaves the views caught up with c0, the bound armed, and c1 appended and notified
// while the views are stuck in the scan that would apply it.
class HoldBackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_.MustAppend("c0", AssertEvent(ClaimSpec()));
    updater_.Start();
    ASSERT_TRUE(updater_.WaitForWatermark(1, Later()).ok());
    // Within the bound (nothing unapplied): no wait, and from now on the bound holds.
    EXPECT_FALSE(updater_.HoldBack(absl::ZeroDuration(), absl::Seconds(60)));
    paused_.Pause();
    const SequenceNumber s = ledger_.MustAppend("c1", AssertEvent(ClaimSpec()));
    updater_.Notify(s + 1);
    paused_.AwaitStuckScan();  // the views cannot apply c1
  }
  void TearDown() override {
    paused_.Resume();
    if (ingest_.joinable()) ingest_.join();
  }

  // HoldBack on a thread of its own, as the sequencer calls it; `returned_` once it returns.
  void StartIngest() {
    ingest_ = std::thread([this] {
      waited_ = updater_.HoldBack(absl::ZeroDuration(), absl::Seconds(60));
      watermark_at_return_ = updater_.Watermark();
      returned_.Notify();
    });
    // Still held while the views cannot move (a bounded look, not a timing assertion: it can
    // only miss a defect, never report one that is not there).
    EXPECT_FALSE(returned_.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  }

  TestLedger ledger_;
  PausableLogStore paused_{&ledger_.store()};
  std::unique_ptr<ViewEngine> engine_ = NewMemoryEngine();
  ViewUpdater updater_{engine_.get(), &paused_};
  std::thread ingest_;
  absl::Notification returned_;
  bool waited_ = false;
  TreeSize watermark_at_return_ = 99;
};

TEST_F(HoldBackTest, WaitsWhileTheViewsTrailByMoreThanTheBound) {
  StartIngest();
  paused_.Resume();
  ingest_.join();
  EXPECT_TRUE(waited_);
  EXPECT_EQ(watermark_at_return_, 2u);  // released by the catch-up that applied c1
}

TEST_F(HoldBackTest, EndsWhenTheUpdaterStops) {
  StartIngest();
  // Stop blocks joining the stuck updater thread, but ends the wait at once.
  std::thread stopper([this] { updater_.Stop(); });
  ingest_.join();  // would take 60 s if Stop did not end the wait
  EXPECT_EQ(watermark_at_return_, 1u);  // ended by the stop, not by a catch-up
  paused_.Resume();
  stopper.join();
}

TEST(ViewUpdaterTest, HoldBackDoesNotHoldAStartUpCatchUp) {
  TestLedger ledger;
  for (int i = 0; i < 4; ++i) ledger.MustAppend(absl::StrCat("c", i), AssertEvent(ClaimSpec()));
  PausableLogStore paused(&ledger.store());
  paused.Pause();
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &paused);
  updater.Start();
  paused.AwaitStuckScan();  // the first catch-up
  // Nothing notified is unapplied yet, as at ledgerd's first group commit after a start: this
  // must not arm the bound while the views are still catching up with the log they started on.
  EXPECT_FALSE(updater.HoldBack(absl::ZeroDuration(), absl::Seconds(60)));
  const SequenceNumber s = ledger.MustAppend("c4", AssertEvent(ClaimSpec()));
  updater.Notify(s + 1);
  // Appends go on while the views make their first catch-up (held, it would wait out its 5 s
  // and return true).
  EXPECT_FALSE(updater.HoldBack(absl::ZeroDuration(), absl::Seconds(5)));
  paused.Resume();
  ASSERT_TRUE(updater.WaitForWatermark(5, Later()).ok());
}

TEST(ViewUpdaterTest, TheViewsThreadsRunAtTheConfiguredLowerPriority) {
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(getpid()));
  const int expected = std::min(19, base + 5);
  ASSERT_NE(expected, base) << "the test process already runs at nice 19";
  TestLedger ledger;
  // Two lanes: the lane helper thread is one of the views' threads too.
  std::unique_ptr<ViewEngine> engine =
      NewMemoryEngine(/*max_batch_entries=*/1024, /*lanes=*/2, /*thread_nice=*/5);
  ViewUpdater updater(engine.get(), &ledger.store());
  updater.Start();
  ledger.MustAppend("c0", AssertEvent(ClaimSpec()));
  updater.Notify(1);
  ASSERT_TRUE(updater.WaitForWatermark(1, Later()).ok());  // the writer thread exists by now
  for (const char* name : {"views-update", "views-write", "views-lane"}) {
    const std::vector<int> nice = NiceOfThreads(getpid(), name);
    ASSERT_FALSE(nice.empty()) << "no thread named " << name;
    for (int n : nice) EXPECT_EQ(n, expected) << name;
  }
  // The process's other threads keep their priority.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(getpid())), base);
}

TEST(ViewUpdaterTest, StopWakesWaitersWithUnavailable) {
  TestLedger ledger;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  ViewUpdater updater(engine.get(), &ledger.store());
  updater.Start();
  absl::Status waited;
  std::thread waiter([&] { waited = updater.WaitForWatermark(100, Later()); });
  updater.Stop();
  waiter.join();
  EXPECT_THAT(waited, StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ledger::views
