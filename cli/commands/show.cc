// show: one entry, its decoded event, and its inclusion proof against the latest checkpoint.
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/core/event_validation.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"

namespace ledger::cli {
namespace {

struct ShowFlags {
  SourceOptions source;
  bool json = false;
  uint64_t sequence = 0;
  std::string log_key;
};

int RunShow(const ShowFlags& f) {
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!source.has_value()) return rc;
  LogReader* reader = source->reader.get();
  const std::optional<format::NoteVerifier>& verifier = source->verifier;
  absl::StatusOr<ledger::v1::Entry> entry = reader->GetEntry(f.sequence);
  if (!entry.ok()) return ReportError(entry.status());
  const ledger::v1::SignedEvent& se = entry->signed_event();

  // The inclusion proof against the latest checkpoint, checked here.
  absl::StatusOr<std::string> note = reader->LatestCheckpoint();
  if (!note.ok()) return ReportError(note.status());
  absl::StatusOr<format::Checkpoint> checkpoint =
      verifier.has_value() ? format::VerifyCheckpoint(*note, *verifier)
                           : format::ParseCheckpointUnverified(*note);
  std::string problem;
  std::vector<Hash> proof;
  if (!checkpoint.ok()) {
    problem = absl::StrCat("the latest checkpoint does not verify: ", checkpoint.status().message());
  } else if (checkpoint->tree_size <= f.sequence) {
    problem = absl::StrCat("the latest checkpoint (size ", checkpoint->tree_size,
                           ") does not cover the entry yet");
  } else {
    absl::StatusOr<std::vector<Hash>> p =
        reader->InclusionProof(f.sequence, checkpoint->tree_size);
    if (!p.ok()) return ReportError(p.status());
    proof = *p;
    const Hash leaf_hash = merkle::HashLeaf(entry->leaf_data());
    if (absl::Status s = merkle::VerifyInclusion(f.sequence, checkpoint->tree_size, leaf_hash,
                                                 proof, checkpoint->root_hash);
        !s.ok()) {
      problem = absl::StrCat("the inclusion proof does NOT verify: ", s.message());
    }
  }
  const bool verified = problem.empty();

  if (f.json) {
    std::vector<std::string> hashes;
    for (const Hash& h : proof) hashes.push_back(HexEncode(h));
    JsonObject inclusion;
    inclusion.AddBool("verified", verified).AddBool("checkpoint_signature_checked",
                                                     verifier.has_value());
    if (checkpoint.ok()) {
      inclusion.AddUint("tree_size", checkpoint->tree_size)
          .AddString("root_hash", HexEncode(checkpoint->root_hash));
    }
    inclusion.AddStringArray("hashes", hashes).AddString("checkpoint", *note);
    if (!verified) inclusion.AddString("problem", problem);
    std::cout << JsonObject()
                     .AddRaw("entry", EntryJson(*entry))
                     .AddRaw("inclusion", inclusion.Build())
                     .Build()
              << "\n";
  } else {
    std::cout << "entry " << entry->sequence() << "\n";
    auto line = [](absl::string_view label, absl::string_view value) {
      std::cout << absl::StrFormat("  %-12s %s\n", label, value);
    };
    line("recorded", FormatTime(entry->recorded_time_micros()));
    line("event id", se.event_id());
    line("signed by", absl::StrCat("key ", HexEncode(se.key_id())));
    line("signature", absl::Base64Escape(se.signature()));
    if (entry->has_batch()) {
      line("batch", absl::StrCat(entry->batch().batch_id(), ", item ", entry->batch().index(),
                                 " of ", entry->batch().batch_size(),
                                 " (the signature covers the batch)"));
    }
    line("leaf hash", HexEncode(entry->leaf_hash()));
    absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(se.event());
    if (event.ok()) {
      std::cout << EventDetail(*event);
    } else {
      line("event", absl::StrCat("does not parse: ", event.status().message()));
    }
    std::cout << "\n";
    if (verified) {
      std::cout << "inclusion: verified in the tree of size " << checkpoint->tree_size
                << " (root " << HexEncode(checkpoint->root_hash) << ")\n"
                << (verifier.has_value()
                        ? "           whose checkpoint is signed by the log key given\n"
                        : "           checkpoint signature NOT checked: give --log-key\n");
    } else {
      std::cout << "inclusion: " << problem << "\n";
    }
  }
  return verified ? kExitOk : kExitNotIntact;
}

}  // namespace

void AddShowCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<ShowFlags>();
  CLI::App* cmd = app->add_subcommand(
      "show", "Show one entry: its event decoded, and its inclusion proof checked locally");
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  cmd->add_option("sequence", f->sequence, "Sequence number of the entry")->required();
  cmd->add_option("--log-key", f->log_key,
                  "Checkpoint verifier key you trust (<origin>+<hash>+<base64>, or a file "
                  "holding it): also check the checkpoint's signature");
  SetExamples(cmd,
              "Exits 2 when the inclusion proof (or, with --log-key, the checkpoint) does not "
              "verify.\nThe history of a claim (corrections, verdicts) comes with the claim "
              "views.\nExamples:\n  ledgerctl show 14\n"
              "  ledgerctl show 14 --log-key \"$(cat .data/checkpoint-verifier-key)\" --json");
  table->Add(cmd, [f] { return RunShow(*f); });
}

}  // namespace ledger::cli
