#include "ledger/core/key_registry.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/base/error.h"

namespace ledger::core {
namespace {

// Part of the on-disk format: DO NOT CHANGE.
constexpr uint8_t kKeyRecordV1 = 1;
constexpr size_t kKeyRecordSize = 1 + 32 + 1 + 1 + 8 + 8;

std::string ShortId(absl::string_view key_id) { return HexEncode(key_id.substr(0, 8)); }

}  // namespace

std::string EncodeKeyRecord(const KeyRecord& r) {
  std::string out;
  out.reserve(kKeyRecordSize);
  out.push_back(static_cast<char>(kKeyRecordV1));
  out.append(reinterpret_cast<const char*>(r.public_key.data()), r.public_key.size());
  out.push_back(static_cast<char>(r.role));
  out.push_back(r.revoked ? 1 : 0);
  PutFixed64BE(&out, r.registered_sequence);
  PutFixed64BE(&out, r.revoked_sequence);
  return out;
}

absl::StatusOr<KeyRecord> DecodeKeyRecord(absl::string_view bytes) {
  if (bytes.size() != kKeyRecordSize || static_cast<uint8_t>(bytes[0]) != kKeyRecordV1) {
    return absl::DataLossError(absl::StrCat("key record of ", bytes.size(),
                                            " bytes is not a version 1 record"));
  }
  KeyRecord r;
  std::memcpy(r.public_key.data(), bytes.data() + 1, 32);
  uint8_t role = static_cast<uint8_t>(bytes[33]);
  uint8_t revoked = static_cast<uint8_t>(bytes[34]);
  if ((role != 1 && role != 2) || revoked > 1) {
    return absl::DataLossError("key record has an unknown role or status");
  }
  r.role = static_cast<KeyRole>(role);
  r.revoked = revoked == 1;
  r.registered_sequence = DecodeFixed64BE(bytes.data() + 35);
  r.revoked_sequence = DecodeFixed64BE(bytes.data() + 43);
  return r;
}

KeyRegistry::KeyRegistry(const std::vector<crypto::PublicKey>& genesis_admin_keys) {
  for (const auto& key : genesis_admin_keys) {
    KeyRecord r;
    r.public_key = key;
    r.role = KeyRole::kAdmin;
    r.registered_sequence = KeyRecord::kGenesis;
    Set(std::string(AsStringView(crypto::SignerKeyId(key))), r);
  }
}

KeyRegistry::KeyRegistry(const KeyRegistry* parent)
    : parent_(parent), active_admins_(parent->active_admins_) {}

void KeyRegistry::MergeIntoParent(KeyRegistry* parent) {
  for (auto& [id, record] : records_) parent->Set(id, record);
  records_.clear();
}

const KeyRecord* KeyRegistry::Find(absl::string_view key_id) const {
  auto it = records_.find(std::string(key_id));
  if (it != records_.end()) return &it->second;
  return parent_ != nullptr ? parent_->Find(key_id) : nullptr;
}

void KeyRegistry::Set(const std::string& key_id, const KeyRecord& record) {
  const KeyRecord* old = Find(key_id);
  if (old != nullptr && old->role == KeyRole::kAdmin && !old->revoked) --active_admins_;
  if (record.role == KeyRole::kAdmin && !record.revoked) ++active_admins_;
  records_[key_id] = record;
}

void KeyRegistry::Put(absl::string_view key_id, const KeyRecord& record) {
  Set(std::string(key_id), record);
}

absl::StatusOr<KeyRecord> KeyRegistry::ActiveKey(absl::string_view key_id) const {
  const KeyRecord* r = Find(key_id);
  if (r == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyNotRegistered, "key_id",
                     absl::StrCat("key ", ShortId(key_id), "… is not registered in this log"));
  }
  if (r->revoked) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyRevoked, "key_id",
                     absl::StrCat("key ", ShortId(key_id), "… was revoked at sequence ",
                                  r->revoked_sequence));
  }
  return *r;
}

