// The key rules of ledger/core/key_registry.h: who may sign what, key registration and
// revocation, the last-admin rule, overlays, and the stored record format.
#include "ledger/core/key_registry.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/crypto/ed25519.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_log.h"

namespace ledger::core {
namespace {

using ::ledger::testing::AdminKey;
using ::ledger::testing::ClaimEvent;
using ::ledger::testing::IsOk;
using ::ledger::testing::KeyIdOf;
using ::ledger::testing::KeyRegisteredEvent;
using ::ledger::testing::KeyRevokedEvent;
using ::ledger::testing::SecondAdminKey;
using ::ledger::testing::StatusIs;
using ::ledger::testing::StrangerKey;
using ::ledger::testing::SubmitterKey;
using ::ledger::v1::KeyRegistered;
using ::testing::HasSubstr;

const crypto::PublicKey kAdmin = AdminKey().public_key();
const crypto::PublicKey kAdmin2 = SecondAdminKey().public_key();
const crypto::PublicKey kSubmitter = SubmitterKey().public_key();
const crypto::PublicKey kStranger = StrangerKey().public_key();

// A registry with the genesis admin and SubmitterKey() registered at sequence 0.
KeyRegistry RegistryWithSubmitter() {
  KeyRegistry registry({kAdmin});
  registry.Apply(KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER), 0);
  return registry;
}

TEST(KeyRegistryTest, GenesisAdminIsActive) {
  KeyRegistry registry({kAdmin});
  absl::StatusOr<KeyRecord> record = registry.ActiveKey(KeyIdOf(kAdmin));
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->public_key, kAdmin);
  EXPECT_EQ(record->role, KeyRole::kAdmin);
  EXPECT_FALSE(record->revoked);
  EXPECT_EQ(record->registered_sequence, KeyRecord::kGenesis);
}

TEST(KeyRegistryTest, GenesisAdminMaySignClaims) {
  KeyRegistry registry({kAdmin});
  EXPECT_THAT(registry.Authorize(ClaimEvent(), KeyIdOf(kAdmin)), IsOk());
}

TEST(KeyRegistryTest, AdminRegistersSubmitter) {
  KeyRegistry registry({kAdmin});
  const ledger::v1::Event event = KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER);
  ASSERT_THAT(registry.Authorize(event, KeyIdOf(kAdmin)), IsOk());
  auto changed = registry.Apply(event, 5);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].first, KeyIdOf(kSubmitter));
  KeyRecord want;
  want.public_key = kSubmitter;
  want.role = KeyRole::kSubmitter;
  want.registered_sequence = 5;
  EXPECT_EQ(changed[0].second, want);
  ASSERT_NE(registry.Find(KeyIdOf(kSubmitter)), nullptr);
  EXPECT_EQ(*registry.Find(KeyIdOf(kSubmitter)), want);
}

TEST(KeyRegistryTest, RegisteredSubmitterMaySignClaims) {
  KeyRegistry registry = RegistryWithSubmitter();
  EXPECT_THAT(registry.Authorize(ClaimEvent(), KeyIdOf(kSubmitter)), IsOk());
}

TEST(KeyRegistryTest, ClaimEventsChangeNoRecords) {
  KeyRegistry registry({kAdmin});
  EXPECT_TRUE(registry.Apply(ClaimEvent(), 3).empty());
  EXPECT_EQ(registry.records().size(), 1u);
}

TEST(KeyRegistryTest, SubmitterRegisteringAKeyIsPermissionDenied) {
  KeyRegistry registry = RegistryWithSubmitter();
  EXPECT_THAT(registry.Authorize(KeyRegisteredEvent(kStranger, KeyRegistered::SUBMITTER),
                                 KeyIdOf(kSubmitter)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("submitter key")));
  EXPECT_EQ(registry.Find(KeyIdOf(kStranger)), nullptr);
}

