// One conformance suite for both ViewStores (MemoryViewStore, RocksDbViewStore), plus what only
// the RocksDB store does (persistence across reopen, bulk writes).
#include "ledger/views/view_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ledger/datadir/layout.h"
#include "ledger/views/rocksdb_view_store.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using ::ledger::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

using Factory = std::function<std::unique_ptr<ViewStore>(const std::string& test_name)>;

std::vector<std::pair<std::string, std::string>> ScanAll(const ViewStore& s,
                                                         absl::string_view begin = "",
                                                         absl::string_view end = "") {
  std::vector<std::pair<std::string, std::string>> out;
  absl::Status status = s.Scan(begin, end, [&](absl::string_view k, absl::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

class ViewStoreConformanceTest : public ::testing::TestWithParam<Factory> {
 protected:
  void SetUp() override {
    store_ = GetParam()(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<ViewStore> store_;
};

TEST_P(ViewStoreConformanceTest, AnAbsentKeyIsNullopt) {
  absl::StatusOr<std::optional<std::string>> v = store_->Get("nope");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST_P(ViewStoreConformanceTest, AWriteIsVisibleAsAWholeAndTheLastPutWins) {
  ViewBatch b;
  b.Put("a", "1");
  b.Put("b", "2");
  b.Put("a", "3");
  b.Delete("b");
  b.Put(std::string("z\0", 2), std::string("\0v", 2));
  ASSERT_TRUE(store_->Write(b).ok());
  EXPECT_THAT(ScanAll(*store_), ElementsAre(Pair("a", "3"), Pair(std::string("z\0", 2),
                                                                std::string("\0v", 2))));
  ViewBatch d;
  d.Delete("a");
  ASSERT_TRUE(store_->Write(d).ok());
  EXPECT_FALSE(store_->Get("a")->has_value());
}

TEST_P(ViewStoreConformanceTest, ScanVisitsTheHalfOpenRangeInKeyOrder) {
  ViewBatch b;
  for (const char* k : {"d", "a", "c", "b", "e"}) b.Put(k, k);
  ASSERT_TRUE(store_->Write(b).ok());
  EXPECT_THAT(ScanAll(*store_, "b", "d"), ElementsAre(Pair("b", "b"), Pair("c", "c")));
  EXPECT_EQ(ScanAll(*store_, "c").size(), 3u);  // empty end: no upper bound
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->Scan("", "", [&](absl::string_view k, absl::string_view) {
                    seen.emplace_back(k);
                    return seen.size() < 2;
                  })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("a", "b"));
}

TEST_P(ViewStoreConformanceTest, ClearDeletesEverything) {
  ViewBatch b;
  b.Put("\x01x", "1");
  b.Put("\xfe\xff", "2");
  ASSERT_TRUE(store_->Write(b).ok());
  ASSERT_TRUE(store_->Clear().ok());
  EXPECT_TRUE(ScanAll(*store_).empty());
  ViewBatch c;
  c.Put("k", "v");
  ASSERT_TRUE(store_->Write(c).ok());
  EXPECT_EQ(ScanAll(*store_).size(), 1u);
}

TEST_P(ViewStoreConformanceTest, BulkWritesAreVisibleAndSurviveAFollowingNormalWrite) {
  ViewBatch b;
  b.Put("bulk", "1");
  ViewWriteOptions bulk;
  bulk.bulk = true;
  ASSERT_TRUE(store_->Write(b, bulk).ok());
  ViewBatch n;
  n.Put("normal", "2");
  ASSERT_TRUE(store_->Write(n).ok());
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_THAT(ScanAll(*store_), ElementsAre(Pair("bulk", "1"), Pair("normal", "2")));
}

INSTANTIATE_TEST_SUITE_P(
    Stores, ViewStoreConformanceTest,
    ::testing::Values(
        Factory([](const std::string&) -> std::unique_ptr<ViewStore> {
          return std::make_unique<MemoryViewStore>();
        }),
        Factory([](const std::string& name) -> std::unique_ptr<ViewStore> {
          absl::StatusOr<std::unique_ptr<RocksDbViewStore>> s =
              RocksDbViewStore::Open(testing::TestDir("conformance_" + name));
          EXPECT_TRUE(s.ok()) << s.status();
          return s.ok() ? std::unique_ptr<ViewStore>(*std::move(s)) : nullptr;
        })),
    [](const ::testing::TestParamInfo<Factory>& info) {
      return info.index == 0 ? std::string("Memory") : std::string("RocksDb");
    });

TEST(RocksDbViewStoreTest, DataSurvivesReopenAndClearIsDurable) {
  const std::string dir = testing::TestDir("rocks_reopen");
  {
    auto s = RocksDbViewStore::Open(dir);
    ASSERT_TRUE(s.ok()) << s.status();
    ViewBatch b;
    b.Put("a", "1");
    ASSERT_TRUE((*s)->Write(b).ok());
    ViewBatch bulk;
    bulk.Put("b", "2");
    ASSERT_TRUE((*s)->Write(bulk, ViewWriteOptions{true}).ok());
    ASSERT_TRUE((*s)->Flush().ok());
  }
  {
    auto s = RocksDbViewStore::Open(dir);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "1"), Pair("b", "2")));
    ASSERT_TRUE((*s)->Clear().ok());
  }
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(ScanAll(**s).empty());
}

// A deterministic pseudo-random sequence for the batch tests (xorshift64).
struct XorShift64 {
  uint64_t x;
  uint64_t operator()() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
};

// Puts every key of `keys` into a batch; the batch's ForEachInKeyOrder, and `keys` sorted and
// deduplicated (what it must equal).
std::pair<std::vector<std::string>, std::vector<std::string>> OrderedByBatch(
    std::vector<std::string> keys) {
  ViewBatch batch;
  for (const std::string& k : keys) batch.Put(k, "v");
  std::vector<std::string> seen;
  batch.ForEachInKeyOrder(
      [&](absl::string_view key, const absl::string_view*) { seen.emplace_back(key); });
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return {seen, keys};
}

TEST(ViewBatchTest, ForEachInKeyOrderIsBytewiseOrder) {
  // Keys that tie on their first 8 bytes, embedded zeros, prefixes of each other, high bytes.
  std::vector<std::string> keys = {"",         std::string("\0", 1), std::string("\0\0", 2),
                                   "a",        std::string("a\0", 2), "a\x01",
                                   "abcdefgh", "abcdefgh\x01",        "abcdefgh\xff",
                                   "abcdefg",  std::string("abcdefg\0\0", 9), "\xff",
                                   "\xff\xff\xff\xff\xff\xff\xff\xff\x01", "b"};
  for (int i = 0; i < 200; ++i) {
    std::string k;
    for (int j = 0; j < (i * 7) % 13; ++j) k.push_back(static_cast<char>((i * 31 + j * 17) % 5));
    keys.push_back(k);
  }
  const auto [seen, sorted] = OrderedByBatch(keys);
  EXPECT_EQ(seen, sorted);
}

// Many keys: the radix sort's buckets, keys sharing prefixes longer than its radix depth (64
// bytes), keys that end where others go on, bytes 0x00 and 0xff.
TEST(ViewBatchTest, ForEachInKeyOrderSortsManyKeysWithLongCommonPrefixes) {
  std::vector<std::string> keys;
  XorShift64 next{88172645463325252ull};
  const std::string shared(70, 'p');
  for (int i = 0; i < 20000; ++i) {
    const uint64_t r = next();
    std::string k = (r % 3 == 0) ? shared : (r % 3 == 1 ? shared.substr(0, r % 80) : "");
    const int extra = static_cast<int>((r >> 8) % 6);
    for (int j = 0; j < extra; ++j) {
      k.push_back(static_cast<char>(next() % 4 == 0 ? 0xff : next() % 3));
    }
    keys.push_back(k);
  }
  const auto [seen, sorted] = OrderedByBatch(keys);
  ASSERT_GT(sorted.size(), 1000u);
  EXPECT_EQ(seen, sorted);
}

// Keys of every length from 0 to 40 over four byte values: buckets that the radix passes
// split across several 8-byte words of the keys, and small ones the comparison sort orders,
// where a key that ends and a key that goes on with zero bytes must not compare equal.
TEST(ViewBatchTest, ForEachInKeyOrderSortsKeysAcrossTheirEightByteWords) {
  std::vector<std::string> keys;
  XorShift64 next{0x9E3779B97F4A7C15ull};
  static constexpr char kBytes[4] = {'\0', '\x01', '\x7f', '\xff'};
  for (int i = 0; i < 60000; ++i) {
    const uint64_t r = next();
    std::string k(r % 41, '\0');
    for (char& c : k) c = kBytes[next() % (r % 2 == 0 ? 2 : 4)];
    keys.push_back(k);
  }
  const auto [seen, sorted] = OrderedByBatch(keys);
  ASSERT_GT(sorted.size(), 20000u);
  EXPECT_EQ(seen, sorted);
}

// The arena batch: the latest write of a key wins (in Find, ForEach and the ordered walk),
// records larger than a block and many blocks work, and a cleared batch is empty and reusable.
TEST(ViewBatchTest, LatestWriteWinsAcrossBlocksAndClear) {
  ViewBatch batch;
  for (int round = 0; round < 2; ++round) {
    const std::string big(3 << 20, 'x');  // larger than an arena block
    for (int i = 0; i < 50000; ++i) batch.Put(absl::StrCat("k", i % 20000), absl::StrCat(i));
    batch.Put("big", big);
    batch.Delete("k7");
    batch.Put("k8", "eight");
    batch.Delete("gone");
    EXPECT_EQ(batch.size(), 20002u);  // k0..k19999, big, gone
    absl::string_view v;
    ASSERT_EQ(batch.Find("k19999", &v), ViewBatch::Pending::kPut);
    EXPECT_EQ(v, "39999");
    EXPECT_EQ(batch.Find("k7", &v), ViewBatch::Pending::kDeleted);
    EXPECT_EQ(batch.Find("nope", &v), ViewBatch::Pending::kNone);
    ASSERT_EQ(batch.Find("big", &v), ViewBatch::Pending::kPut);
    EXPECT_EQ(v.size(), big.size());

    std::map<std::string, std::optional<std::string>> ordered, unordered;
    std::string previous;
    bool first = true, in_order = true;
    batch.ForEachInKeyOrder([&](absl::string_view key, const absl::string_view* value) {
      if (!first && !(previous < key)) in_order = false;
      first = false;
      previous = std::string(key);
      ordered[std::string(key)] =
          value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
    });
    batch.ForEach([&](absl::string_view key, const absl::string_view* value) {
      unordered[std::string(key)] =
          value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
    });
    EXPECT_TRUE(in_order);
    EXPECT_EQ(ordered.size(), 20002u);
    EXPECT_EQ(ordered, unordered);
    EXPECT_EQ(ordered["k8"], "eight");
    EXPECT_EQ(ordered["k9"], "40009");
    EXPECT_EQ(ordered["k7"], std::nullopt);
    EXPECT_EQ(ordered["gone"], std::nullopt);

    batch.Clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(batch.Find("k1", &v), ViewBatch::Pending::kNone);
    int seen = 0;
    batch.ForEachInKeyOrder([&](absl::string_view, const absl::string_view*) { ++seen; });
    EXPECT_EQ(seen, 0);
  }
}

// Writes enter the table a few writes late (ViewBatch's deferred writes): after every write,
// Find of any key, size() and the ordered walk agree with a map of the latest writes, for keys
// rewritten and deleted within those few writes and across them.
TEST(ViewBatchTest, FindAndSizeSeeEveryWriteAtOnce) {
  ViewBatch batch;
  std::map<std::string, std::optional<std::string>> model;
  XorShift64 next{0x2545F4914F6CDD1Dull};
  for (int i = 0; i < 3000; ++i) {
    const std::string key = absl::StrCat("key", next() % (i < 1500 ? 6 : 400));
    if (next() % 4 == 0) {
      batch.Delete(key);
      model[key] = std::nullopt;
    } else {
      const std::string value = absl::StrCat("v", i);
      batch.Put(key, value);
      model[key] = value;
    }
    const std::string probe = absl::StrCat("key", next() % 401);
    absl::string_view v;
    const ViewBatch::Pending found = batch.Find(probe, &v);
    auto it = model.find(probe);
    if (it == model.end()) {
      ASSERT_EQ(found, ViewBatch::Pending::kNone) << i << " " << probe;
    } else if (!it->second.has_value()) {
      ASSERT_EQ(found, ViewBatch::Pending::kDeleted) << i << " " << probe;
    } else {
      ASSERT_EQ(found, ViewBatch::Pending::kPut) << i << " " << probe;
      ASSERT_EQ(v, *it->second) << i << " " << probe;
    }
    ASSERT_EQ(batch.Find(key, &v), model[key].has_value() ? ViewBatch::Pending::kPut
                                                          : ViewBatch::Pending::kDeleted);
    if (i % 97 == 0) {
      ASSERT_EQ(batch.size(), model.size()) << i;
    }
  }
  std::map<std::string, std::optional<std::string>> walked;
  batch.ForEachInKeyOrder([&](absl::string_view key, const absl::string_view* value) {
    walked[std::string(key)] =
        value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
  });
  EXPECT_EQ(walked, model);
  EXPECT_EQ(batch.size(), model.size());
}

// Write(as_file): the batch lands whole as an ingested SST file, later than every earlier write
// (its deletes remove earlier keys; earlier WAL-less writes are made durable first), and a file
// left in <views>/ingest by a crash is removed at the next open.
TEST(RocksDbViewStoreTest, WriteAsFileIsOrderedAfterEarlierWritesAndDurable) {
  const std::string dir = testing::TestDir("rocks_as_file");
  {
    auto s = RocksDbViewStore::Open(dir);
    ASSERT_TRUE(s.ok()) << s.status();
    ViewBatch first;  // through the memtable, no WAL
    first.Put("a", "1");
    first.Put("b", "2");
    first.Put("c", "3");
    ASSERT_TRUE((*s)->Write(first).ok());
    ViewBatch file;
    file.Put("b", "20");
    file.Delete("c");
    file.Put("d", "4");
    ViewWriteOptions o;
    o.as_file = true;
    ASSERT_TRUE((*s)->Write(file, o).ok());
    EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "1"), Pair("b", "20"), Pair("d", "4")));
    ViewBatch empty;
    EXPECT_TRUE((*s)->Write(empty, o).ok());
    EXPECT_TRUE(std::filesystem::is_empty(datadir::ViewsIngestDir(dir)));
  }
  // A stray file, as a crash between writing and ingesting leaves it.
  {
    std::ofstream stray(datadir::ViewsIngestDir(dir) + "/batch-7.sst");
    stray << "not an sst file";
  }
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(std::filesystem::is_empty(datadir::ViewsIngestDir(dir)));
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "1"), Pair("b", "20"), Pair("d", "4")));
}

