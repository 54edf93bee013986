// schema.org ClaimReview out of the ledger, with proofs a consumer checks offline
// (docs/cli.md, "export --format claimreview").
//
// Every verdict (a claim_reviewed entry) becomes one ClaimReview in JSON-LD: the reviewer as
// author, the rating (alternateName, and ratingValue/bestRating/worstRating), the review's url
// and date, and the claim it reviewed as the version current when the review was recorded
// (claimReviewed = its statement; itemReviewed = a Claim with its author, Person or
// Organization, with jobTitle; its appearance and firstAppearance = the source). Under
// "factledger:proof" each item carries two proof bundles (bundle.h's members, as JSON values):
// "review", the verdict's own entry, and "claim", the entry of the claim version it reviewed.
//
// Verifying an item (VerifyClaimReview) trusts only the log key: both bundles verify
// (signature, inclusion, signed checkpoint); the review entry is a claim_reviewed of the claim
// entry's claim (its event id, or the id a correction corrects); and every schema.org value
// the item states about them equals what the signed events say. An edited rating, reviewer,
// statement or claimant fails, as does a proof of another verdict. What two entries cannot
// prove: that no correction of the claim came between the proven version and the verdict
// (the exporter takes the version current at the verdict; VerifiedClaimReview says which
// version was proven, and `ledgerctl verify` of the whole log settles the rest).
//
// Documents (ParseClaimReviewDocument) may be one item, a JSON array of items, JSON Lines (one
// item per line), an object with "@graph", or a schema.org DataFeed (dataFeedElement; an
// element may wrap its item under "item").
#ifndef CLI_CLAIMREVIEW_H_
#define CLI_CLAIMREVIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/bundle.h"
#include "ledger/format/checkpoint.h"
#include "ledger/v1/claim.pb.h"
#include "nlohmann/json.hpp"

namespace ledger::cli {

// The JSON-LD namespace of the proof property (a term of the item's @context).
inline constexpr absl::string_view kClaimReviewProofProperty = "factledger:proof";
inline constexpr absl::string_view kFactledgerNamespace = "https://factledger.dev/ns/v1#";

// One verdict with what it reviewed, and the proofs of both entries.
struct ClaimReviewSource {
  std::string claim_id;
  ledger::v1::Claim claim;  // the version current when the review was recorded
  ledger::v1::ClaimReviewed review;
  int64_t review_recorded_micros = 0;
  ProofBundle review_proof;
  ProofBundle claim_proof;
};

// The ClaimReview JSON-LD object of `source` (with its @context).
nlohmann::ordered_json ClaimReviewJson(const ClaimReviewSource& source);
// A schema.org DataFeed of `items` (their own @context removed; the feed's applies).
nlohmann::ordered_json ClaimReviewFeed(std::vector<nlohmann::ordered_json> items);

// The items of a document (see the header). InvalidArgument naming the line or index and what
// is wrong when it is not JSON or holds no ClaimReview.
absl::StatusOr<std::vector<nlohmann::ordered_json>> ParseClaimReviewDocument(absl::string_view document);

struct VerifiedClaimReview {
  std::string claim_id;
  VerifiedBundle review;
  VerifiedBundle claim;
};

// Checks one item against the log key (see the header). DataLoss naming the first property
// that differs or proof that fails.
absl::StatusOr<VerifiedClaimReview> VerifyClaimReview(const nlohmann::ordered_json& item,
                                                      const format::NoteVerifier& log_key);

// ---- ClaimReview in (`ledgerctl import --format claimreview`) ------------------------------
//
// One item becomes two events: the claim (claim_asserted) and the verdict on it
// (claim_reviewed). Their ids are derived from their bytes ("cr-" and 32 hex digits of the
// SHA-256 of the deterministic serialisation of the event), so re-importing an item appends
// nothing new, and two items about the same claim (same statement, claimant, date and source)
// share its claim event. Mapping (docs/cli.md, "import"):
//   claimReviewed                      -> statement.text (attribution PARAPHRASE)
//   itemReviewed.author (.name, @type Person/Organization, jobTitle, affiliation.name,
//     identifier)                      -> claimant (name required)
//   itemReviewed.datePublished         -> said ("2015", "2015-08", "2015-08-12", or a date-time)
//   itemReviewed.firstAppearance, else the first of itemReviewed.appearance (an object with
//     url, headline, publisher.name, datePublished; or a URL string) -> source; with neither,
//     the review's url is the source ("as cited by" the reviewer)
//   reviewRating.alternateName         -> rating_text (required); ratingValue with bestRating
//     and worstRating (all three or none; integers, or strings of integers) -> the numbers
//   author.name (or author as a string) -> reviewer (required); url -> review_url;
//   datePublished -> review_time_micros; reviewBody -> explanation
// A property of the wrong type, a required one missing, or an unknown rating scale is
// InvalidArgument naming the property. The events are not checked against the admission
// limits here (the importer checks every event it signs).
absl::StatusOr<std::vector<ledger::v1::EventDraft>> ClaimReviewDrafts(
    const nlohmann::ordered_json& item);

}  // namespace ledger::cli

#endif  // CLI_CLAIMREVIEW_H_
