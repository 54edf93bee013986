// Offline proof bundles (`ledgerctl bundle verify`, cli/bundle.h) and the strict JSON parser
// under them (cli/json.h).
//
// Input: a selector byte, then the document.
//   selector even  a bundle, verified against the sample log's checkpoint key. A bundle that
//                  verifies is the canonical encoding of what it decodes to, and its entry's
//                  signature and inclusion proof verify when checked again here, step by step;
//                  a bundle that decodes survives encode -> decode unchanged.
//   selector odd   a JSON document. What ParseJson accepts re-serialises to a document that
//                  parses to the same value, has no duplicate member and is at most
//                  kMaxJsonDepth deep; what plain nlohmann::json accepts and ParseJson refuses
//                  breaks one of ParseJson's two extra rules (duplicate member names, nesting
//                  deeper than kMaxJsonDepth), and says which.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/bundle.h"
#include "cli/json.h"
#include "ledger/format/entry.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"
#include "nlohmann/json.hpp"
#include "tests/fuzz/fuzz_support.h"

namespace ledger::fuzz {
namespace {

using cli::Json;

// How deep `v` nests (a scalar: 0; "[]" and "{}": 1).
int Depth(const Json& v) {
  int d = 0;
  if (v.is_structured()) {
    for (const Json& e : v) d = std::max(d, Depth(e));
    return d + 1;
  }
  return 0;
}

void CheckJson(const std::string& doc) {
  const absl::StatusOr<Json> v = cli::ParseJson(doc);
  FUZZ_EXPECT_VALID(v.status());
  const bool theirs = nlohmann::ordered_json::accept(doc.begin(), doc.end());
  if (v.ok()) {
    FUZZ_CHECK_MSG(theirs, "ParseJson accepts a document nlohmann::json refuses");
    FUZZ_CHECK(Depth(*v) <= cli::kMaxJsonDepth);
    const std::string again = v->dump();
    const absl::StatusOr<Json> w = cli::ParseJson(again);
    FUZZ_CHECK_MSG(w.ok(), w.status().ToString());
    FUZZ_CHECK_MSG(*v == *w, "serialise -> parse changed the value");
  } else if (theirs) {
    const absl::string_view why = v.status().message();
    FUZZ_CHECK_MSG(absl::StrContains(why, "duplicate member") ||
                       absl::StrContains(why, "nesting too deep"),
                   absl::StrCat("nlohmann::json accepts a document ParseJson refuses: ", why));
  }
}

bool SameBundle(const cli::ProofBundle& a, const cli::ProofBundle& b) {
  return a.origin == b.origin && a.sequence == b.sequence && a.event_id == b.event_id &&
         a.leaf_data == b.leaf_data && a.leaf_hash == b.leaf_hash && a.key_id == b.key_id &&
         a.public_key == b.public_key && a.tree_size == b.tree_size &&
         a.inclusion_proof == b.inclusion_proof && a.checkpoint == b.checkpoint;
}

void CheckBundle(const std::string& doc) {
  CheckJson(doc);
  const absl::StatusOr<cli::ProofBundle> decoded = cli::DecodeBundle(doc);
  const absl::StatusOr<cli::VerifiedBundle> verified = cli::VerifyBundle(doc, Verifier());
  FUZZ_EXPECT_VALID(verified.status());
  if (decoded.ok()) {
    const std::string encoded = cli::EncodeBundle(*decoded);
    const absl::StatusOr<cli::ProofBundle> again = cli::DecodeBundle(encoded);
    FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
    FUZZ_CHECK_MSG(SameBundle(*again, *decoded), "encode -> decode changed the bundle");
  } else {
    FUZZ_CHECK(absl::IsDataLoss(decoded.status()));
  }
  if (!verified.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(verified.status()));
    return;
  }
  // Everything VerifyBundle promises, checked again.
  FUZZ_CHECK(decoded.ok() && SameBundle(*decoded, verified->bundle));
  FUZZ_CHECK(cli::EncodeBundle(*decoded) == doc);
  const cli::ProofBundle& b = verified->bundle;
  FUZZ_CHECK(b.origin == kOrigin && verified->checkpoint.tree_size == b.tree_size);
  const absl::StatusOr<format::EntryView> view = format::DecodeLeafData(b.leaf_data);
  FUZZ_CHECK(view.ok() && view->event_id == b.event_id && view->key_id == b.key_id);
  const absl::StatusOr<std::string> input = format::EntrySigningInput(b.origin, *view);
  FUZZ_CHECK(input.ok() && crypto::Ed25519Verify(b.public_key, *input, view->signature));
  FUZZ_CHECK(KeyIdOf(b.public_key) == b.key_id);
  FUZZ_CHECK(merkle::HashLeaf(b.leaf_data) == b.leaf_hash);
  FUZZ_CHECK(merkle::VerifyInclusion(b.sequence, b.tree_size, b.leaf_hash, b.inclusion_proof,
                                     verified->checkpoint.root_hash)
                 .ok());
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t selector = in.U8();
  const std::string doc = in.Rest();
  if (selector % 2 == 0) {
    ledger::fuzz::CheckBundle(doc);
  } else {
    ledger::fuzz::CheckJson(doc);
  }
  return 0;
}
