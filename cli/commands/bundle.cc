// bundle: an offline proof bundle of one entry; bundle verify: check bundles with no server.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "cli/bundle.h"
#include "cli/claimreview.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/base/file_util.h"
#include "ledger/format/checkpoint.h"

namespace ledger::cli {
namespace {

struct BundleFlags {
  SourceOptions source;
  bool json = false;
  uint64_t sequence = 0;
  std::string out, public_key, log_key;
  std::string format = "json";  // or "tlog-proof" (c2sp.org/tlog-proof, cli/bundle.h)
};

int RunBundle(const BundleFlags& f) {
  if (f.format != "json" && f.format != "tlog-proof") {
    std::cerr << "ledgerctl: bundle --format must be json or tlog-proof, not \"" << f.format
              << "\"\n";
    return kExitUsage;
  }
  const bool tlog_proof = f.format == "tlog-proof";
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!source.has_value()) return rc;
  LogReader* reader = source->reader.get();
  absl::StatusOr<ledger::v1::Entry> entry = reader->GetEntry(f.sequence);
  if (!entry.ok()) return ReportError(entry.status());
  const std::string& key_id = entry->signed_event().key_id();
  std::optional<crypto::PublicKey> public_key;
  if (!f.public_key.empty()) {
    absl::StatusOr<crypto::PublicKey> k = ParsePublicKeyArg(f.public_key);
    if (!k.ok()) {
      std::cerr << "ledgerctl: --public-key: " << k.status().message() << "\n";
      return kExitUsage;
    }
    if (AsStringView(crypto::SignerKeyId(*k)) != key_id) {
      std::cerr << "ledgerctl: --public-key: its key id is not " << HexEncode(key_id)
                << ", the key that signed entry " << f.sequence << "\n";
      return kExitUsage;
    }
    public_key = *k;
  }

  const std::optional<format::NoteVerifier>& verifier = source->verifier;
  auto latest = LatestCheckpointChecked(reader, verifier, &rc);
  if (!latest.has_value()) return rc;
  const format::Checkpoint* const cp = &latest->first;
  const std::string* const note = &latest->second;
  if (cp->tree_size <= f.sequence) {
    std::cerr << "ledgerctl: the latest checkpoint (size " << cp->tree_size
              << ") does not cover entry " << f.sequence << " yet\n";
    return kExitRefused;
  }
  absl::StatusOr<ProofBundle> built = BundleOfEntry(reader, *entry, *cp, *note, public_key);
  if (!built.ok()) return ReportError(built.status());
  const ProofBundle& b = *built;
  const std::string document = tlog_proof ? EncodeTlogProof(b) : EncodeBundle(b);