// Writes `files` bulk batches as files, each spanning "a".."z" as a rebuild's batches span the
// key space: batch i puts a = "a<i>", m<i> = "m", z = "z<i>" (and batch 3 deletes m1).
void WriteBulkFiles(ViewStore* store, int files) {
  ViewWriteOptions bulk;
  bulk.bulk = true;
  bulk.as_file = true;
  for (int i = 0; i < files; ++i) {
    ViewBatch b;
    b.Put("a", absl::StrCat("a", i));
    b.Put(absl::StrCat("m", i), "m");
    b.Put("z", absl::StrCat("z", i));
    if (i == 3) b.Delete("m1");
    ASSERT_TRUE(store->Write(b, bulk).ok()) << "file " << i;
  }
}

// The number of files in `level` (~0 when RocksDB does not say).
uint64_t FilesAt(const RocksDbViewStore& store, int level) {
  absl::StatusOr<uint64_t> n =
      store.IntProperty(absl::StrCat("rocksdb.num-files-at-level", level));
  EXPECT_TRUE(n.ok()) << n.status();
  return n.value_or(~uint64_t{0});
}

// A bulk load (a rebuild's files): every file goes to level 0, where RocksDB leaves them until
// Flush() ends the load and they are merged once. Without it the first files of a load into an
// empty database went to levels 6, 5, 4, ... and were merged again with each later one.
TEST(RocksDbViewStoreTest, ABulkLoadAddsEveryFileToLevelZeroAndMergesThemAfterFlush) {
  const std::string dir = testing::TestDir("rocks_bulk_load");
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  constexpr int kFiles = 6;
  ASSERT_NO_FATAL_FAILURE(WriteBulkFiles(s->get(), kFiles));
  // The files, plus the one record that put the first of them in level 0.
  EXPECT_EQ(FilesAt(**s, 0), uint64_t{kFiles + 1});
  for (int level = 1; level <= 6; ++level) EXPECT_EQ(FilesAt(**s, level), 0u) << "level " << level;
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "a5"), Pair("m0", "m"), Pair("m2", "m"),
                                        Pair("m3", "m"), Pair("m4", "m"), Pair("m5", "m"),
                                        Pair("z", "z5")));

  // Flush ends the load: RocksDB's usual trigger (4 files) applies and merges them.
  ASSERT_TRUE((*s)->Flush().ok());
  ASSERT_TRUE((*s)->WaitForCompactions().ok());
  EXPECT_EQ(FilesAt(**s, 0), 0u);
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "a5"), Pair("m0", "m"), Pair("m2", "m"),
                                        Pair("m3", "m"), Pair("m4", "m"), Pair("m5", "m"),
                                        Pair("z", "z5")));
  EXPECT_EQ((*s)->IntProperty("rocksdb.no-such-property").status().code(),
            absl::StatusCode::kNotFound);
}

