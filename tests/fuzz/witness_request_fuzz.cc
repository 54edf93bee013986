// tlog-witness add-checkpoint request bodies (witnessd, ledger/witness/add_checkpoint.h and
// witness.h), and the 409 body a log parses (ParseTlogSize).
//
// Input: the request body.
// Invariants: a body that parses is exactly EncodeAddCheckpointRequest of what it parses to,
// with at most 63 proof hashes; a refusal is InvalidArgument. A fresh witness of the sample log
// answers only the spec's codes (200, 400, 403, 404, 409, 422), 400 for every body that does not
// parse, 409 (with the body "0\n") for a parsed old size other than 0 that gets that far; a 200
// carries exactly one cosignature line that verifies with the witness's key over the
// checkpoint's text, and the witness then holds that checkpoint. valid- seeds are cosigned.
// ParseTlogSize accepts exactly what EncodeTlogSize writes.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/add_checkpoint.h"
#include "ledger/witness/cosignature.h"
#include "ledger/witness/witness.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

const std::string& StateDir() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/witness_request_fuzz.XXXXXX";
    const char* made = mkdtemp(tmpl);
    return new std::string(made != nullptr ? made : "/tmp");
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ledger;
  const std::string body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<witness::AddCheckpointRequest> parsed = witness::ParseAddCheckpointRequest(body);
  if (parsed.ok()) {
    FUZZ_CHECK_MSG(witness::EncodeAddCheckpointRequest(*parsed) == body,
                   "a parsed request is not canonical");
    FUZZ_CHECK(parsed->proof.size() <= witness::kMaxConsistencyProofLines);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
  }
  absl::StatusOr<TreeSize> tlog_size = witness::ParseTlogSize(body);
  if (tlog_size.ok()) FUZZ_CHECK(witness::EncodeTlogSize(*tlog_size) == body);

  // A fresh witness for every input: no state from earlier inputs.
  ::unlink(witness::Witness::StateFile(StateDir(), fuzz::kOrigin).c_str());
  static const auto key =
      std::make_shared<const crypto::Ed25519PrivateKey>(fuzz::KeyFromFill(0x77));
  witness::WitnessOptions options;
  options.name = "fuzz.example/witness";
  options.key = key;
  options.logs = {fuzz::Verifier()};
  options.state_dir = StateDir();
  options.now_seconds = [] { return uint64_t{1767225600}; };
  absl::StatusOr<std::unique_ptr<witness::Witness>> w = witness::Witness::Open(options);
  FUZZ_CHECK(w.ok());
  const witness::Witness::Reply reply = (*w)->AddCheckpoint(body);
  const int s = reply.status;
  FUZZ_CHECK(s == 200 || s == 400 || s == 403 || s == 404 || s == 409 || s == 422);
  if (!parsed.ok()) FUZZ_CHECK(s == 400);
  if (s == 409) {
    FUZZ_CHECK(parsed.ok() && parsed->old_size != 0);
    FUZZ_CHECK(reply.body == "0\n" && reply.content_type == witness::kTlogSizeContentType);
  }
  if (fuzz::ExpectValid()) FUZZ_CHECK_MSG(s == 200, reply.body);
  if (s == 200) {
    absl::StatusOr<std::vector<std::string>> lines = witness::ParseSignatureLines(reply.body);
    FUZZ_CHECK(lines.ok() && lines->size() == 1);
    absl::StatusOr<witness::SignedNote> note = witness::SplitSignedNote(parsed->checkpoint);
    FUZZ_CHECK(note.ok());
    FUZZ_CHECK(witness::VerifyCosignatureLine((*lines)[0], note->text,
                                              {options.name, key->public_key()})
                   .ok());
    absl::StatusOr<format::Checkpoint> cp =
        format::VerifyCheckpoint(parsed->checkpoint, fuzz::Verifier());
    FUZZ_CHECK(cp.ok());
    FUZZ_CHECK((*w)->Latest(fuzz::kOrigin) == *cp);
  }
  return 0;
}
