// The claim_state view and the claim-state map: chains follow exactly the entries that concern
// a subject, commitments are signed map checkpoints whose proofs verify, and a commitment is
// only ever made at a size the log holds a checkpoint for.
#include "ledger/views/claim_state_map.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/state_map.h"
#include "ledger/views/claim_state.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using testing::AdminKey;
using testing::LogKey;
using testing::NewMemoryEngine;
using testing::TestLedger;

format::NoteVerifier Verifier() {
  return format::NoteVerifier{std::string(testing::kTestOrigin), LogKey().public_key()};
}

ClaimStateMapOptions Options(TestLedger* ledger) {
  ClaimStateMapOptions o;
  o.commit_interval = absl::Hours(1);  // the tests commit with CommitNow
  const store::LogStore* store = &ledger->store();
  o.checkpoint_at = [store](TreeSize size) { return store->GetCheckpoint(size); };
  o.sign = [](const format::MapCheckpoint& m) { return format::SignMapCheckpoint(m, LogKey()); };
  return o;
}

// s_m over the given sequences of `ledger`, as docs/format.md §13 defines it.
Hash Chain(TestLedger* ledger, const std::vector<SequenceNumber>& seqs) {
  Hash s{};
  for (SequenceNumber seq : seqs) {
    absl::StatusOr<std::string> leaf = ledger->store().GetEntry(seq);
    EXPECT_TRUE(leaf.ok()) << leaf.status();
    s = NextStateHash(s, seq, merkle::HashLeaf(*leaf));
  }
  return s;
}

// Verifies `a` as a client would: the map checkpoint's signature, then the map proof.
std::optional<Hash> Verified(const StateProofAnswer& a) {
  absl::StatusOr<format::MapCheckpoint> mc = format::VerifyMapCheckpoint(a.map_checkpoint, Verifier());
  EXPECT_TRUE(mc.ok()) << mc.status();
  if (!mc.ok()) return std::nullopt;
  EXPECT_EQ(mc->checkpoint.tree_size, a.tree_size);
  EXPECT_EQ(mc->map_root, a.map_root);
  auto v = merkle::VerifyMapProof(mc->map_root, a.map_key, a.proof);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::nullopt;
}

TEST(ClaimStateMapTest, ProofsShowEachClaimsChainAsOfTheCommittedSize) {
  TestLedger ledger;
  const SequenceNumber a = ledger.MustAppend("claim-a", testing::AssertEvent({}));
  const SequenceNumber b = ledger.MustAppend("claim-b", testing::AssertEvent({.text = "B"}));
  const SequenceNumber ra = ledger.MustAppend("review-a", testing::ReviewEvent("claim-a", "False"));
  const SequenceNumber xa = ledger.MustAppend("retract-a", testing::RetractEvent("claim-a"));

  auto engine = NewMemoryEngine();
  auto map = ClaimStateMap::Attach(engine.get(), Options(&ledger));
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_TRUE(engine->CatchUp(ledger.store()).ok());
  ASSERT_TRUE((*map)->CommitNow().ok());
  EXPECT_EQ((*map)->CommittedSize(), 4u);

  auto pa = (*map)->Prove({StateSubjectKind::kClaim, "claim-a"});
  ASSERT_TRUE(pa.ok()) << pa.status();
  EXPECT_EQ(Verified(*pa), Chain(&ledger, {a, ra, xa}));
  auto pb = (*map)->Prove({StateSubjectKind::kClaim, "claim-b"});
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(Verified(*pb), Chain(&ledger, {b}));
  // An unknown claim: a verified proof of absence.
  auto pn = (*map)->Prove({StateSubjectKind::kClaim, "no-such-claim"});
  ASSERT_TRUE(pn.ok());
  EXPECT_EQ(Verified(*pn), std::nullopt);

  // New entries change nothing until the next commit; then claim-b's proof shows its review.
  const SequenceNumber rb = ledger.MustAppend("review-b", testing::ReviewEvent("claim-b", "True"));
  ASSERT_TRUE(engine->CatchUp(ledger.store()).ok());
  auto stale = (*map)->Prove({StateSubjectKind::kClaim, "claim-b"});
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->tree_size, 4u);
  EXPECT_EQ(Verified(*stale), Chain(&ledger, {b}));
  ASSERT_TRUE((*map)->CommitNow().ok());
  auto fresh = (*map)->Prove({StateSubjectKind::kClaim, "claim-b"});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->tree_size, 5u);
  EXPECT_EQ(Verified(*fresh), Chain(&ledger, {b, rb}));

  // Both commitments are recorded, with the roots their checkpoints signed.
  auto commits = (*map)->ListCommits(0, 10);
  ASSERT_TRUE(commits.ok()) << commits.status();
  ASSERT_EQ(commits->size(), 2u);
  EXPECT_EQ((*commits)[0].tree_size, 4u);
  EXPECT_EQ((*commits)[0].map_root, pa->map_root);
  EXPECT_EQ((*commits)[1].tree_size, 5u);
  EXPECT_EQ((*commits)[1].map_root, fresh->map_root);
}

