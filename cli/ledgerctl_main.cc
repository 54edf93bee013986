// ledgerctl: the audit CLI of the fact ledger. Run `ledgerctl --help` and
// `ledgerctl COMMAND --help`; docs/cli.md documents every command.
//
// Exit codes (cli/exit_codes.h, docs/cli.md):
//   0  success (verify: the log is intact; proofs and bundles verify)
//   1  bad usage or bad input file
//   2  the log is NOT intact, or a proof, signature or bundle does not verify
//   3  the server or the data directory could not be reached or read
//   4  the server refused a request (its status is printed)
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "cli/commands/commands.h"
#include "cli/exit_codes.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/support/log.h"

int main(int argc, char** argv) {
  // libprotobuf logs parse failures (e.g. invalid UTF-8 in a tampered event) on stderr; the
  // commands report every failure in their own words, so its lines would only be noise.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int,
                                     const std::string&) {});
  // gRPC logs a failed TLS handshake (and the like) itself; the command that made the call says
  // what failed and what to check (cli/client.h ConnectionHint).
  gpr_set_log_function([](gpr_log_func_args*) {});
  CLI::App app{"ledgerctl: submit to and audit a signed fact ledger"};
  app.require_subcommand(1);
  app.footer(
      "Reading commands work online (--server, default 127.0.0.1:50051) and offline "
      "(--data-dir;\nnot tail, which follows a live server).\nExit codes: 0 ok; 1 usage; 2 not intact or a proof fails; 3 unreachable; "
      "4 refused.\nSee docs/cli.md.");
  ledger::cli::CommandTable table;
  ledger::cli::AddKeyCommands(&app, &table);
  ledger::cli::AddSubmitCommand(&app, &table);
  ledger::cli::AddImportCommand(&app, &table);
  ledger::cli::AddExportCommand(&app, &table);
  ledger::cli::AddLogCommand(&app, &table);
  ledger::cli::AddTailCommand(&app, &table);
  ledger::cli::AddShowCommand(&app, &table);
  ledger::cli::AddProofCommands(&app, &table);
  ledger::cli::AddBundleCommands(&app, &table);
  ledger::cli::AddStatsCommand(&app, &table);
  ledger::cli::AddVerifyCommand(&app, &table);
  ledger::cli::AddVerifyMapCommand(&app, &table);
  ledger::cli::AddBackupCommands(&app, &table);
  ledger::cli::AddClaimCommands(&app, &table);
  // Every option belongs to a command, so the first argument names it (or is --help).
  if (argc < 2 || argv[1][0] != '-') {
    std::vector<std::string> names;
    bool known = false;
    for (CLI::App* cmd : app.get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(cmd->get_name());
      known = known || (argc >= 2 && cmd->check_name(argv[1]));
    }
    if (!known) {
      std::cerr << "ledgerctl: "
                << (argc < 2 ? std::string("give a command")
                             : "unknown command '" + std::string(argv[1]) + "'")
                << "; the commands are: " << absl::StrJoin(names, ", ")
                << "\n(ledgerctl --help says what each does)\n";
      return ledger::cli::kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? ledger::cli::kExitOk : ledger::cli::kExitUsage;
  }
  return table.RunParsed();
}
