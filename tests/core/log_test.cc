// The append pipeline and reads of ledger/core/log.h, over a MemoryLogStore with a FakeClock
// (and a RocksDbLogStore for reopening). Every refusal is checked to leave the log's size, root
// and checkpoint unchanged.
#include "ledger/core/log.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/error.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/limits.h"
#include "ledger/format/checkpoint.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/merkle/verify.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/store/rocksdb_log_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_dir.h"
#include "tests/testing/test_log.h"

namespace ledger::core {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::FreshDir;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::IsOk;
using ::ledger::testing::KeyIdOf;
using ::ledger::testing::KeyRegisteredEvent;
using ::ledger::testing::KeyRevokedEvent;
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
using ::ledger::v1::KeyRegistered;
using ::ledger::v1::SignedEvent;
using ::testing::HasSubstr;
using ::testing::StartsWith;

format::NoteVerifier Verifier() {
  return format::NoteVerifier{std::string(kTestOrigin), LogKey().public_key()};
}

// The checkpoint `note`, verified by the test log key; fails the test if it does not verify.
format::Checkpoint Verified(const std::string& note) {
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(note, Verifier());
  EXPECT_THAT(cp, IsOk()) << note;
  return cp.ok() ? *cp : format::Checkpoint{};
}

SignedEvent ClaimEnvelope(absl::string_view event_id,
                          const crypto::Ed25519PrivateKey& key = AdminKey(),
                          absl::string_view text = "The bridge opened in 1932.") {
  return Sign(event_id, ClaimEvent(text), key);
}

// Appends claims "c0".."c{n-1}", each its own commit. Fails the test on any error.
void AppendClaims(TestLog& t, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_THAT(t.AppendClaim(absl::StrCat("c", i), AdminKey(), absl::StrCat("claim ", i)), IsOk());
  }
}

// The log's observable state, to check that a refusal changed nothing.
struct LogState {
  store::LogHead log_head;
  store::LogHead store_head;
  std::string checkpoint;

  explicit LogState(TestLog& t)
      : log_head(t.log().Head()),
        store_head(t.store().Head()),
        checkpoint(t.log().LatestCheckpoint()) {}
};

void ExpectUnchanged(TestLog& t, const LogState& before) {
  EXPECT_EQ(t.log().Head(), before.log_head);
  EXPECT_EQ(t.store().Head(), before.store_head);
  EXPECT_EQ(t.log().LatestCheckpoint(), before.checkpoint);
}

// Appends `envelope`, expects `code` with `message` in the error, and that nothing changed:
// not the head, not the checkpoint, not the idempotency record of its event id.
void ExpectRefusedAndUnchanged(TestLog& t, const SignedEvent& envelope, absl::StatusCode code,
                               const std::string& message) {
  const LogState before(t);
  absl::StatusOr<std::optional<store::EventIdRecord>> id_before =
      t.store().GetEventId(envelope.event_id());
  ASSERT_THAT(id_before, IsOk());
  EXPECT_THAT(t.log().Append(envelope), StatusIs(code, HasSubstr(message)));
  ExpectUnchanged(t, before);
  absl::StatusOr<std::optional<store::EventIdRecord>> id_after =
      t.store().GetEventId(envelope.event_id());
  ASSERT_THAT(id_after, IsOk());
  EXPECT_EQ(*id_after, *id_before)
      << "the record of event id " << envelope.event_id() << " changed";
}

std::vector<Hash> LeafHashes(TestLog& t) {
  std::vector<Hash> hashes;
  for (SequenceNumber s = 0; s < t.log().Head().tree_size; ++s) {
    absl::StatusOr<LogEntry> e = t.log().GetEntry(s);
    EXPECT_THAT(e, IsOk());
    if (e.ok()) hashes.push_back(e->leaf_hash);
  }
  return hashes;
}

// ---------------------------------------------------------------------------------------------
// Opening.

TEST(LogOpenTest, NewLogHasSignedCheckpointOfSizeZero) {
  TestLog t;
  EXPECT_EQ(t.log().Head().tree_size, 0u);
  EXPECT_EQ(t.log().Head().root_hash, merkle::EmptyRoot());
  const format::Checkpoint cp = Verified(t.log().LatestCheckpoint());
  EXPECT_EQ(cp.origin, kTestOrigin);
  EXPECT_EQ(cp.tree_size, 0u);
  EXPECT_EQ(cp.root_hash, merkle::EmptyRoot());
  absl::StatusOr<std::string> stored = t.log().CheckpointAt(0);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(*stored, t.log().LatestCheckpoint());
}

