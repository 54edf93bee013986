// import: many events, in atomic batches, idempotently, from JSON Lines, a ledgerctl export,
// or the LIAR data set.
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cli/claimreview.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/import_formats.h"
#include "cli/importer.h"
#include "cli/json.h"
#include "cli/output.h"
#include "ledger/base/error.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/limits.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

struct ImportFlags {
  ServerOptions server;
  bool json = false;
  std::string key_file, input, format = "jsonl";
  size_t batch_size = 100;
  std::string signature = "batch";
  std::string on_bad_item = "skip";
};

// Adapts LedgerClient to the importer. With `batch_key`, each batch goes as a SignedBatch —
// one signature for all its events (docs/format.md §11) — whose id is derived from its events,
// so re-running an import re-sends the same batches; otherwise as AppendBatch of events signed
// one by one. The one-by-one fallback always sends the individually signed events.
class ClientTarget : public AppendTarget {
 public:
  ClientTarget(LedgerClient* client, std::string origin,
               const crypto::Ed25519PrivateKey* batch_key)
      : client_(client), origin_(std::move(origin)), batch_key_(batch_key) {}
  absl::StatusOr<v1::AppendBatchResponse> AppendBatch(
      const std::vector<v1::SignedEvent>& events) override {
    if (batch_key_ == nullptr) return client_->AppendBatch(events);
    return client_->AppendSignedBatch(SignImportBatch(origin_, events, *batch_key_));
  }
  absl::StatusOr<v1::AppendResponse> Append(const v1::SignedEvent& event) override {
    return client_->Append(event);
  }

 private:
  LedgerClient* client_;
  const std::string origin_;
  const crypto::Ed25519PrivateKey* batch_key_;
};

// One input line's drafts and where they came from.
struct ParsedLine {
  std::string where;  // "FILE:LINE"
  std::vector<v1::EventDraft> drafts;
};

