// Proof bundles (cli/bundle.h): a bundle built from a real Log verifies with no server, and
// fails after any change to any byte of it, and against any other log key.
#include "cli/bundle.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/format/checkpoint.h"
#include "tests/testing/status_matchers.h"
#include "tests/cli/bundle_testing.h"
#include "tests/testing/test_log.h"

namespace ledger::cli {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::LogKey;
using ::ledger::testing::StatusIs;
using ::ledger::testing::TestLog;
using ::testing::HasSubstr;

using ::ledger::testing::TrustedLogKey;

// A log of `n` claims by the admin key, and the bundle of entry `sequence` in it.
class BundleTest : public ::testing::Test {
 protected:
  std::string BundleOf(TestLog& t, SequenceNumber sequence) {
    return EncodeBundle(ledger::testing::TestBundle(t, sequence));
  }

  void AppendClaims(TestLog& t, int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(t.AppendClaim("claim-" + std::to_string(i), AdminKey(),
                                "Statement number " + std::to_string(i))
                      .ok());
    }
  }
};

TEST_F(BundleTest, BundleOfEveryEntryVerifies) {
  TestLog t;
  AppendClaims(t, 7);
  for (SequenceNumber seq = 0; seq < 7; ++seq) {
    absl::StatusOr<VerifiedBundle> v = VerifyBundle(BundleOf(t, seq), TrustedLogKey());
    ASSERT_TRUE(v.ok()) << "entry " << seq << ": " << v.status();
    EXPECT_EQ(v->bundle.sequence, seq);
    EXPECT_EQ(v->checkpoint.tree_size, 7u);
    EXPECT_EQ(v->event.claim_asserted().claim().statement().text(),
              "Statement number " + std::to_string(seq));
  }
}

TEST_F(BundleTest, DecodeOfEncodeIsIdentity) {
  TestLog t;
  AppendClaims(t, 3);
  const std::string doc = BundleOf(t, 1);
  absl::StatusOr<ProofBundle> b = DecodeBundle(doc);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(EncodeBundle(*b), doc);
}

TEST_F(BundleTest, BundleOfTheOnlyEntryHasAnEmptyProofAndVerifies) {
  TestLog t;
  AppendClaims(t, 1);
  const std::string doc = BundleOf(t, 0);
  EXPECT_THAT(doc, HasSubstr("\"inclusion_proof\": [],"));
  EXPECT_TRUE(VerifyBundle(doc, TrustedLogKey()).ok());
}

TEST_F(BundleTest, MemberOfASignedBatchVerifies) {
  TestLog t;
  std::vector<std::pair<std::string, std::string>> events;
  for (int i = 0; i < 5; ++i) {
    events.emplace_back("batch-claim-" + std::to_string(i),
                        client::SerializeEvent(ledger::testing::ClaimEvent(
                            "Batch statement " + std::to_string(i))));
  }
  ASSERT_TRUE(t.log()
                  .AppendSignedBatch(client::SignBatch(ledger::testing::kTestOrigin, "batch-1",
                                                       events, AdminKey()))
                  .ok());
  absl::StatusOr<VerifiedBundle> v = VerifyBundle(BundleOf(t, 3), TrustedLogKey());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->bundle.event_id, "batch-claim-3");
}

// Every byte, and for each several replacements: a bit flip (0x01), an ASCII case flip (0x20,
// which hex and base64 decoders might forgive), the high bit (0x80, invalid UTF-8), and a
// space and a digit (valid JSON or valid hex in many places).
TEST_F(BundleTest, ChangingAnyByteFailsVerification) {
  TestLog t;
  AppendClaims(t, 6);
  const std::string doc = BundleOf(t, 4);
  ASSERT_TRUE(VerifyBundle(doc, TrustedLogKey()).ok());
  int mutations = 0;
  for (size_t i = 0; i < doc.size(); ++i) {
    std::vector<char> replacements = {static_cast<char>(doc[i] ^ 0x01),
                                      static_cast<char>(doc[i] ^ 0x20),
                                      static_cast<char>(doc[i] ^ 0x80), ' ', '0', 'a', '\n'};
    for (char r : replacements) {
      if (r == doc[i]) continue;
      std::string mutated = doc;
      mutated[i] = r;
      ++mutations;
      EXPECT_THAT(VerifyBundle(mutated, TrustedLogKey()), StatusIs(absl::StatusCode::kDataLoss))
          << "byte " << i << " ('" << doc[i] << "') changed to '" << r << "' still verifies";
    }
  }
  EXPECT_GT(mutations, 5 * static_cast<int>(doc.size()));
}

