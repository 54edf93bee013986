// ViewEngine: catch-up, watermarks, start-up cost, crashes between the log write and the view
// update, rebuilds, and the checks that the views belong to the log they are caught up with.
#include "ledger/views/view_engine.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/rocksdb_view_store.h"
#include "ledger/views/view_schema.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;
using testing::AllDigests;
using testing::AssertEvent;
using testing::ClaimSpec;
using testing::CorrectEvent;
using testing::CountingLogStore;
using testing::NewMemoryEngine;
using testing::RetractEvent;
using testing::ReviewEvent;
using testing::TestLedger;

// Appends `claims` claims, every third corrected, every fifth retracted, every claim reviewed.
void Populate(TestLedger* ledger, int claims, absl::string_view id_prefix = "c") {
  for (int i = 0; i < claims; ++i) {
    ClaimSpec spec;
    spec.claimant = absl::StrCat("Speaker ", i % 4);
    spec.text = absl::StrCat("Statement number ", i);
    spec.said_year = 2015;
    spec.said_month = 1 + i % 12;
    spec.topics = {absl::StrCat("topic", i % 3), "Energy"};
    spec.publisher = i % 2 ? "Example News" : "";
    const std::string id = absl::StrCat(id_prefix, i);
    ledger->MustAppend(id, AssertEvent(spec));
    if (i % 3 == 0) {
      spec.claimant = "Speaker X";
      ledger->MustAppend(absl::StrCat(id, "-fix"), CorrectEvent(id, spec));
    }
    if (i % 5 == 0) ledger->MustAppend(absl::StrCat(id, "-wd"), RetractEvent(id));
    ledger->MustAppend(absl::StrCat(id, "-rv"), ReviewEvent(id, i % 2 ? "False" : "True"));
  }
}

std::map<std::string, Hash> FreshDigests(const store::LogStore& log) {
  std::unique_ptr<ViewEngine> fresh = NewMemoryEngine();
  absl::StatusOr<CatchUpResult> r = fresh->Rebuild(log);
  EXPECT_TRUE(r.ok()) << r.status();
  return AllDigests(*fresh);
}

