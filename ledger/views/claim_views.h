// The views of the fact ledger (docs/design.md, "Layers"), each a Projection:
//
//   claims        per claim id: asserted sequence, submitter key, current version sequence,
//                 status (ACTIVE / CORRECTED / RETRACTED) and its history (assert, corrections,
//                 retraction, reviews: sequence, kind, event id), plus the bitemporal claim
//                 indexes (view_schema.h, ClaimIndex):
//                   status      ACTIVE / CORRECTED / RETRACTED -> claims
//                   claimant    claimant term -> claims  ("id:"+stable_id and "name:"+fold(name))
//                   topic       fold(topic) -> claims
//                   entity      entity term -> claims    (as for claimants)
//                   source_url  exact source URL -> claims
//                   publisher   fold(publisher) -> claims (claims without one are not indexed)
//                   timeline    every claim, by statement time
//                 Verdict tallies: per claimant term, the count of reviews per (reviewer,
//                 rating_text). The claim's state also holds what claim matching compares
//                 (match_text.h) for its current version; ledgerd keeps an in-memory index of
//                 it (match_index.h).
//                 Claim content is never copied: queries read it from the log entry of the
//                 version's sequence (the log is the single truth).
//   keys          key id -> registered / revoked (with sequences), and every event each key signed
//
// Index entries are sorted by statement time (said key) within a term and carry the sequence
// ranges during which the claim's version carried the term (view_schema.h), so every index
// answers "as of sequence N" and a statement-time range with one key-range scan.
//
// Storage (view_schema.h): a claim's record holds its asserted sequence, submitter, current
// version sequence, status, said key and the terms its current version put into each index
// (so that a correction closes exactly those, and a claim costs one state record, not one per
// index); its history is one key per event (claim id, sequence ->
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

std::unique_ptr<Projection> NewKeysProjection();

// Every view above, in a fixed order.
std::vector<std::unique_ptr<Projection>> DefaultProjections();

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_CLAIM_VIEWS_H_
