// The HTTP/JSON read API (service/http_api.h) on the seed article's claims: each answer is the
// proto3 JSON mapping of exactly what the gRPC method answers, query strings fill the same
// request fields (dotted paths, said-date shorthand, bytes as base64), pagination tokens
// round-trip, and every refusal carries the gRPC reason with its HTTP status.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "service/claim_service.h"
#include "service/http_api.h"
#include "service/ledger_service.h"
#include "tests/testing/served_ledger.h"
#include "tests/testing/test_log.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
using google::protobuf::util::MessageDifferencer;
constexpr char kOrigin[] = "http.example/log";

// The fields of a JSON error body.
struct ErrorBody {
  std::string code, reason, message, field;
};

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto served = testing::ServedLedger::Start(kOrigin, {admin_.public_key()}, /*serve_grpc=*/false);
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = std::move(*served);
    log_ = &served_->log();
    claim_service_ = &served_->claim_service();
    api_ = std::make_unique<service::JsonApi>(&served_->ledger_service(), &served_->claim_service());
    ASSERT_TRUE(served_->RegisterSubmitter(admin_, desk_).ok());
    ASSERT_TRUE(served_->AppendExample("seed-claims.jsonl", desk_).ok());
    ASSERT_TRUE(served_->AppendExample("seed-followups.jsonl", desk_).ok());
    // Every query below reads the whole log (read-your-writes).
    wait_ = absl::StrCat("min_watermark=", log_->Head().tree_size);
  }

  template <typename M>
  M Parse(const service::JsonReply& reply) {
    EXPECT_EQ(reply.status, 200) << reply.body;
    M m;
    const auto s = google::protobuf::util::JsonStringToMessage(reply.body, &m);
    EXPECT_TRUE(s.ok()) << s.ToString() << " in " << reply.body;
    return m;
  }

  ErrorBody Error(const service::JsonReply& reply) {
    // The error body is a google.protobuf.Struct-shaped object of strings.
    google::protobuf::Struct st;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(reply.body, &st).ok()) << reply.body;
    auto get = [&](const char* k) {
      auto it = st.fields().find(k);
      return it == st.fields().end() ? std::string() : it->second.string_value();
    };
    return {get("code"), get("reason"), get("message"), get("field")};
  }

  crypto::Ed25519PrivateKey admin_ = testing::KeyFromSeed(1);
  crypto::Ed25519PrivateKey desk_ = testing::KeyFromSeed(2);
  std::unique_ptr<testing::ServedLedger> served_;
  core::Log* log_ = nullptr;
  service::ClaimServiceImpl* claim_service_ = nullptr;
  std::unique_ptr<service::JsonApi> api_;
  std::string wait_;
};

TEST_F(HttpApiTest, ClaimIsTheJsonMappingOfGetClaim) {
  const auto got = Parse<v1::GetClaimResponse>(
      api_->Handle("/api/v1/claims/seed-article-loc-clashes", wait_));
  grpc::ServerContext ctx;
  v1::GetClaimRequest req;
  req.set_claim_id("seed-article-loc-clashes");
  v1::GetClaimResponse want;
  ASSERT_TRUE(claim_service_->GetClaim(&ctx, &req, &want).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, want)) << got.DebugString();
  EXPECT_EQ(got.claim().status(), v1::CORRECTED);
  ASSERT_EQ(got.claim().history_size(), 2);
}

TEST_F(HttpApiTest, AsOfSequenceByDottedFieldPath) {
  const auto before = Parse<v1::GetClaimResponse>(
      api_->Handle("/api/v1/claims/seed-article-loc-clashes", wait_ + "&as_of.sequence=16"));
  EXPECT_EQ(before.claim().status(), v1::ACTIVE);
  EXPECT_EQ(before.read_point().as_of_size(), 17u);
  // The JSON (lowerCamelCase) name works too.
  const auto same = Parse<v1::GetClaimResponse>(
      api_->Handle("/api/v1/claims/seed-article-loc-clashes", wait_ + "&asOf.sequence=16"));
  EXPECT_TRUE(MessageDifferencer::Equals(before, same));
}

TEST_F(HttpApiTest, UnknownClaimIsNotFoundWithTheGrpcReason) {
  const service::JsonReply reply = api_->Handle("/api/v1/claims/no-such-claim", wait_);
  EXPECT_EQ(reply.status, 404);
  const ErrorBody e = Error(reply);
  EXPECT_EQ(e.code, "NOT_FOUND");
  EXPECT_EQ(e.reason, "CLAIM_NOT_FOUND");
  EXPECT_NE(e.message.find("no-such-claim"), std::string::npos) << e.message;
}

TEST_F(HttpApiTest, PagesFollowTheSameTokensAsGrpc) {
  const auto first =
      Parse<v1::ListClaimsResponse>(api_->Handle("/api/v1/claims", wait_ + "&page_size=5"));
  ASSERT_EQ(first.claims_size(), 5);
  ASSERT_FALSE(first.next_page_token().empty());
  // The token as a browser sends it: base64 (from the JSON), percent-encoded.
  std::string token;
  absl::Base64Escape(first.next_page_token(), &token);
  std::string encoded;
  for (char c : token) {
    if (c == '+') encoded += "%2B";
    else if (c == '/') encoded += "%2F";
    else if (c == '=') encoded += "%3D";
    else encoded += c;
  }
  const auto second = Parse<v1::ListClaimsResponse>(
      api_->Handle("/api/v1/claims", "page_size=5&page_token=" + encoded));
  grpc::ServerContext ctx;
  v1::ListClaimsRequest req;
  req.set_page_size(5);
  req.set_page_token(first.next_page_token());
  v1::ListClaimsResponse want;
  ASSERT_TRUE(claim_service_->ListClaims(&ctx, &req, &want).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(second, want));
  EXPECT_NE(second.claims(0).claim_id(), first.claims(0).claim_id());
}

