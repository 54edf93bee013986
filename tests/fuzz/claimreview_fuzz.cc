// ClaimReview JSON-LD as `ledgerctl bundle verify` reads it (cli/claimreview.h): any bytes as a
// document (one item, an array, JSON Lines, @graph, a DataFeed), every item verified against
// the sample log's checkpoint key.
//
// Invariants: a document is refused only with INVALID_ARGUMENT, an item only with DATA_LOSS;
// an item that verifies proves a claim_reviewed entry of the proven claim, recorded after that
// claim version, whose rating text and reviewer are the ones the item states; and the item
// rebuilt from what was verified (ClaimReviewJson) verifies too. Every item also goes through
// the import mapping (ClaimReviewDrafts): refused only with INVALID_ARGUMENT naming a field; or
// two drafts, a claim and a verdict on it, with "cr-" ids, the same on a second call.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"
#include "cli/claimreview.h"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

void Check(const std::string& doc) {
  absl::StatusOr<std::vector<nlohmann::ordered_json>> items = cli::ParseClaimReviewDocument(doc);
  if (!items.ok()) {
    FUZZ_CHECK_MSG(absl::IsInvalidArgument(items.status()), items.status().ToString());
    return;
  }
  FUZZ_CHECK(!items->empty());
  for (const nlohmann::ordered_json& item : *items) {
    absl::StatusOr<std::vector<ledger::v1::EventDraft>> drafts = cli::ClaimReviewDrafts(item);
    if (!drafts.ok()) {
      FUZZ_CHECK_MSG(absl::IsInvalidArgument(drafts.status()) && !ErrorField(drafts.status()).empty(),
                     drafts.status().ToString());
    } else {
      FUZZ_CHECK(drafts->size() == 2);
      FUZZ_CHECK((*drafts)[0].event().has_claim_asserted());
      FUZZ_CHECK((*drafts)[1].event().claim_reviewed().claim_id() == (*drafts)[0].event_id());
      FUZZ_CHECK(absl::StartsWith((*drafts)[0].event_id(), "cr-"));
      absl::StatusOr<std::vector<ledger::v1::EventDraft>> again = cli::ClaimReviewDrafts(item);
      FUZZ_CHECK(again.ok() && (*again)[1].event_id() == (*drafts)[1].event_id());
    }
    absl::StatusOr<cli::VerifiedClaimReview> v = cli::VerifyClaimReview(item, Verifier());
    if (!v.ok()) {
      FUZZ_CHECK_MSG(absl::IsDataLoss(v.status()), v.status().ToString());
      continue;
    }
    FUZZ_CHECK(v->review.event.has_claim_reviewed());
    const auto& r = v->review.event.claim_reviewed();
    FUZZ_CHECK(r.claim_id() == v->claim_id);
    FUZZ_CHECK(v->claim.bundle.sequence < v->review.bundle.sequence);
    FUZZ_CHECK(item["reviewRating"]["alternateName"] == r.rating_text());
    FUZZ_CHECK(item["author"]["name"] == r.reviewer());
    cli::ClaimReviewSource s;
    s.claim_id = v->claim_id;
    s.claim = v->claim.event.has_claim_asserted() ? v->claim.event.claim_asserted().claim()
                                                  : v->claim.event.claim_corrected().claim();
    s.review = r;
    s.review_recorded_micros = v->review.recorded_time_micros;
    s.review_proof = v->review.bundle;
    s.claim_proof = v->claim.bundle;
    absl::StatusOr<cli::VerifiedClaimReview> again =
        cli::VerifyClaimReview(cli::ClaimReviewJson(s), Verifier());
    FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  }
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Check(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
