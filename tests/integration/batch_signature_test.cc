// Signed batches (docs/format.md §11) over real gRPC: one signature for many events, appended
// atomically, each event still provable on its own; every malformed or misused batch refused
// with its exact status and nothing written.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/audit/auditor.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "service/ledger_service.h"
#include "tests/testing/in_process_ledger.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
constexpr char kOrigin[] = "batch.example/log";

std::string ClaimBytes(int i) {
  v1::Event e;
  auto* c = e.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name("Alexander Novak");
  c->mutable_statement()->set_text("Pipeline statement " + std::to_string(i));
  c->mutable_source()->set_url("https://example.org/seed/pakistan-russia-relationship-improving");
  return client::SerializeEvent(e);
}

std::vector<std::pair<std::string, std::string>> Events(const std::string& prefix, int n) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < n; ++i) out.emplace_back(prefix + "-" + std::to_string(i), ClaimBytes(i));
  return out;
}

class BatchSignatureTest : public testing::InProcessLedgerTest {
 protected:
  BatchSignatureTest() : InProcessLedgerTest(kOrigin) {}

  grpc::Status Send(const v1::SignedBatch& batch, v1::AppendBatchResponse* resp = nullptr) {
    v1::AppendSignedBatchRequest req;
    *req.mutable_batch() = batch;
    grpc::ClientContext ctx;
    v1::AppendBatchResponse ignored;
    return stub_->AppendSignedBatch(&ctx, req, resp != nullptr ? resp : &ignored);
  }

  // Sends `batch`, expects `code` and `reason`, and that nothing was written.
  void ExpectRefused(const v1::SignedBatch& batch, grpc::StatusCode code,
                     const std::string& reason) {
    const store::LogHead before = log_->Head();
    grpc::Status s = Send(batch);
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_EQ(testing::ErrorReason(s), reason) << s.error_message();
    EXPECT_EQ(log_->Head().tree_size, before.tree_size);
    EXPECT_EQ(log_->Head().root_hash, before.root_hash);
  }
};

TEST_F(BatchSignatureTest, OneSignatureAppendsTheWholeBatchInOrder) {
  v1::AppendBatchResponse resp;
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b1", Events("b1", 100), desk_), &resp).ok());
  ASSERT_EQ(resp.results_size(), 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(resp.results(i).sequence(), 1u + i);
  EXPECT_EQ(log_->Head().tree_size, 101u);
}

TEST_F(BatchSignatureTest, RetryReturnsTheOriginalEntries) {
  const v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  v1::AppendBatchResponse first, second;
  ASSERT_TRUE(Send(batch, &first).ok());
  ASSERT_TRUE(Send(batch, &second).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(second.results(i).sequence(), first.results(i).sequence());
    EXPECT_TRUE(second.results(i).duplicate());
  }
  EXPECT_EQ(log_->Head().tree_size, 11u);
}

// docs/api.md "Retries, precisely": a signed batch some of whose events are already in the log
// is accepted; those are answered as duplicates with their original sequences, the rest are
// appended in the batch's order.
TEST_F(BatchSignatureTest, APartlyDuplicateBatchAppendsOnlyTheNewEvents) {
  std::vector<std::pair<std::string, std::string>> events = Events("b1", 6);
  v1::AppendBatchResponse first, second;
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b1",
                                     std::vector<std::pair<std::string, std::string>>(
                                         events.begin(), events.begin() + 3),
                                     desk_),
                   &first)
                  .ok());
  ASSERT_EQ(log_->Head().tree_size, 4u);
  // Another batch: the first three again, then three new ones.
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b2", events, desk_), &second).ok());
  ASSERT_EQ(second.results_size(), 6);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(second.results(i).duplicate()) << i;
    EXPECT_EQ(second.results(i).sequence(), first.results(i).sequence()) << i;
  }
  for (int i = 3; i < 6; ++i) {
    EXPECT_FALSE(second.results(i).duplicate()) << i;
    EXPECT_EQ(second.results(i).sequence(), 1u + i) << i;
  }
  EXPECT_EQ(log_->Head().tree_size, 7u);
}

