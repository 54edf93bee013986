// Property tests of replay (STYLE.md: replay(prefix) + replay(rest) == replay(all)):
// for random event sequences that respect the lifecycle rules (asserts, corrections,
// retractions, reviews, key registrations and revocations), built through the real core::Log:
//   - replaying a prefix and then the rest gives the same bytes as replaying everything;
//   - views caught up live (at random points, in random batch sizes) equal a fresh Rebuild;
//   - every claim's status in the views equals the status a simple model computes.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/views/queries.h"
#include "ledger/views/view_engine.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "tests/views/view_test_util.h"

namespace ledger::views {
namespace {

using testing::AllDigests;
using testing::ClaimSpec;
using testing::CountingLogStore;
using testing::KeyFromSeed;
using testing::NewMemoryEngine;
using testing::TestLedger;

const char* const kClaimants[] = {"Sergei Ryabkov", "Alexander Novak", "political observers",
                                  "SERGEI RYABKOV"};
const char* const kTopics[] = {"defence", "Energy", "energy", "trade"};
const char* const kRatings[] = {"True", "False", "Half true"};

struct ModelClaim {
  std::string id;
  crypto::Ed25519PrivateKey submitter;
  ClaimStatus status = ClaimStatus::kActive;
};

// Interprets random words as a valid event sequence and appends it, catching `live` up at some
// of the points the words choose.
class Scenario {
 public:
  explicit Scenario(ViewEngine* live) : live_(live) {}

  void Run(const std::vector<uint32_t>& words) {
    for (uint32_t w : words) {
      Step(w);
      if ((w >> 28) == 0xf) {
        absl::StatusOr<CatchUpResult> r = live_->CatchUp(ledger_.store());
        RC_ASSERT(r.ok());
      }
    }
  }

  TestLedger& ledger() { return ledger_; }
  const std::vector<ModelClaim>& claims() const { return claims_; }

 private:
  ClaimSpec RandomClaim(uint32_t w) const {
    ClaimSpec spec;
    spec.claimant = kClaimants[w % 4];
    if ((w >> 2) % 5 == 0) spec.claimant_id = "Q313330";
    spec.text = absl::StrCat("statement ", w % 97);
    const int said = (w >> 5) % 4;
    if (said > 0) {
      spec.said_year = 2015;
      spec.said_month = said >= 2 ? 6 + (w >> 7) % 3 : 0;
      spec.said_day = said == 3 ? 1 + (w >> 9) % 28 : 0;
    }
    for (int t = 0; t < 4; ++t) {
      if ((w >> (14 + t)) & 1) spec.topics.push_back(kTopics[t]);
    }
    if ((w >> 18) & 1) spec.entities = {"India", "Pakistan"};
    if ((w >> 19) & 1) spec.publisher = (w >> 20) & 1 ? "Example News" : "example news";
    spec.url = absl::StrCat("https://example.org/", (w >> 21) % 3);
    return spec;
  }

  // A key that may sign claim events now.
  const crypto::Ed25519PrivateKey& AnySigner(uint32_t w) const {
    if (active_.empty() || w % 3 == 0) return admin_;
    return active_[w % active_.size()];
  }
  bool IsActive(const crypto::Ed25519PrivateKey& k) const {
    for (const auto& a : active_) {
      if (a.public_key() == k.public_key()) return true;
    }
    return k.public_key() == admin_.public_key();
  }

  void Append(const ledger::v1::Event& event, const crypto::Ed25519PrivateKey& key) {
    const std::string id = absl::StrCat("e", next_id_++);
    absl::StatusOr<core::AppendResult> r = ledger_.Append(id, event, key);
    RC_ASSERT(r.ok());
  }

