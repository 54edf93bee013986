// The offline auditor (ledger/audit/auditor.h) over a log built by the real Log: a clean log
// audits OK with the right counts, and each tampering -- made through RocksDbLogStore's raw
// handles with the schema.h encoders, after the Log is closed -- is found and named at the exact
// first bad entry.
#include "ledger/audit/auditor.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/clock.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/log.h"
#include "ledger/crypto/sha256.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/store/rocksdb_log_store.h"
#include "ledger/store/schema.h"
#include "rocksdb/db.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_dir.h"
#include "tests/testing/test_log.h"
#include "tests/testing/forwarding_log_store.h"

namespace ledger::audit {
namespace {

using ::ledger::store::schema::ColumnFamily;
using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::IsOk;
using ::ledger::testing::KeyRegisteredEvent;
using ::ledger::testing::kTestNowMicros;
using ::ledger::testing::kTestOrigin;
using ::ledger::testing::LogKey;
using ::ledger::testing::SecondAdminKey;
using ::ledger::testing::Sign;
using ::ledger::testing::StatusIs;
using ::ledger::testing::StrangerKey;
using ::ledger::testing::SubmitterKey;
using ::ledger::testing::TestIdentity;
using ::ledger::testing::TestLog;
using ::ledger::v1::SignedEvent;
using ::testing::HasSubstr;
using ::testing::Optional;

// The standard test log: 50 entries.
//   entry 0            registers SubmitterKey() (signed by the genesis admin AdminKey())
//   entry 20           a claim signed by the second genesis admin SecondAdminKey()
//   every other entry  a claim "claim-<i>" signed by AdminKey() (even i) or SubmitterKey() (odd)
// Each append is its own commit, so a checkpoint is stored for every size 0..50.
constexpr int kLogSize = 50;
constexpr int kSecondAdminEntry = 20;

core::LogIdentity Identity() {
  return TestIdentity({AdminKey().public_key(), SecondAdminKey().public_key()});
}

SignedEvent StandardEntry(int i) {
  if (i == 0) {
    return Sign(
        "reg-sub",
        KeyRegisteredEvent(SubmitterKey().public_key(), ledger::v1::KeyRegistered::SUBMITTER),
        AdminKey());
  }
  if (i == kSecondAdminEntry) {
    return Sign(absl::StrCat("claim-", i), ClaimEvent(absl::StrCat("claim ", i)), SecondAdminKey());
  }
  return Sign(absl::StrCat("claim-", i), ClaimEvent(absl::StrCat("claim ", i)),
              i % 2 == 0 ? AdminKey() : SubmitterKey());
}

// Appends entries [from, to) made by `entry`; the clock advances 1 s before each, so two logs
// built by the same calls hold the same bytes.
void AppendEntries(core::Log& log, FakeClock& clock, int from, int to,
                   const std::function<SignedEvent(int)>& entry = StandardEntry) {
  for (int i = from; i < to; ++i) {
    clock.Set(kTestNowMicros + int64_t{i} * 1000000);
    absl::StatusOr<core::AppendResult> r = log.Append(entry(i));
    ASSERT_THAT(r, IsOk()) << "entry " << i;
    ASSERT_EQ(r->sequence, static_cast<SequenceNumber>(i));
  }
}

core::LogOptions Options(FakeClock* clock) {
  core::LogOptions options;
  options.clock = clock;
  return options;
}

AuditOptions DefaultAuditOptions() {
  AuditOptions options;
  options.threads = 2;
  return options;
}

// A read-only view of a store whose entry `sequence` has bit `bit` of its leaf data flipped.
class FlippedBitStore : public ::ledger::testing::ForwardingLogStore {
 public:
  FlippedBitStore(const store::LogStore& base, SequenceNumber sequence, size_t bit)
      : ForwardingLogStore(base), sequence_(sequence), bit_(bit) {}

  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override {
    absl::StatusOr<std::string> leaf = base().GetEntry(sequence);
    if (leaf.ok() && sequence == sequence_) Flip(&*leaf);
    return leaf;
  }
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    return base().ScanEntries(begin, end, [&](SequenceNumber s, absl::string_view leaf) {
      if (s != sequence_) return fn(s, leaf);
      std::string flipped(leaf);
      Flip(&flipped);
      return fn(s, flipped);
    });
  }

