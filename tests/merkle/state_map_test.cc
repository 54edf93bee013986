#include "ledger/merkle/state_map.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/crypto/sha256.h"

namespace ledger::merkle {
namespace {

Hash KeyOf(int i) { return crypto::Sha256(absl::StrCat("key ", i)); }
Hash ValueOf(int i, int version = 0) { return crypto::Sha256(absl::StrCat("value ", i, "/", version)); }

// The map's hash straight from the definition in state_map.h / docs/format.md §13: the keys
// under a prefix, split on the next bit, written independently of StateMap's buckets.
Hash ReferenceHash(const std::map<Hash, Hash>& all, const std::vector<Hash>& keys, size_t depth) {
  if (keys.empty()) return Hash{};
  if (keys.size() == 1) {
    std::string in(1, '\x02');
    in += std::string(AsStringView(keys[0]));
    in += std::string(AsStringView(all.at(keys[0])));
    return crypto::Sha256(in);
  }
  std::vector<Hash> left, right;
  for (const Hash& k : keys) (MapKeyBit(k, depth) ? right : left).push_back(k);
  std::string in(1, '\x03');
  in += std::string(AsStringView(ReferenceHash(all, left, depth + 1)));
  in += std::string(AsStringView(ReferenceHash(all, right, depth + 1)));
  return crypto::Sha256(in);
}

Hash ReferenceRoot(const std::map<Hash, Hash>& all) {
  std::vector<Hash> keys;
  for (const auto& [k, v] : all) keys.push_back(k);
  return ReferenceHash(all, keys, 0);
}

TEST(StateMapTest, EmptyMapHasTheEmptyRootAndProvesAbsence) {
  StateMap map;
  EXPECT_EQ(map.Commit(), Hash{});
  const MapProof proof = map.Prove(KeyOf(1));
  EXPECT_TRUE(proof.siblings.empty());
  EXPECT_FALSE(proof.terminal.has_value());
  auto v = VerifyMapProof(map.Root(), KeyOf(1), proof);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->has_value());
}

TEST(StateMapTest, OneKeyIsItsLeafHashAtTheRoot) {
  StateMap map;
  map.Set(KeyOf(1), ValueOf(1));
  EXPECT_EQ(map.Commit(), MapLeafHash(KeyOf(1), ValueOf(1)));
  const MapProof in = map.Prove(KeyOf(1));
  EXPECT_TRUE(in.siblings.empty());
  auto v = VerifyMapProof(map.Root(), KeyOf(1), in);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, ValueOf(1));
  // Another key ends at the same leaf: absent.
  auto absent = VerifyMapProof(map.Root(), KeyOf(2), map.Prove(KeyOf(2)));
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
}

// Sizes that keep the top levels sparse (keys collapse above the buckets) and that fill them.
class StateMapSizes : public ::testing::TestWithParam<int> {};

