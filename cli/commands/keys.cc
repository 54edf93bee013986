// keygen, register-key, revoke-key.
#include <iostream>
#include <memory>

#include "cli/commands/commands.h"
#include "cli/commands/common.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "ledger/base/types.h"

namespace ledger::cli {
namespace {

namespace v1 = ledger::v1;

struct KeygenFlags {
  std::string out;
  bool json = false;
};

int RunKeygen(const KeygenFlags& f) {
  auto key = crypto::Ed25519PrivateKey::Generate();
  if (auto s = crypto::WritePrivateKeyFile(f.out, key); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  if (auto s = crypto::WritePublicKeyFile(f.out + ".pub", key.public_key()); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return kExitUsage;
  }
  const std::string key_id = HexEncode(AsStringView(crypto::SignerKeyId(key.public_key())));
  const std::string pub = HexEncode(crypto::AsStringView(key.public_key()));
  if (f.json) {
    std::cout << JsonObject()
                     .AddString("private_key_file", f.out)
                     .AddString("public_key_file", f.out + ".pub")
                     .AddString("public_key", pub)
                     .AddString("key_id", key_id)
                     .Build()
              << "\n";
  } else {
    std::cout << "private key: " << f.out << " (keep it secret)\npublic key:  " << f.out
              << ".pub\n  " << pub << "\nkey id:      " << key_id << "\n";
  }
  return kExitOk;
}

struct KeyEventFlags {
  ServerOptions server;
  bool json = false;
  std::string signer, public_key, role = "submitter", holder, key_id, reason, event_id;
  int64_t compromised_since = -1;  // revoke-key: -1 when not given
};

// Signs `event` with the admin key of f.signer and appends it.
int AppendKeyEvent(const KeyEventFlags& f, const v1::Event& event,
                   const crypto::Ed25519PrivateKey& signer) {
  int rc = kExitOk;
  std::optional<SigningConnection> c = ConnectForSigning(f.server, &rc);
  if (!c.has_value()) return rc;
  return AppendOne(c->client.get(), c->origin, f.event_id, event, signer, f.json);
}

int RunRegisterKey(const KeyEventFlags& f) {
  auto signer = crypto::ReadPrivateKeyFile(f.signer);
  if (!signer.ok()) {
    std::cerr << "ledgerctl: --signer: " << signer.status().message() << "\n";
    return kExitUsage;
  }
  auto key = ParsePublicKeyArg(f.public_key);
  if (!key.ok()) {
    std::cerr << "ledgerctl: --public-key: " << key.status().message() << "\n";
    return kExitUsage;
  }
  v1::Event event;
  auto* reg = event.mutable_key_registered();
  reg->set_public_key(std::string(crypto::AsStringView(*key)));
  reg->set_role(f.role == "admin" ? v1::KeyRegistered::ADMIN : v1::KeyRegistered::SUBMITTER);
  reg->set_holder(f.holder);
  return AppendKeyEvent(f, event, *signer);
}

int RunRevokeKey(const KeyEventFlags& f) {
  auto signer = crypto::ReadPrivateKeyFile(f.signer);
  if (!signer.ok()) {
    std::cerr << "ledgerctl: --signer: " << signer.status().message() << "\n";
    return kExitUsage;
  }
  std::string key_id;
  if (f.key_id.size() != 64 || !HexDecode(f.key_id, &key_id)) {
    std::cerr << "ledgerctl: --key-id must be the 64 hex digits printed by keygen\n";
    return kExitUsage;
  }
  v1::Event event;
  event.mutable_key_revoked()->set_key_id(key_id);
  event.mutable_key_revoked()->set_reason(f.reason);
  if (f.compromised_since >= 0) {
    event.mutable_key_revoked()->mutable_compromise()->set_since_sequence(
        static_cast<uint64_t>(f.compromised_since));
  }
  return AppendKeyEvent(f, event, *signer);
}

}  // namespace

void AddKeyCommands(CLI::App* app, CommandTable* table) {
  auto keygen_flags = std::make_shared<KeygenFlags>();
  CLI::App* keygen = app->add_subcommand("keygen", "Create an Ed25519 key pair");
  keygen->add_option("--out", keygen_flags->out,
                     "Private key file to create (the public key goes to OUT.pub)")
      ->required();
  AddJsonFlag(keygen, &keygen_flags->json);
  SetExamples(keygen, "Refuses to overwrite an existing key file.\n"
                      "Example:\n  ledgerctl keygen --out desk.key");
  table->Add(keygen, [keygen_flags] { return RunKeygen(*keygen_flags); });

  auto reg_flags = std::make_shared<KeyEventFlags>();
  CLI::App* reg = app->add_subcommand("register-key", "Register a signer key (admin only)");
  AddServerFlags(reg, &reg_flags->server);
  AddJsonFlag(reg, &reg_flags->json);
  reg->add_option("--signer", reg_flags->signer, "Admin private key file")->required();
  reg->add_option("--public-key", reg_flags->public_key, "Public key file or 64 hex digits")
      ->required();
  reg->add_option("--role", reg_flags->role, "submitter or admin")
      ->check(CLI::IsMember({"submitter", "admin"}))
      ->capture_default_str();
  reg->add_option("--holder", reg_flags->holder, "Who holds the key, e.g. \"Desk A, Example News\"");
  reg->add_option("--event-id", reg_flags->event_id, "Event id (default: derived from the event)");
  SetExamples(reg, "Example:\n  ledgerctl register-key --signer admin.key --public-key desk.key.pub "
                   "--holder \"Desk A\"");
  table->Add(reg, [reg_flags] { return RunRegisterKey(*reg_flags); });

  auto revoke_flags = std::make_shared<KeyEventFlags>();
  CLI::App* revoke = app->add_subcommand("revoke-key", "Revoke a signer key (admin only)");
  AddServerFlags(revoke, &revoke_flags->server);
  AddJsonFlag(revoke, &revoke_flags->json);
  revoke->add_option("--signer", revoke_flags->signer, "Admin private key file")->required();
  revoke->add_option("--key-id", revoke_flags->key_id, "Key id (64 hex digits) to revoke")
      ->required();
  revoke->add_option("--reason", revoke_flags->reason, "Why")->required();
  revoke->add_option("--compromised-since", revoke_flags->compromised_since,
                     "The key was in other hands from this sequence number on: every event it "
                     "signed from there is flagged (claim, claims, history, tally)")
      ->check(CLI::NonNegativeNumber);
  revoke->add_option("--event-id", revoke_flags->event_id,
                     "Event id (default: derived from the event)");
  SetExamples(revoke, "Examples:\n  ledgerctl revoke-key --signer admin.key --key-id 3f2a... "
                      "--reason \"laptop lost\"\n"
                      "  ledgerctl revoke-key --signer admin.key --key-id 3f2a... "
                      "--reason \"key leaked\" --compromised-since 1200");
  table->Add(revoke, [revoke_flags] { return RunRevokeKey(*revoke_flags); });
}

}  // namespace ledger::cli