// Clear() after a bulk load whose level-0 files are not merged yet: the files are dropped (DB::
// DeleteFile, oldest first, all older than the range deletion), nothing of them is visible, and
// the store takes new writes.
TEST(RocksDbViewStoreTest, ClearDropsTheFilesABulkLoadLeftInLevelZero) {
  const std::string dir = testing::TestDir("rocks_bulk_clear");
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_NO_FATAL_FAILURE(WriteBulkFiles(s->get(), 6));
  ASSERT_EQ(FilesAt(**s, 0), 7u);
  ASSERT_TRUE((*s)->Clear().ok());
  ASSERT_TRUE((*s)->WaitForCompactions().ok());
  EXPECT_TRUE(ScanAll(**s).empty());
  EXPECT_EQ((*s)->Get("a").value_or("present"), std::nullopt);
  for (int level = 0; level <= 6; ++level) EXPECT_EQ(FilesAt(**s, level), 0u) << level;
  ViewBatch after;
  after.Put("m1", "again");
  ASSERT_TRUE((*s)->Write(after).ok());
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("m1", "again")));
}

// A normal write ends a bulk load too (the engine's failed bulk catch-up never flushes): the
// files it left are then merged like any others.
TEST(RocksDbViewStoreTest, ANormalWriteEndsABulkLoad) {
  const std::string dir = testing::TestDir("rocks_bulk_then_normal");
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_NO_FATAL_FAILURE(WriteBulkFiles(s->get(), 6));
  ViewBatch normal;
  normal.Put("k", "v");
  ASSERT_TRUE((*s)->Write(normal).ok());
  ASSERT_TRUE((*s)->WaitForCompactions().ok());
  EXPECT_EQ(FilesAt(**s, 0), 0u);
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "a5"), Pair("k", "v"), Pair("m0", "m"),
                                        Pair("m2", "m"), Pair("m3", "m"), Pair("m4", "m"),
                                        Pair("m5", "m"), Pair("z", "z5")));
}

