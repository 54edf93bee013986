// tlog-cosignature lines, add-checkpoint 200 replies and witness policies
// (ledger/witness/cosignature.h): what ledgerd's witness collector and ledgerctl's
// --witness-policy read from the network and from files.
//
// Input: a selector byte, then the text.
//   0: an add-checkpoint reply body: ParseSignatureLines; each line is checked as a cosignature
//      of the sample log's latest checkpoint by the two fuzz witnesses.
//   1: a cosigned checkpoint note: CheckWitnessPolicy with the fuzz witnesses, 1 of 2 and 2 of 2.
//   2: a cosigner verifier key: ParseCosignerVerifierKey.
// Invariants: parsed replies re-join to the input; a verified line is by a policy witness;
// a policy result is OK, FailedPrecondition (too few) or InvalidArgument (not a note); 2 of 2
// met implies 1 of 2 met; a parsed verifier key re-encodes to the input (whitespace trimmed).
// valid- seeds: replies where every line verifies, notes meeting 2 of 2, keys that parse.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using ledger::witness::Cosigner;

const std::vector<Cosigner>& Witnesses() {
  static const auto* w = new std::vector<Cosigner>{
      {"fuzz.example/w1", ledger::fuzz::KeyFromFill(0x71).public_key()},
      {"fuzz.example/w2", ledger::fuzz::KeyFromFill(0x72).public_key()}};
  return *w;
}

// The note text the reply seeds cosign: the sample log's checkpoint of size 11.
std::string SeedText() {
  ledger::format::Checkpoint cp;
  cp.origin = std::string(ledger::fuzz::kOrigin);
  cp.tree_size = 11;
  cp.root_hash = ledger::HashFromBytes(std::string(32, '\x11'));
  return ledger::format::CheckpointText(cp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  if (size == 0) return 0;
  const uint8_t selector = data[0] % 3;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (selector == 0) {
    absl::StatusOr<std::vector<std::string>> lines = witness::ParseSignatureLines(text);
    FUZZ_EXPECT_VALID(lines.status());
    if (!lines.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(lines.status()));
      return 0;
    }
    FUZZ_CHECK(absl::StrJoin(*lines, "\n") + "\n" == text);
    const std::string note_text = SeedText();
    for (const std::string& line : *lines) {
      bool verified = false;
      for (const Cosigner& c : Witnesses()) {
        absl::StatusOr<uint64_t> t = witness::VerifyCosignatureLine(line, note_text, c);
        if (t.ok()) {
          verified = true;
          FUZZ_CHECK(*t <= witness::kMaxCosignatureTimestamp);
        } else {
          FUZZ_CHECK(absl::IsNotFound(t.status()) || absl::IsDataLoss(t.status()));
        }
      }
      if (fuzz::ExpectValid()) FUZZ_CHECK_MSG(verified, line);
    }
  } else if (selector == 1) {
    std::vector<std::string> keys;
    for (const Cosigner& c : Witnesses()) keys.push_back(witness::CosignerVerifierKey(c));
    absl::StatusOr<witness::WitnessPolicy> one = witness::ParseWitnessPolicy(keys, 1);
    absl::StatusOr<witness::WitnessPolicy> two = witness::ParseWitnessPolicy(keys, 2);
    FUZZ_CHECK(one.ok() && two.ok());
    absl::StatusOr<witness::PolicyResult> r1 = witness::CheckWitnessPolicy(text, *one);
    absl::StatusOr<witness::PolicyResult> r2 = witness::CheckWitnessPolicy(text, *two);
    FUZZ_EXPECT_VALID(r2.status());
    for (const auto* r : {&r1, &r2}) {
      FUZZ_CHECK(r->ok() || absl::IsFailedPrecondition(r->status()) ||
                 absl::IsInvalidArgument(r->status()));
    }
    if (r2.ok()) FUZZ_CHECK(r1.ok() && r2->cosigned_by.size() == 2);
  } else {
    absl::StatusOr<Cosigner> c = witness::ParseCosignerVerifierKey(text);
    FUZZ_EXPECT_VALID(c.status());
    if (c.ok()) {
      FUZZ_CHECK(witness::CosignerVerifierKey(*c) == absl::StripAsciiWhitespace(text));
    } else {
      FUZZ_CHECK(absl::IsInvalidArgument(c.status()));
    }
  }
  return 0;
}
