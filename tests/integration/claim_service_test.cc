// The claim queries over real gRPC, on the seed article's claims: claims with history, lists by
// claimant / topic / status, as-of, bitemporal filters, stable pagination, verdict tallies,
// and view digests equal to a fresh rebuild.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/client/event_signer.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/claim_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "tests/testing/in_process_ledger.h"
#include "tests/testing/served_ledger.h"
#include "tests/testing/test_log.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_updater.h"
#include "service/claim_service.h"
#include "service/ledger_service.h"

namespace ledger {
namespace {

namespace v1 = ledger::v1;
constexpr char kOrigin[] = "claims.example/log";

class ClaimServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto served = testing::ServedLedger::Start(kOrigin, {admin_.public_key()}, /*serve_grpc=*/true);
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = std::move(*served);
    log_ = &served_->log();
    engine_ = &served_->engine();
    updater_ = &served_->updater();
    ledger_ = &served_->ledger_stub();
    claims_ = &served_->claim_stub();
    ASSERT_TRUE(served_->RegisterSubmitter(admin_, desk_).ok());
    ASSERT_TRUE(served_->AppendExample("seed-claims.jsonl", desk_).ok());
    after_claims_ = log_->Head().tree_size;
    ASSERT_TRUE(served_->AppendExample("seed-followups.jsonl", desk_).ok());
  }

  // Read-your-writes: every query waits for the whole log.
  uint64_t Everything() { return log_->Head().tree_size; }

