// export: every entry (or a range) as JSON Lines, online or offline.
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <memory>

#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/base/status_macros.h"
#include "ledger/core/event_validation.h"

namespace ledger::cli {
namespace {

struct ExportFlags {
  SourceOptions source;
  bool json = true;  // Export is JSON Lines either way; --json is accepted for uniformity.
  uint64_t from = 0;
  uint64_t to = std::numeric_limits<uint64_t>::max();
};

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
  SetExamples(cmd,
              "Each line is an object like `log --json` prints: sequence, recorded_time(_micros), "
              "event_id,\ntype, key_id (hex), signature (base64), leaf_hash (hex), event "
              "(proto3 JSON); \"signer_compromised\": true on an entry signed by a key later "
              "revoked as\ncompromised since at or before it (revoke-key --compromised-since).\n"
              "`ledgerctl import --format export` re-submits the events of an "
              "export.\nExamples:\n  ledgerctl export > log.jsonl\n"
              "  ledgerctl export --data-dir .data/ledger --from 100 --to 199 > part.jsonl");
  table->Add(cmd, [f] { return RunExport(*f); });
}

}  // namespace ledger::cli
