// verify-map: recompute every claim-state map commitment from the log (docs/format.md §13).
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/claim_source.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "ledger/format/checkpoint.h"
#include "ledger/views/map_audit.h"

namespace ledger::cli {
namespace {

struct VerifyMapFlags {
  SourceOptions source;
  bool json = false;
  std::string log_key;
  std::vector<std::string> map_checkpoints;  // files; empty: ask the server
};

struct Commitment {
  format::MapCheckpoint signed_map;
  std::string where;  // for messages: "the server's list" or a file name
};

int Report(bool json, bool intact, size_t checked, TreeSize entries, const std::string& problem,
           std::optional<TreeSize> bad_size) {
  if (json) {
    JsonObject o;
    o.AddBool("intact", intact).AddUint("commitments_checked", checked).AddUint("entries_read", entries);
    if (bad_size.has_value()) o.AddUint("first_bad_tree_size", *bad_size);
    if (!problem.empty()) o.AddString("problem", problem);
    std::cout << o.Build() << "\n";
  } else if (intact) {
    std::cout << "map intact: " << checked << " claim-state map commitments recomputed from "
              << entries << " entries\n";
  } else {
    std::cout << "MAP NOT INTACT: " << problem << "\n";
  }
  return intact ? kExitOk : kExitNotIntact;
}

int RunVerifyMap(const VerifyMapFlags& f) {
  int rc = kExitOk;
  auto source = OpenCheckedLogSource(f.source, f.log_key, /*log_key_required=*/true, &rc);
  if (!source.has_value()) return rc;
  const format::NoteVerifier& verifier = *source->verifier;

  // The commitments: given as files, or listed by the server.
  std::vector<Commitment> commitments;
  if (!f.map_checkpoints.empty()) {
    for (const std::string& file : f.map_checkpoints) {
      absl::StatusOr<std::string> note = ReadFileOrStdin(file);
      if (!note.ok()) {
        std::cerr << "ledgerctl: " << note.status().message() << "\n";
        return kExitUsage;
      }
      absl::StatusOr<format::MapCheckpoint> m = format::VerifyMapCheckpoint(*note, verifier);
      if (!m.ok()) {
        return Report(f.json, false, 0, 0, absl::StrCat(file, ": ", m.status().message()), std::nullopt);
      }
      commitments.push_back({*m, file});
    }
  } else {
    if (!f.source.data_dir.empty()) {
      std::cerr << "ledgerctl: verify-map --data-dir needs the map checkpoints to check "
                   "(--map-checkpoint FILE, e.g. from explain bundles); or use --server\n";
      return kExitUsage;
    }
    absl::StatusOr<std::unique_ptr<ClaimSource>> claims = ClaimSource::Open(f.source);
    if (!claims.ok()) return ReportOpenError(claims.status());
    v1::ListMapCheckpointsRequest req;
    req.set_page_size(1000);
    for (;;) {
      absl::StatusOr<v1::ListMapCheckpointsResponse> page = (*claims)->client()->ListMapCheckpoints(req);
      if (!page.ok()) return ReportError(page.status());
      for (const v1::MapCheckpointInfo& info : page->checkpoints()) {
        if (info.note().empty()) {
          std::cerr << "ledgerctl: the server signs no map checkpoints (a follower "
                       "holds no log key; it audits its leader's itself): run verify-map against "
                       "the leader, or give --map-checkpoint files\n";
          return kExitRefused;
        }
        absl::StatusOr<format::MapCheckpoint> m = format::VerifyMapCheckpoint(info.note(), verifier);
        if (!m.ok()) {
          return Report(f.json, false, 0, 0,
                        absl::StrCat("the map checkpoint at tree size ", info.tree_size(),
                                     " does not verify: ", m.status().message()),
                        info.tree_size());
        }
        if (m->checkpoint.tree_size != info.tree_size() ||
            AsStringView(m->map_root) != info.map_root()) {
          return Report(f.json, false, 0, 0,
                        absl::StrCat("the server lists tree size ", info.tree_size(),
                                     " with a map root its signed note does not hold"),
                        info.tree_size());
        }
        commitments.push_back({*m, "the server's list"});
      }
      if (page->next_from_tree_size() == 0) break;
      req.set_from_tree_size(page->next_from_tree_size());
    }
  }
  std::sort(commitments.begin(), commitments.end(), [](const Commitment& a, const Commitment& b) {
    return a.signed_map.checkpoint.tree_size < b.signed_map.checkpoint.tree_size;
  });
  if (commitments.empty()) return Report(f.json, true, 0, 0, "", std::nullopt);
  const TreeSize last = commitments.back().signed_map.checkpoint.tree_size;
  absl::StatusOr<TreeSize> size = source->reader->Size();
  if (!size.ok()) return ReportError(size.status());
  if (*size < last) {
    return Report(f.json, false, 0, 0,
                  absl::StrCat("a map checkpoint is for tree size ", last, " but the log holds ",
                               *size, " entries"),
                  last);
  }

  // Replay: the log tree and every subject's state hash, checked at each commitment's size.
  views::MapAuditor auditor;
  size_t next = 0;
  std::string problem;
  std::optional<TreeSize> bad;
  auto check_here = [&]() {
    while (next < commitments.size() &&
           commitments[next].signed_map.checkpoint.tree_size == auditor.size()) {
      absl::Status s = auditor.Check(commitments[next].signed_map);
      if (!s.ok()) {
        problem = absl::StrCat(s.message(), " (", commitments[next].where, ")");
        bad = auditor.size();
        return false;
      }
      ++next;
    }
    return true;
  };
  if (!check_here()) return Report(f.json, false, next, 0, problem, bad);
  absl::Status feed_error;
  absl::Status s = source->reader->Scan(0, last, [&](const v1::Entry& e) {
    feed_error = auditor.Feed(e.sequence(), e.leaf_data());
    return feed_error.ok() && check_here();
  });
  if (!s.ok()) return ReportError(s);
  if (!feed_error.ok()) return ReportError(feed_error);
  if (bad.has_value()) return Report(f.json, false, next, auditor.size(), problem, bad);
  return Report(f.json, true, next, auditor.size(), "", std::nullopt);
}

}  // namespace

void AddVerifyMapCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<VerifyMapFlags>();
  CLI::App* cmd = app->add_subcommand(
      "verify-map", "Recompute every claim-state map commitment from the log and name the first "
                    "that differs");
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  cmd->add_option("--log-key", f->log_key, "Checkpoint verifier key you trust")->required();
  cmd->add_option("--map-checkpoint", f->map_checkpoints,
                  "A map checkpoint note to check (repeatable; default: every commitment the "
                  "server lists)");
  SetExamples(cmd,
              "Reads the log from its start, recomputes its Merkle root and every claim's and "
              "key's state hash\n(docs/format.md §13), and at each commitment's tree size checks "
              "the signed map checkpoint's log root\nand map root. Exits 0 when all hold, 2 at the "
              "first that does not.\nExamples:\n"
              "  ledgerctl verify-map --log-key \"$(cat verifier-key)\"\n"
              "  ledgerctl verify-map --data-dir data --log-key verifier-key --map-checkpoint m.note");
  table->Add(cmd, [f] { return RunVerifyMap(*f); });
}

}  // namespace ledger::cli