std::unique_ptr<ViewEngine> OpenRocksEngine(const std::string& dir, size_t batch = 1024,
                                            int fail_after_writes = -1, size_t lanes = 1) {
  absl::StatusOr<std::unique_ptr<RocksDbViewStore>> db = RocksDbViewStore::Open(dir);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return nullptr;
  std::unique_ptr<ViewStore> store = *std::move(db);
  if (fail_after_writes >= 0) {
    store = std::make_unique<testing::FailingViewStore>(std::move(store), fail_after_writes);
  }
  ViewEngineOptions options;
  options.max_batch_entries = batch;
  options.bulk_batch_entries = batch;
  options.lanes = lanes;
  options.parallel_min_entries = 1;
  absl::StatusOr<std::unique_ptr<ViewEngine>> engine =
      ViewEngine::Open(std::move(store), DefaultProjections(), options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

TEST(ViewEngineTest, CatchUpAppliesEveryEntryToEveryView) {
  TestLedger ledger;
  Populate(&ledger, 10);
  const TreeSize head = ledger.store().Head().tree_size;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(r->watermark, head);
  EXPECT_EQ(r->entries_applied, head);
  EXPECT_FALSE(r->rebuilt);
  EXPECT_EQ(engine->Watermark(), head);
  for (const std::string& name : engine->ViewNames()) {
    absl::StatusOr<ViewDigest> d = engine->Digest(name);
    LEDGER_ASSERT_OK(d);
    EXPECT_EQ(d->watermark, head) << name;
    EXPECT_GT(d->records, 0u) << name;
  }
}

// One state record per claim (view_schema.h, schema version 7): an assert adds to the claims
// view its state, its history record, its status entry and one entry per index term -- no
// per-index or per-feature record of the claim beside them -- and a correction that changes
// one claimant term and one topic rewrites the state and closes/opens only those entries.
TEST(ViewEngineTest, AClaimCostsOneStateRecordBesideItsHistoryAndIndexEntries) {
  TestLedger ledger;
  ClaimSpec spec;
  spec.claimant = "Alexander Novak";
  spec.claimant_id = "Q4063537";
  spec.said_year = 2015, spec.said_month = 8, spec.said_day = 24;
  spec.topics = {"Energy", "Trade"};
  spec.entities = {"Pakistan", "Russia"};
  spec.publisher = "Dawn";
  ledger.MustAppend("c1", AssertEvent(spec));
  const ledger::v1::Claim claim = testing::MakeClaim(spec);
  uint64_t terms = 0;
  for (size_t i = 0; i < schema::kClaimIndexCount; ++i) {
    terms += schema::ClaimIndexTerms(static_cast<schema::ClaimIndex>(i), claim).size();
  }
  ASSERT_EQ(terms, 2u + 2u + 2u + 1u + 1u + 1u);  // claimant id + name, topics, entities, ...
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  EXPECT_THAT(engine->ViewNames(), ::testing::UnorderedElementsAre("claims", "keys",
                                                                    "claim_state"));
  absl::StatusOr<ViewDigest> claims = engine->Digest("claims");
  LEDGER_ASSERT_OK(claims);
  EXPECT_EQ(claims->records, 3u + terms);  // state, history, status entry, index entries
  absl::StatusOr<ViewDigest> keys = engine->Digest("keys");
  LEDGER_ASSERT_OK(keys);
  EXPECT_EQ(keys->records, 1u);  // the event its key signed

  // A correction: the claimant's name and one topic change. Two new entries open (the old
  // ones are closed in place), one state record is rewritten, one history record is added.
  ClaimSpec fixed = spec;
  fixed.claimant = "A. Novak";
  fixed.topics = {"Energy", "Gas"};
  ledger.MustAppend("c1-fix", CorrectEvent("c1", fixed));
  LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  claims = engine->Digest("claims");
  LEDGER_ASSERT_OK(claims);
  // + history, + status entry CORRECTED, + name:a. novak, + gas
  EXPECT_EQ(claims->records, 3u + terms + 4u);
}

TEST(ViewEngineTest, SecondCatchUpWithoutNewEntriesReadsNothing) {
  TestLedger ledger;
  Populate(&ledger, 3);
  CountingLogStore counting(&ledger.store());
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  LEDGER_ASSERT_OK(engine->CatchUp(counting));
  counting.ResetCounters();
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(counting);
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(r->entries_applied, 0u);
  EXPECT_EQ(counting.scan_calls(), 0);
}

TEST(ViewEngineTest, BatchSizeDoesNotChangeTheViews) {
  TestLedger ledger;
  Populate(&ledger, 12);
  std::unique_ptr<ViewEngine> one = NewMemoryEngine(/*max_batch_entries=*/1);
  std::unique_ptr<ViewEngine> seven = NewMemoryEngine(7);
  LEDGER_ASSERT_OK(one->CatchUp(ledger.store()));
  LEDGER_ASSERT_OK(seven->CatchUp(ledger.store()));
  EXPECT_EQ(AllDigests(*one), AllDigests(*seven));
  EXPECT_EQ(AllDigests(*one), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, ProgressReportsEveryBatchUpToTheHead) {
  TestLedger ledger;
  Populate(&ledger, 5);
  const TreeSize head = ledger.store().Head().tree_size;
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine(4);
  std::vector<TreeSize> seen;
  CatchUpOptions options;
  options.progress = [&](const CatchUpProgress& p) {
    EXPECT_EQ(p.target, head);
    seen.push_back(p.watermark);
  };
  LEDGER_ASSERT_OK(engine->CatchUp(ledger.store(), options));
  ASSERT_EQ(seen.size(), (head + 3) / 4);
  EXPECT_EQ(seen.front(), 4u);
  EXPECT_EQ(seen.back(), head);
}

TEST(ViewEngineTest, CancelStopsAtABatchBoundaryAndKeepsTheBatchesWritten) {
  TestLedger ledger;
  Populate(&ledger, 5);
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine(3);
  std::atomic<bool> cancel{false};
  CatchUpOptions options;
  options.cancel = &cancel;
  options.progress = [&](const CatchUpProgress&) { cancel.store(true); };
  EXPECT_THAT(engine->CatchUp(ledger.store(), options), StatusIs(absl::StatusCode::kCancelled));
  // Whole batches only (the one being applied when cancel came is written too).
  EXPECT_GE(engine->Watermark(), 3u);
  EXPECT_LT(engine->Watermark(), ledger.store().Head().tree_size);
  EXPECT_EQ(engine->Watermark() % 3, 0u);
  LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, StartUpWithIntactViewsDoesNotScanTheLog) {
  const std::string dir = testing::TestDir("startup");
  TestLedger ledger;
  Populate(&ledger, 30);
  const TreeSize head = ledger.store().Head().tree_size;
  {
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
    ASSERT_NE(engine, nullptr);
    LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  }
  CountingLogStore counting(&ledger.store());
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->Watermark(), head);  // read at open, before any catch-up
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(counting);
  LEDGER_ASSERT_OK(r);
  EXPECT_FALSE(r->rebuilt);
  EXPECT_EQ(r->entries_applied, 0u);
  EXPECT_EQ(counting.scan_calls(), 0);
  EXPECT_EQ(counting.scanned_entries(), 0u);
  EXPECT_EQ(counting.get_entry_calls(), 1);  // the fingerprint check: one entry, any log length
}

TEST(ViewEngineTest, CrashBetweenLogWriteAndViewUpdateCatchesUpOnReopen) {
  const std::string dir = testing::TestDir("crash_after_log_write");
  TestLedger ledger;
  Populate(&ledger, 6);
  const TreeSize first = ledger.store().Head().tree_size;
  {
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
    ASSERT_NE(engine, nullptr);
    LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  }
  // The log commits more entries; the process dies before the views see them.
  Populate(&ledger, 6, "late");
  const TreeSize head = ledger.store().Head().tree_size;
  CountingLogStore counting(&ledger.store());
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->Watermark(), first);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(counting);
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(r->entries_applied, head - first);
  EXPECT_EQ(counting.scanned_entries(), head - first);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, CrashPartWayThroughACatchUpResumesAtTheLastWrittenBatch) {
  const std::string dir = testing::TestDir("crash_mid_catch_up");
  TestLedger ledger;
  Populate(&ledger, 10);
  const TreeSize head = ledger.store().Head().tree_size;
  ASSERT_GT(head, 21u);
  {
    // Writes the first schema record and 3 batches of 7 entries, then "dies".
    std::unique_ptr<ViewEngine> engine =
        OpenRocksEngine(dir, /*batch=*/7, /*fail_after_writes=*/4);
    ASSERT_NE(engine, nullptr);
    EXPECT_THAT(engine->CatchUp(ledger.store()), StatusIs(absl::StatusCode::kInternal));
    EXPECT_EQ(engine->Watermark(), 21u);
  }
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 7);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->Watermark(), 21u);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(r->entries_applied, head - 21);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, ACrashBeforeAFlushLeavesTheViewsConsistentAtTheLastFlushedBatch) {
  // The views write without a WAL (rocksdb_view_store.h): a crash loses the batches still in
  // the memtable, each whole with its watermarks and fingerprint, and nothing else. The crash is
  // a copy of the database directory taken while the engine holds it open: exactly the files a
  // process killed at that moment leaves behind.
  const std::string dir = testing::TestDir("crash_before_flush");
  const std::string crashed = testing::TestDir("crash_before_flush_copy");
  TestLedger ledger;
  Populate(&ledger, 12);
  const TreeSize head = ledger.store().Head().tree_size;
  const TreeSize flushed = 14;
  ASSERT_GT(head, flushed + 10);
  {
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 5);
    ASSERT_NE(engine, nullptr);
    CountingLogStore clipped(&ledger.store());
    clipped.set_limit(flushed);
    LEDGER_ASSERT_OK(engine->CatchUp(clipped));
    LEDGER_ASSERT_OK(engine->mutable_store()->Flush());
    LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));  // in batches of 5, in the memtable only
    ASSERT_EQ(engine->Watermark(), head);
    std::filesystem::remove_all(crashed);
    std::filesystem::copy(dir, crashed, std::filesystem::copy_options::recursive);
  }
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(crashed, 5);
  ASSERT_NE(engine, nullptr);
  for (const std::string& name : engine->ViewNames()) {
    EXPECT_EQ(*engine->ViewWatermark(name), flushed) << name;
  }
  CountingLogStore clipped(&ledger.store());
  clipped.set_limit(flushed);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(clipped));  // exactly the first `flushed` entries
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_FALSE(r->rebuilt) << r->rebuild_reason;  // the fingerprint survived with its batch
  EXPECT_EQ(r->entries_applied, head - flushed);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, CrashDuringARebuildResumesFromItsLastBatch) {
  const std::string dir = testing::TestDir("crash_mid_rebuild");
  TestLedger ledger;
  Populate(&ledger, 8);
  {
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 5);
    LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  }
  {
    // Schema at open (1) + the schema after Clear (1) + 2 bulk batches, then "dies".
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 5, /*fail_after_writes=*/3);
    EXPECT_THAT(engine->Rebuild(ledger.store()), StatusIs(absl::StatusCode::kInternal));
  }
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 5);
  const TreeSize resumed_at = engine->Watermark();
  EXPECT_LE(resumed_at, 10u);  // bulk batches not flushed may be lost, never half-applied
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, RebuildEqualsTheLiveViews) {
  TestLedger ledger;
  std::unique_ptr<ViewEngine> live = NewMemoryEngine(3);
  for (int round = 0; round < 4; ++round) {
    Populate(&ledger, 3, absl::StrCat("r", round, "-"));
    LEDGER_ASSERT_OK(live->CatchUp(ledger.store()));
  }
  const std::map<std::string, Hash> before = AllDigests(*live);
  std::vector<CatchUpProgress> progress;
  CatchUpOptions options;
  options.progress = [&](const CatchUpProgress& p) { progress.push_back(p); };
  absl::StatusOr<CatchUpResult> r = live->Rebuild(ledger.store(), options);
  LEDGER_ASSERT_OK(r);
  EXPECT_TRUE(r->rebuilt);
  EXPECT_EQ(r->entries_applied, ledger.store().Head().tree_size);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(progress.back().rebuilding);
  EXPECT_EQ(progress.back().watermark, ledger.store().Head().tree_size);
  EXPECT_EQ(AllDigests(*live), before);
}

