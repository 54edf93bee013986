#include "cli/claimreview.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/base/error.h"
#include "ledger/base/types.h"
#include "ledger/crypto/sha256.h"
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
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, where, what);
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

namespace {

absl::Status BadProperty(absl::string_view property, absl::string_view why) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField, property, why);
}

// The value at `path` (nullptr when absent or null).
const Json* At(const Json& item, const std::vector<std::string>& path) {
  const Json* v = &item;
  for (const std::string& key : path) {
    if (!v->is_object()) return nullptr;
    auto it = v->find(key);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return v->is_null() ? nullptr : v;
}

std::string Dotted(const std::vector<std::string>& path) { return absl::StrJoin(path, "."); }

// A string property: "" when absent; InvalidArgument when present and not a string.
absl::StatusOr<std::string> OptionalString(const Json& item, const std::vector<std::string>& path) {
  const Json* v = At(item, path);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return BadProperty(Dotted(path), "is not a string");
  return v->get<std::string>();
}

absl::StatusOr<std::string> RequiredString(const Json& item, const std::vector<std::string>& path,
                                           absl::string_view why) {
  LEDGER_ASSIGN_OR_RETURN(std::string v, OptionalString(item, path));
  if (v.empty()) return BadProperty(Dotted(path), absl::StrCat("is required: ", why));
  return v;
}

// A name: the "name" of an object, or the value itself when it is a string.
absl::StatusOr<std::string> NameOf(const Json& item, const std::vector<std::string>& path) {
  const Json* v = At(item, path);
  if (v == nullptr) return std::string();
  if (v->is_string()) return v->get<std::string>();
  std::vector<std::string> name = path;
  name.push_back("name");
  return OptionalString(item, name);
}

// An integer given as a number or a string of one.
absl::StatusOr<int32_t> Integer(const Json& v, absl::string_view property) {
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    if (n >= -1000000 && n <= 1000000) return static_cast<int32_t>(n);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int32_t>(d))) return static_cast<int32_t>(d);
  } else if (v.is_string()) {
    int32_t n = 0;
    if (absl::SimpleAtoi(v.get<std::string>(), &n)) return n;
  }
  return BadProperty(property, absl::StrCat("is ", v.dump(), ", not an integer"));
}

// "2015", "2015-08", "2015-08-12" or an RFC 3339 date-time (its date) as a PartialDate.
absl::StatusOr<ledger::v1::PartialDate> PartialDateOf(const std::string& text,
                                                      absl::string_view property) {
  ledger::v1::PartialDate d;
  int year = 0, month = 0, day = 0;
  const std::string date = text.substr(0, std::min<size_t>(text.size(), 10));
  const std::vector<std::string> parts = absl::StrSplit(date, '-');
  const bool ok = !parts.empty() && parts.size() <= 3 && parts[0].size() == 4 &&
                  absl::SimpleAtoi(parts[0], &year) &&
                  (parts.size() < 2 || (parts[1].size() == 2 && absl::SimpleAtoi(parts[1], &month))) &&
                  (parts.size() < 3 || (parts[2].size() == 2 && absl::SimpleAtoi(parts[2], &day)));
  if (!ok || (text.size() > 10 && text[10] != 'T' && text[10] != ' ')) {
    return BadProperty(property, absl::StrCat("is \"", text, "\", not a date (YYYY, YYYY-MM, "
                                              "YYYY-MM-DD or a date-time)"));
  }
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  d.set_precision(parts.size() == 1   ? ledger::v1::PartialDate::YEAR
                  : parts.size() == 2 ? ledger::v1::PartialDate::MONTH
                                      : ledger::v1::PartialDate::DAY);
  return d;
}

// A date or date-time as Unix microseconds (a date: its midnight UTC).
absl::StatusOr<int64_t> MicrosOf(const std::string& text, absl::string_view property) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err) ||
      absl::ParseTime("%Y-%m-%d", text, &t, &err)) {
    return absl::ToUnixMicros(t);
  }
  return BadProperty(property, absl::StrCat("is \"", text, "\", not a date or RFC 3339 date-time"));
}

// The id of an imported event: "cr-" + 32 hex digits of SHA-256(its deterministic bytes).
std::string DerivedId(const ledger::v1::Event& event) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&coded);
  }
  return absl::StrCat("cr-", HexEncode(crypto::Sha256(bytes)).substr(0, 32));
}

}  // namespace