TEST(LogOpenTest, LogKeyNotMatchingIdentityIsInvalidArgument) {
  FakeClock clock(kTestNowMicros);
  LogOptions options;
  options.clock = &clock;
  auto store = std::make_unique<store::MemoryLogStore>();
  absl::StatusOr<std::unique_ptr<Log>> log =
      Log::Open(std::move(store), TestIdentity(), StrangerKey(), options);
  EXPECT_THAT(log, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log key")));
}

TEST(LogOpenTest, InvalidOriginIsInvalidArgument) {
  FakeClock clock(kTestNowMicros);
  LogOptions options;
  options.clock = &clock;
  LogIdentity identity = TestIdentity();
  identity.origin = "has space";
  EXPECT_THAT(Log::Open(std::make_unique<store::MemoryLogStore>(), identity, LogKey(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LogOpenTest, CheckpointVerifierKeyNamesOriginAndLogKey) {
  TestLog t;
  absl::StatusOr<format::NoteVerifier> v =
      format::ParseNoteVerifierKey(t.log().CheckpointVerifierKey());
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(v->name, kTestOrigin);
  EXPECT_EQ(v->public_key, LogKey().public_key());
}

// ---------------------------------------------------------------------------------------------
// Appending and reading back.

// Cluster mode switches roles in place (Log::Demote, Log::Promote; ledger/cluster/): a demoted
// log refuses appends as a follower naming its new leader and holds no key to sign with; a
// promoted one sequences again, and an event id appended before the switches is answered with
// its original entry (the recent-id cache is rebuilt, the store is searched).
TEST(LogRoleTest, DemotedLogRefusesAppendsAndPromotedLogAppendsIdempotently) {
  TestLog t;
  AppendClaims(t, 2);
  const SignedEvent envelope = ClaimEnvelope("before-the-switch");
  absl::StatusOr<AppendResult> first = t.log().Append(envelope);
  ASSERT_THAT(first, IsOk());

  ASSERT_THAT(t.log().Demote("10.0.0.2:50051"), IsOk());
  EXPECT_TRUE(t.log().is_follower());
  const LogState demoted(t);
  absl::StatusOr<AppendResult> refused = t.log().Append(ClaimEnvelope("while-following"));
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("follower of 10.0.0.2:50051")));
  EXPECT_EQ(ErrorReason(refused.status()), reason::kNotLeader);
  EXPECT_THAT(t.log().SignMapCheckpoint(format::MapCheckpoint{}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(t.log().Demote("10.0.0.3:50051"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectUnchanged(t, demoted);

  EXPECT_THAT(t.log().Promote(StrangerKey()), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(t.log().is_follower());
  ASSERT_THAT(t.log().Promote(LogKey()), IsOk());
  EXPECT_FALSE(t.log().is_follower());
  EXPECT_THAT(t.log().Promote(LogKey()), StatusIs(absl::StatusCode::kFailedPrecondition));

  absl::StatusOr<AppendResult> again = t.log().Append(envelope);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, first->sequence);
  absl::StatusOr<AppendResult> next = t.log().Append(ClaimEnvelope("after-the-switch"));
  ASSERT_THAT(next, IsOk());
  EXPECT_FALSE(next->duplicate);
  EXPECT_EQ(next->sequence, first->sequence + 1);
  EXPECT_EQ(Verified(next->checkpoint).tree_size, first->sequence + 2);
}

TEST(LogAppendTest, SequenceNumbersAreDenseAndHeadGrows) {
  TestLog t;
  for (SequenceNumber want = 0; want < 3; ++want) {
    absl::StatusOr<AppendResult> r = t.AppendClaim(absl::StrCat("c", want));
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->sequence, want);
    EXPECT_FALSE(r->duplicate);
    EXPECT_EQ(t.log().Head().tree_size, want + 1);
    EXPECT_EQ(t.store().Head(), t.log().Head());
  }
}

TEST(LogAppendTest, EntryReadsBackByteIdentical) {
  TestLog t;
  t.clock().Set(kTestNowMicros + 1234);
  const SignedEvent envelope = ClaimEnvelope("claim-1");
  absl::StatusOr<AppendResult> r = t.log().Append(envelope);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->recorded_time_micros, kTestNowMicros + 1234);

  absl::StatusOr<LogEntry> e = t.log().GetEntry(0);
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->sequence, 0u);
  EXPECT_EQ(e->event, envelope.event());
  EXPECT_EQ(e->signature, envelope.signature());
  EXPECT_EQ(e->key_id, envelope.key_id());
  EXPECT_EQ(e->key_id, KeyIdOf(AdminKey()));
  EXPECT_EQ(e->event_id, "claim-1");
  EXPECT_EQ(e->recorded_time_micros, kTestNowMicros + 1234);
  EXPECT_EQ(e->leaf_data,
            format::EncodeLeafData(kTestNowMicros + 1234, "claim-1", envelope.key_id(),
                                   envelope.signature(), envelope.event()));
}

TEST(LogAppendTest, LeafHashIsHashOfLeafData) {
  TestLog t;
  absl::StatusOr<AppendResult> r = t.AppendClaim("claim-1");
  ASSERT_THAT(r, IsOk());
  absl::StatusOr<LogEntry> e = t.log().GetEntry(0);
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->leaf_hash, merkle::HashLeaf(e->leaf_data));
  EXPECT_EQ(r->leaf_hash, e->leaf_hash);
}

TEST(LogAppendTest, ReturnedCheckpointVerifiesWithNewSizeAndRoot) {
  TestLog t;
  AppendClaims(t, 4);
  absl::StatusOr<AppendResult> r = t.AppendClaim("fifth");
  ASSERT_THAT(r, IsOk());
  const format::Checkpoint cp = Verified(r->checkpoint);
  EXPECT_EQ(cp.tree_size, 5u);
  EXPECT_EQ(cp.root_hash, t.log().Head().root_hash);
  EXPECT_EQ(cp.root_hash, merkle::testing::ReferenceRoot(LeafHashes(t)));
  EXPECT_EQ(r->checkpoint, t.log().LatestCheckpoint());
  absl::StatusOr<std::string> stored = t.log().CheckpointAt(5);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(*stored, r->checkpoint);
}

TEST(LogAppendTest, GetEntryPastTheEndIsNotFound) {
  TestLog t;
  AppendClaims(t, 2);
  EXPECT_THAT(t.log().GetEntry(2), StatusIs(absl::StatusCode::kNotFound));
}

TEST(LogAppendTest, CheckpointPastTheEndIsTreeSizeOutOfRange) {
  TestLog t;
  AppendClaims(t, 2);
  const absl::StatusOr<std::string> past = t.log().CheckpointAt(3);
  EXPECT_THAT(past, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(ErrorReason(past.status()), "TREE_SIZE_OUT_OF_RANGE");
  EXPECT_EQ(ErrorField(past.status()), "tree_size");
  EXPECT_TRUE(t.log().CheckpointAt(2).ok());
  const absl::StatusOr<ConsistencyProof> proof = t.log().ProveConsistency(1, 3);
  EXPECT_THAT(proof, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(ErrorField(proof.status()), "to_tree_size");
}

// ---------------------------------------------------------------------------------------------
// Proofs.

constexpr int kProofLogSize = 13;

TEST(LogProofTest, EveryInclusionProofVerifiesAgainstItsCheckpoint) {
  TestLog t;
  AppendClaims(t, kProofLogSize);
  const std::vector<Hash> leaves = LeafHashes(t);
  for (TreeSize size = 1; size <= kProofLogSize; ++size) {
    absl::StatusOr<std::string> note = t.log().CheckpointAt(size);
    ASSERT_THAT(note, IsOk());
    const format::Checkpoint cp = Verified(*note);
    ASSERT_EQ(cp.tree_size, size);
    for (SequenceNumber seq = 0; seq < size; ++seq) {
      absl::StatusOr<InclusionProof> proof = t.log().ProveInclusion(seq, size);
      ASSERT_THAT(proof, IsOk()) << seq << "/" << size;
      EXPECT_EQ(proof->leaf_hash, leaves[seq]);
      EXPECT_EQ(proof->root_hash, cp.root_hash);
      EXPECT_THAT(merkle::VerifyInclusion(seq, size, leaves[seq], proof->hashes, cp.root_hash),
                  IsOk())
          << seq << "/" << size;
    }
  }
}

TEST(LogProofTest, EveryConsistencyProofVerifiesBetweenCheckpoints) {
  TestLog t;
  AppendClaims(t, kProofLogSize);
  std::vector<Hash> roots(kProofLogSize + 1);
  for (TreeSize size = 1; size <= kProofLogSize; ++size) {
    absl::StatusOr<std::string> note = t.log().CheckpointAt(size);
    ASSERT_THAT(note, IsOk());
    roots[size] = Verified(*note).root_hash;
  }
  for (TreeSize from = 1; from <= kProofLogSize; ++from) {
    for (TreeSize to = from; to <= kProofLogSize; ++to) {
      absl::StatusOr<ConsistencyProof> proof = t.log().ProveConsistency(from, to);
      ASSERT_THAT(proof, IsOk()) << from << "->" << to;
      EXPECT_EQ(proof->from_root_hash, roots[from]);
      EXPECT_EQ(proof->to_root_hash, roots[to]);
      EXPECT_THAT(merkle::VerifyConsistency(from, to, roots[from], roots[to], proof->hashes),
                  IsOk())
          << from << "->" << to;
    }
  }
}

TEST(LogProofTest, TreeSizeZeroMeansCurrentSize) {
  TestLog t;
  AppendClaims(t, 5);
  absl::StatusOr<InclusionProof> inclusion = t.log().ProveInclusion(2, 0);
  ASSERT_THAT(inclusion, IsOk());
  EXPECT_EQ(inclusion->tree_size, 5u);
  EXPECT_EQ(inclusion->root_hash, t.log().Head().root_hash);
  absl::StatusOr<ConsistencyProof> consistency = t.log().ProveConsistency(3, 0);
  ASSERT_THAT(consistency, IsOk());
  EXPECT_EQ(consistency->to_tree_size, 5u);
}

TEST(LogProofTest, ProofByLeafHashFindsTheEntry) {
  TestLog t;
  AppendClaims(t, 6);
  absl::StatusOr<LogEntry> e = t.log().GetEntry(4);
  ASSERT_THAT(e, IsOk());
  absl::StatusOr<InclusionProof> proof = t.log().ProveInclusionByLeafHash(e->leaf_hash, 6);
  ASSERT_THAT(proof, IsOk());
  EXPECT_EQ(proof->sequence, 4u);
  EXPECT_EQ(proof->tree_size, 6u);
  EXPECT_THAT(merkle::VerifyInclusion(4, 6, e->leaf_hash, proof->hashes, t.log().Head().root_hash),
              IsOk());
}

TEST(LogProofTest, ProofByUnknownLeafHashIsNotFound) {
  TestLog t;
  AppendClaims(t, 2);
  EXPECT_THAT(t.log().ProveInclusionByLeafHash(merkle::HashLeaf("no such leaf"), 0),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(LogProofTest, SequenceOutsideTreeIsInvalidArgument) {
  TestLog t;
  AppendClaims(t, 4);
  EXPECT_THAT(t.log().ProveInclusion(3, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LogProofTest, TreeSizeBeyondLogIsOutOfRange) {
  TestLog t;
  AppendClaims(t, 4);
  EXPECT_THAT(t.log().ProveInclusion(0, 5), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(t.log().ProveConsistency(1, 5), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(LogProofTest, ConsistencyFromLargerSizeIsInvalidArgument) {
  TestLog t;
  AppendClaims(t, 4);
  EXPECT_THAT(t.log().ProveConsistency(4, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------------------------------------
// Idempotency (docs/format.md §6).

TEST(LogIdempotencyTest, SameIdAndBytesReturnsTheOriginalEntry) {
  TestLog t;
  const SignedEvent envelope = ClaimEnvelope("claim-1");
  absl::StatusOr<AppendResult> first = t.log().Append(envelope);
  ASSERT_THAT(first, IsOk());
  AppendClaims(t, 2);
  t.clock().Advance(1000000);
  const LogState before(t);
  absl::StatusOr<AppendResult> again = t.log().Append(envelope);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, first->sequence);
  EXPECT_EQ(again->recorded_time_micros, first->recorded_time_micros);
  EXPECT_EQ(again->leaf_hash, first->leaf_hash);
  EXPECT_EQ(Verified(again->checkpoint).tree_size, 3u);
  ExpectUnchanged(t, before);
}

// docs/api.md "Retries, precisely": the id is bound to the event bytes, not the envelope. The
// same bytes signed again -- even by a key that is not registered -- answer the stored entry,
// with its original signature, and write nothing.
TEST(LogIdempotencyTest, SameIdAndBytesWithAnotherSignatureReturnsTheStoredEntry) {
  TestLog t;
  absl::StatusOr<AppendResult> first = t.log().Append(ClaimEnvelope("claim-1", AdminKey()));
  ASSERT_THAT(first, IsOk());
  const LogState before(t);
  const SignedEvent resigned = ClaimEnvelope("claim-1", StrangerKey());
  ASSERT_EQ(resigned.event(), ClaimEnvelope("claim-1", AdminKey()).event());
  absl::StatusOr<AppendResult> again = t.log().Append(resigned);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, first->sequence);
  EXPECT_EQ(again->leaf_hash, first->leaf_hash);
  absl::StatusOr<LogEntry> stored = t.log().GetEntry(first->sequence);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->signature, ClaimEnvelope("claim-1", AdminKey()).signature());
  ExpectUnchanged(t, before);
}

TEST(LogIdempotencyTest, SameIdWithOtherBytesIsAlreadyExists) {
  TestLog t;
  ASSERT_THAT(t.log().Append(ClaimEnvelope("claim-1", AdminKey(), "first text")), IsOk());
  const SignedEvent other = ClaimEnvelope("claim-1", AdminKey(), "other text");
  ExpectRefusedAndUnchanged(t, other, absl::StatusCode::kAlreadyExists, "entry 0");
  absl::StatusOr<LogEntry> e = t.log().GetEntry(0);
  ASSERT_THAT(e, IsOk());
  EXPECT_NE(e->event, other.event());
}

TEST(LogIdempotencyTest, DuplicateInBatchWithNewEventsKeepsOriginal) {
  TestLog t;
  const SignedEvent first = ClaimEnvelope("claim-1");
  ASSERT_THAT(t.log().Append(first), IsOk());
  absl::StatusOr<std::vector<AppendResult>> r =
      t.log().AppendAll({ClaimEnvelope("claim-2"), first, ClaimEnvelope("claim-3")});
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].sequence, 1u);
  EXPECT_TRUE((*r)[1].duplicate);
  EXPECT_EQ((*r)[1].sequence, 0u);
  EXPECT_EQ((*r)[2].sequence, 2u);
  EXPECT_EQ(t.log().Head().tree_size, 3u);
}

// ---------------------------------------------------------------------------------------------
// Refusals leave the size, root and checkpoint unchanged.

class LogRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(t_.Register(SubmitterKey().public_key(), KeyRegistered::SUBMITTER, "reg-sub"),
                IsOk());
    AppendClaims(t_, 2);
  }
  TestLog t_;
};

TEST_F(LogRefusalTest, FlippedSignatureBitIsInvalidArgument) {
  SignedEvent envelope = ClaimEnvelope("new-claim");
  std::string sig = envelope.signature();
  sig[10] ^= 0x01;
  envelope.set_signature(sig);
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument,
                            "signature: does not verify");
}

TEST_F(LogRefusalTest, FlippedEventBitIsInvalidArgument) {
  SignedEvent envelope = ClaimEnvelope("new-claim", AdminKey(), "abcdef");
  std::string event = envelope.event();
  const size_t at = event.find("abcdef");
  ASSERT_NE(at, std::string::npos);
  event[at] ^= 0x02;  // 'a' -> 'c': still a valid event
  envelope.set_event(event);
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument,
                            "signature: does not verify");
}

TEST_F(LogRefusalTest, SignatureByAnotherKeyIsInvalidArgument) {
  SignedEvent envelope = ClaimEnvelope("new-claim", StrangerKey());
  envelope.set_key_id(KeyIdOf(AdminKey()));  // claims to be the admin's
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument,
                            "signature: does not verify");
}

TEST_F(LogRefusalTest, UnknownKeyIsFailedPrecondition) {
  ExpectRefusedAndUnchanged(t_, ClaimEnvelope("new-claim", StrangerKey()),
                            absl::StatusCode::kFailedPrecondition, "not registered");
}

TEST_F(LogRefusalTest, RevokedKeyIsFailedPreconditionNamingTheSequence) {
  absl::StatusOr<AppendResult> revoked =
      t_.log().Append(Sign("rev-sub", KeyRevokedEvent(SubmitterKey().public_key()), AdminKey()));
  ASSERT_THAT(revoked, IsOk());
  ExpectRefusedAndUnchanged(t_, ClaimEnvelope("new-claim", SubmitterKey()),
                            absl::StatusCode::kFailedPrecondition,
                            absl::StrCat("revoked at sequence ", revoked->sequence));
}

TEST_F(LogRefusalTest, ACompromiseWindowStartingAfterTheRevocationIsRefused) {
  const TreeSize size = t_.log().Head().tree_size;
  ledger::v1::Event revoke = KeyRevokedEvent(SubmitterKey().public_key());
  revoke.mutable_key_revoked()->mutable_compromise()->set_since_sequence(size + 1);
  ExpectRefusedAndUnchanged(t_, Sign("rev-future", revoke, AdminKey()),
                            absl::StatusCode::kInvalidArgument,
                            "compromise.since_sequence: ");
  // The revocation's own sequence is the latest the window may start at.
  revoke.mutable_key_revoked()->mutable_compromise()->set_since_sequence(size);
  EXPECT_THAT(t_.log().Append(Sign("rev-now", revoke, AdminKey())), IsOk());
}

TEST_F(LogRefusalTest, MalformedEventBytesAreInvalidArgument) {
  const SignedEvent envelope =
      client::SignEventBytes(kTestOrigin, "new-claim", std::string("\xff\xff\xff", 3), AdminKey());
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument, "event");
}

TEST_F(LogRefusalTest, EventOverALimitIsInvalidArgument) {
  ExpectRefusedAndUnchanged(
      t_, ClaimEnvelope("new-claim", AdminKey(), std::string(kMaxStatementTextBytes + 1, 'x')),
      absl::StatusCode::kInvalidArgument, "the limit is 16384");
}

TEST_F(LogRefusalTest, SignatureForAnotherOriginIsInvalidArgument) {
  const SignedEvent envelope =
      client::SignEvent("other.example/log", "new-claim", ClaimEvent(), AdminKey());
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument,
                            "signature: does not verify");
}

TEST_F(LogRefusalTest, SubmitterSigningKeyEventIsPermissionDenied) {
  const SignedEvent envelope =
      Sign("reg-stranger", KeyRegisteredEvent(StrangerKey().public_key(), KeyRegistered::ADMIN),
           SubmitterKey());
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kPermissionDenied, "submitter key");
}

TEST_F(LogRefusalTest, RegisteringAKnownKeyIsFailedPrecondition) {
  const SignedEvent envelope =
      Sign("reg-again", KeyRegisteredEvent(SubmitterKey().public_key(), KeyRegistered::ADMIN),
           AdminKey());
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kFailedPrecondition,
                            "already registered");
}