TEST_P(StateMapSizes, RootsAndProofsMatchTheDefinition) {
  const int n = GetParam();
  StateMap map;
  std::map<Hash, Hash> reference;
  for (int i = 0; i < n; ++i) {
    map.Set(KeyOf(i), ValueOf(i));
    reference[KeyOf(i)] = ValueOf(i);
  }
  EXPECT_EQ(map.Commit(), ReferenceRoot(reference));
  EXPECT_EQ(map.size(), static_cast<uint64_t>(n));
  // Change some, add some: the incremental commit equals a fresh computation.
  for (int i = 0; i < n; i += 7) {
    map.Set(KeyOf(i), ValueOf(i, 1));
    reference[KeyOf(i)] = ValueOf(i, 1);
  }
  for (int i = n; i < n + n / 3 + 1; ++i) {
    map.Set(KeyOf(i), ValueOf(i));
    reference[KeyOf(i)] = ValueOf(i);
  }
  const Hash root = map.Commit();
  EXPECT_EQ(root, ReferenceRoot(reference));
  for (int i = 0; i < n + n / 3 + 1; i += std::max(1, n / 50)) {
    auto v = VerifyMapProof(root, KeyOf(i), map.Prove(KeyOf(i)));
    ASSERT_TRUE(v.ok()) << i << ": " << v.status();
    ASSERT_TRUE(v->has_value()) << i;
    EXPECT_EQ(**v, reference[KeyOf(i)]);
  }
  for (int i = -1; i > -40; --i) {
    auto v = VerifyMapProof(root, KeyOf(i), map.Prove(KeyOf(i)));
    ASSERT_TRUE(v.ok()) << i << ": " << v.status();
    EXPECT_FALSE(v->has_value()) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, StateMapSizes, ::testing::Values(2, 3, 17, 300, 5000, 200000));

TEST(StateMapTest, TheRootDoesNotDependOnInsertionOrder) {
  std::vector<int> order(3000);
  for (int i = 0; i < 3000; ++i) order[i] = i;
  StateMap a;
  for (int i : order) a.Set(KeyOf(i), ValueOf(i));
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  StateMap b;
  for (size_t k = 0; k < order.size(); ++k) {
    b.Set(KeyOf(order[k]), ValueOf(order[k]));
    if (k % 500 == 0) b.Commit();
  }
  EXPECT_EQ(a.Commit(), b.Commit());
}

TEST(StateMapTest, AlteredProofsFail) {
  StateMap map;
  for (int i = 0; i < 1000; ++i) map.Set(KeyOf(i), ValueOf(i));
  const Hash root = map.Commit();
  const MapProof good = map.Prove(KeyOf(5));
  ASSERT_TRUE(good.terminal.has_value());
  ASSERT_GE(good.siblings.size(), 5u);

  MapProof stale_value = good;  // a stale or invented state
  stale_value.terminal->value = ValueOf(5, 1);
  EXPECT_EQ(VerifyMapProof(root, KeyOf(5), stale_value).status().code(),
            absl::StatusCode::kDataLoss);

  MapProof flipped = good;  // a sibling altered
  flipped.siblings[3][0] ^= 1;
  EXPECT_EQ(VerifyMapProof(root, KeyOf(5), flipped).status().code(),
            absl::StatusCode::kDataLoss);

  MapProof dropped = good;  // claiming the key is absent by hiding its leaf
  dropped.terminal.reset();
  EXPECT_EQ(VerifyMapProof(root, KeyOf(5), dropped).status().code(),
            absl::StatusCode::kDataLoss);

  // Another key's valid proof does not prove this key's value.
  const MapProof other = map.Prove(KeyOf(6));
  auto v = VerifyMapProof(root, KeyOf(5), other);
  if (v.ok()) {
    EXPECT_FALSE(v->has_value());  // (only possible if the paths agreed; they never do here)
  } else {
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  }

  MapProof too_long = good;
  too_long.siblings.resize(kMaxMapProofSiblings + 1);
  EXPECT_EQ(VerifyMapProof(root, KeyOf(5), too_long).status().code(),
            absl::StatusCode::kDataLoss);
}

// The test vectors of docs/format.md §13.2 (computed there by tests/interop/claim_state.py, an
// implementation written from the definition): keys SHA-256("key <i>"), values
// SHA-256("value <i>/0").
TEST(StateMapTest, KnownAnswerRoots) {
  const char* kRoots[] = {
      "e1b436bb0bd1baaf04dd7e2f46615de8c71cdd08cef61d18886aa1220b827b10",
      "84c4ac40091021621f6cdf8519d349f1f0fa8002f6915e3f204402ede9100974",
      "f3522e93601bdedfe690eea199dac4d136178c3f6a5054f36701c009c9622cbf",
      "eeeadfade755ec94f4fbbd2fff1c82eed304842ffd100fd1e1a2cff020d52fe7",
  };
  StateMap map;
  EXPECT_EQ(HexEncode(map.Commit()), std::string(64, '0'));
  for (int i = 0; i < 4; ++i) {
    map.Set(KeyOf(i), ValueOf(i));
    EXPECT_EQ(HexEncode(map.Commit()), kRoots[i]) << i + 1 << " keys";
  }
}

}  // namespace
}  // namespace ledger::merkle
