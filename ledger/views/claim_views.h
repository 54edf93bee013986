// The views of the fact ledger (docs/design.md, "Layers"), each a Projection:
//
//   claims        per claim id: asserted sequence, submitter key, current version sequence,
//                 status (ACTIVE / CORRECTED / RETRACTED) and its history (assert, corrections,
//                 retraction, reviews: sequence, kind, event id), plus a bitemporal status index.
//                 Claim content is never copied: queries read it from the log entry of the
//                 version's sequence (the log is the single truth).
//   by_claimant   claimant term -> claims          (term: "id:"+stable_id, else "name:"+lower(name))
//   by_topic      lower(topic) -> claims
//   by_entity     entity term -> claims            (as for claimants)
//   by_source_url exact source URL -> claims
//   by_publisher  lower(publisher) -> claims       (claims without a publisher are not indexed)
//   timeline      every claim, by statement time
//   keys          key id -> registered / revoked (with sequences), and every event each key signed
//   verdicts      per claimant term: count of reviews per (reviewer, rating_text)
//   match         per claim id: the terms claim matching compares (match_text.h), for its
//                 current version; ledgerd keeps an in-memory index of them (match_index.h)
//
// Index entries are sorted by statement time (said key) within a term and carry the sequence
// ranges during which the claim's version carried the term (view_schema.h), so every index
// answers "as of sequence N" and a statement-time range with one key-range scan.
//
// Storage (view_schema.h): a claim's record holds its asserted sequence, submitter, current
// version sequence, status and said key; its history is one key per event (claim id, sequence ->
// kind, event id), so a claim reviewed ten thousand times still costs O(1) per new event.
//
// Choices where the brief is silent:
//   - A retraction does not remove a claim from the indexes: "what did X say that was later
//     retracted" must stay answerable. Its status (the status index, and every query result)
//     says RETRACTED.
//   - A correction moves the claim in every index whose term or said date changed (closing the
//     old version's entries at the correction's sequence and opening new ones); unchanged
//     entries keep one continuous range.
//   - Verdict tallies count every review event, including a later review by the same reviewer
//     of the same claim (a re-rating is a new verdict; the history keeps both), and reviews of
//     retracted claims. A review counts for the claimant of the claim's version current when the
//     review was recorded; a later correction does not move earlier verdicts. Reviewer and
//     rating text are counted exactly as written (they are the reviewer's own scale).
//   - Keys: a genesis admin key (named in the data directory, not registered by an event) has
//     no record until an event revokes it; the events it signed are listed all the same.
#ifndef LEDGER_VIEWS_CLAIM_VIEWS_H_
#define LEDGER_VIEWS_CLAIM_VIEWS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ledger/views/projection.h"

namespace ledger::views {

// The claims view (schema::kClaimsView).
std::unique_ptr<Projection> NewClaimsProjection();

// The terms a claim version puts into an index (sorted and de-duplicated by the caller).
using TermsFn = std::function<std::vector<std::string>(const ledger::v1::Claim&)>;
// A bitemporal index view over claim versions: `terms` of each version, sorted by said date.
std::unique_ptr<Projection> NewClaimIndexProjection(schema::ViewTag tag, absl::string_view name,
                                                    TermsFn terms);

std::unique_ptr<Projection> NewByClaimantProjection();
std::unique_ptr<Projection> NewByTopicProjection();
std::unique_ptr<Projection> NewByEntityProjection();
std::unique_ptr<Projection> NewBySourceUrlProjection();
std::unique_ptr<Projection> NewByPublisherProjection();
std::unique_ptr<Projection> NewTimelineProjection();
std::unique_ptr<Projection> NewKeysProjection();
std::unique_ptr<Projection> NewVerdictsProjection();
std::unique_ptr<Projection> NewMatchProjection();

// Every view above, in a fixed order.
std::vector<std::unique_ptr<Projection>> DefaultProjections();

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_CLAIM_VIEWS_H_