TEST_F(LogRefusalTest, RevokingTheLastAdminIsFailedPrecondition) {
  const SignedEvent envelope =
      Sign("rev-admin", KeyRevokedEvent(AdminKey().public_key()), AdminKey());
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kFailedPrecondition,
                            "last active admin");
}

TEST_F(LogRefusalTest, BadEnvelopeVersionIsInvalidArgument) {
  SignedEvent envelope = ClaimEnvelope("new-claim");
  envelope.set_version(2);
  ExpectRefusedAndUnchanged(t_, envelope, absl::StatusCode::kInvalidArgument, "version");
}

// ---------------------------------------------------------------------------------------------
// AppendAll.

// ---------------------------------------------------------------------------------------------
// AppendAsync (the gRPC callback API's path) and the sequencer's before_group hook.

// What an AppendAsync callback received, and on which thread.
struct AsyncAnswer {
  absl::Notification answered;
  absl::StatusOr<AppendResult> result = absl::UnknownError("not answered");
  std::thread::id thread;
  Log::AppendCallback Callback() {
    return [this](absl::StatusOr<AppendResult> r) {
      result = std::move(r);
      thread = std::this_thread::get_id();
      answered.Notify();
    };
  }
};

TEST(LogAppendAsyncTest, AnswersOnTheSequencerOnceTheEntryIsDurable) {
  // The sequencer is held in before_group until released: the answer cannot come before the
  // group commit, and the caller is not blocked meanwhile.
  absl::Notification entered;
  absl::Notification release;
  std::vector<TreeSize> sizes;
  TestLog t(TestIdentity(), 1024, core::LogOptions().recent_event_ids, [&](TreeSize size) {
    sizes.push_back(size);
    entered.Notify();
    release.WaitForNotification();
  });
  const SignedEvent envelope = ClaimEnvelope("async-1");
  AsyncAnswer answer;
  t.log().AppendAsync(envelope, answer.Callback());  // returns before the commit
  entered.WaitForNotification();
  EXPECT_FALSE(answer.answered.HasBeenNotified());
  EXPECT_EQ(t.store().Head().tree_size, 0u);
  release.Notify();
  answer.answered.WaitForNotification();
  ASSERT_THAT(answer.result, IsOk());
  EXPECT_NE(answer.thread, std::this_thread::get_id());
  EXPECT_EQ(answer.result->sequence, 0u);
  EXPECT_FALSE(answer.result->duplicate);
  EXPECT_EQ(Verified(answer.result->checkpoint).tree_size, 1u);
  EXPECT_EQ(t.store().Head().tree_size, 1u);
  EXPECT_EQ(sizes, std::vector<TreeSize>{0});
}