  // Never hand out a bundle that does not verify.
  if (verifier.has_value()) {
    absl::StatusOr<VerifiedBundle> check =
        tlog_proof ? VerifyTlogProof(document, *verifier) : VerifyBundle(document, *verifier);
    if (!check.ok()) {
      std::cerr << "ledgerctl: the bundle does not verify: " << check.status().message() << "\n";
      return kExitNotIntact;
    }
  }
  if (absl::Status s = WriteFileAtomically(f.out, document); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  if (f.json) {
    std::cout << JsonObject()
                     .AddString("file", f.out)
                     .AddUint("sequence", b.sequence)
                     .AddString("event_id", b.event_id)
                     .AddUint("tree_size", b.tree_size)
                     .AddString("format", tlog_proof ? "tlog-proof" : "json")
                     .AddBool("checkpoint_signature_checked", verifier.has_value())
                     .Build()
              << "\n";
  } else {
    std::cout << "wrote " << f.out << ": entry " << b.sequence << " (" << b.event_id
              << ") in the tree of size " << b.tree_size << " of " << b.origin << "\n";
  }
  return kExitOk;
}

struct BundleVerifyFlags {
  bool json = false;
  std::vector<std::string> files;
  std::string log_key;
};

// A proof bundle is one JSON object with a "format" member; anything else is read as
// ClaimReview JSON-LD (export --format claimreview).
bool IsProofBundle(absl::string_view document) {
  nlohmann::json doc = nlohmann::json::parse(document.begin(), document.end(), nullptr, false);
  return doc.is_discarded() ? absl::StartsWith(absl::StripLeadingAsciiWhitespace(document),
                                               "{\n  \"format\"")
                            : doc.is_object() && doc.contains("format");
}

// Checks every ClaimReview of a document; prints one line (or JSON object) per item. Returns
// the exit code.
int VerifyClaimReviews(const std::string& file, absl::string_view document,
                       const format::NoteVerifier& verifier, bool json) {
  absl::StatusOr<std::vector<nlohmann::ordered_json>> items = ParseClaimReviewDocument(document);
  if (!items.ok()) {
    if (json) {
      std::cout << JsonObject().AddString("file", file).AddBool("verified", false)
                       .AddString("problem", items.status().message()).Build() << "\n";
    } else {
      std::cout << file << ": NOT VERIFIED: neither a proof bundle nor ClaimReview JSON-LD: "
                << items.status().message() << "\n";
    }
    return kExitNotIntact;
  }
  int rc = kExitOk;
  for (size_t i = 0; i < items->size(); ++i) {
    absl::StatusOr<VerifiedClaimReview> v = VerifyClaimReview((*items)[i], verifier);
    if (!v.ok()) rc = kExitNotIntact;
    if (json) {
      JsonObject o;
      o.AddString("file", file).AddUint("item", i).AddBool("verified", v.ok());
      if (v.ok()) {
        const auto& r = v->review.event.claim_reviewed();
        o.AddString("claim_id", v->claim_id)
            .AddString("rating_text", r.rating_text())
            .AddString("reviewer", r.reviewer())
            .AddUint("review_sequence", v->review.bundle.sequence)
            .AddUint("claim_sequence", v->claim.bundle.sequence)
            .AddUint("tree_size", v->review.checkpoint.tree_size)
            .AddString("origin", v->review.checkpoint.origin);
      } else {
        o.AddString("problem", v.status().message());
      }
      std::cout << o.Build() << "\n";
    } else if (v.ok()) {
      const auto& r = v->review.event.claim_reviewed();
      std::cout << file << " item " << i << ": verified ClaimReview: \"" << r.rating_text()
                << "\" by " << r.reviewer() << " of claim " << v->claim_id << " (verdict entry "
                << v->review.bundle.sequence << ", claim version entry " << v->claim.bundle.sequence
                << ", tree of size " << v->review.checkpoint.tree_size << " of "
                << v->review.checkpoint.origin << ")\n";
    } else {
      std::cout << file << " item " << i << ": NOT VERIFIED: " << v.status().message() << "\n";
    }
  }
  return rc;
}

int RunBundleVerify(const BundleVerifyFlags& f) {
  absl::StatusOr<format::NoteVerifier> verifier = ParseLogKeyArg(f.log_key);
  if (!verifier.ok()) {
    std::cerr << "ledgerctl: --log-key: " << verifier.status().message() << "\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  for (const std::string& file : f.files) {
    absl::StatusOr<std::string> document = ReadFileOrStdin(file);
    if (!document.ok()) {
      std::cerr << "ledgerctl: " << document.status().message() << "\n";
      rc = std::max(rc, kExitUsage);
      continue;
    }
    const bool tlog_proof = IsTlogProof(*document);
    if (!tlog_proof && !IsProofBundle(*document)) {
      rc = std::max(rc, VerifyClaimReviews(file, *document, *verifier, f.json));
      continue;
    }
    absl::StatusOr<VerifiedBundle> v = tlog_proof ? VerifyTlogProof(*document, *verifier)
                                                  : VerifyBundle(*document, *verifier);
    if (!v.ok()) rc = kExitNotIntact;
    if (f.json) {
      JsonObject o;
      o.AddString("file", file).AddBool("verified", v.ok());
      o.AddString("format", tlog_proof ? "tlog-proof" : "json");
      if (v.ok()) {
        o.AddUint("sequence", v->bundle.sequence)
            .AddString("event_id", v->bundle.event_id)
            .AddString("type", EventTypeName(v->event))
            .AddString("key_id", HexEncode(v->bundle.key_id))
            .AddString("recorded_time", FormatTime(v->recorded_time_micros))
            .AddUint("tree_size", v->checkpoint.tree_size)
            .AddString("root_hash", HexEncode(v->checkpoint.root_hash))
            .AddString("origin", v->checkpoint.origin)
            .AddRaw("event", EventJson(v->event));
      } else {
        o.AddString("problem", v.status().message());
      }
      std::cout << o.Build() << "\n";
    } else if (v.ok()) {
      std::cout << file << ": verified\n  entry " << v->bundle.sequence << " ("
                << v->bundle.event_id << ", " << EventTypeName(v->event) << ") recorded "
                << FormatTime(v->recorded_time_micros) << "\n  " << EventSummary(v->event)
                << "\n  signed by key " << HexEncode(v->bundle.key_id)
                << "\n  included in the tree of size " << v->checkpoint.tree_size << " (root "
                << HexEncode(v->checkpoint.root_hash) << ") signed by the log key of "
                << v->checkpoint.origin
                << "\n  (whether that key was registered and unrevoked then is checked by "
                   "`ledgerctl verify` on the whole log)\n";
    } else {
      std::cout << file << ": NOT VERIFIED: " << v.status().message() << "\n";
    }
  }
  return rc;
}

}  // namespace

void AddBundleCommands(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<BundleFlags>();
  CLI::App* bundle = app->add_subcommand(
      "bundle", "Write an offline proof bundle of one entry (bundle verify checks it)");
  AddSourceFlags(bundle, &f->source);
  AddJsonFlag(bundle, &f->json);
  bundle->add_option("sequence", f->sequence, "Sequence number of the entry");
  bundle->add_option("--out", f->out, "Bundle file to write");
  bundle->add_option("--public-key", f->public_key,
                     "The signer's public key (file or hex); default: found in the log");
  bundle->add_option("--log-key", f->log_key,
                     "Checkpoint verifier key: check the bundle before writing it");
  bundle->add_option("--format", f->format,
                     "json (factledger-proof-bundle/v1) or tlog-proof (C2SP c2sp.org/tlog-proof "
                     "text; the public key and leaf data ride in its extra line)")
      ->capture_default_str();
  bundle->require_subcommand(0, 1);
  SetExamples(bundle,
              "The bundle (JSON, docs/cli.md) holds the entry's leaf data, the signer's public "
              "key,\nthe inclusion proof and the signed checkpoint: it proves \"this key signed "
              "this event\nand the log included it\" with no server.\nExamples:\n"
              "  ledgerctl bundle 14 --out claim-14.json\n"
              "  ledgerctl bundle 14 --format tlog-proof --out claim-14.tlog-proof\n"
              "  ledgerctl bundle verify claim-14.json --log-key \"$(cat verifier-key)\"");
  table->Add(bundle, [f, bundle] {
    if (f->out.empty() || bundle->get_option("sequence")->count() == 0) {
      std::cerr << "ledgerctl: bundle: give SEQUENCE and --out FILE (or: bundle verify FILE)\n";
      return kExitUsage;
    }
    return RunBundle(*f);
  });

  auto vf = std::make_shared<BundleVerifyFlags>();
  CLI::App* verify = bundle->add_subcommand(
      "verify", "Check proof bundles (or ClaimReview exports) with no server, against the log key you trust");
  AddJsonFlag(verify, &vf->json);
  verify->add_option("file", vf->files, "Bundle files (- for stdin)")->required();
  verify->add_option("--log-key", vf->log_key,
                     "Checkpoint verifier key you trust (<origin>+<hash>+<base64>, or a file "
                     "holding it)")
      ->required();
  SetExamples(verify,
              "Accepts JSON bundles and C2SP tlog-proof files (bundle --format tlog-proof).\n"
              "Checks: the file is a canonical bundle; the checkpoint is signed by --log-key; "
              "the event\nparses; its signature verifies with the bundled public key (whose key "
              "id it names);\nthe leaf hash and the inclusion proof lead to the checkpoint's "
              "root.\nA file of ClaimReview JSON-LD (export --format claimreview: JSON Lines, an "
              "array,\n@graph or a DataFeed) is checked item by item: both proofs, and every "
              "stated value\nagainst the signed events.\n"
              "Exits 0 when every bundle verifies, 2 otherwise.\nExample:\n"
              "  ledgerctl bundle verify claim-14.json --log-key \"$(cat verifier-key)\"");
  table->Add(verify, [vf] { return RunBundleVerify(*vf); });
}

}  // namespace ledger::cli