TEST_F(BundleTest, InsertedOrRemovedBytesFailVerification) {
  TestLog t;
  AppendClaims(t, 3);
  const std::string doc = BundleOf(t, 2);
  for (size_t i = 0; i <= doc.size(); ++i) {
    std::string longer = doc;
    longer.insert(i, " ");
    EXPECT_FALSE(VerifyBundle(longer, TrustedLogKey()).ok()) << "space inserted at " << i;
    if (i < doc.size()) {
      std::string shorter = doc;
      shorter.erase(i, 1);
      EXPECT_FALSE(VerifyBundle(shorter, TrustedLogKey()).ok()) << "byte " << i << " removed";
    }
  }
}

TEST_F(BundleTest, AnotherLogKeyFails) {
  TestLog t;
  AppendClaims(t, 2);
  format::NoteVerifier other = TrustedLogKey();
  other.public_key = ledger::testing::StrangerKey().public_key();
  EXPECT_THAT(VerifyBundle(BundleOf(t, 1), other),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checkpoint does not verify")));
}

TEST_F(BundleTest, AnotherOriginFails) {
  TestLog t;
  AppendClaims(t, 2);
  format::NoteVerifier other = TrustedLogKey();
  other.name = "other.example/log";
  EXPECT_THAT(VerifyBundle(BundleOf(t, 1), other),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("origin")));
}

TEST_F(BundleTest, AnotherPublicKeyFails) {
  TestLog t;
  AppendClaims(t, 2);
  absl::StatusOr<ProofBundle> b = DecodeBundle(BundleOf(t, 1));
  ASSERT_TRUE(b.ok());
  b->public_key = ledger::testing::StrangerKey().public_key();
  EXPECT_THAT(VerifyBundle(EncodeBundle(*b), TrustedLogKey()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("key id")));
}

TEST_F(BundleTest, AProofFromAnotherPositionFails) {
  TestLog t;
  AppendClaims(t, 8);
  absl::StatusOr<ProofBundle> b = DecodeBundle(BundleOf(t, 5));
  ASSERT_TRUE(b.ok());
  b->sequence = 4;
  EXPECT_THAT(VerifyBundle(EncodeBundle(*b), TrustedLogKey()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("inclusion proof")));
}

TEST_F(BundleTest, UnknownOrMissingMembersFail) {
  TestLog t;
  AppendClaims(t, 2);
  const std::string doc = BundleOf(t, 1);
  std::string extra = doc;
  extra.insert(2, "  \"note\": \"x\",\n");
  EXPECT_THAT(VerifyBundle(extra, TrustedLogKey()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown member")));
  const size_t at = doc.find("  \"event_id\"");
  std::string missing = doc;
  missing.erase(at, doc.find('\n', at) + 1 - at);
  EXPECT_THAT(VerifyBundle(missing, TrustedLogKey()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("missing")));
}

}  // namespace
}  // namespace ledger::cli

// ---- tlog-proof (c2sp.org/tlog-proof) ---------------------------------------------------------