TEST(LogAppendAsyncTest, ARefusalIsAnsweredOnTheCallingThreadAndWritesNothing) {
  TestLog t;
  SignedEvent envelope = ClaimEnvelope("async-bad");
  envelope.mutable_signature()->at(0) ^= 1;
  const LogState before(t);
  AsyncAnswer answer;
  t.log().AppendAsync(envelope, answer.Callback());
  ASSERT_TRUE(answer.answered.HasBeenNotified());
  EXPECT_EQ(answer.thread, std::this_thread::get_id());
  EXPECT_THAT(answer.result, StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectUnchanged(t, before);
}

TEST(LogAppendAsyncTest, ARetryAnswersTheOriginalEntry) {
  TestLog t;
  const SignedEvent envelope = ClaimEnvelope("async-retry");
  absl::StatusOr<AppendResult> first = t.log().Append(envelope);
  ASSERT_THAT(first, IsOk());
  AsyncAnswer answer;
  t.log().AppendAsync(envelope, answer.Callback());
  answer.answered.WaitForNotification();
  ASSERT_THAT(answer.result, IsOk());
  EXPECT_TRUE(answer.result->duplicate);
  EXPECT_EQ(answer.result->sequence, first->sequence);
  EXPECT_EQ(t.log().Head().tree_size, 1u);
}

TEST(LogAppendAsyncTest, ManyInFlightAreEachAnsweredOnceInOneOrMoreGroups) {
  TestLog t;
  constexpr int kEvents = 50;
  std::vector<SignedEvent> envelopes;
  for (int i = 0; i < kEvents; ++i) envelopes.push_back(ClaimEnvelope(absl::StrCat("m", i)));
  absl::Mutex mu;
  std::vector<int> answers(kEvents, 0);
  std::set<SequenceNumber> sequences;
  int answered = 0;
  for (int i = 0; i < kEvents; ++i) {
    t.log().AppendAsync(envelopes[i], [&, i](absl::StatusOr<AppendResult> r) {
      absl::MutexLock lock(&mu);
      ++answers[i];
      if (r.ok()) sequences.insert(r->sequence);
      ++answered;
    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* n) { return *n == kEvents; }, &answered));
  EXPECT_EQ(answers, std::vector<int>(kEvents, 1));
  EXPECT_EQ(sequences.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(t.log().Head().tree_size, static_cast<TreeSize>(kEvents));
}

TEST(LogAppendAsyncTest, ADemotedLogAnswersNotLeader) {
  TestLog t;
  ASSERT_THAT(t.log().Demote("leader.example:443"), IsOk());
  AsyncAnswer answer;
  t.log().AppendAsync(ClaimEnvelope("async-follower"), answer.Callback());
  answer.answered.WaitForNotification();
  EXPECT_THAT(answer.result, StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("leader.example:443")));
  EXPECT_EQ(t.log().Head().tree_size, 0u);
}

TEST(LogAppendAllTest, AppendsAllInOrderInOneCommit) {
  TestLog t;
  std::vector<SignedEvent> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(ClaimEnvelope(absl::StrCat("b", i)));
  absl::StatusOr<std::vector<AppendResult>> r = t.log().AppendAll(batch);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*r)[i].sequence, i);
    EXPECT_EQ(Verified((*r)[i].checkpoint).tree_size, 5u);
    absl::StatusOr<LogEntry> e = t.log().GetEntry(i);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->event_id, absl::StrCat("b", i));
  }
  EXPECT_EQ(t.log().Head().tree_size, 5u);
  // One group commit: one checkpoint, at the final size only.
  EXPECT_THAT(t.log().CheckpointAt(3), StatusIs(absl::StatusCode::kNotFound));
}