TEST(RocksDbViewStoreTest, WritesWithoutTheWalSurviveACleanClose) {
  // Writes skip the WAL by default (rocksdb_view_store.h); closing flushes the memtable.
  const std::string dir = testing::TestDir("rocks_clean_close");
  {
    auto s = RocksDbViewStore::Open(dir);
    ASSERT_TRUE(s.ok()) << s.status();
    ViewBatch b;
    b.Put("a", "1");
    ASSERT_TRUE((*s)->Write(b).ok());
  }
  auto s = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "1")));
}

// `ledgerctl claims --data-dir` reads the views beside a running ledgerd: read-only, without
// RocksDB's lock, seeing what the writer flushed, and refusing to write.
TEST(RocksDbViewStoreTest, ReadOnlyOpenSeesFlushedDataBesideTheWriterAndCannotWrite) {
  const std::string dir = testing::TestDir("rocks_read_only");
  RocksDbViewStoreOptions read_only;
  read_only.read_only = true;
  EXPECT_EQ(RocksDbViewStore::Open(dir, read_only).status().code(), absl::StatusCode::kNotFound);
  auto writer = RocksDbViewStore::Open(dir);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ViewBatch b;
  b.Put("a", "1");
  ASSERT_TRUE((*writer)->Write(b).ok());
  ASSERT_TRUE((*writer)->Flush().ok());
  auto reader = RocksDbViewStore::Open(dir, read_only);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT(ScanAll(**reader), ElementsAre(Pair("a", "1")));
  ViewBatch c;
  c.Put("c", "3");
  EXPECT_FALSE((*reader)->Write(c).ok());
  EXPECT_THAT(ScanAll(**writer), ElementsAre(Pair("a", "1")));
}