 private:
  void Flip(std::string* leaf) const {
    (*leaf)[bit_ / 8] = static_cast<char>((*leaf)[bit_ / 8] ^ (1 << (bit_ % 8)));
  }
  const SequenceNumber sequence_;
  const size_t bit_;
};

// A read-only view of a store that cannot read entry `sequence` (the scan stops there with
// `error`, as RocksDB does reading a damaged file).
class UnreadableEntryStore : public ::ledger::testing::ForwardingLogStore {
 public:
  UnreadableEntryStore(const store::LogStore& base, SequenceNumber sequence, absl::Status error)
      : ForwardingLogStore(base), sequence_(sequence), error_(std::move(error)) {}

  absl::StatusOr<std::string> GetEntry(SequenceNumber sequence) const override {
    if (sequence == sequence_) return error_;
    return base().GetEntry(sequence);
  }
  absl::Status ScanEntries(
      SequenceNumber begin, SequenceNumber end,
      const std::function<bool(SequenceNumber, absl::string_view)>& fn) const override {
    if (begin >= sequence_) return error_;
    bool stopped = false;
    absl::Status s = base().ScanEntries(begin, std::min(end, sequence_),
                                        [&](SequenceNumber seq, absl::string_view leaf) {
                                          stopped = !fn(seq, leaf);
                                          return !stopped;
                                        });
    if (!s.ok() || stopped || end <= sequence_) return s;
    return error_;
  }

 private:
  const SequenceNumber sequence_;
  const absl::Status error_;
};

// ---------------------------------------------------------------------------------------------
// Logs in memory: TestLog(Identity()) has the identity, log key, clock start and options of the
// disk log below, so the same AppendEntries calls build the same bytes.

TEST(AuditMemoryLogTest, CleanLogAuditsOk) {
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, kLogSize);
  absl::StatusOr<AuditReport> report = AuditLog(m.log().store(), Identity(), DefaultAuditOptions());
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->problem, "");
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_EQ(report->tree_size, static_cast<TreeSize>(kLogSize));
  EXPECT_EQ(report->root_hash, m.log().Head().root_hash);
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kLogSize));
  EXPECT_EQ(report->signatures_checked, static_cast<uint64_t>(kLogSize));
  EXPECT_EQ(report->checkpoints_checked, static_cast<uint64_t>(kLogSize + 1));  // sizes 0..50
  EXPECT_EQ(report->latest_checkpoint, m.log().LatestCheckpoint());
}

TEST(AuditMemoryLogTest, EmptyLogAuditsOk) {
  TestLog m(Identity());
  absl::StatusOr<AuditReport> report = AuditLog(m.log().store(), Identity(), DefaultAuditOptions());
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->tree_size, 0u);
  EXPECT_EQ(report->entries_checked, 0u);
  EXPECT_EQ(report->checkpoints_checked, 1u);
  EXPECT_EQ(report->root_hash, merkle::EmptyRoot());
}

TEST(AuditMemoryLogTest, EveryFlippedBitOfAnEntryIsFoundAtThatEntry) {
  constexpr SequenceNumber kTarget = 5;
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, 8);
  absl::StatusOr<std::string> leaf = m.log().store().GetEntry(kTarget);
  ASSERT_THAT(leaf, IsOk());
  AuditOptions options = DefaultAuditOptions();
  options.threads = 1;
  for (size_t bit = 0; bit < leaf->size() * 8; ++bit) {
    FlippedBitStore flipped(m.log().store(), kTarget, bit);
    absl::StatusOr<AuditReport> report = AuditLog(flipped, Identity(), options);
    ASSERT_THAT(report, IsOk()) << "bit " << bit;
    ASSERT_FALSE(report->ok) << "bit " << bit << " flipped went unnoticed";
    ASSERT_THAT(report->first_bad_sequence, Optional(kTarget))
        << "bit " << bit << ": " << report->problem;
  }
}

// Physical damage is named like logical damage: by the first entry it takes (issue 15).
TEST(AuditMemoryLogTest, UnreadableEntryIsNamedAsTheFirstBadSequence) {
  constexpr SequenceNumber kTarget = 6;
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, 10);
  for (const absl::Status& error :
       {absl::InternalError("IO error: While pread offset 4096: Input/output error"),
        absl::DataLossError("Corruption: block checksum mismatch")}) {
    UnreadableEntryStore unreadable(m.log().store(), kTarget, error);
    absl::StatusOr<AuditReport> report = AuditLog(unreadable, Identity(), DefaultAuditOptions());
    ASSERT_THAT(report, IsOk());
    EXPECT_FALSE(report->ok);
    EXPECT_THAT(report->first_bad_sequence, Optional(kTarget));
    EXPECT_THAT(report->problem, HasSubstr("entry 6 is missing or unreadable"));
    EXPECT_THAT(report->problem, HasSubstr(error.message()));
  }
}

