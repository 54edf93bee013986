// The transparency-dev/merkle proof vectors (../shared/data/vectors/merkle/testdata): every
// inclusion/ and consistency/ file goes through VerifyInclusion / VerifyConsistency, and the
// outcome must match `wantErr`. Skips when the shared data is absent.
//
// Our API takes fixed 32-byte Hash values, while the Go verifier takes byte slices, so some
// mutated vectors ("wrong leaf" = "WrongLeaf", "trailing garbage" = an empty proof element)
// hold values that cannot even be passed in: in the ledger such input is refused when it is
// decoded, before verification. Those vectors count as rejected at decoding, and they must all
// be wantErr vectors, with one known exception: consistency/additional/
// sizes-are-equal-one-and-proof-is-empty.json, a valid vector whose two roots are the 12-byte
// placeholder "don't care 2". Its meaning (equal sizes, equal roots, empty proof => OK) does
// not depend on the root length, so it runs with its roots zero-padded to 32 bytes.
//
// The subtreeinclusion/ and subtreeconsistency/ directories test transparency-dev's subtree
// proofs (a newer API we do not have) and are not run.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "ledger/base/types.h"
#include "ledger/merkle/verify.h"
#include "nlohmann/json.hpp"
#include "tests/support/shared_data.h"

namespace ledger::merkle {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kPaddedValidVector[] =
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";

// The decoded hashes of one vector. `malformed` is set when any value is not 32 bytes;
// `hashes` then holds those values zero-padded (or truncated) to 32 bytes.
struct Decoder {
  bool malformed = false;

  Hash Decode(const json& value) {
    std::string bytes;
    if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &bytes)) {
      ADD_FAILURE() << "not base64: " << value.dump();
      malformed = true;
      return Hash{};
    }
    if (bytes.size() != 32) malformed = true;
    bytes.resize(32, '\0');
    return HashFromBytes(bytes);
  }

  std::vector<Hash> DecodeProof(const json& value) {
    std::vector<Hash> proof;
    if (value.is_null()) return proof;
    for (const json& element : value) proof.push_back(Decode(element));
    return proof;
  }
};

struct Tally {
  int files = 0;
  int valid_verified = 0;
  int invalid_rejected_by_verifier = 0;
  int invalid_rejected_at_decoding = 0;
  int padded_valid = 0;
};

std::vector<fs::path> JsonFilesUnder(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<json> ParseFile(const fs::path& path) {
  std::optional<std::string> text = ::ledger::testing::ReadFileToString(path.string());
  if (!text) return std::nullopt;
  json parsed = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// Checks one vector's outcome against wantErr and counts it.
void Check(const std::string& name, bool want_err, const Decoder& decoder,
           const absl::Status& status, Tally* tally) {
  ++tally->files;
  if (decoder.malformed && want_err) {
    ++tally->invalid_rejected_at_decoding;
    return;
  }
  if (decoder.malformed) {
    // Only the one documented placeholder vector may get here.
    EXPECT_EQ(name, kPaddedValidVector) << "valid vector with a value that is not 32 bytes";
    ++tally->padded_valid;
  }
  if (want_err) {
    EXPECT_FALSE(status.ok()) << name << ": wantErr but verified";
    EXPECT_TRUE(status.code() == absl::StatusCode::kInvalidArgument ||
                status.code() == absl::StatusCode::kDataLoss)
        << name << ": " << status;
    if (!status.ok()) ++tally->invalid_rejected_by_verifier;
  } else {
    EXPECT_TRUE(status.ok()) << name << ": " << status;
    if (status.ok()) ++tally->valid_verified;
  }
}

TEST(MerkleVectorsTest, InclusionVectors) {
  LEDGER_REQUIRE_SHARED_DATA(dir, "vectors/merkle/testdata/inclusion");
  Tally tally;
  for (const fs::path& path : JsonFilesUnder(dir)) {
    const std::string name = fs::relative(path, fs::path(dir).parent_path()).string();
    std::optional<json> v = ParseFile(path);
    ASSERT_TRUE(v.has_value()) << "cannot parse " << path;
    Decoder decoder;
    const Hash root = decoder.Decode(v->at("root"));
    const Hash leaf_hash = decoder.Decode(v->at("leafHash"));
    const std::vector<Hash> proof = decoder.DecodeProof(v->at("proof"));
    const absl::Status status =
        VerifyInclusion(v->at("leafIdx").get<uint64_t>(), v->at("treeSize").get<uint64_t>(),
                        leaf_hash, proof, root);
    Check(name, v->at("wantErr").get<bool>(), decoder, status, &tally);
  }
  // 98 files at transparency-dev/merkle 417fb0c: 6 valid, 92 mutated.
  EXPECT_GE(tally.files, 98);
  EXPECT_GE(tally.valid_verified, 6);
  EXPECT_EQ(tally.valid_verified + tally.invalid_rejected_by_verifier +
                tally.invalid_rejected_at_decoding,
            tally.files);
  EXPECT_EQ(tally.padded_valid, 0);
  // Most mutations must reach and be refused by the verifier itself, not the decoding.
  EXPECT_GE(tally.invalid_rejected_by_verifier, 60);
  RecordProperty("inclusion_vectors", tally.files);
}

TEST(MerkleVectorsTest, ConsistencyVectors) {
  LEDGER_REQUIRE_SHARED_DATA(dir, "vectors/merkle/testdata/consistency");
  Tally tally;
  for (const fs::path& path : JsonFilesUnder(dir)) {
    const std::string name = fs::relative(path, fs::path(dir).parent_path()).string();
    std::optional<json> v = ParseFile(path);
    ASSERT_TRUE(v.has_value()) << "cannot parse " << path;
    Decoder decoder;
    const Hash root1 = decoder.Decode(v->at("root1"));
    const Hash root2 = decoder.Decode(v->at("root2"));
    const std::vector<Hash> proof = decoder.DecodeProof(v->at("proof"));
    const absl::Status status =
        VerifyConsistency(v->at("size1").get<uint64_t>(), v->at("size2").get<uint64_t>(),
                          root1, root2, proof);
    Check(name, v->at("wantErr").get<bool>(), decoder, status, &tally);
  }
  // 98 files at transparency-dev/merkle 417fb0c: 6 valid, 92 mutated.
  EXPECT_GE(tally.files, 98);
  EXPECT_GE(tally.valid_verified, 6);
  EXPECT_EQ(tally.valid_verified + tally.invalid_rejected_by_verifier +
                tally.invalid_rejected_at_decoding,
            tally.files);
  EXPECT_EQ(tally.padded_valid, 1);
  EXPECT_GE(tally.invalid_rejected_by_verifier, 60);
  RecordProperty("consistency_vectors", tally.files);
}

}  // namespace
}  // namespace ledger::merkle
