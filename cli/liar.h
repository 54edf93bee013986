// The LIAR data set (W. Y. Wang, "Liar, Liar Pants on Fire", ACL 2017: PolitiFact statements
// with their verdicts; ../shared/data/liar/README) as ledger events, for `ledgerctl import
// --format liar`. Pure functions, thread-safe.
//
// Each TSV row (14 tab-separated columns) becomes two events with deterministic ids and bytes,
// so importing a file twice changes nothing:
//   "liar-<id>"          claim_asserted: speaker -> claimant.name, job title -> role,
//                        "<state>, <party>" -> affiliation, statement -> text (PARAPHRASE, "en"),
//                        context -> venue, subjects (comma-separated) -> topics, source
//                        https://www.politifact.com/factchecks/ published by "PolitiFact"
//                        (the data set has no per-statement URL; the row id is in the event id)
//   "liar-<id>-verdict"  claim_reviewed of it: label -> rating_text, rating_value on
//                        pants-fire 0, false 1, barely-true 2, half-true 3, mostly-true 4,
//                        true 5 (worst 0, best 5), reviewer "PolitiFact".
#ifndef CLI_LIAR_H_
#define CLI_LIAR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::cli {

inline constexpr absl::string_view kLiarSourceUrl = "https://www.politifact.com/factchecks/";
inline constexpr absl::string_view kLiarPublisher = "PolitiFact";
inline constexpr int kLiarColumns = 14;

// The rating of a LIAR label on the 0..5 scale above; -1 for an unknown label.
int LiarRating(absl::string_view label);

// The two events of one row (the claim, then its verdict), as drafts with their event ids.
// InvalidArgument when the row does not have 14 columns, a column is not valid UTF-8 (the
// message names the 1-based column and the byte offset), its id is not usable in an event id,
// or its label is unknown. The events are not checked against the admission limits here (see
// ledger/core/event_validation.h): the importer checks every event it signs.
absl::StatusOr<std::vector<ledger::v1::EventDraft>> LiarRowDrafts(absl::string_view line);

}  // namespace ledger::cli

#endif  // CLI_LIAR_H_