absl::Status KeyRegistry::Authorize(const ledger::v1::Event& event,
                                    absl::string_view signer_key_id) const {
  absl::StatusOr<KeyRecord> signer = ActiveKey(signer_key_id);
  if (!signer.ok()) return signer.status();
  using E = ledger::v1::Event;
  const bool key_event =
      event.body_case() == E::kKeyRegistered || event.body_case() == E::kKeyRevoked;
  if (!key_event) return absl::OkStatus();
  if (signer->role != KeyRole::kAdmin) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kAdminKeyRequired, "key_id",
                     absl::StrCat("key ", ShortId(signer_key_id),
                                  "… is a submitter key; only admin keys may ",
                                  event.body_case() == E::kKeyRegistered ? "register" : "revoke",
                                  " keys"));
  }
  if (event.body_case() == E::kKeyRegistered) {
    if (event.key_registered().public_key().size() != crypto::kEd25519PublicKeySize) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                       "event.key_registered.public_key",
                       absl::StrCat("must be 32 bytes, got ",
                                    event.key_registered().public_key().size()));
    }
    crypto::PublicKey key;
    std::memcpy(key.data(), event.key_registered().public_key().data(), key.size());
    std::string id(AsStringView(crypto::SignerKeyId(key)));
    if (const KeyRecord* existing = Find(id); existing != nullptr) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyAlreadyRegistered,
                       "event.key_registered.public_key",
                       absl::StrCat("key ", ShortId(id), "… is already ",
                                    existing->revoked
                                        ? "revoked (a revoked key cannot be registered again)"
                                        : "registered"));
    }
    return absl::OkStatus();
  }
  const std::string& target = event.key_revoked().key_id();
  const KeyRecord* existing = Find(target);
  if (existing == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyNotRegistered,
                     "event.key_revoked.key_id",
                     absl::StrCat("key ", ShortId(target), "… is not registered"));
  }
  if (existing->revoked) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kKeyRevoked,
                     "event.key_revoked.key_id",
                     absl::StrCat("key ", ShortId(target), "… is already revoked"));
  }
  if (existing->role == KeyRole::kAdmin && active_admins_ == 1) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kLastAdminKey,
                     "event.key_revoked.key_id", "refusing to revoke the last active admin key");
  }
  return absl::OkStatus();
}

absl::Status KeyRegistry::CheckCompromiseWindow(const ledger::v1::Event& event,
                                                uint64_t sequence) {
  if (!event.has_key_revoked() || !event.key_revoked().has_compromise()) return absl::OkStatus();
  const uint64_t since = event.key_revoked().compromise().since_sequence();
  if (since > sequence) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidField,
                     "event.key_revoked.compromise.since_sequence",
                     absl::StrCat(since, " is after the revocation itself, which would be entry ",
                                  sequence, ": a key cannot be compromised from the future"));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, KeyRecord>> KeyRegistry::Apply(const ledger::v1::Event& event,
                                                                  uint64_t sequence) {
  std::vector<std::pair<std::string, KeyRecord>> changed;
  if (event.has_key_registered() &&
      event.key_registered().public_key().size() == crypto::kEd25519PublicKeySize) {
    KeyRecord r;
    std::memcpy(r.public_key.data(), event.key_registered().public_key().data(), 32);
    r.role = event.key_registered().role() == ledger::v1::KeyRegistered::ADMIN
                 ? KeyRole::kAdmin
                 : KeyRole::kSubmitter;
    r.registered_sequence = sequence;
    std::string id(AsStringView(crypto::SignerKeyId(r.public_key)));
    Set(id, r);
    changed.emplace_back(id, r);
  } else if (event.has_key_revoked()) {
    const std::string& id = event.key_revoked().key_id();
    if (const KeyRecord* existing = Find(id); existing != nullptr) {
      KeyRecord r = *existing;
      r.revoked = true;
      r.revoked_sequence = sequence;
      Set(id, r);
      changed.emplace_back(id, r);
    }
  }
  return changed;
}

}  // namespace ledger::core