TEST(LogAppendAllTest, BadSignatureInBatchWritesNothingAndNamesTheEvent) {
  TestLog t;
  AppendClaims(t, 1);
  std::vector<SignedEvent> batch;
  for (int i = 0; i < 4; ++i) batch.push_back(ClaimEnvelope(absl::StrCat("b", i)));
  std::string sig = batch[2].signature();
  sig[0] ^= 0x80;
  batch[2].set_signature(sig);
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("events[2].signature")));
  ExpectUnchanged(t, before);
  for (const SignedEvent& e : batch) {
    absl::StatusOr<std::optional<store::EventIdRecord>> id = t.store().GetEventId(e.event_id());
    ASSERT_THAT(id, IsOk());
    EXPECT_FALSE(id->has_value()) << e.event_id();
  }
}

TEST(LogAppendAllTest, KeyRuleViolationInBatchWritesNothingAndNamesTheEvent) {
  TestLog t;
  ASSERT_THAT(t.Register(SubmitterKey().public_key(), KeyRegistered::SUBMITTER, "reg-sub"), IsOk());
  std::vector<SignedEvent> batch = {
      ClaimEnvelope("b0"),
      ClaimEnvelope("b1", SubmitterKey()),
      Sign("b2", KeyRegisteredEvent(StrangerKey().public_key(), KeyRegistered::SUBMITTER),
           SubmitterKey()),
      ClaimEnvelope("b3"),
  };
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll(batch),
              StatusIs(absl::StatusCode::kPermissionDenied, StartsWith("events[2].")));
  ExpectUnchanged(t, before);
  absl::StatusOr<std::optional<store::EventIdRecord>> id = t.store().GetEventId("b0");
  ASSERT_THAT(id, IsOk());
  EXPECT_FALSE(id->has_value());
}

