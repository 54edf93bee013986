// ledgerctl: the audit CLI of the fact ledger. Run `ledgerctl --help` and
// `ledgerctl COMMAND --help`; docs/cli.md has the walk-through.
//
// Exit codes (docs/cli.md):
//   0  success (verify: the log is intact)
//   1  bad usage or bad input file
//   2  verify: the log is NOT intact (the first bad sequence number is printed)
//   3  the server or the data directory could not be reached or read
//   4  the server refused a request (its status is printed)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "ledger/audit/auditor.h"
#include "ledger/base/types.h"
#include "ledger/client/event_signer.h"
#include "ledger/core/data_dir.h"
#include "ledger/core/event_validation.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/format/checkpoint.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/verify.h"
#include "ledger/v1/ledger_service.grpc.pb.h"

namespace {

using ledger::HexEncode;
namespace v1 = ledger::v1;

constexpr int kExitUsage = 1;
constexpr int kExitNotIntact = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitRefused = 4;

struct Common {
  std::string server = "127.0.0.1:50051";
  bool json = false;
  int timeout_seconds = 30;
  // TLS: the CA that signed the server's certificate; for mutual TLS also a client pair.
  std::string tls_ca, tls_cert, tls_key;
};

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "ledgerctl: cannot read " << path << "\n";
    std::exit(kExitUsage);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::unique_ptr<v1::LedgerService::Stub> Connect(const Common& c) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!c.tls_ca.empty() || !c.tls_cert.empty()) {
    grpc::SslCredentialsOptions options;
    if (!c.tls_ca.empty()) options.pem_root_certs = ReadFileOrDie(c.tls_ca);
    if (!c.tls_cert.empty()) {
      options.pem_cert_chain = ReadFileOrDie(c.tls_cert);
      options.pem_private_key = ReadFileOrDie(c.tls_key);
    }
    credentials = grpc::SslCredentials(options);
  }
  return v1::LedgerService::NewStub(grpc::CreateChannel(c.server, credentials));
}

void SetDeadline(grpc::ClientContext* ctx, const Common& c) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(c.timeout_seconds));
}

// "INVALID_ARGUMENT, reason SIGNATURE_INVALID": the code and the machine-readable reason.
std::string Describe(const grpc::Status& s) {
  static const char* const kNames[] = {
      "OK",          "CANCELLED",          "UNKNOWN",          "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",   "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",      "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int code = static_cast<int>(s.error_code());
  std::string out = code >= 0 && code <= 16 ? kNames[code] : std::to_string(code);
  google::rpc::Status details;
  if (details.ParseFromString(s.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) absl::StrAppend(&out, ", reason ", info.reason());
    }
  }
  return out;
}

int ReportRpcError(const char* what, const grpc::Status& s) {
  std::cerr << "ledgerctl: " << what << ": " << s.error_message() << " (" << Describe(s)
            << ")\n";
  return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
             ? kExitUnreachable
             : kExitRefused;
}

std::string JsonString(absl::string_view s) {
  return absl::StrCat("\"", absl::Utf8SafeCEscape(s), "\"");
}

