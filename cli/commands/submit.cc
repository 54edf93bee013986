// submit: sign and append a few events, one Append each, with a line per event.
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/strip.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "google/protobuf/util/json_util.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

struct SubmitFlags {
  ServerOptions server;
  bool json = false;
  std::string key_file, input = "-", event_id;
};

int RunSubmit(const SubmitFlags& f) {
  auto key = crypto::ReadPrivateKeyFile(f.key_file);
  if (!key.ok()) {
    std::cerr << "ledgerctl: --key: " << key.status().message() << "\n";
    return kExitUsage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (f.input != "-") {
    file.open(f.input);
    if (!file) {
      std::cerr << "ledgerctl: cannot open " << f.input << "\n";
      return kExitUsage;
    }
    in = &file;
  }
  // Parse everything first: a bad line anywhere submits nothing.
  std::vector<v1::EventDraft> drafts;
  std::string line;
  int line_number = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    v1::EventDraft draft;
    auto s = google::protobuf::util::JsonStringToMessage(line, &draft);
    if (!s.ok()) {
      std::cerr << "ledgerctl: " << f.input << ":" << line_number
                << ": not a ledger.v1.EventDraft: " << s.message() << "\n";
      return kExitUsage;
    }
    drafts.push_back(std::move(draft));
  }
  if (drafts.empty()) {
    std::cerr << "ledgerctl: " << f.input << " holds no event\n";
    return kExitUsage;
  }
  if (!f.event_id.empty()) {
    if (drafts.size() != 1) {
      std::cerr << "ledgerctl: --event-id applies to a single event; the input has "
                << drafts.size() << "\n";
      return kExitUsage;
    }
    drafts[0].set_event_id(f.event_id);
  }
  int connect_rc = kExitOk;
  std::optional<SigningConnection> c = ConnectForSigning(f.server, &connect_rc);
  if (!c.has_value()) return connect_rc;
  int failures = 0, last_error = 0;
  for (const auto& d : drafts) {
    int rc = AppendOne(c->client.get(), c->origin, d.event_id(), d.event(), *key, f.json);
    if (rc != 0) ++failures, last_error = rc;
  }
  if (!f.json) {
    std::cerr << drafts.size() - failures << " appended or already present, " << failures
              << " refused\n";
  }
  return failures == 0 ? kExitOk : last_error;
}

}  // namespace

void AddSubmitCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<SubmitFlags>();
  CLI::App* submit = app->add_subcommand("submit", "Sign and append events (JSON Lines)");
  AddServerFlags(submit, &f->server);
  AddJsonFlag(submit, &f->json);
  submit->add_option("--key", f->key_file, "Private key file to sign with")->required();
  submit->add_option("--event-id", f->event_id, "Event id (a single event only)");
  submit->add_option("file", f->input, "JSON Lines of ledger.v1.EventDraft, or - for stdin")
      ->capture_default_str();
  SetExamples(
      submit,
      "Each line: {\"eventId\": \"...\", \"event\": {\"claimAsserted\": {\"claim\": {...}}}}\n"
      "An empty eventId is derived from the event's bytes. A bad line submits nothing.\n"
      "For large files use `ledgerctl import` (batches, progress, a summary).\n"
      "Example:\n  ledgerctl submit --key desk.key examples/seed-claims.jsonl");
  table->Add(submit, [f] { return RunSubmit(*f); });
}

}  // namespace ledger::cli
