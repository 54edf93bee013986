// The pipelined audit on a log of two chunks (the auditor replays 4,096 entries at a time
// while worker threads check the previous ones): every kind of damage is found at its entry
// wherever it lies, and when there are several, the report names the one a check of every
// entry in order would name first -- across chunks, across worker tasks, and between checks
// of the same entry (replay and signature, idempotency index, leaf index, Merkle nodes, then
// the checkpoints of the tree that entry completes). Batch signatures are verified once, also
// when a batch spans two chunks.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit/auditor.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/log.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/memory_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"
#include "tests/testing/forwarding_log_store.h"

namespace ledger::audit {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::IsOk;
using ::ledger::testing::kTestNowMicros;
using ::ledger::testing::kTestOrigin;
using ::ledger::testing::LogKey;
using ::ledger::testing::Sign;
using ::ledger::testing::StrangerKey;
using ::ledger::testing::TestIdentity;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr int kEntries = 5000;  // two chunks
constexpr int kGroup = 1000;    // entries per commit: checkpoints at 1000, 2000, ...

// A read-only view of a store with some records replaced or removed. Batched reads go through
// LogStore's defaults, i.e. through these.
class TamperedStore : public ::ledger::testing::ForwardingLogStore {
 public:
  explicit TamperedStore(const store::LogStore& base) : ForwardingLogStore(base) {}

  std::map<SequenceNumber, std::string> entries;  // replaced leaf data
  std::map<std::string, std::optional<store::EventIdRecord>> event_ids;
  std::map<Hash, std::optional<SequenceNumber>> leaf_index;
  std::map<std::pair<uint32_t, uint64_t>, std::optional<Hash>> nodes;
  std::map<TreeSize, std::string> checkpoints;

  absl::StatusOr<std::string> GetEntry(SequenceNumber s) const override {
    auto it = entries.find(s);
    return it != entries.end() ? absl::StatusOr<std::string>(it->second) : base().GetEntry(s);
  }
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    return base().ScanEntries(begin, end, [&](SequenceNumber s, absl::string_view leaf) {
      auto it = entries.find(s);
      return fn(s, it != entries.end() ? absl::string_view(it->second) : leaf);
    });
  }
  absl::StatusOr<Hash> GetNode(merkle::NodeId id) const override {
    auto it = nodes.find({id.level, id.index});
    if (it == nodes.end()) return base().GetNode(id);
    if (!it->second.has_value()) return absl::NotFoundError("node not found (removed)");
    return *it->second;
  }
  absl::StatusOr<std::optional<store::EventIdRecord>> GetEventId(
      absl::string_view id) const override {
    auto it = event_ids.find(std::string(id));
    return it != event_ids.end() ? it->second : base().GetEventId(id);
  }
  absl::StatusOr<std::optional<SequenceNumber>> GetLeafIndex(const Hash& h) const override {
    auto it = leaf_index.find(h);
    return it != leaf_index.end() ? it->second : base().GetLeafIndex(h);
  }
  absl::StatusOr<std::optional<std::string>> GetCheckpoint(TreeSize size) const override {
    auto it = checkpoints.find(size);
    return it != checkpoints.end() ? std::optional<std::string>(it->second)
                                   : base().GetCheckpoint(size);
  }
  absl::Status ScanCheckpoints(
      const std::function<bool(TreeSize, absl::string_view)>& fn) const override {
    return base().ScanCheckpoints([&](TreeSize size, absl::string_view note) {
      auto it = checkpoints.find(size);
      return fn(size, it != checkpoints.end() ? absl::string_view(it->second) : note);
    });
  }
};

