#include "cli/commands/common.h"

#include <unistd.h>

#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/commands/commands.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "ledger/base/file_util.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"

namespace ledger::cli {

void AddJsonFlag(CLI::App* cmd, bool* json) {
  cmd->add_flag("--json", *json, "Machine-readable output (one JSON object per line)");
}

void SetExamples(CLI::App* cmd, absl::string_view text) { cmd->footer(std::string(text)); }

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  if (path == "-") {
    std::stringstream buffer;
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  return text;
}

absl::StatusOr<crypto::PublicKey> ParsePublicKeyArg(const std::string& file_or_hex) {
  if (::access(file_or_hex.c_str(), R_OK) == 0) return crypto::ReadPublicKeyFile(file_or_hex);
  return crypto::ParsePublicKey(file_or_hex);
}

absl::StatusOr<format::NoteVerifier> ParseLogKeyArg(const std::string& text_or_file) {
  absl::StatusOr<format::TrustedLogKey> key = format::ParseLogKey(text_or_file);
  if (!key.ok()) return key.status();
  if (key->origin.empty()) {
    return absl::InvalidArgumentError(
        "a bare public key names no origin: give the checkpoint verifier key "
        "(<origin>+<hash>+<base64>, e.g. <data-dir>/checkpoint-verifier-key)");
  }
  return format::NoteVerifier{key->origin, key->public_key};
}

absl::StatusOr<std::string> FetchOrigin(LedgerClient* client) {
  absl::StatusOr<ledger::v1::GetLogInfoResponse> info = client->GetLogInfo();
  if (!info.ok()) return info.status();
  return info->origin();
}

std::optional<SigningConnection> ConnectForSigning(const ServerOptions& server, int* exit_code) {
  absl::StatusOr<std::unique_ptr<LedgerClient>> client = LedgerClient::Connect(server);
  if (!client.ok()) {
    std::cerr << "ledgerctl: " << client.status().message() << "\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  absl::StatusOr<std::string> origin = FetchOrigin(client->get());
  if (!origin.ok()) {
    *exit_code = ReportError(origin.status());
    return std::nullopt;
  }
  return SigningConnection{*std::move(client), *std::move(origin)};
}

std::optional<CheckedLogSource> OpenCheckedLogSource(const SourceOptions& source,
                                                     const std::string& log_key,
                                                     bool log_key_required, int* exit_code) {
  CheckedLogSource out;
  if (log_key_required || !log_key.empty()) {
    absl::StatusOr<format::NoteVerifier> v = ParseLogKeyArg(log_key);
    if (!v.ok()) {
      std::cerr << "ledgerctl: --log-key: " << v.status().message() << "\n";
      *exit_code = kExitUsage;
      return std::nullopt;
    }
    out.verifier = *v;
  }
  absl::StatusOr<std::unique_ptr<LogReader>> reader = OpenLogReader(source);
  if (!reader.ok()) {
    *exit_code = ReportOpenError(reader.status());
    return std::nullopt;
  }
  out.reader = *std::move(reader);
  return out;
}

int AppendOne(LedgerClient* client, const std::string& origin, const std::string& event_id,
              const ledger::v1::Event& event, const crypto::Ed25519PrivateKey& key, bool json) {
  const ledger::v1::SignedEvent signed_event =
      ledger::client::SignEvent(origin, event_id, event, key);
  absl::StatusOr<ledger::v1::AppendResponse> r = client->Append(signed_event);
  if (!r.ok()) {
    std::cerr << "ledgerctl: event " << signed_event.event_id() << " refused: "
              << r.status().message() << "\n";
    return ExitCodeFor(r.status());
  }
  if (json) {
    std::cout << JsonObject()
                     .AddString("event_id", signed_event.event_id())
                     .AddUint("sequence", r->sequence())
                     .AddBool("duplicate", r->duplicate())
                     .AddString("leaf_hash", HexEncode(r->leaf_hash()))
                     .Build()
              << "\n";
  } else {
    std::cout << "appended " << signed_event.event_id() << " at sequence " << r->sequence()
              << (r->duplicate() ? " (already in the log)" : "") << "\n";
  }
  return kExitOk;
}

int CommandTable::RunParsed() const {
  for (auto it = commands_.rbegin(); it != commands_.rend(); ++it) {
    if (it->first->parsed()) return it->second();
  }
  return kExitUsage;
}

std::optional<std::pair<format::Checkpoint, std::string>> LatestCheckpointChecked(
    LogReader* reader, const std::optional<format::NoteVerifier>& verifier, int* exit_code) {
  absl::StatusOr<std::string> note = reader->LatestCheckpoint();
  if (!note.ok()) {
    *exit_code = ReportError(note.status());
    return std::nullopt;
  }
  absl::StatusOr<format::Checkpoint> cp = verifier.has_value()
                                              ? format::VerifyCheckpoint(*note, *verifier)
                                              : format::ParseCheckpointUnverified(*note);
  if (!cp.ok()) {
    std::cerr << "ledgerctl: the latest checkpoint does not verify: " << cp.status().message()
              << "\n";
    *exit_code = kExitNotIntact;
    return std::nullopt;
  }
  return std::make_pair(*std::move(cp), *std::move(note));
}

absl::StatusOr<ProofBundle> BundleOfEntry(LogReader* reader, const ledger::v1::Entry& entry,
                                          const format::Checkpoint& checkpoint,
                                          const std::string& note,
                                          const std::optional<crypto::PublicKey>& public_key,
                                          std::map<std::string, crypto::PublicKey>* key_cache) {
  ProofBundle b;
  b.origin = checkpoint.origin;
  b.sequence = entry.sequence();
  b.event_id = entry.signed_event().event_id();
  b.leaf_data = entry.leaf_data();
  b.leaf_hash = HashFromBytes(entry.leaf_hash());
  b.key_id = entry.signed_event().key_id();
  if (public_key.has_value()) {
    b.public_key = *public_key;
  } else if (key_cache != nullptr && key_cache->count(b.key_id) > 0) {
    b.public_key = key_cache->at(b.key_id);
  } else {
    absl::StatusOr<crypto::PublicKey> k = reader->SignerPublicKey(b.key_id, b.sequence);
    if (!k.ok()) return k.status();
    b.public_key = *k;
    if (key_cache != nullptr) (*key_cache)[b.key_id] = *k;
  }
  b.tree_size = checkpoint.tree_size;
  b.checkpoint = note;
  absl::StatusOr<std::vector<Hash>> proof = reader->InclusionProof(b.sequence, b.tree_size);
  if (!proof.ok()) return proof.status();
  b.inclusion_proof = *std::move(proof);
  return b;
}

}  // namespace ledger::cli

namespace ledger::cli {

void AddWitnessFlags(CLI::App* cmd, WitnessFlags* flags) {
  cmd->add_option("--witness-key", flags->keys,
                  "A witness you trust: its cosigner verifier key <name>+<id>+<base64> (or a "
                  "file holding it), repeatable");
  cmd->add_option("--witness-policy", flags->policy,
                  "How many of the --witness-key witnesses must have cosigned the checkpoint "
                  "(default: a majority)");
}

absl::StatusOr<std::optional<witness::WitnessPolicy>> WitnessPolicyFromFlags(
    const WitnessFlags& flags) {
  if (flags.keys.empty()) {
    if (flags.policy != 0) {
      return absl::InvalidArgumentError("--witness-policy needs --witness-key");
    }
    return std::nullopt;
  }
  std::vector<std::string> keys;
  for (const std::string& k : flags.keys) {
    // A value that is not a key may be a file holding one (witnessd's cosigner-verifier-key).
    if (!witness::ParseCosignerVerifierKey(k).ok() && ::access(k.c_str(), R_OK) == 0) {
      absl::StatusOr<std::string> text = ReadFileToString(k, 4096);
      if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
      keys.emplace_back(absl::StripAsciiWhitespace(*text));
    } else {
      keys.push_back(k);
    }
  }
  const int threshold = flags.policy != 0 ? flags.policy : static_cast<int>(keys.size() / 2 + 1);
  absl::StatusOr<witness::WitnessPolicy> policy = witness::ParseWitnessPolicy(keys, threshold);
  if (!policy.ok()) return policy.status();
  return std::optional<witness::WitnessPolicy>(*std::move(policy));
}

}  // namespace ledger::cli