std::string FormatTime(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string Truncate(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

// One line describing an event, for tables.
std::pair<std::string, std::string> Describe(absl::string_view event_bytes) {
  auto event = ledger::core::ParseStoredEvent(event_bytes);
  if (!event.ok()) return {"?", std::string(event.status().message())};
  auto claim_text = [](const v1::Claim& c) {
    return absl::StrCat(c.claimant().name(), ": \"", c.statement().text(), "\"");
  };
  switch (event->body_case()) {
    case v1::Event::kClaimAsserted:
      return {"assert", claim_text(event->claim_asserted().claim())};
    case v1::Event::kClaimCorrected:
      return {"correct", absl::StrCat("corrects ", event->claim_corrected().corrects_claim_id(),
                                      ": ", claim_text(event->claim_corrected().claim()))};
    case v1::Event::kClaimRetracted:
      return {"retract", absl::StrCat(event->claim_retracted().claim_id(), ": ",
                                      event->claim_retracted().reason())};
    case v1::Event::kClaimReviewed:
      return {"review", absl::StrCat(event->claim_reviewed().claim_id(), ": ",
                                     event->claim_reviewed().rating_text(), " (",
                                     event->claim_reviewed().reviewer(), ")")};
    case v1::Event::kKeyRegistered:
      return {"key+", absl::StrCat(v1::KeyRegistered::Role_Name(event->key_registered().role()),
                                   " ", event->key_registered().holder())};
    case v1::Event::kKeyRevoked:
      return {"key-", absl::StrCat(HexEncode(event->key_revoked().key_id().substr(0, 8)), "… ",
                                   event->key_revoked().reason())};
    default:
      return {"?", ""};
  }
}

void PrintEntry(const v1::Entry& e, bool json) {
  const auto [type, text] = Describe(e.signed_event().event());
  if (json) {
    std::string event_json;
    v1::Event event;
    if (event.ParseFromString(e.signed_event().event())) {
      google::protobuf::util::MessageToJsonString(event, &event_json);
    }
    std::cout << "{\"sequence\":" << e.sequence() << ",\"recorded_time\":"
              << JsonString(FormatTime(e.recorded_time_micros()))
              << ",\"recorded_time_micros\":" << e.recorded_time_micros()
              << ",\"event_id\":" << JsonString(e.signed_event().event_id())
              << ",\"type\":" << JsonString(type)
              << ",\"key_id\":" << JsonString(HexEncode(e.signed_event().key_id()))
              << ",\"signature\":" << JsonString(absl::Base64Escape(e.signed_event().signature()))
              << ",\"leaf_hash\":" << JsonString(HexEncode(e.leaf_hash()))
              << ",\"event\":" << (event_json.empty() ? "null" : event_json) << "}\n";
    return;
  }
  std::printf("%6llu  %s  %-7s  %-34s  %s\n", static_cast<unsigned long long>(e.sequence()),
              FormatTime(e.recorded_time_micros()).c_str(), type.c_str(),
              Truncate(e.signed_event().event_id(), 34).c_str(), Truncate(text, 100).c_str());
}

// ---- keygen -----------------------------------------------------------------------------

int Keygen(const std::string& out, bool json) {
  auto key = ledger::crypto::Ed25519PrivateKey::Generate();
  if (auto s = ledger::crypto::WritePrivateKeyFile(out, key); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  if (auto s = ledger::crypto::WritePublicKeyFile(out + ".pub", key.public_key()); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  const std::string key_id =
      HexEncode(ledger::AsStringView(ledger::crypto::SignerKeyId(key.public_key())));
  const std::string pub = HexEncode(ledger::crypto::AsStringView(key.public_key()));
  if (json) {
    std::cout << "{\"private_key_file\":" << JsonString(out) << ",\"public_key_file\":"
              << JsonString(out + ".pub") << ",\"public_key\":" << JsonString(pub)
              << ",\"key_id\":" << JsonString(key_id) << "}\n";
  } else {
    std::cout << "private key: " << out << " (keep it secret)\npublic key:  " << out
              << ".pub\n  " << pub << "\nkey id:      " << key_id << "\n";
  }
  return 0;
}

// ---- submitting ---------------------------------------------------------------------------

absl::StatusOr<std::string> FetchOrigin(v1::LedgerService::Stub* stub, const Common& c) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, c);
  v1::GetLogInfoResponse info;
  grpc::Status s = stub->GetLogInfo(&ctx, v1::GetLogInfoRequest(), &info);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot reach ", c.server, ": ", s.error_message()));
  }
  return info.origin();
}

// Signs and appends one event; prints the outcome. Returns an exit code.
int AppendOne(v1::LedgerService::Stub* stub, const Common& c, const std::string& origin,
              const std::string& event_id, const v1::Event& event,
              const ledger::crypto::Ed25519PrivateKey& key) {
  v1::AppendRequest req;
  *req.mutable_event() = ledger::client::SignEvent(origin, event_id, event, key);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, c);
  v1::AppendResponse resp;
  grpc::Status s = stub->Append(&ctx, req, &resp);
  if (!s.ok()) {
    std::cerr << "ledgerctl: event " << req.event().event_id() << " refused: "
              << s.error_message() << " (" << Describe(s) << ")\n";
    return s.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnreachable : kExitRefused;
  }
  if (c.json) {
    std::cout << "{\"event_id\":" << JsonString(req.event().event_id())
              << ",\"sequence\":" << resp.sequence() << ",\"duplicate\":"
              << (resp.duplicate() ? "true" : "false")
              << ",\"leaf_hash\":" << JsonString(HexEncode(resp.leaf_hash())) << "}\n";
  } else {
    std::cout << "appended " << req.event().event_id() << " at sequence " << resp.sequence()
              << (resp.duplicate() ? " (already in the log)" : "") << "\n";
  }
  return 0;
}