// One log for every test (building it verifies 5,000 signatures).
class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clock_ = new FakeClock(kTestNowMicros);
    core::LogOptions options;
    options.clock = clock_;
    auto log = core::Log::Open(std::make_unique<store::MemoryLogStore>(), TestIdentity(),
                               LogKey(), options);
    ASSERT_THAT(log, IsOk());
    log_ = log->release();
    std::vector<ledger::v1::SignedEvent> group;
    for (int i = 0; i < kEntries; ++i) {
      group.push_back(Sign(absl::StrCat("c", i), ClaimEvent(absl::StrCat("claim ", i)),
                           AdminKey()));
      if (group.size() == kGroup) {
        ASSERT_THAT(log_->AppendAll(group), IsOk());
        group.clear();
      }
    }
  }
  static void TearDownTestSuite() {
    delete log_;
    delete clock_;
  }

  void SetUp() override { store_ = std::make_unique<TamperedStore>(log_->store()); }

  absl::StatusOr<AuditReport> Audit() {
    AuditOptions options;
    options.threads = 2;
    options.index_window_entries = index_window_entries_;
    return AuditLog(*store_, TestIdentity(), options);
  }
  void ExpectFirstBad(SequenceNumber seq, const std::string& problem) {
    absl::StatusOr<AuditReport> report = Audit();
    ASSERT_THAT(report, IsOk());
    EXPECT_FALSE(report->ok);
    EXPECT_THAT(report->first_bad_sequence, Optional(seq)) << report->problem;
    EXPECT_THAT(report->problem, HasSubstr(problem));
  }

  std::string Leaf(SequenceNumber s) { return *log_->store().GetEntry(s); }
  Hash LeafHash(SequenceNumber s) { return merkle::HashLeaf(Leaf(s)); }
  // Damage: entry `s`'s signature no longer verifies (every index still agrees).
  void BreakSignature(SequenceNumber s) {
    std::string leaf = Leaf(s);
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf);
    ASSERT_THAT(view, IsOk());
    const size_t at = view->signature.data() - leaf.data();
    leaf[at + 3] ^= 0x20;
    store_->entries[s] = leaf;
    // The indexes and the tree follow the new bytes, so only the signature is wrong... but the
    // tree nodes are not rewritten: the leaf node check would fail too, at the same entry,
    // after the signature (which must win).
    store_->leaf_index[merkle::HashLeaf(leaf)] = s;
  }
  void BreakEventIdIndex(SequenceNumber s) {
    store_->event_ids[absl::StrCat("c", s)] = store::EventIdRecord{s + 1, Hash{}};
  }
  void BreakLeafIndex(SequenceNumber s) { store_->leaf_index[LeafHash(s)] = std::nullopt; }
  void BreakLeafNode(SequenceNumber s) {
    store_->nodes[{0, s}] = crypto::Sha256(absl::StrCat("not leaf ", s));
  }
  // Damage the replay itself notices: a truncated entry.
  void BreakEntryFormat(SequenceNumber s) { store_->entries[s] = Leaf(s).substr(0, 20); }

  static FakeClock* clock_;
  static core::Log* log_;
  std::unique_ptr<TamperedStore> store_;
  size_t index_window_entries_ = 0;  // the default: one window for the whole log here
};
FakeClock* PipelineTest::clock_ = nullptr;
core::Log* PipelineTest::log_ = nullptr;

TEST_F(PipelineTest, CleanLogAuditsOkWithRightCounts) {
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kEntries));
  EXPECT_EQ(report->signatures_checked, static_cast<uint64_t>(kEntries));
  EXPECT_EQ(report->checkpoints_checked, static_cast<uint64_t>(kEntries / kGroup + 1));
  EXPECT_EQ(report->root_hash, log_->Head().root_hash);
}

TEST_F(PipelineTest, EachDamageIsFoundAtItsEntryInEveryChunk) {
  for (SequenceNumber s : {SequenceNumber{0}, SequenceNumber{4095}, SequenceNumber{4096},
                           SequenceNumber{4999}}) {
    SCOPED_TRACE(absl::StrCat("entry ", s));
    SetUp();
    BreakSignature(s);
    ExpectFirstBad(s, "signature does not verify");
    SetUp();
    BreakEventIdIndex(s);
    ExpectFirstBad(s, "idempotency index does not point back");
    SetUp();
    BreakLeafIndex(s);
    ExpectFirstBad(s, "leaf hash index does not point back");
    SetUp();
    BreakLeafNode(s);
    ExpectFirstBad(s, "stored Merkle node (level 0");
    SetUp();
    BreakEntryFormat(s);
    ExpectFirstBad(s, absl::StrCat("entry ", s));
  }
}

TEST_F(PipelineTest, AMissingInnerNodeIsFoundWhereItIsCompleted) {
  // Node (3, 511) covers leaves 4088..4095: entry 4095 completes it.
  store_->nodes[{3, 511}] = std::nullopt;
  ExpectFirstBad(4095, "stored Merkle node (level 3, index 511) node not found");
}

TEST_F(PipelineTest, TheEarliestDamageWinsAcrossChunksAndChecks) {
  // A later chunk's signature against an earlier chunk's index, both ways.
  BreakSignature(4500);
  BreakEventIdIndex(2000);
  ExpectFirstBad(2000, "idempotency index");
  SetUp();
  BreakEventIdIndex(4500);
  BreakSignature(2000);
  ExpectFirstBad(2000, "signature");
  // Two worker tasks of the same chunk (256 entries each).
  SetUp();
  BreakLeafIndex(300);
  BreakLeafNode(10);
  ExpectFirstBad(10, "Merkle node");
  // The same entry: signature, then idempotency index, then leaf index, then nodes.
  SetUp();
  BreakLeafIndex(3000);
  BreakEventIdIndex(3000);
  BreakLeafNode(3000);
  ExpectFirstBad(3000, "idempotency index");
  SetUp();
  BreakLeafIndex(3000);
  BreakLeafNode(3000);
  ExpectFirstBad(3000, "leaf hash index");
  SetUp();
  BreakSignature(3000);
  BreakEventIdIndex(3000);
  ExpectFirstBad(3000, "signature");
  // The replay's own finding against the workers', both ways.
  SetUp();
  BreakEntryFormat(4800);
  BreakLeafIndex(4700);
  ExpectFirstBad(4700, "leaf hash index");
  SetUp();
  BreakEntryFormat(1000);
  BreakSignature(4000);
  ExpectFirstBad(1000, "entry 1000");
}

