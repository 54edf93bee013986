#include "ledger/merkle/testing/reference.h"

#include <cstdlib>

#include "ledger/merkle/hasher.h"

namespace ledger::merkle::testing {
namespace {

// The largest power of two k < n. Precondition: n > 1.
size_t LargestPowerOfTwoBelow(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

void SubProof(size_t m, absl::Span<const Hash> d, bool b, std::vector<Hash>* out) {
  const size_t n = d.size();
  if (m == n) {
    if (!b) out->push_back(ReferenceRoot(d));
    return;
  }
  const size_t k = LargestPowerOfTwoBelow(n);
  if (m <= k) {
    SubProof(m, d.subspan(0, k), b, out);
    out->push_back(ReferenceRoot(d.subspan(k)));
  } else {
    SubProof(m - k, d.subspan(k), false, out);
    out->push_back(ReferenceRoot(d.subspan(0, k)));
  }
}

}  // namespace

Hash ReferenceRoot(absl::Span<const Hash> d) {
  if (d.empty()) return EmptyRoot();
  if (d.size() == 1) return d[0];
  const size_t k = LargestPowerOfTwoBelow(d.size());
  return HashChildren(ReferenceRoot(d.subspan(0, k)), ReferenceRoot(d.subspan(k)));
}

std::vector<Hash> ReferenceInclusionProof(uint64_t m, absl::Span<const Hash> d) {
  if (m >= d.size()) std::abort();  // Precondition violated: a bug in the test.
  if (d.size() == 1) return {};
  const size_t k = LargestPowerOfTwoBelow(d.size());
  std::vector<Hash> path;
  if (m < k) {
    path = ReferenceInclusionProof(m, d.subspan(0, k));
    path.push_back(ReferenceRoot(d.subspan(k)));
  } else {
    path = ReferenceInclusionProof(m - k, d.subspan(k));
    path.push_back(ReferenceRoot(d.subspan(0, k)));
  }
  return path;
}

std::vector<Hash> ReferenceConsistencyProof(uint64_t m, absl::Span<const Hash> d) {
  if (m > d.size()) std::abort();  // Precondition violated: a bug in the test.
  std::vector<Hash> proof;
  if (m == 0) return proof;
  SubProof(m, d, true, &proof);
  return proof;
}

}  // namespace ledger::merkle::testing