TEST(AuditMemoryLogTest, TrustedCheckpointFromEarlierAuditIsAccepted) {
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, 30);
  const std::string earlier = m.log().LatestCheckpoint();
  AppendEntries(m.log(), m.clock(), 30, kLogSize);
  AuditOptions options = DefaultAuditOptions();
  options.trusted_checkpoint = earlier;
  absl::StatusOr<AuditReport> report = AuditLog(m.log().store(), Identity(), options);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST(AuditMemoryLogTest, TrustedCheckpointNotSignedByLogKeyIsAnError) {
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, 3);
  AuditOptions options = DefaultAuditOptions();
  options.trusted_checkpoint =
      format::SignCheckpoint({std::string(kTestOrigin), 3, m.log().Head().root_hash}, StrangerKey());
  EXPECT_THAT(AuditLog(m.log().store(), Identity(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trusted checkpoint")));
}

// ---------------------------------------------------------------------------------------------
// Logs on disk, tampered with through the raw RocksDB handles.

class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::ledger::testing::EmptyDir();

    store::RocksDbLogStoreOptions store_options;
    store_options.create_if_missing = true;
    absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
        store::RocksDbLogStore::Open(dir_, store_options);
    ASSERT_THAT(store, IsOk());
    FakeClock clock(kTestNowMicros);
    absl::StatusOr<std::unique_ptr<core::Log>> log =
        core::Log::Open(*std::move(store), Identity(), LogKey(), Options(&clock));
    ASSERT_THAT(log, IsOk());
    AppendEntries(**log, clock, 0, kLogSize);
    head_ = (*log)->Head();
    latest_checkpoint_ = (*log)->LatestCheckpoint();
    // The Log (and its store) close here, before anything is tampered with.
  }

  // Audits the store at dir_, opened read-only.
  absl::StatusOr<AuditReport> Audit(const core::LogIdentity& trust = Identity(),
                                    const AuditOptions& options = DefaultAuditOptions()) {
    store::RocksDbLogStoreOptions store_options;
    store_options.read_only = true;
    absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
        store::RocksDbLogStore::Open(dir_, store_options);
    if (!store.ok()) return store.status();
    return AuditLog(**store, trust, options);
  }

  // Opens the store read-write, lets `tamper` write through the raw handles, closes it.
  void Tamper(const std::function<void(store::RocksDbLogStore&)>& tamper) {
    absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
        store::RocksDbLogStore::Open(dir_, store::RocksDbLogStoreOptions());
    ASSERT_THAT(store, IsOk());
    tamper(**store);
  }

  static std::string RawGet(store::RocksDbLogStore& s, ColumnFamily cf, const std::string& key) {
    std::string value;
    rocksdb::Status status =
        s.raw_db()->Get(rocksdb::ReadOptions(), s.column_family(cf), key, &value);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }
  static void RawPut(store::RocksDbLogStore& s, ColumnFamily cf, const std::string& key,
                     const std::string& value) {
    rocksdb::WriteOptions options;
    options.sync = true;
    rocksdb::Status status = s.raw_db()->Put(options, s.column_family(cf), key, value);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  static void RawDelete(store::RocksDbLogStore& s, ColumnFamily cf, const std::string& key) {
    rocksdb::WriteOptions options;
    options.sync = true;
    rocksdb::Status status = s.raw_db()->Delete(options, s.column_family(cf), key);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  // The leaf data of entry `seq` with `edit` applied, written back in place.
  void EditEntry(SequenceNumber seq, const std::function<void(std::string*)>& edit) {
    Tamper([&](store::RocksDbLogStore& s) {
      std::string leaf = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(seq));
      ASSERT_FALSE(leaf.empty());
      edit(&leaf);
      RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(seq), leaf);
    });
  }

  // Expects a failed audit whose first bad entry is `seq`, with `problem` in its description.
  void ExpectFirstBad(const absl::StatusOr<AuditReport>& report, SequenceNumber seq,
                      const std::string& problem = "") {
    ASSERT_THAT(report, IsOk());
    EXPECT_FALSE(report->ok);
    EXPECT_THAT(report->first_bad_sequence, Optional(seq)) << report->problem;
    EXPECT_THAT(report->problem, HasSubstr(problem));
  }

  std::string dir_;
  store::LogHead head_;
  std::string latest_checkpoint_;
};

