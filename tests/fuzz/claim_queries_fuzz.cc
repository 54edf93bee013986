// Queries of the claim views through the real ClaimService adapter (service/claim_service.h):
// request messages and, above all, page tokens -- opaque bytes a client sends back, decoded by
// ledger/views/queries.cc. The views are those of the 11-entry sample log (a MemoryViewStore
// caught up once per process).
//
// Input: up to 8 operations, each an op byte and a u16-length-prefixed payload. op % 7:
//   0 GetClaim (GetClaimRequest)
//   1 ListClaims (ListClaimsRequest), then every next page with the token it returns
//   2 ListClaims, then the second page with the token mutated by the next input bytes
//   3 GetVerdictTally   4 GetKey   5 GetViewStatus
//   6 MatchClaims (MatchClaimsRequest): any text goes through the match terms (match_text.h)
//     and the index; matches are best first, scored in [min_score, 1], at most `limit`.
// Invariants: following the tokens ends, never repeats a claim and never exceeds the page
// size, at one read point; GetClaim answers for the claim asked; a forged or mutated token is
// refused or read, never a crash.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/views/claim_views.h"
#include "ledger/views/match_index.h"
#include "ledger/views/view_engine.h"
#include "ledger/views/view_store.h"
#include "service/claim_service.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

namespace v1 = ledger::v1;

struct Views {
  std::unique_ptr<views::ViewEngine> engine;
  std::unique_ptr<views::MatchIndex> match;
  std::unique_ptr<service::ClaimServiceImpl> service;
};

Views& SharedViews() {
  static Views* v = [] {
    auto* out = new Views;
    const store::LogStore& store = SharedSampleLog().log->store();
    absl::StatusOr<std::unique_ptr<views::ViewEngine>> engine = views::ViewEngine::Open(
        std::make_unique<views::MemoryViewStore>(), views::DefaultProjections());
    if (!engine.ok()) std::abort();
    out->engine = *std::move(engine);
    absl::StatusOr<views::CatchUpResult> caught_up = out->engine->CatchUp(store);
    if (!caught_up.ok() || caught_up->watermark != store.Head().tree_size) std::abort();
    absl::StatusOr<std::unique_ptr<views::MatchIndex>> match =
        views::AttachMatchIndex(out->engine.get());
    if (!match.ok() || (*match)->size() == 0) std::abort();
    out->match = *std::move(match);
    out->service = std::make_unique<service::ClaimServiceImpl>(out->engine.get(), nullptr, &store,
                                                               out->match.get());
    return out;
  }();
  return *v;
}

void ListAll(service::ClaimServiceImpl& svc, v1::ListClaimsRequest req, Input* in, bool mutate) {
  req.set_min_watermark(0);  // never wait
  const int page_size = req.page_size() == 0 ? 100 : req.page_size();
  std::set<std::string> seen;
  uint64_t as_of_size = 0;
  for (int page = 0;; ++page) {
    v1::ListClaimsResponse resp;
    const grpc::Status s = svc.ListClaims(nullptr, &req, &resp);
    if (!mutate || page == 0) {
      FUZZ_EXPECT_VALID(
          absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
    }
    if (!s.ok()) return;
    FUZZ_CHECK(page < 16);  // 6 claims in the sample: the pages must end
    FUZZ_CHECK(resp.claims_size() <= page_size);
    if (page == 0) {
      as_of_size = resp.read_point().as_of_size();
    } else if (!mutate) {
      FUZZ_CHECK(resp.read_point().as_of_size() == as_of_size);
    }
    for (const v1::ClaimSummary& c : resp.claims()) {
      if (!mutate) FUZZ_CHECK_MSG(seen.insert(c.claim_id()).second, "a claim on two pages: " + c.claim_id());
    }
    if (resp.next_page_token().empty()) return;
    std::string token = resp.next_page_token();
    if (mutate) {
      if (page > 0) return;
      for (int i = 0, n = 1 + in->U8() % 4; i < n; ++i) {
        const size_t at = in->Below(token.size() + 1);
        const uint8_t x = in->U8();
        if (at == token.size()) {
          token.push_back(static_cast<char>(x));
        } else if (x == 0) {
          token.erase(at, 1);
        } else {
          token[at] ^= static_cast<char>(x);
        }
      }
    }
    req.set_page_token(token);
  }
}

void Op(uint8_t op, const std::string& payload, Input* in) {
  service::ClaimServiceImpl& svc = *SharedViews().service;
  switch (op % 7) {
    case 0: {
      v1::GetClaimRequest req;
      if (!req.ParseFromString(payload)) return;
      req.set_min_watermark(0);
      v1::GetClaimResponse resp;
      const grpc::Status s = svc.GetClaim(nullptr, &req, &resp);
      FUZZ_EXPECT_VALID(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
      if (s.ok()) FUZZ_CHECK(resp.claim().claim_id() == req.claim_id());
      break;
    }
    case 1:
    case 2: {
      v1::ListClaimsRequest req;
      if (!req.ParseFromString(payload)) return;
      ListAll(svc, req, in, op % 6 == 2);
      break;
    }
    case 3: {
      v1::GetVerdictTallyRequest req;
      if (!req.ParseFromString(payload)) return;
      v1::GetVerdictTallyResponse resp;
      const grpc::Status s = svc.GetVerdictTally(nullptr, &req, &resp);
      FUZZ_EXPECT_VALID(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
      if (s.ok()) {
        uint64_t total = 0;
        for (const auto& c : resp.counts()) total += c.count();
        FUZZ_CHECK(total == resp.total());
      }
      break;
    }
    case 4: {
      v1::GetKeyRequest req;
      if (!req.ParseFromString(payload)) return;
      v1::GetKeyResponse resp;
      const grpc::Status s = svc.GetKey(nullptr, &req, &resp);
      FUZZ_EXPECT_VALID(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
      if (s.ok()) FUZZ_CHECK(resp.key_id() == req.key_id());
      break;
    }
    case 5: {
      v1::GetViewStatusRequest req;
      if (!req.ParseFromString(payload)) return;
      v1::GetViewStatusResponse resp;
      FUZZ_CHECK(svc.GetViewStatus(nullptr, &req, &resp).ok());
      FUZZ_CHECK(resp.watermark() == resp.tree_size());
      break;
    }
    default: {
      v1::MatchClaimsRequest req;
      if (!req.ParseFromString(payload)) return;
      req.set_min_watermark(0);
      v1::MatchClaimsResponse resp;
      const grpc::Status s = svc.MatchClaims(nullptr, &req, &resp);
      FUZZ_EXPECT_VALID(absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
      if (!s.ok()) return;
      const int limit = req.limit() == 0 ? 10 : req.limit();
      FUZZ_CHECK(resp.matches_size() <= limit);
      double last = 2;
      for (const v1::ClaimMatch& m : resp.matches()) {
        FUZZ_CHECK(m.score() >= resp.min_score() && m.score() <= 1.0 + 1e-9);
        FUZZ_CHECK(m.score() <= last);
        FUZZ_CHECK(!m.matched_terms().empty());
        last = m.score();
      }
      break;
    }
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  for (int i = 0; i < 8 && !in.empty(); ++i) {
    const uint8_t op = in.U8();
    const std::string payload = in.Blob();
    ledger::fuzz::Op(op, payload, &in);
  }
  return 0;
}