int Submit(const Common& c, const std::string& key_file, const std::string& input,
           const std::string& event_id_flag) {
  auto key = ledger::crypto::ReadPrivateKeyFile(key_file);
  if (!key.ok()) {
    std::cerr << "ledgerctl: --key: " << key.status().message() << "\n";
    return kExitUsage;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (input != "-") {
    file.open(input);
    if (!file) {
      std::cerr << "ledgerctl: cannot open " << input << "\n";
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
      std::cerr << "ledgerctl: " << input << ":" << line_number
                << ": not a ledger.v1.EventDraft: " << s.message() << "\n";
      return kExitUsage;
    }
    drafts.push_back(std::move(draft));
  }
  if (drafts.empty()) {
    std::cerr << "ledgerctl: " << input << " holds no event\n";
    return kExitUsage;
  }
  if (!event_id_flag.empty()) {
    if (drafts.size() != 1) {
      std::cerr << "ledgerctl: --event-id applies to a single event; the input has "
                << drafts.size() << "\n";
      return kExitUsage;
    }
    drafts[0].set_event_id(event_id_flag);
  }
  auto stub = Connect(c);
  auto origin = FetchOrigin(stub.get(), c);
  if (!origin.ok()) {
    std::cerr << "ledgerctl: " << origin.status().message() << "\n";
    return kExitUnreachable;
  }
  int failures = 0, last_error = 0;
  for (const auto& d : drafts) {
    int rc = AppendOne(stub.get(), c, *origin, d.event_id(), d.event(), *key);
    if (rc != 0) ++failures, last_error = rc;
  }
  if (!c.json) {
    std::cerr << drafts.size() - failures << " appended or already present, " << failures
              << " refused\n";
  }
  return failures == 0 ? 0 : last_error;
}

int RegisterKey(const Common& c, const std::string& signer_file, const std::string& public_key,
                const std::string& role, const std::string& holder, const std::string& event_id) {
  auto signer = ledger::crypto::ReadPrivateKeyFile(signer_file);
  if (!signer.ok()) {
    std::cerr << "ledgerctl: --signer: " << signer.status().message() << "\n";
    return kExitUsage;
  }
  auto key = ::access(public_key.c_str(), R_OK) == 0
                 ? ledger::crypto::ReadPublicKeyFile(public_key)
                 : ledger::crypto::ParsePublicKey(public_key);
  if (!key.ok()) {
    std::cerr << "ledgerctl: --public-key: " << key.status().message() << "\n";
    return kExitUsage;
  }
  v1::Event event;
  auto* reg = event.mutable_key_registered();
  reg->set_public_key(std::string(ledger::crypto::AsStringView(*key)));
  reg->set_role(role == "admin" ? v1::KeyRegistered::ADMIN : v1::KeyRegistered::SUBMITTER);
  reg->set_holder(holder);
  auto stub = Connect(c);
  auto origin = FetchOrigin(stub.get(), c);
  if (!origin.ok()) {
    std::cerr << "ledgerctl: " << origin.status().message() << "\n";
    return kExitUnreachable;
  }
  return AppendOne(stub.get(), c, *origin, event_id, event, *signer);
}

int RevokeKey(const Common& c, const std::string& signer_file, const std::string& key_id_hex,
              const std::string& reason, const std::string& event_id) {
  auto signer = ledger::crypto::ReadPrivateKeyFile(signer_file);
  if (!signer.ok()) {
    std::cerr << "ledgerctl: --signer: " << signer.status().message() << "\n";
    return kExitUsage;
  }
  std::string key_id;
  if (key_id_hex.size() != 64 || !ledger::HexDecode(key_id_hex, &key_id)) {
    std::cerr << "ledgerctl: --key-id must be the 64 hex digits printed by keygen\n";
    return kExitUsage;
  }
  v1::Event event;
  event.mutable_key_revoked()->set_key_id(key_id);
  event.mutable_key_revoked()->set_reason(reason);
  auto stub = Connect(c);
  auto origin = FetchOrigin(stub.get(), c);
  if (!origin.ok()) {
    std::cerr << "ledgerctl: " << origin.status().message() << "\n";
    return kExitUnreachable;
  }
  return AppendOne(stub.get(), c, *origin, event_id, event, *signer);
}

// ---- reading ------------------------------------------------------------------------------

int LogOnline(const Common& c, uint64_t from, uint64_t limit) {
  auto stub = Connect(c);
  uint64_t printed = 0, next = from;
  while (printed < limit) {
    v1::ListEntriesRequest req;
    req.set_start_sequence(next);
    req.set_max_entries(static_cast<uint32_t>(std::min<uint64_t>(1000, limit - printed)));
    v1::ListEntriesResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx, c);
    grpc::Status s = stub->ListEntries(&ctx, req, &resp);
    if (!s.ok()) return ReportRpcError("ListEntries", s);
    if (resp.entries_size() == 0) break;
    for (const auto& e : resp.entries()) PrintEntry(e, c.json), ++printed;
    next = resp.entries(resp.entries_size() - 1).sequence() + 1;
  }
  return 0;
}

