// Offline proof bundles (`ledgerctl bundle verify`, cli/bundle.h) and the strict JSON parser
// under them (cli/json.h).
//
// Input: a selector byte, then the document.
//   selector even  a bundle, verified against the sample log's checkpoint key. A bundle that
//                  verifies is the canonical encoding of what it decodes to, and its entry's
//                  signature and inclusion proof verify when checked again here, step by step;
//                  a bundle that decodes survives encode -> decode unchanged.
//   selector odd   a JSON document. What parses re-serialises (with JsonQuote) to a document
//                  that parses to the same value. Differential against nlohmann::json: every
//                  document ours accepts, nlohmann accepts; a document nlohmann accepts and
//                  ours refuses must break one of ours's documented extra rules (duplicate
//                  member names, nesting deeper than 64). (nlohmann also skips a UTF-8 BOM,
//                  stops at a NUL byte and refuses numbers beyond a double's range: those
//                  differences are allowed.)
#include <cmath>
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

using cli::JsonValue;

std::string Serialize(const JsonValue& v) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return v.boolean ? "true" : "false";
    case JsonValue::Type::kNumber:
      return v.number;
    case JsonValue::Type::kString:
      return cli::JsonQuote(v.string);
    case JsonValue::Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < v.array.size(); ++i) {
        absl::StrAppend(&s, i == 0 ? "" : ",", Serialize(v.array[i]));
      }
      return s + "]";
    }
    case JsonValue::Type::kObject: {
      std::string s = "{";
      for (size_t i = 0; i < v.object.size(); ++i) {
        absl::StrAppend(&s, i == 0 ? "" : ",", cli::JsonQuote(v.object[i].first), ":",
                        Serialize(v.object[i].second));
      }
      return s + "}";
    }
  }
  return "";
}

bool Same(const JsonValue& a, const JsonValue& b) {
  if (a.type != b.type || a.boolean != b.boolean || a.number != b.number ||
      a.string != b.string || a.array.size() != b.array.size() ||
      a.object.size() != b.object.size()) {
    return false;
  }
  for (size_t i = 0; i < a.array.size(); ++i) {
    if (!Same(a.array[i], b.array[i])) return false;
  }
  for (size_t i = 0; i < a.object.size(); ++i) {
    if (a.object[i].first != b.object[i].first || !Same(a.object[i].second, b.object[i].second)) {
      return false;
    }
  }
  return true;
}

// nlohmann::json refuses numbers beyond the range of a double ("number overflow"); RFC 8259
// leaves the range to implementations, and ours keeps a number's text.
bool HasNumberBeyondDouble(const JsonValue& v) {
  if (v.type == JsonValue::Type::kNumber) return !std::isfinite(std::strtod(v.number.c_str(), nullptr));
  for (const JsonValue& e : v.array) {
    if (HasNumberBeyondDouble(e)) return true;
  }
  for (const auto& [k, e] : v.object) {
    if (HasNumberBeyondDouble(e)) return true;
  }
  return false;
}

void CheckJson(const std::string& doc) {
  const absl::StatusOr<JsonValue> v = cli::ParseJson(doc);
  FUZZ_EXPECT_VALID(v.status());
  // nlohmann::json ends its input at a NUL byte; compare only documents without one.
  const bool compare = doc.find('\0') == std::string::npos && !absl::StartsWith(doc, "\xef\xbb\xbf");
  const bool theirs = compare && nlohmann::json::accept(doc);
  if (v.ok()) {
    const std::string again = Serialize(*v);
    const absl::StatusOr<JsonValue> w = cli::ParseJson(again);
    FUZZ_CHECK_MSG(w.ok(), w.status().ToString());
    FUZZ_CHECK_MSG(Same(*v, *w), "serialise -> parse changed the value");
    FUZZ_CHECK_MSG(theirs || !compare || HasNumberBeyondDouble(*v),
                   "our parser accepts a document nlohmann::json refuses");
  } else if (theirs) {
    const absl::string_view why = v.status().message();
    FUZZ_CHECK_MSG(absl::StrContains(why, "duplicate member") ||
                       absl::StrContains(why, "nesting too deep"),
                   absl::StrCat("nlohmann::json accepts a document ours refuses: ", why));
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
