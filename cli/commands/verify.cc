// verify: the full offline audit of a data directory (ledger/audit/auditor.h), trusting only
// keys from the command line (or, by default, the directory's own identity file), with trust
// on first use through a state file; then the log against the directory's own checkpoint anchor
// and every external anchor named with --anchor (ledger/datadir/anchor.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "ledger/audit/auditor.h"
#include "ledger/base/error.h"
#include "ledger/base/file_util.h"
#include "ledger/datadir/anchor.h"
#include "ledger/datadir/data_dir.h"
#include "ledger/datadir/layout.h"
#include "ledger/format/checkpoint.h"
#include "ledger/witness/cosignature.h"

namespace ledger::cli {
namespace {

struct VerifyFlags {
  bool json = false;
  std::string data_dir, trusted, state_file, origin, log_key;
  std::vector<std::string> admin_keys;
  std::vector<std::string> anchors;
  int threads = 0;
  WitnessFlags witness;
  std::string witnessed;  // default: <data-dir>/witnessed.checkpoint
};

// With a witness policy: the witnessed checkpoint must be signed by the trusted log key and
// cosigned per the policy; it is then checked like an anchor (the log must hold its size with
// its root). A verdict problem (exit 2) in *problem, or a usage error (exit 1) as the status.
absl::Status CheckWitnessedInto(const VerifyFlags& f, const witness::WitnessPolicy& policy,
                                const core::LogIdentity& trust,
                                std::vector<datadir::StoredAnchor>* anchors, std::string* problem,
                                std::string* summary) {
  const std::string path =
      f.witnessed.empty() ? datadir::WitnessedCheckpointFile(f.data_dir) : f.witnessed;
  absl::StatusOr<std::string> note = ReadFileToString(path, witness::kMaxSignedNoteBytes);
  if (absl::IsNotFound(note.status()) && f.witnessed.empty()) {
    *problem = absl::StrCat("no witnessed checkpoint (", path, "): no checkpoint of this log "
                            "was cosigned by enough witnesses");
    return absl::OkStatus();
  }
  if (!note.ok()) return absl::InvalidArgumentError(note.status().message());
  absl::StatusOr<format::Checkpoint> cp =
      format::VerifyCheckpoint(*note, format::NoteVerifier{trust.origin, trust.log_public_key});
  if (!cp.ok()) {
    *problem = absl::StrCat("the witnessed checkpoint ", path, " is not signed by the log key: ",
                            cp.status().message());
    return absl::OkStatus();
  }
  absl::StatusOr<witness::PolicyResult> r = witness::CheckWitnessPolicy(*note, policy);
  if (!r.ok()) {
    *problem = absl::StrCat("the witnessed checkpoint of size ", cp->tree_size, " (", path,
                            ") does not meet the witness policy: ", r.status().message());
    return absl::OkStatus();
  }
  anchors->push_back(datadir::StoredAnchor{path, *note});
  *summary = absl::StrCat("witnessed: the checkpoint of size ", cp->tree_size, " is cosigned by ",
                          absl::StrJoin(r->cosigned_by, ", "), " (policy ", policy.threshold,
                          " of ", policy.witnesses.size(), ") and the log holds it");
  return absl::OkStatus();
}

// A --log-key value: a checkpoint verifier key (which also names the origin), a public key
// file, or 64 hex digits.
absl::Status ApplyLogKeyFlag(const std::string& value, bool origin_given,
                             core::LogIdentity* trust) {
  absl::StatusOr<format::TrustedLogKey> v = format::ParseLogKey(value);
  if (!v.ok()) return v.status();
  if (!v->origin.empty()) {
    if (origin_given && v->origin != trust->origin) {
      return absl::InvalidArgumentError(absl::StrCat("the verifier key is for origin \"", v->origin,
                                                     "\", but --origin is \"", trust->origin,
                                                     "\""));
    }
    trust->origin = v->origin;
  }
  trust->log_public_key = v->public_key;
  return absl::OkStatus();
}

void PrintVerdict(const VerifyFlags& f, const ledger::audit::AuditReport& report,
                  bool trusted_used, const std::string& trusted_source) {
  if (f.json) {
    JsonObject o;
    o.AddBool("intact", report.ok)
        .AddUint("tree_size", report.tree_size)
        .AddString("root_hash", HexEncode(report.root_hash))
        .AddUint("entries_checked", report.entries_checked)
        .AddUint("signatures_checked", report.signatures_checked)
        .AddUint("checkpoints_checked", report.checkpoints_checked)
        .AddBool("trusted_checkpoint_used", trusted_used);
    if (report.first_bad_sequence.has_value()) {
      o.AddUint("first_bad_sequence", *report.first_bad_sequence);
    }
    if (report.bad_range.has_value()) {
      o.AddUint("bad_range_first", report.bad_range->first)
          .AddUint("bad_range_last", report.bad_range->second);
    }
    o.AddString("problem", report.problem);
    std::cout << o.Build() << "\n";
  } else if (report.ok) {
    std::cout << "intact: " << report.tree_size << " entries, " << report.signatures_checked
              << " signatures, " << report.checkpoints_checked << " checkpoints verified\nroot "
              << HexEncode(report.root_hash) << "\n";
    if (trusted_used) {
      std::cout << "consistent with the trusted checkpoint from " << trusted_source << "\n";
    }
  } else {
    std::cout << "NOT INTACT";
    if (report.first_bad_sequence.has_value()) {
      std::cout << ": first bad sequence " << *report.first_bad_sequence;
    } else if (report.bad_range.has_value()) {
      std::cout << ": a bad entry among sequences " << report.bad_range->first << ".."
                << report.bad_range->second;
    }
    std::cout << "\n" << report.problem << "\n";
  }
}

// The anchors to check: the data directory's own (when it has one) and each --anchor file.
// Usage errors (exit 1) for an --anchor that cannot be read or is not a checkpoint at all.
absl::StatusOr<std::vector<datadir::StoredAnchor>> ReadAnchorsToCheck(const VerifyFlags& f) {
  std::vector<datadir::StoredAnchor> anchors;
  absl::StatusOr<std::optional<datadir::StoredAnchor>> own =
      datadir::ReadAnchorFile(nullptr, datadir::AnchorFile(f.data_dir));
  if (!own.ok()) return own.status();
  if (own->has_value()) anchors.push_back(**own);
  for (const std::string& path : f.anchors) {
    absl::StatusOr<std::optional<datadir::StoredAnchor>> read =
        datadir::ReadAnchorFile(nullptr, path);
    if (!read.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--anchor ", path, ": ", read.status().message()));
    }
    if (!read->has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--anchor ", path, ": no such file"));
    }
    if (!format::ParseCheckpointUnverified((*read)->note).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--anchor ", path, ": does not hold a signed checkpoint"));
    }
    anchors.push_back(**read);
  }
  return anchors;
}

// After an intact audit: the log must hold every anchor's size with its root. A log shorter
// than an anchor names its first missing sequence (the log's size); a fork, an anchor that
// the trusted key did not sign, or a node that cannot be read makes the report not intact.
void CheckAnchorsInto(const std::vector<datadir::StoredAnchor>& anchors,
                      const core::LogIdentity& trust, const store::LogStore& store,
                      ledger::audit::AuditReport* report) {
  const store::LogHead head = store.Head();
  absl::StatusOr<std::vector<format::Checkpoint>> checked = datadir::CheckAnchors(
      anchors, {trust.origin, trust.log_public_key}, head,
      [&store](merkle::NodeId id) { return store.GetNode(id); });
  if (checked.ok()) return;
  report->ok = false;
  report->problem = std::string(checked.status().message());
  if (ErrorReason(checked.status()) == datadir::kReasonLogBehindAnchor) {
    report->first_bad_sequence = head.tree_size;
  }
}

int RunVerify(const VerifyFlags& f) {
  auto identity = datadir::ReadIdentity(f.data_dir);
  if (!identity.ok()) {
    std::cerr << "ledgerctl: " << identity.status().message() << "\n";
    return kExitUnreachable;
  }
  // Trust: keys from the command line override the data directory's own identity file.
  core::LogIdentity trust = *identity;
  if (!f.origin.empty()) trust.origin = f.origin;
  if (!f.log_key.empty()) {
    if (absl::Status s = ApplyLogKeyFlag(f.log_key, !f.origin.empty(), &trust); !s.ok()) {
      std::cerr << "ledgerctl: --log-key: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  if (!f.admin_keys.empty()) {
    trust.admin_keys.clear();
    for (const auto& a : f.admin_keys) {
      auto k = ParsePublicKeyArg(a);
      if (!k.ok()) {
        std::cerr << "ledgerctl: --admin-key " << a << ": " << k.status().message() << "\n";
        return kExitUsage;
      }
      trust.admin_keys.push_back(*k);
    }
  }
  ledger::audit::AuditOptions options;
  options.threads = f.threads;
  const std::string trusted_source = !f.trusted.empty() ? f.trusted : f.state_file;
  if (!trusted_source.empty() && ::access(trusted_source.c_str(), R_OK) == 0) {
    absl::StatusOr<std::string> trusted = ReadFileToString(trusted_source);
    if (!trusted.ok()) {
      std::cerr << "ledgerctl: " << trusted.status().message() << "\n";
      return kExitUsage;
    }
    options.trusted_checkpoint = *std::move(trusted);
  } else if (!f.trusted.empty()) {
    std::cerr << "ledgerctl: cannot read --trusted-checkpoint " << f.trusted << "\n";
    return kExitUsage;
  }
  const bool trusted_used = !options.trusted_checkpoint.empty();
  if (trusted_used) {
    // A trusted checkpoint that the trusted log key did not sign means the log is not the one
    // trusted before (e.g. it was re-signed with another key): that is a verdict, not a usage
    // error. Only a file that is not a checkpoint at all is bad usage.
    if (!format::ParseCheckpointUnverified(options.trusted_checkpoint).ok()) {
      std::cerr << "ledgerctl: " << trusted_source << " does not hold a signed checkpoint\n";
      return kExitUsage;
    }
    absl::StatusOr<format::Checkpoint> t = format::VerifyCheckpoint(
        options.trusted_checkpoint, format::NoteVerifier{trust.origin, trust.log_public_key});
    if (!t.ok()) {
      ledger::audit::AuditReport report;
      report.problem = absl::StrCat(
          "the checkpoint trusted before (", trusted_source, ") is not signed by the log key in "
          "use (", format::NoteVerifierKey(trust.origin, trust.log_public_key), "): ",
          t.status().message(),
          ". The log's key or origin changed since it was trusted (e.g. the whole log was "
          "re-signed with another key), or pin the key trusted before with --log-key.");
      PrintVerdict(f, report, trusted_used, trusted_source);
      return kExitNotIntact;
    }
  }
  absl::StatusOr<std::vector<datadir::StoredAnchor>> anchors = ReadAnchorsToCheck(f);
  if (!anchors.ok()) {
    std::cerr << "ledgerctl: " << anchors.status().message() << "\n";
    return absl::IsInvalidArgument(anchors.status()) ? kExitUsage : kExitNotIntact;
  }
  absl::StatusOr<std::optional<witness::WitnessPolicy>> policy = WitnessPolicyFromFlags(f.witness);
  if (!policy.ok()) {
    std::cerr << "ledgerctl: " << policy.status().message() << "\n";
    return kExitUsage;
  }
  std::string witness_summary;
  if (policy->has_value()) {
    std::string problem;
    if (absl::Status s = CheckWitnessedInto(f, **policy, trust, &*anchors, &problem,
                                            &witness_summary);
        !s.ok()) {
      std::cerr << "ledgerctl: --witnessed-checkpoint: " << s.message() << "\n";
      return kExitUsage;
    }
    if (!problem.empty()) {
      ledger::audit::AuditReport report;
      report.problem = problem;
      PrintVerdict(f, report, trusted_used, trusted_source);
      return kExitNotIntact;
    }
  } else if (!f.witnessed.empty()) {
    std::cerr << "ledgerctl: --witnessed-checkpoint needs --witness-key\n";
    return kExitUsage;
  }
  Progress progress("verified", 0);
  if (progress.active()) {
    options.progress = [&progress](uint64_t done, uint64_t) { progress.Update(done); };
  }
  auto store = datadir::OpenStoreReadOnly(f.data_dir);
  if (!store.ok()) {
    std::cerr << "ledgerctl: cannot open " << f.data_dir << ": " << store.status().message()
              << "\n";
    return store.status().code() == absl::StatusCode::kDataLoss ? kExitNotIntact
                                                                 : kExitUnreachable;
  }
  auto report = ledger::audit::AuditLog(**store, trust, options);
  progress.Finish();
  if (!report.ok() && !absl::IsInvalidArgument(report.status())) {
    // The store could not be read: physical damage is as much "not intact" as logical damage.
    ledger::audit::AuditReport unreadable;
    unreadable.problem = absl::StrCat("the log cannot be read: ", report.status().message());
    PrintVerdict(f, unreadable, trusted_used, trusted_source);
    return kExitNotIntact;
  }
  if (!report.ok()) {
    std::cerr << "ledgerctl: verify could not run: " << report.status().message() << "\n";
    return kExitUsage;
  }
  if (report->ok) CheckAnchorsInto(*anchors, trust, **store, &*report);
  if (report->ok && !f.state_file.empty()) {
    if (absl::Status s = WriteFileAtomically(f.state_file, report->latest_checkpoint); !s.ok()) {
      std::cerr << "ledgerctl: --state-file not updated: " << s.message() << "\n";
    }
  }
  PrintVerdict(f, *report, trusted_used, trusted_source);
  if (report->ok && !witness_summary.empty() && !f.json) std::cout << witness_summary << "\n";
  return report->ok ? kExitOk : kExitNotIntact;
}

}  // namespace

void AddVerifyCommand(CLI::App* app, CommandTable* table) {
  auto f = std::make_shared<VerifyFlags>();
  CLI::App* verify = app->add_subcommand(
      "verify", "Full offline audit of a data directory (signatures, tree, checkpoints)");
  AddJsonFlag(verify, &f->json);
  verify->add_option("--data-dir", f->data_dir, "Data directory to audit")->required();
  verify->add_option("--trusted-checkpoint", f->trusted,
                     "A signed checkpoint trusted from before: the log must be consistent with it");
  verify->add_option("--state-file", f->state_file,
                     "Trust on first use: read the checkpoint trusted last time from this file "
                     "(if present) and store the newest verified one there");
  verify->add_option("--origin", f->origin, "Trusted origin (default: the data dir's)");
  verify->add_option("--log-key", f->log_key,
                     "Trusted log key: a checkpoint verifier key (<origin>+<hash>+<base64>, it "
                     "also sets the origin), a public key file or hex (default: the data dir's)");
  verify->add_option("--admin-key", f->admin_keys,
                     "Trusted admin public key, file or hex, repeatable (default: the data dir's)");
  verify->add_option("--anchor", f->anchors,
                     "An external checkpoint anchor (e.g. <anchor-dir>/checkpoint.anchor), "
                     "repeatable: the log must hold its size with its root. The data dir's own "
                     "checkpoint.anchor is always checked");
  verify->add_option("--threads", f->threads, "Signature threads (default: one per core)");
  AddWitnessFlags(verify, &f->witness);
  verify->add_option("--witnessed-checkpoint", f->witnessed,
                     "With --witness-key: the cosigned checkpoint to check (default: "
                     "<data-dir>/witnessed.checkpoint, kept by ledgerd serve --witness)");
  SetExamples(verify,
              "Exits 0 when intact, 2 with the first bad sequence number otherwise (a bad "
              "checkpoint is\nnamed by its tree size; a log shorter than an anchor by its first "
              "missing sequence;\nunreadable storage is not intact too). Progress goes to "
              "stderr when it is a terminal.\nExample:\n"
              "  ledgerctl verify --data-dir ./data --state-file ~/.factledger-trusted\n"
              "  ledgerctl verify --data-dir ./data --anchor /mnt/anchors/checkpoint.anchor\n"
              "  ledgerctl verify --data-dir ./data --witness-key \"$(cat w1.vkey)\" "
              "--witness-key \"$(cat w2.vkey)\" --witness-policy 2");
  table->Add(verify, [f] { return RunVerify(*f); });
}

}  // namespace ledger::cli