TEST_F(AuditorTest, CleanLogAuditsOkWithRightCounts) {
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_EQ(report->tree_size, static_cast<TreeSize>(kLogSize));
  EXPECT_EQ(report->root_hash, head_.root_hash);
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kLogSize));
  EXPECT_EQ(report->signatures_checked, static_cast<uint64_t>(kLogSize));
  EXPECT_EQ(report->checkpoints_checked, static_cast<uint64_t>(kLogSize + 1));
  EXPECT_EQ(report->latest_checkpoint, latest_checkpoint_);
}

TEST_F(AuditorTest, DiskLogHoldsTheSameBytesAsMemoryLog) {
  // The tests below rely on building the same log twice (for trusted checkpoints).
  TestLog m(Identity());
  AppendEntries(m.log(), m.clock(), 0, kLogSize);
  EXPECT_EQ(m.log().Head(), head_);
  EXPECT_EQ(m.log().LatestCheckpoint(), latest_checkpoint_);
}

TEST_F(AuditorTest, ChangedEventByteIsFoundAtThatEntry) {
  EditEntry(17, [](std::string* leaf) {
    const size_t at = leaf->find("claim 17");
    ASSERT_NE(at, std::string::npos);
    (*leaf)[at + 6] = '9';  // "claim 97": still a valid event, other bytes
  });
  ExpectFirstBad(Audit(), 17, "entry 17");
}

TEST_F(AuditorTest, ConsistentlyRewrittenEventIsCaughtAtThatEntry) {
  // A careful forger also rewrites the idempotency record and the leaf index; the signature
  // (and the stored Merkle nodes) still give it away.
  Tamper([](store::RocksDbLogStore& s) {
    const SequenceNumber seq = 17;
    std::string leaf = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(seq));
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf);
    ASSERT_THAT(view, IsOk());
    std::string event(view->event);
    const size_t at = event.find("claim 17");
    ASSERT_NE(at, std::string::npos);
    event[at + 6] = '9';
    const std::string forged = format::EncodeLeafData(view->recorded_time_micros, view->event_id,
                                                      view->key_id, view->signature, event);
    RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(seq), forged);
    RawPut(s, ColumnFamily::kEventIds, store::schema::EventIdKey(view->event_id),
           store::schema::EncodeEventIdValue({seq, crypto::Sha256(event)}));
    RawPut(s, ColumnFamily::kLeafIndex, store::schema::LeafIndexKey(merkle::HashLeaf(forged)),
           store::schema::EncodeLeafIndexValue(seq));
  });
  ExpectFirstBad(Audit(), 17, "entry 17");
}

// The claim records an audit needs live in an on-disk table once there are more than
// claims_in_memory of them (claim_spill.h). Entry 45 is forged (consistently: re-signed by the
// submitter, the one key a forger here holds) into a retraction of claim-2, which AdminKey()
// asserted: the rules, reading claim-2's record back from the spill, name the signer as the
// problem (without the record they would say "no claim has id").
TEST_F(AuditorTest, ClaimRulesReadSpilledClaims) {
  AuditOptions options = DefaultAuditOptions();
  options.claims_in_memory = 1;
  options.chunk_entries = 4;
  options.spill_dir = dir_;
  absl::StatusOr<AuditReport> clean = Audit(Identity(), options);
  ASSERT_THAT(clean, IsOk());
  EXPECT_TRUE(clean->ok) << clean->problem;
  EXPECT_EQ(clean->entries_checked, static_cast<uint64_t>(kLogSize));

  Tamper([](store::RocksDbLogStore& s) {
    const SequenceNumber seq = 45;
    std::string leaf = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(seq));
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf);
    ASSERT_THAT(view, IsOk());
    ledger::v1::Event retract;
    retract.mutable_claim_retracted()->set_claim_id("claim-2");
    retract.mutable_claim_retracted()->set_reason("forged");
    const SignedEvent forged = Sign(std::string(view->event_id), retract, SubmitterKey());
    RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(seq),
           format::EncodeLeafData(view->recorded_time_micros, forged.event_id(),
                                  forged.key_id(), forged.signature(), forged.event()));
  });
  ExpectFirstBad(Audit(Identity(), options), 45, "only the key that asserted claim \"claim-2\"");
  // Nothing of the spill is left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find("factledger-audit-claims-"), std::string::npos)
        << e.path();
  }
}

