// Fixtures for tests of the log core: keys from fixed seeds, valid events, a fixed clock, and a
// Log over a MemoryLogStore. Everything here is deterministic (Ed25519 signatures are too), so
// two logs built by the same calls hold the same bytes.
#ifndef TESTS_TESTING_TEST_LOG_H_
#define TESTS_TESTING_TEST_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ledger/base/clock.h"
#include "ledger/core/log.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/store/memory_log_store.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::testing {

// 2026-01-01T00:00:00Z, the time every test clock starts at.
inline constexpr int64_t kTestNowMicros = 1767225600LL * 1000000;
inline constexpr absl::string_view kTestOrigin = "example.org/factledger";
inline constexpr absl::string_view kTestSourceUrl = "https://example.org/a";

// The key whose 32-byte seed is `fill` repeated.
crypto::Ed25519PrivateKey KeyFromSeed(uint8_t fill);
// The fixed keys of the tests. Each call returns the same key.
crypto::Ed25519PrivateKey LogKey();          // signs checkpoints
crypto::Ed25519PrivateKey AdminKey();        // the genesis admin of TestIdentity()
crypto::Ed25519PrivateKey SecondAdminKey();  // not in TestIdentity(); register it if needed
crypto::Ed25519PrivateKey SubmitterKey();    // not in TestIdentity(); register it if needed
crypto::Ed25519PrivateKey StrangerKey();     // never registered anywhere

// The signer key id (32 raw bytes) of a key.
std::string KeyIdOf(const crypto::PublicKey& key);
std::string KeyIdOf(const crypto::Ed25519PrivateKey& key);

// A claim_asserted event with every required field set (claimant.name, statement.text,
// source.url = kTestSourceUrl).
ledger::v1::Event ClaimEvent(absl::string_view text = "The bridge opened in 1932.");
ledger::v1::Event KeyRegisteredEvent(const crypto::PublicKey& key,
                                     ledger::v1::KeyRegistered::Role role);
ledger::v1::Event KeyRevokedEvent(const crypto::PublicKey& key);

// Origin kTestOrigin, log key LogKey(), the given genesis admins.
core::LogIdentity TestIdentity(const std::vector<crypto::PublicKey>& admin_keys = {
                                   AdminKey().public_key()});

// Signs `event` for kTestOrigin.
ledger::v1::SignedEvent Sign(absl::string_view event_id, const ledger::v1::Event& event,
                             const crypto::Ed25519PrivateKey& key);

// A Log over a MemoryLogStore, with a FakeClock at kTestNowMicros. Aborts the test binary if the
// log cannot be opened (that is never expected).
class TestLog {
 public:
  explicit TestLog(core::LogIdentity identity = TestIdentity(), size_t max_group_entries = 1024,
                   size_t recent_event_ids = core::LogOptions().recent_event_ids,
                   std::function<void(TreeSize)> before_group = nullptr);

  core::Log& log() { return *log_; }
  // Owned by the log; valid while this object lives.
  store::MemoryLogStore& store() { return *store_; }
  FakeClock& clock() { return clock_; }

  // Appends ClaimEvent(text) under `event_id`, signed by `key`.
  absl::StatusOr<core::AppendResult> AppendClaim(
      absl::string_view event_id, const crypto::Ed25519PrivateKey& key = AdminKey(),
      absl::string_view text = "The bridge opened in 1932.");
  // Registers `key` with `role`, signed by AdminKey().
  absl::StatusOr<core::AppendResult> Register(const crypto::PublicKey& key,
                                              ledger::v1::KeyRegistered::Role role,
                                              absl::string_view event_id);

 private:
  FakeClock clock_;  // Outlives log_.
  store::MemoryLogStore* store_ = nullptr;
  std::unique_ptr<core::Log> log_;
};

}  // namespace ledger::testing

#endif  // TESTS_TESTING_TEST_LOG_H_
