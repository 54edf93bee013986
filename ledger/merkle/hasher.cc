#include "ledger/merkle/hasher.h"

#include "ledger/crypto/sha256.h"

namespace ledger::merkle {
namespace {

const char kLeafPrefixByte[1] = {static_cast<char>(kLeafHashPrefix)};
const char kNodePrefixByte[1] = {static_cast<char>(kNodeHashPrefix)};

}  // namespace

Hash HashLeaf(absl::string_view leaf_data) {
  return crypto::Sha256Concat({absl::string_view(kLeafPrefixByte, 1), leaf_data});
}

Hash HashChildren(const Hash& left, const Hash& right) {
  return crypto::Sha256Concat(
      {absl::string_view(kNodePrefixByte, 1), AsStringView(left), AsStringView(right)});
}

Hash EmptyRoot() {
  static const Hash kEmptyRoot = crypto::Sha256("");
  return kEmptyRoot;
}

}  // namespace ledger::merkle