namespace ledger::cli {
namespace {

class TlogProofTest : public BundleTest {
 protected:
  std::string ProofOf(TestLog& t, SequenceNumber sequence) {
    return EncodeTlogProof(ledger::testing::TestBundle(t, sequence));
  }
};

TEST_F(TlogProofTest, LayoutIsTheSpecs) {
  TestLog t;
  AppendClaims(t, 5);
  const ProofBundle b = ledger::testing::TestBundle(t, 3);
  const std::string doc = EncodeTlogProof(b);
  std::vector<std::string> lines = absl::StrSplit(doc, '\n');
  ASSERT_GT(lines.size(), 8u);
  EXPECT_EQ(lines[0], "c2sp.org/tlog-proof@v1");
  EXPECT_TRUE(absl::StartsWith(lines[1], "extra "));
  EXPECT_EQ(lines[2], "index 3");
  // Tree of 5, leaf 3: three proof hashes, then an empty line, then the checkpoint verbatim.
  for (int i = 3; i < 6; ++i) EXPECT_EQ(lines[i].size(), 44u) << lines[i];
  EXPECT_EQ(lines[6], "");
  EXPECT_TRUE(absl::EndsWith(doc, "\n\n" + b.checkpoint));
  EXPECT_TRUE(IsTlogProof(doc));
  EXPECT_FALSE(IsTlogProof(EncodeBundle(b)));
}

TEST_F(TlogProofTest, ProofOfEveryEntryVerifiesAndCarriesTheBundle) {
  TestLog t;
  AppendClaims(t, 7);
  for (SequenceNumber seq = 0; seq < 7; ++seq) {
    const ProofBundle expected = ledger::testing::TestBundle(t, seq);
    absl::StatusOr<VerifiedBundle> v = VerifyTlogProof(EncodeTlogProof(expected), TrustedLogKey());
    ASSERT_TRUE(v.ok()) << "entry " << seq << ": " << v.status();
    EXPECT_EQ(EncodeBundle(v->bundle), EncodeBundle(expected)) << seq;
    EXPECT_EQ(v->event.claim_asserted().claim().statement().text(),
              "Statement number " + std::to_string(seq));
  }
}

TEST_F(TlogProofTest, ChangingAnyByteFailsVerification) {
  TestLog t;
  AppendClaims(t, 6);
  const std::string doc = ProofOf(t, 4);
  ASSERT_TRUE(VerifyTlogProof(doc, TrustedLogKey()).ok());
  for (size_t i = 0; i < doc.size(); ++i) {
    for (char r : {static_cast<char>(doc[i] ^ 0x01), static_cast<char>(doc[i] ^ 0x20), '0',
                   '\n'}) {
      if (r == doc[i]) continue;
      std::string mutated = doc;
      mutated[i] = r;
      EXPECT_THAT(VerifyTlogProof(mutated, TrustedLogKey()),
                  StatusIs(absl::StatusCode::kDataLoss))
          << "byte " << i << " ('" << doc[i] << "') changed to '" << r << "' still verifies";
    }
  }
}

TEST_F(TlogProofTest, InsertedOrRemovedBytesFailVerification) {
  TestLog t;
  AppendClaims(t, 3);
  const std::string doc = ProofOf(t, 2);
  for (size_t i = 0; i <= doc.size(); ++i) {
    for (const char* inserted : {" ", "\n", "A"}) {
      std::string longer = doc;
      longer.insert(i, inserted);
      EXPECT_FALSE(VerifyTlogProof(longer, TrustedLogKey()).ok())
          << "'" << inserted << "' inserted at " << i;
    }
    if (i < doc.size()) {
      std::string shorter = doc;
      shorter.erase(i, 1);
      EXPECT_FALSE(VerifyTlogProof(shorter, TrustedLogKey()).ok()) << "byte " << i << " removed";
    }
  }
}

TEST_F(TlogProofTest, MalformedDocumentsAreDataLossNamingTheLine) {
  TestLog t;
  AppendClaims(t, 3);
  const std::string doc = ProofOf(t, 1);
  auto expect = [](const std::string& d, const std::string& why) {
    absl::StatusOr<ProofBundle> b = DecodeTlogProof(d);
    EXPECT_THAT(b, StatusIs(absl::StatusCode::kDataLoss)) << d;
    EXPECT_THAT(b.status().message(), HasSubstr(why)) << d;
  };
  const size_t index_at = doc.find("\nindex ") + 1;
  const size_t extra_at = doc.find("extra ");
  expect("c2sp.org/tlog-proof@v2\n" + doc.substr(doc.find('\n') + 1), "first line");
  // Without extra: a generic proof, but ours needs the key and leaf data.
  expect(doc.substr(0, extra_at) + doc.substr(index_at), "extra");
  expect(doc.substr(0, index_at) + "index 01" + doc.substr(doc.find('\n', index_at)), "index");
  expect(doc.substr(0, index_at) + "index +1" + doc.substr(doc.find('\n', index_at)), "index");
  expect(doc.substr(0, doc.find("\n\n") + 1), "no empty line");
  std::string short_hash = doc;
  short_hash.insert(doc.find('\n', index_at) + 1, "AAAA\n");
  expect(short_hash, "inclusion proof line 1");
  expect(doc + "\n", "must end with its last signature line");
}

TEST_F(TlogProofTest, AnotherLogKeyFails) {
  TestLog t;
  AppendClaims(t, 2);
  format::NoteVerifier other = TrustedLogKey();
  other.public_key = ledger::testing::StrangerKey().public_key();
  EXPECT_THAT(VerifyTlogProof(ProofOf(t, 0), other), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ledger::cli