TEST_F(HttpApiTest, ClaimantAndSaidDateShorthand) {
  const auto resp = Parse<v1::ListClaimsResponse>(api_->Handle(
      "/api/v1/claims", wait_ + "&claimant=Alexander+Novak&said_from=2015-08&said_to=2015-08-31"));
  ASSERT_GE(resp.claims_size(), 1);
  for (const auto& c : resp.claims()) EXPECT_EQ(c.claim().claimant().name(), "Alexander Novak");
}

TEST_F(HttpApiTest, TwoFiltersOfTheOneofAreRefusedNamingTheSecond) {
  const service::JsonReply reply = api_->Handle("/api/v1/claims", "claimant=A&topic=energy");
  EXPECT_EQ(reply.status, 400);
  const ErrorBody e = Error(reply);
  EXPECT_EQ(e.reason, "INVALID_REQUEST");
  EXPECT_EQ(e.field, "topic");
  EXPECT_NE(e.message.find("claimant is already set"), std::string::npos) << e.message;
}

TEST_F(HttpApiTest, UnknownParameterIsRefusedByName) {
  const ErrorBody e = Error(api_->Handle("/api/v1/claims", "claimnt=Novak"));
  EXPECT_EQ(e.reason, "INVALID_REQUEST");
  EXPECT_EQ(e.field, "claimnt");
  EXPECT_NE(e.message.find("ListClaimsRequest has no field \"claimnt\""), std::string::npos)
      << e.message;
}

TEST_F(HttpApiTest, ServiceLimitsKeepTheirGrpcReason) {
  const service::JsonReply reply = api_->Handle("/api/v1/claims", "page_size=5000");
  grpc::ServerContext ctx;
  v1::ListClaimsRequest req;
  req.set_page_size(5000);
  v1::ListClaimsResponse unused;
  const grpc::Status want = claim_service_->ListClaims(&ctx, &req, &unused);
  ASSERT_FALSE(want.ok());
  const service::JsonReply expected = service::ErrorReply(want);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, expected.body);
  EXPECT_EQ(Error(reply).field, "page_size");
}

TEST_F(HttpApiTest, InclusionProofAndCheckpointForAnEntry) {
  const auto entry = Parse<v1::GetEntryResponse>(api_->Handle("/api/v1/entries/3", ""));
  EXPECT_EQ(entry.entry().sequence(), 3u);
  const auto cp = Parse<v1::GetCheckpointResponse>(api_->Handle("/api/v1/checkpoint", ""));
  EXPECT_EQ(cp.tree_size(), log_->Head().tree_size);
  const auto proof = Parse<v1::GetInclusionProofResponse>(api_->Handle(
      "/api/v1/proofs/inclusion", absl::StrCat("sequence=3&tree_size=", cp.tree_size())));
  EXPECT_EQ(proof.leaf_hash(), entry.entry().leaf_hash());
  EXPECT_EQ(proof.root_hash(), cp.root_hash());
  EXPECT_FALSE(proof.hashes().empty());
}

TEST_F(HttpApiTest, BadPathParametersAndRoutes) {
  EXPECT_EQ(Error(api_->Handle("/api/v1/entries/-1", "")).field, "sequence");
  EXPECT_EQ(Error(api_->Handle("/api/v1/keys/abc", "")).field, "key_id");
  const service::JsonReply none = api_->Handle("/api/v1/nothing", "");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(Error(none).reason, "NOT_FOUND");
  const service::JsonReply pct = api_->Handle("/api/v1/claims", "claimant=%zz");
  EXPECT_EQ(pct.status, 400);
  EXPECT_EQ(Error(pct).reason, "INVALID_REQUEST");
}

TEST_F(HttpApiTest, MatchTallyAndKey) {
  const auto m = Parse<v1::MatchClaimsResponse>(api_->Handle(
      "/api/v1/match", wait_ + "&text=Novak+said+the+pipeline+is+ready+to+be+signed"));
  ASSERT_GE(m.matches_size(), 1);
  EXPECT_EQ(m.matches(0).claim().claim_id(), "seed-novak-pipeline-ready");
  const auto t = Parse<v1::GetVerdictTallyResponse>(api_->Handle(
      "/api/v1/tally", "claimant=Seed+article+%28publisher+not+given%29"));
  EXPECT_EQ(t.total(), 1u);
  const std::string key_hex = absl::BytesToHexString(
      client::SignEvent(kOrigin, "x", v1::Event(), desk_).key_id());
  const auto k = Parse<v1::GetKeyResponse>(api_->Handle("/api/v1/keys/" + key_hex, ""));
  EXPECT_EQ(k.role(), v1::KeyRegistered::SUBMITTER);
}

}  // namespace
}  // namespace ledger
