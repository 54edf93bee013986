// Ed25519: RFC 8032 §7.1 known answers, rejection of any altered input, determinism, signer
// key ids and key files.
#include "ledger/crypto/ed25519.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/crypto/sha256.h"
#include "tests/crypto/test_hex.h"
#include "tests/testing/shared_data.h"

namespace ledger::crypto {
namespace {

using ::ledger::crypto::testing::Unhex;
using ::ledger::crypto::testing::UnhexKey;

struct Rfc8032Vector {
  const char* name;
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1: TEST 1, 2, 3, 1024 and SHA(abc).
const std::vector<Rfc8032Vector>& Rfc8032Vectors() {
  static const auto* vectors = new std::vector<Rfc8032Vector>{
      {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
      {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
       "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
       "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
       "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
       "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
       "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
       "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
       "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
       "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
       "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
       "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
       "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
       "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
       "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
       "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
       "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
       "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
       "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
       "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
       "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
       "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
       "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
       "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
       "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
       "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
       "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
       "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
       "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
       "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
       "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
       "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
       "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
       "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
       "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
       "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
       "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
      {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
       "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
       "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
       "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
  };
  return *vectors;
}

TEST(Rfc8032Test, MessageLengthsAreTheRfcOnes) {
  const std::vector<size_t> lengths = {0, 1, 2, 1023, 64};
  ASSERT_EQ(Rfc8032Vectors().size(), lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    EXPECT_EQ(Unhex(Rfc8032Vectors()[i].message).size(), lengths[i]) << Rfc8032Vectors()[i].name;
  }
  // TEST SHA(abc) signs SHA-512("abc").
}

TEST(Rfc8032Test, SeedDerivesThePublicKey) {
  for (const Rfc8032Vector& v : Rfc8032Vectors()) {
    absl::StatusOr<Ed25519PrivateKey> key = Ed25519PrivateKey::FromSeed(Unhex(v.seed));
    ASSERT_TRUE(key.ok()) << v.name << ": " << key.status();
    EXPECT_EQ(HexEncode(AsStringView(key->public_key())), v.public_key) << v.name;
    EXPECT_EQ(HexEncode(key->seed()), v.seed) << v.name;
  }
}

TEST(Rfc8032Test, SignatureIsTheRfcOne) {
  for (const Rfc8032Vector& v : Rfc8032Vectors()) {
    absl::StatusOr<Ed25519PrivateKey> key = Ed25519PrivateKey::FromSeed(Unhex(v.seed));
    ASSERT_TRUE(key.ok()) << v.name << ": " << key.status();
    EXPECT_EQ(HexEncode(key->Sign(Unhex(v.message))), v.signature) << v.name;
  }
}

TEST(Rfc8032Test, VerifyAcceptsTheRfcSignature) {
  for (const Rfc8032Vector& v : Rfc8032Vectors()) {
    EXPECT_TRUE(Ed25519Verify(UnhexKey(v.public_key), Unhex(v.message), Unhex(v.signature)))
        << v.name;
  }
}

TEST(Rfc8032Test, AnyFlippedBitOfMessageSignatureOrKeyIsRejected) {
  for (const Rfc8032Vector& v : Rfc8032Vectors()) {
    const PublicKey key = UnhexKey(v.public_key);
    const std::string message = Unhex(v.message);
    const std::string signature = Unhex(v.signature);
    for (size_t bit = 0; bit < signature.size() * 8; ++bit) {
      std::string bad = signature;
      bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      EXPECT_FALSE(Ed25519Verify(key, message, bad)) << v.name << " signature bit " << bit;
    }
    for (size_t bit = 0; bit < key.size() * 8; ++bit) {
      PublicKey bad = key;
      bad[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      EXPECT_FALSE(Ed25519Verify(bad, message, signature)) << v.name << " key bit " << bit;
    }
    // Every bit of short messages; the first and last bytes of long ones.
    for (size_t bit = 0; bit < message.size() * 8; ++bit) {
      if (message.size() > 4 && bit >= 16 && bit < message.size() * 8 - 16) continue;
      std::string bad = message;
      bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
      EXPECT_FALSE(Ed25519Verify(key, bad, signature)) << v.name << " message bit " << bit;
    }
    EXPECT_FALSE(Ed25519Verify(key, message + std::string(1, '\0'), signature)) << v.name;
  }
}

TEST(Rfc8032Test, SignatureOfTheWrongLengthIsRejected) {
  const Rfc8032Vector& v = Rfc8032Vectors()[1];
  const PublicKey key = UnhexKey(v.public_key);
  const std::string message = Unhex(v.message);
  const std::string signature = Unhex(v.signature);
  EXPECT_FALSE(Ed25519Verify(key, message, signature.substr(0, 63)));
  EXPECT_FALSE(Ed25519Verify(key, message, signature + std::string(1, '\0')));
  EXPECT_FALSE(Ed25519Verify(key, message, signature + signature));
  EXPECT_FALSE(Ed25519Verify(key, message, ""));
  EXPECT_TRUE(Ed25519Verify(key, message, signature));
}

TEST(Ed25519PrivateKeyTest, SeedOfTheWrongLengthIsInvalidArgument) {
  EXPECT_EQ(Ed25519PrivateKey::FromSeed(std::string(31, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PrivateKey::FromSeed(std::string(33, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PrivateKey::FromSeed("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519PrivateKeyTest, SignWithAFixedSeedIsDeterministic) {
  const std::string seed(32, '\x42');
  absl::StatusOr<Ed25519PrivateKey> a = Ed25519PrivateKey::FromSeed(seed);
  absl::StatusOr<Ed25519PrivateKey> b = Ed25519PrivateKey::FromSeed(seed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
  const std::string signature = a->Sign("the same message");
  EXPECT_EQ(signature.size(), kEd25519SignatureSize);
  EXPECT_EQ(signature, a->Sign("the same message"));
  EXPECT_EQ(signature, b->Sign("the same message"));
  EXPECT_NE(signature, a->Sign("another message"));
  EXPECT_TRUE(Ed25519Verify(a->public_key(), "the same message", signature));
}

TEST(Ed25519PrivateKeyTest, GeneratedKeysAreDistinctAndSign) {
  Ed25519PrivateKey a = Ed25519PrivateKey::Generate();
  Ed25519PrivateKey b = Ed25519PrivateKey::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_TRUE(Ed25519Verify(a.public_key(), "m", a.Sign("m")));
  EXPECT_FALSE(Ed25519Verify(b.public_key(), "m", a.Sign("m")));
}

// The key id is part of the signed format (docs/format.md "Key ids"): pin it.
TEST(SignerKeyIdTest, KnownAnswerForRfc8032Test1Key) {
  const PublicKey key = UnhexKey(Rfc8032Vectors()[0].public_key);
  EXPECT_EQ(HexEncode(SignerKeyId(key)),
            "b4cb7e1b7b9397e21a33893e00d020de877cb821f21185eee9af394787fcd0ac");
  EXPECT_EQ(SignerKeyId(key),
            Sha256(absl::StrCat(absl::string_view("factledger/v1/key-id\x00\x01", 22),
                                AsStringView(key))));
}

TEST(SignerKeyIdTest, DiffersBetweenKeys) {
  EXPECT_NE(SignerKeyId(UnhexKey(Rfc8032Vectors()[0].public_key)),
            SignerKeyId(UnhexKey(Rfc8032Vectors()[1].public_key)));
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = (tmp != nullptr && *tmp != '\0') ? std::string(tmp) : ::testing::TempDir();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = absl::StrCat(dir_, "/", info->name(), "_");
  }
  std::string Path(absl::string_view name) const { return absl::StrCat(prefix_, name); }
  void WriteText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << path;
  }
  static Ed25519PrivateKey Test1Key() {
    return *Ed25519PrivateKey::FromSeed(Unhex(Rfc8032Vectors()[0].seed));
  }

  std::string dir_;
  std::string prefix_;
};

TEST_F(KeyFileTest, PrivateKeyRoundTripsWithMode0600) {
  const Ed25519PrivateKey key = Test1Key();
  const std::string path = Path("private.key");
  ASSERT_TRUE(WritePrivateKeyFile(path, key).ok());
  absl::StatusOr<Ed25519PrivateKey> read = ReadPrivateKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->seed(), key.seed());
  EXPECT_EQ(read->public_key(), key.public_key());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(*::ledger::testing::ReadFileToString(path),
            absl::StrCat("factledger-ed25519-private-key ", Rfc8032Vectors()[0].seed, "\n"));
}

TEST_F(KeyFileTest, PublicKeyRoundTrips) {
  const PublicKey key = Test1Key().public_key();
  const std::string path = Path("public.key");
  ASSERT_TRUE(WritePublicKeyFile(path, key).ok());
  absl::StatusOr<PublicKey> read = ReadPublicKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, key);
  EXPECT_EQ(FormatPublicKey(key),
            absl::StrCat("factledger-ed25519-public-key ", Rfc8032Vectors()[0].public_key));
}

TEST_F(KeyFileTest, RefusesToOverwriteAnExistingFile) {
  const std::string path = Path("private.key");
  ASSERT_TRUE(WritePrivateKeyFile(path, Test1Key()).ok());
  const Ed25519PrivateKey other = *Ed25519PrivateKey::FromSeed(Unhex(Rfc8032Vectors()[1].seed));
  EXPECT_EQ(WritePrivateKeyFile(path, other).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(WritePublicKeyFile(path, other.public_key()).code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<Ed25519PrivateKey> read = ReadPrivateKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->public_key(), Test1Key().public_key());  // Unchanged.
}

TEST_F(KeyFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadPrivateKeyFile(Path("absent")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadPublicKeyFile(Path("absent")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KeyFileTest, MalformedPrivateKeyFilesAreInvalidArgument) {
  const std::string seed_hex = Rfc8032Vectors()[0].seed;
  const std::vector<std::string> malformed = {
      "",
      seed_hex,  // Bare hex is accepted for public keys only.
      absl::StrCat("factledger-ed25519-public-key ", seed_hex),
      absl::StrCat("factledger-ed25519-private-key ", seed_hex.substr(0, 62)),
      absl::StrCat("factledger-ed25519-private-key ", seed_hex, "00"),
      absl::StrCat("factledger-ed25519-private-key ", seed_hex.substr(0, 63), "g"),
      std::string(5000, 'a'),
  };
  for (size_t i = 0; i < malformed.size(); ++i) {
    const std::string path = Path(absl::StrCat("malformed", i));
    WriteText(path, malformed[i]);
    EXPECT_EQ(ReadPrivateKeyFile(path).status().code(), absl::StatusCode::kInvalidArgument)
        << "case " << i;
  }
}

TEST_F(KeyFileTest, MalformedPublicKeysAreInvalidArgument) {
  const std::string key_hex = Rfc8032Vectors()[0].public_key;
  const std::vector<std::string> malformed = {
      "", key_hex.substr(0, 62), key_hex + "00", "zz" + key_hex.substr(2),
      absl::StrCat("factledger-ed25519-private-key ", key_hex),
  };
  for (size_t i = 0; i < malformed.size(); ++i) {
    EXPECT_EQ(ParsePublicKey(malformed[i]).status().code(), absl::StatusCode::kInvalidArgument)
        << "case " << i;
    const std::string path = Path(absl::StrCat("malformed", i));
    WriteText(path, malformed[i]);
    absl::Status s = ReadPublicKeyFile(path).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_NE(s.message().find(path), absl::string_view::npos) << s;
  }
}

TEST(ParsePublicKeyTest, AcceptsBareHexAndTheFileFormat) {
  const std::string key_hex = Rfc8032Vectors()[0].public_key;
  const PublicKey want = UnhexKey(key_hex);
  for (const std::string& text :
       {key_hex, absl::StrCat("  ", key_hex, "\n"),
        absl::StrCat("factledger-ed25519-public-key ", key_hex, "\n")}) {
    absl::StatusOr<PublicKey> key = ParsePublicKey(text);
    ASSERT_TRUE(key.ok()) << text << ": " << key.status();
    EXPECT_EQ(*key, want);
  }
  EXPECT_EQ(*ParsePublicKey(FormatPublicKey(want)), want);
}

}  // namespace
}  // namespace ledger::crypto
