#include "tests/fuzz/sample_log.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "ledger/client/event_signer.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "sample log: " << what << "\n";
  std::abort();
}

v1::AppendRequest One(absl::string_view id, const v1::Event& event, int key) {
  v1::AppendRequest r;
  *r.mutable_event() = client::SignEvent(kOrigin, id, event, SignerKey(key));
  return r;
}

}  // namespace

v1::Event SampleClaimEvent(absl::string_view text) {
  v1::Event event;
  v1::Claim* c = event.mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name("Alexander Novak");
  c->mutable_claimant()->set_kind(v1::Claimant::PERSON);
  c->mutable_claimant()->set_role("Energy Minister");
  c->mutable_claimant()->set_affiliation("Government of Russia");
  c->mutable_statement()->set_text(std::string(text));
  c->mutable_statement()->set_attribution(v1::DIRECT_QUOTE);
  c->mutable_statement()->set_language("en");
  c->mutable_said()->set_precision(v1::PartialDate::DAY);
  c->mutable_said()->set_year(2015);
  c->mutable_said()->set_month(8);
  c->mutable_said()->set_day(24);
  c->mutable_said()->set_as_stated("24 August 2015");
  v1::Source* s = c->mutable_source();
  s->set_url("https://example.org/seed/pipeline");
  s->set_title("Russia and Pakistan");
  s->set_publisher("Example News");
  s->set_published_time_micros(1440374400000000);
  s->set_retrieved_time_micros(1764979200000000);
  s->set_archive_url("https://archive.example.org/seed/pipeline");
  s->set_content_sha256(std::string(32, '\x5a'));
  s->mutable_quote()->set_exact(std::string(text.substr(0, 20)));
  c->add_topics("energy");
  c->add_topics("pipelines");
  c->add_entities()->set_name("North-South pipeline");
  c->mutable_entities(0)->set_stable_id("wikidata:Q000");
  c->set_venue("press conference");
  return event;
}

v1::Event KeyRegisteredEvent(const crypto::PublicKey& key, v1::KeyRegistered::Role role) {
  v1::Event event;
  auto* k = event.mutable_key_registered();
  k->set_public_key(std::string(crypto::AsStringView(key)));
  k->set_role(role);
  k->set_holder("Desk A");
  return event;
}

v1::Event KeyRevokedEvent(const crypto::PublicKey& key) {
  v1::Event event;
  event.mutable_key_revoked()->set_key_id(KeyIdOf(key));
  event.mutable_key_revoked()->set_reason("rotated");
  return event;
}

std::vector<v1::AppendRequest> SampleRequests() {
  std::vector<v1::AppendRequest> out;
  out.push_back(One("reg-1", KeyRegisteredEvent(SignerKey(1).public_key(), v1::KeyRegistered::SUBMITTER), 0));
  out.push_back(One("reg-2", KeyRegisteredEvent(SignerKey(2).public_key(), v1::KeyRegistered::ADMIN), 0));
  out.push_back(One("claim-1", SampleClaimEvent("The pipeline agreement is ready for signing."), 1));
  out.push_back(One("claim-2", SampleClaimEvent("The project will cost 2 billion dollars."), 0));
  {
    v1::Event e;
    auto* c = e.mutable_claim_corrected();
    c->set_corrects_claim_id("claim-1");
    *c->mutable_claim() = SampleClaimEvent("The pipeline agreement is ready.").claim_asserted().claim();
    c->set_reason("the quote was shortened");
    out.push_back(One("corr-1", e, 1));
  }
  {
    v1::Event e;
    auto* r = e.mutable_claim_reviewed();
    r->set_claim_id("claim-1");
    r->set_rating_value(2);
    r->set_best_rating(5);
    r->set_worst_rating(0);
    r->set_rating_text("Unproven");
    r->set_reviewer("Example Fact Desk");
    r->set_review_url("https://example.org/review/1");
    r->set_review_time_micros(1764979200000000);
    r->set_explanation("no second source");
    out.push_back(One("review-1", e, 2));
  }
  {
    v1::Event e;
    e.mutable_claim_retracted()->set_claim_id("claim-2");
    e.mutable_claim_retracted()->set_reason("wrong article");
    out.push_back(One("retract-2", e, 0));
  }
  {
    std::vector<std::pair<std::string, std::string>> items;
    for (int i = 1; i <= 3; ++i) {
      items.emplace_back("b-" + std::to_string(i),
                         client::SerializeEvent(SampleClaimEvent("Batch claim " + std::to_string(i))));
    }
    v1::AppendRequest r;
    *r.mutable_batch() = client::SignBatch(kOrigin, "batch-1", items, SignerKey(1));
    out.push_back(r);
  }
  out.push_back(One("revoke-1", KeyRevokedEvent(SignerKey(1).public_key()), 2));
  return out;
}

LogUnderTest::LogUnderTest() : clock(kNowMicros) {
  auto owned = std::make_unique<store::MemoryLogStore>();
  store = owned.get();
  core::LogOptions options;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<core::Log>> opened =
      core::Log::Open(std::move(owned), Identity(), LogKey(), options);
  if (!opened.ok()) Die(opened.status().ToString());
  log = *std::move(opened);
}

std::unique_ptr<LogUnderTest> BuildSampleLog() {
  auto t = std::make_unique<LogUnderTest>();
  for (const v1::AppendRequest& r : SampleRequests()) {
    if (r.has_batch()) {
      auto results = t->log->AppendSignedBatch(r.batch());
      if (!results.ok()) Die(results.status().ToString());
    } else {
      auto result = t->log->Append(r.event());
      if (!result.ok()) Die(result.status().ToString());
    }
    t->clock.Advance(1000);
  }
  return t;
}

const LogUnderTest& SharedSampleLog() {
  static const LogUnderTest* shared = BuildSampleLog().release();
  return *shared;
}

std::vector<std::string> LeafDatas(const core::Log& log) {
  std::vector<std::string> out;
  const TreeSize n = log.Head().tree_size;
  for (SequenceNumber i = 0; i < n; ++i) {
    absl::StatusOr<core::LogEntry> e = log.GetEntry(i);
    if (!e.ok()) Die(e.status().ToString());
    out.push_back(e->leaf_data);
  }
  return out;
}

}  // namespace ledger::fuzz
