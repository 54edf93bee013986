#include "cli/claimreview.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "ledger/base/error.h"
#include "ledger/base/status_macros.h"

namespace ledger::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string IsoTime(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// A PartialDate at its precision: "2015", "2015-08", "2015-08-12"; "" when unknown.
std::string IsoPartialDate(const ledger::v1::PartialDate& d) {
  if (d.year() == 0) return "";
  if (d.month() == 0) return absl::StrFormat("%04d", d.year());
  if (d.day() == 0) return absl::StrFormat("%04d-%02d", d.year(), d.month());
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

Json Context() {
  return Json::array({"https://schema.org", {{"factledger", std::string(kFactledgerNamespace)}}});
}

Json BundleJson(const ProofBundle& b) {
  // The members of the bundle format (docs/cli.md), as JSON values.
  return Json::parse(EncodeBundle(b));
}

Json Appearance(const ledger::v1::Source& s) {
  Json a = {{"@type", "CreativeWork"}, {"url", s.url()}};
  if (!s.title().empty()) a["headline"] = s.title();
  if (!s.publisher().empty()) a["publisher"] = {{"@type", "Organization"}, {"name", s.publisher()}};
  if (s.published_time_micros() != 0) a["datePublished"] = IsoTime(s.published_time_micros());
  if (!s.archive_url().empty()) a["archivedAt"] = s.archive_url();
  return a;
}

absl::Status Differs(absl::string_view property, const std::string& stated,
                     const std::string& signed_value) {
  return absl::DataLossError(absl::StrCat(property, " is \"", stated, "\" but the signed event says \"",
                                          signed_value, "\""));
}

// The string at `path` in `item` ("" when absent); InvalidArgument when it is not a string.
absl::StatusOr<std::string> StringAt(const Json& item, const std::vector<std::string>& path,
                                     absl::string_view name) {
  const Json* v = &item;
  for (const std::string& key : path) {
    if (!v->is_object() || !v->contains(key)) return std::string();
    v = &(*v)[key];
  }
  if (!v->is_string()) return absl::DataLossError(absl::StrCat(name, " is not a string"));
  return v->get<std::string>();
}

absl::StatusOr<ProofBundle> BundleFromJson(const Json& item, const char* which) {
  if (!item.is_object() || !item.contains(std::string(kClaimReviewProofProperty)) ||
      !item[std::string(kClaimReviewProofProperty)].is_object()) {
    return absl::DataLossError(absl::StrCat(kClaimReviewProofProperty, " is missing"));
  }
  const Json& proof = item[std::string(kClaimReviewProofProperty)];
  if (!proof.contains(which) || !proof[which].is_object()) {
    return absl::DataLossError(absl::StrCat(kClaimReviewProofProperty, ".", which, " is missing"));
  }
  absl::StatusOr<ProofBundle> b = DecodeBundle(proof[which].dump() + "\n");
  if (!b.ok()) {
    return absl::DataLossError(
        absl::StrCat(kClaimReviewProofProperty, ".", which, ": ", b.status().message()));
  }
  return b;
}

bool IsClaimReview(const Json& item) {
  if (!item.is_object() || !item.contains("@type")) return false;
  const Json& t = item["@type"];
  if (t.is_string()) return t == "ClaimReview";
  if (t.is_array()) {
    for (const Json& x : t) {
      if (x.is_string() && x == "ClaimReview") return true;
    }
  }
  return false;
}

absl::Status NotAnItem(absl::string_view where, absl::string_view what) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, where,
                   absl::StrCat(where, ": ", what));
}

// Appends the ClaimReview items of one parsed JSON value; `where` names it in errors.
absl::Status CollectItems(const Json& v, const std::string& where, std::vector<Json>* items) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      LEDGER_RETURN_IF_ERROR(CollectItems(v[i], absl::StrCat(where, "[", i, "]"), items));
    }
    return absl::OkStatus();
  }
  if (!v.is_object()) return NotAnItem(where, "is not a JSON object");
  if (v.contains("@graph")) return CollectItems(v["@graph"], where + ".@graph", items);
  if (v.contains("@type") && v["@type"] == "DataFeed") {
    if (!v.contains("dataFeedElement")) return NotAnItem(where, "a DataFeed without dataFeedElement");
    const Json& elements = v["dataFeedElement"];
    if (!elements.is_array()) return NotAnItem(where + ".dataFeedElement", "is not an array");
    for (size_t i = 0; i < elements.size(); ++i) {
      const Json& e = elements[i];
      const std::string at = absl::StrCat(where, ".dataFeedElement[", i, "]");
      if (e.is_object() && e.contains("item")) {
        LEDGER_RETURN_IF_ERROR(CollectItems(e["item"], at + ".item", items));
      } else {
        LEDGER_RETURN_IF_ERROR(CollectItems(e, at, items));
      }
    }
    return absl::OkStatus();
  }
  if (!IsClaimReview(v)) return NotAnItem(where, "its @type is not ClaimReview");
  items->push_back(v);
  return absl::OkStatus();
}

}  // namespace

