// bundle: an offline proof bundle of one entry; bundle verify: check bundles with no server.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "cli/bundle.h"
#include "cli/claim_source.h"
#include "cli/claimreview.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/explain.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/base/file_util.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/cosignature.h"

namespace ledger::cli {
namespace {

struct BundleFlags {
  SourceOptions source;
  bool json = false;
  uint64_t sequence = 0;
  std::string out, public_key, log_key;
  std::string format = "json";  // or "tlog-proof" (c2sp.org/tlog-proof, cli/bundle.h)
  std::string witnessed;        // a cosigned checkpoint to prove into instead of the latest
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
  if (!f.witnessed.empty()) {
    // A witnessed checkpoint (ledgerd's <data-dir>/witnessed.checkpoint or GET
    // /checkpoint?witnessed): the bundle carries its cosignatures, so a verifier can require a
    // witness policy. It must be a checkpoint of this log no larger than the latest.
    absl::StatusOr<std::string> note = ReadFileToString(f.witnessed, witness::kMaxSignedNoteBytes);
    if (!note.ok()) {
      std::cerr << "ledgerctl: --witnessed-checkpoint: " << note.status().message() << "\n";
      return kExitUsage;
    }
    absl::StatusOr<format::Checkpoint> wcp =
        verifier.has_value() ? format::VerifyCheckpoint(*note, *verifier)
                             : format::ParseCheckpointUnverified(*note);
    if (!wcp.ok()) {
      std::cerr << "ledgerctl: --witnessed-checkpoint " << f.witnessed << ": "
                << wcp.status().message() << "\n";
      return kExitNotIntact;
    }
    if (wcp->origin != latest->first.origin || wcp->tree_size > latest->first.tree_size) {
      std::cerr << "ledgerctl: --witnessed-checkpoint " << f.witnessed << " is of "
                << wcp->origin << " at size " << wcp->tree_size << ", not a checkpoint of this "
                << "log up to its size " << latest->first.tree_size << "\n";
      return kExitRefused;
    }
    latest->first = *wcp;
    latest->second = *note;
  }
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

struct ExplainFlags {
  SourceOptions source;
  bool json = false;
  std::string claim_id, out, log_key;
  uint64_t min_tree_size = 0;
  int wait_seconds = 30;
  std::vector<std::string> public_keys;  // signers no entry registers (genesis admins)
};

// explain CLAIM: the claim's state as of the latest map commitment, its map proof and every
// entry behind it (cli/explain.h).
int RunExplain(const ExplainFlags& f) {
  if (!f.source.data_dir.empty()) {
    std::cerr << "ledgerctl: explain needs a running ledgerd (--server): the claim-state map "
                 "is committed and signed by the server\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  auto log = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!log.has_value()) return rc;
  absl::StatusOr<std::unique_ptr<ClaimSource>> claims = ClaimSource::Open(f.source);
  if (!claims.ok()) return ReportOpenError(claims.status());
  LedgerClient* client = (*claims)->client();

  // --min-tree-size: wait for a commitment that covers it (the map lags the log by at most
  // the server's --map-commit-interval-ms once the views have caught up).
  if (f.min_tree_size > 0) {
    const absl::Time deadline = absl::Now() + absl::Seconds(f.wait_seconds);
    v1::ProveStateRequest preq;
    preq.set_claim_id(f.claim_id);
    for (;;) {
      absl::StatusOr<v1::ProveStateResponse> p = client->ProveState(preq);
      if (p.ok() && p->proof().tree_size() >= f.min_tree_size) break;
      if (!p.ok() && !absl::IsFailedPrecondition(p.status())) return ReportError(p.status());
      if (absl::Now() >= deadline) {
        std::cerr << "ledgerctl: the server's claim-state map has no commitment at tree size "
                  << f.min_tree_size << " or later after " << f.wait_seconds << " s (latest: "
                  << (p.ok() ? absl::StrCat(p->proof().tree_size()) : std::string("none"))
                  << "); are its views catching up? (ledgerctl status)\n";
        return kExitRefused;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  ExplainBundle b;
  b.claim_id = f.claim_id;
  v1::StateProof proof;
  v1::GetClaimRequest req;
  req.set_claim_id(f.claim_id);
  req.set_with_proof(true);
  absl::StatusOr<v1::GetClaimResponse> got = client->GetClaim(req);
  if (got.ok()) {
    proof = got->state_proof();
    b.stated = StatedAnswer(got->claim());
  } else if (absl::IsNotFound(got.status())) {
    // Unknown as of the commitment: prove it absent.
    v1::ProveStateRequest preq;
    preq.set_claim_id(f.claim_id);
    absl::StatusOr<v1::ProveStateResponse> p = client->ProveState(preq);
    if (!p.ok()) return ReportError(p.status());
    proof = p->proof();
  } else {
    return ReportError(got.status());
  }
  if (proof.map_checkpoint().empty()) {
    std::cerr << "ledgerctl: the server signs no map checkpoints (a follower holds no log key): "
                 "explain against the leader\n";
    return kExitRefused;
  }
  absl::StatusOr<format::Checkpoint> cp = format::ParseCheckpointUnverified(proof.map_checkpoint());
  if (!cp.ok()) return ReportError(cp.status());
  absl::StatusOr<merkle::MapProof> map_proof = MapProofOf(proof);
  if (!map_proof.ok()) return ReportError(map_proof.status());
  b.origin = cp->origin;
  b.tree_size = proof.tree_size();
  b.map_checkpoint = proof.map_checkpoint();
  b.map_proof = *std::move(map_proof);
  if (!proof.state_hash().empty()) b.state_hash = HashFromBytes(proof.state_hash());
  std::map<std::string, crypto::PublicKey> keys;
  for (const std::string& arg : f.public_keys) {
    absl::StatusOr<crypto::PublicKey> k = ParsePublicKeyArg(arg);
    if (!k.ok()) {
      std::cerr << "ledgerctl: --public-key " << arg << ": " << k.status().message() << "\n";
      return kExitUsage;
    }
    keys[std::string(AsStringView(crypto::SignerKeyId(*k)))] = *k;
  }
  for (SequenceNumber seq : b.stated.history) {
    absl::StatusOr<ledger::v1::Entry> entry = log->reader->GetEntry(seq);
    if (!entry.ok()) return ReportError(entry.status());
    absl::StatusOr<ProofBundle> e =
        BundleOfEntry(log->reader.get(), *entry, *cp, b.map_checkpoint, std::nullopt, &keys);
    if (!e.ok()) return ReportError(e.status());
    b.entries.push_back(*std::move(e));
  }
  const std::string document = EncodeExplainBundle(b);
  // Never hand out a bundle that does not verify.
  if (log->verifier.has_value()) {
    absl::StatusOr<VerifiedExplain> check = VerifyExplainBundle(document, *log->verifier);
    if (!check.ok()) {
      std::cerr << "ledgerctl: the explain bundle does not verify: " << check.status().message()
                << "\n";
      return kExitNotIntact;
    }
  }
  if (absl::Status s = WriteFileAtomically(f.out, document); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  if (f.json) {
    JsonObject o;
    o.AddString("file", f.out).AddString("claim_id", b.claim_id).AddUint("tree_size", b.tree_size)
        .AddBool("exists", b.stated.exists).AddUint("entries", b.entries.size())
        .AddBool("checkpoint_signature_checked", log->verifier.has_value());
    if (b.stated.exists) o.AddString("status", b.stated.status);
    std::cout << o.Build() << "\n";
  } else if (b.stated.exists) {
    std::cout << "wrote " << f.out << ": claim " << b.claim_id << " is " << b.stated.status
              << " as of tree size " << b.tree_size << " (" << b.entries.size()
              << " entries, " << b.stated.verdicts.size() << " verdicts)\n";
  } else {
    std::cout << "wrote " << f.out << ": no entry concerns claim " << b.claim_id
              << " as of tree size " << b.tree_size << " (a proof of absence)\n";
  }
  return kExitOk;
}

void PrintExplainVerified(const std::string& file, const VerifiedExplain& v, bool json) {
  const ClaimAnswer& a = v.replayed;
  const ExplainBundle& b = v.bundle;
  if (json) {
    JsonObject o;
    o.AddString("file", file).AddBool("verified", true).AddString("claim_id", b.claim_id)
        .AddUint("tree_size", b.tree_size).AddString("origin", b.origin)
        .AddString("map_root", HexEncode(v.map_checkpoint.map_root)).AddBool("exists", a.exists);
    if (a.exists) {
      o.AddString("status", a.status).AddUint("version_sequence", a.version_sequence)
          .AddUint("entries", a.history.size()).AddUint("verdicts", a.verdicts.size())
          .AddUint("appearances", a.appearances.size()).AddUint("relations", a.relations.size());
    }
    std::cout << o.Build() << "\n";
    return;
  }
  if (!a.exists) {
    std::cout << file << ": verified\n  as of tree size " << b.tree_size << " of " << b.origin
              << ", no entry concerns claim " << b.claim_id
              << " (the signed claim-state map proves it absent)\n";
    return;
  }
  std::cout << file << ": verified\n  as of tree size " << b.tree_size << " of " << b.origin
            << ", claim " << b.claim_id << " stands " << a.status
            << "\n  current version: entry " << a.version_sequence << "; " << a.verdicts.size()
            << " verdicts, " << a.appearances.size() << " appearances, " << a.relations.size()
            << " relations\n  complete: the " << a.history.size()
            << " entries reproduce the claim's state hash in the signed claim-state map (no "
               "correction, retraction or verdict left out)\n";
}

struct BundleVerifyFlags {
  bool json = false;
  std::vector<std::string> files;
  std::string log_key;
  WitnessFlags witness;
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
  absl::StatusOr<std::optional<witness::WitnessPolicy>> policy = WitnessPolicyFromFlags(f.witness);
  if (!policy.ok()) {
    std::cerr << "ledgerctl: " << policy.status().message() << "\n";
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
    if (IsExplainBundle(*document)) {
      absl::StatusOr<VerifiedExplain> v = VerifyExplainBundle(*document, *verifier);
      if (v.ok()) {
        PrintExplainVerified(file, *v, f.json);
      } else {
        rc = kExitNotIntact;
        if (f.json) {
          std::cout << JsonObject().AddString("file", file).AddBool("verified", false)
                           .AddString("problem", v.status().message()).Build() << "\n";
        } else {
          std::cout << file << ": NOT VERIFIED: " << v.status().message() << "\n";
        }
      }
      continue;
    }
    const bool tlog_proof = IsTlogProof(*document);
    if (!tlog_proof && !IsProofBundle(*document)) {
      rc = std::max(rc, VerifyClaimReviews(file, *document, *verifier, f.json));
      continue;
    }
    absl::StatusOr<VerifiedBundle> v = tlog_proof ? VerifyTlogProof(*document, *verifier)
                                                  : VerifyBundle(*document, *verifier);
    std::vector<std::string> cosigned_by;
    if (v.ok() && policy->has_value()) {
      // The checkpoint's own signature is verified above; the cosignatures are over its text.
      absl::StatusOr<witness::PolicyResult> r =
          witness::CheckWitnessPolicy(v->bundle.checkpoint, **policy);
      if (r.ok()) {
        cosigned_by = r->cosigned_by;
      } else {
        v = absl::DataLossError(absl::StrCat("witness policy: ", r.status().message()));
      }
    }
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
        if (policy->has_value()) {
          o.AddString("witnessed_by", absl::StrJoin(cosigned_by, ","));
        }
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
      if (policy->has_value()) {
        std::cout << "  witnessed: cosigned by " << absl::StrJoin(cosigned_by, ", ")
                  << " (policy " << (*policy)->threshold << " of "
                  << (*policy)->witnesses.size() << ")\n";
      }
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
  bundle->add_option("--witnessed-checkpoint", f->witnessed,
                     "Prove into this cosigned checkpoint (<data-dir>/witnessed.checkpoint, or "
                     "GET /checkpoint?witnessed) instead of the latest: the bundle carries the "
                     "witnesses' cosignatures");
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
  AddWitnessFlags(verify, &vf->witness);
  SetExamples(verify,
              "Accepts JSON bundles and C2SP tlog-proof files (bundle --format tlog-proof).\n"
              "Checks: the file is a canonical bundle; the checkpoint is signed by --log-key; "
              "the event\nparses; its signature verifies with the bundled public key (whose key "
              "id it names);\nthe leaf hash and the inclusion proof lead to the checkpoint's "
              "root.\nA file of ClaimReview JSON-LD (export --format claimreview: JSON Lines, an "
              "array,\n@graph or a DataFeed) is checked item by item: both proofs, and every "
              "stated value\nagainst the signed events.\n"
              "With --witness-key, a proof bundle's checkpoint must also carry cosignatures by\n"
              "--witness-policy of those witnesses (bundle --witnessed-checkpoint).\n"
              "Exits 0 when every bundle verifies, 2 otherwise.\nExample:\n"
              "  ledgerctl bundle verify claim-14.json --log-key \"$(cat verifier-key)\"");
  table->Add(verify, [vf] { return RunBundleVerify(*vf); });

  auto ef = std::make_shared<ExplainFlags>();
  CLI::App* explain = app->add_subcommand(
      "explain", "Write a claim's verifiable answer: its state, the claim-state map proof and "
                 "every entry behind it (bundle verify checks it)");
  AddSourceFlags(explain, &ef->source);
  AddJsonFlag(explain, &ef->json);
  explain->add_option("claim_id", ef->claim_id, "The claim")->required();
  explain->add_option("--out", ef->out, "Bundle file to write")->required();
  explain->add_option("--log-key", ef->log_key,
                      "Checkpoint verifier key: check the bundle before writing it");
  explain->add_option("--min-tree-size", ef->min_tree_size,
                      "Wait (up to --wait seconds) for a map commitment at this tree size or "
                      "later, e.g. your append's sequence + 1");
  explain->add_option("--public-key", ef->public_keys,
                      "Public key (file or hex) of a signer no entry registers, e.g. a genesis "
                      "admin (repeatable)");
  explain->add_option("--wait", ef->wait_seconds, "Seconds --min-tree-size waits at most")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  SetExamples(explain,
              "The answer is as of the server's latest claim-state map commitment (at most "
              "--map-commit-interval-ms\nbehind its views). bundle verify checks the map "
              "checkpoint's signature, the claim's map\nproof, every entry's signature and "
              "inclusion proof, recomputes the claim's state hash\nfrom the entries (so none was "
              "left out) and replays them against the stated state.\nExample:\n"
              "  ledgerctl explain claim-0001 --out claim-0001.explain.json\n"
              "  ledgerctl bundle verify claim-0001.explain.json --log-key \"$(cat verifier-key)\"");
  table->Add(explain, [ef] { return RunExplain(*ef); });
}

}  // namespace ledger::cli
