// The subcommands of ledgerctl. Each Add*Command adds its subcommand(s) to `app` -- flags,
// help text with an example -- and registers the function that runs it in `table`.
// docs/cli.md documents every command; exit codes are in cli/exit_codes.h.
#ifndef CLI_COMMANDS_COMMANDS_H_
#define CLI_COMMANDS_COMMANDS_H_

#include <functional>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"

namespace ledger::cli {

// Which function runs which (sub)command. Thread-compatible.
class CommandTable {
 public:
  // Registers `run` (returning the exit code) for `cmd`. Register a nested subcommand after
  // its parent: the most recently registered parsed command is the one that runs.
  void Add(CLI::App* cmd, std::function<int()> run) {
    commands_.emplace_back(cmd, std::move(run));
  }
  // Runs the parsed command; kExitUsage (1) when none was.
  int RunParsed() const;

 private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands_;
};

// keygen, register-key, revoke-key.
void AddKeyCommands(CLI::App* app, CommandTable* table);
void AddSubmitCommand(CLI::App* app, CommandTable* table);
void AddImportCommand(CLI::App* app, CommandTable* table);
void AddExportCommand(CLI::App* app, CommandTable* table);
void AddLogCommand(CLI::App* app, CommandTable* table);
void AddTailCommand(CLI::App* app, CommandTable* table);
void AddShowCommand(CLI::App* app, CommandTable* table);
// checkpoint and proof.
void AddProofCommands(CLI::App* app, CommandTable* table);
// bundle and bundle verify.
void AddBundleCommands(CLI::App* app, CommandTable* table);
void AddStatsCommand(CLI::App* app, CommandTable* table);
void AddVerifyCommand(CLI::App* app, CommandTable* table);
void AddVerifyMapCommand(CLI::App* app, CommandTable* table);
// backup and restore.
void AddBackupCommands(CLI::App* app, CommandTable* table);
// claim, claims, history, as-of, tally, views, rebuild (the claim views).
void AddClaimCommands(CLI::App* app, CommandTable* table);

}  // namespace ledger::cli

#endif  // CLI_COMMANDS_COMMANDS_H_