TEST(LogAppendAllTest, InvalidEventInBatchNamesItsIndexAndPath) {
  TestLog t;
  std::vector<SignedEvent> batch = {ClaimEnvelope("b0"), ClaimEnvelope("b1", AdminKey(), "")};
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll(batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("events[1].event.claim_asserted.claim.statement.text")));
  ExpectUnchanged(t, before);
}

TEST(LogAppendAllTest, EmptyBatchIsInvalidArgument) {
  TestLog t;
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll({}), StatusIs(absl::StatusCode::kInvalidArgument));
  ExpectUnchanged(t, before);
}

TEST(LogAppendAllTest, BatchAtTheLimitIsAppended) {
  TestLog t;
  std::vector<SignedEvent> batch;
  for (size_t i = 0; i < kMaxBatchEvents; ++i) {
    batch.push_back(ClaimEnvelope(absl::StrCat("b", i), AdminKey(), absl::StrCat("claim ", i)));
  }
  absl::StatusOr<std::vector<AppendResult>> r = t.log().AppendAll(batch);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->size(), kMaxBatchEvents);
  EXPECT_EQ(t.log().Head().tree_size, kMaxBatchEvents);
}

TEST(LogAppendAllTest, BatchOverTheLimitIsResourceExhausted) {
  TestLog t;
  AppendClaims(t, 1);
  std::vector<SignedEvent> batch;
  for (size_t i = 0; i <= kMaxBatchEvents; ++i)
    batch.push_back(ClaimEnvelope(absl::StrCat("b", i)));
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll(batch),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr(absl::StrCat("the limit is ", kMaxBatchEvents))));
  ExpectUnchanged(t, before);
}

// LIBRARY BUG (ledger/core/admission.cc, Log::AppendAll): the signer of every event in a batch is
// looked up in the committed registry before the batch is staged, so an event signed by a key
// that an earlier event of the same batch registers is refused (FAILED_PRECONDITION "not
// registered"). docs/format.md §3 makes that event valid (the key "was registered by an entry
// before n"), and AppendAll promises the events are appended "in order"; the auditor accepts
// such a log.
TEST(LogAppendAllTest, KeyRegisteredEarlierInBatchMaySignLaterEvents) {
  TestLog t;
  std::vector<SignedEvent> batch = {
      Sign("reg-sub", KeyRegisteredEvent(SubmitterKey().public_key(), KeyRegistered::SUBMITTER),
           AdminKey()),
      ClaimEnvelope("by-sub", SubmitterKey()),
  };
  absl::StatusOr<std::vector<AppendResult>> r = t.log().AppendAll(batch);
  EXPECT_THAT(r, IsOk());
  EXPECT_EQ(t.log().Head().tree_size, r.ok() ? 2u : 0u);
}

TEST(LogAppendAllTest, KeyRevokedEarlierInBatchCannotSignLaterEvents) {
  TestLog t;
  ASSERT_THAT(t.Register(SubmitterKey().public_key(), KeyRegistered::SUBMITTER, "reg-sub"), IsOk());
  std::vector<SignedEvent> batch = {
      Sign("rev-sub", KeyRevokedEvent(SubmitterKey().public_key()), AdminKey()),
      ClaimEnvelope("by-sub", SubmitterKey()),
  };
  const LogState before(t);
  EXPECT_THAT(t.log().AppendAll(batch),
              StatusIs(absl::StatusCode::kFailedPrecondition, StartsWith("events[1].key_id: key")));
  ExpectUnchanged(t, before);
}

// ---------------------------------------------------------------------------------------------
// Keys over time.