TEST(RocksDbViewStoreTest, WithTheWalNormalWritesSurviveAndFollowTheBulkOnes) {
  const std::string dir = testing::TestDir("rocks_wal");
  RocksDbViewStoreOptions options;
  options.write_ahead_log = true;
  {
    auto s = RocksDbViewStore::Open(dir, options);
    ASSERT_TRUE(s.ok()) << s.status();
    ViewBatch bulk;
    bulk.Put("a", "1");
    ASSERT_TRUE((*s)->Write(bulk, ViewWriteOptions{true}).ok());
    ViewBatch b;
    b.Put("b", "2");
    ASSERT_TRUE((*s)->Write(b).ok());
  }
  auto s = RocksDbViewStore::Open(dir, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(ScanAll(**s), ElementsAre(Pair("a", "1"), Pair("b", "2")));
}

TEST(RocksDbViewStoreTest, OpeningAMissingDatabaseWithoutCreateIsNotFound) {
  RocksDbViewStoreOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(RocksDbViewStore::Open(testing::TestDir("rocks_missing") + "/none", options),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(RocksDbViewStoreTest, ViewsLiveBesideTheLogInTheDataDirectory) {
  EXPECT_EQ(datadir::ViewsDir("/var/lib/factledger"), "/var/lib/factledger/views");
}

}  // namespace
}  // namespace ledger::views