TEST_F(BatchSignatureTest, AlteredEventIsRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  batch.mutable_events(4)->mutable_event()->back() ^= 0x01;
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, ReorderedEventsAreRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  batch.mutable_events()->SwapElements(2, 7);
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, MissingEventIsRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  batch.mutable_events()->RemoveLast();
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, ExtraEventIsRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  auto* extra = batch.add_events();
  extra->set_event_id("b1-extra");
  extra->set_event(ClaimBytes(99));
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, ChangedEventIdIsRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  batch.mutable_events(0)->set_event_id("renamed");
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, SignatureForAnotherLogIsRefused) {
  ExpectRefused(client::SignBatch("other.example/log", "b1", Events("b1", 10), desk_),
                grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, SignatureForAnotherBatchIdIsRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_);
  batch.set_batch_id("b2");
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, EventSignatureNeverVerifiesAsABatchSignature) {
  // One event signed with the per-event signing input, presented as a batch of one.
  const auto events = Events("solo", 1);
  v1::SignedEvent single =
      client::SignEventBytes(kOrigin, events[0].first, events[0].second, desk_);
  v1::SignedBatch batch = client::SignBatch(kOrigin, "solo", events, desk_);
  batch.set_signature(single.signature());
  ExpectRefused(batch, grpc::StatusCode::INVALID_ARGUMENT, "SIGNATURE_INVALID");
  // And a batch signature presented as that event's own signature.
  v1::SignedBatch good = client::SignBatch(kOrigin, "solo", events, desk_);
  single.set_signature(good.signature());
  v1::AppendRequest req;
  *req.mutable_event() = single;
  grpc::ClientContext ctx;
  v1::AppendResponse resp;
  grpc::Status s = stub_->Append(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::ErrorReason(s), "SIGNATURE_INVALID");
}

TEST_F(BatchSignatureTest, RevokedKeyIsRefused) {
  v1::Event revoke;
  revoke.mutable_key_revoked()->set_key_id(
      std::string(AsStringView(crypto::SignerKeyId(desk_.public_key()))));
  revoke.mutable_key_revoked()->set_reason("Key lost.");
  ASSERT_TRUE(log_->Append(client::SignEvent(kOrigin, "revoke-desk", revoke, admin_)).ok());
  ExpectRefused(client::SignBatch(kOrigin, "b1", Events("b1", 10), desk_),
                grpc::StatusCode::FAILED_PRECONDITION, "KEY_REVOKED");
}

TEST_F(BatchSignatureTest, SubmitterBatchWithAKeyEventIsRefusedWhole) {
  auto events = Events("b1", 3);
  v1::Event reg;
  reg.mutable_key_registered()->set_public_key(std::string(32, '\x05'));
  reg.mutable_key_registered()->set_role(v1::KeyRegistered::ADMIN);
  events.emplace_back("escalate", client::SerializeEvent(reg));
  ExpectRefused(client::SignBatch(kOrigin, "b1", events, desk_),
                grpc::StatusCode::PERMISSION_DENIED, "ADMIN_KEY_REQUIRED");
}

