#include "tests/testing/test_log.h"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "ledger/client/event_signer.h"

namespace ledger::testing {

crypto::Ed25519PrivateKey KeyFromSeed(uint8_t fill) {
  absl::StatusOr<crypto::Ed25519PrivateKey> key =
      crypto::Ed25519PrivateKey::FromSeed(std::string(32, static_cast<char>(fill)));
  if (!key.ok()) {
    std::cerr << "KeyFromSeed: " << key.status() << "\n";
    std::abort();
  }
  return *std::move(key);
}

crypto::Ed25519PrivateKey LogKey() { return KeyFromSeed(0x10); }
crypto::Ed25519PrivateKey AdminKey() { return KeyFromSeed(0x20); }
crypto::Ed25519PrivateKey SecondAdminKey() { return KeyFromSeed(0x21); }
crypto::Ed25519PrivateKey SubmitterKey() { return KeyFromSeed(0x30); }
crypto::Ed25519PrivateKey StrangerKey() { return KeyFromSeed(0x40); }

std::string KeyIdOf(const crypto::PublicKey& key) {
  return std::string(AsStringView(crypto::SignerKeyId(key)));
}
std::string KeyIdOf(const crypto::Ed25519PrivateKey& key) { return KeyIdOf(key.public_key()); }

ledger::v1::Event ClaimEvent(absl::string_view text) {
  ledger::v1::Event event;
  ledger::v1::Claim* claim = event.mutable_claim_asserted()->mutable_claim();
  claim->mutable_claimant()->set_name("Ada Example");
  claim->mutable_statement()->set_text(std::string(text));
  claim->mutable_source()->set_url(std::string(kTestSourceUrl));
  return event;
}

ledger::v1::Event KeyRegisteredEvent(const crypto::PublicKey& key,
                                     ledger::v1::KeyRegistered::Role role) {
  ledger::v1::Event event;
  auto* k = event.mutable_key_registered();
  k->set_public_key(std::string(crypto::AsStringView(key)));
  k->set_role(role);
  k->set_holder("Desk A, Example News");
  return event;
}

ledger::v1::Event KeyRevokedEvent(const crypto::PublicKey& key) {
  ledger::v1::Event event;
  auto* k = event.mutable_key_revoked();
  k->set_key_id(KeyIdOf(key));
  k->set_reason("rotated");
  return event;
}

core::LogIdentity TestIdentity(const std::vector<crypto::PublicKey>& admin_keys) {
  core::LogIdentity identity;
  identity.origin = std::string(kTestOrigin);
  identity.log_public_key = LogKey().public_key();
  identity.admin_keys = admin_keys;
  return identity;
}

ledger::v1::SignedEvent Sign(absl::string_view event_id, const ledger::v1::Event& event,
                             const crypto::Ed25519PrivateKey& key) {
  return client::SignEvent(kTestOrigin, event_id, event, key);
}

TestLog::TestLog(core::LogIdentity identity, size_t max_group_entries, size_t recent_event_ids,
                 std::function<void(TreeSize)> before_group)
    : clock_(kTestNowMicros) {
  auto store = std::make_unique<store::MemoryLogStore>();
  store_ = store.get();
  core::LogOptions options;
  options.clock = &clock_;
  options.max_group_entries = max_group_entries;
  options.recent_event_ids = recent_event_ids;
  options.before_group = std::move(before_group);
  absl::StatusOr<std::unique_ptr<core::Log>> log =
      core::Log::Open(std::move(store), std::move(identity), LogKey(), options);
  if (!log.ok()) {
    std::cerr << "TestLog: Log::Open failed: " << log.status() << "\n";
    std::abort();
  }
  log_ = *std::move(log);
}

absl::StatusOr<core::AppendResult> TestLog::AppendClaim(absl::string_view event_id,
                                                        const crypto::Ed25519PrivateKey& key,
                                                        absl::string_view text) {
  return log_->Append(Sign(event_id, ClaimEvent(text), key));
}

absl::StatusOr<core::AppendResult> TestLog::Register(const crypto::PublicKey& key,
                                                     ledger::v1::KeyRegistered::Role role,
                                                     absl::string_view event_id) {
  return log_->Append(Sign(event_id, KeyRegisteredEvent(key, role), AdminKey()));
}

}  // namespace ledger::testing