int LogOffline(const std::string& data_dir, bool json, uint64_t from, uint64_t limit) {
  auto store = ledger::core::OpenStoreReadOnly(data_dir);
  if (!store.ok()) {
    std::cerr << "ledgerctl: cannot open " << data_dir << ": " << store.status().message() << "\n";
    return kExitUnreachable;
  }
  const uint64_t end = std::min((*store)->Head().tree_size, from + limit);
  absl::Status s = (*store)->ScanEntries(from, end, [&](uint64_t seq, absl::string_view leaf) {
    auto entry = ledger::core::DecodeLogEntry(seq, std::string(leaf));
    if (!entry.ok()) {
      std::cerr << "ledgerctl: entry " << seq << ": " << entry.status().message() << "\n";
      return false;
    }
    v1::Entry e;
    e.set_sequence(seq);
    e.set_recorded_time_micros(entry->recorded_time_micros);
    e.mutable_signed_event()->set_event_id(entry->event_id);
    e.mutable_signed_event()->set_event(entry->event);
    e.mutable_signed_event()->set_key_id(entry->key_id);
    e.mutable_signed_event()->set_signature(entry->signature);
    e.set_leaf_hash(std::string(ledger::AsStringView(entry->leaf_hash)));
    PrintEntry(e, json);
    return true;
  });
  if (!s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUnreachable;
  }
  return 0;
}

int Checkpoint(const Common& c) {
  auto stub = Connect(c);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, c);
  v1::GetCheckpointResponse resp;
  grpc::Status s = stub->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &resp);
  if (!s.ok()) return ReportRpcError("GetCheckpoint", s);
  if (c.json) {
    std::cout << "{\"tree_size\":" << resp.tree_size() << ",\"root_hash\":"
              << JsonString(HexEncode(resp.root_hash())) << ",\"checkpoint\":"
              << JsonString(resp.checkpoint()) << "}\n";
  } else {
    std::cout << resp.checkpoint();
  }
  return 0;
}

// ---- proofs -------------------------------------------------------------------------------

