// The terms claim matching compares (docs/api.md, "Claim matching"): a statement reduced to the
// words that carry its meaning, so that two wordings of one claim share their terms.
//
//   "Says that Russia's gas exports rose by $1.7 billion in 2015."
//     -> {"#1.7e9", "#2015", "export", "gas", "rose", "russia"}
//
// The steps, each deterministic (the claims view's claim states store these terms, so they are part of what a
// rebuild must reproduce; changing any step needs schema::kViewSchemaVersion bumped):
//   1. Unicode NFKC_Casefold (schema::FoldText): case and accents' encoding do not matter.
//   2. Tokens are runs of letters and digits; '.' and ',' between digits stay inside a number;
//      "%" reads as "percent"; other punctuation separates.
//   3. Numbers are written one way: "$1.7 billion", "1.7bn", "1,700 million" and "1700000000"
//      are all "#1.7e9" (the value with up to 6 significant digits, no trailing zeros); a scale
//      word after a number (thousand/k, million/m/mn, billion/bn/b, trillion/tn) multiplies it,
//      as does such a suffix glued to it ("1.7bn", "5m"). Currency signs are dropped.
//   4. Stop words go, and with them the reporting frames ("says that ...", "X said ...",
//      "according to ...": say/said/says/claimed/stated/according are stop words).
//   5. A light English stemmer folds plurals and -ing/-ed forms ("exports" -> "export",
//      "taxes" -> "tax", "policies" -> "policy", "raising" -> "rais", "raised" -> "rais"); it
//      only has to map variants of one word together, not to produce words.
//   6. The result is a set: sorted, without duplicates. Word order does not matter.
#ifndef LEDGER_VIEWS_MATCH_TEXT_H_
#define LEDGER_VIEWS_MATCH_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ledger::views {

// The match terms of `text` (sorted, unique). Any byte string is accepted.
std::vector<std::string> MatchTerms(absl::string_view text);

// The words of a claimant's name, folded and stemmed as MatchTerms does but keeping every
// word ("Alexander Novak" -> {"alexander", "novak"}): a query that names the claimant ("Novak
// said ...") matches on them.
std::vector<std::string> NameTerms(absl::string_view name);

// One word stemmed as step 5 does (exposed for tests).
std::string StemWord(absl::string_view word);

}  // namespace ledger::views

#endif  // LEDGER_VIEWS_MATCH_TEXT_H_