absl::StatusOr<std::vector<ledger::v1::EventDraft>> ClaimReviewDrafts(const Json& item) {
  if (!IsClaimReview(item)) return BadProperty("@type", "is not ClaimReview");
  ledger::v1::Event claim_event;
  ledger::v1::Claim* claim = claim_event.mutable_claim_asserted()->mutable_claim();

  LEDGER_ASSIGN_OR_RETURN(std::string text,
                          RequiredString(item, {"claimReviewed"}, "the statement reviewed"));
  claim->mutable_statement()->set_text(text);
  claim->mutable_statement()->set_attribution(ledger::v1::PARAPHRASE);

  LEDGER_ASSIGN_OR_RETURN(std::string claimant, NameOf(item, {"itemReviewed", "author"}));
  if (claimant.empty()) {
    return BadProperty("itemReviewed.author.name",
                       "is required: the ledger records who made the claim");
  }
  ledger::v1::Claimant* who = claim->mutable_claimant();
  who->set_name(claimant);
  if (const Json* a = At(item, {"itemReviewed", "author"}); a != nullptr && a->is_object()) {
    LEDGER_ASSIGN_OR_RETURN(std::string type, OptionalString(item, {"itemReviewed", "author", "@type"}));
    who->set_kind(type == "Organization" ? ledger::v1::Claimant::ORGANISATION
                                         : ledger::v1::Claimant::PERSON);
    LEDGER_ASSIGN_OR_RETURN(std::string role, OptionalString(item, {"itemReviewed", "author", "jobTitle"}));
    who->set_role(role);
    LEDGER_ASSIGN_OR_RETURN(std::string affiliation,
                            NameOf(item, {"itemReviewed", "author", "affiliation"}));
    who->set_affiliation(affiliation);
    LEDGER_ASSIGN_OR_RETURN(std::string id, OptionalString(item, {"itemReviewed", "author", "identifier"}));
    who->set_stable_id(id);
  } else {
    who->set_kind(ledger::v1::Claimant::PERSON);
  }
  LEDGER_ASSIGN_OR_RETURN(std::string said, OptionalString(item, {"itemReviewed", "datePublished"}));
  if (!said.empty()) {
    LEDGER_ASSIGN_OR_RETURN(*claim->mutable_said(), PartialDateOf(said, "itemReviewed.datePublished"));
  }

  // The review.
  ledger::v1::Event review_event;
  ledger::v1::ClaimReviewed* r = review_event.mutable_claim_reviewed();
  LEDGER_ASSIGN_OR_RETURN(std::string reviewer, NameOf(item, {"author"}));
  if (reviewer.empty()) return BadProperty("author.name", "is required: who reviewed the claim");
  r->set_reviewer(reviewer);
  LEDGER_ASSIGN_OR_RETURN(std::string review_url, OptionalString(item, {"url"}));
  r->set_review_url(review_url);
  LEDGER_ASSIGN_OR_RETURN(std::string published, OptionalString(item, {"datePublished"}));
  if (!published.empty()) {
    LEDGER_ASSIGN_OR_RETURN(int64_t micros, MicrosOf(published, "datePublished"));
    r->set_review_time_micros(micros);
  }
  LEDGER_ASSIGN_OR_RETURN(std::string body, OptionalString(item, {"reviewBody"}));
  r->set_explanation(body);
  LEDGER_ASSIGN_OR_RETURN(std::string rating_text,
                          RequiredString(item, {"reviewRating", "alternateName"},
                                         "the verdict in words"));
  r->set_rating_text(rating_text);
  const Json* value = At(item, {"reviewRating", "ratingValue"});
  const Json* best = At(item, {"reviewRating", "bestRating"});
  const Json* worst = At(item, {"reviewRating", "worstRating"});
  if (value != nullptr || best != nullptr || worst != nullptr) {
    if (value == nullptr || best == nullptr || worst == nullptr) {
      return BadProperty("reviewRating",
                         "has an unknown rating scale: ratingValue, bestRating and worstRating "
                         "go together (or give alternateName alone)");
    }
    LEDGER_ASSIGN_OR_RETURN(int32_t v, Integer(*value, "reviewRating.ratingValue"));
    LEDGER_ASSIGN_OR_RETURN(int32_t b, Integer(*best, "reviewRating.bestRating"));
    LEDGER_ASSIGN_OR_RETURN(int32_t w, Integer(*worst, "reviewRating.worstRating"));
    if (!(std::min(w, b) <= v && v <= std::max(w, b)) || w == b) {
      return BadProperty("reviewRating.ratingValue",
                         absl::StrCat(v, " is not on the scale ", w, "..", b));
    }
    r->set_rating_value(v);
    r->set_best_rating(b);
    r->set_worst_rating(w);
  }

  // Where the claim appeared: firstAppearance, else the first appearance, else the review.
  ledger::v1::Source* source = claim->mutable_source();
  const Json* appearance = At(item, {"itemReviewed", "firstAppearance"});
  std::string where = "itemReviewed.firstAppearance";
  if (appearance == nullptr) {
    appearance = At(item, {"itemReviewed", "appearance"});
    where = "itemReviewed.appearance";
    if (appearance != nullptr && appearance->is_array()) {
      appearance = appearance->empty() ? nullptr : &(*appearance)[0];
      where += "[0]";
    }
  }
  if (appearance != nullptr) {
    if (appearance->is_string()) {
      source->set_url(appearance->get<std::string>());
    } else if (appearance->is_object()) {
      LEDGER_ASSIGN_OR_RETURN(std::string url, RequiredString(*appearance, {"url"}, "where it appeared"));
      source->set_url(url);
      LEDGER_ASSIGN_OR_RETURN(std::string headline, OptionalString(*appearance, {"headline"}));
      source->set_title(headline);
      LEDGER_ASSIGN_OR_RETURN(std::string publisher, NameOf(*appearance, {"publisher"}));
      source->set_publisher(publisher);
      LEDGER_ASSIGN_OR_RETURN(std::string date, OptionalString(*appearance, {"datePublished"}));
      if (!date.empty()) {
        LEDGER_ASSIGN_OR_RETURN(int64_t micros, MicrosOf(date, where + ".datePublished"));
        source->set_published_time_micros(micros);
      }
    } else {
      return BadProperty(where, "is neither a URL nor a CreativeWork object");
    }
  } else if (!review_url.empty()) {
    source->set_url(review_url);
    source->set_title(absl::StrCat("The claim as cited by ", reviewer));
    source->set_publisher(reviewer);
  } else {
    return BadProperty("itemReviewed.appearance",
                       "is required when the review has no url: where did the claim appear?");
  }

  std::vector<ledger::v1::EventDraft> drafts(2);
  drafts[0].set_event_id(DerivedId(claim_event));
  *drafts[0].mutable_event() = claim_event;
  r->set_claim_id(drafts[0].event_id());
  drafts[1].set_event_id(DerivedId(review_event));
  *drafts[1].mutable_event() = review_event;
  return drafts;
}

}  // namespace ledger::cli