// Fetches an inclusion proof and the checkpoint of that tree size, and checks both locally
// against the checkpoint verifier key given on the command line.
int Proof(const Common& c, uint64_t sequence, const std::string& verifier_key) {
  auto verifier = ledger::format::ParseNoteVerifierKey(verifier_key);
  if (!verifier.ok()) {
    std::cerr << "ledgerctl: --log-key: " << verifier.status().message() << "\n";
    return kExitUsage;
  }
  auto stub = Connect(c);
  v1::GetCheckpointResponse cp;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, c);
    grpc::Status s = stub->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &cp);
    if (!s.ok()) return ReportRpcError("GetCheckpoint", s);
  }
  auto checkpoint = ledger::format::VerifyCheckpoint(cp.checkpoint(), *verifier);
  if (!checkpoint.ok()) {
    std::cerr << "ledgerctl: the server's checkpoint does not verify: "
              << checkpoint.status().message() << "\n";
    return kExitNotIntact;
  }
  v1::GetInclusionProofRequest req;
  req.set_sequence(sequence);
  req.set_tree_size(checkpoint->tree_size);
  v1::GetInclusionProofResponse proof;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, c);
    grpc::Status s = stub->GetInclusionProof(&ctx, req, &proof);
    if (!s.ok()) return ReportRpcError("GetInclusionProof", s);
  }
  v1::GetEntryRequest entry_req;
  entry_req.set_sequence(sequence);
  v1::GetEntryResponse entry;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, c);
    grpc::Status s = stub->GetEntry(&ctx, entry_req, &entry);
    if (!s.ok()) return ReportRpcError("GetEntry", s);
  }
  // The leaf hash is recomputed from the entry's bytes, never taken from the server.
  const ledger::Hash leaf_hash = ledger::merkle::HashLeaf(entry.entry().leaf_data());
  std::vector<ledger::Hash> hashes;
  for (const auto& h : proof.hashes()) {
    if (h.size() != 32) {
      std::cerr << "ledgerctl: the proof holds a hash of " << h.size() << " bytes\n";
      return kExitNotIntact;
    }
    hashes.push_back(ledger::HashFromBytes(h));
  }
  absl::Status ok = ledger::merkle::VerifyInclusion(sequence, checkpoint->tree_size, leaf_hash,
                                                    hashes, checkpoint->root_hash);
  if (!ok.ok()) {
    std::cerr << "ledgerctl: inclusion proof of entry " << sequence
              << " does NOT verify: " << ok.message() << "\n";
    return kExitNotIntact;
  }
  if (c.json) {
    std::cout << "{\"sequence\":" << sequence << ",\"tree_size\":" << checkpoint->tree_size
              << ",\"leaf_hash\":" << JsonString(HexEncode(leaf_hash)) << ",\"verified\":true}\n";
  } else {
    std::cout << "entry " << sequence << " (leaf " << HexEncode(leaf_hash)
              << ") is included in the signed tree of size " << checkpoint->tree_size
              << " (root " << HexEncode(checkpoint->root_hash) << "): verified\n";
  }
  return 0;
}

// ---- verify -------------------------------------------------------------------------------