nlohmann::ordered_json ClaimReviewJson(const ClaimReviewSource& s) {
  const ledger::v1::Claim& claim = s.claim;
  const ledger::v1::ClaimReviewed& r = s.review;
  Json author = {{"@type", claim.claimant().kind() == ledger::v1::Claimant::ORGANISATION
                               ? "Organization"
                               : "Person"},
                 {"name", claim.claimant().name()}};
  if (!claim.claimant().role().empty()) author["jobTitle"] = claim.claimant().role();
  if (!claim.claimant().affiliation().empty()) {
    author["affiliation"] = {{"@type", "Organization"}, {"name", claim.claimant().affiliation()}};
  }
  if (!claim.claimant().stable_id().empty()) {
    author["identifier"] = claim.claimant().stable_id();
  }
  Json item_reviewed = {{"@type", "Claim"}, {"author", author}};
  if (std::string said = IsoPartialDate(claim.said()); !said.empty()) {
    item_reviewed["datePublished"] = said;
  }
  item_reviewed["appearance"] = Appearance(claim.source());
  item_reviewed["firstAppearance"] = Appearance(claim.source());

  Json rating = {{"@type", "Rating"}, {"alternateName", r.rating_text()}};
  if (r.best_rating() != r.worst_rating()) {
    rating["ratingValue"] = r.rating_value();
    rating["bestRating"] = r.best_rating();
    rating["worstRating"] = r.worst_rating();
  }
  Json item = {{"@context", Context()}, {"@type", "ClaimReview"}};
  if (!r.review_url().empty()) item["url"] = r.review_url();
  item["datePublished"] =
      IsoTime(r.review_time_micros() != 0 ? r.review_time_micros() : s.review_recorded_micros);
  item["author"] = {{"@type", "Organization"}, {"name", r.reviewer()}};
  item["claimReviewed"] = claim.statement().text();
  item["itemReviewed"] = item_reviewed;
  item["reviewRating"] = rating;
  item["identifier"] = s.review_proof.event_id;
  item[std::string(kClaimReviewProofProperty)] = {
      {"claim_id", s.claim_id},
      {"review", BundleJson(s.review_proof)},
      {"claim", BundleJson(s.claim_proof)}};
  return item;
}

nlohmann::ordered_json ClaimReviewFeed(std::vector<nlohmann::ordered_json> items) {
  Json elements = Json::array();
  for (Json& item : items) {
    item.erase("@context");
    elements.push_back(std::move(item));
  }
  return {{"@context", Context()},
          {"@type", "DataFeed"},
          {"name", "factledger ClaimReview feed"},
          {"dataFeedElement", std::move(elements)}};
}

absl::StatusOr<std::vector<nlohmann::ordered_json>> ParseClaimReviewDocument(absl::string_view document) {
  std::vector<Json> items;
  Json whole = Json::parse(document.begin(), document.end(), nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded()) {
    LEDGER_RETURN_IF_ERROR(CollectItems(whole, "document", &items));
  } else {
    // JSON Lines: one item (or array, or feed) per non-empty line.
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(document, '\n')) {
      ++line_no;
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      Json v = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
      if (v.is_discarded()) {
        return NotAnItem(absl::StrCat("line ", line_no),
                         "is not JSON (a document is one JSON value, or JSON Lines)");
      }
      LEDGER_RETURN_IF_ERROR(CollectItems(v, absl::StrCat("line ", line_no), &items));
    }
  }
  if (items.empty()) return NotAnItem("document", "holds no ClaimReview");
  return items;
}

