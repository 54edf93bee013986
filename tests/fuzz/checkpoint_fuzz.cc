// Checkpoint notes (docs/format.md §5, C2SP signed notes) wherever they are read: parsing and
// signature verification (ledger/format/checkpoint.h), the checkpoint anchor check at start-up
// (datadir::CheckAnchor), a trusted checkpoint given to the auditor (`ledgerctl verify
// --trusted-checkpoint / --state-file`), and checkpoint verifier keys (`--log-key`).
//
// Input: a selector byte, then the note (or verifier key) text.
//   selector % 4 == 0  verify with the sample log's key (fuzz_support.h Verifier())
//   selector % 4 == 1  verify with another key under the same name (a cosigner)
//   selector % 4 == 2  the text is a verifier key
//   selector % 4 == 3  as 0, and also check it as the anchor and as the trusted checkpoint of
//                      the 11-entry sample log
// Invariants: a note that verifies also parses, to the same checkpoint; a note that parses
// starts with exactly CheckpointText of what it parses to, and re-signing that verifies; the
// anchor check and the audit accept exactly the verified notes whose root is the sample log's
// root at their size (refusing the others with the documented codes); a verifier key that
// parses is exactly NoteVerifierKey of what it parses to.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/audit/auditor.h"
#include "ledger/datadir/anchor.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/proof.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/sample_log.h"

namespace ledger::fuzz {
namespace {

const crypto::Ed25519PrivateKey& CosignerKey() {
  static const crypto::Ed25519PrivateKey* key = new crypto::Ed25519PrivateKey(KeyFromFill(0x77));
  return *key;
}

void CheckVerifierKey(const std::string& text) {
  const absl::StatusOr<format::NoteVerifier> v = format::ParseNoteVerifierKey(text);
  FUZZ_EXPECT_VALID(v.status());
  if (!v.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(v.status()));
    return;
  }
  FUZZ_CHECK_MSG(format::NoteVerifierKey(v->name, v->public_key) == text,
                 "a verifier key that parses is not in its canonical form");
}

void CheckNote(uint8_t selector, const std::string& note) {
  const format::NoteVerifier verifier =
      selector % 4 == 1 ? format::NoteVerifier{std::string(kOrigin), CosignerKey().public_key()}
                        : Verifier();
  const absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(note);
  const absl::StatusOr<format::Checkpoint> verified = format::VerifyCheckpoint(note, verifier);
  FUZZ_EXPECT_VALID(verified.status());
  if (verified.ok()) {
    FUZZ_CHECK(parsed.ok() && *parsed == *verified);
    FUZZ_CHECK(verified->origin == verifier.name);
  }
  if (parsed.ok()) {
    FUZZ_CHECK(format::ValidateOrigin(parsed->origin).ok());
    FUZZ_CHECK_MSG(absl::StartsWith(note, format::CheckpointText(*parsed)),
                   "the note does not start with the text of the checkpoint it parses to");
    const std::string resigned = format::SignCheckpoint(*parsed, LogKey());
    const absl::StatusOr<format::Checkpoint> again =
        format::VerifyCheckpoint(resigned, {parsed->origin, LogKey().public_key()});
    FUZZ_CHECK_MSG(again.ok() && *again == *parsed, again.status().ToString());
  } else {
    FUZZ_CHECK(!verified.ok());
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
  }
  if (selector % 4 != 3) return;

  // As the anchor and as the trusted checkpoint of the sample log.
  const LogUnderTest& sample = SharedSampleLog();
  const store::LogStore& store = sample.log->store();
  const merkle::NodeReader read = [&store](merkle::NodeId id) { return store.GetNode(id); };
  const store::LogHead head = store.Head();
  const absl::StatusOr<format::Checkpoint> anchor =
      datadir::CheckAnchor("DIR/checkpoint.anchor", note, Verifier(), head, read);
  bool matches = false;  // a verified note of the sample log
  if (verified.ok() && verified->tree_size <= head.tree_size) {
    const absl::StatusOr<Hash> root = merkle::RootAt(verified->tree_size, read);
    FUZZ_CHECK(root.ok());
    matches = *root == verified->root_hash;
  }
  FUZZ_CHECK_MSG(anchor.ok() == matches, anchor.status().ToString());
  if (anchor.ok()) {
    FUZZ_CHECK(*anchor == *verified);
  } else if (!verified.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(anchor.status()));
  } else {
    FUZZ_CHECK(datadir::IsAnchorRefusal(anchor.status()));
  }

  audit::AuditOptions options;
  options.threads = 1;
  options.trusted_checkpoint = note;
  const absl::StatusOr<audit::AuditReport> report = audit::AuditLog(store, Identity(), options);
  if (note.empty()) {
    FUZZ_CHECK(report.ok() && report->ok);  // no trusted checkpoint at all
    return;
  }
  if (!verified.ok()) {
    FUZZ_CHECK_MSG(!report.ok() && absl::IsInvalidArgument(report.status()),
                   report.status().ToString());
    return;
  }
  FUZZ_CHECK_MSG(report.ok(), report.status().ToString());
  FUZZ_CHECK_MSG(report->ok == matches, report->problem);
}

}  // namespace
}  // namespace ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ledger::fuzz::Input in(data, size);
  const uint8_t selector = in.U8();
  const std::string text = in.Rest();
  if (selector % 4 == 2) {
    ledger::fuzz::CheckVerifierKey(text);
  } else {
    ledger::fuzz::CheckNote(selector, text);
  }
  return 0;
}