// A rebuild writes each batch as one sorted file per lane, ingested together; live catch-ups
// write the lanes' batches as one memtable write. Both give the bytes of one lane.
TEST(ViewEngineTest, LanesWriteTheSameViewsAsOneLane) {
  TestLedger ledger;
  Populate(&ledger, 12);
  for (size_t lanes : {2, 3, 11, 20}) {
    const std::map<std::string, Hash> expected = FreshDigests(ledger.store());
    const std::string dir = testing::TestDir(absl::StrCat("lanes-", lanes));
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir, 7, -1, lanes);
    ASSERT_NE(engine, nullptr);
    absl::StatusOr<CatchUpResult> r = engine->Rebuild(ledger.store());
    LEDGER_ASSERT_OK(r);
    EXPECT_EQ(r->watermark, ledger.store().Head().tree_size);
    EXPECT_TRUE(AllDigests(*engine) == expected) << lanes << " lanes, rebuilt";
    Populate(&ledger, 3, absl::StrCat("more", lanes, "-"));
    LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
    EXPECT_TRUE(AllDigests(*engine) == FreshDigests(ledger.store())) << lanes << " lanes, live";
  }
}

// Windows of 3 entries in batches of 7, in 2 lanes, in parallel even live.
ViewEngineOptions WindowedOptions() {
  ViewEngineOptions options;
  options.max_batch_entries = 7;
  options.bulk_batch_entries = 7;
  options.window_entries = 3;
  options.lanes = 2;
  options.parallel_min_entries = 1;
  options.parallel_live = true;
  return options;
}

