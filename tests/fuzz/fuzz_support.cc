#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ledger::fuzz {
namespace {

bool g_expect_valid = false;
int g_report_fd = -1;

}  // namespace

uint8_t Input::U8() {
  if (data_.empty()) return 0;
  const uint8_t v = static_cast<uint8_t>(data_[0]);
  data_.remove_prefix(1);
  return v;
}

uint16_t Input::U16() {
  const uint16_t hi = U8();
  return static_cast<uint16_t>((hi << 8) | U8());
}

uint32_t Input::U32() {
  const uint32_t hi = U16();
  return (hi << 16) | U16();
}

uint64_t Input::U64() {
  const uint64_t hi = U32();
  return (hi << 32) | U32();
}

uint64_t Input::Below(uint64_t n) {
  if (n <= 1) return 0;
  uint64_t v = 0;
  for (uint64_t range = n - 1; range != 0; range >>= 8) v = (v << 8) | U8();
  return v % n;
}

uint64_t Input::InterestingU64() {
  const uint8_t tag = U8();
  switch (tag & 3) {
    case 0:
      return U64();
    case 1: {
      const int shift = (tag >> 2) % 64;
      const int8_t delta = static_cast<int8_t>(U8() % 7) - 3;
      return (uint64_t{1} << shift) + static_cast<uint64_t>(static_cast<int64_t>(delta));
    }
    case 2:
      return U16();
    default:
      return ~uint64_t{0} - U8();
  }
}

std::string Input::Bytes(size_t n) {
  n = std::min(n, data_.size());
  std::string out(data_.substr(0, n));
  data_.remove_prefix(n);
  return out;
}

std::string Input::Blob(size_t max) { return Bytes(std::min<size_t>(U16(), max)); }

Hash Input::Hash32() {
  Hash h{};
  const std::string b = Bytes(32);
  std::memcpy(h.data(), b.data(), b.size());
  return h;
}

std::string Input::Rest() { return Bytes(data_.size()); }

Output& Output::U8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}
Output& Output::U16(uint16_t v) {
  PutFixed16BE(&out_, v);
  return *this;
}
Output& Output::U32(uint32_t v) {
  PutFixed32BE(&out_, v);
  return *this;
}
Output& Output::U64(uint64_t v) {
  PutFixed64BE(&out_, v);
  return *this;
}
Output& Output::Bytes(absl::string_view b) {
  out_.append(b.data(), b.size());
  return *this;
}
Output& Output::Blob(absl::string_view b) {
  U16(static_cast<uint16_t>(b.size()));
  return Bytes(b.substr(0, 0xffff));
}

int ReportFd() { return g_report_fd >= 0 ? g_report_fd : 2; }

void Fail(const char* file, int line, const std::string& what) {
  const std::string text =
      absl::StrCat("\n==fuzz== invariant violated at ", file, ":", line, ": ", what, "\n");
  const int fd = ReportFd();
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  std::abort();
}

bool ExpectValid() { return g_expect_valid; }
void SetExpectValid(bool expect) { g_expect_valid = expect; }

crypto::Ed25519PrivateKey KeyFromFill(uint8_t fill) {
  return *crypto::Ed25519PrivateKey::FromSeed(std::string(32, static_cast<char>(fill)));
}

const crypto::Ed25519PrivateKey& LogKey() {
  static const crypto::Ed25519PrivateKey* key = new crypto::Ed25519PrivateKey(KeyFromFill(0x4c));
  return *key;
}

const crypto::Ed25519PrivateKey& AdminKey() {
  static const crypto::Ed25519PrivateKey* key = new crypto::Ed25519PrivateKey(KeyFromFill(0xad));
  return *key;
}

const crypto::Ed25519PrivateKey& SignerKey(int index) {
  static const std::vector<crypto::Ed25519PrivateKey>* keys = [] {
    auto* v = new std::vector<crypto::Ed25519PrivateKey>();
    v->push_back(KeyFromFill(0xad));
    for (int i = 1; i <= kExtraKeys; ++i) v->push_back(KeyFromFill(static_cast<uint8_t>(0x50 + i)));
    return v;
  }();
  return (*keys)[static_cast<size_t>(index) % keys->size()];
}

std::string KeyIdOf(const crypto::PublicKey& key) {
  return std::string(AsStringView(crypto::SignerKeyId(key)));
}

core::LogIdentity Identity() {
  core::LogIdentity id;
  id.origin = std::string(kOrigin);
  id.log_public_key = LogKey().public_key();
  id.admin_keys = {AdminKey().public_key()};
  return id;
}

format::NoteVerifier Verifier() { return {std::string(kOrigin), LogKey().public_key()}; }

}  // namespace ledger::fuzz

// Saves the real stderr before libFuzzer (-close_fd_mask=2) or the regression driver silences
// fd 2, so that FUZZ_CHECK messages are still seen.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (ledger::fuzz::g_report_fd < 0) ledger::fuzz::g_report_fd = ::dup(2);
  return 0;
}