TEST_F(AuditorTest, ChangedSignatureByteIsFoundAtThatEntry) {
  EditEntry(23, [](std::string* leaf) {
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(*leaf);
    ASSERT_THAT(view, IsOk());
    const size_t signature_at = view->signature.data() - leaf->data();
    (*leaf)[signature_at + 7] ^= 0x01;
  });
  ExpectFirstBad(Audit(), 23, "entry 23");
}

TEST_F(AuditorTest, SwappedEntriesAreFoundAtTheLowerOne) {
  Tamper([](store::RocksDbLogStore& s) {
    const std::string a = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(10));
    const std::string b = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(11));
    RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(10), b);
    RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(11), a);
  });
  ExpectFirstBad(Audit(), 10, "entry 10");
}

// LIBRARY BUG (ledger/audit/auditor.cc, Auditor::Run, and RocksDbLogStore::ScanEntries): for a
// hole in `entries`, RocksDbLogStore::ScanEntries stops at the hole and returns DATA_LOSS
// ("entry 30 is missing below tree size 50"); the auditor propagates that status
// (LEDGER_RETURN_IF_ERROR(store_.ScanEntries(...))) instead of reporting the missing entry, so
// AuditLog returns an error ("the audit could not run") rather than a report with
// first_bad_sequence 30. Its own "entry N is missing" branch is unreachable with this store.
TEST_F(AuditorTest, DeletedEntryIsNamed) {
  Tamper([](store::RocksDbLogStore& s) {
    RawDelete(s, ColumnFamily::kEntries, store::schema::EntryKey(30));
  });
  ExpectFirstBad(Audit(), 30, "entry 30 is missing");
}

// The stored event of entry 0 is replaced by a key registration whose public key is 1 byte
// long (admission would refuse it; the auditor only parses stored events), with a matching
// idempotency record. The audit must name entry 0 -- and must not read past the key.
// LIBRARY BUG, visible only under --config=asan: KeyRegistry::Authorize and KeyRegistry::Apply
// (ledger/core/key_registry.cc) memcpy 32 bytes out of event.key_registered().public_key()
// without checking its length, and the auditor calls them on stored events that were never
// validated (ParseStoredEvent does no field checks): a heap/stack over-read on tampered input.
TEST_F(AuditorTest, KeyEventWithShortPublicKeyIsFoundAtThatEntry) {
  Tamper([](store::RocksDbLogStore& s) {
    std::string leaf = RawGet(s, ColumnFamily::kEntries, store::schema::EntryKey(0));
    absl::StatusOr<format::EntryView> view = format::DecodeLeafData(leaf);
    ASSERT_THAT(view, IsOk());
    ledger::v1::Event event;
    event.mutable_key_registered()->set_public_key("k");
    event.mutable_key_registered()->set_role(ledger::v1::KeyRegistered::SUBMITTER);
    const std::string bytes = client::SerializeEvent(event);
    RawPut(s, ColumnFamily::kEntries, store::schema::EntryKey(0),
           format::EncodeLeafData(view->recorded_time_micros, view->event_id, view->key_id,
                                  view->signature, bytes));
    RawPut(s, ColumnFamily::kEventIds, store::schema::EventIdKey(view->event_id),
           store::schema::EncodeEventIdValue({0, crypto::Sha256(bytes)}));
  });
  ExpectFirstBad(Audit(), 0, "entry 0");
}

TEST_F(AuditorTest, RewrittenRecordedTimeIsFoundAtThatEntry) {
  EditEntry(15, [](std::string* leaf) {
    std::string time;
    PutFixed64BE(&time, static_cast<uint64_t>(kTestNowMicros));  // earlier than entry 14's
    leaf->replace(2, 8, time);
  });
  ExpectFirstBad(Audit(), 15, "entry 15");
}

TEST_F(AuditorTest, ChangedMerkleNodeIsFoundWhereItIsCompleted) {
  // Node (level 1, index 3) covers leaves 6 and 7; it is completed by entry 7.
  Tamper([](store::RocksDbLogStore& s) {
    RawPut(s, ColumnFamily::kNodes, store::schema::NodeKey({1, 3}),
           store::schema::EncodeNodeValue(crypto::Sha256("not the node")));
  });
  ExpectFirstBad(Audit(), 7, "Merkle node");
}

TEST_F(AuditorTest, ForgedCheckpointIsFound) {
  Tamper([](store::RocksDbLogStore& s) {
    const std::string note =
        RawGet(s, ColumnFamily::kCheckpoints, store::schema::CheckpointKey(25));
    absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(note);
    ASSERT_THAT(cp, IsOk());
    RawPut(s, ColumnFamily::kCheckpoints, store::schema::CheckpointKey(25),
           format::SignCheckpoint(*cp, StrangerKey()));  // same content, another key
  });
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_THAT(report->problem, HasSubstr("checkpoint at tree size 25"));
}