// An engine over a fresh MemoryViewStore with WindowedOptions (nullptr, and a failure, when it
// does not open).
std::unique_ptr<ViewEngine> NewWindowedEngine() {
  absl::StatusOr<std::unique_ptr<ViewEngine>> engine =
      ViewEngine::Open(std::make_unique<MemoryViewStore>(), DefaultProjections(),
                       WindowedOptions());
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

// A batch applied a few entries at a time (WindowedOptions): the views of one pass over the
// whole log.
TEST(ViewEngineTest, WindowsWithinABatchWriteTheSameViews) {
  TestLedger ledger;
  Populate(&ledger, 12);
  ViewEngineOptions options = WindowedOptions();
  absl::StatusOr<std::unique_ptr<ViewEngine>> engine =
      ViewEngine::Open(std::make_unique<MemoryViewStore>(), DefaultProjections(), options);
  LEDGER_ASSERT_OK(engine);
  absl::StatusOr<CatchUpResult> r = (*engine)->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_EQ(r->watermark, ledger.store().Head().tree_size);
  EXPECT_TRUE(AllDigests(**engine) == FreshDigests(ledger.store()));
  options.window_entries = 0;
  EXPECT_THAT(ViewEngine::Open(std::make_unique<MemoryViewStore>(), DefaultProjections(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ViewEngineTest, ViewsOfAnotherLogAreRebuilt) {
  const std::string dir = testing::TestDir("another_log");
  TestLedger a;
  Populate(&a, 4, "a");
  {
    std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
    LEDGER_ASSERT_OK(engine->CatchUp(a.store()));
  }
  TestLedger b;
  Populate(&b, 6, "b");  // longer, different entries
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(b.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_TRUE(r->rebuilt);
  EXPECT_THAT(r->rebuild_reason, HasSubstr("another log"));
  EXPECT_EQ(AllDigests(*engine), FreshDigests(b.store()));
}

TEST(ViewEngineTest, ALogShorterThanTheViewsIsAnotherLog) {
  TestLedger ledger;
  Populate(&ledger, 4);
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  LEDGER_ASSERT_OK(engine->CatchUp(ledger.store()));
  CountingLogStore shorter(&ledger.store());
  shorter.set_limit(5);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(shorter);
  LEDGER_ASSERT_OK(r);
  EXPECT_TRUE(r->rebuilt);
  EXPECT_THAT(r->rebuild_reason, HasSubstr("has 5 entries"));
  EXPECT_EQ(engine->Watermark(), 5u);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(shorter));
}

TEST(ViewEngineTest, AnotherSchemaVersionIsRebuilt) {
  TestLedger ledger;
  Populate(&ledger, 3);
  auto store = std::make_unique<MemoryViewStore>();
  ViewBatch old;
  old.Put(schema::MetaSchemaKey(), schema::EncodeU32(schema::kViewSchemaVersion + 1));
  old.Put(schema::WatermarkKey(schema::ViewPrefix(schema::ViewTag::kClaims, "claims")),
          schema::EncodeU64(1000));
  LEDGER_ASSERT_OK(store->Write(old));
  absl::StatusOr<std::unique_ptr<ViewEngine>> engine =
      ViewEngine::Open(std::move(store), DefaultProjections());
  LEDGER_ASSERT_OK(engine);
  EXPECT_EQ((*engine)->Watermark(), 0u);
  absl::StatusOr<CatchUpResult> r = (*engine)->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_TRUE(r->rebuilt);
  EXPECT_THAT(r->rebuild_reason, HasSubstr("schema version"));
  EXPECT_EQ(AllDigests(**engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, ANewViewCatchesUpAloneWhileTheOthersKeepTheirWatermark) {
  const std::string dir = testing::TestDir("new_view");
  TestLedger ledger;
  Populate(&ledger, 5);
  const TreeSize head = ledger.store().Head().tree_size;
  {
    std::vector<std::unique_ptr<Projection>> only_claims;
    only_claims.push_back(NewClaimsProjection());
    absl::StatusOr<std::unique_ptr<RocksDbViewStore>> db = RocksDbViewStore::Open(dir);
    LEDGER_ASSERT_OK(db);
    auto engine = ViewEngine::Open(*std::move(db), std::move(only_claims));
    LEDGER_ASSERT_OK(engine);
    LEDGER_ASSERT_OK((*engine)->CatchUp(ledger.store()));
  }
  std::unique_ptr<ViewEngine> engine = OpenRocksEngine(dir);
  EXPECT_EQ(*engine->ViewWatermark("claims"), head);
  EXPECT_EQ(*engine->ViewWatermark("keys"), 0u);
  EXPECT_EQ(engine->Watermark(), 0u);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(ledger.store());
  LEDGER_ASSERT_OK(r);
  EXPECT_FALSE(r->rebuilt);
  EXPECT_EQ(engine->Watermark(), head);
  EXPECT_EQ(AllDigests(*engine), FreshDigests(ledger.store()));
}

TEST(ViewEngineTest, AnUndecodableEntryIsDataLossNamingItsSequence) {
  TestLedger ledger;
  Populate(&ledger, 5);
  CountingLogStore damaged(&ledger.store());
  damaged.Corrupt(6, "\x01\x01 not leaf data");
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine(4);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(damaged);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("log entry 6"));
  EXPECT_EQ(engine->Watermark(), 4u);  // the batch before it was written; its own was not
}

TEST(ViewEngineTest, AnUndecodableEntryIsDataLossNamingItsSequenceWithLanes) {
  TestLedger ledger;
  Populate(&ledger, 5);
  CountingLogStore damaged(&ledger.store());
  damaged.Corrupt(6, "\x01\x01 not leaf data");
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine(4, /*lanes=*/3);
  absl::StatusOr<CatchUpResult> r = engine->CatchUp(damaged);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("log entry 6"));
  EXPECT_EQ(engine->Watermark(), 4u);
}

// An entry that does not decode in a window decoded ahead (while the window before it was
// applied: WindowedOptions): the same DataLoss, and the batches before it
// are written; its own is not.
TEST(ViewEngineTest, AnUndecodableEntryDecodedAheadIsDataLossNamingItsSequence) {
  TestLedger ledger;
  Populate(&ledger, 12);
  ASSERT_GE(ledger.store().Head().tree_size, 14u);
  for (SequenceNumber bad : {SequenceNumber{11}, SequenceNumber{7}, SequenceNumber{13}}) {
    CountingLogStore damaged(&ledger.store());
    damaged.Corrupt(bad, "\x01\x01 not leaf data");
    std::unique_ptr<ViewEngine> engine = NewWindowedEngine();
    ASSERT_NE(engine, nullptr);
    absl::StatusOr<CatchUpResult> r = engine->CatchUp(damaged);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kDataLoss)) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(absl::StrCat("log entry ", bad)));
    EXPECT_EQ(engine->Watermark(), 7u) << bad;  // the batch [0, 7) only
  }
}

// The log store fails part-way through a window read ahead (two windows ahead of the one
// applied, on whichever thread was free, or one ahead: WindowedOptions): its error is the
// catch-up's, once the windows before it are applied, and the batches before it are written.
TEST(ViewEngineTest, AScanErrorInAWindowReadAheadIsReportedAfterTheWindowsBeforeIt) {
  TestLedger ledger;
  Populate(&ledger, 12);
  ASSERT_GE(ledger.store().Head().tree_size, 18u);
  // Batches [0, 7), [7, 14), [14, 21); windows [0, 3), [3, 6), [6, 7), [7, 10), [10, 13), ...
  for (const auto& [bad, watermark] : std::vector<std::pair<SequenceNumber, TreeSize>>{
           {4, 0}, {7, 7}, {11, 7}, {13, 7}, {16, 14}}) {
    CountingLogStore failing(&ledger.store());
    failing.FailScanAt(bad);
    std::unique_ptr<ViewEngine> engine = NewWindowedEngine();
    ASSERT_NE(engine, nullptr);
    absl::StatusOr<CatchUpResult> r = engine->CatchUp(failing);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable)) << bad;
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr(absl::StrCat("reading log entry ", bad)));
    EXPECT_EQ(engine->Watermark(), watermark) << bad;
    // The store recovers: the next catch-up reads on from the watermark to the head.
    failing.FailScanAt(~SequenceNumber{0});
    LEDGER_ASSERT_OK(engine->CatchUp(failing));
    EXPECT_TRUE(AllDigests(*engine) == FreshDigests(ledger.store())) << bad;
  }
}

TEST(ViewEngineTest, OpenRefusesTwoViewsWithOneName) {
  std::vector<std::unique_ptr<Projection>> p;
  p.push_back(NewClaimsProjection());
  p.push_back(NewClaimsProjection());
  EXPECT_THAT(ViewEngine::Open(std::make_unique<MemoryViewStore>(), std::move(p)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ViewEngineTest, DigestOfAnUnknownViewIsNotFound) {
  std::unique_ptr<ViewEngine> engine = NewMemoryEngine();
  EXPECT_THAT(engine->Digest("nope"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace ledger::views