// Index records are looked up a window of entries at a time (sorted by key): with windows of
// 1,000 entries the earliest problem still wins across windows and against the chunks' checks.
TEST_F(PipelineTest, TheEarliestIndexDamageWinsAcrossIndexWindows) {
  index_window_entries_ = 1000;
  BreakLeafIndex(4500);
  BreakEventIdIndex(1500);
  ExpectFirstBad(1500, "idempotency index");
  SetUp();
  BreakEventIdIndex(4500);
  BreakLeafIndex(999);
  ExpectFirstBad(999, "leaf hash index");
  SetUp();
  BreakLeafIndex(1000);
  BreakLeafNode(1001);
  ExpectFirstBad(1000, "leaf hash index");
  SetUp();
  BreakLeafIndex(2001);
  BreakSignature(2000);
  ExpectFirstBad(2000, "signature");
  SetUp();
  for (SequenceNumber s : {SequenceNumber{0}, SequenceNumber{999}, SequenceNumber{4999}}) {
    SetUp();
    BreakEventIdIndex(s);
    ExpectFirstBad(s, "idempotency index");
  }
  SetUp();
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(PipelineTest, ACheckpointComesAfterTheChecksOfTheEntryThatCompletesItsTree) {
  // A checkpoint of size 3000 signed by another key, and entry 2999's index broken: the
  // entry's problem comes first. With entry 3000's instead, the checkpoint does.
  absl::StatusOr<std::string> note = log_->CheckpointAt(3000);
  ASSERT_THAT(note, IsOk());
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(*note);
  ASSERT_THAT(cp, IsOk());
  store_->checkpoints[3000] = format::SignCheckpoint(*cp, StrangerKey());
  BreakEventIdIndex(2999);
  ExpectFirstBad(2999, "idempotency index");
  SetUp();
  store_->checkpoints[3000] = format::SignCheckpoint(*cp, StrangerKey());
  BreakEventIdIndex(3000);
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_THAT(report->problem, HasSubstr("checkpoint at tree size 3000"));
}

// A log of signed batches of 700 events: batch 5 spans the chunk boundary (4096).
TEST(PipelineBatchTest, EachBatchSignatureIsVerifiedOnceAcrossChunks) {
  FakeClock clock(kTestNowMicros);
  core::LogOptions options;
  options.clock = &clock;
  auto log = core::Log::Open(std::make_unique<store::MemoryLogStore>(), TestIdentity(),
                             LogKey(), options);
  ASSERT_THAT(log, IsOk());
  constexpr int kBatch = 700;
  constexpr int kBatches = 8;  // 5,600 entries
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::pair<std::string, std::string>> events;
    for (int i = 0; i < kBatch; ++i) {
      events.emplace_back(absl::StrCat("b", b, "-", i),
                          client::SerializeEvent(ClaimEvent(absl::StrCat("claim ", b, "/", i))));
    }
    ASSERT_THAT((*log)->AppendSignedBatch(
                    client::SignBatch(kTestOrigin, absl::StrCat("batch-", b), events, AdminKey())),
                IsOk());
  }
  AuditOptions audit_options;
  audit_options.threads = 2;
  absl::StatusOr<AuditReport> report = AuditLog((*log)->store(), TestIdentity(), audit_options);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kBatch * kBatches));
  EXPECT_EQ(report->signatures_checked, static_cast<uint64_t>(kBatches));

  // A bad batch signature is named at the batch's first member, also for the batch that
  // spans entries 4096 (batch 5: entries 3500..4199).
  TamperedStore tampered((*log)->store());
  for (SequenceNumber s = 3500; s < 4200; ++s) {
    std::string leaf = *(*log)->store().GetEntry(s);
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf);
    ASSERT_THAT(view, IsOk());
    leaf[view->signature.data() - leaf.data()] ^= 0x01;
    tampered.entries[s] = leaf;
  }
  report = AuditLog(tampered, TestIdentity(), audit_options);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_THAT(report->first_bad_sequence, Optional(SequenceNumber{3500})) << report->problem;
  EXPECT_THAT(report->problem, HasSubstr("signature does not verify"));
}

}  // namespace
}  // namespace ledger::audit
