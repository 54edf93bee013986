// log: entries, oldest or newest first, with filters and paging, online or offline.
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/entry_filter.h"
#include "cli/exit_codes.h"
#include "cli/log_reader.h"
#include "cli/output.h"

namespace ledger::cli {
namespace {

struct LogFlags {
  SourceOptions source;
  bool json = false;
  std::vector<std::string> types;
  std::string key, since, until;
  bool newest_first = false;
  uint64_t from = 0;
  CLI::Option* from_option = nullptr;
  uint64_t limit = 100;
};

int RunLog(const LogFlags& f) {
  EntryFilter filter;
  {
    absl::StatusOr<std::set<std::string>> types = ParseEventTypes(f.types);
    if (!types.ok()) {
      std::cerr << "ledgerctl: " << types.status().message() << "\n";
      return kExitUsage;
    }
    filter.types = *types;
    if (!f.key.empty()) {
      absl::StatusOr<std::string> prefix = ParseKeyIdPrefix(f.key);
      if (!prefix.ok()) {
        std::cerr << "ledgerctl: " << prefix.status().message() << "\n";
        return kExitUsage;
      }
      filter.key_id_prefix = *prefix;
    }
    for (auto [flag, text, end_of_day, out] :
         {std::make_tuple("--since", &f.since, false, &filter.since_micros),
          std::make_tuple("--until", &f.until, true, &filter.until_micros)}) {
      if (text->empty()) continue;
      absl::StatusOr<int64_t> t = ParseTimeFlag(*text, end_of_day);
      if (!t.ok()) {
        std::cerr << "ledgerctl: " << flag << ": " << t.status().message() << "\n";
        return kExitUsage;
      }
      *out = *t;
    }
  }
  absl::StatusOr<std::unique_ptr<LogReader>> reader = OpenLogReader(f.source);
  if (!reader.ok()) return ReportOpenError(reader.status());
  absl::StatusOr<TreeSize> size = (*reader)->Size();
  if (!size.ok()) return ReportError(size.status());

  uint64_t printed = 0;
  std::optional<uint64_t> next_page;
  auto print = [&](const ledger::v1::Entry& e) {
    if (!filter.Matches(e)) return true;
    // Only an entry that would be listed makes "more exist" true.
    if (f.limit != 0 && printed == f.limit) {
      next_page = e.sequence();
      return false;
    }
    std::cout << (f.json ? EntryJson(e) : EntryRow(e)) << "\n";
    ++printed;
    return true;
  };
  absl::Status s;
  if (!f.newest_first) {
    s = (*reader)->Scan(f.from, *size, print);
  } else if (*size > 0) {
    const bool given = f.from_option != nullptr && f.from_option->count() > 0;
    const uint64_t first = given ? std::min<uint64_t>(f.from, *size - 1) : *size - 1;
    if (!given || f.from < *size) s = (*reader)->ScanBackward(first, print);
  }
  std::cout.flush();
  if (!s.ok()) return ReportError(s);
  // A listing is never cut silently (stdout keeps only the rows).
  if (next_page.has_value()) {
    std::cerr << "ledgerctl: listed " << printed << " entries; more exist: the next page starts "
              << "at --from " << *next_page << " (--limit 0 lists all)\n";
  }
  return kExitOk;
}

}  // namespace

void AddLogCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<LogFlags>();
  CLI::App* cmd = app->add_subcommand("log", "List entries, with filters (oldest first by default)");
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  cmd->add_option("--type", f->types,
                  "Only these event types: assert, correct, retract, review, key+, key- "
                  "(repeat the flag or separate with commas)");
  cmd->add_option("--key", f->key, "Only entries signed by a key id starting with these hex digits");
  cmd->add_option("--since", f->since,
                  "Only entries recorded at or after this time (RFC 3339, or YYYY-MM-DD in UTC)");
  cmd->add_option("--until", f->until,
                  "Only entries recorded at or before this time (a date includes its whole day)");
  cmd->add_flag("--newest-first", f->newest_first, "List the newest entries first");
  f->from_option =
      cmd->add_option("--from", f->from,
                      "Sequence number to start at (default: the oldest, or the newest with "
                      "--newest-first)");
  cmd->add_option("--limit", f->limit, "Most entries to list (0: no limit)")->capture_default_str();
  SetExamples(cmd,
              "Paging: the next page starts at --from LAST+1 (LAST-1 with --newest-first).\n"
              "Filters by claimant, topic and source come with the claim views.\n"
              "Examples:\n  ledgerctl log\n"
              "  ledgerctl log --type review --since 2026-11-01 --newest-first --limit 20\n"
              "  ledgerctl log --data-dir .data/ledger --key 3f2a --json");
  table->Add(cmd, [f] { return RunLog(*f); });
}

}  // namespace ledger::cli
