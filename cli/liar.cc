#include "cli/liar.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/core/event_validation.h"

namespace ledger::cli {

namespace v1 = ledger::v1;

namespace {

// The columns of a row, as the data set's README names them.
constexpr absl::string_view kColumnNames[kLiarColumns] = {
    "id",          "label",       "statement",         "subjects",
    "speaker",     "job title",   "state",             "party",
    "barely-true count", "false count", "half-true count", "mostly-true count",
    "pants-fire count",  "context"};

}  // namespace

int LiarRating(absl::string_view label) {
  static constexpr absl::string_view kScale[] = {"pants-fire",  "false",       "barely-true",
                                                 "half-true",   "mostly-true", "true"};
  for (int i = 0; i < 6; ++i) {
    if (label == kScale[i]) return i;
  }
  return -1;
}

absl::StatusOr<std::vector<v1::EventDraft>> LiarRowDrafts(absl::string_view line) {
  absl::ConsumeSuffix(&line, "\r");
  std::vector<absl::string_view> cols = absl::StrSplit(line, '\t');
  if (cols.size() != kLiarColumns) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", cols.size(), " tab-separated columns, want ", kLiarColumns));
  }
  // Event strings must be UTF-8 (the data set's files are; a re-encoded copy may not be).
  for (int i = 0; i < kLiarColumns; ++i) {
    const size_t bad = core::FirstInvalidUtf8(cols[i]);
    if (bad != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", i + 1, " (", kColumnNames[i], ") is not valid UTF-8 (at byte offset ",
                       bad, "); convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8"));
    }
  }
  absl::string_view id = cols[0];
  absl::ConsumeSuffix(&id, ".json");
  const std::string claim_id = absl::StrCat("liar-", id);
  if (absl::Status s = core::ValidateEventId(absl::StrCat(claim_id, "-verdict")); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("id \"", cols[0], "\" cannot name an event: ", s.message()));
  }
  const absl::string_view label = cols[1];
  const int rating = LiarRating(label);
  if (rating < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown label \"", label,
                     "\" (want pants-fire, false, barely-true, half-true, mostly-true, true)"));
  }

  v1::EventDraft claim_draft;
  claim_draft.set_event_id(claim_id);
  v1::Claim* c = claim_draft.mutable_event()->mutable_claim_asserted()->mutable_claim();
  c->mutable_claimant()->set_name(std::string(cols[4]));
  c->mutable_claimant()->set_role(std::string(cols[5]));
  std::vector<absl::string_view> affiliation;
  for (absl::string_view part : {cols[6], cols[7]}) {
    if (!absl::StripAsciiWhitespace(part).empty()) affiliation.push_back(part);
  }
  c->mutable_claimant()->set_affiliation(absl::StrJoin(affiliation, ", "));
  c->mutable_statement()->set_text(std::string(cols[2]));
  c->mutable_statement()->set_attribution(v1::PARAPHRASE);
  c->mutable_statement()->set_language("en");
  c->mutable_source()->set_url(std::string(kLiarSourceUrl));
  c->mutable_source()->set_publisher(std::string(kLiarPublisher));
  for (absl::string_view subject : absl::StrSplit(cols[3], ',', absl::SkipWhitespace())) {
    c->add_topics(std::string(absl::StripAsciiWhitespace(subject)));
  }
  c->set_venue(std::string(cols[13]));

  v1::EventDraft verdict_draft;
  verdict_draft.set_event_id(absl::StrCat(claim_id, "-verdict"));
  v1::ClaimReviewed* r = verdict_draft.mutable_event()->mutable_claim_reviewed();
  r->set_claim_id(claim_id);
  r->set_rating_value(rating);
  r->set_worst_rating(0);
  r->set_best_rating(5);
  r->set_rating_text(std::string(label));
  r->set_reviewer(std::string(kLiarPublisher));
  return std::vector<v1::EventDraft>{std::move(claim_draft), std::move(verdict_draft)};
}

}  // namespace ledger::cli