  // GetClaim of `claim_id` once the views hold the whole log, as of `as_of_sequence` (0: latest).
  v1::GetClaimResponse Get(const std::string& claim_id, uint64_t as_of_sequence = 0) {
    grpc::ClientContext ctx;
    v1::GetClaimRequest req;
    req.set_claim_id(claim_id);
    req.set_min_watermark(Everything());
    if (as_of_sequence > 0) req.mutable_as_of()->set_sequence(as_of_sequence);
    v1::GetClaimResponse resp;
    grpc::Status s = claims_->GetClaim(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  crypto::Ed25519PrivateKey admin_ = testing::KeyFromSeed(1);
  crypto::Ed25519PrivateKey desk_ = testing::KeyFromSeed(2);
  std::unique_ptr<testing::ServedLedger> served_;
  core::Log* log_ = nullptr;
  views::ViewEngine* engine_ = nullptr;
  views::ViewUpdater* updater_ = nullptr;
  v1::LedgerService::Stub* ledger_ = nullptr;
  v1::ClaimService::Stub* claims_ = nullptr;
  uint64_t after_claims_ = 0;
};

TEST_F(ClaimServiceTest, CorrectedClaimHasItsHistoryAndCurrentVersion) {
  grpc::ClientContext ctx;
  v1::GetClaimRequest req;
  req.set_claim_id("seed-article-loc-clashes");
  req.set_min_watermark(Everything());
  v1::GetClaimResponse resp;
  ASSERT_TRUE(claims_->GetClaim(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.claim().status(), v1::CORRECTED);
  EXPECT_NE(resp.claim().claim().statement().text().find("de facto"), std::string::npos)
      << resp.claim().claim().statement().text();
  ASSERT_EQ(resp.claim().history_size(), 2);
  EXPECT_EQ(resp.claim().history(0).kind(), "claim_asserted");
  EXPECT_EQ(resp.claim().history(1).kind(), "claim_corrected");
  EXPECT_EQ(resp.claim().history(1).event_id(), "seed-correct-loc-clashes");
  EXPECT_FALSE(resp.claim().history(1).reason().empty());
}

TEST_F(ClaimServiceTest, AsOfBeforeTheCorrectionShowsTheOriginal) {
  grpc::ClientContext ctx;
  v1::GetClaimRequest req;
  req.set_claim_id("seed-article-loc-clashes");
  req.mutable_as_of()->set_sequence(after_claims_ - 1);
  req.set_min_watermark(Everything());
  v1::GetClaimResponse resp;
  ASSERT_TRUE(claims_->GetClaim(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.claim().status(), v1::ACTIVE);
  EXPECT_NE(resp.claim().claim().statement().text().find("defector"), std::string::npos)
      << resp.claim().claim().statement().text();
  EXPECT_EQ(resp.claim().history_size(), 1);
  EXPECT_EQ(resp.read_point().as_of_size(), after_claims_);
}

TEST_F(ClaimServiceTest, VerdictsComeWithTheClaim) {
  const v1::GetClaimResponse resp = Get("seed-article-pipeline-cost");
  ASSERT_EQ(resp.claim().verdicts_size(), 1);
  EXPECT_EQ(resp.claim().verdicts(0).review().rating_text(), "Unproven");
}

// Issue 16: a claim seen again is an event on that claim. GetClaim lists its appearances, the
// first appearance (by published time) and the number of independent publishers.
TEST_F(ClaimServiceTest, AppearancesComeWithTheClaim) {
  auto appear = [&](const std::string& id, const std::string& url, const std::string& publisher,
                    int64_t published) {
    v1::Event e;
    auto* a = e.mutable_claim_appeared();
    a->set_claim_id("seed-novak-pipeline-ready");
    a->mutable_source()->set_url(url);
    if (!publisher.empty()) a->mutable_source()->set_publisher(publisher);
    a->mutable_source()->set_published_time_micros(published);
    a->set_repeated_by("a columnist");
    auto r = log_->Append(client::SignEvent(kOrigin, id, e, desk_));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sequence : 0;
  };
  const uint64_t before = log_->Head().tree_size;
  // An earlier report (2015-08-14, the seed article is of 2015-08-15), then the same outlet
  // again under another case of its name, then a post with no publisher (counted by host).
  appear("seen-1", "https://second-outlet.example/2015/pipeline", "Second Outlet",
         1439510400000000);
  appear("seen-2", "https://second-outlet.example/2015/pipeline-2", "SECOND OUTLET",
         1439683200000000);
  appear("seen-3", "https://www.posts.example/p/1", "", 0);
  v1::GetClaimResponse now = Get("seed-novak-pipeline-ready");
  ASSERT_EQ(now.claim().appearances_size(), 3);
  EXPECT_EQ(now.claim().appearances(0).appearance().repeated_by(), "a columnist");
  EXPECT_EQ(now.claim().appearances(2).appearance().source().url(), "https://www.posts.example/p/1");
  EXPECT_EQ(now.claim().first_appearance().url(), "https://second-outlet.example/2015/pipeline");
  // The seed article, Second Outlet (twice, one publisher) and posts.example.
  EXPECT_EQ(now.claim().independent_publishers(), 3u);
  EXPECT_EQ(now.claim().status(), v1::ACTIVE);  // appearances change no status
  EXPECT_EQ(now.claim().history(now.claim().history_size() - 1).kind(), "claim_appeared");
  // As of before the appearances: none, and the claim's own source first.
  v1::GetClaimResponse then = Get("seed-novak-pipeline-ready", before - 1);
  EXPECT_EQ(then.claim().appearances_size(), 0);
  EXPECT_EQ(then.claim().independent_publishers(), 1u);
  EXPECT_EQ(then.claim().first_appearance().url(), now.claim().claim().source().url());
}

// The README's example appearance and relation are accepted and show on the claim.
TEST_F(ClaimServiceTest, TheExampleAppearanceAndRelationAreAcceptedAndShown) {
  for (const char* file : {"seed-appearances.jsonl", "seed-relations.jsonl"}) {
    for (const v1::EventDraft& d : testing::ReadExampleDrafts(file)) {
      ASSERT_TRUE(log_->Append(client::SignEvent(kOrigin, d.event_id(), d.event(), desk_)).ok());
    }
  }
  const v1::GetClaimResponse resp = Get("seed-novak-pipeline-ready");
  ASSERT_EQ(resp.claim().appearances_size(), 1);
  EXPECT_EQ(resp.claim().independent_publishers(), 2u);
  ASSERT_EQ(resp.claim().relations_size(), 1);
  EXPECT_EQ(resp.claim().relations(0).relation().relation(), v1::ClaimRelated::REPEATS);
}

// Relations (claim_related): on both claims' GetClaim, and ListRelations by claimant, kind,
// topic and limit.
TEST_F(ClaimServiceTest, RelationsComeWithBothClaimsAndListByClaimant) {
  auto relate = [&](const std::string& id, const std::string& claim, const std::string& related,
                    v1::ClaimRelated::Relation kind) {
    v1::Event e;
    auto* r = e.mutable_claim_related();
    r->set_claim_id(claim);
    r->set_related_claim_id(related);
    r->set_relation(kind);
    if (kind == v1::ClaimRelated::POSITION_CHANGE) {
      r->set_flip(v1::ClaimRelated::HALF_FLIP);
      r->set_subject("the pipeline's timing");
    }
    r->set_reviewer("Example Fact Desk");
    ASSERT_TRUE(log_->Append(client::SignEvent(kOrigin, id, e, desk_)).ok());
  };
  relate("rel-1", "seed-novak-pipeline-signing-quote", "seed-novak-pipeline-ready",
         v1::ClaimRelated::POSITION_CHANGE);
  relate("rel-2", "seed-novak-pipeline-signing-quote", "seed-novak-pipeline-ready",
         v1::ClaimRelated::SUPPORTS);
  relate("rel-3", "seed-ryabkov-no-jealousy", "seed-ryabkov-india-ties-unaffected",
         v1::ClaimRelated::CONTRADICTS);

  const v1::GetClaimResponse claim = Get("seed-novak-pipeline-ready");
  ASSERT_EQ(claim.claim().relations_size(), 2);  // recorded on the other claim, listed here too
  EXPECT_EQ(claim.claim().relations(0).relation().flip(), v1::ClaimRelated::HALF_FLIP);

  auto list = [&](const std::string& claimant, std::vector<v1::ClaimRelated::Relation> kinds,
                  const std::string& topic, int limit) {
    grpc::ClientContext c;
    v1::ListRelationsRequest req;
    req.set_claimant(claimant);
    for (auto k : kinds) req.add_relations(k);
    req.set_topic(topic);
    req.set_limit(limit);
    req.set_min_watermark(Everything());
    v1::ListRelationsResponse resp;
    grpc::Status s = claims_->ListRelations(&c, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  v1::ListRelationsResponse novak = list("Alexander Novak", {}, "", 0);
  ASSERT_EQ(novak.relations_size(), 2);  // each once, though both claims are Novak's
  EXPECT_EQ(novak.relations(0).relation().event_id(), "rel-1");
  EXPECT_EQ(novak.relations(0).related_claim().claim_id(), "seed-novak-pipeline-ready");
  EXPECT_FALSE(novak.more());
  v1::ListRelationsResponse flips = list("alexander novak", {v1::ClaimRelated::POSITION_CHANGE,
                                                            v1::ClaimRelated::CONTRADICTS}, "", 0);
  ASSERT_EQ(flips.relations_size(), 1);
  EXPECT_EQ(flips.relations(0).relation().event_id(), "rel-1");
  EXPECT_EQ(list("Alexander Novak", {}, "diplomacy", 0).relations_size(), 0);
  v1::ListRelationsResponse cut = list("Alexander Novak", {}, "", 1);
  EXPECT_EQ(cut.relations_size(), 1);
  EXPECT_TRUE(cut.more());
  EXPECT_EQ(list("Sergei Ryabkov", {v1::ClaimRelated::CONTRADICTS}, "", 0).relations_size(), 1);

  // No claimant: refused naming the field.
  grpc::ClientContext c;
  v1::ListRelationsResponse ignored;
  grpc::Status s = claims_->ListRelations(&c, v1::ListRelationsRequest(), &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::ErrorReasonAndField(s).second, "claimant");
}

TEST_F(ClaimServiceTest, ListsByClaimantTopicAndStatus) {
  auto list = [&](v1::ListClaimsRequest req) {
    req.set_min_watermark(Everything());
    grpc::ClientContext ctx;
    v1::ListClaimsResponse resp;
    grpc::Status s = claims_->ListClaims(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> ids;
    for (const auto& c : resp.claims()) ids.push_back(c.claim_id());
    return ids;
  };
  v1::ListClaimsRequest by_claimant;
  by_claimant.set_claimant("sergei ryabkov");
  EXPECT_EQ(list(by_claimant).size(), 3u);
  v1::ListClaimsRequest by_topic;
  by_topic.set_topic("Energy");
  const std::vector<std::string> energy = list(by_topic);
  EXPECT_GE(energy.size(), 3u);
  v1::ListClaimsRequest corrected;
  corrected.set_status(v1::CORRECTED);
  EXPECT_EQ(list(corrected), std::vector<std::string>{"seed-article-loc-clashes"});
  v1::ListClaimsRequest novak_july;  // Bitemporal: Novak's statements of August, not July.
  novak_july.set_claimant("Alexander Novak");
  novak_july.mutable_said_from()->set_year(2015);
  novak_july.mutable_said_from()->set_month(7);
  novak_july.mutable_said_to()->set_year(2015);
  novak_july.mutable_said_to()->set_month(7);
  EXPECT_TRUE(list(novak_july).empty());
  v1::ListClaimsRequest novak_august = novak_july;
  novak_august.mutable_said_from()->set_month(8);
  novak_august.mutable_said_to()->set_month(8);
  EXPECT_EQ(list(novak_august).size(), 2u);
}

TEST_F(ClaimServiceTest, PagesDoNotShiftWhileClaimsAreAppended) {
  std::vector<std::string> seen;
  v1::ListClaimsRequest req;
  req.set_page_size(5);
  req.set_min_watermark(Everything());
  for (int page = 0; page < 10; ++page) {
    grpc::ClientContext ctx;
    v1::ListClaimsResponse resp;
    ASSERT_TRUE(claims_->ListClaims(&ctx, req, &resp).ok());
    for (const auto& c : resp.claims()) seen.push_back(c.claim_id());
    // A claim said in 2014 sorts first on the timeline: it must not appear in later pages.
    v1::Event e;
    auto* c = e.mutable_claim_asserted()->mutable_claim();
    c->mutable_claimant()->set_name("Late Claimant");
    c->mutable_statement()->set_text("Appended between pages " + std::to_string(page));
    c->mutable_said()->set_precision(v1::PartialDate::YEAR);
    c->mutable_said()->set_year(2014);
    c->mutable_source()->set_url("https://example.org/late");
    ASSERT_TRUE(log_->Append(client::SignEvent(kOrigin, "late-" + std::to_string(page), e,
                                               desk_)).ok());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen.size(), 16u);  // Exactly the seed claims, each once.
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(ClaimServiceTest, VerdictTallyCountsReviews) {
  ASSERT_TRUE(updater_->WaitForWatermark(Everything(), absl::Now() + absl::Seconds(10)).ok());
  grpc::ClientContext ctx;
  v1::GetVerdictTallyRequest req;
  req.set_claimant("Seed article (publisher not given)");
  v1::GetVerdictTallyResponse resp;
  ASSERT_TRUE(claims_->GetVerdictTally(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.total(), 1u);
  ASSERT_EQ(resp.counts_size(), 1);
  EXPECT_EQ(resp.counts(0).rating_text(), "Unproven");
}

TEST_F(ClaimServiceTest, LiveViewDigestsEqualAFreshRebuild) {
  ASSERT_TRUE(updater_->WaitForWatermark(Everything(), absl::Now() + absl::Seconds(10)).ok());
  v1::GetViewStatusRequest req;
  req.set_with_digests(true);
  v1::GetViewStatusResponse live;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(claims_->GetViewStatus(&ctx, req, &live).ok());
  }
  EXPECT_EQ(live.watermark(), Everything());
  served_->StopViews();
  ASSERT_TRUE(engine_->Rebuild(log_->store()).ok());
  v1::GetViewStatusResponse rebuilt;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(claims_->GetViewStatus(&ctx, req, &rebuilt).ok());
  }
  ASSERT_EQ(live.views_size(), rebuilt.views_size());
  ASSERT_EQ(live.views_size(), 3);  // claims, keys, claim_state
  for (int i = 0; i < live.views_size(); ++i) {
    EXPECT_EQ(live.views(i).name(), rebuilt.views(i).name());
    EXPECT_EQ(live.views(i).digest(), rebuilt.views(i).digest()) << live.views(i).name();
    EXPECT_EQ(live.views(i).records(), rebuilt.views(i).records());
  }
}

TEST_F(ClaimServiceTest, UnknownClaimIsNotFound) {
  grpc::ClientContext ctx;
  v1::GetClaimRequest req;
  req.set_claim_id("seed-correct-loc-clashes");  // A correction's id is not a claim id.
  req.set_min_watermark(Everything());
  v1::GetClaimResponse resp;
  grpc::Status s = claims_->GetClaim(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
}

// Claim matching over the wire on the seed article: a reworded statement finds the seed claim
// with its status and verdicts; filters and limits hold; bad requests name their field.
TEST_F(ClaimServiceTest, MatchClaimsFindsTheSeedClaimAndRefusesBadRequests) {
  v1::MatchClaimsRequest req;
  req.set_text("Novak said the pipeline is ready to be signed");
  req.set_min_watermark(Everything());
  v1::MatchClaimsResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(claims_->MatchClaims(&ctx, req, &resp).ok());
  }
  ASSERT_GE(resp.matches_size(), 1);
  const v1::ClaimMatch& best = resp.matches(0);
  EXPECT_EQ(best.claim().claim().claimant().name(), "Alexander Novak");
  EXPECT_NE(best.claim().claim().statement().text().find("pipeline"), std::string::npos);
  EXPECT_GE(best.score(), 0.70);
  EXPECT_EQ(resp.min_score(), 0.70);
  EXPECT_EQ(resp.more(), 0u);
  EXPECT_GE(resp.claims_indexed(), 10u);
  EXPECT_EQ(resp.read_point().watermark(), Everything());

  // Another claimant's filter: nothing (the statement is Novak's).
  req.set_claimant("Sergei Ryabkov");
  {
    grpc::ClientContext ctx;
    v1::MatchClaimsResponse filtered;
    ASSERT_TRUE(claims_->MatchClaims(&ctx, req, &filtered).ok());
    EXPECT_EQ(filtered.matches_size(), 0);
  }
  req.clear_claimant();

  struct Bad {
    std::function<void(v1::MatchClaimsRequest*)> edit;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {[](v1::MatchClaimsRequest* r) { r->clear_text(); }, "text"},
      {[](v1::MatchClaimsRequest* r) { r->set_text(std::string(16 * 1024 + 1, 'a')); }, "text"},
      {[](v1::MatchClaimsRequest* r) { r->set_min_score(1.5); }, "min_score"},
      {[](v1::MatchClaimsRequest* r) { r->set_limit(101); }, "limit"},
      {[](v1::MatchClaimsRequest* r) { r->mutable_said_from()->set_year(2016);
                                       r->mutable_said_to()->set_year(2015); }, "said_from"},
  };
  for (const Bad& b : bad) {
    v1::MatchClaimsRequest r = req;
    b.edit(&r);
    grpc::ClientContext ctx;
    v1::MatchClaimsResponse ignored;
    grpc::Status s = claims_->MatchClaims(&ctx, r, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << b.field;
    EXPECT_EQ(testing::ErrorReasonAndField(s).second, b.field) << s.error_message();
  }
}

// The claim-state map's RPCs refuse bad requests naming the field before anything else, and a
// server without a map (this one) says so with MAP_NOT_COMMITTED rather than a wrong answer.
TEST_F(ClaimServiceTest, MapProofRequestsRefuseBadFieldsAndNeedAMap) {
  struct Bad {
    v1::ProveStateRequest req;
    grpc::StatusCode code;
    std::string reason, field;
  };
  std::vector<Bad> bad(4);
  bad[0] = {{}, grpc::StatusCode::INVALID_ARGUMENT, "FIELD_REQUIRED", "subject"};
  bad[1].req.set_key_id(std::string(31, 'k'));
  bad[1].code = grpc::StatusCode::INVALID_ARGUMENT, bad[1].reason = "INVALID_FIELD", bad[1].field = "key_id";
  bad[2].req.set_claim_id(std::string(129, 'c'));
  bad[2].code = grpc::StatusCode::INVALID_ARGUMENT, bad[2].reason = "INVALID_FIELD", bad[2].field = "claim_id";
  bad[3].req.set_claim_id("seed-novak-pipeline-ready");
  bad[3].code = grpc::StatusCode::UNAVAILABLE, bad[3].reason = "MAP_NOT_COMMITTED", bad[3].field = "";
  for (const Bad& b : bad) {
    grpc::ClientContext ctx;
    v1::ProveStateResponse ignored;
    grpc::Status s = claims_->ProveState(&ctx, b.req, &ignored);
    EXPECT_EQ(s.error_code(), b.code) << b.field << ": " << s.error_message();
    EXPECT_EQ(testing::ErrorReasonAndField(s), std::make_pair(b.reason, b.field));
  }
  {
    grpc::ClientContext ctx;
    v1::ListMapCheckpointsRequest req;
    req.set_page_size(1001);
    v1::ListMapCheckpointsResponse ignored;
    grpc::Status s = claims_->ListMapCheckpoints(&ctx, req, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(testing::ErrorReasonAndField(s),
              std::make_pair(std::string("LIMIT_EXCEEDED"), std::string("page_size")));
  }
  {
    grpc::ClientContext ctx;
    v1::GetClaimRequest req;
    req.set_claim_id("seed-novak-pipeline-ready");
    req.set_with_proof(true);
    req.mutable_as_of()->set_sequence(3);
    v1::GetClaimResponse ignored;
    grpc::Status s = claims_->GetClaim(&ctx, req, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(testing::ErrorReasonAndField(s).second, "as_of");
  }
}

}  // namespace
}  // namespace ledger
