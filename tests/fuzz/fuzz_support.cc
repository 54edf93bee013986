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

namespace {

using google::protobuf::FieldDescriptor;

std::string InterestingString(Input* in, const std::string& old) {
  static const std::string kStrings[] = {
      "claim-1", "claim-2", "b-1", "corr-1", "review-1", "reg-1", "missing-claim", "",
      "https://example.org/x", "http://x", "ftp://x", "a b", "\xc3\xa9", "\xff\xfe",
      "\xed\xa0\x80", "Alexander Novak", "energy", "ENERGY", std::string("nul\0", 4)};
  switch (in->U8() % 6) {
    case 0:
      return kStrings[in->Below(sizeof(kStrings) / sizeof(kStrings[0]))];
    case 1:
      return in->Blob(300);
    case 2: {  // around a limit: 128, 512, 2048, 4096, 16384 bytes
      static const size_t kLimits[] = {128, 512, 2 * 1024, 4 * 1024, 16 * 1024, 64 * 1024};
      const size_t n = kLimits[in->Below(6)] + static_cast<size_t>(in->U8() % 3) - 1;
      return std::string(n, static_cast<char>('a' + in->U8() % 26));
    }
    case 3: {
      std::string s = old;
      if (s.empty()) return in->Bytes(1);
      s[in->Below(s.size())] = static_cast<char>(in->U8());
      return s;
    }
    case 4:
      return old + in->Blob(40);
    default: {
      const int k = static_cast<int>(in->Below(kExtraKeys + 2));
      const crypto::PublicKey key = k <= kExtraKeys ? SignerKey(k).public_key() : LogKey().public_key();
      return in->Bool() ? KeyIdOf(key) : std::string(crypto::AsStringView(key));
    }
  }
}

int64_t InterestingInt(Input* in) {
  static const int64_t kValues[] = {0, 1, -1, 2, 3, 5, 6, 12, 13, 31, 32, 2015, 2026, 2027,
                                    9999, 10000, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                                    -2208988800LL * 1000000, -2208988800LL * 1000000 - 1,
                                    kNowMicros, kNowMicros + 24LL * 3600 * 1000000,
                                    kNowMicros + 24LL * 3600 * 1000000 + 1};
  if (in->Bool()) return static_cast<int64_t>(in->U64());
  return kValues[in->Below(sizeof(kValues) / sizeof(kValues[0]))];
}

void MutateField(google::protobuf::Message* m, const FieldDescriptor* f, Input* in, int depth) {
  const google::protobuf::Reflection* r = m->GetReflection();
  const uint8_t action = in->U8();
  if (action % 8 == 0) {
    r->ClearField(m, f);
    return;
  }
  if (f->is_repeated()) {
    const int size = r->FieldSize(*m, f);
    if (action % 8 == 1 && size > 0) {
      r->RemoveLast(m, f);
      return;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      google::protobuf::Message* e = size > 0 && action % 2 == 0
                                         ? r->MutableRepeatedMessage(m, f, static_cast<int>(in->Below(size)))
                                         : r->AddMessage(m, f);
      MutateMessage(e, in, depth + 1);
      return;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      for (int i = 0, n = 1 + (action >> 4); i < n; ++i) r->AddString(m, f, InterestingString(in, ""));
      return;
    }
    return;  // the model has no other repeated fields
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      MutateMessage(r->MutableMessage(m, f), in, depth + 1);
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(m, f, InterestingString(in, r->GetString(*m, f)));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(m, f, static_cast<int32_t>(InterestingInt(in)));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(m, f, InterestingInt(in));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      r->SetUInt32(m, f, static_cast<uint32_t>(InterestingInt(in)));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      r->SetUInt64(m, f, static_cast<uint64_t>(InterestingInt(in)));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(m, f, !r->GetBool(*m, f));
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int n = f->enum_type()->value_count();
      r->SetEnumValue(m, f, in->Bool() ? static_cast<int>(in->Below(n + 2)) - 1
                                       : f->enum_type()->value(static_cast<int>(in->Below(n)))->number());
      break;
    }
    default:
      break;
  }
}

}  // namespace

void MutateMessage(google::protobuf::Message* m, Input* in, int depth) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  if (d->field_count() == 0 || depth > 8) return;
  MutateField(m, d->field(static_cast<int>(in->Below(d->field_count()))), in, depth);
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
