// checkpoint and proof: signed checkpoints, and inclusion and consistency proofs checked
// locally against a checkpoint verifier key from the user's own configuration.
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"

namespace ledger::cli {
namespace {

struct CheckpointFlags {
  SourceOptions source;
  bool json = false;
  uint64_t size = 0;
  std::string log_key;
};

int RunCheckpoint(const CheckpointFlags& f) {
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!source.has_value()) return rc;
  LogReader* reader = source->reader.get();
  const std::optional<format::NoteVerifier>& verifier = source->verifier;
  absl::StatusOr<std::string> note =
      f.size == 0 ? reader->LatestCheckpoint() : reader->CheckpointAt(f.size);
  if (!note.ok()) return ReportError(note.status());
  absl::StatusOr<format::Checkpoint> cp = verifier.has_value()
                                              ? format::VerifyCheckpoint(*note, *verifier)
                                              : format::ParseCheckpointUnverified(*note);
  if (!cp.ok()) {
    std::cerr << "ledgerctl: the checkpoint does not verify: " << cp.status().message() << "\n";
    return kExitNotIntact;
  }
  if (f.json) {
    JsonObject o;
    o.AddUint("tree_size", cp->tree_size)
        .AddString("root_hash", HexEncode(cp->root_hash))
        .AddString("checkpoint", *note);
    if (verifier.has_value()) o.AddBool("verified", true);
    std::cout << o.Build() << "\n";
  } else {
    std::cout << *note;
  }
  return kExitOk;
}

struct ProofFlags {
  SourceOptions source;
  bool json = false;
  uint64_t sequence = 0;
  CLI::Option* sequence_option = nullptr;
  std::vector<uint64_t> consistency;
  std::string log_key;
};

// Fetches a checkpoint (size 0: the latest) and verifies its signature. On failure prints why
// and sets *exit_code.
std::optional<format::Checkpoint> FetchVerifiedCheckpoint(LogReader* reader, TreeSize size,
                                                          const format::NoteVerifier& verifier,
                                                          int* exit_code) {
  absl::StatusOr<std::string> note =
      size == 0 ? reader->LatestCheckpoint() : reader->CheckpointAt(size);
  if (!note.ok()) {
    *exit_code = ReportError(note.status());
    return std::nullopt;
  }
  absl::StatusOr<format::Checkpoint> cp = format::VerifyCheckpoint(*note, verifier);
  if (!cp.ok()) {
    std::cerr << "ledgerctl: the checkpoint" << (size == 0 ? "" : absl::StrCat(" of size ", size))
              << " from the " << reader->Describe()
              << " does not verify: " << cp.status().message() << "\n";
    *exit_code = kExitNotIntact;
    return std::nullopt;
  }
  return *cp;
}

int ProveInclusion(const ProofFlags& f, LogReader* reader, const format::NoteVerifier& verifier) {
  int rc = kExitOk;
  std::optional<format::Checkpoint> cp = FetchVerifiedCheckpoint(reader, 0, verifier, &rc);
  if (!cp.has_value()) return rc;
  if (f.sequence >= cp->tree_size) {
    std::cerr << "ledgerctl: entry " << f.sequence << " is not in the latest signed tree (size "
              << cp->tree_size << ")\n";
    return kExitRefused;
  }
  absl::StatusOr<std::vector<Hash>> proof = reader->InclusionProof(f.sequence, cp->tree_size);
  if (!proof.ok()) return ReportError(proof.status());
  absl::StatusOr<ledger::v1::Entry> entry = reader->GetEntry(f.sequence);
  if (!entry.ok()) return ReportError(entry.status());
  // The leaf hash is recomputed from the entry's bytes, never taken from the server.
  const Hash leaf_hash = merkle::HashLeaf(entry->leaf_data());
  absl::Status ok =
      merkle::VerifyInclusion(f.sequence, cp->tree_size, leaf_hash, *proof, cp->root_hash);
  if (!ok.ok()) {
    std::cerr << "ledgerctl: inclusion proof of entry " << f.sequence
              << " does NOT verify: " << ok.message() << "\n";
    return kExitNotIntact;
  }
  if (f.json) {
    std::vector<std::string> hashes;
    for (const Hash& h : *proof) hashes.push_back(HexEncode(h));
    std::cout << JsonObject()
                     .AddUint("sequence", f.sequence)
                     .AddUint("tree_size", cp->tree_size)
                     .AddString("leaf_hash", HexEncode(leaf_hash))
                     .AddString("root_hash", HexEncode(cp->root_hash))
                     .AddStringArray("hashes", hashes)
                     .AddBool("verified", true)
                     .Build()
              << "\n";
  } else {
    std::cout << "entry " << f.sequence << " (leaf " << HexEncode(leaf_hash)
              << ") is included in the signed tree of size " << cp->tree_size << " (root "
              << HexEncode(cp->root_hash) << "): verified\n";
  }
  return kExitOk;
}

int ProveConsistency(const ProofFlags& f, LogReader* reader,
                     const format::NoteVerifier& verifier) {
  const TreeSize from = f.consistency[0];
  const TreeSize to_flag = f.consistency.size() > 1 ? f.consistency[1] : 0;
  if (f.consistency.size() > 1 && from > to_flag) {
    std::cerr << "ledgerctl: --consistency FROM TO: " << from << " is larger than " << to_flag
              << "\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  std::optional<format::Checkpoint> to_cp = FetchVerifiedCheckpoint(reader, to_flag, verifier, &rc);
  if (!to_cp.has_value()) return rc;
  if (from > to_cp->tree_size) {
    std::cerr << "ledgerctl: tree size " << from << " is beyond the latest signed tree (size "
              << to_cp->tree_size << ")\n";
    return kExitRefused;
  }
  std::optional<format::Checkpoint> from_cp;
  std::vector<Hash> proof;
  if (from == 0) {
    // Every tree extends the empty tree; RFC 6962 has no proof for it.
  } else {
    from_cp = FetchVerifiedCheckpoint(reader, from, verifier, &rc);
    if (!from_cp.has_value()) return rc;
    absl::StatusOr<std::vector<Hash>> p = reader->ConsistencyProof(from, to_cp->tree_size);
    if (!p.ok()) return ReportError(p.status());
    proof = *p;
    absl::Status ok = merkle::VerifyConsistency(from, to_cp->tree_size, from_cp->root_hash,
                                                to_cp->root_hash, proof);
    if (!ok.ok()) {
      std::cerr << "ledgerctl: the consistency proof from size " << from << " to "
                << to_cp->tree_size << " does NOT verify: " << ok.message() << "\n";
      return kExitNotIntact;
    }
  }
  const std::string from_root = from_cp.has_value() ? HexEncode(from_cp->root_hash)
                                                    : HexEncode(merkle::EmptyRoot());
  if (f.json) {
    std::vector<std::string> hashes;
    for (const Hash& h : proof) hashes.push_back(HexEncode(h));
    std::cout << JsonObject()
                     .AddUint("from_tree_size", from)
                     .AddString("from_root_hash", from_root)
                     .AddUint("to_tree_size", to_cp->tree_size)
                     .AddString("to_root_hash", HexEncode(to_cp->root_hash))
                     .AddStringArray("hashes", hashes)
                     .AddBool("verified", true)
                     .Build()
              << "\n";
  } else {
    std::cout << "the signed tree of size " << to_cp->tree_size << " (root "
              << HexEncode(to_cp->root_hash) << ") extends the "
              << (from == 0 ? "empty tree" : absl::StrCat("signed tree of size ", from))
              << " (root " << from_root << "): verified"
              << (from == 0 ? " (trivially: every tree extends the empty one)" : "") << "\n";
  }
  return kExitOk;
}

int RunProof(const ProofFlags& f) {
  const bool inclusion = f.sequence_option->count() > 0;
  if (inclusion == !f.consistency.empty()) {
    std::cerr << "ledgerctl: proof: give --sequence N (inclusion) or --consistency FROM [TO]\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  std::optional<CheckedLogSource> source =
      OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/true, &rc);
  if (!source.has_value()) return rc;
  return inclusion ? ProveInclusion(f, source->reader.get(), *source->verifier)
                   : ProveConsistency(f, source->reader.get(), *source->verifier);
}

}  // namespace

void AddProofCommands(CLI::App* app, CommandTable* table) {
  auto cf = std::make_shared<CheckpointFlags>();
  CLI::App* checkpoint = app->add_subcommand("checkpoint", "Print a signed checkpoint");
  AddSourceFlags(checkpoint, &cf->source);
  AddJsonFlag(checkpoint, &cf->json);
  checkpoint->add_option("--size", cf->size,
                         "The checkpoint stored for exactly this tree size (default: the latest)");
  checkpoint->add_option("--log-key", cf->log_key,
                         "Also verify its signature with this checkpoint verifier key (exit 2 "
                         "if it does not verify)");
  SetExamples(checkpoint, "Examples:\n  ledgerctl checkpoint\n"
                          "  ledgerctl checkpoint --data-dir .data/ledger --size 19 --json");
  table->Add(checkpoint, [cf] { return RunCheckpoint(*cf); });

  auto f = std::make_shared<ProofFlags>();
  CLI::App* proof = app->add_subcommand(
      "proof", "Fetch an inclusion or consistency proof and verify it locally against signed "
               "checkpoints");
  AddSourceFlags(proof, &f->source);
  AddJsonFlag(proof, &f->json);
  f->sequence_option =
      proof->add_option("--sequence", f->sequence, "Prove that this entry is in the latest tree");
  proof->add_option("--consistency", f->consistency,
                    "FROM [TO]: prove that the signed tree of size TO (default: the latest) "
                    "extends the signed tree of size FROM")
      ->expected(1, 2);
  proof->add_option("--log-key", f->log_key,
                    "Checkpoint verifier key you trust (<origin>+<hash>+<base64>, or a file "
                    "holding it)")
      ->required();
  SetExamples(proof,
              "Checkpoints are signed at the end of each group commit; `ledgerctl checkpoint "
              "--size N`\nshows whether one is stored for size N. Exits 2 when a proof or "
              "signature does not verify.\nExamples:\n"
              "  ledgerctl proof --sequence 3 --log-key \"$(cat .data/checkpoint-verifier-key)\"\n"
              "  ledgerctl proof --consistency 17 --log-key .data/checkpoint-verifier-key");
  table->Add(proof, [f] { return RunProof(*f); });
}

}  // namespace ledger::cli
