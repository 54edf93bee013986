// export: every entry (or a range) as JSON Lines, online or offline; or (--format tiles DIR)
// the log as tlog-tiles static files.
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/claimreview.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/base/crash_point.h"
#include "ledger/base/file_util.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/event_validation.h"
#include "ledger/tiles/tile_path.h"
#include "ledger/tiles/tiles.h"

namespace ledger::cli {
namespace {

struct ExportFlags {
  SourceOptions source;
  bool json = true;  // Export is JSON Lines either way; --json is accepted for uniformity.
  uint64_t from = 0;
  uint64_t to = std::numeric_limits<uint64_t>::max();
  std::string format = "entries";
  bool feed = false;
  std::string log_key;
  std::string dir;  // --format tiles
};

// Writes one tile (or bundle, or the checkpoint) under `dir` at its tlog-tiles path, through
// WriteFileAtomically (temporary file, fsync, rename). A full tile or bundle already there is
// left alone when it holds the same bytes -- they never change -- and is DataLoss when it does
// not (the directory holds another tree: a fork, or another log). Partial ones are replaced.
absl::Status WriteTileFile(const std::string& dir, const std::string& path,
                           const std::string& bytes, bool immutable, uint64_t* written,
                           uint64_t* kept) {
  const std::filesystem::path file = std::filesystem::path(dir) / path;
  if (immutable) {
    absl::StatusOr<std::string> old = ReadFileToString(file.string(), bytes.size() + 1);
    if (old.ok() && *old == bytes) {
      ++*kept;
      return absl::OkStatus();
    }
    if (old.ok() || absl::IsOutOfRange(old.status())) {
      return absl::DataLossError(absl::StrCat(
          file.string(), " already holds other bytes: the directory holds another tree (a fork "
                         "or another log); export into an empty directory"));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", file.parent_path().string(), ": ", ec.message()));
  }
  LEDGER_RETURN_IF_ERROR(WriteFileAtomically(file.string(), bytes));
  ++*written;
  LEDGER_CRASH_POINT("tiles-export-after-file");
  return absl::OkStatus();
}

// --format tiles DIR: the tree of the latest checkpoint (its signature checked with --log-key
// when given) as the files of a tlog-tiles log under DIR: every full and partial tile, every
// entry bundle, then -- last, once every tile it needs is on disk and the root rebuilt from the
// entries equals its root -- DIR/checkpoint. Any static web server serving DIR is then a
// tlog-tiles read API of the log. Re-running it after the log grew adds the new tiles.
int RunTilesExport(const ExportFlags& f) {
  if (f.dir.empty()) {
    std::cerr << "ledgerctl: --format tiles needs the directory to write: export --format tiles "
                 "DIR\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!source.has_value()) return rc;
  LogReader* reader = source->reader.get();
  auto latest = LatestCheckpointChecked(reader, source->verifier, &rc);
  if (!latest.has_value()) return rc;
  const format::Checkpoint& cp = latest->first;
  uint64_t written = 0, kept = 0;
  tiles::TileBuilder builder([&](const tiles::TileId& id, std::string bytes) {
    return WriteTileFile(f.dir, tiles::TilePath(id), bytes, !id.partial(), &written, &kept);
  });
  Progress progress("exported", cp.tree_size);
  absl::Status add;
  absl::Status scan = reader->Scan(0, cp.tree_size, [&](const ledger::v1::Entry& e) {
    add = builder.Add(e.leaf_data());
    progress.Update(e.sequence() + 1);
    return add.ok();
  });
  if (scan.ok()) scan = add;
  if (scan.ok()) scan = builder.Finish();
  progress.Finish();
  if (!scan.ok()) return ReportError(scan);
  if (builder.size() != cp.tree_size || builder.root() != cp.root_hash) {
    std::cerr << "ledgerctl: the entries of " << reader->Describe() << " give tree size "
              << builder.size() << " with root " << HexEncode(builder.root())
              << ", not the checkpoint's size " << cp.tree_size << " and root "
              << HexEncode(cp.root_hash) << "; DIR/checkpoint not written\n";
    return kExitNotIntact;
  }
  LEDGER_CRASH_POINT("tiles-export-before-checkpoint");
  uint64_t unused = 0;
  if (absl::Status s = WriteTileFile(f.dir, "checkpoint", latest->second, /*immutable=*/false,
                                     &unused, &unused);
      !s.ok()) {
    return ReportError(s);
  }
  std::cout << "exported the tree of size " << cp.tree_size << " to " << f.dir << ": "
            << written << " tiles and bundles written, " << kept
            << " already there, and the checkpoint\n";
  return kExitOk;
}

// --format claimreview: every verdict as a schema.org ClaimReview with the proofs of the
// verdict's entry and of the claim version it reviewed (cli/claimreview.h), in the tree of the
// latest checkpoint. Verdicts whose sequence lies in [--from, --to].
int RunClaimReviewExport(const ExportFlags& f) {
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/false, &rc);
  if (!source.has_value()) return rc;
  LogReader* reader = source->reader.get();
  const std::optional<format::NoteVerifier>& verifier = source->verifier;
  auto latest = LatestCheckpointChecked(reader, verifier, &rc);
  if (!latest.has_value()) return rc;
  const format::Checkpoint* const cp = &latest->first;
  const std::string* const note = &latest->second;
  // One pass: the current version of every claim as the log goes, and each verdict with the
  // version it reviewed. Contents are read again per verdict, so memory holds sequences only.
  std::map<std::string, SequenceNumber> version;  // claim id -> sequence of its current version
  std::vector<std::pair<SequenceNumber, SequenceNumber>> verdicts;  // (review, claim version)
  absl::Status bad;
  absl::Status scan = reader->Scan(0, cp->tree_size, [&](const ledger::v1::Entry& e) {
    absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(e.signed_event().event());
    if (!event.ok()) {
      bad = event.status();
      return false;
    }
    if (event->has_claim_asserted()) {
      version[e.signed_event().event_id()] = e.sequence();
    } else if (event->has_claim_corrected()) {
      version[event->claim_corrected().corrects_claim_id()] = e.sequence();
    } else if (event->has_claim_reviewed() && e.sequence() >= f.from && e.sequence() <= f.to) {
      auto it = version.find(event->claim_reviewed().claim_id());
      if (it == version.end()) {
        bad = absl::DataLossError(absl::StrCat("entry ", e.sequence(), " reviews claim ",
                                               event->claim_reviewed().claim_id(),
                                               ", which the log does not hold before it"));
        return false;
      }
      verdicts.emplace_back(e.sequence(), it->second);
    }
    return true;
  });
  if (!scan.ok()) return ReportError(scan);
  if (!bad.ok()) return ReportError(bad);

  std::map<std::string, crypto::PublicKey> keys;
  std::vector<nlohmann::ordered_json> items;
  Progress progress("exported", verdicts.size());
  uint64_t done = 0;
  for (const auto& [review_seq, claim_seq] : verdicts) {
    ClaimReviewSource item;
    absl::StatusOr<ledger::v1::Entry> review = reader->GetEntry(review_seq);
    if (!review.ok()) return ReportError(review.status());
    absl::StatusOr<ledger::v1::Entry> claim = reader->GetEntry(claim_seq);
    if (!claim.ok()) return ReportError(claim.status());
    absl::StatusOr<ledger::v1::Event> review_event =
        core::ParseStoredEvent(review->signed_event().event());
    absl::StatusOr<ledger::v1::Event> claim_event =
        core::ParseStoredEvent(claim->signed_event().event());
    if (!review_event.ok()) return ReportError(review_event.status());
    if (!claim_event.ok()) return ReportError(claim_event.status());
    item.review = review_event->claim_reviewed();
    item.claim_id = item.review.claim_id();
    item.claim = claim_event->has_claim_asserted() ? claim_event->claim_asserted().claim()
                                                   : claim_event->claim_corrected().claim();
    item.review_recorded_micros = review->recorded_time_micros();
    absl::StatusOr<ProofBundle> rb = BundleOfEntry(reader, *review, *cp, *note, std::nullopt, &keys);
    if (!rb.ok()) return ReportError(rb.status());
    absl::StatusOr<ProofBundle> cb = BundleOfEntry(reader, *claim, *cp, *note, std::nullopt, &keys);
    if (!cb.ok()) return ReportError(cb.status());
    item.review_proof = *std::move(rb);
    item.claim_proof = *std::move(cb);
    nlohmann::ordered_json json = ClaimReviewJson(item);
    if (verifier.has_value()) {  // never hand out a proof that does not verify
      absl::StatusOr<VerifiedClaimReview> v = VerifyClaimReview(json, *verifier);
      if (!v.ok()) {
        std::cerr << "ledgerctl: the ClaimReview of entry " << review_seq
                  << " does not verify: " << v.status().message() << "\n";
        return kExitNotIntact;
      }
    }
    if (f.feed) {
      items.push_back(std::move(json));
    } else {
      std::string line = json.dump();
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    progress.Update(++done);
  }
  progress.Finish();
  if (f.feed) {
    std::string doc = ClaimReviewFeed(std::move(items)).dump(1);
    doc.push_back('\n');
    std::fwrite(doc.data(), 1, doc.size(), stdout);
  }
  std::fflush(stdout);
  return kExitOk;
}

// The compromise windows of keys revoked as compromised among the first `size` entries:
// key id -> [since, revocation). One pass that parses only what it must (every entry's event:
// key events are known only once parsed), so an export can flag what such a key signed.
absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> CompromiseWindows(
    LogReader* reader, TreeSize size) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> windows;
  absl::Status parse_status;
  LEDGER_RETURN_IF_ERROR(reader->Scan(0, size, [&](const ledger::v1::Entry& e) {
    absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(e.signed_event().event());
    if (event.ok() && event->has_key_revoked() && event->key_revoked().has_compromise()) {
      windows[event->key_revoked().key_id()] = {
          std::min<uint64_t>(event->key_revoked().compromise().since_sequence(), e.sequence()),
          e.sequence()};
    }
    return true;
  }));
  return windows;
}

int RunExport(const ExportFlags& f) {
  if (f.format == "claimreview") return RunClaimReviewExport(f);
  if (f.format == "tiles") return RunTilesExport(f);
  if (!f.dir.empty()) {
    std::cerr << "ledgerctl: a directory argument applies to --format tiles\n";
    return kExitUsage;
  }
  if (f.format != "entries") {
    std::cerr << "ledgerctl: --format must be entries, claimreview or tiles, not \"" << f.format
              << "\"\n";
    return kExitUsage;
  }
  if (f.feed) {
    std::cerr << "ledgerctl: --feed applies to --format claimreview\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<LogReader>> reader = OpenLogReader(f.source);
  if (!reader.ok()) return ReportOpenError(reader.status());
  absl::StatusOr<TreeSize> size = (*reader)->Size();
  if (!size.ok()) return ReportError(size.status());
  if (f.from > f.to) {
    std::cerr << "ledgerctl: --from " << f.from << " is after --to " << f.to << "\n";
    return kExitUsage;
  }
  const uint64_t end = f.to == std::numeric_limits<uint64_t>::max()
                           ? *size
                           : std::min<uint64_t>(*size, f.to + 1);
  absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> windows =
      CompromiseWindows(reader->get(), *size);
  if (!windows.ok()) return ReportError(windows.status());
  Progress progress("exported", end > f.from ? end - f.from : 0);
  uint64_t done = 0;
  absl::Status s = (*reader)->Scan(f.from, end, [&](const ledger::v1::Entry& e) {
    auto w = windows->find(e.signed_event().key_id());
    const bool compromised = w != windows->end() && e.sequence() >= w->second.first &&
                             e.sequence() < w->second.second;
    std::string line = EntryJson(e, compromised);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    progress.Update(++done);
    return true;
  });
  progress.Finish();
  std::fflush(stdout);
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app->add_subcommand(
      "export", "Write entries as JSON Lines: sequence, recorded time, ids, signature, event");
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  cmd->add_option("--from", f->from, "First sequence number")->capture_default_str();
  cmd->add_option("--to", f->to, "Last sequence number (default: the newest entry)");
  cmd->add_option("--format", f->format,
                  "entries (default: every entry as JSON Lines), claimreview (every verdict as "
                  "schema.org ClaimReview JSON-LD with its proofs) or tiles (the tree of the "
                  "latest checkpoint as C2SP tlog-tiles static files under DIR)");
  cmd->add_option("dir", f->dir, "With --format tiles: the directory to write (created)");
  cmd->add_flag("--feed", f->feed,
                "With --format claimreview: one schema.org DataFeed document instead of one "
                "ClaimReview per line");
  cmd->add_option("--log-key", f->log_key,
                  "With --format claimreview or tiles: check the checkpoint (and every item) "
                  "against this verifier key before writing");
  SetExamples(cmd,
              "Each line is an object like `log --json` prints: sequence, recorded_time(_micros), "
              "event_id,\ntype, key_id (hex), signature (base64), leaf_hash (hex), event "
              "(proto3 JSON); \"signer_compromised\": true on an entry signed by a key later "
              "revoked as\ncompromised since at or before it (revoke-key --compromised-since).\n"
              "`ledgerctl import --format export` re-submits the events of an "
              "export.\nExamples:\n  ledgerctl export > log.jsonl\n"
              "  ledgerctl export --data-dir .data/ledger --from 100 --to 199 > part.jsonl\n"
              "  ledgerctl export --format claimreview --log-key \"$(cat verifier-key)\" > "
              "reviews.jsonl\n  ledgerctl bundle verify reviews.jsonl --log-key \"$(cat verifier-key)\"\n"
              "  ledgerctl export --format tiles --data-dir .data/ledger --log-key \"$(cat "
              "verifier-key)\" site/\n    (then serve site/ with any web server: "
              "site/checkpoint, site/tile/...)");
  table->Add(cmd, [f] { return RunExport(*f); });
}

}  // namespace ledger::cli