TEST_F(BatchSignatureTest, MalformedBatchEnvelopesAreRefused) {
  v1::SignedBatch batch = client::SignBatch(kOrigin, "b1", Events("b1", 2), desk_);
  v1::SignedBatch wrong_version = batch;
  wrong_version.set_version(1);
  ExpectRefused(wrong_version, grpc::StatusCode::INVALID_ARGUMENT, "UNSUPPORTED_VERSION");
  v1::SignedBatch bad_id = batch;
  bad_id.set_batch_id("no spaces");
  ExpectRefused(bad_id, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_EVENT_ID");
  v1::SignedBatch empty = batch;
  empty.clear_events();
  ExpectRefused(empty, grpc::StatusCode::INVALID_ARGUMENT, "FIELD_REQUIRED");
  ExpectRefused(client::SignBatch(kOrigin, "big", Events("big", 1001), desk_),
                grpc::StatusCode::RESOURCE_EXHAUSTED, "BATCH_TOO_LARGE");
  v1::SignedBatch short_sig = batch;
  short_sig.mutable_signature()->pop_back();
  ExpectRefused(short_sig, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ENVELOPE");
}

TEST_F(BatchSignatureTest, MixedLogAuditsWithOneSignatureCheckPerBatch) {
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b1", Events("b1", 100), desk_)).ok());
  v1::AppendRequest single;
  *single.mutable_event() =
      client::SignEventBytes(kOrigin, "single-1", ClaimBytes(1000), desk_);
  {
    grpc::ClientContext ctx;
    v1::AppendResponse resp;
    ASSERT_TRUE(stub_->Append(&ctx, single, &resp).ok());
  }
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b2", Events("b2", 7), desk_)).ok());
  stub_ = nullptr;
  log_ = nullptr;
  server_.reset();  // stops serving and closes the log
  auto store = datadir::OpenStoreReadOnly(dir_);
  ASSERT_TRUE(store.ok());
  auto identity = datadir::ReadIdentity(dir_);
  ASSERT_TRUE(identity.ok());
  auto report = audit::AuditLog(**store, *identity, audit::AuditOptions());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->tree_size, 1u + 100 + 1 + 7);
  // register + single + one per batch.
  EXPECT_EQ(report->signatures_checked, 4u);
}

TEST_F(BatchSignatureTest, EachBatchMemberIsProvableOnItsOwn) {
  ASSERT_TRUE(Send(client::SignBatch(kOrigin, "b1", Events("b1", 13), desk_)).ok());
  for (uint64_t seq = 1; seq <= 13; ++seq) {
    grpc::ClientContext ctx;
    v1::GetEntryRequest req;
    req.set_sequence(seq);
    v1::GetEntryResponse resp;
    ASSERT_TRUE(stub_->GetEntry(&ctx, req, &resp).ok());
    const v1::Entry& e = resp.entry();
    EXPECT_EQ(e.signed_event().version(), 2u);
    EXPECT_EQ(e.batch().batch_id(), "b1");
    EXPECT_EQ(e.batch().batch_size(), 13u);
    EXPECT_EQ(e.batch().index(), seq - 1);
    // From the entry alone: recompute the batch root and check the one signature.
    auto view = format::DecodeLeafData(e.leaf_data());
    ASSERT_TRUE(view.ok());
    auto message = format::EntrySigningInput(kOrigin, *view);
    ASSERT_TRUE(message.ok());
    EXPECT_TRUE(crypto::Ed25519Verify(desk_.public_key(), *message, view->signature));
    // Any change of the event breaks it.
    std::string tampered = e.leaf_data();
    tampered.back() ^= 0x01;
    auto tampered_view = format::DecodeLeafData(tampered);
    ASSERT_TRUE(tampered_view.ok());
    auto tampered_message = format::EntrySigningInput(kOrigin, *tampered_view);
    ASSERT_TRUE(tampered_message.ok());
    EXPECT_FALSE(crypto::Ed25519Verify(desk_.public_key(), *tampered_message, view->signature));
  }
}

TEST_F(BatchSignatureTest, AppendStreamAcceptsBatchesBetweenSingleEvents) {
  grpc::ClientContext ctx;
  auto stream = stub_->AppendStream(&ctx);
  v1::AppendRequest a, b, c;
  *a.mutable_event() = client::SignEventBytes(kOrigin, "s-1", ClaimBytes(500), desk_);
  *b.mutable_batch() = client::SignBatch(kOrigin, "sb", Events("sb", 5), desk_);
  *c.mutable_event() = client::SignEventBytes(kOrigin, "s-2", ClaimBytes(501), desk_);
  ASSERT_TRUE(stream->Write(a));
  ASSERT_TRUE(stream->Write(b));
  ASSERT_TRUE(stream->Write(c));
  stream->WritesDone();
  std::vector<v1::AppendStreamResponse> got;
  v1::AppendStreamResponse r;
  while (stream->Read(&r)) got.push_back(r);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].appended().sequence(), 1u);
  ASSERT_EQ(got[1].appended_batch().results_size(), 5);
  EXPECT_EQ(got[1].appended_batch().results(0).sequence(), 2u);
  EXPECT_EQ(got[2].appended().sequence(), 7u);
}

}  // namespace
}  // namespace ledger