TEST(ClaimStateMapTest, KeysHaveChainsOfTheirOwn) {
  TestLedger ledger;
  const auto desk = testing::KeyFromSeed(0x31);
  const SequenceNumber reg = ledger.MustAppend("reg", testing::RegisterEvent(desk.public_key()));
  const SequenceNumber rev = ledger.MustAppend("rev", testing::RevokeEvent(desk.public_key()));
  auto engine = NewMemoryEngine();
  auto map = ClaimStateMap::Attach(engine.get(), Options(&ledger));
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(engine->CatchUp(ledger.store()).ok());
  ASSERT_TRUE((*map)->CommitNow().ok());
  auto p = (*map)->Prove({StateSubjectKind::kKey, testing::KeyIdOf(desk)});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Verified(*p), Chain(&ledger, {reg, rev}));
  // The genesis admin key was never registered by an event: absent.
  auto admin = (*map)->Prove({StateSubjectKind::kKey, testing::KeyIdOf(AdminKey())});
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(Verified(*admin), std::nullopt);
}

TEST(ClaimStateMapTest, NothingIsProvableBeforeTheFirstCommit) {
  TestLedger ledger;
  ledger.MustAppend("claim-a", testing::AssertEvent({}));
  auto engine = NewMemoryEngine();
  auto map = ClaimStateMap::Attach(engine.get(), Options(&ledger));
  ASSERT_TRUE(map.ok());
  auto p = (*map)->Prove({StateSubjectKind::kClaim, "claim-a"});
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
}

// Batches that end between checkpoints are committed only up to the last checkpoint size.
TEST(ClaimStateMapTest, CommitsOnlyAtCheckpointSizes) {
  TestLedger ledger;
  // One append of three events: one commit, one checkpoint at size 3 (none at 1 or 2).
  std::vector<ledger::v1::SignedEvent> batch = {
      testing::Sign("c1", testing::AssertEvent({.text = "one"}), AdminKey()),
      testing::Sign("c2", testing::AssertEvent({.text = "two"}), AdminKey()),
      testing::Sign("c3", testing::AssertEvent({.text = "three"}), AdminKey())};
  ASSERT_TRUE(ledger.log().AppendAll(batch).ok());
  auto engine = NewMemoryEngine(/*max_batch_entries=*/2);  // view batches end at 2 and 3
  auto map = ClaimStateMap::Attach(engine.get(), Options(&ledger));
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(engine->CatchUp(ledger.store()).ok());
  ASSERT_TRUE((*map)->CommitNow().ok());
  EXPECT_EQ((*map)->CommittedSize(), 3u);
  auto commits = (*map)->ListCommits(0, 10);
  ASSERT_TRUE(commits.ok());
  ASSERT_EQ(commits->size(), 1u);
  EXPECT_EQ((*commits)[0].tree_size, 3u);
}

// A map loaded from the stored view (a restart) has the root a live one committed.
TEST(ClaimStateMapTest, ALoadedMapHasTheLiveRoot) {
  TestLedger ledger;
  for (int i = 0; i < 50; ++i) {
    ledger.MustAppend(absl::StrCat("claim-", i), testing::AssertEvent({.text = absl::StrCat("s", i)}));
  }
  ledger.MustAppend("r", testing::ReviewEvent("claim-7", "False"));
  auto engine = NewMemoryEngine(/*max_batch_entries=*/8);
  Hash live;
  {
    auto map = ClaimStateMap::Attach(engine.get(), Options(&ledger));
    ASSERT_TRUE(map.ok());
    ASSERT_TRUE(engine->CatchUp(ledger.store()).ok());
    ASSERT_TRUE((*map)->CommitNow().ok());
    live = (*map)->Prove({StateSubjectKind::kClaim, "claim-7"})->map_root;
  }
  // A second map over the same engine's store loads the view (as ledgerd does at start).
  auto engine2 = NewMemoryEngine();
  ASSERT_TRUE(engine2->CatchUp(ledger.store()).ok());
  auto map2 = ClaimStateMap::Attach(engine2.get(), Options(&ledger));
  ASSERT_TRUE(map2.ok());
  ASSERT_TRUE((*map2)->CommitNow().ok());
  auto p = (*map2)->Prove({StateSubjectKind::kClaim, "claim-7"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->map_root, live);
  EXPECT_EQ(p->tree_size, 51u);
}

}  // namespace
}  // namespace ledger::views
