// stats: sizes, counts and rates of a log.
#include <ftw.h>
#include <sys/stat.h>

#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/log_reader.h"
#include "cli/output.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/core/event_validation.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"

namespace ledger::cli {
namespace {

struct StatsFlags {
  SourceOptions source;
  bool json = false;
};

struct DiskUsage {
  uint64_t allocated_bytes = 0;  // As du counts it (RocksDB preallocates some files).
  uint64_t file_bytes = 0;       // The files' sizes.
};
// nftw takes a plain function: it adds to this, under the single thread of ledgerctl.
DiskUsage g_usage;
int AddFile(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_F) {
    g_usage.allocated_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
    g_usage.file_bytes += static_cast<uint64_t>(st->st_size);
  }
  return 0;
}
absl::StatusOr<DiskUsage> MeasureDiskUsage(const std::string& dir) {
  g_usage = DiskUsage();
  if (::nftw(dir.c_str(), AddFile, 16, FTW_PHYS) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot walk ", dir));
  }
  return g_usage;
}

constexpr const char* kTypes[] = {"assert", "correct", "retract", "review", "key+", "key-"};

// The enum value's name without its prefix: REPLICATION_STATE_CAUGHT_UP -> CAUGHT_UP.
std::string EnumName(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

// Unix microseconds as RFC 3339, or "never" for 0.
std::string TimeOrNever(int64_t unix_micros) {
  return unix_micros == 0 ? "never" : FormatTime(unix_micros);
}

std::string ReplicationJson(const ledger::v1::GetReplicationStatusResponse& r) {
  JsonObject o;
  o.AddString("role", r.role())
      .AddString("state", EnumName(ledger::v1::ReplicationState_Name(r.state()),
                                   "REPLICATION_STATE_"));
  if (r.role() == "follower") {
    o.AddString("leader", r.leader())
        .AddUint("leader_tree_size", r.leader_tree_size())
        .AddUint("lag_entries", r.lag_entries())
        .AddRaw("lag_seconds", absl::StrFormat("%.3f", r.lag_seconds()));
    if (r.last_contact_micros() == 0) {
      o.AddNull("last_contact_time");
    } else {
      o.AddString("last_contact_time", FormatTime(r.last_contact_micros()));
    }
    o.AddString("last_error", r.last_error());
  }
  if (r.fork_kind() != ledger::v1::FORK_KIND_NONE) {
    o.AddString("fork_kind", EnumName(ledger::v1::ForkKind_Name(r.fork_kind()), "FORK_KIND_"))
        .AddString("fork_detail", r.fork_detail())
        .AddString("evidence_file", r.evidence_file());
  }
  return o.Build();
}

std::string FollowersJson(const ledger::v1::ListFollowersResponse& l) {
  std::string out = "[";
  for (const ledger::v1::FollowerInfo& f : l.followers()) {
    if (out.size() > 1) out += ",";
    out += JsonObject()
               .AddString("follower_id", f.follower_id())
               .AddString("peer", f.peer())
               .AddUint("tree_size", f.tree_size())
               .AddUint("lag_entries", f.lag_entries())
               .AddString("last_seen_time", TimeOrNever(f.last_seen_micros()))
               .Build();
  }
  return out + "]";
}

void PrintReplication(const ledger::v1::GetReplicationStatusResponse& r,
                      const ledger::v1::ListFollowersResponse& l) {
  const std::string state =
      EnumName(ledger::v1::ReplicationState_Name(r.state()), "REPLICATION_STATE_");
  if (r.role() == "follower") {
    std::cout << "role          follower of " << (r.leader().empty() ? "(none)" : r.leader())
              << ", " << state << "\nleader size   " << r.leader_tree_size() << " (lag "
              << r.lag_entries() << " entries, " << absl::StrFormat("%.3f", r.lag_seconds())
              << " s)\nlast contact  " << TimeOrNever(r.last_contact_micros()) << "\n";
    if (!r.last_error().empty()) std::cout << "last error    " << r.last_error() << "\n";
  } else {
    std::cout << "role          " << r.role() << "\n";
  }
  if (r.fork_kind() != ledger::v1::FORK_KIND_NONE) {
    std::cout << "FORK          "
              << EnumName(ledger::v1::ForkKind_Name(r.fork_kind()), "FORK_KIND_") << ": "
              << r.fork_detail() << "\nevidence      " << r.evidence_file() << "\n";
  }
  if (r.role() != "follower" || l.followers_size() > 0) {
    std::cout << "followers     " << l.followers_size()
              << " seen recently (as each reported itself)\n";
    for (const ledger::v1::FollowerInfo& f : l.followers()) {
      std::cout << "  " << f.follower_id() << "  " << f.peer() << "  at " << f.tree_size()
                << " (lag " << f.lag_entries() << " entries), last seen "
                << TimeOrNever(f.last_seen_micros()) << "\n";
    }
  }
}

int RunOnlineStats(const StatsFlags& f, LogReader* reader) {
  absl::StatusOr<std::unique_ptr<LedgerClient>> client = LedgerClient::Connect(f.source.server);
  if (!client.ok()) return ReportOpenError(client.status());
  absl::StatusOr<ledger::v1::GetLogInfoResponse> info = (*client)->GetLogInfo();
  if (!info.ok()) return ReportError(info.status());
  absl::StatusOr<ledger::v1::GetReplicationStatusResponse> replication =
      (*client)->GetReplicationStatus();
  if (!replication.ok()) return ReportError(replication.status());
  absl::StatusOr<ledger::v1::ListFollowersResponse> followers = (*client)->ListFollowers();
  if (!followers.ok()) return ReportError(followers.status());
  // A follower that found a fork before its first verified checkpoint holds none: what it
  // found matters more than the checkpoint it cannot show.
  const bool follower = replication->role() == "follower";
  absl::StatusOr<std::string> note = reader->LatestCheckpoint();
  if (!note.ok() && !(follower && absl::IsUnavailable(note.status()))) {
    return ReportError(note.status());
  }
  format::Checkpoint cp;
  if (note.ok()) {
    absl::StatusOr<format::Checkpoint> parsed = format::ParseCheckpointUnverified(*note);
    if (!parsed.ok()) return ReportError(absl::DataLossError(parsed.status().message()));
    cp = *parsed;
  }
  if (f.json) {
    JsonObject o;
    o.AddString("origin", info->origin())
        .AddString("checkpoint_verifier_key", info->checkpoint_verifier_key())
        .AddUint("tree_size", cp.tree_size);
    if (note.ok()) {
      o.AddString("root_hash", HexEncode(cp.root_hash)).AddString("checkpoint", *note);
    } else {
      o.AddNull("root_hash").AddNull("checkpoint");
    }
    std::cout << o.AddRaw("replication", ReplicationJson(*replication))
                     .AddRaw("followers", FollowersJson(*followers))
                     .Build()
              << "\n";
  } else {
    std::cout << "origin        " << info->origin() << "\nverifier key  "
              << info->checkpoint_verifier_key() << " (as the server states it)\nentries       "
              << cp.tree_size << "\nroot          "
              << (note.ok() ? HexEncode(cp.root_hash) : "(no checkpoint yet)") << "\n";
    PrintReplication(*replication, *followers);
    if (note.ok()) std::cout << "\nlatest checkpoint:\n" << *note;
  }
  if (replication->fork_kind() != ledger::v1::FORK_KIND_NONE) {
    std::cout.flush();
    std::cerr << "ledgerctl: replication stopped: the follower found a fork ("
              << EnumName(ledger::v1::ForkKind_Name(replication->fork_kind()), "FORK_KIND_")
              << "); evidence in " << replication->evidence_file() << "\n";
    return kExitNotIntact;
  }
  return kExitOk;
}

int RunOfflineStats(const StatsFlags& f, LogReader* reader) {
  const std::string& dir = f.source.data_dir;
  absl::StatusOr<core::LogIdentity> identity = datadir::ReadIdentity(dir);
  if (!identity.ok()) return ReportError(absl::UnavailableError(identity.status().message()));
  absl::StatusOr<DiskUsage> du = MeasureDiskUsage(dir);
  if (!du.ok()) return ReportError(du.status());
  absl::StatusOr<TreeSize> size = reader->Size();
  if (!size.ok()) return ReportError(size.status());
  absl::StatusOr<std::string> note = reader->LatestCheckpoint();
  if (!note.ok()) return ReportError(note.status());

  std::map<std::string, uint64_t> by_type;
  int64_t first_time = 0, last_time = 0;
  uint64_t leaf_bytes = 0;
  Progress progress("scanned", *size);
  uint64_t done = 0;
  absl::Status s = reader->Scan(0, *size, [&](const ledger::v1::Entry& e) {
    if (done == 0) first_time = e.recorded_time_micros();
    last_time = e.recorded_time_micros();
    leaf_bytes += e.leaf_data().size();
    absl::StatusOr<ledger::v1::Event> event = core::ParseStoredEvent(e.signed_event().event());
    ++by_type[event.ok() ? std::string(EventTypeName(*event)) : "?"];
    progress.Update(++done);
    return true;
  });
  progress.Finish();
  if (!s.ok()) return ReportError(s);
  const uint64_t genesis_admins = identity->admin_keys.size();
  const uint64_t keys_registered = genesis_admins + by_type["key+"];
  const uint64_t keys_revoked = by_type["key-"];
  // A rate over less than an hour says little; it is left out.
  const int64_t span_micros = last_time - first_time;
  const bool have_rate = span_micros >= int64_t{3600} * 1000000;
  const double per_day =
      have_rate ? static_cast<double>(*size) / (static_cast<double>(span_micros) / 86400e6) : 0;
  const std::string verifier_key =
      format::NoteVerifierKey(identity->origin, identity->log_public_key);

  if (f.json) {
    JsonObject types;
    for (const char* type : kTypes) types.AddUint(type, by_type[type]);
    if (by_type.count("?") > 0) types.AddUint("?", by_type["?"]);
    JsonObject o;
    o.AddString("origin", identity->origin)
        .AddString("checkpoint_verifier_key", verifier_key)
        .AddUint("entries", *size)
        .AddUint("leaf_bytes", leaf_bytes)
        .AddUint("disk_bytes", du->allocated_bytes)
        .AddUint("file_bytes", du->file_bytes)
        .AddRaw("entries_by_type", types.Build())
        .AddUint("keys_registered", keys_registered)
        .AddUint("keys_genesis_admin", genesis_admins)
        .AddUint("keys_revoked", keys_revoked);
    if (*size > 0) {
      o.AddString("first_recorded_time", FormatTime(first_time))
          .AddString("last_recorded_time", FormatTime(last_time));
    } else {
      o.AddNull("first_recorded_time").AddNull("last_recorded_time");
    }
    if (have_rate) {
      o.AddRaw("entries_per_day", absl::StrFormat("%.3f", per_day));
    } else {
      o.AddNull("entries_per_day");
    }
    o.AddString("checkpoint", *note);
    std::cout << o.Build() << "\n";
  } else {
    std::cout << "origin          " << identity->origin << "\nverifier key    " << verifier_key
              << " (from " << datadir::IdentityFile(dir) << ")\nentries         " << *size
              << "\nleaf bytes      " << leaf_bytes << "\ndisk usage      " << du->allocated_bytes
              << " bytes allocated, " << du->file_bytes << " bytes in files\nby type        ";
    for (const char* type : kTypes) std::cout << " " << type << " " << by_type[type];
    if (by_type.count("?") > 0) std::cout << " unparseable " << by_type["?"];
    std::cout << "\nkeys            " << keys_registered << " registered (" << genesis_admins
              << " genesis admin), " << keys_revoked << " revoked\n";
    if (*size > 0) {
      std::cout << "recorded        " << FormatTime(first_time) << " .. " << FormatTime(last_time)
                << "\nrate            "
                << (have_rate ? absl::StrFormat("%.1f entries/day", per_day)
                              : std::string("(the entries span less than an hour)"))
                << "\n";
    }
    std::cout << "\nlatest checkpoint:\n" << *note;
  }
  return kExitOk;
}

int RunStats(const StatsFlags& f) {
  absl::StatusOr<std::unique_ptr<LogReader>> reader = OpenLogReader(f.source);
  if (!reader.ok()) return ReportOpenError(reader.status());
  return f.source.data_dir.empty() ? RunOnlineStats(f, reader->get())
                                   : RunOfflineStats(f, reader->get());
}

}  // namespace

void AddStatsCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<StatsFlags>();
  CLI::App* cmd = app->add_subcommand("stats", "Sizes, counts and rates of a log");
  AddSourceFlags(cmd, &f->source);
  AddJsonFlag(cmd, &f->json);
  SetExamples(cmd,
              "Online: the origin, the size, the latest checkpoint and replication (a follower's lag\n"
              "behind its leader; the followers a leader saw). Offline (--data-dir): "
              "also the\ndisk usage, entries by event type, keys, the first and last recorded "
              "times and the rate\n(a full scan). View watermarks come with the claim views.\n"
              "Exit 2 when the follower found a fork (FORK in the text, fork_kind in JSON).\n"
              "Examples:\n  ledgerctl stats\n  ledgerctl stats --data-dir .data/ledger --json");
  table->Add(cmd, [f] { return RunStats(*f); });
}

}  // namespace ledger::cli
