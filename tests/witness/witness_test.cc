#include "ledger/witness/witness.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/base/file_util.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/witness/add_checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "tests/testing/test_log.h"

namespace ledger::witness {
namespace {

constexpr char kOrigin[] = "example.org/log";

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/witness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (int i = 0; i < 40; ++i) leaves_.push_back(merkle::HashLeaf(absl::StrCat("leaf ", i)));
    Reopen();
  }

  void Reopen() {
    witness_.reset();
    WitnessOptions o;
    o.name = "witness.example/w1";
    o.key = std::make_shared<crypto::Ed25519PrivateKey>(witness_key_);
    o.logs = {{kOrigin, log_key_.public_key()}};
    o.state_dir = dir_ + "/state";
    o.now_seconds = [] { return uint64_t{1700000000}; };
    absl::StatusOr<std::unique_ptr<Witness>> w = Witness::Open(std::move(o));
    ASSERT_TRUE(w.ok()) << w.status();
    witness_ = std::move(*w);
  }

  std::string Note(TreeSize size, const crypto::Ed25519PrivateKey& key) {
    format::Checkpoint cp{kOrigin, size,
                          merkle::testing::ReferenceRoot(absl::MakeSpan(leaves_).subspan(0, size))};
    return format::SignCheckpoint(cp, key);
  }

  std::string Body(TreeSize old_size, TreeSize size) {
    AddCheckpointRequest r;
    r.old_size = old_size;
    if (old_size > 0 && old_size < size) {
      r.proof = merkle::testing::ReferenceConsistencyProof(
          old_size, absl::MakeSpan(leaves_).subspan(0, size));
    }
    r.checkpoint = Note(size, log_key_);
    return EncodeAddCheckpointRequest(r);
  }

  // Verifies a 200 reply as a cosignature of the checkpoint of `size`.
  void ExpectCosigned(const Witness::Reply& r, TreeSize size) {
    ASSERT_EQ(r.status, 200) << r.body;
    absl::StatusOr<std::vector<std::string>> lines = ParseSignatureLines(r.body);
    ASSERT_TRUE(lines.ok()) << lines.status();
    ASSERT_EQ(lines->size(), 1u);
    absl::StatusOr<SignedNote> note = SplitSignedNote(Note(size, log_key_));
    ASSERT_TRUE(note.ok());
    absl::StatusOr<uint64_t> t = VerifyCosignatureLine(
        (*lines)[0], note->text, Cosigner{"witness.example/w1", witness_key_.public_key()});
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(*t, 1700000000u);
  }

  std::string dir_;
  std::vector<Hash> leaves_;
  crypto::Ed25519PrivateKey log_key_ = testing::KeyFromSeed(1);
  crypto::Ed25519PrivateKey witness_key_ = testing::KeyFromSeed(2);
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, FirstCheckpointFromZeroThenConsistentGrowth) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 5)), 5);
  ExpectCosigned(witness_->AddCheckpoint(Body(5, 17)), 17);
  ExpectCosigned(witness_->AddCheckpoint(Body(17, 17)), 17);  // same checkpoint again
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 17u);
}

TEST_F(WitnessTest, WrongOldSizeIs409WithTheLatestSize) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 5)), 5);
  Witness::Reply r = witness_->AddCheckpoint(Body(0, 9));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "5\n");
  r = witness_->AddCheckpoint(Body(3, 9));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "5\n");
}

TEST_F(WitnessTest, RollbackIsRefusedAndStateKept) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 20)), 20);
  // A smaller checkpoint: old size must be 20, which is over its size -> 400; any other old
  // size -> 409. Never cosigned.
  EXPECT_EQ(witness_->AddCheckpoint(Body(20, 10)).status, 400);
  EXPECT_EQ(witness_->AddCheckpoint(Body(5, 10)).status, 409);
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 20u);
}

TEST_F(WitnessTest, StateSurvivesRestartAndStillRefusesRollback) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 12)), 12);
  Reopen();
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 12u);
  Witness::Reply r = witness_->AddCheckpoint(Body(0, 3));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "12\n");
  ExpectCosigned(witness_->AddCheckpoint(Body(12, 30)), 30);
  absl::StatusOr<std::string> stored =
      ReadFileToString(Witness::StateFile(dir_ + "/state", kOrigin));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, Note(30, log_key_));
}

TEST_F(WitnessTest, ForkIsRefused) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 10)), 10);
  // Same size, another root: 409.
  std::vector<Hash> real = leaves_;
  leaves_[3] = merkle::HashLeaf("forked");
  Witness::Reply r = witness_->AddCheckpoint(Body(10, 10));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "10\n");
  // Larger, with a proof from the forked tree: 422.
  r = witness_->AddCheckpoint(Body(10, 15));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 10u);
  leaves_ = real;
  ExpectCosigned(witness_->AddCheckpoint(Body(10, 15)), 15);
}

TEST_F(WitnessTest, UnknownOriginIs404BadSignatureIs403) {
  format::Checkpoint cp{"other.example/log", 1, merkle::HashLeaf("x")};
  AddCheckpointRequest req;
  req.checkpoint = format::SignCheckpoint(cp, log_key_);
  EXPECT_EQ(witness_->AddCheckpoint(EncodeAddCheckpointRequest(req)).status, 404);
  req.checkpoint = Note(4, testing::KeyFromSeed(7));  // right origin, another key
  Witness::Reply r = witness_->AddCheckpoint(EncodeAddCheckpointRequest(req));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_FALSE(witness_->Latest(kOrigin).has_value());
}

TEST_F(WitnessTest, ProofErrorsAre422AndMalformedIs400) {
  ExpectCosigned(witness_->AddCheckpoint(Body(0, 8)), 8);
  AddCheckpointRequest req;
  req.old_size = 8;
  req.checkpoint = Note(16, log_key_);
  req.proof = {merkle::HashLeaf("wrong")};
  EXPECT_EQ(witness_->AddCheckpoint(EncodeAddCheckpointRequest(req)).status, 422);
  EXPECT_EQ(witness_->AddCheckpoint("garbage").status, 400);
  EXPECT_EQ(witness_->AddCheckpoint("old 8\n\nnot a note").status, 400);
  EXPECT_EQ(witness_->Latest(kOrigin)->tree_size, 8u);
}

TEST_F(WitnessTest, ProofForOldSizeZeroMustBeEmpty) {
  AddCheckpointRequest req;
  req.old_size = 0;
  req.checkpoint = Note(8, log_key_);
  req.proof = {merkle::HashLeaf("x")};
  EXPECT_EQ(witness_->AddCheckpoint(EncodeAddCheckpointRequest(req)).status, 422);
}

}  // namespace
}  // namespace ledger::witness