TEST(LogKeyTest, RegisteredKeyIsUsableAndRevokedKeyIsRefused) {
  TestLog t;
  EXPECT_THAT(t.AppendClaim("early", SubmitterKey()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not registered")));

  ASSERT_THAT(t.Register(SubmitterKey().public_key(), KeyRegistered::SUBMITTER, "reg-sub"), IsOk());
  absl::StatusOr<AppendResult> claim = t.AppendClaim("by-sub", SubmitterKey());
  ASSERT_THAT(claim, IsOk());
  EXPECT_EQ(claim->sequence, 1u);

  absl::StatusOr<AppendResult> revoke =
      t.log().Append(Sign("rev-sub", KeyRevokedEvent(SubmitterKey().public_key()), AdminKey()));
  ASSERT_THAT(revoke, IsOk());
  EXPECT_EQ(revoke->sequence, 2u);
  const LogState before(t);
  EXPECT_THAT(t.AppendClaim("late", SubmitterKey()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked at sequence 2")));
  ExpectUnchanged(t, before);
}

TEST(LogKeyTest, RegisteredAdminMayRegisterKeys) {
  TestLog t;
  ASSERT_THAT(t.Register(SecondAdminKey().public_key(), KeyRegistered::ADMIN, "reg-admin2"),
              IsOk());
  EXPECT_THAT(
      t.log().Append(Sign("reg-sub",
                          KeyRegisteredEvent(SubmitterKey().public_key(), KeyRegistered::SUBMITTER),
                          SecondAdminKey())),
      IsOk());
  EXPECT_THAT(t.AppendClaim("by-sub", SubmitterKey()), IsOk());
}

// ---------------------------------------------------------------------------------------------
// Recorded times.

TEST(LogTimeTest, RecordedTimesNeverDecreaseWhenClockGoesBack) {
  TestLog t;
  absl::StatusOr<AppendResult> first = t.AppendClaim("c0");
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->recorded_time_micros, kTestNowMicros);

  t.clock().Set(kTestNowMicros - 3600LL * 1000000);  // an hour back
  absl::StatusOr<AppendResult> second = t.AppendClaim("c1");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->recorded_time_micros, kTestNowMicros);

  t.clock().Set(kTestNowMicros + 5);
  absl::StatusOr<AppendResult> third = t.AppendClaim("c2");
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->recorded_time_micros, kTestNowMicros + 5);

  int64_t last = 0;
  for (SequenceNumber s = 0; s < 3; ++s) {
    absl::StatusOr<LogEntry> e = t.log().GetEntry(s);
    ASSERT_THAT(e, IsOk());
    EXPECT_GE(e->recorded_time_micros, last);
    last = e->recorded_time_micros;
  }
  EXPECT_EQ(t.log().Head().last_recorded_time_micros, kTestNowMicros + 5);
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

TEST(LogConcurrencyTest, ConcurrentAppendsGetDistinctDenseSequenceNumbers) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  TestLog t;
  std::vector<std::vector<SignedEvent>> envelopes(kThreads);
  for (int th = 0; th < kThreads; ++th) {
    for (int i = 0; i < kPerThread; ++i) {
      envelopes[th].push_back(ClaimEnvelope(absl::StrCat("t", th, "-", i), AdminKey(),
                                            absl::StrCat("claim ", th, " ", i)));
    }
  }
  std::vector<std::vector<absl::StatusOr<AppendResult>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (const SignedEvent& e : envelopes[th]) results[th].push_back(t.log().Append(e));
    });
  }
  for (std::thread& th : threads) th.join();

  std::set<SequenceNumber> seen;
  for (int th = 0; th < kThreads; ++th) {
    SequenceNumber previous = 0;
    for (int i = 0; i < kPerThread; ++i) {
      const absl::StatusOr<AppendResult>& r = results[th][i];
      ASSERT_THAT(r, IsOk());
      EXPECT_FALSE(r->duplicate);
      EXPECT_TRUE(seen.insert(r->sequence).second) << "sequence " << r->sequence << " twice";
      if (i > 0) {
        EXPECT_GT(r->sequence, previous);  // One thread's appends stay in order.
      }
      previous = r->sequence;
      absl::StatusOr<LogEntry> e = t.log().GetEntry(r->sequence);
      ASSERT_THAT(e, IsOk());
      EXPECT_EQ(e->event_id, envelopes[th][i].event_id());
      EXPECT_EQ(e->leaf_hash, r->leaf_hash);
    }
  }
  const size_t total = kThreads * kPerThread;
  ASSERT_EQ(seen.size(), total);
  EXPECT_EQ(*seen.begin(), 0u);
  EXPECT_EQ(*seen.rbegin(), total - 1);
  EXPECT_EQ(t.log().Head().tree_size, total);
  EXPECT_EQ(t.log().Head().root_hash, merkle::testing::ReferenceRoot(LeafHashes(t)));
  EXPECT_EQ(Verified(t.log().LatestCheckpoint()).root_hash, t.log().Head().root_hash);
}