absl::StatusOr<VerifiedClaimReview> VerifyClaimReview(const nlohmann::ordered_json& item,
                                                      const format::NoteVerifier& log_key) {
  if (!IsClaimReview(item)) return absl::DataLossError("@type is not ClaimReview");
  LEDGER_ASSIGN_OR_RETURN(ProofBundle review_bundle, BundleFromJson(item, "review"));
  LEDGER_ASSIGN_OR_RETURN(ProofBundle claim_bundle, BundleFromJson(item, "claim"));
  VerifiedClaimReview out;
  absl::StatusOr<VerifiedBundle> review = VerifyBundleContent(std::move(review_bundle), log_key);
  if (!review.ok()) {
    return absl::DataLossError(absl::StrCat("the review's proof: ", review.status().message()));
  }
  absl::StatusOr<VerifiedBundle> claim = VerifyBundleContent(std::move(claim_bundle), log_key);
  if (!claim.ok()) {
    return absl::DataLossError(absl::StrCat("the claim's proof: ", claim.status().message()));
  }
  out.review = *std::move(review);
  out.claim = *std::move(claim);

  // The two entries: a verdict, and the claim version it reviewed, recorded before it.
  if (!out.review.event.has_claim_reviewed()) {
    return absl::DataLossError("the review's proof is not of a claim_reviewed entry");
  }
  const ledger::v1::ClaimReviewed& r = out.review.event.claim_reviewed();
  const ledger::v1::Claim* claim_content = nullptr;
  if (out.claim.event.has_claim_asserted()) {
    out.claim_id = out.claim.bundle.event_id;
    claim_content = &out.claim.event.claim_asserted().claim();
  } else if (out.claim.event.has_claim_corrected()) {
    out.claim_id = out.claim.event.claim_corrected().corrects_claim_id();
    claim_content = &out.claim.event.claim_corrected().claim();
  } else {
    return absl::DataLossError("the claim's proof is not of a claim_asserted or claim_corrected entry");
  }
  if (r.claim_id() != out.claim_id) {
    return absl::DataLossError(absl::StrCat("the verdict reviews claim ", r.claim_id(),
                                            ", not the proven claim ", out.claim_id));
  }
  if (out.claim.bundle.sequence >= out.review.bundle.sequence) {
    return absl::DataLossError("the proven claim version was recorded after the verdict");
  }
  LEDGER_ASSIGN_OR_RETURN(std::string proof_claim_id,
                          StringAt(item, {"factledger:proof", "claim_id"}, "factledger:proof.claim_id"));
  if (proof_claim_id != out.claim_id) {
    return Differs("factledger:proof.claim_id", proof_claim_id, out.claim_id);
  }

  // Every schema.org value the item states, against the signed events.
  struct Check {
    std::vector<std::string> path;
    const char* name;
    std::string signed_value;
    bool required;
  };
  const std::vector<Check> checks = {
      {{"claimReviewed"}, "claimReviewed", claim_content->statement().text(), true},
      {{"author", "name"}, "author.name", r.reviewer(), true},
      {{"reviewRating", "alternateName"}, "reviewRating.alternateName", r.rating_text(), true},
      {{"itemReviewed", "author", "name"}, "itemReviewed.author.name",
       claim_content->claimant().name(), true},
      {{"itemReviewed", "author", "jobTitle"}, "itemReviewed.author.jobTitle",
       claim_content->claimant().role(), false},
      {{"itemReviewed", "appearance", "url"}, "itemReviewed.appearance.url",
       claim_content->source().url(), false},
      {{"url"}, "url", r.review_url(), false},
      {{"identifier"}, "identifier", out.review.bundle.event_id, false},
  };
  for (const Check& c : checks) {
    LEDGER_ASSIGN_OR_RETURN(std::string stated, StringAt(item, c.path, c.name));
    if (stated.empty() && !c.required && !c.signed_value.empty()) {
      // An optional property left out says nothing false; one stated must be right.
      continue;
    }
    if (stated != c.signed_value) return Differs(c.name, stated, c.signed_value);
  }
  if (item.contains("reviewRating") && item["reviewRating"].is_object()) {
    const Json& rating = item["reviewRating"];
    const std::pair<const char*, int32_t> numbers[] = {{"ratingValue", r.rating_value()},
                                                       {"bestRating", r.best_rating()},
                                                       {"worstRating", r.worst_rating()}};
    for (const auto& [name, value] : numbers) {
      if (!rating.contains(name)) continue;
      const Json& v = rating[name];
      const bool same = (v.is_number_integer() && v.get<int64_t>() == value) ||
                        (v.is_string() && v.get<std::string>() == std::to_string(value));
      if (!same) {
        return absl::DataLossError(absl::StrCat("reviewRating.", name, " is ", v.dump(),
                                                " but the signed event says ", value));
      }
    }
  }
  return out;
}

}  // namespace ledger::cli
