#include "ledger/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace ledger::crypto {
namespace {

const EVP_MD* FetchedSha256() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) std::abort();  // OpenSSL without SHA-256: nothing can work.
    return fetched;
  }();
  return md;
}

struct ThreadContext {
  ThreadContext() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) std::abort();
  }
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
  EVP_MD_CTX* ctx;
};

EVP_MD_CTX* Context() {
  thread_local ThreadContext context;
  return context.ctx;
}

}  // namespace

Hash Sha256Concat(std::initializer_list<absl::string_view> parts) {
  EVP_MD_CTX* ctx = Context();
  Hash out{};
  unsigned int len = 0;
  // These calls fail only on allocation failure or a broken provider; neither is recoverable.
  if (EVP_DigestInit_ex2(ctx, FetchedSha256(), nullptr) != 1) std::abort();
  for (absl::string_view part : parts) {
    if (EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) std::abort();
  }
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

Hash Sha256(absl::string_view data) { return Sha256Concat({data}); }

}  // namespace ledger::crypto
