// Known answers: the RFC 6962 hashing rules and the well-known 8-leaf tree used by Certificate
// Transparency and transparency-dev/merkle (leaves, roots for sizes 1..8, and proofs).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/crypto/sha256.h"
#include "ledger/merkle/compact_range.h"
#include "ledger/merkle/hasher.h"
#include "ledger/merkle/proof.h"
#include "ledger/merkle/testing/reference.h"
#include "ledger/merkle/verify.h"

namespace ledger::merkle {
namespace {

using ::ledger::merkle::testing::ReferenceRoot;

Hash H(absl::string_view hex) {
  std::string bytes;
  if (!HexDecode(hex, &bytes) || bytes.size() != 32) {
    ADD_FAILURE() << "bad hash literal " << hex;
    return Hash{};
  }
  return HashFromBytes(bytes);
}

std::string Bytes(absl::string_view hex) {
  std::string bytes;
  EXPECT_TRUE(HexDecode(hex, &bytes)) << hex;
  return bytes;
}

// The leaves of RFC 6962-era test suites (certificate-transparency, transparency-dev/merkle).
std::vector<std::string> KnownLeaves() {
  return {Bytes(""),     Bytes("00"),       Bytes("10"),
          Bytes("2021"), Bytes("3031"),     Bytes("40414243"),
          Bytes("5051525354555657"),        Bytes("606162636465666768696a6b6c6d6e6f")};
}

// KnownRoots()[i] is the root of the tree of the first i + 1 known leaves.
std::vector<Hash> KnownRoots() {
  return {H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
          H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
          H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
          H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
          H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
          H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
          H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
          H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};
}

// A frontier over the known leaves, with every emitted node kept.
struct KnownTree {
  KnownTree() {
    for (const std::string& leaf : KnownLeaves()) {
      leaf_hashes.push_back(HashLeaf(leaf));
      std::vector<std::pair<NodeId, Hash>> new_nodes;
      frontier.Append(leaf_hashes.back(), &new_nodes);
      nodes.insert(new_nodes.begin(), new_nodes.end());
    }
  }
  NodeReader Reader() const {
    return [this](NodeId id) -> absl::StatusOr<Hash> {
      auto it = nodes.find(id);
      if (it == nodes.end()) return absl::NotFoundError("no such node");
      return it->second;
    };
  }
  Frontier frontier;
  std::vector<Hash> leaf_hashes;
  std::map<NodeId, Hash> nodes;
};

TEST(HasherTest, EmptyRootIsSha256OfTheEmptyString) {
  EXPECT_EQ(EmptyRoot(), H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST(HasherTest, LeafHashPrefixesZeroByte) {
  EXPECT_EQ(HashLeaf(""), H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
  EXPECT_EQ(HashLeaf("abc"), crypto::Sha256(std::string("\x00" "abc", 4)));
}

TEST(HasherTest, ChildrenHashPrefixesOneByte) {
  const Hash left = HashLeaf("");
  const Hash right = HashLeaf(Bytes("00"));
  EXPECT_EQ(HashChildren(left, right),
            crypto::Sha256(std::string("\x01") + std::string(AsStringView(left)) +
                           std::string(AsStringView(right))));
  EXPECT_EQ(HashChildren(left, right), KnownRoots()[1]);
  EXPECT_NE(HashChildren(left, right), HashChildren(right, left));
}

TEST(HasherTest, PrefixesAreTheRfc6962Ones) {
  EXPECT_EQ(kLeafHashPrefix, 0x00);
  EXPECT_EQ(kNodeHashPrefix, 0x01);
}

TEST(KnownAnswerTest, FrontierRootsMatchKnownRoots) {
  Frontier frontier;
  EXPECT_EQ(frontier.Root(), EmptyRoot());
  const std::vector<Hash> roots = KnownRoots();
  const std::vector<std::string> leaves = KnownLeaves();
  for (size_t i = 0; i < leaves.size(); ++i) {
    frontier.Append(HashLeaf(leaves[i]), nullptr);
    EXPECT_EQ(frontier.Root(), roots[i]) << "size " << i + 1;
  }
}

TEST(KnownAnswerTest, RootAtAndReferenceMatchKnownRoots) {
  KnownTree tree;
  const std::vector<Hash> roots = KnownRoots();
  EXPECT_EQ(*RootAt(0, tree.Reader()), EmptyRoot());
  for (size_t size = 1; size <= roots.size(); ++size) {
    absl::StatusOr<Hash> root = RootAt(size, tree.Reader());
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(*root, roots[size - 1]) << "size " << size;
    EXPECT_EQ(ReferenceRoot(absl::MakeConstSpan(tree.leaf_hashes).subspan(0, size)),
              roots[size - 1])
        << "size " << size;
  }
}

struct KnownInclusion {
  uint64_t leaf_index;
  uint64_t size;
  std::vector<const char*> proof;
};

TEST(KnownAnswerTest, InclusionProofsMatchKnownProofs) {
  const std::vector<KnownInclusion> cases = {
      {0, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5, 8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1, 5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {0, 1, {}},
  };
  KnownTree tree;
  const std::vector<Hash> roots = KnownRoots();
  for (const KnownInclusion& c : cases) {
    std::vector<Hash> want;
    for (const char* hex : c.proof) want.push_back(H(hex));
    absl::StatusOr<std::vector<Hash>> proof = InclusionProof(c.leaf_index, c.size, tree.Reader());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, want) << "leaf " << c.leaf_index << " size " << c.size;
    EXPECT_TRUE(VerifyInclusion(c.leaf_index, c.size, tree.leaf_hashes[c.leaf_index], want,
                                roots[c.size - 1])
                    .ok());
  }
}

struct KnownConsistency {
  uint64_t size1;
  uint64_t size2;
  std::vector<const char*> proof;
};

TEST(KnownAnswerTest, ConsistencyProofsMatchKnownProofs) {
  const std::vector<KnownConsistency> cases = {
      {1, 1, {}},
      {1, 8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6, 8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6, 7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  KnownTree tree;
  const std::vector<Hash> roots = KnownRoots();
  for (const KnownConsistency& c : cases) {
    std::vector<Hash> want;
    for (const char* hex : c.proof) want.push_back(H(hex));
    absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(c.size1, c.size2, tree.Reader());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, want) << c.size1 << " -> " << c.size2;
    EXPECT_TRUE(
        VerifyConsistency(c.size1, c.size2, roots[c.size1 - 1], roots[c.size2 - 1], want).ok())
        << c.size1 << " -> " << c.size2;
  }
}

}  // namespace
}  // namespace ledger::merkle
