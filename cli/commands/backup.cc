// backup and restore: a data directory backed up while no server runs on it, and restored so
// that the log never signs below what it has signed (ledger/datadir/backup.h).
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "ledger/base/error.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/backup.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"

namespace ledger::cli {
namespace {

struct BackupFlags {
  std::string data_dir, out;
};

struct RestoreFlags {
  std::string backup, data_dir, db_from, anchor_dir;
};

int RunBackup(const BackupFlags& f) {
  absl::StatusOr<datadir::BackupResult> r = datadir::BackupDataDir(f.data_dir, f.out);
  if (!r.ok()) {
    std::cerr << "ledgerctl: backup of " << f.data_dir << " to " << f.out << ": "
              << r.status().message() << "\n";
    return absl::IsAlreadyExists(r.status()) || absl::IsNotFound(r.status()) ? kExitUsage
                                                                              : ExitCodeFor(r.status());
  }
  std::cout << "backed up " << f.data_dir << " to " << f.out << ": " << r->tree_size
            << " entries\n";
  return kExitOk;
}

// Exit codes: 1 bad usage (flags, paths, a --db-from of another log); 2 the restored log is
// forked from an anchor, behind its own, or an anchor does not verify; 3 storage errors.
int RestoreExitCode(const absl::Status& s) {
  if (absl::IsInvalidArgument(s) || absl::IsAlreadyExists(s) || absl::IsNotFound(s)) {
    return kExitUsage;
  }
  if (absl::IsFailedPrecondition(s) || absl::IsDataLoss(s)) return kExitNotIntact;
  return kExitUnreachable;
}

int RunRestore(const RestoreFlags& f) {
  datadir::RestoreOptions options;
  options.backup = f.backup;
  options.data_dir = f.data_dir;
  options.db_from = f.db_from;
  options.external_anchor_dir = f.anchor_dir;
  absl::StatusOr<datadir::RestoreResult> r = datadir::RestoreDataDir(options);
  if (!r.ok()) {
    std::cerr << "ledgerctl: restore of " << f.backup << " to " << f.data_dir << ": "
              << r.status().message() << "\n";
    return RestoreExitCode(r.status());
  }
  std::cout << "restored " << f.backup << " to " << f.data_dir << ": " << r->tree_size
            << " entries\n";
  if (r->signed_size.has_value()) {
    std::cout << "BEHIND WHAT WAS SIGNED: the log signed tree size " << *r->signed_size << " ("
              << datadir::AnchorFile(f.anchor_dir) << "); entries " << r->tree_size << ".."
              << *r->signed_size - 1 << " are missing.\n"
              << "ledgerd serve will serve reads and refuse appends (LOG_BEHIND_SIGNED) until "
                 "they are recovered:\n  restore again with --db-from a follower's (stopped) "
                 "data directory or a newer backup that holds them.\n";
  } else if (f.anchor_dir.empty()) {
    std::cout << "not checked against an external anchor (--anchor-dir): the restored log may "
                 "be behind what it signed\n";
  }
  return kExitOk;
}

}  // namespace

void AddBackupCommands(CLI::App* app, CommandTable* table) {
  auto b = std::make_shared<BackupFlags>();
  CLI::App* backup = app->add_subcommand(
      "backup", "Back up a data directory no server runs on (RocksDB checkpoint + identity)");
  backup->add_option("--data-dir", b->data_dir, "Data directory to back up")->required();
  backup->add_option("--out", b->out, "New directory to write the backup to")->required();
  SetExamples(backup,
              "Stop ledgerd first (or back up a follower). The backup's checkpoint.anchor is "
              "the signed\ncheckpoint of its head. Exit 1 when --out exists.\nExample:\n"
              "  ledgerctl backup --data-dir ./data --out /backups/ledger-2026-12-06");
  table->Add(backup, [b] { return RunBackup(*b); });

  auto r = std::make_shared<RestoreFlags>();
  CLI::App* restore = app->add_subcommand(
      "restore", "Restore a backup into a new data directory, checked against the anchors");
  restore->add_option("--backup", r->backup, "A directory written by ledgerctl backup")
      ->required();
  restore->add_option("--data-dir", r->data_dir, "The data directory to create (must not exist)")
      ->required();
  restore->add_option("--anchor-dir", r->anchor_dir,
                      "The log's external anchor directory (ledgerd --anchor-dir): when it is "
                      "ahead of the backup, the restored log refuses appends until recovered");
  restore->add_option("--db-from", r->db_from,
                      "Take db/ from this data directory or backup of the same log instead "
                      "(e.g. a stopped follower's, which holds the missing entries)");
  SetExamples(restore,
              "Exit 0 restored (read the BEHIND line), 1 bad usage, 2 the backup is forked from "
              "an anchor\nor behind its own, 3 a storage error. Nothing is left at --data-dir "
              "on error.\nExample:\n"
              "  ledgerctl restore --backup /backups/ledger-2026-12-06 --data-dir ./data "
              "--anchor-dir /mnt/anchors");
  table->Add(restore, [r] { return RunRestore(*r); });
}

}  // namespace ledger::cli