  void Step(uint32_t w) {
    const uint32_t op = w % 16;
    const uint32_t arg = w >> 4;
    std::vector<size_t> open;  // claims that are not retracted
    for (size_t i = 0; i < claims_.size(); ++i) {
      if (claims_[i].status != ClaimStatus::kRetracted) open.push_back(i);
    }
    if (op < 5 || claims_.empty()) {  // assert
      const crypto::Ed25519PrivateKey& key = AnySigner(arg);
      const std::string id = absl::StrCat("e", next_id_);
      Append(testing::AssertEvent(RandomClaim(arg)), key);
      claims_.push_back(ModelClaim{id, key});
    } else if (op < 8 && !open.empty()) {  // correct
      ModelClaim& c = claims_[open[arg % open.size()]];
      const crypto::Ed25519PrivateKey& key = IsActive(c.submitter) ? c.submitter : admin_;
      Append(testing::CorrectEvent(c.id, RandomClaim(arg * 2654435761u)), key);
      c.status = ClaimStatus::kCorrected;
    } else if (op < 9 && !open.empty()) {  // retract
      ModelClaim& c = claims_[open[arg % open.size()]];
      const crypto::Ed25519PrivateKey& key = IsActive(c.submitter) ? c.submitter : admin_;
      Append(testing::RetractEvent(c.id), key);
      c.status = ClaimStatus::kRetracted;
    } else if (op < 12) {  // review, any claim (retracted ones too)
      const ModelClaim& c = claims_[arg % claims_.size()];
      Append(testing::ReviewEvent(c.id, kRatings[arg % 3], arg & 8 ? "PolitiFact" : "Desk B"),
             AnySigner(arg >> 3));
    } else if (op < 13 && (arg & 32) && open.size() >= 2) {  // relate two live claims
      const ModelClaim& a = claims_[open[arg % open.size()]];
      const ModelClaim& b = claims_[open[(arg / 7 + 1 + arg % open.size()) % open.size()]];
      if (a.id != b.id) {
        ledger::v1::Event e;
        auto* r = e.mutable_claim_related();
        r->set_claim_id(a.id);
        r->set_related_claim_id(b.id);
        r->set_relation(arg & 64 ? ledger::v1::ClaimRelated::CONTRADICTS
                                 : ledger::v1::ClaimRelated::SUPPORTS);
        r->set_reviewer("Desk B");
        Append(e, AnySigner(arg >> 3));
      }
    } else if (op < 13) {  // an appearance, any claim (retracted ones too)
      const ModelClaim& c = claims_[arg % claims_.size()];
      Append(testing::AppearEvent(c.id, absl::StrCat("https://outlet", arg % 4, ".example/", arg),
                                  arg & 16 ? "" : absl::StrCat("Outlet ", arg % 4)),
             AnySigner(arg >> 3));
    } else if (op < 15 && registered_ < 6) {  // register a submitter
      crypto::Ed25519PrivateKey key = KeyFromSeed(static_cast<uint8_t>(0x40 + registered_++));
      Append(testing::RegisterEvent(key.public_key()), admin_);
      active_.push_back(key);
    } else if (!active_.empty()) {  // revoke a submitter
      const size_t i = arg % active_.size();
      Append(testing::RevokeEvent(active_[i].public_key()), admin_);
      active_.erase(active_.begin() + i);
    }
  }

  ViewEngine* live_;
  TestLedger ledger_;
  crypto::Ed25519PrivateKey admin_ = testing::AdminKey();
  std::vector<crypto::Ed25519PrivateKey> active_;
  int registered_ = 0;
  int next_id_ = 0;
  std::vector<ModelClaim> claims_;
};

RC_GTEST_PROP(ViewReplayProperty, PrefixThenRestEqualsAllAndLiveEqualsRebuild,
              (const std::vector<uint32_t>& words, uint32_t split, uint8_t batch)) {
  // `live` and `halves` apply their views in 1-4 lanes (threads); `all`, the reference, in one.
  std::unique_ptr<ViewEngine> live = NewMemoryEngine(1 + batch % 5, 1 + batch / 64);
  Scenario scenario(live.get());
  scenario.Run(words);
  const store::LogStore& log = scenario.ledger().store();
  const TreeSize n = log.Head().tree_size;

  std::unique_ptr<ViewEngine> all = NewMemoryEngine(1024, /*lanes=*/1);
  RC_ASSERT(all->CatchUp(log).ok());
  const std::map<std::string, Hash> expected = AllDigests(*all);

  // replay(prefix) then replay(rest).
  CountingLogStore clipped(&log);
  clipped.set_limit(split % (n + 1));
  std::unique_ptr<ViewEngine> halves = NewMemoryEngine(1 + split % 7, 1 + (split >> 8) % 4);
  RC_ASSERT(halves->CatchUp(clipped).ok());
  RC_ASSERT(halves->Watermark() == split % (n + 1));
  clipped.set_limit(std::nullopt);
  RC_ASSERT(halves->CatchUp(clipped).ok());
  RC_ASSERT(AllDigests(*halves) == expected);

  // Live (caught up at random points) == rebuilt.
  RC_ASSERT(live->CatchUp(log).ok());
  RC_ASSERT(AllDigests(*live) == expected);
  RC_ASSERT(live->Rebuild(log).ok());
  RC_ASSERT(AllDigests(*live) == expected);

  // The claims view agrees with the model.
  ViewQueries queries(&all->store(), &log);
  for (const ModelClaim& c : scenario.claims()) {
    absl::StatusOr<ClaimDetails> d = queries.GetClaim(c.id);
    RC_ASSERT(d.ok());
    RC_ASSERT(d->status == c.status);
  }
}

}  // namespace
}  // namespace ledger::views