int RunImport(const ImportFlags& f) {
  if (f.batch_size < 1 || f.batch_size > core::kMaxBatchEvents) {
    std::cerr << "ledgerctl: --batch-size must be 1.." << core::kMaxBatchEvents << "\n";
    return kExitUsage;
  }
  auto key = crypto::ReadPrivateKeyFile(f.key_file);
  if (!key.ok()) {
    std::cerr << "ledgerctl: --key: " << key.status().message() << "\n";
    return kExitUsage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (f.input != "-") {
    struct stat st;
    if (::stat(f.input.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::cerr << "ledgerctl: " << f.input
                << " is a directory; give a file of events (one per line), or - for stdin\n";
      return kExitUsage;
    }
    file.open(f.input, std::ios::binary);
    if (!file) {
      std::cerr << "ledgerctl: cannot open " << f.input << "\n";
      return kExitUsage;
    }
    in = &file;
  }

  // Parse the whole input before anything is sent: an input that holds no events, or is in
  // another format, is refused with nothing appended.
  ImportCounts counts;
  std::vector<ParsedLine> lines;
  const bool stop_on_bad = f.on_bad_item == "stop";
  auto bad_item = [&](const std::string& where, absl::string_view why, uint64_t events) {
    if (stop_on_bad) {
      std::cerr << "ledgerctl: " << where << ": " << why
                << " (--on-bad-item stop: nothing was imported)\n";
      return false;
    }
    std::cerr << "ledgerctl: " << where << ": skipped: " << why << "\n";
    counts.refused += events;
    return true;
  };
  std::string text;
  int line_number = 0;
  if (f.format == "claimreview") {
    // One JSON-LD document (an item, an array, @graph, a DataFeed) or JSON Lines of them.
    std::string document((std::istreambuf_iterator<char>(*in)), std::istreambuf_iterator<char>());
    absl::StatusOr<std::vector<nlohmann::ordered_json>> items = ParseClaimReviewDocument(document);
    if (!items.ok()) {
      std::cerr << "ledgerctl: " << f.input << ": " << items.status().message()
                << " (nothing was imported)\n";
      return kExitUsage;
    }
    for (size_t i = 0; i < items->size(); ++i) {
      const std::string where = absl::StrCat(f.input, " item ", i);
      absl::StatusOr<std::vector<v1::EventDraft>> drafts = ClaimReviewDrafts((*items)[i]);
      if (!drafts.ok()) {
        if (!bad_item(where, drafts.status().message(), 2)) return kExitUsage;
        continue;
      }
      lines.push_back({where, *std::move(drafts)});
    }
  }
  while (f.format != "claimreview" && std::getline(*in, text)) {
    ++line_number;
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    const std::string where = absl::StrCat(f.input, ":", line_number);
    absl::StatusOr<std::vector<v1::EventDraft>> drafts = ParseImportLine(f.format, text);
    if (!drafts.ok()) {
      if (const std::string hint = OtherFormatHint(f.format, text); !hint.empty()) {
        std::cerr << "ledgerctl: " << where << ": " << drafts.status().message() << "; " << hint
                  << " (nothing was imported)\n";
        return kExitUsage;
      }
      if (!bad_item(where, drafts.status().message(), f.format == "liar" ? 2 : 1)) {
        return kExitUsage;
      }
      continue;
    }
    lines.push_back({where, *std::move(drafts)});
  }
  if (lines.empty() && counts.refused == 0) {
    std::cerr << "ledgerctl: " << (f.input == "-" ? "stdin" : f.input)
              << " holds no events (it is empty or has only blank lines)\n";
    return kExitUsage;
  }

  int connect_rc = kExitOk;
  std::optional<SigningConnection> connection = ConnectForSigning(f.server, &connect_rc);
  if (!connection.has_value()) return connect_rc;
  const std::string& origin = connection->origin;

  // Sign every event, and leave out what the server would refuse anyway (the same checks it
  // runs), so that batches are rarely refused. The events of one line (a LIAR row's claim and
  // verdict) are kept or skipped together.
  std::vector<ImportItem> items;
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  for (const ParsedLine& line : lines) {
    std::vector<ImportItem> line_items;
    absl::Status problem;
    for (const v1::EventDraft& d : line.drafts) {
      ImportItem item;
      item.where = line.where;
      item.event = ledger::client::SignEvent(origin, d.event_id(), d.event(), *key);
      problem = core::ValidateEnvelope(item.event);
      if (problem.ok()) {
        problem = core::ParseAndValidateEvent(item.event.event(), now_micros).status();
      }
      if (!problem.ok()) {
        if (!bad_item(line.where,
                      absl::StrCat("event ", item.event.event_id(), ": ", problem.message()),
                      0)) {
          return kExitUsage;
        }
        break;
      }
      line_items.push_back(std::move(item));
    }
    if (!problem.ok()) {
      counts.refused += line.drafts.size();
      continue;
    }
    for (ImportItem& item : line_items) items.push_back(std::move(item));
  }

  Progress progress("imported", items.size());
  ImportOptions options;
  options.batch_size = f.batch_size;
  options.progress = [&progress](uint64_t done) { progress.Update(done); };
  options.on_refused = [](const ImportItem& item, const absl::Status& status) {
    std::cerr << "ledgerctl: " << item.where << ": event " << item.event.event_id()
              << " refused: " << status.message() << "\n";
  };
  ClientTarget target(connection->client.get(), origin, f.signature == "batch" ? &*key : nullptr);
  absl::Status outcome = ImportEvents(items, &target, options, &counts);
  progress.Finish();

  const uint64_t total = counts.appended + counts.already_present + counts.refused;
  if (f.json) {
    JsonObject o;
    o.AddUint("appended", counts.appended)
        .AddUint("already_present", counts.already_present)
        .AddUint("refused", counts.refused)
        .AddBool("complete", outcome.ok());
    if (!outcome.ok()) o.AddString("error", outcome.message());
    std::cout << o.Build() << "\n";
  } else {
    std::cout << counts.appended << " appended, " << counts.already_present
              << " already present, " << counts.refused << " refused"
              << (outcome.ok() ? "" : " before the import stopped") << "\n";
  }
  if (!outcome.ok()) {
    std::cerr << "ledgerctl: import stopped after " << total << " events: " << outcome.message()
              << "\n";
    const std::string why = ErrorReason(outcome);
    if (why == reason::kKeyNotRegistered || why == reason::kKeyRevoked) {
      std::cerr << "ledgerctl: the log does not accept the key of --key " << f.key_file
                << " (key id " << HexEncode(AsStringView(crypto::SignerKeyId(key->public_key())))
                << "); "
                << (why == reason::kKeyRevoked ? "it was revoked: sign with another key, or "
                                               : "")
                << "register a key first: ledgerctl register-key --signer ADMIN.key "
                   "--public-key "
                << f.key_file << ".pub --holder NAME\n";
    } else {
      std::cerr << "ledgerctl: run the same command again to continue (it is idempotent)\n";
    }
    return ExitCodeFor(outcome);
  }
  return counts.refused == 0 ? kExitOk : kExitRefused;
}

}  // namespace

void AddImportCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* cmd = app->add_subcommand(
      "import", "Sign and append many events in atomic batches; idempotent, so re-runnable");
  AddServerFlags(cmd, &f->server);
  AddJsonFlag(cmd, &f->json);
  cmd->add_option("file", f->input, "Input file, or - for stdin")->required();
  cmd->add_option("--key", f->key_file, "Private key file to sign with")->required();
  cmd->add_option("--format", f->format,
                  "jsonl: ledger.v1.EventDraft per line (as submit); export: the lines of "
                  "`ledgerctl export` (events re-signed with --key); liar: the LIAR TSV data set; "
                  "claimreview: schema.org ClaimReview JSON-LD (an item, an array, @graph, a "
                  "DataFeed, or JSON Lines of them): a claim and its verdict per item")
      ->check(CLI::IsMember({"jsonl", "liar", "export", "claimreview"}))
      ->capture_default_str();
  cmd->add_option("--signature", f->signature,
                  "batch: one signature per batch (SignedBatch, the default); per-event: one "
                  "signature per event")
      ->check(CLI::IsMember({"batch", "per-event"}))
      ->capture_default_str();
  cmd->add_option("--on-bad-item", f->on_bad_item,
                  "skip: report an unusable line or item on stderr and import the rest (the "
                  "default); stop: import nothing when any is unusable")
      ->check(CLI::IsMember({"skip", "stop"}))
      ->capture_default_str();
  cmd->add_option("--batch-size", f->batch_size, "Events per atomic AppendBatch (1..1000)")
      ->capture_default_str();
  SetExamples(cmd,
              "Lines the server would refuse are reported on stderr with their line number and "
              "skipped;\na refused batch is retried one event at a time, so a bad event only "
              "loses itself.\nPrints \"A appended, P already present, R refused\"; exits 0 when "
              "nothing was refused, 4 otherwise,\n3 when the server cannot be reached (run it "
              "again: events already appended count as present).\n"
              "Examples:\n  ledgerctl import --key desk.key claims.jsonl\n"
              "  ledgerctl import --key desk.key --format liar ../shared/data/liar/train.tsv\n"
              "  ledgerctl import --key desk.key --format claimreview reviews.jsonl");
  table->Add(cmd, [f] { return RunImport(*f); });
}

}  // namespace ledger::cli