int Verify(const std::string& data_dir, const std::string& trusted_file,
           const std::string& state_file, const std::string& origin_flag,
           const std::string& log_key_flag, const std::vector<std::string>& admin_key_flags,
           int threads, bool json) {
  auto identity = ledger::core::ReadIdentity(data_dir);
  if (!identity.ok()) {
    std::cerr << "ledgerctl: " << identity.status().message() << "\n";
    return kExitUnreachable;
  }
  // Trust: keys from the command line override the data directory's own identity file.
  ledger::core::LogIdentity trust = *identity;
  if (!origin_flag.empty()) trust.origin = origin_flag;
  if (!log_key_flag.empty()) {
    auto k = ::access(log_key_flag.c_str(), R_OK) == 0
                 ? ledger::crypto::ReadPublicKeyFile(log_key_flag)
                 : ledger::crypto::ParsePublicKey(log_key_flag);
    if (!k.ok()) {
      std::cerr << "ledgerctl: --log-key: " << k.status().message() << "\n";
      return kExitUsage;
    }
    trust.log_public_key = *k;
  }
  if (!admin_key_flags.empty()) {
    trust.admin_keys.clear();
    for (const auto& f : admin_key_flags) {
      auto k = ::access(f.c_str(), R_OK) == 0 ? ledger::crypto::ReadPublicKeyFile(f)
                                               : ledger::crypto::ParsePublicKey(f);
      if (!k.ok()) {
        std::cerr << "ledgerctl: --admin-key " << f << ": " << k.status().message() << "\n";
        return kExitUsage;
      }
      trust.admin_keys.push_back(*k);
    }
  }
  ledger::audit::AuditOptions options;
  options.threads = threads;
  std::string trusted_source = !trusted_file.empty() ? trusted_file : state_file;
  if (!trusted_source.empty() && ::access(trusted_source.c_str(), R_OK) == 0) {
    std::ifstream in(trusted_source);
    std::stringstream buffer;
    buffer << in.rdbuf();
    options.trusted_checkpoint = buffer.str();
  } else if (!trusted_file.empty()) {
    std::cerr << "ledgerctl: cannot read --trusted-checkpoint " << trusted_file << "\n";
    return kExitUsage;
  }
  const bool show_progress = !json && ::isatty(STDERR_FILENO);
  if (show_progress) {
    options.progress = [](uint64_t done, uint64_t total) {
      std::fprintf(stderr, "\rverified %llu / %llu entries", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
    };
  }
  auto store = ledger::core::OpenStoreReadOnly(data_dir);
  if (!store.ok()) {
    std::cerr << "ledgerctl: cannot open " << data_dir << ": " << store.status().message() << "\n";
    return store.status().code() == absl::StatusCode::kDataLoss ? kExitNotIntact
                                                                : kExitUnreachable;
  }
  auto report = ledger::audit::AuditLog(**store, trust, options);
  if (show_progress) std::fprintf(stderr, "\n");
  if (!report.ok()) {
    std::cerr << "ledgerctl: verify could not run: " << report.status().message() << "\n";
    return report.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage
                                                                         : kExitUnreachable;
  }
  if (report->ok && !state_file.empty()) {
    std::ofstream(state_file + ".tmp") << report->latest_checkpoint;
    std::rename((state_file + ".tmp").c_str(), state_file.c_str());
  }
  if (json) {
    std::cout << "{\"intact\":" << (report->ok ? "true" : "false")
              << ",\"tree_size\":" << report->tree_size
              << ",\"root_hash\":" << JsonString(HexEncode(report->root_hash))
              << ",\"entries_checked\":" << report->entries_checked
              << ",\"signatures_checked\":" << report->signatures_checked
              << ",\"checkpoints_checked\":" << report->checkpoints_checked
              << ",\"trusted_checkpoint_used\":"
              << (options.trusted_checkpoint.empty() ? "false" : "true");
    if (report->first_bad_sequence.has_value()) {
      std::cout << ",\"first_bad_sequence\":" << *report->first_bad_sequence;
    }
    std::cout << ",\"problem\":" << JsonString(report->problem) << "}\n";
  } else if (report->ok) {
    std::cout << "intact: " << report->tree_size << " entries, "
              << report->signatures_checked << " signatures, " << report->checkpoints_checked
              << " checkpoints verified\nroot " << HexEncode(report->root_hash) << "\n";
    if (!options.trusted_checkpoint.empty()) {
      std::cout << "consistent with the trusted checkpoint from " << trusted_source << "\n";
    }
  } else {
    std::cout << "NOT INTACT";
    if (report->first_bad_sequence.has_value()) {
      std::cout << ": first bad sequence " << *report->first_bad_sequence;
    }
    std::cout << "\n" << report->problem << "\n";
  }
  return report->ok ? 0 : kExitNotIntact;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ledgerctl: submit to and audit a signed fact ledger"};
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok; 1 usage; 2 log not intact; 3 unreachable; 4 refused.");
  Common c;
  auto add_server = [&c](CLI::App* cmd) {
    cmd->add_option("--server", c.server, "ledgerd address")->capture_default_str();
    cmd->add_option("--timeout", c.timeout_seconds, "Deadline per request, seconds")
        ->capture_default_str();
    cmd->add_option("--tls-ca", c.tls_ca, "Use TLS; trust server certificates signed by this CA (PEM)");
    cmd->add_option("--tls-cert", c.tls_cert, "Client certificate for mutual TLS (PEM)");
    cmd->add_option("--tls-key", c.tls_key, "Client private key for mutual TLS (PEM)");
  };
  auto add_json = [&c](CLI::App* cmd) {
    cmd->add_flag("--json", c.json, "Machine-readable output (one JSON object per line)");
  };

  std::string out, key_file, input = "-", event_id, public_key, role = "submitter", holder,
                   key_id, reason, data_dir, trusted, state_file, origin, log_key;
  std::vector<std::string> admin_keys;
  uint64_t from = 0, limit = 100, sequence = 0;
  int threads = 0;

  CLI::App* keygen = app.add_subcommand("keygen", "Create an Ed25519 key pair");
  keygen->add_option("--out", out, "Private key file to create (the public key goes to OUT.pub)")
      ->required();
  add_json(keygen);
  keygen->footer("Example:\n  ledgerctl keygen --out desk.key");

  CLI::App* submit = app.add_subcommand("submit", "Sign and append events (JSON Lines)");
  add_server(submit);
  add_json(submit);
  submit->add_option("--key", key_file, "Private key file to sign with")->required();
  submit->add_option("--event-id", event_id, "Event id (a single event only)");
  submit->add_option("file", input, "JSON Lines of ledger.v1.EventDraft, or - for stdin")
      ->capture_default_str();
  submit->footer(
      "Each line: {\"eventId\": \"...\", \"event\": {\"claimAsserted\": {\"claim\": {...}}}}\n"
      "Example:\n  ledgerctl submit --key desk.key examples/seed-claims.jsonl");

  CLI::App* reg = app.add_subcommand("register-key", "Register a signer key (admin only)");
  add_server(reg);
  add_json(reg);
  reg->add_option("--signer", key_file, "Admin private key file")->required();
  reg->add_option("--public-key", public_key, "Public key file or 64 hex digits")->required();
  reg->add_option("--role", role, "submitter or admin")
      ->check(CLI::IsMember({"submitter", "admin"}))
      ->capture_default_str();
  reg->add_option("--holder", holder, "Who holds the key, e.g. \"Desk A, Example News\"");
  reg->add_option("--event-id", event_id, "Event id (default: derived from the event)");
  reg->footer(
      "Example:\n  ledgerctl register-key --signer admin.key --public-key desk.key.pub "
      "--holder \"Desk A\"");

  CLI::App* revoke = app.add_subcommand("revoke-key", "Revoke a signer key (admin only)");
  add_server(revoke);
  add_json(revoke);
  revoke->add_option("--signer", key_file, "Admin private key file")->required();
  revoke->add_option("--key-id", key_id, "Key id (64 hex digits) to revoke")->required();
  revoke->add_option("--reason", reason, "Why")->required();
  revoke->add_option("--event-id", event_id, "Event id (default: derived from the event)");

  CLI::App* log = app.add_subcommand("log", "List entries, oldest first");
  add_server(log);
  add_json(log);
  log->add_option("--data-dir", data_dir, "Read a data directory instead of a server");
  log->add_option("--from", from, "First sequence number")->capture_default_str();
  log->add_option("--limit", limit, "Most entries to list")->capture_default_str();
  log->footer("Examples:\n  ledgerctl log\n  ledgerctl log --data-dir ./data --from 10 --json");

  CLI::App* checkpoint = app.add_subcommand("checkpoint", "Print the latest signed checkpoint");
  add_server(checkpoint);
  add_json(checkpoint);

  CLI::App* proof = app.add_subcommand(
      "proof", "Fetch an inclusion proof and verify it locally against a signed checkpoint");
  add_server(proof);
  add_json(proof);
  proof->add_option("--sequence", sequence, "Entry to prove")->required();
  proof->add_option("--log-key", log_key,
                    "Checkpoint verifier key you trust (<origin>+<hash>+<base64>)")
      ->required();
  proof->footer(
      "Example:\n  ledgerctl proof --sequence 3 --log-key \"$(cat data/checkpoint-key)\"");

  CLI::App* verify = app.add_subcommand(
      "verify", "Full offline audit of a data directory (signatures, tree, checkpoints)");
  add_json(verify);
  verify->add_option("--data-dir", data_dir, "Data directory to audit")->required();
  verify->add_option("--trusted-checkpoint", trusted,
                     "A signed checkpoint trusted from before: the log must be consistent with it");
  verify->add_option("--state-file", state_file,
                     "Trust on first use: read the checkpoint trusted last time from this file "
                     "(if present) and store the newest verified one there");
  verify->add_option("--origin", origin, "Trusted origin (default: the data dir's)");
  verify->add_option("--log-key", log_key,
                     "Trusted log public key, file or hex (default: the data dir's)");
  verify->add_option("--admin-key", admin_keys,
                     "Trusted admin public key, file or hex, repeatable (default: the data dir's)");
  verify->add_option("--threads", threads, "Signature threads (default: one per core)");
  verify->footer(
      "Exits 0 when intact, 2 with the first bad sequence number otherwise.\n"
      "Example:\n  ledgerctl verify --data-dir ./data --state-file ~/.factledger-trusted");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  if (keygen->parsed()) return Keygen(out, c.json);
  if (submit->parsed()) return Submit(c, key_file, input, event_id);
  if (reg->parsed()) return RegisterKey(c, key_file, public_key, role, holder, event_id);
  if (revoke->parsed()) return RevokeKey(c, key_file, key_id, reason, event_id);
  if (log->parsed()) {
    return data_dir.empty() ? LogOnline(c, from, limit) : LogOffline(data_dir, c.json, from, limit);
  }
  if (checkpoint->parsed()) return Checkpoint(c);
  if (proof->parsed()) return Proof(c, sequence, log_key);
  if (verify->parsed()) {
    return Verify(data_dir, trusted, state_file, origin, log_key, admin_keys, threads, c.json);
  }
  return kExitUsage;
}