TEST(KeyRegistryTest, SubmitterRevokingAKeyIsPermissionDenied) {
  KeyRegistry registry = RegistryWithSubmitter();
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kSubmitter)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(KeyRegistryTest, UnknownSignerIsFailedPrecondition) {
  KeyRegistry registry({kAdmin});
  EXPECT_THAT(registry.Authorize(ClaimEvent(), KeyIdOf(kStranger)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not registered")));
  EXPECT_THAT(registry.ActiveKey(KeyIdOf(kStranger)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(KeyRegistryTest, RevokedSignerIsFailedPreconditionNamingTheSequence) {
  KeyRegistry registry = RegistryWithSubmitter();
  const ledger::v1::Event revoke = KeyRevokedEvent(kSubmitter);
  ASSERT_THAT(registry.Authorize(revoke, KeyIdOf(kAdmin)), IsOk());
  registry.Apply(revoke, 7);
  EXPECT_THAT(registry.Authorize(ClaimEvent(), KeyIdOf(kSubmitter)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked at sequence 7")));
  const KeyRecord* record = registry.Find(KeyIdOf(kSubmitter));
  ASSERT_NE(record, nullptr);
  EXPECT_TRUE(record->revoked);
  EXPECT_EQ(record->revoked_sequence, 7u);
  EXPECT_EQ(record->registered_sequence, 0u);
}

TEST(KeyRegistryTest, RegisteringAnActiveKeyAgainIsRefused) {
  KeyRegistry registry = RegistryWithSubmitter();
  EXPECT_THAT(
      registry.Authorize(KeyRegisteredEvent(kSubmitter, KeyRegistered::ADMIN), KeyIdOf(kAdmin)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already registered")));
  EXPECT_EQ(registry.Find(KeyIdOf(kSubmitter))->role, KeyRole::kSubmitter);
}

TEST(KeyRegistryTest, RegisteringAGenesisAdminAgainIsRefused) {
  KeyRegistry registry({kAdmin});
  EXPECT_THAT(registry.Authorize(KeyRegisteredEvent(kAdmin, KeyRegistered::ADMIN), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already registered")));
}

TEST(KeyRegistryTest, RegisteringARevokedKeyIsRefused) {
  KeyRegistry registry = RegistryWithSubmitter();
  registry.Apply(KeyRevokedEvent(kSubmitter), 1);
  EXPECT_THAT(
      registry.Authorize(KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER), KeyIdOf(kAdmin)),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked")));
  EXPECT_TRUE(registry.Find(KeyIdOf(kSubmitter))->revoked);
}

TEST(KeyRegistryTest, RevokingAnUnknownKeyIsRefused) {
  KeyRegistry registry({kAdmin});
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kStranger), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not registered")));
}

TEST(KeyRegistryTest, RevokingARevokedKeyIsRefused) {
  KeyRegistry registry = RegistryWithSubmitter();
  registry.Apply(KeyRevokedEvent(kSubmitter), 1);
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kSubmitter), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already revoked")));
  EXPECT_EQ(registry.Find(KeyIdOf(kSubmitter))->revoked_sequence, 1u);
}

TEST(KeyRegistryTest, LastActiveAdminCannotBeRevoked) {
  KeyRegistry registry = RegistryWithSubmitter();
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

TEST(KeyRegistryTest, AdminCanBeRevokedWhenAnotherAdminIsActive) {
  KeyRegistry registry({kAdmin});
  const ledger::v1::Event add = KeyRegisteredEvent(kAdmin2, KeyRegistered::ADMIN);
  ASSERT_THAT(registry.Authorize(add, KeyIdOf(kAdmin)), IsOk());
  registry.Apply(add, 0);
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin2)), IsOk());
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)), IsOk());
  registry.Apply(KeyRevokedEvent(kAdmin), 1);
  // Now kAdmin2 is the last one.
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin2), KeyIdOf(kAdmin2)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

TEST(KeyRegistryTest, TwoGenesisAdminsAllowRevokingOne) {
  KeyRegistry registry({kAdmin, kAdmin2});
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin2), KeyIdOf(kAdmin)), IsOk());
}

TEST(KeyRegistryTest, RevokedAdminCannotRegisterKeys) {
  KeyRegistry registry({kAdmin, kAdmin2});
  registry.Apply(KeyRevokedEvent(kAdmin2), 0);
  EXPECT_THAT(registry.Authorize(KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER),
                                 KeyIdOf(kAdmin2)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked at sequence 0")));
}

TEST(KeyRegistryTest, SubmitterRevocationDoesNotCountAgainstAdmins) {
  KeyRegistry registry = RegistryWithSubmitter();
  registry.Apply(KeyRevokedEvent(kSubmitter), 1);
  EXPECT_THAT(registry.ActiveKey(KeyIdOf(kAdmin)), IsOk());
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

TEST(KeyRegistryTest, PutReplacesGenesisState) {
  KeyRegistry registry({kAdmin, kAdmin2});
  KeyRecord revoked;
  revoked.public_key = kAdmin2;
  revoked.role = KeyRole::kAdmin;
  revoked.registered_sequence = KeyRecord::kGenesis;
  revoked.revoked = true;
  revoked.revoked_sequence = 4;
  registry.Put(KeyIdOf(kAdmin2), revoked);
  EXPECT_THAT(registry.ActiveKey(KeyIdOf(kAdmin2)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sequence 4")));
  // kAdmin is now the only active admin.
  EXPECT_THAT(registry.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

// ---------------------------------------------------------------------------------------------
// Overlays.

TEST(KeyRegistryOverlayTest, ChangesAreInvisibleToParentUntilMerged) {
  KeyRegistry parent({kAdmin});
  KeyRegistry overlay(&parent);
  overlay.Apply(KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER), 0);
  EXPECT_NE(overlay.Find(KeyIdOf(kSubmitter)), nullptr);
  EXPECT_EQ(parent.Find(KeyIdOf(kSubmitter)), nullptr);
  EXPECT_THAT(parent.ActiveKey(KeyIdOf(kSubmitter)),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  overlay.MergeIntoParent(&parent);
  EXPECT_TRUE(overlay.records().empty());
  ASSERT_NE(parent.Find(KeyIdOf(kSubmitter)), nullptr);
  EXPECT_EQ(parent.Find(KeyIdOf(kSubmitter))->registered_sequence, 0u);
}

TEST(KeyRegistryOverlayTest, ReadsThroughToParent) {
  KeyRegistry parent({kAdmin});
  KeyRegistry overlay(&parent);
  EXPECT_THAT(overlay.ActiveKey(KeyIdOf(kAdmin)), IsOk());
  EXPECT_TRUE(overlay.records().empty());
}

TEST(KeyRegistryOverlayTest, RevocationInOverlayLeavesParentActive) {
  KeyRegistry parent = RegistryWithSubmitter();
  KeyRegistry overlay(&parent);
  overlay.Apply(KeyRevokedEvent(kSubmitter), 1);
  EXPECT_THAT(overlay.ActiveKey(KeyIdOf(kSubmitter)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(parent.ActiveKey(KeyIdOf(kSubmitter)), IsOk());
}

TEST(KeyRegistryOverlayTest, DroppedOverlayLeavesParentUnchanged) {
  KeyRegistry parent({kAdmin});
  {
    KeyRegistry overlay(&parent);
    overlay.Apply(KeyRegisteredEvent(kAdmin2, KeyRegistered::ADMIN), 0);
  }
  EXPECT_EQ(parent.Find(KeyIdOf(kAdmin2)), nullptr);
  EXPECT_THAT(parent.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

TEST(KeyRegistryOverlayTest, AdminCountFollowsOverlayChanges) {
  KeyRegistry parent({kAdmin, kAdmin2});
  KeyRegistry overlay(&parent);
  overlay.Apply(KeyRevokedEvent(kAdmin2), 0);
  // In the overlay kAdmin is the last admin; in the parent it is not.
  EXPECT_THAT(overlay.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
  EXPECT_THAT(parent.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)), IsOk());
  overlay.MergeIntoParent(&parent);
  EXPECT_THAT(parent.Authorize(KeyRevokedEvent(kAdmin), KeyIdOf(kAdmin)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last active admin")));
}

TEST(KeyRegistryOverlayTest, OverlayOfOverlayMergesStepByStep) {
  KeyRegistry parent({kAdmin});
  KeyRegistry group(&parent);
  KeyRegistry unit(&group);
  unit.Apply(KeyRegisteredEvent(kSubmitter, KeyRegistered::SUBMITTER), 0);
  unit.MergeIntoParent(&group);
  EXPECT_NE(group.Find(KeyIdOf(kSubmitter)), nullptr);
  EXPECT_EQ(parent.Find(KeyIdOf(kSubmitter)), nullptr);
  group.MergeIntoParent(&parent);
  EXPECT_NE(parent.Find(KeyIdOf(kSubmitter)), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Stored records (docs/format.md §9).

KeyRecord SampleRecord() {
  KeyRecord r;
  r.public_key = kSubmitter;
  r.role = KeyRole::kSubmitter;
  r.revoked = true;
  r.registered_sequence = 3;
  r.revoked_sequence = 0x0102030405060708;
  return r;
}

TEST(KeyRecordTest, EncodeDecodeRoundTrip) {
  for (KeyRecord r : {SampleRecord(), KeyRecord{}}) {
    absl::StatusOr<KeyRecord> decoded = DecodeKeyRecord(EncodeKeyRecord(r));
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, r);
  }
  KeyRecord genesis;
  genesis.public_key = kAdmin;
  genesis.role = KeyRole::kAdmin;
  genesis.registered_sequence = KeyRecord::kGenesis;
  absl::StatusOr<KeyRecord> decoded = DecodeKeyRecord(EncodeKeyRecord(genesis));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, genesis);
}

TEST(KeyRecordTest, EncodingMatchesFormatSpec) {
  // 0x01 || public_key (32) || role (1) || revoked (1) || u64be(registered) || u64be(revoked)
  std::string want = "\x01";
  want += std::string(crypto::AsStringView(kSubmitter));
  want += std::string("\x01\x01", 2);
  want += std::string("\x00\x00\x00\x00\x00\x00\x00\x03", 8);
  want += std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  EXPECT_EQ(EncodeKeyRecord(SampleRecord()), want);
}

TEST(KeyRecordTest, WrongLengthIsDataLoss) {
  const std::string good = EncodeKeyRecord(SampleRecord());
  EXPECT_THAT(DecodeKeyRecord(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeKeyRecord(good.substr(0, good.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeKeyRecord(good + "x"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyRecordTest, OtherVersionIsDataLoss) {
  std::string bytes = EncodeKeyRecord(SampleRecord());
  bytes[0] = 2;
  EXPECT_THAT(DecodeKeyRecord(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(KeyRecordTest, UnknownRoleIsDataLoss) {
  for (char role : {'\x00', '\x03', '\xff'}) {
    std::string bytes = EncodeKeyRecord(SampleRecord());
    bytes[33] = role;
    EXPECT_THAT(DecodeKeyRecord(bytes), StatusIs(absl::StatusCode::kDataLoss)) << int{role};
  }
}

TEST(KeyRecordTest, RevokedFlagOtherThanZeroOrOneIsDataLoss) {
  std::string bytes = EncodeKeyRecord(SampleRecord());
  bytes[34] = 2;
  EXPECT_THAT(DecodeKeyRecord(bytes), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ledger::core
