// KeyRegistry: which keys may sign which events, derived from the admin keys named at
// initialisation and the key events of the log. The one implementation of the key rules:
// the sequencer, the auditor and (later) followers all apply events through it.
#ifndef LEDGER_CORE_KEY_REGISTRY_H_
#define LEDGER_CORE_KEY_REGISTRY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"
#include "ledger/v1/claim.pb.h"

namespace ledger::core {

enum class KeyRole : uint8_t { kSubmitter = 1, kAdmin = 2 };

// One key's state. Serialised into the store's key records (docs/format.md "Key records").
struct KeyRecord {
  crypto::PublicKey public_key{};
  KeyRole role = KeyRole::kSubmitter;
  bool revoked = false;
  // Sequence number of the registering event; kGenesis for admin keys named at init.
  uint64_t registered_sequence = 0;
  // Sequence number of the revoking event when revoked.
  uint64_t revoked_sequence = 0;

  static constexpr uint64_t kGenesis = ~uint64_t{0};
  bool operator==(const KeyRecord& o) const {
    return public_key == o.public_key && role == o.role && revoked == o.revoked &&
           registered_sequence == o.registered_sequence && revoked_sequence == o.revoked_sequence;
  }
};

std::string EncodeKeyRecord(const KeyRecord& record);
// DataLoss when malformed.
absl::StatusOr<KeyRecord> DecodeKeyRecord(absl::string_view bytes);

// Thread-compatible: callers serialise mutations (the sequencer holds it under its lock).
//
// An overlay registry (constructed from a parent) reads through to its parent and keeps its
// own changes, so the sequencer can stage the key changes of a group commit and drop them if
// the commit fails. The parent must outlive the overlay and not change while it is in use.
class KeyRegistry {
 public:
  // Starts with the genesis admin keys.
  explicit KeyRegistry(const std::vector<crypto::PublicKey>& genesis_admin_keys);
  // An empty overlay over `parent`.
  explicit KeyRegistry(const KeyRegistry* parent);

  // Moves this overlay's changes into its parent. Precondition: this is an overlay.
  void MergeIntoParent(KeyRegistry* parent);

  // The record of `key_id` (this overlay's change, else the parent's), or nullptr.
  const KeyRecord* Find(absl::string_view key_id) const;

  // Loads a stored record (replacing genesis state for the same key id).
  void Put(absl::string_view key_id, const KeyRecord& record);

  // The key that signs with `key_id`, if active. FAILED_PRECONDITION when the key is unknown
  // or revoked (the message says which, and when it was revoked).
  absl::StatusOr<KeyRecord> ActiveKey(absl::string_view key_id) const;

  // Checks that the active key `signer_key_id` may sign `event` at this point of the log.
  // Errors: FAILED_PRECONDITION unknown/revoked signer, or a key event that makes no sense
  // (registering a known key, revoking an unknown or revoked key, revoking the last active
  // admin key); PERMISSION_DENIED a submitter key signing a key event.
  absl::Status Authorize(const ledger::v1::Event& event, absl::string_view signer_key_id) const;

  // A revocation's compromise window (KeyRevoked.compromise) must not start after the
  // revocation, which is to be appended at `sequence`: INVALID_ARGUMENT, reason INVALID_FIELD,
  // field event.key_revoked.compromise.since_sequence, otherwise. OK for every other event.
  static absl::Status CheckCompromiseWindow(const ledger::v1::Event& event,
                                            uint64_t sequence);

  // Applies an authorised event appended at `sequence`. Returns the records it changed
  // (key id, new record) so the caller can store them. Claim events change nothing.
  std::vector<std::pair<std::string, KeyRecord>> Apply(const ledger::v1::Event& event,
                                                       uint64_t sequence);

  // The records held here (for an overlay: only its changes).
  const std::map<std::string, KeyRecord>& records() const { return records_; }

 private:
  void Set(const std::string& key_id, const KeyRecord& record);

  const KeyRegistry* parent_ = nullptr;
  std::map<std::string, KeyRecord> records_;  // key id (32 bytes) -> record
  int active_admins_ = 0;
};

}  // namespace ledger::core

#endif  // LEDGER_CORE_KEY_REGISTRY_H_