TEST_F(AuditorTest, CheckpointWithOtherRootSignedByLogKeyIsFound) {
  Tamper([](store::RocksDbLogStore& s) {
    RawPut(s, ColumnFamily::kCheckpoints, store::schema::CheckpointKey(25),
           format::SignCheckpoint({std::string(kTestOrigin), 25, crypto::Sha256("other root")},
                                  LogKey()));
  });
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_THAT(report->problem, HasSubstr("checkpoint at tree size 25"));
}

TEST_F(AuditorTest, ChangedHeadRootIsFound) {
  Tamper([this](store::RocksDbLogStore& s) {
    store::LogHead head = head_;
    head.root_hash = crypto::Sha256("other root");
    RawPut(s, ColumnFamily::kMeta, std::string(store::schema::kMetaHeadKey),
           store::schema::EncodeHead(head));
  });
  absl::StatusOr<AuditReport> report = Audit();
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_THAT(report->problem, HasSubstr("head root"));
}

TEST_F(AuditorTest, WrongTrustedAdminKeyFailsAtFirstEntryItSigned) {
  // Trust AdminKey() and a stranger instead of SecondAdminKey(): everything before entry 20 is
  // signed by AdminKey() or keys it registered, entry 20 by the untrusted second admin.
  absl::StatusOr<AuditReport> report =
      Audit(TestIdentity({AdminKey().public_key(), StrangerKey().public_key()}));
  ExpectFirstBad(report, kSecondAdminEntry, "not registered");
  EXPECT_EQ(report->entries_checked, static_cast<uint64_t>(kSecondAdminEntry + 1));
}

TEST_F(AuditorTest, NoTrustedAdminKeyFailsAtTheFirstEntry) {
  ExpectFirstBad(Audit(TestIdentity({StrangerKey().public_key()})), 0, "entry 0");
}

TEST_F(AuditorTest, WrongTrustedLogKeyFailsOnTheFirstCheckpoint) {
  core::LogIdentity trust = Identity();
  trust.log_public_key = StrangerKey().public_key();
  absl::StatusOr<AuditReport> report = Audit(trust);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_THAT(report->problem, HasSubstr("checkpoint at tree size 0"));
}

TEST_F(AuditorTest, TrustedCheckpointLargerThanLogIsTruncationAtLogSize) {
  // The same log, five entries longer, seen earlier: this store has lost entries 50..54.
  TestLog longer(Identity());
  AppendEntries(longer.log(), longer.clock(), 0, kLogSize + 5);
  AuditOptions options = DefaultAuditOptions();
  options.trusted_checkpoint = longer.log().LatestCheckpoint();
  ExpectFirstBad(Audit(Identity(), options), kLogSize, "truncation");
}

TEST_F(AuditorTest, TrustedCheckpointWithOtherRootAtItsSizeIsFound) {
  // A fork: a log that differs from this one at entry 12, seen earlier at size 20. The auditor
  // cannot tell which entry of the first 20 differs: it names the range 0..19, not a guess.
  TestLog fork(Identity());
  AppendEntries(fork.log(), fork.clock(), 0, 20, [](int i) {
    return i == 12 ? Sign("claim-12", ClaimEvent("forked claim 12"), AdminKey()) : StandardEntry(i);
  });
  AuditOptions options = DefaultAuditOptions();
  options.trusted_checkpoint = fork.log().LatestCheckpoint();
  absl::StatusOr<AuditReport> report = Audit(Identity(), options);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_sequence, std::nullopt);
  EXPECT_EQ(report->bad_range, std::make_optional(std::make_pair(SequenceNumber{0}, SequenceNumber{19})));
  EXPECT_THAT(report->problem, HasSubstr("not consistent with the trusted checkpoint"));
  EXPECT_THAT(report->problem, HasSubstr("One of entries 0..19 differs"));
}

TEST_F(AuditorTest, TrustedCheckpointOfThisLogIsAccepted) {
  TestLog same(Identity());
  AppendEntries(same.log(), same.clock(), 0, 20);
  AuditOptions options = DefaultAuditOptions();
  options.trusted_checkpoint = same.log().LatestCheckpoint();
  absl::StatusOr<AuditReport> report = Audit(Identity(), options);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok) << report->problem;
}

}  // namespace
}  // namespace ledger::audit