// Many callers submit the same events (same ids, same bytes) at once, singly, in atomic batches
// and as AppendEach runs: every event is appended exactly once, every caller gets its sequence
// number, and all but one get it as a duplicate. With a tiny memory of recent event ids the
// sequencer falls back to the store for most of them; with the default it rarely needs to.
void RunConcurrentRetries(size_t recent_event_ids) {
  constexpr int kThreads = 8;
  constexpr int kEvents = 40;
  TestLog t(ledger::testing::TestIdentity(), /*max_group_entries=*/1024, recent_event_ids);
  std::vector<SignedEvent> envelopes;
  for (int i = 0; i < kEvents; ++i) {
    envelopes.push_back(ClaimEnvelope(absl::StrCat("e", i), AdminKey(), absl::StrCat("claim ", i)));
  }
  std::vector<std::vector<std::pair<int, absl::StatusOr<AppendResult>>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int k = 0; k < kEvents; k += 5) {
        // Each thread starts elsewhere, so that submissions of one id overlap in time.
        std::vector<int> idx;
        for (int j = 0; j < 5; ++j) idx.push_back((k + j + th * 5) % kEvents);
        std::vector<SignedEvent> batch;
        for (int i : idx) batch.push_back(envelopes[i]);
        if (th % 3 == 0) {
          for (int i : idx) results[th].emplace_back(i, t.log().Append(envelopes[i]));
        } else if (th % 3 == 1) {
          absl::StatusOr<std::vector<AppendResult>> r = t.log().AppendAll(batch);
          for (size_t j = 0; j < idx.size(); ++j) {
            results[th].emplace_back(idx[j], r.ok() ? absl::StatusOr<AppendResult>((*r)[j])
                                                    : absl::StatusOr<AppendResult>(r.status()));
          }
        } else {
          std::vector<absl::StatusOr<AppendResult>> r = t.log().AppendEach(batch);
          for (size_t j = 0; j < idx.size(); ++j) results[th].emplace_back(idx[j], r[j]);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::map<int, SequenceNumber> sequence_of;
  std::map<int, int> originals;
  for (const auto& per_thread : results) {
    for (const auto& [i, r] : per_thread) {
      ASSERT_THAT(r, IsOk()) << "event " << i;
      auto [it, inserted] = sequence_of.emplace(i, r->sequence);
      EXPECT_EQ(it->second, r->sequence) << "event " << i << " got two sequence numbers";
      if (!r->duplicate) ++originals[i];
    }
  }
  ASSERT_EQ(sequence_of.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(originals[i], 1) << "event " << i;
  EXPECT_EQ(t.log().Head().tree_size, static_cast<TreeSize>(kEvents));
  for (const auto& [i, seq] : sequence_of) {
    absl::StatusOr<LogEntry> e = t.log().GetEntry(seq);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->event_id, envelopes[i].event_id());
  }
}

TEST(LogConcurrencyTest, ConcurrentRetriesAppendEachEventExactlyOnce) {
  RunConcurrentRetries(core::LogOptions().recent_event_ids);
}

TEST(LogConcurrencyTest, ConcurrentRetriesAppendEachEventExactlyOnceWithFewRecentIds) {
  RunConcurrentRetries(3);
}

TEST(LogConcurrencyTest, ConcurrentRetriesAppendEachEventExactlyOnceWithoutRecentIds) {
  RunConcurrentRetries(0);
}

// ---------------------------------------------------------------------------------------------
// Fail-stop after a failed write.

TEST(LogFailStopTest, FailedCommitIsUnavailableAndLeavesSizeUnchanged) {
  TestLog t;
  AppendClaims(t, 2);
  const LogState before(t);
  t.store().InjectCommitFailure(absl::InternalError("EIO"));
  EXPECT_THAT(t.AppendClaim("lost"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("EIO")));
  ExpectUnchanged(t, before);
}

TEST(LogFailStopTest, AppendAfterFailedCommitIsUnavailable) {
  TestLog t;
  AppendClaims(t, 2);
  t.store().InjectCommitFailure(absl::InternalError("EIO"));
  ASSERT_THAT(t.AppendClaim("lost"), StatusIs(absl::StatusCode::kUnavailable));
  const LogState before(t);
  EXPECT_THAT(t.AppendClaim("next"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("stopped accepting writes")));
  EXPECT_THAT(t.log().AppendAll({ClaimEnvelope("b0"), ClaimEnvelope("b1")}),
              StatusIs(absl::StatusCode::kUnavailable));
  ExpectUnchanged(t, before);
  // Reads keep working.
  EXPECT_THAT(t.log().GetEntry(1), IsOk());
  EXPECT_THAT(t.log().ProveInclusion(0, 2), IsOk());
}

TEST(LogFailStopTest, CommitsBeforeTheInjectedFailureSucceed) {
  TestLog t;
  t.store().InjectCommitFailure(absl::InternalError("EIO"), /*successful_commits_before=*/2);
  EXPECT_THAT(t.AppendClaim("c0"), IsOk());
  EXPECT_THAT(t.AppendClaim("c1"), IsOk());
  const LogState before(t);
  EXPECT_THAT(t.AppendClaim("c2"), StatusIs(absl::StatusCode::kUnavailable));
  ExpectUnchanged(t, before);
  EXPECT_EQ(t.log().Head().tree_size, 2u);
}

// ---------------------------------------------------------------------------------------------
// Reopening a durable log.

absl::StatusOr<std::unique_ptr<Log>> OpenRocksDbLog(const std::string& dir, FakeClock* clock) {
  store::RocksDbLogStoreOptions store_options;
  store_options.create_if_missing = true;
  absl::StatusOr<std::unique_ptr<store::RocksDbLogStore>> store =
      store::RocksDbLogStore::Open(dir, store_options);
  if (!store.ok()) return store.status();
  LogOptions options;
  options.clock = clock;
  return Log::Open(*std::move(store), TestIdentity(), LogKey(), options);
}

TEST(LogReopenTest, ReopenedLogKeepsHeadKeysAndIdempotency) {
  const std::string dir = FreshDir(".reopen");
  FakeClock clock(kTestNowMicros);
  const SignedEvent reg =
      Sign("reg-sub", KeyRegisteredEvent(SubmitterKey().public_key(), KeyRegistered::SUBMITTER),
           AdminKey());
  const SignedEvent claim = ClaimEnvelope("claim-1", SubmitterKey());
  store::LogHead head;
  std::string checkpoint;
  {
    absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT((*log)->Append(reg), IsOk());
    ASSERT_THAT((*log)->Append(claim), IsOk());
    ASSERT_THAT((*log)->Append(ClaimEnvelope("claim-2")), IsOk());
    head = (*log)->Head();
    checkpoint = (*log)->LatestCheckpoint();
  }
  clock.Advance(1000);
  absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
  ASSERT_THAT(log, IsOk());
  EXPECT_EQ((*log)->Head(), head);
  EXPECT_EQ((*log)->LatestCheckpoint(), checkpoint);

  // Duplicates are still detected.
  absl::StatusOr<AppendResult> again = (*log)->Append(claim);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->sequence, 1u);
  EXPECT_THAT((*log)->Append(ClaimEnvelope("claim-1", SubmitterKey(), "other")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ((*log)->Head(), head);

  // The registered key survived, and appends continue where they stopped.
  absl::StatusOr<AppendResult> next = (*log)->Append(ClaimEnvelope("claim-3", SubmitterKey()));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->sequence, 3u);
  EXPECT_EQ(next->recorded_time_micros, kTestNowMicros + 1000);
  EXPECT_EQ(Verified(next->checkpoint).tree_size, 4u);
  absl::StatusOr<InclusionProof> proof = (*log)->ProveInclusion(0, 4);
  ASSERT_THAT(proof, IsOk());
  EXPECT_THAT(
      merkle::VerifyInclusion(0, 4, proof->leaf_hash, proof->hashes, (*log)->Head().root_hash),
      IsOk());
}

TEST(LogReopenTest, ReopenedLogRemembersRevocations) {
  const std::string dir = FreshDir(".revocations");
  FakeClock clock(kTestNowMicros);
  {
    absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT(
        (*log)->Append(Sign(
            "reg-sub", KeyRegisteredEvent(SubmitterKey().public_key(), KeyRegistered::SUBMITTER),
            AdminKey())),
        IsOk());
    ASSERT_THAT(
        (*log)->Append(Sign("rev-sub", KeyRevokedEvent(SubmitterKey().public_key()), AdminKey())),
        IsOk());
  }
  absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
  ASSERT_THAT(log, IsOk());
  EXPECT_THAT((*log)->Append(ClaimEnvelope("late", SubmitterKey())),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked at sequence 1")));
  EXPECT_EQ((*log)->Head().tree_size, 2u);
}

TEST(LogReopenTest, ReopenedEmptyLogKeepsItsCheckpoint) {
  const std::string dir = FreshDir(".empty");
  FakeClock clock(kTestNowMicros);
  std::string checkpoint;
  {
    absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
    ASSERT_THAT(log, IsOk());
    checkpoint = (*log)->LatestCheckpoint();
  }
  absl::StatusOr<std::unique_ptr<Log>> log = OpenRocksDbLog(dir, &clock);
  ASSERT_THAT(log, IsOk());
  EXPECT_EQ((*log)->LatestCheckpoint(), checkpoint);
  EXPECT_EQ((*log)->Head().tree_size, 0u);
}

}  // namespace
}  // namespace ledger::core
